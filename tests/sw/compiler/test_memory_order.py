"""Program order of loads and stores through one pointer argument: a load whose code
instruction selection emits late (a tile at its first use, a 1-D block in the region
that uses it) still reads memory as it was before a later store, or the store is a
compile error at its line; never a read of what the store wrote. Different pointer
arguments are taken not to overlap (C's `restrict`)."""

from __future__ import annotations

import numpy as np
import pytest

from oxcore.config import load_config
from oxcore.errors import CompileError
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import launch
from tests.sw.compiler import memory_order_kernels as mk


@pytest.mark.parametrize("sim", ["iss", pytest.param("rtl", marks=pytest.mark.long)])
def test_a_tile_load_before_a_store_reads_the_old_memory(sim) -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (16, 32), dtype=np.int8)
    bt = rng.integers(-128, 128, (16, 32), dtype=np.int8)
    want = (a.astype(np.int64) @ bt.astype(np.int64).T).astype(np.int32)
    overwritten, c = a.copy(), np.zeros((16, 16), np.int32)
    launch(mk.tile_load_then_store, 1, overwritten, bt, c, BLOCK=16, BLOCK_K=32,
           config="tensor", sim=sim)
    assert overwritten[0, 0] == a[0, 1] != a[0, 0]  # the store happened
    np.testing.assert_array_equal(c, want)


def test_a_1d_load_used_after_a_store_through_its_pointer_is_an_error() -> None:
    with pytest.raises(CompileError) as info:
        compile_kernel(mk.vector_load_then_store, "x_ptr:*i32,out_ptr:*i32,BLOCK=64",
                       load_config("vector"))
    assert f"{mk.__file__}:23:5: error: this store comes between the load of a 1-D block " \
        "through the same pointer argument and a use of the block" in str(info.value)


def test_a_store_through_another_pointer_argument_is_not() -> None:
    x = np.arange(64, dtype=np.int32)
    out, count = np.zeros(64, np.int32), np.zeros(1, np.int32)
    launch(mk.vector_load_then_other_store, 1, x, out, count, BLOCK=64, config="vector")
    assert np.array_equal(out, x + 1) and count[0] == 64


def test_a_store_between_an_accumulator_start_and_its_loop_is_an_error() -> None:
    with pytest.raises(CompileError) as info:
        compile_kernel(mk.accumulator_start_then_store,
                       "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,K:i32,BLOCK=16,BLOCK_K=32",
                       load_config("tensor"))
    assert f"{mk.__file__}:43:5: error: this store comes between the tile load that " \
        "starts a tl.dot accumulator and its loop" in str(info.value)
