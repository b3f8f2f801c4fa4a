"""Compiled element-wise kernels against the vector engine's roofline: the operator
library's `add` and `relu` (int8, int32), `bias` and `bias_scalar` (int32) and the
int8 reductions `reduce_sum` and `reduce_max` from `sw/ops/elementwise.py`,
compiled by the kernel compiler (`sw/compiler/isel_vector.py`) and launched on the RTL
(`sw.compiler.launch`, in lockstep with the interpreter, outputs checked against numpy),
at 4K elements on the `vector` preset (VLEN 256, LANES 4).

The figure is elements per cycle over the launch's timed part: ``kernel_begin`` to
``kernel_end`` of the launch program (the grid loop, the kernel, and a scalar load that
waits for the engine's last store), read from the ``cycle`` counter (`LaunchResult.
cycles`). The bound is `bench.vector_roofline.bound`: min(LANES * 32 / SEW, port bytes
per cycle / bytes moved per element), the hand-written kernels' (`sw/kernels/rvv/`)
figures being the reference (docs/vector.md: vadd 91.9 / 93.5 %, relu 90.8 / 93.3 % at
LANES 4). BLOCK is 4096: one program strip-mined at LMUL 8 by the compiler, so that no
program boundary drains the engine (each program's first scalar load of its arguments
waits for the previous program's vector stores).

    .venv/bin/python -m bench.run compiled_vector

The 85% target is the element-wise kernels' (add, relu, bias); the reductions are
reported against the same bound, with no target (at 4K elements a program's fixed
cycles are a third of the bound: docs/compiler.md). Also reported, with no target:
the 2-D int8 add (`split-rows`: a strip loop whose
chunks are the rows), 64x64 and 16x256, and the int8 matvec, `matvec` (a program a
row) and `matvec_rows` (16 rows a program), 16x128 and 64x128.
"""

from __future__ import annotations

import os
import time

import numpy as np

from bench.vector_roofline import bound
from oxcore.config import PRESETS
from sw.ops import elementwise as ew

ELEMENTS = 4096
BLOCK = 4096
TARGET = 0.85
BIAS = -123_456  # bias_scalar's b
# case -> (kernel, numpy dtype, SEW, bytes moved per element)
CASES = {"add_i8": ("add", np.int8, 8, 3), "add_i32": ("add", np.int32, 32, 12),
         "relu_i8": ("relu", np.int8, 8, 2), "relu_i32": ("relu", np.int32, 32, 8),
         "bias_i32": ("bias", np.int32, 32, 12), "bias_scalar_i32": ("bias_scalar", np.int32, 32, 8),
         # (one int32 result per BLOCK: the bytes it moves are the input's)
         "reduce_sum_i8": ("reduce_sum", np.int8, 8, 1),
         "reduce_max_i8": ("reduce_max", np.int8, 8, 1)}


def _arguments(name: str, x, y, out, elements: int, block: int) -> tuple:
    """The kernel, its launch arguments and constexprs, and its numpy result."""
    if name in ("add", "bias"):
        return getattr(ew, name), (x, y, out, elements), {}, ew.reference_add(x, y)
    if name == "relu":
        return ew.relu, (x, out, elements), {}, ew.reference_relu(x)
    if name == "bias_scalar":
        return ew.bias_scalar, (x, out, elements, BIAS), {}, ew.reference_bias(x, BIAS)
    if name == "reduce_sum":
        return ew.reduce_sum, (x, out, elements), {}, ew.reference_reduce_sum(x, block)
    return (ew.reduce_max, (x, out, elements), {"LOWEST": int(np.iinfo(x.dtype).min)},
            ew.reference_reduce_max(x, block))


def measure(case: str, elements: int = ELEMENTS, block: int = BLOCK, seed: int = 1,
            backend: str | None = None) -> dict:
    """One compiled kernel on the `vector` preset's RTL: checked outputs, cycles, figures."""
    from sw.compiler.launch import launch
    name, dtype, sew, moved = CASES[case]
    config = PRESETS["vector"]
    lanes = config.vector.lanes
    backend = backend or os.environ.get("OXCORE_BENCH_BACKEND", "pysim")
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, elements, dtype=dtype, endpoint=True)
    y = rng.integers(info.min, info.max, elements, dtype=dtype, endpoint=True)
    reduces = name.startswith("reduce")
    out = np.zeros((elements + block - 1) // block if reduces else elements,
                   np.int32 if reduces else dtype)
    grid = (elements + block - 1) // block
    kernel, args, constexprs, expected = _arguments(name, x, y, out, elements, block)
    started = time.perf_counter()
    run = launch(kernel, grid, *args, BLOCK=block, **constexprs, config=config, sim="rtl",
                 backend=backend)
    wall = time.perf_counter() - started
    if not np.array_equal(out, expected):
        raise RuntimeError(f"compiled {case} at {elements} elements: wrong outputs")
    rate = elements / run.cycles
    limit = bound(lanes, sew, moved)
    return {"case": case, "lanes": lanes, "vlen": config.vector.vlen, "elements": elements,
            "block": block, "cycles": run.cycles, "elements_per_cycle": round(rate, 4),
            "bound": round(limit, 4), "fraction_of_bound": round(rate / limit, 4),
            "target": None if reduces else TARGET, "backend": backend,
            "wall_s": round(wall, 1)}


