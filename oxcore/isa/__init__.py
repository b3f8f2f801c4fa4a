"""The OxCore ISA, described once as data.

Everything that knows an encoding (assembler, disassembler, interpreter, RTL decoder,
compiler, docs) derives it from :data:`INSTRUCTIONS`. Pure Python: no Amaranth here.
"""

from __future__ import annotations

from typing import Callable, Iterable

from oxcore.isa.csrs import CSR_BY_NAME, CSR_BY_NUMBER, CSRS, Csr, csr_name
from oxcore.isa.fields import CSR, FENCE, PCREL, SIMM, UIMM, XREG, Field, Format
from oxcore.isa.instruction import Instruction
from oxcore.isa.registers import parse_xreg, xreg_name
from oxcore.isa.rv32 import RV32I, RV32M, ZICSR, Opcode

INSTRUCTIONS: tuple[Instruction, ...] = RV32I + RV32M + ZICSR
BY_MNEMONIC: dict[str, Instruction] = {ins.mnemonic: ins for ins in INSTRUCTIONS}

__all__ = [
    "INSTRUCTIONS", "BY_MNEMONIC", "Instruction", "Field", "Format", "Opcode", "Csr", "CSRS",
    "CSR_BY_NAME", "CSR_BY_NUMBER", "decode", "format_instruction", "format_fence",
    "parse_xreg", "xreg_name", "csr_name", "XREG", "SIMM", "UIMM", "PCREL", "CSR", "FENCE",
]


def _check_unambiguous(instructions: Iterable[Instruction]) -> None:
    """No word may match two instructions: the table must decode deterministically."""
    items = list(instructions)
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            common = a.mask & b.mask
            if (a.match & common) == (b.match & common):
                raise ValueError(f"encodings of {a.mnemonic} and {b.mnemonic} overlap")


_check_unambiguous(INSTRUCTIONS)

# Decode tables: one dict per distinct mask, most specific mask first.
_DECODE: list[tuple[int, dict[int, Instruction]]] = []
for _ins in sorted(INSTRUCTIONS, key=lambda ins: -bin(ins.mask).count("1")):
    for _mask, _table in _DECODE:
        if _mask == _ins.mask:
            _table[_ins.match] = _ins
            break
    else:
        _DECODE.append((_ins.mask, {_ins.match: _ins}))


def decode(word: int) -> Instruction | None:
    """The instruction that `word` encodes, or None for an illegal/unknown word."""
    for mask, table in _DECODE:
        ins = table.get(word & mask)
        if ins is not None:
            return ins
    return None


_FENCE_BITS = "iorw"


def format_fence(bits: int) -> str:
    """Fence set as assembly text: subset of 'iorw' (bit 3 = i ... bit 0 = w), '0' if empty."""
    text = "".join(ch for i, ch in enumerate(_FENCE_BITS) if bits & (8 >> i))
    return text or "0"


def format_operand(field: Field, value: int, pc: int | None,
                   symbolize: Callable[[int], str | None] | None = None) -> str:
    """One operand as the disassembler prints it (LLVM style)."""
    if field.kind == XREG:
        return xreg_name(value)
    if field.kind == CSR:
        return csr_name(value)
    if field.kind == FENCE:
        return format_fence(value)
    if field.kind == PCREL and pc is not None:
        target = (pc + value) & 0xFFFF_FFFF
        name = symbolize(target) if symbolize else None
        return name if name else f"{target:#x}"
    return str(value)


def format_instruction(word: int, pc: int | None = None,
                       symbolize: Callable[[int], str | None] | None = None) -> str:
    """Disassemble one 32-bit word: ``add a0, a1, a2``; ``.word 0x...`` if illegal.

    With `pc`, branch and jump targets print as absolute addresses (or the name that
    `symbolize` gives the address); without it, as byte offsets.
    """
    ins = decode(word)
    if ins is None:
        return f".word {word:#010x}"
    values = ins.operand_values(word)
    text = ins.syntax
    for field in ins.operands:
        text = text.replace("{" + field.name + "}",
                            format_operand(field, values[field.name], pc, symbolize))
    return f"{ins.mnemonic} {text}" if text else ins.mnemonic
