"""`@autotune`: every candidate runs on the RTL (pysim here), the fastest is chosen and
cached on disk, a candidate that cannot run is reported and skipped."""

from __future__ import annotations

import io

import numpy as np
import pytest

from oxcore.config import load_config
from oxcore.errors import OxCoreError
from sw.compiler import autotune as tuning
from sw.compiler import language as tl
from sw.compiler.autotune import Autotuned
from sw.ops.gemm import gemm, reference

CONFIGS = [tl.Config({"BLOCK_M": 16, "BLOCK_N": 16, "BLOCK_K": 32}),
           tl.Config({"BLOCK_M": 8, "BLOCK_N": 16, "BLOCK_K": 32}),
           tl.Config({"BLOCK_M": 16, "BLOCK_N": 16, "BLOCK_K": 16}),  # K tile too small
           # Triton's num_stages: the K loop software-pipelined (num_warps: ignored)
           tl.Config({"BLOCK_M": 16, "BLOCK_N": 16, "BLOCK_K": 32}, num_stages=2,
                     num_warps=4),
           ]


def operands(m: int, n: int, k: int):
    rng = np.random.default_rng(3)
    return (rng.integers(-128, 128, (m, k), dtype=np.int8),
            rng.integers(-128, 128, (n, k), dtype=np.int8), np.zeros((m, n), np.int32))


def grid_for(m: int, n: int):
    return lambda meta: (-(-m // meta["BLOCK_M"]), -(-n // meta["BLOCK_N"]))


def test_autotune_runs_every_candidate_and_keeps_the_fastest(tmp_path, monkeypatch):
    monkeypatch.setenv("OXCORE_CACHE_DIR", str(tmp_path))
    out = io.StringIO()
    tuned = Autotuned(gemm, CONFIGS, ["M", "N", "K"], output=out)
    m, n, k = 24, 16, 40
    a, bt, c = operands(m, n, k)
    result = tuned[grid_for(m, n)](a, bt, c, m, n, k, sim="iss", config="tensor")
    np.testing.assert_array_equal(c, reference(a, bt))
    report = out.getvalue().splitlines()
    assert report[0] == "autotune gemm (M=24, N=16, K=40; config tensor):"
    cycles = {}
    for line in report[1:]:
        text, rest = line.strip().split(": ", 1)
        if rest.startswith("does not run"):
            assert "BLOCK_K=16" in text and "does not divide into tiles" in rest
        else:
            cycles[text] = int(rest.split(" cycles")[0].replace(",", ""))
    assert len(cycles) == 3
    assert "BLOCK_M=16, BLOCK_N=16, BLOCK_K=32, num_stages=2" in cycles
    chosen = next(line for line in report if line.endswith("<- chosen")).strip()
    assert chosen.startswith(min(cycles, key=cycles.get))
    assert result.sim == "iss"
    # the choice is on disk, under $OXCORE_CACHE_DIR: a new tuner (another process)
    # does not tune again
    assert len(list((tmp_path / "autotune").glob("gemm-tensor-*.json"))) == 1
    again = io.StringIO()
    fresh = Autotuned(gemm, CONFIGS, ["M", "N", "K"], output=again)
    a2, bt2, c2 = operands(m, n, k)
    fresh[grid_for(m, n)](a2, bt2, c2, m, n, k, config="tensor")
    assert again.getvalue() == ""
    np.testing.assert_array_equal(c2, reference(a2, bt2))


def test_autotune_errors() -> None:
    with pytest.raises(OxCoreError, match="key 'Q' is not a parameter"):
        Autotuned(gemm, CONFIGS, ["Q"])
    with pytest.raises(OxCoreError, match="no configs"):
        Autotuned(gemm, [], ["M"])
    with pytest.raises(OxCoreError, match="@autotune goes above @kernel"):
        tl.autotune(CONFIGS, ["M"])(lambda x: x)


def test_a_changed_compiler_or_rtl_tunes_again(monkeypatch):
    """A changed compiler or RTL changes the candidates' cycles: the choice is kept in
    another file, so the old one is not reused."""
    from oxcore.config import load_config
    tuned = Autotuned(gemm, CONFIGS, ["M", "N", "K"])
    keys = {"M": 64, "N": 64, "K": 64}
    paths = {tuned._cache_path(load_config("tensor"), keys)}
    for digest in ("compiler_digest", "hardware_digest"):
        monkeypatch.setattr(f"sw.compiler.cache.{digest}", lambda: f"another {digest}")
        paths.add(tuned._cache_path(load_config("tensor"), keys))
    assert len(paths) == 3


def test_a_callers_num_stages_holds_for_candidates_without_their_own(monkeypatch):
    """`tuned[grid](..., num_stages=1)`: tuning and the launch pass 1 to the candidates
    that do not set num_stages; a candidate's own wins (no duplicate keyword)."""
    calls = []

    def fake_launch(kernel, grid, *args, **options):
        calls.append(options.get("num_stages"))
        class Result:
            cycles = 100 + len(calls)
        return Result()
    monkeypatch.setattr("sw.compiler.launch.launch", fake_launch)
    configs = [tl.Config({"BLOCK_M": 16, "BLOCK_N": 16, "BLOCK_K": 32}),
               tl.Config({"BLOCK_M": 8, "BLOCK_N": 16, "BLOCK_K": 32}, num_stages=2)]
    tuned = Autotuned(gemm, configs, ["M", "N", "K"], output=io.StringIO())
    tuned.tune(grid_for(16, 16), operands(16, 16, 32) + (16, 16, 32), load_config("tensor"),
               num_stages=1)
    assert calls == [1, 2]
    tuned.chosen[("tensor", (("M", 16), ("N", 16), ("K", 32)), 1)] = configs[1]
    tuned[grid_for(16, 16)](*operands(16, 16, 32), 16, 16, 32, config="tensor", num_stages=1)
    assert calls[-1] == 2
