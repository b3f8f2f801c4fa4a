"""`switch_patterns` matches exactly as one flat switch in order would: first match wins,
even among overlapping patterns, and the default where none matches."""

import random

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.pattern_switch import LEAF_SIZE, switch_patterns
from tests.hw.oxcore.rtl_helpers import simulate

WIDTH = 12
NONE = 255


def _patterns(rnd: random.Random, count: int) -> list[str]:
    """Patterns that all fix the low 3 bits (a major opcode), most fix 3 more (a funct
    field), the rest of their bits don't-care at random: many overlap."""
    patterns = []
    for _ in range(count):
        bits = [rnd.choice("01-") if rnd.random() < 0.5 else "-" for _ in range(WIDTH)]
        bits[-3:] = [rnd.choice("01") for _ in range(3)]
        if rnd.random() < 0.8:
            bits[-6:-3] = [rnd.choice("01") for _ in range(3)]
        patterns.append("".join(bits))
    return patterns


def _first_match(patterns: list[str], word: int) -> int:
    text = format(word, f"0{WIDTH}b")
    for index, pattern in enumerate(patterns):
        if all(p in ("-", t) for p, t in zip(pattern, text)):
            return index
    return NONE


class _Matcher(wiring.Component):
    word: In(WIDTH)
    index: Out(8)

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = patterns
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()
        switch_patterns(m, self.word, [(p, i) for i, p in enumerate(self.patterns)],
                        lambda i: m.d.comb.__iadd__(self.index.eq(i)),
                        lambda: m.d.comb.__iadd__(self.index.eq(NONE)))
        return m


def test_nested_switch_is_the_flat_switch_on_every_word():
    rnd = random.Random(7)
    patterns = _patterns(rnd, 60)
    assert len(patterns) > 4 * LEAF_SIZE  # deep enough to nest more than once
    expected = [_first_match(patterns, word) for word in range(1 << WIDTH)]
    assert NONE in expected and len(set(expected)) > 20  # overlaps and misses both occur
    dut = _Matcher(patterns)

    async def bench(ctx):
        for word in range(1 << WIDTH):
            ctx.set(dut.word, word)
            assert ctx.get(dut.index) == expected[word], (format(word, f"0{WIDTH}b"))

    simulate(dut, bench, clock=False)
