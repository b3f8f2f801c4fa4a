"""What a place-and-route run achieved: utilisation, Fmax, critical path.

Sources, all written by the tools in the build directory:

* nextpnr's JSON report (``--report report.json``): ``utilization`` (cell type ->
  used/available), ``fmax`` (clock -> achieved/constraint MHz) and ``critical_paths``
  (per clock pair, the path's steps with cells, ports, nets, delays and the HDL source
  lines of each net);
* nextpnr's log (``top.tim``): its "Device utilisation" table and ``ERROR:`` lines,
  which are there even when P&R stops early (a design that does not fit writes no JSON
  report);
* Yosys's ``stat -json`` after synthesis (``synth_stat.json``): LUT4 and flip-flop counts,
  which nextpnr's iCE40 report does not separate (an ICESTORM_LC holds one of each).

`parse_report` builds a `PnrReport`; `PnrReport.format()` is the text ``make fpga``
prints, `PnrReport.as_dict()` the JSON it writes next to the bitstream.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fpga.area import classify_cell

# Generic resource -> nextpnr cell type, per family. iCE40 LUT/FF are counted from the
# synthesized netlist against the number of logic cells (one LUT4 + one FF each).
PNR_CELLS: dict[str, dict[str, str]] = {
    "ecp5": {"LUT": "TRELLIS_COMB", "FF": "TRELLIS_FF", "DSP": "MULT18X18D",
             "BRAM": "DP16KD", "LUTRAM": "TRELLIS_RAMW", "IO": "TRELLIS_IO"},
    "ice40": {"LC": "ICESTORM_LC", "LUT": "ICESTORM_LC", "FF": "ICESTORM_LC",
              "DSP": "ICESTORM_DSP", "BRAM": "ICESTORM_RAM", "SPRAM": "ICESTORM_SPRAM",
              "IO": "SB_IO"},
}
# Resources counted from the synthesized netlist (display name), against the available
# count of the P&R cell above.
FROM_SYNTHESIS: dict[str, dict[str, str]] = {"ice40": {"LUT": "SB_LUT4", "FF": "SB_DFF*"}}


@dataclass
class Usage:
    resource: str       # LUT, FF, DSP, BRAM, ...
    cell: str           # the device's cell type it is counted in
    used: int
    available: int
    source: str = "pnr"  # "pnr" (nextpnr) or "synth" (Yosys netlist)

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.available if self.available else 0.0

    @property
    def fits(self) -> bool:
        return self.used <= self.available


@dataclass
class ClockTiming:
    clock: str
    achieved_mhz: float
    constraint_mhz: float

    @property
    def met(self) -> bool:
        return self.achieved_mhz >= self.constraint_mhz


@dataclass
class PathEnd:
    cell: str
    port: str
    net: str = ""        # the net leaving the start / arriving at the end
    source: str = ""     # the HDL line that net comes from, when nextpnr knows it

    def __str__(self) -> str:
        text = f"{self.cell}.{self.port}"
        extra = ", ".join(x for x in (f"net {self.net}" if self.net else "", self.source) if x)
        return f"{text} ({extra})" if extra else text


@dataclass
class CriticalPath:
    clock: str
    delay_ns: float
    logic_ns: float
    routing_ns: float
    steps: int
    start: PathEnd
    end: PathEnd


@dataclass
class PnrReport:
    family: str
    usage: list[Usage] = field(default_factory=list)
    clocks: list[ClockTiming] = field(default_factory=list)
    critical_paths: list[CriticalPath] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def overused(self) -> list[Usage]:
        return [u for u in self.usage if not u.fits]

    def failing_clocks(self, target_mhz: float | None = None) -> list[ClockTiming]:
        return [c for c in self.clocks
                if not c.met or (target_mhz is not None and c.achieved_mhz < target_mhz)]

    def get(self, resource: str) -> Usage | None:
        return next((u for u in self.usage if u.resource == resource), None)

    def as_dict(self) -> dict:
        return asdict(self)

    def format(self, target_mhz: float | None = None) -> str:
        lines = [f"{'resource':<8} {'counted as':<14} {'used':>7} / {'avail':<7} {'use':>6}"]
        for u in self.usage:
            note = "  (synthesis)" if u.source == "synth" else ""
            flag = "  DOES NOT FIT" if not u.fits else ""
            lines.append(f"{u.resource:<8} {u.cell:<14} {u.used:>7} / {u.available:<7} "
                         f"{u.percent:>5.1f}%{note}{flag}")
        for c in self.clocks:
            verdict = "PASS" if c.met else "FAIL"
            line = (f"clock {c.clock}: Fmax {c.achieved_mhz:.2f} MHz against "
                    f"{c.constraint_mhz:.2f} MHz constraint: {verdict}")
            if target_mhz is not None:
                line += (f"; target {target_mhz:g} MHz: "
                         f"{'PASS' if c.achieved_mhz >= target_mhz else 'FAIL'}")
            lines.append(line)
        for p in self.critical_paths:
            lines.append(f"critical path ({p.clock}): {p.delay_ns:.2f} ns in {p.steps} steps "
                         f"({p.logic_ns:.2f} ns logic, {p.routing_ns:.2f} ns routing)")
            lines.append(f"  start: {p.start}")
            lines.append(f"  end:   {p.end}")
        lines.extend(f"nextpnr: {e}" for e in self.errors)
        return "\n".join(lines)


def clean_clock(name: str) -> str:
    """nextpnr names a clock after its net, e.g. ``$glbnet$cd_sync.clk``."""
    return name.removeprefix("$glbnet$")


_UTIL_LINE = re.compile(r"^Info:\s+(\S+):\s+(\d+)/\s*(\d+)\s+\d+%")
_FMAX_LINE = re.compile(r"Max frequency for clock '([^']+)': ([\d.]+) MHz \((PASS|FAIL) at ([\d.]+) MHz\)")


def parse_log_utilisation(log: str) -> dict[str, tuple[int, int]]:
    """The last "Device utilisation" table of a nextpnr log: cell -> (used, available)."""
    tables: list[dict[str, tuple[int, int]]] = []
    current: dict[str, tuple[int, int]] | None = None
    for line in log.splitlines():
        if "Device utilisation:" in line:
            current = {}
            tables.append(current)
            continue
        if current is not None:
            m = _UTIL_LINE.match(line)
            if m:
                current[m.group(1)] = (int(m.group(2)), int(m.group(3)))
            else:
                current = None
    return tables[-1] if tables else {}


def parse_log_fmax(log: str) -> list[ClockTiming]:
    """The final "Max frequency" line per clock of a nextpnr log (the post-route one)."""
    found: dict[str, ClockTiming] = {}
    for m in _FMAX_LINE.finditer(log):
        clock = clean_clock(m.group(1))
        found[clock] = ClockTiming(clock, float(m.group(2)), float(m.group(4)))
    return list(found.values())


def parse_log_errors(log: str) -> list[str]:
    seen: list[str] = []
    for line in log.splitlines():
        idx = line.find("ERROR: ")
        if idx >= 0:
            msg = line[idx + len("ERROR: "):].strip()
            if msg not in seen:
                seen.append(msg)
    return seen


def synth_counts(stat: Mapping, family: str) -> dict[str, int]:
    """Design-wide resource counts from a flat netlist's ``stat -json``."""
    design = stat.get("design") or next(iter(stat["modules"].values()))
    counts: dict[str, int] = {}
    for cell, n in design.get("num_cells_by_type", {}).items():
        for res, k in classify_cell(family, cell).items():
            counts[res] = counts.get(res, 0) + k * n
    return counts


