"""Helper functions (Triton's @triton.jit functions called from a kernel; here @tl.jit
or @tl.kernel), inlined by the front end: values and tuples returned, constexpr and
keyword arguments, stores and loops inside a helper, a helper from another module
with its own globals; and the errors, at the helper's line with the call site."""

from __future__ import annotations

import numpy as np
import pytest

from sw.compiler.launch import launch
from tests.sw.compiler import helper_kernels as k
from tests.sw.compiler.conftest import compile_error_at


@pytest.mark.parametrize("n", [1, 100, 128])
def test_helpers_inlined_match_numpy(n: int) -> None:
    x = np.random.default_rng(n).integers(-300, 300, n).astype(np.int32)
    out = np.zeros(2000, np.int32)
    total = np.zeros(1, np.int32)
    launch(k.uses_helpers, 4, x, out, total, n, BLOCK=32, config="vector")
    leaky = np.where(x >= 0, x, x >> 2)
    y = np.clip(leaky + 5, -50, 50)  # clamp_add, helper_lib.LIMIT_SHIFT = 0
    np.testing.assert_array_equal(out[:n], y)
    np.testing.assert_array_equal(out[1000:1000 + n], y + 1)
    assert not out[n:1000].any() and not out[1000 + n:].any()
    assert total[0] == x.sum()


ERRORS = [
    ("calls_recursive", "out_ptr:*i32", 48, 12, "'recursive' calls itself", 53, 23),
    ("calls_bad_body", "out_ptr:*i32,v:i32", 58, 12, "'/' is true division", 63, 23),
    ("calls_early", "out_ptr:*i32,v:i32", 69, 9, "'return' is only allowed without a value in a kernel",
     75, 23),
    ("calls_plain", "out_ptr:*i32,v:i32", 84, 23, "'plain_python' cannot be called", None,
     None),
    ("wrong_arguments", "out_ptr:*i32,v:i32", 89, 23,
     "leaky(): missing a required argument: 'shift'", None, None),
    ("runtime_for_constexpr", "x_ptr:*i32,out_ptr:*i32,n:i32", 100, 30,
     "parameter 'k' of 'scaled' is a tl.constexpr", None, None),
    ("calls_unreadable", "out_ptr:*i32,v:i32", 108, 23,
     "the source of helper '<lambda>' cannot be read", None, None),
]


@pytest.mark.parametrize("name,signature,line,col,fragment,call_line,call_col", ERRORS)
def test_errors_point_into_the_helper_and_at_its_call(name, signature, line, col, fragment,
                                                      call_line, call_col) -> None:
    text = compile_error_at(k, name, signature, "default", line, col, fragment)
    if call_line is not None:
        assert f"called at {k.__file__}:{call_line}:{call_col})" in text, text
