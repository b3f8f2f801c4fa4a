"""What makes the OxCore SoC fit: the synchronous-read register file, narrow counters,
and synthesis-only checks of both board configurations against their devices (no place
and route here: `make fpga-check` does that). Also `oxcore area`."""

from __future__ import annotations

import random

import pytest

from fpga.area import synthesize
from fpga.boards import get_board
from fpga.cli import DEVICE_CAPACITY
from fpga.soc import CORE_UNITS, make_soc, soc_area_report
from hw.oxcore.csr import CsrFile
from hw.oxcore.regfile import RegisterFile
from oxcore.config import PRESETS, load_config
from oxcore.errors import ConfigError
from tests.hw.oxcore.rtl_helpers import simulate


def test_sync_regfile_reads_a_cycle_later_and_sees_the_write_of_that_cycle():
    """Reference model: data(t+1) = regs after cycle t's write, at the address given
    at t; x0 is 0; the taps follow the writes."""
    dut = RegisterFile(taps=(10, 17), sync_read=True)
    rnd = random.Random(5)

    async def bench(ctx):
        regs = [0] * 32
        expect = None
        for _ in range(400):
            a1, a2 = rnd.randrange(32), rnd.randrange(32)
            we, wa, wd = rnd.random() < 0.7, rnd.choice([a1, a2, rnd.randrange(32)]), \
                rnd.getrandbits(32)
            ctx.set(dut.rs1_addr, a1)
            ctx.set(dut.rs2_addr, a2)
            ctx.set(dut.w_en, we)
            ctx.set(dut.w_addr, wa)
            ctx.set(dut.w_data, wd)
            if expect is not None:
                assert (ctx.get(dut.rs1_data), ctx.get(dut.rs2_data)) == expect
            assert (ctx.get(dut.tap[0]), ctx.get(dut.tap[1])) == (regs[10], regs[17])
            await ctx.tick()
            if we and wa:
                regs[wa] = wd
            expect = (regs[a1], regs[a2])

    simulate(dut, bench)


def test_narrow_counters_wrap_and_read_zero_high_halves():
    dut = CsrFile(width=32)

    async def bench(ctx):
        ctx.set(dut.retired, 1)
        for _ in range(5):
            await ctx.tick()
        ctx.set(dut.addr, 0xC82)  # instreth
        assert ctx.get(dut.known) and ctx.get(dut.rdata) == 0
        ctx.set(dut.addr, 0xC02)
        assert ctx.get(dut.rdata) == 5

    simulate(dut, bench)
    with pytest.raises(ValueError):
        CsrFile(width=16)


def test_config_fields():
    small = PRESETS["small"]
    assert small.regfile_sync_read and small.branch_predictor == "static"
    assert small.counter_width == 32
    assert not PRESETS["default"].regfile_sync_read and PRESETS["default"].counter_width == 64
    default = PRESETS["default"]
    assert default.registered_redirect and default.registered_fetch
    assert default.branch_predictor == "nlp"
    assert not small.registered_redirect and not small.registered_fetch
    for bad in (dict(regfile_sync_read=1), dict(counter_width=16), dict(counter_width=65),
                dict(registered_redirect="yes"), dict(registered_fetch=0)):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            small.replace(**bad)


@pytest.mark.parametrize("base,predictor,latency", [
    ("small", "static", 2), ("default", "btb", 2), ("small", "none", 3), ("default", "btb", 1),
    ("default", "nlp", 2)])
def test_registered_redirect_keeps_the_retire_stream(base, predictor, latency):
    """The optional two-bubble redirect (the branch compare off the fetch path): same
    records as the interpreter; each misprediction costs two cycles."""
    from tests.hw.oxcore.rtl_helpers import assert_same_run, random_program
    from tests.hw.oxcore.test_core import PROGRAMS
    config = PRESETS[base].replace(registered_redirect=True, branch_predictor=predictor,
                                   mul_latency=latency, registered_fetch=False)
    for make in PROGRAMS:
        assert_same_run(config, make(config).program())
    stop = assert_same_run(config, random_program(config, 21))
    c = stop.counters
    assert c["mispredicts"] > 0 and c["stall_branch"] == 2 * c["mispredicts"]


# ---- synthesis-only fit ----------------------------------------------------------------

ICE40_CELLS = {"LUT": ("SB_LUT4",), "FF": ("SB_DFF",), "DSP": ("SB_MAC16",),
               "BRAM": ("SB_RAM40_4K",), "SPRAM": ("SB_SPRAM256KA",)}


@pytest.mark.long
def test_icebreaker_small_fits_the_up5k_after_synthesis():
    board = get_board("icebreaker")
    stat = synthesize(make_soc(board, load_config("small")), "ice40", flatten=True)
    cells = stat["modules"]["\\top"]["num_cells_by_type"]
    used = {res: sum(n for cell, n in cells.items()
                     if any(cell.startswith(p) for p in prefixes))
            for res, prefixes in ICE40_CELLS.items()}
    cap = DEVICE_CAPACITY["icebreaker"]
    # A LUT and a flip-flop share a logic cell; nextpnr packed the 4100 LUTs and 1400
    # flip-flops of this design into 4800 of the 5280 cells. Keep room for routing.
    assert used["LUT"] <= 0.82 * cap["LUT"], used
    assert used["FF"] <= 0.4 * cap["FF"], used
    assert used["DSP"] <= cap["DSP"] and used["BRAM"] <= cap["BRAM"], used
    assert used["SPRAM"] == 2  # the data copy
    assert used["BRAM"] >= 16 + 4  # fetch window + register file: block RAM, not flip-flops


