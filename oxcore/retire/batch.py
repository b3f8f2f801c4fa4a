"""Retire records in bulk, as numpy columns: what the simulators produce and compare.

A `RecordBatch` holds consecutive records: header columns (order, pc, insn, and the
RTL's retire cycle) and, per effect kind, a table of rows keyed by the order of the
record they belong to. Comparing two batches is a handful of array comparisons; only
at the first difference are `RetireRecord` objects built, for the report.

`PortSpec` describes an RTL commit port (a header plus one slot per effect kind) from
the effect schema; `hw/oxcore/commit.py` turns it into an Amaranth layout and
`batch_from_port` turns the port's sampled columns back into a batch. Engines that
complete out of order report their effects on ports of their own, keyed by order;
`RecordBatch.with_effects` files them under the records they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np

from oxcore.retire.effects import KIND_RANK, Effect, effect_fields
from oxcore.retire.record import RetireRecord, canonical

WIDE = 64  # fields wider than this are (rows, bytes) uint8 arrays, little-endian


@dataclass(frozen=True)
class PortSpec:
    """An RTL commit port: `valid`, the header fields, then one slot per effect kind.

    `slots` are (slot name, effect kind, the kind's port parameters); each slot has a
    `valid` bit and the kind's `port_fields`. Every slot's effect belongs to the record
    named by the header's `order`.
    """

    name: str
    slots: tuple[tuple[str, type, Mapping[str, int]], ...]
    header: tuple[tuple[str, int], ...] = (("order", 64), ("pc", 32), ("insn", 32))

    def fields(self) -> dict[str, object]:
        """Nested field widths: ``{"valid": 1, "order": 64, ..., "x": {"valid": 1, ...}}``."""
        out: dict[str, object] = {"valid": 1, **dict(self.header)}
        for slot, kind, params in self.slots:
            out[slot] = {"valid": 1, **kind.port_fields(**params)}
        return out

    def flat_fields(self) -> dict[str, int]:
        """Dotted names and widths, in layout order (``"x.value": 32``)."""
        flat: dict[str, int] = {}
        for name, width in self.fields().items():
            if isinstance(width, dict):
                flat.update({f"{name}.{sub}": w for sub, w in width.items()})
            else:
                flat[name] = width
        return flat


@dataclass
class EffectColumns:
    """The rows of one effect kind: `order` (the record each belongs to) and a column per
    field (uint64, or (rows, bytes) uint8 for fields wider than 64 bits)."""

    kind: type
    order: np.ndarray
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.order)

    @classmethod
    def empty(cls, kind: type) -> "EffectColumns":
        return cls(kind, np.zeros(0, np.int64),
                   {name: np.zeros(0, np.uint64) for name in effect_fields(kind)})

    @classmethod
    def from_effects(cls, kind: type, rows: Sequence[tuple[int, Effect]]) -> "EffectColumns":
        """From (order, effect) pairs (the slow path: hand-built or single-stepped)."""
        order = np.fromiter((o for o, _ in rows), np.int64, len(rows))
        columns = {name: _column([getattr(e, name) for _, e in rows])
                   for name in effect_fields(kind)}
        return cls(kind, order, columns)

    def effect(self, row: int) -> Effect:
        values = {}
        for name in effect_fields(self.kind):
            column = self.columns[name]
            values[name] = (int.from_bytes(column[row].tobytes(), "little")
                            if column.ndim == 2 else int(column[row]))
        return self.kind(**values)

    def take(self, rows: np.ndarray) -> "EffectColumns":
        return EffectColumns(self.kind, self.order[rows],
                             {name: col[rows] for name, col in self.columns.items()})


def _pylist(column: np.ndarray) -> list[int]:
    """A column as Python ints (wide columns: one int per row, little-endian)."""
    if column.ndim == 2:
        return [int.from_bytes(row.tobytes(), "little") for row in column]
    return column.tolist()


def _column(values: list[int]) -> np.ndarray:
    """A uint64 column, or (rows, bytes) uint8 when a value needs more than 64 bits."""
    width = max((int(v).bit_length() for v in values), default=0)
    if width <= WIDE:
        return np.array([int(v) for v in values], dtype=np.uint64)
    nbytes = (width + 7) // 8
    raw = b"".join(int(v).to_bytes(nbytes, "little") for v in values)
    return np.frombuffer(raw, np.uint8).reshape(len(values), nbytes).copy()


def _pad(column: np.ndarray, width: int) -> np.ndarray:
    if column.ndim == 1:
        column = column.astype("<u8").view(np.uint8).reshape(-1, 8)
    if column.shape[1] < width:
        column = np.pad(column, ((0, 0), (0, width - column.shape[1])))
    return column[:, :width]


def _byte_width(column: np.ndarray) -> int:
    """Bytes per row: a wide column's, or 8 for a uint64 one (as `_pad` sees it)."""
    return column.shape[1] if column.ndim == 2 else 8


def _first_row_difference(a: np.ndarray, b: np.ndarray) -> int | None:
    """First row where two columns of equal length differ, else None."""
    if a.ndim == 2 or b.ndim == 2:
        width = max(_byte_width(a), _byte_width(b))
        unequal = (_pad(a, width) != _pad(b, width)).any(axis=1)
    else:
        unequal = a != b
    hits = np.flatnonzero(unequal)
    return int(hits[0]) if len(hits) else None


@dataclass
class RecordBatch:
    """Consecutive retire records as columns (see the module docstring)."""

    order: np.ndarray  # int64, consecutive
    pc: np.ndarray  # uint64
    insn: np.ndarray  # uint64
    effects: dict[type, EffectColumns] = field(default_factory=dict)
    cycle: np.ndarray | None = None  # the RTL's retire cycle of each record

    def __len__(self) -> int:
        return len(self.order)

    # ---- building ---------------------------------------------------------------------
    @classmethod
    def from_records(cls, records: Sequence[RetireRecord],
                     cycles: Sequence[int | None] | None = None) -> "RecordBatch":
        rows: dict[type, list[tuple[int, Effect]]] = {}
        for record in records:
            for effect in record.effects:
                rows.setdefault(type(effect), []).append((record.order, effect))
        cycle = None
        if cycles is not None and len(cycles) and all(c is not None for c in cycles):
            cycle = np.array(cycles, dtype=np.int64)
        return cls(np.array([r.order for r in records], dtype=np.int64),
                   np.array([r.pc for r in records], dtype=np.uint64),
                   np.array([r.insn for r in records], dtype=np.uint64),
                   {kind: EffectColumns.from_effects(kind, kind_rows)
                    for kind, kind_rows in rows.items()}, cycle)

    @classmethod
    def concat(cls, batches: Sequence["RecordBatch"]) -> "RecordBatch":
        batches = [b for b in batches if len(b)]
        if not batches:
            return cls.empty()
        kinds = {kind for b in batches for kind in b.effects}
        effects = {}
        for kind in kinds:
            parts = [b.effects[kind] for b in batches if kind in b.effects]
            names = parts[0].columns.keys()
            effects[kind] = EffectColumns(kind, np.concatenate([p.order for p in parts]), {
                name: _concat_columns([p.columns[name] for p in parts]) for name in names})
        cycles = [b.cycle for b in batches]
        return cls(np.concatenate([b.order for b in batches]),
                   np.concatenate([b.pc for b in batches]),
                   np.concatenate([b.insn for b in batches]), effects,
                   np.concatenate(cycles) if all(c is not None for c in cycles) else None)

    @classmethod
    def empty(cls) -> "RecordBatch":
        return cls(np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.uint64))

    def compact(self) -> "RecordBatch":
        """The same batch with 32-bit columns where the values fit (half the bytes to
        send to another process; comparisons are by value, whatever the widths)."""
        def narrow(column: np.ndarray) -> np.ndarray:
            if column.ndim == 1 and column.dtype == np.uint64 and \
                    (not len(column) or int(column.max()) <= 0xFFFF_FFFF):
                return column.astype(np.uint32)
            return column
        effects = {kind: EffectColumns(kind, cols.order, {name: narrow(col) for name, col
                                                          in cols.columns.items()})
                   for kind, cols in self.effects.items()}
        return RecordBatch(self.order, narrow(self.pc), narrow(self.insn), effects, self.cycle)

    def with_effects(self, late: EffectColumns) -> "RecordBatch":
        """This batch with effects reported separately (an engine's completion port)
        filed under their records, in record order. Rows for orders outside the batch
        are an error: the caller keeps them for the batch they belong to."""
        if len(late) and (late.order.min() < self.order[0] or late.order.max() > self.order[-1]):
            raise ValueError("completion effects outside the batch's orders")
        current = self.effects.get(late.kind)
        if current is not None and len(current):
            late = EffectColumns(late.kind, np.concatenate([current.order, late.order]), {
                name: _concat_columns([current.columns[name], late.columns[name]])
                for name in current.columns})
        effects = dict(self.effects)
        effects[late.kind] = late.take(np.argsort(late.order, kind="stable"))
        return RecordBatch(self.order, self.pc, self.insn, effects, self.cycle)

    def rows(self, start: int, stop: int) -> "RecordBatch":
        """Records [start, stop) of the batch, with their effects."""
        start, stop = max(start, 0), min(stop, len(self))
        if start == 0 and stop == len(self):
            return self
        if start >= stop:
            return RecordBatch.empty()
        first, last = self.order[start], self.order[stop - 1]
        effects = {kind: cols.take(np.flatnonzero((cols.order >= first) & (cols.order <= last)))
                   for kind, cols in self.effects.items()}
        return RecordBatch(self.order[start:stop], self.pc[start:stop], self.insn[start:stop],
                           effects, None if self.cycle is None else self.cycle[start:stop])

    def head(self, count: int) -> "RecordBatch":
        """The first `count` records."""
        return self.rows(0, count)

    def tail(self, count: int) -> "RecordBatch":
        """The last `count` records."""
        return self.rows(len(self) - count, len(self))

    # ---- reading ---------------------------------------------------------------------
    def record(self, index: int) -> RetireRecord:
        order = int(self.order[index])
        effects: list[Effect] = []
        for kind in sorted(self.effects, key=KIND_RANK.__getitem__):
            cols = self.effects[kind]
            lo, hi = np.searchsorted(cols.order, [order, order + 1])
            effects.extend(cols.effect(row) for row in range(lo, hi))
        return RetireRecord(order, int(self.pc[index]), int(self.insn[index]), tuple(effects))

    def records(self) -> Iterator[RetireRecord]:
        """Every record, in order (columns are read once, as Python lists)."""
        effects: dict[int, list[Effect]] = {}
        for kind in sorted(self.effects, key=KIND_RANK.__getitem__):
            cols = self.effects[kind]
            values = [_pylist(cols.columns[name]) for name in effect_fields(kind)]
            for order, *fields in zip(cols.order.tolist(), *values):
                found = effects.get(order)
                if found is None:
                    effects[order] = [kind(*fields)]
                else:
                    found.append(kind(*fields))
        none: tuple = ()
        for order, pc, insn in zip(self.order.tolist(), self.pc.tolist(), self.insn.tolist()):
            found = effects.get(order)
            yield RetireRecord(order, pc, insn, tuple(found) if found else none)

    def effects_of(self, kind: str | type) -> EffectColumns:
        """The rows of one effect kind (by name, ``"x"``, ``"mem"``, ..., or class): the
        record order of each and a numpy column per field; empty if none occurred."""
        if isinstance(kind, str):
            from oxcore.retire.effects import KIND_BY_NAME
            if kind not in KIND_BY_NAME:
                raise KeyError(f"no effect kind {kind!r} (kinds: {', '.join(KIND_BY_NAME)})")
            kind = KIND_BY_NAME[kind]
        return self.effects.get(kind) or EffectColumns.empty(kind)

    def cycle_of(self, index: int) -> int | None:
        return None if self.cycle is None else int(self.cycle[index])

    # ---- comparing -------------------------------------------------------------------
    def first_difference(self, other: "RecordBatch") -> int | None:
        """Index of the first record in which the two batches differ (a record missing
        from the shorter one counts), or None when they are identical."""
        firsts: list[int] = []
        common = min(len(self), len(other))
        for name in ("order", "pc", "insn"):
            row = _first_row_difference(getattr(self, name)[:common],
                                        getattr(other, name)[:common])
            if row is not None:
                firsts.append(row)
        if len(self) != len(other):
            firsts.append(common)
        base = int(self.order[0]) if len(self) else 0
        for kind in set(self.effects) | set(other.effects):
            mine = self.effects.get(kind) or EffectColumns.empty(kind)
            theirs = other.effects.get(kind) or EffectColumns.empty(kind)
            row = _first_table_difference(mine, theirs)
            if row is not None:
                firsts.append(int(row) - base)
        return min(firsts) if firsts else None


