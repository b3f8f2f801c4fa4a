"""Integer register names: x0..x31 and the standard ABI names (the `X` register file)."""

from __future__ import annotations

from oxcore.isa.regfile import X

ABI_NAMES = X.abi_names
XREG_NUMBERS: dict[str, int] = dict(X.numbers)


def xreg_name(number: int) -> str:
    """The ABI name, as objdump prints it."""
    return X.register_name(number)


def parse_xreg(text: str) -> int | None:
    """Register number for `text` (case-insensitive), or None if it names no register."""
    return X.parse(text)
