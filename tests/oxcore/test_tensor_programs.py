"""Whole programs on the tensor engine, checked against numpy: an int8 GEMM written in
assembly (assemble -> ELF -> interpreter) and the same GEMM in C through
sw/cc/runtime/oxcore_tensor.h (`oxcore cc`), for every TDIM; and the committed header
is the one generated from the ISA rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile

from oxcore import api
from oxcore.isa import isa_for
from sw.cc import tensor_header
from sw.cc.driver import compile_c
from tests.oxcore.tensor_programs import run_program, tensor_config
from tests.oxcore.test_tensor_semantics import requantize, requantize_saturating

PROGRAM = Path(__file__).resolve().parents[1] / "programs" / "tensor" / "gemm.c"
RNE = 1
GEMM_SHAPE = (16, 64, 16)  # M, K, N of gemm.c


def _gemm_assembly(tdim: int, m: int, k: int, n: int) -> str:
    """C = A x B tile by tile, B given transposed (rhs is B^T, N x K): for each output
    tile, tzero, then tld.b/tld.b/tmma along k (4*TDIM a step), then tst.w (int32) and
    tst.b (int8)."""
    lines = [f"    li a1, {k}", f"    li a2, {n}", f"    li a3, {4 * n}"]
    for i0 in range(0, m, tdim):
        for j0 in range(0, n, tdim):
            lines.append("    tzero m0")
            for k0 in range(0, k, 4 * tdim):
                lines += [f"    la a0, lhs\n    addi a0, a0, {i0 * k + k0}",
                          "    tld.b m1, (a0), a1",
                          f"    la a0, rhs\n    addi a0, a0, {j0 * k + k0}",
                          "    tld.b m2, (a0), a1",
                          "    tmma m0, m1, m2"]
            lines += [f"    la a0, out\n    addi a0, a0, {4 * (i0 * n + j0)}",
                      "    tst.w m0, (a0), a3",
                      f"    la a0, out\n    addi a0, a0, {4 * m * n + i0 * n + j0}",
                      "    tst.b m0, (a0), a2"]
    return "\n".join(lines) + "\n"


def _requantized(c: np.ndarray, multiplier: int, shift: int, zero_point: int) -> np.ndarray:
    return np.array([requantize(int(v), multiplier, shift, zero_point, RNE) for v in c.flat],
                    dtype=np.int8).reshape(c.shape)


@pytest.mark.parametrize("tdim", [4, 8])
def test_assembly_gemm(tmp_path, tdim):
    m, k, n = 2 * tdim, 12 * tdim, 2 * tdim
    rng = np.random.default_rng(tdim)
    a = rng.integers(-128, 128, size=(m, k)).astype(np.int8)
    b = rng.integers(-128, 128, size=(k, n)).astype(np.int8)
    setup = ("    li t1, 0x40000000\n    csrw tqmul, t1\n    li t1, 7\n    csrw tqshift, t1\n"
             "    li t1, 3\n    csrw tqzp, t1\n    li t1, 1\n    csrw tqrm, t1\n")
    ran = run_program(setup + _gemm_assembly(tdim, m, k, n), tmp_path, tensor_config(tdim),
                      {"lhs": a, "rhs": np.ascontiguousarray(b.T)}, out_size=5 * m * n)
    assert ran.stop.trap is None
    c = a.astype(np.int64) @ b.astype(np.int64)
    np.testing.assert_array_equal(ran.out_array("<i4")[:m * n].reshape(m, n), c)
    np.testing.assert_array_equal(np.frombuffer(ran.out[4 * m * n:], np.int8).reshape(m, n),
                                  _requantized(c, 1 << 30, 7, 3))


def _lcg_int8(seed: int, count: int) -> np.ndarray:
    values, state = [], seed
    for _ in range(count):
        state = (state * 1664525 + 1013904223) & 0xFFFF_FFFF
        values.append(state >> 24)
    return np.array(values, dtype=np.uint8).view(np.int8)


def _tensor_instructions(elf: Path, config) -> list[str]:
    """The mnemonics of the tensor instructions in the ELF's text."""
    isa = isa_for(config)
    with open(elf, "rb") as handle:
        text = ELFFile(handle).get_section_by_name(".text").data()
    words = np.frombuffer(text[:len(text) // 4 * 4], dtype="<u4")
    return [ins.mnemonic for word in words.tolist()
            if (ins := isa.decode(word)) is not None and ins.engine == "tensor"]


@pytest.mark.parametrize("tdim, row_major_b", [(4, False), (8, False), (16, False),
                                                (4, True), (8, True)])
def test_c_gemm_through_the_header(tmp_path, tdim, row_major_b):
    """The C gemm, B given transposed (tld.b) or row-major (-DROW_MAJOR_B: tld.bt)."""
    config = tensor_config(tdim)
    elf = compile_c([PROGRAM], tmp_path / "gemm.elf", config, opt="2",
                    extra_flags=["-DROW_MAJOR_B"] if row_major_b else None)
    mnemonics = _tensor_instructions(elf, config)
    assert len(mnemonics) >= 6  # the header's instructions are there
    assert ("tld.bt" in mnemonics) == row_major_b
    result = api.run(api.load(elf, config), "iss")
    assert (result.exit_code, result.stderr) == (0, b"")
    m, k, n = GEMM_SHAPE
    values = _lcg_int8(12345, m * k + k * n)
    a, b = values[:m * k].reshape(m, k), values[m * k:].reshape(n, k).T  # the C has B^T
    c = a.astype(np.int64) @ b.astype(np.int64)
    out = result.stdout
    assert len(out) == 5 * m * n + 4
    np.testing.assert_array_equal(np.frombuffer(out[:4 * m * n], "<i4").reshape(m, n), c)
    q = _requantized(c, 1518500250, 11, -5)
    np.testing.assert_array_equal(np.frombuffer(out[4 * m * n:5 * m * n], np.int8)
                                  .reshape(m, n), q)
    saturates = any(requantize_saturating(int(v), 1518500250, 11, -5, RNE)[1] for v in c.flat)
    assert np.frombuffer(out[-4:], "<u4")[0] == int(saturates)


def test_c_gemm_compiles_at_o0(tmp_path):
    """At -O0 the tile operands are still constants: the macros use "i" operands."""
    config = tensor_config(8)
    elf = compile_c([PROGRAM], tmp_path / "gemm0.elf", config, opt="0")
    assert api.run(api.load(elf, config), "iss").exit_code == 0


def test_committed_header_is_generated_from_the_rows():
    assert tensor_header.HEADER.read_text() == tensor_header.render(), \
        "run `make docs` and commit sw/cc/runtime/oxcore_tensor.h"
