"""``python -m fpga``: the commands behind ``make fpga``, ``make fpga-check`` and
``oxcore area``.

    python -m fpga build  [--board ulx3s] [--design NAME] [--prog X.elf | --kernel K]
                          [--config NAME] [--program] [--target-mhz F]
    python -m fpga area   [--config NAME] [--family ecp5|ice40] [--design NAME]
    python -m fpga postsynth [--design oxcore|soc-lite] [--config NAME] [--family ice40|ecp5]
    python -m fpga load   --port /dev/ttyUSB1 [--board B] [--config NAME] X.elf
    python -m fpga check  (full P&R on ULX3S and iCEBreaker + post-synthesis simulation)
    python -m fpga boards

Designs are SoC tops the flow can build, by name (`DESIGNS`). Each names a factory
``factory(board, config, *, program=None, kernel=None) -> wiring.Component`` returning a
component with the ports of `fpga.boards.SOC_SIGNATURE`. ``oxcore`` (the core's SoC,
module ``fpga.soc``) is the default once that module exists; until then ``soc-lite``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from oxcore.config import OxCoreConfig, load_config, sweep
from oxcore.errors import OxCoreError

from fpga.boards import BOARDS, DEFAULT_BOARD, get_board
from fpga.tools import PLACERS, ROUTERS, FpgaError


@dataclass(frozen=True)
class Design:
    name: str
    module: str
    factory: str
    runs_programs: bool
    summary: str

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def load(self):
        if not self.available():
            raise FpgaError(f"design {self.name!r} is not available yet "
                            f"(module {self.module} does not exist)")
        return getattr(importlib.import_module(self.module), self.factory)


DESIGNS: dict[str, Design] = {d.name: d for d in (
    Design("oxcore", "fpga.soc", "make_soc", True,
           "the OxCore core with ELF-initialised memories, UART and LEDs"),
    Design("soc-lite", "fpga.soc_lite", "make_soc_lite", False,
           "demo: sends 'hello' and an exit line over the UART, status on LEDs"),
)}


def default_design() -> str:
    return "oxcore" if DESIGNS["oxcore"].available() else "soc-lite"


def make_component(design: Design, board, config: OxCoreConfig, *,
                   program: Path | None = None, kernel: str | None = None):
    if (program or kernel) and not design.runs_programs:
        raise FpgaError(f"design {design.name!r} runs no program: PROG/KERNEL need the "
                        "OxCore SoC (design 'oxcore')")
    if config.engines:  # never a bitstream or an area figure without the asked-for engine
        engines = f"config {config.name!r} has the {', '.join(config.engines)} engine"
        if not design.runs_programs:
            raise FpgaError(f"{engines}: design {design.name!r} has no core to attach it "
                            "to; use design 'oxcore'")
        if board.family != "ecp5":
            raise FpgaError(f"{engines}: only the ECP5 SoC has room for engines; "
                            f"{board.name} ({board.family}) takes a configuration without "
                            "[vector] or [tensor] (its default: "
                            f"{board.default_config!r})")
    factory = design.load()
    if design.runs_programs:
        return factory(board, config, program=program, kernel=kernel)
    return factory(board, config)


def _config_for(board, name: str | None) -> OxCoreConfig:
    return load_config(name or board.default_config)


def _cmd_build(args) -> int:
    from fpga.flow import build
    board = get_board(args.board)
    design = DESIGNS[args.design or default_design()]
    if args.design is None and design.name == "soc-lite":
        print("note: the OxCore SoC top (fpga/soc.py) is not there yet; building soc-lite")
    config = _config_for(board, args.config)
    component = make_component(design, board, config,
                               program=Path(args.prog) if args.prog else None,
                               kernel=args.kernel)
    from fpga.flow import program_board
    try:
        result = build(board, component, design=design.name, build_root=args.build_root,
                       config=config.name, target_mhz=args.target_mhz,
                       allow_timing_fail=args.allow_timing_fail, seed=args.seed,
                       router=args.router, placer=args.placer,
                       floorplan=not args.no_floorplan)
    except FpgaError as exc:
        if getattr(exc, "report_text", None):
            print(exc.report_text)
        raise
    print(result.text)
    if args.program:
        program_board(board, result.bitstream)
    return 0


def area_text(config_name: str | None = None, family: str = "ecp5",
              design_name: str | None = None) -> str:
    """The per-unit area table of a design (the body of ``oxcore area``). For the OxCore
    SoC the core is split into its units (`fpga.soc.soc_area_report`)."""
    board = _family_board(family)
    return _area(load_config(config_name or board.default_config), family, design_name)[0]


def area_sweep(config_name: str | None, family: str, specs: list[str]):
    """``oxcore area --sweep``: each variant's table as it is synthesized (they take
    minutes apiece), then one of their totals. Every variant is checked first."""
    from fpga.area import RESOURCES
    board = _family_board(family)
    variants = sweep(load_config(config_name or board.default_config), specs)
    totals = []
    for variant in variants:
        text, report = _area(variant, family, None)
        totals.append((variant.name, report["total"]))
        yield text
    keys = RESOURCES[family]
    avail = DEVICE_CAPACITY[board.name]
    width = max(len("config"), *(len(name) for name, _ in totals))
    lines = [f"area summary ({board.device}):",
             f"  {'config':<{width}}  " + "  ".join(f"{k:>14}" for k in keys)]
    for name, total in totals:
        cells = [f"{total.get(k, 0):>7} {100 * total.get(k, 0) / avail[k]:>5.1f}%"
                 if avail.get(k) else f"{total.get(k, 0):>14}" for k in keys]
        lines.append(f"  {name:<{width}}  " + "  ".join(cells))
    yield "\n".join(lines)


def _family_board(family: str):
    return next(b for b in BOARDS.values() if b.family == family)


def _area(config: OxCoreConfig, family: str, design_name: str | None) -> tuple[str, dict]:
    """(the table's text, the report) of `config`'s SoC, synthesized for `family`."""
    from fpga.area import area_report, format_area
    design = DESIGNS[design_name or default_design()]
    board = _family_board(family)
    component = make_component(design, board, config)
    start = time.monotonic()
    if design.name == "oxcore":
        from fpga.soc import soc_area_report
        report = soc_area_report(component, family)
    else:
        report = area_report(component, family)
    seconds = time.monotonic() - start
    avail = DEVICE_CAPACITY[board.name]
    return (f"area of {design.name} (config {config.name}), Yosys synth_{family}, "
            f"hierarchy kept ({seconds:.1f} s); % of {board.device}\n"
            + format_area(report, family, avail)), report


# Capacity of each board's device by generic resource (nextpnr's figures; see
# docs/fpga.md). Used for percentages in the synthesis-only area report.
DEVICE_CAPACITY: dict[str, dict[str, int]] = {
    "ulx3s": {"LUT": 83640, "FF": 83640, "DSP": 156, "BRAM": 208},
    "orangecrab": {"LUT": 83640, "FF": 83640, "DSP": 156, "BRAM": 208},
    "ecpix5": {"LUT": 83640, "FF": 83640, "DSP": 156, "BRAM": 208},
    "icebreaker": {"LUT": 5280, "FF": 5280, "DSP": 8, "BRAM": 30, "SPRAM": 4},
}


def _cmd_area(args) -> int:
    print(area_text(args.config, args.family, args.design))
    return 0


def _cmd_timing(args) -> int:
    from fpga.unit_timing import UNITS, make_unit, unit_timing
    if args.list:
        for name, (what, _) in UNITS.items():
            print(f"{name:<10} {what}")
        return 0
    config = load_config(args.config or "vector")
    unit = make_unit(args.unit, config)
    work = args.build_root / "units" / f"{args.unit}-{config.name}"
    if (args.by_line or args.fanout) and not args.depth:
        raise FpgaError("--by-line and --fanout read the synthesized netlist: use them "
                        "with --depth")
    if args.depth:
        if args.place_only:
            raise FpgaError("--depth places nothing (it reads the synthesized netlist): "
                            "drop --place-only")
        from fpga.logic_depth import deepest_paths, format_paths
        from fpga.unit_timing import synthesize_unit
        synthesize_unit(unit, args.unit, work, abc9=not args.no_abc9)
        paths = deepest_paths(work / "top.json", limit=args.paths)
        text = format_paths(paths, detail=args.detail, nets=args.nets)
        (work / "depth.txt").write_text(text + "\n")
        print(f"unit {args.unit}: the deepest path into each register, estimated from the "
              f"synthesized netlist (no placement; fpga/logic_depth.py)\n{text}")
        if args.by_line:
            from fpga.logic_depth import cells_by_line, format_cells_by_line
            text = format_cells_by_line(cells_by_line(work / "top.json"), args.by_line)
            (work / "cells_by_line.txt").write_text(text + "\n")
            print(f"\nunit {args.unit}: cells by the HDL line of the net each drives\n{text}")
        if args.fanout:
            from fpga.logic_depth import format_widest_nets, widest_nets
            text = format_widest_nets(widest_nets(work / "top.json", args.fanout))
            (work / "fanout.txt").write_text(text + "\n")
            print(f"\nunit {args.unit}: the nets with the most loads\n{text}")
        return 0
    result = unit_timing(unit, args.unit, work, seed=args.seed, place_only=args.place_only,
                         router=args.router, placer=args.placer, abc9=not args.no_abc9,
                         congestion=args.congestion, floorplan=not args.no_floorplan)
    print(result.format())
    return 0


def _cmd_postsynth(args) -> int:
    design = args.design or default_design()
    if design == "oxcore":
        text, ok = run_postsynth_soc(args.config, args.family)
    else:
        text, ok = run_postsynth_demo(args.family)
    sys.stdout.write(text)
    return 0 if ok else 1


def run_postsynth_soc(config_name: str | None = None,
                      family: str = "ice40") -> tuple[str, bool]:
    """The OxCore SoC running the hello program: golden interpreter, the SoC in
    Amaranth's simulator and its synthesized netlist must send the same UART text."""
    from fpga.soc import postsynth_check
    board = next(b for b in BOARDS.values() if b.family == family)
    return postsynth_check(load_config(config_name or board.default_config), family)


def _cmd_load(args) -> int:
    from fpga.soc import load_over_uart
    board = get_board(args.board)
    config = _config_for(board, args.config)
    return load_over_uart(args.port, Path(args.elf), board, config, timeout=args.timeout)


def run_postsynth_demo(family: str = "ice40", divisor: int = 4) -> tuple[str, bool]:
    """soc-lite: the RTL (pysim) and the post-synthesis netlist (CXXRTL) must print the
    same UART text. Returns (report text, passed)."""
    from fpga.postsynth import postsynth_uart
    from fpga.soc_lite import SocLite, simulate_rtl
    dut = SocLite(clk_hz=1e6, divisor=divisor, status=3)
    cycles = len(dut.text) * (10 * divisor + 4) + 64
    rtl_text, _ = simulate_rtl(dut, cycles)
    run = postsynth_uart(SocLite(clk_hz=1e6, divisor=divisor, status=3), family,
                         cycles=cycles, divisor=divisor)
    ok = rtl_text == run.text == dut.text
    times = ", ".join(f"{k} {v:.1f} s" for k, v in run.times.items())
    cells = ", ".join(f"{k} {v}" for k, v in sorted(run.cells.items()))
    lines = [f"post-synthesis ({family}) netlist: {cells}",
             f"RTL (pysim) UART:      {rtl_text!r}",
             f"netlist (CXXRTL) UART: {run.text!r}",
             f"{'SAME' if ok else 'DIFFERENT'} ({times})"]
    return "\n".join(lines) + "\n", ok


def _cmd_check(args) -> int:
    """make fpga-check: full P&R of the targets, then the post-synthesis simulation."""
    from fpga.flow import build
    failures = 0
    targets = [("ulx3s", args.target_mhz), ("icebreaker", None)]
    design = DESIGNS[args.design or default_design()]
    for board_name, target in targets:
        board = get_board(board_name)
        config = _config_for(board, None)
        try:
            component = make_component(design, board, config)
            result = build(board, component, design=design.name, build_root=args.build_root,
                           config=config.name, target_mhz=target)
            print(result.text)
        except OxCoreError as exc:
            if getattr(exc, "report_text", None):
                print(exc.report_text)
            print(f"FAIL {board_name}: {exc}")
            failures += 1
        print()
    if design.name == "oxcore":
        text, ok = run_postsynth_soc(None, "ice40")
    else:
        text, ok = run_postsynth_demo("ice40")
    print(text)
    failures += not ok
    print("fpga-check: " + ("PASS" if not failures else f"{failures} failure(s)"))
    return 1 if failures else 0


def _cmd_boards(args) -> int:
    for b in BOARDS.values():
        clock = f"{b.board_clk_hz / 1e6:g} MHz" + (
            f" -> {b.clk_hz / 1e6:g} MHz (PLL)" if b.pll_hz else "")
        print(f"{b.name:<11} {b.title:<26} {b.device:<20} {clock:<23} "
              f"config {b.default_config:<8} {b.notes}")
    return 0


def _add_floorplan_option(p: argparse.ArgumentParser) -> None:
    """``--no-floorplan``, shared by ``build`` and ``timing`` (`fpga.floorplan`)."""
    p.add_argument("--no-floorplan", action="store_true",
                   help="place a tensor engine's MAC array freely (default: its DSPs "
                        "pinned to a compact block in the die's middle, fpga/floorplan.py)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fpga",
                                     description="OxCore FPGA flow (YoWASP toolchain)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="synthesize, place and route, pack; print the report")
    p.add_argument("--board", default=DEFAULT_BOARD, choices=sorted(BOARDS))
    p.add_argument("--design", choices=sorted(DESIGNS), default=None)
    p.add_argument("--config", default=None, metavar="NAME|FILE.toml",
                   help="core configuration (default: the board's)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--prog", metavar="ELF", help="program the memories are initialised with")
    g.add_argument("--kernel", metavar="NAME", help="a kernel from sw/kernels as the program")
    p.add_argument("--program", action="store_true",
                   help="load the bitstream into a connected board with openFPGALoader")
    p.add_argument("--target-mhz", type=float, default=None,
                   help="also fail unless Fmax reaches this (the board clock is always required)")
    p.add_argument("--allow-timing-fail", action="store_true",
                   help="write the bitstream even if timing fails")
    p.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    p.add_argument("--router", choices=ROUTERS, default=None,
                   help="nextpnr's router (default: nextpnr's own, router1); router2 "
                        "finishes congested designs such as the tensor SoC far sooner")
    p.add_argument("--placer", choices=PLACERS, default=None,
                   help="nextpnr's placer (default: nextpnr's own, heap)")
    _add_floorplan_option(p)
    p.add_argument("--build-root", default="build/fpga", type=Path)
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("area", help="per-unit LUT/FF/DSP/BRAM from synthesis only")
    p.add_argument("--config", default=None, metavar="NAME|FILE.toml")
    p.add_argument("--family", choices=("ecp5", "ice40"), default="ecp5")
    p.add_argument("--design", choices=sorted(DESIGNS), default=None)
    p.set_defaults(func=_cmd_area)

    p = sub.add_parser("timing", help="place and route one unit between registers and "
                                      "print its critical path (minutes, not an hour)")
    p.add_argument("--unit", default="lane", help="which unit (--list names them)")
    p.add_argument("--list", action="store_true", help="list the units")
    p.add_argument("--config", default=None, metavar="NAME|FILE.toml",
                   help="core configuration the unit is built for (default: vector)")
    p.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    p.add_argument("--place-only", action="store_true",
                   help="stop after placement: nextpnr's estimated Fmax (no path), in "
                        "minutes where routing an engine can take an hour")
    p.add_argument("--router", choices=ROUTERS, default="router2",
                   help="nextpnr's router (default router2)")
    p.add_argument("--placer", choices=PLACERS, default="heap",
                   help="nextpnr's placer (default heap, nextpnr's own)")
    p.add_argument("--no-abc9", action="store_true",
                   help="map LUTs with Yosys's older abc instead of synth_ecp5's abc9 "
                        "(a somewhat worse mapping); for finding paths")
    p.add_argument("--congestion", action="store_true",
                   help="router2's heatmaps, summed by design signal into congestion.txt "
                        "(where a placement that does not route is congested)")
    _add_floorplan_option(p)
    p.add_argument("--depth", action="store_true",
                   help="no place and route: the deepest paths of the synthesized netlist "
                        "(LUT levels, estimated ns, HDL lines), in seconds after synthesis")
    p.add_argument("--paths", type=int, default=30, help="--depth: how many paths to list")
    p.add_argument("--detail", type=int, default=5,
                   help="--depth: how many of them to show step by step")
    p.add_argument("--nets", action="store_true",
                   help="--depth: show those steps net by net, not by HDL line")
    p.add_argument("--by-line", type=int, default=0, metavar="N",
                   help="--depth: also the N HDL lines with the most cells (where the "
                        "area goes)")
    p.add_argument("--fanout", type=int, default=0, metavar="N",
                   help="--depth: also the N nets with the most loads (candidates for "
                        "copies of their register)")
    p.add_argument("--build-root", default="build/fpga", type=Path)
    p.set_defaults(func=_cmd_timing)

    p = sub.add_parser("postsynth", help="RTL vs post-synthesis netlist UART text")
    p.add_argument("--design", choices=sorted(DESIGNS), default=None)
    p.add_argument("--config", default=None, metavar="NAME|FILE.toml",
                   help="oxcore: core configuration (default: the family's board's)")
    p.add_argument("--family", choices=("ecp5", "ice40"), default="ice40")
    p.set_defaults(func=_cmd_postsynth)

    p = sub.add_parser("load", help="send a program to a board running the OxCore SoC "
                                    "(UART boot loader) and print its output")
    p.add_argument("elf", metavar="ELF")
    p.add_argument("--port", required=True, help="the board's serial device, e.g. /dev/ttyUSB1")
    p.add_argument("--board", default=DEFAULT_BOARD, choices=sorted(BOARDS))
    p.add_argument("--config", default=None, metavar="NAME|FILE.toml",
                   help="the configuration the bitstream was built with (default: the board's)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for the exit or trap line")
    p.set_defaults(func=_cmd_load)

    p = sub.add_parser("check", help="full P&R on ulx3s and icebreaker + post-synthesis sim")
    p.add_argument("--design", choices=sorted(DESIGNS), default=None)
    p.add_argument("--target-mhz", type=float, default=50.0,
                   help="Fmax the ULX3S build must reach (default 50)")
    p.add_argument("--build-root", default="build/fpga", type=Path)
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("boards", help="list the boards")
    p.set_defaults(func=_cmd_boards)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except OxCoreError as exc:
        print(f"fpga: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("fpga: interrupted", file=sys.stderr)
        return 130
