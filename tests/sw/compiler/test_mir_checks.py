"""`mir_passes.check_defined_before_use`: a virtual register read on a path that never
wrote it is an internal compiler error, also when the write sits after a branch in the
middle of a block (the register allocator's per-block liveness cannot see that)."""

from __future__ import annotations

import pytest

from oxcore.errors import OxCoreError
from sw.compiler.mir_passes import check_defined_before_use
from tests.sw.compiler.test_regalloc import A0, Builder


def test_a_value_written_after_a_mid_block_branch_and_read_at_its_target() -> None:
    """entry: beqz a0, join; t = a0 + 1 (skipped when a0 = 0); join: reads t."""
    b = Builder()
    join = b.fn.new_block("join")
    b("beqz", A0, join.label)
    t = b.x("addi", A0, 1)
    b.fn.blocks.append(join)
    b.block = join
    b.x("addi", t, 2)
    b("ret")
    with pytest.raises(OxCoreError, match=r"internal compiler error: in kernel, `addi %x\d+, "
                       r"%x\d+, 2` reads %x\d+ on a path that never wrote it"):
        check_defined_before_use(b.fn)


def test_values_written_on_every_path_and_around_a_loop_pass() -> None:
    """Written on both sides of a branch, and a loop counter written before the loop
    and at its end (read at the head, reached from both)."""
    b = Builder()
    v = b.fn.new_vreg("x")
    other = b.fn.new_block("other")
    join = b.fn.new_block("join")
    b("beqz", A0, other.label)
    b("li", v, 1)
    b("j", join.label)
    b.fn.blocks.append(other)
    b.block = other
    b("li", v, 2)
    b.fn.blocks.append(join)
    b.block = join
    i = b.x("li", 0)
    head = b.new_block("head")
    b("addi", i, i, 1)
    b("blt", i, v, head.label)
    b("ret")
    check_defined_before_use(b.fn)


def test_unreachable_code_is_not_checked() -> None:
    b = Builder()
    b("ret")
    b.new_block("dead")
    b.x("addi", b.fn.new_vreg("x"), 1)
    check_defined_before_use(b.fn)
