"""The pass pipeline over `oxcore_block` IR, and the pass manager that runs it.

Each pass does one job. After every pass the manager verifies the whole module (xDSL's
verifier plus each op's type rule), so a pass that leaves broken IR is caught at the
pass, and reports a `CompileError` at the source location the failing op carries.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from io import StringIO
from typing import TextIO

from xdsl.context import Context
from xdsl.dialects import arith, builtin, func, scf
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (GreedyRewritePatternApplier, PatternRewriter,
                                   PatternRewriteWalker, RewritePattern,
                                   op_type_rewrite_pattern)
from xdsl.printer import Printer
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination
from xdsl.transforms.loop_invariant_code_motion import LoopInvariantCodeMotionPass
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from oxcore.errors import CompileError
from sw.compiler import dialect as ob


def compiler_context() -> Context:
    """The dialects kernel IR may use: what the parser and the passes know."""
    context = Context()
    for dialect in (builtin.Builtin, func.Func, arith.Arith, scf.Scf, ob.OxCoreBlock):
        context.load_dialect(dialect)
    return context


def verify_module(module: ModuleOp) -> None:
    """Every op's invariants and type rule; the first failure becomes a CompileError at
    that op's source location. Ops with a type rule go first, so a broken op is named
    rather than the loop whose yield it breaks."""
    ops = sorted(module.walk(), key=lambda op: not isinstance(op, ob.OpWithTypeRule))
    for op in ops:
        try:
            op.verify(verify_nested_ops=False)
        except (VerifyException, DiagnosticException) as exc:
            raise error_at(op, str(exc).strip().splitlines()[0]) from None


def error_at(op: Operation, message: str) -> CompileError:
    location = ob.op_location(op)
    path, line, col = location if location else ("<ir>", 0, 0)
    return CompileError(f"{message} (in '{op.name}')", path, line, col)


@dataclass(frozen=True)
class VerifyTypesPass(ModulePass):
    """Checks shapes and element types of every op (the rules the front end built
    them by), so IR from any source, parsed text included, enters the pipeline sound."""

    name = "verify-types"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        verify_module(op)


class FoldSplatOfConstant(RewritePattern):
    """splat(arith.constant c) -> oxcore_block.constant c: one op, and a value later
    passes (and instruction selection) can see is uniform."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ob.SplatOp, rewriter: PatternRewriter) -> None:
        source = op.operand.owner
        if isinstance(source, arith.ConstantOp) and isinstance(source.value, IntegerAttr):
            constant = ob.ConstantOp(source.value.value.data, op.result.type)
            constant.location = op.location
            rewriter.replace(op, constant)


class FoldBroadcastOfConstant(RewritePattern):
    """broadcast(oxcore_block.constant c) -> a constant of the broadcast shape."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ob.BroadcastOp | ob.ExpandDimsOp,
                          rewriter: PatternRewriter) -> None:
        source = op.operand.owner
        if isinstance(source, ob.ConstantOp):
            constant = ob.ConstantOp(source.value.value.data, op.result.type)
            constant.location = op.location
            rewriter.replace(op, constant)


@dataclass(frozen=True)
class FoldBlockConstantsPass(ModulePass):
    """Uniform blocks built from constants become `oxcore_block.constant`s."""

    name = "fold-block-constants"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = GreedyRewritePatternApplier([FoldSplatOfConstant(),
                                                FoldBroadcastOfConstant()])
        PatternRewriteWalker(patterns).rewrite_module(op)


#: The block-level pipeline, in order; the back end (driver.BACKEND_STAGES) follows.
PIPELINE: tuple[ModulePass, ...] = (
    VerifyTypesPass(),        # shapes and dtypes sound before anything rewrites them
    FoldBlockConstantsPass(),  # splat/broadcast of constants -> block constants
    CanonicalizePass(),       # xDSL: fold arith constants, drop dead pure ops
    LoopInvariantCodeMotionPass(),  # xDSL: masks and offsets a loop does not change
    CommonSubexpressionElimination(),  # xDSL: one op per repeated pure computation
)


def print_module(module: ModuleOp, debuginfo: bool = False) -> str:
    """The module's text (with `loc(...)` source locations when `debuginfo`)."""
    stream = StringIO()
    Printer(stream=stream, print_debuginfo=debuginfo).print_op(module)
    return stream.getvalue() + "\n"


@dataclass
class PassManager:
    """Runs passes in order on a module, in place, verifying the module before the
    first and after each; with `print_ir_after_all`, writes the IR after every pass to
    `output` under MLIR's banner, and `after_pass(pass, module)` sees it too."""

    passes: Sequence[ModulePass] = PIPELINE
    print_ir_after_all: bool = False
    output: TextIO = field(default_factory=lambda: sys.stdout)
    after_pass: Callable[[ModulePass, ModuleOp], None] | None = None
    context: Context = field(default_factory=compiler_context)

    def run(self, module: ModuleOp) -> ModuleOp:
        verify_module(module)
        for module_pass in self.passes:
            module_pass.apply(self.context, module)
            verify_module(module)
            self.report(module_pass.name, module)
            if self.after_pass is not None:
                self.after_pass(module_pass, module)
        return module

    def report(self, stage: str, module: ModuleOp) -> None:
        """The IR after `stage` (a pass, or the front end), when printing after all."""
        if self.print_ir_after_all:
            self.output.write(ir_dump_header(stage) + print_module(module))


def run_pipeline(module: ModuleOp, passes: Sequence[ModulePass] = PIPELINE) -> ModuleOp:
    """`passes` on `module`, in place, verified after each."""
    return PassManager(passes).run(module)


def ir_dump_header(stage: str) -> str:
    """MLIR's `--mlir-print-ir-after-all` banner."""
    return f"// -----// IR Dump After {stage} //----- //\n"
