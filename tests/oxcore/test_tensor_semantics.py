"""Directed checks of the tensor unit (oxcore/isa/tensor) against numpy and hand-computed
values: tile loads and stores with strides (positive, negative, zero), multiply-
accumulate chains with wrap-around, overlapping tile operands, the tst.b epilogue's
rounding and saturation edges in every rounding mode, the CSRs, traps on misaligned or
out-of-range tile rows, and the retire records.

References: numpy on int64 for the matrices (low bytes and wrap-around written out
here), and exact rational arithmetic (`fractions`) for the rounding modes, independent
of the bit formulas the unit uses.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

import numpy as np
import pytest

from oxcore.isa.tensor.requant import requantize as interpreter_requantize
from oxcore.retire import CsrWrite, MemAccess, TileWrite, TrapCause, XWrite
from tests.oxcore.tensor_programs import run_program, tensor_config

RNG = np.random.default_rng(2026)
RNU, RNE, RDN, ROD = range(4)


# ---- references -------------------------------------------------------------------------
def low_byte(x: np.ndarray, unsigned: bool = False) -> np.ndarray:
    """The low 8 bits of each element, as tmma (signed) or tmmau's ms1 (unsigned) read it."""
    b = np.asarray(x, dtype=np.int64) & 0xFF
    return b if unsigned else np.where(b >= 128, b - 256, b)


def wrap32(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x, dtype=np.int64) + (1 << 31)) % (1 << 32) - (1 << 31)


def rounded(q: Fraction, mode: int) -> int:
    """q rounded to an integer as vxrm `mode` says (RVV spec 12.1), from the definitions:
    nearest with ties up, nearest with ties to even, down, and to odd ("jam")."""
    down = floor(q)
    if mode == RNU:
        return floor(q + Fraction(1, 2))
    if mode == RNE:
        return round(q)  # Fraction.__round__: ties to even
    if mode == RDN:
        return down
    return down | 1 if q != down else down


def clamp(v: int, bits: int) -> int:
    return max(-(1 << (bits - 1)), min((1 << (bits - 1)) - 1, v))


def requantize_saturating(acc: int, multiplier: int, shift: int, zero_point: int,
                          mode: int) -> tuple[int, bool]:
    """tst.b's int8 result for one accumulator, and whether a step saturated."""
    product = rounded(Fraction(acc * multiplier, 1 << 31), mode)
    t = clamp(product, 32)  # vsmul
    u = rounded(Fraction(t, 1 << shift), mode)  # vssra
    v = clamp(u + zero_point, 32)  # vsadd
    q = clamp(v, 8)  # the int8 clip
    return q, (t, v, q) != (product, u + zero_point, v)


def requantize(acc: int, multiplier: int, shift: int, zero_point: int, mode: int) -> int:
    return requantize_saturating(acc, multiplier, shift, zero_point, mode)[0]


def int8(shape) -> np.ndarray:
    return RNG.integers(-128, 128, size=shape, dtype=np.int64).astype(np.int8)


def int32(shape) -> np.ndarray:
    return RNG.integers(-(1 << 31), 1 << 31, size=shape, dtype=np.int64).astype(np.int32)


TDIMS = [4, 8, 16]


# ---- CSRs -------------------------------------------------------------------------------
@pytest.mark.parametrize("tdim", TDIMS)
def test_tdim_and_tile_bytes_are_readable(tmp_path, tdim):
    ran = run_program("""
    la t0, out
    csrr t1, tdim
    sw t1, 0(t0)
    csrr t1, tlenb
    sw t1, 4(t0)
""", tmp_path, tensor_config(tdim), out_size=8)
    assert ran.out_array("<u4").tolist() == [tdim, tdim * tdim * 4]


def test_requantization_csrs_keep_their_legal_bits(tmp_path):
    ran = run_program("""
    la t0, out
    li t1, -1
    csrw tqmul, t1
    csrw tqshift, t1
    csrw tqzp, t1
    csrw tqrm, t1
    csrw tqsat, t1
    csrr t1, tqmul
    sw t1, 0(t0)
    csrr t1, tqshift
    sw t1, 4(t0)
    csrr t1, tqzp
    sw t1, 8(t0)
    csrr t1, tqrm
    sw t1, 12(t0)
    csrr t1, tqsat
    sw t1, 16(t0)
""", tmp_path, tensor_config(), out_size=20)
    assert ran.out_array("<u4").tolist() == [0xFFFF_FFFF, 31, 0xFFFF_FFFF, 3, 1]


def test_activation_clamp_csrs_reset_to_no_clamp_and_read_back_sign_extended(tmp_path):
    """tqmin/tqmax: reset -128/127 (existing programs unchanged); 8 WARL bits, read back
    sign-extended (an int8 written as any int32 reads back as itself)."""
    ran = run_program("""
    la t0, out
    csrr t1, tqmin
    sw t1, 0(t0)
    csrr t1, tqmax
    sw t1, 4(t0)
    li t1, -7
    csrw tqmin, t1
    li t1, 0x1234
    csrw tqmax, t1
    csrr t1, tqmin
    sw t1, 8(t0)
    csrr t1, tqmax
    sw t1, 12(t0)
""", tmp_path, tensor_config(), out_size=16)
    assert ran.out_array("<i4").tolist() == [-128, 127, -7, 0x34]


