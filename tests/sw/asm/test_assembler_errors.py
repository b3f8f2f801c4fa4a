"""Every source error: one line ``file:line:col: error: message`` on stderr, a non-zero
exit status, no traceback and no output file. Lines and columns are 1-based and point
at the offending token (an operand, the mnemonic, a label ...).
"""

from __future__ import annotations

import re

import pytest

# (id, source, line, col, fragment of the message)
ERRORS = [
    ("malformed-line", "nop\n: nop\n", 2, 1, "expected an instruction, directive or label"),
    ("junk-after-expression", "addi a0, a1, 1 2\n", 1, 16, "unexpected '2'"),
    ("unknown-mnemonic", "  addd a0, a1, a2\n", 1, 3, "unknown instruction 'addd' "
                                                         "(did you mean 'add'?)"),
    ("too-few-operands", "add a0, a1\n", 1, 1, "'add' takes 3 operands, got 2 "
                                                 "(expected 'add rd, rs1, rs2')"),
    ("too-many-operands", "add a0, a1, a2, a3\n", 1, 17, "takes 3 operands, got 4"),
    ("missing-operand", "add a0,, a1\n", 1, 8, "missing operand"),
    ("register-for-immediate", "addi a0, a1, a2\n", 1, 14, "got register 'a2'"),
    ("immediate-for-register", "add a0, a1, 5\n", 1, 13, "expected a register"),
    ("unknown-register", "lw a0, 4(a9)\n", 1, 10, "unknown register 'a9'"),
    ("memory-operand-needed", "lw a0, 8\n", 1, 8, "expected a memory operand"),
    ("imm-out-of-range", "addi a0, a1, 2048\n", 1, 14, "immediate 2048 out of range for "
                                                       "'addi': must be an integer in "
                                                       "[-2048, 2047]"),
    ("store-offset-out-of-range", "sw a0, -2049(a1)\n", 1, 8, "[-2048, 2047]"),
    ("shamt-out-of-range", "slli a0, a0, 32\n", 1, 14, "[0, 31]"),
    ("lui-out-of-range", "lui a0, 0x100000\n", 1, 9, "[0, 1048575]"),
    ("lui-of-address", "lui a0, x\nx: nop\n", 1, 9, "is an address; use %hi/%lo"),
    ("csr-uimm-out-of-range", "csrrwi a0, 0x340, 32\n", 1, 19, "[0, 31]"),
    ("csr-number-out-of-range", "csrr a0, 4096\n", 1, 10, "CSR number 4096 out of range"),
    ("unknown-csr", "csrr a0, mstatus\n", 1, 10, "unknown CSR 'mstatus'"),
    ("bad-fence-set", "fence rw, x\n", 1, 11, "letters from 'iorw'"),
    ("li-out-of-range", "li a0, 0x100000000\n", 1, 8, "[-2147483648, 4294967295]"),
    ("li-forward-reference", "li a0, N\n.equ N, 5\n", 1, 8, "'N' is not defined before"),
    ("misaligned-branch", "beq a0, a1, 3\n", 1, 13, "misaligned: must be a multiple of 2"),
    ("branch-out-of-range", "beq a0, a1, far\n.space 4096\nfar: nop\n", 1, 13,
     "branch target out of range: offset 4100 is not in [-4096, 4094]"),
    ("jump-out-of-range", "j 1048576\n", 1, 3, "jump target out of range"),
    ("call-needs-symbol", "call 0x100\n", 1, 6, "expected a symbol"),
    ("undefined-label", "j nowhere\n", 1, 3, "undefined symbol 'nowhere'"),
    ("undefined-in-data", ".data\n.word 1, nowhere + 4\n", 2, 10,
     "undefined symbol 'nowhere'"),
    ("duplicate-label", "x: nop\n  x: nop\n", 2, 3, "symbol 'x' is already defined "
                                                   "(first defined on line 1)"),
    ("local-label-back", "j 1b\n1: nop\n", 1, 3, "no '1:' before it"),
    ("local-label-forward", "1: nop\nj 1f\n", 2, 3, "no '1:' after it"),
    ("unknown-directive", ".wrod 1\n", 1, 1, "unknown directive '.wrod' "
                                             "(did you mean '.word'?)"),
    ("bad-escape", '.ascii "ok\\qno"\n', 1, 11, "bad escape sequence '\\q'"),
    ("unterminated-string", '.asciz "abc\n', 1, 8, "unterminated string"),
    ("unterminated-comment", "nop\n/* never closed\nnop\n", 2, 1, "unterminated /*"),
    ("pcrel-lo-without-auipc", "lw a0, %pcrel_lo(x)(a0)\nx: nop\n", 1, 8,
     "could not find the matching %pcrel_hi"),
    ("unknown-modifier", "lui a0, %high(x)\n", 1, 9, "unknown relocation modifier"),
    ("program-too-big", "nop\n.space 0x3FFF0\nnop\nnop\nnop\nnop\nnop\n", 6, 1,
     "program does not fit in RAM"),
    ("data-too-big", ".data\n.space 0x40001\n", 2, 8, "program does not fit in RAM"),
    ("rvc-rejected", ".option rvc\n", 1, 9, "no C extension"),
    ("unknown-option", ".option fast\n", 1, 9, "unknown .option 'fast'"),
    ("byte-out-of-range", ".byte 256\n", 1, 7, "value 256 out of range for .byte"),
    ("word-out-of-range", ".word 0x100000000\n", 1, 7, "out of range for .word"),
    ("align-out-of-range", ".align 31\n", 1, 8, "alignment exponent 31 out of range"),
    ("balign-not-power-of-two", ".balign 12\n", 1, 9, "must be a power of two"),
    ("global-never-defined", ".globl main\nnop\n", 1, 8, "declared global but never defined"),
    ("instruction-in-bss", ".bss\nnop\n", 2, 1, "instructions cannot go in .bss"),
    ("data-in-bss", ".bss\n.word 5\n", 2, 7, "non-zero data in .bss"),
    ("misaligned-instruction", ".byte 1\nnop\n", 2, 1, "is not 4-byte aligned"),
    ("address-times-two", ".data\nx: .word x * 2\n", 2, 12, "needs constants"),
    ("division-by-zero", ".word 1 / 0\n", 1, 9, "division by zero"),
    ("equ-cycle", ".equ a, b\n.equ b, a\n.word a\n", 1, 6, "defined in terms of itself"),
    ("unknown-section", ".section .mine\n", 1, 10, "unknown section '.mine'"),
    ("bad-char-literal", "li a0, 'ab'\n", 1, 8, "exactly one character"),
    ("bad-number", "li a0, 12abc\n", 1, 8, "invalid number '12abc'"),
    ("empty-word", ".word\n", 1, 6, "needs at least one value"),
    # macros, repetition, includes (sw/asm/macros.py)
    ("unterminated", ".macro m a\n  nop\n", 1, 1, "'.macro' without '.endm'"),
    ("unterminated-upper-case", "  .MACRO m a\n  nop\n", 1, 3, "'.macro' without '.endm'"),
    ("stray-endm", "nop\n  .endm\n", 2, 3, "'.endm' without '.macro'"),
    ("stray-endr", ".endr\n", 1, 1, "'.endr' without '.rept'"),
    ("unterminated-rept", "  .rept 2\nnop\n", 1, 3, "'.rept' without '.endr'"),
    ("too-many-args", ".macro m a\n.endm\n  m 1, 2\n", 3, 3,
     "macro 'm' takes 1 argument(s), got 2"),
    # The error is at the body line, and says which use expanded it.
    ("error-in-body", ".macro m r\n  addi \\r, \\r, 5000\n.endm\nnop\n  m a0\n", 2, 16,
     "out of range for 'addi'"),
    ("body-context", ".macro m r\n  addi \\r, \\r, 5000\n.endm\nnop\n  m a0\n", 2, 16,
     "(in macro 'm' used at "),
    ("recursive", ".macro m\n  m\n.endm\n  m\n", 2, 3, "expanded more than 64 deep"),
    ("redefined", ".macro m\n.endm\n.macro m\n.endm\n", 3, 8, "macro 'm' already defined at"),
    ("negative-rept", ".rept -1\n.endr\n", 1, 1, "'.rept' count -1 is negative"),
    ("rept-forward", ".rept N\n.endr\n.equ N, 2\n", 1, 7, "'N' is not defined before"),
    ("conditional", "  .if 1\nnop\n.endif\n", 1, 3, "'.if' (conditional assembly) is not "
                                                   "supported"),
    ("qualifier", ".macro m a:req\n.endm\n", 1, 11, "qualifiers such as :req"),
    ("missing-include", '  .include "nowhere.inc"\n', 1, 12, "cannot include 'nowhere.inc'"),
    ("include-no-name", "  .include nowhere\n", 1, 3, "'.include' takes one file name"),
    ("unknown-escape", ".macro m a\n  addi a0, a0, \\b\n.endm\n  m 1\n", 2, 16,
     "unexpected character"),
]


