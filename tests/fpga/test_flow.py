"""Full builds with the YoWASP toolchain, iCEBreaker only (the demo takes about 3 s per
run here: synthesis ~1.2 s, P&R ~1.5 s, icepack ~0.2 s). ECP5 P&R runs in
``make fpga-check`` (python -m fpga check)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fpga.boards import get_board
from fpga.flow import DoesNotFit, TimingFailed, build, program_board
from fpga.soc_lite import SocLite, make_soc_lite
from fpga.tools import FpgaError

pytestmark = pytest.mark.slow


def test_icebreaker_build_then_timing_failure_removes_the_old_bitstream(tmp_path):
    board = get_board("icebreaker")
    result = build(board, make_soc_lite, design="demo", build_root=tmp_path,
                   config="small", log=lambda _: None)
    bitstream = tmp_path / "icebreaker" / "demo.bin"
    assert result.bitstream == bitstream and bitstream.stat().st_size > 100_000
    assert not list(tmp_path.rglob("*.tmp"))
    report = result.report
    assert report.clocks[0].constraint_mhz == pytest.approx(12.0, abs=1e-3)
    assert report.clocks[0].achieved_mhz > 30
    assert report.get("LC").used > 50
    assert set(result.times) >= {"synth", "pnr", "pack"}
    saved = json.loads((tmp_path / "icebreaker" / "demo.report.json").read_text())
    assert saved["bitstream"] == str(bitstream) and saved["clocks"]
    assert "critical path (cd_sync.clk)" in result.text

    # Same design, now requiring 1 GHz: fails, and leaves no bitstream (not the old one).
    with pytest.raises(TimingFailed, match=r"misses timing: clock cd_sync.clk reaches "
                                           r"[\d.]+ MHz, needs 1000.00 MHz"):
        build(board, make_soc_lite, design="demo", build_root=tmp_path,
              target_mhz=1000, log=lambda _: None)
    assert not bitstream.exists()
    assert "FAIL" in (tmp_path / "icebreaker" / "demo.report.txt").read_text()


def test_icebreaker_does_not_fit(tmp_path):
    board = get_board("icebreaker")
    big = SocLite(clk_hz=board.clk_hz, message=bytes(range(256)) * 80)   # 160 kbit ROM
    with pytest.raises(DoesNotFit, match=r"does not fit the iCE40UP5K-SG48: BRAM "
                                         r"\(ICESTORM_RAM\) \d+/30"):
        build(board, big, design="big", build_root=tmp_path, log=lambda _: None)
    assert not (tmp_path / "icebreaker" / "big.bin").exists()


def test_program_without_openfpgaloader_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFPGALOADER", str(tmp_path / "no-such-loader"))
    bit = tmp_path / "x.bit"
    bit.write_bytes(b"\0")
    with pytest.raises(FpgaError, match="openFPGALoader not found.*openFPGALoader -b ulx3s"):
        program_board(get_board("ulx3s"), bit)


def test_cli_errors_are_one_line_and_non_zero():
    run = subprocess.run([sys.executable, "-m", "fpga", "build", "--design", "soc-lite",
                          "--prog", "x.elf"], capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.strip().startswith("fpga: error: design 'soc-lite' runs no program")
    assert "Traceback" not in run.stderr


def test_router_and_placer_options_reach_nextpnr(tmp_path):
    board = get_board("icebreaker")
    result = build(board, make_soc_lite, design="demo", build_root=tmp_path,
                   router="router2", placer="static", log=lambda _: None)
    assert result.bitstream.exists()
    log = (tmp_path / "icebreaker" / "demo" / "top.tim").read_text()
    assert "router2" in log.lower()
    assert "static placer" in log.lower()
    with pytest.raises(ValueError, match="router 'maze': nextpnr has router1, router2"):
        build(board, make_soc_lite, design="demo", build_root=tmp_path, router="maze")
    with pytest.raises(ValueError, match="placer 'magic': nextpnr has heap, sa, static"):
        build(board, make_soc_lite, design="demo", build_root=tmp_path, placer="magic")
