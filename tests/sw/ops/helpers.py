"""Random integer arrays covering each dtype's full range, for the operator tests."""

from __future__ import annotations

import numpy as np


def random_array(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
