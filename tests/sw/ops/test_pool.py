"""maxpool2d (sw/ops/pool.py) on the interpreter against a loop over numpy windows:
2x2 and 3x3 windows at strides 1, 2 and 3, odd image sizes (the last row and column
of windows dropped), C of 1, 3, 5, 64 and above BLOCK; one RTL lockstep run."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sw.compiler.launch import LaunchError
from sw.ops.pool import run_maxpool2d

from .helpers import random_array


def pooled_by_loops(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """Independent of the library's reference: the windows' maxima one by one."""
    batch, height, width, channels = x.shape
    oh, ow = (height - kh) // stride + 1, (width - kw) // stride + 1
    out = np.empty((batch, oh, ow, channels), x.dtype)
    for n in range(batch):
        for i in range(oh):
            for j in range(ow):
                window = x[n, i * stride:i * stride + kh, j * stride:j * stride + kw]
                out[n, i, j] = window.reshape(-1, channels).max(axis=0)
    return out


@pytest.mark.parametrize("shape,window,stride,block", [
    ((1, 4, 4, 3), (2, 2), 2, 64),
    ((2, 7, 9, 5), (2, 2), 2, 64),     # odd H and W: the last row/column is dropped
    ((1, 9, 7, 5), (3, 3), 2, 64),     # overlapping windows
    ((1, 6, 6, 64), (2, 2), 2, 64),
    ((1, 5, 5, 70), (2, 2), 2, 32),    # C above BLOCK: three channel chunks
    ((1, 4, 5, 1), (3, 2), 1, 16),     # a non-square window, stride 1, one channel
    ((3, 3, 3, 300), (3, 3), 3, 1024),  # the window is the whole image
])
def test_maxpool2d_odd_shapes(shape, window, stride, block):
    x = random_array(np.random.default_rng(sum(shape)), shape, np.int8)
    got = run_maxpool2d(x, window, stride, block=block)
    assert np.array_equal(got, pooled_by_loops(x, *window, stride))


@settings(max_examples=8, deadline=None)
@given(batch=st.integers(1, 2), height=st.integers(3, 9), width=st.integers(3, 9),
       channels=st.integers(1, 80), kernel=st.sampled_from([2, 3]),
       stride=st.sampled_from([1, 2]), block=st.sampled_from([16, 64]),
       seed=st.integers(0, 2**16))
def test_maxpool2d_property(batch, height, width, channels, kernel, stride, block, seed):
    x = random_array(np.random.default_rng(seed), (batch, height, width, channels), np.int8)
    got = run_maxpool2d(x, (kernel, kernel), stride, block=block)
    assert np.array_equal(got, pooled_by_loops(x, kernel, kernel, stride))


@pytest.mark.parametrize("x,window,stride,message", [
    (np.zeros((1, 4, 4, 3), np.int32), (2, 2), 2, "x must be int8, got int32"),
    (np.zeros((4, 4, 3), np.int8), (2, 2), 2, "x must have 4 non-empty dimensions"),
    (np.zeros((1, 2, 4, 3), np.int8), (3, 3), 2, "window 3x3 at stride 2 does not fit"),
    (np.zeros((1, 4, 4, 3), np.int8), (2, 2), 0, "window and stride at least 1"),
])
def test_maxpool2d_bad_arguments(x, window, stride, message):
    with pytest.raises(LaunchError, match=message):
        run_maxpool2d(x, window, stride)


def test_maxpool2d_rtl_lockstep():
    x = random_array(np.random.default_rng(7), (1, 4, 4, 5), np.int8)
    got = run_maxpool2d(x, (2, 2), 2, block=16, sim="rtl")
    assert np.array_equal(got, pooled_by_loops(x, 2, 2, 2))
