"""Build a SoC top for a board: synthesis, place and route, bitstream, report.

    result = build("ulx3s", make_soc_lite)          # or a Board, or a ready component
    print(result.text)                               # utilisation, Fmax, critical path

The SoC is put on the board by `fpga.boards.BoardTop`; amaranth-boards' platform writes
the build plan (RTLIL, Yosys script, pin constraints, tool commands) and the flow runs
its commands itself, one by one, with the YoWASP tools (`fpga.tools.tool_env`), so each
step is timed and a failure names the step. Extra tool options the flow adds:

* Yosys: ``stat -json`` after synthesis (``synth_stat.json``), iCE40 ``-device u -dsp
  -spram`` (UltraPlus timing, SB_MAC16 multipliers, SPRAM where a memory fits it);
* nextpnr: ``--report report.json`` (utilisation, Fmax, critical paths),
  ``--timing-allow-fail`` (so a timing failure still produces the report; the flow
  then fails by itself), ``--seed`` (reproducible placement), ``--router`` when asked
  (``router2`` finishes congested designs, such as the tensor SoC, in minutes where
  nextpnr's default router1 can stall for an hour).

Layout under ``build/fpga/<board>/``: ``<design>/`` the tools' working files
(``top.rpt`` Yosys log, ``top.tim`` nextpnr log, ``report.json``), and on success
``<design>.bit`` (``.bin`` on iCE40) with ``<design>.report.txt`` / ``.report.json``.
The bitstream of a previous build is removed when a build starts and the new one is
moved into place only when every check passed, so a bitstream file is never stale or
half-written.

Failures raise `BuildFailed` (an `FpgaError`) subclasses with a one-line cause and the
report so far in ``report_text``: `DoesNotFit` (which resource, used vs available),
`TimingFailed` (clock, Fmax vs constraint or target), `BuildStepFailed` (which tool,
its ERROR lines).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from amaranth.lib import wiring

from fpga.area import SYNTH_OPTS, prepare_memories
from fpga.boards import Board, BoardTop, get_board
from fpga.floorplan import ecp5_die, pin_mac_array
from fpga.report import PnrReport, parse_report
from fpga.tools import PLACERS, ROUTERS, FpgaError, env_var, tool_env

DEFAULT_BUILD_ROOT = Path("build") / "fpga"

# Tools in a board's build script that the flow skips: OrangeCrab's script appends a
# DFU suffix for dfu-util; openFPGALoader programs the board without it.
SKIPPED_TOOLS = {"dfu-suffix"}

STEP_NAMES = {"yosys": "synth", "nextpnr-ecp5": "pnr", "nextpnr-ice40": "pnr",
              "ecppack": "pack", "icepack": "pack"}


class BuildFailed(FpgaError):
    """A build failed; ``report_text`` holds the report as far as the tools got."""

    report_text: str = ""


class DoesNotFit(BuildFailed):
    """The design needs more of a resource than the device has."""


class TimingFailed(BuildFailed):
    """A clock's achieved Fmax is below its constraint (or the requested target)."""


class BuildStepFailed(BuildFailed):
    """A tool of the build failed for a reason other than fit or timing."""


def _with_report(exc: BuildFailed, result: "BuildResult") -> BuildFailed:
    exc.report_text = result.text
    return exc


@dataclass
class BuildResult:
    board: Board
    design: str
    work_dir: Path
    report: PnrReport
    bitstream: Path | None = None
    times: dict[str, float] = field(default_factory=dict)
    target_mhz: float | None = None
    config: str | None = None

    @property
    def text(self) -> str:
        b = self.board
        head = (f"FPGA build: {self.design} on {b.name} ({b.title}, {b.device})"
                + (f", config {self.config}" if self.config else ""))
        times = ", ".join(f"{k} {v:.1f} s" for k, v in self.times.items())
        tail = [f"times: {times}"]
        tail.append(f"bitstream: {self.bitstream}" if self.bitstream else
                    "bitstream: none (build failed)")
        return "\n".join([head, self.report.format(self.target_mhz), *tail])

    def as_dict(self) -> dict:
        return {"board": self.board.name, "device": self.board.device,
                "design": self.design, "config": self.config,
                "bitstream": str(self.bitstream) if self.bitstream else None,
                "times_s": self.times, "target_mhz": self.target_mhz,
                **self.report.as_dict()}


SocFactory = Callable[[Board], wiring.Component]


def _tool_command(argv: list[str], env: dict[str, str]) -> list[str]:
    tool = argv[0]
    return [env.get(env_var(tool), tool), *argv[1:]]


def _run_step(argv: list[str], cwd: Path, env: dict[str, str],
              log: Callable[[str], None]) -> tuple[str, float, subprocess.CompletedProcess]:
    tool = argv[0]
    step = STEP_NAMES.get(tool, tool)
    cmd = _tool_command(argv, env)
    log(f"  {step:<6} {Path(cmd[0]).name} ...")
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return step, time.monotonic() - start, proc


