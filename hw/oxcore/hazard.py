"""Hazard unit: operand forwarding into EX and the reasons ID cannot issue.

Forwarding (EX operands): a source register takes the value of the youngest older
instruction that writes it: the one in MEM, else the one in WB, else the value read in
ID (the register file's write-through bypass already covered a WB write in that cycle).

ID stalls (the instruction in ID waits, EX gets a bubble):

- load-use: EX holds a load whose rd ID reads. A load's data arrives at the end of MEM,
  so MEM never forwards a load: one bubble, then WB forwards it.
- multiplier: with `mul_latency` >= 2 the product is ready only in WB; EX holds a mul
  whose rd ID reads (one bubble at latency 2, two at 3, when EX also holds the mul
  one extra cycle).
- serialisation: an ecall, ebreak or trapping instruction is in EX/MEM/WB (nothing
  younger may run past it: the harness services ecalls in WB, traps end the run),
  or ID holds a CSR read that waits for EX/MEM/WB to drain (so instret/cycle count
  exactly the older instructions).

The divider needs no rule here: a div occupies EX until its result is ready, which
stalls ID structurally; its dependants then get the result forwarded from MEM.

- engine (only with engines, `engine.py`): ID reads or writes a register in
  ``pending`` (an engine will write it: the scoreboard, and the rds of claimed
  instructions in EX/MEM/WB not yet dispatched); or ID holds a mul while a claimed
  instruction is in EX, MEM or WB (``engine_ahead``). The multiplier's result arrives
  a fixed number of cycles after issue, where the mul would be if the pipeline kept
  moving; a claimed instruction ahead of it may hold WB (waiting for its engine to take
  it) and the result would pass the mul by. So a mul issues only behind no claimed
  instruction: at most three cycles, and only next to engine code. Without engines these inputs are left
  undriven and ``stall_engine`` is a constant 0: the scalar core's logic is unchanged.
"""

from amaranth import Module
from amaranth.lib import data, enum, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.control import Unit
from hw.oxcore.faults import Fault, Faults


class Forward(enum.Enum, shape=2):
    REG = 0  # the value read in ID
    MEM = 1
    WB = 2


# What the hazard unit needs to know of an instruction in EX, MEM or WB.
PRODUCER = data.StructLayout({"valid": 1, "writes": 1, "rd": 5, "unit": Unit, "serial": 1})


class HazardUnit(wiring.Component):
    # ID
    d_valid: In(1)
    d_reads_rs1: In(1)
    d_reads_rs2: In(1)
    d_rs1: In(5)
    d_rs2: In(5)
    d_csr: In(1)
    # EX sources
    x_rs1: In(5)
    x_rs2: In(5)
    # producers
    x: In(PRODUCER)
    m: In(PRODUCER)
    w: In(PRODUCER)
    # results
    fwd_rs1: Out(Forward)
    fwd_rs2: Out(Forward)
    stall_load_use: Out(1)
    stall_mul: Out(1)
    stall_serial: Out(1)
    # engines
    d_writes_rd: In(1)
    d_rd: In(5)
    d_mul: In(1)
    pending: In(32)
    engine_ahead: In(1)  # a claimed instruction in EX, MEM or WB
    stall_engine: Out(1)

    def __init__(self, mul_latency: int, faults: Faults = frozenset(),
                 engines: bool = False) -> None:
        self.mul_latency = mul_latency
        self.faults = faults
        self.engines = engines
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()

        def writes(stage, reg):
            return stage.valid & stage.writes & (stage.rd == reg) & (reg != 0)

        # The newest value wins: MEM before WB (a fault may swap them).
        stages = [(self.m, Forward.MEM), (self.w, Forward.WB)]
        if Fault.FORWARD_WRONG_STAGE in self.faults:
            stages.reverse()
        for reg, out in ((self.x_rs1, self.fwd_rs1), (self.x_rs2, self.fwd_rs2)):
            (first, first_fwd), (second, second_fwd) = stages
            with m.If(writes(first, reg)):
                m.d.comb += out.eq(first_fwd)
            with m.Elif(writes(second, reg)):
                m.d.comb += out.eq(second_fwd)
            with m.Else():
                m.d.comb += out.eq(Forward.REG)

        x = self.x
        depends_on_x = ((self.d_reads_rs1 & writes(x, self.d_rs1)) |
                        (self.d_reads_rs2 & writes(x, self.d_rs2)))
        busy = x.valid | self.m.valid | self.w.valid
        serial = ((x.valid & x.serial) | (self.m.valid & self.m.serial) |
                  (self.w.valid & self.w.serial))
        m.d.comb += [
            self.stall_load_use.eq(self.d_valid & depends_on_x & (x.unit == Unit.LOAD)
                                   if Fault.NO_LOAD_USE_STALL not in self.faults else 0),
            self.stall_mul.eq(self.d_valid & depends_on_x & (x.unit == Unit.MUL)
                              if self.mul_latency >= 2 else 0),
            self.stall_serial.eq(self.d_valid & (serial | (self.d_csr & busy))),
        ]
        if self.engines:
            pending = self.pending
            m.d.comb += self.stall_engine.eq(self.d_valid & (
                (self.d_reads_rs1 & pending.bit_select(self.d_rs1, 1)) |
                (self.d_reads_rs2 & pending.bit_select(self.d_rs2, 1)) |
                (self.d_writes_rd & pending.bit_select(self.d_rd, 1)) |
                (self.d_mul & self.engine_ahead)))
        return m
