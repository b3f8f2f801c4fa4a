"""tst.b's requantizer: one tile row of int32 accumulators to int8, per element exactly
as `oxcore.isa.tensor.requant.requantize` (docs/tensor.md, "tst.b: the requantization
formula")::

    t = sat32(roundoff(acc * M, 31))   # vsmul
    u = roundoff(t, s)                  # vssra
    v = sat32(u + Z)                    # vsadd
    w = sat8(v)                         # vnclip 0, twice
    q = min(max(w, lo), hi)             # the activation clamp: tqmin, tqmax

``roundoff`` is the RVV rounding shift under the mode in tqrm (vxrm's encoding). The
clamp is not a saturation: it does not set tqsat (TFLite's activation_min/max).

A row (TDIM elements) enters a cycle, and leaves `Requantizer.LATENCY` cycles later:
registers split the chain where one step would hold the SoC clock back (on ECP5 the
whole chain in one cycle ran at 13.6 MHz): the 32x32 product as four 17x17 partial
products (one DSP block each), their sum, vsmul's rounding and saturation, vssra's
rounding shift, the zero point with the saturations, and the clamp. The pipeline
moves only with `advance` (a store row waiting for the memory port holds it whole).
"""

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

RNU, RNE, RDN, ROD = 0, 1, 2, 3


def dropped_bits(amount, width: int):
    """Bits [amount-1:0] set, of `width` bits (the bits a shift by `amount` drops)."""
    return ((Const(1, width + 1) << amount) - 1)[:width]


def round_shift(m: Module, value, amount, mode, name: str, dropped=None):
    """``roundoff(value, amount)`` of RVV 12.1 (`value` signed, `amount` 0..31):
    value >> amount plus the rounding increment the mode selects. A Signal one bit
    wider than `value`. `dropped`: `dropped_bits(amount)`, when a register holds it (a
    decoder and a subtraction fewer on the path)."""
    width = len(value)
    raw = value.as_unsigned()
    below_mask = Signal(width, name=f"{name}_below_mask")  # bits [amount-1:0]
    m.d.comb += below_mask.eq(dropped_bits(amount, width) if dropped is None else dropped)
    shifted = Signal(signed(width), name=f"{name}_shifted")
    m.d.comb += shifted.eq(value >> amount)
    half = (raw & (below_mask & ~(below_mask >> 1))).any()  # bit amount-1
    below_half = (raw & (below_mask >> 1)).any()  # bits [amount-2:0]
    below = (raw & below_mask).any()  # bits [amount-1:0]
    lsb = shifted[0]
    increment = Signal(name=f"{name}_increment")
    with m.Switch(mode):
        with m.Case(RNU):
            m.d.comb += increment.eq(half)
        with m.Case(RNE):
            m.d.comb += increment.eq(half & (below_half | lsb))
        with m.Case(RDN):
            m.d.comb += increment.eq(0)
        with m.Case(ROD):
            m.d.comb += increment.eq(~lsb & below)
    result = Signal(signed(width + 1), name=f"{name}_rounded")
    m.d.comb += result.eq(shifted + increment)
    return result


def saturate(m: Module, value, bits: int, name: str):
    """(`value` clamped to a signed `bits`-bit range, whether it was clamped). In range
    means the bits from `bits`-1 up all equal the sign: a reduction, not the carry chain
    a comparison with the bounds would take."""
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    top = value.as_unsigned()[bits - 1:]
    fits = Signal(name=f"{name}_fits")
    m.d.comb += fits.eq(top.all() | ~top.any())
    clamped = Signal(signed(bits), name=name)
    m.d.comb += clamped.eq(Mux(fits, value[:bits], Mux(value[-1], low, high)))
    return clamped, ~fits


