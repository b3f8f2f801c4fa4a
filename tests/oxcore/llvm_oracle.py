"""LLVM's assembler (clang via ziglang) as an encoding oracle for our assembler's bytes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from elftools.elf.elffile import ELFFile

from oxcore.config import OxCoreConfig
from oxcore.isa import Isa
from sw.cc.driver import target_flags


def llvm_text(source: str, tmp_path: Path, config: OxCoreConfig, isa: Isa) -> bytes:
    """The `.text` bytes clang assembles `source` to, with the `-mcpu` the ISA derives."""
    src, obj = tmp_path / "v.s", tmp_path / "v.o"
    src.write_text(source)
    result = subprocess.run([sys.executable, "-m", "ziglang", "cc", *target_flags(config, isa),
                             "-g0", "-c", str(src), "-o", str(obj)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[:4000]
    with open(obj, "rb") as handle:
        return ELFFile(handle).get_section_by_name(".text").data()
