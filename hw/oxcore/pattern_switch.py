"""A `Switch` over many instruction patterns, nested on the bits they all fix.

The decoders derived from the ISA table match a word against hundreds of patterns
with don't-care bits (the vector extension alone has about 450). As one flat
``m.Switch(word)`` that is correct, but Yosys's ``proc_rmdead`` pass, which looks for
cases an earlier case already covers, slows down badly with the number of such cases
(two minutes for one flat vector decoder, and an engine has several). Nested on the
bits every pattern fixes (the major opcode first, then funct3, funct6 ...) each switch
has few cases, and the logic is the same: a word can only match a pattern whose fixed
key bits it has, so grouping by key keeps every row's first-match priority.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from amaranth import Cat, Module, Value

Row = TypeVar("Row")

#: Groups of at most this many patterns become one flat switch.
LEAF_SIZE = 8


def switch_patterns(m: Module, word: Value, rows: Sequence[tuple[str, Row]],
                    body: Callable[[Row], None],
                    default: Callable[[], None] | None = None) -> None:
    """For each ``(pattern, row)`` of `rows` (patterns MSB first, ``-`` for don't
    care, as `m.Case` takes them), emit `body(row)` under the condition that `word`
    matches it and no earlier pattern does; `default()` (if given) where none matches.
    Equivalent to one flat ``m.Switch(word)`` over `rows` in order."""
    _switch(m, word, list(rows), body, default, frozenset())


def fixed_bits(pattern: str) -> frozenset[int]:
    """Bit positions (0 = LSB) that `pattern` fixes."""
    return frozenset(len(pattern) - 1 - i for i, c in enumerate(pattern) if c != "-")


def _switch(m: Module, word: Value, rows: list, body, default, used: frozenset[int]) -> None:
    key = (frozenset.intersection(*(fixed_bits(p) for p, _ in rows)) - used
           if rows else frozenset())
    if len(rows) <= LEAF_SIZE or not key:
        with m.Switch(word):
            for pattern, row in rows:
                with m.Case(pattern):
                    body(row)
            if default is not None:
                with m.Default():
                    default()
        return
    positions = sorted(key)
    groups: dict[int, list] = {}
    for pattern, row in rows:
        value = sum(1 << i for i, bit in enumerate(positions)
                    if pattern[len(pattern) - 1 - bit] == "1")
        groups.setdefault(value, []).append((pattern, row))
    with m.Switch(Cat(word[bit] for bit in positions)):
        for value, group in groups.items():
            with m.Case(value):
                _switch(m, word, group, body, default, used | key)
        if default is not None:
            with m.Default():
                default()
