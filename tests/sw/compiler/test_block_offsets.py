"""Block pointers on a boundary-checked dimension whose offset may be negative are
refused (tests/sw/compiler/block_offset_kernels.py): OxCore masks only index >= shape,
Triton also index < 0, so such an access would silently differ from Triton's. Offsets
the proof in `sw.compiler.signs` accepts compile and run as numpy says; the refused
ones name the access's line."""

from __future__ import annotations

import numpy as np
import pytest

from sw.compiler.launch import launch
from tests.sw.compiler import block_offset_kernels as k
from tests.sw.compiler.conftest import compile_error_at

rng = np.random.default_rng(5)
NEGATIVE = "its offset there may be negative"
ARGUMENT = "x_ptr:*i32,out_ptr:*i32,n:i32,start:i32,BLOCK=16,CASE="
CARRIED = "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=16,CASE="


@pytest.mark.parametrize("case", [0, 3])
def test_an_offset_from_an_argument_or_a_halo_is_refused(case: int) -> None:
    text = compile_error_at(k, "from_argument", f"{ARGUMENT}{case}", "vector", 26, 27,
                            NEGATIVE)
    assert "max(offset, 0)" in text and "(offs >= 0) & (offs < n)" in text


@pytest.mark.parametrize("case", [1, 2])
def test_max_with_zero_or_an_unchecked_dimension_compiles_and_runs(case: int) -> None:
    """max(start, 0), and `start` on a dimension without boundary_check (never masked,
    in Triton either): out[start + i] = x[start + i] + 1, below n where checked."""
    n, start = 40, 30
    x = rng.integers(-100, 100, 64).astype(np.int32)
    out = np.zeros(64, np.int32)
    launch(k.from_argument, (1,), x, out, n, start, CASE=case, BLOCK=16, config="vector")
    want = np.zeros(64, np.int32)
    end = n if case == 1 else start + 16
    want[start:end] = x[start:end] + 1
    np.testing.assert_array_equal(out, want)


@pytest.mark.parametrize("case, line, col", [(1, 44, 22), (3, 53, 22)])
def test_a_carried_offset_that_may_go_negative_is_refused(case: int, line: int,
                                                          col: int) -> None:
    compile_error_at(k, "carried", f"{CARRIED}{case}", "vector", line, col, NEGATIVE)


@pytest.mark.parametrize("case", [0, 2])
def test_a_carried_offset_stepped_forward_compiles_and_runs(case: int) -> None:
    n = 64
    x = rng.integers(-100, 100, n).astype(np.int32)
    out = np.zeros(16, np.int32)
    launch(k.carried, (1,), x, out, n, CASE=case, BLOCK=16, config="vector")
    rows = x.reshape(4, 16)
    np.testing.assert_array_equal(out, rows.sum(axis=0) if case == 0 else rows[1:].sum(axis=0))


def test_an_offset_carried_out_of_a_loop_compiles_and_runs() -> None:
    n = 40  # (the loop runs for 0 and 16: the load is at 32, masked below 40)
    x = rng.integers(-100, 100, 48).astype(np.int32)
    out = np.zeros(1, np.int32)
    launch(k.after_loop, (1,), x, out, n, BLOCK=16, config="vector")
    assert out[0] == x[32:40].sum()


def test_a_shared_value_is_proved_once() -> None:
    """The proof follows each value once: 60 doublings of the paths through one value
    compile at once (and run as numpy says)."""
    x = rng.integers(-100, 100, 40).astype(np.int32)
    out = np.zeros(3, np.int32)
    launch(k.shared, (3,), x, out, 40, BLOCK=16, config="vector")
    padded = np.concatenate([x, np.zeros(8, np.int32)]).reshape(3, 16)
    np.testing.assert_array_equal(out, padded.sum(axis=1))


@pytest.mark.parametrize("case", [0, 1, 2])
def test_a_narrow_sum_or_a_quotient_by_a_possible_zero_is_refused(case: int) -> None:
    """int8 sums wrap (100 + 100 = -56; a counter stepped by 16), and x // 0 = -1 on
    RISC-V: none of them is a non-negative offset (found by a review: each compiled and
    read before the tensor)."""
    compile_error_at(k, "narrow_or_divided", "x_ptr:*i32,out_ptr:*i32,n:i32,steps:i32,"
                     f"BLOCK=16,CASE={case}", "vector", 93, 30, NEGATIVE)


def test_a_loop_stepped_by_the_grid_size_runs() -> None:
    """A persistent kernel's tile loop, range(pid, tiles, num_programs): its counter
    starts at pid and steps by a grid size, so it is never negative."""
    n = 100
    x = rng.integers(-100, 100, n).astype(np.int32)
    out = np.zeros(n, np.int32)
    launch(k.persistent, (2,), x, out, n, BLOCK=16, config="vector")
    np.testing.assert_array_equal(out, x + 1)


def test_a_remainder_by_a_runtime_value_runs() -> None:
    n, grid = 40, 5
    x = rng.integers(-100, 100, n).astype(np.int32)
    out = np.zeros(grid, np.int32)
    launch(k.wrapped_tile, (grid,), x, out, n, BLOCK=16, config="vector")
    tiles = np.concatenate([x, np.zeros(8, np.int32)]).reshape(3, 16).sum(axis=1)
    np.testing.assert_array_equal(out, tiles[np.arange(grid) % 3])


def test_a_refusal_in_a_helper_names_its_call_site() -> None:
    text = compile_error_at(k, "through_helper", "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=16",
                            "vector", 117, 12, NEGATIVE)
    assert "(in 'load_at', called at " in text and "block_offset_kernels.py:123:" in text


def test_a_quotient_by_max_with_one_runs() -> None:
    """pid // max(cdiv(N, BN), 1): a divisor never 0 (without the max it is refused:
    N <= 0 would divide by 0, -1 on RISC-V)."""
    m, n = 20, 24
    x = rng.integers(-100, 100, (m, n)).astype(np.int32)
    out = np.zeros((m, n), np.int32)
    launch(k.grid_order, (2 * 2,), x, out, m, n, BM=16, BN=16, config="vector")
    np.testing.assert_array_equal(out, x + 1)
