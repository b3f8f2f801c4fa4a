"""The vector engine (RVV 1.0 Zve32x), on the engine interface (`hw/oxcore/engine.py`).

Structure (docs/vector.md has the diagram):

- **decoder** (`decode.VectorDecoder`): claims the rows of the ISA table the engine
  implements, with the scalar registers they read and write;
- **instruction queue**: dispatched instructions with their scalar operands, captured at
  dispatch (``queue_depth`` entries); the scalar pipeline runs on meanwhile;
- **issue**: the queue's head goes, in program order, to one of two *sequencers*: loads
  and stores to the load/store sequencer, everything else to the arithmetic one. The
  two run at once on different instructions, so arithmetic overlaps memory traffic.
  A head waits while the other sequencer's instruction touches one of its registers
  (any overlap of the register groups either names: no read/write ordering to get
  wrong), and instructions that change or read the vector state as a whole
  (vset{i}vl{i}, CSR instructions, anything while vstart != 0) run alone: nothing
  starts beside them; they wait for the other sequencer to finish, except
  vset{i}vl{i} (each sequencer keeps the vl and vtype its instruction was taken with).
  A vset{i}vl{i} with rd = x0 takes no sequencer: the issue stage executes it
  (`_configure_at_issue`);
- **sequencers**: one instruction each, one *beat* (``LANES`` x 32 bits of a register
  group) per cycle: register file reads for the next beat, the lanes' ALUs (arithmetic)
  or the memory port (loads, stores), the register file write, and the report of what
  changed, on the sequencer's own commit port. Some beats take longer: permutations
  (slides, gathers, vcompress: `_permute`) build a beat element by element, divide
  (`_divide`) a bit a cycle per lane; mask scans (`_mask_scan`) pass over their mask
  first; a .wv narrowing op takes two cycles a beat (`State.NARROW_SHIFTS`);
- **register file**: lane-sliced, one 32-bit-wide memory per lane, ``32 * VLEN /
  (32 * LANES)`` rows; three read ports and a write port for the arithmetic sequencer,
  one of each for the load/store sequencer;
- **load/store unit**: unit-stride accesses streamed on the engine's ``LANES x 32``-bit
  memory port, any element-aligned base (a beat straddling two port words takes both,
  each word shared with the neighbouring beat); strided and indexed ones element by
  element (`_element_stream`), and segment ones (of any addressing) element by element
  with their fields in turn; fault-only-first loads (vle<eew>ff, vlseg<nf>e<eew>ff) are
  these unit-stride loads after a probe of their addresses against the RAM
  (`_first_fault`), which may trim vl first; the mask load and store (vlm.v, vsm.v) are
  unit-stride byte accesses of ceil(vl/8) bytes (`_mask_bytes`);
- **state**: vl, vtype (vill in bit 31) and a copy of v0 in flip-flops for masking;
- **performance counters** (`_performance_counters`): read-only CSRs 0xCD0-0xCD5, read
  through the CSR path like vl (docs/vector.md, "Performance counters").

Every instruction's architectural effects leave on its sequencer's commit port
(``commit``, ``lsu_commit``; layouts generated from
`oxcore.retire.ports.vector_commit_spec`), keyed by the instruction's order: one
`VWrite` per register written (the whole register, and a byte mask of what was written),
the unit-stride access of that register's bytes, vl/vtype writes; ``last`` ends the
instruction. Scalar results (vsetvl's vl, vmv.x.s) go through ``pipe.complete``.

docs/vector.md lists the rows this engine executes: every Zve32x row but vzext/vsext.vf8
(SEW 64 sources, always illegal), which it does not claim, so the core traps them. The
traps vtype decides (vill, widening at SEW 32, extension from below 8 bits), a
masked instruction writing v0 and the register-group rules (EMUL and alignment,
overlaps, vstart = 0: `group_check.RegisterGroupCheck`) are judged in MEM
(`_judge_in_mem`) and taken precisely in WB (`_precise_traps`), and so are loads and
stores misaligned or outside RAM
(`access_check.VectorAccessCheck`).
"""

from __future__ import annotations

import contextlib
import enum
from dataclasses import dataclass
from typing import NamedTuple

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data

from hw.oxcore.commit import commit_layout
from hw.oxcore.engine import (DISPATCH, ENGINE_CLASSES, Engine, csr_result, csr_writes,
                              queue_entry)
from hw.oxcore.vector.access_check import VectorAccessCheck, misaligned
from hw.oxcore.vector.compare import BeatCompare
from hw.oxcore.vector.decode import (MASK_LOGIC, MASK_SCANS, PERMUTES, UOP, AluOp, Form, Kind,
                                     VectorDecoder, segment_fields)
from hw.oxcore.vector.group_check import (GEOMETRY, RULES, group_geometry, group_rules,
                                          log2_count, pick_verdict, verdicts_by_vtype)
from hw.oxcore.vector.lane import LaneAlu
from hw.oxcore.vector.reduction import ReductionTree
from hw.oxcore.vector.register_file import LaneRegisterFile
from hw.oxcore.vector.simd import shifted, shl, shr
from oxcore.config import OxCoreConfig, VectorConfig
from oxcore.isa import Isa, isa_for
from oxcore.isa.ext.zve32x import (CSR_VACTIVE_ALU, CSR_VACTIVE_LSU, CSR_VBUSY,
                                   CSR_VELEMENTS, CSR_VSTALL_ISSUE, CSR_VSTALL_QUEUE)
from oxcore.retire import TrapCause
from oxcore.retire.ports import vector_commit_spec

VILL = 1 << 31
# the lanes' pipeline registers (`LaneAlu`): with 2 a lane alone reaches 49.8 MHz on the
# ECP5, with 1 30.5, with none 20.6 (docs/fpga.md "Timing one unit"); the third, after
# the rounding, takes it off the engine's path from the lanes through the back end's
# merge into the register file and the copy of v0; the fourth, on the operands, the
# register file's read through the operand selects into the shifter
LANE_STAGES = 4
CSR_VSTART, CSR_VXSAT, CSR_VXRM, CSR_VCSR = 0x008, 0x009, 0x00A, 0x00F
CSR_VL, CSR_VTYPE, CSR_VLENB = 0xC20, 0xC21, 0xC22
COUNTERS = (CSR_VBUSY, CSR_VACTIVE_ALU, CSR_VACTIVE_LSU, CSR_VELEMENTS, CSR_VSTALL_ISSUE,
            CSR_VSTALL_QUEUE)
#: The instruction kinds with a body of elements, as velements counts them (not
#: vset{i}vl{i}, vmv.x.s, CSR instructions).
BODY_KINDS = (Kind.ARITH, Kind.LOAD, Kind.STORE, Kind.REDUCE, Kind.COMPARE, Kind.MASK_LOGIC,
              Kind.MASK_SCAN, Kind.PERMUTE, Kind.DIVIDE)


#: What the queue holds with each instruction, decoded as it is dispatched: the issue
#: logic and the sequencers take the micro-operation, and the registers the instruction
#: touches and writes and whether it runs alone (`VectorEngine._registers_used`, under
#: the vtype and vstart it will run with), from flip-flops.
PREDECODED = data.StructLayout({"uop": UOP, "touched": 32, "writes": 32, "alone": 1})


class State(enum.IntEnum):
    """The sequencer's states. The register file's read ports always address the rows
    of the beat the sequencer works on in the *next* cycle (`advance`), so a beat's data
    is there when its state comes: element-wise beats, loads and stores stream at one
    beat (one port word) per cycle."""

    IDLE = 0
    START = 1  # the instruction's decode; the reads of its first beat
    CONFIG_VTYPE = 3  # report vtype (a vset{i}vl{i} reports vl in START)
    EXECUTE = 4  # a beat's data: compute, write, report (or gather)
    LOAD = 5  # memory read requests, one word a cycle, and the beats they complete
    STORE = 6  # a beat's bytes to memory, with the bytes the last beat carried over
    STORE_TAIL = 7  # the carried-over bytes of the last beat (an unaligned base)
    COMPLETE = 8  # hand a scalar result to the core
    DONE = 9  # report the end of the instruction (and take the next one)
    WB_EXECUTE = 11  # the destination register's beat (reductions, compares, mask logic,
    # read in START or the first pass's last beat), merged with the result gathered
    # before, written and reported
    CSR = 12  # a CSR instruction on a vector CSR: read, write, report
    GATHER = 13  # a strided load's element: its word requested (or skipped, inactive)
    GATHER_WAIT = 14  # ... until its data arrives (rvalid), into the beat
    SCATTER = 15  # a strided store's element: its word written (or skipped)
    IOTA_READ = 16  # viota.m: vd's first beat read after the scan of vs2
    IOTA = 17  # ... an element-wise beat of prefix counts
    PERM_INDEX = 18  # a permutation's element: vs1's index element read (vrgather.vv)
    PERM_FETCH = 19  # ... its source index j, the row of vs2[j] read
    PERM_PLACE = 20  # ... vs2[j] (or the scalar, or 0) into the beat (the beat's buffer)
    DIVIDE = 21  # a beat's divisions: one element per lane at a time, a bit a cycle
    INDEX_BEAT = 22  # an indexed access's beat: vd's row held (a store's data, a load's
    # undisturbed bytes), so the read port is free for the index rows
    INDEX = 23  # ... an element's index from its row of vs2: its address (or skipped)
    SEG_FETCH = 24  # a segment store's field: its row read (or the element skipped)
    SEG_ROW = 25  # a segment load, its elements loaded: the first row of its report pass
    SEG_REPORT = 26  # ... a beat of a field's group reported (the next one's row read)
    PROBE = 27  # a fault-only-first load's element: in RAM, or vl trimmed to it
    # (`_first_fault`; then START again, at the new vl)
    NARROW_SHIFTS = 28  # a .wv narrowing beat: vs1's beat (the shift amounts) arrives and
    # is held, while the ports address vs2's two beats and vd's; EXECUTE follows. (The
    # three read ports cannot fetch all four rows in one cycle.)
    SCAN_TOTAL = 29  # vcpop/vfirst: the last beat's bits counted (`_mask_scan`'s
    # register stage, a cycle), then the result taken; COMPLETE follows
    PERM_WRITE = 30  # a permutation's beat, after its last element: written from the
    # buffer and reported (an inactive element's activity, from v0 and the slide's
    # floor, stays off the path into `advance` and the register file's rows; and the
    # element just read, taken from a row of vs2 that spans the lanes and placed, off
    # the path into the write port: the unit's routed critical path, 34.4 ns)
    PERM_HOLD = 31  # vrgather.vv, vrgatherei16: the index element (its row read in
    # PERM_INDEX) taken into a register; PERM_FETCH follows (the index, from the read
    # data through the source row into the register file's address in one cycle, was
    # the engine's routed critical path)


# The states whose ends do not free their sequencer for the next instruction in the same
# cycle (`VectorEngine._sequencer`'s ``frees``): their end conditions (element counts
# against the length, the last field, slot or divide step) are long, and the issue
# decision, the queue's pop and the register file's next rows would wait for them. Their
# instructions (strided, indexed and segment accesses, permutations, divisions, viota,
# a fault-only-first probe) take one more cycle; the streaming ones still end and start
# in the same cycle.
SLOW_ENDS = frozenset({State.IOTA, State.DIVIDE, State.PERM_INDEX, State.PERM_FETCH,
                       State.PERM_PLACE, State.PERM_WRITE, State.PERM_HOLD, State.PROBE,
                       State.GATHER, State.GATHER_WAIT, State.SCATTER, State.INDEX_BEAT, State.INDEX, State.SEG_FETCH,
                       State.SEG_ROW, State.SEG_REPORT})


def _log2(value: int) -> int:
    return value.bit_length() - 1


@dataclass
class VectorState:
    """The architectural state both sequencers share (flip-flops)."""

    vl: Signal
    vtype: Signal  # vill in bit 31
    vstart: Signal
    vxrm: Signal
    vxsat: Signal
    v0: Signal  # a copy of v0, for masking


@dataclass
class _QuickStart:
    """A sequencer's start without a START cycle (`VectorEngine._quick_start`)."""

    beats: Signal  # its beats, counted from the head
    first_cycle: Signal  # (registered) the instruction's first cycle after it
    state: object  # the state it starts in (EXECUTE, LOAD or STORE)


@dataclass
class Sequencer:
    """What a sequencer tells the rest of the engine (`VectorEngine._sequencer`)."""

    busy: Signal  # it holds an instruction (any state but IDLE)
    body: Signal  # the elements of the instruction it starts this cycle (velements)
    storing: Signal  # it holds a store (`writes_memory`)
    draining: Signal  # its back end still has records to carry out


@dataclass
class RegisterFilePorts:
    """One sequencer's register file ports: reads of the rows it will work on next
    (data a cycle later), and a write with byte enables."""

    read_rows: list[Signal]
    read_data: list[Signal]
    write_row: Signal
    write_data: Signal
    write_bytes: Signal


@dataclass
class Slot:
    """A sequencer as the issue logic sees it."""

    take: Signal  # in: start the queue's head this cycle
    free: Signal  # out: it can take an instruction this cycle
    touched: Signal  # out: the registers its instruction touches (32 bits), while running
    # or while its writes are still on their way to the register file
    alone: Signal  # out: its instruction must run alone (and is running)
    pending: Signal  # out: registers a write of its back end has yet to reach (its
    # next instruction may not read them in its first cycle)


class Report(enum.IntEnum):
    """What a beat does to the report of the register being written (`_BackEnd`)."""
    HOLD = 0
    ACCUMULATE = 1  # its word joins the register's report (not its last beat)
    CLEAR = 2  # the report starts again (after a register's last beat, at a start)


@dataclass
class RegisterWrite:
    row: Signal
    data: Signal
    bytes: Signal


@dataclass
class BeatRecord:
    """What a sequencer's front decides in a cycle, for its back end to carry out."""

    write: RegisterWrite  # the write port (data: loads' and segment fields'; the
    # arithmetic sequencer's is the beat's value)
    commit: Signal  # the record for the commit port (v: the register, data by the back)
    report: Signal  # Report
    beat_in_reg: Signal  # the beat's word in its register's report
    is_store: object  # (a store reports vd's old beat as the data it moved)
    old_vd: Signal
    value: Signal  # the beat's value (the arithmetic sequencer's: the lanes' are late)
    value_bytes: Signal  # its bytes that count
    v0_write: object  # the beat is v0's: the copy of v0 follows it
    v0_index: object


