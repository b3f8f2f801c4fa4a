"""One 32-bit vector lane's ALU: element-wise integer operations on packed elements.

A lane holds 4, 2 or 1 elements of SEW 8, 16 or 32 bits (``sew``: 0, 1, 2). Each
element width has its own datapath, selected by ``sew`` (carries never cross an
element; shifts use the low log2(SEW) bits of the amount, RVV spec 11.6). ``pick``
(one bit per byte: the v0 mask bit of that byte's element) selects the source for
``vmerge``. Fixed-point results round by ``vxrm`` (spec 12.1's roundoff) and report
per byte whether their element saturated (``saturated``, for vxsat). Widening ops make
a lane's 32 bits of 2*SEW-bit elements from the SEW-bit elements of half a lane.
"""


from amaranth import Cat, Const, Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.vector.decode import AluOp

SEWS = (8, 16, 32)


def roundoff(v, d, vxrm):
    """Spec 12.1: ``v >> d`` (arithmetic if `v` is signed) plus the rounding increment
    vxrm selects (rnu: v[d-1]; rne: v[d-1] & (v[d-2:0] != 0 | v[d]); rdn: 0;
    rod: !v[d] & v[d-1:0] != 0). `d` a constant or a signal."""
    width = len(v)
    shifted = v >> d
    if isinstance(d, int):
        below = (v[:d] != 0) if d > 0 else Const(0)  # v[d-1:0] != 0
        half = v[d - 1] if d > 0 else Const(0)  # v[d-1]
        below_half = (v[:d - 1] != 0) if d > 1 else Const(0)  # v[d-2:0] != 0
    else:
        one = Const(1, width + 1)
        d_less = (d - 1)[:len(d)]  # d - 1 (unused when d = 0)
        bits = v.as_unsigned()
        below = (bits & ((one << d) - 1)[:width]) != 0
        half = (bits >> d_less)[0] & (d != 0)
        below_half = ((bits & ((one << d_less) - 1)[:width]) != 0) & (d > 1)
    lsb = shifted[0]
    increment = Mux(vxrm == 0, half,
                    Mux(vxrm == 1, half & (below_half | lsb),
                        Mux(vxrm == 2, 0, ~lsb & below)))
    return shifted + increment


def _fixed_point(op: AluOp, a, b, sew: int, vxrm, scaled):
    """(result, saturated) of a fixed-point op on one element (spec 12.1-12.4);
    `scaled`: the element's scaling shift (vssrl/vssra), shared by both (`_scaled`)."""
    sa, sb = a.as_signed(), b.as_signed()
    high, low = (1 << (sew - 1)) - 1, -(1 << (sew - 1))

    def clamp_signed(v):
        over, under = v > high, v < low
        return Mux(over, Const(high, sew), Mux(under, Const(low, sew), v[:sew])), over | under
    if op == AluOp.SADDU:
        total = a + b
        return Mux(total[sew], (1 << sew) - 1, total[:sew]), total[sew]
    if op == AluOp.SSUBU:
        return Mux(a < b, 0, (a - b)[:sew]), a < b
    if op == AluOp.SADD:
        return clamp_signed(sa + sb)
    if op == AluOp.SSUB:
        return clamp_signed(sa - sb)
    if op == AluOp.SMUL:
        return clamp_signed(roundoff(sa * sb, sew - 1, vxrm))
    rounded = {
        AluOp.AADDU: lambda: roundoff(a + b, 1, vxrm),
        AluOp.AADD: lambda: roundoff(sa + sb, 1, vxrm),
        AluOp.ASUBU: lambda: roundoff((a - b).as_signed(), 1, vxrm),  # (SEW+1 bits)
        AluOp.ASUB: lambda: roundoff(sa - sb, 1, vxrm),
        AluOp.SSRL: lambda: scaled,
        AluOp.SSRA: lambda: scaled,
    }[op]()
    return rounded[:sew], Const(0)


def _scaled(op, a, shift, vxrm):
    """`a` shifted right by `shift` and rounded by `vxrm` (spec 12.1), arithmetically
    for vssra: one shifter for vssrl and vssra (`a` widened by its sign bit or a 0)."""
    signed = Cat(a, Mux(op == AluOp.SSRA, a[-1], 0)).as_signed()
    return roundoff(signed, shift, vxrm)


def _narrowed(op, wide, shift, sew: int, vxrm):
    """One 2*SEW-bit element shifted right by `shift` (its low log2(2*SEW) bits) for
    all four narrowing ops: one shifter, arithmetic for vnsra and vnclip, rounded by
    `vxrm` for vnclip[u] (rdn, no increment, for vnsrl and vnsra)."""
    signed_op = (op == AluOp.NSRA) | (op == AluOp.NCLIP)
    rounds = (op == AluOp.NCLIPU) | (op == AluOp.NCLIP)
    amount = shift[:(2 * sew).bit_length() - 1]
    signed = Cat(wide, Mux(signed_op, wide[-1], 0)).as_signed()
    return roundoff(signed, amount, Mux(rounds, vxrm, 2))


