"""CXXRTL vs the Amaranth simulator: identical outputs every cycle, identical retire
streams and cycle counts, at the pinned write_cxxrtl level (-O6) and at -O3, with both
cycle strategies of the driver (one eval per cycle, two steps per cycle).

Also shows the trap the driver avoids: at -O4 and above, a combinational output read
right after a rising-edge step is one cycle stale.
"""

import random

import pytest
from amaranth.sim import Simulator

from cosim.cxxrtl import StopReason

from .designs import Counter, ToyCpu, sum_program
from .harness import OUTPUT_PORTS, run_cxxrtl, run_pysim

COUNTER_OUTPUTS = ("cnt", "comb_out", "mixed")


def counter_inputs(cycles: int, seed: int = 1) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return [(rng.randrange(256), rng.randrange(2)) for _ in range(cycles)]


def pysim_counter(inputs) -> list[tuple[int, ...]]:
    dut = Counter()
    samples = []
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def testbench(ctx):
        for inc, sel in inputs:
            ctx.set(dut.inc, inc)
            ctx.set(dut.sel, sel)
            samples.append(tuple(ctx.get(getattr(dut, name)) for name in COUNTER_OUTPUTS))
            await ctx.tick()

    sim.add_testbench(testbench)
    sim.run()
    return samples


def cxxrtl_counter(model, inputs) -> list[tuple[int, ...]]:
    samples = []
    for inc, sel in inputs:
        model.poke("inc", inc)
        model.poke("sel", sel)
        samples.append(tuple(model.peek(name) for name in COUNTER_OUTPUTS))
        assert model.run(1).cycles == 1
    return samples


@pytest.mark.parametrize("opt_level,single_eval", [(6, True), (6, False), (3, False)])
def test_counter_every_cycle_random_inputs(built, opt_level, single_eval):
    inputs = counter_inputs(300)
    reference = pysim_counter(inputs)
    model = built(Counter(), opt_level=opt_level).instantiate(single_eval=single_eval)
    assert model.single_eval == single_eval
    assert cxxrtl_counter(model, inputs) == reference


def test_o3_design_has_no_one_eval_path(built):
    model = built(Counter(), opt_level=3).instantiate()
    assert not model.single_eval  # its eval never claims convergence in one pass


@pytest.mark.parametrize("single_eval", [True, False])
def test_counter_batch_records_every_output(built, single_eval):
    """Constant inputs, one C++ call for all cycles, every output recorded each cycle."""
    inputs = [(7, 1)] * 150 + [(200, 0)] * 150
    reference = pysim_counter(inputs)
    model = built(Counter()).instantiate(single_eval=single_eval)
    fmt = model.configure(record=COUNTER_OUTPUTS)
    rows = []
    for start, length in ((0, 150), (150, 150)):
        model.poke("inc", inputs[start][0])
        model.poke("sel", inputs[start][1])
        result = model.run(length)
        assert (result.cycles, result.reason) == (length, StopReason.CYCLES)
        columns = fmt.decode(result.records)
        assert columns["cycle"].tolist() == list(range(start, start + length))
        rows += list(zip(*(columns[name].tolist() for name in COUNTER_OUTPUTS)))
    assert rows == reference


def test_stale_combinational_output_trap(built):
    """A naive driver (clock low step, clock high step, sample) reads comb outputs one
    cycle stale at -O6 -- but not at -O3, where outputs are buffered wires that the step
    loop settles. The driver samples after settling, so both levels match pysim."""
    inputs = [(5, 0)] * 40
    reference = pysim_counter(inputs)

    def naive(model):
        samples = []
        model.poke("inc", 5)
        model.poke("sel", 0)
        model.settle()
        for _ in inputs:
            samples.append(tuple(model.peek(name) for name in COUNTER_OUTPUTS))
            model.raw_step(0)
            model.raw_step(1)
        return samples

    o6 = naive(built(Counter(), opt_level=6).instantiate())
    o3 = naive(built(Counter(), opt_level=3).instantiate())
    assert o3 == reference
    assert o6 != reference
    # the synchronous output is right, the combinational ones show the previous cycle
    assert [row[0] for row in o6] == [row[0] for row in reference]
    stale = [k for k in range(1, len(inputs)) if o6[k][1:] != reference[k][1:]]
    assert stale and all(o6[k][1:] == reference[k - 1][1:] for k in stale)
    for opt_level in (6, 3):
        model = built(Counter(), opt_level=opt_level).instantiate()
        assert cxxrtl_counter(model, inputs) == reference


@pytest.mark.parametrize("single_eval", [True, False])
def test_toycpu_all_outputs_every_cycle(built, single_eval):
    program = sum_program(12)
    reference = run_pysim(ToyCpu(program=program), 5000, all_outputs=True)
    assert reference.halted and reference.exit_code is not None
    model = built(ToyCpu(program=program)).instantiate(single_eval=single_eval)
    got = run_cxxrtl(model, 5000, all_outputs=True)
    assert len(got.outputs) == len(reference.outputs) == reference.cycles
    for cycle, (a, b) in enumerate(zip(got.outputs, reference.outputs)):
        assert a == b, (cycle, dict(zip(OUTPUT_PORTS, a)), dict(zip(OUTPUT_PORTS, b)))
    assert got.cycles == reference.cycles


@pytest.mark.parametrize("lanes,opt_level,single_eval",
                         [(1, 6, True), (1, 6, False), (3, 6, True), (1, 3, False)])
def test_toycpu_retire_stream_calls_and_cycles(built, lanes, opt_level, single_eval):
    program = sum_program(20, loops=2)
    reference = run_pysim(ToyCpu(program=program, lanes=lanes), 20000)
    assert reference.halted and len(reference.records) > 200
    model = built(ToyCpu(program=program, lanes=lanes),
                  opt_level=opt_level).instantiate(single_eval=single_eval)
    got = run_cxxrtl(model, 20000, batch=997)  # odd batches: stops fall anywhere
    assert got.records == reference.records
    assert (got.cycles, got.halted) == (reference.cycles, True)
    assert (bytes(got.output), got.exit_code) == (bytes(reference.output), reference.exit_code)
    assert got.memory == reference.memory
