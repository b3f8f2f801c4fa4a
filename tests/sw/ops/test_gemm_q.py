"""The library's gemm_q (sw/ops/gemm.py): int8 x int8 + int32 bias, optional ReLU,
requantized to int8 on the tensor engine, against numpy (`reference_q`, the fixed-point
chain written in integer numpy). Odd shapes and parameters that exercise the
activation clamp and saturation on the interpreter, a property test over shapes,
TDIM 4, one RTL run in lockstep (pysim), and the compile errors of epilogues the
engine cannot fuse."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from oxcore.config import OxCoreConfig, TensorConfig, load_config
from oxcore.errors import CompileError
from sw.compiler.driver import compile_kernel
from sw.compiler.launch import launch
from sw.ops.gemm import gemm_q, reference_q, requantize_reference
from tests.sw.compiler import quant_kernels

TENSOR = load_config("tensor")
LIBRARY = (0x5A3B1C2D, 13, -3)  # sw/kernels' TQ_MULT, TQ_SHIFT, TQ_ZP

# (multiplier, shift, zero point): the library's; a zero point above int8 (ReLU's
# floor saturates to 127); below it (ReLU's floor -128: no clamp); shift 0 and a large
# multiplier (most values saturate); a negative multiplier (ReLU is an upper bound)
PARAMETERS = [LIBRARY, (1 << 30, 10, 300), (1 << 30, 10, -300), (0x7FFF_FFFF, 0, 5),
              (-(1 << 30), 11, 7)]


def run_gemm_q(m: int, n: int, k: int, relu: bool, parameters=LIBRARY, seed: int = 1,
               config: OxCoreConfig = TENSOR, sim: str = "iss"
               ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    bt = rng.integers(-128, 128, (n, k), dtype=np.int8)
    bias = rng.integers(-40_000, 40_000, n, dtype=np.int32)
    c = np.full((m, n), 0x5A, np.int8)  # stale contents must go
    tdim = config.tensor.tdim
    blocks = dict(BLOCK_M=2 * tdim, BLOCK_N=2 * tdim, BLOCK_K=4 * tdim)
    grid = (-(-m // blocks["BLOCK_M"]), -(-n // blocks["BLOCK_N"]))
    launch(gemm_q, grid, a, bt, bias, c, m, n, k, *parameters, sim=sim, config=config,
           RELU=relu, **blocks)
    return c, reference_q(a, bt, bias, *parameters, relu)


@pytest.mark.parametrize("relu", [False, True], ids=["linear", "relu"])
@pytest.mark.parametrize("shape", [(17, 33, 9), (1, 1, 1), (40, 24, 72), (5, 7, 0),
                                   (16, 16, 32)])
def test_gemm_q_matches_numpy_on_the_interpreter(shape, relu: bool) -> None:
    got, want = run_gemm_q(*shape, relu)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("parameters", PARAMETERS, ids=lambda p: f"{p[0]:#x}-{p[1]}-{p[2]}")
@pytest.mark.parametrize("relu", [False, True], ids=["linear", "relu"])
def test_gemm_q_clamps_and_saturates_like_numpy(parameters, relu: bool) -> None:
    got, want = run_gemm_q(19, 21, 40, relu, parameters)
    np.testing.assert_array_equal(got, want)


def test_the_parameters_reach_both_ends_of_int8() -> None:
    """The cases above are not vacuous: saturation at both ends, ReLU's floor."""
    _, saturated = run_gemm_q(19, 21, 40, False, (0x7FFF_FFFF, 0, 5))
    assert {-128, 127} <= set(np.unique(saturated).tolist())
    _, floored = run_gemm_q(19, 21, 40, True, LIBRARY)
    assert floored.min() == -3 and (floored == -3).mean() > 0.2


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 70), st.booleans(),
       st.integers(-200, 200), st.integers(0, 16))
def test_gemm_q_random_shapes(m: int, n: int, k: int, relu: bool, zero_point: int,
                              shift: int) -> None:
    got, want = run_gemm_q(m, n, k, relu, (0x5A3B1C2D, shift, zero_point), seed=m + n + k)
    np.testing.assert_array_equal(got, want)


def test_gemm_q_at_tdim_4() -> None:
    config = OxCoreConfig(name="tensor-t4", tensor=TensorConfig(tdim=4))
    got, want = run_gemm_q(13, 18, 37, True, config=config)
    np.testing.assert_array_equal(got, want)


def test_gemm_q_in_lockstep_with_the_rtl() -> None:
    """Every retired instruction compared with the interpreter (pysim in tests): the
    bias tld.w with stride 0, tst.b with tqmin/tqmax set, edges in all dimensions."""
    got, want = run_gemm_q(17, 33, 9, True, sim="rtl")
    np.testing.assert_array_equal(got, want)


def _compile(kernel, signature: str) -> None:
    compile_kernel(kernel, signature, TENSOR)


def _source_line(error: CompileError) -> str:
    return open(error.path).read().splitlines()[error.line - 1]


