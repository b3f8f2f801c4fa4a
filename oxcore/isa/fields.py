"""Instruction fields and formats: where each operand's bits live in a 32-bit word.

A field is a list of pieces ``(inst_hi, inst_lo, value_lo)``: instruction bits
``[inst_hi:inst_lo]`` hold value bits ``[value_lo + (inst_hi - inst_lo) : value_lo]``.
That one description serves the encoder, the decoder, the RTL decoder and the docs,
including scattered immediates such as the B and J formats'.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from oxcore.errors import EncodingError

from oxcore.isa.kinds import (CSR, FENCE, FIXED, PCREL, SIMM, UIMM, XREG,  # noqa: F401
                              OperandKind)


@dataclass(frozen=True)
class Field:
    """A named instruction field; `pieces` map instruction bits to value bits."""

    name: str
    pieces: tuple[tuple[int, int, int], ...]
    kind: OperandKind = FIXED
    signed: bool = False

    @cached_property  # the decoders ask on every instruction
    def width(self) -> int:
        """Number of value bits, including implicit low zero bits (B/J/U)."""
        return max(vlo + hi - lo + 1 for hi, lo, vlo in self.pieces)

    @property
    def align(self) -> int:
        """Values must be multiples of this (2 for branch offsets, 1 otherwise)."""
        return 1 << min(vlo for _, _, vlo in self.pieces)

    @property
    def inst_mask(self) -> int:
        mask = 0
        for hi, lo, _ in self.pieces:
            mask |= ((1 << (hi - lo + 1)) - 1) << lo
        return mask

    @property
    def min_value(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_value(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    def extract(self, word: int) -> int:
        """Field value in `word`, sign-extended for signed fields."""
        value = 0
        for hi, lo, vlo in self.pieces:
            value |= ((word >> lo) & ((1 << (hi - lo + 1)) - 1)) << vlo
        if self.signed and value >> (self.width - 1):
            value -= 1 << self.width
        return value

    def check(self, value: int) -> None:
        """Raise EncodingError if `value` cannot be encoded in this field."""
        if not self.min_value <= value <= self.max_value:
            raise EncodingError(
                f"{self.name} {value} out of range [{self.min_value}, {self.max_value}]")
        if value % self.align:
            raise EncodingError(f"{self.name} {value} is not a multiple of {self.align}")

    def insert(self, value: int) -> int:
        """The instruction bits that encode `value` (range-checked)."""
        self.check(value)
        value &= (1 << self.width) - 1
        word = 0
        for hi, lo, vlo in self.pieces:
            word |= ((value >> vlo) & ((1 << (hi - lo + 1)) - 1)) << lo
        return word

    def describe_bits(self) -> str:
        """Human-readable placement, e.g. ``imm[11:5]=inst[31:25]`` (for the docs)."""
        parts = []
        for hi, lo, vlo in self.pieces:
            vhi = vlo + hi - lo
            vbits = f"{vhi}:{vlo}" if vhi != vlo else f"{vlo}"
            ibits = f"{hi}:{lo}" if hi != lo else f"{lo}"
            parts.append(f"{self.name}[{vbits}]=inst[{ibits}]")
        return ", ".join(parts)


def simple(name: str, hi: int, lo: int, kind: OperandKind = FIXED, signed: bool = False) -> Field:
    """A field stored contiguously at bits [hi:lo] with value bit 0 at `lo`."""
    return Field(name, ((hi, lo, 0),), kind, signed)


@dataclass(frozen=True)
class Format:
    """An instruction format: its fields, covering all 32 bits exactly once."""

    name: str
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        covered = 0
        for field in self.fields:
            if covered & field.inst_mask:
                raise ValueError(f"format {self.name}: field {field.name} overlaps another")
            covered |= field.inst_mask
        if covered != 0xFFFF_FFFF:
            raise ValueError(f"format {self.name}: bits {~covered & 0xFFFFFFFF:#010x} uncovered")

    def field(self, name: str) -> Field:
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(f"format {self.name} has no field {name!r}")


OPCODE = simple("opcode", 6, 0)
RD = simple("rd", 11, 7, XREG)
FUNCT3 = simple("funct3", 14, 12)
RS1 = simple("rs1", 19, 15, XREG)
RS2 = simple("rs2", 24, 20, XREG)
FUNCT7 = simple("funct7", 31, 25)

R_TYPE = Format("R", (OPCODE, RD, FUNCT3, RS1, RS2, FUNCT7))
I_TYPE = Format("I", (OPCODE, RD, FUNCT3, RS1, simple("imm", 31, 20, SIMM, signed=True)))
SHIFT_TYPE = Format("I-shift", (OPCODE, RD, FUNCT3, RS1, simple("shamt", 24, 20, UIMM), FUNCT7))
S_TYPE = Format("S", (OPCODE, FUNCT3, RS1, RS2,
                      Field("imm", ((31, 25, 5), (11, 7, 0)), SIMM, signed=True)))
B_TYPE = Format("B", (OPCODE, FUNCT3, RS1, RS2,
                      Field("imm", ((31, 31, 12), (30, 25, 5), (11, 8, 1), (7, 7, 11)),
                            PCREL, signed=True)))
U_TYPE = Format("U", (OPCODE, RD, simple("imm", 31, 12, UIMM)))
J_TYPE = Format("J", (OPCODE, RD,
                      Field("imm", ((31, 31, 20), (30, 21, 1), (20, 20, 11), (19, 12, 12)),
                            PCREL, signed=True)))
CSR_TYPE = Format("CSR", (OPCODE, RD, FUNCT3, RS1, simple("csr", 31, 20, CSR)))
CSRI_TYPE = Format("CSR-imm", (OPCODE, RD, FUNCT3, simple("uimm", 19, 15, UIMM),
                               simple("csr", 31, 20, CSR)))
FENCE_TYPE = Format("FENCE", (OPCODE, RD, FUNCT3, RS1, simple("succ", 23, 20, FENCE),
                              simple("pred", 27, 24, FENCE), simple("fm", 31, 28)))
SYSTEM_TYPE = Format("SYS", (OPCODE, RD, FUNCT3, RS1, simple("funct12", 31, 20)))
