"""A small writer for ELF32 little-endian executables (ET_EXEC), RISC-V by default.

Input: placed sections and symbols; output: the bytes of a file that ``readelf -a``
and pyelftools read without complaint. Layout of the file:

    ELF header | program headers | segment images | .symtab | .strtab | .shstrtab |
    section header table

Consecutive loaded sections with the same permissions share one PT_LOAD segment
(.text: R X, .rodata: R, .data + .bss: R W), NOBITS sections last in theirs. A
segment's file offset is congruent to its address modulo its alignment, as the ELF
spec requires of loadable segments.

With `ram_end` (what `oxcore asm` writes), the program instead declares all of RAM it
may use: one read-write-execute PT_LOAD segment holding every section, whose zero-filled
tail (p_memsz beyond p_filesz) reaches `ram_end`, page-aligned in the file (p_align
4 KiB), as the linker script of `oxcore cc` does. That is OxCore's memory (one rwx RAM,
zero at reset, the stack at its top), and what a Linux-style loader such as
qemu-riscv32 (user mode) maps; see docs/memory-map-abi.md.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

EM_RISCV = 243
ET_EXEC = 2
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOTE, SHT_NOBITS = 1, 2, 3, 7, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
PT_LOAD = 1
PF_X, PF_W, PF_R = 1, 2, 4
PAGE_SIZE = 0x1000  # segment file offsets are congruent to addresses modulo a page
SHN_ABS = 0xFFF1
BINDINGS = {"local": 0, "global": 1, "weak": 2}
TYPES = {"notype": 0, "object": 1, "func": 2}

_EHDR = struct.Struct("<16sHHIIIIIHHHHHH")
_PHDR = struct.Struct("<IIIIIIII")
_SHDR = struct.Struct("<IIIIIIIIII")
_SYM = struct.Struct("<IIIBBH")


@dataclass(frozen=True)
class ElfSection:
    """A loaded section, already placed at `addr`."""

    name: str
    addr: int
    data: bytes  # empty for NOBITS
    size: int
    align: int
    nobits: bool = False
    writable: bool = False
    executable: bool = False

    @property
    def flags(self) -> int:
        return (SHF_ALLOC | (SHF_WRITE if self.writable else 0)
                | (SHF_EXECINSTR if self.executable else 0))


@dataclass(frozen=True)
class ElfSymbol:
    name: str
    value: int
    size: int = 0
    binding: str = "local"  # local, global, weak
    type: str = "notype"  # notype, object, func
    section: str | None = None  # None: absolute (SHN_ABS)


class _StringTable:
    def __init__(self) -> None:
        self.data = bytearray(b"\0")
        self._offsets: dict[str, int] = {"": 0}

    def add(self, text: str) -> int:
        if text not in self._offsets:
            self._offsets[text] = len(self.data)
            self.data += text.encode("latin-1") + b"\0"
        return self._offsets[text]


def _align(value: int, align: int) -> int:
    return (value + align - 1) // align * align


def _segments(sections: list[ElfSection]) -> list[list[ElfSection]]:
    """Group loaded, non-empty sections into PT_LOAD segments."""
    groups: list[list[ElfSection]] = []
    for sec in sorted((s for s in sections if s.size), key=lambda s: s.addr):
        last = groups[-1][-1] if groups else None
        if (last is not None and (last.writable, last.executable)
                == (sec.writable, sec.executable) and not (last.nobits and not sec.nobits)):
            groups[-1].append(sec)
        else:
            groups.append([sec])
    return groups


def _segment_flags(group: list[ElfSection]) -> int:
    first = group[0]
    return PF_R | (PF_W if first.writable else 0) | (PF_X if first.executable else 0)


def _symtab(symbols: list[ElfSymbol], index: dict[str, int],
            strtab: _StringTable) -> tuple[bytes, int]:
    """Symbol table bytes (locals first, as ELF requires) and the first global's index."""
    ordered = ([s for s in symbols if s.binding == "local"]
               + [s for s in symbols if s.binding != "local"])
    out = bytearray(_SYM.size)  # entry 0: the null symbol
    for sym in ordered:
        info = (BINDINGS[sym.binding] << 4) | TYPES[sym.type]
        shndx = SHN_ABS if sym.section is None else index[sym.section]
        out += _SYM.pack(strtab.add(sym.name), sym.value & 0xFFFFFFFF, sym.size, info, 0,
                         shndx)
    first_global = 1 + sum(1 for s in symbols if s.binding == "local")
    return bytes(out), first_global


