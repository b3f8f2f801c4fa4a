"""Precise traps of tile loads and stores (`hw.oxcore.tensor.access_check`), in lockstep
with the interpreter.

Each program ends with the instruction that must trap (or, for the cases that must not,
exits): the verdict must be "trap" with the cause and instruction worked out here by
hand from the rule (the first moved row that is misaligned, else outside RAM, names the
cause), so both simulators must trap there, with nothing of the instruction done and
everything before it (tile loads and tmma still running in the engine) complete.
"""

from pathlib import Path

import pytest

from cosim.tensor_fuzz import load_source, program
from cosim.tensor_fuzz import tile_load as _load
from hw.oxcore.tensor import access_check
from oxcore import api
from oxcore.config import PRESETS, TensorConfig


def config(tdim: int):
    return PRESETS["default"].replace(name=f"traps-t{tdim}", tensor=TensorConfig(tdim=tdim))


CFG4 = config(4)
END = CFG4.mem_base + CFG4.mem_size  # the first address past RAM
BASE = CFG4.mem_base


def _at(mnemonic: str, tile: int, addr: int, stride: int) -> list[str]:
    """A tile load or store at an absolute address."""
    return [f"    li t0, {addr:#x}", f"    li t1, {stride}", f"    {mnemonic} m{tile}, (t0), t1"]


def _at_s(mnemonic: str, tile: int, base: str, offset: int, stride: int) -> list[str]:
    return [f"    addi t0, {base}, {offset}", f"    li t1, {stride}",
            f"    {mnemonic} m{tile}, (t0), t1"]


WORK = _load(1, "s0", 0, 16, True) + _load(2, "s0", 64, 16, False) + ["    tmma m0, m1, m2"]

