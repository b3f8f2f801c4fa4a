"""The K-loop software-pipelining plan (sw/compiler/kloop.py): where each tile load goes,
checked against schedules worked out by hand, the engine model against hand-computed
timelines, and the plans' register safety over every candidate."""

from __future__ import annotations

import itertools

import pytest

from sw.compiler.kloop import (KStep, orders, place_loads, plan_k_loop, simulate,
                               simulate_queue, slot)

#: TDIM 8: a tmma 32 cycles, tld.b 8 port cycles + 4, tld.bt 32 + 4, tst.w 8 + 4.
B_TRANSPOSED = KStep(2, 2, 1, tmma_cycles=32, a_load_cycles=12, b_load_cycles=12,
                     store_cycles=12)
B_ROW_MAJOR = KStep(2, 2, 1, tmma_cycles=32, a_load_cycles=12, b_load_cycles=36,
                    store_cycles=12)


def test_the_hand_schedule_for_2x2_tiles_with_long_b_loads() -> None:
    """By columns, offset 1 (docs/compiler.md): B0's slot is last read by C10, so its
    next tile loads after C01, in the iteration before; A0's after C11, at the start;
    A1 and B1's (last read by C11) after the next C00."""
    plan = place_loads(orders(B_ROW_MAJOR)["columns"], B_ROW_MAJOR, offset=1)
    assert plan.describe() == ("load A0; tmma C00; load A1; load B1; tmma C10; tmma C01; "
                               "prefetch B0; tmma C11")
    assert plan.prefetched() == {("b", (0, 0))}


def test_the_peeled_iteration_loads_everything_and_prefetches_for_the_loop() -> None:
    """Its first loads go in the order the previous program's last iteration freed
    their slots: B0's (last read by C10) before A0's (by C01, a tmma later); A0 first,
    the 36-cycle B0 would start only after it and the array would wait."""
    step = B_ROW_MAJOR
    loop = place_loads(orders(step)["columns"], step, offset=1)
    first = place_loads(orders(step)["columns"], step, offset=1, prefetch=loop.prefetched(),
                        previous_order=loop.order)
    assert first.describe() == ("load B0; load A0; tmma C00; load A1; load B1; tmma C10; "
                                "tmma C01; prefetch B0; tmma C11")


def test_a_prefetch_whose_tile_the_last_tmma_reads_goes_at_the_end() -> None:
    """In the peeled iteration a tile used up to the last tmma can only be prefetched
    after it (not at the start, which is another place in the queue)."""
    step = B_TRANSPOSED
    loop = place_loads(orders(step)["rows"], step, offset=0)
    assert loop.prefetched() == {("a", (0, 0)), ("b", (0, 0))}
    first = place_loads(orders(step)["rows"], step, offset=4, prefetch={("b", (0, 1))})
    assert first.prefetches == ((3, ("b", (0, 1))),)


@pytest.mark.parametrize("shape", [(2, 2, 1), (2, 2, 2), (1, 2, 1), (2, 1, 3), (1, 1, 1),
                                   (1, 4, 2)])
def test_every_candidate_loads_a_slot_only_after_its_last_reader(shape) -> None:
    """The invariant that keeps the shared slot registers correct: over two
    iterations, each load is emitted after every tmma that reads the tile its slot
    held before, and before every tmma that reads the tile it loads."""
    step = KStep(*shape, tmma_cycles=32, a_load_cycles=12, b_load_cycles=36)
    for order, offset in itertools.product(orders(step).values(), (0, 1, 2, 99)):
        loop = place_loads(order, step, offset)
        for first in (place_loads(order, step, offset, loop.prefetched()), loop):
            _check_register_safety(first, loop, step)


def _check_register_safety(first, loop, step) -> None:
    events: list[tuple] = []  # ("read", slot, iteration, tile) / ("load", ...)
    for iteration, plan in enumerate((first, loop, loop)):
        n = len(plan.order)
        if iteration == 0 and plan is loop:
            events += [("load", slot(t), 0, t) for _, t in plan.prefetches]
        for position in range(-1, n):
            if position >= 0:
                kt, mt, nt = plan.order[position]
                events += [("read", slot(("a", (mt, kt))), iteration, ("a", (mt, kt))),
                           ("read", slot(("b", (kt, nt))), iteration, ("b", (kt, nt)))]
            events += [("load", slot(t), iteration, t) for at, t in plan.loads
                       if at == position]
            if iteration < 2:
                events += [("load", slot(t), iteration + 1, t) for at, t in plan.prefetches
                           if at == position]
    holds: dict = {}
    for kind, register, iteration, tile in events:
        if kind == "load":
            holds[register] = (iteration, tile)
        else:
            assert holds.get(register) == (iteration, tile), (first.describe(),
                                                              loop.describe())


def test_the_model_times_back_to_back_tmma_and_a_load_they_wait_for() -> None:
    assert simulate_queue([("mma", 32, "c0", "a", "b"), ("mma", 32, "c1", "a", "b")]) == 64
    # the tmma waits for its operand's 12-cycle load
    assert simulate_queue([("load", "a", 12), ("mma", 32, "c0", "a", "b")]) == 44
    # a load into a tile the running tmma reads starts in its last cycle
    assert simulate_queue([("mma", 32, "c0", "a", "b"), ("load", "a", 12)]) == 31 + 12


def test_a_load_behind_a_parked_tmma_passes_it() -> None:
    """tmma 1 runs, tmma 2 waits parked, the load on other tiles starts at once."""
    queue = [("mma", 32, "c0", "a", "b"), ("mma", 32, "c1", "a", "b"), ("load", "x", 12),
             ("mma", 32, "c2", "x", "b")]
    assert simulate_queue(queue) == 96  # x loaded by cycle 14: no wait for it


def test_the_hand_schedule_keeps_the_array_busy() -> None:
    """In the steady state, 4 x 32 cycles per iteration (the hand schedule's claim)."""
    plan = place_loads(orders(B_ROW_MAJOR)["columns"], B_ROW_MAJOR, offset=1)
    assert simulate(plan, B_ROW_MAJOR, 8) - simulate(plan, B_ROW_MAJOR, 4) == 4 * 128
    lazy = place_loads(orders(B_ROW_MAJOR)["rows"], B_ROW_MAJOR, offset=4)
    assert simulate(lazy, B_ROW_MAJOR, 8) - simulate(lazy, B_ROW_MAJOR, 4) > 4 * 128


def test_the_planner_pipelines_long_loads_and_keeps_short_ones_lazy() -> None:
    first, loop = plan_k_loop(B_ROW_MAJOR)
    assert loop.prefetched()
    first, loop = plan_k_loop(B_TRANSPOSED)
    assert not loop.prefetched()
