"""Launching a compiled kernel on a grid, Triton-style: ``add[(4,)](x, y, out, n, BLOCK=64)``.

A launch is a whole program around the kernel (`build_launch_program`): ``_start`` sets
``sp`` to the top of RAM, then loops over the grid (axis 2 outermost, axis 0 innermost),
storing each program's ids into the launch record (`sw.compiler.abi`) and calling the
kernel with ``a0`` = the record's address, and exits with status 0. The record's grid
and argument words are static data: an array argument's word is the address of the
array, placed in ``.data`` as the symbol ``launch_arg_<param>`` (64-byte aligned) and
holding the input's contents; a scalar's word is its value. ``kernel_begin`` and
``kernel_end`` mark the grid loop (as in the hand-written kernels, for
`bench/timed_kernel.py`), and the ``cycle`` counter read at both is stored in
``launch_cycles`` (two words), so a run reports the kernel's cycles without a trace.

`launch` compiles the kernel for the arguments' types (`sw.compiler.driver.
compile_kernel`), builds that program, runs it on the golden interpreter (``sim="iss"``)
or on the RTL in lockstep with the interpreter (``sim="rtl"``, as ``oxcore cosim``
does), reads every array back from memory and copies it into the caller's numpy arrays,
as a Triton launch mutates device memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import io
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from oxcore.config import OxCoreConfig, load_config
from oxcore.errors import OxCoreError
from sw.compiler import abi
from sw.compiler.artifact import CompiledKernel, Param
from sw.compiler.signature import SignatureError, constexpr_text

#: numpy dtype name -> the signature's pointer type for an array of it
POINTER_TYPES: dict[str, str] = {"int8": "*i8", "int16": "*i16", "int32": "*i32",
                                 "uint8": "*u8"}
#: scalar signature type -> its width (record words hold them sign-extended)
SCALAR_BITS: dict[str, int] = {"i8": 8, "i16": 16, "i32": 32}
ARRAY_ALIGN = 64  # bytes: a cache line, and any vector or tile row load's alignment
STACK_RESERVE = 1024  # bytes of RAM kept free above the program for the kernel's stack
SIMULATORS = ("iss", "rtl")
BUILD_DIR = Path(__file__).resolve().parents[2] / "build" / "launch"
RECORD_SYMBOL = "launch_record"
CYCLES_SYMBOL = "launch_cycles"
COUNTERS_SYMBOL = "launch_counters"
#: The tensor engine's performance counters the launch program reads at kernel_begin
#: and kernel_end (into COUNTERS_SYMBOL: the six at the start, then the six at the end).
TENSOR_COUNTERS = ("tactive", "tmacs", "tstall_operand", "tstall_port", "tqfull", "tbusy")
VECTOR_COUNTERS_SYMBOL = "launch_vector_counters"
#: The vector engine's counters, read the same way into VECTOR_COUNTERS_SYMBOL, but in
#: reverse order at kernel_end: a csrr is itself a vector instruction (its cycles count
#: in vbusy and vactive_alu), and so besides its own two reads only the reads between
#: them count in a counter's difference: none for vbusy, two for vactive_alu (the
#: others do not count csrr cycles).
VECTOR_COUNTERS = ("velements", "vactive_lsu", "vstall_queue", "vstall_issue", "vactive_alu",
                   "vbusy")
ARRAY_PREFIX = "launch_arg_"


class LaunchError(OxCoreError):
    """A launch that cannot be built or whose run did not end with exit(0)."""


@dataclass(frozen=True)
class ArraySlot:
    """Where an array argument lives in the launch program's memory."""

    param: str
    symbol: str
    dtype: str  # numpy dtype name
    shape: tuple[int, ...]
    addr: int
    nbytes: int


@dataclass(frozen=True)
class LaunchLayout:
    """The launch program's data, for reading results back (addresses in RAM)."""

    kernel: str
    grid: tuple[int, int, int]
    record: int  # the launch record's address
    arguments: tuple[int, ...]  # the record's argument words (unsigned 32-bit)
    arrays: tuple[ArraySlot, ...]  # in argument order
    cycles: int  # `launch_cycles`: the cycle counter at kernel_begin, at kernel_end
    kernel_begin: int
    kernel_end: int


