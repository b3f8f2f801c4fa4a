"""Triton kernels compile with only their imports changed (tests/sw/compiler/triton_port.py)."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import i32

from sw.compiler.dialect import BlockType, i8
from sw.compiler.driver import compile_to_ir
from tests.sw.compiler import triton_port
from tests.sw.compiler.conftest import ops_named

BOTH_ENGINES = "tensor[vector.lanes=4]"
MATMUL_SIGNATURE = ("a_ptr:*i8,b_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,stride_am:i32,"
                    "stride_ak:i32,stride_bk:i32,stride_bn:i32,stride_cm:i32,stride_cn:i32,"
                    "BLOCK_SIZE_M=16,BLOCK_SIZE_N=16,BLOCK_SIZE_K=64,GROUP_SIZE_M=8,"
                    'ACTIVATION="leaky_relu"')


def test_tutorial_vector_add_compiles_verbatim() -> None:
    module = compile_to_ir(triton_port.add_kernel,
                           "x_ptr:*i32,y_ptr:*i32,output_ptr:*i32,n_elements:i32,"
                           "BLOCK_SIZE=1024")
    (store,) = ops_named(module, "oxcore_block.store")
    assert store.value.type == BlockType((1024,), i32)


def test_tutorial_matmul_compiles_with_int8_dtypes() -> None:
    module = compile_to_ir(triton_port.matmul_kernel, MATMUL_SIGNATURE)
    (dot,) = ops_named(module, "oxcore_block.dot")
    assert dot.a.type == BlockType((16, 64), i8) and dot.b.type == BlockType((64, 16), i8)
    assert dot.result.type == BlockType((16, 16), i32)
    assert ops_named(module, "arith.minsi")  # min(...) on runtime scalars
    k_loop, row_loop = ops_named(module, "scf.for")
    assert len(k_loop.iter_args) == 3  # accumulator, a_ptrs, b_ptrs
    # the leaky ReLU's where, on the stored tile read back a row at a time
    (select,) = ops_named(module, "oxcore_block.select")
    assert select.result.type == BlockType((16,), i32) and select.parent_op() is row_loop


@pytest.mark.parametrize("shape, activation, config, sim", [
    ((17, 33, 9), "", "tensor", "iss"), ((5, 40, 70), "", "tensor", "iss"),
    ((40, 24, 72), "", "tensor", "iss"), ((24, 20, 40), "", "tensor", "rtl"),
    ((17, 33, 9), "leaky_relu", BOTH_ENGINES, "iss"),
    ((24, 20, 40), "leaky_relu", BOTH_ENGINES, "rtl")])
def test_tutorial_matmul_runs_verbatim(shape, activation, config, sim) -> None:
    """Tutorial 03's kernel as written, `% M` and `% N` included (`unwrap-edge-rows`
    makes them masks: the rows they wrap are stored under `offs_cm < M` only), launched
    as Triton launches it: numpy's A @ B, on shapes whose edge programs wrap (M = 5
    wraps a 16-row block three times). The leaky ReLU runs on the vector engine, after
    the tile is stored (`epilogue-through-memory`), so on a configuration with both
    engines; its `x // 128` rounds toward zero, as Triton's does."""
    m, n, k = shape
    rng = np.random.default_rng(5)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    c = np.zeros((m, n), dtype=np.int32)

    def grid(meta):
        return (-(-m // meta["BLOCK_SIZE_M"]) * -(-n // meta["BLOCK_SIZE_N"]),)

    triton_port.matmul_kernel[grid](
        a, b, c, m, n, k, *a.strides, *b.strides, *(s // 4 for s in c.strides),
        BLOCK_SIZE_M=16, BLOCK_SIZE_N=16, BLOCK_SIZE_K=32, GROUP_SIZE_M=8,
        ACTIVATION=activation, config=config, sim=sim)
    expected = a.astype(np.int64) @ b.astype(np.int64)
    if activation:
        expected = np.where(expected >= 0, expected, -(-expected // 128))
    np.testing.assert_array_equal(c, expected)


@pytest.mark.parametrize("shape, sim", [((17, 33, 9), "iss"), ((40, 24, 72), "iss"),
                                        ((24, 16, 40), "rtl")])
def test_ported_matmul_runs_with_b_row_major(shape, sim) -> None:
    """The walkthrough's port, launched as Triton launches it (a grid function of the
    meta-parameters), with A [M, K] and B [K, N] both row-major and int32 C: numpy's
    A @ B (on the RTL in lockstep with the interpreter)."""
    m, n, k = shape
    rng = np.random.default_rng(3)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    c = np.zeros((m, n), dtype=np.int32)

    def grid(meta):
        return (-(-m // meta["BLOCK_SIZE_M"]) * -(-n // meta["BLOCK_SIZE_N"]),)

    triton_port.matmul_kernel_ported[grid](
        a, b, c, m, n, k, *a.strides, *b.strides, *(s // 4 for s in c.strides),
        BLOCK_SIZE_M=16, BLOCK_SIZE_N=16, BLOCK_SIZE_K=32, GROUP_SIZE_M=8, config="tensor",
        sim=sim)
    np.testing.assert_array_equal(c, a.astype(np.int64) @ b.astype(np.int64))


@pytest.mark.parametrize("shape, programs, sim", [
    ((40, 33, 70), 2, "iss"), ((5, 70, 9), 3, "iss"), ((24, 20, 40), 2, "rtl")])
def test_persistent_matmul_runs_verbatim(shape, programs, sim) -> None:
    """Tutorial 09's persistent matmul as written but for its dtypes: NUM_SMS programs
    loop over the output tiles (`tl.range(start_pid, num_tiles, NUM_SMS,
    flatten=True)`), edge offsets clamped with `tl.where`, the store's tile ids
    recomputed from `tile_id_c`: numpy's A @ B."""
    m, n, k = shape
    rng = np.random.default_rng(9)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    c = np.zeros((m, n), dtype=np.int32)
    triton_port.matmul_kernel_persistent[(programs,)](
        a, b, c, m, n, k, *a.strides, *b.strides, *(s // 4 for s in c.strides),
        BLOCK_SIZE_M=16, BLOCK_SIZE_N=16, BLOCK_SIZE_K=32, GROUP_SIZE_M=8,
        NUM_SMS=programs, config="tensor", sim=sim)
    np.testing.assert_array_equal(c, a.astype(np.int64) @ b.astype(np.int64))
