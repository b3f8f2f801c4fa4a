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
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i32
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (GreedyRewritePatternApplier, PatternRewriter,
                                   PatternRewriteWalker, RewritePattern,
                                   op_type_rewrite_pattern)
from xdsl.printer import Printer
from xdsl.rewriter import InsertPoint
from xdsl.traits import Pure
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination
from xdsl.transforms.loop_invariant_code_motion import LoopInvariantCodeMotionPass
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from oxcore.errors import CompileError
from sw.compiler import dialect as ob
from sw.compiler.epilogue import EpilogueThroughMemoryPass
from sw.compiler.row_split import SplitRowsPass
from sw.compiler.sink_transposes import SinkTransposesPass
from sw.compiler.unwrap_offsets import UnwrapEdgeRowsPass, induction_variable


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


def _is_zero_constant(value: SSAValue) -> bool:
    owner = value.owner
    return isinstance(owner, ob.ConstantOp) and owner.value.value.data == 0


def _is_dot_accumulator(value: SSAValue) -> bool:
    return any(isinstance(use.operation, ob.DotOp) and use.index == 2 for use in value.uses)


def _broadcast_row(value: SSAValue) -> ob.LoadOp | None:
    """The 1-D load `x` when `value` is ``broadcast(expand_dims(x, 0))`` (Triton's
    ``x[None, :]`` broadcast to a 2-D block) and its masked-off lanes read 0."""
    found = ob.broadcast_source(value, 0)
    if found is None or not isinstance(value.owner, ob.BroadcastOp):
        return None
    load = found[0].owner
    if not isinstance(load, ob.LoadOp):
        return None
    if load.other is not None and not _is_zero_constant(load.other):
        return None
    return load


def _enclosing_blocks(block: Block | None) -> list[Block]:
    """`block` and the blocks around it, innermost first."""
    blocks = []
    while block is not None:
        blocks.append(block)
        parent = block.parent_op()
        block = parent.parent_block() if parent is not None else None
    return blocks


def _ops_to_hoist(value: SSAValue, anchor: Operation, moving: list[Operation]) -> bool:
    """Collect (operands first) the pure ops after `anchor` in its block that `value`
    needs, so that it can be computed before `anchor`; False if it depends on
    `anchor`'s results or on anything inside it, or on an op that is not pure."""
    block = anchor.parent_block()
    assert block is not None
    if isinstance(value, BlockArgument):
        return value.block in _enclosing_blocks(block)
    owner = value.owner
    assert isinstance(owner, Operation)
    if owner is anchor:
        return False
    if owner.parent_block() is not block:
        return owner.parent_block() in _enclosing_blocks(block)
    ops = list(block.ops)
    if ops.index(owner) < ops.index(anchor) or owner in moving:
        return True
    if not owner.has_trait(Pure) or owner.regions:
        return False
    if not all(_ops_to_hoist(operand, anchor, moving) for operand in owner.operands):
        return False
    moving.append(owner)
    return True