@dataclass(frozen=True)
class LaunchResult:
    """What a launch returns: the arrays as the kernel left them (in argument order,
    also copied into the caller's arrays), retired instructions of the whole program,
    and on the RTL the cycles from kernel_begin to kernel_end (`cycles`) and of the
    whole run (`total_cycles`). It is also the sequence of those arrays, so that
    ``x, out = oxcore.launch(...)`` and ``launch(...)[1]`` give numpy arrays."""

    arrays: tuple[np.ndarray, ...]
    instructions: int
    cycles: int | None
    total_cycles: int | None
    elf: Path
    layout: LaunchLayout
    sim: str

    def __iter__(self):
        return iter(self.arrays)

    def __len__(self) -> int:
        return len(self.arrays)

    def __getitem__(self, index):
        return self.arrays[index]


# ---- checking the launch --------------------------------------------------------------

def _config(config: str | OxCoreConfig | None) -> OxCoreConfig:
    return config if isinstance(config, OxCoreConfig) else load_config(config)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def normalize_grid(grid: Any) -> tuple[int, int, int]:
    """An int or 1-3 positive ints -> (programs along axis 0, 1, 2)."""
    items = (grid,) if _is_int(grid) else grid
    if (not isinstance(items, (tuple, list)) or not 1 <= len(items) <= abi.AXES
            or not all(_is_int(n) and 0 < n < 2**31 for n in items)):
        raise LaunchError(f"grid {grid!r}: expected 1 to 3 positive integers (the "
                          f"number of programs along axes 0, 1, 2)")
    return tuple(int(n) for n in items) + (1,) * (abi.AXES - len(items))  # type: ignore


def pointer_type(array: np.ndarray, name: str) -> str:
    """The signature's pointer type for a numpy array argument."""
    try:
        return POINTER_TYPES[array.dtype.name]
    except KeyError:
        supported = ", ".join(f"{d} -> {t}" for d, t in POINTER_TYPES.items())
        raise LaunchError(f"argument {name}: numpy dtype {array.dtype} has no pointer "
                          f"type (supported: {supported})") from None


def _check_argument(param: Param, value: Any) -> None:
    if param.is_pointer:
        if not isinstance(value, np.ndarray):
            raise LaunchError(f"argument {param.name}: the kernel takes a pointer "
                              f"({param.type}): pass a numpy array, not "
                              f"{type(value).__name__}")
        given = pointer_type(value, param.name)
        if given != param.type:
            raise LaunchError(f"argument {param.name}: a {value.dtype} array is {given}, "
                              f"but the kernel was compiled for {param.type}")
        return
    bits = SCALAR_BITS.get(param.type)
    if bits is None:
        raise LaunchError(f"argument {param.name}: unsupported parameter type "
                          f"{param.type!r} (scalars: {', '.join(SCALAR_BITS)})")
    if isinstance(value, np.ndarray) or not (_is_int(value) or isinstance(value, bool)):
        raise LaunchError(f"argument {param.name}: the kernel takes a scalar "
                          f"({param.type}): pass an int, not {type(value).__name__}")
    low, high = -2**(bits - 1), 2**(bits - 1) - 1
    if not low <= int(value) <= high:
        raise LaunchError(f"argument {param.name} = {int(value)} is out of int{bits} "
                          f"range [{low}, {high}]")


def check_arguments(compiled: CompiledKernel, args: tuple | list) -> None:
    """The arguments fit the compiled kernel's runtime parameters, else a LaunchError."""
    params = compiled.params
    if len(args) != len(params):
        names = ", ".join(p.name for p in params) or "none"
        raise LaunchError(f"kernel {compiled.name} takes {len(params)} runtime "
                          f"argument{'s' * (len(params) != 1)} ({names}), got {len(args)}")
    for param, value in zip(params, args):
        _check_argument(param, value)


