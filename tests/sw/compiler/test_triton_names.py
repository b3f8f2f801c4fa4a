"""More of `triton.language` (tests/sw/compiler/triton_names_kernels.py): tl.range and
its num_stages, a launch's specialisation on arguments equal to 1 or None (with
`do_not_specialize`), string constexprs, `is None`, tensor methods and attributes,
expand_dims / broadcast_to / reshape / view / permute, keep_dims, clamp, assume;
against numpy, and the errors at the kernel's line."""

from __future__ import annotations

import re

import numpy as np
import pytest
from xdsl.dialects.builtin import i32

from oxcore.config import load_config
from oxcore.errors import CompileError
from sw.compiler import language as tl
from sw.compiler.dialect import BlockType
from sw.compiler.driver import compile_kernel, compile_to_ir
from sw.compiler.launch import kernel_arguments, launch, signature_text
from sw.compiler.signature import SignatureError, parse_signature
from sw.ops.gemm import gemm
from tests.sw.compiler import triton_names_kernels as k
from tests.sw.compiler.conftest import compile_error_at, ops_named

rng = np.random.default_rng(83)
GEMM = "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,BLOCK_M=16,BLOCK_N=16,BLOCK_K=32"


def body(asm: str) -> list[str]:
    """The kernel's assembly without its name and source lines (in labels)."""
    return [re.sub(r"\.line\d+", ".line", line.replace("gemm_range", "gemm"))
            for line in asm.splitlines()]


@pytest.mark.parametrize("stages", [1, 2])
def test_tl_range_num_stages_is_the_launch_option_for_that_loop(stages: int) -> None:
    """`tl.range(..., num_stages=S)` compiles to what `range` with the kernel's
    num_stages=S does (the library gemm), and it is not the other choice."""
    tensor = load_config("tensor")
    ranged = compile_kernel(k.gemm_range, f"{GEMM},STAGES={stages}", tensor, use_cache=False)
    same = compile_kernel(gemm, GEMM, tensor, num_stages=stages, use_cache=False)
    other = compile_kernel(gemm, GEMM, tensor, num_stages=3 - stages, use_cache=False)
    assert body(ranged.asm) == body(same.asm)
    assert body(ranged.asm) != body(other.asm)


def test_tl_range_runs_against_numpy() -> None:
    m, n, kk = 20, 18, 72
    a = rng.integers(-128, 128, (m, kk), dtype=np.int8)
    bt = rng.integers(-128, 128, (n, kk), dtype=np.int8)
    c = np.zeros((m, n), np.int32)
    launch(k.gemm_range, (2, 2), a, bt, c, m, n, kk, BLOCK_M=16, BLOCK_N=16, BLOCK_K=32,
           STAGES=2, config="tensor")
    np.testing.assert_array_equal(c, a.astype(np.int64) @ bt.astype(np.int64).T)


def test_a_launch_specialises_on_ones_and_none_as_triton_does() -> None:
    x, out = np.zeros(8, np.int8), np.zeros(8, np.int8)
    args = (x, None, out, 8, 1)
    text = signature_text(k.activation, args, dict(ACTIVATION="relu", BLOCK=8))
    assert text == 'x_ptr:*i8,b_ptr=None,out_ptr:*i8,n:i32,stride=1,ACTIVATION="relu",BLOCK=8'
    assert kernel_arguments(k.activation, args) == (x, out, 8)
    assert signature_text(k.activation, (x, None, out, 1, 2), dict(
        ACTIVATION="none", BLOCK=8)).startswith("x_ptr:*i8,b_ptr=None,out_ptr:*i8,n=1,stride:i32")
    kept = tl.jit(k.activation.fn, do_not_specialize=["stride", 0])
    assert kept.do_not_specialize == ("stride", "x_ptr")
    assert "stride:i32" in signature_text(kept, args, dict(ACTIVATION="relu", BLOCK=8))
    with pytest.raises(TypeError, match="no parameter 'strides'"):
        tl.jit(k.activation.fn, do_not_specialize=["strides"])


@pytest.mark.parametrize("activation", ["none", "relu", "clamp"])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("stride", [1, 2])
def test_string_constexprs_and_an_optional_pointer(activation: str, bias: bool,
                                                   stride: int) -> None:
    n = 40
    x = rng.integers(-100, 100, n * stride).astype(np.int16)
    b = rng.integers(-30, 30, n).astype(np.int16) if bias else None
    out = np.zeros(n, np.int8)
    launch(k.activation, (3,), x, b, out, n, stride, ACTIVATION=activation, BLOCK=16,
           config="vector")
    want = x[::stride][:n].astype(np.int64) + (b if bias else 0)
    if activation == "relu":
        want = np.maximum(want, 0)
    elif activation == "clamp":
        want = np.clip(want, -20, 20)
    np.testing.assert_array_equal(out, want.astype(np.int16).astype(np.int8))


