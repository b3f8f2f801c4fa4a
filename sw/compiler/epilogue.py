"""`epilogue-through-memory`: element-wise work on a `tl.dot` accumulator, stored.

The tensor engine computes tiles and has no element-wise tile arithmetic beyond its
epilogues (a bias or residual start, `fold-accumulator-bias`; tst.b's requantization
and ReLU clamp). Triton kernels often end with more: tutorial 03's optional leaky ReLU,
`tl.where(acc >= 0, acc, acc // 128)`, then the store. When that store's elements are
the accumulator's type, the store's own memory can carry the tile to the vector
engine: the pass rewrites

    tl.store(P, f(acc, ...), mask)      (f element-wise)
into
    tl.store(P, acc, mask)              (the tile store, tst.w)
    x = tl.load(P, mask)                (read back, element by element)
    tl.store(P, f(x, ...), mask)        (the vector engine; split-rows makes it rows)

Exact where the store writes: each element of f depends on the same element of acc
(and of values computed before the store), and x equals acc wherever the mask is on
(elements stored twice at one address would differ, as they are unordered in Triton).
Without a vector engine the element-wise part is then refused as any other is, with the
configuration named. Values of other types (f's result narrowed to int8) would need
memory of their own, and a 2-D block loaded for f (a residual), or anything f loads
through the store's own pointer argument, would be read after the tile store, which may
have written it: those are left to the code generator's error.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from sw.compiler import dialect as ob

#: Ops that work element by element on blocks of one shape.
_ELEMENT_WISE = (ob.ElementwiseBinaryOp, ob.CmpOp, ob.SelectOp, ob.CastOp)


@dataclass(frozen=True)
class EpilogueThroughMemoryPass(ModulePass):
    """`store(P, f(acc))` -> the tile stored, read back and `f` of that stored (module doc)."""

    name = "epilogue-through-memory"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for store in [s for s in op.walk() if isinstance(s, ob.StoreOp)]:
            plan = _epilogue(store)
            if plan is not None:
                _rewrite(store, *plan)


def _is_accumulator(value: SSAValue) -> bool:
    """A tl.dot result, or a loop's result that carries one."""
    owner = value.owner
    if isinstance(owner, ob.DotOp):
        return True
    if isinstance(owner, scf.ForOp):
        yielded = owner.body.block.last_op.operands[value.index]
        return _is_accumulator(yielded)
    return False


def _epilogue(store: ob.StoreOp) -> tuple[SSAValue, list[Operation]] | None:
    """(the accumulator, f's ops in program order) when the stored value is element-wise
    work on one accumulator of the stored element type; else None."""
    if _is_accumulator(store.value) or not isinstance(store.value.type, ob.BlockType):
        return None
    accumulators: set[SSAValue] = set()
    cone: set[Operation] = set()
    stack = [store.value]
    while stack:
        value = stack.pop()
        if _is_accumulator(value):
            accumulators.add(value)
            continue
        owner = value.owner
        if isinstance(owner, _ELEMENT_WISE) and owner not in cone:
            cone.add(owner)
            stack.extend(owner.operands)
    if len(accumulators) != 1:
        return None
    (acc,) = accumulators
    pointee = ob.element_of(store.ptr.type)
    if isinstance(pointee, ob.PointerType):
        pointee = pointee.pointee
    if pointee != ob.element_of(acc.type) or acc.type.dims != store.value.type.dims:
        return None
    block = store.parent_block()
    if any(op.parent_block() is not block for op in cone):
        return None
    # only what depends on the accumulator is recomputed; the rest is used as it is
    order = {op: index for index, op in enumerate(block.ops)}
    needed: list[Operation] = []
    for op in sorted(cone, key=order.__getitem__):
        if any(v is acc or v.owner in needed for v in op.operands):
            needed.append(op)
    if _reads_what_it_writes(set(needed), acc, store):
        return None
    return acc, needed


def _reads_what_it_writes(ops: set[Operation], acc: SSAValue, store: ob.StoreOp) -> bool:
    """Whether `ops` read a 2-D block from memory (a residual: `split-rows` would load it
    a row at a time after the tile store, which may write it, C = A @ B + C) or read
    anything through the store's pointer argument: such an epilogue is left to the
    code generator's error at the op, not the pass's reordering's."""
    stack = [v for op in ops for v in op.operands if v is not acc and v.owner not in ops]
    target = _pointer_argument(store.ptr)
    seen: set[SSAValue] = set()
    while stack:
        value = stack.pop()
        if value in seen or not isinstance(value.owner, Operation):
            continue
        seen.add(value)
        owner = value.owner
        if isinstance(owner, ob.LoadOp):
            if len(ob.shape_of(value.type)) == 2 or target is None \
                    or _pointer_argument(owner.ptr) in (target, None):
                return True
        elif isinstance(owner, (*_ELEMENT_WISE, ob.BroadcastOp, ob.ExpandDimsOp)):
            stack.extend(owner.operands)
    return False


def _pointer_argument(ptr: SSAValue) -> SSAValue | None:
    """The kernel argument a pointer block is computed from, if it is one."""
    while isinstance(ptr.owner, (ob.AddPtrOp, ob.SplatOp, ob.BroadcastOp, ob.ExpandDimsOp)):
        ptr = ptr.owner.operands[0]
    return ptr if isinstance(ptr.type, ob.PointerType) and not isinstance(
        ptr.owner, Operation) else None


def _rewrite(store: ob.StoreOp, acc: SSAValue, ops: list[Operation]) -> None:
    """The tile stored, read back, and `ops` again on what was read, stored."""
    tile_store = ob.StoreOp(store.ptr, acc, store.mask)
    read_back = ob.LoadOp(store.ptr, store.mask)
    new_ops: list[Operation] = [tile_store, read_back]
    mapping: dict[SSAValue, SSAValue] = {acc: read_back.result}
    for op in ops:
        copy = op.clone(value_mapper=mapping)
        mapping.update(zip(op.results, copy.results))
        new_ops.append(copy)
    new_ops.append(ob.StoreOp(store.ptr, mapping[store.value], store.mask))
    for new in (tile_store, read_back, new_ops[-1]):
        new.location = store.location
    Rewriter.insert_op(new_ops, InsertPoint.before(store))
    Rewriter.erase_op(store)
    for op in reversed(ops):
        if not any(r.uses for r in op.results):
            Rewriter.erase_op(op)
