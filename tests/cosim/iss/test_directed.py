"""Directed tests of the golden interpreter, one or more per RV32IM/Zicsr instruction.

Every expected value below was computed by hand from the RISC-V unprivileged spec (and
the OxCore syscall ABI), never by running the interpreter. Each test runs in all three
modes (`mode` fixture): reference `step()`, fast `run()`, and fast `run()` with records.
Programs end in `ebreak` unless a test says otherwise, so a normal end is a breakpoint
trap at the ebreak with every earlier instruction retired.
"""

from __future__ import annotations

import pytest

from oxcore.retire import TrapCause

from oxcore.isa import decode

from .helpers import (BASE, DATA, EBREAK, ECALL, MEM_END, MODES, NOP, SYS_EXIT, SYS_WRITE,
                      Asm, I, Outcome, a0, a1, a2, a3, a4, a5, a6, a7, execute, li, make_program,
                      ra, s0, s1, t0, t1, t2, t3, zero)

BREAK = TrapCause.BREAKPOINT


@pytest.fixture(params=MODES)
def mode(request) -> str:
    return request.param


def run(mode: str, words: list[int], regs: dict[int, int] | None = None,
        data: dict[int, bytes] | None = None, **kwargs) -> Outcome:
    return execute(words, mode, regs=regs, data=data, **kwargs)


def expect_trap(out: Outcome, cause: TrapCause, pc: int, instret: int,
                tval: int | None = None) -> None:
    assert (out.trap, out.trap_pc, out.instret, out.pc) == (cause, pc, instret, pc), out
    if tval is not None:
        assert out.trap_tval == tval
    if out.records is not None:  # the last record is the trap: no effects, not retired
        last = out.records[-1]
        assert (last.trap, last.pc, last.order, last.rd, last.mem_size) == \
            (cause, pc, instret, 0, 0)
        assert len(out.records) == instret - out.records[0].order + 1


def expect_break(out: Outcome, index: int) -> None:
    """Ended at the ebreak that is instruction `index` of a straight-line program."""
    expect_trap(out, BREAK, BASE + 4 * index, index)


def only(out: Outcome, regs: dict[int, int] | None = None, **named: int) -> None:
    """The register file holds exactly these values, every other register 0.

    `regs` maps register numbers to values; keyword arguments name them ``x10=...``.
    """
    want = [0] * 32
    for reg, value in (regs or {}).items():
        want[reg] = value
    for name, value in named.items():
        want[int(name.lstrip("x"))] = value
    diff = {f"x{i}": (hex(out.x[i]), hex(want[i])) for i in range(32) if out.x[i] != want[i]}
    assert not diff, f"registers (got, want): {diff}"


# ---- register-register ALU, M extension ------------------------------------------------