def _hand_requantize(acc: np.ndarray, multiplier: int, shift: int, zero_point: int,
                     lo: int, hi: int) -> np.ndarray:
    """tst.b's chain in plain integer numpy, rnu rounding (ties up): the reference the
    interpreter's `requantize` must equal, written without it."""
    def round_up(v: np.ndarray, d: int) -> np.ndarray:
        return (v + (1 << (d - 1))) >> d if d else v
    acc = acc.astype(np.int64)
    t = np.clip(round_up(acc * multiplier, 31), -2**31, 2**31 - 1)
    v = np.clip(round_up(t, shift) + zero_point, -2**31, 2**31 - 1)
    return np.minimum(np.maximum(np.clip(v, -128, 127), lo), hi)


@pytest.mark.parametrize("lo, hi", [(-128, 127), (0, 127), (-3, 127), (-20, 20), (5, -5)])
def test_requantize_clamps_to_the_activation_bounds(lo, hi):
    """The clamp after sat8, max first (lo > hi gives hi); it is not a saturation:
    tqsat only reports the int32/int8 saturations of the unclamped chain."""
    rng = np.random.default_rng((lo + 128) * 256 + hi + 128)
    acc = rng.integers(-(1 << 31), 1 << 31, size=500, dtype=np.int64)
    acc[::3] >>= 12
    for multiplier, shift, zero_point in [(0x5A3B1C2D, 13, -3), (1 << 30, 20, 40),
                                          (-(1 << 30), 18, 7), (0x7FFF_FFFF, 31, 0)]:
        got, saturated = interpreter_requantize(acc, multiplier, shift, zero_point, 0,
                                                lo, hi)
        assert got.tolist() == _hand_requantize(acc, multiplier, shift, zero_point,
                                                lo, hi).tolist()
        _, unclamped_saturated = interpreter_requantize(acc, multiplier, shift, zero_point,
                                                        0)
        assert saturated == unclamped_saturated
    small = np.array([-100, -1, 0, 1, 100], dtype=np.int64)  # ReLU: no saturation
    got, saturated = interpreter_requantize(small, 1 << 30, 0, 0, 0, 0, 127)
    assert (got.tolist(), saturated) == ([0, 0, 0, 1, 50], False)


def test_tdim_is_read_only(tmp_path):
    ran = run_program("    li t1, 4\n    csrw tdim, t1\n", tmp_path, tensor_config())
    assert ran.stop.trap.cause == TrapCause.ILLEGAL_INSTRUCTION
    assert "read-only" in ran.stop.trap.detail


# ---- loads and stores -------------------------------------------------------------------
@pytest.mark.parametrize("tdim", TDIMS)
def test_int8_load_takes_rows_of_4_tdim_bytes_and_strides(tmp_path, tdim):
    """tld.b of a tile inside a wider matrix (stride 4*tdim + 3, so rows start at every
    byte offset), stored with tst.w with a stride of its own: the tile's bytes are the
    matrix's first 4*tdim columns, unchanged; then the same rows bottom-up (negative
    stride)."""
    stride = 4 * tdim + 3
    matrix = int8((tdim, stride))
    ran = run_program(f"""
    la a0, matrix
    li a1, {stride}
    tld.b m2, (a0), a1
    la a2, out
    li a3, {8 * tdim}
    tst.w m2, (a2), a3
    li a4, {(tdim - 1) * stride}
    add a0, a0, a4
    neg a1, a1
    tld.b m5, (a0), a1
    addi a2, a2, {4 * tdim}
    tst.w m5, (a2), a3
""", tmp_path, tensor_config(tdim), {"matrix": matrix}, out_size=8 * tdim * tdim)
    out = ran.out_array(np.int8, (tdim, 2, 4 * tdim))
    np.testing.assert_array_equal(out[:, 0], matrix[:, :4 * tdim])
    np.testing.assert_array_equal(out[:, 1], matrix[::-1, :4 * tdim])


def test_zero_strides_repeat_a_row_and_overwrite_one(tmp_path):
    """Stride 0: tld.w loads row 0 into every row; tst.w writes every row to the same
    place, in order, so the last row stays."""
    tdim = 4
    tile = int32((tdim, tdim))
    ran = run_program("""
    la a0, tile
    li a1, 16
    tld.w m0, (a0), a1
    tld.w m1, (a0), zero
    la a2, out
    li a3, 16
    tst.w m1, (a2), a3
    addi a2, a2, 64
    tst.w m0, (a2), zero
""", tmp_path, tensor_config(tdim), {"tile": tile}, out_size=80)
    out = ran.out_array("<i4")
    np.testing.assert_array_equal(out[:16].reshape(tdim, tdim), np.tile(tile[0], (tdim, 1)))
    np.testing.assert_array_equal(out[16:], tile[-1])


def test_tzero_clears_a_tile(tmp_path):
    tile = int32((4, 4))
    ran = run_program("""
    la a0, tile
    li a1, 16
    tld.w m7, (a0), a1
    tzero m7
    la a2, out
    tst.w m7, (a2), a1
""", tmp_path, tensor_config(4), {"tile": tile}, out_size=64)
    assert ran.out == bytes(64)


