"""UART boot loader: send a new program to a running board without rebuilding.

The host (`python -m fpga load`, `send_program`) sends one frame at the UART's rate:

    "OXLD"  entry (4 bytes)  nwords (4)  image (4 * nwords)  crc (4)

all little-endian: the pc to start at, the number of 32-bit words of the image, the
RAM image from `mem_base` (every `PT_LOAD` segment's bytes, zero between them), and
the CRC-32 (zlib's) of everything between the magic and the CRC. The SoC watches its
UART input all the time; on the magic it holds the core (and the syscall unit) in
reset, writes each word into RAM through the data port as it arrives, then checks the
CRC. If it matches, the rest of RAM is zeroed (the interpreter starts with zeroed
memory), the loader answers ``load ok\\n`` and the core starts at ``entry``; if not,
or ``nwords`` is larger than RAM, it answers ``load error\\n`` and keeps the core in
reset until a good frame arrives. The entry register is not reset, so the reset button
re-runs the loaded program.

`UARTReceiver` is the 8N1 receiver (the counterpart of `fpga.uart.UARTTransmitter`).
"""

from __future__ import annotations

import struct
import zlib

from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import cdc, stream, wiring
from amaranth.lib.wiring import In, Out

from oxcore.config import OxCoreConfig
from oxcore.program import Program

MAGIC = b"OXLD"
OK_TEXT = b"load ok\n"
ERROR_TEXT = b"load error\n"

WRITE_BUS = wiring.Signature({"addr": Out(30), "wmask": Out(4), "wdata": Out(32)})


def image_bytes(config: OxCoreConfig, program: Program) -> bytes:
    """The program's RAM image from `mem_base` up to the end of its last segment's
    initialised bytes, padded to whole words."""
    end = max((seg.addr + len(seg.data) for seg in program.segments), default=config.mem_base)
    image = bytearray(end - config.mem_base)
    for seg in program.segments:
        offset = seg.addr - config.mem_base
        if offset < 0 or offset + seg.mem_size > config.mem_size:
            raise ValueError(f"segment at {seg.addr:#x} outside RAM")
        image[offset:offset + len(seg.data)] = seg.data
    image += bytes(-len(image) % 4)
    return bytes(image)


