"""Assembly emission of a long function: a conditional branch to a block beyond its
+-4 KiB reach becomes the opposite branch over a `j` (a near one stays as it is); the
result assembles and runs on the interpreter, both ways, with the values worked out
by hand."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cosim.iss import Interpreter
from oxcore.abi import SYS_EXIT
from oxcore.config import PRESETS
from oxcore.program import load_program
from sw.asm.assembler import assemble_source
from sw.asm.driver import render
from sw.compiler.emit import assembly
from sw.compiler.mir import Label, MBlock, MFunction, MInstr, PReg

A0, A1 = PReg("x", 10), PReg("x", 11)


def long_function(body: int) -> MFunction:
    """a1 = 0; if a0 == 0 go to `far` (a1 = 99) past `body` addi's (a1 += 1), return."""
    fn = MFunction("long")
    far = MBlock(Label(".Llong_far"))
    entry = MBlock(Label(".Llong_entry"), [MInstr("li", [A1, 0]),
                                           MInstr("beqz", [A0, far.label])])
    entry.instrs += [MInstr("addi", [A1, A1, 1]) for _ in range(body)] + [MInstr("ret", [])]
    far.instrs = [MInstr("li", [A1, 99]), MInstr("ret", [])]
    fn.blocks = [entry, far]
    return fn


def run(fn: MFunction, a0: int, tmp_path: Path) -> int:
    """Call `fn` with a0, exit with its a1."""
    config = PRESETS["default"]
    source = "\n".join(["    .text", "    .globl _start", "_start:",
                        f"    li sp, {config.mem_base + config.mem_size}", f"    li a0, {a0}",
                        f"    call {fn.name}", "    mv a0, a1", f"    li a7, {SYS_EXIT}",
                        "    ecall", ""]) + assembly(fn)
    elf = tmp_path / "long.elf"
    elf.write_bytes(render(assemble_source(source, "long.S", config), "elf", config))
    stop = Interpreter(config, load_program(elf, config), stdout=io.BytesIO(),
                       stderr=io.BytesIO()).run(100_000)
    assert stop.trap is None
    return stop.exit_code


@pytest.mark.parametrize("a0, expected", [(0, 99), (1, 1100 % 256)])
def test_a_far_branch_goes_over_a_jump(a0: int, expected: int, tmp_path: Path) -> None:
    fn = long_function(1100)  # 4.4 KB between the branch and its target
    text = assembly(fn)
    assert "bnez a0, .Llong_entry_near1" in text and "j .Llong_far" in text
    assert run(fn, a0, tmp_path) & 0xFF == expected


def test_a_near_branch_stays(tmp_path: Path) -> None:
    fn = long_function(900)  # 3.6 KB: in reach
    text = assembly(fn)
    assert "beqz a0, .Llong_far" in text and "_near" not in text
    assert run(fn, 0, tmp_path) == 99