# name: (body, expected cause, or None: the program exits normally)
CASES = {
    # a tile load's rows still arriving (and a tmma running) when a later one traps
    "tld.w_base_misaligned": (WORK + _at_s("tld.w", 3, "s0", 2, 16), "load_misaligned"),
    "tld.w_second_row_misaligned": (WORK + _at_s("tld.w", 3, "s0", 0, 18), "load_misaligned"),
    "tld.b_any_alignment": (_at_s("tld.b", 3, "s0", 3, 17) + _at_s("tst.b", 3, "s1", 5, -3),
                            None),
    "tst.w_misaligned": (WORK + _at_s("tst.w", 1, "s1", 6, 16), "store_misaligned"),
    # rows of 16 bytes at END-40, -24, -8: the third reaches past RAM
    "tld.b_past_the_end": (WORK + _at("tld.b", 3, END - 40, 16), "load_access_fault"),
    # tcolb 8: that row fits, the fourth (END + 8) does not; with trows 3 too, none
    "tcolb_and_trows_cut_rows": (
        ["    csrwi tcolb, 8"] + _at("tld.b", 3, END - 40, 16)[:2]
        + ["    csrwi trows, 3", "    tld.b m3, (t0), t1", "    csrwi trows, 0",
           "    tld.b m3, (t0), t1"], "load_access_fault"),
    # row 1 below RAM (a negative stride)
    "negative_stride_below_ram": (_at("tld.w", 2, BASE + 8, -16), "load_access_fault"),
    # row 1 at base + 2**31: the address wraps out of RAM
    "stride_wraps_out_of_ram": (_at_s("tld.w", 2, "s0", 0, -(1 << 31)), "load_access_fault"),
    # row 0 outside RAM, row 1 misaligned: the first bad row names the cause
    "first_bad_row_names_the_cause": (_at("tld.w", 2, BASE - 16, 18), "load_access_fault"),
    "misaligned_before_outside": (_at_s("tld.w", 2, "s0", 2, -(1 << 31)), "load_misaligned"),
    # trow0 skips a row below RAM; trow0 >= trows moves no row (not even the base is
    # checked); then trow0 0 again, and row 0 traps
    "trow0_skips_rows": (
        ["    csrwi trow0, 1"] + _at("tld.w", 2, BASE - 16, 16)
        + ["    csrwi trows, 2", "    csrwi trow0, 2", "    tld.w m2, (t0), t1",
           "    tst.w m2, (t0), t1", "    csrwi trow0, 0", "    tst.w m2, (t0), t1"],
        "store_access_fault"),
    # tst.b's rows are ceil(tcolb / 4) bytes: 4 at END-4 fit, at END-3 not; with
    # tcolb 12, 3 bytes do
    "tst.b_row_bytes": (
        _at("tst.b", 1, END - 4, -8) + ["    csrwi tcolb, 12"] + _at("tst.b", 1, END - 3, -8)
        + ["    csrw tcolb, zero", "    tst.b m1, (t0), t1"], "store_access_fault"),
    # tcolb 9: ceil(9 / 4) = 3 bytes a row (rounded up, not down): at END-3 they fit,
    # at END-2 the third byte is past RAM
    "tst.b_row_bytes_round_up": (
        ["    csrwi tcolb, 9"] + _at("tst.b", 1, END - 3, -8)
        + ["    addi t0, t0, 1", "    tst.b m1, (t0), t1"], "store_access_fault"),
    # tld.bt at TDIM 4: 16 memory rows of 4 bytes (trows), stride 8 from END - 106:
    # rows 0-12 fit, row 13 (END - 2) does not; with tcolb 13 (rows 0-12) none is out,
    # with trows 2 (2 bytes a row) row 13 fits too; then both back, and row 13 traps
    "tld.bt_row_past_the_end": (WORK + _at("tld.bt", 3, END - 106, 8), "load_access_fault"),
    "tld.bt_tcolb_and_trows_cut_rows": (
        ["    csrwi tcolb, 13"] + _at("tld.bt", 3, END - 106, 8)
        + ["    csrw tcolb, zero", "    csrwi trows, 2", "    tld.bt m3, (t0), t1",
           "    csrwi trows, 0", "    tld.bt m3, (t0), t1"], "load_access_fault"),
    # memory row 5 below RAM (a negative stride), any alignment otherwise
    "tld.bt_negative_stride_below_ram": (
        _at_s("tld.bt", 1, "s0", 3, 7) + _at("tld.bt", 2, BASE + 37, -8), "load_access_fault"),
    # trow0 is not used: row 0 below RAM traps although trow0 would skip it for tld.b
    "tld.bt_does_not_skip_rows": (
        ["    csrwi trow0, 1"] + _at("tld.b", 2, BASE - 16, 16)
        + ["    tld.bt m2, (t0), t1"], "load_access_fault"),
    # tlr/tsr: every row, whatever the edges (trows 1 would keep tld.w's rows in RAM);
    # 4-byte aligned
    "tlr_ignores_the_edges": (["    csrwi trows, 1"] + _at("tld.w", 3, END - 32, 16)
                              + ["    tlr m3, (t0)"], "load_access_fault"),
    "tsr_misaligned": (WORK + ["    addi t0, s1, 6", "    tsr m1, (t0)"], "store_misaligned"),
    "tsr_fits_at_the_end": (["    li t0, %#x" % (END - 64), "    tsr m1, (t0)",
                             "    tlr m2, (t0)"], None),
    # the geometry as the csr instructions right before set it (csrrs, csrrc included):
    # tcolb 8, then 8 bytes at END-8 fit; tcolb 8 | 4 = 12 does not
    "csr_right_before": (
        ["    li t2, 8", "    csrw tcolb, zero", "    csrrs zero, tcolb, t2"]
        + _at("tld.w", 3, END - 8, 0) + ["    li t2, 4", "    csrrs zero, tcolb, t2",
                                        "    tld.w m3, (t0), t1"], "load_access_fault"),
    "csrrc_right_before": (
        ["    csrwi tcolb, 12", "    li t2, 4", "    csrrc zero, tcolb, t2"]
        + _at("tst.w", 3, END - 8, 0) + ["    csrrci zero, tcolb, 8", "    tst.w m3, (t0), t1"],
        "store_access_fault"),
}


