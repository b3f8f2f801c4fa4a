"""One 32-bit vector lane's ALU: element-wise integer operations on packed elements.

A lane holds 4, 2 or 1 elements of SEW 8, 16 or 32 bits (``sew``: 0, 1, 2). The ALU is
SIMD: one datapath of each kind, segmented by the element width, serves every SEW and
every operation that needs it (a datapath per SEW and operation cost four times the
area: docs/fpga.md "The vector SoC"):

- a **segmented adder** (carries cut at element starts, each element its own carry in)
  for add/sub/rsub, vadc/vsbc, min/max (a - b's sign), saturating and averaging add/sub,
  the add of multiply-add, and widening add/sub/multiply-add at 2*SEW;
- a **multiplier** of four 17x17 products (one DSP each): four 8x8, two 16x16 or the
  four partial products of one 32x32, by SEW;
- a **segmented right shifter** on 2*SEW-bit elements for every shift: vsrl/vsra and
  vssrl/vssra (the element extended to 2*SEW), vsll (the element placed so that a right
  shift by SEW-1-amount is the left shift) and the narrowing ops (their 2*SEW-bit source);
- a **rounding stage** (spec 12.1's roundoff by ``vxrm``, the increment one more
  segmented add) and a **clamp** to SEW bits: scaling shifts, vnclip[u], averaging
  add/sub (the exact sum shifted by one) and vsmul (the product shifted by SEW-1), with
  the saturating add/sub's clamp of the adder's sum; per byte ``saturated`` (vxsat).

Shifts use the low log2(SEW) bits of the amount (log2(2*SEW) when narrowing; RVV spec
11.6, 11.7). ``pick`` (one bit per byte: the v0 bit of that byte's element) selects the
source for vmerge and is vadc/vsbc's carry or borrow in. Widening ops make a lane's 32
bits of 2*SEW-bit elements from the SEW-bit elements of half a lane.

What each op uses is a row of `CONTROL`, decoded once from ``op``.
"""

import enum
from dataclasses import dataclass

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.vector.decode import AluOp
from hw.oxcore.vector.simd import (by_size, element_flag, ends, exact_tops, ones, segmented_add,
                                   starts)

SEWS = (8, 16, 32)


class Result(enum.IntEnum):
    """Which datapath gives the lane's result."""
    A = 0  # vs2 (vmv<n>r.v; vid.v, whose indices the engine supplies)
    B = 1  # the source (vmv.v.*)
    AND = 2
    OR = 3
    XOR = 4
    MERGE = 5  # pick ? source : vs2
    SUM = 6  # the segmented adder
    MIN_MAX = 7  # vs2 or the source, by the sign of vs2 - source
    CLAMPED = 8  # the rounding stage or the adder's sum, clamped to SEW bits
    EXTENDED = 9  # vs2's narrower elements, extended (vzext/vsext)


class AddX(enum.IntEnum):
    """The adder's first operand."""
    A = 0
    ZERO = 1
    B = 2
    D = 3
    A_EXTENDED = 4  # vs2's SEW-bit elements extended to 2*SEW (widening)


class AddY(enum.IntEnum):
    """The adder's second operand (inverted for subtraction: ``invert``)."""
    B = 0
    A = 1
    B_EXTENDED = 2  # the source's SEW-bit elements extended to 2*SEW (widening)
    PRODUCT_LOW = 3  # each product's low SEW bits
    PRODUCT_HIGH = 4  # its high SEW bits (vmulh*)
    PRODUCT_WIDE = 5  # the 2*SEW-bit products of half a lane (widening multiplies)


class Carry(enum.IntEnum):
    """Each element's carry into the adder."""
    ZERO = 0
    ONE = 1  # a - b = a + ~b + 1
    PICK = 2  # vadc
    NOT_PICK = 3  # vsbc: a - b - borrow = a + ~b + (1 - borrow)


class RoundSource(enum.IntEnum):
    """What the rounding stage rounds: a 2*SEW-bit value per element, already shifted
    right, with the bits shifted out (their top one, and whether any below it is set)."""
    SHIFTER = 0
    AVERAGE = 1  # the adder's exact SEW+1-bit sum, shifted by 1
    PRODUCT = 2  # the signed product, shifted by SEW-1 (vsmul)


class ShiftInput(enum.IntEnum):
    """How the shifter's 2*SEW-bit elements are made, and its amount."""
    RIGHT = 0  # vs2's element extended (sign or zero); amount: the low log2(SEW) bits
    LEFT = 1  # vs2's element at bits SEW-1..2*SEW-2; amount SEW-1 - the low log2(SEW) bits
    NARROW = 2  # the 2*SEW-bit source element; amount: the low log2(2*SEW) bits


