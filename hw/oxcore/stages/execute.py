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

`Execute` is a component holding EX's own units (the ALU, the branch unit and the
divider): the ID/EX register (``x``) comes in, the EX/MEM register (``mm``) and the data
port's request (``dmem``) go out. The units EX shares with other stages stay the
core's: the LSU (MEM selects the load's lanes), the CSR file (WB and the performance
events count into it), the multiplier (its result arrives in MEM or WB), the predictor
(IF looks it up) and the hazard unit (ID's stalls); EX reaches them through ``lsu``
(`LSU_REQUEST`), ``csr`` (`CSR_READ`), ``mul`` (`MUL_REQUEST`), ``predictor``
(`PREDICTOR_UPDATE`) and ``producers`` (MEM's and WB's instructions as the hazard unit
sees them), so a test can wire any unit (or a model) to the stage.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.alu import Alu
from hw.oxcore.branch import BranchUnit
from hw.oxcore.bus import SCALAR_PORT
from hw.oxcore.control import (TRAP_CAUSE_WIDTH, ASrc, BSrc, CsrOp, Env, Flow, MemOp, MulOp,
                               Unit)
from hw.oxcore.divider import Divider
from hw.oxcore.faults import Fault, Faults
from hw.oxcore.hazard import PRODUCER, Forward
from hw.oxcore.pipeline import TRAP
from oxcore.retire import TrapCause

__all__ = ["CSR_READ", "Execute", "LSU_REQUEST", "MUL_REQUEST", "OPERANDS", "PREDICTOR_UPDATE",
           "PRODUCERS", "REDIRECT", "SOURCES"]

# Register numbers (ID's decoded sources, for the next cycle's forwarding selects).
SOURCES = data.StructLayout({"rs1": 5, "rs2": 5})
# Register values: EX's operands after forwarding; the synchronous register file's data.
OPERANDS = data.StructLayout({"rs1": 32, "rs2": 32})
# MEM's and WB's instructions as the hazard unit sees them (for ID's serialisation).
PRODUCERS = data.StructLayout({"m": PRODUCER, "w": PRODUCER})
# The LSU's request side, seen from EX: the access (``load``/``store``, ``addr``,
# ``size_log2``, ``store_data``); the LSU answers with the address check (``fault``,
# ``cause``), the data port's word address, byte enables and lanes, and the stored
# value truncated to its size (for the retire record).
LSU_REQUEST = wiring.Signature({
    "load": Out(1), "store": Out(1), "addr": Out(32), "size_log2": Out(2),
    "store_data": Out(32),
    "fault": In(1), "cause": In(TRAP_CAUSE_WIDTH), "bus_addr": In(30), "bus_wmask": In(4),
    "bus_wdata": In(32), "store_value": In(32),
})
# The CSR file's read port: the CSR number; its value and whether the ISA knows it.
CSR_READ = wiring.Signature({"addr": Out(12), "rdata": In(32), "known": In(1)})
# The multiplier's request (its result arrives `mul_latency` cycles later, in MEM or WB).
MUL_REQUEST = data.StructLayout({"valid": 1, "op": MulOp, "a": 32, "b": 32})
# The predictor's update: a control transfer leaving EX (`branch.Predictor`'s update_*).
PREDICTOR_UPDATE = data.StructLayout({"valid": 1, "pc": 32, "flow": Flow, "taken": 1,
                                      "target": 32, "mispredict": 1})
# The redirect acting on fetch (and squashing ID) this cycle, and where fetch goes.
REDIRECT = data.StructLayout({"valid": 1, "target": 32})


class Execute(wiring.Component):
    """EX.

    Inputs: ``x`` (the ID/EX register), ``w`` (the MEM/WB register: forwarding and the
    hazard unit's view of WB), ``d_rs`` (ID's decoded source registers: the next
    cycle's forwarding selects), ``m_value`` / ``w_value`` (MEM's and WB's forwardable
    results), ``advance`` and ``halted`` (WB's), with ``sync_rf`` ``rf_data`` (the
    synchronous register file's read data, EX's register values), with engines
    ``order_wait`` and ``load_order_wait`` (memory order: `stages/engines.py`).

    Outputs: ``mm`` (the EX/MEM register), ``dmem`` (the data port, `bus.SCALAR_PORT`:
    the request; its ``ready`` comes back in), ``operands`` (rs1 and rs2 after
    forwarding: ID keeps a held instruction's operands current with them), ``trap``
    (the trap EX's instruction carries into MEM: from ID, or found here), ``live`` (EX
    holds an instruction not squashed), ``hold`` (EX keeps it: divider, latency-3
    multiplier), ``mem_wait`` (EX waits for the data port or memory order), ``fire``
    (it moves to MEM), ``mispredict`` (it moves on mispredicted: with
    ``registered_redirect`` acting on fetch one cycle later), ``redirect`` (the
    redirect acting on fetch and ID this cycle, and its target), ``predictor`` (the
    predictor's update), ``producers`` (for the hazard unit); and the requests to the
    shared units: ``lsu``, ``csr`` (with their answers coming back in), ``mul``.
    """

    def __init__(self, id_ex: data.StructLayout, ex_mem: data.StructLayout,
                 mem_wb: data.StructLayout, *, mul_latency: int, sync_rf: bool,
                 registered_redirect: bool, branch_predictor: str,
                 faults: Faults = frozenset(), engines: int = 0) -> None:
        self.mul_latency = mul_latency
        self.sync_rf = sync_rf
        self.registered_redirect = registered_redirect
        self.branch_predictor = branch_predictor
        self.faults = faults
        self.engines = engines
        members = {
            "x": In(id_ex), "w": In(mem_wb), "d_rs": In(SOURCES),
            "m_value": In(32), "w_value": In(32), "advance": In(1), "halted": In(1),
            "mm": Out(ex_mem), "dmem": Out(SCALAR_PORT), "operands": Out(OPERANDS),
            "trap": Out(TRAP), "live": Out(1), "hold": Out(1), "mem_wait": Out(1),
            "fire": Out(1), "mispredict": Out(1), "redirect": Out(REDIRECT),
            "predictor": Out(PREDICTOR_UPDATE), "producers": Out(PRODUCERS),
            "lsu": Out(LSU_REQUEST), "csr": Out(CSR_READ), "mul": Out(MUL_REQUEST),
        }
        if sync_rf:
            members["rf_data"] = In(OPERANDS)
        if engines:
            members["order_wait"] = In(1)  # a scalar store or an ecall waits
            members["load_order_wait"] = In(1)  # a scalar load waits
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        # Small modules, one per piece of logic (see `pipeline.Pipeline.block`): the
        # Python simulator re-runs a module's combinational logic whenever any of its
        # inputs changes.
        m = Module()
        m.submodules.alu = self._alu = Alu(self.faults)
        m.submodules.branch = self._bru = BranchUnit()
        m.submodules.divider = self._div = Divider(self.faults)
        self._fwd = (Signal(Forward, name="fwd_rs1"), Signal(Forward, name="fwd_rs2"))
        ctl = self.x.ctl
        self._is_mul = self.live & (ctl.unit == Unit.MUL)
        self._is_div = self.live & (ctl.unit == Unit.DIV)
        self._is_ecall = ctl.env == Env.ECALL
        self._forwarding(m)
        self._forwarding_next(m)
        address = self._units(m)
        self._traps(m)
        wrong_next, redirect_pc = self._mispredict(m)
        self._control(m, wrong_next, redirect_pc)
        self._result(m, address)
        return m

    @staticmethod
    def _block(m: Module, name: str) -> Module:
        sub = Module()
        m.submodules[name] = sub
        return sub

    def _forwarding(self, m: Module) -> None:
        x, mm, w, producers = self.x, self.mm, self.w, self.producers
        fwd = self._block(m, "ex_forward")
        for producer, stage in ((producers.m, mm), (producers.w, w)):
            fwd.d.comb += [
                producer.valid.eq(stage.valid), producer.writes.eq(stage.writes),
                producer.rd.eq(stage.rd), producer.unit.eq(stage.unit),
                producer.serial.eq(stage.ecall | stage.trap.valid),
            ]
        # The register value: latched at issue (asynchronous register file), or the
        # synchronous register file's output, read at the edge EX was loaded or re-read
        # while EX held (see `stages/decode.py`).
        x_regs = ((self.rf_data.rs1, self.rf_data.rs2) if self.sync_rf
                  else (x.rs1_val, x.rs2_val))
        # The selects are registered: computed in the cycle before for the instruction
        # EX holds then (see "ex_forward_next"), so that no comparison of register
        # numbers lies between the pipeline registers and the ALU and branch compare.
        operands = self.operands
        for select, value, reg in ((self._fwd[0], operands.rs1, x_regs[0]),
                                   (self._fwd[1], operands.rs2, x_regs[1])):
            with fwd.Switch(select):
                with fwd.Case(Forward.MEM):
                    fwd.d.comb += value.eq(self.m_value)
                with fwd.Case(Forward.WB):
                    fwd.d.comb += value.eq(self.w_value)
                with fwd.Default():
                    fwd.d.comb += value.eq(reg)

    def _forwarding_next(self, m: Module) -> None:
        """What EX's forwarding will select next cycle, from what MEM and WB will hold
        then (the hazard unit's rule, applied a cycle early): if the pipeline advances,
        MEM gets EX's instruction (or a bubble) and WB gets MEM's, else both stay; EX
        gets ID's instruction, or keeps its own. (A trapping EX instruction is treated
        as writing its rd: nothing issues behind it.)"""
        x, mm, w, ctl = self.x, self.mm, self.w, self.x.ctl
        nxt = self._block(m, "ex_forward_next")
        next_rs = [Signal(5, name="next_rs1"), Signal(5, name="next_rs2")]
        n_m_writes, n_m_rd = Signal(), Signal(5)
        n_w_writes, n_w_rd = Signal(), Signal(5)
        with nxt.If(self.advance):
            nxt.d.comb += [n_m_writes.eq(self.fire & ctl.writes_rd), n_m_rd.eq(x.rd),
                           n_w_writes.eq(mm.valid & mm.writes), n_w_rd.eq(mm.rd)]
        with nxt.Else():
            nxt.d.comb += [n_m_writes.eq(mm.valid & mm.writes), n_m_rd.eq(mm.rd),
                           n_w_writes.eq(w.valid & w.writes), n_w_rd.eq(w.rd)]
        stay = self.live & ~self.fire
        nxt.d.comb += [next_rs[0].eq(Mux(stay, x.rs1, self.d_rs.rs1)),
                       next_rs[1].eq(Mux(stay, x.rs2, self.d_rs.rs2))]
        order = [(n_m_writes, n_m_rd, Forward.MEM), (n_w_writes, n_w_rd, Forward.WB)]
        if Fault.FORWARD_WRONG_STAGE in self.faults:
            order.reverse()
        for reg, select in zip(next_rs, self._fwd):
            (first, first_rd, first_fwd), (second, second_rd, second_fwd) = order
            with nxt.If(first & (first_rd == reg) & (reg != 0)):
                nxt.d.sync += select.eq(first_fwd)
            with nxt.Elif(second & (second_rd == reg) & (reg != 0)):
                nxt.d.sync += select.eq(second_fwd)
            with nxt.Else():
                nxt.d.sync += select.eq(Forward.REG)

    def _units(self, m: Module) -> Signal:
        """Operands into the ALU, branch unit, LSU, CSRs, multiplier and divider;
        returns the load/store address."""
        x, ctl, rs1, rs2 = self.x, self.x.ctl, self.operands.rs1, self.operands.rs2
        alu, bru, lsu, mul, div = self._alu, self._bru, self.lsu, self.mul, self._div
        units = self._block(m, "ex_units")
        address = Signal(32)
        imm_upper = Cat(Const(0, 12), x.imm[:20])
        live = self.live & ~x.trap.valid
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
            self.csr.addr.eq(x.csr),
            mul.valid.eq(self._is_mul & ~x.mul_issued), mul.op.eq(ctl.mul), mul.a.eq(rs1),
            mul.b.eq(rs2),
            div.start.eq(self._is_div & div.ready), div.op.eq(ctl.div), div.a.eq(rs1),
            div.b.eq(rs2),
        ]
        return address

    def _traps(self, m: Module) -> None:
        """Traps found in EX (those from ID ride in x.trap)."""
        x, ctl, csr, x_trap = self.x, self.x.ctl, self.csr, self.trap
        traps = self._block(m, "ex_trap")
        csr_source = Mux(ctl.csr_imm, x.imm[:5], x.rs1)  # the rs1 *field*, as the ISA says
        csr_writes = (ctl.csr == CsrOp.WRITE) | (ctl.csr != CsrOp.NONE) & (csr_source != 0)
        # Every CSR is read-only, so any write attempt traps, as does an unknown CSR.
        csr_illegal = self.live & (ctl.csr != CsrOp.NONE) & (~csr.known | csr_writes)
        with traps.If(x.trap.valid):
            traps.d.comb += x_trap.eq(x.trap)
        with traps.Elif(self._bru.misaligned):
            traps.d.comb += [x_trap.valid.eq(1),
                             x_trap.cause.eq(TrapCause.INSTRUCTION_MISALIGNED)]
        with traps.Elif(self.lsu.fault):
            traps.d.comb += [x_trap.valid.eq(1), x_trap.cause.eq(self.lsu.cause)]
        with traps.Elif(csr_illegal):
            traps.d.comb += [x_trap.valid.eq(1),
                             x_trap.cause.eq(TrapCause.ILLEGAL_INSTRUCTION)]

    def _mispredict(self, m: Module) -> tuple[Signal, Signal]:
        """Misprediction: the resolved next pc differs from the predicted one. The
        predicted pc was compared in ID with both candidates (pc + 4, and pc + imm for
        branches and jal), so only a jalr's target is compared here, and the branch
        condition only selects. (Other traps than a misaligned target come from
        instructions predicted pc + 4 that go there: they never redirect.) Returns
        (the next pc is not the predicted one, where a mispredicted transfer goes)."""
        x, bru = self.x, self._bru
        wrong_next, redirect_pc = Signal(name="wrong_next"), Signal(32, name="redirect_pc")
        is_jalr = x.ctl.flow == Flow.JALR
        control_pre = self._block(m, "ex_redirect")
        control_pre.d.comb += [
            wrong_next.eq(Mux(bru.taken,
                              Mux(is_jalr, bru.target != x.pred_next, ~x.pred_target),
                              ~x.pred_seq)),
        ]
        if self.branch_predictor == "nlp":
            # The next-line predictor's guess may be neither candidate (a stale entry
            # after a new program was loaded): go where the transfer really goes.
            control_pre.d.comb += redirect_pc.eq(bru.next_pc)
        else:
            # Where a mispredicted transfer goes: the other candidate than predicted.
            control_pre.d.comb += redirect_pc.eq(Mux(x.pred_seq | is_jalr, bru.target,
                                                     x.pc + 4))
        return wrong_next, redirect_pc

    def _control(self, m: Module, wrong_next: Signal, redirect_pc: Signal) -> None:
        """EX's hold, fire and redirect; the predictor's update; the data port's
        request."""
        x, ctl, mm, bru, pred, lsu = (self.x, self.x.ctl, self.mm, self._bru,
                                      self.predictor, self.lsu)
        registered, halted = self.registered_redirect, self.halted
        x_redirect, x_fire, x_hold, x_live = self.mispredict, self.fire, self.hold, self.live
        # At latency 3 a mul spends two cycles in EX (see multiplier.py).
        control = self._block(m, "ex_control")
        mul_hold = self._is_mul & ~x.mul_issued if self.mul_latency >= 3 else 0
        # Registered redirect (`OxCoreConfig.registered_redirect`): the misprediction
        # found in EX redirects fetch one cycle later, from registers; the instruction
        # that entered EX meanwhile (wrong path) is squashed there (x_live), the one
        # in ID too: a misprediction costs two bubbles instead of one, and the branch
        # compare no longer drives the fetch address, the fetch and ID enables, the
        # predictor's table write and the performance counters.
        # EX's instruction is dead if MEM holds a trap (it issued while that trap was
        # being found in EX), or, in registered mode, if it is on the wrong path.
        older_trap = mm.valid & mm.trap.valid
        if registered:
            redirect_r = Signal(name="redirect_r")  # last cycle's misprediction
            redirect_pc_r = Signal(32, name="redirect_pc_r")
            control.d.comb += [x_live.eq(x.valid & ~older_trap & ~redirect_r),
                               self.redirect.valid.eq(redirect_r),
                               self.redirect.target.eq(redirect_pc_r)]
        else:
            control.d.comb += [x_live.eq(x.valid & ~older_trap),
                               self.redirect.valid.eq(x_redirect),
                               self.redirect.target.eq(redirect_pc)]
        # The predictor learns from every control transfer; the next-line predictor
        # also from a non-transfer it predicted taken (to drop the stale entry).
        learns = x_fire & (bru.flow != Flow.NONE)
        if self.branch_predictor == "nlp":
            learns = learns | x_redirect
        if registered:
            control.d.sync += [redirect_r.eq(x_redirect & ~halted),
                               redirect_pc_r.eq(redirect_pc)]
            update, update_pc = Signal(name="update"), Signal(32, name="update_pc")
            update_flow = Signal(Flow, name="update_flow")
            update_taken = Signal(name="update_taken")
            update_target = Signal(32, name="update_target")
            control.d.sync += [
                update.eq(learns), update_pc.eq(x.pc),
                update_flow.eq(ctl.flow), update_taken.eq(bru.taken),
                update_target.eq(bru.target)]
            control.d.comb += [
                pred.valid.eq(update), pred.pc.eq(update_pc),
                pred.flow.eq(update_flow), pred.taken.eq(update_taken),
                pred.target.eq(update_target), pred.mispredict.eq(redirect_r)]
        else:
            control.d.comb += [
                pred.valid.eq(learns), pred.pc.eq(x.pc),
                pred.flow.eq(ctl.flow), pred.taken.eq(bru.taken),
                pred.target.eq(bru.target), pred.mispredict.eq(x_redirect)]

        # The data port: a request that does not depend on the port's `ready` (the
        # protocol's rule), and EX waits while it is not accepted. With engines, a load
        # or store (or an ecall, whose harness reads memory) also waits for memory order:
        # a load only for engine instructions that may write memory.
        dmem = self.dmem
        access = Signal()  # EX holds a load or store that may go this cycle
        order_wait = 0
        if self.engines:
            order_wait = Signal()
            control.d.comb += order_wait.eq(Mux(lsu.load, self.load_order_wait,
                                                self.order_wait))
        control.d.comb += [
            access.eq((lsu.load | lsu.store) & ~x_hold & self.advance),
            dmem.valid.eq(access & ~order_wait),
            dmem.addr.eq(lsu.bus_addr), dmem.write.eq(lsu.store),
            dmem.mask.eq(lsu.bus_wmask), dmem.wdata.eq(lsu.bus_wdata),
        ]
        mem_wait = access & ~dmem.ready
        if self.engines:
            mem_wait = mem_wait | (order_wait & (lsu.load | lsu.store)) \
                | (self.order_wait & x_live & self._is_ecall)
        control.d.comb += [
            x_hold.eq((self._is_div & ~self._div.done) | mul_hold),
            self.mem_wait.eq(mem_wait),
            x_fire.eq(x_live & ~x_hold & ~self.mem_wait & self.advance),
            self._div.ack.eq(x_fire & self._is_div),
            x_redirect.eq(x_fire & ~x.trap.valid & ~bru.misaligned & wrong_next),
        ]

    def _result(self, m: Module, address: Signal) -> None:
        x, ctl, mm, lsu, x_trap = self.x, self.x.ctl, self.mm, self.lsu, self.trap
        result = self._block(m, "ex_result")
        x_result = Signal(32)
        with result.Switch(ctl.unit):
            with result.Case(Unit.ALU):
                result.d.comb += x_result.eq(self._alu.result)
            with result.Case(Unit.LINK):
                result.d.comb += x_result.eq(x.pc + 4)
            with result.Case(Unit.CSR):
                result.d.comb += x_result.eq(self.csr.rdata)
            with result.Case(Unit.DIV):
                result.d.comb += x_result.eq(self._div.result)
        with result.If(self.advance):
            result.d.sync += [
                mm.valid.eq(self.fire), mm.pc.eq(x.pc), mm.insn.eq(x.insn), mm.rd.eq(x.rd),
                mm.writes.eq(ctl.writes_rd & (x.rd != 0) & ~x_trap.valid),
                mm.unit.eq(ctl.unit), mm.result.eq(x_result),
                mm.ecall.eq(ctl.env == Env.ECALL), mm.trap.eq(x_trap),
                mm.mem.eq(ctl.mem), mm.addr.eq(address), mm.size_log2.eq(ctl.size_log2),
                mm.signed.eq(ctl.signed), mm.store_value.eq(lsu.store_value),
            ]
            if self.engines:
                result.d.sync += [mm.engine.eq(x.engine),
                                  mm.engine_writes.eq(x.engine_writes),
                                  mm.engine_rs1.eq(self.operands.rs1),
                                  mm.engine_rs2.eq(self.operands.rs2)]
