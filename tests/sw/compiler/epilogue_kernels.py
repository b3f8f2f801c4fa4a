"""GEMMs ending in element-wise work on the accumulator, for test_epilogue.py
(`epilogue-through-memory`). Line numbers are asserted: append."""

from sw.compiler import language as tl


@tl.jit
def gemm_then(a_ptr, bt_ptr, c_ptr, bias_ptr, M, N, K, EPILOGUE: tl.constexpr,
              BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * K + offs_k[None, :]
    b_ptrs = bt_ptr + offs_k[:, None] + offs_n[None, :] * K
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K - k), other=0)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] < K - k) & (offs_n[None, :] < N), other=0)
        acc = tl.dot(a, b, acc)
        a_ptrs += BLOCK_K
        b_ptrs += BLOCK_K
    bias = tl.load(bias_ptr + offs_n, mask=offs_n < N, other=0)
    if EPILOGUE == "clamp":
        out = tl.minimum(tl.maximum(acc, -1000), 1000)
    elif EPILOGUE == "scaled":
        out = (acc >> 4) * 3 - bias[None, :]  # a bias read before the tile is stored
    else:  # "where"
        out = tl.where(acc > bias[None, :], acc - bias[None, :], 0)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    tl.store(c_ptr + offs_m[:, None] * N + offs_n[None, :], out, mask=mask)


@tl.jit
def gemm_narrowed(a_ptr, bt_ptr, c_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    ks = tl.arange(0, 32)
    a = tl.load(a_ptr + offs[:, None] * 32 + ks[None, :])
    b = tl.load(bt_ptr + ks[:, None] + offs[None, :] * 32)
    acc = tl.dot(a, b)
    tl.store(c_ptr + offs[:, None] * BLOCK + offs[None, :], (acc >> 8).to(tl.int8))
