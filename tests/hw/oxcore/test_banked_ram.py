"""Banked RAM: wide and narrow ports on interleaved banks; the scalar port has each
bank's side A to itself (never refused, never refusing an engine); engine ports on
overlapping banks stall the lower-priority one, disjoint ones proceed together; a
staged port's requests reach the banks a cycle late and its reads answer in
STAGED_READ_LATENCY cycles; widths and stages come from the config."""

import random

import pytest
from amaranth.hdl import Fragment

from hw.oxcore.banked_ram import STAGED_READ_LATENCY, BankedRam
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
    assert both.staged == (False, False, True)  # (the tensor engine's port_stage)
    assert [both.read_latency(i) for i in range(3)] == [1, 1, STAGED_READ_LATENCY]
    for ram in (scalar, both):
        Fragment.get(ram, None)  # elaborates
    with pytest.raises(ValueError):
        BankedRam(4, [256])
    with pytest.raises(ValueError, match="port 0"):
        BankedRam(64, [32, 128], staged=[True, True])


def test_a_staged_port_answers_later_and_its_stage_holds_its_banks():
    """Port 1 staged: its read answers STAGED_READ_LATENCY cycles after it was accepted
    (the others' the next cycle); in the cycle it is accepted it does not meet an
    unstaged port on the same banks (its request reaches them a cycle later), in the
    next one it refuses that port; its write lands a cycle after it was accepted."""
    dut = BankedRam(DEPTH, [32, 128, 128], init=list(range(DEPTH)), staged=[False, True])
    scalar, staged, other = dut.ports

    async def bench(ctx):
        for port, addr in ((scalar, 5), (staged, 1), (other, 1)):
            ctx.set(port.valid, 1)
            ctx.set(port.addr, addr)
        assert [ctx.get(p.ready) for p in dut.ports] == [1, 1, 1]
        await ctx.tick()
        assert ctx.get(scalar.rvalid) and ctx.get(scalar.rdata) == 5
        assert ctx.get(other.rvalid) and not ctx.get(staged.rvalid)
        assert ctx.get(other.rdata) == 4 | 5 << 32 | 6 << 64 | 7 << 96
        assert not ctx.get(other.ready)  # port 1's read reaches banks 0..3 now
        ctx.set(staged.write, 1)  # words 4..7 again: 0x55 into word 4's low byte
        ctx.set(staged.mask, 0x1)
        ctx.set(staged.wdata, 0x55)
        ctx.set(other.valid, 0)
        ctx.set(scalar.addr, 4)
        for cycle in range(1, STAGED_READ_LATENCY):
            assert not ctx.get(staged.rvalid), cycle
            await ctx.tick()
            ctx.set(staged.valid, 0)
            if cycle == 1:  # (the write reaches the banks in this cycle)
                assert ctx.get(scalar.rdata) == 4
        assert ctx.get(staged.rvalid)
        assert ctx.get(staged.rdata) == 4 | 5 << 32 | 6 << 64 | 7 << 96
        await ctx.tick()  # (the scalar read of this cycle sees the write)
        assert not ctx.get(staged.rvalid) and ctx.get(scalar.rdata) == 0x55

    simulate(dut, bench)


@pytest.mark.parametrize("staged", [(), (False, True), (False, True, True)])
def test_random_traffic_matches_a_model(staged):
    """Random reads and byte-masked writes on three ports against a flat word array
    (staged ports: their requests reach the banks a cycle late, their reads answer in
    STAGED_READ_LATENCY cycles). As memory order guarantees (`hw.oxcore.banked_ram`),
    the scalar port never writes a word an engine request reaches the banks with in the
    same cycle, nor reads one an engine writes then."""
    dut = BankedRam(DEPTH, [32, 64, 128], init=[0x1111_0000 + i for i in range(DEPTH)],
                    staged=staged)
    rnd = random.Random(3)

    def words(i: int, req: dict) -> range:
        k = dut.ports[i].signature.words
        return range(req["addr"] * k, req["addr"] * k + k)

    def access(model: list, i: int, req: dict) -> int | None:
        """Apply a request to the model; a read's value."""
        k, base = dut.ports[i].signature.words, req["addr"] * dut.ports[i].signature.words
        if not req["write"]:
            return sum(model[base + lane] << (32 * lane) for lane in range(k))
        for lane in range(k):
            for byte in range(4):
                if req["mask"] >> (4 * lane + byte) & 1:
                    shift = 8 * byte
                    value = (req["wdata"] >> (32 * lane + shift)) & 0xFF
                    model[base + lane] = model[base + lane] & ~(0xFF << shift) | value << shift
        return None

    async def bench(ctx):
        model = [0x1111_0000 + i for i in range(DEPTH)]
        late = {}  # staged ports' requests accepted last cycle: they reach the banks now
        due = [{}, {}]  # the reads answered after the next tick and after the one after
        for cycle in range(300):
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
            at_banks = {**{i: r for i, r in requests.items() if i and not dut.staged[i]},
                        **late}
            if 0 in requests:  # keep the scalar request off the engines' words there
                scalar = requests[0]
                if any(scalar["addr"] in words(i, r) and (r["write"] or scalar["write"])
                       for i, r in at_banks.items()):
                    del requests[0]
                    ctx.set(dut.ports[0].valid, 0)
            accepted = {i: r for i, r in requests.items() if ctx.get(dut.ports[i].ready)}
            assert 0 in accepted or 0 not in requests  # port 0 is never refused
            now = {i: r for i, r in accepted.items() if not dut.staged[i]} | late
            used = set()  # the engine requests reaching the banks now: disjoint banks
            for i, req in sorted(now.items()):
                if i:
                    banks = {w % dut.banks for w in words(i, req)}
                    assert not banks & used
                    used |= banks
            for i, req in sorted(now.items()):
                if (value := access(model, i, req)) is not None:
                    due[1 if dut.staged[i] else 0][i] = value
            late = {i: r for i, r in accepted.items() if dut.staged[i]}
            await ctx.tick()
            delivered = due.pop(0)
            due.append({})
            for i, port in enumerate(dut.ports):
                assert ctx.get(port.rvalid) == (i in delivered), (cycle, i)
                if i in delivered:
                    assert ctx.get(port.rdata) == delivered[i], (cycle, i)

    simulate(dut, bench)
