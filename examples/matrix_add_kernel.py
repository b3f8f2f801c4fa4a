"""A Triton-style kernel on 2-D blocks: the vector engine runs it row by row (the
`split-rows` pass, docs/compiler.md):

    oxcore compile examples/matrix_add_kernel.py --config vector \
        --signature "x_ptr:*i8,b_ptr:*i8,out_ptr:*i8,M:i32,N:i32,stride:i32,BM=4,BN=64"
"""

from sw.compiler import language as tl


@tl.kernel
def matrix_add_bias(x_ptr, b_ptr, out_ptr, M, N, stride, BM: tl.constexpr,
                    BN: tl.constexpr):
    """out = relu(x + b[None, :]) for an M x N matrix whose rows are `stride` apart."""
    offs_m = tl.program_id(0) * BM + tl.arange(0, BM)
    offs_n = tl.program_id(1) * BN + tl.arange(0, BN)
    offs = offs_m[:, None] * stride + offs_n[None, :]
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    x = tl.load(x_ptr + offs, mask=mask)
    b = tl.load(b_ptr + offs_n, mask=offs_n < N, other=0)
    tl.store(out_ptr + offs, tl.maximum(x + b[None, :], 0), mask=mask)
