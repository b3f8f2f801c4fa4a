"""Banked local RAM: ports of different widths on word-interleaved banks.

The RAM is ``banks`` memories of 32-bit words, word ``w`` in bank ``w % banks``, where
``banks`` is the widest port's words (`OxCoreConfig`: the scalar 32-bit port, the vector
engine's LANES x 32, the tensor engine's ``port_bits``). A port of ``k`` words reads or
writes ``k`` consecutive, aligned words in one cycle: ``k`` banks, each at the same row.
Reads return a cycle later with ``rvalid``.

Each bank has two sides (a true dual-port block RAM: ECP5's DP16KD): side A serves
port 0, the scalar core, which is therefore always ready; side B serves the engines'
ports, which share it by fixed priority (the lower-numbered port wins a bank; the other
sees ``ready`` low and stalls, `bus.MemoryPortSignature`; ports on disjoint banks
proceed in the same cycle). So the core never contends with an engine, and no path
runs from the core's address (its register file, forwarding and adder) through an
arbitration into an engine's ``ready`` and on into the banks' address and enables:
on the FPGA that path, to block RAMs spread over the device, was the SoC's slowest
(docs/fpga.md). Both sides reaching one word in one cycle is never a write against
anything: memory order (`hw.oxcore.engine`) holds a scalar store while any engine is
busy and a scalar load while an engine may write memory, and dispatches to one engine
only while the others are idle.

Synthesis must be told that a read on one side and a write on the other to one word
in one cycle need no defined result (Amaranth says: the old data), or no block RAM can
serve both sides and Yosys builds the banks from flip-flops: two-sided banks carry the
`COLLISION_X_ATTR` attribute, on which the FPGA flow's synthesis script sets Yosys's
collision mask (`fpga.area.prepare_memories`).

Why fixed priority among the engines, as in `arbiter.Arbiter`: no state on the path
from a request to the banks' enables.
"""

from __future__ import annotations

from typing import Sequence

from amaranth import Module, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In

from hw.oxcore.bus import MemoryPortSignature
from oxcore.config import OxCoreConfig


# A two-sided bank (two read and two write ports): a read's result when the other side
# writes its word in the same cycle is undefined (Yosys's RD_COLLISION_X_MASK)
COLLISION_X_ATTR = "oxcore.collision_x"


def _log2(value: int) -> int:
    return value.bit_length() - 1


