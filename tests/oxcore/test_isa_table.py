"""The ISA table (oxcore.isa) checked against references that do not come from it.

`SPEC_SAMPLES` holds one or more words per instruction, encoded by hand from the base
instruction formats and opcode map of the RISC-V unprivileged spec (chapters 2, 7 and
"RV32/64G Instruction Set Listings"), never by calling `encode`. A second test feeds
the same assembly text to LLVM (clang from ziglang) so a slip in the hand-copied words
is caught by an assembler that shares no code with OxCore.
"""

from __future__ import annotations

import random
import struct
import subprocess
import sys

import pytest

from oxcore.errors import EncodingError
from oxcore.isa import (BY_MNEMONIC, CSR_BY_NAME, CSRS, INSTRUCTIONS, decode,
                        format_instruction, parse_xreg, xreg_name)
from oxcore.isa.fields import FIXED, XREG

# (assembly text, word). Operands are printed as `format_instruction` prints them
# (LLVM syntax; U-type immediates in decimal), so the text doubles as the expected
# disassembly. Branch/jump operands are byte offsets.
SPEC_SAMPLES: list[tuple[str, int]] = [
    # U-type: imm[31:12] | rd | opcode (LUI 0110111, AUIPC 0010111)
    ("lui a0, 74565", 0x12345537),
    ("lui t6, 1048575", 0xFFFFFFB7),
    ("auipc sp, 1", 0x00001117),
    # J-type: imm[20|10:1|11|19:12] | rd | 1101111
    ("jal ra, 2048", 0x001000EF),
    ("jal zero, -4", 0xFFDFF06F),
    ("jal s1, -1048576", 0x800004EF),
    # I-type: imm[11:0] | rs1 | funct3 | rd | opcode
    ("jalr ra, -16(t0)", 0xFF0280E7),
    # B-type: imm[12|10:5] | rs2 | rs1 | funct3 | imm[4:1|11] | 1100011
    ("beq a0, a1, 16", 0x00B50863),
    ("bne s0, zero, -8", 0xFE041CE3),
    ("blt t0, t1, 4094", 0x7E62CFE3),
    ("bge a2, a3, -4096", 0x80D65063),
    ("bltu t6, ra, 2", 0x001FE163),
    ("bgeu a4, a5, 2048", 0x00F770E3),
    # loads: I-type, opcode 0000011
    ("lb a0, -1(sp)", 0xFFF10503),
    ("lh t1, 2(a0)", 0x00251303),
    ("lw a5, 2047(a4)", 0x7FF72783),
    ("lbu s2, 0(gp)", 0x0001C903),
    ("lhu s11, -2048(tp)", 0x80025D83),
    # stores: S-type imm[11:5] | rs2 | rs1 | funct3 | imm[4:0] | 0100011
    ("sb a0, -2048(sp)", 0x80A10023),
    ("sh t2, 62(s0)", 0x02741F23),
    ("sw ra, 12(sp)", 0x00112623),
    # OP-IMM 0010011
    ("addi a0, a0, -1", 0xFFF50513),
    ("slti t0, a1, 100", 0x0645A293),
    ("sltiu a2, a3, -1", 0xFFF6B613),
    ("xori a0, a1, -1", 0xFFF5C513),
    ("ori s3, s4, 1365", 0x555A6993),
    ("andi t3, t4, 255", 0x0FFEFE13),
    ("slli a0, a0, 31", 0x01F51513),
    ("srli a1, a2, 1", 0x00165593),
    ("srai a3, a4, 7", 0x40775693),
    # OP 0110011, funct7 0000000 / 0100000
    ("add ra, sp, gp", 0x003100B3),
    ("sub a0, a1, a2", 0x40C58533),
    ("sll t0, t1, t2", 0x007312B3),
    ("slt s0, s1, a0", 0x00A4A433),
    ("sltu a0, zero, a1", 0x00B03533),
    ("xor a6, a7, s2", 0x0128C833),
    ("srl s5, s6, s7", 0x017B5AB3),
    ("sra s8, s9, s10", 0x41ACDC33),
    ("or t5, t6, ra", 0x001FEF33),
    ("and gp, tp, t0", 0x005271B3),
    # MISC-MEM 0001111: fm | pred | succ | rs1 | 000 | rd
    ("fence iorw, iorw", 0x0FF0000F),
    ("fence r, w", 0x0210000F),
    # FENCE.TSO: fm=1000 pred=0011 (RW) succ=0011 (RW), rs1=rd=0
    ("fence.tso", 0x8330000F),
    # SYSTEM 1110011
    ("ecall", 0x00000073),
    ("ebreak", 0x00100073),
    # RV32M: OP, funct7 0000001
    ("mul a0, a1, a2", 0x02C58533),
    ("mulh a3, a4, a5", 0x02F716B3),
    ("mulhsu t0, t1, t2", 0x027322B3),
    ("mulhu s0, s1, s2", 0x0324B433),
    ("div a0, a0, a1", 0x02B54533),
    ("divu t3, t4, t5", 0x03EEDE33),
    ("rem a6, a7, t6", 0x03F8E833),
    ("remu ra, sp, gp", 0x023170B3),
    # Zicsr: csr | rs1/uimm | funct3 | rd | 1110011
    ("csrrw a0, cycle, a1", 0xC0059573),
    ("csrrs a0, cycle, zero", 0xC0002573),
    ("csrrc zero, instret, t0", 0xC022B073),
    ("csrrwi a1, mhartid, 31", 0xF14FD5F3),
    ("csrrsi t1, hpmcounter3, 1", 0xC030E373),
    ("csrrci zero, 0x340, 5", 0x3402F073),
]

