"""Assembly text of an allocated machine function, for our assembler (`sw.asm`).

The output is one global function in ``.text``: its symbol, then each block's label and
instructions as `MInstr.text` prints them (real instructions, and the pseudo-instructions
of `sw.compiler.mir.PSEUDOS`, which `sw.asm` expands). Only a function whose operands are
all physical registers can be printed: a virtual register left means register
allocation did not run. A ``mv`` whose two registers allocation made the same is left
out.
"""

from __future__ import annotations

from oxcore.errors import OxCoreError
from sw.compiler.mir import MFunction, VReg


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
    for block in fn.blocks:
        lines.append(f"{block.label}:")
        lines.extend(f"    {ins.text()}" for ins in block.instrs if not _self_move(ins))
    return "\n".join(lines) + "\n"


def _self_move(ins) -> bool:
    return ins.mnemonic == "mv" and len(ins.operands) == 2 and \
        ins.operands[0] == ins.operands[1]