class Clip(enum.IntEnum):
    """How a CLAMPED result saturates."""
    NONE = 0
    UNSIGNED = 1  # the rounded value to [0, 2^SEW - 1] (vnclipu)
    SIGNED = 2  # to [-2^(SEW-1), 2^(SEW-1) - 1] (vnclip, vsmul)
    SUM = 3  # the adder's sum, by its carry (unsigned) or overflow (signed): vsadd...


CONTROL_LAYOUT = data.StructLayout({
    "result": Result, "x": AddX, "y": AddY, "invert": 1, "carry": Carry,
    "signed": 1,  # the adder's operands, the clamp's bounds
    "widen": 1,  # the adder's elements are 2*SEW bits
    "max": 1,  # MIN_MAX: the larger
    "mul_vd": 1,  # multiply the source by vd instead of vs2 (vmadd, vnmsub)
    "mul_x_signed": 1, "mul_y_signed": 1,  # (x: vs2 or vd; y: the source)
    "round": RoundSource, "shift": ShiftInput,
    "arithmetic": 1,  # the shifter fills with the sign
    "rounds": 1,  # by vxrm (else truncates)
    "clip": Clip,
    "a_signed": 1, "b_signed": 1,  # extensions of vs2 and the source (widening, vsext)
})

_SUB = {"invert": 1, "carry": Carry.ONE}
_SHIFT = {"result": Result.CLAMPED, "round": RoundSource.SHIFTER}
_ADD_SAT = {"result": Result.CLAMPED, "clip": Clip.SUM}
_AVERAGE = {"result": Result.CLAMPED, "round": RoundSource.AVERAGE, "rounds": 1}
_PRODUCT = {"result": Result.SUM, "x": AddX.ZERO}
_WIDE = {"result": Result.SUM, "widen": 1}
_SIGNED_PRODUCT = {"mul_x_signed": 1, "mul_y_signed": 1}

