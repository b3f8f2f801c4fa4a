"""Kernels using Triton's smaller tl functions (tests/sw/compiler/test_builtins.py):
abs, cast, zeros_like, the hints multiple_of / max_contiguous / max_constancy, and
static_assert. Line numbers matter to the error tests."""

from sw.compiler import language as tl


@tl.kernel
def small_builtins(x_ptr, out_ptr, n, s, BLOCK: tl.constexpr):
    tl.static_assert(BLOCK % 16 == 0, "BLOCK must be a multiple of 16")
    pid = tl.program_id(0)
    offs = tl.max_contiguous(tl.multiple_of(pid * BLOCK + tl.arange(0, BLOCK), BLOCK), BLOCK)
    offs = tl.max_constancy(offs, 1)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0)
    y = tl.abs(x) + tl.zeros_like(x)
    narrow = tl.cast(y, tl.int8)
    total = tl.zeros_like(s) + tl.abs(s) + tl.abs(-3)
    tl.store(out_ptr + offs, narrow.to(tl.int32) + total, mask=mask)


@tl.kernel
def failed_assert(out_ptr, BLOCK: tl.constexpr):
    tl.static_assert(BLOCK <= 64, "BLOCK too large")
    tl.store(out_ptr + tl.arange(0, BLOCK), tl.zeros((BLOCK,), tl.int32))


@tl.kernel
def runtime_assert(out_ptr, n):
    tl.static_assert(n > 0)
    tl.store(out_ptr, n)


@tl.kernel
def runtime_hint(out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.multiple_of(tl.arange(0, BLOCK), n)
    tl.store(out_ptr + offs, offs)


@tl.kernel
def minimum_of(x_ptr, out_ptr, n, OTHER: tl.constexpr, BLOCK: tl.constexpr):
    """tl.min of a masked 1-D block (masked-off elements read OTHER), strip-mined."""
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=OTHER)
    tl.store(out_ptr, tl.min(x).to(tl.int32))


@tl.kernel
def row_and_column_minima(x_ptr, rows_ptr, cols_ptr, M, N, BM: tl.constexpr,
                          BN: tl.constexpr):
    """tl.min along each axis of a masked 2-D block (split-rows)."""
    offs_m = tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :], mask=mask, other=127)
    tl.store(rows_ptr + offs_m, tl.min(x, axis=1), mask=offs_m < M)
    tl.store(cols_ptr + offs_n, tl.min(x, axis=0), mask=offs_n < N)


@tl.kernel
def constexpr_casts(out_ptr, BIG: tl.constexpr):
    tl.static_assert(BIG > 255, msg="BIG must not fit a byte")
    tl.store(out_ptr, tl.cast(BIG, tl.int8).to(tl.int32))
    tl.store(out_ptr + 1, tl.cast(BIG * 300, tl.int16).to(tl.int32))


@tl.kernel
def zeros_like_pointers(x_ptr, out_ptr):
    tl.store(out_ptr, tl.zeros_like(x_ptr))
