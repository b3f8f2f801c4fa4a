"""`oxcore disasm`: listings of flat images and ELFs, re-assemblable output, round trips.

Independent references: words encoded by hand from the RISC-V spec's formats, ELFs
linked by LLVM (clang/lld from ziglang), and LLVM's assembler re-assembling our
disassembly. The asm -> ELF -> disasm --reassemblable -> asm round trips need the
OxCore assembler (`sw.asm.driver`); they fail (never skip) while it is missing.
"""

from __future__ import annotations

import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from oxcore.cli import main as oxcore_main
from oxcore.config import PRESETS
from oxcore.errors import ElfError
from oxcore.isa import INSTRUCTIONS, format_instruction
from sw.asm.listing import disassemble_file, instruction_text, load_image

CONFIG = PRESETS["default"]
BASE = CONFIG.mem_base
LLVM_TARGET = ["-target", "riscv32-freestanding-none", "-mcpu=generic_rv32+m+zicsr",
               "-mno-relax"]


# ---- helpers ---------------------------------------------------------------------------

def _llvm(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "ziglang", "cc", *LLVM_TARGET, *args],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _llvm_text(src: str, tmp_path: Path, name: str = "llvm") -> bytes:
    """`.text` bytes of `src` assembled by LLVM (an object file, not linked)."""
    from elftools.elf.elffile import ELFFile
    (tmp_path / f"{name}.S").write_text(src)
    _llvm("-c", str(tmp_path / f"{name}.S"), "-o", str(tmp_path / f"{name}.o"))
    with (tmp_path / f"{name}.o").open("rb") as f:
        elf = ELFFile(f)
        relocs = elf.get_section_by_name(".rela.text")
        assert relocs is None or relocs.num_relocations() == 0, "source needs relocations"
        return elf.get_section_by_name(".text").data()


LINKER_SCRIPT = f"""ENTRY(_start)
SECTIONS {{
  . = {BASE:#x};
  .text : {{ *(.text .text.*) }}
  .rodata : ALIGN(4) {{ *(.rodata .rodata.*) }}
  .data : ALIGN(4) {{ *(.data .data.*) }}
  .bss : ALIGN(4) {{ *(.bss .bss.*) }}
}}
"""


def _llvm_elf(src: str, tmp_path: Path) -> Path:
    """`src` assembled and linked by LLVM at mem_base."""
    (tmp_path / "link.ld").write_text(LINKER_SCRIPT)
    (tmp_path / "prog.S").write_text(src)
    _llvm("-nostdlib", "-Wl,-T," + str(tmp_path / "link.ld"), str(tmp_path / "prog.S"),
          "-o", str(tmp_path / "prog.elf"))
    return tmp_path / "prog.elf"


def _words(*words: int) -> bytes:
    return struct.pack(f"<{len(words)}I", *words)


def _lines(listing: str) -> list[str]:
    return [line for line in listing.splitlines() if line[:8].isalnum() and ":  " in line]


# ---- flat binary, words encoded by hand -----------------------------------------------

# addi a0, zero, 5  = imm 5 | rs1 0 | 000 | rd 10 | 0010011            -> 0x00500513
# addi a1, zero, 5                                                        -> 0x00500593
# beq  a0, a1, +8   = imm[12|10:5]=0 | rs2 11 | rs1 10 | 000 | imm[4:1]=0100, imm[11]=0
#                                                                         -> 0x00b50463
# 0x00000000        = the defined-illegal all-zero word
# jal  zero, -16    = imm[20]=1 imm[10:1]=1111111000 imm[11]=1 imm[19:12]=11111111
#                                                                         -> 0xff1ff06f
# ecall                                                                   -> 0x00000073
FLAT_WORDS = (0x00500513, 0x00500593, 0x00B50463, 0x00000000, 0xFF1FF06F, 0x00000073)


@pytest.fixture
def flat_bin(tmp_path) -> Path:
    path = tmp_path / "hand.bin"
    path.write_bytes(_words(*FLAT_WORDS) + b"\x34\x12")
    return path


