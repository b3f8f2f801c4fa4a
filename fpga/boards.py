"""The boards the flow builds for, through amaranth-boards platform classes.

Each `Board` names its amaranth-boards platform, its FPGA family, the core configuration
it builds by default (``default`` on the ECP5 boards, ``small`` on the iCEBreaker), and
which of its resources are the SoC's clock, reset button, UART and LEDs.

A SoC top for the flow is a `wiring.Component` with the ports of `SOC_SIGNATURE`
(``uart_tx``, ``uart_rx``, ``leds``) clocked by the ``sync`` domain. `BoardTop` puts it
on a board: the platform makes ``sync`` from the board clock, with the reset button as
its (synchronised) reset, and the ports are wired to the board's pins.

| board        | FPGA             | clock: board / SoC | reset button | UART                  | LEDs |
|--------------|------------------|--------------------|--------------|-----------------------|------|
| ulx3s        | LFE5U-85F        | 25 / 50 MHz (PLL)  | F1 (``button_fire`` 0) | FTDI USB serial | 8 |
| orangecrab   | LFE5U-85F        | 48 MHz             | user button  | header pins 1 (TX) / 0 (RX) | RGB LED (3) |
| ecpix5       | LFE5UM5G-85F     | 100 / 50 MHz (PLL) | ``rst`` button | FT2232 channel B    | 4 RGB LEDs (8 used) |
| icebreaker   | iCE40UP5K        | 12 MHz             | user button  | FT2232 channel B      | 2 + 5 on the break-off PMOD |

Where the SoC clock differs from the board's oscillator, `BoardTop` makes ``sync`` with
an ECP5 PLL (``EHXPLLL``, parameters from `ecp5_pll`) and holds the SoC in reset until
the PLL locks; nextpnr derives the SoC clock's constraint from the PLL, so a build that
cannot run at that clock fails timing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from amaranth.build import Attrs, Platform
from amaranth.hdl import ClockDomain, ClockSignal, Elaboratable, Instance, Module, Signal
from amaranth.lib import io, wiring
from amaranth.lib.cdc import ResetSynchronizer
from amaranth.lib.wiring import In, Out

from fpga.tools import FpgaError

LED_COUNT = 8

# The board-facing ports of every SoC top built by the flow.
SOC_SIGNATURE = wiring.Signature({
    "uart_tx": Out(1, init=1),
    "uart_rx": In(1, init=1),
    "leds": Out(LED_COUNT),
})


def _ulx3s() -> Platform:
    from amaranth_boards.ulx3s import ULX3S_85F_Platform
    return ULX3S_85F_Platform()


def _orangecrab() -> Platform:
    from amaranth_boards.orangecrab_r0_2 import OrangeCrabR0_2_85FPlatform
    from amaranth_boards.resources import UARTResource
    platform = OrangeCrabR0_2_85FPlatform()
    # No UART on the board: put one on the Feather header (silkscreen 1 = TX, 0 = RX),
    # for a 3.3 V USB-serial adapter.
    platform.add_resources([
        UARTResource(0, rx="0", tx="1", conn=("io", 0),
                     attrs=Attrs(IO_TYPE="LVCMOS33", PULLMODE="UP")),
    ])
    return platform


def _ecpix5() -> Platform:
    from amaranth_boards.ecpix5 import ECPIX585Platform
    return ECPIX585Platform()


def _icebreaker() -> Platform:
    from amaranth_boards.icebreaker import ICEBreakerPlatform
    platform = ICEBreakerPlatform()
    platform.add_resources(platform.break_off_pmod)  # LEDs 2-6 (default PMOD2 position)
    return platform


@dataclass(frozen=True)
class Board:
    name: str
    title: str
    family: str                       # "ecp5" or "ice40"
    device: str
    default_config: str
    make_platform: Callable[[], Platform] = field(repr=False)
    reset: str                        # resource name, number 0: the reset button
    leds: tuple[tuple[str, int, str | None], ...]   # (resource, number, subsignal)
    uart: tuple[str, int] = ("uart", 0)
    openfpgaloader: tuple[str, ...] = ()            # board arguments for openFPGALoader
    bitstream_ext: str = ".bit"
    notes: str = ""
    pll_hz: float | None = None       # SoC clock made by a PLL (None: the board clock)

    def platform(self) -> Platform:
        platform = self.make_platform()
        # The platform's `sync` domain takes its reset from `default_rst` (through a
        # reset synchroniser; on ECP5 through GSR), so the button resets the whole SoC.
        platform.default_rst = self.reset
        return platform

    @property
    def board_clk_hz(self) -> float:
        """The oscillator's frequency."""
        return self.make_platform().default_clk_frequency

    @property
    def clk_hz(self) -> float:
        """The SoC's clock (``sync``): what UART divisors and timing are made for."""
        return self.pll_hz or self.board_clk_hz

    @property
    def bitstream_name(self) -> str:
        return "bitstream" + self.bitstream_ext