R_CASES = [  # mnemonic, rs1, rs2, rd
    ("add", 5, 7, 12),
    ("add", 0x7FFF_FFFF, 1, 0x8000_0000),  # signed overflow wraps
    ("add", 0xFFFF_FFFF, 1, 0),
    ("add", 0x8000_0000, 0x8000_0000, 0),
    ("sub", 7, 5, 2),
    ("sub", 0, 1, 0xFFFF_FFFF),
    ("sub", 0x8000_0000, 1, 0x7FFF_FFFF),
    ("sll", 1, 0, 1),
    ("sll", 1, 31, 0x8000_0000),
    ("sll", 1, 33, 2),  # only rs2[4:0] counts
    ("sll", 0xFFFF_FFFF, 32, 0xFFFF_FFFF),  # 32 & 31 == 0
    ("sll", 0x1234_5678, 4, 0x2345_6780),
    ("srl", 0x8000_0000, 31, 1),
    ("srl", 0x8000_0000, 0, 0x8000_0000),
    ("srl", 0x8000_0000, 33, 0x4000_0000),
    ("srl", 0xF000_0000, 0xFFFF_FFE4, 0x0F00_0000),  # low 5 bits: 4
    ("sra", 0x8000_0000, 31, 0xFFFF_FFFF),
    ("sra", 0x8000_0000, 1, 0xC000_0000),
    ("sra", 0x7FFF_FFFF, 31, 0),
    ("sra", 0x8000_0000, 33, 0xC000_0000),
    ("sra", 0x8000_0010, 0, 0x8000_0010),
    ("sra", 0xF000_0000, 0xFFFF_FFE4, 0xFF00_0000),
    ("slt", 0xFFFF_FFFF, 1, 1),  # -1 < 1
    ("slt", 1, 0xFFFF_FFFF, 0),
    ("slt", 0x8000_0000, 0x7FFF_FFFF, 1),
    ("slt", 5, 5, 0),
    ("sltu", 0xFFFF_FFFF, 1, 0),
    ("sltu", 1, 0xFFFF_FFFF, 1),
    ("sltu", 0x8000_0000, 0x7FFF_FFFF, 0),
    ("sltu", 5, 5, 0),
    ("sltu", 0, 1, 1),
    ("xor", 0xFF00_FF00, 0x0FF0_0FF0, 0xF0F0_F0F0),
    ("or", 0xFF00_FF00, 0x0FF0_0FF0, 0xFFF0_FFF0),
    ("and", 0xFF00_FF00, 0x0FF0_0FF0, 0x0F00_0F00),
    ("mul", 6, 7, 42),
    ("mul", 0xFFFF_FFFF, 0xFFFF_FFFF, 1),  # -1 * -1
    ("mul", 0xFFFF_FFFE, 3, 0xFFFF_FFFA),  # -2 * 3 = -6
    ("mul", 0x8000_0000, 2, 0),
    ("mul", 0x0001_0000, 0x0001_0000, 0),
    ("mul", 0x0001_0001, 0x0001_0001, 0x0002_0001),  # (2^16+1)^2 mod 2^32
    # mulh: signed x signed
    ("mulh", 2, 3, 0),  # + +
    ("mulh", 0x7FFF_FFFF, 0x7FFF_FFFF, 0x3FFF_FFFF),  # 2^62 - 2^32 + 1
    ("mulh", 0x0001_0000, 0x0001_0000, 1),  # 2^32
    ("mulh", 0xFFFF_FFFF, 1, 0xFFFF_FFFF),  # - +: -1
    ("mulh", 1, 0xFFFF_FFFF, 0xFFFF_FFFF),  # + -
    ("mulh", 0xFFFF_FFFF, 0xFFFF_FFFF, 0),  # - -: 1
    ("mulh", 0x8000_0000, 0x8000_0000, 0x4000_0000),  # INT_MIN^2 = 2^62
    ("mulh", 0x8000_0000, 0xFFFF_FFFF, 0),  # 2^31
    ("mulh", 0x8000_0000, 0x7FFF_FFFF, 0xC000_0000),  # -2^62 + 2^31
    # mulhsu: signed rs1 x unsigned rs2
    ("mulhsu", 2, 3, 0),
    ("mulhsu", 0x7FFF_FFFF, 0xFFFF_FFFF, 0x7FFF_FFFE),  # 0x7FFFFFFE_80000001
    ("mulhsu", 2, 0x8000_0000, 1),  # 2^32
    ("mulhsu", 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF),  # -(2^32-1) = 0xFFFFFFFF_00000001
    ("mulhsu", 0xFFFF_FFFE, 3, 0xFFFF_FFFF),  # -6
    ("mulhsu", 0xFFFF_FFFF, 0, 0),  # -1 * 0
    ("mulhsu", 0x8000_0000, 0x8000_0000, 0xC000_0000),  # -2^62
    ("mulhsu", 0x8000_0000, 0xFFFF_FFFF, 0x8000_0000),  # -2^63 + 2^31
    # mulhu: unsigned x unsigned
    ("mulhu", 2, 3, 0),
    ("mulhu", 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFE),  # 2^64 - 2^33 + 1
    ("mulhu", 0x8000_0000, 0x8000_0000, 0x4000_0000),
    ("mulhu", 0xFFFF_FFFF, 2, 1),
    ("mulhu", 0x8000_0000, 2, 1),
    # div: signed, rounds toward zero
    ("div", 7, 2, 3),
    ("div", 0xFFFF_FFF9, 2, 0xFFFF_FFFD),  # -7 / 2 = -3
    ("div", 7, 0xFFFF_FFFE, 0xFFFF_FFFD),  # 7 / -2 = -3
    ("div", 0xFFFF_FFF9, 0xFFFF_FFFE, 3),  # -7 / -2 = 3
    ("div", 5, 0, 0xFFFF_FFFF),  # by zero: -1
    ("div", 0xFFFF_FFFB, 0, 0xFFFF_FFFF),
    ("div", 0, 0, 0xFFFF_FFFF),
    ("div", 0x8000_0000, 0xFFFF_FFFF, 0x8000_0000),  # INT_MIN / -1 overflows to INT_MIN
    ("div", 0x8000_0000, 1, 0x8000_0000),
    ("divu", 7, 2, 3),
    ("divu", 0xFFFF_FFFF, 2, 0x7FFF_FFFF),
    ("divu", 5, 0, 0xFFFF_FFFF),  # by zero: 2^32 - 1
    ("divu", 0, 0, 0xFFFF_FFFF),
    ("divu", 0x8000_0000, 0xFFFF_FFFF, 0),
    ("divu", 0xFFFF_FFF9, 2, 0x7FFF_FFFC),  # unsigned, not -7/2
    ("rem", 7, 2, 1),
    ("rem", 0xFFFF_FFF9, 2, 0xFFFF_FFFF),  # -7 % 2 = -1 (sign of the dividend)
    ("rem", 7, 0xFFFF_FFFE, 1),
    ("rem", 0xFFFF_FFF9, 0xFFFF_FFFE, 0xFFFF_FFFF),
    ("rem", 5, 0, 5),  # by zero: the dividend
    ("rem", 0xFFFF_FFFB, 0, 0xFFFF_FFFB),
    ("rem", 0x8000_0000, 0xFFFF_FFFF, 0),  # INT_MIN % -1 = 0
    ("remu", 7, 2, 1),
    ("remu", 0xFFFF_FFFF, 2, 1),
    ("remu", 5, 0, 5),
    ("remu", 0xFFFF_FFFB, 0, 0xFFFF_FFFB),
    ("remu", 0x8000_0000, 0xFFFF_FFFF, 0x8000_0000),
    ("remu", 0xFFFF_FFF9, 2, 1),
]


def _case_id(case: tuple) -> str:
    return f"{case[0]}-{case[1]:#x}-{case[2]:#x}"


@pytest.mark.parametrize("case", R_CASES, ids=_case_id)
def test_register_register(mode, case):
    mnemonic, a, b, expected = case
    out = run(mode, [getattr(I, mnemonic + "_")(t2, t0, t1), EBREAK], {t0: a, t1: b})
    expect_break(out, 1)
    only(out, {t0: a, t1: b, t2: expected})
    if out.records is not None:
        assert (out.records[0].rd, out.records[0].rd_value) == (t2, expected)


