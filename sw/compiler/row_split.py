"""`split-rows`: 2-D element-wise work becomes a loop over rows of 1-D blocks.

The vector engine computes on 1-D blocks (isel_vector.py: strip-mined, software
pipelined regions); the tensor engine moves 2-D blocks as tiles for `tl.dot`. A 2-D
block that holds loaded data and is only computed on element-wise and stored (a 2-D add,
a ReLU over a matrix, ``x + b[None, :]``) is neither, so this pass rewrites it::

    x = load(p2d, mask2d); store(q2d, x + 1, mask2d)
    ->
    for r in range(R):
        x = load(row(p2d, r), row(mask2d, r)); store(row(q2d, r), x + 1, row(mask2d, r))

Each row is a 1-D block of the block's C columns, which the vector engine strip-mines as
any other: `row` of an index, pointer or mask block is symbolic in instruction
selection (the row's base address and its column bound, zero for a row the mask turns
off), so the loop costs a few scalar instructions a row.

Along the rows, one value a row is a scalar: a row reduction (``tl.sum(x, axis=1)``,
tl.max) is the row's 1-D reduction, and a 1-D block of pointers stores it (converted to
the pointers' element type, as ``tl.store`` does) as the row's element (`row` of a 1-D
block is an element) under ``scf.if`` on the row's mask element;
``s[:, None]`` of a row reduction or of a 1-D load (one element a row, loaded under
``scf.if``, else `other`) is a splat of the row's scalar, and element-wise work on such
values before they meet the row (``tl.sum(x, axis=1) // N``; on the [R, 1] block of a
``keep_dims`` reduction, moved before its ``[:, None]`` first) is the row's scalar
arithmetic (`arith` ops), stored by a 1-D store as a reduction is. A column reduction
(``tl.sum(x, axis=0)``) is a block the loop carries: ``acc = acc op row``, from op's
identity (the masked-off elements must read it: instruction selection's check).

What moves into the loop (a *component*): its sinks (the 2-D stores whose value and
mask are data or index blocks, the 1-D stores of row reductions, the column
reductions) with the loads and element-wise ops they read, joined when they share one
(one loop, one load a row). ``b[None, :]`` (a 1-D block broadcast down the rows) is the
1-D block itself in every row. Left as they are, for the tensor engine or for
instruction selection's error: tiles (tl.dot and tl.requantize results, loop-carried
blocks) and anything that reads them, other uses of a component's values, gathers
(pointers from loaded data), ``x[:, None]`` of other data, and components spread over
several blocks. A 2-D load whose value nothing uses is dropped (an unused 1-D block is
never loaded either). The loop goes where the component's last sink was (a column
reduction's uses must come after it), so a component must not have another store
between its first load and its last sink (a clear error: its loads would move past it).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i1, i32
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass

from sw.compiler import dialect as ob

FORM, DATA, OPAQUE = "form", "data", "opaque"
#: ops computed element by element, which a row loop clones on 1-D rows
_ELEMENTWISE = (ob.ElementwiseBinaryOp, ob.CmpOp, ob.SelectOp, ob.CastOp)
#: ops whose result is a block of indices, pointers or masks when their operands are
_STRUCTURAL = (*_ELEMENTWISE, ob.BroadcastOp, ob.ExpandDimsOp, ob.AddPtrOp)


def _followed(op: Operation) -> bool:
    """Whether instruction selection follows `op` on index, pointer and mask blocks
    symbolically (an affine index, a bound); what else computes on indices (`%`, `//`,
    `==`, shifts) is data, which a row loop computes a scalar a row."""
    if isinstance(op, (ob.AddOp, ob.SubOp, ob.MulOp, ob.AddPtrOp, ob.BroadcastOp,
                       ob.ExpandDimsOp)):
        return True
    if isinstance(op, ob.AndOp):
        return ob.element_of(op.result.type) == i1
    return isinstance(op, ob.CmpOp) and op.predicate.data in ("lt", "le", "gt", "ge")


def _computed(value: SSAValue, kind: "_Kinds") -> bool:
    """Whether an index, pointer or mask block (a form) is, along the rows, computed
    from the row index beyond what instruction selection follows (`offs_m % 2`,
    `(offs_m // 4)[:, None]`, `offs_m == k`): used as data, the row loop computes it a
    scalar a row."""
    if kind(value) != FORM:
        return False  # (data, a tile: computed from loads, not from the index)
    if _is_2d(value):  # (`x[:, None]`: one a row; `x[None, :]`: the same every row)
        if isinstance(value.owner, (*_ELEMENTWISE, ob.AddPtrOp)):  # (`a & (offs_n % 2
            return any(_computed(v, kind) for v in value.owner.operands)  # == 0)`, ptrs)
        source = ob.broadcast_source(value, 1)
        along = source[0] if source is not None else _broadcast_row_source(value)
        return along is not None and _computed(along, kind)
    owner = value.owner
    if not isinstance(value.type, ob.BlockType) \
            or not isinstance(owner, (*_ELEMENTWISE, ob.AddPtrOp)):
        return False
    return not _followed(owner) or any(_computed(v, kind) for v in owner.operands)


def _is_2d(value: SSAValue) -> bool:
    return isinstance(value.type, ob.BlockType) and len(value.type.dims) == 2


class _Kinds:
    """What a value holds: FORM (a scalar, or an index, pointer, mask or uniform block:
    instruction selection follows it symbolically), DATA (computed from loaded elements)
    or OPAQUE (a tile, a loop-carried block, what is computed from them)."""

    def __init__(self) -> None:
        self._memo: dict[SSAValue, str] = {}

    def __call__(self, value: SSAValue) -> str:
        if value not in self._memo:
            self._memo[value] = self._kind(value)
        return self._memo[value]

    def _kind(self, value: SSAValue) -> str:
        if not isinstance(value.type, ob.BlockType):
            return FORM
        if isinstance(value, BlockArgument):
            return OPAQUE
        owner = value.owner
        if isinstance(owner, ob.LoadOp):
            return DATA
        if isinstance(owner, _STRUCTURAL):
            kinds = {self(operand) for operand in owner.operands}
            return OPAQUE if OPAQUE in kinds else DATA if DATA in kinds else FORM
        if isinstance(owner, (ob.ArangeOp, ob.ConstantOp, ob.SplatOp, ob.RowOp)):
            return FORM
        if isinstance(owner, ob.ReduceOp):  # along an axis of a 2-D block
            return OPAQUE if self(owner.operand) == OPAQUE else DATA
        return OPAQUE  # dot, requantize, scf results


def _broadcast_row_source(value: SSAValue) -> SSAValue | None:
    """`x` when `value` is ``x[None, :]`` of a 1-D x: every row of it is x."""
    found = ob.broadcast_source(value, 0)
    return found[0] if found is not None else None


@dataclass
class _Component:
    """What moves into one row loop: its sinks (2-D stores, 1-D stores of row
    reductions, column reductions), the ops they read that are cloned on rows, and the
    ``v[:, None]`` broadcasts of one value a row, which become splats of each row's
    scalar; each in block order."""

    sinks: list[Operation]
    ops: list[Operation]
    absorbed: list[Operation]


def _reduction(value: SSAValue, axis: int) -> ob.ReduceOp | None:
    """The op when `value` is ``tl.sum/max(x, axis=axis)`` of a 2-D x."""
    owner = value.owner
    if isinstance(owner, ob.ReduceOp) and owner.axis.value.data == axis and _is_2d(
            owner.operand):
        return owner
    return None


def _reduces(per_row: list[Operation] | None) -> bool:
    """`_per_row`'s ops hold a row reduction (a value a row, not only loaded)."""
    return per_row is not None and any(isinstance(op, ob.ReduceOp) for op in per_row)


