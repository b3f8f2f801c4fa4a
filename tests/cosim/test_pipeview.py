"""`--pipeview FILE`: Kanata pipeline logs from `oxcore run --sim rtl` and `oxcore cosim`.

The log is parsed back and checked against the run itself: every retired instruction
exactly once, in retire order (the `--trace` commit log's pcs), as many as `instret`;
each instruction's stages in pipeline order; wrong-path instructions flushed; the
load-use stall visible as a second cycle in ID; the same log from both backends and from
`run` and `cosim`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .rtl_programs import DEFAULT, SMALL, SMALL_C, assemble, compile_c, oxcore

# A loop with a load-use pair and a backward branch: the predictors miss at least once
# (the loop's exit, and with the BTB its first iteration); then a write() and exit(0).
LOOP_S = r"""
    .data
value:
    .word 7
text:
    .ascii "pv\n"
    .text
    .globl _start
_start:
    la   t0, value
    li   t1, 5
    li   t4, 0
loop:
    lw   t2, 0(t0)
    add  t3, t2, t1        # uses the load's result: one stall cycle
    add  t4, t4, t3
    addi t1, t1, -1
    bnez t1, loop
    li   a0, 1
    la   a1, text
    li   a2, 3
    li   a7, 64
    ecall
    andi a0, t4, 0
    li   a7, 93
    ecall
"""

TRAP_S = r"""
    .text
    .globl _start
_start:
    li   t0, 2
1:  addi t0, t0, -1
    bnez t0, 1b
    ebreak
    nop
