"""The SoC's RAM: a small block-RAM fetch window next to the data array.

`hw.oxcore.memory.Ram` has a fetch read port and a data read/write port on one array.
On an FPGA that array is a problem twice over:

* iCE40: a block RAM (`SB_RAM40_4K`) has one read and one write port, so synthesis
  duplicates the array for the second read port (2 x `mem_size` of block RAM, more
  than the UP5K's 15 KiB for any useful size), and its 128 KiB of SPRAM
  (`SB_SPRAM256KA`, 16K x 16 single-port RAMs) cannot be loaded by the bitstream;
* ECP5: the 256 KiB of the default configuration is 128 `DP16KD` spread over the whole
  die; the fetch port's address fans out to all of them and its data comes back
  through a 64-way multiplexer, on the loop from the fetched word through the branch
  predictor to the next fetch address: the critical path of the design.

`SplitRam` keeps two copies:

* the **data copy**, the whole RAM, served to the data port (one load or store per
  cycle, so one port suffices): a pair of SPRAMs on iCE40 (up to 64 KiB), block RAM
  initialised from the program on ECP5;
* the **fetch window**, block RAM initialised from the program by the bitstream: the
  first ``window_words`` words of RAM (where code lives), read by the fetch port and
  written by every store that falls inside it (through a second port), so fetch sees
  stores exactly as with one array. A fetch beyond the window reads 0 (an illegal
  instruction); the interpreter would fetch whatever is there, which only matters to a
  program that runs code outside its image.
* ECP5 only: stores are **written a cycle late**, from registers: the store's byte
  enables depend on the address check (a store outside RAM or misaligned must not
  write), which comes at the end of the address adder, and as a write enable they
  would have to reach all 136 block RAMs in the same cycle (the design's critical
  path). The data copy reads transparently (Yosys adds the bypass), so a load in the
  next cycle still sees the store, as it would with one array. (A fetch in the very
  cycle of the store does not: only code that modifies the word two instructions
  ahead would notice, and OxCore has no `fence.i` for self-modifying code anyway.)
* iCE40 only: after configuration a **boot copy** fills the SPRAM data copy from the
  window (which therefore holds the whole initialised image) and zeroes the rest of
  RAM while ``busy`` holds the core in reset: ``mem_size / 4`` cycles (0.34 ms for 16 KiB
  at 12 MHz). It runs once: its flag is not reset, so the reset button restarts the
  core with both copies as the program left them (as with a one-array RAM).

With engines (``engine_port_bits``, ECP5 only) the data copy is a
`hw.oxcore.banked_ram.BankedRam`: the scalar data port first (on the banks' side A,
its own, so it stays always ready), then one port per engine on side B (`engine_ports`,
as wide as the engine asks, staged as ``engine_port_stages`` says), as in the
simulators' `hw.oxcore.top.Top`. The engines' stores do
not reach the fetch window (no self-modifying engine code, as in `Top`). A store is then
written in its own cycle: the banked RAM has one port for the scalar side, which a load
in the next cycle needs.

``spram_primitive`` instantiates the `SB_SPRAM256KA` cells (for synthesis); without it
the iCE40 data copy is an Amaranth memory with the same timing (for Amaranth's
simulator, which cannot simulate instances).
"""

from typing import Sequence

from amaranth import Cat, ClockSignal, Const, Instance, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.banked_ram import BankedRam, port_signature
from hw.oxcore.bus import SCALAR_PORT
from hw.oxcore.memory import FETCH_BUS, image_words
from oxcore.config import OxCoreConfig
from oxcore.program import Program

SPRAM_WORDS = 16384  # one SB_SPRAM256KA: 16K x 16; a pair makes 16K x 32


