"""A toy extension, defined only here, walked through every consumer of the ISA model.

`Xtoy` lives in custom-0 and has what the engines will need and RV32IM lacks: an
instruction with several immediates, an operand spanning several comma-separated items
(`rN, cN`), an optional trailing operand with a default (`, v0.t`), its own register
file (`q0..q3`, 40 bits) and a writable CSR (`tcount`). Nothing outside this module
knows it: the assembler, disassembler, interpreter (both modes), RTL decoder, docs and
the C driver's `-mcpu` all take it through an `Isa`.

Expected words are computed by hand from the format below and cross-checked with LLVM's
`.insn` directive; expected machine state is computed from the semantics' definition,
written out here as plain arithmetic.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from dataclasses import dataclass
from typing import ClassVar

from cosim.iss import Interpreter
from hw.oxcore.control import Unit
from hw.oxcore.decoder import Decoder
from oxcore import docgen
from oxcore.config import PRESETS
from oxcore.errors import SourceError
from oxcore.isa import DEFAULT_ISA, Extension, isa_for
from oxcore.isa.csrs import Csr
from oxcore.isa.fields import Format, simple
from oxcore.isa.instruction import ENGINES, Instruction
from oxcore.isa.kinds import SIMM, UIMM, VMASK, XREG, OperandKind, RegisterKind
from oxcore.isa.pseudo import pseudo
from oxcore.isa.regfile import RegisterFile
from oxcore.program import Program, Segment
from oxcore.retire import CsrWrite, EffectKind, RecordBatch, XWrite, register_effect_kind
from sw.asm.assembler import assemble_source
from sw.asm.listing import disassemble_file, instruction_text
from sw.cc.driver import target_flags
from tests.hw.oxcore.rtl_helpers import simulate

CONFIG = PRESETS["default"]
CUSTOM_0 = 0b0001011
TCOUNT = 0x800  # a custom user read/write CSR number (privileged spec table 2.1)


class Shape(OperandKind):
    """A composite operand: ``rN, cN`` (N in 0..3), encoded as N_r << 2 | N_c."""

    name = "shape"
    immediate = True
    items = (2, 2)
    description = "a shape 'rN, cN'"

    def parse(self, items, names):
        words = [item.strip().lower() for item in items]
        if len(words) != 2 or words[0] not in ROWS or words[1] not in COLS:
            return None
        return ROWS.index(words[0]) << 2 | COLS.index(words[1])

    def format(self, value, names, pc=None, symbolize=None):
        return f"{ROWS[value >> 2]}, {COLS[value & 3]}"

    def doc(self, field):
        return f"shape `rN, cN`, {field.width} bits"


ROWS, COLS = ("r0", "r1", "r2", "r3"), ("c0", "c1", "c2", "c3")
Q = RegisterFile("q", "q", 4, 40, "toy accumulator")
QREG = RegisterKind(Q)

TMAC_FORMAT = Format("TOY-MAC", (
    simple("opcode", 6, 0), simple("td", 11, 7, QREG), simple("funct3", 14, 12),
    simple("rs1", 19, 15, XREG), simple("a", 23, 20, SIMM, signed=True),
    simple("b", 26, 24, UIMM), simple("mode", 30, 27, Shape()), simple("vm", 31, 31, VMASK)))
TGET_FORMAT = Format("TOY-GET", (
    simple("opcode", 6, 0), simple("rd", 11, 7, XREG), simple("funct3", 14, 12),
    simple("qs", 19, 15, QREG), simple("sh", 24, 20, UIMM), simple("funct7", 31, 25)))

TMAC = Instruction(
    "tmac", "Xtoy", TMAC_FORMAT, dict(opcode=CUSTOM_0, funct3=0),
    "{td}, {rs1}, {a}, {b}, {mode}, {vm}",
    "acc = (x[rs1] << (4 * b)) + a * mode\n"
    "q[td] = (0 if vm else q[td]) + acc\n"
    f"csr_write({TCOUNT}, csr_read({TCOUNT}) + 1)",
    "toy multiply-accumulate (v0.t accumulates)", engine="tensor")
TGET = Instruction(
    "tget", "Xtoy", TGET_FORMAT, dict(opcode=CUSTOM_0, funct3=1, funct7=0),
    "{rd}, {qs}, {sh}", "x[rd] = q[qs] >> sh", "toy accumulator read", engine="tensor")
XTOY = Extension("Xtoy", None, (TMAC, TGET),
                 csrs=(Csr(TCOUNT, "tcount", "toy instructions executed", writable=True),),
                 register_files=(Q,),
                 pseudos=(pseudo("tget", "{rd}, {qs}", ["tget {rd}, {qs}, 0"], alias=True,
                                 instructions=(TGET,)),))
ISA = isa_for(CONFIG, extra=(XTOY,))


@dataclass(slots=True)
class QWrite(EffectKind):
    """The retire effect of a write to a toy accumulator: the retire schema learns the
    extension's state from here too, and every record consumer takes it from there."""

    reg: int
    value: int
    KIND: ClassVar[str] = "q"

    @staticmethod
    def port_fields() -> dict[str, int]:
        return {"reg": 2, "value": 40}

    def describe(self, isa=None) -> str:
        return f"q{self.reg} 0x{self.value:010x}"


