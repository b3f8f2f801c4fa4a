"""Pipelined multiplier: all four ops, random and corner operands, each latency;
one op per cycle, results exactly `latency` cycles later."""

import random

import pytest

from oxcore.isa.semantics import sx
from hw.oxcore.control import MulOp
from hw.oxcore.multiplier import Multiplier
from tests.hw.oxcore.rtl_helpers import simulate

M = 0xFFFF_FFFF
REFERENCE = {
    MulOp.MUL: lambda a, b: (a * b) & M,
    MulOp.MULH: lambda a, b: ((sx(a) * sx(b)) >> 32) & M,
    MulOp.MULHSU: lambda a, b: ((sx(a) * b) >> 32) & M,
    MulOp.MULHU: lambda a, b: ((a * b) >> 32) & M,
}
CORNERS = [0, 1, 2, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x0000_FFFF, 0xFFFF_0000]


@pytest.mark.parametrize("latency", [1, 2, 3])
def test_multiplier(latency):
    rnd = random.Random(latency)
    vectors = [(op, a, b) for op in MulOp for a in CORNERS for b in CORNERS]
    vectors += [(rnd.choice(list(MulOp)), rnd.getrandbits(32), rnd.getrandbits(32))
                for _ in range(200)]
    dut = Multiplier(latency)

    async def bench(ctx):
        for cycle in range(len(vectors) + latency):
            if cycle < len(vectors):
                op, a, b = vectors[cycle]
                ctx.set(dut.valid, 1)
                ctx.set(dut.op, op)
                ctx.set(dut.a, a)
                ctx.set(dut.b, b)
            else:
                ctx.set(dut.valid, 0)
            await ctx.tick()
            issued = cycle + 1 - latency  # the op whose result is on the output now
            if 0 <= issued < len(vectors):
                op, a, b = vectors[issued]
                assert ctx.get(dut.result_valid)
                assert ctx.get(dut.result) == REFERENCE[op](a, b), (op, hex(a), hex(b))
            elif issued >= len(vectors):
                assert not ctx.get(dut.result_valid)

    simulate(dut, bench)