# ---- multiply-accumulate ----------------------------------------------------------------
@pytest.mark.parametrize("tdim", TDIMS)
def test_accumulate_chain_wraps_like_int32(tmp_path, tdim):
    """C (random int32, so the sums wrap) += A1 B1^T + A2 B2^T (int8, TDIM x 4*TDIM)
    + A1 B2^T with A1 read unsigned (tmmau)."""
    a1, b1, a2, b2 = (int8((tdim, 4 * tdim)) for _ in range(4))
    c = int32((tdim, tdim))
    ran = run_program(f"""
    li a1, {4 * tdim}
    la a0, c
    tld.w m0, (a0), a1
    la a0, lhs1
    tld.b m1, (a0), a1
    la a0, rhs1
    tld.b m2, (a0), a1
    la a0, lhs2
    tld.b m3, (a0), a1
    la a0, rhs2
    tld.b m4, (a0), a1
    tmma m0, m1, m2
    tmma m0, m3, m4
    tmmau m0, m1, m4
    la a0, out
    tst.w m0, (a0), a1
""", tmp_path, tensor_config(tdim), {"c": c, "lhs1": a1, "rhs1": b1, "lhs2": a2, "rhs2": b2},
                      out_size=4 * tdim * tdim)
    i64 = np.int64
    expected = wrap32(c.astype(i64) + a1.astype(i64) @ b1.astype(i64).T
                      + a2.astype(i64) @ b2.astype(i64).T
                      + (a1.astype(i64) & 0xFF) @ b2.astype(i64).T)
    np.testing.assert_array_equal(ran.out_array("<i4", (tdim, tdim)), expected)


def byte_columns(x: np.ndarray, unsigned: bool = False) -> np.ndarray:
    """An int32 tile's int8 view, by arithmetic: element (i, j)'s byte b (low first) is
    column 4j + b of row i, signed (or unsigned)."""
    x = np.asarray(x, dtype=np.int64)
    parts = np.stack([low_byte(x >> (8 * b), unsigned) for b in range(4)], axis=-1)
    return parts.reshape(x.shape[0], 4 * x.shape[1])


def test_operands_are_the_bytes_of_int32_tiles(tmp_path):
    """A tile loaded with tld.w multiplies as its bytes (signed; unsigned for tmmau's
    ms1): element j's bytes are int8 columns 4j..4j+3. The accumulator is also an
    operand: md == ms1, md == ms2, and all three the same, each reading the sources
    before md is written."""
    tdim = 8
    x, y, z = int32((tdim, tdim)), int32((tdim, tdim)), int32((tdim, tdim))
    ran = run_program(f"""
    li a1, {4 * tdim}
    la a0, x
    tld.w m0, (a0), a1
    la a0, y
    tld.w m1, (a0), a1
    la a0, z
    tld.w m2, (a0), a1
    tmma m0, m0, m1
    tmma m1, m0, m1
    tmma m2, m2, m2
    tmmau m3, m2, m0
    tmmau m3, m3, m3
    la a0, out
    tst.w m0, (a0), a1
    addi a0, a0, {4 * tdim * tdim}
    tst.w m1, (a0), a1
    addi a0, a0, {4 * tdim * tdim}
    tst.w m2, (a0), a1
    addi a0, a0, {4 * tdim * tdim}
    tst.w m3, (a0), a1
""", tmp_path, tensor_config(tdim), {"x": x, "y": y, "z": z}, out_size=16 * tdim * tdim)

    def mma(acc, a, b, unsigned=False):
        return wrap32(acc + byte_columns(a, unsigned) @ byte_columns(b).T)

    m0 = mma(x, x, y)
    m1 = mma(y, m0, y)
    m2 = mma(z, z, z)
    m3 = mma(0, m2, m0, unsigned=True)  # m3 starts at 0
    m3 = mma(m3, m3, m3, unsigned=True)
    out = ran.out_array("<i4", (4, tdim, tdim))
    for got, want in zip(out, (m0, m1, m2, m3)):
        np.testing.assert_array_equal(got, want)


# ---- tst.b: requantization --------------------------------------------------------------
# (acc, multiplier, shift, zero point, result for rnu, rne, rdn, rod), worked by hand:
HAND = [
    # vsmul: 5 * 0.5 = 2.5 rounds to 3 (rnu), 2 (rne), 2 (rdn), 3 (rod: 2 is even and
    # the result inexact); vssra by 1: 1.5 -> 2, 1 -> 1, 1 -> 1, 1.5 -> 1 (odd floor).
    (5, 0x4000_0000, 1, 0, (2, 1, 1, 1)),
    (-5, 0x4000_0000, 1, 0, (-1, -1, -2, -1)),
    # -2.5 -> -2, -2, -3, -3; then /2: -1 -> -1, -1 -> -1, -1.5 -> -2, -1.5 -> -1.
    (100, 0x7FFF_FFFF, 0, -20, (80, 80, 79, 79)),
    # 100 * (1 - 2**-31) = 99.99999995: 100, 100, 99, 99 (floor 99 is odd); minus 20.
    (0, 0x4000_0000, 0, 127, (127, 127, 127, 127)),  # the zero point alone, in range
    (0, 0x4000_0000, 0, 128, (127, 127, 127, 127)),  # saturates high
    (0, 0x4000_0000, 0, -129, (-128, -128, -128, -128)),  # saturates low
    (-(1 << 31), -(1 << 31), 0, 0, (127, 127, 127, 127)),  # vsmul's only overflow
    # vsmul saturates to 2**31 - 1; / 2**24 = 127.99999994: 128, 128, 127, 127; - 128
    (-(1 << 31), -(1 << 31), 24, -128, (0, 0, -1, -1)),
    ((1 << 31) - 1, 0x7FFF_FFFF, 31, 0, (1, 1, 0, 1)),  # ~ 0.99999999907 -> 1, 1, 0, 1
    (-(1 << 31), 0x7FFF_FFFF, 31, 5, (4, 4, 4, 4)),  # -(2**31 - 1) / 2**31 -> -1, +5
    (3, 0x4000_0000, 0, 0, (2, 2, 1, 1)),  # 1.5: 2, 2, 1, 1
    (7, 0x4000_0000, 0, 0, (4, 4, 3, 3)),  # 3.5: 4, 4 (even), 3, 3 (odd)
]
SATURATES = {(0, 0x4000_0000, 0, 128), (0, 0x4000_0000, 0, -129),
             (-(1 << 31), -(1 << 31), 0, 0), (-(1 << 31), -(1 << 31), 24, -128)}


