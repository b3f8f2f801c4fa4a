"""Matching an instruction's written operands against its accepted forms.

A mnemonic may have several forms: the real instruction's syntax from the ISA table and
any rows of :mod:`oxcore.isa.pseudo` (``jalr a0`` / ``jalr a0, 4(a1)`` / ...). Forms
are told apart by operand count and shape (register, ``imm(reg)``, expression), the
way LLVM's matcher does; when none fits, the error comes from the form that matched
the most operands, pointing at the first operand that did not fit.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Union

from oxcore.errors import SourceError
from oxcore.isa import BY_MNEMONIC, CSR_BY_NAME, Instruction, parse_xreg
from oxcore.isa.fields import CSR, FENCE, XREG
from oxcore.isa.pseudo import (PSEUDOS_BY_MNEMONIC, SYMBOL, OperandSpec, Pseudo, Step,
                               fence_bits)
from sw.asm.expr import Expr, Num, parse_expression, symbols_in
from sw.asm.lexer import IDENT, NUMBER, PUNCT, Location, Token

# A parsed operand: a register/CSR/fence number, or an expression evaluated later.
Operand = Union[int, Expr]


@dataclass(frozen=True)
class Form:
    """One accepted way of writing a mnemonic's operands."""

    mnemonic: str
    syntax: str
    specs: dict[str, OperandSpec]
    slots: tuple[tuple[str, ...], ...]  # per written operand: (name,) or (imm, reg)
    pseudo: Pseudo | None
    instruction: Instruction | None

    @property
    def usage(self) -> str:
        return re.sub(r"[{}]", "", f"{self.mnemonic} {self.syntax}").strip()

    def identity_steps(self) -> tuple[Step, ...]:
        """A real instruction as a one-step 'expansion' onto itself."""
        assert self.instruction is not None
        return (Step(self.mnemonic, {f.name: f.name for f in self.instruction.operands}),)


def _slots(syntax: str) -> tuple[tuple[str, ...], ...]:
    if not syntax.strip():
        return ()
    return tuple(tuple(re.findall(r"\{(\w+)\}", part)) for part in syntax.split(","))


@lru_cache(maxsize=None)
def forms(mnemonic: str) -> tuple[Form, ...]:
    """All forms for `mnemonic`: the real instruction first, then pseudo rows in order."""
    result = []
    ins = BY_MNEMONIC.get(mnemonic)
    if ins is not None:
        specs = {f.name: OperandSpec(f.name, f.kind, f) for f in ins.operands}
        result.append(Form(mnemonic, ins.syntax, specs, _slots(ins.syntax), None, ins))
    for pseudo in PSEUDOS_BY_MNEMONIC.get(mnemonic, ()):
        specs = {s.name: s for s in pseudo.operands}
        result.append(Form(mnemonic, pseudo.syntax, specs, _slots(pseudo.syntax), pseudo,
                           None))
    return tuple(result)


def suggest_mnemonic(word: str) -> str:
    names = sorted(set(BY_MNEMONIC) | set(PSEUDOS_BY_MNEMONIC))
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Mismatch(Exception):
    """This form does not fit; `col` points at the operand that failed."""

    def __init__(self, message: str, col: int, index: int):
        super().__init__(message)
        self.message, self.col, self.index = message, col, index


@dataclass(frozen=True)
class Match:
    form: Form
    values: dict[str, Operand]
    cols: dict[str, int]  # column of each operand, for range errors


def _register(group: list[Token]) -> int | None:
    if len(group) == 1 and group[0].kind == IDENT:
        return parse_xreg(group[0].text)
    return None


def _memory(group: list[Token]) -> tuple[list[Token], int, Token] | None:
    """``imm(reg)`` -> (imm tokens, register number, register token), or None."""
    if (len(group) >= 3 and group[-1].kind == PUNCT and group[-1].text == ")"
            and group[-3].kind == PUNCT and group[-3].text == "("):
        reg = _register([group[-2]])
        if reg is not None:
            return group[:-3], reg, group[-2]
    return None


