"""The reduction tree: one beat's active elements folded into one SEW-bit value and into
the running value (vredsum, vredand, vredor, vredxor, vredminu, vredmin, vredmaxu,
vredmax; RVV spec 14.1), and the widening sums (vwredsumu, vwredsum; spec 14.2).

Inactive elements are replaced by the operation's identity (0 for sum, or, xor and
maxu; all ones for and and minu; the largest signed value for min, the smallest for
max), then the beat is halved until one element is left: its upper half folded into
its lower half, element by element, by one segmented (SIMD) fold at each level (64,
32, 16, 8 bits for a 128-bit beat; SEW 32 stops at 32 bits, SEW 16 at 16). All eight
operations are associative and commutative on integers modulo 2^SEW, so the tree
gives the interpreter's left-to-right result; it has log2 of a beat's elements levels
where a chain would have one per element. A widening sum first adds each pair of
neighbouring SEW-bit elements, extended, into one 2*SEW-bit element (exact: SEW+1 bits
fit), and is then a sum at 2*SEW.

The tree is pipelined: a register on its inputs (the beat and its active bytes, which
the sequencer works out late in the cycle), one after the fill (and the widening pairs'
add), then one before every ``folds_per_stage``-th level (a level is one segmented add
and a select; five in series for a 128-bit beat ran at 24.6 MHz on the ECP5,
docs/fpga.md "Timing one unit"), the fold into the running value last (the one loop:
one fold a cycle). Latency 4 at LANES 1 and 2, 5 at LANES 4 and 8: the arithmetic
sequencer's back end reads the result LANE_STAGES (4) cycles after the destination
beat, so the destination pass waits for none of it. A beat enters every
cycle; ``stages`` says which stages hold one, so that the sequencer reads the result
only once its last beat is in.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.vector.decode import REDUCTIONS
from hw.oxcore.vector.simd import (by_size, element_flag, ends, exact_tops, ones, segmented_add,
                                   starts)

SUM, AND, OR, XOR, MINU, MIN, MAXU, MAX = range(8)
assert REDUCTIONS[MAX] == "vredmax" and REDUCTIONS[SUM] == "vredsum"


def _identity_byte(sub, top_byte):
    """The identity of reduction `sub`, the byte of an element at `top_byte` (its
    most significant) or below."""
    return Mux((sub == AND) | (sub == MINU), 0xFF,
               Mux(sub == MIN, Mux(top_byte, 0x7F, 0xFF),
                   Mux(sub == MAX, Mux(top_byte, 0x80, 0x00), 0x00)))


def fold(m: Module, name: str, sub, x, y, size):
    """`x` op `y` element by element (elements of size code `size`; the word may be
    narrower than one, and then only its low bits matter) for reduction `sub`: one
    segmented adder computes x + y for the sum and x - y for min/max (its exact sign:
    x < y), whose element picks x or y."""
    chunks = len(x) // 8
    compares = sub[2]  # minu, min, maxu, max
    signed = compares & sub[0]
    larger = compares & sub[1]
    y_in = y ^ ones(compares, len(y))
    total, carry_out = segmented_add(m, f"{name}_total", x, y_in, 8, starts(size, chunks),
                                     [compares] * chunks)
    less = element_flag(exact_tops(x, y_in, carry_out, signed, compares), size)  # x < y
    picked = Cat(*(Mux(less[j] ^ larger, x[8 * j:8 * j + 8], y[8 * j:8 * j + 8])
                   for j in range(chunks)))
    result = Signal(len(x), name=name)
    # (the compares' pick, which waits for the carry chain's end, through one select;
    # the bitwise results, ready at once, through the others)
    m.d.comb += result.eq(Mux(compares, picked,
                              Mux(sub == SUM, total,
                                  Mux(sub == AND, x & y,
                                      Mux(sub == OR, x | y, x ^ y)))))
    return result


class ReductionTree(wiring.Component):
    """Each cycle with ``valid``, one beat (its ``active`` bytes) enters; ``latency``
    cycles later it is folded into ``result`` (SEW bits, or 2*SEW with ``widen``,
    zero-extended), from ``start`` (vs1[0]) for the beat marked ``first`` (an
    instruction's first), else from ``result``; with ``widen``, ``sub`` 1
    sign-extends, 0 zero-extends. ``stages``: which stage holds a beat not yet in
    ``result`` (stage 0 first: a beat there is in ``result`` latency - 1 cycles
    later). A beat carries its operation down the
    stages, so another instruction's beats may follow it at once."""

    def __init__(self, width: int, folds_per_stage: int = 2) -> None:
        self.width = width  # a beat's bits: LANES x 32
        self.folds_per_stage = folds_per_stage
        # the levels in order: the fill (with the widening pairs, an add of its own), a
        # fold per halving down to 8 bits, the fold into the running value; a register
        # after the fill, then before every `folds_per_stage`-th level (the fill, the
        # pairs and a fold in one stage was the engine's deepest path after the
        # verdicts: 18 levels, where two folds are 16)
        self.halves = [width >> k for k in range(1, (width // 8).bit_length())]
        self.registered = [k % folds_per_stage == 0
                           for k in range(len(self.halves) + 1)]
        # cycles from a beat to `result` (the input register's, the stages', the fold's)
        self.latency = 2 + sum(self.registered)
        super().__init__({"valid": In(1), "first": In(1), "beat": In(width),
                          "active": In(width // 8), "sub": In(3), "sew": In(2),
                          "widen": In(1), "start": In(32), "result": Out(32),
                          "stages": Out(self.latency - 1)})

    def elaborate(self, platform) -> Module:
        m = Module()
        names = ("beat", "active", "valid", "first", "start", "sub", "sew", "widen")
        inputs = [Signal.like(getattr(self, n), name=f"input_{n}") for n in names]
        m.d.sync += [reg.eq(getattr(self, n)) for reg, n in zip(inputs, names)]
        beat, active, valid, first, start, sub, sew, widen = inputs
        stage_valids = [valid]
        size = Signal(2, name="element_size")  # the folds' elements: SEW or 2*SEW
        op = Signal(3, name="operation")
        m.d.comb += [size.eq(sew + widen), op.eq(Mux(widen, SUM, sub))]
        chunks = self.width // 8
        top_bytes = ends(sew, chunks)
        value = Signal(self.width, name="filled")
        m.d.comb += value.eq(Cat(*(Mux(active[j], beat[8 * j:8 * j + 8],
                                       _identity_byte(op, top_bytes[j]))
                                   for j in range(chunks))))
        value = self._pairs(m, value, sub, sew, widen)
        for half, registered in zip(self.halves + [None], self.registered):
            if registered:
                value, valid, first, start, op, size = self._register(
                    m, len(stage_valids), value, valid, first, start, op, size)
                stage_valids.append(valid)
            if half is not None:
                value = self._level(m, value, half, size, op)
        accumulated = Signal(32, name="accumulated")
        folded = fold(m, "with_start", op, Mux(first, start, accumulated), value[:32], size)
        with m.If(valid):
            m.d.sync += accumulated.eq(folded & by_size(size, 0xFF, 0xFFFF, 0xFFFFFFFF))
        m.d.comb += [self.result.eq(accumulated), self.stages.eq(Cat(*stage_valids))]
        return m

    def _pairs(self, m: Module, value, sub, sew, widen):
        """Widening: each 2*SEW-bit slot's two SEW-bit elements, extended, added (one
        segmented add at 2*SEW); otherwise `value` itself."""
        chunks = self.width // 8
        signed = sub[0]
        halves = {}
        for code, bits in ((0, 8), (1, 16)):
            lows, highs = [], []
            for slot in range(self.width // (2 * bits)):
                low = value[2 * bits * slot:2 * bits * slot + bits]
                high = value[2 * bits * slot + bits:2 * bits * (slot + 1)]
                lows.append(Cat(low, ones(signed & low[-1], bits)))
                highs.append(Cat(high, ones(signed & high[-1], bits)))
            halves[code] = (Cat(*lows), Cat(*highs))
        x = Mux(sew == 0, halves[0][0], halves[1][0])
        y = Mux(sew == 0, halves[0][1], halves[1][1])
        total, _ = segmented_add(m, "pair_sums", x, y, 8, starts(sew + 1, chunks),
                                 [0] * chunks)
        paired = Signal(self.width, name="paired")
        m.d.comb += paired.eq(Mux(widen, total, value))
        return paired

    @staticmethod
    def _level(m: Module, value, half: int, size, op):
        """One level: the upper half folded into the lower. Above 32 bits every element
        is narrower than the half; below, an element as wide as the word is kept."""
        folded = fold(m, f"level{half}", op, value[:half], value[half:2 * half], size)
        if half >= 32:
            return folded
        keep = size > (0 if half == 8 else 1)  # the element is wider than `half`
        result = Signal(32, name=f"level{half}_kept")
        m.d.comb += result.eq(Mux(keep, value[:32], folded))
        return result

    @staticmethod
    def _register(m: Module, index: int, *carried):
        """A pipeline register: the partial value, its beat's valid and first flags, the
        start value that comes with a first beat, the operation and the element size
        (so that beats of different instructions may follow each other)."""
        names = ("value", "valid", "first", "start", "operation", "element_size")
        staged = [Signal(len(s), name=f"stage{index}_{n}") for s, n in zip(carried, names)]
        m.d.sync += [reg.eq(s) for reg, s in zip(staged, carried)]
        return staged
