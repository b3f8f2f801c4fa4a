"""Kernels that wrap their offsets (`offs % n`, Triton's edge idiom), for
test_unwrap_offsets.py: those whose wrapped rows are dead (the `%` becomes a mask) and
those whose are not (a CompileError at the `%`). Line numbers are asserted: append."""

from sw.compiler import language as tl


@tl.jit
def copy_wrapped(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs % n)
    tl.store(y_ptr + offs, x + 1, mask=offs < n)


@tl.jit
def sum_wrapped(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs % n)
    tl.store(y_ptr + tl.program_id(0), tl.sum(x, axis=0))  # the wrapped rows counted


@tl.jit
def store_unmasked(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs % n)
    tl.store(y_ptr + offs, x)  # the wrapped rows written


@tl.jit
def rows_of_matrix(x_ptr, y_ptr, M, N: tl.constexpr, BLOCK_M: tl.constexpr):
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = tl.arange(0, N)
    x = tl.load(x_ptr + (rows % M)[:, None] * N + cols[None, :])
    total = tl.sum(x.to(tl.int32), axis=1)  # along the columns: rows stay rows
    tl.store(y_ptr + rows, total, mask=rows < M)


@tl.jit
def rows_summed_down(x_ptr, y_ptr, M, N: tl.constexpr, BLOCK_M: tl.constexpr):
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = tl.arange(0, N)
    x = tl.load(x_ptr + (rows % M)[:, None] * N + cols[None, :])
    total = tl.sum(x.to(tl.int32), axis=0)  # across the rows
    tl.store(y_ptr + tl.program_id(0) * N + cols, total)


@tl.jit
def wrap_as_data(y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, offs % n)  # not an address: computed as written


@tl.jit
def dot_wrapped_k(a_ptr, b_ptr, c_ptr, K, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    ks = tl.arange(0, 32) % K
    a = tl.load(a_ptr + offs[:, None] * 32 + ks[None, :])
    b = tl.load(b_ptr + ks[:, None] * BLOCK + offs[None, :])
    c = tl.dot(a, b)
    tl.store(c_ptr + offs[:, None] * BLOCK + offs[None, :], c)


@tl.jit
def wrong_bound(x_ptr, y_ptr, n, m, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs % n)
    tl.store(y_ptr + offs, x, mask=offs < m)  # m is not the wrap's n


@tl.jit
def both_wrapped(x_ptr, y_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    rows = tl.program_id(0) * BM + tl.arange(0, BM)
    cols = tl.program_id(1) * BN + tl.arange(0, BN)
    x = tl.load(x_ptr + (rows % M)[:, None] * N + (cols % N)[None, :])
    tl.store(y_ptr + rows[:, None] * N + cols[None, :], x + 1,
             mask=(rows[:, None] < M) & (cols[None, :] < N))


@tl.jit
def wrapped_in_a_loop(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    acc = tl.zeros((BLOCK,), dtype=tl.int32)
    for i in range(2):
        offs = tl.arange(0, BLOCK) + (1 - i) * BLOCK
        acc += tl.load(x_ptr + offs % n)  # row i past n in one iteration, not the next
        tl.store(y_ptr + tl.arange(0, BLOCK), acc, mask=offs < n)


@tl.jit
def pointer_wrapped_for_the_next_iteration(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    p = x_ptr + tl.arange(0, BLOCK)
    for i in range(2):
        v = tl.load(p)
        offs = tl.arange(0, BLOCK) + (i + 1) * BLOCK
        tl.store(y_ptr + offs - BLOCK, v, mask=offs < n)
        p = x_ptr + offs % n


@tl.jit
def bound_written_the_other_way(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs % n)
    offs_c = tl.arange(0, BLOCK) + tl.program_id(0) * BLOCK
    tl.store(y_ptr + offs_c, x * 2, mask=offs_c < n)


@tl.jit
def clamped_copy(x_ptr, y_ptr, n, BLOCK: tl.constexpr, NUM: tl.constexpr):
    """y[i] = x[i] + 1, by NUM programs looping over the blocks (as a persistent kernel
    does), the loads' offsets clamped (`tl.where(offs < n, offs, 0)`) and the store's
    recomputed from a second counter stepped beside the loop's."""
    block_c = tl.program_id(0) - NUM
    for block in tl.range(tl.program_id(0), tl.cdiv(n, BLOCK), NUM):
        offs = block * BLOCK + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + tl.where(offs < n, offs, 0))
        block_c += NUM
        offs_c = block_c * BLOCK + tl.arange(0, BLOCK)
        tl.store(y_ptr + offs_c, x + 1, mask=offs_c < n)


@tl.jit
def clamped_copy_one_behind(x_ptr, y_ptr, n, BLOCK: tl.constexpr, NUM: tl.constexpr):
    block_c = tl.program_id(0)  # (not minus NUM: one step ahead of the loop's block)
    for block in tl.range(tl.program_id(0), tl.cdiv(n, BLOCK), NUM):
        offs = block * BLOCK + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + tl.where(offs < n, offs, 0))
        block_c += NUM
        offs_c = block_c * BLOCK + tl.arange(0, BLOCK)
        tl.store(y_ptr + offs_c - NUM * BLOCK, x + 1, mask=offs_c < n)
