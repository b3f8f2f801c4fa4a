"""A tl.requantize misuse the front end reports at its line."""

from sw.compiler import language as tl


@tl.kernel
def block_multiplier(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs[:, None] * BLOCK + offs[None, :])
    q = tl.requantize(x, x, 4, 0)
    tl.store(out_ptr + offs[:, None] * BLOCK + offs[None, :], q)


SIGNATURE = "x_ptr:*i32,out_ptr:*i8,BLOCK=16"


@tl.kernel
def two_requantizations(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs[:, None] * BLOCK + offs[None, :])
    tl.store(out_ptr + offs[:, None] * BLOCK + offs[None, :], tl.requantize(x, 1 << 30, 4, 0))
    q = tl.requantize(x, 1 << 29, 4, 0)
    tl.store(out_ptr + BLOCK * BLOCK + offs[:, None] * BLOCK + offs[None, :], q)