def _first_table_difference(a: EffectColumns, b: EffectColumns) -> int | None:
    """The order of the first record whose rows of this kind differ, else None."""
    common = min(len(a), len(b))
    rows: list[int] = []
    row = _first_row_difference(a.order[:common], b.order[:common])
    if row is not None:
        rows.append(row)
    for name in effect_fields(a.kind):
        col_a, col_b = a.columns.get(name), b.columns.get(name)
        if col_a is None or col_b is None:
            continue
        row = _first_row_difference(col_a[:common], col_b[:common])
        if row is not None:
            rows.append(row)
    if rows:
        row = min(rows)
        return min(int(a.order[row]), int(b.order[row]))
    if len(a) != len(b):
        longer = a if len(a) > len(b) else b
        return int(longer.order[common])
    return None


def _concat_columns(columns: list[np.ndarray]) -> np.ndarray:
    if any(c.ndim == 2 for c in columns):
        width = max(map(_byte_width, columns))
        return np.concatenate([_pad(c, width) for c in columns])
    return np.concatenate(columns)


def batch_from_port(spec: PortSpec, columns: Mapping[str, np.ndarray],
                    params: Mapping[str, Mapping[str, int]] | None = None) -> RecordBatch:
    """A batch from a commit port's sampled columns (dotted names as `flat_fields`;
    only rows whose `valid` is set, as the simulators deliver them), with a `cycle`
    column if present."""
    order = np.asarray(columns["order"]).astype(np.int64)
    effects: dict[type, EffectColumns] = {}
    for slot, kind, slot_params in spec.slots:
        rows = np.flatnonzero(columns[f"{slot}.valid"])
        if not len(rows):
            continue
        values = {}
        for name in effect_fields(kind):
            key = f"{slot}.{name}"
            if key in columns:
                values[name] = np.asarray(columns[key])[rows]
            else:
                constant = kind.constants(**slot_params)[name]
                values[name] = np.full(len(rows), constant, dtype=np.uint64)
        effects[kind] = EffectColumns(kind, order[rows], values)
    cycle = columns.get("cycle")
    return RecordBatch(order, np.asarray(columns["pc"]).astype(np.uint64),
                       np.asarray(columns["insn"]).astype(np.uint64), effects,
                       None if cycle is None else np.asarray(cycle).astype(np.int64))


