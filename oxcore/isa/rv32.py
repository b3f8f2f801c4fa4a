"""RV32I, RV32M and Zicsr, described once as data.

Each row: mnemonic, format, fixed fields, operand syntax, semantics, summary.
Semantics are written in the semantics language (see :mod:`oxcore.isa.semantics`):
``x[r]`` reads a register as an unsigned 32-bit value, ``x[rd] = v`` writes
``v mod 2**32`` (writes to x0 are dropped), ``sx(v)`` is the signed view of a 32-bit
value, ``jump(t)`` sets the next pc (taking effect after the instruction; the target is
checked first, so a misaligned jump traps with no effect), and ``load``/``store``/
``csr_read``/``csr_write``/``ecall``/``ebreak`` are the effects on the machine.
"""

from __future__ import annotations

from oxcore.isa.fields import (B_TYPE, CSR_TYPE, CSRI_TYPE, FENCE_TYPE, I_TYPE, J_TYPE,
                               R_TYPE, S_TYPE, SHIFT_TYPE, SYSTEM_TYPE, U_TYPE, Format)
from oxcore.isa.instruction import Instruction


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


def _row(mnemonic: str, ext: str, fmt: Format, fixed: dict[str, int], syntax: str,
         semantics: str, summary: str) -> Instruction:
    return Instruction(mnemonic, ext, fmt, fixed, syntax, semantics, summary)


def _op(mnemonic: str, ext: str, funct3: int, funct7: int, semantics: str,
        summary: str) -> Instruction:
    return _row(mnemonic, ext, R_TYPE, dict(opcode=Opcode.OP, funct3=funct3, funct7=funct7),
                "{rd}, {rs1}, {rs2}", semantics, summary)


def _op_imm(mnemonic: str, funct3: int, semantics: str, summary: str) -> Instruction:
    return _row(mnemonic, "RV32I", I_TYPE, dict(opcode=Opcode.OP_IMM, funct3=funct3),
                "{rd}, {rs1}, {imm}", semantics, summary)


def _shift_imm(mnemonic: str, funct3: int, funct7: int, semantics: str,
               summary: str) -> Instruction:
    return _row(mnemonic, "RV32I", SHIFT_TYPE,
                dict(opcode=Opcode.OP_IMM, funct3=funct3, funct7=funct7),
                "{rd}, {rs1}, {shamt}", semantics, summary)


def _branch(mnemonic: str, funct3: int, condition: str, summary: str) -> Instruction:
    return _row(mnemonic, "RV32I", B_TYPE, dict(opcode=Opcode.BRANCH, funct3=funct3),
                "{rs1}, {rs2}, {imm}", f"if {condition}:\n    jump(pc + imm)", summary)


def _load(mnemonic: str, funct3: int, value: str, summary: str) -> Instruction:
    return _row(mnemonic, "RV32I", I_TYPE, dict(opcode=Opcode.LOAD, funct3=funct3),
                "{rd}, {imm}({rs1})", f"x[rd] = {value}", summary)


def _store(mnemonic: str, funct3: int, size: int, summary: str) -> Instruction:
    return _row(mnemonic, "RV32I", S_TYPE, dict(opcode=Opcode.STORE, funct3=funct3),
                "{rs2}, {imm}({rs1})", f"store(x[rs1] + imm, {size}, x[rs2])", summary)


def _system(mnemonic: str, funct12: int, semantics: str, summary: str) -> Instruction:
    return _row(mnemonic, "RV32I", SYSTEM_TYPE,
                dict(opcode=Opcode.SYSTEM, rd=0, funct3=0, rs1=0, funct12=funct12),
                "", semantics, summary)


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
    return _row(mnemonic, "Zicsr", fmt, dict(opcode=Opcode.SYSTEM, funct3=funct3), syntax,
                semantics, summary)


