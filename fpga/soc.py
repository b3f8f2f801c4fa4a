"""The OxCore SoC: the core, its RAM loaded with a program, the syscall unit, the UART
(transmitter, and a receiver for the boot loader) and the LEDs.

    soc = OxSoc(config, program, clk_hz=25e6, family="ecp5")   # ports: SOC_SIGNATURE
    make_soc(board, config, program=Path("x.elf"))             # for `python -m fpga build`

Blocks (`elaborate`):

* `hw.oxcore.core.Core`, started at the program's entry (or the boot loader's), and the
  engines its configuration asks for (`hw.oxcore.engine.engines_for_config`), each on
  its engine port and on a memory port of its own (ECP5 only: the banked data RAM of
  `fpga.ram.SplitRam`; the iCE40 SoC has neither the room nor the RAM ports);
* the RAM: on ECP5 `hw.oxcore.memory.Ram` (one array; true dual-port block RAM); on
  iCE40 `fpga.ram.SplitRam` (a block RAM fetch window plus an SPRAM data copy, filled
  by a boot copy after configuration);
* `fpga.syscall.SyscallUnit`: write() to the UART, exit() and traps reported on the
  UART and the LEDs. Its RAM reads share the data port with the core (and the boot
  loader's writes) through `hw.oxcore.arbiter.Arbiter`, the core first (it leaves the
  port idle while its ecall waits, and is held in reset while the loader runs);
* `fpga.bootload.BootLoader` (``bootloader=True``): a program sent over the UART
  replaces the one in RAM and starts (``python -m fpga load``);
* the UART transmitter at 115200 baud (`UARTTransmitter.for_clock`).

The core and the syscall unit are held in reset while the RAM's boot copy or a load
runs; the board's reset button resets everything (`fpga.boards.BoardTop`).

UART text of a run: the program's write() output (fd 1 and 2), then ``exit N\\n``
(N = exit status, a0 & 0xFF) or ``trap: <cause> at pc 0x<pc>\\n``
(`expected_uart`).

LEDs (bit 0 first; a board shows as many as it has):

| state | LEDs |
|---|---|
| running | bit 0 blinks (1 Hz) |
| exited | bit 0 on, bits 1-7 = exit status bits 0-6 |
| trap (or unknown ecall) | all blink together (4 Hz) |
| receiving a program | bit 1 on |
| bad program frame | bits alternate 0x55 / 0xAA (4 Hz) until a good one arrives |
"""

from __future__ import annotations

import io
from pathlib import Path

from amaranth import Module, Mux, ResetInserter, Signal
from amaranth.lib import wiring

from fpga.boards import SOC_SIGNATURE
from fpga.bootload import BootLoader, UARTReceiver
from fpga.ram import SplitRam
from fpga.syscall import RunStatus, SyscallUnit, exit_text, trap_text
from fpga.uart import DEFAULT_BAUD, UARTTransmitter, baud_divisor
from hw.oxcore.arbiter import Arbiter
from hw.oxcore.bus import SCALAR_PORT
from hw.oxcore.core import Core
from hw.oxcore.engine import engines_for_config
from hw.oxcore.memory import image_words
from oxcore.config import KIB, OxCoreConfig
from oxcore.program import Program, load_program

REPO = Path(__file__).resolve().parent.parent
HELLO_SOURCE = Path(__file__).resolve().parent / "programs" / "hello.c"
ENGINES_SOURCE = HELLO_SOURCE.with_name("engines.c")
PROGRAM_DIR = REPO / "build" / "fpga" / "programs"

# iCE40 fetch window: 8 KiB (16 of the UP5K's 30 block RAMs), more if the image needs
# it, up to 12 KiB (the register file and the message ROM need 5 more).
ICE40_WINDOW = 8 * KIB
ICE40_WINDOW_MAX = 12 * KIB
# ECP5 fetch window: 16 KiB (8 DP16KD), or the code rounded up to a power of two.
ECP5_WINDOW = 16 * KIB


