"""Source-level expansion before the assembler sees statements: ``.include``,
``.macro``/``.endm``, ``.rept``/``.endr`` and ``.irp``/``.irpc``/``.endr``, as GNU as and
LLVM's assembler accept them.

Expansion works on statement text (comments already blanked, ``;`` already split),
because macro bodies are not valid statements until their ``\\param`` references are
replaced. Every expanded statement keeps the file and line of the body line it came
from; its `Location.context` names the macro and where it was used, so an error inside
an expansion says both places.

Supported: parameters with defaults (``.macro m a, b=4``), arguments separated by commas
(or by blanks when there are no commas), ``\\param``, ``\\()`` (nothing, to glue text to a
parameter), ``\\@`` (how many macros have been expanded so far: unique labels), macros
that use other macros, ``.rept`` counts that are constant expressions (``.equ`` symbols
defined above included), and ``.include "file"`` (relative to the including file).
Not supported (a clear error says so): ``.if`` and friends, ``.exitm``, ``.purgem``,
``:req``/``:vararg`` qualifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from sw.asm.lexer import (IDENT, PUNCT, Location, Statement, blank_comments, split_commas,
                          split_semicolons, tokenize)

MAX_DEPTH = 64  # nested expansions and includes
MAX_STATEMENTS = 1_000_000  # from one source, after expansion (a runaway .rept)
_DIRECTIVE = re.compile(r"\s*(\.[A-Za-z_]+)\b")
_BLOCK_OPENERS = {".macro", ".rept", ".irp", ".irpc"}
_BLOCK_CLOSERS = {".endm": ".macro", ".endr": ".rept"}
_UNSUPPORTED = {".if", ".ifdef", ".ifndef", ".ifc", ".ifnc", ".ifeq", ".ifne", ".ifb",
                ".ifnb", ".else", ".elseif", ".endif", ".exitm", ".purgem"}
_PARAM_REF = re.compile(r"\\([A-Za-z_][A-Za-z0-9_]*|@|\(\))")


@dataclass(frozen=True)
class Part:
    """One statement's text: where it is, its index in the line, the text."""

    loc: Location
    start: int
    text: str

    def col(self, index: int = 0) -> int:
        return self.start + index + 1


@dataclass
class Macro:
    name: str
    params: list[tuple[str, str]]  # (name, default text)
    body: list[Part]
    loc: Location


