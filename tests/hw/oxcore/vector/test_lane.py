"""One lane's ALU (`hw.oxcore.vector.lane.LaneAlu`) on its own: the binary ops,
element by element at every SEW and vxrm, against the interpreter's element operations
(`oxcore.isa.vector.arith`, themselves checked against QEMU), with the saturation flags
that make vxsat; random operands plus the edges (MIN, MAX, -1, 0)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from amaranth.sim import Simulator

from hw.oxcore.vector.decode import (BINARY_OPS, MULTIPLY_ADD_OPS, NARROWING_OPS, WIDENING_OPS,
                                     AluOp)
from hw.oxcore.vector.lane import FIXED_POINT, NARROWING, WIDENING, LaneAlu
from oxcore.isa.vector import arith
from tests.hw.oxcore.vector.packing import elements, packed, per_byte

NAMES = {op: name for name, op in BINARY_OPS.items()}
EDGES = [0x80808080, 0x7F7F7F7F, 0xFFFFFFFF, 0x80008000, 0x80000000, 0x7FFF7FFF, 0]


def _mismatches(seed: int, count: int, case, stages: int) -> list:
    """Runs `count` cases through one `LaneAlu` of `stages` stages (simulated), a new
    case every cycle: ``case(rng)`` gives the inputs (signal name -> value) and a
    check of (result, saturated) that returns a mismatch to report, or None. Each
    result is read `stages` cycles after its inputs went in."""
    dut, rng, found = LaneAlu(stages), random.Random(seed), []
    inputs = ("a", "b", "d", "sew", "op", "pick", "vxrm", "wide", "extend")

    async def bench(ctx):
        in_flight = []
        for k in range(count + stages):
            if k < count:
                values, check = case(rng)
                for name in inputs:  # (what a case leaves out is 0)
                    ctx.set(getattr(dut, name), values.get(name, 0))
                in_flight.append(check)
            if k >= stages:
                mismatch = in_flight.pop(0)(ctx.get(dut.result), ctx.get(dut.saturated))
                if mismatch is not None:
                    found.append(mismatch)
            # (at 0 stages the lane has no clock domain: time passes instead)
            await (ctx.tick() if stages else ctx.delay(1e-6))
    sim = Simulator(dut)
    if stages:
        sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return found


def _expected(name: str, a: int, b: int, sew: int, vxrm: int) -> tuple[int, list[bool]]:
    count = 32 // sew
    result, saturated = arith.BINARY[name](elements(a, sew, count), elements(b, sew, count),
                                           sew, vxrm)
    value = packed(result, sew)
    flags = [bool(f) for f in saturated] if saturated is not None else [False] * count
    return value, flags


STAGES = pytest.mark.parametrize("stages", [0, 1, 2, 3, 4], ids=lambda n: f"stages{n}")


def _flags(saturated: int, sew: int, count: int) -> list[bool]:
    return [bool(saturated >> (k * sew // 8) & 1) for k in range(count)]


@STAGES
@pytest.mark.parametrize("ops, count", [(FIXED_POINT, 600), (tuple(BINARY_OPS.values()), 900)],
                         ids=["fixed_point", "every_binary_op"])
def test_binary_ops_match_the_interpreter(ops, count, stages):
    """The fixed-point ops, then every single-width binary op (add ... shifts, min/max,
    multiplies: the lane shares shifters between ops that differ in sign or rounding)."""
    def case(rng):
        op, code, vxrm = rng.choice(ops), rng.randrange(3), rng.randrange(4)
        sew = 8 << code
        a, b = rng.getrandbits(32), rng.getrandbits(32)
        if rng.random() < 0.3:
            a, b = rng.choice(EDGES), rng.choice(EDGES + [0x01010101, 0x1F1F1F1F])
        want = _expected(NAMES[op], a, b, sew, vxrm)

        def check(got, saturated):
            if (got, _flags(saturated, sew, 32 // sew)) != want:
                return (NAMES[op], sew, vxrm, hex(a), hex(b), hex(got), hex(want[0]), want[1])
        return dict(a=a, b=b, sew=code, op=op, vxrm=vxrm), check

    mismatches = _mismatches(7, count, case, stages)
    assert not mismatches, mismatches[:5]


@STAGES
def test_narrowing_ops_match_the_interpreter(stages):
    """vnsrl, vnsra, vnclipu, vnclip: 2*SEW-bit sources (SEW 8 and 16), shifts by the
    source's low bits, under every vxrm."""
    names = {op: name for name, op in NARROWING_OPS.items()}

    def case(rng):
        op, code, vxrm = rng.choice(NARROWING), rng.randrange(2), rng.randrange(4)
        sew = 8 << code
        count = 32 // sew
        wide = rng.getrandbits(64)
        if rng.random() < 0.3:
            wide = rng.choice([0x8000800080008000, 0x7FFF7FFF7FFF7FFF, 2**64 - 1,
                               0x0000FFFF0000FFFF, 0x00FF00FF00FF00FF])
        shift = rng.choice([0, 1, 3, 7, 8, 9, 15, 16, 31, rng.getrandbits(32)])
        b = int.from_bytes((shift & ((1 << sew) - 1)).to_bytes(sew // 8, "little")
                           * count, "little")
        shifts = np.full(count, shift & ((1 << sew) - 1), np.int64)
        result, flags = arith.NARROWING[names[op]](elements(wide, 2 * sew, count), shifts,
                                                   sew, vxrm)
        want = packed(result, sew)
        want_flags = [bool(f) for f in flags] if flags is not None else [False] * count

        def check(got, saturated):
            if (got, _flags(saturated, sew, count)) != (want, want_flags):
                return (names[op], sew, vxrm, hex(wide), shift, hex(got), hex(want))
        return dict(wide=wide, b=b, sew=code, op=op, vxrm=vxrm), check

    mismatches = _mismatches(11, 400, case, stages)
    assert not mismatches, mismatches[:5]


@STAGES
def test_widening_ops_match_the_interpreter(stages):
    """vwadd[u], vwsub[u] (.vv and .wv), vwmul[u|su], vwmacc[u|su|us]: a lane's SEW-bit
    elements in the low 16 bits of `a` and `b` (or `a`'s 2*SEW-bit ones in the .w
    forms), 2*SEW-bit results, SEW 8 and 16, against the interpreter's element
    functions with its operand extensions."""
    names = {op: name for name, op in WIDENING_OPS.items()}

    def case(rng):
        op, code = rng.choice(WIDENING), rng.randrange(2)
        sew = 8 << code
        count = 16 // sew
        a, b, d = rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32)
        if rng.random() < 0.3:
            a, b, d = (rng.choice(EDGES) for _ in range(3))
        name = names[op]
        if name in arith.WIDENING_MULTIPLY_ADD:
            how2, how1 = arith.WIDENING_MULTIPLY_ADD[name]
            result = elements(d, 2 * sew, count) + (
                arith.extend(elements(b, sew, count), sew, how1)
                * arith.extend(elements(a, sew, count), sew, how2))
        else:
            how2, how1, fn = arith.WIDENING[name]
            wide_a = (elements(a, 2 * sew, count) if how2 == "w"
                      else arith.extend(elements(a, sew, count), sew, how2))
            result = fn(wide_a, arith.extend(elements(b, sew, count), sew, how1))
        want = packed(result, 2 * sew)

        def check(got, _):
            if got != want:
                return (name, sew, hex(a), hex(b), hex(d), hex(got), hex(want))
        return dict(a=a, b=b, d=d, sew=code, op=op), check

    mismatches = _mismatches(13, 500, case, stages)
    assert not mismatches, mismatches[:5]


