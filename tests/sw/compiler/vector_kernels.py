"""Kernels for tests/sw/compiler/test_vector_lowering.py: element-wise forms beyond the
operator library, and forms the vector lowering rejects (the error tests check the
file:line:col of these lines, so keep them where they are)."""

from sw.compiler import language as tl


@tl.kernel
def mixed_ops(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    a = (x - y) * 3 + (x & y) - (x | 5) + (y ^ x) + (x << 2) + (y >> 1)
    b = tl.where(x > y, x, y) - tl.minimum(x, y) + tl.where(x <= 7, 1, y)
    c = 100 - x
    tl.store(out_ptr + offsets, a + b + c, mask=mask)


@tl.kernel
def widen_narrow(x_ptr, out32_ptr, out8_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    wide = x.to(tl.int32) * 1000 + offsets
    tl.store(out32_ptr + offsets, wide, mask=mask)
    tl.store(out8_ptr + offsets, (wide >> 3).to(tl.int8), mask=mask)


@tl.kernel
def divide(x_ptr, y_ptr, q_ptr, r_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(q_ptr + offsets, x // y, mask=mask)
    tl.store(r_ptr + offsets, x % y, mask=mask)


@tl.kernel
def unsigned_ops(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.maximum(x, 100) + (x >> 2) + x // 3
    tl.store(out_ptr + offsets, tl.where(x < 200, y, x), mask=mask)


@tl.kernel
def strided_copy(x_ptr, out_ptr, n, stride, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets * stride, mask=mask)
    tl.store(out_ptr + offsets * 2, x + 1, mask=mask)


@tl.kernel
def row_sums(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * stride + cols, mask=cols < n_cols, other=0)
    total = tl.sum(x.to(tl.int32))
    biggest = tl.max(x)
    tl.store(out_ptr + 2 * row, total)
    tl.store(out_ptr + 2 * row + 1, biggest.to(tl.int32))


@tl.kernel
def loop_of_regions(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    total = n - n
    for start in range(0, n, BLOCK):
        offsets = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offsets, mask=offsets < n, other=0)
        tl.store(x_ptr + offsets, x * 2, mask=offsets < n)
        total += tl.sum(x)
    tl.store(out_ptr, total)


@tl.kernel
def data_mask(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offsets = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets)
    tl.store(out_ptr + offsets, x, mask=(x > 0) & (x < 9) & (x != 4))


@tl.kernel
def two_masks(x_ptr, out_ptr, n, m, BLOCK: tl.constexpr):
    offsets = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets, mask=offsets < n)
    tl.store(out_ptr + offsets, x, mask=offsets < m)


@tl.kernel
def unknown_fill(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets, mask=offsets < n, other=n)
    tl.store(out_ptr, tl.sum(x))


@tl.kernel
def carried_block(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.arange(0, BLOCK)
    acc = tl.load(x_ptr + offsets)
    for i in range(0, n, 1):
        acc = acc + 1
    tl.store(out_ptr + offsets, acc)


@tl.kernel
def two_d_data(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offsets = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets)
    tl.store(out_ptr + offsets, tl.sum(x[:, None] + x[None, :], axis=0))


@tl.kernel
def where_in_bounds(x_ptr, out_ptr, sums_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offsets = pid * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets)
    kept = tl.where(offsets < n, x, 0)
    tl.store(out_ptr + offsets, tl.where(offsets >= n, 7, x))
    tl.store(sums_ptr + pid, tl.sum(kept))


@tl.kernel
def store_then_load(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    tl.store(x_ptr + offsets, offsets, mask=mask)
    y = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, y * 2, mask=mask)


@tl.kernel
def widening_products(x_ptr, y_ptr, prod_ptr, sums_ptr, n, BLOCK: tl.constexpr):
    """int8 x int8 -> int16 products (vwmul), their int32 sum (vwredsum) and the
    int16 sum of x (vwredsum at e8, wrapping in int16)."""
    pid = tl.program_id(0)
    offsets = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask, other=0)
    y = tl.load(y_ptr + offsets, mask=mask, other=0)
    products = x.to(tl.int16) * y.to(tl.int16)
    tl.store(prod_ptr + offsets, products, mask=mask)
    tl.store(sums_ptr + 2 * pid, tl.sum(products.to(tl.int32)))
    tl.store(sums_ptr + 2 * pid + 1, tl.sum(x.to(tl.int16)).to(tl.int32))


@tl.kernel
def widening_products_16(x_ptr, y_ptr, prod_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(prod_ptr + offsets, x.to(tl.int32) * y.to(tl.int32), mask=mask)


@tl.kernel
def sum_with_indices(x_ptr, out_ptr, BLOCK: tl.constexpr):
    """out[pid] = sum of x[i] + i over the program's slice: a reduction-only region
    whose data uses the index block (strip-mined chunks must see their own indices)."""
    pid = tl.program_id(0)
    offsets = pid * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets)
    tl.store(out_ptr + pid, tl.sum(x + offsets))


@tl.kernel
def positive_sums(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """out[i] = where(x > y, x + y, 0) at i < n where x + y > 0; out keeps its value
    elsewhere (a data-dependent store mask beside a tl.where: both use v0)."""
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    s = x + y
    tl.store(out_ptr + offsets, tl.where(x > y, s, 0), mask=mask & (s > 0))


@tl.kernel
def in_window(x_ptr, out_ptr, n, low, high, BLOCK: tl.constexpr):
    """out[i] = x[i] where low < x[i] < high (i < n): two comparisons in the store mask."""
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x, mask=mask & (x > low) & (x < high))


@tl.kernel
def column_sums(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """out[i] = sum of x[j * BLOCK + i] over j (below n): an int32 block carried through
    a runtime loop, updated under the loop's mask (other=0, +'s identity)."""
    offsets = tl.arange(0, BLOCK)
    acc = tl.zeros([BLOCK], dtype=tl.int32)
    for start in range(0, n, BLOCK):
        x = tl.load(x_ptr + start + offsets, mask=start + offsets < n, other=0)
        acc += x.to(tl.int32)
    tl.store(out_ptr + offsets, acc)


@tl.kernel
def running_max(x_ptr, out_ptr, total_ptr, n, BLOCK: tl.constexpr):
    """The int8 column maxima (other=-128, maximum's identity), stored and reduced."""
    offsets = tl.arange(0, BLOCK)
    best = tl.full([BLOCK], -128, dtype=tl.int8)
    for start in range(0, n, BLOCK):
        x = tl.load(x_ptr + start + offsets, mask=start + offsets < n, other=-128)
        best = tl.maximum(best, x)
    tl.store(out_ptr + offsets, best)
    tl.store(total_ptr, tl.max(best).to(tl.int32))


@tl.kernel
def masked_scale(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """acc = acc * x under a mask: not an identity update (rejected)."""
    offsets = tl.arange(0, BLOCK)
    acc = tl.full([BLOCK], 1, dtype=tl.int32)
    for start in range(0, n, BLOCK):
        x = tl.load(x_ptr + start + offsets, mask=start + offsets < n, other=0)
        acc = acc * x
    tl.store(out_ptr + offsets, acc)


@tl.kernel
def gather_where_positive(x_ptr, y_ptr, out_ptr, n, fill, BLOCK: tl.constexpr):
    """out[i] = x[i] + (y[i] where x[i] > 0, else fill): a load masked by data (y's
    elements where x[i] <= 0 are not read), with the index bound."""
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask, other=0)
    y = tl.load(y_ptr + offsets, mask=mask & (x > 0), other=fill)
    tl.store(out_ptr + offsets, x + y, mask=mask)


@tl.kernel
def sum_where_below(x_ptr, y_ptr, out_ptr, BLOCK: tl.constexpr):
    """Sum of y[i] where m[i] < x[i], m = (y where x > 0, else 0): two masked loads."""
    offsets = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets)
    y = tl.load(y_ptr + offsets, mask=x > 0, other=0)
    z = tl.load(y_ptr + offsets, mask=y < x, other=0)
    tl.store(out_ptr, tl.sum(z.to(tl.int32)))


@tl.kernel
def computed_load_mask(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """A load masked by a comparison of a computed block: rejected."""
    offsets = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets, mask=offsets < n, other=0)
    y = tl.load(out_ptr + offsets, mask=(x * 2) > 0, other=0)
    tl.store(out_ptr + offsets, y, mask=offsets < n)
