"""Branch resolution (conditions, targets, misalignment) and the predictor modes."""

import random

import pytest

from oxcore.isa.semantics import sx
from hw.oxcore.branch import BranchUnit, Predictor
from hw.oxcore.control import Cond, Flow
from oxcore.config import PRESETS
from tests.hw.oxcore.rtl_helpers import simulate

CONDITIONS = {
    Cond.EQ: lambda a, b: a == b, Cond.NE: lambda a, b: a != b,
    Cond.LT: lambda a, b: sx(a) < sx(b), Cond.GE: lambda a, b: sx(a) >= sx(b),
    Cond.LTU: lambda a, b: a < b, Cond.GEU: lambda a, b: a >= b,
}
PC = 0x8000_0100


def test_branch_unit():
    rnd = random.Random(2)
    values = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF] + \
        [rnd.getrandbits(32) for _ in range(6)]
    dut = BranchUnit()

    async def bench(ctx):
        ctx.set(dut.pc, PC)
        ctx.set(dut.flow, Flow.BRANCH)
        ctx.set(dut.imm, (-16) & 0xFFFF_FFFF)
        for cond, check in CONDITIONS.items():
            ctx.set(dut.cond, cond)
            for a in values:
                for b in values + [a]:
                    ctx.set(dut.rs1, a)
                    ctx.set(dut.rs2, b)
                    taken = check(a, b)
                    assert ctx.get(dut.taken) == taken, (cond, hex(a), hex(b))
                    assert ctx.get(dut.next_pc) == (PC - 16 if taken else PC + 4)
        ctx.set(dut.flow, Flow.JAL)
        ctx.set(dut.imm, 2048)
        assert ctx.get(dut.taken) and ctx.get(dut.next_pc) == PC + 2048
        ctx.set(dut.flow, Flow.JALR)
        ctx.set(dut.rs1, 0x8000_0201)
        ctx.set(dut.imm, 4)
        assert ctx.get(dut.next_pc) == 0x8000_0204  # bit 0 cleared
        assert not ctx.get(dut.misaligned)
        ctx.set(dut.imm, 2)
        assert ctx.get(dut.misaligned)
        ctx.set(dut.flow, Flow.BRANCH)
        ctx.set(dut.cond, Cond.EQ)
        ctx.set(dut.rs2, 0)
        ctx.set(dut.imm, 6)
        assert not ctx.get(dut.misaligned)  # not taken: no trap
        ctx.set(dut.flow, Flow.NONE)
        assert not ctx.get(dut.taken) and ctx.get(dut.next_pc) == PC + 4

    simulate(dut, bench, clock=False)


def _lookup(ctx, dut, flow, imm, pc=PC):
    ctx.set(dut.pc, pc)
    ctx.set(dut.flow, flow)
    ctx.set(dut.target, (pc + imm) & 0xFFFF_FFFF)
    ctx.set(dut.backward, int(imm < 0))
    return ctx.get(dut.next_pc)


async def _update(ctx, dut, pc, flow, taken, target, mispredict):
    """One control transfer leaving EX, as the core reports it to the predictor."""
    ctx.set(dut.update, 1)
    ctx.set(dut.update_pc, pc)
    ctx.set(dut.update_flow, flow)
    ctx.set(dut.update_taken, taken)
    ctx.set(dut.update_target, target)
    ctx.set(dut.update_mispredict, mispredict)
    await ctx.tick()
    ctx.set(dut.update, 0)


@pytest.mark.parametrize("mode", ["none", "static", "btb"])
def test_static_rules(mode):
    dut = Predictor(PRESETS["small"].replace(branch_predictor=mode))

    async def bench(ctx):
        guess = mode != "none"
        assert _lookup(ctx, dut, Flow.BRANCH, -8) == (PC - 8 if guess else PC + 4)
        assert _lookup(ctx, dut, Flow.BRANCH, 8) == PC + 4
        assert _lookup(ctx, dut, Flow.JAL, 64) == (PC + 64 if guess else PC + 4)
        assert _lookup(ctx, dut, Flow.JALR, 0) == PC + 4
        assert _lookup(ctx, dut, Flow.NONE, 0) == PC + 4

    simulate(dut, bench, clock=mode == "btb")  # only the BTB has state


