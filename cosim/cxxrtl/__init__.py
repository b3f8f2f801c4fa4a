"""CXXRTL fast simulation: Amaranth design -> write_cxxrtl -> g++ -> ctypes (cached).

    from cosim.cxxrtl import build, CxxrtlUnavailable
    try:
        model = build(component).instantiate()
    except CxxrtlUnavailable as exc:      # no g++: fall back to the Amaranth simulator
        ...
    model.configure(record=["retire"], valid=("retire", 0), attention=["env_req", "halt"])
    result = model.run(1_000_000)         # many cycles per call, records in one batch
    columns = model.record_format.decode(result.records, layout_fields("retire", layout))

See docs/simulation-backends.md.
"""

from cosim.cxxrtl.build import (
    CxxrtlBuild, CxxrtlBuildError, CxxrtlError, CxxrtlUnavailable, MemoryInit, build,
    build_or_fallback, cache_root,
)
from cosim.cxxrtl.model import (
    CxxrtlModel, RecordFormat, RunResult, SignalInfo, StopReason, layout_fields,
)

__all__ = [
    "CxxrtlBuild", "CxxrtlBuildError", "CxxrtlError", "CxxrtlModel", "CxxrtlUnavailable",
    "MemoryInit", "RecordFormat", "RunResult", "SignalInfo", "StopReason", "build",
    "build_or_fallback", "cache_root",
    "layout_fields",
]
