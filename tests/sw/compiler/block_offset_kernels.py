"""Kernels for tests/sw/compiler/test_block_offsets.py: block pointers whose offsets on
a boundary-checked dimension may or may not be negative (line numbers matter: append
only)."""

from sw.compiler import language as tl


@tl.jit
def from_argument(x_ptr, out_ptr, n, start, CASE: tl.constexpr, BLOCK: tl.constexpr):
    """CASE 0: offset `start`, a runtime argument; 1: max(start, 0); 2: `start` on a
    dimension nothing checks; 3: a halo, pid * BLOCK - 4."""
    pid = tl.program_id(0)
    if CASE == 0:
        offset = start
    elif CASE == 1:
        offset = max(start, 0)
    elif CASE == 3:
        offset = pid * BLOCK - 4
    else:
        offset = start
    x_block = tl.make_block_ptr(x_ptr, (n,), (1,), (offset,), (BLOCK,), (0,))
    o_block = tl.make_block_ptr(out_ptr, (n,), (1,), (offset,), (BLOCK,), (0,))
    if CASE == 2:
        tl.store(o_block, tl.load(x_block) + 1)
    else:
        tl.store(o_block, tl.load(x_block, boundary_check=(0,)) + 1, boundary_check=(0,))


@tl.jit
def carried(x_ptr, out_ptr, n, CASE: tl.constexpr, BLOCK: tl.constexpr):
    """Sums BLOCK-element steps through a loop-carried block pointer. CASE 0: forward
    from 0 (proved); 1: backward from n - BLOCK by -BLOCK (not); 2: a loop over
    range(BLOCK, n, BLOCK) whose counter is the offset (proved); 3: a step that is a
    runtime value (not)."""
    total = tl.zeros((BLOCK,), tl.int32)
    if CASE == 0:
        p = tl.make_block_ptr(x_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
        for i in range(0, n, BLOCK):
            total += tl.load(p, boundary_check=(0,))
            p = tl.advance(p, (BLOCK,))
    elif CASE == 1:
        p = tl.make_block_ptr(x_ptr, (n,), (1,), (n - BLOCK,), (BLOCK,), (0,))
        for i in range(0, n, BLOCK):
            total += tl.load(p, boundary_check=(0,))
            p = tl.advance(p, (-BLOCK,))
    elif CASE == 2:
        for i in range(BLOCK, n, BLOCK):
            q = tl.make_block_ptr(x_ptr, (n,), (1,), (i,), (BLOCK,), (0,))
            total += tl.load(q, boundary_check=(0,))
    else:
        for i in range(0, n, n // 4):
            q = tl.make_block_ptr(x_ptr, (n,), (1,), (i,), (BLOCK,), (0,))
            total += tl.load(q, boundary_check=(0,))
    o_block = tl.make_block_ptr(out_ptr, (BLOCK,), (1,), (0,), (BLOCK,), (0,))
    tl.store(o_block, total)


@tl.jit
def after_loop(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """Sums the block after the loop's last, loaded through the pointer the loop
    advanced (its offset carried out of the loop)."""
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (0,), (BLOCK,), (0,))
    for i in range(0, n - BLOCK, BLOCK):
        p = tl.advance(p, (BLOCK,))
    tl.store(out_ptr, tl.sum(tl.load(p, boundary_check=(0,))))


@tl.jit
def shared(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """An offset built by sharing one value 60 times over (2^60 paths through it)."""
    offset = tl.program_id(0) * BLOCK
    for _ in tl.static_range(60):
        offset = min(offset, offset)
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (offset,), (BLOCK,), (0,))
    tl.store(out_ptr + tl.program_id(0), tl.sum(tl.load(p, boundary_check=(0,))))


@tl.jit
def narrow_or_divided(x_ptr, out_ptr, n, steps, CASE: tl.constexpr, BLOCK: tl.constexpr):
    """CASE 0: an int8 sum (100 + 100 wraps to -56); 1: an int8 counter stepped by 16
    in a loop (wraps after 8 steps); 2: pid // (num_programs // 2), whose divisor may be
    0 (RISC-V: x / 0 = -1)."""
    if CASE == 0:
        a = tl.zeros((), tl.int8) + 100
        offset = a + a
    elif CASE == 1:
        offset = tl.zeros((), tl.int8)
        for i in range(0, steps):
            offset += 16
    else:
        offset = tl.program_id(0) // (tl.num_programs(0) // 2)
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (offset,), (BLOCK,), (0,))
    tl.store(out_ptr, tl.sum(tl.load(p, boundary_check=(0,))))


@tl.jit
def persistent(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """Tiles pid, pid + num_programs, ...: a loop stepped by the grid's size."""
    tiles = tl.cdiv(n, BLOCK)
    for tile in range(tl.program_id(0), tiles, tl.num_programs(0)):
        p = tl.make_block_ptr(x_ptr, (n,), (1,), (tile * BLOCK,), (BLOCK,), (0,))
        q = tl.make_block_ptr(out_ptr, (n,), (1,), (tile * BLOCK,), (BLOCK,), (0,))
        tl.store(q, tl.load(p, boundary_check=(0,)) + 1, boundary_check=(0,))


@tl.jit
def wrapped_tile(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """Program pid sums tile pid % tiles (a remainder by a runtime value)."""
    tile = tl.program_id(0) % tl.cdiv(n, BLOCK)
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (tile * BLOCK,), (BLOCK,), (0,))
    tl.store(out_ptr + tl.program_id(0), tl.sum(tl.load(p, boundary_check=(0,))))


@tl.jit
def load_at(x_ptr, offset, n, BLOCK: tl.constexpr):
    p = tl.make_block_ptr(x_ptr, (n,), (1,), (offset,), (BLOCK,), (0,))
    return tl.load(p, boundary_check=(0,))


@tl.jit
def through_helper(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """A helper's access at pid * BLOCK - 4, refused with its call site named."""
    tl.store(out_ptr, tl.sum(load_at(x_ptr, tl.program_id(0) * BLOCK - 4, n, BLOCK)))


@tl.jit
def grid_order(x_ptr, out_ptr, M, N, BM: tl.constexpr, BN: tl.constexpr):
    """A 1-D grid over 2-D tiles, as Triton's matmul tutorial orders them: pid_m = pid
    // tiles_n with tiles_n = max(cdiv(N, BN), 1) (a positive divisor), pid_n = pid %
    tiles_n; each program stores its tile + 1."""
    pid = tl.program_id(0)
    tiles_n = max(tl.cdiv(N, BN), 1)
    pid_m, pid_n = pid // tiles_n, pid % tiles_n
    p = tl.make_block_ptr(x_ptr, (M, N), (N, 1), (pid_m * BM, pid_n * BN), (BM, BN), (1, 0))
    q = tl.make_block_ptr(out_ptr, (M, N), (N, 1), (pid_m * BM, pid_n * BN), (BM, BN),
                          (1, 0))
    tl.store(q, tl.load(p, boundary_check=(0, 1)) + 1, boundary_check=(0, 1))
