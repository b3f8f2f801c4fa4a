"""Kernels written with more of `triton.language`'s names (tests/sw/compiler/
test_triton_names.py): tl.range, string and None constexprs, tensor methods and
attributes, shape functions, keep_dims, clamp, assume. Line numbers matter to the
error tests at the end."""

from sw.compiler import language as tl


@tl.jit
def gemm_range(a_ptr, bt_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr,
               BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, STAGES: tl.constexpr):
    """sw.ops.gemm's kernel with its K loop written `tl.range(..., num_stages=STAGES)`."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * K + offs_k[None, :]
    b_ptrs = bt_ptr + offs_k[:, None] + offs_n[None, :] * K
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for k in tl.range(0, K, BLOCK_K, num_stages=STAGES, loop_unroll_factor=2):
        a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K - k), other=0)
        b = tl.load(b_ptrs, mask=(offs_k[:, None] < K - k) & (offs_n[None, :] < N), other=0)
        acc = tl.dot(a, b, acc, out_dtype=tl.int32)
        a_ptrs += BLOCK_K
        b_ptrs += BLOCK_K
    c_ptrs = c_ptr + offs_m[:, None] * N + offs_n[None, :]
    tl.store(c_ptrs, acc, mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


@tl.jit
def activation(x_ptr, b_ptr, out_ptr, n, stride, ACTIVATION: tl.constexpr,
               BLOCK: tl.constexpr):
    """out = act(x + b) with ACTIVATION a string, b optional (None: no bias) and x read
    with a runtime stride (a launch specialises a stride of 1)."""
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs * stride, mask=mask, other=0)
    if b_ptr is not None:
        x += tl.load(b_ptr + offs, mask=mask, other=0)
    if ACTIVATION == "relu":
        x = tl.maximum(x, 0)
    elif ACTIVATION == "clamp":
        x = tl.clamp(x, -20, 20)
    tl.store(out_ptr + offs, x.to(out_ptr.dtype.element_ty), mask=mask)


@tl.jit
def shapes(x_ptr, out_ptr, s_ptr, BM: tl.constexpr, BN: tl.constexpr):
    """Rows less their maximum, clamped; the first row's total: shape functions,
    tensor methods and keep_dims."""
    rows = tl.expand_dims(tl.arange(0, BM), 1)
    cols = tl.arange(0, BN).reshape(1, BN)
    tl.static_assert(rows.shape == (BM, 1) and cols.shape[1] == BN)
    tl.assume(BN > 0)
    x = tl.load(x_ptr + rows * BN + cols)
    top = x.max(axis=1, keep_dims=True)
    tl.static_assert(tl.reshape(top, BM).shape == (BM,))
    y = tl.clamp(x - tl.broadcast_to(top, BM, BN), -50, 50)
    tl.store(out_ptr + rows * BN + cols, y)
    first = tl.load(x_ptr + tl.arange(0, BN))
    total = tl.sum(first.to(tl.int16), dtype=tl.int32, keep_dims=True)
    tl.store(s_ptr + tl.arange(0, 1), total)


@tl.jit
def squeeze(x_ptr, out_ptr, BLOCK: tl.constexpr):
    """[BLOCK] -> [1, BLOCK] -> [BLOCK] and the 2-D permutes that change nothing."""
    offs = tl.arange(0, BLOCK)
    row = tl.reshape(offs, (1, BLOCK))
    back = tl.view(row, BLOCK)
    x = tl.load(x_ptr + back)
    x2, offs2 = tl.broadcast(x[None, :], offs[None, :])
    tl.store(out_ptr + tl.permute(offs2, 0, 1), x2 * 2)


@tl.jit
def power_of_two_at_least(out_ptr, n):
    """n (which a launch specialises when it is 1) halved in a loop, p doubled."""
    p = tl.zeros((), tl.int32) + 1
    while n > 1:
        n = (n + 1) // 2
        p *= 2
    tl.store(out_ptr, p)


@tl.jit
def reshape_regroups(x_ptr, BLOCK: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, BLOCK)[None, :] + tl.arange(0, 2)[:, None])
    flat = tl.reshape(x, 2 * BLOCK)


@tl.jit
def argmax(x_ptr, BLOCK: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, BLOCK))
    best, where = tl.max(x, return_indices=1)


@tl.jit
def range_as_a_value(x_ptr):
    r = tl.range(0, 4)


@tl.jit
def assume_false(x_ptr, BLOCK: tl.constexpr):
    tl.assume(BLOCK < 0)


@tl.jit
def identity_of_values(x_ptr, n):
    same = n is x_ptr


@tl.jit
def string_in_a_loop(x_ptr, n, MODE: tl.constexpr):
    mode = MODE
    for i in range(n):
        mode = "other"


@tl.jit
def wrapped_offsets(a_ptr, c_ptr, M, BLOCK: tl.constexpr):
    offs = (tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)) % M
    x = tl.load(a_ptr + offs[:, None] * BLOCK + tl.arange(0, BLOCK)[None, :])
    tl.store(c_ptr + tl.arange(0, BLOCK)[:, None] * BLOCK + tl.arange(0, BLOCK)[None, :], x)


@tl.jit
def bad_keep_dims(x_ptr, flag, BLOCK: tl.constexpr):
    s = tl.sum(tl.load(x_ptr + tl.arange(0, BLOCK)), keep_dims=flag)


@tl.jit
def squeeze_a_computed_row(x_ptr, BLOCK: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, 1)[:, None] * BLOCK + tl.arange(0, BLOCK)[None, :])
    row = tl.reshape(x, BLOCK)


@tl.jit
def whole_sum(x_ptr, s_ptr, BM: tl.constexpr, BN: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, BM)[:, None] * BN + tl.arange(0, BN)[None, :])
    tl.store(s_ptr, tl.sum(x))


@tl.jit
def optional_source(x_ptr, out_ptr, b_ptr, n, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    src = b_ptr
    if n > 4:
        src = x_ptr
    if src is not None:
        tl.store(out_ptr + offs, tl.load(src + offs))


@tl.jit
def scaled_sum(x_ptr, out_ptr, scale, n, BLOCK: tl.constexpr):
    """An int8 block times a scalar argument: int32 whatever the scalar's value (1 is
    specialised), so the sum does not wrap in int8; (n - 4) // 2 rounds toward zero."""
    x = tl.load(x_ptr + tl.arange(0, BLOCK))
    tl.store(out_ptr, tl.sum(x * scale))
    tl.store(out_ptr + 1, (n - 4) // 2)


@tl.jit
def zero_broadcast(x_ptr, BLOCK: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, BLOCK))
    y = tl.broadcast_to(x[None, :], (0, BLOCK))


