"""The vector engine against its roofline: elements per cycle of the hand-written RVV
kernels (`sw/kernels/rvv/`) on RTL cycles, at 4K elements, for LANES 2, 4 and 8.

A kernel's bound is min(compute, memory): ``LANES * 32 / SEW`` elements per cycle for
the lanes, and the memory port's ``LANES * 4`` bytes per cycle over the bytes the kernel
moves per element (vadd: two loads and a store; relu: a load and a store; dot: two
loads; requant: an int32 load and an int8 store). Requantization makes several passes
over its elements (vsmul, vssra, vsadd at SEW 32, two narrowing vnclip), so its compute
bound divides by its passes (3.75 full-width passes); the int8 dot product makes two
widening passes at the lanes' 16-bit rate (vwmul's int16 products, vwredsum reading
them), 4 full-width SEW 8 passes. For both the figure against the one-pass formula is
reported beside it. The timed part runs from the kernel's ``kernel_begin`` to ``kernel_end``
retiring (a scalar load there waits for the engine's last store). Every run's outputs are
checked against numpy before its figure counts.

    .venv/bin/python -m bench.run vector
"""

from __future__ import annotations

from bench.timed_kernel import timed_kernel
from oxcore.config import PRESETS, VectorConfig

ELEMENTS = 4096
LANES = (2, 4, 8)
VLEN = 256
# kernel -> (its SEW, bytes it moves per element, full-width ALU passes per element)
KERNEL_TRAFFIC = {"rvv_vadd_i8": (8, 3, 1), "rvv_vadd_i32": (32, 12, 1),
                  "rvv_relu_i8": (8, 2, 1), "rvv_relu_i32": (32, 8, 1),
                  "rvv_dot_i32": (32, 8, 1), "rvv_dot_i8": (8, 2, 4),
                  "rvv_requant_i8": (32, 5, 3.75)}
# Not on the RTL yet: what a kernel needs, by kernel.
PENDING: dict[str, str] = {}


def bound(lanes: int, sew: int, moved: float, passes: float = 1) -> float:
    """The roofline bound in elements per cycle: the lanes' rate over the ALU passes,
    or the port's bytes per cycle over the bytes moved per element."""
    compute = lanes * 32 / sew / passes
    memory = lanes * 4 / moved
    return min(compute, memory)


def measure(name: str, lanes: int, elements: int = ELEMENTS, seed: int = 1,
            backend: str | None = None) -> dict:
    """One kernel on one configuration: its timed cycles, checked outputs, and figures."""
    config = PRESETS["vector"].replace(name=f"vector-v{VLEN}x{lanes}",
                                       vector=VectorConfig(vlen=VLEN, lanes=lanes))
    run = timed_kernel(name, {"N": elements}, config, seed, backend)
    cycles = run.cycles
    sew, moved, passes = KERNEL_TRAFFIC[name]
    rate = elements / cycles
    limit = bound(lanes, sew, moved, passes)
    one_pass = bound(lanes, sew, moved)
    return {"lanes": lanes, "vlen": VLEN, "elements": elements, "cycles": cycles,
            "elements_per_cycle": round(rate, 4), "bound": round(limit, 4),
            "fraction_of_bound": round(rate / limit, 4),
            "one_pass_bound": round(one_pass, 4),
            "fraction_of_one_pass_bound": round(rate / one_pass, 4), "backend": run.backend,
            "wall_s": run.wall_s}


def run() -> dict:
    results: dict = {"kernels": {}, "pending": PENDING}
    for name in KERNEL_TRAFFIC:
        results["kernels"][name] = {}
        for lanes in LANES:
            figure = measure(name, lanes)
            results["kernels"][name][f"lanes{lanes}"] = figure
            extra = "" if figure["bound"] == figure["one_pass_bound"] else \
                f" (one-pass bound {figure['one_pass_bound']:.3f}: " \
                f"{100 * figure['fraction_of_one_pass_bound']:.1f}%)"
            print(f"  {name:<14} LANES {lanes}: {figure['cycles']:>6,} cycles  "
                  f"{figure['elements_per_cycle']:6.3f} elements/cycle of a bound of "
                  f"{figure['bound']:6.3f} = {100 * figure['fraction_of_bound']:5.1f}%{extra}",
                  flush=True)
    for what, needs in PENDING.items():
        print(f"  {what}: not measured (the RTL lacks {needs})")
    return results
