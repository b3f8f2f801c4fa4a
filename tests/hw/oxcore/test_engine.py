"""The engine interface, proved with a test-only engine (not part of the product).

`AddEngine` executes one custom-0 instruction, ``rd = rs1 + rs2`` (R-type fields,
opcode 0b0001011, which the ISA table does not know), `latency` cycles after dispatch,
one instruction at a time. The core must: issue the word instead of trapping, dispatch
it at retirement with its operands, keep running independent instructions meanwhile,
stall only an instruction that reads or writes its rd, write the completion into the
register file, and hold scalar loads/stores while the engine is busy (memory order).
"""

from __future__ import annotations

import io

import pytest
from amaranth import Module, Signal
from amaranth.hdl import Fragment
from amaranth.back import rtlil

from cosim import rtl_sim
from cosim.rtl_sim import RtlSimulator
from hw.oxcore.core import Core
from hw.oxcore.engine import ENGINE_CLASSES, Engine, EngineSignature, engines_for_config
from hw.oxcore.top import Top
from oxcore.config import PRESETS, TensorConfig
from tests.hw.oxcore.rtl_helpers import A0, Asm

CONFIG = PRESETS["small"]
CUSTOM0 = 0b0001011


def custom_add(rd: int, rs1: int, rs2: int, funct3: int = 0) -> int:
    return rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | CUSTOM0


class AddEngine(Engine):
    """Claims custom-0 words with its `funct3` (default 0)."""

    def __init__(self, latency: int, funct3: int = 0) -> None:
        self.latency = latency
        self.funct3 = funct3
        super().__init__(port_bits=32)
        self.dispatched: list[int] = []

    @staticmethod
    def result(dispatched):
        """What the engine computes from a dispatched instruction's operands."""
        return dispatched.rs1 + dispatched.rs2

    def elaborate(self, platform) -> Module:
        m = Module()
        pipe = self.pipe
        word = pipe.claim.insn
        m.d.comb += [
            pipe.claimed.match.eq((word[:7] == CUSTOM0) & (word[12:15] == self.funct3)
                                  & (word[25:] == 0)),
            pipe.claimed.reads_rs1.eq(1), pipe.claimed.reads_rs2.eq(1),
            pipe.claimed.writes_rd.eq(1),
        ]
        busy = Signal()
        count = Signal(range(self.latency + 1))
        rd, value, order = Signal(5), Signal(32), Signal(64)
        m.d.comb += [pipe.dispatch.ready.eq(~busy), pipe.busy.eq(busy)]
        self.conservative_memory_order(m)
        with m.If(pipe.dispatch.valid & pipe.dispatch.ready):
            d = pipe.dispatch.payload
            m.d.sync += [busy.eq(1), count.eq(self.latency), rd.eq(d.insn[7:12]),
                         value.eq(self.result(d)), order.eq(d.order)]
        with m.If(busy & (count != 0)):
            m.d.sync += count.eq(count - 1)
        c = pipe.complete
        m.d.comb += [c.valid.eq(busy & (count == 0)), c.payload.rd.eq(rd),
                     c.payload.value.eq(value), c.payload.order.eq(order)]
        with m.If(c.valid & c.ready):
            m.d.sync += busy.eq(0)
        return m


def run(asm: Asm, latency: int = 10, engines=None):
    """The program on the RTL (Amaranth simulator) with an `AddEngine` plugged in (or
    the engines made by `engines()`)."""
    program = asm.program()
    make = engines or (lambda: [AddEngine(latency)])
    with pytest.MonkeyPatch.context() as patch:  # the harness builds its Top
        patch.setattr(rtl_sim, "Top", lambda config, program, faults: Top(
            config, program, faults, engines=make()))
        sim = RtlSimulator(CONFIG, program, stdout=io.BytesIO(), stderr=io.BytesIO())
    records = []  # (cycle, record)
    stop = sim.run(max_cycles=5_000, on_retire=lambda r: records.append((sim.cycle, r)))
    assert stop.reason == "exit", stop
    return stop, records


