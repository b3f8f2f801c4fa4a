"""Integer register file: 2 read ports, 1 write port, x0 hard-wired to zero.

Two read timings (`OxCoreConfig.regfile_sync_read`), with the same cycle behaviour seen
from the pipeline:

- asynchronous (``sync_read=False``): reads are combinational and see a write of the
  same cycle (write-through bypass), so an instruction in ID reads a value that WB
  writes in that very cycle, and the forwarding network in EX only has to cover the
  instructions still in MEM and WB. On ECP5 this is LUT RAM.
- synchronous (``sync_read=True``): ``rs1_addr``/``rs2_addr`` are sampled at the clock
  edge and the data appears on ``rs1_data``/``rs2_data`` in the next cycle. The read is
  transparent: a write of the same register in the sampling cycle is what it returns.
  The core presents the register numbers of the instruction about to enter EX (or of
  the one EX holds, re-read each cycle), so the data arrives at the start of EX exactly
  as the asynchronous variant's value latched at issue would. This maps to block RAM
  (iCE40 `SB_RAM40_4K`, two copies for the two read ports), which cannot read
  asynchronously.

`taps` are extra fixed-register read outputs (no bypass): the core exports a0, a1,
a2 and a7 to the environment-call harness through them. The synchronous variant keeps
them as shadow registers written alongside the array (a block RAM read port each would
cost a copy of the array each).
"""

from amaranth import Module, Mux, Signal
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out


class RegisterFile(wiring.Component):
    def __init__(self, taps: tuple[int, ...] = (), sync_read: bool = False) -> None:
        self.taps = taps
        self.sync_read = sync_read
        super().__init__({
            "rs1_addr": In(5), "rs1_data": Out(32),
            "rs2_addr": In(5), "rs2_data": Out(32),
            "w_en": In(1), "w_addr": In(5), "w_data": In(32),
            "tap": Out(data.ArrayLayout(32, max(len(taps), 1))),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        # x0 is never written and starts at 0, so reading it always gives 0.
        m.submodules.mem = mem = memory.Memory(shape=32, depth=32, init=[])
        write = mem.write_port()
        writing = self.w_en & (self.w_addr != 0)
        m.d.comb += [write.addr.eq(self.w_addr), write.data.eq(self.w_data),
                     write.en.eq(writing)]
        if self.sync_read:
            for addr, out in ((self.rs1_addr, self.rs1_data), (self.rs2_addr, self.rs2_data)):
                port = mem.read_port(domain="sync", transparent_for=(write,))
                m.d.comb += [port.addr.eq(addr), port.en.eq(1), out.eq(port.data)]
            for i, reg in enumerate(self.taps):
                shadow = Signal(32, name=f"shadow{i}")
                with m.If(writing & (self.w_addr == reg)):
                    m.d.sync += shadow.eq(self.w_data)
                m.d.comb += self.tap[i].eq(shadow)
            return m
        for addr, out in ((self.rs1_addr, self.rs1_data), (self.rs2_addr, self.rs2_data)):
            port = mem.read_port(domain="comb")
            bypass = writing & (self.w_addr == addr)
            m.d.comb += [port.addr.eq(addr),
                         out.eq(Mux(bypass, self.w_data, port.data))]
        for i, reg in enumerate(self.taps):
            port = mem.read_port(domain="comb")
            m.d.comb += [port.addr.eq(reg), self.tap[i].eq(port.data)]
        return m
