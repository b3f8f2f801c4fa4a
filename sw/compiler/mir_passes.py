"""Passes over machine IR before register allocation, each doing one thing.

Instruction selection emits scalar address and bound arithmetic right where each tile
operation needs it, which is simple and correct but leaves dead intermediate values
and recomputes loop-invariant values on every iteration. The scalar core must stay
ahead of the engines (it feeds their queues), so these small classic passes matter:
`eliminate_dead_code` and `hoist_loop_invariants` (LICM).
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

from oxcore.errors import OxCoreError
from oxcore.isa import FULL_ISA
from sw.compiler.mir import MFunction, MInstr, PReg, VReg

#: Assembler pseudo-instructions that only compute a register from registers.
_PURE_PSEUDOS = {"li", "la", "mv", "neg", "not", "seqz", "snez"}


def is_pure(ins: MInstr) -> bool:
    """Computes its x register result from its operands and nothing else: no memory,
    CSR, control flow or engine effect (so it may be removed or moved)."""
    if ins.mnemonic in _PURE_PSEUDOS:
        return True
    row = FULL_ISA.by_mnemonic.get(ins.mnemonic)
    if row is None or row.engine != "scalar" or row.memory is not None or row.flow is not None:
        return False
    if any(f.kind.name == "csr" for f in row.operands) or ins.mnemonic in ("ecall", "ebreak"):
        return False
    return bool(row.writes.get("x"))


def eliminate_dead_code(fn: MFunction) -> int:
    """Remove pure instructions whose results nobody reads, until none is left; returns
    how many were removed."""
    removed = 0
    while True:
        used = {id(reg) for ins in fn.instructions() for reg in ins.uses()
                if isinstance(reg, VReg)}
        count = 0
        for block in fn.blocks:
            keep = []
            for ins in block.instrs:
                defs = ins.defs()
                dead = is_pure(ins) and defs and all(
                    isinstance(d, VReg) and id(d) not in used for d in defs)
                if dead:
                    count += 1
                else:
                    keep.append(ins)
            block.instrs = keep
        removed += count
        if count == 0:
            return removed


def loops(fn: MFunction) -> list[tuple[int, int]]:
    """(header, latch) block indices of every loop: a branch back to an earlier (or the
    same) block in layout order. Selection lays loops out contiguously, so the loop is
    blocks header..latch; cold blocks after the function's end that jump back into it
    belong to it too, which `loop_blocks` accounts for."""
    index = {block.label: i for i, block in enumerate(fn.blocks)}
    loops = []
    for i, block in enumerate(fn.blocks):
        for ins in block.instrs:
            for target in ins.targets():
                j = index.get(target)
                if j is not None and j <= i and ins.is_branch and ins.mnemonic != "j":
                    loops.append((j, i))
    return sorted(loops, key=lambda loop: loop[1] - loop[0])  # innermost first


def loop_blocks(fn: MFunction, header: int, latch: int) -> set[int]:
    """Blocks of the loop: header..latch, plus out-of-line blocks reached from them that
    jump back into them."""
    blocks = set(range(header, latch + 1))
    index = {block.label: i for i, block in enumerate(fn.blocks)}
    changed = True
    while changed:
        changed = False
        for i in list(blocks):
            for ins in fn.blocks[i].instrs:
                for target in ins.targets():
                    j = index.get(target)
                    if j is not None and j > latch and j not in blocks:
                        blocks.add(j)
                        changed = True
    return blocks


def hoist_loop_invariants(fn: MFunction) -> int:
    """Move pure instructions whose operands are all defined outside a loop (or by
    instructions already hoisted) to the end of the block before the loop's header
    (before its final branch: the loop's guard; they are pure, so running them when
    the loop does not run is harmless). Only registers defined exactly once qualify,
    so a loop-carried register (redefined at the end of the body) is never hoisted
    across its update. The loop over a launch's programs is left alone: hoisting out
    of it saves a few scalar cycles per program, which the scalar core has while the
    engines work, but holds a register through every program, and a spilled value's
    reload waits for the engines' queued stores. Returns how many instructions moved."""
    definitions = Counter(id(d) for ins in fn.instructions() for d in ins.defs())
    moved = 0
    for header, latch in loops(fn):
        if header == 0 or fn.blocks[header].label == fn.program_loop:
            continue
        body = loop_blocks(fn, header, latch)
        defined_inside = {id(d) for i in body for ins in fn.blocks[i].instrs
                          for d in ins.defs()}
        hoisted: list[MInstr] = []
        for i in sorted(body):
            keep = []
            for ins in fn.blocks[i].instrs:
                if _invariant(ins, defined_inside, definitions):
                    hoisted.append(ins)
                    for d in ins.defs():
                        defined_inside.discard(id(d))
                else:
                    keep.append(ins)
            fn.blocks[i].instrs = keep
        if hoisted:
            pre = fn.blocks[header - 1].instrs
            at = len(pre) - 1 if pre and pre[-1].is_branch else len(pre)
            pre[at:at] = hoisted
            moved += len(hoisted)
    return moved


