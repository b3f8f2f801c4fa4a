"""Source text -> statements -> tokens, keeping every token's column for error messages.

Comments (``#``, ``//``, ``/* */``) are blanked out with spaces rather than removed, so
columns stay those of the original line; ``;`` then splits a line into statements.
Source bytes are decoded as Latin-1 so that strings re-encode to exactly the bytes the
user wrote (UTF-8 text in ``.ascii`` included) and columns count bytes, as LLVM does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from oxcore.errors import SourceError

IDENT, NUMBER, LOCALREF, STRING, PUNCT = "ident", "number", "localref", "string", "punct"

_IDENT_START = re.compile(r"[A-Za-z_.$]")
_IDENT = re.compile(r"[A-Za-z0-9_.$]+")
_WORD = re.compile(r"[0-9][A-Za-z0-9_]*")
_TWO_CHAR_PUNCT = ("<<", ">>")
_PUNCT = set("()[],:+-*/%&|^~=@!<>")
_ESCAPES = {"b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "a": 7, "e": 27,
            '"': 34, "'": 39, "\\": 92}


@dataclass(frozen=True)
class Location:
    """A statement's place: file and 1-based line (columns travel with tokens), and for a
    statement that a macro expansion made, which macro and where it was used."""

    path: str
    line: int
    context: str = ""

    def error(self, message: str, col: int) -> SourceError:
        if self.context:
            message = f"{message} ({self.context})"
        return SourceError(message, self.path, self.line, col)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    col: int  # 1-based column of the first character
    value: int | bytes | None = None  # NUMBER: int; STRING: decoded bytes

    @property
    def end_col(self) -> int:
        return self.col + len(self.text)


@dataclass(frozen=True)
class Statement:
    """One statement's tokens (without comments) and where it is."""

    loc: Location
    tokens: tuple[Token, ...]
    end_col: int  # column just after the statement, for "missing ..." errors


def blank_comments(source: str, path: str) -> list[str]:
    """Lines with comments replaced by spaces; strings and char literals are kept."""
    out: list[str] = []
    in_block = False
    block_start = (0, 0)
    for lineno, line in enumerate(source.split("\n"), start=1):
        chars = list(line.rstrip("\r"))
        i = 0
        quote = ""
        while i < len(chars):
            ch = chars[i]
            if in_block:
                if ch == "*" and i + 1 < len(chars) and chars[i + 1] == "/":
                    chars[i] = chars[i + 1] = " "
                    in_block = False
                    i += 2
                    continue
                chars[i] = " "
            elif quote:
                if ch == "\\":
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "#" or (ch == "/" and i + 1 < len(chars) and chars[i + 1] == "/"):
                chars[i:] = " " * (len(chars) - i)
                break
            elif ch == "/" and i + 1 < len(chars) and chars[i + 1] == "*":
                in_block = True
                block_start = (lineno, i + 1)
                chars[i] = chars[i + 1] = " "
                i += 2
                continue
            i += 1
        out.append("".join(chars))
    if in_block:
        raise SourceError("unterminated /* comment", path, *block_start)
    return out


def split_semicolons(line: str) -> Iterator[tuple[int, str]]:
    """(start index, text) of each ';'-separated part, ignoring ';' in quotes."""
    start = 0
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == ";":
            yield start, line[start:i]
            start = i + 1
        i += 1
    yield start, line[start:]


def decode_escapes(body: str, loc: Location, col: int) -> bytes:
    """The bytes of a string literal body (between the quotes) starting at column `col`."""
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out += ch.encode("latin-1")
            i += 1
            continue
        if i + 1 >= len(body):
            raise loc.error("bad escape: string ends with a backslash", col + i)
        nxt = body[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", body[i + 1:]).group(0)
            out.append(int(digits, 8) & 0xFF)
            i += 1 + len(digits)
        elif nxt in "xX":
            m = re.match(r"[0-9A-Fa-f]+", body[i + 2:])
            if m is None:
                raise loc.error("bad escape '\\x': expected hex digits", col + i)
            out.append(int(m.group(0), 16) & 0xFF)
            i += 2 + len(m.group(0))
        else:
            raise loc.error(f"bad escape sequence '\\{nxt}' in string", col + i)
    return bytes(out)


def _string_end(text: str, start: int, quote: str) -> int:
    """Index of the closing quote of the literal opening at `start`, or -1."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    return -1


def _number(word: str, loc: Location, col: int) -> Token:
    """Decimal, 0x hex, 0b binary, 0-prefixed octal; ``1f``/``1b`` are local label refs."""
    if re.fullmatch(r"[0-9]+[fb]", word) and not re.fullmatch(r"0[bB][01]+", word):
        return Token(LOCALREF, word, col)
    lower = word.lower()
    try:
        if lower.startswith("0x"):
            value = int(lower[2:], 16)
        elif lower.startswith("0b"):
            value = int(lower[2:], 2)
        elif len(lower) > 1 and lower.startswith("0"):
            value = int(lower[1:], 8)
        else:
            value = int(lower, 10)
    except ValueError:
        shown = word if len(word) <= 24 else word[:20] + "..."
        raise loc.error(f"invalid number '{shown}'", col) from None
    return Token(NUMBER, word, col, value)


def tokenize(text: str, loc: Location, offset: int = 0) -> list[Token]:
    """Tokens of one statement; `offset` is the statement's index in its line."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        col = offset + i + 1
        if ch.isspace():
            i += 1
        elif _IDENT_START.match(ch):
            word = _IDENT.match(text, i).group(0)
            tokens.append(Token(IDENT, word, col))
            i += len(word)
        elif ch.isdigit():
            word = _WORD.match(text, i).group(0)
            tokens.append(_number(word, loc, col))
            i += len(word)
        elif ch in "\"'":
            end = _string_end(text, i, ch)
            if end < 0:
                what = "string" if ch == '"' else "character literal"
                raise loc.error(f"unterminated {what}", col)
            body = decode_escapes(text[i + 1:end], loc, col + 1)
            if ch == '"':
                tokens.append(Token(STRING, text[i:end + 1], col, body))
            elif len(body) != 1:
                raise loc.error("character literal must hold exactly one character", col)
            else:
                tokens.append(Token(NUMBER, text[i:end + 1], col, body[0]))
            i = end + 1
        elif text[i:i + 2] in _TWO_CHAR_PUNCT:
            tokens.append(Token(PUNCT, text[i:i + 2], col))
            i += 2
        elif ch in _PUNCT:
            tokens.append(Token(PUNCT, ch, col))
            i += 1
        else:
            shown = f"'{ch}'" if ch.isprintable() else f"{ord(ch):#04x}"
            raise loc.error(f"unexpected character {shown}", col)
    return tokens


def split_commas(tokens: tuple[Token, ...] | list[Token]) -> list[list[Token]]:
    """Operands: token groups separated by commas outside parentheses ([] if none)."""
    if not tokens:
        return []
    groups: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.kind == PUNCT and tok.text == "(":
            depth += 1
        elif tok.kind == PUNCT and tok.text == ")":
            depth -= 1
        if tok.kind == PUNCT and tok.text == "," and depth == 0:
            groups.append([])
        else:
            groups[-1].append(tok)
    return groups
