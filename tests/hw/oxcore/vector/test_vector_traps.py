"""The illegal-instruction traps vtype, vstart and the register groups decide, precise
on the RTL (`VectorEngine._precise_traps`), in lockstep with the interpreter.

Each program ends with the instruction that must trap, named here by hand from the rules
(spec 3.4.1: with vill set, an instruction that depends on vtype is illegal; vset{i}vl{i},
the whole-register loads, stores and moves and the CSR instructions are not; 2*SEW
operands need 2*SEW <= ELEN = 32; vzext/vsext need SEW/factor >= 8; spec 5.3: a
masked instruction's destination, unless a mask, cannot be v0; 3.4.2 and 5.2: groups
aligned to EMUL, EMUL <= 8, overlaps only where the EEWs allow; 7.8: nf x EMUL <= 8
and within v31, 7.8.3: an indexed segment load's fields clear of its index; 16.6 and
7.9: whole-register groups aligned; 14, 15.2-15.8, 16.5: vstart = 0; 15.4: vmsbf, masked,
not into v0), after legal neighbours of it: both simulators must trap there, and
everything before it must agree. The rules' unit is checked against the interpreter
over every row in tests/hw/oxcore/vector/test_group_check.py.
"""

from pathlib import Path

import pytest

from hw.oxcore.vector import engine as engine_module
from tests.hw.oxcore.vector.test_vector_engine import _cosim, _start, config

SETUP = ["vsetvli t0, zero, e32, m1, ta, ma", "vle32.v v1, (s0)", "vadd.vv v2, v1, v1"]

