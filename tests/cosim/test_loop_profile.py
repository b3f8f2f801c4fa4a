"""The loop profile (`cosim.loop_profile`) on hand-built retirement streams with
hand-computed answers, then on real pysim runs; each engine's busy cycles from its
instructions' spans (`cosim.completions`) against the RTL's own busy signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cosim.cosim_cmd import cosim_program
from cosim.loop_profile import (Timeline, busy_cycles, find_loops, format_profile,
                                profile_loops)
from oxcore.config import load_config
from oxcore.program import load_program
from oxcore.retire import RecordBatch

from .rtl_programs import DEFAULT, assemble

BASE = DEFAULT.mem_base
VECTOR = load_config("vector")

# Offsets from BASE in the comments. Two nested loops with a call in the outer one, and
# a guarded loop that never runs; loops are named after the nearest symbol.
NESTED = """
    .text
    .globl _start
_start:
    addi s0, zero, 2        # 0x00
outer:
    addi s1, zero, 3        # 0x04
1:                          # (a local label: not in the ELF's symbols)
    addi s1, s1, -1         # 0x08
    bnez s1, 1b             # 0x0c
    jal ra, leaf            # 0x10
    addi s0, s0, -1         # 0x14
    bnez s0, outer          # 0x18
    addi s2, zero, 0        # 0x1c
    beqz s2, skip           # 0x20
never:
    addi s2, s2, -1         # 0x24
    bnez s2, never          # 0x28
skip:
    addi a7, zero, 93       # 0x2c
    ecall                   # 0x30
leaf:
    ret                     # 0x34
"""
# The run of NESTED, as (offset, cycles charged): the inner loop's branch costs 3, the
# call 2, the return 4, the first instruction 5 (it retires at cycle 4).
OUTER_ITERATION = [(0x04, 1)] + [(0x08, 1), (0x0C, 3)] * 3 + [(0x10, 2), (0x34, 4),
                                                              (0x14, 1), (0x18, 1)]
NESTED_RUN = ([(0x00, 5)] + OUTER_ITERATION * 2
              + [(0x1C, 1), (0x20, 1), (0x2C, 1), (0x30, 1)])


def program_of(tmp_path: Path, source: str, config=DEFAULT):
    return load_program(assemble(tmp_path, source, config=config), config)


def stream(run: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(pcs, retire cycles) of a run given as (offset, cycles charged) pairs."""
    pcs = np.array([BASE + offset for offset, _ in run], np.uint32)
    return pcs, np.cumsum([cost for _, cost in run]) - 1


def by_head(profile) -> dict[int, object]:
    return {f.loop.head - BASE: f for f in profile.loops}


def test_nested_loops_a_call_inside_one_and_a_loop_that_never_runs(tmp_path):
    program = program_of(tmp_path, NESTED)
    loops = {loop.head - BASE: loop for loop in find_loops(program)}
    assert sorted(loops) == [0x04, 0x08, 0x24]
    assert [loops[h].depth for h in (0x04, 0x08, 0x24)] == [0, 1, 0]
    assert loops[0x04].tail - BASE == 0x18 and loops[0x04].name == "outer"
    assert loops[0x08].name == "outer+0x4"
    assert 0x34 + BASE not in loops[0x04].body  # the called function is not in it
    profile = profile_loops(*stream(NESTED_RUN), program)
    assert (profile.window, profile.cycles, profile.instructions) == ("the whole run", 51, 27)
    figures = by_head(profile)
    outer, inner, never = figures[0x04], figures[0x08], figures[0x24]
    # outer: 2 iterations of 21 cycles (11 instructions), the call's 4 included; itself
    # 0x04, the call, 0x14 and its branch: 5 cycles and 4 instructions an iteration
    assert (outer.entries, outer.iterations) == (1, 2)
    assert (outer.cycles, outer.instructions, outer.self_cycles, outer.self_instructions) \
        == (42, 22, 10, 8)
    # inner: entered twice, its branch taken twice each time: 6 iterations of 4 cycles
    assert (inner.entries, inner.iterations) == (2, 6)
    assert (inner.cycles, inner.instructions, inner.self_cycles) == (24, 12, 24)
    assert (never.entries, never.iterations, never.cycles, never.instructions) == (0, 0, 0, 0)
    # outside: the first instruction (5), the returns (2 x 4), the four after the loops
    assert profile.outside_cycles == 17
    assert profile.outside_cycles + outer.self_cycles + inner.self_cycles == profile.cycles