def program(independent: int = 0) -> Asm:
    a = Asm(CONFIG)
    a.li(5, 100)
    a.li(6, 23)
    a.word(custom_add(7, 5, 6))
    for i in range(independent):
        a.addi(rd=10 + i % 5, rs1=0, imm=i)
    a.addi(rd=A0, rs1=7, imm=0)
    a.syscall_exit(A0)
    return a


def test_engine_result_reaches_the_register_file():
    stop, records = run(program())
    assert stop.exit_value == 123
    custom = [r for _, r in records if r.insn == custom_add(7, 5, 6)]
    # The record retires from WB without the write; the engine's completion, matched by
    # order, brings it.
    assert len(custom) == 1 and custom[0].trap is None
    assert (custom[0].rd, custom[0].rd_value) == (7, 123)


def test_only_a_true_dependency_stalls():
    base, _ = run(program(independent=0), latency=20)
    overlapped, _ = run(program(independent=8), latency=20)
    # eight independent instructions run while the engine works: (almost) free
    assert overlapped.cycles - base.cycles <= 1
    short, _ = run(program(), latency=5)
    long, _ = run(program(), latency=25)
    assert long.cycles - short.cycles == 20  # the dependant waits for the result
    # (Every program's exit ecall waits for the engine to be idle: memory order, as
    # the harness reads memory. So independent work is what shows the overlap.)


def test_output_dependency_keeps_program_order():
    a = Asm(CONFIG)
    a.li(5, 100)
    a.li(6, 23)
    a.word(custom_add(7, 5, 6))
    a.addi(rd=7, rs1=0, imm=5)
    a.syscall_exit(7)
    stop, _ = run(a, latency=15)
    assert stop.exit_value == 5


def test_scalar_memory_waits_for_a_busy_engine():
    a = Asm(CONFIG)
    data = CONFIG.mem_base + 0x2000
    a.put(data, (77).to_bytes(4, "little"))
    a.li(20, data)
    a.li(5, 1)
    a.li(6, 2)
    a.word(custom_add(7, 5, 6))
    a.lw(rd=8, rs1=20, imm=0)
    a.add(rd=A0, rs1=8, rs2=7)
    a.syscall_exit(A0)
    stop, _ = run(a, latency=12)
    assert stop.exit_value == 80
    assert stop.counters["stall_memory"] >= 12


def test_two_engines_keep_program_order_between_them():
    """A slow engine's instruction, then a fast one's: the second is dispatched only
    once the first engine is idle; both results arrive; a word both could claim goes
    to the first engine."""
    a = Asm(CONFIG)
    a.li(5, 100)
    a.li(6, 23)
    a.word(custom_add(7, 5, 6, funct3=0))  # engine 0, 30 cycles
    a.word(custom_add(8, 5, 5, funct3=1))  # engine 1, 2 cycles
    a.add(rd=A0, rs1=7, rs2=8)
    a.syscall_exit(A0)
    stop, records = run(a, engines=lambda: [AddEngine(30, 0), AddEngine(2, 1)])
    assert stop.exit_value == 123 + 200
    retired = {r.insn: cycle for cycle, r in records}
    # dispatch (= retirement) of the second waits for the first engine to finish
    assert retired[custom_add(8, 5, 5, 1)] - retired[custom_add(7, 5, 6, 0)] > 30
    both = Asm(CONFIG)
    both.li(5, 1)
    both.word(custom_add(7, 5, 5))
    both.syscall_exit(7)
    stop, _ = run(both, engines=lambda: [AddEngine(3), AddEngine(40)])
    assert stop.exit_value == 2 and stop.cycles < 40


def test_no_engines_is_the_scalar_core():
    core = Core(CONFIG, CONFIG.mem_base)
    assert core.engine_ports == [] and "engine0" not in core.signature.members
    text = rtlil.convert(core, name="core")
    # No logic from the engines stage, no engine port, no scoreboard. (The decoder's
    # `engine` output, which says which engine a row belongs to, is scalar logic.)
    assert "scoreboard" not in text and "engine0" not in text
    assert "stages/engines.py" not in text and "hw/oxcore/engine.py" not in text
    with_engine = Core(CONFIG, CONFIG.mem_base, engines=1)
    assert with_engine.engine0.signature == EngineSignature()
    assert "scoreboard" in rtlil.convert(with_engine, name="core")


