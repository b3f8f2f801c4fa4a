"""Helpers for the compiler tests: compile a kernel, look ops up in the IR objects,
check where a rejected kernel's error points."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

import pytest

from oxcore.config import load_config
from oxcore.errors import CompileError
from sw.compiler.driver import compile_kernel, compile_to_ir
from sw.compiler.frontend import build_kernel_ir
from sw.compiler.signature import parse_signature
from tests.sw.compiler import kernels

SIGNATURES = {
    "vector_add": "x_ptr:*i8,y_ptr:*i8,out_ptr:*i8,n_elements:i32,BLOCK=64",
    "gemm": ("a_ptr:*i8,b_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,stride_am:i32,"
             "stride_bk:i32,stride_cm:i32,BLOCK_M=8,BLOCK_N=16,BLOCK_K=32"),
    "row_sum": "x_ptr:*i8,out_ptr:*i32,n_cols:i32,stride:i32,BLOCK=64",
    "relu": "x_ptr:*i16,out_ptr:*i16,n:i32,BLOCK=128",
}


def ops_named(module: ModuleOp, name: str) -> list[Operation]:
    return [op for op in module.walk() if op.name == name]


def compile_error_at(kernels_module: ModuleType, name: str, signature: str, config: str,
                     line: int, col: int, fragment: str, **options) -> str:
    """Compile kernel `name` of `kernels_module` for `signature` and `config` (and
    `compile_kernel`'s `options`): it must be refused with a CompileError at
    `line`:`col` of that module's file whose text holds `fragment`. Returns the text."""
    with pytest.raises(CompileError) as info:
        compile_kernel(getattr(kernels_module, name), signature, load_config(config),
                       **options)
    text = str(info.value)
    where = f"{Path(kernels_module.__file__).name}:{line}:{col}: error: "
    assert where in text and fragment in text, text
    return text


@pytest.fixture
def compiled():
    """compiled(name) -> the kernel's IR after the whole pipeline."""
    def compile_kernel(name: str) -> ModuleOp:
        return compile_to_ir(getattr(kernels, name), SIGNATURES[name])
    return compile_kernel


@pytest.fixture
def front_end():
    """front_end(name) -> the kernel's IR straight from the front end."""
    def build(name: str) -> ModuleOp:
        return build_kernel_ir(getattr(kernels, name), parse_signature(SIGNATURES[name]))
    return build
