"""Golden-interpreter speed on a C workload, in each execution mode.

Modes: `fast` (block translation, no records), `records` (block translation building
a RetireRecord per instruction, as co-simulation does) and `reference` (one
instruction at a time through the readable stepper). The workload's exit code is
checked against the same C source built natively, so a fast-but-wrong run fails.
"""

from __future__ import annotations

import collections
import io
import subprocess
import tempfile
import time
from pathlib import Path

from oxcore.config import PRESETS
from oxcore.program import load_program

from cosim.iss import Interpreter

PROGRAMS = Path(__file__).parent / "programs"
BUILD = Path(__file__).resolve().parent.parent / "build" / "bench"


def native_exit_code(source: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "native"
        subprocess.run(["cc", "-O2", "-o", str(exe), str(source)], check=True)
        return subprocess.run([str(exe)]).returncode


def _time_mode(elf: Path, mode: str) -> tuple[int, int, float]:
    config = PRESETS["default"]
    interp = Interpreter(config, load_program(elf, config), io.BytesIO(), io.BytesIO())
    started = time.perf_counter()
    if mode == "fast":
        stop = interp.run()
    elif mode == "records":  # records as co-simulation consumes them: numpy batches
        stop = interp.run(on_batch=lambda batch: None)
    elif mode == "record objects":  # one RetireRecord each (--trace, scripts)
        recent: collections.deque = collections.deque(maxlen=16)
        stop = interp.run(on_retire=recent.append)
    else:
        machine = interp.machine
        while machine.exit_value is None:
            if interp.step().trap is not None:
                raise RuntimeError(f"trap in reference mode at {machine.pc:#x}")
        return machine.instret, machine.exit_value & 0xFF, time.perf_counter() - started
    wall = time.perf_counter() - started
    if stop.trap is not None:
        raise RuntimeError(f"{mode}: trap {stop.trap.cause!r} at {stop.trap.pc:#x}")
    return stop.instret, stop.exit_code, wall


def run() -> dict:
    source = PROGRAMS / "mix.c"
    BUILD.mkdir(parents=True, exist_ok=True)
    elf = BUILD / "mix.elf"
    from sw.cc.driver import compile_c
    compile_c([source], elf, PRESETS["default"], opt="2")
    expected = native_exit_code(source)
    results = {"workload": source.name, "native_exit_code": expected, "modes": {}}
    for mode in ("fast", "records", "record objects", "reference"):
        instret, code, wall = _time_mode(elf, mode)
        if code != expected:
            raise RuntimeError(f"{mode}: exit code {code}, native build gives {expected}")
        rate = instret / wall
        results["modes"][mode] = {"instret": instret, "wall_s": round(wall, 4),
                                  "instructions_per_s": round(rate)}
        print(f"  iss {mode:<14} {instret:>10,} instr  {wall:7.3f} s  {rate / 1e6:6.2f} M instr/s")
    return results
