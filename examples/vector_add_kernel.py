"""A Triton-style kernel for `oxcore compile` (docs/compiler.md):

    oxcore compile examples/vector_add_kernel.py \
        --signature "x_ptr:*i8,y_ptr:*i8,out_ptr:*i8,n:i32,BLOCK=64"
"""

from sw.compiler import language as tl


@tl.kernel
def vector_add(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x + y, mask=mask)
