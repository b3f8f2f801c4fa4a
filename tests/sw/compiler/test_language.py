"""Language semantics the front end implements: Triton's operand rules (literals take the
other side's type, promotion, splat, broadcast), scalars, casts, reductions, min/max."""

from __future__ import annotations

import pytest
from xdsl.dialects.builtin import i1, i32

from sw.compiler import language as tl
from sw.compiler.dialect import BlockType, PointerType, i8, i16, ui8
from sw.compiler.frontend import build_kernel_ir
from sw.compiler.passes import run_pipeline
from sw.compiler.signature import parse_signature
from tests.sw.compiler.conftest import ops_named

LIMIT = 7  # an integer global: a constexpr


def build(kernel: tl.Kernel, signature: str):
    return run_pipeline(build_kernel_ir(kernel, parse_signature(signature)))


@tl.kernel
def mixed_types(a_ptr, b_ptr, out_ptr, BLOCK: tl.constexpr):
    offsets = tl.arange(0, BLOCK)
    a = tl.load(a_ptr + offsets)            # int8
    b = tl.load(b_ptr + offsets)            # uint8
    tl.store(out_ptr + offsets, (a + b).to(tl.int32))


def test_int8_and_uint8_promote_to_uint8_as_in_triton() -> None:
    module = build(mixed_types, "a_ptr:*i8,b_ptr:*u8,out_ptr:*i32,BLOCK=16")
    casts = ops_named(module, "oxcore_block.cast")
    assert [(c.operand.type, c.result.type) for c in casts] == [
        (BlockType((16,), i8), BlockType((16,), ui8)),
        (BlockType((16,), ui8), BlockType((16,), i32))]
    (add,) = [op for op in ops_named(module, "oxcore_block.add")
              if op.result.type.element_type == ui8]
    assert add.rhs.type == BlockType((16,), ui8)


@tl.kernel
def scalar_math(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    scale = tl.load(x_ptr)                  # a scalar load: i8
    blocks = tl.cdiv(n, BLOCK)
    last = tl.num_programs(0) - 1
    value = (scale.to(tl.int32) * LIMIT + blocks) // 2 % 5 - last
    value = max(value, -value)
    tl.store(out_ptr + tl.arange(0, BLOCK), value)   # splat to the block


def test_scalars_stay_in_arith_and_splat_at_the_store() -> None:
    module = build(scalar_math, "x_ptr:*i8,out_ptr:*i32,n:i32,BLOCK=32")
    (load,) = ops_named(module, "oxcore_block.load")
    assert load.result.type == i8 and load.ptr.type == PointerType(i8)
    names = {op.name for op in module.walk()}
    assert {"arith.extsi", "arith.muli", "arith.divsi", "arith.remsi", "arith.maxsi",
            "oxcore_block.num_programs"} <= names
    (store,) = ops_named(module, "oxcore_block.store")
    assert store.value.owner.name == "oxcore_block.splat"
    assert store.value.type == BlockType((32,), i32)
    assert 7 in {op.value.value.data for op in ops_named(module, "arith.constant")}


@tl.kernel
def two_d_reductions(x_ptr, out_ptr, ROWS: tl.constexpr, COLS: tl.constexpr):
    rows = tl.arange(0, ROWS)
    cols = tl.arange(0, COLS)
    x = tl.load(x_ptr + rows[:, None] * COLS + cols[None, :])
    row_max = tl.max(x, axis=1)
    total = tl.sum(row_max)
    shifted = (x >> 1) << 2 & 0x7F | -x ^ ~x
    tl.store(out_ptr + rows[:, None] * COLS + cols[None, :], shifted)
    tl.store(out_ptr, total)


def test_reductions_drop_their_axis() -> None:
    module = build(two_d_reductions, "x_ptr:*i16,out_ptr:*i16,ROWS=4,COLS=8")
    first, second = ops_named(module, "oxcore_block.reduce")
    assert (first.kind.data, first.axis.value.data) == ("max", 1)
    assert first.result.type == BlockType((4,), i16)
    assert (second.kind.data, second.result.type) == ("sum", i16)
    names = [op.name for op in module.walk()]
    for op in ("shr", "shl", "and", "or", "xor", "sub"):
        assert f"oxcore_block.{op}" in names


@tl.kernel
def where_with_scalar_and_block(x_ptr, out_ptr, threshold, BLOCK: tl.constexpr):
    offsets = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offsets)
    y = tl.where(x > threshold, x, threshold)
    z = tl.minimum(tl.full((BLOCK,), 100, tl.int32), y)
    tl.store(out_ptr + offsets, z, mask=offsets < BLOCK - 1)


