"""Suite-wide settings."""

import os

# Small RTL programs run faster on Amaranth's simulator than it takes to load a compiled
# CXXRTL model; tests that exercise CXXRTL ask for it explicitly (--backend cxxrtl).
os.environ.setdefault("OXCORE_RTL_BACKEND", "pysim")
# Tests exercise the compiler: no compiled kernel comes from an earlier run's disk cache
# (tests/sw/compiler/test_cache.py turns it on in a directory of its own).
os.environ.setdefault("OXCORE_KERNEL_CACHE", "0")


# Tests marked `long` spend minutes in tools (synthesis, place-and-route, the C++ build of
# a CXXRTL model of their own) or in the Amaranth simulator (the larger variants of a
# randomized RTL test whose smaller ones run in `make test`): `make test` skips them to
# stay in its budget, and `make test-long` runs them (OXCORE_LONG_TESTS=1).
LONG_TESTS = os.environ.get("OXCORE_LONG_TESTS") == "1"


def pytest_collection_modifyitems(config, items):
    if LONG_TESTS:
        return
    import pytest
    skip = pytest.mark.skip(reason="minutes of tool or simulation time: make test-long runs it "
                                   "(OXCORE_LONG_TESTS=1)")
    for item in items:
        if item.get_closest_marker("long") is not None:
            item.add_marker(skip)
