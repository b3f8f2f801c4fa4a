"""The `oxcore_block` dialect: block-level (tile-level) kernel IR on xDSL.

A kernel instance works on *blocks*: statically shaped arrays of integers or pointers,
as a Triton program does. Scalars stay in xDSL's `arith` dialect, control flow in
`scf`, the kernel itself is a `func.func`; this dialect adds what those lack: the
block type, pointers, the program grid, masked memory access and `dot`.

Every op checks its operand and result types against one inference rule (a static
`infer_*` function raising `TypeRuleError`): the front end calls the rule to build the
op (so it reports errors at the user's source), and `verify_` calls it again, so IR
that any pass produces, or that is parsed back from text, obeys the same rules.
Element-wise ops take operands of one type: broadcasting, splatting scalars and dtype
promotion are explicit ops the front end inserts, as in Triton's IR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from xdsl.dialects import arith
from xdsl.dialects.builtin import (ArrayAttr, IntAttr, IntegerAttr, IntegerType, Signedness,
                                   StringAttr, i1, i32)
from xdsl.ir import Attribute, Dialect, Operation, ParametrizedAttribute, SSAValue, TypeAttribute
from xdsl.irdl import (AnyAttr, AttrSizedOperandSegments, BaseAttr, IRDLOperation,
                       ParsePropInAttrDict, VarConstraint,
                       irdl_attr_definition, irdl_op_definition, operand_def,
                       opt_operand_def, prop_def, result_def, traits_def)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

ui8 = IntegerType(8, Signedness.UNSIGNED)
i8, i16 = IntegerType(8), IntegerType(16)

#: An scf.for's attribute from `tl.range(..., num_stages=N)`: that loop's K-loop
#: software pipelining (1 off, 2 or more on), over the kernel's num_stages.
NUM_STAGES = "num_stages"

#: Element types a block of numbers may hold (i1: masks and comparison results).
NUMBER_TYPES: tuple[IntegerType, ...] = (i8, i16, i32, ui8)
ELEMENT_TYPES: tuple[IntegerType, ...] = (i1, *NUMBER_TYPES)


class TypeRuleError(VerifyException):
    """An op's operands or results break its typing rule; the message says how."""


def type_name(type_: Attribute) -> str:
    """How errors spell a type: the IR syntax, which is also what `--emit ir` shows."""
    return str(type_)


@irdl_attr_definition
class PointerType(ParametrizedAttribute, TypeAttribute):
    """A pointer to one element in memory: `!oxcore_block.ptr<i8>`."""

    name = "oxcore_block.ptr"

    pointee: IntegerType

    def __init__(self, pointee: IntegerType):
        super().__init__(pointee)

    def verify(self) -> None:
        if self.pointee not in NUMBER_TYPES:
            raise VerifyException(f"a pointer must point to one of i8, i16, i32, ui8, "
                                  f"not {type_name(self.pointee)}")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            return (parser.parse_type(),)

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_attribute(self.pointee)


@irdl_attr_definition
class BlockType(ParametrizedAttribute, TypeAttribute):
    """A statically shaped block of integers or pointers: `!oxcore_block.block<64x32xi8>`."""

    name = "oxcore_block.block"

    shape: ArrayAttr[IntAttr]
    element_type: Attribute

    def __init__(self, shape: Sequence[int], element_type: Attribute):
        super().__init__(ArrayAttr(IntAttr(d) for d in shape), element_type)

    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(d.data for d in self.shape.data)

    def with_element(self, element_type: Attribute) -> BlockType:
        return BlockType(self.dims, element_type)

    def verify(self) -> None:
        if not self.dims or any(d <= 0 for d in self.dims):
            raise VerifyException(f"a block needs one or more positive dimensions, "
                                  f"got {list(self.dims)}")
        if not isinstance(self.element_type, PointerType) \
                and self.element_type not in ELEMENT_TYPES:
            raise VerifyException(f"unsupported block element type "
                                  f"{type_name(self.element_type)} (supported: i1, i8, "
                                  f"i16, i32, ui8, pointers)")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            dims, element = parser.parse_ranked_shape()
        return ArrayAttr(IntAttr(d) for d in dims), element

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string("x".join(str(d) for d in self.dims) + "x")
            printer.print_attribute(self.element_type)


# --- type rules ---------------------------------------------------------------------

def element_of(type_: Attribute) -> Attribute:
    """The element type of a block, or the type itself for a scalar."""
    return type_.element_type if isinstance(type_, BlockType) else type_


