"""Iterative divider: random operands, division by zero, INT_MIN / -1, and its timing
(the early out over the dividend's leading zero bytes)."""

import random

from oxcore.isa.semantics import div, divu, rem, remu, sx
from hw.oxcore.control import DivOp
from hw.oxcore.divider import Divider, divide_cycles
from tests.hw.oxcore.rtl_helpers import simulate

M = 0xFFFF_FFFF
REFERENCE = {  # the interpreter's helpers are the spec
    DivOp.DIV: lambda a, b: div(sx(a), sx(b)) & M,
    DivOp.DIVU: lambda a, b: divu(a, b) & M,
    DivOp.REM: lambda a, b: rem(sx(a), sx(b)) & M,
    DivOp.REMU: lambda a, b: remu(a, b) & M,
}


def test_divider():
    rnd = random.Random(7)
    vectors = [(op, a, b) for op in DivOp
               for a in (0, 1, 7, 0x8000_0000, 0x7FFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFF9)
               for b in (0, 1, 2, 0xFFFF_FFFF, 0x8000_0000, 3)]
    vectors += [(rnd.choice(list(DivOp)), rnd.getrandbits(32),
                 rnd.getrandbits(rnd.choice([4, 16, 32]))) for _ in range(40)]
    # dividends of every byte length (the early out), signed ones negative too
    vectors += [(rnd.choice(list(DivOp)), a, rnd.choice([0, 1, 3, 100, 0xFFFF_FFFD]))
                for bits in (1, 7, 8, 9, 16, 17, 24, 25, 31)
                for a in (rnd.getrandbits(bits) | 1 << (bits - 1),
                          -(rnd.getrandbits(bits) | 1 << (bits - 1)) & M)]
    dut = Divider()

    async def bench(ctx):
        for op, a, b in vectors:
            assert ctx.get(dut.ready)
            ctx.set(dut.op, op)
            ctx.set(dut.a, a)
            ctx.set(dut.b, b)
            ctx.set(dut.start, 1)
            await ctx.tick()
            ctx.set(dut.start, 0)
            ctx.set(dut.a, 0)  # operands are latched at start
            ctx.set(dut.b, 0)
            cycles = 1
            while not ctx.get(dut.done):
                assert not ctx.get(dut.ready)
                await ctx.tick()
                cycles += 1
            signed = op in (DivOp.DIV, DivOp.REM)
            magnitude = abs(sx(a)) if signed else a
            assert cycles == divide_cycles(magnitude, b == 0), (op, hex(a), hex(b))
            assert ctx.get(dut.result) == REFERENCE[op](a, b), (op, hex(a), hex(b))
            await ctx.tick()  # done holds until ack
            assert ctx.get(dut.done)
            ctx.set(dut.ack, 1)
            await ctx.tick()
            ctx.set(dut.ack, 0)

    simulate(dut, bench)


def test_the_early_out_by_hand():
    assert [divide_cycles(a) for a in (0, 1, 255, 256, 65535, 1 << 31)] == \
        [2, 10, 10, 18, 18, 34]
    assert divide_cycles(5, divisor_is_zero=True) == 34


def test_special_cases_match_the_spec():
    assert REFERENCE[DivOp.DIV](5, 0) == M
    assert REFERENCE[DivOp.DIVU](5, 0) == M
    assert REFERENCE[DivOp.REM](0xFFFF_FFF9, 0) == 0xFFFF_FFF9
    assert REFERENCE[DivOp.DIV](0x8000_0000, M) == 0x8000_0000
    assert REFERENCE[DivOp.REM](0x8000_0000, M) == 0
