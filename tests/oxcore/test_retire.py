"""The retire schema: effects, records, batches and commit ports, checked against
hand-built values (independent of the simulators that produce them)."""

from __future__ import annotations

import numpy as np
import pytest

from oxcore.retire import (SCALAR_RETIRE, CsrWrite, EffectColumns, MemAccess, PortSpec,
                           RecordBatch, RetireRecord, TileWrite, TrapCause, TrapEffect, VWrite,
                           XWrite, batch_from_port, canonical, record_unpacker, scalar_record)

BASE = 0x8000_0000


def records() -> list[RetireRecord]:
    """A small stream touching every built-in kind, wide ones included."""
    vdata = int.from_bytes(bytes(range(32)), "little")  # 256 bits: wider than a uint64
    return [
        scalar_record(0, BASE, 0x00500513, 10, 5),
        scalar_record(1, BASE + 4, 0x00a5a023, mem=MemAccess.whole(BASE + 0x100, 4, True, 5)),
        RetireRecord(2, BASE + 8, 0x12345678, (XWrite(11, 7), CsrWrite(0x009, 1))),
        RetireRecord(3, BASE + 12, 0x0200_0007, (VWrite(8, 32, vdata, 0xFFFF_0000),)),
        RetireRecord(4, BASE + 16, 0x0000_000b, (TileWrite(2, 16, 1 << 100),)),
        RetireRecord(5, BASE + 20, 0x0a00_0007, (  # a strided load: one access per element
            MemAccess(BASE + 0x200, 4, False, 0x11, 0xF),
            MemAccess(BASE + 0x210, 4, False, 0x22, 0x3))),
        scalar_record(6, BASE + 24, 0, trap=TrapCause.ILLEGAL_INSTRUCTION),
    ]


def test_records_round_trip_through_columns() -> None:
    batch = RecordBatch.from_records(records())
    assert list(batch.records()) == records()
    assert [batch.record(i) for i in range(len(batch))] == records()
    assert batch.effects[VWrite].columns["data"].shape == (1, 32)  # wide: bytes, not ints


def test_scalar_views() -> None:
    load = scalar_record(9, BASE, 0, 12, 0xFFFF_FF80,
                         mem=MemAccess.whole(BASE + 0x103, 1, False, 0x80))
    assert (load.rd, load.rd_value, load.mem_addr, load.mem_size, load.mem_write,
            load.mem_data, load.mem_mask, load.trap) == \
        (12, 0xFFFF_FF80, BASE + 0x103, 1, False, 0x80, 0b1000, None)
    nothing = RetireRecord(0, BASE, 0)
    assert (nothing.rd, nothing.mem_size, nothing.mem_mask, nothing.trap) == (0, 0, 0, None)


def test_trace_lines() -> None:
    lines = [r.trace_line() for r in records()]
    assert lines[0].startswith("core   0: 3 0x80000000 (0x00500513) x10 0x00000005")
    assert lines[0].endswith("; addi a0, zero, 5")
    assert "mem 0x80000100 0x00000005" in lines[1]
    assert "c9_" in lines[2] and "x11 0x00000007" in lines[2]
    assert "v8  0x1f1e1d1c" in lines[3]
    assert "mem 0x80000210 mask 0x3" in lines[5]  # a partly masked access says so
    assert "trap illegal instruction" in lines[6]


@pytest.mark.parametrize("change, label, index", [
    (lambda rs: rs.__setitem__(2, RetireRecord(2, BASE + 8, 0x12345678,
                                               (XWrite(11, 8), CsrWrite(0x009, 1)))),
     "x.value", 2),
    (lambda rs: rs.__setitem__(1, scalar_record(1, BASE + 4, 0x00a5a023,
                                                mem=MemAccess.whole(BASE + 0x104, 4, True, 5))),
     "mem.addr", 1),
    (lambda rs: rs.__setitem__(2, RetireRecord(2, BASE + 8, 0x12345678, (XWrite(11, 7),))),
     "csr", 2),  # an effect missing on one side
    (lambda rs: rs.__setitem__(5, RetireRecord(5, BASE + 20, 0x0a00_0007, (
        MemAccess(BASE + 0x200, 4, False, 0x11, 0xF),))), "mem", 5),  # one element fewer
    (lambda rs: rs.__setitem__(3, RetireRecord(3, BASE + 12, 0x0200_0007, (
        VWrite(8, 32, int.from_bytes(bytes(range(32)), "little") ^ 1 << 200, 0xFFFF_0000),))),
     "v.data", 3),  # a difference in the high bytes of a wide field
    (lambda rs: rs.__setitem__(4, RetireRecord(4, BASE + 20, 0x0000_000b,
                                               (TileWrite(2, 16, 1 << 100),))), "pc", 4),
])
def test_first_difference_finds_the_record_and_labels_it(change, label: str, index: int) -> None:
    expected = records()
    actual = records()
    change(actual)
    a, b = RecordBatch.from_records(expected), RecordBatch.from_records(actual)
    assert a.first_difference(b) == index and b.first_difference(a) == index
    assert a.first_difference(a) is None
    assert label in expected[index].diff(actual[index])


def test_shorter_batch_differs_at_its_end() -> None:
    full = RecordBatch.from_records(records())
    assert full.first_difference(full.head(4)) == 4
    assert full.head(4).first_difference(full) == 4
    assert list(full.tail(2).records()) == records()[-2:]
    assert list(full.rows(3, 6).records()) == records()[3:6]
    assert len(full.tail(0)) == len(full.head(0)) == 0


