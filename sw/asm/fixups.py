"""Work left for pass 2: operands and data values to evaluate once addresses are final."""

from __future__ import annotations

from dataclasses import dataclass

from oxcore.isa.pseudo import Step
from sw.asm.expr import Expr
from sw.asm.lexer import Location
from sw.asm.operands import Operand


@dataclass
class InsnFixup:
    """An instruction (or pseudo-instruction expansion) to encode in pass 2."""

    section: str
    offset: int
    steps: tuple[Step, ...]
    values: dict[str, Operand]
    cols: dict[str, int]
    loc: Location
    col: int  # the mnemonic
    mnemonic: str  # as written, for messages


@dataclass
class DataFixup:
    """A .word/.byte/... value to evaluate in pass 2."""

    section: str
    offset: int
    size: int
    expr: Expr
    loc: Location
    directive: str
