"""Kernels whose `if` on a runtime value produces a block (tests/sw/compiler/
test_if_blocks.py): a 1-D data block (its register group written by each side), an
index or pointer block (its base in a register each side writes), and the forms the
code generator rejects. Line numbers matter to the error tests."""

from sw.compiler import language as tl


@tl.kernel
def pick_masked(x_ptr, y_ptr, out_ptr, s_ptr, n, flag, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0)
    if flag > 0:
        y = x * 2
    else:
        y = tl.load(y_ptr + offs, mask=mask, other=0) * 3 - x
    tl.store(out_ptr + offs, y, mask=mask)
    tl.store(s_ptr, tl.sum(y))
    tl.store(s_ptr + 1, tl.max(y))


@tl.kernel
def pick_whole(x_ptr, out_ptr, flag, c, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    if flag != 0:
        y = (tl.load(x_ptr + offs) + c).to(tl.int8)
    else:
        y = tl.zeros((BLOCK,), tl.int8) - offs.to(tl.int8)
    tl.store(out_ptr + offs, tl.maximum(y, 0))


@tl.kernel
def pick_pointers(x_ptr, y_ptr, out_ptr, n, flag, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    if flag > 0:
        ptrs = x_ptr + offs
        where = offs
    else:
        ptrs = y_ptr + offs
        where = offs + n
    tl.store(out_ptr + where, tl.load(ptrs, mask=offs < n, other=0) + 1, mask=offs < n)


@tl.kernel
def alternate(x_ptr, out_ptr, rounds, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    for i in range(0, rounds):
        x = tl.load(x_ptr + i * BLOCK + offs)
        if i % 2 == 0:
            y = x + i
        else:
            y = 0 - x
        tl.store(out_ptr + i * BLOCK + offs, y)


@tl.kernel
def different_masks(x_ptr, out_ptr, n, flag, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    if flag > 0:
        y = tl.load(x_ptr + offs, mask=offs < n, other=0)
    else:
        y = tl.load(x_ptr + offs, mask=offs < n - 1, other=0)
    tl.store(out_ptr + offs, y, mask=offs < n)


@tl.kernel
def pointer_or_data(x_ptr, out_ptr, flag, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    if flag > 0:
        p = x_ptr + offs
    else:
        p = x_ptr + offs * 2
    tl.store(out_ptr + offs, tl.load(p))


@tl.kernel
def unknown_fill(x_ptr, s_ptr, n, flag, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0)
    if flag > 0:
        y = x
    else:
        y = x + 1
    tl.store(s_ptr, tl.sum(y))


@tl.kernel
def pick_mask(x_ptr, out_ptr, n, flag, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    if flag > 0:
        m = offs < n
    else:
        m = offs < n + 1
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=m, other=0), mask=m)


@tl.kernel
def unmasked_use(x_ptr, out_ptr, n, flag, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0)
    if flag > 0:
        y = x
    else:
        y = x + x
    tl.store(out_ptr + offs, y)


@tl.kernel
def nested_picks(x_ptr, out_ptr, n, a, b, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0)
    if a > 0:
        y = x * 2
    else:
        if b > 0:
            y = x
        else:
            y = x - 5
    tl.store(out_ptr + offs, y, mask=offs < n)


@tl.kernel
def accumulate_some(x_ptr, out_ptr, rounds, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    acc = tl.zeros((BLOCK,), tl.int32)
    for i in range(0, rounds):
        x = tl.load(x_ptr + i * BLOCK + offs)
        if i % 3 != 1:
            acc = acc + x
    tl.store(out_ptr + offs, acc)


# --- from a review: each was a wrong result, a traceback or a needless rejection ----------

@tl.kernel
def shift_through_if(x_ptr, flag, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    if flag > 0:
        p = x_ptr + 100 + offs
    else:
        p = x_ptr + 130 + offs
    v = tl.load(x_ptr + offs)
    tl.store(p, v)


@tl.kernel
def reload_after_store(p_ptr, q_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(p_ptr + offs)
    tl.store(p_ptr + offs, x + 100)
    z = tl.load(q_ptr + offs)
    tl.store(out_ptr + offs, x + z)


@tl.kernel
def reload_in_loop(p_ptr, out_ptr, rounds, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(p_ptr + offs)
    for i in range(0, rounds):
        tl.store(out_ptr + i * BLOCK + offs, x)
        tl.store(p_ptr + offs, x + i)


@tl.kernel
def pointer_from_a_sum(x_ptr, idx_ptr, out_ptr, flag, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    if flag > 0:
        k = tl.sum(tl.load(idx_ptr + offs))
        p = x_ptr + k + offs
    else:
        p = x_ptr + offs
    tl.store(out_ptr + offs, tl.load(p))


@tl.kernel
def computed_sides(x_ptr, out_ptr, n, flag, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    if flag > 0:
        y = tl.where(offs < n, offs, 0)
    else:
        y = tl.load(x_ptr + offs, mask=offs < n, other=0)
    if flag > 1:
        z = tl.zeros((BLOCK,), tl.int32)
    else:
        z = y + 1
    tl.store(out_ptr + offs, y * 10 + z, mask=offs < n)


@tl.kernel
def masked_updates(x_ptr, out_ptr, n, rounds, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    acc = tl.zeros((BLOCK,), tl.int32)
    top = tl.full((BLOCK,), -2147483648, tl.int32)
    for i in range(0, rounds):
        x = tl.load(x_ptr + i * BLOCK + offs, mask=offs < n, other=0)
        if i % 3 == 0:
            acc = acc + x
        elif i % 3 == 1:
            acc = acc - x
        if i % 2 == 0:
            top = tl.maximum(top, tl.load(x_ptr + i * BLOCK + offs, mask=offs < n,
                                          other=-2147483648))
    tl.store(out_ptr + offs, acc)
    tl.store(out_ptr + BLOCK + offs, top)


@tl.kernel
def chained_ifs(x_ptr, out_ptr, a, b, c, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs)
    if a > 0:
        y = x + 1
    else:
        y = x - 1
    if b > 0:
        z = y + 10
    else:
        z = y * 2
    if c > 0:
        w = z * 3
    else:
        w = z - 1
    if a > b:
        v = w + x
    else:
        v = w
    tl.store(out_ptr + offs, v)
