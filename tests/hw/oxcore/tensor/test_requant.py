"""tst.b's requantizer (`hw.oxcore.tensor.requant`) against the interpreter's
`requantize`, element by element: random and extreme accumulators, multipliers, shifts
and zero points in every rounding mode, bytes and the saturation flag."""

import random

import numpy as np
from amaranth.sim import Simulator

from hw.oxcore.tensor.requant import Requantizer
from oxcore.isa.tensor.requant import requantize

TDIM = 4
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
EXTREMES = [INT32_MIN, INT32_MAX, 0, 1, -1, 5, -5, 3, -3, 1 << 30, -(1 << 30)]


def _cases(seed: int, count: int):
    rng = random.Random(seed)

    def int32(small: int) -> int:
        if rng.random() < 0.3:
            return rng.choice(EXTREMES)
        return rng.randint(-small, small) if rng.random() < 0.5 else rng.randint(INT32_MIN, INT32_MAX)
    for _ in range(count):
        yield ([int32(4000) for _ in range(TDIM)], int32(1 << 31), rng.randrange(32),
               int32(300), rng.randrange(4))


def test_requantizer_matches_the_interpreter():
    dut = Requantizer(TDIM)
    mismatches = []

    async def bench(ctx):
        for acc, multiplier, shift, zero_point, rounding in _cases(1, 400):
            ctx.set(dut.row, sum((a & 0xFFFF_FFFF) << (32 * j) for j, a in enumerate(acc)))
            ctx.set(dut.multiplier, multiplier & 0xFFFF_FFFF)
            ctx.set(dut.shift, shift)
            ctx.set(dut.zero_point, zero_point & 0xFFFF_FFFF)
            ctx.set(dut.rounding, rounding)
            await ctx.delay(1e-9)
            raw = ctx.get(dut.result)
            got = [((raw >> (8 * j)) & 0xFF ^ 0x80) - 0x80 for j in range(TDIM)]
            expected, saturated = requantize(np.array(acc), multiplier, shift, zero_point,
                                             rounding)
            if got != expected.tolist() or (ctx.get(dut.saturated) != 0) != saturated:
                mismatches.append((acc, multiplier, shift, zero_point, rounding, got,
                                   expected.tolist()))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert not mismatches, mismatches[:3]