def shape_of(type_: Attribute) -> tuple[int, ...]:
    """A block's shape; () for a scalar."""
    return type_.dims if isinstance(type_, BlockType) else ()


def shape_text(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _require_block(type_: Attribute, what: str) -> BlockType:
    if not isinstance(type_, BlockType):
        raise TypeRuleError(f"{what} must be a block, got {type_name(type_)}")
    return type_


def _require_numbers(type_: Attribute, what: str) -> None:
    if element_of(type_) not in NUMBER_TYPES:
        raise TypeRuleError(f"{what} must hold integers (i8, i16, i32, ui8), got "
                            f"{type_name(type_)}")


def infer_same_shape(lhs: Attribute, rhs: Attribute, op: str) -> BlockType:
    """Both operands of an element-wise op: blocks of one shape and one element type."""
    left, right = _require_block(lhs, f"'{op}' operand"), _require_block(rhs, f"'{op}' operand")
    if left.dims != right.dims:
        raise TypeRuleError(f"shape mismatch in '{op}': {shape_text(left.dims)} and "
                            f"{shape_text(right.dims)}")
    if left.element_type != right.element_type:
        raise TypeRuleError(f"element type mismatch in '{op}': "
                            f"{type_name(left.element_type)} and "
                            f"{type_name(right.element_type)}")
    return left


def infer_dot(a: Attribute, b: Attribute, acc: Attribute) -> BlockType:
    """int8 [M, K] x int8 [K, N] + int32 [M, N]: what a tensor-engine tmma computes."""
    a_block, b_block = _require_block(a, "'dot' operand a"), _require_block(b, "'dot' operand b")
    for name, block in (("a", a_block), ("b", b_block)):
        if len(block.dims) != 2:
            raise TypeRuleError(f"'dot' operand {name} must be 2-D, got shape "
                                f"{shape_text(block.dims)}")
        if block.element_type != i8:
            raise TypeRuleError(f"'dot' operands must be int8 (the tensor engine "
                                f"multiplies int8 tiles), operand {name} is "
                                f"{type_name(block.element_type)}")
    (m, k), (k2, n) = a_block.dims, b_block.dims
    if k != k2:
        raise TypeRuleError(f"'dot' inner dimensions differ: a is {shape_text(a_block.dims)}, "
                            f"b is {shape_text(b_block.dims)} ({k} != {k2})")
    expected = BlockType((m, n), i32)
    if acc != expected:
        raise TypeRuleError(f"'dot' accumulator must be {type_name(expected)}, got "
                            f"{type_name(acc)}")
    return expected


def infer_reduce(operand: Attribute, axis: int, kind: str) -> Attribute:
    """Reducing a block along `axis` drops that dimension; a 1-D block gives a scalar."""
    block = _require_block(operand, f"'{kind}' operand")
    _require_numbers(block, f"'{kind}' operand")
    if not 0 <= axis < len(block.dims):
        raise TypeRuleError(f"'{kind}' axis {axis} is out of range for a "
                            f"{len(block.dims)}-D block")
    shape = block.dims[:axis] + block.dims[axis + 1:]
    return BlockType(shape, block.element_type) if shape else block.element_type


def infer_broadcast(operand: Attribute, shape: Sequence[int]) -> BlockType:
    """Size-1 dimensions stretch to `shape` (same rank; NumPy's rule without new axes)."""
    block = _require_block(operand, "'broadcast' operand")
    if len(block.dims) != len(shape) or any(d not in (1, s) for d, s in zip(block.dims, shape)):
        raise TypeRuleError(f"cannot broadcast shape {shape_text(block.dims)} to "
                            f"{shape_text(shape)}")
    return BlockType(shape, block.element_type)


def infer_expand_dims(operand: Attribute, axis: int) -> BlockType:
    block = _require_block(operand, "'expand_dims' operand")
    if not 0 <= axis <= len(block.dims):
        raise TypeRuleError(f"'expand_dims' axis {axis} is out of range for a "
                            f"{len(block.dims)}-D block")
    return BlockType(block.dims[:axis] + (1,) + block.dims[axis:], block.element_type)


def infer_addptr(ptr: Attribute, offset: Attribute) -> Attribute:
    """Pointer plus element offset (scaled by the pointee's size when lowered)."""
    if not isinstance(element_of(ptr), PointerType):
        raise TypeRuleError(f"'addptr' needs a pointer, got {type_name(ptr)}")
    if element_of(offset) not in (i8, i16, i32):
        raise TypeRuleError(f"pointer offsets must be signed integers, got "
                            f"{type_name(offset)}")
    if shape_of(ptr) != shape_of(offset):
        raise TypeRuleError(f"shape mismatch in pointer arithmetic: "
                            f"{shape_text(shape_of(ptr))} and {shape_text(shape_of(offset))}")
    return ptr


def infer_load(ptr: Attribute, mask: Attribute | None, other: Attribute | None) -> Attribute:
    pointee = element_of(ptr)
    if not isinstance(pointee, PointerType):
        raise TypeRuleError(f"'load' needs a pointer or a block of pointers, got "
                            f"{type_name(ptr)}")
    result = (BlockType(shape_of(ptr), pointee.pointee) if isinstance(ptr, BlockType)
              else pointee.pointee)
    if mask is not None:
        _check_mask(mask, ptr, "load")
    if other is not None and other != result:
        raise TypeRuleError(f"'load' other must be {type_name(result)}, got "
                            f"{type_name(other)}")
    return result


def infer_store(ptr: Attribute, value: Attribute, mask: Attribute | None) -> None:
    pointee = element_of(ptr)
    if not isinstance(pointee, PointerType):
        raise TypeRuleError(f"'store' needs a pointer or a block of pointers, got "
                            f"{type_name(ptr)}")
    expected = (BlockType(shape_of(ptr), pointee.pointee) if isinstance(ptr, BlockType)
                else pointee.pointee)
    if value != expected:
        raise TypeRuleError(f"'store' value must be {type_name(expected)}, got "
                            f"{type_name(value)}")
    if mask is not None:
        _check_mask(mask, ptr, "store")


def _check_mask(mask: Attribute, ptr: Attribute, op: str) -> None:
    if element_of(mask) != i1 or shape_of(mask) != shape_of(ptr):
        raise TypeRuleError(f"'{op}' mask must be i1 of the pointers' shape "
                            f"{shape_text(shape_of(ptr))}, got {type_name(mask)}")


def infer_cast(operand: Attribute, element_type: Attribute) -> BlockType:
    block = _require_block(operand, "'cast' operand")
    if block.element_type not in ELEMENT_TYPES or element_type not in NUMBER_TYPES:
        raise TypeRuleError(f"cannot cast {type_name(block)} to {type_name(element_type)}")
    return block.with_element(element_type)


#: tl.requantize's rounding modes (vxrm's encoding, as tst.b's tqrm) and activations.
ROUNDING_MODES = ("rnu", "rne", "rdn", "rod")
ACTIVATIONS = ("none", "relu")


def infer_requantize(operand: Attribute, scalars: Sequence[Attribute], rounding: int,
                     activation: str) -> BlockType:
    block = _require_block(operand, "'requantize' input")
    if block.element_type != i32:
        raise TypeRuleError(f"'requantize' takes an i32 block (accumulators), got "
                            f"{type_name(block)}")
    for name, type_ in zip(("multiplier", "shift", "zero_point"), scalars):
        if type_ != i32:
            raise TypeRuleError(f"'requantize' {name} must be an i32 scalar, got "
                                f"{type_name(type_)}")
    if not 0 <= rounding < len(ROUNDING_MODES):
        raise TypeRuleError(f"'requantize' rounding must be 0..3 ({', '.join(ROUNDING_MODES)}"
                            f"), got {rounding}")
    if activation not in ACTIVATIONS:
        raise TypeRuleError(f"unknown 'requantize' activation '{activation}'")
    return block.with_element(i8)


# --- ops --------------------------------------------------------------------------

class OpWithTypeRule(IRDLOperation):
    """An op whose result types come from its rule; `verify_` re-applies the rule."""

    irdl_options = (ParsePropInAttrDict(),)

    def inferred_types(self) -> list[Attribute]:
        raise NotImplementedError

    def verify_(self) -> None:
        expected = self.inferred_types()
        actual = list(self.result_types)
        if expected != actual:
            raise TypeRuleError(f"'{self.name}' result must be "
                                f"{', '.join(type_name(t) for t in expected)}, got "
                                f"{', '.join(type_name(t) for t in actual)}")


def _axis_prop(value: int) -> IntegerAttr:
    return IntegerAttr(value, i32)


class _GridQueryOp(OpWithTypeRule):
    """An i32 fact about the launch grid along axis 0, 1 or 2."""

    axis = prop_def(IntegerAttr)
    result = result_def(i32)
    assembly_format = "attr-dict `:` type($result)"
    traits = traits_def(Pure())

    def __init__(self, axis: int):
        super().__init__(properties={"axis": _axis_prop(axis)}, result_types=[i32])

    def inferred_types(self) -> list[Attribute]:
        if self.axis.value.data not in (0, 1, 2):
            raise TypeRuleError(f"grid axis must be 0, 1 or 2, got {self.axis.value.data}")
        return [i32]


@irdl_op_definition
class ProgramIdOp(_GridQueryOp):
    """This program's index along a grid axis."""

    name = "oxcore_block.program_id"


@irdl_op_definition
class NumProgramsOp(_GridQueryOp):
    """How many programs the grid has along an axis."""

    name = "oxcore_block.num_programs"


@irdl_op_definition
class ArangeOp(OpWithTypeRule):
    """[start, start+1, ..., end-1] as an i32 block; end - start a power of two."""

    name = "oxcore_block.arange"
    start = prop_def(IntegerAttr)
    end = prop_def(IntegerAttr)
    result = result_def(BlockType)
    assembly_format = "attr-dict `:` type($result)"
    traits = traits_def(Pure())

    def __init__(self, start: int, end: int):
        super().__init__(properties={"start": IntegerAttr(start, i32),
                                     "end": IntegerAttr(end, i32)},
                         result_types=[self.infer(start, end)])

    @staticmethod
    def infer(start: int, end: int) -> BlockType:
        length = end - start
        if length <= 0 or length & (length - 1):
            raise TypeRuleError(f"arange length end - start must be a power of two, got "
                                f"{end} - {start} = {length}")
        return BlockType((length,), i32)

    def inferred_types(self) -> list[Attribute]:
        return [self.infer(self.start.value.data, self.end.value.data)]


@irdl_op_definition
class ConstantOp(OpWithTypeRule):
    """A block with every element equal to `value` (zeros, full, literals)."""

    name = "oxcore_block.constant"
    value = prop_def(IntegerAttr)
    result = result_def(BlockType)
    assembly_format = "attr-dict `:` type($result)"
    traits = traits_def(Pure())

    def __init__(self, value: int, type_: BlockType):
        element = type_.element_type
        super().__init__(properties={"value": IntegerAttr(value, element)},
                         result_types=[type_])

    def inferred_types(self) -> list[Attribute]:
        block = _require_block(self.result.type, "'constant' result")
        if self.value.type != block.element_type:
            raise TypeRuleError(f"constant value type {type_name(self.value.type)} differs "
                                f"from the block's {type_name(block.element_type)}")
        return [block]


@irdl_op_definition
class SplatOp(OpWithTypeRule):
    """A scalar copied into every element of a block."""

    name = "oxcore_block.splat"
    operand = operand_def()
    result = result_def(BlockType)
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"
    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, shape: Sequence[int]):
        super().__init__(operands=[operand],
                         result_types=[self.infer(operand.type, shape)])

    @staticmethod
    def infer(scalar: Attribute, shape: Sequence[int]) -> BlockType:
        if isinstance(scalar, BlockType):
            raise TypeRuleError(f"'splat' takes a scalar, got {type_name(scalar)}")
        return BlockType(shape, scalar)

    def inferred_types(self) -> list[Attribute]:
        return [self.infer(self.operand.type, self.result.type.dims)]


