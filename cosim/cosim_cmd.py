"""`oxcore cosim`: the RTL and the golden interpreter in lockstep, on a program or a kernel.

Every retired instruction's effects are compared (`cosim.lockstep`). On the first
divergence the report says where and how, shows the last 16 instructions and the
exact command that dumps the waveform around it. Otherwise it prints instructions,
cycles, CPI, the stall breakdown and how the program ended (and, for a kernel, the
numpy check of its outputs read back from the RTL's memory).

The verdict, and the exit status that tells the cases apart (`VERDICTS`): PASS (0) only
when both sides matched and the program called exit(0); MATCH when they matched but the
program exited with another status (3), trapped (4) or was stopped by a limit (5);
FAIL (1) for a divergence, different output, a hung core or wrong kernel outputs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from oxcore.config import OxCoreConfig, load_config, sweep
from oxcore.errors import OxCoreError
from oxcore.isa import DEFAULT_ISA, Isa, format_instruction, isa_for
from oxcore.program import Program, load_program
from oxcore.retire import RetireRecord, TrapCause
from cosim.iss import Interpreter
from cosim.loop_profile import Timeline
from cosim.lockstep import (OVERLAP_CHUNK, Divergence, Lockstep, choose_overlap,
                            run_in_lockstep)
from cosim.options import (GUARD_NOTE, guard_instructions, require_non_negative,
                            require_positive)
from oxcore.outputs import check_output, write_json
from cosim.rtl_backend import rtl_simulator
from cosim.rtl_sim import RtlStop
from hw.oxcore.faults import Faults, parse_faults

CYCLES_PER_INSTRUCTION_LIMIT = 100  # default cycle budget per allowed instruction


class _Tee(io.RawIOBase):
    """The program's output: shown to the user and kept for comparison."""

    def __init__(self, target: BinaryIO) -> None:
        self.target, self.kept = target, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self.kept += data
        self.target.write(data)
        return len(data)


# verdict -> exit status of `oxcore cosim` (2 is argparse's, for bad usage)
VERDICTS = {"pass": 0, "fail": 1, "exit": 3, "trap": 4, "limit": 5}


@dataclass
class CosimResult:
    rtl: RtlStop
    divergence: Divergence | None
    problems: list[str] = field(default_factory=list)  # not per-instruction: output, stop
    wall_s: float = 0.0
    last: RetireRecord | None = None  # the last record both sides agreed on (a trap's)
    max_cycles: int | None = None
    isa: Isa = DEFAULT_ISA  # the configuration's, for disassembly
    timeline: Timeline | None = None  # the checked records' pcs and cycles, if asked

    @property
    def verdict(self) -> str:
        """pass, fail, or how a matching run ended otherwise: exit, trap, limit."""
        if not self.ok:
            return "fail"
        reason = self.rtl.reason
        if reason == "exit":
            return "pass" if self.rtl.exit_code == 0 else "exit"
        if reason == "trap" and self.rtl.trap_cause != TrapCause.INSTRUCTION_LIMIT:
            return "trap"
        return "limit"

    def ending(self) -> str:
        """How the program ended, in words (the console's `ended:` line)."""
        rtl = self.rtl
        if rtl.reason == "exit":
            return f"exit status {rtl.exit_code}"
        if rtl.reason == "trap" and rtl.trap_cause != TrapCause.INSTRUCTION_LIMIT:
            where = f"pc 0x{rtl.trap_pc:08x}"
            if self.last is not None and self.last.pc == rtl.trap_pc:
                where += (f": 0x{self.last.insn:08x}  "
                          f"{format_instruction(self.last.insn, self.last.pc, isa=self.isa)}")
            return f"trap ({rtl.trap_cause.description}) at {where}"
        if rtl.reason in ("instruction_limit", "trap"):
            return f"instruction limit reached after {rtl.instret:,} instructions"
        if rtl.reason == "cycle_limit":
            return f"cycle limit of {self.max_cycles:,} reached"
        return f"stopped ({rtl.reason}) after {rtl.instret:,} instructions"

    def ended(self) -> dict:
        """How the program ended, for --stats-json."""
        rtl = self.rtl
        if rtl.reason == "exit":
            return {"how": "exit", "exit_code": rtl.exit_code}
        if rtl.reason == "trap" and rtl.trap_cause != TrapCause.INSTRUCTION_LIMIT:
            trap = {"how": "trap", "cause": rtl.trap_cause.name.lower(), "pc": rtl.trap_pc}
            if self.last is not None and self.last.pc == rtl.trap_pc:
                trap.update(insn=self.last.insn,
                            disassembly=format_instruction(self.last.insn, self.last.pc,
                                                           isa=self.isa))
            return trap
        if rtl.reason in ("instruction_limit", "trap"):
            return {"how": "limit", "limit": "instructions", "instret": rtl.instret}
        if rtl.reason == "cycle_limit":
            return {"how": "limit", "limit": "cycles", "cycles": rtl.cycles}
        return {"how": rtl.reason}

    @property
    def ok(self) -> bool:
        return self.divergence is None and not self.problems


