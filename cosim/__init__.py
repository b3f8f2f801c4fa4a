"""Simulators and co-simulation: golden interpreter, RTL harness, comparison."""