class Expander:
    """Turns source text into assembler statements, expanding as it goes.

    `count` evaluates a ``.rept`` count (tokens) with the assembler's symbols as they
    stand at that point, so it is called lazily, in source order."""

    def __init__(self, count: Callable[[list, Statement], int],
                 read: Callable[[Path], str]) -> None:
        self.count = count
        self.read = read
        self.macros: dict[str, Macro] = {}
        self.expansions = 0
        self.emitted = 0

    # --- entry points -----------------------------------------------------------------

    def source(self, text: str, path: str, depth: int = 0) -> Iterator[Statement]:
        parts = (Part(Location(path, lineno), start, piece)
                 for lineno, line in enumerate(blank_comments(text, path), start=1)
                 for start, piece in split_semicolons(line))
        yield from self._parts(iter(parts), depth)

    def _parts(self, parts: Iterator[Part], depth: int) -> Iterator[Statement]:
        for part in parts:
            name, at = _directive(part.text)
            if name in _BLOCK_OPENERS:
                body = _collect_block(part, name, at, parts)
                yield from self._block(part, name, at, body, depth)
            elif name in _BLOCK_CLOSERS:
                raise part.loc.error(f"'{name}' without '{_BLOCK_CLOSERS[name]}'",
                                     part.col(at))
            elif name in _UNSUPPORTED:
                raise part.loc.error(f"'{name}' (conditional assembly) is not supported",
                                     part.col(at))
            elif name == ".include":
                yield from self._include(part, at, depth)
            else:
                yield from self._statement(part, depth)

    # --- blocks -------------------------------------------------------------------------

    def _block(self, head: Part, name: str, at: int, body: list[Part],
               depth: int) -> Iterator[Statement]:
        col = head.col(at)
        rest = head.text[at + len(name):]
        rest_start = head.start + at + len(name)
        tokens = tokenize(rest, head.loc, rest_start)
        st = Statement(head.loc, tuple(tokens), head.col(len(head.text.rstrip())))
        if name == ".macro":
            self._define(head, col, tokens, body)
            return
        if depth >= MAX_DEPTH:
            raise head.loc.error(f"'{name}' nested more than {MAX_DEPTH} deep", col)
        if name == ".rept":
            groups = split_commas(tokens)
            if len(groups) != 1 or not groups[0]:
                raise head.loc.error("'.rept' takes one count", col)
            n = self.count(groups[0], st)
            if n < 0:
                raise head.loc.error(f"'.rept' count {n} is negative", col)
            for _ in range(n):
                yield from self._parts(iter(body), depth + 1)
            return
        # .irp sym, a, b, ...  /  .irpc sym, chars
        groups = split_commas(tokens)
        if not groups or len(groups[0]) != 1 or groups[0][0].kind != IDENT:
            raise head.loc.error(f"'{name}' needs a symbol name first", col)
        symbol = groups[0][0].text
        values = [_text(rest, rest_start, g) for g in groups[1:]]
        if name == ".irpc":
            values = list("".join(values))
        for value in values or [""]:
            subst = {symbol: value}
            yield from self._parts(iter(_substitute(body, subst, None)), depth + 1)

    def _define(self, head: Part, col: int, tokens: list, body: list[Part]) -> None:
        groups = split_commas(tokens)
        if not groups or not groups[0] or groups[0][0].kind != IDENT:
            raise head.loc.error("'.macro' needs a name", col)
        first = groups[0]
        name = first[0].text
        # ".macro m a b" (blank-separated parameters) as well as ".macro m a, b".
        param_groups = [first[1:]] + groups[1:] if len(first) > 1 else groups[1:]
        if len(param_groups) == 1 and len(param_groups[0]) > 1 and all(
                t.kind == IDENT for t in param_groups[0]):
            param_groups = [[t] for t in param_groups[0]]
        params: list[tuple[str, str]] = []
        for group in param_groups:
            if not group or group[0].kind != IDENT:
                at = group[0].col if group else col
                raise head.loc.error(f"bad parameter in macro '{name}'", at)
            if len(group) > 1 and not (group[1].kind == PUNCT and group[1].text == "="):
                text = "".join(t.text for t in group[1:])
                raise head.loc.error(f"'{text}' after parameter '{group[0].text}' "
                                     "(qualifiers such as :req are not supported)",
                                     group[1].col)
            default = " ".join(t.text for t in group[2:])
            if any(p == group[0].text for p, _ in params):
                raise head.loc.error(f"parameter '{group[0].text}' twice in macro "
                                     f"'{name}'", group[0].col)
            params.append((group[0].text, default))
        if name in self.macros:
            first_loc = self.macros[name].loc
            raise head.loc.error(f"macro '{name}' already defined at {first_loc.path}:"
                                 f"{first_loc.line}", first[0].col)
        self.macros[name] = Macro(name, params, body, head.loc)

    # --- statements and macro uses --------------------------------------------------------

    def _statement(self, part: Part, depth: int) -> Iterator[Statement]:
        tokens = tokenize(part.text, part.loc, part.start)
        if not tokens:
            return
        i = 0  # skip labels
        while (i + 1 < len(tokens) and tokens[i + 1].kind == PUNCT
               and tokens[i + 1].text == ":"):
            i += 2
        head = tokens[i] if i < len(tokens) else None
        if head is None or head.kind != IDENT or head.text not in self.macros or (
                i + 1 < len(tokens) and tokens[i + 1].text == "="):
            yield self._emit(Statement(part.loc, tuple(tokens),
                                       part.col(len(part.text.rstrip()))))
            return
        if i:
            yield self._emit(Statement(part.loc, tuple(tokens[:i]), head.col))
        macro = self.macros[head.text]
        if depth >= MAX_DEPTH:
            raise part.loc.error(f"macro '{macro.name}' expanded more than {MAX_DEPTH} "
                                 "deep (does it use itself?)", head.col)
        index = head.end_col - 1 - part.start  # where the arguments start in the text
        args = _arguments(part.text[index:])
        if len(args) > len(macro.params):
            raise part.loc.error(f"macro '{macro.name}' takes {len(macro.params)} "
                                 f"argument(s), got {len(args)}", head.col)
        subst = {p: (args[k] if k < len(args) and args[k] != "" else default)
                 for k, (p, default) in enumerate(macro.params)}
        context = f"in macro '{macro.name}' used at {part.loc.path}:{part.loc.line}"
        body = _substitute(macro.body, subst, self.expansions, context)
        self.expansions += 1
        yield from self._parts(iter(body), depth + 1)

    def _include(self, part: Part, at: int, depth: int) -> Iterator[Statement]:
        col = part.col(at)
        end = at + len(".include")
        tokens = tokenize(part.text[end:], part.loc, part.start + end)
        if len(tokens) != 1 or not isinstance(tokens[0].value, bytes):
            raise part.loc.error("'.include' takes one file name in quotes", col)
        name = tokens[0].value.decode("latin-1")
        base = Path(part.loc.path).parent if not part.loc.path.startswith("<") else Path()
        path = base / name
        if depth >= MAX_DEPTH:
            raise part.loc.error(f"'.include' nested more than {MAX_DEPTH} deep", col)
        try:
            text = self.read(path)
        except OSError as exc:
            raise part.loc.error(f"cannot include '{name}': {exc.strerror}",
                                 tokens[0].col) from None
        yield from self.source(text, str(path), depth + 1)

    def _emit(self, st: Statement) -> Statement:
        self.emitted += 1
        if self.emitted > MAX_STATEMENTS:
            raise st.loc.error(f"more than {MAX_STATEMENTS:,} statements after expansion "
                               "(a runaway '.rept'?)", st.tokens[0].col)
        return st


