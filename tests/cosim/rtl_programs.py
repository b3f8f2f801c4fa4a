"""Small programs and helpers shared by the RTL-facing command suites
(`test_run_rtl.py`, `test_cosim_cli.py`, `test_rtl_waveform.py`).

Amaranth's Python simulator runs the core at a few thousand cycles per second (a few
hundred with a VCD being written), so every program here is short: tens to a few
hundred cycles. Programs come from assembly text (`sw.asm`), C (`oxcore cc`) or encoded
words (`tests.cosim.iss.helpers.elf_image`). References are the golden interpreter
(`golden`) and values computed by hand in the test files, never an earlier RTL run.
"""

from __future__ import annotations

import bisect
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cosim.iss import Interpreter
from cosim.iss.interpreter import Stop
from cosim.rtl_sim import CLOCK_PERIOD
from oxcore.cli import main
from oxcore.config import OxCoreConfig, load_config
from oxcore.program import load_program
from oxcore.retire import SCALAR_RETIRE, RetireRecord, record_unpacker

DEFAULT = load_config(None)
SMALL = load_config("small")  # 16 KiB of RAM: a much smaller VCD (the RAM is dumped)

# A mix of everything the retire port reports: sign/zero-extending loads of every size,
# stores of every size (then reloaded), a load-use pair, mul/div/rem including the
# corner cases, a counted loop, a call and return, write() to stdout and stderr, exit().
# Exit status: 55 (the loop's 1 + 2 + ... + 10).
MIXED_S = r"""
    .data
bytes:  .byte 0x80, 0x7f, 0xff, 0x01
halves: .half 0x8001, 0x7ffe
words:  .word 0xdeadbeef, 0x12345678
buf:    .word 0, 0
out:    .ascii "rtl ok\n"
err:    .ascii "to stderr\n"

    .text
    .globl _start
_start:
    la   s0, bytes
    lb   t0, 0(s0)
    lbu  t1, 0(s0)
    lb   t2, 2(s0)
    add  t3, t2, t1          # load-use on t2
    la   s1, halves
    lh   t4, 0(s1)
    lhu  t5, 0(s1)
    lh   t6, 2(s1)
    la   s2, words
    lw   a3, 0(s2)
    lw   a4, 4(s2)
    la   s3, buf
    sb   a3, 1(s3)
    sh   a4, 2(s3)
    sw   a4, 4(s3)
    lw   a5, 0(s3)
    lw   a6, 4(s3)
    mul  s4, a3, a4
    mulh s5, a3, a4
    mulhu s6, a3, a4
    div  s7, a3, t0
    rem  s8, a3, t0
    divu s9, a3, a4
    remu s10, a3, zero       # remu by zero: the dividend
    li   t0, 0x80000000
    li   t1, -1
    div  s11, t0, t1         # overflow: 0x80000000
    li   t2, 1
    sltu a1, t2, t1          # 1 <u 0xffffffff: 1
    slt  a2, t2, t1          # 1 <s -1: 0
    li   a0, 0
    li   t0, 10
loop:
    add  a0, a0, t0
    addi t0, t0, -1
    bnez t0, loop
    mv   s1, a0
    call say
    li   a0, 2
    la   a1, err
    li   a2, 10
    li   a7, 64
    ecall
    mv   a0, s1
    li   a7, 93
    ecall

say:
    li   a0, 1
    la   a1, out
    li   a2, 7
    li   a7, 64
    ecall
    ret
"""
MIXED_EXIT = 55
MIXED_STDOUT = b"rtl ok\n"
MIXED_STDERR = b"to stderr\n"

# Small C: printf through the runtime (stdout), write() to stderr, a computed exit status
# (1*1 + 2*2 + ... + 6*6 = 91). It reads no counters, so traces must match exactly.
SMALL_C = r"""
#include "oxcore.h"

static volatile int squares[6];

int main(void) {
    int sum = 0;
    for (int i = 1; i <= 6; i++) {
        squares[i - 1] = i * i;
        sum += squares[i - 1];
    }
    printf("sum=%d\n", sum);
    write(2, "done\n", 5);
    return sum;
}
"""
SMALL_C_EXIT = 91
SMALL_C_STDOUT = b"sum=91\n"
SMALL_C_STDERR = b"done\n"


def assemble(directory: Path, source: str, name: str = "prog",
             config: OxCoreConfig = DEFAULT) -> str:
    from sw.asm.driver import assemble_file
    src = directory / f"{name}.S"
    src.write_text(source)
    elf = directory / f"{name}.elf"
    assemble_file(src, elf, "elf", config)
    return str(elf)


def compile_c(directory: Path, source: str, name: str = "prog",
              config: OxCoreConfig = DEFAULT) -> str:
    from sw.cc.driver import compile_c as cc
    src = directory / f"{name}.c"
    src.write_text(source)
    elf = directory / f"{name}.elf"
    cc([src], elf, config, opt="2")
    return str(elf)


@dataclass
class Golden:
    """The golden interpreter's run of a program: the reference for everything."""

    records: list[RetireRecord]
    stop: Stop
    stdout: bytes
    stderr: bytes

    @property
    def status(self) -> int:
        return self.stop.exit_code


