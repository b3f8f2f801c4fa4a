"""Suite-wide settings."""

import os

# Small RTL programs run faster on Amaranth's simulator than it takes to load a compiled
# CXXRTL model; tests that exercise CXXRTL ask for it explicitly (--backend cxxrtl).
os.environ.setdefault("OXCORE_RTL_BACKEND", "pysim")
