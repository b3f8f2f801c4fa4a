"""The commit ports of an OxCore core, described with the effect schema.

The RTL's port layouts (`hw/oxcore/commit.py`), the simulators' decoders and the
waveform groups all come from these descriptions. Engines add ports of their own
(keyed by instruction order, see `oxcore.retire.batch`).
"""

from __future__ import annotations

from oxcore.retire.batch import PortSpec
from oxcore.retire.effects import CsrWrite, MemAccess, TileWrite, TrapEffect, VWrite, XWrite

SCALAR_DATA_BYTES = 4  # the scalar pipeline's loads and stores: at most one word

# The scalar pipeline's retire port: one record per retired instruction, in order.
# `awaits` marks an engine instruction whose effects come later: bit 0, a scalar register
# write on the core's completion port (`ENGINE_COMPLETION`); bit 1, the effects its
# engine reports on its own commit port (`vector_commit_spec`), up to one with `last`.
# The harness holds the record back until then.
SCALAR_RETIRE = PortSpec("retire", (
    ("trap", TrapEffect, {}),
    ("x", XWrite, {}),
    ("mem", MemAccess, {"nbytes": SCALAR_DATA_BYTES}),
), header=(("order", 64), ("pc", 32), ("insn", 32), ("awaits", 2)))
AWAITS_X, AWAITS_ENGINE = 1, 2

# Scalar register results of engine instructions, as the core accepts them (only on a
# core with engines), keyed by the order of the instruction they complete.
ENGINE_COMPLETION = PortSpec("complete", (("x", XWrite, {}),), header=(("order", 64),))


def vector_commit_spec(vlenb: int) -> PortSpec:
    """The vector engine's commit port: per beat, at most one register write, one
    memory access (at most VLENB bytes) and one CSR write of the instruction of
    `order`; `last` marks its final beat (which may carry no effect)."""
    return PortSpec("vcommit", (
        ("csr", CsrWrite, {}),
        ("v", VWrite, {"vlenb": vlenb}),
        ("mem", MemAccess, {"nbytes": vlenb}),
    ), header=(("order", 64), ("last", 1)))


def tensor_commit_spec(tileb: int, row_bytes: int) -> PortSpec:
    """The tensor engine's commit ports: per beat, at most one CSR write (tqsat, or a
    csr instruction's), one tile write (the whole tile, `tileb` bytes) and one memory
    access of a tile row (at most `row_bytes` bytes) of the instruction of `order`;
    `last` marks its final beat."""
    return PortSpec("tcommit", (
        ("csr", CsrWrite, {}),
        ("tile", TileWrite, {"tileb": tileb}),
        ("mem", MemAccess, {"nbytes": row_bytes}),
    ), header=(("order", 64), ("last", 1)))
