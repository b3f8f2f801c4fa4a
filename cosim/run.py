"""`oxcore run`: run a program on a simulator, as a process would run natively.

The program's output goes to our stdout/stderr and its exit() status becomes ours.
A trap prints one line (cause, pc, raw word, disassembly) and exits with the status
documented in docs/memory-map-abi.md (`oxcore.retire.TRAP_EXIT_STATUS`).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time

from oxcore.config import load_config
from oxcore.errors import OxCoreError
from oxcore.isa import format_instruction
from oxcore.program import load_program
from oxcore.retire import TRAP_EXIT_STATUS, TrapCause
from cosim.iss import Interpreter, Stop, Trap
from cosim.outputs import atomic_text, write_json


def describe_trap(trap: Trap, interp: Interpreter, instret: int) -> str:
    """One line: cause, pc, raw instruction word and its disassembly, detail."""
    m = interp.machine
    if m.in_memory(trap.pc, 4) and trap.pc % 4 == 0:
        word = m.m32[(trap.pc - m.base) >> 2]
        where = f"pc 0x{trap.pc:08x}: 0x{word:08x}  {format_instruction(word, trap.pc)}"
    else:
        where = f"pc 0x{trap.pc:08x} (no instruction: outside memory)"
    detail = f" ({trap.detail})" if trap.detail else ""
    return (f"oxcore: trap: {TrapCause(trap.cause).description} at {where}{detail}; "
            f"{instret} instructions retired")


def run_command(args: argparse.Namespace) -> int:
    if args.max_instructions is not None and args.max_instructions < 0:
        raise OxCoreError("--max-instructions must be >= 0")
    config = load_config(args.config)
    program = load_program(args.program, config)
    interp = Interpreter(config, program)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        on_retire = None
        if args.trace:
            trace = stack.enter_context(atomic_text(args.trace))
            on_retire = lambda record: trace.write(record.trace_line() + "\n")  # noqa: E731
        try:
            stop = interp.run(args.max_instructions, on_retire)
        finally:
            sys.stdout.flush()
            with contextlib.suppress(Exception):
                sys.stdout.buffer.flush()
    wall = time.perf_counter() - started
    status = _report(stop, interp)
    if args.stats_json:
        write_json(args.stats_json, {
            "sim": args.sim, "config": config.name, "program": args.program,
            "instret": stop.instret, "wall_s": round(wall, 6),
            "instructions_per_s": round(stop.instret / wall) if wall > 0 else None,
            "exit_code": status,
            "trap": TrapCause(stop.trap.cause).name.lower() if stop.trap else None,
        })
    return status


def _report(stop: Stop, interp: Interpreter) -> int:
    if stop.trap is None:
        return stop.exit_code
    print(describe_trap(stop.trap, interp, stop.instret), file=sys.stderr)
    return TRAP_EXIT_STATUS[TrapCause(stop.trap.cause)]
