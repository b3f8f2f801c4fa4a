"""FPGA builds (later issue)."""
