"""Hazard unit: forwarding priority, load-use and multiplier interlocks, serialisation."""

import pytest

from hw.oxcore.control import Unit
from hw.oxcore.hazard import Forward, HazardUnit
from tests.hw.oxcore.rtl_helpers import simulate

IDLE = dict(valid=0, writes=0, rd=0, unit=Unit.NONE, serial=0)


def producer(rd: int, unit: Unit = Unit.ALU, serial: int = 0, writes: int = 1) -> dict:
    return dict(valid=1, writes=writes, rd=rd, unit=unit, serial=serial)


def run(mul_latency: int, cases: list[tuple[dict, dict]]) -> None:
    """cases: (inputs, expected outputs); inputs name ports, x/m/w take dicts."""
    dut = HazardUnit(mul_latency)

    async def bench(ctx):
        for inputs, expected in cases:
            settings = dict(d_valid=1, d_reads_rs1=1, d_reads_rs2=1, d_rs1=0, d_rs2=0,
                            d_csr=0, x_rs1=0, x_rs2=0, x=IDLE, m=IDLE, w=IDLE)
            settings.update(inputs)
            for name, value in settings.items():
                port = getattr(dut, name)
                if isinstance(value, dict):
                    for field, v in value.items():
                        ctx.set(getattr(port, field), v)
                else:
                    ctx.set(port, value)
            for name, value in expected.items():
                assert ctx.get(getattr(dut, name)) == value, (inputs, name)

    simulate(dut, bench, clock=False)


def test_forwarding_prefers_the_youngest_producer():
    run(2, [
        (dict(x_rs1=5, x_rs2=6), dict(fwd_rs1=Forward.REG, fwd_rs2=Forward.REG)),
        (dict(x_rs1=5, x_rs2=6, m=producer(5), w=producer(6)),
         dict(fwd_rs1=Forward.MEM, fwd_rs2=Forward.WB)),
        (dict(x_rs1=5, x_rs2=5, m=producer(5), w=producer(5)),
         dict(fwd_rs1=Forward.MEM, fwd_rs2=Forward.MEM)),
        (dict(x_rs1=0, m=producer(0), w=producer(0)), dict(fwd_rs1=Forward.REG)),  # x0
        (dict(x_rs1=5, m=producer(5, writes=0), w=producer(5)), dict(fwd_rs1=Forward.WB)),
        (dict(x_rs1=5, m={**producer(5), "valid": 0}), dict(fwd_rs1=Forward.REG)),
    ])


def test_load_use_interlock():
    run(2, [
        (dict(d_rs1=7, x=producer(7, Unit.LOAD)), dict(stall_load_use=1)),
        (dict(d_rs2=7, x=producer(7, Unit.LOAD)), dict(stall_load_use=1)),
        (dict(d_rs1=7, d_reads_rs1=0, x=producer(7, Unit.LOAD)), dict(stall_load_use=0)),
        (dict(d_rs1=7, x=producer(7, Unit.ALU)), dict(stall_load_use=0)),
        (dict(d_rs1=7, m=producer(7, Unit.LOAD)), dict(stall_load_use=0)),  # WB forwards
        (dict(d_rs1=0, x=producer(0, Unit.LOAD)), dict(stall_load_use=0)),
        (dict(d_valid=0, d_rs1=7, x=producer(7, Unit.LOAD)), dict(stall_load_use=0)),
    ])


@pytest.mark.parametrize("latency,stall", [(1, 0), (2, 1), (3, 1)])
def test_multiplier_interlock(latency, stall):
    run(latency, [
        (dict(d_rs1=9, x=producer(9, Unit.MUL)), dict(stall_mul=stall)),
        (dict(d_rs1=9, m=producer(9, Unit.MUL)), dict(stall_mul=0)),
    ])


def test_serialisation():
    run(2, [
        (dict(x=producer(1, serial=1)), dict(stall_serial=1)),
        (dict(m=producer(1, serial=1)), dict(stall_serial=1)),
        (dict(w=producer(1, serial=1)), dict(stall_serial=1)),
        (dict(d_csr=1, w=producer(3)), dict(stall_serial=1)),  # CSR waits for drain
        (dict(d_csr=1), dict(stall_serial=0)),
        (dict(x=producer(3), m=producer(4)), dict(stall_serial=0)),
    ])


def test_pending_engine_registers_stall_readers_and_writers():
    """With engines: ID waits on a register an engine will write, whether it reads it
    (true dependency) or writes it (output dependency); other registers pass. Without
    engines the check is not there."""
    for engines, stalls in ((True, [1, 1, 1, 0, 0]), (False, [0, 0, 0, 0, 0])):
        dut = HazardUnit(2, engines=engines)
        cases = [dict(d_rs1=7), dict(d_rs2=7), dict(d_writes_rd=1, d_rd=7),
                 dict(d_rs1=8, d_rs2=9, d_writes_rd=1, d_rd=10),
                 dict(d_rs1=7, d_reads_rs1=0, d_reads_rs2=0)]

        async def bench(ctx, dut=dut, cases=cases, stalls=stalls):
            ctx.set(dut.pending, 1 << 7)
            ctx.set(dut.d_valid, 1)
            for case, stall in zip(cases, stalls):
                settings = dict(d_reads_rs1=1, d_reads_rs2=1, d_rs1=0, d_rs2=0,
                                d_writes_rd=0, d_rd=0)
                settings.update(case)
                for name, value in settings.items():
                    ctx.set(getattr(dut, name), value)
                assert ctx.get(dut.stall_engine) == stall, case

        simulate(dut, bench, clock=False)
