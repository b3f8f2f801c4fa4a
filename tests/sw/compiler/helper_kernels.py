"""Kernels calling helper functions (Triton's @triton.jit helpers: here @tl.jit or
@tl.kernel), which the front end inlines (tests/sw/compiler/test_helpers.py). Line
numbers matter to the error tests."""

from sw.compiler import language as tl
from tests.sw.compiler.helper_lib import clamp_add


@tl.jit
def leaky(x, shift: tl.constexpr):
    """ReLU with a leak: x >> shift below zero."""
    return tl.where(x >= 0, x, x >> shift)


@tl.jit
def offsets_and_mask(pid, n, BLOCK: tl.constexpr):
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    return offs, offs < n


@tl.jit
def store_twice(ptr, offs, value, mask):
    tl.store(ptr + offs, value, mask=mask)
    tl.store(ptr + offs + 1000, value + 1, mask=mask)


@tl.jit
def row_total(x_ptr, n, BLOCK: tl.constexpr):
    total = tl.zeros((), tl.int32)
    for start in range(0, n, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        total += tl.sum(tl.load(x_ptr + offs, mask=offs < n, other=0))
    return total


@tl.kernel
def uses_helpers(x_ptr, out_ptr, s_ptr, n, BLOCK: tl.constexpr):
    offs, mask = offsets_and_mask(tl.program_id(0), n, BLOCK=BLOCK)
    x = tl.load(x_ptr + offs, mask=mask, other=0)
    y = clamp_add(leaky(x, 2), 5, -50, 50)
    store_twice(out_ptr, offs, y, mask)
    if tl.program_id(0) == 0:
        tl.store(s_ptr, row_total(x_ptr, n, BLOCK))


@tl.jit
def recursive(x):
    return recursive(x)


@tl.kernel
def calls_recursive(out_ptr):
    tl.store(out_ptr, recursive(1))


@tl.jit
def bad_body(x):
    return x / 2


@tl.kernel
def calls_bad_body(out_ptr, v):
    tl.store(out_ptr, bad_body(v))


@tl.jit
def early(x):
    if x > 0:
        return x
    return -x


@tl.kernel
def calls_early(out_ptr, v):
    tl.store(out_ptr, early(v))


def plain_python(x):
    return x + 1


@tl.kernel
def calls_plain(out_ptr, v):
    tl.store(out_ptr, plain_python(v))


@tl.kernel
def wrong_arguments(out_ptr, v):
    tl.store(out_ptr, leaky(v))


@tl.jit
def scaled(x, k: tl.constexpr):
    return x * k


@tl.kernel
def runtime_for_constexpr(x_ptr, out_ptr, n):
    offs = tl.arange(0, 8)
    tl.store(out_ptr + offs, scaled(tl.load(x_ptr + offs), n))


unreadable = tl.jit(eval("lambda x: x + 1"))


@tl.kernel
def calls_unreadable(out_ptr, v):
    tl.store(out_ptr, unreadable(v))
