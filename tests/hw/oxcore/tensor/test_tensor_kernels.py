"""An int8 GEMM in assembly on the tensor engine: co-simulated in lockstep with the
interpreter, its int32 output read back from the RTL's memory and compared with numpy;
and the MAC array's occupancy: back-to-back tmma take 4*TDIM cycles each, and the GEMM
keeps the array busy most of the time (the load/store unit loads the next B tile while
the array multiplies the current one)."""

from pathlib import Path

import numpy as np
import pytest

from cosim.cosim_cmd import cosim_program
from oxcore import api
from sw.asm.assembler import assemble_source
from sw.asm.driver import render
from tests.hw.oxcore.tensor.test_tensor_engine import config


def _array(name: str, values: np.ndarray) -> list[str]:
    data = values.astype("<i1" if values.dtype == np.int8 else "<i4").tobytes()
    return ["    .p2align 6", f"{name}:"] + [
        f"    .byte {', '.join(str(b) for b in data[i:i + 16])}" for i in range(0, len(data), 16)]


def gemm_source(a: np.ndarray, b: np.ndarray, tdim: int) -> str:
    """C = A x B (int8 x int8 -> int32) in assembly, output-stationary by tiles, B held
    transposed (tmma multiplies by ms2's transpose).

    For each block row i0 the K/(4*TDIM) tiles of A stay in m1..m4; for each pair of
    block columns (j0, j0 + TDIM), accumulators m0 and m7 take tmma with B^T tiles
    loaded in turn into m5 and m6, so a B load overlaps the tmma before it and a tst.w
    the next block's tmma. Loops over i0 and j0; k unrolled (tile numbers are
    immediates)."""
    (m, k), (_, n) = a.shape, b.shape
    t = tdim
    k_tiles = k // (4 * t)
    assert k_tiles <= 4 and k % (4 * t) == 0 and n % (2 * t) == 0 and m % t == 0
    lines = ["    .text", "    .globl _start", "_start:",
             "    la s0, A", "    la s1, BT", "    la s2, C",
             f"    li s5, {k}", f"    li s7, {4 * n}", f"    li s8, {m // t}"]
    lines += ["row_loop:"]
    for kt in range(k_tiles):  # A's tiles of this block row
        lines += [f"    addi t0, s0, {4 * kt * t}", f"    tld.b m{1 + kt}, (t0), s5"]
    lines += ["    mv t4, s1", "    mv t6, s2", f"    li s9, {n // (2 * t)}", "col_loop:"]
    for half, acc in enumerate((0, 7)):
        lines.append(f"    tzero m{acc}")
        for kt in range(k_tiles):
            b_tile = 5 + (half * k_tiles + kt) % 2
            lines += [f"    li t1, {half * t * k + 4 * kt * t}", "    add t0, t4, t1",
                      f"    tld.b m{b_tile}, (t0), s5", f"    tmma m{acc}, m{1 + kt}, m{b_tile}"]
        lines += [f"    addi t0, t6, {half * 4 * t}", f"    tst.w m{acc}, (t0), s7"]
    lines += [f"    li t1, {2 * t * k}", "    add t4, t4, t1", f"    addi t6, t6, {8 * t}",
              "    addi s9, s9, -1", "    bnez s9, col_loop",
              f"    li t1, {t * k}", "    add s0, s0, t1", f"    li t1, {t * 4 * n}",
              "    add s2, s2, t1", "    addi s8, s8, -1", "    bnez s8, row_loop",
              "    li a0, 0", "    li a7, 93", "    ecall", "    .data"]
    lines += _array("A", a) + _array("BT", np.ascontiguousarray(b.T))
    lines += ["    .p2align 6", "C:", f"    .zero {4 * m * n}"]
    return "\n".join(lines) + "\n"


def _build(source: str, cfg, tmp_path: Path, name: str):
    image = assemble_source(source, f"{name}.S", cfg)
    elf = tmp_path / f"{name}.elf"
    elf.write_bytes(render(image, "elf", cfg))
    return api.load(elf, cfg).program


@pytest.mark.parametrize("tdim, shape", [(4, (16, 16, 32)), (8, (16, 16, 64))])
def test_gemm_matches_numpy(tdim, shape, tmp_path):
    m, n, k = shape
    rng = np.random.default_rng(tdim)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    cfg = config(tdim)
    prog = _build(gemm_source(a, b, tdim), cfg, tmp_path, "gemm")
    c_addr = prog.symbol("C").addr
    result = cosim_program(cfg, prog, read_back=((c_addr, 4 * m * n),), backend="pysim")
    assert result.verdict == "pass", result.divergence.report() if result.divergence else \
        result.problems
    got = np.frombuffer(result.rtl.memory[c_addr][:4 * m * n], dtype="<i4").reshape(m, n)
    np.testing.assert_array_equal(got, a.astype(np.int32) @ b.astype(np.int32))