def measure_rows(rows: int = 64, columns: int = 64, seed: int = 1,
                 backend: str | None = None) -> dict:
    """The library's 2-D int8 add, `add_2d` (`split-rows`, its rows the chunks of one
    strip loop), one program of `rows` x `columns`, against the same bound as the 1-D
    add (no target: docs/compiler.md says what a row costs)."""
    from sw.compiler.launch import launch
    config = PRESETS["vector"]
    backend = backend or os.environ.get("OXCORE_BENCH_BACKEND", "pysim")
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (rows, columns), dtype=np.int8)
    y = rng.integers(-128, 128, (rows, columns), dtype=np.int8)
    out = np.zeros_like(x)
    run = launch(ew.add_2d, (1, 1), x, y, out, rows, columns, columns, BM=rows, BN=columns,
                 config=config, sim="rtl", backend=backend)
    if not np.array_equal(out, x + y):
        raise RuntimeError(f"compiled add_2d {rows}x{columns}: wrong outputs")
    rate = rows * columns / run.cycles
    limit = bound(config.vector.lanes, 8, 3)
    return {"case": f"add_2d_i8 {rows}x{columns}", "cycles": run.cycles,
            "elements_per_cycle": round(rate, 4), "bound": round(limit, 4),
            "fraction_of_bound": round(rate / limit, 4), "target": None,
            "backend": backend}


def measure_matvec(rows: int, k: int, kernel: str, seed: int = 1,
                   backend: str | None = None) -> dict:
    """The library's int8 matvec, `matvec` (a program a row, its sum read back into a
    scalar register) or `matvec_rows` (16 rows a program: the row loop's strip loop,
    sums stored from the vector registers), against the port's bound for the bytes it
    must move (no target: two widening passes a row make it compute-bound)."""
    from sw.compiler.launch import launch
    from sw.ops import matvec as mv
    config = PRESETS["vector"]
    backend = backend or os.environ.get("OXCORE_BENCH_BACKEND", "pysim")
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (rows, k), dtype=np.int8)
    x = rng.integers(-128, 128, k, dtype=np.int8)
    y = np.zeros(rows, np.int32)
    if kernel == "matvec_rows":
        run = launch(mv.matvec_rows, -(-rows // mv.ROWS), a, x, y, rows, k, BM=mv.ROWS,
                     BK=mv.row_block(k), config=config, sim="rtl", backend=backend)
    else:
        run = launch(mv.matvec, rows, a, x, y, rows, k, BLOCK=1024, config=config,
                     sim="rtl", backend=backend)
    if not np.array_equal(y, mv.reference_matvec(a, x)):
        raise RuntimeError(f"compiled {kernel} {rows}x{k}: wrong outputs")
    moved = rows * k + k + 4 * rows
    bound_cycles = moved / (config.vector.lanes * 4)  # the port: LANES x 4 bytes a cycle
    return {"case": f"{kernel} {rows}x{k}", "cycles": run.cycles,
            "fraction_of_bound": round(bound_cycles / run.cycles, 4), "target": None,
            "backend": backend}


def run() -> dict:
    results = {}
    for case in CASES:
        figure = measure(case)
        results[case] = figure
        print(f"  compiled {case:<9} BLOCK {figure['block']}: {figure['cycles']:>6,} cycles  "
              f"{figure['elements_per_cycle']:6.3f} elements/cycle of a bound of "
              f"{figure['bound']:6.3f} = {100 * figure['fraction_of_bound']:5.1f}% "
              + (f"(target {100 * TARGET:.0f}%)" if figure["target"] else
                 f"(a reduction: the {100 * TARGET:.0f}% target is the element-wise "
                 f"kernels'; below it, docs/compiler.md says why)"), flush=True)
    for rows, columns in ((64, 64), (16, 256)):
        figure = measure_rows(rows, columns)
        results[figure["case"]] = figure
        print(f"  compiled {figure['case']} (2-D, rows as chunks): {figure['cycles']:>6,} cycles  "
              f"{figure['elements_per_cycle']:6.3f} elements/cycle of a bound of "
              f"{figure['bound']:6.3f} = {100 * figure['fraction_of_bound']:5.1f}% "
              f"(no target)", flush=True)
    for kernel in ("matvec", "matvec_rows"):
        for rows, k in ((16, 128), (64, 128)):
            figure = measure_matvec(rows, k, kernel)
            results[figure["case"]] = figure
            print(f"  compiled {figure['case']}: {figure['cycles']:>6,} cycles = "
                  f"{100 * figure['fraction_of_bound']:5.1f}% of the port's bound "
                  f"(no target)", flush=True)
    return {"kernels": results}
