"""``oxcore asm``: read a source file, assemble it, write an ELF or a flat image.

The output follows `oxcore.outputs`' rules: a regular file is written under a temporary
name and renamed into place (a failed or interrupted run never leaves a half-written
program behind), ``-`` is standard output, the source is never overwritten.
"""

from __future__ import annotations

from pathlib import Path

from oxcore import linknote
from oxcore.config import OxCoreConfig
from oxcore.errors import OxCoreError
from oxcore.outputs import check_output, open_output
from sw.asm.assembler import assemble_source
from sw.asm.image import Image

FORMATS = ("elf", "bin")


def read_source(src: Path) -> str:
    """Source text; Latin-1 keeps every byte (see :mod:`sw.asm.lexer`)."""
    try:
        return src.read_bytes().decode("latin-1")
    except OSError as exc:
        raise OxCoreError(f"{src}: cannot read: {exc.strerror}") from None


def assemble(src: Path, config: OxCoreConfig) -> Image:
    return assemble_source(read_source(src), str(src), config)


def render(image: Image, fmt: str, config: OxCoreConfig) -> bytes:
    if fmt == "elf":  # recording the configuration it was built for (oxcore.linknote),
        # declaring all of RAM up to its end (the stack's top) as the program's memory
        return image.elf(notes=((linknote.SECTION, linknote.note_bytes(config)),),
                         ram_end=config.mem_end)
    if fmt == "bin":
        return image.flat(config.mem_base)
    raise OxCoreError(f"unknown output format {fmt!r} (use one of {', '.join(FORMATS)})")


def assemble_file(src: Path, out: Path, fmt: str, config: OxCoreConfig) -> None:
    """Assemble `src` into `out` as an ELF executable or a flat binary (`fmt`)."""
    check_output(out, "-o", inputs=[src])
    image = assemble(src, config)
    if not any(section.size for section in image.sections):
        # Nothing to load: every other command would refuse the file it makes.
        raise OxCoreError(f"{src}: no instructions or data to assemble")
    data = render(image, fmt, config)
    try:
        with open_output(out, binary=True, executable=fmt == "elf") as handle:
            handle.write(data)
    except OSError as exc:
        raise OxCoreError(f"{out}: cannot write: {exc.strerror}") from None
