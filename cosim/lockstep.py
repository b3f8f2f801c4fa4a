"""Lockstep comparison of the RTL's retire stream against the golden interpreter.

The RTL runs ahead and hands over its records in batches of numpy columns
(`oxcore.retire.RecordBatch`); the interpreter then runs the same number of
instructions, recording columns too, and the two batches are compared with a few array
comparisons. Only at the first difference are records built, for the report. Counter
CSRs (cycle, time, hpmcounter*) measure timing, which the interpreter does not model:
when the interpreter reads one, it takes the value the RTL read at that instruction.
Everything else must be identical.

`run_in_lockstep` drives a simulator and a `Lockstep`; with CXXRTL the RTL runs in a
process (or a thread) of its own, so the two simulators overlap.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import queue
import threading
from dataclasses import dataclass, field

import numpy as np

from oxcore.errors import OxCoreError
from oxcore.isa import DEFAULT_ISA, Isa
from oxcore.retire import RecordBatch, RetireRecord, XWrite
from cosim.iss import Interpreter, Stop

HISTORY = 16
VCD_MARGIN = 64  # cycles of waveform before and after a divergence
OVERLAP_CHUNK = 1 << 16  # RTL cycles per batch when the simulators overlap
MIN_SENT_BATCH = 1 << 14  # records: the RTL process sends no smaller batch but its last


@dataclass
class Divergence:
    """The first point where the RTL and the interpreter disagree."""

    order: int
    cycle: int | None
    expected: RetireRecord | None  # None: the interpreter had stopped
    actual: RetireRecord | None  # None: the RTL had stopped
    fields: list[str]  # labels of what differs (`RetireRecord.diff`)
    history: list[tuple[RetireRecord, int | None]] = field(default_factory=list)
    isa: Isa | None = None  # names instructions and CSRs in the report (default ISA if None)

    def report(self, rerun_command: str | None = None) -> str:
        """The first-divergence report: where, what differs, what came before, and the
        command that dumps the waveform around it."""
        rec = self.actual or self.expected
        assert rec is not None
        isa = self.isa or DEFAULT_ISA
        format_instruction = isa.format_instruction
        cycle = f" (cycle {self.cycle})" if self.cycle is not None else ""
        lines = [f"cosim: MISMATCH at instruction #{self.order}{cycle}",
                 f"  pc 0x{rec.pc:08x}: 0x{rec.insn:08x}  {format_instruction(rec.insn, rec.pc)}"]
        if self.expected is None:
            lines.append("  the interpreter had already stopped; the RTL retired this")
        elif self.actual is None:
            lines.append("  the RTL stopped here; the interpreter retired: "
                         + _describe(self.expected, isa))
        else:
            if self.expected.pc != self.actual.pc or self.expected.insn != self.actual.insn:
                lines.append(f"  interpreter expected pc 0x{self.expected.pc:08x}: "
                             f"{format_instruction(self.expected.insn, self.expected.pc)}")
            lines.append(f"  {'field':<10} {'interpreter (expected)':<24} rtl (actual)")
            for label, expected, actual in self.expected.diff_rows(self.actual):
                lines.append(f"  {label:<10} {_fmt(expected):<24} {_fmt(actual)}")
            lines.append(f"  interpreter: {self.expected.describe_effects(isa) or '(no effect)'}")
            lines.append(f"  rtl:         {self.actual.describe_effects(isa) or '(no effect)'}")
        lines.append(f"  last {len(self.history)} retired instructions (both agree):")
        for past, past_cycle in self.history:
            when = f"cycle {past_cycle:>7}  " if past_cycle is not None else ""
            lines.append(f"    #{past.order:<7} {when}{_describe(past, isa)}")
        if rerun_command:
            lines += ["  waveform around it:", f"    {rerun_command}"]
        return "\n".join(lines)

    def vcd_window(self) -> tuple[int, int] | None:
        if self.cycle is None:
            return None
        return max(0, self.cycle - VCD_MARGIN), self.cycle + VCD_MARGIN


def _fmt(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) and not hasattr(value, "name"):
        return f"0x{value:08x}"
    return str(getattr(value, "name", value)).lower()


def _describe(rec: RetireRecord, isa: Isa) -> str:
    text = f"0x{rec.pc:08x}: {isa.format_instruction(rec.insn, rec.pc):<28}"
    return f"{text} {rec.describe_effects(isa)}".rstrip()


class Lockstep:
    """Feed it the RTL's records, in batches (`check`) or one by one (`retired`), then
    `finish()`; `divergence` says where the two first disagree (None while they agree)."""

    def __init__(self, interp: Interpreter, batch: int = 4096) -> None:
        self.interp = interp
        self.batch = batch  # records queued by `retired` before they are checked
        self.pending: list[RetireRecord] = []
        self.pending_cycles: list[int | None] = []
        self.recent = RecordBatch.empty()  # the last records checked (history)
        self.divergence: Divergence | None = None
        self.iss_stop: Stop | None = None
        self.checked = 0
        self._rtl: RecordBatch | None = None  # the batch being checked
        interp.machine.counter_override = self._rtl_counter_value

    def retired(self, record: RetireRecord, cycle: int | None = None) -> bool:
        """Queue one RTL record; returns False once a divergence is known (stop the RTL)."""
        self.pending.append(record)
        self.pending_cycles.append(cycle)
        if len(self.pending) >= self.batch:
            self._check_pending()
        return self.divergence is None

    def check(self, rtl: RecordBatch) -> bool:
        """Check a batch of RTL records; returns False once a divergence is known."""
        self._check_pending()
        if self.divergence is None and len(rtl):
            self._compare(rtl)
        return self.divergence is None

    def finish(self) -> Divergence | None:
        """Check what is still queued; call when the RTL has stopped."""
        self._check_pending()
        return self.divergence

    def _check_pending(self) -> None:
        if self.pending and self.divergence is None:
            self._compare(RecordBatch.from_records(self.pending, self.pending_cycles))
        self.pending.clear()
        self.pending_cycles.clear()

    def _rtl_counter_value(self, order: int, csr: int) -> int | None:
        writes = self._rtl.effects.get(XWrite) if self._rtl is not None else None
        if writes is None:
            return None
        row = int(np.searchsorted(writes.order, order))
        if row < len(writes) and writes.order[row] == order:
            return int(writes.columns["value"][row])
        return None

    def _iss_can_continue(self) -> bool:
        stop = self.iss_stop
        return stop is None or (stop.exit_value is None and stop.trap is not None
                                and stop.trap.cause.name == "INSTRUCTION_LIMIT")

    def _run_interpreter(self, count: int) -> RecordBatch:
        """The interpreter's next `count` records (fewer if it stops)."""
        if not self._iss_can_continue():
            return RecordBatch.empty()
        batches: list[RecordBatch] = []
        self.iss_stop = self.interp.run(self.interp.machine.instret + count,
                                        on_batch=batches.append)
        return RecordBatch.concat(batches)

    def _compare(self, rtl: RecordBatch) -> None:
        self._rtl = rtl
        try:
            expected = self._run_interpreter(len(rtl))
        finally:
            self._rtl = None
        index = rtl.first_difference(expected)
        if index is None:
            self.checked += len(rtl)
            self.recent = RecordBatch.concat([self.recent, rtl.tail(HISTORY)]).tail(HISTORY)
            return
        actual = rtl.record(index)
        iss = expected.record(index) if index < len(expected) else None
        fields = iss.diff(actual) if iss is not None else ["(interpreter stopped)"]
        history = _history(RecordBatch.concat([self.recent, rtl.head(index)]).tail(HISTORY))
        self.checked += index
        self.divergence = Divergence(actual.order, rtl.cycle_of(index), iss, actual, fields,
                                     history, self.interp.machine.isa)

    def rtl_stopped(self, cycle: int | None = None) -> Divergence | None:
        """The RTL stopped retiring (hang, cycle budget). A divergence unless the
        interpreter had stopped at the same point too."""
        self._check_pending()
        if self.divergence is None and self._iss_can_continue():
            expected = self._run_interpreter(1)
            if len(expected):
                record = expected.record(0)
                self.divergence = Divergence(record.order, cycle, record, None,
                                             ["(rtl stopped)"], _history(self.recent),
                                             self.interp.machine.isa)
        return self.divergence


