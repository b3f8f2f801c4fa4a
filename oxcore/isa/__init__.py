"""The OxCore ISA, described once as data.

Everything that knows an encoding (assembler, disassembler, interpreter, RTL decoder,
compiler, docs) derives it from an :class:`Isa`: the extensions a configuration selects
(`isa_for`), each an :class:`Extension` module under :mod:`oxcore.isa.ext`. The
module-level names (`INSTRUCTIONS`, `decode`, `format_instruction`, ...) are those of
the default selection, RV32IM + Zicsr. Pure Python: no Amaranth here.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

from oxcore.isa.csrs import CSR_BY_NAME, CSR_BY_NUMBER, CSRS, Csr, csr_name
from oxcore.isa.ext.common import Opcode
from oxcore.isa.ext.rv32i import RV32I
from oxcore.isa.ext.rv32m import RV32M
from oxcore.isa.ext.zicsr import ZICSR
from oxcore.isa.ext.xoxtensor import XOXTENSOR
from oxcore.isa.ext.zve32x import ZVE32X
from oxcore.isa.extension import Extension, Isa
from oxcore.isa.fields import Field, Format
from oxcore.isa.instruction import Instruction, MemoryAccess
from oxcore.isa.kinds import (CSR, FENCE, PCREL, SIMM, UIMM, XREG, OperandKind,
                              format_fence)
from oxcore.isa.regfile import RegisterFile
from oxcore.isa.registers import parse_xreg, xreg_name

# Every extension OxCore knows, in table order; a configuration selects by predicate.
EXTENSIONS: tuple[Extension, ...] = (RV32I, RV32M, ZICSR, ZVE32X, XOXTENSOR)
_ISAS: dict[tuple[Extension, ...], Isa] = {}


def isa_for(config: Any = None, extra: tuple[Extension, ...] = ()) -> Isa:
    """The ISA a core configuration implements: the extensions whose predicate accepts
    it (all of them for None), from `EXTENSIONS` and `extra` (a plug-in being developed,
    a test's toy extension). One `Isa` per selection, built once."""
    selected = tuple(ext for ext in EXTENSIONS + tuple(extra)
                     if config is None or ext.available(config))
    isa = _ISAS.get(selected)
    if isa is None:
        isa = _ISAS[selected] = Isa(selected)
    return isa


# The scalar core's ISA (the `default` preset: RV32IM + Zicsr), and everything OxCore
# knows (the ISA reference documents all of it).
DEFAULT_ISA = isa_for(SimpleNamespace(vector=None, tensor=None))
FULL_ISA = isa_for(None)
INSTRUCTIONS: tuple[Instruction, ...] = DEFAULT_ISA.instructions
BY_MNEMONIC: dict[str, Instruction] = DEFAULT_ISA.by_mnemonic
decode = DEFAULT_ISA.decode

__all__ = [
    "INSTRUCTIONS", "BY_MNEMONIC", "Instruction", "Field", "Format", "Opcode", "Csr", "CSRS",
    "CSR_BY_NAME", "CSR_BY_NUMBER", "decode", "format_instruction", "format_fence",
    "parse_xreg", "xreg_name", "csr_name", "XREG", "SIMM", "UIMM", "PCREL", "CSR", "FENCE",
    "Extension", "Isa", "isa_for", "DEFAULT_ISA", "FULL_ISA", "EXTENSIONS", "MemoryAccess",
    "OperandKind", "RegisterFile", "format_operand",
]


def format_operand(field: Field, value: int, pc: int | None,
                   symbolize: Callable[[int], str | None] | None = None,
                   isa: Isa = DEFAULT_ISA) -> str:
    """One operand as the disassembler prints it (LLVM style)."""
    return field.kind.format(value, isa, pc, symbolize)


def format_instruction(word: int, pc: int | None = None,
                       symbolize: Callable[[int], str | None] | None = None,
                       isa: Isa = DEFAULT_ISA) -> str:
    """Disassemble one 32-bit word with `isa` (see :meth:`Isa.format_instruction`)."""
    return isa.format_instruction(word, pc, symbolize)
