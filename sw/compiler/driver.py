"""`oxcore compile`: a kernel file + a signature -> IR text (later: assembly, ELF).

The kernel file is imported as a module (its top level runs, as Triton's does) so the
kernel's globals (`tl`, integer constants) resolve; the kernels themselves never run.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import TextIO

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from oxcore.errors import OxCoreError
from sw.compiler.frontend import build_kernel_ir
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


def select_kernel(kernels: dict[str, Kernel], path: Path, name: str | None) -> Kernel:
    if not kernels:
        raise OxCoreError(f"{path}: no @kernel function in this file")
    if name is None:
        if len(kernels) > 1:
            raise OxCoreError(f"{path} has several kernels ({', '.join(kernels)}): "
                              f"choose one with --kernel")
        return next(iter(kernels.values()))
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


def compile_command(source: Path, kernel_name: str | None, signature: str | None,
                    emit: str, print_ir_after_all: bool) -> str:
    """What `oxcore compile` prints: the IR, or with `print_ir_after_all` the IR after
    every stage (the last of which is the result, not repeated)."""
    if emit != "ir":
        raise OxCoreError(f"--emit {emit}: not implemented yet (issue #12 in progress); "
                          f"use --emit ir")
    if signature is None:
        raise SignatureError("--signature is required, e.g. --signature "
                             "\"x:*i8,n:i32,BLOCK=64\"")
    kernel = select_kernel(load_kernels(source), source, kernel_name)
    dumps = StringIO()
    module = compile_to_ir(kernel, signature, print_ir_after_all, dumps, path=str(source))
    return dumps.getvalue() if print_ir_after_all else print_module(module)