def _store_b(values: list[int], multiplier: int, shift: int, zero_point: int, mode: int,
             tmp_path, tdim: int = 4):
    acc = np.zeros((tdim, tdim), np.int32)
    acc.flat[:len(values)] = values
    return run_program(f"""
    la a0, acc
    li a1, {4 * tdim}
    tld.w m6, (a0), a1
    li t1, {multiplier & 0xFFFF_FFFF}
    csrw tqmul, t1
    li t1, {shift}
    csrw tqshift, t1
    li t1, {zero_point & 0xFFFF_FFFF}
    csrw tqzp, t1
    li t1, {mode}
    csrw tqrm, t1
    la a0, out
    li a1, {tdim}
    tst.b m6, (a0), a1
    csrr t1, tqsat
    sw t1, {tdim * tdim}(a0)
""", tmp_path, tensor_config(tdim), {"acc": acc}, out_size=tdim * tdim + 4)


def test_hand_worked_cases_agree_with_the_rational_reference():
    """The table's expected values, recomputed from the rounding definitions."""
    for acc, mul, shift, zp, results in HAND:
        mul = mul - (1 << 32) if mul >> 31 else mul
        assert tuple(requantize(acc, mul, shift, zp, mode) for mode in range(4)) == results, \
            (acc, mul, shift, zp)


@pytest.mark.parametrize("mode", range(4), ids=["rnu", "rne", "rdn", "rod"])
@pytest.mark.parametrize("case", HAND, ids=lambda c: f"{c[0]}*{c[1]:#x}>>{c[2]}+{c[3]}")
def test_store_b_hand_worked(tmp_path, mode, case):
    acc, mul, shift, zp, results = case
    ran = _store_b([acc], mul, shift, zp, mode, tmp_path)
    assert ran.out_array(np.int8)[0] == results[mode]
    assert ran.out_array(np.int8)[1:16].tolist() == [clamp(zp, 8)] * 15  # acc 0
    saturated = (acc, mul, shift, zp) in SATURATES or not -128 <= zp <= 127
    assert ran.out_array("<u4", None)[4] == int(saturated)


