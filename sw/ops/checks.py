"""Argument checks of the library's host-side `run_*` functions: a bad array is a
`LaunchError` naming the argument and what was expected, before anything compiles."""

from __future__ import annotations

from typing import Any

import numpy as np

from sw.compiler.launch import LaunchError


def require_array(op: str, name: str, value: Any, ndim: int, dtypes: tuple[str, ...]
                  ) -> np.ndarray:
    """`value` as a C-contiguous array of `ndim` dimensions, none empty, of one of
    `dtypes` (numpy names)."""
    if not isinstance(value, np.ndarray):
        raise LaunchError(f"{op}: {name} must be a numpy array, not {type(value).__name__}")
    if value.dtype.name not in dtypes:
        raise LaunchError(f"{op}: {name} must be {' or '.join(dtypes)}, got {value.dtype}")
    if value.ndim != ndim or 0 in value.shape:
        raise LaunchError(f"{op}: {name} must have {ndim} non-empty dimension"
                          f"{'s' * (ndim != 1)}, got shape {list(value.shape)}")
    return np.ascontiguousarray(value)


def require_tensor_engine(op: str, config: str) -> int:
    """TDIM of preset `config`: an op on the tensor engine refuses one without it."""
    from oxcore.config import load_config
    tensor = load_config(config).tensor
    if tensor is None:
        raise LaunchError(f"{op} runs on the tensor engine, which configuration {config!r} "
                          f"has not (use config='tensor')")
    return tensor.tdim