def load_frame(config: OxCoreConfig, program: Program) -> bytes:
    """The bytes the host sends to load `program`."""
    image = image_bytes(config, program)
    body = struct.pack("<II", program.entry, len(image) // 4) + image
    return MAGIC + body + struct.pack("<I", zlib.crc32(body))


class UARTReceiver(wiring.Component):
    """8N1 receiver: ``data`` carries each received byte for one cycle (``valid``);
    frames with a low stop bit are dropped. ``rx`` is synchronised here."""

    def __init__(self, divisor: int) -> None:
        if divisor < 4:
            raise ValueError(f"UART receiver divisor must be >= 4, got {divisor}")
        self.divisor = divisor
        super().__init__({"rx": In(1, init=1), "data": Out(stream.Signature(8))})

    def elaborate(self, platform) -> Module:
        m = Module()
        rx = Signal(init=1)
        m.submodules.sync = cdc.FFSynchronizer(self.rx, rx, init=1)
        timer = Signal(range(self.divisor))
        bits = Signal(range(9))
        shreg = Signal(8)
        m.d.comb += self.data.payload.eq(shreg)
        with m.FSM(name="uart_rx"):
            with m.State("IDLE"):
                with m.If(~rx):
                    m.d.sync += timer.eq(self.divisor // 2 - 1)
                    m.next = "START"
            with m.State("START"):  # to the middle of the start bit
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Elif(rx):  # a glitch
                    m.next = "IDLE"
                with m.Else():
                    m.d.sync += [timer.eq(self.divisor - 1), bits.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [shreg.eq(Cat(shreg[1:], rx)), bits.eq(bits + 1),
                                 timer.eq(self.divisor - 1)]
                    with m.If(bits == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.comb += self.data.valid.eq(rx)
                    m.next = "IDLE"
        return m


class BootLoader(wiring.Component):
    """Receives load frames (`rx` bytes), writes RAM through `bus` while `busy` (hold
    the core), answers on `tx`. `entry` is where the core starts."""

    def __init__(self, config: OxCoreConfig, entry: int) -> None:
        self.depth = config.mem_size // 4
        self.index_bits = self.depth.bit_length() - 1
        self.word_base = config.mem_base >> 2
        self.initial_entry = entry
        super().__init__({
            "rx": In(stream.Signature(8)),
            "bus": Out(WRITE_BUS),
            "tx": Out(stream.Signature(8)),
            "busy": Out(1),
            "loading": Out(1),  # a frame is being received
            "failed": Out(1),  # the last frame was bad: the core waits for a good one
            "entry": Out(32),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        byte = self.rx.payload
        got = self.rx.valid
        m.d.comb += self.rx.ready.eq(1)

        entry = Signal(32, init=self.initial_entry, reset_less=True)  # survives reset
        m.d.comb += self.entry.eq(entry)
        failed = Signal()
        m.d.comb += self.failed.eq(failed)

        # The last four bytes received, for the magic and the little-endian words.
        window = Signal(32)
        with m.If(got):
            m.d.sync += window.eq(Cat(window[8:], byte))
        word = Cat(window[8:], byte)  # the word completed by this byte
        count = Signal(2)  # bytes of the current word received
        nwords = Signal(range(self.depth + 1))
        index = Signal(range(self.depth + 1))
        m.d.comb += self.bus.addr.eq(Cat(index[:self.index_bits],
                                         Const(self.word_base >> self.index_bits,
                                               30 - self.index_bits)))

        # CRC-32 (zlib), one bit per cycle, eight cycles per byte (bytes are far apart).
        crc = Signal(32)
        crc_byte = Signal(8)
        crc_bits = Signal(range(9))
        with m.If(crc_bits != 0):
            feedback = crc[0] ^ crc_byte[0]
            m.d.sync += [crc.eq((crc >> 1) ^ Mux(feedback, 0xEDB8_8320, 0)),
                         crc_byte.eq(crc_byte >> 1), crc_bits.eq(crc_bits - 1)]

        def crc_add():
            m.d.sync += [crc_byte.eq(byte), crc_bits.eq(8)]

        # Framing, common to the states that receive the frame's words (the ones that
        # set `loading`): count the bytes of each word; `word_done` on its fourth.
        word_done = Signal()
        m.d.comb += word_done.eq(self.loading & got & (count == 3))
        with m.If(self.loading & got):
            m.d.sync += count.eq(count + 1)

        message = Signal(range(max(len(OK_TEXT), len(ERROR_TEXT)) + 1))
        ok_chars = Array(Const(c, 8) for c in OK_TEXT)
        error_chars = Array(Const(c, 8) for c in ERROR_TEXT)

        m.d.comb += self.busy.eq(1)  # every state but HUNT holds the core
        with m.FSM(name="bootload"):
            with m.State("HUNT"):
                m.d.comb += self.busy.eq(failed)
                with m.If(got & (word == int.from_bytes(MAGIC, "little"))):
                    m.d.sync += [count.eq(0), crc.eq(0xFFFF_FFFF), failed.eq(0)]
                    m.next = "ENTRY"
            with m.State("ENTRY"):
                m.d.comb += self.loading.eq(1)
                with m.If(got):
                    crc_add()
                with m.If(word_done):  # (a bad frame keeps the core in reset)
                    m.d.sync += entry.eq(word)
                    m.next = "COUNT"
            with m.State("COUNT"):
                m.d.comb += self.loading.eq(1)
                with m.If(got):
                    crc_add()
                with m.If(word_done):
                    m.d.sync += [nwords.eq(word), index.eq(0)]
                    with m.If(word > self.depth):
                        m.d.sync += [failed.eq(1), message.eq(0)]
                        m.next = "SAY_ERROR"
                    with m.Elif(word == 0):
                        m.next = "CRC"
                    with m.Else():
                        m.next = "IMAGE"
            with m.State("IMAGE"):
                m.d.comb += self.loading.eq(1)
                with m.If(got):
                    crc_add()
                with m.If(word_done):
                    m.d.comb += [self.bus.wmask.eq(0b1111), self.bus.wdata.eq(word)]
                    m.d.sync += index.eq(index + 1)
                    with m.If(index + 1 == nwords):
                        m.next = "CRC"
            with m.State("CRC"):  # its own bytes are not checksummed
                m.d.comb += self.loading.eq(1)
                with m.If(word_done):
                    m.next = "CHECK"
            with m.State("CHECK"):  # the CRC engine has finished the last byte long ago
                with m.If((crc ^ 0xFFFF_FFFF) == window):
                    m.d.sync += message.eq(0)
                    m.next = "ZERO"
                with m.Else():
                    m.d.sync += [failed.eq(1), message.eq(0)]
                    m.next = "SAY_ERROR"
            with m.State("ZERO"):  # the rest of RAM reads 0, as the interpreter's does
                with m.If(index == self.depth):
                    m.next = "SAY_OK"
                with m.Else():
                    m.d.comb += [self.bus.wmask.eq(0b1111), self.bus.wdata.eq(0)]
                    m.d.sync += index.eq(index + 1)
            with m.State("SAY_OK"):
                m.d.comb += [self.tx.valid.eq(1), self.tx.payload.eq(ok_chars[message])]
                with m.If(self.tx.ready):
                    m.d.sync += message.eq(message + 1)
                    with m.If(message == len(OK_TEXT) - 1):
                        m.next = "HUNT"
            with m.State("SAY_ERROR"):
                m.d.comb += [self.tx.valid.eq(1), self.tx.payload.eq(error_chars[message])]
                with m.If(self.tx.ready):
                    m.d.sync += message.eq(message + 1)
                    with m.If(message == len(ERROR_TEXT) - 1):
                        m.next = "HUNT"
        return m