@pytest.mark.parametrize("mode", range(4), ids=["rnu", "rne", "rdn", "rod"])
def test_store_b_random_against_the_rational_reference(tmp_path, mode):
    tdim = 16
    rng = np.random.default_rng(mode)
    for trial in range(3):
        acc = rng.integers(-(1 << 31), 1 << 31, size=tdim * tdim, dtype=np.int64)
        acc[:6] = [-(1 << 31), (1 << 31) - 1, 0, 1, -1, 1 << 20]
        acc[6:40] >>= rng.integers(8, 31, size=34)  # small values, where rounding shows
        mul = int(rng.integers(-(1 << 31), 1 << 31))
        shift = int(rng.integers(0, 32)) if trial else 0
        zp = int(rng.integers(-128, 128))
        ran = _store_b(acc.tolist(), mul, shift, zp, mode, tmp_path, tdim)
        expected = [requantize_saturating(int(a), mul, shift, zp, mode) for a in acc]
        assert ran.out_array(np.int8)[:tdim * tdim].tolist() == [q for q, _ in expected]
        assert ran.out_array("<u4")[tdim * tdim // 4] == any(sat for _, sat in expected)


def test_saturation_flag_is_sticky_and_recorded(tmp_path):
    """A saturating tst.b sets tqsat (one CsrWrite); a later one that does not saturate
    leaves it set; software clears it."""
    ran = run_program("""
    la a0, acc
    li a1, 16
    tld.w m0, (a0), a1
    li t1, 0x7fffffff
    csrw tqmul, t1
    la a2, out
    li a3, 4
    tst.b m0, (a2), a3
    csrw tqmul, zero
    tst.b m0, (a2), a3
    csrr t1, tqsat
    sw t1, 16(a2)
    csrw tqsat, zero
    tst.b m0, (a2), a3
    csrr t1, tqsat
    sw t1, 20(a2)
""", tmp_path, tensor_config(4), {"acc": np.full((4, 4), 1000, "<i4")}, out_size=24)
    assert ran.out_array("<u4")[4:].tolist() == [1, 0]
    isa = ran.interpreter.machine.isa
    stores = [r for r in ran.records if isa.decode(r.insn).mnemonic == "tst.b"]
    assert [CsrWrite(0x804, 1) in r.effects for r in stores] == [True, False, False]


# ---- traps ------------------------------------------------------------------------------
MEM_END = tensor_config().mem_end


@pytest.mark.parametrize("line, base, stride, cause, row, message", [
    ("tld.w m1, (a0), a1", ("buf", 2), 32, TrapCause.LOAD_MISALIGNED, 0,
     "is not 4-byte aligned (tile rows must be element-aligned)"),
    ("tld.w m1, (a0), a1", ("buf", 0), 34, TrapCause.LOAD_MISALIGNED, 1,
     "is not 4-byte aligned"),
    ("tst.w m1, (a0), a1", ("buf", 0), 6, TrapCause.STORE_MISALIGNED, 1,
     "is not 4-byte aligned"),
    # 32-byte rows (TDIM 8): row 7 starts 4 bytes before the end of RAM
    ("tld.b m1, (a0), a1", ("end", -7 * 32 - 4), 32, TrapCause.LOAD_ACCESS_FAULT, 7,
     "(32 bytes) is outside memory [0x80000000, 0x80040000)"),
    # tst.b's rows are TDIM bytes
    ("tst.b m1, (a0), a1", ("end", -7 * 8 - 4), 8, TrapCause.STORE_ACCESS_FAULT, 7,
     "(8 bytes) is outside memory"),
    # 32-byte rows (int32), going down from row 0, which straddles the end
    ("tst.w m1, (a0), a1", ("end", -16), -32, TrapCause.STORE_ACCESS_FAULT, 0,
     "(32 bytes) is outside memory"),
    ("tld.w m1, (a0), a1", ("absolute", 0), 32, TrapCause.LOAD_ACCESS_FAULT, 0,
     "(32 bytes) is outside memory"),
])
def test_bad_tile_rows_trap_with_no_effect(tmp_path, line, base, stride, cause, row,
                                           message):
    """The trap names the first bad row (tval: its address); rows before it are neither
    read into the tile nor written to memory: RAM and tiles are as the same program
    with a nop in its place leaves them."""
    where, offset = base
    setup = {"buf": f"la a0, buf\n    addi a0, a0, {offset}",
             "end": f"li a0, {MEM_END + offset:#x}",
             "absolute": f"li a0, {offset}"}[where]
    program = f"""
    {setup}
    li a1, {stride}
    la t2, tile
    li t3, 32
    tld.w m1, (t2), t3
"""
    tile = np.arange(64, dtype="<i4") + 1
    data = {"buf": bytes(range(256)) * 2, "tile": tile}
    ran = run_program(program + f"    {line}\n", tmp_path, tensor_config(8), data)
    without = run_program(program + "    nop\n", tmp_path, tensor_config(8), data)
    trap = ran.stop.trap
    m = ran.interpreter.machine
    address = (m.x[10] + row * stride) & 0xFFFF_FFFF
    assert trap.cause == cause
    assert trap.tval == address
    assert f"{line.split()[0]} row {row} at {address:#010x} {message}" in trap.detail
    at = trap.pc - m.base  # the one word the two programs differ in
    ram, expected = bytearray(m.ram), bytearray(without.interpreter.machine.ram)
    ram[at:at + 4] = expected[at:at + 4] = bytes(4)
    assert ram == expected
    np.testing.assert_array_equal(m.engine_state["tensor"].tiles[1].reshape(-1), tile)


# ---- retire records ---------------------------------------------------------------------
def test_retire_records_hold_whole_tiles_and_one_access_per_row(tmp_path):
    tdim, stride = 4, 20
    matrix = int8((tdim, stride))
    ran = run_program(f"""
    la a0, matrix
    li a1, {stride}
    tld.b m3, (a0), a1
    tmma m5, m3, m3
    la a2, out
    tst.w m5, (a2), a1
""", tmp_path, tensor_config(tdim), {"matrix": matrix}, out_size=80)
    isa = ran.interpreter.machine.isa
    by_name, x = {}, {}
    for record in ran.records:  # the records up to each tensor instruction, and x then
        by_name.setdefault(isa.decode(record.insn).mnemonic, (record, dict(x)))
        x.update({e.reg: e.value for e in record.effects if isinstance(e, XWrite)})
    (load, x_load), (mma, _), (store, x_store) = (by_name[n] for n in ("tld.b", "tmma",
                                                                      "tst.w"))
    base, out = x_load[10], x_store[12]
    operand = matrix[:, :4 * tdim].astype(np.int64)  # the tile: 4 rows of 16 bytes
    product = operand @ operand.T
    assert load.effects == tuple(
        [TileWrite(3, 64, int.from_bytes(matrix[:, :4 * tdim].tobytes(), "little"))]
        + [MemAccess(base + i * stride, 16, False,
                     int.from_bytes(matrix[i, :4 * tdim].tobytes(), "little"), 0xFFFF)
           for i in range(tdim)])
    assert mma.effects == (
        TileWrite(5, 64, int.from_bytes(product.astype("<i4").tobytes(), "little")),)
    assert store.effects == tuple(
        MemAccess(out + i * stride, 16, True,
                  int.from_bytes(product[i].astype("<i4").tobytes(), "little"), 0xFFFF)
        for i in range(tdim))


# ---- trows / tcolb: a tile's edge -------------------------------------------------------
def test_edge_csrs_keep_their_legal_bits(tmp_path):
    ran = run_program("""
    la t0, out
    li t1, -1
    csrw trows, t1
    csrw tcolb, t1
    csrr t1, trows
    sw t1, 0(t0)
    csrr t1, tcolb
    sw t1, 4(t0)
""", tmp_path, tensor_config(), out_size=8)
    assert ran.out_array("<u4").tolist() == [0x1F, 0x7F]


@pytest.mark.parametrize("tdim, rows, colb", [(4, 3, 5), (8, 1, 32), (8, 8, 1), (16, 5, 63),
                                              (8, 0, 0), (4, 9, 100)])
def test_edge_loads_zero_the_rest_and_stores_leave_memory(tmp_path, tdim, rows, colb):
    """With trows/tcolb set, tld.b fills the first rows x bytes and zeroes the rest of the
    tile (0 or out-of-range values mean all); tst.w writes only those bytes over a
    pattern; tst.b only ceil(colb / 4) elements a row."""
    eff_rows = rows if 1 <= rows <= tdim else tdim
    eff_colb = colb if 1 <= colb <= 4 * tdim else 4 * tdim
    matrix = int8((tdim, 4 * tdim + 1))
    row_out = 4 * tdim  # tst.w rows, packed
    ran = run_program(f"""
    li t1, {rows}
    csrw trows, t1
    li t1, {colb}
    csrw tcolb, t1
    la a0, matrix
    li a1, {4 * tdim + 1}
    tld.b m2, (a0), a1
    la a2, out
    li a3, {row_out}
    tst.w m2, (a2), a3
    li t1, 0x7fffffff
    csrw tqmul, t1
    addi a2, a2, {tdim * row_out}
    li a3, {tdim}
    tst.b m2, (a2), a3
    csrw trows, zero
    csrw tcolb, zero
    addi a2, a2, {tdim * tdim}
    li a3, {row_out}
    tst.w m2, (a2), a3
""", tmp_path, tensor_config(tdim), {"matrix": matrix}, out_size=9 * tdim * tdim,
                      out_fill=0xA5)
    tile = np.zeros((tdim, 4 * tdim), np.int8)  # the tile as loaded
    tile[:eff_rows, :eff_colb] = matrix[:eff_rows, :eff_colb]
    _check_edge_stores(ran.out, tile, 0, eff_rows, eff_colb, tile)


def _check_edge_stores(out: bytes, stored: np.ndarray, first: int, last: int, colb: int,
                       loaded: np.ndarray) -> None:
    """The edge programs' output, each part over the 0xA5 fill: a tst.w then a tst.b of
    `stored` (TDIM x 4*TDIM int8) that move rows first..last-1, tst.w their first `colb`
    bytes, tst.b ceil(colb / 4) elements requantized (tqmul 0x7fffffff, no shift, RNU);
    then a whole tst.w of `loaded`."""
    tdim, row_out = stored.shape[0], stored.shape[1]
    out = np.frombuffer(out, np.uint8)
    pattern = np.uint8(0xA5)
    expected_w = np.full((tdim, row_out), pattern)
    expected_w[first:last, :colb] = stored.view(np.uint8)[first:last, :colb]
    np.testing.assert_array_equal(out[:tdim * row_out].reshape(tdim, row_out), expected_w)
    elements = -(-colb // 4)
    acc = np.ascontiguousarray(stored).view("<i4").astype(np.int64)
    expected_b = np.full((tdim, tdim), pattern)
    expected_b[first:last, :elements] = np.array(
        [[requantize(int(v), 0x7FFF_FFFF, 0, 0, RNU) for v in row[:elements]]
         for row in acc[first:last]], dtype=np.int8).reshape(-1, elements).view(np.uint8)
    stored_b = out[tdim * row_out:tdim * row_out + tdim * tdim].reshape(tdim, tdim)
    np.testing.assert_array_equal(stored_b, expected_b)
    whole = out[tdim * row_out + tdim * tdim:2 * tdim * row_out + tdim * tdim]
    np.testing.assert_array_equal(whole.reshape(tdim, row_out), loaded.view(np.uint8))


def test_edge_rows_outside_are_neither_checked_nor_saturated(tmp_path):
    """Rows past trows are not accessed: a load whose row 3 would lie past the end of RAM
    does not trap with trows = 3; elements past tcolb do not set tqsat."""
    tdim = 4
    acc = np.zeros((tdim, tdim), "<i4")
    acc[0, 3] = 1 << 30  # saturates int8 if stored: it is not (tcolb = 12: 3 elements)
    ran = run_program(f"""
    la a0, acc
    li a1, 16
    tld.w m1, (a0), a1
    li t1, 12
    csrw tcolb, t1
    la a2, out
    li a3, 4
    tst.b m1, (a2), a3
    csrr t1, tqsat
    sw t1, 16(a2)
    li t1, 3
    csrw trows, t1
    li a0, {MEM_END - 3 * 64 + 8:#x}
    li a1, 64
    tld.w m2, (a0), a1
""", tmp_path, tensor_config(tdim), {"acc": acc}, out_size=20)
    assert ran.stop.trap is None
    assert ran.out_array("<u4")[4] == 0


# ---- trow0: a tile's first rows (a convolution's padding) -------------------------------
def test_first_row_csr_resets_to_0_and_keeps_its_legal_bits(tmp_path):
    ran = run_program("""
    la t0, out
    csrr t1, trow0
    sw t1, 0(t0)
    li t1, -1
    csrw trow0, t1
    csrr t1, trow0
    sw t1, 4(t0)
""", tmp_path, tensor_config(), out_size=8)
    assert ran.out_array("<u4").tolist() == [0, 0x1F]


@pytest.mark.parametrize("tdim, row0, rows, colb", [(4, 1, 0, 0), (4, 2, 3, 5), (8, 7, 8, 32),
                                                    (8, 3, 6, 13), (16, 15, 0, 63),
                                                    (4, 3, 3, 0), (8, 31, 0, 0)])
def test_first_row_loads_zero_the_rows_before_and_stores_leave_them(tmp_path, tdim, row0,
                                                                     rows, colb):
    """With trow0 set (and trows/tcolb), tld.b fills rows trow0..trows-1 (their first
    tcolb bytes) and zeroes the rest; tst.w and tst.b write only those rows over a
    pattern. trow0 >= trows: the loaded tile is all zero and the stores write nothing."""
    last = rows if 1 <= rows <= tdim else tdim
    first = min(row0, last)
    eff_colb = colb if 1 <= colb <= 4 * tdim else 4 * tdim
    matrix = int8((tdim, 4 * tdim + 3))
    row_out = 4 * tdim
    ran = run_program(f"""
    la a0, matrix
    li a1, {4 * tdim + 3}
    tld.b m1, (a0), a1
    li t1, {rows}
    csrw trows, t1
    li t1, {colb}
    csrw tcolb, t1
    li t1, {row0}
    csrw trow0, t1
    tld.b m2, (a0), a1
    la a2, out
    li a3, {row_out}
    tst.w m1, (a2), a3
    li t1, 0x7fffffff
    csrw tqmul, t1
    addi a2, a2, {tdim * row_out}
    li a3, {tdim}
    tst.b m1, (a2), a3
    csrw trows, zero
    csrw tcolb, zero
    csrw trow0, zero
    addi a2, a2, {tdim * tdim}
    li a3, {row_out}
    tst.w m2, (a2), a3
""", tmp_path, tensor_config(tdim), {"matrix": matrix}, out_size=9 * tdim * tdim,
                      out_fill=0xA5)
    whole = np.ascontiguousarray(matrix[:, :4 * tdim])  # m1: loaded before the edges
    loaded = np.zeros((tdim, 4 * tdim), np.int8)
    loaded[first:last, :eff_colb] = whole[first:last, :eff_colb]
    _check_edge_stores(ran.out, whole, first, last, eff_colb, loaded)


def test_first_rows_skipped_are_neither_checked_nor_recorded(tmp_path):
    """Rows before trow0 are not accessed: with row 0..2 below RAM (trow0 = 3) a load
    and a store do not trap and record row 3 only; with trow0 >= trows a load from
    address 0 records no access and zeroes its tile."""
    tdim, stride = 4, 64
    base = tensor_config(tdim).mem_base - 3 * stride + 64  # row 3: RAM's byte 64 on
    ran = run_program(f"""
    li t1, 3
    csrw trow0, t1
    li a0, {base:#x}
    li a1, {stride}
    tld.w m2, (a0), a1
    tst.w m2, (a0), a1
    li t1, 4
    csrw trows, t1
    csrw trow0, t1
    tld.w m3, (zero), a1
""", tmp_path, tensor_config(tdim), out_size=4)
    assert ran.stop.trap is None
    isa = ran.interpreter.machine.isa
    tensor = [r for r in ran.records if isa.decode(r.insn).mnemonic in ("tld.w", "tst.w")]
    row3 = base + 3 * stride
    memory = bytes(ran.interpreter.machine.ram[64:80])
    tile = np.zeros((tdim, 4 * tdim), np.uint8)
    tile[3] = np.frombuffer(memory, np.uint8)
    row_value = int.from_bytes(memory, "little")
    assert tensor[0].effects == (TileWrite(2, 64, int.from_bytes(tile.tobytes(), "little")),
                                 MemAccess(row3, 16, False, row_value, 0xFFFF))
    assert tensor[1].effects == (MemAccess(row3, 16, True, row_value, 0xFFFF),)
    assert tensor[2].effects == (TileWrite(3, 64, 0),)


# ---- tld.bt: the transposed load --------------------------------------------------------
@pytest.mark.parametrize("tdim", TDIMS)
def test_transposed_load_gives_tmma_a_k_by_n_block(tmp_path, tdim):
    """tld.bt of a [4*TDIM, TDIM] block of a row-major int8 B[K][N] (N consecutive;
    stride TDIM + 5, so rows start at every byte offset): the tile is the block
    transposed (stored back with tst.w), and tmma of an A tile with it is A @ B, numpy's
    product of the untransposed matrices."""
    k, stride = 4 * tdim, tdim + 5
    b = int8((k, stride))
    a = int8((tdim, k))
    ran = run_program(f"""
    la a0, b
    li a1, {stride}
    tld.bt m6, (a0), a1
    la a2, a
    li a3, {k}
    tld.b m1, (a2), a3
    tzero m3
    tmma m3, m1, m6
    la a4, out
    li a5, {4 * tdim}
    tst.w m6, (a4), a5
    addi a4, a4, {4 * tdim * tdim}
    tst.w m3, (a4), a5
""", tmp_path, tensor_config(tdim), {"b": b, "a": a}, out_size=8 * tdim * tdim)
    out = np.frombuffer(ran.out, np.uint8)
    tile = out[:4 * tdim * tdim].view(np.int8).reshape(tdim, k)
    np.testing.assert_array_equal(tile, b[:, :tdim].T)
    product = out[4 * tdim * tdim:].view("<i4").reshape(tdim, tdim)
    np.testing.assert_array_equal(product, a.astype(np.int64) @ b[:, :tdim].astype(np.int64))


@pytest.mark.parametrize("tdim, rows, colb, row0", [(8, 3, 5, 0), (4, 4, 16, 2), (16, 9, 63, 7),
                                                    (8, 0, 0, 31)])
def test_transposed_load_edges_are_the_tiles_and_trow0_is_not_used(tmp_path, tdim, rows,
                                                                    colb, row0):
    """trows cuts each memory row to its first bytes (the tile's rows), tcolb the memory
    rows moved (the tile's byte columns); the rest of the tile is 0; trow0 changes
    nothing. The retire record holds one access of trows bytes per memory row moved."""
    eff_rows = rows if 1 <= rows <= tdim else tdim
    eff_colb = colb if 1 <= colb <= 4 * tdim else 4 * tdim
    stride = tdim + 1
    b = int8((4 * tdim, stride))
    ran = run_program(f"""
    li t1, {rows}
    csrw trows, t1
    li t1, {colb}
    csrw tcolb, t1
    li t1, {row0}
    csrw trow0, t1
    la a0, b
    li a1, {stride}
    tld.bt m2, (a0), a1
    csrw trows, zero
    csrw tcolb, zero
    csrw trow0, zero
    la a2, out
    li a3, {4 * tdim}
    tst.w m2, (a2), a3
""", tmp_path, tensor_config(tdim), {"b": b}, out_size=4 * tdim * tdim)
    expected = np.zeros((tdim, 4 * tdim), np.int8)
    expected[:eff_rows, :eff_colb] = b[:eff_colb, :eff_rows].T
    np.testing.assert_array_equal(
        np.frombuffer(ran.out, np.int8).reshape(tdim, 4 * tdim), expected)
    isa = ran.interpreter.machine.isa
    load, = [r for r in ran.records if isa.decode(r.insn).mnemonic == "tld.bt"]
    accesses = [e for e in load.effects if isinstance(e, MemAccess)]
    assert [(e.size, int.from_bytes(np.asarray(b[i, :eff_rows]).tobytes(), "little"))
            for i, e in enumerate(accesses)] == \
        [(eff_rows, e.data) for e in accesses]
    assert len(accesses) == eff_colb
    assert [e.addr - accesses[0].addr for e in accesses] == [i * stride for i in range(eff_colb)]


def test_transposed_load_traps_on_the_first_memory_row_outside_ram(tmp_path):
    """Memory row 20 of a TDIM-8 tld.bt (8 bytes a row, stride 16) reaches past the end of
    RAM: the trap names it and the tile keeps its old value."""
    tile = np.arange(64, dtype="<i4") + 1
    base = MEM_END - 20 * 16 - 4
    ran = run_program(f"""
    la t2, tile
    li t3, 32
    tld.w m1, (t2), t3
    li a0, {base:#x}
    li a1, 16
    tld.bt m1, (a0), a1
""", tmp_path, tensor_config(8), {"tile": tile})
    trap = ran.stop.trap
    assert trap.cause == TrapCause.LOAD_ACCESS_FAULT
    assert trap.tval == base + 20 * 16
    assert f"tld.bt row 20 at {base + 20 * 16:#010x} (8 bytes) is outside memory" in trap.detail
    np.testing.assert_array_equal(
        ran.interpreter.machine.engine_state["tensor"].tiles[1].reshape(-1), tile)


# ---- tlr / tsr: whole tile registers ----------------------------------------------------
@pytest.mark.parametrize("tdim", TDIMS)
def test_whole_tile_store_and_load_ignore_the_edges(tmp_path, tdim):
    """Under edges that would cut a tld.w/tst.w (trow0 1, trows 3, tcolb 5), tsr writes
    all TDIM rows of 4*TDIM bytes contiguously and tlr reads them all back: the tile
    round-trips through memory unchanged, and each records one access a row."""
    tile = int32((tdim, tdim))
    ran = run_program(f"""
    la a0, tile
    li a1, {4 * tdim}
    tld.w m2, (a0), a1
    csrwi trow0, 1
    csrwi trows, 3
    csrwi tcolb, 5
    la a2, out
    tsr m2, (a2)
    tzero m2
    tlr m4, (a2)
    csrwi trow0, 0
    csrwi trows, 0
    csrwi tcolb, 0
    addi a2, a2, {4 * tdim * tdim}
    tst.w m4, (a2), a1
""", tmp_path, tensor_config(tdim), {"tile": tile}, out_size=8 * tdim * tdim)
    out = np.frombuffer(ran.out, "<i4").reshape(2, tdim, tdim)
    np.testing.assert_array_equal(out[0], tile)
    np.testing.assert_array_equal(out[1], tile)
    isa = ran.interpreter.machine.isa
    for mnemonic in ("tlr", "tsr"):
        record, = [r for r in ran.records if isa.decode(r.insn).mnemonic == mnemonic]
        accesses = [e for e in record.effects if isinstance(e, MemAccess)]
        assert [e.size for e in accesses] == [4 * tdim] * tdim
        assert [e.addr - accesses[0].addr for e in accesses] == [4 * tdim * i for i in range(tdim)]


@pytest.mark.parametrize("line, cause, message", [
    ("tlr m1, (a0)", TrapCause.LOAD_MISALIGNED,
     "tlr row 0 at {addr:#010x} is not 4-byte aligned"),
    ("tsr m1, (a0)", TrapCause.STORE_MISALIGNED,
     "tsr row 0 at {addr:#010x} is not 4-byte aligned"),
])
def test_whole_tile_accesses_must_be_word_aligned(tmp_path, line, cause, message):
    ran = run_program(f"""
    la a0, out
    addi a0, a0, 2
    {line}
""", tmp_path, tensor_config(4), {}, out_size=128)
    trap = ran.stop.trap
    addr = ran.interpreter.machine.x[10]
    assert trap.cause == cause and trap.tval == addr
    assert message.format(addr=addr) in trap.detail
