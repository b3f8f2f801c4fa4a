"""`oxcore asm` against independent references: words encoded by hand from the RISC-V
spec's instruction formats, data layouts worked out by hand, ELF structure read back
with pyelftools / `oxcore.program.load_program` / binutils' readelf.
"""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest
from elftools.elf.elffile import ELFFile

from oxcore.config import PRESETS
from oxcore.program import load_program

CONFIG = PRESETS["default"]
BASE = CONFIG.mem_base


def words(tools, source: str, section: str = ".text") -> list[int]:
    data = tools.ours_elf(source).data(section)
    return list(struct.unpack(f"<{len(data) // 4}I", data))


# ---- one instruction per line, encoded by hand ---------------------------------------

HAND_ENCODED = [
    # R-type: funct7 | rs2 | rs1 | funct3 | rd | opcode
    ("add a0, a1, a2", 0x00C58533),
    ("sub t0, t1, t2", 0x407302B3),
    ("sra x1, x2, x3", 0x403150B3),
    ("mul a0, a0, a1", 0x02B50533),
    ("remu s0, s1, s2", 0x0324F433),
    ("add fp, s0, x8", 0x00840433),
    # I-type
    ("addi a0, a0, -1", 0xFFF50513),
    ("xori a1, a2, 2047", 0x7FF64593),
    ("lw a0, 8(sp)", 0x00812503),
    ("lbu t0, -2048(zero)", 0x80004283),
    ("lw a0, (a1)", 0x0005A503),
    ("jalr ra, 0(t0)", 0x000280E7),
    ("srai a0, a0, 3", 0x40355513),
    ("slli t1, t1, 31", 0x01F31313),
    # S-type
    ("sw ra, 12(sp)", 0x00112623),
    ("sb a0, -1(a1)", 0xFEA58FA3),
    # B-type: a bare number is the byte offset itself
    ("beq a0, a1, 8", 0x00B50463),
    ("bne a0, zero, -4", 0xFE051EE3),
    ("bgeu x1, x2, 4094", 0x7E20FFE3),
    # U and J
    ("lui a0, 0x12345", 0x12345537),
    ("auipc t0, 1", 0x00001297),
    ("jal ra, 16", 0x010000EF),
    ("jal zero, -4", 0xFFDFF06F),
    ("jal x0, -1048576", 0x8000006F),
    # Zicsr, fence, system
    ("csrrs a0, cycle, zero", 0xC0002573),
    ("csrrwi zero, 0x340, 5", 0x3402D073),
    ("csrrc t0, 0xFFF, a5", 0xFFF7B2F3),
    ("fence rw, w", 0x0310000F),
    ("fence iorw, iorw", 0x0FF0000F),
    ("ecall", 0x00000073),
    ("ebreak", 0x00100073),
    # LLVM's alternate operand forms
    ("jalr a0", 0x000500E7),
    ("jalr a1, a2, 12", 0x00C605E7),
    ("jal 16", 0x010000EF),
    ("fence", 0x0FF0000F),
    ("csrw 0x340, 5", 0x3402D073),
    ("ADDI A0, A0, -1", 0xFFF50513),
]


@pytest.mark.parametrize("line,expected", HAND_ENCODED, ids=[t for t, _ in HAND_ENCODED])
def test_hand_encoded_instruction(tools, line, expected):
    assert words(tools, line + "\n") == [expected]


