"""A core with its RAM, loaded with a program: what the simulator (and later the FPGA)
instantiates. The harness drives `core.env_resp` and watches `core.retire`."""

from amaranth import Elaboratable, Module
from amaranth.lib import wiring

from hw.oxcore.core import Core
from hw.oxcore.faults import Faults
from hw.oxcore.memory import Ram
from oxcore.config import OxCoreConfig
from oxcore.program import Program


class Top(Elaboratable):
    def __init__(self, config: OxCoreConfig, program: Program,
                 faults: Faults = frozenset()) -> None:
        self.config = config
        self.core = Core(config, program.entry, faults)
        self.ram = Ram(config, program)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.core = self.core
        m.submodules.ram = self.ram
        wiring.connect(m, self.core.imem, self.ram.fetch)
        wiring.connect(m, self.core.dmem, self.ram.data)
        return m
