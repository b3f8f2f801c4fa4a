"""What the pipeline's stages share: the pipeline registers' layouts and `Pipeline`, the
units and signals of one core that several stages use, which `core.Core.elaborate`
makes and wires the stages' ports to.

The five stages are components (`wiring.Component`s with annotated ports, each testable
alone: `tests/hw/oxcore/stages/`): IF (`stages.fetch.Fetch`), ID
(`stages.decode.Decode`), EX (`stages.execute.Execute`), MEM
(`stages.memory_access.MemoryAccess`) and WB (`stages.writeback.Writeback`);
`core.Core.elaborate` wires their ports to the signals here with plain wires. What is
left here is what several stages read in the same cycle: the pipeline registers, the
control signals (advance, fire, hold, live, redirect, issue, halted), the forwarded
values and EX's operands, and the units with more than one user (register file, LSU,
CSRs, multiplier, predictor, hazard unit, scoreboard). The engine and
performance-event glue (`stages/engines.py`, `stages/perf.py`) are still functions of
this record. The units with a contract of their own are components with annotated
ports and unit tests; EX holds the ALU, branch unit and divider, ID the decoder.
"""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import data

from hw.oxcore.branch import Predictor
from hw.oxcore.control import CONTROL_LAYOUT, TRAP_CAUSE_WIDTH, MemOp, Unit
from hw.oxcore.csr import CsrFile
from hw.oxcore.hazard import HazardUnit
from hw.oxcore.lsu import Lsu
from hw.oxcore.multiplier import Multiplier
from hw.oxcore.regfile import RegisterFile
from hw.oxcore.scoreboard import Scoreboard
from oxcore.abi import ENV_ARGS  # a0, a1, a2, a7: the syscall ABI's registers

TRAP = data.StructLayout({"valid": 1, "cause": TRAP_CAUSE_WIDTH})

ENV_REQ = data.StructLayout({"valid": 1, "pc": 32, "insn": 32, "a0": 32, "a1": 32, "a2": 32,
                             "a7": 32})
ENV_RESP = data.StructLayout({"valid": 1, "a0": 32, "fault": 1})

# Pipeline registers (the scalar core's; `stage_layouts` adds the engines' fields).
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


def stage_layouts(engines: int) -> tuple[data.StructLayout, data.StructLayout,
                                         data.StructLayout]:
    """ID/EX, EX/MEM and MEM/WB. With engines, each also carries which engine claimed the
    instruction (one bit per engine) and whether it writes rd later; EX/MEM and MEM/WB
    also the scalar operands EX captured, for the dispatch in WB. Without engines these
    are exactly the scalar core's registers."""
    if not engines:
        return ID_EX, EX_MEM, MEM_WB
    extra = {"engine": engines, "engine_writes": 1}
    operands = {"engine_rs1": 32, "engine_rs2": 32}
    return tuple(data.StructLayout({**dict(layout.members), **extra, **more})
                 for layout, more in ((ID_EX, {}), (EX_MEM, operands), (MEM_WB, operands)))


