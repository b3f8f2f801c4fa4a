"""Assembler expressions: parsing (GNU/LLVM precedence) and evaluation.

Precedence follows LLVM's GNU-flavoured AsmParser, which differs from C: ``* / % << >>``
bind tightest, then ``| & ^``, then ``+ -`` (so ``1 + 3 << 2`` is 13 and ``2 + 3 & 1``
is 3). Arithmetic is on 64-bit two's-complement values like LLVM's MCExpr: ``/`` and
``%`` truncate toward zero and ``>>`` is a logical shift.

A value is a number plus the section it is relative to (None for an absolute value),
so that ``label - label`` in one section is a constant while ``label * 2`` is an error.
``%hi/%lo/%pcrel_hi/%pcrel_lo`` are part of the grammar with RISC-V semantics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple, Protocol, Union

from oxcore.errors import SourceError
from oxcore.isa.pseudo import hi20, lo12
from sw.asm.lexer import IDENT, LOCALREF, NUMBER, PUNCT, Location, Token

MODIFIERS = ("hi", "lo", "pcrel_hi", "pcrel_lo")


@dataclass(frozen=True)
class Num:
    value: int
    col: int


@dataclass(frozen=True)
class Sym:
    name: str  # internal name (local labels ``1f`` are renamed)
    text: str  # as written, for messages
    col: int


@dataclass(frozen=True)
class Dot:
    """``.``: the address of the current statement."""

    col: int


@dataclass(frozen=True)
class Unary:
    op: str
    operand: "Expr"
    col: int


@dataclass(frozen=True)
class Binary:
    op: str
    left: "Expr"
    right: "Expr"
    col: int


@dataclass(frozen=True)
class Modifier:
    name: str  # one of MODIFIERS
    operand: "Expr"
    col: int


Expr = Union[Num, Sym, Dot, Unary, Binary, Modifier]

MAX_NODES = 400  # bounds recursion when parsing and evaluating (Python's stack is finite)
_PRECEDENCE = {"+": 1, "-": 1, "|": 2, "&": 2, "^": 2, "*": 3, "/": 3, "%": 3, "<<": 3,
               ">>": 3}


class Parser:
    """Recursive-descent parser over one operand's tokens."""

    def __init__(self, tokens: list[Token], loc: Location, end_col: int,
                 local_ref: Callable[[Token], str]):
        self.tokens, self.loc, self.end_col, self.local_ref = tokens, loc, end_col, local_ref
        self.pos = 0
        self.depth = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def error(self, message: str) -> SourceError:
        tok = self.peek()
        return self.loc.error(message, tok.col if tok else self.end_col)

    def expect(self, text: str) -> Token:
        tok = self.peek()
        if tok is None or tok.kind != PUNCT or tok.text != text:
            found = f"'{tok.text}'" if tok else "end of operand"
            raise self.error(f"expected '{text}', found {found}")
        self.pos += 1
        return tok

    def parse(self) -> Expr:
        """The whole token list as one expression."""
        if not self.tokens:
            raise self.error("expected an expression")
        if len(self.tokens) > MAX_NODES:
            raise self.loc.error(f"expression too long (more than {MAX_NODES} tokens)",
                                 self.tokens[0].col)
        expr = self.binary(1)
        if self.peek() is not None:
            raise self.error(f"unexpected '{self.peek().text}' in expression")
        return expr

    def binary(self, level: int) -> Expr:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok is None or tok.kind != PUNCT or _PRECEDENCE.get(tok.text, 0) < level:
                return left
            self.pos += 1
            right = self.binary(_PRECEDENCE[tok.text] + 1)
            left = Binary(tok.text, left, right, tok.col)

    def unary(self) -> Expr:
        tok = self.peek()
        if tok is not None and tok.kind == PUNCT and tok.text in "-~+":
            self.pos += 1
            operand = self.unary()
            return operand if tok.text == "+" else Unary(tok.text, operand, tok.col)
        return self.primary()

    def primary(self) -> Expr:
        tok = self.peek()
        if tok is None:
            raise self.error("expected an expression")
        self.pos += 1
        if tok.kind == NUMBER:
            return Num(tok.value, tok.col)
        if tok.kind == LOCALREF:
            return Sym(self.local_ref(tok), tok.text, tok.col)
        if tok.kind == IDENT:
            return Dot(tok.col) if tok.text == "." else Sym(tok.text, tok.text, tok.col)
        if tok.kind == PUNCT and tok.text == "(":
            self.depth += 1
            if self.depth > 100:
                raise self.loc.error("parentheses nested too deeply", tok.col)
            inner = self.binary(1)
            self.expect(")")
            return inner
        if tok.kind == PUNCT and tok.text == "%":
            return self.modifier(tok)
        self.pos -= 1
        raise self.error(f"unexpected '{tok.text}' in expression")

    def modifier(self, percent: Token) -> Expr:
        name = self.peek()
        if name is None or name.kind != IDENT or name.col != percent.end_col:
            raise self.loc.error("expected a relocation modifier after '%' "
                                 "(%hi, %lo, %pcrel_hi, %pcrel_lo)", percent.col)
        if name.text.lower() not in MODIFIERS:
            raise self.loc.error(f"unknown relocation modifier '%{name.text}' (supported: "
                                 "%hi, %lo, %pcrel_hi, %pcrel_lo)", percent.col)
        self.pos += 1
        self.expect("(")
        inner = self.binary(1)
        self.expect(")")
        return Modifier(name.text.lower(), inner, percent.col)


