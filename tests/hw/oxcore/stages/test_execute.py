"""EX on its own (`stages.execute.Execute`, with an LSU and a CSR file wired to its
request ports as `core.Core` wires them): ALU results into the EX/MEM register,
operands forwarded from MEM and WB by the registered selects, a mispredicted branch
redirecting fetch (at once, or a cycle later with `registered_redirect`), address traps,
a store's byte lanes on the data port, and EX waiting for the data port and the divider.
Every expectation is computed by hand."""

from typing import Awaitable, Callable

from amaranth import Module
from amaranth.lib import wiring

from hw.oxcore.control import CONTROL_LAYOUT, Flow, MemOp, Unit, control_constant
from hw.oxcore.csr import CsrFile
from hw.oxcore.lsu import Lsu
from hw.oxcore.pipeline import stage_layouts
from hw.oxcore.stages.execute import Execute
from oxcore.config import PRESETS
from oxcore.isa import BY_MNEMONIC
from oxcore.retire import TrapCause
from tests.hw.oxcore.rtl_helpers import simulate

ID_EX, EX_MEM, MEM_WB = stage_layouts(0)
BASE = PRESETS["default"].mem_base  # RAM: 0x8000_0000 .. + 256 KiB
PC = BASE + 0x100


class ExWithUnits(wiring.Component):
    """The stage with an LSU and a CSR file, connected as `core.Core` connects them."""

    def __init__(self, *, registered_redirect: bool = False) -> None:
        self.stage = Execute(ID_EX, EX_MEM, MEM_WB, mul_latency=2, sync_rf=False,
                             registered_redirect=registered_redirect,
                             branch_predictor="static")
        self.lsu = Lsu(PRESETS["default"])
        self.csr = CsrFile()
        super().__init__({})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.stage, m.submodules.lsu, m.submodules.csr = stage, lsu, csr = (
            self.stage, self.lsu, self.csr)
        request = stage.lsu
        m.d.comb += [
            lsu.load.eq(request.load), lsu.store.eq(request.store),
            lsu.addr.eq(request.addr), lsu.size_log2.eq(request.size_log2),
            lsu.store_data.eq(request.store_data),
            request.fault.eq(lsu.fault), request.cause.eq(lsu.cause),
            request.bus_addr.eq(lsu.bus_addr), request.bus_wmask.eq(lsu.bus_wmask),
            request.bus_wdata.eq(lsu.bus_wdata), request.store_value.eq(lsu.store_value),
            csr.addr.eq(stage.csr.addr), stage.csr.rdata.eq(csr.rdata),
            stage.csr.known.eq(csr.known),
        ]
        return m


def _present(ctx, x, mnemonic: str, *, pc: int = PC, rd: int = 0, rs1: int = 0,
             rs2: int = 0, imm: int = 0, rs1_val: int = 0, rs2_val: int = 0,
             pred_next: int | None = None, csr: int = 0) -> None:
    """EX holds ``mnemonic`` (its control word from the control table), predicted to
    go to ``pred_next`` (default pc + 4)."""
    pred_next = pc + 4 if pred_next is None else pred_next
    ctl = CONTROL_LAYOUT.const(control_constant(BY_MNEMONIC[mnemonic]))
    no_trap = {"valid": 0, "cause": 0}
    for name, value in {"valid": 1, "pc": pc, "insn": 0, "ctl": ctl, "rd": rd, "rs1": rs1,
                        "rs2": rs2, "imm": imm & 0xFFFF_FFFF, "csr": csr, "rs1_val": rs1_val,
                        "rs2_val": rs2_val, "pred_next": pred_next, "trap": no_trap,
                        "mul_issued": 0, "pred_seq": int(pred_next == pc + 4),
                        "pred_target": int(pred_next == (pc + imm) & 0xFFFF_FFFF)}.items():
        ctx.set(getattr(x, name), value)


def _simulate_ex(bench: Callable[..., Awaitable[None]], **options: bool) -> None:
    """Run `bench(ctx, stage)` on a fresh `ExWithUnits(**options)`, its EX advancing
    and the data port ready from the start (what every test here begins with)."""
    dut = ExWithUnits(**options)

    async def started(ctx) -> None:
        ctx.set(dut.stage.advance, 1)
        ctx.set(dut.stage.dmem.ready, 1)
        await bench(ctx, dut.stage)

    simulate(dut, started)


