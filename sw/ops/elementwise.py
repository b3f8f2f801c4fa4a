"""Element-wise operators and reductions on the vector engine: add, relu, bias,
reduce_sum, reduce_max. Triton style: a 1-D grid of programs, each over a BLOCK-sized
slice with ``mask = offsets < n``; a BLOCK larger than one vector register group is
strip-mined by the compiler (sw/compiler/isel_vector.py). Each kernel has a numpy
`reference_*`.
"""

from __future__ import annotations

import numpy as np

from sw.compiler import language as tl


@tl.kernel
def add(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """out = x + y, wrapping in the arrays' dtype (int8 or int32)."""
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x + y, mask=mask)


@tl.kernel
def relu(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """out = max(x, 0)."""
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, tl.maximum(x, 0), mask=mask)


@tl.kernel
def add_2d(x_ptr, y_ptr, out_ptr, M, N, stride, BM: tl.constexpr, BN: tl.constexpr):
    """out = x + y over an M x N matrix whose rows are `stride` elements apart, in BM x BN
    blocks on a 2-D grid: Triton's 2-D form, which the compiler runs row by row
    (`split-rows`, docs/compiler.md)."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.program_id(1) * BN + tl.arange(0, BN)
    offs = offs_m[:, None] * stride + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, x + y, mask=mask)


@tl.kernel
def bias(x_ptr, b_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """out = x + b, b per element (same length as x)."""
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    b = tl.load(b_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x + b, mask=mask)


@tl.kernel
def bias_scalar(x_ptr, out_ptr, n, b, BLOCK: tl.constexpr):
    """out = x + b, one int32 scalar b added to every element of an int32 x."""
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x + b, mask=mask)


@tl.kernel
def reduce_sum(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """out[pid] = sum of x's slice pid, in int32 (int8 input is widened first)."""
    pid = tl.program_id(0)
    offsets = pid * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets, mask=offsets < n, other=0)
    tl.store(out_ptr + pid, tl.sum(x.to(tl.int32)))


@tl.kernel
def reduce_max(x_ptr, out_ptr, n, BLOCK: tl.constexpr, LOWEST: tl.constexpr):
    """out[pid] = max of x's slice pid, as int32. LOWEST is the dtype's minimum (-128 for
    int8): masked-off elements read it, so they never win."""
    pid = tl.program_id(0)
    offsets = pid * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets, mask=offsets < n, other=LOWEST)
    tl.store(out_ptr + pid, tl.max(x).to(tl.int32))


def reference_add(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x + y).astype(x.dtype)  # numpy wraps in the dtype


def reference_relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0).astype(x.dtype)


def reference_bias(x: np.ndarray, b) -> np.ndarray:
    return (x.astype(np.int64) + np.asarray(b, dtype=np.int64)).astype(x.dtype)


def reference_reduce_sum(x: np.ndarray, block: int) -> np.ndarray:
    slices = [x[i:i + block] for i in range(0, len(x), block)]
    return np.array([int(s.astype(np.int64).sum()) for s in slices], dtype=np.int64) \
        .astype(np.uint32).astype(np.int32)


def reference_reduce_max(x: np.ndarray, block: int) -> np.ndarray:
    return np.array([int(x[i:i + block].max()) for i in range(0, len(x), block)],
                    dtype=np.int32)