@pytest.mark.parametrize("mnemonic, value, expected", [
    ("add", 0x4000_0001, 0x8000_0002),
    ("sub", 0x1234_5678, 0),
    ("xor", 0x1234_5678, 0),
    ("sll", 0x0000_0021, 0x0000_0042),  # shift by its own low 5 bits (1)
    ("mulhu", 0xFFFF_FFFF, 0xFFFF_FFFE),
    ("mul", 0xFFFF_FFFF, 1),
    ("div", 0xFFFF_FFF9, 1),
    ("rem", 0xFFFF_FFF9, 0),
])
def test_rd_rs1_rs2_all_the_same_register(mode, mnemonic, value, expected):
    out = run(mode, [getattr(I, mnemonic + "_")(a3, a3, a3), EBREAK], {a3: value})
    expect_break(out, 1)
    only(out, {a3: expected})


def test_x0_as_a_source(mode):
    words = [I.sub(a0, zero, t0), I.sltu(a1, zero, t0), I.slt(a2, t0, zero),
             I.sra(a3, t0, zero), I.div(a4, t0, zero), I.rem(a5, t0, zero),
             I.mulhsu(a6, zero, t0), I.sll(a7, zero, t0), I.and_(s1, t0, zero),
             I.remu(t1, zero, t0), I.divu(t2, zero, zero), I.or_(t3, zero, zero), EBREAK]
    out = run(mode, words, {t0: 0xFFFF_FFF9, s1: 5, t1: 5, t3: 5})
    expect_break(out, 12)
    only(out, x5=0xFFFF_FFF9, x10=7, x11=1, x12=1, x13=0xFFFF_FFF9, x14=0xFFFF_FFFF,
         x15=0xFFFF_FFF9, x7=0xFFFF_FFFF)


# ---- register-immediate ALU --------------------------------------------------------------

I_CASES = [  # mnemonic, rs1, imm, rd
    ("addi", 5, -6, 0xFFFF_FFFF),
    ("addi", 0xFFFF_FFFF, 1, 0),
    ("addi", 0, 2047, 0x7FF),
    ("addi", 0, -2048, 0xFFFF_F800),
    ("addi", 0x7FFF_FFFF, 1, 0x8000_0000),
    ("slti", 0xFFFF_FFFE, -1, 1),  # -2 < -1
    ("slti", 0, -1, 0),
    ("slti", 0xFFFF_FFFF, 0, 1),
    ("slti", 5, 5, 0),
    ("slti", 4, 5, 1),
    ("slti", 0x8000_0000, -2048, 1),
    ("slti", 0x7FFF_FFFF, 2047, 0),
    ("sltiu", 0, 1, 1),  # seqz
    ("sltiu", 5, 1, 0),
    ("sltiu", 5, -1, 1),  # immediate sign-extends to 0xFFFFFFFF, then compares unsigned
    ("sltiu", 0xFFFF_FFFF, -1, 0),
    ("sltiu", 0xFFFF_F800, -2048, 0),
    ("sltiu", 0xFFFF_F7FF, -2048, 1),
    ("sltiu", 0x8000_0000, 5, 0),
    ("xori", 0x1234_5678, -1, 0xEDCB_A987),  # not
    ("xori", 0xFF, 0x0F, 0xF0),
    ("xori", 0, -2048, 0xFFFF_F800),
    ("ori", 0x1234_0000, -2048, 0xFFFF_F800),
    ("ori", 0x10, 0x01, 0x11),
    ("andi", 0x1234_5678, -16, 0x1234_5670),
    ("andi", 0x1234_5678, 0xFF, 0x78),
    ("andi", 0xFFFF_FFFF, 0x7FF, 0x7FF),
    ("andi", 0x1234_5678, -2048, 0x1234_5000),
    ("slli", 1, 0, 1),
    ("slli", 1, 31, 0x8000_0000),
    ("slli", 0xFFFF_FFFF, 4, 0xFFFF_FFF0),
    ("srli", 0x8000_0000, 31, 1),
    ("srli", 0x8000_0000, 0, 0x8000_0000),
    ("srli", 0xFFFF_FFFF, 4, 0x0FFF_FFFF),
    ("srai", 0x8000_0000, 31, 0xFFFF_FFFF),
    ("srai", 0x8000_0000, 0, 0x8000_0000),
    ("srai", 0x7FFF_FFFF, 31, 0),
    ("srai", 0xFFFF_FFF0, 2, 0xFFFF_FFFC),
]


@pytest.mark.parametrize("case", I_CASES, ids=lambda c: f"{c[0]}-{c[1]:#x}-{c[2]}")
def test_register_immediate(mode, case):
    mnemonic, a, imm, expected = case
    out = run(mode, [getattr(I, mnemonic)(t2, t0, imm), EBREAK], {t0: a})
    expect_break(out, 1)
    only(out, {t0: a, t2: expected})


@pytest.mark.parametrize("imm, expected", [(0xFFFFF, 0xFFFF_F000), (0x12345, 0x1234_5000),
                                           (0, 0), (0x80000, 0x8000_0000)])
def test_lui(mode, imm, expected):
    out = run(mode, [I.lui(a0, imm), EBREAK], {a0: 0x5555})
    expect_break(out, 1)
    only(out, x10=expected)


def test_auipc(mode):
    out = run(mode, [NOP, I.auipc(a0, 1), I.auipc(a1, 0xFFFFF), I.auipc(a2, 0x80000),
                     I.auipc(a3, 0), EBREAK])
    expect_break(out, 5)
    only(out, x10=0x8000_1004,  # pc 0x80000004 + 0x1000
         x11=0x7FFF_F008,  # pc 0x80000008 - 0x1000
         x12=0x0000_000C,  # pc 0x8000000c + 0x80000000 wraps
         x13=0x8000_0010)


