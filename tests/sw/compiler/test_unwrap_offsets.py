"""`unwrap-edge-rows`: Triton's `offs % n` in load addresses (tests/sw/compiler/
wrap_kernels.py). Where the wrapped rows are dead, results equal numpy's on the
interpreter (and the RTL); where they are not, a CompileError at the `%` names where
they went."""

from __future__ import annotations

import re

import numpy as np
import pytest

from oxcore.config import load_config
from sw.compiler.driver import compile_kernel, compile_to_ir
from sw.compiler.launch import launch
from tests.sw.compiler import triton_port
from tests.sw.compiler import wrap_kernels as k
from tests.sw.compiler.conftest import compile_error_at, ops_named
from tests.sw.compiler.test_triton_port import MATMUL_SIGNATURE

SENTINEL = -7


@pytest.mark.parametrize("n, block", [(37, 16), (5, 16), (48, 16)])
def test_a_wrapped_load_stored_under_the_bound_reads_what_it_did(n, block) -> None:
    """y[i] = x[i % n] + 1 for i < n: every program's live elements, whether its block
    wraps once, several times (n < BLOCK) or never; the elements past n stay as they
    were (the store's mask)."""
    rng = np.random.default_rng(1)
    x = rng.integers(-100, 100, 64, dtype=np.int32)
    y = np.full(64, SENTINEL, dtype=np.int32)
    programs = -(-n // block)
    launch(k.copy_wrapped, programs, x, y, n, BLOCK=block, config="vector")
    expected = np.full(64, SENTINEL, dtype=np.int32)
    expected[:n] = x[:n] + 1
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("sim", ["iss", "rtl"])
def test_wrapped_rows_of_a_matrix_reduced_along_the_columns(sim) -> None:
    """Rows wrap, the sum runs along each row: the rows past M are stored under
    `rows < M` only (M = 10 with blocks of 8 rows: the second program wraps 6)."""
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, (10, 16), dtype=np.int8)
    y = np.full(16, SENTINEL, dtype=np.int32)
    launch(k.rows_of_matrix, 2, x, y, 10, N=16, BLOCK_M=8, config="vector", sim=sim)
    expected = np.full(16, SENTINEL, dtype=np.int32)
    expected[:10] = x.astype(np.int32).sum(axis=1)
    np.testing.assert_array_equal(y, expected)


def test_a_remainder_that_is_data_is_computed() -> None:
    """`offs % n` stored as a value, not an address: the pass leaves it alone."""
    y = np.zeros(32, dtype=np.int32)
    launch(k.wrap_as_data, 1, y, 7, BLOCK=32, config="vector")
    np.testing.assert_array_equal(y, np.arange(32) % 7)


@pytest.mark.parametrize("name, line, col, where", [
    ("sum_wrapped", 18, 25, "a reduction across them (line 19)"),
    ("store_unmasked", 25, 25, "a store whose mask does not bound them "
                               "(`... & (offs < n)`) (line 26)"),
    ("rows_summed_down", 42, 26, "a reduction across them (line 43)"),
    ("wrong_bound", 66, 25, "a store whose mask does not bound them"),
])
def test_wrapped_rows_that_reach_a_result_are_refused_at_the_remainder(
        name, line, col, where) -> None:
    signature = {"sum_wrapped": "x_ptr:*i32,y_ptr:*i32,n:i32,BLOCK=16",
                 "store_unmasked": "x_ptr:*i32,y_ptr:*i32,n:i32,BLOCK=16",
                 "rows_summed_down": "x_ptr:*i8,y_ptr:*i32,M:i32,N=16,BLOCK_M=8",
                 "wrong_bound": "x_ptr:*i32,y_ptr:*i32,n:i32,m:i32,BLOCK=16"}[name]
    text = compile_error_at(k, name, signature, "vector", line, col,
                            "`%` of an index block (Triton's `offs % M`")
    assert where in text and "mask the loads instead (`mask=" in text


def test_a_wrapped_k_dimension_is_refused() -> None:
    """K's junk columns of A meet B's junk rows in every element of the product."""
    text = compile_error_at(k, "dot_wrapped_k", "a_ptr:*i8,b_ptr:*i8,c_ptr:*i32,K:i32,BLOCK=8",
                            "tensor", 56, 10, "`%` of an index block")
    assert "tl.dot's K dimension (line 59)" in text


def test_the_tutorial_matmul_loads_through_masks_instead_of_wraps() -> None:
    """After the pipeline, no remainder is left and the K loop's loads are masked by
    `offs < M` (A's rows) and `offs < N` (B's columns) as well as by K's remaining
    columns (the one bound without a name)."""
    module = compile_to_ir(triton_port.matmul_kernel, MATMUL_SIGNATURE)
    assert not ops_named(module, "oxcore_block.rem")
    loads = [load for load in ops_named(module, "oxcore_block.load")
             if load.parent_op().name == "scf.for" and len(load.result.type.dims) == 2]
    assert len(loads) == 2  # (the leaky ReLU's row loads are the third)
    for load in loads:
        bounds = {cmp.rhs.owner.operand.name_hint or "K - k * BLOCK_SIZE_K"
                  for cmp in ops_named(module, "oxcore_block.cmp")
                  if _feeds(cmp.result, load.mask)}
        assert bounds in ({"M", "K - k * BLOCK_SIZE_K"}, {"N", "K - k * BLOCK_SIZE_K"})


