"""The K loop's software pipelining (sw/compiler/kloop.py) against selection's order:
RTL cycles of compiled GEMMs with the compiler's default and with `num_stages=1`, where
the choice matters (B row-major, tld.bt; Triton's ported matmul).

    .venv/bin/python -m bench.run kloop

Cycles from the launch program's kernel_begin to kernel_end, on the RTL in lockstep
with the interpreter, outputs checked against numpy. Not in the default `make bench`
(about ten minutes on the Amaranth simulator): run it by name.
"""

from __future__ import annotations

import numpy as np

from oxcore.config import OxCoreConfig, TensorConfig

#: (kernel, TDIM, M = N = K): gemm_kn at 2x2 blocks of tiles, BLOCK_K = 4*TDIM.
CASES = (("gemm_kn", 8, 64), ("gemm_kn", 8, 128), ("gemm_kn", 4, 64), ("gemm_kn", 16, 64),
         ("gemm_kn", 16, 128), ("triton_port", 8, 64), ("triton_port", 8, 128))


def measure(kernel: str, tdim: int, size: int, num_stages: int | None) -> int:
    """Kernel cycles of one launch (a RuntimeError if C is wrong)."""
    from sw.compiler.launch import (build_launch_program, compile_for_launch,
                                    run_launch_program)
    config = OxCoreConfig(name=f"tensor-t{tdim}", tensor=TensorConfig(tdim=tdim))
    rng = np.random.default_rng(1)
    a = rng.integers(-128, 128, (size, size), dtype=np.int8)
    b = rng.integers(-128, 128, (size, size), dtype=np.int8)
    c = np.zeros((size, size), np.int32)
    block = 2 * tdim
    if kernel == "gemm_kn":
        from sw.ops.gemm import gemm_kn as fn
        args: tuple = (a, b, c, size, size, size)
        constexprs = dict(BLOCK_M=block, BLOCK_N=block, BLOCK_K=4 * tdim)
        grid: tuple = (size // block, size // block)
    else:
        from tests.sw.compiler.triton_port import matmul_kernel_ported
        fn = getattr(matmul_kernel_ported, "kernel", matmul_kernel_ported)
        args = (a, b, c, size, size, size, size, 1, size, 1, size, 1)  # (strides)
        constexprs = dict(BLOCK_SIZE_M=block, BLOCK_SIZE_N=block, BLOCK_SIZE_K=4 * tdim,
                          GROUP_SIZE_M=8)
        grid = ((size // block) ** 2,)
    compiled, taken = compile_for_launch(fn, args, constexprs, config,
                                         num_stages=num_stages)
    elf, layout = build_launch_program(compiled, grid, taken, config)
    result = run_launch_program(elf, layout, config, "rtl")
    want = (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32)
    if not np.array_equal(result.arrays[2], want):
        raise RuntimeError(f"{kernel} {size}^3 TDIM {tdim}: C differs from numpy")
    return result.cycles


def run() -> dict:
    rows = []
    for kernel, tdim, size in CASES:
        default, off = measure(kernel, tdim, size, None), measure(kernel, tdim, size, 1)
        macs = size ** 3 / (tdim * tdim)
        rows.append({"kernel": kernel, "tdim": tdim, "size": size, "default": default,
                     "num_stages_1": off})
        print(f"  {kernel:<12} {size:>3}^3 TDIM {tdim:>2}: default {default:>6,} cycles "
              f"({100 * macs / default:5.1f}%), num_stages=1 {off:>6,} "
              f"({100 * macs / off:5.1f}%)", flush=True)
    return {"runs": rows}