def test_where_splats_and_promotes_scalars() -> None:
    module = build(where_with_scalar_and_block, "x_ptr:*i8,out_ptr:*i32,threshold:i32,"
                                                 "BLOCK=64")
    (select,) = ops_named(module, "oxcore_block.select")
    assert select.result.type == BlockType((64,), i32)  # i8 block meets i32 scalar
    assert select.condition.type == BlockType((64,), i1)
    (minimum,) = ops_named(module, "oxcore_block.min")
    assert minimum.result.type == BlockType((64,), i32)


@tl.kernel
def loop_with_runtime_step(x_ptr, n, step, BLOCK: tl.constexpr):
    acc = tl.zeros((BLOCK,), dtype=tl.int32)
    for i in range(n):
        acc += i
    for j in range(0, n, step):
        acc = acc * 2
    tl.store(x_ptr + tl.arange(0, BLOCK), acc)


def test_range_forms() -> None:
    module = build(loop_with_runtime_step, "x_ptr:*i32,n:i32,step:i32,BLOCK=8")
    first, second = ops_named(module, "scf.for")
    assert first.lb.owner.value.value.data == 0 and first.step.owner.value.value.data == 1
    assert second.step is module.body.block.first_op.body.block.args[2]
    assert [r.type for r in first.results] == [BlockType((8,), i32)]


@pytest.mark.parametrize("name", ["program_id", "load", "dot", "sum", "maximum"])
def test_language_functions_refuse_to_run_in_python(name: str) -> None:
    with pytest.raises(TypeError, match=f"tl.{name} can only be used inside an @kernel"):
        getattr(tl, name)(0, 0)


def test_dtypes() -> None:
    assert [(d.bits, d.signed) for d in (tl.int8, tl.int16, tl.int32, tl.uint8)] == [
        (8, True), (16, True), (32, True), (8, False)]


@tl.kernel
def constants_meet_runtime_values(x_ptr, n, BLOCK: tl.constexpr):
    acc = tl.zeros((BLOCK,), tl.int32)
    count = n
    for i in range(n):
        acc = 0        # a literal where the loop carries a block
        count = 3      # ... and a scalar
    if n > 2:
        limit = n
        same = 4
    else:
        limit = 5      # a literal where the other branch has a runtime i32
        same = 4       # the same constexpr in both: stays a constexpr
        only_here = 1  # new in one branch: not visible after the `if`
    tl.store(x_ptr + tl.arange(0, BLOCK), acc + count + limit + same, mask=True)


def test_literals_become_constants_of_the_carried_type() -> None:
    module = build(constants_meet_runtime_values, "x_ptr:*i32,n:i32,BLOCK=8")
    (loop,) = ops_named(module, "scf.for")
    assert [r.type for r in loop.results] == [BlockType((8,), i32), i32]
    (branch,) = ops_named(module, "scf.if")
    assert [r.type for r in branch.output] == [i32]  # only `limit` is merged
    else_yield = branch.false_region.block.last_op
    assert else_yield.operands[0].owner.value.value.data == 5
    (store,) = ops_named(module, "oxcore_block.store")
    assert store.mask.owner.name == "oxcore_block.constant"
    assert store.mask.type == BlockType((8,), i1)
