"""tst.b's requantizer (`hw.oxcore.tensor.requant`) against the interpreter's
`requantize`, element by element: random and extreme accumulators, multipliers, shifts
and zero points in every rounding mode, activation clamps (tqmin/tqmax), bytes and the
saturation flag; a requantizer with a broken clamp (fault injection) is caught."""

import random

import numpy as np
from amaranth import Module, Mux, Signal, signed
from amaranth.sim import Simulator

from hw.oxcore.tensor.requant import Requantizer
from oxcore.isa.tensor.requant import requantize

TDIM = 4
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
EXTREMES = [INT32_MIN, INT32_MAX, 0, 1, -1, 5, -5, 3, -3, 1 << 30, -(1 << 30)]


ROWS = 3  # rows in the pipeline together under one set of parameters


def _cases(seed: int, count: int):
    """`count` parameter sets, each with ROWS rows of accumulators."""
    rng = random.Random(seed)

    def int32(small: int) -> int:
        if rng.random() < 0.3:
            return rng.choice(EXTREMES)
        return rng.randint(-small, small) if rng.random() < 0.5 else rng.randint(INT32_MIN, INT32_MAX)
    for _ in range(count):
        zero_point = int32(300)
        yield ([[int32(4000) for _ in range(TDIM)] for _ in range(ROWS)], int32(1 << 31),
               rng.randrange(32), zero_point, rng.randrange(4), _clamp(rng, zero_point))


def _clamp(rng: random.Random, zero_point: int) -> tuple[int, int]:
    """None (-128, 127), ReLU's (zero point up) or a random window (lo > hi too)."""
    kind = rng.randrange(3)
    if kind == 0:
        return -128, 127
    if kind == 1:
        return max(-128, min(127, zero_point)), 127
    return rng.randint(-128, 127), rng.randint(-128, 127)


def _mismatches(dut: Requantizer, cases, seed: int = 0) -> list:
    """The rows where `dut`'s bytes or saturation flag differ from the interpreter. The
    rows of a parameter set stream in back to back, the pipeline stalled (`advance`
    low) at random, and each is read `LATENCY` advances after it went in."""
    mismatches, rng = [], random.Random(seed)

    async def bench(ctx):
        for rows, multiplier, shift, zero_point, rounding, (lo, hi) in cases:
            ctx.set(dut.multiplier, multiplier & 0xFFFF_FFFF)
            ctx.set(dut.shift, shift)
            ctx.set(dut.zero_point, zero_point & 0xFFFF_FFFF)
            ctx.set(dut.rounding, rounding)
            ctx.set(dut.clamp_min, lo)
            ctx.set(dut.clamp_max, hi)
            inputs = list(rows) + [[0] * TDIM] * Requantizer.LATENCY  # then drain
            fed = 0
            while fed < len(inputs):
                advance = rng.random() < 0.7
                ctx.set(dut.advance, (1 << TDIM) - 1 if advance else 0)  # (every copy)
                ctx.set(dut.row, sum((a & 0xFFFF_FFFF) << (32 * j)
                                     for j, a in enumerate(inputs[fed])))
                await ctx.tick()
                if not advance:
                    continue
                fed += 1
                leaving = fed - Requantizer.LATENCY  # the row now at the output
                if 0 <= leaving < len(rows):
                    _compare(ctx, dut, rows[leaving], (multiplier, shift, zero_point,
                                                       rounding, lo, hi), mismatches)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return mismatches


def _compare(ctx, dut: Requantizer, acc, parameters, mismatches: list) -> None:
    raw = ctx.get(dut.result)
    got = [((raw >> (8 * j)) & 0xFF ^ 0x80) - 0x80 for j in range(TDIM)]
    expected, saturated = requantize(np.array(acc), *parameters)
    if got != expected.tolist() or (ctx.get(dut.saturated) != 0) != saturated:
        mismatches.append((acc, parameters, got, expected.tolist()))


def test_requantizer_matches_the_interpreter():
    mismatches = _mismatches(Requantizer(TDIM), _cases(1, 150))
    assert not mismatches, mismatches[:3]


class _ClampAfterMinFirst(Requantizer):
    """Fault: min with tqmax before max with tqmin (differs only when tqmin > tqmax)."""

    def _activation(self, m: Module, value, j: int) -> Signal:
        lowered = Mux(value > self.clamp_max, self.clamp_max, value)
        clamped = Signal(signed(8), name=f"q{j}")
        m.d.comb += clamped.eq(Mux(lowered < self.clamp_min, self.clamp_min, lowered))
        return clamped


class _NoUpperClamp(Requantizer):
    """Fault: tqmax ignored (a ReLU6-style bound would be lost)."""

    def _activation(self, m: Module, value, j: int) -> Signal:
        clamped = Signal(signed(8), name=f"q{j}")
        m.d.comb += clamped.eq(Mux(value < self.clamp_min, self.clamp_min, value))
        return clamped


def test_a_broken_activation_clamp_is_caught():
    """Fault injection: each wrong clamp differs from the interpreter on these cases."""
    for broken in (_ClampAfterMinFirst, _NoUpperClamp):
        assert _mismatches(broken(TDIM), _cases(2, 60)), broken.__name__
