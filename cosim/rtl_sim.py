"""Run a program on the OxCore RTL in Amaranth's Python simulator, emitting retire records.

`RtlSimulator` builds `hw.oxcore.top.Top` (core + RAM loaded with the program) and
drives it from one async testbench, cycle by cycle:

- each cycle it samples the core's retire port and turns a valid entry into an
  `oxcore.retire.RetireRecord` (the same type the interpreter emits);
- when an ecall reaches WB (`env_req`), it services the syscall with the interpreter's
  ABI (`cosim.iss.machine`: write(fd, buf, len), exit(code); anything else is an
  unknown-ecall trap), reading a write()'s buffer straight out of the simulated RAM,
  and answers on `env_resp` with a0's new value, so the ecall retires;
- it stops on exit(), on a trap record, at a limit, or when `on_retire` returns False.

CSR reads of cycle/time/hpmcounters return what the RTL counts (the interpreter,
being untimed, returns instret for cycle and 0 for hpmcounters).

Building the simulator is most of a short run's time (about 5 s for a core with the
vector engine: elaboration and pysim's compile, against well under a second to run a
test program), so a run without a waveform reuses one built before for the same
design (`_Reusable`): reset, with the program written into the RAM as the run starts,
as the CXXRTL models are loaded. The same design means the same configuration, faults
and entry point, and the same objects in every RTL module (`_design_objects`: a test
that monkeypatches a unit gets a simulator of its own). `OXCORE_PYSIM_REUSE=0` (or
false, no, off) builds one for every run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

from amaranth.sim import Simulator

from cosim.completions import Completions
from cosim.syscalls import Environment
from hw.oxcore.csr import unpack_counters
from hw.oxcore.faults import Faults
from cosim.waves import write_gtkw
from hw.oxcore.memory import image_words
import hw.oxcore.top as top_module
from hw.oxcore.top import Top
from oxcore.config import OxCoreConfig
from oxcore.program import Program
from oxcore.retire import (ENGINE_COMPLETION, SCALAR_RETIRE, RecordBatch, RetireRecord,
                           TrapCause, record_unpacker)

MASK32 = 0xFFFF_FFFF
CLOCK_PERIOD = 1e-6  # nominal 1 MHz: only labels the VCD time axis
WATCHDOG_CYCLES = 10_000  # no retirement for this long: the core is hung
PYSIM_BATCH = 256  # records per on_batch call (the simulator is slow: keep batches small)


def ram_bytes(ctx, top, mem_base: int, addr: int, length: int) -> bytes:
    """Bytes of `top`'s simulated RAM at `addr` (a backdoor read in a testbench: no
    port, no cycles); with engines, from the banked data RAM (the RAM is fetch's)."""
    offset = addr - mem_base
    first, last = offset >> 2, (offset + length + 3) >> 2
    banked = top.data_ram
    if banked is None:
        storage = top.ram.storage.data
        values = [ctx.get(storage[i]) for i in range(first, last)]
    else:
        def bank_rows(bank: int, row: int, rows: int) -> list[int]:
            data = banked.bank_memories[bank].data
            return [ctx.get(data[r]) for r in range(row, row + rows)]
        values = banked.read_words(bank_rows, first, last - first)
    words = b"".join(value.to_bytes(4, "little") for value in values)
    start = offset & 3
    return words[start:start + length]


@dataclass
class RtlStop:
    """Why and where an RTL run ended, with the core's counters."""

    exit_value: int | None  # a0 passed to exit(), unsigned 32-bit
    trap_cause: TrapCause | None  # also INSTRUCTION_LIMIT when max_instructions hit
    trap_pc: int | None
    instret: int
    cycles: int
    counters: dict[str, int] = field(default_factory=dict)
    # "exit", "trap", "instruction_limit", "cycle_limit", "hang" (nothing retired for
    # `watchdog` cycles), or "callback" (on_retire returned False, e.g.
    # cosim.lockstep.Lockstep.retired on a divergence)
    reason: str = "exit"
    memory: dict[int, bytes] = field(default_factory=dict)  # `read_back` ranges at the end
    # engine name -> (first, last) cycle of each of its instructions (an engine with
    # commit ports of its own), `cosim.completions.Completions.engine_spans`
    engine_spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return (self.exit_value or 0) & 0xFF

    @property
    def cpi(self) -> float:
        return self.cycles / self.instret if self.instret else float("inf")


_UNPACK_RETIRE = record_unpacker(SCALAR_RETIRE, extras=("awaits",))
_UNPACK_COMPLETION = record_unpacker(ENGINE_COMPLETION)



class RtlHarness:
    """What both RTL simulators share: the design for one program, its environment
    (syscalls), waveform options and the current cycle. `run` may be called once.

    With `vcd_path`, the waveform is written there, limited to cycles [start, end) if
    `vcd_window` is given, together with a GTKWave save file (same name, `.gtkw`) that
    opens with the useful signals grouped. Both files are written whole or not at all.
    `cycle` is the current cycle, for `on_retire` callers.
    """

    # True when `run` lets other Python threads run while it simulates (compiled
    # models release the interpreter lock), so co-simulation can overlap the two sides.
    concurrent = False
    # Set before `run`: a `cosim.pipeview.Tracker` to sample the pipeline every cycle
    # (--pipeview), and a function called now and then with (cycle, instret) so far
    # (the status line).
    pipeview = None
    on_progress: Callable[[int, int], None] | None = None

    def __init__(self, config: OxCoreConfig, program: Program,
                 stdout: BinaryIO | None = None, stderr: BinaryIO | None = None,
                 vcd_path: str | None = None, vcd_window: tuple[int, int | None] | None = None,
                 faults: Faults = frozenset()) -> None:
        self.config = config
        self.program = program
        self.environment = Environment(config,
                                       stdout if stdout is not None else sys.stdout.buffer,
                                       stderr if stderr is not None else sys.stderr.buffer)
        self.vcd_path = vcd_path
        self.vcd_window = vcd_window
        if vcd_path:  # create its directory (as --trace and --stats-json do), early
            os.makedirs(os.path.dirname(os.path.abspath(vcd_path)), exist_ok=True)
        self.top = self._design(faults)
        self.cycle = 0
        self.instret = 0  # instructions retired so far (where an interrupted run stopped)
        self.waveform_written = False  # False too when the run ended before the window
        self._ran = False

    def _design(self, faults: Faults) -> Top:
        """The design that runs the program (a subclass may reuse one)."""
        return Top(self.config, self.program, faults)

    def engine_spans(self, completions: Completions) -> dict[str, list[tuple[int, int]]]:
        """The spans `completions` noted, by the engines' configuration names."""
        if not completions.engine_spans:
            return {}
        names = list(self.config.engines)
        engines = len(getattr(self.top, "engines", ()))
        if len(names) != engines:  # a test's own engines
            names = [f"engine{i}" for i in range(engines)]
        return {names[i] if i < len(names) else f"engine{i}": spans
                for i, spans in completions.engine_spans.items()}

    def _start(self) -> None:
        if self._ran:
            raise RuntimeError(f"{type(self).__name__}.run may be called once per instance")
        self._ran = True


class RtlSimulator(RtlHarness):
    """One program on the RTL in Amaranth's simulator (see `RtlHarness`)."""

    _reused: "_Reusable | None" = None

    def _design(self, faults: Faults) -> Top:
        if not self.vcd_path:
            self._reused = _Reusable.get(self.config, self.program.entry, faults)
        if self._reused is None:
            return super()._design(faults)
        self._image = image_words(self.config, self.program)  # (a bad image fails here)
        return self._reused.top

    # ---- syscalls ----------------------------------------------------------------------
    def _read_ram(self, ctx, addr: int, length: int) -> bytes:
        """Bytes of the simulated RAM (a backdoor read: no port, no cycles)."""
        return ram_bytes(ctx, self.top, self.config.mem_base, addr, length)

    # ---- the run -----------------------------------------------------------------------
    def run(self, max_instructions: int | None = None, max_cycles: int | None = None,
            on_retire: Callable[[RetireRecord], None] | None = None,
            watchdog: int = WATCHDOG_CYCLES,
            read_back: tuple[tuple[int, int], ...] = (),
            on_batch: Callable[[RecordBatch], bool | None] | None = None) -> RtlStop:
        """Run to exit, trap or a limit. `read_back` (addr, length) ranges of RAM are
        returned in `RtlStop.memory` as they are at the end. Records go to `on_retire`
        one by one and/or to `on_batch` in `RecordBatch`es (False from either stops)."""
        self._start()
        reused = self._reused
        if reused is not None and reused.job is not None:  # (running another program:
            reused = None  # one run inside another's callback) a design of its own
            self.top = super()._design(self.top.core.faults)
        core = self.top.core
        result: list[RtlStop] = []

        async def harness(ctx) -> None:
            if reused is not None:
                reused.load(ctx, self._image)
            retire = core.retire.as_value()
            completion = core.completion.as_value() if core.engine_count else None
            completions = Completions()  # records waiting for an engine's result
            # engines' commit ports of their own (the vector engine's): their reports
            ports = getattr(self.top, "engine_commits", ())  # (a test's Top may have none)
            reports = [(port.source.as_value(), record_unpacker(port.spec, extras=("last",)),
                        port.engine) for port in ports]
            env_valid = core.env_req.valid
            req, resp = core.env_req, core.env_resp
            instret = cycles = last_retire = 0
            pending: list[RetireRecord] = []  # for on_batch
            cycle_of: list[int] = []

            def deliver(released: list[tuple[RetireRecord, int]], last: bool) -> bool:
                """Hand records to the callbacks; False if one of them says stop."""
                go_on = True
                for record, cycle in released:
                    self.cycle = cycle  # the cycle it retired in (held records: earlier)
                    if on_retire is not None and on_retire(record) is False:
                        go_on = False
                    if on_batch is not None:
                        pending.append(record)
                        cycle_of.append(cycle)
                if pending and (last or len(pending) >= PYSIM_BATCH):
                    go_on = on_batch(RecordBatch.from_records(pending, cycle_of)) is not False \
                        and go_on
                    pending.clear()
                    cycle_of.clear()
                return go_on

            pipeview, on_progress = self.pipeview, self.on_progress
            if pipeview is not None:
                from cosim.pipeview import pysim_values
                sampled = list(pysim_values(core).items())
            def late_effects() -> list[tuple[RetireRecord, int]]:
                """This cycle's engine completions and reports, filed by order."""
                released: list[tuple[RetireRecord, int]] = []
                if completion is not None:
                    done = _UNPACK_COMPLETION(ctx.get(completion))
                    if done is not None:
                        released += completions.completed(done)
                for port, unpack, engine in reports:
                    beat = unpack(ctx.get(port))
                    if beat is not None:
                        released += completions.reported(beat[0], bool(beat[1]["last"]),
                                                         cycles, engine)
                return released

            stop: tuple | None = None  # (reason, exit_value, cause, pc)
            if max_instructions is not None and max_instructions <= 0:
                stop = ("instruction_limit", None, TrapCause.INSTRUCTION_LIMIT, None)
            while stop is None:
                self.cycle = cycles
                if max_cycles is not None and cycles >= max_cycles:
                    stop = ("cycle_limit", None, None, None)
                    break
                if cycles - last_retire > watchdog:
                    stop = ("hang", None, None, None)
                    break
                answered = False
                if ctx.get(env_valid):
                    call = self.environment.ecall(
                        ctx.get(req.a0), ctx.get(req.a1), ctx.get(req.a2), ctx.get(req.a7),
                        lambda addr, length: self._read_ram(ctx, addr, length))
                    ctx.set(resp.a0, call.a0)
                    ctx.set(resp.fault, call.unknown)
                    if call.exit_value is not None:
                        stop = ("exit", call.exit_value, None, None)
                    ctx.set(resp.valid, 1)
                    answered = True
                released = late_effects()
                retired = _UNPACK_RETIRE(ctx.get(retire))
                if retired is not None:
                    record, extras = retired
                    last_retire = cycles
                    trap = record.trap
                    if trap is not None:
                        stop = ("trap", None, trap, record.pc)
                    else:
                        instret += 1
                        self.instret = instret
                        if stop is None and max_instructions is not None \
                                and instret >= max_instructions:
                            stop = ("instruction_limit", None, TrapCause.INSTRUCTION_LIMIT,
                                    None)
                    released += completions.retired(record, cycles, extras["awaits"])
                if not deliver(released, last=stop is not None) and stop is None:
                    stop = ("callback", None, None, None)
                self.cycle = cycles
                if pipeview is not None and pipeview.wants(cycles):
                    counted = retired is not None and retired[0].trap is None
                    pipeview.sample(cycles, {name: ctx.get(value) for name, value in sampled},
                                    instret - counted)
                if on_progress is not None and not cycles & 0x3F:
                    on_progress(cycles, instret)
                await ctx.tick()
                cycles += 1
                if answered:
                    ctx.set(resp.valid, 0)
                    ctx.set(resp.fault, 0)
            # After a trap the engines finish (`Completions.drain`); a limit keeps
            # records as far as they got. (The loop's last tick moved on to the cycle
            # after the trap: its beats are filed before the next tick.)
            if stop[0] == "trap":
                for _ in completions.drain(1):
                    deliver(late_effects(), last=False)
                    await ctx.tick()
            deliver(completions.flush(), last=True)  # what is still held or queued
            reason, exit_value, cause, pc = stop
            counters = unpack_counters(ctx.get(core.counters.as_value()))
            memory = {addr: self._read_ram(ctx, addr, length) for addr, length in read_back}
            result.append(RtlStop(exit_value, cause, pc, instret, cycles, counters, reason,
                                  memory, self.engine_spans(completions)))

        if reused is not None:
            reused.run(harness)
            return result[0]
        sim = Simulator(self.top)
        sim.add_clock(CLOCK_PERIOD)
        sim.add_testbench(harness)
        if not self.vcd_path:
            sim.run()
            return result[0]
        start, end = self.vcd_window or (0, None)
        _advance_while(sim, lambda: not result and self.cycle < start)
        if not result:  # else the run ended before the window: there is nothing to show
            try:
                with self._waveform(sim):
                    _advance_while(sim, lambda: not result and (end is None or
                                                                self.cycle < end))
            finally:  # an interrupt keeps the waveform up to where it stopped
                self.waveform_written = os.path.exists(self.vcd_path)
        sim.run()
        return result[0]

    @contextlib.contextmanager
    def _waveform(self, sim: Simulator):
        """VCD + GTKWave save file through temporary names, renamed when complete."""
        vcd = os.path.abspath(self.vcd_path)
        partial = vcd + ".partial"
        try:
            start_fs = sim._engine.now
            try:
                with _write_vcd_from_now(sim, partial):
                    yield
            except KeyboardInterrupt:  # Ctrl-C: keep what was recorded up to here
                _restamp_initial_values(partial, vcd, start_fs)
                write_gtkw(self.top.probes, vcd, self.config)
                raise
            _restamp_initial_values(partial, vcd, start_fs)
            write_gtkw(self.top.probes, vcd, self.config)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(partial)


class _Reusable:
    """A simulator of one design, kept to run program after program (see the module
    docstring): its RAMs start empty, and its one testbench runs the current run's
    harness, which first writes the program in."""

    LIMIT = 3  # designs kept (a core with the vector engine holds 100-200 MB)
    kept: OrderedDict[tuple, "_Reusable"] = OrderedDict()

    def __init__(self, config: OxCoreConfig, entry: int, faults: Faults) -> None:
        self.objects: tuple = ()
        self.top = Top(config, Program("reused", entry, []), faults)
        self.top.ram.storage.init = []
        if self.top.data_ram is not None:
            for bank in self.top.data_ram.bank_memories:
                bank.init = []
        self.job: Callable | None = None
        self.runs = 0
        self.sim = Simulator(self.top)
        self.sim.add_clock(CLOCK_PERIOD)

    @classmethod
    def get(cls, config: OxCoreConfig, entry: int, faults: Faults) -> "_Reusable | None":
        off = os.environ.get("OXCORE_PYSIM_REUSE", "1").lower() in ("0", "false", "no", "off")
        if off or Top is not top_module.Top:
            return None  # (off, or a test's own design in place of Top)
        def key(objects: tuple) -> tuple:
            return (config, entry, frozenset(faults), tuple(map(id, objects)))
        found = cls.kept.pop(key(_design_objects()), None)
        if found is None:  # (keyed once built: building imports the units' modules)
            found = cls(config, entry, faults)
            found.objects = _design_objects()  # (held: their ids stay theirs)
        cls.kept[key(found.objects)] = found  # (most recently used last)
        while len(cls.kept) > cls.LIMIT:
            cls.kept.popitem(last=False)
        return found

    def load(self, ctx, words: list[int]) -> None:
        """The program's image into the (reset, zeroed) RAMs: the fetch RAM and, with
        engines, the banked data RAM (`BankedRam.split`)."""
        storage = self.top.ram.storage.data
        for index, word in enumerate(words):
            if word:
                ctx.set(storage[index], word)
        banked = self.top.data_ram
        if banked is not None:
            for memory, rows in zip(banked.bank_memories, banked.split(words)):
                for row, word in enumerate(rows):
                    if word:
                        ctx.set(memory.data[row], word)

    def run(self, harness: Callable) -> None:
        self.job = harness
        try:
            if self.runs:
                self.sim.reset()
            else:  # (added at the first run: an unrun one would leave a coroutine unawaited)
                async def current_job(ctx) -> None:
                    await self.job(ctx)
                self.sim.add_testbench(current_job)
            self.runs += 1
            self.sim.run()
        except BaseException:  # (its state is anyone's guess now)
            for key, kept in list(self.kept.items()):
                if kept is self:
                    del self.kept[key]
            raise
        finally:
            self.job = None


def _design_objects() -> tuple:
    """What the design is built from: every module global and class attribute of the
    RTL's modules (`hw.*`), the ISA's and the configuration's, and the items of their
    public module-level containers (a test's `monkeypatch.setitem` on a table such as
    the lanes' CONTROL; private ones, ``_ISAS``, are memo caches that grow as
    configurations come), and this module's `Top`. A test's monkeypatch changes one."""
    objects: list = [Top]
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("hw.", "oxcore.isa", "oxcore.config")):
            continue
        for global_name, value in list(vars(module).items()):
            objects.append(value)
            if isinstance(value, type) and value.__module__ == name:
                objects.extend(vars(value).values())
            elif isinstance(value, dict) and not global_name.startswith("_"):
                objects.extend(value.keys())
                objects.extend(value.values())
            elif isinstance(value, (list, set)) and not global_name.startswith("_"):
                objects.extend(value)
    return tuple(objects)


def _write_vcd_from_now(sim: Simulator, vcd: str):
    """Start a waveform at the current time. Amaranth 0.5's public `write_vcd` refuses
    once time has advanced (which a --vcd-window needs); its engine's writer, used here,
    does not. amaranth is pinned exactly; tests/cosim/test_rtl_waveform.py checks the
    windowed file against a full one."""
    if sim._engine.now == 0:
        return sim.write_vcd(vcd)
    return sim._engine.write_vcd(vcd_file=vcd, gtkw_file=None, traces=(), fs_per_delta=0)


def _restamp_initial_values(source: str, target: str, start_fs: int) -> None:
    """Move `source` to `target`, stamping the initial values ($dumpvars, written at #0)
    with the window's start time, so a viewer shows nothing before the window."""
    if start_fs == 0:
        os.replace(source, target)
        return
    partial = target + ".restamp"
    try:
        with open(source) as src, open(partial, "w") as dst:
            for line in src:
                if line == "#0\n":
                    dst.write(f"#{start_fs}\n")
                    break
                dst.write(line)
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(partial)


def _advance_while(sim: Simulator, condition: Callable[[], bool]) -> None:
    while condition() and sim.advance():
        pass
