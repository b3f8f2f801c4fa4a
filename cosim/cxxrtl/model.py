"""A running CXXRTL simulation, driven from Python through the driver's C ABI (ctypes).

The C++ side runs many clock cycles per call (`CxxrtlModel.run`), stopping early when an
*attention* condition holds (e.g. ``env_req`` or ``halt`` high) or the record buffer (or
`max_records`) has filled up. In every cycle whose *valid* condition holds it copies the
*record* signals (e.g. the ``retire`` port) into a buffer of uint32 words; Python decodes
a whole batch with numpy (`RecordFormat.decode`). Between calls, signals are peeked/poked by CXXRTL debug name
and memories are read/written directly in the model's storage.

Cycle model (same as an Amaranth-simulator testbench that samples, then ticks): between
calls the model is settled at cycle ``model.cycle`` -- outputs are the combinational
values for the current state and inputs, the clock edge of this cycle has not happened.
A call stopped by attention leaves the model in the cycle that raised it; inputs poked
then apply to that same cycle, and the next `run` executes that cycle without testing
attention again (it was answered), then continues. A record is taken for every cycle
that executes its clock edge with the valid condition holding, with the values seen just
before the edge.
"""

from __future__ import annotations

import ctypes
import enum
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence, Union

import numpy as np

from cosim.cxxrtl.build import CxxrtlBuild, CxxrtlError

# enum cxxrtl_type / cxxrtl_flag (cxxrtl_capi.h)
VALUE, WIRE, MEMORY, ALIAS, OUTLINE = range(5)
FLAG_INPUT, FLAG_OUTPUT = 1, 2
ABI_VERSION = 2
SKIP_FIRST_ATTENTION = 1

#: Default clock period for waveforms: the Amaranth simulator's usual ``add_clock(1e-6)``.
DEFAULT_PERIOD_FS = 1_000_000_000


class StopReason(enum.IntEnum):
    CYCLES = 0  # ran the requested number of cycles
    ATTENTION = 1  # an attention condition holds in the current cycle (not yet executed)
    FULL = 2  # the buffer (or max_records) filled up in the cycle just run: call again


#: A signal name (any bit set), (name, bit), or (name, (bit, ...)) (all those bits set).
Condition = Union[str, tuple[str, int], tuple[str, Sequence[int]]]


def _condition_name(condition: Condition) -> str:
    if isinstance(condition, str):
        return condition
    name, bits = condition
    if isinstance(bits, int):
        return f"{name}[{bits}]"
    return f"{name}[{','.join(str(b) for b in bits)}]"


@dataclass(frozen=True)
class SignalInfo:
    name: str
    index: int
    type: int
    flags: int
    width: int
    depth: int
    parts: int

    @property
    def words(self) -> int:
        return (self.width + 31) // 32

    @property
    def is_memory(self) -> bool:
        return self.type == MEMORY

    @property
    def is_input(self) -> bool:
        return bool(self.flags & FLAG_INPUT)

    @property
    def is_output(self) -> bool:
        return bool(self.flags & FLAG_OUTPUT)


@dataclass(frozen=True)
class RunResult:
    cycles: int  # cycles executed by this call
    reason: StopReason
    attention: tuple[str, ...]  # conditions holding, when reason is ATTENTION
    records: np.ndarray  # (n, RecordFormat.words) uint32, a copy


def layout_fields(port: str, layout, prefix: str = "") -> dict[str, tuple[str, int, int]]:
    """Flatten an Amaranth ``data.Layout`` on toplevel port `port` into record fields.

    Returns ``{"valid": ("retire", 0, 1), "mem.addr": ("retire", 33, 32), ...}`` (field name
    -> (signal, lsb, width)); nested layouts give dotted names.
    """
    from amaranth.lib import data
    from amaranth.hdl import Shape
    fields: dict[str, tuple[str, int, int]] = {}
    base = 0
    if isinstance(layout, tuple):  # (layout, offset) from recursion
        layout, base = layout
    for name, member in layout:
        shape = member.shape
        key = f"{prefix}{name}"
        if isinstance(shape, data.Layout):
            fields.update(layout_fields(port, (shape, base + member.offset), prefix=f"{key}."))
        else:
            width = Shape.cast(shape).width
            fields[key] = (port, base + member.offset, width)
    return fields


