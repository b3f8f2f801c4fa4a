"""EX: forwarding, ALU, branch resolution, the data port's request, CSRs, divider,
multiplier stage 1.

- Operands come from MEM and WB through forwarding muxes whose selects are computed a
  cycle early and registered (`ex_forward_next`).
- Branches resolve here: a mispredicted next pc redirects IF and squashes ID (one
  bubble); with `registered_redirect` the redirect happens a cycle later and the
  wrong-path instruction that entered EX is squashed there (two bubbles).
- Loads and stores request the data port (`bus.MemoryPortSignature`) here, because
  every exception is known by the end of EX: loads read (data arrives in MEM), stores
  write. EX waits while the port is not ready (a bank conflict or a lost arbitration:
  `stall_memory`) and, with engines, while memory order requires (`engine.py`).
- Younger instructions wait in ID behind ecalls and behind traps found in ID; one that
  issues behind a trap found in EX is squashed in EX the next cycle (when the trap is
  in MEM), before it can write memory. The divider holds EX until done.
"""

from amaranth import Cat, Const, Mux, Signal

from hw.oxcore.control import ASrc, BSrc, CsrOp, Env, Flow, MemOp, Unit
from hw.oxcore.faults import Fault
from hw.oxcore.hazard import Forward
from hw.oxcore.pipeline import Pipeline
from oxcore.retire import TrapCause


def elaborate_execute(p: Pipeline) -> None:
    _forwarding(p)
    _forwarding_next(p)
    address = _units(p)
    _traps(p)
    _redirect(p)
    _control(p)
    _result(p, address)


def _forwarding(p: Pipeline) -> None:
    x, mm, w, hz = p.x, p.mm, p.w, p.hz
    fwd = p.block("ex_forward")
    fwd.d.comb += [
        hz.x_rs1.eq(x.rs1), hz.x_rs2.eq(x.rs2),
        hz.m.valid.eq(mm.valid), hz.m.writes.eq(mm.writes), hz.m.rd.eq(mm.rd),
        hz.m.unit.eq(mm.unit), hz.m.serial.eq(mm.ecall | mm.trap.valid),
        hz.w.valid.eq(w.valid), hz.w.writes.eq(w.writes), hz.w.rd.eq(w.rd),
        hz.w.unit.eq(w.unit), hz.w.serial.eq(w.ecall | w.trap.valid),
    ]
    # The register value: latched at issue (asynchronous register file), or the
    # synchronous register file's output, read at the edge EX was loaded or re-read
    # while EX held (see `stages/decode.py`).
    x_regs = ((p.rf.rs1_data, p.rf.rs2_data) if p.sync_rf else (x.rs1_val, x.rs2_val))
    # The selects are registered: computed in the cycle before for the instruction
    # EX holds then (see "ex_forward_next"), so that no comparison of register
    # numbers lies between the pipeline registers and the ALU and branch compare.
    for select, value, reg in ((p.fwd_rs1, p.rs1, x_regs[0]), (p.fwd_rs2, p.rs2, x_regs[1])):
        with fwd.Switch(select):
            with fwd.Case(Forward.MEM):
                fwd.d.comb += value.eq(p.m_value)
            with fwd.Case(Forward.WB):
                fwd.d.comb += value.eq(p.w_value)
            with fwd.Default():
                fwd.d.comb += value.eq(reg)


