"""Every Xoxtensor instruction, assembled by us and by LLVM's `.insn` directive, must give
the same bytes; our disassembler must print each word back as the line written.

The `.insn` column below is the encoding table of docs/tensor.md written out by hand
(major opcode, funct3, funct7; tile numbers in the register fields), so the rows in
oxcore/isa/ext/xoxtensor.py are checked against the documented design and LLVM's R-type
layout, not against themselves.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from oxcore.config import PRESETS, TensorConfig
from oxcore.errors import SourceError
from oxcore.isa import DEFAULT_ISA, isa_for
from sw.asm.assembler import assemble_source
from sw.cc.driver import target_flags

CONFIG = PRESETS["default"].replace(name="tensor", tensor=TensorConfig())
ISA = isa_for(CONFIG)
TENSOR = [ins for ins in ISA.instructions if ins.extension == "Xoxtensor"]
VARIANTS = 8

# mnemonic -> (operand syntax, the same instruction as an `.insn` line)
ORACLE = {
    "tzero": ("m{md}", ".insn r CUSTOM_0, 0, 0, x{md}, x0, x0"),
    "tmma": ("m{md}, m{ms1}, m{ms2}", ".insn r CUSTOM_0, 1, 0, x{md}, x{ms1}, x{ms2}"),
    "tmmau": ("m{md}, m{ms1}, m{ms2}", ".insn r CUSTOM_0, 1, 1, x{md}, x{ms1}, x{ms2}"),
    "tld.b": ("m{md}, (x{rs1}), x{rs2}", ".insn r CUSTOM_1, 0, 0, x{md}, x{rs1}, x{rs2}"),
    "tld.bt": ("m{md}, (x{rs1}), x{rs2}", ".insn r CUSTOM_1, 0, 1, x{md}, x{rs1}, x{rs2}"),
    "tld.w": ("m{md}, (x{rs1}), x{rs2}", ".insn r CUSTOM_1, 2, 0, x{md}, x{rs1}, x{rs2}"),
    "tlr": ("m{md}, (x{rs1})", ".insn r CUSTOM_1, 2, 2, x{md}, x{rs1}, x0"),
    "tsr": ("m{md}, (x{rs1})", ".insn r CUSTOM_1, 6, 2, x{md}, x{rs1}, x0"),
    "tst.b": ("m{md}, (x{rs1}), x{rs2}", ".insn r CUSTOM_1, 4, 0, x{md}, x{rs1}, x{rs2}"),
    "tst.w": ("m{md}, (x{rs1}), x{rs2}", ".insn r CUSTOM_1, 6, 0, x{md}, x{rs1}, x{rs2}"),
}


def _cases() -> list[tuple[str, str, str]]:
    """(mnemonic, our line, LLVM's line) with random operands, every instruction."""
    rng = random.Random(11)
    cases = []
    for mnemonic, (syntax, insn) in ORACLE.items():
        for _ in range(VARIANTS):
            values = dict(md=rng.randrange(8), ms1=rng.randrange(8), ms2=rng.randrange(8),
                          rs1=rng.randrange(32), rs2=rng.randrange(32))
            cases.append((mnemonic, f"{mnemonic} {syntax.format(**values)}",
                          insn.format(**values)))
    return cases


def _llvm(source: str, tmp_path: Path) -> bytes:
    src, obj = tmp_path / "t.s", tmp_path / "t.o"
    src.write_text(source)
    result = subprocess.run([sys.executable, "-m", "ziglang", "cc", *target_flags(CONFIG, ISA),
                             "-g0", "-c", str(src), "-o", str(obj)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[:4000]
    with open(obj, "rb") as handle:
        return ELFFile(handle).get_section_by_name(".text").data()


def _words(data: bytes) -> list[int]:
    return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]


def test_the_oracle_covers_every_instruction() -> None:
    assert sorted(ORACLE) == sorted(ins.mnemonic for ins in TENSOR)


def test_every_instruction_matches_llvm_insn(tmp_path: Path) -> None:
    cases = _cases()
    ours = _words(assemble_source("".join(f"{line}\n" for _, line, _ in cases), "t.s",
                                  CONFIG, ISA).section(".text").data)
    theirs = _words(_llvm("".join(f"{insn}\n" for _, _, insn in cases), tmp_path))
    assert len(ours) == len(theirs) == len(cases)
    wrong = [f"{line}: ours {a:#010x}, llvm ({insn}) {b:#010x}"
             for (_, line, insn), a, b in zip(cases, ours, theirs) if a != b]
    assert not wrong, "\n".join(wrong)


def test_disassembly_round_trips() -> None:
    for mnemonic, line, _ in _cases():
        word = _words(assemble_source(line + "\n", "t.s", CONFIG, ISA)
                      .section(".text").data)[0]
        assert ISA.decode(word).mnemonic == mnemonic
        text = ISA.format_instruction(word)
        assert _words(assemble_source(text + "\n", "t.s", CONFIG, ISA)
                      .section(".text").data) == [word], (line, text)


@pytest.mark.parametrize("field_lo", [10, 18, 23])
def test_tile_numbers_above_m7_are_not_instructions(field_lo: int) -> None:
    """The top two bits of each 5-bit tile slot are reserved (0): m8..m31 do not decode
    (bits 11:10 of md, 19:18 of ms1, 24:23 of ms2)."""
    tmma = ISA.by_mnemonic["tmma"].encode(md=1, ms1=2, ms2=3)
    assert ISA.decode(tmma).mnemonic == "tmma"
    assert ISA.decode(tmma | 1 << field_lo) is None


def test_the_extension_comes_with_the_tensor_section() -> None:
    assert "tmma" not in DEFAULT_ISA.by_mnemonic
    assert ISA.by_mnemonic["tmma"].engine == "tensor"
    csrs = {"tqmul": 0x800, "tqshift": 0x801, "tqzp": 0x802, "tqrm": 0x803, "tqsat": 0x804,
            "tdim": 0xCC0, "tlenb": 0xCC1}
    assert {name: ISA.csr_number(name) for name in csrs} == csrs
    assert ISA.mcpu == DEFAULT_ISA.mcpu  # a custom extension: no clang feature


@pytest.mark.parametrize("line, column, message", [
    ("tmma m8, m1, m2", 6, "unknown register 'm8' for operand md (tile registers are m0..m7)"),
    ("tmma m1, x2, m3", 10, "unknown register 'x2' for operand ms1"),
    ("tld.b m1, (m2), a0", 11, "expected a base register"),
    ("tld.w m1, (a0), m2", 17, "unknown register 'm2' for operand rs2 (integer registers"),
    ("tzero m1, m2", 11, "'tzero' takes 1 operand"),
])
def test_bad_tile_operands_are_reported(line: str, column: int, message: str) -> None:
    with pytest.raises(SourceError) as error:
        assemble_source(line + "\n", "t.s", CONFIG, ISA)
    assert message in str(error.value)
    assert f"t.s:1:{column}:" in str(error.value)


def test_without_the_tensor_section_the_instructions_are_explained() -> None:
    with pytest.raises(SourceError) as error:
        assemble_source("tmma m1, m2, m3\n", "t.s", PRESETS["default"], DEFAULT_ISA)
    assert "unknown instruction 'tmma' (it is from the Xoxtensor extension, which this " \
           "configuration does not have)" in str(error.value)