def _scalar_cast(value: SSAValue, element) -> Operation:
    """A row's scalar converted as `oxcore_block.cast` converts its block: sign-extended
    (zero-extended from i1 and ui8) or truncated."""
    source = value.type
    if source.width.data < element.width.data:
        unsigned = source.width.data == 1 or source == ob.ui8
        return (arith.ExtUIOp if unsigned else arith.ExtSIOp)(value, element)
    return arith.TruncIOp(value, element)


def _scalar_op(op: Operation, operands: list[SSAValue]) -> Operation:
    """A 1-D element-wise op along the rows as the row's scalar op (signed: `_per_row`
    takes no uint8)."""
    if isinstance(op, ob.CastOp):
        return _scalar_cast(operands[0], op.result.type.element_type)
    if isinstance(op, ob.CmpOp):
        return arith.CmpiOp(*operands, ob.SCALAR_PREDICATES[op.predicate.data])
    if isinstance(op, ob.SelectOp):
        return arith.SelectOp(*operands)
    if isinstance(op, ob.AddPtrOp):  # (a row's base pointer)
        return ob.AddPtrOp(*operands)
    return ob.SCALAR_BINARY_OPS[op.name.split(".")[1]](*operands)


def _identity(reduction: ob.ReduceOp) -> int:
    """The value a column reduction's accumulator starts at: 0, the element type's
    minimum (max) or maximum (min)."""
    element = reduction.operand.type.element_type
    bits = element.width.data
    if reduction.kind.data == "min":
        return (1 << bits) - 1 if element == ob.ui8 else (1 << (bits - 1)) - 1
    if reduction.kind.data == "sum" or element == ob.ui8:
        return 0
    return -(1 << (bits - 1))


