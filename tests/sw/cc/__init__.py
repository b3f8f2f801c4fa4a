"""Tests of `oxcore cc` (sw/cc) and the C program corpus (tests/programs/c)."""
