"""The retire record: one retired (or trapping) instruction and its typed effects.

The golden interpreter and the RTL both produce these (in bulk as `RecordBatch`
columns, see `oxcore.retire.batch`); co-simulation compares them and `--trace` prints
them. The scalar views (`rd`, `rd_value`, `mem_addr`, ...) read the first register
write and the first memory access, for scalar-only code and tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from oxcore.isa import Isa, format_instruction, xreg_name
from oxcore.retire.effects import (KIND_RANK, Effect, MemAccess, TrapCause, TrapEffect,
                                   XWrite, effect_fields)

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


def canonical(effects: Iterable[Effect]) -> tuple[Effect, ...]:
    """Effects in record order: by kind (`EFFECT_KINDS`), then as produced."""
    return tuple(sorted(effects, key=lambda effect: KIND_RANK[type(effect)]))


@dataclass(slots=True)
class RetireRecord:
    """One instruction's architectural effects, `effects` in record order."""

    order: int
    pc: int
    insn: int
    effects: tuple[Effect, ...] = ()

    # ---- scalar views ----------------------------------------------------------------
    def _first(self, kind: type) -> Effect | None:
        for effect in self.effects:
            if type(effect) is kind:
                return effect
        return None

    @property
    def trap(self) -> TrapCause | None:
        effect = self._first(TrapEffect)
        return TrapCause(effect.cause) if effect is not None else None

    @property
    def rd(self) -> int:
        """The integer register written (0: none)."""
        effect = self._first(XWrite)
        return effect.reg if effect is not None else 0

    @property
    def rd_value(self) -> int:
        effect = self._first(XWrite)
        return effect.value if effect is not None else 0

    @property
    def mem(self) -> MemAccess | None:
        return self._first(MemAccess)

    @property
    def mem_addr(self) -> int:
        return self.mem.addr if self.mem is not None else 0

    @property
    def mem_size(self) -> int:
        return self.mem.size if self.mem is not None else 0

    @property
    def mem_write(self) -> bool:
        return bool(self.mem.write) if self.mem is not None else False

    @property
    def mem_data(self) -> int:
        return self.mem.data if self.mem is not None else 0

    @property
    def mem_mask(self) -> int:
        """Byte-lane mask on the 32-bit scalar data bus (0 when there is no access)."""
        mem = self.mem
        return ((1 << mem.size) - 1) << (mem.addr & 3) if mem is not None else 0

    # ---- comparison and text ---------------------------------------------------------
    def diff_rows(self, other: "RetireRecord") -> list[tuple[str, object, object]]:
        """Where two records disagree: (label, self's value, other's value) rows. Labels
        name the header field (`pc`, `insn`) or the effect field (`x.value`,
        `mem.addr`, ...); an effect present on one side only is labelled by its kind."""
        rows: list[tuple[str, object, object]] = []
        for name in ("pc", "insn"):
            if getattr(self, name) != getattr(other, name):
                rows.append((name, getattr(self, name), getattr(other, name)))
        mine, theirs = _by_kind(self.effects), _by_kind(other.effects)
        for kind in sorted(set(mine) | set(theirs), key=KIND_RANK.__getitem__):
            a, b = mine.get(kind, []), theirs.get(kind, [])
            for left, right in zip(a, b):
                for name in effect_fields(kind):
                    if getattr(left, name) != getattr(right, name):
                        rows.append((f"{kind.KIND}.{name}", getattr(left, name),
                                     getattr(right, name)))
            for extra in a[len(b):]:
                rows.append((kind.KIND, extra.describe(), None))
            for extra in b[len(a):]:
                rows.append((kind.KIND, None, extra.describe()))
        return rows

    def diff(self, other: "RetireRecord") -> list[str]:
        """Labels of what differs (see `diff_rows`)."""
        return [label for label, _, _ in self.diff_rows(other)]

    def describe_effects(self, isa: Isa | None = None) -> str:
        """The effects alone, e.g. ``x10 0x00000005 mem 0x80001000 0x05``."""
        return " ".join(effect.describe(isa) for effect in self.effects)

    def trace_line(self, isa: Isa | None = None) -> str:
        """Spike commit-log style: ``core   0: 3 0xPC (0xINSN) x5  0xVALUE mem ...``,
        followed by the disassembly after ``;`` (by `isa`, else the default ISA)."""
        head = f"core   0: 3 0x{self.pc:08x} (0x{self.insn:08x})"
        effects = self.describe_effects(isa)
        body = f"{head} {effects}" if effects else head
        text = (isa.format_instruction(self.insn, self.pc) if isa is not None
                else format_instruction(self.insn, self.pc))
        return f"{body:<60} ; {text}"


def _by_kind(effects: Iterable[Effect]) -> dict[type, list[Effect]]:
    groups: dict[type, list[Effect]] = {}
    for effect in effects:
        groups.setdefault(type(effect), []).append(effect)
    return groups


def scalar_record(order: int, pc: int, insn: int, rd: int = 0, rd_value: int = 0,
                  mem: MemAccess | None = None,
                  trap: TrapCause | None = None) -> RetireRecord:
    """A record from the scalar pipeline's view of it (tests and hand-built records)."""
    effects: list[Effect] = []
    if trap is not None:
        effects.append(TrapEffect(TrapCause(trap)))
    if rd:
        effects.append(XWrite(rd, rd_value))
    if mem is not None:
        effects.append(mem)
    return RetireRecord(order, pc, insn, tuple(effects))


def describe_register(number: int) -> str:
    return f"x{number} ({xreg_name(number)})"
