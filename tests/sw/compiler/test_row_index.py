"""Row loops compute what a kernel derives from the row index other than bounds
(tests/sw/compiler/row_index_kernels.py) a scalar a row, against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from sw.compiler.launch import launch
from tests.sw.compiler import row_index_kernels as k
from tests.sw.compiler.conftest import compile_error_at


@pytest.mark.parametrize("sim", ["iss", "rtl"])
def test_a_row_picked_out_by_its_index(sim) -> None:
    """Row sums with row SKIP's replaced by 0, plus row // 4: 19 rows in blocks of 8."""
    rng = np.random.default_rng(8)
    x = rng.integers(-1000, 1000, (19, 16), dtype=np.int32)
    y = np.full(24, 99, np.int32)
    launch(k.row_sums_except, 3, x, y, 19, SKIP=9, N=16, BLOCK_M=8, config="vector",
           sim=sim)
    rows = np.arange(19)
    expected = np.where(rows == 9, 0, x.sum(axis=1)) + rows // 4
    np.testing.assert_array_equal(y[:19], expected)
    np.testing.assert_array_equal(y[19:], 99)


@pytest.mark.parametrize("sim", ["iss", "rtl"])
def test_rows_alternating_by_parity(sim) -> None:
    """tl.where on a row's own condition (`(offs_m % 2 == 0)[:, None]`: one i1 a row,
    a uniform mask for the row's vector code) and a row's `% 3` added."""
    rng = np.random.default_rng(9)
    x = rng.integers(-100, 100, (13, 32), dtype=np.int16)
    y = np.zeros((16, 32), np.int16)
    launch(k.alternate_rows, 2, x, y, 13, N=32, BLOCK_M=8, config="vector", sim=sim)
    rows = np.arange(13)[:, None]
    expected = np.where(rows % 2 == 0, x, -x) + rows % 3
    np.testing.assert_array_equal(y[:13], expected)
    np.testing.assert_array_equal(y[13:], 0)


@pytest.mark.parametrize("dtype, n", [(np.int8, 256), (np.int8, 64), (np.int16, 512),
                                      (np.int32, 16)])
def test_a_row_condition_on_wide_rows(dtype, n) -> None:
    """The row's condition is splat and compared at e8, which fits any data's group
    (found by review: at e32, int8 rows of 128 or more asked for LMUL 16)."""
    rng = np.random.default_rng(10)
    x = rng.integers(-100, 100, (7, n)).astype(dtype)
    y = np.zeros((8, n), dtype)
    launch(k.alternate_rows, 2, x, y, 7, N=n, BLOCK_M=4, config="vector")
    rows = np.arange(7)[:, None]
    expected = (np.where(rows % 2 == 0, x, -x) + rows % 3).astype(dtype)
    np.testing.assert_array_equal(y[:7], expected)


def test_a_store_bounded_on_columns_the_loads_are_not_is_refused() -> None:
    compile_error_at(k, "store_mask_row_and_col", "x_ptr:*i32,y_ptr:*i32,M:i32,N=16,"
                     "BLOCK_M=8", "vector", 37, 5, "must share one mask")


def test_columns_picked_by_their_index() -> None:
    rng = np.random.default_rng(11)
    x = rng.integers(-100, 100, (13, 32)).astype(np.int32)
    y = np.full((16, 32), 5, np.int32)
    launch(k.every_other_column, 2, x, y, 13, N=32, BLOCK_M=8, config="vector")
    cols = np.arange(32)[None, :]
    expected = np.full((16, 32), 5, np.int32)
    expected[:13] = np.where(cols % 2 == 0, np.where(cols % 3 == 0, -x, x), 5)
    np.testing.assert_array_equal(y, expected)


def test_index_terms_computed_before_their_broadcast() -> None:
    rng = np.random.default_rng(12)
    x = rng.integers(-100, 100, (13, 32)).astype(np.int32)
    y = np.zeros((16, 32), np.int32)
    launch(k.index_terms_scaled, 2, x, y, 13, N=32, BLOCK_M=8, config="vector")
    rows, cols = np.arange(13)[:, None], np.arange(32)[None, :]
    np.testing.assert_array_equal(y[:13], x + rows % 3 * 10 + (cols // 4 + 1) * 100)


@pytest.mark.parametrize("sim", ["iss", "rtl"])
def test_a_row_s_pointers_from_its_index(sim) -> None:
    """`x_ptr + (offs_m // 2)[:, None] * N + offs_n[None, :]`: each row's base is
    computed a row (a scalar pointer), its columns stay a unit-stride access."""
    rng = np.random.default_rng(13)
    x = rng.integers(-100, 100, (8, 32)).astype(np.int32)
    y = np.zeros((16, 32), np.int32)
    launch(k.rows_from_pairs, 2, x, y, 15, N=32, BLOCK_M=8, config="vector", sim=sim)
    np.testing.assert_array_equal(y[:15], x[np.arange(15) // 2])
    np.testing.assert_array_equal(y[15:], 0)
