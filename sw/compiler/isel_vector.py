"""Instruction selection for 1-D data blocks on the vector engine (RVV 1.0, Zve32x).

`Selector` (isel.py) delegates here whenever a handler meets a 1-D block that holds
data rather than indices, pointers or an index-bound mask: `tl.load` of a 1-D block,
element-wise arithmetic on loaded data, comparisons and `tl.where`, casts, `tl.store` of
such a block and `tl.sum`/`tl.max` of one.

**A data block is a lazy DAG** (`VecBlock`): the handlers build nodes and emit nothing.
Code is emitted for an *element-wise region* at once: the sinks (stores and reductions of
same-length 1-D blocks) collect in a pending region, which is flushed into machine code
when the walk meets an op that cannot be deferred past it (control flow, a scalar or
tile memory access, a use of a reduction's result, the end of a loop body or of the
kernel). Deferring is sound because the ops in between are pure scalar or index
arithmetic, which the region's code only reads. Seeing the whole region is what lets it
be strip-mined and software-pipelined as one loop, instead of op by op.

A load that follows a store of the pending region flushes it first (the region's code
loads each chunk before storing it). A data block is computed where its region is
emitted, from memory as it is then: one used again after a later region stored over its
source would be loaded anew (not supported: keep such a use in the same region).

**Registers.** Each value of the region lives in a vector register group holding one
*chunk* of E elements. E is the same for every value of the region, so `vl` is one
element count throughout; a value of SEW s takes LMUL = E * s / VLEN (a fraction for
the narrow side of a widening region), so changing SEW inside the region (int8 loaded,
widened to int32) is ``vsetvli zero, zero, e<s>, m<E*s/VLEN>``, which keeps vl, and
loads and stores need no vtype change at all (their EMUL = EEW * E / VLEN whatever
the vtype). E = VLEN * LMUL / SEW_max with LMUL chosen per region: the smallest LMUL
whose group holds the whole BLOCK when BLOCK fits one LMUL-8 group (one chunk, no
loop), else LMUL 8 if the region's values fit twice into v1..v31 (two register sets
for the software pipeline below), else 4, 2, 1. The region allocates its physical
vector registers itself (aligned groups, v0 kept for the `where` masks): its values
never outlive it, and an in-place update (``vadd.vv v8, v8, v16`` where the source
dies) is what makes two pipelined sets fit at LMUL 8 (vadd: x/sum in v8 or v16, y in
v24), which the general allocator cannot do (it never gives an engine instruction a
destination overlapping a source).

**Strip-mining.** A block larger than one chunk becomes a loop over chunks. The mask
``offsets < n`` (`Mask` with a bound on dimension 0) becomes the element count
``min(n - start, BLOCK)``: full chunks run at vl = VLMAX (one vsetvli before the loop),
the remainder at ``vsetvli rem`` (a block of one chunk of exactly VLMAX elements
skips the min: ``blez n - start``, then ``vsetvli`` clamps it, vl = min(AVL, VLMAX)
being OxCore's rule) -- no v0 mask, and masked-off elements are neither
loaded, computed nor stored, so a load's `other` does not matter for stores. A store's
data-dependent mask (``mask & (x > 0)``: the bound is still vl) is a "mask" node: the
comparison computed with the chunk's arithmetic into a register kept until the store,
and copied into v0 just before its ``vse ..., v0.t`` (a `tl.where` may have used v0 in
between). A load's data-dependent mask (``mask & (x > 0)``, x loaded) is computed into
v0 in the load's stage, after `other` is written into its destination: ``vle ...,
v0.t`` under a mask-undisturbed vtype (`_load_condition`). The steady state has no
vsetvli unless the region changes SEW (then ``vsetvli zero, ...``, which the engine's
issue stage runs without draining it: docs/vector.md). The engine issues in order to its
arithmetic and load/store sequencers, so a loop "load; compute; store" would leave the
memory port idle while each chunk computes. The loop is therefore software-pipelined
over two register sets A and B, as the hand-written kernels (`sw/kernels/rvv/vadd.S`):
``L(A) C(A) | loop: L(B) S(A) C(B) L(A) S(B) C(A)``: each chunk's loads go before the
previous chunk's stores, and its arithmetic runs in the arithmetic sequencer while the
load/store sequencer stores the previous chunk and loads the next. Values only the
arithmetic reads may share registers between the sets (the in-order issue waits for the
reader); the stored values and reduction accumulators may not. A region without stores
(a reduction) computes each chunk *after* the next chunk's loads,
``L(A) | loop: L(B) C(A) L(A) C(B)``, so that the load/store sequencer streams chunk
after chunk while the arithmetic one reduces the one before (otherwise each reduction
waits for its own load, and the next load for it); that needs each set's loads off
the other set's registers, else the region keeps the first order. With two sets the
two sequencers still take turns: a load waits for the reduction reading its set, the
next reduction (behind it in program order) for that load. So a region that only
reduces goes through *three* sets when they fit (`_ring_loop`): each chunk is loaded
two chunks ahead, its load issued right after the reduction of the chunk before it in
that set, and both sequencers stream.

**Reductions** accumulate in element 0 of a register (``vredsum.vs acc, x, acc``,
vredmax/vredmaxu), started at the identity, read with vmv.x.s after the loop. Each
register set has an accumulator of its own, combined at the end (``vadd.vv``/``vmax.vv``
at vl 1): a reduction reading the accumulator the one just before wrote would wait
for that one's write (the engine's back end) with the in-order issue held. When the
count can be below BLOCK, the masked-off elements' contribution is added in scalar code:
their value is known at compile time from the loads' `other` (evaluated through the
DAG): ``sum += c * (BLOCK - count)``, ``max = max(max, c)`` if any is masked off.

**Widening forms** fold a doubling sign-extension into the instruction that uses it:
``a.to(2s) * b.to(2s)`` of s-bit blocks is ``vwmul.vv`` at SEW s (node "wmul"), and
``tl.sum`` of a doubling extension is ``vwredsum.vs`` of its source (`_Sink.widened`;
the int32 accumulator is set and read at vl 1, LMUL 1, since at the region's E its
SEW may need more than LMUL 8). The extension's own pass (``vsext``) disappears, and
the region's widest SEW, which sets E, can drop (matvec's int8 row: e16, not e32).
``tl.sum`` of an int8 block extended to int32 (`_Sink.quad`) takes two: ``vwredsum.vs``
at e8 sums the chunk into an int16 partial (exact, since a chunk is kept to at most
256 elements: 256 x -128 = -32768), and ``vwredsum.vs`` at e16, vl 1, adds it to the
int32 accumulator; both passes go at the int8 rate, where ``vsext.vf4`` and
``vredsum`` at e32 made two passes at a quarter of it (reduce_sum at 4K elements:
2,502 -> 428 cycles). In a ring each set has its partial, and a chunk's partial is
added one chunk late (after the next chunk's load), when its reduction has long
written it. Work on element 0 alone (the accumulators' starts, the vl-1 fold, the
final combine) runs at vl 1 and the smallest LMUL for its SEW (mf4 at e8, mf2 at
e16): the engine passes over a group register by register (a reduction over vl's beats
only), and that is one register, where the region's LMUL 8 would be eight.

Pointers are `Affine`: a unit coefficient equal to the element size gives unit-stride
``vle<eew>.v``/``vse<eew>.v``, any other constant or scalar one ``vlse``/``vsse``.
Operations pick ``.vi`` (a 5-bit immediate) or ``.vx`` (a scalar register: splats are
never materialised unless both operands are uniform) before ``.vv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from xdsl.ir import Operation, SSAValue

from sw.compiler import dialect as ob
from sw.compiler.mir import PReg, Text, VReg, ZERO

if TYPE_CHECKING:
    from sw.compiler.isel import Scalar

SEW_OF = {"i8": 8, "u8": 8, "i16": 16, "i32": 32, "i1": 0}
SIGNED_MIN = {"i8": -128, "i16": -32768, "i32": -(1 << 31), "u8": 0}
SIGNED_MAX = {"i8": 127, "i16": 32767, "i32": (1 << 31) - 1, "u8": 255}
NO_MASK = Text("")
QUAD_CHUNK = 256  # int8 elements whose sum int16 holds exactly (256 x -128 = -32768)
_COMMUTATIVE = {"add", "mul", "and", "or", "xor", "max", "min"}
_VI_FORMS = {"add", "and", "or", "xor", "shl", "shr"}  # vadd.vi ... vsll.vi, vsr*.vi
_FLIP = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}
_NEGATE = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt", "eq": "ne", "ne": "eq"}


@dataclass(eq=False)
class VecBlock:
    """A 1-D data block: a node of the region's element-wise DAG, selected lazily.

    kinds: "load" (ptr, bound, other), "uniform" (value: a scalar every element has),
    "index" (value: an `Affine` index block used as data), "binary" (name), "cmp"
    (name: the predicate; an i1 mask), "bound" (i < value: an index-bound mask used as
    data), "select", "cast", "materialize" (a uniform written into a register),
    "carried" (value: the base of a register group of its own: a loop-carried block, or
    with name "if" a block an `if` produces, defined below `bound` when `masked`, with
    `other` past it if known)."""

    kind: str
    length: int
    element: str
    args: tuple["VecBlock", ...] = ()
    name: str = ""
    value: object = None
    ptr: object = None
    bound: object = None
    masked: bool = False
    other: object = None
    op: Operation | None = None
    # a load: how many element-wise stores had been emitted when it was selected
    # (`VectorSelection._check_reloads`)
    stores_before: int = 0
    # an `if`'s block: the loop-carried block whose elements it has past its bound
    # (`VectorSelection._keeps`)
    keeps: "VecBlock | None" = None

    @property
    def sew(self) -> int:
        return SEW_OF[self.element]


@dataclass
class _Sink:
    kind: str  # "store" or "reduce"
    node: VecBlock
    op: Operation
    ptr: object = None  # store: the Affine pointer
    masked: bool = False
    bound: object = None
    reduction: str = ""  # "sum" / "max" / "min"
    result: VReg | None = None
    widened: bool = False  # a sum of a sign-extension by 2x: vwredsum of its source
    data_mask: VecBlock | None = None  # store: a "mask" node, v0 for a masked vse
    target: VecBlock | None = None  # carry: the "carried" node whose registers it writes
    quad: bool = False  # a sum of an int8 block sign-extended to int32: two vwredsums
    # a row loop's reduction stored a row at a time (`_row_loop`): the pointer register
    # at the first row and its step a row
    row_store: tuple | None = None

    @property
    def operand(self) -> VecBlock:
        """The node whose register the sink reads."""
        return self.node.args[0] if self.widened or self.quad else self.node


@dataclass
class _Region:
    length: int
    sinks: list[_Sink] = field(default_factory=list)


@dataclass
class RowStrip:
    """split-rows' row loop selected as one strip loop whose chunks are its rows
    (`Selector._rows_as_strips`, `VectorSelection._row_loop`): while it is set, a row
    of a mask is its column bound alone and the region's pointers step by a row."""

    rows: object  # how many rows the loop runs (the rows the mask turns on): a scalar
    emitted: bool = False  # (its one region)


class RowsDoNotFit(Exception):
    """A row loop taken as a strip loop (`RowStrip`) whose row is not one chunk of a
    register set: it is selected as any loop instead."""


class NoRegisters(Exception):
    """The region's values do not fit the vector registers at this LMUL."""


# --- physical vector register allocation for one region ------------------------------

class _Pool:
    """Free physical vector registers v1..v31 (v0 is the mask register)."""

    def __init__(self, reserved: set[int]) -> None:
        self.used = set(reserved) | {0}

    def take(self, group: int, avoid: set[int] = frozenset()) -> int:
        candidates = [base for base in range(0, 32, group)
                      if not any(r in self.used for r in range(base, base + group))]
        if not candidates:
            raise NoRegisters
        preferred = [b for b in candidates
                     if not any(r in avoid for r in range(b, b + group))]
        base = (preferred or candidates)[0]
        self.used.update(range(base, base + group))
        return base

    def free(self, base: int, group: int) -> None:
        self.used.difference_update(range(base, base + group))


@dataclass
class _Plan:
    """One register set's allocation: a base register per node, temporaries per step."""

    regs: dict[int, int] = field(default_factory=dict)  # id(node) -> base register
    temps: dict[int, list[int]] = field(default_factory=dict)  # id(node) -> temps
    written: set[int] = field(default_factory=set)
    stored: set[int] = field(default_factory=set)
    loaded: set[int] = field(default_factory=set)


