"""Whole-core programs on the RTL: the retire record stream, output and stop must equal
the golden interpreter's (the programs read no timing CSRs, except where noted)."""

import pytest

from oxcore.config import PRESETS
from oxcore.isa import BY_MNEMONIC
from oxcore.retire import TrapCause
from tests.hw.oxcore.rtl_helpers import (A0, A1, A2, A7, Asm, assert_same_run,
                                         random_program, rtl_records)

SMALL = PRESETS["small"]
DATA = SMALL.mem_base + 0x2000


def loop_sum(config, n=10):
    a = Asm(config)
    a.addi(rd=5, rs1=0, imm=n)
    a.addi(rd=6, rs1=0, imm=0)
    a.label("loop")
    a.add(rd=6, rs1=6, rs2=5)
    a.addi(rd=5, rs1=5, imm=-1)
    a.bne(rs1=5, rs2=0, imm="loop")
    a.syscall_exit(6)
    return a


def dependent_chain(config):
    """Back-to-back dependences through every forwarding path, x0 as source and sink."""
    a = Asm(config)
    a.li(1, 0x1234_5678)
    a.addi(rd=2, rs1=1, imm=1)  # EX <- MEM
    a.add(rd=3, rs1=2, rs2=1)  # rs1 <- MEM, rs2 <- WB
    a.sub(rd=4, rs1=1, rs2=3)  # rs1 <- regfile bypass, rs2 <- WB
    a.xor(rd=0, rs1=4, rs2=3)  # write to x0 is dropped...
    a.add(rd=5, rs1=0, rs2=4)  # ...and x0 reads 0 even right after
    a.addi(rd=0, rs1=0, imm=7)
    a.or_(rd=6, rs1=0, rs2=0)
    a.sll(rd=7, rs1=1, rs2=2)
    a.sra(rd=7, rs1=7, rs2=7)
    a.srai(rd=8, rs1=7, shamt=31)
    a.sltu(rd=9, rs1=8, rs2=7)
    a.slt(rd=9, rs1=8, rs2=9)
    a.lui(rd=10, imm=0xFFFFF)
    a.auipc(rd=11, imm=0x12)
    a.and_(rd=12, rs1=10, rs2=11)
    for r in range(2, 13):
        a.add(rd=13, rs1=13, rs2=r)
    a.fence(pred=0b1111, succ=0b1111)
    a.emit("fence.tso")
    a.syscall_exit(13)
    return a


def memory_traffic(config):
    """Stores of every size at every offset, loads back with and without extension,
    load-use pairs and a store followed at once by a load of the same word."""
    a = Asm(config)
    a.li(20, DATA)
    a.li(1, 0x8899_AABB)
    a.put(DATA + 64, bytes([0x80, 0x7F, 0xFF, 0x01]) * 4)
    for offset in range(4):
        a.sb(rs1=20, rs2=1, imm=offset)
        a.lw(rd=2, rs1=20, imm=0)  # store then load: same word, next cycle
        a.add(rd=3, rs1=2, rs2=3)  # load-use
        a.addi(rd=1, rs1=1, imm=0x11)
    for offset in (0, 2):
        a.sh(rs1=20, rs2=1, imm=8 + offset)
        a.lhu(rd=4, rs1=20, imm=8 + offset)
        a.lh(rd=5, rs1=20, imm=8 + offset)
        a.xor(rd=3, rs1=3, rs2=5)
    a.sw(rs1=20, rs2=3, imm=16)
    for offset in range(4):
        a.lb(rd=6, rs1=20, imm=64 + offset)
        a.lbu(rd=7, rs1=20, imm=64 + offset)
        a.add(rd=3, rs1=6, rs2=3)
        a.add(rd=3, rs1=7, rs2=3)
    a.lw(rd=0, rs1=20, imm=64)  # a load to x0 still accesses memory
    a.lw(rd=8, rs1=20, imm=16)
    a.sw(rs1=20, rs2=8, imm=20)  # store data forwarded from a load (load-use on rs2)
    a.lw(rd=9, rs1=20, imm=20)
    a.lw(rd=20, rs1=20, imm=64)  # base register overwritten by its own load
    a.add(rd=3, rs1=3, rs2=9)
    a.syscall_exit(3)
    return a


