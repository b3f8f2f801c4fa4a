"""Integer register names: x0..x31 and the standard ABI names."""

from __future__ import annotations

ABI_NAMES = (
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
)

XREG_NUMBERS: dict[str, int] = {f"x{i}": i for i in range(32)}
XREG_NUMBERS.update({name: i for i, name in enumerate(ABI_NAMES)})
XREG_NUMBERS["fp"] = 8


def xreg_name(number: int) -> str:
    """The ABI name, as objdump prints it."""
    return ABI_NAMES[number]


def parse_xreg(text: str) -> int | None:
    """Register number for `text` (case-insensitive), or None if it names no register."""
    return XREG_NUMBERS.get(text.strip().lower())
