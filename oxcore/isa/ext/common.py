"""Row builders shared by the extension modules, and the RISC-V major opcodes."""

from __future__ import annotations

from oxcore.isa.fields import R_TYPE, Format
from oxcore.isa.instruction import Instruction, MemoryAccess


class Opcode:
    """RISC-V major opcodes (inst[6:0]). The custom ones are for OxCore extensions."""

    LOAD = 0b0000011
    CUSTOM_0 = 0b0001011
    MISC_MEM = 0b0001111
    OP_IMM = 0b0010011
    AUIPC = 0b0010111
    STORE = 0b0100011
    CUSTOM_1 = 0b0101011
    OP = 0b0110011
    LUI = 0b0110111
    OP_V = 0b1010111
    BRANCH = 0b1100011
    JALR = 0b1100111
    JAL = 0b1101111
    SYSTEM = 0b1110011


def row(mnemonic: str, ext: str, fmt: Format, fixed: dict[str, int], syntax: str,
        semantics: str, summary: str, *, memory: MemoryAccess | None = None,
        flow: str | None = None, condition: str | None = None) -> Instruction:
    return Instruction(mnemonic, ext, fmt, fixed, syntax, semantics, summary,
                       memory=memory, flow=flow, condition=condition)


def op(mnemonic: str, ext: str, funct3: int, funct7: int, semantics: str,
       summary: str) -> Instruction:
    """An R-type register-register instruction of the OP major opcode."""
    return row(mnemonic, ext, R_TYPE, dict(opcode=Opcode.OP, funct3=funct3, funct7=funct7),
               "{rd}, {rs1}, {rs2}", semantics, summary)