# Register and CSR numbers copied from the spec (ABI table, CSR listing).
SPEC_ABI_NAMES = ("zero ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 "
                  "s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6").split()
SPEC_CSRS = {"cycle": 0xC00, "time": 0xC01, "instret": 0xC02, "cycleh": 0xC80,
             "timeh": 0xC81, "instreth": 0xC82, "mhartid": 0xF14,
             "hpmcounter3": 0xC03, "hpmcounter31": 0xC1F,
             "hpmcounter3h": 0xC83, "hpmcounter31h": 0xC9F}


def _mnemonic(text: str) -> str:
    return text.split()[0]


def test_every_instruction_has_a_spec_sample():
    sampled = {_mnemonic(text) for text, _ in SPEC_SAMPLES}
    assert sampled == set(BY_MNEMONIC), "add a hand-encoded sample for new instructions"
    assert len(INSTRUCTIONS) == 55  # RV32I 41 (fence.tso, no fence.i), RV32M 8, Zicsr 6


@pytest.mark.parametrize("text,word", SPEC_SAMPLES, ids=[t for t, _ in SPEC_SAMPLES])
def test_spec_sample_decodes_and_encodes(text, word):
    ins = decode(word)
    assert ins is not None and ins.mnemonic == _mnemonic(text)
    assert ins.matches(word)
    assert format_instruction(word) == text
    # Encoding the decoded operands gives the spec word back.
    assert ins.encode(**ins.operand_values(word)) == word


def test_spec_samples_agree_with_llvm(tmp_path):
    """The hand-copied words are what LLVM's assembler produces for the same text."""
    src = tmp_path / "samples.S"
    src.write_text(".text\n" + "".join(f"    {text}\n" for text, _ in SPEC_SAMPLES))
    obj = tmp_path / "samples.o"
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target",
                    "riscv32-freestanding-none", "-mcpu=generic_rv32+m+zicsr", "-mno-relax",
                    "-c", str(src), "-o", str(obj)], check=True, capture_output=True)
    from elftools.elf.elffile import ELFFile
    with obj.open("rb") as f:
        data = ELFFile(f).get_section_by_name(".text").data()
    words = struct.unpack(f"<{len(data) // 4}I", data)
    assert [f"{w:08x}" for w in words] == [f"{w:08x}" for _, w in SPEC_SAMPLES]


def test_register_and_csr_names_match_spec():
    assert [xreg_name(i) for i in range(32)] == SPEC_ABI_NAMES
    for i, name in enumerate(SPEC_ABI_NAMES):
        assert parse_xreg(name) == i and parse_xreg(f"x{i}") == i
    assert parse_xreg("fp") == 8 and parse_xreg("x32") is None
    for name, number in SPEC_CSRS.items():
        assert CSR_BY_NAME[name].number == number
    assert len({c.number for c in CSRS}) == len(CSRS)
    assert len({c.name for c in CSRS}) == len(CSRS)


