"""Kernels the compiler must reject; test_errors.py names the exact line and column of
each error, so edit this file only together with it."""

from sw.compiler import language as tl


@tl.kernel
def shape_mismatch(x_ptr, BLOCK: tl.constexpr):
    a = tl.arange(0, BLOCK)
    b = tl.arange(0, 2 * BLOCK)
    tl.store(x_ptr + a, a + b)


@tl.kernel
def dot_inner_dimension(a_ptr, BLOCK: tl.constexpr):
    rows = tl.arange(0, BLOCK)
    a = tl.load(a_ptr + rows[:, None] * BLOCK + tl.arange(0, 2 * BLOCK)[None, :])
    b = tl.load(a_ptr + rows[:, None] * BLOCK + rows[None, :])
    acc = tl.dot(a, b)


@tl.kernel
def dot_not_int8(a_ptr, BLOCK: tl.constexpr):
    rows = tl.arange(0, BLOCK)
    a = tl.load(a_ptr + rows[:, None] * BLOCK + rows[None, :])
    acc = tl.dot(a, a)


@tl.kernel
def unsupported_dtype(x_ptr, BLOCK: tl.constexpr):
    x = tl.zeros((BLOCK,), dtype=tl.float32)


@tl.kernel
def runtime_arange(x_ptr, n):
    offsets = tl.arange(0, n)


@tl.kernel
def arange_not_power_of_two(x_ptr):
    offsets = tl.arange(0, 48)


@tl.kernel
def loop_changes_type(x_ptr, n, BLOCK: tl.constexpr):
    acc = tl.zeros((BLOCK,), dtype=tl.int8)
    for i in range(0, n):
        acc = acc.to(tl.int32)


@tl.kernel
def unknown_function(x_ptr, BLOCK: tl.constexpr):
    y = tl.exp(tl.arange(0, BLOCK))


@tl.kernel
def constant_does_not_fit(x_ptr, BLOCK: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, BLOCK))
    tl.store(x_ptr + tl.arange(0, BLOCK), x + 300)


@tl.kernel
def missing_signature_entry(x_ptr, n):
    pass


@tl.kernel
def if_on_a_block(x_ptr, BLOCK: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, BLOCK))
    if x > 0:
        pass


@tl.kernel
def break_loop(x_ptr, n):
    for i in range(0, n):
        break


@tl.kernel
def true_division(x_ptr, BLOCK: tl.constexpr):
    half = tl.arange(0, BLOCK) / 2


@tl.kernel
def mask_not_a_comparison(x_ptr, n):
    x = tl.load(x_ptr, mask=n)


@tl.kernel
def other_without_mask(x_ptr, BLOCK: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, BLOCK), other=0)


@tl.kernel
def block_shape_not_power_of_two(x_ptr, BLOCK: tl.constexpr):
    x = tl.zeros((BLOCK, 3), tl.int8)


@tl.kernel
def method_other_than_to(x_ptr, BLOCK: tl.constexpr):
    size = tl.arange(0, BLOCK).itemsize


@tl.kernel
def static_range_runtime_bound(x_ptr, n):
    for i in tl.static_range(n):
        tl.store(x_ptr + i, i)


@tl.kernel
def static_range_as_a_value(x_ptr):
    r = tl.static_range(4)