class Pipeline:
    """The units and shared signals of one core being elaborated (see the module text).

    Attributes are named as in the stage files: ``d_*`` ID, ``x`` / ``x_*`` EX, ``mm``
    MEM, ``w`` / ``w_*`` WB, ``q_*`` the fetched word (IF2 with `registered_fetch`).
    """

    def __init__(self, core, m: Module) -> None:
        cfg = core.config
        self.core, self.cfg, self.m, self.faults = core, cfg, m, core.faults
        self.latency = cfg.mul_latency
        self.index_bits = cfg.mem_size.bit_length() - 1
        self.region = cfg.mem_base >> self.index_bits
        self.sync_rf = cfg.regfile_sync_read
        self.registered = cfg.registered_redirect
        self.fetch_stage = cfg.registered_fetch
        self.engines = core.engine_ports  # the core's `engine<i>` ports (none: scalar)

        # Units.
        m.submodules.regfile = self.rf = RegisterFile(taps=ENV_ARGS, sync_read=self.sync_rf)
        m.submodules.predictor = self.pred = Predictor(cfg)
        m.submodules.multiplier = self.mul = Multiplier(self.latency)
        m.submodules.lsu = self.lsu = Lsu(cfg, self.faults)
        m.submodules.csr = self.csr = CsrFile(cfg.counter_width)
        m.submodules.hazard = self.hz = HazardUnit(self.latency, self.faults,
                                                   engines=bool(self.engines))
        if self.engines:
            m.submodules.scoreboard = self.scoreboard = Scoreboard()

        self.halted = Signal()
        # ID's instruction: valid, pc, word, and whether its pc was outside RAM (an
        # instruction access fault).
        # (named: a tuple assignment gives Amaranth no name to take, and the waveform
        # would show "$signal")
        self.d_valid, self.d_pc, self.d_fault = (Signal(name="d_valid"),
                                                 Signal(32, name="d_pc"),
                                                 Signal(name="d_fault"))
        # The word at the instruction RAM's output ("q"). Without `registered_fetch`
        # that word is ID's instruction (q is d); with it, q is a stage of its own (IF2)
        # and moves into ID's registers.
        if self.fetch_stage:
            self.q_valid, self.q_pc, self.q_fault = (Signal(name="q_valid"),
                                                     Signal(32, name="q_pc"),
                                                     Signal(name="q_fault"))
            self.d_word = Signal(32)
            self.d_pred = Signal(32)  # the predicted next pc, made when the word was in IF2
        else:
            self.q_valid, self.q_pc, self.q_fault = self.d_valid, self.d_pc, self.d_fault
            self.d_word = core.imem.data
            self.d_pred = self.pred.next_pc
        id_ex, ex_mem, mem_wb = stage_layouts(len(self.engines))
        self.x = Signal(id_ex)
        self.mm = Signal(ex_mem)
        self.w = Signal(mem_wb)

        # Pipeline control, computed once each (see `block`).
        self.w_ecall = Signal()  # an ecall waits in WB for the harness
        self.w_env_wait = Signal()  # ... and the harness has not answered yet
        self.w_wait = Signal()  # WB cannot retire yet (the harness, or an engine's dispatch)
        self.w_retire = Signal()
        self.wb_writes = Signal()  # WB writes the register file this cycle
        self.w_trap = Signal()  # what retires in WB is a trap record
        self.w_value = Signal(32)  # WB's result (forwarded to EX)
        self.m_value = Signal(32)  # MEM's forwardable result (never a load: see hazard.py)
        self.advance = Signal()  # EX -> MEM -> WB move on
        self.rs1 = Signal(32)  # EX operands after forwarding
        self.rs2 = Signal(32)
        self.x_hold = Signal()  # EX keeps its instruction (divider, latency-3 multiplier)
        self.x_mem_wait = Signal()  # EX waits for the data port (or memory order)
        self.x_fire = Signal()  # EX's instruction moves to MEM
        self.x_redirect = Signal()  # EX found a misprediction: refetch, squash ID
        self.x_live = Signal()  # EX holds an instruction (not one squashed by a late redirect)
        # ID's decoded register numbers
        self.d_rs1, self.d_rs2 = Signal(5, name="d_rs1"), Signal(5, name="d_rs2")
        self.d_issue = Signal()  # ID's instruction moves to EX
        self.fetch_pc = Signal(32)
        self.fetch = Signal()
        # The redirect that acts on fetch (and squashes ID) this cycle, and its target:
        # x_redirect, or with `registered_redirect` last cycle's (EX's registers).
        self.redirect = Signal()
        self.redirect_target = Signal(32)
        # Engines.
        self.engine_order_wait = Signal()  # an engine is busy or one of its instructions
        self.w_dispatch_wait = Signal()  # is in MEM/WB: memory order (engine.py)
        self.engine_load_order_wait = Signal()  # the same for a load: writes_memory
        # An engine finds WB's instruction of its own faulting (`engine.py`, ``fault``):
        # it retires as a trap, not dispatched.
        self.w_engine_fault = Signal(TRAP)
        # An engine's completion this cycle: write rd (or halt on its trap).
        self.completion_write = Signal()
        self.completion_trap = Signal()
        self.completion_rd = Signal(5)
        self.completion_value = Signal(32)
        self.completion_order = Signal(64)  # the order of the instruction it completes

    def block(self, name: str) -> Module:
        """A small module for one piece of a stage's logic. Amaranth's Python
        simulator re-runs a module's whole combinational logic whenever any of its
        inputs changes; small modules, and named signals for values used in several
        places (rather than re-built expressions), keep a cycle cheap to settle."""
        sub = Module()
        self.m.submodules[name] = sub
        return sub
