"""Compile time of every operator-library kernel (`sw.kernels.COMPILED_KERNELS`, the
ones `make cosim KERNEL=...` compiles), uncached, at its default shape on its default
configuration: the front end, every pass and the assembly into an object, as
`oxcore compile` and the launcher run them. Target (#12): under 2 s each.

    .venv/bin/python -m bench.run compile_times

Each figure is the fastest of three compilations (the machine's other load only ever
adds time); the first one also pays for Python's imports and warm-up, and is shown.
"""

from __future__ import annotations

import time

from cosim.kernels import launch_inputs
from oxcore.config import load_config
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import signature_text
from sw.kernels import COMPILED_KERNELS

TARGET_S = 2.0
RUNS = 3


def measure(name: str) -> dict:
    """Kernel `name`'s uncached compile times at its default shape and configuration."""
    kernel = next(k for k in COMPILED_KERNELS if k.name == name)
    config = load_config(kernel.default_config)
    params = kernel.parse_shape(None)
    fn, args, constexprs, _ = launch_inputs(kernel, params, config)
    signature = signature_text(fn, args, constexprs)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        compile_kernel(fn, signature, config, use_cache=False)
        times.append(time.perf_counter() - start)
    return {"kernel": name, "config": config.name, "shape": params, "signature": signature,
            "first_s": round(times[0], 3), "best_s": round(min(times), 3),
            "target_s": TARGET_S, "meets": min(times) < TARGET_S}


def run() -> dict:
    results = {}
    for kernel in COMPILED_KERNELS:
        figure = measure(kernel.name)
        results[kernel.name] = figure
        shape = ",".join(str(v) for v in figure["shape"].values())
        print(f"  {kernel.name:<14} {figure['config']:<7} {shape:<16} "
              f"{figure['best_s']:6.3f} s (first {figure['first_s']:.3f} s) "
              f"{'under' if figure['meets'] else 'OVER'} the {TARGET_S:.0f} s target",
              flush=True)
    slowest = max(results.values(), key=lambda f: f["best_s"])
    print(f"  slowest: {slowest['kernel']} {slowest['best_s']:.3f} s")
    return {"kernels": results, "slowest": slowest["kernel"]}
