"""Compiler (later issue)."""
