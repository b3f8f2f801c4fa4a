"""Branches: resolution in EX (`BranchUnit`) and next-pc prediction at fetch (`Predictor`).

The fetch address for the instruction after the one in ID is chosen while that
instruction's word is being decoded (the RAM's output register is the IF/ID
register), so a correctly predicted taken branch costs no bubble. EX compares the
resolved next pc with the predicted one and redirects fetch on a mismatch.

Predictor modes (`OxCoreConfig.branch_predictor`):

- ``none``: always pc + 4.
- ``static``: backward-taken/forward-not-taken for conditional branches, jal taken to
  its decoded target, jalr pc + 4.
- ``btb``: a direct-mapped table of `btb_entries` entries (tag, target, 2-bit
  saturating counter) indexed by pc. A hit predicts a branch by its counter and a jalr
  by its stored target; a miss falls back to ``static``. EX updates the counter of
  every branch that hits, allocates branches that the static rule mispredicted and
  every jalr (target changes overwrite the entry). jal needs no entry.
- ``nlp``: a next-line predictor, the same table looked up by the pc alone: a hit
  whose counter says taken predicts the stored target, anything else pc + 4. It never
  looks at the fetched word, so the path from the instruction RAM's output to the
  next fetch address (the critical path on ECP5 with the other modes) disappears; the
  price is that a jal or a backward branch mispredicts until it has an entry. EX
  allocates every mispredicted taken transfer (branch with counter 2, jal and jalr
  with counter 3), updates the counter of every branch that hits, and invalidates an
  entry that predicted a non-transfer (a stale entry, after a new program was loaded).
"""

from typing import NamedTuple

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.control import Cond, Flow
from oxcore.config import OxCoreConfig


class BranchUnit(wiring.Component):
    """Resolves a control transfer: taken?, target, and the architectural next pc."""

    flow: In(Flow)
    cond: In(Cond)
    rs1: In(32)
    rs2: In(32)
    pc: In(32)
    imm: In(32)
    taken: Out(1)
    target: Out(32)
    next_pc: Out(32)
    misaligned: Out(1)  # taken to a target that is not 4-byte aligned: a trap

    def elaborate(self, platform) -> Module:
        m = Module()
        a, b = self.rs1, self.rs2
        condition = Signal()
        # One 33-bit subtraction serves the signed and unsigned orders (the operands
        # extended by their sign bit or by 0): one carry chain instead of two.
        signed = (self.cond == Cond.LT) | (self.cond == Cond.GE)
        a33 = Cat(a, signed & a[31]).as_signed()
        b33 = Cat(b, signed & b[31]).as_signed()
        less = Signal()
        m.d.comb += less.eq((a33 - b33)[33])
        with m.Switch(self.cond):
            with m.Case(Cond.EQ):
                m.d.comb += condition.eq(a == b)
            with m.Case(Cond.NE):
                m.d.comb += condition.eq(a != b)
            with m.Case(Cond.LT, Cond.LTU):
                m.d.comb += condition.eq(less)
            with m.Case(Cond.GE, Cond.GEU):
                m.d.comb += condition.eq(~less)
        jalr_target = (a + self.imm)[:32] & ~1
        m.d.comb += [
            self.taken.eq(Mux(self.flow == Flow.BRANCH, condition, self.flow != Flow.NONE)),
            self.target.eq(Mux(self.flow == Flow.JALR, jalr_target, self.pc + self.imm)),
            self.next_pc.eq(Mux(self.taken, self.target, self.pc + 4)),
            self.misaligned.eq(self.taken & (self.target[:2] != 0)),
        ]
        return m