@STAGES
def test_integer_extension_matches_the_interpreter(stages):
    """vzext/vsext .vf2 (SEW 16, 32) and .vf4 (SEW 32): the lane's SEW/factor-bit source
    elements in the low bits of `a`, against the interpreter's extension."""
    def case(rng):
        op = rng.choice([AluOp.ZEXT, AluOp.SEXT])
        code, factor = rng.choice([(1, 2), (2, 2), (2, 4)])
        sew, narrow = 8 << code, (8 << code) // factor
        count = 32 // sew
        a = rng.getrandbits(32) if rng.random() < 0.7 else rng.choice(EDGES)
        values = arith.extend(elements(a, narrow, count), narrow,
                              "s" if op == AluOp.SEXT else "u")
        want = packed(values, sew)

        def check(got, _):
            if got != want:
                return (op.name, sew, factor, hex(a), hex(got), hex(want))
        return dict(a=a, sew=code, op=op, extend=factor.bit_length() - 1), check

    mismatches = _mismatches(17, 300, case, stages)
    assert not mismatches, mismatches[:5]


@STAGES
def test_add_with_carry_and_subtract_with_borrow(stages):
    """vadc/vsbc in one lane: each element's `pick` bit (its v0 bit) is the carry or
    borrow in, at every SEW, on edge values (carries out of every element, borrows
    through zero), against the interpreter's formula (vs2 +/- source +/- v0, mod 2^SEW)."""
    def case(rng):
        op, code = rng.choice([AluOp.ADC, AluOp.SBC]), rng.randrange(3)
        sew, count = 8 << code, 4 >> code
        a, b = rng.choice(EDGES + [rng.getrandbits(32)]), rng.choice(EDGES + [1, 0])
        carries = [rng.randrange(2) for _ in range(count)]
        mask = (1 << sew) - 1
        want = 0
        for k, c in enumerate(carries):
            x, y = (a >> (k * sew)) & mask, (b >> (k * sew)) & mask
            want |= ((x + y + c if op == AluOp.ADC else x - y - c) & mask) << (k * sew)

        def check(got, _):
            if got != want:
                return (op.name, sew, hex(a), hex(b), carries, hex(got), hex(want))
        return dict(a=a, b=b, sew=code, op=op, pick=per_byte(carries, sew)), check

    mismatches = _mismatches(13, 300, case, stages)
    assert not mismatches, mismatches[:5]