class _Observed(Lockstep):
    """A `Lockstep` that tells `on_checked(batch, count)` what each batch contributed:
    its first `count` records were checked (the last of them the divergent one, if the
    batch holds it). It runs where the comparison runs, in this process."""

    def __init__(self, interp: Interpreter, on_checked) -> None:
        super().__init__(interp)
        self.on_checked = on_checked

    def check(self, rtl) -> bool:
        before, known = self.checked, self.divergence is not None
        ok = super().check(rtl)
        found = not known and self.divergence is not None  # in this batch: include it
        count = self.checked - before + int(found)
        if len(rtl) and (count or not known):
            self.on_checked(rtl, min(count, len(rtl)))
        return ok


def cosim_program(config: OxCoreConfig, program: Program, *,
                  max_instructions: int | None = None, max_cycles: int | None = None,
                  faults: Faults = frozenset(), stdout: BinaryIO | None = None,
                  stderr: BinaryIO | None = None,
                  read_back: tuple[tuple[int, int], ...] = (),
                  backend: str = "auto", trace: TextIO | None = None,
                  trace_cycles: bool = False, pipeview=None, status=None,
                  timeline: bool = False, vcd_path: str | None = None,
                  vcd_window: tuple[int, int] | None = None) -> CosimResult:
    """Run `program` on the RTL with the interpreter checking every retired record.

    `trace`: a stream for the commit log of the RTL's records as they are checked
    (through the divergent one), stamped with their cycles if `trace_cycles`;
    `pipeview`: a `cosim.pipeview.Tracker` (the RTL then runs in this process, cycle by
    cycle); `status`: an `oxcore.progress.StatusLine` to keep up to date; `timeline`:
    keep the checked records' pcs and retire cycles (`CosimResult.timeline`, for the
    loop profile); `vcd_path`: the RTL's waveform over `vcd_window` (cycles)."""
    out = _Tee(stdout if stdout is not None else sys.stdout.buffer)
    err = _Tee(stderr if stderr is not None else sys.stderr.buffer)
    iss_out, iss_err = io.BytesIO(), io.BytesIO()
    interp = Interpreter(config, program, iss_out, iss_err)
    lockstep = Lockstep(interp)
    kept = Timeline() if timeline else None
    if trace is not None or (status is not None and status.enabled) or kept is not None:
        isa = interp.machine.isa

        def on_checked(batch, count: int) -> None:
            if kept is not None:
                kept.add(batch, count)
            if trace is not None:
                from cosim.run import trace_line
                for i, record in enumerate(batch.head(count).records()):
                    trace.write(trace_line(record, isa,
                                           batch.cycle_of(i) if trace_cycles else None))
            if status is not None:
                cycle = batch.cycle_of(len(batch) - 1)
                status.update(lambda: _status_text(status, cycle, lockstep.checked))

        lockstep = _Observed(interp, on_checked)
    sim = rtl_simulator(backend, config, program, stdout=out, stderr=err, faults=faults,
                        vcd_path=vcd_path, vcd_window=vcd_window)
    overlap = choose_overlap(sim)
    if pipeview is not None:  # sampled every cycle, in this process
        sim.pipeview, overlap = pipeview, "none"
    if overlap != "none":  # the simulators overlap: finer batches keep both busy
        sim.chunk = OVERLAP_CHUNK
    if status is not None:
        status.started = status.clock()  # the run, not the build before it
    started = time.perf_counter()
    stop = run_in_lockstep(sim, lockstep, overlap=overlap,
                           max_instructions=max_instructions, max_cycles=max_cycles,
                           read_back=read_back)
    wall = time.perf_counter() - started
    if status is not None:
        status.clear()
    if pipeview is not None:
        pipeview.finish()
    if stop.reason == "hang":  # the RTL stopped retiring: the interpreter says what's next
        divergence = lockstep.rtl_stopped(stop.cycles)
    else:  # a cycle budget the user set is not a divergence: compare what retired
        divergence = lockstep.finish()
    last = lockstep.recent.record(len(lockstep.recent) - 1) if len(lockstep.recent) else None
    result = CosimResult(stop, divergence, wall_s=wall, last=last, max_cycles=max_cycles,
                         isa=isa_for(config), timeline=kept)
    if vcd_path is not None:
        _report_waveform(vcd_path, sim.waveform_written, stop.cycles, vcd_window)
    if divergence is None:
        if stop.reason == "hang":
            result.problems.append(f"the RTL retired nothing for {stop.cycles} cycles")
        if (bytes(out.kept), bytes(err.kept)) != (iss_out.getvalue(), iss_err.getvalue()):
            result.problems.append("program output differs between RTL and interpreter")
    return result