class Predictor(wiring.Component):
    """Predicts the pc after the instruction in ID; learns from EX (btb mode)."""

    # lookup: the instruction in ID
    pc: In(32)
    flow: In(Flow)
    target: In(32)  # decoded direct target, pc + imm
    backward: In(1)  # the immediate is negative
    next_pc: Out(32)
    # update: a control transfer leaving EX
    update: In(1)
    update_pc: In(32)
    update_flow: In(Flow)
    update_taken: In(1)
    update_target: In(32)
    update_mispredict: In(1)

    def __init__(self, config: OxCoreConfig) -> None:
        self.mode = config.branch_predictor
        self.entries = config.btb_entries
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()
        sequential = self.pc + 4
        static_taken = (self.flow == Flow.JAL) | ((self.flow == Flow.BRANCH) & self.backward)
        static_next = Mux(static_taken, self.target, sequential)
        if self.mode == "none":
            m.d.comb += self.next_pc.eq(sequential)
            return m
        if self.mode == "static":
            m.d.comb += self.next_pc.eq(static_next)
            return m
        if self.mode == "nlp":
            return self._next_line(m, sequential)

        t = self._table(m)
        with m.If(t.hit & (self.flow == Flow.BRANCH)):
            m.d.comb += self.next_pc.eq(Mux(t.entry.counter[1], self.target, sequential))
        with m.Elif(t.hit & (self.flow == Flow.JALR)):
            m.d.comb += self.next_pc.eq(Cat(Const(0, 2), t.entry.target))
        with m.Else():
            m.d.comb += self.next_pc.eq(static_next)

        u, new, write = t.update, t.write.data, t.write
        with u.If(self.update & (self.update_flow == Flow.BRANCH)):
            with u.If(t.update_hit):
                u.d.comb += [new.counter.eq(_trained(t.update_entry.counter, self.update_taken)),
                             write.en.eq(1)]
            with u.Elif(self.update_mispredict):
                u.d.comb += [new.counter.eq(Mux(self.update_taken, 2, 1)), write.en.eq(1)]
        with u.If(self.update & (self.update_flow == Flow.JALR)):
            u.d.comb += [new.counter.eq(3),
                         write.en.eq(~t.update_hit
                                     | (t.update_entry.target != self.update_target[2:]))]
        return m

    def _table(self, m: Module) -> "_Table":
        """The direct-mapped table: the entry for `pc`, and (in a submodule of its own,
        for simulation speed: see lsu.py) the entry for `update_pc` with a write port
        whose data is preset to (valid, tag, target) of the update."""
        index_bits = self.entries.bit_length() - 1
        tag_bits = 30 - index_bits
        layout = data.StructLayout({"valid": 1, "tag": tag_bits, "target": 30, "counter": 2})
        m.submodules.table = table = memory.Memory(shape=layout, depth=self.entries, init=[])

        def split(pc):  # word address = tag : index
            return pc[2:2 + index_bits], pc[2 + index_bits:]

        look = table.read_port(domain="comb")
        index, tag = split(self.pc)
        m.d.comb += look.addr.eq(index)
        m.submodules.update = u = Module()
        old = table.read_port(domain="comb")
        write = table.write_port()
        u_index, u_tag = split(self.update_pc)
        u.d.comb += [old.addr.eq(u_index), write.addr.eq(u_index),
                     write.data.valid.eq(1), write.data.tag.eq(u_tag),
                     write.data.target.eq(self.update_target[2:])]
        return _Table(entry=look.data, hit=look.data.valid & (look.data.tag == tag),
                      update=u, update_entry=old.data,
                      update_hit=old.data.valid & (old.data.tag == u_tag), write=write)

    def _next_line(self, m: Module, sequential) -> Module:
        t = self._table(m)
        m.d.comb += self.next_pc.eq(Mux(t.hit & t.entry.counter[1],
                                        Cat(Const(0, 2), t.entry.target), sequential))
        u, new, write = t.update, t.write.data, t.write
        with u.If(self.update):
            with u.Switch(self.update_flow):
                with u.Case(Flow.BRANCH):
                    with u.If(t.update_hit):
                        u.d.comb += [new.counter.eq(_trained(t.update_entry.counter,
                                                             self.update_taken)),
                                     write.en.eq(1)]
                    with u.Elif(self.update_taken):
                        u.d.comb += [new.counter.eq(2), write.en.eq(1)]
                with u.Case(Flow.JAL, Flow.JALR):
                    u.d.comb += [new.counter.eq(3), write.en.eq(self.update_mispredict)]
                with u.Default():  # a non-transfer was predicted taken: a stale entry
                    u.d.comb += [new.valid.eq(0), write.en.eq(self.update_mispredict)]
        return m


class _Table(NamedTuple):
    entry: object  # the entry at `pc`
    hit: object
    update: Module
    update_entry: object  # the entry at `update_pc`
    update_hit: object
    write: object  # write port at `update_pc`, data preset (counter and en left to set)


def _trained(counter, taken):
    """A 2-bit saturating counter after one more outcome."""
    return Mux(taken, Mux(counter == 3, 3, counter + 1), Mux(counter == 0, 0, counter - 1))
