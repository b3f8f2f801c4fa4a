"""Vector loads and stores misaligned or outside RAM trap precisely on the RTL
(`hw.oxcore.vector.access_check`), in lockstep with the interpreter.

Each case's verdict is worked out here by hand from the addresses: RAM is
[0x80000000, 0x80040000) (the default preset), VLEN 128 (VLENB 16); an access traps on
its first active element (in element order, then field order) that is misaligned
(load/store misaligned) or not wholly in RAM (load/store access fault); inactive
elements never fault; a fault-only-first load traps only on element 0. "pass" cases
must run to the end with every retired instruction agreeing; the others must trap on
the named instruction with the named cause on both simulators.
"""

import pytest

from hw.oxcore.vector import access_check
from tests.hw.oxcore.vector.test_vector_engine import _cosim, _start, config

END = 0x8004_0000  # the first address past RAM
BASE = 0x8000_0000


def _at(address: int, reg: str = "s1") -> str:
    return f"li {reg}, {address:#x}"


E32 = "vsetivli t0, 4, e32, m1, ta, mu"  # vl = 4 (VLMAX 4)
# name: (instructions, (cause, mnemonic) or None when nothing traps)
CASES = {
    # unit-stride, unmasked: elements 2 and 3 of 4 are past the end
    "load_past_end": ([E32, _at(END - 8), "vle32.v v1, (s1)"],
                      ("load_access_fault", "vle32.v")),
    "store_past_end": ([E32, _at(END - 8), "vse32.v v1, (s1)"],
                       ("store_access_fault", "vse32.v")),
    # the last 16 bytes exactly: no fault (the scan's path: within 8 registers of the end)
    "last_bytes_fit": ([E32, _at(END - 16), "vle32.v v1, (s1)", "vse32.v v1, (s1)",
                        "vle8.v v2, (s1)"], None),
    # vl = 2: the elements past the end are not in the body
    "short_vl_fits": (["vsetivli t0, 2, e32, m1, ta, mu", _at(END - 8), "vle32.v v1, (s1)",
                       "vsetivli t0, 0, e32, m1, ta, mu", _at(END + 64), "vse32.v v1, (s1)"],
                      None),
    # masked: only elements 0 and 1 active (v0 = 0b0011), then element 2 too (0b0111)
    "masked_off_outside": ([E32, "vmv.v.i v0, 3", _at(END - 8), "vle32.v v1, (s1), v0.t",
                            "vse32.v v1, (s1), v0.t"], None),
    "masked_on_outside": ([E32, "vmv.v.i v0, 3", _at(END - 8), "vle32.v v1, (s1), v0.t",
                           "vmv.v.i v0, 7", "vse32.v v1, (s1), v0.t"],
                          ("store_access_fault", "vse32.v")),
    # below RAM: elements 0 and 1 outside, 2 and 3 in (the offsets wrap around)
    "below_ram": ([E32, _at(BASE - 8), "vle32.v v1, (s1)"], ("load_access_fault", "vle32.v")),
    "below_ram_masked_off": ([E32, "vmv.v.i v0, 12", _at(BASE - 8),
                              "vle32.v v1, (s1), v0.t"], None),
    # misaligned (element 0 already), unless no element is active
    "misaligned_load": ([E32, "addi s1, s0, 2", "vle32.v v1, (s1)"],
                        ("load_misaligned", "vle32.v")),
    "misaligned_store_e16": (["vsetivli t0, 8, e16, m1, ta, mu", "addi s1, s0, 1",
                              "vse16.v v1, (s1)"], ("store_misaligned", "vse16.v")),
    "misaligned_all_masked_off": ([E32, "vmv.v.i v0, 0", "addi s1, s0, 2",
                                   "vle32.v v1, (s1), v0.t"], None),
    # the mask written by the instruction right before (the check waits for it)
    "mask_from_compare": ([E32, "vle32.v v2, (s0)", "vmseq.vi v0, v2, 3", _at(END - 4),
                           "vle32.v v1, (s1), v0.t"], ("load_access_fault", "vle32.v")),
    "mask_from_compare_off": ([E32, "vle32.v v2, (s0)", "vmseq.vi v0, v2, 1", _at(END - 4),
                               "vle32.v v1, (s1), v0.t"], None),
    # vl from a vsetvli queued behind a long division
    "vl_from_queued_vsetvli": ([E32, "vle32.v v2, (s0)", "vdiv.vv v3, v2, v2",
                                "vsetivli t0, 1, e32, m1, ta, mu", _at(END - 4),
                                "vse32.v v3, (s1)", "vsetivli t0, 2, e32, m1, ta, mu",
                                "vse32.v v3, (s1)"], ("store_access_fault", "vse32.v")),
    # strided: far from the edges (MEM's verdict), near them (the scan's)
    "strided_inside": ([E32, "li t1, 64", "vlse32.v v1, (s0), t1", "li t1, -4",
                        "addi s1, s0, 12", "vsse32.v v1, (s1), t1"], None),
    "strided_near_end_fits": ([E32, _at(END - 64), "li t1, 16", "vsse32.v v1, (s1), t1",
                               "li t1, 24", "vlse32.v v1, (s1), t1"],
                              ("load_access_fault", "vlse32.v")),
    "strided_below_ram": ([E32, _at(BASE + 8), "li t1, -4", "vlse32.v v1, (s1), t1"],
                          ("load_access_fault", "vlse32.v")),
    "strided_misaligned_stride": ([E32, "li t1, 6", "vlse32.v v1, (s0), t1"],
                                  ("load_misaligned", "vlse32.v")),
    # segments: element i's two fields at END - 12 + 4i, +2: element 3 is past the end
    "segment_past_end": (["vsetivli t0, 4, e16, m1, ta, mu", _at(END - 12),
                          "vlseg2e16.v v2, (s1)"], ("load_access_fault", "vlseg2e16.v")),
    "segment_fits": (["vsetivli t0, 3, e16, m1, ta, mu", _at(END - 12),
                      "vlseg2e16.v v2, (s1)", "vsseg2e16.v v2, (s1)"], None),
    # fault-only-first: a fault past element 0 trims vl; at element 0 it traps
    "fault_first_trims": ([E32, _at(END - 8), "vle32ff.v v1, (s1)", "csrr a1, vl"], None),
    "fault_first_element_0": ([E32, _at(END), "vle32ff.v v1, (s1)"],
                              ("load_access_fault", "vle32ff.v")),
    # whole registers: vl and vtype do not matter; a store moves bytes (any alignment)
    "whole_load_past_end": ([E32, _at(END - 16), "vl1re32.v v4, (s1)",
                             "vl2re32.v v4, (s1)"], ("load_access_fault", "vl2re32.v")),
    "whole_store_unaligned_fits": ([E32, _at(END - 17), "vs1r.v v4, (s1)"], None),
    # mask load/store: ceil(vl / 8) bytes
    "mask_bytes": (["vsetivli t0, 8, e8, m1, ta, mu", _at(END - 1), "vlm.v v4, (s1)",
                    "vsm.v v4, (s1)", "vsetivli t0, 9, e8, m1, ta, mu", "vsm.v v4, (s1)"],
                   ("store_access_fault", "vsm.v")),
    # indexed (always the scan, indices read from the register file): byte offsets
    # 4 * i from vid, at ei8, ei16 and ei32, within one row or across rows and registers
    "indexed_past_end": ([E32, "vid.v v2", "vsll.vi v2, v2, 2", _at(END - 8),
                          "vloxei32.v v1, (s1), v2"], ("load_access_fault", "vloxei32.v")),
    "indexed_masked_off": ([E32, "vid.v v2", "vsll.vi v2, v2, 2", "vmv.v.i v0, 3",
                            _at(END - 8), "vluxei32.v v1, (s1), v2, v0.t"], None),
    "indexed_ei8_fits_then_not": (["vsetivli t0, 4, e8, m1, ta, mu", "vid.v v2",
                                   "vsll.vi v2, v2, 2", E32, _at(END - 16),
                                   "vluxei8.v v1, (s1), v2", "vsuxei8.v v1, (s1), v2",
                                   "addi s1, s1, 4", "vsoxei8.v v1, (s1), v2"],
                                  ("store_access_fault", "vsoxei8.v")),
    "indexed_misaligned": (["vsetivli t0, 4, e16, m1, ta, mu", "vid.v v2",
                            "vsll.vi v2, v2, 1", E32, "vloxei16.v v1, (s0), v2"],
                           ("load_misaligned", "vloxei16.v")),
    "indexed_segment_last_field": (["vsetivli t0, 4, e8, m1, ta, mu", "vid.v v2",
                                    "vsll.vi v2, v2, 2", "vsetivli t0, 4, e16, m1, ta, mu",
                                    _at(END - 14), "vloxseg2ei8.v v4, (s1), v2"],
                                   ("load_access_fault", "vloxseg2ei8.v")),
    "indexed_group_rows": (["vsetivli t0, 8, e32, m2, ta, mu", "vid.v v2",
                            "vsll.vi v2, v2, 2", _at(END - 32), "vloxei32.v v4, (s1), v2",
                            _at(END - 28), "vloxei32.v v4, (s1), v2"],
                           ("load_access_fault", "vloxei32.v")),
}