@irdl_op_definition
class ExpandDimsOp(OpWithTypeRule):
    """A size-1 dimension inserted at `axis` (`x[:, None]` is axis 1)."""

    name = "oxcore_block.expand_dims"
    operand = operand_def(BlockType)
    axis = prop_def(IntegerAttr)
    result = result_def(BlockType)
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"
    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, axis: int):
        super().__init__(operands=[operand], properties={"axis": _axis_prop(axis)},
                         result_types=[infer_expand_dims(operand.type, axis)])

    def inferred_types(self) -> list[Attribute]:
        return [infer_expand_dims(self.operand.type, self.axis.value.data)]


@irdl_op_definition
class BroadcastOp(OpWithTypeRule):
    """Size-1 dimensions repeated up to the result's shape."""

    name = "oxcore_block.broadcast"
    operand = operand_def(BlockType)
    result = result_def(BlockType)
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"
    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, shape: Sequence[int]):
        super().__init__(operands=[operand],
                         result_types=[infer_broadcast(operand.type, shape)])

    def inferred_types(self) -> list[Attribute]:
        return [infer_broadcast(self.operand.type, self.result.type.dims)]


@irdl_op_definition
class TransOp(OpWithTypeRule):
    """A 2-D block's rows and columns exchanged (`tl.trans`). No instruction computes
    it: `sink-transposes` rewrites the ops that define its operand, down to the loads'
    pointers and masks, so the code generator sees only transposed addresses."""

    name = "oxcore_block.trans"
    operand = operand_def(BlockType)
    result = result_def(BlockType)
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"
    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue):
        super().__init__(operands=[operand], result_types=[self.infer(operand.type)])

    @staticmethod
    def infer(operand: Attribute) -> BlockType:
        block = _require_block(operand, "'trans' operand")
        if len(block.dims) != 2:
            raise TypeRuleError(f"'trans' takes a 2-D block, got {type_name(block)}")
        return BlockType(block.dims[::-1], block.element_type)

    def inferred_types(self) -> list[Attribute]:
        return [self.infer(self.operand.type)]


