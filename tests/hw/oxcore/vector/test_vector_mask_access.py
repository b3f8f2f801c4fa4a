"""The mask load and store (vlm.v, vsm.v) on the vector engine's RTL, in lockstep with the
golden interpreter (`test_vector_engine._cosim`): ceil(vl/8) bytes (spec 7.4) at vl not a
multiple of 8, vl = 1, vl = 0 and vl = VLMAX at e8/m8, under several SEW/LMUL (the length
depends on vl alone), from misaligned bases, with a non-zero vstart (below the length and
past it), into a register that is not LMUL-aligned while an arithmetic op writes its
group; a mask loaded into v0 used by masked ops, and a compare's mask stored. A few
results are also checked against values worked out here (the program's exit status names
the first that differs), and an engine that gets the length wrong (fault injection) must
be caught at the access.
"""

from __future__ import annotations

import pytest

from tests.hw.oxcore.vector.test_vector_engine import _cosim, _finish, _start, config
from tests.hw.oxcore.vector.test_vector_fault_first import _Checks

DATA = bytes((37 * i + 11) % 256 for i in range(512))  # the program's data (s0)
STORES = 1024  # s1 = data + STORES: where the stores go (zeros until then)
SENTINEL = 0x5A  # a byte the stores must leave alone

# (SEW, LMUL, AVL or None for VLMAX, base offset from s0, vstart, vd): every evl case
ACCESSES = [(8, "m1", 13, 3, 0, 1), (32, "m2", 1, 1, 0, 2), (16, "mf2", 0, 5, 0, 3),
            (8, "m8", None, 7, 0, 5), (16, "m4", 17, 2, 1, 6), (8, "m2", 9, 0, 5, 7),
            (8, "mf4", 2, 1, 0, 9), (32, "m1", None, 6, 0, 10), (16, "m1", 31, 9, 2, 11)]


def _loads_and_stores() -> list[str]:
    """Each of `ACCESSES`: vd preset to -1 (the bytes past the length stay so), vlm.v
    from s0 + offset, then vsm.v of vd to the store region at another misaligned offset,
    both after the same vstart."""
    lines = ["    vsetvli t0, zero, e8, m8, ta, ma", "    vmv.v.i v0, -1", "    vmv.v.i v8, -1"]
    for k, (sew, lmul, avl, offset, vstart, vd) in enumerate(ACCESSES):
        avl_reg = "zero" if avl is None else "t3"
        lines += [f"    li t3, {avl or 0}", f"    vsetvli t2, {avl_reg}, e{sew}, {lmul}, tu, mu",
                  f"    addi t4, s0, {offset}", f"    addi t5, s1, {64 * k + offset + 1}"]
        lines += [f"    csrwi vstart, {vstart}"] * bool(vstart) + [f"    vlm.v v{vd}, (t4)"]
        lines += [f"    csrwi vstart, {vstart}"] * bool(vstart) + [f"    vsm.v v{vd}, (t5)"]
    return lines


def _overlapping_group() -> list[str]:
    """vlm.v into v9 right behind a vadd at m4 that writes v8..v11, and vsm.v of v14
    right behind one that reads v12..v15: the issue check must order each pair."""
    return ["    li t3, 40", "    vsetvli t2, t3, e16, m4, tu, mu",
            "    vadd.vv v8, v16, v20", "    addi t4, s0, 33", "    vlm.v v9, (t4)",
            "    vadd.vv v12, v16, v8", "    addi t5, s1, 701", "    vsm.v v9, (t5)",
            "    vadd.vi v12, v12, 3", "    vsm.v v14, (t5)"]


def _mask_uses(check: _Checks) -> list[str]:
    """A mask loaded into v0 (at e8/m2, vl 13 at any VLEN) masks a vadd (at e32/m2, another vl) and
    a vcpop; a vmseq's mask is stored (vl 21: three bytes, the last partly tail)."""
    bits = int.from_bytes(DATA[40:42], "little") & ((1 << 13) - 1)
    return [
        "    li t3, 13", "    vsetvli t2, t3, e8, m2, tu, mu", "    addi t4, s0, 40",
        "    vlm.v v0, (t4)", "    vcpop.m a1, v0", *check.equal("a1", bin(bits).count("1")),
        "    addi t5, s1, 801", "    vsm.v v0, (t5)",  # 2 bytes: data[40], data[41]
        "    lbu a1, 1(t5)", *check.equal("a1", DATA[41]),
        "    lbu a1, 2(t5)", *check.equal("a1", SENTINEL),
        "    vsetvli t2, zero, e32, m2, tu, mu", "    vmv.v.i v20, 1", "    vmv.v.i v22, 0",
        "    vadd.vv v22, v20, v20, v0.t", "    vmv.x.s a1, v22",
        *check.equal("a1", 2 if bits & 1 else 0),
        "    li t3, 21", "    vsetvli t2, t3, e16, m2, tu, mu", "    addi t4, s0, 64",
        "    vle16.v v24, (t4)", "    addi t4, s0, 66", "    vle16.v v26, (t4)",
        "    vmseq.vv v3, v24, v26", "    vmseq.vi v4, v24, 0", "    vmand.mm v3, v3, v4",
        "    addi t5, s1, 851", "    vsm.v v3, (t5)", "    vsm.v v4, (t5)",
        "    lbu a1, 3(t5)", *check.equal("a1", SENTINEL),
        "    vsetvli t2, zero, e8, m8, tu, mu", "    vmsne.vi v1, v8, 0",
        "    addi t5, s1, 901", "    csrwi vstart, 3", "    vsm.v v1, (t5)",
        "    lbu a1, 2(t5)", *check.equal("a1", SENTINEL),
    ]


def mask_access_program() -> str:
    check = _Checks()
    lines = _start(f"    li s1, {STORES}", "    add s1, s1, s0", "    j 1f", "fail:",
                   "    mv a0, a2", "    li a7, 93", "    ecall", "1:")
    lines += _loads_and_stores() + _overlapping_group() + _mask_uses(check)
    return _finish(lines, DATA + bytes(STORES - len(DATA)) + bytes([SENTINEL]) * 1024)


@pytest.mark.parametrize("vlen, lanes", [(128, 2), (64, 1), (256, 4)])
def test_mask_loads_and_stores_match_the_interpreter(vlen, lanes, tmp_path):
    verdict = _cosim(mask_access_program(), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", (verdict.ended, verdict.report)


@pytest.mark.parametrize("mnemonic, length", [
    ("vlm.v", lambda vl: vl),  # evl taken as vl: 13 bytes, not 2
    ("vsm.v", lambda vl: vl >> 3)])  # floor(vl/8): the last, partial byte dropped
def test_a_wrong_mask_length_is_caught(mnemonic, length, tmp_path, monkeypatch):
    """Fault injection: the engine's effective length of a mask access is wrong.
    Co-simulation must fail at the access."""
    from hw.oxcore.vector import engine as engine_module
    monkeypatch.setattr(engine_module, "_mask_bytes", length)
    source = _finish(_start("    li t3, 13", "    vsetvli t2, t3, e8, m1, tu, mu",
                            "    addi t4, s0, 3", f"    {mnemonic} v1, (t4)"), DATA)
    verdict = _cosim(source, config(128, 2), tmp_path, "mask_length")
    assert verdict.verdict == "fail"
    assert mnemonic in verdict.report