class RecordFormat:
    """Word layout of one record (cycle stamp, then each record signal) and its decoder."""

    def __init__(self, signals: Sequence[SignalInfo], stamp: bool):
        self.stamp = stamp
        self.offsets: dict[str, tuple[int, int]] = {}  # signal -> (first word, width)
        word = 2 if stamp else 0
        for info in signals:
            self.offsets[info.name] = (word, info.width)
            word += info.words
        self.words = word

    def decode(self, records: np.ndarray,
               fields: Mapping[str, tuple[str, int, int]] | None = None) -> dict[str, np.ndarray]:
        """Columns of a batch: ``cycle`` (if stamped) and each signal, or the given fields
        (name -> (signal, lsb, width), e.g. from `layout_fields`), as uint64 arrays
        (fields wider than 64 bits: (rows, bytes) uint8 arrays, little-endian)."""
        records = np.asarray(records, dtype=np.uint32).reshape(-1, self.words)
        out: dict[str, np.ndarray] = {}
        if self.stamp:
            out["cycle"] = (records[:, 0].astype(np.uint64)
                            | (records[:, 1].astype(np.uint64) << np.uint64(32)))
        if fields is None:
            fields = {name: (name, 0, width) for name, (_, width) in self.offsets.items()}
        for name, (signal, lsb, width) in fields.items():
            try:
                word, signal_width = self.offsets[signal]
            except KeyError:
                raise CxxrtlError(f"{signal!r} is not a record signal "
                                  f"(record: {', '.join(self.offsets) or 'none'})") from None
            if lsb < 0 or width <= 0 or lsb + width > signal_width:
                raise CxxrtlError(f"field {name!r} bits [{lsb}, {lsb + width}) outside {signal!r} "
                                  f"({signal_width} bits)")
            out[name] = _extract(records, word, lsb, width)
        return out


def _extract(records: np.ndarray, word: int, lsb: int, width: int) -> np.ndarray:
    first = word + lsb // 32
    shift = lsb % 32
    if width > 64:  # a (rows, bytes) uint8 array, little-endian: vectorized, no per-row ints
        last = word + (lsb + width - 1) // 32
        bits = np.unpackbits(np.ascontiguousarray(records[:, first:last + 1]).view(np.uint8),
                             axis=1, bitorder="little")[:, shift:shift + width]
        return np.packbits(bits, axis=1, bitorder="little")
    nwords = (shift + width + 31) // 32  # 1..3
    acc = np.zeros(len(records), dtype=np.uint64)
    for k in range(nwords):
        column = records[:, first + k].astype(np.uint64)
        position = 32 * k - shift
        if position >= 0:
            if position < 64:
                acc |= column << np.uint64(position)
        else:
            acc |= column >> np.uint64(-position)
    if width < 64:
        acc &= np.uint64((1 << width) - 1)
    return acc


