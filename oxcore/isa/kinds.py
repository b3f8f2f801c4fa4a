"""Operand kinds: what an operand is, as objects that own its behaviour.

A kind knows how its operand is written in assembly (`parse`, `format`), which values
are legal (`range_error`), how the ISA reference describes it (`doc`) and which
register file it names, if any. The assembler, disassembler, docs and RTL decoder ask
the kind instead of switching on a name, so a new kind (a vector mask, a `vtype` list)
is one class here or in its extension module, and no consumer changes.

Syntax-level facts a kind also owns:
- `items`: how many comma-separated assembly items the operand spans (``e32, m1, ta, ma``
  is one `vtype` operand of 2 to 4 items);
- `default`: a value used when a trailing optional operand is omitted (``, v0.t``);
- `immediate`: a number the RTL decoder extracts as an immediate;
- `expression`: the assembler accepts an expression (labels, ``%lo(...)``) for it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

from oxcore.isa.regfile import TILE, V, X, RegisterFile

if TYPE_CHECKING:
    from oxcore.isa.fields import Field

Symbolize = Callable[[int], "str | None"]


class CsrNames(Protocol):
    """What CSR operands need from an ISA: its CSR names and numbers."""

    def csr_number(self, name: str) -> int | None: ...
    def csr_name(self, number: int) -> str: ...


class OperandKind:
    """Base kind: a plain number; subclasses override what differs."""

    name = "operand"
    register_file: RegisterFile | None = None
    immediate = False
    expression = False
    items: tuple[int, int] = (1, 1)  # (fewest, most) comma-separated assembly items
    default: int | None = None  # set: the operand is optional (trailing) with this value
    description = "operand"  # error messages: "expected <description>" ({name}: operand)

    def parse(self, items: Sequence[str], names: CsrNames) -> int | None:
        """The value of operand text that names it (a register, a CSR name, ...), or None
        if the text is not a name of this kind (then it may be an expression)."""
        return None

    def format(self, value: int, names: CsrNames, pc: int | None = None,
               symbolize: Symbolize | None = None) -> str:
        """The operand as the disassembler prints it (LLVM style)."""
        return str(value)

    def range_error(self, field: "Field", value: int, mnemonic: str) -> str | None:
        """Why `value` cannot be encoded in `field` (an assembler message), or None."""
        if not field.min_value <= value <= field.max_value:
            return (f"immediate {value} out of range for '{mnemonic}': must be an integer "
                    f"in [{field.min_value}, {field.max_value}]")
        return None

    def doc(self, field: "Field") -> str:
        """The ISA reference's description of an operand of this kind in `field`."""
        return f"{self.name}, {field.width} bits"

    def __repr__(self) -> str:
        return f"<operand kind {self.name}>"


class Fixed(OperandKind):
    """Opcode/funct bits: never an operand."""

    name = "fixed"


class RegisterKind(OperandKind):
    """A register of one register file, by number, prefixed name or ABI name."""

    def __init__(self, register_file: RegisterFile) -> None:
        self.register_file = register_file
        self.name = f"{register_file.name}reg"
        self.description = "a register"

    def parse(self, items: Sequence[str], names: CsrNames) -> int | None:
        return self.register_file.parse(items[0]) if len(items) == 1 else None

    def format(self, value: int, names: CsrNames, pc: int | None = None,
               symbolize: Symbolize | None = None) -> str:
        return self.register_file.register_name(value)

    def doc(self, field: "Field") -> str:
        rf = self.register_file
        first, last = f"{rf.prefix}0", f"{rf.prefix}{rf.count - 1}"
        spelling = " (ABI name or xN)" if rf.abi_names else ""
        return f"{rf.description} {first}..{last}{spelling}"


class SImm(OperandKind):
    name = "simm"
    immediate = expression = True
    description = "an immediate for operand {name}"

    def doc(self, field: "Field") -> str:
        return f"signed immediate, {field.width} bits: {_range(field)}"


class UImm(SImm):
    name = "uimm"

    def doc(self, field: "Field") -> str:
        return f"unsigned immediate, {field.width} bits: {_range(field)}"


class PcRel(SImm):
    """A pc-relative target: a label, or a literal byte offset."""

    name = "pcrel"
    description = "a branch target"

    def format(self, value: int, names: CsrNames, pc: int | None = None,
               symbolize: Symbolize | None = None) -> str:
        if pc is None:
            return str(value)
        target = (pc + value) & 0xFFFF_FFFF
        name = symbolize(target) if symbolize else None
        return name if name else f"{target:#x}"

    def range_error(self, field: "Field", value: int, mnemonic: str) -> str | None:
        low, high = field.min_value, field.max_value - field.max_value % field.align
        what = "branch" if field.width == 13 else "jump"
        if not low <= value <= high:
            return f"{what} target out of range: offset {value} is not in [{low}, {high}]"
        if value % field.align:
            return f"{what} offset {value} is misaligned: must be a multiple of {field.align}"
        return None

    def doc(self, field: "Field") -> str:
        return f"pc-relative byte offset (a label in assembly), {field.width} bits: " \
               f"{_range(field)}"


class CsrNumber(OperandKind):
    """A CSR, by name (from the ISA's CSR table) or number."""

    name = "csr"
    expression = True
    description = "a CSR name or number"

    def parse(self, items: Sequence[str], names: CsrNames) -> int | None:
        return names.csr_number(items[0].lower()) if len(items) == 1 else None

    def format(self, value: int, names: CsrNames, pc: int | None = None,
               symbolize: Symbolize | None = None) -> str:
        return names.csr_name(value)

    def range_error(self, field: "Field", value: int, mnemonic: str) -> str | None:
        if not field.min_value <= value <= field.max_value:
            return (f"CSR number {value} out of range for '{mnemonic}': must be an integer "
                    f"in [{field.min_value}, {field.max_value}]")
        return None

    def doc(self, field: "Field") -> str:
        return f"CSR number (name or number in assembly), {field.width} bits"


