"""An `if` on a runtime value that produces a block (`Selector.op_scf_if`): a 1-D data
block's register group written by each side, an index or pointer block's base, on the
interpreter (and once on the RTL) against numpy; and the forms it rejects, each at
the kernel's line."""

from __future__ import annotations

import numpy as np
import pytest

from sw.compiler.launch import launch
from tests.sw.compiler import if_kernels as k
from tests.sw.compiler.conftest import compile_error_at

CONFIG = "vector"
rng = np.random.default_rng(2026)


def masked_pick(x, y, n: int, flag: int) -> np.ndarray:
    """pick_masked's y, masked-off elements included (Triton computes every element:
    the loads' other=0 there)."""
    keep = np.arange(len(x)) < n
    xm, ym = np.where(keep, x, 0), np.where(keep, y, 0)
    return xm * 2 if flag > 0 else ym * 3 - xm


@pytest.mark.parametrize("n", [0, 5, 32, 40])
@pytest.mark.parametrize("flag", [1, 0])
def test_a_masked_data_block_from_either_side(n: int, flag: int) -> None:
    x = rng.integers(-1000, 1000, 32, dtype=np.int32)
    y = rng.integers(-1000, 1000, 32, dtype=np.int32)
    out, sums = np.full(32, 7, np.int32), np.zeros(2, np.int32)
    launch(k.pick_masked, 1, x, y, out, sums, n, flag, BLOCK=32, config=CONFIG)
    want, stored = masked_pick(x, y, n, flag), np.arange(32) < n
    np.testing.assert_array_equal(out[stored], want[stored])
    assert (out[~stored] == 7).all()  # the masked store leaves them
    assert list(sums) == [want.sum(), want.max()]  # masked-off elements are 0 on both sides


@pytest.mark.parametrize("flag", [3, 0])
def test_a_whole_block_loaded_or_computed(flag: int) -> None:
    x = rng.integers(-128, 128, 64, dtype=np.int8)
    out = np.zeros(64, np.int8)
    launch(k.pick_whole, 1, x, out, flag, 5, BLOCK=64, config=CONFIG)
    y = x + np.int8(5) if flag else -np.arange(64).astype(np.int8)
    np.testing.assert_array_equal(out, np.maximum(y, 0))


@pytest.mark.parametrize("flag", [1, -1])
def test_pointer_and_index_blocks_from_either_side(flag: int) -> None:
    n = 50
    x = rng.integers(-100, 100, n, dtype=np.int32)
    y = rng.integers(-100, 100, n, dtype=np.int32)
    out = np.zeros(2 * n, np.int32)
    launch(k.pick_pointers, 4, x, y, out, n, flag, BLOCK=16, config=CONFIG)
    want = np.zeros(2 * n, np.int32)
    if flag > 0:
        want[:n] = x + 1
    else:
        want[n:] = y + 1
    np.testing.assert_array_equal(out, want)


def test_an_if_in_a_loop_each_iteration() -> None:
    x = rng.integers(-100, 100, 5 * 16, dtype=np.int32)
    out = np.zeros_like(x)
    launch(k.alternate, 1, x, out, 5, BLOCK=16, config=CONFIG)
    rows = x.reshape(5, 16)
    want = np.concatenate([rows[i] + i if i % 2 == 0 else -rows[i] for i in range(5)])
    np.testing.assert_array_equal(out, want)


def test_a_loop_carried_block_updated_in_an_if() -> None:
    x = rng.integers(-100, 100, 7 * 16, dtype=np.int32)
    out = np.zeros(16, np.int32)
    launch(k.accumulate_some, 1, x, out, 7, BLOCK=16, config=CONFIG)
    rows = x.reshape(7, 16)
    np.testing.assert_array_equal(out, sum(rows[i] for i in range(7) if i % 3 != 1))


@pytest.mark.parametrize("a,b", [(1, 0), (0, 1), (0, 0)])
def test_nested_ifs_producing_a_block(a: int, b: int) -> None:
    x = rng.integers(-100, 100, 16, dtype=np.int32)
    out = np.full(16, 9, np.int32)
    launch(k.nested_picks, 1, x, out, 11, a, b, BLOCK=16, config=CONFIG)
    want = x * 2 if a > 0 else (x if b > 0 else x - 5)
    np.testing.assert_array_equal(out[:11], want[:11])
    assert (out[11:] == 9).all()


@pytest.mark.parametrize("flag", [1, 0])
def test_a_masked_data_block_on_the_rtl(flag: int) -> None:
    x = rng.integers(-1000, 1000, 32, dtype=np.int32)
    y = rng.integers(-1000, 1000, 32, dtype=np.int32)
    out, sums = np.full(32, 7, np.int32), np.zeros(2, np.int32)
    launch(k.pick_masked, 1, x, y, out, sums, 21, flag, BLOCK=32, config=CONFIG, sim="rtl")
    want, stored = masked_pick(x, y, 21, flag), np.arange(32) < 21
    np.testing.assert_array_equal(out[stored], want[stored])
    assert list(sums) == [want.sum(), want.max()]


