"""The engine interface: how a vector or tensor engine plugs into the scalar pipeline.

An engine is a `wiring.Component` with two ports (`Engine`):

``pipe`` (`EngineSignature`, seen from the core as ``Out``):

- **claim**: the word in ID goes to every engine (``claim.insn``); an engine that
  executes it answers ``claimed.match`` in the same cycle, with which scalar registers
  it reads (``reads_rs1``, ``reads_rs2``) and whether it writes ``rd``
  (``writes_rd``). The core then does not trap it as illegal; engines own their
  encodings (custom opcodes, or OP-V), so adding one changes no ISA table.
- **dispatch** (a `lib.stream` from the core): the claimed instruction when it retires
  in WB: the word, its ``order`` (= instret), pc, and the scalar operands ``rs1`` and
  ``rs2`` as EX captured them (after forwarding). Dispatch is in program order, after
  every older instruction has retired and done its memory access. The instruction's
  retire record (rd = 0) leaves in the same cycle: it is architecturally done from
  the scalar pipeline's point of view, except for a scalar ``rd`` it writes later.
- **complete** (a stream back to the core): for an instruction that writes a scalar
  register, its ``order``, ``rd`` and ``value``; the core writes the register file
  when WB does not (``ready`` is low while WB holds an instruction that writes rd). ``trap`` is reserved for
  imprecise engine faults: today it halts the core without writing.
- **check** (to the engine) and **fault** (back): precise traps for what an engine
  finds wrong before it executes (a tile row outside RAM, vtype.vill). ``check`` shows
  the instruction in MEM (``valid`` when it is this engine's), its scalar operands and
  ``advance`` (it moves to WB at the end of the cycle); the engine keeps what it needs
  of it and, while the instruction is in WB, answers ``fault`` (``valid``, ``cause``)
  from that and from its state *as dispatched so far*: every older instruction has
  been dispatched by then, so CSRs it tracks at dispatch are exact. A faulting
  instruction retires as a trap record instead of being dispatched, exactly as the
  interpreter traps it. An engine with nothing to check leaves ``fault`` at 0.
  ``fault`` decides WB's wait, and so the whole pipeline's advance: an engine should
  drive it from flip-flops, written as the instruction moves from MEM to WB (the
  vector engine does: it decodes ``next_insn``, the word in EX, into registers as it
  moves to MEM, and judges it there under its state as it will stand once WB's
  instruction is dispatched, which it is whenever the pipeline advances).
- **busy**: the engine holds dispatched instructions that are not finished (memory
  accesses included).
- **writes_memory**: some of those may write memory (stores); ``busy`` when an engine
  cannot tell (`Engine.conservative_memory_order`).

``mem`` (`bus.MemoryPortSignature`, ``Out``): the engine's own port on the banked RAM,
``port_bits`` wide.

The core keeps a **scoreboard** of scalar registers that a dispatched instruction will
write (set at dispatch, cleared on completion) plus the rds of claimed instructions
still in EX/MEM/WB; ID stalls an instruction that reads or writes one of them: only on
a true dependency (or an output dependency). **Memory order** is program order: an
engine instruction is dispatched only after all older scalar loads and stores are done
(it retires in WB, they access memory in EX), a scalar store (and an ecall, whose
harness reads memory) waits in EX while any engine is busy or an engine instruction is
in MEM or WB, a scalar load while an engine holds an instruction that may write memory
(``writes_memory``) or one is in MEM or WB, and an instruction is dispatched to one
engine only while every other engine is idle. A load need not wait for the engines'
loads and arithmetic, which cannot change what it reads: so a kernel's spill reloads
and scalar parameters do not drain a tensor engine busy with tile loads and tmma.
(The core registers ``busy`` and ``writes_memory`` and waits on them a cycle late, an
instruction dispatched the cycle before counting as in flight: `stages/engines.py`.)
"""

from __future__ import annotations

from amaranth import Module, Signal, Value
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.banked_ram import port_signature
from hw.oxcore.control import TRAP_CAUSE_WIDTH
from hw.oxcore.pattern_switch import switch_patterns
from oxcore.config import OxCoreConfig
from oxcore.retire.batch import PortSpec

