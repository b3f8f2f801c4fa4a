"""Element operations of the integer vector instructions (RVV spec 11-12), on numpy.

Every function takes elements as int64 arrays of *unsigned* SEW-bit values (``a`` from
vs2, ``b`` from vs1, rs1 or the immediate, already truncated to SEW) and returns the
result before truncation to the destination width; saturating operations also return
where they saturated (for vxsat). `signed` gives the two's-complement view. The
rounding of fixed-point results (`round_shift`) is spec 12.1's ``roundoff`` with vxrm.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

I64 = np.int64
NO_SAT = None


def signed(u: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement value of unsigned `bits`-bit elements."""
    u = np.asarray(u, dtype=I64)
    return np.where(u >> (bits - 1) & 1, u - (1 << bits), u)


def unsigned(v: np.ndarray, bits: int) -> np.ndarray:
    """`v` modulo 2**bits (the bits a destination keeps)."""
    return np.asarray(v, dtype=I64) & ((1 << bits) - 1) if bits < 64 else v


def round_shift(v: np.ndarray, d: np.ndarray | int, vxrm: int) -> np.ndarray:
    """``roundoff(v, d)`` of spec 12.1: v >> d (arithmetic) plus the rounding increment
    r that vxrm selects:
    rnu: v[d-1]; rne: v[d-1] & (v[d-2:0] != 0 | v[d]); rdn: 0; rod: !v[d] & v[d-1:0] != 0.
    """
    v = np.asarray(v, dtype=I64)
    d = np.broadcast_to(np.asarray(d, dtype=I64), v.shape)
    shifted = v >> d
    has = d > 0
    dm1 = np.maximum(d - 1, 0)
    half = (v >> dm1) & 1 & has  # v[d-1]
    below_half = (v & ((I64(1) << dm1) - 1)) != 0  # v[d-2:0] != 0
    below = (v & ((I64(1) << d) - 1)) != 0  # v[d-1:0] != 0
    lsb = shifted & 1  # v[d]
    if vxrm == 0:  # round-to-nearest-up
        r = half
    elif vxrm == 1:  # round-to-nearest-even
        r = half & (below_half | (lsb == 1))
    elif vxrm == 2:  # round-down (truncate)
        r = np.zeros_like(v)
    else:  # round-to-odd ("jam")
        r = (lsb == 0) & below & has
    return shifted + r.astype(I64)