def _source(lines: list[str]) -> str:
    text = "\n".join(_start(*(f"    {line}" for line in lines)))
    return (text + "\n    li a0, 0\n    li a7, 93\n    ecall\n    .data\n    .p2align 4\n"
            "data:\n    .word 1, 2, 3, 4, 5, 6, 7, 8\n")


@pytest.mark.parametrize("name", sorted(CASES))
def test_access_traps_precisely(name, tmp_path):
    lines, expected = CASES[name]
    verdict = _cosim(_source(lines), config(128, 2), tmp_path, name)
    if expected is None:
        assert verdict.verdict == "pass", verdict.report
        return
    cause, mnemonic = expected
    assert verdict.verdict == "trap", verdict.report
    assert verdict.ended["cause"] == cause, verdict.ended
    assert verdict.ended["disassembly"].split()[0] == mnemonic, verdict.ended


def test_a_fast_path_that_misses_the_end_is_caught(tmp_path, monkeypatch):
    """Fault injection: the fast path takes every unit-stride access as safe; the load
    past the end of RAM must then diverge."""
    monkeypatch.setattr(access_check, "_cannot_fault_hook", lambda safe: ~safe | safe)
    verdict = _cosim(_source(CASES["load_past_end"][0]), config(128, 2), tmp_path, "inj")
    assert verdict.verdict == "fail", verdict.report


