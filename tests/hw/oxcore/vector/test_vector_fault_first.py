"""Fault-only-first loads (vle<eew>ff.v, vlseg<nf>e<eew>ff.v) on the vector engine's RTL,
in lockstep with the golden interpreter (`test_vector_engine._cosim`) and against vl
values and data worked out by hand: a load whose elements all lie in RAM (an ordinary
load); loads running off the end of RAM (vl trimmed to the first active element past
it, then read by csrr and a vsetvli that keeps vl, and used by later instructions);
a segment load; masked ones (a masked-off element past the end does not trim, nor one
below the RAM's start); a misaligned base and a non-zero vstart before the first active
element; and an engine that never trims (fault injection).
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from tests.hw.oxcore.vector.test_vector_engine import _cosim, _finish, _lmul, _start, config

TOP_WORDS = (0x00020001, 0x00040003, 0x00060005)  # written at the end of RAM
DATA = bytes(range(256))  # the program's data (`data`, s0)
MASK32 = 0xFFFF_FFFF


class _Checks:
    """A directed program's checks: each compares a scalar register with a value worked
    out here, and on a difference exits with the check's number (1, 2, ...)."""

    def __init__(self) -> None:
        self.count = 0

    def equal(self, register: str, value: int | str) -> list[str]:
        self.count += 1
        load = f"    mv t2, {value}" if isinstance(value, str) else \
            f"    li t2, {value & MASK32:#x}"
        return [f"    li a2, {self.count}", load, f"    bne {register}, t2, fail"]

    def vl(self, value: int | str) -> list[str]:
        return ["    csrr a1, vl", *self.equal("a1", value)]

    def sum(self, vreg: str, sew: int, lmul: str, value: int) -> list[str]:
        """The sum of `vreg`'s elements below vl (which a vsetvli zero, zero keeps)."""
        return [f"    vsetvli zero, zero, e{sew}, {lmul}, tu, mu", "    vmv.s.x v31, zero",
                f"    vredsum.vs v30, {vreg}, v31", "    vmv.x.s a1, v30",
                *self.equal("a1", value & ((1 << sew) - 1))]


def _words(data: bytes, count: int) -> list[int]:
    return [int.from_bytes(data[4 * k:4 * k + 4], "little") for k in range(count)]


def directed_program(vlen: int, mem_base: int, mem_end: int) -> str:
    """At e32/m2 VLMAX is vlen / 16 >= 4 elements, at e16/m1 vlen / 16 too."""
    vlmax = vlen // 16
    top = mem_end - 4 * len(TOP_WORDS)  # s1: TOP_WORDS[k] at s1 + 4k
    check = _Checks()
    lines = _start(f"    li s1, {top:#x}", "    j 1f", "fail:", "    mv a0, a2",
                   "    li a7, 93", "    ecall", "1:")
    for k, word in enumerate(TOP_WORDS):
        lines += [f"    li t1, {word:#x}", f"    sw t1, {4 * k}(s1)"]
    ones = (vlmax - 2) * MASK32  # the undisturbed tail elements (-1) of a sum at VLMAX
    lines += [  # all in RAM: an ordinary load, vl unchanged
        "    vsetvli t0, zero, e32, m2, tu, mu", "    vle32ff.v v2, (s0)", *check.vl("t0"),
        *check.sum("v2", 32, "m2", sum(_words(DATA, vlmax)))]
    lines += [  # from 8 bytes below the end: elements 0 and 1, vl = 2
        "    vsetvli t0, zero, e32, m2, tu, mu", "    vmv.v.i v4, -1", "    vmv.v.i v6, -1",
        "    addi t4, s1, 4", "    vle32ff.v v4, (t4)", *check.vl(2),
        "    vadd.vi v6, v4, 1",  # (at the trimmed vl)
        *check.sum("v4", 32, "m2", TOP_WORDS[1] + TOP_WORDS[2]), *check.vl(2),
        *check.sum("v6", 32, "m2", TOP_WORDS[1] + TOP_WORDS[2] + 2),
        "    vsetvli t0, zero, e32, m2, tu, mu",  # the tails: undisturbed
        *check.sum("v4", 32, "m2", TOP_WORDS[1] + TOP_WORDS[2] + ones),
        *check.sum("v6", 32, "m2", TOP_WORDS[1] + TOP_WORDS[2] + 2 + ones)]
    lines += [  # 2-field segments of e16 from 12 bytes below the end: 3 of them
        "    vsetvli t0, zero, e16, m1, tu, mu", "    vmv.v.i v8, -1", "    vmv.v.i v9, -1",
        "    vlseg2e16ff.v v8, (s1)", *check.vl(3),
        *check.sum("v8", 16, "m1", 1 + 3 + 5), *check.sum("v9", 16, "m1", 2 + 4 + 6)]
    lines += [  # masked, from 4 bytes below the end: element 1 (off) does not trim, 2 does
        "    vsetvli t0, zero, e32, m2, tu, mu", "    li t1, 0b0101", "    vmv.s.x v0, t1",
        "    vmv.v.i v10, -1", "    addi t4, s1, 8", "    vle32ff.v v10, (t4), v0.t",
        *check.vl(2), *check.sum("v10", 32, "m2", TOP_WORDS[2] + MASK32)]
    lines += [  # masked, element 0 (off) below the RAM, the others in it: no trim
        "    vsetvli t0, zero, e32, m2, tu, mu", "    li t1, 0b1110", "    vmv.s.x v0, t1",
        f"    li t4, {(mem_base - 4) & MASK32:#x}", "    vle32ff.v v12, (t4), v0.t",
        *check.vl("t0")]
    lines += [  # masked, misaligned: element 1 (the first active) trims vl to 1
        "    vsetvli t0, zero, e16, m1, tu, mu", "    li t1, 0b10", "    vmv.s.x v0, t1",
        "    addi t4, s0, 1", "    vle16ff.v v14, (t4), v0.t", *check.vl(1)]
    lines += [  # vstart 1, from 4 bytes below the end: element 1 trims vl to 1
        "    vsetvli t0, zero, e32, m2, tu, mu", "    addi t4, s1, 8", "    csrwi vstart, 1",
        "    vle32ff.v v16, (t4)", *check.vl(1)]
    return _finish(lines, DATA)


