"""Iterative divider for div, divu, rem and remu: one quotient bit per cycle.

Restoring division on the operands' magnitudes, then a sign fix. The RISC-V special
cases fall out of the algorithm: dividing by zero sets every quotient bit (2**32-1,
i.e. -1 for div, whose sign fix is skipped) and leaves the dividend as remainder;
INT_MIN / -1 gives INT_MIN (its magnitude 2**31 negated wraps) with remainder 0.

**Early out.** The cycle after `start` skips the dividend's leading zero bytes: each
of their bits would give a 0 quotient bit and leave the remainder 0, so the division
starts at the first nonzero byte, 8 iterations a byte. Kernels divide small values
(a program id split into grid coordinates, ``pid // OH``: 8 iterations instead of 32),
and a whole-byte shift is a 4-way multiplexer rather than a barrel shifter. A zero
divisor skips nothing (its all-ones quotient needs every iteration).

Handshake: pulse `start` while `ready`; `done` rises `divide_cycles(a, b)` cycles
later (10 for a dividend below 256, at most 34) with `result` and stays until `ack`,
which returns the divider to `ready`.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.control import DivOp
from hw.oxcore.faults import Fault, Faults

ITERATIONS = 32


def divide_cycles(magnitude: int, divisor_is_zero: bool = False) -> int:
    """Cycles from `start` to `done` for a dividend of this magnitude: the start cycle,
    the normalising one, 8 iterations per byte from the highest nonzero one."""
    if divisor_is_zero:
        return ITERATIONS + 2
    return 2 + 8 * ((magnitude.bit_length() + 7) // 8)


class Divider(wiring.Component):
    start: In(1)
    ack: In(1)
    op: In(DivOp)
    a: In(32)
    b: In(32)
    ready: Out(1)
    done: Out(1)
    result: Out(32)

    def __init__(self, faults: Faults = frozenset()) -> None:
        self.faults = faults
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()
        count = Signal(range(ITERATIONS + 1))
        normalise = Signal()  # the cycle after start: skip the leading zero bytes
        done = Signal()
        quotient = Signal(32)  # holds the dividend's remaining bits, then the quotient
        remainder = Signal(32)
        divisor = Signal(32)
        want_rem = Signal()
        negate_q = Signal()
        negate_r = Signal()

        signed = (self.op == DivOp.DIV) | (self.op == DivOp.REM)
        a_neg = signed & self.a[31]
        b_neg = signed & self.b[31]
        m.d.comb += [self.ready.eq((count == 0) & ~done & ~normalise),
                     self.done.eq(done)]

        with m.If(self.start & self.ready):
            m.d.sync += [
                quotient.eq(Mux(a_neg, -self.a, self.a)),
                divisor.eq(Mux(b_neg, -self.b, self.b)),
                remainder.eq(0),
                want_rem.eq((self.op == DivOp.REM) | (self.op == DivOp.REMU)),
                negate_q.eq((a_neg ^ b_neg) & (self.b != 0)),
                negate_r.eq(b_neg if Fault.REM_SIGN in self.faults else a_neg),
                normalise.eq(1),
            ]
        with m.Elif(normalise):
            zero_bytes = Signal(range(5))
            m.d.comb += zero_bytes.eq(Mux(divisor == 0, 0, _leading_zero_bytes(m, quotient)))
            m.d.sync += [
                normalise.eq(0),
                quotient.eq(Mux(zero_bytes == 0, quotient,
                            Mux(zero_bytes == 1, quotient << 8,
                            Mux(zero_bytes == 2, quotient << 16, quotient << 24)))),
                count.eq(ITERATIONS - 8 * zero_bytes),
            ]
            with m.If(zero_bytes == 4):  # a zero dividend: quotient and remainder 0
                m.d.sync += [count.eq(0), done.eq(1)]
        with m.Elif(count != 0):
            shifted = Cat(quotient[31], remainder)  # 33 bits: remainder * 2 + next bit
            diff = shifted - divisor
            fits = ~diff[33]  # no borrow: shifted >= divisor
            m.d.sync += [
                remainder.eq(Mux(fits, diff[:32], shifted[:32])),
                quotient.eq(Cat(fits, quotient[:31])),
                count.eq(count - 1),
            ]
            with m.If(count == 1):
                m.d.sync += done.eq(1)
        with m.Elif(done & self.ack):
            m.d.sync += done.eq(0)

        m.d.comb += self.result.eq(Mux(want_rem, Mux(negate_r, -remainder, remainder),
                                       Mux(negate_q, -quotient, quotient)))
        return m


def _leading_zero_bytes(m: Module, value: Signal) -> Signal:
    """0..4: how many of `value`'s top bytes are zero."""
    count = Signal(range(5))
    with m.If(value == 0):
        m.d.comb += count.eq(4)
    with m.Elif(value[8:] == 0):
        m.d.comb += count.eq(3)
    with m.Elif(value[16:] == 0):
        m.d.comb += count.eq(2)
    with m.Elif(value[24:] == 0):
        m.d.comb += count.eq(1)
    return count
