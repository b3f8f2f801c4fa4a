"""Triton's smaller tl functions (tl.abs, tl.cast, tl.zeros_like, the hints
tl.multiple_of / tl.max_contiguous / tl.max_constancy, tl.static_assert) against numpy,
and their errors at the kernel's line."""

from __future__ import annotations

import numpy as np
import pytest

from oxcore.config import load_config
from oxcore.errors import CompileError
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import launch
from tests.sw.compiler import builtin_kernels as k
from tests.sw.compiler.conftest import compile_error_at


@pytest.mark.parametrize("s", [5, -7])
def test_small_builtins_match_numpy(s: int) -> None:
    n = 70
    x = np.random.default_rng(abs(s)).integers(-300, 300, n).astype(np.int32)
    x[:3] = [np.iinfo(np.int32).min, -1, 0]
    out = np.zeros(n, np.int32)
    launch(k.small_builtins, 3, x, out, n, s, BLOCK=32, config="vector")
    y = np.abs(x)  # (numpy wraps int32's minimum to itself, as the kernel does)
    want = y.astype(np.int8).astype(np.int32) + abs(s) + 3
    np.testing.assert_array_equal(out, want)


ERRORS = [
    ("failed_assert", "out_ptr:*i32,BLOCK=128", 24, 5, "tl.static_assert failed: BLOCK too large"),
    ("runtime_assert", "out_ptr:*i32,n:i32", 30, 5,
     "tl.static_assert needs a compile-time condition"),
    ("runtime_hint", "out_ptr:*i32,n:i32,BLOCK=16", 36, 12,
     "tl.multiple_of's values must be a compile-time integer"),
]


@pytest.mark.parametrize("name,signature,line,col,fragment", ERRORS)
def test_errors_point_at_the_source(name, signature, line, col, fragment) -> None:
    compile_error_at(k, name, signature, "vector", line, col, fragment)


@pytest.mark.parametrize("dtype,other", [(np.int8, 127), (np.int8, 0), (np.uint8, 255),
                                         (np.uint8, 7), (np.int32, 2**31 - 1),
                                         (np.int32, -5)])
@pytest.mark.parametrize("n", [0, 37, 300])
def test_min_reduction_of_a_masked_block(dtype, other: int, n: int) -> None:
    """Masked-off elements read `other`: the identity (the dtype's maximum) or a value
    that may win (the read-back takes min(result, other) when any is masked off)."""
    block = 512 if np.dtype(dtype).itemsize == 1 else 256
    info = np.iinfo(dtype)
    x = np.random.default_rng(n).integers(info.min, info.max, 300, endpoint=True,
                                          dtype=dtype)
    out = np.zeros(1, np.int32)
    launch(k.minimum_of, 1, x, out, n, OTHER=other, BLOCK=block, config="vector")
    values = np.full(block, other, np.int64)
    values[:min(n, 300)] = x[:min(n, block)][:min(n, 300)]
    assert out[0] == values.min()


@pytest.mark.parametrize("m,n", [(8, 16), (5, 11)])
def test_min_along_rows_and_columns(m: int, n: int) -> None:
    x = np.random.default_rng(m * n).integers(-128, 128, (m, n), dtype=np.int8)
    rows, cols = np.zeros(8, np.int8), np.zeros(16, np.int8)
    launch(k.row_and_column_minima, 1, x, rows, cols, m, n, BM=8, BN=16, config="vector")
    np.testing.assert_array_equal(rows[:m], x.min(axis=1))
    np.testing.assert_array_equal(cols[:n], x.min(axis=0))


@pytest.mark.parametrize("big", [300, 400])
def test_a_constexpr_cast_keeps_the_low_bits(big: int) -> None:
    out = np.zeros(2, np.int32)
    launch(k.constexpr_casts, 1, out, BIG=big)
    low8, low16 = big & 0xFF, (big * 300) & 0xFFFF  # as int8 and int16: sign-wrapped
    assert list(out) == [low8 - (low8 >> 7) * 256, low16 - (low16 >> 15) * 65536]


def test_zeros_like_of_pointers_is_an_error() -> None:
    with pytest.raises(CompileError) as info:
        compile_kernel(k.zeros_like_pointers, "x_ptr:*i32,out_ptr:*i32", load_config("default"))
    assert "tl.zeros_like takes an integer value or block, not pointers" in str(info.value)