def golden(path: str, config: OxCoreConfig = DEFAULT,
           max_instructions: int | None = None) -> Golden:
    out, err = io.BytesIO(), io.BytesIO()
    interp = Interpreter(config, load_program(path, config), out, err)
    records: list[RetireRecord] = []
    stop = interp.run(max_instructions, records.append)
    return Golden(records, stop, out.getvalue(), err.getvalue())


def oxcore(capsys, *argv: str) -> tuple[int, str, str]:
    """`oxcore ARGV...` in-process: (exit status, stdout, stderr)."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def one_error_line(err: str) -> str:
    """The single `oxcore: error: ...` line a bad invocation must print."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("oxcore: error: "), err
    return lines[0]


# ---- reading waveforms back -------------------------------------------------------------

CLK = "bench.top.clk"
RETIRE = "bench.top.core.\\retire."  # the core's retire port
# Where a simulator may put it instead: a VCD writer names a signal in one of the scopes
# that use it (the block that drives it, here), which differs between simulators and
# configurations. `Waveform` reads the port under RETIRE's names wherever it is.
RETIRE_SCOPES = ("bench.top.core.\\retire.", "bench.top.core.wb_retire.\\retire.")
RETIRE_FIELDS = tuple(SCALAR_RETIRE.flat_fields())  # "valid", "order", ..., "x.value", ...
RETIRE_SIGNALS = [CLK] + [RETIRE + name for name in RETIRE_FIELDS]


def _field_offsets() -> dict[str, int]:
    """Bit offsets of the retire port's fields, packed in `flat_fields` order."""
    offsets, offset = {}, 0
    for name, width in SCALAR_RETIRE.flat_fields().items():
        offsets[name] = offset
        offset += width
    return offsets


class Waveform:
    """A VCD read with vcdvcd (an independent parser), with value look-ups by time."""

    def __init__(self, path: str | Path, signals: list[str] | None = None) -> None:
        import vcdvcd
        self.path = Path(path)
        self.alias: dict[str, str] = {}  # RETIRE's names -> the names in this file
        if signals and any(name.startswith(RETIRE) for name in signals):
            names = set(vcdvcd.VCDVCD(str(path), only_sigs=True).signals)
            scope = next((s for s in RETIRE_SCOPES if s + "valid" in names), RETIRE)
            self.alias = {name: scope + name[len(RETIRE):] for name in signals
                          if name.startswith(RETIRE)}
            signals = [self.alias.get(name, name) for name in signals]
        self.vcd = vcdvcd.VCDVCD(str(path), signals=signals or [], store_tvs=True)
        if not signals:  # the whole file: name the retire port's fields as RETIRE does
            present = set(self.vcd.signals)
            scope = next((s for s in RETIRE_SCOPES if s + "valid" in present), RETIRE)
            self.alias = {RETIRE + name: scope + name for name in RETIRE_FIELDS}
        unit = Decimal(str(self.vcd.timescale["timescale"]))
        self.period = int(Decimal(str(CLOCK_PERIOD)) / unit)  # clock period, VCD units
        self._times: dict[str, list[int]] = {}

    def tv(self, name: str) -> list[tuple[int, str]]:
        return self.vcd[self.alias.get(name, name)].tv

    def _index(self, name: str) -> list[int]:
        if name not in self._times:
            self._times[name] = [t for t, _ in self.tv(name)]
        return self._times[name]

    def at(self, name: str, time: int) -> int:
        """The value at `time`, after every change stamped `time`."""
        i = bisect.bisect_right(self._index(name), time) - 1
        assert i >= 0, f"{name} has no value at {time}"
        return int(self.tv(name)[i][1], 2)

    def before(self, name: str, time: int) -> int:
        """The value just before `time` (what a flip-flop clocked at `time` captures)."""
        i = bisect.bisect_left(self._index(name), time) - 1
        assert i >= 0, f"{name} has no value before {time}"
        return int(self.tv(name)[i][1], 2)

    def rising_edges(self) -> list[int]:
        edges, last = [], None
        for time, value in self.tv(CLK):
            if value == "1" and last == "0":
                edges.append(time)
            last = value
        return edges

    def change_times(self) -> set[int]:
        return {t for name in self.vcd.signals for t, _ in self.tv(name)}

    def retired(self) -> list[RetireRecord]:
        """The retire port sampled on every rising clock edge (its value as the edge
        captures it), as records."""
        unpack = record_unpacker(SCALAR_RETIRE)
        offsets = _field_offsets()
        records = []
        for edge in self.rising_edges():
            raw = sum(self.before(RETIRE + name, edge) << offsets[name] for name in RETIRE_FIELDS)
            record = unpack(raw)
            if record is not None:
                records.append(record)
        return records

    def retire_at_cycle(self, cycle: int) -> dict[str, int]:
        """The retire port in `cycle` (the harness's count of rising edges so far), read
        at time `cycle` periods: half a period after the edge that starts it."""
        return {name: self.at(RETIRE + name, cycle * self.period) for name in RETIRE_FIELDS}
