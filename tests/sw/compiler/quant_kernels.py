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
    """The bias is a whole 2-D block, not a broadcast row: no fold."""
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
