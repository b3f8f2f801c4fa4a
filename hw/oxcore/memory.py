"""The core's RAM: one array of `mem_size` bytes at `mem_base`, loaded from a Program.

Two ports on one storage: a synchronous fetch read port, and a synchronous data port
(`bus.SCALAR_PORT`, always ready) that reads a word (for loads) and writes byte lanes
(for stores) at one address per cycle. A data-port read returns the contents before a same-cycle write; the fetch port
sees a same-cycle store (transparent, as the interpreter sees code written just
before). On an FPGA this maps to true dual-port block RAM (ECP5 `DP16KD`: port A the
data port, port B fetch, one copy; Yosys provides the fetch port's transparency with
a bypass register); on 1R1W block RAM (iCE40) the array is duplicated per read port. The addresses are
word addresses; their bits above the RAM size are ignored here (the core checks
ranges and traps before accessing).
"""

from amaranth import Module, Mux
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.bus import SCALAR_PORT
from oxcore.config import OxCoreConfig
from oxcore.program import Program

FETCH_BUS = wiring.Signature({"addr": Out(30), "en": Out(1), "data": In(32)})


def image_words(config: OxCoreConfig, program: Program) -> list[int]:
    """The RAM's initial contents as little-endian words (bss and the rest zero)."""
    image = bytearray(config.mem_size)
    for seg in program.segments:
        offset = seg.addr - config.mem_base
        if offset < 0 or offset + seg.mem_size > config.mem_size:
            raise ValueError(f"segment at {seg.addr:#x} outside RAM")
        image[offset:offset + len(seg.data)] = seg.data
    words = memoryview(bytes(image)).cast("I").tolist()
    while words and words[-1] == 0:  # Memory zero-fills the rest; shorter init is faster
        words.pop()
    return words


class Ram(wiring.Component):
    fetch: In(FETCH_BUS)
    data: In(SCALAR_PORT)

    def __init__(self, config: OxCoreConfig, program: Program | None = None) -> None:
        self.depth = config.mem_size // 4
        init = image_words(config, program) if program is not None else []
        super().__init__()
        self.storage = memory.Memory(shape=32, depth=self.depth, init=init)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.storage = self.storage
        index_bits = self.depth.bit_length() - 1
        write = self.storage.write_port(granularity=8)
        # Transparent: otherwise ("old data" across the two block RAM ports, which
        # DP16KD cannot promise) Yosys keeps a second copy of the array for the data port.
        fetch = self.storage.read_port(transparent_for=(write,))
        m.d.comb += [fetch.addr.eq(self.fetch.addr[:index_bits]), fetch.en.eq(self.fetch.en),
                     self.fetch.data.eq(fetch.data)]
        read = self.storage.read_port()
        data = self.data
        reads = data.valid & ~data.write
        m.d.comb += [data.ready.eq(1),
                     read.addr.eq(data.addr[:index_bits]), read.en.eq(reads),
                     data.rdata.eq(read.data),
                     write.addr.eq(data.addr[:index_bits]),
                     write.en.eq(Mux(data.valid & data.write, data.mask, 0)),
                     write.data.eq(data.wdata)]
        m.d.sync += data.rvalid.eq(reads)
        return m
