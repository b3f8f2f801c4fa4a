"""A kernel's early `return` (the rest of the kernel moves into the branches that fall
through: `KernelBuilder.with_rest`), against Python, and `return` in a loop rejected."""

from __future__ import annotations

import numpy as np
import pytest

from oxcore.config import load_config
from oxcore.errors import CompileError
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import launch
from tests.sw.compiler import return_kernels as k


@pytest.mark.parametrize("used", [0, 2, 4])
def test_programs_past_the_guard_return_at_once(used: int) -> None:
    x = np.arange(60, dtype=np.int32)
    out = np.full(60, -1, np.int32)
    launch(k.guarded_add, 4, x, out, 60, used, BLOCK=16, config="vector")
    done = min(used * 16, 60)
    np.testing.assert_array_equal(out[:done], x[:done] + 1)
    assert (out[done:] == -1).all()


def python_nested(pid: int, a: int, b: int) -> int:
    slot = 1
    if a > pid:
        if b > pid:
            return 2
        slot = 3
    elif b == 0:
        return slot
    return slot * 10


@pytest.mark.parametrize("a,b", [(0, 0), (0, 1), (2, 0), (2, 1), (3, 3)])
def test_returns_in_nested_ifs(a: int, b: int) -> None:
    out = np.zeros(3, np.int32)
    launch(k.nested_returns, 3, out, a, b)
    assert list(out) == [python_nested(pid, a, b) for pid in range(3)]


@pytest.mark.parametrize("skip", [1, 0])
def test_a_return_under_a_constexpr_if(skip: int) -> None:
    out = np.zeros(1, np.int32)
    launch(k.constexpr_return, 1, out, SKIP=skip)
    assert out[0] == (0 if skip else 7)


def test_a_return_in_a_loop_is_an_error() -> None:
    with pytest.raises(CompileError) as info:
        compile_kernel(k.return_in_loop, "out_ptr:*i32,n:i32", load_config("default"))
    assert "return_kernels.py:44:13: error: 'return' inside a loop is not supported" in \
        str(info.value)
