"""Reference mode (`step()`) and fast mode (`run()`, with and without records) agree.

The same program must give the same retire records (reference vs fast with records) and
the same final state (registers, pc, instret, exit/trap, memory, output) in all three
modes, including when a trap or an exit lands in the middle of a translated block and
when `max_instructions` stops a run mid-block. Programs are random (seeded; the seed is
in every failure message) plus a few directed shapes.
"""

from __future__ import annotations

import os
import random

import pytest

from oxcore.isa import format_instruction
from oxcore.retire import TrapCause
from cosim.iss.interpreter import MAX_BLOCK

from .helpers import (BASE, DATA, EBREAK, ECALL, MODES, NOP, SYS_EXIT, WINDOW, WINDOW_SIZE,
                      Features, I, Outcome, a0, a1, a2, a7, execute, li, make_program,
                      new_interpreter, random_program, run_reference, s0, t0, t1, t2)

SCALE = float(os.environ.get("OXCORE_FUZZ_SCALE", "1"))
BASE_SEED = int(os.environ.get("OXCORE_FUZZ_SEED", "0xC0DE"), 0)
PROGRAMS = max(1, int(40 * SCALE))
LENGTH = 200  # words of code per random program

EVERYTHING = Features(loops=True, calls=True, csr=True, syscalls=True, traps=True,
                      mid_exit=True)


def describe_record_mismatch(ref: list, other: list, label: str) -> str:
    for index, (r, o) in enumerate(zip(ref, other)):
        if r != o:
            return (f"{label}: record {index} differs in {r.diff(o)} at pc {r.pc:#010x} "
                    f"({format_instruction(r.insn, r.pc)}):\n  reference: {r}\n  fast:      {o}")
    return f"{label}: {len(ref)} reference records, {len(other)} fast records"


def assert_same(ref: Outcome, other: Outcome, label: str) -> None:
    if ref.records is not None and other.records is not None and ref.records != other.records:
        pytest.fail(describe_record_mismatch(ref.records, other.records, label))
    if ref.state() != other.state():
        names = ("x", "pc", "instret", "exit_value", "trap", "trap_pc", "trap_tval",
                 "stdout", "stderr")
        diffs = [n for n, a, b in zip(names, ref.state(), other.state()) if a != b]
        regs = [f"x{i}: {a:#x} vs {b:#x}" for i, (a, b) in enumerate(zip(ref.x, other.x))
                if a != b]
        pytest.fail(f"{label}: {other.mode} final state differs from reference in {diffs} "
                    f"{regs}\n  reference: {ref}\n  {other.mode}: {other}")
    assert ref.mem(WINDOW, WINDOW_SIZE) == other.mem(WINDOW, WINDOW_SIZE), \
        f"{label}: data window differs"


def check_records_consistent(out: Outcome, label: str) -> None:
    """Orders count up from 0; only a final record may trap; instret = retired records."""
    records = out.records
    assert [r.order for r in records] == list(range(len(records))), label
    retired = [r for r in records if r.trap is None]
    assert len(retired) == out.instret, f"{label}: {len(retired)} retired, instret {out.instret}"
    assert all(r.trap is None for r in records[:-1]), label
    if out.trap not in (None, TrapCause.INSTRUCTION_LIMIT):
        assert records[-1].trap == out.trap and records[-1].order == out.instret, label


def run_all(program, label: str, max_instructions: int | None = None) -> dict[str, Outcome]:
    outs = {mode: execute(program, mode, max_instructions=max_instructions) for mode in MODES}
    check_records_consistent(outs["reference"], label)
    for mode in MODES[1:]:
        assert_same(outs["reference"], outs[mode], f"{label} [{mode}]")
    return outs


def seed_for(index: int) -> int:
    return BASE_SEED + 7919 * index