@pytest.mark.parametrize("source,line,col,fragment", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_source_error(asm_cli, source, line, col, fragment):
    result = asm_cli(source)
    assert result.code == 1
    assert result.out == ""
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    match = re.fullmatch(r"(.+):(\d+):(\d+): error: (.+)", lines[0])
    assert match, lines[0]
    path, got_line, got_col, message = match.groups()
    assert path.endswith("prog.s")
    assert (int(got_line), int(got_col)) == (line, col), message
    assert fragment in message
    assert not result.output.exists()


def test_too_big_for_a_smaller_config(asm_cli):
    source = ".text\nnop\n.data\n.space 12000\n.bss\nbuf: .space 8000\n"
    assert asm_cli(source).code == 0  # fits the default 256 KiB
    result = asm_cli(source, "--config", "small")
    assert result.code == 1
    assert re.fullmatch(r".*prog\.s:6:13: error: program does not fit in RAM: \.bss ends at "
                        r"0x80004e24, but RAM is 0x80000000\.\.0x80004000 \(16384 bytes, "
                        r"config 'small'\)\n", result.err)


def test_unreadable_source_is_a_one_line_error(tmp_path, capsys):
    from oxcore.cli import main
    code = main(["asm", str(tmp_path / "missing.s"), "-o", str(tmp_path / "x.elf")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("oxcore: error: ") and "cannot read" in err
    assert len(err.splitlines()) == 1


def test_a_source_with_nothing_to_load_is_refused(tmp_path):
    """An empty program would assemble to an ELF that every other command rejects."""
    from oxcore.config import PRESETS
    from oxcore.errors import OxCoreError
    from sw.asm.driver import assemble_file
    src = tmp_path / "empty.S"
    src.write_text("# nothing here\n.equ SIZE, 4\n")
    with pytest.raises(OxCoreError, match="empty.S: no instructions or data to assemble"):
        assemble_file(src, tmp_path / "empty.elf", "elf", PRESETS["default"])
    assert not (tmp_path / "empty.elf").exists()
