"""Assembler directives (``.word``, ``.align``, ``.section``, ``.equ`` ...).

Mixed into :class:`sw.asm.assembler.Assembler`; each handler reads its operands from
token groups and either emits bytes now (strings, padding) or leaves an expression
for pass 2 (``.word label``). Directives that only matter to other tools (``.file``,
``.cfi_*``, ``.attribute`` ...) are accepted and ignored so compiler output assembles.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from sw.asm.expr import Expr, NotYetKnown, parse_expression
from sw.asm.fixups import DataFixup
from sw.asm.lexer import IDENT, PUNCT, STRING, Location, Statement, Token, split_commas
from sw.asm.sections import BSS, DATA, DISCARD, RODATA, TEXT, fold_section

if TYPE_CHECKING:
    from sw.asm.sections import Section
    from sw.asm.symbols import SymbolTable

_DATA_SIZES = {".byte": 1, ".half": 2, ".short": 2, ".hword": 2, ".2byte": 2, ".word": 4,
               ".long": 4, ".int": 4, ".4byte": 4, ".quad": 8, ".dword": 8, ".8byte": 8}
_IGNORED = {".file", ".ident", ".loc", ".addrsig", ".addrsig_sym", ".hidden", ".protected",
            ".internal", ".attribute"}
_SYMBOL_TYPES = {"function": "func", "stt_func": "func", "gnu_indirect_function": "func",
                 "object": "object", "stt_object": "object", "common": "object",
                 "notype": "notype", "stt_notype": "notype"}
_OPTIONS_OK = {"norvc", "relax", "norelax", "push", "pop", "nopic", "exact", "noexact"}
_MAX_ALIGN_LOG2 = 30


class DirectivesMixin:
    """Directive handlers; expects the attributes that Assembler defines."""

    sections: dict[str, "Section"]
    symbols: "SymbolTable"
    current: str
    previous: str
    section_stack: list[tuple[str, str]]
    finished: bool

    # --- dispatch -------------------------------------------------------------------

    def directive(self, head: Token, rest: tuple[Token, ...], st: Statement) -> None:
        name = head.text.lower()
        if name.startswith(".cfi_") or name in _IGNORED:
            return
        handler = _HANDLERS.get(name)
        if handler is None:
            close = difflib.get_close_matches(name, _KNOWN, n=1, cutoff=0.7)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise st.loc.error(f"unknown directive '{head.text}'{hint}", head.col)
        handler(self, name, head, split_commas(rest), st)

    # --- operand helpers ------------------------------------------------------------

    def _expr(self, group: list[Token], st: Statement, what: str, col: int) -> Expr:
        if not group:
            raise st.loc.error(f"missing {what}", col)
        return parse_expression(group, st.loc, group[-1].end_col, self.local_ref(st.loc))

    def _const(self, group: list[Token], st: Statement, what: str, col: int) -> int:
        """A value that must be known when the directive is read (sizes, alignments)."""
        expr = self._expr(group, st, what, col)
        try:
            value = self.evaluate_now(expr, st.loc)
        except NotYetKnown as exc:
            raise st.loc.error(f"{what} must be known here: {exc.reason}",
                               exc.sym.col or group[0].col) from None
        if not value.absolute:
            raise st.loc.error(f"{what} must be a constant, not an address", group[0].col)
        return value.value

    def _name(self, group: list[Token], st: Statement, col: int) -> Token:
        if len(group) != 1 or group[0].kind not in (IDENT, STRING):
            raise st.loc.error("expected a symbol name", group[0].col if group else col)
        return group[0]

    def _count(self, groups: list[list[Token]], st: Statement, head: Token, low: int,
               high: int) -> None:
        if groups and not groups[-1] and len(groups) > 1:
            raise st.loc.error("trailing comma", st.end_col)
        if not low <= len(groups) <= high:
            need = str(low) if low == high else f"{low} to {high}"
            raise st.loc.error(f"'{head.text}' takes {need} operand(s), got {len(groups)}",
                               groups[high][0].col if len(groups) > high and groups[high]
                               else head.col)

    # --- sections -----------------------------------------------------------------

    def switch_to(self, name: str) -> None:
        self.previous, self.current = self.current, name

    def _simple_section(self, name: str, head: Token, groups, st: Statement) -> None:
        self._count(groups, st, head, 0, 0)
        self.switch_to(self.input_section(name, *fold_section(name, None, None)))

    def _section_target(self, groups, st: Statement, head: Token) -> str:
        if not groups or not groups[0]:
            raise st.loc.error("expected a section name", head.end_col)
        name_toks = groups[0]
        if name_toks[0].kind == STRING:
            name = name_toks[0].value.decode("latin-1")
        else:
            name = "".join(t.text for t in name_toks)
        flags = kind = None
        if len(groups) > 1 and groups[1]:
            if groups[1][0].kind != STRING:
                raise st.loc.error("section flags must be a string such as \"ax\"",
                                   groups[1][0].col)
            flags = groups[1][0].value.decode("latin-1")
        if len(groups) > 2 and groups[2]:
            kind = groups[2][-1].text.lower()
        target = fold_section(name, flags, kind)
        if name in self.sections:
            return name
        if target is None:
            raise st.loc.error(f"unknown section '{name}': use .text/.rodata/.data/.bss "
                               "(or names starting so), or give flags such as \"ax\"",
                               name_toks[0].col)
        return self.input_section(name, *target)

    def _section(self, name: str, head: Token, groups, st: Statement) -> None:
        self.switch_to(self._section_target(groups, st, head))

    def _pushsection(self, name: str, head: Token, groups, st: Statement) -> None:
        target = self._section_target(groups, st, head)
        self.section_stack.append((self.current, self.previous))
        self.switch_to(target)

    def _popsection(self, name: str, head: Token, groups, st: Statement) -> None:
        self._count(groups, st, head, 0, 0)
        if not self.section_stack:
            raise st.loc.error(".popsection without .pushsection", head.col)
        self.current, self.previous = self.section_stack.pop()

    def _previous(self, name: str, head: Token, groups, st: Statement) -> None:
        self._count(groups, st, head, 0, 0)
        self.current, self.previous = self.previous, self.current

    # --- symbols ------------------------------------------------------------------

    def _declare(self, tok: Token, loc: Location):
        entry = self.symbols.entry(tok.text)
        if entry.declared is None:
            entry.declared = (loc, tok.col)
        return entry

    def _binding(self, name: str, head: Token, groups, st: Statement) -> None:
        if not groups:
            raise st.loc.error(f"'{head.text}' needs a symbol name", head.end_col)
        binding = {".weak": "weak", ".local": "local"}.get(name, "global")
        for group in groups:
            self._declare(self._name(group, st, head.col), st.loc).binding = binding

    def _type(self, name: str, head: Token, groups, st: Statement) -> None:
        self._count(groups, st, head, 2, 2)
        sym = self._name(groups[0], st, head.col)
        text = "".join(t.text for t in groups[1] if t.kind != STRING).lstrip("@%").lower()
        if groups[1] and groups[1][0].kind == STRING:
            text = groups[1][0].value.decode("latin-1").lower()
        if text not in _SYMBOL_TYPES:
            raise st.loc.error(f"unknown symbol type '{text}' (use @function or @object)",
                               groups[1][0].col if groups[1] else head.col)
        self._declare(sym, st.loc).type = _SYMBOL_TYPES[text]

    def _size(self, name: str, head: Token, groups, st: Statement) -> None:
        self._count(groups, st, head, 2, 2)
        sym = self._name(groups[0], st, head.col)
        expr = self._expr(groups[1], st, "size", head.col)
        self._declare(sym, st.loc).size = (expr, self.current, self.section.size, st.loc)

    def _equ(self, name: str, head: Token, groups, st: Statement) -> None:
        self._count(groups, st, head, 2, 2)
        sym = self._name(groups[0], st, head.col)
        self.define_value(sym, groups[1], st, redefinable=name != ".equiv")

    def assign(self, head: Token, expr_tokens: tuple[Token, ...], st: Statement,
               redefinable: bool) -> None:
        """``name = expr`` (same as .set)."""
        self.define_value(head, list(expr_tokens), st, redefinable)

    def define_value(self, sym: Token, tokens: list[Token], st: Statement,
                     redefinable: bool) -> None:
        expr = self._expr(tokens, st, f"value for '{sym.text}'", sym.end_col + 1)
        try:  # before defining: `.set x, x + 1` uses the old x
            value = self.evaluate_now(expr, st.loc)
        except NotYetKnown:
            value = None
        entry = self.symbols.define(sym.text, st.loc, sym.col, kind="equ",
                                    redefinable=redefinable)
        if value is None:
            entry.expr, entry.dot = expr, (self.current, self.section.size)
        else:
            entry.section, entry.value = value.section, value.value

    # --- data ---------------------------------------------------------------------

    def _data(self, name: str, head: Token, groups, st: Statement) -> None:
        if not groups:
            raise st.loc.error(f"'{head.text}' needs at least one value", head.end_col)
        size = _DATA_SIZES[name]
        for group in groups:
            col = group[0].col if group else head.col
            expr = self._expr(group, st, "value", col)
            offset = self.emit(bytes(size), st.loc, col)
            if self.section.output != DISCARD:
                self.data_fixups.append(DataFixup(self.current, offset, size, expr, st.loc,
                                                  head.text))

    def _ascii(self, name: str, head: Token, groups, st: Statement) -> None:
        if not groups:
            raise st.loc.error(f"'{head.text}' needs a string", head.end_col)
        for group in groups:
            if len(group) != 1 or group[0].kind != STRING:
                col = group[0].col if group else head.col
                raise st.loc.error(f"'{head.text}' expects quoted strings", col)
            text = group[0].value + (b"\0" if name != ".ascii" else b"")
            self.emit(text, st.loc, group[0].col)

    def _space(self, name: str, head: Token, groups, st: Statement) -> None:
        self._count(groups, st, head, 1, 2)
        size = self._const(groups[0], st, "size", head.col)
        fill = self._const(groups[1], st, "fill value", head.col) if len(groups) > 1 else 0
        if size < 0:
            raise st.loc.error(f"'{head.text}' size {size} is negative", groups[0][0].col)
        if not -128 <= fill <= 255:
            raise st.loc.error(f"fill value {fill} does not fit in a byte", groups[1][0].col)
        self._check_room(size, st, groups[0][0].col)
        self.emit(bytes([fill & 0xFF]) * size, st.loc, groups[0][0].col)

    def _fill(self, name: str, head: Token, groups, st: Statement) -> None:
        self._count(groups, st, head, 1, 3)
        repeat = self._const(groups[0], st, "repeat count", head.col)
        size = self._const(groups[1], st, "size", head.col) if len(groups) > 1 else 1
        value = self._const(groups[2], st, "value", head.col) if len(groups) > 2 else 0
        if repeat < 0 or not 0 <= size <= 8:
            raise st.loc.error(".fill needs repeat >= 0 and size in [0, 8]", head.col)
        self._check_room(repeat * size, st, groups[0][0].col)
        unit = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        self.emit(unit * repeat, st.loc, groups[0][0].col)

    def _check_room(self, size: int, st: Statement, col: int) -> None:
        if self.section.size + size > self.config.mem_size:
            raise st.loc.error(self._too_big_message(self.current, self.section.size + size),
                               col)

    # --- alignment ----------------------------------------------------------------

    def _align(self, name: str, head: Token, groups, st: Statement) -> None:
        """On RISC-V, .align n means 2**n bytes (like .p2align); .balign takes bytes."""
        self._count(groups, st, head, 1, 3)
        arg = self._const(groups[0], st, "alignment", head.col)
        col = groups[0][0].col
        if name == ".balign":
            if arg <= 0 or arg & (arg - 1) or arg > 1 << _MAX_ALIGN_LOG2:
                raise st.loc.error(f"alignment {arg} must be a power of two", col)
            align = arg
        else:
            if not 0 <= arg <= _MAX_ALIGN_LOG2:
                raise st.loc.error(f"alignment exponent {arg} out of range [0, "
                                   f"{_MAX_ALIGN_LOG2}] ('{head.text} n' aligns to 2**n)",
                                   col)
            align = 1 << arg
        fill = max_skip = None
        if len(groups) > 1 and groups[1]:
            fill = self._const(groups[1], st, "fill value", head.col)
            if not -128 <= fill <= 255:
                raise st.loc.error(f"fill value {fill} does not fit in a byte",
                                   groups[1][0].col)
            fill &= 0xFF
        if len(groups) > 2 and groups[2]:
            max_skip = self._const(groups[2], st, "maximum padding", head.col)
        sec = self.section
        sec.align = max(sec.align, align)
        count = -sec.size % align
        if max_skip is not None and count > max_skip:
            return
        self._check_room(count, st, col)
        self.emit(sec.padding(count, fill), st.loc, head.col)

    # --- options and the rest -------------------------------------------------------

    def _option(self, name: str, head: Token, groups, st: Statement) -> None:
        if not groups or not groups[0]:
            raise st.loc.error(".option needs an argument", head.end_col)
        tok = groups[0][0]
        option = tok.text.lower()
        if option == "rvc":
            raise st.loc.error("'.option rvc' enables compressed instructions, but OxCore "
                               "has no C extension", tok.col)
        if option == "pic":
            raise st.loc.error("'.option pic' is not supported: OxCore programs are "
                               "position-dependent (la would need a GOT)", tok.col)
        if option == "arch":
            text = " ".join(t.text for g in groups[1:] for t in g).lower().replace(" ", "")
            if re.search(r"(^|,)\+(c|zca)\b", text) or re.match(r"rv32[a-z]*c", text):
                raise st.loc.error("OxCore has no C extension (compressed instructions)",
                                   tok.col)
            return
        if option not in _OPTIONS_OK:
            raise st.loc.error(f"unknown .option '{tok.text}'", tok.col)

    def _end(self, name: str, head: Token, groups, st: Statement) -> None:
        self.finished = True


def _handlers() -> dict:
    m = DirectivesMixin
    table = {".section": m._section, ".pushsection": m._pushsection,
             ".popsection": m._popsection, ".previous": m._previous,
             ".globl": m._binding, ".global": m._binding, ".weak": m._binding,
             ".local": m._binding, ".type": m._type, ".size": m._size, ".equ": m._equ,
             ".set": m._equ, ".equiv": m._equ, ".ascii": m._ascii, ".asciz": m._ascii,
             ".string": m._ascii, ".space": m._space, ".skip": m._space, ".zero": m._space,
             ".fill": m._fill, ".align": m._align, ".p2align": m._align,
             ".balign": m._align, ".option": m._option, ".end": m._end}
    for section in (TEXT, DATA, RODATA, BSS):
        table[section] = (lambda target: lambda self, name, head, groups, st:
                          self._simple_section(target, head, groups, st))(section)
    for directive in _DATA_SIZES:
        table[directive] = m._data
    return table


_HANDLERS = _handlers()
_KNOWN = sorted(set(_HANDLERS) | _IGNORED)