class Requantizer(wiring.Component):
    """A row of TDIM accumulators to TDIM int8 bytes, and whether any step saturated,
    through a pipeline of `LATENCY` stages that moves when `advance` is high.

    Members
    -------
    row : ``In(32 * tdim)``
        The accumulators (int32), element j in bits [32j+31:32j], taken when `advance`.
    advance : ``In(tdim)``
        Every stage of element j takes the one before it (and the first, `row`) this
        cycle when bit j is high: copies of one flag, one an element, so that no one
        net enables every stage (the engine's `replica` copies).
    multiplier, shift, zero_point, rounding : ``In``
        tqmul (int32), tqshift (0..31), tqzp (int32), tqrm (vxrm's encoding); held
        while rows are in the pipeline (every stage reads them).
    clamp_min, clamp_max : ``In(signed(8))``
        tqmin, tqmax: the activation clamp (max with clamp_min first, then min).
    result : ``Out(8 * tdim)``
        The int8 values of the row taken `LATENCY` advances ago, byte j for element j.
    saturated : ``Out(tdim)``
        Bit j: a step of element j clamped (sets tqsat if element j is stored).
    """

    LATENCY = 6

    def __init__(self, tdim: int) -> None:
        self.tdim = tdim
        super().__init__({
            "row": In(32 * tdim), "advance": In(tdim), "multiplier": In(32), "shift": In(5),
            "zero_point": In(32), "rounding": In(2),
            "clamp_min": In(signed(8), init=-128), "clamp_max": In(signed(8), init=127),
            "result": Out(8 * tdim), "saturated": Out(tdim),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        # vssra's dropped bits, from tqshift, a register for every element: tqshift is
        # held while rows are in the pipeline, and a row reaches vssra's stage three
        # cycles after it enters
        self._dropped = Signal(32, name="vssra_dropped")
        m.d.sync += self._dropped.eq(dropped_bits(self.shift, 32))
        for j in range(self.tdim):
            self._element(m, self.row[32 * j:32 * j + 32].as_signed(), j)
        return m

    def _stage(self, m: Module, value, name: str, j: int) -> Signal:
        """`value` registered, taken when element j's pipeline advances."""
        held = Signal(value.shape(), name=name)
        with m.If(self.advance[j]):
            m.d.sync += held.eq(value)
        return held

    def _element(self, m: Module, acc, j: int) -> None:
        """Element j's chain, a register after each step."""
        product = self._product(m, acc, j)  # stages 1 and 2
        scaled = round_shift(m, product, 31, self.rounding, f"vsmul{j}")
        t, t_clamped = saturate(m, scaled, 32, f"t{j}")
        t = self._stage(m, t, f"t{j}_q", j)  # stage 3
        t_clamped = self._stage(m, t_clamped, f"t{j}_clamped_q", j)
        u = self._stage(m, round_shift(m, t, self.shift, self.rounding, f"vssra{j}",
                                       self._dropped), f"u{j}_q", j)  # stage 4
        t_clamped = self._stage(m, t_clamped, f"t{j}_clamped_qq", j)
        total = Signal(signed(34), name=f"sum{j}")
        m.d.comb += total.eq(u + self.zero_point.as_signed())
        # sat8(sat32(total)) is sat8(total), and one of the two clamps exactly when the
        # other does: int8 range or not
        w, w_clamped = saturate(m, total, 8, f"w{j}")
        w = self._stage(m, w, f"w{j}_q", j)  # stage 5
        clamped = self._stage(m, t_clamped | w_clamped, f"clamped{j}_q", j)
        q = self._stage(m, self._activation(m, w, j), f"q{j}_q", j)  # stage 6
        clamped = self._stage(m, clamped, f"clamped{j}_qq", j)
        m.d.comb += [self.result[8 * j:8 * j + 8].eq(q), self.saturated[j].eq(clamped)]

    def _product(self, m: Module, acc, j: int) -> Signal:
        """acc * tqmul (64 bits, signed) in two stages: four 17x17 signed partial
        products of the 16-bit halves (the low halves zero-extended), each one ECP5
        MULT18X18D with a register after it, then their sum."""
        def halves(value):
            return Cat(value[:16], Const(0, 1)).as_signed(), value[16:32].as_signed()
        a_low, a_high = halves(acc)
        b_low, b_high = halves(self.multiplier)
        partial = {name: self._stage(m, x * y, f"product{j}_{name}", j)  # stage 1
                   for name, x, y in (("ll", a_low, b_low), ("lh", a_low, b_high),
                                      ("hl", a_high, b_low), ("hh", a_high, b_high))}
        product = Signal(signed(64), name=f"product{j}")
        m.d.comb += product.eq(partial["ll"] + ((partial["lh"] + partial["hl"]) << 16)
                               + (partial["hh"] << 32))
        return self._stage(m, product, f"product{j}_q", j)  # stage 2

    def _activation(self, m: Module, value, j: int) -> Signal:
        """min(max(`value`, tqmin), tqmax): the activation clamp, as vmax.vx then
        vmin.vx (so tqmin > tqmax gives tqmax)."""
        raised = Signal(signed(8), name=f"raised{j}")
        clamped = Signal(signed(8), name=f"q{j}")
        m.d.comb += [raised.eq(Mux(value < self.clamp_min, self.clamp_min, value)),
                     clamped.eq(Mux(raised > self.clamp_max, self.clamp_max, raised))]
        return clamped


__all__ = ["Requantizer", "dropped_bits", "round_shift", "saturate"]
