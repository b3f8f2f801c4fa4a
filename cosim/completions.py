"""Retire records whose effects arrive later: an engine instruction retires from the
scalar pipeline (its record says `awaits`) and its engine reports the scalar register
it writes afterwards, on the core's completion port, keyed by the instruction's order.
`Completions` holds records back from the first one still waiting, files each late
effect under its record, and releases records in program order, so that what the
comparator sees is the instruction's whole effect, as the interpreter reports it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from oxcore.retire import Effect, RetireRecord, canonical


@dataclass
class Completions:
    """Records in, records out in order, each with its late effects (see above)."""

    held: deque[tuple[RetireRecord, int, bool]] = field(default_factory=deque)
    late: dict[int, list[Effect]] = field(default_factory=dict)

    def retired(self, record: RetireRecord, cycle: int,
                awaits: bool) -> list[tuple[RetireRecord, int]]:
        """A record from the retire port (retired at `cycle`); returns those released."""
        self.held.append((record, cycle, awaits))
        return self._release()

    def completed(self, completion: RetireRecord) -> list[tuple[RetireRecord, int]]:
        """A completion port record: its effects belong to the record of its order."""
        self.late.setdefault(completion.order, []).extend(completion.effects)
        return self._release()

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
            if awaits and record.order not in self.late:
                break
            released.append(self._take())
        return released

    def _take(self) -> tuple[RetireRecord, int]:
        record, cycle, _ = self.held.popleft()
        effects = self.late.pop(record.order, [])
        if effects:
            record.effects = canonical(record.effects + tuple(effects))
        return record, cycle
