"""The golden instruction-set interpreter: the executable specification."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from oxcore.config import OxCoreConfig
from oxcore.program import load_program
from oxcore.retire import TrapCause
from cosim.iss.interpreter import Interpreter, Stop
from cosim.iss.machine import Machine, ProgramExit, Trap

__all__ = ["Interpreter", "Machine", "Stop", "Trap", "ProgramExit", "RunOutcome", "run_elf"]


@dataclass(frozen=True)
class RunOutcome:
    """Result of running a program to completion with captured output."""

    exit_code: int  # exit()'s status (a0 & 0xFF), or the trap's exit status
    stdout: bytes
    stderr: bytes
    instret: int
    trap: TrapCause | None


def run_elf(path: str | Path, config: OxCoreConfig,
            max_instructions: int | None = None) -> RunOutcome:
    """Run an ELF on the interpreter (fast mode), capturing stdout and stderr."""
    from oxcore.retire import TRAP_EXIT_STATUS
    out, err = io.BytesIO(), io.BytesIO()
    interp = Interpreter(config, load_program(path, config), stdout=out, stderr=err)
    stop = interp.run(max_instructions)
    if stop.trap is not None:
        return RunOutcome(TRAP_EXIT_STATUS[stop.trap.cause], out.getvalue(), err.getvalue(),
                          stop.instret, stop.trap.cause)
    return RunOutcome(stop.exit_code, out.getvalue(), err.getvalue(), stop.instret, None)