def test_the_table_shows_the_loops_in_pc_order_inner_ones_indented(tmp_path):
    profile = profile_loops(*stream(NESTED_RUN), program_of(tmp_path, NESTED))
    lines = format_profile(profile).splitlines()
    assert lines[0] == ("  where the time went (the whole run: 51 cycles, 27 instructions), "
                        "by loop (1 did not run):")
    assert lines[1].split() == ["loop", "pcs", "iterations", "cycles", "%", "instructions",
                                "CPI", "self", "cycles", "self", "%"]
    assert lines[2].split() == ["outer", "80000004-80000018", "2", "42", "82.4%", "22",
                                "1.91", "10", "19.6%"]
    assert lines[3].startswith("      outer+0x4 ")  # one level in
    assert lines[3].split()[1:4] == ["80000008-8000000c", "6", "24"]
    assert lines[4].split() == ["(outside", "loops)", "17", "33.3%"]
    top_one = format_profile(profile, top=1).splitlines()
    assert "(1 more not shown; 1 did not run)" in top_one[0] and len(top_one) == 4


# A jump from an out-of-line block back into the loop's body is not a loop of its own,
# and the out-of-line block belongs to the loop (the compiler places such blocks after
# the function's return).
OUT_OF_LINE = """
    .text
    .globl _start
_start:
    jal ra, function        # 0x00
    addi a7, zero, 93       # 0x04
    ecall                   # 0x08
function:
    addi t0, zero, 3        # 0x0c
loop:
    beqz t1, cold           # 0x10
back:
    addi t0, t0, -1         # 0x14
    bnez t0, loop           # 0x18
    ret                     # 0x1c
cold:
    addi t1, zero, 1        # 0x20
    j back                  # 0x24
"""


def test_out_of_line_code_belongs_to_its_loop(tmp_path):
    program = program_of(tmp_path, OUT_OF_LINE)
    loop, = find_loops(program)
    assert (loop.head - BASE, loop.tail - BASE, loop.name) == (0x10, 0x18, "loop")
    assert [pc - BASE for pc in loop.body] == [0x10, 0x14, 0x18, 0x20, 0x24]
    run = ([(0x00, 1), (0x0C, 1), (0x10, 1), (0x20, 1), (0x24, 2), (0x14, 1), (0x18, 1)]
           + [(0x10, 1), (0x14, 1), (0x18, 1)] * 2 + [(0x1C, 1), (0x04, 1), (0x08, 1)])
    figures, = profile_loops(*stream(run), program).loops
    assert (figures.entries, figures.iterations, figures.cycles, figures.instructions) \
        == (1, 3, 12, 11)


KERNEL_REGION = """
    .text
    .globl _start
_start:
    addi t0, zero, 2        # 0x00
    .globl kernel_begin
kernel_begin:
    rdcycle t1              # 0x04
loop:
    addi t0, t0, -1         # 0x08
    bnez t0, loop           # 0x0c
    .globl kernel_end
kernel_end:
    rdcycle t1              # 0x10
    addi a7, zero, 93       # 0x14
    ecall                   # 0x18
"""


def test_the_kernel_region_is_cut_from_the_stream(tmp_path):
    """From the retirement after kernel_begin's through kernel_end's."""
    run = [(0x00, 7), (0x04, 2), (0x08, 1), (0x0C, 3), (0x08, 1), (0x0C, 1), (0x10, 2),
           (0x14, 1), (0x18, 9)]
    profile = profile_loops(*stream(run), program_of(tmp_path, KERNEL_REGION))
    assert (profile.window, profile.cycles, profile.instructions) == \
        ("kernel_begin..kernel_end", 8, 5)
    assert (profile.first_cycle, profile.last_cycle) == (8, 16)
    loop, = profile.loops
    assert (loop.iterations, loop.cycles, loop.instructions) == (2, 6, 4)
    assert profile.outside_cycles == 2


def test_busy_cycles_is_the_union_of_the_spans_in_the_window():
    spans = [(3, 5), (4, 8), (12, 12), (20, 30)]  # inclusive; overlapping, out of order
    assert busy_cycles(spans[::-1], 0, 100) == 6 + 1 + 11
    assert busy_cycles(spans, 4, 22) == 4 + 1 + 3  # (4, 22]: 5..8, 12, 20..22
    assert busy_cycles([], 0, 100) == 0