def _status_text(status, cycle: int | None, checked: int) -> str:
    from oxcore.progress import duration, rate
    elapsed = status.elapsed
    at = f", cycle {cycle:,}" if cycle is not None else ""
    return (f"cosim: {checked:,} instructions checked{at}, "
            f"{rate(checked, elapsed, 'instr')}, {duration(elapsed)}")


def _summary(result: CosimResult, what: str, guarded: bool = False) -> str:
    rtl = result.rtl
    rate = rtl.cycles / result.wall_s if result.wall_s else 0
    c = rtl.counters
    stalls = (f"  stall cycles: load-use {c.get('stall_load_use', 0)}, branch "
              f"{c.get('stall_branch', 0)}, mul/div {c.get('stall_muldiv', 0)}, memory "
              f"{c.get('stall_memory', 0)}, environment {c.get('stall_env', 0)}; branches "
              f"{c.get('branches', 0)}, mispredicted {c.get('mispredicts', 0)}")
    cpi = f"{rtl.cpi:.3f}" if rtl.instret else "n/a"
    ipc = f"{rtl.instret / rtl.cycles:.3f}" if rtl.instret and rtl.cycles else "n/a"
    word = "PASS " if result.verdict == "pass" else "MATCH"
    return (f"cosim: {word} {what}: {rtl.instret:,} instructions, {rtl.cycles:,} cycles, "
            f"CPI {cpi} (IPC {ipc}), {result.wall_s:.1f} s ({rate:,.0f} cycles/s)\n"
            f"{stalls}\n"
            f"  ended: {result.ending()}"
            + (f" ({GUARD_NOTE})" if guarded and result.verdict == "limit" else ""))


def _report_waveform(path: str, written: bool, cycles: int,
                     window: tuple[int, int] | None) -> None:
    if not written:
        print(f"oxcore: no waveform written: the run ended after {cycles} cycles, before "
              f"the window opened", file=sys.stderr)
        return
    print(f"oxcore: waveform written to {path} (GTKWave save file beside it)",
          file=sys.stderr)
    if window is not None and cycles > window[1]:
        print(f"oxcore: note: the waveform holds cycles {window[0]:,}..{window[1]:,} of "
              f"{cycles:,}; choose others with --vcd-window START:END", file=sys.stderr)


def _rerun_command(program: Program, config_arg: str | None, faults: list[str],
                   divergence: Divergence) -> str | None:
    window = divergence.vcd_window()
    if window is None:
        return None
    parts = ["oxcore run", shlex.quote(program.path), "--sim rtl"]
    if config_arg:
        parts.append(f"--config {shlex.quote(config_arg)}")
    parts += [f"--fault {name}" for name in faults]
    parts += ["--vcd divergence.vcd", f"--vcd-window {window[0]}:{window[1]}"]
    return " ".join(parts)


