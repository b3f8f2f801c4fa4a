"""Kernels with `while` loops on runtime conditions (tests/sw/compiler/test_while.py):
carried scalars, pointer blocks and 1-D data blocks, a condition from a reduction, and
the forms rejected. Line numbers matter to the error tests."""

from sw.compiler import language as tl


@tl.kernel
def collatz_steps(out_ptr, n0):
    n = n0
    steps = n0 - n0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    tl.store(out_ptr, steps)


@tl.kernel
def strided_sum(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    acc = tl.zeros((BLOCK,), tl.int32)
    p = x_ptr + offs
    start = n - n
    while start < n:
        acc += tl.load(p, mask=start + offs < n, other=0)
        p += BLOCK
        start += BLOCK
    tl.store(out_ptr + offs, acc)


@tl.kernel
def halve_until(x_ptr, out_ptr, limit, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs)
    rounds = limit - limit
    while tl.max(x) > limit:
        x = x >> 1
        rounds += 1
    tl.store(out_ptr + offs, x)
    tl.store(out_ptr + BLOCK, rounds)


@tl.kernel
def constant_condition(out_ptr):
    i = tl.zeros((), tl.int32)
    while True:
        i += 1
    tl.store(out_ptr, i)


@tl.kernel
def with_else(out_ptr, n):
    i = n - n
    while i < n:
        i += 1
    else:
        i = 0
    tl.store(out_ptr, i)


@tl.kernel
def reload_after_while(p_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(p_ptr + offs)
    i = n - n
    while i < n:
        tl.store(p_ptr + offs, offs + i)
        i += 1
    tl.store(out_ptr + offs, x)


@tl.kernel
def dots_in_and_after_a_while(a_ptr, b_ptr, c_ptr, n, BM: tl.constexpr, BN: tl.constexpr,
                              BK: tl.constexpr):
    """A tl.dot in the loop and one after it, both on tiles loaded before it (loaded
    before the loop, which may not run: tiles load where first used)."""
    offs_m = tl.arange(0, BM)
    offs_n = tl.arange(0, BN)
    offs_k = tl.arange(0, BK)
    a = tl.load(a_ptr + offs_m[:, None] * BK + offs_k[None, :])
    b = tl.load(b_ptr + offs_k[:, None] * BN + offs_n[None, :])
    i = n - n
    while i < n:
        tl.store(c_ptr + (i + 1) * BM * BN + offs_m[:, None] * BN + offs_n[None, :],
                 tl.dot(a, b))
        i += 1
    tl.store(c_ptr + offs_m[:, None] * BN + offs_n[None, :], tl.dot(a, b))


@tl.kernel
def block_condition(x_ptr, out_ptr, BLOCK: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, BLOCK))
    while x > 0:
        x = x - 1
    tl.store(out_ptr + tl.arange(0, BLOCK), x)


@tl.kernel
def masked_start_while(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """A carried block that starts from a masked load: defined below the mask only, so
    every later region runs under it."""
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0)
    i = n - n
    while i < 3:
        x = x + 1
        i += 1
    tl.store(out_ptr + offs, x, mask=offs < n)


@tl.kernel
def masked_start_for(x_ptr, out_ptr, n, rounds, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0)
    for i in range(0, rounds):
        x = x * 2 + tl.load(x_ptr + offs, mask=offs < n, other=0)
    tl.store(out_ptr + offs, x, mask=offs < n)


@tl.kernel
def masked_start_summed(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0)
    for i in range(0, n):
        x = x + 1
    tl.store(out_ptr, tl.sum(x))