class OxSoc(wiring.Component):
    """Core + RAM + syscall unit + UART (+ boot loader), ports `SOC_SIGNATURE`.

    ``family`` chooses the RAM (``"ecp5"``: one array; ``"ice40"``: `SplitRam`, with
    SPRAM cells if ``spram_primitive``). ``divisor`` (cycles per UART bit) overrides
    the one from ``clk_hz`` for short simulations; ``blink_hz`` scales the LED blink.
    """

    def __init__(self, config: OxCoreConfig, program: Program, *, clk_hz: float,
                 family: str = "ecp5", divisor: int | None = None, bootloader: bool = True,
                 spram_primitive: bool = False, window_bytes: int | None = None,
                 blink_hz: float = 1.0) -> None:
        if family not in ("ecp5", "ice40"):
            raise ValueError(f"unknown FPGA family {family!r}")
        self.config = config
        self.program = program
        self.family = family
        self.clk_hz = clk_hz
        self.divisor = divisor if divisor is not None else baud_divisor(clk_hz, DEFAULT_BAUD)
        self.bootloader = bootloader
        self.blink_period = max(2, int(clk_hz / blink_hz / 2))  # cycles per LED toggle
        if config.engines and family != "ecp5":
            self._MustUse__silence = True  # a refused SoC is no leak
            raise ValueError(f"config {config.name!r} has the "
                             f"{', '.join(config.engines)} engine: only the ECP5 SoC has "
                             "room for engines (their RAM ports are banked block RAM)")
        self.loader = BootLoader(config, program.entry) if bootloader else None
        self.engines = engines_for_config(config)
        self.core = Core(config, self.loader.entry if bootloader else program.entry,
                         engines=len(self.engines))
        self.syscall = SyscallUnit(config)
        self.uart = UARTTransmitter(self.divisor)
        window = (ice40_window if family == "ice40" else ecp5_window)(
            config, program, window_bytes)
        self.ram = SplitRam(config, program, window_words=window // 4, family=family,
                            spram_primitive=spram_primitive,
                            engine_port_bits=[e.mem.signature.data_width
                                              for e in self.engines],
                            engine_port_stages=[e.port_stage for e in self.engines])
        super().__init__(SOC_SIGNATURE)

    def elaborate(self, platform) -> Module:
        m = Module()
        core, ram, loader, sysu = self.core, self.ram, self.loader, self.syscall
        m.submodules.uart = uart = self.uart
        m.d.comb += self.uart_tx.eq(uart.tx)
        ram_busy = ram.busy

        hold = Signal()  # the core and syscall unit wait in reset
        if self.bootloader:
            m.submodules.uart_rx = rx = UARTReceiver(self.divisor)
            m.submodules.bootloader = loader
            m.d.comb += [rx.rx.eq(self.uart_rx), loader.rx.payload.eq(rx.data.payload),
                         loader.rx.valid.eq(rx.data.valid & ~ram_busy)]
            m.d.comb += hold.eq(ram_busy | loader.busy)
            loading, failed = loader.loading, loader.failed
        else:
            m.d.comb += hold.eq(ram_busy)
            loading = failed = 0
        m.submodules.core = ResetInserter(hold)(core)
        m.submodules.ram = ram
        m.submodules.syscall = ResetInserter(hold)(sysu)
        for i, (name, engine) in enumerate(zip(self.config.engines, self.engines)):
            m.submodules[name] = ResetInserter(hold)(engine)  # reset with the core
            wiring.connect(m, core.engine_ports[i], engine.pipe)
            wiring.connect(m, engine.mem, ram.engine_ports[i])

        # Core <-> syscall unit.
        m.d.comb += [sysu.env_req.eq(core.env_req), core.env_resp.eq(sysu.env_resp),
                     sysu.retire.eq(core.retire)]

        # RAM: fetch from the core; the data port shared through a fixed-priority
        # arbiter: the core first (its `ready` is then constant: no stall logic in the
        # pipeline), the boot loader, the syscall unit. The latter two never meet the
        # core (it is held in reset while the loader runs, and has nothing in EX while
        # its ecall waits for the syscall unit), so they do not watch `ready`.
        wiring.connect(m, core.imem, ram.fetch)
        count = 2 + self.bootloader
        m.submodules.data_arbiter = arbiter = Arbiter(count, SCALAR_PORT,
                                                      read_only={count - 1})
        core_port, *others = arbiter.requesters
        if self.bootloader:
            loader_port = others.pop(0)
            m.d.comb += [loader_port.valid.eq(loader.busy), loader_port.write.eq(1),
                         loader_port.addr.eq(loader.bus.addr),
                         loader_port.mask.eq(loader.bus.wmask),
                         loader_port.wdata.eq(loader.bus.wdata)]
        (syscall_port,) = others
        m.d.comb += [syscall_port.valid.eq(sysu.bus.read), syscall_port.write.eq(0),
                     syscall_port.addr.eq(sysu.bus.addr),
                     sysu.bus.rdata.eq(syscall_port.rdata)]
        wiring.connect(m, core.dmem, core_port)
        wiring.connect(m, arbiter.target, ram.data)

        # UART: the syscall unit's bytes, or the boot loader's answers while it runs.
        if self.bootloader:
            with m.If(loader.busy):
                wiring.connect(m, loader.tx, uart.data)
            with m.Else():
                wiring.connect(m, sysu.tx, uart.data)
        else:
            wiring.connect(m, sysu.tx, uart.data)

        # LEDs: blink rates from one free-running counter (powers of two near 1 and
        # 4 Hz).
        bits = max(3, (self.blink_period - 1).bit_length())
        blink = Signal(bits)
        m.d.sync += blink.eq(blink + 1)
        slow, fast = blink[-1], blink[-3]
        leds = self.leds
        with m.If(failed):
            m.d.comb += leds.eq(Mux(fast, 0x55, 0xAA))
        with m.Elif(loading):
            m.d.comb += leds.eq(0b10)
        with m.Elif(sysu.status == RunStatus.EXITED):
            m.d.comb += leds.eq(1 | (sysu.exit_code[:7] << 1))
        with m.Elif(sysu.status == RunStatus.TRAPPED):
            m.d.comb += leds.eq(Mux(fast, 0xFF, 0))
        with m.Else():
            m.d.comb += leds.eq(slow & ~hold)
        return m


