"""1-D data blocks on the vector engine (sw/compiler/isel_vector.py): the operator
library's element-wise kernels (sw/ops/elementwise.py) and more element-wise forms run on
the interpreter against numpy, at sizes that end mid-block, fit in one block, and need
strip-mining (BLOCK above one LMUL-8 register group); the generated code's shape; the
forms the lowering rejects, at their file:line:col. One short RTL run per kernel family
when the `vector` preset's CXXRTL model is already built (never building it here)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oxcore.config import load_config
from oxcore.errors import CompileError
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import launch
from sw.ops import elementwise as ew
from tests.sw.compiler import vector_kernels as vk

CONFIG = "vector"
# (n, BLOCK): mid-block end, n < BLOCK, exact multiple, strip-mined blocks (VLMAX at
# e8/m8 is 256 elements, at e32/m8 64)
SIZES = [(100, 64), (5, 128), (512, 256), (1000, 1024), (3000, 2048), (1, 64)]
DTYPES = [np.int8, np.int32]


def cdiv(a: int, b: int) -> int:
    return (a + b - 1) // b


def random(rng, n: int, dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)


def run_add(x, y, block):
    out = np.zeros_like(x)
    launch(ew.add, cdiv(len(x), block), x, y, out, len(x), BLOCK=block, config=CONFIG)
    return out


def run_relu(x, block):
    out = np.zeros_like(x)
    launch(ew.relu, cdiv(len(x), block), x, out, len(x), BLOCK=block, config=CONFIG)
    return out


def run_reduce(kernel, x, block, **constexprs):
    out = np.zeros(cdiv(len(x), block), np.int32)
    launch(kernel, len(out), x, out, len(x), BLOCK=block, config=CONFIG, **constexprs)
    return out


# ---- the operator library ------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,block", SIZES)
def test_add(n, block, dtype):
    rng = np.random.default_rng(n)
    x, y = random(rng, n, dtype), random(rng, n, dtype)
    assert np.array_equal(run_add(x, y, block), ew.reference_add(x, y))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,block", SIZES)
def test_relu(n, block, dtype):
    x = random(np.random.default_rng(n), n, dtype)
    assert np.array_equal(run_relu(x, block), ew.reference_relu(x))


@pytest.mark.parametrize("n,block", [(100, 64), (777, 256), (3000, 1024)])
def test_bias(n, block):
    rng = np.random.default_rng(n)
    x, b = random(rng, n, np.int8), random(rng, n, np.int8)
    out = np.zeros_like(x)
    launch(ew.bias, cdiv(n, block), x, b, out, n, BLOCK=block, config=CONFIG)
    assert np.array_equal(out, ew.reference_bias(x, b))
    x32 = random(rng, n, np.int32)
    out32 = np.zeros_like(x32)
    launch(ew.bias_scalar, cdiv(n, block), x32, out32, n, -123456, BLOCK=block, config=CONFIG)
    assert np.array_equal(out32, ew.reference_bias(x32, -123456))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,block", SIZES)
def test_reduce_sum(n, block, dtype):
    x = random(np.random.default_rng(n), n, dtype)
    assert np.array_equal(run_reduce(ew.reduce_sum, x, block),
                          ew.reference_reduce_sum(x, block))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,block", SIZES)
def test_reduce_max(n, block, dtype):
    x = random(np.random.default_rng(n), n, dtype)
    lowest = int(np.iinfo(dtype).min)
    assert np.array_equal(run_reduce(ew.reduce_max, x, block, LOWEST=lowest),
                          ew.reference_reduce_max(x, block))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 2500), block=st.sampled_from([32, 64, 256, 1024, 4096]),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**16))
def test_add_and_sum_property(n, block, dtype, seed):
    rng = np.random.default_rng(seed)
    x, y = random(rng, n, dtype), random(rng, n, dtype)
    assert np.array_equal(run_add(x, y, block), ew.reference_add(x, y))
    assert np.array_equal(run_reduce(ew.reduce_sum, x, block),
                          ew.reference_reduce_sum(x, block))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 2500), block=st.sampled_from([16, 128, 512, 2048]),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**16))
def test_relu_and_max_property(n, block, dtype, seed):
    x = random(np.random.default_rng(seed), n, dtype)
    assert np.array_equal(run_relu(x, block), ew.reference_relu(x))
    lowest = int(np.iinfo(dtype).min)
    assert np.array_equal(run_reduce(ew.reduce_max, x, block, LOWEST=lowest),
                          ew.reference_reduce_max(x, block))


# ---- more element-wise forms ---------------------------------------------------------

def wrap(values, dtype):
    return values.astype(np.int64).astype(dtype)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32])
@pytest.mark.parametrize("n,block", [(100, 64), (700, 512)])
def test_mixed_operations(n, block, dtype):
    """sub, mul, &, |, ^, <<, >>, where on comparisons (.vv, .vx, .vi forms), min, and a
    scalar minus a block (vrsub)."""
    rng = np.random.default_rng(n)
    x = rng.integers(-100, 100, n).astype(dtype)
    y = rng.integers(-100, 100, n).astype(dtype)
    out = np.zeros(n, dtype)
    launch(vk.mixed_ops, cdiv(n, block), x, y, out, n, BLOCK=block, config=CONFIG)
    X, Y = x.astype(np.int64), y.astype(np.int64)
    a = (X - Y) * 3 + (X & Y) - (X | 5) + (Y ^ X) + (X << 2) + (Y >> 1)
    b = np.where(X > Y, X, Y) - np.minimum(X, Y) + np.where(X <= 7, 1, Y)
    assert np.array_equal(out, wrap(a + b + (100 - X), dtype))


def test_widening_and_narrowing_casts():
    """int8 widened to int32 (vsext.vf4), an index block as data (vid.v), int32 narrowed
    to int8 (two vnsrl): SEW changes inside one strip-mined region."""
    n, block = 300, 128
    x = random(np.random.default_rng(3), n, np.int8)
    out32, out8 = np.zeros(n, np.int32), np.zeros(n, np.int8)
    launch(vk.widen_narrow, cdiv(n, block), x, out32, out8, n, BLOCK=block, config=CONFIG)
    wide = x.astype(np.int32) * 1000 + np.arange(n)
    assert np.array_equal(out32, wide)
    assert np.array_equal(out8, (wide >> 3).astype(np.int8))


@pytest.mark.parametrize("dtype", DTYPES)
def test_division_rounds_toward_zero(dtype):
    n, block = 300, 128
    rng = np.random.default_rng(4)
    x = rng.integers(-100, 100, n).astype(dtype)
    y = (rng.integers(1, 20, n) * rng.choice([-1, 1], n)).astype(dtype)
    q, r = np.zeros(n, dtype), np.zeros(n, dtype)
    launch(vk.divide, cdiv(n, block), x, y, q, r, n, BLOCK=block, config=CONFIG)
    expected = np.trunc(x / y).astype(dtype)
    assert np.array_equal(q, expected) and np.array_equal(r, x - expected * y)


def test_uint8_is_unsigned():
    n, block = 300, 128
    x = np.random.default_rng(5).integers(0, 256, n).astype(np.uint8)
    out = np.zeros(n, np.uint8)
    launch(vk.unsigned_ops, cdiv(n, block), x, out, n, BLOCK=block, config=CONFIG)
    X = x.astype(np.int64)
    expected = np.where(X < 200, np.maximum(X, 100) + (X >> 2) + X // 3, X)
    assert np.array_equal(out, expected.astype(np.uint8))


def test_strided_loads_and_stores():
    n, block = 300, 128
    x = random(np.random.default_rng(6), 3 * n, np.int32)
    out = np.zeros(2 * n, np.int32)
    launch(vk.strided_copy, cdiv(n, block), x, out, n, 3, BLOCK=block, config=CONFIG)
    assert np.array_equal(out[::2], x[::3][:n] + 1) and not out[1::2].any()


def test_row_reductions_with_other_zero():
    """Masked-off elements read other=0: they add nothing to the sum, and take part in
    the max (Triton's semantics: max(row) or 0 when the row is shorter than BLOCK)."""
    rows, cols, stride = 5, 77, 80
    x = random(np.random.default_rng(7), rows * stride, np.int8)
    out = np.zeros(2 * rows, np.int32)
    launch(vk.row_sums, rows, x, out, cols, stride, BLOCK=128, config=CONFIG)
    matrix = x.reshape(rows, stride)[:, :cols]
    assert np.array_equal(out[0::2], matrix.astype(np.int32).sum(1))
    assert np.array_equal(out[1::2], np.maximum(matrix.max(1), 0))


def test_regions_inside_a_loop():
    n = 1000
    x = np.random.default_rng(8).integers(-1000, 1000, n).astype(np.int32)
    before = x.copy()
    total = np.zeros(1, np.int32)
    launch(vk.loop_of_regions, 1, x, total, n, BLOCK=256, config=CONFIG)
    assert np.array_equal(x, 2 * before) and total[0] == before.sum()


@pytest.mark.parametrize("n,block", [(100, 64), (700, 256), (3000, 1024)])
def test_widening_multiply_and_sum(n, block):
    """x.to(int16) * y.to(int16) of int8 x, y is vwmul; the int32 sum of such products
    and the int16 sum of int8 x are vwredsum (exact products, sums wrapping in the
    sum's dtype)."""
    rng = np.random.default_rng(n)
    x, y = random(rng, n, np.int8), random(rng, n, np.int8)
    products = np.zeros(n, np.int16)
    sums = np.zeros(2 * cdiv(n, block), np.int32)
    launch(vk.widening_products, cdiv(n, block), x, y, products, sums, n, BLOCK=block,
           config=CONFIG)
    exact = x.astype(np.int64) * y.astype(np.int64)
    assert np.array_equal(products, exact)
    slices = [slice(i, i + block) for i in range(0, n, block)]
    assert np.array_equal(sums[0::2], [exact[s].sum() for s in slices])
    assert np.array_equal(sums[1::2], [wrap(x[s].astype(np.int64).sum(), np.int16)
                                       for s in slices])


def test_widening_multiply_of_int16():
    n, block = 300, 128
    rng = np.random.default_rng(10)
    x, y = random(rng, n, np.int16), random(rng, n, np.int16)
    out = np.zeros(n, np.int32)
    launch(vk.widening_products_16, cdiv(n, block), x, y, out, n, BLOCK=block, config=CONFIG)
    assert np.array_equal(out, x.astype(np.int64) * y.astype(np.int64))


# ---- the code's shape ------------------------------------------------------------------

def asm(kernel, signature: str) -> str:
    return compile_kernel(kernel, signature, load_config(CONFIG)).asm


def test_strip_mined_add_is_software_pipelined():
    """BLOCK 4096 at e8: LMUL 8 strips of 256, vl from the bound (no v0 mask), each
    strip's loads before the previous strip's store, the add in place, and no vsetvli
    in the steady state."""
    text = asm(ew.add, "x_ptr:*i8,y_ptr:*i8,out_ptr:*i8,n:i32,BLOCK=4096")
    assert "v0.t" not in text and "e8, m8" in text
    body = text.split("vodd")[1].split("vdrain")[0]
    assert "vsetvli" not in body
    lines = [line.split()[0] for line in body.splitlines() if line.strip().startswith("v")]
    assert lines[:4] == ["vle8.v", "vle8.v", "vse8.v", "vadd.vv"]
    adds = [line.split() for line in body.splitlines() if "vadd.vv" in line]
    assert all(words[1] == words[2] for words in adds)  # vd == vs2: in place


def test_small_block_is_one_chunk_at_the_smallest_lmul():
    text = asm(ew.add, "x_ptr:*i8,y_ptr:*i8,out_ptr:*i8,n:i32,BLOCK=64")
    assert "e8, m2" in text and "vloop" not in text and "vrest" not in text


def test_widening_products_skip_the_extension_passes():
    """matvec's row: vwmul at e8 and vwredsum at e16 into the int32 sum, no vsext (the
    extensions to int16 and int32 are folded into the widening instructions)."""
    from sw.ops.matvec import matvec
    text = asm(matvec, "a_ptr:*i8,x_ptr:*i8,y_ptr:*i32,M:i32,K:i32,BLOCK=1024")
    assert "vwmul.vv" in text and "vwredsum.vs" in text
    assert "vsext" not in text and "vmul" not in text and "vredsum" not in text


def test_relu_uses_a_scalar_operand():
    text = asm(ew.relu, "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=1024")
    assert "vmax.vx" in text and "vmv.v" not in text


# ---- rejected forms ----------------------------------------------------------------------

ERRORS = [
    ("data_mask", "x_ptr:*i8,out_ptr:*i8,BLOCK=64", 83, 5,
     "a store mask combining more than two comparisons is not supported"),
    ("two_masks", "x_ptr:*i8,out_ptr:*i8,n:i32,m:i32,BLOCK=64", 89, 9,
     "must share one mask"),
    ("unknown_fill", "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=64", 97, 23,
     "the masked-off elements must have a known value"),
    ("masked_scale", "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=64", 221, 15,
     "a carried block updated under a mask must be `acc = acc op x`"),
    ("column_sums", "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=256", 196, 5,
     "a loop-carried block must fit one register group"),
    ("two_d_data", "x_ptr:*i32,out_ptr:*i32,BLOCK=16", 113, 40,
     "expand_dims of a data block is not supported yet"),
    ("computed_load_mask", "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=64", 251, 41,
     "one comparison of a loaded block with a scalar or another loaded block"),
]


@pytest.mark.parametrize("name,signature,line,col,fragment", ERRORS)
def test_unsupported_forms_point_at_the_source(name, signature, line, col, fragment):
    with pytest.raises(CompileError) as info:
        compile_kernel(getattr(vk, name), signature, load_config(CONFIG))
    message = str(info.value)
    assert f"{vk.__file__}:{line}:{col}: error: " in message
    assert fragment in message


def test_no_vector_engine():
    with pytest.raises(CompileError) as info:
        compile_kernel(ew.add, "x_ptr:*i8,y_ptr:*i8,out_ptr:*i8,n:i32,BLOCK=64",
                       load_config("default"))
    assert f"{ew.__file__}:22:5: error: element-wise work on data blocks (1-D, or a 2-D " \
        "block's rows) runs on the vector engine" \
        in str(info.value)


# ---- RTL in lockstep with the interpreter (pysim in tests: short arrays) --------------------

@pytest.mark.parametrize("family", [
    "add", "reduce_max", *(pytest.param(f, marks=pytest.mark.long)
                           for f in ("relu", "bias", "reduce_sum"))])
def test_rtl_short_arrays(family):
    rng = np.random.default_rng(9)
    n, block = 37, 32
    x, y = random(rng, n, np.int8), random(rng, n, np.int8)
    out = np.zeros(n, np.int8)
    sums = np.zeros(cdiv(n, block), np.int32)
    rtl = dict(config=CONFIG, sim="rtl")
    if family == "add":
        launch(ew.add, cdiv(n, block), x, y, out, n, BLOCK=block, **rtl)
        assert np.array_equal(out, ew.reference_add(x, y))
    elif family == "relu":
        launch(ew.relu, cdiv(n, block), x, out, n, BLOCK=block, **rtl)
        assert np.array_equal(out, ew.reference_relu(x))
    elif family == "bias":
        launch(ew.bias, cdiv(n, block), x, y, out, n, BLOCK=block, **rtl)
        assert np.array_equal(out, ew.reference_bias(x, y))
    elif family == "reduce_sum":
        launch(ew.reduce_sum, len(sums), x, sums, n, BLOCK=block, **rtl)
        assert np.array_equal(sums, ew.reference_reduce_sum(x, block))
    else:
        launch(ew.reduce_max, len(sums), x, sums, n, BLOCK=block, LOWEST=-128, **rtl)
        assert np.array_equal(sums, ew.reference_reduce_max(x, block))


@pytest.mark.parametrize("n,block,total", [(100, 64, 128), (700, 256, 768), (1000, 1024, 1024)])
def test_index_masks_as_data(n, block, total):
    """tl.where on `offsets < n` (vid.v and vmslt into v0) and on `offsets >= n` (an
    element-wise comparison of the index block), unmasked loads and stores, and the sum
    of the kept elements."""
    x = np.random.default_rng(n).integers(-1000, 1000, total).astype(np.int32)
    out, sums = np.zeros(total, np.int32), np.zeros(total // block, np.int32)
    launch(vk.where_in_bounds, total // block, x, out, sums, n, BLOCK=block, config=CONFIG)
    index = np.arange(total)
    assert np.array_equal(out, np.where(index >= n, 7, x))
    assert np.array_equal(sums, np.where(index < n, x, 0).reshape(-1, block).sum(1))


def test_a_load_after_a_store_sees_it():
    n, block = 300, 128
    x, y = np.zeros(n, np.int32), np.zeros(n, np.int32)
    launch(vk.store_then_load, cdiv(n, block), x, y, n, BLOCK=block, config=CONFIG)
    assert np.array_equal(x, np.arange(n)) and np.array_equal(y, 2 * np.arange(n))


# ---- int8 sums: two widening reductions (`_Sink.quad`) -------------------------------

def _vector_config(vlen: int):
    import dataclasses
    base = load_config(CONFIG)
    return dataclasses.replace(base, name=f"vector{vlen}",
                               vector=dataclasses.replace(base.vector, vlen=vlen,
                                                          lanes=min(4, vlen // 32)))


@pytest.mark.parametrize("vlen", [64, 256, 1024])
@pytest.mark.parametrize("fill", ["lowest", "highest", "random"])
def test_int8_sums_are_exact_in_every_chunk(vlen, fill):
    """A chunk's int16 partial sum holds every sum of at most 256 int8 elements
    (-128 x 256 = -32768 just fits): all-lowest, all-highest and random blocks, at a
    VLEN whose LMUL-8 chunk would be larger (1024: 1,024 elements, so LMUL 2)."""
    n, block = 5000, 4096
    x = {"lowest": np.full(n, -128, np.int8), "highest": np.full(n, 127, np.int8),
         "random": random(np.random.default_rng(vlen), n, np.int8)}[fill]
    out = np.zeros(cdiv(n, block), np.int32)
    launch(ew.reduce_sum, len(out), x, out, n, BLOCK=block, config=_vector_config(vlen))
    assert np.array_equal(out, ew.reference_reduce_sum(x, block))


def _ring_stages(text: str) -> list[list[list[str]]]:
    """The vector instructions of a ring loop's three stages (`_ring_loop`), split."""
    stages = text.split(".L")
    stages = [block for block in stages if block.split(":")[0].split("_")[-1].startswith(
        "vstage")]
    return [[line.split() for line in block.splitlines()[1:] if line.strip().startswith("v")]
            for block in stages]


def test_an_int8_sum_widens_twice_without_extension_passes():
    """vwredsum at e8 into the set's int16 partial, the chunk two ahead's load, then
    vwredsum at e16, vl 1, of the previous set's partial into the int32 sum."""
    text = asm(ew.reduce_sum, "x_ptr:*i8,out_ptr:*i32,n:i32,BLOCK=4096")
    stages = _ring_stages(text)
    assert len(stages) == 3
    partials = []
    for lines in stages:
        assert [words[0] for words in lines] == \
            ["vwredsum.vs", "vle8.v", "vsetivli", "vwredsum.vs", "vsetvli"], lines
        partials.append(lines[0][1].rstrip(","))
        assert lines[2][3] == "e16," and lines[2][4] == "mf2,"
    folded = [lines[3][2].rstrip(",") for lines in stages]
    assert len(set(partials)) == 3 and folded == partials[-1:] + partials[:-1]
    assert "vsext" not in text and "vredsum" not in text
    # at VLEN 1024 a chunk is kept to 256 elements: e8, m2
    wide = compile_kernel(ew.reduce_sum, "x_ptr:*i8,out_ptr:*i32,n:i32,BLOCK=4096",
                          _vector_config(1024)).asm
    assert "e8, m2" in wide and "e8, m4" not in wide and "e8, m8" not in wide


def test_a_reduction_ring_loads_two_chunks_ahead():
    """Without stores, three register sets: each stage reduces one set into its own
    accumulator, then loads the chunk two ahead into the set the stage before reduced,
    so that neither sequencer waits for the other; two loads go before the loop."""
    text = asm(ew.reduce_max, "x_ptr:*i8,out_ptr:*i32,n:i32,BLOCK=4096,LOWEST=-128")
    stages = _ring_stages(text)
    assert len(stages) == 3
    reduced, accumulators, loaded = [], [], []
    for lines in stages:
        assert [words[0] for words in lines] == ["vredmax.vs", "vle8.v"], lines
        accumulators.append(lines[0][1].rstrip(","))
        reduced.append(lines[0][2].rstrip(","))
        loaded.append(lines[1][1].rstrip(","))
    assert len(set(reduced)) == 3 and len(set(accumulators)) == 3
    assert loaded == reduced[-1:] + reduced[:-1]
    head = text.split("vfirst")[1].split("vloop")[0]
    assert "vredmax" not in head and head.count("vle8.v") == 2


@pytest.mark.parametrize("kernel,dtype", [("reduce_sum", np.int8), ("reduce_max", np.int8),
                                          ("reduce_sum", np.int16),
                                          ("reduce_sum", np.int32)])
def test_every_exit_of_the_reduction_ring(kernel, dtype):
    """Counts that leave the ring at each of its exits (after one load, before each
    of the three stages), with and without a partial last chunk, against numpy: every
    accumulator and partial sum is folded exactly once. (A chunk at VLEN 256 and
    LMUL 8 is 256 int8, 128 int16 or 64 int32 elements.)"""
    chunk = 256 * 8 // np.iinfo(dtype).bits
    rng = np.random.default_rng(7)
    for chunks in range(1, 8):
        for extra in (0, 5):
            n = chunks * chunk + extra
            x = random(rng, n, dtype)
            block = 16 * chunk
            if kernel == "reduce_max":
                out = run_reduce(ew.reduce_max, x, block, LOWEST=int(np.iinfo(dtype).min))
                expected = ew.reference_reduce_max(x, block)
            else:
                out = run_reduce(ew.reduce_sum, x, block)
                expected = ew.reference_reduce_sum(x, block)
            assert np.array_equal(out, expected), (chunks, extra)


def test_rtl_strip_mined_int8_sum():
    """Lockstep on the RTL: two programs, one of two chunks (the pipelined loop and its
    drain), one of a tail only."""
    rng = np.random.default_rng(11)
    n, block = 600, 512
    x = random(rng, n, np.int8)
    sums = np.zeros(cdiv(n, block), np.int32)
    launch(ew.reduce_sum, len(sums), x, sums, n, BLOCK=block, config=CONFIG, sim="rtl")
    assert np.array_equal(sums, ew.reference_reduce_sum(x, block))


def test_a_strip_mined_sum_of_indices():
    """A reduction-only region that uses the index block: each chunk's indices are its
    own (the region keeps the compute beside its load when it has an index block)."""
    block = 2048
    x = np.random.default_rng(1).integers(-1000, 1000, 2 * block).astype(np.int32)
    out = np.zeros(2, np.int32)
    launch(vk.sum_with_indices, 2, x, out, BLOCK=block, config=CONFIG)
    assert np.array_equal(out, (x + np.arange(2 * block)).reshape(2, -1).sum(1))


# ---- data-dependent store masks (v0.t) ---------------------------------------------

@pytest.mark.parametrize("n,block", [(100, 64), (3000, 2048), (700, 1024)])
def test_a_data_mask_beside_a_where(n, block):
    """`mask & (s > 0)` on the store (the bound as vl, the comparison kept in a register
    and copied into v0 just before the store) and a tl.where in the same region, whose
    merge also uses v0; strip-mined and pipelined at 2048."""
    rng = np.random.default_rng(n)
    x, y = random(rng, n, np.int8), random(rng, n, np.int8)
    out = random(rng, n, np.int8)
    s = (x.astype(np.int16) + y).astype(np.int8)  # wraps as int8
    want = np.where(s > 0, np.where(x > y, s, 0), out).astype(np.int8)
    launch(vk.positive_sums, cdiv(n, block), x, y, out, n, BLOCK=block, config=CONFIG)
    assert np.array_equal(out, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_data_mask_of_two_comparisons(dtype):
    n, block = 1500, 512
    x = random(np.random.default_rng(4), n, dtype)
    out = np.zeros(n, dtype)
    low, high = -40, 90
    launch(vk.in_window, cdiv(n, block), x, out, n, low, high, BLOCK=block, config=CONFIG)
    assert np.array_equal(out, np.where((x > low) & (x < high), x, 0))


def test_a_data_masked_store_on_the_rtl():
    rng = np.random.default_rng(21)
    n, block = 300, 256
    x, y, out = (random(rng, n, np.int8) for _ in range(3))
    s = (x.astype(np.int16) + y).astype(np.int8)
    want = np.where(s > 0, np.where(x > y, s, 0), out).astype(np.int8)
    launch(vk.positive_sums, cdiv(n, block), x, y, out, n, BLOCK=block, config=CONFIG,
           sim="rtl")
    assert np.array_equal(out, want)


# ---- loads masked by data ---------------------------------------------------------------

@pytest.mark.parametrize("dtype,fill", [(np.int8, -7), (np.int32, 123_456)])
@pytest.mark.parametrize("n,block", [(100, 64), (5, 128), (1000, 256), (3000, 1024)])
def test_a_load_masked_by_data(n, block, dtype, fill):
    """y[i] is read where i < n and x[i] > 0; elsewhere the load gives `other`."""
    rng = np.random.default_rng(n)
    x, y = random(rng, n, dtype), random(rng, n, dtype)
    out = np.zeros(n, dtype)
    launch(vk.gather_where_positive, cdiv(n, block), x, y, out, n, fill, BLOCK=block,
           config=CONFIG)
    want = (x.astype(np.int64) + np.where(x > 0, y, fill)).astype(dtype)
    assert np.array_equal(out, want)


def test_a_load_masked_by_a_comparison_of_two_loaded_blocks():
    rng = np.random.default_rng(5)
    block = 128
    x, y = random(rng, block, np.int16), random(rng, block, np.int16)
    out = np.zeros(1, np.int32)
    launch(vk.sum_where_below, 1, x, y, out, BLOCK=block, config=CONFIG)
    masked_y = np.where(x > 0, y, 0)
    want = np.where(masked_y < x, y, 0).astype(np.int64).sum()
    assert out[0] == want


def test_a_load_masked_by_data_is_a_masked_load_after_its_other():
    """`other` splat into the destination, the comparison into v0, the load under
    v0.t, all under a mask-undisturbed vtype (the masked-off elements keep `other`)."""
    text = asm(vk.gather_where_positive,
               "x_ptr:*i8,y_ptr:*i8,out_ptr:*i8,n:i32,fill:i32,BLOCK=64")
    lines = [line.split() for line in text.splitlines() if line.strip().startswith("v")]
    ops = [words[0] for words in lines]
    masked = ops.index("vle8.v", ops.index("vle8.v") + 1)
    assert ops[masked - 2:masked + 1] == ["vmv.v.x", "vmsgt.vi", "vle8.v"], ops
    assert lines[masked][-1] == "v0.t" and lines[masked - 1][1] == "v0,"
    assert lines[masked - 2][1] == lines[masked][1]  # (other, where the load writes)
    vtypes = [line for line in text.splitlines() if "vsetvli" in line]
    assert vtypes and all(line.rstrip().endswith("ta, mu") for line in vtypes), vtypes


def test_a_load_masked_by_data_on_the_rtl():
    rng = np.random.default_rng(23)
    n, block = 300, 256
    x, y = random(rng, n, np.int8), random(rng, n, np.int8)
    out = np.zeros(n, np.int8)
    launch(vk.gather_where_positive, cdiv(n, block), x, y, out, n, -3, BLOCK=block,
           config=CONFIG, sim="rtl")
    assert np.array_equal(out, (x.astype(np.int16) + np.where(x > 0, y, -3)).astype(np.int8))


# ---- 1-D data blocks carried through loops ------------------------------------------

@pytest.mark.parametrize("n,block", [(1000, 64), (64, 64), (5, 64), (0, 64), (777, 16)])
def test_a_block_carried_through_a_loop(n, block):
    """`acc += tl.load(...)` in a runtime loop over a masked range: acc stays in its own
    register group across iterations (updated in place), the masked-off elements
    of the last iteration keep their sums (other=0)."""
    x = np.random.default_rng(n).integers(-1000, 1000, max(n, 1)).astype(np.int32)
    out = np.zeros(block, np.int32)
    launch(vk.column_sums, 1, x, out, n, BLOCK=block, config=CONFIG)
    want = np.zeros(block, np.int64)
    np.add.at(want, np.arange(n) % block, x[:n])
    assert np.array_equal(out, want.astype(np.int32))


@pytest.mark.parametrize("n", [1000, 77, 0])
def test_a_carried_maximum_stored_and_reduced(n):
    block = 128
    x = np.random.default_rng(n).integers(-128, 128, max(n, 1)).astype(np.int8)
    out, total = np.zeros(block, np.int8), np.zeros(1, np.int32)
    launch(vk.running_max, 1, x, out, total, n, BLOCK=block, config=CONFIG)
    want = np.full(block, -128, np.int64)
    np.maximum.at(want, np.arange(n) % block, x[:n])
    assert np.array_equal(out, want.astype(np.int8)) and total[0] == want.max()


def test_a_loaded_block_carried_unmasked():
    x = np.arange(16, dtype=np.int32) * 3 - 7
    out = np.zeros(16, np.int32)
    launch(vk.carried_block, 1, x, out, 5, BLOCK=16, config=CONFIG)
    assert np.array_equal(out, x + 5)


def test_a_carried_block_is_updated_in_place():
    text = asm(vk.column_sums, "x_ptr:*i32,out_ptr:*i32,n:i32,BLOCK=64")
    body = text.split("column_sums.line")[1].split("loop_exit")[0]
    adds = [line.split() for line in body.splitlines() if "vadd.vv" in line]
    assert len(adds) == 1 and adds[0][1] == adds[0][2], adds  # vadd.vv vC, vC, vx
    assert "vmv.v.v" not in body


def test_a_block_carried_through_a_loop_on_the_rtl():
    n, block = 300, 64
    x = np.random.default_rng(8).integers(-1000, 1000, n).astype(np.int32)
    out = np.zeros(block, np.int32)
    launch(vk.column_sums, 1, x, out, n, BLOCK=block, config=CONFIG, sim="rtl")
    want = np.zeros(block, np.int64)
    np.add.at(want, np.arange(n) % block, x)
    assert np.array_equal(out, want.astype(np.int32))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 1500), block=st.sampled_from([16, 32, 64]),
       seed=st.integers(0, 2**16))
def test_carried_blocks_property(n, block, seed):
    """Random lengths and blocks: the carried int32 sums and the carried int8 maxima
    (its block up to 256: an LMUL-8 group of int8 at VLEN 256) against numpy."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-1000, 1000, max(n, 1)).astype(np.int32)
    sums = np.zeros(block, np.int32)
    launch(vk.column_sums, 1, x, sums, n, BLOCK=block, config=CONFIG)
    want = np.zeros(block, np.int64)
    np.add.at(want, np.arange(n) % block, x[:n])
    assert np.array_equal(sums, want.astype(np.int32))
    x8 = rng.integers(-128, 128, max(n, 1)).astype(np.int8)
    best, total = np.zeros(4 * block, np.int8), np.zeros(1, np.int32)
    launch(vk.running_max, 1, x8, best, total, n, BLOCK=4 * block, config=CONFIG)
    top = np.full(4 * block, -128, np.int64)
    np.maximum.at(top, np.arange(n) % (4 * block), x8[:n])
    assert np.array_equal(best, top.astype(np.int8)) and total[0] == top.max()
