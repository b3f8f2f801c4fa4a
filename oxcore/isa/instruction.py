"""The instruction record: one per instruction, everything else is derived from it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Mapping

from oxcore.errors import EncodingError
from oxcore.isa.fields import FIXED, Field, Format
from oxcore.isa.semantics import calls, register_accesses

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

ENGINES = ("scalar", "vector", "tensor")  # which engine executes an instruction
FLOWS = ("branch", "direct", "indirect")  # conditional, pc-relative jump, register jump
CONDITIONS = ("eq", "ne", "lt", "ge", "ltu", "geu")  # branch conditions (rs1 op rs2)


@dataclass(frozen=True)
class MemoryAccess:
    """What an instruction does to memory: the RTL's load/store unit needs no more."""

    kind: str  # "load" or "store"
    size: int  # bytes
    signed: bool = False  # a load's sign extension

    def __post_init__(self) -> None:
        if self.kind not in ("load", "store") or self.size not in (1, 2, 4):
            raise ValueError(f"bad memory access {self}")


@dataclass(frozen=True)
class Slot:
    """One written operand position.

    ``{rd}`` (one name), ``{imm}({rs1})`` (offset and base: `memory`), ``({rs1})`` (a
    base register alone, as RVV's loads write it: `base`), or a fixed word that must be
    written as is, such as the ``v0`` of ``vadc.vvm`` (`literal`, no names).
    """

    names: tuple[str, ...]
    literal: str = ""
    base: bool = False

    @property
    def memory(self) -> bool:
        return len(self.names) == 2

    def render(self, texts: list[str]) -> str:
        """The slot as written, given its operands' texts in `names` order."""
        if self.literal:
            return self.literal
        if self.memory:
            return f"{texts[0]}({texts[1]})"
        return f"({texts[0]})" if self.base else texts[0]


_BASE = re.compile(r"\(\{(\w+)\}\)")
_LITERAL = re.compile(r"[a-z][a-z0-9.]*")


def parse_syntax(syntax: str) -> tuple[Slot, ...]:
    """The operand positions of a syntax string, in order (``""``: none)."""
    if not syntax.strip():
        return ()
    slots = []
    for part in syntax.split(","):
        part = part.strip()
        names = tuple(_PLACEHOLDER.findall(part))
        if _BASE.fullmatch(part):
            slots.append(Slot(names, base=True))
        elif not names and _LITERAL.fullmatch(part):
            slots.append(Slot((), literal=part))
        elif 1 <= len(names) <= 2:
            slots.append(Slot(names))
        else:
            raise ValueError(f"syntax {syntax!r}: bad operand {part!r}")
    return tuple(slots)


@dataclass(frozen=True, eq=False)  # identity: each instruction exists once
class Instruction:
    """One instruction, described once.

    `fixed` gives the values of the format's non-operand fields (opcode, funct3, ...).
    `syntax` is the operand syntax, with ``{field}`` placeholders in assembly order,
    ``{imm}({rs1})`` for a memory operand; the operand kinds say how each is written.
    `semantics` is executable Python in the semantics language of
    :mod:`oxcore.isa.semantics`: the golden interpreter runs it and the docs print it.

    Row attributes for the RTL and tools: `engine` executes it; `memory` is its memory
    access; `flow` its control transfer (`condition` for a branch). Registers read and
    written (`reads`, `writes`) are derived from the semantics.
    """

    mnemonic: str
    extension: str
    format: Format
    fixed: Mapping[str, int]
    syntax: str
    semantics: str
    summary: str
    engine: str = "scalar"
    memory: MemoryAccess | None = None
    flow: str | None = None
    condition: str | None = None
    mask: int = field(init=False)
    match: int = field(init=False)
    operands: tuple[Field, ...] = field(init=False)
    slots: tuple[Slot, ...] = field(init=False)

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
        slots = parse_syntax(self.syntax)
        operands = tuple(self.format.field(name) for slot in slots for name in slot.names)
        for fld in self.format.fields:
            if fld.name not in self.fixed and fld not in operands:
                raise ValueError(f"{self.mnemonic}: field {fld.name} neither fixed nor operand")
        object.__setattr__(self, "mask", mask)
        object.__setattr__(self, "match", match)
        object.__setattr__(self, "operands", operands)
        object.__setattr__(self, "slots", slots)
        self._check_attributes()

    def _check_attributes(self) -> None:
        """The row attributes must agree with what the semantics do."""
        used = calls(self.semantics)
        if self.engine not in ENGINES:
            raise ValueError(f"{self.mnemonic}: unknown engine {self.engine!r}")
        if self.flow not in (None, *FLOWS) or ((self.flow is None) == ("jump" in used)):
            raise ValueError(f"{self.mnemonic}: flow {self.flow!r} but semantics "
                             f"{'call' if 'jump' in used else 'never call'} jump()")
        if (self.condition is not None) != (self.flow == "branch") or \
                self.condition not in (None, *CONDITIONS):
            raise ValueError(f"{self.mnemonic}: condition {self.condition!r} for flow "
                             f"{self.flow!r}")
        kind = self.memory.kind if self.memory else None
        if kind != ("load" if "load" in used else "store" if "store" in used else None):
            raise ValueError(f"{self.mnemonic}: memory {self.memory} disagrees with semantics")
        if self.memory and f", {self.memory.size}" not in self.semantics:
            raise ValueError(f"{self.mnemonic}: semantics do not access {self.memory.size} "
                             "bytes")

    @cached_property
    def reads(self) -> Mapping[str, tuple[str, ...]]:
        """Register file name -> operand fields whose registers the semantics read."""
        return MappingProxyType(register_accesses(self.semantics)[0])

    @cached_property
    def writes(self) -> Mapping[str, tuple[str, ...]]:
        """Register file name -> operand fields whose registers the semantics write."""
        return MappingProxyType(register_accesses(self.semantics)[1])

    @property
    def immediates(self) -> tuple[Field, ...]:
        """The numeric immediate operands, in syntax order (the RTL decoder's `imms`)."""
        return tuple(f for f in self.operands if f.kind.immediate)

    def encode(self, **operands: int) -> int:
        """The 32-bit word for this instruction with the given operand values.

        An omitted optional operand (its kind has a default) takes the default.
        """
        word = self.match
        for fld in self.operands:
            value = operands.get(fld.name, fld.kind.default)
            if value is None:
                raise EncodingError(f"{self.mnemonic}: missing operand {fld.name}")
            word |= fld.insert(value)
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
