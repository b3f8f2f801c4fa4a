"""Precise traps for tile loads and stores, decided before the engine sees them.

The interpreter traps a tile load or store when one of the rows it moves (trow0 to
trows - 1; tld.bt's memory rows 0 to tcolb - 1, of trows bytes; tlr/tsr: all TDIM) is
not element-aligned (tld.w, tst.w, tlr, tsr: 4 bytes) or not wholly inside RAM,
naming the first such row: a misaligned cause if that row is misaligned, else an
access fault (`oxcore.isa.tensor.unit`, ``_row_offsets``). The engine receives
instructions after they retire, too late to trap; this unit decides it on the engine
interface's ``check`` port, so that such an instruction retires as a trap record
instead of being dispatched, with no effect, as in the interpreter:

- **in MEM** (kept as the instruction moves on to WB): every row's offset into RAM,
  ``(rs1 - mem_base + i * rs2) mod 2**32`` for rows i < 4*TDIM (tld.bt's; the others
  use the first TDIM), each a few adders deep (a row's multiple of the stride by
  shifts and adds: `times`; row q*TDIM + r is block q's first row plus r strides, the
  r strides shared by the four blocks), reduced to what WB needs (misaligned, past the
  end, bytes left before it), and the kind of access. A whole tile (tlr, tsr: rows
  4*TDIM bytes apart) is one block of TDIM*4*TDIM bytes, so its verdict is row 0's
  with that size, decided here: the trap record names the cause, which is that of
  the first bad row either way (every row is misaligned if row 0 is; else the first
  outside row is an access fault);
- **in WB**: which rows move and how many of their bytes (trow0, trows, tcolb) as they
  stand once every older instruction has been dispatched (the unit's own `Geometry`,
  written as csr instructions on those CSRs are *dispatched*: the load/store unit's
  copy changes only as it executes them, later; which rows move is kept as a bit a
  row, written with the CSRs), the rows misaligned or reaching past RAM, and the first
  of them, into registers in an access's first cycle there (``hold`` keeps it
  waiting): the verdict reaches the core's wait from flip-flops, not through these
  compares (the SoC clock: WB's wait decides the whole pipeline's advance). Nothing
  else is dispatched while the access waits, so the geometry cannot change under it.
  An access whose every row it could move is aligned and has a whole row's bytes of
  RAM left (``safe``, decided in MEM: no geometry can make it trap) does not wait; nor
  does a whole tile, whose verdict is MEM's.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.engine import CHECK, FAULT, csr_result, csr_writes
from hw.oxcore.tensor.decode import UOP, Kind, TensorDecoder
from hw.oxcore.tensor.geometry import Geometry, reset_value
from oxcore.isa import Isa
from oxcore.isa.ext.xoxtensor import CSR_TCOLB, CSR_TROW0, CSR_TROWS, WARL_BITS
from oxcore.retire import TrapCause

# A dispatched instruction (the engine's ``dispatch`` handshake, fired) and its
# micro-operation: the unit follows the csr instructions on the geometry CSRs.
DISPATCHED = data.StructLayout({"valid": 1, "uop": UOP, "insn": 32, "rs1": 32})
GEOMETRY_CSRS = {"trows": CSR_TROWS, "tcolb": CSR_TCOLB, "trow0": CSR_TROW0}
NEAR_END = 127  # bytes left to the end of RAM that a row's check tells apart (rows: <= 64)
ROW_BLOCKS = 4  # tld.bt's memory rows: 4*TDIM (a byte column each)


def signed_digits(factor: int) -> list[tuple[int, int]]:
    """`factor` as canonical signed digits, (+1 or -1, power of two) pairs: the fewest
    shifted terms whose sum is `factor` (7 = 8 - 1)."""
    digits, shift = [], 0
    while factor:
        if factor & 1:
            digit = 2 - (factor & 3)
            digits.append((digit, shift))
            factor -= digit
        factor >>= 1
        shift += 1
    return digits


def times(value, factor: int):
    """`value` * `factor` modulo 2**32, from shifts, adds and subtracts (no multiplier:
    Yosys would map a multiply to DSP blocks the MAC array needs)."""
    total = Const(0, 32)
    for digit, shift in signed_digits(factor):
        term = (value << shift)[:32]
        total = (total + term)[:32] if digit > 0 else (total - term)[:32]
    return total


def _row_offset(start, stride, row: int):
    """Row `row`'s address, from that of row 0. A function of its own for fault
    injection."""
    return (start + times(stride, row))[:32]


class TileAccessCheck(wiring.Component):
    """See the module text. ``check`` and ``fault`` are the engine's ports of those names
    (`hw.oxcore.engine.EngineSignature`); ``dispatched`` its dispatch handshake."""

    check: In(CHECK)
    dispatched: In(DISPATCHED)
    fault: Out(FAULT)
    hold: Out(1)

    def __init__(self, isa: Isa, tdim: int, mem_base: int, mem_size: int) -> None:
        self.isa, self.tdim = isa, tdim
        self.mem_base, self.mem_size = mem_base, mem_size
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()
        geometry = self._follow_dispatch(m)
        access = self._in_mem(m)
        self._in_wb(m, geometry, access)
        return m

    def _follow_dispatch(self, m: Module) -> Geometry:
        """trows, tcolb and trow0 as the dispatched csr instructions leave them."""
        insn, source_field = self.dispatched.insn, self.dispatched.insn[15:20]
        held = {name: Signal(WARL_BITS[number], name=f"check_{name}", init=reset_value(number))
                for name, number in GEOMETRY_CSRS.items()}
        geometry = Geometry(self.tdim, 4 * self.tdim, held["trow0"], prefix="check",
                            moved_bits=True)
        uop, number = self.dispatched.uop, insn[20:32]
        source = Mux(uop.immediate, source_field, self.dispatched.rs1)
        old = Signal(32, name="check_csr_old")
        for name, csr in GEOMETRY_CSRS.items():
            with m.If(number == csr):
                m.d.comb += old.eq(held[name])
        new = csr_result(m, uop.sub, old, source, "check_csr_new")
        with m.If(self.dispatched.valid & (uop.kind == Kind.CSR)
                  & csr_writes(uop.sub, source_field)):
            for name, csr in GEOMETRY_CSRS.items():
                with m.If(number == csr):
                    value = new[:WARL_BITS[csr]]
                    m.d.sync += held[name].eq(value)
                    geometry.follow(m, csr, value)
        return geometry

    def _in_mem(self, m: Module) -> dict:
        """MEM's instruction, as much as does not depend on the geometry, into registers
        as it moves on to WB: whether it is a tile access, a store, of full rows, and
        for each row whether it is misaligned (int32 elements), starts past RAM, and how
        many bytes of RAM it has left (at most `NEAR_END`: more than any row needs), so
        that WB's verdict is a few small compares (the SoC clock: it decides WB's wait,
        which decides the pipeline's advance)."""
        check = self.check
        m.submodules.mem_decoder = decoder = TensorDecoder(self.isa)
        m.d.comb += decoder.insn.eq(check.insn)
        uop = decoder.uop
        access = check.valid & ((uop.kind == Kind.LOAD) | (uop.kind == Kind.STORE))
        kind = {"access": access & ~uop.whole, "whole": access & uop.whole,
                "store": uop.kind == Kind.STORE, "full_rows": uop.full_rows,
                "transposed": uop.transposed}
        kept = {name: Signal(name=f"check_{name}") for name in kind}
        # Rows' addresses, not offsets into RAM: RAM is aligned to its size, so an
        # address's low bits are its offset and its high bits name the RAM or not; every
        # test below is a compare with a constant, after the rows' own adds (the SoC
        # clock: subtracting the base and the offset from the size were two carry
        # chains more on this path)
        size_bits = self.mem_size.bit_length() - 1
        ram = self.mem_base >> size_bits  # (the high bits of every address in RAM)
        rows, fine = [], []  # (fine: a row no geometry can make bad)
        block_starts = [check.rs1] + [(check.rs1 + times(check.rs2, block * self.tdim))[:32]
                                      for block in range(1, ROW_BLOCKS)]
        for row in range(ROW_BLOCKS * self.tdim):
            address = Signal(32, name=f"check_address{row}")
            block, within = divmod(row, self.tdim)
            m.d.comb += address.eq(_row_offset(block_starts[block], check.rs2, within))
            offset = address[:size_bits]  # into RAM, if `past` is clear
            kept_row = {"misaligned": Signal(name=f"check_misaligned{row}"),
                        "past": Signal(name=f"check_past{row}"),
                        "left": Signal(range(NEAR_END + 1), name=f"check_near{row}")}
            misaligned = uop.word & address[:2].any() if not block else Const(0)
            past = address[size_bits:] != ram

            def has_left(count: int):  # at least `count` bytes of RAM from `offset`
                return offset <= self.mem_size - count
            near = Signal(range(NEAR_END + 1), name=f"check_left{row}")  # bytes to the end,
            # when at most NEAR_END: -offset in as many bits (NEAR_END + 1 a power of two)
            m.d.comb += near.eq(-offset[:(NEAR_END + 1).bit_length() - 1])
            with m.If(check.advance):  # (rows past TDIM are tld.bt's: bytes, never misaligned)
                m.d.sync += [kept_row["misaligned"].eq(misaligned), kept_row["past"].eq(past),
                             kept_row["left"].eq(Mux(has_left(NEAR_END + 1), NEAR_END, near))]
            fine.append(~misaligned & ~past & has_left(4 * self.tdim))  # (a row's most bytes)
            if row == 0:  # a whole tile: one block of TDIM rows from here
                whole_bytes = self.tdim * 4 * self.tdim
                kept["whole_bad"] = Signal(name="check_whole_bad")
                with m.If(check.advance):
                    m.d.sync += kept["whole_bad"].eq(address[:2].any() | past
                                                     | ~has_left(whole_bytes))
            rows.append(kept_row)
        # every row the access could move is fine whatever trow0, trows and tcolb say
        # (tld.bt's memory rows: all of them; the others' first TDIM): WB need not wait
        # for its verdict (`_in_wb`)
        t = self.tdim
        safe = Cat(*fine[:t]).all() & (~uop.transposed | Cat(*fine[t:]).all())
        kept["safe"] = Signal(name="check_safe")
        with m.If(check.advance):
            m.d.sync += [kept[name].eq(value) for name, value in kind.items()]
            m.d.sync += kept["safe"].eq(safe)
        return {**kept, "rows": rows}

    def _in_wb(self, m: Module, geometry: Geometry, access: dict) -> None:
        """WB's verdict: the first moved row that is misaligned or not inside RAM."""
        colb, transposed = geometry.colb, access["transposed"]
        row_bytes = Signal(range(4 * self.tdim + 1), name="check_row_bytes")
        m.d.comb += row_bytes.eq(Mux(transposed, geometry.rows,  # tld.bt: trows bytes
                                     Mux(access["full_rows"], colb,
                                         geometry.narrow_bytes)))  # tst.b
        bad = []
        for row, kept in enumerate(access["rows"]):
            moved = Mux(transposed, geometry.columns_moved[row],
                        geometry.rows_moved[row] if row < self.tdim else 0)
            outside = kept["past"] | (kept["left"] < row_bytes)
            bad.append(moved & (kept["misaligned"] | outside))
        bad_rows = Signal(len(bad), name="check_bad_rows")
        m.d.comb += bad_rows.eq(Cat(*bad))
        # the first bad row: bad, with none before it
        first_misaligned = Signal(name="check_first_misaligned")
        rows = access["rows"]
        m.d.comb += first_misaligned.eq(Cat(*(
            bad_rows[row] & ~bad_rows[:row].any() & rows[row]["misaligned"] if row else
            bad_rows[0] & rows[0]["misaligned"] for row in range(len(bad)))).any())
        store = access["store"]

        def cause(misaligned):
            return Mux(misaligned,
                       Mux(store, TrapCause.STORE_MISALIGNED, TrapCause.LOAD_MISALIGNED),
                       Mux(store, TrapCause.STORE_ACCESS_FAULT, TrapCause.LOAD_ACCESS_FAULT))
        # a whole tile's verdict is MEM's (`_in_mem`); the others' are registered in
        # their first cycle in WB, which they wait (`hold`) unless every row they could
        # move is fine (`safe`, MEM's too)
        whole_bad = access["whole"] & access["whole_bad"]
        whole_cause = Signal.like(self.fault.cause, name="check_whole_cause")
        m.d.comb += whole_cause.eq(cause(rows[0]["misaligned"]))
        # the rows' verdict, registered in the access's first cycle in WB (`judged` then)
        judged = Signal(name="check_judged")
        verdict = Signal(FAULT, name="check_verdict")
        with m.If(self.check.advance):  # (a new instruction in WB)
            m.d.sync += judged.eq(0)
        with m.Else():
            m.d.sync += [judged.eq(1), verdict.valid.eq(access["access"] & bad_rows.any()),
                         verdict.cause.eq(cause(first_misaligned))]
        m.d.comb += [self.hold.eq(access["access"] & ~access["safe"] & ~judged),
                     self.fault.valid.eq(whole_bad | (judged & verdict.valid)),
                     self.fault.cause.eq(Mux(access["whole"], whole_cause, verdict.cause))]