# name: (instructions, the mnemonic that traps)
CASES = {
    # vill from reset: the first vector instruction that needs vtype
    "from_reset": (["vl1re32.v v3, (s0)", "vmv1r.v v4, v3", "vs1r.v v4, (s0)",
                    "csrr a1, vl", "csrr a2, vtype", "vadd.vv v5, v3, v4"], "vadd.vv"),
    # an illegal vtype (SEW 64) from vsetvli's immediate, then a legal one, then
    # vsetvl's rs2 (e16 at mf8: reserved at ELEN 32)
    "illegal_immediate": (SETUP + ["vsetvli t0, zero, e64, m1, ta, ma",
                                   "vl1re32.v v3, (s0)", "vmv.x.s a1, v1"], "vmv.x.s"),
    "legal_again": (SETUP + ["vsetvli t0, zero, e64, m1, ta, ma",
                             "vsetivli t0, 3, e8, m2, ta, ma", "vadd.vv v2, v4, v6",
                             "li t1, 0x0d", "vsetvl t0, zero, t1", "vse8.v v2, (s0)"],
                    "vse8.v"),
    # 2*SEW operands at SEW 32 (ELEN 32): widening, narrowing, a widening reduction;
    # extension from below 8 bits (vf2 at e16 is fine, vf4 is not)
    "widening_at_e32": (SETUP + ["vsetvli t0, zero, e16, m1, ta, ma",
                                 "vwadd.vv v4, v1, v2", "vsetvli t0, zero, e32, m1, ta, ma",
                                 "vwadd.vv v4, v1, v2"], "vwadd.vv"),
    "narrowing_at_e32": (SETUP + ["vnsrl.wi v4, v2, 1"], "vnsrl.wi"),
    "widening_reduction_at_e32": (SETUP + ["vwredsum.vs v4, v1, v2"], "vwredsum.vs"),
    "extension_below_8_bits": (SETUP + ["vsetvli t0, zero, e16, m1, ta, ma",
                                        "vzext.vf2 v4, v1", "vsext.vf4 v5, v1"], "vsext.vf4"),
    # a masked instruction writing v0, its own mask (spec 5.3): not a compare, a
    # store or a reduction; vmerge, vadc (v0 its carry input), a masked load do trap
    "masked_v0_compare_store_ok": (SETUP + ["vmseq.vv v0, v1, v2, v0.t",
                                            "vse32.v v0, (s0), v0.t",
                                            "vredsum.vs v0, v1, v2, v0.t",
                                            "vadd.vv v0, v1, v2, v0.t"], "vadd.vv"),
    "masked_v0_merge": (SETUP + ["vmerge.vvm v3, v1, v2, v0",
                                 "vmerge.vvm v0, v1, v2, v0"], "vmerge.vvm"),
    "masked_v0_carry": (SETUP + ["vadc.vvm v3, v1, v2, v0", "vadc.vvm v0, v1, v2, v0"],
                        "vadc.vvm"),
    "masked_v0_load": (SETUP + ["vle32.v v3, (s0), v0.t", "vle32.v v0, (s0), v0.t"],
                       "vle32.v"),
    # a vill vtype right before, in the same dispatch stream as the load behind it
    "right_behind": (SETUP + ["li t1, 0x100", "vsetvl t0, zero, t1", "vle8.v v1, (s0)"],
                     "vle8.v"),
    # register groups: v3 is not a multiple of LMUL 2
    "misaligned_group": (SETUP + ["vsetvli t0, zero, e32, m2, ta, ma", "vadd.vv v2, v4, v6",
                                  "vadd.vv v3, v4, v6"], "vadd.vv"),
    # a widening destination (v2-v3) may overlap a source at its highest part, not at
    # its lowest
    "widening_overlap": (SETUP + ["vsetvli t0, zero, e8, m1, ta, ma", "vwadd.vv v2, v3, v4",
                                  "vwadd.vv v2, v2, v4"], "vwadd.vv"),
    # a narrowing destination at its source's first register only
    "narrowing_overlap": (SETUP + ["vsetvli t0, zero, e8, m1, ta, ma", "vnsrl.wi v2, v2, 1",
                                   "vnsrl.wi v3, v2, 1"], "vnsrl.wi"),
    # a mask destination on a source group's first register only
    "compare_overlap": (SETUP + ["vsetvli t0, zero, e8, m2, ta, ma", "vmseq.vv v2, v2, v4",
                                 "vmseq.vv v3, v2, v4"], "vmseq.vv"),
    # vslidedown may write its source, vslideup not
    "slideup_overlap": (SETUP + ["vslidedown.vi v2, v2, 1", "vslideup.vi v2, v2, 1"],
                        "vslideup.vi"),
    # EMUL = 32/8 x 8 > 8
    "emul_out_of_range": (SETUP + ["vsetvli t0, zero, e8, m8, ta, ma", "vle8.v v8, (s0)",
                                   "vle32.v v16, (s0)"], "vle32.v"),
    # 4 fields of EMUL 2: v0-v7 fit, v26-v33 do not
    "segment_past_v31": (SETUP + ["vsetvli t0, zero, e32, m2, ta, ma", "vlseg4e32.v v8, (s0)",
                                  "vlseg4e32.v v26, (s0)"], "vlseg4e32.v"),
    # an indexed load may overlap an index of its EEW, a segment one not at all
    "indexed_segment_overlap": (SETUP + ["vsetvli t0, zero, e8, m1, ta, ma",
                                         "vmv.v.i v3, 0", "vluxei8.v v3, (s0), v3",
                                         "vluxseg2ei8.v v2, (s0), v3"], "vluxseg2ei8.v"),
    # whole registers, whatever vtype (here vill from reset): aligned to their count
    "whole_register_alignment": (["vl2re32.v v2, (s0)", "vmv2r.v v4, v2",
                                  "vmv2r.v v5, v2"], "vmv2r.v"),
    # vstart = 0 needed: a csr write of vstart reaches the reduction; vadd resets it,
    # csrci clears it, csrsi sets it again
    "vstart_reduction": (SETUP + ["csrwi vstart, 1", "vadd.vv v3, v1, v2",
                                  "vredsum.vs v4, v1, v2", "csrwi vstart, 2",
                                  "csrci vstart, 2", "vcpop.m a1, v1", "csrsi vstart, 1",
                                  "vcpop.m a1, v1"], "vcpop.m"),
    # vmsbf, masked, may not write v0
    "masked_vmsbf_into_v0": (SETUP + ["vmsbf.m v3, v1, v0.t", "vmsbf.m v0, v1, v0.t"],
                             "vmsbf.m"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_illegal_instructions_trap_precisely(name, tmp_path):
    lines, mnemonic = CASES[name]
    source = "\n".join(_start(*(f"    {line}" for line in lines))) + "\n" + _tail()
    verdict = _cosim(source, config(128, 2), tmp_path, name)
    assert verdict.verdict == "trap", verdict.report
    assert verdict.ended["cause"] == "illegal_instruction", verdict.ended
    assert verdict.ended["disassembly"].split()[0] == mnemonic, verdict.ended


def _tail() -> str:
    return "    li a0, 0\n    li a7, 93\n    ecall\n    .data\ndata:\n" + \
        "    .word 1, 2, 3, 4, 5, 6, 7, 8\n"


def test_vill_followed_only_at_execution_is_caught(tmp_path, monkeypatch):
    """Fault injection: the dispatched copy of vill takes every vtype as legal; the
    program with an illegal vtype must then diverge."""
    monkeypatch.setattr(engine_module, "_vtype_legal_hook", lambda vtype: 1)
    lines, _ = CASES["illegal_immediate"]
    source = "\n".join(_start(*(f"    {line}" for line in lines))) + "\n" + _tail()
    assert _cosim(source, config(128, 2), tmp_path, "no_vill").verdict == "fail"


def test_a_missed_v0_destination_is_caught(tmp_path, monkeypatch):
    """Fault injection: no masked instruction is found writing v0; the masked load into
    v0 must then diverge."""
    monkeypatch.setattr(engine_module, "_writes_its_mask", lambda insn, uop: 0)
    lines, _ = CASES["masked_v0_load"]
    source = "\n".join(_start(*(f"    {line}" for line in lines))) + "\n" + _tail()
    assert _cosim(source, config(128, 2), tmp_path, "no_v0_check").verdict == "fail"


def test_a_missed_group_rule_is_caught(tmp_path, monkeypatch):
    """Fault injection: no register group is misaligned; the misaligned vadd must then
    diverge."""
    from hw.oxcore.vector import group_check
    monkeypatch.setattr(group_check, "misaligned_group", lambda reg, emul: 0)
    lines, _ = CASES["misaligned_group"]
    source = "\n".join(_start(*(f"    {line}" for line in lines))) + "\n" + _tail()
    assert _cosim(source, config(128, 2), tmp_path, "no_alignment").verdict == "fail"
