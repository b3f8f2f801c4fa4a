"""Files the user asks for (ELFs, traces, stats), written the way Unix tools write them.

One rule for every output of every command:

- ``-`` is standard output;
- a regular file (or a name that does not exist yet) is replaced atomically: written
  under a temporary name beside it and renamed when complete, so an interrupted run
  never leaves half a file; the new file gets the mode the umask gives (0666 & ~umask;
  0777 & ~umask for an ELF executable, as a linker gives it: Linux, and qemu-riscv32,
  refuse to run a file without execute permission);
- anything else (a symlink, a FIFO, a terminal, ``/dev/stdout``, process substitution)
  is written through, never replaced;
- missing directories are created; an output that is a directory, that would overwrite
  one of the command's inputs, or that cannot be created is refused before any work
  starts (`check_output`), in one line naming the option.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from oxcore.errors import OxCoreError

STDOUT = "-"


def _umask_mode(executable: bool = False) -> int:
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if executable else 0o666) & ~mask


def _through(target: Path) -> bool:
    """Written through rather than replaced: links and anything not a regular file."""
    return target.is_symlink() or (target.exists() and not target.is_file())


def check_output(path: str | Path, option: str, inputs: Iterable[str | Path] = ()) -> None:
    """Refuse an output that cannot or must not be written, before the work starts."""
    if str(path) == STDOUT:
        return
    target = Path(path)
    if target.is_dir():
        raise OxCoreError(f"{option} {path}: is a directory")
    for source in inputs:
        with contextlib.suppress(OSError):
            if target.exists() and os.path.samefile(target, source):
                raise OxCoreError(f"{option} {path}: would overwrite the input {source}")
    if _through(target):
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OxCoreError(f"{option} {path}: cannot create directory {target.parent}: "
                          f"{exc.strerror}") from None
    if not os.access(target.parent, os.W_OK):
        raise OxCoreError(f"{option} {path}: directory {target.parent} is not writable")


@contextlib.contextmanager
def open_output(path: str | Path, binary: bool = False,
                executable: bool = False) -> Iterator[IO]:
    """An output opened for writing under the rules above (`executable`: a program)."""
    if str(path) == STDOUT:
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    target = Path(path)
    mode = "wb" if binary else "w"
    if _through(target):
        with open(target, mode) as handle:
            yield handle
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
        os.chmod(tmp, _umask_mode(executable))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def install_file(made: Path, path: str | Path) -> None:
    """Put a file another tool wrote (`made`, a temporary beside `path`) in place: renamed
    over a regular file, copied into anything else or to standard output."""
    if str(path) == STDOUT:
        with open(made, "rb") as source:
            shutil.copyfileobj(source, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    if _through(target):
        with open(made, "rb") as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink)
        return
    os.replace(made, target)


def write_json(path: str | Path, data: dict[str, Any]) -> None:
    with open_output(path) as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