class _Splitter:
    def __init__(self) -> None:
        self.kind = _Kinds()

    # -- finding components --

    def _is_sink(self, op: Operation) -> bool:
        """A 2-D store of data or indices, a 1-D store of a row reduction, or a column
        reduction of data: what a row loop is made for."""
        if isinstance(op, ob.ReduceOp):
            return _reduction(op.result, 0) is not None and self.kind(op.operand) == DATA
        if not isinstance(op, ob.StoreOp) or not isinstance(op.value.type, ob.BlockType):
            return False
        if self.kind(op.ptr) != FORM or OPAQUE in (self.kind(v) for v in op.operands):
            return False  # a scatter, or a tile's store
        return _is_2d(op.value) or (self._row_sink_value(op.value) and (
            op.mask is None or self.kind(op.mask) == FORM))

    def _per_row(self, value: SSAValue) -> list[Operation] | None:
        """The ops making one scalar a row of the 1-D `value` (a block along the rows):
        a row reduction, a load of one element a row (a 1-D load through index
        pointers), or element-wise arithmetic on such values and forms (``tl.sum(x,
        axis=1) // N``: a row's mean), which the row loop computes on scalars; None if
        `value` is other data."""
        reduction = _reduction(value, 1)
        if reduction is not None:
            return [reduction]
        owner = value.owner
        if isinstance(owner, ob.LoadOp) and all(self.kind(v) == FORM for v in owner.operands):
            return [owner]
        if not isinstance(owner, (*_ELEMENTWISE, ob.AddPtrOp)) or _is_2d(value) \
                or ob.element_of(value.type) == ob.ui8 or (
                    not isinstance(owner, ob.CastOp) and ob.ui8 in (
                        ob.element_of(v.type) for v in owner.operands)):
            return None  # (uint8 is a block type only: no scalar op computes it; a
        ops: list[Operation] = []  # cast from it zero-extends)
        for operand in owner.operands:
            if self.kind(operand) == FORM and not _computed(operand, self.kind):
                continue  # its element a row, a scalar
            inner = self._per_row(operand)
            if inner is None:
                return None
            ops.extend(op for op in inner if op not in ops)
        return [*ops, owner]

    def _row_sink_value(self, value: SSAValue) -> bool:
        """A 1-D store's value that is one scalar a row computed from a row reduction
        (the reduction itself, converted, or arithmetic on it)."""
        return _reduces(self._per_row(value))

    def _reads(self, sink: Operation) -> tuple[set[Operation], set[Operation]] | None:
        """The ops `sink` reads (transitively) that are cloned on rows, and the
        broadcasts absorbed; None when the sink cannot move into a row loop."""
        block = sink.parent_block()
        found: set[Operation] = set()
        absorbed: set[Operation] = set()
        pending = list(sink.operands)
        while pending:
            value = pending.pop()
            if self.kind(value) != DATA and not _computed(value, self.kind):
                continue  # a form: a row of it in the loop (what is computed from the
                # row index, as data, a mask or a row's base pointer, is cloned instead)
            owner = value.owner
            column = ob.broadcast_source(value, 1) if _is_2d(value) else None
            per_row = self._per_row(column[0] if column is not None else value) \
                if column is not None or not _is_2d(value) else None
            if column is not None and per_row is None:
                return None  # x[:, None] of other data
            if per_row is not None and (column is not None or _reduces(per_row)):
                if column is not None:
                    absorbed.update(column[1])
                for op in per_row:  # a scalar a row: the reductions' 2-D operands read
                    if op.parent_block() is not block:
                        return None
                    if op not in found:
                        found.add(op)
                        if isinstance(op, ob.ReduceOp):
                            pending.append(op.operand)
                continue
            elif not _is_2d(value) or _broadcast_row_source(value) is not None:
                continue  # 1-D data: the same block in every row (b[None, :])
            elif not isinstance(owner, (ob.LoadOp, ob.AddPtrOp, *_ELEMENTWISE)) or \
                    isinstance(owner, ob.AddPtrOp) and self.kind(value) == DATA:
                return None  # a gather (pointers from data), a broadcast of something else
            if owner.parent_block() is not block:
                return None
            if owner not in found:
                found.add(owner)
                pending.extend(owner.operands)
        return found, absorbed

    def components(self, block: Block) -> list[_Component]:
        groups: list[tuple[list[Operation], set[Operation], set[Operation]]] = []
        for sink in [op for op in block.ops if self._is_sink(op)]:
            reads = self._reads(sink)
            if reads is None:
                continue
            ops, absorbed = reads
            joined = [g for g in groups if g[1] & ops]
            merged = ([sink], set(ops), set(absorbed))
            for group in joined:
                groups.remove(group)
                merged[0].extend(group[0])
                merged[1].update(group[1])
                merged[2].update(group[2])
            groups.append(merged)
        order = {op: index for index, op in enumerate(block.ops)}
        components = []
        for sinks, ops, absorbed in groups:
            inside = ops | absorbed | set(sinks)
            if any(use.operation not in inside for op in ops | absorbed
                   for result in op.results for use in result.uses):
                continue  # a value also used elsewhere (a tile, a branch, a yield)
            last = max(order[op] for op in sinks)
            if any(order.get(_in_block(use.operation, block), -1) < last
                   for sink in sinks for result in sink.results for use in result.uses):
                continue  # a column reduction used before the loop's place
            components.append(_Component(*(sorted(group, key=order.__getitem__)
                                           for group in (sinks, ops, absorbed))))
        return components

    # -- rewriting one --

    def split(self, component: _Component) -> None:
        last = component.sinks[-1]
        block = last.parent_block()
        assert block is not None
        members = set(component.ops) | set(component.sinks)
        ordered = list(block.ops)
        first = min(ordered.index(op) for op in members)
        for op in ordered[first:ordered.index(last)]:
            if op not in members and ob.writes_memory(op):
                from sw.compiler.passes import error_at
                raise error_at(op, "this store lies between the loads and the store of a 2-D "
                                   "block computed row by row (split-rows), which would move "
                                   "those loads after it; store it before them or after")
        columns = [op for op in component.sinks if isinstance(op, ob.ReduceOp)]
        rows = (last.ptr if isinstance(last, ob.StoreOp) else last.operand).type.dims[0]
        body = Block(arg_types=[i32, *(op.result.type for op in columns)])
        index = body.args[0]
        index.name_hint = "row"
        mapped: dict[SSAValue, SSAValue] = {}
        carried = dict(zip(columns, body.args[1:]))

        def add(op: Operation, location) -> Operation:
            op.location = location
            body.add_op(op)
            return op

        def row_of(value: SSAValue) -> SSAValue:
            if value not in mapped:
                data = self.kind(value) == DATA or _computed(value, self.kind)
                column = ob.broadcast_source(value, 1) if data else None
                if column is not None and column[0] not in mapped:
                    column = None  # (a computed form read as an address or a mask)
                source = _broadcast_row_source(value) if data else None
                if column is not None:  # the row's scalar, splat
                    mapped[value] = add(ob.SplatOp(mapped[column[0]], value.type.dims[1:]),
                                        value.owner.location).results[0]
                elif source is not None:
                    mapped[value] = source
                elif isinstance(value.type, ob.BlockType):
                    mapped[value] = add(ob.RowOp(value, index), last.location).results[0]
                else:
                    mapped[value] = value  # a scalar
            return mapped[value]

        for op in sorted(members, key=ordered.index):
            if op in carried:  # acc = acc op row
                combine = {"sum": ob.AddOp, "max": ob.MaxOp, "min": ob.MinOp}[op.kind.data]
                clone = combine(carried[op], row_of(op.operand))
            elif isinstance(op, ob.ReduceOp):
                clone = ob.ReduceOp(op.kind.data, row_of(op.operand), 0)
            elif isinstance(op, _ELEMENTWISE) and not _is_2d(op.results[0]):
                clone = _scalar_op(op, [row_of(operand) for operand in op.operands])
            elif isinstance(op, ob.StoreOp) and not _is_2d(op.value):
                clone = _row_store(row_of(op.ptr), mapped[op.value],
                                   row_of(op.mask) if op.mask is not None else None,
                                   op.location)
            elif isinstance(op, ob.LoadOp) and not _is_2d(op.result):
                clone = _row_load(*(row_of(v) if v is not None else None
                                    for v in (op.ptr, op.mask, op.other)), op.location)
            else:
                clone = _on_rows(op, [row_of(operand) for operand in op.operands])
            add(clone, op.location)
            for old, new in zip(op.results, clone.results):
                mapped[old] = new
        body.add_op(scf.YieldOp(*(mapped[op.result] for op in columns)))
        bounds = [arith.ConstantOp(IntegerAttr(v, i32)) for v in (0, rows, 1)]
        starts = [ob.ConstantOp(_identity(op), op.result.type) for op in columns]
        loop = scf.ForOp(*(c.result for c in bounds), [c.result for c in starts], body)
        for new in (*bounds, *starts, loop):
            new.location = last.location
        block.insert_ops_before([*bounds, *starts, loop], last)
        for op, result in zip(columns, loop.results):
            op.result.replace_all_uses_with(result)
        for op in sorted(members | set(component.absorbed), key=ordered.index, reverse=True):
            _erase(op)