register_effect_kind(QWrite, register_file="q")

# Hand-encoded: vm[31] mode[30:27] b[26:24] a[23:20] rs1[19:15] funct3 td[11:7] opcode.
# tmac q1, a0, -3, 5, r2, c1, v0.t: mode = 2 << 2 | 1 = 9, a = -3 -> 0b1101.
TMAC_MASKED = (0 << 31 | 9 << 27 | 5 << 24 | 0b1101 << 20 | 10 << 15 | 0 << 12 | 1 << 7
               | CUSTOM_0)
TMAC_PLAIN = TMAC_MASKED | 1 << 31  # the same without v0.t: vm = 1
TGET_WORD = 8 << 20 | 1 << 15 | 1 << 12 | 11 << 7 | CUSTOM_0  # tget a1, q1, 8


def _text(source: str) -> bytes:
    image = assemble_source(source, "toy.s", CONFIG, ISA)
    return image.section(".text").data


def _words(source: str) -> list[int]:
    data = _text(source)
    return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]


# ---- the model ---------------------------------------------------------------------

def test_row_attributes_come_from_the_semantics():
    assert TMAC.reads == {"x": ("rs1",), "q": ("td",)}
    assert TMAC.writes == {"q": ("td",)}
    assert [f.name for f in TMAC.immediates] == ["a", "b", "mode"]
    assert TGET.writes == {"x": ("rd",)}


def test_hand_encoded_words():
    assert TMAC_MASKED == 0x4DD5008B
    assert TGET_WORD == 0x0080958B


def test_mcpu_follows_the_selected_extensions():
    assert DEFAULT_ISA.mcpu == "generic_rv32+m+zicsr"
    assert ISA.mcpu == DEFAULT_ISA.mcpu  # no clang feature: the string is unchanged
    zba = Extension("Zba", "zba", ())
    assert isa_for(CONFIG, extra=(zba,)).mcpu == "generic_rv32+m+zicsr+zba"
    assert f"-mcpu={ISA.mcpu}" in target_flags(CONFIG, ISA)
    small_only = Extension("Zbb", "zbb", (), available=lambda cfg: cfg.name == "small")
    assert isa_for(CONFIG, extra=(small_only,)).mcpu == DEFAULT_ISA.mcpu
    assert isa_for(PRESETS["small"], extra=(small_only,)).mcpu.endswith("+zbb")


