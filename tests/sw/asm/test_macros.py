"""Macros, repetition and includes: the same source through `oxcore asm` and through
LLVM (clang + lld) must give the same sections and symbols. (Their error messages are
in test_assembler_errors.py, with every other source error.)"""

from __future__ import annotations

from tests.sw.asm.test_llvm_oracle import _assert_same_program

MACRO_PROGRAM = r"""
    .text
    .globl _start
    .equ COUNT, 3
    .macro addn rd, rs, n=1
    addi \rd, \rs, \n
    .endm
    .macro bump2 r
    addn \r, \r
    addn \r, \r, 2
skip\@:
    nop
    .endm
    .macro load_pair base off   # blank-separated parameters
    lw a0, \off(\base)
    lw a1, \off+4(\base)
    .endm
    .macro table_entry name, value
\name\()_label:
    .word \value
    .endm
_start:
    addn a0, a1
    addn a0 a1 5
    addn a2, a3, (1 + 2) * 4
    bump2 t0
    bump2 t1
    load_pair sp 8
    .rept COUNT
    nop
    .endr
    .rept 2
    .irp reg, s0, s1
    addi \reg, \reg, 1
    .endr
    .endr
    .irpc digit, 147
    addi a0, a0, \digit
    .endr
    .rept 0
    ebreak
    .endr
    .MACRO shout r      # directives ignore case (LLVM needs lower-case closers)
    .REPT 2
    addi \r, \r, 8
    .endr
    .endm
    shout a4
loop: bump2 a5
    j loop
    .data
    table_entry first, 0x1234
    table_entry second, first_label
"""


def test_macros_repetition_match_llvm(tools):
    _assert_same_program(tools, MACRO_PROGRAM)


def test_include_matches_llvm(tools):
    (tools.tmp / "defs.inc").write_text(
        ".equ MAGIC, 42\n.macro setmagic r\n  li \\r, MAGIC\n.endm\n")
    (tools.tmp / "sub").mkdir()
    (tools.tmp / "sub" / "body.inc").write_text("setmagic a0\nsetmagic a1\n")
    source = ('    .text\n    .globl _start\n    .include "defs.inc"\n_start:\n'
              '    .include "sub/body.inc"\n    ret\n')
    _assert_same_program(tools, source)


def test_error_in_an_included_file_names_that_file(asm_cli, tmp_path):
    (tmp_path / "bad.inc").write_text("nop\n  addd a0, a0, a0\n")
    result = asm_cli('nop\n.include "bad.inc"\n')
    assert result.code != 0
    assert f"{tmp_path / 'bad.inc'}:2:3: error: unknown instruction 'addd'" in result.err


def test_runaway_rept_stops_with_an_error(asm_cli, monkeypatch):
    import sw.asm.macros
    monkeypatch.setattr(sw.asm.macros, "MAX_STATEMENTS", 1000)
    result = asm_cli(".rept 100\n.rept 100\nnop\n.endr\n.endr\n")
    assert result.code != 0 and "more than 1,000 statements after expansion" in result.err
