"""soc-lite: a small stand-in SoC that proves the FPGA flow end to end.

It has the board-facing ports every SoC top of the flow has (`fpga.boards.SOC_SIGNATURE`:
``uart_tx``, ``uart_rx``, ``leds``) and does what the OxCore SoC will do at the
system level, minus the core: after reset it sends a message (a ROM read through a
synchronous read port, like the core's memories) over the UART, then an exit line
``"exit <status>\\n"``, and shows the status on the LEDs.

LEDs (bit 0 first): ``leds[0]`` heartbeat (about 1 Hz), ``leds[1]`` done,
``leds[2:8]`` exit status bits 0-5. Pressing the board's reset button sends the
text again.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import memory, wiring

from fpga.boards import SOC_SIGNATURE
from fpga.uart import DEFAULT_BAUD, UARTTransmitter, baud_divisor

DEFAULT_MESSAGE = b"hello\n"


def exit_line(status: int) -> bytes:
    """The line a SoC sends after the program's output when it stops."""
    return b"exit %d\n" % (status & 0xFF)


def expected_text(message: bytes = DEFAULT_MESSAGE, status: int = 0) -> bytes:
    return message + exit_line(status)


class SocLite(wiring.Component):
    """Sends ``message`` then ``exit <status>`` over the UART after reset.

    ``divisor`` (clock cycles per UART bit) may be given directly, which simulations
    use to keep runs short; otherwise it comes from ``clk_hz`` and ``baud``.
    """

    def __init__(self, *, clk_hz: float, baud: int = DEFAULT_BAUD,
                 message: bytes = DEFAULT_MESSAGE, status: int = 0,
                 divisor: int | None = None, heartbeat_hz: float = 1.0):
        if not message:
            raise ValueError("soc-lite message must not be empty")
        self.clk_hz = clk_hz
        self.divisor = divisor if divisor is not None else baud_divisor(clk_hz, baud)
        self.status = status & 0xFF
        self.text = expected_text(message, self.status)
        self.heartbeat_period = max(2, int(clk_hz / heartbeat_hz / 2))
        super().__init__(SOC_SIGNATURE)

    def elaborate(self, platform):
        m = Module()
        m.submodules.uart = uart = UARTTransmitter(self.divisor)
        m.submodules.rom = rom = memory.Memory(shape=8, depth=len(self.text),
                                               init=list(self.text))
        rd = rom.read_port(domain="sync")

        index = Signal(range(len(self.text) + 1))
        done = Signal()
        m.d.comb += [
            rd.addr.eq(index),
            rd.en.eq(1),
            self.uart_tx.eq(uart.tx),
            uart.data.payload.eq(rd.data),
        ]
        # The read port's data is valid one cycle after `index` changes.
        with m.FSM():
            with m.State("FETCH"):
                with m.If(index == len(self.text)):
                    m.d.sync += done.eq(1)
                    m.next = "DONE"
                with m.Else():
                    m.next = "SEND"
            with m.State("SEND"):
                m.d.comb += uart.data.valid.eq(1)
                with m.If(uart.data.ready):
                    m.d.sync += index.eq(index + 1)
                    m.next = "FETCH"
            with m.State("DONE"):
                pass

        beat = Signal(range(self.heartbeat_period))
        heartbeat = Signal()
        with m.If(beat == self.heartbeat_period - 1):
            m.d.sync += [beat.eq(0), heartbeat.eq(~heartbeat)]
        with m.Else():
            m.d.sync += beat.eq(beat + 1)

        status = Signal(6)
        with m.If(done):
            m.d.comb += status.eq(self.status)
        m.d.comb += self.leds.eq(heartbeat | (done << 1) | (status << 2))
        return m


def simulate_rtl(soc: wiring.Component, cycles: int, *,
                 divisor: int | None = None) -> tuple[bytes, int]:
    """Run ``soc`` (ports of SOC_SIGNATURE) in Amaranth's simulator for ``cycles`` clock
    cycles; return (the bytes its UART sent, the final LED value)."""
    from amaranth.sim import Simulator

    from fpga.uart import decode_uart
    line: list[int] = []
    leds = 0

    async def testbench(ctx):
        nonlocal leds
        for _ in range(cycles):
            await ctx.tick()
            line.append(ctx.get(soc.uart_tx))
        leds = ctx.get(soc.leds)

    sim = Simulator(soc)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    return decode_uart(line, divisor or soc.divisor), leds


def make_soc_lite(board, config=None, **kwargs) -> SocLite:
    """SoC factory for `fpga.flow.build`: a SocLite for the board's clock."""
    return SocLite(clk_hz=board.clk_hz, **kwargs)
