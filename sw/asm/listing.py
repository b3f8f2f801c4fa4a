"""`oxcore disasm`: an objdump-style listing, or re-assemblable source, of a program.

Listing (``objdump -d`` behaviour: executable code only)::

    prog.elf:     file format elf32-littleriscv

    Disassembly of section .text:

    80000000 <_start>:
    80000000:  00000513  li a0, 0
    80000004:  00b50463  beq a0, a1, 0x8000000c <_start+0xc>

Each line is address, raw little-endian word, disassembly, with LLVM's aliases (``li``,
``mv``, ``ret``, ``j``, ``beqz``, ``csrr``... from :mod:`oxcore.isa.pseudo`) where LLVM
prints one. Branch and jump targets are
printed as ``0xADDR <symbol+offset>``; an ``auipc``/``lui`` followed by an instruction
that adds a low immediate to the same register gets the address they form as a
comment. ELF files are listed per executable section (per executable segment if the
file has no section headers); a flat ``.bin`` is one executable region at
``config.mem_base``. Words inside ``$d`` mapping-symbol ranges (data the assembler
placed in code) print as ``.word``, as objdump does.

Re-assemblable (``--reassemblable``): assembly source that ``oxcore asm`` turns back
into byte-identical sections. Every branch/jump target gets a label (the symbol's name
when it has one, ``.L<addr>`` otherwise), illegal words become ``.word``, data sections
become ``.section``/``.word``/``.byte`` and ``.bss`` a ``.zero``. Instructions are always
printed in their canonical form so the bytes cannot depend on how a pseudo-instruction
is expanded.
"""

from __future__ import annotations

import bisect
import io
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from oxcore.config import OxCoreConfig
from oxcore.errors import ElfError
from oxcore.isa import DEFAULT_ISA, PCREL, Isa, format_instruction, isa_for
from oxcore.program import ELF_MAGIC, Program, load_program

try:  # the pseudo-instruction table, for aliases such as `li`, `mv`, `ret`
    from oxcore.isa import pseudo as _pseudo
except ImportError:  # pragma: no cover - only while the table does not exist
    _pseudo = None


# ---- the program as sections and symbols ----------------------------------------------

@dataclass
class Section:
    name: str
    addr: int
    size: int
    data: bytes | None  # None: no file contents (.bss, NOBITS)
    executable: bool
    writable: bool = False
    align: int = 4

    @property
    def end(self) -> int:
        return self.addr + self.size

    def contains(self, addr: int, inclusive_end: bool = False) -> bool:
        return self.addr <= addr < self.end or (inclusive_end and addr == self.end)


@dataclass(frozen=True)
class Sym:
    name: str
    addr: int
    binding: str = "local"  # "local", "global" or "weak"
    kind: str = "notype"  # "func", "object" or "notype"


@dataclass
class Image:
    """What the listing needs from a loaded file."""

    name: str
    flat: bool
    entry: int
    sections: list[Section]
    symbols: list[Sym] = field(default_factory=list)
    # Mapping symbols ($x / $d): (address, is_data), sorted, for executable sections.
    mapping: list[tuple[int, bool]] = field(default_factory=list)
    isa: Isa = DEFAULT_ISA  # what the code is decoded with

    def section_at(self, addr: int, inclusive_end: bool = False) -> Section | None:
        """The section holding `addr`; with `inclusive_end`, else one ending at `addr`."""
        for sec in self.sections:
            if sec.contains(addr):
                return sec
        if inclusive_end:
            for sec in self.sections:
                if sec.end == addr:
                    return sec
        return None

    def is_data(self, addr: int) -> bool:
        i = bisect.bisect_right(self.mapping, (addr, True)) - 1
        return i >= 0 and self.mapping[i][1]


_MAPPING_SYMBOL = re.compile(r"^\$([xd])(\..*|[a-z0-9_]*)?$")
_ST_TYPES = {"STT_FUNC": "func", "STT_OBJECT": "object", "STT_NOTYPE": "notype"}
_BINDINGS = {"STB_LOCAL": "local", "STB_GLOBAL": "global", "STB_WEAK": "weak"}