def test_completions_filed_by_order() -> None:
    """An engine that completes out of order reports effects keyed by instruction
    order; they join the records they belong to, in record order."""
    scalar_part = [scalar_record(i, BASE + 4 * i, 0x13) for i in range(4)]
    late = EffectColumns.from_effects(VWrite, [(3, VWrite(1, 4, 0xAA, 0xF)),
                                               (1, VWrite(2, 4, 0xBB, 0xF))])
    merged = RecordBatch.from_records(scalar_part).with_effects(late)
    assert [r.effects for r in merged.records()] == [
        (), (VWrite(2, 4, 0xBB, 0xF),), (), (VWrite(1, 4, 0xAA, 0xF),)]
    with pytest.raises(ValueError):
        RecordBatch.from_records(scalar_part[:2]).with_effects(late)


def test_scalar_port_fields() -> None:
    """The scalar retire port: header, then trap, register and memory slots."""
    assert SCALAR_RETIRE.flat_fields() == {
        "valid": 1, "order": 64, "pc": 32, "insn": 32, "awaits": 2,
        "trap.valid": 1, "trap.cause": 7,
        "x.valid": 1, "x.reg": 5, "x.value": 32,
        "mem.valid": 1, "mem.addr": 32, "mem.size": 3, "mem.write": 1, "mem.mask": 4,
        "mem.data": 32}


def pack(spec: PortSpec, values: dict[str, int]) -> int:
    raw, offset = 0, 0
    for name, width in spec.flat_fields().items():
        raw |= values.get(name, 0) << offset
        offset += width
    return raw


def test_port_values_decode_to_records() -> None:
    load = {"valid": 1, "order": 7, "pc": BASE, "insn": 0x00050503, "x.valid": 1, "x.reg": 10,
            "x.value": 0xFFFF_FF80, "mem.valid": 1, "mem.addr": BASE + 0x103, "mem.size": 1,
            "mem.mask": 1, "mem.data": 0x80}
    trap = {"valid": 1, "order": 8, "pc": BASE + 4, "trap.valid": 1, "trap.cause": 5}
    idle = {"valid": 0, "x.valid": 1, "x.reg": 3}  # not valid: ignored whatever it says
    expected = [scalar_record(7, BASE, 0x00050503, 10, 0xFFFF_FF80,
                              mem=MemAccess.whole(BASE + 0x103, 1, False, 0x80)),
                scalar_record(8, BASE + 4, 0, trap=TrapCause.LOAD_ACCESS_FAULT)]
    raws = [pack(SCALAR_RETIRE, v) for v in (load, idle, trap)]
    unpack = record_unpacker(SCALAR_RETIRE)
    assert [r for r in map(unpack, raws) if r is not None] == expected
    with_awaits = record_unpacker(SCALAR_RETIRE, extras=("awaits",))
    assert with_awaits(pack(SCALAR_RETIRE, {**load, "awaits": 3})) == (expected[0], {"awaits": 3})
    assert with_awaits(raws[1]) is None


WIDE_PORT = PortSpec("vector", (("v", VWrite, {"vlenb": 32}), ("mem", MemAccess, {"nbytes": 16})))


def test_wide_port_fields_decode() -> None:
    """A 256-bit register write and a 128-bit access, through the packed form; the size of
    a vector write is the slot's constant, not a port field."""
    data = int.from_bytes(bytes(range(100, 132)), "little")
    raw = pack(WIDE_PORT, {"valid": 1, "order": 3, "pc": BASE, "insn": 0x57, "v.valid": 1,
                           "v.reg": 4, "v.mask": 0x0F0F_0F0F, "v.data": data, "mem.valid": 1,
                           "mem.addr": BASE + 0x40, "mem.size": 16, "mem.mask": 0xFFFF,
                           "mem.data": (1 << 127) | 5})
    expected = RetireRecord(3, BASE, 0x57, (VWrite(4, 32, data, 0x0F0F_0F0F),
                                            MemAccess(BASE + 0x40, 16, False, (1 << 127) | 5,
                                                      0xFFFF)))
    assert record_unpacker(WIDE_PORT)(raw) == expected
    assert list(RecordBatch.from_records([expected]).records()) == [expected]


def test_columns_from_a_port_keep_only_valid_slots() -> None:
    columns = {"order": np.array([0, 1]), "pc": np.array([BASE, BASE + 4]),
               "insn": np.array([1, 2]), "trap.valid": np.array([0, 0]),
               "trap.cause": np.array([0, 0]), "x.valid": np.array([1, 0]),
               "x.reg": np.array([5, 6]), "x.value": np.array([9, 9]),
               "mem.valid": np.array([0, 0])}
    batch = batch_from_port(SCALAR_RETIRE, columns)
    assert list(batch.records()) == [scalar_record(0, BASE, 1, 5, 9),
                                     scalar_record(1, BASE + 4, 2)]


def test_canonical_order() -> None:
    effects = (MemAccess.whole(BASE, 4, False, 1), XWrite(1, 2), TrapEffect(TrapCause.BREAKPOINT))
    assert [type(e) for e in canonical(effects)] == [TrapEffect, XWrite, MemAccess]
