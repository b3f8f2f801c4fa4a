"""The reduction tree: one beat's active elements folded into one SEW-bit value and into
the running value (vredsum, vredand, vredor, vredxor, vredminu, vredmin, vredmaxu,
vredmax; RVV spec 14.1).

Inactive elements are replaced by the operation's identity (0 for sum, or, xor and
maxu; all ones for and and minu; the largest signed value for min, the smallest for
max), then the beat is halved until one element is left: its upper half folded into
its lower half, element by element, by one segmented (SIMD) fold at each level (64,
32, 16, 8 bits for a 128-bit beat; SEW 32 stops at 32 bits, SEW 16 at 16). All eight
operations are associative and commutative on integers modulo 2^SEW, so the tree
gives the interpreter's left-to-right result; it has log2 of a beat's elements levels
where a chain would have one per element.
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
    m.d.comb += result.eq(Mux(sub == SUM, total,
                              Mux(sub == AND, x & y,
                                  Mux(sub == OR, x | y,
                                      Mux(sub == XOR, x ^ y, picked)))))
    return result


class ReductionTree(wiring.Component):
    """``result`` = ``start`` op (the active elements of ``beat``), SEW bits
    (zero-extended), combinational."""

    def __init__(self, width: int) -> None:
        self.width = width  # a beat's bits: LANES x 32
        super().__init__({"beat": In(width), "active": In(width // 8), "sub": In(3),
                          "sew": In(2), "start": In(32), "result": Out(32)})

    def elaborate(self, platform) -> Module:
        m = Module()
        sew, sub = self.sew, self.sub
        top_bytes = ends(sew, self.width // 8)
        value = Signal(self.width, name="filled")
        m.d.comb += value.eq(Cat(*(Mux(self.active[j], self.beat[8 * j:8 * j + 8],
                                       _identity_byte(sub, top_bytes[j]))
                                   for j in range(self.width // 8))))
        by_width = {self.width: value}
        half = self.width // 2
        while half >= 8:
            value = fold(m, f"level{half}", sub, value[:half], value[half:], sew)
            by_width[half] = value
            half //= 2
        tree = Signal(32, name="tree")
        m.d.comb += tree.eq(by_size(sew, by_width[8], by_width[16], by_width[32]))
        folded = fold(m, "with_start", sub, self.start, tree, sew)
        m.d.comb += self.result.eq(folded & by_size(sew, 0xFF, 0xFFFF, 0xFFFFFFFF))
        return m