@tl.jit
def wrapped_data(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    y = tl.load(x_ptr + offs) + offs % 4
    tl.store(out_ptr + y[:, None] + offs[None, :], y[:, None] + offs[None, :])


@tl.jit
def boolean_scalars(out_ptr, a, b):
    tl.store(out_ptr, ((a > 3) | (b > 3)).to(tl.int32))
    tl.store(out_ptr + 1, ((a > 3) & (b > 3)).to(tl.int32))
    tl.store(out_ptr + 2, ((a > 3) ^ (b > 3)).to(tl.int32))
    found = a < a
    for i in range(b):
        found = found | (i == a)
    tl.store(out_ptr + 3, found.to(tl.int32))


@tl.jit
def hinted_copy(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, eviction_policy="evict_last", cache_modifier=".cg",
                volatile=True)
    tl.store(out_ptr + offs, x, cache_modifier=".wb", eviction_policy="evict_first")


@tl.jit
def block_pointer_check(x_ptr, BLOCK: tl.constexpr):
    x = tl.load(x_ptr + tl.arange(0, BLOCK), boundary_check=(0,))


@tl.jit
def int16_dot(a_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    a = tl.load(a_ptr + offs[:, None] * BLOCK + offs[None, :])
    c = tl.dot(a, a, out_dtype=tl.int16)


@tl.jit
def boolean_constants(o_ptr, n):
    """True is 1: `^ True`, `== True`, `~c` (logical not) and tl.where of literals."""
    i = n * 0
    while (i >= n) ^ True:
        i += 1
    tl.store(o_ptr, i)
    c = n > 2
    r = n * 0
    if ~c:
        r = 10
    tl.store(o_ptr + 1, r)
    tl.store(o_ptr + 2, (~c).to(tl.int32))
    tl.store(o_ptr + 3, (c == True).to(tl.int32))  # noqa: E712 (the test's point)
    tl.store(o_ptr + 4, tl.where(c ^ True, 5, 6))


@tl.jit
def none_then_return(out_ptr, a):
    v = None
    if a > 0:
        return
    else:
        v = a
    tl.store(out_ptr, v)


@tl.jit
def matmul_block_ptr(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_ak, stride_bk,
                     stride_bn, stride_cm, stride_cn, BLOCK_M: tl.constexpr,
                     BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """Triton's block-pointer matmul: A [M, K] and B [K, N] row-major, int32 C."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    a_block = tl.make_block_ptr(base=a_ptr, shape=(M, K), strides=(stride_am, stride_ak),
                                offsets=(pid_m * BLOCK_M, 0), block_shape=(BLOCK_M, BLOCK_K),
                                order=(1, 0))
    b_block = tl.make_block_ptr(base=b_ptr, shape=(K, N), strides=(stride_bk, stride_bn),
                                offsets=(0, pid_n * BLOCK_N), block_shape=(BLOCK_K, BLOCK_N),
                                order=(1, 0))
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for k in range(0, K, BLOCK_K):
        a = tl.load(a_block, boundary_check=(0, 1), padding_option="zero")
        b = tl.load(b_block, boundary_check=(0, 1))
        acc = tl.dot(a, b, acc, out_dtype=tl.int32)
        a_block = tl.advance(a_block, (0, BLOCK_K))
        b_block = tl.advance(b_block, (BLOCK_K, 0))
    c_block = tl.make_block_ptr(base=c_ptr, shape=(M, N), strides=(stride_cm, stride_cn),
                                offsets=(pid_m * BLOCK_M, pid_n * BLOCK_N),
                                block_shape=(BLOCK_M, BLOCK_N), order=(1, 0))
    tl.store(c_block, acc, boundary_check=(0, 1))


@tl.jit
def add_block_ptr(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """out = x + 1 over n elements, block pointers made at each step of a loop."""
    for start in range(0, n, BLOCK):
        x_block = tl.make_block_ptr(x_ptr, (n,), (1,), (start,), (BLOCK,), (0,))
        o_block = tl.make_block_ptr(out_ptr, (n,), (1,), (start,), (BLOCK,), (0,))
        tl.store(o_block, tl.load(x_block, boundary_check=(0,)) + 1, boundary_check=(0,))


@tl.jit
def block_ptr_errors(x_ptr, y_ptr, n, CASE: tl.constexpr):
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (0,), (16,), (0,))
    if CASE == 0:
        q = tl.advance(x_ptr, (16,))
    elif CASE == 1:
        v = tl.load(p, mask=tl.arange(0, 16) < n)
    elif CASE == 2:
        v = tl.load(p, boundary_check=(0,), padding_option="nan")
    elif CASE == 3:
        q = tl.make_block_ptr(x_ptr, (n, n), (1,), (0, 0), (16, 16), (1, 0))
    elif CASE == 4:
        for i in range(n):
            p = tl.make_block_ptr(y_ptr, (n,), (1,), (0,), (16,), (0,))
    else:
        v = tl.load(p, boundary_check=(1,))


@tl.jit
def sum_through(p, n, BLOCK: tl.constexpr):
    total = tl.zeros((BLOCK,), tl.int32)
    for i in range(0, n, BLOCK):
        total += tl.load(p, boundary_check=(0,))
        p = tl.advance(p, (BLOCK,))
    return total


@tl.jit
def block_ptr_in_helper(y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """A helper's loop advances its own `p` while the caller's loop advances another."""
    p = tl.make_block_ptr(out_ptr, (2 * BLOCK,), (1,), (0,), (BLOCK,), (0,))
    for i in range(0, 2):
        q = tl.make_block_ptr(y_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
        tl.store(p, sum_through(q, n, BLOCK) + i)
        p = tl.advance(p, (BLOCK,))


@tl.jit
def block_ptr_in_if(x_ptr, n, MOVE: tl.constexpr, BLOCK: tl.constexpr):
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    if MOVE:
        if n > 4:
            p = tl.advance(p, (BLOCK,))
    if p:
        n = n + 1


@tl.jit
def add_side_by_side(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """out = 2x + 1: two block pointers advanced side by side through a loop, and two
    offsets counted alike (`merge-twin-counters` makes each pair one)."""
    x_block = tl.make_block_ptr(x_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    o_block = tl.make_block_ptr(out_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    a = 0 * n
    b = 0 * n
    for start in range(0, n, BLOCK):
        x = tl.load(x_block, boundary_check=(0,)) + tl.load(
            x_ptr + a + tl.arange(0, BLOCK), mask=b + tl.arange(0, BLOCK) < n, other=0)
        tl.store(o_block, x + 1, boundary_check=(0,))
        x_block = tl.advance(x_block, (BLOCK,))
        o_block = tl.advance(o_block, (BLOCK,))
        a += BLOCK
        b += BLOCK


@tl.jit
def block_ptr_moved_in_if(x_ptr, out_ptr, n, skip, BLOCK: tl.constexpr):
    """out = x[BLOCK:2 * BLOCK] where skip > 0, else x[:BLOCK]."""
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    if skip > 0:
        p = tl.advance(p, (BLOCK,))
    tl.store(out_ptr + tl.arange(0, BLOCK), tl.load(p))


@tl.jit
def block_ptr_stepping_unevenly(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """Blocks 0, 2 and 3 of x: moved two blocks after an even iteration, one after an
    odd one, in a loop (its carried offsets leave each `if`)."""
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    for i in range(3):
        tl.store(out_ptr + i * BLOCK + tl.arange(0, BLOCK), tl.load(p))
        if i % 2 == 0:
            p = tl.advance(p, (2 * BLOCK,))
        else:
            p = tl.advance(p, (BLOCK,))


@tl.jit
def block_ptr_made_in_if(x_ptr, y_ptr, n, flag, BLOCK: tl.constexpr):
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    if flag > 0:
        p = tl.make_block_ptr(y_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    tl.store(p, tl.zeros((BLOCK,), dtype=tl.int32), boundary_check=(0,))
