"""The symbol table: labels, ``.equ``/``.set`` values, numeric local labels.

Labels are (section, offset) in pass 1 and become addresses once sections are placed.
An ``.equ`` whose value is known when it is defined is stored as a value; one that
refers forward keeps its expression (and the location counter at its definition) and
is evaluated when used.

Numeric local labels (``1:``) may be defined many times: each definition gets a
hidden name ``.L1^N`` (N counts definitions), and ``1b``/``1f`` resolve to the
previous/next one when their statement is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sw.asm.expr import Expr, Sym
from sw.asm.lexer import Location, Token

LOCAL_LABEL = re.compile(r"(\d+)([fb])$")


@dataclass
class SymbolDef:
    name: str
    kind: str = "undefined"  # "label", "equ" or "undefined" (only declared so far)
    section: str | None = None  # None: absolute value
    value: int = 0  # offset in `section`, or the absolute value
    expr: Expr | None = None  # an .equ not yet evaluated
    dot: tuple[str, int] | None = None  # location counter at that .equ
    loc: Location | None = None
    col: int = 0
    binding: str = "local"
    type: str = "notype"
    size: tuple[Expr, str, int, Location] | None = None  # .size expr, dot, where
    declared: tuple[Location, int] | None = None  # first .globl/.type, for errors

    @property
    def defined(self) -> bool:
        return self.kind != "undefined"

    @property
    def temporary(self) -> bool:
        """Assembler-local names (``.L...``, numeric labels) stay out of the ELF."""
        return self.name.startswith(".L")


class SymbolTable:
    def __init__(self) -> None:
        self.defs: dict[str, SymbolDef] = {}
        self._local_counts: dict[str, int] = {}

    def get(self, name: str) -> SymbolDef | None:
        return self.defs.get(name)

    def entry(self, name: str) -> SymbolDef:
        """The record for `name`, creating an undefined one."""
        if name not in self.defs:
            self.defs[name] = SymbolDef(name)
        return self.defs[name]

    def define(self, name: str, loc: Location, col: int, *, kind: str,
               redefinable: bool = False) -> SymbolDef:
        """Mark `name` defined here; duplicate definitions are errors (except .set)."""
        sym = self.entry(name)
        if sym.defined and not (redefinable and sym.kind == "equ"):
            where = f" (first defined on line {sym.loc.line})" if sym.loc else ""
            shown = name.split("\x02")[0].removeprefix(".L") if "\x02" in name else name
            raise loc.error(f"symbol '{shown}' is already defined{where}", col)
        sym.kind, sym.loc, sym.col = kind, loc, col
        sym.expr = sym.dot = None
        return sym

    def define_local(self, number: str) -> str:
        """Hidden name for a new definition of numeric label `number`."""
        count = self._local_counts.get(number, 0)
        self._local_counts[number] = count + 1
        return f".L{number}\x02{count}"

    def local_ref(self, tok: Token, loc: Location) -> str:
        """Hidden name that ``1b``/``1f`` in token `tok` refers to at this point."""
        number, direction = LOCAL_LABEL.match(tok.text).groups()
        count = self._local_counts.get(number, 0)
        if direction == "b":
            if count == 0:
                raise loc.error(f"local label '{tok.text}' refers back, but there is no "
                                f"'{number}:' before it", tok.col)
            return f".L{number}\x02{count - 1}"
        return f".L{number}\x02{count}"


def undefined_message(sym: Sym) -> str:
    match = LOCAL_LABEL.match(sym.text)
    if match and match.group(2) == "f":
        return (f"local label '{sym.text}' refers forward, but there is no "
                f"'{match.group(1)}:' after it")
    return f"undefined symbol '{sym.text}'"
