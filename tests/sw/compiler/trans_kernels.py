"""Kernels using tl.trans and .T (tests/sw/compiler/test_trans.py). Line numbers
matter to the error tests."""

from sw.compiler import language as tl


@tl.kernel
def gemm_trans_b(a_ptr, bt_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr,
                 BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, DOT_T: tl.constexpr):
    """C = A @ BT^T with BT[N, K] loaded as it is stored (BLOCK_N x BLOCK_K) and
    transposed for tl.dot: `tl.dot(q, tl.trans(k))` in attention kernels."""
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * K + offs_k[None, :]
    bt_ptrs = bt_ptr + offs_n[:, None] * K + offs_k[None, :]
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K - k), other=0)
        bt = tl.load(bt_ptrs, mask=(offs_n[:, None] < N) & (offs_k[None, :] < K - k), other=0)
        if DOT_T:
            acc = tl.dot(a, bt.T, acc)
        else:
            acc = tl.dot(a, tl.trans(bt), acc)
        a_ptrs += BLOCK_K
        bt_ptrs += BLOCK_K
    c_ptrs = c_ptr + offs_m[:, None] * N + offs_n[None, :]
    tl.store(c_ptrs, acc, mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


@tl.kernel
def gemm_stored_transposed(a_ptr, bt_ptr, ct_ptr, M, N, K, BLOCK_M: tl.constexpr,
                           BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """CT = (A @ BT^T)^T, stored row-major as [N, M]: the product's transpose is
    BT @ A^T, whose operands load as they are stored (tl.dot's own order swapped)."""
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a = tl.load(a_ptr + offs_m[:, None] * K + offs_k[None, :],
                mask=(offs_m[:, None] < M) & (offs_k[None, :] < K), other=0)
    bt = tl.load(bt_ptr + offs_n[:, None] * K + offs_k[None, :],
                 mask=(offs_n[:, None] < N) & (offs_k[None, :] < K), other=0)
    c = tl.dot(a, tl.trans(bt))
    ct_ptrs = ct_ptr + offs_n[:, None] * M + offs_m[None, :]
    tl.store(ct_ptrs, tl.trans(c), mask=(offs_n[:, None] < N) & (offs_m[None, :] < M))


@tl.kernel
def transpose_add(x_ptr, y_ptr, out_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """out[N, M] = x[M, N]^T + y[N, M]: element-wise work on a transposed block (its
    rows are x's columns: strided loads)."""
    offs_m = tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    x = tl.load(x_ptr + offs_m[:, None] * N + offs_n[None, :],
                mask=(offs_m[:, None] < M) & (offs_n[None, :] < N), other=0)
    xt = tl.trans(x, 1, 0) + 1
    nm = offs_n[:, None] * M + offs_m[None, :]
    mask = (offs_n[:, None] < N) & (offs_m[None, :] < M)
    y = tl.load(y_ptr + nm, mask=mask, other=0)
    tl.store(out_ptr + nm, xt + y, mask=mask)


@tl.kernel
def trans_of_a_row_sum(x_ptr, out_ptr, BM: tl.constexpr, BN: tl.constexpr):
    offs = tl.arange(0, BM)[:, None] * BN + tl.arange(0, BN)[None, :]
    s = tl.sum(tl.load(x_ptr + offs), axis=1)
    tl.store(out_ptr + tl.arange(0, BM), tl.trans(s))


@tl.kernel
def gemm_accumulator_stored_transposed(a_ptr, bt_ptr, ct_ptr, K, BM: tl.constexpr,
                                       BN: tl.constexpr, BK: tl.constexpr,
                                       REQUANTIZE: tl.constexpr):
    """A K loop's accumulator transposed: its store goes through transposed pointers;
    anything else is refused."""
    offs_m, offs_n, offs_k = tl.arange(0, BM), tl.arange(0, BN), tl.arange(0, BK)
    acc = tl.zeros((BM, BN), tl.int32)
    for k in range(0, K, BK):
        a = tl.load(a_ptr + offs_m[:, None] * K + (k + offs_k)[None, :])
        bt = tl.load(bt_ptr + offs_n[:, None] * K + (k + offs_k)[None, :])
        acc = tl.dot(a, tl.trans(bt), acc)
    ct_ptrs = ct_ptr + offs_n[:, None] * BM + offs_m[None, :]
    if REQUANTIZE:
        tl.store(ct_ptrs, tl.requantize(tl.trans(acc), 1 << 30, 4, 0))
    else:
        tl.store(ct_ptrs, tl.trans(acc))


@tl.kernel
def trans_with_an_order(x_ptr, out_ptr, BM: tl.constexpr, BN: tl.constexpr):
    offs = tl.arange(0, BM)[:, None] * BN + tl.arange(0, BN)[None, :]
    tl.store(out_ptr + offs, tl.trans(tl.load(x_ptr + offs), 0, 1))
