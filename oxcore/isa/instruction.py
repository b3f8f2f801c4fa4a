"""The instruction record: one per instruction, everything else is derived from it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from oxcore.errors import EncodingError
from oxcore.isa.fields import FIXED, Field, Format

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, eq=False)  # identity: each instruction exists once
class Instruction:
    """One instruction, described once.

    `fixed` gives the values of the format's non-operand fields (opcode, funct3, ...).
    `syntax` is the operand syntax, with ``{field}`` placeholders in assembly order.
    `semantics` is executable Python in the semantics language of
    :mod:`oxcore.isa.semantics`: the golden interpreter runs it and the docs print it.
    """

    mnemonic: str
    extension: str
    format: Format
    fixed: Mapping[str, int]
    syntax: str
    semantics: str
    summary: str
    mask: int = field(init=False)
    match: int = field(init=False)
    operands: tuple[Field, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fixed", MappingProxyType(dict(self.fixed)))
        mask = match = 0
        for name, value in self.fixed.items():
            fld = self.format.field(name)
            mask |= fld.inst_mask
            match |= fld.insert(value)
        for fld in self.format.fields:
            if fld.kind == FIXED and fld.name not in self.fixed:
                raise ValueError(f"{self.mnemonic}: fixed field {fld.name} has no value")
        order = _PLACEHOLDER.findall(self.syntax)
        operands = tuple(self.format.field(name) for name in order)
        for fld in self.format.fields:
            if fld.name not in self.fixed and fld not in operands:
                raise ValueError(f"{self.mnemonic}: field {fld.name} neither fixed nor operand")
        object.__setattr__(self, "mask", mask)
        object.__setattr__(self, "match", match)
        object.__setattr__(self, "operands", operands)

    def encode(self, **operands: int) -> int:
        """The 32-bit word for this instruction with the given operand values."""
        word = self.match
        for fld in self.operands:
            if fld.name not in operands:
                raise EncodingError(f"{self.mnemonic}: missing operand {fld.name}")
            word |= fld.insert(operands[fld.name])
        extra = set(operands) - {f.name for f in self.operands}
        if extra:
            raise EncodingError(f"{self.mnemonic}: unknown operand(s) {sorted(extra)}")
        return word

    def operand_values(self, word: int) -> dict[str, int]:
        """Operand values decoded from `word` (immediates sign-extended)."""
        return {fld.name: fld.extract(word) for fld in self.operands}

    def matches(self, word: int) -> bool:
        return word & self.mask == self.match

    @property
    def match_pattern(self) -> str:
        """32-character bit pattern, MSB first, '-' for operand bits (RTL `Case` form)."""
        return "".join(
            ("1" if (self.match >> bit) & 1 else "0") if (self.mask >> bit) & 1 else "-"
            for bit in range(31, -1, -1))
