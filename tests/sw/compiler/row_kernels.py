"""Kernels on 2-D data blocks, which `split-rows` turns into loops over 1-D rows
(tests/sw/compiler/test_row_split.py), beside the library's `add_2d`
(sw/ops/elementwise.py)."""

from sw.compiler import language as tl


@tl.kernel
def bias_relu2d(x_ptr, b_ptr, out_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """out = max(x + b[None, :], 0): a 1-D bias row broadcast down the rows."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    offs = offs_m[:, None] * N + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs, mask=mask)
    b = tl.load(b_ptr + offs_n, mask=offs_n < N, other=0)
    tl.store(out_ptr + offs, tl.maximum(x + b[None, :], 0), mask=mask)


@tl.kernel
def widen_where2d(x_ptr, out_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """int8 in, int32 out: 3x where x > 0, else -x, minus the element's column."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    offs = offs_m[:, None] * N + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs, mask=mask).to(tl.int32)
    y = tl.where(x > 0, x * 3, -x) - offs_n[None, :]
    tl.store(out_ptr + offs, y, mask=mask)


@tl.kernel
def transpose2d(x_ptr, out_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """out[N, M] = x[M, N]^T: out's rows are x's columns (strided loads)."""
    offs_n = tl.program_id(0) * BN + tl.arange(0, BN)
    offs_m = tl.program_id(1) * BM + tl.arange(0, BM)
    mask = (offs_n[:, None] < N) & (offs_m[None, :] < M)
    x = tl.load(x_ptr + offs_m[None, :] * N + offs_n[:, None], mask=mask)
    tl.store(out_ptr + offs_n[:, None] * M + offs_m[None, :], x, mask=mask)


@tl.kernel
def index_and_band(out_ptr, idx_ptr, M, N, LO, BM: tl.constexpr, BN: tl.constexpr):
    """idx[i, j] = i * N + j, an index block stored; out's rows LO <= i < M set to 7
    (a lower bound on the rows), two stores of one component."""
    offs_m = tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    offs = offs_m[:, None] * N + offs_n[None, :]
    inside = offs_n[None, :] < N
    tl.store(idx_ptr + offs, offs, mask=(offs_m[:, None] < M) & inside)
    band = (offs_m[:, None] >= LO) & (offs_m[:, None] < M) & inside
    tl.store(out_ptr + offs, tl.full((BM, BN), 7, tl.int32), mask=band)


@tl.kernel
def copy_twice(x_ptr, a_ptr, b_ptr, N, BM: tl.constexpr, BN: tl.constexpr):
    """a = x and b = 2x: two stores sharing one load (one loop, one load a row)."""
    offs = tl.arange(0, BM)[:, None] * N + tl.arange(0, BN)[None, :]
    mask = tl.arange(0, BN)[None, :] < N
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(a_ptr + offs, x, mask=mask)
    tl.store(b_ptr + offs, x + x, mask=mask)


@tl.kernel
def store_between(x_ptr, out_ptr, flag_ptr, BM: tl.constexpr, BN: tl.constexpr):
    offs = tl.arange(0, BM)[:, None] * BN + tl.arange(0, BN)[None, :]
    x = tl.load(x_ptr + offs)
    tl.store(flag_ptr, 1)
    tl.store(out_ptr + offs, x)


@tl.kernel
def row_sums(x_ptr, sums_ptr, maxes_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """sums[i] = sum of row i (int8 widened to int32), maxes[i] = its maximum."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask, other=0)
    tl.store(sums_ptr + offs_m, tl.sum(x.to(tl.int32), axis=1), mask=offs_m < M)
    lowest = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask, other=-128)
    tl.store(maxes_ptr + offs_m, tl.max(lowest, axis=1), mask=offs_m < M)


@tl.kernel
def center_rows(x_ptr, out_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """out = x - max(x's row) (softmax's first step, in int32): x[:, None] of a row
    reduction is each row's scalar."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    offs = offs_m[:, None] * N + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs, mask=mask, other=-2147483648)
    tl.store(out_ptr + offs, x - tl.max(x, axis=1)[:, None], mask=mask)


@tl.kernel
def scale_rows(x_ptr, s_ptr, out_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """out = x * s[:, None]: one scale a row (s loaded with other=0 past M)."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    offs = offs_m[:, None] * N + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    s = tl.load(s_ptr + offs_m, mask=offs_m < M)
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, x * s[:, None], mask=mask)


@tl.kernel
def column_sums(x_ptr, sums_ptr, maxes_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """sums[j] = sum of column j over M rows (int32), maxes[j] its maximum, in one
    program: BM covers M, a loop over rows carries both accumulators."""
    offs_m = tl.arange(0, BM)
    offs_n = tl.program_id(0) * BN + tl.arange(0, BN)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask, other=0)
    tl.store(sums_ptr + offs_n, tl.sum(x, axis=0), mask=offs_n < N)
    low = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask,
                  other=-2147483648)
    tl.store(maxes_ptr + offs_n, tl.max(low, axis=0), mask=offs_n < N)


@tl.kernel
def column_sums_other_one(x_ptr, sums_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    offs_m = tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask, other=1)
    tl.store(sums_ptr + offs_n, tl.sum(x, axis=0), mask=offs_n < N)


@tl.kernel
def positive_doubled(x_ptr, out_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """out = 2x where x > 0 (a store mask that depends on data), the rest untouched;
    and a tl.where on the column index."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    offs = offs_m[:, None] * N + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs, mask=mask, other=0)
    tl.store(out_ptr + offs, tl.where(offs_n[None, :] < 3, x, x * 2), mask=mask & (x > 0))


@tl.kernel
def triple_in_place(x_ptr, M, N, stride, BM: tl.constexpr, BN: tl.constexpr):
    """x = 3x in place over M x N of rows `stride` apart: each row is loaded and stored
    through one pointer block (the row loop runs as a strip loop, the next row loaded
    before this one is stored)."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.program_id(1) * BN + tl.arange(0, BN)
    p = x_ptr + offs_m[:, None] * stride + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    tl.store(p, tl.load(p, mask=mask) * 3, mask=mask)


@tl.kernel
def copy_row_down(x_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """Row r + 1 = row r, through one pointer argument: a store that a later row's load
    could read, so each row is loaded and stored in turn (no strip loop)."""
    offs_m = tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    mask = (offs_m[:, None] < M - 1) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask)
    tl.store(x_ptr + (offs_m[:, None] + 1) * N + offs_n[None, :], x, mask=mask)


@tl.kernel
def products_sum(x_ptr, y_ptr, z_ptr, w_ptr, out_ptr, M, N, BM: tl.constexpr,
                 BN: tl.constexpr):
    """out = x*y + z*w: four loaded rows live at once, which at int32 and 64 columns
    (a register group of 8 at VLEN 256) do not fit one register set."""
    offs_m = tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    offs = offs_m[:, None] * N + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    z = tl.load(z_ptr + offs, mask=mask)
    w = tl.load(w_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, x * y + z * w, mask=mask)


@tl.kernel
def triple_regrouped(x_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """x = 3x in place, the load's pointers x + (rows + columns), the store's
    (x + rows) + columns: other ops, the same addresses."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + (offs_m[:, None] * N + offs_n[None, :]), mask=mask)
    tl.store(x_ptr + offs_m[:, None] * N + offs_n[None, :], x * 3, mask=mask)


@tl.kernel
def add_twice_row0(x_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """x[i, :] += 2 * x[0, :] in place: row 0 read, through an op, in every row."""
    offs_m = tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    p = x_ptr + offs_m[:, None] * N + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    b = tl.load(x_ptr + offs_n, mask=offs_n < N, other=0)
    twice = b * 2
    tl.store(p, tl.load(p, mask=mask) + twice[None, :], mask=mask)


@tl.kernel
def increment_one_row_each_row(x_ptr, N, BM: tl.constexpr, BN: tl.constexpr):
    """x[:N] += 1 through a pointer block whose BM rows are all x[:N] (row term 0)."""
    offs_m = tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    p = x_ptr + offs_m[:, None] * 0 + offs_n[None, :]
    mask = offs_n[None, :] < N
    tl.store(p, tl.load(p, mask=mask) + 1, mask=mask)


@tl.kernel
def row_sums_other_one(x_ptr, sums_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """sums[i] = sum of row i's BN elements, the BN - N masked-off ones reading 1."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask, other=1)
    tl.store(sums_ptr + offs_m, tl.sum(x, axis=1), mask=offs_m < M)


@tl.kernel
def partial_row_sums(x_ptr, s_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """s[j * M + i] = sum of row i's columns in column block j (other=0): a grid wider
    than N has blocks with no column, whose sums are 0."""
    pid_n = tl.program_id(1)
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = pid_n * BN + tl.arange(0, BN)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask, other=0)
    tl.store(s_ptr + pid_n * M + offs_m, tl.sum(x, axis=1), mask=offs_m < M)


@tl.kernel
def row_sums_and_squares(x_ptr, sums_ptr, squares_ptr, M, N, BM: tl.constexpr,
                         BN: tl.constexpr):
    """The sum of each row and of its squares from one load, stored under one row mask."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask, other=0)
    tl.store(sums_ptr + offs_m, tl.sum(x, axis=1), mask=offs_m < M)
    tl.store(squares_ptr + offs_m, tl.sum(x * x, axis=1), mask=offs_m < M)


@tl.kernel
def layer_norm_int(x_ptr, g_ptr, out_ptr, mean_ptr, M, N, BM: tl.constexpr,
                   BN: tl.constexpr):
    """An integer layer norm's centring and scaling: each row less its mean (sum // N),
    times a gain loaded a row, clamped by its own row maximum plus one (keep_dims), and
    the means stored: arithmetic on one scalar a row before it meets the row."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask, other=0)
    wide = x.to(tl.int32)
    mean = tl.sum(wide, axis=1) // N
    gain = tl.load(g_ptr + offs_m, mask=offs_m < M, other=1)
    limit = wide.max(axis=1, keep_dims=True) + 1
    centred = (wide - mean[:, None]) * tl.where(gain > 0, gain, -gain)[:, None]
    tl.store(out_ptr + offs_m[:, None] * N + offs_n[None, :], tl.minimum(centred, limit),
             mask=mask)
    tl.store(mean_ptr + offs_m, (mean - 1).to(tl.int16), mask=offs_m < M)


@tl.kernel
def row_flags(x_ptr, top_ptr, flag_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """A uint8 row maximum stored through *i32 (zero-extended), and a row's flag `sum
    <= 0` written `(sum > 0) ^ True`, stored as int8."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask, other=0)
    tl.store(top_ptr + offs_m, tl.max(x, axis=1), mask=offs_m < M)
    total = tl.sum(x.to(tl.int8).to(tl.int32), axis=1)
    tl.store(flag_ptr + offs_m, (total > 0) ^ True, mask=offs_m < M)