@irdl_op_definition
class RowOp(OpWithTypeRule):
    """Row `index` of a 2-D block, as a 1-D block (of a 1-D block: element `index`, a
    scalar): what `split-rows` gives each iteration of the loop it makes over a 2-D
    element-wise computation's rows, for the index, pointer and mask blocks (and
    constants) that computation reads, and the pointer and mask element of a row
    reduction's store."""

    name = "oxcore_block.row"
    operand = operand_def(BlockType)
    index = operand_def(i32)
    result = result_def()
    assembly_format = "$operand `,` $index attr-dict `:` type($operand) `->` type($result)"
    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, index: SSAValue):
        super().__init__(operands=[operand, index], result_types=[self.infer(operand.type)])

    @staticmethod
    def infer(operand: Attribute) -> Attribute:
        block = _require_block(operand, "'row' operand")
        if len(block.dims) not in (1, 2):
            raise TypeRuleError(f"'row' takes a 1-D or 2-D block, got {type_name(block)}")
        return BlockType(block.dims[1:], block.element_type) if len(block.dims) == 2 \
            else block.element_type

    def inferred_types(self) -> list[Attribute]:
        return [self.infer(self.operand.type)]


@irdl_op_definition
class AddPtrOp(OpWithTypeRule):
    """Pointer(s) advanced by element offsets."""

    name = "oxcore_block.addptr"
    T: ClassVar = VarConstraint("T", AnyAttr())
    ptr = operand_def(T)
    offset = operand_def()
    result = result_def(T)
    assembly_format = "$ptr `,` $offset attr-dict `:` type($ptr) `,` type($offset)"
    traits = traits_def(Pure())

    def __init__(self, ptr: SSAValue, offset: SSAValue):
        super().__init__(operands=[ptr, offset],
                         result_types=[infer_addptr(ptr.type, offset.type)])

    def inferred_types(self) -> list[Attribute]:
        return [infer_addptr(self.ptr.type, self.offset.type)]


