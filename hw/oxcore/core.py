"""The OxCore scalar pipeline: five in-order stages IF, ID, EX, MEM, WB, one file each
under `stages/` (see docs/rtl.md for the picture). Each is a `wiring.Component`
(`Fetch`, `Decode`, `Execute`, `MemoryAccess`, `Writeback`), instantiated by the
`_connect_*` functions below, which wire their ports to the shared signals and units of
`pipeline.Pipeline` with plain wires.

- IF (`stages/fetch.py`): fetch address (redirect, else the predictor's guess) into
  the instruction RAM; the optional IF2 register (`registered_fetch`).
- ID (`stages/decode.py`): decode, register read, hazard checks, issue.
- EX (`stages/execute.py`): forwarding, ALU, branches, the data port's request, CSRs,
  divider, multiplier stage 1.
- MEM (`stages/memory_access.py`): load data, multiplier result at latency 1.
- WB (`stages/writeback.py`): register write, the retire port, ecalls, traps.
- engines (`stages/engines.py`, only with engines): dispatch at retirement,
  completions, scoreboard, memory order.
- performance events (`stages/perf.py`).

Ports: ``imem`` (fetch, `memory.FETCH_BUS`), ``dmem`` (data, `bus.SCALAR_PORT`: a load
or store waits in EX while it is not ready), ``retire`` (one record per cycle at most),
``env_req``/``env_resp`` (the harness services ecalls), ``halted``, ``counters`` (cycle,
instret and the performance counters, for the harness), and one ``engine<i>``
(`engine.EngineSignature`) per engine. Without engines the core is exactly the scalar
pipeline.

`reset_pc` is an int, or a 32-bit signal (the FPGA SoC's boot loader sets it).
"""

from __future__ import annotations

from amaranth import Module, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.bus import SCALAR_PORT
from hw.oxcore.csr import COUNTERS
from hw.oxcore.engine import EngineSignature
from hw.oxcore.faults import Faults
from hw.oxcore.memory import FETCH_BUS
from hw.oxcore.pipeline import ENV_ARGS, ENV_REQ, ENV_RESP, TRAP, Pipeline
from hw.oxcore.stages.decode import Decode
from hw.oxcore.stages.engines import elaborate_engines
from hw.oxcore.stages.execute import Execute
from hw.oxcore.stages.fetch import Fetch
from hw.oxcore.stages.memory_access import MemoryAccess
from hw.oxcore.stages.perf import elaborate_perf
from hw.oxcore.stages.writeback import COMPLETION_LAYOUT, RETIRE_LAYOUT, Writeback
from oxcore.config import OxCoreConfig

__all__ = ["Core", "RETIRE_LAYOUT", "ENV_REQ", "ENV_RESP", "ENV_ARGS", "TRAP"]


