"""`python -m cosim.gemm_fuzz` (part of `make fuzz`): a few seeds run, and a failing
seed is reported and kept."""

from __future__ import annotations

from cosim import gemm_fuzz


def test_a_few_seeds_match_numpy(tmp_path, capsys) -> None:
    assert gemm_fuzz.main(["--cases", "4", "--first-seed", "7", "--out", str(tmp_path)]) == 0
    assert "gemm fuzz: 4/4 compiled GEMMs match numpy" in capsys.readouterr().out


def test_draws_cover_every_choice() -> None:
    cases = [gemm_fuzz.draw(seed) for seed in range(200)]
    assert {c.num_stages for c in cases} == {None, 1, 2}
    assert {c.row_major_b for c in cases} == {True, False} and {c.tdim for c in cases} == {4, 8}
    assert {c.block_k // (4 * c.tdim) for c in cases} == {1, 2}


def test_a_wrong_result_is_reported_and_kept(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(gemm_fuzz, "run_case", lambda seed, case, sim: "1 wrong elements: x")
    assert gemm_fuzz.main(["--cases", "1", "--first-seed", "3", "--out", str(tmp_path)]) == 1
    kept = (tmp_path / "seed-3.txt").read_text()
    assert kept.startswith(f"seed 3 (iss): {gemm_fuzz.draw(3).text()}\n1 wrong elements")
    assert "0/1 compiled GEMMs match numpy" in capsys.readouterr().out
