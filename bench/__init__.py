"""Benchmarks (`make bench`): print figures and write JSON under build/bench/."""
