"""The compiled GEMM (sw/ops/gemm.py) on the tensor engine, against numpy: odd shapes
on the golden interpreter (directed and random), TDIM 4 and 16, the RTL in lockstep,
forced register spills, and compile errors at the kernel's source line."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from oxcore.config import OxCoreConfig, TensorConfig, load_config
from oxcore.errors import CompileError, OxCoreError
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import (LaunchError, build_launch_program, launch, run_launch_program,
                                signature_text)
from sw.compiler.emit import assembly
from sw.ops.gemm import gemm, gemm_q, reference
from tests.sw.compiler import kernels, pipelined_kernels, quant_kernels, window_kernels

TENSOR = load_config("tensor")


def tensor_config(tdim: int) -> OxCoreConfig:
    return OxCoreConfig(name=f"tensor-t{tdim}", tensor=TensorConfig(tdim=tdim))


def operands(m: int, n: int, k: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    bt = rng.integers(-128, 128, (n, k), dtype=np.int8)
    return a, bt, np.full((m, n), 0x5A5A5A5A, np.int32)  # stale contents must go


def run_gemm(m: int, n: int, k: int, config: OxCoreConfig = TENSOR, sim: str = "iss",
             **options) -> tuple[np.ndarray, np.ndarray]:
    a, bt, c = operands(m, n, k)
    tdim = config.tensor.tdim
    blocks = dict(BLOCK_M=2 * tdim, BLOCK_N=2 * tdim, BLOCK_K=4 * tdim)
    grid = (-(-m // blocks["BLOCK_M"]), -(-n // blocks["BLOCK_N"]))
    launch(gemm, grid, a, bt, c, m, n, k, sim=sim, config=config, **options, **blocks)
    return c, reference(a, bt)


@pytest.mark.parametrize("shape", [(17, 33, 9), (40, 24, 72), (1, 1, 1), (16, 16, 32), (5, 7, 0),
                                   (33, 17, 65), (64, 8, 100)])
def test_gemm_matches_numpy_on_the_interpreter(shape) -> None:
    got, want = run_gemm(*shape)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("tdim", [4, 16])
def test_gemm_at_other_tile_sizes(tdim: int) -> None:
    got, want = run_gemm(21, 35, 70, tensor_config(tdim))
    np.testing.assert_array_equal(got, want)


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 48), st.integers(1, 48), st.integers(1, 80))
def test_gemm_random_shapes(m: int, n: int, k: int) -> None:
    got, want = run_gemm(m, n, k)
    np.testing.assert_array_equal(got, want)


def test_gemm_in_lockstep_with_the_rtl() -> None:
    """Every retired instruction compared with the interpreter (pysim in tests), edges
    in all three dimensions."""
    got, want = run_gemm(17, 33, 9, sim="rtl")
    np.testing.assert_array_equal(got, want)


def run_residual(m: int, n: int, k: int, in_place: bool = False, sim: str = "iss"
                 ) -> tuple[np.ndarray, np.ndarray]:
    """C = A @ B + R through `quant_kernels.gemm_residual` (R is C when `in_place`)."""
    a, bt, c = operands(m, n, k)
    r = np.random.default_rng(k).integers(-2**31, 2**31, (m, n)).astype(np.int32)
    if in_place:
        c = r.copy()
    launch(quant_kernels.gemm_residual, (-(-m // 16), -(-n // 16)), a, bt, c if in_place else r,
           c, m, n, k, BLOCK_M=16, BLOCK_N=16, BLOCK_K=32, config=TENSOR, sim=sim)
    want = reference(a, bt).astype(np.int64) + r
    return c, ((want + 2**31) % 2**32 - 2**31).astype(np.int32)


@pytest.mark.parametrize("shape", [(17, 33, 9), (40, 24, 72), (16, 16, 0)])
@pytest.mark.parametrize("in_place", [False, True], ids=["c_r", "c_c"])
def test_a_residual_added_to_the_dot_starts_the_accumulator(shape, in_place) -> None:
    """acc + tl.load(r2d) after the K loop: the accumulator starts at R's tiles (tld.w),
    also when R is C itself (BLAS's beta = 1)."""
    got, want = run_residual(*shape, in_place)
    np.testing.assert_array_equal(got, want)


def test_a_residual_in_lockstep_with_the_rtl() -> None:
    got, want = run_residual(17, 20, 40, sim="rtl")
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("sim", ["iss", pytest.param("rtl", marks=pytest.mark.long)])
def test_memory_after_the_accumulator_store_sees_it(sim) -> None:
    """A load after the tile store reads what it stored: such a store is not deferred
    into the next program (it was, and the load read the old C)."""
    a, bt, _ = operands(16, 16, 64)
    c, first = np.full((16, 16), 7, np.int32), np.zeros(2, np.int32)
    launch(quant_kernels.gemm_then_read_back, 2, a, bt, c, first, 64, BLOCK=16, BLOCK_K=32,
           config=TENSOR, sim=sim)
    np.testing.assert_array_equal(c, reference(a, bt))
    assert first.tolist() == [c[0, 0], c[0, 0]]


def test_a_broken_core_is_caught_running_compiled_code() -> None:
    with pytest.raises(LaunchError, match="diverge|differ|mismatch"):
        a, bt, c = operands(9, 9, 9)
        compiled = compile_kernel(gemm, signature_text(gemm, (a, bt, c, 9, 9, 9), dict(
            BLOCK_M=16, BLOCK_N=16, BLOCK_K=32)), TENSOR)
        elf, layout = build_launch_program(compiled, (1, 1), (a, bt, c, 9, 9, 9), TENSOR)
        run_launch_program(elf, layout, TENSOR, "rtl", faults=("forward-wrong-stage",))


@pytest.mark.parametrize("sim", ["iss", "rtl"])
def test_forced_spills_run_correctly(sim: str) -> None:
    """Seven x registers for a kernel that needs about twenty-seven: most values live
    in stack slots, reloaded at every use, and the results still match."""
    m, n, k = 20, 18, 40
    a, bt, c = operands(m, n, k)
    args = (a, bt, c, m, n, k)
    constexprs = dict(BLOCK_M=16, BLOCK_N=16, BLOCK_K=32)
    few = {"x": [5, 6, 7, 28, 29, 10, 11], "v": list(range(1, 32)), "m": list(range(8))}
    compiled = compile_kernel(gemm, signature_text(gemm, args, constexprs), TENSOR,
                              allocatable=few)
    assert dict(compiled.stats)["spills_x"] > 10
    elf, layout = build_launch_program(compiled, (2, 2), args, TENSOR)
    result = run_launch_program(elf, layout, TENSOR, sim)
    np.testing.assert_array_equal(result.arrays[2], reference(a, bt))


ROW_MAJOR_B = ("a_ptr:*i8,b_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,stride_am:i32,"
               "stride_bk:i32,stride_cm:i32,BLOCK_M=16,BLOCK_N={n},BLOCK_K={k}")


def run_row_major_b(m: int, n: int, k: int, sim: str = "iss", block_n: int = 16,
                    block_k: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """tests/sw/compiler/kernels.py's gemm, B given as [K][N] (Triton's layout, N
    consecutive): C against numpy's A @ B."""
    rng = np.random.default_rng(m * 10_000 + n * 100 + k)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    c = np.full((m, n), 0x5A5A5A5A, np.int32)
    grid = (-(-m // 16), -(-n // block_n))
    launch(kernels.gemm, grid, a, b, c, m, n, k, k, n, n, BLOCK_M=16, BLOCK_N=block_n,
           BLOCK_K=block_k, sim=sim, config=TENSOR)
    return c, a.astype(np.int64) @ b.astype(np.int64)


@pytest.mark.parametrize("shape", [(17, 33, 9), (40, 24, 72), (1, 1, 1), (16, 16, 32),
                                   (33, 17, 65)])
def test_row_major_b_loads_transposed_and_matches_numpy(shape) -> None:
    """B as [K][N] (N consecutive): each tile is a tld.bt (4*TDIM rows of B, TDIM bytes
    each), its edges cut by trows (N) and tcolb (K)."""
    got, want = run_row_major_b(*shape)
    np.testing.assert_array_equal(got, want)


def test_row_major_b_in_lockstep_with_the_rtl() -> None:
    got, want = run_row_major_b(20, 19, 40, sim="rtl")
    np.testing.assert_array_equal(got, want)


def test_row_major_b_is_loaded_by_tld_bt() -> None:
    compiled = compile_kernel(kernels.gemm, ROW_MAJOR_B.format(n=16, k=32), TENSOR)
    mnemonics = [line.split()[0] for line in compiled.asm.splitlines()
                 if line.startswith("    ")]
    assert mnemonics.count("tld.bt") >= 2 and "tld.b" in mnemonics  # B's tiles, A's


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 140), st.sampled_from([32, 64]))
def test_row_major_b_random_shapes(m: int, n: int, k: int, block_k: int) -> None:
    """The software-pipelined K loop (tld.bt's B) over random shapes: 1 to 5
    iterations, so the prefetch is taken, skipped at the last one, or never made."""
    got, want = run_row_major_b(m, n, k, block_k=block_k)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("m, n, k, block_k", [(20, 19, 100, 32), (9, 30, 150, 64)])
def test_pipelined_k_loop_in_lockstep_with_the_rtl(m, n, k, block_k) -> None:
    """Prefetched tiles over several iterations (4 and 3) and programs, every retired
    instruction compared with the interpreter's."""
    got, want = run_row_major_b(m, n, k, sim="rtl", block_k=block_k)
    np.testing.assert_array_equal(got, want)


def _loop_body(asm: str) -> list[str]:
    """The instructions of the kernel's K loop (its label to its back branch)."""
    lines = asm.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\w+\.line\d+:", line))
    label = lines[start].rstrip(":")
    end = next(i for i in range(start, len(lines)) if lines[i].strip().endswith(label))
    return [line.split("#")[0].strip() for line in lines[start + 1:end + 1]
            if line.startswith("    ")]


def test_row_major_b_k_loop_is_software_pipelined() -> None:
    """B's tld.bt (36 cycles at TDIM 8) is longer than a tmma (32): the engine model
    picks the pipelined order (sw/compiler/kloop.py, test_kloop.py's hand schedule):
    load A0; tmma C00; load A1, B1; tmma C10, C01; then, unless this is the last
    iteration, B0's next tile into the register C00 and C10 read; tmma C11."""
    compiled = compile_kernel(kernels.gemm, ROW_MAJOR_B.format(n=16, k=32), TENSOR)
    body = _loop_body(compiled.asm)
    tiles = [line.split(",")[0].split() for line in body
             if line.split()[0] in ("tld.b", "tld.bt", "tmma")]
    assert [t[0] for t in tiles] == ["tld.b", "tmma", "tld.b", "tld.bt", "tmma", "tmma",
                                     "tld.bt", "tmma"]
    reads = [line.split(",")[1:] for line in body if line.startswith("tmma")]
    b0 = tiles[6][1]  # the prefetched tile's register: C00's and C10's B
    assert reads[0][1].strip() == b0 and reads[1][1].strip() == b0
    assert "K loop body: load A0; tmma C00; load A1; load B1; tmma C10; tmma C01; " \
        "prefetch B0; tmma C11" in compiled.asm
    # the prefetch sits behind a branch past it for the last iteration
    prefetch = max(i for i, line in enumerate(body) if line.startswith(f"tld.bt {b0},"))
    guard = max(i for i in range(prefetch) if body[i].startswith("bge "))
    assert body[guard].split()[-1] + ":" in compiled.asm.rsplit(body[prefetch], 1)[1]


def test_b_transposed_k_loop_keeps_selection_order() -> None:
    """With B^T's 12-cycle tld.b loads the model finds no faster order: the loop is
    selected as before (each tile loaded just before its first use, no prefetch)."""
    signature = "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,BLOCK_M=16,BLOCK_N=16,BLOCK_K=32"
    asm = compile_kernel(gemm, signature, TENSOR).asm
    assert "tmma" in asm and "nothing to prefetch" not in asm


def test_num_stages_turns_k_loop_pipelining_off_and_on() -> None:
    """Triton's num_stages: 1 keeps selection's order even where the model pipelines
    (B row-major); 2 pipelines where the model would not (B^T), and the result still
    matches numpy on odd shapes, on the interpreter and the RTL in lockstep."""
    row_major = compile_kernel(kernels.gemm, ROW_MAJOR_B.format(n=16, k=32), TENSOR,
                               num_stages=1)
    assert "nothing to prefetch" not in row_major.asm
    signature = "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,BLOCK_M=16,BLOCK_N=16,BLOCK_K=32"
    assert "nothing to prefetch" in compile_kernel(gemm, signature, TENSOR, num_stages=2).asm
    for shape, sim in (((33, 17, 65), "iss"), ((40, 24, 100), "iss"), ((20, 9, 72), "rtl")):
        got, want = run_gemm(*shape, sim=sim, num_stages=3)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("m, n, k", [(4, 8, 75), (4, 27, 75), (24, 25, 148)])
def test_a_tile_loaded_first_may_be_empty(m, n, k) -> None:
    """Pipelined 2x1 blocks (num_stages=2) load A1 first in the loop; with M = 4 it is
    empty (a tzero). Its edge CSR value used to be computed after the branch to its
    empty path and shared with B0's load, which then read a stale register at the K
    edge (wrong columns, found by a random sweep)."""
    a, bt, c = operands(m, n, k, seed=k)
    launch(gemm, (-(-m // 16), -(-n // 8)), a, bt, c, m, n, k, config=TENSOR, num_stages=2,
           BLOCK_M=16, BLOCK_N=8, BLOCK_K=32)
    np.testing.assert_array_equal(c, reference(a, bt))


@pytest.mark.parametrize("m, n, k", [(17, 33, 9), (40, 24, 72), (16, 16, 100)])
def test_a_value_computed_in_a_branch_of_the_k_loop_is_not_reused_after_it(m, n, k) -> None:
    """The peeled iteration shares its bounds between tiles; one computed inside an
    `if` of the loop body (`t - M`) must not be read after the join, where the other
    side never computed it (review finding: C was wrong everywhere)."""
    a, bt, c = operands(m, n, k, seed=m + n + k)
    launch(pipelined_kernels.gemm_branch_in_k_loop, (-(-m // 16), -(-n // 16)), a, bt, c, m, n, k,
           config=TENSOR, BLOCK_M=16, BLOCK_N=16, BLOCK_K=32)
    np.testing.assert_array_equal(c, reference(a, bt))


@pytest.mark.parametrize("num_stages", [None, 2])
@pytest.mark.parametrize("m, n, k", [(17, 33, 9), (40, 24, 72), (16, 16, 130)])
def test_pointer_steps_before_the_dot(m, n, k, num_stages) -> None:
    """A K loop stepping its pointers before tl.dot: the prefetch selects the steps
    too, behind its guard; the loop's own yield must use its own."""
    rng = np.random.default_rng(m * n + k)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    c = np.zeros((m, n), np.int32)
    launch(pipelined_kernels.gemm_kn_pointers_first, (-(-m // 16), -(-n // 16)), a, b, c, m, n, k,
           config=TENSOR, num_stages=num_stages, BLOCK_M=16, BLOCK_N=16, BLOCK_K=32)
    np.testing.assert_array_equal(c, a.astype(np.int64) @ b.astype(np.int64))


@pytest.mark.parametrize("value", [0, -1, "2", 1.5, True])
def test_a_bad_num_stages_is_a_clear_error(value) -> None:
    with pytest.raises(OxCoreError, match=r"num_stages=.*: give 1 \(no K-loop software "
                       r"pipelining\), 2 or more"):
        run_gemm(16, 16, 32, num_stages=value)


def test_block_k_must_fill_operand_tiles() -> None:
    signature = "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,BLOCK_M=16,BLOCK_N=16,BLOCK_K=16"
    with pytest.raises(CompileError, match=r"gemm.py:\d+:\d+: error: this load: a 16x16 i8 "
                       r"block does not divide into tiles of 8 rows x 32 consecutive"):
        compile_kernel(gemm, signature, TENSOR)


def test_the_kernels_loops_are_labelled_with_their_source_lines() -> None:
    """`gemm.programs` and `gemm.line<N>` (N: the `for` line of sw/ops/gemm.py) are kept
    symbols, which the loop profile and the disassembler name the loops by."""
    import inspect
    from sw.ops import gemm as gemm_module
    lines, first = inspect.getsourcelines(gemm.fn)
    for_line = first + next(i for i, text in enumerate(lines) if text.strip().startswith("for k"))
    signature = "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,BLOCK_M=16,BLOCK_N=16," \
                "BLOCK_K=32"
    asm = compile_kernel(gemm, signature, TENSOR).asm
    assert gemm_module.__file__.endswith("gemm.py")
    labels = [line[:-1] for line in asm.splitlines() if line.endswith(":")]
    assert "gemm.programs" in labels and f"gemm.line{for_line}" in labels
    assert not [label for label in labels if label.startswith("gemm.") and
                label not in ("gemm.programs", f"gemm.line{for_line}")]


# ---- masks with lower bounds: trow0 ----------------------------------------------------
def _window_reference(a: np.ndarray, bt: np.ndarray, m: int, lo: int, hi: int, on: int,
                      step: int) -> np.ndarray:
    """Row by row, in Python's terms: which rows of A the mask lets through."""
    rows = np.zeros((m, a.shape[1]), np.int64)
    for i in range(m):
        if on and lo <= i * step < hi:
            rows[i] = a[i * step]
    return (rows @ bt.astype(np.int64).T).astype(np.int32)


@pytest.mark.parametrize("lo, hi, on, step", [(3, 13, 1, 1), (-5, 40, 1, 2), (9, 31, 1, 3),
                                              (0, 40, 0, 1), (20, 5, 1, 1), (17, 60, 1, 2)])
def test_lower_bounds_and_block_conditions_mask_tile_rows(lo, hi, on, step) -> None:
    """Rows before LO (trow0), from HI on (trows), all when ON is 0 (the tile skipped),
    over an index strided by STEP (a shift, or a division for 3), on the interpreter."""
    m, n, k = 24, 16, 40
    rng = np.random.default_rng(lo + 100 * step)
    a = rng.integers(-128, 128, (m * step, k), dtype=np.int8)
    bt = rng.integers(-128, 128, (n, k), dtype=np.int8)
    c = np.full((m, n), 0x5A5A5A5A, np.int32)
    launch(window_kernels.row_window_gemm, (2, 1), a, bt, c, m, n, k, lo, hi, on, config="tensor",
           STEP=step, BLOCK_M=16, BLOCK_N=16, BLOCK_K=32)
    np.testing.assert_array_equal(c, _window_reference(a, bt, m, lo, hi, on, step))


@pytest.mark.parametrize("lo, sim", [(5, "iss"), (-3, "iss"), (19, "iss"), (40, "iss"),
                                     (11, "rtl")])
def test_a_lower_bound_on_the_rows_of_a_tile_store(lo, sim) -> None:
    """Rows before LO keep what C held (trow0 on each tile store: none, part of the
    first tile, part of the second program's, all); the store is made in its own
    program, not deferred to the next one, whose own store then still lands. Once on
    the RTL (pysim, co-simulated against the interpreter by `launch`)."""
    m, n, k = 24, 16, 40
    rng = np.random.default_rng(lo + 7)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    bt = rng.integers(-128, 128, (n, k), dtype=np.int8)
    c = np.full((m, n), 0x5A5A5A5A, np.int32)
    expected = c.copy()
    product = (a.astype(np.int64) @ bt.astype(np.int64).T).astype(np.int32)
    expected[max(lo, 0):] = product[max(lo, 0):]
    launch(window_kernels.row_window_store, (2, 1), a, bt, c, m, n, k, lo, config="tensor",
           sim=sim, backend="pysim" if sim == "rtl" else "auto", BLOCK_M=16, BLOCK_N=16,
           BLOCK_K=32)
    np.testing.assert_array_equal(c, expected)


def test_trow0_is_written_only_where_a_mask_has_a_lower_bound() -> None:
    """The gemm's code does not change (no trow0 write: its edges stay those of trows
    and tcolb); the windowed one writes trow0 with them, and clears it before it
    returns (the ABI: the gemm relies on trow0 being 0)."""
    plain = "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,BLOCK_M=16,BLOCK_N=16,BLOCK_K=32"
    windowed = ("a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,LO:i32,HI:i32,ON:i32,"
                "STEP=1,BLOCK_M=16,BLOCK_N=16,BLOCK_K=32")
    assert "trow0" not in compile_kernel(gemm, plain, TENSOR).asm
    asm = compile_kernel(window_kernels.row_window_gemm, windowed, TENSOR).asm
    assert re.search(r"csrw trow0, (?!zero)", asm)  # from the packed edges
    body = asm.splitlines()
    clear = body.index("    csrw trow0, zero    # trow0 back at 0 (abi)")
    assert [line.split()[0] for line in body[clear:]].count("ret") == 1


@pytest.mark.parametrize("name, message", [
    ("column_lower_bound", "this load's mask has a lower bound on the block's consecutive "
                           "dimension (1): the tensor engine can skip a tile's first rows"),
    ("store_column_lower_bound", "this store's mask has a lower bound on the block's "
                                 "consecutive dimension (1): the tensor engine can skip"),
])
def test_masks_the_tile_engine_cannot_express_are_errors_at_their_line(name, message) -> None:
    kernel = getattr(window_kernels, name)
    with pytest.raises(CompileError) as info:
        compile_kernel(kernel, "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,K:i32,LO:i32,BLOCK=8", TENSOR)
    source = open(window_kernels.__file__).read().splitlines()
    start = next(i for i, text in enumerate(source) if f"def {name}(" in text)
    wanted = "tl.load(a_ptr" if name == "column_lower_bound" else "tl.store("
    line = next(i for i, text in enumerate(source[start:], start + 1) if wanted in text)
    assert f"window_kernels.py:{line}:" in str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize("kernel, signature, shares", [
    (gemm, "a_ptr:*i8,bt_ptr:*i8,c_ptr:*i32,M:i32,N:i32,K:i32,BLOCK_M=16,BLOCK_N=16,"
           "BLOCK_K=32", True),
    (gemm_q, "a_ptr:*i8,bt_ptr:*i8,bias_ptr:*i32,c_ptr:*i8,M:i32,N:i32,K:i32,multiplier:i32,"
             "shift:i32,zero_point:i32,RELU=1,BLOCK_M=16,BLOCK_N=16,BLOCK_K=32", False)])
def test_the_peeled_iteration_shares_its_bounds_unless_that_spills(kernel, signature,
                                                                    shares) -> None:
    """Shared, the peeled iteration's tile bounds (the K clamp each tile computed again)
    take 12 instructions off every gemm program; in gemm_q, whose program uses 30 x
    registers, they would spill, so the driver keeps the unshared code."""
    from xdsl.dialects import func
    from sw.compiler.driver import _back_end, compile_to_ir
    module = compile_to_ir(kernel, signature, False, io.StringIO())
    function = next(op for op in module.ops if isinstance(op, func.FuncOp))
    variants = {share: _back_end(function, TENSOR, None, None, share) for share in (True, False)}
    size = {share: sum(len(b.instrs) for b in v[2].blocks) for share, v in variants.items()}
    assert size[True] < size[False]
    assert (variants[True][1].spill_instructions > 0) == (not shares)
    compiled = compile_kernel(kernel, signature, TENSOR, use_cache=False)
    assert compiled.asm == assembly(variants[shares][2])