def test_completions_note_each_reporting_instructions_span(monkeypatch):
    """From the cycle after its record retires to its last report beat, per engine;
    merged into disjoint spans once there are many."""
    import cosim.completions as completions_module
    from oxcore.retire import RetireRecord
    from oxcore.retire.ports import AWAITS_ENGINE
    monkeypatch.setattr(completions_module, "MERGE_SPANS", 3)
    completions = completions_module.Completions()
    for order, retired in enumerate((10, 11, 20)):
        completions.retired(RetireRecord(order, 0, 0), retired, AWAITS_ENGINE)
    completions.retired(RetireRecord(3, 0, 0), 21, 0)  # a scalar instruction: no span
    completions.reported(RetireRecord(1, 0, 0), False, 12, engine=1)  # not its last beat
    completions.reported(RetireRecord(1, 0, 0), True, 15, engine=1)
    completions.reported(RetireRecord(0, 0, 0), True, 14, engine=1)
    assert completions.engine_spans == {1: [(12, 15), (11, 14)]}
    completions.reported(RetireRecord(2, 0, 0), True, 25, engine=1)  # the third: merged
    assert completions.engine_spans == {1: [(11, 15), (21, 25)]}
    assert completions_module.merge_spans([(5, 6), (1, 2), (3, 3), (9, 9)]) == \
        [(1, 3), (5, 6), (9, 9)]


def test_timeline_keeps_the_checked_records_pcs_and_cycles():
    timeline = Timeline()
    batch = RecordBatch(np.arange(3), np.array([8, 12, 16]), np.zeros(3, np.uint32), {},
                        np.array([5, 6, 9]))
    timeline.add(batch, 2)
    timeline.add(batch, 3)
    pcs, cycles = timeline.arrays()
    assert pcs.tolist() == [8, 12, 8, 12, 16] and cycles.tolist() == [5, 6, 5, 6, 9]


# ---- real runs (pysim) -------------------------------------------------------------------

COUNTED = """
    .text
    .globl _start
_start:
    addi t0, zero, 10
    addi t1, zero, 0
loop:
    add t1, t1, t0
    addi t0, t0, -1
    bnez t0, loop
    addi a0, zero, 0
    addi a7, zero, 93
    ecall
"""


def test_a_counted_loop_on_the_rtl(tmp_path):
    """10 iterations of 3 instructions: counted exactly from the RTL's stream."""
    program = program_of(tmp_path, COUNTED)
    result = cosim_program(DEFAULT, program, backend="pysim", timeline=True)
    assert result.ok and result.rtl.reason == "exit"
    pcs, cycles = result.timeline.arrays()
    assert len(pcs) == result.rtl.instret == 2 + 30 + 3
    profile = profile_loops(pcs, cycles, program)
    loop, = profile.loops
    assert (loop.loop.head - BASE, loop.entries, loop.iterations) == (0x08, 1, 10)
    assert (loop.instructions, loop.self_instructions) == (30, 30)
    assert profile.cycles == cycles[-1] + 1 and 30 <= loop.cycles < profile.cycles


VECTOR_PROGRAM = """
    .text
    .globl _start
_start:
    la s0, data
    vsetvli t0, zero, e32, m4, ta, ma
    vle32.v v4, (s0)
    vadd.vv v8, v4, v4
    vse32.v v8, (s0)
    lw t1, 0(s0)
    addi a0, zero, 0
    addi a7, zero, 93
    ecall
    .data
    .p2align 6
data:
    .zero 256
"""


def _sample_busy(monkeypatch, sim) -> dict[str, int]:
    """Count the cycles each engine's `pipe.busy` is high, through the pysim harness's
    per-cycle sampling hook (the one --pipeview uses)."""
    import cosim.pipeview
    names = list(sim.config.engines)
    monkeypatch.setattr(cosim.pipeview, "pysim_values", lambda core: {
        name: engine.pipe.busy for name, engine in zip(names, sim.top.engines)})
    counts = dict.fromkeys(names, 0)

    class Sampler:
        def wants(self, cycle: int) -> bool:
            return True

        def sample(self, cycle: int, values: dict, retired_before: int) -> None:
            for name, busy in values.items():
                counts[name] += bool(busy)

    sim.pipeview = Sampler()
    return counts


@pytest.mark.parametrize("source, busy", [(VECTOR_PROGRAM, True), (COUNTED, False)])
def test_vector_busy_cycles_are_the_engines_busy_signal(tmp_path, monkeypatch, source, busy):
    """The spans' union equals the cycles the vector engine's busy signal is high; a
    scalar program keeps it idle."""
    from cosim.rtl_sim import RtlSimulator
    program = program_of(tmp_path, source, VECTOR)
    sim = RtlSimulator(VECTOR, program)
    sampled = _sample_busy(monkeypatch, sim)
    stop = sim.run()
    assert stop.reason == "exit" and stop.exit_code == 0
    spans = stop.engine_spans.get("vector", [])
    counted = busy_cycles(spans, -1, stop.cycles)
    assert counted == sampled["vector"]
    if busy:
        assert len(spans) == 4 and 0 < counted <= stop.cycles  # vsetvli to vse32.v
    else:
        assert counted == 0
