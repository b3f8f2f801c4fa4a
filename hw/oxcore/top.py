"""A core with its RAM, loaded with a program: what the simulator (and later the FPGA)
instantiates. The harness drives `core.env_resp`, watches `core.retire` and reads
`core.counters`.

Without engines (every preset) the RAM is `memory.Ram`: a fetch port and the core's
data port on one array. With engines (`engines`, by default those the configuration
asks for) the data ports go to a `banked_ram.BankedRam` (the core's first, then one
per engine, widths from the configuration) and fetch keeps a `memory.Ram` of its own
whose copy the core's stores also write (the engines' stores are not seen by fetch:
no self-modifying engine code).

An engine's own commit ports (`engine.commit_ports`: ``commit``, or several) are copied
to `engine_commits`, signals named ``engine<i>_<port>`` that compiled simulators take as
toplevel ports (`cosim.rtl_cxxrtl`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from amaranth import Elaboratable, Module, Signal
from amaranth.lib import wiring

from hw.oxcore.core import Core
from hw.oxcore.engine import Engine, commit_ports, engines_for_config
from hw.oxcore.faults import Faults
from hw.oxcore.memory import Ram, image_words
from hw.oxcore.banked_ram import BankedRam
from oxcore.config import OxCoreConfig
from oxcore.program import Program
from oxcore.retire.batch import PortSpec


@dataclass(frozen=True)
class EngineCommit:
    """One engine commit port, as the simulators see it: `signal` (a toplevel copy of
    the engine's `source`), laid out from `spec`."""

    engine: int
    spec: PortSpec
    source: Signal
    signal: Signal


class Top(Elaboratable):
    def __init__(self, config: OxCoreConfig, program: Program,
                 faults: Faults = frozenset(), engines: Sequence[Engine] | None = None) -> None:
        self.config = config
        self.engines = list(engines_for_config(config) if engines is None else engines)
        self.engine_commits = [
            EngineCommit(i, spec, source, Signal(source.shape(), name=f"engine{i}_{name}"))
            for i, engine in enumerate(self.engines)
            for name, spec, source in commit_ports(engine)]
        reports = sum({1 << port.engine for port in self.engine_commits})
        self.core = Core(config, program.entry, faults, engines=len(self.engines),
                         engine_reports=reports)
        self.ram = Ram(config, program)
        self.data_ram = None
        if self.engines:
            self.data_ram = BankedRam(config.mem_size // 4,
                                      [32] + [e.mem.signature.data_width for e in self.engines],
                                      image_words(config, program),
                                      [False] + [e.port_stage for e in self.engines])

    @property
    def probes(self) -> dict[str, list]:
        """What a waveform viewer opens with (`cosim.waves`): the core's groups, then
        each engine's (an engine's ``probes``, filled when it is elaborated)."""
        groups = dict(self.core.probes)
        for engine in self.engines:
            groups.update(getattr(engine, "probes", {}))
        return groups

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.core = self.core
        m.submodules.ram = self.ram
        wiring.connect(m, self.core.imem, self.ram.fetch)
        if not self.engines:
            wiring.connect(m, self.core.dmem, self.ram.data)
            return m
        m.submodules.data_ram = self.data_ram
        wiring.connect(m, self.core.dmem, self.data_ram.port0)
        # The fetch copy follows the core's stores (as the one-array RAM would).
        dmem, copy = self.core.dmem, self.ram.data
        m.d.comb += [copy.valid.eq(dmem.valid & dmem.write & self.data_ram.port0.ready),
                     copy.write.eq(1), copy.addr.eq(dmem.addr), copy.mask.eq(dmem.mask),
                     copy.wdata.eq(dmem.wdata)]
        for i, engine in enumerate(self.engines):
            m.submodules[f"engine{i}"] = engine
            wiring.connect(m, self.core.engine_ports[i], engine.pipe)
            wiring.connect(m, engine.mem, self.data_ram.ports[i + 1])
        for port in self.engine_commits:
            m.d.comb += port.signal.eq(port.source)
        return m
