"""The environment's syscall ABI, serviced the same way by every simulator.

The calls, their numbers and registers are `oxcore.abi`'s table:

- write(fd, buf, len): a0 = len; -EBADF for an fd other than 1 (stdout) or 2
  (stderr); -EFAULT when the buffer is not inside RAM;
- exit(code): the program ends with its first argument as its exit value;
- any other number is an unknown ecall, a trap.

The interpreter, both RTL harnesses and (in hardware) the FPGA SoC's syscall unit
implement exactly this; docs/memory-map-abi.md is its user-facing description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Callable

from oxcore.abi import EBADF, EFAULT, SYS_EXIT, SYS_WRITE
from oxcore.config import OxCoreConfig

MASK32 = 0xFFFF_FFFF

ReadMemory = Callable[[int, int], bytes]  # (address, length) -> bytes of RAM


@dataclass(frozen=True)
class EcallResult:
    a0: int  # a0 after the call, unsigned 32-bit
    exit_value: int | None = None  # set for exit()
    unknown: bool = False  # the number names no syscall: the ecall traps


class Environment:
    """Where a program's syscalls go: its stdout/stderr, within a configuration's RAM."""

    def __init__(self, config: OxCoreConfig, stdout: BinaryIO, stderr: BinaryIO) -> None:
        self.config = config
        self.streams = {1: stdout, 2: stderr}

    def ecall(self, a0: int, a1: int, a2: int, a7: int, read: ReadMemory) -> EcallResult:
        """Service one ecall: the argument registers and the number register
        (`oxcore.abi.ENV_ARGS`, named here as the core's `env_req` names them)."""
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
