"""MEM on its own (`stages.memory_access.MemoryAccess`, with the core's LSU wired to
its load-response port): a load's lane select and extension into the MEM/WB register,
a store's value and an ALU result passing through, the multiplier's result at latency
1, and the register holding while the pipeline does not advance."""

from amaranth import Module
from amaranth.lib import wiring

from hw.oxcore.control import MemOp, Unit
from hw.oxcore.lsu import Lsu
from hw.oxcore.pipeline import stage_layouts
from hw.oxcore.stages.memory_access import MemoryAccess
from oxcore.config import PRESETS
from tests.hw.oxcore.rtl_helpers import simulate

_, EX_MEM, MEM_WB = stage_layouts(0)


class MemWithLsu(wiring.Component):
    """The stage and an LSU, connected as `core.Core` connects them."""

    def __init__(self, mul_latency: int) -> None:
        self.stage = MemoryAccess(EX_MEM, MEM_WB, mul_latency)
        self.lsu = Lsu(PRESETS["small"])
        super().__init__({})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.stage, m.submodules.lsu = stage, lsu = self.stage, self.lsu
        m.d.comb += [
            lsu.m_offset.eq(stage.lsu.offset), lsu.m_size_log2.eq(stage.lsu.size_log2),
            lsu.m_signed.eq(stage.lsu.signed), lsu.bus_rdata.eq(stage.lsu.rdata),
            stage.lsu.raw.eq(lsu.load_raw), stage.lsu.value.eq(lsu.load_value),
        ]
        return m


def _set_mm(ctx, mm, **fields) -> None:
    for name, value in {"valid": 1, "pc": 0x100, "insn": 0x13, "rd": 5, "writes": 1,
                        "unit": Unit.ALU, "mem": MemOp.NONE, "addr": 0, "size_log2": 2,
                        "signed": 0, "result": 0, "store_value": 0, **fields}.items():
        ctx.set(getattr(mm, name), value)


def test_load_extension_into_mem_wb():
    dut = MemWithLsu(mul_latency=2)
    stage = dut.stage

    async def bench(ctx):
        ctx.set(stage.advance, 1)
        ctx.set(stage.rdata, 0x80F7_1234)
        # lb at offset 2: byte 0xF7, sign-extended.
        _set_mm(ctx, stage.mm, unit=Unit.LOAD, mem=MemOp.LOAD, addr=0x1002, size_log2=0,
                signed=1, rd=7)
        await ctx.tick()
        assert ctx.get(stage.w.valid) and ctx.get(stage.w.rd) == 7
        assert ctx.get(stage.w.result) == 0xFFFF_FFF7
        assert ctx.get(stage.w.mem_data) == 0xF7  # the retire record's loaded bytes
        # lhu at offset 2: 0x80F7, zero-extended.
        _set_mm(ctx, stage.mm, unit=Unit.LOAD, mem=MemOp.LOAD, addr=0x1002, size_log2=1)
        await ctx.tick()
        assert ctx.get(stage.w.result) == 0x80F7
        # lh at offset 0: 0x1234 stays positive.
        _set_mm(ctx, stage.mm, unit=Unit.LOAD, mem=MemOp.LOAD, addr=0x1000, size_log2=1,
                signed=1)
        await ctx.tick()
        assert ctx.get(stage.w.result) == 0x1234
        # A store: no result, its value as memory data.
        _set_mm(ctx, stage.mm, unit=Unit.NONE, mem=MemOp.STORE, writes=0, result=0,
                store_value=0xAB)
        await ctx.tick()
        assert ctx.get(stage.w.mem_data) == 0xAB and ctx.get(stage.w.mem) == MemOp.STORE
        # An ALU result is forwardable from MEM and passes to WB.
        _set_mm(ctx, stage.mm, result=0xDEAD_BEEF)
        assert ctx.get(stage.m_value) == 0xDEAD_BEEF
        await ctx.tick()
        assert ctx.get(stage.w.result) == 0xDEAD_BEEF

    simulate(dut, bench)


def test_hold_and_multiplier_at_latency_one():
    dut = MemWithLsu(mul_latency=1)
    stage = dut.stage

    async def bench(ctx):
        ctx.set(stage.advance, 1)
        ctx.set(stage.mul_result, 42)
        _set_mm(ctx, stage.mm, unit=Unit.MUL, result=0, rd=3)
        assert ctx.get(stage.m_value) == 42  # at latency 1 the product is MEM's value
        await ctx.tick()
        assert ctx.get(stage.w.result) == 42 and ctx.get(stage.w.rd) == 3
        # The pipeline does not advance: MEM/WB keeps its instruction.
        ctx.set(stage.advance, 0)
        _set_mm(ctx, stage.mm, rd=9, result=1)
        await ctx.tick()
        assert ctx.get(stage.w.rd) == 3 and ctx.get(stage.w.result) == 42

    simulate(dut, bench)