def muldiv_chain(config):
    a = Asm(config)
    a.li(1, 0x8000_0000)
    a.li(2, -1)
    a.li(3, 12345)
    a.mul(rd=4, rs1=3, rs2=3)  # back-to-back dependent multiplies
    a.mul(rd=4, rs1=4, rs2=3)
    a.mulh(rd=5, rs1=4, rs2=2)
    a.mulhsu(rd=6, rs1=2, rs2=4)
    a.mulhu(rd=7, rs1=4, rs2=4)
    a.add(rd=8, rs1=7, rs2=6)  # use right after a multiply
    a.div(rd=9, rs1=1, rs2=2)  # INT_MIN / -1
    a.rem(rd=10, rs1=1, rs2=2)
    a.div(rd=11, rs1=3, rs2=0)  # / 0
    a.divu(rd=12, rs1=3, rs2=0)
    a.rem(rd=13, rs1=2, rs2=0)
    a.remu(rd=14, rs1=4, rs2=3)
    a.div(rd=15, rs1=4, rs2=2)
    a.divu(rd=16, rs1=15, rs2=3)  # divide right after a divide
    a.mul(rd=17, rs1=16, rs2=9)
    a.add(rd=18, rs1=0, rs2=0)
    for r in range(4, 18):
        a.xor(rd=18, rs1=18, rs2=r)
    a.syscall_exit(18)
    return a


def branches(config):
    """Branches mispredicted both ways: backward loop exits, forward taken branches,
    an alternating branch, and a function called from two places (jalr returns)."""
    a = Asm(config)
    a.addi(rd=5, rs1=0, imm=6)
    a.label("outer")
    a.andi(rd=6, rs1=5, imm=1)
    a.beq(rs1=6, rs2=0, imm="even")  # alternates
    a.addi(rd=7, rs1=7, imm=3)
    a.jal(rd=1, imm="func")
    a.jal(rd=0, imm="next")
    a.label("even")
    a.addi(rd=7, rs1=7, imm=5)
    a.jal(rd=1, imm="func")
    a.label("next")
    a.addi(rd=8, rs1=0, imm=2)
    a.label("inner")  # a backward branch not taken once per outer pass
    a.addi(rd=8, rs1=8, imm=-1)
    a.blt(rs1=0, rs2=8, imm="inner")
    a.bgeu(rs1=5, rs2=0, imm="skip")  # forward, always taken
    a.addi(rd=7, rs1=7, imm=100)
    a.label("skip")
    a.addi(rd=5, rs1=5, imm=-1)
    a.bne(rs1=5, rs2=0, imm="outer")
    a.syscall_exit(7)
    a.label("func")
    a.slli(rd=9, rs1=7, shamt=1)
    a.add(rd=7, rs1=7, rs2=9)
    a.jalr(rd=0, rs1=1, imm=0)
    return a


def hello(config):
    """write(1, buf, n), writes to a bad fd and from outside RAM, then exit: ecalls
    serviced by the harness."""
    a = Asm(config)
    message = b"hello from the RTL\n"
    a.put(DATA + 1, message)  # unaligned buffer
    a.li(A1, DATA + 1)
    a.addi(rd=A0, rs1=0, imm=1)
    a.addi(rd=A2, rs1=0, imm=len(message))
    a.addi(rd=A7, rs1=0, imm=64)
    a.ecall()
    a.add(rd=20, rs1=A0, rs2=0)  # uses the syscall's result at once
    a.addi(rd=A0, rs1=0, imm=7)  # bad fd: -EBADF
    a.ecall()
    a.add(rd=20, rs1=20, rs2=A0)
    a.addi(rd=A0, rs1=0, imm=2)  # buffer outside RAM: -EFAULT
    a.addi(rd=A1, rs1=0, imm=16)
    a.ecall()
    a.add(rd=20, rs1=20, rs2=A0)
    a.syscall_exit(20)
    return a


PROGRAMS = [loop_sum, dependent_chain, memory_traffic, muldiv_chain, branches, hello]