def _in_block(op: Operation, block: Block) -> Operation | None:
    """`op`, or the op of `block` that holds it."""
    while op is not None and op.parent_block() is not block:
        op = op.parent_op()
    return op


def _row_store(ptr: SSAValue, value: SSAValue, on: SSAValue | None, location
               ) -> Operation:
    """A row reduction's store: its element of the 1-D pointer block, if the mask has
    that element on."""
    store = ob.StoreOp(ptr, value)
    store.location = location
    if on is None:
        return store
    yield_ = scf.YieldOp()
    yield_.location = location
    return scf.IfOp(on, [], [store, yield_])


def _row_load(ptr: SSAValue, on: SSAValue | None, other: SSAValue | None, location
              ) -> Operation:
    """One element a row of a 1-D load: a scalar load if the mask has the element on,
    else `other` (0 when absent)."""
    load = ob.LoadOp(ptr)
    load.location = location
    if on is None:
        return load
    if other is None:
        other_op = arith.ConstantOp(IntegerAttr(0, load.result.type))
        other_op.location = location
        otherwise = [other_op, scf.YieldOp(other_op.result)]
    else:
        otherwise = [scf.YieldOp(other)]
    taken = [load, scf.YieldOp(load.result)]
    for op in (*taken, *otherwise):
        op.location = location
    return scf.IfOp(on, [load.result.type], taken, otherwise)


