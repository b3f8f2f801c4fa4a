"""The lockstep comparator, driven by a second, independently stepped interpreter.

The "actual" side is the reference stepper (`Interpreter.step`), the "expected" side the
comparator's fast block translator: they must agree; a deliberately broken instruction
on the actual side must be caught at the right instruction with a useful report; and
counter reads that differ (as RTL timing does) must be accepted.
"""

from __future__ import annotations

import io

import pytest

from oxcore.config import PRESETS
from oxcore.isa import BY_MNEMONIC
from oxcore.program import Program, Segment
from cosim.iss import Interpreter
from cosim.lockstep import Lockstep

CONFIG = PRESETS["default"]


def encode(mnemonic: str, **operands: int) -> int:
    return BY_MNEMONIC[mnemonic].encode(**operands)


def program(words: list[int]) -> Program:
    data = b"".join(w.to_bytes(4, "little") for w in words)
    return Program("test", CONFIG.mem_base, [Segment(CONFIG.mem_base, data, len(data), True)])


def interpreter(prog: Program) -> Interpreter:
    return Interpreter(CONFIG, prog, io.BytesIO(), io.BytesIO())


# sum = 0; for i in 10..1: sum += i * i; t = i < 5 (unsigned); then exit(sum)
LOOP = [
    encode("addi", rd=5, rs1=0, imm=10),           # t0 = 10
    encode("addi", rd=10, rs1=0, imm=0),           # a0 = 0
    encode("mul", rd=6, rs1=5, rs2=5),             # loop: t1 = t0 * t0
    encode("add", rd=10, rs1=10, rs2=6),           # a0 += t1
    encode("sltiu", rd=7, rs1=5, imm=5),           # t2 = t0 < 5
    encode("addi", rd=5, rs1=5, imm=-1),           # t0 -= 1
    encode("bne", rs1=5, rs2=0, imm=-16),          # while t0
    encode("addi", rd=17, rs1=0, imm=93),
    encode("ecall"),
]


def drive(lockstep: Lockstep, actual: Interpreter, cycles_per_instruction: int = 1) -> None:
    """Step the actual side to completion, feeding the comparator like an RTL harness."""
    machine = actual.machine
    while True:
        record = actual.step()
        if not lockstep.retired(record, cycle=record.order * cycles_per_instruction):
            return
        if record.trap is not None or machine.exit_value is not None:
            lockstep.finish()
            return


@pytest.mark.parametrize("batch", [1, 3, 256])
def test_identical_streams_agree(batch: int) -> None:
    lockstep = Lockstep(interpreter(program(LOOP)), batch=batch)
    drive(lockstep, interpreter(program(LOOP)))
    assert lockstep.finish() is None
    assert lockstep.checked == 10 * 5 + 4
    assert lockstep.iss_stop.exit_value == sum(i * i for i in range(1, 11))


def test_injected_bug_is_reported_at_first_divergence() -> None:
    actual = interpreter(program(LOOP))
    # Break sltiu on the actual side: it behaves like "set if greater or equal".
    real = actual._reference_fn(BY_MNEMONIC["sltiu"])

    def broken_sltiu(x, pc, rd, rs1, imm):
        npc = real(x, pc, rd, rs1, imm)
        x[rd] ^= 1
        return npc
    actual._reference_fns["sltiu"] = broken_sltiu
    lockstep = Lockstep(interpreter(program(LOOP)), batch=4)
    drive(lockstep, actual, cycles_per_instruction=2)
    divergence = lockstep.finish()
    assert divergence is not None
    assert divergence.order == 4  # addi, addi, mul, add, then the first sltiu
    assert divergence.fields == ["x.value"]
    assert divergence.expected.rd_value == 0 and divergence.actual.rd_value == 1
    report = divergence.report("oxcore run prog.elf --sim rtl --vcd d.vcd --vcd-window 0:72")
    assert "MISMATCH at instruction #4 (cycle 8)" in report
    assert "pc 0x80000010" in report and "sltiu t2, t0, 5" in report
    assert "x.value" in report and "0x00000000" in report and "0x00000001" in report
    assert "last 4 retired instructions" in report
    assert "--vcd-window 0:72" in report
    assert divergence.vcd_window() == (0, 72)


def test_counter_reads_take_the_rtl_value() -> None:
    cycle = BY_MNEMONIC["csrrs"]
    words = [
        encode("addi", rd=5, rs1=0, imm=3),
        cycle.encode(rd=6, csr=0xC00, rs1=0),          # csrr t1, cycle
        encode("add", rd=10, rs1=6, rs2=5),            # a0 depends on the cycle value
        encode("addi", rd=17, rs1=0, imm=93),
        encode("ecall"),
    ]
    actual = interpreter(program(words))
    actual.machine.counter_override = lambda order, csr: 1000 + order  # a "timed" machine
    lockstep = Lockstep(interpreter(program(words)))
    drive(lockstep, actual)
    assert lockstep.finish() is None
    assert lockstep.iss_stop.exit_value == 1001 + 3


def test_rtl_stopping_early_is_a_divergence() -> None:
    lockstep = Lockstep(interpreter(program(LOOP)))
    actual = interpreter(program(LOOP))
    for _ in range(6):
        lockstep.retired(actual.step())
    divergence = lockstep.rtl_stopped(cycle=40)
    assert divergence is not None and divergence.actual is None
    assert divergence.order == 6
    assert "the RTL stopped here" in divergence.report()
