"""Bare-metal C toolchain (clang from the ziglang wheel) with the OxCore runtime."""