def test_btb_learns_directions_and_jalr_targets():
    dut = Predictor(PRESETS["small"].replace(branch_predictor="btb", btb_entries=4))

    async def bench(ctx):
        # A forward branch that is taken: static says not taken; one miss teaches it.
        assert _lookup(ctx, dut, Flow.BRANCH, 32) == PC + 4
        await _update(ctx, dut, PC, Flow.BRANCH, 1, PC + 32, 1)
        assert _lookup(ctx, dut, Flow.BRANCH, 32) == PC + 32
        # Two not-taken outcomes flip the 2-bit counter back.
        await _update(ctx, dut, PC, Flow.BRANCH, 0, PC + 32, 1)
        assert _lookup(ctx, dut, Flow.BRANCH, 32) == PC + 4
        # An aliasing pc (same index, other tag) misses: static rule again.
        alias = PC + 4 * 4
        assert _lookup(ctx, dut, Flow.BRANCH, -8, pc=alias) == alias - 8
        # jalr: predicts the last target seen.
        jalr_pc = PC + 8
        assert _lookup(ctx, dut, Flow.JALR, 0, pc=jalr_pc) == jalr_pc + 4
        await _update(ctx, dut, jalr_pc, Flow.JALR, 1, 0x8000_0400, 1)
        assert _lookup(ctx, dut, Flow.JALR, 0, pc=jalr_pc) == 0x8000_0400
        await _update(ctx, dut, jalr_pc, Flow.JALR, 1, 0x8000_0800, 1)
        assert _lookup(ctx, dut, Flow.JALR, 0, pc=jalr_pc) == 0x8000_0800

    simulate(dut, bench)


def test_next_line_predictor_uses_the_pc_alone_and_learns_from_mispredictions():
    dut = Predictor(PRESETS["small"].replace(branch_predictor="nlp", btb_entries=4))

    async def bench(ctx):
        # Cold: pc + 4 whatever the word decodes to (it is never looked at).
        for flow, imm in ((Flow.BRANCH, -8), (Flow.JAL, 64), (Flow.JALR, 0)):
            assert _lookup(ctx, dut, flow, imm) == PC + 4
        # A backward branch taken once (a misprediction) gets an entry, weakly taken.
        await _update(ctx, dut, PC, Flow.BRANCH, 1, PC - 8, 1)
        assert _lookup(ctx, dut, Flow.NONE, 0) == PC - 8
        await _update(ctx, dut, PC, Flow.BRANCH, 0, PC - 8, 1)  # counter 2 -> 1: not taken
        assert _lookup(ctx, dut, Flow.BRANCH, -8) == PC + 4
        await _update(ctx, dut, PC, Flow.BRANCH, 1, PC - 8, 1)  # 1 -> 2: taken again
        assert _lookup(ctx, dut, Flow.BRANCH, -8) == PC - 8
        # A not-taken branch that misses does not allocate.
        other = PC + 4
        await _update(ctx, dut, other, Flow.BRANCH, 0, other + 32, 0)
        assert _lookup(ctx, dut, Flow.BRANCH, 32, pc=other) == other + 4
        # jal and jalr: allocated when mispredicted, always taken; a new jalr target
        # replaces the old one.
        jal_pc, jalr_pc = PC + 8, PC + 12
        await _update(ctx, dut, jal_pc, Flow.JAL, 1, jal_pc + 256, 1)
        await _update(ctx, dut, jalr_pc, Flow.JALR, 1, 0x8000_0400, 1)
        assert _lookup(ctx, dut, Flow.JAL, 256, pc=jal_pc) == jal_pc + 256
        assert _lookup(ctx, dut, Flow.JALR, 0, pc=jalr_pc) == 0x8000_0400
        await _update(ctx, dut, jalr_pc, Flow.JALR, 1, 0x8000_0800, 1)
        assert _lookup(ctx, dut, Flow.JALR, 0, pc=jalr_pc) == 0x8000_0800
        # Same index, other tag: a miss.
        assert _lookup(ctx, dut, Flow.JAL, 256, pc=jal_pc + 4 * 4) == jal_pc + 4 * 4 + 4
        # A non-transfer predicted taken (a new program at that pc): the entry goes.
        await _update(ctx, dut, jal_pc, Flow.NONE, 0, 0, 1)
        assert _lookup(ctx, dut, Flow.NONE, 0, pc=jal_pc) == jal_pc + 4
        assert _lookup(ctx, dut, Flow.BRANCH, -8) == PC - 8  # others stay

    simulate(dut, bench)
