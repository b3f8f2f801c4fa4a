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
SCALAR_RETIRE = PortSpec("retire", (
    ("trap", TrapEffect, {}),
    ("x", XWrite, {}),
    ("mem", MemAccess, {"nbytes": SCALAR_DATA_BYTES}),
))
