"""Fixed-priority arbiter: the first asking requester wins, the others see ready low
(ready never depends on a requester's own valid), read data returns to the winner."""

from amaranth import Module
from amaranth.lib import wiring

from hw.oxcore.arbiter import Arbiter
from hw.oxcore.banked_ram import BankedRam
from hw.oxcore.bus import MemoryPortSignature
from tests.hw.oxcore.rtl_helpers import simulate

SIG = MemoryPortSignature(addr_width=30, data_width=32)


class _ArbitratedRam(wiring.Component):
    def __init__(self, count, read_only=()):
        self.arbiter = Arbiter(count, SIG, read_only)
        self.ram = BankedRam(64, [32], init=[100 + i for i in range(64)])
        super().__init__({})

    def elaborate(self, platform):
        m = Module()
        m.submodules.arbiter, m.submodules.ram = self.arbiter, self.ram
        wiring.connect(m, self.arbiter.target, self.ram.port0)
        return m


def test_priority_and_responses():
    dut = _ArbitratedRam(3)
    req = dut.arbiter.requesters

    async def bench(ctx):
        for port in req:
            assert ctx.get(port.ready)  # nobody asks: everyone could go
        ctx.set(req[2].valid, 1)
        ctx.set(req[2].addr, 5)
        assert [ctx.get(p.ready) for p in req] == [1, 1, 1]
        ctx.set(req[1].valid, 1)
        ctx.set(req[1].addr, 7)
        assert [ctx.get(p.ready) for p in req] == [1, 1, 0]
        await ctx.tick()
        assert ctx.get(req[1].rvalid) and not ctx.get(req[2].rvalid)
        assert ctx.get(req[1].rdata) == 107
        ctx.set(req[1].valid, 0)
        # requester 0 writes; requester 2 still waits
        ctx.set(req[0].valid, 1)
        ctx.set(req[0].write, 1)
        ctx.set(req[0].addr, 5)
        ctx.set(req[0].mask, 0b0011)
        ctx.set(req[0].wdata, 0xAAAA_BBBB)
        assert not ctx.get(req[2].ready)
        await ctx.tick()
        assert not any(ctx.get(p.rvalid) for p in req)  # a write has no response
        ctx.set(req[0].valid, 0)
        assert ctx.get(req[2].ready)
        await ctx.tick()
        assert ctx.get(req[2].rvalid) and ctx.get(req[2].rdata) == 0x0000_BBBB

    simulate(dut, bench)


def test_read_only_requesters_and_bad_arguments():
    import pytest
    dut = _ArbitratedRam(2, read_only={1})
    req = dut.arbiter.requesters

    async def bench(ctx):
        ctx.set(req[1].valid, 1)
        ctx.set(req[1].addr, 3)
        ctx.set(req[0].mask, 0b1111)  # not asking: its write data must not leak
        ctx.set(req[0].write, 1)
        assert ctx.get(dut.arbiter.target.write) == 0
        await ctx.tick()
        assert ctx.get(req[1].rvalid) and ctx.get(req[1].rdata) == 103

    simulate(dut, bench)
    for count, read_only in ((0, ()), (2, {2}), (2, {0, 1})):
        with pytest.raises(ValueError):
            Arbiter(count, SIG, read_only=read_only)
