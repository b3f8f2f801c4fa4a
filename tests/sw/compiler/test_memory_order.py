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


def shift_error(block: int) -> CompileError | None:
    try:
        compile_kernel(mk.shift_in_place, f"x_ptr:*i32,n:i32,K:i32,BLOCK={block}",
                       load_config("vector"))
    except CompileError as error:
        return error
    return None


def test_a_strip_mined_store_a_later_chunk_could_load_is_an_error() -> None:
    """x[K:] = x[:n] with a block of 1,024 int32 (16 chunks of 64 at VLEN 256): the strip
    loop would load chunk j + 2 after chunk j is stored K elements on (the wrong result
    this error replaced: tests below)."""
    error = shift_error(1024)
    source = open(mk.__file__).read().splitlines()
    start = source.index("def shift_in_place(x_ptr, n, K, BLOCK: tl.constexpr):")
    line = next(i for i, text in enumerate(source[start:], start + 1) if "tl.store(" in text)
    assert error is not None and (error.line, error.col) == (line, 5)
    assert "writes through 'x_ptr' at other addresses than a load of the same " \
        "element-wise block: the block is loaded and stored 64 elements at a time" \
        in error.message


@pytest.mark.parametrize("k", [1, 64, 200])
def test_a_block_of_one_chunk_stores_after_all_its_loads(k) -> None:
    """The same kernel with a block of one chunk (64 int32): loaded whole, then stored,
    as the block's semantics say: numpy's shifted copy."""
    assert shift_error(64) is None
    x = np.arange(400, dtype=np.int32)
    want = x.copy()
    want[k:k + 60] = x[:60]
    launch(mk.shift_in_place, 1, x, 60, k, BLOCK=64, config="vector")
    np.testing.assert_array_equal(x, want)


def test_addresses_a_block_apart_are_strip_mined() -> None:
    x = np.arange(2048 + 16, dtype=np.int32)
    want = x.copy()
    want[1024:1024 + 1000] = x[:1000] + 1
    launch(mk.shift_by_a_block, 1, x, 1000, BLOCK=1024, config="vector")
    np.testing.assert_array_equal(x, want)


def test_a_store_behind_its_loads_is_strip_mined() -> None:
    """x[i] = x[i + 1] over 1,000 int32 (16 chunks): chunk j stores addresses its own
    and earlier chunks loaded, so chunk order keeps the block's meaning."""
    x = np.arange(1100, dtype=np.int32)
    want = x.copy()
    want[:1000] = x[1:1001]
    launch(mk.shift_down, 1, x, 1000, BLOCK=1024, config="vector")
    np.testing.assert_array_equal(x, want)


def test_a_block_reused_after_a_store_a_block_away_is_reloaded_safely() -> None:
    """The region after the store loads x again, from addresses the store did not
    write (a known constant apart by the block's span): compiled, and right. The same
    at the same addresses is an error (test_if_blocks.py: reload_after_store)."""
    p = np.arange(32, dtype=np.int32)
    q = np.full(16, 100, np.int32)
    out = np.zeros(16, np.int32)
    launch(mk.store_apart_then_reuse, 1, p, q, out, BLOCK=16, config="vector")
    np.testing.assert_array_equal(out, np.arange(16) + 100)
    np.testing.assert_array_equal(p[16:], np.arange(16) + 1)


def test_a_loop_carried_pointer_that_reaches_the_block_is_an_error() -> None:
    """`dst` starts at b and becomes a: the loop stores through a (it was a wrong result:
    only the pointer's start was followed)."""
    with pytest.raises(CompileError) as info:
        compile_kernel(mk.ping_pong_then_reuse, "a_ptr:*i32,b_ptr:*i32,out_ptr:*i32,n:i32,"
                       "BLOCK=8", load_config("vector"))
    assert "this loop stores through the pointer argument" in str(info.value)


@pytest.mark.parametrize("c", [1, 0])
def test_stores_on_the_two_sides_of_an_if_do_not_meet(c: int) -> None:
    p = np.arange(8, dtype=np.int32) - 3
    want = p * (2 if c > 0 else 3)
    launch(mk.update_in_place_either_way, 1, p, c, BLOCK=8, config="vector")
    np.testing.assert_array_equal(p, want)