class FoldAccumulatorBias(RewritePattern):
    """``loop_result + broadcast(bias_row)`` -> the loop's accumulator starts at the
    broadcast bias row instead of zeros. The tensor engine has no tile add, but int32
    wrap-around addition is associative and commutative, so (0 + sum of dots) + bias
    equals bias + sum of dots: a 2-D load with row stride 0 (every row the same bias
    row; instruction selection makes it one tld.w per tile instead of a tzero), whose
    mask and `other=0` keep the 1-D load's N edge (tcolb). ``loop_result +
    tl.load(r2d)`` (a residual; C = A @ B + C) likewise starts at that 2-D load, moved
    before the loop when nothing from the loop to it writes memory."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ob.AddOp, rewriter: PatternRewriter) -> None:
        shape = ob.shape_of(op.result.type)
        if len(shape) != 2 or ob.element_of(op.result.type) != i32:
            return
        for acc, bias in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            loop = acc.owner
            if not isinstance(loop, scf.ForOp) or loop.parent_block() is not op.parent_block():
                continue
            if len(list(acc.uses)) != 1:
                continue
            index = acc.index
            init = loop.iter_args[index]
            if not _is_zero_constant(init) or not _is_dot_accumulator(
                    loop.body.block.args[1 + index]):
                continue
            row = _broadcast_row(bias)
            if row is None:
                if self._start_at_block(op, loop, index, bias, rewriter):
                    return
                continue
            moving: list[Operation] = []
            needed = [row.ptr] + ([row.mask] if row.mask is not None else [])
            if _stores_between(loop, row) or not all(
                    _ops_to_hoist(v, loop, moving) for v in needed):
                continue
            self._start_at_bias(op, loop, index, row, moving, shape, rewriter)
            ob.erase_if_unused(bias, rewriter.erase)  # the broadcast row and its 1-D load
            return

    @staticmethod
    def _start_at_block(add: ob.AddOp, loop: scf.ForOp, index: int, value: SSAValue,
                        rewriter: PatternRewriter) -> bool:
        """``loop_result + tl.load(r2d)`` (a residual, C = A @ B + C): the 2-D int32 load
        moves before the loop and becomes the accumulator's start, when nothing from
        the loop to the load writes memory (the load reads what it would have)."""
        load = value.owner
        if not isinstance(load, ob.LoadOp) or len(list(value.uses)) != 1:
            return False
        if load.other is not None and not _is_zero_constant(load.other):
            return False
        if load.parent_block() is not loop.parent_block() or _stores_between(loop, load):
            return False
        moving: list[Operation] = []
        if not all(_ops_to_hoist(v, loop, moving) for v in load.operands):
            return False
        ops = list(loop.parent_block().ops)
        after = ops.index(load) > ops.index(loop)
        _start_loop_at(add, loop, index, load, [*moving, load] if after else moving, [],
                       rewriter)
        return True

    @staticmethod
    def _start_at_bias(add: ob.AddOp, loop: scf.ForOp, index: int, row: ob.LoadOp,
                       moving: list[Operation], shape: tuple[int, ...],
                       rewriter: PatternRewriter) -> None:
        def rows(value: SSAValue) -> list[Operation]:
            expand = ob.ExpandDimsOp(value, 0)
            return [expand, ob.BroadcastOp(expand.result, shape)]
        pointers = rows(row.ptr)
        masks = rows(row.mask) if row.mask is not None else []
        zero = ob.ConstantOp(0, ob.BlockType(shape, i32))
        load = ob.LoadOp(pointers[-1].results[0], masks[-1].results[0] if masks else None,
                         zero.result if masks else None)
        new_ops = [*pointers, *masks, zero, load]
        for new in new_ops:
            new.location = row.location
        _start_loop_at(add, loop, index, load, moving, new_ops, rewriter)


def _start_loop_at(add: ob.AddOp, loop: scf.ForOp, index: int, load: ob.LoadOp,
                   moving: list[Operation], new_ops: list[Operation],
                   rewriter: PatternRewriter) -> None:
    """The fold itself: `moving` (existing ops) and `new_ops` go before the loop, whose
    accumulator `index` starts at `load`, and `add`'s result is the loop's."""
    for moved in moving:
        moved.detach()
        rewriter.insert(moved, InsertPoint.before(loop))
    rewriter.insert(new_ops, InsertPoint.before(loop))
    operands = list(loop.operands)
    operands[3 + index] = load.result  # lb, ub, step, then the inits
    loop.operands = operands
    rewriter.notify_op_modified(loop)
    rewriter.replace(add, [], [loop.results[index]])


def _stores_between(loop: scf.ForOp, load: ob.LoadOp) -> bool:
    """Whether memory is written from `loop` (itself included) to `load`, which a fold
    would move before the loop: then it might read what that store changed."""
    ops = list(loop.parent_block().ops)
    if load.parent_block() is not loop.parent_block() or ops.index(load) < ops.index(loop):
        return False
    return any(ob.writes_memory(op) for op in ops[ops.index(loop):ops.index(load)])


@dataclass(frozen=True)
class FoldAccumulatorBiasPass(ModulePass):
    """A bias row added to a tl.dot loop's result becomes the accumulator's start."""

    name = "fold-accumulator-bias"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldAccumulatorBias(), apply_recursively=False).rewrite_module(op)


class FuseRequantizeRelu(RewritePattern):
    """requantize(max(x, 0)) -> requantize(x) {activation = "relu"}: the ReLU becomes
    tst.b's activation clamp. Exact for any multiplier: the chain is monotonic
    (non-decreasing for multiplier >= 0, non-increasing below), so requantize(max(x, 0))
    is max(requantize(x), requantize(0)) or min(...) respectively, and requantize(0)
    is the zero point saturated to int8 (instruction selection sets tqmin/tqmax)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ob.RequantizeOp, rewriter: PatternRewriter) -> None:
        relu = op.operand.owner
        if op.activation.data != "none" or not isinstance(relu, ob.MaxOp):
            return
        if _is_zero_constant(relu.rhs):
            source = relu.lhs
        elif _is_zero_constant(relu.lhs):
            source = relu.rhs
        else:
            return
        fused = ob.RequantizeOp(source, op.multiplier, op.shift, op.zero_point,
                                op.rounding.value.data, "relu")
        fused.location = op.location
        rewriter.replace(op, fused)
        ob.erase_if_unused(relu.result, rewriter.erase)