def _report_failure(result: CosimResult, program: Program, args: argparse.Namespace,
                    config: OxCoreConfig | None = None) -> None:
    if result.divergence is not None:
        print(result.divergence.report(
            _rerun_command(program, _config_arg(args, config), args.fault,
                           result.divergence)), file=sys.stderr)
    for problem in result.problems:
        print(f"cosim: FAIL  {problem}", file=sys.stderr)


def _config_arg(args: argparse.Namespace, config: OxCoreConfig | None) -> str | None:
    """--config as given, or for a sweep's variant (named ``base[FIELD=VALUE,...]``)
    that argument followed by the variant's overrides, which `load_config` reads."""
    if config is None or not args.sweep:
        return args.config
    base, bracket, overrides = config.name.partition("[")
    given = (args.config or base).partition("[")[0]  # (its own overrides are the name's)
    return f"{given}{bracket}{overrides}"


def _stats(result: CosimResult, config: OxCoreConfig, **extra: object) -> dict:
    rtl = result.rtl
    verdict = result.verdict
    return {"result": {"pass": "pass", "fail": "fail"}.get(verdict, "match"),
            "verdict": verdict, "exit_status": VERDICTS[verdict], "ended": result.ended(),
            "config": config.name,
            "instret": rtl.instret, "cycles": rtl.cycles,
            "cpi": round(rtl.cpi, 4) if rtl.instret else None,
            "ipc": round(rtl.instret / rtl.cycles, 4) if rtl.instret and rtl.cycles else None,
            "counters": rtl.counters,
            "wall_s": round(result.wall_s, 4),
            "cycles_per_s": round(rtl.cycles / result.wall_s) if result.wall_s else None,
            "exit_code": rtl.exit_code if rtl.reason == "exit" else None, **extra}


def cosim_command(args: argparse.Namespace) -> int:
    config = load_config(args.config or _kernel_default_config(args.kernel))
    try:
        faults = parse_faults(args.fault)
    except ValueError as exc:
        raise OxCoreError(str(exc)) from None
    require_positive(args, "max_instructions", "max_cycles")
    require_non_negative(args, "seed")
    # (kernels end by themselves; a program gets the runaway guard below)
    if args.trace_cycles and not args.trace:
        raise OxCoreError("--trace-cycles needs --trace FILE")
    if args.pipeview_window and not args.pipeview:
        raise OxCoreError("--pipeview-window needs --pipeview FILE")
    from cosim.run import parse_window
    parse_window(args.pipeview_window, "--pipeview-window")
    if args.vcd_window and not args.vcd:
        raise OxCoreError("--vcd-window needs --vcd FILE")
    parse_window(args.vcd_window)
    if args.kernel == "all" and (args.trace or args.pipeview or args.vcd):
        raise OxCoreError("--trace, --pipeview and --vcd follow one program: name one "
                          "kernel, not --kernel all")
    if args.sweep:
        if args.kernel == "all":
            raise OxCoreError("--sweep runs one kernel or program on each configuration: "
                              "name one kernel, not --kernel all")
        if args.trace or args.pipeview or args.vcd:
            raise OxCoreError("--trace, --pipeview and --vcd follow one program: drop "
                              "--sweep, or them")
    for flag, path in (("--stats-json", args.stats_json), ("--trace", args.trace),
                       ("--pipeview", args.pipeview), ("--vcd", args.vcd)):
        if path:  # checked now, not after the whole simulation
            check_output(path, flag, inputs=[args.program] if args.program else [])
    if args.vcd:
        from cosim.waves import check_waveform_path
        check_waveform_path(args.vcd)
    if args.kernel:
        args.seed = 1 if args.seed is None else args.seed
        return _cosim_kernels(args, config, faults)
    if args.shape:
        raise OxCoreError("--shape goes with --kernel")
    if args.seed is not None:
        raise OxCoreError("--seed goes with --kernel (it seeds a kernel's random inputs)")
    configs = sweep(config, args.sweep) if args.sweep else [config]
    programs = [load_program(args.program, variant) for variant in configs]  # (all checked)
    guarded = guard_instructions(args)
    statuses, stats, rows = [], {}, []
    for variant, program in zip(configs, programs):
        result = _cosim_one(args, variant, program, max_instructions=args.max_instructions,
                            max_cycles=_cycle_budget(args), faults=faults,
                            backend=args.backend, timeline=args.profile)
        report, figures = "", {}
        if args.profile and result.ok:
            from cosim.kernel_report import run_report
            report, figures = run_report(program, variant, result.timeline.arrays(),
                                         result.rtl)
        stats[variant.name] = _stats(result, variant, program=args.program, **figures)
        statuses.append(VERDICTS[result.verdict])
        rows.append(_table_row(os.path.basename(program.path), "-", variant, result)
                    | figures)
        if not result.ok:
            _report_failure(result, program, args, variant)
            continue
        print(_summary(result, program.path, guarded))
        if report:
            print(report)
    return _close_runs(args, stats, rows, statuses)