PSEUDO_EXPANSIONS = [
    ("nop", [0x00000013]),
    ("mv a0, a1", [0x00058513]),
    ("not a0, a1", [0xFFF5C513]),
    ("neg a0, a1", [0x40B00533]),
    ("seqz a0, a1", [0x0015B513]),
    ("snez a0, a1", [0x00B03533]),
    ("ret", [0x00008067]),
    ("jr t0", [0x00028067]),
    ("j 8", [0x0080006F]),
    ("beqz a0, 8", [0x00050463]),
    ("bgt a0, a1, 8", [0x00A5C463]),
    ("csrr a0, cycle", [0xC0002573]),
    ("rdinstret t0", [0xC02022F3]),
    ("csrw 0x340, a0", [0x34051073]),
    ("li a0, -1", [0xFFF00513]),
    ("li a0, 0xFFFFF800", [0x80000513]),
    ("li a0, 0x12345678", [0x12345537, 0x67850513]),
    ("li a0, 0x80000000", [0x80000537]),
    ("li a0, 0x7FFFFFFF", [0x80000537, 0xFFF50513]),
    # LLVM materialises 0x800 as 1 << 11 (same length as lui+addi, but compressible)
    ("li a0, 0x800", [0x00100513, 0x00B51513]),
]


@pytest.mark.parametrize("line,expected", PSEUDO_EXPANSIONS,
                         ids=[t for t, _ in PSEUDO_EXPANSIONS])
def test_pseudo_expansion(tools, line, expected):
    assert words(tools, line + "\n") == expected


def test_call_tail_la_expand_pc_relative(tools):
    source = """
        call target          # auipc ra, 0 ; jalr ra, 16(ra)
        tail target          # auipc t1, 0 ; jalr zero, 8(t1)
    target:
        la a0, far           # offset 0x1234 from this auipc: hi 1, lo 0x234
        .space 0x1234 - 8
    far:
        lla a1, farther      # offset 0x1800: hi 2, lo -2048
        .space 0x1800 - 8
    farther:
    """
    got = words(tools, source)
    assert got[:4] == [0x00000097, 0x010080E7, 0x00000317, 0x00830067]
    assert got[4:6] == [0x00001517, 0x23450513]
    lla = (4 * 4 + 0x1234) // 4
    assert got[lla:lla + 2] == [0x00002597, 0x80058593]


def test_branch_to_label_equals_numeric_offset(tools):
    assert words(tools, "beq a0, a1, lab\nnop\nlab: nop\n")[0] == 0x00B50463


def test_local_numeric_labels(tools):
    source = "1: j 1f\n   j 1b\n1: j 1b\n"
    assert words(tools, source) == [0x0080006F, 0xFFDFF06F, 0x0000006F]


def test_comments_separators_and_several_labels(tools):
    source = ("a: b: c: nop   # comment\n"
              "d: /* block\n comment */ add a0, a1, a2 ; sub t0, t1, t2 // more\n"
              ".Ltemp: nop # '.L' labels stay out of the symbol table\n")
    view = tools.ours_elf(source)
    assert list(struct.unpack("<4I", view.data(".text"))) == [
        0x00000013, 0x00C58533, 0x407302B3, 0x00000013]
    assert view.symbols == {"a": BASE, "b": BASE, "c": BASE, "d": BASE + 4}


# ---- %hi / %lo ------------------------------------------------------------------------

def test_hi_lo_of_constants(tools):
    # %hi rounds: (0x12345FFF + 0x800) >> 12 = 0x12346, and %lo(0x12345FFF) = -1
    source = ("lui a0, %hi(0x12345FFF)\naddi a0, a0, %lo(0x12345FFF)\n"
              "lui a1, %hi(0x800)\naddi a1, a1, %lo(0x800)\n"
              "lui a2, %hi(0x7FF)\n")
    assert words(tools, source) == [0x12346537, 0xFFF50513, 0x000015B7, 0x80058593,
                                    0x00000637]


