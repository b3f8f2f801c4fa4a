"""`while` loops on runtime conditions (`Selector.op_scf_while`) against Python and
numpy, on the interpreter and once on the RTL, and the forms rejected at their line."""

from __future__ import annotations

import numpy as np
import pytest

from oxcore.config import load_config
from oxcore.errors import CompileError
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import launch
from tests.sw.compiler import while_kernels as k
from tests.sw.compiler.conftest import compile_error_at


def collatz(n: int) -> int:
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


@pytest.mark.parametrize("n", [1, 2, 7, 27])
def test_scalars_carried_through_a_while(n: int) -> None:
    out = np.zeros(1, np.int32)
    launch(k.collatz_steps, 1, out, n)
    assert out[0] == collatz(n)


@pytest.mark.parametrize("n", [0, 5, 16, 50])
def test_a_pointer_block_and_a_data_block_carried(n: int) -> None:
    x = np.arange(1, 65, dtype=np.int32)
    out = np.zeros(16, np.int32)
    launch(k.strided_sum, 1, x, out, n, BLOCK=16, config="vector")
    padded = np.zeros(64, np.int64)
    padded[:n] = x[:n]
    np.testing.assert_array_equal(out, padded.reshape(4, 16).sum(axis=0))


@pytest.mark.parametrize("limit,sim", [(1000, "iss"), (10, "iss"), (0, "iss"),
                                       (100, "rtl")])
def test_a_condition_from_a_reduction(limit: int, sim: str) -> None:
    x = np.random.default_rng(limit).integers(0, 5000, 16).astype(np.int32)
    out = np.zeros(17, np.int32)
    launch(k.halve_until, 1, x, out, limit, BLOCK=16, config="vector", sim=sim)
    y, rounds = x.copy(), 0
    while y.max() > limit:
        y >>= 1
        rounds += 1
    np.testing.assert_array_equal(out[:16], y)
    assert out[16] == rounds


ERRORS = [
    ("constant_condition", "out_ptr:*i32", 49, 11,
     "a while loop's condition must be a runtime value"),
    ("with_else", "out_ptr:*i32,n:i32", 57, 5, "a kernel's while loop has no `else`"),
    ("reload_after_while", "p_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=16", 69, 5,
     "this loop stores through the pointer argument of a 1-D block loaded before it"),
]


@pytest.mark.parametrize("name,signature,line,col,fragment", ERRORS)
def test_rejected_forms_point_at_the_source(name, signature, line, col, fragment) -> None:
    compile_error_at(k, name, signature, "vector", line, col, fragment)


@pytest.mark.parametrize("n", [0, 2])
def test_tensor_engine_dots_in_and_after_a_while(n: int) -> None:
    rng = np.random.default_rng(n)
    a = rng.integers(-5, 5, (8, 32)).astype(np.int8)
    b = rng.integers(-5, 5, (32, 8)).astype(np.int8)
    c = np.zeros((3, 8, 8), np.int32)
    launch(k.dots_in_and_after_a_while, 1, a, b, c, n, BM=8, BN=8, BK=32, config="tensor")
    product = a.astype(np.int32) @ b.astype(np.int32)
    want = np.zeros_like(c)
    want[:n + 1] = product
    np.testing.assert_array_equal(c, want)


def test_a_block_condition_is_an_error() -> None:
    with pytest.raises(CompileError) as info:
        compile_kernel(k.block_condition, "x_ptr:*i32,out_ptr:*i32,BLOCK=8",
                       load_config("vector"))
    assert "while_kernels.py:96:11: error: a `while` loop's condition must be a scalar" \
        in str(info.value)


@pytest.mark.parametrize("n", [0, 5, 16])
def test_carried_blocks_that_start_from_a_masked_load(n: int) -> None:
    """(Were a CompileError: the start is not `acc = acc op x`.) The blocks are defined
    below the mask; the stores share it."""
    x = np.arange(16, dtype=np.int32) * 3 - 7
    stored = np.arange(16) < n
    out = np.full(16, 99, np.int32)
    launch(k.masked_start_while, 1, x, out, n, BLOCK=16, config="vector")
    np.testing.assert_array_equal(out[stored], x[stored] + 3)
    assert (out[~stored] == 99).all()
    out = np.full(16, 99, np.int32)
    launch(k.masked_start_for, 1, x, out, n, 3, BLOCK=16, config="vector")
    want = x.astype(np.int64)
    for _ in range(3):
        want = want * 2 + x
    np.testing.assert_array_equal(out[stored], want[stored])
    assert (out[~stored] == 99).all()


def test_a_sum_of_a_block_undefined_past_its_mask_is_an_error() -> None:
    """Triton sums the masked-off elements too (0 + n here): unknown to the compiler."""
    with pytest.raises(CompileError) as info:
        compile_kernel(k.masked_start_summed, "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=16",
                       load_config("vector"))
    assert "while_kernels.py:129:23: error: tl.sum of a masked block" in str(info.value)
