"""A live status line on stderr for long operations (RTL runs, co-simulation, the CXXRTL
build, FPGA place-and-route).

One line, redrawn in place at most `INTERVAL` times a second and only once the operation
has taken `DELAY` seconds (a quick command prints nothing extra), erased when the
operation ends: it never leaves text or a newline behind, so what the command prints
afterwards (its summary, an error) starts on a clean line.

It is shown only when stderr is a terminal (and TERM is not ``dumb``); ``OXCORE_PROGRESS``
overrides that: ``1`` (or ``always``) forces it on, ``0`` (or ``never``) off.

Anything else written to the same terminal while the line is shown would land on it, so
writers go through the status line: `StatusLine.print` for the command's own messages,
`StatusLine.guard` for a stream (the simulated program's stdout and stderr). A guarded
write erases the line first, and while the program has left a line unfinished (no
newline yet) the status line is not drawn, so it never breaks a line in two.

Two ways to drive it:

- `update(text)` from the loop that does the work (an RTL run after each batch): cheap
  when it is not time to redraw (one clock read);
- `ticking(text_function)`: a background thread redraws it while the work blocks (a
  compiler or place-and-route subprocess). Do not tick around a fork: a second thread
  makes forking unsafe.

The clock and the stream are parameters, so tests drive it with a fake terminal and a
fake clock.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import threading
import time
from typing import IO, Callable, Iterator

ENV = "OXCORE_PROGRESS"
DELAY = 2.0  # seconds before the line first appears
INTERVAL = 0.25  # seconds between redraws at least (at most 4 per second)
ERASE = "\r\x1b[K"  # back to column 0, erase to the end of the line

_ON = ("1", "always", "on", "yes", "true")
_OFF = ("0", "never", "off", "no", "false")


def wanted(stream: IO | None) -> bool:
    """Whether a status line belongs on `stream`: a terminal, unless ``OXCORE_PROGRESS``
    says otherwise."""
    setting = os.environ.get(ENV, "").strip().lower()
    if setting in _ON:
        return True
    if setting in _OFF or stream is None:
        return False
    try:
        return bool(stream.isatty()) and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError, OSError):
        return False


def duration(seconds: float) -> str:
    """``7 s``, ``1m05s``, ``2h03m``: elapsed time for a status line."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"


def rate(count: float, seconds: float, unit: str) -> str:
    """``8.4 M cycles/s``, ``312 k instr/s``, ``950 cycles/s``."""
    per_s = count / seconds if seconds > 0 else 0.0
    if per_s >= 1e6:
        return f"{per_s / 1e6:.1f} M {unit}/s"
    if per_s >= 1e3:
        return f"{per_s / 1e3:.0f} k {unit}/s"
    return f"{per_s:.0f} {unit}/s"


class StatusLine:
    """One transient status line on `stream` (default: stderr). See the module text.

    `enabled` overrides `wanted(stream)`; `clock` (monotonic seconds), `delay`,
    `interval` and `width` (columns; default: the terminal's) are for tests.
    """

    def __init__(self, stream: IO | None = None, *, enabled: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, delay: float = DELAY,
                 interval: float = INTERVAL, width: int | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = wanted(self.stream) if enabled is None else enabled
        self.clock = clock
        self.delay, self.interval, self.width = delay, interval, width
        self.started = clock()
        self.shown = False  # the line is on the terminal now
        self.partial = False  # a guarded writer left a line unfinished: do not draw
        self._drawn_at: float | None = None
        self._text = ""
        self._lock = threading.RLock()
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    # ---- what callers use ---------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def update(self, text: str | Callable[[], str]) -> None:
        """Show `text` (or what the function returns) if it is time to redraw."""
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < self.delay:
            return
        if self._drawn_at is not None and now - self._drawn_at < self.interval:
            return
        self._draw(text() if callable(text) else text, now)

    def clear(self) -> None:
        """Erase the line (it comes back at the next update)."""
        with self._lock:
            if self.shown:
                self._write(ERASE)
                self.shown = False
                self._drawn_at = None  # redraw at the next update, not an interval later

    def print(self, message: str, file: IO | None = None) -> None:
        """Print a whole line of the command's own (stderr by default) without breaking
        the status line: erase it, print, and let the next update redraw it."""
        with self._lock:
            self.clear()
            target = file if file is not None else sys.stderr
            print(message, file=target, flush=True)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Erase the line while the block writes to the terminal by other means (a log
        function that prints to stdout); the next update redraws it."""
        with self._lock:
            self.clear()
            try:
                yield
            finally:
                for out in (sys.stdout, sys.stderr):
                    try:
                        out.flush()
                    except (OSError, ValueError, AttributeError):
                        pass

    def guard(self, target: IO[bytes]) -> IO[bytes]:
        """A binary stream writing through to `target` that erases the status line before
        each write (for the simulated program's output)."""
        return _Guarded(self, target)

    def close(self) -> None:
        """Stop ticking and erase the line for good."""
        self._stop_ticker()
        self.clear()
        self.enabled = False

    def __enter__(self) -> "StatusLine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ticking(self, text: Callable[[], str]) -> "StatusLine":
        """Redraw `text()` from a background thread every `interval` until `close` (for
        work that blocks, such as a subprocess). Returns self, for ``with``."""
        if self.enabled and self._ticker is None:
            self._stop.clear()

            def tick() -> None:
                while not self._stop.wait(self.interval):
                    self.update(text)

            self._ticker = threading.Thread(target=tick, name="oxcore-status", daemon=True)
            self._ticker.start()
        return self

    # ---- drawing ---------------------------------------------------------------------------
    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join()
            self._ticker = None

    def _columns(self) -> int:
        if self.width is not None:
            return self.width
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
            columns = 0
        if columns <= 0:  # not a terminal, or one that does not say (a bare pty)
            try:
                columns = int(os.environ.get("COLUMNS", ""))
            except ValueError:
                columns = 80
        return columns if columns > 0 else 80

    def _draw(self, text: str, now: float) -> None:
        with self._lock:
            if self.partial or not self.enabled:
                return
            # Output buffered for the same terminal goes first, then the line over it.
            for out in (sys.stdout, getattr(sys.stdout, "buffer", None)):
                if out is not None and out is not self.stream:
                    try:
                        out.flush()
                    except (OSError, ValueError):
                        pass
            text = re.sub(r"[\r\n\t\x1b]", " ", text)  # one line, whatever it holds
            limit = max(1, self._columns() - 1)  # never wrap: \r could not erase it
            if len(text) > limit:
                text = text[:limit]
            self._write(ERASE + text)
            self.shown = True
            self._drawn_at = now
            self._text = text

    def _write(self, data: str) -> None:
        try:
            self.stream.write(data)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken terminal: give up quietly
            self.enabled = False


class _Guarded(io.RawIOBase):
    """`StatusLine.guard`: erase before writing; remember an unfinished line."""

    def __init__(self, status: StatusLine, target: IO[bytes]) -> None:
        self.status, self.target = status, target
        try:
            self.terminal = bool(target.isatty())
        except (AttributeError, ValueError, OSError):
            self.terminal = False

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        with self.status._lock:
            self.status.clear()
            self.target.write(data)
            self.target.flush()
            if data and self.terminal:
                self.status.partial = not data.endswith(b"\n")
        return len(data)

    def flush(self) -> None:
        self.target.flush()

