"""Every kernel the compiler rejects: a CompileError at the user's exact file:line:col
(1-based, the offending expression), through the API and through `oxcore compile` as one
line on stderr without a traceback."""

from __future__ import annotations

import pytest

from oxcore.cli import main as oxcore_main
from oxcore.errors import CompileError
from sw.compiler.driver import compile_to_ir
from tests.sw.compiler import bad_kernels

PATH = bad_kernels.__file__

# (kernel, signature, line, col, fragment of the message)
ERRORS = [
    ("shape_mismatch", "x_ptr:*i32,BLOCK=64", 11, 25,
     "shape mismatch: cannot broadcast [64] and [128]"),
    ("dot_inner_dimension", "a_ptr:*i8,BLOCK=16", 19, 11,
     "'dot' inner dimensions differ: a is [16, 32], b is [16, 16] (32 != 16)"),
    ("dot_not_int8", "a_ptr:*i16,BLOCK=16", 26, 11,
     "'dot' operands must be int8 (the tensor engine multiplies int8 tiles), "
     "operand a is i16"),
    ("unsupported_dtype", "x_ptr:*i8,BLOCK=16", 31, 34,
     "unsupported dtype 'tl.float32' (supported: tl.int8, tl.int16, tl.int32, tl.uint8)"),
    ("runtime_arange", "x_ptr:*i8,n:i32", 36, 15,
     "arange end must be a compile-time integer (a constexpr), got a runtime i32"),
    ("arange_not_power_of_two", "x_ptr:*i8", 41, 15,
     "arange length end - start must be a power of two, got 48 - 0 = 48"),
    ("loop_changes_type", "x_ptr:*i8,n:i32,BLOCK=16", 47, 5,
     "'acc' changes type in the loop, from !oxcore_block.block<16xi8> to "
     "!oxcore_block.block<16xi32>"),
    ("unknown_function", "x_ptr:*i8,BLOCK=16", 53, 9, "'tl.exp' cannot be called in a kernel"),
    ("constant_does_not_fit", "x_ptr:*i8,BLOCK=16", 59, 43,
     "constant 300 does not fit in i8 [-128, 127]"),
    ("missing_signature_entry", "x_ptr:*i8", 63, 36,
     "parameter 'n' needs a type in the signature"),
    ("if_on_a_block", "x_ptr:*i8,BLOCK=16", 70, 8,
     "an `if` condition must be a scalar, not a block"),
    ("break_loop", "x_ptr:*i8,n:i32", 77, 9, "unsupported statement 'Break' in a kernel"),
    ("true_division", "x_ptr:*i8,BLOCK=16", 82, 12,
     "'/' is true division; kernels use integer '//'"),
    ("mask_not_a_comparison", "x_ptr:*i8,n:i32", 87, 9,
     "a mask must be a comparison result (i1), got i32"),
    ("other_without_mask", "x_ptr:*i8,BLOCK=16", 92, 9, "tl.load: `other` needs a `mask`"),
    ("block_shape_not_power_of_two", "x_ptr:*i8,BLOCK=16", 97, 9,
     "block dimensions must be powers of two, got [16, 3]"),
    ("method_other_than_to", "x_ptr:*i8,BLOCK=16", 102, 12,
     "unsupported attribute '.itemsize' of a runtime !oxcore_block.block<16xi32> (kernel "
     "values have .T, .dtype, .shape, .to(dtype) and .sum(), .max(), .min(), .reshape(), "
     ".view(), .trans(), .permute(), .broadcast_to(), .expand_dims(), .cast())"),
    ("static_range_runtime_bound", "x_ptr:*i32,n:i32", 107, 30,
     "a tl.static_range bound must be a compile-time integer (a constexpr), got a "
     "runtime i32"),
    ("static_range_as_a_value", "x_ptr:*i32", 113, 9,
     "tl.static_range is only a for loop's iterable"),
]


@pytest.mark.parametrize("name, signature, line, col, message", ERRORS,
                         ids=[e[0] for e in ERRORS])
def test_error_location_and_message(name, signature, line, col, message) -> None:
    with pytest.raises(CompileError) as info:
        compile_to_ir(getattr(bad_kernels, name), signature)
    error = info.value
    assert (error.path, error.line, error.col) == (PATH, line, col)
    assert message in error.message
    assert str(error).startswith(f"{PATH}:{line}:{col}: error: ")


def test_cli_prints_one_line_without_traceback(capsys) -> None:
    code = oxcore_main(["compile", PATH, "--kernel", "dot_not_int8",
                        "--signature", "a_ptr:*i16,BLOCK=16"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err == (f"{PATH}:26:11: error: 'dot' operands must be int8 (the tensor "
                            f"engine multiplies int8 tiles), operand a is i16\n")


@pytest.mark.parametrize("signature, message", [
    ("x_ptr:*f32,BLOCK=16", "x_ptr has unsupported type '*f32' (supported: *i8, *i16, *i32, *u8)"),
    ("x_ptr:*i8,BLOCK=sixteen", "constexpr BLOCK=sixteen is not an integer, true/false, None or a quoted string"),
    ("x_ptr *i8", "cannot read 'x_ptr *i8'"),
    ("x_ptr:*i8,BLOCK=16,BLOCK=32", "BLOCK is given twice"),
])
def test_bad_signatures(capsys, signature: str, message: str) -> None:
    code = oxcore_main(["compile", PATH, "--kernel", "unsupported_dtype",
                        "--signature", signature])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"oxcore: error: --signature: {message}") and err.count("\n") == 1


def test_signature_naming_a_missing_parameter() -> None:
    with pytest.raises(CompileError, match="the signature names m, which 'runtime_arange' "
                                           "does not have"):
        compile_to_ir(bad_kernels.runtime_arange, "x_ptr:*i8,n:i32,m:i32")


def test_pass_errors_point_at_the_op_location() -> None:
    """IR that breaks a type rule (here: parsed text) fails verify-types at the
    location the op carries."""
    from xdsl.parser import Parser

    from sw.compiler.passes import compiler_context, run_pipeline
    text = '''
    builtin.module {
      func.func @k(%a: !oxcore_block.block<8x16xi8>, %b: !oxcore_block.block<8x16xi8>,
                   %c: !oxcore_block.block<8x16xi32>) {
        %d = oxcore_block.dot %a, %b, %c : !oxcore_block.block<8x16xi8>,
                                           !oxcore_block.block<8x16xi8>
                                           -> !oxcore_block.block<8x16xi32>
                                           loc("gemm.py":12:15)
        func.return
      }
    }'''
    module = Parser(compiler_context(), text).parse_module()
    with pytest.raises(CompileError) as info:
        run_pipeline(module)
    assert str(info.value) == ("gemm.py:12:15: error: 'dot' inner dimensions differ: a is "
                               "[8, 16], b is [8, 16] (16 != 8) (in 'oxcore_block.dot')")
