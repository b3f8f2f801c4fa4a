"""The access check's fast path (`VectorAccessCheck`, MEM's verdict that a load or store
cannot fault, whatever vl and v0 are) against the rule written out here in Python, for
every load and store row; the strided rule also against the addresses themselves.

The verdict shows as ``hold``: with the engine busy, an access the fast path cannot
clear waits for the scan (``hold`` high the cycle after it reaches WB), one it clears
does not. Cases cover bases in, near the end of, below and past RAM, misaligned bases
and strides, negative and huge strides, every EEW and segment field count."""

import random

from hw.oxcore.vector.access_check import VectorAccessCheck
from hw.oxcore.vector.decode import Kind, _packed, implemented
from oxcore.isa import isa_for
from tests.hw.oxcore.rtl_helpers import simulate
from tests.hw.oxcore.vector.test_vector_engine import config

EEW_CODE = {8: 0, 16: 1, 32: 2}


def _memory_rows(cfg):
    """Every vector load and store row."""
    return [(ins, uop) for ins, uop in implemented(isa_for(cfg))
            if uop.kind in (Kind.LOAD, Kind.STORE)]


def fast_path_clears(cfg, uop, word: int, base: int, stride: int) -> bool:
    """Indexed accesses never; strided ones by `cannot_fault`; unit-stride ones (their
    segment, fault-only-first, whole-register and mask forms too) when the base is
    element-aligned and the most they move (8 registers, one for vlm/vsm) fits."""
    if uop.indexed:
        return False
    if uop.strided and not uop.span:
        return cannot_fault(cfg, word, uop.eew, base, stride)
    offset = (base - cfg.mem_base) % 2**32
    vlenb = cfg.vector.vlen // 8
    reach = vlenb if uop.mask_access else 8 * vlenb
    return offset % (uop.eew // 8) == 0 and offset + reach <= cfg.mem_size


def _nf(word: int) -> int:
    return (word >> 29 & 7) + 1


def cannot_fault(cfg, word: int, eew: int, base: int, stride: int) -> bool:
    """The fast path's rule: base and stride element-aligned, and the most elements such
    an access can move (2^k, EMUL <= 8) within RAM, each with its nf fields."""
    size, esize = cfg.mem_size, eew // 8
    offset = (base - cfg.mem_base) % 2**32
    if offset % esize or stride % esize:
        return False
    k = (8 * cfg.vector.vlen // 8).bit_length() - 1 - EEW_CODE[eew]
    reach, span = abs(stride) << k, _nf(word) * esize
    if stride >= 0:
        return offset + reach + span <= size
    return offset >= reach and offset + span <= size


def _within_ram(cfg, word: int, eew: int, base: int, stride: int) -> bool:
    """Every field of elements 0 .. 2^k - 1 inside RAM (what the rule must imply)."""
    esize = eew // 8
    count = (8 * cfg.vector.vlen // 8) // esize
    for i in range(count):
        start = (base + i * stride) % 2**32
        if not cfg.mem_base <= start <= cfg.mem_base + cfg.mem_size - _nf(word) * esize:
            return False
    return True


def _cases(cfg, rng, count: int, rows):
    end = cfg.mem_base + cfg.mem_size
    for _ in range(count):
        ins, uop = rng.choice(rows)
        word = ins.match | (rng.getrandbits(32) & ~ins.mask)
        eew = uop.eew
        base = rng.choice([
            cfg.mem_base + rng.randrange(cfg.mem_size),
            end - rng.randrange(1, 4096), cfg.mem_base + rng.randrange(4096),
            cfg.mem_base - rng.randrange(1, 64), end + rng.randrange(64),
            rng.getrandbits(32)])
        if rng.random() < 0.8:
            base -= (base - cfg.mem_base) % (eew // 8)
        stride = rng.choice([rng.randrange(-64, 65), rng.randrange(-4096, 4097),
                             rng.randrange(-2**31, 2**31)])
        if rng.random() < 0.8:
            stride -= stride % (eew // 8)
        if rng.random() < 0.25:  # on the rule's edges: the far end at RAM's end or base
            k = (8 * cfg.vector.vlen // 8).bit_length() - 1 - EEW_CODE[eew]
            nudge = rng.choice([0, 0, eew // 8, -(eew // 8)])
            stride = rng.randrange(-512, 513) * (eew // 8)
            reach = abs(stride) << k
            if not uop.strided or uop.span:  # (unit-stride: its reach from the end)
                reach = cfg.vector.vlen // 8 * (1 if uop.mask_access else 8)
                stride = 0
            base = (end - reach - _nf(word) * eew // 8 * (uop.strided and not uop.span)
                    if stride >= 0 else cfg.mem_base + reach) + nudge
        yield ins, uop, word, eew, base % 2**32, stride


def _verdicts(cfg, cases) -> list[tuple]:
    dut = VectorAccessCheck(cfg.vector.vlen, cfg.vector.lanes, cfg.mem_base, cfg.mem_size)
    results = []

    async def bench(ctx):
        ctx.set(dut.idle, 0)
        for ins, uop, word, eew, base, stride in cases:
            for signal, value in ((dut.check.valid, 1), (dut.check.advance, 1),
                                  (dut.check.insn, word), (dut.check.rs1, base),
                                  (dut.check.rs2, stride % 2**32),
                                  (dut.uop.as_value(), _packed(uop))):
                ctx.set(signal, value)
            await ctx.tick()
            results.append((ins.mnemonic, eew, word, base, stride, not ctx.get(dut.hold)))
            ctx.set(dut.check.valid, 0)  # (back to IDLE: nothing checked)
            await ctx.tick()

    simulate(dut, bench)
    return results


def test_the_width_field_gives_every_memory_rows_eew():
    """The fast path takes the element width from the width field (insn[14:12]), not
    from MEM's decoder: that must be the row's EEW for every load and store."""
    cfg = config(128, 2)
    by_field = {0b000: 8, 0b101: 16, 0b110: 32}
    assert all(by_field.get(ins.match >> 12 & 7) == uop.eew
               for ins, uop in _memory_rows(cfg))


def test_fast_path_follows_its_rule():
    cfg = config(128, 2)
    cases = list(_cases(cfg, random.Random(5), 3000, _memory_rows(cfg)))
    results = _verdicts(cfg, cases)
    wrong = [r for r, (_, uop, *_) in zip(results, cases)
             if r[-1] != fast_path_clears(cfg, uop, r[2], r[3], r[4])]
    assert not wrong, wrong[:5]
    cleared = sum(r[-1] for r in results)
    assert 400 < cleared < len(results) - 400, cleared  # (both verdicts, often)
    assert {r[0] for r in results if r[-1]} >= {"vle8.v", "vlse32.v", "vsm.v", "vl8re8.v",
                                                "vssseg2e16.v"}


def test_the_rule_keeps_every_element_in_ram():
    cfg = config(128, 2)
    rng = random.Random(6)
    strided = [(ins, uop) for ins, uop in _memory_rows(cfg)
               if uop.strided and not uop.indexed and not uop.span]
    cases = list(_cases(cfg, rng, 3000, strided))
    cleared = [c for c in cases if cannot_fault(cfg, c[2], c[3], c[4], c[5])]
    assert len(cleared) > 300
    assert all(_within_ram(cfg, word, eew, base, stride)
               for _, _, word, eew, base, stride in cleared)
