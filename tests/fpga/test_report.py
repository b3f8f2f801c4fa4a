"""Report parsing against real nextpnr / Yosys output captured from this flow
(tests/fpga/fixtures/README.md says how each file was produced)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpga.report import (clean_clock, parse_log_errors, parse_log_fmax,
                         parse_log_utilisation, parse_report)

FIXTURES = Path(__file__).parent / "fixtures"


def _load(name: str):
    return json.loads((FIXTURES / name).read_text())


def _report(board: str, family: str):
    return parse_report(family, report=_load(f"{board}_soc_lite.report.json"),
                        synth_stat=_load(f"{board}_soc_lite.synth_stat.json"))


def test_ice40_report():
    r = _report("icebreaker", "ice40")
    usage = {u.resource: (u.cell, u.used, u.available, u.source) for u in r.usage}
    assert usage["LC"] == ("ICESTORM_LC", 106, 5280, "pnr")
    # iCE40 LUT/FF split comes from the synthesized netlist.
    assert usage["LUT"] == ("SB_LUT4", 92, 5280, "synth")
    assert usage["FF"] == ("SB_DFF*", 70, 5280, "synth")   # 7+9+29+2+23
    assert usage["DSP"] == ("ICESTORM_DSP", 0, 8, "pnr")
    assert usage["BRAM"] == ("ICESTORM_RAM", 0, 30, "pnr")
    assert usage["SPRAM"] == ("ICESTORM_SPRAM", 0, 4, "pnr")
    assert not r.overused()
    [clock] = r.clocks
    assert clock.clock == "cd_sync.clk"
    assert clock.achieved_mhz == pytest.approx(69.07, abs=0.01)
    assert clock.constraint_mhz == pytest.approx(12.0, abs=1e-3)
    assert clock.met and not r.failing_clocks()
    assert r.failing_clocks(target_mhz=100) == [clock]
    [path] = r.critical_paths                        # only the clock-to-clock path
    assert path.clock == "cd_sync.clk"
    assert path.delay_ns == pytest.approx(1000 / 69.07, abs=0.05)
    assert path.logic_ns + path.routing_ns == pytest.approx(path.delay_ns)
    assert path.start.cell == "soc.beat_SB_DFFSR_Q_15_D_SB_LUT4_O_LC"
    assert path.start.port == "O"
    assert path.start.net == "soc.beat[7]"
    assert path.start.source.endswith("fpga/soc_lite.py:84")
    assert path.end.cell == "soc.beat_SB_DFFSR_Q_15_D_SB_LUT4_O_LC"
    assert path.end.port == "SR"


def test_ecp5_report():
    r = _report("ulx3s", "ecp5")
    usage = {u.resource: (u.cell, u.used, u.available) for u in r.usage}
    assert usage["LUT"] == ("TRELLIS_COMB", 93, 83640)
    assert usage["FF"] == ("TRELLIS_FF", 63, 83640)
    assert usage["DSP"] == ("MULT18X18D", 0, 156)
    assert usage["BRAM"] == ("DP16KD", 0, 208)
    assert usage["IO"] == ("TRELLIS_IO", 12, 365)
    [clock] = r.clocks
    assert clock.clock == "cd_sync.clk"               # "$glbnet$" prefix dropped
    assert clock.achieved_mhz == pytest.approx(236.07, abs=0.01)
    assert clock.constraint_mhz == 25
    [path] = r.critical_paths
    assert path.start.cell == "soc.beat_TRELLIS_FF_Q_13" and path.start.port == "Q"
    assert path.start.source.endswith("fpga/soc_lite.py:84")
    assert path.end.cell == "soc.beat_TRELLIS_FF_Q_9" and path.end.port == "LSR"
    text = r.format(target_mhz=50)
    assert "Fmax 236.07 MHz against 25.00 MHz constraint: PASS; target 50 MHz: PASS" in text
    assert "start: soc.beat_TRELLIS_FF_Q_13.Q (net soc.beat[13]" in text


def test_does_not_fit_from_the_log():
    log = (FIXTURES / "icebreaker_nofit.tim").read_text()
    table = parse_log_utilisation(log)
    assert table["ICESTORM_RAM"] == (42, 30)
    assert table["ICESTORM_LC"] == (272, 5280)
    r = parse_report("ice40", log=log)              # no JSON report: P&R stopped
    [over] = r.overused()
    assert (over.resource, over.cell, over.used, over.available) == \
        ("BRAM", "ICESTORM_RAM", 42, 30)
    assert over.percent == pytest.approx(140.0)
    assert r.errors == ["Unable to place cell 'soc.rom.0.40_RAM', no BELs remaining "
                        "to implement cell type 'ICESTORM_RAM'"]
    assert "DOES NOT FIT" in r.format()


def test_fmax_from_the_log_takes_the_post_route_figure():
    log = (FIXTURES / "icebreaker_soc_lite_fmax.tim").read_text()
    [clock] = parse_log_fmax(log)
    assert clock.achieved_mhz == pytest.approx(69.07)     # not the pre-route 75.05
    assert clock.constraint_mhz == 12.0
    # The JSON report agrees with the log.
    report = _load("icebreaker_soc_lite.report.json")
    assert report["fmax"]["cd_sync.clk"]["achieved"] == pytest.approx(69.07, abs=0.01)


def test_fail_lines_and_errors():
    log = ("Info: Max frequency for clock '$glbnet$clk': 41.50 MHz (FAIL at 50.00 MHz)\n"
           "ERROR: Max frequency for clock '$glbnet$clk': 41.50 MHz (FAIL at 50.00 MHz)\n")
    [clock] = parse_log_fmax(log)
    assert clock.clock == "clk" and not clock.met
    assert parse_log_errors(log) == ["Max frequency for clock '$glbnet$clk': 41.50 MHz "
                                     "(FAIL at 50.00 MHz)"]
    assert clean_clock("$glbnet$cd_sync.clk") == "cd_sync.clk"