def _table_row(what: str, shape: str, config: OxCoreConfig, result: CosimResult) -> dict:
    """One run's line of `_summary_table` (its figures are added once reported)."""
    return {"kernel": what, "shape": shape, "config": config.name,
            "verdict": result.verdict.upper(), "instructions": result.rtl.instret,
            "cycles": result.rtl.cycles}


def _close_runs(args: argparse.Namespace, stats: dict, rows: list[dict],
                statuses: list[int]) -> int:
    """After the runs: --stats-json (one run's statistics, or several keyed by name),
    the summary table of several, and the exit status: a failure wins; otherwise the
    first run that did not simply pass says why."""
    if args.stats_json:
        _write_stats(args.stats_json, stats if len(rows) > 1 else next(iter(stats.values())))
    if len(rows) > 1:
        print(_summary_table(rows))
    return VERDICTS["fail"] if VERDICTS["fail"] in statuses else \
        next((status for status in statuses if status), 0)


def _launch_ranges(case) -> tuple[tuple[int, int], ...]:
    """The launch program's cycle and counter words, read back for the report."""
    from sw.compiler.launch import COUNTERS_SYMBOL, CYCLES_SYMBOL, VECTOR_COUNTERS_SYMBOL
    return tuple((case.program.symbol(name).addr, case.program.symbol(name).size)
                 for name in (CYCLES_SYMBOL, COUNTERS_SYMBOL, VECTOR_COUNTERS_SYMBOL))


def _kernel_default_config(name: str | None) -> str | None:
    """A kernel's own configuration when none is given (the compiled gemm runs on the
    tensor engine: `make cosim KERNEL=gemm` needs no CONFIG)."""
    from sw.kernels import KERNELS
    kernel = KERNELS.get(name or "")
    return kernel.default_config if kernel is not None else None


def _cosim_one(args: argparse.Namespace, config: OxCoreConfig, program: Program,
               **options) -> CosimResult:
    """`cosim_program` with the command's views: --trace, --pipeview, the status line."""
    from cosim.run import output_error, parse_window, status_line
    from oxcore.outputs import open_output
    try:
        with contextlib.ExitStack() as stack:
            status = stack.enter_context(status_line(args.trace, args.pipeview))
            if status.enabled:  # the program's output erases the status line first
                options.update(stdout=status.guard(sys.stdout.buffer),
                               stderr=status.guard(sys.stderr.buffer))
            if args.trace:
                options.update(trace=stack.enter_context(open_output(args.trace)),
                               trace_cycles=args.trace_cycles)
            if args.vcd:  # a long run would fill the disk: its first cycles by default
                from cosim.run import DEFAULT_VCD_CYCLES
                options.update(vcd_path=args.vcd, vcd_window=parse_window(
                    args.vcd_window) or (0, DEFAULT_VCD_CYCLES))
            if args.pipeview:
                from cosim.pipeview import tracker_for
                options["pipeview"] = tracker_for(
                    stack.enter_context(open_output(args.pipeview)), config, program,
                    parse_window(args.pipeview_window, "--pipeview-window"))
            return cosim_program(config, program, status=status, **options)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise output_error(exc) from None


def _write_stats(path: str, data: dict) -> None:
    from cosim.run import output_error
    try:
        write_json(path, data)
    except OSError as exc:
        raise output_error(exc) from None


def _cycle_budget(args: argparse.Namespace) -> int | None:
    if args.max_cycles is not None:
        return args.max_cycles
    if args.max_instructions is not None:
        return args.max_instructions * CYCLES_PER_INSTRUCTION_LIMIT
    return None  # the watchdog still stops a hung core


