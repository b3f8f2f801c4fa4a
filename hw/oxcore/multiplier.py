"""Pipelined multiplier for mul, mulh, mulhsu and mulhu.

Built for FPGA multiplier blocks: the 32x32 product is four *unsigned* 16x16 partial
products (each one iCE40 `SB_MAC16` or one ECP5 `MULT18X18D`, which synthesis infers
from a plain `*` of 16-bit operands), summed, and corrected for signed operands in
the high word:

    a * b (signed per op) = au * bu - 2^32 * (a_neg * bu + b_neg * au)   (mod 2^64)

where au, bu are the operands as unsigned numbers and a_neg (b_neg) says the op takes
a (b) as signed and it is negative. The steps: operand flags, the four partial
products, then their sum with the correction and the low/high word select.
`latency` pipeline registers (1..3) are spread over these steps; a new op may enter
every cycle and its result appears on `result` exactly `latency` cycles later
(`result_valid`). The pipeline advances every cycle: the core relies on that fixed
timing.
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
                # With a reset (which the DSP blocks' own registers lack) so that Yosys
                # keeps them, and the adders after them, out of the iCE40 SB_MAC16:
                # its packing of both into the MAC gives a netlist that Yosys's own
                # SB_MAC16 model says is not equivalent (a SAT miter finds a
                # counterexample at once; the post-synthesis simulation of the SoC
                # printed a wrong digit). Without the packing it is proven equivalent
                # nowhere yet either, but no counterexample appears.
                reg = Signal(value.shape(), name=f"{name}_{key}")
                m.d.sync += reg.eq(value)
                regs[key] = reg
            return regs

        op = self.op
        a_signed = (op == MulOp.MULH) | (op == MulOp.MULHSU)
        b_signed = op == MulOp.MULH
        # Step 0: operands and sign corrections.
        v = {"valid": self.valid, "high": op != MulOp.MUL, "a": self.a, "b": self.b,
             "a_neg": a_signed & self.a[31], "b_neg": b_signed & self.b[31]}
        v = stage(v, 0 in cuts, "mul_s0")
        # Step 1: four unsigned 16x16 partial products (one DSP block each); the
        # correction term for signed operands is formed alongside.
        a, b = v["a"], v["b"]
        v = {"valid": v["valid"], "high": v["high"],
             "ll": a[:16] * b[:16], "lh": a[:16] * b[16:], "hl": a[16:] * b[:16],
             "hh": a[16:] * b[16:],
             "fix": (Mux(v["a_neg"], b, 0) + Mux(v["b_neg"], a, 0))[:32]}
        v = stage(v, 1 in cuts, "mul_s1")
        # Step 2: the 64-bit product (mod 2^64) and the word the op wants.
        middle = v["lh"] + v["hl"]  # 33 bits
        low = v["ll"] + (middle[:16] << 16)  # 33 bits: the carry goes to the high word
        high = (v["hh"] + middle[16:] + low[32] - v["fix"])[:32]
        v = {"valid": v["valid"], "result": Mux(v["high"], high, low[:32])}
        v = stage(v, 2 in cuts, "mul_s2")
        m.d.comb += [self.result.eq(v["result"]), self.result_valid.eq(v["valid"])]
        return m
