"""A beat's compares and carry/borrow-outs (`hw.oxcore.vector.compare.BeatCompare`) on
their own, every SEW: the compares against the interpreter's (`arith.COMPARE`), vmadc
and vmsbc against their definition (bit SEW of a + b + carry; a < b + borrow, unsigned),
on random beats and on edge bytes that make equal, adjacent and extreme elements."""

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.oxcore.vector.compare import BeatCompare
from hw.oxcore.vector.decode import CARRY_OUTS, COMPARES
from oxcore.isa.vector import arith
from oxcore.isa.vector.arith import signed
from tests.hw.oxcore.vector.packing import elements, per_byte

EDGE_BYTES = (0x00, 0xFF, 0x80, 0x7F, 0x01)


def _expected(carry: int, sub: int, a: int, b: int, carries: list[int], sew: int,
              count: int) -> list[bool]:
    x, y = elements(a, sew, count), elements(b, sew, count)
    if carry:
        c = np.array(carries, np.int64)
        if CARRY_OUTS[sub] == "vmadc":
            return [bool(v) for v in ((x + y + c) >> sew) & 1]
        return [bool(v) for v in x < y + c]
    is_signed, test = arith.COMPARE[COMPARES[sub]]
    if is_signed:
        x, y = signed(x, sew), signed(y, sew)
    return [bool(v) for v in test(x, y)]


@pytest.mark.parametrize("width", [32, 128])
def test_compares_and_carry_outs_match_the_interpreter(width):
    dut = BeatCompare(width)
    rng = random.Random(width + 1)
    mismatches = []

    def beat() -> int:
        if rng.random() < 0.4:
            return int.from_bytes(bytes(rng.choice(EDGE_BYTES) for _ in range(width // 8)),
                                  "little")
        return rng.getrandbits(width)

    async def bench(ctx):
        for _ in range(600):
            carry = rng.randrange(2)
            sub, code = rng.randrange(2 if carry else 8), rng.randrange(3)
            sew = 8 << code
            count = width // sew
            a = beat()
            b = a if rng.random() < 0.15 else beat()
            carries = [rng.randrange(2) for _ in range(count)]
            for signal, value in ((dut.a, a), (dut.b, b), (dut.sub, sub), (dut.carry, carry),
                                  (dut.carry_in, per_byte(carries, sew)), (dut.sew, code)):
                ctx.set(signal, value)
            result = ctx.get(dut.result)
            got = [bool(result >> (k * sew // 8) & 1) for k in range(count)]
            want = _expected(carry, sub, a, b, carries, sew, count)
            if got != want:
                name = (CARRY_OUTS if carry else COMPARES)[sub]
                mismatches.append((name, sew, hex(a), hex(b), carries, got, want))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert not mismatches, mismatches[:3]