def test_shape_functions_methods_and_keep_dims() -> None:
    bm, bn = 4, 16
    x = rng.integers(-128, 128, (bm, bn)).astype(np.int8)
    out, total = np.zeros((bm, bn), np.int8), np.zeros(1, np.int32)
    launch(k.shapes, (1,), x, out, total, BM=bm, BN=bn, config="vector")
    wide = x.astype(np.int64)
    want = np.clip((wide - wide.max(axis=1, keepdims=True)).astype(np.int8), -50, 50)
    np.testing.assert_array_equal(out, want)
    assert total[0] == wide[0].sum()


def test_a_reduction_without_axis_reduces_every_element() -> None:
    """Triton's `tl.sum(x)` of a 2-D block: the rows' sums, then theirs (a scalar)."""
    module = compile_to_ir(k.whole_sum, "x_ptr:*i32,s_ptr:*i32,BM=4,BN=16")
    reductions = [(op.axis.value.data, op.result.type)
                  for op in ops_named(module, "oxcore_block.reduce")]
    assert reductions == [(1, BlockType((4,), i32)), (0, i32)]


def test_unit_dimensions_come_and_go() -> None:
    x = rng.integers(-60, 60, 32).astype(np.int32)
    out = np.zeros(32, np.int32)
    launch(k.squeeze, (1,), x, out, BLOCK=32, config="vector")
    np.testing.assert_array_equal(out, x * 2)


@pytest.mark.parametrize("n", [1, 2, 5, 64, 65])
def test_a_constexpr_reassigned_in_a_loop_is_a_runtime_value(n: int) -> None:
    """`p = 1` then `while p < n: p *= 2`; n = 1 is specialised (a constexpr) too."""
    out = np.zeros(1, np.int32)
    launch(k.power_of_two_at_least, (1,), out, n)
    assert out[0] == 1 << max(0, (n - 1).bit_length())


def test_signature_strings_and_none() -> None:
    parsed = parse_signature('x:*i8,MODE="leaky relu",B=None,F=true')
    assert parsed.constexprs == {"MODE": "leaky relu", "B": None, "F": True}
    with pytest.raises(SignatureError, match="not an integer, true/false, None or a quoted"):
        parse_signature("x:*i8,MODE=relu")
    x = np.zeros(4, np.int8)
    with pytest.raises(Exception, match="cannot hold commas"):
        signature_text(k.activation, (x, x, x, 4, 2), dict(ACTIVATION="a,b", BLOCK=8))


ERRORS = [
    ("reshape_regroups", "x_ptr:*i32,BLOCK=16", 89, 12,
     "tl.reshape from [2, 16] to [32] regroups elements"),
    ("argmax", "x_ptr:*i32,BLOCK=16", 95, 19,
     "tl.max(..., return_indices=True) (Triton's argmax) is not supported"),
    ("range_as_a_value", "x_ptr:*i32", 100, 9, "tl.range is only a for loop's iterable"),
    ("assume_false", "x_ptr:*i32,BLOCK=16", 105, 5, "tl.assume of a condition that is false"),
    ("identity_of_values", "x_ptr:*i32,n:i32", 110, 12,
     "'is' and 'is not' only test for None in a kernel"),
    ("string_in_a_loop", 'x_ptr:*i32,n:i32,MODE="a"', 116, 5,
     "'mode' is a compile-time str and cannot be reassigned in a runtime loop"),
    ("wrapped_offsets", "a_ptr:*i32,c_ptr:*i32,M:i32,BLOCK=16", 122, 12,
     "`%` of an index block (Triton's `offs % M`"),
    ("bad_keep_dims", "x_ptr:*i32,flag:i32,BLOCK=16", 129, 9,
     "tl.sum's keep_dims must be a constexpr bool, got a runtime i32"),
    ("squeeze_a_computed_row", "x_ptr:*i32,BLOCK=16", 135, 11,
     "drops a size-1 dimension that was not inserted with [None], tl.expand_dims or "
     "keep_dims"),
]


@pytest.mark.parametrize("name, signature, line, col, fragment", ERRORS,
                         ids=[e[0] for e in ERRORS])
def test_errors_point_at_the_kernel_line(name, signature, line, col, fragment) -> None:
    compile_error_at(k, name, signature, "vector", line, col, fragment, use_cache=False)


def test_a_specialisation_that_does_not_compile_falls_back_to_the_runtime_value() -> None:
    """column_sums with n = 1: specialised, its loop of one iteration is folded into a
    straight line the vector code generator refuses; the launch compiles n as a runtime
    value instead, and the sums are right."""
    from tests.sw.compiler import vector_kernels
    x = rng.integers(-100, 100, 16).astype(np.int32)
    with pytest.raises(CompileError, match="unmasked store"):
        compile_kernel(vector_kernels.column_sums, "x_ptr:*i32,out_ptr:*i32,n=1,BLOCK=16",
                       load_config("vector"), use_cache=False)
    out = np.zeros(16, np.int32)
    launch(vector_kernels.column_sums, (1,), x, out, 1, BLOCK=16, config="vector")
    np.testing.assert_array_equal(out, np.where(np.arange(16) < 1, x, 0))