def test_x0_is_never_written(mode):
    out = run(mode, [I.addi(zero, zero, 5), I.add_(zero, t0, t0), I.lui(zero, 0x12345),
                     I.lw(zero, 0, s0), I.mul(zero, t0, t0), I.auipc(zero, 1),
                     I.add_(t1, zero, zero), I.addi(t2, zero, 0), EBREAK],
              {t0: 7, s0: DATA}, data={DATA: b"\x78\x56\x34\x12"})
    expect_break(out, 8)
    only(out, x5=7, x8=DATA)
    if out.records is not None:  # no record reports a register write for x0
        assert [r.rd for r in out.records[:6]] == [0] * 6
        assert (out.records[3].mem_addr, out.records[3].mem_size,
                out.records[3].mem_data) == (DATA, 4, 0x1234_5678)


# ---- loads and stores ------------------------------------------------------------------

LOAD_DATA = bytes([0x80, 0xFF, 0x7F, 0x01, 0x00, 0x80, 0xFF, 0x7F, 0x78, 0x56, 0x34, 0x12])


@pytest.mark.parametrize("mnemonic, offset, expected", [
    ("lb", 0, 0xFFFF_FF80), ("lbu", 0, 0x80),
    ("lb", 1, 0xFFFF_FFFF), ("lbu", 1, 0xFF),
    ("lb", 2, 0x7F), ("lbu", 2, 0x7F),
    ("lb", 3, 0x01),
    ("lh", 4, 0xFFFF_8000), ("lhu", 4, 0x8000),
    ("lh", 6, 0x7FFF), ("lhu", 6, 0x7FFF),
    ("lh", 0, 0xFFFF_FF80), ("lhu", 0, 0xFF80),
    ("lh", 2, 0x017F), ("lhu", 2, 0x017F),
    ("lw", 8, 0x1234_5678), ("lw", 0, 0x017F_FF80), ("lw", 4, 0x7FFF_8000),
])
def test_load_extension(mode, mnemonic, offset, expected):
    # Base register 16 bytes past the data, so the offset is negative: exercises imm sign.
    out = run(mode, [getattr(I, mnemonic)(a0, offset - 16, s0), EBREAK],
              {s0: DATA + 16, a0: 0xAAAA_AAAA}, data={DATA: LOAD_DATA})
    expect_break(out, 1)
    only(out, x8=DATA + 16, x10=expected)
    if out.records is not None:
        size = {"b": 1, "h": 2, "w": 4}[mnemonic[1]]
        raw = int.from_bytes(LOAD_DATA[offset:offset + size], "little")
        rec = out.records[0]
        assert (rec.mem_addr, rec.mem_size, rec.mem_write, rec.mem_data) == \
            (DATA + offset, size, False, raw)


def test_store_byte_lanes(mode):
    words = [I.sb(t0, 0, s0), I.sb(t1, 1, s0), I.sb(t2, 2, s0), I.sb(t3, 3, s0),
             I.sh(a1, 6, s0), I.sh(a1, 8, s0), I.sw(a2, 12, s0), I.sb(a2, -1, s0),
             I.lw(a3, 0, s0), I.lw(a4, 4, s0), I.lw(a5, 8, s0), I.lw(a6, 12, s0), EBREAK]
    regs = {s0: DATA, t0: 0xFFFF_FF11, t1: 0x1234_5622, t2: 0x33, t3: 0xABCD_EF44,
            a1: 0x5555_AAAA, a2: 0xDEAD_BEEF}
    out = run(mode, words, regs, data={DATA - 4: bytes(20)})
    expect_break(out, 12)
    assert out.mem(DATA - 4, 20) == bytes.fromhex(
        "000000ef" "11223344" "0000aaaa" "aaaa0000" "efbeadde")
    assert (out.x[a3], out.x[a4], out.x[a5], out.x[a6]) == \
        (0x4433_2211, 0xAAAA_0000, 0x0000_AAAA, 0xDEAD_BEEF)
    if out.records is not None:  # stores record the stored (truncated) value
        assert [(r.mem_addr, r.mem_size, r.mem_write, r.mem_data) for r in out.records[:8]] == [
            (DATA, 1, True, 0x11), (DATA + 1, 1, True, 0x22), (DATA + 2, 1, True, 0x33),
            (DATA + 3, 1, True, 0x44), (DATA + 6, 2, True, 0xAAAA),
            (DATA + 8, 2, True, 0xAAAA), (DATA + 12, 4, True, 0xDEAD_BEEF),
            (DATA - 1, 1, True, 0xEF)]
        assert all(r.rd == 0 for r in out.records[:8])


def test_load_and_store_through_their_own_register(mode):
    words = [I.sw(s0, 0, s0),  # stores its own address
             I.lw(a0, 0, s0), I.addi(a1, s0, 4),
             I.lw(a1, 0, a1),  # rd == rs1: address from the old value
             I.addi(a2, s0, 2), I.lw(a2, 0, a2),  # rd == rs1, misaligned: a2 kept
             EBREAK]
    out = run(mode, words, {s0: DATA}, data={DATA: bytes(4) + b"\x44\x33\x22\x11"})
    expect_trap(out, TrapCause.LOAD_MISALIGNED, BASE + 20, 5, tval=DATA + 2)
    only(out, x8=DATA, x10=DATA, x11=0x1122_3344, x12=DATA + 2)
    assert out.word(DATA) == DATA


def test_store_then_load_same_block_and_highest_word(mode):
    last = MEM_END - 4
    out = run(mode, li(s0, last) + [I.sw(t0, 0, s0), I.lbu(a0, 3, s0), I.lh(a1, 2, s0),
                                     I.lw(a2, 0, s0), EBREAK], {t0: 0x8765_4321})
    expect_break(out, 6)
    assert (out.x[a0], out.x[a1], out.x[a2]) == (0x87, 0xFFFF_8765, 0x8765_4321)


