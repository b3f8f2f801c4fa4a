"""RV32I: the base integer instruction set (unprivileged spec, chapter 2)."""

from __future__ import annotations

from oxcore.isa.ext.common import Opcode, op, row
from oxcore.isa.extension import Extension
from oxcore.isa.fields import (B_TYPE, FENCE_TYPE, I_TYPE, J_TYPE, S_TYPE, SHIFT_TYPE,
                               SYSTEM_TYPE, U_TYPE)
from oxcore.isa.instruction import Instruction, MemoryAccess

# A branch's condition name (a row attribute the RTL uses) -> its test in the semantics.
CONDITION_SEMANTICS = {
    "eq": "x[rs1] == x[rs2]", "ne": "x[rs1] != x[rs2]",
    "lt": "sx(x[rs1]) < sx(x[rs2])", "ge": "sx(x[rs1]) >= sx(x[rs2])",
    "ltu": "x[rs1] < x[rs2]", "geu": "x[rs1] >= x[rs2]",
}


def _op_imm(mnemonic: str, funct3: int, semantics: str, summary: str) -> Instruction:
    return row(mnemonic, "RV32I", I_TYPE, dict(opcode=Opcode.OP_IMM, funct3=funct3),
               "{rd}, {rs1}, {imm}", semantics, summary)


def _shift_imm(mnemonic: str, funct3: int, funct7: int, semantics: str,
               summary: str) -> Instruction:
    return row(mnemonic, "RV32I", SHIFT_TYPE,
               dict(opcode=Opcode.OP_IMM, funct3=funct3, funct7=funct7),
               "{rd}, {rs1}, {shamt}", semantics, summary)


def _branch(mnemonic: str, funct3: int, condition: str, summary: str) -> Instruction:
    return row(mnemonic, "RV32I", B_TYPE, dict(opcode=Opcode.BRANCH, funct3=funct3),
               "{rs1}, {rs2}, {imm}",
               f"if {CONDITION_SEMANTICS[condition]}:\n    jump(pc + imm)", summary,
               flow="branch", condition=condition)


def _load(mnemonic: str, funct3: int, size: int, signed: bool, summary: str) -> Instruction:
    value = f"load(x[rs1] + imm, {size})"
    if signed and size < 4:
        value = f"sext({value}, {8 * size})"
    return row(mnemonic, "RV32I", I_TYPE, dict(opcode=Opcode.LOAD, funct3=funct3),
               "{rd}, {imm}({rs1})", f"x[rd] = {value}", summary,
               memory=MemoryAccess("load", size, signed))


def _store(mnemonic: str, funct3: int, size: int, summary: str) -> Instruction:
    return row(mnemonic, "RV32I", S_TYPE, dict(opcode=Opcode.STORE, funct3=funct3),
               "{rs2}, {imm}({rs1})", f"store(x[rs1] + imm, {size}, x[rs2])", summary,
               memory=MemoryAccess("store", size))


def _system(mnemonic: str, funct12: int, semantics: str, summary: str) -> Instruction:
    return row(mnemonic, "RV32I", SYSTEM_TYPE,
               dict(opcode=Opcode.SYSTEM, rd=0, funct3=0, rs1=0, funct12=funct12),
               "", semantics, summary)


