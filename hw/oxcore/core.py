"""The OxCore scalar pipeline: five in-order stages IF, ID, EX, MEM, WB.

- IF: the fetch address goes to the RAM's synchronous read port. It is chosen in the
  same cycle from: EX's redirect (misprediction), else the predictor's guess for the
  successor of the word at the RAM's output (`branch.Predictor`); it is fetched only
  if that word moves on (or on a redirect, or after reset), else the RAM keeps it.
  Without `registered_fetch` the RAM's output register is the IF/ID register; with it
  the word is registered once more (IF2) before ID, so that decode and the hazard
  checks start from flip-flops (one more bubble per misprediction).
- ID: decode (`decoder.Decoder`), register read (`regfile.RegisterFile`, with a
  write-through bypass for WB; or, with `regfile_sync_read`, a synchronous read whose
  data arrives at the start of EX), hazard checks (`hazard.HazardUnit`), and the
  predicted next pc compared with pc + 4 and pc + imm. Illegal words, fetch access
  faults and ebreak become trap instructions here.
- EX: forwarding muxes (from MEM and WB; their selects are computed a cycle early and
  registered), ALU, branch resolution (a mispredicted next pc redirects IF and
  squashes ID: one bubble; with `registered_redirect` the redirect happens a cycle
  later and the wrong-path instruction that entered EX is squashed there: two
  bubbles), LSU address checks and the data RAM access: loads read (data arrives in
  MEM) and stores write here, because every exception is known by the end of EX.
  Younger instructions wait in ID behind ecalls and behind traps found in ID; one
  that issues behind a trap found in EX is squashed in EX the next cycle (when the
  trap is in MEM), before it can write memory. CSR reads, the divider (EX holds the
  div until done) and the multiplier's first stage.
- MEM: load data lane select and extension, the multiplier's result at latency 1.
- WB: register write, the retire port, ecall service, traps.

Environment calls: an ecall in WB raises `env_req` (its pc and word, a0, a1, a2, a7)
and waits; the harness answers on `env_resp` with a0's new value (or `fault` for an
unknown call), then the ecall retires with rd = a0. A trap retires as a record with
`trap` set and halts the core (`halted`).

`reset_pc` is an int, or a 32-bit signal (the FPGA SoC's boot loader sets it).
"""

from amaranth import Cat, Const, Module, Mux, Signal, Value
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.alu import Alu
from hw.oxcore.branch import BranchUnit, Predictor
from hw.oxcore.commit import commit_layout
from hw.oxcore.control import (CONTROL_LAYOUT, TRAP_CAUSE_WIDTH, ASrc, BSrc, CsrOp, Env,
                               Flow, MemOp, Unit)
from hw.oxcore.csr import CsrFile
from hw.oxcore.decoder import Decoder
from hw.oxcore.divider import Divider
from hw.oxcore.faults import Fault, Faults
from hw.oxcore.hazard import Forward, HazardUnit
from hw.oxcore.lsu import Lsu
from hw.oxcore.memory import DATA_BUS, FETCH_BUS
from hw.oxcore.multiplier import Multiplier
from hw.oxcore.regfile import RegisterFile
from oxcore.config import OxCoreConfig
from oxcore.retire import SCALAR_RETIRE, TrapCause

TRAP = data.StructLayout({"valid": 1, "cause": TRAP_CAUSE_WIDTH})

# The retire port, generated from the retire schema (oxcore/retire/ports.py).
RETIRE_LAYOUT = commit_layout(SCALAR_RETIRE)

from oxcore.abi import ENV_ARGS  # noqa: E402  a0, a1, a2, a7: the syscall ABI's registers
ENV_REQ = data.StructLayout({"valid": 1, "pc": 32, "insn": 32, "a0": 32, "a1": 32, "a2": 32,
                             "a7": 32})
ENV_RESP = data.StructLayout({"valid": 1, "a0": 32, "fault": 1})

