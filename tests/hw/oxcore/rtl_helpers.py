"""Tiny program builder for RTL tests: words from the ISA table's `encode`, with labels.

    a = Asm(config)
    a.label("loop")
    a.addi(rd=5, rs1=5, imm=-1)
    a.bne(rs1=5, rs2=0, imm="loop")   # a str pc-relative operand names a label
    program = a.program()
"""

from __future__ import annotations

import io
from typing import Callable

from cosim.iss import Interpreter
from oxcore.config import OxCoreConfig
from oxcore.isa import BY_MNEMONIC, PCREL
from oxcore.program import Program, Segment
from oxcore.retire import RetireRecord

A0, A1, A2, A7 = 10, 11, 12, 17


class Asm:
    def __init__(self, config: OxCoreConfig, base: int | None = None) -> None:
        self.config = config
        self.base = config.mem_base if base is None else base
        self.items: list[tuple[str, dict] | int] = []
        self.labels: dict[str, int] = {}
        self.data: dict[int, bytes] = {}

    @property
    def pc(self) -> int:
        return self.base + 4 * len(self.items)

    def label(self, name: str) -> None:
        self.labels[name] = self.pc

    def emit(self, mnemonic: str, **operands: int | str) -> None:
        BY_MNEMONIC[mnemonic]  # unknown mnemonics fail here, not at assembly
        self.items.append((mnemonic, operands))

    def word(self, value: int) -> None:
        self.items.append(value)

    def __getattr__(self, name: str) -> Callable[..., None]:
        mnemonic = name.rstrip("_")  # and_, or_ for the Python keywords
        if mnemonic not in BY_MNEMONIC:
            raise AttributeError(name)
        return lambda **operands: self.emit(mnemonic, **operands)

    def li(self, rd: int, value: int) -> None:
        """lui + addi: any 32-bit constant (always two instructions)."""
        value &= 0xFFFF_FFFF
        low = ((value & 0xFFF) ^ 0x800) - 0x800
        self.emit("lui", rd=rd, imm=((value - low) >> 12) & 0xFFFFF)
        self.emit("addi", rd=rd, rs1=rd, imm=low)

    def syscall_exit(self, code_reg: int | None = None, code: int = 0) -> None:
        if code_reg is None:
            self.emit("addi", rd=A0, rs1=0, imm=code)
        elif code_reg != A0:
            self.emit("addi", rd=A0, rs1=code_reg, imm=0)
        self.emit("addi", rd=A7, rs1=0, imm=93)
        self.emit("ecall")

    def put(self, addr: int, payload: bytes) -> None:
        """Initial RAM contents at `addr` (outside the code)."""
        self.data[addr] = payload

    def words(self) -> list[int]:
        out = []
        for index, item in enumerate(self.items):
            if isinstance(item, int):
                out.append(item)
                continue
            mnemonic, operands = item
            ins = BY_MNEMONIC[mnemonic]
            pc = self.base + 4 * index
            values = {}
            for fld in ins.operands:
                value = operands.get(fld.name, 0)
                if isinstance(value, str):
                    value = self.labels[value] - pc if fld.kind == PCREL else \
                        self.labels[value]
                values[fld.name] = value
            out.append(ins.encode(**values))
        return out

    def program(self) -> Program:
        code = b"".join(w.to_bytes(4, "little") for w in self.words())
        segments = [Segment(self.base, code, len(code), True)]
        segments += [Segment(addr, payload, len(payload), False)
                     for addr, payload in sorted(self.data.items())]
        return Program("<test>", self.base, segments)


def interpreter_records(config: OxCoreConfig, program: Program,
                        max_instructions: int | None = 100_000
                        ) -> tuple[list[RetireRecord], object, bytes]:
    """Reference records, the interpreter's Stop and its stdout."""
    out = io.BytesIO()
    records: list[RetireRecord] = []
    stop = Interpreter(config, program, stdout=out, stderr=out).run(
        max_instructions, on_retire=records.append)
    return records, stop, out.getvalue()


def rtl_records(config: OxCoreConfig, program: Program, **limits):
    """Records, RtlStop and stdout of the RTL run."""
    from cosim.rtl_sim import RtlSimulator
    out = io.BytesIO()
    records: list[RetireRecord] = []
    stop = RtlSimulator(config, program, stdout=out, stderr=out).run(
        on_retire=records.append, **limits)
    return records, stop, out.getvalue()


