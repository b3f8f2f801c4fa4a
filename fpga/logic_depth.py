"""Logic depth of a synthesized unit: its deepest register-to-register paths, in seconds.

Routing an engine to read one critical path takes an hour or more here, and the path
after it stays hidden until the first is cut. The synthesized netlist already holds what
sets most of that path: the number of LUTs in series, and which HDL lines they come
from. `deepest_paths` reads Yosys's JSON netlist of ECP5 cells (``top.json`` of
`synthesize_unit`) and estimates every path's delay with a fixed model (`DelayModel`),
calibrated on the engine's routed critical path: nextpnr charged 0.24 ns a LUT4 and
1.0 ns a routed net on average. It then reports the deepest path into each register of
the design (each endpoint named once), so one synthesis shows every path that must be
cut, not only the worst.

The estimate is no timing sign-off: placement can stretch a net well past the average
(congestion, fan-out, a DSP or block RAM far away), and nextpnr's figure after routing is
the one that counts. It ranks paths and counts levels, where it agrees with nextpnr's
critical path (`tests/fpga/test_logic_depth.py` checks it on a netlist of known depth).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from fpga.report import _short_source
from fpga.tools import FpgaError


@dataclass(frozen=True)
class DelayModel:
    """ECP5 -6 delays in ns (nextpnr's for the logic; `net` the routed average)."""
    clock_to_q: float = 0.52     # TRELLIS_FF
    lut: float = 0.24            # LUT4, any input to Z
    net: float = 1.0             # one routed net between cells (not a carry chain)
    carry_in: float = 0.45       # CCU2C, an A..D input to COUT
    carry_through: float = 0.06  # CCU2C, CIN to COUT
    carry_out: float = 0.40      # CCU2C, CIN or an input to S0/S1
    bram_clock_to_out: float = 4.3   # DP16KD without its output register
    lutram_read: float = 0.9     # TRELLIS_DPR16X4, RAD to DO
    multiply: float = 4.5        # MULT18X18D without registers, A/B to P


@dataclass
class PathStep:
    cell: str          # the cell the step leaves
    kind: str          # its type ("clk-to-q" for the start)
    arrival_ns: float  # at the cell's output
    net: str           # the net it drives (its best name)
    source: str        # that net's HDL line, if the design names one


@dataclass
class DeepPath:
    endpoint: str      # the register (or memory, multiplier) input it ends at, by name
    delay_ns: float
    levels: int        # logic cells in series (LUT4, carry cells counted once a chain)
    steps: list[PathStep] = field(default_factory=list)
    alike: int = 0     # other endpoints reached the same way (`deepest_paths`)

    def runs(self) -> list[tuple[str, float, int]]:
        """The path as runs of steps sharing an HDL line: (line, ns in it, steps)."""
        runs: list[list] = []
        before = 0.0
        for step in self.steps:
            delay = step.arrival_ns - before
            before = step.arrival_ns
            if runs and (not step.source or step.source == runs[-1][0]):
                runs[-1][1] += delay
                runs[-1][2] += 1
            else:
                runs.append([step.source or step.kind, delay, 1])
        return [tuple(r) for r in runs]


_BIT_SUFFIX = re.compile(r"(\[\d+\])+$")


def _base_name(name: str) -> str:
    return _BIT_SUFFIX.sub("", name)


class _Netlist:
    """The top module's cells as a bit-level graph: who drives each bit, what each cell
    input waits for, and each bit's best name and HDL line."""

    def __init__(self, netlist: dict, top: str = "top") -> None:
        if top not in netlist.get("modules", {}):
            raise FpgaError(f"the netlist has no module {top!r} (a Yosys JSON netlist of "
                            "the unit harness, `synthesize_unit`, is expected)")
        module = netlist["modules"][top]
        self.cells: dict[str, dict] = {
            name: cell for name, cell in module["cells"].items()
            if not cell["type"].startswith("$scopeinfo")}
        self.names: dict[int, str] = {}
        self.sources: dict[int, str] = {}
        for name, net in sorted(module["netnames"].items(),
                                key=lambda item: (item[1].get("hide_name", 0),
                                                  len(item[0]))):
            src = net.get("attributes", {}).get("src", "")
            own = [s for s in (_short_source(x) for x in src.split("|"))
                   if s and not s.startswith("/share/")]
            for index, bit in enumerate(net["bits"]):
                if isinstance(bit, int) and bit not in self.names:
                    self.names[bit] = name if len(net["bits"]) == 1 else f"{name}[{index}]"
                    if own:
                        self.sources[bit] = own[0]
        self.driver: dict[int, tuple[str, str]] = {}
        for name, cell in self.cells.items():
            for port, bits in cell["connections"].items():
                if cell["port_directions"].get(port) == "output":
                    for bit in bits:
                        if isinstance(bit, int):
                            self.driver[bit] = (name, port)

    def bits(self, cell: dict, port: str) -> list[int]:
        return [b for b in cell["connections"].get(port, []) if isinstance(b, int)]

    def readers(self) -> dict[int, list[dict]]:
        """Each bit's reading cells, a cell once for each input pin on the bit."""
        readers: dict[int, list[dict]] = defaultdict(list)
        for cell in self.cells.values():
            for port, direction in cell["port_directions"].items():
                if direction == "input":
                    for bit in self.bits(cell, port):
                        readers[bit].append(cell)
        return readers


def _arcs(cell: dict, model: DelayModel) -> tuple[list[tuple[str, str, float]], bool]:
    """A cell's combinational arcs (input port, output port, delay) and whether its
    outputs start paths (a clocked output). Ports are bit ports (ECP5 cells are)."""
    kind = cell["type"]
    ports = cell["port_directions"]
    inputs = [p for p, d in ports.items() if d == "input"]
    outputs = [p for p, d in ports.items() if d == "output"]
    if kind == "LUT4":
        return [(p, "Z", model.lut) for p in "ABCD"], False
    if kind == "CCU2C":
        arcs = [("CIN", "COUT", model.carry_through), ("CIN", "S0", model.carry_out),
                ("CIN", "S1", model.carry_out)]
        for i in (0, 1):
            for p in "ABCD":
                arcs.append((f"{p}{i}", "COUT", model.carry_in))
                arcs.append((f"{p}{i}", f"S{i}", model.carry_out))
                if i == 0:
                    arcs.append((f"{p}0", "S1", model.carry_out))
        return arcs, False
    if kind in ("PFUMX", "L6MUX21"):
        return [(p, "Z", model.lut) for p in inputs], False
    if kind == "TRELLIS_DPR16X4":
        return [(p, "DO", model.lutram_read) for p in ("RAD",)], False
    if kind == "MULT18X18D":
        registered = any(v not in ("NONE", "") for k, v in cell["parameters"].items()
                         if k.startswith("REG_"))
        if registered:
            return [], True
        return [(i, o, model.multiply) for i in inputs if i[0] in "ABC"
                for o in outputs if o.startswith("P")], False
    # TRELLIS_FF, DP16KD and anything else: clocked, outputs start paths
    return [], True


def _expand(net: _Netlist, model: DelayModel):
    """Per cell: (input bit, output bit, delay) arcs, and the clocked output bits."""
    arcs: list[tuple[int, int, float, str]] = []
    starts: dict[int, float] = {}
    for name, cell in net.cells.items():
        cell_arcs, clocked = _arcs(cell, model)
        if clocked:
            start = (model.bram_clock_to_out if cell["type"] == "DP16KD"
                     else model.clock_to_q)
            for port, direction in cell["port_directions"].items():
                if direction == "output":
                    for bit in net.bits(cell, port):
                        starts[bit] = start
        for port_in, port_out, delay in cell_arcs:
            for bit_in in net.bits(cell, port_in):
                for bit_out in net.bits(cell, port_out):
                    arcs.append((bit_in, bit_out, delay, name))
    return arcs, starts


def deepest_paths(netlist_path: Path, *, limit: int = 20,
                  model: DelayModel = DelayModel()) -> list[DeepPath]:
    """The deepest path into each endpoint register of the netlist, the `limit` deepest
    first (module docstring)."""
    net = _Netlist(json.loads(Path(netlist_path).read_text()))
    arcs, starts = _expand(net, model)
    fanin: dict[int, list[tuple[int, float, str]]] = defaultdict(list)
    for bit_in, bit_out, delay, cell in arcs:
        fanin[bit_out].append((bit_in, delay, cell))
    arrival: dict[int, float] = dict(starts)
    came_from: dict[int, tuple[int, str]] = {}
    carry_ports = {"COUT", "CIN"}

    visiting: set[int] = set()

    def settle(bit: int) -> float:
        """Longest arrival at `bit` (iterative depth-first: chains run thousands deep; a
        combinational loop, which a synthesized design should not have, is cut where
        the walk meets it again)."""
        stack = [bit]
        while stack:
            top = stack[-1]
            if top in arrival:
                stack.pop()
                continue
            pending = [b for b, _, _ in fanin.get(top, ())
                       if b not in arrival and b not in visiting]
            if pending:
                visiting.add(top)
                stack.extend(pending)
                continue
            best, best_from = 0.0, None
            for bit_in, delay, cell in fanin.get(top, ()):
                driver = net.driver.get(bit_in)
                # a routed net between cells, except along a carry chain
                hop = 0.0 if (driver and driver[1] in carry_ports) else model.net
                value = arrival.get(bit_in, 0.0) + hop + delay
                if value > best:
                    best, best_from = value, (bit_in, cell)
            arrival[top] = best
            visiting.discard(top)
            if best_from is not None:
                came_from[top] = best_from
            stack.pop()
        return arrival[bit]

    endpoints: dict[str, tuple[float, int]] = {}
    for name, cell in net.cells.items():
        cell_arcs, clocked = _arcs(cell, model)
        if cell_arcs and not clocked and cell["type"] != "TRELLIS_DPR16X4":
            continue  # combinational cell: not an endpoint
        sinks = [p for p, d in cell["port_directions"].items() if d == "input"]
        if cell["type"] == "TRELLIS_DPR16X4":
            sinks = ["DI", "WAD", "WRE"]
        # a register by its name (one of its bits), a memory or multiplier by its cell
        label = (_base_name(net.names.get(_output_bit(net, cell) or -1, name))
                 if cell["type"] == "TRELLIS_FF" else name)
        for port in sinks:
            for bit in net.bits(cell, port):
                if bit not in net.driver:
                    continue  # a constant or a top-level input
                value = settle(bit) + model.net
                if value > endpoints.get(label, (-1.0, 0))[0]:
                    endpoints[label] = (value, bit)
    # endpoints reached the same way (the same start, HDL lines, depth and delay: a
    # register's copies, each lane's) are one path, listed once
    paths: dict[tuple, DeepPath] = {}
    for label, (value, bit) in sorted(endpoints.items(), key=lambda item: -item[1][0]):
        path = _trace(net, label, value, bit, came_from, arrival)
        key = (_base_name(path.steps[0].net),
               tuple(source for source, _, _ in path.runs()), path.levels, round(value, 2))
        if key in paths:
            paths[key].alike += 1
        else:
            paths[key] = path
            if len(paths) == limit:
                break
    return list(paths.values())


def _output_bit(net: _Netlist, cell: dict) -> int | None:
    for port, direction in cell["port_directions"].items():
        if direction == "output":
            bits = net.bits(cell, port)
            if bits:
                return bits[0]
    return None


def _trace(net: _Netlist, label: str, value: float, bit: int,
           came_from: dict, arrival: dict) -> DeepPath:
    steps: list[PathStep] = []
    levels = 0
    while True:
        driver = net.driver.get(bit, ("?", "?"))
        cell_type = net.cells.get(driver[0], {}).get("type", "?")
        kind = cell_type if bit in came_from else "clk-to-q"
        steps.append(PathStep(driver[0], kind, arrival.get(bit, 0.0),
                              net.names.get(bit, str(bit)), net.sources.get(bit, "")))
        if bit not in came_from:
            break
        if not (cell_type == "CCU2C" and driver[1] == "COUT"):
            levels += 1
        bit = came_from[bit][0]
    steps.reverse()
    return DeepPath(label, value, levels, steps)


def cells_by_line(netlist_path: Path) -> list[tuple[str, dict[str, int]]]:
    """The netlist's cells counted by the HDL line of the net each one drives (a cell
    whose output net kept no line: the first line found downstream, through unnamed
    nets; "?" when none is), largest first by LUT4s plus two a CCU2C: where a unit's
    area goes. The lines are Yosys's `src` attributes, so the counts depend on the LUT
    mapping (abc or abc9) as the paths do."""
    net = _Netlist(json.loads(Path(netlist_path).read_text()))
    readers = net.readers()
    found: dict[int, str] = {}

    def line_of(start: int) -> str:
        """Breadth-first from `start` through the cells reading it, to a named net."""
        queue, seen = [start], {start}
        while queue:
            bit = queue.pop(0)
            if bit in net.sources:
                return net.sources[bit]
            if bit in found:
                return found[bit]
            for cell in readers.get(bit, ()):
                for port, direction in cell["port_directions"].items():
                    if direction != "output":
                        continue
                    for out in net.bits(cell, port):
                        if out not in seen:
                            seen.add(out)
                            queue.append(out)
        return "?"

    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for cell in net.cells.values():
        bit = _output_bit(net, cell)
        if bit is None:
            continue
        if bit not in found:
            found[bit] = line_of(bit)
        counts[found[bit]][cell["type"]] += 1
    return sorted(((line, dict(kinds)) for line, kinds in counts.items()),
                  key=lambda item: -(item[1].get("LUT4", 0) + 2 * item[1].get("CCU2C", 0)))


def format_cells_by_line(rows: list[tuple[str, dict[str, int]]], limit: int) -> str:
    total: dict[str, int] = defaultdict(int)
    for _, kinds in rows:
        for kind, count in kinds.items():
            total[kind] += count
    kinds = ("LUT4", "CCU2C", "TRELLIS_FF", "PFUMX", "L6MUX21")
    lines = [" ".join(f"{kind:>10}" for kind in kinds) + "  HDL line"]
    for line, counts in [("(total)", total)] + rows[:limit]:
        lines.append(" ".join(f"{counts.get(kind, 0):>10,}" for kind in kinds) + f"  {line}")
    return "\n".join(lines)


@dataclass
class WideNet:
    name: str    # its best name (a bit of a packed net: ``name[i]``)
    loads: int   # cell inputs it reaches
    driver: str  # the driving cell's type
    source: str  # its HDL line ("" when it kept none)


def widest_nets(netlist_path: Path, limit: int = 20) -> list[WideNet]:
    """The `limit` nets that reach the most cell inputs, driven by a cell (not the
    harness's clock and reset pins). A net spread over a whole tile's flip-flops or
    memories is as long as the tile is wide after placement, whatever its logic depth;
    one driven by a LUT (worked out in the cycle) cannot be copied the way a register
    can (`hw.oxcore.replica`). Yosys names a LUT's output after a nearby signal, so the
    name can mislead; the driver's type and line say what it is."""
    net = _Netlist(json.loads(Path(netlist_path).read_text()))
    loads = {bit: len(cells) for bit, cells in net.readers().items()}
    wide = sorted((bit for bit in loads if bit in net.driver), key=lambda b: -loads[b])
    return [WideNet(net.names.get(bit, f"${bit}"), loads[bit],
                    net.cells[net.driver[bit][0]]["type"], net.sources.get(bit, ""))
            for bit in wide[:limit]]


def format_widest_nets(rows: list[WideNet]) -> str:
    lines = ["     loads  driver       net (HDL line)"]
    for row in rows:
        where = f"  ({row.source})" if row.source else ""
        lines.append(f"{row.loads:>10,}  {row.driver:<12} {row.name}{where}")
    return "\n".join(lines)


def format_paths(paths: list[DeepPath], detail: int = 3, nets: bool = False) -> str:
    """A table of the paths, and the `detail` deepest step by step: by HDL line, or
    (`nets`) net by net, where the mapped netlist's names say more than the lines
    Yosys kept."""
    lines = [f"{'est. ns':>8} {'levels':>6}  endpoint  <- start"]
    for path in paths:
        alike = f" (+{path.alike} alike)" if path.alike else ""
        lines.append(f"{path.delay_ns:8.2f} {path.levels:6}  {path.endpoint}{alike}  <- "
                     f"{_base_name(path.steps[0].net) if path.steps else '?'}")
    for path in paths[:detail]:
        lines.append(f"\n{path.endpoint}: {path.delay_ns:.2f} ns estimated, "
                     f"{path.levels} levels (cumulative ns, ns here, steps, HDL line):")
        if nets:
            for step in path.steps:
                lines.append(f"  {step.arrival_ns:7.2f}  {step.kind:<10} {step.net}"
                             + (f"  ({step.source})" if step.source else ""))
            continue
        total = 0.0
        for source, delay, count in path.runs():
            total += delay
            lines.append(f"  {total:7.2f} {delay:6.2f} {count:4}  {source}")
    return "\n".join(lines)
