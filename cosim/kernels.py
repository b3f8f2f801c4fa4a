"""Run an operator kernel on a simulator with random inputs and check it against numpy.

The kernel's C program is built with its shape as -D defines; random inputs are placed
into its named arrays in the program image (as extra segments, so every simulator loads
them the same way); after the run the outputs are read back from their symbols.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from oxcore.config import OxCoreConfig
from oxcore.errors import OxCoreError
from oxcore.program import Program, load_program
from sw.kernels import Array, Kernel

BUILD_DIR = Path(__file__).resolve().parent.parent / "build" / "kernels"


@dataclass
class KernelCase:
    """One kernel instance: shape, inputs, and the program image holding them."""

    kernel: Kernel
    params: dict[str, int]
    inputs: dict[str, np.ndarray]
    program: Program

    @property
    def shape_text(self) -> str:
        return ",".join(str(self.params[p]) for p in self.kernel.params)


@dataclass
class KernelCheck:
    """Outputs read back from a simulator, compared with the numpy reference."""

    outputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def build_kernel(kernel: Kernel, params: dict[str, int], config: OxCoreConfig) -> Path:
    """Compile the kernel's source (C, or assembly for an engine) for this shape and
    config (oxcore cc)."""
    from sw.cc.driver import compile_c
    shape = "x".join(str(params[p]) for p in kernel.params)
    elf = BUILD_DIR / f"{kernel.name}-{shape}-{config.name}.elf"
    kernel.check_config(config)
    kernel.check_shape(params, config)
    if kernel.launch is not None:
        return _compile_kernel(kernel, params, config, elf)
    defines = {**dict(kernel.defines), **params}
    if kernel.source.suffix == ".s":
        return _assemble_kernel(kernel, defines, config, elf)
    compile_c([kernel.source], elf, config, opt="2",
              extra_flags=[f"-D{name}={value}" for name, value in defines.items()])
    return elf


def _assemble_kernel(kernel: Kernel, defines: dict[str, int], config: OxCoreConfig,
                     elf: Path) -> Path:
    """Our assembler on a `.s` kernel: a wrapper defines its parameters, the syscall
    numbers (`oxcore.abi`: SYS_EXIT, SYS_WRITE) and the configuration's TDIM (with a
    tensor engine), and includes the source, so errors point into the kernel's own file
    and line."""
    from oxcore import abi
    from oxcore.outputs import open_output
    from sw.asm.assembler import assemble_source
    from sw.asm.driver import render
    defines = {**defines, "SYS_EXIT": abi.SYS_EXIT, "SYS_WRITE": abi.SYS_WRITE}
    if config.tensor is not None:
        defines = {**defines, "TDIM": config.tensor.tdim}
    wrapper = elf.with_suffix(".s")
    text = "".join(f".equ {name}, {value}\n" for name, value in defines.items())
    text += f'.include "{kernel.source}"\n'
    elf.parent.mkdir(parents=True, exist_ok=True)
    wrapper.write_text(text)
    image = assemble_source(text, str(wrapper), config)
    with open_output(elf, binary=True, executable=True) as handle:
        handle.write(render(image, "elf", config))
    return elf


def launch_values(kernel: Kernel, params: dict[str, int], config: OxCoreConfig
                  ) -> dict[str, int]:
    """The names a compiled kernel's launch expressions see: the shape, the
    configuration's engine sizes, and the constexprs (which may use both)."""
    names: dict[str, object] = dict(params)
    if config.tensor is not None:
        names["TDIM"] = config.tensor.tdim
    if config.vector is not None:
        names["VLEN"], names["LANES"] = config.vector.vlen, config.vector.lanes
    names["cdiv"] = lambda x, d: -(-x // d)
    assert kernel.launch is not None
    for name, expr in kernel.launch.constexprs:
        names[name] = evaluate(expr, names, kernel)
    return names  # type: ignore[return-value]


def evaluate(expr: str, names: dict[str, object], kernel: Kernel) -> int:
    """A registry expression (a shape, a grid, a constexpr) over `names`."""
    try:
        return int(eval(expr, {"__builtins__": {}}, dict(names)))
    except Exception as exc:  # a registry entry's mistake, named
        raise OxCoreError(f"kernel {kernel.name}: cannot evaluate {expr!r}: {exc}") from None


def _compile_kernel(kernel: Kernel, params: dict[str, int], config: OxCoreConfig,
                    elf: Path) -> Path:
    """A kernel-language kernel: compiled for this shape's constexprs, and launched over
    its grid by a program whose arrays are the kernel's named arrays (zero here; the
    harness writes the inputs in, as for the C kernels)."""
    from sw.compiler.launch import build_launch_program, compile_for_launch
    launch = kernel.launch
    assert launch is not None
    names = launch_values(kernel, params, config)
    fn, args, constexprs, arrays = launch_inputs(kernel, params, config)
    compiled, taken = compile_for_launch(fn, args, constexprs, config)
    by_param = dict(zip(fn.runtime_parameters, launch.arguments))
    symbols = {p.name: by_param[p.name] for p in compiled.params
               if by_param[p.name] in arrays}
    grid = tuple(evaluate(g, names, kernel) for g in launch.grid)
    built, _ = build_launch_program(compiled, grid, taken, config, symbols)
    from oxcore.outputs import open_output
    elf.parent.mkdir(parents=True, exist_ok=True)
    with open_output(elf, binary=True, executable=True) as handle:
        handle.write(built.read_bytes())
    return elf


def launch_inputs(kernel: Kernel, params: dict[str, int], config: OxCoreConfig):
    """The kernel-language function of a library kernel, its launch arguments for this
    shape in order, its constexprs and its arrays (zeros, by name)."""
    launch = kernel.launch
    assert launch is not None
    names = launch_values(kernel, params, config)
    arrays = {a.name: np.zeros(a.shape(params), a.dtype) for a in kernel.inputs + kernel.outputs}
    args = tuple(arrays[arg] if arg in arrays else evaluate(arg, names, kernel)
                 for arg in launch.arguments)
    constexprs = {name: names[name] for name, _ in launch.constexprs}
    return launch.load(), args, constexprs, arrays


def random_inputs(kernel: Kernel, params: dict[str, int], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    inputs = {}
    for array in kernel.inputs:
        info = np.iinfo(array.dtype)
        low, high = array.values or (info.min, info.max)
        inputs[array.name] = rng.integers(low, high, size=array.shape(params), endpoint=True,
                                          dtype=array.dtype)
    return inputs


def _symbol_range(program: Program, array: Array, params: dict[str, int]) -> tuple[int, int]:
    sym = program.symbol(array.name)
    nbytes = int(np.prod(array.shape(params))) * np.dtype(array.dtype).itemsize
    if sym.size != nbytes:
        raise OxCoreError(f"{program.path}: array {array.name} is {sym.size} bytes, the kernel "
                          f"interface expects {nbytes} ({array.dtype}{list(array.shape(params))})")
    return sym.addr, nbytes


def prepare(kernel: Kernel, params: dict[str, int], config: OxCoreConfig,
            seed: int) -> KernelCase:
    """Build the kernel and write a copy of its ELF with random inputs in its arrays,
    so every simulator (and a re-run from a divergence report) loads the same file."""
    elf = build_kernel(kernel, params, config)
    program = load_program(elf, config)
    inputs = random_inputs(kernel, params, seed)
    patches = {}
    for array in kernel.inputs:
        addr, _ = _symbol_range(program, array, params)
        little_endian = np.dtype(array.dtype).newbyteorder("<")
        patches[addr] = np.ascontiguousarray(inputs[array.name], dtype=little_endian).tobytes()
    with_inputs = elf.with_name(f"{elf.stem}-seed{seed}.elf")
    write_patched_elf(elf, with_inputs, patches)
    return KernelCase(kernel, params, inputs, load_program(with_inputs, config))


def write_patched_elf(source: Path, target: Path, patches: dict[int, bytes]) -> None:
    """Copy an ELF, overwriting the initialised bytes at the given addresses."""
    from elftools.elf.elffile import ELFFile
    image = bytearray(source.read_bytes())
    with open(source, "rb") as handle:
        segments = [(seg["p_vaddr"], seg["p_offset"], seg["p_filesz"])
                    for seg in ELFFile(handle).iter_segments() if seg["p_type"] == "PT_LOAD"]
    for addr, data in patches.items():
        for vaddr, offset, filesz in segments:
            if vaddr <= addr and addr + len(data) <= vaddr + filesz:
                start = offset + addr - vaddr
                image[start:start + len(data)] = data
                break
        else:
            raise OxCoreError(f"{source}: address {addr:#x} (+{len(data)}) is not initialised "
                              "data in the file (kernel arrays must be in .data)")
    tmp = target.with_name(target.name + ".partial")
    tmp.write_bytes(image)
    tmp.replace(target)


def output_ranges(case: KernelCase) -> tuple[tuple[int, int], ...]:
    """(address, bytes) of each output array, for reading them back from a simulator."""
    return tuple(_symbol_range(case.program, array, case.params)
                 for array in case.kernel.outputs)


def check_outputs(case: KernelCase, read: Callable[[int, int], bytes]) -> KernelCheck:
    """Read the output arrays through `read(addr, nbytes)` and compare with numpy."""
    kernel, params = case.kernel, case.params
    expected = kernel.expected(case.inputs, params)
    outputs, errors = {}, []
    for array in kernel.outputs:
        addr, nbytes = _symbol_range(case.program, array, params)
        got = np.frombuffer(read(addr, nbytes), dtype=np.dtype(array.dtype).newbyteorder("<"))
        got = got.reshape(array.shape(params)).astype(array.dtype)
        outputs[array.name] = got
        want = np.asarray(expected[array.name]).astype(array.dtype).reshape(got.shape)
        if not np.array_equal(got, want):
            bad = np.argwhere(got != want)
            first = tuple(int(i) for i in bad[0])
            errors.append(f"{array.name}: {len(bad)} of {got.size} elements differ; first at "
                          f"{list(first)}: got {got[first]}, numpy gives {want[first]}")
    return KernelCheck(outputs, expected, errors)
