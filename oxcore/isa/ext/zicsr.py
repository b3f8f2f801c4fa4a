"""Zicsr: CSR access instructions, with the CSRs OxCore implements (oxcore.isa.csrs)."""

from __future__ import annotations

from oxcore.isa.csrs import CSRS
from oxcore.isa.ext.common import Opcode, row
from oxcore.isa.extension import Extension
from oxcore.isa.fields import CSR_TYPE, CSRI_TYPE
from oxcore.isa.instruction import Instruction


def _csr(mnemonic: str, funct3: int, source: str, update: str, summary: str) -> Instruction:
    immediate = source == "uimm"
    fmt, syntax = (CSRI_TYPE, "{rd}, {csr}, {uimm}") if immediate else (CSR_TYPE,
                                                                       "{rd}, {csr}, {rs1}")
    value = "uimm" if immediate else "x[rs1]"
    if update == "write":  # csrrw: reads only when rd != x0, always writes
        semantics = (f"old = csr_read(csr) if rd else 0\ncsr_write(csr, {value})\n"
                     "x[rd] = old")
    else:  # csrrs/csrrc: always reads, writes only when the source is non-zero
        new = f"old | {value}" if update == "set" else f"old & ~{value}"
        semantics = f"old = csr_read(csr)\nif {source}:\n    csr_write(csr, {new})\nx[rd] = old"
    return row(mnemonic, "Zicsr", fmt, dict(opcode=Opcode.SYSTEM, funct3=funct3), syntax,
                semantics, summary)


INSTRUCTIONS: tuple[Instruction, ...] = (
    _csr("csrrw", 0b001, "rs1", "write", "atomic read/write CSR"),
    _csr("csrrs", 0b010, "rs1", "set", "atomic read and set bits in CSR"),
    _csr("csrrc", 0b011, "rs1", "clear", "atomic read and clear bits in CSR"),
    _csr("csrrwi", 0b101, "uimm", "write", "atomic read/write CSR, immediate"),
    _csr("csrrsi", 0b110, "uimm", "set", "atomic read and set bits in CSR, immediate"),
    _csr("csrrci", 0b111, "uimm", "clear", "atomic read and clear bits in CSR, immediate"),
)

ZICSR = Extension("Zicsr", "zicsr", INSTRUCTIONS, csrs=CSRS)