CLAIM = data.StructLayout({"match": 1, "reads_rs1": 1, "reads_rs2": 1, "writes_rd": 1})
DISPATCH = data.StructLayout({"insn": 32, "order": 64, "pc": 32, "rs1": 32, "rs2": 32})
# The instruction in MEM, for an engine's precise traps (`EngineSignature`, ``check``).
# ``next_insn`` is the word in EX, which MEM takes at ``advance``: an engine may decode
# it a stage early.
CHECK = data.StructLayout({"valid": 1, "insn": 32, "rs1": 32, "rs2": 32, "advance": 1,
                           "next_insn": 32})
# The engine's verdict on the instruction in WB: it traps, with this cause.
FAULT = data.StructLayout({"valid": 1, "cause": TRAP_CAUSE_WIDTH})
COMPLETION = data.StructLayout({
    "order": 64, "rd": 5, "value": 32,
    "trap": data.StructLayout({"valid": 1, "cause": TRAP_CAUSE_WIDTH}),
})


class EngineSignature(wiring.Signature):
    """The pipeline side of an engine, from the core's point of view.

    Members
    -------
    claim : ``Out(StructLayout({"insn": 32}))``
        The word in ID.
    claimed : ``In(CLAIM)``
        The engine executes ``claim.insn`` (``match``) and its register use.
    dispatch : ``Out(stream.Signature(DISPATCH))``
        Instructions in program order, at retirement.
    complete : ``In(stream.Signature(COMPLETION))``
        Scalar register results.
    check : ``Out(CHECK)``
        The instruction in MEM, its operands, and whether it moves to WB.
    fault : ``In(FAULT)``
        The instruction in WB traps (precise: it is not dispatched).
    busy : ``In(1)``
        Dispatched instructions not yet finished.
    writes_memory : ``In(1)``
        Dispatched instructions not yet finished that may write memory (an engine
        without a finer answer drives ``busy``: `Engine.conservative_memory_order`).
    """

    def __init__(self) -> None:
        super().__init__({
            "claim": Out(data.StructLayout({"insn": 32})),
            "claimed": In(CLAIM),
            "dispatch": Out(stream.Signature(DISPATCH)),
            "complete": In(stream.Signature(COMPLETION)),
            "check": Out(CHECK),
            "fault": In(FAULT),
            "busy": In(1),
            "writes_memory": In(1),
        })

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EngineSignature)

    def __hash__(self) -> int:
        return hash(EngineSignature)

    def __repr__(self) -> str:
        return "EngineSignature()"


