"""Lockstep oracle: the interpreter against Unicorn (QEMU's RISC-V) on random programs.

Each seeded random program runs on the interpreter in record mode; Unicorn then executes
the same program one instruction at a time (`emu_start(pc, until, count=1)`), and after
every instruction all 32 registers must equal the interpreter's (tracked from its retire
records) and the pc must be the next record's. At the end the data window must match.

Excluded, because Unicorn models them differently from OxCore (not because they are
untested: tests/cosim/iss/test_directed.py covers each one by hand):

- CSR reads: Unicorn's cycle/time/instret come from QEMU's notion of time and counting;
  OxCore's counters are its own (untimed interpreter: cycle = time = instret).
- ecall/ebreak: Unicorn raises an exception with no syscall ABI. Programs end with an
  ebreak that only the interpreter executes.
- Misaligned loads/stores: QEMU may emulate them; OxCore traps.
- Misaligned jump targets: QEMU's RV32 has the C extension, so 2-byte aligned targets
  are legal there. (jalr's bit-0 clearing is still exercised: targets are 4-aligned + 1.)
- Illegal words and accesses outside RAM: QEMU implements more extensions (A/F/C...), and
  Unicorn reports unmapped memory as an emulator error, not a RISC-V trap.

Scale with OXCORE_FUZZ_SCALE (e.g. 50 for `make fuzz`); OXCORE_FUZZ_SEED changes the
base seed to explore new programs. Every failure names the seed that reproduces it.
"""

from __future__ import annotations

import os
import random

import pytest

unicorn = pytest.importorskip("unicorn")
from unicorn import UC_ARCH_RISCV, UC_MODE_RISCV32, Uc, UcError  # noqa: E402
from unicorn.riscv_const import UC_RISCV_REG_PC, UC_RISCV_REG_X0  # noqa: E402

from oxcore.isa import format_instruction, xreg_name  # noqa: E402
from oxcore.retire import RetireRecord, TrapCause  # noqa: E402

from .helpers import (ALU_R, CONFIG, EBREAK, INTERESTING, MUL_DIV, WINDOW,  # noqa: E402
                      WINDOW_SIZE, Features, I, li, make_program, new_interpreter,
                      random_program, t0, t1)

SCALE = float(os.environ.get("OXCORE_FUZZ_SCALE", "1"))
BASE_SEED = int(os.environ.get("OXCORE_FUZZ_SEED", "0x51DE5EED"), 0)
PROGRAMS = max(1, int(60 * SCALE))
LENGTH = 300  # code words per program; loops make the executed count larger
XREGS = [UC_RISCV_REG_X0 + i for i in range(32)]
LOCKSTEP = Features(loops=True, calls=True, csr=False, syscalls=False, traps=False,
                    mid_exit=False, end="ebreak")


def new_unicorn(program) -> Uc:
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    uc.mem_map(CONFIG.mem_base, CONFIG.mem_size)
    for seg in program.segments:
        uc.mem_write(seg.addr, seg.data)
    uc.reg_write(UC_RISCV_REG_PC, program.entry)
    return uc


def context(records: list[RetireRecord], index: int) -> str:
    lines = []
    for rec in records[max(0, index - 5):index + 1]:
        mark = ">>" if rec is records[index] else "  "
        lines.append(f"{mark} #{rec.order} {rec.pc:#010x}: {rec.insn:08x}  "
                     f"{format_instruction(rec.insn, rec.pc)}")
    return "\n".join(lines)


def lockstep(program, label: str, max_instructions: int = 100_000) -> int:
    """Run `program` on both; fail at the first difference. Returns instructions compared."""
    interp = new_interpreter(program)
    records: list[RetireRecord] = []
    stop = interp.run(max_instructions, records.append)
    assert stop.trap is not None and stop.trap.cause == TrapCause.BREAKPOINT, \
        f"{label}: the interpreter did not reach the final ebreak: {stop.trap}"
    assert records[-1].insn == EBREAK

    uc = new_unicorn(program)
    regs = [0] * 32  # the interpreter's registers, rebuilt from its records
    for index, rec in enumerate(records[:-1]):
        pc = uc.reg_read(UC_RISCV_REG_PC)
        if pc != rec.pc:
            pytest.fail(f"{label}: before instruction #{index}, Unicorn pc {pc:#010x} but "
                        f"the interpreter executed {rec.pc:#010x}\n{context(records, index)}")
        try:
            uc.emu_start(pc, CONFIG.mem_end, count=1)
        except UcError as exc:
            pytest.fail(f"{label}: Unicorn failed on #{index} at {pc:#010x} "
                        f"({format_instruction(rec.insn, rec.pc)}): {exc}")
        if rec.rd:
            regs[rec.rd] = rec.rd_value
        theirs = list(uc.reg_read_batch(XREGS))
        if theirs != regs:
            diffs = ", ".join(f"x{i}/{xreg_name(i)}: interpreter {regs[i]:#010x} "
                              f"unicorn {theirs[i]:#010x}"
                              for i in range(32) if regs[i] != theirs[i])
            pytest.fail(f"{label}: registers differ after instruction #{index} at pc "
                        f"{rec.pc:#010x} ({format_instruction(rec.insn, rec.pc)}): {diffs}\n"
                        f"{context(records, index)}")
    m = interp.machine
    assert uc.reg_read(UC_RISCV_REG_PC) == m.pc == records[-1].pc, label
    assert regs == m.x, f"{label}: records do not add up to the interpreter's registers"
    ours, theirs = m.read_bytes(WINDOW, WINDOW_SIZE), bytes(uc.mem_read(WINDOW, WINDOW_SIZE))
    if ours != theirs:
        first = next(i for i in range(WINDOW_SIZE) if ours[i] != theirs[i])
        pytest.fail(f"{label}: data window differs first at {WINDOW + first:#010x}: "
                    f"interpreter {ours[first]:#04x}, unicorn {theirs[first]:#04x}")
    return len(records) - 1


@pytest.mark.parametrize("index", range(PROGRAMS))
def test_random_program_lockstep(index):
    seed = BASE_SEED + 7919 * index
    program, _ = random_program(random.Random(seed), LENGTH, LOCKSTEP)
    label = f"seed {seed:#x} (OXCORE_FUZZ_SEED={BASE_SEED:#x}, program {index})"
    assert lockstep(program, label) >= LENGTH // 2


def test_interesting_operands_lockstep():
    """Every register-register ALU/M instruction on every pair of interesting values."""
    words: list[int] = []
    ops = ALU_R + MUL_DIV
    for a in INTERESTING:
        for b in INTERESTING:
            words += li(t0, a) + li(t1, b)
            for n, mnemonic in enumerate(ops):  # results rotate through a0..a7
                words.append(getattr(I, mnemonic + "_")(10 + n % 8, t0, t1))
    words.append(EBREAK)
    program = make_program(words, {WINDOW: bytes(WINDOW_SIZE)})
    count = lockstep(program, "interesting operands")
    assert count == len(words) - 1
