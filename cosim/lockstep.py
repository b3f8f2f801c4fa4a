"""Lockstep comparison of the RTL's retire stream against the golden interpreter.

The RTL runs ahead; its records are buffered, then the interpreter runs the same
number of instructions (fast record mode) and the two streams are compared field by
field. Counter CSRs (cycle, time, hpmcounter*) measure timing, which the interpreter
does not model: when the interpreter reads one, it takes the value the RTL read at
that instruction. Everything else must be identical.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from oxcore.isa import format_instruction
from oxcore.retire import RetireRecord
from cosim.iss import Interpreter, Stop

HISTORY = 16
VCD_MARGIN = 64  # cycles of waveform before and after a divergence


@dataclass
class Divergence:
    """The first point where the RTL and the interpreter disagree."""

    order: int
    cycle: int | None
    expected: RetireRecord | None  # None: the interpreter had stopped
    actual: RetireRecord | None  # None: the RTL had stopped
    fields: list[str]
    history: list[tuple[RetireRecord, int | None]] = field(default_factory=list)

    def report(self, rerun_command: str | None = None) -> str:
        """The first-divergence report: where, what differs, what came before, and the
        command that dumps the waveform around it."""
        rec = self.actual or self.expected
        assert rec is not None
        cycle = f" (cycle {self.cycle})" if self.cycle is not None else ""
        lines = [f"cosim: MISMATCH at instruction #{self.order}{cycle}",
                 f"  pc 0x{rec.pc:08x}: 0x{rec.insn:08x}  {format_instruction(rec.insn, rec.pc)}"]
        if self.expected is None:
            lines.append("  the interpreter had already stopped; the RTL retired this")
        elif self.actual is None:
            lines.append("  the RTL stopped here; the interpreter retired: "
                         + _describe(self.expected))
        else:
            if self.expected.pc != self.actual.pc or self.expected.insn != self.actual.insn:
                lines.append(f"  interpreter expected pc 0x{self.expected.pc:08x}: "
                             f"{format_instruction(self.expected.insn, self.expected.pc)}")
            lines.append(f"  {'field':<10} {'interpreter (expected)':<24} rtl (actual)")
            for name in self.fields:
                lines.append(f"  {name:<10} {_fmt(getattr(self.expected, name)):<24} "
                             f"{_fmt(getattr(self.actual, name))}")
        lines.append(f"  last {len(self.history)} retired instructions (both agree):")
        for past, past_cycle in self.history:
            when = f"cycle {past_cycle:>7}  " if past_cycle is not None else ""
            lines.append(f"    #{past.order:<7} {when}{_describe(past)}")
        if rerun_command:
            lines += ["  waveform around it:", f"    {rerun_command}"]
        return "\n".join(lines)

    def vcd_window(self) -> tuple[int, int] | None:
        if self.cycle is None:
            return None
        return max(0, self.cycle - VCD_MARGIN), self.cycle + VCD_MARGIN


def _fmt(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int) and not hasattr(value, "name"):
        return f"0x{value:08x}"
    return str(getattr(value, "name", value)).lower()


def _describe(rec: RetireRecord) -> str:
    text = f"0x{rec.pc:08x}: {format_instruction(rec.insn, rec.pc):<28}"
    return f"{text} {rec.effects()}".rstrip()


class Lockstep:
    """Feed it the RTL's records (`retired`), then `finish()`; `divergence` says where
    the two first disagree (None while they agree)."""

    def __init__(self, interp: Interpreter, batch: int = 4096) -> None:
        self.interp = interp
        self.batch = batch
        self.pending: list[tuple[RetireRecord, int | None]] = []
        self.recent: deque[tuple[RetireRecord, int | None]] = deque(maxlen=HISTORY)
        self.divergence: Divergence | None = None
        self.iss_stop: Stop | None = None
        self.checked = 0
        interp.machine.counter_override = self._rtl_counter_value

    def retired(self, record: RetireRecord, cycle: int | None = None) -> bool:
        """Queue one RTL record; returns False once a divergence is known (stop the RTL)."""
        self.pending.append((record, cycle))
        if len(self.pending) >= self.batch:
            self._check_pending()
        return self.divergence is None

    def finish(self) -> Divergence | None:
        """Check what is still queued; call when the RTL has stopped."""
        self._check_pending()
        return self.divergence

    def _rtl_counter_value(self, order: int, csr: int) -> int | None:
        index = order - self.checked
        if 0 <= index < len(self.pending):
            record = self.pending[index][0]
            if record.rd:
                return record.rd_value
        return None

    def _check_pending(self) -> None:
        if self.divergence is not None or not self.pending:
            return
        expected: list[RetireRecord] = []
        if self.iss_stop is None or self._iss_can_continue():
            self.iss_stop = self.interp.run(self.interp.machine.instret + len(self.pending),
                                            expected.append)
        self._compare(expected, self.pending)
        self.checked += len(self.pending)
        self.pending.clear()

    def _iss_can_continue(self) -> bool:
        stop = self.iss_stop
        return stop is not None and stop.exit_value is None and \
            stop.trap is not None and stop.trap.cause.name == "INSTRUCTION_LIMIT"

    def _compare(self, expected: list[RetireRecord],
                 actual: list[tuple[RetireRecord, int | None]]) -> None:
        actual = list(actual)
        for index, (rtl, cycle) in enumerate(actual):
            iss = expected[index] if index < len(expected) else None
            if iss is not None and rtl == iss:  # the common case: one tuple comparison
                continue
            fields = rtl.diff(iss) if iss is not None else ["(interpreter stopped)"]
            history = (list(self.recent) + actual[max(0, index - HISTORY):index])[-HISTORY:]
            self.divergence = Divergence(rtl.order, cycle, iss, rtl, fields, history)
            return
        self.recent.extend(actual[-HISTORY:])

    def rtl_stopped(self, cycle: int | None = None) -> Divergence | None:
        """The RTL stopped retiring (hang, cycle budget). A divergence unless the
        interpreter had stopped at the same point too."""
        self._check_pending()
        if self.divergence is None and self._iss_can_continue():
            expected: list[RetireRecord] = []
            self.iss_stop = self.interp.run(self.interp.machine.instret + 1, expected.append)
            if expected:
                self.divergence = Divergence(expected[0].order, cycle, expected[0], None,
                                             ["(rtl stopped)"], list(self.recent))
        return self.divergence
