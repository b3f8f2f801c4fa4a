"""Counter CSRs: which numbers exist, what they read, and how the counters count."""

from hw.oxcore.csr import CsrFile
from oxcore.isa.csrs import CSRS, PERF_COUNTERS, is_read_only
from tests.hw.oxcore.rtl_helpers import simulate


def test_every_csr_is_read_only():
    """The core traps every CSR write; that is only right while the table says so."""
    assert all(is_read_only(csr.number) for csr in CSRS)


def test_counters_and_reads():
    dut = CsrFile()
    load_use = next(p for p in PERF_COUNTERS if p.name == "stall_load_use")

    async def bench(ctx):
        for cycle in range(10):
            ctx.set(dut.retired, cycle % 3 != 0)  # 6 retirements in 10 cycles
            ctx.set(dut.events.stall_load_use, cycle < 4)
            await ctx.tick()
        ctx.set(dut.retired, 0)
        ctx.set(dut.events.stall_load_use, 0)
        expect = {0xC00: 10, 0xC01: 10, 0xC02: 6, 0xC80: 0, 0xC81: 0, 0xC82: 0,
                  0xF14: 0, 0xC00 + load_use.index: 4, 0xC80 + load_use.index: 0,
                  0xC1F: 0}
        for number, value in expect.items():
            ctx.set(dut.addr, number)
            assert ctx.get(dut.known)
            assert ctx.get(dut.rdata) == value, hex(number)
        for number in (0x000, 0x300, 0xC20, 0xFFF):
            ctx.set(dut.addr, number)
            assert not ctx.get(dut.known), hex(number)
        assert ctx.get(dut.cycle) == 10 and ctx.get(dut.instret) == 6

    simulate(dut, bench)