def ice40_window(config: OxCoreConfig, program: Program | None,
                 window_bytes: int | None = None) -> int:
    """Bytes of RAM the iCE40 fetch window covers: 8 KiB (or all of a smaller RAM), or
    the program image rounded up to 1 KiB if larger, at most 12 KiB."""
    if window_bytes is None:
        image = len(image_words(config, program)) * 4 if program is not None else 0
        window_bytes = max(ICE40_WINDOW, -(-image // KIB) * KIB)
    window_bytes = min(window_bytes, config.mem_size)
    if window_bytes > ICE40_WINDOW_MAX:
        raise ValueError(f"program image needs {window_bytes} bytes of fetch window; the "
                         f"iCE40 SoC has at most {ICE40_WINDOW_MAX} (block RAM)")
    return window_bytes


def ecp5_window(config: OxCoreConfig, program: Program | None,
                window_bytes: int | None = None) -> int:
    """Bytes of RAM the ECP5 fetch window covers: 16 KiB, or the program's code (its
    executable segments) rounded up to a power of two, at most all of RAM."""
    if window_bytes is None:
        code_end = max((seg.addr + seg.mem_size - config.mem_base
                        for seg in (program.segments if program else ()) if seg.executable),
                       default=0)
        window_bytes = max(ECP5_WINDOW, 1 << max(0, code_end - 1).bit_length())
    return min(window_bytes, config.mem_size)


def expected_uart(stdout: bytes, exit_value: int | None = None,
                  trap: tuple[int, int] | None = None) -> bytes:
    """The UART text of a run: the program's output, then the exit or trap line
    (trap = (cause, pc))."""
    if trap is not None:
        return stdout + trap_text(*trap)
    return stdout + exit_text(exit_value or 0)


def hello_program(config: OxCoreConfig) -> Path:
    """The default program, compiled for ``config``: fpga/programs/hello.c, or with
    engines fpga/programs/engines.c (each engine's result checked by the core)."""
    from sw.cc.driver import compile_c
    flags = ["-Wall", "-Werror"]
    if not config.engines:
        return compile_c([HELLO_SOURCE], PROGRAM_DIR / f"hello-{config.name}.elf", config,
                         opt="2", extra_flags=flags)
    if config.tensor is not None:
        flags.append("-DOXCORE_TENSOR")
    return compile_c([ENGINES_SOURCE], PROGRAM_DIR / f"engines-{config.name}.elf", config,
                     opt="2", extra_flags=flags)


def kernel_program(name: str, config: OxCoreConfig, seed: int = 1) -> Program:
    """A kernel built with its default shape and random inputs (as `oxcore cosim`)."""
    from cosim.kernels import prepare
    from sw.kernels import get_kernel
    kernel = get_kernel(name)
    return prepare(kernel, kernel.parse_shape(None), config, seed).program


def resolve_program(config: OxCoreConfig, program: Path | None = None,
                    kernel: str | None = None) -> Program:
    if program is not None and kernel is not None:
        raise ValueError("give a program or a kernel, not both")
    if kernel is not None:
        return kernel_program(kernel, config)
    return load_program(program if program is not None else hello_program(config), config)


def make_soc(board, config: OxCoreConfig, *, program: Path | None = None,
             kernel: str | None = None, bootloader: bool = True) -> OxSoc:
    """SoC factory for `fpga.cli` (design ``oxcore``): ``program`` (an ELF), ``kernel``
    (a kernel name) or the hello program, on ``board``'s clock and FPGA family."""
    return OxSoc(config, resolve_program(config, program, kernel), clk_hz=board.clk_hz,
                 family=board.family, bootloader=bootloader,
                 spram_primitive=board.family == "ice40")


def interpreter_uart(config: OxCoreConfig, program: Program,
                     max_instructions: int = 10_000_000) -> bytes:
    """The UART text the SoC must send for ``program``: what the golden interpreter
    prints, then the exit or trap line."""
    from cosim.iss import Interpreter
    out = io.BytesIO()
    interp = Interpreter(config, program, stdout=out, stderr=out)
    stop = interp.run(max_instructions)
    if stop.trap is None:
        return expected_uart(out.getvalue(), stop.exit_value)
    return expected_uart(out.getvalue(), trap=(int(stop.trap.cause), stop.trap.pc))


def simulate_soc(soc: OxSoc, max_cycles: int = 1_000_000, *, rx: list[int] | None = None,
                 tail: int = 64) -> tuple[bytes, int, int]:
    """Run ``soc`` in Amaranth's simulator until it has sent its exit or trap line (or
    ``max_cycles``, and not before ``rx`` has been sent); return (the UART text,
    decoded; the LEDs; cycles run). ``rx``: a per-cycle level sequence driven into
    ``uart_rx`` (idle high after it)."""
    from amaranth.sim import Simulator

    from fpga.uart import decode_uart
    line: list[int] = []
    result = {}

    rx_end = len(rx) if rx is not None else 0

    async def bench(ctx):
        idle_for = 0
        for cycle in range(max_cycles):
            if rx is not None:
                ctx.set(soc.uart_rx, rx[cycle] if cycle < len(rx) else 1)
            await ctx.tick()
            line.append(ctx.get(soc.uart_tx))
            if cycle >= rx_end and ctx.get(soc.syscall.done) and not ctx.get(soc.uart.busy):
                idle_for += 1
                if idle_for >= tail:
                    break
            else:
                idle_for = 0
        result["leds"] = ctx.get(soc.leds)

    sim = Simulator(soc)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return decode_uart(line, soc.divisor), result["leds"], len(line)


POSTSYNTH_DIVISOR = 4  # UART bit time in the post-synthesis check: short runs


def postsynth_check(config: OxCoreConfig, family: str = "ice40", *,
                    program: Program | None = None, work_dir: Path | None = None,
                    log=print) -> tuple[str, bool]:
    """The SoC's synthesized netlist runs ``program`` (default: the hello program) and
    must send the same UART text as the SoC in Amaranth's simulator, which must be what
    the golden interpreter prints plus the exit line; the LEDs must agree too. Returns
    (report text, passed). iCE40 only in practice: Yosys has no ECP5 block RAM model."""
    import time

    from fpga.postsynth import postsynth_uart
    if program is None:
        program = load_program(hello_program(config), config)
    expected = interpreter_uart(config, program)

    def soc(primitive: bool) -> OxSoc:
        return OxSoc(config, program, clk_hz=1e6, family=family,
                     divisor=POSTSYNTH_DIVISOR, spram_primitive=primitive, blink_hz=1000)

    start = time.monotonic()
    rtl_text, rtl_leds, cycles = simulate_soc(soc(False))
    rtl_seconds = time.monotonic() - start
    run = postsynth_uart(soc(True), family, cycles=cycles + 64, divisor=POSTSYNTH_DIVISOR,
                         work_dir=work_dir)
    ok = rtl_text == run.text == expected and rtl_leds == run.leds
    times = ", ".join(f"{k} {v:.1f} s" for k, v in run.times.items())
    cells = ", ".join(f"{k} {v}" for k, v in sorted(run.cells.items()))
    lines = [f"post-synthesis: OxCore SoC, config {config.name}, {family}, program "
             f"{Path(program.path).name}, {cycles} cycles",
             f"netlist: {cells}",
             f"interpreter:            {expected!r}",
             f"RTL (pysim) UART:       {rtl_text!r}  LEDs {rtl_leds:#04x}",
             f"netlist (CXXRTL) UART:  {run.text!r}  LEDs {run.leds:#04x}",
             f"{'SAME' if ok else 'DIFFERENT'} (pysim {rtl_seconds:.1f} s, {times})"]
    return "\n".join(lines) + "\n", ok


# ---- area per unit ------------------------------------------------------------------

# The core's units with a name of their own in `oxcore area`; the core's other
# submodules (per-stage pipeline logic: forwarding, issue, fetch, ...) and its own
# cells are "pipeline". SoC blocks: the RAM is "memory".
CORE_UNITS = ("decoder", "regfile", "alu", "branch", "predictor", "multiplier", "divider",
              "lsu", "csr", "hazard")
SOC_UNIT_NAMES = {"ram": "memory"}
# The core's stage components (hw/oxcore/stages/), which hold some units (ID the decoder;
# EX the ALU, branch unit and divider).
STAGE_COMPONENTS = ("fetch", "decode", "execute", "memory_access", "writeback")


def soc_area_report(soc: wiring.Component, family: str, *,
                    work_dir: Path | None = None) -> dict[str, dict[str, int]]:
    """Per-unit resources of an OxSoc synthesized for ``family`` with the hierarchy kept:
    the core's units (`CORE_UNITS`, the rest of the core as "pipeline"), each engine
    (its own logic as "tensor", its parts as "tensor.mac_array", ...), the SoC's
    blocks, "(top)" and "total" (see `fpga.area.area_report`)."""
    import re

    from fpga.area import RESOURCES, _module_counts, _subtree, classify_cell, synthesize
    stat = synthesize(soc, family, work_dir=work_dir)
    modules = _module_counts(stat)
    keys = RESOURCES[family]
    cache: dict[str, dict[str, int]] = {}
    report: dict[str, dict[str, int]] = {}

    def add(unit: str, counts: dict[str, int], times: int = 1) -> None:
        acc = report.setdefault(unit, dict.fromkeys(keys, 0))
        for res, n in counts.items():
            acc[res] = acc.get(res, 0) + n * times

    def short(module: str, parent: str) -> str:
        name = module[len(parent) + 1:] if module.startswith(parent + ".") else module
        return re.sub(r"\$\d+$", "", name)

    def split(parent: str, unit_of) -> None:
        for cell_type, count in modules[parent].items():
            name = cell_type.lstrip("\\")
            if name in modules:
                sub = short(name, parent)
                if unit_of(sub) is None:
                    split(name, unit_of)
                else:
                    add(unit_of(sub), _subtree(family, name, modules, cache), count)
            else:
                add(unit_of(None) or "(top)", classify_cell(family, name), count)

    def core_unit(sub):
        if sub in STAGE_COMPONENTS:
            return None  # a stage component: look inside for the units it holds
        return sub if sub in CORE_UNITS else "pipeline"

    engines = set(soc.config.engines) if hasattr(soc, "config") else set()
    for cell_type, count in modules["top"].items():
        name = cell_type.lstrip("\\")
        if name in modules and short(name, "top") == "core":
            split(name, core_unit)
        elif name in modules and short(name, "top") in engines:  # engine, its parts
            engine = short(name, "top")
            split(name, lambda sub, engine=engine: f"{engine}.{sub}" if sub else engine)
        elif name in modules:
            sub = short(name, "top")
            add(SOC_UNIT_NAMES.get(sub, sub), _subtree(family, name, modules, cache), count)
        else:
            add("(top)", classify_cell(family, name), count)
    total = _subtree(family, "top", modules, cache)
    report["total"] = {k: total.get(k, 0) for k in keys}
    for unit in report:
        for k in keys:
            report[unit].setdefault(k, 0)
    return report


# ---- the boot loader's host side ------------------------------------------------------

def check_loadable(config: OxCoreConfig, program: Program, family: str) -> None:
    """Raise ValueError if the SoC built for ``family`` could not run ``program`` once
    loaded: on iCE40 its code must lie in the fetch window (at least 8 KiB)."""
    from fpga.bootload import image_bytes
    image_bytes(config, program)  # every segment in RAM
    if family in ("ice40", "ecp5"):
        size = ICE40_WINDOW if family == "ice40" else ECP5_WINDOW
        window = config.mem_base + min(size, config.mem_size)
        for seg in program.segments:
            if seg.executable and seg.addr + seg.mem_size > window:
                raise ValueError(
                    f"code up to {seg.addr + seg.mem_size:#x} lies beyond the {family} fetch "
                    f"window (ends at {window:#x}): build the bitstream with this program")


def load_over_uart(port: str, elf: Path, board, config: OxCoreConfig, *,
                   timeout: float = 10.0, baud: int = DEFAULT_BAUD) -> int:
    """Send ``elf`` to the SoC on ``board`` through the serial device ``port`` and print
    what the board sends back until the exit or trap line. Returns the exit status (1
    on a trap, a load error or a timeout)."""
    import os
    import sys
    import termios
    import time

    from fpga.bootload import ERROR_TEXT, OK_TEXT, load_frame
    from fpga.tools import FpgaError
    program = load_program(elf, config)
    try:
        check_loadable(config, program, board.family)
    except ValueError as exc:
        raise FpgaError(f"{elf}: {exc}") from None
    speed = getattr(termios, f"B{baud}", None)
    if speed is None:
        raise FpgaError(f"baud rate {baud} not supported by termios")
    try:
        fd = os.open(port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise FpgaError(f"cannot open {port}: {exc.strerror}") from None
    try:
        attrs = termios.tcgetattr(fd)
        attrs[0] = 0  # iflag: raw
        attrs[1] = 0  # oflag
        attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL  # 8N1
        attrs[3] = 0  # lflag
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        termios.tcflush(fd, termios.TCIOFLUSH)
        frame = load_frame(config, program)
        view = memoryview(frame)
        while view:
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                time.sleep(0.001)
        received = bytearray()
        deadline = time.monotonic() + timeout + len(frame) * 10 / baud
        status = 1
        while time.monotonic() < deadline:
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                chunk = b""
            if not chunk:
                time.sleep(0.01)
                continue
            received += chunk
            text = bytes(received)
            if ERROR_TEXT in text:
                break
            lines = text.split(b"\n")
            done = [l for l in lines[:-1] if l.startswith((b"exit ", b"trap: "))]
            if done:
                last = done[-1]
                status = int(last.split()[1]) if last.startswith(b"exit ") else 1
                break
        else:
            sys.stdout.buffer.write(bytes(received))
            raise FpgaError(f"no exit or trap line from {port} within {timeout:g} s "
                            "(is the OxCore SoC bitstream loaded, with the same config?)")
        text = bytes(received)
        sys.stdout.buffer.write(text.replace(OK_TEXT, b"", 1))
        sys.stdout.flush()
        if ERROR_TEXT in text:
            raise FpgaError("the board reported a bad program frame (load error)")
        return status
    finally:
        os.close(fd)
