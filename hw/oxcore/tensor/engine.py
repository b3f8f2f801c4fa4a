"""The tensor engine (Xoxtensor), on the engine interface (`hw/oxcore/engine.py`).

Structure (docs/tensor.md, "The RTL engine", has the diagram):

- **decoder** (`decode.TensorDecoder`): claims the Xoxtensor rows and the Zicsr rows on
  the tensor CSRs, with the scalar registers they read and write;
- **instruction queue**: dispatched instructions with their scalar operands (base,
  stride, CSR source), captured at dispatch (``queue_depth`` entries);
- **issue**: the queue's head goes, in program order, to one of two units: tzero, tmma
  and tmmau to the *MAC unit*, tile loads, stores and CSR instructions to the
  *load/store unit* (LSU). The two run at once on different tiles; a head waits while
  the other unit's instruction touches one of its tiles (`_overlap`: a scoreboard of
  the eight tiles, any use, so no read/write ordering to get wrong; a store's tile is
  free once the store has copied it). Loads and stores
  stay in one unit, in order, so memory order among them is program order;
- **tile registers**: eight tiles of TDIM rows x 4*TDIM bytes, each one row-major
  vector (a `TileWrite`'s layout), kept in two memories written alike
  (`_tile_copy`; distributed RAM on an FPGA), the MAC unit's, read ahead for its
  next tmma's ms2, and ms1 and md in turn, into registers of a whole tile each
  (`_operands`); ms2's also gives the tile a store copies as it starts
  (`_StoreRead`); one write port
  (`_TileWrites`) takes a whole tile a cycle from either unit (a load's rows gather
  in a buffer first);
- **MAC unit** (`mac_array.MacArray`): 4*TDIM k-steps per tmma, one per cycle, each an
  outer product into TDIM^2 accumulators; the last step leaves the destination tile in
  a result register that writes it in a later cycle, and the next tmma starts in the
  next cycle (from that register, if it is the same tile), so back-to-back tmma keep
  every MAC busy every cycle;
- **LSU**: a tile row at ``rs1 + i*rs2`` is ``4*TDIM`` bytes (tst.b: ``TDIM``) anywhere
  in memory; it takes the port words it straddles, one a cycle,
  requests streaming ahead of responses across rows. A store's rows are written from
  a row register, tst.b's after the requantizer's pipeline (`requant.Requantizer`);
  tqsat is set (and reported) at the end.

Every instruction's effects leave on its unit's commit port (``commit``, ``lsu_commit``;
layouts from `oxcore.retire.ports.tensor_commit_spec`), keyed by the instruction's
order: a `TileWrite` of the whole tile written (tzero, tmma, tld), one `MemAccess` per
row moved, a `CsrWrite` of tqsat or of a csr instruction's CSR; ``last`` ends the
instruction. CSR reads go through ``pipe.complete``.

The engine sees instructions after they retired (as the vector engine does); a tile
load or store with a misaligned row or one outside RAM traps before that, precisely,
in WB (`access_check.TileAccessCheck`, on the engine interface's ``check`` port).
"""

import enum
from dataclasses import dataclass

from amaranth import Cat, Const, Module, Mux, Signal, Value, signed
from amaranth.lib import data, memory

from hw.oxcore.banked_ram import port_signature
from hw.oxcore.commit import commit_layout
from hw.oxcore.engine import (DISPATCH, ENGINE_CLASSES, Engine, csr_result, csr_writes,
                              queue_entry)
from hw.oxcore.replica import registered_copies
from hw.oxcore.tensor.access_check import TileAccessCheck
from hw.oxcore.tensor.decode import UOP, Kind, TensorDecoder, tile_field
from hw.oxcore.tensor.geometry import Geometry
from hw.oxcore.tensor.mac_array import MacArray
from hw.oxcore.tensor.requant import Requantizer
from hw.oxcore.vector.simd import shifted
from oxcore.config import OxCoreConfig, TensorConfig
from oxcore.isa import Isa, isa_for
from oxcore.isa.ext.xoxtensor import (CSR_TACTIVE, CSR_TBUSY, CSR_TCOLB, CSR_TDIM,
                                      CSR_TLENB, CSR_TMACS, CSR_TQFULL, CSR_TQMAX, CSR_TQMIN,
                                      CSR_TQMUL, CSR_TQRM, CSR_TQSAT, CSR_TQSHIFT, CSR_TQZP,
                                      CSR_TROW0, CSR_TROWS, CSR_TSTALL_OPERAND,
                                      CSR_TSTALL_PORT, RESET, SIGN_EXTENDED, WARL_BITS)
from oxcore.isa.tensor.state import TILES
from oxcore.retire.ports import tensor_commit_spec


def _port_words(addr, span, word_shift: int):
    """Port words of 2**word_shift bytes a row at `addr` straddles, `span` + 1 bytes
    long (only the address's low `word_shift` bits matter)."""
    return ((addr[:word_shift] + span) >> word_shift) + 1


def _log2(value: int) -> int:
    return value.bit_length() - 1


# The writable tensor CSRs the LSU holds, by name (their WARL widths: `WARL_BITS`).
CSR_NUMBERS = {"tqmul": CSR_TQMUL, "tqshift": CSR_TQSHIFT, "tqzp": CSR_TQZP, "tqrm": CSR_TQRM,
               "tqsat": CSR_TQSAT, "trows": CSR_TROWS, "tcolb": CSR_TCOLB,
               "tqmin": CSR_TQMIN, "tqmax": CSR_TQMAX, "trow0": CSR_TROW0}


def _csr_register(name: str, number: int) -> Signal:
    """A writable tensor CSR's register: its WARL bits (signed where the CSR reads back
    sign-extended, so every read widens it so), from the ISA table's reset value."""
    width = WARL_BITS[number]
    shape = signed(width) if number in SIGN_EXTENDED else width
    reset = RESET[number] & ((1 << width) - 1)
    if number in SIGN_EXTENDED and reset >> (width - 1):
        reset -= 1 << width
    return Signal(shape, name=name, init=reset)


# What the queue holds with each instruction, worked out at dispatch (`_predecode`).
PREDECODED = data.StructLayout({"uop": UOP, "tiles": TILES, "compute": 1})


def _overlap(running, head):
    """The head's tiles meet those of the instruction running in the other unit (the
    hazard the issue logic waits on; a function of its own for fault injection)."""
    return (running & head).any()


def _may_pass_parked(head_kind, parked_tiles, head_tiles):
    """The queue's head may go to the LSU before the parked compute instruction: a tile
    load or store on none of its tiles (a function of its own for fault injection)."""
    return (((head_kind == Kind.LOAD) | (head_kind == Kind.STORE))
            & ~_overlap(parked_tiles, head_tiles))


class _Fetch(enum.IntEnum):
    """What the MAC unit's copy of the tiles for ms1 and md is read for this cycle
    (`_operands`)."""
    MS1 = 0
    MD = 1


class LsuState(enum.IntEnum):
    IDLE = 0
    LOAD = 1  # requests run ahead of responses; a row is done when its last word arrives
    STORE = 2  # one port word a cycle; a row is done when its last word is written
    CSR = 3  # a csr instruction on a tensor CSR: read, write, report
    COMPLETE = 4  # hand the CSR's old value to the core
    LOAD_WRITE = 5  # a load's rows are in the buffer: it writes the tile
    DRAIN = 6  # a store's rows are all fed: the last ones are still on their way out


@dataclass
class _Lsu:
    """What the load/store unit's parts share: its instruction, state, commit port and
    the current access geometry, set as the instruction starts: the memory rows moved
    (first..rows-1: trow0 and trows; tld.bt's tcolb rows from 0; tlr/tsr's TDIM from 0),
    bytes a row (tcolb, tst.b's elements, tld.bt's trows, or a whole row), their byte
    mask and the bytes a row spans past its first (row_bytes - 1: `_words_of`); and the
    queue head's first row and its address, where an access taken now starts."""

    current: Signal
    uop: Signal
    state: Signal
    finishing: Signal  # the instruction's last cycle: the unit may take the next
    commit: Signal
    rows: Signal
    first: Signal  # at most `rows`: equal to it, no row moves (`empty`)
    empty: Signal  # no row to move (trow0 >= trows): a load only zeroes its tile; set
    # as the instruction starts, a flip-flop (it decides the tile write port's grant,
    # which the MAC unit's end waits on)
    row_bytes: Signal
    row_mask: Signal
    row_span: Signal
    tile_index: object = None  # md or ms
    buffer: Signal | None = None  # a load's rows so far, or the tile a store copied
    state_next: Signal | None = None  # `state` in the next cycle
    read_tile: Signal | None = None  # ms2's copy of the tiles (`_StoreRead`)
    copying: Signal | None = None  # a store copies its tile into `buffer` this cycle
    copy_next: Value | None = None  # `copying` in the next cycle (a store is taken)
    clearing: list | None = None  # a load clears `buffer` this cycle (a copy a row)
    head_first: Signal | None = None  # the queue head's first row
    start_addr: Signal | None = None  # its address: rs1 + head_first * rs2
    head_row_span: Signal | None = None  # its `row_span`
    head_rows: Signal | None = None  # its `rows`

    def finish(self, m: Module) -> None:
        """The instruction's last beat (`last`); the unit is free for the next."""
        m.d.comb += [self.finishing.eq(1), self.commit.valid.eq(1), self.commit.last.eq(1)]
        m.d.comb += self.state_next.eq(LsuState.IDLE)

    @property
    def row_bits(self):
        """The row's byte mask, a bit per data bit."""
        return Cat(*(bit.replicate(8) for bit in self.row_mask))

    def report_row(self, m: Module, addr, data, write: int) -> None:
        """A row's `MemAccess` (the bytes it moves)."""
        mem = self.commit.mem
        m.d.comb += [self.commit.valid.eq(1), mem.valid.eq(1), mem.addr.eq(addr),
                     mem.size.eq(self.row_bytes), mem.write.eq(write),
                     mem.mask.eq(self.row_mask), mem.data.eq(data & self.row_bits)]


class _StoreRead:
    """A store's read of its tile, on the copy the MAC unit fetches ms2 from: in the
    cycle after the store's take (`copy_next`, set in the take cycle, at tile
    `tile_next`) that copy is read for the store and ms2's register does not load.
    The register loads in every cycle it is free, and a tmma takes its ms2 from it
    within its last two k-steps or later, so the store costs a tmma a cycle at most,
    rarely. A copy of its own for the store cost a third of the tiles' distributed RAMs
    (512 TRELLIS_DPR16X4 at TDIM 8, 60 % of the device's RAM-capable slices with the
    other two) and a third 2,048-bit write bus, the router's congestion
    (docs/fpga.md)."""

    def __init__(self) -> None:
        self.copy_next = Signal(name="store_read_next")
        self.tile_next = Signal(3, name="store_read_tile_next")
        self.tile: Signal | None = None  # the copy's output (`_operands` sets it)