def _declare(lib: ctypes.CDLL) -> None:
    P = ctypes.c_void_p
    u32p = ctypes.POINTER(ctypes.c_uint32)
    i64p = ctypes.POINTER(ctypes.c_int64)
    u64p = ctypes.POINTER(ctypes.c_uint64)
    signatures = {
        "oxc_abi_version": (ctypes.c_int, []),
        "oxc_create": (P, []),
        "oxc_destroy": (None, [P]),
        "oxc_last_error": (ctypes.c_char_p, [P]),
        "oxc_reset": (None, [P]),
        "oxc_cycle": (ctypes.c_uint64, [P]),
        "oxc_item_count": (ctypes.c_size_t, [P]),
        "oxc_item_info": (ctypes.c_int, [P, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p),
                                         u32p, u32p, u64p, u64p, u32p]),
        "oxc_find": (ctypes.c_int64, [P, ctypes.c_char_p]),
        "oxc_peek": (ctypes.c_int, [P, ctypes.c_size_t, u32p, ctypes.c_size_t]),
        "oxc_poke": (ctypes.c_int, [P, ctypes.c_size_t, u32p, ctypes.c_size_t]),
        "oxc_settle": (None, [P]),
        "oxc_memory_data": (u32p, [P, ctypes.c_size_t, u64p]),
        "oxc_set_clock": (ctypes.c_int, [P, ctypes.c_int64]),
        "oxc_config_record": (ctypes.c_int, [P, i64p, ctypes.c_size_t, ctypes.c_int64,
                                             i64p, ctypes.c_size_t, ctypes.c_int]),
        "oxc_config_record_any": (ctypes.c_int, [P, i64p, ctypes.c_size_t, i64p, i64p, i64p,
                                                 i64p, ctypes.c_size_t, ctypes.c_int]),
        "oxc_record_words": (ctypes.c_size_t, [P]),
        "oxc_config_attention": (ctypes.c_int, [P, i64p, i64p, i64p, i64p, ctypes.c_size_t]),
        "oxc_run": (ctypes.c_uint64, [P, ctypes.c_uint64, ctypes.c_uint32, u32p, ctypes.c_uint64,
                                      u64p, u32p, u64p]),
        "oxc_vcd_open": (ctypes.c_int, [P, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint64,
                                        ctypes.c_uint64, ctypes.c_char_p, ctypes.c_int]),
        "oxc_vcd_close": (ctypes.c_int, [P]),
        "oxc_raw_step": (None, [P, ctypes.c_int]),
        "oxc_set_single_eval": (ctypes.c_int, [P, ctypes.c_int]),
        "oxc_single_eval": (ctypes.c_int, [P]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


_LIBRARIES: dict[str, ctypes.CDLL] = {}


def _load(path: Path) -> ctypes.CDLL:
    key = str(path)
    lib = _LIBRARIES.get(key)
    if lib is None:
        try:
            lib = ctypes.CDLL(key)
        except OSError as exc:
            raise CxxrtlError(f"cannot load {path}: {exc} (delete the directory to rebuild)") from exc
        _declare(lib)
        if lib.oxc_abi_version() != ABI_VERSION:
            raise CxxrtlError(f"{path}: driver ABI {lib.oxc_abi_version()}, expected {ABI_VERSION}")
        _LIBRARIES[key] = lib
    return lib


class CxxrtlModel:
    """One simulation instance of a built design (see the module docstring)."""

    def __init__(self, build: CxxrtlBuild, *, clock: str | None = "clk",
                 buffer_records: int = 1 << 16, single_eval: bool | None = None):
        self.build = build
        self._lib = _load(build.library)
        self._sim = self._lib.oxc_create()
        if not self._sim:
            raise CxxrtlError("cannot create the CXXRTL model (out of memory?)")
        self.signals: dict[str, SignalInfo] = {}
        for index in range(self._lib.oxc_item_count(self._sim)):
            name = ctypes.c_char_p()
            typ, flags, parts = ctypes.c_uint32(), ctypes.c_uint32(), ctypes.c_uint32()
            width, depth = ctypes.c_uint64(), ctypes.c_uint64()
            self._lib.oxc_item_info(self._sim, index, ctypes.byref(name), ctypes.byref(typ),
                                    ctypes.byref(flags), ctypes.byref(width), ctypes.byref(depth),
                                    ctypes.byref(parts))
            info = SignalInfo(name.value.decode(), index, typ.value, flags.value, width.value,
                              depth.value, parts.value)
            self.signals[info.name] = info
        if clock is not None and clock in self.signals:
            self._check(self._lib.oxc_set_clock(self._sim, self.signals[clock].index))
        elif clock is None:
            self._lib.oxc_set_clock(self._sim, -1)
        if single_eval is not None:
            self._check(self._lib.oxc_set_single_eval(self._sim, int(single_eval)))
        self._scratch = (ctypes.c_uint32 * max([s.words for s in self.signals.values()] + [1]))()
        self._dirty = False
        self._attention_cycle: int | None = None
        self._attention_names: tuple[str, ...] = ()
        self._buffer_records = buffer_records
        self.record_format = RecordFormat([], stamp=False)
        self._buffer = np.zeros(1, dtype=np.uint32)
        self._vcd: tuple[str, str] | None = None  # (temporary path, final path)
        self._apply_meminits()
        self._lib.oxc_settle(self._sim)

    # --- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        if getattr(self, "_sim", None):
            if self._vcd is not None:
                self._lib.oxc_vcd_close(self._sim)
                os.unlink(self._vcd[0])
                self._vcd = None
            self._lib.oxc_destroy(self._sim)
            self._sim = None

    def __enter__(self) -> "CxxrtlModel":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def _check(self, rc: int) -> None:
        if rc != 0:
            raise CxxrtlError(self._lib.oxc_last_error(self._sim).decode())

    def _live(self):
        if not self._sim:
            raise CxxrtlError("the CXXRTL model is closed")
        return self._sim

    # --- signals ----------------------------------------------------------------------

    def signal(self, name: str) -> SignalInfo:
        """Look up a signal by CXXRTL debug name ("cnt", "cpu pc", "retire.valid"); a
        dotted hierarchical name ("cpu.pc") is accepted too."""
        info = self.signals.get(name)
        if info is None and "." in name:
            info = self.signals.get(name.replace(".", " "))
        if info is None:
            close = [n for n in self.signals if name.split(".")[-1] in n][:8]
            hint = f"; similar: {', '.join(close)}" if close else ""
            raise CxxrtlError(f"no signal named {name!r} in the design{hint}")
        return info

    @property
    def single_eval(self) -> bool:
        """True when cycles run with one eval each (see driver.cc, oxc_run)."""
        return bool(self._lib.oxc_single_eval(self._live()))

    @property
    def cycle(self) -> int:
        return self._lib.oxc_cycle(self._live())

    def settle(self) -> None:
        self._lib.oxc_settle(self._live())
        self._dirty = False

    def peek(self, name: str) -> int:
        info = self.signal(name)
        if self._dirty:
            self.settle()
        self._check(self._lib.oxc_peek(self._live(), info.index, self._scratch, len(self._scratch)))
        if info.words == 1:
            return self._scratch[0]
        value = 0
        for k in range(info.words):
            value |= self._scratch[k] << (32 * k)
        return value

    def poke(self, name: str, value: int) -> None:
        info = self.signal(name)
        value &= (1 << info.width) - 1
        for k in range(info.words):
            self._scratch[k] = (value >> (32 * k)) & 0xFFFFFFFF
        self._check(self._lib.oxc_poke(self._live(), info.index, self._scratch, len(self._scratch)))
        self._dirty = True

    # --- memories ---------------------------------------------------------------------

    def memory_view(self, name: str) -> np.ndarray:
        """Zero-copy uint32 view of a memory: shape (depth,) for width <= 32, else
        (depth, words). Valid only while the model is open; write only between calls,
        keeping bits above the width zero."""
        info = self.signal(name)
        if not info.is_memory:
            raise CxxrtlError(f"{info.name!r} is not a memory")
        zero_at = ctypes.c_uint64()
        pointer = self._lib.oxc_memory_data(self._live(), info.index, ctypes.byref(zero_at))
        if not pointer:
            raise CxxrtlError(self._lib.oxc_last_error(self._sim).decode())
        flat = np.ctypeslib.as_array(pointer, shape=(info.depth * info.words,))
        return flat if info.words == 1 else flat.reshape(info.depth, info.words)

    def load_memory(self, name: str, rows: Iterable[int] | np.ndarray, start: int = 0) -> None:
        """Write rows (integers) into memory `name` from row `start`."""
        info = self.signal(name)
        view = self.memory_view(name)
        values = rows if isinstance(rows, np.ndarray) else list(rows)
        count = len(values)
        if start < 0 or start + count > info.depth:
            raise CxxrtlError(f"rows [{start}, {start + count}) outside memory {info.name!r} "
                              f"(depth {info.depth})")
        if info.words == 1:
            mask = (1 << info.width) - 1
            array = np.asarray(values, dtype=np.uint64) & np.uint64(mask)
            view[start:start + count] = array.astype(np.uint32)
        else:
            mask = (1 << info.width) - 1
            for k, value in enumerate(values):
                value = int(value) & mask
                for w in range(info.words):
                    view[start + k, w] = (value >> (32 * w)) & 0xFFFFFFFF
        self._dirty = True

    def read_memory(self, name: str, start: int = 0, count: int | None = None) -> np.ndarray:
        """A copy of rows [start, start + count): uint64 array (object array above 64 bits)."""
        info = self.signal(name)
        view = self.memory_view(name)
        count = info.depth - start if count is None else count
        if start < 0 or count < 0 or start + count > info.depth:
            raise CxxrtlError(f"rows [{start}, {start + count}) outside memory {info.name!r} "
                              f"(depth {info.depth})")
        if info.words == 1:
            return view[start:start + count].astype(np.uint64)
        rows = view[start:start + count]
        if info.words == 2:
            return rows[:, 0].astype(np.uint64) | (rows[:, 1].astype(np.uint64) << np.uint64(32))
        return np.array([sum(int(w) << (32 * k) for k, w in enumerate(row)) for row in rows],
                        dtype=object)

    def load_bytes(self, name: str, byte_address: int, data: bytes) -> None:
        """Store bytes little-endian into a memory of 8/16/32/64-bit rows (e.g. a program
        image into a word-addressed RAM); `byte_address` is relative to row 0."""
        info, size = self._byte_memory(name)
        end = byte_address + len(data)
        first, last = byte_address // size, (end + size - 1) // size
        if byte_address < 0 or last > info.depth:
            raise CxxrtlError(f"bytes [{byte_address:#x}, {end:#x}) outside memory {info.name!r}")
        image = bytearray(self._memory_bytes(name, first, last - first))
        offset = byte_address - first * size
        image[offset:offset + len(data)] = data
        view = self.memory_view(name)
        if size >= 4:
            view.reshape(-1)[first * info.words:last * info.words] = \
                np.frombuffer(bytes(image), dtype="<u4")
        else:
            view[first:last] = np.frombuffer(bytes(image), dtype=f"<u{size}").astype(np.uint32)
        self._dirty = True

    def read_bytes(self, name: str, byte_address: int, length: int) -> bytes:
        """`length` bytes from a memory of 8/16/32/64-bit rows, little-endian."""
        info, size = self._byte_memory(name)
        end = byte_address + length
        first, last = byte_address // size, (end + size - 1) // size
        if byte_address < 0 or length < 0 or last > info.depth:
            raise CxxrtlError(f"bytes [{byte_address:#x}, {end:#x}) outside memory {info.name!r}")
        image = self._memory_bytes(name, first, last - first)
        offset = byte_address - first * size
        return image[offset:offset + length]

    def _byte_memory(self, name: str) -> tuple[SignalInfo, int]:
        info = self.signal(name)
        if not info.is_memory or info.width not in (8, 16, 32, 64):
            raise CxxrtlError(f"{info.name!r} is not a memory of 8/16/32/64-bit rows")
        return info, info.width // 8

    def _memory_bytes(self, name: str, first: int, count: int) -> bytes:
        info = self.signal(name)
        view = self.memory_view(name)
        if info.width >= 32:
            return view.reshape(-1)[first * info.words:(first + count) * info.words] \
                .astype("<u4").tobytes()
        return view[first:first + count].astype(f"<u{info.width // 8}").tobytes()

    def _apply_meminits(self) -> None:
        for init in self.build.meminits:
            if init.name not in self.signals or not self.signals[init.name].is_memory:
                memories = [n for n, s in self.signals.items() if s.is_memory]
                raise CxxrtlError(f"memory {init.name!r} from the RTLIL is not in the CXXRTL model "
                                  f"(memories: {', '.join(memories) or 'none'})")
            info = self.signals[init.name]
            count = min(len(init.words), info.depth - init.address)
            self.load_memory(init.name, init.words[:count], start=init.address)

    def reset(self) -> None:
        """Back to the initial state: cycle 0, registers at their reset values, memories at
        their initial contents (inputs keep their poked values)."""
        for info in self.signals.values():
            if info.is_memory:
                self.memory_view(info.name)[...] = 0
        self._lib.oxc_reset(self._live())
        self._apply_meminits()
        self._attention_cycle = None
        self.settle()

    # --- batch running ----------------------------------------------------------------

    def configure(self, *, record: Sequence[str] = (),
                  valid: Condition | list[Condition] | None = None,
                  attention: Sequence[Condition] = (), stamp: bool = True,
                  buffer_records: int | None = None) -> RecordFormat:
        """Choose what `run` collects and when it stops.

        A *condition* is a signal name (holds when any bit is set), ``(signal, bit)``, or
        ``(signal, (bit, bit, ...))`` (holds when all those bits are set, e.g. a struct's
        valid bit and a flag). Signals used here must be plain signals such as toplevel
        ports.

        record: signals copied into each record (e.g. ``["retire"]``); valid: take a
        record only in cycles where this condition holds (None: every cycle; a *list* of
        conditions: where any of them holds, e.g. the valid bits of several ports
        recorded together, each record then holding all of them); attention:
        stop before the edge of a cycle where any of these holds (`RunResult.attention`
        names them); stamp: prefix each record with its cycle number (``cycle``).
        """
        infos = [self.signal(name) for name in record]
        items = (ctypes.c_int64 * max(len(infos), 1))(*[i.index for i in infos])
        if isinstance(valid, list):
            self._check(self._lib.oxc_config_record_any(
                self._live(), items, len(infos), *self._conditions(valid), int(stamp)))
        else:
            valid_index, valid_bits = -1, []
            if valid is not None:
                info, valid_bits = self._condition(valid)
                valid_index = info.index
            vbits = (ctypes.c_int64 * max(len(valid_bits), 1))(*valid_bits)
            self._check(self._lib.oxc_config_record(self._live(), items, len(infos),
                                                    valid_index, vbits, len(valid_bits),
                                                    int(stamp)))
        self._check(self._lib.oxc_config_attention(self._live(),
                                                   *self._conditions(attention)))
        self._attention_names = tuple(_condition_name(c) for c in attention)
        self.record_format = RecordFormat(infos, stamp)
        assert self.record_format.words == self._lib.oxc_record_words(self._sim)
        if buffer_records is not None:
            self._buffer_records = buffer_records
        self._buffer = np.empty(max(self._buffer_records * self.record_format.words, 1),
                                dtype=np.uint32)
        self._buffer.fill(0)  # touch every page now, not as page faults inside run()
        return self.record_format

    def _conditions(self, conditions: Sequence[Condition]) -> tuple:
        """Conditions as the driver takes them: (items, first, nbits, bits, count)."""
        resolved = [self._condition(c) for c in conditions]
        bits = [bit for _, condition_bits in resolved for bit in condition_bits]
        firsts, offset = [], 0
        for _, condition_bits in resolved:
            firsts.append(offset)
            offset += len(condition_bits)
        n = max(len(resolved), 1)
        return ((ctypes.c_int64 * n)(*[info.index for info, _ in resolved]),
                (ctypes.c_int64 * n)(*firsts),
                (ctypes.c_int64 * n)(*[len(b) for _, b in resolved]),
                (ctypes.c_int64 * max(len(bits), 1))(*bits), len(resolved))

    def _condition(self, condition: Condition) -> tuple[SignalInfo, list[int]]:
        if isinstance(condition, str):
            return self.signal(condition), []
        name, bits = condition
        return self.signal(name), [bits] if isinstance(bits, int) else list(bits)

    def run(self, max_cycles: int, *, max_records: int | None = None,
            answered: bool | None = None) -> RunResult:
        """Run up to `max_cycles` cycles in C++ (see the module docstring for the stop rules).

        max_records: stop (`StopReason.FULL`) after the cycle that takes this many records
        (at most the buffer size, which also stops a call this way);
        answered: skip the attention test in the first cycle; by default True exactly when
        the previous call stopped on attention in this same cycle.
        """
        sim = self._live()
        if max_cycles < 0:
            raise ValueError("max_cycles must be >= 0")
        cycle = self._lib.oxc_cycle(sim)
        if answered is None:
            answered = self._attention_cycle == cycle
        words = self.record_format.words
        capacity = len(self._buffer) // words if words else 0
        if max_records is not None:
            if max_records < 0:
                raise ValueError("max_records must be >= 0")
            capacity = min(capacity, max_records)
        records, reason, mask = ctypes.c_uint64(), ctypes.c_uint32(), ctypes.c_uint64()
        buffer = self._buffer.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32))
        ran = self._lib.oxc_run(sim, max_cycles, SKIP_FIRST_ATTENTION if answered else 0, buffer,
                                capacity, ctypes.byref(records), ctypes.byref(reason),
                                ctypes.byref(mask))
        self._dirty = False
        stop = StopReason(reason.value)
        held: tuple[str, ...] = ()
        if stop is StopReason.ATTENTION:
            self._attention_cycle = cycle + ran
            held = tuple(n for k, n in enumerate(self._attention_names) if mask.value >> k & 1)
        elif ran:
            self._attention_cycle = None
        batch = self._buffer[:records.value * words].reshape(records.value, words).copy() \
            if words else np.zeros((records.value, 0), dtype=np.uint32)
        return RunResult(ran, stop, held, batch)

    def raw_step(self, clk: int) -> None:
        """Testing only: set the clock and do one CXXRTL step without settling (a naive
        driver; shows the -O4+ stale-output trap)."""
        self._lib.oxc_raw_step(self._live(), clk)

    # --- waveforms --------------------------------------------------------------------

    def vcd_open(self, path: str | Path, start: int = 0, end: int | None = None, *,
                 period_fs: int = DEFAULT_PERIOD_FS, scope: str = "bench top",
                 memories: bool = True) -> None:
        """Dump cycles [start, end) of the following `run` calls to `path` (written to a
        temporary file beside it, renamed into place by `vcd_close`). Names and timing
        follow the Amaranth simulator's VCDs (scope ``bench top``, 1 fs timescale)."""
        if self._vcd is not None:
            raise CxxrtlError("a VCD file is already open")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(fd)
        end = (1 << 64) - 1 if end is None else end
        rc = self._lib.oxc_vcd_open(self._live(), tmp.encode(), start, end, period_fs,
                                    scope.encode(), int(memories))
        if rc != 0:
            os.unlink(tmp)
            self._check(rc)
        self._vcd = (tmp, str(target))

    def vcd_close(self, *, keep: bool = True) -> None:
        """Finish the VCD file and move it into place (or discard it: keep=False)."""
        if self._vcd is None:
            return
        tmp, target = self._vcd
        self._vcd = None
        rc = self._lib.oxc_vcd_close(self._live())
        if rc != 0 or not keep:
            os.unlink(tmp)
            self._check(rc)
            return
        os.replace(tmp, target)
