"""tl.trans and .T (`sink-transposes`): a transposed block read through transposed
addresses, against numpy; a transposed tl.dot operand compiles to the very program
of the layout it stands for; what cannot be transposed is a CompileError at the
kernel's line."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.ir import BlockArgument

from oxcore.config import load_config
from sw.compiler import dialect as ob
from sw.compiler.driver import compile_kernel, compile_to_ir
from sw.compiler.launch import launch
from sw.ops.gemm import gemm
from tests.sw.compiler import trans_kernels as k
from tests.sw.compiler.conftest import compile_error_at
from tests.sw.compiler.test_passes import reparse

rng = np.random.default_rng(71)
GEMM = "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,BLOCK_M=16,BLOCK_N=16,BLOCK_K=32"


def product(a: np.ndarray, bt: np.ndarray) -> np.ndarray:
    return (a.astype(np.int64) @ bt.astype(np.int64).T).astype(np.int32)


@pytest.mark.parametrize("dot_t", [0, 1])
@pytest.mark.parametrize("m,n,kk", [(20, 24, 40), (16, 9, 32)])
def test_a_transposed_dot_operand_matches_numpy(dot_t: int, m: int, n: int, kk: int) -> None:
    a = rng.integers(-128, 128, (m, kk), dtype=np.int8)
    bt = rng.integers(-128, 128, (n, kk), dtype=np.int8)
    c = np.zeros((m, n), np.int32)
    launch(k.gemm_trans_b, (-(-m // 16), -(-n // 16)), a, bt, c, m, n, kk, BLOCK_M=16,
           BLOCK_N=16, BLOCK_K=32, DOT_T=dot_t, config="tensor")
    np.testing.assert_array_equal(c, product(a, bt))


@pytest.mark.parametrize("dot_t", [0, 1])
def test_a_transposed_operand_costs_nothing(dot_t: int) -> None:
    """tl.dot(a, tl.trans(bt)) with BT loaded as stored is gemm's B operand with K
    consecutive (tld.b): the same instructions as the library's gemm, which addresses
    B^T directly."""
    config = load_config("tensor")

    def body(asm: str) -> list[str]:
        return [line for line in asm.splitlines()
                if "gemm" not in line and not line.lstrip().startswith(("#", "/*", ".loc"))]
    library = compile_kernel(gemm, GEMM, config, use_cache=False).asm
    ported = compile_kernel(k.gemm_trans_b, f"{GEMM},DOT_T={dot_t}", config,
                            use_cache=False).asm
    assert "tld.b " in library and body(ported) == body(library)


def test_transposes_are_rewritten_away_but_on_carried_pointers() -> None:
    """After `sink-transposes` the only transposes left are of loop-carried values (the
    pointers the K loop advances), which the selector follows as addresses; the IR
    before and after prints and parses back."""
    seen = {}

    def after(stage, module) -> None:
        if stage is None or stage.name == "sink-transposes":
            reparse(module)
            seen["ops"] = [op for op in module.walk() if isinstance(op, ob.TransOp)]
    compile_to_ir(k.gemm_trans_b, f"{GEMM},DOT_T=0", after_pass=after)
    assert seen["ops"] and all(isinstance(op.operand, BlockArgument)
                               and isinstance(op.operand.type.element_type, ob.PointerType)
                               for op in seen["ops"])


def test_the_transpose_of_a_product_is_stored_as_the_swapped_product() -> None:
    """(A BT^T)^T stored row-major as [N, M]: tl.dot(BT, A^T), both loaded as stored."""
    m, n, kk = 20, 12, 30
    a = rng.integers(-128, 128, (m, kk), dtype=np.int8)
    bt = rng.integers(-128, 128, (n, kk), dtype=np.int8)
    ct = np.zeros((n, m), np.int32)
    launch(k.gemm_stored_transposed, (2, 1), a, bt, ct, m, n, kk, BLOCK_M=16, BLOCK_N=16,
           BLOCK_K=32, config="tensor")
    np.testing.assert_array_equal(ct, product(a, bt).T)


@pytest.mark.parametrize("m,n", [(5, 7), (8, 8), (1, 3)])
def test_element_wise_work_on_a_transposed_block(m: int, n: int) -> None:
    """out = x^T + 1 + y on the vector engine: x^T's rows are x's columns (strided
    loads), masked at both edges."""
    x = rng.integers(-1000, 1000, (m, n), dtype=np.int32)
    y = rng.integers(-1000, 1000, (n, m), dtype=np.int32)
    out = np.full((n, m), 99, np.int32)
    launch(k.transpose_add, 1, x, y, out, m, n, BM=8, BN=8, config="vector")
    np.testing.assert_array_equal(out, x.T + 1 + y)


ERRORS = [
    ("trans_of_a_row_sum", "x_ptr:*i32,out_ptr:*i32,BM=8,BN=8", "vector", 67, 42,
     "tl.trans takes a 2-D block"),
    ("trans_with_an_order", "x_ptr:*i32,out_ptr:*i32,BM=8,BN=8", "vector", 92, 30,
     "tl.trans of a 2-D block takes no order or (1, 0), got (0, 1)"),
    ("gemm_accumulator_stored_transposed",
     "a_ptr:*i8,bt_ptr:*i8,ct_ptr:*i8,K:i32,BM=16,BN=16,BK=32,REQUANTIZE=1", "tensor", 84, 41,
     "tl.trans of this block is not supported"),
    ("gemm_accumulator_stored_transposed",  # (no transposed tile store)
     "a_ptr:*i8,bt_ptr:*i8,ct_ptr:*i32,K:i32,BM=16,BN=16,BK=32,REQUANTIZE=0", "tensor", 86, 9,
     "pointers must be consecutive along dimension 1"),
]


@pytest.mark.parametrize("name,signature,config,line,col,fragment", ERRORS)
def test_errors_point_at_the_source(name, signature, config, line, col, fragment) -> None:
    compile_error_at(k, name, signature, config, line, col, fragment, use_cache=False)
