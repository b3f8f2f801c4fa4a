"""LSU: byte lanes and store data for every size and offset, load extraction and
sign extension, misaligned and out-of-range accesses."""

import random

from hw.oxcore.lsu import Lsu
from oxcore.config import PRESETS
from oxcore.retire import TrapCause
from tests.hw.oxcore.rtl_helpers import simulate

CONFIG = PRESETS["small"]
BASE = CONFIG.mem_base


def sext(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (((value & ((1 << bits) - 1)) ^ sign) - sign) & 0xFFFF_FFFF


def test_store_lanes_and_load_extraction():
    rnd = random.Random(5)
    dut = Lsu(CONFIG)

    async def bench(ctx):
        ctx.set(dut.store, 1)
        for size_log2 in range(3):
            size = 1 << size_log2
            for offset in range(0, 4, size):
                value = rnd.getrandbits(32)
                ctx.set(dut.addr, BASE + 0x40 + offset)
                ctx.set(dut.size_log2, size_log2)
                ctx.set(dut.store_data, value)
                assert not ctx.get(dut.fault)
                assert ctx.get(dut.bus_addr) == (BASE + 0x40) >> 2
                mask = ((1 << size) - 1) << offset
                assert ctx.get(dut.bus_wmask) == mask
                lanes = ctx.get(dut.bus_wdata)
                for lane in range(4):
                    if mask >> lane & 1:
                        shift = 8 * (lane - offset)
                        assert (lanes >> 8 * lane) & 0xFF == (value >> shift) & 0xFF
                assert ctx.get(dut.store_value) == value & ((1 << 8 * size) - 1)
        ctx.set(dut.store, 0)
        for _ in range(40):
            word = rnd.getrandbits(32)
            ctx.set(dut.bus_rdata, word)
            for size_log2 in range(3):
                bits = 8 << size_log2
                for offset in range(0, 4, 1 << size_log2):
                    raw = (word >> 8 * offset) & ((1 << bits) - 1)
                    ctx.set(dut.m_offset, offset)
                    ctx.set(dut.m_size_log2, size_log2)
                    for signed in (0, 1):
                        ctx.set(dut.m_signed, signed)
                        assert ctx.get(dut.load_raw) == raw
                        expect = sext(raw, bits) if signed else raw
                        assert ctx.get(dut.load_value) == expect, (hex(word), offset, bits)

    simulate(dut, bench, clock=False)


def test_faults():
    dut = Lsu(CONFIG)
    cases = [  # (load, store, addr, size_log2, cause or None)
        (1, 0, BASE, 2, None),
        (1, 0, BASE + 2, 2, TrapCause.LOAD_MISALIGNED),
        (1, 0, BASE + 1, 1, TrapCause.LOAD_MISALIGNED),
        (1, 0, BASE + 3, 0, None),
        (0, 1, BASE + 6, 2, TrapCause.STORE_MISALIGNED),
        (0, 1, BASE + 6, 1, None),
        (1, 0, BASE - 4, 2, TrapCause.LOAD_ACCESS_FAULT),
        (1, 0, BASE + CONFIG.mem_size, 0, TrapCause.LOAD_ACCESS_FAULT),
        (1, 0, BASE + CONFIG.mem_size - 4, 2, None),
        (0, 1, 0x1000_0000, 2, TrapCause.STORE_ACCESS_FAULT),
        (0, 1, 0x1000_0001, 2, TrapCause.STORE_MISALIGNED),  # misaligned checked first
        (0, 0, 0x1000_0001, 2, None),  # no access, no fault
    ]

    async def bench(ctx):
        for load, store, addr, size_log2, cause in cases:
            ctx.set(dut.load, load)
            ctx.set(dut.store, store)
            ctx.set(dut.addr, addr)
            ctx.set(dut.size_log2, size_log2)
            assert ctx.get(dut.fault) == (cause is not None), hex(addr)
            if cause is not None:
                assert ctx.get(dut.cause) == cause
                assert ctx.get(dut.bus_wmask) == 0

    simulate(dut, bench, clock=False)
