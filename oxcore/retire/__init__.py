"""Retire records: each retired instruction with its typed effects, one schema for all.

- `effects`: the effect kinds (register, CSR, memory of any width, vector register,
  tile register, trap) and `TrapCause`;
- `record`: `RetireRecord`, one instruction, with its trace line and field-level diff;
- `batch`: `RecordBatch`, records as numpy columns (what simulators produce and
  co-simulation compares), and `PortSpec`, an RTL commit port from the schema;
- `ports`: the core's commit ports.
"""

from oxcore.retire.batch import (EffectColumns, PortSpec, RecordBatch, batch_from_port,
                                 record_unpacker)
from oxcore.retire.effects import (KIND_BY_NAME, REGISTER_WRITES, CsrWrite, EffectKind, Effect, MemAccess, TileWrite,
                                   TrapCause, TrapEffect, VWrite, XWrite, register_effect_kind)
from oxcore.retire.ports import ENGINE_COMPLETION, SCALAR_RETIRE
from oxcore.retire.record import (TRAP_EXIT_STATUS, RetireRecord, canonical, describe_register,
                                  scalar_record)

__all__ = [
    "EffectKind", "TrapCause", "TrapEffect", "XWrite", "CsrWrite", "VWrite", "TileWrite", "MemAccess",
    "Effect", "KIND_BY_NAME", "REGISTER_WRITES", "register_effect_kind", "RetireRecord", "TRAP_EXIT_STATUS",
    "canonical", "scalar_record", "describe_register", "RecordBatch", "EffectColumns",
    "PortSpec", "batch_from_port", "record_unpacker", "SCALAR_RETIRE", "ENGINE_COMPLETION",
]
