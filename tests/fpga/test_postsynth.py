"""The post-synthesis netlist (vendor primitives, simulated with Yosys's cell models
through CXXRTL + g++) prints the same UART text as the RTL in Amaranth's simulator."""

from __future__ import annotations

import re
import shutil

import pytest

from fpga.cli import run_postsynth_demo
from fpga.postsynth import postsynth_uart, simulate_netlist
from fpga.soc_lite import SocLite, simulate_rtl

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++ (CXXRTL)"),
]

DIVISOR = 4


def _cycles(soc: SocLite) -> int:
    return len(soc.text) * (10 * DIVISOR + 4) + 64


def test_ice40_netlist_with_block_ram_matches_rtl_and_reads_its_init(tmp_path):
    # 300 bytes of message: synth_ice40 puts the ROM in an SB_RAM40_4K, whose INIT
    # parameters then hold the text.
    message = bytes(range(0x20, 0x7F)) * 3 + b"\n"
    soc = SocLite(clk_hz=1e6, divisor=DIVISOR, message=message, status=7)
    rtl_text, rtl_leds = simulate_rtl(soc, _cycles(soc))
    run = postsynth_uart(SocLite(clk_hz=1e6, divisor=DIVISOR, message=message, status=7),
                         "ice40", cycles=_cycles(soc), divisor=DIVISOR, work_dir=tmp_path)
    assert run.cells.get("SB_RAM40_4K") == 1
    assert not any(cell.startswith("$") for cell in run.cells)
    assert run.text == rtl_text == soc.text
    assert run.leds == rtl_leds

    # The simulation really runs the netlist: change one INIT word of the block RAM in
    # netlist.v and the text changes.
    # write_verilog prints INIT as binary with x for the bits the 512x8 mode leaves unused.
    netlist = (tmp_path / "netlist.v").read_text()
    match = re.search(r"\.INIT_0\(256'b([01x]{256})\)", netlist)
    assert match, "no SB_RAM40_4K INIT_0 in the netlist"
    bits = match.group(1)
    last = max(i for i, b in enumerate(bits) if b in "01")
    flipped = bits[:last] + ("1" if bits[last] == "0" else "0") + bits[last + 1:]
    (tmp_path / "netlist.v").write_text(netlist.replace(match.group(0),
                                                        f".INIT_0(256'b{flipped})"))
    text, _ = simulate_netlist(tmp_path, "ice40", cycles=_cycles(soc), divisor=DIVISOR)
    assert text != soc.text and len(text) == len(soc.text)


def test_ecp5_netlist_matches_rtl():
    soc = SocLite(clk_hz=1e6, divisor=DIVISOR, status=1)
    rtl_text, _ = simulate_rtl(soc, _cycles(soc))
    run = postsynth_uart(SocLite(clk_hz=1e6, divisor=DIVISOR, status=1), "ecp5",
                         cycles=_cycles(soc), divisor=DIVISOR)
    assert {"LUT4", "TRELLIS_FF"} <= set(run.cells)
    assert run.text == rtl_text == b"hello\nexit 1\n"


def test_cli_demo_report():
    text, ok = run_postsynth_demo("ice40")
    assert ok, text
    assert "SAME" in text and "b'hello\\nexit 3\\n'" in text
