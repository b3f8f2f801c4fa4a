"""Pipelined multiplier for mul, mulh, mulhsu and mulhu.

One 33x33-bit signed multiply covers all four ops (operands sign- or zero-extended
per op). It is split into steps: extend operands, two partial products (b's low 16
bits and its high 17 bits), their sum, and the low/high word select. `latency`
pipeline registers (1..3) are spread over these steps; a new op may enter every cycle
and its result appears on `result` exactly `latency` cycles later (`result_valid`).
The pipeline advances every cycle: the core relies on that fixed timing.
"""

from amaranth import Module, Mux, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.control import MulOp

MAX_LATENCY = 3


class Multiplier(wiring.Component):
    valid: In(1)
    op: In(MulOp)
    a: In(32)
    b: In(32)
    result: Out(32)
    result_valid: Out(1)

    def __init__(self, latency: int) -> None:
        if not 1 <= latency <= MAX_LATENCY:
            raise ValueError(f"multiplier latency {latency} not in 1..{MAX_LATENCY}")
        self.latency = latency
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()
        # Registers are placed after these steps (index into STEPS below).
        cuts = {1: {0}, 2: {1, 2}, 3: {0, 1, 2}}[self.latency]

        def stage(values: dict[str, Value], cut: bool, name: str) -> dict[str, Value]:
            if not cut:
                return values
            regs = {}
            for key, value in values.items():
                reg = Signal.like(value, name=f"{name}_{key}") if isinstance(value, Signal) \
                    else Signal(value.shape(), name=f"{name}_{key}")
                m.d.sync += reg.eq(value)
                regs[key] = reg
            return regs

        op = self.op
        a_signed = (op == MulOp.MULH) | (op == MulOp.MULHSU)
        b_signed = op == MulOp.MULH
        # Step 0: 33-bit operands whose signed product is the exact 64-bit result.
        a33 = Mux(a_signed, self.a.as_signed(), self.a).as_signed()
        b33 = Mux(b_signed, self.b.as_signed(), self.b).as_signed()
        v = {"valid": self.valid, "high": op != MulOp.MUL, "a": a33[:33].as_signed(),
             "b": b33[:33].as_signed()}
        v = stage(v, 0 in cuts, "mul_s0")
        # Step 1: partial products over b's low 16 (unsigned) and high 17 (signed) bits.
        v = {"valid": v["valid"], "high": v["high"],
             "lo": v["a"] * v["b"][:16], "hi": v["a"] * v["b"][16:33].as_signed()}
        v = stage(v, 1 in cuts, "mul_s1")
        # Step 2: the full product.
        v = {"valid": v["valid"], "high": v["high"], "product": v["lo"] + (v["hi"] << 16)}
        v = stage(v, 2 in cuts, "mul_s2")
        # Step 3: word select.
        m.d.comb += [
            self.result.eq(Mux(v["high"], v["product"][32:64], v["product"][:32])),
            self.result_valid.eq(v["valid"]),
        ]
        return m
