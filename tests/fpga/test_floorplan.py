"""The MAC array's floorplan (`fpga.floorplan`): multipliers found by their operands,
sites worked out by hand from the LFE5U-85F's DSP grid, and a synthesized array placed
with them (nextpnr rejects a BEL name it does not know)."""

import json

import pytest
from amaranth import Module, Signal
from amaranth.lib import wiring

from fpga.boards import SOC_SIGNATURE
from fpga.flow import build
from fpga.floorplan import DSP_GRIDS, ecp5_die, find_mac_array, pin_mac_array, plan_sites
from fpga.unit_timing import synthesize_unit, unit_timing
from hw.oxcore.tensor.mac_array import MacArray

GRID = DSP_GRIDS["85k"]


class ArrayInEngine(wiring.Component):
    """A `MacArray` named as the engine names it (``mac_array``), its ports passed on."""

    def __init__(self, tdim: int) -> None:
        self.array = MacArray(tdim)
        super().__init__(self.array.signature)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.mac_array = self.array
        wiring.connect(m, wiring.flipped(self), self.array)
        return m


def _netlist(tdim: int, swap_ports: bool = False, extra: dict | None = None) -> dict:
    """A netlist with a MULT18X18D per MAC (i, j), its A port on byte i of ``a`` and B
    on byte j of ``b`` (or the reverse), plus an unrelated multiplier."""
    a_bits = list(range(100, 100 + 8 * tdim))
    b_bits = list(range(500, 500 + 8 * tdim))
    cells = {"other_mult": {"type": "MULT18X18D", "connections": {"A0": [7], "B0": [8]}}}
    for i in range(tdim):
        for j in range(tdim):
            a, b = a_bits[8 * i:8 * i + 8], b_bits[8 * j:8 * j + 8]
            if swap_ports:
                a, b = b, a
            ports = {f"A{k}": [bit] for k, bit in enumerate(a)}
            ports.update({f"B{k}": [bit] for k, bit in enumerate(b)})
            ports["A8"] = ["0"]
            cells[f"m{i}{j}"] = {"type": "MULT18X18D", "connections": ports,
                                 "attributes": {}}
    cells.update(extra or {})
    return {"modules": {"top": {"cells": cells, "netnames": {
        "top.unit.mac_array.a": {"bits": a_bits},
        "top.unit.mac_array.b": {"bits": b_bits},
        "top.unit.mac_array_other.a": {"bits": [7]}}}}}


def test_multipliers_are_found_by_their_operand_bytes():
    # (the lone multiplier beside the array is no array: one operand a side)
    found = find_mac_array(_netlist(4))
    assert len(found) == 16 and all(found[(i, j)] == f"m{i}{j}"
                                    for i in range(4) for j in range(4))
    assert find_mac_array(_netlist(4, swap_ports=True))[(1, 0)] == "m10"
    # a 2 x 2 grid is a wide product's partial products (a vector lane's), not an array
    assert find_mac_array(_netlist(2)) == {}


def test_nothing_is_found_when_unsure():
    assert find_mac_array({"modules": {"top": {"cells": {}, "netnames": {}}}}) == {}
    missing = _netlist(4)
    del missing["modules"]["top"]["cells"]["m11"]           # a MAC not in a DSP block
    assert find_mac_array(missing) == {}
    two = _netlist(4)
    cells = two["modules"]["top"]["cells"]
    for name in list(cells):                  # a second array, on other operands
        if name != "other_mult":
            cells["x" + name] = {"type": "MULT18X18D", "connections": {
                port: [bit + 10_000 if isinstance(bit, int) else bit for bit in bits]
                for port, bits in cells[name]["connections"].items()}}
    assert find_mac_array(two) == {}


def test_sites_by_hand():
    # TDIM 2: one DSP row, the nearest the centre (Y 58: 10.5 rows from 47.5, Y 34 13.5),
    # sites 24-27 of 52 (the seventh DSP tile, X 58: X58, X59, X62, X63)
    assert plan_sites(2, GRID) == {(0, 0): "X58/Y58/MULT18_0", (0, 1): "X59/Y58/MULT18_1",
                                   (1, 0): "X62/Y58/MULT18_4", (1, 1): "X63/Y58/MULT18_5"}
    # TDIM 8: 64 > 52 sites, so two rows of four array rows, sites 10-41 of each
    eight = plan_sites(8, GRID)
    assert eight[(0, 0)] == "X26/Y34/MULT18_4"      # site 10: tile X22's third
    assert eight[(3, 7)] == "X97/Y34/MULT18_1"      # site 41: tile X96's second
    assert eight[(4, 0)] == "X26/Y58/MULT18_4"
    assert eight[(5, 2)] == "X49/Y58/MULT18_0"      # site 20: tile X49's first
    assert len(set(eight.values())) == 64
    assert plan_sites(16, GRID) is None              # 256 MACs: more than three rows hold


