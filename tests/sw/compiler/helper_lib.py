"""A helper function in a module of its own, as a kernel library would keep one
(tests/sw/compiler/helper_kernels.py imports it)."""

from sw.compiler import language as tl

LIMIT_SHIFT = 0  # a global of this module, which the helper reads


@tl.jit
def clamp_add(x, c, low, high):
    return tl.minimum(tl.maximum(x + c, low), high) << LIMIT_SHIFT
