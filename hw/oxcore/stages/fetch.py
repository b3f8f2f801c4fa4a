"""IF: the fetch address goes to the RAM's synchronous read port (`core.Core.imem`).

It is chosen in the same cycle from: EX's redirect (misprediction), else the
predictor's guess for the successor of the word at the RAM's output
(`branch.Predictor`); it is fetched only if that word moves on (or on a redirect, or
after reset), else the RAM keeps it. Without `registered_fetch` the RAM's output
register is the IF/ID register; with it the word is registered once more (IF2) before
ID, so that decode and the hazard checks start from flip-flops (one more bubble per
misprediction).
"""

from amaranth import Signal

from hw.oxcore.pipeline import Pipeline


def elaborate_fetch(p: Pipeline) -> None:
    # The address does not depend on whether ID issues (only the fetch enable does):
    # that keeps the hazard logic off the path from the fetched word to the next
    # fetch address.
    imem, pred, halted = p.core.imem, p.pred, p.halted
    fetch_pc, fetch, fetch_stage = p.fetch_pc, p.fetch, p.fetch_stage
    q_valid, q_pc = p.q_valid, p.q_pc
    redirect, target = p.redirect, p.redirect_target
    fe = p.block("fetch")
    with fe.If(redirect):
        fe.d.comb += fetch_pc.eq(target)
    with fe.Elif(~q_valid):  # first cycle after reset
        fe.d.comb += fetch_pc.eq(p.core.reset_pc)
    with fe.Else():
        fe.d.comb += fetch_pc.eq(pred.next_pc)
    # The fetched word moves on (to ID's registers, or it is ID's and issues).
    q_moves = Signal()
    if fetch_stage:
        fe.d.comb += q_moves.eq(q_valid & (~p.d_valid | p.d_issue) & ~redirect & ~halted)
    else:
        fe.d.comb += q_moves.eq(p.d_issue)
    fe.d.comb += fetch.eq(redirect | ~q_valid | q_moves)
    fe.d.comb += [imem.addr.eq(fetch_pc[2:]), imem.en.eq(fetch & ~halted)]
    with fe.If(fetch & ~halted):
        fe.d.sync += [q_valid.eq(1), q_pc.eq(fetch_pc),
                      p.q_fault.eq(fetch_pc[p.index_bits:] != p.region)]
    if fetch_stage:
        # IF2 -> ID. A redirect squashes ID; the word in IF2 is replaced by the
        # redirect's own fetch.
        with fe.If(redirect):
            fe.d.sync += p.d_valid.eq(0)
        with fe.Elif(q_moves):
            fe.d.sync += [p.d_valid.eq(1), p.d_pc.eq(q_pc), p.d_fault.eq(p.q_fault),
                          p.d_word.eq(imem.data), p.d_pred.eq(pred.next_pc)]
        with fe.Elif(p.d_issue):
            fe.d.sync += p.d_valid.eq(0)
