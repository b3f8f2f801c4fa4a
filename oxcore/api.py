"""OxCore from Python: load a program, run it on the golden interpreter or the RTL,
co-simulate, and get the retire stream as numpy arrays and the counters as a dict.

For scripts, notebooks and pytest (or cocotb-style) test benches::

    from oxcore import api

    program = api.load("build/fib.elf", config="default")
    iss = api.run(program, sim="iss")                 # golden interpreter
    rtl = api.run(program, sim="rtl", records=True)   # CXXRTL (or pysim: backend=)
    assert rtl.exit_code == iss.exit_code and rtl.stdout == iss.stdout
    print(rtl.cycles, rtl.counters["stall_branch"])
    writes = rtl.records.effects_of("x")              # numpy columns of register writes
    print(writes.order[:4], writes.columns["reg"][:4], writes.columns["value"][:4])
    verdict = api.cosim(program)                      # lockstep, every instruction
    assert verdict.verdict == "pass", verdict.report

Everything here is a thin layer over the command-line tools' own parts (`oxcore run`,
`oxcore cosim`), so both give the same answers. Bad input raises `OxCoreError` (or a
subclass) with the same one-line message the commands print.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

from oxcore.config import OxCoreConfig, load_config
from oxcore.errors import OxCoreError
from oxcore.program import Program, load_program
from oxcore.retire import TRAP_EXIT_STATUS, RecordBatch, TrapCause

__all__ = ["LoadedProgram", "RunResult", "CosimVerdict", "load", "run", "cosim"]


@dataclass(frozen=True)
class LoadedProgram:
    """A program with the configuration it runs on."""

    program: Program
    config: OxCoreConfig


@dataclass
class RunResult:
    """How a run ended, what it printed, what it counted and (if asked) what it retired."""

    exit_code: int  # the program's exit() status, or the trap's status as `oxcore run`'s
    trap: TrapCause | None  # the trap (or INSTRUCTION_LIMIT) that ended it, if any
    instret: int
    cycles: int | None  # None on the interpreter, which is untimed
    counters: dict[str, int] = field(default_factory=dict)  # RTL: cycle, instret, stalls...
    stdout: bytes = b""
    stderr: bytes = b""
    records: RecordBatch | None = None  # with records=True: every retired instruction
    wall_s: float = 0.0


@dataclass
class CosimVerdict:
    """A co-simulation: `verdict` is pass, exit, trap, limit or fail (see `oxcore cosim`)."""

    verdict: str
    exit_status: int  # what `oxcore cosim` would exit with
    ended: dict  # how the program ended, as in --stats-json
    instret: int
    cycles: int
    counters: dict[str, int]
    report: str  # the first-divergence report (empty when nothing diverged)


def load(path: str | Path, config: str | OxCoreConfig | None = None) -> LoadedProgram:
    """An ELF (or flat .bin) for a configuration: a preset name, a TOML file, an
    `OxCoreConfig`, or None for ``default``."""
    cfg = config if isinstance(config, OxCoreConfig) else load_config(config)
    return LoadedProgram(load_program(path, cfg), cfg)


def run(program: LoadedProgram, sim: str = "iss", *, backend: str = "auto",
        max_instructions: int | None = None, max_cycles: int | None = None,
        records: bool = False, vcd: str | None = None) -> RunResult:
    """Run to exit, trap or a limit on the interpreter (``sim="iss"``) or the RTL
    (``sim="rtl"``, `backend` ``auto``/``cxxrtl``/``pysim``; `vcd` writes a waveform)."""
    if sim not in ("iss", "rtl"):
        raise OxCoreError(f"sim={sim!r}: choose 'iss' or 'rtl'")
    for name, value in (("max_instructions", max_instructions), ("max_cycles", max_cycles)):
        if value is not None and value < 1:
            raise OxCoreError(f"{name}={value}: must be a positive integer")
    if sim == "iss" and (max_cycles is not None or vcd):
        raise OxCoreError("max_cycles and vcd need sim='rtl' (the interpreter has no cycles)")
    batches: list[RecordBatch] = []
    on_batch = batches.append if records else None
    out, err = io.BytesIO(), io.BytesIO()
    started = time.perf_counter()
    if sim == "iss":
        from cosim.iss import Interpreter
        stop = Interpreter(program.config, program.program, out, err).run(
            max_instructions, on_batch=on_batch)
        trap = stop.trap.cause if stop.trap is not None else None
        result = RunResult(stop.exit_code if trap is None else TRAP_EXIT_STATUS[trap], trap,
                           stop.instret, None)
    else:
        from cosim.rtl_backend import rtl_simulator
        simulator = rtl_simulator(backend, program.config, program.program, stdout=out,
                                  stderr=err, vcd_path=vcd)
        stop = simulator.run(max_instructions, max_cycles, on_batch=on_batch)
        trap = stop.trap_cause
        if stop.reason == "cycle_limit":
            trap = TrapCause.INSTRUCTION_LIMIT  # a limit, as `oxcore run` reports it
        result = RunResult(stop.exit_code if trap is None else TRAP_EXIT_STATUS[trap], trap,
                           stop.instret, stop.cycles, dict(stop.counters))
    result.wall_s = time.perf_counter() - started
    result.stdout, result.stderr = out.getvalue(), err.getvalue()
    if records:
        result.records = RecordBatch.concat(batches)
    return result


def cosim(program: LoadedProgram, *, backend: str = "auto",
          max_instructions: int | None = None, max_cycles: int | None = None) -> CosimVerdict:
    """The RTL and the interpreter in lockstep, as `oxcore cosim` runs them."""
    from cosim.cosim_cmd import VERDICTS, cosim_program
    result = cosim_program(program.config, program.program, max_instructions=max_instructions,
                           max_cycles=max_cycles, stdout=io.BytesIO(), stderr=io.BytesIO(),
                           backend=backend)
    report = result.divergence.report() if result.divergence is not None else ""
    if result.problems:
        report = "\n".join([report] * bool(report) + result.problems)
    return CosimVerdict(result.verdict, VERDICTS[result.verdict], result.ended(),
                        result.rtl.instret, result.rtl.cycles, dict(result.rtl.counters), report)