def test_configured_engines_are_built_and_those_without_rtl_refused(monkeypatch):
    config = CONFIG.replace(tensor=TensorConfig())
    core = Core(config, config.mem_base)
    assert core.engine_count == 1
    Fragment.get(core, None)  # (elaborates: one engine port, no error)
    engines = engines_for_config(config)
    assert [type(e).__name__ for e in engines] == ["TensorEngine"]
    for engine in engines:
        engine._MustUse__silence = True  # (built to be looked at, not elaborated)
    monkeypatch.delitem(ENGINE_CLASSES, "tensor")  # as before the tensor RTL existed
    with pytest.raises(NotImplementedError, match=r"tensor engine \(\[tensor\]\) has no RTL"):
        engines_for_config(config)  # what Top(config, program) asks


# --- writes to an engine's read-only CSRs trap precisely -----------------------------

def _engine_config(engine: str):
    from oxcore.config import VectorConfig
    if engine == "tensor":
        return PRESETS["default"].replace(name="ro_t4", tensor=TensorConfig(tdim=4))
    return PRESETS["default"].replace(name="ro_v64", vector=VectorConfig(vlen=64, lanes=1))


@pytest.mark.parametrize("engine, access, traps", [
    ("tensor", "csrw tdim, t1", True),          # a write to a read-only CSR: illegal
    ("tensor", "csrrs a0, tlenb, zero", False),  # csrr: reads only
    ("vector", "csrrsi a0, vlenb, 1", True),     # a set with a nonzero immediate writes
    ("vector", "csrwi vxrm, 1", False),          # a writable vector CSR
])
def test_writes_to_read_only_engine_csrs_trap_as_the_interpreter_does(engine, access, traps,
                                                                      tmp_path):
    """The engine does not claim them (`claims_csr_access`): the core traps them as
    illegal instructions, at once, as the interpreter does."""
    from cosim.tensor_fuzz import load_source, program
    from oxcore import api
    cfg = _engine_config(engine)
    source = program(["    li t1, 4", f"    {access}", "    li t2, 5"])
    verdict = api.cosim(load_source(source, cfg, tmp_path, "ro"), backend="pysim",
                        max_cycles=20_000)
    assert verdict.verdict == ("trap" if traps else "pass"), verdict.report
    if traps:
        assert verdict.ended["cause"] == "illegal_instruction", verdict.ended
        csr = access.split(",")[-2].strip() if access.count(",") == 2 else \
            access.split()[1].rstrip(",")
        assert f" {csr}, " in verdict.ended["disassembly"], verdict.ended


def test_the_claim_rule_for_csr_instructions():
    """`claims_csr_access` against the privileged spec's rule, over every Zicsr form:
    csrrw/csrrwi always write; csrrs/csrrc/csrrsi/csrrci write unless rs1/uimm is 0; a
    write to a CSR whose address bits 11:10 are 0b11 is illegal (left unclaimed)."""
    from amaranth.sim import Simulator
    from hw.oxcore.engine import claims_csr_access
    owned = (0x805, 0xC20, 0xC22)  # a writable CSR, two read-only ones
    insn = Signal(32)
    claim = Signal()
    m = Module()
    m.d.comb += claim.eq(claims_csr_access(insn, owned))
    cases = [(csr, funct3, source) for csr in (*owned, 0x806, 0xC21)
             for funct3 in (1, 2, 3, 5, 6, 7) for source in (0, 9)]

    async def bench(ctx):
        for csr, funct3, source in cases:
            ctx.set(insn, csr << 20 | source << 15 | funct3 << 12 | 5 << 7 | 0x73)
            writes = funct3 in (1, 5) or source != 0
            expected = csr in owned and not (csr >> 10 == 3 and writes)
            assert ctx.get(claim) == expected, (hex(csr), funct3, source)
    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
