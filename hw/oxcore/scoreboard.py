"""Scoreboard: scalar registers an engine has yet to write.

Set when an instruction that writes ``rd`` is dispatched to an engine, cleared when its
completion is written. The hazard unit holds an instruction in ID that reads or writes
a pending register (`hazard.HazardUnit`, ``pending`` input): a later completion must
neither be read too early nor overwrite a younger instruction's result. x0 is never
pending.
"""

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class Scoreboard(wiring.Component):
    """32 pending bits.

    Members
    -------
    set : ``In(1)``, set_rd : ``In(5)``
        Mark ``set_rd`` pending (a dispatch that writes it).
    clear : ``In(1)``, clear_rd : ``In(5)``
        Its result was written (a completion).
    pending : ``Out(32)``
        Bit ``r``: register ``r`` will be written by an engine.
    """

    set: In(1)
    set_rd: In(5)
    clear: In(1)
    clear_rd: In(5)
    pending: Out(32)

    def elaborate(self, platform) -> Module:
        m = Module()
        bits = Signal(32)
        set_mask = Signal(32)
        clear_mask = Signal(32)
        with m.If(self.set & (self.set_rd != 0)):
            m.d.comb += set_mask.eq(1 << self.set_rd)
        with m.If(self.clear):
            m.d.comb += clear_mask.eq(1 << self.clear_rd)
        m.d.sync += bits.eq((bits & ~clear_mask) | set_mask)
        m.d.comb += self.pending.eq(bits)
        return m