def _kernel_config(kernel, spec: str | None) -> OxCoreConfig:
    """The configuration a kernel runs on: the one given, else the kernel's own (the
    compiled library's), else the preset named after the engine it needs, else default."""
    return load_config(spec or kernel.default_config or
                       (kernel.engines[0] if kernel.engines else None))


def _cosim_kernels(args: argparse.Namespace, config: OxCoreConfig, faults: Faults) -> int:
    from cosim.kernels import check_outputs, output_ranges, prepare
    from sw.kernels import KERNELS, get_kernel
    if args.kernel == "all":
        if args.shape:
            raise OxCoreError("--shape cannot go with --kernel all (shapes differ per kernel)")
        kernels = [k for k in KERNELS.values()
                   if set(k.engines) <= set(_kernel_config(k, args.config).engines)]
        skipped = [k.name for k in KERNELS.values() if k not in kernels]
        if skipped:
            print(f"cosim: skipping {', '.join(skipped)} (they need an engine config "
                  f"{config.name!r} lacks)")
    else:
        kernels = [get_kernel(args.kernel)]
    runs = [(kernel, _kernel_config(kernel, args.config), None) for kernel in kernels]
    if args.sweep:  # (every variant checked, and its program built, before the first runs)
        runs = [(kernel, variant, prepare(kernel, kernel.parse_shape(args.shape), variant,
                                          args.seed))
                for kernel, base, _ in runs for variant in sweep(base, args.sweep)]
    statuses, stats, rows = [], {}, []
    for kernel, config, case in runs:
        if case is None:
            case = prepare(kernel, kernel.parse_shape(args.shape), config, args.seed)
        measures = _launch_ranges(case) if kernel.launch is not None else ()
        result = _cosim_one(args, config, case.program,
                            max_instructions=args.max_instructions,
                            max_cycles=_cycle_budget(args), faults=faults,
                            read_back=output_ranges(case) + measures, backend=args.backend,
                            timeline=True)
        what = f"{kernel.name} {case.shape_text} (seed {args.seed})"
        check = None
        if result.ok:
            check = check_outputs(case, lambda addr, n: result.rtl.memory[addr][:n])
            if not check.ok:
                result.problems += [f"{what}: {error}" for error in check.errors]
        key = config.name if args.sweep else kernel.name
        stats[key] = _stats(result, config, shape=case.shape_text, seed=args.seed,
                            program=case.program.path)
        statuses.append(VERDICTS[result.verdict])
        row = _table_row(kernel.name, case.shape_text, config, result)
        rows.append(row)
        if not result.ok:
            _report_failure(result, case.program, args, config)
            continue
        print(_summary(result, what))
        for array in kernel.outputs:
            out = check.outputs[array.name]
            print(f"  {array.name} ({array.dtype}{list(out.shape)}) read from the RTL's "
                  f"memory matches numpy")
        from cosim.kernel_report import launch_report, run_report
        timeline = result.timeline.arrays()
        if kernel.launch is not None:
            report, figures = launch_report(case, config, result.rtl.memory, timeline,
                                            result.rtl)
        else:
            report, figures = run_report(case.program, config, timeline, result.rtl)
        print(report)
        stats[key].update(figures)
        row.update(figures)
    return _close_runs(args, stats, rows, statuses)


def _summary_table(rows: list[dict]) -> str:
    """`--kernel all`'s closing table: one line per kernel."""
    head = ("kernel", "shape", "config", "verdict", "instructions", "cycles",
            "kernel cycles", "of roofline", "MAC util.")
    lines = []
    for row in rows:
        kernel_cycles = row.get("kernel_cycles")
        roofline = row.get("roofline_fraction")
        mac = row.get("mac_utilization")
        lines.append((row["kernel"], row["shape"], row["config"], row["verdict"],
                      f"{row['instructions']:,}", f"{row['cycles']:,}",
                      f"{kernel_cycles:,}" if kernel_cycles is not None else "-",
                      f"{100 * roofline:.1f}%" if roofline is not None else "-",
                      f"{100 * mac:.1f}%" if mac is not None else "-"))
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i < 4 else c.rjust(w)  # noqa: E731
                                  for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join(["cosim summary:", "  " + fmt(head)] + ["  " + fmt(line) for line in lines])
