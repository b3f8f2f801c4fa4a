"""Deliberate RTL bugs, for proving that co-simulation catches real mistakes.

A `Fault` passed to `Core(..., faults=...)` changes the elaborated logic of one unit;
the default design has none. `tests/cosim/test_fault_injection.py` injects each one and
requires the lockstep comparison to report a first divergence. A verification harness
that cannot show it finds bugs is not done.
"""

from __future__ import annotations

import enum
from typing import Iterable


class Fault(enum.Enum):
    """Each value is the fault's command-line name; the docstring-like text says what breaks."""

    FORWARD_WRONG_STAGE = "forward-wrong-stage"  # EX prefers WB's value over MEM's newer one
    LB_NO_SIGN_EXTEND = "lb-no-sign-extend"  # lb zero-extends like lbu
    SLTU_AS_SLT = "sltu-as-slt"  # sltu/sltiu compare signed
    REM_SIGN = "rem-sign"  # rem's result takes the divisor's sign, not the dividend's
    NO_LOAD_USE_STALL = "no-load-use-stall"  # the load-use interlock is missing

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Fault.FORWARD_WRONG_STAGE: "EX forwards from WB even when MEM holds a newer value",
    Fault.LB_NO_SIGN_EXTEND: "lb does not sign-extend the loaded byte",
    Fault.SLTU_AS_SLT: "sltu/sltiu compare as signed numbers",
    Fault.REM_SIGN: "rem takes the divisor's sign instead of the dividend's",
    Fault.NO_LOAD_USE_STALL: "no bubble between a load and an instruction using its result",
}

Faults = frozenset[Fault]


def parse_faults(names: Iterable[str]) -> Faults:
    """Faults from their names; unknown names raise ValueError listing the known ones."""
    known = {f.value: f for f in Fault}
    faults = set()
    for name in names:
        if name not in known:
            raise ValueError(f"unknown fault {name!r} (known: {', '.join(known)})")
        faults.add(known[name])
    return frozenset(faults)