class Engine(wiring.Component):
    """Base of engines: ``pipe`` (`EngineSignature`, flipped) and ``mem``.

    Parameters
    ----------
    port_bits : int
        Width of the memory port (`VectorConfig.port_bits`, `TensorConfig.port_bits`);
        its address counts words of that width (`banked_ram.port_signature`).
    port_stage : bool
        Whether the banked RAM stages the port (the section's ``port_stage``: its reads
        answer in `banked_ram.STAGED_READ_LATENCY` cycles); the engine counts answers
        by ``rvalid`` either way.
    """

    def __init__(self, port_bits: int, port_stage: bool = False) -> None:
        self.port_stage = port_stage
        super().__init__({"pipe": In(EngineSignature()), "mem": Out(port_signature(port_bits))})

    def conservative_memory_order(self, m) -> None:
        """Drive ``writes_memory`` from ``busy``: any unfinished instruction may write
        memory, so scalar loads wait for the engine to be idle (always correct)."""
        m.d.comb += self.pipe.writes_memory.eq(self.pipe.busy)

    def decode_dispatched(self, m, decoder):
        """`decoder` (a fresh instance of the engine's decoder) on the instruction being
        dispatched: one for everything the engine works out at dispatch (predecoding,
        counting stores, state it follows for precise traps). Returns it."""
        m.submodules.dispatch_decoder = decoder
        m.d.comb += decoder.insn.eq(self.pipe.dispatch.payload.insn)
        return decoder

    def store_memory_order(self, m, dispatched_store, depth: int, popped, running):
        """Drive ``writes_memory`` from the stores the engine holds, so that scalar loads
        wait only for those (a kernel's parameter loads and spill reloads then leave
        the engine computing): stores are counted as they are dispatched
        (`dispatched_store`: the instruction on the dispatch port is one, from
        `decode_dispatched`) and as they leave the queue of `depth` (`popped`), and
        `running` says a unit holds one. Returns the count of queued stores (for
        waveforms)."""
        pipe = self.pipe
        queued = Signal(range(depth + 1), name="queued_stores")
        pushed = pipe.dispatch.valid & pipe.dispatch.ready & dispatched_store
        with m.If(pushed & ~popped):
            m.d.sync += queued.eq(queued + 1)
        with m.Elif(popped & ~pushed):
            m.d.sync += queued.eq(queued - 1)
        m.d.comb += pipe.writes_memory.eq((queued != 0) | running)
        return queued

    def claim_and_queue(self, m, claim, depth: int, predecoded: data.StructLayout | None = None,
                        predecode=None, hold=None):
        """The front every engine has: `claim` (a decoder with ``insn`` in and ``match``,
        ``reads_rs1``, ``reads_rs2``, ``writes_rd`` out) answers for the word in ID, and
        dispatched instructions wait in a FIFO of `depth` (returned: its ``r_*`` side is
        the engine's to read) with their scalar operands.

        With `predecoded` (a layout) and `predecode(m, payload)` (its fields' values for
        the dispatched instruction `payload`), each entry also carries what the engine
        works out from the instruction as it is dispatched (`queue_entry`), so that the
        queue's head brings it from flip-flops instead of decoding it on the issue
        path (the tensor engine: the micro-operation and the tiles it uses).

        `hold` (a signal), while set, keeps the instruction on the dispatch port waiting
        (the vector engine, deciding whether a memory access traps)."""
        from amaranth.lib import fifo
        pipe = self.pipe
        m.submodules.claim_decoder = claim
        m.d.comb += [claim.insn.eq(pipe.claim.insn),
                     pipe.claimed.match.eq(claim.match),
                     pipe.claimed.reads_rs1.eq(claim.reads_rs1),
                     pipe.claimed.reads_rs2.eq(claim.reads_rs2),
                     pipe.claimed.writes_rd.eq(claim.writes_rd)]
        layout = queue_entry(predecoded) if predecoded else DISPATCH
        m.submodules.queue = queue = fifo.SyncFIFOBuffered(width=layout.size, depth=depth)
        entry = Signal(layout, name="queue_in")
        if predecoded:
            m.d.comb += entry.dispatched.eq(pipe.dispatch.payload)
            for name, value in predecode(m, pipe.dispatch.payload).items():
                m.d.comb += entry.predecoded[name].eq(value)
        else:
            m.d.comb += entry.eq(pipe.dispatch.payload)
        held = hold if hold is not None else 0
        m.d.comb += [queue.w_data.eq(entry.as_value()),
                     queue.w_en.eq(pipe.dispatch.valid & ~held),
                     pipe.dispatch.ready.eq(queue.w_rdy & ~held)]
        return queue

    @classmethod
    def for_config(cls, config: OxCoreConfig, section: object) -> "Engine":
        """The engine for its configuration section (`engines_for_config` calls it)."""
        raise NotImplementedError(f"{cls.__name__}.for_config")


def queue_entry(predecoded: data.StructLayout) -> data.StructLayout:
    """An engine queue's entry with what it predecodes (`Engine.claim_and_queue`)."""
    return data.StructLayout({"dispatched": DISPATCH, "predecoded": predecoded})


def csr_result(m: Module, sub, old, source, name: str) -> Signal:
    """What csrrw (`sub` 0), csrrs (1) or csrrc (2) make of CSR value `old` with
    `source` (rs1, or the uimm field): an engine's csr instructions on its own CSRs."""
    new = Signal(32, name=name)
    with m.Switch(sub):
        with m.Case(0):
            m.d.comb += new.eq(source)
        with m.Case(1):
            m.d.comb += new.eq(old | source)
        with m.Default():
            m.d.comb += new.eq(old & ~source)
    return new


def csr_writes(sub, rs1_field):
    """The instruction writes its CSR: csrrw always, csrrs/csrrc unless x0 / 0."""
    return (sub == 0) | (rs1_field != 0)


