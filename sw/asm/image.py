"""The assembler's result: placed sections, symbols and entry point (before ELF)."""

from __future__ import annotations

from dataclasses import dataclass

from sw.asm.elf_writer import ElfSection, ElfSymbol, build_executable


@dataclass(frozen=True)
class Image:
    sections: tuple[ElfSection, ...]
    symbols: tuple[ElfSymbol, ...]
    entry: int

    def section(self, name: str) -> ElfSection | None:
        return next((s for s in self.sections if s.name == name), None)

    def symbol(self, name: str) -> ElfSymbol | None:
        return next((s for s in self.symbols if s.name == name), None)

    def elf(self, notes: tuple[tuple[str, bytes], ...] = (),
            ram_end: int | None = None) -> bytes:
        return build_executable(list(self.sections), list(self.symbols), self.entry,
                                notes=notes, ram_end=ram_end)

    def flat(self, base: int) -> bytes:
        """Memory image from `base` to the end of the last initialised section."""
        loaded = [s for s in self.sections if not s.nobits and s.size]
        if not loaded:
            return b""
        end = max(s.addr + s.size for s in loaded)
        out = bytearray(end - base)
        for sec in loaded:
            out[sec.addr - base:sec.addr - base + sec.size] = sec.data
        return bytes(out)