def _history(batch: RecordBatch) -> list[tuple[RetireRecord, int | None]]:
    """The records both sides agreed on before a divergence, with their RTL cycles."""
    return [(record, batch.cycle_of(i)) for i, record in enumerate(batch.records())]


def run_in_lockstep(sim, lockstep: Lockstep, *, overlap: str = "none", **run_options):
    """Run an RTL simulator with `lockstep` checking every batch it retires; returns the
    simulator's stop.

    `overlap` says how the two simulators share the machine: "none" (one after the other,
    batch by batch), "thread" (the RTL in a thread of its own: it simulates while the
    interpreter checks the previous batch, both still sharing Python's lock for their
    Python parts) or "process" (the RTL in a forked process that sends its batches and
    the program's output through a pipe: nothing shared). See `choose_overlap`.
    """
    if overlap == "none":
        return sim.run(on_batch=lockstep.check, **run_options)
    if overlap == "thread":
        return _run_threaded(sim, lockstep, run_options)
    if overlap == "process":
        return _run_forked(sim, lockstep, run_options)
    raise ValueError(f"unknown overlap {overlap!r}")


def choose_overlap(sim) -> str:
    """The best overlap for `sim`: a process where forking is safe (this process runs a
    single thread, so no lock can be held by a thread the child would not have), else a
    thread; "none" for simulators that hold Python's lock while they simulate."""
    if not sim.concurrent:
        return "none"
    if hasattr(os, "fork") and threading.active_count() == 1:
        return "process"
    return "thread"


