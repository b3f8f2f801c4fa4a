"""Engines (only when the core has some; see `engine.py` for the interface and the
ordering rules): dispatch from WB, completions into the register file, the scoreboard
and the pending-register mask for the hazard unit, and the memory-order wait for EX.
"""

from amaranth import Cat, Const, Signal

from hw.oxcore.pipeline import Pipeline


def elaborate_engines(p: Pipeline) -> None:
    if not p.engines:
        return
    _check(p)
    _dispatch(p)
    _completion(p)
    _pending(p)


def _others_idle(p: Pipeline, index: int):
    """Every engine but ``index`` is idle (a constant 1 with one engine)."""
    others = [engine.busy for j, engine in enumerate(p.engines) if j != index]
    return ~Cat(*others).any() if others else Const(1)


def _check(p: Pipeline) -> None:
    """Each engine sees MEM's instruction (``check``) and may find WB's own faulting
    (``fault``): WB's trap, ``w_engine_fault``, unless WB already holds one."""
    mm, w = p.mm, p.w
    check = p.block("engine_check")
    fault = p.w_engine_fault
    for i, engine in enumerate(p.engines):
        check.d.comb += [engine.check.valid.eq(mm.valid & mm.engine[i] & ~mm.trap.valid),
                         engine.check.insn.eq(mm.insn), engine.check.rs1.eq(mm.engine_rs1),
                         engine.check.rs2.eq(mm.engine_rs2),
                         engine.check.advance.eq(p.advance),
                         engine.check.next_insn.eq(p.x.insn)]
        with check.If(w.valid & w.engine[i] & ~w.trap.valid & engine.fault.valid):
            check.d.comb += [fault.valid.eq(1), fault.cause.eq(engine.fault.cause)]


def _dispatch(p: Pipeline) -> None:
    """WB's claimed instruction goes to its engine as it retires: it waits there (and
    WB with it) until the engine accepts it and every other engine is idle. One its
    engine finds faulting (`_check`) is not dispatched: it retires as a trap."""
    w, halted = p.w, p.halted
    dispatch = p.block("engine_dispatch")
    here = w.valid & ~w.trap.valid & ~p.w_engine_fault.valid & ~halted
    waits = 0
    fired = 0
    for i, engine in enumerate(p.engines):
        port = engine.dispatch
        wanted = here & w.engine[i]
        dispatch.d.comb += [
            port.valid.eq(wanted & _others_idle(p, i)),
            port.payload.insn.eq(w.insn), port.payload.order.eq(p.csr.instret),
            port.payload.pc.eq(w.pc),
            port.payload.rs1.eq(w.engine_rs1), port.payload.rs2.eq(w.engine_rs2),
        ]
        waits = waits | (wanted & ~(port.valid & port.ready))
        fired = fired | (port.valid & port.ready)
    sb = p.scoreboard
    dispatch.d.comb += [p.w_dispatch_wait.eq(waits),
                        sb.set.eq(fired & w.engine_writes), sb.set_rd.eq(w.rd)]
    busy = writes = 0
    for engine in p.engines:
        busy = busy | engine.busy
        writes = writes | engine.writes_memory
    # The engines' status as of the cycle before, in flip-flops beside the core: the
    # wait then starts at a register, not in an engine's state logic across the chip
    # (it selects the data RAM's address in EX: the SoC clock). What the delay hides
    # is covered: an instruction dispatched in the cycle before (`dispatched`) is not
    # in `busy` yet; an engine's end reaches the core a cycle later (the wait is a
    # cycle longer, never shorter)
    busy_before, writes_before, dispatched = (Signal(name="engines_busy_before"),
                                              Signal(name="engines_write_before"),
                                              Signal(name="engine_dispatched_before"))
    dispatch.d.sync += [busy_before.eq(busy), writes_before.eq(writes),
                        dispatched.eq(fired)]
    in_flight = ((p.mm.valid & p.mm.engine.any()) | (w.valid & w.engine.any())
                 | dispatched)
    # a scalar store (or ecall) waits for every engine instruction; a scalar load only
    # for those that may write memory (reading alongside engine loads is in order)
    dispatch.d.comb += [p.engine_order_wait.eq(busy_before | in_flight),
                        p.engine_load_order_wait.eq(writes_before | in_flight)]


def _completion(p: Pipeline) -> None:
    """Results of engine instructions that write a scalar register: the lowest-numbered
    engine's first, through the register file's write port when WB cannot need it
    (`stages/writeback.py` drives the port from `completion_*`). A completion with
    `trap` set halts the core (imprecise; reserved).

    "WB cannot need it" is read from WB's register alone (it holds an instruction that
    writes rd, or an ecall), not from whether WB retires this cycle: that depends on
    the dispatch handshake, which an engine may couple to its completion (a queue slot
    freed), and must not loop back into ``complete.ready``. (An ecall waits in EX for
    the engines to be idle, so this costs nothing.) Once the core has halted on a
    trap, what WB holds never retires: the engines' completions go on (they finish
    what they were dispatched before the trap)."""
    sb, w = p.scoreboard, p.w
    complete = p.block("engine_complete")
    taken = Signal()  # the write port is WB's, or an earlier engine has it
    complete.d.comb += taken.eq(w.valid & (w.writes | w.ecall) & ~w.trap.valid & ~p.halted)
    for i, engine in enumerate(p.engines):
        port = engine.complete
        accept = Signal(name=f"complete{i}_accept")
        complete.d.comb += [port.ready.eq(~taken), accept.eq(port.valid & ~taken)]
        with complete.If(accept):
            complete.d.comb += [
                sb.clear.eq(1), sb.clear_rd.eq(port.payload.rd),
                p.completion_trap.eq(port.payload.trap.valid),
                p.completion_write.eq(~port.payload.trap.valid),
                p.completion_rd.eq(port.payload.rd),
                p.completion_value.eq(port.payload.value),
                p.completion_order.eq(port.payload.order),
            ]
        taken = taken | port.valid
    # The completion port: the record of the write, for the simulators (the retire
    # record of its instruction has `awaits` set and is completed by order).
    commit = p.core.completion
    complete.d.comb += [
        commit.valid.eq(p.completion_write & (p.completion_rd != 0)),
        commit.order.eq(p.completion_order),
        commit.x.valid.eq(1), commit.x.reg.eq(p.completion_rd),
        commit.x.value.eq(p.completion_value),
    ]


def _pending(p: Pipeline) -> None:
    """Registers an engine will write: the scoreboard's, and the rds of claimed
    instructions in EX, MEM and WB (not dispatched yet)."""
    pending = p.block("engine_pending")
    mask = p.scoreboard.pending
    for name, stage, live in (("x", p.x, p.x_live), ("m", p.mm, p.mm.valid),
                              ("w", p.w, p.w.valid)):
        flag = Signal(32, name=f"pending_{name}")
        pending.d.comb += flag.eq((live & stage.engine_writes).replicate(32)
                                  & (1 << stage.rd))
        mask = mask | flag
    pending.d.comb += p.hz.pending.eq(mask)