# Pipeline registers.
ID_EX = data.StructLayout({
    "valid": 1, "pc": 32, "insn": 32, "ctl": CONTROL_LAYOUT, "rd": 5, "rs1": 5, "rs2": 5,
    "imm": 32, "csr": 12, "rs1_val": 32, "rs2_val": 32, "pred_next": 32, "trap": TRAP,
    "mul_issued": 1, "pred_seq": 1, "pred_target": 1,
})
EX_MEM = data.StructLayout({
    "valid": 1, "pc": 32, "insn": 32, "rd": 5, "writes": 1, "unit": Unit, "result": 32,
    "ecall": 1, "trap": TRAP, "mem": MemOp, "addr": 32, "size_log2": 2, "signed": 1,
    "store_value": 32,
})
MEM_WB = data.StructLayout({
    "valid": 1, "pc": 32, "insn": 32, "rd": 5, "writes": 1, "unit": Unit, "result": 32,
    "ecall": 1, "trap": TRAP, "mem": MemOp, "addr": 32, "size_log2": 2, "mem_data": 32,
})


class Core(wiring.Component):
    """One OxCore hart, without its RAM (see `top.Top`)."""

    imem: Out(FETCH_BUS)
    dmem: Out(DATA_BUS)
    retire: Out(RETIRE_LAYOUT)
    env_req: Out(ENV_REQ)
    env_resp: In(ENV_RESP)
    halted: Out(1)

    def __init__(self, config: OxCoreConfig, reset_pc: int | Value,
                 faults: Faults = frozenset()) -> None:
        self.config = config
        self.reset_pc = reset_pc
        self.faults = faults  # deliberate bugs for fault-injection tests (hw/oxcore/faults.py)
        # Internal signals worth a look in a waveform, grouped (filled by elaborate).
        self.probes: dict[str, dict[str, object]] = {}
        self.csr = CsrFile(config.counter_width)  # public: the harness reads the counters from it
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()
        cfg = self.config
        latency = cfg.mul_latency
        index_bits = cfg.mem_size.bit_length() - 1
        region = cfg.mem_base >> index_bits

        m.submodules.decoder = dec = Decoder()
        sync_rf = cfg.regfile_sync_read
        m.submodules.regfile = rf = RegisterFile(taps=ENV_ARGS, sync_read=sync_rf)
        m.submodules.alu = alu = Alu(self.faults)
        m.submodules.branch = bru = BranchUnit()
        m.submodules.predictor = pred = Predictor(cfg)
        m.submodules.multiplier = mul = Multiplier(latency)
        m.submodules.divider = div = Divider(self.faults)
        m.submodules.lsu = lsu = Lsu(cfg, self.faults)
        m.submodules.csr = csr = self.csr
        m.submodules.hazard = hz = HazardUnit(latency, self.faults)

        halted = Signal()
        # ID's instruction: valid, pc, word, and whether its pc was outside RAM (an
        # instruction access fault).
        d_valid = Signal()
        d_pc = Signal(32)
        d_fault = Signal()
        # The word at the instruction RAM's output ("q"). Without `registered_fetch`
        # that word is ID's instruction (q is d); with it, q is a stage of its own (IF2)
        # and moves into ID's registers.
        fetch_stage = cfg.registered_fetch
        if fetch_stage:
            q_valid, q_pc, q_fault = Signal(), Signal(32), Signal()
            d_word = Signal(32)
            d_pred = Signal(32)  # the predicted next pc, made when the word was in IF2
        else:
            q_valid, q_pc, q_fault = d_valid, d_pc, d_fault
            d_word = self.imem.data
            d_pred = pred.next_pc
        x = Signal(ID_EX)
        mm = Signal(EX_MEM)
        w = Signal(MEM_WB)
        m.d.comb += self.halted.eq(halted)

        # Pipeline control, computed once each (see `block`).
        w_ecall = Signal()  # an ecall waits in WB for the harness
        w_wait = Signal()  # ... and the harness has not answered yet
        w_retire = Signal()
        w_trap = Signal()  # what retires in WB is a trap record
        w_value = Signal(32)  # WB's result (forwarded to EX)
        m_value = Signal(32)  # MEM's forwardable result (never a load: see hazard.py)
        advance = Signal()  # EX -> MEM -> WB move on
        rs1 = Signal(32)  # EX operands after forwarding
        rs2 = Signal(32)
        x_trap = Signal(TRAP)
        x_hold = Signal()  # EX keeps its instruction (divider, latency-3 multiplier)
        x_fire = Signal()  # EX's instruction moves to MEM
        x_redirect = Signal()  # EX found a misprediction: refetch, squash ID
        x_live = Signal()  # EX holds an instruction (not one squashed by a late redirect)
        registered = cfg.registered_redirect
        redirect_r = Signal()  # registered mode: last cycle's x_redirect
        redirect_pc_r = Signal(32)
        d_trap = Signal(TRAP)
        d_issue = Signal()  # ID's instruction moves to EX
        fetch_pc = Signal(32)
        fetch = Signal()

        def block(name: str) -> Module:
            """A small module for one piece of a stage's logic. Amaranth's Python
            simulator re-runs a module's whole combinational logic whenever any of its
            inputs changes; small modules, and named signals for values used in several
            places (rather than re-built expressions), keep a cycle cheap to settle."""
            sub = Module()
            m.submodules[name] = sub
            return sub

        # ---- WB ---------------------------------------------------------------------
        wb = block("wb_control")
        w_fault = w_ecall & self.env_resp.fault  # unknown ecall
        wb.d.comb += [
            w_ecall.eq(w.valid & w.ecall & ~w.trap.valid),
            w_wait.eq(w_ecall & ~self.env_resp.valid),
            w_retire.eq(w.valid & ~w_wait & ~halted),
            w_trap.eq(w.trap.valid | w_fault),
            w_value.eq(Mux(w.unit == Unit.MUL, mul.result, w.result) if latency >= 2
                       else w.result),
            advance.eq(~w_wait & ~halted),
        ]
        w_writes = w.writes & ~w_trap  # x0 already excluded
        wb.d.comb += [
            rf.w_en.eq(w_retire & (w_writes | (w_ecall & ~w_fault))),
            rf.w_addr.eq(Mux(w_ecall, ENV_ARGS[0], w.rd)),
            rf.w_data.eq(Mux(w_ecall, self.env_resp.a0, w_value)),
            csr.retired.eq(w_retire & ~w_trap),
        ]
        with wb.If(w_retire & w_trap):
            wb.d.sync += halted.eq(1)

        port = block("wb_retire")
        r = self.retire
        port.d.comb += [
            r.valid.eq(w_retire), r.order.eq(csr.instret), r.pc.eq(w.pc), r.insn.eq(w.insn),
            r.trap.valid.eq(w_trap),
            r.trap.cause.eq(Mux(w.trap.valid, w.trap.cause, TrapCause.UNKNOWN_ECALL)),
        ]
        with port.If(w_ecall & ~w_fault):
            port.d.comb += [r.x.valid.eq(1), r.x.reg.eq(ENV_ARGS[0]),
                            r.x.value.eq(self.env_resp.a0)]
        with port.Elif(w_writes):
            port.d.comb += [r.x.valid.eq(1), r.x.reg.eq(w.rd), r.x.value.eq(w_value)]
        with port.If((w.mem != MemOp.NONE) & ~w_trap):
            # Scalar accesses move all their bytes: the mask is the size's.
            port.d.comb += [r.mem.valid.eq(1), r.mem.addr.eq(w.addr),
                            r.mem.size.eq(1 << w.size_log2),
                            r.mem.mask.eq((1 << (1 << w.size_log2)) - 1),
                            r.mem.write.eq(w.mem == MemOp.STORE), r.mem.data.eq(w.mem_data)]
        req = self.env_req
        port.d.comb += [req.valid.eq(w_ecall & ~halted), req.pc.eq(w.pc), req.insn.eq(w.insn)]
        for i, name in enumerate(("a0", "a1", "a2", "a7")):
            port.d.comb += req[name].eq(rf.tap[i])

        # ---- MEM --------------------------------------------------------------------
        me = block("mem")
        me.d.comb += [
            m_value.eq(Mux(mm.unit == Unit.MUL, mul.result, mm.result) if latency == 1
                       else mm.result),
            lsu.m_offset.eq(mm.addr[:2]), lsu.m_size_log2.eq(mm.size_log2),
            lsu.m_signed.eq(mm.signed), lsu.bus_rdata.eq(self.dmem.rdata),
        ]
        with me.If(advance):
            is_load = mm.mem == MemOp.LOAD
            me.d.sync += [
                w.valid.eq(mm.valid), w.pc.eq(mm.pc), w.insn.eq(mm.insn), w.rd.eq(mm.rd),
                w.writes.eq(mm.writes), w.unit.eq(mm.unit), w.ecall.eq(mm.ecall),
                w.trap.eq(mm.trap), w.mem.eq(mm.mem), w.addr.eq(mm.addr),
                w.size_log2.eq(mm.size_log2),
                w.result.eq(Mux(is_load, lsu.load_value, m_value)),
                w.mem_data.eq(Mux(is_load, lsu.load_raw, mm.store_value)),
            ]

        # ---- EX ---------------------------------------------------------------------
        ctl = x.ctl
        fwd = block("ex_forward")
        fwd.d.comb += [
            hz.x_rs1.eq(x.rs1), hz.x_rs2.eq(x.rs2),
            hz.m.valid.eq(mm.valid), hz.m.writes.eq(mm.writes), hz.m.rd.eq(mm.rd),
            hz.m.unit.eq(mm.unit), hz.m.serial.eq(mm.ecall | mm.trap.valid),
            hz.w.valid.eq(w.valid), hz.w.writes.eq(w.writes), hz.w.rd.eq(w.rd),
            hz.w.unit.eq(w.unit), hz.w.serial.eq(w.ecall | w.trap.valid),
        ]
        # The register value: latched at issue (asynchronous register file), or the
        # synchronous register file's output, read at the edge EX was loaded or re-read
        # while EX held (see `rf_read` below).
        x_regs = ((rf.rs1_data, rf.rs2_data) if sync_rf else (x.rs1_val, x.rs2_val))
        # The selects are registered: computed in the cycle before for the instruction
        # EX holds then (see "ex_forward_next"), so that no comparison of register
        # numbers lies between the pipeline registers and the ALU and branch compare.
        fwd_rs1 = Signal(Forward)
        fwd_rs2 = Signal(Forward)
        for select, value, reg in ((fwd_rs1, rs1, x_regs[0]), (fwd_rs2, rs2, x_regs[1])):
            with fwd.Switch(select):
                with fwd.Case(Forward.MEM):
                    fwd.d.comb += value.eq(m_value)
                with fwd.Case(Forward.WB):
                    fwd.d.comb += value.eq(w_value)
                with fwd.Default():
                    fwd.d.comb += value.eq(reg)

        # What EX's forwarding will select next cycle, from what MEM and WB will hold
        # then (the hazard unit's rule, applied a cycle early): if the pipeline
        # advances, MEM gets EX's instruction (or a bubble) and WB gets MEM's, else
        # both stay; EX gets ID's instruction, or keeps its own. (A trapping EX
        # instruction is treated as writing its rd: nothing issues behind it.)
        nxt = block("ex_forward_next")
        next_rs = [Signal(5, name="next_rs1"), Signal(5, name="next_rs2")]
        n_m_writes, n_m_rd = Signal(), Signal(5)
        n_w_writes, n_w_rd = Signal(), Signal(5)
        with nxt.If(advance):
            nxt.d.comb += [n_m_writes.eq(x_fire & ctl.writes_rd), n_m_rd.eq(x.rd),
                           n_w_writes.eq(mm.valid & mm.writes), n_w_rd.eq(mm.rd)]
        with nxt.Else():
            nxt.d.comb += [n_m_writes.eq(mm.valid & mm.writes), n_m_rd.eq(mm.rd),
                           n_w_writes.eq(w.valid & w.writes), n_w_rd.eq(w.rd)]
        stay = x_live & ~x_fire
        nxt.d.comb += [next_rs[0].eq(Mux(stay, x.rs1, dec.rs1)),
                       next_rs[1].eq(Mux(stay, x.rs2, dec.rs2))]
        order = [(n_m_writes, n_m_rd, Forward.MEM), (n_w_writes, n_w_rd, Forward.WB)]
        if Fault.FORWARD_WRONG_STAGE in self.faults:
            order.reverse()
        for reg, select in zip(next_rs, (fwd_rs1, fwd_rs2)):
            (first, first_rd, first_fwd), (second, second_rd, second_fwd) = order
            with nxt.If(first & (first_rd == reg) & (reg != 0)):
                nxt.d.sync += select.eq(first_fwd)
            with nxt.Elif(second & (second_rd == reg) & (reg != 0)):
                nxt.d.sync += select.eq(second_fwd)
            with nxt.Else():
                nxt.d.sync += select.eq(Forward.REG)

        units = block("ex_units")
        address = Signal(32)
        imm_upper = Cat(Const(0, 12), x.imm[:20])
        live = x_live & ~x.trap.valid
        is_mul = x_live & (ctl.unit == Unit.MUL)
        is_div = x_live & (ctl.unit == Unit.DIV)
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
            csr.addr.eq(x.csr),
            mul.valid.eq(is_mul & ~x.mul_issued), mul.op.eq(ctl.mul), mul.a.eq(rs1),
            mul.b.eq(rs2),
            div.start.eq(is_div & div.ready), div.op.eq(ctl.div), div.a.eq(rs1),
            div.b.eq(rs2),
        ]

        # Traps found in EX (those from ID ride in x.trap).
        traps = block("ex_trap")
        csr_source = Mux(ctl.csr_imm, x.imm[:5], x.rs1)  # the rs1 *field*, as the ISA says
        csr_writes = (ctl.csr == CsrOp.WRITE) | (ctl.csr != CsrOp.NONE) & (csr_source != 0)
        # Every CSR is read-only, so any write attempt traps, as does an unknown CSR.
        csr_illegal = x_live & (ctl.csr != CsrOp.NONE) & (~csr.known | csr_writes)
        with traps.If(x.trap.valid):
            traps.d.comb += x_trap.eq(x.trap)
        with traps.Elif(bru.misaligned):
            traps.d.comb += [x_trap.valid.eq(1),
                             x_trap.cause.eq(TrapCause.INSTRUCTION_MISALIGNED)]
        with traps.Elif(lsu.fault):
            traps.d.comb += [x_trap.valid.eq(1), x_trap.cause.eq(lsu.cause)]
        with traps.Elif(csr_illegal):
            traps.d.comb += [x_trap.valid.eq(1),
                             x_trap.cause.eq(TrapCause.ILLEGAL_INSTRUCTION)]

        # Misprediction: the resolved next pc differs from the predicted one. The
        # predicted pc was compared in ID with both candidates (pc + 4, and pc + imm
        # for branches and jal), so only a jalr's target is compared here, and the
        # branch condition only selects. (Other traps than a misaligned target come
        # from instructions predicted pc + 4 that go there: they never redirect.)
        mispredict = Signal()
        redirect_pc = Signal(32)
        is_jalr = ctl.flow == Flow.JALR
        control_pre = block("ex_redirect")
        control_pre.d.comb += [
            mispredict.eq(Mux(bru.taken,
                              Mux(is_jalr, bru.target != x.pred_next, ~x.pred_target),
                              ~x.pred_seq)),
        ]
        if cfg.branch_predictor == "nlp":
            # The next-line predictor's guess may be neither candidate (a stale entry
            # after a new program was loaded): go where the transfer really goes.
            control_pre.d.comb += redirect_pc.eq(bru.next_pc)
        else:
            # Where a mispredicted transfer goes: the other candidate than predicted.
            control_pre.d.comb += redirect_pc.eq(Mux(x.pred_seq | is_jalr, bru.target,
                                                     x.pc + 4))

        # At latency 3 a mul spends two cycles in EX (see multiplier.py).
        control = block("ex_control")
        mul_hold = is_mul & ~x.mul_issued if latency >= 3 else 0
        # Registered redirect (`OxCoreConfig.registered_redirect`): the misprediction
        # found in EX redirects fetch one cycle later, from registers; the instruction
        # that entered EX meanwhile (wrong path) is squashed there (x_live), the one
        # in ID too: a misprediction costs two bubbles instead of one, and the branch
        # compare no longer drives the fetch address, the fetch and ID enables, the
        # predictor's table write and the performance counters.
        # EX's instruction is dead if MEM holds a trap (it issued while that trap was
        # being found in EX), or, in registered mode, if it is on the wrong path.
        older_trap = mm.valid & mm.trap.valid
        control.d.comb += x_live.eq(x.valid & ~older_trap & ~redirect_r if registered
                                    else x.valid & ~older_trap)
        # The predictor learns from every control transfer; the next-line predictor
        # also from a non-transfer it predicted taken (to drop the stale entry).
        learns = x_fire & (bru.flow != Flow.NONE)
        if cfg.branch_predictor == "nlp":
            learns = learns | x_redirect
        if registered:
            control.d.sync += [redirect_r.eq(x_redirect & ~halted),
                               redirect_pc_r.eq(redirect_pc)]
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
                pred.update_target.eq(update_target), pred.update_mispredict.eq(redirect_r)]
        else:
            control.d.comb += [
                pred.update.eq(learns), pred.update_pc.eq(x.pc),
                pred.update_flow.eq(ctl.flow), pred.update_taken.eq(bru.taken),
                pred.update_target.eq(bru.target), pred.update_mispredict.eq(x_redirect)]
        control.d.comb += [
            x_hold.eq((is_div & ~div.done) | mul_hold),
            x_fire.eq(x_live & ~x_hold & advance),
            div.ack.eq(x_fire & is_div),
            x_redirect.eq(x_fire & ~x.trap.valid & ~bru.misaligned & mispredict),
            self.dmem.addr.eq(lsu.bus_addr),
            self.dmem.read.eq(lsu.bus_read & x_fire),
            self.dmem.wmask.eq(Mux(x_fire, lsu.bus_wmask, 0)),
            self.dmem.wdata.eq(lsu.bus_wdata),
        ]

        result = block("ex_result")
        x_result = Signal(32)
        with result.Switch(ctl.unit):
            with result.Case(Unit.ALU):
                result.d.comb += x_result.eq(alu.result)
            with result.Case(Unit.LINK):
                result.d.comb += x_result.eq(x.pc + 4)
            with result.Case(Unit.CSR):
                result.d.comb += x_result.eq(csr.rdata)
            with result.Case(Unit.DIV):
                result.d.comb += x_result.eq(div.result)
        with result.If(advance):
            result.d.sync += [
                mm.valid.eq(x_fire), mm.pc.eq(x.pc), mm.insn.eq(x.insn), mm.rd.eq(x.rd),
                mm.writes.eq(ctl.writes_rd & (x.rd != 0) & ~x_trap.valid),
                mm.unit.eq(ctl.unit), mm.result.eq(x_result),
                mm.ecall.eq(ctl.env == Env.ECALL), mm.trap.eq(x_trap),
                mm.mem.eq(ctl.mem), mm.addr.eq(address), mm.size_log2.eq(ctl.size_log2),
                mm.signed.eq(ctl.signed), mm.store_value.eq(lsu.store_value),
            ]

        # ---- ID ---------------------------------------------------------------------
        decode = block("id_decode")
        d_ctl = dec.ctl
        decode.d.comb += [
            dec.insn.eq(Mux(d_fault, 0, d_word)),
            hz.d_valid.eq(d_valid), hz.d_reads_rs1.eq(d_ctl.reads_rs1),
            hz.d_reads_rs2.eq(d_ctl.reads_rs2), hz.d_rs1.eq(dec.rs1), hz.d_rs2.eq(dec.rs2),
            hz.d_csr.eq(d_ctl.csr != CsrOp.NONE),
        ]
        # The predictor guesses the successor of the fetched word (q), from its pc and,
        # except in `nlp` mode, its decoded flow and target.
        decode.d.comb += pred.pc.eq(q_pc)
        if not fetch_stage:
            decode.d.comb += [pred.flow.eq(d_ctl.flow), pred.target.eq(d_pc + dec.imm),
                              pred.backward.eq(dec.imm[31])]
        elif cfg.branch_predictor in ("static", "btb"):
            m.submodules.predecoder = pre = Decoder()
            decode.d.comb += [pre.insn.eq(Mux(q_fault, 0, self.imem.data)),
                              pred.flow.eq(pre.ctl.flow), pred.target.eq(q_pc + pre.imm),
                              pred.backward.eq(pre.imm[31])]
        with decode.If(d_fault):
            decode.d.comb += [d_trap.valid.eq(1),
                              d_trap.cause.eq(TrapCause.INSTRUCTION_ACCESS_FAULT)]
        with decode.Elif(dec.illegal):
            decode.d.comb += [d_trap.valid.eq(1), d_trap.cause.eq(TrapCause.ILLEGAL_INSTRUCTION)]
        with decode.Elif(d_ctl.env == Env.EBREAK):
            decode.d.comb += [d_trap.valid.eq(1), d_trap.cause.eq(TrapCause.BREAKPOINT)]

        rf_read = block("id_regfile")
        if sync_rf:
            # The synchronous register file reads for the instruction EX holds next
            # cycle: ID's when it issues, else EX's own (re-read, so that it sees what
            # WB writes meanwhile, as the asynchronous variant's operand refresh does).
            x_stays = Signal()
            rf_read.d.comb += [
                x_stays.eq(x_live & ~x_fire),
                rf.rs1_addr.eq(Mux(x_stays, x.rs1, dec.rs1)),
                rf.rs2_addr.eq(Mux(x_stays, x.rs2, dec.rs2)),
            ]
        else:
            rf_read.d.comb += [rf.rs1_addr.eq(dec.rs1), rf.rs2_addr.eq(dec.rs2)]

        issue = block("id_issue")
        issue.d.comb += [
            # Only what EX's registers say: a trap that EX itself finds (a bad address,
            # a misaligned target, a CSR write) does not hold ID, so that the address
            # adder and compares stay off the path to the fetch enable; the instruction
            # that issues behind it is squashed in EX instead (`older_trap`).
            hz.x.valid.eq(x_live), hz.x.writes.eq(ctl.writes_rd & ~x.trap.valid),
            hz.x.rd.eq(x.rd), hz.x.unit.eq(ctl.unit),
            hz.x.serial.eq((ctl.env == Env.ECALL) | x.trap.valid),
            d_issue.eq(d_valid & (~x_live | x_fire) & ~hz.stall_load_use & ~hz.stall_mul
                       & ~hz.stall_serial & ~(redirect_r if registered else x_redirect)
                       & ~halted),
        ]
        with issue.If(~halted):
            with issue.If(d_issue):
                issue.d.sync += [
                    x.valid.eq(1), x.pc.eq(d_pc), x.insn.eq(dec.insn), x.ctl.eq(d_ctl),
                    x.rd.eq(dec.rd), x.rs1.eq(dec.rs1), x.rs2.eq(dec.rs2), x.imm.eq(dec.imm),
                    x.csr.eq(dec.csr),
                    x.pred_next.eq(d_pred), x.trap.eq(d_trap), x.mul_issued.eq(0),
                    x.pred_seq.eq(d_pred == (d_pc + 4)[:32]),
                    x.pred_target.eq(d_pred == (d_pc + dec.imm)[:32]),
                ]
                if not sync_rf:
                    issue.d.sync += [x.rs1_val.eq(rf.rs1_data), x.rs2_val.eq(rf.rs2_data)]
            with issue.Elif(x_fire | ~x_live):
                issue.d.sync += x.valid.eq(0)
            with issue.Else():  # EX holds: keep its operands current as older results retire
                issue.d.sync += x.mul_issued.eq(x.mul_issued | is_mul)
                if not sync_rf:
                    issue.d.sync += [x.rs1_val.eq(rs1), x.rs2_val.eq(rs2)]

        # ---- IF ---------------------------------------------------------------------
        # The address does not depend on whether ID issues (only the fetch enable does):
        # that keeps the hazard logic off the path from the fetched word to the next
        # fetch address.
        fe = block("fetch")
        redirect, target = (redirect_r, redirect_pc_r) if registered else \
            (x_redirect, redirect_pc)
        with fe.If(redirect):
            fe.d.comb += fetch_pc.eq(target)
        with fe.Elif(~q_valid):  # first cycle after reset
            fe.d.comb += fetch_pc.eq(self.reset_pc)
        with fe.Else():
            fe.d.comb += fetch_pc.eq(pred.next_pc)
        # The fetched word moves on (to ID's registers, or it is ID's and issues).
        q_moves = Signal()
        if fetch_stage:
            fe.d.comb += q_moves.eq(q_valid & (~d_valid | d_issue) & ~redirect & ~halted)
        else:
            fe.d.comb += q_moves.eq(d_issue)
        fe.d.comb += fetch.eq(redirect | ~q_valid | q_moves)
        fe.d.comb += [self.imem.addr.eq(fetch_pc[2:]), self.imem.en.eq(fetch & ~halted)]
        with fe.If(fetch & ~halted):
            fe.d.sync += [q_valid.eq(1), q_pc.eq(fetch_pc),
                          q_fault.eq(fetch_pc[index_bits:] != region)]
        if fetch_stage:
            # IF2 -> ID. A redirect squashes ID; the word in IF2 is replaced by the
            # redirect's own fetch.
            with fe.If(redirect):
                fe.d.sync += d_valid.eq(0)
            with fe.Elif(q_moves):
                fe.d.sync += [d_valid.eq(1), d_pc.eq(q_pc), d_fault.eq(q_fault),
                              d_word.eq(self.imem.data), d_pred.eq(pred.next_pc)]
            with fe.Elif(d_issue):
                fe.d.sync += d_valid.eq(0)

        # ---- performance events -------------------------------------------------------
        perf = block("perf")
        blocked = Signal()
        # A misprediction costs one bubble, one more with `registered_redirect` (the
        # redirect waits a cycle) and one more with `registered_fetch` (IF2).
        bubbles = [redirect]  # the redirect, then the same flag one cycle later, ...
        for k in range(int(registered) + int(fetch_stage)):
            later = Signal(name=f"redirect_bubble{k + 1}")
            perf.d.sync += later.eq(bubbles[-1])
            bubbles.append(later)
        events = csr.events
        perf.d.comb += [
            blocked.eq(d_valid & ~d_issue & ~redirect & ~halted),
            events.stall_env.eq((blocked & hz.stall_serial) | w_wait),
            events.stall_muldiv.eq(blocked & ~hz.stall_serial & (x_hold | hz.stall_mul)),
            events.stall_load_use.eq(blocked & ~hz.stall_serial & ~x_hold & ~hz.stall_mul
                                     & hz.stall_load_use),
            # Every bubble of a misprediction (counted from the redirect on).
            events.stall_branch.eq(Cat(*bubbles).any()),
            events.branches.eq(pred.update & (pred.update_flow != Flow.NONE)),
            events.mispredicts.eq(redirect),
        ]

        # What a waveform viewer should open with, grouped (cosim/waves.py writes the
        # GTKWave save file). (view, "field") names one field of a pipeline register.
        self.probes = {
            "pc per stage": [fetch_pc, *([q_pc] if fetch_stage else []), d_pc, (x, "pc"),
                             (mm, "pc"), (w, "pc")],
            "valid / stall / flush": [
                d_valid, (x, "valid"), (mm, "valid"), (w, "valid"), d_issue, x_hold,
                hz.stall_load_use, hz.stall_mul, hz.stall_serial, x_redirect, w_wait, halted],
            "retire": [self.retire],
            "register write": [rf.w_en, rf.w_addr, rf.w_data],
            "memory bus": [self.imem, self.dmem],
            "environment": [self.env_req, self.env_resp],
        }
        return m
