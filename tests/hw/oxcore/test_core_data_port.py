"""The core's data port stalls on `ready`: behind a higher-priority requester on an
`Arbiter`, random programs still retire exactly the interpreter's records, every lost
cycle is counted in `stall_memory`, and costs exactly one cycle."""

from __future__ import annotations

import io

import pytest
from amaranth import Elaboratable, Module, Signal
from amaranth.lib import wiring

from cosim import rtl_sim
from cosim.rtl_sim import RtlSimulator
from hw.oxcore.arbiter import Arbiter
from hw.oxcore.bus import SCALAR_PORT
from hw.oxcore.core import Core
from hw.oxcore.memory import Ram
from oxcore.config import PRESETS
from tests.hw.oxcore.rtl_helpers import interpreter_records, random_program

CONFIG = PRESETS["small"]


class ContendedTop(Elaboratable):
    """Core + RAM, with a requester ahead of the core that reads on some cycles (a
    7-bit LFSR picks them, about `busy_of_128` in 128)."""

    def __init__(self, config, program, faults=frozenset(), busy_of_128: int = 0):
        self.core = Core(config, program.entry, faults)
        self.ram = Ram(config, program)
        self.busy_of_128 = busy_of_128

    def elaborate(self, platform):
        m = Module()
        m.submodules.core, m.submodules.ram = self.core, self.ram
        m.submodules.arbiter = arbiter = Arbiter(2, SCALAR_PORT, read_only={0})
        wiring.connect(m, self.core.imem, self.ram.fetch)
        wiring.connect(m, self.core.dmem, arbiter.requesters[1])
        wiring.connect(m, arbiter.target, self.ram.data)
        lfsr = Signal(7, init=1)
        m.d.sync += lfsr.eq((lfsr << 1) | (lfsr[6] ^ lfsr[5]))
        m.d.comb += [arbiter.requesters[0].valid.eq(lfsr < self.busy_of_128),
                     arbiter.requesters[0].addr.eq(lfsr)]
        return m


def _run(program, busy_of_128: int):
    records = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rtl_sim, "Top", lambda config, program, faults: ContendedTop(
            config, program, faults, busy_of_128))
        sim = RtlSimulator(CONFIG, program, stdout=io.BytesIO(), stderr=io.BytesIO())
    stop = sim.run(max_cycles=50_000, on_retire=records.append)
    return stop, records


@pytest.mark.parametrize("seed", [1, 2])
def test_lost_arbitration_stalls_and_is_counted(seed):
    program = random_program(CONFIG, seed)
    expected, _, _ = interpreter_records(CONFIG, program)
    free, free_records = _run(program, 0)
    busy, busy_records = _run(program, 48)
    assert free_records == busy_records == expected
    assert free.counters["stall_memory"] == 0
    assert busy.counters["stall_memory"] > 0
    assert busy.cycles - free.cycles == busy.counters["stall_memory"]
