"""Engine ports on CXXRTL: besides the retire port, the harness records the core's
completion port and every engine's commit port and merges them as the Amaranth-simulator
harness does (`cosim.completions.Completions`). Same records, same order, same cycles,
same stops, on the vector engine's random programs and on the test engine AddEngine;
and a corrupted engine report is caught on CXXRTL as it is on pysim."""

from __future__ import annotations

import io

import pytest
from amaranth import Module, Signal
from amaranth.lib import wiring

from cosim import rtl_sim
from cosim.iss import Interpreter
from cosim.lockstep import Lockstep, run_in_lockstep
from cosim.rtl_backend import resolve, rtl_simulator
from cosim.rtl_cxxrtl import CxxrtlSimulator
from hw.oxcore.engine import engines_for_config
from hw.oxcore.top import Top
from oxcore import api
from oxcore.program import Program
from sw.asm.assembler import assemble_source
from sw.asm.driver import render
from tests.cosim.test_engine_cosim import ISA, OffByOneEngine
from tests.cosim.test_engine_cosim import program as engine_program
from tests.hw.oxcore.test_engine import CONFIG as ADD_CONFIG, AddEngine
from tests.hw.oxcore.vector.test_vector_engine import config, random_program

# Every test here builds a CXXRTL model of a whole core with an engine (its C++ compiles
# for minutes on a fresh machine): `make test-long` runs them, not `make test`, whose
# budget they would exceed. `make test` covers the CXXRTL decoding of engine ports on a
# toy design (tests/cosim/cxxrtl/test_retire_toy_engine.py), the merge of engine reports
# on pysim (tests/cosim/test_engine_cosim.py) and the engines themselves on pysim.
pytestmark = [pytest.mark.usefixtures("cxx"), pytest.mark.long]

# The smallest vector engine (one lane, two beats a register).
VECTOR = config(64, 1)


def _vector_program(seed: int, cfg=VECTOR, tmp_path=None) -> Program:
    image = assemble_source(random_program(seed), f"v{seed}.S", cfg)
    elf = tmp_path / f"v{seed}.elf"
    elf.write_bytes(render(image, "elf", cfg))
    return api.load(elf, cfg)


def _plugged(monkeypatch, make):
    """Runs build their Top with the engines `make(config)` returns."""
    monkeypatch.setattr(rtl_sim, "Top", lambda config, program, faults: Top(
        config, program, faults, engines=make(config)))


def _run(backend: str, cfg, program: Program, batches: bool = False, **limits):
    """(stop, [(cycle, record)], program output) on one backend; with `batches`, the
    records as `on_batch` delivers them (cycles from the batches' columns)."""
    out = io.BytesIO()
    sim = rtl_simulator(backend, cfg, program, stdout=out, stderr=io.BytesIO())
    records: list = []
    if batches:
        def keep(batch):
            records.extend(zip(batch.cycle.tolist(), batch.records()))
        stop = sim.run(on_batch=keep, **limits)
    else:
        stop = sim.run(on_retire=lambda r: records.append((sim.cycle, r)), **limits)
    return stop, records, out.getvalue()


def _assert_same(cfg, program: Program, **limits) -> tuple:
    slow = _run("pysim", cfg, program, **limits)
    fast = _run("cxxrtl", cfg, program, **limits)
    for name, a, b in zip(("stop", "records (cycle, record)", "output"), slow, fast):
        assert a == b, f"{name} differ"
    assert _run("cxxrtl", cfg, program, batches=True, **limits)[:2] == slow[:2]
    return slow


# ---- the vector engine ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 5])
def test_vector_programs_give_identical_streams(seed, tmp_path):
    program = _vector_program(seed, tmp_path=tmp_path).program
    stop, records, _ = _assert_same(VECTOR, program, max_cycles=60_000)
    assert stop.reason == "exit"
    vector = [r for _, r in records if any(type(e).__name__ == "VWrite" for e in r.effects)]
    assert len(vector) > 10  # the engine's reports reached the records


@pytest.mark.parametrize("limits", [{"max_instructions": 40}, {"max_cycles": 150}])
def test_vector_limits_stop_alike(limits, tmp_path):
    """Stopped with instructions in flight: held records flushed alike."""
    _assert_same(VECTOR, _vector_program(2, tmp_path=tmp_path).program, **limits)


@pytest.mark.parametrize("seed", [1, 5])
def test_default_vector_engine_gives_identical_streams(seed, tmp_path):
    """VLEN 256 and four lanes, the `vector` preset's engine."""
    cfg = config(256, 4)
    stop, _, _ = _assert_same(cfg, _vector_program(seed, cfg, tmp_path).program,
                              max_cycles=60_000)
    assert stop.reason == "exit"