def test_alu_results_into_ex_mem():
    async def bench(ctx, stage):
        mm = stage.mm
        for mnemonic, a, b, expected in (
                ("add", 7, 5, 12),
                ("sub", 5, 7, 0xFFFF_FFFE),  # 5 - 7 wraps
                ("sltu", 1, 0xFFFF_FFFF, 1),  # unsigned: 1 < 2^32 - 1 (signed it is not)
                ("sltu", 0xFFFF_FFFF, 1, 0)):
            _present(ctx, stage.x, mnemonic, rd=9, rs1=1, rs2=2, rs1_val=a, rs2_val=b)
            assert ctx.get(stage.fire) and not ctx.get(stage.trap.valid)
            assert not ctx.get(stage.dmem.valid)  # no memory access
            await ctx.tick()
            assert ctx.get(mm.valid) and ctx.get(mm.rd) == 9 and ctx.get(mm.writes)
            assert ctx.get(mm.unit) == Unit.ALU
            assert ctx.get(mm.result) == expected, mnemonic
        # rd = x0: the result goes nowhere.
        _present(ctx, stage.x, "add", rd=0, rs1_val=1, rs2_val=1)
        await ctx.tick()
        assert ctx.get(mm.valid) and not ctx.get(mm.writes)

    _simulate_ex(bench)


def test_forwarding_from_mem_and_wb():
    async def bench(ctx, stage):
        # addi x7 moves to MEM; then add x6 moves to MEM and addi x7 to WB. Meanwhile
        # ID decodes an instruction reading x6 and x7: the selects, registered, pick
        # MEM for x6 (EX's add, then in MEM) and WB for x7.
        _present(ctx, stage.x, "addi", rd=7, imm=1)
        await ctx.tick()
        _present(ctx, stage.x, "add", rd=6, rs1_val=1, rs2_val=2)
        ctx.set(stage.d_rs.rs1, 6)
        ctx.set(stage.d_rs.rs2, 7)
        await ctx.tick()
        # What MEM and WB forward (their registers are not this stage's to check).
        ctx.set(stage.m_value, 100)
        ctx.set(stage.w_value, 23)
        _present(ctx, stage.x, "add", rd=8, rs1=6, rs2=7, rs1_val=0xDEAD, rs2_val=0xBEEF)
        assert ctx.get(stage.operands.rs1) == 100  # from MEM, not the stale 0xDEAD
        assert ctx.get(stage.operands.rs2) == 23  # from WB
        ctx.set(stage.d_rs.rs1, 8)  # next: x8 (EX's add, going to MEM) and x0
        ctx.set(stage.d_rs.rs2, 0)
        await ctx.tick()
        assert ctx.get(stage.mm.result) == 123
        _present(ctx, stage.x, "add", rd=9, rs1=8, rs2=0, rs1_val=1, rs2_val=0x55)
        assert ctx.get(stage.operands.rs1) == 100  # MEM's value again (x8)
        assert ctx.get(stage.operands.rs2) == 0x55  # x0 is never forwarded
        # Both MEM and WB write x5: MEM's value is the newer one.
        ctx.set(stage.d_rs.rs1, 5)
        ctx.set(stage.d_rs.rs2, 9)
        _present(ctx, stage.x, "add", rd=5)
        await ctx.tick()  # add x5 -> MEM
        _present(ctx, stage.x, "add", rd=5)
        await ctx.tick()  # add x5 -> MEM, the older one -> WB
        _present(ctx, stage.x, "add", rd=10, rs1=5, rs2=9, rs1_val=3, rs2_val=4)
        assert ctx.get(stage.operands.rs1) == 100  # MEM (m_value), not WB's 23
        assert ctx.get(stage.operands.rs2) == 4  # x9: not in MEM or WB any more

    _simulate_ex(bench)


