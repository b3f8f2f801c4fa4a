"""Helpers for the compiler tests: compile a kernel, look ops up in the IR objects."""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

import pytest

from sw.compiler.driver import compile_to_ir
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
