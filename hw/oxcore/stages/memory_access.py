"""MEM: the load's data lane select and extension (the data arrives from the data port
the cycle after EX's request), the multiplier's result at latency 1.

`MemoryAccess` is a component: its inputs are the EX/MEM register and the pipeline's
``advance``, its outputs the MEM/WB register and MEM's forwardable value. The lane
select and sign extension are the LSU's (`lsu.Lsu`, shared with EX, which computes the
address and checks it); MEM drives the LSU's response side through ``lsu``
(`LOAD_RESPONSE`), so a test can wire any LSU (or a model) to the stage.
"""

from __future__ import annotations

from amaranth import Module, Mux
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.control import MemOp, Unit

__all__ = ["LOAD_RESPONSE", "MemoryAccess"]

# The LSU's response side, seen from MEM: which bytes of the data port's word the load
# in MEM wants (``offset``, ``size_log2``, ``signed``) and the word itself (``rdata``);
# the LSU answers with the selected bytes (``raw``) and their extension (``value``).
LOAD_RESPONSE = wiring.Signature({
    "offset": Out(2), "size_log2": Out(2), "signed": Out(1), "rdata": Out(32),
    "raw": In(32), "value": In(32),
})


class MemoryAccess(wiring.Component):
    """MEM: moves the EX/MEM register (``mm``) into the MEM/WB register (``w``) when
    the pipeline advances, with a load's data (or a store's value) in it.

    ``m_value`` is what EX may forward from MEM: its result, or the multiplier's at
    latency 1 (a load is never forwarded from MEM: `hazard.HazardUnit` stalls).
    ``rdata`` is the data port's read data (valid the cycle after EX's request).
    """

    def __init__(self, ex_mem: data.StructLayout, mem_wb: data.StructLayout,
                 mul_latency: int, engines: int = 0) -> None:
        self.mul_latency = mul_latency
        self.engines = engines
        super().__init__({
            "mm": In(ex_mem), "advance": In(1), "mul_result": In(32), "rdata": In(32),
            "lsu": Out(LOAD_RESPONSE), "m_value": Out(32), "w": Out(mem_wb),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        mm, w, lsu = self.mm, self.w, self.lsu
        m.d.comb += [
            self.m_value.eq(Mux(mm.unit == Unit.MUL, self.mul_result, mm.result)
                            if self.mul_latency == 1 else mm.result),
            lsu.offset.eq(mm.addr[:2]), lsu.size_log2.eq(mm.size_log2),
            lsu.signed.eq(mm.signed), lsu.rdata.eq(self.rdata),
        ]
        with m.If(self.advance):
            is_load = mm.mem == MemOp.LOAD
            m.d.sync += [
                w.valid.eq(mm.valid), w.pc.eq(mm.pc), w.insn.eq(mm.insn), w.rd.eq(mm.rd),
                w.writes.eq(mm.writes), w.unit.eq(mm.unit), w.ecall.eq(mm.ecall),
                w.trap.eq(mm.trap), w.mem.eq(mm.mem), w.addr.eq(mm.addr),
                w.size_log2.eq(mm.size_log2),
                w.result.eq(Mux(is_load, lsu.value, self.m_value)),
                w.mem_data.eq(Mux(is_load, lsu.raw, mm.store_value)),
            ]
            if self.engines:
                m.d.sync += [w.engine.eq(mm.engine), w.engine_writes.eq(mm.engine_writes),
                             w.engine_rs1.eq(mm.engine_rs1), w.engine_rs2.eq(mm.engine_rs2)]
        return m
