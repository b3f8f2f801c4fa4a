"""`oxcore compile`: a kernel file + a signature -> IR text (later: assembly, ELF).

The kernel file is imported as a module (its top level runs, as Triton's does) so the
kernel's globals (`tl`, integer constants) resolve; the kernels themselves never run.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
import textwrap
import traceback
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import NamedTuple, TextIO

from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerType, ModuleOp
from xdsl.ir import Attribute
from xdsl.passes import ModulePass

from oxcore.config import OxCoreConfig, load_config
from oxcore.errors import OxCoreError
from oxcore.outputs import open_output
from sw.compiler.artifact import CompiledKernel, Param
from sw.compiler.cache import kernel_key, lookup, store
from sw.compiler.dialect import PointerType
from sw.compiler.emit import assembly
from sw.compiler.frontend import build_kernel_ir
from sw.compiler.isel import Selector
from sw.compiler.mir import MFunction, print_mir
from sw.compiler.mir_passes import MIR_PIPELINE, check_defined_before_use
from sw.compiler.regalloc import AllocationStats, allocate
from sw.compiler.schedule import schedule
from sw.compiler.language import Kernel
from sw.compiler.passes import PIPELINE, PassManager, print_module
from sw.compiler.signature import SignatureError, parse_signature

#: How IR dumps name the front end's output (it is not a pass over a module).
FRONTEND_STAGE = "frontend"


def load_kernels(path: Path) -> dict[str, Kernel]:
    """The `@kernel` functions a Python file defines, by name."""
    if not path.is_file():
        raise OxCoreError(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location(f"_oxcore_kernels_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's module failed: say where, without our frames
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        raise OxCoreError(f"{frame.filename}:{frame.lineno}: importing {path} failed: "
                          f"{type(exc).__name__}: {exc}") from None
    return {k.name: k for k in vars(module).values() if isinstance(k, Kernel)}


def _entry_points(kernels: dict[str, Kernel]) -> list[str]:
    """The kernels no other kernel of the file calls by name (as Triton's `@triton.jit`
    helpers are called: `leaky_relu(acc)`; `tl.dot(...)` names no kernel `dot`); all of
    them if every one is called."""
    called: set[str] = set()
    for kernel in kernels.values():
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(kernel.fn)))
        except (OSError, TypeError, SyntaxError):
            continue
        called.update(node.func.id for node in ast.walk(tree)
                      if isinstance(node, ast.Call) and isinstance(node.func, ast.Name))
    entries = [name for name in kernels if name not in called]
    return entries or list(kernels)


def select_kernel(kernels: dict[str, Kernel], path: Path, name: str | None) -> Kernel:
    if not kernels:
        raise OxCoreError(f"{path}: no @kernel function in this file")
    if name is None:
        entries = _entry_points(kernels)
        if len(entries) > 1:
            raise OxCoreError(f"{path} has several kernels ({', '.join(entries)}): "
                              f"choose one with --kernel")
        return kernels[entries[0]]
    if name not in kernels:
        raise OxCoreError(f"{path}: no kernel '{name}' (kernels: {', '.join(kernels)})")
    return kernels[name]


def compile_to_ir(kernel: Kernel, signature: str, print_ir_after_all: bool = False,
                  output: TextIO | None = None,
                  after_pass: Callable[[ModulePass | None, ModuleOp], None] | None = None,
                  path: str | None = None) -> ModuleOp:
    """Front end then PIPELINE: the block-level IR of one specialisation. With
    `print_ir_after_all`, the IR after the front end and after every pass goes to
    `output`; `after_pass` sees the same stages (None for the front end). Locations and
    errors name the kernel's file `path` (default: its absolute path)."""
    module = build_kernel_ir(kernel, parse_signature(signature), path)
    manager = PassManager(PIPELINE, print_ir_after_all, output or sys.stdout, after_pass)
    manager.report(FRONTEND_STAGE, module)
    if after_pass is not None:
        after_pass(None, module)
    return manager.run(module)


#: The back end after the block-level PIPELINE, in order (what --print-ir-after-all
#: names): selection to machine IR over virtual registers, the MIR_PIPELINE passes,
#: then register allocation to physical registers.
BACKEND_STAGES = ("select-instructions", *(name for name, _ in MIR_PIPELINE),
                  "allocate-registers", "schedule")


def _type_text(type_: Attribute) -> str:
    """A runtime parameter's IR type as signature text: *i8, *u8, i32."""
    if isinstance(type_, PointerType):
        return "*" + _type_text(type_.pointee)
    assert isinstance(type_, IntegerType)
    unsigned = type_.signedness.data.name == "UNSIGNED"
    return f"{'u' if unsigned else 'i'}{type_.width.data}"


def _report_mir(output: TextIO, stage: str, fn: MFunction) -> None:
    output.write(f"// -----// IR Dump After {stage} (machine IR) //----- //\n"
                 f"{print_mir(fn)}\n")