def test_an_unfusable_residual_is_a_clear_error_at_its_line() -> None:
    with pytest.raises(CompileError, match="no element-wise tile arithmetic") as info:
        _compile(quant_kernels.residual_after_store, quant_kernels.RESIDUAL_AFTER_STORE)
    assert "acc = acc + tl.load(" in _source_line(info.value)
    assert info.value.path == quant_kernels.__file__


def test_a_whole_bias_block_before_requantization() -> None:
    """requantize(A @ B^T + bias2d): the accumulator starts at the 2-D bias (tld.w)."""
    rng = np.random.default_rng(6)
    a = rng.integers(-128, 128, (16, 64), dtype=np.int8)
    bt = rng.integers(-128, 128, (16, 64), dtype=np.int8)
    bias = rng.integers(-40_000, 40_000, (16, 16), dtype=np.int32)
    c = np.zeros((16, 16), np.int8)
    launch(quant_kernels.bias_block, 1, a, bt, bias, c, 64, BLOCK=16, BLOCK_K=32,
           config=TENSOR)
    acc = a.astype(np.int64) @ bt.astype(np.int64).T + bias
    np.testing.assert_array_equal(c, requantize_reference(acc, 1 << 30, 4, 0))


def test_a_relu_with_another_floor_is_a_clear_error_at_its_line() -> None:
    with pytest.raises(CompileError, match="no element-wise tile arithmetic") as info:
        _compile(quant_kernels.biased_dot, quant_kernels.BIASED_DOT + ",START=0,FLOOR=5")
    assert "tl.maximum(acc, FLOOR)" in _source_line(info.value)


def test_requantize_parameters_must_be_scalars() -> None:
    from tests.sw.compiler import bad_quant_kernels
    with pytest.raises(CompileError, match="multiplier must be a scalar") as info:
        _compile(bad_quant_kernels.block_multiplier, bad_quant_kernels.SIGNATURE)
    assert "tl.requantize(" in _source_line(info.value)


def test_gemm_q_keeps_its_arguments_in_registers() -> None:
    """No spill at the registry's block sizes: a reloaded argument, a scalar load,
    would wait for the engines to drain at every program's start (regalloc offers
    t5/t6 when nothing spills; gemm_q needs 30 x registers)."""
    signature = ("a_ptr:*i8,bt_ptr:*i8,bias_ptr:*i32,c_ptr:*i8,M:i32,N:i32,K:i32,"
                 "multiplier:i32,shift:i32,zero_point:i32,BLOCK_M=16,BLOCK_N=16,"
                 "BLOCK_K=32,RELU=true")
    compiled = compile_kernel(gemm_q, signature, TENSOR)
    assert dict(compiled.stats)["spills_x"] == 0
    assert "tst.b" in compiled.asm and "csrw tqmin" in compiled.asm
    assert "tzero" in compiled.asm  # the deferred store's registers at entry, empty tiles
    assert "tld.w" in compiled.asm and "tst.w" not in compiled.asm


def test_the_registry_reference_is_the_library_reference() -> None:
    """sw/kernels' gemm_q reference (numpy, written there) agrees with sw/ops' one on
    random data, so `oxcore cosim --kernel gemm_q` checks the same function."""
    from sw.kernels import KERNELS, TQ_MULT, TQ_SHIFT, TQ_ZP
    rng = np.random.default_rng(5)
    a = rng.integers(-128, 128, (23, 50), dtype=np.int8)
    bt = rng.integers(-128, 128, (31, 50), dtype=np.int8)
    bias = rng.integers(-(1 << 15), 1 << 15, 31, dtype=np.int32)
    registry = KERNELS["gemm_q"].reference(A=a, BT=bt, bias=bias)["C"]
    np.testing.assert_array_equal(
        registry, reference_q(a, bt, bias, TQ_MULT, TQ_SHIFT, TQ_ZP, True))


def test_a_second_requantization_is_a_clear_error_at_its_line() -> None:
    """tst.b's parameters are CSRs written once per kernel: a second set would change
    the first store's."""
    from tests.sw.compiler import bad_quant_kernels
    with pytest.raises(CompileError, match="one tl.requantize per kernel") as info:
        _compile(bad_quant_kernels.two_requantizations, bad_quant_kernels.SIGNATURE)
    assert "q = tl.requantize(x, 1 << 29" in _source_line(info.value)


def test_requantize_of_a_loaded_int32_tile_runs() -> None:
    """Not only a dot's accumulator: any int32 tile block, here straight from memory,
    stored by tst.b."""
    x = np.random.default_rng(3).integers(-(1 << 24), 1 << 24, (16, 16), dtype=np.int32)
    out = np.zeros((16, 16), np.int8)
    launch(quant_kernels.requantize_tile, (1,), x, out, 1 << 30, 4, -7, sim="iss",
           config=TENSOR, BLOCK=16)
    np.testing.assert_array_equal(out, requantize_reference(x, 1 << 30, 4, -7))