BOARDS: dict[str, Board] = {b.name: b for b in (
    Board(
        name="ulx3s", title="Radiona ULX3S-85F", family="ecp5", device="LFE5U-85F-6BG381",
        default_config="default", make_platform=_ulx3s, reset="button_fire",
        leds=tuple(("led", i, None) for i in range(8)), pll_hz=50e6,
        openfpgaloader=("-b", "ulx3s"),
        notes="reset: button F1; UART: the FTDI USB port (/dev/ttyUSB0)"),
    Board(
        name="orangecrab", title="OrangeCrab r0.2 85F", family="ecp5",
        device="LFE5U-85F-8MG285",
        default_config="default", make_platform=_orangecrab, reset="button",
        leds=(("rgb_led", 0, "r"), ("rgb_led", 0, "g"), ("rgb_led", 0, "b")),
        openfpgaloader=("-b", "orangeCrab"),
        notes="UART on the Feather header: TX = pin 1, RX = pin 0 (3.3 V adapter); "
              "program over USB DFU (hold the button while plugging in)"),
    Board(
        name="ecpix5", title="LambdaConcept ECPIX-5 85", family="ecp5",
        device="LFE5UM5G-85F-8BG554",
        default_config="default", make_platform=_ecpix5, reset="rst", pll_hz=50e6,
        leds=tuple(("rgb_led", i, "g") for i in range(4))
             + tuple(("rgb_led", i, "r") for i in range(4)),
        openfpgaloader=("-b", "ecpix5"),
        notes="LEDs: bits 0-3 green, bits 4-7 red of RGB LEDs 0-3"),
    Board(
        name="icebreaker", title="1BitSquared iCEBreaker", family="ice40",
        device="iCE40UP5K-SG48",
        default_config="small", make_platform=_icebreaker, reset="button",
        leds=tuple(("led", i, None) for i in range(7)),
        openfpgaloader=("-b", "ice40_generic"), bitstream_ext=".bin",
        notes="LEDs 0-1 on the board, 2-6 on the break-off PMOD; "
              "openFPGALoader writes the SPI flash"),
)}

DEFAULT_BOARD = "ulx3s"


def get_board(name: str | None) -> Board:
    board = BOARDS.get((name or DEFAULT_BOARD).lower())
    if board is None:
        raise FpgaError(f"unknown board {name!r} (boards: {', '.join(BOARDS)})")
    return board


