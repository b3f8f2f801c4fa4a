"""One lane's slice of the vector register file: `rows` rows of 32 bits, written by
each sequencer (a write port each, byte enables) and read by four synchronous read
ports that see the same cycle's writes.

FPGA block RAMs have two ports; a memory with two write and four read ports maps to
flip-flops and multiplexers instead (10k LUT4s a lane on ECP5). So the slice is built
as a live-value-table multi-port memory: one simple dual-port copy per (write port,
read port), each written by its write port only and read by its read port only (a
block or distributed RAM each), and a table, per row and byte, of the write port that
wrote it last. A read takes the byte from the copy of that port, or from the write
port itself when it writes that byte in the same cycle (the copies read the old value
then).
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

BYTES = 4


class LaneRegisterFile(wiring.Component):
    """``read_data{r}`` (the cycle after ``read_addr{r}``) = the row as written up to and
    including the cycle of the address; ``write_en{w}``: per byte. Two write ports
    writing the same byte in one cycle: the last port's value (as `memory.Memory`)."""

    def __init__(self, rows: int, writes: int = 2, reads: int = 4) -> None:
        self.rows, self.writes, self.reads = rows, writes, reads
        members = {}
        for w in range(writes):
            members |= {f"write_addr{w}": In(range(rows)), f"write_data{w}": In(32),
                        f"write_en{w}": In(BYTES)}
        for r in range(reads):
            members |= {f"read_addr{r}": In(range(rows)), f"read_data{r}": Out(32)}
        super().__init__(members)

    def _write_port(self, w: int):
        return (getattr(self, f"write_addr{w}"), getattr(self, f"write_data{w}"),
                getattr(self, f"write_en{w}"))

    def elaborate(self, platform) -> Module:
        m = Module()
        rows, writes = self.rows, self.writes
        # the live-value table: per byte, per row, the write port that wrote it last
        # (bit-planes of the port number, one bit a row: a word per plane and byte)
        planes = max(writes - 1, 1).bit_length()
        live = [[Signal(rows, name=f"live_byte{byte}_bit{p}") for p in range(planes)]
                for byte in range(BYTES)]
        for byte in range(BYTES):
            selects = [Mux(en[byte], Const(1, rows) << addr, 0)
                       for addr, _, en in map(self._write_port, range(writes))]
            written = 0
            for w in reversed(range(writes)):  # a later port wins a same-cycle write
                selects[w] = selects[w] & ~written
                written = written | selects[w]
            for p, plane in enumerate(live[byte]):
                ones = 0
                for w in range(writes):
                    if w >> p & 1:
                        ones = ones | selects[w]
                m.d.sync += plane.eq((plane & ~written) | ones)
        # the same cycle's writes, kept for the reads' next cycle: their rows are
        # compared with the read rows there, from registers, not on the read row's
        # way in (the engine's latest signal, spread over every lane's block RAMs)
        written = []
        for w in range(writes):
            addr, data, en = self._write_port(w)
            row, bytes_, value = (Signal.like(addr, name=f"written{w}_row"),
                                  Signal.like(en, name=f"written{w}_bytes"),
                                  Signal.like(data, name=f"written{w}_data"))
            m.d.sync += [row.eq(addr), bytes_.eq(en), value.eq(data)]
            written.append((row, bytes_, value))
        for r in range(self.reads):
            read_addr = getattr(self, f"read_addr{r}")
            read_row = Signal.like(read_addr, name=f"read{r}_row")
            m.d.sync += read_row.eq(read_addr)
            copies = []
            for w in range(writes):
                addr, data, en = self._write_port(w)
                copy = memory.Memory(shape=32, depth=rows, init=[])
                m.submodules[f"copy_w{w}_r{r}"] = copy
                wp = copy.write_port(granularity=8)
                rp = copy.read_port(domain="sync")
                m.d.comb += [wp.addr.eq(addr), wp.data.eq(data), wp.en.eq(en),
                             rp.addr.eq(read_addr)]
                copies.append(rp.data)
            # per byte, the write port that wrote the row last before the address's
            # cycle, looked up with the address and registered (as a lookup from the
            # registered row the 64:1 selects would follow the copies' output); a byte
            # that cycle writes is the bypass's (the copies read the old value then)
            owners = [Signal(range(writes), name=f"read{r}_owner{byte}")
                      for byte in range(BYTES)]
            for byte, owner in enumerate(owners):
                m.d.sync += owner.eq(Cat(*(plane.bit_select(read_addr, 1)
                                           for plane in live[byte])))
            hits = [Mux(row == read_row, bytes_, 0) for row, bytes_, _ in written]
            read_data = getattr(self, f"read_data{r}")
            for byte, owner in enumerate(owners):
                chosen = copies[0][8 * byte:8 * byte + 8]
                for w in range(1, writes):
                    chosen = Mux(owner == w, copies[w][8 * byte:8 * byte + 8], chosen)
                for hit, (_, _, value) in zip(hits, written):  # (later ports last)
                    chosen = Mux(hit[byte], value[8 * byte:8 * byte + 8], chosen)
                m.d.comb += read_data[8 * byte:8 * byte + 8].eq(chosen)
        return m