def _check_config(compiled: CompiledKernel, config: OxCoreConfig) -> None:
    if compiled.config_name != config.name:
        raise LaunchError(f"kernel {compiled.name} was compiled for config "
                          f"{compiled.config_name!r}, not {config.name!r}: compile it "
                          f"for the configuration it runs on")
    missing = [e for e in compiled.engines if e not in config.engines]
    if missing:
        raise LaunchError(f"kernel {compiled.name} runs on the {missing[0]} engine, "
                          f"which config {config.name!r} has not")


# ---- the program ----------------------------------------------------------------------

def _align(value: int, to: int = ARRAY_ALIGN) -> int:
    return (value + to - 1) // to * to


def _array_bytes(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()


def array_symbol(param: str, symbols: dict[str, str] | None) -> str:
    """The data symbol of a pointer parameter's array: `symbols[param]` if given (the
    operator kernels name them after their arrays: A, BT, C), else launch_arg_<param>."""
    return (symbols or {}).get(param, ARRAY_PREFIX + param)


def launch_source(compiled: CompiledKernel, grid: tuple[int, int, int], args: tuple | list,
                  config: OxCoreConfig, array_sizes: dict[str, int] | None = None,
                  symbols: dict[str, str] | None = None) -> str:
    """The launch program's assembly. Arrays are `.zero` of their size (or of
    `array_sizes[param]`), their contents go into the image after assembly."""
    from oxcore import abi as env
    words = []
    arrays = []
    for param, value in zip(compiled.params, args):
        if param.is_pointer:
            symbol = array_symbol(param.name, symbols)
            size = value.nbytes if array_sizes is None else array_sizes[param.name]
            arrays.append((symbol, size, param, value))
            words.append(symbol)
        else:
            words.append(f"{int(value) & 0xFFFF_FFFF:#x}")
    sp = config.mem_end & 0xFFFF_FFFF  # 16-byte aligned: RAM is a power of two >= 4 KiB
    if compiled.programs_per_call == "range":
        # one call runs the whole grid, from program (0, 0, 0) on (sw.compiler.abi)
        calls = ["    mv a0, s0",
                 f"    li a1, {grid[0] * grid[1] * grid[2]}  /* programs */",
                 f"    call {compiled.name}"]
    else:
        loops_open, loops_close = [], []
        for axis, reg in ((2, "s3"), (1, "s2"), (0, "s1")):
            loops_open += [f"    li {reg}, 0",
                           f"__launch_axis{axis}:",
                           f"    sw {reg}, {4 * (abi.PROGRAM_ID_WORD + axis)}(s0)"]
            loops_close = [f"    addi {reg}, {reg}, 1",
                           f"    li t0, {grid[axis]}",
                           f"    blt {reg}, t0, __launch_axis{axis}"] + loops_close
        calls = [*loops_open, "    mv a0, s0", f"    call {compiled.name}", *loops_close]
    # a tensor CSR read waits for the engine's earlier instructions (sw/kernels/tensor/gemm.s)
    tensor = "tensor" in compiled.engines
    drain = ["    csrr t0, tdim"] if tensor else []
    # a scalar load waits for the vector engine's stores (memory order), as the
    # hand-written RVV kernels do before their kernel_end
    if "vector" in compiled.engines:
        drain.append("    lw t0, 0(s4)")

    def counters(slot: int) -> list[str]:
        lines = []
        for engine, symbol, names in (("tensor", COUNTERS_SYMBOL, TENSOR_COUNTERS),
                                      ("vector", VECTOR_COUNTERS_SYMBOL, VECTOR_COUNTERS)):
            if engine in compiled.engines:
                lines.append(f"    la t1, {symbol} + {4 * len(names) * slot}")
                order = list(enumerate(names))
                if engine == "vector" and slot:
                    order.reverse()
                for i, name in order:
                    lines += [f"    csrr t0, {name}", f"    sw t0, {4 * i}(t1)"]
        return lines
    lines = [
        f"/* Launch of kernel {compiled.name} on grid {grid} (config {config.name}), "
        f"written by sw/compiler/launch.py. */",
        "    .text",
        "    .globl _start",
        "_start:",
        f"    li sp, {sp:#x}                  /* the top of RAM */",
        f"    la s0, {RECORD_SYMBOL}",
        f"    la s4, {CYCLES_SYMBOL}",
        *counters(0),  # outside the timed region: csrr of a counter waits for the engine
        "    .globl kernel_begin",
        "kernel_begin:",
        "    rdcycle t0",
        "    sw t0, 0(s4)",
        *calls,
        *drain,
        "    .globl kernel_end",
        "kernel_end:",
        "    rdcycle t0",
        "    sw t0, 4(s4)",
        *counters(1),
        "    li a0, 0",
        f"    li a7, {env.SYS_EXIT}",
        "    ecall",
        "",
        "    .data",
        f"    .p2align {ARRAY_ALIGN.bit_length() - 1}",
        f"    .globl {RECORD_SYMBOL}",
        f"{RECORD_SYMBOL}:",
        "    .word 0, 0, 0                  /* program_id(0..2), stored per program */",
        f"    .word {grid[0]}, {grid[1]}, {grid[2]}  /* num_programs(0..2) */",
        *(f"    .word {word}  /* {p.name}: {p.type} */"
          for word, p in zip(words, compiled.params)),
        f"    .size {RECORD_SYMBOL}, {4 * (abi.FIRST_ARGUMENT_WORD + len(words))}",
        f"    .globl {CYCLES_SYMBOL}",
        f"{CYCLES_SYMBOL}:",
        "    .word 0, 0                     /* cycle at kernel_begin, at kernel_end */",
        f"    .size {CYCLES_SYMBOL}, 8",
        f"    .globl {COUNTERS_SYMBOL}",
        f"{COUNTERS_SYMBOL}:                 /* tensor counters at kernel_begin, kernel_end */",
        f"    .zero {8 * len(TENSOR_COUNTERS)}",
        f"    .size {COUNTERS_SYMBOL}, {8 * len(TENSOR_COUNTERS)}",
        f"    .globl {VECTOR_COUNTERS_SYMBOL}",
        f"{VECTOR_COUNTERS_SYMBOL}:          /* vector counters at kernel_begin, kernel_end */",
        f"    .zero {8 * len(VECTOR_COUNTERS)}",
        f"    .size {VECTOR_COUNTERS_SYMBOL}, {8 * len(VECTOR_COUNTERS)}",
    ]
    for symbol, size, param, value in arrays:
        lines += [f"    .p2align {ARRAY_ALIGN.bit_length() - 1}",
                  f"    .globl {symbol}",
                  f"{symbol}:                    /* {param.name}: {value.dtype}"
                  f"{list(value.shape)} */",
                  f"    .zero {size}",
                  f"    .size {symbol}, {size}"]
    lines += ["", f"/* ---- kernel {compiled.name} ---- */", "    .text", ""]
    return "\n".join(lines) + "\n" + compiled.asm.rstrip("\n") + "\n"


def _image_end(image) -> int:
    return max((s.addr + s.size for s in image.sections if s.size), default=0)


def _write(path: Path, data: bytes | str, executable: bool = False) -> None:
    from oxcore.outputs import open_output
    try:
        with open_output(path, binary=isinstance(data, bytes),
                         executable=executable) as handle:
            handle.write(data)
    except OSError as exc:
        raise LaunchError(f"cannot write {path}: {exc.strerror or exc}") from None


def _check_fit(compiled: CompiledKernel, config: OxCoreConfig, program_end: int,
               array_bytes: int) -> None:
    over = program_end + STACK_RESERVE - config.mem_end
    if over > 0:
        program = program_end - config.mem_base - array_bytes
        raise LaunchError(
            f"the arrays of kernel {compiled.name}'s launch do not fit in RAM: "
            f"{array_bytes} bytes of arrays + {program} bytes of program and launch "
            f"data + {STACK_RESERVE} bytes of stack are {over} bytes over the "
            f"{config.mem_size} bytes of RAM of config {config.name!r}")


def build_launch_program(compiled: CompiledKernel, grid: Any, args: tuple | list,
                         config: str | OxCoreConfig | None = "default",
                         symbols: dict[str, str] | None = None
                         ) -> tuple[Path, LaunchLayout]:
    """Write the launch program's ELF (under build/launch/, named after its contents)
    and return its path and layout. `args` are numpy arrays for pointer parameters and
    ints for scalars, in the order of `compiled.params`."""
    from sw.asm.assembler import assemble_source
    from sw.asm.driver import render
    config = _config(config)
    _check_config(compiled, config)
    grid3 = normalize_grid(grid)
    check_arguments(compiled, args)
    if not compiled.name.isidentifier():
        raise LaunchError(f"kernel name {compiled.name!r} is not a symbol name")
    contents = {p.name: _array_bytes(v) for p, v in zip(compiled.params, args)
                if p.is_pointer}
    source = launch_source(compiled, grid3, args, config, symbols=symbols)
    stem = f"{compiled.name}-{config.name}"
    digest = hashlib.sha256(f"{config.name}\n{source}".encode()).hexdigest()[:12]
    source_path = BUILD_DIR / f"{stem}-{digest}.s"
    _write(source_path, source)  # so assembler errors point into a file one can read
    # First without the arrays (the same lines, the `.zero`s empty): how much RAM the
    # program itself takes, so that arrays too big for RAM get their own message.
    skeleton = launch_source(compiled, grid3, args, config, {n: 0 for n in contents},
                             symbols)
    arrays_end = _image_end(assemble_source(skeleton, str(source_path), config))
    for data in contents.values():
        arrays_end = _align(arrays_end) + len(data)
    _check_fit(compiled, config, arrays_end, sum(map(len, contents.values())))
    image = assemble_source(source, str(source_path), config)
    _check_fit(compiled, config, _image_end(image), sum(map(len, contents.values())))

    # The inputs into the initialised data, where their symbols are.
    symbol_table = {s.name: s for s in image.symbols}
    sections = {s.name: bytearray(s.data) for s in image.sections if not s.nobits}
    slots = []
    for param, value in zip(compiled.params, args):
        if not param.is_pointer:
            continue
        symbol = symbol_table[array_symbol(param.name, symbols)]
        section = next(s for s in image.sections
                       if s.addr <= symbol.value <= s.addr + s.size and not s.nobits
                       and (symbol.section in (None, s.name)))
        data = contents[param.name]
        offset = symbol.value - section.addr
        sections[section.name][offset:offset + len(data)] = data
        slots.append(ArraySlot(param.name, symbol.name, value.dtype.name,
                               tuple(value.shape), symbol.value, len(data)))
    image = dataclasses.replace(image, sections=tuple(
        dataclasses.replace(s, data=bytes(sections[s.name])) if s.name in sections else s
        for s in image.sections))
    elf = render(image, "elf", config)
    elf_path = BUILD_DIR / f"{stem}-{hashlib.sha256(elf).hexdigest()[:12]}.elf"
    _write(elf_path, elf, executable=True)
    arguments = abi.record_words((0, 0, 0), grid3, [
        next(s.addr for s in slots if s.param == p.name) if p.is_pointer else int(v)
        for p, v in zip(compiled.params, args)])[abi.FIRST_ARGUMENT_WORD:]
    layout = LaunchLayout(compiled.name, grid3, symbol_table[RECORD_SYMBOL].value,
                          tuple(arguments), tuple(slots), symbol_table[CYCLES_SYMBOL].value,
                          symbol_table["kernel_begin"].value,
                          symbol_table["kernel_end"].value)
    return elf_path, layout


# ---- running it -----------------------------------------------------------------------

def _where(program, pc: int) -> str:
    """` (in name+0x1c)`: the function symbol at or below `pc`, if any."""
    best = None
    for symbol in program.symbols.values():
        if symbol.addr <= pc and (best is None or symbol.addr > best.addr) \
                and not symbol.name.startswith("__launch_"):
            best = symbol
    if best is None:
        return ""
    offset = pc - best.addr
    return f" (in {best.name}{f'+{offset:#x}' if offset else ''})"


def _run_iss(program, config: OxCoreConfig, layout: LaunchLayout,
             max_instructions: int) -> tuple[dict[int, bytes], int, int | None, int | None]:
    from cosim.iss import Interpreter
    from cosim.run import describe_trap
    interp = Interpreter(config, program, io.BytesIO(), io.BytesIO())
    stop = interp.run(max_instructions)
    m = interp.machine
    what = f"launch of {layout.kernel} on grid {layout.grid}"
    if stop.trap is not None:
        pc = stop.trap.pc
        word = m.m32[(pc - m.base) >> 2] if m.in_memory(pc, 4) and pc % 4 == 0 else None
        text = describe_trap(stop.trap.cause, pc, word, stop.instret, stop.trap.detail,
                             m.isa).removeprefix("oxcore: ")
        raise LaunchError(f"{what}: {text}{_where(program, pc)}")
    if stop.exit_code != 0:
        raise LaunchError(f"{what}: the program exited with status {stop.exit_code}")
    memory = {slot.addr: m.read_bytes(slot.addr, slot.nbytes) for slot in layout.arrays}
    return memory, stop.instret, None, None


def _run_rtl(program, config: OxCoreConfig, layout: LaunchLayout, max_instructions: int,
             backend: str, faults: tuple[str, ...]
             ) -> tuple[dict[int, bytes], int, int | None, int | None]:
    from cosim.cosim_cmd import _rerun_command, cosim_program
    from hw.oxcore.faults import parse_faults
    try:
        injected = parse_faults(faults)
    except ValueError as exc:
        raise LaunchError(str(exc)) from None
    ranges = tuple((slot.addr, slot.nbytes) for slot in layout.arrays if slot.nbytes)
    result = cosim_program(config, program, max_instructions=max_instructions,
                           stdout=io.BytesIO(), stderr=io.BytesIO(), faults=injected,
                           read_back=ranges + ((layout.cycles, 8),), backend=backend)
    what = f"launch of {layout.kernel} on grid {layout.grid} (RTL in lockstep)"
    if result.divergence is not None:
        report = result.divergence.report(_rerun_command(program, config.name,
                                                         list(faults), result.divergence))
        raise LaunchError(f"{what}: the RTL diverged from the interpreter\n{report}")
    if result.problems:
        raise LaunchError(f"{what}: {'; '.join(result.problems)}")
    if result.verdict != "pass":
        where = _where(program, result.rtl.trap_pc) if result.verdict == "trap" else ""
        raise LaunchError(f"{what}: {result.ending()}{where}")
    memory = {addr: result.rtl.memory[addr][:n] for addr, n in ranges}
    marks = result.rtl.memory[layout.cycles][:8]
    begin, end = (int.from_bytes(marks[i:i + 4], "little") for i in (0, 4))
    return memory, result.rtl.instret, (end - begin) & 0xFFFF_FFFF, result.rtl.cycles


def run_launch_program(elf: Path, layout: LaunchLayout, config: str | OxCoreConfig | None,
                       sim: str = "iss", backend: str = "auto",
                       max_instructions: int | None = None,
                       faults: tuple[str, ...] = ()) -> LaunchResult:
    """Run a program from `build_launch_program` and read its arrays back. `faults`:
    deliberate RTL bugs (`hw.oxcore.faults`, as `oxcore cosim --fault`), sim="rtl" only."""
    from cosim.options import RUNAWAY_GUARD
    from oxcore.program import load_program
    if sim not in SIMULATORS:
        raise LaunchError(f"sim={sim!r}: choose one of {', '.join(SIMULATORS)}")
    if sim == "iss" and backend != "auto":
        raise LaunchError("backend chooses the RTL simulator: it needs sim='rtl'")
    if sim == "iss" and faults:
        raise LaunchError("faults are injected into the RTL: they need sim='rtl'")
    config = _config(config)
    program = load_program(elf, config)
    limit = max_instructions if max_instructions is not None else RUNAWAY_GUARD
    if sim == "iss":
        memory, instret, cycles, total = _run_iss(program, config, layout, limit)
    else:
        memory, instret, cycles, total = _run_rtl(program, config, layout, limit, backend,
                                                  tuple(faults))
    arrays = []
    for slot in layout.arrays:
        data = memory.get(slot.addr, b"")[:slot.nbytes]
        little = np.dtype(slot.dtype).newbyteorder("<")
        arrays.append(np.frombuffer(data, dtype=little).astype(slot.dtype)
                      .reshape(slot.shape))
    return LaunchResult(tuple(arrays), instret, cycles, total, elf, layout, sim)


# ---- the Triton-like entry ------------------------------------------------------------

def signature_text(kernel, args: tuple, constexprs: dict[str, Any], ones: bool = True
                   ) -> str:
    """``x:*i8,n:i32,BLOCK=64`` for `kernel` called with `args` and `constexprs`:
    arrays give pointer types, ints i32; the arguments Triton specialises on (ints
    equal to 1 unless `ones` is False, None: `specialized`) give their values."""
    params = inspect.signature(kernel.fn).parameters
    runtime = kernel.runtime_parameters
    declared = [n for n in params if n not in runtime]
    unknown = [n for n in constexprs if n not in params]
    if unknown:
        raise LaunchError(f"kernel {kernel.name} has no parameter {unknown[0]} "
                          f"(parameters: {', '.join(params)})")
    passed_runtime = [n for n in constexprs if n in runtime]
    if passed_runtime:
        raise LaunchError(f"kernel {kernel.name}: {passed_runtime[0]} is a runtime "
                          f"parameter: pass it positionally")
    missing = [n for n in declared if n not in constexprs]
    if missing:
        raise LaunchError(f"kernel {kernel.name}: constexpr {missing[0]} needs a value "
                          f"(pass {missing[0]}=...)")
    if len(args) != len(runtime):
        raise LaunchError(f"kernel {kernel.name} takes {len(runtime)} runtime "
                          f"argument{'s' * (len(runtime) != 1)} "
                          f"({', '.join(runtime) or 'none'}), got {len(args)}")
    entries = []
    fixed = specialized(kernel, args, ones)
    for name, value in zip(runtime, args):
        if name in fixed:
            entries.append(f"{name}={constexpr_text(fixed[name])}")
        elif isinstance(value, np.ndarray):
            entries.append(f"{name}:{pointer_type(value, name)}")
        elif _is_int(value) or isinstance(value, bool):
            _check_argument(Param(name, "i32"), value)
            entries.append(f"{name}:i32")
        else:
            raise LaunchError(f"argument {name}: pass a numpy array (pointer) or an int "
                              f"(i32), not {type(value).__name__}")
    for name in declared:
        value = constexprs[name]
        if isinstance(value, np.bool_):
            value = bool(value)
        if not (_is_int(value) or isinstance(value, (bool, str)) or value is None):
            raise LaunchError(f"kernel {kernel.name}: constexpr {name}={value!r} is not "
                              f"an integer, a bool, a string or None")
        try:
            entries.append(f"{name}={constexpr_text(value)}")
        except SignatureError as exc:
            raise LaunchError(f"kernel {kernel.name}: {exc}") from None
    return ",".join(entries)


def specialized(kernel, args: tuple | list, ones: bool = True) -> dict[str, Any]:
    """The runtime arguments a launch specialises the kernel on, as Triton does: ints
    equal to 1 (a unit stride: rows of consecutive elements; not with `ones` False) and
    None (an optional pointer left out), except the parameters its
    `do_not_specialize` names. The kernel compiled for the signature takes them as
    constants, not as arguments."""
    return {name: None if value is None else 1
            for name, value in zip(kernel.runtime_parameters, args)
            if value is None or (ones and name not in kernel.do_not_specialize
                                 and _is_int(value) and int(value) == 1)}


def kernel_arguments(kernel, args: tuple | list, ones: bool = True) -> tuple:
    """`args` (one a runtime parameter) without those the launch specialises on: the
    arguments the compiled kernel takes, in order."""
    fixed = specialized(kernel, args, ones)
    return tuple(value for name, value in zip(kernel.runtime_parameters, args)
                 if name not in fixed)


def compile_for_launch(kernel, args: tuple | list, constexprs: dict[str, Any],
                       config: OxCoreConfig, **options: Any) -> tuple[CompiledKernel, tuple]:
    """`kernel` compiled for a launch with `args` and `constexprs`, and the arguments it
    takes. Specialised as Triton specialises (`specialized`); where that does not
    compile, the kernel is compiled for its ones as runtime values instead, since
    specialising is an optimisation and the code generator's limits depend on shapes
    (a loop of one iteration is folded away, and its straight-line form may be
    refused): a kernel that compiles for n = 2 must launch for n = 1. If neither
    compiles, the specialised compilation's error. `options`: `compile_kernel`'s."""
    from oxcore.errors import CompileError
    from sw.compiler.driver import compile_kernel
    signature = signature_text(kernel, args, constexprs)
    try:
        return compile_kernel(kernel, signature, config, **options), \
            kernel_arguments(kernel, args)
    except CompileError as error:
        if specialized(kernel, args) == specialized(kernel, args, ones=False):
            raise
        generic = signature_text(kernel, args, constexprs, ones=False)
        try:
            return compile_kernel(kernel, generic, config, **options), \
                kernel_arguments(kernel, args, ones=False)
        except CompileError:
            raise error from None


def launch(kernel, grid: Any, *args: Any, sim: str = "iss",
           config: str | OxCoreConfig | None = "default", backend: str = "auto",
           max_instructions: int | None = None, num_stages: int | None = None,
           **constexprs: Any) -> LaunchResult:
    """Compile `kernel` for these arguments, run it on `grid` and copy the arrays back.

    `grid`: 1 to 3 positive ints (or a callable taking the constexprs, as Triton's
    ``lambda meta: ...``); `args`: numpy arrays for pointer parameters (int8, int16,
    int32, uint8), ints for scalars (i32); `constexprs`: the kernel's constexpr
    parameters. `sim`: "iss" (the golden interpreter) or "rtl" (the RTL, every retired
    instruction checked against the interpreter; `backend` chooses its simulator).
    `num_stages`: Triton's launch option, K-loop software pipelining (`compile_kernel`).
    """
    from sw.compiler.language import Kernel
    if not isinstance(kernel, Kernel):
        raise LaunchError(f"launch needs an @kernel function, not {type(kernel).__name__}")
    if sim not in SIMULATORS:
        raise LaunchError(f"sim={sim!r}: choose one of {', '.join(SIMULATORS)}")
    if callable(grid):
        grid = grid(dict(constexprs))
    grid3 = normalize_grid(grid)
    config = _config(config)
    compiled, taken = compile_for_launch(kernel, args, constexprs, config,
                                         num_stages=num_stages)
    elf, layout = build_launch_program(compiled, grid3, taken, config)
    result = run_launch_program(elf, layout, config, sim, backend, max_instructions)
    for value, out in zip((a for a in args if isinstance(a, np.ndarray)), result.arrays):
        if value.flags.writeable:
            value[...] = out
    return result


__all__ = ["ArraySlot", "LaunchError", "LaunchLayout", "LaunchResult", "POINTER_TYPES",
           "build_launch_program", "check_arguments", "compile_for_launch",
           "kernel_arguments", "launch", "launch_source", "normalize_grid",
           "run_launch_program", "signature_text", "specialized"]
