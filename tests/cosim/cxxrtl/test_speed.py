"""Speed of the CXXRTL backend against the Amaranth simulator on the same design and the
same harness protocol (figures printed; thresholds are loose because the machine is
shared -- the targets and measured numbers are in docs/simulation-backends.md).

Times are thread CPU times: both simulators run in the calling thread, and other jobs on
the machine would otherwise dominate wall-clock figures.
"""

import time

import pytest

from .designs import ToyCpu, sum_program
from .harness import configure, run_cxxrtl, run_pysim

pytestmark = pytest.mark.long

PROGRAM = sum_program(100, loops=1000)  # ~2.9 M cycles, ~45 % of them retire


def measure(function):
    start = time.thread_time()
    result = function()
    return result, time.thread_time() - start


@pytest.mark.parametrize("lanes", [1, 24])  # 237 and 2721 Yosys cells after proc/opt
def test_cxxrtl_vs_pysim(built, lanes, capsys):
    model = built(ToyCpu(program=PROGRAM, lanes=lanes)).instantiate()
    assert model.single_eval
    configure(model, buffer_records=1 << 20)
    model.run(200_000)  # warm up: page in the library's code
    model.reset()
    raw, raw_s = measure(lambda: model.run(1_000_000))
    assert raw.cycles == 1_000_000
    model.reset()
    two_step = built(ToyCpu(program=PROGRAM, lanes=lanes)).instantiate(single_eval=False)
    configure(two_step, buffer_records=1 << 20)
    two_step.run(100_000)
    two_step.reset()
    two, two_s = measure(lambda: two_step.run(300_000))
    assert two.cycles == 300_000
    model.reset()
    cxx, cxx_s = measure(lambda: run_cxxrtl(model, 1_000_000))
    ref, ref_s = measure(lambda: run_pysim(ToyCpu(program=PROGRAM, lanes=lanes), 1500))
    assert cxx.records[:len(ref.records)] == ref.records
    loop_rate, harness_rate = raw.cycles / raw_s, cxx.cycles / cxx_s
    pysim_rate = ref.cycles / ref_s
    ratio = harness_rate / pysim_rate
    with capsys.disabled():
        print(f"\n[cxxrtl] ToyCpu lanes={lanes}: C++ loop {loop_rate / 1e6:.2f} M cycles/s "
              f"(two steps per cycle: {two.cycles / two_s / 1e6:.2f} M), harness with decoding "
              f"{harness_rate / 1e6:.2f} M cycles/s; Amaranth simulator {pysim_rate:.0f} "
              f"cycles/s; ratio {ratio:.0f}x")
    assert ratio > 100
    if lanes == 1:
        assert loop_rate > 1e6
