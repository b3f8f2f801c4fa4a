"""Every foundation program, assembly and C, passes co-simulation: the RTL (on CXXRTL)
and the golden interpreter agree on every retired instruction, and on the output."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from oxcore.config import PRESETS
from oxcore.program import load_program
from cosim.cosim_cmd import cosim_program
from cosim.iss import run_elf

ROOT = Path(__file__).resolve().parents[2]
CONFIG = PRESETS["default"]
C_PROGRAMS = sorted((ROOT / "tests" / "programs" / "c").glob("*.c")) + \
    sorted((ROOT / "examples").glob("*.c"))
ASM_PROGRAMS = sorted((ROOT / "examples").glob("*.S"))


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corpus")


def _build(source: Path, build_dir: Path) -> Path:
    elf = build_dir / f"{source.stem}.elf"
    if source.suffix == ".c":
        from sw.cc.driver import compile_c
        compile_c([source], elf, CONFIG)
    else:
        from sw.asm.driver import assemble_file
        assemble_file(source, elf, "elf", CONFIG)
    return elf


@pytest.mark.parametrize("source", C_PROGRAMS + ASM_PROGRAMS, ids=lambda p: p.name)
def test_program_cosimulates(source: Path, build_dir: Path) -> None:
    elf = _build(source, build_dir)
    out = io.BytesIO()
    result = cosim_program(CONFIG, load_program(elf, CONFIG), stdout=out,
                           stderr=io.BytesIO(), backend="cxxrtl")
    assert result.ok, (result.divergence.report() if result.divergence else result.problems)
    expected = run_elf(elf, CONFIG)
    assert result.rtl.reason == "exit" and result.rtl.exit_code == expected.exit_code
    assert result.rtl.instret == expected.instret and out.getvalue() == expected.stdout
