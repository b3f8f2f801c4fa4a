"""The engine platform end to end: an instruction described only here (a custom-0
add in an `Extension`), executed by the test-only engine of tests/hw/oxcore/test_engine.py
on the RTL, co-simulated in lockstep with the interpreter. The engine's result reaches
the retire stream on the core's completion port, after its instruction retired from
the scalar pipeline; the harness files it under that record by order, so the records
match the interpreter's exactly, and a wrong result is reported at that instruction."""

from __future__ import annotations

import io

import pytest

from cosim import rtl_sim
from cosim.iss import Interpreter
from cosim.lockstep import Lockstep, run_in_lockstep
from cosim.rtl_sim import RtlSimulator
from hw.oxcore.top import Top
from oxcore.isa import Extension, isa_for
from oxcore.isa.fields import R_TYPE
from oxcore.isa.instruction import Instruction
from oxcore.retire import XWrite
from tests.hw.oxcore.rtl_helpers import A0, Asm
from tests.hw.oxcore.test_engine import CONFIG, CUSTOM0, AddEngine, custom_add

CADD = Instruction("cadd", "Xcadd", R_TYPE, dict(opcode=CUSTOM0, funct3=0, funct7=0),
                   "{rd}, {rs1}, {rs2}", "x[rd] = x[rs1] + x[rs2]",
                   "add, on an engine", engine="tensor")
ISA = isa_for(CONFIG, extra=(Extension("Xcadd", None, (CADD,)),))


class OffByOneEngine(AddEngine):
    """Adds one too many: a bug for co-simulation to find."""

    @staticmethod
    def result(dispatched):
        return dispatched.rs1 + dispatched.rs2 + 1


def program() -> Asm:
    a = Asm(CONFIG)
    a.li(5, 100)
    a.li(6, 23)
    a.word(custom_add(7, 5, 6))  # x7 = 123, ten cycles after dispatch
    for i in range(4):
        a.addi(rd=11 + i, rs1=0, imm=i)  # independent: they run meanwhile
    a.addi(rd=A0, rs1=7, imm=1)  # depends on the engine's result
    a.word(custom_add(8, 7, 7))  # x8 = 246
    a.addi(rd=A0, rs1=8, imm=0)
    a.syscall_exit(A0)
    return a


def cosimulate(engine) -> tuple[Lockstep, object]:
    prog = program().program()
    lockstep = Lockstep(Interpreter(CONFIG, prog, io.BytesIO(), io.BytesIO(), isa=ISA))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rtl_sim, "Top", lambda config, program, faults: Top(
            config, program, faults, engines=[engine]))
        sim = RtlSimulator(CONFIG, prog, stdout=io.BytesIO(), stderr=io.BytesIO())
    stop = run_in_lockstep(sim, lockstep, max_cycles=5_000)
    lockstep.finish()
    return lockstep, stop


def test_engine_results_match_the_interpreter_by_order() -> None:
    lockstep, stop = cosimulate(AddEngine(10))
    assert lockstep.divergence is None
    assert stop.reason == "exit" and stop.exit_value == 246
    assert lockstep.iss_stop.exit_value == 246 and lockstep.checked == stop.instret == 14


def test_a_wrong_engine_result_is_reported_at_its_instruction() -> None:
    lockstep, stop = cosimulate(OffByOneEngine(10))
    divergence = lockstep.divergence
    assert divergence is not None and divergence.fields == ["x.value"]
    assert divergence.expected.effects == (XWrite(7, 123),)
    assert divergence.actual.effects == (XWrite(7, 124),)
    assert divergence.actual.insn == custom_add(7, 5, 6)
    assert divergence.order == 4  # after the two li (lui and addi each)