def parse_expression(tokens: list[Token], loc: Location, end_col: int,
                     local_ref: Callable[[Token], str]) -> Expr:
    return Parser(tokens, loc, end_col, local_ref).parse()


def symbols_in(expr: Expr) -> list[Sym]:
    """The symbol references in `expr` (for "this operand must name a symbol")."""
    if isinstance(expr, Sym):
        return [expr]
    if isinstance(expr, (Unary, Modifier)):
        return symbols_in(expr.operand)
    if isinstance(expr, Binary):
        return symbols_in(expr.left) + symbols_in(expr.right)
    return []


# --- evaluation ------------------------------------------------------------------------

class Value(NamedTuple):
    """`value` is absolute if `section` is None, else an address in that section."""

    value: int
    section: str | None = None

    @property
    def absolute(self) -> bool:
        return self.section is None


class NotYetKnown(Exception):
    """Pass 1 needs something only known later; the caller decides if that is an error."""

    def __init__(self, sym: Sym, reason: str | None = None):
        self.sym = sym
        self.reason = reason or f"'{sym.text}' is not defined before this line"
        super().__init__(self.reason)


class Context(Protocol):
    """What evaluation needs from the assembler at one statement."""

    loc: Location

    def symbol(self, sym: Sym) -> Value: ...

    def dot(self) -> Value: ...

    def pc(self) -> int: ...

    def final(self) -> bool:
        """True once addresses are final (pass 2): %hi/%lo of addresses are computable."""

    def pcrel_lo(self, anchor: Value, node: Modifier) -> int: ...


_MASK64 = (1 << 64) - 1


def _wrap64(value: int) -> int:
    value &= _MASK64
    return value - (1 << 64) if value >> 63 else value


def _c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _arith(op: str, a: int, b: int) -> int:
    if op == "*":
        return a * b
    if op == "/":
        return _c_div(a, b)
    if op == "%":
        return a - b * _c_div(a, b)
    if op == "<<":
        return a << b if 0 <= b < 64 else 0
    if op == ">>":
        return (a & _MASK64) >> b if 0 <= b < 64 else 0
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    return a ^ b


def evaluate(expr: Expr, ctx: Context) -> Value:
    """The value of `expr`; raises SourceError (or NotYetKnown in pass 1)."""
    if isinstance(expr, Num):
        return Value(expr.value)
    if isinstance(expr, Sym):
        return ctx.symbol(expr)
    if isinstance(expr, Dot):
        return ctx.dot()
    if isinstance(expr, Unary):
        inner = evaluate(expr.operand, ctx)
        if not inner.absolute:
            raise ctx.loc.error(f"cannot apply '{expr.op}' to an address", expr.col)
        return Value(_wrap64(-inner.value if expr.op == "-" else ~inner.value))
    if isinstance(expr, Binary):
        return _binary(expr, evaluate(expr.left, ctx), evaluate(expr.right, ctx), ctx)
    return _modifier(expr, ctx)


def _binary(expr: Binary, a: Value, b: Value, ctx: Context) -> Value:
    op = expr.op
    if op == "+":
        if not a.absolute and not b.absolute:
            raise ctx.loc.error("cannot add two addresses", expr.col)
        return Value(_wrap64(a.value + b.value), a.section or b.section)
    if op == "-":
        if b.absolute:
            return Value(_wrap64(a.value - b.value), a.section)
        if a.section == b.section or (not a.absolute and ctx.final()):
            return Value(_wrap64(a.value - b.value))
        if not a.absolute:  # sections not placed yet
            raise NotYetKnown(Sym("-", "-", expr.col), "a difference of addresses in two "
                              "sections is only known once sections are placed")
        raise ctx.loc.error("cannot subtract an address from a constant", expr.col)
    if not (a.absolute and b.absolute):
        raise ctx.loc.error(f"operator '{op}' needs constants, not addresses", expr.col)
    if op in "/%" and b.value == 0:
        raise ctx.loc.error("division by zero", expr.col)
    return Value(_wrap64(_arith(op, a.value, b.value)))


def _modifier(expr: Modifier, ctx: Context) -> Value:
    inner = evaluate(expr.operand, ctx)
    if not ctx.final() and (not inner.absolute or expr.name.startswith("pcrel")):
        raise NotYetKnown(Sym(f"%{expr.name}", f"%{expr.name}", expr.col),
                          f"%{expr.name} of an address is only known once sections are placed")
    if expr.name == "hi":
        return Value(hi20(inner.value))
    if expr.name == "lo":
        return Value(lo12(inner.value))
    if expr.name == "pcrel_hi":
        return Value(hi20(inner.value - ctx.pc()))
    if inner.absolute:
        raise ctx.loc.error("%pcrel_lo needs the label of an auipc with %pcrel_hi",
                            expr.col)
    return Value(ctx.pcrel_lo(inner, expr))
