"""Integer register file: 2 read ports, 1 write port, x0 hard-wired to zero.

Reads are asynchronous and see a write of the same cycle (write-through bypass), so
an instruction in ID reads a value that WB writes in that very cycle, and the
forwarding network in EX only has to cover the instructions still in MEM and WB.

`taps` are extra fixed-register read outputs (no bypass): the core exports a0, a1,
a2 and a7 to the environment-call harness through them.

Synchronous-read variant (iCE40 block RAM; not implemented yet): present the rs1/rs2
numbers from the word arriving in ID to a transparent BRAM read port (enable held
while ID stalls, so the read repeats and stays transparent to WB's write); the data
then arrives at the start of EX instead of ID. The EX forwarding mux is unchanged,
because a transparent read already covers the same-cycle WB write this bypass covers.
"""

from amaranth import Module, Mux
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out


class RegisterFile(wiring.Component):
    def __init__(self, taps: tuple[int, ...] = ()) -> None:
        self.taps = taps
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
        for addr, out in ((self.rs1_addr, self.rs1_data), (self.rs2_addr, self.rs2_data)):
            port = mem.read_port(domain="comb")
            bypass = writing & (self.w_addr == addr)
            m.d.comb += [port.addr.eq(addr),
                         out.eq(Mux(bypass, self.w_data, port.data))]
        for i, reg in enumerate(self.taps):
            port = mem.read_port(domain="comb")
            m.d.comb += [port.addr.eq(reg), self.tap[i].eq(port.data)]
        return m
