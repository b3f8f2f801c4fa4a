"""The RTL harness (`cosim.rtl_sim`): limits, waveforms, and one ELF running unchanged
on the interpreter and the RTL."""

import importlib.util
from pathlib import Path

import pytest

from cosim.rtl_sim import RtlSimulator
from oxcore.config import PRESETS
from oxcore.program import Program
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


# ---- reuse of a built simulator (`cosim.rtl_sim._Reusable`) ----------------------------

def _store_then_load(config, value: int, stored: int, data: int) -> Program:
    """Loads the word at `data` (initialized to `value`) and the word at `stored` (not
    initialized), exits with their sum, then stores 0x5A5 at `stored`."""
    a = Asm(config)
    a.li(5, stored)
    a.li(6, data)
    a.lw(rd=7, rs1=6, imm=0)
    a.lw(rd=8, rs1=5, imm=0)
    a.add(rd=9, rs1=7, rs2=8)
    a.addi(rd=28, rs1=0, imm=0x5A5)
    a.sw(rs1=5, rs2=28, imm=0)
    a.syscall_exit(9)
    a.put(data, value.to_bytes(4, "little"))
    return a.program()


def test_a_reused_simulator_starts_every_program_afresh():
    """One simulator runs three programs (the vector preset: its banked data RAM too).
    Each reads a word its image sets and one the program before it stored to: the
    exit value is its own word alone (RAM reset between programs), the records are the
    interpreter's, and the first program's second run takes exactly its cycles (no
    other state, such as the branch predictor's, survives a program)."""
    config = PRESETS["vector"]
    stored = config.mem_base + 0x1000
    first = _store_then_load(config, 77, stored, config.mem_base + 0x1100)
    second = _store_then_load(config, 1000, stored, config.mem_base + 0x1200)
    runs = []
    for program, value in ((first, 77), (second, 1000), (first, 77)):
        sim = RtlSimulator(config, program)
        records = []
        stop = sim.run(on_retire=records.append)
        assert stop.exit_value == value
        assert records == interpreter_records(config, program)[0]
        runs.append((sim._reused, stop.cycles))
    assert runs[0][0] is not None and runs[0][0] is runs[1][0] is runs[2][0]
    assert runs[0][1] == runs[2][1]


def test_a_patched_unit_or_a_waveform_gets_a_simulator_of_its_own(monkeypatch, tmp_path):
    """Reuse needs the same design: a monkeypatched function of an RTL module (a fault
    injection test's) changes the key, and undone finds the first again;
    OXCORE_PYSIM_REUSE=0 and a waveform build one for the run."""
    import hw.oxcore.alu as alu
    program = loop_sum(SMALL, n=2).program()

    def reused(**options):
        sim = RtlSimulator(SMALL, program, **options)
        assert sim.run().exit_value == 3  # (1 + 2)
        return sim._reused
    first = reused()
    assert first is not None and reused() is first
    with monkeypatch.context() as patch:
        patch.setattr(alu, "Alu", type("Alu", (alu.Alu,), {}))
        patched = reused()
        assert patched is not None and patched is not first
    assert reused() is first
    from hw.oxcore import engine  # (an item of a public table, as the lanes' CONTROL)
    with monkeypatch.context() as patch:
        patch.setitem(engine.ENGINE_CLASSES, "test-only", object)
        assert reused() not in (None, first, patched)
    assert reused() is first
    monkeypatch.setenv("OXCORE_PYSIM_REUSE", "0")
    assert reused() is None
    monkeypatch.delenv("OXCORE_PYSIM_REUSE")
    assert reused(vcd_path=str(tmp_path / "w.vcd")) is None
