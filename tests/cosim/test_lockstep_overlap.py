"""`run_in_lockstep` in each of its overlap modes (one after the other, a thread, a
forked process): the same verdicts, the same divergence, the program's output in order,
errors and a dying simulator reported, and the RTL side stopped once a divergence is
known. The "RTL" here is a stand-in that replays a second interpreter's records, with
an optional deliberate error; the comparator's interpreter is the reference."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from cosim.lockstep import Lockstep, run_in_lockstep
from cosim.rtl_sim import RtlStop
from cosim.syscalls import Environment
from oxcore.config import PRESETS
from oxcore.retire import RecordBatch, XWrite

from .test_lockstep import LOOP, interpreter, program

CONFIG = PRESETS["default"]
MODES = ["none", "thread", "process"]


class ReplaySim:
    """Replays another interpreter's records in batches of `step`, writing a line of
    "program output" before each batch; `corrupt` changes one record's register value,
    `fail_at` raises in the middle, `die_at` kills the process."""

    concurrent = True
    chunk = 0

    def __init__(self, stdout: io.BytesIO, corrupt: int | None = None,
                 fail_at: int | None = None, die_at: int | None = None, step: int = 3) -> None:
        self.environment = Environment(CONFIG, stdout, io.BytesIO())
        self.corrupt, self.fail_at, self.die_at, self.step = corrupt, fail_at, die_at, step
        source = interpreter(program(LOOP))
        self.records = []
        while True:
            record = source.step()
            self.records.append(record)
            if record.trap is not None or source.machine.exit_value is not None:
                break
        self.sent = 0

    def run(self, on_batch, max_instructions=None, max_cycles=None, read_back=()) -> RtlStop:
        for start in range(0, len(self.records), self.step):
            if self.fail_at is not None and start >= self.fail_at:
                raise ValueError("simulated failure")
            if self.die_at is not None and start >= self.die_at:
                os._exit(3)
            self.environment.streams[1].write(f"batch {start}\n".encode())
            chunk = self.records[start:start + self.step]
            if self.corrupt is not None and start <= self.corrupt < start + self.step:
                record = chunk[self.corrupt - start]
                record.effects = tuple(XWrite(e.reg, e.value ^ 1) if isinstance(e, XWrite)
                                       else e for e in record.effects)
            self.sent = start + len(chunk)
            if on_batch(RecordBatch.from_records(chunk, [2 * r.order for r in chunk])) is False:
                return RtlStop(None, None, None, self.sent, 2 * self.sent, reason="callback")
        return RtlStop(55, None, None, len(self.records), 2 * len(self.records))


def run(mode: str, **options) -> tuple[Lockstep, RtlStop, bytes]:
    out = io.BytesIO()
    lockstep = Lockstep(interpreter(program(LOOP)))
    stop = run_in_lockstep(ReplaySim(out, **options), lockstep, overlap=mode)
    lockstep.finish()
    return lockstep, stop, out.getvalue()


@pytest.mark.parametrize("mode", MODES)
def test_identical_streams_pass(mode: str) -> None:
    lockstep, stop, output = run(mode)
    assert lockstep.divergence is None and lockstep.checked == 10 * 5 + 4
    assert (stop.reason, stop.exit_value) == ("exit", 55)
    assert output == b"".join(f"batch {i}\n".encode() for i in range(0, 54, 3))


@pytest.mark.parametrize("mode", MODES)
def test_a_divergence_is_found_and_stops_the_rtl(mode: str) -> None:
    lockstep, stop, output = run(mode, corrupt=20)
    divergence = lockstep.divergence
    assert divergence is not None and divergence.order == 20 and divergence.cycle == 40
    assert divergence.fields == ["x.value"]
    assert divergence.expected.rd_value ^ divergence.actual.rd_value == 1
    assert [r.order for r, _ in divergence.history] == list(range(4, 20))
    if mode == "process":  # it learns of the divergence asynchronously: it may have ended
        assert stop.reason in ("callback", "exit")
    else:
        assert stop.reason == "callback"
        assert stop.instret < len(ReplaySim(io.BytesIO()).records)


@pytest.mark.parametrize("mode", MODES)
def test_an_error_in_the_rtl_side_reaches_the_caller(mode: str) -> None:
    with pytest.raises(ValueError, match="simulated failure"):
        run(mode, fail_at=9)


def test_a_dying_rtl_process_is_reported() -> None:
    from oxcore.errors import OxCoreError
    with pytest.raises(OxCoreError, match="RTL simulation process died"):
        run("process", die_at=9)


def test_a_single_threaded_process_forks_the_rtl_side() -> None:
    """`oxcore cosim` runs single-threaded, so it forks the RTL side (the fast path); with
    other threads about (a test runner's), forking is not safe and a thread is used."""
    script = ("from cosim.lockstep import choose_overlap; "
              "print(choose_overlap(type('S', (), {'concurrent': True})()))")
    chosen = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert chosen == "process"
    import threading
    from cosim.lockstep import choose_overlap
    expected = "process" if threading.active_count() == 1 else "thread"
    assert choose_overlap(type("S", (), {"concurrent": True})()) == expected
    assert choose_overlap(type("S", (), {"concurrent": False})()) == "none"