RV32I: tuple[Instruction, ...] = (
    _row("lui", "RV32I", U_TYPE, dict(opcode=Opcode.LUI), "{rd}, {imm}",
         "x[rd] = imm << 12", "load upper immediate"),
    _row("auipc", "RV32I", U_TYPE, dict(opcode=Opcode.AUIPC), "{rd}, {imm}",
         "x[rd] = pc + (imm << 12)", "add upper immediate to pc"),
    _row("jal", "RV32I", J_TYPE, dict(opcode=Opcode.JAL), "{rd}, {imm}",
         "jump(pc + imm)\nx[rd] = pc + 4", "jump and link"),
    _row("jalr", "RV32I", I_TYPE, dict(opcode=Opcode.JALR, funct3=0), "{rd}, {imm}({rs1})",
         "jump((x[rs1] + imm) & ~1)\nx[rd] = pc + 4",
         "jump and link register (target's bit 0 cleared)"),
    _branch("beq", 0b000, "x[rs1] == x[rs2]", "branch if equal"),
    _branch("bne", 0b001, "x[rs1] != x[rs2]", "branch if not equal"),
    _branch("blt", 0b100, "sx(x[rs1]) < sx(x[rs2])", "branch if less than (signed)"),
    _branch("bge", 0b101, "sx(x[rs1]) >= sx(x[rs2])", "branch if greater or equal (signed)"),
    _branch("bltu", 0b110, "x[rs1] < x[rs2]", "branch if less than (unsigned)"),
    _branch("bgeu", 0b111, "x[rs1] >= x[rs2]", "branch if greater or equal (unsigned)"),
    _load("lb", 0b000, "sext(load(x[rs1] + imm, 1), 8)", "load byte, sign-extended"),
    _load("lh", 0b001, "sext(load(x[rs1] + imm, 2), 16)", "load halfword, sign-extended"),
    _load("lw", 0b010, "load(x[rs1] + imm, 4)", "load word"),
    _load("lbu", 0b100, "load(x[rs1] + imm, 1)", "load byte, zero-extended"),
    _load("lhu", 0b101, "load(x[rs1] + imm, 2)", "load halfword, zero-extended"),
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
    _op("add", "RV32I", 0b000, 0b0000000, "x[rd] = x[rs1] + x[rs2]", "add"),
    _op("sub", "RV32I", 0b000, 0b0100000, "x[rd] = x[rs1] - x[rs2]", "subtract"),
    _op("sll", "RV32I", 0b001, 0b0000000, "x[rd] = x[rs1] << (x[rs2] & 31)",
        "shift left logical"),
    _op("slt", "RV32I", 0b010, 0b0000000, "x[rd] = int(sx(x[rs1]) < sx(x[rs2]))",
        "set if less than"),
    _op("sltu", "RV32I", 0b011, 0b0000000, "x[rd] = int(x[rs1] < x[rs2])",
        "set if less than, unsigned"),
    _op("xor", "RV32I", 0b100, 0b0000000, "x[rd] = x[rs1] ^ x[rs2]", "exclusive or"),
    _op("srl", "RV32I", 0b101, 0b0000000, "x[rd] = x[rs1] >> (x[rs2] & 31)",
        "shift right logical"),
    _op("sra", "RV32I", 0b101, 0b0100000, "x[rd] = sx(x[rs1]) >> (x[rs2] & 31)",
        "shift right arithmetic"),
    _op("or", "RV32I", 0b110, 0b0000000, "x[rd] = x[rs1] | x[rs2]", "or"),
    _op("and", "RV32I", 0b111, 0b0000000, "x[rd] = x[rs1] & x[rs2]", "and"),
    _row("fence", "RV32I", FENCE_TYPE,
         dict(opcode=Opcode.MISC_MEM, rd=0, funct3=0, rs1=0, fm=0), "{pred}, {succ}",
         "pass", "memory ordering fence (a no-op on OxCore's in-order single hart)"),
    _row("fence.tso", "RV32I", FENCE_TYPE,
         dict(opcode=Opcode.MISC_MEM, rd=0, funct3=0, rs1=0, fm=0b1000, pred=0b0011,
              succ=0b0011), "", "pass",
         "total-store-order fence (a no-op on OxCore's in-order single hart)"),
    _system("ecall", 0, "ecall()", "environment call (OxCore syscall ABI: a7 selects)"),
    _system("ebreak", 1, "ebreak()", "breakpoint: stops the simulation"),
)

RV32M: tuple[Instruction, ...] = (
    _op("mul", "RV32M", 0b000, 0b0000001, "x[rd] = x[rs1] * x[rs2]",
        "multiply, low 32 bits"),
    _op("mulh", "RV32M", 0b001, 0b0000001, "x[rd] = (sx(x[rs1]) * sx(x[rs2])) >> 32",
        "multiply signed x signed, high 32 bits"),
    _op("mulhsu", "RV32M", 0b010, 0b0000001, "x[rd] = (sx(x[rs1]) * x[rs2]) >> 32",
        "multiply signed x unsigned, high 32 bits"),
    _op("mulhu", "RV32M", 0b011, 0b0000001, "x[rd] = (x[rs1] * x[rs2]) >> 32",
        "multiply unsigned x unsigned, high 32 bits"),
    _op("div", "RV32M", 0b100, 0b0000001, "x[rd] = div(sx(x[rs1]), sx(x[rs2]))",
        "divide signed, rounding toward zero (x/0 = -1, INT_MIN/-1 = INT_MIN)"),
    _op("divu", "RV32M", 0b101, 0b0000001, "x[rd] = divu(x[rs1], x[rs2])",
        "divide unsigned (x/0 = 2**32-1)"),
    _op("rem", "RV32M", 0b110, 0b0000001, "x[rd] = rem(sx(x[rs1]), sx(x[rs2]))",
        "remainder signed, sign of dividend (x%0 = x, INT_MIN%-1 = 0)"),
    _op("remu", "RV32M", 0b111, 0b0000001, "x[rd] = remu(x[rs1], x[rs2])",
        "remainder unsigned (x%0 = x)"),
)

ZICSR: tuple[Instruction, ...] = (
    _csr("csrrw", 0b001, "rs1", "write", "atomic read/write CSR"),
    _csr("csrrs", 0b010, "rs1", "set", "atomic read and set bits in CSR"),
    _csr("csrrc", 0b011, "rs1", "clear", "atomic read and clear bits in CSR"),
    _csr("csrrwi", 0b101, "uimm", "write", "atomic read/write CSR, immediate"),
    _csr("csrrsi", 0b110, "uimm", "set", "atomic read and set bits in CSR, immediate"),
    _csr("csrrci", 0b111, "uimm", "clear", "atomic read and clear bits in CSR, immediate"),
)