def _cycles(source: str, cfg, tmp_path: Path, name: str) -> int:
    result = api.run(api.LoadedProgram(_build(source, cfg, tmp_path, name), cfg), sim="rtl",
                     backend="pysim")
    assert result.exit_code == 0
    return result.cycles


def _tmma_program(count: int) -> str:
    """`count` back-to-back tmma into four independent accumulators."""
    body = [f"    tmma m{i % 4}, m4, m5" for i in range(count)]
    return "\n".join(["    .text", "    .globl _start", "_start:", "    tzero m4",
                      "    tzero m5", *body, "    li a0, 0", "    li a7, 93", "    ecall"]) + "\n"


@pytest.mark.parametrize("tdim", [4, 8])
def test_back_to_back_tmma_take_4_tdim_cycles_each(tdim, tmp_path):
    cfg = config(tdim)
    extra = 32
    few = _cycles(_tmma_program(4), cfg, tmp_path, "few")
    many = _cycles(_tmma_program(4 + extra), cfg, tmp_path, "many")
    assert (many - few) == extra * 4 * tdim  # every cycle a k-step: all TDIM^2 MACs busy


def test_gemm_keeps_the_mac_array_busy(tmp_path):
    """16 x 16 x 64 at TDIM 4: 64 tmma of 16 k-steps (1024 array cycles). A B^T tile
    (4 rows) loads in 5 cycles while the tmma before it takes 16, so the array is busy
    most of the time: above 80% of the program's cycles, start and end included."""
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (16, 64), dtype=np.int8)
    b = rng.integers(-128, 128, (64, 16), dtype=np.int8)
    cycles = _cycles(gemm_source(a, b, 4), config(4), tmp_path, "gemm")
    mac_cycles = 16 * 16 * 64 // 16
    assert mac_cycles / cycles > 0.8, f"MAC utilization {mac_cycles / cycles:.2f} ({cycles} cycles)"


def test_c_gemm_through_the_header_on_the_rtl(tmp_path):
    """tests/programs/tensor/gemm.c (tld.b, tmma, tst.w, tst.b, tqsat through the C
    header), compiled at -O2, co-simulated at TDIM 4; what it writes against numpy."""
    import io

    from sw.cc.driver import compile_c
    from tests.oxcore.test_tensor_programs import (GEMM_SHAPE, PROGRAM, RNE, _lcg_int8,
                                                   _requantized,
                                                   requantize_saturating)
    cfg = config(4)
    elf = compile_c([PROGRAM], tmp_path / "gemm.elf", cfg, opt="2")
    out = io.BytesIO()
    result = cosim_program(cfg, api.load(elf, cfg).program, backend="pysim", stdout=out)
    assert result.verdict == "pass", result.divergence.report() if result.divergence else \
        result.problems
    m, k, n = GEMM_SHAPE
    values = _lcg_int8(12345, m * k + k * n)
    a, b = values[:m * k].reshape(m, k), values[m * k:].reshape(n, k).T  # the C has B^T
    c = a.astype(np.int64) @ b.astype(np.int64)
    written = out.getvalue()
    np.testing.assert_array_equal(np.frombuffer(written[:4 * m * n], "<i4").reshape(m, n), c)
    np.testing.assert_array_equal(np.frombuffer(written[4 * m * n:5 * m * n], np.int8)
                                  .reshape(m, n), _requantized(c, 1518500250, 11, -5))
    saturates = any(requantize_saturating(int(v), 1518500250, 11, -5, RNE)[1] for v in c.flat)
    assert np.frombuffer(written[-4:], "<u4")[0] == int(saturates)


def _mixed_program(tmmas: int, loads: int) -> str:
    """tmma on m0..m3 from m4, m5 and tile loads into m6, m7, interleaved: independent
    tiles, so the two units may run them at once."""
    body = ["    la s0, data", "    li s1, 16", "    tzero m4", "    tzero m5"]
    for i in range(max(tmmas, loads)):
        if i < tmmas:
            body.append(f"    tmma m{i % 4}, m4, m5")
        if i < loads:
            body.append(f"    tld.b m{6 + i % 2}, (s0), s1")
    return "\n".join(["    .text", "    .globl _start", "_start:", *body, "    li a0, 0",
                      "    li a7, 93", "    ecall", "    .data", "data:", "    .zero 256"]) + "\n"


def test_loads_overlap_tmma_on_other_tiles(tmp_path):
    """16 tmma and 16 tile loads on disjoint tiles take about as long as the longer of
    the two streams alone, not their sum: the MAC unit and the LSU run at once."""
    cfg = config(4)
    base = _cycles(_mixed_program(0, 0), cfg, tmp_path, "none")
    mac = _cycles(_mixed_program(16, 0), cfg, tmp_path, "mac") - base
    lsu = _cycles(_mixed_program(0, 16), cfg, tmp_path, "lsu") - base
    both = _cycles(_mixed_program(16, 16), cfg, tmp_path, "both") - base
    assert both <= max(mac, lsu) + 8 < mac + lsu, (mac, lsu, both)
