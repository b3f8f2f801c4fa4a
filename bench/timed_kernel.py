"""One operator kernel timed on the RTL: the cycles from its ``kernel_begin`` to its
``kernel_end`` retiring, after its outputs were checked against numpy (a benchmark
figure only counts for a correct run). Shared by the engines' benchmarks."""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass

from cosim.kernels import KernelCase, check_outputs, output_ranges, prepare
from cosim.rtl_backend import rtl_simulator
from oxcore.config import OxCoreConfig
from sw.kernels import KERNELS


@dataclass
class TimedRun:
    case: KernelCase
    cycles: int  # kernel_begin .. kernel_end
    symbols: dict[str, bytes]  # the `extra_symbols` as the run left them
    backend: str
    wall_s: float


def timed_kernel(name: str, params: dict[str, int], config: OxCoreConfig, seed: int = 1,
                 backend: str | None = None,
                 extra_symbols: tuple[str, ...] = ()) -> TimedRun:
    """Run kernel `name` at `params` on `config`'s RTL (backend: `OXCORE_BENCH_BACKEND`,
    default pysim); a RuntimeError if it does not exit 0 or its outputs are wrong.
    `extra_symbols` are data symbols to read back too (a kernel's counters)."""
    case = prepare(KERNELS[name], params, config, seed)
    begin = case.program.symbol("kernel_begin").addr
    end = case.program.symbol("kernel_end").addr
    extra = [case.program.symbol(symbol) for symbol in extra_symbols]
    backend = backend or os.environ.get("OXCORE_BENCH_BACKEND", "pysim")
    sim = rtl_simulator(backend, config, case.program, stdout=io.BytesIO(),
                        stderr=io.BytesIO())
    marks: dict[int, int] = {}

    def mark(record) -> None:
        if record.pc in (begin, end) and record.pc not in marks:
            marks[record.pc] = sim.cycle
    started = time.perf_counter()
    stop = sim.run(on_retire=mark, read_back=output_ranges(case) + tuple(
        (symbol.addr, symbol.size) for symbol in extra))
    wall = time.perf_counter() - started
    if stop.reason != "exit" or stop.exit_code != 0:
        raise RuntimeError(f"{name} {case.shape_text} on {config.name}: {stop.reason} "
                           f"(exit {stop.exit_code})")
    check = check_outputs(case, lambda addr, n: stop.memory[addr][:n])
    if not check.ok:
        raise RuntimeError(f"{name} {case.shape_text} on {config.name}: "
                           f"{'; '.join(check.errors)}")
    symbols = {symbol_name: stop.memory[symbol.addr][:symbol.size]
               for symbol_name, symbol in zip(extra_symbols, extra)}
    return TimedRun(case, marks[end] - marks[begin], symbols, backend, round(wall, 1))
