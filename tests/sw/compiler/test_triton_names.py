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
from sw.compiler.driver import compile_kernel
from sw.compiler.frontend import build_kernel_ir
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
    """Triton's `tl.sum(x)` of a 2-D block: its columns' sums (a block split-rows
    carries through its row loop), then theirs (a scalar)."""
    module = build_kernel_ir(k.whole_sum, parse_signature("x_ptr:*i32,s_ptr:*i32,BM=4,BN=16"))
    reductions = [(op.axis.value.data, op.result.type)
                  for op in ops_named(module, "oxcore_block.reduce")]
    assert reductions == [(0, BlockType((16,), i32)), (0, i32)]
    x = rng.integers(-1000, 1000, (4, 16)).astype(np.int32)
    total = np.zeros(1, np.int32)
    launch(k.whole_sum, (1,), x, total, BM=4, BN=16, config="vector")
    assert total[0] == x.sum()


def test_unit_dimensions_come_and_go() -> None:
    x = rng.integers(-60, 60, 32).astype(np.int32)
    out = np.zeros(32, np.int32)
    launch(k.squeeze, (1,), x, out, BLOCK=32, config="vector")
    np.testing.assert_array_equal(out, x * 2)


@pytest.mark.parametrize("n", [1, 2, 5, 64, 65])
def test_a_specialised_argument_a_loop_reassigns(n: int) -> None:
    """n halved in a while loop: specialised when it is 1, it is a runtime constant."""
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
    ("reshape_regroups", "x_ptr:*i32,BLOCK=16", 90, 12,
     "tl.reshape from [2, 16] to [32] regroups elements"),
    ("argmax", "x_ptr:*i32,BLOCK=16", 96, 19,
     "tl.max's return_indices must be a constexpr bool, got"),
    ("range_as_a_value", "x_ptr:*i32", 101, 9, "tl.range is only a for loop's iterable"),
    ("assume_false", "x_ptr:*i32,BLOCK=16", 106, 5, "tl.assume of a condition that is false"),
    ("identity_of_values", "x_ptr:*i32,n:i32", 111, 12,
     "'is' and 'is not' only test for None in a kernel"),
    ("string_in_a_loop", 'x_ptr:*i32,n:i32,MODE="a"', 117, 5,
     "'mode' is a compile-time constant and cannot be reassigned in a loop"),
    ("wrapped_offsets", "a_ptr:*i32,c_ptr:*i32,M:i32,BLOCK=16", 123, 12,
     "`%` of an index block (Triton's `offs % M`"),
    ("bad_keep_dims", "x_ptr:*i32,flag:i32,BLOCK=16", 130, 9,
     "tl.sum's keep_dims must be a constexpr bool, got a runtime i32"),
    ("squeeze_a_computed_row", "x_ptr:*i32,BLOCK=16", 136, 11,
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


def test_none_in_one_branch_and_a_pointer_in_the_other_is_an_error() -> None:
    compile_error_at(k, "optional_source", "x_ptr:*i8,out_ptr:*i8,b_ptr=None,n:i32,BLOCK=16",
                     "vector", 149, 5, "'src' is None in one branch of a runtime `if` and a "
                     "runtime value in the other")


@pytest.mark.parametrize("value", [1, 2])
def test_a_specialised_argument_computes_what_any_other_value_does(value: int) -> None:
    """scale = 1 is specialised as an int32 constant, not an untyped literal: x * scale
    is int32 (numpy: the int8 sum would wrap otherwise), and n = 1 divides as C does."""
    x = np.full(16, 100, np.int8)
    out = np.zeros(2, np.int32)
    launch(k.scaled_sum, (1,), x, out, value, value, BLOCK=16, config="vector")
    assert out.tolist() == [1600 * value, int((value - 4) / 2)]
    assert "scale=1,n=1" in signature_text(k.scaled_sum, (x, out, 1, 1), dict(BLOCK=16))


@pytest.mark.parametrize("a,b", [(5, 5), (5, 0), (0, 5), (0, 0), (2, 4)])
def test_boolean_scalars_convert_to_0_and_1(a: int, b: int) -> None:
    """`|`, `&`, `^` of comparisons on scalars, and a flag carried through a loop, are
    0 or 1 as int32 (they were -1: an i1 kept sign-extended)."""
    out = np.zeros(4, np.int32)
    launch(k.boolean_scalars, (1,), out, a, b)
    assert out.tolist() == [int(a > 3 or b > 3), int(a > 3 and b > 3),
                            int((a > 3) != (b > 3)), int(0 <= a < b)]


def test_the_wrapped_index_error_is_only_for_the_wrap() -> None:
    """Data from a load, plus `offs % 4`, used as offsets: the load makes it data, so
    the error is the code generator's own, not the `%`'s."""
    text = compile_error_at(k, "wrapped_data", "x_ptr:*i32,out_ptr:*i32,BLOCK=16", "vector",
                            174, 24, "data block")
    assert "`%`" not in text


def test_shapes_are_checked() -> None:
    compile_error_at(k, "zero_broadcast", "x_ptr:*i32,BLOCK=16", "vector", 167, 9,
                     "block dimensions must be powers of two, got [0, 16]")


def test_the_entry_kernel_is_the_one_no_other_calls(tmp_path) -> None:
    """`oxcore compile FILE` without --kernel: a kernel named `dot` beside one calling
    `tl.dot` is not a helper of it (two entries), a helper called by name is."""
    from sw.compiler.driver import load_kernels, select_kernel
    source = tmp_path / "two.py"
    source.write_text(
        "from sw.compiler import language as tl\n\n"
        "@tl.jit\ndef dot(x_ptr):\n    pass\n\n"
        "@tl.jit\ndef helper(x):\n    return x\n\n"
        "@tl.jit\ndef matmul(a_ptr, BLOCK: tl.constexpr):\n"
        "    a = tl.load(a_ptr + tl.arange(0, BLOCK))\n"
        "    b = helper(a)\n    c = tl.dot(b, b)\n")
    kernels = load_kernels(source)
    with pytest.raises(Exception, match="several kernels \\(dot, matmul\\)"):
        select_kernel(kernels, source, None)
    del kernels["dot"]
    assert select_kernel(kernels, source, None).name == "matmul"


def test_autotune_keys_may_be_none() -> None:
    from sw.compiler.autotune import autotune
    tuned = autotune([tl.Config({"BLOCK": 8})], key=["b_ptr", "n"])(k.activation)
    x = np.zeros(4, np.int8)
    assert tuned._key_values((x, None, x, 4, 1)) == {"b_ptr": None, "n": 4}


def test_triton_access_hints_are_accepted() -> None:
    x = rng.integers(-100, 100, 16).astype(np.int16)
    out = np.zeros(16, np.int16)
    launch(k.hinted_copy, (1,), x, out, BLOCK=16, config="vector")
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("name, line, col, fragment", [
    ("block_pointer_check", 198, 9, "boundary_check and padding_option are for block pointers"),
    ("int16_dot", 205, 9, "tl.dot's out_dtype must be tl.int32"),
])
def test_what_the_hints_cannot_say(name: str, line: int, col: int, fragment: str) -> None:
    signature = "x_ptr:*i8,BLOCK=16" if name == "block_pointer_check" else "a_ptr:*i8,BLOCK=32"
    compile_error_at(k, name, signature, "tensor", line, col, fragment)


@pytest.mark.parametrize("n", [1, 4])
def test_boolean_constants_are_one(n: int) -> None:
    """xDSL keeps an i1 `true` as -1; the code generator's constant is 1 (a comparison's
    value), so `^ True` negates and `== True` holds (a while loop on `^ True` ended)."""
    out = np.zeros(5, np.int32)
    launch(k.boolean_constants, (1,), out, n, config="vector")
    small = n <= 2
    assert out.tolist() == [n, 10 if small else 0, int(small), int(not small),
                            5 if small else 6]


@pytest.mark.parametrize("a", [-3, 3])
def test_a_branch_that_returns_merges_nothing(a: int) -> None:
    """`v = None; if a > 0: return; else: v = a`: what follows is in the else branch."""
    out = np.full(1, 7, np.int32)
    launch(k.none_then_return, (1,), out, a)
    assert out[0] == (a if a <= 0 else 7)


@pytest.mark.parametrize("m,n,kk,sim", [(40, 24, 72, "iss"), (17, 9, 33, "iss"),
                                        (24, 16, 40, "rtl")])
def test_a_block_pointer_matmul_matches_numpy(m: int, n: int, kk: int, sim: str) -> None:
    """tl.make_block_ptr / tl.advance through the K loop (the offsets carried), with
    boundary_check on every edge, A and B row-major, the strides runtime arguments."""
    a = rng.integers(-128, 128, (m, kk), dtype=np.int8)
    b = rng.integers(-128, 128, (kk, n), dtype=np.int8)
    c = np.zeros((m, n), np.int32)
    launch(k.matmul_block_ptr, (-(-m // 16), -(-n // 16)), a, b, c, m, n, kk, kk, 1, n, 1,
           n, 1, BLOCK_M=16, BLOCK_N=16, BLOCK_K=32, config="tensor", sim=sim)
    np.testing.assert_array_equal(c, a.astype(np.int64) @ b.astype(np.int64))


def test_a_block_pointer_vector_add() -> None:
    x = rng.integers(-100, 100, 50).astype(np.int32)
    out = np.zeros(64, np.int32)
    launch(k.add_block_ptr, (1,), x, out, 50, BLOCK=16, config="vector")
    np.testing.assert_array_equal(out, np.concatenate([x + 1, np.zeros(14, np.int32)]))


@pytest.mark.parametrize("case, line, col, fragment", [
    (0, 274, 13, "tl.advance takes a block pointer (tl.make_block_ptr)"),
    (1, 276, 13, "through a block pointer takes boundary_check (and padding_option), not "
                 "mask or other"),
    (2, 278, 13, "padding_option 'nan': kernels compute on integers"),
    (3, 280, 13, "tl.make_block_ptr takes 1 or 2 dimensions, the same number"),
    (4, 282, 9, "'p' is another block pointer after the loop's body"),
    (5, 285, 13, "boundary_check (1,) names a dimension a 1-D block pointer does not have"),
])
def test_block_pointer_errors(case: int, line: int, col: int, fragment: str) -> None:
    compile_error_at(k, "block_ptr_errors", f"x_ptr:*i32,y_ptr:*i32,n:i32,CASE={case}",
                     "vector", line, col, fragment)


def test_a_helper_loops_over_its_own_block_pointer() -> None:
    """The caller's `p` and the helper's `p` (its parameter, advanced in its loop) are
    different block pointers: each loop carries its own."""
    y = rng.integers(-50, 50, 40).astype(np.int32)
    out = np.zeros(32, np.int32)
    launch(k.block_ptr_in_helper, (1,), y, out, 40, BLOCK=16, config="vector")
    padded = np.concatenate([y, np.zeros(8, np.int32)]).reshape(3, 16).sum(axis=0)
    np.testing.assert_array_equal(out, np.concatenate([padded, padded + 1]))


def test_a_block_pointer_made_in_a_branch_or_tested_is_an_error() -> None:
    compile_error_at(k, "block_ptr_made_in_if", "x_ptr:*i32,y_ptr:*i32,n:i32,flag:i32,"
                     "BLOCK=16", "vector", 360, 5, "'p' is a different block pointer after "
                     "each branch of a runtime `if`")
    for move in ("true", "false"):  # (moved in a branch: merged, then tested)
        text = compile_error_at(k, "block_ptr_in_if", f"x_ptr:*i32,n:i32,MOVE={move},"
                                "BLOCK=16", "vector", 313, 8, "an `if` on a block pointer")
        assert "BlockPointer(" not in text


@pytest.mark.parametrize("skip", [0, 3])
def test_a_block_pointer_moved_in_a_branch(skip: int) -> None:
    x = rng.integers(-50, 50, 40).astype(np.int32)
    out = np.zeros(16, np.int32)
    launch(k.block_ptr_moved_in_if, (1,), x, out, 40, skip, BLOCK=16, config="vector")
    np.testing.assert_array_equal(out, x[16:32] if skip else x[:16])


def test_a_block_pointer_moved_unevenly_in_a_loop() -> None:
    x = rng.integers(-50, 50, 64).astype(np.int32)
    out = np.zeros(48, np.int32)
    launch(k.block_ptr_stepping_unevenly, (1,), x, out, 64, BLOCK=16, config="vector")
    expected = np.concatenate([x[:16], x[32:48], x[48:64]])
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("n", [50, 64, 7])
def test_twin_counters_make_one_mask(n: int) -> None:
    """Two block pointers and two offsets stepped alike through one vector loop: their
    masks are one (they were "the loads and stores of one element-wise region must
    share one mask")."""
    x = rng.integers(-100, 100, n).astype(np.int32)
    out = np.zeros(n, np.int32)
    launch(k.add_side_by_side, (1,), x, out, n, BLOCK=16, config="vector")
    np.testing.assert_array_equal(out, 2 * x + 1)
