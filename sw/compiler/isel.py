"""Instruction selection: block-level IR -> machine IR over virtual registers.

The block IR computes on whole blocks; the machine has x registers, vector register
groups and tile registers. Selection gives every SSA value a *machine form*:

- a scalar is a virtual x register, or a Python int while it is a known constant
  (folded into immediates, materialised with `li` only where a register is needed);
- an index or pointer block built from `arange`, splats, broadcasts, `+`, `-` and
  multiplication by uniform values is `Affine`: ``base + sum(coeff[d] * i_d)`` over its
  index i_d along each dimension d, with scalar base and coefficients. It is never
  materialised: it is what a memory operation needs to know (base address, strides,
  which dimension is contiguous), as triton-shared's pointer analysis does;
- a mask built from comparisons of such blocks and `&` is `Mask`: ``lows[d] <= i_d <
  bound[d]`` per dimension, and a scalar condition for the whole block (`&` with a
  scalar comparison), which the tensor engine's `trow0`/`trows`/`tcolb` cut loads and
  stores to (a false condition skips the tile);
- an int8 operand or int32 accumulator block on the tensor engine is `TileBlock`: a
  grid of tile registers (TDIM rows of 4*TDIM bytes each). Loads into tiles are
  emitted lazily, right before their first use, so that each `tld` sits just after
  the previous `tmma` and overlaps the next (the engine issues in order: the
  instruction order is the schedule);
- a 1-D data block (loaded data and what is computed from it) is `VecBlock`, a node of
  a lazily selected element-wise DAG that `isel_vector.py` emits for the vector engine
  as strip-mined RVV loops.

Anything else is a clear CompileError at the op's source location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import IntegerAttr, IntegerType, ModuleOp, i1
from xdsl.ir import Attribute, Block, BlockArgument, Operation, SSAValue

from oxcore.config import OxCoreConfig
from oxcore.errors import CompileError
from sw.compiler import abi
from sw.compiler import dialect as ob
from sw.compiler.isel_vector import (RowStrip, RowsDoNotFit, VecBlock, VectorSelection,
                                     _is_1d_block, loads_of)
from sw.compiler.kloop import (LOAD_OVERHEAD, KLoopPlan, KStep, plan_k_loop,
                               selection_order)
from sw.compiler.machine_model import MachineModel
from sw.compiler.mir import (MBlock, MFunction, MInstr, Label, PReg, Text, VReg, ZERO,
                             Operand)

Scalar = VReg | int


# --- machine forms -------------------------------------------------------------------

@dataclass
class Affine:
    """``base + sum(terms[d] * i_d)``; pointer blocks count in bytes (`elem_size` > 0)."""

    shape: tuple[int, ...]
    base: Scalar
    terms: dict[int, Scalar]
    elem_size: int = 0
    # a row of a 2-D block in a row loop selected as a strip loop (`_rows_as_strips`):
    # what its base moves by from one row to the next
    row_step: Scalar = 0

    @property
    def is_pointer(self) -> bool:
        return self.elem_size > 0

    def moved(self, shape: tuple[int, ...], rename: Callable[[int], int]) -> "Affine":
        """The same addresses on a block of `shape`, dimension d renamed rename(d)."""
        return Affine(shape, self.base, {rename(d): c for d, c in self.terms.items()},
                      self.elem_size)


@dataclass
class Mask:
    """``predicate and all(lows[d] <= i_d < bounds[d])``: a conjunction of per-dimension
    bounds (upper, and lower ones: a convolution's padding before the image) and of a
    scalar condition the whole block shares (0 or 1; the input row of a convolution
    inside the image). 1-D masks (the vector engine's) have upper bounds only."""

    shape: tuple[int, ...]
    bounds: dict[int, Scalar]
    lows: dict[int, "Scalar | Callable[[], Scalar]"] = field(default_factory=dict)
    predicate: Scalar = 1

    @property
    def upper_only(self) -> bool:
        """Only upper bounds: what a vector access and a tile store take."""
        return not self.lows and self.predicate == 1

    def moved(self, shape: tuple[int, ...], shift: Callable[[int], int] = lambda d: d
              ) -> "Mask":
        """The same conditions on a block of `shape`, dimension d renamed shift(d)."""
        return Mask(shape, {shift(d): b for d, b in self.bounds.items()},
                    {shift(d): b for d, b in self.lows.items()}, self.predicate)


@dataclass
class PendingTile:
    """A tile whose instruction is emitted at its first use: a load or a zero."""

    emit: Callable[[VReg], None]
    reg: VReg


@dataclass
class TileBlock:
    """A 2-D block held in tile registers. `transposed`: tile rows run along the block's
    dimension 1 (a [K, N] operand stored K-contiguous, as tmma's second operand wants);
    otherwise along dimension 0. `tiles[(i, j)]` is indexed by block dimensions."""

    shape: tuple[int, int]
    element: str  # "i8" (operand) or "i32" (accumulator)
    transposed: bool
    tiles: dict[tuple[int, int], VReg | PendingTile] = field(default_factory=dict)
    load: str = ""  # the tile load that fills it (tld.b, tld.bt, tld.w); "" if none


@dataclass
class _IfBlock:
    """An index or pointer block an `if` produces: its base in a register each side
    writes; `block` is the shared form once the first side has given its strides."""

    base: VReg
    block: "Affine | None" = None


@dataclass
class KPipeline:
    """A software-pipelined tl.dot loop being selected (`kloop`): its peeled first
    iteration (`first`), then the loop."""

    loop: scf.ForOp
    dot: ob.DotOp
    step: Scalar
    ub: Scalar
    plans: tuple[KLoopPlan, KLoopPlan]  # the peeled iteration's, the loop's
    first: bool = True


@dataclass
class Requantized:
    """An int32 TileBlock that `tl.requantize` turned into int8: still the accumulator
    tiles, stored by tst.b, whose epilogue (the tq* CSRs, set at the requantize op)
    does the arithmetic."""

    tiles: TileBlock


Form = Scalar | Affine | Mask | TileBlock | Requantized
#: Ops that compute element by element, which a tile block (tensor registers) cannot
#: take part in (`TILE_ARITHMETIC`).
ELEMENT_WISE = (ob.ElementwiseBinaryOp, ob.CmpOp, ob.SelectOp, ob.CastOp, ob.ReduceOp)
INT8_MIN, INT8_MAX = -128, 127
TILE_ARITHMETIC = (
    "the tensor engine has no element-wise tile arithmetic: on a tl.dot accumulator the "
    "code generator supports `acc + bias[None, :]` or `acc + tl.load(r2d)` right after "
    "the dot loop (a load with other=0, nothing stored in between: the accumulator "
    "starts at it) and `tl.maximum(acc, 0)` right "
    "before tl.requantize (tst.b's activation clamp); other element-wise work runs on "
    "the vector engine when its result is stored as int32 through the store's mask "
    "(the tile is stored, then read back): store an int32 result first, then narrow it")


def _int_type_bits(type_: Attribute) -> int:
    assert isinstance(type_, IntegerType)
    return type_.width.data


def _fits12(value: int) -> bool:
    return -2048 <= value < 2048


def _wrap32(value: int) -> int:
    value &= 0xFFFF_FFFF
    return value - (1 << 32) if value & 0x8000_0000 else value


PROGRAM_SCOPE = 1  # scope 0 is the kernel's entry; 1 the loop over programs (`select`)


@dataclass
class Scope:
    """A region of the kernel during selection: the pure values computed in it, and
    while an inner region is being selected, the branch into that region (`anchor`:
    its block and instruction), before which this region's values are inserted."""

    memo: dict[tuple, Scalar] = field(default_factory=dict)
    anchor: tuple[MBlock, MInstr] | None = None
    # the straight-line code's shared values (`Selector._inline_memo`) as the region
    # began: restored when it ends, since the path around the region computed none of
    # what the region added
    outer_inline_memo: dict[tuple, Scalar] | None = None


# --- the selector --------------------------------------------------------------------

class Selector(VectorSelection):
    """Walks one kernel function and appends machine instructions to an MFunction.
    1-D data blocks go to the vector engine (`VectorSelection`, isel_vector.py)."""

    def __init__(self, function: func.FuncOp, config: OxCoreConfig,
                 num_stages: int | None = None, share_peeled_bounds: bool = False) -> None:
        self.function = function
        self.config = config
        # K-loop software pipelining (Triton's num_stages): None, the engine model
        # decides; 1, never; 2 or more, pipelined (one iteration ahead) when possible
        self.num_stages = num_stages
        # the peeled iteration's tiles share their bounds (`_where_used`) from each
        # bound's first use on, rather than compute each tile's again: fewer scalar
        # instructions a program, more registers held (the driver keeps it only when
        # the allocation spills no more for it)
        self.share_peeled_bounds = share_peeled_bounds
        self.peeled = False  # a loop's first iteration was selected on its own
        self.tdim = config.tensor.tdim if config.tensor is not None else None
        self.fn = MFunction(function.sym_name.data)
        self.block = self._start_block("entry")
        self.forms: dict[SSAValue, Form] = {}
        self.record = self.fn.new_vreg("x", "record")
        self.cold_blocks: list[MBlock] = []
        # the deferred store (select): the loop whose first iteration takes it (None:
        # the program's first tl.dot, in straight-line code) and the store
        self.plan: tuple[scf.ForOp | None, ob.StoreOp] | None = None
        self.deferred_acc: TileBlock | None = None  # the accumulator it stores
        self.deferred_kind = ("tst.w", 4)  # its store: mnemonic, element bytes in memory
        # flushing the deferred store: on while this program still has to store some of
        # the previous program's accumulator tiles (`stored`: the tiles it has stored)
        self.flush_before_tmma = False
        self.stored: set[tuple[int, int]] = set()
        self.pending: tuple[VReg, ...] = ()
        self.entry_inits: list[MInstr] = []  # definitions to put at the kernel's entry
        self._load_registers: dict[tuple[int, int, int], VReg] = {}
        self.k_pipeline: KPipeline | None = None  # the pipelined dot loop being selected
        # loads of a pipelined loop's dot: one register per row of tiles (a slot)
        self._slot_loads: set[int] = set()
        self.shadow: VReg | None = None  # the tensor edge CSRs' last values (_edges)
        self.edge_writes: list[MBlock] = []  # their out-of-line writes
        self.uses_first_row = False  # a tile's first rows are masked somewhere (trow0)
        self.mutable: set[VReg] = set()  # registers redefined later: loop-carried values
        self._scopes: list[Scope] = [Scope()]  # regions, outermost first (_pure)
        self._depth: dict[int, int] = {}  # id(register) -> the scope defining it
        self._hoisting_to: int | None = None
        self._inline = False  # compute pure values where they are used, not hoisted
        # while _inline: what straight-line code computed already (None: share nothing)
        self._inline_memo: dict[tuple, Scalar] | None = None
        # the deferred store's arithmetic, shared by its tiles' stores in one program
        self._flush_memo: dict[tuple, Scalar] = {}
        self._negation: dict[VReg, Scalar] = {}  # r -> x where r = -x
        self._difference: dict[VReg, tuple[Scalar, Scalar]] = {}  # r -> (a, b): r = a - b
        self._plus: dict[VReg, tuple[VReg, int]] = {}  # r -> (x, c): r = x + c
        self.current_op: Operation | None = None
        self.engines: set[str] = set()
        self._order: dict[Operation, int] | None = None  # (_op_order)
        self._init_vector()

    # -- plumbing --

    def error(self, message: str, op: Operation | None = None) -> CompileError:
        where = ob.op_location(op or self.current_op) if (op or self.current_op) else None
        if where is None:
            return CompileError(message, "<kernel>", 1, 1)
        return CompileError(message, *where)

    def _start_block(self, hint: str, symbol: str | None = None) -> MBlock:
        block = self.fn.new_block(hint, symbol)
        self.fn.blocks.append(block)
        return block

    def emit(self, mnemonic: str, *operands: Operand, accumulate: bool = False,
             comment: str = "") -> MInstr:
        ins = MInstr(mnemonic, list(operands), accumulate, comment)
        self.block.instrs.append(ins)
        if ins.engine != "scalar":
            self.engines.add(ins.engine)
        return ins

    def _pure(self, key: tuple, compute: Callable[[], Scalar],
              operands: tuple[Scalar, ...] = ()) -> Scalar:
        """`compute()` once, in the outermost region where its operands are all defined
        (regions: the kernel, the program loop, loop bodies, `if` branches). If that is
        an enclosing region, the instructions go to its insertion point, just before
        the branch into the region being selected: loop-invariant address and bound
        arithmetic is computed once, and a tile store after a loop shares the bounds
        its loop's loads computed."""
        if self._inline:
            return self._where_used(key, compute)
        current = len(self._scopes) - 1 if self._hoisting_to is None else self._hoisting_to
        depth = min(current, max((self._depth.get(id(o), 0) for o in operands
                                  if isinstance(o, VReg)), default=0))
        # Not out of the program loop: a value computed once per program costs a few
        # scalar cycles while the engines work, but one computed once per launch would
        # hold a register through every program (the kernel's arguments already do).
        depth = max(depth, min(current, PROGRAM_SCOPE))
        for scope in self._scopes[:current + 1]:
            if key in scope.memo:
                return scope.memo[key]
        if depth == current:
            value = compute()
        else:
            value = self._hoist(depth, compute)
        self._scopes[depth].memo[key] = value
        return value

    def _where_used(self, key: tuple, compute: Callable[[], Scalar]) -> Scalar:
        """`compute()` here, not hoisted; or, for a bound (`_SHARED_BOUNDS`), what the
        straight-line code being selected computed for `key` already (`_inline_memo`):
        shared from its first use on, it holds no register before that."""
        memo = self._inline_memo
        if memo is None or key[0] not in _SHARED_BOUNDS:
            return compute()
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def _hoist(self, depth: int, compute: Callable[[], Scalar]) -> Scalar:
        scope = self._scopes[depth]
        assert scope.anchor is not None
        block, branch = scope.anchor
        main, self.block = self.block, MBlock(Label(".hoisted"))
        outer, self._hoisting_to = self._hoisting_to, depth
        try:
            value = compute()
        finally:
            self._hoisting_to = outer
            hoisted, self.block = self.block.instrs, main
        at = block.instrs.index(branch)
        block.instrs[at:at] = hoisted
        return value

    def _enter_scope(self, anchor: MInstr) -> None:
        """Open a region; `anchor` is the branch into it, which the current region's
        values computed later are inserted before."""
        self._scopes[-1].anchor = (self.block, anchor)
        self._push_scope()

    def _push_scope(self) -> None:
        """The new region sees the shared straight-line values computed before it (they
        dominate it) and keeps its own to itself (`_leave_scope`)."""
        memo = self._inline_memo
        self._scopes.append(Scope(outer_inline_memo=memo))
        self._inline_memo = None if memo is None else dict(memo)

    def _leave_scope(self) -> None:
        self._inline_memo = self._scopes.pop().outer_inline_memo

    def new_x(self, hint: str = "") -> VReg:
        reg = self.fn.new_vreg("x", hint)
        self._depth[id(reg)] = len(self._scopes) - 1 if self._hoisting_to is None \
            else self._hoisting_to
        return reg

    def _changes_in_this_scope(self, reg: VReg) -> None:
        """`reg` is redefined in the region just opened (a loop-carried value)."""
        self._depth[id(reg)] = len(self._scopes) - 1

    def reg(self, value: Scalar) -> VReg | PReg:
        """A register holding `value` (li for a constant; x0 for zero)."""
        if isinstance(value, int):
            if value == 0:
                return ZERO
            # a constant where it is used: one instruction, no register held for it
            return self._li(value)
        return value

    def _li(self, value: int) -> VReg:
        out = self.new_x()
        self.emit("li", out, _wrap32(value))
        return out

    # -- scalar arithmetic with folding --

    def add(self, a: Scalar, b: Scalar) -> Scalar:
        return self._pure(("add", _key(a), _key(b)), lambda: self._add(a, b), (a, b))

    def _add(self, a: Scalar, b: Scalar) -> Scalar:
        if isinstance(a, int) and isinstance(b, int):
            return _wrap32(a + b)
        if isinstance(a, int):
            a, b = b, a
        if isinstance(b, int):
            if b == 0:
                return a
            if a in self._plus and _fits12(self._plus[a][1]) and \
                    _fits12(self._plus[a][1] + b):
                # (x + c) + b as x + (c + b): a tile's bound clamped (`_min_const`) in
                # one addi, and `a` often dead then
                a, b = self._plus[a][0], self._plus[a][1] + b
            if _fits12(b):
                out = self.new_x()
                self.emit("addi", out, a, b)
                if a not in self.mutable:  # stable operands only
                    self._plus[out] = (a, b)
                return out
        out = self.new_x()
        self.emit("add", out, a, self.reg(b))
        if isinstance(b, int) and a not in self.mutable:
            self._plus[out] = (a, b)
        return out

    def sub(self, a: Scalar, b: Scalar) -> Scalar:
        return self._pure(("sub", _key(a), _key(b)), lambda: self._sub(a, b), (a, b))

    def _sub(self, a: Scalar, b: Scalar) -> Scalar:
        if isinstance(b, int):
            return self.add(a, -b)
        if a == 0 and b in self._negation:  # -(-x)
            return self._negation[b]
        if a == 0 and b in self._difference:  # -(x - y)
            x, y = self._difference[b]
            return self.sub(y, x)
        out = self.new_x()
        self.emit("sub", out, self.reg(a), b)
        if a not in self.mutable and b not in self.mutable:  # stable operands only
            self._difference[out] = (a, b)
            if a == 0:
                self._negation[out] = b
        return out

    def mul(self, a: Scalar, b: Scalar) -> Scalar:
        return self._pure(("mul", _key(a), _key(b)), lambda: self._mul(a, b), (a, b))

    def _mul(self, a: Scalar, b: Scalar) -> Scalar:
        if isinstance(a, int) and isinstance(b, int):
            return _wrap32(a * b)
        if isinstance(a, int):
            a, b = b, a
        if isinstance(b, int):
            if b == 0:
                return 0
            if b == 1:
                return a
            if b > 0 and b & (b - 1) == 0:
                out = self.new_x()
                self.emit("slli", out, a, b.bit_length() - 1)
                return out
        out = self.new_x()
        self.emit("mul", out, a, self.reg(b))
        return out

    def floor_div(self, a: Scalar, divisor: int) -> Scalar:
        """floor(a / divisor), signed, for a constant divisor > 0 (a mask's bound over
        a strided index), computed once per region."""
        if divisor == 1:
            return a
        return self._pure(("floordiv", _key(a), divisor),
                          lambda: self._floor_div(a, divisor), (a,))

    def _floor_div(self, a: Scalar, divisor: int) -> Scalar:
        """An arithmetic shift for a power of two; else div, which rounds toward zero,
        less one when the remainder is negative."""
        if isinstance(a, int):
            return a // divisor
        out = self.new_x()
        if divisor & (divisor - 1) == 0:
            self.emit("srai", out, a, divisor.bit_length() - 1)
            return out
        quotient, remainder, negative = self.new_x(), self.new_x(), self.new_x()
        self.emit("div", quotient, a, self._li(divisor))
        self.emit("rem", remainder, a, self._li(divisor))
        self.emit("slti", negative, remainder, 0)
        self.emit("sub", out, quotient, negative)
        return out

    def max0(self, a: Scalar) -> Scalar:
        """max(a, 0), branch-free, computed once per region."""
        return self._pure(("max0", _key(a)), lambda: self._max0(a), (a,))

    def _max0(self, a: Scalar) -> Scalar:
        """a & ~(a >> 31): three instructions, no constant register."""
        if isinstance(a, int):
            return max(a, 0)
        sign, keep, out = self.new_x(), self.new_x(), self.new_x()
        self.emit("srai", sign, a, 31)
        self.emit("not", keep, sign)
        self.emit("and", out, a, keep)
        return out

    def min_const(self, a: Scalar, limit: int) -> Scalar:
        """min(a, limit), branch-free (`_min_const`), computed once per region."""
        return self._pure(("min", _key(a), limit), lambda: self._min_const(a, limit), (a,))

    def _min_const(self, a: Scalar, limit: int) -> Scalar:
        """limit + min(a - limit, 0): four instructions and no constant register (so
        it stays loop-invariant whenever `a` is)."""
        if isinstance(a, int):
            return min(a, limit)
        d = self._add(a, -limit)
        sign, below = self.new_x(), self.new_x()
        self.emit("srai", sign, d, 31)
        self.emit("and", below, d, sign)
        return self._add(below, limit)

    # -- walking --

    def select(self) -> MFunction:
        """The kernel as one function running a range of programs (the launch ABI's
        range mode): arguments are read once, then a loop runs the body once per
        program with the program ids in registers. Scalar stores wait for the
        engines to be idle and loads for their queued stores (the pipeline's
        memory-order rule), so one call per program (which stores the ids in the
        record and reads them back) would stall every program's start behind the
        previous one's last tile store; in one loop the scalar core prepares the
        next program while the engines finish this one."""
        self.emit("mv", self.record, PReg("x", 10), comment="the launch record")
        count = self.new_x("programs")
        self.emit("mv", count, PReg("x", 11), comment="programs to run")
        for index, arg in enumerate(self.function.body.block.args):
            if arg.uses:
                self.forms[arg] = self._record_word(abi.FIRST_ARGUMENT_WORD + index,
                                                    _name_hint(arg) or f"arg{index}")
        # the axes up to the highest the kernel asks about; higher ones only repeat
        # the same programs' ids, which the kernel cannot tell apart (the count still
        # runs every program of the grid)
        axes = 1 + max((op.axis.value.data for op in self.function.walk()
                        if isinstance(op, (ob.ProgramIdOp, ob.NumProgramsOp))), default=0)
        self.grid = [self._record_word(abi.NUM_PROGRAMS_WORD + axis, f"nprog{axis}")
                     for axis in range(axes)]
        self.pids = [self._record_word(abi.PROGRAM_ID_WORD + axis, f"pid{axis}")
                     for axis in range(axes)]
        self.mutable.update(self.pids + [count])
        self.plan = _deferred_store_plan(self.function.body.block)
        if self.plan is not None:
            # known now: the first program's loop emits the flush of "its previous" one
            if isinstance(self.plan[1].value.owner, ob.RequantizeOp):
                self.deferred_kind = ("tst.b", 1)
            self.pending = tuple(self.new_x(hint) for hint in (
                "pending_store", "pending_stride", "pending_rows", "pending_cols"))
            for reg in self.pending:  # no rows: no store pending
                self.emit("li", reg, 0)
            self.mutable.update(self.pending)
        done = self.fn.new_block("programs_done")
        enter = self.emit("blez", count, done.label)
        program = self._start_block("program", symbol="programs")
        self.fn.program_loop = program.label
        self._enter_scope(enter)
        for reg in [*self.pids, count, *self.pending]:
            self._changes_in_this_scope(reg)
        self.block = program
        # straight-line dots (taps unrolled): the first tmma takes the deferred store
        self.flush_before_tmma = self.plan is not None and self.plan[0] is None
        self.walk(self.function.body.block)
        self._leave_scope()
        self._next_program(count, program)
        self.fn.blocks.append(done)
        self.block = done
        if self.plan is not None:
            self._flush_deferred()  # the last program's store
            assert self.deferred_acc is not None
            # defined on entry, so that no register is read before any write on a path
            # the analysis sees (zero rows keep the first program from storing)
            self.entry_inits += [MInstr("tzero", [reg])
                                 for reg in _registers(self.deferred_acc).values()]
        self.emit("ret")
        self._write_first_rows()
        self.fn.blocks += self.cold_blocks
        entry = self.fn.blocks[0].instrs
        entry[1:1] = self.entry_inits
        if self.shadow is not None:  # no value the CSRs can hold: the first use sets them
            entry.insert(1, MInstr("li", [self.shadow, -1], comment="trows, tcolb unknown"))
        return self.fn

    def _record_word(self, word: int, hint: str) -> VReg:
        out = self.new_x(hint)
        self.emit("lw", out, 4 * word, self.record)
        return out

    def _next_program(self, count: VReg, program: MBlock) -> None:
        """count -= 1; the next program id in linear order (axis 0 fastest), branch-free:
        pid0 += 1, and where it reaches its grid size it wraps to 0 and carries on."""
        carry: Scalar = 1
        for pid, size in zip(self.pids, self.grid):
            bumped = self._add(pid, carry)
            differs, wrapped, keep = self.new_x(), self.new_x(), self.new_x()
            self.emit("xor", differs, bumped, size)
            self.emit("seqz", wrapped, differs)
            self.emit("addi", keep, wrapped, -1)  # 0 where it wrapped, else all ones
            self.emit("and", pid, bumped, keep)
            carry = wrapped
        self.emit("addi", count, count, -1)
        self.emit("bnez", count, program.label)

    def walk(self, block: Block) -> None:
        for op in block.ops:
            self.visit(op)

    def visit(self, op: Operation) -> None:
        """Select one op: the handler is named after the op (`op_arith_addi` for
        arith.addi; the oxcore_block dialect's ops without their prefix)."""
        if self.vector_pending() and not self.defers(op):
            self.flush_vector()  # the element-wise region's code goes before this op
        self.current_op = op
        self._visited_order = max(self._visited_order, self._op_order()[op])
        if ob.writes_memory(op):
            self._loads_before(op)
        if isinstance(op, ELEMENT_WISE) and any(
                isinstance(self.forms.get(v), (TileBlock, Requantized)) for v in op.operands):
            raise self.error(TILE_ARITHMETIC)
        name = op.name.removeprefix("oxcore_block.").replace(".", "_")
        handler = getattr(self, "op_" + name, None)
        if handler is None:
            raise self.error(f"'{op.name}' is not supported by the code generator yet")
        handler(op)

    def _loads_before(self, op: Operation) -> None:
        """Loads are emitted where their values are used (a tile's at its first use, a
        1-D block's in the element-wise region that reads it), which may be after `op`,
        a write to memory: a load through the pointer argument `op` writes through must
        read memory as it was before it. (Different pointer arguments are taken not to
        overlap, as C's `restrict`.) Such a tile load is emitted now; a 1-D block is
        loaded in each region that uses it (its registers do not outlive a region), so
        one used after the write (other than by the region's own stores, whose chunks
        are each loaded before stored) is an error at the write, never a read of what
        it wrote."""
        if isinstance(op, ob.StoreOp) and _is_1d_block(op.value.type):
            return  # a store of an element-wise region (its chunks: loaded, then stored)
        stores = [inner for inner in op.walk() if isinstance(inner, ob.StoreOp)]

        def may_overlap(load: ob.LoadOp) -> bool:
            return any(_may_alias(load.ptr, store.ptr) for store in stores)

        order = self._op_order()
        # a use inside `op` counts when `op` is a loop (its next iteration would read
        # the block again), unless it is split-rows' loop over rows, whose own check
        # says more (`_check_row_order`)
        inside_counts = isinstance(op, scf.WhileOp) or isinstance(op, scf.ForOp) and not any(
            isinstance(inner, ob.RowOp) and inner.index is op.body.block.args[0]
            for inner in op.body.block.ops)
        for value, form in list(self.forms.items()):
            if isinstance(form, TileBlock) and form.load and any(
                    isinstance(t, PendingTile) for t in form.tiles.values()) \
                    and may_overlap(value.owner):
                if any(isinstance(use.operation, scf.ForOp) for use in value.uses):
                    raise self.error("this store comes between the tile load that starts "
                                     "a tl.dot accumulator and its loop, through the same "
                                     "pointer argument: load it after the store")
                self.materialize(form)
            elif isinstance(form, VecBlock) and any(
                    order[use.operation] > order[op]
                    and (inside_counts or not op.is_ancestor(use.operation))
                    for use in value.uses) and any(
                    may_overlap(node.op) for node in loads_of(form)):
                if inside_counts:
                    raise self.error("this loop stores through the pointer argument of a 1-D "
                                     "block loaded before it and used in it or after it, "
                                     "and the vector engine loads a block where its "
                                     "element-wise region uses it, which would read what "
                                     "the loop stored (in its next iteration too): load the "
                                     "block where it is used, or store elsewhere")
                raise self.error("this store comes between the load of a 1-D block through "
                                 "the same pointer argument and a use of the block, and the "
                                 "vector engine loads a block where its element-wise region "
                                 "uses it, which would read memory after the store: move "
                                 "the store after that use, or the load after the store")

    def _op_order(self) -> dict[Operation, int]:
        """Every op of the kernel by its place in the text (its program order)."""
        if self._order is None:
            self._order = {op: index for index, op in enumerate(self.function.walk())}
        return self._order

    def scalar(self, value: SSAValue) -> Scalar:
        form = self.forms[value]
        if not isinstance(form, (VReg, int)):
            raise self.error("a block is used where a scalar is needed")
        return form

    def affine(self, value: SSAValue) -> Affine:
        form = self.forms[value]
        if isinstance(form, (VReg, int)):
            return Affine((), form, {})
        if not isinstance(form, Affine):
            raise self.error(f"this {type(form).__name__} block is not an index or pointer "
                             f"expression the code generator can follow (arange, splat, "
                             f"broadcast, +, -, * by a scalar)")
        return form

    # -- scalars: arith --

    def op_arith_constant(self, op: arith.ConstantOp) -> None:
        value = op.value
        assert isinstance(value, IntegerAttr)
        self.forms[op.result] = _constant(value)

    def _binary_scalar(self, op: Operation, mnemonic: str, fold: Callable[[int, int], int]
                       ) -> None:
        a, b = self.scalar(op.operands[0]), self.scalar(op.operands[1])
        if isinstance(a, int) and isinstance(b, int):
            result: Scalar = _wrap32(fold(a, b))
        elif mnemonic == "add":
            result = self.add(a, b)
        elif mnemonic == "sub":
            result = self.sub(a, b)
        elif mnemonic == "mul":
            result = self.mul(a, b)
        elif mnemonic in ("div", "rem") and isinstance(b, int) and 2 <= b <= 1 << 30 \
                and not b & (b - 1):
            result = self._divide_scalar_by_shifts(mnemonic, self.reg(a), b.bit_length() - 1)
        else:
            out = self.new_x()
            self.emit(mnemonic, out, self.reg(a), self.reg(b))
            result = out
        if op.results[0].type == i1 and mnemonic in ("and", "or", "xor"):
            self.forms[op.results[0]] = result  # (0 and 1 stay 0 and 1)
            return
        self.forms[op.results[0]] = self._wrap_type(result, op.results[0].type)

    def _divide_scalar_by_shifts(self, mnemonic: str, a: VReg | PReg, k: int) -> VReg:
        """a / 2**k or a % 2**k rounded toward zero (C), four to six one-cycle
        instructions where `div` takes the divider 10 to 33 cycles: a negative `a` is
        raised by 2**k - 1 (its sign, shifted down) so that `srai` rounds toward zero;
        the remainder is `a` minus the quotient's multiple."""
        sign, bias, raised, out = (self.new_x() for _ in range(4))
        self.emit("srai", sign, a, 31)
        self.emit("srli", bias, sign, 32 - k)
        self.emit("add", raised, bias, a)
        if mnemonic == "div":
            self.emit("srai", out, raised, k)
            return out
        multiple = self.new_x()
        if k <= 11:
            self.emit("andi", multiple, raised, -(1 << k))
        else:
            quotient = self.new_x()
            self.emit("srai", quotient, raised, k)
            self.emit("slli", multiple, quotient, k)
        self.emit("sub", out, a, multiple)
        return out

    def _wrap_type(self, value: Scalar, type_: Attribute) -> Scalar:
        """Keep an i8/i16 scalar sign-extended in its 32-bit register, and an i1 (a
        comparison's result: `slt` makes 0 or 1) as 0 or 1."""
        bits = _int_type_bits(type_)
        if bits >= 32:
            return value
        if bits == 1:
            if isinstance(value, int):
                return value & 1
            out = self.new_x()
            self.emit("andi", out, value, 1)
            return out
        if isinstance(value, int):
            value &= (1 << bits) - 1
            return value - (1 << bits) if value >> (bits - 1) else value
        shifted, out = self.new_x(), self.new_x()
        self.emit("slli", shifted, value, 32 - bits)
        self.emit("srai", out, shifted, 32 - bits)
        return out

    def op_arith_addi(self, op: Operation) -> None:
        self._binary_scalar(op, "add", lambda a, b: a + b)

    def op_arith_subi(self, op: Operation) -> None:
        self._binary_scalar(op, "sub", lambda a, b: a - b)

    def op_arith_muli(self, op: Operation) -> None:
        self._binary_scalar(op, "mul", lambda a, b: a * b)

    def op_arith_divsi(self, op: Operation) -> None:
        self._binary_scalar(op, "div", _c_div)

    def op_arith_remsi(self, op: Operation) -> None:
        self._binary_scalar(op, "rem", lambda a, b: a - _c_div(a, b) * b)

    def op_arith_andi(self, op: Operation) -> None:
        self._binary_scalar(op, "and", lambda a, b: a & b)

    def op_arith_ori(self, op: Operation) -> None:
        self._binary_scalar(op, "or", lambda a, b: a | b)

    def op_arith_xori(self, op: Operation) -> None:
        self._binary_scalar(op, "xor", lambda a, b: a ^ b)

    def op_arith_shli(self, op: Operation) -> None:
        self._binary_scalar(op, "sll", lambda a, b: a << (b & 31))

    def op_arith_shrsi(self, op: Operation) -> None:
        self._binary_scalar(op, "sra", lambda a, b: a >> (b & 31))

    def op_arith_maxsi(self, op: Operation) -> None:
        self._minmax(op, max)

    def op_arith_minsi(self, op: Operation) -> None:
        self._minmax(op, min)

    def _minmax(self, op: Operation, pick: Callable[[int, int], int]) -> None:
        a, b = self.scalar(op.operands[0]), self.scalar(op.operands[1])
        self.forms[op.results[0]] = self._pick(a, b, pick)

    def _pick(self, a: Scalar, b: Scalar, pick: Callable[[int, int], int]) -> Scalar:
        """min(a, b) or max(a, b) (`pick`), signed, branch-free."""
        if isinstance(a, int) and isinstance(b, int):
            return pick(a, b)
        ra, rb = self.reg(a), self.reg(b)
        first = self.new_x()  # a is the one to take
        self.emit("slt", first, *((ra, rb) if pick is min else (rb, ra)))
        return self._select(first, ra, rb)

    def _select(self, cond: VReg | PReg, a: VReg | PReg, b: VReg | PReg) -> VReg:
        """`a if cond else b` for cond 0 or 1, branch-free: b ^ ((a ^ b) & -cond)."""
        negated, mixed, masked, out = (self.new_x() for _ in range(4))
        self.emit("sub", negated, ZERO, cond)
        self.emit("xor", mixed, a, b)
        self.emit("and", masked, mixed, negated)
        self.emit("xor", out, b, masked)
        return out

    def op_arith_cmpi(self, op: arith.CmpiOp) -> None:
        # (arith's predicates 0-5, eq ne slt sle sgt sge, in the dialect's order)
        predicate = ob.COMPARISONS[op.predicate.value.data]
        self.forms[op.result] = self._compare(predicate, self.scalar(op.lhs),
                                              self.scalar(op.rhs))

    def _compare(self, predicate: str, a: Scalar, b: Scalar) -> Scalar:
        """1 if `a predicate b` (signed; `ob.COMPARISONS`) else 0, folded for constants."""
        if isinstance(a, int) and isinstance(b, int):
            return int({"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b,
                        "ge": a >= b}[predicate])
        ra, rb = self.reg(a), self.reg(b)
        out = self.new_x()
        if predicate in ("eq", "ne"):
            diff = self.new_x()
            self.emit("xor", diff, ra, rb)
            self.emit("seqz" if predicate == "eq" else "snez", out, diff)
        elif predicate in ("lt", "gt"):
            self.emit("slt", out, *((ra, rb) if predicate == "lt" else (rb, ra)))
        else:  # a <= b is !(b < a); a >= b is !(a < b)
            flipped = self.new_x()
            self.emit("slt", flipped, *((rb, ra) if predicate == "le" else (ra, rb)))
            self.emit("xori", out, flipped, 1)
        return out

    def op_arith_select(self, op: arith.SelectOp) -> None:
        self.forms[op.result] = self._choose(*(self.scalar(v) for v in op.operands))

    def _choose(self, cond: Scalar, a: Scalar, b: Scalar) -> Scalar:
        """`a if cond else b`, folded for a constant condition."""
        if isinstance(cond, int):
            return a if cond else b
        return self._select(cond, self.reg(a), self.reg(b))

    def op_arith_extsi(self, op: Operation) -> None:
        self.forms[op.results[0]] = self.scalar(op.operands[0])  # already sign-extended

    def op_arith_extui(self, op: Operation) -> None:
        self.forms[op.results[0]] = self.scalar(op.operands[0])  # i1 is 0 or 1

    def op_arith_trunci(self, op: Operation) -> None:
        self.forms[op.results[0]] = self._wrap_type(self.scalar(op.operands[0]),
                                                    op.results[0].type)

    # -- the grid --

    def op_constant(self, op: ob.ConstantOp) -> None:
        self.forms[op.result] = Affine(op.result.type.dims, _constant(op.value), {})

    def op_program_id(self, op: ob.ProgramIdOp) -> None:
        self.forms[op.result] = self.pids[op.axis.value.data]

    def op_num_programs(self, op: ob.NumProgramsOp) -> None:
        self.forms[op.result] = self.grid[op.axis.value.data]

    # -- index and pointer blocks --

    def op_arange(self, op: ob.ArangeOp) -> None:
        shape = op.result.type.dims
        self.forms[op.result] = Affine(shape, op.start.value.data, {0: 1})

    def op_splat(self, op: ob.SplatOp) -> None:
        shape = op.result.type.dims
        source = self.scalar(op.operand)
        element = op.result.type.element_type
        size = _pointee_size(element)
        self.forms[op.result] = Affine(shape, source, {}, size)

    def op_expand_dims(self, op: ob.ExpandDimsOp) -> None:
        axis = op.axis.value.data
        self._renamed(op, lambda d: d + 1 if d >= axis else d,
                      "expand_dims of a data block is not supported yet")

    def _renamed(self, op: Operation, rename: Callable[[int], int], refusal: str) -> None:
        """`op`'s result: its index, pointer or mask operand with dimension d renamed
        rename(d); data is refused with `refusal`."""
        form = self.forms[op.operands[0]]
        if not isinstance(form, (Affine, Mask)):
            self._refuse_wrapped_index(op.operands[0])
            raise self.error(refusal)
        self.forms[op.results[0]] = form.moved(op.results[0].type.dims, rename)

    def _refuse_wrapped_index(self, value: SSAValue) -> None:
        """A data block reshaped (toward addresses, as an index block would be) that is
        data only because of `index % n`, Triton's idiom for keeping an edge program's
        rows in bounds: an error at that `%`, which says what to write instead. (Data
        from anywhere else, a load, keeps the caller's error.)"""
        wrapped, stack, seen = None, [value], set()
        while stack:
            current = stack.pop()
            if isinstance(self.forms.get(current), (Affine, Mask, int)) \
                    or not isinstance(current.type, ob.BlockType) or current in seen:
                continue  # an index block, a scalar
            seen.add(current)
            owner = current.owner
            if isinstance(owner, ob.RemOp) and isinstance(self.forms.get(owner.lhs), Affine) \
                    and isinstance(self.forms.get(owner.rhs), (Affine, int)):
                wrapped = owner
            elif isinstance(owner, (ob.AddOp, ob.SubOp, ob.MulOp, ob.ExpandDimsOp,
                                    ob.BroadcastOp, ob.AddPtrOp, ob.TransOp)):
                stack.extend(owner.operands)
            else:
                return  # data from elsewhere
        if wrapped is not None:
            raise self.error(
                "`%` of an index block (Triton's `offs % M`, wrapping an edge "
                "program's rows back into the matrix) makes a data block, which "
                "cannot address memory: leave the offsets unwrapped and mask the "
                "loads instead (`mask=offs[:, None] < M`); on OxCore the rows a "
                "mask turns off cost nothing", wrapped)

    def op_broadcast(self, op: ob.BroadcastOp) -> None:
        form = self.forms[op.operand]
        shape = op.result.type.dims
        if isinstance(form, Affine):
            # a term on a size-1 dimension multiplies index 0: drop it
            terms = {d: c for d, c in form.terms.items() if form.shape[d] != 1}
            self.forms[op.result] = Affine(shape, form.base, terms, form.elem_size)
        elif isinstance(form, Mask):
            self.forms[op.result] = form.moved(shape)
        else:
            self._refuse_wrapped_index(op.operand)
            raise self.error("broadcast of a data block is not supported yet")

    def op_trans(self, op: ob.TransOp) -> None:
        """A transposed index, pointer or mask block (what `sink-transposes` leaves: of a
        loop-carried one): its two dimensions renamed."""
        refusal = ("tl.trans of a computed block carried through a loop is not supported: "
                   "transpose the loads it comes from (their pointers and masks) instead")
        if getattr(self.forms[op.operand], "row_step", 0):
            raise self.error(refusal)
        self._renamed(op, lambda d: 1 - d, refusal)

    def op_row(self, op: ob.RowOp) -> None:
        """Row r of an index, pointer or mask block (`split-rows`' loops): the row's
        base moves by r times the row term; a mask's conditions on the row (dimension
        0) make the column bound 0 for a row they turn off. Of a 1-D block, element r:
        a scalar (an address; a mask's 0 or 1)."""
        form, r = self.forms[op.operand], self.scalar(op.index)
        shape = tuple(op.result.type.dims) if isinstance(op.result.type, ob.BlockType) else ()
        if isinstance(form, Affine):
            base = self.add(form.base, self.mul(r, form.terms[0])) if 0 in form.terms \
                else form.base
            if not shape:
                self.forms[op.result] = base
                return
            terms = {0: form.terms[1]} if 1 in form.terms else {}
            self.forms[op.result] = Affine(shape, base, terms, form.elem_size,
                                           row_step=form.terms.get(0, 0))
            return
        if not isinstance(form, Mask) or form.lows.get(1) is not None:
            raise self.error("a row of this block is not an index, pointer or mask block "
                             "the code generator can follow (a 2-D mask on the vector "
                             "engine bounds the columns from above)")
        if self._row_strip is not None and shape:
            # (the loop runs only the rows the mask turns on: `_rows_as_strips`)
            self.forms[op.result] = Mask(shape, {0: form.bounds.get(1, shape[0])})
            return
        row_on = form.predicate  # 0 or 1
        if 0 in form.bounds:
            row_on = self._both(row_on, self._less(r, form.bounds[0]))
        if 0 in form.lows:
            row_on = self._both(row_on, self._less(_value(form.lows[0]), self.add(r, 1)))
        if not shape:
            self.forms[op.result] = row_on
            return
        bound = form.bounds.get(1, shape[0])
        if isinstance(row_on, int):
            bound = bound if row_on else 0
        else:  # bound & -row_on
            on = self.new_x()
            self.emit("sub", on, ZERO, row_on)
            gated = self._and(bound, on)
            self._row_gates[gated] = bound
            bound = gated
        self.forms[op.result] = Mask(shape, {0: bound})

    def _less(self, a: Scalar, b: Scalar) -> Scalar:
        """1 if a < b (signed) else 0."""
        if isinstance(a, int) and isinstance(b, int):
            return int(a < b)
        out = self.new_x()
        self.emit("slt", out, self.reg(a), self.reg(b))
        return out

    def _combine(self, a: Affine, b: Affine, sign: int, shape: tuple[int, ...],
                 elem_size: int) -> Affine:
        def combine(x: Scalar, y: Scalar) -> Scalar:
            return self.add(x, y) if sign > 0 else self.sub(x, y)
        terms = dict(a.terms)
        for d, c in b.terms.items():
            terms[d] = combine(terms.get(d, 0), c)
        return Affine(shape, combine(a.base, b.base), terms, elem_size)

    def op_add(self, op: Operation) -> None:
        if self.is_data(op):
            return self.vector_binary(op, "add")
        if isinstance(self.forms[op.operands[0]], Mask):
            raise self.error("'+' of masks is not supported (use & or |)")
        a, b = self.affine(op.operands[0]), self.affine(op.operands[1])
        self.forms[op.results[0]] = self._combine(a, b, 1, op.results[0].type.dims, 0)

    def op_sub(self, op: Operation) -> None:
        if self.is_data(op):
            return self.vector_binary(op, "sub")
        a, b = self.affine(op.operands[0]), self.affine(op.operands[1])
        self.forms[op.results[0]] = self._combine(a, b, -1, op.results[0].type.dims, 0)

    def op_mul(self, op: Operation) -> None:
        if self.is_data(op):
            return self.vector_binary(op, "mul")
        a, b = self.affine(op.operands[0]), self.affine(op.operands[1])
        if a.terms and b.terms:
            raise self.error("a product of two index blocks is not an affine index "
                             "expression; the code generator cannot follow it yet")
        if a.terms:
            a, b = b, a
        factor = a.base
        self.forms[op.results[0]] = Affine(op.results[0].type.dims, self.mul(b.base, factor),
                                           {d: self.mul(c, factor) for d, c in b.terms.items()})

    def op_addptr(self, op: ob.AddPtrOp) -> None:
        ptr, offset = self.affine(op.ptr), self.affine(op.offset)
        size = _pointee_size(ob.element_of(op.ptr.type))
        scaled = Affine(offset.shape, self.mul(offset.base, size),
                        {d: self.mul(c, size) for d, c in offset.terms.items()})
        result_type = op.result.type
        if not isinstance(result_type, ob.BlockType):  # a scalar pointer
            self.forms[op.result] = self.add(ptr.base, scaled.base)
            return
        self.forms[op.result] = self._combine(Affine(result_type.dims, ptr.base, ptr.terms),
                                              scaled, 1, result_type.dims, size)

    # -- masks --

    def op_cmp(self, op: ob.CmpOp) -> None:
        if self.is_data(op):
            return self.vector_cmp(op)
        if len(op.result.type.dims) != 2 or op.predicate.data not in ("gt", "ge"):
            return self._index_bound(op)
        # a lower bound (a convolution's tap left of the image) is computed here for
        # this mask alone: shared with the same comparison on the taps of other rows,
        # it would hold a register through the program (the pid registers spilled)
        inline, self._inline = self._inline, True
        try:
            self._index_bound(op)
        finally:
            self._inline = inline

    def _index_bound(self, op: ob.CmpOp) -> None:
        """The comparison of an index block with a scalar as the Mask of a bound."""
        predicate = op.predicate.data
        a, b = self.affine(op.lhs), self.affine(op.rhs)
        shape = op.result.type.dims
        if predicate in ("lt", "le"):
            diff, limit = self._combine(a, b, -1, shape, 0), 0 if predicate == "lt" else 1
        elif predicate in ("gt", "ge"):
            diff, limit = self._combine(b, a, -1, shape, 0), 0 if predicate == "gt" else 1
        elif len(shape) == 1:  # not an index bound: an element-wise comparison
            return self.vector_cmp(op)
        else:
            raise self.error(f"a '{predicate}' comparison of index blocks is not a bound "
                             f"the code generator can use as a mask yet (use <, <=, >, >=)")
        # diff < limit with diff = base + c * i_d: i_d < ceil((limit - base) / c) for
        # c > 0, i_d >= floor((base - limit) / -c) + 1 for c < 0 (a lower bound)
        coefficient = next(iter(diff.terms.values())) if len(diff.terms) == 1 else None
        if len(shape) == 1 and coefficient != 1:  # the vector engine's masks: i < n
            return self.vector_cmp(op)
        if not isinstance(coefficient, int) or coefficient == 0:
            raise self.error("a mask must compare one block index, times a constant, with "
                             "a bound (such as offs[:, None] < M, or offs[:, None] * S >= "
                             "P): this comparison is not of that form")
        dim = next(iter(diff.terms))
        if coefficient == 1:
            self.forms[op.result] = Mask(shape, {dim: self.sub(limit, diff.base)})
        elif coefficient > 0:  # ceil(x / c) = -floor(-x / c)
            bound = self.sub(0, self.floor_div(self.sub(diff.base, limit), coefficient))
            self.forms[op.result] = Mask(shape, {dim: bound})
        else:
            x, y = (b, a) if predicate in ("gt", "ge") else (a, b)  # diff = x - y

            def low() -> Scalar:
                """Computed where a tile load uses it (`_first`, inline), from the
                operands, which the addresses keep live anyway: a register of its own
                would be live from here to the taps of the last row."""
                base = self.sub(x.base, y.base)
                return self.add(self.floor_div(self.sub(base, limit), -coefficient), 1)
            self.forms[op.result] = Mask(shape, {}, {dim: low})

    def op_and(self, op: Operation) -> None:
        shape = op.results[0].type.dims
        a, b = (self._as_mask(self.forms[v], shape) for v in op.operands)
        if not (isinstance(a, Mask) and isinstance(b, Mask)):
            return self.vector_binary(op, "and")
        bounds, lows = dict(a.bounds), dict(a.lows)
        for d, bound in b.bounds.items():
            bounds[d] = self._pick(bounds[d], bound, min) if d in bounds else bound
        for d, low in b.lows.items():
            lows[d] = self._pick(_value(lows[d]), _value(low), max) if d in lows else low
        self.forms[op.results[0]] = Mask(shape, bounds, lows,
                                         self._both(a.predicate, b.predicate))

    def _both(self, a: Scalar, b: Scalar) -> Scalar:
        """a and b, two conditions (0 or 1)."""
        if isinstance(a, int) or isinstance(b, int):
            return (b if a else 0) if isinstance(a, int) else (a if b else 0)
        return self._pure(("and", _key(a), _key(b)), lambda: self._and(a, b), (a, b))

    @staticmethod
    def _as_mask(form: Form, shape: tuple[int, ...]) -> Form:
        """A scalar condition splat over a 2-D block (``(ih >= 0) & mask``) as the
        mask of that condition alone; any other form as it is."""
        if (len(shape) == 2 and isinstance(form, Affine) and not form.terms
                and not form.is_pointer):  # a known condition as 0 or 1 (true may be -1)
            return Mask(shape, {}, {}, int(form.base != 0) if isinstance(form.base, int)
                        else form.base)
        return form

    # -- tiles: loads, stores, dot --

    def _need_tensor(self, what: str, moves_a_block: bool = False) -> int:
        """TDIM, or an error naming `what`; `moves_a_block` (a 2-D load or store, perhaps
        written for element-wise work) adds where element-wise work runs instead."""
        if self.tdim is None:
            hint = ("; a 2-D block moves as tensor-engine tiles for tl.dot and "
                    "tl.requantize: the vector engine takes a 2-D block row by row "
                    "(split-rows) when its loads, element-wise ops and reductions end in "
                    "stores, a row reduction (axis=1) stored or broadcast back along the "
                    "rows (docs/compiler.md)") if moves_a_block else ""
            raise self.error(f"{what} needs the tensor engine, which configuration "
                             f"'{self.config.name}' has not (use one with [tensor], e.g. "
                             f"--config tensor){hint}")
        return self.tdim

    def _tile_geometry(self, ptr: Affine, element: str, what: str
                       ) -> tuple[bool, Scalar, int, int]:
        """(transposed, row stride in bytes, tile rows, tile columns in elements) of a 2-D
        block access: tile rows run along the dimension that is not contiguous."""
        tdim = self._need_tensor(what, moves_a_block=True)
        size = ptr.elem_size
        contiguous = [d for d in (0, 1) if ptr.terms.get(d) == size]
        if not contiguous:
            raise self.error(f"{what}: the tensor engine moves rows of consecutive "
                             f"elements, but this block's pointers are consecutive along "
                             f"neither dimension")
        cols = 4 * tdim if element == "i8" else tdim
        # consecutive along both (a stride equal to the element size, as a filter of one
        # channel gives): the dimension that divides into tile rows
        fits = [d for d in contiguous if ptr.shape[d] % cols == 0
                and ptr.shape[1 - d] % tdim == 0]
        dim = 1 if 1 in (fits or contiguous) else 0
        transposed = dim == 0
        other = 1 - dim
        rows_total, cols_total = ptr.shape[other], ptr.shape[dim]
        if cols_total % cols or rows_total % tdim:
            raise self.error(f"{what}: a {ptr.shape[0]}x{ptr.shape[1]} {element} block does "
                             f"not divide into tiles of {tdim} rows x {cols} consecutive "
                             f"elements (TDIM={tdim}): make the block's size along the "
                             f"consecutive dimension a multiple of {cols} and the other a "
                             f"multiple of {tdim}")
        return transposed, ptr.terms.get(other, 0), tdim, cols

    def _cold(self, hint: str) -> MBlock:
        """A block placed after the function's end: code the steady state skips (an
        empty edge tile, a CSR that changes), so the fast path has no taken branch."""
        block = self.fn.new_block(hint)
        self.cold_blocks.append(block)
        return block

    def _resume(self, hint: str) -> MBlock:
        """Start a new block the current one falls into (a cold block jumps back)."""
        self.block = self._start_block(hint)
        return self.block

    def _packed_edges(self, rows: Scalar, cols: Scalar, first: Scalar) -> VReg | PReg:
        """rows | cols << 8 | first << 16: the edge CSRs' values in one register."""
        if not (isinstance(first, int) and first == 0):
            self.uses_first_row = True
        packed = self.add(rows, self.mul(cols, 256))
        return self.reg(self.add(packed, self.mul(first, 1 << 16)))

    def _edges(self, wanted: VReg | PReg) -> None:
        """Set trows, tcolb (and trow0) unless they already hold these values. One
        shadow register keeps them as the engine last got them (rows | cols << 8 |
        first << 16: trows and trow0 have 5 bits, tcolb 7), compared at run time:
        inside a matrix every tile wants whole rows, so the steady state writes no CSR
        (each write takes an engine queue slot and two load/store-unit cycles) and
        takes no branch. The rare write, out of line, takes each from the packed value,
        so only that one register stays live. trow0 is written only in a function that
        has a lower bound somewhere (`_write_first_rows`, at the end of selection):
        elsewhere first is 0 and the code is what it was before trow0 existed."""
        if self.shadow is None:
            self.shadow = self.new_x("edges_shadow")
        change = self._cold("edges_set")
        self.emit("bne", wanted, self.shadow, change.label)
        resume = self._resume("edges_ok")
        col_bytes = self.fn.new_vreg("x")
        change.instrs += [
            # trows is WARL over bits 4:0: it keeps the row count from the packed value
            MInstr("csrw", [Text("trows"), wanted], comment="keeps bits 4:0: the rows"),
            MInstr("mv", [self.shadow, wanted]),
            MInstr("srli", [col_bytes, wanted, 8]),  # may reuse `wanted`'s register
            MInstr("csrw", [Text("tcolb"), col_bytes]),
            MInstr("j", [resume.label])]
        self.edge_writes.append(change)

    def _write_first_rows(self) -> None:
        """In a function with a lower bound, every edge write sets trow0 as well (from
        the shadow, just written): tiles without one need it back at 0. The function
        returns with trow0 at 0, as it found it (`abi`): the kernels that never write
        it (gemm) rely on that."""
        if not self.uses_first_row:
            return
        for change in self.edge_writes:
            first = self.fn.new_vreg("x")
            change.instrs[-1:-1] = [MInstr("srli", [first, self.shadow, 16]),
                                    MInstr("csrw", [Text("trow0"), first])]
        assert self.block.instrs[-1].mnemonic == "ret"
        self.block.instrs.insert(-1, MInstr("csrw", [Text("trow0"), ZERO],
                                            comment="trow0 back at 0 (abi)"))

    def _tile_memory_op(self, emit_op: Callable[[], None], on_empty: Callable[[], None] | None,
                        rows_left: Scalar | None, cols_left: Scalar | None,
                        tdim: int, colbytes: int, elem_size: int, first: Scalar = 0,
                        predicate: Scalar = 1) -> None:
        """Emit a tile load/store cut to the block's bounds: rows_left/cols_left (elements)
        beyond the tile's start (None: no bound), from row `first` on (trow0, at most
        TDIM: the engine zeroes a tile whose first row is past its rows). An empty tile,
        or one whose `predicate` is 0, takes `on_empty` instead (0 in trows/tcolb would
        mean a whole tile), out of line."""
        counts = [c for c in (rows_left, cols_left) if c is not None]
        if predicate == 0 or isinstance(first, int) and first >= tdim \
                or any(isinstance(c, int) and c <= 0 for c in counts):
            if on_empty is not None:
                on_empty()
            return
        columns = colbytes // elem_size
        rows = tdim if rows_left is None else self.min_const(rows_left, tdim)
        cols = colbytes if cols_left is None else \
            self.mul(self.min_const(cols_left, columns), elem_size)
        # min(count, limit) <= 0 exactly when count <= 0: test the clamped values, so
        # the raw counts need no register once these are computed
        runtime = [clamped for clamped, left in ((rows, rows_left), (cols, cols_left))
                   if left is not None and not isinstance(clamped, int)]
        guarded = not isinstance(predicate, int)
        # computed before the branches to the empty path: the values are shared
        # (`_pure`) with later tiles, which may be on paths where this tile is empty
        # (a convolution's taps on other input rows; a software-pipelined K loop's A
        # tile past M loaded before B's); computed after them, an empty tile skipped
        # a shift a later tile's packed value read. Inline code shares only the
        # counts (`_SHARED_BOUNDS`), which the branches test.
        early = guarded or runtime and not self._inline
        wanted = self._packed_edges(rows, cols, first) if early else None
        empty = self._cold("empty_tile") if runtime or guarded else None
        if guarded:
            self.emit("beqz", predicate, empty.label)
        for count in runtime:
            self.emit("blez", count, empty.label)
        self._edges(self._packed_edges(rows, cols, first) if wanted is None else wanted)
        emit_op()
        if empty is not None:
            resume = self._resume("tile_done")
            main, self.block = self.block, empty
            if on_empty is not None:
                on_empty()
            self.emit("j", resume.label)
            self.block = main

    def op_load(self, op: ob.LoadOp) -> None:
        result_type = op.result.type
        if not isinstance(result_type, ob.BlockType):
            self._scalar_load(op)
            return
        if len(result_type.dims) == 1:
            self.vector_load(op)
            return
        element = _element_name(result_type.element_type)
        if len(result_type.dims) != 2 or element not in ("i8", "i32"):
            raise self.error("only 2-D int8 and int32 block loads (tensor engine tiles) are "
                             "supported by the code generator yet")
        ptr = self.affine(op.ptr)
        mask = self._mask(op.mask)
        if op.other is not None:
            other = self.forms[op.other]
            if not (isinstance(other, Affine) and not other.terms and other.base == 0):
                raise self.error("masked-off elements of a tile load are zero: 'other' must "
                                 "be 0 (or omitted)")
        what = "this load"
        if self._loads_dot_rhs_by_rows(op, ptr, element):
            self._transposed_load(op, ptr, mask)
            return
        transposed, stride, tdim, cols = self._tile_geometry(ptr, element, what)
        mnemonic = "tld.b" if element == "i8" else "tld.w"
        block = TileBlock(result_type.dims, element, transposed, load=mnemonic)
        row_dim, col_dim = (1, 0) if transposed else (0, 1)
        if mask is not None and col_dim in mask.lows:
            raise self.error("this load's mask has a lower bound on the block's consecutive "
                             f"dimension ({col_dim}): the tensor engine can skip a tile's "
                             "first rows (trow0), not the first elements of a row")
        n_rows = result_type.dims[row_dim] // tdim
        n_cols = result_type.dims[col_dim] // cols
        for r in range(n_rows):
            for c in range(n_cols):
                reg = self._load_register(op, r, c)

                def emit(target: VReg, r=r, c=c) -> None:
                    # the tile's address and bounds where it is loaded (its first use):
                    # computed at the load op, they would hold registers until then
                    address = self._tile_address(ptr.base, stride, tdim, r,
                                                 c * cols * ptr.elem_size)
                    inline = self._inline
                    # a lower bound's edges (a convolution's taps left of the image) and
                    # a block condition's: computed again at each load, where they are
                    # used; shared across the taps, they would hold registers through
                    # the program (and spill the program ids)
                    self._inline = inline or mask is not None and not mask.upper_only
                    try:
                        self._tile_memory_op(
                            lambda: self.emit(mnemonic, target, self.reg(address),
                                              self.reg(stride)),
                            lambda: self.emit("tzero", target),
                            self._left(mask, row_dim, r * tdim),
                            self._left(mask, col_dim, c * cols),
                            tdim, cols * ptr.elem_size, ptr.elem_size,
                            self._first(mask, row_dim, r * tdim, tdim),
                            1 if mask is None else mask.predicate)
                    finally:
                        self._inline = inline
                index = (c, r) if transposed else (r, c)
                block.tiles[index] = PendingTile(emit, reg)
        self.forms[op.result] = block

    @staticmethod
    def _loads_dot_rhs_by_rows(op: ob.LoadOp, ptr: Affine, element: str) -> bool:
        """An int8 [K, N] block that is tl.dot's second operand, with N consecutive (a
        row-major B, Triton's layout) and K not: tld.bt loads it as the N x K tiles
        tmma wants (a B stored transposed, K consecutive, loads by tld.b)."""
        return (element == "i8" and ptr.terms.get(1) == 1 and ptr.terms.get(0) != 1
                and any(isinstance(use.operation, ob.DotOp) and use.operation.b == op.result
                        for use in op.result.uses))

    def _transposed_load(self, op: ob.LoadOp, ptr: Affine, mask: Mask | None) -> None:
        """tld.bt per tile of a row-major [K, N] int8 block: tile (kt, nt) is 4*TDIM rows
        of B (K, the tile's byte columns: tcolb) of TDIM bytes (N, the tile's rows:
        trows), at base + kt*4*TDIM*stride + nt*TDIM. tld.bt has no first row (trow0),
        so neither dimension may have a lower bound."""
        tdim = self._need_tensor("this load", moves_a_block=True)
        k_size, n_size = op.result.type.dims
        depth = 4 * tdim
        if k_size % depth or n_size % tdim:
            raise self.error(f"this load: a {k_size}x{n_size} int8 block, tl.dot's second "
                             f"operand with N consecutive, is loaded transposed (tld.bt) in "
                             f"tiles of {depth} rows (K) x {tdim} consecutive elements (N) "
                             f"(TDIM={tdim}): make K a multiple of {depth} and N of {tdim}")
        if mask is not None and mask.lows:
            raise self.error("this load's mask has a lower bound: a transposed tile load "
                             "(tld.bt, tl.dot's second operand with N consecutive) cannot "
                             "skip a tile's first rows or columns")
        stride = ptr.terms.get(0, 0)
        block = TileBlock(op.result.type.dims, "i8", True, load="tld.bt")
        for kt in range(k_size // depth):
            for nt in range(n_size // tdim):
                reg = self._load_register(op, nt, kt)

                def emit(target: VReg, kt=kt, nt=nt) -> None:
                    address = self._tile_address(ptr.base, stride, depth, kt, nt * tdim)
                    self._tile_memory_op(
                        lambda: self.emit("tld.bt", target, self.reg(address), self.reg(stride)),
                        lambda: self.emit("tzero", target),
                        self._left(mask, 1, nt * tdim), self._left(mask, 0, kt * depth),
                        tdim, depth, 1, 0, 1 if mask is None else mask.predicate)
                block.tiles[(kt, nt)] = PendingTile(emit, reg)
        self.forms[op.result] = block

    def _load_register(self, op: ob.LoadOp, row: int, column: int) -> VReg:
        """The tile register of tile (row, column) of a load op: one per tile of the op,
        in a loop and in its peeled first iteration alike, so that the engine's register
        hazards across them are those of the loop's own iterations (no false
        dependency). In a software-pipelined dot loop, the k-tiles of a row of tiles
        share one register (`kloop.slot`): the schedule decides when it is reloaded."""
        key = (id(op), row, 0 if id(op) in self._slot_loads else column)
        reg = self._load_registers.get(key)
        if reg is None:
            reg = self._load_registers[key] = self.fn.new_vreg(
                "m", f"{_name_hint(op.result) or 'tile'}{row}{column}")
        return reg

    def _tile_address(self, base: Scalar, stride: Scalar, tile_rows: int, row_tile: int,
                      column_bytes: int) -> Scalar:
        """The first byte of a tile: `row_tile` tiles of `tile_rows` memory rows down
        (TDIM; tld.bt's 4*TDIM), `column_bytes` along the row."""
        return self.add(self.add(base, self.mul(self.mul(stride, tile_rows), row_tile)),
                        column_bytes)

    def _first(self, mask: Mask | None, dim: int, start: int, tdim: int) -> Scalar:
        """The tile's first row inside the mask's lower bound on `dim` (0: none),
        clamped to 0..TDIM (trow0 keeps 5 bits; TDIM already means no row)."""
        if mask is None or dim not in mask.lows:
            return 0
        return self.min_const(self.max0(self.sub(_value(mask.lows[dim]), start)), tdim)

    def _left(self, mask: Mask | None, dim: int, start: int) -> Scalar | None:
        if mask is None or dim not in mask.bounds:
            return None
        return self.sub(mask.bounds[dim], start)

    def _mask(self, value: SSAValue | None) -> Mask | None:
        if value is None:
            return None
        form = self.forms[value]
        if not isinstance(form, Mask):
            raise self.error("this mask is not a conjunction of index bounds (such as "
                             "(offs_m[:, None] < M) & (offs_k[None, :] < K)), which is what "
                             "the code generator supports for tile loads and stores")
        return form

    def tile(self, block: TileBlock, index: tuple[int, int]) -> VReg:
        """The tile register at `index`, emitting its pending load or zero now."""
        entry = block.tiles[index]
        if isinstance(entry, PendingTile):
            entry.emit(entry.reg)
            block.tiles[index] = entry.reg
            return entry.reg
        return entry

    def materialize(self, block: TileBlock) -> None:
        for index in list(block.tiles):
            self.tile(block, index)

    def _zero_tiles(self, shape: tuple[int, int]) -> TileBlock:
        tdim = self._need_tensor("an int32 accumulator block")
        if shape[0] % tdim or shape[1] % tdim:
            raise self.error(f"a {shape[0]}x{shape[1]} accumulator does not divide into "
                             f"{tdim}x{tdim} tiles (TDIM={tdim})")
        block = TileBlock(shape, "i32", False)
        for r in range(shape[0] // tdim):
            for c in range(shape[1] // tdim):
                reg = self.fn.new_vreg("m", f"acc{r}{c}")
                block.tiles[(r, c)] = PendingTile(lambda t: self.emit("tzero", t), reg)
        return block

    def op_dot(self, op: ob.DotOp) -> None:
        tdim = self._need_tensor("tl.dot")
        a, b = self.forms[op.a], self.forms[op.b]
        acc = self.forms[op.acc]
        if isinstance(acc, Affine) and not acc.terms and acc.base == 0:
            acc = self._zero_tiles(op.result.type.dims)
        if self.plan is not None and self.plan[0] is None and self.deferred_acc is None \
                and isinstance(acc, TileBlock):
            # the straight-line chain's (the only such dot), from zeros or from a bias
            # load (a K loop of one iteration, folded away, leaves the latter)
            self.deferred_acc = acc
        if not isinstance(a, TileBlock) or a.element != "i8" or a.transposed:
            raise self.error("tl.dot's first operand must be an int8 block loaded with "
                             "consecutive elements along K (its dimension 1)")
        if not isinstance(b, TileBlock) or b.element != "i8" or not b.transposed:
            raise self.error("tl.dot's second operand must be an int8 block loaded with "
                             "consecutive elements along K (its dimension 0): the tensor "
                             "engine multiplies by B's transpose, so B is stored as B^T "
                             "(N rows of K bytes), like a Linear layer's weights")
        if not isinstance(acc, TileBlock) or acc.element != "i32":
            raise self.error("tl.dot's accumulator must be zeros or a previous tl.dot result")
        if len(list(op.acc.uses)) > 1:
            raise self.error("tl.dot accumulates in place: its accumulator cannot be used "
                             "again after the dot")
        m, k = a.shape
        n = b.shape[1]
        k_tiles = k // (4 * tdim)
        pipeline = self.k_pipeline
        if pipeline is not None and pipeline.dot is op:
            self._pipelined_dot(pipeline, a, b, acc)
        else:
            for kt in range(k_tiles):
                for mt in range(m // tdim):
                    for nt in range(n // tdim):
                        self._tmma(a, b, acc, kt, mt, nt)
        self.forms[op.result] = acc

    def _tmma(self, a: TileBlock, b: TileBlock, acc: TileBlock, kt: int, mt: int,
              nt: int, comment: str = "") -> None:
        """acc(mt, nt) += a(mt, kt) b(kt, nt), loading the operands if still pending."""
        lhs = self.tile(a, (mt, kt))
        rhs = self.tile(b, (kt, nt))
        if self.flush_before_tmma:  # the previous program's stores go here
            self._flush_before_first_write(acc, (mt, nt))
        target = self.tile(acc, (mt, nt))
        self.emit("tmma", target, lhs, rhs, accumulate=True, comment=comment)

    # -- the software-pipelined dot loop (kloop) --

    def _pipelined_dot(self, pipeline: KPipeline, a: TileBlock, b: TileBlock,
                       acc: TileBlock) -> None:
        """One iteration of a pipelined dot loop in its plan's order: each operand tile
        loaded where the plan puts it, and the next iteration's prefetched tiles loaded
        in this one (in the loop, this iteration's came from the one before)."""
        plan = pipeline.plans[0 if pipeline.first else 1]
        blocks = {"a": a, "b": b}
        if not pipeline.first:  # loaded by the previous iteration
            for operand, index in pipeline.plans[1].prefetched():
                entry = blocks[operand].tiles[index]
                if isinstance(entry, PendingTile):
                    blocks[operand].tiles[index] = entry.reg
        for position in range(-1, len(plan.order)):
            if position >= 0:  # the first tmma says what the plan is, for the reader
                comment = "" if position else \
                    f"K loop {'peeled iteration' if pipeline.first else 'body'}: " \
                    f"{plan.describe()}"
                self._tmma(a, b, acc, *plan.order[position], comment=comment)
            for at, (operand, index) in plan.loads:
                if at == position:
                    self.tile(blocks[operand], index)
            prefetch = [tile for at, tile in plan.prefetches if at == position]
            if prefetch:
                self._prefetch(pipeline, prefetch)

    def _prefetch(self, pipeline: KPipeline, tiles: list[tuple[str, tuple[int, int]]]
                  ) -> None:
        """Load `tiles` of the next iteration's operands now, if there is a next
        iteration: their addresses and masks are the loads' own, selected again with
        the loop's values for the next iteration."""
        body = pipeline.loop.body.block
        iv = self.scalar(body.args[0])
        next_iv = self.add(iv, pipeline.step)
        done = self.fn.new_block("prefetched")
        guard = self.emit("bge", self.reg(next_iv), self.reg(pipeline.ub), done.label,
                          comment="no next iteration: nothing to prefetch")
        self._enter_scope(guard)
        # the next iteration's addresses and bounds where they are used, behind the
        # guard: hoisted before it, the last iteration would compute them for nothing
        # (what they share with the code before stays shared; the scope keeps what
        # they compute from the code after, which the guard may skip them for)
        inline, self._inline = self._inline, True
        try:
            blocks = self._next_iteration_operands(pipeline, next_iv)
            for operand, index in tiles:
                self.tile(blocks[operand], index)
        finally:
            self._inline = inline
        self._leave_scope()
        self.fn.blocks.append(done)
        self.block = done

    def _next_iteration_operands(self, pipeline: KPipeline, next_iv: Scalar
                                 ) -> dict[str, TileBlock]:
        """The dot's operand blocks (pending loads) as the next iteration will load
        them: the body's ops the loads depend on, selected with the induction variable
        and carried pointers the next iteration starts with. The forms of this
        iteration's values are restored afterwards."""
        body = pipeline.loop.body.block
        dot = pipeline.dot
        loads = [dot.a.owner, dot.b.owner]
        needed = _feeding_ops(body, [v for o in loads for v in o.operands])
        args = {value for o in needed + loads for value in o.operands
                if isinstance(value, BlockArgument) and value.owner is body}
        yielded = body.last_op
        carried = sorted((arg for arg in args if arg.index > 0), key=lambda a: a.index)
        current_op = self.current_op
        touched = list(body.args) + [r for o in body.ops for r in o.results]
        saved = {value: self.forms[value] for value in touched if value in self.forms}
        # the carried values' next forms (ptrs += BLOCK_K), computed here, behind the
        # guard: restored below, so the iteration's own selection of these ops (for
        # its yield) computes them again on its path
        for o in _feeding_ops(body, [yielded.operands[a.index - 1] for a in carried]):
            self.visit(o)
        next_forms: dict[SSAValue, Form] = {a: self.forms[yielded.operands[a.index - 1]]
                                            for a in carried}
        next_forms[body.args[0]] = next_iv
        try:
            self.forms.update(next_forms)
            for o in needed + loads:
                self.visit(o)
            return {"a": self.forms[loads[0].results[0]],
                    "b": self.forms[loads[1].results[0]]}
        finally:
            for value in touched:
                self.forms.pop(value, None)
            self.forms.update(saved)
            self.current_op = current_op

    def op_store(self, op: ob.StoreOp) -> None:
        value = self.forms[op.value]
        if not isinstance(op.value.type, ob.BlockType):
            self._scalar_store(op)
            return
        if len(op.value.type.dims) == 1:
            self.vector_store(op)
            return
        if isinstance(value, Requantized):
            self._store_requantized(op, value)
            return
        if not isinstance(value, TileBlock) or value.element != "i32":
            raise self.error("only int32 tl.dot results (or their tl.requantize) can be "
                             "stored by the code generator yet")
        ptr = self.affine(op.ptr)
        if ptr.elem_size != 4:
            raise self.error("an int32 block is stored through int32 pointers")
        self._store_accumulator(op, value, ptr, "tst.w", 4)

    def _store_requantized(self, op: ob.StoreOp, value: Requantized) -> None:
        """tst.b of each accumulator tile: int8 rows of TDIM elements."""
        ptr = self.affine(op.ptr)
        if ptr.elem_size != 1:
            raise self.error("a tl.requantize result (int8) is stored through int8 pointers")
        self._store_accumulator(op, value.tiles, ptr, "tst.b", 1)

    def _store_accumulator(self, op: ob.StoreOp, value: TileBlock, ptr: Affine,
                           mnemonic: str, element_bytes: int) -> None:
        """Store accumulator tiles (tst.w, or tst.b requantizing) by rows of TDIM
        consecutive elements (the geometry is the int32 accumulator's either way),
        deferred to the next program when this is the plan's store."""
        mask = self._mask(op.mask)
        if mask is not None and mask.predicate != 1:
            raise self.error("this store's mask has a condition on the whole block, which "
                             "tile stores do not support yet (only bounds such as "
                             "offs[:, None] < M, and lower bounds on the rows)")
        if mask is not None and 1 in mask.lows:
            raise self.error("this store's mask has a lower bound on the block's consecutive "
                             "dimension (1): the tensor engine can skip a tile's first rows "
                             "(trow0), not the first elements of a row")
        transposed, stride, tdim, cols = self._tile_geometry(ptr, "i32", "this store")
        if transposed:
            raise self.error("this store: the tensor engine stores accumulator rows, so "
                             "the pointers must be consecutive along dimension 1")
        first_rows = mask is not None and 0 in mask.lows
        if self.plan is not None and op is self.plan[1]:
            if not first_rows:
                self._defer(value, ptr.base, stride, mask, (mnemonic, element_bytes))
                return
            # stored now, with trow0: the next program finds no store pending
            self._defer_nothing(value, (mnemonic, element_bytes))
        self._store_tiles(value, ptr.base, stride,
                          None if mask is None else mask.bounds.get(0),
                          None if mask is None else mask.bounds.get(1), tdim, cols,
                          mnemonic=mnemonic, element_bytes=element_bytes,
                          lows=mask if first_rows else None)

    def _store_tiles(self, value: TileBlock, base: Scalar, stride: Scalar,
                     rows_bound: Scalar | None, cols_bound: Scalar | None,
                     tdim: int, cols: int, previous: bool = False,
                     mnemonic: str = "tst.w", element_bytes: int = 4,
                     only: list[tuple[int, int]] | None = None,
                     lows: Mask | None = None) -> None:
        """tst.w (or tst.b: `element_bytes` 1 in memory) of each tile of `value`.
        tcolb counts the accumulator's bytes either way (tst.b stores tcolb/4
        elements). `previous`: the registers hold the previous program's accumulators
        (a deferred store), whatever this program has pending for them (its zeroing
        comes after). `only`: these tiles (a deferred store flushed tile by tile).
        `lows`: a mask whose lower bound on the rows skips each tile's first rows
        (trow0)."""
        stride_reg = self.reg(stride)
        registers = _registers(value)
        for (r, c) in sorted(value.tiles) if only is None else only:
            reg = registers[(r, c)] if previous else self.tile(value, (r, c))
            address = self._tile_address(base, stride, tdim, r, c * cols * element_bytes)
            self._tile_memory_op(
                lambda: self.emit(mnemonic, reg, self.reg(address), stride_reg), None,
                None if rows_bound is None else self.sub(rows_bound, r * tdim),
                None if cols_bound is None else self.sub(cols_bound, c * cols),
                tdim, cols * 4, 4, self._first(lows, 0, r * tdim, tdim))

    def op_requantize(self, op: ob.RequantizeOp) -> None:
        """tst.b does the requantization: set its CSRs (once per kernel when the
        parameters are the kernel's arguments or constants: hoisted out of the program
        loop) and mark the accumulator for a tst.b store."""
        self._need_tensor("tl.requantize")
        first = next(o for o in self.function.walk() if isinstance(o, ob.RequantizeOp))
        if op is not first:
            raise self.error("one tl.requantize per kernel: its parameters are tst.b's "
                             "CSRs, written once, before the kernel's tile stores")
        source = self.forms[op.operand]
        if not isinstance(source, TileBlock) or source.element != "i32":
            raise self.error("tl.requantize is the tensor engine's tile store epilogue "
                             "(tst.b): its input must be a tl.dot accumulator (plus a bias "
                             "row, through tl.maximum(acc, 0), as in sw/ops/gemm.py's "
                             "gemm_q)")
        parameters = [self.scalar(v) for v in (op.multiplier, op.shift, op.zero_point)]
        relu = op.activation.data == "relu"
        rounding = op.rounding.value.data
        if all(self._depth.get(id(p), 0) == 0 for p in parameters if isinstance(p, VReg)):
            self._hoist(0, lambda: self._write_requantization(parameters, rounding, relu))
        else:
            self._write_requantization(parameters, rounding, relu)
        self.forms[op.result] = Requantized(source)

    def _write_requantization(self, parameters: list[Scalar], rounding: int,
                              relu: bool) -> int:
        """csrw of tqmul, tqshift, tqzp, tqrm and the activation clamp tqmin/tqmax
        (written even without ReLU: an earlier kernel may have left a clamp). The
        engine runs CSR writes in order with its tile stores, so no fence is needed.
        Returns 0: `_hoist` moves computations that give a value."""
        multiplier, shift, zero_point = parameters
        low, high = self._relu_clamp(multiplier, zero_point) if relu else (INT8_MIN, INT8_MAX)
        for csr, value in (("tqmul", multiplier), ("tqshift", shift), ("tqzp", zero_point),
                           ("tqrm", rounding), ("tqmin", low), ("tqmax", high)):
            self.emit("csrw", Text(csr), self.reg(value))
        return 0

    def _relu_clamp(self, multiplier: Scalar, zero_point: Scalar) -> tuple[Scalar, Scalar]:
        """tqmin/tqmax for requantize(max(x, 0)): requantize(0) = sat8(zero_point) is
        the lower bound when the multiplier is >= 0 (the chain is non-decreasing) and
        the upper bound when it is negative (non-increasing): exact either way, chosen
        at run time, branch-free, when the multiplier is an argument."""
        floor = self._pick(self._pick(zero_point, INT8_MIN, max), INT8_MAX, min)
        if isinstance(multiplier, int):
            return (floor, INT8_MAX) if multiplier >= 0 else (INT8_MIN, floor)
        negative = self.new_x("negative_multiplier")  # all ones if multiplier < 0
        self.emit("srai", negative, multiplier, 31)
        # low = floor, or -128 when negative; high = 127, or floor when negative
        low = self._add(self._and(self._sub(INT8_MIN, floor), negative), floor)
        high = self._add(self._and(self._sub(floor, INT8_MAX), negative), INT8_MAX)
        return low, high

    def _and(self, a: Scalar, b: VReg) -> VReg:
        out = self.new_x()
        self.emit("and", out, self.reg(a), b)
        return out

    def _defer(self, value: TileBlock, base: Scalar, stride: Scalar, mask: Mask | None,
               kind: tuple[str, int]) -> None:
        """The planned store (`kind`: its mnemonic and element bytes in memory, as
        `select` expected) of the dot loop's accumulator, deferred to the next program."""
        if value is not self.deferred_acc or kind != self.deferred_kind:
            raise self.error("internal: the deferred store is not the dot loop's "
                             "accumulator's, as planned")
        self._defer_store(base, stride, mask)

    def _defer_nothing(self, value: TileBlock, kind: tuple[str, int]) -> None:
        """The planned store is made in its own program (its mask has a lower bound on
        the rows, which the pending registers do not carry): zero rows pending."""
        if value is not self.deferred_acc or kind != self.deferred_kind:
            raise self.error("internal: the deferred store is not the dot loop's "
                             "accumulator's, as planned")
        for reg in self.pending:
            self.emit("mv", reg, self.reg(0))

    def _defer_store(self, base: Scalar, stride: Scalar, mask: Mask | None) -> None:
        """A program's tile store waits for the next program: it is emitted there after
        that program's first operand loads (`_flush_deferred`, in the peeled first
        iteration of its dot loop), so that the load/store unit, which runs in order,
        loads the next operands while the array finishes this program's last tmma,
        instead of waiting behind the store of its result. The store's base, stride
        and bounds move into registers the next program reads (`pending`); zero rows
        mean no store is pending (every tile is empty: the tile's bound check, which a
        deferred store always has, skips it, and no guard branch is needed)."""
        bounds = [None if mask is None else mask.bounds.get(d) for d in (0, 1)]
        for reg, scalar in zip(self.pending, (base, stride, *bounds)):
            self.emit("mv", reg, self.reg(_UNBOUNDED if scalar is None else scalar))

    def _flush_before_first_write(self, acc: TileBlock, index: tuple[int, int]) -> None:
        """Store the previous program's tile `index` just before this program's first
        write of its register (a tzero, a bias load, a tmma), one tile at a time: the
        engine issues in order, so a tmma behind all the stores would wait for the
        last one, whose tile the previous program's last tmma is still computing; this
        way each store runs on the load/store unit while the array computes the tile
        before. A dot on another accumulator (not planned) takes all the stores left."""
        assert self.deferred_acc is not None
        left = sorted(set(self.deferred_acc.tiles) - self.stored)
        if acc is self.deferred_acc:
            left = [index] if index in left else []
        if left:
            self._flush_deferred(left)
        self.stored.update(left)
        if self.stored >= set(self.deferred_acc.tiles):
            self._end_flush()

    def _end_flush(self) -> None:
        """Store what is left of the previous program's accumulator (nothing once every
        tile took its store before its first write) and stop flushing."""
        if self.flush_before_tmma and self.deferred_acc is not None:
            left = sorted(set(self.deferred_acc.tiles) - self.stored)
            if left:
                self._flush_deferred(left)
        self.flush_before_tmma = False
        self.stored = set()
        self._flush_memo = {}

    def _flush_deferred(self, tiles: list[tuple[int, int]] | None = None) -> None:
        """Emit the pending store of the previous program's accumulator tiles `tiles`
        (all by default); with no store pending, its rows (0) make every tile empty."""
        value = self.deferred_acc
        assert value is not None and self.tdim is not None
        base, stride, rows, cols = self.pending
        # its address and bound arithmetic right here, shared only with the other tiles'
        # stores (each tile row's bound, each column's): hoisted, it would hold a dozen
        # registers through the next program's start
        inline, self._inline = self._inline, True
        # (tile by tile, in straight-line code; all at once, on a path of its own)
        memo, self._inline_memo = self._inline_memo, {} if tiles is None else self._flush_memo
        try:
            mnemonic, element_bytes = self.deferred_kind
            self._store_tiles(value, base, stride, rows, cols, self.tdim, self.tdim,
                              previous=True, mnemonic=mnemonic, element_bytes=element_bytes,
                              only=tiles)
        finally:
            self._inline, self._inline_memo = inline, memo

    # -- scalar memory --

    def _scalar_load(self, op: ob.LoadOp) -> None:
        if op.mask is not None:
            raise self.error("a masked scalar load is not supported yet")
        size = _pointee_size(ob.element_of(op.ptr.type))
        signed = _element_name(op.result.type) != "u8"
        mnemonic = {1: "lb", 2: "lh", 4: "lw"}[size] + ("" if signed or size == 4 else "u")
        out = self.new_x()
        self.emit(mnemonic, out, 0, self.reg(self.scalar(op.ptr)))
        self.forms[op.result] = out

    def _scalar_store(self, op: ob.StoreOp) -> None:
        if op.mask is not None:
            raise self.error("a masked scalar store is not supported yet")
        size = _pointee_size(ob.element_of(op.ptr.type))
        self.emit({1: "sb", 2: "sh", 4: "sw"}[size], self.reg(self.scalar(op.value)), 0,
                  self.reg(self.scalar(op.ptr)))

    # -- control flow --

    def op_scf_for(self, op: scf.ForOp) -> None:
        lb, ub, step = self.scalar(op.lb), self.scalar(op.ub), self.scalar(op.step)
        inits = [self.forms[init] for init in op.iter_args]
        if not self._peels(op):
            self._loop(op, lb, ub, step, inits)
            return
        memos = [set(scope.memo) for scope in self._scopes]
        self.k_pipeline = self._k_pipeline(op, step, ub, inits)
        if self.k_pipeline is not None:  # its loads' k-tiles share registers (kloop.slot)
            dot = self.k_pipeline.dot
            self._slot_loads.update({id(dot.a.owner), id(dot.b.owner)})
        inits, skip, starts = self._peel_first_iteration(op, lb, ub, inits)
        if self.k_pipeline is not None:
            self.k_pipeline.first = False
        self._loop(op, self.add(lb, step), ub, step, inits)
        self.k_pipeline = None
        # What the loop hoisted sits before its guard, which the path with no iteration
        # skips: forgotten here, so that a later loop (a convolution's next tap)
        # computes it again rather than read it undefined on that path.
        for scope, known in zip(self._scopes, memos):
            for key in set(scope.memo) - known:
                del scope.memo[key]
        # no iteration at all: the deferred store still happens, the accumulator is 0
        after = self.fn.new_block("loop_done")
        self.emit("j", after.label)
        self.fn.blocks.append(skip)
        self.block = skip
        self._flush_deferred()
        inline, self._inline = self._inline, True
        for emit, reg in starts:  # the accumulator is its start: zeros or the bias
            emit(reg)
        self._inline = inline
        self.fn.blocks.append(after)
        self.block = after

    def _k_pipeline(self, op: scf.ForOp, step: Scalar, ub: Scalar, inits: list[Form]
                    ) -> KPipeline | None:
        """The software-pipelining plans (`kloop`) of a dot loop whose first iteration is
        peeled, when the engine model finds an order faster than selection's (None: the
        loop is selected as it was, each tile loaded at its first use). The model's
        costs: the loads' (A by tld.b; B by tld.b, or tld.bt when N is consecutive),
        the accumulator's start (a tzero, or a bias row's tld.w) and the previous
        program's deferred store."""
        dot = _k_pipelined_dot(op) if self.tdim is not None else None
        attribute = op.attributes.get(ob.NUM_STAGES)  # (tl.range's, for this loop)
        num_stages = attribute.value.data if isinstance(attribute, IntegerAttr) \
            else self.num_stages
        if dot is None or num_stages == 1:
            return None
        tdim = self.tdim
        (m, k), n = dot.a.type.dims, dot.b.type.dims[1]
        if m % tdim or n % tdim or k % (4 * tdim):
            return None  # (the loads' selection says why)
        body = op.body.block
        b_load = dot.b.owner
        b_ptr = b_load.ptr
        if isinstance(b_ptr, BlockArgument) and b_ptr.owner is body:
            b_ptr_form = inits[b_ptr.index - 1]
        else:
            b_ptr_form = self.forms.get(b_ptr)
        rows_of_b = isinstance(b_ptr_form, Affine) and \
            self._loads_dot_rhs_by_rows(b_load, b_ptr_form, "i8")
        start = inits[dot.acc.index - 1]
        model = MachineModel.from_config(self.config)

        def cycles(mnemonic: str) -> int:
            return model.occupancy(MInstr(mnemonic, [])) + LOAD_OVERHEAD
        step_model = KStep(
            m // tdim, n // tdim, k // (4 * tdim),
            tmma_cycles=model.occupancy(MInstr("tmma", [])),
            a_load_cycles=cycles("tld.b"),
            b_load_cycles=cycles("tld.bt" if rows_of_b else "tld.b"),
            store_cycles=cycles(self.deferred_kind[0]),
            start_cycles=(cycles(start.load) if isinstance(start, TileBlock) and start.load
                          else 0))
        plans = plan_k_loop(step_model, None if num_stages is None else True)
        if plans == selection_order(step_model):
            return None
        return KPipeline(op, dot, step, ub, plans=plans)

    def _peels(self, op: scf.ForOp) -> bool:
        """The program's dot loop, when the previous program's store is deferred into
        it: its first iteration is selected on its own, so that the deferred store can
        follow that iteration's first operand loads."""
        return self.plan is not None and self.plan[0] is op

    def _peel_first_iteration(self, op: scf.ForOp, lb: Scalar, ub: Scalar,
                              inits: list[Form]
                              ) -> tuple[list[Form], MBlock, list[tuple[Callable, VReg]]]:
        """Iteration 0 of `op` in straight-line code (the loop then starts at lb + step),
        flushing the deferred store before its first tmma. Returns the forms it yields,
        the block for the case of no iteration (the caller fills it: flush the store,
        start the accumulators) and how each accumulator tile starts (its pending
        instruction and register: a tzero, or a bias row's tld.w)."""
        body = op.body.block
        starts: list[tuple[Callable, VReg]] = []
        forms: list[Form] = []
        for index, form in enumerate(inits):
            if _carries_data(op, index, form):
                raise self.error("a 1-D data block carried through the tl.dot loop is not "
                                 "supported yet (carry it through a loop of its own)")
        for form, arg in zip(inits, body.args[1:]):
            if isinstance(form, Affine) and _is_dot_accumulator(arg):
                form = self._zero_tiles(arg.type.dims)
            if isinstance(form, TileBlock) and _is_dot_accumulator(arg):
                if not all(isinstance(t, PendingTile) for t in form.tiles.values()):
                    raise self.error("internal: the dot loop's accumulator start was "
                                     "emitted before the loop")
                starts += [(t.emit, t.reg) for t in form.tiles.values()]
                self.deferred_acc = form
            forms.append(form)
        skip = self.fn.new_block("no_iterations")
        guard = self.emit("bge", self.reg(lb), self.reg(ub), skip.label)
        # a region of its own: its values do not reach the join (the skip path)
        self._enter_scope(guard)
        self.forms[body.args[0]] = lb
        for form, arg in zip(forms, body.args[1:]):
            self.forms[arg] = form
        self.flush_before_tmma = True
        self.peeled = True
        # straight-line code run once per program: its arithmetic where it is used
        # (hoisted before the guard, it would hold registers through the deferred store)
        self._inline = True
        self._inline_memo = {} if self.share_peeled_bounds else None
        yielded: list[Form] = []
        for inner in body.ops:
            if isinstance(inner, scf.YieldOp):
                yielded = [self.forms[v] for v in inner.operands]
            else:
                self.visit(inner)
        self._inline = False
        self._end_flush()
        self._leave_scope()  # (which drops the shared values: `_push_scope`)
        return yielded, skip, starts

    def _loop(self, op: scf.ForOp, lb: Scalar, ub: Scalar, step: Scalar,
              inits: list[Form]) -> None:
        self._check_row_order(op)
        if self._rows_as_strips(op, lb, ub, step):
            return
        body = op.body.block
        iv = self.new_x(_name_hint(body.args[0]) or "iv")
        self.mutable.add(iv)
        self.emit("mv", iv, self.reg(lb))
        carried: list[Form] = []
        for index, (init, arg) in enumerate(zip(inits, body.args[1:])):
            if _carries_data(op, index, init):  # in vector registers
                carried.append(self.carry_into_loop(op.iter_args[index], op))
            else:
                carried.append(self._enter_loop(init, arg))
            self.forms[arg] = carried[-1]
        self.forms[body.args[0]] = iv
        exit_block = self.fn.new_block("loop_exit")
        guard = self.emit("bge", iv, self.reg(ub), exit_block.label)
        self._enter_scope(guard)
        self._changes_in_this_scope(iv)
        self._carried_change_here(carried)
        where = ob.op_location(op)
        header = self._start_block("loop", symbol=f"line{where[1]}" if where else "loop")
        self.block = header
        self._loop_body(body, carried)
        self.current_op = op
        next_iv = self._add(iv, step)
        self.emit("mv", iv, next_iv)
        self._leave_scope()
        self.emit("blt", iv, self.reg(ub), header.label)
        self.fn.blocks.append(exit_block)
        self.block = exit_block
        for result, form in zip(op.results, carried):
            self.forms[result] = form

    def _carried_change_here(self, carried: list[Form]) -> None:
        """A loop's carried scalars and pointer/index bases change in the scope just
        opened (its body's)."""
        for form in carried:
            reg = form.base if isinstance(form, Affine) else form
            if isinstance(reg, VReg):
                self._changes_in_this_scope(reg)

    def _loop_body(self, body: Block, carried: list[Form]) -> None:
        """A loop's body, ending in its yield: the carried data blocks written by the
        last region, the other carried values moved into their registers."""
        for inner in body.ops:
            if not isinstance(inner, scf.YieldOp):
                self.visit(inner)
                continue
            for value, form in zip(inner.operands, carried):
                if isinstance(form, VecBlock):
                    self.carry_at_yield(value, form, inner)
            self.flush_vector()
            self.current_op = inner
            self._loop_yield(inner, carried)

    def op_scf_while(self, op: scf.WhileOp) -> None:
        """`while cond:` as a loop whose header computes the condition (the `before`
        region) and leaves when it is 0; the body (`after`) writes the carried values
        back (scalars and pointer/index bases in registers, 1-D data blocks in their
        register groups, as a `for` loop's), then jumps to the header."""
        before, after = op.before_region.block, op.after_region.block
        condition = before.last_op
        if not isinstance(condition, scf.ConditionOp) or \
                list(condition.args) != list(before.args):
            raise self.error("a while loop's condition must pass its carried values on "
                             "unchanged")
        # a tile loaded before the loop but first used in it (tiles are loaded where
        # first used) is loaded here: the loop may not run, and a use after it needs it
        for value, form in list(self.forms.items()):
            if isinstance(form, TileBlock) and any(
                    isinstance(t, PendingTile) for t in form.tiles.values()) and any(
                    op.is_ancestor(use.operation) for use in value.uses):
                self.materialize(form)
        carried: list[Form] = []
        for index, (init, arg) in enumerate(zip(op.arguments, before.args)):
            if _carries_data(op, index, self.forms[init]):
                carried.append(self.carry_into_loop(init, op))
            else:
                carried.append(self._enter_loop(self.forms[init], arg))
        for arg, form in zip(list(before.args) + list(after.args), carried + carried):
            self.forms[arg] = form
        exit_block = self.fn.new_block("while_exit")
        header = self.fn.new_block("while")
        self._enter_scope(self.emit("j", header.label))
        self._carried_change_here(carried)
        self.fn.blocks.append(header)
        self.block = header
        for inner in before.ops:
            if inner is not condition:
                self.visit(inner)
        self.current_op = condition
        if self.vector_pending():
            self.flush_vector()
        self.emit("beqz", self.reg(self.scalar(condition.condition)), exit_block.label)
        self.block = self._start_block("while_body")
        self._loop_body(after, carried)
        self.current_op = op
        self.emit("j", header.label)
        self._leave_scope()
        self.fn.blocks.append(exit_block)
        self.block = exit_block
        for result, form in zip(op.results, carried):
            self.forms[result] = form

    def _check_row_order(self, op: scf.ForOp) -> None:
        """split-rows' loop loads and stores a 2-D block row after row, where a block's
        loads all come before its stores: a store through a load's pointer argument,
        other than to the row that load reads (in place), could write what a later
        row loads (a 1-D block every row reads, ``b[None, :]``, included). An error
        rather than a wrong result."""
        body = op.body.block
        if not any(isinstance(inner, ob.RowOp) and inner.index is body.args[0]
                   for inner in body.ops):
            return
        inside = list(op.walk())
        loads = [inner for inner in inside if isinstance(inner, ob.LoadOp)]
        # (1-D blocks from outside the loop, computed from loads: loaded in every row)
        loads += [node.op for inner in inside for value in inner.operands
                  if isinstance(self.forms.get(value), VecBlock)
                  for node in loads_of(self.forms[value]) if node.op is not None]
        for store in (inner for inner in inside if isinstance(inner, ob.StoreOp)):
            written = _pointer_argument(store.ptr)
            for load in loads:
                if not _may_alias(load.ptr, store.ptr) or \
                        self._rows_apart(load.ptr, store.ptr):
                    continue
                name = written.name_hint if written is not None else None
                raise self.error(
                    f"this store writes through '{name or 'its pointer'}' at "
                    f"addresses a later row of the same 2-D block could load: split-rows "
                    f"loads and stores the block a row at a time, so that row could load "
                    f"what this store wrote (a block's loads come before its stores); "
                    f"store to another array, or in place through one pointer form whose "
                    f"rows do not overlap", store)

    def _rows_as_strips(self, op: scf.ForOp, lb: Scalar, ub: Scalar, step: Scalar) -> bool:
        """split-rows' loop over the rows of a 2-D element-wise block, selected as one
        strip loop whose chunks are the rows (`VectorSelection._row_loop`) when a row is
        one chunk: the next row's loads then stream beside this row's arithmetic and
        store, as a 1-D region's chunks do, where a loop around each row's region runs
        loads, arithmetic and store in turn (2.9 elements a cycle for a 64x64 int8 add).
        The loop runs the rows the mask turns on, which all have the same columns, so vl
        is set once. False: the loop is selected as any other."""
        conditions = self._row_strip_conditions(op, step)
        if conditions is None:
            return False
        bound, predicate, stored = conditions
        end = ub if bound is None else self._pick(ub, bound, min)
        rows = self._max0(self.sub(end, lb))
        if predicate != 1:
            rows = 0 if predicate == 0 else self._and(rows, self.sub(0, predicate))
        if isinstance(rows, int) and rows <= 0:
            return True  # (no row is on: nothing to load or store)
        body = op.body.block
        self.forms[body.args[0]] = lb
        self._row_strip = RowStrip(rows)
        skipped = _row_store_ops(stored)
        try:
            for inner in body.ops:
                if isinstance(inner, scf.YieldOp) or id(inner) in skipped:
                    continue
                self.visit(inner)
                if isinstance(inner, ob.ReduceOp):
                    self._store_each_row(inner, stored, lb)
            self.flush_vector()
        except RowsDoNotFit:
            # (what the body emitted before the loop is dead code now; its memoized
            # values are computed there, before any use the loop makes of them)
            return False
        finally:
            self._row_strip = None
        return True

    def _store_each_row(self, reduce: ob.ReduceOp, stored: dict, lb: Scalar) -> None:
        """A row reduction stored a row at a time: the region's reduction sink stores its
        accumulator's element 0 through a pointer that starts at row `lb`'s element and
        steps by one a row (`VectorSelection._row_loop`), where the row loop read it
        into a scalar register and stored it from there."""
        for store, (value, ptr, _) in stored.items():
            if value is reduce.result:
                form = self.forms[ptr.owner.operand]
                step = form.terms.get(0, 0)
                base = self.add(form.base, self.mul(lb, step)) if step else form.base
                self._region.sinks[-1].row_store = (self.reg(base), step)
                return

    def _row_strip_conditions(self, op: scf.ForOp, step: Scalar
                              ) -> tuple[Scalar | None, Scalar, dict] | None:
        """When `op` is a row loop `_rows_as_strips` takes: the rows' upper bound (None:
        every row of the loop), the scalar condition on all rows (0 or 1) that its
        masks share and its reductions' stores (`_reduction_row_stores`). It takes a loop of step 1 with no carried value whose body is rows
        of pointer and mask blocks, 1-D loads, element-wise ops, 1-D stores and row
        reductions each stored as it is through a row of a 1-D pointer block, under the
        row's mask element or not (`_reduction_row_stores`; no other scalar use, no
        index block as data, no mask computed from data; a row that does not fit one
        register set falls back: `RowsDoNotFit`); whose masks on the rows agree and
        bound every store (a row they turn off is skipped, not run with no columns);
        and whose stores write through other pointer arguments than its loads, or the
        same addresses a row (`_rows_apart`)."""
        if self.config.vector is None or step != 1 or op.iter_args:
            return None
        body = op.body.block
        row = body.args[0]
        if not any(isinstance(inner, ob.RowOp) and inner.index is row for inner in body.ops):
            return None  # (not split-rows' loop)
        rows_of_masks: list[Mask] = []
        loads: list[ob.LoadOp] = []
        stores: list[ob.StoreOp] = []
        columns = None
        stored = _reduction_row_stores(body)
        reductions = [inner for inner in body.ops if isinstance(inner, ob.ReduceOp)]
        if len(stored) != len(reductions):
            return None  # (a reduction used otherwise: in arithmetic, a splat)
        skipped = _row_store_ops(stored)
        for store, (_, ptr, cond) in stored.items():
            form = self.forms.get(ptr.owner.operand)
            if not (isinstance(form, Affine) and form.is_pointer):
                return None
            if cond is not None:
                mask = self.forms.get(cond.owner.operand)
                if not isinstance(mask, Mask) or mask.lows:
                    return None
                rows_of_masks.append(mask)
        for inner in body.ops:
            if isinstance(inner, scf.YieldOp) or id(inner) in skipped:
                continue
            if isinstance(inner, ob.ReduceOp):
                if inner.axis.value.data != 0 or not _is_1d_block(inner.operand.type):
                    return None
                continue
            if not isinstance(inner, (ob.RowOp, ob.LoadOp, ob.StoreOp, ob.ElementwiseBinaryOp,
                                      ob.CmpOp, ob.SelectOp, ob.CastOp)) \
                    and not inner.name.startswith("arith."):
                return None
            if isinstance(inner, ob.RowOp):
                form = self.forms.get(inner.operand)
                if inner.index is not row or not _is_1d_block(inner.result.type):
                    return None
                if isinstance(form, Mask):
                    if form.lows or not all(isinstance(use.operation, (ob.LoadOp, ob.StoreOp))
                                            for use in inner.result.uses):
                        return None  # (a mask used as data: select by it at SEW 32)
                    rows_of_masks.append(form)
                elif not (isinstance(form, Affine) and (form.is_pointer or not form.terms)):
                    return None  # (an index block as data: its rows differ)
            elif isinstance(inner, ob.LoadOp):
                loads.append(inner)
                if stores:
                    return None  # (a load after a store: memory order within the row)
            elif isinstance(inner, ob.StoreOp):
                stores.append(inner)
            # (a row's operand is the 2-D block, from outside: its form was checked)
            values = inner.results if isinstance(inner, ob.RowOp) else \
                [*inner.operands, *inner.results]
            for value in values:
                type_ = value.type
                if not isinstance(type_, ob.BlockType):
                    continue
                if not _is_1d_block(type_):
                    return None
                outside = value.block is not body if isinstance(value, BlockArgument) \
                    else value.owner.parent_block() is not body
                if outside and not self._row_invariant_block(value):
                    return None
                if columns not in (None, type_.dims[0]):
                    return None  # (one region a row: one length)
                columns = type_.dims[0]
        if columns is None:
            return None
        for load in loads:
            if load.mask is not None and not self._mask_row_or_invariant(load.mask, body):
                return None
        if rows_of_masks and any(cond is None for _, _, cond in stored.values()):
            return None  # (a reduction stored in every row, the rows off included)
        for store in stores:
            if store.mask is None or not isinstance(store.mask.owner, ob.RowOp) or \
                    store.mask.owner.parent_block() is not body:
                if rows_of_masks:
                    return None  # (it would run on the rows the masks turn off)
            for load in loads:
                if not self._rows_apart(load.ptr, store.ptr):
                    return None
        if not rows_of_masks:
            return None, 1, stored
        first = rows_of_masks[0]
        for mask in rows_of_masks[1:]:
            if _key(mask.bounds.get(0)) != _key(first.bounds.get(0)) or \
                    _key(mask.predicate) != _key(first.predicate):
                return None
        return first.bounds.get(0), first.predicate, stored

    def _row_invariant_block(self, value: SSAValue) -> bool:
        """A 1-D block from outside a row loop that each row reads as it is: data (a
        ``b[None, :]`` load's), a pointer block or a mask (not an index block as data)."""
        form = self.forms.get(value)
        if isinstance(form, Affine):
            return form.is_pointer or not form.terms
        return isinstance(form, (VecBlock, Mask))

    def _mask_row_or_invariant(self, mask: SSAValue, body: Block) -> bool:
        owner = mask.owner
        if isinstance(owner, Operation) and owner.parent_block() is body:
            return isinstance(owner, ob.RowOp)
        return isinstance(self.forms.get(mask), Mask)

    def _rows_apart(self, load_ptr: SSAValue, store_ptr: SSAValue) -> bool:
        """The store of a row cannot write what a later row's load reads: other pointer
        arguments (taken not to overlap, as C's `restrict`), or the same addresses
        (the rows of two pointer blocks of one form: the same base and strides) when
        rows do not overlap (a row step known to be smaller than a row's span is
        overlap; a runtime one is taken to be a row apart)."""
        load_arg, store_arg = _pointer_argument(load_ptr), _pointer_argument(store_ptr)
        if load_arg is not None and store_arg is not None and load_arg is not store_arg:
            return True
        if not (isinstance(load_ptr.owner, ob.RowOp) and isinstance(store_ptr.owner, ob.RowOp)):
            return False
        load, store = self.forms.get(load_ptr.owner.operand), \
            self.forms.get(store_ptr.owner.operand)
        if not (isinstance(load, Affine) and isinstance(store, Affine)) or \
                _key(load.base) != _key(store.base) or \
                {d: _key(c) for d, c in load.terms.items()} != \
                {d: _key(c) for d, c in store.terms.items()}:
            return False
        row, column = load.terms.get(0, 0), load.terms.get(1, 0)
        columns = load.shape[1] if len(load.shape) == 2 else 1
        return not (isinstance(row, int) and isinstance(column, int)
                    and abs(row) < columns * abs(column))

    def _enter_loop(self, form: Form, arg: SSAValue) -> Form:
        """The loop-carried form of an initial value: scalars and affine bases move into
        registers the loop updates; tiles must be materialised before the loop."""
        hint = _name_hint(arg)
        if isinstance(form, (VReg, int)):
            reg = self.new_x(hint)
            self.mutable.add(reg)
            self.emit("mv", reg, self.reg(form))
            return reg
        if isinstance(form, Affine) and _is_dot_accumulator(arg):
            if form.terms or form.base != 0:
                raise self.error("a tl.dot accumulator starts as zeros or a tl.dot result")
            form = self._zero_tiles(arg.type.dims)
        if isinstance(form, Affine):
            reg = self.new_x(hint)
            self.mutable.add(reg)
            self.emit("mv", reg, self.reg(form.base))
            return Affine(form.shape, reg, dict(form.terms), form.elem_size)
        if isinstance(form, TileBlock):
            self.materialize(form)
            return form
        raise self.error("a mask cannot be carried through a loop yet")

    def _loop_yield(self, op: scf.YieldOp, carried: list[Form]) -> None:
        moves: list[tuple[VReg, Scalar]] = []
        for value, form in zip(op.operands, carried):
            new = self.forms[value]
            if isinstance(form, VReg):
                moves.append((form, self.scalar(value)))
            elif isinstance(form, Affine):
                if not isinstance(new, Affine) or not _same_terms(new.terms, form.terms):
                    raise self.error("a loop-carried index or pointer block must keep its "
                                     "strides through the loop (only its base may change, "
                                     "as in ptrs += BLOCK_K)", op)
                assert isinstance(form.base, VReg)
                moves.append((form.base, new.base))
            elif isinstance(form, TileBlock):
                if new is not form:
                    raise self.error("a loop-carried accumulator must be updated in place "
                                     "by tl.dot (acc = tl.dot(a, b, acc))", op)
            elif isinstance(form, VecBlock):
                pass  # (written by the body's last region: `carry_at_yield`)
            else:
                raise self.error("unsupported loop-carried value", op)
        # a parallel copy: read every new value before writing any carried register
        temps = []
        for target, source in moves:
            temp = self.new_x()
            self.emit("mv", temp, self.reg(source))
            temps.append((target, temp))
        for target, temp in temps:
            self.emit("mv", target, temp)

    def op_scf_if(self, op: scf.IfOp) -> None:
        """An `if` on a runtime value: a branch to each side, which writes the results
        into registers they share: a scalar's, an index or pointer block's base (its
        strides the same on both sides), a 1-D data block's register group
        (`block_of_if`)."""
        cond = self.scalar(op.cond)
        results = [self._if_result(op, index) for index in range(len(op.results))]
        else_block = self.fn.new_block("else")
        end_block = self.fn.new_block("endif")
        into = (self.block, self.emit("beqz", self.reg(cond), else_block.label))
        before = list(self._stored)  # (only one side runs: `_check_reloads`)
        self._branch(op.true_region.block, results, into)
        taken = self._stored[len(before):]
        self._stored = list(before)
        self.emit("j", end_block.label)
        self.fn.blocks.append(else_block)
        self.block = else_block
        if op.false_region.blocks:
            self._branch(op.false_region.block, results, into)
        self._stored = before + taken + self._stored[len(before):]
        self.fn.blocks.append(end_block)
        self.block = end_block
        for result, form in zip(op.results, results):
            self.forms[result] = form.block if isinstance(form, _IfBlock) else form

    def _if_result(self, op: scf.IfOp, index: int) -> "VReg | VecBlock | _IfBlock":
        """Where the `index`-th result of `op` goes: a register (a scalar, or an index or
        pointer block's base, `_IfBlock`) or a data block's register group."""
        result = op.results[index]
        if not isinstance(result.type, ob.BlockType):
            return self.new_x(_name_hint(result))
        dims = result.type.dims
        if len(dims) != 1:
            raise self.error(f"an `if` producing a {len(dims)}-D block is not supported by "
                             f"the code generator yet (produce its 1-D parts, or compute "
                             f"both and select with tl.where)")
        element = result.type.element_type
        if element == i1:
            raise self.error("an `if` producing a mask is not supported by the code "
                             "generator yet (produce the bound it compares with instead)")
        sides = [region.block.last_op.operands[index] for region in op.regions
                 if region.blocks]
        if not isinstance(element, ob.PointerType) and \
                not all(_follows_affinely(value, self.forms) for value in sides):
            return self.block_of_if(dims[0], _element_name(element), op, result)
        base = self.new_x(_name_hint(result))
        self.mutable.add(base)
        return _IfBlock(base)

    def _branch(self, block: Block, results: list, into: tuple[MBlock, MInstr]) -> None:
        """One side of an `if`: a region whose enclosing values go before `into`, the
        `beqz` choosing the side (its block and instruction)."""
        self._scopes[-1].anchor = into
        self._push_scope()
        try:
            self._branch_ops(block, results)
        finally:
            self._leave_scope()

    def _branch_ops(self, block: Block, results: list) -> None:
        for inner in block.ops:
            if not isinstance(inner, scf.YieldOp):
                self.visit(inner)
                continue
            for target, value in zip(results, inner.operands):
                if isinstance(target, VecBlock):
                    self.current_op = inner
                    self.chosen_at_yield(value, target, inner)
            self.flush_vector()
            self.current_op = inner
            for target, value in zip(results, inner.operands):
                if isinstance(target, VReg):
                    self.emit("mv", target, self.reg(self.scalar(value)))
                elif isinstance(target, _IfBlock):
                    self._yield_affine(target, value, inner)

    def _yield_affine(self, target: "_IfBlock", value: SSAValue, op: scf.YieldOp) -> None:
        """One side's index or pointer block: its base into the shared register; the
        first side sets the strides, the second must have the same."""
        form = self.forms[value]
        if not isinstance(form, Affine):
            raise self.error("an `if` whose block is an index or pointer block on one side "
                             "must produce one on the other too", op)
        if target.block is None:
            target.block = Affine(form.shape, target.base, dict(form.terms), form.elem_size,
                                  form.row_step)
        elif not _same_terms(form.terms, target.block.terms) or \
                form.elem_size != target.block.elem_size:
            raise self.error("the two sides of this `if` produce index or pointer blocks "
                             "with different strides (only the base may differ)", op)
        self.emit("mv", target.base, self.reg(form.base))

    def op_func_return(self, op: func.ReturnOp) -> None:
        """The end of one program: `select` continues with the next."""


def _constant(value: IntegerAttr) -> int:
    """An integer constant as its register holds it: sign-extended to 32 bits, and an
    i1 as 0 or 1 (xDSL keeps i1 `true` as -1), as comparisons (`slt`) leave it."""
    if value.type == i1:
        return value.value.data & 1
    return _wrap32(value.value.data)


def _value(value: "Scalar | Callable[[], Scalar]") -> Scalar:
    """A bound, computed now if it is computed where used (a lower bound's)."""
    return value() if callable(value) else value


def _key(value: Scalar) -> object:
    """A memo key for a scalar: the register itself (by identity) or the constant."""
    return ("r", id(value)) if isinstance(value, VReg) else value


#: A bound no block index reaches: a deferred store without a mask on a dimension.
_UNBOUNDED = 1 << 30

#: What the tiles of a deferred store share (`Selector._where_used`): their bounds, a
#: tile row's rows left and a tile column's, and their clamps to the tile. The values
#: made from them (bytes, the packed CSR value, addresses: an instruction each) are
#: computed where used: shared, they would stay live through the next program's first
#: k-step, and gemm_q has no register to spare there.
_SHARED_BOUNDS = ("sub", "min")


def _registers(block: TileBlock) -> dict[tuple[int, int], VReg]:
    """Each tile's register, whether its instruction is still pending or not."""
    return {index: entry.reg if isinstance(entry, PendingTile) else entry
            for index, entry in block.tiles.items()}


def _carries_data(loop: scf.ForOp | scf.WhileOp, index: int, init: Form) -> bool:
    """Whether the loop's `index`-th carried value (starting as `init`) is a 1-D data
    block: it starts as one, or it is a 1-D block whose new value (the yield's operand)
    is computed from a 1-D block's load."""
    if isinstance(init, VecBlock):
        return True
    _, arg, yielded = _carried(loop, index)
    if not isinstance(arg.type, ob.BlockType) or len(arg.type.dims) != 1:
        return False
    return _loaded_from_memory(yielded)


def _carried(loop: scf.ForOp | scf.WhileOp, index: int
             ) -> tuple[SSAValue, BlockArgument, SSAValue]:
    """A loop's `index`-th carried value: its start, the body's argument that holds it,
    and the value each iteration yields (a while loop's `before` argument: its `after`
    one is the same value, passed on by the condition)."""
    if isinstance(loop, scf.WhileOp):
        return (loop.arguments[index], loop.before_region.block.args[index],
                loop.after_region.block.last_op.operands[index])
    body = loop.body.block
    return loop.iter_args[index], body.args[index + 1], body.last_op.operands[index]


def _loaded_from_memory(value: SSAValue) -> bool:
    """Whether block `value` is computed from a block's load (through an `if`, from
    either side's value); scalars on the way (a reduction's result) do not count."""
    seen: set[int] = set()
    pending = [value]
    while pending:
        value = pending.pop()
        owner = value.owner
        if id(owner) in seen or not isinstance(owner, Operation) or \
                not isinstance(value.type, ob.BlockType):
            continue
        seen.add(id(owner))
        if isinstance(owner, ob.LoadOp):
            return True
        if isinstance(owner, scf.IfOp):
            pending += [region.block.last_op.operands[value.index] for region in owner.regions
                        if region.blocks]
        pending += list(owner.operands)
    return False


#: The ops whose result the selector follows as an index or pointer block (`Affine`)
#: when their operands are such blocks or scalars: `Selector.affine`'s forms.
_AFFINE_OPS = (ob.ArangeOp, ob.ConstantOp, ob.SplatOp, ob.BroadcastOp, ob.ExpandDimsOp,
               ob.TransOp, ob.AddPtrOp)


def _follows_affinely(value: SSAValue, known: dict) -> bool:
    """Whether the selector will hold `value` as an index or pointer block (an `Affine`:
    arange, splats, + and - of such blocks, * by a scalar) rather than as data: from
    `known` (the forms selected so far) for values defined before, else from the ops
    that compute it (an `if`'s, from both sides')."""
    if not isinstance(value.type, ob.BlockType):
        return True  # (a scalar: a base)
    if value in known:
        return isinstance(known[value], Affine)
    owner = value.owner
    if not isinstance(owner, Operation):
        return False
    if isinstance(owner, scf.IfOp):
        return all(_follows_affinely(region.block.last_op.operands[value.index], known)
                   for region in owner.regions if region.blocks)
    if isinstance(owner, _AFFINE_OPS) or owner.name in ("oxcore_block.add",
                                                          "oxcore_block.sub"):
        return all(_follows_affinely(operand, known) for operand in owner.operands)
    if owner.name == "oxcore_block.mul":  # (by a scalar: one side has no index terms)
        return all(_follows_affinely(operand, known) for operand in owner.operands) and \
            any(not _has_index_terms(operand, known) for operand in owner.operands)
    return False


def _has_index_terms(value: SSAValue, known: dict) -> bool:
    """Whether an index block's elements differ (an arange somewhere beneath), as far
    as the ops tell."""
    if value in known:
        form = known[value]
        return not isinstance(form, Affine) or bool(form.terms)
    owner = value.owner
    if not isinstance(owner, Operation):
        return False
    if isinstance(owner, ob.ArangeOp):
        return True
    return any(_has_index_terms(operand, known) for operand in owner.operands
               if isinstance(operand.type, ob.BlockType))


def _feeding_ops(body: Block, roots: list[SSAValue]) -> list[Operation]:
    """The ops of `body` that compute `roots`, directly or through other such ops, in
    the body's order."""
    needed: set[int] = set()
    pending = list(roots)
    while pending:
        owner = pending.pop().owner
        if isinstance(owner, Operation) and owner.parent_block() is body \
                and id(owner) not in needed:
            needed.add(id(owner))
            pending += list(owner.operands)
    return [o for o in body.ops if id(o) in needed]


def _k_pipelined_dot(loop: scf.ForOp) -> ob.DotOp | None:
    """The tl.dot of a loop that `kloop` may software-pipeline: the Triton GEMM loop,
    whose body is two int8 block loads feeding one dot on the carried accumulator, and
    pure arithmetic (indices, masks, pointers) that uses neither. The loads' operands
    then depend only on the induction variable and carried pointers, so the next
    iteration's loads can be selected ahead."""
    body = loop.body.block
    dots = [o for o in body.ops if isinstance(o, ob.DotOp)]
    if len(dots) != 1:
        return None
    dot = dots[0]
    loads = [dot.a.owner, dot.b.owner]
    if not all(isinstance(o, ob.LoadOp) and o.parent_block() is body
               and len(list(o.results[0].uses)) == 1 for o in loads):
        return None
    if not (isinstance(dot.acc, BlockArgument) and dot.acc.owner is body):
        return None
    if [use.operation for use in dot.result.uses] != [body.last_op]:
        return None
    for o in body.ops:  # the rest: pure, so selection may repeat it for the next one
        if o is not dot and o not in loads and o is not body.last_op and (
                o.regions or isinstance(o, (ob.LoadOp, ob.StoreOp, ob.DotOp, ob.ReduceOp,
                                            ob.RequantizeOp))):
            return None
    return dot


def _deferred_store_plan(block: Block) -> tuple[scf.ForOp | None, ob.StoreOp] | None:
    """The tile GEMM pattern, whose store can be deferred to the next program: a
    tl.dot accumulator stored once, at the end of the kernel's body, by a store in that
    body (directly, or through tl.requantize: a tst.b store, whose CSRs the requantize
    op sets). It is accumulated either in a chain of loops (one loop, or one per
    filter tap when a convolution's taps are unrolled around a channel loop), each next
    loop starting from the previous one's result; or by a chain of tl.dot ops in the
    body itself (every loop unrolled). Returns the first loop, whose first iteration
    takes the deferred store (None: the first tl.dot of the straight-line chain takes
    it), and the store."""
    ops = list(block.ops)
    for store in (op for op in ops if isinstance(op, ob.StoreOp)):
        if any(ob.touches_memory(later) for later in ops[ops.index(store) + 1:]):
            continue  # the program reads or writes memory after it: not the end
        value = store.value
        if isinstance(value.owner, ob.RequantizeOp) and value.owner.parent_block() is block \
                and len(list(value.uses)) == 1:  # stored by tst.b
            value = value.owner.operand
        if len(list(value.uses)) != 1 or not isinstance(value.type, ob.BlockType) \
                or len(value.type.dims) != 2:
            continue
        if isinstance(value.owner, ob.DotOp) and value.owner.parent_block() is block:
            dot = value.owner
            chain = {id(dot)}
            while isinstance(dot.acc.owner, ob.DotOp):  # back to the chain's first dot
                if dot.acc.owner.parent_block() is not block or len(list(dot.acc.uses)) != 1:
                    return None
                dot = dot.acc.owner
                chain.add(id(dot))
            if any(isinstance(op, ob.DotOp) and id(op) not in chain
                   for top in ops for op in top.walk()):
                return None  # (another tl.dot, in a loop or an if: stored where it is)
            return None, store
        loop = value.owner
        if not (isinstance(loop, scf.ForOp) and loop.parent_block() is block
                and _dot_loop_accumulator(loop) is value):
            continue
        first, accumulator = loop, value
        while True:  # back along the chain to the loop the accumulator starts in
            init = first.iter_args[accumulator.index]
            owner = init.owner
            if not (isinstance(owner, scf.ForOp) and owner.parent_block() is block
                    and _dot_loop_accumulator(owner) is init and len(list(init.uses)) == 1):
                break
            first, accumulator = owner, init
        return first, store
    return None


def _pointer_argument(value: SSAValue) -> BlockArgument | None:
    """The kernel's pointer argument that `value` (a pointer or block of pointers) is
    an offset of; None if it is not one (a pointer loaded from memory) or may be one of
    several (an `if` chose it)."""
    sources = _pointer_sources(value)
    return next(iter(sources)) if sources is not None and len(sources) == 1 else None


def _pointer_sources(value: SSAValue, visiting: frozenset[int] = frozenset()
                     ) -> frozenset[BlockArgument] | None:
    """The kernel's pointer arguments `value` may be an offset of (either side's, for an
    `if`'s result; the start's and every iteration's, for a loop-carried pointer);
    None if unknown."""
    while True:
        if isinstance(value, BlockArgument):
            owner = value.block.parent_op()
            if isinstance(owner, scf.ForOp) and value.index > 0:  # a carried pointer
                return _carried_sources(owner, value.index - 1, visiting)
            if isinstance(owner, scf.WhileOp):  # (both regions' arguments: the same)
                return _carried_sources(owner, value.index, visiting)
            return frozenset({value}) if isinstance(owner, func.FuncOp) else None
        owner = value.owner
        if isinstance(owner, ob.AddPtrOp):
            value = owner.ptr
        elif isinstance(owner, (ob.SplatOp, ob.BroadcastOp, ob.ExpandDimsOp, ob.TransOp,
                                ob.RowOp)):
            value = owner.operand
        elif isinstance(owner, scf.IfOp):
            sides = [_pointer_sources(region.block.last_op.operands[value.index], visiting)
                     for region in owner.regions if region.blocks]
            return None if None in sides else frozenset().union(*sides)
        elif isinstance(owner, (scf.ForOp, scf.WhileOp)):  # (after it: what it carried)
            return _carried_sources(owner, value.index, visiting)
        else:
            return None


def _carried_sources(loop: scf.ForOp | scf.WhileOp, index: int, visiting: frozenset[int]
                     ) -> frozenset[BlockArgument] | None:
    """The pointer arguments a loop's `index`-th carried pointer may come from: its
    start's and the value each iteration yields (ping-pong buffers swap them)."""
    key = id(loop) * 64 + index
    if key in visiting:
        return frozenset()  # (the cycle through the loop: its other ways decide)
    visiting = visiting | {key}
    start, _, yielded = _carried(loop, index)
    sides = [_pointer_sources(start, visiting), _pointer_sources(yielded, visiting)]
    return None if None in sides else frozenset().union(*sides)


def _may_alias(a: SSAValue, b: SSAValue) -> bool:
    """Whether pointers (or pointer blocks) `a` and `b` may reach the same array: they
    may come from one pointer argument, or where one comes from is unknown (different
    arguments are taken not to overlap, as C's `restrict`)."""
    sources_a, sources_b = _pointer_sources(a), _pointer_sources(b)
    return sources_a is None or sources_b is None or bool(sources_a & sources_b)


def _reduction_row_stores(body: Block
                          ) -> dict[Operation, tuple[SSAValue, SSAValue, SSAValue | None]]:
    """split-rows' stores of a row reduction in a row loop's `body`: store -> (the
    reduction's result, the row's pointer, the row's mask element or None), for
    ``store(row(p1d, r), reduce(...))`` alone or alone under ``scf.if row(mask1d, r)``,
    the reduction's result not converted and used by nothing else."""
    found = {}
    row = body.args[0]

    def row_of_1d(value: SSAValue | None, uses: int | None = 1) -> bool:
        owner = value.owner if value is not None else None
        return isinstance(owner, ob.RowOp) and owner.index is row and \
            owner.parent_block() is body and uses in (None, len(list(value.uses)))

    for inner in body.ops:
        store, cond = inner, None
        if isinstance(inner, scf.IfOp):
            ops = list(inner.true_region.block.ops) if inner.true_region.blocks else []
            if inner.results or inner.false_region.blocks and \
                    list(inner.false_region.block.ops)[:-1] or len(ops) != 2:
                continue
            store, cond = ops[0], inner.cond
            if not row_of_1d(cond, None):  # (one mask row may guard several stores)
                continue
        if not (isinstance(store, ob.StoreOp) and store.mask is None
                and isinstance(store.value.owner, ob.ReduceOp)
                and store.value.owner.parent_block() is body
                and len(list(store.value.uses)) == 1 and row_of_1d(store.ptr)):
            continue
        found[inner] = (store.value, store.ptr, cond)
    # (a mask row used otherwise too stays: its other uses read it)
    return {op: found[op] for op in found
            if found[op][2] is None or all(use.operation in found
                                           for use in found[op][2].uses)}


def _row_store_ops(stored: dict[Operation, tuple[SSAValue, SSAValue, SSAValue | None]]
                   ) -> set[int]:
    """id() of the ops of `_reduction_row_stores`' stores (the store or its `scf.if`,
    the rows of the pointer block and the mask) that the row loop's region does instead."""
    return {id(op) for store, (_, ptr, cond) in stored.items()
            for op in (store, ptr.owner, cond.owner if cond is not None else None)
            if op is not None}


def _dot_loop_accumulator(loop: scf.ForOp) -> SSAValue | None:
    """The result of `loop` that its tl.dot accumulates, when it is the loop's only
    used result; None for any other loop."""
    body = loop.body.block
    if not any(isinstance(o, ob.DotOp) for o in body.ops):
        return None
    results = [(r, body.args[1 + r.index]) for r in loop.results]
    accumulators = [r for r, arg in results if _is_dot_accumulator(arg)]
    others_used = [r for r, arg in results if not _is_dot_accumulator(arg) and list(r.uses)]
    if len(accumulators) != 1 or others_used:
        return None
    return accumulators[0]


def _is_dot_accumulator(value: SSAValue) -> bool:
    return any(isinstance(use.operation, ob.DotOp) and use.index == 2 for use in value.uses)


def _same_terms(a: dict[int, Scalar], b: dict[int, Scalar]) -> bool:
    return a.keys() == b.keys() and all(a[d] is b[d] or a[d] == b[d] for d in a)


def _c_div(a: int, b: int) -> int:
    if b == 0:
        return -1
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _pointee_size(element: Attribute) -> int:
    if isinstance(element, ob.PointerType):
        return _int_type_bits(element.pointee) // 8
    return 0


def _element_name(type_: Attribute) -> str:
    assert isinstance(type_, IntegerType)
    bits = type_.width.data
    return f"u{bits}" if type_.signedness.data.name == "UNSIGNED" else f"i{bits}"


def _name_hint(value: SSAValue) -> str:
    return value.name_hint or ""


def select_instructions(module: ModuleOp, config: OxCoreConfig,
                        num_stages: int | None = None) -> MFunction:
    """The machine IR of the module's one kernel function."""
    functions = [op for op in module.ops if isinstance(op, func.FuncOp)]
    assert len(functions) == 1, "one kernel per module"
    return Selector(functions[0], config, num_stages).select()
