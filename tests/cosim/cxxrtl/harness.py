"""Two harnesses for `designs.ToyCpu`, one per backend, with the same observable outcome.

Both follow the protocol the OxCore pipeline harness uses: every cycle, if the core
requests an environment call, answer it in that same cycle (``env_ack``/``env_ret``);
collect a retire record in each cycle whose ``retire.valid`` is set; stop when ``halt``
is high. The Amaranth-simulator one does it with a per-cycle testbench; the CXXRTL one
runs batches in C++ and only comes back to Python for calls and halts.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
from amaranth.lib import data
from amaranth.sim import Simulator

from cosim.cxxrtl import CxxrtlModel, StopReason, layout_fields

from .designs import Retire, ToyCpu

RETIRE_FIELDS = layout_fields("retire", data.Layout.cast(Retire))
RECORD_COLUMNS = ("cycle",) + tuple(name for name in RETIRE_FIELDS if name != "valid")
OUTPUT_PORTS = ("retire", "env_req", "env_num", "env_a0", "env_a1", "halt", "pc_out")


@dataclass
class Outcome:
    records: list[tuple[int, ...]] = field(default_factory=list)  # RECORD_COLUMNS
    output: bytearray = field(default_factory=bytearray)
    exit_code: int | None = None
    cycles: int = 0
    halted: bool = False
    outputs: list[tuple[int, ...]] = field(default_factory=list)  # OUTPUT_PORTS, per cycle
    memory: list[int] = field(default_factory=list)  # final contents


def service(outcome: Outcome, num: int, a0: int, a1: int, read_bytes) -> int:
    if num == 1:  # write(buf, len)
        outcome.output += read_bytes(a0, a1)
        return a1
    if num == 2:  # exit(code)
        outcome.exit_code = a0
        return 0
    return 0xFFFFFFFF


def run_pysim(dut: ToyCpu, max_cycles: int, *, vcd: str | None = None,
              all_outputs: bool = False) -> Outcome:
    outcome = Outcome()
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    ports = [getattr(dut, name) for name in OUTPUT_PORTS]

    async def testbench(ctx):
        def read_bytes(address: int, length: int) -> bytes:
            words = [ctx.get(dut.mem.data[(address >> 2) + k])
                     for k in range(((address & 3) + length + 3) // 4)]
            raw = b"".join(w.to_bytes(4, "little") for w in words)
            return raw[address & 3:(address & 3) + length]

        cycle = 0
        while cycle < max_cycles:
            if all_outputs:
                outcome.outputs.append(tuple(_raw(ctx.get(p)) for p in ports))
            if ctx.get(dut.halt):
                outcome.halted = True
                if all_outputs:
                    outcome.outputs.pop()
                break
            if ctx.get(dut.env_req):
                ret = service(outcome, ctx.get(dut.env_num), ctx.get(dut.env_a0),
                              ctx.get(dut.env_a1), read_bytes)
                ctx.set(dut.env_ack, 1)
                ctx.set(dut.env_ret, ret)
                if all_outputs:  # inputs changed: resample this cycle's outputs
                    outcome.outputs[-1] = tuple(_raw(ctx.get(p)) for p in ports)
            else:
                ctx.set(dut.env_ack, 0)
            retire = ctx.get(dut.retire)
            if retire.valid:
                outcome.records.append((cycle,) + tuple(
                    _field(retire, name) for name in RECORD_COLUMNS[1:]))
            await ctx.tick()
            cycle += 1
        outcome.cycles = cycle
        outcome.memory = [ctx.get(dut.mem.data[k]) for k in range(dut.depth)]

    sim.add_testbench(testbench)
    with sim.write_vcd(vcd) if vcd else contextlib.nullcontext():
        sim.run()
    return outcome


def _raw(value) -> int:
    if isinstance(value, int):
        return value
    return value.as_value().value  # a data.Const view


def _ints(column: np.ndarray) -> list[int]:
    """A decoded column as Python ints (wide ports decode to rows of bytes)."""
    if column.ndim == 2:
        return [int.from_bytes(row.tobytes(), "little") for row in column]
    return column.tolist()


def _field(view, dotted: str) -> int:
    for part in dotted.split("."):
        view = getattr(view, part)
    return int(view)


def configure(model: CxxrtlModel, *, all_outputs: bool = False,
              buffer_records: int | None = None) -> None:
    if all_outputs:
        model.configure(record=OUTPUT_PORTS, valid=None, attention=["env_req", "halt"],
                        buffer_records=buffer_records)
    else:
        model.configure(record=["retire"], valid=("retire", RETIRE_FIELDS["valid"][1]),
                        attention=["env_req", "halt"], buffer_records=buffer_records)


def run_cxxrtl(model: CxxrtlModel, max_cycles: int, *, all_outputs: bool = False,
               vcd: str | None = None, vcd_window: tuple[int, int | None] = (0, None),
               batch: int = 1 << 20) -> Outcome:
    outcome = Outcome()
    configure(model, all_outputs=all_outputs)
    fmt = model.record_format
    columns = {name: RETIRE_FIELDS[name] for name in RECORD_COLUMNS[1:]}
    if vcd:
        model.vcd_open(vcd, *vcd_window)

    def collect(records: np.ndarray) -> None:
        if not len(records):
            return
        if all_outputs:
            decoded = fmt.decode(records)
            outcome.outputs.extend(zip(*(_ints(decoded[name]) for name in OUTPUT_PORTS)))
        else:
            decoded = fmt.decode(records, columns)
            outcome.records.extend(zip(*(decoded[name].tolist() for name in RECORD_COLUMNS)))

    def read_bytes(address: int, length: int) -> bytes:
        return model.read_bytes("mem", address, length)

    try:
        while model.cycle < max_cycles:
            result = model.run(min(batch, max_cycles - model.cycle))
            collect(result.records)
            if result.reason is not StopReason.ATTENTION:
                continue
            if "halt" in result.attention:
                outcome.halted = True
                break
            ret = service(outcome, model.peek("env_num"), model.peek("env_a0"),
                          model.peek("env_a1"), read_bytes)
            model.poke("env_ack", 1)
            model.poke("env_ret", ret)
            collect(model.run(1).records)  # the answered cycle
            model.poke("env_ack", 0)
    finally:
        if vcd:
            model.vcd_close()
    outcome.cycles = model.cycle
    outcome.memory = model.read_memory("mem").tolist()
    return outcome