@pytest.mark.parametrize("index", range(PROGRAMS))
def test_random_programs_agree(index):
    seed = seed_for(index)
    rng = random.Random(seed)
    features = EVERYTHING if index % 2 else Features(
        loops=True, calls=True, csr=True, syscalls=True, traps=True, mid_exit=True, end="exit")
    program, _ = random_program(rng, LENGTH, features)
    label = f"seed {seed:#x} (OXCORE_FUZZ_SEED={BASE_SEED:#x}, program {index})"
    outs = run_all(program, label)
    total = outs["reference"].instret
    assert total > 20, label  # the program did run

    # Limits landing everywhere: 0, 1, mid-block, at and one past the end.
    limits = {0, 1, total, total + 1, rng.randrange(total + 1), rng.randrange(total + 1),
              rng.randrange(total + 1)}
    full = outs["reference"].records
    ended_by_trap = outs["reference"].trap is not None
    for limit in sorted(limits):
        limited = run_all(program, f"{label} limit {limit}", max_instructions=limit)
        ref = limited["reference"]
        if limit < total or (limit == total and ended_by_trap):
            assert (ref.trap, ref.instret) == (TrapCause.INSTRUCTION_LIMIT, limit), label
            assert ref.records == full[:limit], label
        else:
            assert ref.state() == outs["reference"].state(), label


