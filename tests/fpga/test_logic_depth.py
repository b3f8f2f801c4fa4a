"""The logic-depth report (`fpga.logic_depth`): on a hand-built netlist its delays are
the model's sums, counted by hand; on a synthesized unit it finds the deeper of two
paths, with its level count and HDL line."""

import json

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from fpga.logic_depth import (DelayModel, cells_by_line, deepest_paths,
                               format_cells_by_line, format_paths, format_widest_nets,
                               widest_nets)
from fpga.tools import FpgaError
from fpga.unit_timing import synthesize_unit

_LUT_PORTS = {"A": "input", "B": "input", "C": "input", "D": "input", "Z": "output"}
_FF_PORTS = {"CLK": "input", "DI": "input", "LSR": "input", "Q": "output"}
_CCU_PORTS = {**{f"{p}{i}": "input" for p in "ABCD" for i in (0, 1)}, "CIN": "input",
              "COUT": "output", "S0": "output", "S1": "output"}


def _cell(kind: str, ports: dict, **connections) -> dict:
    return {"type": kind, "port_directions": ports, "parameters": {}, "attributes": {},
            "connections": {p: connections.get(p, ["0"]) for p in ports}}


def _netlist() -> dict:
    """Registers q1 -> three LUTs -> r1; q2 -> one LUT -> r2; q3 -> a carry chain of three
    cells -> r3 (nets numbered by hand; 2 is the clock)."""
    cells = {
        "q1": _cell("TRELLIS_FF", _FF_PORTS, CLK=[2], DI=[3], Q=[10]),
        "l1": _cell("LUT4", _LUT_PORTS, A=[10], Z=[11]),
        "l2": _cell("LUT4", _LUT_PORTS, A=[11], B=[10], Z=[12]),
        "l3": _cell("LUT4", _LUT_PORTS, C=[12], Z=[13]),
        "r1": _cell("TRELLIS_FF", _FF_PORTS, CLK=[2], DI=[13], Q=[14]),
        "q2": _cell("TRELLIS_FF", _FF_PORTS, CLK=[2], DI=[3], Q=[20]),
        "l4": _cell("LUT4", _LUT_PORTS, A=[20], Z=[21]),
        "r2": _cell("TRELLIS_FF", _FF_PORTS, CLK=[2], DI=[21], Q=[22]),
        "q3": _cell("TRELLIS_FF", _FF_PORTS, CLK=[2], DI=[3], Q=[30]),
        "c1": _cell("CCU2C", _CCU_PORTS, A0=[30], COUT=[31], S0=[35]),
        "c2": _cell("CCU2C", _CCU_PORTS, CIN=[31], COUT=[32]),
        "c3": _cell("CCU2C", _CCU_PORTS, CIN=[32], S1=[33]),
        "r3": _cell("TRELLIS_FF", _FF_PORTS, CLK=[2], DI=[33], Q=[34]),
    }
    names = {"deep_in": 10, "deep_out": 14, "shallow_in": 20, "shallow_out": 22,
             "sum_in": 30, "sum_out": 34}
    netnames = {name: {"bits": [bit], "hide_name": 0,
                       "attributes": {"src": f"/x/unit.py:{bit}"}}
                for name, bit in names.items()}
    netnames["mid"] = {"bits": [12], "hide_name": 0, "attributes": {"src": "/x/unit.py:99"}}
    return {"modules": {"top": {"cells": cells, "netnames": netnames}}}


def test_hand_counted_paths(tmp_path):
    (tmp_path / "top.json").write_text(json.dumps(_netlist()))
    model = DelayModel()
    paths = {p.endpoint: p for p in deepest_paths(tmp_path / "top.json")}
    deep, shallow, carry = paths["deep_out"], paths["shallow_out"], paths["sum_out"]
    # clock-to-q, then a net and a LUT for each of three levels, then the net into r1
    assert deep.delay_ns == 0.52 + 3 * (model.net + model.lut) + model.net
    assert deep.levels == 3 and shallow.levels == 1
    assert shallow.delay_ns == 0.52 + model.net + model.lut + model.net
    # into the chain, along it (no routed net), out of its last cell
    assert carry.delay_ns == (0.52 + model.net + model.carry_in + model.carry_through
                              + model.carry_out + model.net)
    assert carry.levels == 1  # (a carry chain counts once)
    assert [p.endpoint for p in deepest_paths(tmp_path / "top.json")][0] == "deep_out"
    assert [s.net for s in deep.steps][0] == "deep_in"
    assert "/x/unit.py:99" in [source for source, _, _ in deep.runs()]
    text = format_paths(list(paths.values()), detail=1)
    assert "deep_out" in text.splitlines()[1] and "3 levels" in text