def _on_rows(op: Operation, operands: list[SSAValue]) -> Operation:
    """`op` rebuilt on the 1-D rows of its operands."""
    if isinstance(op, ob.LoadOp):
        ptr, rest = operands[0], operands[1:]
        mask = rest.pop(0) if op.mask is not None else None
        other = rest.pop(0) if op.other is not None else None
        return ob.LoadOp(ptr, mask, other)
    if isinstance(op, ob.StoreOp):
        return ob.StoreOp(*operands[:2], operands[2] if op.mask is not None else None)
    if isinstance(op, ob.CmpOp):
        return ob.CmpOp(op.predicate.data, *operands)
    if isinstance(op, ob.SelectOp):
        return ob.SelectOp(*operands)
    if isinstance(op, ob.CastOp):
        return ob.CastOp(operands[0], op.result.type.element_type)
    if isinstance(op, ob.AddPtrOp):
        return ob.AddPtrOp(*operands)
    assert isinstance(op, ob.ElementwiseBinaryOp)
    return type(op)(*operands)


def _as_rows(value: SSAValue, rows: int, axis: int = 1
             ) -> tuple[SSAValue | None, list[Operation]]:
    """A [rows, 1] block (axis 1; [1, rows] with axis 0) as the 1-D block it stands
    for: the x of ``x[:, None]`` (``x[None, :]``), or a splat or constant rebuilt 1-D
    (the new ops); None if neither."""
    owner = value.owner
    if isinstance(owner, ob.ExpandDimsOp) and owner.axis.value.data == axis and len(
            owner.operand.type.dims) == 1:
        return owner.operand, []
    if isinstance(owner, ob.SplatOp):
        op = ob.SplatOp(owner.operand, (rows,))
    elif isinstance(owner, ob.ConstantOp):
        op = ob.ConstantOp(owner.value.value.data, ob.BlockType((rows,), value.type.element_type))
    else:
        return None, []
    op.location = owner.location
    return op.results[0], [op]


