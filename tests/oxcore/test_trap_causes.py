"""The trap causes oxcore.isa's engine units raise are the retire records' codes."""

from oxcore.isa import traps
from oxcore.retire import TrapCause


def test_engine_trap_causes_are_the_retire_codes():
    assert (traps.ILLEGAL, traps.LOAD_MISALIGNED, traps.LOAD_FAULT, traps.STORE_MISALIGNED,
            traps.STORE_FAULT) == (TrapCause.ILLEGAL_INSTRUCTION, TrapCause.LOAD_MISALIGNED,
                                   TrapCause.LOAD_ACCESS_FAULT, TrapCause.STORE_MISALIGNED,
                                   TrapCause.STORE_ACCESS_FAULT)