@pytest.mark.parametrize("index", range(max(1, PROGRAMS // 3)))
def test_resuming_after_a_limit_reaches_the_same_state(index):
    """run(limit) then run() again, and alternating step()/run(), end where one run() does."""
    seed = seed_for(1000 + index)
    rng = random.Random(seed)
    program, _ = random_program(rng, LENGTH, Features(end="exit", csr=True, syscalls=True))
    whole = execute(program, "fast")
    assert whole.trap is None, f"seed {seed:#x}: {whole}"

    interp = new_interpreter(program)
    m = interp.machine
    while True:
        chunk = rng.randrange(1, 40)
        stop = interp.run(m.instret + chunk)
        if stop.trap is None:
            break
        assert stop.trap.cause == TrapCause.INSTRUCTION_LIMIT, f"seed {seed:#x}"
        for _ in range(rng.randrange(0, 5)):  # a few reference steps in between
            record = interp.step()
            assert record.trap is None
            if m.exit_value is not None:
                break
        if m.exit_value is not None:
            break
    assert (list(m.x), m.pc, m.instret, m.exit_value, m.stdout.getvalue()) == \
        (whole.x, whole.pc, whole.instret, whole.exit_value, whole.stdout), f"seed {seed:#x}"
    assert m.read_bytes(WINDOW, WINDOW_SIZE) == whole.mem(WINDOW, WINDOW_SIZE)


def straight_line(count: int) -> list[int]:
    return [I.addi(t0, t0, 1)] * count


@pytest.mark.parametrize("limit", [0, 1, MAX_BLOCK - 1, MAX_BLOCK, MAX_BLOCK + 1,
                                   2 * MAX_BLOCK + 3, 150, 151])
def test_limit_is_exact_in_long_straight_line_code(limit):
    words = straight_line(150) + li(a7, SYS_EXIT) + [ECALL]
    outs = run_all(words, f"limit {limit}", max_instructions=limit)
    for out in outs.values():
        assert (out.trap, out.trap_tval, out.instret, out.pc, out.x[t0]) == \
            (TrapCause.INSTRUCTION_LIMIT, limit, limit, BASE + 4 * limit, min(limit, 150))


def test_limit_reached_exactly_at_exit_and_at_a_trap():
    exit_words = straight_line(10) + li(a7, SYS_EXIT) + [ECALL]  # 13 instructions
    assert run_all(exit_words, "exit", 13)["fast"].exit_value == 0  # a0 untouched
    assert run_all(exit_words, "exit", 12)["fast"].trap == TrapCause.INSTRUCTION_LIMIT
    trap_words = straight_line(10) + [EBREAK]
    assert run_all(trap_words, "ebreak", 11)["fast"].trap == TrapCause.BREAKPOINT
    assert run_all(trap_words, "ebreak", 10)["fast"].trap == TrapCause.INSTRUCTION_LIMIT
    # A limit reached just before a fetch fault stops with the limit, in every mode.
    jump_out = [I.jalr(0, 0x40, 0)]
    assert run_all(jump_out, "jump out", 1)["fast"].trap == TrapCause.INSTRUCTION_LIMIT
    assert run_all(jump_out, "jump out", 2)["fast"].trap == \
        TrapCause.INSTRUCTION_ACCESS_FAULT


@pytest.mark.parametrize("position", [0, 1, 30, MAX_BLOCK - 1, MAX_BLOCK, MAX_BLOCK + 5])
@pytest.mark.parametrize("trap_word, cause", [
    (I.lw(a0, 2, s0), TrapCause.LOAD_MISALIGNED),
    (I.sw(a0, 1, s0), TrapCause.STORE_MISALIGNED),
    (I.lw(a0, 0, 0), TrapCause.LOAD_ACCESS_FAULT),
    (0xFFFF_FFFF, TrapCause.ILLEGAL_INSTRUCTION),
    (EBREAK, TrapCause.BREAKPOINT),
    (I.csrrw(a0, 0xC00, t0), TrapCause.ILLEGAL_INSTRUCTION),
    (I.jal(0, 2), TrapCause.INSTRUCTION_MISALIGNED),
])
def test_trap_mid_block_retires_exactly_the_earlier_instructions(position, trap_word, cause):
    words = li(s0, DATA) + [I.sw(t0, 0, s0)] + straight_line(position) + [trap_word] + \
        straight_line(5) + [EBREAK]
    outs = run_all(words, f"{cause.name} after {position}")
    for out in outs.values():
        assert (out.trap, out.instret, out.pc, out.x[t0]) == \
            (cause, position + 3, BASE + 4 * (position + 3), position)


@pytest.mark.parametrize("position", [0, 5, MAX_BLOCK - 3, MAX_BLOCK + 2])
def test_exit_in_the_middle_of_straight_line_code(position):
    words = straight_line(position) + li(a0, 7) + li(a7, SYS_EXIT) + [ECALL] + \
        straight_line(20) + [EBREAK]
    outs = run_all(words, f"exit after {position}")
    for out in outs.values():
        assert (out.trap, out.exit_value, out.instret, out.x[t0]) == \
            (None, 7, position + 5, position)


def test_hot_loop_reuses_blocks_consistently():
    # A loop run 200 times with a store and a counter read inside: cached blocks must
    # behave like fresh ones on every iteration.
    words = (li(s0, DATA) + [I.addi(a7, 0, 200)]
             + [I.addi(t0, t0, 3), I.sw(t0, 0, s0), I.lw(a0, 0, s0), I.csrrs(a1, 0xC02, 0),
                I.add_(a2, a2, a1), I.addi(a7, a7, -1), I.bne(a7, 0, -24), EBREAK])
    outs = run_all(words, "hot loop")
    assert outs["fast"].x[t0] == 600 and outs["fast"].instret == 3 + 7 * 200


def test_store_into_the_executing_block():
    # Architecturally unspecified without fence.i (which OxCore lacks), but the two modes
    # of the golden model must agree: a store into translated code ends the block, so
    # fast mode, like reference mode, executes the new word.
    words = [I.lw(t1, 0, s0), I.auipc(t2, 0), I.sw(t1, 8, t2),
             I.addi(a0, 0, 1), EBREAK]
    program = make_program(words, {DATA: I.addi(a0, 0, 42).to_bytes(4, "little")})
    outs = {}
    for mode in MODES:
        interp = new_interpreter(program, {s0: DATA})
        if mode == "reference":
            run_reference(interp)
        else:
            interp.run(100, (lambda r: None) if mode == "fast-records" else None)
        outs[mode] = interp.machine.x[a0]
    assert outs == {"reference": 42, "fast": 42, "fast-records": 42}


def test_instret_csr_inside_long_blocks_is_exact():
    words = []
    for i in range(3 * MAX_BLOCK):
        words.append(I.csrrs(a0, 0xC02, 0) if i % 17 == 0 else NOP)
        if i % 17 == 0:
            words.append(I.sw(a0, 4 * (i // 17), s0))
    words = li(s0, DATA) + words + [EBREAK]
    outs = run_all(words, "instret reads")
    out = outs["fast"]
    expected = [2 + 18 * k for k in range(len(range(0, 3 * MAX_BLOCK, 17)))]
    got = [out.word(DATA + 4 * k) for k in range(len(expected))]
    assert got == expected