@irdl_op_definition
class LoadOp(OpWithTypeRule):
    """Elements read through pointers; masked-off lanes read nothing and give `other`
    (zero when absent)."""

    name = "oxcore_block.load"
    T: ClassVar = VarConstraint("T", AnyAttr())
    ptr = operand_def()
    mask = opt_operand_def()
    other = opt_operand_def(T)
    result = result_def(T)
    irdl_options = (AttrSizedOperandSegments(as_property=True), ParsePropInAttrDict())
    assembly_format = ("$ptr (`mask` $mask^)? (`other` $other^)? attr-dict `:` type($ptr) "
                       "(`,` type($mask)^)? `->` type($result)")

    def __init__(self, ptr: SSAValue, mask: SSAValue | None = None,
                 other: SSAValue | None = None):
        result = infer_load(ptr.type, mask and mask.type, other and other.type)
        super().__init__(operands=[ptr, [mask] if mask else [], [other] if other else []],
                         result_types=[result])

    def inferred_types(self) -> list[Attribute]:
        return [infer_load(self.ptr.type, self.mask and self.mask.type,
                           self.other and self.other.type)]


@irdl_op_definition
class StoreOp(OpWithTypeRule):
    """Elements written through pointers; masked-off lanes write nothing."""

    name = "oxcore_block.store"
    ptr = operand_def()
    value = operand_def()
    mask = opt_operand_def()
    irdl_options = (AttrSizedOperandSegments(as_property=True), ParsePropInAttrDict())
    assembly_format = ("$ptr `,` $value (`mask` $mask^)? attr-dict `:` type($ptr) `,` "
                       "type($value) (`,` type($mask)^)?")

    def __init__(self, ptr: SSAValue, value: SSAValue, mask: SSAValue | None = None):
        infer_store(ptr.type, value.type, mask and mask.type)
        super().__init__(operands=[ptr, value, [mask] if mask else []])

    def inferred_types(self) -> list[Attribute]:
        infer_store(self.ptr.type, self.value.type, self.mask and self.mask.type)
        return []


