"""tl.argmax / tl.argmin and tl.max/tl.min(..., return_indices=True)
(tests/sw/compiler/argmax_kernels.py) against numpy, ties included: the first index of
the extreme (`tie_break_left`), else the last."""

from __future__ import annotations

import numpy as np
import pytest

from oxcore.config import load_config
from oxcore.errors import CompileError
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import launch
from tests.sw.compiler import argmax_kernels as k


def _expected(x: np.ndarray, kind: str, left: bool, axis: int = 0) -> np.ndarray:
    """numpy's argmax/argmin is the first; the last is the first of the reversed."""
    pick = np.argmax if kind == "max" else np.argmin
    if left:
        return pick(x, axis=axis)
    return x.shape[axis] - 1 - pick(np.flip(x, axis=axis), axis=axis)


@pytest.mark.parametrize("kind", ["max", "min"])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("n, block, fill", [
    (23, 64, "loses"), (64, 64, "loses"), (300, 512, "loses"), (1, 64, "loses"),
    (23, 64, "wins"), (23, 64, "ties"), (0, 64, "ties")])
def test_a_block_s_extreme_and_its_index(kind, left, n, block, fill) -> None:
    """As Triton: the masked-off elements (past n) take part with the load's `other`,
    which may lose to the live ones, win, or tie with them (the last index is then
    past n, the first is not). Small values, so that the extreme repeats; n = 300 is
    strip-mined over several vector chunks."""
    rng = np.random.default_rng(n)
    x = rng.integers(-4, 5, n, dtype=np.int8)
    sign = 1 if kind == "max" else -1
    other = {"loses": -100 * sign, "wins": 100 * sign, "ties": 4 * sign}[fill]
    if fill == "ties" and n:
        x[n // 2] = other
    values = np.zeros(1, np.int32)
    indices = np.zeros(1, np.int32)
    launch(k.arg_1d, 1, x if n else np.zeros(1, np.int8), values, indices, n, KIND=kind,
           LEFT=left, FILL=other, BLOCK=block, config="vector")
    padded = np.full(block, other, np.int8)
    padded[:n] = x
    assert values[0] == (padded.max() if kind == "max" else padded.min())
    assert indices[0] == _expected(padded, kind, left)


@pytest.mark.parametrize("sim", ["iss", "rtl"])
def test_each_row_s_argmax(sim) -> None:
    """M = 21 rows of 16 (int8, ties likely) in blocks of 8 rows: the masked rows past
    M store nothing."""
    rng = np.random.default_rng(4)
    x = rng.integers(-3, 4, (21, 16), dtype=np.int8)
    out = np.full(24, -5, np.int32)
    launch(k.arg_rows, 3, x, out, 21, N=16, BLOCK_M=8, config="vector", sim=sim)
    np.testing.assert_array_equal(out[:21], np.argmax(x, axis=1))
    np.testing.assert_array_equal(out[21:], -5)


def test_an_argmin_down_the_columns_is_refused_clearly() -> None:
    """A column reduction broadcast back along the columns has no vector-engine form
    yet (split-rows takes rows): the error says which forms there are."""
    with pytest.raises(CompileError, match=r"a row reduction \(axis=1\) stored or "
                                           r"broadcast back along the rows"):
        compile_kernel(k.arg_columns, "x_ptr:*i32,out_ptr:*i32,M=8,N=32",
                       load_config("vector"))


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("fill", [0, 200, 255])
def test_a_uint8_block_s_extreme_and_its_index(left, fill) -> None:
    """uint8 (compared unsigned): values past 127, `other` losing, tying or winning."""
    rng = np.random.default_rng(fill)
    x = rng.integers(0, 256, 23).astype(np.uint8)
    x[5] = 200
    values, indices = np.zeros(1, np.int32), np.zeros(1, np.int32)
    launch(k.arg_1d, 1, x, values, indices, 23, KIND="max", LEFT=left, FILL=fill,
           BLOCK=64, config="vector")
    padded = np.full(64, fill, np.uint8)
    padded[:23] = x
    assert values[0] == padded.max()
    assert indices[0] == _expected(padded, "max", left)