def build_executable(sections: list[ElfSection], symbols: list[ElfSymbol], entry: int,
                     machine: int = EM_RISCV, e_flags: int = 0,
                     notes: tuple[tuple[str, bytes], ...] = (),
                     ram_end: int | None = None) -> bytes:
    """The bytes of an ET_EXEC ELF32 little-endian file; `notes` are (section name, note
    bytes) of non-loaded SHT_NOTE sections. With `ram_end`: one RWX segment up to it
    (see the module's docstring)."""
    if ram_end is None:
        groups = _segments(sections)
    else:
        groups = [sorted((s for s in sections if s.size), key=lambda s: s.addr)]
        groups = [g for g in groups if g]
    body = bytearray(_EHDR.size + _PHDR.size * len(groups))
    phdrs = bytearray()
    offsets: dict[str, int] = {}
    for group in groups:
        vaddr = group[0].addr
        align = max(max(s.align for s in group), 4 if ram_end is None else PAGE_SIZE)
        start = len(body) + (vaddr - len(body)) % align
        loaded = [s for s in group if not s.nobits]
        filesz = max((s.addr + s.size for s in loaded), default=vaddr) - vaddr
        memsz = max(s.addr + s.size for s in group) - vaddr
        if ram_end is not None:
            memsz = max(memsz, ram_end - vaddr)
        image = bytearray(filesz)
        for sec in loaded:
            image[sec.addr - vaddr:sec.addr - vaddr + sec.size] = sec.data
        body += bytes(start - len(body)) + image
        for sec in group:
            offsets[sec.name] = start + sec.addr - vaddr
        flags = _segment_flags(group) if ram_end is None else PF_R | PF_W | PF_X
        phdrs += _PHDR.pack(PT_LOAD, start, vaddr, vaddr, filesz, memsz, flags, align)
    body[_EHDR.size:_EHDR.size + len(phdrs)] = phdrs

    shstrtab, strtab = _StringTable(), _StringTable()
    index = {sec.name: i for i, sec in enumerate(sections, start=1)}
    symtab, first_global = _symtab(symbols, index, strtab)
    shdrs = [bytes(_SHDR.size)]
    for sec in sections:
        shdrs.append(_SHDR.pack(shstrtab.add(sec.name),
                                SHT_NOBITS if sec.nobits else SHT_PROGBITS, sec.flags,
                                sec.addr, offsets.get(sec.name, len(body)), sec.size, 0, 0,
                                sec.align, 0))
    for name, data in notes:
        offset = _align(len(body), 4)
        body += bytes(offset - len(body)) + data
        shdrs.append(_SHDR.pack(shstrtab.add(name), SHT_NOTE, 0, 0, offset, len(data), 0, 0,
                                4, 0))
    symtab_index = len(shdrs)
    for name, kind, data, link, info, align, entsize in (
            (".symtab", SHT_SYMTAB, symtab, symtab_index + 1, first_global, 4, _SYM.size),
            (".strtab", SHT_STRTAB, bytes(strtab.data), 0, 0, 1, 0),
            (".shstrtab", SHT_STRTAB, None, 0, 0, 1, 0)):
        if data is None:  # .shstrtab names itself, so add the name before packing
            shstrtab.add(name)
            data = bytes(shstrtab.data)
        offset = _align(len(body), align)
        body += bytes(offset - len(body)) + data
        shdrs.append(_SHDR.pack(shstrtab.add(name), kind, 0, 0, offset, len(data), link,
                                info, align, entsize))
    shoff = _align(len(body), 4)
    body += bytes(shoff - len(body)) + b"".join(shdrs)
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)  # ELFCLASS32, LSB, EV_CURRENT
    body[:_EHDR.size] = _EHDR.pack(ident, ET_EXEC, machine, 1, entry, _EHDR.size, shoff,
                                   e_flags, _EHDR.size, _PHDR.size, len(groups), _SHDR.size,
                                   len(shdrs), len(shdrs) - 1)
    return bytes(body)