def test_a_pointer_from_a_reduction_on_one_side() -> None:
    x = rng.integers(-50, 50, 64).astype(np.int32)
    steps = np.ones(16, np.int32)  # their sum: 16, the pointer's offset on that side
    for flag in (1, 0):
        out = np.zeros(16, np.int32)
        launch(k.pointer_from_a_sum, 1, x, steps, out, flag, BLOCK=16, config=CONFIG)
        np.testing.assert_array_equal(out, x[16:32] if flag > 0 else x[:16])


@pytest.mark.parametrize("flag", [2, 1, 0])
@pytest.mark.parametrize("n", [5, 16])
def test_sides_computed_rather_than_loaded(flag: int, n: int) -> None:
    """A side from tl.where of indices against a masked load; a uniform side against a
    masked one (the block then defined under that mask)."""
    x = rng.integers(-50, 50, 16).astype(np.int32)
    out = np.full(16, 9, np.int32)
    launch(k.computed_sides, 1, x, out, n, flag, BLOCK=16, config=CONFIG)
    stored = np.arange(16) < n
    y = np.where(stored, np.arange(16), 0) if flag > 0 else np.where(stored, x, 0)
    z = np.zeros(16, np.int32) if flag > 1 else y + 1
    np.testing.assert_array_equal(out[stored], (y * 10 + z)[stored])
    assert (out[~stored] == 9).all()


@pytest.mark.parametrize("n", [16, 11])
def test_masked_updates_of_carried_blocks_in_ifs(n: int) -> None:
    """`acc + x` / `acc - x` / `acc` (an `elif`, a nested `if`) and `maximum(top, x)`
    or `top`, with masked x whose other is the op's identity: the elements past the
    mask keep the carried block's values."""
    x = rng.integers(-50, 50, 7 * 16).astype(np.int32)
    out = np.zeros(32, np.int32)
    launch(k.masked_updates, 1, x, out, n, 7, BLOCK=16, config=CONFIG)
    keep = np.arange(16) < n
    rows = np.where(keep, x.reshape(7, 16), 0)
    acc = sum(rows[i] * (1 if i % 3 == 0 else -1 if i % 3 == 1 else 0) for i in range(7))
    tops = np.where(keep, x.reshape(7, 16), -2**31)
    top = np.max(np.stack([tops[i] for i in range(0, 7, 2)]), axis=0)
    np.testing.assert_array_equal(out[:16], acc)
    np.testing.assert_array_equal(out[16:], top)


@pytest.mark.parametrize("a,b,c", [(1, 0, 1), (0, 1, 0), (1, 1, 1), (0, 0, 0)])
def test_register_groups_of_dead_blocks_are_reused(a: int, b: int, c: int) -> None:
    """Four `if`s of 64 int32 elements (a register group of 8 each) in a chain: only two
    are live at a time, which fits where four would not."""
    x = rng.integers(-50, 50, 64).astype(np.int32)
    out = np.zeros(64, np.int32)
    launch(k.chained_ifs, 1, x, out, a, b, c, BLOCK=64, config=CONFIG)
    y = x + 1 if a > 0 else x - 1
    z = y + 10 if b > 0 else y * 2
    w = z * 3 if c > 0 else z - 1
    np.testing.assert_array_equal(out, w + x if a > b else w)


ERRORS = [
    ("different_masks", "x_ptr:*i32,out_ptr:*i32,n:i32,flag:i32,BLOCK=16", 63, 13,
     "the two sides of this `if` compute its block under different masks"),
    ("pointer_or_data", "x_ptr:*i32,out_ptr:*i32,flag:i32,BLOCK=16", 70, 5,
     "produce index or pointer blocks with different strides"),
    ("unknown_fill", "x_ptr:*i32,s_ptr:*i32,n:i32,flag:i32,BLOCK=16", 85, 21,
     "masked-off elements must have one known value, the same on both sides"),
    ("pick_mask", "x_ptr:*i32,out_ptr:*i32,n:i32,flag:i32,BLOCK=16", 91, 5,
     "an `if` producing a mask is not supported"),
    ("unmasked_use", "x_ptr:*i32,out_ptr:*i32,n:i32,flag:i32,BLOCK=16", 106, 5,
     "an unmasked store of a block computed from masked loads"),
    ("pick_masked", "x_ptr:*i32,y_ptr:*i32,out_ptr:*i32,s_ptr:*i32,n:i32,flag:i32,"
     "BLOCK=128", 14, 5, "a block an `if` produces must fit one register group"),
    # (wrong results before: a later chunk loaded what an earlier one stored; x reloaded
    # after the store, in straight-line code and in a loop's next iteration)
    ("shift_through_if", "x_ptr:*i32,flag:i32,BLOCK=256", 144, 5,
     "this store writes through 'x_ptr' at other addresses than a load"),
    ("reload_after_store", "p_ptr:*i32,q_ptr:*i32,out_ptr:*i32,BLOCK=16", 153, 5,
     "if_kernels.py:150) before an element-wise store through the same pointer argument "
     "(" + k.__file__ + ":151)"),
    ("reload_in_loop", "p_ptr:*i32,out_ptr:*i32,rounds:i32,BLOCK=16", 160, 5,
     "this loop stores through the pointer argument of a 1-D block loaded before it"),
]


@pytest.mark.parametrize("name,signature,line,col,fragment", ERRORS)
def test_rejected_forms_point_at_the_source(name, signature, line, col, fragment) -> None:
    compile_error_at(k, name, signature, CONFIG, line, col, fragment)