class _StepStatus:
    """A live status line on stderr while the tools run (`oxcore.progress`): the current
    step, its time and the build's ("fpga: ulx3s: place (nextpnr-ecp5) 0m41s, build
    1m12s"); `log` prints the step lines without breaking it."""

    def __init__(self, board: Board, log: Callable[[str], None]) -> None:
        from oxcore.progress import StatusLine
        self.board, self._log = board, log
        self.line = StatusLine()
        self.step, self.step_started = "synthesis", self.line.clock()

    def log(self, message: str) -> None:
        parts = message.split()
        if len(parts) >= 2 and message.startswith("  "):  # "  place  nextpnr-ecp5 ..."
            self.step, self.tool = parts[0], parts[1]
            self.step_started = self.line.clock()
        with self.line.paused():
            self._log(message)

    def _text(self) -> str:
        from oxcore.progress import duration
        step = self.line.clock() - self.step_started
        tool = getattr(self, "tool", "")
        step_name = {"synth": "synthesis", "pnr": "place and route",
                     "pack": "bitstream"}.get(self.step, self.step)
        return (f"fpga: {self.board.name}: {step_name}{f' ({tool})' if tool else ''} "
                f"... {duration(step)} (build {duration(self.line.elapsed)})")

    def __enter__(self) -> "_StepStatus":
        self.line.ticking(self._text)
        return self

    def __exit__(self, *exc) -> None:
        self.line.close()


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _install(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` atomically (temporary file + fsync + rename)."""
    tmp = dst.with_name(dst.name + ".tmp")
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        shutil.copyfileobj(fin, fout)
        fout.flush()
        os.fsync(fout.fileno())
    os.replace(tmp, dst)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def build(board: Board | str, soc: wiring.Component | SocFactory, *,
          design: str = "soc", build_root: Path | str = DEFAULT_BUILD_ROOT,
          config: str | None = None, target_mhz: float | None = None,
          allow_timing_fail: bool = False, seed: int = 1, router: str | None = None,
          placer: str | None = None, program: bool = False, floorplan: bool = True,
          log: Callable[[str], None] = print) -> BuildResult:
    """Synthesize, place, route and pack ``soc`` for ``board``; return the result, or raise
    `DoesNotFit`, `TimingFailed` or `BuildStepFailed`.

    ``soc`` is a component with the ports of `fpga.boards.SOC_SIGNATURE` or a factory
    ``soc(board) -> component``. ``target_mhz`` additionally requires that Fmax (the
    board clock is always required). ``allow_timing_fail`` installs the bitstream even if
    timing fails (the report still says FAIL). ``program`` runs openFPGALoader after a
    successful build (`program_board`). ``router`` picks nextpnr's router (``router1``,
    ``router2``; None: nextpnr's default), ``placer`` its placer (``heap``, ``sa``,
    ``static``; None: nextpnr's default, heap). ``floorplan`` (ECP5): a tensor engine's
    MAC array pinned to a compact block of DSP sites before placement
    (`fpga.floorplan`)."""
    if router not in (None, *ROUTERS):
        raise ValueError(f"router {router!r}: nextpnr has {', '.join(ROUTERS)}")
    if placer not in (None, *PLACERS):
        raise ValueError(f"placer {placer!r}: nextpnr has {', '.join(PLACERS)}")
    board = get_board(board) if isinstance(board, str) else board
    component = soc(board) if callable(soc) and not isinstance(soc, wiring.Component) else soc
    out_dir = Path(build_root) / board.name
    work = out_dir / design
    bitstream = out_dir / (design + board.bitstream_ext)
    report_txt = out_dir / (design + ".report.txt")
    report_json = out_dir / (design + ".report.json")
    for stale in (bitstream, report_txt, report_json):
        _remove(stale)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)

    platform = board.platform()
    overrides = {
        "script_after_read": prepare_memories(),
        "script_after_synth": "tee -q -o synth_stat.json stat -json",
        "nextpnr_opts": f"--report report.json --timing-allow-fail --seed {int(seed)}"
                        + (f" --router {router}" if router else "")
                        + (f" --placer {placer}" if placer else ""),
    }
    if SYNTH_OPTS.get(board.family):
        overrides["synth_opts"] = SYNTH_OPTS[board.family]
    start = time.monotonic()
    plan = platform.build(BoardTop(board, component), name="top", do_build=False,
                          **overrides)
    for filename, content in plan.files.items():
        path = work / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    times = {"elaborate": time.monotonic() - start}
    commands = json.loads(plan.files[f"{plan.script}.json"])["commands"]

    env = tool_env()
    log(f"building {design} for {board.name} ({board.device}) in {work}")
    result = BuildResult(board, design, work, PnrReport(board.family), times=times,
                         target_mhz=target_mhz, config=config)
    # (the ECP5 die whose DSP grid the floorplan pins a MAC array to, if any)
    die = ecp5_die(board.device) if floorplan and board.family == "ecp5" else None
    with _StepStatus(board, log) as status:
        for argv in commands:
            if argv[0] in SKIPPED_TOOLS:
                continue
            step, seconds, proc = _run_step(argv, work, env, status.log)
            times[step] = times.get(step, 0.0) + seconds
            if proc.returncode != 0:
                result.report = _collect_report(board, work)
                raise _with_report(_step_error(board, step, argv[0], proc, work, result),
                                   result)
            if die and argv[0] == "yosys":
                status.log(pin_mac_array(work / "top.json", work / "top.json", die))
    result.report = _collect_report(board, work)

    over = result.report.overused()   # nextpnr normally stops before this; be sure
    if over:
        raise _with_report(DoesNotFit(_fit_message(board, over, work)), result)
    if not result.report.clocks:
        raise _with_report(BuildStepFailed(
            f"{board.name}: nextpnr reported no clock; see {work / 'top.tim'}"), result)
    failing = result.report.failing_clocks(target_mhz)
    text = result.text
    if failing and not allow_timing_fail:
        _write_atomic(report_txt, text + "\n")
        _write_atomic(report_json, json.dumps(result.as_dict(), indent=1) + "\n")
        c = failing[0]
        need = max(c.constraint_mhz, target_mhz or 0.0)
        raise _with_report(TimingFailed(
            f"{board.name}: design misses timing: clock {c.clock} reaches "
            f"{c.achieved_mhz:.2f} MHz, needs {need:.2f} MHz "
            f"(critical path in {report_txt}; no bitstream written)"), result)

    _install(work / ("top" + board.bitstream_ext), bitstream)
    result.bitstream = bitstream
    _write_atomic(report_txt, result.text + "\n")
    _write_atomic(report_json, json.dumps(result.as_dict(), indent=1) + "\n")
    if program:
        program_board(board, bitstream, log=log)
    return result


def _collect_report(board: Board, work: Path) -> PnrReport:
    report_path = work / "report.json"
    stat_path = work / "synth_stat.json"
    return parse_report(
        board.family,
        report=json.loads(report_path.read_text()) if report_path.exists() else None,
        log=_read(work / "top.tim"),
        synth_stat=json.loads(stat_path.read_text()) if stat_path.exists() else None)


def _fit_message(board: Board, over, work: Path) -> str:
    what = ", ".join(f"{u.resource} ({u.cell}) {u.used}/{u.available} ({u.percent:.0f}%)"
                     for u in over)
    return (f"{board.name}: design does not fit the {board.device}: {what} "
            f"(log: {work / 'top.tim'})")


def _step_error(board: Board, step: str, tool: str, proc: subprocess.CompletedProcess,
                work: Path, result: BuildResult) -> BuildFailed:
    if step == "pnr":
        over = result.report.overused()
        if over:
            return DoesNotFit(_fit_message(board, over, work))
        errors = result.report.errors
        logfile = work / "top.tim"
    elif step == "synth":
        logfile = work / "top.rpt"
        errors = [l.split("ERROR: ", 1)[1] for l in _read(logfile).splitlines()
                  if "ERROR: " in l]
    else:
        logfile = None
        errors = []
    if not errors:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        errors = tail or [f"exit status {proc.returncode}"]
    where = f" (log: {logfile})" if logfile else ""
    return BuildStepFailed(f"{board.name}: {step} ({tool}) failed: {'; '.join(errors)}{where}")


def find_openfpgaloader() -> str | None:
    """openFPGALoader from ``$OPENFPGALOADER``, else from PATH."""
    explicit = os.environ.get("OPENFPGALOADER")
    if explicit:
        return shutil.which(explicit) or (explicit if Path(explicit).exists() else None)
    return shutil.which("openFPGALoader")


def program_command(board: Board, bitstream: Path, tool: str = "openFPGALoader") -> list[str]:
    return [tool, *board.openfpgaloader, str(bitstream)]


def program_board(board: Board, bitstream: Path, *,
                  log: Callable[[str], None] = print) -> None:
    """Load ``bitstream`` into a connected board with openFPGALoader (SRAM on the ECP5
    boards, which is lost at power-off; the iCEBreaker's SPI flash)."""
    tool = find_openfpgaloader()
    if tool is None:
        raise FpgaError(
            "cannot program: openFPGALoader not found (install it from your distribution, "
            "e.g. `apt install openfpgaloader`, or set OPENFPGALOADER=/path/to/it); "
            f"the bitstream is {bitstream}; by hand: "
            + shlex.join(program_command(board, bitstream)))
    cmd = program_command(board, bitstream, tool)
    log("programming: " + shlex.join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        tail = "; ".join(proc.stderr.strip().splitlines()[-3:])
        raise FpgaError(f"openFPGALoader failed (exit {proc.returncode}): {tail}")
