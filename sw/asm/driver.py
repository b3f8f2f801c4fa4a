"""``oxcore asm``: read a source file, assemble it, write an ELF or a flat image.

The output is written to a temporary file next to the target and renamed into place,
so a failed or interrupted run never leaves a half-written program behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from oxcore.config import OxCoreConfig
from oxcore.errors import OxCoreError
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
    if fmt == "elf":
        return image.elf()
    if fmt == "bin":
        return image.flat(config.mem_base)
    raise OxCoreError(f"unknown output format {fmt!r} (use one of {', '.join(FORMATS)})")


def write_atomically(out: Path, data: bytes) -> None:
    """Write `data` to `out` via a temporary file in the same directory and a rename."""
    directory = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OxCoreError(f"{out}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OxCoreError(f"{out}: cannot write: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def assemble_file(src: Path, out: Path, fmt: str, config: OxCoreConfig) -> None:
    """Assemble `src` into `out` as an ELF executable or a flat binary (`fmt`)."""
    image = assemble(src, config)
    if not any(section.size for section in image.sections):
        # Nothing to load: every other command would refuse the file it makes.
        raise OxCoreError(f"{src}: no instructions or data to assemble")
    write_atomically(out, render(image, fmt, config))