def load_image(path: Path, config: OxCoreConfig) -> Image:
    """Load and validate `path` with `load_program`, then read sections and symbols."""
    program = load_program(path, config)
    raw = path.read_bytes()
    if raw[:4] != ELF_MAGIC:
        seg = program.segments[0]
        return Image(path.name, True, program.entry,
                     [Section(".text", seg.addr, len(seg.data), seg.data, True, False, 4)])
    try:
        return _elf_image(path, raw, program)
    except ElfError:
        raise
    except Exception as exc:  # pyelftools on a file whose program headers were fine
        raise ElfError(f"{path}: malformed section or symbol table "
                       f"({type(exc).__name__}: {exc})") from None


def _sections_from_segments(program: Program) -> list[Section]:
    """Sections named by segment permissions (.text, .rodata, .data, .bss), each aligned
    so that laying them out in order reproduces the gaps between them."""
    sections: list[Section] = []
    counts: dict[str, int] = {}

    def add(base: str, addr: int, size: int, data: bytes | None, executable: bool,
            writable: bool) -> None:
        n = counts[base] = counts.get(base, -1) + 1
        prev_end = sections[-1].end if sections else addr
        minimum = 4 if executable else 1
        align = next((1 << k for k in range(13) if 1 << k >= minimum
                      and -(-prev_end // (1 << k)) * (1 << k) == addr), minimum)
        sections.append(Section(base if n == 0 else f"{base}.{n}", addr, size, data,
                                executable, writable, align))

    for seg in sorted(program.segments, key=lambda seg: seg.addr):
        if seg.executable:
            add(".text", seg.addr, len(seg.data), seg.data, True, False)
            continue
        writable = seg.mem_size > len(seg.data)  # has .bss: a read/write segment
        if seg.data:
            add(".data" if writable else ".rodata", seg.addr, len(seg.data), seg.data,
                False, writable)
        if seg.mem_size > len(seg.data):
            add(".bss", seg.addr + len(seg.data), seg.mem_size - len(seg.data), None,
                False, True)
    return sections


def _elf_image(path: Path, raw: bytes, program: Program) -> Image:
    from elftools.elf.constants import SH_FLAGS
    from elftools.elf.elffile import ELFFile

    elf = ELFFile(io.BytesIO(raw))
    sections: list[Section] = []
    index_of: dict[int, Section] = {}
    for index, sec in enumerate(elf.iter_sections()):
        flags = sec["sh_flags"]
        if not flags & SH_FLAGS.SHF_ALLOC or sec["sh_size"] == 0:
            continue
        nobits = sec["sh_type"] == "SHT_NOBITS"
        data = None if nobits else sec.data()
        if data is not None and len(data) != sec["sh_size"]:
            raise ElfError(f"{path}: section {sec.name} is truncated")
        item = Section(sec.name, sec["sh_addr"], sec["sh_size"], data,
                       bool(flags & SH_FLAGS.SHF_EXECINSTR), bool(flags & SH_FLAGS.SHF_WRITE),
                       max(1, sec["sh_addralign"]))
        sections.append(item)
        index_of[index] = item
    if not sections:  # no section headers: one section per loadable segment
        sections = _sections_from_segments(program)
    sections.sort(key=lambda s: s.addr)

    symbols: list[Sym] = []
    mapping: list[tuple[int, bool]] = []
    symtab = elf.get_section_by_name(".symtab")
    if symtab is not None:
        for sym in symtab.iter_symbols():
            shndx = sym["st_shndx"]
            if not sym.name or not isinstance(shndx, int):  # UNDEF, ABS, COMMON
                continue
            kind = _ST_TYPES.get(sym["st_info"]["type"])
            home = index_of.get(shndx)
            if kind is None or home is None:
                continue
            mapped = _MAPPING_SYMBOL.match(sym.name)
            if mapped:
                if home.executable:
                    mapping.append((sym["st_value"], mapped.group(1) == "d"))
                continue
            symbols.append(Sym(sym.name, sym["st_value"],
                               _BINDINGS.get(sym["st_info"]["bind"], "local"), kind))
    mapping.sort()
    return Image(path.name, False, program.entry, sections, symbols, mapping)


# ---- instruction text -----------------------------------------------------------------

def _pcrel_target(word: int, pc: int, isa: Isa) -> int | None:
    """Absolute target of a branch/jal word at `pc`, or None for other instructions."""
    ins = isa.decode(word)
    if ins is None:
        return None
    for fld in ins.operands:
        if fld.kind == PCREL:
            return (pc + fld.extract(word)) & 0xFFFF_FFFF
    return None


def instruction_text(word: int, pc: int | None = None,
                     symbolize: Callable[[int], str | None] | None = None,
                     aliases: bool = True, isa: Isa = DEFAULT_ISA) -> str:
    """One word as the listing prints it: LLVM's alias (``ret``, ``li a0, 1``, ``j``...)
    when `aliases` and the pseudo-instruction table has one, else the canonical form;
    ``.word 0x...`` for an illegal word. Without `pc`, targets are byte offsets."""
    if aliases and _pseudo is not None:
        text = _pseudo.alias_text(word, pc, symbolize, isa)
        if text is not None:
            return text
    return format_instruction(word, pc, symbolize, isa)


_UPPER = {"lui", "auipc"}


def _low_immediate(word: int, isa: Isa) -> tuple[int, int] | None:
    """(rs1, imm) of an instruction whose semantics add its immediate to x[rs1] (addi,
    loads, stores, jalr: the second half of a lui/auipc pair), or None."""
    ins = isa.decode(word)
    if ins is None or "x[rs1] + imm" not in ins.semantics:
        return None
    values = ins.operand_values(word)
    return values["rs1"], values["imm"]


def _label_rank(sym: Sym) -> tuple:
    """Preferred first: functions, global names, names that are not assembler-local."""
    return (sym.kind != "func", sym.binding == "local", sym.name.startswith("."), sym.name)


# ---- objdump-style listing ------------------------------------------------------------

class _Names:
    """Symbol lookup for listings: nearest preceding named symbol in the same section."""

    def __init__(self, image: Image):
        self.image = image
        best: dict[int, Sym] = {}
        for sym in sorted(image.symbols, key=_label_rank):
            if sym.name.startswith(".L"):  # assembler-local labels: not shown, like objdump
                continue
            best.setdefault(sym.addr, sym)
        self.by_addr = {addr: sym.name for addr, sym in best.items()}
        self.addrs = sorted(self.by_addr)

    def describe(self, addr: int) -> str | None:
        """``<name>`` or ``<name+0x10>`` for `addr`, or None."""
        sec = self.image.section_at(addr, inclusive_end=True)
        i = bisect.bisect_right(self.addrs, addr) - 1
        if sec is None or i < 0 or self.addrs[i] < sec.addr:
            return None
        base = self.addrs[i]
        name = self.by_addr[base]
        return f"<{name}>" if base == addr else f"<{name}+{addr - base:#x}>"

    def symbolize(self, addr: int) -> str | None:
        where = self.describe(addr)
        return f"{addr:#x} {where}" if where else None


def _listing(image: Image) -> str:
    names = _Names(image)
    out = [f"{image.name}:     file format "
           + ("binary" if image.flat else "elf32-littleriscv")]
    if image.flat:
        out[0] += f" (flat image at {image.sections[0].addr:#010x})"
    code = [s for s in image.sections if s.executable and s.data]
    for sec in code:
        out += ["", f"Disassembly of section {sec.name}:"]
        upper: tuple[int, int] | None = None  # (rd, value) of a preceding lui/auipc
        addr = sec.addr
        while addr < sec.end:
            if addr in names.by_addr or addr == sec.addr:
                label = names.by_addr.get(addr, sec.name)
                out += ["", f"{addr:08x} <{label}>:"]
            chunk = sec.data[addr - sec.addr:addr - sec.addr + 4]
            if len(chunk) < 4:
                value = int.from_bytes(chunk, "little")
                raw = f"{value:0{2 * len(chunk)}x}"
                out.append(f"{addr:08x}:  {raw:<8}  .byte "
                           + ", ".join(f"{b:#04x}" for b in chunk))
                break
            word = struct.unpack("<I", chunk)[0]
            if image.is_data(addr):
                text, upper = f".word {word:#010x}", None
            else:
                text = instruction_text(word, addr, names.symbolize, isa=image.isa)
                text, upper = _annotate(word, addr, text, upper, names)
            out.append(f"{addr:08x}:  {word:08x}  {text}")
            addr += 4
    if not code:
        out += ["", "(no executable sections)"]
    return "\n".join(out) + "\n"


def _annotate(word: int, pc: int, text: str, upper: tuple[int, int] | None,
              names: _Names) -> tuple[str, tuple[int, int] | None]:
    """Add ``# 0xADDR <sym>`` to the second half of a lui/auipc pair; track the first."""
    ins = names.image.isa.decode(word)
    if ins is not None and ins.mnemonic in _UPPER:
        values = ins.operand_values(word)
        base = pc if ins.mnemonic == "auipc" else 0
        return text, (values["rd"], (base + (values["imm"] << 12)) & 0xFFFF_FFFF)
    if upper is not None:
        low = _low_immediate(word, names.image.isa)
        if low is not None and low[0] == upper[0] and upper[0] != 0:
            addr = (upper[1] + low[1]) & 0xFFFF_FFFF
            where = names.describe(addr)
            text = f"{text}  # {addr:#x}" + (f" {where}" if where else "")
    return text, None


# ---- re-assemblable source ------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_.$][A-Za-z0-9_.$]*$")


def _labels(image: Image) -> dict[int, list[str]]:
    """Label names per address, best first: symbols (valid identifiers; a name used by
    several local symbols only once) plus `.L<addr>` for every branch/jump target that
    has none."""
    labels: dict[int, list[str]] = {}
    used: set[str] = set()
    for sym in sorted(image.symbols, key=_label_rank):
        if (_IDENT.match(sym.name) and sym.name not in used
                and image.section_at(sym.addr, inclusive_end=True)):
            used.add(sym.name)
            labels.setdefault(sym.addr, []).append(sym.name)
    # `oxcore asm` takes the entry point from `_start`, else the start of .text.
    code = [sec for sec in image.sections if sec.executable]
    if (not image.flat and "_start" not in used and code and image.entry != code[0].addr
            and image.section_at(image.entry)):
        used.add("_start")
        labels.setdefault(image.entry, []).insert(0, "_start")
    for sec in image.sections:
        if not (sec.executable and sec.data):
            continue
        for off in range(0, len(sec.data) - 3, 4):
            pc = sec.addr + off
            if image.is_data(pc):
                continue
            target = _pcrel_target(struct.unpack_from("<I", sec.data, off)[0], pc, image.isa)
            if target is not None and target not in labels and \
                    image.section_at(target, inclusive_end=True):
                name = f".L{target:08x}"
                while name in used:
                    name += "_"
                used.add(name)
                labels[target] = [name]
    return labels


def _printable(chunk: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "." for b in chunk)


def _section_directive(sec: Section) -> str:
    if sec.name in (".text", ".data", ".bss"):
        return f"    {sec.name}"
    flags = "a" + ("x" if sec.executable else "") + ("w" if sec.writable else "")
    kind = "@nobits" if sec.data is None else "@progbits"
    return f'    .section {sec.name}, "{flags}", {kind}'


def _reassemblable(image: Image) -> str:
    labels = _labels(image)
    globals_ = {s.name for s in image.symbols
                if s.binding != "local" and _IDENT.match(s.name)
                and image.section_at(s.addr, inclusive_end=True)}
    if "_start" in labels.get(image.entry, []):
        globals_.add("_start")
    out = [f"# {image.name}: re-assemblable source from `oxcore disasm --reassemblable`.",
           "# `oxcore asm` turns it back into byte-identical sections"
           + (" (flat image)." if image.flat else f"; entry {image.entry:#010x}."), ""]

    def symbolize(target: int) -> str | None:
        names = labels.get(target)
        return names[0] if names else None

    emitted: set[int] = set()

    def emit_labels(addr: int) -> None:
        if addr in emitted:
            return
        emitted.add(addr)
        for name in labels.get(addr, []):
            if name in globals_:
                out.append(f"    .globl {name}")
            out.append(f"{name}:")

    for sec in image.sections:
        out.append(_section_directive(sec))
        if sec.align > 1:
            out.append(f"    .balign {sec.align}")
        cuts = sorted({a for a in labels if sec.addr < a < sec.end}
                      | {a for a, _ in image.mapping if sec.addr < a < sec.end})
        addr = sec.addr
        if sec.data is None:
            for stop in cuts + [sec.end]:
                emit_labels(addr)
                if stop > addr:
                    out.append(f"    .zero {stop - addr}")
                addr = stop
        else:
            while addr < sec.end:
                emit_labels(addr)
                nxt = next((c for c in cuts if c > addr), sec.end)
                if sec.executable and not image.is_data(addr):
                    addr = _emit_code(out, sec, addr, nxt, symbolize, labels, image.isa)
                else:
                    addr = _emit_data(out, sec, addr, nxt)
        if not any(other.addr == sec.end for other in image.sections):
            emit_labels(sec.end)  # e.g. `_end`, or a branch to just past the code
        out.append("")
    return "\n".join(out)


def _emit_code(out: list[str], sec: Section, addr: int, stop: int,
               symbolize: Callable[[int], str | None], labels: dict[int, list[str]],
               isa: Isa) -> int:
    """Instructions from `addr` up to the next label `stop`; returns the next address."""
    if addr % 4 or stop - addr < 4:
        return _emit_data(out, sec, addr, stop)
    word = struct.unpack_from("<I", sec.data, addr - sec.addr)[0]
    target = _pcrel_target(word, addr, isa)
    if target is not None and target in labels:
        text = format_instruction(word, addr, symbolize, isa)
    else:  # no label possible (target outside the program): a literal byte offset
        text = format_instruction(word, isa=isa)
    out.append(f"    {text}" + (f"  # {addr:08x}" if not text.startswith(".word") else
                                f"  # {addr:08x}: not an instruction"))
    return addr + 4


def _emit_data(out: list[str], sec: Section, addr: int, stop: int) -> int:
    """Data bytes from `addr` up to `stop` (next label) in lines of up to 16 bytes."""
    end = min(stop, sec.end, (addr // 16 + 1) * 16)
    chunk = sec.data[addr - sec.addr:end - sec.addr]
    if addr % 4 == 0 and len(chunk) % 4 == 0 and chunk:
        words = struct.unpack(f"<{len(chunk) // 4}I", chunk)
        body = "    .word " + ", ".join(f"{w:#010x}" for w in words)
    else:
        body = "    .byte " + ", ".join(f"{b:#04x}" for b in chunk)
    out.append(f"{body:<62}  # {addr:08x} |{_printable(chunk)}|")
    return end


# ---- entry point ----------------------------------------------------------------------

def disassemble_file(path: Path, config: OxCoreConfig, reassemblable: bool = False,
                     isa: Isa | None = None) -> str:
    """The listing (or, with `reassemblable`, assembly source) of an ELF or flat .bin,
    decoded with `isa` (default: the one the configuration selects)."""
    image = load_image(Path(path), config)
    image.isa = isa if isa is not None else isa_for(config)
    return _reassemblable(image) if reassemblable else _listing(image)


__all__ = ["disassemble_file", "instruction_text", "load_image", "Image", "Section", "Sym"]
