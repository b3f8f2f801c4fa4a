"""Retire records of the interpreter's fast mode, gathered as columns.

Building a Python object per instruction would cost more than executing it. Instead,
what a record holds is split in two:

- static facts, known when an instruction is translated (its pc and word, the register
  it writes, its memory access's size and direction): one *slot* per translated
  instruction, stored once;
- dynamic values, known only when it runs (the value written, the access's address and
  data), appended to one flat list by the translated code and the memory helpers.

A run appends the slot ids of what it executed. `take` turns slot ids and values into a
`RecordBatch` with a few numpy gathers. The dynamic values of one instruction are, in
order: its memory access's address and data (if it accesses memory), then the value
it writes to its register (if it writes one).
"""

from __future__ import annotations

import numpy as np

from oxcore.retire import Effect, EffectColumns, MemAccess, RecordBatch, RetireRecord, XWrite


class Recorder:
    """Slots, executed slot ids and dynamic values; `take` makes them a batch."""

    def __init__(self, log: list[int], extra: list[tuple[int, Effect]]) -> None:
        self.log = log  # the dynamic values (shared with the machine's memory helpers)
        self.extra = extra  # (order, effect) of other kinds (the machine's extra_effects)
        self.executed: list[int] = []  # slot ids, in execution order
        self.first = 0  # order of the first record not yet taken
        self.trap: RetireRecord | None = None  # a final trapping record
        self._pc: list[int] = []
        self._insn: list[int] = []
        self._xreg: list[int] = []
        self._mem_size: list[int] = []
        self._mem_write: list[int] = []
        self._arrays: dict[str, np.ndarray] = {}

    def slot(self, pc: int, insn: int, xreg: int, mem_size: int, mem_write: bool) -> int:
        """Register a translated instruction; returns its slot id."""
        self._pc.append(pc)
        self._insn.append(insn)
        self._xreg.append(xreg)
        self._mem_size.append(mem_size)
        self._mem_write.append(int(mem_write))
        return len(self._pc) - 1

    def pending(self) -> int:
        return len(self.executed) + (self.trap is not None)

    def _static(self) -> dict[str, np.ndarray]:
        if len(self._arrays.get("pc", ())) != len(self._pc):
            mem_size = np.array(self._mem_size, dtype=np.int64)
            xreg = np.array(self._xreg, dtype=np.int64)
            mem_values = np.where(mem_size > 0, 2, 0)
            self._arrays = {
                "pc": np.array(self._pc, dtype=np.uint64),
                "insn": np.array(self._insn, dtype=np.uint64),
                "xreg": xreg, "mem_size": mem_size,
                "mem_write": np.array(self._mem_write, dtype=np.uint64),
                "values": mem_values + (xreg > 0),  # dynamic values per instruction
                "x_offset": mem_values,  # where its register value sits among them
            }
        return self._arrays

    def take(self) -> RecordBatch:
        """The records gathered since the last `take`, as one batch."""
        count = len(self.executed)
        first = self.first
        static = self._static()
        slots = np.fromiter(self.executed, np.int64, count)
        # (fromiter into int64 is twice as fast as a uint64 conversion; values are < 2**32)
        values = np.fromiter(self.log, np.int64, len(self.log)).view(np.uint64)
        orders = first + np.arange(count, dtype=np.int64)
        per_instruction = static["values"][slots]
        start = np.cumsum(per_instruction) - per_instruction
        effects: dict[type, EffectColumns] = {}
        xreg = static["xreg"][slots]
        rows = np.flatnonzero(xreg)
        if len(rows):
            at = start[rows] + static["x_offset"][slots[rows]]
            effects[XWrite] = EffectColumns(XWrite, orders[rows], {
                "reg": xreg[rows].astype(np.uint64), "value": values[at]})
        size = static["mem_size"][slots]
        rows = np.flatnonzero(size)
        if len(rows):
            at = start[rows]
            sizes = size[rows].astype(np.uint64)
            effects[MemAccess] = EffectColumns(MemAccess, orders[rows], {
                "addr": values[at], "size": sizes,
                "write": static["mem_write"][slots[rows]], "data": values[at + 1],
                "mask": (np.uint64(1) << sizes) - np.uint64(1)})
        batch = RecordBatch(orders, static["pc"][slots], static["insn"][slots], effects)
        for kind, rows in _by_kind(self.extra).items():  # rare: CSRs, wide registers
            batch = batch.with_effects(EffectColumns.from_effects(kind, rows))
        self.extra.clear()
        if self.trap is not None:
            batch = RecordBatch.concat([batch, RecordBatch.from_records([self.trap])])
        self.first += count + (self.trap is not None)
        self.executed.clear()
        del self.log[:]
        self.trap = None
        return batch


def _by_kind(rows: list[tuple[int, Effect]]) -> dict[type, list[tuple[int, Effect]]]:
    groups: dict[type, list[tuple[int, Effect]]] = {}
    for order, effect in rows:
        groups.setdefault(type(effect), []).append((order, effect))
    return groups
