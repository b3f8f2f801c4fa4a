"""Precise traps for vector loads and stores outside RAM or misaligned.

The engine executes an instruction after it has retired (dispatch is at WB), so a
memory access that would trap must be found while the instruction is still in WB,
and whether it traps depends on state the instructions queued before it may still
change: vl, vstart and the mask v0. Two paths:

- **cannot fault** (MEM, the common case): a unit-stride access (with its segment
  fields, fault-only-first, whole-register and mask forms) whose base is
  element-aligned and at least the most it can move (8 registers; one for vlm/vsm)
  before the end of RAM cannot fault, whatever vl and v0 are; nor can a strided one
  whose base and stride are element-aligned and whose elements stay in RAM for the
  most elements it can move (`_strided_safe`). Decided in MEM from the base and
  stride alone, registered for WB: no cycle lost.
- **scan** (WB, anything else: a base near the end of RAM or outside it, a misaligned
  one, indexed accesses): WB's instruction waits (``hold``: not dispatched) until the
  engine is idle, when vl, vstart and v0 are those it will run with, then its
  elements' addresses are walked in the interpreter's order, one field a cycle (as
  `oxcore.isa.vector.unit.VectorUnit._addresses_ok` checks them), and the first
  active one that is misaligned or not wholly in RAM names the trap's cause
  (``fault``); none found, it is dispatched. A fault-only-first load traps only on
  element 0 (a later fault trims vl, which the engine does itself: `_first_fault`).

An indexed access (always the scan) reads each element's index from its group on the
load/store sequencer's register file port, free while the engine is idle: two cycles
an element more.
"""

from __future__ import annotations

import enum

from amaranth import Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.engine import CHECK, FAULT
from hw.oxcore.vector.decode import UOP, Kind
from oxcore.retire import TrapCause


class Scan(enum.IntEnum):
    IDLE = 0  # WB's instruction cannot fault (or is not a checked access)
    WAIT = 1  # ... may: waiting for the engine to be idle
    WALK = 2  # ... one field of an element a cycle
    DONE = 3  # ... the verdict: ``fault`` or dispatch
    INDEX = 4  # (indexed) an element's index: its row of the index group read
    INDEX_DATA = 5  # ... the row arrives: the element's address


def _log2(value: int) -> int:
    return value.bit_length() - 1


def misaligned(value, eew_code):
    """`value` (an offset or a stride) is not a multiple of the element size 2^eew_code."""
    return Mux(eew_code == 0, 0, Mux(eew_code == 1, value[0], value[:2] != 0))


def _index_hook(index):
    """An indexed access's element index as read (tests replace it to inject a fault)."""
    return index


def _cannot_fault_hook(safe):
    """The fast path's verdict (tests replace it to inject a fault)."""
    return safe


