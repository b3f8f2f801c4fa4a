"""IF on its own (`stages.fetch.Fetch`): the reset pc first, then the predictor's
guess while ID issues, the RAM kept (no fetch) while ID holds, a redirect taking
precedence, an address outside RAM flagged as a fault, and with `registered_fetch` the
IF2 -> ID move and a redirect squashing ID."""

from hw.oxcore.stages.fetch import Fetch
from tests.hw.oxcore.rtl_helpers import simulate

INDEX_BITS = 16  # a 64 KiB RAM at 0x8000_0000
REGION = 0x8000_0000 >> INDEX_BITS
RESET = 0x8000_0000


def test_reset_predict_hold_redirect():
    dut = Fetch(INDEX_BITS, REGION, registered_fetch=False)

    async def bench(ctx):
        ctx.set(dut.reset_pc, RESET)
        ctx.set(dut.predicted, 0x8000_0040)
        # Nothing fetched yet: the reset pc, fetched whatever ID does.
        assert ctx.get(dut.fetch_pc) == RESET and ctx.get(dut.fetch)
        assert ctx.get(dut.imem.addr) == RESET >> 2 and ctx.get(dut.imem.en)
        await ctx.tick()
        assert ctx.get(dut.q.valid) and ctx.get(dut.q.pc) == RESET
        assert not ctx.get(dut.q.fault)
        # The word is ID's: it issues, the predictor's guess is fetched.
        ctx.set(dut.issue, 1)
        assert ctx.get(dut.fetch_pc) == 0x8000_0040 and ctx.get(dut.fetch)
        await ctx.tick()
        assert ctx.get(dut.q.pc) == 0x8000_0040
        # ID holds (a stall): the RAM keeps its word, q stays.
        ctx.set(dut.issue, 0)
        ctx.set(dut.predicted, 0x8000_0044)
        assert not ctx.get(dut.fetch) and not ctx.get(dut.imem.en)
        await ctx.tick()
        assert ctx.get(dut.q.pc) == 0x8000_0040
        # A redirect wins over the guess and over the hold.
        ctx.set(dut.redirect, 1)
        ctx.set(dut.redirect_target, 0x8000_0100)
        assert ctx.get(dut.fetch_pc) == 0x8000_0100 and ctx.get(dut.fetch)
        await ctx.tick()
        assert ctx.get(dut.q.pc) == 0x8000_0100
        # A target outside RAM: fetched, flagged as an instruction access fault.
        ctx.set(dut.redirect_target, 0x1000)
        await ctx.tick()
        assert ctx.get(dut.q.pc) == 0x1000 and ctx.get(dut.q.fault)
        # Halted: nothing more is fetched.
        ctx.set(dut.halted, 1)
        assert not ctx.get(dut.imem.en)
        await ctx.tick()
        assert ctx.get(dut.q.pc) == 0x1000

    simulate(dut, bench)


def test_registered_fetch_moves_word_to_id_and_redirect_squashes():
    dut = Fetch(INDEX_BITS, REGION, registered_fetch=True)

    async def bench(ctx):
        ctx.set(dut.reset_pc, RESET)
        ctx.set(dut.predicted, RESET + 4)
        ctx.set(dut.imem.data, 0x0000_0013)  # the RAM's output (nop)
        await ctx.tick()  # reset pc fetched: now in IF2 (q)
        assert ctx.get(dut.q.pc) == RESET and not ctx.get(dut.d.valid)
        # ID is empty: q moves into ID's registers with its word and its guess.
        assert ctx.get(dut.fetch) and ctx.get(dut.fetch_pc) == RESET + 4
        await ctx.tick()
        assert ctx.get(dut.d.valid) and ctx.get(dut.d.pc) == RESET
        assert ctx.get(dut.d.word) == 0x13 and ctx.get(dut.d.pred) == RESET + 4
        assert ctx.get(dut.q.pc) == RESET + 4
        # ID holds (does not issue): q cannot move, nothing is fetched.
        ctx.set(dut.predicted, RESET + 8)
        assert not ctx.get(dut.fetch)
        await ctx.tick()
        assert ctx.get(dut.d.pc) == RESET and ctx.get(dut.q.pc) == RESET + 4
        # A redirect squashes ID and refetches.
        ctx.set(dut.redirect, 1)
        ctx.set(dut.redirect_target, RESET + 0x80)
        await ctx.tick()
        assert not ctx.get(dut.d.valid) and ctx.get(dut.q.pc) == RESET + 0x80

    simulate(dut, bench)
