"""An `if` on a runtime value that produces a block (`Selector.op_scf_if`): a 1-D data
block's register group written by each side, an index or pointer block's base, on the
interpreter (and once on the RTL) against numpy; and the forms it rejects, each at
the kernel's line."""

from __future__ import annotations

import numpy as np
import pytest

from oxcore.config import load_config
from oxcore.errors import CompileError
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import launch
from tests.sw.compiler import if_kernels as k

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
]


@pytest.mark.parametrize("name,signature,line,col,fragment", ERRORS)
def test_rejected_forms_point_at_the_source(name, signature, line, col, fragment) -> None:
    with pytest.raises(CompileError) as info:
        compile_kernel(getattr(k, name), signature, load_config(CONFIG))
    text = str(info.value)
    assert f"if_kernels.py:{line}:{col}: error: " in text and fragment in text, text
