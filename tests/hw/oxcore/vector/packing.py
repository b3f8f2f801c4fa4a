"""Packing helpers for the vector unit tests: elements to and from the words a lane or a
beat holds, and per-element flags to the per-byte form the RTL takes them in."""

import numpy as np


def elements(value: int, bits: int, count: int) -> np.ndarray:
    """The `count` unsigned `bits`-bit elements packed in `value`, element 0 lowest."""
    return np.array([(value >> (k * bits)) & ((1 << bits) - 1) for k in range(count)],
                    np.int64)


def packed(values, bits: int) -> int:
    """`values` truncated to `bits` bits each and packed, element 0 lowest."""
    return sum((int(v) & ((1 << bits) - 1)) << (k * bits) for k, v in enumerate(values))


def per_byte(flags, sew: int) -> int:
    """One bit per byte: each element's flag on every byte of the element."""
    return sum(1 << (k * sew // 8 + j) for k, flag in enumerate(flags) if flag
               for j in range(sew // 8))
