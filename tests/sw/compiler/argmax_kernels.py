"""tl.argmax / tl.argmin and tl.max(..., return_indices=True), for test_argmax.py."""

from sw.compiler import language as tl


@tl.jit
def arg_1d(x_ptr, values_ptr, indices_ptr, n, KIND: tl.constexpr, LEFT: tl.constexpr,
           FILL: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=FILL)  # (past n: FILL takes part)
    if KIND == "max":
        value, index = tl.max(x, axis=0, return_indices=True,
                              return_indices_tie_break_left=LEFT)
    else:
        value = tl.min(x, axis=0)
        index = tl.argmin(x, 0, tie_break_left=LEFT)
    tl.store(values_ptr, value.to(tl.int32))
    tl.store(indices_ptr, index)


@tl.jit
def arg_rows(x_ptr, out_ptr, M, N: tl.constexpr, BLOCK_M: tl.constexpr):
    """A classifier head: each row's argmax (the digits MLP's prediction)."""
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    x = tl.load(x_ptr + rows[:, None] * N + tl.arange(0, N)[None, :], mask=rows[:, None] < M)
    tl.store(out_ptr + rows, tl.argmax(x, axis=1), mask=rows < M)


@tl.jit
def arg_columns(x_ptr, out_ptr, M: tl.constexpr, N: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, M)[:, None] * N + tl.arange(0, N)[None, :])
    tl.store(out_ptr + tl.arange(0, N), tl.argmin(x, axis=0, tie_break_left=False))
