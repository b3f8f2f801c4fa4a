"""The oxcore_block dialect on its own: types print and parse, and each op's type rule
rejects IR that breaks it (the verifier every pass's output goes through)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from xdsl.context import Context
from xdsl.dialects.test import Test
from xdsl.dialects.builtin import IntegerType, ModuleOp, i1
from xdsl.parser import Parser
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import VerifyException

from oxcore.errors import CompileError
from sw.compiler import dialect as ob
from sw.compiler.dialect import BlockType, PointerType, i8, i16, ui8
from sw.compiler.passes import PassManager, compiler_context, print_module

BLOCK_I8 = "!oxcore_block.block<4x8xi8>"


def parse(body: str, context: Context | None = None) -> ModuleOp:
    """A module whose one kernel has `body`."""
    text = f"builtin.module {{\n func.func @k() {{\n{body}\n func.return\n }}\n}}"
    return Parser(context or compiler_context(), text).parse_module()


@pytest.mark.parametrize("type_", [BlockType((4, 8), i8), BlockType((64,), PointerType(ui8)),
                                   BlockType((2, 2), i1), PointerType(i16)])
def test_types_print_and_parse_back(type_) -> None:
    parser = Parser(compiler_context(), str(type_))
    assert parser.parse_type() == type_


@pytest.mark.parametrize("make, message", [
    (lambda: BlockType((4, 0), i8), "one or more positive dimensions"),
    (lambda: BlockType((), i8), "one or more positive dimensions"),
    (lambda: BlockType((4,), IntegerType(64)), "unsupported block element type i64"),
    (lambda: PointerType(i1), "a pointer must point to one of i8, i16, i32, ui8, not i1"),
])
def test_invalid_types_are_rejected(make, message: str) -> None:
    with pytest.raises(VerifyException, match=message):
        make()


# (IR body, error fragment): each breaks one rule; the parser accepts the syntax.
BROKEN = [
    (f'%a = "test.op"() : () -> {BLOCK_I8}\n'
     f'%r = oxcore_block.reduce %a {{kind = "sum", axis = 1 : i32}} : {BLOCK_I8} '
     f'-> !oxcore_block.block<8xi8>',
     "'oxcore_block.reduce' result must be !oxcore_block.block<4xi8>"),
    (f'%a = "test.op"() : () -> {BLOCK_I8}\n'
     f'%r = oxcore_block.reduce %a {{kind = "prod", axis = 0 : i32}} : {BLOCK_I8} '
     f'-> !oxcore_block.block<8xi8>', "unknown reduction 'prod'"),
    ('%r = oxcore_block.arange {start = 0 : i32, end = 12 : i32} : '
     '!oxcore_block.block<12xi32>', "power of two, got 12 - 0 = 12"),
    ('%r = oxcore_block.program_id {axis = 3 : i32} : i32', "grid axis must be 0, 1 or 2"),
    (f'%a = "test.op"() : () -> {BLOCK_I8}\n'
     f'%r = oxcore_block.cast %a : {BLOCK_I8} -> !oxcore_block.block<4x8xi1>',
     "cannot cast !oxcore_block.block<4x8xi8> to i1"),
    (f'%a = "test.op"() : () -> {BLOCK_I8}\n'
     f'%r = oxcore_block.broadcast %a : {BLOCK_I8} -> !oxcore_block.block<4x16xi8>',
     "cannot broadcast shape [4, 8] to [4, 16]"),
    (f'%p = "test.op"() : () -> !oxcore_block.block<4x8x!oxcore_block.ptr<i8>>\n'
     f'%m = "test.op"() : () -> !oxcore_block.block<4x1xi1>\n'
     f'%r = oxcore_block.load %p mask %m : !oxcore_block.block<4x8x!oxcore_block.ptr<i8>>, '
     f'!oxcore_block.block<4x1xi1> -> {BLOCK_I8}',
     "'load' mask must be i1 of the pointers' shape [4, 8]"),
    (f'%p = "test.op"() : () -> !oxcore_block.block<4x8x!oxcore_block.ptr<i16>>\n'
     f'%v = "test.op"() : () -> {BLOCK_I8}\n'
     f'oxcore_block.store %p, %v : !oxcore_block.block<4x8x!oxcore_block.ptr<i16>>, '
     f'{BLOCK_I8}', "'store' value must be !oxcore_block.block<4x8xi16>"),
    (f'%a = "test.op"() : () -> {BLOCK_I8}\n'
     f'%c = "test.op"() : () -> !oxcore_block.block<4x8xi1>\n'
     f'%r = oxcore_block.select %a, %a, %a : {BLOCK_I8}, {BLOCK_I8}',
     "'where' condition must be i1 of shape [4, 8]"),
    ('%c = oxcore_block.constant {value = 1 : i32} : !oxcore_block.block<4xi8>',
     "constant value type i32 differs from the block's i8"),
    (f'%a = "test.op"() : () -> {BLOCK_I8}\n%i = "test.op"() : () -> i32\n'
     f'%r = oxcore_block.row %a, %i : {BLOCK_I8} -> !oxcore_block.block<4xi8>',
     "'oxcore_block.row' result must be !oxcore_block.block<8xi8>"),
    ('%a = "test.op"() : () -> !oxcore_block.block<8x!oxcore_block.ptr<i8>>\n'
     '%i = "test.op"() : () -> i32\n'
     '%r = oxcore_block.row %a, %i : !oxcore_block.block<8x!oxcore_block.ptr<i8>> -> i8',
     "'oxcore_block.row' result must be !oxcore_block.ptr<i8>"),
]


@pytest.mark.parametrize("body, message", BROKEN, ids=[m[:40] for _, m in BROKEN])
def test_type_rules_reject_broken_ir(body: str, message: str) -> None:
    context = compiler_context()
    context.load_dialect(Test)  # "test.op": operands of any type
    module = parse(body, context)
    with pytest.raises(CompileError) as info:
        PassManager([], context=context).run(module)
    assert message in info.value.message


@dataclass(frozen=True)
class BreakDotResult(ModulePass):
    """A deliberately wrong pass: gives every dot an i8 result."""

    name = "break-dot"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for dot in [o for o in op.walk() if isinstance(o, ob.DotOp)]:
            dot.result._type = BlockType(dot.result.type.dims, i8)  # noqa: SLF001


def test_a_pass_that_breaks_types_is_caught_at_the_op_location() -> None:
    from sw.compiler.driver import compile_to_ir
    from tests.sw.compiler import kernels
    from tests.sw.compiler.conftest import SIGNATURES
    module = compile_to_ir(kernels.gemm, SIGNATURES["gemm"])
    with pytest.raises(CompileError) as info:
        PassManager([BreakDotResult()]).run(module)
    source = open(kernels.__file__).read().splitlines()
    assert "tl.dot(a, b, acc)" in source[info.value.line - 1]
    assert info.value.path == kernels.__file__


def test_printed_ir_has_no_generic_form() -> None:
    module = parse('%r = oxcore_block.arange {start = 0 : i32, end = 8 : i32} : '
                   '!oxcore_block.block<8xi32>')
    assert '"oxcore_block.' not in print_module(module)
