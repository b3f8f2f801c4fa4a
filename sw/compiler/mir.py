"""Machine IR: OxCore instructions over virtual registers, before register allocation.

Why not xDSL's `riscv` dialect: it defines every RISC-V instruction again as an op
class, which would re-type each opcode outside the ISA table (principle 1) and has no
vector or tile registers. A machine instruction here names its ISA row by mnemonic;
which operands it reads and writes comes from that row (`x` from the semantics, engine
registers from the operand roles), so instruction selection, register allocation, the
scheduler and the assembly printer all read the one description.

An `MFunction` is a list of `MBlock`s (a label and its instructions, falling through to
the next block unless the last instruction jumps). Operands are virtual registers
(`VReg`, one class each: x, v or tile), physical registers (`PReg`), integers, labels
(`Label`) or verbatim text (`Text`: a vtype list, a CSR name, a symbol). `print_mir`
shows the function as assembly with virtual registers (``%x3``, ``%m1``); after
register allocation it is the assembly our assembler takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Iterator

from oxcore.errors import OxCoreError
from oxcore.isa import FULL_ISA, Instruction
from oxcore.isa.regfile import TILE, V, X

#: Register classes: their register files (for names and counts).
CLASSES = {"x": X, "v": V, "m": TILE}


@dataclass(eq=False)
class VReg:
    """A virtual register of class `cls` ("x", "v" or "m"). A vector value may span
    `group` consecutive registers (LMUL); `hint` names it in printed IR."""

    cls: str
    id: int
    hint: str = ""
    group: int = 1

    def __str__(self) -> str:
        return f"%{self.cls}{self.id}" + (f"<{self.hint}>" if self.hint else "")


@dataclass(frozen=True)
class PReg:
    """A physical register: class and number."""

    cls: str
    index: int

    def __str__(self) -> str:
        return CLASSES[self.cls].register_name(self.index)


@dataclass(frozen=True)
class Label:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Text:
    """An operand written verbatim: ``e32, m1, ta, ma``, a CSR name, ``%lo(sym)``."""

    text: str

    def __str__(self) -> str:
        return self.text


Operand = VReg | PReg | Label | Text | int
Reg = VReg | PReg

ZERO = PReg("x", 0)
RA = PReg("x", 1)
SP = PReg("x", 2)

# Pseudo-instructions the assembler expands, with (written, read) operand positions.
PSEUDOS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "li": ((0,), ()),
    "la": ((0,), ()),
    "mv": ((0,), (1,)),
    "neg": ((0,), (1,)),
    "not": ((0,), (1,)),
    "seqz": ((0,), (1,)),
    "snez": ((0,), (1,)),
    "j": ((), ()),
    "ret": ((), ()),
    "csrr": ((0,), ()),
    "csrw": ((), (1,)),
    "csrwi": ((), ()),
    "beqz": ((), (0,)),
    "bnez": ((), (0,)),
    "blez": ((), (0,)),
    "bgez": ((), (0,)),
    "bltz": ((), (0,)),
    "bgtz": ((), (0,)),
    "bgt": ((), (0, 1)),
    "ble": ((), (0, 1)),
    "bgtu": ((), (0, 1)),
    "bleu": ((), (0, 1)),
    "vmv.v.v": ((0,), (1,)),
}

#: Destination operand names of engine instructions (written; read as well when the
#: instruction accumulates, which selection says with `accumulate`).
_ENGINE_DESTINATIONS = ("md", "vd")


@cache
def _operand_roles(mnemonic: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    """(register class per operand position or "", written positions, read positions)."""
    if mnemonic in PSEUDOS:
        writes, reads = PSEUDOS[mnemonic]
        return (), writes, reads
    ins: Instruction | None = FULL_ISA.by_mnemonic.get(mnemonic)
    if ins is None:
        raise OxCoreError(f"machine IR: no instruction {mnemonic!r} in the ISA")
    classes, writes, reads = [], [], []
    x_writes, x_reads = ins.writes.get("x", ()), ins.reads.get("x", ())
    for position, fld in enumerate(ins.operands):
        regfile = fld.kind.register_file
        cls = next((c for c, f in CLASSES.items() if f is regfile), "")
        classes.append(cls)
        if cls == "x":
            if fld.name in x_writes:
                writes.append(position)
            if fld.name in x_reads:
                reads.append(position)
        elif cls:
            (writes if fld.name in _ENGINE_DESTINATIONS else reads).append(position)
    return tuple(classes), tuple(writes), tuple(reads)


@dataclass(eq=False)
class MInstr:
    """One machine instruction. `accumulate`: the destination is also read (tmma,
    vmacc, a masked vector op keeping inactive elements)."""

    mnemonic: str
    operands: list[Operand]
    accumulate: bool = False
    comment: str = ""

    def __post_init__(self) -> None:
        _operand_roles(self.mnemonic)  # unknown mnemonics fail here, at selection

    @property
    def written(self) -> tuple[int, ...]:
        return _operand_roles(self.mnemonic)[1]

    @property
    def read(self) -> tuple[int, ...]:
        writes, reads = _operand_roles(self.mnemonic)[1:]
        return reads + (writes if self.accumulate else ())

    def defs(self) -> list[Reg]:
        return [op for i in self.written if isinstance(op := self.operands[i], (VReg, PReg))]

    def uses(self) -> list[Reg]:
        return [op for i in self.read if isinstance(op := self.operands[i], (VReg, PReg))]

    @property
    def engine(self) -> str:
        ins = FULL_ISA.by_mnemonic.get(self.mnemonic)
        return ins.engine if ins is not None else "scalar"

    @property
    def is_branch(self) -> bool:
        ins = FULL_ISA.by_mnemonic.get(self.mnemonic)
        return self.mnemonic in ("j", "ret", "beqz", "bnez", "blez", "bgez", "bltz", "bgtz",
                                 "bgt", "ble", "bgtu", "bleu") \
            or (ins is not None and ins.flow is not None)

    def targets(self) -> list[Label]:
        return [op for op in self.operands if isinstance(op, Label)]

    def text(self) -> str:
        """The instruction as assembly (virtual registers as %x3 until allocated)."""
        ops = [str(op) for op in self.operands]
        ins = FULL_ISA.by_mnemonic.get(self.mnemonic)
        if ins is not None and len(ops) == len(ins.operands):
            it = iter(ops)
            ops = [slot.render([next(it) for _ in slot.names]) for slot in ins.slots]
        ops = [op for op in ops if op]  # an omitted optional operand (unmasked: Text(""))
        line = f"{self.mnemonic} {', '.join(ops)}" if ops else self.mnemonic
        return line + (f"    # {self.comment}" if self.comment else "")


@dataclass(eq=False)
class MBlock:
    label: Label
    instrs: list[MInstr] = field(default_factory=list)


@dataclass(eq=False)
class MFunction:
    """A kernel's machine code: blocks in layout order, the first is the entry."""

    name: str
    blocks: list[MBlock] = field(default_factory=list)
    # The header of the loop over a launch's programs, whose invariants stay inside
    # (sw.compiler.mir_passes.hoist_loop_invariants says why).
    program_loop: Label | None = None
    _next_id: int = 0
    _next_label: int = 0
    _symbols: set[str] = field(default_factory=set)

    def new_vreg(self, cls: str, hint: str = "", group: int = 1) -> VReg:
        self._next_id += 1
        return VReg(cls, self._next_id, hint, group)

    def new_block(self, hint: str, symbol: str | None = None) -> MBlock:
        """A block with a local label (``.L<function>_<hint><n>``, left out of the ELF),
        or, with `symbol`, a kept one, ``<function>.<symbol>``: the loops of a kernel
        are labelled so (``gemm.programs``, ``gemm.line31``, the kernel line of the
        ``for``), which the co-simulation's loop profile, the disassembler and
        debuggers name code by."""
        self._next_label += 1
        if symbol is None:
            return MBlock(Label(f".L{self.name}_{hint}{self._next_label}"))
        name, suffix = f"{self.name}.{symbol}", 1
        while name in self._symbols:
            suffix += 1
            name = f"{self.name}.{symbol}_{suffix}"
        self._symbols.add(name)
        return MBlock(Label(name))

    def instructions(self) -> Iterator[MInstr]:
        for block in self.blocks:
            yield from block.instrs


def print_mir(fn: MFunction) -> str:
    lines = [f"{fn.name}:"]
    for block in fn.blocks:
        lines.append(f"{block.label}:")
        lines.extend(f"    {ins.text()}" for ins in block.instrs)
    return "\n".join(lines) + "\n"