# ---- control flow ----------------------------------------------------------------------

def test_jal_links_and_skips(mode):
    words = [I.jal(ra, 12), I.addi(a0, zero, 1), I.addi(a0, zero, 2),
             I.jal(zero, 8),  # j +8 (0x8000000c)
             I.addi(a1, zero, 3), I.addi(a2, zero, 4), EBREAK]
    out = run(mode, words)
    expect_trap(out, BREAK, BASE + 24, 3)
    only(out, x1=BASE + 4, x12=4)


def test_jal_backward(mode):
    words = [I.jal(zero, 12),  # 0: to 12
             I.addi(a0, a0, 1),  # 4
             EBREAK,  # 8
             I.jal(ra, -8)]  # 12: back to 4
    out = run(mode, words)
    expect_trap(out, BREAK, BASE + 8, 3)
    only(out, x1=BASE + 16, x10=1)


def test_jalr_clears_bit0_and_links(mode):
    words = [I.jalr(ra, 1, t0),  # t0 + 1 = BASE+13 -> BASE+12
             I.addi(a0, zero, 1), I.addi(a0, zero, 2),
             I.jalr(t1, -8, t1),  # 12: rd == rs1: target uses the old t1 = BASE+28 -> +20
             I.addi(a1, zero, 1),  # 16 (skipped)
             I.jalr(t2, 7, t2),  # 20: t2 = BASE+26: BASE+33 -> BASE+32 (bit 0 cleared)
             I.addi(a2, zero, 1),  # 24 (skipped)
             I.addi(a3, zero, 1),  # 28 (skipped)
             EBREAK]  # 32
    out = run(mode, words, {t0: BASE + 12, t1: BASE + 28, t2: BASE + 26})
    expect_trap(out, BREAK, BASE + 32, 3)
    only(out, x1=BASE + 4, x5=BASE + 12, x6=BASE + 16, x7=BASE + 24)


def test_jalr_rd_equals_rs1_negative_offset(mode):
    # jalr a0, -0x101(a0): the target comes from the old a0 (BASE+0x109 - 0x101 = BASE+8,
    # bit 0 cleared), then a0 gets the link.
    words = [I.jal(zero, 12), NOP, EBREAK, I.jalr(a0, -0x101, a0)]
    out = run(mode, words, {a0: BASE + 0x109})
    expect_trap(out, BREAK, BASE + 8, 2)
    only(out, x10=BASE + 16)


BRANCH_CASES = [  # mnemonic, rs1, rs2, taken
    ("beq", 5, 5, True), ("beq", 5, 6, False), ("beq", 0, 0x8000_0000, False),
    ("bne", 5, 6, True), ("bne", 5, 5, False),
    ("blt", 0xFFFF_FFFF, 1, True), ("blt", 1, 0xFFFF_FFFF, False), ("blt", 5, 5, False),
    ("blt", 0x8000_0000, 0x7FFF_FFFF, True),
    ("bge", 1, 0xFFFF_FFFF, True), ("bge", 0xFFFF_FFFF, 1, False), ("bge", 5, 5, True),
    ("bge", 0x7FFF_FFFF, 0x8000_0000, True),
    ("bltu", 1, 0xFFFF_FFFF, True), ("bltu", 0xFFFF_FFFF, 1, False), ("bltu", 5, 5, False),
    ("bltu", 0x7FFF_FFFF, 0x8000_0000, True),
    ("bgeu", 0xFFFF_FFFF, 1, True), ("bgeu", 1, 0xFFFF_FFFF, False), ("bgeu", 5, 5, True),
    ("bgeu", 0, 0, True),
]


@pytest.mark.parametrize("case", BRANCH_CASES,
                         ids=lambda c: f"{c[0]}-{c[1]:#x}-{c[2]:#x}-{'T' if c[3] else 'N'}")
def test_branch(mode, case):
    mnemonic, a, b, taken = case
    words = [getattr(I, mnemonic)(t0, t1, 8), I.addi(a0, zero, 1), I.addi(a1, zero, 1),
             EBREAK]
    out = run(mode, words, {t0: a, t1: b})
    expect_trap(out, BREAK, BASE + 12, 2 if taken else 3)
    assert (out.x[a0], out.x[a1]) == ((0, 1) if taken else (1, 1))
    if out.records is not None:
        assert out.records[0].rd == 0 and out.records[1].pc == BASE + (8 if taken else 4)


def test_backward_branch_loop(mode):
    asm = Asm()
    asm(I.addi(t0, zero, 10))  # counter
    asm.label("loop")
    asm(I.add_(a0, a0, t0), I.addi(t0, t0, -1))
    asm.branch("blt", zero, t0, "loop")  # while 0 < t0
    asm(EBREAK)
    out = run(mode, asm.build())
    # 1 + 10 iterations x 3 instructions retire before the ebreak
    expect_trap(out, BREAK, BASE + 16, 31)
    only(out, x10=55)


def test_loop_longer_than_a_translated_block(mode):
    # 100 additions in the loop body: a body longer than any block the translator forms.
    body = [I.addi(a0, a0, 1)] * 100
    words = [I.addi(t0, zero, 3)] + body + [I.addi(t0, t0, -1),
                                           I.bne(t0, zero, -4 * 101), EBREAK]
    out = run(mode, words)
    expect_trap(out, BREAK, BASE + 4 * 103, 1 + 3 * 102)
    only(out, x10=300)


# ---- CSRs ------------------------------------------------------------------------------