class _BackEnd:
    """A sequencer's back end: `delay` cycles after the front decided them, it writes the
    beat to the register file and the copy of v0, builds the register's report and
    drives the commit port, with the beat's value as it is then (`late_value`: the
    lanes' pipeline delivers it). Delay 0 (loads and stores) is the front itself.

    It holds ``busy`` while records are on their way, and ``pending``: the registers a
    read issued this cycle could miss (the rows written in the last `delay` cycles
    land after it)."""

    def __init__(self, role: str, delay: int, vlen: int) -> None:
        self.role, self.delay = role, delay
        self.full_data = Signal(vlen, name=f"{role}_report_full_data")
        self.full_mask = Signal(vlen // 8, name=f"{role}_report_full_mask")
        self.vxsat_slot = Signal(name=f"{role}_vxsat_slot")  # front: vxsat may go here
        self.busy = Signal(name=f"{role}_back_busy")
        # the instruction before holds records in the back end (its vxsat not yet set)
        self.earlier = Signal(name=f"{role}_back_earlier")
        self.pending = Signal(32, name=f"{role}_pending_regs")
        self.late_value = None  # (the arithmetic sequencer's: set before `connect`)
        # an active element saturated, as the lanes say (only the arithmetic
        # sequencer's can: set before `connect`)
        self.late_saturated = Const(0)

    def history(self, m: Module, value, name: str) -> list:
        """`value` as it is now and as it was 1 .. `delay` cycles ago, from one register
        chain. (Call it outside any m.If or m.Switch: a register chain made inside one
        loads only when its condition holds.)"""
        values = [value]
        for k in range(self.delay):
            reg = Signal.like(value, name=f"{self.role}_{name}_late{k + 1}")
            m.d.sync += reg.eq(values[-1])
            values.append(reg)
        return values

    def late(self, m: Module, value, name: str):
        """`value` as it was `delay` cycles ago (see `history`)."""
        return self.history(m, value, name)[-1]

    def connect(self, m: Module, front: BeatRecord, port, vrf: RegisterFilePorts,
                vstate: VectorState, front_active, finishing, written) -> None:
        role, lanes = self.role, len(front.value) // 32
        late = lambda value, name: self.late(m, value, name)  # noqa: E731
        record = late(front.commit, "record")
        m.d.comb += port.eq(record)
        value = self.late_value if self.late_value is not None else late(front.value, "value")
        value_bytes = late(front.value_bytes, "value_bytes")
        is_store = late(front.is_store, "is_store")
        # (only stores report vd's old beat: the load/store sequencer, delay 0)
        old_vd = front.old_vd if self.delay == 0 else 0
        # the register's report: the beats before this one, and this one's word
        report_data = Signal(len(self.full_data), name=f"{role}_report_data")
        report_mask = Signal(len(self.full_mask), name=f"{role}_report_mask")
        m.d.comb += [self.full_data.eq(report_data), self.full_mask.eq(report_mask)]
        beat_in_reg = late(front.beat_in_reg, "beat_in_reg")
        pb = len(value_bytes)
        with m.Switch(beat_in_reg):
            for b in range(len(report_mask) // pb):
                with m.Case(b):
                    m.d.comb += [
                        self.full_data.word_select(b, 32 * lanes).eq(
                            Mux(is_store, old_vd, value)),
                        self.full_mask.word_select(b, pb).eq(Mux(is_store, 0, value_bytes)),
                    ]
        with m.Switch(late(front.report, "report")):
            with m.Case(Report.ACCUMULATE):
                m.d.sync += [report_data.eq(self.full_data), report_mask.eq(self.full_mask)]
            with m.Case(Report.CLEAR):
                m.d.sync += [report_data.eq(0), report_mask.eq(0)]
        with m.If(record.v.valid):
            m.d.comb += [port.v.valid.eq(self.full_mask.any()), port.v.data.eq(self.full_data),
                         port.v.mask.eq(self.full_mask)]
        # the register file and the copy of v0
        m.d.comb += [vrf.write_row.eq(late(front.write.row, "write_row")),
                     vrf.write_bytes.eq(late(front.write.bytes, "write_bytes")),
                     vrf.write_data.eq(value if self.delay else front.write.data)]
        v0_index = late(front.v0_index, "v0_index")  # (outside the If: a register
        # chain made inside one would load only when its condition holds)
        with m.If(late(front.v0_write, "v0_write")):
            m.d.sync += vstate.v0.word_select(v0_index, 32 * lanes).eq(value)
        # vxsat: reported with the instruction's last beat (`vxsat_slot`), if one of its
        # active elements saturated and vxsat was clear (spec 12)
        saturated = self.late_saturated
        seen = Signal(name=f"{role}_saturation_seen")
        newly = (saturated | seen) & ~vstate.vxsat
        with m.If(saturated):
            m.d.sync += seen.eq(1)
        with m.If(late(self.vxsat_slot, "vxsat_slot")):
            m.d.sync += seen.eq(0)
            with m.If(newly):
                m.d.comb += [port.csr.valid.eq(1), port.csr.csr.eq(CSR_VXSAT),
                             port.csr.value.eq(1)]
                m.d.sync += vstate.vxsat.eq(1)
        # records on their way; registers whose writes a read now would miss
        m.d.comb += self.busy.eq(
            Cat(*self.history(m, front_active, "front_active")[1:]).any())
        # (the last record, sent as its instruction finished, is carried out `delay`
        # cycles later, at the end of that cycle)
        m.d.comb += self.earlier.eq(Cat(*self.history(m, finishing, "finishing")[1:]).any())
        # v0 is held one cycle longer, up to the cycle its last write lands: the
        # sequencers select v0's bits for the next beat a cycle ahead (``mask_bits``)
        mine = Signal(32, name=f"{role}_writing_now")
        m.d.comb += mine.eq(Mux(front_active, written, 0))
        writing = self.history(m, mine, "writing")
        pending = 0  # (this cycle's, and the delay - 1 before it)
        for value in writing[:-1]:
            pending = pending | value
        m.d.comb += self.pending.eq(_pending_rows(pending | _v0_landing(writing[-1])))


def _overlap(running, head):
    """The head's registers meet those of the instruction running in the other
    sequencer (the hazard the issue logic waits on)."""
    return (running & head).any()


def _v0_landing(written):
    """Of the registers whose write lands this cycle (`written`), v0: the issue check
    holds it one cycle longer than the others, for the sequencers' mask bits selected a
    cycle ahead (a hook: the fault injection test drops it)."""
    return written & 1


def _pending_rows(pending):
    """The registers the issue check holds for the back end's writes in flight (a hook:
    the fault injection test drops them)."""
    return pending


def _group_mask(reg, ones):
    """The registers of a group: `ones` (2^n - 1 for its n registers) from `reg`."""
    return shl(ones, reg)[:32]


def _double_group(ones):
    """A 2*SEW group's `ones`: twice the registers of the LMUL group `ones` (its 1, 2, 4
    or 8 registers as as many low ones; a hook for fault injection)."""
    return Mux(ones[7], 0xFFFF, Mux(ones[3], 0xFF, Mux(ones[1], 0xF, 0x3)))


def _single_register(single, ones):
    """An operand's `ones` as the issue check counts them: one register where `single`
    (a reduction's vd and vs1, a compare's vd), else the group's `ones` (a hook for
    fault injection)."""
    return Mux(single, 1, ones)


def _index_group(ones):
    """An indexed access's index group as the issue check counts it (its `ones`, from
    the index EMUL; a hook for fault injection)."""
    return ones


def _data_registers(nf, regs_log):
    """A memory access's data registers as the issue check counts them: nf fields of
    2^regs_log registers (a hook for fault injection)."""
    return nf << regs_log


def _writes_its_mask(insn, uop):
    """A masked instruction whose destination is v0, its own mask (spec 5.3; vadc/vsbc:
    their carry input), which the interpreter traps as illegal: element-wise ops
    (vmerge, vid and the extensions among them), divides, loads, slides and gathers,
    viota. Not compares, mask logic and vmadc/vmsbc (a mask destination), stores,
    reductions, vcompress (never masked) or whole-register and mask accesses."""
    kind = uop.kind
    writes_vector = (((kind == Kind.ARITH) & ~uop.whole) | (kind == Kind.DIVIDE)
                     | ((kind == Kind.LOAD) & ~uop.whole & ~uop.mask_access)
                     | ((kind == Kind.PERMUTE) & (uop.sub != PERMUTES.index("vcompress")))
                     | ((kind == Kind.MASK_SCAN) & (uop.sub == MASK_SCANS.index("viota"))))
    return writes_vector & ~insn[25] & (insn[7:12] == 0)


def _requested_vtype(insn, rs2, uop):
    """The vtype a vset{i}vl{i} asks for: vsetivli's 10-bit immediate, vsetvli's 11-bit
    one, or vsetvl's rs2."""
    return Mux(uop.kind == Kind.SET_VL_IMM, insn[20:30],
               Mux(uop.vtype_from_rs2, rs2, insn[20:31]))


def _vtype_legal_hook(vtype):
    """`legal_vtype` as the precise traps use it (a function of its own for fault
    injection)."""
    return legal_vtype(vtype)


def legal_vtype(vtype):
    """A vtype value vset{i}vl{i} may set (else vill): no reserved bits, SEW 8-32,
    LMUL 1/8..8 with SEW/LMUL <= ELEN (spec 3.4: e16 at mf8, e32 at mf8 and mf4 are
    reserved at ELEN 32)."""
    vlmul, vsew = vtype[:3], vtype[3:6]
    return ((vtype[8:] == 0) & (vlmul != 4) & (vsew <= 2)
            & ~((vlmul == 5) | ((vlmul == 6) & (vsew > 0)) | ((vlmul == 7) & (vsew > 1))))


def _mask_bytes(vl):
    """A mask load's or store's effective length: ceil(vl/8) bytes, one bit an element
    (spec 7.4; a hook for fault injection)."""
    return (vl + 7) >> 3


def _field_group(vd, field, regs_log):
    """A segment access's field `field`: the first register of its group (vd + field x
    EMUL registers); a hook for fault injection."""
    return (vd + (field << regs_log))[:5]


def _trims(active, outside, index):
    """A fault-only-first load's element trims vl: active, outside RAM (or misaligned)
    and not element 0 (which traps); a hook for fault injection."""
    return active & outside & (index != 0)


def _index_value(shifted, index_code):
    """An indexed access's offset: the low 8, 16 or 32 bits of `shifted` (its row of vs2,
    shifted to the element) by the index EEW, zero-extended (spec 7.6)."""
    return Mux(index_code == 0, shifted[:8], Mux(index_code == 1, shifted[:16], shifted[:32]))


def _shift_row(vs1, beat, bpr: int):
    """A .wv narrowing beat's shift amounts: the row of vs1's beat `beat` (vs1 is SEW
    wide, as vd is); a hook for fault injection."""
    return vs1 * bpr + beat


def _beat_mask_bits(v0, beat, size_code, beat_bytes: int):
    """Per byte of beat `beat` of a register group (`beat_bytes` bytes a beat; `beat`
    modulo the group's beats), the v0 bit of its element, the elements being 8 <<
    `size_code` bits: byte j's element is beat * (beat_bytes >> size) + (j >> size), so
    a beat's bits are one word of v0 per element size (a 16:1 multiplexer of a few bits
    where a select per byte would be a 256:1 multiplexer each)."""
    per_size = []
    for code in range(3):
        bits = v0.word_select(beat, beat_bytes >> code)
        per_size.append(Cat(*(bits[j >> code] for j in range(beat_bytes))))
    return Mux(size_code == 0, per_size[0], Mux(size_code == 1, per_size[1], per_size[2]))


def _source_half(beat_data, beat, lanes: int):
    """Widening: the half of a SEW source's beat that makes vd's beat `beat` (vd's beats
    are twice the source's: even ones take the lower half, odd ones the upper)."""
    return beat_data.word_select(beat[0], 16 * lanes)


@dataclass
class _Stream:
    """What the load/store sequencer needs of its memory stream (`_memory_stream`)."""

    loaded: Signal  # a load's beat, from the word arriving and the one before
    shift: object  # the base's offset in a port word
    load_beat: Signal  # a word arrived that completes a beat
    store_beat: Signal  # the beat's lower word is written (or had no bytes to write)
    tail_done: Signal  # the last carry is written
    restart: list  # statements that reset the stream for a new instruction
    port_free: Signal  # the instruction leaves the memory port unused this cycle
    first_request: list  # (after `restart`) a quick-started load's first word asked


@dataclass
class _Elements:
    """What the load/store sequencer needs of a strided access (`_element_stream`)."""

    active: Signal  # the current element is active (masks, vl, vstart)
    requested: Signal  # its word was requested (loads) or written (stores) this cycle
    addr: Signal  # its address
    size: Signal  # its bytes
    value: Signal  # its value (loads: arriving; stores: from the register)
    byte_mask: Signal  # its bytes, as a MemAccess mask
    gathered: Signal  # a load's beat: the elements gathered so far and the arriving one
    last_of_beat: Signal  # it is the beat's last element
    step: list  # statements that move on to the next element
    restart: list  # statements that reset the stream for a new instruction
    reads_index: Signal  # indexed: the read port addresses an index row of vs2 ...
    index_row: Signal  # ... this one, in vs2's group (the next element's, or the beat's
    # first in INDEX_BEAT)
    number: Signal  # the element's index i
    position: Signal  # its first byte in the beat
    chunk: "_Chunk"  # a unit-stride segment access's report (`span`)


@dataclass
class _Chunk:
    """A unit-stride segment access's memory report: VLENB-byte chunks of its span from
    rs1 (the interpreter's `_record_span`), each gathered field by field and reported
    with its last field."""

    data: Signal  # the chunk's bytes moved so far, with the current field's
    mask: Signal  # ... and which they are
    addr: Signal  # the chunk's address
    size: Signal  # its bytes (the span's last chunk may be short)
    last: Signal  # the current field is the chunk's last (or the span's)
    keep: list  # statements that keep the chunk so far (the field not its last)
    clear: list  # ... and that start a new one


@dataclass
class _Probe:
    """What a fault-only-first load's probe (`VectorEngine._first_fault`) gives the
    load/store sequencer."""

    needed: Signal  # in START: some element may be outside RAM, probe them first
    index: Signal  # in PROBE: the element probed, i
    trim: Signal  # ... it is active, outside RAM (or misaligned) and not element 0:
    # vl becomes i
    last: Signal  # ... it is the body's last
    step: list  # statements that move on to the next element
    done: list  # statements that end the probe (START again, without one)
    restart: list  # statements that reset the probe for a new instruction


@dataclass
class _Permutation:
    """What a permutation (`VectorEngine._permute`) gives the sequencer."""

    first_state: object  # an element's first state (PERM_INDEX if vs1 holds its index)
    after_index: object  # ... PERM_INDEX's next: PERM_HOLD (a gather's index), PERM_FETCH
    hold: list  # PERM_HOLD's statements: the index element into a register
    slot: Signal  # the element within vd's beat
    last_slot: object  # ... it is the beat's last
    element_active: object  # ... it is active (mask, vl, vstart, vslideup's offset)
    step: list  # statements moving on to vd's next element (a slide's source)
    source_row: object  # the row (in vs2's group) of the source element, in PERM_FETCH
    index_row: object  # the row (in vs1's group) of the index element, in PERM_INDEX
    fetch: list  # PERM_FETCH's statements: the source element's place, or 0 or the scalar
    skip_source: object  # vcompress: vs2's next element is not selected, look further
    skip: list  # ... the statements doing that
    unfilled: object  # vcompress: bytes of the beat no element is placed in (not written)
    clear: list  # statements starting a new beat
    place: list  # PERM_PLACE's statements: the element into the beat
    placed: Signal  # the beat with this cycle's element (the beat's write value)


@dataclass
class _Divider:
    """What the lanes' dividers (`VectorEngine._divide`) give the sequencer."""

    result: Signal  # the beat's quotients or remainders (the last one placed this cycle)
    beat_done: object  # the beat's last element finishes this cycle


@dataclass
class _Destination:
    """The destination pass of a reduction, compare or mask op (`VectorEngine._gather`)."""

    value: Signal  # the beat's value (a reduction's: `result` at the back end)
    bytes: Signal  # its byte enables
    scan: "_Scan"
    draining: object  # a reduction's beats the back end would read too early (or a mask
    # scan's bits not yet counted)
    result: Signal  # the reduction's result (the tree's accumulator)
    enable: Signal  # the bits of the beat it writes


class _Check(NamedTuple):
    """MEM's and WB's instructions as the engine registered them (`VectorEngine.
    _check_stage`)."""

    valid: Signal  # WB's is this engine's
    insn: Signal
    uop: Signal  # decoded
    rs1: Signal  # its scalar operands (the dispatch port's, kept here: `_dispatched_state`)
    rs2: Signal
    illegal: Signal  # ... and it traps as illegal (`VectorEngine._judge_in_mem`)
    mem_uop: Signal  # MEM's decoded (from EX's word, as it moved to MEM)
    mem_rules: Signal  # its register-group rules (`group_check.RULES`)
    mem_geometry: Signal  # ... and their geometry (`group_check.GEOMETRY`)


class _Shape(NamedTuple):
    """An instruction's shape under a vl and vtype (`VectorEngine._shape`)."""

    eew_code: object  # its element width
    length: object  # the body's elements
    group_bytes: object  # ... their bytes
    body_regs: object  # ... the registers they occupy
    span_bytes: object  # the bytes over all a segment access's fields

    def load(self, other: "_Shape") -> list:
        """Statements giving these signals `other`'s values."""
        return [mine.eq(theirs) for mine, theirs in zip(self, other)]


@dataclass
class _Scan:
    """What a mask scan (`VectorEngine._mask_scan`) gives the sequencer."""

    scalar: Signal  # vcpop/vfirst's result, once no beat is `pending`
    pending: Signal  # a beat's bits are yet to be counted (the cycle after it)
    marks: Signal  # vmsbf/vmsif/vmsof: the beat's mask bits
    active: Signal  # ... and which of them are written (the beat's active elements)
    iota: Signal  # viota: the beat's element values


class VectorEngine(Engine):
    """The vector unit. Parameters come from `VectorConfig` (VLEN, lanes, queue depth)."""

    def __init__(self, vector: VectorConfig, isa: Isa, mem_base: int, mem_size: int) -> None:
        self.vlen = vector.vlen
        self.lanes = vector.lanes
        self.queue_depth = vector.queue_depth
        self.isa = isa
        # the data RAM, as the interpreter bounds accesses (fault-only-first loads)
        self.mem_base, self.mem_size = mem_base, mem_size
        self.vlenb = self.vlen // 8
        self.beat_bytes = 4 * self.lanes
        # the lanes' pipeline: also the cycles from an arithmetic beat's issue to its
        # write (`_BackEnd`)
        self.lane_stages = LANE_STAGES
        self.beats_per_reg = self.vlen // (32 * self.lanes)
        self.commit_spec = vector_commit_spec(self.vlenb)
        super().__init__(port_bits=self.vector_port_bits, port_stage=vector.port_stage)
        self.commit = Signal(commit_layout(self.commit_spec), name="vcommit")
        self.lsu_commit = Signal(commit_layout(self.commit_spec), name="vlsu_commit")
        # vset{i}vl{i} with rd = x0, executed as it issues (`_configure_at_issue`)
        self.config_commit = Signal(commit_layout(self.commit_spec), name="vconfig_commit")

    @property
    def commits(self) -> list[tuple[str, object, Signal]]:
        """The commit ports: one per sequencer and one for the vset{i}vl{i} the issue
        stage executes (`hw.oxcore.engine.commit_ports`)."""
        return [("commit", self.commit_spec, self.commit),
                ("lsu_commit", self.commit_spec, self.lsu_commit),
                ("config_commit", self.commit_spec, self.config_commit)]

    @property
    def vector_port_bits(self) -> int:
        return 32 * self.lanes

    @classmethod
    def for_config(cls, config: OxCoreConfig, section: VectorConfig) -> "VectorEngine":
        return cls(section, isa_for(config), config.mem_base, config.mem_size)


    # ------------------------------------------------------------------------------------
    def elaborate(self, platform) -> Module:
        m = Module()
        pipe = self.pipe
        vlen = self.vlen
        self._watch: dict = {}  # signals for the waveform groups (`_probes`)

        state = VectorState(vl=Signal(range(vlen + 1), name="vl"),
                            vtype=Signal(32, init=VILL, name="vtype"),
                            vstart=Signal(range(vlen), name="vstart"),
                            vxrm=Signal(2, name="vxrm"), vxsat=Signal(1, name="vxsat"),
                            v0=Signal(vlen, name="v0_copy"))
        hold = Signal(name="dispatch_hold")  # (`_precise_traps`: a memory access's verdict)
        check = self._check_stage(m)  # (WB's instruction: the one dispatched)
        # (vill, SEW, LMUL and vstart as the instructions dispatched so far leave them:
        # what the one being dispatched will run with; and once it is: MEM's)
        as_dispatched, after_wb = self._dispatched_state(m, check)
        self._judge_in_mem(m, check, after_wb)

        def predecode(m, payload) -> dict:
            _, sew, vlmul, vstart = as_dispatched
            touched, writes, alone = self._registers_used(m, check.insn, check.uop, vlmul,
                                                          sew, vstart != 0)
            return {"uop": check.uop, "touched": touched, "writes": writes, "alone": alone}
        queue = self.claim_and_queue(m, VectorDecoder(self.isa), self.queue_depth, PREDECODED,
                                     predecode, hold)
        self._precise_traps(m, check, state, hold)
        alu_ports, lsu_ports = self._register_file(m)
        alu = Slot(Signal(name="alu_take"), Signal(name="alu_free"),
                   Signal(32, name="alu_touched"), Signal(name="alu_alone"),
                   Signal(32, name="alu_pending"))
        lsu = Slot(Signal(name="lsu_take"), Signal(name="lsu_free"),
                   Signal(32, name="lsu_touched"), Signal(name="lsu_alone"),
                   Signal(32, name="lsu_pending"))
        # the performance counters (csr reads in `_scalar_side`; `_performance_counters`)
        self._counters = {number: Signal(32, name=f"count_{number:03x}")
                          for number in COUNTERS}
        head_touched, head_writes, head_alone, held = self._issue(m, queue, state, alu, lsu)
        alu_seq = self._sequencer(m, "alu", queue, state, alu_ports, alu, head_touched,
                                  head_writes, head_alone, self.commit)
        lsu_seq = self._sequencer(m, "lsu", queue, state, lsu_ports, lsu, head_touched,
                                  head_writes, head_alone, self.lsu_commit)
        m.d.comb += pipe.busy.eq((queue.level != 0) | alu_seq.busy | lsu_seq.busy
                                 | alu_seq.draining | lsu_seq.draining | self._configuring)
        self._index_reads(m, lsu_ports)
        self._memory_writes(m, lsu, lsu_seq, check.uop)
        self._performance_counters(m, alu_seq, lsu_seq, held, hold)
        self.probes = self._probes(queue, state, alu, lsu)
        return m

    def _index_reads(self, m: Module, lsu_ports: RegisterFilePorts) -> None:
        """The access check reads an indexed access's indices on the load/store
        sequencer's read port while the engine is idle (after the sequencer's own
        drive: this one wins)."""
        access = self._access_check
        with m.If(access.index_read):
            m.d.comb += lsu_ports.read_rows[0].eq(access.index_row)
        m.d.comb += access.index_data.eq(lsu_ports.read_data[0])

    def _memory_writes(self, m: Module, lsu: Slot, lsu_seq: Sequencer, dispatched) -> None:
        """``writes_memory``: a store is queued or in the load/store sequencer (not
        loads and arithmetic: `Engine.store_memory_order`; `dispatched`: the
        micro-operation being dispatched, WB's, from `_check_stage`'s registers)."""
        queued = self.store_memory_order(
            m, dispatched.kind == Kind.STORE, self.queue_depth,
            lsu.take & (self._head_kind == Kind.STORE), lsu_seq.storing)
        self._watch["lsu"].append(queued)

    def _performance_counters(self, m: Module, alu: Sequencer, lsu: Sequencer,
                              held, hold) -> None:
        """The counter CSRs (32 bits, from reset): cycles the engine had work, each
        sequencer held an instruction, the queue's head was held by the issue check
        (`held`), the core waited on a full queue; and the body elements of the
        instructions the sequencers start (both may start one in the same cycle)."""
        pipe, counters = self.pipe, self._counters
        events = {CSR_VBUSY: pipe.busy, CSR_VACTIVE_ALU: alu.busy, CSR_VACTIVE_LSU: lsu.busy,
                  CSR_VSTALL_ISSUE: held,
                  CSR_VSTALL_QUEUE: pipe.dispatch.valid & ~pipe.dispatch.ready & ~hold}
        for number, event in events.items():
            with m.If(event):
                m.d.sync += counters[number].eq(counters[number] + 1)
        elements = counters[CSR_VELEMENTS]
        m.d.sync += elements.eq(elements + alu.body + lsu.body)

    def _probes(self, queue, state: VectorState, alu: Slot, lsu: Slot) -> dict[str, list]:
        """The engine's waveform groups (`hw.oxcore.top.Top.probes`), by signal name:
        the queue and issue, each sequencer's instruction (shown as disassembly), state
        and beat, the vector state, the memory port and the commit ports' valid bits,
        and the performance counters."""
        watch = self._watch
        return {
            "vector issue": [queue.level, (watch["head"], "insn"), watch["head_touched"],
                             alu.take, lsu.take, watch["config_now"],
                             watch["config_reporting"]],
            "vector arithmetic": watch["alu"],
            "vector load/store": watch["lsu"] + [self.mem],
            "vector state": [state.vl, state.vtype, state.vstart, state.v0,
                             (self.commit, "valid"), (self.commit, "last"),
                             (self.lsu_commit, "valid"), (self.lsu_commit, "last"),
                             (self.config_commit, "valid"), (self.config_commit, "last")],
            "vector counters": [self._counters[number] for number in COUNTERS],
        }

    def _register_file(self, m: Module) -> tuple[RegisterFilePorts, RegisterFilePorts]:
        """One slice per lane (`LaneRegisterFile`: block-RAM copies and a live-value
        table); each row is a lane's 32 bits of a register's beat. The read ports see
        the same cycle's writes (the sequencers never read a row the other writes:
        `_issue` keeps their registers apart)."""
        lanes, pb, rows = self.lanes, self.beat_bytes, 32 * self.beats_per_reg

        def ports(role: str, reads: int) -> RegisterFilePorts:
            return RegisterFilePorts(
                [Signal(range(rows), name=f"{role}_read_row{i}") for i in range(reads)],
                [Signal(32 * lanes, name=f"{role}_read_data{i}") for i in range(reads)],
                Signal(range(rows), name=f"{role}_write_row"),
                Signal(32 * lanes, name=f"{role}_write_data"), Signal(pb, name=f"{role}_write_bytes"))
        alu, lsu = ports("alu", 3), ports("lsu", 1)
        reads = [(row, data) for side in (alu, lsu)
                 for row, data in zip(side.read_rows, side.read_data)]
        for lane in range(lanes):
            bits = slice(32 * lane, 32 * (lane + 1))
            slice_ = LaneRegisterFile(rows, writes=2, reads=len(reads))
            m.submodules[f"vrf_lane{lane}"] = slice_
            for w, side in enumerate((alu, lsu)):  # (the load/store side wins a tie)
                m.d.comb += [getattr(slice_, f"write_addr{w}").eq(side.write_row),
                             getattr(slice_, f"write_data{w}").eq(side.write_data[bits]),
                             getattr(slice_, f"write_en{w}").eq(
                                 side.write_bytes[4 * lane:4 * (lane + 1)])]
            for r, (row, read_data) in enumerate(reads):
                m.d.comb += [getattr(slice_, f"read_addr{r}").eq(row),
                             read_data[bits].eq(getattr(slice_, f"read_data{r}"))]
        return alu, lsu

    def _issue(self, m: Module, queue, state: VectorState, alu: Slot, lsu: Slot):
        """Which sequencer takes the queue's head this cycle, if any (see the module
        docstring). Returns the head's touched registers, those of them it writes,
        whether it runs alone, and
        whether the issue check holds it while its sequencer is free (vstall_issue)."""
        entry = Signal(queue_entry(PREDECODED), name="queue_head")
        m.d.comb += entry.eq(queue.r_data)
        head = Signal(DISPATCH, name="head")  # (a signal of its own: waveforms show it)
        m.d.comb += head.eq(entry.dispatched)
        uop = entry.predecoded.uop
        self._head_kind = uop.kind  # (counting stores: `_memory_writes`)
        memory_op = (uop.kind == Kind.LOAD) | (uop.kind == Kind.STORE)
        touched = Signal(32, name="head_touched")
        writes = Signal(32, name="head_writes")  # (a subset of `touched`)
        alone = Signal(name="head_alone")
        m.d.comb += [touched.eq(entry.predecoded.touched), writes.eq(entry.predecoded.writes),
                     alone.eq(entry.predecoded.alone)]
        set_vl = (uop.kind == Kind.SET_VL) | (uop.kind == Kind.SET_VL_IMM)
        # Nothing starts while an instruction that runs alone runs; it waits for the
        # other sequencer to finish, except vset{i}vl{i}: each sequencer keeps the vl
        # and vtype its instruction was taken with, so a vsetvli between two strips'
        # work does not drain the engine (the next strip's load overlaps this one's
        # arithmetic)
        waits_for_idle = Signal(name="head_waits_for_idle")
        m.d.comb += waits_for_idle.eq(alone & ~set_vl)

        def may_take(slot: Slot, other: Slot):
            """The head may go to `slot` while `other` runs what it runs."""
            return (queue.r_rdy & slot.free & ~other.alone & ~_overlap(other.touched, touched)
                    & ~_overlap(slot.pending, touched)
                    & ~(waits_for_idle & ~other.free) & ~configures)
        configures = self._configure_at_issue(m, queue, head, set_vl, uop, state, alu, lsu)
        m.d.comb += [alu.take.eq(~memory_op & may_take(alu, lsu)),
                     lsu.take.eq(memory_op & may_take(lsu, alu)),
                     queue.r_en.eq(alu.take | lsu.take | configures)]
        held = Signal(name="head_held")
        m.d.comb += held.eq(queue.r_rdy & Mux(memory_op, lsu.free, alu.free) & ~queue.r_en)
        self._watch.update(head=head, head_touched=touched)
        return touched, writes, alone, held

    def _registers_used(self, m: Module, insn, uop, vlmul, sew, vstart_set):
        """The registers instruction `insn` (micro-operation `uop`) touches (reads or
        writes) and writes, as masks, and whether it runs alone, under vtype's `vlmul`
        and `sew` and with vstart != 0 (`vstart_set`): worked out as it is dispatched,
        from the vtype and vstart the instructions dispatched before it leave (exact:
        only they change them), and queued with it, so that the issue decision starts
        from flip-flops (computing them from the queue's head and vtype had been the
        path into the queue's pop)."""
        vd, vs1, vs2, masked = insn[7:12], insn[15:20], insn[20:25], ~insn[25]
        memory_op = (uop.kind == Kind.LOAD) | (uop.kind == Kind.STORE)
        # the register group's size, as 2^k - 1 ones: LMUL, a memory access's EMUL
        # (EEW/SEW * LMUL; an indexed access's data is SEW wide: LMUL), or a
        # whole-register count
        lmul = vlmul.as_signed()
        emul = lmul + uop.eew - sew  # (an indexed access's index group)
        log_size = Signal(range(-8, 8), name="dispatch_group_log2")
        with m.If(uop.whole):
            # (nf: 0, 1, 3 or 7)
            m.d.comb += log_size.eq(log2_count(Mux(memory_op, insn[29:32], insn[15:18])))
        with m.Elif(uop.mask_access):  # vlm.v, vsm.v: one register, whatever vtype
            m.d.comb += log_size.eq(0)
        with m.Elif(memory_op & ~uop.indexed):
            m.d.comb += log_size.eq(emul)
        with m.Else():
            m.d.comb += log_size.eq(lmul)

        def group_ones(log2, name: str) -> Signal:
            ones = Signal(8, name=name)
            with m.Switch(log2):
                for k in range(4):
                    with m.Case(k):
                        m.d.comb += ones.eq((1 << (1 << k)) - 1)
                with m.Default():  # fractional: one register
                    m.d.comb += ones.eq(1)
            return ones
        ones = group_ones(log_size, "dispatch_group_ones")
        index_ones = group_ones(emul, "dispatch_index_ones")
        # a segment access's data: nf fields of a group each, nf x EMUL registers (at
        # most 8: more traps in WB, `RegisterGroupCheck`)
        field_regs = Mux(log_size < 0, 0, log_size)[:2]
        data_regs = Signal(7, name="dispatch_data_regs")
        m.d.comb += data_regs.eq(_data_registers(segment_fields(insn, uop),
                                                 field_regs))
        data_ones = Signal(8, name="dispatch_data_ones")
        with m.Switch(data_regs):
            for count in range(1, 8):
                with m.Case(count):
                    m.d.comb += data_ones.eq((1 << count) - 1)
            with m.Default():
                m.d.comb += data_ones.eq(0xFF)
        uses_v0 = masked | ((uop.kind == Kind.ARITH) & (uop.op == AluOp.MERGE))
        touched = Signal(32, name="dispatch_touched")
        # the registers it writes (a subset of `touched`: the back end's pending rows)
        writes = Signal(32, name="dispatch_writes")
        with m.If(memory_op):
            # indexed: the index group of vs2 (EMUL = index EEW/SEW * LMUL) is read too
            index_group = Mux(uop.indexed, _group_mask(vs2, _index_group(index_ones)), 0)
            m.d.comb += [touched.eq(_group_mask(vd, data_ones) | index_group | uses_v0),
                         writes.eq(Mux(uop.kind == Kind.LOAD, _group_mask(vd, data_ones), 0))]
        with m.Else():
            # the 2*SEW groups (narrowing vs2; widening vd, and vs2 in the .w forms) are
            # twice LMUL: counted double
            double = _double_group(ones)
            # a reduction's vd and vs1, and a compare's mask destination, are one
            # register whatever LMUL (spec 14, 11.8), so that a strip's reduction does
            # not hold the next strip's load into the registers after its vd
            one_vd = (uop.kind == Kind.REDUCE) | (uop.kind == Kind.COMPARE)
            vd_ones = _single_register(one_vd, Mux(uop.widen, double, ones))
            vs2_ones = Mux(uop.narrow | uop.wide_vs2, double, ones)
            # vrgatherei16's 16-bit indices: EMUL 2 x LMUL at SEW 8
            ei16 = (uop.kind == Kind.PERMUTE) & (uop.sub == PERMUTES.index("vrgatherei16"))
            vs1_ones = _single_register(uop.kind == Kind.REDUCE,
                                        Mux(ei16 & (sew == 0), double, ones))
            m.d.comb += [touched.eq(_group_mask(vd, vd_ones) | _group_mask(vs2, vs2_ones)
                                    | Mux(uop.form == Form.VV, _group_mask(vs1, vs1_ones), 0)
                                    | uses_v0),
                         writes.eq(_group_mask(vd, vd_ones))]
        alone = Signal(name="dispatch_alone")
        # (a fault-only-first load may change vl: as vset{i}vl{i} does)
        set_vl = (uop.kind == Kind.SET_VL) | (uop.kind == Kind.SET_VL_IMM)
        m.d.comb += alone.eq(set_vl | (uop.kind == Kind.CSR) | uop.fault_first | vstart_set)
        return touched, writes, alone

    def _configure_at_issue(self, m: Module, queue, head, set_vl, uop, state: VectorState,
                            alu: Slot, lsu: Slot) -> Signal:
        """vset{i}vl{i} with rd = x0 (the form strip-mined loops switch SEW with) runs in
        the issue stage, not in a sequencer: vl and vtype change as it leaves the queue,
        while the sequencers go on with the instructions they took, each with the vl and
        vtype it was taken with; its report is the vl write then, the vtype write the
        next cycle, on a commit port of its own. Not while an instruction that runs
        alone (a CSR instruction, a fault-only-first load, the other vset{i}vl{i}) runs,
        nor with vstart != 0 (which it would reset): those go to the arithmetic
        sequencer, as do the forms with a scalar result. Returns whether it takes the
        head this cycle."""
        commit = self.config_commit
        reporting = Signal(name="config_reporting")  # the vtype beat, this cycle
        order = Signal(64, name="config_order")
        now = Signal(name="config_now")
        m.d.comb += now.eq(queue.r_rdy & set_vl & (head.insn[7:12] == 0) & ~reporting
                           & ~alu.alone & ~lsu.alone & (state.vstart == 0))
        next_vl, legal, new_vtype = self._new_configuration(
            m, head.insn, head.rs1, head.rs2, uop, state.vl, "issue")
        with m.If(now):
            m.d.comb += [commit.valid.eq(1), commit.order.eq(head.order),
                         commit.csr.valid.eq(1), commit.csr.csr.eq(CSR_VL),
                         commit.csr.value.eq(next_vl)]
            m.d.sync += [state.vl.eq(next_vl), state.vtype.eq(Mux(legal, new_vtype, VILL)),
                         order.eq(head.order)]
        m.d.sync += reporting.eq(now)
        with m.If(reporting):
            m.d.comb += [commit.valid.eq(1), commit.last.eq(1), commit.order.eq(order),
                         commit.csr.valid.eq(1), commit.csr.csr.eq(CSR_VTYPE),
                         commit.csr.value.eq(state.vtype)]
        self._configuring = reporting  # (the engine is busy until it has reported)
        self._watch.update(config_now=now, config_reporting=reporting)
        return now

    def _new_configuration(self, m: Module, insn, rs1, rs2, uop, vl, prefix: str):
        """vset{i}vl{i}'s new vl, whether its vtype is legal, and that vtype (spec 6:
        AVL from rs1, VLMAX for rs1 = x0 with rd != x0, the current `vl` kept for both
        x0; vtype from the word, or rs2 for vsetvl)."""
        vlen = self.vlen
        rd, rs1_field = insn[7:12], insn[15:20]
        new_vtype = Signal(32, name=f"{prefix}_new_vtype")
        m.d.comb += new_vtype.eq(_requested_vtype(insn, rs2, uop))
        avl = Signal(32, name=f"{prefix}_avl")
        with m.If(uop.kind == Kind.SET_VL_IMM):
            m.d.comb += avl.eq(insn[15:20])
        with m.Else():
            with m.If(rs1_field != 0):
                m.d.comb += avl.eq(rs1)
            with m.Elif(rd != 0):
                m.d.comb += avl.eq(0xFFFF_FFFF)
            with m.Else():
                m.d.comb += avl.eq(vl)
        vlmul, vsew = new_vtype[:3], new_vtype[3:6]
        legal = Signal(name=f"{prefix}_vtype_legal")
        m.d.comb += legal.eq(legal_vtype(new_vtype))
        vlmax = Signal(range(vlen + 1), name=f"{prefix}_vlmax")
        per_reg = Signal(range(vlen // 8 + 1), name=f"{prefix}_per_register")
        m.d.comb += per_reg.eq(Const(vlen // 8) >> vsew)  # VLEN / SEW
        with m.Switch(vlmul):
            for code, scale in ((0, 0), (1, 1), (2, 2), (3, 3)):
                with m.Case(code):
                    m.d.comb += vlmax.eq(per_reg << scale)
            for code, scale in ((5, 3), (6, 2), (7, 1)):
                with m.Case(code):
                    m.d.comb += vlmax.eq(per_reg >> scale)
        next_vl = Signal(range(vlen + 1), name=f"{prefix}_next_vl")
        m.d.comb += next_vl.eq(Mux(~legal, 0, Mux(avl < vlmax, avl, vlmax)))
        return next_vl, legal, new_vtype

    def _check_stage(self, m: Module) -> "_Check":
        """The instruction about to reach MEM (the engine interface's ``check.next_insn``,
        EX's word) decoded, with its register-group rules and geometry (what the
        instruction alone decides of its traps), into registers as it moves to MEM;
        then MEM's into registers as it moves to WB. WB's instruction is the one the
        core dispatches, so the queue's predecoding starts from these registers too
        (`_registers_used`), not from a decoder on the dispatch port. Its verdict
        (``illegal``) is `_judge_in_mem`'s."""
        pipe = self.pipe
        m.submodules.check_decoder = decoder = VectorDecoder(self.isa)
        m.d.comb += decoder.insn.eq(pipe.check.next_insn)
        check = _Check(Signal(name="check_valid"), Signal(32, name="check_insn"),
                       Signal(UOP, name="check_uop"), Signal(32, name="check_rs1"),
                       Signal(32, name="check_rs2"), Signal(name="check_illegal"),
                       Signal(UOP, name="mem_uop"), Signal(RULES, name="mem_group_rules"),
                       Signal(GEOMETRY, name="mem_group_geometry"))
        with m.If(pipe.check.advance):  # (EX's moves to MEM, MEM's to WB)
            m.d.sync += [check.mem_uop.eq(decoder.uop),
                         check.mem_rules.eq(group_rules(m, pipe.check.next_insn, decoder.uop)),
                         check.mem_geometry.eq(group_geometry(m, pipe.check.next_insn,
                                                              decoder.uop)),
                         check.valid.eq(pipe.check.valid), check.insn.eq(pipe.check.insn),
                         check.uop.eq(check.mem_uop), check.rs1.eq(pipe.check.rs1),
                         check.rs2.eq(pipe.check.rs2)]
        return check

    def _judge_in_mem(self, m: Module, check: "_Check", after_wb) -> None:
        """The illegal-instruction traps vtype and vstart decide, for MEM's instruction,
        into ``check.illegal`` as it moves to WB, where it traps precisely (the engine
        interface's ``fault``): with vill set, every vector instruction but
        vset{i}vl{i}, the whole-register loads, stores and moves and the CSR
        instructions (the interpreter's `_vtype`); a widening or narrowing op (2*SEW
        operands) at SEW 32; vzext/vsext from below 8 bits; from the instruction alone,
        a masked one that writes v0 (`_writes_its_mask`); and the register-group rules
        (`group_check`: EMUL and alignment, overlaps, vstart = 0). vtype changes only
        with vset{i}vl{i}, whose new vtype is in the instruction (or rs2 for vsetvl),
        and vstart only with csr instructions (each other vector instruction resets
        it), so a copy of vill, SEW, LMUL and vstart follows the instructions as they
        are dispatched (`_dispatched_state`), and MEM's is judged under that copy as WB's
        instruction will leave it (`after_wb`): MEM's moves to WB only as WB's is
        dispatched. The verdict is a flip-flop in WB, not logic in front of the core's
        wait (the SoC clock: it decides the pipeline's advance)."""
        pipe = self.pipe
        insn, uop = pipe.check.insn, check.mem_uop
        needs_vtype = Signal(name="mem_needs_vtype")
        m.d.comb += needs_vtype.eq(~uop.whole & (uop.kind != Kind.SET_VL)
                                   & (uop.kind != Kind.SET_VL_IMM) & (uop.kind != Kind.CSR))
        vill, sew, vlmul, vstart = after_wb
        # (the rules under every vtype, from MEM's registers; the late vtype picks one)
        m.submodules.group_verdicts = verdicts = Module()
        table = verdicts_by_vtype(verdicts, check.mem_rules, check.mem_geometry, insn, uop)
        groups_broken = pick_verdict(table, check.mem_rules, vlmul, sew, vstart == 0)
        illegal = Signal(name="mem_illegal")
        m.d.comb += illegal.eq(
            (needs_vtype & (vill | ((uop.widen | uop.narrow) & (sew == 2))
                            | (uop.extend > sew) | _writes_its_mask(insn, uop)))
            | groups_broken)
        with m.If(pipe.check.advance):
            m.d.sync += check.illegal.eq(pipe.check.valid & illegal)

    def _precise_traps(self, m: Module, check: "_Check", state: VectorState, hold) -> None:
        """WB's precise traps (the engine interface's ``check``/``fault``): the illegal-
        instruction ones, judged in MEM (`_judge_in_mem`), then loads and stores
        misaligned or outside RAM, `VectorAccessCheck`'s (``hold`` keeps WB's waiting
        for its verdict); the illegal-instruction traps come first, as in the
        interpreter."""
        pipe = self.pipe
        illegal = check.illegal
        m.submodules.access_check = access = VectorAccessCheck(
            self.vlen, self.lanes, self.mem_base, self.mem_size)
        self._access_check = access  # (its index reads: `_index_reads`)
        m.d.comb += [access.check.eq(pipe.check), access.uop.eq(check.mem_uop),  # (MEM's)
                     access.idle.eq(~pipe.busy), access.vl.eq(state.vl),
                     access.sew.eq(state.vtype[3:5]),
                     access.vstart.eq(state.vstart), access.v0.eq(state.v0),
                     hold.eq(access.hold & ~illegal),
                     pipe.fault.valid.eq(illegal | access.fault.valid),
                     pipe.fault.cause.eq(Mux(illegal, TrapCause.ILLEGAL_INSTRUCTION,
                                             access.fault.cause))]

    def _dispatched_state(self, m: Module, check: "_Check"):
        """vill, SEW and LMUL (vtype's codes) and vstart as the instructions dispatched so
        far left them: what WB's instruction will run with; and as WB's instruction
        (``check``: this engine's when ``check.valid``), once dispatched, leaves them:
        what MEM's will run with (`_judge_in_mem`). Returns both. WB's operands are the
        engine's copies (``check.rs1``, ``rs2``: the dispatch port's, registered from MEM's
        beside the core's), so that the verdict's path starts in the engine."""
        pipe = self.pipe
        dispatching = pipe.dispatch.valid & pipe.dispatch.ready
        vill = Signal(name="dispatched_vill", init=1)  # (reset: vill, spec 3.11)
        sew = Signal(2, name="dispatched_sew")
        vlmul = Signal(3, name="dispatched_vlmul")
        vstart = Signal(_log2(self.vlen), name="dispatched_vstart")
        after = (Signal(name="after_wb_vill"), Signal(2, name="after_wb_sew"),
                 Signal(3, name="after_wb_vlmul"), Signal.like(vstart, name="after_wb_vstart"))
        insn, uop = check.insn, check.uop
        new_vtype = Signal(32, name="dispatched_vtype")
        m.d.comb += new_vtype.eq(_requested_vtype(insn, check.rs2, uop))
        sets_vtype = check.valid & ((uop.kind == Kind.SET_VL) | (uop.kind == Kind.SET_VL_IMM))
        m.d.comb += [after[0].eq(Mux(sets_vtype, ~_vtype_legal_hook(new_vtype), vill)),
                     after[1].eq(Mux(sets_vtype, new_vtype[3:5], sew)),
                     after[2].eq(Mux(sets_vtype, new_vtype[:3], vlmul)),
                     after[3].eq(vstart)]
        source = Mux(uop.form == Form.VI, insn[15:20], check.rs1)
        written = csr_result(m, uop.sub, vstart, source, "dispatched_vstart_new")
        with m.If(check.valid):
            with m.If(uop.kind != Kind.CSR):  # (every other one ends at vstart 0)
                m.d.comb += after[3].eq(0)
            with m.Elif((insn[20:32] == CSR_VSTART) & csr_writes(uop.sub, insn[15:20])):
                m.d.comb += after[3].eq(written)
        with m.If(dispatching):
            m.d.sync += [mine.eq(new) for mine, new in zip((vill, sew, vlmul, vstart), after)]
        return (vill, sew, vlmul, vstart), after

    def _sequencer(self, m: Module, role: str, queue, vstate: VectorState,
                   vrf: RegisterFilePorts, slot: Slot, head_touched, head_writes,
                   head_alone, port) -> Sequencer:
        """One sequencer: ``role`` "alu" (everything but loads and stores) or "lsu"
        (loads and stores, on the memory port).

        The sequencer's front decides, cycle by cycle, what each beat writes and
        reports (``commit``, a record of the port's layout, and the write port's row and
        bytes); its back end (`_BackEnd`) does it `delay` cycles later, with the beat's
        value, which the lanes' pipeline delivers then: `lane_stages` cycles for the
        arithmetic sequencer, none for loads and stores."""
        arithmetic = role == "alu"
        delay = self.lane_stages if arithmetic else 0
        commit = Signal.like(port, name=f"{role}_record")
        back = _BackEnd(role, delay, self.vlen)
        pipe = self.pipe
        lanes, bpr, pb = self.lanes, self.beats_per_reg, self.beat_bytes
        vlen, vlenb = self.vlen, self.vlenb
        vstart, v0 = vstate.vstart, vstate.v0
        # vl and vtype as the instruction was taken (a vset{i}vl{i} may change them while
        # it runs: `_issue`)
        vl = Signal.like(vstate.vl, name=f"{role}_vl")
        vtype = Signal.like(vstate.vtype, name=f"{role}_vtype")
        with m.If(slot.take):
            m.d.sync += [vl.eq(vstate.vl), vtype.eq(vstate.vtype)]

        # ---- the instruction being executed ----
        fsm = Signal(State, name=f"{role}_state")
        current = Signal(DISPATCH, name=f"{role}_insn")
        uop = Signal(UOP, name=f"{role}_uop")  # (decoded at dispatch: `PREDECODED`)
        head = Signal(queue_entry(PREDECODED), name=f"{role}_head")
        m.d.comb += head.eq(queue.r_data)
        insn = current.insn
        rd = insn[7:12]
        vd, vs1, vs2 = insn[7:12], insn[15:20], insn[20:25]
        unmasked = insn[25]
        # between take and the last cycle (which may take the next instruction)
        running = Signal(name=f"{role}_running")
        finishing = Signal(name=f"{role}_finishing")  # this is the last cycle (`finish`)
        # ... and the next instruction may start in it: the streaming states' ends only
        # (`finish`), so that the issue decision (and the register-file rows and queue
        # pop behind it) waits for no permutation, element stream or segment logic
        frees = Signal(name=f"{role}_frees")
        m.d.comb += running.eq((fsm != State.IDLE) & (fsm != State.DONE) & ~frees)
        touched = Signal(32, name=f"{role}_touched_regs")
        written = Signal(32, name=f"{role}_written_regs")  # (of `touched`: vd's group)
        alone = Signal(name=f"{role}_runs_alone")
        m.d.comb += [slot.free.eq(~running),
                     slot.touched.eq(Mux(running, touched, 0) | back.pending),
                     slot.pending.eq(back.pending),
                     slot.alone.eq(running & alone)]

        # the head taken without a START cycle, a load asking for its first word then
        # (driven by `_quick_start`; the memory stream uses them)
        quick_now = Signal(name=f"{role}_quick_start")
        quick_load = Signal(name=f"{role}_quick_load")
        sew_code = Signal(2, name=f"{role}_sew")
        m.d.comb += sew_code.eq(vtype[3:5])
        # element-wise widening: vd's 2*SEW beats drive the sequencer (a widening
        # reduction's first pass goes over its SEW source, as the others do)
        widening = Signal(name=f"{role}_widening")
        m.d.comb += widening.eq((uop.kind == Kind.ARITH) & uop.widen)
        # a .wv narrowing op: two cycles a beat (NARROW_SHIFTS, then EXECUTE)
        wv_narrowing = Signal(name=f"{role}_wv_narrowing")
        m.d.comb += wv_narrowing.eq((uop.kind == Kind.ARITH) & uop.narrow
                                    & (uop.form == Form.VV))
        # The instruction's shape, a function of the instruction, vl and vtype alone: the
        # element width (``eew_code``), the body's length in elements (vl, whole
        # registers' worth for vl<n>r and vmv<n>r, or a mask access's bytes for vlm.v
        # and vsm.v), its bytes (``group_bytes``) and registers (``body_regs``), and a
        # segment access's bytes over all its fields (``span_bytes``). Computed from the
        # queue's head as it is taken (and again when a fault-only-first load trims vl)
        # and held in registers: every beat's element masks compare against the length,
        # and computing it from the instruction each cycle was the load/store
        # sequencer's critical path.
        shape = _Shape(Signal(2, name=f"{role}_eew"),
                       Signal(range(8 * vlenb + 1), name=f"{role}_length"),
                       Signal(range(8 * vlenb + 1), name=f"{role}_group_bytes"),
                       Signal(range(9), name=f"{role}_body_regs"),
                       Signal(range(64 * vlenb + 1), name=f"{role}_span_bytes"))
        eew_code, length, group_bytes, body_regs, span_bytes = shape
        head_shape = self._shape(m, role, head.dispatched.insn, head.predecoded.uop,
                                 vstate.vl, vstate.vtype)
        with m.If(slot.take):
            m.d.sync += shape.load(head_shape)
        old_vd = vrf.read_data[0]  # vd (undisturbed bytes, stores' data)
        src2, src1 = (vrf.read_data[1], vrf.read_data[2]) if arithmetic else (0, 0)
        if not arithmetic:
            # an indexed access reads vd's beat once, at the beat's start, and its one
            # read port then serves the index rows of vs2 (`_element_stream`)
            held = Signal(32 * lanes, name="lsu_held_beat")
            with m.If(fsm == State.INDEX_BEAT):
                m.d.sync += held.eq(vrf.read_data[0])
            old_vd = Signal(32 * lanes, name="lsu_beat_data")
            # (a segment access reads each field's row when it needs it: SEG_FETCH)
            m.d.comb += old_vd.eq(Mux(uop.indexed & ~uop.segment, held, vrf.read_data[0]))
        # a segment access's field (nf = insn[29:32] + 1), and its group's registers
        field = Signal(3, name=f"{role}_field")
        nf = Signal(4, name=f"{role}_nf")
        m.d.comb += nf.eq(segment_fields(insn, uop))
        data_log = Signal(range(-8, 8), name=f"{role}_data_emul")  # log2 of its EMUL
        m.d.comb += data_log.eq(vtype[:3].as_signed() + eew_code - sew_code)
        regs_log = Signal(2, name=f"{role}_field_regs")  # (a fractional EMUL: 1 register)
        m.d.comb += regs_log.eq(Mux(data_log < 0, 0, data_log))

        # ---- beat bookkeeping ----
        beat = Signal(range(8 * bpr + 1), name=f"{role}_beat")  # beat within the group
        # the beat of the next cycle: the states set it (`beat` follows it), and v0's
        # bits for it are selected a cycle ahead (``mask_bits``)
        beat_next = Signal.like(beat, name=f"{role}_beat_next")
        # (the states say which: the flags select v0's bits, a compare of beat_next's
        # value had sat behind its multiplexers)
        beat_moves = Signal(name=f"{role}_beat_moves")  # the next cycle: beat + 1
        beat_restarts = Signal(name=f"{role}_beat_restarts")  # ... beat 0 (wins)
        m.d.comb += beat_next.eq(Mux(beat_restarts, 0, Mux(beat_moves, beat + 1, beat)))
        m.d.sync += beat.eq(beat_next)
        beats = Signal(range(8 * bpr + 1), name=f"{role}_beats")  # of body registers
        beat_offset = Signal(range(8 * vlenb))  # the beat's first byte in the group
        m.d.comb += beat_offset.eq(beat * pb)
        # per byte of the beat: its element, body and mask bits
        active = Signal(pb, name=f"{role}_active")
        # vmerge, vadc/vsbc, vmadc/vmsbc: every body element is written (v0 picks the
        # source, or holds carries)
        every = Signal()
        m.d.comb += every.eq(unmasked | uop.carry
                             | ((uop.kind == Kind.ARITH) & (uop.op == AluOp.MERGE)))
        carry_in = Signal(pb, name=f"{role}_carry_in")  # per byte: its element's v0 carry
        # vcompress writes only the elements it fills (`_permute`)
        unfilled = Signal(pb, name=f"{role}_unfilled")
        # vslideup leaves vd[i] alone below the offset (rs1 or uimm5), taken from the head
        # into a register, saturated at the largest group's element count (its 32-bit
        # compare against every byte's element sat on the path into the read rows)
        floor = Signal(range(8 * vlenb + 1), name=f"{role}_floor")
        if arithmetic:
            head_uop, head_insn = head.predecoded.uop, head.dispatched.insn
            slide_up = ((head_uop.kind == Kind.PERMUTE)
                        & (head_uop.sub == PERMUTES.index("vslideup")))
            offset = Mux(head_uop.form == Form.VX, head.dispatched.rs1, head_insn[15:20])
            with m.If(slot.take):
                m.d.sync += floor.eq(Mux(slide_up, Mux(offset >= 8 * vlenb, 8 * vlenb, offset),
                                         0))
        # per byte: its element's v0 bit. Selected a cycle ahead for the beat and element
        # width of the next cycle and registered: v0's word for the beat, behind the
        # element activity, was the root of the engine's deepest paths. (The issue check
        # keeps an instruction that touches v0 from starting in the cycle a write to v0
        # lands, `_BackEnd`, which this register would miss.)
        mask_bits = Signal(pb, name=f"{role}_beat_v0")
        beat_bits = _log2(8 * bpr)

        def bits_for(beat_value, size_code):
            return _beat_mask_bits(v0, beat_value[:beat_bits], size_code, pb)
        beat_after = beat + 1
        m.d.sync += mask_bits.eq(
            Mux(slot.take, bits_for(Const(0, beat_bits), head_shape.eew_code),
                Mux(beat_restarts, bits_for(Const(0, beat_bits), eew_code),
                    Mux(beat_moves, bits_for(beat_after, eew_code),
                        bits_for(beat, eew_code)))))
        # The element bounds in bytes of the group, from registers: byte b's element
        # b >> eew is below the length exactly when b is below the body's bytes, and from
        # vstart (or the slide's floor) exactly when b is from vstart << eew. Each byte
        # compares its own index (the beat's, and its place in the beat: no adder) with
        # them, not its element's index (an add and a shift per byte, on the path from
        # vstart through the element activity).
        start_bytes = Signal(range(32 * vlenb), name=f"{role}_start_bytes")
        floor_bytes = Signal(range(32 * vlenb + 1), name=f"{role}_floor_bytes")
        first_bytes = Signal(range(5), name=f"{role}_first_bytes")  # element 0's bytes
        m.d.comb += [start_bytes.eq(Mux(uop.first_only, 0, shl(vstart, eew_code))),
                     floor_bytes.eq(shl(floor, eew_code)),
                     first_bytes.eq(shl(Const(1, 1), eew_code))]
        for j in range(pb):
            byte_index = Cat(Const(j, _log2(pb)), beat)  # (beat_offset + j)
            mask_bit = mask_bits[j]
            m.d.comb += carry_in[j].eq(mask_bit & ~unmasked)
            # (vmv.s.x writes element 0 whenever vstart < vl, spec 16.1)
            m.d.comb += active[j].eq((byte_index < group_bytes) & (byte_index >= start_bytes)
                                     & (byte_index >= floor_bytes) & ~unfilled[j]
                                     & (every | mask_bit)
                                     & ~(uop.first_only & ((byte_index >= first_bytes)
                                                           | (vstart >= length))))
        last_of_reg = Signal()
        m.d.comb += last_of_reg.eq((beat % bpr) == bpr - 1)
        reg_in_group = Signal(range(8))
        m.d.comb += reg_in_group.eq(beat >> _log2(bpr) if bpr > 1 else beat)

        # ---- the beat's new value: lanes (arithmetic), or memory words (loads) ----
        new_value = Signal(32 * lanes, name=f"{role}_new_value")
        out_value = Signal(32 * lanes, name=f"{role}_out_value")
        out_bytes = Signal(pb)
        phase_b = Signal()  # reductions, compares, mask logic: the destination's pass
        m.d.comb += phase_b.eq(fsm == State.WB_EXECUTE)
        # a first pass gathers a result: reductions, compares, mask scans
        gathers = Signal(name=f"{role}_gathers")
        if arithmetic:
            # a .wv narrowing beat's shift amounts (vs1's beat), held from NARROW_SHIFTS
            shifts = Signal(32 * lanes, name="alu_narrow_shifts")
            with m.If(fsm == State.NARROW_SHIFTS):
                m.d.sync += shifts.eq(src1)
            scalar, lane_result, lanes_saturated, indices = self._lanes(
                m, current, uop, sew_code, beat, beat_offset, mask_bits, old_vd, src2,
                src1, shifts, vstate.vxrm)
            beat_source = indices
            m.d.comb += gathers.eq((uop.kind == Kind.REDUCE) | (uop.kind == Kind.COMPARE)
                                   | ((uop.kind == Kind.MASK_SCAN) & (fsm != State.IOTA)))
            destination = self._gather(m, uop, fsm, beat, beat_offset, sew_code, vl, vstate,
                                       unmasked, active, old_vd, src2, src1, scalar, gathers,
                                       carry_in, slot.free, delay)
            wb_new, wb_bytes, scan = destination.value, destination.bytes, destination.scan
            draining = destination.draining
            # An element-wise beat's value comes from the lanes `delay` cycles later, a
            # reduction's result from its tree then too: the back end merges them with
            # vd's old bytes (and sees the lanes' saturation). Every other source is
            # ready now.
            executing = (fsm == State.EXECUTE) & (uop.kind == Kind.ARITH)
            from_lanes = Signal(name="alu_from_lanes")
            from_tree = Signal(name="alu_from_tree")
            m.d.comb += [from_lanes.eq(executing & (uop.op != AluOp.INDEX)),
                         from_tree.eq(phase_b & (uop.kind == Kind.REDUCE))]
            late_active = back.late(m, active, "active")
            late_old = back.late(m, old_vd, "old_vd")
            late_enable = back.late(m, destination.enable, "reduction_enable")
            merged = Cat(*(Mux(late_active[j], lane_result[8 * j:8 * j + 8],
                               late_old[8 * j:8 * j + 8]) for j in range(pb)))
            reduced = (late_old & ~late_enable) | (destination.result & late_enable)
            back.late_value = Signal(32 * lanes, name="alu_late_value")
            m.d.comb += back.late_value.eq(
                Mux(back.late(m, from_lanes, "from_lanes"), merged,
                    Mux(back.late(m, from_tree, "from_tree"), reduced,
                        back.late(m, out_value, "out_value"))))
            back.late_saturated = Signal(name="alu_late_saturated")
            m.d.comb += back.late_saturated.eq(back.late(m, executing, "executing")
                                               & (lanes_saturated & late_active).any())
            beat_source = Mux(fsm == State.IOTA, scan.iota, beat_source)
            perm = self._permute(m, current, uop, fsm, beat_offset, sew_code, vl, vtype,
                                 active, src2, src1, scalar)
            permuting = ((fsm == State.PERM_INDEX) | (fsm == State.PERM_HOLD)
                         | (fsm == State.PERM_FETCH) | (fsm == State.PERM_PLACE)
                         | (fsm == State.PERM_WRITE))
            beat_source = Mux(permuting, perm.placed, beat_source)
            m.d.comb += unfilled.eq(perm.unfilled)
            divider = self._divide(m, uop, fsm, sew_code, src2,
                                   Mux(uop.form == Form.VV, src1, scalar.replicate(lanes)))
            beat_source = Mux(fsm == State.DIVIDE, divider.result, beat_source)
        else:
            wb_new, wb_bytes = 0, 0
            probe = self._first_fault(m, current, uop, fsm, eew_code, nf, span_bytes, vstate,
                                      unmasked)
            stream = self._memory_stream(
                m, current, fsm, beat, beats, active, old_vd,
                first_load=(uop.kind == Kind.LOAD) & ~uop.strided & (body_regs != 0)
                & ~probe.needed, quick_load=quick_load, quick_base=head.dispatched.rs1)
            elements = self._element_stream(m, current, uop, fsm, eew_code, beat_offset,
                                            active, old_vd, vrf.read_data[0], field, nf,
                                            length, span_bytes)
            # (a segment load's report pass reports what its elements wrote)
            beat_source = Mux(fsm == State.SEG_REPORT, old_vd,
                              Mux(uop.strided, elements.gathered, stream.loaded))
        for j in range(pb):
            byte = slice(8 * j, 8 * (j + 1))
            m.d.comb += new_value[byte].eq(Mux(active[j], beat_source[byte], old_vd[byte]))
        m.d.comb += [out_value.eq(Mux(phase_b, wb_new, new_value)),
                     out_bytes.eq(Mux(phase_b, wb_bytes, active))]

        # ---- the report of the register being written (and the memory it moved) ----
        # (what the back end does with its report_data/report_mask: `_BackEnd`)
        report_action = Signal(Report, name=f"{role}_report_action")
        report_mem = Signal(vlen, name=f"{role}_report_mem")
        store_mask = Signal(vlenb, name=f"{role}_store_mask")  # a store's moved bytes
        beat_in_reg = Signal(range(bpr))
        m.d.comb += beat_in_reg.eq(beat % bpr)
        full_mem = Signal(vlen)
        full_mask_store = Signal(vlenb)
        moved = Signal(32 * lanes)  # the bytes the memory access moves
        is_store = uop.kind == Kind.STORE
        mem_value = Mux(is_store, old_vd, new_value)
        for j in range(pb):
            byte = slice(8 * j, 8 * (j + 1))
            m.d.comb += moved[byte].eq(Mux(active[j], mem_value[byte], 0))
        m.d.comb += [full_mem.eq(report_mem), full_mask_store.eq(store_mask)]
        with m.Switch(beat_in_reg):
            for b in range(bpr):
                with m.Case(b):
                    m.d.comb += [
                        full_mem.word_select(b, 32 * lanes).eq(moved),
                        full_mask_store.word_select(b, pb).eq(active),
                    ]
        m.d.comb += commit.order.eq(current.order)
        group_reg = Signal(5)
        # the group's first register: vd, or a segment access's field's
        first_reg = vd if arithmetic else _field_group(vd, field, regs_log)
        m.d.comb += group_reg.eq(first_reg + reg_in_group)
        reg_span = Signal(range(8 * vlenb + 1))  # bytes of this register in the body
        m.d.comb += reg_span.eq(group_bytes - reg_in_group * vlenb)

        def report_register() -> None:
            """At a register's last beat: its VWrite and memory access, if any bytes."""
            is_memory = (uop.kind == Kind.LOAD) | is_store
            mem_mask = Signal(vlenb, name=f"{role}_mem_mask")
            # (a load's bytes: the back end's mask, the same cycle's at the load/store
            # sequencer's delay 0)
            m.d.comb += mem_mask.eq(Mux(is_store, full_mask_store, back.full_mask))
            m.d.comb += [  # (v.valid: "report vd's register"; its data and mask, and
                # whether any byte was written, the back end's)
                commit.valid.eq(1), commit.v.valid.eq(~is_store), commit.v.reg.eq(group_reg),
            ]
            with m.If(~uop.strided):  # (a strided access reports its elements instead)
                m.d.comb += [
                    commit.mem.valid.eq(is_memory & mem_mask.any()),
                    commit.mem.addr.eq(current.rs1 + reg_in_group * vlenb),
                    commit.mem.size.eq(Mux(reg_span > vlenb, vlenb, reg_span)),
                    commit.mem.write.eq(is_store),
                    commit.mem.data.eq(full_mem), commit.mem.mask.eq(mem_mask),
                ]

        group_row = Signal(range(32 * bpr))
        # the write port as the front drives it (`back` carries it out)
        write = RegisterWrite(Signal(range(32 * bpr), name=f"{role}_front_row"),
                              Signal(32 * lanes, name=f"{role}_front_data"),
                              Signal(pb, name=f"{role}_front_bytes"))
        m.d.comb += [group_row.eq(vd * bpr + beat), write.row.eq(group_row),
                     write.data.eq(out_value)]

        def rows_at(read_beat, case: str) -> list:
            """The ports' rows if the next cycle works on beat `read_beat`."""
            rows = [Signal(range(32 * bpr), name=f"{role}_rows{p}_{case}")
                    for p in range(len(vrf.read_rows))]
            m.d.comb += rows[0].eq(vd * bpr + read_beat)
            if arithmetic:  # (narrowing: vs2's two beats for one of vd's; widening: a
                # SEW source's beat for two of vd's, and the .w forms' vs2 beat by beat;
                # permutations: the rows of an element's source and index)
                with m.If(uop.kind == Kind.PERMUTE):
                    m.d.comb += [rows[1].eq(vs2 * bpr + perm.source_row),
                                 rows[2].eq(vs1 * bpr + perm.index_row)]
                with m.Elif(uop.narrow):  # (.wv: vs1's beat first, for NARROW_SHIFTS)
                    fetch_shifts = wv_narrowing & (fsm != State.NARROW_SHIFTS)
                    m.d.comb += [rows[1].eq(vs2 * bpr + 2 * read_beat),
                                 rows[2].eq(Mux(fetch_shifts, _shift_row(vs1, read_beat, bpr),
                                                vs2 * bpr + 2 * read_beat + 1))]
                with m.Elif(uop.extend != 0):  # vzext/vsext: vs2's beat for 2 or 4 of vd's
                    m.d.comb += rows[1].eq(vs2 * bpr + (read_beat >> uop.extend))
                with m.Elif(widening):
                    m.d.comb += [rows[1].eq(vs2 * bpr + Mux(uop.wide_vs2, read_beat,
                                                            read_beat >> 1)),
                                 rows[2].eq(vs1 * bpr + (read_beat >> 1))]
                with m.Else():
                    m.d.comb += [rows[1].eq(vs2 * bpr + read_beat),
                                 rows[2].eq(vs1 * bpr + read_beat)]
            else:  # an indexed access: the next element's index row, unless a beat follows
                with m.If(uop.segment):  # the field's row; the report pass's next one
                    last_beat = beat + 1 == beats
                    following = _field_group(vd, field + last_beat, regs_log)
                    m.d.comb += rows[0].eq(Mux(
                        fsm == State.SEG_REPORT,
                        following * bpr + Mux(last_beat, 0, beat + 1), first_reg * bpr + beat))
                with m.If(elements.reads_index):
                    m.d.comb += rows[0].eq(vs2 * bpr + elements.index_row)
            return rows

        # ---- register file addresses: reads for the beat of the next cycle ----
        # Each port's row for the three beats the next cycle can work on (this one, the
        # next, the destination pass's first) is computed from registers, and whether
        # the beat moves on selects among them last: `advance` is decided late (a
        # permutation's last element, a load's word arriving), and a row computed after
        # it was the engine's deepest path (v0's bits through the element activity,
        # `advance`, the row's adders into the register file's address and bypass).
        advance = Signal(name=f"{role}_advance")  # moves on to the next beat (`next_beat`)
        to_destination = Signal(name=f"{role}_to_destination")  # a gather's last beat:
        # the destination pass comes next, from vd's first beat
        rows_stay, rows_next, rows_destination = (
            rows_at(beat, "stay"), rows_at(beat + 1, "next"), rows_at(0, "destination"))
        for read_row, stay, nxt, dest in zip(vrf.read_rows, rows_stay, rows_next,
                                             rows_destination):
            m.d.comb += read_row.eq(Mux(to_destination, dest, Mux(advance, nxt, stay)))

        # Element-wise, reduction and compare instructions, and unit-stride loads and
        # stores, start without their START cycle: the first beat's rows are read in the
        # take cycle (the last of the instruction before, whose reads are done), a load's
        # first word asked for then, and the beats counted from the head (`_quick_start`).
        quick = self._quick_start(m, head, vstate, vrf, slot, quick_now, quick_load,
                                  None if arithmetic else stream.port_free,
                                  head_shape)

        # ---- the sequencer ----
        def next_beat() -> None:
            m.d.comb += [advance.eq(1), beat_moves.eq(1)]
            with m.If(last_of_reg):
                m.d.comb += report_action.eq(Report.CLEAR)
                m.d.sync += [report_mem.eq(0), store_mask.eq(0)]
            with m.Else():
                m.d.comb += report_action.eq(Report.ACCUMULATE)
                m.d.sync += [report_mem.eq(full_mem), store_mask.eq(full_mask_store)]
            with m.If((beat + 1 == beats) & gathers):  # then write the destination,
                # whose first beat the read ports fetch now (`to_destination`)
                m.d.comb += [to_destination.eq(1), report_action.eq(Report.CLEAR),
                             beat_restarts.eq(1)]
                m.d.sync += fsm.eq(State.WB_EXECUTE)
            if not arithmetic:
                with m.Elif((beat + 1 == beats) & is_store & (stream.shift != 0)):
                    m.d.sync += fsm.eq(State.STORE_TAIL)
            with m.Elif(beat + 1 == beats):
                finish()

        v0_write = Signal(name=f"{role}_v0_write")

        def write_v0() -> None:
            """Keep the copy of v0 in step with its register's beats (written once, below
            the state machine: one write port on the copy, not one for each state)."""
            m.d.comb += v0_write.eq(1)

        # Whether a `finish` the elaboration reaches now frees the sequencer for the next
        # instruction in the same cycle (`frees`): false in the `SLOW_ENDS` states (set
        # by `state_case`), true elsewhere.
        ends_free = [True]

        @contextlib.contextmanager
        def state_case(state: State):
            """``m.Case(state)``, with `ends_free` for its `finish` calls."""
            with m.Case(state):
                ends_free[0] = state not in SLOW_ENDS
                try:
                    yield
                finally:
                    ends_free[0] = True

        def finish() -> None:
            """The instruction's last cycle: `last` on the commit port (with this cycle's
            report, if any), vxsat set if an element saturated (spec 12), vstart back to
            0 (spec 3.7), and the next instruction (now, or from IDLE: `ends_free`).
            (Both CSRs to report: vxsat now, vstart from DONE, a cycle later.)"""
            m.d.comb += [finishing.eq(1), commit.valid.eq(1), commit.last.eq(1)]
            if ends_free[0]:
                m.d.comb += frees.eq(1)
            m.d.sync += fsm.eq(State.IDLE)
            resets_vstart = (uop.kind != Kind.CSR) & (vstart != 0)

            def reset_vstart() -> None:
                m.d.comb += [commit.csr.valid.eq(1), commit.csr.csr.eq(CSR_VSTART),
                             commit.csr.value.eq(0)]
                m.d.sync += vstart.eq(0)
            if arithmetic:
                # vxsat is reported with the last beat by the back end, which sees the
                # lanes' saturation; vstart's reset then needs a record of its own
                # (DONE's), so that one record carries one CSR
                with m.If(fsm != State.DONE):
                    m.d.comb += back.vxsat_slot.eq(1)
                    with m.If(resets_vstart):  # (not finishing yet: no take this cycle)
                        m.d.comb += [finishing.eq(0), frees.eq(0), commit.last.eq(0)]
                        m.d.sync += fsm.eq(State.DONE)
                with m.Elif(resets_vstart):
                    reset_vstart()
            else:
                with m.If(resets_vstart):
                    reset_vstart()
            # The queue's head may start in this cycle (``slot.take``, which the issue
            # logic sets only when the sequencer is finishing or idle): `start`, one
            # block below the state machine, not one for each state an instruction can
            # end in.

        def start() -> None:
            """Start the queue's head, if the issue logic gives it to this sequencer (after
            every other statement: the new instruction's start wins)."""
            with m.If(slot.take):
                m.d.sync += [current.eq(head.dispatched), uop.eq(head.predecoded.uop),
                             fsm.eq(State.START),
                             touched.eq(head_touched), written.eq(head_writes),
                             alone.eq(head_alone), report_mem.eq(0), store_mask.eq(0)]
                m.d.comb += [report_action.eq(Report.CLEAR), beat_restarts.eq(1)]
                if not arithmetic:
                    m.d.sync += (stream.restart + elements.restart + probe.restart
                                 + [field.eq(0)])
                with m.If(quick_now):
                    m.d.sync += [fsm.eq(quick.state), beats.eq(quick.beats)]
                    if not arithmetic:
                        with m.If(quick_load):
                            m.d.sync += stream.first_request

        def execute_beat() -> None:
            """An element-wise beat (or a load's): write, report at a register's end."""
            m.d.comb += write.bytes.eq(active)
            write_v0()
            with m.If(last_of_reg | (beat + 1 == beats)):
                report_register()
            next_beat()

        self._watch[role] = [(current, "insn"), fsm, beat, touched]
        if arithmetic:
            result, csr_old, csr_new, writes_csr, next_vl, legal, new_vtype = \
                self._scalar_side(m, current, uop, vstate)
            complete = pipe.complete
            m.d.comb += [complete.payload.order.eq(current.order),
                         complete.payload.rd.eq(rd), complete.payload.value.eq(result)]

        with m.Switch(fsm):
            with state_case(State.IDLE):
                pass  # (the queue's head may start: `start`)
            with state_case(State.START):
                # (a mask scan's first pass: the one register of vs2)
                m.d.sync += beats.eq(Mux(uop.kind == Kind.MASK_SCAN, bpr,
                                         self._pass_beats(uop.kind, shape)))
                empty = body_regs == 0
                with m.Switch(uop.kind):
                    if arithmetic:
                        with m.Case(Kind.SET_VL, Kind.SET_VL_IMM):
                            # vl reported now, vtype next cycle (one CSR a beat)
                            m.d.comb += [commit.valid.eq(1), commit.csr.valid.eq(1),
                                         commit.csr.csr.eq(CSR_VL), commit.csr.value.eq(next_vl)]
                            m.d.sync += [vstate.vl.eq(next_vl),
                                         vstate.vtype.eq(Mux(legal, new_vtype, VILL)),
                                         result.eq(next_vl), fsm.eq(State.CONFIG_VTYPE)]
                        with m.Case(Kind.ARITH, Kind.REDUCE, Kind.COMPARE):
                            # (widening at SEW 32 and vzext/vsext from below 8 bits
                            # trap in WB: `_judge_in_mem`)
                            m.d.sync += fsm.eq(Mux(empty, State.DONE,
                                                   Mux(wv_narrowing, State.NARROW_SHIFTS,
                                                       State.EXECUTE)))
                        with m.Case(Kind.TO_SCALAR):
                            m.d.sync += fsm.eq(State.EXECUTE)
                        with m.Case(Kind.MASK_SCAN):  # (vl = 0: viota writes nothing;
                            # vcpop and vfirst scan to a result, 0 and -1)
                            viota = uop.sub == MASK_SCANS.index("viota")
                            m.d.sync += fsm.eq(Mux(empty & viota, State.DONE, State.EXECUTE))
                        with m.Case(Kind.MASK_LOGIC):  # (START read the first beat)
                            m.d.sync += fsm.eq(Mux(vl == 0, State.DONE, State.WB_EXECUTE))
                        with m.Case(Kind.PERMUTE):
                            m.d.sync += fsm.eq(Mux(empty, State.DONE, perm.first_state))
                        with m.Case(Kind.DIVIDE):
                            m.d.sync += fsm.eq(Mux(empty, State.DONE, State.DIVIDE))
                        with m.Case(Kind.CSR):
                            m.d.sync += fsm.eq(State.CSR)
                    else:
                        with m.Case(Kind.STORE):
                            m.d.sync += fsm.eq(Mux(empty, State.DONE, Mux(
                                uop.indexed, State.INDEX_BEAT, Mux(
                                    uop.segment, State.SEG_FETCH, Mux(
                                        uop.strided, State.SCATTER, State.STORE)))))
                        with m.Case(Kind.LOAD):
                            m.d.sync += fsm.eq(Mux(probe.needed, State.PROBE, Mux(
                                empty, State.DONE, Mux(
                                    uop.indexed, State.INDEX_BEAT, Mux(
                                        uop.strided, State.GATHER, State.LOAD)))))
                    with m.Default():
                        m.d.sync += fsm.eq(State.DONE)
            if arithmetic:
                with state_case(State.CONFIG_VTYPE):
                    m.d.comb += [commit.valid.eq(1), commit.csr.valid.eq(1),
                                 commit.csr.csr.eq(CSR_VTYPE), commit.csr.value.eq(vstate.vtype)]
                    # nothing to hand over: done (a vset a 2 cycles), unless vstart's
                    # reset is to be reported too (a beat of its own: COMPLETE's finish)
                    with m.If((rd == 0) & (vstart == 0)):
                        finish()
                    with m.Else():
                        m.d.sync += fsm.eq(State.COMPLETE)
                with state_case(State.EXECUTE):
                    with m.If(uop.kind == Kind.TO_SCALAR):
                        element = src2[:32]
                        with m.Switch(sew_code):
                            with m.Case(0):
                                m.d.sync += result.eq(element[:8].as_signed())
                            with m.Case(1):
                                m.d.sync += result.eq(element[:16].as_signed())
                            with m.Default():
                                m.d.sync += result.eq(element)
                        m.d.sync += fsm.eq(State.COMPLETE)
                    with m.Elif(gathers):  # first pass: gather (`_gather`)
                        next_beat()
                        with m.If((beat + 1 == beats) & (uop.kind == Kind.MASK_SCAN)):
                            # vcpop/vfirst: the scalar; viota: an element-wise pass
                            with m.If(uop.sub <= MASK_SCANS.index("vfirst")):
                                m.d.sync += fsm.eq(State.SCAN_TOTAL)
                            with m.Elif(uop.sub == MASK_SCANS.index("viota")):
                                m.d.sync += [fsm.eq(State.IOTA_READ),
                                             beats.eq(body_regs * bpr)]
                    with m.Else():
                        with m.If(wv_narrowing):  # (the last beat: finish() overrides)
                            m.d.sync += fsm.eq(State.NARROW_SHIFTS)
                        execute_beat()
                with state_case(State.NARROW_SHIFTS):
                    m.d.sync += fsm.eq(State.EXECUTE)
                with state_case(State.SCAN_TOTAL):  # (the last beat's bits counted now)
                    with m.If(~scan.pending):
                        m.d.sync += [result.eq(scan.scalar), fsm.eq(State.COMPLETE)]
                with state_case(State.COMPLETE):
                    # rd = x0 (vsetvli zero, ...; csrwi): nothing to hand over, so no
                    # wait for a cycle in which WB leaves the register file free
                    with m.If(rd == 0):
                        finish()
                    with m.Else():
                        m.d.comb += complete.valid.eq(1)
                        with m.If(complete.ready):
                            m.d.sync += fsm.eq(State.DONE)
                with state_case(State.IOTA_READ):
                    m.d.sync += fsm.eq(State.IOTA)
                with state_case(State.IOTA):
                    execute_beat()

                def next_element() -> None:
                    """A permutation moves on to the next element of vd; after the beat's
                    last, the beat is written and reported (`execute_beat`)."""
                    m.d.sync += [perm.slot.eq(perm.slot + 1), fsm.eq(perm.first_state)]
                    m.d.sync += perm.step
                    with m.If(perm.last_slot):
                        m.d.sync += [perm.slot.eq(0)] + perm.clear
                        execute_beat()  # (after: its finish() sets the state last)

                def skip_element() -> None:
                    """An inactive element: the next one, or, the beat's last, PERM_WRITE
                    (whether an element is active decides no write here)."""
                    with m.If(perm.last_slot):
                        m.d.sync += fsm.eq(State.PERM_WRITE)
                    with m.Else():
                        m.d.sync += [perm.slot.eq(perm.slot + 1), fsm.eq(perm.first_state)]
                        m.d.sync += perm.step

                with state_case(State.DIVIDE):
                    with m.If(divider.beat_done):
                        execute_beat()
                with state_case(State.PERM_INDEX):
                    with m.If(perm.element_active):
                        m.d.sync += fsm.eq(perm.after_index)
                    with m.Else():
                        skip_element()
                with state_case(State.PERM_HOLD):
                    m.d.sync += perm.hold + [fsm.eq(State.PERM_FETCH)]
                with state_case(State.PERM_FETCH):
                    with m.If(perm.element_active & perm.skip_source):  # (vcompress)
                        m.d.sync += perm.skip + [fsm.eq(State.PERM_INDEX)]
                    with m.Elif(perm.element_active):
                        m.d.sync += perm.fetch + [fsm.eq(State.PERM_PLACE)]
                    with m.Else():
                        skip_element()
                with state_case(State.PERM_PLACE):
                    m.d.sync += perm.place
                    with m.If(perm.last_slot):  # the beat is written from the buffer
                        m.d.sync += fsm.eq(State.PERM_WRITE)
                    with m.Else():
                        next_element()
                with state_case(State.PERM_WRITE):
                    next_element()
                with state_case(State.WB_EXECUTE):  # one register: beats 0 .. bpr-1
                    with m.If(~draining):  # (a reduction's last beats still in the tree)
                        m.d.comb += [write.bytes.eq(wb_bytes), advance.eq(1),
                                     report_action.eq(Report.ACCUMULATE)]
                        write_v0()
                        m.d.comb += beat_moves.eq(1)
                        with m.If(beat == bpr - 1):
                            report_register()
                            finish()
                with state_case(State.CSR):  # (vxsat, vcsr: once the back end has set vxsat)
                    number = insn[20:32]
                    with m.If(~(back.earlier & ((number == CSR_VXSAT) | (number == CSR_VCSR)))):
                        self._csr(m, commit, current, uop, csr_new, writes_csr, vstate)
                        m.d.sync += [result.eq(csr_old), fsm.eq(State.COMPLETE)]
            else:
                with state_case(State.LOAD):
                    with m.If(stream.load_beat):  # a word that completes a beat
                        execute_beat()
                with state_case(State.STORE):
                    with m.If(stream.store_beat):  # the beat's lower word is written
                        with m.If(last_of_reg | (beat + 1 == beats)):
                            report_register()
                        next_beat()
                with state_case(State.STORE_TAIL):
                    with m.If(stream.tail_done):
                        finish()
                with state_case(State.PROBE):  # (the vl write: the instruction's first effect,
                    # as the interpreter records it)
                    with m.If(probe.trim):
                        m.d.comb += [commit.valid.eq(1), commit.csr.valid.eq(1),
                                     commit.csr.csr.eq(CSR_VL),
                                     commit.csr.value.eq(probe.index)]
                        m.d.sync += [vstate.vl.eq(probe.index), vl.eq(probe.index)]
                        # (the shape under the trimmed vl, for the load's new START)
                        m.d.sync += shape.load(self._shape(m, "lsu_trimmed", insn, uop,
                                                           probe.index, vtype))
                    with m.If(probe.trim | probe.last):
                        m.d.sync += probe.done + [fsm.eq(State.START)]
                    with m.Else():
                        m.d.sync += probe.step

                def next_element() -> None:
                    """On to the next element; after a beat's last, the beat is done
                    (a load writes it) and the sequencer moves on to the next (an
                    indexed access to its next element's index, or the next beat's
                    row)."""
                    m.d.sync += elements.step
                    with m.If(uop.indexed):
                        m.d.sync += fsm.eq(Mux(elements.last_of_beat, State.INDEX_BEAT,
                                               State.INDEX))
                    with m.If(elements.last_of_beat):
                        with m.If(uop.kind == Kind.LOAD):
                            execute_beat()
                        with m.Else():
                            with m.If(last_of_reg | (beat + 1 == beats)):
                                report_register()
                            next_beat()

                def segment_step() -> None:
                    """A segment access's field is done: on to the next field, or the
                    next element (an inactive one skips its fields at once, but in a
                    unit-stride access, whose chunks may end in any field); after the
                    last element, a load's report pass, a store's end."""
                    chunk = elements.chunk
                    with m.If(uop.span):  # the chunk so far, reported at its end
                        with m.If(chunk.last):
                            m.d.comb += [commit.valid.eq(1),
                                         commit.mem.valid.eq(chunk.mask.any()),
                                         commit.mem.addr.eq(chunk.addr),
                                         commit.mem.size.eq(chunk.size),
                                         commit.mem.write.eq(is_store),
                                         commit.mem.data.eq(chunk.data),
                                         commit.mem.mask.eq(chunk.mask)]
                            m.d.sync += chunk.clear
                        with m.Else():
                            m.d.sync += chunk.keep
                    fields_done = (field == nf - 1) | (~elements.active & ~uop.span)
                    next_field = Mux(is_store, State.SEG_FETCH, State.GATHER)
                    with m.If(~fields_done):
                        m.d.sync += [field.eq(field + 1), fsm.eq(next_field)]
                    with m.Else():
                        m.d.sync += elements.step + [
                            field.eq(0),
                            fsm.eq(Mux(uop.indexed, State.INDEX_BEAT, next_field))]
                        with m.If(elements.last_of_beat):
                            m.d.comb += beat_moves.eq(1)
                        with m.If((elements.number + 1 >= length)
                                  | (elements.last_of_beat & (beat + 1 == beats))):
                            with m.If(is_store):
                                finish()
                            with m.Else():
                                m.d.comb += [report_action.eq(Report.CLEAR),
                                             beat_restarts.eq(1)]
                                m.d.sync += fsm.eq(State.SEG_ROW)

                def element_done() -> None:
                    with m.If(uop.segment):
                        segment_step()
                    with m.Else():
                        next_element()

                def report_element() -> None:
                    m.d.comb += [commit.valid.eq(1), commit.mem.valid.eq(1),
                                 commit.mem.addr.eq(elements.addr),
                                 commit.mem.size.eq(elements.size),
                                 commit.mem.write.eq(is_store),
                                 commit.mem.data.eq(elements.value),
                                 commit.mem.mask.eq(elements.byte_mask)]

                with state_case(State.GATHER):
                    with m.If(elements.active):
                        with m.If(elements.requested):
                            m.d.sync += fsm.eq(State.GATHER_WAIT)
                    with m.Else():
                        element_done()
                with state_case(State.GATHER_WAIT):  # until the port answers (rvalid)
                    with m.If(self.mem.rvalid):
                        m.d.sync += fsm.eq(State.GATHER)
                        with m.If(~uop.span):
                            report_element()
                        with m.If(uop.segment):  # the field, into its group's row at once
                            position = elements.position
                            m.d.comb += [
                                write.row.eq(first_reg * bpr + beat),
                                write.data.eq(shifted(elements.value, position, 32 * lanes,
                                                      8, left=True)),
                                write.bytes.eq(shifted(elements.byte_mask, position, pb,
                                                       left=True))]
                        element_done()
                with state_case(State.INDEX_BEAT):
                    m.d.sync += fsm.eq(State.INDEX)
                with state_case(State.INDEX):  # (`_element_stream` takes the address)
                    with m.If(elements.active):
                        m.d.sync += fsm.eq(Mux(is_store, Mux(uop.segment, State.SEG_FETCH,
                                                             State.SCATTER), State.GATHER))
                    with m.Else():
                        element_done()
                with state_case(State.SEG_FETCH):  # (the read port addresses the field's row)
                    with m.If(elements.active):
                        m.d.sync += fsm.eq(State.SCATTER)
                    with m.Else():
                        element_done()
                with state_case(State.SCATTER):
                    with m.If(~elements.active):
                        element_done()
                    with m.Elif(elements.requested):
                        with m.If(~uop.span):
                            report_element()
                        element_done()
                with state_case(State.SEG_ROW):
                    m.d.sync += fsm.eq(State.SEG_REPORT)
                with state_case(State.SEG_REPORT):  # a beat of field `field`'s group
                    with m.If(field == 0):
                        write_v0()
                    last_beat = beat + 1 == beats
                    with m.If(last_of_reg | last_beat):
                        report_register()
                        m.d.comb += report_action.eq(Report.CLEAR)
                    with m.Else():
                        m.d.comb += report_action.eq(Report.ACCUMULATE)
                    with m.If(last_beat):
                        m.d.comb += beat_restarts.eq(1)
                        m.d.sync += field.eq(field + 1)
                        with m.If(field == nf - 1):
                            finish()
                    with m.Else():
                        m.d.comb += beat_moves.eq(1)
            with state_case(State.DONE):
                finish()
        busy = Signal(name=f"{role}_busy")
        m.d.comb += busy.eq(fsm != State.IDLE)
        # (a fault-only-first load counts its body when it starts after its probe)
        starting = ((fsm == State.START) & (~probe.needed if not arithmetic else 1)
                    | quick.first_cycle)
        start()
        v0_index = beat[:_log2(bpr)] if bpr > 1 else 0
        front = BeatRecord(write, commit, report_action, beat_in_reg, is_store, old_vd,
                           out_value, out_bytes,
                           v0_write & (vd == 0) & (beat < bpr), v0_index)
        back.connect(m, front, port, vrf, vstate, fsm != State.IDLE, finishing, written)
        return Sequencer(busy, _body_elements(m, role, starting, uop.kind, length, vstart),
                         busy & (uop.kind == Kind.STORE), back.busy)

    def _lanes(self, m: Module, current, uop, sew_code, beat, beat_offset, picks, old_vd,
               src2, src1, shifts, vxrm):
        """The lanes' ALUs on this beat. Returns the vx/vi scalar (replicated to every
        element), the beat's results and which of its bytes belong to saturated
        elements (fixed point), both `lane_stages` cycles later, and the beat's element
        indices (vid.v), now. A widening beat (2*SEW elements of
        vd) takes the half of the SEW sources' beat that `beat`'s parity selects; a
        vzext/vsext.vf2 beat the half of vs2's beat, a .vf4 beat the quarter `beat`'s
        low two bits select. A narrowing beat's 2*SEW elements are vs2's two beats (`src2`,
        `src1`); a .wv one's shift amounts are `shifts` (vs1's beat, held). `picks`: per
        byte, its element's v0 bit (the sequencer's; the ops that use it, vmerge and
        vadc/vsbc, are single-width, so their elements are SEW wide)."""
        lanes = self.lanes
        insn = current.insn
        scalar = Signal(32, name="alu_scalar")
        imm = Signal(32)
        m.d.comb += imm.eq(insn[15:20].as_signed())
        raw = Mux(uop.form == Form.VX, current.rs1, imm)
        with m.Switch(sew_code):
            with m.Case(0):
                m.d.comb += scalar.eq(raw[:8].replicate(4))
            with m.Case(1):
                m.d.comb += scalar.eq(raw[:16].replicate(2))
            with m.Default():
                m.d.comb += scalar.eq(raw)
        alu_result = Signal(32 * lanes)
        saturated = Signal(4 * lanes, name="alu_lanes_saturated")
        # widening (and vzext/vsext.vf2): the half of the sources' beat that makes this
        # beat of vd; .vf4: the quarter
        widening_a = Signal(16 * lanes, name="alu_widening_vs2")
        widening_b = Signal(16 * lanes, name="alu_widening_vs1")
        quarter = Signal(8 * lanes, name="alu_extension_vs2")
        m.d.comb += [widening_a.eq(_source_half(src2, beat, lanes)),
                     widening_b.eq(_source_half(src1, beat, lanes)),
                     quarter.eq(src2.word_select(beat[:2], 8 * lanes))]
        for lane in range(lanes):
            alu = LaneAlu(self.lane_stages)
            m.submodules[f"alu{lane}"] = alu
            bits = slice(32 * lane, 32 * (lane + 1))
            pick = picks[4 * lane:4 * (lane + 1)]
            narrow_a, narrow_b = widening_a[16 * lane:16 * (lane + 1)], \
                widening_b[16 * lane:16 * (lane + 1)]
            with m.If(uop.extend == 1):  # vzext/vsext.vf2: half a lane of vs2
                m.d.comb += alu.a.eq(narrow_a)
            with m.Elif(uop.extend == 2):  # .vf4: a quarter
                m.d.comb += alu.a.eq(quarter[8 * lane:8 * (lane + 1)])
            with m.Elif(uop.widen):
                m.d.comb += [alu.a.eq(Mux(uop.wide_vs2, src2[bits], narrow_a)),
                             alu.b.eq(Mux(uop.form == Form.VV, narrow_b, scalar[:16]))]
            with m.Else():
                vector_source = Mux(uop.narrow, shifts[bits], src1[bits])
                m.d.comb += [alu.a.eq(src2[bits]),
                             alu.b.eq(Mux(uop.form == Form.VV, vector_source, scalar))]
            m.d.comb += [alu.d.eq(old_vd[bits]), alu.extend.eq(uop.extend),
                         alu.sew.eq(sew_code), alu.op.eq(uop.op), alu.pick.eq(pick),
                         alu.vxrm.eq(vxrm), alu_result[bits].eq(alu.result),
                         alu.wide.eq(Cat(src2, src1)[64 * lane:64 * (lane + 1)]),
                         saturated[4 * lane:4 * (lane + 1)].eq(alu.saturated)]
        indices = Signal(32 * lanes)  # vid.v: each element's index
        with m.Switch(sew_code):
            for code, sew in enumerate((8, 16, 32)):
                with m.Case(code):
                    m.d.comb += indices.eq(Cat(*(
                        Cat((beat_offset + k * sew // 8) >> code, Const(0, sew))[:sew]
                        for k in range(32 * lanes // sew))))
        return scalar, alu_result, saturated, indices

    def _memory_stream(self, m: Module, current, fsm, beat, beats, active, old_vd,
                       first_load, quick_load, quick_base):
        """The load/store sequencer's memory port: a stream of port words.

        A beat at an unaligned base straddles two port words, each shared with the
        neighbouring beat: loads request `beats` (+1 if unaligned) consecutive words,
        one a cycle, and complete a beat from each word that arrives and the one
        before it; stores write each beat's lower part with the upper part the
        previous beat carried over, and the last carry after the last beat. A load's
        first word is requested in START (`first_load`), or, started quickly
        (`quick_load`, base `quick_base`), in the cycle it is taken, so its data arrives
        with the first LOAD cycle."""
        mem, lanes, pb = self.mem, self.lanes, self.beat_bytes
        bpr = self.beats_per_reg
        base = current.rs1
        shift = base[:_log2(pb)]  # bytes into the lower port word (the same every beat)
        first_word = base[_log2(pb):]
        word = Signal(32 - _log2(pb), name="lsu_word")  # the beat's lower port word
        m.d.comb += word.eq(first_word + beat)
        requested = Signal(range(8 * bpr + 2), name="lsu_requested")  # load words asked
        words = Signal(range(8 * bpr + 2))  # load words to request
        m.d.comb += words.eq(beats + (shift != 0))
        primed = Signal(name="lsu_primed")  # an unaligned load has its first word
        previous = Signal(32 * lanes, name="lsu_previous")  # the word before this one
        loaded = Signal(32 * lanes, name="lsu_loaded")
        lower = Mux(shift == 0, mem.rdata, previous)
        m.d.comb += loaded.eq(shifted(Cat(lower, mem.rdata), shift, 32 * lanes, 8))
        store_shifted = Signal(64 * lanes)
        store_enables = Signal(2 * pb)
        m.d.comb += [store_shifted.eq(shifted(old_vd, shift, 64 * lanes, 8, left=True)),
                     store_enables.eq(shifted(active, shift, 2 * pb, left=True))]
        carry_data = Signal(32 * lanes, name="lsu_carry")  # the last beat's upper part
        carry_enables = Signal(pb)
        load_beat, store_beat, tail_done = Signal(), Signal(), Signal()
        with m.Switch(fsm):
            with m.Case(State.START):
                m.d.comb += [mem.valid.eq(first_load), mem.addr.eq(first_word)]
                with m.If(mem.valid & mem.ready):
                    m.d.sync += requested.eq(1)
            with m.Case(State.LOAD):
                m.d.comb += [mem.valid.eq(requested < words),
                             mem.addr.eq(first_word + requested)]
                with m.If(mem.valid & mem.ready):
                    m.d.sync += requested.eq(requested + 1)
                with m.If(mem.rvalid):
                    m.d.sync += [previous.eq(mem.rdata), primed.eq(1)]
                    m.d.comb += load_beat.eq((shift == 0) | primed)
            with m.Case(State.STORE):
                # every beat asks for the port, its bytes or none (a write with no byte
                # enabled changes nothing): whether the beat moves on waits for `ready`
                # alone, not for the element activity behind the enables, which sat on
                # the path from vstart into the issue decision
                low = store_enables[:pb] | carry_enables
                m.d.comb += [mem.valid.eq(1), mem.addr.eq(word), mem.write.eq(1),
                             mem.mask.eq(low),
                             mem.wdata.eq(store_shifted[:32 * lanes] | carry_data),
                             store_beat.eq(mem.ready)]
                with m.If(store_beat):
                    m.d.sync += [carry_data.eq(store_shifted[32 * lanes:]),
                                 carry_enables.eq(store_enables[pb:])]
            with m.Case(State.STORE_TAIL):  # `word` is the one after the last beat's
                m.d.comb += [mem.valid.eq(carry_enables.any()), mem.addr.eq(word),
                             mem.write.eq(1), mem.mask.eq(carry_enables),
                             mem.wdata.eq(carry_data),
                             tail_done.eq(mem.ready | ~carry_enables.any())]
        restart = [requested.eq(0), primed.eq(0), carry_data.eq(0), carry_enables.eq(0)]
        # (a load whose words are all asked for, as in its last cycle, or no instruction)
        port_free = Signal(name="lsu_port_free")
        m.d.comb += port_free.eq((fsm == State.IDLE) | (fsm == State.DONE)
                                 | ((fsm == State.LOAD) & (requested >= words)))
        # a quick-started load asks for its first word in its take cycle (`_quick_start`)
        with m.If(quick_load):
            m.d.comb += [mem.valid.eq(1), mem.addr.eq(quick_base[_log2(pb):]),
                         mem.write.eq(0)]
        first_request = [requested.eq(mem.ready)]
        return _Stream(loaded, shift, load_beat, store_beat, tail_done, restart, port_free,
                       first_request)

    def _first_fault(self, m: Module, current, uop, fsm, eew_code, nf, span_bytes,
                     vstate: VectorState, unmasked) -> _Probe:
        """A fault-only-first load (spec 7.7) as the interpreter's `load_unit` does it:
        the first active element (field 0 of a segment) outside the RAM or misaligned,
        if not element 0, trims vl to its index; element 0 there traps, which the
        interpreter takes at retirement, so the engine never sees it. In START the whole
        span (vl x nf x EEW/8 bytes from rs1) is checked at once: aligned and in RAM
        (the common case), the load runs as an ordinary one. Otherwise PROBE walks the
        elements, one a cycle (their addresses step nf x EEW/8 from rs1: the same
        arithmetic, wrapping at 2^32, as the interpreter's), to the first that trims vl
        or the last; then the load starts again at the vl it leaves (`beats`, the span,
        velements all from it)."""
        vl, vlen = vstate.vl, self.vlen
        size = Signal(range(33), name="ff_segment_bytes")  # an element's nf fields
        m.d.comb += size.eq(nf << eew_code)

        def ends_past(offset, span):
            """`span` bytes at RAM offset `offset` (32 bits, wrapped) end past the RAM."""
            return offset + span > self.mem_size

        def outside(offset, span):
            """An access of `span` bytes at RAM offset `offset` leaves the RAM, or is
            not aligned to EEW."""
            return misaligned(offset, eew_code) | ends_past(offset, span)
        first_offset = Signal(32, name="ff_first_offset")
        m.d.comb += first_offset.eq(current.rs1 - self.mem_base)
        probed = Signal(name="ff_probed")
        needed = Signal(name="ff_probe_needed")
        m.d.comb += needed.eq((fsm == State.START) & uop.fault_first & ~probed & (vl != 0)
                              & outside(first_offset, span_bytes))
        index = Signal(range(vlen), name="ff_element")
        # the probed element's RAM offset, stepping by its size, and whether its fields
        # end past the RAM, worked out as it steps: registers, so that no carry chain
        # is in front of `trim` (an address less the RAM's base, then the size added,
        # had been on the load/store sequencer's deepest path, and then the compare
        # of their sum with the RAM's size, into the shape's registers)
        offset = Signal(32, name="ff_element_offset")
        past = Signal(name="ff_element_past")
        # v0's bits from the probed element on, shifted as it steps (a register's low bit,
        # not a select of v0's bit by the index, in front of `trim`; the load runs alone:
        # v0 stays as START found it)
        mask = Signal(vlen, name="ff_mask")
        with m.If(fsm == State.START):
            m.d.sync += [index.eq(0), offset.eq(first_offset),
                         past.eq(ends_past(first_offset, size)), mask.eq(vstate.v0)]
        next_offset = Signal(32, name="ff_next_offset")
        m.d.comb += next_offset.eq(offset + size)
        enabled = unmasked | mask[0]
        trim = Signal(name="ff_trim")
        m.d.comb += trim.eq((fsm == State.PROBE) & _trims(
            (index >= vstate.vstart) & enabled,
            misaligned(offset, eew_code) | past, index))
        return _Probe(needed, index, trim, index + 1 >= vl,
                      [index.eq(index + 1), offset.eq(next_offset),
                       past.eq(ends_past(next_offset, size)), mask.eq(mask >> 1)],
                      [probed.eq(1)],
                      [probed.eq(0)])

    def _element_stream(self, m: Module, current, uop, fsm, eew_code, beat_offset, active,
                        old_vd, index_data, field, nf, vl, span_bytes):
        """A strided or indexed access, element by element (vlse, vsse; vluxei, vloxei,
        vsuxei, vsoxei): element i of the group at rs1 + i * rs2 (rs2 signed), or at
        rs1 + vs2[i] (the index zero-extended from its EEW), one port word each, the
        element's bytes at its offset in the word (an element-aligned element never
        straddles two). A strided load takes two cycles an element (request, data), a
        store one; inactive elements are skipped in one cycle. Loads gather a beat's
        elements before it is written. An indexed access shares the load/store
        sequencer's one read port between vd's beat and vs2's index rows: a cycle a beat
        reads vd's row and holds it (INDEX_BEAT), and each element spends a cycle taking
        its index from the row read for it (INDEX): three cycles an active load element,
        two a store element, one an inactive element, plus one a beat. Ordered and
        unordered accesses both go in element order (an unordered one may).

        A segment access (`uop.segment`) visits each element's nf fields in turn (field
        f at the element's address + f x EEW/8): the memory sees the order the
        interpreter records, element by element. A unit-stride one steps nf x EEW/8 an
        element and reports VLENB-byte chunks of its span (`_Chunk`)."""
        mem, lanes, pb = self.mem, self.lanes, self.beat_bytes
        elem = Signal(range(pb), name="lsu_element")  # element within the beat
        addr = Signal(32, name="lsu_element_addr")
        with m.If(fsm == State.START):
            m.d.sync += addr.eq(current.rs1)
        # indexed: element i's index, at byte (i << index EEW) of vs2's group
        number = Signal(range(8 * self.vlenb), name="lsu_element_number")  # i
        m.d.comb += number.eq(shr(beat_offset, eew_code) + elem)
        index_byte = Signal(range(32 * self.vlenb), name="lsu_index_byte")
        m.d.comb += index_byte.eq(shl(number, uop.eew))
        index = Signal(32, name="lsu_index")
        m.d.comb += index.eq(_index_value(shifted(index_data, index_byte[:_log2(pb)], 32, 8),
                                          uop.eew))
        with m.If(fsm == State.INDEX):
            m.d.sync += addr.eq(current.rs1 + index)
        field_addr = Signal(32, name="lsu_field_addr")  # the element's field `field`
        m.d.comb += field_addr.eq(addr + (field << eew_code))
        offset = field_addr[:_log2(pb)]  # the element's first byte in its port word
        position = Signal(range(pb), name="lsu_element_byte")  # ... in the beat
        m.d.comb += position.eq(elem << eew_code)
        size = Signal(3, name="lsu_element_size")
        m.d.comb += size.eq(1 << eew_code)
        byte_mask = Signal(4)
        m.d.comb += byte_mask.eq((1 << size) - 1)
        bit_mask = Signal(32)
        with m.Switch(eew_code):
            for code in range(3):
                with m.Case(code):
                    m.d.comb += bit_mask.eq((1 << (8 << code)) - 1)
        is_active = Signal(name="lsu_element_active")
        m.d.comb += is_active.eq(active.bit_select(position, 1))
        # the element's value: from the word arriving (loads) or the register (stores)
        arriving = Signal(32)
        m.d.comb += arriving.eq(shifted(mem.rdata, offset, 32, 8) & bit_mask)
        stored = Signal(32)
        m.d.comb += stored.eq(shifted(old_vd, position, 32, 8) & bit_mask)
        value = Signal(32, name="lsu_element_value")
        m.d.comb += value.eq(Mux(fsm == State.SCATTER, stored, arriving))
        buffer = Signal(32 * lanes, name="lsu_gather_buffer")  # the beat's elements so far
        gathered = Signal(32 * lanes)  # ... with the one arriving
        m.d.comb += gathered.eq(buffer | shifted(arriving, position, 32 * lanes, 8, left=True))
        requested = Signal()
        asking = Signal(name="lsu_element_asking")  # (its own request: not mem.valid,
        # which a quick-started load drives from the issue decision this depends on)
        with m.Switch(fsm):
            with m.Case(State.GATHER):
                m.d.comb += [mem.valid.eq(is_active), mem.addr.eq(field_addr[_log2(pb):]),
                             asking.eq(is_active)]
            with m.Case(State.GATHER_WAIT):
                with m.If(mem.rvalid):
                    m.d.sync += buffer.eq(gathered)
            with m.Case(State.SCATTER):
                m.d.comb += [mem.valid.eq(is_active), mem.addr.eq(field_addr[_log2(pb):]),
                             mem.write.eq(1),
                             mem.wdata.eq(shifted(stored, offset, 32 * lanes, 8, left=True)),
                             mem.mask.eq(shifted(byte_mask, offset, pb, left=True)),
                             asking.eq(is_active)]
        m.d.comb += requested.eq(asking & mem.ready)
        last_of_beat = Signal(name="lsu_element_last")
        m.d.comb += last_of_beat.eq(elem == (pb >> eew_code) - 1)
        stride = Mux(uop.span, nf << eew_code, current.rs2)  # (unit-stride segments)
        step = [addr.eq(addr + stride), elem.eq(Mux(last_of_beat, 0, elem + 1))]
        beat_done = last_of_beat & (((fsm == State.GATHER_WAIT) & mem.rvalid)
                                    | (((fsm == State.GATHER) | (fsm == State.INDEX))
                                       & ~is_active))  # (skipped)
        with m.If(beat_done):
            m.d.sync += buffer.eq(0)  # (after the statement above: a fresh beat)
        # the read port's next row: the index of the beat's first element (INDEX_BEAT)
        # or of the next one, unless the next is the next beat's (then vd's row)
        reads_index = Signal(name="lsu_reads_index")
        per_element = ((fsm == State.INDEX) | (fsm == State.GATHER)
                       | (fsm == State.GATHER_WAIT) | (fsm == State.SCATTER))
        # (a segment access reads each element's index in an INDEX_BEAT of its own: its
        # fields' rows take the read port meanwhile)
        m.d.comb += reads_index.eq(uop.indexed & ((fsm == State.INDEX_BEAT)
                                                  | (per_element & ~last_of_beat
                                                     & ~uop.segment)))
        following = Signal(range(8 * self.vlenb + 1), name="lsu_index_following")
        m.d.comb += following.eq(number + (fsm != State.INDEX_BEAT))
        index_row = Signal(range(8 * self.beats_per_reg), name="lsu_index_row")
        m.d.comb += index_row.eq(shl(following, uop.eew) >> _log2(pb))
        chunk = self._chunk(m, current, uop, eew_code, field_addr, size, value, byte_mask,
                            is_active, span_bytes)
        return _Elements(is_active, requested, field_addr, size, value, byte_mask, gathered,
                         last_of_beat, step, [elem.eq(0), buffer.eq(0)] + chunk.clear,
                         reads_index, index_row, number, position, chunk)

    def _chunk(self, m: Module, current, uop, eew_code, field_addr, size, value,
               byte_mask, is_active, span) -> _Chunk:
        """A unit-stride segment access's report, as the interpreter records a
        unit-stride access: a MemAccess per VLENB bytes of its span (vl x nf x EEW/8
        bytes from rs1) with a mask of the bytes moved. Fields come in address order
        and none straddles a chunk (VLENB is a multiple of EEW/8), so a chunk is whole
        after the field that ends it, or the span."""
        vlenb, vlen = self.vlenb, self.vlen
        log_vlenb = _log2(vlenb)
        offset = Signal(32, name="lsu_span_offset")  # the field's byte in the span
        m.d.comb += offset.eq(field_addr - current.rs1)
        end = Signal(33)
        m.d.comb += end.eq(offset + size)
        start = Signal(32, name="lsu_chunk_start")
        m.d.comb += start.eq(Cat(Const(0, log_vlenb), offset[log_vlenb:]))
        left = Signal(33)
        m.d.comb += left.eq(span - start)
        position = offset[:log_vlenb]
        data = Signal(vlen, name="lsu_chunk_data")  # the chunk before this field
        mask = Signal(vlenb, name="lsu_chunk_mask")
        full_data = Signal(vlen, name="lsu_chunk_full_data")
        full_mask = Signal(vlenb, name="lsu_chunk_full_mask")
        m.d.comb += [
            full_data.eq(data | Mux(is_active, shifted(value, position, vlen, 8, left=True), 0)),
            full_mask.eq(mask | Mux(is_active, shifted(byte_mask, position, vlenb, left=True), 0)),
        ]
        chunk_addr = Signal(32, name="lsu_chunk_addr")
        chunk_size = Signal(range(vlenb + 1), name="lsu_chunk_size")
        last = Signal(name="lsu_chunk_last")
        m.d.comb += [chunk_addr.eq(current.rs1 + start),
                     chunk_size.eq(Mux(left > vlenb, vlenb, left)),
                     last.eq((end[:log_vlenb] == 0) | (end >= span))]
        return _Chunk(full_data, full_mask, chunk_addr, chunk_size, last,
                      [data.eq(full_data), mask.eq(full_mask)], [data.eq(0), mask.eq(0)])

    def _quick_start(self, m: Module, head, vstate: VectorState, vrf: RegisterFilePorts,
                     slot: Slot, now, load, port_free, shape: "_Shape") -> "_QuickStart":
        """Drives `now`: a sequencer takes the queue's head without a START cycle,
        with vl != 0: the arithmetic one element-wise ops (not whole-register moves,
        vmv.s.x or the .wv narrowing ops, whose first cycle reads vs1's shifts),
        reductions and compares; the load/store one unit-stride loads and stores (not
        segment, fault-only-first, whole-register or mask accesses), a load only when
        the instruction before leaves the memory port free this cycle (`port_free`): its
        first word is asked for now (`load`). In that cycle the register file's read
        ports address the head's first beat (vd, vs2 and vs1's first rows; a narrowing
        op's vs2 rows 0 and 1; a store's data), which the rows the instruction before
        would read next no longer need (they are addressed whenever the sequencer is
        free); the read ports see the same cycle's writes, so its last beat is read as
        written. The beats are the head's (`_pass_beats` of its `_shape`) as START
        counts them (``beats``); ``first_cycle`` is the instruction's first cycle after
        it (where velements counts its body)."""
        uop, insn = head.predecoded.uop, head.dispatched.insn
        bpr = self.beats_per_reg
        kind = uop.kind
        role = "alu" if port_free is None else "lsu"
        if port_free is None:  # arithmetic
            simple = (((kind == Kind.ARITH) & ~uop.whole & ~uop.first_only
                       & ~(uop.narrow & (uop.form == Form.VV)))
                      | (kind == Kind.REDUCE) | (kind == Kind.COMPARE))
            state = State.EXECUTE
        else:
            unit = ~uop.strided & ~uop.whole & ~uop.mask_access & ~uop.fault_first
            simple = unit & ((kind == Kind.STORE) | ((kind == Kind.LOAD) & port_free))
            state = Mux(kind == Kind.LOAD, State.LOAD, State.STORE)
        m.d.comb += now.eq(slot.take & simple & (vstate.vl != 0))
        if port_free is not None:
            m.d.comb += load.eq(now & (kind == Kind.LOAD))
        beats = Signal(range(8 * bpr + 1), name=f"{role}_quick_beats")
        m.d.comb += beats.eq(self._pass_beats(kind, shape))
        vd, vs1, vs2 = insn[7:12], insn[15:20], insn[20:25]
        # (whenever the sequencer is free, whether the head is taken or not: rows read
        # for nothing are harmless, and the issue decision stays off the path into the
        # register file's addresses)
        with m.If(slot.free):
            m.d.comb += vrf.read_rows[0].eq(vd * bpr)
            if port_free is None:
                m.d.comb += [vrf.read_rows[1].eq(vs2 * bpr),
                             vrf.read_rows[2].eq(Mux(uop.narrow, vs2 * bpr + 1, vs1 * bpr))]
        first_cycle = Signal(name=f"{role}_quick_first_cycle")
        m.d.sync += first_cycle.eq(now)
        return _QuickStart(beats, first_cycle, state)

    def _shape(self, m: Module, role: str, insn, uop, vl, vtype) -> _Shape:
        """An instruction's element width code, body length in elements, body bytes,
        body registers and bytes over all its fields (a segment access's nf), under `vl`
        and `vtype` (`_sequencer`)."""
        sew_code = vtype[3:5]
        eew_code = Signal(2, name=f"{role}_head_eew")
        with m.If((uop.kind == Kind.LOAD) | (uop.kind == Kind.STORE)):
            # (an indexed access's data is SEW wide; `eew` is its index width)
            m.d.comb += eew_code.eq(Mux(uop.indexed, sew_code, uop.eew))
        with m.Elif((uop.kind == Kind.ARITH) & uop.widen):  # vd's beats: 2*SEW
            m.d.comb += eew_code.eq(sew_code + 1)
        with m.Else():
            m.d.comb += eew_code.eq(sew_code)
        length = Signal(range(8 * self.vlenb + 1), name=f"{role}_head_length")
        whole_regs = Mux(uop.kind == Kind.ARITH, insn[15:18], insn[29:32]) + 1
        m.d.comb += length.eq(Mux(uop.whole, shr(whole_regs * self.vlenb, eew_code),
                                  Mux(uop.mask_access, _mask_bytes(vl), vl)))
        group_bytes = Signal(range(8 * self.vlenb + 1), name=f"{role}_head_group_bytes")
        m.d.comb += group_bytes.eq(shl(length, eew_code))
        # x nf fields: shifts and adds (nf <= 8), not a multiplier (Yosys gave it a DSP
        # block)
        fields = segment_fields(insn, uop)
        span_bytes = Signal(range(64 * self.vlenb + 1), name=f"{role}_head_span_bytes")
        m.d.comb += span_bytes.eq(sum(Mux(fields[k], group_bytes << k, 0) for k in range(4)))
        return _Shape(eew_code, length, group_bytes, self._registers_of(group_bytes),
                      span_bytes)

    def _pass_beats(self, kind, shape: "_Shape"):
        """The beats of an instruction's first pass: its body registers' (the tail's
        bytes stay undisturbed, beat by beat), but only those holding body elements for
        a reduction, which writes none of them (its fold of the partial sums into the
        total at vl 1: one beat, not a register's)."""
        pb = self.beat_bytes
        used = (shape.group_bytes + pb - 1) >> _log2(pb)
        return Mux(kind == Kind.REDUCE, used, shape.body_regs * self.beats_per_reg)

    def _registers_of(self, group_bytes):
        """The registers `group_bytes` of a group's body occupy (rounded up)."""
        return (group_bytes + self.vlenb - 1) >> _log2(self.vlenb)

    def _scalar_side(self, m: Module, current, uop, vstate: VectorState):
        """vset{i}vl{i}'s new vl and vtype, the CSR instructions' values, and the
        scalar result register (vl, vmv.x.s, a CSR's old value)."""
        insn = current.insn
        rs1_field = insn[15:20]
        next_vl, legal, new_vtype = self._new_configuration(
            m, insn, current.rs1, current.rs2, uop, vstate.vl, "alu")

        # the vector CSRs, as csr instructions see them
        csr_number = insn[20:32]
        csr_old = Signal(32, name="csr_old")
        with m.Switch(csr_number):
            for number, value in ((CSR_VSTART, vstate.vstart), (CSR_VXSAT, vstate.vxsat),
                                  (CSR_VXRM, vstate.vxrm),
                                  (CSR_VCSR, Cat(vstate.vxsat, vstate.vxrm)),
                                  (CSR_VL, vstate.vl), (CSR_VTYPE, vstate.vtype),
                                  (CSR_VLENB, self.vlenb), *self._counters.items()):
                with m.Case(number):
                    m.d.comb += csr_old.eq(value)
        source = Mux(uop.form == Form.VI, insn[15:20], current.rs1)
        csr_new = csr_result(m, uop.sub, csr_old, source, "csr_new")
        writes = Signal(name="csr_writes")
        m.d.comb += writes.eq(csr_writes(uop.sub, rs1_field))
        result = Signal(32, name="scalar_result")
        return result, csr_old, csr_new, writes, next_vl, legal, new_vtype

    def _gather(self, m: Module, uop, fsm, beat, beat_offset, sew_code, vl,
                vstate: VectorState, unmasked, active, old_vd, src2, src1, scalar, gathers,
                carry_in, free, delay: int) -> "_Destination":
        """Reductions, compares and mask logic. The first pass (EXECUTE over the source
        group's beats) folds the active elements into the reduction's accumulator
        (started from vs1[0]) or sets the compare's mask bits (vmadc/vmsbc: the carry or
        borrow out of vs2 +/- source +/- `carry_in`, per byte its element's v0 carry
        in, so they share the compares' mask path); the second (WB_*, over
        vd's beats) merges them, or the mask logic's bits, into vd. A reduction's result
        is read by the back end, `delay` cycles after its destination beat: the second
        pass waits only for beats the tree holds longer than that."""
        lanes, pb, vlen = self.lanes, self.beat_bytes, self.vlen
        vstart = vstate.vstart
        bits = 8 * pb
        operand = Mux(uop.form == Form.VV, src1, scalar.replicate(lanes))
        gathering = Signal()
        m.d.comb += gathering.eq((fsm == State.EXECUTE) & gathers)
        # reductions, widening too: the beats' active elements folded by the pipelined
        # tree into its accumulator, started from vs1[0] at the first beat; the back
        # end reads it for the destination's beat (`_Destination`)
        tree = m.submodules.reduction_tree = ReductionTree(bits)
        m.d.comb += [tree.valid.eq(gathering & (uop.kind == Kind.REDUCE)),
                     tree.first.eq(beat == 0), tree.beat.eq(src2), tree.active.eq(active),
                     tree.sub.eq(uop.sub), tree.sew.eq(sew_code), tree.widen.eq(uop.widen),
                     tree.start.eq(src1[:32])]
        # compares and carry-outs: per byte, its element's bit
        compare = m.submodules.beat_compare = BeatCompare(bits)
        m.d.comb += [compare.a.eq(src2), compare.b.eq(operand), compare.sub.eq(uop.sub),
                     compare.carry.eq(uop.carry), compare.carry_in.eq(carry_in),
                     compare.sew.eq(sew_code)]
        # its bits and the beat's active bytes are registered before they are placed in
        # the mask (the register file's read, the operand select and the segmented
        # subtract take the cycle: the SoC clock); the destination pass waits for the
        # last beat's (`placing`, in `draining`)
        compared = Signal(pb, name="compare_result")
        compared_active = Signal(pb, name="compare_active")
        compared_beat = Signal.like(beat, name="compare_beat")
        comparing, placing = Signal(name="comparing"), Signal(name="compare_placing")
        m.d.comb += comparing.eq(gathering & (uop.kind == Kind.COMPARE))
        m.d.sync += placing.eq(comparing)
        with m.If(comparing):
            m.d.sync += [compared.eq(compare.result), compared_active.eq(active),
                         compared_beat.eq(beat)]
        mask_bits = Signal(vlen)
        mask_written = Signal(vlen)
        # (cleared whenever the sequencer is free: before any instruction's first beat,
        # and with no path from the issue decision)
        with m.If(free):
            m.d.sync += [mask_written.eq(0), mask_bits.eq(0)]
        with m.Switch(sew_code):
            for code, sew in enumerate((8, 16, 32)):
                with m.Case(code):
                    count = bits // sew  # elements per beat
                    # compare: one mask bit per active element
                    results = Signal(count, name=f"compare_bits{sew}")
                    enables = Signal(count, name=f"compare_enables{sew}")
                    m.d.comb += results.eq(Cat(*(compared[k * sew // 8] for k in range(count))))
                    m.d.comb += enables.eq(Cat(*(compared_active[k * sew // 8]
                                                 for k in range(count))))
                    with m.If(placing):
                        slot = (compared_beat[:_log2(vlen // count)] if vlen > count
                                else 0)
                        m.d.sync += [
                            mask_bits.word_select(slot, count).eq(results),
                            mask_written.word_select(slot, count).eq(enables),
                        ]
        scan = self._mask_scan(m, uop, fsm, beat, sew_code, vl, vstate, unmasked, src2,
                               gathering, mask_bits)
        # second pass: the value and bit enables of vd's beat
        value = Signal(bits)
        enable = Signal(bits)
        index = beat[:_log2(self.beats_per_reg)] if self.beats_per_reg > 1 else 0
        with m.Switch(uop.kind):
            with m.Case(Kind.MASK_SCAN):  # vmsbf/vmsif/vmsof
                m.d.comb += [value.eq(scan.marks), enable.eq(scan.active)]
            with m.Case(Kind.MASK_LOGIC):
                with m.Switch(uop.sub):
                    for i, name in enumerate(MASK_LOGIC):
                        with m.Case(i):
                            m.d.comb += value.eq(_mask_logic(name, src2, src1))
                # (mask bit beat_offset * 8 + k in [vstart, vl): thermometer codes, not
                # two comparators a bit, 2,900 LUT4s at LANES 4)
                m.d.comb += enable.eq(_body_bits(vstart, vl, beat_offset * 8, bits))
            with m.Case(Kind.COMPARE):
                m.d.comb += [value.eq(mask_bits.word_select(index, bits)),
                             enable.eq(mask_written.word_select(index, bits))]
            with m.Case(Kind.REDUCE):  # (the value: the tree's, at the back end)
                with m.If(beat == 0):  # vd[0]: SEW bits, or 2*SEW (widening)
                    with m.Switch(sew_code):
                        for code, sew in enumerate((8, 16, 32)):
                            with m.Case(code):
                                wide = (1 << min(2 * sew, 32)) - 1
                                m.d.comb += enable.eq(Mux(uop.widen, wide, (1 << sew) - 1))
        new = Signal(bits)
        byte_enables = Signal(pb)
        m.d.comb += new.eq((old_vd & ~enable) | (value & enable))
        m.d.comb += byte_enables.eq(Cat(*(enable[8 * j:8 * (j + 1)].any() for j in range(pb))))
        # a beat in stage k reaches the accumulator in latency - 1 - k cycles
        slow = tree.stages[:max(0, tree.latency - 1 - delay)]
        # (and a mask scan's last bits, counted the cycle after: vmsbf/vmsif/vmsof's
        # destination pass needs the first index)
        return _Destination(new, byte_enables, scan,
                            (slow.any() if len(slow) else Const(0)) | scan.pending
                            | placing,
                            tree.result, enable)

    def _permute(self, m: Module, current, uop, fsm, beat_offset, sew_code, vl, vtype,
                 active, src2, src1, scalar) -> _Permutation:
        """Slides and gathers, element by element (vd's beats in order; a beat's
        elements one after the other, then the beat written as an element-wise one is):
        element i's source index j (vslideup: i - offset; vslidedown: i + offset;
        vslide1up/down: i -/+ 1; vrgather: rs1, uimm5, or vs1[i], SEW or (ei16) 16 bits,
        its row read in PERM_INDEX), vs2's row holding element j read in PERM_FETCH, the
        element taken from it in PERM_PLACE (0 where j >= VLMAX; the scalar at element 0
        of vslide1up and vl - 1 of vslide1down). Two cycles an active element (three
        with a vs1 index), one an inactive one, and a cycle to write the beat from its
        buffer (PERM_WRITE). vd may be vs2 for the downward slides:
        a beat is written only after its last element, and its sources lie in it or
        after it. vcompress walks a source cursor over vs1's mask bits (PERM_INDEX reads
        the row of its bit, PERM_FETCH looks: two cycles an unselected element, three a
        selected one), fills vd's elements in order and writes only those filled."""
        pb, vlen = self.beat_bytes, self.vlen
        insn = current.insn
        slot = Signal(range(pb), name="perm_slot")
        per_beat = Signal(range(pb + 1), name="perm_per_beat")
        m.d.comb += per_beat.eq(pb >> sew_code)
        index = Signal(range(vlen), name="perm_element")  # i
        m.d.comb += index.eq(shr(beat_offset, sew_code) + slot)
        compress = (uop.kind == Kind.PERMUTE) & (uop.sub == PERMUTES.index("vcompress"))
        cursor = Signal(range(vlen + 1), name="compress_cursor")  # vs2's next element
        with m.If(fsm == State.START):
            m.d.sync += cursor.eq(0)
        bits = 8 * pb
        selected = src1.bit_select(cursor[:_log2(bits)], 1)  # (vs1's row of the cursor)
        element_active = Mux(compress, cursor < vl, active.bit_select(slot << sew_code, 1))
        # VLMAX of the current vtype (LMUL 1/8 .. 8)
        vlmax = Signal(range(vlen + 1), name="perm_vlmax")
        per_reg = Const(self.vlenb) >> sew_code
        with m.Switch(vtype[:3]):
            for code, shift in ((0, 0), (1, 1), (2, 2), (3, 3), (5, -3), (6, -2), (7, -1)):
                with m.Case(code):
                    m.d.comb += vlmax.eq(per_reg << shift if shift >= 0 else per_reg >> -shift)
        offset = Signal(32, name="perm_offset")  # rs1, or uimm5
        m.d.comb += offset.eq(Mux(uop.form == Form.VX, current.rs1, insn[15:20]))
        # a vrgather.vv/vrgatherei16 index: vs1[i], SEW or 16 bits, from the row read
        index_code = Mux(uop.sub == PERMUTES.index("vrgatherei16"), 1, sew_code)
        index_byte = Signal(range(8 * self.vlenb), name="perm_index_byte")
        m.d.comb += index_byte.eq(shl(index, index_code))
        raw_index = shifted(src1, index_byte[:_log2(pb)], 32, 8)
        vs1_index = Signal(32, name="perm_vs1_index")
        held_index = Signal(32, name="perm_held_index")  # (PERM_HOLD's)
        with m.Switch(index_code):
            for code in range(3):
                with m.Case(code):
                    m.d.comb += vs1_index.eq(raw_index[:8 << code])
        gathered = Mux(uop.form == Form.VV, held_index, offset)
        # A slide's source, i -/+ offset (or 1), in a register stepped with i (set in
        # START for element 0, one more each element after): the element index's shift
        # and adds had been in series with the source row's into the register file's
        # address
        slid = Signal(34, name="perm_slide_source")
        with m.If(fsm == State.START):
            with m.Switch(uop.sub):
                for name, value in (("vslideup", -offset), ("vslidedown", offset),
                                    ("vslide1up", -1), ("vslide1down", 1)):
                    with m.Case(PERMUTES.index(name)):
                        m.d.sync += slid.eq(value)
        source = Signal(34, name="perm_source")  # j (out of range when >= VLMAX)
        with m.Switch(uop.sub):
            for name in ("vrgather", "vrgatherei16"):
                with m.Case(PERMUTES.index(name)):
                    m.d.comb += source.eq(gathered)
            with m.Case(PERMUTES.index("vcompress")):
                m.d.comb += source.eq(cursor)
            with m.Default():
                m.d.comb += source.eq(slid)
        takes_scalar = Signal(name="perm_takes_scalar")
        m.d.comb += takes_scalar.eq(
            ((uop.sub == PERMUTES.index("vslide1up")) & (index == 0))
            | ((uop.sub == PERMUTES.index("vslide1down")) & (index == vl - 1)))
        source_byte = Signal(37, name="perm_source_byte")  # j's first byte in vs2's group
        m.d.comb += source_byte.eq(shl(source, sew_code))
        # registered in PERM_FETCH for PERM_PLACE: the element's byte in the row, what
        # it takes
        position = Signal(range(pb), name="perm_position")
        zero = Signal(name="perm_zero")
        scalar_taken = Signal(name="perm_scalar")
        fetch = [position.eq(source_byte[:_log2(pb)]),
                 zero.eq(source >= vlmax), scalar_taken.eq(takes_scalar),
                 cursor.eq(cursor + 1)]
        value = Signal(32, name="perm_value")
        m.d.comb += value.eq(Mux(scalar_taken, scalar,
                                 Mux(zero, 0, shifted(src2, position, 32, 8))))
        buffer = Signal(8 * pb, name="perm_buffer")  # the beat's elements so far
        placed = Signal(8 * pb, name="perm_placed")
        m.d.comb += placed.eq(buffer)
        filled = Signal(pb, name="compress_filled")  # the beat's bytes placed so far
        with m.If(fsm == State.START):
            m.d.sync += filled.eq(0)
        filled_now = Signal(pb)
        m.d.comb += filled_now.eq(filled)
        with m.If(fsm == State.PERM_PLACE):
            m.d.comb += filled_now.eq(filled | shifted((1 << (1 << sew_code)) - 1,
                                                       slot << sew_code, pb, left=True))
            with m.Switch(sew_code):
                for code, sew in enumerate((8, 16, 32)):
                    with m.Case(code):
                        m.d.comb += placed.word_select(slot, sew).eq(
                            value[:sew])
        by_vs1 = uop.form == Form.VV  # (slides have no .vv form)
        return _Permutation(
            first_state=Mux(by_vs1, State.PERM_INDEX, State.PERM_FETCH), slot=slot,
            after_index=Mux(compress, State.PERM_FETCH, State.PERM_HOLD),
            hold=[held_index.eq(vs1_index)],
            last_slot=slot == per_beat - 1,
            element_active=element_active,
            source_row=source_byte[_log2(pb):_log2(pb) + _log2(8 * self.beats_per_reg)],
            index_row=Mux(compress, cursor >> _log2(bits), index_byte[_log2(pb):]),
            step=[slid.eq(slid + 1)],
            fetch=fetch, skip_source=compress & ~selected, skip=[cursor.eq(cursor + 1)],
            unfilled=Mux(compress, ~filled_now, 0), clear=[filled.eq(0)],
            place=[buffer.eq(placed), filled.eq(filled_now)], placed=placed)

    def _divide(self, m: Module, uop, fsm, sew_code, dividends, divisors) -> _Divider:
        """vdivu, vdiv, vremu, vrem: one radix-2 restoring divider per lane (a 33-bit
        subtract a cycle, no combinational divider), over the lane's elements one after
        the other: a load cycle (magnitudes, signs), then SEW steps of a quotient bit
        each, the last also placing the result, so SEW + 1 cycles an element and 32 +
        32/SEW a beat at any LANES. Signed ops divide magnitudes and set the signs after
        (the quotient negative when the signs differ, the remainder takes the
        dividend's), which gives RVV's overflow results by itself (-2^(SEW-1) / -1 =
        -2^(SEW-1) rem 0); a divisor of 0 gives a quotient of all ones and the dividend
        as remainder (spec 11.11)."""
        lanes = self.lanes
        is_signed, is_remainder = uop.sub[0], uop.sub[1]
        step = Signal(range(33), name="div_step")  # 0: load; 1..SEW: quotient bits
        element = Signal(2, name="div_element")  # within each lane
        with m.If(fsm == State.START):
            m.d.sync += [step.eq(0), element.eq(0)]
        sew = Signal(range(33), name="div_sew")
        m.d.comb += sew.eq(8 << sew_code)
        last_step = step == sew
        last_element = element == (4 >> sew_code) - 1
        dividing = fsm == State.DIVIDE
        with m.If(dividing):
            m.d.sync += step.eq(Mux(last_step, 0, step + 1))
            with m.If(last_step):
                m.d.sync += element.eq(Mux(last_element, 0, element + 1))
        result = Signal(32 * lanes, name="div_result")
        for lane in range(lanes):
            bits = slice(32 * lane, 32 * (lane + 1))
            word = self._divide_lane(m, f"div{lane}", dividing, step == 0, last_step, element,
                                     sew_code, dividends[bits], divisors[bits], is_signed,
                                     is_remainder)
            m.d.comb += result[bits].eq(word)
        return _Divider(result, dividing & last_step & last_element)

    def _divide_lane(self, m: Module, name: str, dividing, loading, last_step, element,
                     sew_code, dividend_word, divisor_word, is_signed, is_remainder):
        """One lane's divider (`_divide`); returns the lane's result word, with the
        element finishing this cycle in place."""
        a, b = Signal(32, name=f"{name}_a"), Signal(32, name=f"{name}_b")
        sign_a, sign_b = Signal(name=f"{name}_sign_a"), Signal(name=f"{name}_sign_b")
        mask = Signal(32, name=f"{name}_mask")
        with m.Switch(sew_code):
            for code, sew in enumerate((8, 16, 32)):
                with m.Case(code):
                    m.d.comb += [a.eq(dividend_word.word_select(element, sew)),
                                 b.eq(divisor_word.word_select(element, sew)),
                                 sign_a.eq(a[sew - 1]), sign_b.eq(b[sew - 1]),
                                 mask.eq((1 << sew) - 1)]
        negative_a, negative_b = is_signed & sign_a, is_signed & sign_b
        magnitude_a = Mux(negative_a, (0 - a)[:32] & mask, a)
        magnitude_b = Mux(negative_b, (0 - b)[:32] & mask, b)
        remainder = Signal(33, name=f"{name}_remainder")
        quotient = Signal(32, name=f"{name}_quotient")
        shifting = Signal(32, name=f"{name}_dividend")  # its next bit at the top
        divisor = Signal(32, name=f"{name}_divisor")
        negate_q, negate_r = Signal(name=f"{name}_negate_q"), Signal(name=f"{name}_negate_r")
        by_zero = Signal(name=f"{name}_by_zero")
        # one step: shift the next dividend bit in, subtract the divisor if it fits
        trial = Cat(shifting[31], remainder[:32])
        fits = trial >= divisor
        next_remainder = Signal(33, name=f"{name}_next_remainder")
        next_quotient = Signal(32, name=f"{name}_next_quotient")
        m.d.comb += [next_remainder.eq(Mux(fits, trial - divisor, trial)),
                     next_quotient.eq(Cat(fits, quotient[:31]))]
        with m.If(dividing & loading):
            top = Mux(sew_code == 0, magnitude_a << 24,
                      Mux(sew_code == 1, magnitude_a << 16, magnitude_a))
            m.d.sync += [remainder.eq(0), quotient.eq(0), shifting.eq(top),
                         divisor.eq(magnitude_b), negate_q.eq(negative_a ^ negative_b),
                         negate_r.eq(negative_a), by_zero.eq(b == 0)]
        with m.Elif(dividing):
            m.d.sync += [remainder.eq(next_remainder), quotient.eq(next_quotient),
                         shifting.eq(shifting << 1)]
        q = Mux(by_zero, 0xFFFF_FFFF, Mux(negate_q, 0 - next_quotient, next_quotient))
        r = Mux(negate_r, 0 - next_remainder, next_remainder)
        final = Signal(32, name=f"{name}_final")
        m.d.comb += final.eq(Mux(is_remainder, r, q))
        results = Signal(32, name=f"{name}_results")  # the lane's elements done so far
        placed = Signal(32, name=f"{name}_placed")
        m.d.comb += placed.eq(results)
        with m.If(dividing & last_step):
            with m.Switch(sew_code):
                for code, sew in enumerate((8, 16, 32)):
                    with m.Case(code):
                        m.d.comb += placed.word_select(element, sew).eq(final[:sew])
            m.d.sync += results.eq(placed)
        return placed

    def _mask_scan(self, m: Module, uop, fsm, beat, sew_code, vl, vstate: VectorState,
                   unmasked, src2, gathering, mask_bits) -> _Scan:
        """vcpop.m, vfirst.m, vmsbf/vmsif/vmsof.m and viota.m. The first pass goes over
        the one register of vs2, a beat (LANES x 32 mask bits, one per element) a cycle:
        its active set bits (below vl, from vstart, v0-enabled when masked) are stored
        in `mask_bits` (the compares' flip-flops, free meanwhile) and in a register,
        from which they are counted and the first one's index kept the cycle after (a
        128-bit count after the active-bit masks was the engine's deepest path).
        vcpop/vfirst then hand their scalar over (SCAN_TOTAL, the cycle after); vmsbf,
        vmsif and vmsof write vd from the first index in a second pass over one
        register (as compares do); viota writes each active element of vd's group the
        count of stored bits below it, a beat a cycle, from a count carried across beats
        and a prefix count within the beat."""
        vlen, pb = self.vlen, self.beat_bytes
        bits = 8 * pb
        count = Signal(range(vlen + 1), name="scan_count")
        first = Signal(range(vlen), name="scan_first")
        found = Signal(name="scan_found")
        iota_base = Signal(range(vlen + 1), name="iota_base")  # set bits before the beat
        # the beat's bits: element index = beat * bits + k (vs2, or vd's one register)
        base = Signal(range(vlen + bits), name="scan_base")
        m.d.comb += base.eq(beat * bits)
        active = Signal(bits, name="scan_active")
        enabled = Mux(unmasked, (1 << bits) - 1, vstate.v0.word_select(beat, bits))
        m.d.comb += active.eq(_body_bits(vstate.vstart, vl, base, bits) & enabled)
        hits = Signal(bits, name="scan_hits")
        m.d.comb += hits.eq(src2 & active)
        scanning = gathering & (uop.kind == Kind.MASK_SCAN)
        with m.If(scanning):
            m.d.sync += mask_bits.word_select(beat, bits).eq(hits)
        # the register stage: a beat's hits (none when no beat was scanned) counted, and
        # the first found, the cycle after
        late_hits = Signal(bits, name="scan_late_hits")
        late_base = Signal.like(base, name="scan_late_base")
        pending = Signal(name="scan_pending")
        m.d.sync += [late_hits.eq(Mux(scanning, hits, 0)), late_base.eq(base),
                     pending.eq(scanning)]
        in_beat = Signal(range(bits), name="scan_first_in_beat")
        m.d.comb += in_beat.eq(_lowest_set(late_hits)[1])
        first_now = Signal(range(vlen), name="scan_first_now")
        m.d.comb += first_now.eq(Mux(found, first, late_base + in_beat))
        m.d.sync += [count.eq(count + _popcount(late_hits)), first.eq(first_now),
                     found.eq(found | late_hits.any())]
        with m.If(fsm == State.START):  # (after the register stage: START wins)
            m.d.sync += [count.eq(0), found.eq(0), iota_base.eq(0)]
        scalar = Signal(32, name="scan_scalar")  # in SCAN_TOTAL: every beat counted
        m.d.comb += scalar.eq(Mux(uop.sub == MASK_SCANS.index("vcpop"), count,
                                  Mux(found, first, 0xFFFF_FFFF)))
        # vmsbf/vmsif/vmsof: the bits before / up to / at the first (vl when none)
        limit = Signal(range(vlen + 1), name="scan_limit")
        m.d.comb += limit.eq(Mux(found, first, vl))
        before, up_to = _below(limit, base, bits), _below(limit + 1, base, bits)
        marks = Signal(bits, name="scan_marks")
        with m.Switch(uop.sub):
            for name, value in (("vmsbf", before), ("vmsif", up_to),
                                ("vmsof", up_to & ~before)):
                with m.Case(MASK_SCANS.index(name)):
                    m.d.comb += marks.eq(value)
        # viota: the prefix counts of the beat's elements
        iota = Signal(bits, name="iota_values")
        with m.Switch(sew_code):
            for code, sew in enumerate((8, 16, 32)):
                with m.Case(code):
                    per_beat = bits // sew
                    # (the beat's element bits: a word of per_beat bits, selected by
                    # multiplexers, not a shifter by beat * per_beat)
                    words = _log2(vlen // per_beat)
                    stored = (mask_bits.word_select(beat[:words], per_beat) if words
                              else mask_bits[:per_beat])
                    below = [Const(0, 1)] + _prefix_counts(stored)  # (set bits before k)
                    values = []
                    for k in range(per_beat):
                        value = iota_base + below[k]
                        values.append(value[:sew] if len(value) >= sew
                                      else Cat(value, Const(0, sew - len(value))))
                    m.d.comb += iota.eq(Cat(*values))
                    with m.If(fsm == State.IOTA):
                        m.d.sync += iota_base.eq(iota_base + below[per_beat])
        return _Scan(scalar, pending, marks, active, iota)

    def _csr(self, m: Module, commit, current, uop, new, writes, vstate: VectorState) -> None:
        """A csr instruction on a vector CSR (its WARL bits kept); its write reported as
        the value the CSR then holds. The read-only ones (vl, vtype, vlenb) are only
        read: a write to them is illegal, which the interpreter traps and this engine
        (dispatched at retirement) cannot."""
        vstart, vxrm, vxsat = vstate.vstart, vstate.vxrm, vstate.vxsat
        number = current.insn[20:32]
        held = Signal(32)
        with m.Switch(number):
            with m.Case(CSR_VSTART):
                m.d.comb += held.eq(new[:_log2(self.vlen)])
                with m.If(writes):
                    m.d.sync += vstart.eq(new)
            with m.Case(CSR_VXSAT):
                m.d.comb += held.eq(new[0])
                with m.If(writes):
                    m.d.sync += vxsat.eq(new[0])
            with m.Case(CSR_VXRM):
                m.d.comb += held.eq(new[:2])
                with m.If(writes):
                    m.d.sync += vxrm.eq(new[:2])
            with m.Case(CSR_VCSR):
                m.d.comb += held.eq(new[:3])
                with m.If(writes):
                    m.d.sync += [vxsat.eq(new[0]), vxrm.eq(new[1:3])]
        writable = (number < 0xC00)
        with m.If(writes & writable):
            m.d.comb += [commit.valid.eq(1), commit.csr.valid.eq(1), commit.csr.csr.eq(number),
                         commit.csr.value.eq(held)]


def _body_elements(m: Module, role: str, starting, kind, length, vstart) -> Signal:
    """velements' increment: the body (vstart..length-1) of an instruction in its START
    cycle, if its kind has one (`BODY_KINDS`); a hook for fault injection."""
    body = Signal.like(length, name=f"{role}_body_elements")
    counted = 0
    for k in BODY_KINDS:
        counted = counted | (kind == k)
    with m.If(starting & counted & (length > vstart)):
        m.d.comb += body.eq(length - vstart)
    return body


def _below(limit, base, bits: int):
    """`bits` bits, bit k set when base + k < limit (a thermometer code: one shift, not a
    comparator per bit; of all ones, inverted: 2^span - 1 took a carry chain as wide as
    the code, 69 CCU2C at 128 bits against 5)."""
    span = Cat(limit, Const(0, 1)).as_signed() - Cat(base, Const(0, 1)).as_signed()
    width = bits.bit_length()
    ones = Const((1 << bits) - 1, bits)
    return Mux(span <= 0, 0, Mux(span >= bits, ones,
                                 ~shifted(ones, span[:width], bits, left=True)))


def _body_bits(vstart, vl, base, bits: int):
    """`bits` bits, bit k set when vstart <= base + k < vl: element base + k is in the
    body (two thermometer codes)."""
    return _below(vl, base, bits) & ~_below(vstart, base, bits)


def _lowest_set(bits) -> tuple:
    """Whether any bit of `bits` is set, and the lowest set one's index (when one is): a
    tree of halves, log2(len) multiplexers deep (an `m.If` per bit made a chain as long
    as the word, 128 bits a beat at LANES 4, the mask scan's deepest path)."""
    if len(bits) == 1:
        return bits[0], Const(0, 0)
    half = 1 << ((len(bits) - 1).bit_length() - 1)
    low_any, low_index = _lowest_set(bits[:half])
    high_any, high_index = _lowest_set(bits[half:])
    width = (half - 1).bit_length()
    high_index = Cat(high_index, Const(0, width - len(high_index)))
    return low_any | high_any, Mux(low_any, Cat(low_index, Const(0, width - len(low_index)), 0),
                                   Cat(high_index, 1))


def _prefix_counts(bits) -> list:
    """Per bit k of `bits`, how many of bits 0..k are set: log2(len) rounds of adds, each
    count taking the one `step` below it (viota's counts had been a chain of adds as
    long as a beat's elements)."""
    counts = [bits[k] for k in range(len(bits))]
    step = 1
    while step < len(counts):
        counts = [counts[k] + counts[k - step] if k >= step else counts[k]
                  for k in range(len(counts))]
        step *= 2
    return counts


def _popcount(bits):
    """The number of set bits of `bits` (an adder tree)."""
    values = [bits[k] for k in range(len(bits))]
    while len(values) > 1:
        values = [values[i] + values[i + 1] if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    return values[0]


def _mask_logic(name: str, a, b):
    return {"vmandn": a & ~b, "vmand": a & b, "vmor": a | b, "vmxor": a ^ b,
            "vmorn": a | ~b, "vmnand": ~(a & b), "vmnor": ~(a | b),
            "vmxnor": ~(a ^ b)}[name]


ENGINE_CLASSES["vector"] = VectorEngine
