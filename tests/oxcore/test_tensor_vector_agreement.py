"""tst.b and the vector engine agree: for random accumulators and parameters, in every
rounding mode, the tensor unit's int8 epilogue stores the same bytes as the Zve32x
sequence it is defined by (vsmul.vx, vssra.vx, vsadd.vx at SEW 32, then vnclip.wi 0
twice: 32 -> 16 -> 8 bits, then the activation clamp as vmax.vx tqmin and vmin.vx
tqmax at SEW 8) with vxrm = tqrm, and sets tqsat exactly when that sequence sets vxsat
(vmax/vmin do not: the clamp is not a saturation). Both run in one program on a
configuration with [vector] and [tensor].
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.oxcore.tensor_programs import run_program, tensor_config

TDIM = 8
N = TDIM * TDIM
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _program(multiplier: int, shift: int, zero_point: int, mode: int,
             clamp: tuple[int, int]) -> str:
    lo, hi = clamp
    return f"""
    la a0, acc
    li a1, {4 * TDIM}
    tld.w m0, (a0), a1
    li t1, {multiplier & 0xFFFF_FFFF}
    csrw tqmul, t1
    li t1, {shift}
    csrw tqshift, t1
    li t1, {zero_point & 0xFFFF_FFFF}
    csrw tqzp, t1
    li t1, {lo}
    csrw tqmin, t1
    li t1, {hi}
    csrw tqmax, t1
    li t1, {mode}
    csrw tqrm, t1
    la a2, out
    li a3, {TDIM}
    tst.b m0, (a2), a3

    csrw vxrm, t1
    li t0, {N}
    vsetvli zero, t0, e32, m8, ta, ma
    vle32.v v8, (a0)
    li t2, {multiplier & 0xFFFF_FFFF}
    vsmul.vx v8, v8, t2
    li t2, {shift}
    vssra.vx v8, v8, t2
    li t2, {zero_point & 0xFFFF_FFFF}
    vsadd.vx v8, v8, t2
    vsetvli zero, t0, e16, m4, ta, ma
    vnclip.wi v16, v8, 0
    vsetvli zero, t0, e8, m2, ta, ma
    vnclip.wi v20, v16, 0
    li t2, {lo}
    vmax.vx v20, v20, t2
    li t2, {hi}
    vmin.vx v20, v20, t2
    addi a2, a2, {N}
    vse8.v v20, (a2)
    csrr t3, tqsat
    sw t3, {N}(a2)
    csrr t3, vxsat
    sw t3, {N + 4}(a2)
"""


def _parameters(rng: np.random.Generator, trial: int) -> tuple[int, int, int]:
    multiplier = [INT32_MIN, 1 << 30, INT32_MAX, -(1 << 30) - 12345][trial] if trial < 4 \
        else int(rng.integers(INT32_MIN, INT32_MAX + 1))
    shift = [0, 31, 1][trial % 3] if trial < 6 else int(rng.integers(0, 32))
    zero_point = int(rng.integers(-200, 200)) if trial % 2 else int(rng.integers(-128, 128))
    return multiplier, shift, zero_point


def _clamp(rng: np.random.Generator, trial: int, zero_point: int) -> tuple[int, int]:
    """No clamp, ReLU's (the zero point's int8 value up), a random window (sometimes
    empty: lo > hi gives hi)."""
    if trial % 3 == 0:
        return -128, 127
    if trial % 3 == 1:
        return int(np.clip(zero_point, -128, 127)), 127
    return tuple(int(v) for v in rng.integers(-128, 128, size=2))


def _accumulators(rng: np.random.Generator) -> np.ndarray:
    acc = rng.integers(INT32_MIN, INT32_MAX + 1, size=N, dtype=np.int64)
    acc[N // 4:] >>= rng.integers(0, 31, size=N - N // 4)  # every magnitude
    acc[:4] = [INT32_MIN, INT32_MAX, 0, -1]
    return acc.astype("<i4").reshape(TDIM, TDIM)


@pytest.mark.parametrize("mode", range(4), ids=["rnu", "rne", "rdn", "rod"])
def test_store_b_matches_the_vnclip_path(tmp_path, mode):
    rng = np.random.default_rng(100 + mode)
    saturated = 0
    for trial in range(10):
        multiplier, shift, zero_point = _parameters(rng, trial)
        clamp = _clamp(rng, trial, zero_point)
        ran = run_program(_program(multiplier, shift, zero_point, mode, clamp), tmp_path,
                          tensor_config(TDIM, vector=True), {"acc": _accumulators(rng)},
                          out_size=2 * N + 8)
        assert ran.stop.trap is None
        tensor, vector = ran.out[:N], ran.out[N:2 * N]
        tqsat, vxsat = np.frombuffer(ran.out[2 * N:], "<u4").tolist()
        params = (multiplier, shift, zero_point, clamp)
        assert tensor == vector, params
        assert tqsat == vxsat, params
        saturated += tqsat
    assert 0 < saturated < 10  # both outcomes of the flag were compared