def test_clang_accepts_the_derived_mcpu(tmp_path: Path):
    isa = isa_for(CONFIG, extra=(Extension("Zba", "zba", ()),))
    src = tmp_path / "sh1add.c"
    src.write_text("unsigned f(unsigned a, unsigned b) { return a + (b << 1); }\n")
    out = tmp_path / "sh1add.s"
    result = subprocess.run([sys.executable, "-m", "ziglang", "cc", *target_flags(CONFIG, isa),
                             "-O2", "-S", str(src), "-o", str(out)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert "sh1add" in out.read_text()  # the feature really reached the compiler


# ---- assembler and disassembler ------------------------------------------------------

def test_assembles_optional_composite_and_several_immediates():
    assert _words("tmac q1, a0, -3, 5, r2, c1, v0.t\n"
                  "tmac q1, a0, -3, 5, r2, c1\n"
                  "tget a1, q1, 8\n") == [TMAC_MASKED, TMAC_PLAIN, TGET_WORD]


def test_pseudo_instruction_of_the_extension():
    tget_a1_q1_0 = 1 << 15 | 1 << 12 | 11 << 7 | CUSTOM_0
    assert _words("tget a1, q1\n") == [tget_a1_q1_0]
    assert instruction_text(tget_a1_q1_0, isa=ISA) == "tget a1, q1"  # the alias
    assert ISA.format_instruction(tget_a1_q1_0) == "tget a1, q1, 0"
    assert "| `tget rd, qs` | `tget rd, qs, 0` | yes |" in docgen.render_isa(ISA)


def test_writable_csr_by_name():
    csrrs = 0b010 << 12 | 0b1110011  # csrrs a2, tcount, zero
    assert _words("csrr a2, tcount\n") == [TCOUNT << 20 | csrrs | 12 << 7]


def test_encodings_match_llvm_insn(tmp_path: Path):
    """LLVM knows nothing of Xtoy; its `.insn` forms spell the same bits another way."""
    src = tmp_path / "insn.s"
    src.write_text(".insn r 0x0b, 0, 0x26, x1, x10, x29\n"
                   ".insn r 0x0b, 0, 0x66, x1, x10, x29\n"
                   ".insn i 0x0b, 1, x11, x1, 8\n")
    obj = tmp_path / "insn.o"
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target",
                    "riscv32-freestanding-none", "-mcpu=generic_rv32", "-mno-relax", "-g0",
                    "-c", str(src), "-o", str(obj)], check=True)
    from elftools.elf.elffile import ELFFile
    with open(obj, "rb") as handle:
        llvm = ELFFile(handle).get_section_by_name(".text").data()
    assert _text("tmac q1, a0, -3, 5, r2, c1, v0.t\ntmac q1, a0, -3, 5, r2, c1\n"
                 "tget a1, q1, 8\n") == llvm


def test_disassembly_round_trip():
    assert ISA.format_instruction(TMAC_MASKED) == "tmac q1, a0, -3, 5, r2, c1, v0.t"
    assert ISA.format_instruction(TMAC_PLAIN) == "tmac q1, a0, -3, 5, r2, c1"
    assert ISA.format_instruction(TGET_WORD) == "tget a1, q1, 8"
    assert DEFAULT_ISA.format_instruction(TMAC_MASKED) == ".word 0x4dd5008b"
    for word in (TMAC_MASKED, TMAC_PLAIN, TGET_WORD):
        assert _words(ISA.format_instruction(word) + "\n") == [word]


def test_listing_and_reassemblable_source(tmp_path: Path):
    words = [TMAC_MASKED, TMAC_PLAIN, TGET_WORD]
    binary = tmp_path / "toy.bin"
    binary.write_bytes(b"".join(w.to_bytes(4, "little") for w in words))
    listing = disassemble_file(binary, CONFIG, isa=ISA)
    assert f"{CONFIG.mem_base:08x}:  4dd5008b  tmac q1, a0, -3, 5, r2, c1, v0.t" in listing
    assert "cdd5008b  tmac q1, a0, -3, 5, r2, c1\n" in listing
    source = disassemble_file(binary, CONFIG, reassemblable=True, isa=ISA)
    assert _words(source) == words


