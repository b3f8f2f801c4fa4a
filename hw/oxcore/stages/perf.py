"""Performance events: one bit per counter per cycle into `csr.CsrFile` (each stall
cycle counted once, under its first cause in the order memory, environment, mul/div,
load-use)."""

from amaranth import Cat, Signal

from hw.oxcore.control import Flow
from hw.oxcore.pipeline import Pipeline


def elaborate_perf(p: Pipeline) -> None:
    hz, redirect = p.hz, p.redirect
    perf = p.block("perf")
    blocked = Signal()
    # A misprediction costs one bubble, one more with `registered_redirect` (the
    # redirect waits a cycle) and one more with `registered_fetch` (IF2).
    bubbles = [redirect]  # the redirect, then the same flag one cycle later, ...
    for k in range(int(p.registered) + int(p.fetch_stage)):
        later = Signal(name=f"redirect_bubble{k + 1}")
        perf.d.sync += later.eq(bubbles[-1])
        bubbles.append(later)
    events = p.csr.events
    not_memory = ~p.x_mem_wait
    perf.d.comb += [
        blocked.eq(p.d_valid & ~p.d_issue & ~redirect & ~p.halted),
        # EX waits for the data port (a bank conflict, a lost arbitration, or, with
        # engines, memory order).
        events.stall_memory.eq(p.x_mem_wait),
        events.stall_env.eq((blocked & hz.stall_serial & not_memory) | p.w_env_wait),
        events.stall_muldiv.eq(blocked & ~hz.stall_serial & (p.x_hold | hz.stall_mul)),
        events.stall_load_use.eq(blocked & ~hz.stall_serial & ~p.x_hold & ~hz.stall_mul
                                 & not_memory & hz.stall_load_use),
        # Every bubble of a misprediction (counted from the redirect on).
        events.stall_branch.eq(Cat(*bubbles).any()),
        events.branches.eq(p.pred.update & (p.pred.update_flow != Flow.NONE)),
        events.mispredicts.eq(redirect),
    ]