FENCE_LETTERS = "iorw"


def fence_bits(text: str) -> int | None:
    """``iorw`` subset (in order) -> 4-bit set; ``0`` -> 0; None if malformed."""
    text = text.strip().lower()
    if text == "0":
        return 0
    if not text or not re.fullmatch("i?o?r?w?", text):
        return None
    return sum(8 >> FENCE_LETTERS.index(ch) for ch in text)


def format_fence(bits: int) -> str:
    """Fence set as assembly text: subset of 'iorw' (bit 3 = i ... bit 0 = w), '0' if empty."""
    text = "".join(ch for i, ch in enumerate(FENCE_LETTERS) if bits & (8 >> i))
    return text or "0"


class Fence(OperandKind):
    """A fence predecessor/successor set: letters from ``iorw`` in order, or 0."""

    name = "fence"
    description = "a fence set"

    def parse(self, items: Sequence[str], names: CsrNames) -> int | None:
        return fence_bits(items[0]) if len(items) == 1 else None

    def format(self, value: int, names: CsrNames, pc: int | None = None,
               symbolize: Symbolize | None = None) -> str:
        return format_fence(value)

    def doc(self, field: "Field") -> str:
        return f"fence set: subset of `iorw`, {field.width} bits"


class VType(OperandKind):
    """RVV's `vtype` immediate written as a list: ``e32, m1, ta, ma`` (policies optional,
    defaulting to ``tu, mu``). Bits: vlmul[2:0], vsew[5:3], vta[6], vma[7]."""

    name = "vtype"
    immediate = True
    items = (2, 4)
    description = "a vtype list such as 'e32, m1, ta, ma'"
    SEW = {"e8": 0, "e16": 1, "e32": 2, "e64": 3}
    LMUL = {"m1": 0, "m2": 1, "m4": 2, "m8": 3, "mf8": 5, "mf4": 6, "mf2": 7}
    TAIL = {"tu": 0, "ta": 1}
    MASK = {"mu": 0, "ma": 1}

    def parse(self, items: Sequence[str], names: CsrNames) -> int | None:
        words = [item.strip().lower() for item in items]
        if not 2 <= len(words) <= 4:
            return None
        sew, lmul, *policies = words
        tail = policies[0] if policies else "tu"
        mask = policies[1] if len(policies) > 1 else "mu"
        if sew not in self.SEW or lmul not in self.LMUL or tail not in self.TAIL \
                or mask not in self.MASK:
            return None
        return (self.LMUL[lmul] | self.SEW[sew] << 3 | self.TAIL[tail] << 6
                | self.MASK[mask] << 7)

    def format(self, value: int, names: CsrNames, pc: int | None = None,
               symbolize: Symbolize | None = None) -> str:
        lmul = _key(self.LMUL, value & 7)
        sew = _key(self.SEW, (value >> 3) & 7)
        if value >> 8 or lmul is None or sew is None:
            return str(value)  # reserved encodings print as the number, like LLVM
        return f"{sew}, {lmul}, {_key(self.TAIL, (value >> 6) & 1)}, " \
               f"{_key(self.MASK, (value >> 7) & 1)}"

    def doc(self, field: "Field") -> str:
        return f"vtype list `eSEW, mLMUL[, ta|tu[, ma|mu]]`, {field.width} bits"


class Mask(OperandKind):
    """RVV's optional trailing ``v0.t``: encoded vm=0; omitted means unmasked (vm=1)."""

    name = "vmask"
    default = 1
    description = "'v0.t'"

    def parse(self, items: Sequence[str], names: CsrNames) -> int | None:
        return 0 if len(items) == 1 and items[0].strip().lower() == "v0.t" else None

    def format(self, value: int, names: CsrNames, pc: int | None = None,
               symbolize: Symbolize | None = None) -> str:
        return "v0.t" if value == 0 else ""

    def doc(self, field: "Field") -> str:
        return "optional `v0.t` (masked by v0); omitted: unmasked"


class PseudoKind(OperandKind):
    """Kinds that exist only in pseudo-instructions: an expression of some sort."""

    expression = True

    def __init__(self, name: str, description: str) -> None:
        self.name, self.description = name, description


def _range(field: "Field") -> str:
    text = f"{field.min_value} .. {field.max_value - field.max_value % field.align}"
    return text + (f", multiple of {field.align}" if field.align > 1 else "")


def _key(table: dict[str, int], value: int) -> str | None:
    return next((k for k, v in table.items() if v == value), None)


FIXED = Fixed()
XREG = RegisterKind(X)
VREG = RegisterKind(V)
TILEREG = RegisterKind(TILE)
SIMM = SImm()
UIMM = UImm()
PCREL = PcRel()
CSR = CsrNumber()
FENCE = Fence()
VTYPE = VType()
VMASK = Mask()
# Pseudo-instruction operands (the others are the kinds of the real fields they fill).
IMM32 = PseudoKind("imm32", "a 32-bit constant")  # must be known when read (li)
SYMBOL = PseudoKind("symbol", "a symbol")  # an expression naming a symbol (call, tail)
TARGET = PseudoKind("target", "an address or symbol")  # a symbol or constant address (la)
