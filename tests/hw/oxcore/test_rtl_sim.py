"""The RTL harness (`cosim.rtl_sim`): limits, waveforms, and one ELF running unchanged
on the interpreter and the RTL."""

import importlib.util
from pathlib import Path

import pytest

from cosim.rtl_sim import RtlSimulator
from oxcore.config import PRESETS
from oxcore.retire import RetireRecord, TrapCause
from tests.hw.oxcore.rtl_helpers import (Asm, assert_same_run, interpreter_records,
                                         rtl_records)
from tests.hw.oxcore.test_core import loop_sum

SMALL = PRESETS["small"]
ROOT = Path(__file__).resolve().parents[3]


def test_instruction_limit_matches_interpreter():
    program = loop_sum(SMALL, n=50).program()
    ref, ref_stop, _ = interpreter_records(SMALL, program, max_instructions=17)
    got, stop, _ = rtl_records(SMALL, program, max_instructions=17)
    assert got == ref and len(got) == 17
    assert stop.reason == "instruction_limit" and stop.instret == ref_stop.instret == 17
    assert stop.trap_cause == ref_stop.trap.cause == TrapCause.INSTRUCTION_LIMIT
    _, stop, _ = rtl_records(SMALL, program, max_instructions=0)
    assert stop.instret == 0 and stop.trap_cause == TrapCause.INSTRUCTION_LIMIT


def test_cycle_limit():
    got, stop, _ = rtl_records(SMALL, loop_sum(SMALL, n=50).program(), max_cycles=30)
    assert stop.reason == "cycle_limit" and stop.cycles == 30
    assert stop.trap_cause is None and stop.exit_value is None
    assert 0 < stop.instret == len(got) < 30
    assert all(isinstance(r, RetireRecord) for r in got)


def test_vcd_only_when_asked(tmp_path):
    vcd = tmp_path / "core.vcd"
    sim = RtlSimulator(SMALL, loop_sum(SMALL, n=2).program(), vcd_path=str(vcd))
    stop = sim.run()
    assert stop.exit_value == 3 and vcd.stat().st_size > 0
    assert "retire" in vcd.read_text()[:200_000]
    with pytest.raises(RuntimeError):
        sim.run()


def test_exit_code_and_stdout():
    a = Asm(SMALL)
    a.addi(rd=5, rs1=0, imm=-3)
    a.syscall_exit(5)
    stop = assert_same_run(SMALL, a.program())
    assert stop.exit_value == 0xFFFF_FFFD and stop.exit_code == 0xFD


@pytest.mark.skipif(importlib.util.find_spec("ziglang") is None, reason="no zig cc")
def test_compiled_c_program(tmp_path):
    """A C program (crt0, printf-style output through write(), exit code) gives the same
    records and output on both simulators."""
    from oxcore.program import load_program
    from sw.cc.driver import compile_c
    elf = compile_c([ROOT / "tests/programs/c/exit_code.c"], tmp_path / "exit_code.elf",
                    SMALL)
    stop = assert_same_run(SMALL, load_program(elf, SMALL), max_cycles=100_000)
    assert stop.exit_code == 3 and stop.instret > 1000


def test_callback_can_stop_the_run():
    seen = []

    def on_retire(record):
        seen.append(record)
        return len(seen) < 5

    stop = RtlSimulator(SMALL, loop_sum(SMALL, n=50).program()).run(on_retire=on_retire)
    assert stop.reason == "callback" and len(seen) == 5 == stop.instret


@pytest.mark.parametrize("seed,predictor,latency", [(11, "btb", 2), (12, "static", 3)])
def test_randprog_generator_programs(seed, predictor, latency):
    """Programs from the project's hazard-dense generator (cosim.randprog)."""
    from cosim.randprog import generate
    config = SMALL.replace(branch_predictor=predictor, mul_latency=latency)
    assert_same_run(config, generate(seed, config, length=150).program(), max_cycles=50_000)