class Core(wiring.Component):
    """One OxCore hart, without its RAM (see `top.Top`).

    ``engines`` is how many engines the core talks to (`engine<i>` ports); by default
    one per engine section of ``config`` (none for the presets).
    """

    def __init__(self, config: OxCoreConfig, reset_pc: int | Value,
                 faults: Faults = frozenset(), engines: int | None = None,
                 engine_reports: int = 0) -> None:
        self.config = config
        # Bit i: engine i reports its instructions' effects on a commit port of its own
        # (their retire records then await that report).
        self.engine_reports = engine_reports
        self.reset_pc = reset_pc
        self.faults = faults  # deliberate bugs for fault-injection tests (hw/oxcore/faults.py)
        self.engine_count = len(config.engines) if engines is None else engines
        # Internal signals worth a look in a waveform, grouped (filled by elaborate).
        self.probes: dict[str, list[object]] = {}
        members = {
            "imem": Out(FETCH_BUS), "dmem": Out(SCALAR_PORT), "retire": Out(RETIRE_LAYOUT),
            "env_req": Out(ENV_REQ), "env_resp": In(ENV_RESP), "halted": Out(1),
            "counters": Out(COUNTERS),
        }
        for i in range(self.engine_count):
            members[f"engine{i}"] = Out(EngineSignature())
        if self.engine_count:  # engines' scalar results, for the simulators' records
            members["completion"] = Out(COMPLETION_LAYOUT)
        super().__init__(members)

    @property
    def engine_ports(self) -> list:
        return [getattr(self, f"engine{i}") for i in range(self.engine_count)]

    def elaborate(self, platform) -> Module:
        m = Module()
        p = Pipeline(self, m)
        m.d.comb += self.halted.eq(p.halted)
        # Stages from WB back to IF: each reads what later stages decided this cycle.
        _connect_writeback(p, m)
        _connect_memory_access(p, m)
        _connect_execute(p, m)
        _connect_decode(p, m)
        _connect_fetch(p, m)
        elaborate_engines(p)
        elaborate_perf(p)
        csr = p.csr
        m.d.comb += self.counters.eq(csr.counters)

        # What a waveform viewer should open with, grouped (cosim/waves.py writes the
        # GTKWave save file). (view, "field") names one field of a pipeline register.
        x, mm, w, hz, rf = p.x, p.mm, p.w, p.hz, p.rf
        self.probes = {
            "pc per stage": [p.fetch_pc, *([p.q_pc] if p.fetch_stage else []), p.d_pc,
                             (x, "pc"), (mm, "pc"), (w, "pc")],
            "valid / stall / flush": [
                p.d_valid, (x, "valid"), (mm, "valid"), (w, "valid"), p.d_issue, p.x_hold,
                p.x_mem_wait, hz.stall_load_use, hz.stall_mul, hz.stall_serial,
                p.x_redirect, p.w_wait, p.halted],
            "retire": [self.retire],
            "register write": [rf.w_en, rf.w_addr, rf.w_data],
            "memory bus": [self.imem, self.dmem],
            "environment": [self.env_req, self.env_resp],
        }
        if self.engine_count:
            self.probes["engines"] = [*self.engine_ports, p.scoreboard.pending,
                                      p.engine_order_wait, p.engine_load_order_wait]
        return m


def _connect_memory_access(p: Pipeline, m: Module) -> None:
    """MEM as a component (`stages.memory_access.MemoryAccess`), its ports wired to the
    pipeline's shared signals (plain wires: no logic between the registers)."""
    m.submodules.memory_access = stage = MemoryAccess(
        p.mm.shape(), p.w.shape(), p.latency, engines=len(p.engines))
    lsu = p.lsu
    wires = p.block("memory_access_ports")
    wires.d.comb += [
        stage.mm.eq(p.mm), stage.advance.eq(p.advance), stage.mul_result.eq(p.mul.result),
        stage.rdata.eq(p.core.dmem.rdata),
        lsu.m_offset.eq(stage.lsu.offset), lsu.m_size_log2.eq(stage.lsu.size_log2),
        lsu.m_signed.eq(stage.lsu.signed), lsu.bus_rdata.eq(stage.lsu.rdata),
        stage.lsu.raw.eq(lsu.load_raw), stage.lsu.value.eq(lsu.load_value),
        p.m_value.eq(stage.m_value), p.w.eq(stage.w),
    ]


