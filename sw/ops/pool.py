"""maxpool2d: the maximum over KH x KW windows at a stride, NHWC int8, no padding
("valid": OH = (H - KH) // STRIDE + 1, OW likewise), on the vector engine.

One program per output pixel, on a 3-D grid (OW, OH, N): splitting a 1-D program id
with // and % cost three divisions a program, two thirds of the RTL's cycles at
12x12x32 (7,658 cycles, 4,932 of them waiting for the divider, before its early out
made a small dividend's division 10 cycles rather than 33). The block runs over
the channels, which NHWC keeps contiguous, so every window position is a unit-stride
``vle8`` of C bytes and the window's maximum is ``vmax.vv`` of KH * KW of them. The
window loops are `tl.static_range` (unrolled): the running maximum is a data block,
which a runtime loop cannot carry. C above BLOCK loops over channel chunks.
"""

from __future__ import annotations

import numpy as np

from sw.compiler import language as tl
from sw.compiler.launch import LaunchError, launch
from sw.ops.checks import require_array


@tl.kernel
def maxpool2d(x_ptr, out_ptr, H, W, C, OH, OW, KH: tl.constexpr, KW: tl.constexpr,
              STRIDE: tl.constexpr, BLOCK: tl.constexpr):
    ow = tl.program_id(0)
    oh = tl.program_id(1)
    n = tl.program_id(2)
    pixel = (n * OH + oh) * OW + ow
    corner = x_ptr + ((n * H + oh * STRIDE) * W + ow * STRIDE) * C
    for start in range(0, C, BLOCK):
        channels = start + tl.arange(0, BLOCK)
        mask = channels < C
        biggest = tl.load(corner + channels, mask=mask)
        for kh in tl.static_range(KH):
            for kw in tl.static_range(KW):
                if kh + kw > 0:
                    window = tl.load(corner + (kh * W + kw) * C + channels, mask=mask)
                    biggest = tl.maximum(biggest, window)
        tl.store(out_ptr + pixel * C + channels, biggest, mask=mask)


def pooled_size(size: int, window: int, stride: int) -> int:
    """Output positions along one axis ("valid" pooling)."""
    return (size - window) // stride + 1


def reference_maxpool2d(x: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """x[N, H, W, C] -> out[N, OH, OW, C]."""
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return windows[:, ::stride, ::stride].max(axis=(-2, -1))


def run_maxpool2d(x: np.ndarray, window: tuple[int, int] = (2, 2), stride: int = 2, *,
                  block: int = 1024, sim: str = "iss", config: str = "vector"
                  ) -> np.ndarray:
    """Max pooling of an int8 NHWC x on the vector engine (`sim` "iss" or "rtl")."""
    x = require_array("maxpool2d", "x", x, 4, ("int8",))
    batch, height, width, channels = x.shape
    kh, kw = window
    if min(kh, kw, stride) < 1 or kh > height or kw > width:
        raise LaunchError(f"maxpool2d: window {kh}x{kw} at stride {stride} does not fit "
                          f"a {height}x{width} image (window and stride at least 1)")
    oh, ow = pooled_size(height, kh, stride), pooled_size(width, kw, stride)
    out = np.zeros((batch, oh, ow, channels), np.int8)
    launch(maxpool2d, (ow, oh, batch), x, out, height, width, channels, oh, ow,
           KH=kh, KW=kw, STRIDE=stride, BLOCK=block, sim=sim, config=config)
    return out