def _short_source(source: str) -> str:
    """``/abs/repo/fpga/uart.py:66`` -> ``fpga/uart.py:66`` when under the current
    directory."""
    path, sep, line = source.rpartition(":")
    if not sep or not os.path.isabs(path):
        return source
    try:
        return os.path.relpath(path) + sep + line if Path(path).resolve().is_relative_to(
            Path.cwd().resolve()) else source
    except (OSError, ValueError):
        return source


def _path_end(step: Mapping, which: str, net_step: Mapping | None) -> PathEnd:
    where = step[which]
    net = net_step.get("net", "") if net_step else ""
    sources = net_step.get("sources", []) if net_step else []
    return PathEnd(where["cell"], where["port"], net,
                   _short_source(sources[0]) if sources else "")


def parse_critical_path(entry: Mapping) -> CriticalPath:
    path = entry["path"]
    routing = [s for s in path if s.get("type") == "routing"]
    logic = sum(s["delay"] for s in path if s.get("type") != "routing")
    start = _path_end(path[0], "from", routing[0] if routing else None)
    end = _path_end(path[-1], "to", routing[-1] if routing else None)
    return CriticalPath(
        clock=clean_clock(entry["from"].split(" ", 1)[-1]),
        delay_ns=sum(s["delay"] for s in path),
        logic_ns=logic,
        routing_ns=sum(s["delay"] for s in routing),
        steps=len(path),
        start=start, end=end,
    )


def parse_report(family: str, *, report: Mapping | None = None, log: str = "",
                 synth_stat: Mapping | None = None) -> PnrReport:
    """Build a `PnrReport` from nextpnr's JSON report (when P&R finished), its log (always)
    and Yosys's post-synthesis ``stat -json`` (iCE40 LUT/FF split)."""
    if report is not None:
        table = {cell: (v["used"], v["available"]) for cell, v in report["utilization"].items()}
    else:
        table = parse_log_utilisation(log)
    synth = synth_counts(synth_stat, family) if synth_stat is not None else {}
    out = PnrReport(family=family)
    for resource, cell in PNR_CELLS[family].items():
        if cell not in table:
            continue
        used, available = table[cell]
        source = "pnr"
        shown = cell
        if resource in FROM_SYNTHESIS.get(family, {}):
            if resource not in synth:
                continue
            used, source = synth[resource], "synth"
            shown = FROM_SYNTHESIS[family][resource]
        out.usage.append(Usage(resource, shown, used, available, source))
    if report is not None:
        out.clocks = [ClockTiming(clean_clock(clk), float(v["achieved"]),
                                  float(v["constraint"]))
                      for clk, v in report.get("fmax", {}).items()]
        for entry in report.get("critical_paths", []):
            src, dst = entry.get("from", ""), entry.get("to", "")
            # The register-to-register path of each clock (not I/O <async> paths).
            if src == dst and src.startswith(("posedge", "negedge")) and entry.get("path"):
                out.critical_paths.append(parse_critical_path(entry))
    else:
        out.clocks = parse_log_fmax(log)
    out.errors = parse_log_errors(log)
    return out