def test_hi_lo_and_pcrel_rebuild_addresses(tools):
    source = """
        .text
    _start:
        lui   a0, %hi(msg)
        addi  a0, a0, %lo(msg)
    1:  auipc a1, %pcrel_hi(msg)
        addi  a1, a1, %pcrel_lo(1b)
    .Lpc:
        auipc a2, %pcrel_hi(msg + 4)
        lw    a2, %pcrel_lo(.Lpc)(a2)
        .data
        .space 0x7F0
    msg: .word 1, 2
    """
    view = tools.ours_elf(source)
    w = list(struct.unpack("<6I", view.data(".text")))
    msg = view.symbols["msg"]

    def imm_i(word): return (word >> 20) - ((word >> 31) << 12)
    def imm_u(word): return word & 0xFFFFF000

    assert (imm_u(w[0]) + imm_i(w[1])) & 0xFFFFFFFF == msg
    assert (BASE + 8 + imm_u(w[2]) + imm_i(w[3])) & 0xFFFFFFFF == msg
    assert (BASE + 16 + imm_u(w[4]) + imm_i(w[5])) & 0xFFFFFFFF == msg + 4


# ---- expressions and data directives --------------------------------------------------

def test_expressions_follow_gnu_precedence(tools):
    source = (".data\n.word 1 + 3 << 2, 2 + 3 & 1, -7 / 2, -7 % 3, ~0 << 4, 'a', '\\n'\n"
              ".word 0b101, 017, 0x1F, (1 + 3) << 2, 10 - 2 - 3, -(3)\n"
              "start: .word end - start, start + 4\nend:\n"
              ".equ K, 12\n.set K2, K * 2\nK3 = K2 + 1\n.set K2, K2 + 100\n.word K, K2, K3\n")
    view = tools.ours_elf(source)
    values = list(struct.unpack("<18i", view.data(".data")))
    start = view.symbols["start"]
    assert values[:13] == [13, 3, -3, -1, -16, 97, 10, 5, 15, 31, 16, 5, -3]
    assert values[13:15] == [8, start + 4 - (1 << 32)]
    assert values[15:] == [12, 124, 25]  # K2 redefined by .set; K3 saw the old K2


def test_data_directives_layout(tools):
    source = r"""
        .text
    _start: nop
        .data
    a:  .byte 1, 2
        .half 0x1234
    b:  .word 0xdeadbeef
        .ascii "xy"
        .asciz "z"
        .align 2
    c:  .word c
        .balign 8
    d:  .space 3, 0xAA
        .zero 2
        .fill 2, 2, 0x0102
        .string "q\n"
        .quad -2
        .2byte 7
        .4byte 8
        .short -1
        .bss
        .p2align 3
    e:  .space 10
    """
    view = tools.ours_elf(source)
    data_addr = BASE + 8  # .text is 4 bytes; .data aligns to 8 (its largest .balign)
    assert view.sections[".data"][0] == data_addr
    expected = (b"\x01\x02" + b"\x34\x12" + b"\xef\xbe\xad\xde" + b"xy" + b"z\x00"
                + struct.pack("<I", data_addr + 12) + b"\xaa\xaa\xaa" + b"\x00\x00"
                + b"\x02\x01\x02\x01" + b"q\n\x00" + b"\xfe" + b"\xff" * 7
                + b"\x07\x00" + b"\x08\x00\x00\x00" + b"\xff\xff")
    assert view.data(".data") == expected
    assert view.symbols["c"] == data_addr + 12 and view.symbols["d"] == data_addr + 16
    bss_addr, _, bss_size = view.sections[".bss"]
    assert bss_addr == (data_addr + len(expected) + 7) // 8 * 8 and bss_size == 10


def test_align_in_text_pads_with_nops_like_llvm(tools):
    # 3 padding bytes after a .byte: a zero byte, then "01 00" (LLVM's half-word filler
    # in code), then nop words.
    source = "nop\n.align 4\n.byte 1\n.p2align 2\nli a0, 1\n.p2align 4, 0xEE\n"
    data = tools.ours_elf(source).data(".text")
    assert data == (bytes.fromhex("13000000") * 4 + bytes.fromhex("01000100")
                    + bytes.fromhex("13051000") + b"\xee" * 8)