@pytest.mark.parametrize("vlen, lanes", [(128, 2), (64, 1)])
def test_fault_first_loads_match_the_interpreter_and_hand_values(vlen, lanes, tmp_path):
    cfg = config(vlen, lanes)
    verdict = _cosim(directed_program(vlen, cfg.mem_base, cfg.mem_end), cfg, tmp_path)
    assert verdict.verdict == "pass", (verdict.ended, verdict.report)


def test_an_engine_that_never_trims_is_caught(tmp_path, monkeypatch):
    """Fault injection: no element trims vl (the engine loads what is in RAM and leaves
    vl alone). Co-simulation must fail at the fault-only-first load, whose vl write
    the interpreter records."""
    from hw.oxcore.vector import engine as engine_module
    monkeypatch.setattr(engine_module, "_trims", lambda active, outside, index: 0)
    cfg = config(128, 2)
    source = _finish(_start(f"    li t4, {cfg.mem_end - 8:#x}",
                            "    vsetvli t0, zero, e32, m1, ta, ma", "    vle32ff.v v1, (t4)",
                            "    csrr a1, vl"), DATA)
    verdict = _cosim(source, cfg, tmp_path, "never_trims")
    assert verdict.verdict == "fail"
    assert "vle32ff.v" in verdict.report


# (SEW, LMUL) for the random fault-only-first loads (their EEW and nf are drawn for each)
RANDOM_VTYPES = [(8, "mf2"), (8, "m1"), (8, "m2"), (16, "mf2"), (16, "m1"), (16, "m4"),
                 (32, "m1"), (32, "m2")]


def random_program(seed: int, vlen: int, mem_end: int, length: int = 16) -> str:
    """Random fault-only-first loads (vle<eew>ff, vlseg<nf>e<eew>ff) at several SEW/LMUL,
    EEW and nf, masked or not, a non-zero vstart now and then, from the data (all in
    RAM) or from up to 12 elements below the end of RAM (vl trimmed, or not when
    those elements are masked off or vl is short); after each, csrr reads vl and a vadd
    runs at it."""
    rng = random.Random(seed)
    lines = _start("    vsetvli t0, zero, e8, m1, ta, ma", "    vle8.v v0, (s0)")
    done = 0
    while done < length:
        sew, lmul_name = rng.choice(RANDOM_VTYPES)
        lmul = _lmul(lmul_name)
        eew, nf = rng.choice([8, 16, 32]), rng.choice([1, 1, 2, 3, 4, 8])
        emul = Fraction(eew, sew) * lmul
        regs = max(1, int(emul))
        if not Fraction(1, 8) <= emul <= 8 or nf * regs > 8:
            continue
        done += 1
        masked = rng.random() < 0.4
        vd = rng.choice(range(regs if masked else 0, 33 - nf * regs, regs))
        segment = nf * eew // 8
        groups = range(0, 32, max(1, int(lmul)))  # (LMUL-aligned, for the vadd)
        lines += [f"    li t3, {rng.choice([1, 3, 5, 17, 1000])}",
                  f"    vsetvli t2, t3, e{sew}, {lmul_name}, tu, mu"]
        if rng.random() < 0.5:
            lines.append(f"    addi t4, s0, {rng.randrange(0, 32) * segment}")
        else:
            lines.append(f"    li t4, {mem_end - rng.randrange(1, 13) * segment:#x}")
        if rng.random() < 0.15:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 4)}")
        name = f"vle{eew}ff" if nf == 1 else f"vlseg{nf}e{eew}ff"
        lines += [f"    {name}.v v{vd}, (t4){', v0.t' if masked else ''}",
                  f"    csrr a{rng.randrange(1, 8)}, vl",
                  f"    vadd.vi v{rng.choice(groups)}, v{rng.choice(groups)}, 1"]
    return _finish(lines, random.Random(seed + 17).randbytes(1024))


@pytest.mark.parametrize("vlen, lanes, seed", [
    (128, 2, 1), pytest.param(64, 1, 2, marks=pytest.mark.long),
    pytest.param(256, 4, 3, marks=pytest.mark.long)])
def test_random_fault_first_loads_match_the_interpreter(vlen, lanes, seed, tmp_path):
    cfg = config(vlen, lanes)
    verdict = _cosim(random_program(seed, vlen, cfg.mem_end), cfg, tmp_path)
    assert verdict.verdict == "pass", verdict.report