# Each op's datapath settings (fields left out are 0).
CONTROL: dict[AluOp, dict] = {
    AluOp.ADD: {"result": Result.SUM},
    AluOp.SUB: {"result": Result.SUM, **_SUB},
    AluOp.RSUB: {"result": Result.SUM, "x": AddX.B, "y": AddY.A, **_SUB},
    AluOp.AND: {"result": Result.AND},
    AluOp.OR: {"result": Result.OR},
    AluOp.XOR: {"result": Result.XOR},
    AluOp.SLL: {**_SHIFT, "shift": ShiftInput.LEFT},
    AluOp.SRL: _SHIFT,
    AluOp.SRA: {**_SHIFT, "arithmetic": 1},
    AluOp.MINU: {"result": Result.MIN_MAX, **_SUB},
    AluOp.MIN: {"result": Result.MIN_MAX, **_SUB, "signed": 1},
    AluOp.MAXU: {"result": Result.MIN_MAX, **_SUB, "max": 1},
    AluOp.MAX: {"result": Result.MIN_MAX, **_SUB, "signed": 1, "max": 1},
    AluOp.MOVE: {"result": Result.B},
    AluOp.MERGE: {"result": Result.MERGE},
    AluOp.MUL: {**_PRODUCT, "y": AddY.PRODUCT_LOW},
    AluOp.MULH: {**_PRODUCT, "y": AddY.PRODUCT_HIGH, **_SIGNED_PRODUCT},
    AluOp.MULHU: {**_PRODUCT, "y": AddY.PRODUCT_HIGH},
    AluOp.MULHSU: {**_PRODUCT, "y": AddY.PRODUCT_HIGH, "mul_x_signed": 1},
    AluOp.MACC: {"result": Result.SUM, "x": AddX.D, "y": AddY.PRODUCT_LOW},
    AluOp.NMSAC: {"result": Result.SUM, "x": AddX.D, "y": AddY.PRODUCT_LOW, **_SUB},
    AluOp.MADD: {"result": Result.SUM, "y": AddY.PRODUCT_LOW, "mul_vd": 1},
    AluOp.NMSUB: {"result": Result.SUM, "y": AddY.PRODUCT_LOW, "mul_vd": 1, **_SUB},
    AluOp.COPY: {"result": Result.A},
    AluOp.INDEX: {"result": Result.A},
    AluOp.SADDU: _ADD_SAT,
    AluOp.SADD: {**_ADD_SAT, "signed": 1},
    AluOp.SSUBU: {**_ADD_SAT, **_SUB},
    AluOp.SSUB: {**_ADD_SAT, **_SUB, "signed": 1},
    AluOp.AADDU: _AVERAGE,
    AluOp.AADD: {**_AVERAGE, "signed": 1},
    AluOp.ASUBU: {**_AVERAGE, **_SUB},
    AluOp.ASUB: {**_AVERAGE, **_SUB, "signed": 1},
    AluOp.SMUL: {"result": Result.CLAMPED, "round": RoundSource.PRODUCT, "rounds": 1,
                 "clip": Clip.SIGNED, **_SIGNED_PRODUCT},
    AluOp.SSRL: {**_SHIFT, "rounds": 1},
    AluOp.SSRA: {**_SHIFT, "rounds": 1, "arithmetic": 1},
    AluOp.NSRL: {**_SHIFT, "shift": ShiftInput.NARROW},
    AluOp.NSRA: {**_SHIFT, "shift": ShiftInput.NARROW, "arithmetic": 1},
    AluOp.NCLIPU: {**_SHIFT, "shift": ShiftInput.NARROW, "rounds": 1, "clip": Clip.UNSIGNED},
    AluOp.NCLIP: {**_SHIFT, "shift": ShiftInput.NARROW, "rounds": 1, "arithmetic": 1,
                  "clip": Clip.SIGNED},
    AluOp.WADDU: {**_WIDE, "x": AddX.A_EXTENDED, "y": AddY.B_EXTENDED},
    AluOp.WADD: {**_WIDE, "x": AddX.A_EXTENDED, "y": AddY.B_EXTENDED, "a_signed": 1,
                 "b_signed": 1},
    AluOp.WSUBU: {**_WIDE, "x": AddX.A_EXTENDED, "y": AddY.B_EXTENDED, **_SUB},
    AluOp.WSUB: {**_WIDE, "x": AddX.A_EXTENDED, "y": AddY.B_EXTENDED, **_SUB,
                 "a_signed": 1, "b_signed": 1},
    AluOp.WADDU_W: {**_WIDE, "y": AddY.B_EXTENDED},
    AluOp.WADD_W: {**_WIDE, "y": AddY.B_EXTENDED, "b_signed": 1},
    AluOp.WSUBU_W: {**_WIDE, "y": AddY.B_EXTENDED, **_SUB},
    AluOp.WSUB_W: {**_WIDE, "y": AddY.B_EXTENDED, **_SUB, "b_signed": 1},
    AluOp.WMULU: {**_WIDE, "x": AddX.ZERO, "y": AddY.PRODUCT_WIDE},
    AluOp.WMUL: {**_WIDE, "x": AddX.ZERO, "y": AddY.PRODUCT_WIDE, **_SIGNED_PRODUCT},
    AluOp.WMULSU: {**_WIDE, "x": AddX.ZERO, "y": AddY.PRODUCT_WIDE, "mul_x_signed": 1},
    AluOp.WMACCU: {**_WIDE, "x": AddX.D, "y": AddY.PRODUCT_WIDE},
    AluOp.WMACC: {**_WIDE, "x": AddX.D, "y": AddY.PRODUCT_WIDE, **_SIGNED_PRODUCT},
    AluOp.WMACCSU: {**_WIDE, "x": AddX.D, "y": AddY.PRODUCT_WIDE, "mul_y_signed": 1},
    AluOp.WMACCUS: {**_WIDE, "x": AddX.D, "y": AddY.PRODUCT_WIDE, "mul_x_signed": 1},
    AluOp.ZEXT: {"result": Result.EXTENDED},
    AluOp.SEXT: {"result": Result.EXTENDED, "a_signed": 1},
    AluOp.ADC: {"result": Result.SUM, "carry": Carry.PICK},
    AluOp.SBC: {"result": Result.SUM, "invert": 1, "carry": Carry.NOT_PICK},
}

WIDENING = (AluOp.WADDU, AluOp.WADD, AluOp.WSUBU, AluOp.WSUB, AluOp.WADDU_W, AluOp.WADD_W,
            AluOp.WSUBU_W, AluOp.WSUB_W, AluOp.WMULU, AluOp.WMUL, AluOp.WMULSU,
            AluOp.WMACCU, AluOp.WMACC, AluOp.WMACCSU, AluOp.WMACCUS)
EXTENSION = (AluOp.ZEXT, AluOp.SEXT)
NARROWING = (AluOp.NSRL, AluOp.NSRA, AluOp.NCLIPU, AluOp.NCLIP)
FIXED_POINT = (AluOp.SADDU, AluOp.SADD, AluOp.SSUBU, AluOp.SSUB, AluOp.AADDU, AluOp.AADD,
               AluOp.ASUBU, AluOp.ASUB, AluOp.SMUL, AluOp.SSRL, AluOp.SSRA)


