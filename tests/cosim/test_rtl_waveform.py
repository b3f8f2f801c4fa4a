"""Waveforms from `oxcore run --sim rtl --vcd`: read back with an independent parser
(vcdvcd), they must show what the golden interpreter says the program did.

- the retire port in the VCD, sampled on the clock's rising edges, gives exactly the
  interpreter's record stream;
- a `--vcd-window A:B` file holds only times in [A, B) cycles, with the full file's
  values there;
- the `.gtkw` save file points at the VCD, has the documented groups, and names only
  signals that exist in the VCD;
- files are written whole or not at all (no `.partial` left; an interrupted run leaves
  nothing at the target path).

The "small" configuration (16 KiB of RAM, all of it dumped) keeps the files small.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cosim.rtl_sim import CLOCK_PERIOD, RtlSimulator
from oxcore.program import load_program
from oxcore.retire import RetireRecord

from .rtl_programs import (CLK, MIXED_EXIT, MIXED_S, RETIRE_SIGNALS, SMALL, Waveform, assemble,
                           golden, oxcore)

WINDOW = (150, 230)  # cycles of MIXED_S (about 265): divider stalls, then a run of retires
GROUPS = ("pc per stage", "valid / stall / flush", "retire", "register write", "memory bus")

TRAP_S = r"""
    .data
buf: .word 0x11223344, 0
    .text
    .globl _start
_start:
    la   s0, buf
    lw   t0, 0(s0)
    sw   t0, 4(s0)
    sb   t0, 1(s0)
    lhu  t1, 0(s0)
    sh   t1, 3(s0)          # misaligned: a trap record ends the stream
    li   a7, 93
    ecall
