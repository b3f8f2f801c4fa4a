"""The commit ports of an OxCore core, described with the effect schema.

The RTL's port layouts (`hw/oxcore/commit.py`), the simulators' decoders and the
waveform groups all come from these descriptions. Engines add ports of their own
(keyed by instruction order, see `oxcore.retire.batch`).
"""

from __future__ import annotations

from oxcore.retire.batch import PortSpec
from oxcore.retire.effects import MemAccess, TrapEffect, XWrite

SCALAR_DATA_BYTES = 4  # the scalar pipeline's loads and stores: at most one word

# The scalar pipeline's retire port: one record per retired instruction, in order.
# `awaits` marks an engine instruction whose register write comes later, on the core's
# completion port (`ENGINE_COMPLETION`): the harness holds the record back until then.
SCALAR_RETIRE = PortSpec("retire", (
    ("trap", TrapEffect, {}),
    ("x", XWrite, {}),
    ("mem", MemAccess, {"nbytes": SCALAR_DATA_BYTES}),
), header=(("order", 64), ("pc", 32), ("insn", 32), ("awaits", 1)))

# Scalar register results of engine instructions, as the core accepts them (only on a
# core with engines), keyed by the order of the instruction they complete.
ENGINE_COMPLETION = PortSpec("complete", (("x", XWrite, {}),), header=(("order", 64),))
