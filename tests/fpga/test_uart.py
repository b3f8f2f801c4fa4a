"""UART transmitter (pysim) decoded back to bytes; the decoder and the baud divisor."""

from __future__ import annotations

import pytest
from amaranth.sim import Simulator

from fpga.uart import FRAME_BITS, UARTTransmitter, baud_divisor, decode_uart


def _send(data: bytes, divisor: int, gap: int = 0) -> tuple[list[int], list[int]]:
    """Feed ``data`` through the stream input (``gap`` idle cycles between bytes); return
    the line per cycle and the cycles at which each byte was accepted."""
    dut = UARTTransmitter(divisor)
    line: list[int] = []
    accepted: list[int] = []

    async def testbench(ctx):
        cycle = 0

        async def tick():
            nonlocal cycle
            await ctx.tick()
            line.append(ctx.get(dut.tx))
            cycle += 1

        for _ in range(3):
            await tick()
        for byte in data:
            ctx.set(dut.data.payload, byte)
            ctx.set(dut.data.valid, 1)
            while not ctx.get(dut.data.ready):
                await tick()
            accepted.append(cycle)
            await tick()
            ctx.set(dut.data.valid, 0)
            for _ in range(gap):
                await tick()
        for _ in range((FRAME_BITS + 2) * divisor):
            await tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    return line, accepted


@pytest.mark.parametrize("divisor", [2, 3, 4, 7, 16])
def test_round_trip_back_to_back(divisor):
    data = bytes([0x00, 0xFF, 0x55, 0xAA, 0x01, 0x80]) + b"hello\n"
    line, accepted = _send(data, divisor)
    assert decode_uart(line, divisor) == data
    # Back to back: one frame (10 bit times) plus one cycle of handshake per byte.
    gaps = {b - a for a, b in zip(accepted, accepted[1:])}
    assert gaps == {FRAME_BITS * divisor + 1}


def test_line_idles_high_and_frame_shape():
    divisor = 5
    line, accepted = _send(b"\x5a", divisor, gap=0)
    # line[i] is sampled after clock edge i+1: the start bit appears right after the
    # edge that accepted the byte.
    start = accepted[0]
    assert line[:start] == [1] * start
    bits = [line[start + i * divisor] for i in range(FRAME_BITS)]
    # start bit, 0x5a LSB first, stop bit; each held for `divisor` cycles
    assert bits == [0, 0, 1, 0, 1, 1, 0, 1, 0, 1]
    for i in range(FRAME_BITS):
        assert len(set(line[start + i * divisor:start + (i + 1) * divisor])) == 1
    assert set(line[start + FRAME_BITS * divisor:]) == {1}


def test_gaps_between_bytes():
    line, _ = _send(b"AB", 4, gap=13)
    assert decode_uart(line, 4) == b"AB"


def test_decoder_rejects_framing_error_and_cut_frames():
    divisor = 4
    line, _ = _send(b"Z", divisor)
    stop = line.index(0) + 9 * divisor + divisor // 2
    broken = line[:stop] + [0] * divisor + line[stop + divisor:]
    with pytest.raises(ValueError, match="framing"):
        decode_uart(broken, divisor)
    with pytest.raises(ValueError, match="cut off"):
        decode_uart(line[:line.index(0) + 5 * divisor], divisor)
    assert decode_uart(line[:line.index(0) + 5 * divisor], divisor, strict=False) == b""


def test_baud_divisor():
    assert baud_divisor(25e6, 115_200) == 217
    assert baud_divisor(12e6, 115_200) == 104
    assert baud_divisor(48e6, 115_200) == 417
    assert baud_divisor(100e6, 115_200) == 868
    with pytest.raises(ValueError, match="too fast"):
        baud_divisor(1e6, 1_000_000)
    with pytest.raises(ValueError, match="off by"):
        baud_divisor(1e6, 300_000)      # 1e6/3 = 333 kBd: 11 % off
