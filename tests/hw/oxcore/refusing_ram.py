"""A banked RAM that refuses its engine ports on pseudo-random cycles, for tests.

The core has the banks' side A to itself and one engine at a time uses side B, so in a
real configuration an engine's memory port is never refused: its stall paths (the
tensor LSU's skid buffer and stalled pipelines, the vector sequencers' waits) would go
unexercised. Tests swap this in for `hw.oxcore.top.BankedRam` (monkeypatch) and
co-simulate as usual: the records must not change, only the timing.
"""

from __future__ import annotations

from amaranth import Cat, Module, Signal

from hw.oxcore import top
from hw.oxcore.banked_ram import BankedRam


class RefusingRam(BankedRam):
    """`BankedRam` whose engine ports see ``ready`` low about one cycle in four (a
    16-bit LFSR's bits; ignores conflicts between engines, which one-engine-at-a-time
    dispatch rules out)."""

    def elaborate(self, platform) -> Module:
        m = super().elaborate(platform)
        lfsr = Signal(16, init=0xACE1, name="refusing_lfsr")
        m.d.sync += lfsr.eq(Cat(lfsr[1:], lfsr[0] ^ lfsr[2] ^ lfsr[3] ^ lfsr[5]))
        for i, port in enumerate(self.ports[1:], start=1):
            m.d.comb += port.ready.eq(lfsr[i] | lfsr[i + 6])
        return m


def install(monkeypatch) -> None:
    """Make `hw.oxcore.top.Top` build its data RAM as a `RefusingRam` for this test."""
    monkeypatch.setattr(top, "BankedRam", RefusingRam)
