"""The random Zve32x programs of `cosim.vector_fuzz` (every category of the ISA table, the
generator QEMU checks in test_vector_qemu.py) on the RTL, in lockstep with the
interpreter: every retired instruction's record equal, at several VLEN/LANES, with
non-zero vstarts, and wild last instructions (misaligned groups, forbidden overlaps)
that both must trap alike. Longer campaigns: ``make fuzz`` (``python -m
cosim.vector_fuzz --rtl``)."""

import pytest

from cosim import vector_fuzz as vf
from hw.oxcore.vector import lane as lane_module
from hw.oxcore.vector.decode import AluOp

LENGTH = 30
CASES = [(128, 2, 0, 0.0), (256, 4, 1, 0.1), (512, 8, 2, 0.0), (64, 1, 3, 0.1)]


@pytest.mark.parametrize("vlen,lanes,seed,vstart_rate", CASES,
                         ids=[f"v{v}x{n}-seed{s}" for v, n, s, _ in CASES])
def test_random_vector_program_cosimulates(vlen, lanes, seed, vstart_rate, tmp_path):
    report = vf.cosim_rtl(seed, vlen, lanes, LENGTH, vstart_rate, workdir=tmp_path)
    assert not report, "\n" + report


def test_wild_last_instructions_trap_alike(tmp_path):
    failures = [report for seed in range(500, 505)
                if (report := vf.cosim_rtl(seed, 256, 4, 3, wild=True, workdir=tmp_path))]
    assert not failures, "\n" + "\n".join(failures)


def test_a_broken_lane_fails_the_fuzz(tmp_path, monkeypatch):
    """Fault injection: vadd subtracts in the lanes; a program with a vadd must fail."""
    seed = next(s for s in range(100)
                if "vadd.v" in vf.generate(s, 128, LENGTH).source())
    monkeypatch.setitem(lane_module.CONTROL, AluOp.ADD, lane_module.CONTROL[AluOp.SUB])
    report = vf.cosim_rtl(seed, 128, 2, LENGTH, workdir=tmp_path)
    assert "fail" in report.splitlines()[0], report