@irdl_op_definition
class DotOp(OpWithTypeRule):
    """acc + a @ b: int8 [M, K] x int8 [K, N] -> int32 [M, N]."""

    name = "oxcore_block.dot"
    T: ClassVar = VarConstraint("T", BaseAttr(BlockType))
    a = operand_def(BlockType)
    b = operand_def(BlockType)
    acc = operand_def(T)
    result = result_def(T)
    assembly_format = ("$a `,` $b `,` $acc attr-dict `:` type($a) `,` type($b) `->` "
                       "type($result)")
    traits = traits_def(Pure())

    def __init__(self, a: SSAValue, b: SSAValue, acc: SSAValue):
        super().__init__(operands=[a, b, acc],
                         result_types=[infer_dot(a.type, b.type, acc.type)])

    def inferred_types(self) -> list[Attribute]:
        return [infer_dot(self.a.type, self.b.type, self.acc.type)]


class ElementwiseBinaryOp(OpWithTypeRule):
    """Base of the element-wise integer ops: two blocks of one type, result alike.
    Signedness comes from the element type (ui8 divides, shifts and compares unsigned)."""

    T: ClassVar = VarConstraint("T", BaseAttr(BlockType))
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(T)
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($result)"
    traits = traits_def(Pure())
    #: The element types the op accepts (logical ops also take i1 masks).
    ACCEPTS: ClassVar[tuple[IntegerType, ...]] = NUMBER_TYPES

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs], result_types=[self.infer(lhs.type, rhs.type)])

    @classmethod
    def infer(cls, lhs: Attribute, rhs: Attribute) -> Attribute:
        block = infer_same_shape(lhs, rhs, cls.name.split(".")[1])
        if block.element_type not in cls.ACCEPTS:
            raise TypeRuleError(f"'{cls.name.split('.')[1]}' does not take "
                                f"{type_name(block.element_type)} operands")
        return block

    def inferred_types(self) -> list[Attribute]:
        return [self.infer(self.lhs.type, self.rhs.type)]


def _binary(op_name: str, doc: str, accepts: tuple[IntegerType, ...] = NUMBER_TYPES
            ) -> type[ElementwiseBinaryOp]:
    cls = type(f"{op_name.title()}Op", (ElementwiseBinaryOp,),
               {"name": f"oxcore_block.{op_name}", "__doc__": doc, "ACCEPTS": accepts,
                "__module__": __name__, "__annotations__": {"ACCEPTS": "ClassVar"}})
    return irdl_op_definition(cls)


AddOp = _binary("add", "Element-wise sum, wrapping.")
SubOp = _binary("sub", "Element-wise difference, wrapping.")
MulOp = _binary("mul", "Element-wise product, wrapping.")
DivOp = _binary("div", "Element-wise quotient, rounded toward zero (C and Triton, not Python).")
RemOp = _binary("rem", "Element-wise remainder with the dividend's sign (C and Triton).")
AndOp = _binary("and", "Element-wise bitwise and (logical on i1 masks).", ELEMENT_TYPES)
OrOp = _binary("or", "Element-wise bitwise or (logical on i1 masks).", ELEMENT_TYPES)
XorOp = _binary("xor", "Element-wise bitwise xor (logical on i1 masks).", ELEMENT_TYPES)
ShlOp = _binary("shl", "Element-wise shift left.")
ShrOp = _binary("shr", "Element-wise shift right: arithmetic, logical for ui8.")
MaxOp = _binary("max", "Element-wise maximum.")
MinOp = _binary("min", "Element-wise minimum.")

BINARY_OPS: dict[str, type[ElementwiseBinaryOp]] = {
    cls.name.split(".")[1]: cls
    for cls in (AddOp, SubOp, MulOp, DivOp, RemOp, AndOp, OrOp, XorOp, ShlOp, ShrOp,
                MaxOp, MinOp)}

COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")

#: The scalar (arith) op of each element-wise kind and comparison: what a binary op or
#: comparison of two scalars is (the front end), and one element of a block's (a
#: row's scalar in `split-rows`). Signed: uint8 exists in blocks only.
SCALAR_BINARY_OPS: dict[str, type[Operation]] = {
    "add": arith.AddiOp, "sub": arith.SubiOp, "mul": arith.MuliOp, "div": arith.DivSIOp,
    "rem": arith.RemSIOp, "and": arith.AndIOp, "or": arith.OrIOp, "xor": arith.XOrIOp,
    "shl": arith.ShLIOp, "shr": arith.ShRSIOp, "max": arith.MaxSIOp, "min": arith.MinSIOp}
