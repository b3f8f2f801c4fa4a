"""Which simulator runs the RTL: Amaranth's (pysim) or CXXRTL, behind one harness API.

`auto` picks CXXRTL: it is hundreds of times faster, and its compiled model is cached
per design and configuration (the first build takes ~30 s and says so). It falls back to
pysim, with a note, when no C++ compiler is available, and uses pysim for runs with
injected faults (each fault set would need its own ~30 s build for a one-off run).
Cores with engines run on CXXRTL too: it records the completion and engine commit ports
and merges them as pysim does (`cosim.rtl_cxxrtl`).
A configuration with engines is the exception while its model is not built yet: its
first build takes 10 to 15 minutes (the MAC array, the vector lanes), longer than
simulating a kernel on pysim, so `auto` runs pysim then and says how to build the model
(`--backend cxxrtl`, `SIM=cxxrtl`), which later runs then use.
`OXCORE_RTL_BACKEND` overrides `auto` (the test suite sets pysim for its small programs).
"""

from __future__ import annotations

import os
import sys

from oxcore.config import OxCoreConfig
from oxcore.errors import OxCoreError
from oxcore.program import Program
from cosim.rtl_sim import RtlSimulator

BACKENDS = ("auto", "pysim", "cxxrtl")
ENV = "OXCORE_RTL_BACKEND"


def resolve(backend: str, faults: frozenset = frozenset()) -> str:
    """`auto` -> the environment's choice, else cxxrtl (pysim with faults)."""
    if backend not in BACKENDS:
        raise OxCoreError(f"unknown RTL backend {backend!r} (choose from {', '.join(BACKENDS)})")
    if backend == "auto":
        backend = os.environ.get(ENV, "auto") or "auto"
        if backend not in BACKENDS:
            raise OxCoreError(f"{ENV}={backend!r}: choose from {', '.join(BACKENDS)}")
    if backend == "auto":
        backend = "pysim" if faults else "cxxrtl"
    return backend


def rtl_simulator(backend: str, config: OxCoreConfig, program: Program, **options):
    """An RTL simulator for `program`: `RtlSimulator` (pysim) or `CxxrtlSimulator`."""
    faults = options.get("faults", frozenset())
    chosen = resolve(backend, faults)
    chose_auto = backend == "auto" and (os.environ.get(ENV) or "auto") == "auto"
    if chosen == "cxxrtl" and chose_auto and config.engines:
        from cosim.rtl_cxxrtl import model_ready
        if not model_ready(config, faults):
            print(f"oxcore: note: the CXXRTL model of configuration {config.name!r} is not "
                  f"built yet (with its engines the first build takes 10-15 minutes): "
                  f"running on the Amaranth simulator; --backend cxxrtl (make ... "
                  f"SIM=cxxrtl) builds it once for faster runs", file=sys.stderr)
            chosen = "pysim"
    if chosen == "cxxrtl":
        from cosim.cxxrtl import CxxrtlUnavailable
        from cosim.rtl_cxxrtl import CxxrtlSimulator
        try:
            return CxxrtlSimulator(config, program, **options)
        except CxxrtlUnavailable as exc:
            if backend == "cxxrtl":
                raise OxCoreError(f"--backend cxxrtl: {exc}") from None
            print(f"oxcore: note: {exc}; using the Amaranth simulator instead (slower)",
                  file=sys.stderr)
    return RtlSimulator(config, program, **options)