def _directive(text: str) -> tuple[str | None, int]:
    """The directive a statement starts with (lower case: directives ignore case, as in
    GNU as) and its index in the text."""
    m = _DIRECTIVE.match(text)
    return (m.group(1).lower(), m.start(1)) if m else (None, 0)


def _collect_block(head: Part, name: str, at: int, parts: Iterator[Part]) -> list[Part]:
    """The parts up to the matching ``.endm``/``.endr`` (nested blocks kept whole)."""
    closer = ".endm" if name == ".macro" else ".endr"
    depth = 0
    body: list[Part] = []
    for part in parts:
        inner, _ = _directive(part.text)
        if inner in _BLOCK_OPENERS and (inner == ".macro") == (name == ".macro"):
            depth += 1
        elif inner == closer:
            if depth == 0:
                return body
            depth -= 1
        body.append(part)
    raise head.loc.error(f"'{name}' without '{closer}'", head.col(at))


def _arguments(text: str) -> list[str]:
    """A macro use's argument texts: comma-separated, or blank-separated if there is no
    comma (outside quotes and parentheses, either way)."""
    pieces = _split_top_level(text, lambda ch: ch == ",")
    if len(pieces) > 1:
        return [p.strip() for p in pieces]
    return [p for p in (q.strip() for q in _split_top_level(text, str.isspace)) if p]


def _split_top_level(text: str, is_separator: Callable[[str], bool]) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and is_separator(ch):
            pieces.append("".join(current))
            current = []
            continue
        current.append(ch)
    pieces.append("".join(current))
    return pieces


def _text(rest: str, rest_start: int, group: list) -> str:
    """The source text a token group spans (as written, spacing included)."""
    if not group:
        return ""
    return rest[group[0].col - 1 - rest_start:group[-1].end_col - 1 - rest_start]


def _substitute(body: list[Part], subst: dict[str, str], counter: int | None,
                context: str | None = None) -> list[Part]:
    def replace(m: re.Match) -> str:
        key = m.group(1)
        if key == "()":
            return ""
        if key == "@":
            return str(counter) if counter is not None else m.group(0)
        return subst.get(key, m.group(0))

    out = []
    for part in body:
        loc = part.loc
        if context and not loc.context:
            loc = Location(loc.path, loc.line, context)
        out.append(Part(loc, part.start, _PARAM_REF.sub(replace, part.text)))
    return out