def test_flat_bin_listing(flat_bin):
    listing = disassemble_file(flat_bin, CONFIG, reassemblable=False)
    assert listing.splitlines()[0] == "hand.bin:     file format binary (flat image at 0x80000000)"
    assert "Disassembly of section .text:" in listing
    assert "80000000 <.text>:" in listing
    lines = _lines(listing)
    addrs = [int(line[:8], 16) for line in lines]
    assert addrs == [BASE + 4 * i for i in range(7)]
    raw = [line[11:19] for line in lines[:6]]
    assert raw == [f"{w:08x}" for w in FLAT_WORDS]
    # LLVM's aliases (from oxcore.isa.pseudo) where LLVM prints one.
    assert [line[21:] for line in lines] == [
        "li a0, 5", "li a1, 5", "beq a0, a1, 0x80000010", ".word 0x00000000",
        "j 0x80000000", "ecall", ".byte 0x34, 0x12"]
    assert lines[2] == "80000008:  00b50463  beq a0, a1, 0x80000010"
    assert lines[6].startswith("80000018:  1234    ")


def test_flat_bin_reassemblable_with_llvm(flat_bin, tmp_path):
    """LLVM assembles our re-assemblable output of a flat image to the same bytes."""
    source = disassemble_file(flat_bin, CONFIG, reassemblable=True)
    assert ".L80000010:" in source and ".L80000000:" in source
    assert "beq a0, a1, .L80000010" in source
    assert ".word 0x00000000" in source
    assert _llvm_text(source, tmp_path) == flat_bin.read_bytes()


def test_cli_disasm(flat_bin, capsys):
    assert oxcore_main(["disasm", str(flat_bin)]) == 0
    assert "80000008:  00b50463  beq a0, a1, 0x80000010" in capsys.readouterr().out
    assert oxcore_main(["disasm", "--reassemblable", str(flat_bin)]) == 0
    assert "beq a0, a1, .L80000010" in capsys.readouterr().out