def _connect_execute(p: Pipeline, m: Module) -> None:
    """EX as a component (`stages.execute.Execute`): the core's ``dmem`` is its data
    port; its EX/MEM register is MEM's ``mm``; the LSU, CSR file, multiplier, predictor
    and hazard unit stay the pipeline's (other stages use them too)."""
    m.submodules.execute = stage = Execute(
        p.x.shape(), p.mm.shape(), p.w.shape(), mul_latency=p.latency, sync_rf=p.sync_rf,
        registered_redirect=p.registered, branch_predictor=p.cfg.branch_predictor,
        faults=p.faults, engines=len(p.engines))
    wiring.connect(m, stage.dmem, wiring.flipped(p.core.dmem))
    lsu, csr, mul, pred, hz = p.lsu, p.csr, p.mul, p.pred, p.hz
    request, update = stage.lsu, stage.predictor
    wires = p.block("execute_ports")
    wires.d.comb += [
        stage.x.eq(p.x), stage.w.eq(p.w), stage.d_rs.rs1.eq(p.d_rs1),
        stage.d_rs.rs2.eq(p.d_rs2), stage.m_value.eq(p.m_value),
        stage.w_value.eq(p.w_value), stage.advance.eq(p.advance),
        stage.halted.eq(p.halted),
        lsu.load.eq(request.load), lsu.store.eq(request.store), lsu.addr.eq(request.addr),
        lsu.size_log2.eq(request.size_log2), lsu.store_data.eq(request.store_data),
        request.fault.eq(lsu.fault), request.cause.eq(lsu.cause),
        request.bus_addr.eq(lsu.bus_addr), request.bus_wmask.eq(lsu.bus_wmask),
        request.bus_wdata.eq(lsu.bus_wdata), request.store_value.eq(lsu.store_value),
        csr.addr.eq(stage.csr.addr), stage.csr.rdata.eq(csr.rdata),
        stage.csr.known.eq(csr.known),
        mul.valid.eq(stage.mul.valid), mul.op.eq(stage.mul.op), mul.a.eq(stage.mul.a),
        mul.b.eq(stage.mul.b),
        pred.update.eq(update.valid), pred.update_pc.eq(update.pc),
        pred.update_flow.eq(update.flow), pred.update_taken.eq(update.taken),
        pred.update_target.eq(update.target), pred.update_mispredict.eq(update.mispredict),
        hz.x_rs1.eq(p.x.rs1), hz.x_rs2.eq(p.x.rs2),
        hz.m.eq(stage.producers.m), hz.w.eq(stage.producers.w),
        p.mm.eq(stage.mm), p.rs1.eq(stage.operands.rs1), p.rs2.eq(stage.operands.rs2),
        p.x_live.eq(stage.live), p.x_hold.eq(stage.hold), p.x_mem_wait.eq(stage.mem_wait),
        p.x_fire.eq(stage.fire), p.x_redirect.eq(stage.mispredict),
        p.redirect.eq(stage.redirect.valid), p.redirect_target.eq(stage.redirect.target),
    ]
    if p.sync_rf:
        wires.d.comb += [stage.rf_data.rs1.eq(p.rf.rs1_data),
                         stage.rf_data.rs2.eq(p.rf.rs2_data)]
    if p.engines:
        wires.d.comb += [stage.order_wait.eq(p.engine_order_wait),
                         stage.load_order_wait.eq(p.engine_load_order_wait)]


def _connect_fetch(p: Pipeline, m: Module) -> None:
    """IF as a component (`stages.fetch.Fetch`): the RAM's port is the core's ``imem``;
    the fetched word's registers are ID's (IF2's and ID's with `registered_fetch`)."""
    m.submodules.fetch = stage = Fetch(p.index_bits, p.region, p.fetch_stage)
    wiring.connect(m, stage.imem, wiring.flipped(p.core.imem))
    wires = p.block("fetch_ports")
    wires.d.comb += [
        stage.redirect.eq(p.redirect), stage.redirect_target.eq(p.redirect_target),
        stage.predicted.eq(p.pred.next_pc), stage.issue.eq(p.d_issue),
        stage.halted.eq(p.halted), stage.reset_pc.eq(p.core.reset_pc),
        p.fetch_pc.eq(stage.fetch_pc), p.fetch.eq(stage.fetch),
        # Without `registered_fetch` these are ID's signals (q is d).
        p.q_valid.eq(stage.q.valid), p.q_pc.eq(stage.q.pc), p.q_fault.eq(stage.q.fault),
    ]
    if p.fetch_stage:
        d = stage.d
        wires.d.comb += [p.d_valid.eq(d.valid), p.d_pc.eq(d.pc), p.d_fault.eq(d.fault),
                         p.d_word.eq(d.word), p.d_pred.eq(d.pred)]


