"""Banked RAM: wide and narrow ports on interleaved banks; the scalar port has each
bank's side A to itself (never refused, never refusing an engine); engine ports on
overlapping banks stall the lower-priority one, disjoint ones proceed together; widths
come from the config."""

import random

import pytest
from amaranth.hdl import Fragment

from hw.oxcore.banked_ram import BankedRam
from oxcore.config import PRESETS, TensorConfig, VectorConfig
from tests.hw.oxcore.rtl_helpers import simulate

DEPTH = 64


def test_for_config_port_widths():
    scalar = BankedRam.for_config(PRESETS["small"])
    assert scalar.port_bits == (32,) and scalar.banks == 1
    both = BankedRam.for_config(PRESETS["small"].replace(
        vector=VectorConfig(lanes=4), tensor=TensorConfig(port_bits=256)))
    assert both.port_bits == (32, 128, 256) and both.banks == 8
    assert both.port1.signature.data_width == 128 and both.port2.signature.addr_width == 27
    for ram in (scalar, both):
        Fragment.get(ram, None)  # elaborates
    with pytest.raises(ValueError):
        BankedRam(4, [256])


def test_engine_conflicts_stall_and_the_scalar_port_never_conflicts():
    dut = BankedRam(DEPTH, [32, 128, 128], init=list(range(DEPTH)))
    scalar, wide, other = dut.ports

    async def bench(ctx):
        ctx.set(scalar.valid, 1)
        ctx.set(scalar.addr, 5)  # bank 1 (side A)
        ctx.set(wide.valid, 1)
        ctx.set(wide.addr, 1)  # words 4..7: banks 0..3 (side B), bank 1 too
        ctx.set(other.valid, 1)
        ctx.set(other.addr, 1)  # same banks as `wide`: loses to it
        assert [ctx.get(p.ready) for p in dut.ports] == [1, 1, 0]
        await ctx.tick()
        assert ctx.get(scalar.rvalid) and ctx.get(scalar.rdata) == 5
        assert ctx.get(wide.rvalid) and not ctx.get(other.rvalid)
        assert ctx.get(wide.rdata) == 4 | 5 << 32 | 6 << 64 | 7 << 96
        ctx.set(wide.addr, 2)  # banks 0..3 again, rows apart: `other` still waits
        assert not ctx.get(other.ready)
        ctx.set(wide.valid, 0)
        ctx.set(scalar.addr, 6)  # the bank `other` reads (word 6): both sides at once
        assert ctx.get(other.ready)
        await ctx.tick()
        assert ctx.get(other.rdata) == 4 | 5 << 32 | 6 << 64 | 7 << 96
        assert ctx.get(scalar.rdata) == 6

    simulate(dut, bench)


def test_random_traffic_matches_a_model():
    """Random reads and byte-masked writes on three ports against a flat word array. As
    memory order guarantees (`hw.oxcore.banked_ram`), the scalar port never writes a
    word an engine port accesses in the same cycle, nor reads one an engine writes."""
    dut = BankedRam(DEPTH, [32, 64, 128], init=[0x1111_0000 + i for i in range(DEPTH)])
    rnd = random.Random(3)

    async def bench(ctx):
        model = [0x1111_0000 + i for i in range(DEPTH)]
        for _ in range(300):
            requests = {}
            for i, port in enumerate(dut.ports):
                k = port.signature.words
                if rnd.random() < 0.6:
                    req = dict(addr=rnd.randrange(DEPTH // k), write=rnd.random() < 0.4,
                               mask=rnd.getrandbits(4 * k), wdata=rnd.getrandbits(32 * k))
                    requests[i] = req
                    for name, value in req.items():
                        ctx.set(getattr(port, name), value)
                ctx.set(port.valid, i in requests)
            if 0 in requests:  # keep the scalar request off the engines' words
                engines = [(r["addr"] * dut.ports[i].signature.words,
                            dut.ports[i].signature.words, r["write"])
                           for i, r in requests.items() if i]
                scalar = requests[0]
                if any(base <= scalar["addr"] < base + k and (write or scalar["write"])
                       for base, k, write in engines):
                    del requests[0]
                    ctx.set(dut.ports[0].valid, 0)
            accepted = {i: r for i, r in requests.items() if ctx.get(dut.ports[i].ready)}
            used = set()  # the accepted engine requests' banks must be disjoint
            for i, req in sorted(accepted.items()):
                if i == 0:
                    continue
                k = dut.ports[i].signature.words
                banks = {(req["addr"] * k + lane) % dut.banks for lane in range(k)}
                assert not banks & used
                used |= banks
            assert 0 in accepted or 0 not in requests  # port 0 is never refused
            reads = {}
            for i, req in accepted.items():
                k = dut.ports[i].signature.words
                base = req["addr"] * k
                if req["write"]:
                    for lane in range(k):
                        for byte in range(4):
                            if req["mask"] >> (4 * lane + byte) & 1:
                                shift = 8 * byte
                                value = (req["wdata"] >> (32 * lane + shift)) & 0xFF
                                word = model[base + lane] & ~(0xFF << shift)
                                model[base + lane] = word | value << shift
                else:
                    reads[i] = sum(model[base + lane] << (32 * lane) for lane in range(k))
            await ctx.tick()
            for i, port in enumerate(dut.ports):
                assert ctx.get(port.rvalid) == (i in reads)
                if i in reads:
                    assert ctx.get(port.rdata) == reads[i]

    simulate(dut, bench)
