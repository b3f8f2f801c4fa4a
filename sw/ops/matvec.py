"""matvec: y[M] = A[M, K] @ x[K], int8 x int8 -> int32, on the vector engine.

One program per row: the row and x are 1-D blocks of BLOCK bytes (``mask = cols < K``),
multiplied into int16 products (exact: an int8 x int8 product needs 16 bits) and summed
into int32 (a sum of K products needs up to 16 + log2(K) bits), over a loop of K chunks
whose partial sums add up in a scalar. The compiler folds the extensions into the
widening instructions (``vwmul.vv`` at e8, ``vwredsum.vs`` at e16), as the hand-written
`sw/kernels/rvv/dot_i8.S` does: extending to int32 first took 1.8x the cycles at
16x128 (four e32 passes a chunk: two vsext, vmul, vredsum; against two). A BLOCK above
one register group is strip-mined and software-pipelined by the compiler, so with
BLOCK >= K a row is one region and the K loop runs once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sw.compiler import language as tl
from sw.compiler.launch import LaunchError, launch
from sw.ops.checks import require_array

if TYPE_CHECKING:
    from oxcore.config import OxCoreConfig


@tl.kernel
def matvec(a_ptr, x_ptr, y_ptr, M, K, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    acc = tl.zeros((), dtype=tl.int32)
    for start in range(0, K, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        mask = cols < K
        a = tl.load(a_ptr + row * K + cols, mask=mask, other=0)
        x = tl.load(x_ptr + cols, mask=mask, other=0)
        products = a.to(tl.int16) * x.to(tl.int16)  # exact: |a * x| <= 2**14
        acc += tl.sum(products.to(tl.int32))
    tl.store(y_ptr + row, acc)


@tl.kernel
def matvec_rows(a_ptr, x_ptr, y_ptr, M, K, BM: tl.constexpr, BK: tl.constexpr):
    """BM rows a program, each row whole (BK >= K): a 2-D block whose row sums are the
    result, which the compiler runs as one strip loop over the rows (`split-rows`, then
    the row loop's strip loop): x loaded once, each row's products summed and stored
    from the vector registers, the next row loaded meanwhile."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_k = tl.arange(0, BK)
    x = tl.load(x_ptr + offs_k, mask=offs_k < K, other=0)
    a = tl.load(a_ptr + offs_m[:, None] * K + offs_k[None, :],
                mask=(offs_m[:, None] < M) & (offs_k[None, :] < K), other=0)
    products = a.to(tl.int16) * x.to(tl.int16)[None, :]  # exact: |a * x| <= 2**14
    tl.store(y_ptr + offs_m, tl.sum(products.to(tl.int32), axis=1), mask=offs_m < M)


def reference_matvec(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The exact product, in int64, then int32 (it fits for K < 2**17)."""
    return (a.astype(np.int64) @ x.astype(np.int64)).astype(np.int32)


#: rows a program of `matvec_rows`
ROWS = 16


def row_block(k: int) -> int:
    """`matvec_rows`' BK for K: the power of two at or above it."""
    return 1 << (k - 1).bit_length()


def rows_fit(k: int, vlen: int) -> bool:
    """`matvec_rows` takes K when a row's int16 products fill at most one register group
    (K x 16 <= 8 x VLEN: 128 at VLEN 256), so that a row is one chunk of the row loop's
    strip loop."""
    return row_block(k) * 16 <= 8 * vlen


def run_matvec(a: np.ndarray, x: np.ndarray, *, block: int | None = None, sim: str = "iss",
               config: str | OxCoreConfig = "vector") -> np.ndarray:
    """y = a @ x on the vector engine (`sim` "iss" or "rtl"), checked arguments: with
    `matvec_rows` (ROWS rows a program) when K fits it and no `block` is asked for, else
    `matvec` (a program a row, K in chunks of `block`, 1024 by default)."""
    from oxcore.config import OxCoreConfig, load_config
    a = require_array("matvec", "a", a, 2, ("int8",))
    x = require_array("matvec", "x", x, 1, ("int8",))
    rows, k = a.shape
    if x.shape[0] != k:
        raise LaunchError(f"matvec: a is {rows}x{k}, so x needs {k} elements, got "
                          f"{x.shape[0]}")
    y = np.zeros(rows, np.int32)
    vector = (config if isinstance(config, OxCoreConfig) else load_config(config)).vector
    if block is None and vector is not None and rows_fit(k, vector.vlen):
        launch(matvec_rows, -(-rows // ROWS), a, x, y, rows, k, BM=ROWS,
               BK=row_block(k), sim=sim, config=config)
    else:
        launch(matvec, rows, a, x, y, rows, k, BLOCK=block or 1024, sim=sim, config=config)
    return y