@dataclass(frozen=True)
class FuseRequantizeReluPass(ModulePass):
    """tl.maximum(x, 0) feeding tl.requantize moves into the requantization."""

    name = "fuse-requantize-relu"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FuseRequantizeRelu()).rewrite_module(op)


def _twin_key(loop: scf.ForOp, index: int) -> tuple | None:
    """What a scalar a `for` loop carries is: its start and how each iteration steps it
    (`x + d`, d defined outside the loop), with the carried value itself left out; None
    if it is not such a counter."""
    body = loop.body.block
    argument = body.args[index + 1]
    start = loop.iter_args[index]
    if argument.type != i32:
        return None
    stepped = body.last_op.operands[index]
    step = stepped.owner
    if not isinstance(step, arith.AddiOp) or argument not in step.operands:
        return None
    delta = step.rhs if step.lhs is argument else step.lhs
    if isinstance(delta.owner, Operation) and delta.owner.parent_block() is body:
        return None  # (computed in the body: not the same step for sure)
    return _value_key(start), _value_key(delta)


def _value_key(value: SSAValue) -> object:
    """A value, or a constant's value (two constant ops of one value are one value)."""
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return ("constant", owner.value.value.data, owner.value.type)
    return value


@dataclass(frozen=True)
class MergeTwinCountersPass(ModulePass):
    """Two scalars a `for` loop carries that start equal and step by the same amount are
    one: the offsets of two block pointers advanced side by side (`tl.advance(x_p,
    (B,))`, `tl.advance(o_p, (B,))`), or two offsets counted alike. The second's uses
    read the first, so the masks made from them are one mask (the vector engine's
    region of loads and stores needs that) and CSE makes them one op. The second stays
    carried, unused, for canonicalization to leave or drop. Likewise a counter stepped
    by the loop's step from its lower bound minus the step, before its uses, is the
    induction variable there (`unwrap_offsets.induction_variable`)."""

    name = "merge-twin-counters"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for loop in [inner for inner in op.walk() if isinstance(inner, scf.ForOp)]:
            body = loop.body.block
            for stepped in list(body.last_op.operands):  # a twin of the loop's own
                if induction_variable(stepped) is body.args[0]:  # (`tile_id_c`)
                    stepped.replace_uses_with_if(
                        body.args[0], lambda use: use.operation is not body.last_op)
            seen: dict[tuple, int] = {}
            for index in range(len(loop.iter_args)):
                key = _twin_key(loop, index)
                if key is None:
                    continue
                if key not in seen:
                    seen[key] = index
                    continue
                first = seen[key]
                body.args[index + 1].replace_all_uses_with(body.args[first + 1])
                loop.results[index].replace_all_uses_with(loop.results[first])


#: The block-level pipeline, in order; the back end (driver.BACKEND_STAGES) follows.
PIPELINE: tuple[ModulePass, ...] = (
    VerifyTypesPass(),        # shapes and dtypes sound before anything rewrites them
    UnwrapEdgeRowsPass(),     # (offs % M) in load addresses -> offs, rows past M masked
    SinkTransposesPass(),     # tl.trans -> its operand rebuilt on transposed addresses
    FoldBlockConstantsPass(),  # splat/broadcast of constants -> block constants
    FoldAccumulatorBiasPass(),  # acc + bias row (or 2-D block) -> the accumulator starts there
    FuseRequantizeReluPass(),  # requantize(max(x, 0)) -> tst.b's activation clamp
    EpilogueThroughMemoryPass(),  # store(f(acc)) -> store(acc), f of it read back
    SplitRowsPass(),          # 2-D element-wise work -> a loop over 1-D rows
    CanonicalizePass(),       # xDSL: fold arith constants, drop dead pure ops
    LoopInvariantCodeMotionPass(),  # xDSL: masks and offsets a loop does not change
    CommonSubexpressionElimination(),  # xDSL: one op per repeated pure computation
    MergeTwinCountersPass(),  # two carried offsets stepped alike -> one
    CommonSubexpressionElimination(),  # (the masks and addresses the twins made)
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