def test_section_names_fold_into_output_sections(tools):
    source = """
        .section .text.startup,"ax",@progbits
    f:  nop
        .section .srodata, "a"
    r2: .byte 2
        .section .rodata.cst4,"aM",@progbits,4
    r1: .byte 1
        .section .sdata,"aw"
    s:  .byte 3
        .section .data.rel.local,"aw"
    d:  .byte 4
        .section .sbss,"aw",@nobits
    z:  .zero 4
        .section .debug_info,"",@progbits
        .word 12345
    """
    view = tools.ours_elf(source)
    # input sections keep their order of first use, except that the linker script
    # puts .data* before .sdata* and .rodata* before .srodata*
    assert view.data(".rodata") == b"\x01\x02"
    assert view.data(".data") == b"\x04\x03"
    assert view.sections[".bss"][2] == 4
    assert set(view.sections) == {".text", ".rodata", ".data", ".bss"}


# ---- ELF structure ---------------------------------------------------------------------

PROGRAM = """
    .globl _start
    .type _start, @function
helper:
    ret
_start:
    call helper
    la a0, table
    j _start
    .size _start, . - _start
    .section .rodata
    .type table, @object
table: .word 1, 2, 3
    .size table, 12
    .equ ANSWER, 42
    .data
counter: .word 7
    .bss
buffer: .zero 64
"""


def test_elf_loads_with_load_program(tools):
    program = load_program(tools.ours(PROGRAM), CONFIG)
    assert program.entry == BASE + 4  # _start, not the start of .text
    start, table = program.symbol("_start"), program.symbol("table")
    assert (start.addr, start.size, start.kind) == (BASE + 4, 20, "func")
    assert (table.addr, table.size, table.kind) == (BASE + 24, 12, "object")
    assert program.symbol("helper").addr == BASE
    assert program.symbol("ANSWER").addr == 42
    # The one RWX segment (all of RAM) is loaded as the code and the data after it.
    by_addr = {seg.addr: seg for seg in program.segments}
    assert by_addr[BASE].executable and by_addr[BASE].data[:4] == bytes.fromhex("67800000")
    assert by_addr[BASE].mem_size == 24
    data_seg = by_addr[BASE + 24]  # .rodata, .data; .bss and the rest of RAM zero-filled
    assert not data_seg.executable and data_seg.data[12:] == b"\x07\x00\x00\x00"
    assert data_seg.mem_size == CONFIG.mem_end - (BASE + 24)


def test_elf_header_sections_and_symbols(tools):
    with open(tools.ours(PROGRAM), "rb") as handle:
        elf = ELFFile(handle)
        assert (elf["e_type"], elf["e_machine"], elf["e_flags"]) == ("ET_EXEC", "EM_RISCV", 0)
        assert elf.elfclass == 32 and elf.little_endian
        names = [s.name for s in elf.iter_sections()]
        assert names == ["", ".text", ".rodata", ".data", ".bss", ".note.oxcore", ".symtab",
                         ".strtab", ".shstrtab"]
        assert elf.get_section_by_name(".bss")["sh_type"] == "SHT_NOBITS"
        # The configuration it was built for: a note, not loaded (no segment holds it).
        note = elf.get_section_by_name(".note.oxcore")
        assert (note["sh_type"], note["sh_flags"]) == ("SHT_NOTE", 0)
        (parsed,) = list(note.iter_notes())
        assert (parsed["n_name"], parsed["n_type"]) == ("OxCore", 0x4F58)
        assert parsed["n_desc"].startswith(b"config=default;mem_base=0x80000000;mem_size=262144;")
        # One R+W+X segment declares all of RAM (zero-filled past the sections), as the
        # C linker script does: what qemu-riscv32 needs (docs/memory-map-abi.md).
        (segment,) = list(elf.iter_segments())
        assert segment["p_flags"] == 7 and segment["p_vaddr"] == BASE
        assert segment["p_vaddr"] + segment["p_memsz"] == CONFIG.mem_end
        symbols = {s.name: s for s in elf.get_section_by_name(".symtab").iter_symbols()}
        assert symbols["_start"]["st_info"]["bind"] == "STB_GLOBAL"
        assert symbols["helper"]["st_info"]["bind"] == "STB_LOCAL"
        assert symbols["ANSWER"]["st_shndx"] == "SHN_ABS"
        for seg in elf.iter_segments():  # loadable segments: offset = vaddr mod align
            assert seg["p_offset"] % seg["p_align"] == seg["p_vaddr"] % seg["p_align"]


