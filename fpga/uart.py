"""UART transmitter (8N1) and a software decoder for the serial line it drives.

`UARTTransmitter` takes bytes from a `lib.stream` input and shifts them out LSB first
with one start and one stop bit. The bit time is ``divisor`` clock cycles, where
``divisor = round(clk_hz / baud)`` (`baud_divisor`), so a board's clock and a baud rate
are all it needs. The line idles high; ``tx`` comes straight from a register (no
glitches on the pin).

`decode_uart` turns per-cycle samples of the line back into bytes; the pysim test,
the post-synthesis simulation and the netlist check all use it.
"""

from __future__ import annotations

from collections.abc import Iterable

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

DEFAULT_BAUD = 115_200
FRAME_BITS = 10  # start + 8 data + stop


def baud_divisor(clk_hz: float, baud: int = DEFAULT_BAUD) -> int:
    """Clock cycles per bit. Rejects rates the clock cannot make within 2 % (a UART
    receiver tolerates about +-4 % over a frame, shared between both ends)."""
    if baud <= 0 or clk_hz <= 0:
        raise ValueError(f"bad UART timing: clk_hz={clk_hz}, baud={baud}")
    divisor = round(clk_hz / baud)
    if divisor < 2:
        raise ValueError(f"baud {baud} too fast for a {clk_hz / 1e6:g} MHz clock")
    error = abs(clk_hz / divisor - baud) / baud
    if error > 0.02:
        raise ValueError(f"baud {baud} from {clk_hz / 1e6:g} MHz is off by {error:.1%} "
                         f"(divisor {divisor})")
    return divisor


class UARTTransmitter(wiring.Component):
    """8N1 transmitter.

    Ports:
        data: In(stream.Signature(8)) -- a byte is taken when ``valid & ready``; ``ready``
              is high exactly when the transmitter is idle.
        tx:   Out(1) -- the serial line (idle high).
        busy: Out(1) -- a frame is being sent.
    """

    def __init__(self, divisor: int):
        if not isinstance(divisor, int) or divisor < 2:
            raise ValueError(f"UART divisor must be an integer >= 2, got {divisor!r}")
        self.divisor = divisor
        super().__init__({
            "data": In(stream.Signature(8)),
            "tx": Out(1, init=1),
            "busy": Out(1),
        })

    @classmethod
    def for_clock(cls, clk_hz: float, baud: int = DEFAULT_BAUD) -> "UARTTransmitter":
        return cls(baud_divisor(clk_hz, baud))

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self.divisor))
        bits_left = Signal(range(FRAME_BITS + 1))   # 0: idle
        shreg = Signal(9)                           # data bits then the stop bit
        tx = Signal(init=1)

        m.d.comb += [
            self.data.ready.eq(bits_left == 0),
            self.busy.eq(bits_left != 0),
            self.tx.eq(tx),
        ]
        with m.If(bits_left == 0):
            with m.If(self.data.valid):
                m.d.sync += [
                    tx.eq(0),                                   # start bit
                    shreg.eq(Cat(self.data.payload, Const(1, 1))),
                    bits_left.eq(FRAME_BITS),
                    timer.eq(self.divisor - 1),
                ]
        with m.Elif(timer == 0):
            m.d.sync += [
                tx.eq(shreg[0]),
                shreg.eq(Cat(shreg[1:], Const(1, 1))),
                bits_left.eq(bits_left - 1),
                timer.eq(self.divisor - 1),
            ]
        with m.Else():
            m.d.sync += timer.eq(timer - 1)
        return m


def decode_uart(samples: Iterable[int], divisor: int, *, strict: bool = True) -> bytes:
    """Decode an 8N1 line sampled once per clock cycle (``divisor`` cycles per bit).

    Finds each start bit's falling edge, samples every bit in its middle, and (if
    ``strict``) raises ValueError on a framing error (stop bit low) or on a frame cut
    off by the end of the samples."""
    line = [int(s) & 1 for s in samples]
    out = bytearray()
    i, n = 1, len(line)
    while i < n:
        if not (line[i - 1] == 1 and line[i] == 0):
            i += 1
            continue
        start = i
        middle = start + divisor // 2
        if middle + 9 * divisor >= n:
            if strict:
                raise ValueError(f"UART frame starting at cycle {start} is cut off")
            break
        if line[middle] != 0:       # glitch, not a start bit
            i += 1
            continue
        value = 0
        for bit in range(8):
            value |= line[middle + (bit + 1) * divisor] << bit
        if line[middle + 9 * divisor] != 1:
            if strict:
                raise ValueError(f"UART framing error in frame at cycle {start}")
        out.append(value)
        i = middle + 9 * divisor    # in the stop bit; the next edge is a new start
    return bytes(out)