CYCLE, TIME, INSTRET, CYCLEH, TIMEH, INSTRETH, MHARTID = (0xC00, 0xC01, 0xC02, 0xC80, 0xC81,
                                                          0xC82, 0xF14)


def test_counters_count_retired_instructions(mode):
    words = [NOP,  # 0
             I.csrrs(a0, INSTRET, zero),  # 1: one instruction retired before it
             I.csrrs(a1, INSTRET, zero),  # 2
             I.addi(t0, zero, 5),  # 3
             I.csrrs(a2, INSTRET, zero),  # 4
             I.csrrs(a3, INSTRETH, zero),  # 5
             I.csrrs(a4, MHARTID, zero),  # 6
             I.csrrsi(a5, INSTRET, 0),  # 7: uimm 0 reads without writing
             I.csrrci(a6, INSTRET, 0),  # 8
             I.csrrc(a7, INSTRET, zero),  # 9
             EBREAK]
    out = run(mode, words, {a4: 0xFF, a3: 0xFF})
    expect_break(out, 10)
    only(out, x10=1, x11=2, x5=5, x12=4, x13=0, x14=0, x15=7, x16=8, x17=9)


def test_cycle_and_time_read_as_instret(mode):
    # The interpreter is untimed: it documents cycle and time as equal to instret.
    words = [NOP, NOP, I.csrrs(a0, CYCLE, zero), I.csrrs(a1, TIME, zero),
             I.csrrs(a2, CYCLEH, zero), I.csrrs(a3, TIMEH, zero), EBREAK]
    out = run(mode, words, {a2: 1, a3: 1})
    expect_break(out, 6)
    only(out, x10=2, x11=3)


def test_instret_after_a_loop(mode):
    asm = Asm()
    asm(I.addi(t0, zero, 20))
    asm.label("loop")
    asm(I.addi(t0, t0, -1))
    asm.branch("bne", t0, zero, "loop")
    asm(I.csrrs(a0, INSTRET, zero), I.csrrs(a1, CYCLE, zero), EBREAK)
    out = run(mode, asm.build())
    expect_trap(out, BREAK, BASE + 20, 43)
    assert (out.x[a0], out.x[a1]) == (41, 42)


def test_instret_high_half(mode):
    # Start just below 2**32 retired instructions: the low half wraps, the high half counts.
    words = [I.csrrs(a0, INSTRET, zero), I.csrrs(a1, INSTRETH, zero),
             I.csrrs(a2, INSTRET, zero), I.csrrs(a3, INSTRETH, zero),
             I.csrrs(a4, CYCLEH, zero), EBREAK]
    out = run(mode, words, instret=0xFFFF_FFFE)
    expect_trap(out, BREAK, BASE + 20, 0x1_0000_0003)
    only(out, x10=0xFFFF_FFFE, x11=0, x12=0, x13=1, x14=1)


def test_hpmcounter_reads_without_trapping(mode):
    out = run(mode, [I.csrrs(a0, 0xC03, zero), I.csrrs(a1, 0xC9F, zero), EBREAK],
              {a0: 9, a1: 9})
    expect_break(out, 2)
    assert (out.x[a0], out.x[a1]) == (0, 0)


@pytest.mark.parametrize("word, what", [
    (I.csrrs(a0, 0x300, zero), "mstatus is not implemented"),
    (I.csrrs(a0, 0x001, zero), "fflags is not implemented"),
    (I.csrrs(zero, 0x300, zero), "a read into x0 still reads"),
    (I.csrrw(a0, 0x340, t0), "mscratch is not implemented"),
    (I.csrrwi(zero, 0x7C0, 1), "unknown CSR, write only"),
    (I.csrrw(zero, CYCLE, t0), "cycle is read-only"),
    (I.csrrw(a0, INSTRET, zero), "csrrw writes even from x0"),
    (I.csrrs(a0, INSTRET, t1), "csrrs with rs1 != x0 writes, even a zero value"),
    (I.csrrc(a0, TIME, t0), "time is read-only"),
    (I.csrrwi(a0, CYCLE, 0), "csrrwi always writes"),
    (I.csrrsi(a0, CYCLE, 1), "csrrsi with uimm != 0 writes"),
    (I.csrrci(a0, INSTRETH, 31), "csrrci with uimm != 0 writes"),
    (I.csrrw(a0, MHARTID, t0), "mhartid is read-only"),
])
def test_csr_illegal_access_traps_without_effect(mode, word, what):
    out = run(mode, [NOP, word, EBREAK], {a0: 0x1111, t0: 5})
    expect_trap(out, TrapCause.ILLEGAL_INSTRUCTION, BASE + 4, 1)
    only(out, x10=0x1111, x5=5)


# ---- traps: misaligned, access faults, illegal -----------------------------------------

