"""The tensor engine's MAC utilization on the hand-written GEMM (`sw/kernels/tensor/
gemm.s`): M*N*K / (cycles * TDIM^2) on RTL cycles, from the kernel's ``kernel_begin``
to ``kernel_end`` retiring (the kernel waits there for its last tile store), with the
outputs checked against numpy before a figure counts.

Shapes: 32^3, 64^3 and 128^3 on the `tensor` preset (TDIM 8, 256-bit port), a
non-square one, 64^3 at TDIM 4 and 16, the int8 (tst.b) variant, and an odd shape whose
every tile is an edge. Where the cycles go comes from the engine's own counters
(read by the kernel at both ends, `PERF`): the array's k-step cycles (compute); idle
array cycles while the queue's head waited for a tile the load/store unit was still
moving (operand) or for the busy load/store unit (port); the rest of the array's idle
cycles is issue (the queue empty, tzero cycles, instructions moving through issue).

    .venv/bin/python -m bench.run tensor
"""

from __future__ import annotations

from bench.timed_kernel import timed_kernel
from cosim.kernel_report import counter_deltas, cycle_split
from oxcore.config import PRESETS, TensorConfig

# (kernel, M, N, K, TDIM)
CASES = (
    ("tensor_gemm", 32, 32, 32, 8),
    ("tensor_gemm", 64, 64, 64, 8),
    ("tensor_gemm", 128, 128, 128, 8),
    ("tensor_gemm", 64, 128, 96, 8),
    ("tensor_gemm", 64, 64, 64, 4),
    ("tensor_gemm", 64, 64, 64, 16),
    ("tensor_gemm_q", 64, 64, 64, 8),
    ("tensor_gemm", 17, 33, 9, 8),
)
TARGETS = {(64, 64, 64, 8): 0.90, (128, 128, 128, 8): 0.95}  # issue #11, default TDIM
COUNTERS = ("active", "macs", "operand", "port", "queue_full", "busy")


def measure(name: str, m: int, n: int, k: int, tdim: int, seed: int = 1,
            backend: str | None = None) -> dict:
    """One run: its timed cycles, checked outputs, utilization and counter split."""
    config = PRESETS["tensor"].replace(name=f"tensor-t{tdim}", tensor=TensorConfig(tdim=tdim))
    run = timed_kernel(name, {"M": m, "N": n, "K": k}, config, seed, backend,
                       extra_symbols=("PERF",))
    counters = counter_deltas(run.symbols["PERF"])  # PERF: the counters, CSR order
    delta = dict(zip(COUNTERS, counters.values()))
    cycles = run.cycles
    utilization = m * n * k / (cycles * tdim * tdim)
    split = cycle_split(counters, cycles)
    return {"kernel": name, "m": m, "n": n, "k": k, "tdim": tdim, "cycles": cycles,
            "mac_utilization": round(utilization, 4),
            "target": TARGETS.get((m, n, k, tdim)),
            "split": {key: round(value, 4) for key, value in split.items()},
            "counters": delta, "backend": run.backend, "wall_s": run.wall_s}


def run() -> dict:
    results = []
    for name, m, n, k, tdim in CASES:
        figure = measure(name, m, n, k, tdim)
        results.append(figure)
        split = figure["split"]
        target = f" (target {100 * figure['target']:.0f}%)" if figure["target"] else ""
        print(f"  {name:<14} {m:>3}x{n:>3}x{k:>3} TDIM {tdim:>2}: {figure['cycles']:>6,} "
              f"cycles, MAC utilization {100 * figure['mac_utilization']:5.1f}%{target}; "
              f"cycles: compute {100 * split['compute']:.1f}%, operand wait "
              f"{100 * split['operand']:.1f}%, port wait {100 * split['port']:.1f}%, "
              f"issue {100 * split['issue']:.1f}%", flush=True)
    return {"runs": results}