def _erase(op: Operation) -> None:
    op.detach()
    op.erase()


def _columns_as_rows(block: Block, kind: _Kinds) -> None:
    """Element-wise work on [R, 1] blocks of data one value a row (``s[:, None] + 1``,
    a ``keep_dims`` reduction divided by N) done on the 1-D values and expanded after
    (``(s + 1)[:, None]``), so that a row loop sees one scalar a row computed before
    its splat across the row. (Index and pointer blocks are left as they are, but for
    what is computed from the row index beyond them: `_computed`.)"""
    for op in list(block.ops):
        if not isinstance(op, (*_ELEMENTWISE, ob.AddPtrOp)) or not _is_2d(op.results[0]):
            continue
        dims = op.results[0].type.dims
        computed = _computed(op.results[0], kind)  # (`(offs_m % 3)[:, None] * 10`)
        if dims[1] == 1 and (computed or kind(op.results[0]) == DATA
                             and not isinstance(op, ob.AddPtrOp)):
            axis, length = 1, dims[0]
        elif dims[0] == 1 and computed:  # (`(offs_n // 4)[None, :] * 10`: a 1-D block)
            axis, length = 0, dims[1]
        else:
            continue
        operands, new_ops = [], []
        for operand in op.operands:
            row_value, made = _as_rows(operand, length, axis)
            if row_value is None:
                break
            operands.append(row_value)
            new_ops += made
        else:
            flat = _on_rows(op, operands)
            expand = ob.ExpandDimsOp(flat.results[0], axis)
            for new in (*new_ops, flat, expand):
                new.location = op.location
            block.insert_ops_before([*new_ops, flat, expand], op)
            op.results[0].replace_all_uses_with(expand.results[0])
            old = list(op.operands)
            _erase(op)
            for value in old:  # (the [R, 1] operands nothing else reads)
                ob.erase_if_unused(value, _erase)


@dataclass(frozen=True)
class SplitRowsPass(ModulePass):
    """2-D element-wise loads, arithmetic and stores -> a loop over 1-D rows."""

    name = "split-rows"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        splitter = _Splitter()
        blocks = [block for inner in op.walk() for region in inner.regions
                  for block in region.blocks]
        for block in blocks:
            for load in [candidate for candidate in block.ops
                         if isinstance(candidate, ob.LoadOp) and _is_2d(candidate.result)
                         and not list(candidate.result.uses)]:
                _erase(load)  # never used: not loaded (as an unused 1-D block is not)
            _columns_as_rows(block, splitter.kind)
            for component in splitter.components(block):
                splitter.split(component)
