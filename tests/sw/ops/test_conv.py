"""conv2d (sw/ops/conv.py): the implicit GEMM on the tensor engine against numpy's sums
over the taps, at odd shapes, strides and paddings (masked in the kernel: trow0/trows
for the columns left and right of the image, skipped tiles for the rows above and
below); its static_range taps; the deferred store in straight-line code; one lockstep
RTL run."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oxcore.config import load_config
from sw.compiler import driver
from sw.compiler import language as tl
from sw.compiler.launch import LaunchError, launch, signature_text
from sw.ops import conv


def _random(shape, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, shape, dtype=np.int8)


def _naive(x: np.ndarray, f: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """Output pixel by output pixel, in Python ints: a second, independent reference."""
    n, h, w, c = x.shape
    co, kh, kw, _ = f.shape
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    y = np.zeros((n, oh, ow, co), dtype=np.int64)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for di in range(kh):
                    for dj in range(kw):
                        r, s = i * stride + di - padding, j * stride + dj - padding
                        if 0 <= r < h and 0 <= s < w:
                            y[b, i, j] += f[:, di, dj, :].astype(np.int64) @ x[b, r, s].astype(
                                np.int64)
    return y.astype(np.int32)


@pytest.mark.parametrize("n, h, w, c, co, k, stride, padding", [
    (1, 5, 5, 3, 5, 3, 1, 1),      # fewer channels than a tile row: tcolb cuts them
    (2, 7, 9, 40, 17, 3, 2, 1),    # two channel steps, the second partial; stride 2
    (1, 6, 6, 8, 8, 1, 1, 0),      # 1x1
    (1, 9, 9, 5, 3, 1, 2, 0),      # 1x1, stride 2
    (1, 3, 20, 64, 16, 3, 1, 1),   # a row wider than one block of pixels
    (1, 6, 5, 4, 4, 3, 1, 0),      # no padding
    (1, 1, 1, 1, 1, 1, 1, 0),
    (1, 5, 7, 8, 8, 3, 1, 2),      # padding 2: two rows of each tile before the image
    (1, 7, 9, 8, 8, 3, 2, 2),      # padding 2, stride 2
    (1, 3, 19, 8, 8, 3, 1, 1),     # the right edge in a second block of pixels
    (1, 8, 11, 16, 8, 5, 3, 2),    # 5x5, stride 3 (a mask bound divided by 3)
    (1, 2, 2, 4, 4, 3, 1, 2),      # padding wider than the image: taps all outside
])
def test_conv2d_matches_numpy(n, h, w, c, co, k, stride, padding):
    x, f = _random((n, h, w, c), 1), _random((co, k, k, c), 2)
    y = conv.run_conv2d(x, f, stride, padding)
    expected = _naive(x, f, stride, padding)
    assert np.array_equal(y, expected)
    assert np.array_equal(conv.reference(x, f, stride, padding), expected)


@settings(max_examples=8, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 19), c=st.integers(1, 40), co=st.integers(1, 20),
       k=st.sampled_from([1, 3]), stride=st.integers(1, 2), padding=st.integers(0, 1),
       seed=st.integers(0, 2**16))
def test_conv2d_random_shapes(h, w, c, co, k, stride, padding, seed):
    if h + 2 * padding < k or w + 2 * padding < k:
        return
    x, f = _random((1, h, w, c), seed), _random((co, k, k, c), seed + 1)
    assert np.array_equal(conv.run_conv2d(x, f, stride, padding), _naive(x, f, stride, padding))


def test_conv2d_in_lockstep_with_the_rtl():
    """Padding 1: trow0 for the left column's taps, skipped tiles for the rows above
    and below, on the RTL's load/store unit."""
    x, f = _random((1, 4, 6, 8), 3), _random((5, 3, 3, 8), 4)
    y = conv.run_conv2d(x, f, 1, 1, sim="rtl", backend="pysim")
    assert np.array_equal(y, _naive(x, f, 1, 1))


@pytest.mark.long
def test_conv2d_padding_2_stride_2_in_lockstep_with_the_rtl():
    x, f = _random((1, 5, 7, 8), 5), _random((4, 3, 3, 8), 6)
    y = conv.run_conv2d(x, f, 2, 2, sim="rtl", backend="pysim")
    assert np.array_equal(y, _naive(x, f, 2, 2))


def test_bad_shapes_are_clear_errors():
    with pytest.raises(LaunchError, match="same C"):
        conv.run_conv2d(_random((1, 4, 4, 3), 0), _random((2, 3, 3, 4), 0))
    with pytest.raises(LaunchError, match="does not fit"):
        conv.run_conv2d(_random((1, 2, 2, 3), 0), _random((2, 3, 3, 3), 0))
    with pytest.raises(LaunchError, match="x must be int8"):
        conv.run_conv2d(np.zeros((1, 4, 4, 3), np.int32), _random((2, 3, 3, 3), 0))
    with pytest.raises(LaunchError, match="tensor engine"):
        conv.run_conv2d(_random((1, 4, 4, 3), 0), _random((2, 3, 3, 3), 0), config="default")