class _TileWrites:
    """The tile registers' one write port: a whole tile a cycle, from the MAC unit (tzero,
    tmma) or the LSU (a tile load's end). On an FPGA a per-unit, per-row write path
    into every tile multiplies into a multiplexer per flip-flop; one shared bus and a
    write enable per tile cost a single tile-wide multiplexer. The units never write
    the same tile (the issue logic keeps their tiles apart); when both write in one
    cycle, the LSU goes first (its data is the memory's response of this cycle) and
    the MAC unit's result register waits a cycle (`mac_granted` low).

    Each row of the copies is written from registers of its own, set a cycle ahead
    from the units' next states (`*_next`): whether the LSU writes, whether the port
    writes and which tile (`hw.oxcore.replica`). Worked out in the cycle, the port's
    enable, index and data select each reached all 1,536 distributed RAMs of the
    three copies at TDIM 8 from one net."""

    def __init__(self, tdim: int) -> None:
        self.tdim = tdim
        width = 32 * tdim * tdim
        # the next cycle's `lsu_write`, `lsu_index`, `mac_request`, `mac_index`
        self.lsu_write_next = Signal(name="lsu_write_next")
        self.lsu_index_next = Signal(3, name="lsu_write_tile_next")
        self.mac_request_next = Signal(name="mac_write_request_next")
        self.mac_index_next = Signal(3, name="mac_write_tile_next")
        self.mac_request = Signal(name="mac_write_request")
        self.mac_granted = Signal(name="mac_write_granted")
        self.mac_index = Signal(3, name="mac_write_tile")
        self.mac_value = Signal(width, name="mac_write_value")
        self.lsu_write = Signal(name="lsu_write")
        self.lsu_index = Signal(3, name="lsu_write_tile")
        self.lsu_value = Signal(width, name="lsu_write_value")

        self.enable = Signal(name="tile_write")  # it writes this cycle
        self.index = Signal(3, name="tile_write_index")  # the tile it writes
        # After a reset the port writes zeros into every tile, one a cycle, from the MAC
        # result register (`TensorEngine._mac_result`), and the issue logic takes
        # nothing until it has: the copies are memories, which keep their words through
        # a reset, and the tiles are 0 after one. (A bit a tile masking the reads of
        # tiles not written since cost a LUT a bit of every copy: docs/fpga.md.)
        self.clearing = Signal(init=1, name="tiles_clearing")
        self.mac_zeros = Signal(name="mac_write_zeros")  # the MAC unit writes tzero's zeros
        # a bit a tile: its last write was tzero's zeros (a tmma starts from zeros then,
        # without fetching its md: `TensorEngine._mac_unit`)
        self.zero = Signal(TILES, name="tiles_zero")

    def writes_tile(self, index):
        """Tile `index` takes `data` at the end of this cycle."""
        return self.enable & (self.index == index)

    def load_writes(self, index):
        """A tile load's end writes tile `index` this cycle."""
        return self.lsu_write & (self.lsu_index == index)

    def row_port(self, row: int) -> tuple[Value, Value, Value]:
        """Row `row`'s write enable, tile index and data, from its registers."""
        width = 32 * self.tdim
        lsu_write, enable, index = (self.copies[name][row]
                                    for name in ("lsu", "enable", "index"))
        data = Mux(lsu_write, self.lsu_value.word_select(row, width),
                   self.mac_value.word_select(row, width))
        return enable, index, data

    def make_row_copies(self, m: Module) -> None:
        """The rows' registers (`row_port`), a copy of each a row."""
        t = self.tdim
        self.copies = {
                "lsu": registered_copies(m, self.lsu_write_next, t, "tile_write_lsu"),
                "enable": registered_copies(m, self.lsu_write_next | self.mac_request_next,
                                            t, "tile_write_enable", init=1),
                "index": registered_copies(m, Mux(self.lsu_write_next, self.lsu_index_next,
                                                  self.mac_index_next), t, "tile_write_index")}

    def elaborate(self, m: Module) -> None:
        m.d.comb += [self.mac_granted.eq(self.mac_request & ~self.lsu_write),
                     self.enable.eq(self.lsu_write | self.mac_granted),
                     self.index.eq(Mux(self.lsu_write, self.lsu_index, self.mac_index))]
        with m.If(self.enable):
            m.d.sync += self.zero.bit_select(self.index, 1).eq(~self.lsu_write
                                                                & self.mac_zeros)


