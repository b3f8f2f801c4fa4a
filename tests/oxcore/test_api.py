"""The Python API (`oxcore.api`) on a program whose every effect is worked out by hand:
it prints "hi\\n" with write(), stores 42 into memory, loads it back and exits with 3."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oxcore import api
from oxcore.cli import main
from oxcore.errors import OxCoreError
from oxcore.retire import TrapCause

SOURCE = """
    .data
msg: .ascii "hi\\n"
    .balign 4
cell: .word 0
    .text
    .globl _start
_start:
    li a0, 1
    la a1, msg
    li a2, 3
    li a7, 64
    ecall                 # write(1, msg, 3) -> a0 = 3
    li t0, 42
    la t1, cell
    sw t0, 0(t1)
    lw a0, 0(t1)
    addi a0, a0, -39      # 3
    li a7, 93
    ecall
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> api.LoadedProgram:
    directory = tmp_path_factory.mktemp("api")
    (directory / "p.S").write_text(SOURCE)
    assert main(["asm", str(directory / "p.S"), "-o", str(directory / "p.elf"),
                 "--config", "small"]) == 0
    return api.load(directory / "p.elf", config="small")


@pytest.mark.parametrize("sim", ["iss", "rtl"])
def test_run_reports_output_exit_and_records(program, sim) -> None:
    result = api.run(program, sim=sim, records=True)
    assert (result.exit_code, result.trap, result.stdout, result.stderr) == (3, None, b"hi\n", b"")
    records = result.records
    assert len(records) == result.instret
    stores = records.effects_of("mem")
    assert stores.columns["write"].tolist() == [1, 0]  # sw, then lw
    assert stores.columns["data"].tolist() == [42, 42] and stores.columns["size"].tolist() == [4, 4]
    writes = records.effects_of("x")
    a0 = writes.columns["value"][writes.columns["reg"] == 10].tolist()
    # li a0, 1; write() -> 3; lw; addi; and exit(), whose record reports a0 (docs)
    assert a0 == [1, 3, 42, 3, 3]
    assert records.effects_of("trap").order.size == 0
    if sim == "rtl":
        assert result.cycles >= result.instret and result.counters["instret"] == result.instret
    else:
        assert result.cycles is None and result.counters == {}


def test_interpreter_and_rtl_agree_column_by_column(program) -> None:
    iss = api.run(program, sim="iss", records=True).records
    rtl = api.run(program, sim="rtl", records=True).records
    assert iss.first_difference(rtl) is None
    assert np.array_equal(iss.pc, rtl.pc) and np.array_equal(iss.insn, rtl.insn)


def test_limits_and_cosim(program) -> None:
    stopped = api.run(program, sim="iss", max_instructions=2)
    assert (stopped.trap, stopped.exit_code, stopped.instret) == (TrapCause.INSTRUCTION_LIMIT,
                                                                  152, 2)
    verdict = api.cosim(program)
    assert (verdict.verdict, verdict.exit_status, verdict.ended) == \
        ("exit", 3, {"how": "exit", "exit_code": 3})
    assert verdict.report == "" and verdict.instret == api.run(program).instret


def test_bad_arguments_are_errors_not_tracebacks(program, tmp_path: Path) -> None:
    with pytest.raises(OxCoreError, match="sim='gpu'"):
        api.run(program, sim="gpu")
    with pytest.raises(OxCoreError, match="max_cycles and vcd need sim='rtl'"):
        api.run(program, sim="iss", max_cycles=10)
    with pytest.raises(OxCoreError, match="must be a positive integer"):
        api.run(program, max_instructions=0)
    with pytest.raises(OxCoreError):
        api.load(tmp_path / "missing.elf")


def test_the_example_script_runs() -> None:
    """examples/api_example.py, as a user runs it (so the documented example cannot rot)."""
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(root / "examples" / "api_example.py")],
                          capture_output=True, text=True, timeout=600, cwd=root)
    assert done.returncode == 0, done.stderr
    assert "fib(9) = 34" in done.stdout and "retire streams: identical" in done.stdout
    assert "cosim: exit (status 3), ended {'how': 'exit', 'exit_code': 55}" in done.stdout