def record_unpacker(spec: PortSpec, extras: tuple[str, ...] = ()) -> Callable:
    """A decoder of one packed port value into a `RetireRecord` (None if not valid), for
    simulators that sample the port cycle by cycle. With `extras` (header fields beyond
    order, pc and insn, such as ``awaits``), it returns (record, their values) pairs
    instead. A port without pc or insn (a completion port) gives 0 for them."""
    offsets: dict[str, tuple[int, int]] = {}
    offset = 0
    for name, width in spec.flat_fields().items():
        offsets[name] = (offset, (1 << width) - 1)
        offset += width

    def get(raw: int, name: str) -> int:
        if name not in offsets:
            return 0
        lsb, mask = offsets[name]
        return (raw >> lsb) & mask

    slots = [(slot, kind, kind.constants(**params), f"{slot}.valid",
              [(name, f"{slot}.{name}") for name in effect_fields(kind)])
             for slot, kind, params in spec.slots]

    def record(raw: int) -> RetireRecord | None:
        if not raw & 1:
            return None
        effects = []
        for slot, kind, constants, valid, names in slots:
            if get(raw, valid):
                effects.append(kind(**{name: constants[name] if name in constants
                                       else get(raw, key) for name, key in names}))
        return RetireRecord(get(raw, "order"), get(raw, "pc"), get(raw, "insn"),
                            canonical(effects))

    if not extras:
        return record

    def with_extras(raw: int) -> tuple[RetireRecord, dict[str, int]] | None:
        found = record(raw)
        return None if found is None else (found, {name: get(raw, name) for name in extras})
    return with_extras
