"""CXXRTL waveforms against the Amaranth simulator's: same names, same values at every
clock phase, cycle window honoured, file written atomically."""

import bisect

import pytest
import vcdvcd

from cosim.cxxrtl.model import DEFAULT_PERIOD_FS as P

from .designs import ToyCpu, sum_program
from .harness import run_cxxrtl, run_pysim

# Amaranth puts a lib.memory.Memory's port signals (and its domain's clk/rst) in a scope of
# its own as well; in RTLIL the memory is a cell, so CXXRTL has them in the parent only.
MEMORY_SCOPE_ONLY = {"clk", "rst", "fetch__addr", "fetch__data", "load__addr", "load__data",
                     "store__addr", "store__data", "store__en"}


def value_at(signal, time):
    times = [t for t, _ in signal.tv]
    i = bisect.bisect_right(times, time) - 1
    return int(signal.tv[i][1], 2) if i >= 0 else None


def sample_times(first_cycle, end_cycle):
    times = [0] if first_cycle == 0 else []
    for k in range(max(first_cycle, 1), end_cycle):
        times += [(2 * k - 1) * P // 2, k * P]
    return times


@pytest.fixture(scope="module")
def waves(tmp_path_factory, built):
    program = sum_program(4)
    tmp = tmp_path_factory.mktemp("vcd")
    reference = run_pysim(ToyCpu(program=program), 3000, vcd=str(tmp / "pysim.vcd"))
    model = built(ToyCpu(program=program)).instantiate()
    got = run_cxxrtl(model, 3000, vcd=str(tmp / "cxxrtl.vcd"))
    assert got.cycles == reference.cycles
    return (vcdvcd.VCDVCD(str(tmp / "pysim.vcd")), vcdvcd.VCDVCD(str(tmp / "cxxrtl.vcd")),
            reference.cycles, program, tmp)


def test_same_signal_names(waves):
    pysim, cxxrtl, *_ = waves
    names_p, names_c = set(pysim.references_to_ids), set(cxxrtl.references_to_ids)
    assert names_c <= names_p
    assert {name.rsplit(".", 1)[1] for name in names_p - names_c} <= MEMORY_SCOPE_ONLY
    assert all(name.startswith("bench.top.mem.") for name in names_p - names_c)
    assert {"bench.top.\\retire.valid", "bench.top.\\retire.pc", "bench.top.l0_r15",
            "bench.top.\\mem[0]", "bench.top.\\mem[1023]", "bench.top.clk"} <= names_c
    assert len(names_c) > 1000


def test_same_values_at_every_phase(waves):
    pysim, cxxrtl, cycles, *_ = waves
    times = sample_times(0, cycles)
    for name in sorted(set(cxxrtl.references_to_ids)):
        a, b = pysim[name], cxxrtl[name]
        for t in times:
            assert value_at(a, t) == value_at(b, t), (name, t)


def test_window_and_atomic_write(waves, built):
    pysim, _, cycles, program, tmp = waves
    model = built(ToyCpu(program=program)).instantiate()
    target = tmp / "window.vcd"
    model.vcd_open(target, 40, 60, memories=False)
    model.run(50)
    assert not target.exists()  # only a hidden temporary beside it until closed
    assert [p.name for p in tmp.glob(".window.vcd.*")]
    model.run(100)
    model.vcd_close()
    assert target.exists() and not list(tmp.glob(".window.vcd.*"))
    window = vcdvcd.VCDVCD(str(target))
    all_times = sorted({t for ref in window.references_to_ids for t, _ in window[ref].tv})
    assert all_times[0] == (2 * 40 - 1) * P // 2 and all_times[-1] == 59 * P
    assert not any(r.startswith("bench.top.\\mem[") for r in window.references_to_ids)
    for name in ("bench.top.pc_out", "bench.top.\\retire.insn", "bench.top.executing"):
        for t in sample_times(40, 60):
            assert value_at(window[name], t) == value_at(pysim[name], t), (name, t)


def test_discarded_vcd_leaves_nothing(tmp_path, built):
    model = built(ToyCpu(program=sum_program(2))).instantiate()
    model.vcd_open(tmp_path / "x.vcd")
    model.run(10)
    model.vcd_close(keep=False)
    assert list(tmp_path.iterdir()) == []
    model.vcd_open(tmp_path / "y.vcd")
    model.close()  # closing the model with an open VCD discards it too
    assert list(tmp_path.iterdir()) == []


def test_cycle_strategies_write_identical_vcds(tmp_path, built):
    build = built(ToyCpu(program=sum_program(3)))
    texts = []
    for single_eval in (True, False):
        model = build.instantiate(single_eval=single_eval)
        run_cxxrtl(model, 3000, vcd=str(tmp_path / f"{single_eval}.vcd"), vcd_window=(5, 400))
        texts.append((tmp_path / f"{single_eval}.vcd").read_text())
    assert texts[0] == texts[1] and texts[0].count("\n#") > 100