def test_wide_ports(tmp_path):
    """VLEN 1024: 1024-bit data on the engine's commit port."""
    cfg = config(1024, 1)
    stop, _, _ = _assert_same(cfg, _vector_program(3, cfg, tmp_path).program,
                              max_cycles=60_000)
    assert stop.reason == "exit"


@pytest.mark.parametrize("seed", [1, 5])
def test_vector_cosim_passes_on_cxxrtl(seed, tmp_path):
    verdict = api.cosim(_vector_program(seed, tmp_path=tmp_path), backend="cxxrtl",
                        max_cycles=60_000)
    assert verdict.verdict == "pass", verdict.report


class CorruptReports(wiring.Component):
    """An engine passed through, with the register number of its reports' vector
    writes flipped in bit 0: a bug in the report for co-simulation to find."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.commit_spec = inner.commit_spec
        super().__init__(inner.signature)
        self.commit = Signal(inner.commit.shape(), name="vcommit")

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.inner = inner = self.inner
        wiring.connect(m, wiring.flipped(self.pipe), inner.pipe)
        wiring.connect(m, wiring.flipped(self.mem), inner.mem)
        m.d.comb += [self.commit.eq(inner.commit),
                     self.commit.v.reg.eq(inner.commit.v.reg ^ 1)]
        return m


def test_a_corrupted_report_is_caught_on_cxxrtl(tmp_path, monkeypatch):
    cfg = config(128, 1)  # the smallest engine: this design is built for this test alone
    loaded = _vector_program(1, cfg, tmp_path)
    _plugged(monkeypatch, lambda cfg: [CorruptReports(e) for e in engines_for_config(cfg)])
    verdict = api.cosim(loaded, backend="cxxrtl", max_cycles=60_000)
    assert verdict.verdict == "fail"
    assert "v.reg" in verdict.report or "vector" in verdict.report.lower(), verdict.report
    slow = api.cosim(loaded, backend="pysim", max_cycles=60_000)
    assert slow.report == verdict.report  # caught at the same instruction, alike


# ---- the test engine (scalar results on the completion port) -------------------------------
def test_add_engine_gives_identical_streams(monkeypatch):
    _plugged(monkeypatch, lambda cfg: [AddEngine(10)])
    stop, records, _ = _assert_same(ADD_CONFIG, engine_program().program(), max_cycles=5_000)
    assert stop.reason == "exit" and stop.exit_value == 246


def _lockstep_on_cxxrtl(engine, monkeypatch):
    prog = engine_program().program()
    lockstep = Lockstep(Interpreter(ADD_CONFIG, prog, io.BytesIO(), io.BytesIO(), isa=ISA))
    _plugged(monkeypatch, lambda cfg: [engine])
    sim = CxxrtlSimulator(ADD_CONFIG, prog, stdout=io.BytesIO(), stderr=io.BytesIO())
    stop = run_in_lockstep(sim, lockstep, max_cycles=5_000)
    lockstep.finish()
    return lockstep, stop


def test_add_engine_lockstep_on_cxxrtl(monkeypatch):
    lockstep, stop = _lockstep_on_cxxrtl(AddEngine(10), monkeypatch)
    assert lockstep.divergence is None
    assert stop.reason == "exit" and stop.exit_value == 246 and lockstep.checked == 14


def test_a_wrong_completion_is_caught_on_cxxrtl(monkeypatch):
    lockstep, _ = _lockstep_on_cxxrtl(OffByOneEngine(10), monkeypatch)
    assert lockstep.divergence is not None and lockstep.divergence.fields == ["x.value"]
    assert lockstep.divergence.order == 4


def test_auto_chooses_cxxrtl_for_engine_configs(monkeypatch):
    monkeypatch.setenv("OXCORE_RTL_BACKEND", "auto")
    assert resolve("auto") == "cxxrtl"
    _plugged(monkeypatch, lambda cfg: [AddEngine(10)])
    sim = rtl_simulator("auto", ADD_CONFIG, _words_exit(ADD_CONFIG), stdout=io.BytesIO(),
                        stderr=io.BytesIO())
    assert isinstance(sim, CxxrtlSimulator) and sim.run().reason == "exit"


def _words_exit(cfg) -> Program:
    from oxcore.isa import BY_MNEMONIC
    from oxcore.program import Segment
    words = [BY_MNEMONIC["addi"].encode(rd=17, rs1=0, imm=93), BY_MNEMONIC["ecall"].encode()]
    text = b"".join(w.to_bytes(4, "little") for w in words)
    return Program("exit", cfg.mem_base, [Segment(cfg.mem_base, text, len(text), True)])
