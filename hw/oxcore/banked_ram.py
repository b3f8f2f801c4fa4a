"""Banked local RAM: ports of different widths on word-interleaved banks.

The RAM is ``banks`` memories of 32-bit words, word ``w`` in bank ``w % banks``, where
``banks`` is the widest port's words (`OxCoreConfig`: the scalar 32-bit port, the vector
engine's LANES x 32, the tensor engine's ``port_bits``). A port of ``k`` words reads or
writes ``k`` consecutive, aligned words in one cycle: ``k`` banks, each at the same row.
Reads return a cycle later with ``rvalid`` (a staged port's: below).

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

Engine stages: a *staged* engine port's accepted request reaches the banks a cycle
later, from flip-flops (`_staged`), and its read data comes back through a register, so
that its reads answer `STAGED_READ_LATENCY` (3) cycles after they were accepted instead
of 1 (the configuration's ``port_stage``: the tensor engine's by default). On the FPGA
the banks are block RAMs all over the device (128 of them for 256 KiB): with a register
on each side of the wires to them, the engine's own logic need not sit between the
block RAMs, which spread it over the device and lengthened its internal paths
(docs/fpga.md). The arbitration knows when each request reaches the banks: ports of
one kind (staged or not) asking in one cycle meet there in the same cycle, and an
unstaged port is refused while a staged request in the stage reaches the banks, any
bank: its ready may not depend on its own address, which an engine's request made in
the cycle it takes an instruction depends on (through the end of the instruction
before, which waits on ready: a combinational loop in a core with both engines).
Engines count their answers by ``rvalid``; a staged store's last write lands a cycle
after it was accepted, which the core's memory-order wait, a cycle late itself, still
covers (`tests/hw/oxcore/tensor`: a scalar load right behind a tile store).
"""

from __future__ import annotations

from typing import Sequence

from amaranth import Module, Signal, Value
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In

from hw.oxcore.bus import MemoryPortSignature
from oxcore.config import OxCoreConfig


# A two-sided bank (two read and two write ports): a read's result when the other side
# writes its word in the same cycle is undefined (Yosys's RD_COLLISION_X_MASK)
COLLISION_X_ATTR = "oxcore.collision_x"

