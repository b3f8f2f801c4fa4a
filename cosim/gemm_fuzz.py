"""Random compiled GEMMs against numpy: the compiler's tile code (edges, register
blocking, the software-pipelined K loop) over random shapes, block sizes, B layouts,
TDIMs and num_stages, on the golden interpreter, and every `--rtl-every`-th case on the
RTL in lockstep with it.

    python -m cosim.gemm_fuzz --cases 200 [--first-seed 0] [--rtl-every 20]
                              [--out build/gemm-fuzz] [--show SEED]

Each seed draws M, N (1..64), K (0..260), BLOCK_M and BLOCK_N (TDIM or 2*TDIM),
BLOCK_K (4*TDIM or 8*TDIM), TDIM (4 or 8), B as B^T (`gemm`, tld.b) or row-major
(`gemm_kn`, tld.bt) and num_stages (None: the compiler decides; 1; 2). A failing seed is
written to ``<out>/seed-<seed>.txt`` with its case and the mismatching elements; rerun
one with ``--first-seed SEED --cases 1``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Case:
    m: int
    n: int
    k: int
    tdim: int
    block_m: int
    block_n: int
    block_k: int
    row_major_b: bool
    num_stages: int | None

    def text(self) -> str:
        kernel = "gemm_kn (B row-major)" if self.row_major_b else "gemm (B^T)"
        return (f"{kernel} {self.m}x{self.n}x{self.k} TDIM {self.tdim}, blocks "
                f"{self.block_m}/{self.block_n}/{self.block_k}, num_stages={self.num_stages}")


def draw(seed: int) -> Case:
    rnd = random.Random(seed)
    tdim = rnd.choice([4, 8])
    return Case(m=rnd.randint(1, 64), n=rnd.randint(1, 64), k=rnd.randint(0, 260), tdim=tdim,
                block_m=rnd.choice([tdim, 2 * tdim]), block_n=rnd.choice([tdim, 2 * tdim]),
                block_k=rnd.choice([4 * tdim, 8 * tdim]), row_major_b=rnd.random() < 0.5,
                num_stages=rnd.choice([None, 1, 2]))


def run_case(seed: int, case: Case, sim: str) -> str | None:
    """None if C matches numpy, else what differs."""
    import numpy as np
    from oxcore.config import OxCoreConfig, TensorConfig
    from sw.compiler.launch import launch
    from sw.ops.gemm import gemm, gemm_kn
    config = OxCoreConfig(name=f"tensor-t{case.tdim}", tensor=TensorConfig(tdim=case.tdim))
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (case.m, case.k), dtype=np.int8)
    b = rng.integers(-128, 128, (case.k, case.n), dtype=np.int8)
    c = np.full((case.m, case.n), 0x5A5A5A5A, np.int32)
    grid = (-(-case.m // case.block_m), -(-case.n // case.block_n))
    kernel, operand = (gemm_kn, b) if case.row_major_b else (gemm, np.ascontiguousarray(b.T))
    launch(kernel, grid, a, operand, c, case.m, case.n, case.k, sim=sim, config=config,
           num_stages=case.num_stages, BLOCK_M=case.block_m, BLOCK_N=case.block_n,
           BLOCK_K=case.block_k)
    want = (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32)
    wrong = np.argwhere(c != want)
    if not len(wrong):
        return None
    shown = ", ".join(f"C[{i}][{j}] = {c[i, j]} (numpy {want[i, j]})"
                      for i, j in wrong[:8].tolist())
    return f"{len(wrong)} wrong elements: {shown}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cosim.gemm_fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rtl-every", type=int, default=0, metavar="N",
                        help="run every N-th case on the RTL in lockstep (0: none)")
    parser.add_argument("--out", default="build/gemm-fuzz")
    parser.add_argument("--show", type=int, metavar="SEED", help="print SEED's case and exit")
    args = parser.parse_args(argv)
    if args.show is not None:
        print(draw(args.show).text())
        return 0
    from oxcore.errors import OxCoreError
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started, failures, on_rtl = time.perf_counter(), 0, 0
    for seed in range(args.first_seed, args.first_seed + args.cases):
        case = draw(seed)
        sim = "rtl" if args.rtl_every and (seed - args.first_seed) % args.rtl_every == 0 \
            else "iss"
        on_rtl += sim == "rtl"
        try:
            problem = run_case(seed, case, sim)
        except OxCoreError as exc:  # a divergence from the interpreter, a trap
            problem = str(exc)
        if problem is not None:
            failures += 1
            report = f"seed {seed} ({sim}): {case.text()}\n{problem}\n"
            (out / f"seed-{seed}.txt").write_text(report)
            print(report, end="", flush=True)
    print(f"gemm fuzz: {args.cases - failures}/{args.cases} compiled GEMMs match numpy "
          f"({on_rtl} on the RTL in lockstep; {time.perf_counter() - started:.0f} s)"
          f"{'' if not failures else f'; see {out}'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
