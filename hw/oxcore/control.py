"""The per-mnemonic control table: how the pipeline executes each scalar instruction.

Encodings are NOT here: the decoder matches each `oxcore.isa` entry's `match_pattern`
and extracts operands from the table's `Field` pieces. This table only says, for each
mnemonic, which unit computes the result and where the operands come from. What the ISA
table's row attributes already say is derived, not repeated: registers read and
written, a load's size and sign, a store's size, a branch's condition, the kind of
control transfer. Instructions of other engines (vector, tensor) need no row: the
decoder hands them to their engine. `tests/hw/oxcore/test_decoder.py` checks that the
table covers the scalar instructions exactly and agrees with the semantics.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from amaranth.lib import data, enum

from oxcore.isa import DEFAULT_ISA, Instruction, Isa
from oxcore.retire import TrapCause


class AluOp(enum.Enum, shape=4):
    ADD = 0
    SUB = 1
    SLL = 2
    SLT = 3
    SLTU = 4
    XOR = 5
    SRL = 6
    SRA = 7
    OR = 8
    AND = 9


class ASrc(enum.Enum, shape=2):
    """ALU operand A."""
    RS1 = 0
    PC = 1
    ZERO = 2


class BSrc(enum.Enum, shape=2):
    """ALU operand B: `IMM_UPPER` is the U-format immediate shifted into bits 31:12."""
    RS2 = 0
    IMM = 1
    IMM_UPPER = 2


class Unit(enum.Enum, shape=3):
    """Which unit produces the instruction's result (written back to rd)."""
    NONE = 0  # branches, stores, fence, ecall/ebreak (and illegal words)
    ALU = 1
    LINK = 2  # pc + 4 (jal, jalr)
    LOAD = 3
    MUL = 4
    DIV = 5
    CSR = 6


class Flow(enum.Enum, shape=2):
    """Control transfer kind: resolved in EX, predicted at fetch."""
    NONE = 0
    BRANCH = 1
    JAL = 2
    JALR = 3


class Cond(enum.Enum, shape=3):
    EQ = 0
    NE = 1
    LT = 2
    GE = 3
    LTU = 4
    GEU = 5


class MemOp(enum.Enum, shape=2):
    NONE = 0
    LOAD = 1
    STORE = 2


class MulOp(enum.Enum, shape=2):
    MUL = 0
    MULH = 1
    MULHSU = 2
    MULHU = 3


class DivOp(enum.Enum, shape=2):
    DIV = 0
    DIVU = 1
    REM = 2
    REMU = 3


class CsrOp(enum.Enum, shape=2):
    NONE = 0
    WRITE = 1  # csrrw/csrrwi: always writes
    SET = 2  # csrrs/csrrsi: writes when the source field is non-zero
    CLEAR = 3  # csrrc/csrrci: likewise


class Env(enum.Enum, shape=2):
    NONE = 0
    ECALL = 1  # serviced by the harness at WB
    EBREAK = 2  # a breakpoint trap


@dataclass(frozen=True)
class Control:
    """How one mnemonic executes (only the fields that matter for it need setting)."""

    unit: Unit = Unit.NONE
    alu: AluOp = AluOp.ADD
    a: ASrc = ASrc.RS1
    b: BSrc = BSrc.RS2
    flow: Flow = Flow.NONE
    cond: Cond = Cond.EQ
    mem: MemOp = MemOp.NONE
    size_log2: int = 0  # access size 1 << size_log2 bytes
    signed: bool = False  # load sign extension
    mul: MulOp = MulOp.MUL
    div: DivOp = DivOp.DIV
    csr: CsrOp = CsrOp.NONE
    csr_imm: bool = False  # source is the uimm field rather than rs1
    env: Env = Env.NONE


def _alu(op: AluOp, b: BSrc = BSrc.RS2) -> Control:
    return Control(unit=Unit.ALU, alu=op, b=b)


_LOAD = Control(unit=Unit.LOAD, b=BSrc.IMM)  # size and sign come from the ISA row
_STORE = Control(b=BSrc.IMM)
_BRANCH = Control()  # condition and flow come from the ISA row
_LINK = Control(unit=Unit.LINK)


def _csr(op: CsrOp, imm: bool) -> Control:
    return Control(unit=Unit.CSR, csr=op, csr_imm=imm)


