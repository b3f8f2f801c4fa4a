"""Scoreboard: registers an engine will write are set at dispatch, cleared at completion;
x0 is never pending."""

from hw.oxcore.scoreboard import Scoreboard
from tests.hw.oxcore.rtl_helpers import simulate


def test_scoreboard_sets_and_clears():
    dut = Scoreboard()

    async def bench(ctx):
        ctx.set(dut.set, 1)
        ctx.set(dut.set_rd, 7)
        await ctx.tick()
        ctx.set(dut.set_rd, 0)  # x0 is never pending
        await ctx.tick()
        ctx.set(dut.set, 0)
        assert ctx.get(dut.pending) == 1 << 7
        ctx.set(dut.clear, 1)
        ctx.set(dut.clear_rd, 7)
        await ctx.tick()
        assert ctx.get(dut.pending) == 0

    simulate(dut, bench)