def test_cells_by_line_counted_by_hand(tmp_path):
    """Each cell counts for the line of the net it drives; an unnamed net (l1's, the
    chain's carries, l3's, l4's) takes the first line downstream."""
    (tmp_path / "top.json").write_text(json.dumps(_netlist()))
    rows = cells_by_line(tmp_path / "top.json")
    by_line = {line.rsplit(":", 1)[1]: kinds for line, kinds in rows}
    assert by_line == {"34": {"CCU2C": 3, "TRELLIS_FF": 1}, "99": {"LUT4": 2},
                       "14": {"LUT4": 1, "TRELLIS_FF": 1}, "22": {"LUT4": 1, "TRELLIS_FF": 1},
                       "10": {"TRELLIS_FF": 1}, "20": {"TRELLIS_FF": 1},
                       "30": {"TRELLIS_FF": 1}}
    assert [line.rsplit(":", 1)[1] for line, _ in rows][:2] == ["34", "99"]  # largest first
    text = format_cells_by_line(rows, limit=2).splitlines()
    assert text[1].split()[:3] == ["4", "3", "6"] and "(total)" in text[1]
    assert len(text) == 4 and text[2].endswith(":34")


def test_a_combinational_loop_and_a_wrong_netlist(tmp_path):
    """A loop (which synthesis should never leave) is cut, not followed for ever; a
    netlist without the harness's module is a clear error."""
    netlist = _netlist()
    cells = netlist["modules"]["top"]["cells"]
    cells["l1"]["connections"]["B"] = [13]  # l1 <- l3: a loop l1 -> l2 -> l3 -> l1
    (tmp_path / "top.json").write_text(json.dumps(netlist))
    paths = {p.endpoint: p for p in deepest_paths(tmp_path / "top.json")}
    assert paths["deep_out"].levels >= 3 and paths["shallow_out"].levels == 1
    (tmp_path / "other.json").write_text(json.dumps({"modules": {"soc": {}}}))
    with pytest.raises(FpgaError, match="no module 'top'"):
        deepest_paths(tmp_path / "other.json")


class TwoDepths(wiring.Component):
    """Registered: a 64-input XOR (three levels of LUT4 at least) beside a 2-input AND
    (one)."""

    wide: In(64)
    narrow: In(2)
    parity: Out(1)
    both: Out(1)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.d.sync += self.parity.eq(self.wide.xor())
        m.d.sync += self.both.eq(self.narrow.all())
        return m


def test_a_synthesized_unit_ranks_its_deeper_path_first(tmp_path):
    synthesize_unit(TwoDepths(), "two_depths", tmp_path, abc9=False, log=lambda _: None)
    found = deepest_paths(tmp_path / "top.json", limit=100)
    text = format_paths(found)
    paths = {p.endpoint.rpartition(".")[2]: p for p in found}
    parity, both = paths["parity"], paths["both"]
    assert 3 <= parity.levels <= 4, text  # (ceil(log4(64)) = 3; abc may spend one more)
    assert both.levels == 1, text
    assert found[0] is parity
    # both paths start at the harness's input registers
    assert parity.steps[0].kind == "clk-to-q" and parity.steps[0].net.startswith("held")


def test_depth_with_place_only_is_refused(capsys):
    from fpga.cli import main
    assert main(["timing", "--unit", "lane", "--depth", "--place-only"]) != 0
    assert "drop --place-only" in capsys.readouterr().err


def test_widest_nets_counted_by_hand(tmp_path):
    """deep_in reaches two LUT inputs (l1.A, l2.B); every other driven net one; the
    clock and the registers' DI (net 3) have no driving cell and are not listed."""
    (tmp_path / "top.json").write_text(json.dumps(_netlist()))
    rows = widest_nets(tmp_path / "top.json", limit=3)
    assert (rows[0].name, rows[0].loads, rows[0].driver, rows[0].source) == (
        "deep_in", 2, "TRELLIS_FF", "/x/unit.py:10")
    assert [row.loads for row in rows] == [2, 1, 1]
    every = widest_nets(tmp_path / "top.json", limit=100)
    assert len(every) == 10  # nets 10-13, 20, 21, 30-33 (14, 22, 34, 35: read by none)
    text = format_widest_nets(rows)
    assert "deep_in  (/x/unit.py:10)" in text.splitlines()[1]
