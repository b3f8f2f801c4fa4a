"""The compiled conv2d (`sw/ops/conv.py`, `make cosim KERNEL=conv2d`): an implicit GEMM
on the tensor engine. MAC utilization N*OH*OW*CO*K*K*C / (cycles * TDIM^2) on RTL cycles
from ``kernel_begin`` to ``kernel_end`` (outputs checked against numpy first), where the
array's cycles went (the engine's counters), and the compile time (uncached).

    .venv/bin/python -m bench.run compiled_conv
"""

from __future__ import annotations

import time

import numpy as np

from bench.timed_kernel import timed_kernel
from cosim.kernel_report import counter_deltas, cycle_split
from oxcore.config import PRESETS
from sw.compiler import driver
from sw.compiler.launch import COUNTERS_SYMBOL, signature_text
from sw.ops.conv import conv2d, output_size

PARAMS = ("N", "H", "W", "C", "CO", "K", "S", "P")
CASES = ((1, 32, 32, 32, 32, 3, 1, 1), (1, 32, 32, 32, 32, 1, 1, 0),
         (1, 16, 16, 64, 64, 3, 2, 1))
TARGETS = {(1, 32, 32, 32, 32, 3, 1, 1): 0.70}  # issue #12: 3x3, 32x32x32 -> 32


def compile_seconds() -> float:
    """Wall time of one uncached compilation of the 3x3 convolution."""
    config = PRESETS["tensor"]
    tdim = config.tensor.tdim
    args = (np.zeros((1, 32, 32, 32), np.int8), np.zeros((32, 3, 3, 32), np.int8),
            np.zeros((1, 32, 32, 32), np.int32), 32, 32, 32, 32, 32)
    signature = signature_text(conv2d, args, dict(
        C=32, KH=3, KW=3, STRIDE=1, PAD=1, BLOCK_M=2 * tdim, BLOCK_N=2 * tdim,
        BLOCK_K=4 * tdim))
    start = time.perf_counter()
    driver.compile_kernel(conv2d, signature, config, use_cache=False)
    return time.perf_counter() - start


def measure(shape: tuple[int, ...], seed: int = 1) -> dict:
    config = PRESETS["tensor"]
    tdim = config.tensor.tdim
    params = dict(zip(PARAMS, shape))
    n, h, w, c, co, k, s, p = shape
    macs = n * output_size(h, k, s, p) * output_size(w, k, s, p) * co * k * k * c
    run = timed_kernel("conv2d", params, config, seed, extra_symbols=(COUNTERS_SYMBOL,))
    delta = counter_deltas(run.symbols[COUNTERS_SYMBOL])
    split = cycle_split(delta, run.cycles)
    return {"shape": params, "cycles": run.cycles, "macs": macs,
            "mac_utilization": round(macs / (run.cycles * tdim * tdim), 4),
            "target": TARGETS.get(shape),
            "split": {key: round(value, 4) for key, value in split.items()},
            "counters": delta, "backend": run.backend, "wall_s": run.wall_s}


def run() -> dict:
    results = []
    for shape in CASES:
        figure = measure(shape)
        results.append(figure)
        split = figure["split"]
        n, h, w, c, co, k, s, p = shape
        target = f" (target {100 * figure['target']:.0f}%)" if figure["target"] else ""
        print(f"  conv2d {n}x{h}x{w}x{c} -> {co}, {k}x{k} stride {s} pad {p}: "
              f"{figure['cycles']:>7,} cycles, MAC utilization "
              f"{100 * figure['mac_utilization']:5.1f}%{target}; compute "
              f"{100 * split['compute']:.1f}%, operand wait {100 * split['operand']:.1f}%, "
              f"port wait {100 * split['port']:.1f}%, issue {100 * split['issue']:.1f}%",
              flush=True)
    seconds = round(compile_seconds(), 3)
    print(f"  compile time of conv2d 3x3 (uncached): {seconds:.2f} s (target < 2 s)")
    return {"runs": results, "compile_seconds": seconds}