INSTRUCTIONS: tuple[Instruction, ...] = (
    row("lui", "RV32I", U_TYPE, dict(opcode=Opcode.LUI), "{rd}, {imm}",
         "x[rd] = imm << 12", "load upper immediate"),
    row("auipc", "RV32I", U_TYPE, dict(opcode=Opcode.AUIPC), "{rd}, {imm}",
         "x[rd] = pc + (imm << 12)", "add upper immediate to pc"),
    row("jal", "RV32I", J_TYPE, dict(opcode=Opcode.JAL), "{rd}, {imm}",
         "jump(pc + imm)\nx[rd] = pc + 4", "jump and link", flow="direct"),
    row("jalr", "RV32I", I_TYPE, dict(opcode=Opcode.JALR, funct3=0), "{rd}, {imm}({rs1})",
         "jump((x[rs1] + imm) & ~1)\nx[rd] = pc + 4",
         "jump and link register (target's bit 0 cleared)", flow="indirect"),
    _branch("beq", 0b000, "eq", "branch if equal"),
    _branch("bne", 0b001, "ne", "branch if not equal"),
    _branch("blt", 0b100, "lt", "branch if less than (signed)"),
    _branch("bge", 0b101, "ge", "branch if greater or equal (signed)"),
    _branch("bltu", 0b110, "ltu", "branch if less than (unsigned)"),
    _branch("bgeu", 0b111, "geu", "branch if greater or equal (unsigned)"),
    _load("lb", 0b000, 1, True, "load byte, sign-extended"),
    _load("lh", 0b001, 2, True, "load halfword, sign-extended"),
    _load("lw", 0b010, 4, False, "load word"),
    _load("lbu", 0b100, 1, False, "load byte, zero-extended"),
    _load("lhu", 0b101, 2, False, "load halfword, zero-extended"),
    _store("sb", 0b000, 1, "store byte"),
    _store("sh", 0b001, 2, "store halfword"),
    _store("sw", 0b010, 4, "store word"),
    _op_imm("addi", 0b000, "x[rd] = x[rs1] + imm", "add immediate"),
    _op_imm("slti", 0b010, "x[rd] = int(sx(x[rs1]) < imm)", "set if less than immediate"),
    _op_imm("sltiu", 0b011, "x[rd] = int(x[rs1] < (imm & 0xFFFFFFFF))",
            "set if less than immediate, unsigned (immediate sign-extended first)"),
    _op_imm("xori", 0b100, "x[rd] = x[rs1] ^ imm", "exclusive or immediate"),
    _op_imm("ori", 0b110, "x[rd] = x[rs1] | imm", "or immediate"),
    _op_imm("andi", 0b111, "x[rd] = x[rs1] & imm", "and immediate"),
    _shift_imm("slli", 0b001, 0b0000000, "x[rd] = x[rs1] << shamt", "shift left immediate"),
    _shift_imm("srli", 0b101, 0b0000000, "x[rd] = x[rs1] >> shamt",
               "shift right logical immediate"),
    _shift_imm("srai", 0b101, 0b0100000, "x[rd] = sx(x[rs1]) >> shamt",
               "shift right arithmetic immediate"),
    op("add", "RV32I", 0b000, 0b0000000, "x[rd] = x[rs1] + x[rs2]", "add"),
    op("sub", "RV32I", 0b000, 0b0100000, "x[rd] = x[rs1] - x[rs2]", "subtract"),
    op("sll", "RV32I", 0b001, 0b0000000, "x[rd] = x[rs1] << (x[rs2] & 31)",
        "shift left logical"),
    op("slt", "RV32I", 0b010, 0b0000000, "x[rd] = int(sx(x[rs1]) < sx(x[rs2]))",
        "set if less than"),
    op("sltu", "RV32I", 0b011, 0b0000000, "x[rd] = int(x[rs1] < x[rs2])",
        "set if less than, unsigned"),
    op("xor", "RV32I", 0b100, 0b0000000, "x[rd] = x[rs1] ^ x[rs2]", "exclusive or"),
    op("srl", "RV32I", 0b101, 0b0000000, "x[rd] = x[rs1] >> (x[rs2] & 31)",
        "shift right logical"),
    op("sra", "RV32I", 0b101, 0b0100000, "x[rd] = sx(x[rs1]) >> (x[rs2] & 31)",
        "shift right arithmetic"),
    op("or", "RV32I", 0b110, 0b0000000, "x[rd] = x[rs1] | x[rs2]", "or"),
    op("and", "RV32I", 0b111, 0b0000000, "x[rd] = x[rs1] & x[rs2]", "and"),
    row("fence", "RV32I", FENCE_TYPE,
         dict(opcode=Opcode.MISC_MEM, rd=0, funct3=0, rs1=0, fm=0), "{pred}, {succ}",
         "pass", "memory ordering fence (a no-op on OxCore's in-order single hart)"),
    row("fence.tso", "RV32I", FENCE_TYPE,
         dict(opcode=Opcode.MISC_MEM, rd=0, funct3=0, rs1=0, fm=0b1000, pred=0b0011,
              succ=0b0011), "", "pass",
         "total-store-order fence (a no-op on OxCore's in-order single hart)"),
    _system("ecall", 0, "ecall()", "environment call (OxCore syscall ABI: a7 selects)"),
    _system("ebreak", 1, "ebreak()", "breakpoint: stops the simulation"),
)


RV32I = Extension("RV32I", None, INSTRUCTIONS)  # the base: `MCPU_BASE` already names it
