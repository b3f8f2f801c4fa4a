"""Floorplan: the tensor engine's MAC array pinned to a compact block of DSP sites.

An ECP5's multipliers lie in rows that cross the whole die: the LFE5U-85F has three,
52 MULT18X18D each, at Y 10, 34 and 58 of a 127 x 95 grid. Placed freely, the 64
multipliers of a TDIM 8 array filled one row end to end and part of the next, so the
array was 115 columns wide, and with it its accumulators, the operand bytes broadcast
along its rows and columns, and the 2,048-bit buses between the accumulators, the
result register and the tile memories: the nets that carried most of router2's
overuse (docs/fpga.md, "Where the router crowds").

`pin_mac_array` puts the array in the middle of the die instead: array row i takes TDIM
adjacent sites of one DSP row (so the copies of its row's enables, `hw.oxcore.replica`,
have one place to sit), the array's rows split between the DSP rows nearest the die's
centre, at most as many array rows to a DSP row as its sites hold. It finds the
multipliers by their structure (TDIM operand bytes a side, every pair multiplied once),
not by the names Yosys gives its cells, and pins them with nextpnr's ``BEL`` attribute
in the synthesized netlist, which the placer then keeps ("Placed N cells based on
constraints" in its log). The rest of the design is placed around them as before.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DspGrid:
    """An ECP5 die's multiplier sites: each row's Y and its sites' X and BEL name."""
    rows: tuple[int, ...]
    sites: tuple[tuple[int, str], ...]   # (x, bel), left to right, the same in every row
    centre_y: float


def _ecp5_sites(groups: tuple[int, ...]) -> tuple[tuple[int, str], ...]:
    """A DSP tile's four multipliers at X, X+1 (MULT18_0, _1) and X+4, X+5 (_4, _5)."""
    return tuple(site for x in groups for site in
                 ((x, "MULT18_0"), (x + 1, "MULT18_1"), (x + 4, "MULT18_4"),
                  (x + 5, "MULT18_5")))


# nextpnr-ecp5's device option -> its DSP grid (read from nextpnr's placements of the
# 85k: the same die in the LFE5U-85F and LFE5UM5G-85F of every ECP5 board here)
DSP_GRIDS: dict[str, DspGrid] = {
    "85k": DspGrid(rows=(10, 34, 58),
                   sites=_ecp5_sites((4, 13, 22, 31, 40, 49, 58, 69, 78, 87, 96, 105, 114)),
                   centre_y=47.5),
}


def ecp5_die(part: str) -> str | None:
    """nextpnr-ecp5's device option for a part number ("LFE5U-85F-6BG381": "85k"),
    for the dies whose grid is known."""
    match = re.match(r"LFE5U[MG5]*-(\d+)F", part)
    key = f"{match[1]}k" if match else None
    return key if key in DSP_GRIDS else None


# The smallest array taken for a MAC array: the tensor engine's TDIM is 4, 8 or 16,
# while a wide product split into partial products (a vector lane's 32 x 32: the low
# and high halves of each operand, four multipliers) is a complete 2 x 2 grid too.
MIN_TDIM = 4


def _top(netlist: dict) -> dict:
    """The netlist's top module (Yosys marks it; a netlist may hold cell models too)."""
    modules = netlist["modules"]
    return next((m for m in modules.values() if int(str(m.get("attributes", {}).get(
        "top", "0")), 2)), modules.get("top") or next(iter(modules.values())))


def _operand(cell: dict, port: str) -> tuple:
    """The bits on a multiplier's 18-bit operand port, in order (ints are nets)."""
    connections = cell["connections"]
    return tuple(bit for k in range(18) for bit in connections.get(f"{port}{k}", []))


def _two_colour(edges: dict[str, tuple[tuple, tuple]]) -> list[tuple[set, set, list]]:
    """The connected groups of operands (multipliers joining them), each split into two
    sides so that every multiplier joins one of each; a group that cannot be is left
    out."""
    links = defaultdict(list)
    for name, (x, y) in edges.items():
        links[x].append((y, name))
        links[y].append((x, name))
    side: dict[tuple, int] = {}
    groups = []
    for seed in links:
        if seed in side:
            continue
        side[seed], queue, members, names, ok = 0, [seed], [seed], set(), True
        while queue:
            key = queue.pop()
            for other, name in links[key]:
                names.add(name)
                if other not in side:
                    side[other] = 1 - side[key]
                    queue.append(other)
                    members.append(other)
                elif side[other] == side[key]:
                    ok = False
        if ok:
            groups.append(({k for k in members if side[k] == 0},
                           {k for k in members if side[k] == 1}, sorted(names)))
    return groups


