"""Load/store unit: address checks and byte lanes on the 32-bit data bus.

EX side: checks the effective address (naturally aligned, inside RAM: misaligned is
checked first, as the interpreter does), and drives the RAM's data port: word
address, byte-enable mask and the store data replicated into its lanes. MEM side:
picks the loaded bytes out of the returned word, giving the raw value (what a
retire record reports) and the sign- or zero-extended register value.
"""

from amaranth import Cat, Const, Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.control import TRAP_CAUSE_WIDTH
from hw.oxcore.faults import Fault, Faults
from oxcore.config import OxCoreConfig
from oxcore.retire import TrapCause


class Lsu(wiring.Component):
    # EX: request
    load: In(1)
    store: In(1)
    addr: In(32)
    size_log2: In(2)
    store_data: In(32)
    fault: Out(1)
    cause: Out(TRAP_CAUSE_WIDTH)
    bus_addr: Out(30)  # word address
    bus_read: Out(1)
    bus_wmask: Out(4)  # byte enables (0 unless a store that does not fault)
    bus_wdata: Out(32)
    store_value: Out(32)  # the stored value truncated to its size (retire record)
    # MEM: response
    m_offset: In(2)  # address bits 1:0 of the load now in MEM
    m_size_log2: In(2)
    m_signed: In(1)
    bus_rdata: In(32)
    load_raw: Out(32)
    load_value: Out(32)

    def __init__(self, config: OxCoreConfig, faults: Faults = frozenset()) -> None:
        self.faults = faults
        self.index_bits = config.mem_size.bit_length() - 1  # mem_size is a power of two
        self.region = config.mem_base >> self.index_bits
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()
        # EX and MEM halves as separate modules: in simulation each re-evaluates only
        # when its own inputs change.
        m.submodules.response = self._response()
        size = self.size_log2
        misaligned = Mux(size == 2, self.addr[:2] != 0,
                         Mux(size == 1, self.addr[0], 0))
        outside = self.addr[self.index_bits:] != self.region
        access = self.load | self.store
        m.d.comb += [
            self.fault.eq(access & (misaligned | outside)),
            self.cause.eq(Mux(self.store,
                              Mux(misaligned, TrapCause.STORE_MISALIGNED,
                                  TrapCause.STORE_ACCESS_FAULT),
                              Mux(misaligned, TrapCause.LOAD_MISALIGNED,
                                  TrapCause.LOAD_ACCESS_FAULT))),
            self.bus_addr.eq(self.addr[2:]),
            self.bus_read.eq(self.load),
        ]
        lanes = Mux(size == 2, 0b1111, Mux(size == 1, 0b0011, 0b0001))
        with m.If(self.store & ~self.fault):
            m.d.comb += self.bus_wmask.eq(lanes << self.addr[:2])
        m.d.comb += [
            self.bus_wdata.eq(Mux(size == 2, self.store_data,
                                  Mux(size == 1, self.store_data[:16].replicate(2),
                                      self.store_data[:8].replicate(4)))),
            self.store_value.eq(Mux(size == 2, self.store_data,
                                    Mux(size == 1, self.store_data[:16],
                                        self.store_data[:8]))),
        ]
        return m

    def _response(self) -> Module:
        m = Module()
        word = self.bus_rdata >> Cat(Const(0, 3), self.m_offset)  # byte offset * 8
        msize = self.m_size_log2
        byte_signed = Const(Fault.LB_NO_SIGN_EXTEND not in self.faults)
        m.d.comb += [
            self.load_raw.eq(Mux(msize == 2, word, Mux(msize == 1, word[:16], word[:8]))),
            self.load_value.eq(Mux(msize == 2, word,
                                   Mux(msize == 1,
                                       Mux(self.m_signed, word[:16].as_signed(), word[:16]),
                                       Mux(self.m_signed & byte_signed, word[:8].as_signed(),
                                           word[:8])))),
        ]
        return m
