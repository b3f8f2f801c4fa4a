"""The retire record: what one retired instruction did to the architectural state.

The golden interpreter and the RTL (through its retire port) both produce these;
co-simulation compares them field by field, and `--trace` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

from oxcore.isa import format_instruction, xreg_name


class TrapCause(IntEnum):
    """Trap causes: RISC-V mcause codes, plus simulator stops above 64."""

    INSTRUCTION_MISALIGNED = 0
    INSTRUCTION_ACCESS_FAULT = 1
    ILLEGAL_INSTRUCTION = 2
    BREAKPOINT = 3
    LOAD_MISALIGNED = 4
    LOAD_ACCESS_FAULT = 5
    STORE_MISALIGNED = 6
    STORE_ACCESS_FAULT = 7
    ECALL = 11
    UNKNOWN_ECALL = 64  # ecall with an a7 the syscall ABI does not define
    INSTRUCTION_LIMIT = 65  # --max-instructions reached

    @property
    def description(self) -> str:
        return self.name.lower().replace("_", " ")


# `oxcore run` exit status for each stop that is not a normal exit(): 128 + the
# POSIX signal a native program would get, so scripts can tell them apart.
TRAP_EXIT_STATUS: dict[TrapCause, int] = {
    TrapCause.ILLEGAL_INSTRUCTION: 132,  # SIGILL
    TrapCause.BREAKPOINT: 133,  # SIGTRAP
    TrapCause.INSTRUCTION_MISALIGNED: 135,  # SIGBUS
    TrapCause.LOAD_MISALIGNED: 135,
    TrapCause.STORE_MISALIGNED: 135,
    TrapCause.INSTRUCTION_ACCESS_FAULT: 139,  # SIGSEGV
    TrapCause.LOAD_ACCESS_FAULT: 139,
    TrapCause.STORE_ACCESS_FAULT: 139,
    TrapCause.UNKNOWN_ECALL: 159,  # SIGSYS
    TrapCause.INSTRUCTION_LIMIT: 152,  # SIGXCPU
}


@dataclass(slots=True)
class RetireRecord:
    """One retired (or trapping) instruction's architectural effects.

    `rd` is 0 when no register is written (writes to x0 are no effect). For memory
    accesses `mem_size` is 1, 2 or 4, `mem_data` the stored value, or the raw loaded
    bytes before sign extension. A trapping instruction has `trap` set and no effects.
    """

    order: int
    pc: int
    insn: int
    rd: int = 0
    rd_value: int = 0
    mem_addr: int = 0
    mem_size: int = 0
    mem_write: bool = False
    mem_data: int = 0
    trap: TrapCause | None = None

    @property
    def mem_mask(self) -> int:
        """Byte-lane mask on the 32-bit data bus (0 when there is no access)."""
        return ((1 << self.mem_size) - 1) << (self.mem_addr & 3) if self.mem_size else 0

    def diff(self, other: "RetireRecord") -> list[str]:
        """Names of the fields in which two records disagree."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]

    def effects(self) -> str:
        """The effects alone, e.g. ``x10 0x00000005 mem 0x80001000 0x05``."""
        parts = []
        if self.trap is not None:
            parts.append(f"trap {self.trap.description}")
        if self.rd:
            parts.append(f"x{self.rd:<2} 0x{self.rd_value:08x}")
        if self.mem_size:
            parts.append(f"mem 0x{self.mem_addr:08x}")
            if self.mem_write:
                parts.append(f"0x{self.mem_data:0{2 * self.mem_size}x}")
        return " ".join(parts)

    def trace_line(self) -> str:
        """Spike commit-log style: ``core   0: 3 0xPC (0xINSN) x5  0xVALUE mem ...``,
        followed by the disassembly after ``;``."""
        head = f"core   0: 3 0x{self.pc:08x} (0x{self.insn:08x})"
        effects = self.effects()
        body = f"{head} {effects}" if effects else head
        return f"{body:<60} ; {format_instruction(self.insn, self.pc)}"


def describe_register(number: int) -> str:
    return f"x{number} ({xreg_name(number)})"