def assert_same_run(config: OxCoreConfig, program: Program, max_cycles: int = 20_000):
    """The RTL's record stream, output and stop equal the interpreter's; returns the
    RTL's RtlStop."""
    # CPI >= 1: the RTL cannot retire more than max_cycles instructions
    ref, ref_stop, ref_out = interpreter_records(config, program, max_cycles)
    got, stop, out = rtl_records(config, program, max_cycles=max_cycles)
    for i, (a, b) in enumerate(zip(got, ref)):
        assert a == b, (f"record {i} differs in {a.diff(b)}:\n  rtl {a.trace_line()}\n"
                        f"  iss {b.trace_line()}")
    assert len(got) == len(ref), f"rtl retired {len(got)} records, iss {len(ref)} ({stop})"
    assert out == ref_out
    assert stop.exit_value == ref_stop.exit_value
    if ref_stop.trap is None:
        assert stop.trap_cause is None
    else:
        assert stop.trap_cause == ref_stop.trap.cause and stop.trap_pc == ref_stop.trap.pc
    assert stop.instret == ref_stop.instret == stop.counters["instret"]
    return stop


# ---- random programs ------------------------------------------------------------------
_ALU_R = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and"]
_ALU_I = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
_SHIFT_I = ["slli", "srli", "srai"]
_MULDIV = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
_BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
_LOADS = [("lb", 1), ("lh", 2), ("lw", 4), ("lbu", 1), ("lhu", 2)]
_STORES = [("sb", 1), ("sh", 2), ("sw", 4)]
DATA_REG = 31  # holds the data area's base; never written by random code
LOOP_REG = 30  # outer loop counter


def random_program(config: OxCoreConfig, seed: int, length: int = 60,
                   loops: int = 3) -> Program:
    """A random straight-line-ish body with forward branches, jumps, memory traffic and
    mul/div, wrapped in a counted loop (so branches are predicted both ways), ending
    with exit(x5 ^ x6 ...). Registers x1..x8 only, so dependences are dense."""
    import random
    rnd = random.Random(seed)
    a = Asm(config)
    data_base = config.mem_base + config.mem_size // 2
    a.put(data_base, bytes(rnd.getrandbits(8) for _ in range(256)))
    a.li(DATA_REG, data_base)
    for r in range(1, 9):
        a.li(r, rnd.getrandbits(32))
    a.addi(rd=LOOP_REG, rs1=0, imm=loops)
    a.label("top")
    regs = list(range(0, 9))
    skip = 0
    for i in range(length):
        rd, rs1, rs2 = rnd.choice(regs[1:] + [0]), rnd.choice(regs), rnd.choice(regs)
        kind = rnd.random()
        if kind < 0.25:
            a.emit(rnd.choice(_ALU_R), rd=rd, rs1=rs1, rs2=rs2)
        elif kind < 0.40:
            a.emit(rnd.choice(_ALU_I), rd=rd, rs1=rs1, imm=rnd.randint(-2048, 2047))
        elif kind < 0.45:
            a.emit(rnd.choice(_SHIFT_I), rd=rd, rs1=rs1, shamt=rnd.randint(0, 31))
        elif kind < 0.55:
            a.emit(rnd.choice(_MULDIV), rd=rd, rs1=rs1, rs2=rs2)
        elif kind < 0.68:
            mn, size = rnd.choice(_LOADS)
            a.emit(mn, rd=rd, rs1=DATA_REG, imm=rnd.randrange(0, 256, size))
        elif kind < 0.78:
            mn, size = rnd.choice(_STORES)
            a.emit(mn, rs1=DATA_REG, rs2=rs2, imm=rnd.randrange(0, 256, size))
        elif kind < 0.90:
            name = f"f{i}"
            a.emit(rnd.choice(_BRANCHES), rs1=rs1, rs2=rs2, imm=name)
            skip = rnd.randint(0, 2)
            for _ in range(skip):
                a.emit(rnd.choice(_ALU_R), rd=rnd.choice(regs[1:]), rs1=rs1, rs2=rs2)
            a.label(name)
        elif kind < 0.94:
            name = f"j{i}"
            a.jal(rd=rnd.choice([0, 1, rd]), imm=name)
            a.addi(rd=rd, rs1=rd, imm=1)  # skipped
            a.label(name)
        elif kind < 0.97:  # jalr to a computed forward target
            a.auipc(rd=7, imm=0)
            a.jalr(rd=rnd.choice([0, 1, 8]), rs1=7, imm=12)
            a.addi(rd=rd, rs1=rd, imm=3)  # skipped
        else:
            a.lui(rd=rd, imm=rnd.getrandbits(20))
    a.addi(rd=LOOP_REG, rs1=LOOP_REG, imm=-1)
    a.bne(rs1=LOOP_REG, rs2=0, imm="top")
    for r in range(2, 9):
        a.xor(rd=1, rs1=1, rs2=r)
    a.syscall_exit(1)
    return a.program()


def simulate(dut, bench, clock: bool = True) -> None:
    """Run one async testbench against `dut` (with a clock unless purely combinational)."""
    from amaranth.sim import Simulator
    sim = Simulator(dut)
    if clock:
        sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
