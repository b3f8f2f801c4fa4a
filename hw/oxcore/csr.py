"""Counter CSRs: cycle, time, instret (and high halves), mhartid, performance counters.

Every CSR OxCore defines is read-only (`oxcore.isa.csrs`); the core traps any write
attempt as an illegal instruction and reads through this unit in EX. The performance
counters are the ones `oxcore.isa.csrs.PERF_COUNTERS` names, readable as
hpmcounter<index>/<index>h; the core raises one event bit per counter per cycle.
Other hpmcounters read 0.

`width` (`OxCoreConfig.counter_width`, 32..64) is how many bits each counter has; the
outputs and the high-half CSRs zero-extend it (a narrower counter wraps sooner, and
saves an adder and flip-flops per counter on small FPGAs).
"""

from amaranth import Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from oxcore.isa.csrs import CSRS, PERF_COUNTERS

EVENTS = data.StructLayout({perf.name: 1 for perf in PERF_COUNTERS})
# The counters as the core's `counters` port shows them to a harness (zero-extended).
COUNTERS = data.StructLayout({"cycle": 64, "instret": 64,
                              "perf": data.ArrayLayout(64, len(PERF_COUNTERS))})


def unpack_counters(raw: int) -> dict[str, int]:
    """A `COUNTERS` value (an int) as {"cycle": .., "instret": .., <perf name>: ..}."""
    mask = (1 << 64) - 1
    counters = {"cycle": raw & mask, "instret": (raw >> 64) & mask}
    base = COUNTERS["perf"].offset
    for i, perf in enumerate(PERF_COUNTERS):
        counters[perf.name] = (raw >> (base + 64 * i)) & mask
    return counters


class CsrFile(wiring.Component):
    addr: In(12)
    rdata: Out(32)
    known: Out(1)  # `addr` is a CSR of the ISA table
    retired: In(1)  # one instruction retired this cycle (traps do not count)
    events: In(EVENTS)
    cycle: Out(64)
    instret: Out(64)
    # Every counter, zero-extended, for the core's `counters` port. (One struct port: a
    # separate array port of the performance counters, used by the parent, makes Yosys
    # 0.70's abc9 reintegration assert when the hierarchy is kept, `oxcore area`.)
    counters: Out(COUNTERS)

    def __init__(self, width: int = 64) -> None:
        if not 32 <= width <= 64:
            raise ValueError(f"counter width {width} not in 32..64")
        self.width = width
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()
        width = self.width
        cycle = Signal(width)
        instret = Signal(width)
        m.d.sync += cycle.eq(cycle + 1)
        with m.If(self.retired):
            m.d.sync += instret.eq(instret + 1)
        m.d.comb += [self.cycle.eq(cycle), self.instret.eq(instret),
                     self.counters.cycle.eq(cycle), self.counters.instret.eq(instret)]
        sources = {"cycle": cycle, "time": cycle, "instret": instret}
        for i, perf in enumerate(PERF_COUNTERS):
            count = Signal(width, name=perf.name)
            with m.If(self.events[perf.name]):
                m.d.sync += count.eq(count + 1)
            m.d.comb += self.counters.perf[i].eq(count)
            sources[f"hpmcounter{perf.index}"] = count

        with m.Switch(self.addr):
            for csr in CSRS:
                with m.Case(csr.number):
                    m.d.comb += self.known.eq(1)
                    low = sources.get(csr.name)
                    high = sources.get(csr.name[:-1]) if csr.name.endswith("h") else None
                    if low is not None:
                        m.d.comb += self.rdata.eq(low[:32])
                    elif high is not None and width > 32:
                        m.d.comb += self.rdata.eq(high[32:])
                    # mhartid and unused hpmcounters read 0
        return m