def _feeds(value, target) -> bool:
    """Whether `value` is among the operands `target` is computed from."""
    stack, seen = [target], set()
    while stack:
        current = stack.pop()
        if current is value:
            return True
        if current in seen or not hasattr(current.owner, "operands"):
            continue
        seen.add(current)
        stack.extend(current.owner.operands)
    return False


def test_the_tutorial_matmul_compiles_to_the_code_of_its_masked_port() -> None:
    """Tutorial 03's `% M` / `% N` version and the port with the masks written out
    (`matmul_kernel_ported`) give the same instructions (labels aside: they carry the
    kernel's name and source lines)."""
    signature = MATMUL_SIGNATURE.replace('ACTIVATION="leaky_relu"', "").rstrip(",")
    for stride in ("stride_ak", "stride_bn", "stride_cn"):
        signature = signature.replace(f"{stride}:i32", f"{stride}=1")
    config = load_config("tensor")

    def code(kernel, extra: str) -> str:
        asm = compile_kernel(kernel, signature + extra, config, use_cache=False).asm
        asm = asm.replace(kernel.name, "KERNEL")
        return re.sub(r"line\d+", "lineN", asm)

    assert code(triton_port.matmul_kernel, ',ACTIVATION=""') == \
        code(triton_port.matmul_kernel_ported, "")


def test_one_load_wrapped_along_both_dimensions() -> None:
    """`(rows % M)[:, None]` and `(cols % N)[None, :]` in one load: both bounds mask it
    (found by review: a traceback)."""
    x = np.arange(5 * 20, dtype=np.int32).reshape(5, 20)
    y = np.full((5, 20), SENTINEL, np.int32)
    launch(k.both_wrapped, (2, 2), x, y, 5, 20, BM=4, BN=16, config="vector")
    np.testing.assert_array_equal(y, x + 1)


def test_a_bound_written_the_other_way_round_is_the_same_bound() -> None:
    """`tl.arange(0, B) + pid * B` bounds what `pid * B + tl.arange(0, B)` wraps."""
    x = np.arange(1, 49, dtype=np.int32)
    y = np.full(48, SENTINEL, np.int32)
    launch(k.bound_written_the_other_way, 3, x, y, 37, BLOCK=16, config="vector")
    expected = np.full(48, SENTINEL, np.int32)
    expected[:37] = 2 * x[:37]
    np.testing.assert_array_equal(y, expected)


def test_rows_dead_in_one_iteration_live_in_the_next_are_refused() -> None:
    """The bound is an iteration's own: rows carried to the next iteration (an
    accumulator, found by review to give x instead of 2x) are not bounded by it."""
    text = compile_error_at(k, "wrapped_in_a_loop", "x_ptr:*i32,y_ptr:*i32,n:i32,BLOCK=16",
                            "vector", 84, 32, "`%` of an index block")
    assert "the next iteration of the loop that computes them" in text


def test_a_pointer_wrapped_for_the_next_iteration_is_left_to_its_error() -> None:
    """A pointer made with `%` in a loop and loaded in the next iteration: no rewrite
    (the mask there would be that iteration's; found by review: a traceback); the code
    generator's error at the pointer it makes."""
    compile_error_at(k, "pointer_wrapped_for_the_next_iteration",
                     "x_ptr:*i32,y_ptr:*i32,n:i32,BLOCK=8", "vector", 95, 13,
                     "not an index or pointer expression the code generator can follow")


@pytest.mark.parametrize("n, programs", [(37, 2), (64, 3), (5, 1)])
def test_clamped_offsets_and_a_counter_stepped_beside_the_loop(n, programs) -> None:
    """`tl.where(offs < n, offs, 0)` (the clamp of Triton's persistent matmul) is the
    same edge idiom as `% n`; the store's bound comes from `block_c`, which the pass
    proves equal to the loop's `block`."""
    x = np.arange(1, 65, dtype=np.int32)
    y = np.full(64, SENTINEL, np.int32)
    launch(k.clamped_copy, programs, x, y, n, BLOCK=16, NUM=programs, config="vector")
    expected = np.full(64, SENTINEL, np.int32)
    expected[:n] = x[:n] + 1
    np.testing.assert_array_equal(y, expected)


def test_a_counter_a_step_ahead_of_the_loop_bounds_nothing() -> None:
    """Started at the loop's first block instead of a step before it, `block_c` is the
    next block: its bound is not the clamp's (values equal only by accident are not
    trusted; the store's own offsets are the next block's, moved back)."""
    compile_error_at(k, "clamped_copy_one_behind", "x_ptr:*i32,y_ptr:*i32,n:i32,BLOCK=16,"
                     "NUM=2", "vector", 125, 29, "`tl.where(offs < M, offs, c)` of an index "
                     "block (Triton's clamp")
