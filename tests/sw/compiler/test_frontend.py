"""The front end's IR for representative kernels, checked on the IR objects: which ops,
with which shapes and element types."""

from __future__ import annotations

from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import i1, i32

from sw.compiler import dialect as ob
from sw.compiler import language as tl
from sw.compiler.frontend import build_kernel_ir
from sw.compiler.signature import parse_signature
from sw.compiler.dialect import BlockType, PointerType, i8, i16
from tests.sw.compiler import kernels
from tests.sw.compiler.conftest import ops_named


def block(shape, element) -> BlockType:
    return BlockType(shape, element)


def test_vector_add_masked_loads_and_store(compiled) -> None:
    module = compiled("vector_add")
    (function,) = ops_named(module, "func.func")
    assert function.sym_name.data == "vector_add"
    assert list(function.function_type.inputs) == [PointerType(i8)] * 3 + [i32]
    (arange,) = ops_named(module, "oxcore_block.arange")
    assert arange.result.type == block((64,), i32)
    (mask,) = ops_named(module, "oxcore_block.cmp")
    assert mask.predicate.data == "lt" and mask.result.type == block((64,), i1)
    loads = ops_named(module, "oxcore_block.load")
    assert [load.result.type for load in loads] == [block((64,), i8)] * 2
    assert all(load.mask is mask.result and load.other is None for load in loads)
    offsets, add = ops_named(module, "oxcore_block.add")
    assert offsets.result.type == block((64,), i32) and add.result.type == block((64,), i8)
    assert add.lhs is loads[0].result and add.rhs is loads[1].result
    (store,) = ops_named(module, "oxcore_block.store")
    assert store.value is add.result and store.mask is mask.result
    assert store.ptr.type == block((64,), PointerType(i8))


def test_gemm_k_loop_carries_accumulator_and_pointers(compiled) -> None:
    module = compiled("gemm")
    assert [op.axis.value.data for op in ops_named(module, "oxcore_block.program_id")] == [0, 1]
    (loop,) = ops_named(module, "scf.for")
    assert isinstance(loop, scf.ForOp)
    accumulator = block((8, 16), i32)
    assert [r.type for r in loop.results] == [accumulator, block((8, 32), PointerType(i8)),
                                              block((32, 16), PointerType(i8))]
    assert loop.ub is module.body.block.first_op.body.block.args[5]  # K
    (dot,) = ops_named(module, "oxcore_block.dot")
    assert dot.parent_op() is loop
    assert dot.a.type == block((8, 32), i8) and dot.b.type == block((32, 16), i8)
    assert dot.acc is loop.body.block.args[1] and dot.result.type == accumulator
    (zeros,) = [op for op in ops_named(module, "oxcore_block.constant")
                if op.result.type == accumulator]
    assert loop.iter_args[0] is zeros.result and zeros.value.value.data == 0
    a_load, b_load = ops_named(module, "oxcore_block.load")
    assert a_load.other is not None and a_load.mask.type == block((8, 32), i1)
    (store,) = ops_named(module, "oxcore_block.store")
    assert store.value is loop.results[0]
    assert store.ptr.type == block((8, 16), PointerType(i32))


def test_row_sum_reduces_to_a_scalar(compiled) -> None:
    module = compiled("row_sum")
    (cast,) = ops_named(module, "oxcore_block.cast")
    assert cast.operand.type == block((64,), i8) and cast.result.type == block((64,), i32)
    (reduce,) = ops_named(module, "oxcore_block.reduce")
    assert reduce.kind.data == "sum" and reduce.axis.value.data == 0
    assert reduce.result.type == i32
    (store,) = ops_named(module, "oxcore_block.store")
    assert store.value is reduce.result and store.ptr.type == PointerType(i32)


def test_relu_where_and_maximum_keep_the_dtype(compiled) -> None:
    module = compiled("relu")
    (select,) = ops_named(module, "oxcore_block.select")
    assert select.result.type == block((128,), i16)
    assert select.condition.owner.predicate.data == "gt"
    (maximum,) = ops_named(module, "oxcore_block.max")
    assert maximum.lhs is select.result and maximum.result.type == block((128,), i16)
    zeros = {op.result for op in ops_named(module, "oxcore_block.constant")}
    assert select.if_false in zeros and maximum.rhs in zeros  # literals took i16


def test_every_op_carries_its_source_line(front_end) -> None:
    module = front_end("vector_add")
    path = kernels.__file__
    lines = {ob.op_location(op)[1] for op in module.walk()
             if not isinstance(op, (func.FuncOp,)) and op.name != "builtin.module"}
    assert all(ob.op_location(op)[0] == path for op in ops_named(module, "oxcore_block.load"))
    source = open(path).read().splitlines()
    (store,) = ops_named(module, "oxcore_block.store")
    assert "tl.store(out_ptr + offsets" in source[ob.op_location(store)[1] - 1]
    assert min(lines) > 1


def test_constexpr_arithmetic_is_folded_by_the_front_end(front_end) -> None:
    module = front_end("gemm")
    # `b_ptrs += BLOCK_K * stride_bk`: BLOCK_K is a number here, one muli with a constant
    constants = {op.value.value.data for op in ops_named(module, "arith.constant")}
    assert 32 in constants
    assert not ops_named(module, "arith.addi")  # no runtime arithmetic on constexprs


def test_runtime_if_yields_the_reassigned_variables() -> None:
    @tl.kernel
    def clamp(x_ptr, n, limit, BLOCK: tl.constexpr):
        offsets = tl.arange(0, BLOCK)
        x = tl.load(x_ptr + offsets, mask=offsets < n, other=0)
        if limit > 0:
            x = tl.minimum(x, limit)
        else:
            x = x * 2
        if BLOCK > 1024:  # constexpr: no scf.if
            x = x + 1
        tl.store(x_ptr + offsets, x, mask=offsets < n)

    module = build_kernel_ir(clamp, parse_signature("x_ptr:*i32,n:i32,limit:i32,BLOCK=32"))
    (branch,) = ops_named(module, "scf.if")
    assert isinstance(branch, scf.IfOp)
    assert [r.type for r in branch.output] == [block((32,), i32)]
    assert isinstance(branch.cond.owner, arith.CmpiOp)
    (store,) = ops_named(module, "oxcore_block.store")
    assert store.value is branch.output[0]
    assert not ops_named(module, "oxcore_block.add")


def test_static_range_unrolls_and_zeros_of_no_shape_is_a_scalar() -> None:
    """tl.static_range(KH) copies the body KH times with the index a constexpr (no
    scf.for: the running maximum is a plain value); tl.zeros((), int32) is a runtime
    scalar a runtime loop may carry."""
    @tl.kernel
    def window_max(x_ptr, out_ptr, n, KH: tl.constexpr, BLOCK: tl.constexpr):
        offsets = tl.arange(0, BLOCK)
        biggest = tl.load(x_ptr + offsets)
        for k in tl.static_range(1, KH):
            biggest = tl.maximum(biggest, tl.load(x_ptr + k * BLOCK + offsets))
        total = tl.zeros((), dtype=tl.int32)
        for i in range(0, n, 1):
            total += i
        tl.store(out_ptr + offsets, biggest + total)

    module = build_kernel_ir(window_max,
                             parse_signature("x_ptr:*i32,out_ptr:*i32,n:i32,KH=3,BLOCK=16"))
    assert len(ops_named(module, "oxcore_block.load")) == 3
    assert len(ops_named(module, "oxcore_block.max")) == 2
    (loop,) = ops_named(module, "scf.for")
    assert [r.type for r in loop.results] == [i32]
