"""Co-simulation finds real RTL bugs: each deliberate fault in hw/oxcore/faults.py is
injected and lockstep comparison must report a first divergence, while the same
programs pass on the healthy RTL (so a report is never noise)."""

from __future__ import annotations

import io

import pytest

from oxcore.config import PRESETS
from oxcore.isa import BY_MNEMONIC
from oxcore.program import Program, Segment
from cosim.cosim_cmd import cosim_program
from cosim.randprog import generate
from hw.oxcore.faults import Fault

CONFIG = PRESETS["small"]
SEEDS = range(8)  # random programs tried per fault before giving up


def _cosim(program: Program, faults: frozenset[Fault] = frozenset()):
    return cosim_program(CONFIG, program, faults=faults, stdout=io.BytesIO(),
                         stderr=io.BytesIO())


def _random_program(seed: int) -> Program:
    return generate(seed, CONFIG, length=160).program()


def test_healthy_rtl_passes_the_same_programs() -> None:
    for seed in SEEDS:
        result = _cosim(_random_program(seed))
        assert result.ok, (seed, result.divergence and result.divergence.report())


@pytest.mark.parametrize("fault", list(Fault), ids=lambda f: f.value)
def test_every_fault_is_caught(fault: Fault) -> None:
    for seed in SEEDS:
        result = _cosim(_random_program(seed), frozenset({fault}))
        if not result.ok:
            assert result.divergence is not None, result.problems
            report = result.divergence.report("oxcore run x.elf --sim rtl --vcd d.vcd")
            assert "MISMATCH at instruction #" in report and "(cycle " in report
            assert result.divergence.fields  # says what differs
            return
    pytest.fail(f"fault {fault.value} ({fault.description}) escaped {len(SEEDS)} programs")


def test_divergence_is_reported_at_the_faulty_instruction() -> None:
    """sltu of -1 (0xffffffff) and 1 is 0 unsigned, 1 signed: the report must point at
    exactly that instruction, with both values."""
    E = lambda mnemonic, **ops: BY_MNEMONIC[mnemonic].encode(**ops)  # noqa: E731
    words = [E("addi", rd=5, rs1=0, imm=-1), E("addi", rd=6, rs1=0, imm=1),
             E("add", rd=7, rs1=5, rs2=6), E("sltu", rd=10, rs1=5, rs2=6),
             E("addi", rd=17, rs1=0, imm=93), E("ecall")]
    text = b"".join(w.to_bytes(4, "little") for w in words)
    program = Program("sltu", CONFIG.mem_base, [Segment(CONFIG.mem_base, text, len(text), True)])
    assert _cosim(program).ok
    divergence = _cosim(program, frozenset({Fault.SLTU_AS_SLT})).divergence
    assert divergence is not None
    assert divergence.order == 3 and divergence.fields == ["x.value"]
    assert (divergence.expected.rd_value, divergence.actual.rd_value) == (0, 1)
    assert "sltu a0, t0, t1" in divergence.report()