def claims_csr_access(insn: Value, numbers: tuple[int, ...]) -> Value:
    """Whether an engine claims the Zicsr instruction `insn` (a csrr* row matched): its
    CSR is one of the engine's `numbers`, and it is not a write to a read-only one
    (address bits 11:10 = 0b11: tdim, tlenb, vl, vtype, vlenb, the counters). Such a
    write is left unclaimed, so the core traps it as an illegal instruction at once,
    precisely, as the interpreter does (an engine sees instructions only after they
    retire, too late to trap). csrrs/csrrc with rs1 = x0 and csrrsi/csrrci with a zero
    immediate do not write; csrrw/csrrwi always do."""
    csr, funct3, source = insn[20:32], insn[12:15], insn[15:20]
    owned = 0
    for number in numbers:
        owned = owned | (csr == number)
    writes = (funct3[:2] == 1) | (source != 0)
    read_only = csr[10:12] == 3
    return owned & ~(read_only & writes)


class EngineDecoder(wiring.Component):
    """Word -> an engine's micro-operation (``uop``; ``match`` when the engine executes
    the word) and the scalar registers it reads and writes, from the rows' attributes
    (`Instruction.reads`/`writes`): the engine's own rows and the Zicsr rows, which it
    claims on its own CSRs only (`claims_csr_access`). Each row's micro-operation is one
    constant (`packed`, a subclass's); the switch nests on the bits every pattern fixes
    (`switch_patterns`: a flat one over hundreds of patterns stalls Yosys)."""

    def __init__(self, uop_layout: data.Layout, rows, csr_rows, csrs: tuple[int, ...]):
        self.rows, self.csr_rows, self.csrs = rows, csr_rows, csrs
        super().__init__({"insn": In(32), "match": Out(1), "reads_rs1": Out(1),
                          "reads_rs2": Out(1), "writes_rd": Out(1), "uop": Out(uop_layout)})

    def packed(self, uop) -> int:
        """A row's micro-operation as the bits of the ``uop`` layout."""
        raise NotImplementedError

    def elaborate(self, platform) -> Module:
        m = Module()
        owned = claims_csr_access(self.insn, self.csrs)

        def csr_row(ins, uop) -> None:
            with m.If(owned):
                m.d.comb += [self.match.eq(1), self.writes_rd.eq(1),
                             self.reads_rs1.eq("rs1" in ins.reads.get("x", ())),
                             self.uop.as_value().eq(self.packed(uop))]

        def engine_row(ins, uop) -> None:
            x_reads, x_writes = ins.reads.get("x", ()), ins.writes.get("x", ())
            m.d.comb += [self.match.eq(1), self.reads_rs1.eq("rs1" in x_reads),
                         self.reads_rs2.eq("rs2" in x_reads),
                         self.writes_rd.eq("rd" in x_writes),
                         self.uop.as_value().eq(self.packed(uop))]

        rows = ([(ins.match_pattern, (csr_row, ins, uop)) for ins, uop in self.csr_rows]
                + [(ins.match_pattern, (engine_row, ins, uop)) for ins, uop in self.rows])
        switch_patterns(m, self.insn, rows, lambda row: row[0](row[1], row[2]))
        return m


def commit_ports(engine) -> list[tuple[str, PortSpec, Signal]]:
    """An engine's own commit ports as (name, spec, signal): its ``commits`` if it has
    several (the vector engine: one per sequencer and one for its issue stage), else its
    ``commit`` port laid out from ``commit_spec``, else none (an engine that only
    completes scalar results).
    Each instruction's report comes on one port; `cosim.completions` merges them."""
    if hasattr(engine, "commits"):
        return list(engine.commits)
    if hasattr(engine, "commit"):
        return [("commit", engine.commit_spec, engine.commit)]
    return []


#: Engine classes by configuration section ("vector", "tensor"), as they are built.
ENGINE_CLASSES: dict[str, type[Engine]] = {}


def engines_for_config(config: OxCoreConfig) -> list[Engine]:
    """The engines a configuration asks for (none for the presets).

    Raises
    ------
    NotImplementedError
        If the configuration has a section whose engine is not built yet.
    """
    import hw.oxcore.tensor  # noqa: F401  (registers the tensor engine)
    import hw.oxcore.vector  # noqa: F401  (registers the vector engine)
    engines = []
    for name, section in config.engines.items():
        if name not in ENGINE_CLASSES:
            raise NotImplementedError(f"config {config.name!r}: the {name} engine "
                                      f"([{name}]) has no RTL yet")
        engines.append(ENGINE_CLASSES[name].for_config(config, section))
    return engines