def _forwarding_next(p: Pipeline) -> None:
    """What EX's forwarding will select next cycle, from what MEM and WB will hold
    then (the hazard unit's rule, applied a cycle early): if the pipeline advances,
    MEM gets EX's instruction (or a bubble) and WB gets MEM's, else both stay; EX gets
    ID's instruction, or keeps its own. (A trapping EX instruction is treated as
    writing its rd: nothing issues behind it.)"""
    x, mm, w, ctl = p.x, p.mm, p.w, p.x.ctl
    nxt = p.block("ex_forward_next")
    next_rs = [Signal(5, name="next_rs1"), Signal(5, name="next_rs2")]
    n_m_writes, n_m_rd = Signal(), Signal(5)
    n_w_writes, n_w_rd = Signal(), Signal(5)
    with nxt.If(p.advance):
        nxt.d.comb += [n_m_writes.eq(p.x_fire & ctl.writes_rd), n_m_rd.eq(x.rd),
                       n_w_writes.eq(mm.valid & mm.writes), n_w_rd.eq(mm.rd)]
    with nxt.Else():
        nxt.d.comb += [n_m_writes.eq(mm.valid & mm.writes), n_m_rd.eq(mm.rd),
                       n_w_writes.eq(w.valid & w.writes), n_w_rd.eq(w.rd)]
    stay = p.x_live & ~p.x_fire
    nxt.d.comb += [next_rs[0].eq(Mux(stay, x.rs1, p.d_rs1)),
                   next_rs[1].eq(Mux(stay, x.rs2, p.d_rs2))]
    order = [(n_m_writes, n_m_rd, Forward.MEM), (n_w_writes, n_w_rd, Forward.WB)]
    if Fault.FORWARD_WRONG_STAGE in p.faults:
        order.reverse()
    for reg, select in zip(next_rs, (p.fwd_rs1, p.fwd_rs2)):
        (first, first_rd, first_fwd), (second, second_rd, second_fwd) = order
        with nxt.If(first & (first_rd == reg) & (reg != 0)):
            nxt.d.sync += select.eq(first_fwd)
        with nxt.Elif(second & (second_rd == reg) & (reg != 0)):
            nxt.d.sync += select.eq(second_fwd)
        with nxt.Else():
            nxt.d.sync += select.eq(Forward.REG)


def _units(p: Pipeline) -> Signal:
    """Operands into the ALU, branch unit, LSU, CSRs, multiplier and divider; returns
    the load/store address."""
    x, ctl, rs1, rs2 = p.x, p.x.ctl, p.rs1, p.rs2
    alu, bru, lsu, mul, div = p.alu, p.bru, p.lsu, p.mul, p.div
    units = p.block("ex_units")
    address = Signal(32)
    imm_upper = Cat(Const(0, 12), x.imm[:20])
    live = p.x_live & ~x.trap.valid
    units.d.comb += [
        alu.op.eq(ctl.alu),
        alu.a.eq(Mux(ctl.a == ASrc.RS1, rs1, Mux(ctl.a == ASrc.PC, x.pc, 0))),
        alu.b.eq(Mux(ctl.b == BSrc.RS2, rs2, Mux(ctl.b == BSrc.IMM, x.imm, imm_upper))),
        bru.flow.eq(Mux(live, ctl.flow, Flow.NONE)), bru.cond.eq(ctl.cond),
        bru.rs1.eq(rs1), bru.rs2.eq(rs2), bru.pc.eq(x.pc), bru.imm.eq(x.imm),
        lsu.load.eq(live & (ctl.mem == MemOp.LOAD)),
        lsu.store.eq(live & (ctl.mem == MemOp.STORE)),
        # Loads and stores have their own adder (rs1 + imm): the data RAM's address
        # then skips the ALU's operand and result multiplexers (on an FPGA the
        # RAM's address inputs are spread over the chip and the path is long).
        address.eq((rs1 + x.imm)[:32]),
        lsu.addr.eq(address), lsu.size_log2.eq(ctl.size_log2), lsu.store_data.eq(rs2),
        p.csr.addr.eq(x.csr),
        mul.valid.eq(p.is_mul & ~x.mul_issued), mul.op.eq(ctl.mul), mul.a.eq(rs1),
        mul.b.eq(rs2),
        div.start.eq(p.is_div & div.ready), div.op.eq(ctl.div), div.a.eq(rs1),
        div.b.eq(rs2),
    ]
    return address


