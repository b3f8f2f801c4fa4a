"""MEM: the load's data lane select and extension (the data arrives from the data port
the cycle after EX's request), the multiplier's result at latency 1."""

from amaranth import Mux

from hw.oxcore.control import MemOp, Unit
from hw.oxcore.pipeline import Pipeline


def elaborate_memory_access(p: Pipeline) -> None:
    mm, w, lsu, mul = p.mm, p.w, p.lsu, p.mul
    me = p.block("mem")
    me.d.comb += [
        p.m_value.eq(Mux(mm.unit == Unit.MUL, mul.result, mm.result) if p.latency == 1
                     else mm.result),
        lsu.m_offset.eq(mm.addr[:2]), lsu.m_size_log2.eq(mm.size_log2),
        lsu.m_signed.eq(mm.signed), lsu.bus_rdata.eq(p.core.dmem.rdata),
    ]
    with me.If(p.advance):
        is_load = mm.mem == MemOp.LOAD
        me.d.sync += [
            w.valid.eq(mm.valid), w.pc.eq(mm.pc), w.insn.eq(mm.insn), w.rd.eq(mm.rd),
            w.writes.eq(mm.writes), w.unit.eq(mm.unit), w.ecall.eq(mm.ecall),
            w.trap.eq(mm.trap), w.mem.eq(mm.mem), w.addr.eq(mm.addr),
            w.size_log2.eq(mm.size_log2),
            w.result.eq(Mux(is_load, lsu.load_value, p.m_value)),
            w.mem_data.eq(Mux(is_load, lsu.load_raw, mm.store_value)),
        ]
        if p.engines:
            me.d.sync += [w.engine.eq(mm.engine), w.engine_writes.eq(mm.engine_writes),
                          w.engine_rs1.eq(mm.engine_rs1), w.engine_rs2.eq(mm.engine_rs2)]
