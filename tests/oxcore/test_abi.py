"""oxcore/abi.py is the one home of the syscall ABI: the generated C header, the docs and
the rest of the tree agree with it, and nothing else restates its numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oxcore import abi
from oxcore.isa import parse_xreg

ROOT = Path(__file__).resolve().parents[2]
MEMORY_MAP_MD = ROOT / "docs" / "memory-map-abi.md"


def _defines(text: str) -> dict[str, str]:
    """``#define NAME VALUE`` lines of a header (object-like macros only)."""
    return dict(re.findall(r"^#define\s+(\w+)\s+(\S+)", text, re.M))


def test_table_values():
    """The numbers the tree has always used; the registers resolved by oxcore.isa."""
    assert (abi.SYS_WRITE, abi.SYS_EXIT) == (64, 93)
    assert (abi.EBADF, abi.EFAULT) == (9, 14)
    assert abi.ENV_ARGS == tuple(parse_xreg(r) for r in (*abi.ARG_REGS, abi.NUMBER_REG))
    assert abi.REG_RESULT == parse_xreg(abi.RESULT_REG) == abi.ENV_ARGS[0]
    assert abi.BY_NAME["write"].arg_regs == abi.ARG_REGS
    assert abi.BY_NAME["exit"].signature == "exit(code)"
    assert abi.summary() == "64 write, 93 exit"


def test_c_header_values_equal_the_table():
    defines = _defines(abi.c_header())
    for call in abi.SYSCALLS:
        assert int(defines[f"OX_SYS_{call.name.upper()}"]) == call.number
    for name, value in abi.ERRNO.items():
        assert int(defines[f"OX_{name}"]) == value
    assert defines["OX_SYSCALL_NR_REG"] == abi.NUMBER_REG
    assert defines["OX_SYSCALL_RESULT_REG"] == abi.RESULT_REG
    args = [defines[f"OX_SYSCALL_ARG{i}_REG"] for i in range(len(abi.ARG_REGS))]
    assert tuple(args) == abi.ARG_REGS
    assert sum(n.startswith("OX_SYS_") for n in defines) == len(abi.SYSCALLS)


