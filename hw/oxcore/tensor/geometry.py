"""The access geometry the tensor CSRs trow0, trows and tcolb set, as tile loads and
stores use it (the interpreter's `oxcore.isa.tensor.state.TensorState.rows`,
``first_row`` and ``row_bytes_moved``).

Two places keep it: the load/store unit, as it executes csr instructions (its
`Geometry`), and the engine's precise traps (`access_check.TileAccessCheck`), as
instructions are dispatched (so that it is exact for the instruction in WB).
"""

from amaranth import Cat, Module, Mux, Signal

from oxcore.isa.ext.xoxtensor import CSR_TCOLB, CSR_TROW0, CSR_TROWS, RESET, WARL_BITS


def limit(value, full: int):
    """trows/tcolb as an access uses them: 0 or above `full` mean `full`."""
    return Mux((value == 0) | (value > full), full, value)


def first_row(row0, rows):
    """trow0 as an access uses it: at most trows (from there on, no row). A function of
    its own for fault injection."""
    return Mux(row0 > rows, rows, row0)


def reset_value(number: int) -> int:
    """A tensor CSR's reset value, in its WARL bits."""
    return RESET[number] & ((1 << WARL_BITS[number]) - 1)


class Geometry:
    """trows and tcolb as accesses use them (`limit`) and trow0 capped at trows, in
    registers of their own. They change only as a csr instruction writes those CSRs, so
    they are written then, from the new value (an access right after sees it), and
    what reads them starts from flip-flops, not from the CSRs through the limits'
    compares (the SoC clock)."""

    def __init__(self, tdim: int, row_bytes: int, trow0: Signal, prefix: str = "lsu",
                 moved_bits: bool = False) -> None:
        self.tdim, self.full_colb, self.trow0 = tdim, row_bytes, trow0
        rows, colb, row0 = (reset_value(n) for n in (CSR_TROWS, CSR_TCOLB, CSR_TROW0))
        rows = tdim if rows == 0 or rows > tdim else rows
        colb = row_bytes if colb == 0 or colb > row_bytes else colb
        first = min(row0, rows)
        self.rows = Signal(range(tdim + 1), name=f"{prefix}_rows", init=rows)
        self.colb = Signal(range(row_bytes + 1), name=f"{prefix}_colb", init=colb)
        self.first = Signal(range(tdim + 1), name=f"{prefix}_first_row", init=first)
        # (`moved_bits`) a bit a row: row i moves (first <= i < rows), and a bit a byte
        # column: column k moves (k < colb; tld.bt's memory row k): what a check reads
        # without compares
        self.moved_bits = moved_bits
        self.rows_moved = Signal(tdim, name=f"{prefix}_rows_moved",
                                 init=sum(1 << i for i in range(first, rows)))
        self.columns_moved = Signal(row_bytes, name=f"{prefix}_columns_moved",
                                    init=(1 << colb) - 1)
        # tst.b's bytes a row (a byte for each of tcolb's int32 elements)
        self.narrow_bytes = Signal(range(row_bytes // 4 + 1), name=f"{prefix}_narrow_bytes",
                                   init=(colb + 3) // 4)

    def _rows_moved(self, m: Module, first, rows) -> None:
        if self.moved_bits:
            m.d.sync += self.rows_moved.eq(Cat(*((first <= i) & (i < rows)
                                                 for i in range(self.tdim))))

    def follow(self, m: Module, number: int, value) -> None:
        """The csr instruction writes `value` (its WARL bits) to CSR `number`."""
        if number == CSR_TROWS:
            rows = limit(value, self.tdim)
            first = first_row(self.trow0, rows)
            m.d.sync += [self.rows.eq(rows), self.first.eq(first)]
            self._rows_moved(m, first, rows)
        elif number == CSR_TCOLB:
            colb = limit(value, self.full_colb)
            m.d.sync += [self.colb.eq(colb), self.narrow_bytes.eq((colb + 3) >> 2)]
            if self.moved_bits:
                m.d.sync += self.columns_moved.eq(Cat(*(k < colb
                                                        for k in range(self.full_colb))))
        elif number == CSR_TROW0:
            first = first_row(value, self.rows)
            m.d.sync += self.first.eq(first)
            self._rows_moved(m, first, self.rows)