def _saturate(v: np.ndarray, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    return np.clip(v, low, high), (v < low) | (v > high)


def _divide(a: np.ndarray, b: np.ndarray, sew: int, is_signed: bool,
            remainder: bool) -> np.ndarray:
    """Division rounding toward zero with RISC-V's results for /0 and overflow (spec
    11.11: x/0 = all ones, x%0 = x; signed MIN/-1 = MIN, MIN%-1 = 0)."""
    x, y = (signed(a, sew), signed(b, sew)) if is_signed else (a, b)
    zero = y == 0
    safe = np.where(zero, 1, y)
    q = np.abs(x) // np.abs(safe)
    q = np.where((x < 0) != (safe < 0), -q, q)
    r = x - q * safe
    if remainder:
        return np.where(zero, x, r)
    return np.where(zero, -1, q)


def _mulh(a: np.ndarray, b: np.ndarray, sew: int, kind: str) -> np.ndarray:
    """High SEW bits of the 2*SEW-bit product (kind: ss, uu or su = signed a)."""
    if kind == "uu":
        product = a.astype(np.uint64) * b.astype(np.uint64)  # < 2**64: exact
        return (product >> np.uint64(sew)).astype(I64)
    x = signed(a, sew)
    y = signed(b, sew) if kind == "ss" else b
    return (x * y) >> sew  # |x*y| < 2**63 for SEW <= 32


BinaryOp = Callable[[np.ndarray, np.ndarray, int, int], tuple[np.ndarray, "np.ndarray | None"]]


def _plain(fn: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> BinaryOp:
    return lambda a, b, sew, vxrm: (fn(a, b, sew), NO_SAT)


def _shift_amount(b: np.ndarray, sew: int) -> np.ndarray:
    return b & (sew - 1)  # spec 11.6: only the low log2(SEW) bits


def _smul(a: np.ndarray, b: np.ndarray, sew: int, vxrm: int):
    """vsmul: (a * b) >> (SEW-1), rounded, saturated (only MIN*MIN overflows)."""
    product = signed(a, sew) * signed(b, sew)
    return _saturate(round_shift(product, sew - 1, vxrm), -(1 << (sew - 1)),
                     (1 << (sew - 1)) - 1)


# vs2 op source, single width (spec 11.1, 11.5, 11.6, 11.9-11.11, 12.1-12.4)
BINARY: dict[str, BinaryOp] = {
    "vadd": _plain(lambda a, b, sew: a + b),
    "vsub": _plain(lambda a, b, sew: a - b),
    "vrsub": _plain(lambda a, b, sew: b - a),
    "vand": _plain(lambda a, b, sew: a & b),
    "vor": _plain(lambda a, b, sew: a | b),
    "vxor": _plain(lambda a, b, sew: a ^ b),
    "vsll": _plain(lambda a, b, sew: a << _shift_amount(b, sew)),
    "vsrl": _plain(lambda a, b, sew: a >> _shift_amount(b, sew)),
    "vsra": _plain(lambda a, b, sew: signed(a, sew) >> _shift_amount(b, sew)),
    "vminu": _plain(lambda a, b, sew: np.minimum(a, b)),
    "vmin": _plain(lambda a, b, sew: np.minimum(signed(a, sew), signed(b, sew))),
    "vmaxu": _plain(lambda a, b, sew: np.maximum(a, b)),
    "vmax": _plain(lambda a, b, sew: np.maximum(signed(a, sew), signed(b, sew))),
    "vmul": _plain(lambda a, b, sew: (a.astype(np.uint64) * b.astype(np.uint64)
                                      & np.uint64((1 << sew) - 1)).astype(I64)),
    "vmulh": _plain(lambda a, b, sew: _mulh(a, b, sew, "ss")),
    "vmulhu": _plain(lambda a, b, sew: _mulh(a, b, sew, "uu")),
    "vmulhsu": _plain(lambda a, b, sew: _mulh(a, b, sew, "su")),
    "vdivu": _plain(lambda a, b, sew: _divide(a, b, sew, False, False)),
    "vdiv": _plain(lambda a, b, sew: _divide(a, b, sew, True, False)),
    "vremu": _plain(lambda a, b, sew: _divide(a, b, sew, False, True)),
    "vrem": _plain(lambda a, b, sew: _divide(a, b, sew, True, True)),
    "vsaddu": lambda a, b, sew, vxrm: _saturate(a + b, 0, (1 << sew) - 1),
    "vsadd": lambda a, b, sew, vxrm: _saturate(signed(a, sew) + signed(b, sew),
                                               -(1 << (sew - 1)), (1 << (sew - 1)) - 1),
    "vssubu": lambda a, b, sew, vxrm: _saturate(a - b, 0, (1 << sew) - 1),
    "vssub": lambda a, b, sew, vxrm: _saturate(signed(a, sew) - signed(b, sew),
                                               -(1 << (sew - 1)), (1 << (sew - 1)) - 1),
    "vaaddu": lambda a, b, sew, vxrm: (round_shift(a + b, 1, vxrm), NO_SAT),
    "vaadd": lambda a, b, sew, vxrm: (round_shift(signed(a, sew) + signed(b, sew), 1, vxrm),
                                      NO_SAT),
    "vasubu": lambda a, b, sew, vxrm: (round_shift(a - b, 1, vxrm), NO_SAT),
    "vasub": lambda a, b, sew, vxrm: (round_shift(signed(a, sew) - signed(b, sew), 1, vxrm),
                                      NO_SAT),
    "vsmul": _smul,
    "vssrl": lambda a, b, sew, vxrm: (round_shift(a, _shift_amount(b, sew), vxrm), NO_SAT),
    "vssra": lambda a, b, sew, vxrm: (round_shift(signed(a, sew), _shift_amount(b, sew),
                                                  vxrm), NO_SAT),
}

# vs2 (2*SEW wide) narrowed by a shift of the source (spec 11.7, 12.5); `a` is 2*SEW bits.
NARROWING: dict[str, BinaryOp] = {
    "vnsrl": lambda a, b, sew, vxrm: (a >> (b & (2 * sew - 1)), NO_SAT),
    "vnsra": lambda a, b, sew, vxrm: (signed(a, 2 * sew) >> (b & (2 * sew - 1)), NO_SAT),
    "vnclipu": lambda a, b, sew, vxrm: _saturate(round_shift(a, b & (2 * sew - 1), vxrm),
                                                 0, (1 << sew) - 1),
    "vnclip": lambda a, b, sew, vxrm: _saturate(
        round_shift(signed(a, 2 * sew), b & (2 * sew - 1), vxrm),
        -(1 << (sew - 1)), (1 << (sew - 1)) - 1),
}

# Widening (spec 11.2, 11.12): (how vs2 extends, how the source extends, the operation);
# ".w" forms take vs2 already 2*SEW wide ("w": as is).
WIDENING: dict[str, tuple[str, str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "vwaddu": ("u", "u", lambda a, b: a + b), "vwadd": ("s", "s", lambda a, b: a + b),
    "vwsubu": ("u", "u", lambda a, b: a - b), "vwsub": ("s", "s", lambda a, b: a - b),
    "vwaddu.w": ("w", "u", lambda a, b: a + b), "vwadd.w": ("w", "s", lambda a, b: a + b),
    "vwsubu.w": ("w", "u", lambda a, b: a - b), "vwsub.w": ("w", "s", lambda a, b: a - b),
    "vwmulu": ("u", "u", lambda a, b: a * b), "vwmul": ("s", "s", lambda a, b: a * b),
    "vwmulsu": ("s", "u", lambda a, b: a * b),
}

# Multiply-add (spec 11.13): (vd, vs2, source) -> new vd.
MULTIPLY_ADD: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "vmacc": lambda d, a, b: b * a + d, "vnmsac": lambda d, a, b: -(b * a) + d,
    "vmadd": lambda d, a, b: b * d + a, "vnmsub": lambda d, a, b: -(b * d) + a,
}

# Widening multiply-add (spec 11.14): (vs2 extension, source extension).
WIDENING_MULTIPLY_ADD: dict[str, tuple[str, str]] = {
    "vwmaccu": ("u", "u"), "vwmacc": ("s", "s"), "vwmaccsu": ("u", "s"),
    "vwmaccus": ("s", "u"),
}

# Integer compares (spec 11.8): (signed?, test of vs2 against the source).
COMPARE: dict[str, tuple[bool, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "vmseq": (False, np.equal), "vmsne": (False, np.not_equal),
    "vmsltu": (False, np.less), "vmslt": (True, np.less),
    "vmsleu": (False, np.less_equal), "vmsle": (True, np.less_equal),
    "vmsgtu": (False, np.greater), "vmsgt": (True, np.greater),
}

# Reductions (spec 14.1): (signed?, numpy reduction over vs1[0] and the active elements).
REDUCTION: dict[str, tuple[bool, Callable[[np.ndarray], int]]] = {
    "vredsum": (False, np.sum), "vredand": (False, np.bitwise_and.reduce),
    "vredor": (False, np.bitwise_or.reduce), "vredxor": (False, np.bitwise_xor.reduce),
    "vredminu": (False, np.min), "vredmin": (True, np.min),
    "vredmaxu": (False, np.max), "vredmax": (True, np.max),
}

# Mask-register logical (spec 15.1), on booleans.
MASK_LOGIC: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "vmandn": lambda a, b: a & ~b, "vmand": lambda a, b: a & b, "vmor": lambda a, b: a | b,
    "vmxor": lambda a, b: a ^ b, "vmorn": lambda a, b: a | ~b,
    "vmnand": lambda a, b: ~(a & b), "vmnor": lambda a, b: ~(a | b),
    "vmxnor": lambda a, b: ~(a ^ b),
}


def extend(values: np.ndarray, bits: int, how: str) -> np.ndarray:
    """Zero- ("u") or sign- ("s") extension of `bits`-bit elements; "w": unchanged."""
    return signed(values, bits) if how == "s" else np.asarray(values, dtype=I64)
