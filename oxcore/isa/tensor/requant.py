"""The int8 epilogue of ``tst.b``: the fixed-point chain the vector engine computes.

For an int32 accumulator ``acc`` and the CSRs tqmul (M, int32), tqshift (s, 0..31),
tqzp (Z, int32), tqrm (rounding mode, vxrm's encoding) and tqmin/tqmax (lo/hi, int8),
with ``roundoff(v, d)`` the RVV spec's rounding right shift (12.1) and
``sat32``/``sat8`` clamping to int32/int8::

    t = sat32(roundoff(acc * M, 31))   # vsmul.vx  (RVV 12.3, SEW 32)
    u = roundoff(t, s)                  # vssra.vx  (RVV 12.4)
    v = sat32(u + Z)                    # vsadd.vx  (RVV 12.1)
    w = sat8(v)                         # vnclip.wi 0 twice, 32 -> 16 -> 8 (RVV 12.5)
    q = min(max(w, lo), hi)             # vmax.vx lo, vmin.vx hi (SEW 8)

so a Zve32x sequence with vxrm = tqrm stores the same bytes (and sets vxsat exactly when
this sets tqsat: the activation clamp, like vmax/vmin and TFLite's activation_min/max,
is not a saturation). lo/hi reset to -128/127, where the clamp changes nothing. The
rounding is the vector unit's own `round_shift`, defined once.
"""

from __future__ import annotations

import numpy as np

from oxcore.isa.vector.arith import round_shift

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
INT8_MIN, INT8_MAX = -128, 127


def requantize(acc: np.ndarray, multiplier: int, shift: int, zero_point: int,
               rounding: int, clamp_min: int = INT8_MIN, clamp_max: int = INT8_MAX
               ) -> tuple[np.ndarray, bool]:
    """int8 results of int32 accumulators `acc` (signed values), and whether any step
    saturated. `multiplier` and `zero_point` are signed int32 values, `shift` 0..31,
    `clamp_min`/`clamp_max` int8 values (max first, so clamp_min > clamp_max gives
    clamp_max, as vmax then vmin do)."""
    acc = np.asarray(acc, dtype=np.int64)
    scaled = round_shift(acc * multiplier, 31, rounding)  # |acc * M| <= 2**62
    t = np.clip(scaled, INT32_MIN, INT32_MAX)  # only INT32_MIN * INT32_MIN overflows
    u = round_shift(t, shift, rounding)
    v = np.clip(u + zero_point, INT32_MIN, INT32_MAX)
    w = np.clip(v, INT8_MIN, INT8_MAX)
    q = np.minimum(np.maximum(w, clamp_min), clamp_max)
    saturated = bool((scaled != t).any() or (u + zero_point != v).any() or (v != w).any())
    return q, saturated