def test_a_misread_index_is_caught(tmp_path, monkeypatch):
    """Fault injection: the scan reads every index as 0; the indexed load whose last
    elements are past the end of RAM must then diverge."""
    monkeypatch.setattr(access_check, "_index_hook", lambda index: 0)
    verdict = _cosim(_source(CASES["indexed_past_end"][0]), config(128, 2), tmp_path, "inj")
    assert verdict.verdict == "fail", verdict.report


def test_random_programs_ending_near_the_edges_of_ram(tmp_path):
    """cosim.tensor_fuzz's programs (scalar, vector and tensor steps) may end with a
    vector access near an end of RAM (`Generator.vector_edge_access`; make fuzz runs
    many): these seeds must all agree, and both endings must occur among them."""
    from cosim.tensor_fuzz import AGREE, Generator, config as fuzz_config, load_source
    from cosim.tensor_fuzz import program
    from oxcore import api
    verdicts = []
    for seed in range(6):
        generator = Generator(seed, 4, vector=True)
        body = generator.prologue() + ["    vsetivli t3, 8, e32, m1, ta, ma"]
        for _ in range(12):
            body += generator.step()
        body += generator.vector_edge_access(BASE, END - BASE)
        loaded = load_source(program(body, seed), fuzz_config(4), tmp_path, f"vedge{seed}")
        verdicts.append(api.cosim(loaded, backend="pysim", max_cycles=40_000))
    assert all(v.verdict in AGREE for v in verdicts), [v.report for v in verdicts]
    assert {v.verdict for v in verdicts} == set(AGREE), [v.ended for v in verdicts]
