"""Register file: x0 stays zero, same-cycle write is visible to reads (bypass), taps."""

from hw.oxcore.regfile import RegisterFile
from tests.hw.oxcore.rtl_helpers import simulate


def test_regfile():
    dut = RegisterFile(taps=(10, 17))

    async def bench(ctx):
        async def write(reg, value):
            ctx.set(dut.w_en, 1)
            ctx.set(dut.w_addr, reg)
            ctx.set(dut.w_data, value)
            await ctx.tick()
            ctx.set(dut.w_en, 0)

        for reg in range(32):
            await write(reg, 0x1000 + reg)
        for reg in range(32):
            ctx.set(dut.rs1_addr, reg)
            ctx.set(dut.rs2_addr, 31 - reg)
            assert ctx.get(dut.rs1_data) == (0x1000 + reg if reg else 0)
            assert ctx.get(dut.rs2_data) == (0x1000 + 31 - reg if reg != 31 else 0)
        assert ctx.get(dut.tap[0]) == 0x100A and ctx.get(dut.tap[1]) == 0x1011

        # Bypass: a read in the cycle of the write sees the new value...
        ctx.set(dut.rs1_addr, 5)
        ctx.set(dut.rs2_addr, 0)
        ctx.set(dut.w_en, 1)
        ctx.set(dut.w_addr, 5)
        ctx.set(dut.w_data, 0xDEAD_BEEF)
        assert ctx.get(dut.rs1_data) == 0xDEAD_BEEF
        # ...but never for x0.
        ctx.set(dut.w_addr, 0)
        assert ctx.get(dut.rs2_data) == 0
        assert ctx.get(dut.rs1_data) == 0x1005  # the write moved away from x5
        await ctx.tick()
        ctx.set(dut.w_en, 0)
        assert ctx.get(dut.rs2_data) == 0

    simulate(dut, bench)
