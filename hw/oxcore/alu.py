"""Integer ALU: the RV32I arithmetic, logic, shift and compare operations."""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.control import AluOp
from hw.oxcore.faults import Fault, Faults


class Alu(wiring.Component):
    """`result = a <op> b`, combinational. Shifts use b[4:0] (RV32 shift amounts)."""

    op: In(AluOp)
    a: In(32)
    b: In(32)
    result: Out(32)

    def __init__(self, faults: Faults = frozenset()) -> None:
        self.faults = faults
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()
        a, b = self.a, self.b
        shamt = b[:5]
        with m.Switch(self.op):
            with m.Case(AluOp.ADD):
                m.d.comb += self.result.eq(a + b)
            with m.Case(AluOp.SUB):
                m.d.comb += self.result.eq(a - b)
            with m.Case(AluOp.SLL):
                m.d.comb += self.result.eq(a << shamt)
            with m.Case(AluOp.SLT):
                m.d.comb += self.result.eq(a.as_signed() < b.as_signed())
            with m.Case(AluOp.SLTU):
                if Fault.SLTU_AS_SLT in self.faults:
                    m.d.comb += self.result.eq(a.as_signed() < b.as_signed())
                else:
                    m.d.comb += self.result.eq(a < b)
            with m.Case(AluOp.XOR):
                m.d.comb += self.result.eq(a ^ b)
            with m.Case(AluOp.SRL):
                m.d.comb += self.result.eq(a >> shamt)
            with m.Case(AluOp.SRA):
                m.d.comb += self.result.eq(a.as_signed() >> shamt)
            with m.Case(AluOp.OR):
                m.d.comb += self.result.eq(a | b)
            with m.Case(AluOp.AND):
                m.d.comb += self.result.eq(a & b)
        return m
