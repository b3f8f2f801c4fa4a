"""CXXRTL and the Amaranth simulator run the same RTL: identical retire streams, cycle
counts, counters, stop reasons, program output and waveform values, on the same
programs. (CXXRTL at write_cxxrtl -O6 can expose comb outputs a cycle stale if sampled
naively; this is the test that proves the harness samples correctly.)"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from oxcore.config import PRESETS
from oxcore.isa import BY_MNEMONIC
from oxcore.program import Program, Segment, load_program
from cosim.randprog import generate
from cosim.rtl_backend import rtl_simulator

CONFIG = PRESETS["default"]
ROOT = Path(__file__).resolve().parents[2]
PERIOD_FS = 1_000_000_000


def _run(backend: str, program: Program, **limits):
    out, err, records = io.BytesIO(), io.BytesIO(), []
    sim = rtl_simulator(backend, CONFIG, program, stdout=out, stderr=err)
    cycles: list[int] = []

    def keep(record):
        records.append(record)
        cycles.append(sim.cycle)
    stop = sim.run(on_retire=keep, **limits)
    return stop, records, cycles, out.getvalue(), err.getvalue()


def _assert_same(program: Program, **limits) -> None:
    slow = _run("pysim", program, **limits)
    fast = _run("cxxrtl", program, **limits)
    for name, a, b in zip(("stop", "records", "record cycles", "stdout", "stderr"), slow, fast):
        assert a == b, f"{name} differ"


def _words(words: list[int]) -> Program:
    text = b"".join(w.to_bytes(4, "little") for w in words)
    return Program("test", CONFIG.mem_base, [Segment(CONFIG.mem_base, text, len(text), True)])


E = lambda mnemonic, **ops: BY_MNEMONIC[mnemonic].encode(**ops)  # noqa: E731


@pytest.mark.parametrize("seed", range(6))
def test_random_programs(seed: int) -> None:
    _assert_same(generate(seed, CONFIG, length=250).program())


def test_c_program_with_output(tmp_path: Path) -> None:
    from sw.cc.driver import compile_c
    elf = tmp_path / "fib.elf"
    compile_c([ROOT / "examples" / "fib.c"], elf, CONFIG)
    _assert_same(load_program(elf, CONFIG))


@pytest.mark.parametrize("trap_word", [0xFFFF_FFFF, E("lw", rd=10, rs1=0, imm=0),
                                       E("ebreak"), E("jal", rd=0, imm=2 + 4)])
def test_traps(trap_word: int) -> None:
    _assert_same(_words([E("addi", rd=5, rs1=0, imm=7), E("addi", rd=6, rs1=5, imm=1),
                         trap_word]))


@pytest.mark.parametrize("limits", [{"max_instructions": 37}, {"max_cycles": 101}])
def test_limits(limits: dict) -> None:
    _assert_same(generate(11, CONFIG, length=200).program(), **limits)


def test_waveforms_agree(tmp_path: Path) -> None:
    """The retire port's values, cycle by cycle, in both backends' VCDs of one window."""
    from vcdvcd import VCDVCD
    program = generate(3, CONFIG, length=120).program()
    values = {}
    for backend in ("pysim", "cxxrtl"):
        vcd = tmp_path / f"{backend}.vcd"
        sim = rtl_simulator(backend, CONFIG, program, stdout=io.BytesIO(),
                            stderr=io.BytesIO(), vcd_path=str(vcd), vcd_window=(40, 90))
        sim.run()
        gtkw = vcd.with_suffix(".gtkw").read_text()
        assert "pc per stage" in gtkw and "\\x.pc" in gtkw
        wave = VCDVCD(str(vcd), signals=["bench.top.core.\\w.pc[31:0]",
                                         "bench.top.core.\\w.valid"], store_tvs=True)
        # value in the middle of each cycle of the window (period 1 us = 1e9 fs)
        values[backend] = {name: [wave[name][cycle * PERIOD_FS + PERIOD_FS // 4]
                                  for cycle in range(40, 90)] for name in wave.signals}
    assert values["pysim"] == values["cxxrtl"]
    assert all(len(set(samples)) >= 2 for samples in values["pysim"].values())  # not flat


def test_missing_compiler_falls_back(monkeypatch, capsys) -> None:
    from oxcore.errors import OxCoreError
    from cosim.rtl_sim import RtlSimulator
    monkeypatch.setenv("OXCORE_CXXRTL_CXX", "no-such-c++-compiler")
    monkeypatch.setenv("OXCORE_RTL_BACKEND", "auto")
    program = _words([E("addi", rd=17, rs1=0, imm=93), E("ecall")])
    sim = rtl_simulator("auto", CONFIG, program, stdout=io.BytesIO(), stderr=io.BytesIO())
    assert isinstance(sim, RtlSimulator)
    assert "using the Amaranth simulator" in capsys.readouterr().err
    assert sim.run().reason == "exit"  # and the fallback runs the program
    with pytest.raises(OxCoreError, match="--backend cxxrtl"):
        rtl_simulator("cxxrtl", CONFIG, program)
