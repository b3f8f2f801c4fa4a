"""Which scalar values are never negative, whatever the launch: a small proof over the
front end's IR.

Triton's `boundary_check` masks a block pointer's elements outside [0, shape); the
engines' masks cannot skip a row's first elements, so OxCore checks only the upper
bound, and an access at a negative offset would read or write before the tensor.
`never_negative` lets the front end refuse the block-pointer accesses whose offsets it
cannot prove to be >= 0 (`KernelBuilder.refuse_negative_offsets`), instead of
compiling an access that would silently differ from Triton's.

The proof knows program ids and grid sizes, non-negative constants, sums, products,
quotients, remainders and shifts of non-negative values, `max` with a non-negative
value and `&` with one, `min` of two, zero extension, a loop's induction variable from
a non-negative start by a positive step, and a loop-carried value (inside the loop or
out of it) that starts non-negative and is only ever replaced by non-negative values
(assumed while its yields are checked); anything else (a runtime argument, a
subtraction) is not proved. int32 wrap-around is not considered: offsets are
addresses' indices, far below 2^31.
"""

from __future__ import annotations

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Block, BlockArgument, SSAValue

from sw.compiler import dialect as ob

# (conservative where one operand would do: a remainder's or a shift's sign is its
# left operand's)
_BOTH = (arith.AddiOp, arith.MuliOp, arith.DivSIOp, arith.DivUIOp, arith.RemSIOp,
         arith.RemUIOp, arith.ShRSIOp, arith.ShRUIOp, arith.MinSIOp)
_EITHER = (arith.MaxSIOp, arith.AndIOp)


def never_negative(value: SSAValue, assumed: frozenset[SSAValue] = frozenset()) -> bool:
    """`value` (an integer scalar) is >= 0 in every launch (module docstring)."""
    if value in assumed:
        return True
    if isinstance(value, BlockArgument):
        return _block_argument(value, assumed)
    op = value.owner
    if isinstance(op, (ob.ProgramIdOp, ob.NumProgramsOp, arith.ExtUIOp)):
        return True
    if isinstance(op, (arith.ConstantOp, ob.ConstantOp)):
        constant = _constant_value(op)
        return constant is not None and constant >= 0
    if isinstance(op, arith.ExtSIOp):
        return never_negative(op.input, assumed)
    if isinstance(op, _BOTH):
        return never_negative(op.lhs, assumed) and never_negative(op.rhs, assumed)
    if isinstance(op, _EITHER):
        return never_negative(op.lhs, assumed) or never_negative(op.rhs, assumed)
    if isinstance(op, arith.SelectOp):
        return never_negative(op.lhs, assumed) and never_negative(op.rhs, assumed)
    if isinstance(op, scf.ForOp):  # what a loop carried out of it
        return _carried(op, value.index, assumed)
    if isinstance(op, scf.IfOp):
        index = value.index
        return all(never_negative(region.block.last_op.operands[index], assumed)
                   for region in (op.true_region, op.false_region) if region.blocks)
    return False


def _constant_value(op: arith.ConstantOp | ob.ConstantOp) -> int | None:
    attribute = op.value
    return attribute.value.data if isinstance(attribute, IntegerAttr) else None


def _block_argument(value: BlockArgument, assumed: frozenset[SSAValue]) -> bool:
    """A loop's induction variable or carried value (a kernel's own argument, a runtime
    value, is not proved)."""
    block: Block = value.block
    loop = block.parent_op()
    if not isinstance(loop, scf.ForOp):
        return False
    if value.index == 0:  # the induction variable
        return (never_negative(loop.lb, assumed)
                and _positive_constant(loop.step))
    return _carried(loop, value.index - 1, assumed)


def _carried(loop: scf.ForOp, index: int, assumed: frozenset[SSAValue]) -> bool:
    """The loop's `index`-th carried value starts non-negative and every iteration
    yields a non-negative one (assuming it is, where the yield depends on it)."""
    if not never_negative(loop.iter_args[index], assumed):
        return False
    body = loop.body.block
    yielded = body.last_op.operands[index]
    return never_negative(yielded, assumed | {body.args[index + 1]})


def _positive_constant(value: SSAValue) -> bool:
    op = value.owner
    if not isinstance(op, (arith.ConstantOp, ob.ConstantOp)):
        return False
    constant = _constant_value(op)
    return constant is not None and constant > 0
