"""Kernels whose stores come between a load and the use of what it loaded
(tests/sw/compiler/test_memory_order.py). Line numbers matter to the error tests."""

from sw.compiler import language as tl


@tl.kernel
def tile_load_then_store(a_ptr, bt_ptr, c_ptr, BLOCK: tl.constexpr, BLOCK_K: tl.constexpr):
    """A's tiles loaded, then A[0] overwritten, then the dot: it uses the old A."""
    offs = tl.arange(0, BLOCK)
    offs_k = tl.arange(0, BLOCK_K)
    a = tl.load(a_ptr + offs[:, None] * BLOCK_K + offs_k[None, :])
    b = tl.load(bt_ptr + offs_k[:, None] + offs[None, :] * BLOCK_K)
    tl.store(a_ptr, tl.load(a_ptr + 1))
    acc = tl.dot(a, b, tl.zeros((BLOCK, BLOCK), dtype=tl.int32))
    tl.store(c_ptr + offs[:, None] * BLOCK + offs[None, :], acc)


@tl.kernel
def vector_load_then_store(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs)
    tl.store(x_ptr, tl.load(x_ptr + 1))
    tl.store(out_ptr + offs, x)


@tl.kernel
def vector_load_then_other_store(x_ptr, out_ptr, count_ptr, BLOCK: tl.constexpr):
    """The store between goes through another pointer argument: taken not to overlap."""
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs)
    tl.store(count_ptr, BLOCK)
    tl.store(out_ptr + offs, x + 1)


@tl.kernel
def accumulator_start_then_store(a_ptr, bt_ptr, c_ptr, K, BLOCK: tl.constexpr,
                                 BLOCK_K: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    offs_k = tl.arange(0, BLOCK_K)
    c_ptrs = c_ptr + offs[:, None] * BLOCK + offs[None, :]
    acc = tl.load(c_ptrs)
    tl.store(c_ptr, 0)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_ptr + offs[:, None] * K + offs_k[None, :] + k)
        b = tl.load(bt_ptr + offs_k[:, None] + offs[None, :] * K + k)
        acc = tl.dot(a, b, acc)
    tl.store(c_ptrs, acc)


@tl.kernel
def shift_in_place(x_ptr, n, K, BLOCK: tl.constexpr):
    """x[K:K + n] = x[:n]: a block stored through its load's pointer, K elements on."""
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    tl.store(x_ptr + offs + K, x, mask=offs < n)


@tl.kernel
def shift_by_a_block(x_ptr, n, BLOCK: tl.constexpr):
    """x[BLOCK:BLOCK + n] = x[:n] + 1: the store's addresses start where the load's end."""
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    tl.store(x_ptr + BLOCK + offs, x + 1, mask=offs < n)


@tl.kernel
def shift_down(x_ptr, n, BLOCK: tl.constexpr):
    """x[i] = x[i + 1] for i < n: each store is behind the loads of its chunk."""
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs + 1, mask=offs < n)
    tl.store(x_ptr + offs, x, mask=offs < n)


@tl.kernel
def store_apart_then_reuse(p_ptr, q_ptr, out_ptr, BLOCK: tl.constexpr):
    """x is used again after a store through p at other addresses (a block further):
    reloading it there reads what it read before."""
    offs = tl.arange(0, BLOCK)
    x = tl.load(p_ptr + offs)
    tl.store(p_ptr + BLOCK + offs, x + 1)
    y = tl.load(q_ptr + offs)
    tl.store(out_ptr + offs, x + y)


@tl.kernel
def ping_pong_then_reuse(a_ptr, b_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """The loop's pointers swap (a ping-pong buffer), so it stores through a too: x,
    loaded from a before it, must not be loaded again after it."""
    offs = tl.arange(0, BLOCK)
    src = a_ptr
    dst = b_ptr
    x = tl.load(a_ptr + offs)
    for i in range(0, n):
        v = tl.load(src + offs)
        tl.store(dst + offs, v + 1)
        tmp = src
        src = dst
        dst = tmp
    tl.store(out_ptr + offs, x)


@tl.kernel
def update_in_place_either_way(p_ptr, c, BLOCK: tl.constexpr):
    """One side of the `if` stores through p, the other reads x and stores through it:
    only one side runs, so neither reads what the other stored."""
    offs = tl.arange(0, BLOCK)
    x = tl.load(p_ptr + offs)
    if c > 0:
        tl.store(p_ptr + offs, x * 2)
    else:
        tl.store(p_ptr + offs, x * 3)