def _connect_writeback(p: Pipeline, m: Module) -> None:
    """WB as a component (`stages.writeback.Writeback`): the core's ``retire``,
    ``env_req`` and ``env_resp`` are its ports (wired in the ``wb_retire`` block, the
    name waveform readers look for), its controls the pipeline's shared signals."""
    m.submodules.writeback = stage = Writeback(p.w.shape(), p.latency,
                                               engines=len(p.engines),
                                               reports=p.core.engine_reports)
    rf = p.rf
    wires = p.block("writeback_ports")
    wires.d.comb += [
        stage.w.eq(p.w), stage.mul_result.eq(p.mul.result),
        stage.instret.eq(p.csr.instret), stage.env_args.eq(rf.tap),
        rf.w_en.eq(stage.rf_write.en), rf.w_addr.eq(stage.rf_write.addr),
        rf.w_data.eq(stage.rf_write.data), p.csr.retired.eq(stage.retired),
        p.advance.eq(stage.advance), p.halted.eq(stage.halted),
        p.w_ecall.eq(stage.ecall), p.w_env_wait.eq(stage.env_wait),
        p.w_wait.eq(stage.wait), p.w_retire.eq(stage.retiring),
        p.wb_writes.eq(stage.writes_rf), p.w_trap.eq(stage.trap),
        p.w_value.eq(stage.value),
    ]
    if p.engines:
        done = stage.completion
        wires.d.comb += [
            stage.dispatch_wait.eq(p.w_dispatch_wait), stage.engine_fault.eq(p.w_engine_fault),
            done.write.eq(p.completion_write), done.trap.eq(p.completion_trap),
            done.rd.eq(p.completion_rd), done.value.eq(p.completion_value),
        ]
    ports = p.block("wb_retire")
    ports.d.comb += [p.core.retire.eq(stage.record), p.core.env_req.eq(stage.env_req),
                     stage.env_resp.eq(p.core.env_resp)]


def _connect_decode(p: Pipeline, m: Module) -> None:
    """ID as a component (`stages.decode.Decode`): its ID/EX register is EX's ``x``;
    the register file, hazard unit and predictor stay the pipeline's."""
    predecode = p.fetch_stage and p.cfg.branch_predictor in ("static", "btb")
    m.submodules.decode = stage = Decode(p.x.shape(), sync_rf=p.sync_rf,
                                         registered_fetch=p.fetch_stage,
                                         predecode=predecode, engines=len(p.engines))
    rf, hz, pred = p.rf, p.hz, p.pred
    query, producer, predict = stage.hazard, stage.ex_producer, stage.predict
    wires = p.block("decode_ports")
    wires.d.comb += [
        stage.d.valid.eq(p.d_valid), stage.d.pc.eq(p.d_pc), stage.d.fault.eq(p.d_fault),
        stage.d.word.eq(p.d_word), stage.d.pred.eq(p.d_pred),
        stage.q.valid.eq(p.q_valid), stage.q.pc.eq(p.q_pc), stage.q.fault.eq(p.q_fault),
        stage.q_word.eq(p.core.imem.data),
        stage.rf_data.rs1.eq(rf.rs1_data), stage.rf_data.rs2.eq(rf.rs2_data),
        stage.stall.load_use.eq(hz.stall_load_use), stage.stall.mul.eq(hz.stall_mul),
        stage.stall.serial.eq(hz.stall_serial),
        stage.x_live.eq(p.x_live), stage.x_fire.eq(p.x_fire), stage.halted.eq(p.halted),
        stage.squash.eq(p.redirect),
        stage.ex_rs1.eq(p.rs1), stage.ex_rs2.eq(p.rs2),
        p.x.eq(stage.x), p.d_issue.eq(stage.issue),
        p.d_rs1.eq(stage.rs1), p.d_rs2.eq(stage.rs2),
        rf.rs1_addr.eq(stage.rf_read.rs1), rf.rs2_addr.eq(stage.rf_read.rs2),
        hz.d_valid.eq(query.valid), hz.d_reads_rs1.eq(query.reads_rs1),
        hz.d_reads_rs2.eq(query.reads_rs2), hz.d_rs1.eq(query.rs1),
        hz.d_rs2.eq(query.rs2), hz.d_csr.eq(query.csr),
        hz.x.eq(producer), pred.pc.eq(predict.pc),
    ]
    if not p.fetch_stage or predecode:  # else the predictor needs only the pc
        wires.d.comb += [pred.flow.eq(predict.flow), pred.target.eq(predict.target),
                         pred.backward.eq(predict.backward)]
    if p.engines:
        wires.d.comb += [stage.stall.engine.eq(hz.stall_engine),
                         hz.d_writes_rd.eq(query.writes_rd), hz.d_rd.eq(query.rd),
                         hz.d_mul.eq(query.mul),
                         hz.engine_ahead.eq((p.x_live & p.x.engine.any())
                                            | (p.mm.valid & p.mm.engine.any())
                                            | (p.w.valid & p.w.engine.any()))]
        for i, engine in enumerate(p.engines):
            wires.d.comb += [engine.claim.insn.eq(stage.claim_insn),
                             stage.claimed[i].eq(engine.claimed)]