@pytest.fixture(scope="module")
def ecp5_default_area():
    board = get_board("ulx3s")
    return soc_area_report(make_soc(board, load_config("default")), "ecp5")


@pytest.mark.long
def test_ulx3s_default_fits_and_area_splits_the_core_into_units(ecp5_default_area):
    report = ecp5_default_area
    cap = DEVICE_CAPACITY["ulx3s"]
    total = report["total"]
    for res in ("LUT", "FF", "DSP", "BRAM"):
        assert total[res] <= cap[res], (res, total)
    # 256 KiB of data RAM (128 DP16KD, one copy) + a 16 KiB fetch window (8).
    assert 128 + 8 <= total["BRAM"] <= 140
    assert report["memory"]["BRAM"] >= 136
    assert report["multiplier"]["DSP"] == 4 == total["DSP"]
    assert report["regfile"]["LUTRAM"] > 0  # asynchronous read: LUT RAM on ECP5
    for unit in CORE_UNITS:
        assert unit in report, unit
    for unit in ("pipeline", "syscall", "uart", "bootloader", "(top)"):
        assert unit in report
    for res in ("LUT", "FF", "DSP", "BRAM", "LUTRAM"):
        assert sum(v[res] for k, v in report.items() if k != "total") == total[res], res


def test_oxcore_area_cli(monkeypatch, capsys):
    import fpga.cli
    from fpga.area import RESOURCES
    from oxcore.cli import main
    fake = {u: dict.fromkeys(RESOURCES["ecp5"], 1) for u in (*CORE_UNITS, "memory", "total")}
    seen = {}

    def fake_report(soc, family):
        seen["family"], seen["config"] = family, soc.config.name
        return fake

    monkeypatch.setattr("fpga.soc.soc_area_report", fake_report)
    assert main(["area", "--config", "small"]) == 0
    out = capsys.readouterr().out
    assert seen == {"family": "ecp5", "config": "small"}
    assert out.splitlines()[0].startswith("area of oxcore (config small), Yosys synth_ecp5")
    for unit in ("regfile", "alu", "multiplier", "divider", "lsu", "predictor", "csr",
                 "decoder", "memory"):
        assert any(line.split()[0] == unit for line in out.splitlines()[1:]), unit
    assert fpga.cli.area_text  # the function oxcore area calls


def test_oxcore_area_sweep(monkeypatch, capsys):
    """`oxcore area --sweep`: each variant's SoC goes to synthesis (here a stand-in
    that counts the BTB's entries as LUTs), its table printed, then the totals with the
    device's share (83,640 LUTs on the ULX3S's LFE5U-85F)."""
    from fpga.area import RESOURCES
    from oxcore.cli import main
    seen = []

    def fake_report(soc, family):
        seen.append((soc.config.name, soc.config.btb_entries))
        luts = dict.fromkeys(RESOURCES[family], 0) | {"LUT": 41820 * soc.config.btb_entries // 64}
        return {"predictor": luts, "total": luts}

    monkeypatch.setattr("fpga.soc.soc_area_report", fake_report)
    assert main(["area", "--config", "small", "--sweep", "btb_entries=16,64"]) == 0
    out = capsys.readouterr().out
    assert seen == [("small[btb_entries=16]", 16), ("small[btb_entries=64]", 64)]
    summary = out[out.index("area summary"):].splitlines()
    assert summary[2].split()[:3] == ["small[btb_entries=16]", "10455", "12.5%"]
    assert summary[3].split()[:3] == ["small[btb_entries=64]", "41820", "50.0%"]
    assert out.count("area of oxcore (config small[btb_entries=") == 2
    assert main(["area", "--sweep", "btb_entries=3"]) == 1  # checked before synthesis
    assert "btb_entries 3 must be a power of two" in capsys.readouterr().err
    assert len(seen) == 2


@pytest.mark.long
def test_the_small_soc_area_survives_abc9s_hierarchy_bug(capsys):
    """Yosys 0.70's abc9 stops on `small`'s SoC with the hierarchy kept (an assertion
    mapping the register file); the per-unit report then maps LUTs with abc and says
    so. Its register file is a RAM, not 1,024 flip-flops; its multiplier in DSPs."""
    report = soc_area_report(make_soc(get_board("ulx3s"), load_config("small")), "ecp5")
    assert "LUTs mapped by abc instead" in capsys.readouterr().err
    regfile = report["regfile"]
    assert regfile["LUTRAM"] + regfile["BRAM"] > 0 and regfile["FF"] < 300
    assert report["multiplier"]["DSP"] == 4
    assert 3000 < report["total"]["LUT"] < 10000