class SplitRam(wiring.Component):
    """Ports: ``fetch``; ``data`` (always ready; a read's data arrives the next cycle);
    ``busy`` (the boot copy runs: hold the core); ``engine0``, ... (`engine_ports`)."""

    def __init__(self, config: OxCoreConfig, program: Program | None, *, window_words: int,
                 family: str = "ice40", spram_primitive: bool = False,
                 engine_port_bits: Sequence[int] = (),
                 engine_port_stages: Sequence[bool] = ()) -> None:
        self.depth = config.mem_size // 4
        self.family = family
        if engine_port_bits and family != "ecp5":
            raise ValueError(f"config {config.name!r}: engines need the ECP5 SoC's banked "
                             f"RAM; the {family} SoC has none")
        if family == "ice40" and self.depth > SPRAM_WORDS:
            raise ValueError(f"config {config.name!r}: {config.mem_size // 1024} KiB of RAM "
                             "is more than a pair of iCE40 SPRAMs holds (64 KiB)")
        self.window_words = min(window_words, self.depth)
        init = image_words(config, program) if program is not None else []
        if family == "ice40" and len(init) > self.window_words:
            raise ValueError(
                f"program image ({len(init) * 4} bytes) larger than the fetch window "
                f"({self.window_words * 4} bytes of block RAM)")
        self.spram_primitive = spram_primitive
        super().__init__({"fetch": In(FETCH_BUS), "data": In(SCALAR_PORT), "busy": Out(1)}
                         | {f"engine{i}": In(port_signature(bits))
                            for i, bits in enumerate(engine_port_bits)})
        self.engine_port_bits = tuple(engine_port_bits)
        self.engine_port_stages = tuple(engine_port_stages)
        self._init = init  # the memories are made in elaborate (none left unused)

    @property
    def engine_ports(self) -> list:
        return [getattr(self, f"engine{i}") for i in range(len(self.engine_port_bits))]

    def elaborate(self, platform) -> Module:
        m = Module()
        depth, window_words = self.depth, self.window_words
        init = self._init
        window = memory.Memory(shape=32, depth=window_words, init=init[:window_words])
        # ECP5: the data copy is block RAM with the image; iCE40: filled by the boot copy.
        banked = bool(self.engine_port_bits)
        data_copy = None if self.family == "ice40" and self.spram_primitive or banked else \
            memory.Memory(shape=32, depth=depth, init=init if self.family == "ecp5" else [])
        index_bits = depth.bit_length() - 1
        window_bits = (window_words - 1).bit_length()
        boot_copy = self.family == "ice40"
        delayed_store = self.family == "ecp5" and not banked

        # Boot copy: step n reads window word n, the next cycle writes it (or 0 beyond
        # the window) to the data copy's word n.
        if boot_copy:
            booted = Signal(reset_less=True)  # survives the reset button
            step = Signal(range(depth + 1))
            copy_index = Signal(index_bits)
            copy_write = Signal()
            copy_zero = Signal()
        else:
            booted = Const(1)
        m.d.comb += self.busy.eq(~booted)

        # The data port's request as byte enables and a read enable.
        port = self.data
        request_wmask = Signal(4)
        request_read = Signal()
        m.d.comb += [port.ready.eq(1),
                     request_wmask.eq(Mux(port.valid & port.write, port.mask, 0)),
                     request_read.eq(port.valid & ~port.write)]
        m.d.sync += port.rvalid.eq(request_read)

        m.submodules.window = window
        # Transparent: a fetch of the word a store writes in the same cycle sees the
        # new value (as the one-array RAM's fetch port; also what Yosys can provide).
        store = window.write_port(granularity=8)
        fetch = window.read_port(transparent_for=(store,))
        addr = self.data.addr[:index_bits]
        # The store as the RAMs write it: this cycle's, or last cycle's from registers.
        w_addr, w_mask, w_data = Signal(index_bits), Signal(4), Signal(32)
        if delayed_store:
            m.d.sync += [w_addr.eq(addr), w_mask.eq(request_wmask),
                         w_data.eq(self.data.wdata)]
        else:
            m.d.comb += [w_addr.eq(addr), w_mask.eq(request_wmask),
                         w_data.eq(self.data.wdata)]
        in_window = w_addr < window_words if window_words < depth else 1
        fetch_addr = self.fetch.addr[:index_bits]
        m.d.comb += [
            store.addr.eq(w_addr[:window_bits]),
            store.data.eq(w_data),
            store.en.eq(Mux(in_window, w_mask, 0)),
        ]
        if boot_copy:
            m.d.comb += [fetch.addr.eq(Mux(booted, fetch_addr[:window_bits], step)),
                         fetch.en.eq(Mux(booted, self.fetch.en, 1))]
        else:
            m.d.comb += [fetch.addr.eq(fetch_addr[:window_bits]), fetch.en.eq(self.fetch.en)]
        if window_words < depth:
            fetch_in_window = Signal()  # of the word on fetch.data
            with m.If(fetch.en):
                m.d.sync += fetch_in_window.eq(fetch_addr < window_words)
            m.d.comb += self.fetch.data.eq(Mux(fetch_in_window, fetch.data, 0))
        else:
            m.d.comb += self.fetch.data.eq(fetch.data)

        # The data copy: one port, a read or a byte-masked write per cycle.
        d_addr = Signal(index_bits)
        d_wmask = Signal(4)
        d_wdata = Signal(32)
        d_read = Signal()
        d_rdata = Signal(32)
        with m.If(booted):
            m.d.comb += [d_addr.eq(addr), d_wmask.eq(w_mask),
                         d_wdata.eq(w_data), d_read.eq(request_read)]
        if boot_copy:
            with m.Else():
                m.d.comb += [d_addr.eq(copy_index), d_wmask.eq(Mux(copy_write, 0b1111, 0)),
                             d_wdata.eq(Mux(copy_zero, 0, fetch.data))]
                m.d.sync += [copy_index.eq(step), copy_write.eq(step != depth),
                             copy_zero.eq(step >= window_words)]
                with m.If(step == depth):
                    m.d.sync += booted.eq(1)
                with m.Else():
                    m.d.sync += step.eq(step + 1)
        m.d.comb += self.data.rdata.eq(d_rdata)

        if banked:  # the scalar side on port 0, the engines on the others
            m.submodules.data_copy = ram = BankedRam(depth, (32,) + self.engine_port_bits,
                                                     init, (False,) + self.engine_port_stages)
            scalar = ram.port0
            m.d.comb += [scalar.valid.eq(d_read | d_wmask.any()), scalar.write.eq(~d_read),
                         scalar.addr.eq(d_addr), scalar.mask.eq(d_wmask),
                         scalar.wdata.eq(d_wdata), d_rdata.eq(scalar.rdata)]
            for port, engine_port in zip(ram.ports[1:], self.engine_ports):
                wiring.connect(m, wiring.flipped(engine_port), port)
        elif data_copy is None:
            writing = d_wmask.any()
            for half in range(2):
                lanes = d_wmask[2 * half:2 * half + 2]
                m.submodules[f"spram{half}"] = Instance(
                    "SB_SPRAM256KA",
                    i_ADDRESS=d_addr, i_DATAIN=d_wdata[16 * half:16 * half + 16],
                    i_MASKWREN=Cat(lanes[0], lanes[0], lanes[1], lanes[1]),
                    i_WREN=writing, i_CHIPSELECT=writing | d_read, i_CLOCK=ClockSignal(),
                    i_STANDBY=0, i_SLEEP=0, i_POWEROFF=1,
                    o_DATAOUT=d_rdata[16 * half:16 * half + 16])
        elif delayed_store:  # read (this cycle's address) and write (last cycle's) ports
            m.submodules.data_copy = data_copy
            wr = data_copy.write_port(granularity=8)
            rd = data_copy.read_port(transparent_for=(wr,))
            m.d.comb += [rd.addr.eq(addr), rd.en.eq(request_read),
                         wr.addr.eq(w_addr), wr.en.eq(w_mask), wr.data.eq(w_data),
                         d_rdata.eq(rd.data)]
        else:  # one port, as the SPRAM
            m.submodules.data_copy = data_copy
            wr = data_copy.write_port(granularity=8)
            rd = data_copy.read_port()
            m.d.comb += [rd.addr.eq(d_addr), rd.en.eq(d_read & ~d_wmask.any()),
                         wr.addr.eq(d_addr), wr.en.eq(d_wmask), wr.data.eq(d_wdata),
                         d_rdata.eq(rd.data)]
        return m
