"""RAM: initial image from a Program's segments, fetch port, byte-enable writes."""

from hw.oxcore.memory import Ram, image_words
from oxcore.config import PRESETS
from oxcore.program import Program, Segment
from tests.hw.oxcore.rtl_helpers import simulate

CONFIG = PRESETS["small"]
BASE = CONFIG.mem_base


def _program() -> Program:
    return Program("<t>", BASE, [
        Segment(BASE, bytes(range(1, 9)), 8, True),
        Segment(BASE + 0x100, b"\xaa\xbb\xcc", 16, False),  # .bss tail reads zero
    ])


def test_image_words():
    words = image_words(CONFIG, _program())
    assert words[0] == 0x04030201 and words[1] == 0x08070605
    assert words[0x40] == 0x00CCBBAA and len(words) == 0x41


def test_ports():
    dut = Ram(CONFIG, _program())

    async def bench(ctx):
        ctx.set(dut.fetch.en, 1)
        ctx.set(dut.fetch.addr, BASE >> 2 | 1)  # high address bits are ignored
        await ctx.tick()
        assert ctx.get(dut.fetch.data) == 0x08070605
        ctx.set(dut.fetch.en, 0)
        ctx.set(dut.fetch.addr, 0)
        await ctx.tick()
        assert ctx.get(dut.fetch.data) == 0x08070605  # held while not enabled
        # write bytes 1 and 2 of word 0, then read it back (reads see old data first)
        # (the data port: bus.SCALAR_PORT; a write, then a read of the same word)
        ctx.set(dut.data.addr, 0)
        ctx.set(dut.data.valid, 1)
        ctx.set(dut.data.write, 0)
        await ctx.tick()
        ctx.set(dut.data.write, 1)
        ctx.set(dut.data.mask, 0b0110)
        ctx.set(dut.data.wdata, 0x11223344)
        assert ctx.get(dut.data.ready) and ctx.get(dut.data.rvalid)
        await ctx.tick()
        ctx.set(dut.data.write, 0)
        ctx.set(dut.data.mask, 0)
        assert ctx.get(dut.data.rdata) == 0x04030201
        await ctx.tick()
        assert ctx.get(dut.data.rdata) == 0x04223301

    simulate(dut, bench)
