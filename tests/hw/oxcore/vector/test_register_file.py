"""The lane register file (`hw.oxcore.vector.register_file.LaneRegisterFile`, block-RAM
copies and a live-value table) against Amaranth's own multi-port memory with the same
ports (two byte-enabled write ports, four synchronous read ports transparent for both
writes), driven with the same random traffic cycle by cycle: writes from both ports to
the same row in one cycle (other bytes, and the same byte: the later port wins), reads
of the row being written, and long runs of one port writing what the other wrote."""

import random

import pytest
from amaranth import Module
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from hw.oxcore.vector.register_file import LaneRegisterFile

ROWS, READS = 16, 4


class Reference(wiring.Component):
    """The same ports on one `memory.Memory` (what the engine used before)."""

    def __init__(self, writes: int) -> None:
        self.writes = writes
        members = {}
        for w in range(writes):
            members |= {f"write_addr{w}": In(range(ROWS)), f"write_data{w}": In(32),
                        f"write_en{w}": In(4)}
        for r in range(READS):
            members |= {f"read_addr{r}": In(range(ROWS)), f"read_data{r}": Out(32)}
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        m = Module()
        mem = m.submodules.mem = memory.Memory(shape=32, depth=ROWS, init=[])
        writes = []
        for w in range(self.writes):
            wp = mem.write_port(granularity=8)
            m.d.comb += [wp.addr.eq(getattr(self, f"write_addr{w}")),
                         wp.data.eq(getattr(self, f"write_data{w}")),
                         wp.en.eq(getattr(self, f"write_en{w}"))]
            writes.append(wp)
        for r in range(READS):
            rp = mem.read_port(domain="sync", transparent_for=writes)
            m.d.comb += [rp.addr.eq(getattr(self, f"read_addr{r}")),
                         getattr(self, f"read_data{r}").eq(rp.data)]
        return m


class Pair(wiring.Component):
    """Both, on the same inputs."""

    def __init__(self, writes: int) -> None:
        self.dut, self.reference = LaneRegisterFile(ROWS, writes, READS), Reference(writes)
        super().__init__(dict(self.reference.signature.members.items()))

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.dut, m.submodules.reference = self.dut, self.reference
        for name, member in self.signature.members.items():
            if member.flow == In:
                m.d.comb += [getattr(self.dut, name).eq(getattr(self, name)),
                             getattr(self.reference, name).eq(getattr(self, name))]
        return m


@pytest.mark.parametrize("seed, writes", [(1, 2), (2, 2), (3, 3)])
def test_reads_match_a_multiport_memory(seed, writes):
    """Two write ports (the engine's), and three (the table's port numbers in two
    bit-planes)."""
    pair = Pair(writes)
    rng = random.Random(seed)
    mismatches = []

    async def bench(ctx):
        hot = rng.randrange(ROWS)  # a row both ports and the reads keep coming back to
        for cycle in range(1500):
            for w in range(writes):
                row = hot if rng.random() < 0.4 else rng.randrange(ROWS)
                ctx.set(getattr(pair, f"write_addr{w}"), row)
                ctx.set(getattr(pair, f"write_data{w}"), rng.getrandbits(32))
                ctx.set(getattr(pair, f"write_en{w}"), rng.choice([0, 0, 15, rng.randrange(16)]))
            for r in range(READS):
                ctx.set(getattr(pair, f"read_addr{r}"),
                        hot if rng.random() < 0.4 else rng.randrange(ROWS))
            # compared after the next cycle's inputs are set: the read data must not
            # depend on them (the engine moves its rows on right after the edge)
            for r in range(READS if cycle else 0):
                got = ctx.get(getattr(pair.dut, f"read_data{r}"))
                want = ctx.get(getattr(pair.reference, f"read_data{r}"))
                if got != want:
                    mismatches.append((cycle, r, hex(got), hex(want)))
            await ctx.tick()
            if rng.random() < 0.02:
                hot = rng.randrange(ROWS)

    sim = Simulator(pair)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert not mismatches, mismatches[:5]