_I = BSrc.IMM
# What only the pipeline knows: which unit computes each scalar instruction, and from
# which operands. `CONTROL` below completes these rows with the ISA's row attributes.
EXECUTION: dict[str, Control] = {
    "lui": Control(unit=Unit.ALU, a=ASrc.ZERO, b=BSrc.IMM_UPPER),
    "auipc": Control(unit=Unit.ALU, a=ASrc.PC, b=BSrc.IMM_UPPER),
    "jal": _LINK, "jalr": _LINK,
    "beq": _BRANCH, "bne": _BRANCH, "blt": _BRANCH, "bge": _BRANCH,
    "bltu": _BRANCH, "bgeu": _BRANCH,
    "lb": _LOAD, "lh": _LOAD, "lw": _LOAD, "lbu": _LOAD, "lhu": _LOAD,
    "sb": _STORE, "sh": _STORE, "sw": _STORE,
    "addi": _alu(AluOp.ADD, _I), "slti": _alu(AluOp.SLT, _I),
    "sltiu": _alu(AluOp.SLTU, _I), "xori": _alu(AluOp.XOR, _I),
    "ori": _alu(AluOp.OR, _I), "andi": _alu(AluOp.AND, _I),
    "slli": _alu(AluOp.SLL, _I), "srli": _alu(AluOp.SRL, _I), "srai": _alu(AluOp.SRA, _I),
    "add": _alu(AluOp.ADD), "sub": _alu(AluOp.SUB), "sll": _alu(AluOp.SLL),
    "slt": _alu(AluOp.SLT), "sltu": _alu(AluOp.SLTU), "xor": _alu(AluOp.XOR),
    "srl": _alu(AluOp.SRL), "sra": _alu(AluOp.SRA), "or": _alu(AluOp.OR),
    "and": _alu(AluOp.AND),
    "fence": Control(),  # in-order, single hart, one memory: nothing to order
    "fence.tso": Control(),
    "ecall": Control(env=Env.ECALL),
    "ebreak": Control(env=Env.EBREAK),
    "mul": Control(unit=Unit.MUL, mul=MulOp.MUL),
    "mulh": Control(unit=Unit.MUL, mul=MulOp.MULH),
    "mulhsu": Control(unit=Unit.MUL, mul=MulOp.MULHSU),
    "mulhu": Control(unit=Unit.MUL, mul=MulOp.MULHU),
    "div": Control(unit=Unit.DIV, div=DivOp.DIV),
    "divu": Control(unit=Unit.DIV, div=DivOp.DIVU),
    "rem": Control(unit=Unit.DIV, div=DivOp.REM),
    "remu": Control(unit=Unit.DIV, div=DivOp.REMU),
    "csrrw": _csr(CsrOp.WRITE, False), "csrrs": _csr(CsrOp.SET, False),
    "csrrc": _csr(CsrOp.CLEAR, False), "csrrwi": _csr(CsrOp.WRITE, True),
    "csrrsi": _csr(CsrOp.SET, True), "csrrci": _csr(CsrOp.CLEAR, True),
}

# ---- what the ISA table itself says about an instruction ----------------------------
_FLOW = {None: Flow.NONE, "branch": Flow.BRANCH, "direct": Flow.JAL, "indirect": Flow.JALR}
_MEM = {None: MemOp.NONE, "load": MemOp.LOAD, "store": MemOp.STORE}


def from_isa_row(ins: Instruction, ctl: Control) -> Control:
    """`ctl` completed with what the ISA row says: flow, condition, memory access."""
    mem = ins.memory
    return replace(ctl, flow=_FLOW[ins.flow],
                   cond=Cond[ins.condition.upper()] if ins.condition else Cond.EQ,
                   mem=_MEM[mem.kind if mem else None],
                   size_log2=mem.size.bit_length() - 1 if mem else 0,
                   signed=bool(mem and mem.signed))


# Full control rows of the default ISA's scalar instructions, by mnemonic.
CONTROL: dict[str, Control] = {ins.mnemonic: from_isa_row(ins, EXECUTION[ins.mnemonic])
                               for ins in DEFAULT_ISA.instructions
                               if ins.mnemonic in EXECUTION}


def reads(ins: Instruction) -> tuple[bool, bool]:
    """(reads rs1, reads rs2): the integer registers its semantics read."""
    names = ins.reads.get("x", ())
    return "rs1" in names, "rs2" in names


def writes_rd(ins: Instruction) -> bool:
    """The semantics assign x[rd]."""
    return "rd" in ins.writes.get("x", ())


def immediate_field(ins: Instruction):
    """The entry's first numeric immediate field (the pipeline's `imm`), or None."""
    return ins.immediates[0] if ins.immediates else None


# ---- the decoded control word carried down the pipeline -----------------------------
CONTROL_LAYOUT = data.StructLayout({
    "unit": Unit, "alu": AluOp, "a": ASrc, "b": BSrc, "flow": Flow, "cond": Cond,
    "mem": MemOp, "size_log2": 2, "signed": 1, "mul": MulOp, "div": DivOp, "csr": CsrOp,
    "csr_imm": 1, "env": Env,
    "reads_rs1": 1, "reads_rs2": 1, "writes_rd": 1,
})

TRAP_CAUSE_WIDTH = 7  # TrapCause values up to 65 (simulator stops) fit in 7 bits
assert max(TrapCause) < 1 << TRAP_CAUSE_WIDTH


def control_constant(ins: Instruction) -> dict:
    """The CONTROL_LAYOUT initializer for one instruction (table row + ISA-derived)."""
    row = EXECUTION.get(ins.mnemonic)
    if row is None:
        raise ValueError(f"control table has no row for {ins.mnemonic!r}: add one to "
                         "hw/oxcore/control.py EXECUTION")
    ctl = from_isa_row(ins, row)
    rs1, rs2 = reads(ins)
    return {
        "unit": ctl.unit, "alu": ctl.alu, "a": ctl.a, "b": ctl.b, "flow": ctl.flow,
        "cond": ctl.cond, "mem": ctl.mem, "size_log2": ctl.size_log2,
        "signed": int(ctl.signed), "mul": ctl.mul, "div": ctl.div, "csr": ctl.csr,
        "csr_imm": int(ctl.csr_imm), "env": ctl.env,
        "reads_rs1": int(rs1), "reads_rs2": int(rs2), "writes_rd": int(writes_rd(ins)),
    }


def table_mismatch(isa: Isa = DEFAULT_ISA) -> tuple[list[str], list[str]]:
    """(scalar mnemonics without a row, rows for no instruction): both empty when in sync."""
    names = {ins.mnemonic for ins in isa.instructions if ins.engine == "scalar"}
    return sorted(names - set(EXECUTION)), sorted(set(EXECUTION) - names)