def _cosim(body: list[str], cfg, tmp_path: Path, name: str) -> api.CosimVerdict:
    return api.cosim(load_source(program(body), cfg, tmp_path, name), backend="pysim",
                     max_cycles=20_000)


def _expect(verdict: api.CosimVerdict, cause: str | None, mnemonic: str | None) -> None:
    if cause is None:
        assert verdict.verdict == "pass", verdict.report
        return
    assert verdict.verdict == "trap", verdict.report
    assert verdict.ended["cause"] == cause, verdict.ended
    assert verdict.ended["disassembly"].split()[0] == mnemonic, verdict.ended


def _last_tile_instruction(body: list[str]) -> str:
    return [line.split()[0] for line in body
            if line.split()[0][:3] in ("tld", "tst", "tlr", "tsr")][-1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bad_tile_row_traps_precisely(name, tmp_path):
    body, cause = CASES[name]
    _expect(_cosim(body, CFG4, tmp_path, name), cause, _last_tile_instruction(body))


def test_tdim16_row_thirteen_past_the_end(tmp_path):
    """Rows of 64 bytes, stride 64 from END - 836: rows 0-12 fit, row 13 (END - 4) does
    not (13 = 16 - 4 + 1: the row offset with the most shift-and-add terms)."""
    body = _at("tld.b", 0, END - 836, 64)
    _expect(_cosim(body, config(16), tmp_path, "t16"), "load_access_fault", "tld.b")
    _expect(_cosim(["    csrwi trows, 13"] + body, config(16), tmp_path, "t16ok"), None, None)


def test_tdim8_store_row_seven(tmp_path):
    """tst.w at END - 7*36 - 16, stride 36: rows of 32 bytes, row 7 (END - 16) is out."""
    body = _load(1, "s0", 0, 32, True) + _at("tst.w", 1, END - 7 * 36 - 16, 36)
    _expect(_cosim(body, config(8), tmp_path, "t8"), "store_access_fault", "tst.w")


def test_a_stride_ignored_by_the_check_is_caught(tmp_path, monkeypatch):
    """Fault injection: every row's offset computed as row 0's (the stride ignored), so
    the second row's misalignment goes unseen: lockstep must fail."""
    monkeypatch.setattr(access_check, "_row_offset", lambda start, stride, row: start)
    body, _ = CASES["tld.w_second_row_misaligned"]
    assert _cosim(body, CFG4, tmp_path, "no_stride").verdict == "fail"


def test_geometry_followed_at_execution_instead_of_dispatch_is_caught(tmp_path, monkeypatch):
    """Fault injection: the check's trows never changes from its reset value; the
    program that cuts rows with trows just before must then diverge."""
    real = access_check.Geometry.follow

    def frozen_rows(geometry, m, number, value):
        if number != access_check.CSR_TROWS or not geometry.rows.name.startswith("check"):
            real(geometry, m, number, value)
    monkeypatch.setattr(access_check.Geometry, "follow", frozen_rows)
    body, _ = CASES["tcolb_and_trows_cut_rows"]
    assert _cosim(body, CFG4, tmp_path, "frozen").verdict == "fail"


def test_signed_digits_sum_to_the_factor():
    for factor in range(64):
        digits = access_check.signed_digits(factor)
        assert sum(d << s for d, s in digits) == factor
        assert all(d in (1, -1) for d, _ in digits)
    assert len(access_check.signed_digits(7)) == 2  # 8 - 1


@pytest.mark.parametrize("tdim", [4, 8])
def test_random_programs_ending_near_the_edges_of_ram(tdim, tmp_path):
    """cosim.tensor_fuzz's tile programs end with an access near an end of RAM that may
    trap (make fuzz runs many, with the vector engine): these seeds must all agree,
    and both endings must occur among them."""
    from cosim.tensor_fuzz import AGREE, random_body
    verdicts = [_cosim(random_body(seed, tdim, 12, edge=True), config(tdim), tmp_path,
                       f"edge{seed}") for seed in range(6)]
    assert all(v.verdict in AGREE for v in verdicts), [v.report for v in verdicts]
    assert {v.verdict for v in verdicts} == set(AGREE), [v.ended for v in verdicts]
