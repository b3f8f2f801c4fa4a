"""Where each section goes in memory.

The rule is exactly what LLVM's lld does with the minimal linker script

    SECTIONS { . = 0x80000000; .text : { *(.text*) } .rodata : { *(.rodata*) }
               .data : { *(.data*) *(.sdata*) } .bss : { *(.bss*) *(.sbss*) } }

applied to the object file LLVM's assembler would make, so that ``oxcore asm`` and
``clang + lld`` give byte-identical programs:

* output sections come in the order .text, .rodata, .data, .bss; .text starts at
  ``config.mem_base``;
* each output section is its input sections (``.text``, ``.text.main`` ...) in the
  order of the script's patterns, then in order of first use in the source (the default
  ``.text`` always first); each input section starts at the next multiple of its own
  alignment, gaps are zero-filled;
* an output section starts at the next multiple of the largest alignment among its
  inputs;
* an input section's alignment is the largest ``.align``/``.p2align``/``.balign`` used
  in it; at least 4 for the default ``.text`` (as LLVM gives it) and for any section
  holding instructions (LLVM would leave those at 1 and could misplace code), else 1:
  like LLVM, ``.word`` does not align itself, so write ``.p2align 2`` before word data
  that follows bytes;
* empty output sections take no space.

The whole program (up to the end of .bss) must fit in RAM; the assembler checks that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

SECTION_ORDER = (".text", ".rodata", ".data", ".bss")


class InputSection(Protocol):
    name: str
    output: str
    rank: int
    align: int

    @property
    def size(self) -> int: ...


@dataclass(frozen=True)
class Placement:
    """An output section: address, size (gaps included) and alignment."""

    name: str
    addr: int
    size: int
    align: int


def align_up(value: int, align: int) -> int:
    return (value + align - 1) // align * align


def place_sections(inputs: Iterable[InputSection],
                   base: int) -> tuple[dict[str, int], dict[str, Placement]]:
    """Address of every input section, and the resulting output sections."""
    inputs = list(inputs)
    bases: dict[str, int] = {}
    outputs: dict[str, Placement] = {}
    cursor = base
    for out in SECTION_ORDER:
        members = sorted((s for s in inputs if s.output == out), key=lambda s: s.rank)
        align = max((s.align for s in members), default=1)
        if not any(s.size for s in members):
            for sec in members:
                bases[sec.name] = cursor
            outputs[out] = Placement(out, cursor, 0, align)
            continue
        start = pos = align_up(cursor, align)
        for sec in members:
            pos = align_up(pos, sec.align)
            bases[sec.name] = pos
            pos += sec.size
        outputs[out] = Placement(out, start, pos - start, align)
        cursor = pos
    return bases, outputs