SCALAR_PREDICATES = {"eq": "eq", "ne": "ne", "lt": "slt", "le": "sle", "gt": "sgt",
                     "ge": "sge"}


@irdl_op_definition
class CmpOp(OpWithTypeRule):
    """Element-wise comparison giving an i1 block (unsigned for ui8)."""

    name = "oxcore_block.cmp"
    predicate = prop_def(StringAttr)
    T: ClassVar = VarConstraint("T", BaseAttr(BlockType))
    lhs = operand_def(T)
    rhs = operand_def(T)
    result = result_def(BlockType)
    assembly_format = "$lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)"
    traits = traits_def(Pure())

    def __init__(self, predicate: str, lhs: SSAValue, rhs: SSAValue):
        super().__init__(operands=[lhs, rhs],
                         properties={"predicate": StringAttr(predicate)},
                         result_types=[self.infer(predicate, lhs.type, rhs.type)])

    @staticmethod
    def infer(predicate: str, lhs: Attribute, rhs: Attribute) -> BlockType:
        if predicate not in COMPARISONS:
            raise TypeRuleError(f"unknown comparison '{predicate}'")
        return infer_same_shape(lhs, rhs, "cmp").with_element(i1)

    def inferred_types(self) -> list[Attribute]:
        return [self.infer(self.predicate.data, self.lhs.type, self.rhs.type)]


@irdl_op_definition
class SelectOp(OpWithTypeRule):
    """Element-wise `condition ? if_true : if_false`."""

    name = "oxcore_block.select"
    T: ClassVar = VarConstraint("T", BaseAttr(BlockType))
    condition = operand_def(BlockType)
    if_true = operand_def(T)
    if_false = operand_def(T)
    result = result_def(T)
    assembly_format = ("$condition `,` $if_true `,` $if_false attr-dict `:` type($condition) "
                       "`,` type($result)")
    traits = traits_def(Pure())

    def __init__(self, condition: SSAValue, if_true: SSAValue, if_false: SSAValue):
        super().__init__(operands=[condition, if_true, if_false],
                         result_types=[self.infer(condition.type, if_true.type,
                                                  if_false.type)])

    @staticmethod
    def infer(condition: Attribute, if_true: Attribute, if_false: Attribute) -> BlockType:
        values = infer_same_shape(if_true, if_false, "where")
        block = _require_block(condition, "'where' condition")
        if block.element_type != i1 or block.dims != values.dims:
            raise TypeRuleError(f"'where' condition must be i1 of shape "
                                f"{shape_text(values.dims)}, got {type_name(block)}")
        return values

    def inferred_types(self) -> list[Attribute]:
        return [self.infer(self.condition.type, self.if_true.type, self.if_false.type)]


REDUCTIONS = ("sum", "max", "min")


@irdl_op_definition
class ReduceOp(OpWithTypeRule):
    """Sum (wrapping) or maximum along one axis."""

    name = "oxcore_block.reduce"
    kind = prop_def(StringAttr)
    axis = prop_def(IntegerAttr)
    operand = operand_def(BlockType)
    result = result_def()
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"
    traits = traits_def(Pure())

    def __init__(self, kind: str, operand: SSAValue, axis: int):
        super().__init__(operands=[operand],
                         properties={"kind": StringAttr(kind), "axis": _axis_prop(axis)},
                         result_types=[self.infer(kind, operand.type, axis)])

    @staticmethod
    def infer(kind: str, operand: Attribute, axis: int) -> Attribute:
        if kind not in REDUCTIONS:
            raise TypeRuleError(f"unknown reduction '{kind}'")
        return infer_reduce(operand, axis, kind)

    def inferred_types(self) -> list[Attribute]:
        return [self.infer(self.kind.data, self.operand.type, self.axis.value.data)]


@irdl_op_definition
class CastOp(OpWithTypeRule):
    """Element type conversion: widening sign-extends i8/i16 and zero-extends ui8 and
    i1 masks (true is 1); narrowing keeps the low bits, as C does."""

    name = "oxcore_block.cast"
    operand = operand_def(BlockType)
    result = result_def(BlockType)
    assembly_format = "$operand attr-dict `:` type($operand) `->` type($result)"
    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, element_type: IntegerType):
        super().__init__(operands=[operand],
                         result_types=[infer_cast(operand.type, element_type)])

    def inferred_types(self) -> list[Attribute]:
        return [infer_cast(self.operand.type, self.result.type.element_type)]


