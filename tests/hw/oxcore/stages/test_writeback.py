"""WB on its own (`stages.writeback.Writeback`): the retire record and register write
of an ALU instruction and of a store, the ecall handshake (WB waits, the pipeline does
not advance, until the harness answers; then a0 is written and retired), an unknown
ecall and a trap retiring as trap records and halting the core."""

from hw.oxcore.control import MemOp, Unit
from hw.oxcore.pipeline import ENV_ARGS, stage_layouts
from hw.oxcore.stages.writeback import Writeback
from oxcore.retire import TrapCause
from tests.hw.oxcore.rtl_helpers import simulate

_, _, MEM_WB = stage_layouts(0)


def _set_w(ctx, w, trap: int = 0, cause: int = 0, **fields) -> None:
    for name, value in {"valid": 1, "pc": 0x8000_0010, "insn": 0x0010_0093, "rd": 1,
                        "writes": 1, "unit": Unit.ALU, "result": 0, "ecall": 0,
                        "mem": MemOp.NONE, "addr": 0, "size_log2": 0, "mem_data": 0,
                        **fields}.items():
        ctx.set(getattr(w, name), value)
    ctx.set(w.trap.valid, trap)
    ctx.set(w.trap.cause, cause)


def test_retire_record_and_register_write():
    dut = Writeback(MEM_WB, mul_latency=2)

    async def bench(ctx):
        ctx.set(dut.instret, 7)
        _set_w(ctx, dut.w, rd=5, result=123)
        r = dut.record
        assert ctx.get(dut.advance) and ctx.get(dut.retired)
        assert ctx.get(r.valid) and ctx.get(r.order) == 7 and ctx.get(r.pc) == 0x8000_0010
        assert ctx.get(r.x.valid) and ctx.get(r.x.reg) == 5 and ctx.get(r.x.value) == 123
        assert not ctx.get(r.mem.valid) and not ctx.get(r.trap.valid)
        assert (ctx.get(dut.rf_write.en), ctx.get(dut.rf_write.addr),
                ctx.get(dut.rf_write.data)) == (1, 5, 123)
        # At latency >= 2 a mul's product arrives in WB from the multiplier.
        ctx.set(dut.w.unit, Unit.MUL)
        ctx.set(dut.mul_result, 99)
        assert ctx.get(dut.value) == 99 and ctx.get(r.x.value) == 99
        # A halfword store: a memory effect with the size's mask, no register.
        _set_w(ctx, dut.w, unit=Unit.NONE, writes=0, mem=MemOp.STORE, addr=0x8000_0102,
               size_log2=1, mem_data=0xBEEF)
        assert not ctx.get(r.x.valid) and not ctx.get(dut.rf_write.en)
        assert ctx.get(r.mem.valid) and ctx.get(r.mem.write)
        assert (ctx.get(r.mem.addr), ctx.get(r.mem.size), ctx.get(r.mem.mask),
                ctx.get(r.mem.data)) == (0x8000_0102, 2, 0b11, 0xBEEF)

    simulate(dut, bench)


def test_ecall_handshake():
    dut = Writeback(MEM_WB, mul_latency=1)

    async def bench(ctx):
        for i, value in enumerate((10, 11, 12, 93)):  # a0, a1, a2, a7
            ctx.set(dut.env_args[i], value)
        _set_w(ctx, dut.w, unit=Unit.NONE, writes=0, rd=0, ecall=1, insn=0x73)
        # The harness has not answered: WB waits, nothing retires or advances.
        req = dut.env_req
        assert ctx.get(req.valid) and ctx.get(req.pc) == 0x8000_0010
        assert (ctx.get(req.a0), ctx.get(req.a1), ctx.get(req.a2), ctx.get(req.a7)) == \
            (10, 11, 12, 93)
        assert ctx.get(dut.wait) and ctx.get(dut.env_wait)
        assert not ctx.get(dut.advance) and not ctx.get(dut.record.valid)
        await ctx.tick()
        # The answer: the ecall retires writing a0.
        ctx.set(dut.env_resp.valid, 1)
        ctx.set(dut.env_resp.a0, 0x55)
        assert ctx.get(dut.advance) and ctx.get(dut.record.valid)
        assert (ctx.get(dut.rf_write.en), ctx.get(dut.rf_write.addr),
                ctx.get(dut.rf_write.data)) == (1, ENV_ARGS[0], 0x55)
        assert ctx.get(dut.record.x.reg) == ENV_ARGS[0] and ctx.get(dut.record.x.value) == 0x55
        await ctx.tick()
        assert not ctx.get(dut.halted)
        # An unknown ecall: a trap record, no write, and the core halts.
        ctx.set(dut.env_resp.fault, 1)
        assert ctx.get(dut.record.valid) and ctx.get(dut.record.trap.valid)
        assert ctx.get(dut.record.trap.cause) == TrapCause.UNKNOWN_ECALL
        assert not ctx.get(dut.rf_write.en) and not ctx.get(dut.retired)
        await ctx.tick()
        assert ctx.get(dut.halted)
        assert not ctx.get(dut.record.valid) and not ctx.get(dut.env_req.valid)

    simulate(dut, bench)


def test_trap_halts():
    dut = Writeback(MEM_WB, mul_latency=1)

    async def bench(ctx):
        _set_w(ctx, dut.w, trap=1, cause=TrapCause.ILLEGAL_INSTRUCTION, rd=3)
        r = dut.record
        assert ctx.get(r.valid) and ctx.get(r.trap.valid)
        assert ctx.get(r.trap.cause) == TrapCause.ILLEGAL_INSTRUCTION
        assert not ctx.get(r.x.valid) and not ctx.get(dut.rf_write.en)
        assert not ctx.get(dut.retired)  # traps do not count in instret
        await ctx.tick()
        assert ctx.get(dut.halted) and not ctx.get(dut.advance)

    simulate(dut, bench)