# Cycles from a staged engine port's accepted read to its ``rvalid`` (unstaged: 1)
STAGED_READ_LATENCY = 3


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
    staged : sequence of bool
        Per port, whether it is staged (see the module's docstring; not port 0; ports
        past the sequence are not).

    Members
    -------
    port0, port1, ... : ``In(port_signature(port_bits[i]))``
        ``data_width = port_bits[i]``; the address counts words of that width (its bits
        above the RAM's size are ignored). `ports` lists them.
    """

    def __init__(self, depth: int, port_bits: Sequence[int], init: Sequence[int] = (),
                 staged: Sequence[bool] = ()) -> None:
        self._MustUse__silence = True  # until constructed (a refused RAM is no leak)
        if not port_bits:
            raise ValueError("a RAM needs at least one port")
        if staged and staged[0] or len(staged) > len(port_bits):
            raise ValueError(f"staged {tuple(staged)}: one flag per port at most, and "
                             f"port 0 (the core's) is never staged")
        signatures = [port_signature(bits) for bits in port_bits]
        self.banks = max(s.words for s in signatures)
        if depth & (depth - 1) or depth < self.banks:
            raise ValueError(f"depth {depth} must be a power of two of at least "
                             f"{self.banks} words (the widest port)")
        self._MustUse__silence = False
        self.depth = depth
        self.port_bits = tuple(port_bits)
        self.staged = tuple(bool(flag) for flag in staged) \
            + (False,) * (len(port_bits) - len(staged))
        self._init = list(init)
        super().__init__({f"port{i}": In(sig) for i, sig in enumerate(signatures)})
        # The banks, made here so that simulators can read them (`read_words`).
        attrs = {COLLISION_X_ATTR: "1"} if len(port_bits) > 1 else {}
        self.bank_memories = [memory.Memory(shape=32, depth=depth // self.banks,
                                            init=rows, attrs=attrs)
                              for rows in self.split(self._init)]

    @classmethod
    def for_config(cls, config: OxCoreConfig, init: Sequence[int] = ()) -> "BankedRam":
        """The scalar data port (port 0), then one port per engine in the configuration
        (staged as its ``port_stage`` says)."""
        engines = config.engines.values()
        return cls(config.mem_size // 4, [32] + [engine.port_bits for engine in engines],
                   init, [False] + [engine.port_stage for engine in engines])

    def read_latency(self, port: int) -> int:
        """Cycles from port `port`'s accepted read to its ``rvalid``."""
        return STAGED_READ_LATENCY if self.staged[port] else 1

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
        ports = self.ports
        # what reaches the banks: a request as it is made, a staged port's a cycle later
        requests = [self._staged(m, i) if self.staged[i] else _Request.of(port)
                    for i, port in enumerate(ports)]
        # each port's first bank as it asks, and as its request reaches the banks (a
        # staged port's: from its stage's flip-flops)
        first = [self._first_bank(m, port, f"port{i}_bank") for i, port in enumerate(ports)]
        at_banks = [self._first_bank(m, request, f"port{i}_staged_bank")
                    if self.staged[i] else first[i] for i, request in enumerate(requests)]
        self._arbitrate(m, requests, first)
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
                    self._drive_alone(m, b, requests[members[0]], read, write)
                    continue
                # The port of the side whose group covers this bank drives it (accepted
                # requests of one side never share a bank: `_arbitrate`).
                for i in members:
                    request = requests[i]
                    covers, row, lane = self._bank_view(request, b)
                    with m.If(request.valid & covers):
                        m.d.comb += [
                            read.addr.eq(row), write.addr.eq(row),
                            read.en.eq(~request.write),
                            write.data.eq(request.wdata[32 * lane:32 * lane + 32]),
                            write.en.eq(request.mask[4 * lane:4 * lane + 4]
                                        & request.write.replicate(4)),
                        ]
        self._respond(m, requests, at_banks, bank_data, side_of)
        return m

    def _first_bank(self, m: Module, request, name: str) -> Signal:
        """The first bank a request covers: its address's low bits, times its width in
        words."""
        banks, k = self.banks, request.signature.words
        start = Signal(range(banks), name=name)
        m.d.comb += start.eq((request.addr * k)[:_log2(banks)] if banks > 1 else 0)
        return start

    def _arbitrate(self, m: Module, requests, first) -> None:
        """``ready``: port 0 always; an engine's port unless a lower-numbered engine
        port of the same kind (staged or not) asks for a common bank in this cycle
        (aligned power-of-two bank groups), or it is unstaged and a staged request
        reaches the banks now (the module's docstring)."""
        ports, staged = self.ports, self.staged
        words = [port.signature.words for port in ports]

        def overlap(i: int, j: int, first_j) -> Value:
            shift = _log2(max(words[i], words[j]))
            return (first[i] >> shift) == (first_j >> shift)
        for i, port in enumerate(ports):
            conflict = 0  # only among the engines' ports (side B)
            for j in range(1, len(ports)):
                if j < i and staged[j] == staged[i]:
                    conflict = conflict | (ports[j].valid & overlap(i, j, first[j]))
                if staged[j] and not staged[i] and i:
                    conflict = conflict | requests[j].valid
            m.d.comb += port.ready.eq(~conflict if i else 1)

    def _staged(self, m: Module, i: int) -> "_Request":
        """Engine port i's accepted request, registered: the banks see it a cycle after
        the engine made it (see the module's docstring, "Engine stages")."""
        port = self.ports[i]
        staged = _Request(port.signature, f"port{i}_staged")
        m.d.sync += [staged.valid.eq(port.valid & port.ready), staged.addr.eq(port.addr),
                     staged.write.eq(port.write), staged.mask.eq(port.mask),
                     staged.wdata.eq(port.wdata)]
        return staged

    def _bank_view(self, port, bank: int):
        """Whether `port`'s request (a `_Request`) covers `bank`, the bank row it
        addresses, and which 32-bit lane of its data the bank holds."""
        k = port.signature.words
        group_bits = _log2(self.banks // k)
        covers = (port.addr[:group_bits] == bank // k) if group_bits else 1
        row = port.addr[group_bits:group_bits + _log2(self.depth // self.banks)]
        return covers, row, bank % k

    def _drive_alone(self, m: Module, bank: int, request: "_Request", read, write) -> None:
        """A side with one port: the bank's address and write data are that port's,
        whatever the request (the enables alone say whether it is one), so the path
        from the port's address to the block RAM's address pins holds no decision (for
        the core: its address adder, not its load/store control, the SoC clock)."""
        covers, row, lane = self._bank_view(request, bank)
        m.d.comb += [read.addr.eq(row), write.addr.eq(row),
                     write.data.eq(request.wdata[32 * lane:32 * lane + 32])]
        with m.If(request.valid & covers):
            m.d.comb += [read.en.eq(~request.write),
                         write.en.eq(request.mask[4 * lane:4 * lane + 4]
                                     & request.write.replicate(4))]

    def _respond(self, m: Module, requests, at_banks, bank_data, side_of) -> None:
        """Each port's read data: the banks of its read that reached them last cycle, in
        lane order, from its side's read ports; a staged port's through a register more."""
        banks = self.banks
        for i, (port, request) in enumerate(zip(self.ports, requests)):
            k = port.signature.words
            group = Signal(range(banks), name=f"port{i}_read_bank")
            read = request.valid & ~request.write
            rvalid = Signal(name=f"port{i}_rvalid")
            rdata = Signal(port.signature.data_width, name=f"port{i}_rdata")
            m.d.sync += rvalid.eq(read)
            with m.If(read):
                m.d.sync += group.eq(at_banks[i])
            with m.Switch(group):
                for start in range(0, banks, k):
                    with m.Case(start):
                        for lane in range(k):
                            m.d.comb += rdata[32 * lane:32 * lane + 32].eq(
                                bank_data[side_of[i]][start + lane])
            domain = m.d.sync if self.staged[i] else m.d.comb
            domain += [port.rvalid.eq(rvalid), port.rdata.eq(rdata)]


class _Request:
    """A request as the banks see it: ``valid`` (already accepted), ``addr``, ``write``,
    ``mask``, ``wdata`` and the port's ``signature``."""

    def __init__(self, signature, name: str) -> None:
        self.signature = signature
        self.valid = Signal(name=f"{name}_valid")
        self.addr = Signal(signature.addr_width, name=f"{name}_addr")
        self.write = Signal(name=f"{name}_write")
        self.mask = Signal(signature.data_width // 8, name=f"{name}_mask")
        self.wdata = Signal(signature.data_width, name=f"{name}_wdata")

    @classmethod
    def of(cls, port) -> "_Request":
        """An unstaged port's request, which reaches the banks as it is made."""
        request = cls.__new__(cls)
        request.signature, request.valid = port.signature, port.valid & port.ready
        request.addr, request.write = port.addr, port.write
        request.mask, request.wdata = port.mask, port.wdata
        return request