class OperandMatcher:
    """Parses operands for one statement; `local_ref` renames ``1f``/``1b``."""

    def __init__(self, loc: Location, end_col: int, local_ref: Callable[[Token], str]):
        self.loc, self.end_col, self.local_ref = loc, end_col, local_ref

    def expression(self, group: list[Token], end_col: int) -> Expr:
        return parse_expression(group, self.loc, end_col, self.local_ref)

    def match(self, mnemonic: Token, groups: list[list[Token]]) -> Match:
        """The first form that fits, or a SourceError about the closest one."""
        name = mnemonic.text.lower()
        candidates = forms(name)
        if not candidates:
            raise self.loc.error(f"unknown instruction '{mnemonic.text}'"
                                 f"{suggest_mnemonic(name)}", mnemonic.col)
        for i, group in enumerate(groups):
            if not group:
                col = groups[i - 1][-1].end_col if i else mnemonic.end_col
                raise self.loc.error("missing operand (empty between commas)", col + 1)
        best: Mismatch | None = None
        for form in candidates:
            if len(form.slots) != len(groups):
                continue
            try:
                return self._match_form(form, groups)
            except Mismatch as miss:
                if best is None or miss.index > best.index:
                    best = miss
        if best is not None:
            raise self.loc.error(best.message, best.col)
        raise self._count_error(mnemonic, candidates, groups)

    def _count_error(self, mnemonic: Token, candidates: tuple[Form, ...],
                     groups: list[list[Token]]) -> Exception:
        usages = " | ".join(f"'{f.usage}'" for f in candidates)
        expected = sorted({len(f.slots) for f in candidates})
        counts = " or ".join(str(n) for n in expected)
        plural = "" if expected == [1] else "s"
        message = (f"'{mnemonic.text}' takes {counts} operand{plural}, got {len(groups)} "
                   f"(expected {usages})")
        if len(groups) > max(expected):
            return self.loc.error(message, groups[max(expected)][0].col)
        return self.loc.error(message, mnemonic.col)

    def _match_form(self, form: Form, groups: list[list[Token]]) -> Match:
        values: dict[str, Operand] = {}
        cols: dict[str, int] = {}
        for index, (slot, group) in enumerate(zip(form.slots, groups)):
            end_col = group[-1].end_col
            try:
                if len(slot) == 2:
                    self._memory_slot(form, slot, group, index, values, cols)
                else:
                    name = slot[0]
                    values[name] = self._single(form.specs[name], group, index, end_col)
                    cols[name] = group[0].col
            except SourceError as exc:  # a syntax error only rules out this form
                raise Mismatch(exc.message, exc.col, index) from None
        return Match(form, values, cols)

    def _memory_slot(self, form: Form, slot: tuple[str, ...], group: list[Token],
                     index: int, values: dict[str, Operand], cols: dict[str, int]) -> None:
        parts = _memory(group)
        if parts is None and len(group) >= 3 and group[-2].kind == IDENT \
                and group[-1].text == ")" and group[-3].text == "(":
            raise Mismatch(f"unknown register '{group[-2].text}'", group[-2].col, index)
        if parts is None:
            raise Mismatch(f"expected a memory operand 'offset(register)' for "
                           f"'{form.usage}'", group[0].col, index)
        imm_tokens, reg, reg_tok = parts
        imm_name, reg_name = slot
        values[imm_name] = (self.expression(imm_tokens, reg_tok.col - 1)
                            if imm_tokens else Num(0, group[0].col))
        cols[imm_name] = group[0].col
        values[reg_name] = reg
        cols[reg_name] = reg_tok.col

    def _single(self, spec: OperandSpec, group: list[Token], index: int,
                end_col: int) -> Operand:
        reg = _register(group)
        first = group[0]
        if spec.kind == XREG:
            if reg is not None:
                return reg
            what = (f"unknown register '{first.text}'" if len(group) == 1
                    and first.kind == IDENT else "expected a register")
            raise Mismatch(f"{what} for operand {spec.name}", first.col, index)
        if reg is not None:
            raise Mismatch(f"expected {_describe(spec)}, got register '{first.text}'",
                           first.col, index)
        if _memory(group) is not None:
            raise Mismatch(f"expected {_describe(spec)}, not a memory operand",
                           first.col, index)
        if spec.kind == FENCE:
            return self._fence(group, index)
        if spec.kind == CSR and len(group) == 1 and first.kind == IDENT:
            csr = CSR_BY_NAME.get(first.text.lower())
            if csr is not None:
                return Num(csr.number, first.col)
        expr = self.expression(group, end_col)
        if spec.kind == SYMBOL and not symbols_in(expr):
            raise Mismatch(f"expected a symbol for operand {spec.name}, not a number",
                           first.col, index)
        return expr

    def _fence(self, group: list[Token], index: int) -> int:
        tok = group[0]
        bits = None
        if len(group) == 1 and tok.kind in (IDENT, NUMBER):
            bits = fence_bits(tok.text)
        if bits is None:
            raise Mismatch("fence operand must be letters from 'iorw' in that order, or 0",
                           tok.col, index)
        return bits


def _describe(spec: OperandSpec) -> str:
    return {"pcrel": "a branch target", "csr": "a CSR name or number",
            "symbol": "a symbol", "target": "an address or symbol"}.get(
        spec.kind, f"an immediate for operand {spec.name}")
