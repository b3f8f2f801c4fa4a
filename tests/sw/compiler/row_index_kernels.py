"""Per-row arithmetic on the row index itself (`offs_m % 2`, `offs_m == 1`, `offs_m // 4`),
for test_row_index.py: `split-rows` computes it a scalar a row. Append only."""

from sw.compiler import language as tl


@tl.jit
def row_sums_except(x_ptr, y_ptr, M, SKIP: tl.constexpr, N: tl.constexpr,
                    BLOCK_M: tl.constexpr):
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=offs_m[:, None] < M,
                other=0)
    s = tl.sum(x, axis=1)
    s = tl.where(offs_m == SKIP, 0, s)
    tl.store(y_ptr + offs_m, s + offs_m // 4, mask=offs_m < M)


@tl.jit
def alternate_rows(x_ptr, y_ptr, M, N: tl.constexpr, BLOCK_M: tl.constexpr):
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, N)
    ptrs = offs_m[:, None] * N + offs_n[None, :]
    x = tl.load(x_ptr + ptrs, mask=offs_m[:, None] < M)
    y = tl.where((offs_m % 2 == 0)[:, None], x, -x) + (offs_m % 3)[:, None]
    tl.store(y_ptr + ptrs, y, mask=offs_m[:, None] < M)


@tl.jit
def store_mask_row_and_col(x_ptr, y_ptr, M, N: tl.constexpr, BLOCK_M: tl.constexpr):
    """A store mask with a column bound the loads do not have (found by review: the
    bound was dropped, every column written; now an error, the regions' masks differ)."""
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, N)
    ptrs = offs_m[:, None] * N + offs_n[None, :]
    x = tl.load(x_ptr + ptrs, mask=offs_m[:, None] < M)
    tl.store(y_ptr + ptrs, x + 1, mask=(offs_m % 2 == 0)[:, None] & (offs_n[None, :] < 5))


@tl.jit
def every_other_column(x_ptr, y_ptr, M, N: tl.constexpr, BLOCK_M: tl.constexpr):
    """Columns picked by their index (`(offs_n % 2 == 0)[None, :]`, the same in every
    row) in a where and a store mask."""
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, N)
    ptrs = offs_m[:, None] * N + offs_n[None, :]
    x = tl.load(x_ptr + ptrs, mask=offs_m[:, None] < M)
    y = tl.where((offs_n % 3 == 0)[None, :], -x, x)
    tl.store(y_ptr + ptrs, y, mask=(offs_m[:, None] < M) & (offs_n % 2 == 0)[None, :])


@tl.jit
def index_terms_scaled(x_ptr, y_ptr, M, N: tl.constexpr, BLOCK_M: tl.constexpr):
    """Work on the [R, 1] and [1, C] blocks before their broadcast (found by review:
    `(offs_m % 3)[:, None] * 10` was refused)."""
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, N)
    ptrs = offs_m[:, None] * N + offs_n[None, :]
    x = tl.load(x_ptr + ptrs, mask=offs_m[:, None] < M)
    y = x + (offs_m % 3)[:, None] * 10 + ((offs_n // 4)[None, :] + 1) * 100
    tl.store(y_ptr + ptrs, y, mask=offs_m[:, None] < M)


@tl.jit
def rows_from_pairs(x_ptr, y_ptr, M, N: tl.constexpr, BLOCK_M: tl.constexpr):
    """y[r] = x[r // 2] (each source row twice), rows read through pointers made a row:
    each row's base from its index, the columns a unit-stride access."""
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, N)
    x = tl.load(x_ptr + (offs_m // 2)[:, None] * N + offs_n[None, :], mask=offs_m[:, None] < M)
    tl.store(y_ptr + offs_m[:, None] * N + offs_n[None, :], x, mask=offs_m[:, None] < M)
