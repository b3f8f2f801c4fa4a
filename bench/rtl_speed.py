"""RTL figures: CPI of the C programs (the scalar baseline), and simulator speed.

CPI comes from running each program of tests/programs/c on the RTL, with its exit code
checked against the golden interpreter. Simulator speed is measured on one program with
and without a VCD (waveforms cost several times the run time).
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path

from oxcore.config import PRESETS
from oxcore.program import load_program
from cosim.iss import run_elf
from cosim.rtl_sim import RtlSimulator

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs" / "c"
BUILD = ROOT / "build" / "bench"
SPEED_PROGRAM = "structs"  # ~26k instructions: long enough to time, short enough for VCD


def _build(name: str) -> Path:
    from sw.cc.driver import compile_c
    elf = BUILD / "c" / f"{name}.elf"
    compile_c([PROGRAMS / f"{name}.c"], elf, PRESETS["default"], opt="2")
    return elf


def _run_rtl(elf: Path, vcd: str | None = None) -> tuple[object, float]:
    config = PRESETS["default"]
    sim = RtlSimulator(config, load_program(elf, config), io.BytesIO(), io.BytesIO(),
                       vcd_path=vcd)
    started = time.perf_counter()
    stop = sim.run()
    return stop, time.perf_counter() - started


def cpi(names: list[str] | None = None) -> dict:
    names = names or sorted(p.stem for p in PROGRAMS.glob("*.c"))
    results, total_cycles, total_instret = {}, 0, 0
    for name in names:
        elf = _build(name)
        expected = run_elf(elf, PRESETS["default"])
        stop, wall = _run_rtl(elf)
        if stop.reason != "exit" or stop.exit_code != expected.exit_code or \
                stop.instret != expected.instret:
            raise RuntimeError(f"{name}: RTL {stop.reason} exit {stop.exit_code} after "
                               f"{stop.instret}, interpreter {expected.exit_code} after "
                               f"{expected.instret}")
        total_cycles += stop.cycles
        total_instret += stop.instret
        results[name] = {"instret": stop.instret, "cycles": stop.cycles,
                         "cpi": round(stop.cpi, 4), "counters": stop.counters,
                         "wall_s": round(wall, 2)}
        print(f"  {name:<14} {stop.instret:>9,} instr {stop.cycles:>9,} cycles  "
              f"CPI {stop.cpi:.3f}  ({stop.cycles / wall:,.0f} cycles/s)", flush=True)
    mean = sum(r["cpi"] for r in results.values()) / len(results)
    print(f"  mean CPI {mean:.3f} over {len(results)} programs "
          f"(aggregate {total_cycles / total_instret:.3f})")
    return {"programs": results, "mean_cpi": round(mean, 4),
            "aggregate_cpi": round(total_cycles / total_instret, 4)}


def sim_speed() -> dict:
    elf = _build(SPEED_PROGRAM)
    stop, wall = _run_rtl(elf)
    plain = stop.cycles / wall
    with tempfile.TemporaryDirectory() as tmp:
        vcd = os.path.join(tmp, "speed.vcd")
        stop_vcd, wall_vcd = _run_rtl(elf, vcd)
        size = os.path.getsize(vcd)
    with_vcd = stop_vcd.cycles / wall_vcd
    print(f"  pysim {SPEED_PROGRAM}: {plain:,.0f} cycles/s, with VCD {with_vcd:,.0f} cycles/s "
          f"({plain / with_vcd:.1f}x slower, {size / 1e6:.0f} MB)")
    return {"program": SPEED_PROGRAM, "cycles": stop.cycles,
            "pysim_cycles_per_s": round(plain), "pysim_vcd_cycles_per_s": round(with_vcd),
            "vcd_bytes": size}


def run() -> dict:
    return {"cpi": cpi(), "sim_speed": sim_speed()}
