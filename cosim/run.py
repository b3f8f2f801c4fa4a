"""`oxcore run`: run a program on a simulator, as a process would run natively.

The program's output goes to our stdout/stderr and its exit() status becomes ours.
A trap prints one line (cause, pc, raw word, disassembly) and exits with the status
documented in docs/memory-map-abi.md (`oxcore.retire.TRAP_EXIT_STATUS`).
`--sim iss` is the golden interpreter, `--sim rtl` the RTL on Amaranth's simulator.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from typing import Callable

from oxcore.config import OxCoreConfig, load_config
from oxcore.errors import Interrupted, OxCoreError
from oxcore.isa import Isa, format_instruction, isa_for
from oxcore.program import Program, load_program
from oxcore.retire import TRAP_EXIT_STATUS, RetireRecord, TrapCause
from cosim.options import GUARD_NOTE, guard_instructions, require_positive
from oxcore.outputs import check_output, open_output, write_json
from cosim.waves import check_waveform_path

CYCLE_LIMIT_STATUS = TRAP_EXIT_STATUS[TrapCause.INSTRUCTION_LIMIT]
DEFAULT_VCD_CYCLES = 100_000  # a waveform without --vcd-window: its first cycles only


def program_word(program: Program, pc: int) -> int | None:
    """The instruction word at `pc` in the loaded image (None outside it)."""
    for seg in program.segments:
        if seg.addr <= pc and pc + 4 <= seg.addr + len(seg.data) and pc % 4 == 0:
            return int.from_bytes(seg.data[pc - seg.addr:pc - seg.addr + 4], "little")
    return None


def describe_trap(cause: TrapCause, pc: int, word: int | None, instret: int,
                  detail: str = "", isa: Isa | None = None) -> str:
    """One line: cause, pc, raw instruction word and its disassembly (with the
    configuration's `isa`), detail."""
    if word is not None:
        text = format_instruction(word, pc, isa=isa) if isa else format_instruction(word, pc)
        where = f"pc 0x{pc:08x}: 0x{word:08x}  {text}"
    elif pc % 4:
        where = f"pc 0x{pc:08x} (not 4-byte aligned)"
    else:
        where = f"pc 0x{pc:08x} (no instruction: outside memory)"
    detail = f" ({detail})" if detail else ""
    return (f"oxcore: trap: {TrapCause(cause).description} at {where}{detail}; "
            f"{instret} instructions retired")


def parse_window(text: str | None, option: str = "--vcd-window") -> tuple[int, int] | None:
    """`START:END` cycles (END exclusive) for --vcd-window and --pipeview-window."""
    if text is None:
        return None
    try:
        start, end = (int(v) for v in text.split(":"))
    except ValueError:
        raise OxCoreError(f"{option} {text!r}: expected START:END in cycles") from None
    if not 0 <= start < end:
        raise OxCoreError(f"{option} {text!r}: need 0 <= START < END")
    return start, end


def _check_args(args: argparse.Namespace) -> None:
    require_positive(args, "max_instructions", "max_cycles")
    if args.sim == "iss" and args.backend != "auto":
        raise OxCoreError("--backend chooses the RTL simulator: it needs --sim rtl")
    if args.sim == "iss" and (args.vcd or args.vcd_window or args.max_cycles is not None):
        raise OxCoreError("--vcd, --vcd-window and --max-cycles need --sim rtl "
                          "(the interpreter has no cycles)")
    if args.sim == "iss" and args.fault:
        raise OxCoreError("--fault needs --sim rtl")
    if args.vcd_window and not args.vcd:
        raise OxCoreError("--vcd-window needs --vcd FILE")
    if args.trace_cycles and (args.sim != "rtl" or not args.trace):
        raise OxCoreError("--trace-cycles needs --sim rtl and --trace FILE (the "
                          "interpreter has no cycles)")
    if args.pipeview and args.sim != "rtl":
        raise OxCoreError("--pipeview needs --sim rtl (the interpreter has no pipeline)")
    if args.pipeview_window and not args.pipeview:
        raise OxCoreError("--pipeview-window needs --pipeview FILE")
    parse_window(args.pipeview_window, "--pipeview-window")
    for flag, path in (("--trace", args.trace), ("--stats-json", args.stats_json),
                       ("--vcd", args.vcd), ("--pipeview", args.pipeview)):
        if path:  # checked now, not after the whole simulation
            check_output(path, flag, inputs=[args.program])
    if args.vcd:
        check_waveform_path(args.vcd)


def output_error(exc: OSError) -> OxCoreError:
    """An output file that cannot be written: one line, not a traceback."""
    name = exc.filename or "an output file"
    if isinstance(name, str) and name.endswith(".partial"):
        name = name[:-len(".partial")]
    return OxCoreError(f"cannot write {name}: {exc.strerror or exc}")


def run_command(args: argparse.Namespace) -> int:
    try:
        return _run_command(args)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise output_error(exc) from None


def _run_command(args: argparse.Namespace) -> int:
    _check_args(args)
    args.guarded = guard_instructions(args)
    config = load_config(args.config)
    program = load_program(args.program, config)
    with contextlib.ExitStack() as stack:
        on_retire = None
        if args.trace:
            trace = stack.enter_context(open_output(args.trace))
            isa = isa_for(config)

            def on_retire(record: RetireRecord, cycle: int | None = None) -> None:
                trace.write(trace_line(record, isa, cycle))
        args.pipeview_tracker = None
        if args.pipeview:
            from cosim.pipeview import tracker_for
            args.pipeview_tracker = tracker_for(
                stack.enter_context(open_output(args.pipeview)), config, program,
                parse_window(args.pipeview_window, "--pipeview-window"))
        try:
            runner = _run_rtl if args.sim == "rtl" else _run_iss
            status, stats = runner(args, config, program, on_retire)
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stdout.buffer.flush()
    if args.stats_json:
        write_json(args.stats_json, {"sim": args.sim, "config": config.name,
                                     "program": args.program, "exit_code": status, **stats})
    return status


def trace_line(record: RetireRecord, isa, cycle: int | None = None) -> str:
    """One commit-log line (`oxcore run --trace`, `oxcore cosim --trace`), stamped with
    the cycle it retired in for --trace-cycles."""
    stamp = f"cycle {cycle:>10} " if cycle is not None else ""
    return stamp + record.trace_line(isa) + "\n"


def status_line(*outputs: str | None):
    """The live status line for a long run (`oxcore.progress`), off when one of the
    command's outputs is standard output (the two would share the terminal)."""
    from oxcore.progress import StatusLine
    status = StatusLine()
    if any(path == "-" for path in outputs):
        status.enabled = False
    return status


def run_status_text(status, cycle: int, instret: int, what: str = "rtl") -> str:
    elapsed = status.elapsed
    from oxcore.progress import duration, rate
    return (f"{what}: cycle {cycle:,}, {instret:,} instructions, "
            f"{rate(cycle, elapsed, 'cycles')}, {duration(elapsed)}")


def _rate(count: int, wall: float) -> int | None:
    return round(count / wall) if wall > 0 else None


def _run_iss(args: argparse.Namespace, config: OxCoreConfig, program: Program,
             on_retire: Callable[[RetireRecord], None] | None) -> tuple[int, dict]:
    from cosim.iss import Interpreter
    interp = Interpreter(config, program)
    started = time.perf_counter()
    try:
        stop = interp.run(args.max_instructions, on_retire)
    except KeyboardInterrupt:
        raise Interrupted(interp.machine.instret) from None
    wall = time.perf_counter() - started
    stats = {"instret": stop.instret, "wall_s": round(wall, 6),
             "instructions_per_s": _rate(stop.instret, wall),
             "trap": stop.trap.cause.name.lower() if stop.trap else None}
    if stop.trap is None:
        return stop.exit_code, stats
    m = interp.machine
    word = m.m32[(stop.trap.pc - m.base) >> 2] \
        if m.in_memory(stop.trap.pc, 4) and stop.trap.pc % 4 == 0 else None
    detail = GUARD_NOTE if args.guarded and stop.trap.cause == TrapCause.INSTRUCTION_LIMIT \
        else stop.trap.detail
    print(describe_trap(stop.trap.cause, stop.trap.pc, word, stop.instret, detail, m.isa),
          file=sys.stderr)
    return TRAP_EXIT_STATUS[stop.trap.cause], stats


def _run_rtl(args: argparse.Namespace, config: OxCoreConfig, program: Program,
             on_retire: Callable[[RetireRecord], None] | None) -> tuple[int, dict]:
    from cosim.rtl_backend import rtl_simulator
    from hw.oxcore.faults import parse_faults
    try:
        faults = parse_faults(args.fault)
    except ValueError as exc:
        raise OxCoreError(str(exc)) from None
    window = parse_window(args.vcd_window)
    if args.vcd and window is None:  # a whole long run would fill the disk: a first slice
        window = (0, DEFAULT_VCD_CYCLES)
    status = status_line(args.trace, args.pipeview)
    streams = {}
    if status.enabled:  # the program's output erases the status line before it lands
        streams = {"stdout": status.guard(sys.stdout.buffer),
                   "stderr": status.guard(sys.stderr.buffer)}
    sim = rtl_simulator(args.backend, config, program, vcd_path=args.vcd,
                        vcd_window=window, faults=faults, **streams)
    if on_retire is not None and args.trace_cycles:
        plain = on_retire
        on_retire = lambda record: plain(record, sim.cycle)  # noqa: E731
    sim.pipeview = args.pipeview_tracker
    if status.enabled:
        status.started = status.clock()  # the run, not the build before it
        sim.on_progress = lambda cycle, instret: status.update(
            lambda: run_status_text(status, cycle, instret))
    started = time.perf_counter()
    try:
        with status:
            stop = sim.run(args.max_instructions, args.max_cycles, on_retire)
    except KeyboardInterrupt:
        raise Interrupted(sim.instret, sim.cycle,
                          args.vcd if sim.waveform_written else None) from None
    if sim.pipeview is not None:
        sim.pipeview.finish()
    wall = time.perf_counter() - started
    backend = "cxxrtl" if type(sim).__name__ == "CxxrtlSimulator" else "pysim"
    stats = {"backend": backend, "instret": stop.instret, "cycles": stop.cycles,
             "wall_s": round(wall, 6),
             "cpi": round(stop.cpi, 4) if stop.instret else None,
             "cycles_per_s": _rate(stop.cycles, wall), "counters": stop.counters,
             "trap": stop.trap_cause.name.lower() if stop.trap_cause is not None else None}
    if args.vcd and sim.waveform_written:
        print(f"oxcore: waveform written to {args.vcd} (GTKWave save file beside it)",
              file=sys.stderr)
        if args.vcd_window is None and stop.cycles > DEFAULT_VCD_CYCLES:
            print(f"oxcore: note: the waveform holds the first {DEFAULT_VCD_CYCLES:,} of "
                  f"{stop.cycles:,} cycles; choose others with --vcd-window START:END",
                  file=sys.stderr)
    elif args.vcd:
        print(f"oxcore: no waveform written: the run ended after {stop.cycles} cycles, "
              f"before the window opened", file=sys.stderr)
    if stop.reason == "exit":
        return stop.exit_code, stats
    if stop.reason in ("cycle_limit", "instruction_limit"):
        limit = f"cycle limit of {args.max_cycles}" if stop.reason == "cycle_limit" \
            else (GUARD_NOTE if args.guarded
                  else f"instruction limit of {args.max_instructions}")
        print(f"oxcore: stop: {limit} reached after {stop.cycles} cycles; "
              f"{stop.instret} instructions retired", file=sys.stderr)
        return CYCLE_LIMIT_STATUS, stats
    pc = stop.trap_pc or 0
    print(describe_trap(stop.trap_cause, pc, program_word(program, pc), stop.instret,
                        isa=isa_for(config)), file=sys.stderr)
    return TRAP_EXIT_STATUS[stop.trap_cause], stats
