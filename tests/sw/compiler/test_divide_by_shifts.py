"""`x // 2**k` and `x % 2**k` on the vector engine are shifts (`_divide_by_shifts`),
rounded toward zero as C and Triton round: against numpy on values of every sign, each
element type and each power of two an element can hold; one of them on the RTL."""

from __future__ import annotations

import numpy as np
import pytest

from sw.compiler import language as tl
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import launch
from oxcore.config import load_config

DTYPES = {"int8": (np.int8, tl.int8, 6), "int16": (np.int16, tl.int16, 14),
          "int32": (np.int32, tl.int32, 30), "uint8": (np.uint8, tl.uint8, 7)}


@tl.jit
def divide(x_ptr, q_ptr, r_ptr, D: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs)
    tl.store(q_ptr + offs, x // D)
    tl.store(r_ptr + offs, x % D)


def _c_division(x: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    wide = x.astype(np.int64)
    q = np.trunc(wide / d).astype(np.int64)  # exact: |x| < 2**31
    return q.astype(x.dtype), (wide - q * d).astype(x.dtype)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
def test_every_power_of_two(dtype) -> None:
    np_type, _, top = DTYPES[dtype]
    info = np.iinfo(np_type)
    rng = np.random.default_rng(top)
    x = rng.integers(info.min, info.max, 64, endpoint=True, dtype=np_type)
    x[:4] = [info.min, info.max, 0, 1] if info.min else [0, info.max, 1, 2]
    for k in range(1, top + 1):
        q = np.zeros(64, np_type)
        r = np.zeros(64, np_type)
        launch(divide, 1, x, q, r, D=1 << k, BLOCK=64, config="vector")
        want_q, want_r = _c_division(x, 1 << k)
        np.testing.assert_array_equal(q, want_q, err_msg=f"{dtype} // {1 << k}")
        np.testing.assert_array_equal(r, want_r, err_msg=f"{dtype} % {1 << k}")


def test_on_the_rtl() -> None:
    x = np.arange(-64, 64, 2, dtype=np.int16)
    q, r = np.zeros(64, np.int16), np.zeros(64, np.int16)
    launch(divide, 1, x, q, r, D=8, BLOCK=64, config="vector", sim="rtl")
    want_q, want_r = _c_division(x, 8)
    np.testing.assert_array_equal(q, want_q)
    np.testing.assert_array_equal(r, want_r)


def test_no_divide_instruction_is_left() -> None:
    asm = compile_kernel(divide, "x_ptr:*i32,q_ptr:*i32,r_ptr:*i32,D=16,BLOCK=64",
                         load_config("vector"), use_cache=False).asm
    assert "vdiv" not in asm and "vrem" not in asm and "vsra.vi" in asm


@tl.jit
def divide_scalars(x_ptr, q_ptr, r_ptr, n, D: tl.constexpr):
    for i in range(n):
        x = tl.load(x_ptr + i)
        tl.store(q_ptr + i, x // D)
        tl.store(r_ptr + i, x % D)


def test_scalars_by_every_power_of_two() -> None:
    """The scalar core's `//` and `%` by a constant power of two: shifts too."""
    info = np.iinfo(np.int32)
    rng = np.random.default_rng(31)
    x = rng.integers(info.min, info.max, 24, endpoint=True, dtype=np.int32)
    x[:6] = [info.min, info.max, 0, 1, -1, -(1 << 20) - 3]
    for k in (1, 2, 5, 11, 12, 20, 30):
        q, r = np.zeros(24, np.int32), np.zeros(24, np.int32)
        launch(divide_scalars, 1, x, q, r, 24, D=1 << k)
        want_q, want_r = _c_division(x, 1 << k)
        np.testing.assert_array_equal(q, want_q, err_msg=f"// {1 << k}")
        np.testing.assert_array_equal(r, want_r, err_msg=f"% {1 << k}")
    asm = compile_kernel(divide_scalars, "x_ptr:*i32,q_ptr:*i32,r_ptr:*i32,n:i32,D=64",
                         load_config("default"), use_cache=False).asm
    assert "div" not in asm.replace("divide", "") and "rem" not in asm
