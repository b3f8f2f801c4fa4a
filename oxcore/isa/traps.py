"""The exception the semantics raise when an instruction traps.

Defined with the semantics language (not with the interpreter's machine) because engine
units in :mod:`oxcore.isa` raise it too; `cosim.iss` re-exports it.
"""

from __future__ import annotations

# The trap causes engine units raise (`oxcore.retire.TrapCause`'s codes, restated here
# once so that oxcore.isa does not depend on oxcore.retire; a test holds them equal).
ILLEGAL, LOAD_MISALIGNED, LOAD_FAULT, STORE_MISALIGNED, STORE_FAULT = 2, 4, 5, 6, 7


class Trap(Exception):
    """An instruction trapped; it has no architectural effect and does not retire.

    `cause` is an `oxcore.retire.TrapCause` (or its code), `tval` the faulting address
    or word, `detail` a sentence for the user.
    """

    def __init__(self, cause: int, pc: int, tval: int = 0, detail: str = "") -> None:
        super().__init__(cause, pc, tval)
        self.cause, self.pc, self.tval, self.detail = cause, pc, tval, detail