@pytest.mark.parametrize("word, cause, address", [
    (I.lw(t1, 2, s0), TrapCause.LOAD_MISALIGNED, DATA + 2),
    (I.lw(t1, 1, s0), TrapCause.LOAD_MISALIGNED, DATA + 1),
    (I.lw(t1, -1, s0), TrapCause.LOAD_MISALIGNED, DATA - 1),
    (I.lh(t1, 1, s0), TrapCause.LOAD_MISALIGNED, DATA + 1),
    (I.lhu(t1, 3, s0), TrapCause.LOAD_MISALIGNED, DATA + 3),
    (I.lw(zero, 2, s0), TrapCause.LOAD_MISALIGNED, DATA + 2),  # x0 destination still traps
    (I.sw(t0, 2, s0), TrapCause.STORE_MISALIGNED, DATA + 2),
    (I.sw(t0, 3, s0), TrapCause.STORE_MISALIGNED, DATA + 3),
    (I.sh(t0, 1, s0), TrapCause.STORE_MISALIGNED, DATA + 1),
    (I.sh(t0, -1, s0), TrapCause.STORE_MISALIGNED, DATA - 1),
    (I.lw(t1, 0, zero), TrapCause.LOAD_ACCESS_FAULT, 0),
    (I.lb(zero, 0, zero), TrapCause.LOAD_ACCESS_FAULT, 0),  # x0 destination still traps
    (I.lbu(t1, -1, zero), TrapCause.LOAD_ACCESS_FAULT, 0xFFFF_FFFF),
    (I.sb(t0, 0, zero), TrapCause.STORE_ACCESS_FAULT, 0),
    (I.sw(t0, 0x10, zero), TrapCause.STORE_ACCESS_FAULT, 0x10),
])
def test_memory_traps_have_no_effect(mode, word, cause, address):
    data = bytes(range(1, 17))
    out = run(mode, [NOP, word, EBREAK], {s0: DATA, t0: 0xCAFE_F00D, t1: 0x5A5A},
              data={DATA - 8: data})
    expect_trap(out, cause, BASE + 4, 1, tval=address)
    only(out, x5=0xCAFE_F00D, x6=0x5A5A, x8=DATA)
    assert out.mem(DATA - 8, 16) == data


@pytest.mark.parametrize("offset, cause", [
    (0, None), (-4, TrapCause.LOAD_ACCESS_FAULT), (4, TrapCause.LOAD_ACCESS_FAULT),
    (2, TrapCause.LOAD_MISALIGNED)])
def test_load_at_the_ends_of_memory(mode, offset, cause):
    # s0 = MEM_END - 4: the last word loads; one word past the end faults. Below RAM too.
    base = MEM_END - 4 if offset >= 0 else BASE
    out = run(mode, [I.lw(a0, offset, s0), EBREAK], {s0: base, a0: 7})
    if cause is None:
        expect_break(out, 1)
        assert out.x[a0] == 0
    else:
        expect_trap(out, cause, BASE, 0, tval=(base + offset) & 0xFFFF_FFFF)
        assert out.x[a0] == 7


def test_misaligned_jal_traps_without_linking(mode):
    out = run(mode, [NOP, I.jal(ra, 6), NOP, NOP, EBREAK], {ra: 0x77})
    expect_trap(out, TrapCause.INSTRUCTION_MISALIGNED, BASE + 4, 1, tval=BASE + 10)
    only(out, x1=0x77)


@pytest.mark.parametrize("target", [BASE + 10, BASE + 11, BASE + 0x1002])
def test_misaligned_jalr_traps_without_linking(mode, target):
    out = run(mode, [I.jalr(t0, 0, t0), EBREAK], {t0: target})
    expect_trap(out, TrapCause.INSTRUCTION_MISALIGNED, BASE, 0, tval=target & ~1)
    only(out, x5=target)


@pytest.mark.parametrize("a, b, cause", [(1, 1, TrapCause.INSTRUCTION_MISALIGNED),
                                         (1, 2, None)])
def test_misaligned_branch_target_traps_only_when_taken(mode, a, b, cause):
    out = run(mode, [I.beq(t0, t1, 6), EBREAK], {t0: a, t1: b})
    if cause is None:
        expect_break(out, 1)
    else:
        expect_trap(out, cause, BASE, 0, tval=BASE + 6)


def test_jump_outside_memory_faults_at_fetch(mode):
    out = run(mode, [NOP, I.jalr(ra, 0x100, zero), EBREAK])
    # The jalr retires (and links); the fetch at 0x100 faults.
    expect_trap(out, TrapCause.INSTRUCTION_ACCESS_FAULT, 0x100, 2, tval=0x100)
    only(out, x1=BASE + 8)
    if out.records is not None:
        assert out.records[-1].insn == 0


def test_running_off_the_end_of_memory(mode):
    # The last word of RAM is a nop; the next fetch, at MEM_END, faults.
    last = MEM_END - 4
    words = li(t0, last) + [I.jalr(zero, 0, t0)]
    program = make_program(words, data={last: NOP.to_bytes(4, "little")})
    out = execute(program, mode)
    expect_trap(out, TrapCause.INSTRUCTION_ACCESS_FAULT, MEM_END, 4)


@pytest.mark.parametrize("word", [0x0000_0000, 0xFFFF_FFFF,
                                  0x3020_0073,  # mret: no privileged mode
                                  0x0000_100F,  # fence.i: no Zifencei
                                  0x0200_0033 | (1 << 26),  # add with an unknown funct7
                                  0x4000_1013,  # slli with funct7 0100000
                                  0x0200_1013,  # slli x0, x0, 32: shamt[5] set on RV32
                                  0x0000_00F3,  # ecall with rd != 0
                                  0x0000_7003])  # LOAD with funct3 7
def test_illegal_instruction(mode, word):
    out = run(mode, [NOP, I.addi(a0, zero, 1), word, I.addi(a0, zero, 2), EBREAK])
    expect_trap(out, TrapCause.ILLEGAL_INSTRUCTION, BASE + 8, 2)
    only(out, x10=1)
    if out.records is not None:
        assert out.records[-1].insn == word


def test_fence_is_a_no_op(mode):
    out = run(mode, [I.addi(a0, zero, 3), I.fence(0b1111, 0b1111), I.fence(0, 0), EBREAK])
    expect_break(out, 3)
    only(out, x10=3)


def test_fence_tso_is_a_no_op(mode):
    # fence.tso: fm=1000 pred=rw succ=rw, from the unprivileged spec's encoding table
    fence_tso = 0x8330_000F
    assert decode(fence_tso).mnemonic == "fence.tso"
    out = run(mode, [I.addi(a0, zero, 5), fence_tso, EBREAK])
    expect_break(out, 2)
    only(out, x10=5)


