"""2-D element-wise work on the vector engine, row by row (`split-rows`,
sw/compiler/row_split.py): the pass's IR, kernels on the interpreter against numpy at
shapes that end mid-block in both dimensions, a property test over random shapes, the
forms it leaves alone, its error, and RTL runs in lockstep with the interpreter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oxcore.config import load_config
from oxcore.errors import CompileError
from sw.compiler.driver import compile_kernel, compile_to_ir
from sw.compiler.launch import launch
from sw.compiler.passes import print_module
from sw.ops.elementwise import add_2d
from tests.sw.compiler import quant_kernels, row_kernels as rk

CONFIG = "vector"


def line_of(text: str, kernel: str) -> int:
    """The line of row_kernels.py that holds `text`, the first in `kernel`'s body."""
    lines = open(rk.__file__).read().splitlines()
    start = next(number for number, line in enumerate(lines) if f"def {kernel}(" in line)
    return next(number for number, line in enumerate(lines[start:], start + 1)
                if text in line)


def cdiv(a: int, b: int) -> int:
    return (a + b - 1) // b


def random(rng, shape, dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


def run_add2d(x, y, m, n, bm, bn, sim="iss"):
    """x + y over the top-left m x n of x's rows; the rest of `out` keeps its fill."""
    out = np.full_like(x, 77)
    launch(add_2d, (cdiv(m, bm), cdiv(n, bn)), x, y, out, m, n, x.shape[1], BM=bm, BN=bn,
           config=CONFIG, sim=sim)
    return out


def expected_add2d(x, y, m, n):
    out = np.full_like(x, 77)
    out[:m, :n] = x[:m, :n] + y[:m, :n]  # numpy wraps in the dtype
    return out


# ---- the pass ------------------------------------------------------------------------------

def ir_after_split(kernel, signature: str) -> str:
    return print_module(compile_to_ir(kernel, signature))


def test_the_row_loop_reads_rows_of_the_index_and_mask_blocks():
    text = ir_after_split(add_2d, "x_ptr:*i8,y_ptr:*i8,out_ptr:*i8,M:i32,N:i32,"
                                    "stride:i32,BM=4,BN=64")
    loop = text[text.index("scf.for"):]
    assert "block<4x64xi8>" not in text  # no 2-D data left
    assert loop.count("oxcore_block.load") == 2 and loop.count("oxcore_block.store") == 1
    assert "oxcore_block.row" in loop and "-> !oxcore_block.block<64xi1>" in loop
    assert "oxcore_block.add %" in loop and "block<64xi8>" in loop


def test_a_broadcast_row_enters_as_itself():
    text = ir_after_split(rk.bias_relu2d, "x_ptr:*i8,b_ptr:*i8,out_ptr:*i8,M:i32,N:i32,"
                                          "BM=4,BN=64")
    assert "expand_dims" not in text[text.index("scf.for"):]


@pytest.mark.parametrize("kernel,signature", [
    (quant_kernels.bias_block, "a_ptr:*i8,bt_ptr:*i8,bias_ptr:*i32,c_ptr:*i8,K:i32,"
                               "BLOCK=16,BLOCK_K=16"),
])
def test_tiles_are_left_to_the_tensor_engine(kernel, signature):
    """A 2-D load added to a tl.dot accumulator is tile arithmetic: not split."""
    assert "oxcore_block.row" not in ir_after_split(kernel, signature)


# ---- kernels on the interpreter ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int8, np.int32])
@pytest.mark.parametrize("m,n,bm,bn", [(7, 45, 4, 64), (8, 64, 8, 64), (3, 300, 2, 512),
                                       (9, 20, 4, 16), (1, 1, 2, 32)])
def test_add2d(m, n, bm, bn, dtype):
    rng = np.random.default_rng(m * 1000 + n)
    stride = n + 3  # rows not contiguous
    x, y = random(rng, (m + 1, stride), dtype), random(rng, (m + 1, stride), dtype)
    assert np.array_equal(run_add2d(x, y, m, n, bm, bn), expected_add2d(x, y, m, n))


@settings(max_examples=12, deadline=None)
@given(m=st.integers(1, 12), n=st.integers(1, 130), log_bm=st.integers(0, 3),
       log_bn=st.integers(3, 8), seed=st.integers(0, 2**16))
def test_add2d_property(m, n, log_bm, log_bn, seed):
    rng = np.random.default_rng(seed)
    x, y = random(rng, (m, n), np.int8), random(rng, (m, n), np.int8)
    bm, bn = 1 << log_bm, 1 << log_bn
    assert np.array_equal(run_add2d(x, y, m, n, bm, bn), expected_add2d(x, y, m, n))


@pytest.mark.parametrize("m,n", [(7, 45), (4, 64), (13, 3)])
def test_bias_relu2d(m, n):
    rng = np.random.default_rng(n)
    x, b = random(rng, (m, n), np.int8), random(rng, n, np.int8)
    out = np.zeros_like(x)
    launch(rk.bias_relu2d, cdiv(m, 4), x, b, out, m, n, BM=4, BN=64, config=CONFIG)
    assert np.array_equal(out, np.maximum((x + b[None, :]).astype(np.int8), 0))


def test_widen_where2d():
    rng = np.random.default_rng(3)
    m, n = 6, 40
    x = random(rng, (m, n), np.int8)
    out = np.zeros((m, n), np.int32)
    launch(rk.widen_where2d, cdiv(m, 4), x, out, m, n, BM=4, BN=64, config=CONFIG)
    wide = x.astype(np.int32)
    assert np.array_equal(out, np.where(wide > 0, 3 * wide, -wide) - np.arange(n)[None, :])


@pytest.mark.parametrize("m,n,bm,bn", [(7, 45, 8, 16), (16, 16, 8, 8), (5, 3, 4, 4)])
def test_transpose2d(m, n, bm, bn):
    """Each output row is a column of x: strided loads (vlse32)."""
    x = random(np.random.default_rng(m + n), (m, n), np.int32)
    out = np.zeros((n, m), np.int32)
    launch(rk.transpose2d, (cdiv(n, bn), cdiv(m, bm)), x, out, m, n, BM=bm, BN=bn,
           config=CONFIG)
    assert np.array_equal(out, x.T)


@pytest.mark.parametrize("m,lo", [(6, 2), (8, 0), (3, 5)])
def test_index_blocks_and_a_lower_row_bound(m, lo):
    bm, n = 8, 20
    out, idx = np.zeros((bm, n), np.int32), np.full((bm, n), -1, np.int32)
    launch(rk.index_and_band, 1, out, idx, m, n, lo, BM=bm, BN=32, config=CONFIG)
    expected_idx = np.full((bm, n), -1, np.int32)
    expected_idx[:m] = np.arange(m)[:, None] * n + np.arange(n)[None, :]
    expected_out = np.zeros((bm, n), np.int32)
    expected_out[lo:m] = 7
    assert np.array_equal(idx, expected_idx) and np.array_equal(out, expected_out)


@pytest.mark.parametrize("m,n,bm,bn", [(7, 45, 4, 64), (5, 300, 2, 512), (3, 8, 4, 8)])
def test_row_reductions(m, n, bm, bn):
    """tl.sum/tl.max along axis 1: one scalar a row, stored if the row is in the mask
    (the rows past m keep their fill)."""
    x = random(np.random.default_rng(m * n), (m, n), np.int8)
    rows = cdiv(m, bm) * bm
    sums, maxes = np.full(rows, 5, np.int32), np.full(rows, 5, np.int8)
    launch(rk.row_sums, cdiv(m, bm), x, sums, maxes, m, n, BM=bm, BN=bn, config=CONFIG)
    assert np.array_equal(sums[:m], x.astype(np.int32).sum(axis=1))
    assert np.array_equal(maxes[:m], x.max(axis=1))
    assert (sums[m:] == 5).all() and (maxes[m:] == 5).all()


@pytest.mark.parametrize("m,n,bm", [(13, 50, 8), (4, 64, 4), (1, 1, 16)])
def test_row_reductions_stored_a_row_at_a_time(m, n, bm):
    """A row loop of row reductions taken as a strip loop: each row's sum (int8 to
    int32: a widening to int16, then one to int32, from zero) and max start afresh and
    are stored from the vector registers at vl 1, only for the rows the mask turns on;
    a grid one program too wide stores nothing past m."""
    x = random(np.random.default_rng(m + n), (m, n), np.int8)
    rows = (cdiv(m, bm) + 1) * bm
    sums, maxes = np.full(rows, 5, np.int32), np.full(rows, 5, np.int8)
    launch(rk.row_sums, cdiv(m, bm) + 1, x, sums, maxes, m, n, BM=bm, BN=64, config=CONFIG)
    assert np.array_equal(sums[:m], x.astype(np.int32).sum(axis=1))
    assert np.array_equal(maxes[:m], x.max(axis=1))
    assert (sums[m:] == 5).all() and (maxes[m:] == 5).all()


@pytest.mark.parametrize("sim", ["iss", "rtl"])
def test_rows_of_no_columns_still_store_their_reductions(sim):
    """Column blocks past N: every row on stores the sum of its BN masked-off elements
    (other=0), 0, from the strip loop's path for rows of no columns."""
    m, n, bn = 8, 40, 16
    x = random(np.random.default_rng(6), (m, n), np.int8)
    blocks = cdiv(n, bn) + 1
    s = np.full(blocks * m, 9, np.int8)
    launch(rk.partial_row_sums, (1, blocks), x, s, m, n, BM=8, BN=bn, config=CONFIG,
           sim=sim)
    want = np.zeros((blocks, m), np.int8)
    for j in range(blocks):
        want[j] = x[:, j * bn:(j + 1) * bn].sum(axis=1, dtype=np.int8)  # wraps
    assert np.array_equal(s.reshape(blocks, m), want)


def test_two_row_reductions_under_one_row_mask():
    """Two reductions of one row stored under one mask row (both `scf.if`s read it):
    both join the strip loop."""
    m, n = 11, 50
    x = random(np.random.default_rng(7), (m, n), np.int32)
    sums, squares = np.full(16, 5, np.int32), np.full(16, 5, np.int32)
    launch(rk.row_sums_and_squares, 2, x, sums, squares, m, n, BM=8, BN=64, config=CONFIG)
    wide = x.astype(np.int64)
    assert np.array_equal(sums[:m], wide.sum(axis=1).astype(np.int32))  # wraps
    squared = (wide * wide).astype(np.int32).astype(np.int64)  # x * x wraps in int32
    assert np.array_equal(squares[:m], squared.sum(axis=1).astype(np.int32))
    assert (sums[m:] == 5).all() and (squares[m:] == 5).all()
    asm = compile_kernel(rk.row_sums_and_squares, "x_ptr:*i32,sums_ptr:*i32,"
                         "squares_ptr:*i32,M:i32,N:i32,BM=8,BN=64", load_config(CONFIG)).asm
    assert "vmv.x.s" not in asm and asm.count("vse32.v") >= 2


def test_a_row_reduction_counts_the_masked_off_elements_other():
    """tl.sum over a row whose masked-off elements read other=1: they count (Triton's
    rule), so this loop keeps its row-by-row read-back, which adds their share."""
    m, n, bn = 5, 37, 64
    x = random(np.random.default_rng(4), (m, n), np.int32)
    sums = np.zeros(8, np.int32)
    launch(rk.row_sums_other_one, 1, x, sums, m, n, BM=8, BN=bn, config=CONFIG)
    want = (x.astype(np.int64).sum(axis=1) + (bn - n)).astype(np.int32)
    assert np.array_equal(sums[:m], want)


def test_row_reductions_stored_through_other_element_types():
    """tl.store converts: an int8 row max through int32 pointers (sign-extended), an
    int32 row sum through int16 ones (truncated, as C)."""
    m, n = 6, 45
    x = random(np.random.default_rng(2), (m, n), np.int8)
    sums, maxes = np.full(8, 5, np.int16), np.full(8, 5, np.int32)
    launch(rk.row_sums, 2, x, sums, maxes, m, n, BM=4, BN=64, config=CONFIG)
    assert np.array_equal(sums[:m], x.astype(np.int32).sum(axis=1).astype(np.int16))
    assert np.array_equal(maxes[:m], x.max(axis=1).astype(np.int32))
    assert (sums[m:] == 5).all() and (maxes[m:] == 5).all()


def test_a_row_reduction_broadcast_along_the_row():
    x = random(np.random.default_rng(8), (7, 45), np.int32)
    out = np.zeros_like(x)
    launch(rk.center_rows, 2, x, out, 7, 45, BM=4, BN=64, config=CONFIG)
    assert np.array_equal(out, x - x.max(axis=1)[:, None])
    text = ir_after_split(rk.center_rows, "x_ptr:*i32,out_ptr:*i32,M:i32,N:i32,BM=4,BN=64")
    loop = text[text.index("scf.for"):]
    assert "{kind = \"max\", axis = 0 : i32} : !oxcore_block.block<64xi32> -> i32" in loop
    assert "oxcore_block.splat" in loop and "expand_dims" not in loop


@pytest.mark.parametrize("dtype", [np.int8, np.int32])
def test_one_loaded_scale_a_row(dtype):
    """x * s[:, None], s a 1-D load: a scalar load a row, under the row's mask."""
    rng = np.random.default_rng(4)
    m, n = 7, 45
    x, s = random(rng, (m, n), dtype), random(rng, m, dtype)
    out = np.zeros_like(x)
    launch(rk.scale_rows, 2, x, s, out, m, n, BM=4, BN=64, config=CONFIG)
    assert np.array_equal(out, (x * s[:, None]).astype(dtype))


@pytest.mark.parametrize("m,n,bm,bn", [(7, 45, 8, 32), (16, 64, 16, 64), (1, 5, 2, 8)])
def test_column_reductions(m, n, bm, bn):
    """tl.sum/tl.max along axis 0: a block carried through the row loop."""
    x = random(np.random.default_rng(m + n), (m, n), np.int32)
    columns = cdiv(n, bn) * bn
    sums, maxes = np.full(columns, 5, np.int32), np.full(columns, 5, np.int32)
    launch(rk.column_sums, cdiv(n, bn), x, sums, maxes, m, n, BM=bm, BN=bn, config=CONFIG)
    assert np.array_equal(sums[:n], x.sum(axis=0, dtype=np.int64).astype(np.int32))
    assert np.array_equal(maxes[:n], x.max(axis=0))
    assert (sums[n:] == 5).all() and (maxes[n:] == 5).all()
    text = ir_after_split(rk.column_sums, "x_ptr:*i32,sums_ptr:*i32,maxes_ptr:*i32,M:i32,"
                                          "N:i32,BM=8,BN=32")
    assert "oxcore_block.reduce" not in text and text.count("iter_args") == 2


def test_a_column_reduction_needs_the_identity_past_the_mask():
    with pytest.raises(CompileError) as info:
        compile_kernel(rk.column_sums_other_one, "x_ptr:*i32,sums_ptr:*i32,M:i32,N:i32,"
                       "BM=8,BN=32", load_config(CONFIG))
    assert "tl.sum or tl.max of a masked 2-D block along axis 0 is that update" \
        in str(info.value)
    assert f"{rk.__file__}:{line_of('tl.sum(x, axis=0)', 'column_sums_other_one')}:" \
        in str(info.value)


def test_a_data_mask_and_a_column_condition_on_rows():
    x = random(np.random.default_rng(15), (7, 45), np.int32)
    out = np.full_like(x, 5)
    launch(rk.positive_doubled, 2, x, out, 7, 45, BM=4, BN=64, config=CONFIG)
    doubled = np.where(np.arange(45)[None, :] < 3, x, 2 * x)
    assert np.array_equal(out, np.where(x > 0, doubled, 5))


def test_two_stores_of_one_load_share_the_loop():
    text = ir_after_split(rk.copy_twice, "x_ptr:*i8,a_ptr:*i8,b_ptr:*i8,N:i32,BM=4,BN=32")
    assert text.count("scf.for") == 1 and text.count("oxcore_block.load") == 1
    x = random(np.random.default_rng(5), (4, 30), np.int8)
    a, b = np.zeros_like(x), np.zeros_like(x)
    launch(rk.copy_twice, 1, x, a, b, 30, BM=4, BN=32, config=CONFIG)
    assert np.array_equal(a, x) and np.array_equal(b, (x + x).astype(np.int8))


def test_a_store_between_the_loads_and_the_store_is_an_error():
    with pytest.raises(CompileError) as info:
        compile_kernel(rk.store_between, "x_ptr:*i8,out_ptr:*i8,flag_ptr:*i32,BM=4,BN=32",
                       load_config(CONFIG))
    assert f"{rk.__file__}:{line_of('tl.store(flag_ptr, 1)', 'store_between')}:5: error: this store lies " \
        "between the loads and the store " \
        "of a 2-D block computed row by row" in str(info.value)


# ---- RTL in lockstep with the interpreter (pysim: small blocks) ------------------------------

def test_programs_past_the_matrix_store_nothing():
    """A grid wider and taller than the matrix: the extra programs' rows are all off
    (the row loop runs none) or their columns are (vl would be 0): nothing is written
    outside m x n, in `out` or in the arrays around it."""
    rng = np.random.default_rng(5)
    m, n, bm, bn = 6, 40, 4, 32
    rows = (cdiv(m, bm) + 2) * bm + 1  # (the arrays hold the extra programs' rows)
    x, y = random(rng, (rows, n + 5), np.int8), random(rng, (rows, n + 5), np.int8)
    x0, y0 = x.copy(), y.copy()
    out = np.full_like(x, 77)
    launch(add_2d, (cdiv(m, bm) + 2, cdiv(n, bn) + 2), x, y, out, m, n, x.shape[1],
           BM=bm, BN=bn, config=CONFIG)
    assert np.array_equal(out, expected_add2d(x, y, m, n))
    assert np.array_equal(x, x0) and np.array_equal(y, y0)


@pytest.mark.parametrize("m,n,bm,bn", [(7, 45, 4, 64), (9, 100, 8, 32), (2, 3, 4, 8)])
@pytest.mark.parametrize("dtype", [np.int8, np.int32])
def test_in_place_rows(m, n, bm, bn, dtype):
    rng = np.random.default_rng(m + n)
    x = random(rng, (m + 2, n + 7), dtype)
    expected = x.copy()
    expected[:m, :n] = (x[:m, :n].astype(np.int64) * 3).astype(dtype)  # wraps
    launch(rk.triple_in_place, (cdiv(m, bm), cdiv(n, bn)), x, m, n, x.shape[1], BM=bm,
           BN=bn, config=CONFIG)
    assert np.array_equal(x, expected)


def test_a_store_a_later_row_could_load_is_an_error():
    """Row r + 1 = row r through one pointer argument: Triton loads the whole block
    before it stores (a shifted copy), the row loop would load row r + 1 after row r's
    store (a copy of row 0 everywhere): an error at the store, not a wrong result."""
    with pytest.raises(CompileError) as caught:
        compile_kernel(rk.copy_row_down, "x_ptr:*i32,M:i32,N:i32,BM=8,BN=16",
                       load_config(CONFIG))
    error = caught.value
    assert error.line == line_of("tl.store(", "copy_row_down")
    assert "this store writes through 'x_ptr' at addresses a later row of the same 2-D " \
        "block could load" in str(error)


@pytest.mark.parametrize("kernel,line", [("add_twice_row0", "tl.store("),
                                         ("increment_one_row_each_row", "tl.store(")])
def test_rows_that_read_what_an_earlier_row_stored_are_an_error(kernel, line):
    """Row 0 read in every row through an op (`twice[None, :]`) while the rows are
    updated in place; a pointer block whose rows are the same addresses (row term 0,
    smaller than a row): a later row would load what an earlier one stored."""
    signature = "x_ptr:*i32,M:i32,N:i32,BM=4,BN=8" if kernel == "add_twice_row0" \
        else "x_ptr:*i32,N:i32,BM=4,BN=8"
    with pytest.raises(CompileError) as caught:
        compile_kernel(getattr(rk, kernel), signature, load_config(CONFIG))
    assert caught.value.line == line_of(line, kernel)
    assert "could load what this store wrote" in str(caught.value)


def test_in_place_through_pointers_grouped_otherwise():
    """x + (rows + columns) for the load, (x + rows) + columns for the store: the same
    pointer form, so in place (and a strip loop)."""
    x = np.arange(7 * 9, dtype=np.int32).reshape(7, 9)
    launch(rk.triple_regrouped, 2, x, 7, 9, BM=4, BN=16, config=CONFIG)
    np.testing.assert_array_equal(x, np.arange(7 * 9).reshape(7, 9) * 3)


def test_rows_that_do_not_fit_one_register_set_are_regions_of_their_own():
    """Four int32 rows of 64 live at once (LMUL 8 each): no register set holds a row,
    so the loop is selected row by row, each row strip-mined at a smaller LMUL."""
    rng = np.random.default_rng(8)
    m, n = 5, 60
    arrays = [random(rng, (m, n), np.int32) for _ in range(4)]
    out = np.zeros((m, n), np.int32)
    launch(rk.products_sum, 1, *arrays, out, m, n, BM=8, BN=64, config=CONFIG)
    x, y, z, w = (a.astype(np.int64) for a in arrays)
    assert np.array_equal(out, (x * y + z * w).astype(np.int32))  # wraps


def rows_loop_of(asm: str) -> list[str]:
    """The instructions of the strip loop over rows (`_row_loop`): from its loop
    label to the jump back."""
    lines = [line.split("#")[0].strip() for line in asm.splitlines()]
    start = next(i for i, line in enumerate(lines) if "_vloop" in line and line.endswith(":"))
    label = lines[start][:-1]
    end = next(i for i, line in enumerate(lines[start:], start) if line == f"j {label}")
    return lines[start:end + 1]


def test_the_row_loop_loads_the_next_row_before_it_stores_this_one():
    """split-rows' loop as a strip loop over rows: vl set once (every row it runs has
    the same columns), no per-row mask arithmetic, and in each row the next row's loads
    come before this row's store, so that the load/store sequencer streams."""
    asm = compile_kernel(add_2d, "x_ptr:*i8,y_ptr:*i8,out_ptr:*i8,M:i32,N:i32,stride:i32,"
                                 "BM=64,BN=64", load_config(CONFIG)).asm
    loop = rows_loop_of(asm)
    mnemonics = [line.split()[0] for line in loop if line and not line.endswith(":")]
    assert not any(m.startswith("vset") or m in ("mul", "slt") for m in mnemonics)
    assert mnemonics.count("vse8.v") == 2 and mnemonics.count("vle8.v") == 4
    first_store = mnemonics.index("vse8.v")
    assert mnemonics[:first_store].count("vle8.v") == 2
    assert asm.count("vsetvli") == 1


def test_a_row_every_row_reads_is_loaded_once():
    """relu(x + b[None, :]) (examples/matrix_add_kernel.py): b's addresses are the same
    in every row, so the row loop loads it once, before the loop, into registers no
    row writes; each row then loads x alone."""
    from examples.matrix_add_kernel import matrix_add_bias
    asm = compile_kernel(matrix_add_bias, "x_ptr:*i8,b_ptr:*i8,out_ptr:*i8,M:i32,N:i32,"
                                          "stride:i32,BM=4,BN=64", load_config(CONFIG)).asm
    loop = rows_loop_of(asm)
    assert sum(line.startswith("vle8.v") for line in loop) == 2  # x, in each of 2 rows
    assert asm.count("vle8.v") == 4  # and b and the first row's x before the loop


def test_rtl_add2d():
    rng = np.random.default_rng(11)
    x, y = random(rng, (5, 23), np.int8), random(rng, (5, 23), np.int8)
    assert np.array_equal(run_add2d(x, y, 5, 20, 4, 32, sim="rtl"),
                          expected_add2d(x, y, 5, 20))


def test_rtl_scale_rows_and_column_sums():
    rng = np.random.default_rng(14)
    x, s = random(rng, (3, 20), np.int32), random(rng, 3, np.int32)
    out = np.zeros_like(x)
    launch(rk.scale_rows, 1, x, s, out, 3, 20, BM=4, BN=32, config=CONFIG, sim="rtl")
    assert np.array_equal(out, x * s[:, None])
    sums, maxes = np.full(32, 5, np.int32), np.full(32, 5, np.int32)
    launch(rk.column_sums, 1, x, sums, maxes, 3, 20, BM=4, BN=32, config=CONFIG, sim="rtl")
    assert np.array_equal(sums[:20], x.sum(axis=0, dtype=np.int64).astype(np.int32))
    assert np.array_equal(maxes[:20], x.max(axis=0)) and (sums[20:] == 5).all()


def test_rtl_row_reductions():
    x = random(np.random.default_rng(13), (3, 40), np.int8)
    sums, maxes = np.full(4, 5, np.int32), np.full(4, 5, np.int8)
    launch(rk.row_sums, 1, x, sums, maxes, 3, 40, BM=4, BN=64, config=CONFIG, sim="rtl")
    assert np.array_equal(sums[:3], x.astype(np.int32).sum(axis=1)) and sums[3] == 5
    assert np.array_equal(maxes[:3], x.max(axis=1)) and maxes[3] == 5


@pytest.mark.long
def test_rtl_bias_relu2d():
    rng = np.random.default_rng(12)
    x, b = random(rng, (5, 45), np.int8), random(rng, 45, np.int8)
    out = np.zeros_like(x)
    launch(rk.bias_relu2d, 2, x, b, out, 5, 45, BM=4, BN=64, config=CONFIG, sim="rtl")
    assert np.array_equal(out, np.maximum((x + b[None, :]).astype(np.int8), 0))


@pytest.mark.parametrize("sim,m,n", [("iss", 7, 45), ("iss", 8, 64), ("iss", 3, 1),
                                     ("rtl", 7, 45)])
def test_arithmetic_on_one_scalar_a_row(sim, m, n):
    """Row reductions and row loads combined before their broadcast along the row
    (`s // N`, `where(g > 0, g, -g)`, a keep_dims maximum + 1) and a row's mean stored
    converted: scalars in the row loop, against numpy (C's division: toward zero)."""
    rng = np.random.default_rng(m * n)
    x = random(rng, (m, n), np.int8)
    g = rng.integers(-5, 6, m).astype(np.int32)
    out, means = np.zeros((m, n), np.int32), np.full(8, 7, np.int16)
    launch(rk.layer_norm_int, 2, x, g, out, means, m, n, BM=4, BN=64, config=CONFIG,
           sim=sim)
    wide = x.astype(np.int64)
    mean = np.trunc(wide.sum(axis=1) / n).astype(np.int64)
    centred = (wide - mean[:, None]) * np.abs(g)[:, None]
    want = np.minimum(centred, wide.max(axis=1, keepdims=True) + 1)
    np.testing.assert_array_equal(out, want.astype(np.int32))
    np.testing.assert_array_equal(means[:m], (mean - 1).astype(np.int16))
    assert (means[m:] == 7).all()
    text = ir_after_split(rk.layer_norm_int,
                          "x_ptr:*i8,g_ptr:*i32,out_ptr:*i32,mean_ptr:*i16,M:i32,N:i32,"
                          "BM=4,BN=64")
    loop = text[text.index("scf.for"):]
    assert "arith.divsi" in loop and "arith.select" in loop  # one scalar a row


def test_row_flags_and_a_uint8_row_maximum():
    x = random(np.random.default_rng(12), (7, 5), np.uint8)
    top, flags = np.zeros(8, np.int32), np.full(8, 9, np.int8)
    launch(rk.row_flags, 2, x, top, flags, 7, 5, BM=4, BN=8, config=CONFIG)
    np.testing.assert_array_equal(top[:7], x.max(axis=1))
    signed = x.astype(np.int8).astype(np.int64)
    np.testing.assert_array_equal(flags[:7], (signed.sum(axis=1) <= 0).astype(np.int8))