def _traps(p: Pipeline) -> None:
    """Traps found in EX (those from ID ride in x.trap)."""
    x, ctl, csr, x_trap = p.x, p.x.ctl, p.csr, p.x_trap
    traps = p.block("ex_trap")
    csr_source = Mux(ctl.csr_imm, x.imm[:5], x.rs1)  # the rs1 *field*, as the ISA says
    csr_writes = (ctl.csr == CsrOp.WRITE) | (ctl.csr != CsrOp.NONE) & (csr_source != 0)
    # Every CSR is read-only, so any write attempt traps, as does an unknown CSR.
    csr_illegal = p.x_live & (ctl.csr != CsrOp.NONE) & (~csr.known | csr_writes)
    with traps.If(x.trap.valid):
        traps.d.comb += x_trap.eq(x.trap)
    with traps.Elif(p.bru.misaligned):
        traps.d.comb += [x_trap.valid.eq(1),
                         x_trap.cause.eq(TrapCause.INSTRUCTION_MISALIGNED)]
    with traps.Elif(p.lsu.fault):
        traps.d.comb += [x_trap.valid.eq(1), x_trap.cause.eq(p.lsu.cause)]
    with traps.Elif(csr_illegal):
        traps.d.comb += [x_trap.valid.eq(1),
                         x_trap.cause.eq(TrapCause.ILLEGAL_INSTRUCTION)]


def _redirect(p: Pipeline) -> None:
    """Misprediction: the resolved next pc differs from the predicted one. The
    predicted pc was compared in ID with both candidates (pc + 4, and pc + imm for
    branches and jal), so only a jalr's target is compared here, and the branch
    condition only selects. (Other traps than a misaligned target come from
    instructions predicted pc + 4 that go there: they never redirect.)"""
    x, bru = p.x, p.bru
    is_jalr = x.ctl.flow == Flow.JALR
    control_pre = p.block("ex_redirect")
    control_pre.d.comb += [
        p.mispredict.eq(Mux(bru.taken,
                            Mux(is_jalr, bru.target != x.pred_next, ~x.pred_target),
                            ~x.pred_seq)),
    ]
    if p.cfg.branch_predictor == "nlp":
        # The next-line predictor's guess may be neither candidate (a stale entry
        # after a new program was loaded): go where the transfer really goes.
        control_pre.d.comb += p.redirect_pc.eq(bru.next_pc)
    else:
        # Where a mispredicted transfer goes: the other candidate than predicted.
        control_pre.d.comb += p.redirect_pc.eq(Mux(x.pred_seq | is_jalr, bru.target,
                                                   x.pc + 4))


