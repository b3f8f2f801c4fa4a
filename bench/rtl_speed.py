"""RTL figures: CPI of the C programs (the scalar baseline), and simulator speed.

CPI comes from running each program of tests/programs/c on the RTL (CXXRTL), with its
exit code and instruction count checked against the golden interpreter. Simulator speed:
CXXRTL and the Amaranth simulator side by side on the same program in one run, with and
without a VCD, and co-simulation throughput with which side bounds it. Then the CPI of
the front-end configurations that trade cycles for FPGA clock speed (`SWEEP`).
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
from cosim.rtl_backend import rtl_simulator

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs" / "c"
BUILD = ROOT / "build" / "bench"



def _build(name: str) -> Path:
    from sw.cc.driver import compile_c
    elf = BUILD / "c" / f"{name}.elf"
    compile_c([PROGRAMS / f"{name}.c"], elf, PRESETS["default"], opt="2")
    return elf


def _run_rtl(elf: Path, vcd: str | None = None, backend: str = "cxxrtl",
             max_cycles: int | None = None, on_retire=None,
             config=PRESETS["default"]) -> tuple[object, float]:
    sim = rtl_simulator(backend, config, load_program(elf, config), stdout=io.BytesIO(),
                        stderr=io.BytesIO(), vcd_path=vcd)
    started = time.perf_counter()
    stop = sim.run(max_cycles=max_cycles, on_retire=on_retire)
    return stop, time.perf_counter() - started


def cpi(names: list[str] | None = None, config=PRESETS["default"],
        verbose: bool = True) -> dict:
    """CPI of each C program on `config` (the programs are built for `default`, whose
    memory map every configuration with the same mem_size shares)."""
    names = names or sorted(p.stem for p in PROGRAMS.glob("*.c"))
    results, total_cycles, total_instret = {}, 0, 0
    for name in names:
        elf = _build(name)
        expected = run_elf(elf, PRESETS["default"])
        stop, wall = _run_rtl(elf, config=config)
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
        if verbose:
            print(f"  {name:<14} {stop.instret:>9,} instr {stop.cycles:>9,} cycles  "
                  f"CPI {stop.cpi:.3f}  ({stop.cycles / wall:,.0f} cycles/s)", flush=True)
    mean = sum(r["cpi"] for r in results.values()) / len(results)
    print(f"  mean CPI {mean:.3f} over {len(results)} programs "
          f"(aggregate {total_cycles / total_instret:.3f})")
    return {"programs": results, "mean_cpi": round(mean, 4),
            "aggregate_cpi": round(total_cycles / total_instret, 4)}


PYSIM_CYCLES = 20_000  # the Amaranth simulator runs this much of the same program


def sim_speed() -> dict:
    """CXXRTL vs the Amaranth simulator on the same program, in this one run."""
    source = ROOT / "bench" / "programs" / "mix.c"
    elf = _mix_elf()
    _run_rtl(elf, max_cycles=1000)  # build or load the compiled model outside the timing
    fast, wall = _run_rtl(elf)
    cxxrtl = fast.cycles / wall
    slow, slow_wall = _run_rtl(elf, backend="pysim", max_cycles=PYSIM_CYCLES)
    pysim = slow.cycles / slow_wall
    results = {"program": source.name, "cycles": fast.cycles, "cxxrtl_cycles_per_s": round(cxxrtl),
               "pysim_cycles_per_s": round(pysim), "speedup": round(cxxrtl / pysim)}
    print(f"  {source.name}: CXXRTL {cxxrtl:,.0f} cycles/s over {fast.cycles:,} cycles; "
          f"pysim {pysim:,.0f} cycles/s (first {PYSIM_CYCLES:,}); {cxxrtl / pysim:,.0f}x")
    with tempfile.TemporaryDirectory() as tmp:
        for backend, cycles in (("cxxrtl", 50_000), ("pysim", 2_000)):
            vcd = os.path.join(tmp, f"{backend}.vcd")
            plain, plain_wall = _run_rtl(elf, backend=backend, max_cycles=cycles)
            waved, waved_wall = _run_rtl(elf, vcd, backend=backend, max_cycles=cycles)
            rate, rate_vcd = plain.cycles / plain_wall, waved.cycles / waved_wall
            results[f"{backend}_vcd_cycles_per_s"] = round(rate_vcd)
            results[f"{backend}_vcd_bytes_per_cycle"] = round(os.path.getsize(vcd) / cycles)
            print(f"  {backend} with VCD: {rate_vcd:,.0f} cycles/s ({rate / rate_vcd:.1f}x "
                  f"slower than without), {os.path.getsize(vcd) / cycles:,.0f} bytes/cycle")
    return results


def _mix_elf() -> Path:
    from sw.cc.driver import compile_c
    elf = BUILD / "mix.elf"
    compile_c([ROOT / "bench" / "programs" / "mix.c"], elf, PRESETS["default"], opt="2")
    return elf


def cosim_throughput(repeat: int = 3) -> dict:
    """Lockstep co-simulation speed against each simulator alone, on the same program.

    Each side alone is timed without records (the simulator's own speed) and with its
    records as numpy batches (what co-simulation consumes); co-simulation overlaps the
    two (the RTL in its own thread), so its time is compared with the slower side. Each
    figure is the best of `repeat` runs, the machine's other load being noise."""
    from cosim.cosim_cmd import cosim_program
    from cosim.iss import Interpreter
    config = PRESETS["default"]
    elf = _mix_elf()
    program = load_program(elf, config)
    _run_rtl(elf, max_cycles=1000)  # build or load the compiled model outside the timing

    def best(run) -> tuple[object, float]:
        outcomes = [run() for _ in range(repeat)]
        return min(outcomes, key=lambda outcome: outcome[1])

    def rtl(records: bool):
        sim = rtl_simulator("cxxrtl", config, program, stdout=io.BytesIO(), stderr=io.BytesIO())
        started = time.perf_counter()
        stop = sim.run(on_batch=(lambda batch: None) if records else None)
        return stop, time.perf_counter() - started

    def iss(records: bool):
        interp = Interpreter(config, program, io.BytesIO(), io.BytesIO())
        started = time.perf_counter()
        stop = interp.run(on_batch=(lambda batch: None) if records else None)
        return stop, time.perf_counter() - started

    def cosim():
        started = time.perf_counter()
        result = cosim_program(config, program, stdout=io.BytesIO(), stderr=io.BytesIO(),
                               backend="cxxrtl")
        if not result.ok:
            raise RuntimeError("cosim of the benchmark program failed")
        return result, time.perf_counter() - started

    result, wall = best(cosim)
    instret = result.rtl.instret
    times = {"rtl_alone_s": best(lambda: rtl(False))[1],
             "rtl_alone_with_records_s": best(lambda: rtl(True))[1],
             "iss_alone_s": best(lambda: iss(False))[1],
             "iss_alone_with_records_s": best(lambda: iss(True))[1]}
    slower = max(times["rtl_alone_s"], times["iss_alone_s"])
    rates = {"cosim_instructions_per_s": round(instret / wall),
             **{key.removesuffix("_s") + "_instructions_per_s": round(instret / t)
                for key, t in times.items()},
             "cosim_vs_slower_simulator_alone": round(slower / wall, 3)}
    print(f"  cosim {instret:,} instructions in {wall:.2f} s: "
          f"{rates['cosim_instructions_per_s']:,} instr/s, "
          f"{rates['cosim_vs_slower_simulator_alone']:.2f}x the slower simulator alone")
    print("  alone (instr/s):  RTL {rtl_alone_instructions_per_s:,}, with records "
          "{rtl_alone_with_records_instructions_per_s:,};  interpreter "
          "{iss_alone_instructions_per_s:,}, with records "
          "{iss_alone_with_records_instructions_per_s:,}".format(**rates))
    return {**rates, **{k: round(v, 3) for k, v in times.items()}, "cosim_s": round(wall, 3),
            "instructions": instret}


# The front-end options that trade cycles for Fmax (docs/rtl.md, docs/fpga.md): CPI of
# each, so that a change to one is seen against the others.
SWEEP = {
    "default": {},
    "btb, one-bubble redirect (before FPGA timing work)": dict(
        branch_predictor="btb", btb_entries=16, registered_redirect=False,
        registered_fetch=False),
    "nlp, one-bubble redirect, no IF2": dict(registered_redirect=False,
                                            registered_fetch=False),
    "nlp, 16 entries": dict(btb_entries=16),
    "static, no IF2": dict(branch_predictor="static", registered_fetch=False),
}


def sweep() -> dict:
    results = {}
    for label, changes in SWEEP.items():
        config = PRESETS["default"].replace(**changes)
        print(f"  [{label}]", flush=True)
        r = cpi(config=config, verbose=False)
        results[label] = {"changes": changes, "mean_cpi": r["mean_cpi"],
                          "aggregate_cpi": r["aggregate_cpi"]}
    print("  configuration" + " " * 44 + "mean CPI  aggregate")
    for label, r in results.items():
        print(f"  {label:<56} {r['mean_cpi']:>8.3f}  {r['aggregate_cpi']:>9.3f}")
    return results


def run() -> dict:
    return {"cpi": cpi(), "sim_speed": sim_speed(), "cosim": cosim_throughput(),
            "front_end_sweep": sweep()}
