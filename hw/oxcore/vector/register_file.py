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

from amaranth import Cat, Module, Mux, Signal
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
        # the live-value table: per row and byte, the write port that wrote it last
        live = [Signal(range(max(writes, 2)), name=f"live{row}_{byte}")
                for row in range(rows) for byte in range(BYTES)]
        for w in range(writes):  # (later ports last: they win a same-cycle write)
            addr, _, en = self._write_port(w)
            for row in range(rows):
                for byte in range(BYTES):
                    with m.If((addr == row) & en[byte]):
                        m.d.sync += live[row * BYTES + byte].eq(w)
        for r in range(self.reads):
            read_addr = getattr(self, f"read_addr{r}")
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
            # the read row and the same cycle's writes to it, for the next cycle
            row = Signal.like(read_addr, name=f"read{r}_row")
            m.d.sync += row.eq(read_addr)
            bypass = []
            for w in range(writes):
                addr, data, en = self._write_port(w)
                hit = Signal(BYTES, name=f"read{r}_hit{w}")
                value = Signal(32, name=f"read{r}_written{w}")
                m.d.sync += [hit.eq(Mux(addr == read_addr, en, 0)), value.eq(data)]
                bypass.append((hit, value))
            read_data = getattr(self, f"read_data{r}")
            for byte in range(BYTES):
                owner = Cat(*live[byte::BYTES]).word_select(row, len(live[0]))
                chosen = copies[0][8 * byte:8 * byte + 8]
                for w in range(1, writes):
                    chosen = Mux(owner == w, copies[w][8 * byte:8 * byte + 8], chosen)
                for hit, value in bypass:  # (later ports last, as the table)
                    chosen = Mux(hit[byte], value[8 * byte:8 * byte + 8], chosen)
                m.d.comb += read_data[8 * byte:8 * byte + 8].eq(chosen)
        return m
