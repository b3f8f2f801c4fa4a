"""The tensor engine's MAC array: TDIM x TDIM int8 x int8 -> int32 multiply-accumulators.

Outer-product dataflow: each cycle (a *k-step*) the array takes one column of A (TDIM
bytes: byte k of every row of ms1) and one column of B^T (byte k of every row of ms2)
and adds their outer product to all TDIM^2 accumulators at once,
``acc[i][j] += a[i] * b[j]``. A tmma is 4*TDIM k-steps (operand rows are 4*TDIM
bytes); every MAC works every cycle. The first step of an instruction
starts from the destination tile (``base``) instead of the accumulators, so the next
tmma can start in the cycle after the previous one's last step, which wrote its tile:
back-to-back tmma keep the array busy without a second accumulator bank.
"""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


def accumulator_index(i: int, j: int, tdim: int) -> int:
    """Accumulator (i, j)'s place in a tile: row-major, as `TileWrite` lays tiles out
    (a function of its own so that a test can break it: fault injection)."""
    return i * tdim + j


class MacArray(wiring.Component):
    """TDIM^2 MACs and their accumulators (see the module docstring).

    Members
    -------
    step : ``In(tdim)``
        Do a k-step this cycle (the accumulators take ``result``): a bit a row of the
        array, all equal (copies of one register, `hw.oxcore.replica`, each near its
        row).
    first : ``In(tdim)``
        The instruction's first k-step: add to ``base`` instead of the accumulators
        (a bit a row, as ``step``).
    a_unsigned : ``In(1)``
        ``a``'s bytes are uint8 (tmmau), else int8.
    a : ``In(8 * tdim)``
        Column k of A: byte i is A[i][k].
    b : ``In(8 * tdim)``
        Column k of B^T (int8): byte j is ms2's row j, byte k.
    base : ``In(32 * tdim * tdim)``
        The destination tile's elements, row-major (the first step's starting values).
    result : ``Out(32 * tdim * tdim)``
        The accumulators after this step (row-major): the tile to write at the last step.
    """

    def __init__(self, tdim: int) -> None:
        self.tdim = tdim
        cells = tdim * tdim
        super().__init__({
            "step": In(tdim), "first": In(tdim), "a_unsigned": In(1),
            "a": In(8 * tdim), "b": In(8 * tdim),
            "base": In(32 * cells), "result": Out(32 * cells),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        t = self.tdim
        accumulators = Signal(32 * t * t)
        # Operands widened once: a as 9-bit signed (covers uint8 and int8), b as int8.
        a_values = []
        for i in range(t):
            byte = self.a[8 * i:8 * i + 8]
            value = Signal(signed(9), name=f"a{i}")
            m.d.comb += value.eq(Mux(self.a_unsigned, byte.as_unsigned(), byte.as_signed()))
            a_values.append(value)
        b_values = [self.b[8 * j:8 * j + 8].as_signed() for j in range(t)]
        for i in range(t):
            for j in range(t):
                cell = slice(32 * accumulator_index(i, j, t),
                             32 * accumulator_index(i, j, t) + 32)
                start = Mux(self.first[i], self.base[cell], accumulators[cell])
                m.d.comb += self.result[cell].eq(start + a_values[i] * b_values[j])
        row_width = 32 * t
        for i in range(t):
            with m.If(self.step[i]):
                m.d.sync += accumulators.word_select(i, row_width).eq(
                    self.result.word_select(i, row_width))
        return m

