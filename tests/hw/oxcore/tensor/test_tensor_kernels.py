"""The hand-written GEMM (sw/kernels/tensor/gemm.s) on the tensor engine: co-simulated
in lockstep with the interpreter at TDIM 4, 8 and 16 on shapes with and without edges,
its output read back from the RTL's memory and compared with numpy, and a dropped tile
row caught; the MAC array's occupancy: back-to-back tmma take 4*TDIM cycles each, and
tile loads overlap tmma on other tiles; the C GEMM through the header on the RTL."""

from pathlib import Path

import numpy as np
import pytest

from amaranth import Signal

from cosim.cosim_cmd import cosim_program
from cosim.kernels import check_outputs, output_ranges, prepare
from cosim.tensor_fuzz import load_source
from hw.oxcore.tensor.geometry import Geometry
from oxcore import api
from oxcore.config import PRESETS, TensorConfig
from sw.kernels import KERNELS
from tests.hw.oxcore.tensor.test_tensor_engine import config


# (kernel, M x N x K, TDIM): whole blocks only; every edge and a K remainder (the
# partial sums buffer); int8 out with edges at TDIM 4; every tile an edge; TDIM 16.
GEMM_CASES = [("tensor_gemm", (32, 32, 64), 8), ("tensor_gemm", (40, 24, 72), 8),
              ("tensor_gemm_q", (20, 36, 40), 4), ("tensor_gemm", (17, 33, 9), 8),
              ("tensor_gemm", (32, 32, 64), 16)]


def _gemm(name: str, shape: tuple[int, int, int], tdim: int):
    cfg = PRESETS["tensor"].replace(name=f"tensor-t{tdim}", tensor=TensorConfig(tdim=tdim))
    case = prepare(KERNELS[name], dict(zip(("M", "N", "K"), shape)), cfg, seed=sum(shape))
    result = cosim_program(cfg, case.program, read_back=output_ranges(case),
                           backend="pysim")
    return result, check_outputs(case, lambda addr, size: result.rtl.memory[addr][:size])


@pytest.mark.parametrize("name, shape, tdim", GEMM_CASES,
                         ids=[f"{n}-{'x'.join(map(str, s))}-t{t}" for n, s, t in GEMM_CASES])
def test_gemm_kernel_matches_interpreter_and_numpy(name, shape, tdim):
    """sw/kernels/tensor/gemm.s in lockstep with the interpreter, and its C read back
    from the RTL's memory against numpy."""
    result, check = _gemm(name, shape, tdim)
    assert result.verdict == "pass", result.divergence.report() if result.divergence else \
        result.problems
    assert check.ok, check.errors


def test_a_dropped_tile_row_is_caught(monkeypatch):
    """Fault injection: the load/store unit moves one row fewer than a whole tile (its
    rows register starts at TDIM - 1; the kernel writes no trows before its first
    loads)."""
    real_init = Geometry.__init__

    def dropping(geometry, tdim, row_bytes, trow0, prefix="lsu", **options):
        real_init(geometry, tdim, row_bytes, trow0, prefix, **options)
        if prefix == "lsu":  # the load/store unit's, not the precise traps' copy
            geometry.rows = Signal(range(tdim + 1), name="lsu_rows", init=tdim - 1)
    monkeypatch.setattr(Geometry, "__init__", dropping)
    result, _ = _gemm("tensor_gemm", (32, 32, 64), 8)
    assert result.verdict == "fail"


def _cycles(source: str, cfg, tmp_path: Path, name: str) -> int:
    result = api.run(load_source(source, cfg, tmp_path, name), sim="rtl", backend="pysim")
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


def test_c_gemm_through_the_header_on_the_rtl(tmp_path):
    """tests/programs/tensor/gemm.c (tld.b, tmma, tst.w, tst.b, tqsat through the C
    header), compiled at -O2, co-simulated at TDIM 4; what it writes against numpy."""
    import io

    from sw.cc.driver import compile_c
    from tests.oxcore.test_tensor_programs import (PROGRAM, RNE, _lcg_int8, _requantized,
                                                   requantize_saturating)
    cfg = config(4)
    m, k, n = 16, 16, 16  # K = 4 * TDIM: one k-step (the LCG fills A and B on the core)
    elf = compile_c([PROGRAM], tmp_path / "gemm.elf", cfg, opt="2", extra_flags=[f"-DK={k}"])
    out = io.BytesIO()
    result = cosim_program(cfg, api.load(elf, cfg).program, backend="pysim", stdout=out)
    assert result.verdict == "pass", result.divergence.report() if result.divergence else \
        result.problems
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


def _lsu_cycles(insns: list[str], cfg, tmp_path: Path, name: str,
                setup: tuple[str, ...] = ()) -> int:
    """The engine's busy cycles (`tbusy`) between two reads of it around `insns` (after
    `setup`): csr instructions run in the load/store unit, in order, so the second
    waits for every tile load and store before it."""
    body = ["    la s0, data", "    li s1, 32", "    tzero m0", "    tzero m1", *setup,
            "    csrr t0, tbusy", *insns, "    csrr t1, tbusy", "    sub a0, t1, t0",
            "    li a7, 93", "    ecall", "    .data", "    .balign 64", "data:",
            "    .zero 1024"]
    source = "\n".join(["    .text", "    .globl _start", "_start:", *body]) + "\n"
    result = api.run(load_source(source, cfg, tmp_path, name), sim="rtl", backend="pysim")
    return result.exit_code


@pytest.mark.parametrize("tdim", [4, 8])
def test_tile_access_latencies_follow_the_table(tdim, tmp_path):
    """docs/tensor.md's engine cycles per tile access, as differences that cancel the
    csr reads around them (rows 32 bytes apart at an aligned address: one port word
    each): tst.b's requantizer is six stages more than tst.w; a tst.w right behind a
    tst.w adds just its rows (its row 0 goes as its tile is copied); one from row 1
    moves a row fewer and waits for the copy, a cycle; tld.bt moves 4*TDIM memory rows
    where tld.b moves TDIM (neither with its first request in the take cycle: the LSU
    runs the csr read before it)."""
    cfg = config(tdim)
    st_w = "    tst.w m0, (s0), s1"
    cycles = {name: _lsu_cycles(insns, cfg, tmp_path, name.replace(".", "_"))
              for name, insns in {
                  "tst.w": [st_w], "tst.b": ["    tst.b m0, (s0), s1"],
                  "two_tst.w": [st_w, "    tst.w m1, (s0), s1"],
                  "tld.b": ["    tld.b m2, (s0), s1"], "tld.bt": ["    tld.bt m2, (s0), s1"],
                  }.items()}
    from_row1 = _lsu_cycles([st_w], cfg, tmp_path, "from_row1", setup=("    csrwi trow0, 1",))
    assert cycles["tst.b"] - cycles["tst.w"] == 6
    assert cycles["two_tst.w"] - cycles["tst.w"] == tdim
    assert from_row1 == cycles["tst.w"]
    assert cycles["tld.bt"] - cycles["tld.b"] == 4 * tdim - tdim
