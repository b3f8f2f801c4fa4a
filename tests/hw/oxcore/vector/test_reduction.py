"""The reduction tree (`hw.oxcore.vector.reduction.ReductionTree`) on its own: a beat's
active elements and a running value folded by each of the eight single-width
reductions at every SEW, against the interpreter's reductions
(`oxcore.isa.vector.arith.REDUCTION`: numpy over the start and the active elements),
on random beats and masks and on the edges (every element inactive, extreme values)."""

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


def _expected(name: str, beat: int, active: list[bool], start: int, sew: int,
              width: int) -> int:
    count = width // sew
    items = elements(beat, sew, count)
    first = np.array([start & ((1 << sew) - 1)], np.int64)
    is_signed, fn = arith.REDUCTION[name]
    if is_signed:
        items, first = signed(items, sew), signed(first, sew)
    values = np.concatenate([first, items[np.array(active, bool)]])
    return int(fn(values)) & ((1 << sew) - 1)


@pytest.mark.parametrize("width", [32, 128, 256])
def test_reductions_match_the_interpreter(width):
    dut = ReductionTree(width)
    rng = random.Random(width)
    mismatches = []

    async def bench(ctx):
        for _ in range(500):
            sub, code = rng.randrange(8), rng.randrange(3)
            sew = 8 << code
            count = width // sew
            if rng.random() < 0.3:
                beat = int.from_bytes(bytes(rng.choice(EDGE_BYTES) for _ in range(width // 8)),
                                      "little")
            else:
                beat = rng.getrandbits(width)
            active = [rng.random() < 0.6 for _ in range(count)]
            if rng.random() < 0.1:
                active = [False] * count
            start = rng.getrandbits(32)
            for signal, value in ((dut.beat, beat), (dut.active, per_byte(active, sew)),
                                  (dut.sub, sub), (dut.sew, code), (dut.start, start)):
                ctx.set(signal, value)
            got = ctx.get(dut.result)
            want = _expected(REDUCTIONS[sub], beat, active, start, sew, width)
            if got != want:
                mismatches.append((REDUCTIONS[sub], sew, hex(beat), active, hex(start),
                                   hex(got), hex(want)))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert not mismatches, mismatches[:5]
