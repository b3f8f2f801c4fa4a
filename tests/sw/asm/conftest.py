"""Fixtures for the assembler tests: our assembler, LLVM (clang/lld from ziglang), ELF views.

LLVM is the independent reference: sources are assembled by both and the bytes compared.
Sources use the ``.s`` suffix so clang does not run the C preprocessor on them.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from oxcore.cli import main as oxcore_main
from oxcore.config import PRESETS, OxCoreConfig

LLVM_TARGET = ["-target", "riscv32-freestanding-none", "-mcpu=generic_rv32+m+zicsr",
               "-mno-relax", "-g0"]
LINKER_SCRIPT = ("SECTIONS { . = 0x80000000; .text : { *(.text*) } "
                 ".rodata : { *(.rodata*) } .data : { *(.data*) *(.sdata*) } "
                 ".bss : { *(.bss*) *(.sbss*) } }\n")


@dataclass(frozen=True)
class ElfView:
    """What the tests compare: loaded sections, symbol values, entry point."""

    sections: dict[str, tuple[int, bytes, int]]  # name -> (address, bytes, size)
    symbols: dict[str, int]
    entry: int
    relocations: list[str]

    def data(self, name: str) -> bytes:
        return self.sections[name][1]


def read_elf(path: Path) -> ElfView:
    with open(path, "rb") as handle:
        elf = ELFFile(handle)
        sections, relocations, symbols = {}, [], {}
        for sec in elf.iter_sections():
            if sec["sh_type"] in ("SHT_RELA", "SHT_REL"):
                relocations.append(sec.name)
            if sec["sh_flags"] & 2:  # SHF_ALLOC
                body = b"" if sec["sh_type"] == "SHT_NOBITS" else sec.data()
                sections[sec.name] = (sec["sh_addr"], body, sec["sh_size"])
        symtab = elf.get_section_by_name(".symtab")
        for sym in symtab.iter_symbols() if symtab else ():
            if sym.name and not sym.name.startswith(("$", ".L")) \
                    and sym["st_info"]["type"] in ("STT_NOTYPE", "STT_FUNC", "STT_OBJECT"):
                symbols[sym.name] = sym["st_value"]
        return ElfView(sections, symbols, elf["e_entry"], relocations)


class Toolchains:
    """Runs our assembler and LLVM's on the same source text, in a temporary directory."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.count = 0

    def _file(self, text: str, suffix: str) -> Path:
        self.count += 1
        path = self.tmp / f"src{self.count}{suffix}"
        path.write_text(text, encoding="latin-1")
        return path

    def ours(self, source: str, fmt: str = "elf", config: OxCoreConfig | None = None) -> Path:
        from sw.asm.driver import assemble_file
        src = self._file(source, ".s")
        out = src.with_suffix(".bin" if fmt == "bin" else ".elf")
        assemble_file(src, out, fmt, config or PRESETS["default"])
        return out

    def ours_elf(self, source: str) -> ElfView:
        return read_elf(self.ours(source))

    def _clang(self, *args: str) -> None:
        result = subprocess.run([sys.executable, "-m", "ziglang", "cc", *LLVM_TARGET, *args],
                                capture_output=True, text=True, cwd=self.tmp)
        if result.returncode != 0:
            pytest.fail(f"LLVM rejected the test source:\n{result.stderr[-3000:]}")

    def llvm_object(self, source: str) -> ElfView:
        """LLVM's object file; the tests only use sources it resolves without relocations."""
        src = self._file(source, ".s")
        obj = src.with_suffix(".o")
        self._clang("-c", str(src), "-o", str(obj))
        view = read_elf(obj)
        assert not view.relocations, f"LLVM left relocations: {view.relocations}"
        return view

    def llvm_link(self, source: str) -> ElfView:
        """LLVM-assembled and lld-linked with the minimal linker script."""
        src = self._file(source, ".s")
        script = self.tmp / "link.ld"
        script.write_text(LINKER_SCRIPT)
        exe = src.with_suffix(".llvm.elf")
        self._clang("-nostdlib", f"-Wl,-T,{script}", str(src), "-o", str(exe))
        return read_elf(exe)

    def compile_c(self, c_source: str, opt: str = "2") -> str:
        """Assembly text clang writes for `c_source` (no unwind tables, no debug info)."""
        src = self._file(c_source, ".c")
        asm = src.with_suffix(".s")
        self._clang(f"-O{opt}", "-ffreestanding", "-fno-sanitize=all",
                    "-fno-asynchronous-unwind-tables",
                    "-fno-unwind-tables", "-S", str(src), "-o", str(asm))
        return asm.read_text(encoding="latin-1")


@pytest.fixture
def tools(tmp_path: Path) -> Toolchains:
    return Toolchains(tmp_path)


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str
    output: Path


@pytest.fixture
def asm_cli(tmp_path: Path, capsys):
    """Run ``oxcore asm`` on source text through the real CLI entry point."""
    def run(source: str, *extra: str, name: str = "prog.s") -> CliResult:
        src = tmp_path / name
        src.write_text(source, encoding="latin-1")
        out = tmp_path / (src.stem + (".bin" if "bin" in extra else ".elf"))
        code = oxcore_main(["asm", str(src), "-o", str(out), *extra])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err, out)
    return run