@irdl_op_definition
class RequantizeOp(OpWithTypeRule):
    """int32 accumulators to int8 by tst.b's fixed-point chain (docs/tensor.md):
    sat8(sat32(roundoff(sat32(roundoff(x * multiplier, 31)), shift) + zero_point)),
    every rounding by `rounding` (vxrm's encoding). `activation` "relu" means the input
    was max(x, 0) (`fuse-requantize-relu` folded it in; the store's clamp does it)."""

    name = "oxcore_block.requantize"
    operand = operand_def(BlockType)
    multiplier = operand_def(i32)
    shift = operand_def(i32)
    zero_point = operand_def(i32)
    rounding = prop_def(IntegerAttr)
    activation = prop_def(StringAttr)
    result = result_def(BlockType)
    assembly_format = ("$operand `,` $multiplier `,` $shift `,` $zero_point attr-dict `:` "
                       "type($operand) `->` type($result)")
    traits = traits_def(Pure())

    def __init__(self, operand: SSAValue, multiplier: SSAValue, shift: SSAValue,
                 zero_point: SSAValue, rounding: int, activation: str = "none"):
        scalars = [multiplier.type, shift.type, zero_point.type]
        super().__init__(operands=[operand, multiplier, shift, zero_point],
                         properties={"rounding": IntegerAttr(rounding, i32),
                                     "activation": StringAttr(activation)},
                         result_types=[infer_requantize(operand.type, scalars, rounding,
                                                        activation)])

    def inferred_types(self) -> list[Attribute]:
        scalars = [self.multiplier.type, self.shift.type, self.zero_point.type]
        return [infer_requantize(self.operand.type, scalars, self.rounding.value.data,
                                 self.activation.data)]


OxCoreBlock = Dialect(
    "oxcore_block",
    [ProgramIdOp, NumProgramsOp, ArangeOp, ConstantOp, SplatOp, ExpandDimsOp, BroadcastOp,
     TransOp, RowOp, AddPtrOp, LoadOp, StoreOp, DotOp, *BINARY_OPS.values(), CmpOp,
     SelectOp, ReduceOp, CastOp, RequantizeOp],
    [PointerType, BlockType],
)


def broadcast_source(value: SSAValue, axis: int
                     ) -> tuple[SSAValue, list[Operation]] | None:
    """(x, the expand_dims and broadcast ops) when `value` is a 1-D x with a size-1
    dimension inserted at `axis` (``x[None, :]`` for 0, ``x[:, None]`` for 1), broadcast
    to a 2-D shape or not."""
    ops: list[Operation] = []
    owner = value.owner
    if isinstance(owner, BroadcastOp):
        ops.append(owner)
        owner = owner.operand.owner
    if not isinstance(owner, ExpandDimsOp) or owner.axis.value.data != axis or len(
            owner.operand.type.dims) != 1:
        return None
    return owner.operand, [owner, *ops]


def writes_memory(op: Operation) -> bool:
    """A store, or an op whose regions hold one."""
    return any(isinstance(inner, StoreOp) for inner in op.walk())


def touches_memory(op: Operation) -> bool:
    """A load or a store, or an op whose regions hold one."""
    return any(isinstance(inner, (LoadOp, StoreOp)) for inner in op.walk())


def op_location(op: Operation) -> tuple[str, int, int] | None:
    """(file, line, column) of the source an op came from, if the front end recorded it."""
    from xdsl.dialects.builtin import FileLineColLoc
    loc = op.location
    if isinstance(loc, FileLineColLoc):
        return loc.filename.data, loc.line.data, loc.column.data
    return None


def erase_if_unused(value: SSAValue, erase: Callable[[Operation], None]) -> None:
    """Erase `value`'s op with `erase` (a rewriter's) if nothing uses its results, then
    its operands' ops likewise: what a rewrite leaves dead (the bias row's broadcast,
    expand_dims and 1-D load once the accumulator took it; an untransposed load). Only
    loads and pure ops: nothing that writes memory or holds a region."""
    owner = value.owner
    if not isinstance(owner, Operation) or owner.regions or not owner.results \
            or owner.parent is None:
        return
    if not (isinstance(owner, LoadOp) or owner.has_trait(Pure)):
        return
    if any(list(result.uses) for result in owner.results):
        return
    operands = list(owner.operands)
    erase(owner)
    for operand in operands:
        erase_if_unused(operand, erase)