def test_mispredicted_taken_branch_redirects():
    async def bench(ctx, stage):
        # beq taken (equal operands), predicted not taken: fetch goes to pc + 0x40.
        _present(ctx, stage.x, "beq", rs1=1, rs2=2, imm=0x40, rs1_val=5, rs2_val=5)
        assert ctx.get(stage.fire) and ctx.get(stage.mispredict)
        assert ctx.get(stage.redirect.valid) and ctx.get(stage.redirect.target) == PC + 0x40
        update = stage.predictor
        assert ctx.get(update.valid) and ctx.get(update.taken)
        assert ctx.get(update.flow) == Flow.BRANCH and ctx.get(update.pc) == PC
        assert ctx.get(update.target) == PC + 0x40 and ctx.get(update.mispredict)
        # Not taken, predicted not taken: no redirect (the predictor still learns).
        _present(ctx, stage.x, "beq", rs1=1, rs2=2, imm=0x40, rs1_val=5, rs2_val=6)
        assert not ctx.get(stage.redirect.valid) and not ctx.get(stage.mispredict)
        assert ctx.get(update.valid) and not ctx.get(update.taken)
        # Not taken, predicted taken: back to pc + 4.
        _present(ctx, stage.x, "bne", rs1=1, rs2=2, imm=-0x20, rs1_val=5, rs2_val=5,
                 pred_next=PC - 0x20)
        assert ctx.get(stage.redirect.valid) and ctx.get(stage.redirect.target) == PC + 4
        # A mispredicted jalr goes to its computed target (rs1 + imm, bit 0 cleared).
        _present(ctx, stage.x, "jalr", rd=1, rs1=5, imm=8, rs1_val=BASE + 0x201)
        assert ctx.get(stage.redirect.valid)
        assert ctx.get(stage.redirect.target) == BASE + 0x208
        await ctx.tick()
        assert ctx.get(stage.mm.result) == PC + 4  # the link value
        # A taken target that is not 4-byte aligned traps instead of redirecting.
        _present(ctx, stage.x, "jalr", rd=1, rs1=5, imm=6, rs1_val=BASE + 0x200)
        assert ctx.get(stage.trap.valid) and not ctx.get(stage.redirect.valid)
        assert ctx.get(stage.trap.cause) == TrapCause.INSTRUCTION_MISALIGNED

    _simulate_ex(bench)


def test_registered_redirect_acts_a_cycle_later():
    async def bench(ctx, stage):
        _present(ctx, stage.x, "beq", imm=0x40, rs1_val=5, rs2_val=5)
        assert ctx.get(stage.mispredict) and not ctx.get(stage.redirect.valid)
        await ctx.tick()
        # The redirect now, from registers; the wrong-path instruction in EX is dead.
        _present(ctx, stage.x, "add", pc=PC + 4, rd=3, rs1_val=1, rs2_val=1)
        assert ctx.get(stage.redirect.valid) and ctx.get(stage.redirect.target) == PC + 0x40
        assert not ctx.get(stage.live) and not ctx.get(stage.fire)
        assert ctx.get(stage.predictor.valid) and ctx.get(stage.predictor.mispredict)
        await ctx.tick()
        assert not ctx.get(stage.mm.valid)  # a bubble into MEM
        assert not ctx.get(stage.redirect.valid) and ctx.get(stage.live)

    _simulate_ex(bench, registered_redirect=True)


def test_address_and_csr_traps():
    async def bench(ctx, stage):
        mm = stage.mm
        for mnemonic, address, cause in (
                ("lw", BASE + 2, TrapCause.LOAD_MISALIGNED),
                ("lh", BASE + 1, TrapCause.LOAD_MISALIGNED),
                ("lw", 0x1000, TrapCause.LOAD_ACCESS_FAULT),  # outside RAM
                ("sh", BASE + 3, TrapCause.STORE_MISALIGNED),
                ("sw", BASE - 4, TrapCause.STORE_ACCESS_FAULT)):
            _present(ctx, stage.x, mnemonic, rd=5, rs1=1, imm=-4, rs1_val=address + 4)
            assert ctx.get(stage.trap.valid) and ctx.get(stage.trap.cause) == cause, mnemonic
            assert ctx.get(stage.dmem.mask) == 0  # a faulting store writes nothing
            await ctx.tick()
            assert ctx.get(mm.valid) and ctx.get(mm.trap.valid)
            assert ctx.get(mm.trap.cause) == cause and not ctx.get(mm.writes)
            assert ctx.get(mm.addr) == address
            # The instruction that issued behind it is squashed (MEM holds a trap).
            _present(ctx, stage.x, "sw", rs1=1, rs1_val=BASE)
            assert not ctx.get(stage.live) and not ctx.get(stage.fire)
            assert not ctx.get(stage.dmem.valid)  # it must not write memory
            await ctx.tick()
            assert not ctx.get(mm.valid)
        # A byte load is never misaligned.
        _present(ctx, stage.x, "lbu", rd=5, rs1=1, rs1_val=BASE + 3)
        assert not ctx.get(stage.trap.valid)
        # Every CSR is read-only: csrrw traps; reading instret does not.
        _present(ctx, stage.x, "csrrw", rd=5, rs1=1, csr=0xC02)
        assert ctx.get(stage.trap.cause) == TrapCause.ILLEGAL_INSTRUCTION
        _present(ctx, stage.x, "csrrs", rd=5, rs1=0, csr=0xC02)
        assert not ctx.get(stage.trap.valid)

    _simulate_ex(bench)


