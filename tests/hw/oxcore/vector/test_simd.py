"""`hw.oxcore.vector.simd`'s shifters (multiplexer trees standing in for Amaranth's
variable shifts, which Yosys's resource sharing merges behind late selects) against
Python's shifts, on random values and every amount, in Amaranth's simulator."""

import random

from amaranth import Module, Signal
from amaranth.sim import Simulator

from hw.oxcore.vector.simd import shifted, shl, shr


def test_shifters_match_python_shifts():
    m = Module()
    value, amount = Signal(24), Signal(3)
    results = {
        "shl": Signal(24 + 7), "shr": Signal(24),
        "bytes_right": Signal(16), "bytes_left": Signal(40), "bits_left": Signal(12),
    }
    m.d.comb += [results["shl"].eq(shl(value, amount)), results["shr"].eq(shr(value, amount)),
                 results["bytes_right"].eq(shifted(value, amount, 16, 8)),
                 results["bytes_left"].eq(shifted(value, amount, 40, 8, left=True)),
                 results["bits_left"].eq(shifted(value, amount, 12, left=True))]
    assert len(shl(value, amount)) == len(value << amount)
    rng = random.Random(3)
    wrong = []

    async def bench(ctx):
        for _ in range(40):
            x = rng.getrandbits(24)
            for k in range(8):
                ctx.set(value, x)
                ctx.set(amount, k)
                want = {"shl": x << k, "shr": x >> k, "bytes_right": (x >> 8 * k) & 0xFFFF,
                        "bytes_left": (x << 8 * k) & (1 << 40) - 1,
                        "bits_left": (x << k) & 0xFFF}
                for name, signal in results.items():
                    if ctx.get(signal) != want[name]:
                        wrong.append((name, hex(x), k, hex(ctx.get(signal)), hex(want[name])))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert not wrong, wrong[:5]