class VectorAccessCheck(wiring.Component):
    """``check``/``uop``: MEM's instruction and its micro-operation; ``idle``: the engine
    has nothing left to do; ``vl``, ``vstart``, ``sew`` (vtype's code), ``v0``: its
    state (exact when idle). ``hold``: WB's instruction may not be dispatched yet;
    ``fault``: it traps (misaligned or access fault, load or store). An indexed access's
    indices are read on the load/store sequencer's register file port, idle then:
    ``index_read`` asks for row ``index_row``, ``index_data`` brings it a cycle later."""

    def __init__(self, vlen: int, lanes: int, mem_base: int, mem_size: int) -> None:
        self.vlen, self.vlenb = vlen, vlen // 8
        self.beat_bytes = 4 * lanes
        self.beats_per_reg = self.vlenb // self.beat_bytes
        self.mem_base, self.mem_size = mem_base, mem_size
        super().__init__({
            "check": In(CHECK), "uop": In(UOP), "idle": In(1),
            "vl": In(range(vlen + 1)), "vstart": In(range(vlen)), "sew": In(2),
            "v0": In(vlen),
            "hold": Out(1), "fault": Out(FAULT),
            "index_read": Out(1), "index_row": Out(range(32 * self.beats_per_reg)),
            "index_data": In(32 * lanes),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        check, uop = self.check, self.uop
        vlenb, size = self.vlenb, self.mem_size
        memory = (uop.kind == Kind.LOAD) | (uop.kind == Kind.STORE)
        # (`strided` with `span` is a unit-stride segment access: nf fields an element)
        by_stride = uop.strided & ~uop.span
        checked = check.valid & memory
        # ---- MEM: the fast path, from the base alone ----
        # Its arithmetic starts from the operands and the instruction's raw bits (the
        # element width is the width field's, for every load and store row), and MEM's
        # decoded micro-operation only selects among its verdicts: the decoder is as
        # deep as the arithmetic, and the two in series were the engine's deepest path.
        offset = Signal(32, name="access_offset")
        m.d.comb += offset.eq(check.rs1 - self.mem_base)
        width = check.insn[12:15]
        eew = Signal(2, name="access_width")  # (8 for vlm/vsm and whole-register stores)
        m.d.comb += eew.eq(Mux(width[2], width[:2], 0))
        aligned = Signal(name="access_aligned")
        m.d.comb += aligned.eq(~misaligned(offset, eew))
        # the most a unit-stride access moves: nf x EMUL <= 8 registers (spec 7.8), a
        # whole-register one 8, vlm/vsm one; offset + that <= size as the offset against
        # the last base that fits (constants: no adder)
        fits = Mux(uop.mask_access, offset <= size - vlenb, offset <= size - 8 * vlenb)
        safe = Signal(name="access_cannot_fault")
        m.d.comb += safe.eq(_cannot_fault_hook(
            Mux(by_stride, self._strided_safe(m, uop, offset, aligned, eew),
                aligned & fits)))

        # ---- WB: what the scan needs of the instruction, registered as it moves ----
        store = Signal(name="access_store")
        eew_log = Signal(2, name="access_eew")
        strided = Signal(name="access_strided")
        fields = Signal(4, name="access_fields")  # nf (segment fields), else 1
        whole = Signal(name="access_whole")  # a whole-register count of bytes/elements
        nregs = Signal(4, name="access_registers")
        mask_access = Signal(name="access_mask")
        first_only = Signal(name="access_first_only")  # fault-only-first: element 0
        masked = Signal(name="access_masked")
        base = Signal(32, name="access_base")
        stride = Signal(32, name="access_stride")
        indexed = Signal(name="access_indexed")
        index_log = Signal(2, name="access_index_eew")
        index_group = Signal(5, name="access_index_group")
        fsm = Signal(Scan, name="access_scan")
        nf = check.insn[29:32]
        with m.If(check.advance):
            m.d.sync += [
                store.eq(uop.kind == Kind.STORE), eew_log.eq(uop.eew),
                strided.eq(by_stride), whole.eq(uop.whole), nregs.eq(nf + 1),
                fields.eq(Mux(uop.segment, nf + 1, 1)), mask_access.eq(uop.mask_access),
                first_only.eq(uop.fault_first), masked.eq(~check.insn[25] & ~uop.whole
                                                          & ~uop.mask_access),
                base.eq(check.rs1), stride.eq(check.rs2),
                indexed.eq(uop.strided & uop.indexed), index_log.eq(uop.eew),
                index_group.eq(check.insn[20:25]),
                fsm.eq(Mux(checked & ~safe, Scan.WAIT, Scan.IDLE)),
            ]

        # ---- the scan ----
        vlen_bits = self.vlen.bit_length() + 1
        element = Signal(vlen_bits + 3, name="access_element")  # (whole: up to 8 x VLENB)
        count = Signal(vlen_bits + 3, name="access_count")
        field = Signal(4, name="access_field")
        element_address = Signal(32, name="access_element_address")
        address = Signal(32, name="access_address")
        mask = Signal(self.vlen, name="access_mask_bits")  # v0 from the element on
        found = Signal(name="access_found")
        misaligned_found = Signal(name="access_misaligned")
        element_bytes = Signal(3, name="access_element_bytes")
        m.d.comb += element_bytes.eq(1 << eew_log)
        step = Mux(strided, stride, (fields << eew_log)[:8])  # to the next element
        with m.Switch(fsm):
            with m.Case(Scan.WAIT):
                # vl, vstart, v0 are the instruction's once everything before it is done
                with m.If(self.idle):
                    with m.If(whole):
                        m.d.sync += count.eq((nregs * vlenb) >> eew_log)
                    with m.Elif(mask_access):
                        m.d.sync += count.eq((self.vl + 7) >> 3)
                    with m.Elif(first_only):
                        m.d.sync += count.eq(Mux(self.vl != 0, 1, 0))
                    with m.Else():
                        m.d.sync += count.eq(self.vl)
                    m.d.sync += [element.eq(0), field.eq(0), element_address.eq(base),
                                 address.eq(base), mask.eq(self.v0), found.eq(0),
                                 fsm.eq(Mux(indexed, Scan.INDEX, Scan.WALK))]
                    with m.If(indexed):  # (its data is SEW wide; `eew` is the index's)
                        m.d.sync += eew_log.eq(self.sew)
            with m.Case(Scan.INDEX):
                with m.If(element >= count):
                    m.d.sync += fsm.eq(Scan.DONE)
                with m.Else():
                    m.d.comb += [self.index_read.eq(1), self.index_row.eq(
                        index_group * self.beats_per_reg
                        + ((element << index_log) >> _log2(self.beat_bytes)))]
                    m.d.sync += fsm.eq(Scan.INDEX_DATA)
            with m.Case(Scan.INDEX_DATA):
                byte = (element << index_log)[:_log2(self.beat_bytes)]
                word = self.index_data.bit_select(byte * 8, 32)
                index = _index_hook(
                    Mux(index_log == 0, word[:8], Mux(index_log == 1, word[:16], word)))
                m.d.sync += [element_address.eq(base + index), address.eq(base + index),
                             fsm.eq(Scan.WALK)]
            with m.Case(Scan.WALK):
                with m.If(element >= count):
                    m.d.sync += fsm.eq(Scan.DONE)
                with m.Else():
                    offset_now = address - self.mem_base
                    unaligned = misaligned(offset_now, eew_log)
                    outside = offset_now[:32] > size - element_bytes
                    active = (element >= self.vstart) & (~masked | mask[0])
                    with m.If(active & (unaligned | outside)):
                        m.d.sync += [found.eq(1), misaligned_found.eq(unaligned),
                                     fsm.eq(Scan.DONE)]
                    with m.Elif(field + 1 < fields):
                        m.d.sync += [field.eq(field + 1),
                                     address.eq(address + element_bytes)]
                    with m.Else():
                        next_element = element_address + step
                        m.d.sync += [field.eq(0), element.eq(element + 1),
                                     element_address.eq(next_element),
                                     address.eq(next_element), mask.eq(mask >> 1)]
                        with m.If(indexed):
                            m.d.sync += fsm.eq(Scan.INDEX)
        scanning = (fsm != Scan.IDLE) & (fsm != Scan.DONE)
        cause = Mux(misaligned_found,
                    Mux(store, TrapCause.STORE_MISALIGNED, TrapCause.LOAD_MISALIGNED),
                    Mux(store, TrapCause.STORE_ACCESS_FAULT, TrapCause.LOAD_ACCESS_FAULT))
        m.d.comb += [self.hold.eq(scanning),
                     self.fault.valid.eq((fsm == Scan.DONE) & found),
                     self.fault.cause.eq(cause)]
        return m

    def _strided_safe(self, m: Module, uop, offset, aligned, eew) -> Signal:
        """A strided access (not indexed) that cannot fault: base and stride
        element-aligned (`eew`: the width field's code), and every element within RAM
        for any vl. An access moves at most 2^k elements, k = log2(8 x VLENB) - log2(EEW
        bytes) (EMUL <= 8), so its elements lie within ``|stride| << k`` bytes of the
        base, on the stride's side, plus one element's fields (nf of a segment access:
        worked out for both counts, the decoded instruction picking one)."""
        check, size = self.check, self.mem_size
        stride = check.rs2.as_signed()
        stride_aligned = ~misaligned(check.rs2, eew)
        top = _log2(8 * self.vlenb)
        scaled = Signal(signed(32 + top), name="access_stride_reach")  # stride << k
        with m.Switch(eew):
            for code in range(3):
                with m.Case(code):
                    m.d.comb += scaled.eq(stride << (top - code))
        # the far end, offset + (stride << k): ahead, it and an element's fields within
        # RAM; behind, at or above RAM's base (offset >= |stride| << k, without a
        # negation or a three-way add)
        far = Signal(signed(34 + top), name="access_stride_far")
        m.d.comb += far.eq(offset + scaled)
        verdicts = []
        for name, fields in (("single", Const(1, 4)), ("segment", check.insn[29:32] + 1)):
            element = Signal(6, name=f"access_{name}_span")  # its fields' bytes
            last_start = Signal(range(size + 1), name=f"access_{name}_last_start")
            m.d.comb += [element.eq(fields << eew), last_start.eq(size - element)]
            # (x <= last_start as the sign of a difference: a carry chain; Yosys had
            # made these compares a dozen levels of LUTs)
            room = Signal(signed(35 + top), name=f"access_{name}_room")  # to the far end
            room_behind = Signal(signed(34), name=f"access_{name}_room_behind")
            m.d.comb += [room.eq(last_start - far), room_behind.eq(last_start - offset)]
            ahead = (stride >= 0) & ~room[-1]
            behind = (stride < 0) & ~far[-1] & ~room_behind[-1]
            verdicts.append(ahead | behind)
        safe = Signal(name="access_strided_safe")
        m.d.comb += safe.eq(~uop.indexed & aligned & stride_aligned
                            & Mux(uop.segment, verdicts[1], verdicts[0]))
        return safe