def _narrowing(op: AluOp, sew: int, value):
    """(result, saturated) of a narrowing op on one element (spec 11.7, 12.5), from its
    shifted value (`_narrowed`): vnclip[u] clip it to SEW bits."""
    if op in (AluOp.NSRL, AluOp.NSRA):
        return value[:sew], Const(0)
    if op == AluOp.NCLIPU:
        over = value > (1 << sew) - 1
        return Mux(over, (1 << sew) - 1, value[:sew]), over
    high, low = (1 << (sew - 1)) - 1, -(1 << (sew - 1))
    over, under = value > high, value < low
    return Mux(over, high, Mux(under, low & ((1 << sew) - 1), value[:sew]))[:sew], over | under


# widening ops: (vs2's extension, the source's: "u" zero, "s" sign, "w" vs2 already
# 2*SEW), and the 2*SEW-bit result of the extended (a, b, d)
_WIDENING = {
    AluOp.WADDU: ("u", "u", lambda a, b, d: a + b),
    AluOp.WADD: ("s", "s", lambda a, b, d: a + b),
    AluOp.WSUBU: ("u", "u", lambda a, b, d: a - b),
    AluOp.WSUB: ("s", "s", lambda a, b, d: a - b),
    AluOp.WADDU_W: ("w", "u", lambda a, b, d: a + b),
    AluOp.WADD_W: ("w", "s", lambda a, b, d: a + b),
    AluOp.WSUBU_W: ("w", "u", lambda a, b, d: a - b),
    AluOp.WSUB_W: ("w", "s", lambda a, b, d: a - b),
    AluOp.WMULU: ("u", "u", lambda a, b, d: a * b),
    AluOp.WMUL: ("s", "s", lambda a, b, d: a * b),
    AluOp.WMULSU: ("s", "u", lambda a, b, d: a * b),
    AluOp.WMACCU: ("u", "u", lambda a, b, d: d + b * a),
    AluOp.WMACC: ("s", "s", lambda a, b, d: d + b * a),
    AluOp.WMACCSU: ("u", "s", lambda a, b, d: d + b * a),
    AluOp.WMACCUS: ("s", "u", lambda a, b, d: d + b * a),
}
WIDENING = tuple(_WIDENING)


