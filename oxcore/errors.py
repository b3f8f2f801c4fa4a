"""User-facing errors. The CLI prints them as one line and exits non-zero, never a traceback."""

from __future__ import annotations


class OxCoreError(Exception):
    """Base of every error caused by bad input (source, ELF, config, options)."""

    exit_code = 1


class EncodingError(OxCoreError):
    """An operand value does not fit its instruction field."""


class ConfigError(OxCoreError):
    """An OxCoreConfig field has an invalid value; the message names the field."""


class ElfError(OxCoreError):
    """A file is not a loadable 32-bit little-endian RISC-V ELF (or flat binary)."""


class SourceError(OxCoreError):
    """An error at a place in a source file, printed as ``file:line:col: error: msg``."""

    def __init__(self, message: str, path: str = "<input>", line: int = 0, col: int = 0):
        self.message, self.path, self.line, self.col = message, path, line, col
        super().__init__(f"{path}:{line}:{col}: error: {message}")


class CompileError(SourceError):
    """A kernel the compiler rejects (sw/compiler/), at the place in the kernel's source
    that caused it."""


class ToolError(OxCoreError):
    """An external tool (clang from ziglang, Yosys, ...) failed; its output is in the message."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run: where it stopped, and the waveform kept up to there (if any),
    for the one line the command prints."""

    def __init__(self, instret: int, cycle: int | None = None,
                 waveform: str | None = None) -> None:
        super().__init__()
        self.instret, self.cycle, self.waveform = instret, cycle, waveform

    def describe(self) -> str:
        where = f"cycle {self.cycle:,}, " if self.cycle is not None else ""
        text = f"stopped at {where}instruction {self.instret:,}"
        if self.waveform:
            text += f"; the waveform up to there is in {self.waveform}"
        return text