@pytest.mark.parametrize("source, col, fragment", [
    ("tmac q9, a0, 1, 1, r0, c0", 6, "unknown register 'q9'"),
    ("tmac q1, a0, 8, 1, r0, c0", 14, "immediate 8 out of range for 'tmac': must be an "
                                      "integer in [-8, 7]"),
    ("tmac q1, a0, 1, 8, r0, c0", 17, "[0, 7]"),
    ("tmac q1, a0, 1, 1, r9, c0", 20, "expected a shape 'rN, cN' for operand mode"),
    ("tmac q1, a0, 1, 1, r0, c0, v1.t", 28, "expected 'v0.t'"),
    ("tmac q1, a0, 1", 1, "'tmac' takes 6 or 7 operands, got 3"),
    ("tget a1, a2, 1", 10, "unknown register 'a2'"),
])
def test_errors_point_at_file_line_col(source, col, fragment):
    with pytest.raises(SourceError) as info:
        _text(f"nop\n{source}\n")
    assert str(info.value).startswith(f"toy.s:2:{col}: error: ")
    assert fragment in info.value.message


def test_default_isa_does_not_know_it():
    with pytest.raises(SourceError, match="unknown instruction 'tmac'"):
        assemble_source("tmac q1, a0, 1, 1, r0, c0\n", "toy.s", CONFIG)


# ---- interpreter ----------------------------------------------------------------------

PROGRAM = """
    li a0, 0x12345
    tmac q1, a0, -3, 5, r2, c1
    tmac q1, a0, 2, 7, r3, c3, v0.t
    tget a1, q1, 8
    csrr a2, tcount
    csrwi tcount, 21
    csrr a3, tcount
    li a7, 93
    ecall
"""


def _interpreter() -> Interpreter:
    text = _text(PROGRAM)
    program = Program("toy", CONFIG.mem_base,
                      [Segment(CONFIG.mem_base, text, len(text), True)])
    return Interpreter(CONFIG, program, io.BytesIO(), io.BytesIO(), isa=ISA)


def _expected_state() -> tuple[int, int]:
    a0, mask40 = 0x12345, (1 << 40) - 1
    q1 = ((a0 << 20) + -3 * 9) & mask40  # unmasked: overwrite
    q1 = (q1 + (a0 << 28) + 2 * 15) & mask40  # v0.t: accumulate, mode r3, c3 = 15
    return q1, (q1 >> 8) & 0xFFFF_FFFF


@pytest.mark.parametrize("mode", ["step", "run"])
def test_interpreter_runs_the_semantics(mode):
    interp = _interpreter()
    records = []
    if mode == "run":
        stop = interp.run(100, records.append)
        assert stop.trap is None and stop.exit_value == 0x12345
    else:
        while interp.machine.exit_value is None:
            records.append(interp.step())
            assert records[-1].trap is None
    m = interp.machine
    q1, a1 = _expected_state()
    assert m.registers["q"] == [0, q1, 0, 0]
    assert (m.x[11], m.x[12], m.x[13]) == (a1, 2, 21)
    assert m.csr_values == {TCOUNT: 21}
    assert [r.insn for r in records][2:4] == _words(  # after li's lui, addi
        "tmac q1, a0, -3, 5, r2, c1\ntmac q1, a0, 2, 7, r3, c3, v0.t\n")


def test_records_carry_the_extension_state():
    """The accumulator and CSR writes are retire effects, with hand-computed values."""
    interp = _interpreter()
    records = []
    interp.run(100, records.append)
    q1, a1 = _expected_state()
    first = ((0x12345 << 20) + -3 * 9) & ((1 << 40) - 1)
    assert [r.effects for r in records[2:8]] == [
        (CsrWrite(TCOUNT, 1), QWrite(1, first)),
        (CsrWrite(TCOUNT, 2), QWrite(1, q1)),
        (XWrite(11, a1),),
        (XWrite(12, 2),),
        (CsrWrite(TCOUNT, 21),),
        (XWrite(13, 21),)]
    line = records[3].trace_line(ISA)
    assert f"q1 0x{q1:010x}" in line and "c2048_tcount 0x00000002" in line
    assert line.endswith("; tmac q1, a0, 2, 7, r3, c3, v0.t")
    batch = RecordBatch.from_records(records)
    assert list(batch.records()) == records
    changed = records[:3] + [type(records[3])(3, records[3].pc, records[3].insn,
                                              (CsrWrite(TCOUNT, 2), QWrite(1, q1 ^ 1)))]
    assert batch.first_difference(RecordBatch.from_records(changed + records[4:])) == 3
    assert records[3].diff(changed[3]) == ["q.value"]