class _StoreRow:
    """The row a tile store writes next: its bytes (reported), the same shifted up into
    the port words it straddles with their byte enables (written a word a cycle), its
    address, whether it is its instruction's last row and that instruction's order
    (rows of two stores may be on their way out at once), and whether requantizing it
    saturated. A register, so that the memory's write data comes from flip-flops and a
    mux, not from the tile buffer and the requantizer.

    A row no wider than a port word puts each of its bytes in a byte lane of its own
    whichever word it falls in, so its words are one: the row rotated by its address's
    offset in a word (a word's enables pick its bytes), half the shifter and the
    register of the row shifted across two words. A wider row (TDIM 16 on a 256-bit
    port) is shifted."""

    def __init__(self, row_bytes: int, max_words: int, port_bits: int,
                 order_bits: int) -> None:
        self.valid = Signal(name="lsu_out_valid")
        self.data = Signal(8 * row_bytes, name="lsu_out_row")
        self.rotates = 8 * row_bytes <= port_bits
        self.words = Signal(port_bits if self.rotates else max_words * port_bits,
                            name="lsu_out_words")
        self.port_bits = port_bits
        self.enables = Signal(max_words * port_bits // 8, name="lsu_out_enables")
        self.clamped = Signal(name="lsu_out_clamped")
        self.tag = Signal(_row_tag(order_bits), name="lsu_out_tag")
        # the port words it straddles (worked out as it is loaded: from its address as
        # each word was written, it sat in front of the next store's start)
        self.word_count = Signal(range(max_words + 1), name="lsu_out_word_count")
        self.word_shift = _log2(port_bits // 8)

    def load(self, m: Module, valid, tag, word_count, clamped, row_mask) -> None:
        """Take the next row's control (`valid` low: none) with its `_row_tag` and its
        `count_of` port words. (Its bytes: `load_data`.)"""
        offset = tag.addr[:self.word_shift]
        m.d.sync += [self.valid.eq(valid), self.tag.eq(tag),
                     self.word_count.eq(word_count),
                     self.enables.eq(row_mask << offset), self.clamped.eq(clamped)]

    def count_of(self, tag, span) -> Value:
        """The port words a row with `tag` and `span` straddles."""
        return _port_words(tag.addr, span, self.word_shift)

    def load_data(self, m: Module, data, tag, takes: list) -> None:
        """Take the next row's bytes (`data`, at `tag`'s address) with the row: slice
        i of the register when ``takes[i]`` (copies of `load`'s condition, one a slice
        of the register)."""
        bytes_ = data[:len(self.data)]
        offset = tag.addr[:self.word_shift]
        if self.rotates:
            words = Cat(bytes_, Const(0, self.port_bits - len(bytes_)))
            for bit in range(len(offset)):  # (a log rotator of multiplexers)
                words = Mux(offset[bit], words.rotate_left(8 << bit), words)
        else:
            words = bytes_ << (offset * 8)
        for register, value in ((self.data, bytes_), (self.words, words)):
            width = len(register) // len(takes)
            for i, take in enumerate(takes):
                with m.If(take):
                    m.d.sync += register.word_select(i, width).eq(value.word_select(i, width))

    def word(self, index) -> Value:
        """The data of port word `index` of the row (its enables say which bytes)."""
        return self.words if self.rotates else self.words.word_select(index, self.port_bits)


def _row_tag(order_bits: int) -> data.StructLayout:
    """What a store row carries down the requantizer's pipeline to the row register."""
    return data.StructLayout({"addr": 32, "last": 1, "order": order_bits})


class _MacResult:
    """The MAC unit's finished tile on its way to the tiles' write port (tzero's zeros or
    a tmma's accumulators): a register, so that the write port's data comes from
    flip-flops, not from the multipliers and adders of the last k-step (the SoC clock),
    and the next instruction starts while it waits for the port."""

    def __init__(self, tdim: int, order_bits: int) -> None:
        # (out of reset it holds tile 0's zeros: it clears the tiles, `_TileWrites`)
        self.full = Signal(init=1, name="mac_result_full")
        self.full_next = Signal(name="mac_result_full_next")  # `full` in the next cycle
        self.index = Signal(3, name="mac_result_tile")
        self.index_next = Signal(3, name="mac_result_tile_next")  # `index` then
        self.value = Signal(32 * tdim * tdim, name="mac_result")
        self.order = Signal(order_bits, name="mac_result_order")
        self.zeros = Signal(init=1, name="mac_result_zeros")  # tzero's (else a tmma's sums)
        self.tile = Signal(32 * tdim * tdim, name="mac_result_tile")  # what it writes
        self.free = Signal(name="mac_result_free")  # it may take a tile this cycle
        self.unwritten = Signal(TILES, name="mac_result_unwritten")  # its tile, not yet
        self.arriving = Signal(TILES, name="mac_result_arriving")  # the tile it takes

    def holds(self, index):
        """Tile `index`'s value is here (written to the tile at the earliest this cycle)."""
        return self.full & (self.index == index)

    def has_or_takes(self, index):
        """Tile `index`'s value is here or comes here this cycle: the tiles' copies do
        not have it yet."""
        return self.holds(index) | self.arriving.bit_select(index, 1)


class Unit:
    """A unit as the issue logic sees it."""

    def __init__(self, name: str) -> None:
        self.take = Signal(name=f"{name}_take")  # in: start the queue's head now
        self.take_kind = Signal(name=f"{name}_kind")  # the head is this unit's kind
        # The LSU's early load request decides on these: whether it takes the head this
        # cycle, from a `free` that does not depend on the memory port's ready (a store
        # ends on it), so that the request's address never loops back into it.
        self.free_early = Signal(name=f"{name}_free_early")
        self.take_early = Signal(name=f"{name}_take_early")
        self.free = Signal(name=f"{name}_free")  # out: it can take one this cycle
        self.touched = Signal(TILES, name=f"{name}_touched")  # out: tiles in use
        # out (MAC unit): the head's operand tiles are not in the unit's registers yet,
        # or are being written, so the MAC unit may not take it (`_operands`)
        self.operands_pending = Signal(name=f"{name}_operands_pending")


class TensorEngine(Engine):
    """The tensor unit. Parameters come from `TensorConfig` (TDIM, port width, queue);
    the RAM's base and size bound the rows of tile loads and stores (precise traps)."""

    def __init__(self, tensor: TensorConfig, isa: Isa, mem_base: int, mem_size: int) -> None:
        self.mem_base, self.mem_size = mem_base, mem_size  # the RAM tile rows must lie in
        self.tdim = tensor.tdim
        self.port_bits = tensor.port_bits
        self.queue_depth = tensor.queue_depth
        self.isa = isa
        self.tileb = self.tdim * self.tdim * 4
        self.row_bytes = 4 * self.tdim  # the widest row (tld.w, tst.w)
        self.commit_spec = tensor_commit_spec(self.tileb, self.row_bytes)
        self.fields = {name: tile_field(isa, name) for name in ("md", "ms1", "ms2", "ms")}
        super().__init__(port_bits=self.port_bits, port_stage=tensor.port_stage)
        self.commit = Signal(commit_layout(self.commit_spec), name="tcommit")
        self.lsu_commit = Signal(commit_layout(self.commit_spec), name="tlsu_commit")

    @property
    def commits(self) -> list[tuple[str, object, Signal]]:
        """The commit ports: one per unit (`hw.oxcore.engine.commit_ports`)."""
        return [("commit", self.commit_spec, self.commit),
                ("lsu_commit", self.commit_spec, self.lsu_commit)]

    @classmethod
    def for_config(cls, config: OxCoreConfig, section: TensorConfig) -> "TensorEngine":
        return cls(section, isa_for(config), config.mem_base, config.mem_size)

    def _tile_operand(self, insn, name: str):
        lo, hi = self.fields[name]
        return insn[lo:hi]

    # ------------------------------------------------------------------------------------
    def elaborate(self, platform) -> Module:
        m = Module()
        pipe = self.pipe
        self._watch: dict[str, list] = {}  # signals for the waveform groups (`_probes`)
        dispatched = self.decode_dispatched(m, TensorDecoder(self.isa)).uop
        hold = Signal(name="dispatch_hold")  # (`_precise_traps`: an access's verdict)
        queue = self.claim_and_queue(
            m, TensorDecoder(self.isa), self.queue_depth, PREDECODED,
            lambda m, payload: self._predecode(m, payload, dispatched), hold)
        self._precise_traps(m, dispatched, hold)
        self._lsu_port = self._request_register(m)

        writes = _TileWrites(self.tdim)
        writes.make_row_copies(m)
        mac, lsu = Unit("mac"), Unit("lsu")
        head, head_uop, head_tiles, mac_head = self._issue(m, queue, mac, lsu,
                                                           ~writes.clearing)
        store_read = _StoreRead()
        mac_busy, stepping = self._mac_unit(m, writes, mac, *mac_head, store_read)
        counters = self._performance_counters(m, queue, mac, lsu, head_tiles, stepping)
        lsu_busy, storing = self._lsu_unit(m, writes, lsu, head, head_uop, head_tiles,
                                           counters, store_read)
        writes.elaborate(m)
        # a store's last words may still wait in the request register and the skid
        # entry (which holds a request only behind one in the register, of the same
        # access: the register's terms cover both)
        m.d.comb += pipe.busy.eq((queue.level != 0) | self._parked_valid | mac_busy | lsu_busy
                                 | self.mem.valid)
        self._memory_writes(m, lsu, dispatched, head_uop,
                            storing | (self.mem.valid & self.mem.write))
        self.probes = self._probes(queue, head, head_tiles, mac, lsu, counters)
        return m

    def _precise_traps(self, m: Module, dispatched, hold) -> None:
        """Tile loads and stores with a misaligned row or one outside RAM trap in WB,
        before they are dispatched (`access_check.TileAccessCheck`, whose ``hold`` keeps
        an access that MEM could not clear waiting a cycle there for its verdict;
        `dispatched`: the
        micro-operation being dispatched)."""
        pipe, dispatch = self.pipe, self.pipe.dispatch
        m.submodules.access_check = check = TileAccessCheck(self.isa, self.tdim,
                                                            self.mem_base, self.mem_size)
        m.d.comb += [check.check.eq(pipe.check),
                     check.dispatched.valid.eq(dispatch.valid & dispatch.ready),
                     check.dispatched.uop.eq(dispatched),
                     check.dispatched.insn.eq(dispatch.payload.insn),
                     check.dispatched.rs1.eq(dispatch.payload.rs1),
                     pipe.fault.eq(check.fault), hold.eq(check.hold)]

    def _request_register(self, m: Module):
        """The LSU's port on the memory, through a two-entry skid buffer: requests
        (address, write data, byte enables) reach the banked RAM from flip-flops a cycle
        after the LSU makes them, and the LSU's ``ready`` is a flip-flop too (the skid
        entry is empty), so that neither the LSU's request logic and the long wires to
        the block RAMs spread over the device, nor the RAM's arbitration between
        engines' ports (`hw.oxcore.banked_ram`), and the LSU's counters and buffers are
        one path (the SoC clock). A request the RAM refuses stays in the output
        register; the LSU's next one waits in the skid entry, and the LSU stalls from
        the cycle after. Requests keep their order; responses pass straight through.
        (With one engine at a time on the banks' engine side, the RAM never refuses
        today; tests refuse on purpose, `tests/hw/oxcore/refusing_ram.py`.)"""
        port = port_signature(self.port_bits).create(path=("tensor_lsu_port",))
        skid = port_signature(self.port_bits).create(path=("tensor_lsu_skid",))
        mem = self.mem
        fields = ("addr", "write", "wdata", "mask")
        # (the skid entry's next state, which is the LSU's `ready` in the next cycle:
        # the store rows' pipeline works its enables out from it a cycle ahead)
        self._skid_next = Signal(name="tensor_lsu_skid_next")
        m.d.comb += [port.ready.eq(~skid.valid),
                     port.rvalid.eq(mem.rvalid), port.rdata.eq(mem.rdata),
                     self._skid_next.eq(mem.valid & ~mem.ready & (skid.valid | port.valid))]
        m.d.sync += skid.valid.eq(self._skid_next)
        with m.If(mem.valid & ~mem.ready):  # the output register holds; park the next
            with m.If(port.valid & ~skid.valid):
                m.d.sync += [getattr(skid, f).eq(getattr(port, f)) for f in fields]
        with m.Else():  # the output register moves on: the parked request first
            m.d.sync += mem.valid.eq(skid.valid | port.valid)
            m.d.sync += [getattr(mem, f).eq(Mux(skid.valid, getattr(skid, f), getattr(port, f)))
                         for f in fields]
        self._skid = skid
        return port

    def _memory_writes(self, m: Module, lsu: Unit, dispatched, head_uop, storing) -> None:
        """``writes_memory``: a tile store is queued or running (not tile loads and
        tmma: `Engine.store_memory_order`)."""
        queued = self.store_memory_order(
            m, dispatched.kind == Kind.STORE, self.queue_depth,
            lsu.take & (head_uop.kind == Kind.STORE), storing)
        self._watch["lsu"].append(queued)

    def _probes(self, queue, head, head_tiles, mac: Unit, lsu: Unit,
                counters: dict) -> dict[str, list]:
        """The engine's waveform groups (`hw.oxcore.top.Top.probes`): the queue and
        issue (the head shown as disassembly), the MAC unit, the load/store unit with
        the memory port, and the performance counters."""
        watch = self._watch
        return {
            "tensor issue": [queue.level, (head, "insn"), head_tiles, self._parked_valid,
                             self._parked_tiles, mac.take, lsu.take],
            "tensor MAC unit": watch["mac"],
            "tensor load/store": watch["lsu"] + [self._skid, self.mem],
            "tensor counters": list(counters.values())[:-1] + [
                (self.commit, "valid"), (self.lsu_commit, "valid")],
        }

    def _performance_counters(self, m: Module, queue, mac: Unit, lsu: Unit, head_tiles,
                              stepping) -> dict[int, Signal]:
        """The counter CSRs (32 bits, from reset), by number: array k-steps (and their
        MACs); cycles the array did no k-step because the queue's head waited for a
        tile the other unit uses (operand not ready) or, a memory instruction, for the
        busy load/store unit (port busy), so that k-steps, these and the rest (issue)
        split the cycles; the queue full; the engine busy."""
        head_memory = ~(mac.take_kind)
        parked = self._parked_valid  # the MAC unit's next: its operands, else the head's
        operand_wait = Mux(parked, _overlap(lsu.touched, self._parked_tiles),
                           queue.r_rdy & Mux(head_memory, _overlap(mac.touched, head_tiles),
                                             _overlap(lsu.touched, head_tiles)))
        port_wait = ~parked & queue.r_rdy & head_memory & ~operand_wait & ~lsu.free
        events = {CSR_TACTIVE: stepping, CSR_TSTALL_OPERAND: operand_wait & ~stepping,
                  CSR_TSTALL_PORT: port_wait & ~stepping, CSR_TQFULL: ~queue.w_rdy,
                  CSR_TBUSY: self.pipe.busy}
        counters = {}
        for number, event in events.items():
            count = Signal(32, name=f"count_{number:03x}")
            with m.If(event):
                m.d.sync += count.eq(count + 1)
            counters[number] = count
        counters[CSR_TMACS] = (counters[CSR_TACTIVE] << _log2(self.tdim * self.tdim))[:32]
        return counters

    def _tiles_used(self, m: Module, insn, uop, name: str) -> Signal:
        """The tiles an instruction names, one bit per tile."""
        used = Signal(TILES, name=name)
        md, ms1, ms2 = (self._tile_operand(insn, f) for f in ("md", "ms1", "ms2"))
        one = Const(1, TILES)
        with m.Switch(uop.kind):
            with m.Case(Kind.ZERO, Kind.LOAD):
                m.d.comb += used.eq(one << md)
            with m.Case(Kind.STORE):
                m.d.comb += used.eq(one << self._tile_operand(insn, "ms"))
            with m.Case(Kind.MMA):
                m.d.comb += used.eq((one << md) | (one << ms1) | (one << ms2))
        return used

    def _predecode(self, m: Module, payload, uop) -> dict:
        """What the issue logic needs of an instruction, worked out as it is dispatched
        (`uop`: its micro-operation) and queued with it (`Engine.claim_and_queue`): the
        micro-operation, its tiles and which unit runs it. The head's decoder is then
        off the issue decision's path (the SoC clock)."""
        return {"uop": uop, "tiles": self._tiles_used(m, payload.insn, uop, "dispatched_tiles"),
                "compute": (uop.kind == Kind.ZERO) | (uop.kind == Kind.MMA)}

    def _issue(self, m: Module, queue, mac: Unit, lsu: Unit, ready):
        """Which unit takes the queue's head this cycle, if any: compute to the MAC unit,
        memory and CSRs to the LSU, in program order, and only when the other unit's
        running instruction uses none of the head's tiles. The head comes predecoded
        (`_predecode`).

        A compute instruction the MAC unit cannot take yet (busy, or an operand still
        loading) leaves the queue into the *parked* register, the MAC unit's next
        instruction, so that a tile load or store behind it that touches none of its
        tiles goes to the LSU first: the next k-step's operand load starts while this
        k-step's last tmma waits for the array, instead of after it has started. Loads
        and stores keep their order among themselves, compute instructions theirs (one
        behind the parked one waits), and csr instructions pass nothing. Returns the
        queue's head (the LSU's candidate) and the MAC unit's (the parked instruction,
        else the head; with the tmma whose operands it fetches ahead). Nothing is
        taken while `ready` is low (after a reset, until the tiles are cleared)."""
        entry = Signal(queue_entry(PREDECODED), name="queue_head")
        head = Signal(DISPATCH, name="head")
        uop = Signal(UOP, name="head_uop")
        tiles = Signal(TILES, name="head_tiles")
        compute = Signal(name="head_compute")
        m.d.comb += [entry.eq(queue.r_data), head.eq(entry.dispatched),
                     uop.eq(entry.predecoded.uop), tiles.eq(entry.predecoded.tiles),
                     compute.eq(entry.predecoded.compute)]
        m.d.comb += [mac.take_kind.eq(compute), lsu.take_kind.eq(~compute)]
        parked = Signal(queue_entry(PREDECODED), name="parked")
        parked_valid = self._parked_valid = Signal(name="parked_valid")
        mac_head = Signal(DISPATCH, name="mac_head")
        mac_uop = Signal(UOP, name="mac_head_uop")
        mac_tiles = Signal(TILES, name="mac_head_tiles")
        m.d.comb += [mac_head.eq(Mux(parked_valid, parked.dispatched.as_value(), head.as_value())),
                     mac_uop.eq(Mux(parked_valid, parked.predecoded.uop.as_value(),
                                    uop.as_value())),
                     mac_tiles.eq(Mux(parked_valid, parked.predecoded.tiles, tiles))]
        # the head may pass the parked instruction: a load or store on other tiles
        passes = ~parked_valid | _may_pass_parked(uop.kind, parked.predecoded.tiles, tiles)
        park = Signal(name="park")
        head_ready = Signal(name="head_ready")
        m.d.comb += [
            head_ready.eq(queue.r_rdy & ready),
            mac.take.eq((parked_valid | (head_ready & compute)) & mac.free
                        & ~_overlap(lsu.touched, mac_tiles) & ~mac.operands_pending),
            lsu.take.eq(head_ready & ~compute & lsu.free & ~_overlap(mac.touched, tiles)
                        & passes),
            park.eq(head_ready & compute & ~parked_valid & ~mac.take),
            queue.r_en.eq((mac.take & ~parked_valid) | lsu.take | park),
            lsu.take_early.eq(head_ready & ~compute & lsu.free_early
                              & ~_overlap(mac.touched, tiles) & passes),
        ]
        with m.If(park):
            m.d.sync += [parked.eq(entry), parked_valid.eq(1)]
        with m.Elif(mac.take & parked_valid):
            m.d.sync += parked_valid.eq(0)
        self._parked_tiles = Signal(TILES, name="parked_tiles")
        m.d.comb += self._parked_tiles.eq(parked.predecoded.tiles)
        # the tmma whose operands the MAC unit fetches ahead (`_operands`): its next,
        # but the tmma behind a parked tzero (a tzero takes a cycle and no operands)
        fetch_next = Signal(DISPATCH, name="mac_fetch_next")
        m.d.comb += fetch_next.eq(Mux(parked_valid & (parked.predecoded.uop.kind == Kind.ZERO)
                                      & queue.r_rdy & (uop.kind == Kind.MMA),
                                      head.as_value(), mac_head.as_value()))
        return head, uop, tiles, (mac_head, mac_uop, mac_tiles, fetch_next)

    def _tile_copy(self, m: Module, writes: _TileWrites, index: list, name: str) -> Signal:
        """Tile `index`, read from a copy of the eight tiles of its own: the tile
        registers are memories, one copy per reader (the MAC unit's fetch of ms2, which
        stores share, `_StoreRead`; and of ms1 and md), all written alike through the write port
        (`_TileWrites`) and read without a clock edge, like flip-flops (a write shows
        from the next cycle on). On ECP5 Yosys maps each copy to distributed RAM (TDIM 8: 512
        TRELLIS_DPR16X4 of 16 words of 4 bits), whose own read multiplexers select the
        tile: over flip-flops, a select of one of eight 2,048-bit tiles took about 6
        LUT4s a bit (docs/fpga.md, "Where the TDIM 8 engine's area goes"). A memory a
        row (Amaranth's simulator compiles a TDIM 16 tile's 8,192-bit word into an
        expression too deep for Python), each read at its own copy of the tile index
        (`index`: a register per row, `hw.oxcore.replica`; one register's reach to
        all 512 distributed RAMs was a routed path with 21 ns of wire in that net).
        A memory keeps its words through a reset, and the tiles are 0 after one: the
        write port clears them first (`_TileWrites.clearing`)."""
        row_width = 32 * self.tdim
        rows = []
        for row in range(self.tdim):
            copy = memory.Memory(shape=row_width, depth=TILES, init=[])
            m.submodules[f"{name}_copy_row{row}"] = copy
            write, read = copy.write_port(), copy.read_port(domain="comb")
            enable, write_index, data = writes.row_port(row)
            m.d.comb += [write.en.eq(enable), write.addr.eq(write_index), write.data.eq(data),
                         read.addr.eq(index[row])]
            rows.append(read.data)
        out = Signal(row_width * self.tdim, name=name)
        m.d.comb += out.eq(Cat(*rows))
        return out

    def _start(self, m: Module, unit: Unit, current, uop, running_tiles, head, head_uop,
               head_tiles) -> None:
        """Take the queue's head into `unit` if the issue logic gives it this cycle."""
        with m.If(unit.take):
            m.d.sync += [current.eq(head), uop.eq(head_uop), running_tiles.eq(head_tiles)]

    # ---- the MAC unit ------------------------------------------------------------------
    def _mac_unit(self, m: Module, writes: _TileWrites, unit: Unit, head,
                  head_uop, head_tiles, fetch_next, store_read: _StoreRead):
        """tzero (one cycle) and tmma/tmmau (4*TDIM k-steps; the first starts from md,
        fetched with the operands, `_operands`). An instruction ends by leaving its
        tile in the *result register* (`_MacResult`), which writes it through the
        tiles' write port in a later cycle (as soon as the LSU does not have the port)
        and reports it then; meanwhile the next instruction runs. A tmma's last step
        waits while the register is full. Returns its busy signal and its k-steps."""
        t = self.tdim
        current = Signal(DISPATCH, name="mac_insn")
        uop = Signal(UOP, name="mac_uop")
        used = Signal(TILES, name="mac_tiles")
        running = Signal(name="mac_running")
        finishing = Signal(name="mac_finishing")  # the last cycle: may take the next
        steps = 4 * t  # a k-step per operand byte column
        k = Signal(range(steps), name="mac_k")
        md, ms1, ms2 = (self._tile_operand(current.insn, f) for f in ("md", "ms1", "ms2"))
        result = self._mac_result(m, writes)
        # md from the end of its instruction until the result register has written it
        m.d.comb += result.arriving.eq(Mux(finishing, Const(1, TILES) << md, 0))
        # A tmma's first k-step starts from its tile md, fetched with its operands, or,
        # when md is in the result register then (written this cycle or not), from
        # tzero's zeros there or from a tmma's sums, which the accumulators still hold;
        # or from zeros when tzero's were the last write of md (`_TileWrites.zero`) and
        # no tile load writes it now. Which one, flip-flops set as it is taken: they
        # select the start of every accumulator (the SoC clock).
        head_md = self._tile_operand(head.insn, "md")
        arriving = result.arriving.bit_select(head_md, 1)
        in_result = result.has_or_takes(head_md)
        zeros_in_result = ((result.holds(head_md) & result.zeros)
                           | (arriving & (uop.kind == Kind.ZERO)))
        zeros_in_tile = (writes.zero.bit_select(head_md, 1) & ~in_result
                         & ~writes.load_writes(head_md))
        # (a copy for each row of the array: `replica`, one register's 2,048 loads
        # span the array)
        taken = unit.take & (head_uop.kind == Kind.MMA)
        from_tile = registered_copies(m, taken & (~in_result | zeros_in_result), t,
                                      "mac_first_from_tile")  # from md's tile or zeros
        from_zeros = registered_copies(m, taken & (zeros_in_result | zeros_in_tile), t,
                                       "mac_first_from_zeros")
        # (the tiles it touches, from flip-flops: its tiles while it runs, the result
        # register's while full; a cycle late at its end and at the result's write, so
        # that the LSU's take, which loads the LSU's tile buffer, does not wait on the
        # k-step count and the write port's grant: the SoC clock)
        m.d.comb += [unit.free.eq(~running | finishing),
                     unit.touched.eq(Mux(running, used, 0)
                                     | Mux(result.full, Const(1, TILES) << result.index, 0))]

        m.submodules.mac_array = array = MacArray(t)
        stepping = Signal(name="mac_stepping")  # the array does a k-step
        self._watch["mac"] = [(current, "insn"), running, k, stepping, used, result.full]

        mma = Signal(name="mac_mma")  # it runs a tmma
        final = Signal(name="mac_final_step")  # a tmma's last k-step
        last = running & ((uop.kind == Kind.ZERO) | final)
        # A tmma's last k-step waits while the result register is full, a flip-flop:
        # whether the register is written this cycle depends on the LSU's use of the
        # write port, which would then run on into the enables of every accumulator
        # and operand register (the SoC clock). (It is written a cycle or two after a
        # tmma's end, long before the next one's.) A tzero's end also takes a
        # register written this cycle.
        ends = Signal(name="mac_ends")
        m.d.comb += [mma.eq(running & (uop.kind == Kind.MMA)), final.eq(mma & (k == steps - 1)),
                     ends.eq(Mux(uop.kind == Kind.MMA, ~result.full, result.free))]
        # the k-step and whether a tmma runs in the next cycle, for the operand
        # registers' enables, which are flip-flops set from them (`_operands`)
        k_next = Signal.like(k, name="mac_k_next")
        running_next = Signal(name="mac_running_next")
        mma_next = Signal(name="mac_mma_next")
        m.d.comb += [k_next.eq(k), running_next.eq(running)]
        with m.If(last & ends):  # the end
            m.d.comb += [k_next.eq(0), running_next.eq(0)]
        with m.Elif(running & ~last):
            m.d.comb += k_next.eq(k + 1)
        with m.If(unit.take):
            m.d.comb += running_next.eq(1)
        m.d.comb += mma_next.eq(running_next & Mux(unit.take, head_uop.kind == Kind.MMA,
                                                   uop.kind == Kind.MMA))
        m.d.sync += [k.eq(k_next), running.eq(running_next)]
        a, b, base = self._operands(m, writes, unit, k, mma, final & result.full,
                                    (k_next, mma_next), head, head_uop, fetch_next, result,
                                    in_result | zeros_in_tile, store_read)
        # Whether the array steps, and whether the result register takes its sums:
        # flip-flops set a cycle ahead, a copy for each row of the array (worked out in
        # the cycle, each was a few LUTs in front of 2,048 enables)
        final_next = mma_next & (k_next == steps - 1)
        steps_rows = registered_copies(m, mma_next & ~(final_next & result.full_next), t,
                                       "mac_step")
        takes_rows = registered_copies(m, final_next & ~result.full_next, t,
                                       "mac_result_takes")
        row_width = 32 * t
        m.d.comb += [
            stepping.eq(mma & ~(final & result.full)),
            array.a.eq(a), array.b.eq(b), array.a_unsigned.eq(uop.unsigned_a),
            array.base.eq(Cat(*(Mux(from_zeros[i], 0, base.word_select(i, row_width))
                                for i in range(t)))),
            array.first.eq(Cat(*from_tile)), array.step.eq(Cat(*steps_rows)),
        ]
        with m.If(last & ends):  # the end: the tile into the result register
            m.d.comb += finishing.eq(1)
            m.d.comb += [result.full_next.eq(1), result.index_next.eq(md)]
            m.d.sync += [result.order.eq(current.order), result.zeros.eq(uop.kind == Kind.ZERO)]
        for i in range(t):  # (tzero's zeros: `zeros`, not a value)
            with m.If(takes_rows[i]):
                m.d.sync += result.value.word_select(i, row_width).eq(
                    array.result.word_select(i, row_width))
        self._start(m, unit, current, uop, used, head, head_uop, head_tiles)
        return running | result.full, stepping

    def _mac_result(self, m: Module, writes: _TileWrites) -> "_MacResult":
        """The MAC unit's result register on the tiles' write port: written and reported
        (a `TileWrite`, the instruction's end on the commit port) when granted. Out of
        reset it writes zeros into tile 0, then each tile after it, unreported
        (`_TileWrites.clearing`; no instruction runs meanwhile)."""
        commit = self.commit
        result = _MacResult(self.tdim, len(commit.order))
        m.d.sync += [result.full.eq(result.full_next), result.index.eq(result.index_next)]
        m.d.comb += [result.full_next.eq(result.full), result.index_next.eq(result.index),
                     writes.mac_request_next.eq(result.full_next),
                     writes.mac_index_next.eq(result.index_next),
                     writes.mac_request.eq(result.full), writes.mac_index.eq(result.index),
                     writes.mac_value.eq(result.tile), writes.mac_zeros.eq(result.zeros),
                     commit.order.eq(result.order),
                     result.tile.eq(Mux(result.zeros, 0, result.value)),
                     result.free.eq(~result.full | writes.mac_granted),
                     result.unwritten.eq(Mux(result.full & ~writes.mac_granted,
                                             Const(1, TILES) << result.index, 0))]
        with m.If(writes.mac_granted & writes.clearing):
            with m.If(result.index == TILES - 1):
                m.d.comb += result.full_next.eq(0)
                m.d.sync += writes.clearing.eq(0)
            with m.Else():
                m.d.comb += result.index_next.eq(result.index + 1)
        with m.Elif(writes.mac_granted):
            m.d.comb += [commit.valid.eq(1), commit.last.eq(1), commit.tile.valid.eq(1),
                         commit.tile.reg.eq(result.index), commit.tile.data.eq(result.tile)]
            m.d.comb += result.full_next.eq(0)  # (unless the next tile comes in: later wins)
        return result

    def _operands(self, m: Module, writes: _TileWrites, unit: Unit, k, mma, stalls,
                  next_state, head, head_uop, fetch_next, result: "_MacResult",
                  md_known, store_read: _StoreRead) -> tuple[Signal, Signal, Signal]:
        """The MAC array's operands, byte column k of ms1 and of ms2, each from a
        register of one column (TDIM bytes) that takes the next step's column every
        cycle from a register of its whole tile (each row's byte k+1 picked); in a
        tmma's last step, and while the unit runs no tmma, column 0 of the next
        tmma's tiles, which a tmma taken then starts with. A last step that waits
        (`stalls`: the result register full, a flip-flop) keeps its column.

        The three tiles a tmma reads (ms2 and ms1 into those registers, md into the
        register its first k-step starts from) come ahead of it from two copies of
        the tiles (`_tile_copy`) at tile indices from flip-flops: ms2's register takes
        the next tmma's ms2 from a copy of its own in every cycle it is free (from the
        running tmma's second last k-step, after its last read of it, and while none
        runs); the other copy is read for md early in a running tmma (its register is
        free after the first k-step), for ms1 in the second last k-step, and then for
        ms1 if the next tmma still lacks it, else md (`_Fetch`). A copy per reader
        cost a third copy of 512 distributed RAMs at TDIM 8 and long wires from each
        to its column multiplexers (docs/fpga.md). ms2's copy also serves the LSU's
        stores (`_StoreRead`): ms2's register skips the cycle a store reads it. Each
        register knows its tile and drops it when that tile is written (a write shows
        in the copy from the next cycle) or was read while the result register held
        it. The MAC unit takes a tmma (`Unit.operands_pending`) once each register
        holds its tile after the cycle, perhaps taking it in that very cycle (its
        column 0 then goes from the copy to the column register); md perhaps in the
        result register or known to be zeros (`md_known`: not fetched, `_mac_unit`);
        and no operand tile of it is being written or waits in the result register. A
        running tmma's tiles are written by no one (the scoreboard), so its columns
        stay as they were. `k`: the k-step; `mma`: the unit runs a tmma;
        `next_state`: `k` and `mma` in the next cycle; `head`: the MAC unit's next
        instruction; `fetch_next`: the tmma fetched for (`_issue`)."""
        t = self.tdim
        row_width = 32 * t
        steps = 4 * t
        wanted = {name: self._tile_operand(head.insn, name) for name in ("ms1", "ms2", "md")}
        ahead = {name: self._tile_operand(fetch_next.insn, name)
                 for name in ("ms1", "ms2", "md")}
        # two copies of the tiles: ms2's, and ms1's and md's in turn
        turn = Signal(_Fetch, name="mac_fetch_turn")  # what the second is read for
        index_b = Signal(3, name="mac_fetch_ms2_tile")
        index_a = Signal(3, name="mac_fetch_tile")
        # (their read indices: copies of these registers, one a row, set alike below)
        index_b_next = Signal(3, name="mac_fetch_ms2_tile_next")
        index_a_next = Signal(3, name="mac_fetch_tile_next")
        copy_b_index = registered_copies(m, index_b_next, t, "mac_fetch_ms2_tile")
        copy_a_index = registered_copies(m, index_a_next, t, "mac_fetch_tile")
        copy_b = self._tile_copy(m, writes, copy_b_index, "mac_ms2_source")
        copy_a = self._tile_copy(m, writes, copy_a_index, "mac_source")
        store_read.tile = copy_b
        index = {"ms2": index_b, "ms1": index_a, "md": index_a}
        source_rows = {name: [copy.word_select(i, row_width) for i in range(t)]
                       for name, copy in (("ms2", copy_b), ("ms1", copy_a))}

        def stale(tile):  # the copy's read of `tile` this cycle misses a write
            return writes.writes_tile(tile) | result.has_or_takes(tile)

        # when each register may take its tile: the operands' after the running tmma's
        # last read of theirs (in its second last k-step); md's but in a tmma's first.
        # Flip-flops, set a cycle ahead from the next k-step (`next_state`): worked out
        # from `mac_k` in the cycle, each fanned out to its register's 2,048 enables,
        # and ms2's was the routed engine's critical path (16 ns of wire in one net)
        k_next, mma_next = next_state
        free_next = ~mma_next | (k_next >= steps - 2)
        # (out of reset no tmma runs and `turn` is MS1)
        loads = {"ms2": Signal(name="mac_ms2_loads", init=1),
                 "ms1": Signal(name="mac_ms1_loads", init=1),
                 "md": Signal(name="mac_md_loads", init=0)}
        kept = {}  # name: the tile in the register, and whether it is not written since
        for name in ("ms2", "ms1", "md"):
            held, valid = Signal(3, name=f"mac_{name}_tile"), Signal(name=f"mac_{name}_valid")
            with m.If(loads[name]):
                m.d.sync += [held.eq(index[name]), valid.eq(~stale(index[name]))]
            with m.Else():
                m.d.sync += valid.eq(valid & ~writes.writes_tile(held))
            kept[name] = held, valid

        def holds_after(name: str, tile):
            """Register `name` holds `tile` after this cycle: the one it takes now (not
            stale), else the one it holds (not written now)."""
            held, valid = kept[name]
            return Mux(loads[name], (index[name] == tile) & ~stale(index[name]),
                       valid & (held == tile) & ~writes.writes_tile(held))

        # ms2's copy: at the next tmma's ms2 always; the other: md while a tmma runs,
        # ms1 in its second last k-step, then (and while none runs) ms1 if the next
        # tmma still lacks it, else md
        m.d.comb += index_b_next.eq(Mux(store_read.copy_next, store_read.tile_next,
                                        ahead["ms2"]))
        m.d.sync += index_b.eq(index_b_next)
        next_turn = Signal(_Fetch, name="mac_fetch_next_turn")
        with m.If(mma & (k < steps - 3)):
            m.d.comb += next_turn.eq(_Fetch.MD)
        with m.Elif((mma & (k == steps - 3)) | ~holds_after("ms1", ahead["ms1"])):
            m.d.comb += next_turn.eq(_Fetch.MS1)
        with m.Else():
            m.d.comb += next_turn.eq(_Fetch.MD)
        loads_next = {"ms2": free_next & ~store_read.copy_next,
                      "ms1": free_next & (next_turn == _Fetch.MS1),
                      "md": (~mma_next | (k_next != 0)) & (next_turn == _Fetch.MD)}
        m.d.comb += index_a_next.eq(Mux(next_turn == _Fetch.MS1, ahead["ms1"], ahead["md"]))
        m.d.sync += [turn.eq(next_turn), index_a.eq(index_a_next)]
        m.d.sync += [loads[name].eq(loads_next[name]) for name in loads]
        # each row of a register from a copy of its enable of its own (`replica`: one
        # enable's 2,048 loads span the array)
        row_loads = {name: registered_copies(m, loads_next[name], t, f"mac_{name}_row_loads",
                                             init=loads[name].init) for name in loads}
        registers = {name: [Signal(row_width, name=f"mac_{name}_row{i}") for i in range(t)]
                     for name in ("ms1", "ms2")}
        base = Signal(row_width * t, name="mac_base_tile")
        for i in range(t):
            for name in ("ms1", "ms2"):
                with m.If(row_loads[name][i]):
                    m.d.sync += registers[name][i].eq(source_rows[name][i])
            with m.If(row_loads["md"][i]):
                m.d.sync += base.word_select(i, row_width).eq(copy_a.word_select(i, row_width))

        # The head is taken once each register holds its tile after this cycle (an
        # operand taken now also goes to its column register, column 0; a register
        # taking another tile in the take cycle would lose the head's), and neither
        # operand tile is being written or waits in the result register.
        ready = {name: holds_after(name, wanted[name]) for name in ("ms1", "ms2", "md")}
        fetched = Signal(name="mac_operands_fetched")  # the head's three tiles are here
        m.d.comb += fetched.eq(ready["ms1"] & ready["ms2"] & (md_known | ready["md"]))
        m.d.comb += unit.operands_pending.eq(
            (head_uop.kind == Kind.MMA)
            & (~fetched | stale(wanted["ms1"]) | stale(wanted["ms2"])))

        # whether a column register takes column 0 of the tile its register takes now:
        # a flip-flop of its own (not the register's enable, which has 2,048 loads)
        column0_next = ~mma_next | (k_next == steps - 1)  # `fetch` in the next cycle
        # The byte column they take: 0 to fetch the next tmma's (`column0_next` a cycle
        # ahead: while no tmma runs, and in a tmma's last step), else the next step's.
        # From flip-flops, a copy for each row of each operand: worked out from `mac_k`
        # in the cycle, its bits were nets of 2,000-2,800 loads (every byte select of
        # the column multiplexers), high in router2's congestion.
        column_next = Mux(column0_next, 0, k_next + 1)
        column = {name: registered_copies(m, column_next, t, f"mac_{name}_column_pick")
                  for name in ("ms1", "ms2")}
        bypass = {"ms2": Signal(name="mac_ms2_bypass", init=1),
                  "ms1": Signal(name="mac_ms1_bypass", init=1)}  # (as `loads`)
        m.d.sync += [bypass[name].eq(column0_next & loads_next[name]) for name in bypass]
        columns = []
        for name in ("ms1", "ms2"):
            operand = Signal(8 * t, name=f"mac_{name}_column")
            with m.If(~stalls & bypass[name]):  # (column 0 of the tile read now)
                m.d.sync += operand.eq(Cat(*(data[:8] for data in source_rows[name])))
            with m.Elif(~stalls):  # (each row's byte `column`, by a multiplexer tree)
                m.d.sync += operand.eq(Cat(*(shifted(row, column[name][i], 8, unit=8)
                                             for i, row in enumerate(registers[name]))))
            columns.append(operand)
        self._watch["mac"] += [turn, index_a, index_b, fetched]
        return columns[0], columns[1], base

    # ---- the load/store unit -----------------------------------------------------------
    def _lsu_unit(self, m: Module, writes: _TileWrites, unit: Unit, head, head_uop,
                  head_tiles, counters: dict, store_read: _StoreRead) -> Signal:
        """Tile loads and stores on the memory port, and the tensor CSRs. Returns its
        busy signal and whether it is running a store."""
        t = self.tdim
        csrs = {name: _csr_register(name, number) for name, number in CSR_NUMBERS.items()}
        geometry = self._geometry = Geometry(t, self.row_bytes, csrs["trow0"])
        lsu = _Lsu(current=Signal(DISPATCH, name="lsu_insn"), uop=Signal(UOP, name="lsu_uop"),
                   state=Signal(LsuState, name="lsu_state"),
                   finishing=Signal(name="lsu_finishing"), commit=self.lsu_commit,
                   rows=Signal(range(4 * t + 1), name="lsu_access_rows"),
                   first=Signal(range(t + 1), name="lsu_access_first"),
                   empty=Signal(name="lsu_access_empty"),
                   row_bytes=Signal(range(self.row_bytes + 1), name="lsu_row_bytes"),
                   row_mask=Signal(self.row_bytes, name="lsu_row_mask"),
                   row_span=Signal(range(self.row_bytes), name="lsu_row_span"))
        used = Signal(TILES, name="lsu_tiles")
        state, uop = lsu.state, lsu.uop
        lsu.state_next = Signal(LsuState, name="lsu_state_next")
        m.d.comb += lsu.state_next.eq(state)  # (the assignments below override it)
        m.d.sync += state.eq(lsu.state_next)
        colb = geometry.colb
        store_follows = Signal(name="lsu_store_follows")  # a store behind a store's feed
        m.d.comb += [unit.free.eq((state == LsuState.IDLE) | lsu.finishing | store_follows),
                     # only a load holds its tile, until it writes it (LOAD_WRITE); a
                     # store has its tile copied as it starts; csr instructions use none.
                     # (From flip-flops alone: a store's end waits on the memory, which
                     # waits on the core's requests, a path too long to run on into the
                     # MAC unit's issue.)
                     unit.touched.eq(Mux((state == LsuState.LOAD) & ~lsu.empty, used, 0)),
                     lsu.commit.order.eq(lsu.current.order)]
        # the head's access, into registers as it starts: its rows (trow0..trows; tld.bt:
        # tcolb memory rows, tlr and tsr: all TDIM, both from row 0) and bytes a row
        from_row0 = head_uop.transposed | head_uop.whole
        lsu.head_first = Signal.like(lsu.first, name="head_first_row")
        head_rows = lsu.head_rows = Signal.like(lsu.rows, name="head_rows")
        head_row_bytes = Signal.like(lsu.row_bytes, name="head_row_bytes")
        lsu.head_row_span = Signal.like(lsu.row_span, name="head_row_span")
        m.d.comb += [
            lsu.head_first.eq(Mux(from_row0, 0, geometry.first)),
            head_rows.eq(Mux(head_uop.transposed, colb,
                             Mux(head_uop.whole, t, geometry.rows))),
            head_row_bytes.eq(
                Mux(head_uop.whole, self.row_bytes,  # tlr, tsr: whole rows
                    Mux(head_uop.transposed, geometry.rows,  # tld.bt: trows
                        Mux(head_uop.full_rows, colb, geometry.narrow_bytes)))),
            lsu.head_row_span.eq(head_row_bytes - 1),  # (bytes past a row's first)
        ]
        with m.If(unit.take):
            m.d.sync += [lsu.first.eq(lsu.head_first), lsu.rows.eq(head_rows),
                         lsu.empty.eq(lsu.head_first == head_rows),
                         lsu.row_bytes.eq(head_row_bytes), lsu.row_span.eq(lsu.head_row_span),
                         lsu.row_mask.eq(Cat(*(head_row_bytes > b
                                               for b in range(self.row_bytes))))]
        self._start_address(m, lsu, head)
        self._watch["lsu"] = [(lsu.current, "insn"), state, lsu.first, lsu.rows,
                              lsu.row_bytes, used]
        lsu.tile_index = self._tile_operand(lsu.current.insn, "md")  # md or ms: one slot

        # A load's rows as they arrive (the rest 0), or the tile a store copied (so
        # that it reads a row, not a tile, a cycle). Both start in the cycle after the
        # take, from flip-flops (`lsu.copying`, `lsu.clearing`): decided in the take
        # cycle, the buffer's 2,048 selects at TDIM 8 hung on the issue decision, the
        # routed engine's critical path (docs/fpga.md). The copy comes from ms2's copy
        # of the tiles (`_StoreRead`), at the store's tile (a register): a tile load
        # that wrote it in the take cycle shows there by then, and the MAC unit writes
        # no tile a store is taken on in the take cycle or the next (its result
        # register's tile is `touched` until written; a tzero taken in the next cycle
        # writes later).
        lsu.buffer = Signal(32 * t * t, name="lsu_tile_buffer")
        copy_next = unit.take & (head_uop.kind == Kind.STORE)
        clear_next = unit.take & (head_uop.kind == Kind.LOAD)
        lsu.copying = Signal(name="lsu_buffer_copying")  # a store copies its tile
        lsu.copy_next = copy_next
        m.d.sync += lsu.copying.eq(copy_next)
        # each row of the buffer from copies of its own (`replica`: one register's
        # 2,048 loads span the engine)
        copying = registered_copies(m, copy_next, t, "lsu_buffer_copying")
        lsu.clearing = registered_copies(m, clear_next, t, "lsu_buffer_clearing")
        head_tile = self._tile_operand(head.insn, "md")  # (md or ms)
        tile_index_next = Mux(unit.take, head_tile, lsu.tile_index)
        m.d.comb += [store_read.copy_next.eq(copy_next), store_read.tile_next.eq(head_tile)]
        empty_next = Mux(unit.take, lsu.head_first == lsu.head_rows, lsu.empty)
        m.d.comb += [writes.lsu_index_next.eq(tile_index_next),
                     writes.lsu_write_next.eq(((lsu.state_next == LsuState.LOAD) & empty_next)
                                              | (lsu.state_next == LsuState.LOAD_WRITE))]
        read_tile = lsu.read_tile = store_read.tile
        load_restart, load_first_request = self._tile_loads(m, lsu, writes, head, head_uop,
                                                            unit, colb)
        store_restart, next_store = self._tile_stores(m, lsu, csrs, head, head_uop,
                                                      unit.take)
        m.d.comb += store_follows.eq(next_store)
        self._csr_instructions(m, lsu, csrs, counters)
        row_width = 32 * t
        for row in range(t):
            with m.If(copying[row]):
                m.d.sync += lsu.buffer.word_select(row, row_width).eq(
                    read_tile.word_select(row, row_width))
            with m.If(lsu.clearing[row]):
                m.d.sync += lsu.buffer.word_select(row, row_width).eq(0)
        with m.If(unit.take):
            m.d.sync += load_restart + load_first_request + store_restart
            with m.Switch(head_uop.kind):
                with m.Case(Kind.LOAD):
                    m.d.comb += lsu.state_next.eq(LsuState.LOAD)
                with m.Case(Kind.STORE):
                    m.d.comb += lsu.state_next.eq(LsuState.STORE)
                with m.Default():
                    m.d.comb += lsu.state_next.eq(LsuState.CSR)
        self._start(m, unit, lsu.current, uop, used, head, head_uop, head_tiles)
        with m.If(unit.take & head_uop.whole):  # tlr, tsr: rows 4*TDIM bytes apart
            m.d.sync += lsu.current.rs2.eq(self.row_bytes)
        return state != LsuState.IDLE, (state == LsuState.STORE) | (state == LsuState.DRAIN)

    @staticmethod
    def _start_address(m: Module, lsu: "_Lsu", head) -> None:
        """The address of the queue head's first row (trow0, or 0), where a load or
        store starts (rows before it are skipped, never requested)."""
        lsu.start_addr = Signal(32, name="lsu_start_addr")
        m.d.comb += lsu.start_addr.eq(head.rs1 + (lsu.head_first * head.rs2)[:32])

    def _words_of(self, m: Module, addr, span, name: str) -> Signal:
        """Port words a row at `addr` straddles, `span` + 1 bytes long."""
        word_shift = _log2(self.port_bits // 8)
        count = Signal(range(self._max_words + 1), name=name)
        m.d.comb += count.eq(_port_words(addr, span, word_shift))
        return count

    @property
    def _max_words(self) -> int:
        """Port words a row can straddle: the widest row at the worst offset."""
        port_bytes = self.port_bits // 8
        return (port_bytes - 1 + self.row_bytes + port_bytes - 1) // port_bytes

    def _tile_loads(self, m: Module, lsu: "_Lsu", writes: _TileWrites, head, head_uop,
                    unit: Unit, colb):
        """tld.b/tld.w: requests stream ahead of responses, one port word a cycle, from
        row trow0 on; a row completes with its last word: shifted down, its bytes past
        tcolb cleared, reported, and kept in the load's row buffer from a register a
        cycle later (the buffer is cleared when the load starts, so the rows before
        trow0 and after trows stay 0); with the last row (trows) in the buffer, the
        buffer goes to the tiles' write port in the next cycle (LOAD_WRITE) and is
        reported. tld.bt runs the same stream over tcolb
        memory rows of trows bytes from row 0, and each row fills a byte column of the
        buffer instead of a row (its first request is not made early); tlr takes every
        row whole, from row 0. With no row to move (trow0 >= trows) the load zeroes
        the tile in one cycle. A load taken while
        the port is free makes its first request in the take cycle, straight from the
        queue's head (when it starts at row 0), so back-to-back loads leave the port no
        idle cycle. Returns the statements that reset the stream for a
        new instruction, and those that count that first request."""
        t, mem, commit, current = self.tdim, self._lsu_port, lsu.commit, lsu.current
        word_shift, max_words = _log2(self.port_bits // 8), self._max_words
        memory_rows = 4 * t  # (tld.bt's; the others move at most t)
        req_row = Signal(range(memory_rows + 1), name="lsu_req_row")
        req_word = Signal(range(max_words), name="lsu_req_word")
        req_addr = Signal(32, name="lsu_req_addr")
        resp_row = Signal(range(memory_rows), name="lsu_resp_row")
        resp_word = Signal(range(max_words), name="lsu_resp_word")
        resp_addr = Signal(32, name="lsu_resp_addr")
        requesting = Signal(name="lsu_load_request")  # a request of the running load
        transposed = lsu.uop.transposed
        load_done = Signal(name="lsu_load_done")  # the load writes its tile: its end
        req_words = self._words_of(m, req_addr, lsu.row_span, "lsu_req_words")
        # the port words of the row the responses fill, a register set with its address
        # (from the head's as the load starts, from the next row's as one completes):
        # worked out from the address and the span as each response came, it sat in
        # front of every byte of the row buffer (the TDIM 4 proxy's routed path)
        resp_words = Signal(range(max_words + 1), name="lsu_resp_words")
        next_resp_addr = Signal(32, name="lsu_next_resp_addr")  # the next row's
        m.d.comb += next_resp_addr.eq(resp_addr + current.rs2)
        next_resp_words = self._words_of(m, next_resp_addr, lsu.row_span,
                                         "lsu_next_resp_words")

        # the memory's responses, registered: a block RAM's read data is late in the
        # cycle, too late to go on through the row's shift into the tiles (the SoC clock)
        resp_valid = Signal(name="lsu_resp_valid")
        resp_data = Signal(self.port_bits, name="lsu_resp_data")
        m.d.sync += [resp_valid.eq(mem.rvalid), resp_data.eq(mem.rdata)]
        span = [Signal(self.port_bits, name=f"lsu_span{j}") for j in range(max_words)]
        arrived = Signal(max_words * self.port_bits, name="lsu_arrived")
        m.d.comb += arrived.eq(Cat(*(Mux(resp_word == j, resp_data, span[j])
                                     for j in range(max_words))))
        new_row = Signal(8 * self.row_bytes, name="lsu_new_row")  # the row's bytes
        m.d.comb += new_row.eq((arrived >> (resp_addr[:word_shift] * 8))[:8 * self.row_bytes]
                               & lsu.row_bits)
        row_width = 8 * self.row_bytes
        buffer = lsu.buffer
        # a completed row waits a cycle in a register before it goes into the buffer:
        # from the response's word count through the row's shift into the buffer's
        # 2,048 enables was one cycle's path across the engine (the routed TDIM 8
        # engine's critical path); the tile is written a cycle later for it
        staged = Signal(name="lsu_row_staged")
        staged_row = Signal(row_width, name="lsu_staged_row")
        staged_index = Signal(range(memory_rows), name="lsu_staged_index")  # its row
        staged_last = Signal(name="lsu_staged_last")  # the load's last row
        m.d.sync += staged.eq(0)
        # the tile is written from the buffer (flip-flops) in the cycle after its last
        # row went in, not from that row's shift: the path into the tiles stays short
        # (trow0 >= trows: the load writes in the cycle after its take, as the buffer is
        # cleared: zeros)
        tile = Signal.like(buffer, name="lsu_load_tile")
        m.d.comb += [tile.eq(Cat(*(Mux(clearing, 0, buffer.word_select(row, row_width))
                                   for row, clearing in enumerate(lsu.clearing)))),
                     writes.lsu_index.eq(lsu.tile_index), writes.lsu_value.eq(tile)]
        with m.If(((lsu.state == LsuState.LOAD) & lsu.empty)
                  | (lsu.state == LsuState.LOAD_WRITE)):
            m.d.comb += [writes.lsu_write.eq(1),
                         commit.tile.valid.eq(1), commit.tile.reg.eq(lsu.tile_index),
                         commit.tile.data.eq(tile), load_done.eq(1)]
            lsu.finish(m)
        with m.If(lsu.state == LsuState.LOAD):
            m.d.comb += [requesting.eq(req_row < lsu.rows), mem.valid.eq(requesting),
                         mem.addr.eq(req_addr[word_shift:] + req_word)]
            with m.If(requesting & mem.ready):
                with m.If(req_word + 1 == req_words):
                    m.d.sync += [req_word.eq(0), req_row.eq(req_row + 1),
                                 req_addr.eq(req_addr + current.rs2)]
                with m.Else():
                    m.d.sync += req_word.eq(req_word + 1)
            with m.If(resp_valid):
                for j in range(max_words):
                    with m.If(resp_word == j):
                        m.d.sync += span[j].eq(resp_data)
                with m.If(resp_word + 1 == resp_words):  # the row is complete
                    lsu.report_row(m, resp_addr, new_row, write=0)
                    m.d.sync += [staged.eq(1), staged_row.eq(new_row),
                                 staged_index.eq(resp_row),
                                 staged_last.eq(resp_row == lsu.rows - 1),
                                 resp_word.eq(0), resp_row.eq(resp_row + 1),
                                 resp_addr.eq(next_resp_addr),
                                 resp_words.eq(next_resp_words)]
                with m.Else():
                    m.d.sync += resp_word.eq(resp_word + 1)
            with m.If(staged):  # the completed row goes into the buffer
                with m.If(transposed):  # byte j of the row is byte staged_index of row j
                    for j in range(t):
                        m.d.sync += buffer.word_select(j * self.row_bytes + staged_index,
                                                       8).eq(staged_row.word_select(j, 8))
                with m.Else():
                    m.d.sync += buffer.word_select(staged_index[:_log2(t)],
                                                   row_width).eq(staged_row)
                with m.If(staged_last):
                    m.d.comb += lsu.state_next.eq(LsuState.LOAD_WRITE)

        # the next load's first request, in the cycle it is taken (`Unit.take_early`:
        # the LSU idle or ending a load, never a store, whose end waits on the port)
        state = lsu.state
        port_free = ((state == LsuState.IDLE) | (state == LsuState.CSR)
                     | (state == LsuState.COMPLETE) | (state == LsuState.LOAD_WRITE)
                     | ((state == LsuState.LOAD) & ~requesting))
        early = Signal(name="lsu_early_request")
        head_words = self._words_of(m, head.rs1, colb - 1, "lsu_head_words")
        m.d.comb += [unit.free_early.eq((state == LsuState.IDLE) | load_done),
                     early.eq(unit.take_early & (head_uop.kind == Kind.LOAD) & port_free
                              & (lsu.head_first == 0) & ~head_uop.transposed
                              & ~head_uop.whole)]
        with m.If(early):
            m.d.comb += [mem.valid.eq(1), mem.write.eq(0), mem.addr.eq(head.rs1[word_shift:])]
        head_resp_words = self._words_of(m, lsu.start_addr, lsu.head_row_span,
                                         "lsu_head_resp_words")
        restart = [resp_row.eq(lsu.head_first), resp_word.eq(0), resp_addr.eq(lsu.start_addr),
                   resp_words.eq(head_resp_words)]
        one_requested = Signal(name="lsu_first_requested")
        m.d.comb += one_requested.eq(early & mem.ready)
        first_request = [  # the request side starts at row trow0, or after the first word
            req_row.eq(Mux(one_requested & (head_words == 1), 1, lsu.head_first)),
            req_addr.eq(Mux(one_requested & (head_words == 1), head.rs1 + head.rs2,
                            lsu.start_addr)),
            req_word.eq(Mux(one_requested & (head_words != 1), 1, 0)),
        ]
        return restart, first_request

    def _tile_stores(self, m: Module, lsu: "_Lsu", csrs: dict, head, head_uop, take
                     ) -> tuple[list, Signal]:
        """tst.w/tst.b: the tile is copied into the LSU's buffer as the store starts (on
        the tile read port; a tile a load writes from the buffer in that cycle is kept
        there). Rows from trow0 on are fed, one a
        cycle while there is room, into the *row register* (`_StoreRow`): tst.w's
        straight from the buffer, tst.b's through the requantizer's pipeline; each is
        written from there, one port word a cycle with byte enables, and reported when
        its last word is written. The register cuts the path from the buffer through
        the requantizer and the shifter into the RAM (the SoC clock).

        Each row travels with its address, its instruction's order and whether it is
        that instruction's last (`_row_tag`), so the feed and the write are decoupled:
        once a store has fed its last row (DRAIN), the next store of the same kind
        starts feeding behind it, and back-to-back tst.b pay the requantizer's pipeline
        fill once, not per store. Nothing else starts until the rows are out: the
        CSRs that shape a row stay fixed while rows are in flight, and a load never
        passes a store. With no row (trow0 >= trows) the store ends at once. A tst.b
        that saturated sets tqsat at its end, reported when that changes tqsat (the
        interpreter records it so). `take`: the unit takes the queue's head this
        cycle. Returns the statements that start a store, and
        whether the unit may take the queue's head, a store, this cycle as the
        running store's feed ends."""
        t, mem, commit, current, uop = (self.tdim, self._lsu_port, lsu.commit, lsu.current,
                                        lsu.uop)
        port_bytes = self.port_bits // 8
        word_shift, max_words = _log2(port_bytes), self._max_words
        m.submodules.requantizer = requantizer = Requantizer(t)
        latency = Requantizer.LATENCY
        tag_layout = _row_tag(len(current.order))
        out = _StoreRow(self.row_bytes, max_words, self.port_bits, len(current.order))
        # the feed: the next row into the pipeline, its address
        feed_row = Signal(range(t + 1), name="lsu_feed_row")
        feed_addr = Signal(32, name="lsu_feed_addr")
        feeding = Signal(name="lsu_feeding")
        # whether rows are left to feed and the next is the last (feed_row < rows,
        # feed_row == rows - 1): flip-flops, set as the store starts and as each row
        # goes; compared as each row went, they sat in front of the next store's start
        feed_more = Signal(name="lsu_feed_more")
        feed_final = Signal(name="lsu_feed_final")
        feed_tag = Signal(tag_layout, name="lsu_feed_tag")
        in_flight = Signal(latency, name="lsu_requant_valid")  # tst.b rows in the pipe
        tags = [Signal(tag_layout, name=f"lsu_requant_tag{i}") for i in range(latency)]
        # the row being written: its word
        word = Signal(range(max_words), name="lsu_store_word")
        words = out.word_count
        row_done = Signal(name="lsu_row_written")  # its last word, this cycle
        advance = Signal(name="lsu_store_advance")  # the pipeline moves (room ahead)
        saturated = Signal(name="lsu_saturated")  # an earlier row of this tst.b clamped
        tqsat = csrs["tqsat"]
        storing = lsu.state == LsuState.STORE
        # the fed row waits in a register before the requantizer and the row register:
        # the buffer's row select, whose index fans out over its 2,048 bits at TDIM 8,
        # ran on into the requantizer's multipliers and the row register's shifter
        # (the routed engine's critical path)
        fed = Signal(name="lsu_fed")
        fed_row = Signal(32 * t, name="lsu_fed_row")
        fed_tag = Signal(tag_layout, name="lsu_fed_tag")
        # (row 0 goes in the cycle the tile is copied, from the copy's source: a store
        # from row 0, or right behind another, loses no cycle to the copy)
        # Each element of it selected by flip-flops of its own, copies set a cycle
        # ahead (`replica`): `feed_row`'s bits and `copying` each reached 500-1,050
        # multiplexer inputs across the buffer's 2,048 bits at TDIM 8
        source_row = Signal(32 * t, name="lsu_source_row")
        row_bits = _log2(t)
        feed_row_next = Signal.like(feed_row, name="lsu_feed_row_next")
        picks = registered_copies(m, feed_row_next[:row_bits], t, "lsu_feed_row_pick")
        from_copy = registered_copies(m, lsu.copy_next, t, "lsu_feed_from_copy")
        for j in range(t):
            rows = Cat(*(lsu.buffer.word_select(r * t + j, 32) for r in range(t)))
            m.d.comb += source_row.word_select(j, 32).eq(
                Mux(from_copy[j], lsu.read_tile.word_select(j, 32),
                    rows.word_select(picks[j], 32)))
        # Whether the pipeline moves, also as flip-flops set a cycle ahead, a copy for
        # each element of the fed row, of the requantizer and of the row register
        # (`replica`): worked out in the cycle from the row register and the memory's
        # `ready`, `advance` was one net to the 3,078 enables of those registers at
        # TDIM 8. `advance` itself still moves the narrow rest (tags, valid bits).
        incoming_valid = Mux(uop.full_rows, fed, in_flight[-1])
        incoming_tag = data.View(tag_layout, Mux(uop.full_rows, fed_tag.as_value(),
                                                 tags[-1].as_value()))
        # (the word written next: the row's next as one is written, from 0 after its last)
        word_next = Mux(out.valid & mem.ready, Mux(word + 1 == words, 0, word + 1), word)
        m.d.sync += word.eq(word_next)
        incoming_words = out.count_of(incoming_tag, lsu.row_span)
        words_next = Mux(advance, incoming_words, words)
        advance_next = ~Mux(advance, incoming_valid, out.valid) | (
            ~self._skid_next & (word_next + 1 == words_next))
        takes = {name: registered_copies(m, advance_next, t, f"lsu_{name}_advance", init=1)
                 for name in ("fed", "requant", "out")}
        m.d.comb += [requantizer.row.eq(fed_row), requantizer.advance.eq(Cat(*takes["requant"])),
                     requantizer.multiplier.eq(csrs["tqmul"]),
                     requantizer.shift.eq(csrs["tqshift"]),
                     requantizer.zero_point.eq(csrs["tqzp"]),
                     requantizer.rounding.eq(csrs["tqrm"]),
                     requantizer.clamp_min.eq(csrs["tqmin"]),
                     requantizer.clamp_max.eq(csrs["tqmax"]),
                     feeding.eq(storing & feed_more & (~lsu.copying | (lsu.first == 0))),
                     feed_tag.addr.eq(feed_addr), feed_tag.order.eq(current.order),
                     feed_tag.last.eq(feed_final),
                     advance.eq(~out.valid | row_done)]
        stored_elements = Cat(*(lsu.row_bytes > j for j in range(t)))  # tst.b's bytes
        # (the next row: a store's first as it is taken, the one after as one is fed)
        m.d.comb += feed_row_next.eq(Mux(take, lsu.head_first,
                                         Mux(advance & feeding, feed_row + 1, feed_row)))
        m.d.sync += feed_row.eq(feed_row_next)
        for j, take_row in enumerate(takes["fed"]):
            with m.If(take_row):
                m.d.sync += fed_row.word_select(j, 32).eq(source_row.word_select(j, 32))
        out.load_data(m, Mux(uop.full_rows, fed_row, requantizer.result), incoming_tag,
                      takes["out"])
        with m.If(advance):
            m.d.sync += [fed.eq(feeding), fed_tag.eq(feed_tag),
                         in_flight.eq(Cat(fed & ~uop.full_rows, in_flight)),
                         Cat(*tags).eq(Cat(fed_tag, *tags[:-1]))]
            with m.If(feeding):
                m.d.sync += [feed_addr.eq(feed_addr + current.rs2),
                             feed_more.eq(~feed_final), feed_final.eq(feed_row + 2 == lsu.rows)]
                with m.If(feed_tag.last):
                    m.d.comb += lsu.state_next.eq(LsuState.DRAIN)
            out.load(m, incoming_valid, incoming_tag, incoming_words,
                     ~uop.full_rows & (requantizer.saturated & stored_elements).any(),
                     lsu.row_mask)

        with m.If(storing & lsu.empty):  # (never behind a draining store: the same
            lsu.finish(m)                # CSRs made that one's rows, so it has rows)
        with m.If(out.valid):
            m.d.comb += [mem.valid.eq(1), mem.write.eq(1),
                         mem.addr.eq(out.tag.addr[word_shift:] + word),
                         mem.wdata.eq(out.word(word)),
                         mem.mask.eq(out.enables.word_select(word, port_bytes)),
                         commit.order.eq(out.tag.order)]
            with m.If(mem.ready):
                with m.If(word + 1 == words):  # the row is written
                    lsu.report_row(m, out.tag.addr, out.data, write=1)
                    m.d.comb += row_done.eq(1)
                    m.d.sync += saturated.eq(saturated | out.clamped)
                    with m.If(out.tag.last):  # its store's last row
                        m.d.sync += saturated.eq(0)
                        with m.If((saturated | out.clamped) & ~tqsat):
                            m.d.comb += [commit.csr.valid.eq(1), commit.csr.csr.eq(CSR_TQSAT),
                                         commit.csr.value.eq(1)]
                            m.d.sync += tqsat.eq(1)
                        with m.If((lsu.state == LsuState.DRAIN) & ~fed & ~in_flight.any()):
                            lsu.finish(m)  # the last row out: the unit is free
                        with m.Else():  # the next store's rows follow
                            m.d.comb += commit.last.eq(1)
        # the next store may start as this one's feed ends (its last row fed, or out)
        next_store = Signal(name="lsu_next_store")
        m.d.comb += next_store.eq(
            (head_uop.kind == Kind.STORE) & (head_uop.full_rows == uop.full_rows)
            & (head_uop.whole == uop.whole)  # (the rows in flight keep their size)
            & ((lsu.state == LsuState.DRAIN) | (feeding & feed_tag.last & advance)))
        start = [feed_addr.eq(lsu.start_addr),
                 feed_more.eq(lsu.head_first != lsu.head_rows),
                 feed_final.eq(lsu.head_first + 1 == lsu.head_rows)]
        return start, next_store

    def _csr_instructions(self, m: Module, lsu: "_Lsu", csrs: dict, counters: dict) -> None:
        """A csr instruction on a tensor CSR: read, write and report it (CSR state), then
        hand the old value to the core (COMPLETE)."""
        result = Signal(32, name="lsu_csr_result")
        complete = self.pipe.complete
        m.d.comb += [complete.payload.order.eq(lsu.current.order),
                     complete.payload.rd.eq(lsu.current.insn[7:12]),
                     complete.payload.value.eq(result)]
        with m.If(lsu.state == LsuState.CSR):
            self._csr(m, lsu.current, lsu.uop, lsu.commit, result, csrs, counters)
            m.d.comb += lsu.state_next.eq(LsuState.COMPLETE)
        with m.If(lsu.state == LsuState.COMPLETE):
            m.d.comb += complete.valid.eq(1)
            with m.If(complete.ready):
                m.d.comb += lsu.finishing.eq(1)
                m.d.comb += lsu.state_next.eq(LsuState.IDLE)

    def _csr(self, m: Module, current, uop, commit, result, csrs: dict,
             counters: dict) -> None:
        """A csr instruction on a tensor CSR: its old value to `result` (for the core),
        the new value (WARL bits kept) written and reported as the CSR then holds it.
        tdim and tlenb are only read: a write to them is illegal, which the interpreter
        traps and this engine (dispatched at retirement) cannot."""
        insn = current.insn
        number, rs1_field = insn[20:32], insn[15:20]
        old = Signal(32, name="csr_old")
        with m.Switch(number):
            for csr, value in ((*((CSR_NUMBERS[name], held) for name, held in csrs.items()),
                                (CSR_TDIM, self.tdim), (CSR_TLENB, self.tileb),
                                *counters.items())):
                with m.Case(csr):
                    m.d.comb += old.eq(value)
        source = Mux(uop.immediate, rs1_field, current.rs1)
        new = csr_result(m, uop.sub, old, source, "csr_new")
        writes = Signal(name="csr_writes")
        m.d.comb += writes.eq(csr_writes(uop.sub, rs1_field))
        held = Signal(32, name="csr_held")
        for name, csr_number in CSR_NUMBERS.items():
            width = WARL_BITS[csr_number]
            kept = new[:width].as_signed() if csr_number in SIGN_EXTENDED else new[:width]
            with m.If(number == csr_number):
                m.d.comb += held.eq(kept)
                with m.If(writes):
                    m.d.sync += csrs[name].eq(new[:width])
                    self._geometry.follow(m, csr_number, new[:width])
                    m.d.comb += [commit.csr.valid.eq(1), commit.csr.csr.eq(number),
                                 commit.csr.value.eq(held)]
        m.d.comb += [commit.valid.eq(1), commit.last.eq(1)]
        m.d.sync += result.eq(old)


ENGINE_CLASSES["tensor"] = TensorEngine