@pytest.mark.parametrize("ins", INSTRUCTIONS, ids=lambda i: i.mnemonic)
def test_mask_match_decode_to_itself(ins):
    assert ins.match & ~ins.mask == 0
    assert decode(ins.match) is ins
    # Any operand bits: still this instruction.
    rng = random.Random(ins.mnemonic)
    for _ in range(200):
        word = ins.match | (rng.getrandbits(32) & ~ins.mask & 0xFFFF_FFFF)
        assert decode(word) is ins
    assert decode(ins.match | (~ins.mask & 0xFFFF_FFFF)) is ins


@pytest.mark.parametrize("ins", INSTRUCTIONS, ids=lambda i: i.mnemonic)
def test_mask_is_exactly_the_fixed_fields(ins):
    operand_bits = 0
    for fld in ins.operands:
        assert operand_bits & fld.inst_mask == 0
        operand_bits |= fld.inst_mask
    assert operand_bits & ins.mask == 0
    assert operand_bits | ins.mask == 0xFFFF_FFFF
    # match_pattern spells out mask/match MSB first.
    pattern = ins.match_pattern
    assert len(pattern) == 32
    assert int(pattern.replace("-", "0"), 2) == ins.match
    assert int("".join("0" if c == "-" else "1" for c in pattern), 2) == ins.mask


def test_no_two_instructions_overlap():
    # Independent of the table's own import-time check: a word matching both a and b
    # exists iff a and b agree on every bit both masks fix.
    for i, a in enumerate(INSTRUCTIONS):
        for b in INSTRUCTIONS[i + 1:]:
            common = a.mask & b.mask
            assert (a.match ^ b.match) & common, f"{a.mnemonic} overlaps {b.mnemonic}"
    assert len(BY_MNEMONIC) == len(INSTRUCTIONS)


@pytest.mark.parametrize("word", [0x0000_0000, 0xFFFF_FFFF, 0x0000_007F,  # reserved/illegal
                                  0x0000_1073,  # SYSTEM funct3=001 with csr 0: csrrw, legal
                                  0x1000_0073,  # SYSTEM funct3=0, funct12=0x100 (sret): not ours
                                  0x0000_100F,  # fence.i: not implemented
                                  0x8FF0_000F,  # fm=1000 but pred/succ not RW,RW: reserved
                                  0x4000_0033,  # funct7=0100000 with funct3=000 is sub
                                  0x4000_1033,  # funct7=0100000 funct3=001: undefined
                                  0x0600_0033,  # funct7=0000011: undefined
                                  0x4000_1013,  # slli with funct7=0100000: undefined
                                  0x0200_5013,  # srli with shamt[5] set (RV64 only)
                                  0x0000_2063,  # branch funct3=010: undefined
                                  0x0000_3003,  # ld (RV64)
                                  0x0000_3023,  # sd (RV64)
                                  0x0000_1067,  # jalr funct3=001: undefined
                                  0x0000_4073,  # SYSTEM funct3=100: undefined
                                  ])
def test_illegal_and_foreign_words(word):
    legal = {0x0000_1073: "csrrw", 0x4000_0033: "sub"}
    ins = decode(word)
    if word in legal:
        assert ins is not None and ins.mnemonic == legal[word]
    else:
        assert ins is None
        assert format_instruction(word) == f".word 0x{word:08x}"


def _operand_fields():
    seen = {}
    for ins in INSTRUCTIONS:
        for fld in ins.format.fields:
            if fld.kind != FIXED:
                seen.setdefault((ins.format.name, fld.name), fld)
    return sorted(seen.items())


OPERAND_FIELDS = _operand_fields()
FIELD_IDS = ["/".join(key) for key, _ in OPERAND_FIELDS]
# Spec ranges (value range, alignment) per (format, field).
SPEC_RANGES = {
    ("I", "imm"): (-2048, 2047, 1), ("S", "imm"): (-2048, 2047, 1),
    ("B", "imm"): (-4096, 4094, 2), ("J", "imm"): (-(1 << 20), (1 << 20) - 2, 2),
    ("U", "imm"): (0, (1 << 20) - 1, 1), ("I-shift", "shamt"): (0, 31, 1),
    ("CSR", "csr"): (0, 4095, 1), ("CSR-imm", "csr"): (0, 4095, 1),
    ("CSR-imm", "uimm"): (0, 31, 1), ("FENCE", "pred"): (0, 15, 1),
    ("FENCE", "succ"): (0, 15, 1),
}