def test_part_numbers_name_their_die():
    assert ecp5_die("LFE5U-85F-6BG381") == "85k"
    assert ecp5_die("LFE5UM5G-85F-8BG554") == "85k"
    assert ecp5_die("LFE5U-25F-6BG256") is None      # (no grid known: left unpinned)
    assert ecp5_die("iCE40UP5K-SG48") is None


@pytest.mark.slow
def test_a_synthesized_array_is_pinned_and_placed(tmp_path):
    logs = []
    synthesize_unit(ArrayInEngine(4), "mac_array", tmp_path, log=logs.append)
    netlist = json.loads((tmp_path / "top.json").read_text())
    assert sorted(find_mac_array(netlist)) == [(i, j) for i in range(4) for j in range(4)]
    placed = unit_timing(ArrayInEngine(4), "mac_array", tmp_path, place_only=True,
                         log=logs.append)
    # TDIM 4: one DSP row, sites 18-33 of 52 (tile X40's third, X44, to tile X78's
    # second, X79)
    assert "pinned to DSP rows Y58, X44-X79" in "\n".join(logs)
    pinned = json.loads((tmp_path / "floorplanned.json").read_text())
    cells = pinned["modules"]["top"]["cells"]
    assert {cells[n]["attributes"]["BEL"] for n in find_mac_array(pinned).values()} \
        == set(plan_sites(4, GRID).values())
    assert placed.fmax_mhz > 0
    assert "Placed 16 cells based on constraints" in (tmp_path / "nextpnr.log").read_text()


class ArrayOnBoard(wiring.Component):
    """A 4 x 4 MAC array as a board's SoC: a counter's bytes as its operands, its
    result folded onto the LEDs (so that nothing is optimised away)."""

    def __init__(self) -> None:
        super().__init__(SOC_SIGNATURE)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.array = array = ArrayInEngine(4)
        count = Signal(64)
        m.d.sync += count.eq(count + 0x0123_4567_89AB_CDEF)
        m.d.comb += [array.a.eq(count[:32]), array.b.eq(count[32:]), array.step.eq(-1),
                     array.first.eq(count[:4]), array.base.eq(count.replicate(8))]
        folded = array.result[0:8]
        for k in range(8, len(array.result), 8):
            folded = folded ^ array.result[k:k + 8]
        m.d.sync += self.leds.eq(folded)
        return m


def _pinned_bels(netlist_path) -> set:
    netlist = json.loads(netlist_path.read_text())
    cells = netlist["modules"]["top"]["cells"]
    return {cells[name].get("attributes", {}).get("BEL")
            for name in find_mac_array(netlist).values()}


@pytest.mark.slow
def test_the_board_build_pins_the_array(tmp_path):
    logs = []
    netlist = tmp_path / "ulx3s" / "array" / "top.json"
    result = build("ulx3s", ArrayOnBoard(), design="array", build_root=tmp_path,
                   log=logs.append)
    assert "floorplan: MAC array's 16 multipliers pinned to DSP rows Y58, X44-X79" in logs
    assert _pinned_bels(netlist) == set(plan_sites(4, GRID).values())
    assert result.bitstream.exists()
    bare = build("ulx3s", ArrayOnBoard(), design="array", build_root=tmp_path,
                 floorplan=False, log=logs.append)
    assert _pinned_bels(netlist) == {None} and bare.bitstream.exists()


def test_a_netlist_without_an_array_is_copied(tmp_path):
    source = tmp_path / "in.json"
    source.write_text(json.dumps({"modules": {"top": {"cells": {}, "netnames": {}}}}))
    message = pin_mac_array(source, tmp_path / "out.json")
    assert message == "floorplan: no MAC array in DSP blocks to pin"
    assert json.loads((tmp_path / "out.json").read_text()) == json.loads(source.read_text())
    assert "no DSP grid known for '25k'" in pin_mac_array(source, tmp_path / "x.json",
                                                           "25k")
