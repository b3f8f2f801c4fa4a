"""conv2d: NHWC int8 convolution as an implicit GEMM on the tensor engine, int32 out.

Layouts are TFLite's: the input X[N, H, W, C], the filters W[CO, KH, KW, C] ("OHWI":
each output channel's filter is KH*KW*C consecutive bytes, i.e. B transposed, as
tmma's second operand wants) and the output Y[N, OH, OW, CO].

The GEMM is implicit: M runs over output pixels, N over output channels, K over (kh,
kw, c). No im2col matrix is built: for one filter tap (kh, kw) the A tile's rows are
TDIM output pixels of one output row, and row i's 4*TDIM bytes are input pixel
(oh*S + kh, (ow0 + i)*S + kw)'s channels c..c+4*TDIM-1: consecutive bytes, rows
S*C bytes apart, which is one `tld.b` with row stride S*C. A program computes a
BLOCK_M x BLOCK_N block of Y (BLOCK_M pixels of one output row) and loops over the
taps (unrolled: `tl.static_range`) and over C in steps of BLOCK_K.

Padding is masked inside the kernel, as a convolution operator does: an input pixel
outside the image (row ih or column iw out of range) reads as 0. The column condition
is a bound on the tile's row index (output pixel i reads column (ow0 + i)*S + kw - P),
which the compiler turns into the tensor engine's first-row and row-count edges
(`trow0`, `trows`: the tile's first rows, left of the image, and its last ones, right
of it, are zeroed); the row condition is the same for the whole tile, so a tap above or
below the image skips its loads (zero tiles). The input is the plain NHWC tensor.
Stride S, padding P, the taps and C are constexprs.

A program's accumulator store is deferred into the next program, after its first
operand loads (`sw/compiler/isel.py`), as in gemm: with the taps unrolled the body is
straight-line code, and the first tl.dot takes the previous program's store.
"""

from __future__ import annotations

import numpy as np

from sw.compiler import language as tl


@tl.kernel
def conv2d(x_ptr, w_ptr, y_ptr, H, W, OH, OW, CO, C: tl.constexpr, KH: tl.constexpr,
           KW: tl.constexpr, STRIDE: tl.constexpr, PAD: tl.constexpr,
           BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """Y = conv(X, W) at stride STRIDE with PAD zero pixels around X[N, H, W, C] (masked,
    not read). Grid: (cdiv(OW, BLOCK_M), N * OH, cdiv(CO, BLOCK_N)).
    C is a constexpr, like the filter size: a layer's structure, fixed when its kernel
    is specialised; the channel loop is then unrolled and its bounds known."""
    ow0 = tl.program_id(0) * BLOCK_M
    row = tl.program_id(1)  # n * OH + oh
    oh = row % OH
    top = (row // OH) * H + oh * STRIDE - PAD  # the window's top row in X (N * H rows)
    ow = ow0 + tl.arange(0, BLOCK_M)  # the block's output pixels
    offs_n = tl.program_id(2) * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    for kh in tl.static_range(KH):
        ih = oh * STRIDE + kh - PAD  # the tap's input row: one for the whole block
        # the padding's masks where a tap can reach it (constexpr conditions, as the
        # filter size is): ih >= 0 holds for kh >= PAD, ih < H for kh < KH - PAD (as
        # oh < OH); columns likewise, for output pixels < OW
        row_inside = True
        if kh < PAD:
            row_inside = ih >= 0
        if kh >= KH - PAD:
            row_inside = row_inside & (ih < H)
        for kw in tl.static_range(KW):
            iw = ow * STRIDE + kw - PAD  # each output pixel's input column
            # iw < W implies ow < OW (kw >= KW - PAD), which the other taps test
            pixel_inside = (ow[:, None] < OW) & row_inside
            if kw >= KW - PAD:
                pixel_inside = (iw[:, None] < W) & row_inside
            if kw < PAD:
                pixel_inside = pixel_inside & (iw[:, None] >= 0)
            for c in tl.static_range(0, C, BLOCK_K):
                a_ptrs = (x_ptr + ((top + kh) * W + iw[:, None]) * C + c
                          + offs_k[None, :])
                b_ptrs = (w_ptr + (kh * KW + kw) * C + c + offs_k[:, None]
                          + offs_n[None, :] * (KH * KW * C))
                a = tl.load(a_ptrs, mask=pixel_inside & (offs_k[None, :] < C - c), other=0)
                b = tl.load(b_ptrs, mask=(offs_k[:, None] < C - c)
                            & (offs_n[None, :] < CO), other=0)
                acc = tl.dot(a, b, acc)
    y_ptrs = y_ptr + (row * OW + ow[:, None]) * CO + offs_n[None, :]
    tl.store(y_ptrs, acc, mask=(ow[:, None] < OW) & (offs_n[None, :] < CO))


def run_conv2d(x: np.ndarray, filters: np.ndarray, stride: int = 1, padding: int = 0, *,
               sim: str = "iss", config: str = "tensor", backend: str = "auto"
               ) -> np.ndarray:
    """Y[N, OH, OW, CO] = conv2d(X[N, H, W, C] int8, filters[CO, KH, KW, C] int8), int32,
    run on the tensor engine (`sim`: "iss" or "rtl", as `oxcore.launch`). Blocks are
    2*TDIM pixels by 2*TDIM output channels (a 2x2 grid of accumulator tiles, half of
    the tile registers) and 4*TDIM channels a step."""
    from sw.compiler.launch import LaunchError, launch
    from sw.ops.checks import require_array, require_tensor_engine
    x = require_array("conv2d", "x", x, 4, ("int8",))
    filters = require_array("conv2d", "filters", filters, 4, ("int8",))
    if x.shape[3] != filters.shape[3]:
        raise LaunchError(f"conv2d: X must be [N, H, W, C] and the filters [CO, KH, KW, C] "
                          f"with the same C; got {list(x.shape)} and {list(filters.shape)}")
    if stride < 1 or padding < 0:
        raise LaunchError(f"conv2d: stride {stride} must be >= 1 and padding {padding} >= 0")
    n, h, w, c = x.shape
    co, kh, kw, _ = filters.shape
    oh, ow = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    if oh < 1 or ow < 1:
        raise LaunchError(f"conv2d: a {kh}x{kw} filter does not fit a {h}x{w} image with "
                          f"padding {padding}")
    tdim = require_tensor_engine("conv2d", config)
    y = np.zeros((n, oh, ow, co), dtype=np.int32)
    block_m = block_n = 2 * tdim
    grid = (-(-ow // block_m), n * oh, -(-co // block_n))
    launch(conv2d, grid, x, filters, y, h, w, oh, ow, co, sim=sim, config=config,
           backend=backend, C=c, KH=kh, KW=kw, STRIDE=stride, PAD=padding,
           BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_K=4 * tdim)
    return y


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def reference(x: np.ndarray, w: np.ndarray, stride: int = 1, padding: int = 0
              ) -> np.ndarray:
    """Y[N, OH, OW, CO] = conv2d(X[N, H, W, C], W[CO, KH, KW, C]) in int64, wrapped to
    int32, by explicit sums over the taps (independent of the kernel's implicit GEMM)."""
    n, h, w_in, c = x.shape
    co, kh, kw, _ = w.shape
    oh, ow = output_size(h, kh, stride, padding), output_size(w_in, kw, stride, padding)
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding), (0, 0))).astype(np.int64)
    y = np.zeros((n, oh, ow, co), dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            window = xp[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
            y += np.einsum("nhwc,oc->nhwo", window, w[:, i, j, :].astype(np.int64))
    return y.astype(np.int32)
