"""Assembly text of an allocated machine function, for our assembler (`sw.asm`).

The output is one global function in ``.text``: its symbol, then each block's label and
instructions as `MInstr.text` prints them (real instructions, and the pseudo-instructions
of `sw.compiler.mir.PSEUDOS`, which `sw.asm` expands). Only a function whose operands are
all physical registers can be printed: a virtual register left means register
allocation did not run. A ``mv`` whose two registers allocation made the same is left
out. A conditional branch whose target may lie beyond its +-4 KiB reach (a long
unrolled body branching to the out-of-line blocks after it) becomes the opposite
branch over a ``j`` (+-1 MiB); distances are upper bounds, so the rest stay as they are.
"""

from __future__ import annotations

from oxcore.errors import OxCoreError
from sw.compiler.mir import Label, MFunction, MInstr, VReg

#: Each conditional branch and its opposite.
OPPOSITE = {"beq": "bne", "bne": "beq", "blt": "bge", "bge": "blt", "bltu": "bgeu",
            "bgeu": "bltu", "beqz": "bnez", "bnez": "beqz", "blez": "bgtz", "bgtz": "blez",
            "bgez": "bltz", "bltz": "bgez", "bgt": "ble", "ble": "bgt", "bgtu": "bleu",
            "bleu": "bgtu"}
#: Pseudo-instructions that may expand to two instructions (the rest are one).
_TWO_WORDS = {"li", "la", "call", "tail"}
#: How far a conditional branch reaches forward (bytes), less a margin.
_REACH = 4000


def assembly(fn: MFunction) -> str:
    """`fn` as assembly source: ``.text``, ``.globl``, ``.p2align 2``, the code."""
    for block in fn.blocks:
        for ins in block.instrs:
            virtual = [op for op in ins.operands if isinstance(op, VReg)]
            if virtual:
                raise OxCoreError(f"{fn.name}: cannot emit {ins.text()!r} in {block.label}: "
                                  f"{virtual[0]} is a virtual register (allocate registers "
                                  "first)")
    lines = ["    .text", f"    .globl {fn.name}", "    .p2align 2", f"{fn.name}:"]
    far_branches = _far_branches(fn)
    far = 0
    for block in fn.blocks:
        lines.append(f"{block.label}:")
        for ins in block.instrs:
            if _self_move(ins):
                continue
            if id(ins) in far_branches:
                target = ins.operands[-1]
                far += 1
                skip = f"{fn.blocks[0].label}_near{far}"
                opposite = MInstr(OPPOSITE[ins.mnemonic], [*ins.operands[:-1], Label(skip)])
                lines += [f"    {opposite.text()}", f"    j {target}", f"{skip}:"]
            else:
                lines.append(f"    {ins.text()}")
    return "\n".join(lines) + "\n"


def _far_branches(fn: MFunction) -> set[int]:
    """The conditional branches (ids) to make far: those whose target may be out of
    reach, found again with each one made far (8 bytes) until no more are."""
    far: set[int] = set()
    while True:
        at, labels = _positions(fn, far)
        more = {id(ins) for block in fn.blocks for ins in block.instrs
                if ins.mnemonic in OPPOSITE and isinstance(ins.operands[-1], Label)
                and abs(labels[ins.operands[-1].name] - at[id(ins)]) > _REACH} - far
        if not more:
            return far
        far |= more


def _positions(fn: MFunction, far: set[int]) -> tuple[dict[int, int], dict[str, int]]:
    """Upper bounds of each instruction's and label's byte offset: a pseudo-instruction
    counts its longest expansion, a far branch two instructions."""
    at: dict[int, int] = {}
    labels: dict[str, int] = {}
    offset = 0
    for block in fn.blocks:
        labels[block.label.name] = offset
        for ins in block.instrs:
            at[id(ins)] = offset
            offset += 8 if ins.mnemonic in _TWO_WORDS or id(ins) in far else 4
    return at, labels


def _self_move(ins) -> bool:
    return ins.mnemonic == "mv" and len(ins.operands) == 2 and \
        ins.operands[0] == ins.operands[1]