def _run_threaded(sim, lockstep: Lockstep, run_options: dict):
    handoff: queue.Queue = queue.Queue(maxsize=4)
    diverged = threading.Event()

    def produce(batch: RecordBatch) -> bool:
        handoff.put(batch)
        return not diverged.is_set()

    def simulate() -> None:
        try:
            handoff.put(("stop", sim.run(on_batch=produce, **run_options)))
        except BaseException as exc:  # handed to the caller's thread
            handoff.put(("error", exc))

    worker = threading.Thread(target=simulate, name="oxcore-rtl", daemon=True)
    worker.start()
    try:
        return _consume(handoff.get, lockstep, diverged, {})
    except BaseException:
        diverged.set()  # the RTL stops at its next batch
        while worker.is_alive():
            try:
                handoff.get(timeout=0.1)
            except queue.Empty:
                pass
        raise
    finally:
        worker.join()


def _consume(receive, lockstep: Lockstep, diverged, streams: dict):
    """Check the RTL side's batches as they come, write the program's output it sends,
    and return its stop (or raise its error). `diverged` tells it to stop early."""
    while True:
        item = receive()
        if isinstance(item, RecordBatch):
            if not diverged.is_set() and not lockstep.check(item):
                diverged.set()
            continue
        kind, value = item
        if kind == "output":
            fd, data = value
            streams[fd].write(data)
        elif kind == "error":
            raise value
        else:
            return value


class _PipeStream(io.RawIOBase):
    """A program's stdout or stderr in the RTL process: sent to the parent, in order
    with the batches, which writes it where the program's output goes."""

    def __init__(self, outbox: queue.Queue, fd: int) -> None:
        self.outbox, self.fd = outbox, fd

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self.outbox.put(("output", (self.fd, bytes(data))))
        return len(data)


def _rtl_process(sim, pipe, diverged, run_options: dict) -> None:
    """The forked RTL side: run, sending batches, output and the stop (or the error).

    A sender thread writes to the pipe, so that the simulation goes on while the parent
    is busy (a pipe holds 64 KiB; a batch is megabytes)."""
    outbox: queue.Queue = queue.Queue(maxsize=8)

    def send_all() -> None:
        while (item := outbox.get()) is not None:
            pipe.send(item)

    sender = threading.Thread(target=send_all, name="oxcore-rtl-sender", daemon=True)
    sender.start()
    environment = sim.environment
    for fd in list(environment.streams):
        environment.streams[fd] = _PipeStream(outbox, fd)
    waiting: list[RecordBatch] = []  # batches end at every ecall: send fewer, larger ones

    def send_waiting() -> None:
        if waiting:
            outbox.put(RecordBatch.concat(waiting).compact())
            waiting.clear()

    def produce(batch: RecordBatch) -> bool:
        waiting.append(batch)
        if sum(map(len, waiting)) >= MIN_SENT_BATCH:
            send_waiting()
        return not diverged.is_set()

    try:
        stop = sim.run(on_batch=produce, **run_options)
        send_waiting()
        outbox.put(("stop", stop))
    except BaseException as exc:  # noqa: BLE001 (handed to the parent, which raises it)
        try:
            pickle.dumps(exc)
        except Exception:  # not picklable: its text is enough
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        outbox.put(("error", exc))
    finally:
        outbox.put(None)
        sender.join()
        pipe.close()


def _run_forked(sim, lockstep: Lockstep, run_options: dict):
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    diverged = context.Event()
    streams = dict(sim.environment.streams)
    child = context.Process(target=_rtl_process, args=(sim, sender, diverged, run_options),
                            name="oxcore-rtl", daemon=True)
    child.start()
    sender.close()
    def receive():
        try:
            return receiver.recv()
        except EOFError:
            raise OxCoreError(f"the RTL simulation process died (exit status "
                              f"{child.join() or child.exitcode})") from None

    try:
        return _consume(receive, lockstep, diverged, streams)
    except BaseException:
        child.terminate()
        raise
    finally:
        receiver.close()
        child.join()