"""


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.rglob("*")
            if ".partial" in p.name or ".restamp" in p.name]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """MIXED_S on the RTL with a full VCD and with a windowed one (one run each)."""
    directory = tmp_path_factory.mktemp("waves")
    program = assemble(directory, MIXED_S, "mixed", SMALL)
    results = {"dir": directory, "program": program}
    for name, extra in (("full", []), ("window", ["--vcd-window", f"{WINDOW[0]}:{WINDOW[1]}"])):
        vcd = directory / name / "core.vcd"  # a directory that does not exist yet
        status = _main_quiet(["run", program, "--sim", "rtl", "--config", "small",
                              "--vcd", str(vcd), *extra])
        assert status == MIXED_EXIT
        results[name] = vcd
    return results


def _main_quiet(argv: list[str]) -> int:
    """`oxcore ARGV` with its output discarded (for module-scoped fixtures, which cannot
    use capsys)."""
    import contextlib
    import io
    from oxcore.cli import main
    out, err = io.TextIOWrapper(io.BytesIO()), io.TextIOWrapper(io.BytesIO())
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        return main(argv)


@pytest.fixture(scope="module")
def full(runs) -> Waveform:
    return Waveform(runs["full"])


@pytest.fixture(scope="module")
def window(runs) -> Waveform:
    return Waveform(runs["window"])


# ---- the retire stream --------------------------------------------------------------

def test_clock_period_is_clock_period(full):
    edges = full.rising_edges()
    assert len(edges) > 200
    assert {b - a for a, b in zip(edges, edges[1:])} == {full.period}
    assert full.period * float(full.vcd.timescale["timescale"]) == pytest.approx(CLOCK_PERIOD)


def test_retire_port_in_vcd_is_the_interpreters_record_stream(runs, full):
    ref = golden(runs["program"], SMALL)
    assert ref.stop.exit_code == MIXED_EXIT
    got = full.retired()
    assert got == ref.records
    # the stream exercised every part of the port
    assert any(r.mem_size and r.mem_write for r in got)
    assert any(r.mem_size and not r.mem_write for r in got)
    assert {r.mem_size for r in got} == {0, 1, 2, 4}


def test_trap_record_in_vcd(tmp_path, capsys):
    program = assemble(tmp_path, TRAP_S, "trap", SMALL)
    vcd = tmp_path / "trap.vcd"
    status, _, _ = oxcore(capsys, "run", program, "--sim", "rtl", "--config", "small",
                          "--vcd", vcd)
    assert status == 135  # store misaligned
    ref = golden(program, SMALL)
    got = Waveform(vcd, RETIRE_SIGNALS).retired()
    assert got == ref.records
    last = got[-1]
    assert last.trap is not None and last.trap.description == "store misaligned"
    assert (last.rd, last.mem_size) == (0, 0)  # a trapping instruction has no effects


# ---- --vcd-window -------------------------------------------------------------------------

def test_window_holds_only_its_cycles(window):
    start, end = (c * window.period for c in WINDOW)
    times = window.change_times()
    assert min(times) == start  # the initial values are stamped with the window's start
    assert max(times) < end
    assert window.vcd.endtime <= end
    # every cycle of the window is there: a rising edge in each
    edges = window.rising_edges()
    assert len(edges) == WINDOW[1] - WINDOW[0]
    assert all(start <= t < end for t in edges)


def _steps(tv: list[tuple[int, str]], start: int, end: int) -> list[tuple[int, str]]:
    """The signal as a step function on [start, end): (time, value) where it changes,
    taking the last value written at each time (several deltas share a time)."""
    final: dict[int, str] = {}
    before = None
    for time, value in tv:
        if time <= start:
            before = value
        elif time < end:
            final[time] = value
    steps = [(start, before)]
    for time in sorted(final):
        if final[time] != steps[-1][1]:
            steps.append((time, final[time]))
    return steps


def test_window_values_equal_the_full_files(full, window):
    start, end = (c * window.period for c in WINDOW)
    assert window.vcd.signals == full.vcd.signals
    differ = []
    for name in full.vcd.signals:
        want = _steps(full.tv(name), start, end)
        got = _steps(window.tv(name), start, end)
        if got != want:
            differ.append(name)
    assert not differ, differ[:10]
    # and what that means for the retire port, cycle by cycle
    for cycle in range(*WINDOW):
        assert window.retire_at_cycle(cycle) == full.retire_at_cycle(cycle)


def test_window_retire_stream_is_a_slice_of_the_interpreters(runs, window):
    ref = golden(runs["program"], SMALL).records
    got = window.retired()
    assert len(got) > 20
    first = got[0].order
    assert got == ref[first:first + len(got)]


def test_window_past_the_end_writes_nothing(tmp_path, capsys):
    program = assemble(tmp_path, TRAP_S, "trap", SMALL)
    vcd = tmp_path / "late.vcd"
    status, _, err = oxcore(capsys, "run", program, "--sim", "rtl", "--config", "small",
                            "--vcd", vcd, "--vcd-window", "5000:6000")
    assert status == 135
    assert "no waveform written" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trap.S", "trap.elf"]


def test_window_reaching_past_the_end_stops_at_the_end(tmp_path, capsys):
    program = assemble(tmp_path, TRAP_S, "trap", SMALL)
    vcd = tmp_path / "tail.vcd"
    status, _, _ = oxcore(capsys, "run", program, "--sim", "rtl", "--config", "small",
                          "--vcd", vcd, "--vcd-window", "10:100000")
    assert status == 135
    wave = Waveform(vcd, RETIRE_SIGNALS)
    ref = golden(program, SMALL).records
    got = wave.retired()
    assert got and got == ref[got[0].order:]  # through to the trap
    assert min(t for t, _ in wave.tv(CLK)) == 10 * wave.period


# ---- the GTKWave save file ---------------------------------------------------------------

def parse_gtkw(text: str) -> tuple[str, dict[str, list[str]]]:
    """(dumpfile, group name -> the signals inside it, nested groups included)."""
    dumpfile = re.search(r'^\[dumpfile\] "(.*)"$', text, re.M)[1]
    groups: dict[str, list[str]] = {}
    open_groups: list[str] = []
    flags = 0
    for line in text.splitlines():
        if not line or line.startswith(("[", "*", "^")):  # ^>N: a trace's filter process
            continue
        if line.startswith("@"):
            flags = int(line[1:], 16)
        elif line.startswith("-"):
            name = line[1:]
            if flags & 0x800000:  # group begin
                open_groups.append(name)
                groups.setdefault(name, [])
            elif flags & 0x1000000:  # group end
                assert open_groups and open_groups[-1] == name, (name, open_groups)
                open_groups.pop()
        else:
            for group in open_groups:
                groups[group].append(line)
    assert not open_groups
    return dumpfile, groups


@pytest.mark.parametrize("which", ["full", "window"])
def test_gtkw_save_file(which, runs, full):
    vcd = runs[which]
    gtkw = vcd.with_suffix(".gtkw")
    dumpfile, groups = parse_gtkw(gtkw.read_text())
    assert Path(dumpfile) == vcd.resolve()  # the final name, not a temporary one
    for group in GROUPS:
        assert groups.get(group), f"group {group!r} missing or empty"
    signals = set(full.vcd.signals)
    for group, names in groups.items():
        for entry in names:
            match = re.fullmatch(r"(.*?)(?:\[(\d+):(\d+)\])?", entry)
            name = match[1]
            assert name in signals, f"{group}: {entry} is not in the VCD"
            if match[2] is not None:
                size = int(full.vcd.data[full.vcd.references_to_ids[name]].size)
                assert size == int(match[2]) - int(match[3]) + 1, entry
    retire = {entry.split("\\retire.")[-1].split("[")[0] for entry in groups["retire"]}
    assert {"valid", "pc", "insn", "x.valid", "x.reg", "x.value", "mem.valid", "mem.addr",
            "mem.size", "mem.write", "mem.mask", "mem.data", "trap.valid", "trap.cause"} <= retire
    assert len(groups["pc per stage"]) == 5
    # Every signal a viewer opens with has a name of its own (not Amaranth's "$signal").
    assert not [entry for entries in groups.values() for entry in entries if "$" in entry]
    assert any(entry.endswith("d_pc[31:0]") or entry.endswith("d_pc")
               for entry in groups["pc per stage"]), groups["pc per stage"]


def test_no_partial_files_left(runs):
    assert leftovers(runs["dir"]) == []
    for which in ("full", "window"):
        assert sorted(p.name for p in runs[which].parent.iterdir()) == ["core.gtkw", "core.vcd"]


# ---- whole or not at all ------------------------------------------------------------------

class Stop(Exception):
    pass


@pytest.mark.parametrize("vcd_window", [None, (2, 500)])
@pytest.mark.parametrize("existing", [False, True])
def test_interrupted_run_leaves_no_half_written_vcd(vcd_window, existing, tmp_path):
    program = load_program(assemble(tmp_path, MIXED_S, "mixed", SMALL), SMALL)
    vcd, gtkw = tmp_path / "out.vcd", tmp_path / "out.gtkw"
    if existing:
        vcd.write_text("old waveform\n")
        gtkw.write_text("old save file\n")
    seen: list[RetireRecord] = []

    def on_retire(record: RetireRecord) -> None:
        seen.append(record)
        if len(seen) == 10:
            # meanwhile the waveform goes to a temporary name, not the target
            assert (tmp_path / "out.vcd.partial").exists()
            if not existing:
                assert not vcd.exists()
            raise Stop

    sim = RtlSimulator(SMALL, program, stdout=_Null(), stderr=_Null(), vcd_path=str(vcd),
                       vcd_window=vcd_window)
    with pytest.raises(Stop):
        sim.run(on_retire=on_retire)
    assert leftovers(tmp_path) == []
    if existing:
        assert (vcd.read_text(), gtkw.read_text()) == ("old waveform\n", "old save file\n")
    else:
        assert not vcd.exists() and not gtkw.exists()


class _Null:
    def write(self, data: bytes) -> int:
        return len(data)


@pytest.mark.parametrize("backend", [
    "pysim", pytest.param("cxxrtl", marks=pytest.mark.long)])  # (a C++ build with VCD)
def test_interrupted_command_keeps_the_waveform_so_far(tmp_path, capsys, monkeypatch, backend):
    """Ctrl-C in `oxcore run --vcd --trace`: status 130 and one line saying where it
    stopped; the waveform up to there is kept, complete (a VCD a reader parses, with its
    save file); the trace and the stats, which would be partial, are not written."""
    program = assemble(tmp_path, MIXED_S, "mixed", SMALL)
    calls = []
    original = RetireRecord.trace_line

    def trace_line(self, isa=None):
        calls.append(self)
        if len(calls) == 15:
            raise KeyboardInterrupt
        return original(self, isa)

    monkeypatch.setattr(RetireRecord, "trace_line", trace_line)
    monkeypatch.setenv("OXCORE_RTL_BACKEND", backend)
    out_dir = tmp_path / "out"
    vcd = out_dir / "x.vcd"
    status, out, err = oxcore(capsys, "run", program, "--sim", "rtl", "--config", "small",
                              "--vcd", vcd, "--trace", out_dir / "x.trace",
                              "--stats-json", out_dir / "x.json")
    assert status == 130
    lines = err.strip().splitlines()
    # CXXRTL simulates ahead of the records being consumed: it stopped further on.
    match = re.fullmatch(r"oxcore: interrupted: stopped at cycle ([\d,]+), instruction "
                         r"([\d,]+); the waveform up to there is in (.+)", lines[-1])
    assert match, err
    assert all(line.startswith("cxxrtl: ") for line in lines[:-1]), err  # a first build
    assert match[3] == str(vcd)
    instret = int(match[2].replace(",", ""))
    assert instret == 15 if backend == "pysim" else instret >= 15
    assert sorted(p.name for p in out_dir.iterdir()) == ["x.gtkw", "x.vcd"]
    wave = Waveform(vcd, RETIRE_SIGNALS)
    last = max(t for name in RETIRE_SIGNALS for t, _ in wave.tv(name))
    assert last <= int(match[1].replace(",", "")) * wave.period
    assert len(wave.retired()) >= 14  # the 15th retired in the last cycle recorded
    assert leftovers(tmp_path) == []
