"""`epilogue-through-memory`: element-wise work on a `tl.dot` accumulator runs on the
vector engine after the tile is stored (tests/sw/compiler/epilogue_kernels.py):
results against numpy on a configuration with both engines; without the vector
engine, or for a result of another type, a CompileError."""

from __future__ import annotations

import numpy as np
import pytest

from sw.compiler.epilogue import EpilogueThroughMemoryPass
from sw.compiler.frontend import build_kernel_ir
from sw.compiler.passes import run_pipeline
from sw.compiler.signature import parse_signature
from sw.compiler.launch import launch
from tests.sw.compiler import epilogue_kernels as k
from tests.sw.compiler.conftest import compile_error_at, ops_named

BOTH_ENGINES = "tensor[vector.lanes=4]"
SIGNATURE = ("a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,bias_ptr:*i32,M:i32,N:i32,K:i32,"
             "EPILOGUE='{}',BLOCK_M=16,BLOCK_N=16,BLOCK_K=32")


def _reference(acc: np.ndarray, bias: np.ndarray, epilogue: str) -> np.ndarray:
    if epilogue == "clamp":
        return np.clip(acc, -1000, 1000)
    if epilogue == "scaled":
        return (acc >> 4) * 3 - bias[None, :]
    return np.where(acc > bias[None, :], acc - bias[None, :], 0)


@pytest.mark.parametrize("epilogue, shape, sim", [
    ("clamp", (17, 33, 9), "iss"), ("scaled", (40, 24, 72), "iss"),
    ("where", (21, 19, 40), "iss"), ("scaled", (9, 20, 33), "rtl")])
def test_an_epilogue_on_the_accumulator_matches_numpy(epilogue, shape, sim) -> None:
    m, n, kk = shape
    rng = np.random.default_rng(7)
    a = rng.integers(-128, 128, (m, kk), dtype=np.int8)
    b = rng.integers(-128, 128, (kk, n), dtype=np.int8)
    bias = rng.integers(-5000, 5000, n, dtype=np.int32)
    c = np.full((m, n), 12345, dtype=np.int32)
    launch(k.gemm_then, (-(-m // 16), -(-n // 16)), a, np.ascontiguousarray(b.T), c, bias,
           m, n, kk, EPILOGUE=epilogue, BLOCK_M=16, BLOCK_N=16, BLOCK_K=32,
           config=BOTH_ENGINES, sim=sim)
    acc = a.astype(np.int64) @ b.astype(np.int64)
    np.testing.assert_array_equal(c, _reference(acc, bias, epilogue))


def test_the_tile_is_stored_then_read_back_through_the_stores_mask() -> None:
    """The IR after the pass: the accumulator's tile store, then a load through the
    same pointers and mask, then the epilogue's store."""
    module = run_pipeline(build_kernel_ir(k.gemm_then, parse_signature(
        SIGNATURE.format("clamp"))), [EpilogueThroughMemoryPass()])
    stores = ops_named(module, "oxcore_block.store")
    tile_store = stores[0]
    assert tile_store.value.owner.name == "scf.for"  # the K loop's accumulator, whole
    assert tile_store.value.type.dims == (16, 16)
    (read_back,) = [load for load in ops_named(module, "oxcore_block.load")
                    if load.ptr is tile_store.ptr]
    assert read_back.mask is tile_store.mask
    (minimum,) = ops_named(module, "oxcore_block.min")
    assert stores[1].value is minimum.result and _reads(minimum, read_back.result)


def _reads(op, value) -> bool:
    return any(v is value or _reads(v.owner, value) for v in op.operands
               if hasattr(v.owner, "operands"))


def test_without_a_vector_engine_the_epilogue_is_refused() -> None:
    compile_error_at(k, "gemm_then", SIGNATURE.format("clamp"), "tensor", 30, 5,
                     "runs on the vector engine, which configuration 'tensor' has not")


def test_an_epilogue_narrowed_to_int8_is_refused() -> None:
    """Its tile would need int32 memory of its own: the tensor engine's error stays."""
    compile_error_at(k, "gemm_narrowed", "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i8,BLOCK=8",
                     BOTH_ENGINES, 40, 62, "the tensor engine has no element-wise tile "
                     "arithmetic")