def loop_depths(fn: MFunction) -> list[int]:
    """How many loops contain each block (0: straight-line code)."""
    depth = [0] * len(fn.blocks)
    for header, latch in loops(fn):
        for i in loop_blocks(fn, header, latch):
            depth[i] += 1
    return depth


def _invariant(ins: MInstr, defined_inside: set[int], definitions: Counter) -> bool:
    if not is_pure(ins) or ins.mnemonic == "li":  # a constant costs one instruction where
        return False  # it is used; hoisted, it would hold a register across the loop
    defs = ins.defs()
    if len(defs) != 1 or not isinstance(defs[0], VReg) or definitions[id(defs[0])] != 1:
        return False
    return all(isinstance(u, PReg) or id(u) not in defined_inside for u in ins.uses())


#: The machine-IR passes in order, as (name, pass) for --print-ir-after-all.
MIR_PIPELINE: tuple[tuple[str, Callable[[MFunction], int]], ...] = (
    ("eliminate-dead-code", eliminate_dead_code),
    ("hoist-loop-invariants", hoist_loop_invariants),
)


def check_defined_before_use(fn: MFunction) -> None:
    """Raise an internal error if a virtual register is read on a path from the entry
    that never wrote it. Selection's memoised values (computed once, shared by later
    code) must dominate their uses; a value computed on one side of a branch (an `if`,
    an empty tile's path, a prefetch's guard) and read after the join is a miscompile
    the register allocator cannot see, since its liveness is per block and a block may
    branch out in its middle. Forward dataflow over instructions: the registers
    written on every path to each one (bit sets)."""
    instrs = [ins for block in fn.blocks for ins in block.instrs]
    start: dict[str, int] = {}
    at = 0
    for block in fn.blocks:
        start[block.label.name] = at
        at += len(block.instrs)
    bit: dict[int, int] = {}
    for ins in instrs:
        for reg in ins.defs() + ins.uses():
            if isinstance(reg, VReg):
                bit.setdefault(id(reg), 1 << len(bit))
    writes = [sum({bit[id(r)] for r in ins.defs() if isinstance(r, VReg)}) for ins in instrs]
    preds: list[list[int]] = [[] for _ in instrs]
    for i, ins in enumerate(instrs):
        targets = [start[t.name] for t in ins.targets()] if ins.is_branch else []
        falls = not (ins.is_branch and ins.mnemonic in ("j", "ret"))
        for j in targets + ([i + 1] if falls else []):
            if j < len(instrs):
                preds[j].append(i)
    everything = (1 << len(bit)) - 1
    defined = [everything] * len(instrs)  # written on every path to instruction i
    if instrs:
        defined[0] = 0
    changed = True
    while changed:
        changed = False
        for i in range(1, len(instrs)):
            new = everything
            for p in preds[i]:
                new &= defined[p] | writes[p]
            if not preds[i]:  # unreachable: nothing to check
                new = everything
            if new != defined[i]:
                defined[i], changed = new, True
    for i, ins in enumerate(instrs):
        for reg in ins.uses():
            if isinstance(reg, VReg) and not defined[i] & bit[id(reg)]:
                raise OxCoreError(f"internal compiler error: in {fn.name}, `{ins.text()}` "
                                  f"reads {reg} on a path that never wrote it (please "
                                  f"report it with the kernel)")