def _order(keys: set, signals: list[tuple[str, list]]) -> tuple[list, str]:
    """Operands in the order of the bytes of the narrowest of `signals` (name, bits)
    that holds them all (the array's ``a`` or ``b``), with that signal's name; by net
    number without one."""
    for name, bits in signals:
        if all(key[0] in bits for key in keys):
            return sorted(keys, key=lambda key: bits.index(key[0])), name
    return sorted(keys, key=lambda key: [b for b in key if isinstance(b, int)]), ""


def find_mac_array(netlist: dict) -> dict[tuple[int, int], str]:
    """The MAC array's multipliers in a Yosys JSON netlist: cell name by (i, j), by
    structure, not by cell names (Yosys makes those up): TDIM x TDIM multipliers
    (TDIM >= `MIN_TDIM`) whose operands are TDIM bytes on one side (A's rows, i) and
    TDIM on the other (B's, j), every pair multiplied once. Rows are the side held in a signal
    named ``a`` (the engine's ``mac_array.a``), bytes in that signal's order. Empty when
    there is no such array or more than one."""
    module = _top(netlist)
    edges = {name: (_operand(cell, "A"), _operand(cell, "B"))
             for name, cell in module["cells"].items() if cell["type"] == "MULT18X18D"}
    arrays = []
    for left, right, names in _two_colour(edges):
        n = len(left)
        pairs = {frozenset(edges[name]) for name in names}
        if n >= MIN_TDIM and len(right) == n and len(names) == n * n and len(pairs) == n * n:
            arrays.append((left, right, names))
    if len(arrays) != 1:
        return {}
    left, right, names = arrays[0]
    signals = sorted(((name, info["bits"]) for name, info in module["netnames"].items()),
                     key=lambda signal: len(signal[1]))
    (left_order, left_name), (right_order, right_name) = (
        _order(left, signals), _order(right, signals))
    named_a = re.compile(r"(?:^|\.)a$")
    if named_a.search(right_name) and not named_a.search(left_name):
        left_order, right_order = right_order, left_order
    row = {key: i for i, key in enumerate(left_order)}
    column = {key: j for j, key in enumerate(right_order)}
    cells = {}
    for name in names:
        x, y = edges[name]
        i, j = (row[x], column[y]) if x in row else (row[y], column[x])
        cells[(i, j)] = name
    return cells


def plan_sites(tdim: int, grid: DspGrid) -> dict[tuple[int, int], str] | None:
    """BEL by MAC (i, j): the array's rows split over the fewest DSP rows that hold
    them, those nearest the die's centre, each array row TDIM adjacent sites in the
    middle of its DSP row. None when the grid cannot hold the array that way."""
    per_row = len(grid.sites)
    rows_needed = next((k for k in range(1, len(grid.rows) + 1)
                        if -(-tdim // k) * tdim <= per_row), None)
    if rows_needed is None:
        return None
    dsp_rows = sorted(sorted(grid.rows, key=lambda y: abs(y - grid.centre_y))[:rows_needed])
    array_rows_each = -(-tdim // rows_needed)
    used = array_rows_each * tdim
    start = (per_row - used) // 2
    bels = {}
    for i in range(tdim):
        y = dsp_rows[i // array_rows_each]
        for j in range(tdim):
            x, bel = grid.sites[start + (i % array_rows_each) * tdim + j]
            bels[(i, j)] = f"X{x}/Y{y}/{bel}"
    return bels


def pin_mac_array(netlist_path: Path, out_path: Path, device: str = "85k") -> str:
    """Write ``netlist_path`` to ``out_path`` with the MAC array's multipliers pinned
    (module docstring); returns what it did, for the build's log. A netlist without a
    MAC array, or a device without a known grid, is copied unchanged."""
    netlist = json.loads(netlist_path.read_text())
    grid = DSP_GRIDS.get(device)
    cells = find_mac_array(netlist) if grid else {}
    bels = plan_sites(int(len(cells) ** 0.5), grid) if cells else None
    if bels:
        module = _top(netlist)
        for ij, name in cells.items():
            module["cells"][name].setdefault("attributes", {})["BEL"] = bels[ij]
    if bels or out_path.resolve() != netlist_path.resolve():
        partial = out_path.with_name(out_path.name + ".part")
        partial.write_text(json.dumps(netlist))
        partial.replace(out_path)   # (whole, or not there: nextpnr never reads half)
    if not grid:
        return f"floorplan: no DSP grid known for {device!r}; the MAC array placed freely"
    if not cells:
        return "floorplan: no MAC array in DSP blocks to pin"
    if not bels:
        return (f"floorplan: a MAC array of {len(cells)} multipliers does not fit whole "
                f"array rows into {len(grid.rows)} DSP rows; placed freely")
    ys = sorted({bel.split("/")[1] for bel in bels.values()})
    xs = sorted(int(bel.split("/")[0][1:]) for bel in bels.values())
    return (f"floorplan: MAC array's {len(cells)} multipliers pinned to DSP rows "
            f"{', '.join(ys)}, X{xs[0]}-X{xs[-1]}")
