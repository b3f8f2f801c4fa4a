"""The vector engine (RVV 1.0 Zve32x), on the engine interface (`hw/oxcore/engine.py`).

Structure (docs/vector.md has the diagram):

- **decoder** (`decode.VectorDecoder`): claims the rows of the ISA table the engine
  implements, with the scalar registers they read and write;
- **instruction queue**: dispatched instructions with their scalar operands, captured at
  dispatch (``queue_depth`` entries); the scalar pipeline runs on meanwhile;
- **sequencer**: one instruction at a time, one *beat* (``LANES`` x 32 bits of a
  register group) per step: register file reads, the lanes' ALUs, the register file
  write, and the report of what changed;
- **register file**: lane-sliced, one 32-bit-wide memory per lane, ``32 * VLEN /
  (32 * LANES)`` rows;
- **load/store unit**: unit-stride accesses on the engine's ``LANES x 32``-bit memory
  port, any element-aligned base (a beat straddling two port words takes both);
- **state**: vl, vtype (vill in bit 31) and a copy of v0 in flip-flops for masking.

Every instruction's architectural effects leave on the ``commit`` port (generated from
`oxcore.retire.ports.vector_commit_spec`), keyed by the instruction's order: one
`VWrite` per register written (the whole register, and a byte mask of what was written),
the unit-stride access of that register's bytes, vl/vtype writes; ``last`` ends the
instruction. Scalar results (vsetvl's vl, vmv.x.s) go through ``pipe.complete``.

This first engine executes: vsetvli/vsetivli/vsetvl; unit-stride vle/vse of 8, 16
and 32-bit elements, masked or not; single-width integer add, subtract, reverse
subtract, logic, shifts, min/max (vv, vx, vi); vmv.v.*, vmerge; vmv.x.s. The other
Zve32x rows are not claimed: the core traps them as illegal, and co-simulation names
them. Not yet modelled: vstart (always 0), and the traps the interpreter raises for
vill, misaligned groups and accesses outside RAM.
"""

from __future__ import annotations

import enum

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import fifo, memory, wiring
from amaranth.lib.wiring import Out

from hw.oxcore.commit import commit_layout
from hw.oxcore.engine import DISPATCH, ENGINE_CLASSES, Engine
from hw.oxcore.vector.decode import (COMPARES, MASK_LOGIC, REDUCTIONS, UOP, AluOp, Form,
                                     Kind, VectorDecoder)
from hw.oxcore.vector.lane import LaneAlu
from oxcore.config import OxCoreConfig, VectorConfig
from oxcore.isa import Isa, isa_for
from oxcore.retire.ports import vector_commit_spec

VILL = 1 << 31
CSR_VSTART, CSR_VXSAT, CSR_VXRM, CSR_VCSR = 0x008, 0x009, 0x00A, 0x00F
CSR_VL, CSR_VTYPE, CSR_VLENB = 0xC20, 0xC21, 0xC22


class State(enum.IntEnum):
    IDLE = 0
    START = 1
    CONFIG_VL = 2  # report vl
    CONFIG_VTYPE = 3  # report vtype
    READ = 4  # register file addresses of a beat
    EXECUTE = 5  # the beat's data: compute, write, report
    LOAD_LOW = 6  # memory: the lower port word of a beat
    LOAD_HIGH = 7  # the upper one
    LOAD_WAIT = 8  # the upper word's data
    STORE_LOW = 9
    STORE_HIGH = 10
    COMPLETE = 11  # hand a scalar result to the core
    DONE = 12  # report the end of the instruction
    WB_READ = 13  # the destination register's beat (reductions, compares, mask logic)
    WB_EXECUTE = 14  # ... merged with the result gathered before, written and reported
    CSR = 15  # a CSR instruction on a vector CSR: read, write, report


def _log2(value: int) -> int:
    return value.bit_length() - 1


