"""The reduction tree (`hw.oxcore.vector.reduction.ReductionTree`) on its own: the
active elements of one or more beats and a start value folded by each of the eight
single-width reductions and the two widening sums at every SEW, against the
interpreter's reductions (`oxcore.isa.vector.arith.REDUCTION`: numpy over the start and
the active elements) and, for the widening sums, Python integers. The tree is
pipelined, so the beats stream in, back to back or with gaps, and each instruction's
result is checked exactly `latency` cycles after its last beat entered, with
``stages`` showing that beat one stage further each cycle, then empty."""

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.oxcore.vector.decode import REDUCTIONS
from hw.oxcore.vector.reduction import ReductionTree
from oxcore.isa.vector import arith
from oxcore.isa.vector.arith import signed
from tests.hw.oxcore.vector.packing import elements, per_byte

EDGE_BYTES = (0x00, 0xFF, 0x80, 0x7F, 0x01)


def _expected(name: str, beats: list[tuple[int, list[bool]]], start: int, sew: int,
              width: int, widen: bool) -> int:
    """`name` over `start` and the active elements of `beats` (widening: vwredsum[u],
    `start` and the result 2*SEW bits)."""
    count = width // sew
    items = np.concatenate([elements(beat, sew, count)[np.array(active, bool)]
                            for beat, active in beats])
    if widen:  # an exact sum, then 2*SEW bits
        wide = 2 * sew
        extended = signed(items, sew) if name == "vwredsum" else items
        return (start + int(np.sum(extended))) & ((1 << wide) - 1)
    first = np.array([start & ((1 << sew) - 1)], np.int64)
    is_signed, fn = arith.REDUCTION[name]
    if is_signed:
        items, first = signed(items, sew), signed(first, sew)
    return int(fn(np.concatenate([first, items]))) & ((1 << sew) - 1)


def _instruction(rng: random.Random, width: int):
    """A random reduction: (name, sub, widen, sew code, start, beats)."""
    widen = rng.random() < 0.3
    code = rng.randrange(2 if widen else 3)
    sub = rng.randrange(2 if widen else 8)
    name = ("vwredsumu", "vwredsum")[sub] if widen else REDUCTIONS[sub]
    sew = 8 << code
    count = width // sew
    beats = []
    for _ in range(rng.choice((1, 1, 2, 3))):
        if rng.random() < 0.3:
            beat = int.from_bytes(bytes(rng.choice(EDGE_BYTES) for _ in range(width // 8)),
                                  "little")
        else:
            beat = rng.getrandbits(width)
        active = [rng.random() < 0.6 for _ in range(count)]
        if rng.random() < 0.1:
            active = [False] * count
        beats.append((beat, active))
    start = rng.getrandbits(2 * sew if widen else 32)
    return name, sub, widen, code, start, beats


@pytest.mark.parametrize("width", [32, 128, 256])
def test_reductions_match_the_interpreter(width):
    dut = ReductionTree(width)
    rng = random.Random(width)
    mismatches = []

    async def bench(ctx):
        for _ in range(250):
            name, sub, widen, code, start, beats = _instruction(rng, width)
            sew = 8 << code
            for signal, value in ((dut.sub, sub), (dut.sew, code), (dut.widen, widen)):
                ctx.set(signal, value)
            for k, (beat, active) in enumerate(beats):
                while rng.random() < 0.2:  # a gap: no beat this cycle
                    ctx.set(dut.valid, 0)
                    await ctx.tick()
                for signal, value in ((dut.valid, 1), (dut.first, k == 0),
                                      (dut.beat, beat), (dut.active, per_byte(active, sew)),
                                      (dut.start, start if k == 0 else rng.getrandbits(32))):
                    ctx.set(signal, value)
                await ctx.tick()
            # the last beat entered; it is in `result` after `latency` cycles in all
            ctx.set(dut.valid, 0)
            for stage in range(dut.latency - 1):
                assert ctx.get(dut.stages) >> stage & 1
                await ctx.tick()
            assert ctx.get(dut.stages) == 0
            got = ctx.get(dut.result)
            want = _expected(name, beats, start, sew, width, widen)
            if got != want:
                mismatches.append((name, sew, [hex(b) for b, _ in beats], hex(start),
                                   hex(got), hex(want)))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert not mismatches, mismatches[:5]


def test_back_to_back_instructions_do_not_mix():
    """A new instruction's first beat right behind the last one's: each result appears
    in its own cycle, `latency` after its last beat."""
    width = 128
    dut = ReductionTree(width)
    rng = random.Random(7)
    program = [_instruction(rng, width) for _ in range(60)]
    program = [p for p in program if not p[2]]  # (single-width: `sub` is shared)
    stream, due = [], {}
    for name, sub, _, code, start, beats in program:
        for k, (beat, active) in enumerate(beats):
            stream.append((sub, code, k == 0, beat, per_byte(active, 8 << code), start))
        due[len(stream) - 1] = _expected(name, beats, start, 8 << code, width, False)
    results = {}

    async def bench(ctx):
        for cycle, (sub, code, first, beat, active, start) in enumerate(stream):
            for signal, value in ((dut.valid, 1), (dut.first, first), (dut.beat, beat),
                                  (dut.active, active), (dut.sub, sub), (dut.sew, code),
                                  (dut.start, start)):
                ctx.set(signal, value)
            await ctx.tick()
            if cycle - dut.latency + 1 in due:
                results[cycle - dut.latency + 1] = ctx.get(dut.result)
        ctx.set(dut.valid, 0)
        for cycle in range(len(stream), len(stream) + dut.latency):
            await ctx.tick()
            if cycle - dut.latency + 1 in due:
                results[cycle - dut.latency + 1] = ctx.get(dut.result)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert results == due
