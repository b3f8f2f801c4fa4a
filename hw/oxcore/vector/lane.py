"""One 32-bit vector lane's ALU: element-wise integer operations on packed elements.

A lane holds 4, 2 or 1 elements of SEW 8, 16 or 32 bits (``sew``: 0, 1, 2). Each
element width has its own datapath, selected by ``sew`` (carries never cross an
element; shifts use the low log2(SEW) bits of the amount, RVV spec 11.6). ``pick``
(one bit per byte: the v0 mask bit of that byte's element) selects the source for
``vmerge``.
"""


from amaranth import Cat, Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.vector.decode import AluOp

SEWS = (8, 16, 32)


def _element(op: AluOp, a, b, sew: int, pick, d=None):
    """One element's result (`sew` bits) for `op`; `a` from vs2, `b` the source, `d`
    the destination's old value (multiply-add)."""
    shamt = b[:sew.bit_length() - 1]
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
        AluOp.SUB: (a - b)[:sew],
        AluOp.RSUB: (b - a)[:sew],
        AluOp.AND: a & b,
        AluOp.OR: a | b,
        AluOp.XOR: a ^ b,
        AluOp.SLL: (a << shamt)[:sew],
        AluOp.SRL: a >> shamt,
        AluOp.SRA: (sa >> shamt)[:sew],
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
    pick: In(4)  # per byte: vmerge takes the source
    result: Out(32)

    def elaborate(self, platform) -> Module:
        m = Module()
        with m.Switch(self.sew):
            for code, sew in enumerate(SEWS):
                with m.Case(code):
                    with m.Switch(self.op):
                        for op in AluOp:
                            with m.Case(op):
                                parts = []
                                for k in range(32 // sew):
                                    lo, hi = k * sew, (k + 1) * sew
                                    parts.append(_element(op, self.a[lo:hi], self.b[lo:hi],
                                                          sew, self.pick[lo // 8],
                                                          self.d[lo:hi]))
                                m.d.comb += self.result.eq(Cat(*parts))
        return m
