"""Which scalar values are never negative, whatever the launch: a small proof over the
front end's IR.

Triton's `boundary_check` masks a block pointer's elements outside [0, shape); the
engines' masks cannot skip a row's first elements, so OxCore checks only the upper
bound, and an access at a negative offset would read or write before the tensor.
`never_negative` lets the front end refuse the block-pointer accesses whose offsets it
cannot prove to be >= 0 (`KernelBuilder.refuse_negative_offsets`), instead of
compiling an access that would silently differ from Triton's.

The proof knows program ids and grid sizes, non-negative constants, 32-bit sums and
products of non-negative values, their quotients by a positive constant, a grid size
or `max` with one, remainders and right shifts of a non-negative value, `max` and `&`
with one, `min` of two, zero extension, a loop's induction variable from a
non-negative start by a non-negative step, and a loop-carried value (inside the loop
or out of it) that starts non-negative and is only ever replaced by non-negative
values (assumed while its yields are checked); anything else (a runtime argument, a
subtraction, an int8 or int16 sum, which wraps) is not proved. A 32-bit sum or product
that wraps past 2^31 (a loop counter stepped past it included) is not considered:
offsets and the products they are made of are element indices, far below it.
"""

from __future__ import annotations

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr, IntegerType
from xdsl.ir import BlockArgument, SSAValue

from sw.compiler import dialect as ob

# non-negative when both operands are: sums and products only at 32 bits (an int8 or
# int16 scalar's wraps at 128 or 32,768, and sign-extends into a negative offset)
_SUMS = (arith.AddiOp, arith.MuliOp)
_BOTH = (arith.MinSIOp,)
# ... when one is
_EITHER = (arith.MaxSIOp, arith.AndIOp)
# ... when the left one is (RISC-V: x % 0 = x; a right shift keeps x's sign or clears it)
_LEFT = (arith.RemSIOp, arith.RemUIOp, arith.ShRSIOp, arith.ShRUIOp)
# ... when the left one is and the right one positive (RISC-V: x / 0 = -1)
_QUOTIENTS = (arith.DivSIOp, arith.DivUIOp)


def never_negative(value: SSAValue) -> bool:
    """`value` (an integer scalar) is >= 0 in every launch (module docstring). An
    expression too deep to follow is not proved."""
    try:
        return _Proof().holds(value, frozenset())
    except RecursionError:
        return False


class _Proof:
    """One proof's facts so far, per value and assumption set: an expression that
    shares a value many times (``x = x + x``, unrolled) is followed once per value."""

    def __init__(self) -> None:
        self.known: dict[tuple[SSAValue, frozenset[SSAValue]], bool] = {}

    def holds(self, value: SSAValue, assumed: frozenset[SSAValue]) -> bool:
        if value in assumed:
            return True
        key = (value, assumed)
        if key not in self.known:
            self.known[key] = self._holds(value, assumed)
        return self.known[key]

    def _holds(self, value: SSAValue, assumed: frozenset[SSAValue]) -> bool:
        if isinstance(value, BlockArgument):
            return self._block_argument(value, assumed)
        op = value.owner
        if isinstance(op, (ob.ProgramIdOp, ob.NumProgramsOp, arith.ExtUIOp)):
            return True
        if isinstance(op, (arith.ConstantOp, ob.ConstantOp)):
            constant = _constant_value(op)
            return constant is not None and constant >= 0
        if isinstance(op, arith.ExtSIOp):
            return self.holds(op.input, assumed)
        if isinstance(op, _SUMS):
            return (_bits(op.result.type) >= 32 and self.holds(op.lhs, assumed)
                    and self.holds(op.rhs, assumed))
        if isinstance(op, _BOTH):
            return self.holds(op.lhs, assumed) and self.holds(op.rhs, assumed)
        if isinstance(op, _LEFT):
            return self.holds(op.lhs, assumed)
        if isinstance(op, _QUOTIENTS):
            return self.holds(op.lhs, assumed) and _positive(op.rhs)
        if isinstance(op, _EITHER):
            return self.holds(op.lhs, assumed) or self.holds(op.rhs, assumed)
        if isinstance(op, arith.SelectOp):
            return self.holds(op.lhs, assumed) and self.holds(op.rhs, assumed)
        if isinstance(op, scf.ForOp):  # what a loop carried out of it
            return self._carried(op, value.index, assumed)
        if isinstance(op, scf.IfOp):
            return all(self.holds(region.block.last_op.operands[value.index], assumed)
                       for region in (op.true_region, op.false_region) if region.blocks)
        return False

    def _block_argument(self, value: BlockArgument, assumed: frozenset[SSAValue]) -> bool:
        """A loop's induction variable or carried value (a kernel's own argument, a
        runtime value, is not proved)."""
        loop = value.block.parent_op()
        if not isinstance(loop, scf.ForOp):
            return False
        if value.index == 0:  # the induction variable: lb + k * step
            return self.holds(loop.lb, assumed) and self.holds(loop.step, assumed)
        return self._carried(loop, value.index - 1, assumed)

    def _carried(self, loop: scf.ForOp, index: int, assumed: frozenset[SSAValue]) -> bool:
        """The loop's `index`-th carried value starts non-negative and every iteration
        yields a non-negative one (assuming it is, where the yield depends on it)."""
        if not self.holds(loop.iter_args[index], assumed):
            return False
        body = loop.body.block
        return self.holds(body.last_op.operands[index], assumed | {body.args[index + 1]})


def _bits(type_) -> int:
    return type_.width.data if isinstance(type_, IntegerType) else 0


def _constant_value(op: arith.ConstantOp | ob.ConstantOp) -> int | None:
    attribute = op.value
    return attribute.value.data if isinstance(attribute, IntegerAttr) else None


def _positive(value: SSAValue) -> bool:
    """`value` is > 0 in every launch: a positive constant, a grid size, or `max` with
    one (`max(tl.cdiv(N, BN), 1)`)."""
    op = value.owner
    if isinstance(op, ob.NumProgramsOp):
        return True
    if isinstance(op, arith.MaxSIOp):
        return _positive(op.lhs) or _positive(op.rhs)
    if not isinstance(op, (arith.ConstantOp, ob.ConstantOp)):
        return False
    constant = _constant_value(op)
    return constant is not None and constant > 0