def _assembly(kernel, args, **constexprs) -> str:
    sig = signature_text(kernel, args, constexprs)
    return driver.compile_kernel(kernel, sig, load_config("tensor")).asm


def test_the_previous_programs_store_follows_the_first_loads():
    """Straight-line taps: the accumulator store of program p is emitted in program
    p+1, after its first two tile loads and before its first tmma (the in-order
    load/store unit then loads ahead of the store, which waits for the last tmma)."""
    x, f, y = np.zeros((1, 8, 8, 32), np.int8), np.zeros((16, 3, 3, 32), np.int8), \
        np.zeros((1, 8, 8, 16), np.int32)
    asm = _assembly(conv.conv2d, (x, f, y, 8, 8, 8, 8, 16), C=32, KH=3, KW=3,
                    STRIDE=1, PAD=1, BLOCK_M=16, BLOCK_N=16, BLOCK_K=32)
    body = asm[asm.index("_program"):]
    ops = [line.split()[0] for line in body.splitlines()
           if line.strip().split(" ")[0] in ("tld.b", "tst.w", "tmma")]
    assert ops[:3] == ["tld.b", "tld.b", "tst.w"]
    assert ops.index("tmma") > ops.index("tst.w")
    assert ops.count("tmma") == 9 * 4


@tl.kernel
def taps_around_a_channel_loop(x_ptr, f_ptr, y_ptr, WP, C, CO, KW: tl.constexpr,
                               BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                               BLOCK_K: tl.constexpr):
    """A 1-D convolution along W with a runtime channel count: one loop per tap, the
    accumulator carried from each to the next (a chain of loops)."""
    ow0 = tl.program_id(0) * BLOCK_M
    offs_m = tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    ow = WP - KW + 1
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for kw in tl.static_range(KW):
        a_ptrs = x_ptr + (ow0 + kw + offs_m[:, None]) * C + offs_k[None, :]
        b_ptrs = f_ptr + kw * C + offs_k[:, None] + offs_n[None, :] * (KW * C)
        for c in range(0, C, BLOCK_K):
            a = tl.load(a_ptrs, mask=(offs_m[:, None] < ow - ow0) & (offs_k[None, :] < C - c))
            b = tl.load(b_ptrs, mask=(offs_k[:, None] < C - c) & (offs_n[None, :] < CO))
            acc = tl.dot(a, b, acc)
            a_ptrs += BLOCK_K
            b_ptrs += BLOCK_K
    tl.store(y_ptr + (ow0 + offs_m[:, None]) * CO + offs_n[None, :], acc,
             mask=(offs_m[:, None] < ow - ow0) & (offs_n[None, :] < CO))


@pytest.mark.parametrize("c", [0, 5, 40, 64])
def test_a_chain_of_tap_loops_defers_the_store_and_handles_no_channels(c):
    """The store is deferred into the first tap's loop (peeled); with C = 0 no loop runs
    and the output is zeros (the skipped loops' hoisted values are still defined)."""
    wp, kw, co = 21, 3, 9
    x, f = _random((wp, c), 5), _random((co, kw, c), 6)
    y = np.full((wp - kw + 1, co), 7, np.int32)
    launch(taps_around_a_channel_loop, (2,), x, f, y, wp, c, co, config="tensor", KW=kw,
           BLOCK_M=16, BLOCK_N=16, BLOCK_K=32)
    expected = sum(x[j:j + wp - kw + 1].astype(np.int64) @ f[:, j, :].astype(np.int64).T
                   for j in range(kw))
    assert np.array_equal(y, np.asarray(expected, dtype=np.int64).astype(np.int32)
                          if c else np.zeros_like(y))


def test_the_registry_entry_reads_the_plain_image_and_pads_in_the_kernel():
    """`make cosim KERNEL=conv2d` writes X[N, H, W, C] with random values up to its
    borders (no halo); its launch, built as `make cosim` builds it, runs on the
    interpreter and matches the padded convolution, computed pixel by pixel."""
    import io

    from cosim.iss import Interpreter
    from cosim.kernels import check_outputs, prepare
    from oxcore.config import PRESETS
    from sw.kernels import KERNELS
    kernel = KERNELS["conv2d"]
    params = kernel.parse_shape("1,5,6,3,4,3,2,1")
    case = prepare(kernel, params, PRESETS["tensor"], seed=3)
    x = case.inputs["X"]
    assert x.shape == (1, 5, 6, 3) and x[:, 0].any() and x[:, :, 0].any()
    assert np.array_equal(kernel.expected(case.inputs, params)["Y"],
                          _naive(x, case.inputs["F"], 2, 1))
    interp = Interpreter(PRESETS["tensor"], case.program, io.BytesIO(), io.BytesIO())
    stop = interp.run(5_000_000)
    assert stop.trap is None and stop.exit_code == 0
    check = check_outputs(case, interp.machine.read_bytes)
    assert check.ok, check.errors