def _control(p: Pipeline) -> None:
    """EX's hold, fire and redirect; the predictor's update; the data port's request."""
    x, ctl, mm, bru, pred, lsu = p.x, p.x.ctl, p.mm, p.bru, p.pred, p.lsu
    registered, halted = p.registered, p.halted
    # At latency 3 a mul spends two cycles in EX (see multiplier.py).
    control = p.block("ex_control")
    mul_hold = p.is_mul & ~x.mul_issued if p.latency >= 3 else 0
    # Registered redirect (`OxCoreConfig.registered_redirect`): the misprediction
    # found in EX redirects fetch one cycle later, from registers; the instruction
    # that entered EX meanwhile (wrong path) is squashed there (x_live), the one
    # in ID too: a misprediction costs two bubbles instead of one, and the branch
    # compare no longer drives the fetch address, the fetch and ID enables, the
    # predictor's table write and the performance counters.
    # EX's instruction is dead if MEM holds a trap (it issued while that trap was
    # being found in EX), or, in registered mode, if it is on the wrong path.
    older_trap = mm.valid & mm.trap.valid
    control.d.comb += p.x_live.eq(x.valid & ~older_trap & ~p.redirect_r if registered
                                  else x.valid & ~older_trap)
    # The predictor learns from every control transfer; the next-line predictor
    # also from a non-transfer it predicted taken (to drop the stale entry).
    learns = p.x_fire & (bru.flow != Flow.NONE)
    if p.cfg.branch_predictor == "nlp":
        learns = learns | p.x_redirect
    if registered:
        control.d.sync += [p.redirect_r.eq(p.x_redirect & ~halted),
                           p.redirect_pc_r.eq(p.redirect_pc)]
        update = Signal.like(pred.update)
        update_pc, update_flow = Signal.like(pred.update_pc), Signal.like(pred.update_flow)
        update_taken, update_target = Signal(), Signal(32)
        control.d.sync += [
            update.eq(learns), update_pc.eq(x.pc),
            update_flow.eq(ctl.flow), update_taken.eq(bru.taken),
            update_target.eq(bru.target)]
        control.d.comb += [
            pred.update.eq(update), pred.update_pc.eq(update_pc),
            pred.update_flow.eq(update_flow), pred.update_taken.eq(update_taken),
            pred.update_target.eq(update_target), pred.update_mispredict.eq(p.redirect_r)]
    else:
        control.d.comb += [
            pred.update.eq(learns), pred.update_pc.eq(x.pc),
            pred.update_flow.eq(ctl.flow), pred.update_taken.eq(bru.taken),
            pred.update_target.eq(bru.target), pred.update_mispredict.eq(p.x_redirect)]

    # The data port: a request that does not depend on the port's `ready` (the
    # protocol's rule), and EX waits while it is not accepted. With engines, a load or
    # store (or an ecall, whose harness reads memory) also waits for memory order.
    dmem = p.core.dmem
    access = Signal()  # EX holds a load or store that may go this cycle
    order_wait = p.engine_order_wait if p.engines else 0
    control.d.comb += [
        access.eq((lsu.load | lsu.store) & ~p.x_hold & p.advance),
        dmem.valid.eq(access & ~order_wait),
        dmem.addr.eq(lsu.bus_addr), dmem.write.eq(lsu.store),
        dmem.mask.eq(lsu.bus_wmask), dmem.wdata.eq(lsu.bus_wdata),
    ]
    mem_wait = access & ~dmem.ready
    if p.engines:
        mem_wait = mem_wait | (order_wait & ((lsu.load | lsu.store) | (p.x_live & p.is_ecall)))
    control.d.comb += [
        p.x_hold.eq((p.is_div & ~p.div.done) | mul_hold),
        p.x_mem_wait.eq(mem_wait),
        p.x_fire.eq(p.x_live & ~p.x_hold & ~p.x_mem_wait & p.advance),
        p.div.ack.eq(p.x_fire & p.is_div),
        p.x_redirect.eq(p.x_fire & ~x.trap.valid & ~bru.misaligned & p.mispredict),
    ]


def _result(p: Pipeline, address: Signal) -> None:
    x, ctl, mm, lsu, x_trap = p.x, p.x.ctl, p.mm, p.lsu, p.x_trap
    result = p.block("ex_result")
    x_result = Signal(32)
    with result.Switch(ctl.unit):
        with result.Case(Unit.ALU):
            result.d.comb += x_result.eq(p.alu.result)
        with result.Case(Unit.LINK):
            result.d.comb += x_result.eq(x.pc + 4)
        with result.Case(Unit.CSR):
            result.d.comb += x_result.eq(p.csr.rdata)
        with result.Case(Unit.DIV):
            result.d.comb += x_result.eq(p.div.result)
    with result.If(p.advance):
        result.d.sync += [
            mm.valid.eq(p.x_fire), mm.pc.eq(x.pc), mm.insn.eq(x.insn), mm.rd.eq(x.rd),
            mm.writes.eq(ctl.writes_rd & (x.rd != 0) & ~x_trap.valid),
            mm.unit.eq(ctl.unit), mm.result.eq(x_result),
            mm.ecall.eq(ctl.env == Env.ECALL), mm.trap.eq(x_trap),
            mm.mem.eq(ctl.mem), mm.addr.eq(address), mm.size_log2.eq(ctl.size_log2),
            mm.signed.eq(ctl.signed), mm.store_value.eq(lsu.store_value),
        ]
        if p.engines:
            result.d.sync += [mm.engine.eq(x.engine), mm.engine_writes.eq(x.engine_writes),
                              mm.engine_rs1.eq(p.rs1), mm.engine_rs2.eq(p.rs2)]
