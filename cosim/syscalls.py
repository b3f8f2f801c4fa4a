"""The environment's syscall ABI, serviced the same way by every simulator.

`ecall` with the number in a7 and arguments in a0..a2:

- a7 = 64  write(fd=a0, buf=a1, len=a2): a0 = len; -EBADF for an fd other than 1
  (stdout) or 2 (stderr); -EFAULT when the buffer is not inside RAM;
- a7 = 93  exit(code=a0): the program ends with a0 as its exit value;
- anything else is an unknown ecall, a trap.

The interpreter, both RTL harnesses and (in hardware) the FPGA SoC's syscall unit
implement exactly this; docs/memory-map-abi.md is its user-facing description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Callable

from oxcore.config import OxCoreConfig

SYS_WRITE = 64
SYS_EXIT = 93
EBADF = 9
EFAULT = 14
MASK32 = 0xFFFF_FFFF

ReadMemory = Callable[[int, int], bytes]  # (address, length) -> bytes of RAM


@dataclass(frozen=True)
class EcallResult:
    a0: int  # a0 after the call, unsigned 32-bit
    exit_value: int | None = None  # set for exit()
    unknown: bool = False  # a7 names no syscall: the ecall traps


class Environment:
    """Where a program's syscalls go: its stdout/stderr, within a configuration's RAM."""

    def __init__(self, config: OxCoreConfig, stdout: BinaryIO, stderr: BinaryIO) -> None:
        self.config = config
        self.streams = {1: stdout, 2: stderr}

    def ecall(self, a0: int, a1: int, a2: int, a7: int, read: ReadMemory) -> EcallResult:
        if a7 == SYS_WRITE:
            return EcallResult(self.write(a0, a1, a2, read) & MASK32)
        if a7 == SYS_EXIT:
            return EcallResult(a0, exit_value=a0)
        return EcallResult(0, unknown=True)

    def write(self, fd: int, buf: int, length: int, read: ReadMemory) -> int:
        stream = self.streams.get(fd)
        if stream is None:
            return -EBADF
        offset = (buf - self.config.mem_base) & MASK32
        if length and offset + length > self.config.mem_size:
            return -EFAULT
        if length:
            stream.write(read(buf, length))
        return length
