"""Router congestion by design signal (`fpga.congestion`): the heatmaps' nets grouped by
the signal their names start with, summed by hand here; and a routed unit writes them."""

import pytest

from fpga.congestion import main, signal_of, summarize
from fpga.tools import FpgaError
from fpga.unit_timing import unit_timing
from tests.fpga.test_unit_timing import MultiplyAdd


def test_packed_net_names_group_by_their_signal():
    assert signal_of("unit.mac_result_TRELLIS_FF_Q_1788_DI_CCU2C_S1") == "unit.mac_result"
    assert signal_of("unit.lsu_tile_buffer[1031]") == "unit.lsu_tile_buffer"
    assert signal_of("unit.copy_row3.0.1_DO_2") == "unit.copy_row#.#.#_DO_#"
    assert signal_of("rst$TRELLIS_IO_IN") == "rst"
    assert signal_of("captured_LUT4_Z_D[1]") == "captured"


def test_the_last_iteration_is_summed_by_signal(tmp_path, capsys):
    (tmp_path / "iter_congestion_by_net_2.csv").write_text(
        "a.x[0],5\na.x_TRELLIS_FF_Q_3,4\na.y_LUT4_Z,1\n")
    (tmp_path / "iter_congestion_by_net_10.csv").write_text(
        "a.x[0],2\na.x[1],3\na.y_LUT4_Z,7\nb.z,0\n")
    last = summarize(tmp_path)  # (10, not 2: iterations compare as numbers)
    assert last.iteration == 10 and last.total == 12
    assert last.by_signal == [("a.y", 7, 1), ("a.x", 5, 2), ("b.z", 0, 1)]
    second = summarize(tmp_path, iteration=2)
    assert second.total == 10 and second.by_signal[0] == ("a.x", 9, 2)
    assert main([str(tmp_path), "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert "iteration 10: overuse 12" in out and "58.3 %" in out and "a.x" not in out
    assert main([str(tmp_path / "missing")]) == 1
    assert "no router2 heatmap" in capsys.readouterr().err


def test_a_routed_unit_writes_its_heatmaps(tmp_path):
    unit = MultiplyAdd()
    unit_timing(unit, "multiply_add", tmp_path, congestion=True, log=lambda _: None)
    assert list((tmp_path / "congestion").glob("iter_congestion_by_net_*.csv"))
    assert (tmp_path / "congestion.txt").read_text().startswith("router2 iteration ")
    with pytest.raises(FpgaError, match="needs routing with --router router2"):
        unit_timing(unit, "multiply_add", tmp_path, congestion=True, router="router1",
                    log=lambda _: None)
    with pytest.raises(FpgaError, match="--place-only does not route"):
        unit_timing(unit, "multiply_add", tmp_path, congestion=True, place_only=True,
                    log=lambda _: None)
