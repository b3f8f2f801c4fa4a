"""The RTL fuzzer: healthy RTL passes; an injected bug leaves reproducer files whose ELF
reproduces the divergence through `oxcore cosim`."""

from __future__ import annotations

from pathlib import Path

from oxcore.cli import main
from cosim.fuzz import main as fuzz_main


def test_healthy_rtl_passes(tmp_path: Path, capsys) -> None:
    assert fuzz_main(["--count", "4", "--jobs", "1", "--length", "120",
                      "--out", str(tmp_path)]) == 0
    assert "4 passed, 0 failed" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())


def test_failing_seed_is_kept_and_reproduces(tmp_path: Path, capsys) -> None:
    status = fuzz_main(["--count", "3", "--jobs", "1", "--length", "160", "--out",
                        str(tmp_path), "--fault", "rem-sign", "--first-seed", "0"])
    assert status == 1
    reports = sorted(tmp_path.glob("seed-*.txt"))
    assert reports
    seed = reports[0].stem
    text = reports[0].read_text()
    assert "MISMATCH at instruction #" in text and "--fault rem-sign" in text
    assert (tmp_path / f"{seed}.lst").read_text().startswith("# oxcore random program")
    capsys.readouterr()
    elf = str(tmp_path / f"{seed}.elf")
    # Healthy RTL: everything matches (PASS, or MATCH with status 3 when the random
    # program's exit status, as the interpreter computes it, is not 0).
    from cosim.iss import run_elf
    from oxcore.config import PRESETS
    expected = 0 if run_elf(elf, PRESETS["small"]).exit_code == 0 else 3
    assert main(["cosim", elf, "--config", "small"]) == expected
    assert main(["cosim", elf, "--config", "small", "--fault", "rem-sign"]) == 1
    assert "MISMATCH at instruction #" in capsys.readouterr().err
