"""IF: the fetch address goes to the RAM's synchronous read port (`core.Core.imem`).

It is chosen in the same cycle from: EX's redirect (misprediction), else the
predictor's guess for the successor of the word at the RAM's output
(`branch.Predictor`); it is fetched only if that word moves on (or on a redirect, or
after reset), else the RAM keeps it. Without `registered_fetch` the RAM's output
register is the IF/ID register; with it the word is registered once more (IF2) before
ID, so that decode and the hazard checks start from flip-flops (one more bubble per
misprediction).

`Fetch` is a component: the redirect, the predictor's guess and ID's issue come in,
the instruction RAM's port and the fetched word's registers go out.
"""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.memory import FETCH_BUS

__all__ = ["FETCHED", "DECODE_INPUT", "Fetch"]

# The word at the instruction RAM's output ("q"): its pc, and whether that pc was
# outside RAM (an instruction access fault). The word itself is `imem.data`.
FETCHED = data.StructLayout({"valid": 1, "pc": 32, "fault": 1})
# With `registered_fetch`, ID's registers (IF2 -> ID): the word, and the predicted
# next pc made while it was in IF2.
DECODE_INPUT = data.StructLayout({"valid": 1, "pc": 32, "fault": 1, "word": 32, "pred": 32})


class Fetch(wiring.Component):
    """IF (and IF2 with ``registered_fetch``).

    Inputs: ``redirect`` / ``redirect_target`` (the redirect acting on fetch this
    cycle), ``predicted`` (the predictor's guess for q's successor), ``issue`` (ID's
    instruction moves to EX), ``halted``, ``reset_pc``. Outputs: ``imem`` (the RAM's
    port), ``fetch_pc`` and ``fetch`` (the address and whether it is fetched), ``q``
    (the fetched word's registers) and, with ``registered_fetch``, ``d`` (ID's).
    Without ``registered_fetch`` q is ID's instruction.
    """

    def __init__(self, index_bits: int, region: int, registered_fetch: bool) -> None:
        self.index_bits = index_bits  # log2 of the RAM's size
        self.region = region  # mem_base >> index_bits: the RAM's place in the address space
        self.registered_fetch = registered_fetch
        members = {
            "imem": Out(FETCH_BUS),
            "redirect": In(1), "redirect_target": In(32), "predicted": In(32),
            "issue": In(1), "halted": In(1), "reset_pc": In(32),
            "fetch_pc": Out(32), "fetch": Out(1), "q": Out(FETCHED),
        }
        if registered_fetch:
            members["d"] = Out(DECODE_INPUT)
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        # The address does not depend on whether ID issues (only the fetch enable
        # does): that keeps the hazard logic off the path from the fetched word to the
        # next fetch address.
        m = Module()
        imem, q, halted = self.imem, self.q, self.halted
        fetch_pc, fetch, redirect = self.fetch_pc, self.fetch, self.redirect
        with m.If(redirect):
            m.d.comb += fetch_pc.eq(self.redirect_target)
        with m.Elif(~q.valid):  # first cycle after reset
            m.d.comb += fetch_pc.eq(self.reset_pc)
        with m.Else():
            m.d.comb += fetch_pc.eq(self.predicted)
        # The fetched word moves on (to ID's registers, or it is ID's and issues).
        q_moves = Signal()
        if self.registered_fetch:
            m.d.comb += q_moves.eq(q.valid & (~self.d.valid | self.issue) & ~redirect & ~halted)
        else:
            m.d.comb += q_moves.eq(self.issue)
        m.d.comb += fetch.eq(redirect | ~q.valid | q_moves)
        m.d.comb += [imem.addr.eq(fetch_pc[2:]), imem.en.eq(fetch & ~halted)]
        with m.If(fetch & ~halted):
            m.d.sync += [q.valid.eq(1), q.pc.eq(fetch_pc),
                         q.fault.eq(fetch_pc[self.index_bits:] != self.region)]
        if self.registered_fetch:
            # IF2 -> ID. A redirect squashes ID; the word in IF2 is replaced by the
            # redirect's own fetch.
            d = self.d
            with m.If(redirect):
                m.d.sync += d.valid.eq(0)
            with m.Elif(q_moves):
                m.d.sync += [d.valid.eq(1), d.pc.eq(q.pc), d.fault.eq(q.fault),
                             d.word.eq(imem.data), d.pred.eq(self.predicted)]
            with m.Elif(self.issue):
                m.d.sync += d.valid.eq(0)
        return m
