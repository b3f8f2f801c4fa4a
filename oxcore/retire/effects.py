"""The typed effects of a retired instruction: defined once, for every producer and consumer.

Each effect kind is a small dataclass (treated as immutable; not frozen, because a
frozen dataclass costs three times as much to build, and records are built by the
million). Besides its fields it says

- `KIND`: its name in commit ports, record columns, traces and divergence reports;
- `port_fields(**params)`: the bit width of each field in an RTL commit-port slot
  (`hw/oxcore/commit.py` builds the Amaranth layout from it; the simulators' decoders
  read the same names back, so nothing restates the schema);
- `constants(**params)`: fields a slot does not carry because the slot fixes them
  (a vector register write is always VLEN bits wide);
- `describe(isa=None)`: its part of a Spike-style commit-log line (names, such as a
  CSR's, from `isa`, else from the default ISA).

`EFFECT_KINDS` fixes the order in which a record lists its effects (a trap first: a
trapping instruction has no other effect; memory last, in access order), so the
interpreter and the RTL list identical effects identically.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from enum import IntEnum
from typing import TYPE_CHECKING, Callable, ClassVar, Union

from oxcore.isa.csrs import csr_name

if TYPE_CHECKING:
    from oxcore.isa import Isa


class TrapCause(IntEnum):
    """Trap causes: RISC-V mcause codes, plus simulator stops above 64."""

    INSTRUCTION_MISALIGNED = 0
    INSTRUCTION_ACCESS_FAULT = 1
    ILLEGAL_INSTRUCTION = 2
    BREAKPOINT = 3
    LOAD_MISALIGNED = 4
    LOAD_ACCESS_FAULT = 5
    STORE_MISALIGNED = 6
    STORE_ACCESS_FAULT = 7
    ECALL = 11
    UNKNOWN_ECALL = 64  # ecall with an a7 the syscall ABI does not define
    INSTRUCTION_LIMIT = 65  # --max-instructions reached

    @property
    def description(self) -> str:
        return self.name.lower().replace("_", " ")


TRAP_CAUSE_BITS = 7  # mcause codes below 64, simulator stops from 64


class EffectKind:
    """What every effect kind has besides its fields (see the module docstring)."""

    __slots__ = ()
    KIND: ClassVar[str]

    @staticmethod
    def port_fields(**params: int) -> dict[str, int]:
        raise NotImplementedError

    @staticmethod
    def constants(**params: int) -> dict[str, int]:
        """Fields the port slot fixes rather than carries: none unless overridden."""
        return {}

    def describe(self, isa: Isa | None = None) -> str:
        raise NotImplementedError


def _hex(value: int, nbytes: int) -> str:
    return f"0x{value:0{2 * nbytes}x}"


@dataclass(slots=True)
class TrapEffect(EffectKind):
    """The instruction trapped: it has no other effect and does not retire."""

    cause: TrapCause
    KIND: ClassVar[str] = "trap"

    @staticmethod
    def port_fields() -> dict[str, int]:
        return {"cause": TRAP_CAUSE_BITS}

    def describe(self, isa: Isa | None = None) -> str:
        return f"trap {TrapCause(self.cause).description}"


@dataclass(slots=True)
class XWrite(EffectKind):
    """An integer register write. Writes to x0 are no effect and never recorded."""

    reg: int
    value: int
    KIND: ClassVar[str] = "x"

    @staticmethod
    def port_fields() -> dict[str, int]:
        return {"reg": 5, "value": 32}

    def describe(self, isa: Isa | None = None) -> str:
        return f"x{self.reg:<2} 0x{self.value:08x}"


@dataclass(slots=True)
class CsrWrite(EffectKind):
    """A CSR write (the value the CSR holds afterwards)."""

    csr: int
    value: int
    KIND: ClassVar[str] = "csr"

    @staticmethod
    def port_fields() -> dict[str, int]:
        return {"csr": 12, "value": 32}

    def describe(self, isa: Isa | None = None) -> str:
        name = isa.csr_name(self.csr) if isa is not None else csr_name(self.csr)
        return f"c{self.csr}_{name} 0x{self.value:08x}"


@dataclass(slots=True)
class VWrite(EffectKind):
    """A vector register write: the whole register (`size` = VLEN/8 bytes, `data`
    little-endian), with `mask` marking the bytes that changed (bit i: byte i)."""

    reg: int
    size: int
    data: int
    mask: int
    KIND: ClassVar[str] = "v"

    @staticmethod
    def port_fields(vlenb: int) -> dict[str, int]:
        return {"reg": 5, "mask": vlenb, "data": 8 * vlenb}

    @staticmethod
    def constants(vlenb: int) -> dict[str, int]:
        return {"size": vlenb}

    def describe(self, isa: Isa | None = None) -> str:
        return f"v{self.reg:<2} {_hex(self.data, self.size)} mask {_hex(self.mask, self.size // 8 or 1)}"


@dataclass(slots=True)
class TileWrite(EffectKind):
    """A tile register write: the whole tile (`size` bytes, row-major, little-endian)."""

    reg: int
    size: int
    data: int
    KIND: ClassVar[str] = "tile"

    @staticmethod
    def port_fields(tileb: int) -> dict[str, int]:
        return {"reg": 3, "data": 8 * tileb}

    @staticmethod
    def constants(tileb: int) -> dict[str, int]:
        return {"size": tileb}

    def describe(self, isa: Isa | None = None) -> str:
        return f"m{self.reg} {_hex(self.data, self.size)}"


@dataclass(slots=True)
class MemAccess(EffectKind):
    """One memory access of `size` bytes at `addr`. `data` is the bytes moved, little-
    endian (a load's raw bytes before any extension; a store's bytes); `mask` marks
    the bytes of the access that moved (bit i: byte addr + i), all of them unless an
    element was masked off. A strided or indexed vector access is one `MemAccess` per
    element; a unit-stride one may be a single wide access."""

    addr: int
    size: int
    write: bool
    data: int
    mask: int
    KIND: ClassVar[str] = "mem"

    @staticmethod
    def port_fields(nbytes: int) -> dict[str, int]:
        return {"addr": 32, "size": nbytes.bit_length(), "write": 1, "mask": nbytes,
                "data": 8 * nbytes}

    @classmethod
    def whole(cls, addr: int, size: int, write: bool, data: int) -> "MemAccess":
        """An access that moves all of its `size` bytes (every scalar access)."""
        return cls(addr, size, write, data, (1 << size) - 1)

    def describe(self, isa: Isa | None = None) -> str:
        text = f"mem 0x{self.addr:08x}"
        if self.write:
            text += " " + _hex(self.data, self.size)
        if self.mask != (1 << self.size) - 1:
            text += f" mask 0x{self.mask:x}"
        return text


Effect = Union[TrapEffect, XWrite, CsrWrite, VWrite, TileWrite, MemAccess]

# The built-in kinds in record order; `KIND_RANK` and `KIND_BY_NAME` also hold the kinds
# that extensions register (`register_effect_kind`): consumers look kinds up there.
EFFECT_KINDS: tuple[type, ...] = (TrapEffect, XWrite, CsrWrite, VWrite, TileWrite, MemAccess)
KIND_BY_NAME: dict[str, type] = {kind.KIND: kind for kind in EFFECT_KINDS}
KIND_RANK: dict[type, int] = {kind: rank for rank, kind in enumerate(EFFECT_KINDS)}


# How a write to each register file is recorded: (register, value, width in bits) ->
# effect. The ISA declares register files (oxcore/isa/regfile.py); every file that
# instructions write needs an entry, so the interpreter knows what to record.
WriteEffect = Callable[[int, int, int], "Effect"]
REGISTER_WRITES: dict[str, WriteEffect] = {
    "x": lambda reg, value, bits: XWrite(reg, value),
    "v": lambda reg, value, bits: VWrite(reg, bits // 8, value, (1 << bits // 8) - 1),
    "tile": lambda reg, value, bits: TileWrite(reg, bits // 8, value),
}


def register_effect_kind(kind: type, register_file: str | None = None,
                         write: WriteEffect | None = None) -> None:
    """Add an effect kind (an extension's own state): it sorts after the built-in ones.
    It needs what the built-in kinds have: `KIND`, `port_fields`, `constants`,
    `describe` and dataclass fields of integers. With `register_file`, writes to that
    register file are recorded as this kind, made by `write(reg, value, bits)` (by
    default ``kind(reg, value)``)."""
    name = getattr(kind, "KIND", None)
    if not isinstance(name, str) or name in KIND_BY_NAME and KIND_BY_NAME[name] is not kind:
        raise ValueError(f"effect kind {kind.__name__}: KIND {name!r} missing or taken")
    if kind not in KIND_RANK:
        KIND_BY_NAME[name] = kind
        KIND_RANK[kind] = len(KIND_RANK)
    if register_file is not None:
        REGISTER_WRITES[register_file] = write or (lambda reg, value, bits: kind(reg, value))


@cache
def effect_fields(kind: type) -> tuple[str, ...]:
    """The dataclass fields of an effect kind, in declaration order."""
    return tuple(f.name for f in fields(kind))