def port_signature(data_width: int) -> MemoryPortSignature:
    """A port of ``data_width`` bits addressing the 32-bit byte space in its own words
    (the scalar port is `bus.SCALAR_PORT`); a RAM ignores the address bits above its
    size (the core checks ranges and traps before accessing)."""
    return MemoryPortSignature(addr_width=32 - _log2(data_width // 8), data_width=data_width)


class BankedRam(wiring.Component):
    """``depth`` 32-bit words in ``banks`` banks, with one port per entry of ``port_bits``.

    Parameters
    ----------
    depth : int
        Words of 32 bits in all; a power of two, a multiple of the bank count.
    port_bits : sequence of int
        Each port's data width (a power of two from 32 to 1024); port 0 (the scalar
        core) has side A to itself; the others share side B, lower-numbered first.
    init : sequence of int
        Initial words (the rest are zero).

    Members
    -------
    port0, port1, ... : ``In(port_signature(port_bits[i]))``
        ``data_width = port_bits[i]``; the address counts words of that width (its bits
        above the RAM's size are ignored). `ports` lists them.
    """

    def __init__(self, depth: int, port_bits: Sequence[int], init: Sequence[int] = ()) -> None:
        self._MustUse__silence = True  # until constructed (a refused RAM is no leak)
        if not port_bits:
            raise ValueError("a RAM needs at least one port")
        signatures = [port_signature(bits) for bits in port_bits]
        self.banks = max(s.words for s in signatures)
        if depth & (depth - 1) or depth < self.banks:
            raise ValueError(f"depth {depth} must be a power of two of at least "
                             f"{self.banks} words (the widest port)")
        self._MustUse__silence = False
        self.depth = depth
        self.port_bits = tuple(port_bits)
        self._init = list(init)
        super().__init__({f"port{i}": In(sig) for i, sig in enumerate(signatures)})
        # The banks, made here so that simulators can read them (`read_words`).
        attrs = {COLLISION_X_ATTR: "1"} if len(port_bits) > 1 else {}
        self.bank_memories = [memory.Memory(shape=32, depth=depth // self.banks,
                                            init=rows, attrs=attrs)
                              for rows in self.split(self._init)]

    @classmethod
    def for_config(cls, config: OxCoreConfig, init: Sequence[int] = ()) -> "BankedRam":
        """The scalar data port (port 0), then one port per engine in the configuration."""
        widths = [32] + [engine.port_bits for engine in config.engines.values()]
        return cls(config.mem_size // 4, widths, init)

    @property
    def ports(self) -> list:
        return [getattr(self, f"port{i}") for i in range(len(self.port_bits))]

    def split(self, words: Sequence[int]) -> list[Sequence[int]]:
        """An image of the RAM from word 0, as each bank's rows: word i is row
        i // banks of bank i % banks (the one place that rule is written: the
        simulators load their images with it)."""
        return [words[bank::self.banks] for bank in range(self.banks)]

    def read_words(self, bank_rows, first: int, count: int) -> list[int]:
        """Words `first` .. `first + count - 1` of the RAM, given `bank_rows(bank, row0,
        rows)` that reads rows of one bank's memory (a simulator's backdoor)."""
        banks = self.banks
        row0, row1 = first // banks, (first + count + banks - 1) // banks
        columns = [bank_rows(b, row0, row1 - row0) for b in range(banks)]
        words = [columns[b][r] for r in range(row1 - row0) for b in range(banks)]
        start = first - row0 * banks
        return words[start:start + count]

    def elaborate(self, platform) -> Module:
        m = Module()
        banks = self.banks
        ports = self.ports
        words = [port.signature.words for port in ports]
        # Each port's first bank: its address's low bits, times its width in words.
        first = []
        for i, (port, k) in enumerate(zip(ports, words)):
            start = Signal(range(banks), name=f"port{i}_bank")
            m.d.comb += start.eq((port.addr * k)[:_log2(banks)] if banks > 1 else 0)
            first.append(start)

        def overlap(i: int, j: int):
            """Ports i and j touch a common bank (aligned power-of-two bank groups)."""
            shift = _log2(max(words[i], words[j]))
            return (first[i] >> shift) == (first[j] >> shift)

        for i, port in enumerate(ports):
            conflict = 0  # only among the engines' ports (side B)
            for j in range(1, i):
                conflict = conflict | (ports[j].valid & overlap(i, j))
            m.d.comb += port.ready.eq(~conflict if i else 1)

        sides = [[0], list(range(1, len(ports)))] if len(ports) > 1 else [[0]]
        side_of = {i: side for side, members in enumerate(sides) for i in members}
        bank_data = [[] for _ in sides]  # per side, per bank
        for b, mem in enumerate(self.bank_memories):
            m.submodules[f"bank{b}"] = mem
            for side, members in enumerate(sides):
                write = mem.write_port(granularity=8)
                read = mem.read_port()
                bank_data[side].append(read.data)
                if len(members) == 1:
                    self._drive_alone(m, b, members[0], read, write)
                    continue
                # The highest-priority port of the side whose group covers this bank
                # drives it.
                for i in reversed(members):
                    port = ports[i]
                    covers, row, lane = self._bank_view(port, b)
                    with m.If(port.valid & port.ready & covers):
                        m.d.comb += [
                            read.addr.eq(row), write.addr.eq(row),
                            read.en.eq(~port.write),
                            write.data.eq(port.wdata[32 * lane:32 * lane + 32]),
                            write.en.eq(port.mask[4 * lane:4 * lane + 4]
                                        & port.write.replicate(4)),
                        ]
        self._respond(m, first, bank_data, side_of)
        return m

    def _bank_view(self, port, bank: int):
        """Whether `port`'s request covers `bank`, the bank row it addresses, and which
        32-bit lane of its data the bank holds."""
        k = port.signature.words
        group_bits = _log2(self.banks // k)
        covers = (port.addr[:group_bits] == bank // k) if group_bits else 1
        row = port.addr[group_bits:group_bits + _log2(self.depth // self.banks)]
        return covers, row, bank % k

    def _drive_alone(self, m: Module, bank: int, i: int, read, write) -> None:
        """A side with one port: the bank's address and write data are that port's,
        whatever the request (the enables alone say whether it is one), so the path
        from the port's address to the block RAM's address pins holds no decision (for
        the core: its address adder, not its load/store control, the SoC clock)."""
        port = self.ports[i]
        covers, row, lane = self._bank_view(port, bank)
        m.d.comb += [read.addr.eq(row), write.addr.eq(row),
                     write.data.eq(port.wdata[32 * lane:32 * lane + 32])]
        with m.If(port.valid & port.ready & covers):
            m.d.comb += [read.en.eq(~port.write),
                         write.en.eq(port.mask[4 * lane:4 * lane + 4]
                                     & port.write.replicate(4))]

    def _respond(self, m: Module, first, bank_data, side_of) -> None:
        """Each port's read data: the banks of its read accepted last cycle, in lane
        order, from its side's read ports."""
        ports, words, banks = self.ports, [p.signature.words for p in self.ports], self.banks
        for i, (port, k) in enumerate(zip(ports, words)):
            m.d.sync += port.rvalid.eq(port.valid & port.ready & ~port.write)
            group = Signal.like(first[i], name=f"port{i}_read_bank")
            with m.If(port.valid & port.ready):
                m.d.sync += group.eq(first[i])
            with m.Switch(group):
                for start in range(0, banks, k):
                    with m.Case(start):
                        for lane in range(k):
                            m.d.comb += port.rdata[32 * lane:32 * lane + 32].eq(
                                bank_data[side_of[i]][start + lane])
