"""One unit between registers (`fpga.unit_timing`): the harness keeps the unit's function
(so synthesis cannot drop any of it), and a placed unit's critical path is read back
with its HDL lines."""

import inspect
import random
from pathlib import Path

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from fpga.tools import FpgaError
from fpga.unit_timing import PathStep, UnitHarness, _by_source, make_unit, unit_timing
from oxcore.config import load_config


class MultiplyAdd(wiring.Component):
    """``y = a * b + c`` (12-bit operands), combinational: a DSP and a carry chain."""

    a: In(12)
    b: In(12)
    c: In(24)
    y: Out(25)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.d.comb += self.y.eq(self.a * self.b + self.c)
        return m


def _run_harness(cases: list[tuple[int, int, int]]) -> list[int]:
    """Shift each case's inputs in (the chain fills from the top input bit down), capture
    the output, shift it out; return the outputs read at the pin."""
    harness = UnitHarness(MultiplyAdd())
    outputs = []

    async def bench(ctx):
        for a, b, c in cases:
            word = a | b << 12 | c << 24  # the inputs in signature order, a first
            for bit in reversed(range(48)):
                ctx.set(harness.shift_in, (word >> bit) & 1)
                await ctx.tick()
            ctx.set(harness.capture, 1)
            await ctx.tick()   # the capture flag's register
            ctx.set(harness.capture, 0)
            await ctx.tick()   # the outputs captured
            value = 0
            for bit in range(25):
                value |= ctx.get(harness.shift_out) << bit
                await ctx.tick()
            outputs.append(value)

    sim = Simulator(harness)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return outputs


def test_the_harness_keeps_the_units_function():
    rng = random.Random(7)
    cases = [(rng.getrandbits(12), rng.getrandbits(12), rng.getrandbits(24)) for _ in range(6)]
    cases.append(((1 << 12) - 1, (1 << 12) - 1, (1 << 24) - 1))
    assert _run_harness(cases) == [a * b + c for a, b, c in cases]


def test_path_steps_group_by_hdl_line():
    steps = [PathStep("clk-to-q", 0.5, "ff"),
             PathStep("routing", 1.0, "ff", "n1", ["/share/lattice/cells_map.v:1"]),
             PathStep("logic", 0.2, "lut"),
             PathStep("routing", 0.7, "lut", "n2", ["x.py:3"]),
             PathStep("logic", 0.1, "lut2"),
             PathStep("routing", 0.4, "lut2", "n3", ["x.py:3", "y.py:9"]),
             PathStep("routing", 0.3, "lut3", "n4", ["x.py:4"])]
    runs = _by_source(steps)
    assert [(source, len(group)) for source, group in runs] == [
        ("clk-to-q", 3), ("x.py:3", 3), ("x.py:4", 1)]
    assert sum(s.delay_ns for _, group in runs for s in group) == pytest.approx(3.2)


def test_unknown_units_and_missing_engines_are_named():
    with pytest.raises(FpgaError, match="unknown unit 'alu'.*lane"):
        make_unit("alu", load_config("vector"))
    with pytest.raises(FpgaError, match="no vector engine"):
        make_unit("vector", load_config("default"))


def test_a_placed_unit_reports_its_path(tmp_path):
    result = unit_timing(MultiplyAdd(), "multiply_add", tmp_path, log=lambda _: None)
    assert 20 < result.fmax_mhz < 500
    assert result.report.get("DSP").used == 1
    delay = sum(step.delay_ns for step in result.path)
    assert delay == pytest.approx(1000 / result.fmax_mhz, rel=0.05)
    # the path runs through this file's multiply-add (the line of `y = a * b + c`)
    lines, first = inspect.getsourcelines(MultiplyAdd.elaborate)
    line = first + next(i for i, text in enumerate(lines) if "self.a * self.b" in text)
    sources = [source for source, _ in _by_source(result.path)]
    assert f"{Path(__file__).name}:{line}" in {s.rpartition("/")[2] for s in sources}, sources
    text = (tmp_path / "timing.txt").read_text()
    assert text.startswith("unit multiply_add: Fmax") and "by HDL line" in text
    # the same design again, placed only: its synthesis is reused, the figures estimated
    placed = unit_timing(MultiplyAdd(), "multiply_add", tmp_path, place_only=True,
                         log=lambda _: None)
    assert "synth" not in placed.seconds and placed.placed_only
    assert 20 < placed.fmax_mhz < 500 and not placed.path  # (nextpnr gives none unrouted)
    assert "estimated after placement" in (tmp_path / "timing.txt").read_text()


def test_the_fast_mapping_synthesizes_again_and_places(tmp_path):
    """``abc9=False`` (``--no-abc9``): LUTs mapped by abc between synth_ecp5's steps; a
    synthesis made the other way is not reused, and the unit still places."""
    unit_timing(MultiplyAdd(), "multiply_add", tmp_path, place_only=True, log=lambda _: None)
    fast = unit_timing(MultiplyAdd(), "multiply_add", tmp_path, place_only=True, abc9=False,
                       log=lambda _: None)
    assert "synth" in fast.seconds  # (synthesized again, not reused)
    assert "abc -lut 4" in (tmp_path / "synth.ys").read_text()
    assert 20 < fast.fmax_mhz < 500