"""

STAGES = ("IF", "IF2", "ID", "EX", "MEM", "WB")


@dataclass
class Insn:
    id: int
    label: str = ""
    stages: list[tuple[str, int]] = field(default_factory=list)  # (stage, start cycle)
    ends: list[tuple[str, int]] = field(default_factory=list)
    retire: tuple[int, int, int] | None = None  # (retire id, type, cycle)
    commands_after_retire: int = 0

    @property
    def pc(self) -> int:
        return int(self.label.split(":")[0], 16)


def parse_kanata(path: Path) -> tuple[dict[int, Insn], list[int]]:
    """Instructions by id, and the ids in the order their R commands appear."""
    lines = path.read_text().splitlines()
    assert lines[0] == "Kanata\t0004"
    assert lines[1].startswith("C=\t")
    cycle = int(lines[1].split("\t")[1])
    insns: dict[int, Insn] = {}
    order: list[int] = []
    for line in lines[2:]:
        cmd, *args = line.split("\t")
        if cmd == "C":
            assert int(args[0]) >= 1
            cycle += int(args[0])
            continue
        ident = int(args[0])
        if cmd == "I":
            assert ident not in insns, f"id {ident} started twice"
            insns[ident] = Insn(ident)
            continue
        insn = insns[ident]  # every other command comes after the I
        if insn.retire is not None:
            insn.commands_after_retire += 1
        if cmd == "L":
            if args[1] == "0":
                insn.label += args[2]
        elif cmd == "S":
            assert args[1] == "0"
            insn.stages.append((args[2], cycle))
        elif cmd == "E":
            insn.ends.append((args[2], cycle))
        elif cmd == "R":
            assert insn.retire is None, f"id {ident} ended twice"
            insn.retire = (int(args[1]), int(args[2]), cycle)
            order.append(ident)
        else:
            raise AssertionError(f"unknown command {line!r}")
    return insns, order


def check_log(path: Path, trace: Path, stats: dict) -> dict[int, Insn]:
    insns, order = parse_kanata(path)
    assert all(insn.retire is not None for insn in insns.values()), "an id never ended"
    assert all(insn.commands_after_retire == 0 for insn in insns.values())
    retired = [insns[i] for i in order if insns[i].retire[1] == 0]
    # Retire ids count 0, 1, 2, ... in the order the instructions retire.
    assert [insn.retire[0] for insn in retired] == list(range(len(retired)))
    assert len(retired) == stats["instret"]
    # ... and they are the commit log's instructions, in its order, each once.
    # (a trap's line is its record, not a retired instruction: instret does not count it)
    trace_pcs = [int(line.split()[3], 16) for line in trace.read_text().splitlines()
                 if " trap " not in line]
    assert [insn.pc for insn in retired] == trace_pcs
    for insn in insns.values():
        names = [stage for stage, _ in insn.stages]
        cycles = [cycle for _, cycle in insn.stages]
        assert names == [s for s in STAGES if s in names], (insn, names)
        assert cycles == sorted(set(cycles)), insn  # one stage at a time, moving forward
        assert names[0] == "IF"
        assert insn.retire[2] > cycles[-1]
        if insn.retire[1] == 0:
            assert names[-1] == "WB" and "ID" in names and "EX" in names and "MEM" in names
    return insns


def run_both(capsys, tmp_path: Path, elf: str, config: str, *extra: str):
    kanata, trace, stats = tmp_path / "run.kanata", tmp_path / "run.trace", \
        tmp_path / "run.json"
    status, out, err = oxcore(capsys, "run", elf, "--sim", "rtl", "--config", config,
                              "--pipeview", kanata, "--trace", trace, "--stats-json",
                              stats, *extra)
    assert "warning" not in err, err
    return status, kanata, trace, json.loads(stats.read_text())


@pytest.fixture(scope="module")
def loops(tmp_path_factory) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("pipeview")
    return {"default": assemble(directory, LOOP_S, "loop", DEFAULT),
            "small": assemble(directory, LOOP_S, "loop-small", SMALL)}


@pytest.mark.parametrize("config", ["default", "small"])
def test_every_retired_instruction_once_in_order_flushes_and_stalls(config, loops, tmp_path,
                                                                    capsys):
    status, kanata, trace, stats = run_both(capsys, tmp_path, loops[config], config)
    assert status == 0
    insns = check_log(kanata, trace, stats)
    flushed = [insn for insn in insns.values() if insn.retire[1] == 1]
    assert stats["counters"]["mispredicts"] >= 1
    assert flushed, "a misprediction squashes wrong-path instructions"
    assert all("WB" not in [s for s, _ in insn.stages] for insn in flushed)
    # The add after each load waits a cycle in ID (load-use interlock).
    adds = [insn for insn in insns.values()
            if insn.retire[1] == 0 and insn.label.endswith("add t3, t2, t1")]
    assert len(adds) == 5
    for insn in adds:
        starts = dict(insn.stages)
        assert starts["EX"] - starts["ID"] >= 2, insn
    # Registered fetch shows its own stage; without it the word is decoded at once.
    has_if2 = any("IF2" in dict(insn.stages) for insn in insns.values())
    assert has_if2 == (config == "default")


def test_a_trapping_instruction_is_flushed_not_retired(tmp_path, capsys):
    elf = assemble(tmp_path, TRAP_S, "trap")
    status, kanata, trace, stats = run_both(capsys, tmp_path, elf, "default")
    assert status == 133  # breakpoint
    insns = check_log(kanata, trace, stats)
    ebreak = [insn for insn in insns.values()
              if insn.label.endswith("ebreak") and "WB" in dict(insn.stages)]
    assert len(ebreak) == 1 and ebreak[0].retire[1] == 1  # in WB as a trap record: flushed


def test_a_c_program_with_syscalls(tmp_path, capsys):
    elf = compile_c(tmp_path, SMALL_C, "small")
    status, kanata, trace, stats = run_both(capsys, tmp_path, elf, "default")
    check_log(kanata, trace, stats)


def test_cosim_writes_the_same_log_and_trace_as_run(loops, tmp_path, capsys):
    _, kanata, trace, _ = run_both(capsys, tmp_path, loops["default"], "default",
                                   "--trace-cycles")
    ck, ct = tmp_path / "cosim.kanata", tmp_path / "cosim.trace"
    status, out, err = oxcore(capsys, "cosim", loops["default"], "--pipeview", ck,
                              "--trace", ct, "--trace-cycles")
    assert status == 0, err
    assert ck.read_text() == kanata.read_text()
    assert ct.read_text() == trace.read_text()
    assert ct.read_text().startswith("cycle ")


def test_both_backends_write_the_same_log(loops, tmp_path, capsys, monkeypatch):
    _, pysim, _, _ = run_both(capsys, tmp_path, loops["default"], "default")
    windowed = tmp_path / "pysim-window.kanata"
    oxcore(capsys, "run", loops["default"], "--sim", "rtl", "--pipeview", windowed,
           "--pipeview-window", "14:30")
    monkeypatch.setenv("OXCORE_RTL_BACKEND", "cxxrtl")
    cx = tmp_path / "cxxrtl.kanata"
    status, out, err = oxcore(capsys, "run", loops["default"], "--sim", "rtl",
                              "--pipeview", cx)
    assert status == 0, err
    assert cx.read_text() == pysim.read_text()
    cx_windowed = tmp_path / "cxxrtl-window.kanata"
    status, out, err = oxcore(capsys, "run", loops["default"], "--sim", "rtl",
                              "--pipeview", cx_windowed, "--pipeview-window", "14:30")
    assert status == 0, err
    assert cx_windowed.read_text() == windowed.read_text()


def test_limits_end_the_log_cleanly(loops, tmp_path, capsys):
    status, kanata, trace, stats = run_both(capsys, tmp_path, loops["default"], "default",
                                            "--max-instructions", "9")
    assert status == 152
    check_log(kanata, trace, stats)
    assert stats["instret"] == 9


def test_option_errors(loops, tmp_path, capsys):
    status, out, err = oxcore(capsys, "run", loops["default"], "--pipeview",
                              tmp_path / "x.kanata")
    assert status == 1 and "--pipeview needs --sim rtl" in err
    status, out, err = oxcore(capsys, "run", loops["default"], "--sim", "rtl",
                              "--pipeview", tmp_path)
    assert status == 1 and "is a directory" in err
    status, out, err = oxcore(capsys, "cosim", "--kernel", "all", "--pipeview",
                              tmp_path / "x.kanata")
    assert status == 1 and "not --kernel all" in err
    status, out, err = oxcore(capsys, "cosim", loops["default"], "--trace-cycles")
    assert status == 1 and "--trace-cycles needs --trace FILE" in err


def test_cosim_trace_ends_with_the_divergent_instruction(tmp_path, capsys):
    elf = assemble(tmp_path, ".data\nb: .byte 0xa2\n.text\n.globl _start\n_start:\n"
                             " la t0, b\n lb a0, 0(t0)\n addi a0, a0, 1\n li a7, 93\n ecall\n",
                   "lb")
    trace = tmp_path / "fault.trace"
    status, out, err = oxcore(capsys, "cosim", elf, "--fault", "lb-no-sign-extend",
                              "--trace", trace, "--pipeview", tmp_path / "fault.kanata")
    assert status == 1 and "MISMATCH at instruction #2" in err
    lines = trace.read_text().splitlines()
    assert len(lines) == 3  # auipc, addi, then the RTL's lb with its wrong value
    assert lines[-1].endswith("; lb a0, 0(t0)") and "x10 0x000000a2" in lines[-1]
    insns, order = parse_kanata(tmp_path / "fault.kanata")
    assert sum(insns[i].retire[1] == 0 for i in order) >= 3


def _retired_histories(insns: dict[int, Insn], start: int) -> dict[int, list]:
    """retire order -> the stages seen from cycle `start` on (the one it is in at
    `start` counted as starting there), of the retired instructions."""
    histories = {}
    for insn in insns.values():
        if insn.retire[1] == 0:
            before = [stage for stage, cycle in insn.stages if cycle <= start]
            histories[insn.retire[0]] = [(before[-1], start)] if before else []
            histories[insn.retire[0]] += [(stage, cycle) for stage, cycle in insn.stages
                                          if cycle > start]
    return histories


@pytest.mark.parametrize("config", ["default", "small"])
@pytest.mark.parametrize("window", [(12, 20), (0, 9), (25, 200)])
def test_a_window_is_the_same_as_the_whole_log_there(config, window, loops, tmp_path, capsys):
    _, whole, _, _ = run_both(capsys, tmp_path, loops[config], config)
    part = tmp_path / "part.kanata"
    status, out, err = oxcore(capsys, "run", loops[config], "--sim", "rtl", "--config", config,
                              "--pipeview", part, "--pipeview-window",
                              f"{window[0]}:{window[1]}")
    assert status == 0 and "warning" not in err, err
    full_insns, _ = parse_kanata(whole)
    part_insns, order = parse_kanata(part)
    assert part.read_text().splitlines()[1] == f"C=\t{window[0]}"
    start, end = window
    # The retired instructions in the pipeline during the window, and only those...
    expected = {insn.retire[0] for insn in full_insns.values() if insn.retire[1] == 0
                and insn.stages[0][1] < end and insn.retire[2] > start}
    part_retired = _retired_histories(part_insns, start)
    assert set(part_retired) == expected
    # ... with the same stages in the same cycles as in the whole log.
    full_retired = _retired_histories(full_insns, start)
    for order_number, history in part_retired.items():
        assert history == full_retired[order_number], order_number
    # Nothing new is fetched from END on; what was in flight is followed to its end.
    assert all(insn.stages[0][1] < end for insn in part_insns.values())
    assert all(insn.retire is not None for insn in part_insns.values())


def test_window_errors(loops, tmp_path, capsys):
    status, out, err = oxcore(capsys, "run", loops["default"], "--sim", "rtl",
                              "--pipeview-window", "1:5")
    assert status == 1 and "--pipeview-window needs --pipeview FILE" in err
    status, out, err = oxcore(capsys, "cosim", loops["default"], "--pipeview",
                              tmp_path / "x.kanata", "--pipeview-window", "5:5")
    assert status == 1 and "--pipeview-window '5:5': need 0 <= START < END" in err