def test_cli_disasm_errors(tmp_path, capsys):
    assert oxcore_main(["disasm", str(tmp_path / "missing.elf")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("oxcore: error:") and "cannot read" in err and len(err.splitlines()) == 1
    junk = tmp_path / "junk.elf"
    junk.write_bytes(b"\x7fELF" + b"\x01" * 12)
    assert oxcore_main(["disasm", str(junk)]) == 1
    assert len(capsys.readouterr().err.splitlines()) == 1
    with pytest.raises(ElfError):
        disassemble_file(tmp_path / "missing.bin", CONFIG)


# ---- ELF linked by LLVM ------------------------------------------------------------------

LLVM_PROGRAM = """
    .text
    .globl _start
    .type _start, @function
_start:
    la a0, msg
    li a1, 3
loop:
    lbu t0, 0(a0)
    addi a0, a0, 1
    addi a1, a1, -1
    bnez a1, loop
    call helper
    j _start
    .type helper, @function
helper:
    csrrs a0, cycle, zero
    ret
    .word 0x12345678          # data in code: a $d mapping symbol

    .section .rodata
msg:
    .byte 104, 105, 0
    .data
counter:
    .word 7
    .bss
buf:
    .zero 16
"""


def test_listing_of_llvm_linked_elf(tmp_path):
    elf = _llvm_elf(LLVM_PROGRAM, tmp_path)
    listing = disassemble_file(elf, CONFIG)
    assert listing.splitlines()[0] == "prog.elf:     file format elf32-littleriscv"
    assert listing.count("Disassembly of section") == 1  # executable code only
    lines = {int(line[:8], 16): line[21:] for line in _lines(listing)}
    image = load_image(elf, CONFIG)
    syms = {s.name: s.addr for s in image.symbols}
    for name in ("_start", "loop", "helper"):
        assert f"\n{syms[name]:08x} <{name}>:\n" in listing
    # Branch/jump targets resolve to symbols.
    assert any(t.endswith(f"{syms['loop']:#x} <loop>") for t in lines.values())
    assert any(t.endswith(f"{syms['_start']:#x} <_start>") for t in lines.values())
    # auipc+addi pairs get the address they form (la a0, msg) and auipc+jalr (call).
    assert any(t.endswith(f"# {syms['msg']:#x} <msg>") for t in lines.values())
    assert any(t.endswith(f"# {syms['helper']:#x} <helper>") for t in lines.values())
    assert "csrrs a0, cycle, zero" in listing or "rdcycle a0" in listing \
        or "csrr a0, cycle" in listing
    # The word after `ret` is marked as data by LLVM's $d mapping symbol.
    assert ".word 0x12345678" in listing
    # Nothing from .rodata/.data/.bss is listed as code.
    assert max(lines) < syms["msg"]


def test_reassemblable_of_llvm_elf_has_all_sections(tmp_path):
    elf = _llvm_elf(LLVM_PROGRAM, tmp_path)
    source = disassemble_file(elf, CONFIG, reassemblable=True)
    for needle in ("    .text", '    .section .rodata, "a", @progbits', "    .data",
                   "    .bss", "    .zero 16", "msg:", "counter:", "buf:", "loop:",
                   "    .globl _start", "_start:", ".word 0x00000007",
                   ".byte 0x68, 0x69, 0x00", ".word 0x12345678"):
        assert needle in source, needle
    assert "bne a1, zero, loop" in source
    assert "jal zero, _start" in source


C_PROGRAM = r"""
typedef unsigned int u32;
static volatile u32 counter = 7;
static u32 table[8];
static const char message[] = "hello, listing\n";

static long sys(long n, long a0, long a1, long a2) {
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r2 __asm__("a2") = a2;
    register long r7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
    return r0;
}

__attribute__((noinline)) static u32 pick(u32 k, u32 x) {
    switch (k) {  /* a jump table in .rodata */
    case 0: return x + 1;
    case 1: return x * 3;
    case 2: return x ^ 0x55;
    case 3: return x >> 2;
    case 4: return x - 9;
    case 5: return x / 7;
    case 6: return x % 5;
    default: return 0;
    }
}

void _start(void) {
    u32 acc = counter;
    for (u32 i = 0; i < 8; i++) {
        table[i] = pick(i, acc);
        acc += table[i];
    }
    sys(64, 1, (long)message, sizeof message - 1);
    sys(93, (long)(acc & 0xff), 0, 0);
    for (;;) __asm__ volatile("ebreak");
}
"""


def _sections_equal(a: Path, b: Path) -> None:
    first = {s.name: (s.addr, s.size, s.data) for s in load_image(a, CONFIG).sections}
    second = {s.name: (s.addr, s.size, s.data) for s in load_image(b, CONFIG).sections}
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], f"section {name} differs"


@pytest.mark.parametrize("assembler", ["llvm", "oxcore"])
@pytest.mark.parametrize("lang", ["asm", "c"])
def test_round_trip_of_llvm_linked_elf(lang, assembler, tmp_path):
    """An ELF linked by LLVM, disassembled --reassemblable, then assembled again (by
    LLVM with the same linker script, or by `oxcore asm`), has byte-identical sections
    and the same entry point."""
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir()
    second_dir.mkdir()
    if lang == "c":
        (first_dir / "link.ld").write_text(LINKER_SCRIPT)
        (first_dir / "prog.c").write_text(C_PROGRAM)
        _llvm("-O2", "-ffreestanding", "-nostdlib", "-fno-unwind-tables",
              "-fno-asynchronous-unwind-tables", "-Wl,-T," + str(first_dir / "link.ld"),
              str(first_dir / "prog.c"), "-o", str(first_dir / "prog.elf"))
        first = first_dir / "prog.elf"
    else:
        first = _llvm_elf(LLVM_PROGRAM, first_dir)
    source = disassemble_file(first, CONFIG, reassemblable=True)
    if assembler == "llvm":
        second = _llvm_elf(source, second_dir)
    else:
        (second_dir / "prog.S").write_text(source)
        second = second_dir / "prog.elf"
        _assemble(second_dir / "prog.S", second, "elf")
    _sections_equal(first, second)
    assert load_image(second, CONFIG).entry == load_image(first, CONFIG).entry


def test_entry_point_without_start_symbol(tmp_path):
    """An ELF whose entry is not `_start` (nor the start of .text) gets a `_start` label
    there, which is how `oxcore asm` picks the entry point."""
    src = """
    .text
first:
    li a0, 1
    ret
    .globl begin
begin:
    li a7, 93
    ecall
"""
    (tmp_path / "link.ld").write_text(LINKER_SCRIPT.replace("ENTRY(_start)", "ENTRY(begin)"))
    (tmp_path / "prog.S").write_text(src)
    _llvm("-nostdlib", "-Wl,-T," + str(tmp_path / "link.ld"), "-Wl,--entry=begin",
          str(tmp_path / "prog.S"), "-o", str(tmp_path / "prog.elf"))
    first = load_image(tmp_path / "prog.elf", CONFIG)
    assert first.entry == BASE + 8
    source = disassemble_file(tmp_path / "prog.elf", CONFIG, reassemblable=True)
    assert "    .globl _start\n_start:\n    .globl begin\nbegin:\n" in source
    (tmp_path / "again.S").write_text(source)
    _assemble(tmp_path / "again.S", tmp_path / "again.elf", "elf")
    assert load_image(tmp_path / "again.elf", CONFIG).entry == BASE + 8
    _sections_equal(tmp_path / "prog.elf", tmp_path / "again.elf")


# ---- LLVM as the reference for our disassembly -------------------------------------------

LLVM_CROSSCHECK = """
    .text
    lui a0, 0x12345
    auipc t1, 0xfffff
    jal ra, 2048
    jal zero, -4
    jalr ra, -16(t0)
    beq a0, a1, 16
    bgeu t6, zero, -4096
    lb a0, -1(sp)
    lhu s11, 2047(tp)
    sw ra, -2048(sp)
    addi a0, a0, -1
    sltiu a2, a3, -1
    xori a0, a1, 1365
    slli a0, a0, 31
    srai a3, a4, 7
    sub a0, a1, a2
    sra s8, s9, s10
    sltu a0, zero, a1
    fence iorw, iorw
    fence i, ow
    fence 0, 0
    ecall
    ebreak
    mulhsu t0, t1, t2
    divu t3, t4, t5
    remu ra, sp, gp
    csrrs a0, instret, zero
    csrrw zero, 0x340, a1
    csrrci zero, 0x7c0, 5
    csrrsi t1, hpmcounter3h, 31
"""


def test_llvm_reassembles_our_disassembly(tmp_path):
    """LLVM assembles a source; our disassembly of its words, assembled by LLVM again,
    gives the same bytes."""
    original = _llvm_text(LLVM_CROSSCHECK, tmp_path, "orig")
    words = struct.unpack(f"<{len(original) // 4}I", original)
    ours = "\n".join(f"    {format_instruction(w)}" for w in words)
    assert ".word" not in ours
    assert _llvm_text(".text\n" + ours + "\n", tmp_path, "again") == original


@pytest.mark.parametrize("aliases", [False, True], ids=["canonical", "aliases"])
def test_llvm_reassembles_random_words_of_every_instruction(aliases, tmp_path):
    """Random operands for every instruction, printed canonically and with the aliases
    the listing uses (`li`, `mv`, `ret`, `beqz`, `csrr`...): LLVM gives the same words."""
    rng = random.Random(2024)
    words = []
    for ins in INSTRUCTIONS:
        for _ in range(12):
            words.append(ins.match | (rng.getrandbits(32) & ~ins.mask & 0xFFFF_FFFF))
        # Operands that select aliases: zero registers/immediates, ra, rd = x0.
        for k in range(4):
            fields = {f.name: f for f in ins.operands}
            word = ins.match | (rng.getrandbits(32) & ~ins.mask & 0xFFFF_FFFF)
            for name in ("rd", "rs1", "rs2", "imm")[k:k + 2]:
                if name in fields:
                    word &= ~fields[name].inst_mask & 0xFFFF_FFFF
            if k == 3 and "rs1" in fields:
                word = (word & ~fields["rs1"].inst_mask & 0xFFFF_FFFF) | (1 << 15)  # ra
            words.append(word)
    words += [0x00000013, 0x00008067, 0x0FF0000F, 0xC0002573, 0xFFFF_FFFF, 0]
    texts = [instruction_text(w, aliases=aliases) for w in words]
    if aliases:
        assert {"nop", "ret", "fence", "rdcycle a0"} <= set(texts)
    again = _llvm_text(".text\n" + "".join(f"    {t}\n" for t in texts), tmp_path, "random")
    assert again == _words(*words)


# ---- round trips through the OxCore assembler --------------------------------------------

ROUND_TRIP_SOURCES = {
    "branches": """
    .text
    .globl _start
_start:
    li a0, 10
    li a1, 0
loop:
    beqz a0, done
    add a1, a1, a0
    addi a0, a0, -1
    j loop
done:
    call helper
    bne a0, a1, far
    li a7, 93
    ecall
helper:
    ret
    .word 0
    .word 0xffffffff
far:
    bltu a0, a1, far
    jal ra, _start
    ebreak
""",
    "data": """
    .text
    .globl _start
_start:
    la a0, msg
    lbu a1, 0(a0)
    la a2, table
    lw a3, 4(a2)
    la a4, buf
    sw a3, 0(a4)
    li a5, 0x12345678
    li a7, 93
    ecall
    .data
msg:
    .byte 104, 101, 108, 108, 111, 10, 0
table:
    .word 1, 2, 3, 0xffffffff
tail:
    .byte 1, 2, 3
    .bss
buf:
    .zero 64
""",
    "layout": """
    .text
helper:                       # entry point is not the start of .text
    ret
    .globl _start
_start:
    la a0, msg
    call helper
    lw a1, w
    j end
    .section .rodata
    .p2align 3
msg:
    .asciz "hello\\n"
half:
    .half 0x1234
    .data
    .byte 1
    .p2align 2
w:
    .word msg, half
mid = w + 2                   # a symbol inside a word of data
    .bss
    .p2align 4
buf:
    .zero 10
bufend:
    .text
end:
    ebreak
""",
    "system": """
    .text
    .globl _start
_start:
    csrr a0, cycle
    csrrw zero, 0x340, a0
    fence iorw, iorw
    fence r, w
    mul a1, a0, a0
    mulhu a2, a0, a1
    div a3, a1, a2
    rem a4, a1, a2
    lui t0, 0xfffff
    auipc t1, 0
    slli t2, t0, 3
    srai t3, t0, 31
    sltiu t4, t0, -1
    ebreak
""",
}


def _assemble(src: Path, out: Path, fmt: str) -> None:
    try:
        import sw.asm.driver  # noqa: F401
    except ImportError as exc:  # a failure, not a skip: the round trip is required
        pytest.fail(f"the OxCore assembler (sw.asm.driver) is not available: {exc}")
    rc = oxcore_main(["asm", str(src), "-o", str(out), "--format", fmt])
    assert rc == 0, f"oxcore asm failed on {src}:\n{src.read_text()}"


def _sections(path: Path) -> dict:
    image = load_image(path, CONFIG)
    return {s.name: (s.addr, s.size, s.data) for s in image.sections}


@pytest.mark.parametrize("name", sorted(ROUND_TRIP_SOURCES))
def test_round_trip_elf(name, tmp_path):
    src = tmp_path / f"{name}.S"
    src.write_text(ROUND_TRIP_SOURCES[name])
    _assemble(src, tmp_path / "first.elf", "elf")
    listing = disassemble_file(tmp_path / "first.elf", CONFIG)
    assert "<_start>:" in listing
    regenerated = tmp_path / "again.S"
    regenerated.write_text(disassemble_file(tmp_path / "first.elf", CONFIG, reassemblable=True))
    _assemble(regenerated, tmp_path / "second.elf", "elf")
    first, second = _sections(tmp_path / "first.elf"), _sections(tmp_path / "second.elf")
    assert first == second
    assert load_image(tmp_path / "first.elf", CONFIG).entry == \
        load_image(tmp_path / "second.elf", CONFIG).entry
    # And once more: the re-assemblable output is a fixed point.
    again = disassemble_file(tmp_path / "second.elf", CONFIG, reassemblable=True)
    assert again.split("\n", 1)[1] == regenerated.read_text().split("\n", 1)[1]


@pytest.mark.parametrize("name", sorted(ROUND_TRIP_SOURCES))
def test_round_trip_flat_bin(name, tmp_path):
    src = tmp_path / f"{name}.S"
    src.write_text(ROUND_TRIP_SOURCES[name])
    _assemble(src, tmp_path / "first.bin", "bin")
    regenerated = tmp_path / "again.S"
    regenerated.write_text(disassemble_file(tmp_path / "first.bin", CONFIG, reassemblable=True))
    _assemble(regenerated, tmp_path / "second.bin", "bin")
    assert (tmp_path / "second.bin").read_bytes() == (tmp_path / "first.bin").read_bytes()


def test_listing_of_assembled_elf(tmp_path):
    src = tmp_path / "branches.S"
    src.write_text(ROUND_TRIP_SOURCES["branches"])
    _assemble(src, tmp_path / "prog.elf", "elf")
    listing = disassemble_file(tmp_path / "prog.elf", CONFIG)
    syms = {s.name: s.addr for s in load_image(tmp_path / "prog.elf", CONFIG).symbols}
    assert f"{syms['_start']:08x} <_start>:" in listing
    for name in ("loop", "done", "helper", "far"):
        assert f"{syms[name]:#x} <{name}>" in listing, name
    assert ".word 0x00000000" in listing and ".word 0xffffffff" in listing


def test_elf_without_section_headers(tmp_path):
    """A stripped ELF (no section headers) is listed and re-assembled per segment.

    Segments by permission (R-X, R, RW) as other toolchains write them: `oxcore asm`'s
    own ELFs have one RWX segment for all of RAM, which carries no section boundaries."""
    from oxcore.program import load_program
    from sw.asm.driver import assemble

    def per_permission_elf(source: Path, out: Path) -> None:
        out.write_bytes(assemble(source, CONFIG).elf())

    src = tmp_path / "layout.S"
    src.write_text(ROUND_TRIP_SOURCES["layout"])
    per_permission_elf(src, tmp_path / "full.elf")
    raw = bytearray((tmp_path / "full.elf").read_bytes())
    struct.pack_into("<I", raw, 0x20, 0)  # e_shoff
    struct.pack_into("<HH", raw, 0x30, 0, 0)  # e_shnum, e_shstrndx
    stripped = tmp_path / "stripped.elf"
    stripped.write_bytes(bytes(raw))
    listing = disassemble_file(stripped, CONFIG)
    assert "Disassembly of section .text:" in listing and "ebreak" in listing
    source = disassemble_file(stripped, CONFIG, reassemblable=True)
    assert "    .text" in source and ".section .rodata" in source and "    .bss" in source
    (tmp_path / "again.S").write_text(source)
    per_permission_elf(tmp_path / "again.S", tmp_path / "again.elf")
    first = load_program(tmp_path / "full.elf", CONFIG)
    second = load_program(tmp_path / "again.elf", CONFIG)
    assert [(s.addr, s.data, s.mem_size) for s in first.segments] == \
        [(s.addr, s.data, s.mem_size) for s in second.segments]
    assert first.entry == second.entry