@pytest.mark.parametrize("key,fld", OPERAND_FIELDS, ids=FIELD_IDS)
def test_field_round_trip(key, fld):
    assert key in SPEC_RANGES or fld.kind == XREG, f"no spec range for {key}"
    lo, hi, align = SPEC_RANGES.get(key, (0, 31, 1))  # default: register fields
    assert fld.min_value == lo and fld.align == align
    assert fld.max_value - fld.max_value % align == hi
    values = set(range(lo, hi + 1, align)) if (hi - lo) // align <= 8192 else set()
    if not values:  # 20/21-bit fields: extremes, powers of two and a random sample
        rng = random.Random(str(key))
        values = {lo, hi, 0, align, -align if lo < 0 else hi - align, lo + align}
        values |= {1 << k for k in range(align.bit_length() - 1, hi.bit_length() - 1)}
        values |= {-(1 << k) for k in range(align.bit_length() - 1, hi.bit_length())
                   if lo < 0}
        values |= {rng.randrange(lo, hi + 1, align) for _ in range(5000)}
    for value in values:
        bits = fld.insert(value)
        assert bits & ~fld.inst_mask == 0
        assert fld.extract(bits) == value, (value, hex(bits))
        # Bits outside the field do not leak into the value.
        assert fld.extract(bits | (~fld.inst_mask & 0xFFFF_FFFF)) == value


@pytest.mark.parametrize("key,fld", OPERAND_FIELDS, ids=FIELD_IDS)
def test_field_rejects_out_of_range_and_misaligned(key, fld):
    lo, hi, align = SPEC_RANGES.get(key, (0, 31, 1))
    for bad in (hi + align, lo - align, hi + 1000 * align, lo - (1 << 33)):
        with pytest.raises(EncodingError):
            fld.insert(bad)
    if align > 1:
        for bad in (1, -1, 3, hi - 1, lo + 1):
            with pytest.raises(EncodingError):
                fld.insert(bad)


def test_encode_rejects_bad_operands():
    with pytest.raises(EncodingError):
        BY_MNEMONIC["addi"].encode(rd=1, rs1=2, imm=2048)
    with pytest.raises(EncodingError):
        BY_MNEMONIC["beq"].encode(rs1=1, rs2=2, imm=3)
    with pytest.raises(EncodingError):
        BY_MNEMONIC["jal"].encode(rd=1, imm=1 << 20)
    with pytest.raises(EncodingError):
        BY_MNEMONIC["add"].encode(rd=32, rs1=0, rs2=0)
    with pytest.raises(EncodingError):
        BY_MNEMONIC["add"].encode(rd=1, rs1=2)  # missing rs2
    with pytest.raises(EncodingError):
        BY_MNEMONIC["ecall"].encode(rd=1)  # ecall has no operands


def test_engine_csrs_are_distinct_and_counters_read_only():
    """Every extension's CSRs together (FULL_ISA) have distinct numbers and names; the
    engines' performance counters sit in the user custom read-only range 0xCC0-0xCFF
    (tensor from 0xCC0, vector from 0xCD0), so a write to one traps."""
    from oxcore.isa import FULL_ISA
    from oxcore.isa.csrs import is_read_only
    numbers = [c.number for c in FULL_ISA.csrs]
    names = [c.name for c in FULL_ISA.csrs]
    assert len(set(numbers)) == len(numbers) and len(set(names)) == len(names)
    counters = {c.name: c for c in FULL_ISA.csrs if c.number >> 4 in (0xCC, 0xCD)}
    assert {"vbusy", "vactive_alu", "vactive_lsu", "velements", "vstall_issue",
            "vstall_queue", "tbusy"} <= set(counters)
    assert all(is_read_only(c.number) and not c.writable for c in counters.values())
    assert not counters["velements"].timing and counters["vbusy"].timing
