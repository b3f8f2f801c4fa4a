"""Input sections as pass 1 fills them, and which output section each one goes to.

Like an object file, a source file can use many sections (``.text``, ``.text.main``,
``.rodata.str1.1`` ...). Each is kept as its own input section, created on first use,
and the layout (:mod:`sw.asm.layout`) concatenates them into the four output sections
the way lld's ``*(.text*)`` patterns would. Sections that are not loaded (debug info,
notes, comments) are accepted and discarded so that compiler output assembles as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sw.asm.lexer import Location

TEXT, RODATA, DATA, BSS = ".text", ".rodata", ".data", ".bss"
DISCARD = "<discarded>"
OUTPUT_SECTIONS = (TEXT, RODATA, DATA, BSS)

# (name prefix, output section, rank): rank orders the linker-script patterns within an
# output section, e.g. `.data : { *(.data*) *(.sdata*) }` puts all .data* first.
_PATTERNS = (
    (TEXT, TEXT, 0), (RODATA, RODATA, 0), (".srodata", RODATA, 1), (DATA, DATA, 0),
    (".sdata", DATA, 1), (BSS, BSS, 0), (".sbss", BSS, 1),
)
ORPHAN_RANK = 2  # sections placed by their flags only go last
_NOT_LOADED = (".debug", ".note", ".comment", ".riscv.attributes", ".llvm_addrsig",
               ".stab", ".llvm")
NOP = bytes.fromhex("13000000")  # addi x0, x0, 0
HALF_PAD = bytes.fromhex("0100")  # what LLVM puts in a 2-byte gap in code
INSTRUCTION_ALIGN = 4


def fold_section(name: str, flags: str | None, kind: str | None) -> tuple[str, int] | None:
    """(output section, rank) for input section `name`; None if it cannot be placed."""
    for prefix, output, rank in _PATTERNS:
        if name == prefix or name.startswith(prefix + "."):
            return output, rank
    if name.startswith(_NOT_LOADED):
        return DISCARD, 0
    if flags is None:
        return None
    if "a" not in flags:
        return DISCARD, 0
    if "x" in flags:
        return TEXT, ORPHAN_RANK
    if "w" in flags:
        return (BSS if kind == "nobits" else DATA), ORPHAN_RANK
    return RODATA, ORPHAN_RANK


@dataclass
class Span:
    """Bytes one statement put into a section (to blame it if RAM overflows)."""

    offset: int
    size: int
    loc: Location
    col: int


@dataclass
class Section:
    """An input section being assembled; those going to .bss only count bytes."""

    name: str
    output: str
    rank: int
    data: bytearray = field(default_factory=bytearray)
    align: int = 1
    nobits_size: int = 0
    spans: list[Span] = field(default_factory=list)

    @property
    def nobits(self) -> bool:
        return self.output == BSS

    @property
    def size(self) -> int:
        return self.nobits_size if self.nobits else len(self.data)

    def append(self, payload: bytes, loc: Location, col: int) -> int:
        """Add bytes (all zero in .bss, checked by the caller); returns their offset."""
        offset = self.size
        if payload:
            self.spans.append(Span(offset, len(payload), loc, col))
        if self.nobits:
            self.nobits_size += len(payload)
        else:
            self.data += payload
        return offset

    def patch(self, offset: int, payload: bytes) -> None:
        if not self.nobits:
            self.data[offset:offset + len(payload)] = payload

    def padding(self, count: int, fill: int | None) -> bytes:
        """Alignment padding: in code, what LLVM's writeNopData emits; else the fill byte.

        In code LLVM 22 writes one zero byte if the count is odd, then ``01 00`` (the
        c.nop encoding, even without the C extension) if two bytes remain, then
        ``nop`` words. Only padding after data in code can leave such remainders; it
        is never executed in a well-formed program.
        """
        if fill is not None or self.output != TEXT:
            return bytes([fill or 0]) * count
        head = bytes(count % 2) + (HALF_PAD if count % 4 in (2, 3) else b"")
        return head + NOP * ((count - len(head)) // 4)
