"""transpose: out[N, M] = in[M, N] (int8 or int32), on the vector engine.

One program per output row i (an input column): the column is read with a strided
load (``vlse``, stride N elements: the pointer's coefficient on the row index is the
runtime N) and written as row i of the output contiguously (``vse``), in chunks of
BLOCK rows with ``mask = rows < M``. The opposite mapping (a contiguous row load,
a strided store with ``vsse``) measured no faster on the RTL: see docs/compiler.md.
"""

from __future__ import annotations

import numpy as np

from sw.compiler import language as tl
from sw.compiler.launch import launch
from sw.ops.checks import require_array


@tl.kernel
def transpose(in_ptr, out_ptr, M, N, BLOCK: tl.constexpr):
    col = tl.program_id(0)
    for start in range(0, M, BLOCK):
        rows = start + tl.arange(0, BLOCK)
        mask = rows < M
        column = tl.load(in_ptr + rows * N + col, mask=mask)
        tl.store(out_ptr + col * M + rows, column, mask=mask)


@tl.kernel
def transpose_by_rows(in_ptr, out_ptr, M, N, BLOCK: tl.constexpr):
    """The opposite mapping, kept for the measurement: program i reads input row i
    contiguously and writes it as output column i (a strided store)."""
    row = tl.program_id(0)
    for start in range(0, N, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        mask = cols < N
        values = tl.load(in_ptr + row * N + cols, mask=mask)
        tl.store(out_ptr + cols * M + row, values, mask=mask)


def reference_transpose(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.T)


def run_transpose(x: np.ndarray, *, block: int = 1024, sim: str = "iss",
                  config: str = "vector") -> np.ndarray:
    """x.T on the vector engine (`sim` "iss" or "rtl"), for int8 or int32 x."""
    x = require_array("transpose", "x", x, 2, ("int8", "int32"))
    rows, cols = x.shape
    out = np.zeros((cols, rows), x.dtype)
    launch(transpose, cols, x, out, rows, cols, BLOCK=block, sim=sim, config=config)
    return out
