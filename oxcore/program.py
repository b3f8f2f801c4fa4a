"""A loadable program: the segments, entry point and symbols of an ELF (or flat binary).

Every simulator (interpreter, RTL, FPGA image builder) and the disassembler load
programs through `load_program`, so bad files get one clear error everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError as _PyElfError
from elftools.elf.constants import P_FLAGS, SH_FLAGS
from elftools.elf.elffile import ELFFile

from oxcore import linknote

from oxcore.config import OxCoreConfig
from oxcore.errors import ElfError

EM_RISCV = 243
ELF_MAGIC = b"\x7fELF"


@dataclass(frozen=True)
class Segment:
    addr: int
    data: bytes
    mem_size: int  # >= len(data); the rest is zero-filled (.bss)
    executable: bool


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int
    size: int
    kind: str  # "func", "object" or "notype"


@dataclass
class Program:
    path: str
    entry: int
    segments: list[Segment]
    symbols: dict[str, Symbol] = field(default_factory=dict)
    built_for: dict[str, str] | None = None  # its OxCore note (`oxcore.linknote`), if any

    def symbol(self, name: str) -> Symbol:
        try:
            return self.symbols[name]
        except KeyError:
            raise ElfError(f"{self.path}: no symbol {name!r}") from None

    def symbols_by_address(self) -> dict[int, str]:
        """One name per address, preferring functions and non-local names (for listings)."""
        ranked = sorted(self.symbols.values(),
                        key=lambda s: (s.kind != "func", s.name.startswith("."), s.name))
        table: dict[int, str] = {}
        for sym in ranked:
            table.setdefault(sym.addr, sym.name)
        return table


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ElfError(f"{path}: cannot read: {exc.strerror}") from None


def load_program(path: str | Path, config: OxCoreConfig) -> Program:
    """Load an ELF executable, or a flat ``.bin`` image placed at ``config.mem_base``."""
    data = _read(path)
    if data[:4] != ELF_MAGIC:
        if str(path).endswith(".bin"):
            return _flat_program(str(path), data, config)
        raise ElfError(f"{path}: not an ELF file (and not a .bin flat image)")
    program = _elf_program(str(path), data)
    if program.built_for is not None:  # before the fit: the likelier cause, said plainly
        linknote.check(str(path), program.built_for, config)
    _check_fits(program, config)
    return program


def _flat_program(path: str, data: bytes, config: OxCoreConfig) -> Program:
    if len(data) > config.mem_size:
        raise ElfError(f"{path}: image of {len(data)} bytes exceeds RAM "
                       f"({config.mem_size} bytes, config {config.name!r})")
    return Program(path, config.mem_base, [Segment(config.mem_base, data, len(data), True)])


def _elf_program(path: str, data: bytes) -> Program:
    import io
    try:
        elf = ELFFile(io.BytesIO(data))
        if elf.elfclass != 32 or not elf.little_endian:
            raise ElfError(f"{path}: not a 32-bit little-endian ELF "
                           f"(ELF{elf.elfclass}, {'LE' if elf.little_endian else 'BE'})")
        if elf["e_machine"] not in ("EM_RISCV", EM_RISCV):
            raise ElfError(f"{path}: ELF for machine {elf['e_machine']}, not RISC-V")
        if elf["e_type"] != "ET_EXEC":
            raise ElfError(f"{path}: ELF type {elf['e_type']}, expected an executable "
                           "(ET_EXEC); link object files first")
        code = _code_sections(elf)
        segments = []
        for seg in elf.iter_segments():
            if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                continue
            body = seg.data()
            if len(body) != seg["p_filesz"]:
                raise ElfError(f"{path}: truncated segment at {seg['p_vaddr']:#x}")
            whole = Segment(seg["p_paddr"], body, seg["p_memsz"],
                            bool(seg["p_flags"] & P_FLAGS.PF_X))
            segments.extend(_split_at_code(whole, seg["p_vaddr"], code))
        symbols = {}
        symtab = elf.get_section_by_name(".symtab")
        if symtab is not None:
            for sym in symtab.iter_symbols():
                kind = {"STT_FUNC": "func", "STT_OBJECT": "object", "STT_NOTYPE": "notype"}.get(
                    sym["st_info"]["type"])
                if kind and sym.name and sym["st_shndx"] != "SHN_UNDEF":
                    symbols[sym.name] = Symbol(sym.name, sym["st_value"], sym["st_size"], kind)
        note = elf.get_section_by_name(linknote.SECTION)
        built_for = linknote.parse(note.data()) if note is not None else None
        return Program(path, elf["e_entry"], segments, symbols, built_for)
    except ElfError:
        raise
    except (_PyElfError, ValueError, KeyError, IndexError, OSError) as exc:
        raise ElfError(f"{path}: malformed or truncated ELF: {exc}") from None
    except Exception as exc:  # pyelftools raises assorted errors on garbage input
        raise ElfError(f"{path}: malformed or truncated ELF ({type(exc).__name__})") from None


def _code_sections(elf: ELFFile) -> list[tuple[int, int]] | None:
    """(start, end) virtual addresses of the allocated sections that hold instructions
    (SHF_EXECINSTR), or None for an ELF without section headers."""
    if elf.num_sections() == 0:
        return None
    spans = []
    for sec in elf.iter_sections():
        flags = sec["sh_flags"]
        if flags & SH_FLAGS.SHF_ALLOC and flags & SH_FLAGS.SHF_EXECINSTR and sec["sh_size"]:
            spans.append((sec["sh_addr"], sec["sh_addr"] + sec["sh_size"]))
    return spans


def _split_at_code(seg: Segment, vaddr: int, code: list[tuple[int, int]] | None) -> list[Segment]:
    """An executable segment that also holds data (OxCore's ELFs declare all of RAM as one
    read-write-execute segment, see docs/memory-map-abi.md) as up to three segments: the
    data before its code, the code (from its first to its last SHF_EXECINSTR section,
    the only part marked executable) and the data after. Whoever sizes an instruction
    fetch window (fpga/soc.py) then sees where the code is; the bytes are the same."""
    if not seg.executable or code is None:
        return [seg]
    end = vaddr + seg.mem_size
    inside = [(max(lo, vaddr), min(hi, end)) for lo, hi in code if lo < end and hi > vaddr]
    if not inside:
        return [seg]
    lo = min(a for a, _ in inside) - vaddr
    hi = max(b for _, b in inside) - vaddr
    if (lo, hi) == (0, seg.mem_size):
        return [seg]
    pieces = []
    for start, stop, executable in ((0, lo, False), (lo, hi, True), (hi, seg.mem_size, False)):
        if stop > start:
            pieces.append(Segment(seg.addr + start, seg.data[start:stop], stop - start,
                                  executable))
    return pieces


def _check_fits(program: Program, config: OxCoreConfig) -> None:
    if not program.segments:
        raise ElfError(f"{program.path}: no loadable segments")
    for seg in program.segments:
        if seg.addr < config.mem_base or seg.addr + seg.mem_size > config.mem_end:
            raise ElfError(
                f"{program.path}: segment {seg.addr:#010x}..{seg.addr + seg.mem_size:#010x} "
                f"lies outside RAM {config.mem_base:#010x}..{config.mem_end:#010x} "
                f"(config {config.name!r})")
    if not config.mem_base <= program.entry < config.mem_end:
        raise ElfError(f"{program.path}: entry point {program.entry:#010x} outside RAM")