def test_bad_table_fails_at_import(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(abi, "SYSCALLS", abi.SYSCALLS + abi.SYSCALLS[:1])
    with pytest.raises(ValueError, match="unique"):
        abi._check_table()


# ---- the docs describe the same table ---------------------------------------------------

def _syscall_rows(text: str) -> list[list[str]]:
    """The rows of the table under "## Syscall ABI" (header and rule dropped)."""
    body = text[text.index("## Syscall ABI"):]
    lines = []
    for line in body.splitlines()[1:]:
        if line.startswith("|"):
            lines.append([c.strip() for c in line.strip("|").split("|")])
        elif lines:
            break
    return lines[2:]


def test_doc_table_is_the_table():
    text = MEMORY_MAP_MD.read_text()
    assert (f"The syscall number is in `{abi.NUMBER_REG}`,\narguments in `{abi.ARG_REGS[0]}`.."
            f"`{abi.ARG_REGS[-1]}`, the result in `{abi.RESULT_REG}`") in text
    rows = _syscall_rows(text)
    assert rows[:len(abi.SYSCALLS)] == abi.markdown_rows()
    assert rows[len(abi.SYSCALLS)][0] == "anything else"  # and nothing in between


# A syscall number assigned to the number register: "a7 = 93", "`a7` = 93".
_NUMBER_MENTION = re.compile(rf"`?\b{abi.NUMBER_REG}\b`?\s*=\s*(\d+)")
# An errno value next to its name: "-EBADF (-9)", "`-9` (`-EBADF`)".
_ERRNO_MENTION = re.compile(r"-(E[A-Z]+)`?\)?\s*\(`?-?(\d+)|-(\d+)`?\s*\(`?-(E[A-Z]+)")


@pytest.mark.parametrize("doc", sorted((ROOT / "docs").glob("*.md")), ids=lambda p: p.name)
def test_docs_state_the_table_numbers(doc: Path):
    """People read numbers in the docs; every one stated must be the table's."""
    for line in doc.read_text().splitlines():
        for number in _NUMBER_MENTION.findall(line):
            assert int(number) in abi.BY_NUMBER, line
            assert abi.BY_NUMBER[int(number)].name in line, line
        for name, value, value2, name2 in _ERRNO_MENTION.findall(line):
            assert abi.ERRNO[name or name2] == int(value or value2), line


# ---- nothing else restates the numbers -------------------------------------------------

#: Code that implements or defines the ABI (tests and examples are its clients).
SOURCE_DIRS = ("oxcore", "cosim", "fpga", "hw", "sw", "bench")
CODE_SUFFIXES = {".py", ".c", ".h", ".S", ".s", ".in"}
#: Definitions of ABI constants, anywhere in the tree's code (tests included).
DEFINITION = re.compile(r"\b(?:SYS_[A-Z]+|E(?:BADF|FAULT)|REG_A\d)\s*=\s*\(?\d"
                        r"|#define\s+OX_(?:SYS_\w+|E[A-Z]+)\s+\d"
                        r"|\.equ\s+\w*SYS\w*\s*,\s*\d"
                        rf"|\b(?:ENV_ARGS|SYSCALL)\b[\w, ]*=\s*\(?[\d, ]*\b{abi.REG_NUMBER}\b")
_NUMBERS = "|".join(str(n) for n in abi.BY_NUMBER)
# Where a syscall number sits by its register or its name, or errno by its value.
RESTATEMENT = re.compile(
    rf"(?i:\b(?:{abi.NUMBER_REG}|x{abi.REG_NUMBER}|SYSCALL)\b.*\b(?:{_NUMBERS})\b)"
    rf"|\b(?:{_NUMBERS})\b\W{{1,3}}(?:{'|'.join(abi.BY_NAME)})\b"
    r"|-E(?:BADF|FAULT)\W{1,4}-?\d" + "".join(f"|-{v}\\W{{1,4}}-{k}" for k, v in abi.ERRNO.items())
    + r'|__asm__\("[a-z]\d+"\)')


def _code_files(dirs: tuple[str, ...]) -> list[Path]:
    files = []
    for name in dirs:
        files += [p for p in (ROOT / name).rglob("*")
                  if p.suffix in CODE_SUFFIXES and p.is_file() and "__pycache__" not in p.parts]
    return sorted(files)


def _hits(files: list[Path], pattern: re.Pattern[str]) -> list[str]:
    exempt = {ROOT / "oxcore" / "abi.py", Path(__file__).resolve()}  # the home; examples
    return [f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
            for path in files if path not in exempt
            for i, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
            if pattern.search(line)]


def test_no_other_definition_of_the_abi():
    files = _code_files(SOURCE_DIRS + ("tests", "examples"))
    assert _hits(files, DEFINITION) == []


def test_no_restated_syscall_numbers_in_the_source():
    assert _hits(_code_files(SOURCE_DIRS), RESTATEMENT) == []


@pytest.mark.parametrize("line", [
    "SYS_EXIT = 93", "#define OX_SYS_WRITE 64", "EBADF = 9", "REG_A0, REG_A7 = (10, 17)",
    "ENV_ARGS = (10, 11, 12, 17)  # a0, a1, a2, a7", "BASE, LOOP, LINK, SYSCALL = 2, 3, 4, 17",
])
def test_definition_pattern_catches(line: str):
    assert DEFINITION.search(line)


@pytest.mark.parametrize("line", [
    "    li      a7, 93", "self.emit(_enc('addi', rd=SYSCALL, rs1=0, imm=93))",
    "* ``exit(code)`` (a7 = 93): the line", "(the ABI has 64 write, 93 exit)",
    "A bad fd returns -EBADF (-9)", 'register long r_a7 __asm__("a7") = nr;',
])
def test_restatement_pattern_catches(line: str):
    assert RESTATEMENT.search(line)


@pytest.mark.parametrize("line", [
    "self.emit(_enc('addi', rd=SYSCALL, rs1=0, imm=abi.SYS_EXIT))",
    "for (int i = 0; i < 64; i++)", "MAX_BLOCK = 64  # instructions per translated block",
    '"a7": 32})',
])
def test_restatement_pattern_passes(line: str):
    assert not RESTATEMENT.search(line)