def test_store_byte_lanes_on_the_data_port():
    async def bench(ctx, stage):
        dmem = stage.dmem
        for mnemonic, offset, mask, wdata, stored in (
                ("sb", 3, 0b1000, 0xABAB_ABAB, 0xAB),
                ("sb", 0, 0b0001, 0xABAB_ABAB, 0xAB),
                ("sh", 2, 0b1100, 0x56AB_56AB, 0x56AB),
                ("sw", 0, 0b1111, 0x1234_56AB, 0x1234_56AB)):
            _present(ctx, stage.x, mnemonic, rs1=1, rs2=2, imm=offset,
                     rs1_val=BASE + 0x40, rs2_val=0x1234_56AB)
            assert ctx.get(dmem.valid) and ctx.get(dmem.write), mnemonic
            assert ctx.get(dmem.addr) == (BASE + 0x40) >> 2
            assert ctx.get(dmem.mask) == mask and ctx.get(dmem.wdata) == wdata
            await ctx.tick()
            assert ctx.get(stage.mm.mem) == MemOp.STORE and not ctx.get(stage.mm.writes)
            assert ctx.get(stage.mm.store_value) == stored
        # A load reads: a request without write.
        _present(ctx, stage.x, "lw", rd=5, rs1=1, imm=8, rs1_val=BASE)
        assert ctx.get(dmem.valid) and not ctx.get(dmem.write)
        assert ctx.get(dmem.addr) == (BASE + 8) >> 2
        # No request while the pipeline does not advance (WB waits).
        ctx.set(stage.advance, 0)
        assert not ctx.get(dmem.valid) and not ctx.get(stage.fire)

    _simulate_ex(bench)


def test_waits_for_the_data_port_and_the_divider():
    async def bench(ctx, stage):
        ctx.set(stage.dmem.ready, 0)  # a bank conflict, a lost arbitration
        _present(ctx, stage.x, "lw", rd=5, rs1=1, rs1_val=BASE + 0x10)
        for _ in range(2):
            # The request stays up (it must not depend on ready); EX waits.
            assert ctx.get(stage.dmem.valid) and ctx.get(stage.mem_wait)
            assert not ctx.get(stage.fire) and ctx.get(stage.live)
            assert not ctx.get(stage.hold)  # hold is the divider's and multiplier's
            await ctx.tick()
            assert not ctx.get(stage.mm.valid)  # bubbles into MEM meanwhile
        ctx.set(stage.dmem.ready, 1)
        assert ctx.get(stage.fire) and not ctx.get(stage.mem_wait)
        await ctx.tick()
        assert ctx.get(stage.mm.valid) and ctx.get(stage.mm.unit) == Unit.LOAD
        assert ctx.get(stage.mm.addr) == BASE + 0x10
        # rem -7 % 2 = -1: EX holds until the divider is done.
        _present(ctx, stage.x, "rem", rd=4, rs1=1, rs2=2, rs1_val=-7 & 0xFFFF_FFFF,
                 rs2_val=2)
        cycles = 0
        while ctx.get(stage.hold):
            assert not ctx.get(stage.fire)
            await ctx.tick()
            cycles += 1
            assert cycles < 40
        assert cycles == 10  # start, normalise, 8 iterations (the dividend's one byte)
        assert ctx.get(stage.fire)
        await ctx.tick()
        assert ctx.get(stage.mm.valid) and ctx.get(stage.mm.result) == 0xFFFF_FFFF

    _simulate_ex(bench)
