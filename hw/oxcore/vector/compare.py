"""Integer compares and carry/borrow-outs of a beat, every element at once (RVV spec
11.8: vmseq ... vmsgt; 11.4: vmadc, vmsbc), as one segmented (SIMD) subtract: a - b's
carry out of each element is "a >= b" (unsigned), its exact sign "a < b" (signed or
not), and a byte-wise equality folded over each element is "a == b"; vmadc's sum and
vmsbc's difference take each element's v0 carry in on the same adder. One adder of the
beat's width serves every SEW where a comparator per element, SEW and compare did.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.vector.decode import CARRY_OUTS, COMPARES
from hw.oxcore.vector.simd import (by_size, element_flag, exact_tops, ones, segmented_add,
                                   starts)

VMSEQ, VMSNE, VMSLTU, VMSLT, VMSLEU, VMSLE, VMSGTU, VMSGT = range(8)
VMADC, VMSBC = range(2)
assert COMPARES[VMSGT] == "vmsgt" and CARRY_OUTS[VMSBC] == "vmsbc"


class BeatCompare(wiring.Component):
    """Per byte of a beat, its element's compare (``carry`` 0: COMPARES[sub]) or
    carry/borrow-out (``carry`` 1: CARRY_OUTS[sub], ``carry_in`` per byte: its element's
    carry or borrow in) of ``a`` (vs2) against ``b`` (the source); combinational."""

    def __init__(self, width: int) -> None:
        self.width = width  # a beat's bits: LANES x 32
        super().__init__({"a": In(width), "b": In(width), "sub": In(3), "carry": In(1),
                          "carry_in": In(width // 8), "sew": In(2), "result": Out(width // 8)})

    def elaborate(self, platform) -> Module:
        m = Module()
        a, b, sub, sew = self.a, self.b, self.sub, self.sew
        count = self.width // 8
        adds = self.carry & (sub == VMADC)  # everything else subtracts: a + ~b + 1 (- borrow)
        y = b ^ ones(~adds, self.width)
        carries = _carries(self.carry, adds, list(self.carry_in))
        _, carry_out = segmented_add(m, "compare_total", a, y, 8, starts(sew, count), carries)
        signed = ~self.carry & sub[0] & (sub >= VMSLTU)
        # Per byte, its element's one flag from the adder: the carry out (vmadc/vmsbc)
        # or a - b < 0 (compares), and what the result is with that flag set and clear,
        # worked out from the operation and the equality beside the carry chain: the
        # chain's end passes through the flag's element select and one multiplexer.
        flags = exact_tops(a, y, carry_out, signed, ~self.carry)  # (0: the carry itself)
        flag = Signal(count, name="flag")
        m.d.comb += flag.eq(Cat(*element_flag(flags, sew)))
        equal_bytes = [a[8 * j:8 * j + 8] == b[8 * j:8 * j + 8] for j in range(count)]
        equal = Signal(count, name="equal")
        m.d.comb += equal.eq(Cat(*(by_size(sew, equal_bytes[j],
                                           equal_bytes[j & ~1] & equal_bytes[j | 1],
                                           Cat(*equal_bytes[j & ~3:(j & ~3) + 4]).all())
                                   for j in range(count))))
        when_set, when_clear = Signal(count, name="when_set"), Signal(count, name="when_clear")
        with m.If(self.carry):  # vmadc: the carry; vmsbc: the borrow, ~carry
            adc = ones(sub == VMADC, count)
            m.d.comb += [when_set.eq(adc), when_clear.eq(~adc)]
        with m.Else():  # the flag is "less"
            with m.Switch(sub):
                for code, if_less, if_not in (
                        (VMSEQ, equal, equal), (VMSNE, ~equal, ~equal),
                        (VMSLTU, ones(1, count), 0), (VMSLT, ones(1, count), 0),
                        (VMSLEU, ones(1, count), equal), (VMSLE, ones(1, count), equal),
                        (VMSGTU, 0, ~equal), (VMSGT, 0, ~equal)):
                    with m.Case(code):
                        m.d.comb += [when_set.eq(if_less), when_clear.eq(if_not)]
        m.d.comb += self.result.eq((flag & when_set) | (~flag & when_clear))
        return m


def _carries(carry, adds, carry_in: list) -> list:
    """Per byte, the carry into its element of the one add: 1 for a compare's a + ~b + 1,
    the v0 carry for vmadc, 1 - the v0 borrow for vmsbc (a + ~b + 1 - borrow)."""
    return [Mux(carry, Mux(adds, bit, ~bit), 1) for bit in carry_in]