def test_both_modes_give_identical_records():
    reference, fast = _interpreter(), _interpreter()
    stepped = []
    while reference.machine.exit_value is None:
        stepped.append(reference.step())
    recorded = []
    fast.run(100, recorded.append)
    assert recorded == stepped


# ---- RTL decoder ----------------------------------------------------------------------

def test_rtl_decoder_recognises_it_and_extracts_every_field():
    dut = Decoder(ISA)
    cases = [(TMAC_MASKED, TMAC, {"td": 1, "rs1": 10, "vm": 0}, [-3, 5, 9]),
             (TMAC_PLAIN, TMAC, {"td": 1, "rs1": 10, "vm": 1}, [-3, 5, 9]),
             (TGET_WORD, TGET, {"rd": 11, "qs": 1}, [8])]

    async def bench(ctx):
        for word, ins, operands, immediates in cases:
            ctx.set(dut.insn, word)
            assert ctx.get(dut.index) == ISA.instructions.index(ins)
            assert not ctx.get(dut.illegal)
            assert ctx.get(dut.engine) == ENGINES.index("tensor")
            assert ctx.get(dut.ctl.unit) == Unit.NONE  # not the scalar pipeline's
            for name, value in operands.items():
                assert ctx.get(dut.operands[name]) == value, name
            for k, value in enumerate(immediates):
                assert ctx.get(dut.imms[k]) == value & 0xFFFF_FFFF, (ins.mnemonic, k)
            assert ctx.get(dut.imm) == immediates[0] & 0xFFFF_FFFF
        ctx.set(dut.insn, 0x0000_200B)  # custom-0, funct3 2: not an Xtoy instruction
        assert ctx.get(dut.illegal)

    simulate(dut, bench, clock=False)


# ---- docs -----------------------------------------------------------------------------

def test_docgen_documents_it():
    text = docgen.render_isa(ISA)
    assert "## Xtoy" in text and "### tmac" in text and "### tget" in text
    assert "`tmac td, rs1, a, b, mode, [vm]`" in text
    assert "| `mode` | shape `rN, cN`, 4 bits |" in text
    assert "Register file `q`: 4 registers `q0`..`q3`, toy accumulator, 40 bits." in text
    assert "| `0x800` | `tcount` | read/write |" in text
    assert "### tmac" not in docgen.render_isa()


def test_docgen_lists_the_row_attributes():
    text = docgen.render_isa(ISA)
    assert ("Attributes: engine tensor; reads `x[rs1]`, `q[td]`; writes `q[td]`."
            in text)


# ---- the model refuses inconsistent rows -----------------------------------------------

def test_undeclared_register_file_is_rejected():
    row = Instruction("tbad", "Xbad", TGET_FORMAT, dict(opcode=CUSTOM_0, funct3=2, funct7=0),
                      "{rd}, {qs}, {sh}", "x[rd] = w[qs]", "reads a file nobody declared")
    with pytest.raises(ValueError, match="undeclared register file"):
        isa_for(CONFIG, extra=(Extension("Xbad", None, (row,)),))


def test_overlapping_encoding_is_rejected():
    clash = Instruction("tclash", "Xbad", TGET_FORMAT,
                        dict(opcode=CUSTOM_0, funct3=1, funct7=0), "{rd}, {qs}, {sh}",
                        "x[rd] = q[qs]", "same encoding as tget")
    with pytest.raises(ValueError, match="overlap"):
        isa_for(CONFIG, extra=(XTOY, Extension("Xbad", None, (clash,))))


def test_attributes_must_agree_with_semantics():
    with pytest.raises(ValueError, match="jump"):
        Instruction("tjump", "Xbad", TGET_FORMAT, dict(opcode=CUSTOM_0, funct3=3, funct7=0),
                    "{rd}, {qs}, {sh}", "jump(pc + sh)", "jumps without saying so")