@STAGES
def test_multiply_add_and_merge(stages):
    """vmacc, vnmsac, vmadd, vnmsub (the destination's old value `d`: the multiplier's
    operand for vmadd/vnmsub, the addend for vmacc/vnmsac) against the interpreter's
    formulas, and vmerge's per-element pick, at every SEW on edge and random values."""
    names = {op: name for name, op in MULTIPLY_ADD_OPS.items()}

    def case(rng):
        op = rng.choice(list(MULTIPLY_ADD_OPS.values()) + [AluOp.MERGE])
        code = rng.randrange(3)
        sew = 8 << code
        a, b, d = (rng.choice(EDGES) if rng.random() < 0.3 else rng.getrandbits(32)
                   for _ in range(3))
        picks = [rng.randrange(2) for _ in range(32 // sew)]
        if op == AluOp.MERGE:
            result = np.where(picks, elements(b, sew, len(picks)),
                              elements(a, sew, len(picks)))
            name = "vmerge"
        else:
            name = names[op]
            result = arith.MULTIPLY_ADD[name](*(elements(v, sew, 32 // sew)
                                                for v in (d, a, b)))
        want = packed(result, sew)

        def check(got, _):
            if got != want:
                return (name, sew, hex(a), hex(b), hex(d), hex(got), hex(want))
        return dict(a=a, b=b, d=d, sew=code, op=op, pick=per_byte(picks, sew)), check

    mismatches = _mismatches(19, 600, case, stages)
    assert not mismatches, mismatches[:5]


def test_a_lane_of_more_stages_than_its_cuts_is_refused():
    with pytest.raises(ValueError, match="0 to 4 stages, not 5"):
        LaneAlu(5)
