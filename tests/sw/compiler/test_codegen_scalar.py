"""Scalar code from the kernel language on the golden interpreter, against Python:
nested `if`s on runtime values, loops with loop-carried scalars, scalar loads and
stores, integer division and comparisons (arith ops the selector lowers to RV32IM)."""

from __future__ import annotations

import numpy as np
import pytest

from sw.compiler import language as tl
from sw.compiler.launch import launch


@tl.kernel
def nested(out_ptr, a, b):
    x = a * 3
    if a > 0:
        if b > 0:
            x = x + b * 5
        else:
            x = x - b * 7
    else:
        x = x + a * b * 11
    tl.store(out_ptr, x)


@tl.kernel
def running_sums(x_ptr, out_ptr, n, d):
    total = d - d  # a runtime zero (a constexpr 0 the loop reassigns would become one)
    for i in range(0, n):
        total = total + tl.load(x_ptr + i)
        tl.store(out_ptr + i, total // d + total % d)


def python_nested(a: int, b: int) -> int:
    x = a * 3
    if a > 0:
        return x + b * 5 if b > 0 else x - b * 7
    return x + a * b * 11


@pytest.mark.parametrize("a", [-2, 0, 3])
@pytest.mark.parametrize("b", [-4, 0, 6])
def test_nested_ifs(a: int, b: int) -> None:
    out = np.zeros(1, np.int32)
    launch(nested, 1, out, a, b)
    assert out[0] == python_nested(a, b)


@pytest.mark.parametrize("d", [3, -5])
def test_a_loop_with_scalar_loads_stores_and_division(d: int) -> None:
    x = np.array([7, -20, 13, 0, 99, -1, 4], np.int32)
    out = np.zeros_like(x)
    launch(running_sums, 1, x, out, len(x), d)
    totals = np.cumsum(x)
    # C and Triton division: toward zero, remainder with the dividend's sign
    quotient = np.trunc(totals / d).astype(np.int64)
    want = quotient + (totals - quotient * d)
    np.testing.assert_array_equal(out, want)


@tl.kernel
def grid_shape(out_ptr):
    """Each program writes its ids and the grid's size along each axis."""
    x, y, z = tl.program_id(0), tl.program_id(1), tl.program_id(2)
    nx, ny, nz = tl.num_programs(0), tl.num_programs(1), tl.num_programs(2)
    slot = out_ptr + ((z * ny + y) * nx + x) * 6
    tl.store(slot, x)
    tl.store(slot + 1, y)
    tl.store(slot + 2, z)
    tl.store(slot + 3, nx)
    tl.store(slot + 4, ny)
    tl.store(slot + 5, nz)


@pytest.mark.parametrize("grid", [(5,), (3, 2), (2, 3, 4)])
def test_program_ids_and_the_grid_size(grid: tuple[int, ...]) -> None:
    full = tuple(grid) + (1,) * (3 - len(grid))
    out = np.full(int(np.prod(full)) * 6, -1, np.int32)
    launch(grid_shape, grid, out)
    want = [[x, y, z, *full] for z in range(full[2]) for y in range(full[1])
            for x in range(full[0])]
    np.testing.assert_array_equal(out.reshape(-1, 6), np.array(want, np.int32))
