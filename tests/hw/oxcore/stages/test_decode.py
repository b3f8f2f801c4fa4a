"""ID on its own (`stages.decode.Decode`, with a hazard unit wired as `core.Core` wires
it): an instruction issues into the ID/EX register with its decoded fields, operands
and prediction flags; an instruction using a load's rd right behind it waits a cycle
(load-use) and EX gets a bubble; a redirect squashes the issue; an illegal word issues
as a trap instruction."""

from amaranth import Module
from amaranth.lib import wiring

from hw.oxcore.control import Unit
from hw.oxcore.hazard import HazardUnit
from hw.oxcore.pipeline import stage_layouts
from hw.oxcore.stages.decode import Decode
from oxcore.retire import TrapCause
from tests.hw.oxcore.rtl_helpers import simulate

ID_EX, _, _ = stage_layouts(0)
LW_X5 = 0x0000_A283  # lw x5, 0(x1)
ADD_X6_X5_X7 = 0x0072_8333  # add x6, x5, x7 (uses the load's rd)
ADDI_X6_X8_1 = 0x0014_0313  # addi x6, x8, 1 (does not)
PC = 0x8000_0100


class DecodeWithHazards(wiring.Component):
    """The stage and a hazard unit (MEM and WB empty), as the core connects them."""

    def __init__(self) -> None:
        self.stage = Decode(ID_EX, sync_rf=False, registered_fetch=False, predecode=False)
        self.hazard = HazardUnit(mul_latency=2)
        super().__init__({})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.stage, m.submodules.hazard = stage, hz = self.stage, self.hazard
        query = stage.hazard
        m.d.comb += [
            hz.d_valid.eq(query.valid), hz.d_reads_rs1.eq(query.reads_rs1),
            hz.d_reads_rs2.eq(query.reads_rs2), hz.d_rs1.eq(query.rs1),
            hz.d_rs2.eq(query.rs2), hz.d_csr.eq(query.csr), hz.x.eq(stage.ex_producer),
            stage.stall.load_use.eq(hz.stall_load_use), stage.stall.mul.eq(hz.stall_mul),
            stage.stall.serial.eq(hz.stall_serial),
        ]
        return m


def _present(ctx, stage, word: int, pc: int = PC) -> None:
    """ID holds ``word`` at ``pc``, predicted to fall through."""
    ctx.set(stage.d.valid, 1)
    ctx.set(stage.d.pc, pc)
    ctx.set(stage.d.word, word)
    ctx.set(stage.d.pred, pc + 4)


def test_issue_then_load_use_stall():
    dut = DecodeWithHazards()
    stage = dut.stage

    async def bench(ctx):
        ctx.set(stage.rf_data.rs1, 0x1000)
        _present(ctx, stage, LW_X5)
        assert ctx.get(stage.issue)  # EX is empty
        assert ctx.get(stage.rf_read.rs1) == 1  # the register file reads rs1 = x1
        await ctx.tick()
        x = stage.x
        assert ctx.get(x.valid) and ctx.get(x.pc) == PC and ctx.get(x.insn) == LW_X5
        assert ctx.get(x.rd) == 5 and ctx.get(x.ctl.unit) == Unit.LOAD
        assert ctx.get(x.rs1_val) == 0x1000 and not ctx.get(x.trap.valid)
        assert ctx.get(x.pred_seq)  # predicted pc + 4
        # The load is in EX and moves on; ID's add reads x5: load-use, no issue.
        ctx.set(stage.x_live, 1)
        ctx.set(stage.x_fire, 1)
        _present(ctx, stage, ADD_X6_X5_X7, PC + 4)
        assert ctx.get(dut.hazard.stall_load_use) and not ctx.get(stage.issue)
        await ctx.tick()
        assert not ctx.get(x.valid)  # a bubble into EX
        # EX empty now: the add issues.
        ctx.set(stage.x_live, 0)
        ctx.set(stage.x_fire, 0)
        ctx.set(stage.rf_data.rs1, 77)
        ctx.set(stage.rf_data.rs2, 3)
        assert ctx.get(stage.issue)
        await ctx.tick()
        assert ctx.get(x.valid) and ctx.get(x.pc) == PC + 4 and ctx.get(x.rd) == 6
        assert (ctx.get(x.rs1), ctx.get(x.rs2)) == (5, 7)
        assert (ctx.get(x.rs1_val), ctx.get(x.rs2_val)) == (77, 3)

    simulate(dut, bench)


def test_independent_instruction_issues_behind_load():
    dut = DecodeWithHazards()
    stage = dut.stage

    async def bench(ctx):
        _present(ctx, stage, LW_X5)
        await ctx.tick()
        ctx.set(stage.x_live, 1)
        ctx.set(stage.x_fire, 1)
        _present(ctx, stage, ADDI_X6_X8_1, PC + 4)
        assert ctx.get(stage.issue)  # no dependency on x5
        # ... unless a redirect squashes ID, or EX cannot move on.
        ctx.set(stage.squash, 1)
        assert not ctx.get(stage.issue)
        ctx.set(stage.squash, 0)
        ctx.set(stage.x_fire, 0)
        assert not ctx.get(stage.issue)
        await ctx.tick()  # EX holds: its instruction stays
        assert ctx.get(stage.x.valid) and ctx.get(stage.x.insn) == LW_X5

    simulate(dut, bench)


def test_illegal_word_issues_as_trap():
    dut = DecodeWithHazards()
    stage = dut.stage

    async def bench(ctx):
        _present(ctx, stage, 0xFFFF_FFFF)
        assert ctx.get(stage.issue)
        await ctx.tick()
        assert ctx.get(stage.x.valid) and ctx.get(stage.x.trap.valid)
        assert ctx.get(stage.x.trap.cause) == TrapCause.ILLEGAL_INSTRUCTION
        # A fetch access fault wins over the word.
        ctx.set(stage.d.fault, 1)
        _present(ctx, stage, ADDI_X6_X8_1, 0x10)
        await ctx.tick()
        assert ctx.get(stage.x.trap.cause) == TrapCause.INSTRUCTION_ACCESS_FAULT

    simulate(dut, bench)