class BoardTop(Elaboratable):
    """A SoC (ports of `SOC_SIGNATURE`) wired to a board's UART and LEDs. Extra LED
    bits the board lacks are dropped; LEDs the SoC does not drive stay off."""

    def __init__(self, board: Board, soc: wiring.Component):
        missing = {"uart_tx", "uart_rx", "leds"} - set(soc.signature.members.keys())
        if missing:
            raise FpgaError(f"SoC top lacks port(s) {', '.join(sorted(missing))} "
                            "(see fpga.boards.SOC_SIGNATURE)")
        self.board = board
        self.soc = soc

    def elaborate(self, platform):
        m = Module()
        m.submodules.soc = soc = self.soc
        if self.board.pll_hz:
            self._pll_domain(m, platform)
        uart = platform.request(*self.board.uart, dir="-")
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.submodules.uart_rx = rx = io.Buffer("i", uart.rx)
        m.d.comb += [tx.o.eq(soc.uart_tx), soc.uart_rx.eq(rx.i)]
        requested: dict[tuple[str, int], object] = {}
        for bit, (name, number, sub) in enumerate(self.board.leds[:len(soc.leds)]):
            if (name, number) not in requested:
                requested[name, number] = platform.request(name, number, dir="-")
            port = requested[name, number]
            m.submodules[f"led_{bit}"] = led = io.Buffer("o", getattr(port, sub) if sub
                                                          else port)
            m.d.comb += led.o.eq(soc.leds[bit])
        return m

    def _pll_domain(self, m: Module, platform) -> None:
        """``sync`` from an ECP5 PLL, in reset while the button is held or the PLL is not
        locked (the platform then makes no ``sync`` of its own)."""
        if self.board.family != "ecp5":
            raise FpgaError(f"{self.board.name}: a PLL clock is only supported on ECP5")
        fin, fout = self.board.board_clk_hz, self.board.pll_hz
        params = ecp5_pll(fin, fout)
        m.submodules.clk_in = clk_in = io.Buffer(
            "i", platform.request(platform.default_clk, 0, dir="-"))
        m.submodules.reset_in = reset_in = io.Buffer(
            "i", platform.request(self.board.reset, 0, dir="-"))
        m.domains.sync = ClockDomain("sync")
        locked = Signal()
        m.submodules.pll = Instance(
            "EHXPLLL",
            a_FREQUENCY_PIN_CLKI=f"{fin / 1e6:g}", a_FREQUENCY_PIN_CLKOP=f"{fout / 1e6:g}",
            a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
            a_MFG_GMCREF_SEL="2",
            p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
            p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_CLKOP_ENABLE="ENABLED",
            p_CLKI_DIV=params["CLKI_DIV"], p_CLKFB_DIV=params["CLKFB_DIV"],
            p_CLKOP_DIV=params["CLKOP_DIV"], p_CLKOP_CPHASE=(params["CLKOP_DIV"] - 1) // 2,
            p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP",
            i_CLKI=clk_in.i, i_CLKFB=ClockSignal("sync"), o_CLKOP=ClockSignal("sync"),
            i_RST=0, i_STDBY=0, i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1,
            i_PHASELOADREG=1, i_PLLWAKESYNC=0, i_ENCLKOP=0, o_LOCK=locked)
        m.submodules.reset_sync = ResetSynchronizer(reset_in.i | ~locked, domain="sync")


# ECP5 PLL limits (Lattice TN1263): PFD input 3.125-400 MHz, VCO 400-800 MHz.
_PFD_MHZ = (3.125, 400.0)
_VCO_MHZ = (400.0, 800.0)


def ecp5_pll(fin_hz: float, fout_hz: float) -> dict[str, int]:
    """EHXPLLL dividers (CLKOP fed back) giving exactly `fout_hz` from `fin_hz`: fout =
    fin / CLKI_DIV * CLKFB_DIV, VCO = fout * CLKOP_DIV; the VCO nearest the middle of its
    range is chosen."""
    fin, fout = fin_hz / 1e6, fout_hz / 1e6
    best = None
    for clki in range(1, 129):
        pfd = fin / clki
        if not _PFD_MHZ[0] <= pfd <= _PFD_MHZ[1]:
            continue
        for clkfb in range(1, 81):
            if abs(pfd * clkfb - fout) > 1e-9:
                continue
            for clkop in range(1, 129):
                vco = fout * clkop
                if _VCO_MHZ[0] <= vco <= _VCO_MHZ[1]:
                    score = abs(vco - 600)
                    if best is None or score < best[0]:
                        best = (score, {"CLKI_DIV": clki, "CLKFB_DIV": clkfb,
                                        "CLKOP_DIV": clkop})
    if best is None:
        raise FpgaError(f"no ECP5 PLL setting makes exactly {fout:g} MHz from {fin:g} MHz")
    return best[1]