def compile_kernel(kernel: Kernel, signature: str, config: OxCoreConfig, *,
                   print_ir_after_all: bool = False, output: TextIO | None = None,
                   path: str | None = None,
                   allocatable: dict[str, list[int]] | None = None,
                   use_cache: bool = True, num_stages: int | None = None) -> CompiledKernel:
    """One specialisation of `kernel` for `signature` and `config`, to assembly: the
    block-level PIPELINE, instruction selection, register allocation, emission.
    Cached per specialisation in memory and on disk (`sw.compiler.cache`); dumps
    (with `print_ir_after_all`) and `use_cache=False` (timing a compilation) bypass
    the cache. `allocatable` restricts the registers the allocator may use (tests
    force spills with it). `num_stages` is Triton's: 1 keeps a tl.dot loop in
    selection's order, 2 or more software-pipelines it (the next k-step's tiles
    loaded during this one's; one iteration ahead is all the tile registers allow),
    None lets the tensor engine's model decide (docs/compiler.md)."""
    check_num_stages(num_stages)
    key = None
    if use_cache and not print_ir_after_all:
        key = kernel_key(kernel, signature, config, allocatable, num_stages)
        cached = lookup(key) if key is not None else None
        if cached is not None:
            return cached
    output = output or sys.stdout
    module = compile_to_ir(kernel, signature, print_ir_after_all, output, path=path)
    function = next(op for op in module.ops if isinstance(op, func.FuncOp))
    params = tuple(Param(arg.name_hint or f"arg{i}", _type_text(arg.type))
                   for i, arg in enumerate(function.body.block.args))
    # A peeled iteration's tile bounds shared between its tiles save the scalar core
    # a dozen instructions a program, but hold registers: kept only when the
    # allocation spills no more for them.
    chosen = _back_end(function, config, allocatable, num_stages, True)
    if chosen.selector.peeled:
        plain = _back_end(function, config, allocatable, num_stages, False)
        if plain.stats.spill_instructions < chosen.stats.spill_instructions:
            chosen = plain
    if print_ir_after_all:  # once more, writing the IR after every stage
        chosen = _back_end(function, config, allocatable, num_stages,
                           chosen.selector.share_peeled_bounds, output)
    selector, stats, machine, reordered = chosen
    constexprs = tuple(parse_signature(signature).constexprs.items())
    compiled = CompiledKernel(kernel.name, assembly(machine), params, constexprs,
                              config.name, tuple(sorted(selector.engines)),
                              _stat_items(stats, reordered), programs_per_call="range")
    if key is not None:
        store(key, compiled)
    return compiled


class BackEnd(NamedTuple):
    """What the back end made of a kernel function."""

    selector: Selector
    stats: AllocationStats
    machine: MFunction
    reordered: int  # regions the scheduler reordered


def _back_end(function: func.FuncOp, config: OxCoreConfig,
              allocatable: dict[str, list[int]] | None, num_stages: int | None,
              share_peeled_bounds: bool, dumps: TextIO | None = None) -> BackEnd:
    """Instruction selection, the machine-IR passes, register allocation and scheduling
    (`BACKEND_STAGES`), with the IR after each stage written to `dumps`."""
    selector = Selector(function, config, num_stages, share_peeled_bounds)
    machine = selector.select()
    if dumps is not None:
        _report_mir(dumps, BACKEND_STAGES[0], machine)
    for name, run_pass in MIR_PIPELINE:
        run_pass(machine)
        if dumps is not None:
            _report_mir(dumps, name, machine)
    check_defined_before_use(machine)
    stats = allocate(machine, config, allocatable)
    if dumps is not None:
        _report_mir(dumps, "allocate-registers", machine)
    reordered = schedule(machine, config)
    if dumps is not None:
        _report_mir(dumps, "schedule", machine)
    return BackEnd(selector, stats, machine, reordered)


def _stat_items(stats, reordered: int) -> tuple[tuple[str, int], ...]:
    """Figures for reports: register allocation's spills per class and frame bytes, the
    scheduler's regions reordered."""
    items = [(f"spills_{cls}", count) for cls, count in sorted(stats.spills.items())]
    return tuple(items + [("frame_bytes", stats.frame_bytes),
                          ("spill_instructions", stats.spill_instructions),
                          ("regions_reordered", reordered)])


def check_num_stages(num_stages: object) -> None:
    """A clear error for a num_stages that is not None or an int >= 1."""
    if num_stages is not None and (isinstance(num_stages, bool)
                                   or not isinstance(num_stages, int) or num_stages < 1):
        raise OxCoreError(f"num_stages={num_stages!r}: give 1 (no K-loop software "
                          f"pipelining), 2 or more (pipelined), or leave it out (the "
                          f"compiler decides)")


def compile_command(source: Path, kernel_name: str | None, signature: str | None,
                    emit: str, print_ir_after_all: bool, config_spec: str | None = None,
                    output_path: Path | None = None, num_stages: int | None = None) -> str:
    """What `oxcore compile` prints: the IR (`--emit ir`), the assembly (`--emit asm`),
    nothing for `--emit elf` (written to `output_path`); with `print_ir_after_all`,
    the IR after every stage first."""
    if signature is None:
        raise SignatureError("--signature is required, e.g. --signature "
                             "\"x:*i8,n:i32,BLOCK=64\"")
    kernel = select_kernel(load_kernels(source), source, kernel_name)
    dumps = StringIO()
    if emit == "ir":
        module = compile_to_ir(kernel, signature, print_ir_after_all, dumps, path=str(source))
        return dumps.getvalue() if print_ir_after_all else print_module(module)
    config = load_config(config_spec)
    compiled = compile_kernel(kernel, signature, config,
                              print_ir_after_all=print_ir_after_all, output=dumps,
                              path=str(source), num_stages=num_stages)
    if emit == "asm":
        if output_path is not None:
            with open_output(output_path) as handle:
                handle.write(compiled.asm)
            return dumps.getvalue()
        return dumps.getvalue() + compiled.asm
    if output_path is None:
        raise OxCoreError("--emit elf needs -o FILE")
    from sw.asm.assembler import assemble_source
    from sw.asm.driver import render
    image = assemble_source(compiled.asm, str(output_path.with_suffix(".s")), config)
    with open_output(output_path, binary=True) as handle:
        handle.write(render(image, "elf", config))
    return dumps.getvalue()
