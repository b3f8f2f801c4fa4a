"""Files the user asked for (traces, stats, waveforms) are written whole or not at all."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, TextIO


@contextlib.contextmanager
def atomic_text(path: str | Path) -> Iterator[TextIO]:
    """Open a temporary file beside `path`; rename it over `path` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json(path: str | Path, data: dict[str, Any]) -> None:
    with atomic_text(path) as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
