"""transpose (sw/ops/layout.py) on the interpreter against numpy's .T for int8 and
int32: square, tall, wide, single-element and single-row shapes, M below, at and above
BLOCK; both program mappings (strided stores, strided loads); one RTL lockstep run."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sw.compiler.launch import LaunchError, launch
from sw.ops import layout
from sw.ops.layout import run_transpose

from .helpers import random_array

SHAPES = [(17, 33, 16), (1, 1, 64), (1, 40, 64), (40, 1, 64), (64, 64, 64), (300, 5, 128),
          (9, 3000, 1024)]


@pytest.mark.parametrize("dtype", [np.int8, np.int32])
@pytest.mark.parametrize("rows,cols,block", SHAPES)
def test_transpose_odd_shapes(rows, cols, block, dtype):
    x = random_array(np.random.default_rng(rows + cols), (rows, cols), dtype)
    assert np.array_equal(run_transpose(x, block=block), x.T)


@pytest.mark.parametrize("dtype", [np.int8, np.int32])
def test_transpose_by_columns(dtype):
    """The other mapping (one program per input column, a strided load)."""
    rows, cols = 21, 13
    x = random_array(np.random.default_rng(5), (rows, cols), dtype)
    out = np.zeros((cols, rows), dtype)
    launch(layout.transpose_by_columns, cols, x, out, rows, cols, BLOCK=8, config="vector")
    assert np.array_equal(out, x.T)


@settings(max_examples=10, deadline=None)
@given(rows=st.integers(1, 70), cols=st.integers(1, 70), block=st.sampled_from([8, 64, 1024]),
       dtype=st.sampled_from([np.int8, np.int32]), seed=st.integers(0, 2**16))
def test_transpose_property(rows, cols, block, dtype, seed):
    x = random_array(np.random.default_rng(seed), (rows, cols), dtype)
    assert np.array_equal(run_transpose(x, block=block), x.T)


@pytest.mark.parametrize("x,message", [
    (np.zeros((2, 3), np.int16), "x must be int8 or int32, got int16"),
    (np.zeros((2, 3, 4), np.int8), "x must have 2 non-empty dimensions"),
])
def test_transpose_bad_arguments(x, message):
    with pytest.raises(LaunchError, match=message):
        run_transpose(x)


def test_transpose_rtl_lockstep():
    x = random_array(np.random.default_rng(6), (5, 6), np.int32)
    assert np.array_equal(run_transpose(x, block=4, sim="rtl"), x.T)
