"""matvec (sw/ops/matvec.py) on the interpreter against numpy's int64 product: shapes
that end mid-block, K below, at and above BLOCK (the K loop), strip-mined blocks, the
extremes of int8 (the sum needs the int32 widening); one RTL lockstep run."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sw.compiler.launch import LaunchError
from sw.ops.matvec import run_matvec

from .helpers import random_array


def exact_product(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.array([sum(int(v) * int(w) for v, w in zip(row, x)) for row in a],
                    dtype=np.int64)


@pytest.mark.parametrize("rows,k,block", [
    (17, 33, 32),     # K one past BLOCK: two K steps, the second of one element
    (1, 1, 64),
    (5, 300, 128),    # K not a multiple of BLOCK
    (4, 64, 64),      # exact
    (3, 1000, 4096),  # one K step, strip-mined over register groups
    (2, 700, 256),    # K loop of strip-mined blocks
])
def test_matvec_odd_shapes(rows, k, block):
    rng = np.random.default_rng(rows * 1000 + k)
    a, x = random_array(rng, (rows, k), np.int8), random_array(rng, k, np.int8)
    assert np.array_equal(run_matvec(a, x, block=block), exact_product(a, x))


def test_matvec_extremes_need_int32():
    """-128 * -128 summed 1000 times is 16,384,000: neither int8 nor int16 holds it."""
    a = np.full((2, 1000), -128, np.int8)
    x = np.full(1000, -128, np.int8)
    x[::2] = 127
    assert np.array_equal(run_matvec(a, x), exact_product(a, x))


@settings(max_examples=10, deadline=None)
@given(rows=st.integers(1, 12), k=st.integers(1, 600),
       block=st.sampled_from([16, 64, 256, 1024]), seed=st.integers(0, 2**16))
def test_matvec_property(rows, k, block, seed):
    rng = np.random.default_rng(seed)
    a, x = random_array(rng, (rows, k), np.int8), random_array(rng, k, np.int8)
    assert np.array_equal(run_matvec(a, x, block=block), exact_product(a, x))


@pytest.mark.parametrize("a,x,message", [
    (np.zeros((2, 3), np.int32), np.zeros(3, np.int8), "a must be int8, got int32"),
    (np.zeros((2, 3), np.int8), np.zeros(4, np.int8), "x needs 3 elements, got 4"),
    (np.zeros(3, np.int8), np.zeros(3, np.int8), "a must have 2 non-empty dimensions"),
    (np.zeros((0, 3), np.int8), np.zeros(3, np.int8), "got shape [0, 3]"),
    ([[1]], np.zeros(1, np.int8), "a must be a numpy array, not list"),
])
def test_matvec_bad_arguments(a, x, message):
    with pytest.raises(LaunchError, match=message.replace("[", r"\[")):
        run_matvec(a, x)


def test_matvec_rtl_lockstep():
    rng = np.random.default_rng(3)
    a, x = random_array(rng, (2, 20), np.int8), random_array(rng, 20, np.int8)
    assert np.array_equal(run_matvec(a, x, block=16, sim="rtl"), exact_product(a, x))


@pytest.mark.parametrize("rows,k", [(37, 100), (16, 128), (5, 1), (1, 64), (17, 3)])
def test_matvec_rows_odd_shapes(rows, k):
    """matvec_rows (16 rows a program, a row whole): rows past M in the last program,
    K below its power-of-two block; run_matvec picks it for K <= 128 at VLEN 256."""
    from sw.ops.matvec import rows_fit
    assert rows_fit(k, 256)
    rng = np.random.default_rng(rows * 1000 + k)
    a, x = random_array(rng, (rows, k), np.int8), random_array(rng, k, np.int8)
    assert np.array_equal(run_matvec(a, x), exact_product(a, x))


def test_matvec_rows_extremes_need_int32():
    a = np.full((3, 128), -128, np.int8)
    x = np.full(128, -128, np.int8)
    assert np.array_equal(run_matvec(a, x), exact_product(a, x))


def test_matvec_rows_only_for_rows_that_fit():
    from sw.ops.matvec import rows_fit
    assert rows_fit(128, 256) and not rows_fit(129, 256) and rows_fit(64, 128)


def test_matvec_rows_rtl_lockstep():
    rng = np.random.default_rng(9)
    a, x = random_array(rng, (19, 40), np.int8), random_array(rng, 40, np.int8)
    assert np.array_equal(run_matvec(a, x, sim="rtl"), exact_product(a, x))


def test_matvec_takes_a_configuration_object():
    from oxcore.config import load_config
    a, x = np.ones((3, 10), np.int8), np.ones(10, np.int8)
    assert np.array_equal(run_matvec(a, x, config=load_config("vector")), [10, 10, 10])


def test_matvec_rows_refuses_rows_beyond_a_register_group():
    """make cosim KERNEL=matvec_rows SHAPE=5,300: a clear error naming K's limit."""
    from oxcore.config import load_config
    from oxcore.errors import OxCoreError
    from sw.kernels import KERNELS
    kernel = KERNELS["matvec_rows"]
    kernel.check_shape({"M": 5, "K": 128}, load_config("vector"))
    with pytest.raises(OxCoreError, match=r"kernel matvec_rows: K = 300 does not fit a row "
                                          r"in one register group at VLEN 256 \(K <= 128\)"):
        kernel.check_shape({"M": 5, "K": 300}, load_config("vector"))