@pytest.mark.skipif(shutil.which("readelf") is None, reason="binutils readelf not installed")
def test_readelf_reads_it_without_warnings(tools):
    result = subprocess.run(["readelf", "-a", "-W", str(tools.ours(PROGRAM))],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stderr == ""
    assert "warning" not in result.stdout.lower()


def test_entry_defaults_to_start_of_text(tools):
    program = load_program(tools.ours(".data\n.word 1\n.text\nnop\n"), CONFIG)
    assert program.entry == BASE


def test_flat_binary(asm_cli):
    source = ".text\nnop\n.rodata\n.byte 9\n.data\n.p2align 3\n.word 0x11223344\n" \
             ".bss\n.zero 100\n"
    result = asm_cli(source, "--format", "bin")
    assert result.code == 0, result.err
    image = result.output.read_bytes()
    assert image == (bytes.fromhex("13000000") + b"\x09" + b"\x00" * 3
                     + bytes.fromhex("44332211"))  # .bss is not in the image
    program = load_program(result.output, CONFIG)
    assert program.entry == BASE and program.segments[0].data == image


def test_cli_writes_elf_and_reports_nothing(asm_cli):
    result = asm_cli("nop\n")
    assert (result.code, result.out, result.err) == (0, "", "")
    assert result.output.read_bytes()[:4] == b"\x7fELF"
    assert [p.name for p in result.output.parent.iterdir() if p.name.startswith(".")] == []


def test_failed_run_keeps_previous_output(asm_cli):
    first = asm_cli("nop\n")
    before = first.output.read_bytes()
    second = asm_cli("nop\nbogus\n")
    assert second.code != 0 and second.output.read_bytes() == before
    leftovers = [p.name for p in second.output.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_other_config_places_text_at_its_mem_base(tmp_path):
    from sw.asm.driver import assemble_file
    from oxcore.program import load_program as load
    config = CONFIG.replace(name="low", mem_base=0x1_0000, mem_size=0x1_0000,
                            mmio_base=0x1000_0000)
    src = tmp_path / "p.s"
    src.write_text("_start: j _start\n")
    assemble_file(src, tmp_path / "p.elf", "elf", config)
    assert load(tmp_path / "p.elf", config).entry == 0x1_0000


# ---- the pseudo-instruction table, read backwards (for disassemblers) -------------------

ALIASES = [  # word -> the alias llvm-objdump picks (CSR names from OxCore's own table)
    (0x00000013, None, "nop"),
    (0x00500513, None, "li a0, 5"),
    (0x00058513, None, "mv a0, a1"),
    (0xFFF5C513, None, "not a0, a1"),
    (0x00008067, None, "ret"),
    (0x00028067, None, "jr t0"),
    (0x000605E7, None, "jalr a1, a2"),
    (0x0080006F, BASE, "j 0x80000008"),
    (0x010000EF, BASE, "jal 0x80000010"),
    (0xFE051EE3, BASE + 8, "bnez a0, 0x80000004"),
    (0xC0002573, None, "rdcycle a0"),
    (0x34051073, None, "csrw 0x340, a0"),
    (0x0FF0000F, None, "fence"),
    (0x00C58533, None, None),  # add: no alias
    (0x00C605E7, None, None),  # jalr a1, 12(a2): printed as itself
]


@pytest.mark.parametrize("word,pc,text", ALIASES, ids=[f"{w:08x}" for w, _, _ in ALIASES])
def test_pseudo_table_gives_llvm_aliases(word, pc, text):
    from oxcore.isa.pseudo import alias_text
    assert alias_text(word, pc) == text