def _widening(op: AluOp, a, b, d, sew: int) -> list:
    """The lane's 2*SEW-bit results of a widening op (spec 11.2, 11.12, 11.14): element
    k from the SEW-bit elements k of `a` (vs2; 2*SEW-bit in the .w forms) and `b` (the
    source), both in the low 16 bits the engine gives this lane, and `d` (the
    destination's old value, 2*SEW-bit elements)."""
    how_a, how_b, fn = _WIDENING[op]
    wide = 2 * sew

    def extended(value, how):
        return value.as_signed() if how == "s" else value
    parts = []
    for k in range(32 // wide):
        narrow = slice(k * sew, (k + 1) * sew)
        wide_bits = slice(k * wide, (k + 1) * wide)
        a_k = a[wide_bits] if how_a == "w" else extended(a[narrow], how_a)
        value = fn(a_k, extended(b[narrow], how_b), d[wide_bits])
        parts.append(_extend_to(value, wide)[:wide])
    return parts


def _extension(op: AluOp, a, sew: int, factor: int) -> list:
    """vzext/vsext.vf<factor> (spec 11.3): the lane's SEW-bit elements from the
    SEW/factor-bit ones in the low 32/factor bits of `a` (zeros where SEW/factor < 8,
    which is illegal and never executed)."""
    narrow = sew // factor
    if narrow < 8:
        return [Const(0, 32)]
    parts = []
    for k in range(32 // sew):
        value = a[k * narrow:(k + 1) * narrow]
        parts.append(_extend_to(value.as_signed() if op == AluOp.SEXT else value, sew)[:sew])
    return parts


def _extend_to(value, width: int):
    """`value` sign- or zero-extended (as its shape says) to at least `width` bits: a
    slice never extends, and a SEW + SEW sum has only SEW + 1."""
    missing = width - len(value)
    if missing <= 0:
        return value
    fill = value[-1] if value.shape().signed else Const(0, 1)
    return Cat(value, fill.replicate(missing))


EXTENSION = (AluOp.ZEXT, AluOp.SEXT)
NARROWING = (AluOp.NSRL, AluOp.NSRA, AluOp.NCLIPU, AluOp.NCLIP)
FIXED_POINT = (AluOp.SADDU, AluOp.SADD, AluOp.SSUBU, AluOp.SSUB, AluOp.AADDU, AluOp.AADD,
               AluOp.ASUBU, AluOp.ASUB, AluOp.SMUL, AluOp.SSRL, AluOp.SSRA)


def _shifted(op, a, b, sew: int):
    """vsll, vsrl, vsra on one element with one right shifter: vsra's operand widened
    by its sign bit (vsrl's by a 0), vsll's bit-reversed in and out."""
    shamt = b[:sew.bit_length() - 1]
    left = op == AluOp.SLL
    operand = Mux(left, a[::-1], a)
    signed = Cat(operand, Mux(op == AluOp.SRA, a[-1], 0)).as_signed()
    right = (signed >> shamt)[:sew]
    return Mux(left, right[::-1], right)


def _element(op: AluOp, a, b, sew: int, pick, d=None, shifted=None):
    """One element's result (`sew` bits) for `op`; `a` from vs2, `b` the source, `d`
    the destination's old value (multiply-add), `shifted` the element's shift
    (`_shifted`, shared by the three shift ops)."""
    sa, sb = a.as_signed(), b.as_signed()
    if op in (AluOp.MUL, AluOp.MULH, AluOp.MULHU, AluOp.MULHSU):
        product = {AluOp.MUL: a * b, AluOp.MULH: sa * sb, AluOp.MULHU: a * b,
                   AluOp.MULHSU: sa * b}[op]
        return product[:sew] if op == AluOp.MUL else product[sew:2 * sew]
    if op in (AluOp.MACC, AluOp.NMSAC):
        product = (b * a)[:sew]
        return (d + product)[:sew] if op == AluOp.MACC else (d - product)[:sew]
    if op in (AluOp.MADD, AluOp.NMSUB):
        product = (b * d)[:sew]
        return (product + a)[:sew] if op == AluOp.MADD else (a - product)[:sew]
    return {
        AluOp.ADD: (a + b)[:sew],
        AluOp.ADC: (a + b + pick)[:sew],  # (`pick`: the element's v0 bit, its carry in)
        AluOp.SBC: (a - b - pick)[:sew],
        AluOp.SUB: (a - b)[:sew],
        AluOp.RSUB: (b - a)[:sew],
        AluOp.AND: a & b,
        AluOp.OR: a | b,
        AluOp.XOR: a ^ b,
        AluOp.SLL: shifted,
        AluOp.SRL: shifted,
        AluOp.SRA: shifted,
        AluOp.MINU: Mux(a < b, a, b),
        AluOp.MIN: Mux(sa < sb, a, b),
        AluOp.MAXU: Mux(a > b, a, b),
        AluOp.MAX: Mux(sa > sb, a, b),
        AluOp.MOVE: b,
        AluOp.MERGE: Mux(pick, b, a),
        AluOp.COPY: a,
        AluOp.INDEX: a,  # the engine supplies element indices instead (vid.v)
    }[op]


class LaneAlu(wiring.Component):
    """``result = a op b`` per element of width ``sew`` (combinational)."""

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

    def elaborate(self, platform) -> Module:
        m = Module()
        with m.Switch(self.sew):
            for code, sew in enumerate(SEWS):
                with m.Case(code):
                    # shifters shared by the ops that differ only in sign or rounding
                    scaled, narrowed, shifted = [], [], []
                    for k in range(32 // sew):
                        lo, hi = k * sew, (k + 1) * sew
                        shifted.append(_shifted(self.op, self.a[lo:hi], self.b[lo:hi], sew))
                        scaled.append(_scaled(self.op, self.a[lo:hi],
                                              self.b[lo:lo + sew.bit_length() - 1],
                                              self.vxrm))
                        if sew < 32:
                            narrowed.append(_narrowed(self.op, self.wide[2 * lo:2 * hi],
                                                      self.b[lo:hi], sew, self.vxrm))
                    with m.Switch(self.op):
                        for op in AluOp:
                            with m.Case(op):
                                parts, flags = [], []
                                if op in WIDENING:  # (no 64-bit results at ELEN 32)
                                    parts = ([Const(0, 32)] if sew == 32 else
                                             _widening(op, self.a, self.b, self.d, sew))
                                if op in EXTENSION:
                                    parts = [Mux(self.extend == 2,
                                                 Cat(*_extension(op, self.a, sew, 4)),
                                                 Cat(*_extension(op, self.a, sew, 2)))]
                                whole_lane = op in WIDENING or op in EXTENSION
                                for k in range(0 if whole_lane else 32 // sew):
                                    lo, hi = k * sew, (k + 1) * sew
                                    a, b = self.a[lo:hi], self.b[lo:hi]
                                    if op in NARROWING:
                                        if sew == 32:  # (no 64-bit sources at ELEN 32)
                                            parts.append(Const(0, 32))
                                            continue
                                        value, saturated = _narrowing(op, sew, narrowed[k])
                                        flags.append(saturated.replicate(sew // 8))
                                    elif op in FIXED_POINT:
                                        value, saturated = _fixed_point(op, a, b, sew,
                                                                        self.vxrm, scaled[k])
                                        value = value[:sew]  # (a signed Mux is wider)
                                        flags.append(saturated.replicate(sew // 8))
                                    else:
                                        value = _element(op, a, b, sew, self.pick[lo // 8],
                                                         self.d[lo:hi], shifted[k])
                                    parts.append(value)
                                m.d.comb += self.result.eq(Cat(*parts))
                                if flags:
                                    m.d.comb += self.saturated.eq(Cat(*flags))
        return m