class VectorSelection:
    """Mixin for `Selector`: 1-D data blocks on the vector engine."""

    # -- state --

    def _init_vector(self) -> None:
        self._region: _Region | None = None
        self._pending_results: set[int] = set()  # id() of reduction results not yet computed
        self._vsew: int | None = None  # the SEW the vtype holds at this point of emission
        self._mask_policy = "ma"  # (the region's: `_vtype`)
        self._velems = 0  # E of the region being emitted
        # loop-carried 1-D data blocks: (base, group) of the registers each holds, kept
        # out of every region's allocation (`carry_into_loop`)
        self._carried_groups: list[tuple[int, int]] = []
        # id() of the loop-carried blocks whose start has been written (`_check_carry`)
        self._started: set[int] = set()
        # id() of an `if`'s block -> its sides' (bound, value) as their regions are
        # emitted (`_define_chosen`)
        self._chosen_sides: dict[int, list[tuple[object, VecBlock]]] = {}
        # the `if` results held in register groups: (result, (base, group)), released
        # once dead (`_release_dead_if_blocks`)
        self._if_groups: list[tuple[SSAValue, tuple[int, int]]] = []
        self._visited_order = -1  # the kernel-order index of the last op visited
        # the element-wise stores emitted so far, in order, with their pointer blocks
        # and lengths (`_check_reloads`)
        self._stored: list[tuple[ob.StoreOp, object, int]] = []
        # a row's column bound (Selector.op_row) -> the bound it gates: it is that or 0
        self._row_gates: dict[VReg, object] = {}
        self._row_strip: RowStrip | None = None
        self._fixed_regs: dict[int, int] = {}  # id(load) -> its register, all sets'
        self._disjoint_sets = False  # (the last allocation's sets share no register)
        self._hoisted: set[int] = set()  # id() of the loads a row loop loads once

    def vector_pending(self) -> bool:
        return self._region is not None

    def defers(self, op: Operation) -> bool:
        """Whether `op` may be selected before the pending region's code (it only reads
        scalars, builds index forms or adds to the region)."""
        for operand in op.operands:
            form = self.forms.get(operand)
            if isinstance(form, VReg) and id(form) in self._pending_results:
                return False
        if op.name.startswith("arith."):
            return True
        if not op.name.startswith("oxcore_block."):
            return False
        if isinstance(op, ob.DotOp):
            return False
        if isinstance(op, ob.LoadOp):  # after a store of the region: memory order
            return _is_1d_block(op.result.type) and \
                not any(sink.kind == "store" for sink in self._region.sinks)
        if isinstance(op, ob.StoreOp):
            return _is_1d_block(op.value.type)
        return True

    # -- forms --

    def is_data(self, op: Operation) -> bool:
        """An op that computes on data: an operand is a data block."""
        return any(isinstance(self.forms.get(v), VecBlock) for v in op.operands)

    def vec(self, value: SSAValue) -> VecBlock:
        """The DAG node of a block operand (index blocks and masks become nodes too)."""
        from sw.compiler.isel import Affine, Mask, _element_name
        form = self.forms[value]
        if isinstance(form, VecBlock):
            return form
        type_ = value.type
        if not _is_1d_block(type_):
            shape = ob.shape_text(type_.dims) if isinstance(type_, ob.BlockType) else "()"
            raise self.error(f"only 1-D data blocks are supported on the vector engine yet "
                             f"(this block has shape {shape})")
        length = type_.dims[0]
        element = _element_name(type_.element_type)
        if isinstance(form, Affine):
            if form.is_pointer:
                raise self.error("a block of pointers cannot be used as data")
            if not form.terms:
                return VecBlock("uniform", length, element, value=form.base)
            return VecBlock("index", length, element, value=form)
        if isinstance(form, Mask):
            if 0 not in form.bounds:
                raise self.error("this mask does not bound the block's index")
            return VecBlock("bound", length, "i1", value=form.bounds[0])
        raise self.error(f"a {type(form).__name__} cannot be used as a 1-D data block")

    def _result_element(self, op: Operation) -> tuple[int, str]:
        from sw.compiler.isel import _element_name
        type_ = op.results[0].type
        if not _is_1d_block(type_):
            raise self.error("only 1-D data blocks are supported on the vector engine yet "
                             f"(this block has shape {ob.shape_text(type_.dims)})")
        return type_.dims[0], _element_name(type_.element_type)

    # -- handlers (called by Selector's handlers for data, or directly) --

    def vector_binary(self, op: Operation, name: str) -> None:
        length, element = self._result_element(op)
        a, b = self.vec(op.operands[0]), self.vec(op.operands[1])
        if element == "i1" and name not in ("and", "or", "xor"):
            raise self.error(f"'{name}' of masks is not supported (use &, |, ^)")
        if a.kind == "uniform" and b.kind == "uniform" and element != "i1":
            from sw.compiler.isel import _c_div
            if isinstance(a.value, int) and isinstance(b.value, int):
                folds = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
                         "mul": lambda x, y: x * y, "and": lambda x, y: x & y,
                         "or": lambda x, y: x | y, "xor": lambda x, y: x ^ y,
                         "max": max, "min": min, "div": _c_div,
                         "rem": lambda x, y: x - _c_div(x, y) * y if y else x,
                         "shl": lambda x, y: x << (y & 31), "shr": lambda x, y: x >> (y & 31)}
                if name in folds and not (name in ("div", "rem") and element == "u8"):
                    self.forms[op.results[0]] = VecBlock(
                        "uniform", length, element, value=_wrap(folds[name](a.value, b.value),
                                                                element), op=op)
                    return
        if name == "mul" and _doubles(a) and _doubles(b) and \
                a.args[0].sew == b.args[0].sew and a.sew == SEW_OF[element]:
            # (a.to(2s) * b.to(2s)) of s-bit a, b: vwmul at SEW s, no extension pass
            self.forms[op.results[0]] = VecBlock("wmul", length, element,
                                                 (a.args[0], b.args[0]), name, op=op)
            return
        self.forms[op.results[0]] = VecBlock("binary", length, element, (a, b), name, op=op)

    def op_div(self, op: Operation) -> None:
        self.vector_binary(op, "div")

    def op_rem(self, op: Operation) -> None:
        self.vector_binary(op, "rem")

    def op_or(self, op: Operation) -> None:
        self.vector_binary(op, "or")

    def op_xor(self, op: Operation) -> None:
        self.vector_binary(op, "xor")

    def op_shl(self, op: Operation) -> None:
        self.vector_binary(op, "shl")

    def op_shr(self, op: Operation) -> None:
        self.vector_binary(op, "shr")

    def op_max(self, op: Operation) -> None:
        self.vector_binary(op, "max")

    def op_min(self, op: Operation) -> None:
        self.vector_binary(op, "min")

    def vector_cmp(self, op: ob.CmpOp) -> None:
        length, _ = self._result_element(op)
        a, b = self.vec(op.lhs), self.vec(op.rhs)
        if a.element == "i1":
            raise self.error("comparing masks is not supported (combine them with &, |, ^)")
        self.forms[op.result] = VecBlock("cmp", length, "i1", (a, b), op.predicate.data, op=op)

    def op_select(self, op: ob.SelectOp) -> None:
        length, element = self._result_element(op)
        cond = self.vec(op.condition)
        a, b = self.vec(op.if_true), self.vec(op.if_false)
        if element == "i1":
            raise self.error("tl.where on masks is not supported (use &, |)")
        self.forms[op.result] = VecBlock("select", length, element, (cond, a, b), op=op)

    def op_cast(self, op: ob.CastOp) -> None:
        length, element = self._result_element(op)
        source = self.vec(op.operand)
        if element == "i1":
            raise self.error("a cast to i1 is not supported (compare with != 0)")
        if source.kind == "uniform" and isinstance(source.value, int):
            value = source.value
            if source.element == "u8":
                value &= 0xFF
            self.forms[op.result] = VecBlock("uniform", length, element,
                                             value=_wrap(value, element), op=op)
            return
        if source.element == "i1":  # true is 1
            node = VecBlock("select", length, element,
                            (source, VecBlock("uniform", length, element, value=1),
                             VecBlock("uniform", length, element, value=0)), op=op)
        else:  # same width: a new view (in place when the source dies); else extend/narrow
            node = VecBlock("cast", length, element, (source,), op=op)
        self.forms[op.result] = node

    def op_reduce(self, op: ob.ReduceOp) -> None:
        source = self.vec(op.operand)
        if source.element == "i1":
            raise self.error("reducing a mask is not supported (cast it to an integer "
                             "type first)")
        if source.kind == "uniform":
            source = VecBlock("materialize", source.length, source.element, (source,), op=op)
        kind = op.kind.data
        result = self.new_x(f"{kind}")
        self._pending_results.add(id(result))
        widened = kind == "sum" and _doubles(source)  # vwredsum: no extension pass
        quad = kind == "sum" and _quadruples(source)  # two vwredsums: no extension pass
        self._add_sink(_Sink("reduce", source, op, reduction=kind, result=result,
                             widened=widened, quad=quad), source.length)
        self.forms[op.result] = result

    def vector_load(self, op: ob.LoadOp) -> None:
        from sw.compiler.isel import Mask
        length, element = self._result_element(op)
        ptr = self.affine(op.ptr)
        condition = None
        if op.mask is not None and not isinstance(self.forms[op.mask], Mask):
            bound, masked, condition = self._load_condition(op.mask)
        else:
            bound, masked = self._vector_mask(op.mask, "load")
        other = None
        if op.other is not None:
            other_form = self.forms[op.other]
            if isinstance(other_form, VecBlock):
                other = other_form.value if other_form.kind == "uniform" else None
            elif not isinstance(other_form, Mask):
                other = self.affine(op.other).base if not self.affine(op.other).terms else None
        elif masked or condition is not None:
            other = 0
        if condition is not None and other is None:
            raise self.error("a load masked by data needs `other` as a constant or a scalar "
                             "(the masked-off elements' value)", op)
        self.forms[op.result] = VecBlock("load", length, element,
                                         () if condition is None else (condition,),
                                         ptr=ptr, bound=bound, masked=masked, other=other,
                                         op=op, stores_before=len(self._stored))

    def _load_condition(self, value: SSAValue) -> tuple[object, bool, VecBlock]:
        """A load's mask that depends on data: its index bound (``offsets < n``, the
        region's element count, if any) and one comparison of a loaded block (``x > 0``),
        which the load's chunk computes into v0 before the masked load
        (`_stage_load`): the masked-off elements are not accessed and read `other`."""
        cond = self.vec(value)
        bounds, data = _conjuncts(cond)
        simple = len(data) == 1 and data[0].kind == "cmp" and all(
            a.kind in ("load", "uniform") for a in data[0].args)
        if len(bounds) > 1 or not simple:
            raise self.error("a load mask on the vector engine is an index bound (such as "
                             "offsets < n), one comparison of a loaded block with a "
                             "scalar or another loaded block (such as x > 0), or the two "
                             "joined by &", value.owner)
        return (bounds[0].value if bounds else None), bool(bounds), data[0]

    def vector_store(self, op: ob.StoreOp) -> None:
        node = self.vec(op.value)
        if node.element == "i1":
            raise self.error("storing a mask block is not supported (cast it to int8 first)")
        if node.kind == "uniform":
            node = VecBlock("materialize", node.length, node.element, (node,), op=op)
        ptr = self.affine(op.ptr)
        bound, masked, data = self._store_mask(op.mask)
        self._add_sink(_Sink("store", node, op, ptr=ptr, masked=masked, bound=bound,
                             data_mask=data), node.length)

    def _store_mask(self, value: SSAValue | None) -> tuple[object, bool, VecBlock | None]:
        """A store's mask: its index bound (``offsets < n``, the region's element count)
        and the rest, a data-dependent mask (``x > 0``; ``offsets < n & x > 0`` has
        both), as a "mask" node whose register the store copies into v0."""
        from sw.compiler.isel import Mask
        if value is None or isinstance(self.forms[value], Mask):
            return (*self._vector_mask(value, "store"), None)
        cond = self.vec(value)
        bounds, data = _conjuncts(cond)
        if len(bounds) > 1 or any(_has_bound(c) for c in data):
            raise self.error("a store mask on the vector engine is an index bound (such as "
                             "offsets < n), a data mask, or the two joined by &")
        if not data:
            return bounds[0].value, True, None
        if len(data) > 2:
            raise self.error("a store mask combining more than two comparisons is not "
                             "supported on the vector engine yet")
        joined = data[0] if len(data) == 1 else VecBlock("binary", cond.length, "i1",
                                                        tuple(data), "and", op=cond.op)
        mask = VecBlock("mask", cond.length, "i1", (joined,), op=value.owner)
        return (bounds[0].value if bounds else None), bool(bounds), mask

    def _vector_mask(self, value: SSAValue | None, what: str) -> tuple[object, bool]:
        from sw.compiler.isel import Mask
        if value is None:
            return None, False
        form = self.forms[value]
        if isinstance(form, Mask) and set(form.bounds) <= {0}:
            if 0 not in form.bounds:
                return None, False
            return form.bounds[0], True
        raise self.error(f"a {what} mask on the vector engine must bound the block's index "
                         f"(such as offsets < n): this mask is not of that form")

    # -- loop-carried data blocks --

    def carry_into_loop(self, init: SSAValue, op: Operation) -> VecBlock:
        """A 1-D data block carried through a loop (``acc = tl.zeros(...)`` then
        ``acc += tl.load(...)`` in the body): it lives in a register group of its own,
        reserved from here on (the top registers, aligned), written with its initial
        value now; the body's region updates it (`carry_at_yield`)."""
        start = self.vec(init)
        node = self._reserve_block(start.length, start.element, "a loop-carried block", op)
        self.flush_vector()
        self._add_sink(_Sink("carry", start, op, target=node), start.length)
        self.flush_vector()
        return node

    def block_of_if(self, length: int, element: str, op: Operation,
                    result: SSAValue) -> VecBlock:
        """A 1-D data block an `if` produces: a register group of its own, as a
        loop-carried block's, which each side's last region writes whole
        (`chosen_at_yield`). Where that region is masked (offsets < n), the block is
        defined below that bound only: every region that reads it must share the mask
        (`_region_bound`), and its masked-off elements have the sides' common fill value,
        if they have one (`_fill_value`)."""
        block = self._reserve_block(length, element, "a block an `if` produces", op,
                                    chosen=True)
        self._if_groups.append((result, self._carried_groups[-1]))
        return block

    def chosen_at_yield(self, value: SSAValue, block: VecBlock, op: Operation) -> None:
        """One side's value of an `if`'s block, written into its registers."""
        self._add_sink(_Sink("carry", self.vec(value), op, target=block), block.length)

    def _reserve_block(self, length: int, element: str, what: str, op: Operation,
                       chosen: bool = False) -> VecBlock:
        vlen = self._need_vector()
        if self._region is None:
            self._release_dead_if_blocks()
        bits = length * SEW_OF[element]
        if bits > 8 * vlen:
            raise self.error(f"{what} must fit one register group: {length} x "
                             f"{SEW_OF[element]} bits is more than 8 x VLEN ({8 * vlen} "
                             f"bits)", op)
        group = 1
        while group * vlen < bits:
            group *= 2
        used = self._carried_units()
        base = next((b for b in range(32 - group, 0, -group)
                     if not used & set(range(b, b + group))), None)
        if base is None or 31 - len(used) - group < 8:
            raise self.error("too many loop-carried blocks and blocks `if`s produce for the "
                             "vector registers (the regions need 8 of their own)", op)
        self._carried_groups.append((base, group))
        return VecBlock("carried", length, element, value=base, op=op,
                        name="if" if chosen else "")

    def carry_at_yield(self, value: SSAValue, carried: VecBlock, op: Operation) -> None:
        """The loop body's new value of a carried block, written into its registers by
        the body's last region."""
        self._add_sink(_Sink("carry", self.vec(value), op, target=carried), carried.length)

    def _carried_units(self) -> set[int]:
        return {u for b, g in self._carried_groups for u in range(b, b + g)}

    def _check_carry(self, region: _Region, nodes: list[VecBlock], bound: object) -> int | None:
        """The E a region touching carried blocks must run at (one chunk exactly their
        group's elements: their registers are read and written in place), or None. A
        masked region leaves the elements past its count alone, which is right only for
        ``acc = acc op x`` whose masked-off x is op's identity (0 for +, -, |, ^; the
        dtype's minimum for maximum, maximum for minimum)."""
        carried = [n for n in nodes if n.kind == "carried"] + \
            [s.target for s in region.sinks if s.kind == "carry"]
        if not carried:
            return None
        vlen = self._need_vector()
        sizes = {dict(self._carried_groups)[c.value] * vlen // c.sew for c in carried}
        if len(sizes) > 1:
            raise self.error("loop-carried blocks of different widths in one region are "
                             "not supported yet", region.sinks[0].op)
        for sink in region.sinks:
            if sink.kind == "carry" and sink.target.name == "if":
                self._define_chosen(sink, bound)
        if bound is not None:
            for sink in region.sinks:
                if sink.kind != "carry" or sink.target.name == "if":
                    continue
                target = sink.target
                if id(target) not in self._started:  # (its start, at the loop's entry)
                    if not self._identity_update(sink, bound):
                        # defined below the start's bound only, as an `if`'s block:
                        # every region that reads or updates it runs under that bound
                        target.masked, target.bound, target.other = True, bound, None
                elif target.masked and _same(target.bound, bound):
                    pass  # (its elements past the bound were never defined)
                elif not self._identity_update(sink, bound):
                    raise self.error(
                        "a carried block updated under a mask must be `acc = acc op x` (op "
                        "+, -, |, ^, maximum, minimum) with x's masked-off value (the "
                        "load's other) op's identity: the elements past the mask keep "
                        "their value (tl.sum or tl.max of a masked 2-D block along axis 0 "
                        "is that update, row by row: other=0 for tl.sum, the dtype's "
                        "minimum for tl.max, its maximum for tl.min)", sink.node.op or sink.op)
        self._started.update(id(s.target) for s in region.sinks if s.kind == "carry")
        return sizes.pop()

    def _define_chosen(self, sink: _Sink, bound: object) -> None:
        """An `if`'s side writes its block under `bound` (None: whole). Once both have:
        the block is defined below the sides' bound (a side without one is defined
        there too; two different bounds are an error), and past it it has the sides'
        common fill value, if they have one (`_fill_value`: a load's `other`, a
        uniform's value), else an unknown one."""
        block = sink.target
        sides = self._chosen_sides.setdefault(id(block), [])
        sides.append((bound, sink.node))
        if len(sides) < 2:
            return
        bounds = [b for b, _ in sides if b is not None]
        if len(bounds) == 2 and not _same(bounds[0], bounds[1]):
            raise self.error("the two sides of this `if` compute its block under different "
                             "masks: mask both as the same index bound (such as offsets < "
                             "n), or either side not at all", sink.node.op or sink.op)
        if not bounds:
            block.masked, block.bound, block.other = False, None, None
            return
        fills = {_fill_value(node, bounds[0]) for _, node in sides}
        block.masked, block.bound = True, bounds[0]
        block.other = fills.pop() if len(fills) == 1 else None
        block.keeps = self._keeps(sides, bounds[0])

    def _identity_update(self, sink: _Sink, bound: object) -> bool:
        """`sink` writes its carried block `acc = acc op x` under `bound` with x's
        masked-off value op's identity (so the elements past the bound keep theirs), or
        the block of an `if` whose every side is `acc` or such an update of it."""
        node, target = sink.node, sink.target
        if node.kind == "carried" and node.name == "if":
            return node.keeps is target and node.masked and _same(node.bound, bound)
        return _updates_in_place(node, target, bound)

    def _keeps(self, sides: list[tuple[object, VecBlock]], bound: object) -> VecBlock | None:
        """The loop-carried block whose elements past `bound` an `if`'s block has: one
        every side is, or updates as `acc = acc op x` with x's masked-off value op's
        identity (`_updates_in_place`), or keeps (a nested `if`'s block)."""
        kept = set()
        for _, node in sides:
            if node.kind == "carried" and node.name != "if":
                kept.add(id(node))
                found = node
            elif node.kind == "carried":  # (a nested `if`'s block that keeps one)
                if node.keeps is None or not (node.masked and _same(node.bound, bound)):
                    return None
                kept.add(id(node.keeps))
                found = node.keeps
            else:
                targets = [a for a in node.args if a.kind == "carried" and a.name != "if"]
                if not targets or not _updates_in_place(node, targets[0], bound):
                    return None
                kept.add(id(targets[0]))
                found = targets[0]
        return found if len(kept) == 1 else None

    def _add_sink(self, sink: _Sink, length: int) -> None:
        if self._region is not None and self._region.length != length:
            self.flush_vector()
        if self._region is None:
            self._region = _Region(length)
        self._region.sinks.append(sink)

    # -- emitting a region --

    def flush_vector(self) -> None:
        region, self._region = self._region, None
        if region is None:
            return
        saved = self.current_op
        try:
            self._emit_region(region)
        finally:
            self.current_op = saved
            for sink in region.sinks:
                if sink.result is not None:
                    self._pending_results.discard(id(sink.result))
        self._release_dead_if_blocks()

    def _release_dead_if_blocks(self) -> None:
        """Give back the register group of each `if` block whose every use has been
        selected and emitted (called when no region is pending), so
        that later regions and `if`s have them. A use inside a loop the `if` is not in
        keeps it: the loop's next iteration reads it again."""
        for entry in list(self._if_groups):
            result, group = entry
            if not self._still_read(result):
                self._if_groups.remove(entry)
                self._carried_groups.remove(group)

    def _still_read(self, result: SSAValue) -> bool:
        """Whether an `if` block may be read by code not emitted yet: a use not selected
        yet, one inside a loop the `if` is not in, or the same of a data block computed
        from it (a node of a region to come reads the group)."""
        order = self._op_order()
        pending, seen = [result], {id(result)}
        while pending:
            for use in pending.pop().uses:
                user = use.operation
                if order[user] > self._visited_order or _in_loop_outside(user, result.owner):
                    return True
                for value in user.results:
                    if id(value) not in seen and isinstance(self.forms.get(value), VecBlock):
                        seen.add(id(value))
                        pending.append(value)
        return False

    def _need_vector(self) -> int:
        if self.config.vector is None:
            raise self.error(f"element-wise work on data blocks (1-D, or a 2-D block's "
                             f"rows) runs on the vector engine, which configuration "
                             f"'{self.config.name}' has not (use one with [vector], e.g. "
                             f"--config vector)")
        return self.config.vector.vlen

    def _emit_region(self, region: _Region) -> None:
        first = region.sinks[0].op
        self.current_op = first
        vlen = self._need_vector()
        nodes = _topological([s.operand for s in region.sinks]
                             + [s.data_mask for s in region.sinks if s.data_mask is not None])
        self._check_reloads(region, nodes)
        self._stored += [(sink.op, sink.ptr, region.length) for sink in region.sinks
                         if sink.kind == "store"]
        for node in nodes:
            if node.kind == "load" and node.ptr.elem_size * 8 != node.sew:
                raise self.error("a load's pointers and its block's elements differ in size",
                                 node.op)
        bound = self._region_bound(region, nodes)
        data = [n for n in nodes if n.element != "i1"]
        smax = max(n.sew for n in data)
        if any(n.kind == "bound" for n in nodes):
            smax = 32  # an index-bound mask compares int32 indices (vid.v)
        length = region.length
        fits = [lmul for lmul in (1, 2, 4, 8) if vlen * lmul // smax >= length]
        carry_elements = self._check_carry(region, nodes, bound)
        if carry_elements is not None:  # one chunk of exactly the carried group's elements
            lmul = carry_elements * smax // vlen
            if lmul not in (1, 2, 4, 8) or carry_elements * smax % vlen:
                raise self.error(f"a region with a {carry_elements}-element carried block and "
                                 f"{smax}-bit values needs LMUL {carry_elements * smax / vlen:g}",
                                 first)
            fits = [lmul]
        if self._row_strip is not None:  # (one chunk a row: `_row_loop`)
            if not fits:
                raise RowsDoNotFit
            candidates = [(fits[0], True, False), (fits[0], False, False)]
        elif carry_elements is not None:
            candidates = [(fits[0], False, True)]
        elif fits:
            candidates = [(fits[0], False, True)] + \
                [(lmul, p, False) for lmul in (4, 2, 1) if lmul < fits[0] for p in (True, False)]
        else:
            candidates = [(8, True, False), (4, True, False), (8, False, False),
                          (2, True, False), (4, False, False), (1, True, False),
                          (2, False, False), (1, False, False)]
        if _masked_by_data(nodes):
            # (a load masked by data computes its mask in its chunk's load stage: one
            # register set, loads, arithmetic and stores in turn)
            candidates = [c for c in candidates if not c[1]]
        quads = any(s.quad for s in region.sinks)
        # a region that only reduces streams its chunks through three register sets
        # when they fit (`_ring_loop`), else two
        ring = not any(s.kind != "reduce" for s in region.sinks) and not _uses_index(nodes) \
            and self._row_strip is None
        if self._row_strip is not None and not self._rows_reduce_exactly(region, nodes, bound):
            raise RowsDoNotFit
        # a row loop's loads that read the same addresses in every row (`b[None, :]`)
        # are loaded once, before it, into registers of their own, when they fit
        invariant = self._row_invariant_loads(region, nodes)
        for lmul, pipelined, single in candidates:
            elements = vlen * lmul // smax
            if quads and elements > QUAD_CHUNK:
                continue  # (a chunk's int16 partial sum must be exact)
            for sets in ((3, 2) if pipelined and ring else (2,) if pipelined else (1,)):
                for hoisted in ([invariant, []] if invariant else [[]]):
                    try:
                        plans = self._allocate(region, nodes, elements, vlen, sets, hoisted)
                    except NoRegisters:
                        continue
                    self._hoisted = {id(node) for node in hoisted}
                    self._emit_chunks(region, nodes, plans, elements, vlen, smax, lmul,
                                      bound, single)
                    return
        if self._row_strip is not None:
            raise RowsDoNotFit
        raise self.error("this element-wise region has more live values than the vector "
                         "registers hold, even at LMUL 1", first)

    def _check_reloads(self, region: _Region, nodes: list[VecBlock]) -> None:
        """A 1-D block is loaded in each region that uses it: one loaded (in the kernel's
        order) before an element-wise store through the same pointer argument that an
        earlier region emitted would read memory after that store, where Triton reads
        it before. An error at the use rather than a wrong result (addresses a known
        constant apart by at least the blocks' span cannot meet)."""
        from sw.compiler.isel import _may_alias
        for node in nodes:
            if node.kind != "load":
                continue
            for store, ptr, length in self._stored[node.stores_before:]:
                if not _may_alias(node.op.ptr, store.ptr) or \
                        self._disjoint(node.ptr, ptr, max(node.length, length)):
                    continue
                raise self.error(
                    f"this uses a block loaded ({_place(node.op)}) before an element-wise "
                    f"store through the same pointer argument ({_place(store)}): the "
                    f"vector engine loads "
                    f"a block in each element-wise region that uses it, which would read "
                    f"memory after the store; use the block before the store, or load it "
                    f"again after it", region.sinks[0].op)

    def _rows_reduce_exactly(self, region: _Region, nodes: list[VecBlock], bound) -> bool:
        """A row loop's reductions are each stored a row at a time, and its masked-off
        columns (past vl, which the reduction leaves out) hold the reduction's identity
        (else the row's read-back adds their share: `_read_reduction`)."""
        for sink in region.sinks:
            if sink.kind == "carry" or sink.kind == "reduce" and sink.row_store is None:
                return False
            if sink.kind == "reduce" and bound is not None:
                if _fill_value(sink.node, bound) != _identity(sink):
                    return False
        return True

    def _row_invariant_loads(self, region: _Region, nodes: list[VecBlock]) -> list[VecBlock]:
        """In a row loop taken as a strip loop (`_row_loop`): the loads whose addresses
        do not move from row to row, through a pointer argument no store of the region
        writes."""
        if self._row_strip is None:
            return []
        from sw.compiler.isel import _may_alias
        stores = [sink.op.ptr for sink in region.sinks if sink.kind == "store"]
        return [node for node in nodes if node.kind == "load" and not node.args
                and _skey(node.ptr.row_step) == _skey(0)
                and not any(_may_alias(node.op.ptr, ptr) for ptr in stores)]

    def _region_bound(self, region: _Region, nodes: list[VecBlock]) -> object:
        """The one bound on the index that masks the region (None: every element)."""
        bounds: list[tuple[object, Operation]] = []
        for sink in region.sinks:
            if sink.kind == "store" and sink.masked:
                bounds.append((sink.bound, sink.op))
        for node in nodes:
            if node.kind in ("load", "carried") and node.masked:
                bounds.append((node.bound, node.op))
        if not bounds:
            return None
        first = bounds[0][0]
        gated = [b for b, _ in bounds if isinstance(b, VReg) and b in self._row_gates]
        if gated and not any(sink.kind == "reduce" for sink in region.sinks):
            # a row of a 2-D block (split-rows) with a 1-D block read in every row
            # (``b[None, :]``): the row's bound is the columns' or 0, and a row at 0
            # stores nothing, so loading b under the row's bound is exact
            first = gated[0]
            bounds = [(first if _same(b, self._row_gates[first]) else b, op)
                      for b, op in bounds]
        for other, op in bounds:  # (all: `first` may be a row's gate, not bounds[0])
            if not _same(first, other):
                raise self.error("the loads and stores of one element-wise region must share "
                                 "one mask (such as offsets < n): this one differs", op)
        for sink in region.sinks:
            if sink.kind == "store" and not sink.masked:
                raise self.error("an unmasked store of a block computed from masked loads is "
                                 "not supported yet: mask the store as the loads", sink.op)
        return first

    # allocation

    def _allocate(self, region: _Region, nodes: list[VecBlock], elements: int, vlen: int,
                  sets: int, hoisted: list[VecBlock] = ()) -> list[_Plan]:
        """`sets` register sets (plans) for the region's values, and its reductions'
        registers: an accumulator per set (a reduction into the one its chunk's set
        wrote three chunks back does not wait for the one before), or for a quad-widened
        sum one int32 accumulator, an int16 partial per set and the partials' zero
        start. A ring of three sets (`_ring_loop`) shares no register between sets."""
        accumulators = [s for s in region.sinks if s.kind == "reduce"]
        self._acc_regs: dict[int, list[int]] = {}
        pool = _Pool(self._carried_units())
        self._quad_regs: dict[int, tuple[list[int], int]] = {}
        # (a row loop starts each row's reduction afresh, from an identity register, and
        # stores each set's accumulator: `_row_loop`)
        rows = self._row_strip is not None
        self._identity_regs: dict[int, int] = {}
        for sink in accumulators:
            if sink.quad:
                self._acc_regs[id(sink)] = [pool.take(1) for _ in range(sets if rows else 1)]
                self._quad_regs[id(sink)] = ([pool.take(1) for _ in range(sets)],
                                             pool.take(1))
            else:
                self._acc_regs[id(sink)] = [pool.take(1) for _ in range(sets)]
                if rows:
                    self._identity_regs[id(sink)] = pool.take(1)
        # hoisted loads: one register group each, shared by every set and never written
        # in the loop
        self._fixed_regs = {id(node): pool.take(self._group(node, elements, vlen))
                            for node in hoisted}
        reserved = {r for regs in self._acc_regs.values() for r in regs} | \
            {r for partials, zero in self._quad_regs.values() for r in partials + [zero]} | \
            set(self._identity_regs.values()) | self._carried_units() | \
            {r for node in hoisted
             for r in range(self._fixed_regs[id(node)],
                            self._fixed_regs[id(node)] + self._group(node, elements, vlen))}
        plan_a = self._plan(region, nodes, elements, vlen, reserved, set())
        self._disjoint_sets = False
        if sets == 1:
            return [plan_a]
        if rows and not any(s.kind == "store" for s in region.sinks):
            # (a row loop that only reduces computes a row a stage before it reduces
            # it, so each set's values live across a stage: `_reducing_row_stages`)
            try:
                plan_b = self._plan(region, nodes, elements, vlen, reserved | plan_a.written,
                                    set())
                self._disjoint_sets = True
                return [plan_a, plan_b]
            except NoRegisters:
                pass
        if sets == 3:
            plan_b = self._plan(region, nodes, elements, vlen, reserved | plan_a.written, set())
            plan_c = self._plan(region, nodes, elements, vlen,
                                reserved | plan_a.written | plan_b.written, set())
            return [plan_a, plan_b, plan_c]
        for every in (True, False):  # keep B's stored values off A's registers
            try:
                plan_b = self._plan(region, nodes, elements, vlen, reserved | plan_a.stored,
                                    plan_a.written, every)
            except NoRegisters:
                continue
            if not plan_b.stored & plan_a.written:
                return [plan_a, plan_b]
        raise NoRegisters

    def _group(self, node: VecBlock, elements: int, vlen: int) -> int:
        return max(1, elements * node.sew // vlen) if node.element != "i1" else 1

    def _steps(self, region: _Region, nodes: list[VecBlock]) -> list[VecBlock]:
        """Nodes that get a register, in emission order: loads, then computed values."""
        loads = [n for n in nodes if n.kind == "load"]
        return loads + [n for n in nodes if _is_step(n)]

    def _plan(self, region: _Region, nodes: list[VecBlock], elements: int, vlen: int,
              reserved: set[int], avoid: set[int], avoid_every: bool = False) -> _Plan:
        steps = self._steps(region, nodes)
        position = {id(n): i for i, n in enumerate(steps)}
        last: dict[int, int] = {}
        end = len(steps)

        def reads(node: VecBlock) -> list[VecBlock]:
            out = []
            for arg in node.args:
                if arg.kind in ("cmp",) or (arg.element == "i1" and arg.kind != "bound"):
                    out += [r for r in _data_leaves(arg)]
                elif arg.kind not in ("uniform", "bound"):
                    out.append(arg)
            return out

        for node in steps:
            for arg in reads(node):
                last[id(arg)] = max(last.get(id(arg), -1), position[id(node)])
        for sink in region.sinks:
            last[id(sink.operand)] = end
        plan = _Plan()
        pool = _Pool(reserved)
        carried = self._carried_units()
        live: dict[int, tuple[int, int]] = {}  # id -> (base, group)
        # a carried block's update whose operand is the block itself, read last there
        in_place = {id(s.node): s.target for s in region.sinks
                    if s.kind == "carry" and s.target in s.node.args}
        for i, node in enumerate(steps):
            if id(node) in self._fixed_regs:  # (a hoisted load: `_allocate`)
                plan.regs[id(node)] = self._fixed_regs[id(node)]
                plan.temps[id(node)] = []
                continue
            group = self._group(node, elements, vlen)
            dying = list({id(a): a for a in reads(node)
                          if last.get(id(a)) == i and id(a) in live}.values())
            same_width = node.kind in ("binary", "select") or \
                (node.kind == "cast" and node.args[0].sew == node.sew)
            base = None
            target = in_place.get(id(node))
            if same_width and target is not None and last.get(id(target)) == i:
                base = target.value  # acc = acc op x: written where acc is
            if same_width and base is None:
                for arg in dying:
                    if live[id(arg)][1] == group and arg.kind != "bound":
                        base = live[id(arg)][0]
                        break
            temps: list[int] = []
            if base is None:
                prefer_off = avoid_every or id(node) in _stored_ids(region)
                base = pool.take(group, avoid if prefer_off else set())
            # temporaries: a materialised uniform operand, a narrowing's middle step,
            # mask logic
            temp_group = group
            if node.kind == "cast" and node.sew < node.args[0].sew:
                temp_group = max(1, elements * 16 // vlen)  # the middle step at SEW 16
            if node.kind == "select" and node.args[0].kind == "bound":
                temp_group = max(1, elements * 32 // vlen)  # the indices (vid.v)
            if node.kind in ("select", "mask") and node.args[0].kind == "uniform":
                temp_group = max(1, elements * 8 // vlen)  # the condition splat at e8
            for _ in range(self._temp_count(node)):
                temps.append(pool.take(temp_group))
            for t in temps:
                pool.free(t, temp_group)
                plan.written.update(range(t, t + temp_group))
            if node.kind == "select" or any(a.element == "i1" for a in node.args):
                plan.written.add(0)
            for arg in dying:
                b, g = live.pop(id(arg))
                if b != base:
                    pool.free(b, g)
            plan.regs[id(node)] = base
            plan.temps[id(node)] = temps
            if base in carried:  # (a carried block's registers: never back to the pool)
                live[id(node)] = (base, group)
                continue
            plan.written.update(range(base, base + group))
            if node.kind == "load":
                plan.loaded.update(range(base, base + group))
            if last.get(id(node), -1) >= i + 1 or id(node) in _stored_ids(region):
                live[id(node)] = (base, group)
            else:
                pool.free(base, group)
        for sink in region.sinks:
            if sink.kind == "store" and sink.node.kind != "carried":
                base = plan.regs[id(sink.node)]
                group = self._group(sink.node, elements, vlen)
                plan.stored.update(range(base, base + group))
                if sink.data_mask is not None:
                    plan.stored.add(plan.regs[id(sink.data_mask)])
        return plan

    def _temp_count(self, node: VecBlock) -> int:
        if node.kind == "binary":
            a, b = node.args
            if _power_of_two_divisor(node) is not None and a.kind != "uniform":
                return 0 if node.element == "u8" else 1  # (the rounding bias)
            if b.kind == "uniform" and a.kind == "uniform":
                return 1
            if a.kind == "uniform" and node.name not in _COMMUTATIVE and node.name != "sub":
                return 1
            return 0
        if node.kind == "cast" and node.args[0].sew == 32 and node.sew == 8:
            return 1
        if node.kind in ("select", "mask"):  # (a uniform condition: splat, compare)
            cond = node.args[0]
            needs = ("bound", "uniform") if node.kind == "select" else ("uniform",)
            return 1 if _mask_depth(cond) > 1 or cond.kind in needs else 0
        return 0

    # emission

    def _emit_chunks(self, region: _Region, nodes: list[VecBlock], plans: list[_Plan],
                     elements: int, vlen: int, smax: int, lmul: int, bound: object,
                     single: bool) -> None:
        self._velems = elements
        self._vlen = vlen
        self._vplans = plans
        self._mask_policy = "mu" if _masked_by_data(nodes) else "ma"
        computed = [n for n in nodes if _is_step(n)]
        arithmetic = [n.sew for n in computed if n.kind not in ("materialize", "mask")] + \
            [s.operand.sew for s in region.sinks if s.kind == "reduce"]
        self._sew0 = arithmetic[0] if arithmetic else smax
        length = region.length
        stores = [s for s in region.sinks if s.kind == "store"]
        reduces = [s for s in region.sinks if s.kind == "reduce"]
        # one chunk of exactly BLOCK = VLMAX elements and a runtime bound: vsetvli clamps
        # it (vl = min(AVL, VLMAX), the interpreter's rule, oxcore/isa/vector/unit.py)
        # once the chunk's guard has skipped a bound <= 0, so the count is the bound
        # itself (reductions need the exact count for the masked-off elements)
        rows = self._row_strip
        if rows is not None:
            if rows.emitted:
                raise self.error("internal: a row loop taken as a strip loop has two "
                                 "element-wise regions", region.sinks[0].op)
            rows.emitted = True
        direct = single and length == elements and not reduces and bound is not None \
            and not isinstance(bound, int)
        count = bound if direct else \
            self.min_const(bound, length) if bound is not None else length
        self._carries = [s for s in region.sinks if s.kind == "carry"]
        loads = [n for n in nodes if n.kind == "load"]
        uses_index = _uses_index(nodes)
        # the accumulators' starts, at vl 1 and the smallest LMUL (a widened
        # accumulator's SEW may exceed LMUL 8 at E, and the engine passes over vmv.s.x's
        # whole LMUL group)
        for sink in reduces:
            self._accumulator_vtype(sink)
            identity = self.reg(_identity(sink))
            for acc in self._acc_regs[id(sink)] + ([self._identity_regs[id(sink)]]
                                                   if id(sink) in self._identity_regs else []):
                self.emit("vmv.s.x", self._vreg(acc), identity)
            if sink.quad:
                partials, zero = self._quad_regs[id(sink)]
                self.emit("vmv.s.x", self._vreg(zero), ZERO)
                if len(plans) == 3:  # (the ring's first chunk folds the last set's)
                    self.emit("vmv.s.x", self._vreg(partials[-1]), ZERO)
        # vl = E, from a register holding E: with rd = x0 the engine's issue stage runs
        # the vsetvli, where a scalar result (the usual rd, x0 form for VLMAX) takes its
        # arithmetic sequencer and a round trip to the scalar core (rd = rs1 = x0 would
        # keep vl instead)
        vl_reg = self.reg(elements)
        self._vl_reg = vl_reg
        if not single and rows is None:
            self._check_chunk_order(stores, loads, elements)
        if not (single and not isinstance(count, int) and not reduces) and rows is None:
            # (a single chunk's own vsetvli sets the vtype: none before its guard)
            self.emit("vsetvli", ZERO, vl_reg, self._vtype(self._sew0))
        self._vsew = self._sew0
        self._need_sew(self._sew0)
        # running pointers (loads and stores apart: the pipeline stores a chunk late)
        self._vptrs: dict[tuple, VReg] = {}
        pointer_of: dict[int, VReg] = {}
        for node in loads:
            pointer_of[id(node)] = self._running_pointer(node.ptr, "load")
        for sink in stores:
            pointer_of[id(sink)] = self._running_pointer(sink.ptr, "store")
        self._pointer_of = pointer_of
        self._start = None
        if uses_index:
            self._start = self.new_x("start")
            self.mutable.add(self._start)
            self.emit("li", self._start, 0)
        # every scalar operand into a register here, before the region branches: the
        # strip loop's blocks do not dominate each other (unused ones are dead code)
        for node in nodes:
            if node.kind == "uniform":
                self.reg(node.value)
            elif node.kind == "bound":
                self.reg(node.value)
            elif node.kind == "index":
                self.reg(node.value.terms[0])
                self.reg(node.value.base)
        done = self.fn.new_block("vdone")
        # the region's blocks do not dominate each other: its scalar arithmetic is
        # computed where it is used, neither shared nor hoisted (Selector._pure)
        inline, self._inline = self._inline, True
        try:
            if single:
                if not isinstance(count, int):
                    self.emit("blez", count, done.label)
                    self.block = self._vblock("vchunk")
                chunk_vl = vl_reg  # (vl = E already, unless the count may be less)
                if not (isinstance(count, int) and count >= elements):
                    chunk_vl = self.reg(count)
                    self.emit("vsetvli", ZERO, chunk_vl, self._vtype(self._sew0))
                if not (isinstance(count, int) and count <= 0):
                    self._stage_load(loads, plans[0], advance=False)
                    self._stage_compute(computed, reduces, plans[0], chunk_vl)
                    self._stage_store(stores, plans[0], advance=False)
                    self._stage_carry(plans[0])
            elif rows is not None:
                self._row_loop(count, loads, computed, stores, reduces, plans, done)
            else:
                self._strip_loop(count, elements, loads, computed, stores, reduces, plans,
                                 done)
        finally:
            self._inline = inline
        self._need_sew(self._sew0)
        self.fn.blocks.append(done)
        self.block = done
        self._vsew = None
        for sink in reduces:
            if sink.row_store is not None:
                continue  # (stored a row at a time)
            combined = self._combine_accumulators(sink)
            self._read_reduction(sink, count, length, bound, vtype_set=combined)

    def _check_chunk_order(self, stores: list[_Sink], loads: list[VecBlock],
                           elements: int) -> None:
        """A strip-mined block is loaded and stored a chunk at a time, where a block's
        loads all come before its stores: a store through a load's pointer argument at
        other addresses could write what a later chunk's load reads, which is an error
        here rather than a wrong result (the same addresses are safe: each chunk is
        loaded before it is stored; so are addresses a known constant apart by at least
        the block's span)."""
        from sw.compiler.isel import _may_alias, _pointer_argument
        for sink in stores:
            written = _pointer_argument(sink.op.ptr)
            for node in loads:
                if not _may_alias(node.op.ptr, sink.op.ptr) \
                        or self._apart(node.ptr, sink.ptr, node.length):
                    continue
                name = (written.name_hint if written is not None else None) or "its pointer"
                raise self.error(
                    f"this store writes through '{name}' at other addresses than a load of "
                    f"the same element-wise block: the block is loaded and stored "
                    f"{elements} elements at a time, so a later chunk could load what "
                    f"this store wrote (a block's loads come before its stores); store to "
                    f"another array, or make the block at most {elements} elements",
                    sink.op)

    def _apart(self, a, b, length: int) -> bool:
        """A store through pointer block `b` cannot write what a later chunk's load
        through `a` reads: the same steps and bases a known constant apart, by 0 (the
        same addresses), by at least the block's span, or backwards (the store's
        addresses behind the load's in the direction the chunks go: ``x[i] = x[i+1]``
        stores what this chunk or an earlier one loaded)."""
        offset = self._offset(a, b)
        if offset is None:
            return False
        difference, stride = offset
        return difference == 0 or (isinstance(stride, int) and (
            abs(difference) >= length * abs(stride) or difference * stride < 0))

    def _disjoint(self, a, b, length: int) -> bool:
        """Pointer blocks `a` and `b` of `length` elements reach no common address: the
        same steps, bases a known constant apart by at least their span."""
        offset = self._offset(a, b)
        if offset is None:
            return False
        difference, stride = offset
        return isinstance(stride, int) and stride != 0 and \
            abs(difference) >= length * abs(stride)

    def _offset(self, a, b) -> tuple[int, object] | None:
        """For pointer blocks of the same steps whose bases are a known constant apart:
        that constant (b's base - a's) and their step; else None."""
        if _skey(a.terms.get(0, 0)) != _skey(b.terms.get(0, 0)) or \
                _skey(a.row_step) != _skey(b.row_step):
            return None
        difference = self._constant_difference(a.base, b.base)
        return None if difference is None else (difference, a.terms.get(0, 0))

    def _constant_difference(self, a, b) -> int | None:
        """b - a when it is a known constant (registers as x + c: `Selector._plus`)."""
        def split(value):
            constant = 0
            while not isinstance(value, int) and value in self._plus:
                value, step = self._plus[value]
                constant += step
            return (None, value + constant) if isinstance(value, int) else (value, constant)
        (root_a, ca), (root_b, cb) = split(a), split(b)
        return cb - ca if root_a is root_b else None

    def _strip_loop(self, count, elements, loads, computed, stores, reduces, plans,
                    done) -> None:
        rem = self.new_x("remaining")
        self.mutable.add(rem)
        self.emit("mv", rem, self.reg(count))
        full = self.reg(elements)
        tail = self.fn.new_block("vtail")
        self.emit("blt", rem, full, tail.label)
        a = plans[0]
        if len(plans) == 3:
            self._ring_loop(rem, full, elements, loads, computed, reduces, plans, tail)
            self._strip_rest(rem, loads, computed, stores, reduces, a, tail, done)
            return
        vl_reg = self._vl_reg
        # a region without stores computes each chunk after the next one's loads, so that
        # the load/store sequencer streams them while the arithmetic one works (a
        # reduction would otherwise wait for its chunk's load, then the next load for
        # it); that needs B's loads off A's registers and A's off B's, and no index
        # block (its start has moved on to the next chunk by then)
        late = (len(plans) == 2 and not stores and self._start is None
                and not plans[1].loaded & plans[0].written
                and not plans[0].loaded & plans[1].written)
        self.block = self._vblock("vfirst")
        self._stage_load(loads, a)
        if not late:
            self._stage_compute(computed, reduces, a, vl_reg)
        if len(plans) == 1:
            self._stage_store(stores, a)
            self._advance_start(elements)
            self.emit("addi", rem, rem, -elements)
            self.emit("bge", rem, full, self.block.label)
        else:
            b = plans[1]
            self._advance_start(elements)
            loop = self._vblock("vloop")
            self.block = loop
            drain_a, drain_b = self.fn.new_block("vdrain"), self.fn.new_block("vdrain")
            self.emit("addi", rem, rem, -elements)
            self.emit("blt", rem, full, drain_a.label)
            self.block = self._vblock("vodd")
            self._stage_load(loads, b)
            self._stage_store(stores, a)
            self._stage_compute(computed, reduces, a if late else b, vl_reg, 0 if late else 1)
            self._advance_start(elements)
            self.emit("addi", rem, rem, -elements)
            self.emit("blt", rem, full, drain_b.label)
            self.block = self._vblock("veven")
            self._stage_load(loads, a)
            self._stage_store(stores, b)
            self._stage_compute(computed, reduces, b if late else a, vl_reg, 1 if late else 0)
            self._advance_start(elements)
            self.emit("j", loop.label)
            self.fn.blocks.append(drain_b)
            self.block = drain_b
            self._stage_store(stores, b)
            if late:
                self._stage_compute(computed, reduces, b, vl_reg, 1)
            self.emit("j", tail.label)
            self.fn.blocks.append(drain_a)
            self.block = drain_a
            self._stage_store(stores, a)
            if late:
                self._stage_compute(computed, reduces, a, vl_reg)
        self._strip_rest(rem, loads, computed, stores, reduces, a, tail, done)

    def _row_loop(self, count, loads, computed, stores, reduces, plans, done) -> None:
        """The rows of split-rows' loop as the chunks of one strip loop
        (`Selector._rows_as_strips`): each row is `count` columns (vl, set once: every
        row the loop runs has the same) and moves the pointers on by a row. With two
        register sets, row r + 1 is loaded before row r is stored, so the load/store
        sequencer streams while the arithmetic one computes (as `_strip_loop`):

            L0 C0 | loop: L1 S0 C1 | L0 S1 C0 | ...

        with an exit after each stage to a drain that stores the last row. Rows of no
        columns (count <= 0) still store their reductions: the identity, which the
        masked-off elements read (`_rows_reduce_exactly`)."""
        if isinstance(count, int) and count <= 0 and not reduces:
            return  # (nothing to load or store)
        self._row_pointers = {}
        for sink in reduces:  # (the row's element of the reductions' 1-D pointer blocks)
            reg = self.new_x("row_result_ptr")
            self.mutable.add(reg)
            self.emit("mv", reg, sink.row_store[0])
            self._row_pointers[id(sink)] = reg
        left = self.new_x("rows_left")
        self.mutable.add(left)
        self.emit("mv", left, self.reg(self._row_strip.rows))
        self.emit("blez", left, done.label)
        empty = None
        if reduces and not (isinstance(count, int) and count > 0):
            empty = self.fn.new_block("vrows_empty")
            self.emit("blez" if not isinstance(count, int) else "j",
                      *([count] if not isinstance(count, int) else []), empty.label)
        elif not isinstance(count, int):
            self.emit("blez", count, done.label)
        if not (isinstance(count, int) and count <= 0):
            self._row_stages(count, loads, computed, stores, reduces, plans, left, done)
            if empty is not None:
                self.emit("j", done.label)
        if empty is not None:
            self.fn.blocks.append(empty)
            self.block = empty
            for sink in reduces:
                identity = self._quad_regs[id(sink)][1] if sink.quad else \
                    self._identity_regs[id(sink)]
                self._store_row_result(sink, self._vreg(identity), None, True)
            self.emit("addi", left, left, -1)
            self.emit("bgtz", left, empty.label)
            self._vsew = self._sew0  # (no vsetvli here: the join after the region
            # forgets the vtype, and this path's vl-1 one differs in SEW/LMUL ratio)

    def _row_stages(self, count, loads, computed, stores, reduces, plans, left,
                    done) -> None:
        """`_row_loop`'s loop over rows of `count` > 0 columns."""
        self.block = self._vblock("vrows")
        self.emit("vsetvli", ZERO, self.reg(count), self._vtype(self._sew0))
        a = plans[0]
        self._stage_load([node for node in loads if id(node) in self._hoisted], a,
                         advance=False)
        loads = [node for node in loads if id(node) not in self._hoisted]
        row_vl = self.reg(count)

        def compute(index: int) -> None:
            self._stage_compute(computed, [], plans[index], self._vl_reg)
            self._row_reductions(reduces, plans[index], index, row_vl)

        def store(index: int, advance: bool = True) -> None:
            self._stage_store(stores, plans[index], advance)
            self._store_row_reductions(reduces, index, row_vl, advance)

        if len(plans) == 1:
            loop = self.block = self._vblock("vrow")
            self._stage_load(loads, a)
            compute(0)
            store(0)
            self.emit("addi", left, left, -1)
            self.emit("bgtz", left, loop.label)
            return
        if reduces and not stores and computed and self._disjoint_sets:
            self._reducing_row_stages(loads, computed, reduces, plans, left, done, row_vl)
            return
        self._stage_load(loads, a)
        compute(0)
        loop = self.block = self._vblock("vloop")
        drain_a, drain_b = self.fn.new_block("vdrain"), self.fn.new_block("vdrain")
        for this, other, drain in ((0, 1, drain_a), (1, 0, drain_b)):
            self.emit("addi", left, left, -1)
            self.emit("blez", left, drain.label)
            self.block = self._vblock("vrow")
            self._stage_load(loads, plans[other])
            store(this)
            compute(other)
        self.emit("j", loop.label)
        self.fn.blocks.append(drain_b)
        self.block = drain_b
        store(1, advance=False)
        self.emit("j", done.label)
        self.fn.blocks.append(drain_a)
        self.block = drain_a
        store(0, advance=False)

    def _reducing_row_stages(self, loads, computed, reduces, plans, left, done,
                             row_vl) -> None:
        """Rows that are only reduced (no element-wise store), their element-wise work
        (C1) a stage ahead of their reductions (C2), so that the arithmetic sequencer
        reduces row r while row r + 1's products are next, not right after their own
        (matvec: `vwmul` then `vwredsum` of the same row waited for the whole `vwmul`):

            L0 C1(0) | L1 C2(0) C1(1) | loop: L2 S0 C2(1) C1(2) | L3 S1 C2(2) C1(3) | ...

        Row r's loads and products are set r % 2's, its accumulator too; a load into a
        set follows the stage that read it last, as in `_row_stages`."""
        def elementwise(index: int) -> None:
            self._stage_compute(computed, [], plans[index], self._vl_reg)

        def reduce(index: int) -> None:
            self._row_reductions(reduces, plans[index], index, row_vl)

        def store(index: int, advance: bool = True) -> None:
            self._store_row_reductions(reduces, index, row_vl, advance)

        def load(index: int) -> None:
            self._stage_load(loads, plans[index])
            self.emit("addi", left, left, -1)

        last_one = self.fn.new_block("vdrain")
        load(0)
        elementwise(0)
        self.emit("blez", left, last_one.label)
        self.block = self._vblock("vrow")
        load(1)
        reduce(0)
        elementwise(1)
        loop = self.block = self._vblock("vloop")
        drains = [self.fn.new_block("vdrain"), self.fn.new_block("vdrain")]
        for this in (1, 0):  # (the row whose products are ready; the other's sum waits)
            other = 1 - this
            self.emit("blez", left, drains[this].label)
            self.block = self._vblock("vrow")
            load(other)
            store(other)
            reduce(this)
            elementwise(other)
        self.emit("j", loop.label)
        for this, drain in enumerate(drains):
            self.fn.blocks.append(drain)
            self.block = drain
            store(1 - this)
            reduce(this)
            store(this, advance=False)
            self.emit("j", done.label)
        self.fn.blocks.append(last_one)
        self.block = last_one
        reduce(0)
        store(0, advance=False)

    def _row_reductions(self, reduces: list[_Sink], plan: _Plan, index: int, row_vl) -> None:
        """Each row's reductions into set `index`'s accumulators, started afresh from
        the identity (an int8 sum widened to int32: its int16 partial, then that into the
        accumulator at vl 1, from zero)."""
        for sink in reduces:
            self.current_op = sink.op
            node = sink.operand
            self._need_sew(node.sew)
            src = self._operand(node, plan)
            if sink.quad:  # (the int16 partial, then that alone into the accumulator)
                self._quad_sum(sink, src, row_vl, index, fold=False)
                self._quad_fold(sink, index, row_vl, fresh=True)
                continue
            acc = self._vreg(self._acc_regs[id(sink)][index])
            self.emit(_reduction_mnemonic(sink), acc, src,
                      self._vreg(self._identity_regs[id(sink)]), NO_MASK)
        self._need_sew(self._sew0)

    def _store_row_reductions(self, reduces: list[_Sink], index: int, row_vl,
                              advance: bool) -> None:
        """Element 0 of set `index`'s accumulators to the row's result, at vl 1 (no
        round trip through a scalar register), then vl back to the row's."""
        for sink in reduces:
            self._store_row_result(sink, self._vreg(self._acc_regs[id(sink)][index]),
                                   row_vl, advance)

    def _store_row_result(self, sink: _Sink, source: PReg, row_vl, advance: bool) -> None:
        """Element 0 of `source` to the row's result at vl 1, vl back to `row_vl` (if
        any), the pointer on to the next row's (if `advance`)."""
        self.current_op = sink.op
        width = int(sink.op.result.type.width.data)
        self.emit("vsetivli", ZERO, 1, _one_element_vtype(width))
        pointer = self._row_pointers[id(sink)]
        self.emit(f"vse{width}.v", source, pointer, NO_MASK)
        if row_vl is not None:
            self.emit("vsetvli", ZERO, row_vl, self._vtype(self._sew0))
            self._vsew = self._sew0
        if advance:
            self._step_pointer(pointer, sink.row_store[1])

    def _strip_rest(self, rem, loads, computed, stores, reduces, a, tail, done) -> None:
        """The strip loop's last, partial chunk (`rem` elements, if any), in set A."""
        self.fn.blocks.append(tail)
        self.block = tail
        self.emit("blez", rem, done.label)
        self.block = self._vblock("vrest")
        self.emit("vsetvli", ZERO, rem, self._vtype(self._sew0))
        self._stage_load(loads, a, advance=False)
        self._stage_compute(computed, reduces, a, rem)
        self._stage_store(stores, a, advance=False)

    def _ring_loop(self, rem, full, elements, loads, computed, reduces, plans, tail) -> None:
        """The full chunks of a region that only reduces, through three register sets:
        chunk j is loaded into set j % 3 two chunks before it is reduced, and its load is
        issued right after the reduction of chunk j - 2, which last read that set. The
        engine issues in order; with two sets, each load waited for the reduction that
        read its set, and the next reduction for that load, so that neither sequencer
        streamed. Unrolled by three (a set is named in the code):

            L0 | L1 | loop: C0 L2 | C1 L0 | C2 L1 | ...

        with an exit before each stage, to a drain that reduces the two loaded chunks.
        A quad-widened sum folds each chunk's partial one chunk late (`settle`): at a
        stage's start, the previous set's partial is the one not yet folded (the last
        set's is zero before the first stage), and each drain folds what is left."""
        vl_reg = self._vl_reg

        def compute(k: int) -> None:  # (a quad-widened sum's partial left to `settle`)
            self._stage_compute(computed, reduces, plans[k], vl_reg, k, fold=False)

        def settle(k: int) -> None:  # fold set k's partial, the last not yet folded
            for sink in reduces:
                if sink.quad:
                    self.current_op = sink.op
                    self._quad_fold(sink, k, vl_reg)

        def step() -> None:
            self._advance_start(elements)
            self.emit("addi", rem, rem, -elements)

        self.block = self._vblock("vfirst")
        self._stage_load(loads, plans[0])
        step()
        first_drain = self.fn.new_block("vdrain")
        self.emit("blt", rem, full, first_drain.label)
        self.block = self._vblock("vsecond")
        self._stage_load(loads, plans[1])
        step()
        loop = self.block = self._vblock("vloop")
        drains = []
        for k in range(3):
            if k:
                self.block = self._vblock("vring")
            drain = self.fn.new_block("vdrain")
            drains.append(drain)
            self.emit("blt", rem, full, drain.label)
            self.block = self._vblock("vstage")
            compute(k)  # (the load goes before the fold: it waits for the reduction's
            self._stage_load(loads, plans[(k + 2) % 3])  # issue alone)
            settle((k - 1) % 3)
            step()
        self.emit("j", loop.label)
        self.fn.blocks.append(first_drain)
        self.block = first_drain
        compute(0)
        settle(0)
        self.emit("j", tail.label)
        for k, drain in enumerate(drains):
            self.fn.blocks.append(drain)
            self.block = drain
            compute(k)
            settle((k - 1) % 3)
            compute((k + 1) % 3)
            settle(k)
            settle((k + 1) % 3)
            self.emit("j", tail.label)

    def _vblock(self, hint: str):
        """Start a block of the region's code."""
        return self._start_block(hint)

    def _advance_start(self, elements: int) -> None:
        if self._start is not None:
            self.emit("addi", self._start, self._start, elements)

    def _running_pointer(self, ptr, role: str) -> VReg:
        key = self._pointer_key(ptr, role)
        if key not in self._vptrs:
            reg = self.new_x(f"{role}_ptr")
            self.mutable.add(reg)
            self.emit("mv", reg, self.reg(ptr.base))
            # (a chunk is a row in a row loop taken as a strip loop: `_row_loop`)
            step = ptr.row_step if self._row_strip is not None else \
                self.mul(ptr.terms.get(0, 0), self._velems)
            stride = ptr.terms.get(0, 0)
            unit = isinstance(stride, int) and stride == ptr.elem_size
            self._vptrs[key] = reg
            self._vptrs[key + ("step",)] = step
            self._vptrs[key + ("stride",)] = None if unit else self.reg(stride)
        return self._vptrs[key]

    @staticmethod
    def _pointer_key(ptr, role: str) -> tuple:
        return (role, _skey(ptr.base), _skey(ptr.terms.get(0, 0)), _skey(ptr.row_step))

    def _pointer_info(self, ptr, role: str):
        key = self._pointer_key(ptr, role)
        return self._vptrs[key], self._vptrs[key + ("step",)], self._vptrs[key + ("stride",)]

    def _advance(self, ptr, role: str, advanced: set) -> None:
        reg, step, _ = self._pointer_info(ptr, role)
        if id(reg) in advanced or step == 0:
            return
        advanced.add(id(reg))
        self._step_pointer(reg, step)

    def _step_pointer(self, reg, step) -> None:
        """A running pointer on by `step` bytes (none if 0): one addi when it fits."""
        if isinstance(step, int) and -2048 <= step < 2048:
            if step:
                self.emit("addi", reg, reg, step)
        else:
            self.emit("add", reg, reg, self.reg(step))

    def _stage_load(self, loads: list[VecBlock], plan: _Plan, advance: bool = True) -> None:
        advanced: set = set()
        for node in loads:
            reg, _, stride = self._pointer_info(node.ptr, "load")
            vd = self._vreg(plan.regs[id(node)])
            eew = node.sew
            mask = NO_MASK
            if node.args:  # masked by data: `other` everywhere, then the active elements
                self.current_op = node.op
                self._need_sew(node.sew)
                self._splat_into(vd, VecBlock("uniform", node.length, node.element,
                                              value=node.other))
                self._emit_cmp(node.args[0], PReg("v", 0), plan, False)
                mask = Text("v0.t")
            if stride is None:
                self.emit(f"vle{eew}.v", vd, reg, mask)
            else:
                self.emit(f"vlse{eew}.v", vd, reg, stride, mask)
        if advance:
            for node in loads:
                self._advance(node.ptr, "load", advanced)

    def _stage_store(self, stores: list[_Sink], plan: _Plan, advance: bool = True) -> None:
        advanced: set = set()
        for sink in stores:
            reg, _, stride = self._pointer_info(sink.ptr, "store")
            vs = self._operand(sink.node, plan)
            eew = sink.node.sew
            mask = NO_MASK
            if sink.data_mask is not None:  # (v0 may hold another chunk's mask by now)
                self.current_op = sink.op
                held = self._vreg(plan.regs[id(sink.data_mask)])
                self.emit("vmand.mm", PReg("v", 0), held, held)
                mask = Text("v0.t")
            if stride is None:
                self.emit(f"vse{eew}.v", vs, reg, mask)
            else:
                self.emit(f"vsse{eew}.v", vs, reg, stride, mask)
        if advance:
            for sink in stores:
                self._advance(sink.ptr, "store", advanced)

    def _stage_compute(self, computed: list[VecBlock], reduces: list[_Sink],
                       plan: _Plan, count, index: int = 0, fold: bool = True) -> None:
        """A chunk's arithmetic, its carried blocks' new values and its reductions, with
        register set `plan`, the `index`-th (its accumulators); `count`: the register
        holding its element count (vl), which a quad-widened sum sets again after its
        vl-1 step. `fold`: a quad-widened sum adds the chunk's int16 partial to its
        accumulator at once (else the caller folds it later: `_quad_fold`)."""
        for node in computed:
            self.current_op = node.op or self.current_op
            self._emit_node(node, plan)
        for sink in reduces:
            self.current_op = sink.op
            node = sink.operand
            self._need_sew(node.sew)
            src = self._operand(node, plan)
            if sink.quad:
                self._quad_sum(sink, src, count, index, fold)
                continue
            acc = self._vreg(self._acc_regs[id(sink)][index])
            self.emit(_reduction_mnemonic(sink), acc, src, acc, NO_MASK)
        self._need_sew(self._sew0)

    def _stage_carry(self, plan: _Plan) -> None:
        """The carried blocks' new values into their registers, last (the chunk's stores
        and reductions may read the old ones), unless computed there in place."""
        for sink in self._carries:
            self.current_op = sink.op
            target = self._vreg(sink.target.value)
            if sink.node.kind == "uniform":
                self._need_sew(sink.target.sew)
                self._splat_into(target, sink.node)
            elif (source := self._operand(sink.node, plan)) != target:
                self._need_sew(sink.target.sew)
                self.emit("vmv.v.v", target, source)

    def _quad_sum(self, sink: _Sink, src: PReg, count, index: int, fold: bool) -> None:
        """int32 sum += the chunk's int8 elements: vwredsum at e8 into set `index`'s
        int16 partial sum (exact: a chunk has at most QUAD_CHUNK elements), then (`fold`)
        vwredsum at e16, vl 1, adds it to the int32 accumulator. Two passes
        over one int8 chunk and one element, where vsext.vf4 and vredsum at e32 make two
        passes at a quarter of the rate. A ring (`_ring_loop`) folds the partial of the
        chunk before: that one's tree has long drained, where this chunk's own would
        hold the engine's in-order issue (and the next chunk's load) until it has."""
        partials, zero = self._quad_regs[id(sink)]
        self.emit("vwredsum.vs", self._vreg(partials[index]), src, self._vreg(zero), NO_MASK)
        if fold:
            self._quad_fold(sink, index, count)

    def _quad_fold(self, sink: _Sink, index: int, count, fresh: bool = False) -> None:
        """accumulator += partial `index` (vwredsum at e16, vl 1); vl back to `count`.
        `fresh` (a row loop: `_row_reductions`): set `index`'s accumulator = the partial,
        from the zero register. (vwadd.wv there, element-wise, took 16 cycles more at 4K
        elements.)"""
        partials, zero = self._quad_regs[id(sink)]
        acc = self._vreg(self._acc_regs[id(sink)][index if fresh else 0])
        self.emit("vsetivli", ZERO, 1, _one_element_vtype(16))
        self.emit("vwredsum.vs", acc, self._vreg(partials[index]),
                  self._vreg(zero) if fresh else acc, NO_MASK)
        self.emit("vsetvli", ZERO, count, self._vtype(self._sew0))
        self._vsew = self._sew0

    def _combine_accumulators(self, sink: _Sink) -> bool:
        """The sets' accumulators of a reduction into the first (vl 1); whether there
        were several (the accumulator's vtype is then set)."""
        accs = self._acc_regs[id(sink)]
        if len(accs) == 1:
            return False
        node = sink.node
        unsigned = "u" if node.element == "u8" else ""
        mnemonic = {"sum": "vadd.vv", "max": f"vmax{unsigned}.vv",
                    "min": f"vmin{unsigned}.vv"}[sink.reduction]
        self.current_op = sink.op
        self._accumulator_vtype(sink)
        first = self._vreg(accs[0])
        for other in accs[1:]:
            self.emit(mnemonic, first, first, self._vreg(other), NO_MASK)
        return True

    # instruction helpers

    def _accumulator_vtype(self, sink: _Sink) -> None:
        """vl 1 at the accumulator's SEW, the smallest LMUL: element 0 is all a reduction
        reads and writes (vtype state is then unknown: `_vsew` None)."""
        self.emit("vsetivli", ZERO, 1, _one_element_vtype(sink.node.sew))
        self._vsew = None

    def _vreg(self, index: int) -> PReg:
        return PReg("v", index)

    def _vtype(self, sew: int) -> Text:
        """The region's vtype at `sew`: mask-undisturbed when a load is masked by data
        (its masked-off elements keep `other`, written before it)."""
        lmul = self._velems * sew / self._vlen
        text = f"m{int(lmul)}" if lmul >= 1 else f"mf{int(round(1 / lmul))}"
        return Text(f"e{sew}, {text}, ta, {self._mask_policy}")

    def _need_sew(self, sew: int) -> None:
        if self._vsew != sew:
            self.emit("vsetvli", ZERO, ZERO, self._vtype(sew))
            self._vsew = sew

    def _operand(self, node: VecBlock, plan: _Plan) -> PReg:
        if node.kind == "carried":
            return self._vreg(node.value)
        if node.kind == "cast" and node.args[0].sew == node.sew and id(node) not in plan.regs:
            return self._operand(node.args[0], plan)
        return self._vreg(plan.regs[id(node)])

    def _splat_into(self, target: PReg, node: VecBlock) -> None:
        value = node.value
        if isinstance(value, int) and -16 <= value < 16:
            self.emit("vmv.v.i", target, value)
        else:
            self.emit("vmv.v.x", target, self.reg(value))

    def _emit_node(self, node: VecBlock, plan: _Plan) -> None:
        vd = self._vreg(plan.regs[id(node)])
        temps = [self._vreg(t) for t in plan.temps.get(id(node), [])]
        kind = node.kind
        if kind == "materialize":
            self._need_sew(node.sew)
            self._splat_into(vd, node.args[0])
        elif kind == "index":
            affine = node.value
            self._need_sew(32)
            self.emit("vid.v", vd, NO_MASK)
            if self._start is not None:
                self.emit("vadd.vx", vd, vd, self._start, NO_MASK)
            coeff = affine.terms[0]
            if coeff != 1:
                self.emit("vmul.vx", vd, vd, self.reg(coeff), NO_MASK)
            if affine.base != 0:
                self.emit("vadd.vx", vd, vd, self.reg(affine.base), NO_MASK)
        elif kind == "binary":
            self._emit_binary(node, vd, temps, plan)
        elif kind == "mask":  # a store's data mask, kept in a register until the store
            (cond,) = node.args
            if cond.kind == "cmp":
                self._emit_cmp(cond, vd, plan, False)
            else:
                self._mask_into_v0(cond, plan, temps, False)
                self.emit("vmand.mm", vd, PReg("v", 0), PReg("v", 0))
        elif kind == "wmul":
            a, b = node.args
            self._need_sew(a.sew)
            self.emit("vwmul.vv", vd, self._operand(a, plan), self._operand(b, plan), NO_MASK)
        elif kind == "select":
            self._emit_select(node, vd, temps, plan)
        elif kind == "cast":
            source = node.args[0]
            if source.sew == node.sew:
                src = self._operand(source, plan)
                if src != vd:
                    self._need_sew(node.sew)
                    self.emit("vmv.v.v", vd, src)
            elif source.sew < node.sew:
                factor = node.sew // source.sew
                sign = "vzext" if source.element == "u8" else "vsext"
                self._need_sew(node.sew)
                self.emit(f"{sign}.vf{factor}", vd, self._operand(source, plan), NO_MASK)
            else:
                src = self._operand(source, plan)
                if source.sew == 32 and node.sew == 8:
                    self._need_sew(16)
                    self.emit("vnsrl.wi", temps[0], src, 0, NO_MASK)
                    src = temps[0]
                self._need_sew(node.sew)
                self.emit("vnsrl.wi", vd, src, 0, NO_MASK)
        else:
            raise AssertionError(kind)

    def _emit_binary(self, node: VecBlock, vd: PReg, temps: list[PReg], plan: _Plan) -> None:
        a, b = node.args
        name = node.name
        unsigned = node.element == "u8"
        self._need_sew(node.sew)
        if node.element == "i1":
            raise self.error("a mask computed with &, |, ^ can only be used by tl.where",
                             node.op)
        if a.kind == "uniform" and b.kind != "uniform":
            if name in _COMMUTATIVE:
                a, b = b, a
            elif name == "sub":  # a - b = vrsub(b, a)
                if isinstance(a.value, int) and -16 <= a.value < 16:
                    self.emit("vrsub.vi", vd, self._operand(b, plan), a.value, NO_MASK)
                else:
                    self.emit("vrsub.vx", vd, self._operand(b, plan), self.reg(a.value),
                              NO_MASK)
                return
        if a.kind == "uniform":  # materialise the left operand
            self._splat_into(temps[0], a)
            left = temps[0]
        else:
            left = self._operand(a, plan)
        shift = _power_of_two_divisor(node)
        if shift is not None and a.kind != "uniform":
            self._divide_by_shifts(name, unsigned, vd, left, shift, temps, node.sew)
            return
        base = {"add": "vadd", "sub": "vsub", "mul": "vmul", "div": "vdiv", "rem": "vrem",
                "and": "vand", "or": "vor", "xor": "vxor", "shl": "vsll", "shr": "vsra",
                "max": "vmax", "min": "vmin"}[name]
        if unsigned and name in ("div", "rem", "max", "min"):
            base += "u"
        if unsigned and name == "shr":
            base = "vsrl"
        if b.kind == "uniform":
            value = b.value
            if isinstance(value, int):
                if name == "sub" and -15 <= value <= 16:
                    self.emit("vadd.vi", vd, left, -value, NO_MASK)
                    return
                if name in ("shl", "shr") and 0 <= value < 32:
                    self.emit(f"{base}.vi", vd, left, value, NO_MASK)
                    return
                if name in _VI_FORMS and name not in ("shl", "shr") and -16 <= value < 16:
                    self.emit(f"{base}.vi", vd, left, value, NO_MASK)
                    return
            self.emit(f"{base}.vx", vd, left, self.reg(value), NO_MASK)
            return
        self.emit(f"{base}.vv", vd, left, self._operand(b, plan), NO_MASK)

    def _divide_by_shifts(self, name: str, unsigned: bool, vd: PReg, x: PReg, k: int,
                          temps: list[PReg], sew: int) -> None:
        """x // 2**k and x % 2**k rounded toward zero (C and Triton) with shifts: the
        lanes' divider spends 32 + 32/SEW cycles a beat, a shift one. Signed: a negative
        x is first raised by 2**k - 1 (its sign bits, shifted down), so that the
        arithmetic shift rounds toward zero; the remainder is x minus the quotient's
        multiple."""
        if unsigned:
            if name == "div":
                self.emit("vsrl.vi", vd, x, k, NO_MASK)
            elif (1 << k) - 1 < 16:
                self.emit("vand.vi", vd, x, (1 << k) - 1, NO_MASK)
            else:
                self.emit("vand.vx", vd, x, self.reg((1 << k) - 1), NO_MASK)
            return
        t = temps[0]
        self.emit("vsra.vi", t, x, sew - 1, NO_MASK)
        self.emit("vsrl.vi", t, t, sew - k, NO_MASK)
        self.emit("vadd.vv", t, t, x, NO_MASK)
        if name == "div":
            self.emit("vsra.vi", vd, t, k, NO_MASK)
            return
        self.emit("vsra.vi", t, t, k, NO_MASK)
        self.emit("vsll.vi", t, t, k, NO_MASK)
        self.emit("vsub.vv", vd, x, t, NO_MASK)

    def _emit_select(self, node: VecBlock, vd: PReg, temps: list[PReg], plan: _Plan) -> None:
        cond, a, b = node.args
        invert = False
        if b.kind == "uniform" and a.kind != "uniform":
            a, b, invert = b, a, True  # cond ? a : u  ==  !cond ? u : a
        self._mask_into_v0(cond, plan, temps, invert)  # first: vd may hold its operands
        self._need_sew(node.sew)
        if b.kind == "uniform":  # both uniform: the false value into vd first
            self._splat_into(vd, b)
            false_reg = vd
        else:
            false_reg = self._operand(b, plan)
        v0 = Text("v0")
        if a.kind == "uniform":
            if isinstance(a.value, int) and -16 <= a.value < 16:
                self.emit("vmerge.vim", vd, false_reg, a.value, v0)
            else:
                self.emit("vmerge.vxm", vd, false_reg, self.reg(a.value), v0)
        else:
            self.emit("vmerge.vvm", vd, false_reg, self._operand(a, plan), v0)

    def _mask_into_v0(self, cond: VecBlock, plan: _Plan, temps: list[PReg],
                      invert: bool) -> None:
        v0 = PReg("v", 0)
        if cond.kind == "cmp":
            self._emit_cmp(cond, v0, plan, invert)
            return
        if cond.kind == "bound":
            self._emit_bound(cond, v0, invert, temps[0])
            return
        if cond.kind == "uniform" and temps:  # one condition for every element (a row's)
            self._need_sew(8)  # (the narrowest: its group fits wherever the data's does)
            self.emit("vmv.v.x", temps[0], self.reg(cond.value))
            self.emit("vmseq.vi" if invert else "vmsne.vi", v0, temps[0], 0, NO_MASK)
            return
        if cond.kind == "binary" and cond.element == "i1":
            left, right = cond.args
            if _mask_depth(right) > 1 or not temps:
                raise self.error("a mask combining more than two comparisons is not "
                                 "supported on the vector engine yet", cond.op)
            self._mask_into(left, temps[0], plan)
            self._mask_into(right, v0, plan)
            name = {"and": "vmand.mm", "or": "vmor.mm", "xor": "vmxor.mm"}[cond.name]
            if invert:
                name = {"and": "vmnand.mm", "or": "vmnor.mm", "xor": "vmxnor.mm"}[cond.name]
            self.emit(name, v0, temps[0], v0)
            return
        raise self.error("this mask cannot be used by tl.where on the vector engine yet",
                         cond.op)

    def _mask_into(self, cond: VecBlock, target: PReg, plan: _Plan) -> None:
        if cond.kind == "cmp":
            self._emit_cmp(cond, target, plan, False)
        else:
            raise self.error("a mask combining more than two comparisons is not supported "
                             "on the vector engine yet", cond.op)

    def _emit_bound(self, cond: VecBlock, target: PReg, invert: bool, temp: PReg) -> None:
        """i < bound over the chunk's indices i = start + vid."""
        self._need_sew(32)
        self.emit("vid.v", temp, NO_MASK)
        if self._start is not None:
            self.emit("vadd.vx", temp, temp, self._start, NO_MASK)
        self.emit("vmslt.vx", target, temp, self.reg(cond.value), NO_MASK)
        if invert:
            self.emit("vmnand.mm", target, target, target)

    def _emit_cmp(self, cond: VecBlock, target: PReg, plan: _Plan, invert: bool) -> None:
        a, b = cond.args
        predicate = _NEGATE[cond.name] if invert else cond.name
        unsigned = a.element == "u8"
        self._need_sew(a.sew)
        if a.kind == "uniform" and b.kind == "uniform":
            raise self.error("a comparison of two uniform blocks is not supported on the "
                             "vector engine (compare the scalars)", cond.op)
        if a.kind == "uniform":
            a, b, predicate = b, a, _FLIP[predicate]
        u = "u" if unsigned else ""
        left = self._operand(a, plan)
        if b.kind != "uniform":
            right = self._operand(b, plan)
            if predicate in ("gt", "ge"):
                left, right, predicate = right, left, _FLIP[predicate]
            mnemonic = {"eq": "vmseq", "ne": "vmsne", "lt": f"vmslt{u}",
                        "le": f"vmsle{u}"}[predicate]
            self.emit(f"{mnemonic}.vv", target, left, right, NO_MASK)
            return
        value = b.value
        if isinstance(value, int):
            imm = {"eq": value, "ne": value, "le": value, "gt": value, "lt": value - 1,
                   "ge": value - 1}[predicate]
            form = {"eq": "vmseq", "ne": "vmsne", "le": f"vmsle{u}", "gt": f"vmsgt{u}",
                    "lt": f"vmsle{u}", "ge": f"vmsgt{u}"}[predicate]
            ok = -16 <= imm < 16 and not (unsigned and predicate in ("lt", "ge") and value == 0)
            if ok:
                self.emit(f"{form}.vi", target, left, imm, NO_MASK)
                return
        if predicate == "ge":  # a >= x  ==  !(a < x)
            self.emit(f"vmslt{u}.vx", target, left, self.reg(value), NO_MASK)
            self.emit("vmnand.mm", target, target, target)
            return
        mnemonic = {"eq": "vmseq", "ne": "vmsne", "lt": f"vmslt{u}", "le": f"vmsle{u}",
                    "gt": f"vmsgt{u}"}[predicate]
        self.emit(f"{mnemonic}.vx", target, left, self.reg(value), NO_MASK)

    # reductions: read out and add the masked-off elements

    def _read_reduction(self, sink: _Sink, count, length: int, bound,
                        vtype_set: bool = False) -> None:
        """vmv.x.s of the accumulator (at its own vl-1 vtype, unless `vtype_set`: the
        combine just set it), then the masked-off elements' share if they are not the
        identity."""
        node = sink.node
        self.current_op = sink.op
        acc = self._vreg(self._acc_regs[id(sink)][0])
        # (not `vsetvli zero, zero` from the region's vtype: that would change VLMAX,
        # which the spec reserves)
        if not vtype_set:
            self._accumulator_vtype(sink)
        self.emit("vmv.x.s", sink.result, acc)
        if node.element == "u8":
            self.emit("andi", sink.result, sink.result, 0xFF)
        if bound is None or (isinstance(count, int) and count >= length):
            return
        fill = _fill_value(node, bound)
        if fill is None and node.kind != "carried":
            clamped = self._max0(count)
            fill = self._masked_value(node, bound) if sink.reduction == "sum" else \
                self._masked_extreme(node, sink.reduction, clamped, length, bound)
        if fill is None and node.kind == "carried" and node.name == "if":
            raise self.error(f"tl.{sink.reduction} of a masked block an `if` produces: its "
                             f"masked-off elements must have one known value, the same on "
                             f"both sides (each side's loads with other=<a constant>)",
                             sink.op)
        if fill is None:
            raise self.error(f"tl.{sink.reduction} of a masked block: the masked-off "
                             f"elements must have a known value (load with other=<a "
                             f"constant>, and mask every load of the reduced block)", sink.op)
        if fill == _identity(sink):
            return
        clamped = self._max0(count)
        missing = self.sub(length, clamped)
        if sink.reduction == "sum":
            extra = self.mul(missing, fill)
            total = self.new_x()
            self.emit("add", total, sink.result, self.reg(extra))
            self.forms[sink.op.result] = self._wrap_type(total, sink.op.result.type)
            return
        # max (min): if any element is masked off, max(result, fill) (min(...))
        result = sink.result
        fill_reg = self.reg(fill)
        less, any_missing, take, neg, mixed, masked, out = (self.new_x() for _ in range(7))
        slt = "sltu" if node.element == "u8" else "slt"
        if sink.reduction == "min":
            self.emit(slt, less, fill_reg, result)  # the fill is below the result
        else:
            self.emit(slt, less, result, fill_reg)
        self.emit("snez", any_missing, self.reg(missing))
        self.emit("and", take, less, any_missing)
        self.emit("sub", neg, ZERO, take)
        self.emit("xor", mixed, result, fill_reg)
        self.emit("and", masked, mixed, neg)
        self.emit("xor", out, result, masked)
        self.forms[sink.op.result] = out

    def _masked_value(self, node: VecBlock, bound) -> Scalar | None:
        """The one value all of `node`'s masked-off elements (index >= bound) have, as
        a scalar known now or computed now (a runtime uniform, a comparison of two such:
        `x == m` where x reads `other` there); None if they differ or are unknown."""
        fill = _fill_value(node, bound)
        if fill is not None:
            return fill
        if node.kind == "uniform":
            if node.element != "u8" or isinstance(node.value, int):
                return node.value  # (i8, i16 scalars are kept sign-extended)
            low = self.new_x()  # uint8: its low byte (a scalar may hold it sign-extended)
            self.emit("andi", low, self.reg(node.value), 0xFF)
            return low
        if node.kind == "cmp":  # (uint8 values zero-extended: a signed compare is theirs)
            a, b = (self._masked_value(arg, bound) for arg in node.args)
            return None if a is None or b is None else self._compare(node.name, a, b)
        if node.kind == "select":
            cond, a, b = (self._masked_value(arg, bound) for arg in node.args)
            if cond is None or a is None or b is None:
                return None
            return self._choose(cond, a, b)
        return None

    def _masked_extreme(self, node: VecBlock, reduction: str, count: Scalar, length: int,
                        bound) -> Scalar | None:
        """The min (max) of `node` over its masked-off elements, indexes count to
        length - 1 (at least one): one value they all have, or an index block's first
        or last, or a select between those under a condition they all share
        (`tl.argmax`'s `where(x == m, position, n)`, x reading `other` there)."""
        same = self._masked_value(node, bound)
        if same is not None:
            return same
        if node.kind == "index" and node.element != "u8" \
                and isinstance(node.value.terms.get(0), int):
            step = node.value.terms[0]
            at = count if (reduction == "min") == (step > 0) else length - 1
            return self._add(node.value.base, self._mul(at, step))
        if node.kind == "select":
            cond = self._masked_value(node.args[0], bound)
            if cond is None:
                return None
            a, b = (self._masked_extreme(arg, reduction, count, length, bound)
                    for arg in node.args[1:])
            if a is None or b is None:
                return None
            return self._choose(cond, a, b)
        return None

    def _max0(self, value):
        if isinstance(value, int):
            return max(value, 0)
        sign, keep, out = self.new_x(), self.new_x(), self.new_x()
        self.emit("srai", sign, value, 31)
        self.emit("xori", keep, sign, -1)
        self.emit("and", out, value, keep)
        return out


# --- helpers -----------------------------------------------------------------------------

def _place(op: Operation) -> str:
    """`file:line` of the source an op came from (as in an error's own place)."""
    where = ob.op_location(op)
    return f"{where[0]}:{where[1]}" if where else "an unknown line"


def _in_loop_outside(user: Operation, op: Operation) -> bool:
    """Whether `user` is inside a loop that `op` is not inside."""
    from xdsl.dialects import scf
    parent = user.parent_op()
    while parent is not None:
        if isinstance(parent, (scf.ForOp, scf.WhileOp)) and not parent.is_ancestor(op):
            return True
        parent = parent.parent_op()
    return False


def _updates_in_place(node: VecBlock, target: VecBlock, bound: object) -> bool:
    """`node` is ``target op x`` with x's value past `bound` op's identity (0 for +, -,
    |, ^; the dtype's minimum for maximum, its maximum for minimum): computed below the
    bound only, it leaves `target`'s elements past it as they are, which is then the
    right result for them."""
    if node.kind != "binary" or target not in node.args:
        return False
    other = node.args[1] if node.args[0] is target else node.args[0]
    if node.name == "sub" and node.args[0] is not target:
        return False
    identity = _op_identity(node.name, node.element)
    return identity is not None and _fill_value(other, bound) == identity


def _op_identity(name: str, element: str) -> int | None:
    """The value `x op identity == x` for every x of `element`: 0 for +, -, |, ^ (and
    a sum), the element type's minimum for a maximum, its maximum for a minimum; None
    for other ops."""
    if name in ("add", "sub", "or", "xor", "sum"):
        return 0
    if name == "max":
        return SIGNED_MIN.get(element)
    if name == "min":
        return SIGNED_MAX.get(element)
    return None


def _identity(sink: _Sink) -> int:
    """The value a reduction starts from (`_op_identity`)."""
    identity = _op_identity(sink.reduction, sink.node.element)
    assert identity is not None
    return identity


def _reduction_mnemonic(sink: _Sink) -> str:
    """A reduction sink's instruction (a sum of a 2x sign-extension: vwredsum of the
    source; a quad-widened sum takes two: `_quad_sum`)."""
    if sink.widened:
        return "vwredsum.vs"
    if sink.reduction == "sum":
        return "vredsum.vs"
    unsigned = "u" if sink.operand.element == "u8" else ""
    return f"vred{sink.reduction}{unsigned}.vs"


def _conjuncts(cond: VecBlock) -> tuple[list[VecBlock], list[VecBlock]]:
    """The terms of a mask joined by &: the index bounds, and the rest (data masks)."""
    conjuncts, pending = [], [cond]
    while pending:
        c = pending.pop()
        if c.kind == "binary" and c.name == "and" and c.element == "i1":
            pending += list(c.args)
        else:
            conjuncts.append(c)
    return ([c for c in conjuncts if c.kind == "bound"],
            [c for c in conjuncts if c.kind != "bound"])


def _one_element_vtype(sew: int) -> Text:
    """vtype for work on element 0 alone: SEW `sew` at the smallest LMUL Zve32x allows
    it (SEW/ELEN): one register for the engine to pass over."""
    lmul = {8: "mf4", 16: "mf2", 32: "m1"}[sew]
    return Text(f"e{sew}, {lmul}, ta, ma")


def _masked_by_data(nodes: list[VecBlock]) -> bool:
    """Whether a load of the region is masked by data (its comparison: its one arg)."""
    return any(n.kind == "load" and n.args for n in nodes)


def _uses_index(nodes: list[VecBlock]) -> bool:
    """Whether the region computes with element indices (its start moves per chunk)."""
    return any(n.kind in ("index", "bound") for n in nodes) or \
        any(a.kind == "bound" for n in nodes for a in n.args)


def _is_step(node: VecBlock) -> bool:
    """A computed node that gets a register (masks are evaluated into v0 at their use,
    but a store's data mask is kept in one: `VectorSelection._store_mask`)."""
    return node.kind == "mask" or (
        node.kind in ("index", "binary", "wmul", "select", "cast", "materialize")
        and node.element != "i1")


def _has_bound(node: VecBlock) -> bool:
    return node.kind == "bound" or any(_has_bound(a) for a in node.args)


def _doubles(node: VecBlock) -> bool:
    """A sign-extension of a computed signed block to twice its width (int8 -> int16,
    int16 -> int32): what vwmul and vwredsum do to their sources on the way."""
    return node.kind == "cast" and node.args[0].element in ("i8", "i16") and \
        node.sew == 2 * node.args[0].sew and node.args[0].kind != "uniform"


def _quadruples(node: VecBlock) -> bool:
    """A sign-extension of a computed int8 block to int32 (`_VectorSelection._quad_sum`)."""
    return node.kind == "cast" and node.args[0].element == "i8" and node.sew == 32 and \
        node.args[0].kind != "uniform"


def _is_1d_block(type_) -> bool:
    return isinstance(type_, ob.BlockType) and len(type_.dims) == 1


def _same(a, b) -> bool:
    return a is b or (isinstance(a, int) and isinstance(b, int) and a == b)


def _skey(value) -> object:
    return ("r", id(value)) if isinstance(value, VReg) else value


def _wrap(value: int, element: str) -> int:
    bits = SEW_OF[element] or 1
    value &= (1 << bits) - 1
    if element == "u8":
        return value
    return value - (1 << bits) if value >> (bits - 1) else value


def loads_of(node: VecBlock) -> list[VecBlock]:
    """The "load" nodes of `node`'s DAG: the loads computing it takes."""
    return [n for n in _topological([node]) if n.kind == "load"]


def _topological(roots: list[VecBlock]) -> list[VecBlock]:
    order: list[VecBlock] = []
    seen: set[int] = set()

    def visit(node: VecBlock) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        for arg in node.args:
            visit(arg)
        order.append(node)
    for root in roots:
        visit(root)
    return order


def _data_leaves(mask: VecBlock) -> list[VecBlock]:
    """The registers a mask expression reads (its comparisons' non-uniform operands)."""
    if mask.kind == "cmp":
        return [a for a in mask.args if a.kind not in ("uniform",)]
    if mask.kind == "binary":
        return [r for a in mask.args for r in _data_leaves(a)]
    return []


def _mask_depth(mask: VecBlock) -> int:
    if mask.kind == "binary" and mask.element == "i1":
        return 1 + max(_mask_depth(a) for a in mask.args)
    return 1


def _stored_ids(region: _Region) -> set[int]:
    """The values a store reads after the chunk's compute (its data, its data mask)."""
    return {id(n) for s in region.sinks if s.kind == "store"
            for n in (s.node, s.data_mask) if n is not None}


def _power_of_two_divisor(node: VecBlock) -> int | None:
    """k when `node` is `x // 2**k` or `x % 2**k` (1 <= k, 2**k an element value), which
    shifts compute (`_divide_by_shifts`); else None."""
    if node.kind != "binary" or node.name not in ("div", "rem"):
        return None
    b = node.args[1]
    if b.kind != "uniform" or not isinstance(b.value, int) or b.value < 2 \
            or b.value & (b.value - 1):
        return None
    k = b.value.bit_length() - 1
    return k if k < SEW_OF[node.element] - (node.element != "u8") else None


def _fill_value(node: VecBlock, bound) -> int | None:
    """The value every masked-off element (index >= bound) has, if known at compile time."""
    from sw.compiler.isel import _c_div
    kind = node.kind
    if kind == "load":
        if node.masked and _same(node.bound, bound) and isinstance(node.other, int):
            return _wrap(node.other, node.element)
        return None
    if kind == "uniform":
        return _wrap(node.value, node.element) if isinstance(node.value, int) else None
    if kind == "carried":  # (an `if`'s block past the bound its sides computed it under)
        return node.other if node.masked and _same(node.bound, bound) else None
    if kind == "bound":  # false beyond the region's own bound
        return 0 if _same(node.value, bound) else None
    if kind in ("index", "materialize"):
        return None if kind != "materialize" else _fill_value(node.args[0], bound)
    values = [_fill_value(a, bound) for a in node.args]
    if any(v is None for v in values):
        return None
    if kind == "cast":
        value = values[0]
        if node.args[0].element == "u8":
            value &= 0xFF
        return _wrap(value, node.element)
    if kind == "select":
        return values[1] if values[0] else values[2]
    if kind == "cmp":
        a, b = values
        return int({"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b,
                    "ge": a >= b}[node.name])
    a, b = values
    ops: dict[str, Callable[[int, int], int]] = {
        "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
        "and": lambda x, y: x & y, "or": lambda x, y: x | y, "xor": lambda x, y: x ^ y,
        "max": max, "min": min, "shl": lambda x, y: x << (y % max(SEW_OF[node.element], 1)),
        "shr": lambda x, y: x >> (y % max(SEW_OF[node.element], 1)),
        "div": lambda x, y: _c_div(x, y), "rem": lambda x, y: x - _c_div(x, y) * y if y else x}
    return _wrap(ops[node.name](a, b), node.element)
