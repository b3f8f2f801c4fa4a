"""Kernels that return early (Triton's `if pid >= n: return`), for
tests/sw/compiler/test_early_return.py. Line numbers matter to the error tests."""

from sw.compiler import language as tl


@tl.kernel
def guarded_add(x_ptr, out_ptr, n, programs_used, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    if pid >= programs_used:
        return
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0)
    tl.store(out_ptr + offs, x + 1, mask=offs < n)


@tl.kernel
def nested_returns(out_ptr, a, b):
    pid = tl.program_id(0)
    slot = out_ptr + pid
    tl.store(slot, 1)
    if a > pid:
        if b > pid:
            tl.store(slot, 2)
            return
        tl.store(slot, 3)
    else:
        if b == 0:
            return
    tl.store(slot, tl.load(slot) * 10)


@tl.kernel
def constexpr_return(out_ptr, SKIP: tl.constexpr):
    if SKIP:
        return
    tl.store(out_ptr, 7)


@tl.kernel
def return_in_loop(out_ptr, n):
    for i in range(0, n):
        if i == 3:
            return
        tl.store(out_ptr + i, i)
