"""Matching an instruction's written operands against its accepted forms.

A mnemonic may have several forms: the real instruction's syntax from the ISA table and
any rows of :mod:`oxcore.isa.pseudo` (``jalr a0`` / ``jalr a0, 4(a1)`` / ...). Forms
are told apart by operand count and shape (register, ``imm(reg)``, expression), the
way LLVM's matcher does; when none fits, the error comes from the form that matched
the most operands, pointing at the first operand that did not fit.

A form is a sequence of operand slots, not a comma split: each slot's kind says how
many comma-separated items it spans (a `vtype` list spans several) and whether it may
be left out (a trailing ``, v0.t``; the encoder then uses the kind's default). The
kinds parse the items; nothing here knows a register name or a CSR.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Union

from oxcore.errors import SourceError
from oxcore.isa import DEFAULT_ISA, FULL_ISA, Instruction, Isa
from oxcore.isa.instruction import Slot, parse_syntax
from oxcore.isa.kinds import FENCE, SYMBOL
from oxcore.isa.pseudo import OperandSpec, Pseudo, Step
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
    slots: tuple[Slot, ...]  # per written operand
    pseudo: Pseudo | None
    instruction: Instruction | None

    @property
    def usage(self) -> str:
        return re.sub(r"[{}]", "", f"{self.mnemonic} {self.syntax}").strip()

    def item_range(self, slot: Slot) -> tuple[int, int]:
        """(fewest, most) comma-separated items the slot spans; 0 if it may be omitted."""
        if len(slot.names) != 1 or slot.base:
            return 1, 1
        kind = self.specs[slot.names[0]].kind
        low, high = kind.items
        return (0 if kind.default is not None else low), high

    def item_counts(self) -> set[int]:
        """Every number of comma-separated items this form accepts."""
        counts = {0}
        for slot in self.slots:
            low, high = self.item_range(slot)
            counts = {c + n for c in counts for n in range(low, high + 1)}
        return counts

    def splits(self, total: int, start: int = 0):
        """Each way of giving the slots from `start` on `total` items, in order (greedy
        first: a slot takes as many items as it can)."""
        if start == len(self.slots):
            if total == 0:
                yield ()
            return
        low, high = self.item_range(self.slots[start])
        for n in range(min(high, total), low - 1, -1):
            for rest in self.splits(total - n, start + 1):
                yield (n, *rest)

    def identity_steps(self) -> tuple[Step, ...]:
        """A real instruction as a one-step 'expansion' onto itself."""
        assert self.instruction is not None
        return (Step(self.mnemonic, {f.name: f.name for f in self.instruction.operands}),)


def _slots(syntax: str) -> tuple[Slot, ...]:
    return parse_syntax(syntax)


@lru_cache(maxsize=None)
def forms(mnemonic: str, isa: Isa = DEFAULT_ISA) -> tuple[Form, ...]:
    """All forms for `mnemonic`: the real instruction first, then pseudo rows in order."""
    result = []
    ins = isa.by_mnemonic.get(mnemonic)
    if ins is not None:
        specs = {f.name: OperandSpec(f.name, f.kind, f) for f in ins.operands}
        result.append(Form(mnemonic, ins.syntax, specs, _slots(ins.syntax), None, ins))
    for pseudo in isa.pseudos:
        if pseudo.mnemonic == mnemonic:
            specs = {s.name: s for s in pseudo.operands}
            result.append(Form(mnemonic, pseudo.syntax, specs, _slots(pseudo.syntax), pseudo,
                               None))
    return tuple(result)


def suggest_mnemonic(word: str, isa: Isa = DEFAULT_ISA) -> str:
    elsewhere = FULL_ISA.by_mnemonic.get(word)
    if elsewhere is not None and word not in isa.by_mnemonic:
        return (f" (it is from the {elsewhere.extension} extension, which this "
                "configuration does not have)")
    names = sorted(set(isa.by_mnemonic) | {p.mnemonic for p in isa.pseudos})
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


def _text(group: list[Token]) -> str:
    return "".join(tok.text for tok in group)


class OperandMatcher:
    """Parses operands for one statement; `local_ref` renames ``1f``/``1b``."""

    def __init__(self, loc: Location, end_col: int, local_ref: Callable[[Token], str],
                 isa: Isa = DEFAULT_ISA):
        self.loc, self.end_col, self.local_ref, self.isa = loc, end_col, local_ref, isa

    def _register(self, group: list[Token]) -> int | None:
        """The number of a register of any of the ISA's files that `group` names."""
        if len(group) == 1 and group[0].kind == IDENT:
            for rf in self.isa.register_files.values():
                number = rf.parse(group[0].text)
                if number is not None:
                    return number
        return None

    def _memory(self, group: list[Token], spec: OperandSpec | None = None
                ) -> tuple[list[Token], int, Token] | None:
        """``imm(reg)`` -> (imm tokens, register number, register token), or None."""
        if (len(group) >= 3 and group[-1].kind == PUNCT and group[-1].text == ")"
                and group[-3].kind == PUNCT and group[-3].text == "("):
            reg = (spec.kind.parse([group[-2].text], self.isa) if spec is not None
                   else self._register([group[-2]]))
            if reg is not None:
                return group[:-3], reg, group[-2]
        return None

    def expression(self, group: list[Token], end_col: int) -> Expr:
        return parse_expression(group, self.loc, end_col, self.local_ref)

    def match(self, mnemonic: Token, groups: list[list[Token]]) -> Match:
        """The first form that fits, or a SourceError about the closest one."""
        name = mnemonic.text.lower()
        candidates = forms(name, self.isa)
        if not candidates:
            raise self.loc.error(f"unknown instruction '{mnemonic.text}'"
                                 f"{suggest_mnemonic(name, self.isa)}", mnemonic.col)
        for i, group in enumerate(groups):
            if not group:
                col = groups[i - 1][-1].end_col if i else mnemonic.end_col
                raise self.loc.error("missing operand (empty between commas)", col + 1)
        best: Mismatch | None = None
        for form in candidates:
            for split in form.splits(len(groups)):
                try:
                    return self._match_form(form, split, groups)
                except Mismatch as miss:
                    if best is None or miss.index > best.index:
                        best = miss
        if best is not None:
            raise self.loc.error(best.message, best.col)
        raise self._count_error(mnemonic, candidates, groups)

    def _count_error(self, mnemonic: Token, candidates: tuple[Form, ...],
                     groups: list[list[Token]]) -> Exception:
        usages = " | ".join(f"'{f.usage}'" for f in candidates)
        expected = sorted(set().union(*(f.item_counts() for f in candidates)))
        counts = " or ".join(str(n) for n in expected)
        plural = "" if expected == [1] else "s"
        message = (f"'{mnemonic.text}' takes {counts} operand{plural}, got {len(groups)} "
                   f"(expected {usages})")
        if len(groups) > max(expected):
            return self.loc.error(message, groups[max(expected)][0].col)
        return self.loc.error(message, mnemonic.col)

    def _match_form(self, form: Form, split: tuple[int, ...],
                    groups: list[list[Token]]) -> Match:
        """Parse `groups` with slot i taking `split[i]` of them (0: an omitted optional
        operand, left out of `values` so the encoder uses its default)."""
        values: dict[str, Operand] = {}
        cols: dict[str, int] = {}
        index = 0
        for slot, count in zip(form.slots, split):
            items = groups[index:index + count]
            try:
                if slot.literal:
                    self._literal(slot.literal, items[0], index)
                elif slot.base:
                    self._base_slot(form, slot.names[0], items[0], index, values, cols)
                elif slot.memory:
                    self._memory_slot(form, slot.names, items[0], index, values, cols)
                elif count == 1:
                    name = slot.names[0]
                    values[name] = self._single(form.specs[name], items[0], index,
                                                items[0][-1].end_col)
                    cols[name] = items[0][0].col
                elif count:
                    name = slot.names[0]
                    values[name] = self._composite(form.specs[name], items, index)
                    cols[name] = items[0][0].col
            except SourceError as exc:  # a syntax error only rules out this form
                raise Mismatch(exc.message, exc.col, index) from None
            index += count
        return Match(form, values, cols)

    def _composite(self, spec: OperandSpec, items: list[list[Token]], index: int) -> int:
        """An operand spanning several comma-separated items (``e32, m1, ta, ma``)."""
        value = spec.kind.parse([_text(item) for item in items], self.isa)
        if value is None:
            raise Mismatch(f"expected {_describe(spec)} for operand {spec.name}",
                           items[0][0].col, index)
        return value

    def _literal(self, literal: str, group: list[Token], index: int) -> None:
        """A fixed word of the syntax (the ``v0`` of ``vadc.vvm``): nothing to encode."""
        if _text(group).lower() != literal:
            raise Mismatch(f"expected '{literal}'", group[0].col, index)

    def _base_slot(self, form: Form, name: str, group: list[Token], index: int,
                   values: dict[str, Operand], cols: dict[str, int]) -> None:
        """``(reg)``, or ``0(reg)`` as LLVM also accepts: a base register, no offset."""
        parts = self._memory(group, form.specs[name])
        if parts is None or (parts[0] and _text(parts[0]) != "0"):
            raise Mismatch(f"expected a base register in parentheses '(register)' for "
                           f"'{form.usage}'", group[0].col, index)
        values[name] = parts[1]
        cols[name] = parts[2].col

    def _memory_slot(self, form: Form, slot: tuple[str, ...], group: list[Token],
                     index: int, values: dict[str, Operand], cols: dict[str, int]) -> None:
        parts = self._memory(group, form.specs[slot[1]])
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
        kind = spec.kind
        first = group[0]
        if kind.register_file is not None:
            reg = kind.parse([first.text], self.isa) if len(group) == 1 else None
            if reg is not None:
                return reg
            what = (f"unknown register '{first.text}'" if len(group) == 1
                    and first.kind == IDENT else "expected a register")
            rf = kind.register_file
            raise Mismatch(f"{what} for operand {spec.name} ({rf.description.split(' (')[0]}s"
                           f" are {rf.prefix}0..{rf.prefix}{rf.count - 1})", first.col, index)
        if self._register(group) is not None:
            raise Mismatch(f"expected {_describe(spec)}, got register '{first.text}'",
                           first.col, index)
        if self._memory(group) is not None:
            raise Mismatch(f"expected {_describe(spec)}, not a memory operand",
                           first.col, index)
        if kind is FENCE:
            return self._fence(group, index)
        named = kind.parse([_text(group)], self.isa)
        if named is not None:
            return Num(named, first.col) if kind.expression else named
        if not kind.expression:
            raise Mismatch(f"expected {_describe(spec)} for operand {spec.name}",
                           first.col, index)
        expr = self.expression(group, end_col)
        if kind is SYMBOL and not symbols_in(expr):
            raise Mismatch(f"expected a symbol for operand {spec.name}, not a number",
                           first.col, index)
        return expr

    def _fence(self, group: list[Token], index: int) -> int:
        tok = group[0]
        bits = None
        if len(group) == 1 and tok.kind in (IDENT, NUMBER):
            bits = FENCE.parse([tok.text], self.isa)
        if bits is None:
            raise Mismatch("fence operand must be letters from 'iorw' in that order, or 0",
                           tok.col, index)
        return bits


def _describe(spec: OperandSpec) -> str:
    return spec.kind.description.format(name=spec.name)