def test_ebreak(mode):
    out = run(mode, [I.addi(a0, zero, 1), EBREAK, I.addi(a0, zero, 2)])
    expect_trap(out, BREAK, BASE + 4, 1)
    only(out, x10=1)


# ---- environment calls -----------------------------------------------------------------

def test_write_returns_length_and_prints(mode):
    text = b"hello, oxcore\n"
    asm = Asm()
    asm.li(a0, 1).li(a1, DATA).li(a2, len(text)).syscall(SYS_WRITE)
    asm(I.add_(s1, a0, zero))  # the return value
    asm.li(a0, 2).li(a1, DATA).li(a2, 5).syscall(SYS_WRITE)
    asm(I.add_(s0, a0, zero))
    asm.li(a0, 1).li(a1, DATA).li(a2, 0).syscall(SYS_WRITE)  # zero length
    asm(EBREAK)
    out = run(mode, asm.build(), data={DATA: text})
    assert out.trap == BREAK
    assert out.stdout == text
    assert out.stderr == b"hello"
    assert (out.x[s1], out.x[s0], out.x[a0]) == (len(text), 5, 0)
    if out.records is not None:  # an ecall's record reports the syscall result in a0
        ecalls = [r for r in out.records if r.insn == ECALL]
        assert [(r.rd, r.rd_value) for r in ecalls] == [(a0, len(text)), (a0, 5), (a0, 0)]


@pytest.mark.parametrize("fd, buf, length, result", [
    (3, DATA, 4, 0xFFFF_FFF7),  # -EBADF
    (0, DATA, 4, 0xFFFF_FFF7),  # stdin is not writable
    (1, 0, 4, 0xFFFF_FFF2),  # -EFAULT: buffer outside RAM
    (1, MEM_END - 2, 4, 0xFFFF_FFF2),  # buffer runs past the end of RAM
])
def test_write_errors(mode, fd, buf, length, result):
    asm = Asm()
    asm.li(a0, fd).li(a1, buf).li(a2, length).syscall(SYS_WRITE)
    asm(EBREAK)
    out = run(mode, asm.build(), data={DATA: b"abcd"})
    assert out.trap == BREAK and out.instret == 9
    assert out.x[a0] == result
    assert out.stdout == out.stderr == b""


@pytest.mark.parametrize("value, code", [(0, 0), (42, 42), (0x1234, 0x34), (0xFFFF_FFFF, 255),
                                         (256, 0)])
def test_exit(mode, value, code):
    words = li(a0, value) + li(a7, SYS_EXIT) + [ECALL, I.addi(a0, zero, 1), EBREAK]
    out = run(mode, words)
    assert (out.trap, out.exit_value, out.instret, out.pc) == (None, value, 5, BASE + 20)
    assert out.x[a0] == value and out.x[a7] == SYS_EXIT
    assert out.exit_value & 0xFF == code
    if out.records is not None:
        last = out.records[-1]
        assert (len(out.records), last.order, last.pc, last.insn, last.rd, last.rd_value,
                last.trap) == (5, 4, BASE + 16, ECALL, a0, value, None)


@pytest.mark.parametrize("number", [0, 1, 63, 94, 0xFFFF_FFFF])
def test_unknown_ecall(mode, number):
    words = li(a7, number) + [ECALL, EBREAK]
    out = run(mode, words, {a0: 3})
    expect_trap(out, TrapCause.UNKNOWN_ECALL, BASE + 8, 2, tval=number)
    only(out, x10=3, x17=number)


# ---- code that changes ------------------------------------------------------------------

def test_store_over_already_executed_code(mode):
    # A function runs once, its first instruction is overwritten, and it runs again:
    # the second call must execute the new instruction (fast mode drops stale blocks).
    asm = Asm()
    asm(I.addi(s1, zero, 2), I.auipc(t2, 0))  # t2 = BASE + 4
    asm.label("loop")
    asm.jal(ra, "func")
    asm(I.lw(t1, 0, s0), I.sw(t1, 28, t2))  # overwrite func (BASE + 32)
    asm(I.addi(s1, s1, -1))
    asm.branch("bne", s1, zero, "loop")
    asm(EBREAK)
    assert asm.here == BASE + 32
    asm.label("func")
    asm(I.addi(a0, a0, 1), I.jalr(zero, 0, ra))
    new = I.addi(a0, a0, 100)
    out = run(mode, asm.build(), {s0: DATA}, data={DATA: new.to_bytes(4, "little")})
    expect_trap(out, BREAK, BASE + 28, 16)
    assert out.x[a0] == 101
    assert out.word(BASE + 32) == new


def test_every_base_instruction_has_a_directed_test():
    """Each RV32I/RV32M/Zicsr mnemonic appears in this file's programs or case tables."""
    import re
    from pathlib import Path

    from oxcore.isa import INSTRUCTIONS
    source = Path(__file__).read_text()
    used = set(re.findall(r"\bI\.(\w+?)_?\(", source))
    used |= {case[0] for case in R_CASES + I_CASES + BRANCH_CASES}
    used |= set(re.findall(r'\(\s*"([\w.]+)",', source))
    used |= set(re.findall(r'mnemonic == "([\w.]+)"', source))
    used |= {name.lower() for name in re.findall(r"\b(EBREAK|ECALL)\b", source)}
    wanted = {ins.mnemonic for ins in INSTRUCTIONS if ins.extension in ("RV32I", "RV32M", "Zicsr")}
    assert not wanted - used, f"no directed test for {sorted(wanted - used)}"