@pytest.mark.parametrize("make", PROGRAMS, ids=lambda f: f.__name__)
def test_program_matches_interpreter(make):
    assert_same_run(SMALL, make(SMALL).program())


@pytest.mark.parametrize("predictor,latency,registered,fetch", [
    ("static", 1, False, False), ("none", 3, False, False), ("btb", 3, False, False),
    ("nlp", 2, False, False), ("nlp", 1, True, False), ("nlp", 2, True, True),
    ("static", 3, False, True), ("btb", 1, True, True), ("none", 2, False, True)])
def test_microarchitecture_variants(predictor, latency, registered, fetch):
    config = SMALL.replace(branch_predictor=predictor, mul_latency=latency, btb_entries=4,
                           registered_redirect=registered, registered_fetch=fetch)
    for make in (branches, muldiv_chain, memory_traffic):
        c = assert_same_run(config, make(config).program()).counters
        # Each misprediction costs 1 bubble, +1 for each registered option.
        assert c["stall_branch"] == (1 + registered + fetch) * c["mispredicts"]
        assert c["mispredicts"] > 0 or make is not branches


@pytest.mark.parametrize("seed,predictor,latency", [
    (1, "btb", 2), (2, "static", 1), (3, "none", 3), (4, "btb", 1), (5, "btb", 3),
    (6, "nlp", 2), (7, "nlp", 3),
])
def test_random_programs(seed, predictor, latency):
    config = SMALL.replace(branch_predictor=predictor, mul_latency=latency)
    assert_same_run(config, random_program(config, seed))


@pytest.mark.parametrize("seed,predictor,latency,sync_rf", [
    (8, "nlp", 2, False), (9, "nlp", 3, True), (10, "static", 1, True), (11, "btb", 2, False)])
def test_random_programs_with_registered_fetch(seed, predictor, latency, sync_rf):
    config = SMALL.replace(branch_predictor=predictor, mul_latency=latency,
                           registered_fetch=True, registered_redirect=seed % 2 == 0,
                           regfile_sync_read=sync_rf)
    assert_same_run(config, random_program(config, seed))


def test_default_preset_runs():
    assert_same_run(PRESETS["default"], loop_sum(PRESETS["default"]).program())


# ---- traps -------------------------------------------------------------------------
def _trapping(config, body) -> Asm:
    a = Asm(config)
    a.li(20, DATA)
    a.addi(rd=5, rs1=0, imm=1)
    body(a)
    a.addi(rd=6, rs1=0, imm=2)  # must never retire
    a.syscall_exit(6)
    return a


TRAPS = {
    "illegal": (lambda a: a.word(0), TrapCause.ILLEGAL_INSTRUCTION),
    "ebreak": (lambda a: a.ebreak(), TrapCause.BREAKPOINT),
    "load_misaligned": (lambda a: a.lw(rd=7, rs1=20, imm=2), TrapCause.LOAD_MISALIGNED),
    "load_fault": (lambda a: a.lb(rd=7, rs1=0, imm=16), TrapCause.LOAD_ACCESS_FAULT),
    "store_misaligned": (lambda a: a.sh(rs1=20, rs2=5, imm=1), TrapCause.STORE_MISALIGNED),
    "store_fault": (lambda a: (a.li(21, SMALL.mem_end), a.sw(rs1=21, rs2=5, imm=0)),
                    TrapCause.STORE_ACCESS_FAULT),
    "jump_misaligned": (lambda a: (a.auipc(rd=21, imm=0), a.jalr(rd=1, rs1=21, imm=10)),
                        TrapCause.INSTRUCTION_MISALIGNED),
    "branch_misaligned": (lambda a: a.word(BY_MNEMONIC["beq"].encode(rs1=0, rs2=0, imm=6)),
                          TrapCause.INSTRUCTION_MISALIGNED),
    "fetch_fault": (lambda a: a.jalr(rd=1, rs1=0, imm=0x400),
                    TrapCause.INSTRUCTION_ACCESS_FAULT),
    "csr_write": (lambda a: a.csrrw(rd=7, csr=0xC00, rs1=5), TrapCause.ILLEGAL_INSTRUCTION),
    "csr_set": (lambda a: a.csrrsi(rd=7, csr=0xC02, uimm=1), TrapCause.ILLEGAL_INSTRUCTION),
    "csr_unknown": (lambda a: a.csrrs(rd=7, csr=0x300, rs1=0), TrapCause.ILLEGAL_INSTRUCTION),
    "unknown_ecall": (lambda a: (a.addi(rd=A7, rs1=0, imm=1), a.ecall()),
                      TrapCause.UNKNOWN_ECALL),
}


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_traps(name):
    body, cause = TRAPS[name]
    stop = assert_same_run(SMALL, _trapping(SMALL, body).program())
    assert stop.trap_cause == cause and stop.reason == "trap"


