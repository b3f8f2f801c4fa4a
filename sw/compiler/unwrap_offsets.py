"""`unwrap-edge-rows`: Triton's `offs % M` (or clamp) in load addresses becomes a mask.

Triton's matmul tutorial computes an edge program's row offsets as
`(pid_m * BLOCK_M + tl.arange(0, BLOCK_M)) % M`: rows past M wrap back into the matrix,
so the loads need no row mask, and what those rows load is never stored (the store's
mask is `offs_cm < M`, of the unwrapped offsets). OxCore's code generator needs
addresses affine in the element index, which `%` is not. The wrapped rows being dead,
the loads may as well read nothing there: this pass puts `x` where the addresses had
`x % n` and masks those loads with `x < n` (rows a mask turns off cost nothing on the
engines). Live rows read what they read before: `x % n == x` for -n < x < n (an
offset at or below -n reads outside the matrix either way). Tutorial 09's persistent
matmul clamps instead, `tl.where(x < n, x, 0)`: the same idiom here (live rows read x).

It rewrites only what it can prove, in two walks from each edge idiom on a 1-D index
block with a uniform bound:

1. *Addresses*: the remainder reaches nothing but load pointers (through index
   arithmetic, `expand_dims`, `broadcast`, `trans`, `addptr` and loop-carried
   pointers). Otherwise it is left alone (the code generator's error at the `%` says
   what to write).
2. *Dead rows*: what those loads give along the wrapped dimension (past n: the rows
   they no longer read) flows, through element-wise ops, `dot` (A's rows are the
   result's rows, B's columns its columns), reductions along another axis and loops,
   only into stores whose mask has the conjunct `x < n` on that dimension (`_same`:
   the same computation). Anything else (a reduction across the rows, an address, a
   scalar, a store without the bound, a value carried to the next iteration of a loop
   whose body computes x) is a CompileError at the `%` naming where the rows went.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.ir import BlockArgument, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import is_side_effect_free

from oxcore.errors import CompileError
from sw.compiler import dialect as ob

#: Dimensions of a value whose index past a wrap's bound is junk, each with the wrap
#: (its position in the pass's list) that bounds it.
_Taint = frozenset[tuple[int, int]]

#: Element-wise ops whose operands may be exchanged.
_COMMUTATIVE = (ob.AddOp, ob.MulOp, ob.AndOp, ob.OrOp, ob.XorOp, ob.MaxOp, ob.MinOp,
                arith.AddiOp, arith.MuliOp)

#: Ops through which an index block stays an index block (its dimensions as they were).
_INDEX_ARITHMETIC = (ob.AddOp, ob.SubOp, ob.MulOp, ob.ShlOp, ob.AddPtrOp)


@dataclass(frozen=True)
class _Wrap:
    """One edge idiom found in load addresses, `x % n` or `tl.where(x < n, x, c)`
    (`edge`: that op): x, n, and the loads it reaches, each with the dimensions of the
    load that x indexes."""

    edge: ob.RemOp | ob.SelectOp
    index: SSAValue
    bound: SSAValue | int
    loads: dict[ob.LoadOp, frozenset[int]]

    @property
    def idiom(self) -> str:
        return "`%` of an index block (Triton's `offs % M`" if isinstance(
            self.edge, ob.RemOp) else ("`tl.where(offs < M, offs, c)` of an index block "
                                     "(Triton's clamp")


class _Escape(Exception):
    """Junk rows (of the wraps `junk` names) reach `op`: what cannot be proved dead."""

    def __init__(self, op: Operation, what: str, junk: _Taint) -> None:
        super().__init__(what)
        self.op, self.what, self.wrap = op, what, min(k for _, k in junk)


@dataclass(frozen=True)
class UnwrapEdgeRowsPass(ModulePass):
    """`x % n` on load addresses -> `x`, the loads masked by `x < n` (module doc)."""

    name = "unwrap-edge-rows"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        wraps = [wrap for edge in op.walk() if isinstance(edge, (ob.RemOp, ob.SelectOp))
                 if (wrap := _address_wrap(edge)) is not None]
        if not wraps:
            return
        try:
            _check_dead_rows(wraps)
        except _Escape as escape:
            raise _escape_error(wraps, escape) from None
        _unwrap(wraps)


# -- walk 1: the remainder as an address --

def _edge_idiom(op: ob.RemOp | ob.SelectOp) -> tuple[SSAValue, SSAValue | int] | None:
    """(x, n) of `x % n` (n uniform) or `tl.where(x < n, x, c)` (c uniform: rows past n
    read row c) on a 1-D block; None for any other op."""
    if len(op.results[0].type.dims) != 1:
        return None
    if isinstance(op, ob.RemOp):
        bound = _uniform(op.rhs)
        return None if bound is None else (op.lhs, bound)
    found = _row_bound(op.condition, 0)
    if found is None or _uniform(op.if_false) is None or not _same(found[0], op.if_true):
        return None
    return op.if_true, found[1]


def _address_wrap(edge: ob.RemOp | ob.SelectOp) -> _Wrap | None:
    """`edge` (an edge idiom's op) as a wrap of load addresses, or None if it is anything
    else."""
    idiom = _edge_idiom(edge)
    if idiom is None:
        return None
    dims: dict[SSAValue, frozenset[int]] = {}
    loads: dict[ob.LoadOp, frozenset[int]] = {}
    work = [(edge.result, frozenset({0}))]
    while work:
        value, new = work.pop()
        known = _grow(dims, value, new)
        if known is None:
            continue
        for use in list(value.uses):
            user = use.operation
            if isinstance(user, ob.LoadOp) and user.ptr is value:
                loads[user] = loads.get(user, frozenset()) | known
                continue
            if isinstance(user, _INDEX_ARITHMETIC):
                mapped = known
            elif isinstance(user, (ob.ExpandDimsOp, ob.BroadcastOp, ob.TransOp)):
                mapped = _mapped(user, known)
            elif isinstance(user, (scf.ForOp, scf.YieldOp)):
                carried = _carried(use)
                if carried is None or _inside_loop(edge, use):
                    return None  # (a pointer made in a loop, carried to its next
                    # iteration: the mask there would be the next iteration's x)
                work += [(v, known) for v in carried]
                continue
            else:
                return None
            if mapped is None:
                return None
            work.append((user.results[0], mapped))
    if not loads or not all(_dominates(edge, load) for load in loads):
        return None
    return _Wrap(edge, *idiom, loads)


def _grow(facts: dict[SSAValue, frozenset], value: SSAValue, new: frozenset
          ) -> frozenset | None:
    """`facts[value]` with `new` added (both walks' worklist step); None if it held them
    all already, so that there is nothing new to pass on."""
    known = facts.get(value, frozenset())
    if new <= known:
        return None
    facts[value] = known | new
    return facts[value]


def _mapped(op: Operation, dims: frozenset[int]) -> frozenset[int] | None:
    """`dims` of a shape op's operand as dimensions of its result; None if a dimension
    does not keep its elements (a broadcast of a size-1 dimension)."""
    if isinstance(op, ob.ExpandDimsOp):
        axis = op.axis.value.data
        return frozenset(d + (d >= axis) for d in dims)
    if isinstance(op, ob.TransOp):
        return frozenset(1 - d for d in dims)
    source, result = op.operands[0].type.dims, op.results[0].type.dims  # broadcast
    return None if any(source[d] != result[d] for d in dims) else dims


def _carried(use) -> list[SSAValue] | None:
    """What a loop's init or yield operand becomes: the body's argument and the loop's
    result (an `if`'s yield: its result); None for a bound or step."""
    user = use.operation
    if isinstance(user, scf.ForOp):
        if use.index < 3:
            return None
        i = use.index - 3
        return [user.body.block.args[i + 1], user.results[i]]
    parent = user.parent_op()
    if isinstance(parent, scf.ForOp):
        return [parent.body.block.args[use.index + 1], parent.results[use.index]]
    if isinstance(parent, scf.IfOp):
        return [parent.results[use.index]]
    return None


def _dominates(edge: Operation, load: ob.LoadOp) -> bool:
    """Whether the edge idiom's operands are visible at the load (the load lies after
    it in its block, or in a region nested there)."""
    op: Operation | None = load
    while op is not None:
        if op.parent_block() is edge.parent_block():
            return op is not edge and edge.is_before_in_block(op)
        op = op.parent_op()
    return False


def _inside_loop(edge: Operation, use) -> bool:
    """Whether `use` (a loop's init or yield operand) carries a value to a loop whose
    body computes `edge`: each iteration has an x of its own, and the value carried
    holds the one before's."""
    user = use.operation
    loop = user if isinstance(user, scf.ForOp) else user.parent_op()
    return loop is not None and loop.is_ancestor(edge)


# -- walk 2: the rows the loads no longer read are dead --

def _check_dead_rows(wraps: list[_Wrap]) -> None:
    """Raises _Escape where junk rows reach anything but a store bounded on them."""
    taint: dict[SSAValue, _Taint] = {}
    work: list[tuple[SSAValue, _Taint]] = [
        (load.result, frozenset((d, k) for d in dims))
        for k, wrap in enumerate(wraps) for load, dims in wrap.loads.items()]
    while work:
        value, new = work.pop()
        known = _grow(taint, value, new)
        if known is not None:
            for use in list(value.uses):
                work += _propagate(use, known, wraps)


def _propagate(use, junk: _Taint, wraps: list[_Wrap]) -> Iterator[tuple[SSAValue, _Taint]]:
    """Where junk on `use`'s operand goes (the values it reaches, with their taint)."""
    user = use.operation
    if isinstance(user, ob.StoreOp):
        _check_store(user, junk, wraps)
        return
    if isinstance(user, (scf.ForOp, scf.YieldOp)):
        carried = _carried(use)
        if carried is None:
            what = "a loop bound" if isinstance(user, scf.ForOp) else \
                f"a value '{user.parent_op().name}' carries"
            raise _Escape(user, what, junk)
        if any(_inside_loop(wraps[k].edge, use) for _, k in junk):
            raise _Escape(user, "the next iteration of the loop that computes them (a "
                          "carried value: the bound there is the next iteration's)", junk)
        yield from ((v, junk) for v in carried)
        return
    if isinstance(user, ob.DotOp):
        yield user.result, _through_dot(user, use.index, junk)
        return
    if isinstance(user, ob.ReduceOp):
        axis = user.axis.value.data
        if any(d == axis for d, _ in junk):
            raise _Escape(user, "a reduction across them", junk)
        yield user.result, frozenset((d - (d > axis), k) for d, k in junk)
        return
    if isinstance(user, (ob.ExpandDimsOp, ob.BroadcastOp, ob.TransOp)):
        mapped = {(d2, k) for d, k in junk for d2 in _mapped(user, frozenset({d})) or ()}
        if len(mapped) != len(junk):
            raise _Escape(user, "a broadcast", junk)
        yield user.results[0], frozenset(mapped)
        return
    if isinstance(user, ob.AddPtrOp):
        raise _Escape(user, "an address", junk)
    if isinstance(user, (ob.ElementwiseBinaryOp, ob.CmpOp, ob.SelectOp, ob.CastOp,
                         ob.RequantizeOp, ob.LoadOp)) \
            and isinstance(user.results[0].type, ob.BlockType):
        yield user.results[0], junk  # element-wise: each element from its own
        return
    raise _Escape(user, f"'{user.name}'", junk)


def _through_dot(dot: ob.DotOp, operand: int, junk: _Taint) -> _Taint:
    """A's rows are the result's rows and B's columns its columns; junk along K (A's
    columns, B's rows) would reach every element."""
    if operand == 2:
        return junk
    along_k = 1 if operand == 0 else 0
    if any(d == along_k for d, _ in junk):
        raise _Escape(dot, "tl.dot's K dimension", junk)
    return junk


def _check_store(store: ob.StoreOp, junk: _Taint, wraps: list[_Wrap]) -> None:
    """The store's mask bounds every junk dimension by its wrap's `x < n`."""
    bounds = set()
    if store.mask is not None:
        for conjunct in _conjuncts(store.mask):
            for dim in range(len(conjunct.type.dims)):
                found = _row_bound(conjunct, dim)
                if found is not None:
                    bounds.add((dim, found))
    for dim, k in junk:
        wrap = wraps[k]
        if not any(d == dim and _same(x, wrap.index) and _same_bound(n, wrap.bound)
                   for d, (x, n) in bounds):
            raise _Escape(store, "a store whose mask does not bound them (`... & "
                          f"({_index_text(dim, len(store.value.type.dims))} < "
                          f"{_bound_text(wrap.bound)})`)", frozenset({(dim, k)}))


def _conjuncts(mask: SSAValue) -> Iterator[SSAValue]:
    owner = mask.owner
    if isinstance(owner, ob.AndOp):
        yield from _conjuncts(owner.lhs)
        yield from _conjuncts(owner.rhs)
    else:
        yield mask


def _row_bound(mask: SSAValue, dim: int) -> tuple[SSAValue, SSAValue | int] | None:
    """(x, n) if `mask` is `x < n` along `dim` (x a 1-D block spread over the other
    dimensions, n uniform), else None."""
    while isinstance(mask.owner, (ob.ExpandDimsOp, ob.BroadcastOp, ob.TransOp)):
        dim = _source_dim(mask.owner, dim)
        if dim is None:
            return None
        mask = mask.owner.operands[0]
    cmp = mask.owner
    if not isinstance(cmp, ob.CmpOp) or cmp.predicate.data not in ("lt", "gt"):
        return None
    index, bound = (cmp.lhs, cmp.rhs) if cmp.predicate.data == "lt" else (cmp.rhs, cmp.lhs)
    x, n = _along(index, dim), _uniform(bound)
    return None if x is None or n is None else (x, n)


def _source_dim(op: Operation, dim: int) -> int | None:
    """The operand's dimension that `dim` of a shape op's result comes from."""
    if isinstance(op, ob.ExpandDimsOp):
        axis = op.axis.value.data
        return None if dim == axis else dim - (dim > axis)
    if isinstance(op, ob.TransOp):
        return 1 - dim
    source, result = op.operands[0].type.dims, op.results[0].type.dims  # broadcast
    return dim if source[dim] == result[dim] else None


def _along(value: SSAValue, dim: int) -> SSAValue | None:
    """The 1-D block `value` is, along `dim`, when it is that block spread over its
    other dimensions."""
    while len(value.type.dims) > 1:
        if not isinstance(value.owner, (ob.ExpandDimsOp, ob.BroadcastOp, ob.TransOp)):
            return None
        dim = _source_dim(value.owner, dim)
        if dim is None:
            return None
        value = value.owner.operands[0]
    return value if dim == 0 else None


def _uniform(value: SSAValue) -> SSAValue | int | None:
    """The scalar every element of `value` is (an SSA scalar or a constant)."""
    while isinstance(value.owner, (ob.ExpandDimsOp, ob.BroadcastOp)):
        value = value.owner.operands[0]
    owner = value.owner
    if isinstance(owner, ob.ConstantOp):
        return owner.value.value.data
    if isinstance(owner, ob.SplatOp):
        source = owner.operand
        if isinstance(source.owner, arith.ConstantOp) \
                and isinstance(source.owner.value, IntegerAttr):
            return source.owner.value.value.data
        return source
    return None


def _same_bound(a: SSAValue | int, b: SSAValue | int) -> bool:
    return a == b if isinstance(a, int) or isinstance(b, int) else _same(a, b)


def _same(a: SSAValue, b: SSAValue, depth: int = 0) -> bool:
    """Whether two values are the same computation: the front end writes `offs_cm`'s
    `pid_m * BLOCK_M + tl.arange(...)` again rather than reusing `offs_am`'s. Ops
    without side effects (a division is one, though not speculatable: the same operands
    give the same quotient), operands in order or exchanged where that commutes, and a
    counter stepped alike with a loop's induction variable (`induction_variable`)."""
    if a is b:
        return True
    induction = induction_variable(a)
    if induction is not None and induction is induction_variable(b):
        return True
    if depth > 64 or not isinstance(a, OpResult) or not isinstance(b, OpResult):
        return False
    x, y = a.op, b.op
    if not (type(x) is type(y) and a.index == b.index and is_side_effect_free(x)
            and not x.regions and a.type == b.type
            and x.properties == y.properties and x.attributes == y.attributes
            and len(x.operands) == len(y.operands)):
        return False
    orders = [y.operands]
    if isinstance(x, _COMMUTATIVE):  # (`arange + pid * B` and `pid * B + arange`)
        orders.append(y.operands[::-1])
    return any(all(_same(p, q, depth + 1) for p, q in zip(x.operands, order))
               for order in orders)


def induction_variable(value: SSAValue) -> SSAValue | None:
    """The `for` loop's induction variable `value` always equals: itself, or a counter
    the loop carries and steps by the loop's step before its uses, from the lower bound
    minus that step (Triton's persistent matmul recomputes its tile's ids for the store
    from `tile_id_c += NUM_SMS`, started at `start_pid - NUM_SMS`, beside `tile_id`)."""
    if isinstance(value, BlockArgument):
        loop = value.owner.parent_op()
        return value if isinstance(loop, scf.ForOp) and value.index == 0 else None
    step = value.owner
    if not isinstance(step, arith.AddiOp):
        return None
    for counter, amount in ((step.lhs, step.rhs), (step.rhs, step.lhs)):
        if not isinstance(counter, BlockArgument) or counter.index == 0:
            continue
        loop = counter.owner.parent_op()
        if not isinstance(loop, scf.ForOp):
            continue
        position = counter.index - 1
        start = loop.iter_args[position]
        if loop.body.block.last_op.operands[position] is not value \
                or not _same(amount, loop.step) or not isinstance(start.owner, arith.SubiOp) \
                or not _same(start.owner.lhs, loop.lb) or not _same(start.owner.rhs, amount):
            continue
        return loop.body.block.args[0]
    return None


# -- the rewrite --

def _unwrap(wraps: list[_Wrap]) -> None:
    """Each load masked by `x < n` along the dimensions each wrap reaching it indexes
    (one load may have two: `(rows % M)[:, None]` and `(cols % N)[None, :]`), then
    `x` for each `x % n`."""
    bounds: dict[ob.LoadOp, list[tuple[_Wrap, int]]] = {}
    for wrap in wraps:
        for load, dims in wrap.loads.items():
            bounds.setdefault(load, []).extend((wrap, dim) for dim in sorted(dims))
    for load, wrapped in bounds.items():
        mask = load.mask
        for wrap, dim in wrapped:
            bound = _bound_mask(load, wrap, dim)
            if mask is None:
                mask = bound
            else:
                both = ob.AndOp(mask, bound)
                _insert_before(load, both)
                mask = both.result
        masked = ob.LoadOp(load.ptr, mask, load.other)
        _insert_before(load, masked)
        load.result.replace_all_uses_with(masked.result)
        Rewriter.erase_op(load)
    for wrap in wraps:
        wrap.edge.results[0].replace_all_uses_with(wrap.index)
        Rewriter.erase_op(wrap.edge)


def _bound_mask(load: ob.LoadOp, wrap: _Wrap, dim: int) -> SSAValue:
    """`x < n` along `dim` of the load's shape, built before the load."""
    shape = load.result.type.dims
    index: SSAValue = wrap.index
    ops: list[Operation] = []
    if len(shape) == 2:
        ops.append(ob.ExpandDimsOp(index, 1 - dim))
        index = ops[-1].results[0]
    bound = wrap.bound
    if isinstance(bound, int):
        ops.append(ob.ConstantOp(bound, index.type))
    else:
        ops.append(ob.SplatOp(bound, index.type.dims))
    ops.append(ob.CmpOp("lt", index, ops[-1].results[0]))
    if tuple(index.type.dims) != tuple(shape):
        ops.append(ob.BroadcastOp(ops[-1].results[0], shape))
    for op in ops:
        _insert_before(load, op)
    return ops[-1].results[0]


def _insert_before(anchor: Operation, op: Operation) -> None:
    op.location = anchor.location
    Rewriter.insert_op(op, InsertPoint.before(anchor))


# -- the error --

def _escape_error(wraps: list[_Wrap], escape: _Escape) -> CompileError:
    where = ob.op_location(escape.op)
    line = f" (line {where[1]})" if where else ""
    wrap = wraps[escape.wrap]
    load, dims = next(iter(wrap.loads.items()))
    bound = f"{_index_text(min(dims), len(load.result.type.dims))} < {_bound_text(wrap.bound)}"
    path, row, col = ob.op_location(wrap.edge) or ("<ir>", 0, 0)
    return CompileError(
        f"{wrap.idiom}, keeping an edge program's rows "
        "inside the matrix): OxCore reads nothing for the rows past the bound "
        "instead, which needs what they load to be dead, but it reaches "
        f"{escape.what}{line}: mask the loads instead (`mask={bound}`)", path, row, col)


def _index_text(dim: int, rank: int) -> str:
    return "offs" if rank == 1 else ("offs[:, None]" if dim == 0 else "offs[None, :]")


def _bound_text(bound: SSAValue | int) -> str:
    return str(bound) if isinstance(bound, int) else (bound.name_hint or "n")