def _extended(value, narrow: int, wide: int, sign) -> "Value":
    """The 32 // `wide` elements of `narrow` bits in the low bits of `value`, each sign-
    (where `sign`) or zero-extended to `wide` bits."""
    parts = []
    for k in range(32 // wide):
        element = value[k * narrow:(k + 1) * narrow]
        parts += [element, ones((element[-1] & sign), wide - narrow)]
    return Cat(*parts)


def _compact(wide, half: int) -> list:
    """Per SEW, the lane's SEW-bit elements from the 2*SEW-bit ones of `wide` (64 bits):
    their low (`half` 0) or high (1) halves."""
    return [Cat(*(wide[(2 * k + half) * sew:(2 * k + half + 1) * sew]
                  for k in range(32 // sew))) for sew in SEWS]


def _spread(value, sew: int, fill) -> "Value":
    """The lane's SEW-bit elements of `value` as 2*SEW-bit ones (64 bits): each in the
    low half, the high half filled with its sign bit where `fill` (else 0)."""
    return Cat(*(Cat(value[k * sew:(k + 1) * sew],
                     ones((value[(k + 1) * sew - 1] & fill), sew))
                 for k in range(32 // sew)))


def _shift_right(m, value, size, amounts: list, fills: list):
    """`value` (64 bits) in elements of 2*SEW bits (`size`: SEW's code), each shifted
    right by its amount (per 16-bit chunk: that chunk's element's amount, 6 bits) and
    filled with its `fills` bit (per chunk): a log shifter whose stages stop at element
    boundaries, written on whole words (as fast to simulate as to synthesize)."""
    fill = Cat(*(ones(f, 16) for f in fills))
    for stage in range(6):
        step = 1 << stage
        inside = by_size(size, *(Const(sum(1 << j for j in range(64)
                                            if j % (2 * sew) + step < 2 * sew), 64)
                                   for sew in SEWS))
        enable = Cat(*(ones(amount[stage], 16) for amount in amounts))
        moved = ((value >> step) & inside) | (fill & ~inside)
        stage_value = Signal(64, name=f"shift_stage{stage}")
        m.d.comb += stage_value.eq((moved & enable) | (value & ~enable))
        value = stage_value
    return value


def _shifted_out(value, sew: int, amounts: list) -> tuple[list, list]:
    """For each 2*SEW-bit element of `value` shifted right by its amount d: the last bit
    shifted out (``half``: bit d-1) and whether any below it was set (bits d-2..0)."""
    width = 2 * sew
    halves, belows = [], []
    for k in range(64 // width):
        element, amount = value[k * width:(k + 1) * width], amounts[k]
        lost = ~(Const((1 << width) - 1, width) << amount)[:width]  # bits d-1..0
        below_half = lost >> 1  # bits d-2..0
        halves.append((element & lost & ~below_half) != 0)
        belows.append((element & below_half) != 0)
    return halves, belows


# The four multiplies' operands, per SEW 8, 16, 32: (x's bits, y's bits). SEW 8: an
# element each; 16: two elements (the last two multiplies idle); 32: the partial
# products lo*lo, hi*hi, lo*hi, hi*lo of one element's 16-bit halves.
_MULTIPLY_INPUTS = (
    (((0, 8), (0, 8)), ((0, 16), (0, 16)), ((0, 16), (0, 16))),
    (((8, 16), (8, 16)), ((16, 32), (16, 32)), ((16, 32), (16, 32))),
    (((16, 24), (16, 24)), ((16, 24), (16, 24)), ((0, 16), (16, 32))),
    (((24, 32), (24, 32)), ((24, 32), (24, 32)), ((16, 32), (0, 16))),
)


def _increment(vxrm, half, below_half, lsb):
    """Spec 12.1's rounding increment of a value shifted right by d, from its bit d-1
    (`half`), whether any of bits d-2..0 is set and its new bit 0 (`lsb`)."""
    return Mux(vxrm == 0, half,
               Mux(vxrm == 1, half & (below_half | lsb),
                   Mux(vxrm == 2, 0, ~lsb & (half | below_half))))


@dataclass
class _Live:
    """What the lane's later stages use of its inputs and earlier results (each cut
    registers all of it: `LaneAlu._cut`)."""

    values: dict

    def __getattr__(self, name):
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


class LaneAlu(wiring.Component):
    """``result = a op b`` per element of width ``sew``, `stages` cycles after the
    operands (0: combinational). A cycle's operands may follow the last's at once.

    The cuts, in the order a lane gains them: after the multiplies (their 17x17
    products, in the DSP blocks' output registers) and the shifter; after the segmented
    adder; after the rounding (its adder and the clip flags); and before all of it, on
    the operands as they arrive (from the register file's block RAMs through the
    engine's operand selects: that and the shifter were one path). The clamping and the
    result's select come last."""

    a: In(32)
    b: In(32)
    d: In(32)  # the destination's old value (multiply-add)
    sew: In(2)
    op: In(AluOp)
    pick: In(4)  # per byte: vmerge takes the source; vadc/vsbc's carry/borrow in
    vxrm: In(2)  # fixed-point rounding mode
    wide: In(64)  # narrowing: this lane's 2*SEW-bit source elements
    extend: In(2)  # vzext/vsext: log2 of the factor (`a` holds SEW/factor-bit elements)
    # (widening ops take their SEW-bit elements in the low halves of `a` and `b`, or
    # `a`'s 2*SEW-bit ones in the .w forms, and return 2*SEW-bit elements)
    result: Out(32)
    saturated: Out(4)  # per byte: its element saturated (fixed point)

    CUTS = ("products", "sum", "rounded", "operands")

    def __init__(self, stages: int = 0) -> None:
        if not 0 <= stages <= len(self.CUTS):
            self._MustUse__silence = True  # (refused, so never elaborated: no warning)
            raise ValueError(f"a lane has 0 to {len(self.CUTS)} stages, not {stages}")
        self.stages = stages
        super().__init__()

    def _cut(self, m: Module, name: str, live: _Live) -> _Live:
        """The values after cut `name`: registered if the lane has that stage."""
        if self.CUTS.index(name) >= self.stages:
            return live
        registered = {}
        for key, value in live.values.items():
            reg = Signal.like(value, name=f"{name}_{key}")
            m.d.sync += reg.eq(value)
            registered[key] = reg
        return _Live(registered)

    def elaborate(self, platform) -> Module:
        m = Module()
        control = Signal(CONTROL_LAYOUT)
        with m.Switch(self.op):
            for op, fields in CONTROL.items():
                with m.Case(op):
                    m.d.comb += control.eq(CONTROL_LAYOUT.const(fields))

        front = self._cut(m, "operands", _Live(dict(
            a=self.a, b=self.b, d=self.d, sew=self.sew, pick=self.pick, vxrm=self.vxrm,
            wide=self.wide, extend=self.extend, control=control)))
        a_extended, b_extended = self._extensions(m, front)
        products = self._products(m, front)
        shifted, shift_half, shift_below = self._shifter(m, front)
        live = _Live({key: front.values[key]
                      for key in ("a", "b", "d", "sew", "pick", "vxrm", "control")})
        live.values.update(a_extended=a_extended, b_extended=b_extended, shifted=shifted,
                           shift_half=shift_half, shift_below=shift_below,
                           **{f"p{k}": p for k, p in enumerate(products)})
        live = self._cut(m, "products", live)
        product = self._product(m, live)
        total, top = self._adder(m, live, product)
        live.values.update(product=product, total=total, top=top)
        live = self._cut(m, "sum", live)
        rounded, clip_over, clip_under = self._rounding(m, live)
        live.values.update(rounded=rounded, clip_over=clip_over, clip_under=clip_under)
        live = self._cut(m, "rounded", live)
        self._result(m, live, live.rounded, live.clip_over, live.clip_under)
        return m

    @staticmethod
    def _extensions(m, front: _Live):
        """vs2's and the source's narrower elements extended: vzext/vsext (SEW/2 or
        SEW/4 bits to SEW) and the widening ops' operands (SEW to 2*SEW)."""
        control, a, b = front.control, front.a, front.b
        size = front.sew + control.widen  # the extended elements' size code
        quarter = front.extend == 2
        a_extended, b_extended = Signal(32, name="a_extended"), Signal(32, name="b_extended")
        m.d.comb += [
            a_extended.eq(Mux(size == 1, _extended(a, 8, 16, control.a_signed),
                              Mux(quarter, _extended(a, 8, 32, control.a_signed),
                                  _extended(a, 16, 32, control.a_signed)))),
            b_extended.eq(Mux(size == 1, _extended(b, 8, 16, control.b_signed),
                              _extended(b, 16, 32, control.b_signed))),
        ]
        return a_extended, b_extended

    @staticmethod
    def _products(m, front: _Live) -> list:
        """Four signed 17x17 multiplies (a DSP block each): SEW 8's four products, SEW
        16's two, or at SEW 32 the partial products lo*lo, hi*hi, lo*hi and hi*lo of
        16-bit halves (widening multiplies use half a lane's elements)."""
        control = front.control
        x = Mux(control.mul_vd, front.d, front.a)
        y = front.b
        sew = front.sew

        def operand(source, bits, sew: int, sign):
            """`source`'s `bits` (lo, hi) extended to 17 bits: by `sign` (the op's
            signedness) where they end an element, by 0 where a SEW 32 low half."""
            value = source[bits[0]:bits[1]]
            ends_element = sew < 32 or bits[1] == 32
            top = value[-1] & (sign if ends_element else Const(0, 1))
            return Cat(value, ones(top, 17 - len(value))).as_signed()

        def multiplicand(k, source, which, sign):
            return by_size(sew, *(operand(source, bits[which], s, sign)
                                   for s, bits in zip(SEWS, _MULTIPLY_INPUTS[k])))
        products = []
        for k in range(4):
            px, py = Signal(signed(17), name=f"mul{k}_x"), Signal(signed(17), name=f"mul{k}_y")
            m.d.comb += [px.eq(multiplicand(k, x, 0, control.mul_x_signed)),
                         py.eq(multiplicand(k, y, 1, control.mul_y_signed))]
            p = Signal(signed(34), name=f"mul{k}")
            m.d.comb += p.eq(px * py)
            products.append(p)
        return products

    @staticmethod
    def _product(m, live: _Live):
        """The products, 2*SEW bits each (64 bits: SEW 8's four, SEW 16's two, SEW 32's
        one, the sum of its partial products)."""
        p0, p1, p2, p3 = (live.values[f"p{k}"] for k in range(4))
        whole = Signal(64, name="mul_sew32")
        m.d.comb += whole.eq(p0.as_signed() + ((p2.as_signed() + p3.as_signed()) << 16)
                             + (p1.as_signed() << 32))
        product = Signal(64, name="product")
        m.d.comb += product.eq(by_size(live.sew, Cat(*(p[:16] for p in (p0, p1, p2, p3))),
                                       Cat(p0[:32], p1[:32]), whole))
        return product

    @staticmethod
    def _adder(m, live: _Live, product):
        """The segmented adder: x + (y or ~y) + carry per element of SEW bits (2*SEW when
        widening). Returns the sum and, per byte, the top bit of its element's exact
        (SEW+1)-bit value: the carry (unsigned add), the borrow (unsigned subtract), the
        sign (signed)."""
        control, sew = live.control, live.sew
        size = sew + control.widen
        low, high = _compact(product, 0), _compact(product, 1)
        x = Signal(32, name="add_x")
        y = Signal(32, name="add_y")
        m.d.comb += [
            x.eq(Mux(control.x == AddX.A, live.a,
                     Mux(control.x == AddX.B, live.b,
                         Mux(control.x == AddX.D, live.d,
                             Mux(control.x == AddX.A_EXTENDED, live.a_extended, 0))))),
            y.eq(Mux(control.y == AddY.B, live.b,
                     Mux(control.y == AddY.A, live.a,
                         Mux(control.y == AddY.B_EXTENDED, live.b_extended,
                             Mux(control.y == AddY.PRODUCT_LOW, by_size(sew, *low),
                                 Mux(control.y == AddY.PRODUCT_HIGH,
                                     by_size(sew, *high), product[:32])))))
                 ^ ones(control.invert, 32)),
        ]
        pick = live.pick
        carries = [Mux(control.carry == Carry.ZERO, 0,
                       Mux(control.carry == Carry.ONE, 1,
                           Mux(control.carry == Carry.PICK, pick[i], ~pick[i])))
                   for i in range(4)]
        total, carry_out = segmented_add(m, "add_total", x, y, 8, starts(size, 4), carries)
        tops = exact_tops(x, y, carry_out, control.signed, control.invert)
        sum_signal = Signal(32, name="add_sum")
        top = Signal(4, name="add_top")  # per byte
        m.d.comb += [sum_signal.eq(total), top.eq(Cat(*element_flag(tops, size)))]
        return sum_signal, top

    @staticmethod
    def _shifter(m, front: _Live):
        """The segmented shifter on the 2*SEW-bit input elements: the shifted value and,
        per 16-bit chunk (where an element starts), the last bit shifted out of its
        element and whether any below it was set (for the rounding)."""
        control, sew, a, b = front.control, front.sew, front.a, front.b
        arithmetic = control.arithmetic
        shift_in = Signal(64, name="shift_in")
        right = by_size(sew, *(_spread(a, s, arithmetic) for s in SEWS))
        left = by_size(sew, *(Cat(*(Cat(Const(0, s - 1), a[k * s:(k + 1) * s], Const(0, 1))
                                    for k in range(32 // s))) for s in SEWS))
        m.d.comb += shift_in.eq(Mux(control.shift == ShiftInput.NARROW, front.wide,
                                    Mux(control.shift == ShiftInput.LEFT, left, right)))
        amounts_by_sew = []  # per SEW, per element: 6 bits
        for s in SEWS:
            bits = s.bit_length() - 1  # log2(SEW)
            per_element = []
            for k in range(32 // s):
                element = b[k * s:(k + 1) * s]
                narrow_bit = element[bits] if s < 32 else Const(0, 1)
                low_bits = element[:bits] ^ ones((control.shift == ShiftInput.LEFT), bits)
                amount = Cat(low_bits, narrow_bit & (control.shift == ShiftInput.NARROW))
                per_element.append(Cat(amount, Const(0, 6 - len(amount)))[:6])
            amounts_by_sew.append(per_element)
        amounts = []
        for c in range(4):
            amount = Signal(6, name=f"shift_amount{c}")
            m.d.comb += amount.eq(by_size(sew, amounts_by_sew[0][c], amounts_by_sew[1][c // 2],
                                          amounts_by_sew[2][0]))
            amounts.append(amount)
        fills = [arithmetic & by_size(sew, shift_in[16 * c + 15], shift_in[32 * (c // 2) + 31],
                                       shift_in[63]) for c in range(4)]
        shifted = Signal(64, name="shift_out")
        m.d.comb += shifted.eq(_shift_right(m, shift_in, sew, amounts, fills))
        by_sew = [_shifted_out(shift_in, s, amounts_by_sew[code]) for code, s in enumerate(SEWS)]
        half, below = Signal(4, name="shift_half"), Signal(4, name="shift_below")
        for c in range(4):
            m.d.comb += [
                half[c].eq(by_size(sew, by_sew[0][0][c], by_sew[1][0][c // 2], by_sew[2][0][0])),
                below[c].eq(by_size(sew, by_sew[0][1][c], by_sew[1][1][c // 2], by_sew[2][1][0])),
            ]
        return shifted, half, below

    def _rounding(self, m, live: _Live):
        """The 2*SEW-bit value to round per element (the shifter's, the average's or
        vsmul's), rounded by vxrm (spec 12.1), and where it is outside SEW bits (over,
        under; per byte, for the clips)."""
        control, sew, total, top, product = (live.control, live.sew, live.total, live.top,
                                             live.product)
        # the value to round, per SEW layout; bit d-1 and the sticky bits below it
        average = [Cat(*(Cat(total[k * s + 1:(k + 1) * s], top[((k + 1) * s - 1) // 8],
                             Const(0, s)) for k in range(32 // s))) for s in SEWS]
        smul = [Cat(*(Cat(product[k * 2 * s + s - 1:(k + 1) * 2 * s],
                          ones(product[(k + 1) * 2 * s - 1], s - 1))
                      for k in range(32 // s))) for s in SEWS]
        value = Signal(64, name="round_in")
        m.d.comb += value.eq(Mux(control.round == RoundSource.SHIFTER, live.shifted,
                                 Mux(control.round == RoundSource.AVERAGE,
                                     by_size(sew, *average), by_size(sew, *smul))))
        vxrm = Mux(control.rounds, live.vxrm, 2)
        increments = []  # per 16-bit chunk (used where an element starts)
        for c in range(4):
            element = [c, c // 2, 0]  # per SEW, the 2*SEW-bit element of chunk c
            avg_half = by_size(sew, *(total[element[i] * s] for i, s in enumerate(SEWS)))
            smul_half = by_size(sew, *(product[element[i] * 2 * s + s - 2]
                                       for i, s in enumerate(SEWS)))
            smul_below = by_size(sew, *(product[element[i] * 2 * s:element[i] * 2 * s + s - 2]
                                        != 0 for i, s in enumerate(SEWS)))
            half, below = Signal(name=f"round_half{c}"), Signal(name=f"round_below{c}")
            m.d.comb += [
                half.eq(Mux(control.round == RoundSource.SHIFTER, live.shift_half[c],
                            Mux(control.round == RoundSource.AVERAGE, avg_half, smul_half))),
                below.eq(Mux(control.round == RoundSource.SHIFTER, live.shift_below[c],
                             Mux(control.round == RoundSource.AVERAGE, 0, smul_below))),
            ]
            increments.append(_increment(vxrm, half, below, value[16 * c]))
        rounded_sum, _ = segmented_add(m, "round_total", value, Const(0, 64), 16,
                                        starts(sew, 4), increments)
        rounded = Signal(64, name="rounded")
        m.d.comb += rounded.eq(rounded_sum)
        over, under = self._clip_flags(m, control, sew, value, increments)
        return rounded, over, under

    @staticmethod
    def _clip_flags(m, control, sew, value, increments):
        """Per byte of the result, whether its element's rounded 2*SEW-bit value (`value`
        plus its `increments` bit, per 16-bit chunk where the element starts) is above
        (over) or below (under) what SEW bits hold, as `control.clip` bounds it.

        Worked out beside the rounding adder, not after it: the increment reaches the
        bits that decide (the sign and those above SEW: `high`) only when every bit
        below them is set, and then adds one to `high`; the flags of `high` and of
        `high` + 1 are compares with constants, and that carry selects between them."""
        overs, unders = [], []
        for s in SEWS:
            over_s, under_s = [], []
            top, largest = (1 << (s + 1)) - 1, (1 << s) - 1  # high: -1; the largest positive
            for k in range(32 // s):
                element = value[2 * k * s:2 * (k + 1) * s]
                high = element[s - 1:]  # the sign and the bits above SEW
                carried = increments[(2 * k * s) // 16] & element[:s - 1].all()
                negative = high[-1]
                # (high + 1: the largest positive becomes negative, -1 becomes 0)
                signed_over = Mux(carried, ~negative & (high != largest),
                                  ~negative & (high != 0))
                signed_under = Mux(carried, (high == largest)
                                   | (negative & (high != top) & (high != top - 1)),
                                   negative & (high != top))
                unsigned_over = Mux(carried, (high != 0) & (high != top), high[1:] != 0)
                over_s.append(Mux(control.clip == Clip.SIGNED, signed_over,
                                  (control.clip == Clip.UNSIGNED) & unsigned_over))
                under_s.append((control.clip == Clip.SIGNED) & signed_under)
            overs.append(Cat(*(ones(o, s // 8) for o in over_s)))
            unders.append(Cat(*(ones(u, s // 8) for u in under_s)))
        over, under = Signal(4, name="clip_over"), Signal(4, name="clip_under")
        m.d.comb += [over.eq(by_size(sew, *overs)), under.eq(by_size(sew, *unders))]
        return over, under

    def _result(self, m, live: _Live, rounded, clip_over, clip_under):
        """The result by `control.result`, and the saturation flags."""
        control, sew, a, b, total, top = (live.control, live.sew, live.a, live.b, live.total,
                                          live.top)
        # min/max: vs2 < source where a - b's exact value is negative
        less = top
        min_max = Cat(*(Mux(less[i] ^ control.max, a[8 * i:8 * i + 8], b[8 * i:8 * i + 8])
                        for i in range(4)))
        # the clamp: the rounding stage's value or the adder's (saturating add/sub)
        from_sum = control.clip == Clip.SUM
        value = Mux(from_sum, total, by_size(sew, *_compact(rounded, 0)))
        # the sum's element overflowed: signed, its exact sign differs from its sign
        # bit; unsigned, a carry out of an add (over) or a borrow of a subtract (under)
        sign = element_flag([total[8 * j + 7] for j in range(4)], sew)
        sum_over = Cat(*(Mux(control.signed, ~top[i] & sign[i], top[i] & ~control.invert)
                         for i in range(4)))
        sum_under = Cat(*(Mux(control.signed, top[i] & ~sign[i], top[i] & control.invert)
                          for i in range(4)))
        over = Mux(from_sum, sum_over, clip_over)
        under = Mux(from_sum, sum_under, clip_under)
        signed_bounds = control.signed | (control.clip == Clip.SIGNED)
        clamped = []
        for i, top_byte in enumerate(ends(sew, 4)):
            maximum = Mux(signed_bounds & top_byte, 0x7F, 0xFF)
            minimum = Mux(signed_bounds & top_byte, 0x80, 0x00)
            clamped.append(Mux(over[i], maximum, Mux(under[i], minimum, value[8 * i:8 * i + 8])))
        merged = Cat(*(Mux(live.pick[i], b[8 * i:8 * i + 8], a[8 * i:8 * i + 8])
                       for i in range(4)))
        with m.Switch(control.result):
            for result, value_of in (
                    (Result.A, a), (Result.B, b), (Result.AND, a & b), (Result.OR, a | b),
                    (Result.XOR, a ^ b), (Result.MERGE, merged), (Result.SUM, total),
                    (Result.MIN_MAX, min_max), (Result.CLAMPED, Cat(*clamped)),
                    (Result.EXTENDED, live.a_extended)):
                with m.Case(result):
                    m.d.comb += self.result.eq(value_of)
        with m.If(control.result == Result.CLAMPED):
            m.d.comb += self.saturated.eq(over | under)