class VectorEngine(Engine):
    """The vector unit. Parameters come from `VectorConfig` (VLEN, lanes, queue depth)."""

    def __init__(self, vector: VectorConfig, isa: Isa) -> None:
        self.vlen = vector.vlen
        self.lanes = vector.lanes
        self.queue_depth = vector.queue_depth
        self.isa = isa
        self.vlenb = self.vlen // 8
        self.beat_bytes = 4 * self.lanes
        self.beats_per_reg = self.vlen // (32 * self.lanes)
        self.commit_spec = vector_commit_spec(self.vlenb)
        super().__init__(port_bits=self.vector_port_bits)
        self.commit = Signal(commit_layout(self.commit_spec), name="vcommit")

    @property
    def vector_port_bits(self) -> int:
        return 32 * self.lanes

    @classmethod
    def for_config(cls, config: OxCoreConfig, section: VectorConfig) -> "VectorEngine":
        return cls(section, isa_for(config))

    # ------------------------------------------------------------------------------------
    def elaborate(self, platform) -> Module:
        m = Module()
        pipe, mem = self.pipe, self.mem
        lanes, bpr, pb = self.lanes, self.beats_per_reg, self.beat_bytes
        vlen, vlenb = self.vlen, self.vlenb

        # ---- claim: the decoder answers for the word in ID ----
        m.submodules.claim_decoder = claim = VectorDecoder(self.isa)
        m.d.comb += [claim.insn.eq(pipe.claim.insn),
                     pipe.claimed.match.eq(claim.match),
                     pipe.claimed.reads_rs1.eq(claim.reads_rs1),
                     pipe.claimed.reads_rs2.eq(claim.reads_rs2),
                     pipe.claimed.writes_rd.eq(claim.writes_rd)]

        # ---- instruction queue ----
        m.submodules.queue = queue = fifo.SyncFIFOBuffered(
            width=DISPATCH.size, depth=self.queue_depth)
        m.d.comb += [queue.w_data.eq(pipe.dispatch.payload.as_value()),
                     queue.w_en.eq(pipe.dispatch.valid),
                     pipe.dispatch.ready.eq(queue.w_rdy)]

        # ---- the instruction being executed ----
        state = Signal(State)
        current = Signal(DISPATCH)
        m.submodules.decoder = decoder = VectorDecoder(self.isa)
        uop = Signal(UOP)
        m.d.comb += [decoder.insn.eq(current.insn), uop.eq(decoder.uop)]
        insn = current.insn
        rd, rs1_field = insn[7:12], insn[15:20]
        vd, vs1, vs2 = insn[7:12], insn[15:20], insn[20:25]
        unmasked = insn[25]
        writes_rd = Signal()
        m.d.comb += writes_rd.eq(decoder.writes_rd)

        vl = Signal(range(vlen + 1))
        vtype = Signal(32, init=VILL)
        vstart = Signal(range(vlen))
        vxrm = Signal(2)
        vxsat = Signal(1)
        v0 = Signal(vlen)  # a copy of v0 for masking
        sew_code = Signal(2)
        m.d.comb += sew_code.eq(vtype[3:5])
        eew_code = Signal(2)  # the element width of this instruction
        with m.If((uop.kind == Kind.LOAD) | (uop.kind == Kind.STORE)):
            m.d.comb += eew_code.eq(uop.eew)
        with m.Else():
            m.d.comb += eew_code.eq(sew_code)

        m.d.comb += pipe.busy.eq((queue.level != 0) | (state != State.IDLE))

        # ---- register file: one memory per lane ----
        rows = 32 * bpr
        write_row = Signal(range(rows))
        write_data = Signal(32 * lanes)
        write_bytes = Signal(pb)  # byte enables
        read_rows = [Signal(range(rows), name=f"read_row{i}") for i in range(3)]
        read_data = [Signal(32 * lanes, name=f"read_data{i}") for i in range(3)]
        for lane in range(lanes):
            mem_ = memory.Memory(shape=32, depth=rows, init=[])
            m.submodules[f"vrf_lane{lane}"] = mem_
            wp = mem_.write_port(granularity=8)
            m.d.comb += [wp.addr.eq(write_row),
                         wp.data.eq(write_data[32 * lane:32 * (lane + 1)]),
                         wp.en.eq(write_bytes[4 * lane:4 * (lane + 1)])]
            for i in range(3):
                rp = mem_.read_port(domain="sync", transparent_for=(wp,))
                m.d.comb += [rp.addr.eq(read_rows[i]),
                             read_data[i][32 * lane:32 * (lane + 1)].eq(rp.data)]
        old_vd, src2, src1 = read_data  # vd (undisturbed bytes, stores' data), vs2, vs1

        # ---- beat bookkeeping ----
        beat = Signal(range(8 * bpr + 1))  # beat within the register group
        beats = Signal(range(8 * bpr + 1))  # beats of the registers with body elements
        # the body's length in elements: vl, or whole registers' worth (vl<n>r, vmv<n>r)
        length = Signal(range(8 * vlenb + 1))
        whole_regs = Signal(4)
        m.d.comb += whole_regs.eq(Mux(uop.kind == Kind.ARITH, insn[15:18], insn[29:32]) + 1)
        m.d.comb += length.eq(Mux(uop.whole, (whole_regs * vlenb) >> eew_code, vl))
        group_bytes = Signal(range(8 * vlenb + 1))  # length * EEW/8: the body's bytes
        m.d.comb += group_bytes.eq(length << eew_code)
        body_regs = Signal(range(9))
        m.d.comb += body_regs.eq((group_bytes + vlenb - 1) >> _log2(vlenb))
        beat_offset = Signal(range(8 * vlenb))  # the beat's first byte in the group
        m.d.comb += beat_offset.eq(beat * pb)
        # per byte of the beat: its element, body and mask bits
        active = Signal(pb)
        every = Signal()  # vmerge: every body element is written (v0 picks the source)
        m.d.comb += every.eq(unmasked | ((uop.kind == Kind.ARITH) & (uop.op == AluOp.MERGE)))
        for j in range(pb):
            element = Signal(range(8 * vlenb), name=f"element{j}")
            m.d.comb += element.eq((beat_offset + j) >> eew_code)
            mask_bit = v0.bit_select(element[:_log2(vlen)], 1)
            m.d.comb += active[j].eq((element < length) & (element >= vstart)
                                     & (every | mask_bit) & ~(uop.first_only & (element != 0)))
        last_of_reg = Signal()
        m.d.comb += last_of_reg.eq((beat % bpr) == bpr - 1)
        reg_in_group = Signal(range(8))
        m.d.comb += reg_in_group.eq(beat >> _log2(bpr) if bpr > 1 else beat)

        # ---- lanes ----
        scalar = Signal(32)  # the vx/vi source, replicated to every element
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
        for lane in range(lanes):
            alu = LaneAlu()
            m.submodules[f"alu{lane}"] = alu
            bits = slice(32 * lane, 32 * (lane + 1))
            pick = Cat(*(v0.bit_select(((beat_offset + 4 * lane + k) >> sew_code)
                                       [:_log2(vlen)], 1) for k in range(4)))
            m.d.comb += [alu.a.eq(src2[bits]), alu.d.eq(old_vd[bits]),
                         alu.b.eq(Mux(uop.form == Form.VV, src1[bits], scalar)),
                         alu.sew.eq(sew_code), alu.op.eq(uop.op), alu.pick.eq(pick),
                         alu_result[bits].eq(alu.result)]

        # ---- load/store unit: the beat's memory words ----
        base = current.rs1
        beat_addr = Signal(32)
        m.d.comb += beat_addr.eq(base + beat_offset)
        shift = beat_addr[:_log2(pb)]  # bytes into the lower port word
        word = beat_addr[_log2(pb):]
        low_word = Signal(32 * lanes)
        high_word = Signal(32 * lanes)
        loaded = Signal(32 * lanes)
        m.d.comb += loaded.eq((Cat(low_word, high_word) >> (shift * 8))[:32 * lanes])
        store_shifted = Signal(64 * lanes)
        store_enables = Signal(2 * pb)
        m.d.comb += [store_shifted.eq(old_vd << (shift * 8)),
                     store_enables.eq(active << shift)]

        # ---- the beat's new value and the report of the register being written ----
        new_value = Signal(32 * lanes)
        indices = Signal(32 * lanes)  # vid.v: each element's index
        with m.Switch(sew_code):
            for code, sew in enumerate((8, 16, 32)):
                with m.Case(code):
                    m.d.comb += indices.eq(Cat(*(
                        Cat((beat_offset + k * sew // 8) >> code, Const(0, sew))[:sew]
                        for k in range(32 * lanes // sew))))
        beat_source = Mux(uop.kind == Kind.LOAD, loaded,
                          Mux(uop.op == AluOp.INDEX, indices, alu_result))
        for j in range(pb):
            byte = slice(8 * j, 8 * (j + 1))
            m.d.comb += new_value[byte].eq(Mux(active[j], beat_source[byte], old_vd[byte]))
        # reductions, compares and mask logic write their destination in a second pass
        phase_b = Signal()
        m.d.comb += phase_b.eq((state == State.WB_READ) | (state == State.WB_EXECUTE))
        gathers = Signal()  # a first pass gathers a result: reductions, compares
        m.d.comb += gathers.eq((uop.kind == Kind.REDUCE) | (uop.kind == Kind.COMPARE))
        wb_new, wb_bytes = self._gather(m, uop, state, beat, beat_offset, sew_code, vl,
                                        vstart, active, old_vd, src2, src1, scalar,
                                        gathers)
        out_value = Signal(32 * lanes)
        out_bytes = Signal(pb)
        m.d.comb += [out_value.eq(Mux(phase_b, wb_new, new_value)),
                     out_bytes.eq(Mux(phase_b, wb_bytes, active))]
        report_data = Signal(vlen)  # the register so far (beats before this one)
        report_mask = Signal(vlenb)
        report_mem = Signal(vlen)
        beat_in_reg = Signal(range(bpr))
        m.d.comb += beat_in_reg.eq(beat % bpr)
        full_data = Signal(vlen)
        full_mask = Signal(vlenb)
        full_mem = Signal(vlen)
        moved = Signal(32 * lanes)  # the bytes the memory access moves
        mem_value = Mux(uop.kind == Kind.STORE, old_vd, new_value)
        for j in range(pb):
            byte = slice(8 * j, 8 * (j + 1))
            m.d.comb += moved[byte].eq(Mux(active[j], mem_value[byte], 0))
        m.d.comb += [full_data.eq(report_data), full_mask.eq(report_mask),
                     full_mem.eq(report_mem)]
        with m.Switch(beat_in_reg):
            for b in range(bpr):
                with m.Case(b):
                    m.d.comb += [
                        full_data.word_select(b, 32 * lanes).eq(
                            Mux(uop.kind == Kind.STORE, old_vd, out_value)),
                        full_mask.word_select(b, pb).eq(
                            Mux(uop.kind == Kind.STORE, 0, out_bytes)),
                        full_mem.word_select(b, 32 * lanes).eq(moved),
                    ]

        # ---- the commit port (reports) ----
        commit = self.commit
        m.d.comb += commit.order.eq(current.order)
        group_reg = Signal(5)
        m.d.comb += group_reg.eq(vd + reg_in_group)
        reg_span = Signal(range(8 * vlenb + 1))  # bytes of this register in the body
        m.d.comb += reg_span.eq(group_bytes - reg_in_group * vlenb)

        def report_register() -> None:
            """At a register's last beat: its VWrite and memory access, if any bytes."""
            is_memory = (uop.kind == Kind.LOAD) | (uop.kind == Kind.STORE)
            mem_mask = Signal(vlenb, name="mem_mask")
            m.d.comb += mem_mask.eq(Mux(uop.kind == Kind.STORE, full_mask_store, full_mask))
            m.d.comb += [
                commit.valid.eq(1),
                commit.v.valid.eq((uop.kind != Kind.STORE) & full_mask.any()),
                commit.v.reg.eq(group_reg), commit.v.data.eq(full_data),
                commit.v.mask.eq(full_mask),
                commit.mem.valid.eq(is_memory & mem_mask.any()),
                commit.mem.addr.eq(base + reg_in_group * vlenb),
                commit.mem.size.eq(Mux(reg_span > vlenb, vlenb, reg_span)),
                commit.mem.write.eq(uop.kind == Kind.STORE),
                commit.mem.data.eq(full_mem), commit.mem.mask.eq(mem_mask),
            ]

        # a store's moved-bytes mask, accumulated like the register's
        store_mask = Signal(vlenb)
        full_mask_store = Signal(vlenb)
        m.d.comb += full_mask_store.eq(store_mask)
        with m.Switch(beat_in_reg):
            for b in range(bpr):
                with m.Case(b):
                    m.d.comb += full_mask_store.word_select(b, pb).eq(active)

        # ---- vsetvl ----
        new_vtype = Signal(32)
        avl = Signal(32)
        with m.If(uop.kind == Kind.SET_VL_IMM):
            m.d.comb += [new_vtype.eq(insn[20:30]), avl.eq(insn[15:20])]
        with m.Else():
            m.d.comb += new_vtype.eq(Mux(uop.vtype_from_rs2, current.rs2, insn[20:31]))
            with m.If(rs1_field != 0):
                m.d.comb += avl.eq(current.rs1)
            with m.Elif(rd != 0):
                m.d.comb += avl.eq(0xFFFF_FFFF)
            with m.Else():
                m.d.comb += avl.eq(vl)
        vlmul, vsew = new_vtype[:3], new_vtype[3:6]
        legal = Signal()
        m.d.comb += legal.eq((new_vtype[8:] == 0) & (vlmul != 4) & (vsew <= 2)
                             & ~((vlmul == 5)
                                 | ((vlmul == 6) & (vsew > 0))
                                 | ((vlmul == 7) & (vsew > 1))))
        vlmax = Signal(range(vlen + 1))
        per_reg = Signal(range(vlen // 8 + 1))
        m.d.comb += per_reg.eq(Const(vlen // 8) >> vsew)  # VLEN / SEW
        with m.Switch(vlmul):
            for code, scale in ((0, 0), (1, 1), (2, 2), (3, 3)):
                with m.Case(code):
                    m.d.comb += vlmax.eq(per_reg << scale)
            for code, scale in ((5, 3), (6, 2), (7, 1)):
                with m.Case(code):
                    m.d.comb += vlmax.eq(per_reg >> scale)
        next_vl = Signal(range(vlen + 1))
        m.d.comb += next_vl.eq(Mux(~legal, 0, Mux(avl < vlmax, avl, vlmax)))

        # ---- the vector CSRs, as csr instructions see them ----
        csr_number = insn[20:32]
        csr_old = Signal(32)
        with m.Switch(csr_number):
            for number, value in ((CSR_VSTART, vstart), (CSR_VXSAT, vxsat),
                                  (CSR_VXRM, vxrm), (CSR_VCSR, Cat(vxsat, vxrm)),
                                  (CSR_VL, vl), (CSR_VTYPE, vtype), (CSR_VLENB, vlenb)):
                with m.Case(number):
                    m.d.comb += csr_old.eq(value)
        source = Mux(uop.form == Form.VI, insn[15:20], current.rs1)
        csr_new = Signal(32)
        with m.Switch(uop.sub):
            with m.Case(0):
                m.d.comb += csr_new.eq(source)
            with m.Case(1):
                m.d.comb += csr_new.eq(csr_old | source)
            with m.Default():
                m.d.comb += csr_new.eq(csr_old & ~source)
        csr_writes = Signal()  # csrrw always writes; csrrs/csrrc when the source is not x0/0
        m.d.comb += csr_writes.eq((uop.sub == 0) | (rs1_field != 0))

        # ---- scalar results ----
        result = Signal(32)
        complete = pipe.complete
        m.d.comb += [complete.payload.order.eq(current.order), complete.payload.rd.eq(rd),
                     complete.payload.value.eq(result)]

        # ---- register file addresses ----
        group_row = Signal(range(rows))
        m.d.comb += [group_row.eq(vd * bpr + beat),
                     read_rows[0].eq(group_row),
                     read_rows[1].eq(vs2 * bpr + beat),
                     read_rows[2].eq(vs1 * bpr + beat),
                     write_row.eq(group_row), write_data.eq(out_value)]

        # ---- the sequencer ----
        def next_beat() -> None:
            m.d.sync += beat.eq(beat + 1)
            with m.If(last_of_reg):
                m.d.sync += [report_data.eq(0), report_mask.eq(0), report_mem.eq(0),
                             store_mask.eq(0)]
            with m.Else():
                m.d.sync += [report_data.eq(full_data), report_mask.eq(full_mask),
                             report_mem.eq(full_mem), store_mask.eq(full_mask_store)]
            with m.If((beat + 1 == beats) & gathers):  # then write the destination
                m.d.sync += [beat.eq(0), state.eq(State.WB_READ), report_data.eq(0),
                             report_mask.eq(0)]
            with m.Elif(beat + 1 == beats):
                m.d.sync += state.eq(State.DONE)
            with m.Elif(uop.kind == Kind.LOAD):
                m.d.sync += state.eq(State.LOAD_LOW)
            with m.Else():
                m.d.sync += state.eq(State.READ)

        def write_v0() -> None:
            """Keep the copy of v0 in step with its register's beats."""
            index = beat[:_log2(bpr)] if bpr > 1 else 0
            with m.If((vd == 0) & (beat < bpr)):
                m.d.sync += v0.word_select(index, 32 * lanes).eq(out_value)

        with m.Switch(state):
            with m.Case(State.IDLE):
                m.d.comb += queue.r_en.eq(1)
                with m.If(queue.r_rdy):
                    m.d.sync += [current.eq(queue.r_data), state.eq(State.START),
                                 beat.eq(0), report_data.eq(0), report_mask.eq(0),
                                 report_mem.eq(0), store_mask.eq(0)]
            with m.Case(State.START):
                m.d.sync += beats.eq(body_regs * bpr)
                with m.Switch(uop.kind):
                    with m.Case(Kind.SET_VL, Kind.SET_VL_IMM):
                        m.d.sync += [vl.eq(next_vl),
                                     vtype.eq(Mux(legal, new_vtype, VILL)),
                                     result.eq(next_vl), state.eq(State.CONFIG_VL)]
                    with m.Case(Kind.ARITH, Kind.STORE):
                        m.d.sync += state.eq(Mux(body_regs == 0, State.DONE, State.READ))
                    with m.Case(Kind.LOAD):
                        m.d.sync += state.eq(Mux(body_regs == 0, State.DONE,
                                                 State.LOAD_LOW))
                    with m.Case(Kind.TO_SCALAR):
                        m.d.sync += state.eq(State.READ)
                    with m.Case(Kind.REDUCE, Kind.COMPARE):
                        m.d.sync += state.eq(Mux(body_regs == 0, State.DONE, State.READ))
                    with m.Case(Kind.MASK_LOGIC):
                        m.d.sync += state.eq(Mux(vl == 0, State.DONE, State.WB_READ))
                    with m.Case(Kind.CSR):
                        m.d.sync += state.eq(State.CSR)
                    with m.Default():
                        m.d.sync += state.eq(State.DONE)
            with m.Case(State.CONFIG_VL):
                m.d.comb += [commit.valid.eq(1), commit.csr.valid.eq(1),
                             commit.csr.csr.eq(0xC20), commit.csr.value.eq(vl)]
                m.d.sync += state.eq(State.CONFIG_VTYPE)
            with m.Case(State.CONFIG_VTYPE):
                m.d.comb += [commit.valid.eq(1), commit.csr.valid.eq(1),
                             commit.csr.csr.eq(0xC21), commit.csr.value.eq(vtype)]
                m.d.sync += state.eq(State.COMPLETE)
            with m.Case(State.READ):  # the register file reads this beat's rows
                m.d.sync += state.eq(Mux(uop.kind == Kind.STORE, State.STORE_LOW,
                                         State.EXECUTE))
            with m.Case(State.EXECUTE):
                with m.If(uop.kind == Kind.TO_SCALAR):
                    element = src2[:32]
                    with m.Switch(sew_code):
                        with m.Case(0):
                            m.d.sync += result.eq(element[:8].as_signed())
                        with m.Case(1):
                            m.d.sync += result.eq(element[:16].as_signed())
                        with m.Default():
                            m.d.sync += result.eq(element)
                    m.d.sync += state.eq(State.COMPLETE)
                with m.Elif(gathers):  # first pass: gather (`_destination_pass`)
                    next_beat()
                with m.Else():
                    m.d.comb += write_bytes.eq(active)
                    write_v0()
                    with m.If(last_of_reg | (beat + 1 == beats)):
                        report_register()
                    next_beat()
            with m.Case(State.LOAD_LOW):
                m.d.comb += [mem.valid.eq(1), mem.addr.eq(word)]
                with m.If(mem.ready):
                    m.d.sync += state.eq(State.LOAD_HIGH)
            with m.Case(State.LOAD_HIGH):
                m.d.comb += [mem.valid.eq(1), mem.addr.eq(word + 1)]
                with m.If(mem.rvalid):
                    m.d.sync += low_word.eq(mem.rdata)
                with m.If(mem.ready):
                    m.d.sync += state.eq(State.LOAD_WAIT)
            with m.Case(State.LOAD_WAIT):  # the upper word arrives; vd's old beat is read
                m.d.sync += [high_word.eq(mem.rdata), state.eq(State.EXECUTE)]
            with m.Case(State.STORE_LOW):
                m.d.comb += [mem.valid.eq(store_enables[:pb].any()), mem.addr.eq(word),
                             mem.write.eq(1), mem.mask.eq(store_enables[:pb]),
                             mem.wdata.eq(store_shifted[:32 * lanes])]
                with m.If(mem.ready | ~store_enables[:pb].any()):
                    m.d.sync += state.eq(State.STORE_HIGH)
            with m.Case(State.STORE_HIGH):
                upper = store_enables[pb:]
                m.d.comb += [mem.valid.eq(upper.any()), mem.addr.eq(word + 1),
                             mem.write.eq(1), mem.mask.eq(upper),
                             mem.wdata.eq(store_shifted[32 * lanes:])]
                with m.If(mem.ready | ~upper.any()):
                    with m.If(last_of_reg | (beat + 1 == beats)):
                        report_register()
                    next_beat()
            with m.Case(State.COMPLETE):
                m.d.comb += complete.valid.eq(1)
                with m.If(complete.ready):
                    m.d.sync += state.eq(State.DONE)
            with m.Case(State.WB_READ):
                m.d.sync += state.eq(State.WB_EXECUTE)
            with m.Case(State.WB_EXECUTE):  # one register: beats 0 .. bpr-1
                m.d.comb += write_bytes.eq(wb_bytes)
                write_v0()
                m.d.sync += [beat.eq(beat + 1), report_data.eq(full_data),
                             report_mask.eq(full_mask)]
                with m.If(beat == bpr - 1):
                    report_register()
                    m.d.sync += state.eq(State.DONE)
                with m.Else():
                    m.d.sync += state.eq(State.WB_READ)
            with m.Case(State.CSR):
                self._csr(m, commit, current, uop, rd, csr_old, csr_new, csr_writes,
                          vstart, vxrm, vxsat)
                m.d.sync += [result.eq(csr_old), state.eq(State.COMPLETE)]
            with m.Case(State.DONE):
                m.d.comb += [commit.valid.eq(1), commit.last.eq(1)]
                m.d.sync += state.eq(State.IDLE)
                with m.If((uop.kind != Kind.CSR) & (vstart != 0)):  # back to 0 (spec 3.7)
                    m.d.comb += [commit.csr.valid.eq(1), commit.csr.csr.eq(CSR_VSTART),
                                 commit.csr.value.eq(0)]
                    m.d.sync += vstart.eq(0)
        return m

    def _gather(self, m: Module, uop, state, beat, beat_offset, sew_code, vl, vstart,
                active, old_vd, src2, src1, scalar, gathers):
        """Reductions, compares and mask logic. The first pass (EXECUTE over the source
        group's beats) folds the active elements into the reduction's accumulator
        (started from vs1[0]) or sets the compare's mask bits; the second (WB_*, over
        vd's beats) merges them, or the mask logic's bits, into vd. Returns the second
        pass's beat value and byte enables."""
        lanes, pb, vlen = self.lanes, self.beat_bytes, self.vlen
        bits = 8 * pb
        operand = Mux(uop.form == Form.VV, src1, scalar.replicate(lanes))
        gathering = Signal()
        m.d.comb += gathering.eq((state == State.EXECUTE) & gathers)
        accumulator = Signal(32)
        mask_bits = Signal(vlen)
        mask_written = Signal(vlen)
        with m.If(state == State.START):
            m.d.sync += [mask_written.eq(0), mask_bits.eq(0)]
        with m.Switch(sew_code):
            for code, sew in enumerate((8, 16, 32)):
                with m.Case(code):
                    count = bits // sew  # elements per beat
                    elements = [(src2[k * sew:(k + 1) * sew], operand[k * sew:(k + 1) * sew],
                                 active[k * sew // 8]) for k in range(count)]
                    # reduction: fold the active elements into the accumulator
                    start = Mux(beat == 0, src1[:sew], accumulator[:sew])
                    with m.Switch(uop.sub):
                        for index, name in enumerate(REDUCTIONS):
                            with m.Case(index):
                                folded = start
                                for k, (value, _, on) in enumerate(elements):
                                    step = Signal(sew, name=f"fold_{name}_{sew}_{k}")
                                    m.d.comb += step.eq(
                                        Mux(on, _reduce(name, folded, value, sew), folded))
                                    folded = step  # a signal: min/max reuse their inputs
                                with m.If(gathering & (uop.kind == Kind.REDUCE)):
                                    m.d.sync += accumulator.eq(folded)
                    # compare: one mask bit per active element
                    results = Signal(count, name=f"compare_bits{sew}")
                    enables = Signal(count, name=f"compare_enables{sew}")
                    with m.Switch(uop.sub):
                        for index, name in enumerate(COMPARES):
                            with m.Case(index):
                                m.d.comb += results.eq(Cat(*(_compare(name, a, b)
                                                             for a, b, _ in elements)))
                    m.d.comb += enables.eq(Cat(*(on for _, _, on in elements)))
                    with m.If(gathering & (uop.kind == Kind.COMPARE)):
                        slot = beat[:_log2(vlen // count)] if vlen > count else 0
                        m.d.sync += [
                            mask_bits.word_select(slot, count).eq(results),
                            mask_written.word_select(slot, count).eq(enables),
                        ]
        # second pass: the value and bit enables of vd's beat
        value = Signal(bits)
        enable = Signal(bits)
        index = beat[:_log2(self.beats_per_reg)] if self.beats_per_reg > 1 else 0
        with m.Switch(uop.kind):
            with m.Case(Kind.MASK_LOGIC):
                with m.Switch(uop.sub):
                    for i, name in enumerate(MASK_LOGIC):
                        with m.Case(i):
                            m.d.comb += value.eq(_mask_logic(name, src2, src1))
                m.d.comb += enable.eq(Cat(*(((beat_offset * 8 + k) < vl)
                                            & ((beat_offset * 8 + k) >= vstart)
                                            for k in range(bits))))
            with m.Case(Kind.COMPARE):
                m.d.comb += [value.eq(mask_bits.word_select(index, bits)),
                             enable.eq(mask_written.word_select(index, bits))]
            with m.Case(Kind.REDUCE):
                m.d.comb += value.eq(accumulator)
                with m.If(beat == 0):
                    with m.Switch(sew_code):
                        for code, sew in enumerate((8, 16, 32)):
                            with m.Case(code):
                                m.d.comb += enable.eq((1 << sew) - 1)
        new = Signal(bits)
        byte_enables = Signal(pb)
        m.d.comb += new.eq((old_vd & ~enable) | (value & enable))
        m.d.comb += byte_enables.eq(Cat(*(enable[8 * j:8 * (j + 1)].any() for j in range(pb))))
        return new, byte_enables

    def _csr(self, m: Module, commit, current, uop, rd, old, new, writes, vstart, vxrm,
             vxsat) -> None:
        """A csr instruction on a vector CSR (its WARL bits kept); its write reported as
        the value the CSR then holds. The read-only ones (vl, vtype, vlenb) are only
        read: a write to them is illegal, which the interpreter traps and this engine
        (dispatched at retirement) cannot."""
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


def _reduce(name: str, a, b, sew: int):
    sa, sb = a.as_signed(), b.as_signed()
    return {
        "vredsum": (a + b)[:sew], "vredand": a & b, "vredor": a | b, "vredxor": a ^ b,
        "vredminu": Mux(a < b, a, b), "vredmin": Mux(sa < sb, a, b),
        "vredmaxu": Mux(a > b, a, b), "vredmax": Mux(sa > sb, a, b),
    }[name]


def _compare(name: str, a, b):
    sa, sb = a.as_signed(), b.as_signed()
    return {"vmseq": a == b, "vmsne": a != b, "vmsltu": a < b, "vmslt": sa < sb,
            "vmsleu": a <= b, "vmsle": sa <= sb, "vmsgtu": a > b, "vmsgt": sa > sb}[name]


def _mask_logic(name: str, a, b):
    return {"vmandn": a & ~b, "vmand": a & b, "vmor": a | b, "vmxor": a ^ b,
            "vmorn": a | ~b, "vmnand": ~(a & b), "vmnor": ~(a | b),
            "vmxnor": ~(a ^ b)}[name]


ENGINE_CLASSES["vector"] = VectorEngine
