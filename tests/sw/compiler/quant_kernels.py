"""Small quantized-GEMM kernels for the pass and error tests: one program, one block,
a bias added in the ways `fold-accumulator-bias` folds (or must not), a ReLU that
`fuse-requantize-relu` fuses (or must not)."""

from sw.compiler import language as tl


@tl.kernel
def biased_dot(a_ptr, bt_ptr, bias_ptr, c_ptr, K, multiplier, shift, zero_point,
               BLOCK: tl.constexpr, BLOCK_K: tl.constexpr, START: tl.constexpr,
               FLOOR: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs[:, None] * K + offs_k[None, :]
    b_ptrs = bt_ptr + offs_k[:, None] + offs[None, :] * K
    acc = tl.full((BLOCK, BLOCK), START, dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        acc = tl.dot(tl.load(a_ptrs), tl.load(b_ptrs), acc)
        a_ptrs += BLOCK_K
        b_ptrs += BLOCK_K
    bias = tl.load(bias_ptr + offs, mask=offs < BLOCK, other=0)
    acc = bias[None, :] + acc
    acc = tl.maximum(acc, FLOOR)
    q = tl.requantize(acc, multiplier, shift, zero_point)
    tl.store(c_ptr + offs[:, None] * BLOCK + offs[None, :], q)


@tl.kernel
def bias_block(a_ptr, bt_ptr, bias_ptr, c_ptr, K, BLOCK: tl.constexpr,
               BLOCK_K: tl.constexpr):
    """The bias is a whole 2-D block, not a broadcast row: the accumulator starts at
    its 2-D load."""
    offs = tl.arange(0, BLOCK)
    offs_k = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK, BLOCK), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_ptr + offs[:, None] * K + offs_k[None, :] + k)
        b = tl.load(bt_ptr + offs_k[:, None] + offs[None, :] * K + k)
        acc = tl.dot(a, b, acc)
    acc = acc + tl.load(bias_ptr + offs[:, None] * BLOCK + offs[None, :])
    q = tl.requantize(acc, 1 << 30, 4, 0)
    tl.store(c_ptr + offs[:, None] * BLOCK + offs[None, :], q)


@tl.kernel
def requantize_tile(x_ptr, out_ptr, multiplier, shift, zero_point, BLOCK: tl.constexpr):
    """tl.requantize of an int32 block loaded from memory (tld.w, then tst.b)."""
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs[:, None] * BLOCK + offs[None, :])
    q = tl.requantize(x, multiplier, shift, zero_point)
    tl.store(out_ptr + offs[:, None] * BLOCK + offs[None, :], q)


BIASED_DOT = ("a_ptr:*i8,bt_ptr:*i8,bias_ptr:*i32,c_ptr:*i8,K:i32,multiplier:i32,shift:i32,"
              "zero_point:i32,BLOCK=16,BLOCK_K=32")
BIAS_BLOCK = "a_ptr:*i8,bt_ptr:*i8,bias_ptr:*i32,c_ptr:*i8,K:i32,BLOCK=16,BLOCK_K=32"
RESIDUAL_AFTER_STORE = ("a_ptr:*i8,bt_ptr:*i8,r_ptr:*i32,c_ptr:*i32,flag_ptr:*i32,K:i32,"
                        "BLOCK=16,BLOCK_K=32")


@tl.kernel
def gemm_residual(a_ptr, bt_ptr, r_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr,
                  BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """C = A @ B + R (int32 R, C; BLAS's beta = 1 when c_ptr is r_ptr): the gemm of
    sw/ops/gemm.py with a residual block added to the dot loop's result, which
    `fold-accumulator-bias` makes the accumulator's start."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
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
    offs = offs_m[:, None] * N + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    acc = acc + tl.load(r_ptr + offs, mask=mask, other=0)
    tl.store(c_ptr + offs, acc, mask=mask)


@tl.kernel
def residual_after_store(a_ptr, bt_ptr, r_ptr, c_ptr, flag_ptr, K, BLOCK: tl.constexpr,
                         BLOCK_K: tl.constexpr):
    """A store between the dot loop and the residual's load: moving the load before the
    loop could read what the store changes, so the add stays (a clear error)."""
    offs = tl.arange(0, BLOCK)
    offs_k = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK, BLOCK), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_ptr + offs[:, None] * K + offs_k[None, :] + k)
        b = tl.load(bt_ptr + offs_k[:, None] + offs[None, :] * K + k)
        acc = tl.dot(a, b, acc)
    tl.store(flag_ptr, 1)
    acc = acc + tl.load(r_ptr + offs[:, None] * BLOCK + offs[None, :])
    tl.store(c_ptr + offs[:, None] * BLOCK + offs[None, :], acc)


@tl.kernel
def gemm_then_read_back(a_ptr, bt_ptr, c_ptr, first_ptr, K, BLOCK: tl.constexpr,
                        BLOCK_K: tl.constexpr):
    """The accumulator stored, then its first element read back and copied: memory
    after the tile store must see it (the store cannot be deferred to the next
    program)."""
    offs = tl.arange(0, BLOCK)
    offs_k = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK, BLOCK), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_ptr + offs[:, None] * K + offs_k[None, :] + k)
        b = tl.load(bt_ptr + offs_k[:, None] + offs[None, :] * K + k)
        acc = tl.dot(a, b, acc)
    tl.store(c_ptr + offs[:, None] * BLOCK + offs[None, :], acc)
    tl.store(first_ptr + tl.program_id(0), tl.load(c_ptr))
