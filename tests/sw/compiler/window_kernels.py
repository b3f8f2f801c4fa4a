"""Kernels whose tile-load masks have lower bounds and block conditions (trow0), and
masks the tensor engine cannot express (test_codegen_tensor.py)."""

from sw.compiler import language as tl


@tl.kernel
def row_window_gemm(a_ptr, bt_ptr, c_ptr, M, N, K, LO, HI, ON, STEP: tl.constexpr,
                    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """C[m] = A[m * STEP] @ B^T for LO <= m * STEP < HI when ON, else 0: masks with a
    lower bound on the tile rows (trow0), over a strided index, and a condition on the
    whole block."""
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    row = offs_m * STEP
    a_ptrs = a_ptr + row[:, None] * K + offs_k[None, :]
    b_ptrs = bt_ptr + offs_n[None, :] * K + offs_k[:, None]
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        inside = (ON != 0) & (row[:, None] >= LO) & (row[:, None] < HI) & (offs_m[:, None] < M)
        a = tl.load(a_ptrs, mask=inside & (offs_k[None, :] + k < K), other=0)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] + k < K) & (offs_n[None, :] < N), other=0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K
        b_ptrs += BLOCK_K
    tl.store(c_ptr + offs_m[:, None] * N + offs_n[None, :], acc,
             mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


@tl.kernel
def column_lower_bound(a_ptr, bt_ptr, c_ptr, K, LO, BLOCK: tl.constexpr):
    """A lower bound on the tile rows' consecutive dimension: not expressible."""
    offs = tl.arange(0, BLOCK)
    offs_k = tl.arange(0, 4 * BLOCK)
    a = tl.load(a_ptr + offs[:, None] * K + offs_k[None, :], mask=offs_k[None, :] >= LO)
    b = tl.load(bt_ptr + offs[None, :] * K + offs_k[:, None])
    acc = tl.dot(a, b, tl.zeros((BLOCK, BLOCK), dtype=tl.int32))
    tl.store(c_ptr + offs[:, None] * BLOCK + offs[None, :], acc)


@tl.kernel
def row_window_store(a_ptr, bt_ptr, c_ptr, M, N, K, LO, BLOCK_M: tl.constexpr,
                     BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """C[m] = A[m] @ B^T stored for LO <= m < M only: a tile store whose mask has a
    lower bound on the rows (trow0), in the GEMM pattern whose store is otherwise
    deferred to the next program."""
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * K + offs_k[None, :]
    b_ptrs = bt_ptr + offs_n[None, :] * K + offs_k[:, None]
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] + k < K), other=0)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] + k < K) & (offs_n[None, :] < N), other=0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K
        b_ptrs += BLOCK_K
    tl.store(c_ptr + offs_m[:, None] * N + offs_n[None, :], acc,
             mask=(offs_m[:, None] >= LO) & (offs_m[:, None] < M) & (offs_n[None, :] < N))


@tl.kernel
def store_column_lower_bound(a_ptr, bt_ptr, c_ptr, K, LO, BLOCK: tl.constexpr):
    """A tile store masked with a lower bound on its consecutive dimension: not
    expressible (trow0 skips rows, not the first elements of a row)."""
    offs = tl.arange(0, BLOCK)
    offs_k = tl.arange(0, 4 * BLOCK)
    a = tl.load(a_ptr + offs[:, None] * K + offs_k[None, :])
    b = tl.load(bt_ptr + offs[None, :] * K + offs_k[:, None])
    acc = tl.dot(a, b, tl.zeros((BLOCK, BLOCK), dtype=tl.int32))
    tl.store(c_ptr + offs[:, None] * BLOCK + offs[None, :], acc, mask=offs[None, :] >= LO)
