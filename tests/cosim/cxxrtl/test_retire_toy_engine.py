"""The retire schema from one toy effect kind defined only here: its commit port is
generated, driven by an Amaranth design, read back by both simulators' decoders,
printed in the trace and compared by the batch comparator, without touching any other
file. (The values the design emits follow a formula computed here independently.)"""


from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import Out
from amaranth.sim import Simulator

from cosim.cxxrtl import layout_fields
from hw.oxcore.commit import commit_layout
from oxcore.retire import (EffectKind, MemAccess, PortSpec, RecordBatch, RetireRecord, XWrite,
                           batch_from_port, canonical, record_unpacker, register_effect_kind)

BASE = 0x8000_0000
COUNT = 40


@dataclass(slots=True)
class AccWrite(EffectKind):
    """A toy engine's 48-bit accumulator write."""

    acc: int
    value: int
    KIND: ClassVar[str] = "acc"

    @staticmethod
    def port_fields() -> dict[str, int]:
        return {"acc": 2, "value": 48}

    def describe(self, isa=None) -> str:
        return f"acc{self.acc} 0x{self.value:012x}"


register_effect_kind(AccWrite)
TOY_PORT = PortSpec("toy", (("acc", AccWrite, {}), ("x", XWrite, {}),
                            ("mem", MemAccess, {"nbytes": 8})))


def expected_record(i: int) -> RetireRecord:
    effects = []
    if i % 2 == 0:
        effects.append(AccWrite(i % 4, (i * 0x1_0000_0001) & (1 << 48) - 1))
    if i % 3 == 0:
        effects.append(XWrite(1 + i % 31, i * 3))
    if i % 5 == 0:
        effects.append(MemAccess(BASE + 8 * i, 8, bool(i % 2), i << 40 | i, 0xF0 if i % 10 else 0xFF))
    return RetireRecord(i, BASE + 4 * i, 0x0B | i << 7, canonical(effects))


class ToyEngine(wiring.Component):
    """Retires record i in cycle i (a counter), effects by the formula above."""

    commit: Out(commit_layout(TOY_PORT))

    def elaborate(self, platform) -> Module:
        m = Module()
        i = Signal(8)
        c = self.commit
        m.d.sync += i.eq(i + 1)
        m.d.comb += [
            c.valid.eq(i < COUNT), c.order.eq(i), c.pc.eq(BASE + 4 * i), c.insn.eq(0x0B | i << 7),
            c.acc.valid.eq(~i[0]), c.acc.acc.eq(i[:2]), c.acc.value.eq(i * 0x1_0000_0001),
            c.x.valid.eq(i % 3 == 0), c.x.reg.eq(1 + i % 31), c.x.value.eq(i * 3),
            c.mem.valid.eq(i % 5 == 0), c.mem.addr.eq(BASE + 8 * i), c.mem.size.eq(8),
            c.mem.write.eq(i[0]), c.mem.data.eq((i << 40) | i),
            c.mem.mask.eq(Mux(i % 10 == 0, 0xFF, 0xF0)),
        ]
        return m


def test_port_layout_comes_from_the_schema() -> None:
    layout = commit_layout(TOY_PORT)
    assert layout.size == sum(TOY_PORT.flat_fields().values())
    assert {name for name, _ in layout} == {"valid", "order", "pc", "insn", "acc", "x", "mem"}


def test_pysim_decoder() -> None:
    dut = ToyEngine()
    unpack = record_unpacker(TOY_PORT)
    got: list[RetireRecord] = []

    async def bench(ctx) -> None:
        for _ in range(COUNT + 3):
            record = unpack(ctx.get(dut.commit.as_value()))
            if record is not None:
                got.append(record)
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == [expected_record(i) for i in range(COUNT)]
    assert "acc2 0x000200000002" in got[2].trace_line()


def test_cxxrtl_decoder(built) -> None:
    model = built(ToyEngine()).instantiate()
    fields = layout_fields("commit", commit_layout(TOY_PORT))
    fmt = model.configure(record=["commit"], valid=("commit", fields["valid"][1]))
    result = model.run(COUNT + 3)
    batch = batch_from_port(TOY_PORT, fmt.decode(result.records, fields))
    expected = RecordBatch.from_records([expected_record(i) for i in range(COUNT)])
    assert list(batch.records()) == list(expected.records())
    assert batch.first_difference(expected) is None
    assert batch.cycle.tolist() == list(range(COUNT))
    # The comparator finds a changed toy effect, and names its field.
    wrong = [expected_record(i) for i in range(COUNT)]
    kept = tuple(e for e in wrong[12].effects if not isinstance(e, AccWrite))
    wrong[12] = RetireRecord(12, wrong[12].pc, wrong[12].insn, canonical(kept + (AccWrite(0, 1),)))
    assert batch.first_difference(RecordBatch.from_records(wrong)) == 12
    assert batch.record(12).diff(wrong[12]) == ["acc.value"]
    assert np.all(batch.effects[AccWrite].order % 2 == 0)
