"""Retire records whose effects arrive later: an engine instruction retires from the
scalar pipeline (its record says `awaits`) and its engine reports the scalar register
it writes afterwards, on the core's completion port, and (an engine with a commit port,
the vector engine) everything else it changes, keyed by the instruction's order.
`Completions` holds records back from the first one still waiting, files each late
effect under its record, and releases records in program order, so that what the
comparator sees is the instruction's whole effect, as the interpreter reports it.

On the way it notes how long each reporting instruction was in its engine (from the
cycle after its record retired, when the engine has it, through the cycle of its last
report beat, its last cycle there): the spans whose union is the time the engine was
busy, the same on every simulator, since all of them file the same beats in the same
cycles.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from oxcore.retire import Effect, RetireRecord, canonical
from oxcore.retire.ports import AWAITS_ENGINE, AWAITS_X

DRAIN_CYCLES = 10_000  # after a trap: at most this long for the engines to finish
MERGE_SPANS = 4096  # an engine's spans are merged when there are this many (or twice
# as many as after the last merge): a long run keeps its busy intervals, not every span


@dataclass
class Completions:
    """Records in, records out in order, each with its late effects (see above).

    A record's `awaits` (`oxcore.retire.ports`) says what it waits for: bit 0 its
    scalar register write (`completed`), bit 1 its engine's report, which may come in
    several beats and ends with one marked `last` (`reported`)."""

    held: deque[tuple[RetireRecord, int, int]] = field(default_factory=deque)
    late: dict[int, list[Effect]] = field(default_factory=dict)
    arrived: dict[int, int] = field(default_factory=dict)  # order -> AWAITS_* bits done
    dispatched: dict[int, int] = field(default_factory=dict)  # order -> retire cycle
    # engine index -> (first, last) cycles of its instructions (in finishing order; merged
    # now and then, `merge_spans`)
    engine_spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    _merged: dict[int, int] = field(default_factory=dict)  # spans after the last merge

    def retired(self, record: RetireRecord, cycle: int,
                awaits: int) -> list[tuple[RetireRecord, int]]:
        """A record from the retire port (retired at `cycle`); returns those released."""
        self.held.append((record, cycle, int(awaits)))
        if awaits & AWAITS_ENGINE:
            self.dispatched[record.order] = cycle
        return self._release()

    def completed(self, completion: RetireRecord) -> list[tuple[RetireRecord, int]]:
        """A completion port record: its effects belong to the record of its order."""
        return self._arrive(completion, AWAITS_X)

    def reported(self, report: RetireRecord, last: bool, cycle: int | None = None,
                 engine: int = 0) -> list[tuple[RetireRecord, int]]:
        """A beat of engine number `engine`'s report (its effects, for the record of
        its order), arriving at `cycle`."""
        if last and cycle is not None:
            start = self.dispatched.pop(report.order, None)
            if start is not None:
                self._note_span(engine, start + 1, cycle)
        return self._arrive(report, AWAITS_ENGINE if last else 0)

    def _note_span(self, engine: int, first: int, last: int) -> None:
        spans = self.engine_spans.setdefault(engine, [])
        spans.append((first, last))
        if len(spans) >= max(MERGE_SPANS, 2 * self._merged.get(engine, 0)):
            spans[:] = merge_spans(spans)
            self._merged[engine] = len(spans)

    def _arrive(self, part: RetireRecord, done: int) -> list[tuple[RetireRecord, int]]:
        self.late.setdefault(part.order, []).extend(part.effects)
        self.arrived[part.order] = self.arrived.get(part.order, 0) | done
        return self._release()

    def drain(self, step: int) -> Iterator[int]:
        """After a trap: how long to keep simulating, in steps of `step` cycles.

        A trap stops the scalar pipeline, not the engines: they finish what they were
        dispatched, so the records before the trap are whole (the first difference is
        then the real one). The caller simulates each step and files what arrives;
        this ends once nothing is held or after `DRAIN_CYCLES`."""
        drained = 0
        while self.held and drained < DRAIN_CYCLES:
            yield step
            drained += step

    def flush(self) -> list[tuple[RetireRecord, int]]:
        """At the end of a run: every held record, as far as it got (a record whose
        completion never came lacks that effect, which the comparator then reports)."""
        released = []
        while self.held:
            released.append(self._take())
        return released

    def _release(self) -> list[tuple[RetireRecord, int]]:
        released = []
        while self.held:
            record, _, awaits = self.held[0]
            if awaits & ~self.arrived.get(record.order, 0):
                break
            released.append(self._take())
        return released

    def _take(self) -> tuple[RetireRecord, int]:
        record, cycle, _ = self.held.popleft()
        effects = self.late.pop(record.order, [])
        self.arrived.pop(record.order, None)
        if effects:
            record.effects = canonical(record.effects + tuple(effects))
        return record, cycle


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Inclusive (first, last) spans as the disjoint ones covering the same cycles."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged
