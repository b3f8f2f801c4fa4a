"""Arbiter: several memory ports share one (`bus.MemoryPortSignature`).

Fixed priority: requester 0 wins over 1, and so on. Why not round-robin: the grant is
then a function of the higher requesters' ``valid`` only (no state, no pointer update
on the path from a request to the RAM's enables), the cheapest choice on the iCE40 (93%
full), and requester 0's ``ready`` is a constant 1, so a requester whose timing matters
(the core) pays nothing for sharing. Where it is used today the requesters never
compete: in the FPGA SoC the core comes first, then the boot loader (which holds the
core in reset) and the syscall unit (which reads while the core waits on an ecall, with
nothing younger in EX). A requester that asks every cycle starves those below it; an
engine that could should get its own bank-conflict-checked port on
`banked_ram.BankedRam` instead.

``read_only`` names requesters that never write: their ``mask`` and ``wdata`` are left
out of the target's multiplexers (their ``write`` is not: it must read 0 when they win).

``ready`` of requester ``i`` is the target's ``ready`` and no higher requester's
``valid``: it never depends on requester ``i``'s own ``valid``. Read data is broadcast;
``rvalid`` goes to the requester whose read was accepted the cycle before.
"""

from __future__ import annotations

from typing import Iterable

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.bus import MemoryPortSignature


class Arbiter(wiring.Component):
    """Fixed-priority arbiter of ``count`` requesters onto one target port.

    Parameters
    ----------
    count : int
        Number of requesters, at least 1 (requester 0 has the highest priority).
    signature : MemoryPortSignature
        The signature of every requester and of the target.
    read_only : iterable of int
        Requesters that never write (fewer multiplexers).

    Members
    -------
    requesters : ``In(signature).array(count)``
        The requesters' ports.
    target : ``Out(signature)``
        The shared port (to a RAM or a further arbiter).
    """

    def __init__(self, count: int, signature: MemoryPortSignature,
                 read_only: Iterable[int] = ()) -> None:
        self.read_only = frozenset(read_only)
        if count < 1 or not self.read_only <= set(range(count)) or \
                len(self.read_only) == count:
            self._MustUse__silence = True
            raise ValueError(f"bad arbiter: {count} requesters, read-only "
                             f"{sorted(self.read_only)} (at least one must write)")
        self.count = count
        super().__init__({"requesters": In(signature).array(count), "target": Out(signature)})

    def elaborate(self, platform) -> Module:
        m = Module()
        target = self.target
        reading = Signal(self.count)  # whose read was accepted last cycle
        higher = 0  # some higher-priority requester asks
        for i, port in enumerate(self.requesters):
            granted = ~higher if i else 1
            m.d.comb += port.ready.eq(target.ready & granted)
            m.d.sync += reading[i].eq(port.valid & port.ready & ~port.write)
            m.d.comb += [port.rdata.eq(target.rdata), port.rvalid.eq(target.rvalid & reading[i])]
            higher = higher | port.valid if i else port.valid
        # The target's request: the first asking requester's (the last candidate as
        # default, so its fields need no select when nobody else asks).
        m.d.comb += target.valid.eq(higher)
        writers = [i for i in range(self.count) if i not in self.read_only]
        for fields, candidates in ((("addr", "write"), range(self.count)),
                                   (("mask", "wdata"), writers)):
            *firsts, last = [self.requesters[i] for i in candidates]
            m.d.comb += [getattr(target, f).eq(getattr(last, f)) for f in fields]
            for port in reversed(firsts):
                with m.If(port.valid):
                    m.d.comb += [getattr(target, f).eq(getattr(port, f)) for f in fields]
        return m