def test_running_off_the_end_of_ram():
    config = SMALL
    a = Asm(config, base=config.mem_end - 8)
    a.addi(rd=5, rs1=0, imm=1)
    a.addi(rd=5, rs1=5, imm=1)  # the next fetch is outside RAM
    stop = assert_same_run(config, a.program())
    assert stop.trap_cause == TrapCause.INSTRUCTION_ACCESS_FAULT


# ---- counters ------------------------------------------------------------------------
def test_csr_reads():
    """instret reads match the interpreter exactly; cycle and the stall counters are the
    RTL's own (the interpreter reads cycle as instret and hpmcounters as 0)."""
    a = Asm(SMALL)
    a.li(20, DATA)
    a.csrrs(rd=5, csr=0xC02, rs1=0)  # instret
    a.lw(rd=6, rs1=20, imm=0)
    a.add(rd=7, rs1=6, rs2=6)  # one load-use stall
    a.csrrs(rd=8, csr=0xC02, rs1=0)
    a.csrrs(rd=9, csr=0xC82, rs1=0)  # instreth
    a.csrrsi(rd=10, csr=0xF14, uimm=0)  # mhartid
    a.csrrs(rd=11, csr=0xC00, rs1=0)  # cycle
    a.csrrs(rd=12, csr=0xC01, rs1=0)  # time
    a.csrrs(rd=13, csr=0xC03, rs1=0)  # hpmcounter3: stall_load_use
    a.csrrs(rd=14, csr=0xC1F, rs1=0)  # hpmcounter31: unused
    a.syscall_exit(0)
    program = a.program()
    from tests.hw.oxcore.rtl_helpers import interpreter_records
    ref, _, _ = interpreter_records(SMALL, program)
    got, stop, _ = rtl_records(SMALL, program)
    timing = {11, 12, 13}
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        if g.rd in timing:
            assert g.rd == r.rd
        else:
            assert g == r
    values = {g.rd: g.rd_value for g in got}
    assert values[5] == 2 and values[8] == 5 and values[9] == 0 and values[10] == 0
    assert 0 < values[11] < stop.cycles and values[12] >= values[11]
    assert values[13] == 1 and values[14] == 0
    assert stop.counters["stall_load_use"] == 1


def test_counters_and_cpi():
    stop = assert_same_run(SMALL, loop_sum(SMALL, n=20).program())
    c = stop.counters
    assert c["cycle"] == stop.cycles and c["instret"] == stop.instret
    assert c["branches"] == 20 and c["mispredicts"] == 1  # the loop exit
    assert c["stall_branch"] == 1 and c["stall_load_use"] == 0 and c["stall_muldiv"] == 0
    assert stop.cpi < 1.15
    stalls = muldiv_chain(SMALL)
    stop = assert_same_run(SMALL, stalls.program())
    assert stop.counters["stall_muldiv"] >= 6 * 32  # six divides


# ---- configuration -----------------------------------------------------------------
def test_config_fields_validated():
    from oxcore.errors import ConfigError
    for bad in (dict(branch_predictor="gshare"), dict(btb_entries=12),
                dict(btb_entries=0), dict(mul_latency=4), dict(mul_latency=True)):
        field = next(iter(bad))
        with pytest.raises(ConfigError, match=field):
            SMALL.replace(**bad)
