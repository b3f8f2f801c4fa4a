"""`sink-transposes`: `tl.trans` rewritten away, down to the addresses.

No OxCore instruction transposes a block in registers, and none needs to: a transposed
block is the same elements read through transposed addresses. So each
`oxcore_block.trans` is replaced by its operand's definition rebuilt on transposed
operands, recursively, down to what has no rows and columns to exchange: scalars, 1-D
blocks (an `expand_dims` of one puts it on the other axis) and uniform constants. A
load becomes a load through the transposed pointers and mask; the code generator then
picks the tile load or vector access that geometry needs (a transposed operand of
`tl.dot` with K consecutive is the layout `tld.b` loads directly, docs/compiler.md). A
`tl.dot` result transposes as (A B)^T = B^T A^T.

Each rebuilt op goes right after the op it copies, so a rebuilt load reads memory where
the original did (a store between the load and the `tl.trans` does not change it);
originals left unused are erased (an untransposed load's geometry may be one the code
generator refuses). An address with no definition to rebuild (a loop-carried block:
the pointers a K loop advances) keeps a transpose of its own, which the code generator
follows (dimensions renamed, `Selector.op_trans`). Data with none (an accumulator
carried through a loop) is transposed only where it is stored, as a store through the
transposed pointers and mask; any other use is a CompileError at the `tl.trans`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from sw.compiler import dialect as ob


#: How to rebuild an op transposed: its operands that need transposing, each with
#: whether it is an address (a pointer, index or mask block: a loop-carried one keeps
#: a transpose of its own, which the selector follows), and a builder taking them
#: transposed.
_Plan = tuple[list[tuple[SSAValue, bool]], Callable[[list[SSAValue]], Operation]]


def _plan(op: Operation, address: bool) -> _Plan | None:
    """How `op` rebuilds with its result transposed (`address`: the result is used as
    an address); None if it cannot (a reduction, a loop's result, ...)."""
    result = op.results[0].type
    dims = result.dims[::-1]
    if isinstance(op, ob.ConstantOp):
        return [], lambda _: ob.ConstantOp(op.value.value.data,
                                           ob.BlockType(dims, result.element_type))
    if isinstance(op, ob.SplatOp):
        return [], lambda _: ob.SplatOp(op.operand, dims)
    if isinstance(op, ob.ExpandDimsOp) and len(op.operand.type.dims) == 1:
        return [], lambda _: ob.ExpandDimsOp(op.operand, 1 - op.axis.value.data)
    if isinstance(op, ob.BroadcastOp):
        return [(op.operand, address)], lambda t: ob.BroadcastOp(t[0], dims)
    if isinstance(op, ob.ElementwiseBinaryOp):
        return [(op.lhs, address), (op.rhs, address)], lambda t: type(op)(*t)
    if isinstance(op, ob.CmpOp):
        return ([(op.lhs, address), (op.rhs, address)],
                lambda t: ob.CmpOp(op.predicate.data, *t))
    if isinstance(op, ob.SelectOp):
        return ([(v, address) for v in (op.condition, op.if_true, op.if_false)],
                lambda t: ob.SelectOp(*t))
    if isinstance(op, ob.AddPtrOp):
        return [(op.ptr, True), (op.offset, True)], lambda t: ob.AddPtrOp(*t)
    if isinstance(op, ob.CastOp):
        return [(op.operand, address)], lambda t: ob.CastOp(t[0], result.element_type)
    if isinstance(op, ob.LoadOp):
        operands = [(op.ptr, True)] + [(v, True) for v in [op.mask] if v] \
            + [(v, False) for v in [op.other] if v]
        return operands, lambda t: ob.LoadOp(
            t[0], t[1] if op.mask else None, t[-1] if op.other else None)
    if isinstance(op, ob.DotOp):  # (A B + C)^T = B^T A^T + C^T
        return ([(op.b, False), (op.a, False), (op.acc, False)],
                lambda t: ob.DotOp(*t))
    if isinstance(op, ob.RequantizeOp):  # element-wise, scalar parameters
        return [(op.operand, address)], lambda t: ob.RequantizeOp(
            t[0], op.multiplier, op.shift, op.zero_point, op.rounding.value.data,
            op.activation.data)
    return None


def _is_2d(value: SSAValue) -> bool:
    return isinstance(value.type, ob.BlockType) and len(value.type.dims) == 2


def _can_transpose(value: SSAValue, address: bool) -> bool:
    """Whether `value` rebuilds transposed: an address always (what has no definition
    to rebuild keeps a transpose), data down to loads and constants."""
    if not _is_2d(value) or isinstance(value.owner, ob.TransOp):
        return True
    plan = _plan(value.owner, address) if isinstance(value.owner, Operation) else None
    if plan is None:
        return address
    return all(_can_transpose(v, a) for v, a in plan[0])


class _Transposer:
    """Builds the transposed copy of a value's definition, once per value (two
    `tl.trans` of one block share it); `location` is the `tl.trans` being replaced
    (what a transpose left on an address carries)."""

    def __init__(self) -> None:
        self.location = None
        self.done: dict[SSAValue, SSAValue] = {}

    def of(self, value: SSAValue, address: bool) -> SSAValue:
        """`value` with rows and columns exchanged (as is if it has none)."""
        if not _is_2d(value):
            return value
        if value not in self.done:
            self.done[value] = self._rebuild(value, address)
        return self.done[value]

    def _rebuild(self, value: SSAValue, address: bool) -> SSAValue:
        op = value.owner
        if isinstance(op, ob.TransOp):
            return op.operand
        plan = _plan(op, address) if isinstance(op, Operation) else None
        if plan is None:  # an address without a definition to rebuild: keep a transpose
            copy = ob.TransOp(value)
            copy.location = self.location
        else:
            operands, build = plan
            copy = build([self.of(v, a) for v, a in operands])
            copy.location = op.location
        # right after the original: a rebuilt load reads memory where the original did
        where = InsertPoint.after(op) if isinstance(op, Operation) \
            else InsertPoint.at_start(value.block)
        Rewriter.insert_op(copy, where)
        return copy.results[0]


@dataclass(frozen=True)
class SinkTransposesPass(ModulePass):
    """Every `oxcore_block.trans` replaced by its operand rebuilt on transposed
    addresses (see the module's docstring)."""

    name = "sink-transposes"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        transposer = _Transposer()
        for trans in [o for o in op.walk() if isinstance(o, ob.TransOp)]:
            if trans.parent is None:  # erased with an unused transpose it fed
                continue
            transposer.location = trans.location
            source = trans.operand
            if _can_transpose(trans.operand, address=False):
                trans.result.replace_all_uses_with(transposer.of(trans.operand, False))
            elif all(isinstance(use.operation, ob.StoreOp) and use.index == 1
                     for use in trans.result.uses):
                for use in list(trans.result.uses):  # store(p, v^T, m) = store(p^T, v, m^T)
                    self._transpose_store(use.operation, transposer)
            else:
                from sw.compiler.passes import error_at
                raise error_at(trans, "tl.trans of this block is not supported: it is "
                               "computed from a block the code generator cannot read "
                               "transposed (a tl.dot accumulator carried through a loop, "
                               "a reduction, ...); transpose the loads it comes from, or "
                               "store it through transposed pointers")
            Rewriter.erase_op(trans)
            ob.erase_if_unused(source, Rewriter.erase_op)

    @staticmethod
    def _transpose_store(store: ob.StoreOp, transposer: _Transposer) -> None:
        """A store of a transposed block as a store of the block through the transposed
        pointers and mask."""
        mask = store.mask and transposer.of(store.mask, True)
        rebuilt = ob.StoreOp(transposer.of(store.ptr, True), store.value.owner.operand, mask)
        rebuilt.location = store.location
        addresses = [v for v in (store.ptr, store.mask) if v]
        Rewriter.replace_op(store, rebuilt)
        for address in addresses:
            ob.erase_if_unused(address, Rewriter.erase_op)
