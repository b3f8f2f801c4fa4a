"""The SoC's environment in hardware: the syscall ABI and the end-of-run report.

`SyscallUnit` services the core's environment calls the way the interpreter
(`cosim.iss.machine`) and the simulation harness (`cosim.rtl_sim`) do, and reports how
the run ended over the UART:

* ``write(fd, buf, len)`` (`SYS_WRITE`): fd 1 and 2 both go to the UART; the ``len`` bytes
  at ``buf`` are read from RAM one at a time through the data port (which the core
  leaves idle while its ecall waits in WB: younger instructions are held in ID) and
  sent; then the ecall returns ``len``. A bad fd returns -EBADF, a buffer not wholly
  in RAM -EFAULT (fd is checked first; ``len = 0`` never faults), as in the
  interpreter. Numbers and errno values are `oxcore.abi`'s.
* ``exit(code)`` (`SYS_EXIT`): the line ``exit N\\n`` (N = code & 0xFF in decimal, the
  process exit status; `exit_text`) goes to the UART and the ecall is never answered,
  so the core stays halted with the exit ecall in WB.
* any other syscall number: the ecall is answered with ``fault``, so the core retires it as an
  unknown-ecall trap and halts.
* a trap record on the retire port (any cause): the line
  ``trap: <cause> at pc 0x<pc>\\n`` (`trap_text`; the cause as `oxcore run` names it,
  e.g. ``illegal instruction``; ``cause N`` for a cause without a name), then the unit
  stops.

`status` (`RunStatus`), `exit_code` and `trap_cause` tell the SoC what to show on the
LEDs. The report lines are built from a small ROM of message templates whose control
bytes insert the exit code or trap cause in decimal and the pc in hex (`message_rom`).
"""


from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import enum, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.core import ENV_REQ, ENV_RESP, RETIRE_LAYOUT
from oxcore.abi import EBADF, EFAULT, SYS_EXIT, SYS_WRITE
from oxcore.config import OxCoreConfig
from oxcore.retire import TrapCause

MASK32 = 0xFFFF_FFFF

# A read-only window on the RAM's data port (word addresses, data one cycle later).
READ_BUS = wiring.Signature({"addr": Out(30), "read": Out(1), "rdata": In(32)})


class RunStatus(enum.Enum, shape=2):
    RUNNING = 0
    EXITED = 1
    TRAPPED = 2


# Template control bytes (every other byte is sent as it is).
END, EXIT_CODE, PC, CAUSE = 0, 1, 2, 3
_CONTROL = {"{code}": EXIT_CODE, "{pc}": PC, "{cause}": CAUSE}

EXIT_TEMPLATE = "exit {code}\n"
TRAP_TEMPLATE = "trap: {name} at pc 0x{pc}\n"
UNNAMED_TRAP = "cause {cause}"
# Hardware trap causes with a name in the ROM (INSTRUCTION_LIMIT is a simulator stop).
NAMED_CAUSES = tuple(c for c in TrapCause if c < TrapCause.INSTRUCTION_LIMIT)


def exit_text(value: int) -> bytes:
    """The UART line for exit(value)."""
    return b"exit %d\n" % (value & 0xFF)


def trap_text(cause: int, pc: int) -> bytes:
    """The UART line for a trap record (its cause and pc)."""
    try:
        name = TrapCause(cause).description if TrapCause(cause) in NAMED_CAUSES else None
    except ValueError:
        name = None
    name = name or f"cause {cause}"
    return TRAP_TEMPLATE.format(name=name, pc=f"{pc:08x}").encode()


def _template(text: str) -> bytes:
    out = bytearray()
    while text:
        for key, code in _CONTROL.items():
            if text.startswith(key):
                out.append(code)
                text = text[len(key):]
                break
        else:
            out += text[0].encode()
            text = text[1:]
    return bytes(out) + bytes([END])


def message_rom() -> tuple[bytes, dict[object, int]]:
    """The template ROM and where each message starts: key "exit", each named
    `TrapCause`, and "trap" for any other cause."""
    rom = bytearray()
    starts: dict[object, int] = {}
    for key, text in [("exit", EXIT_TEMPLATE), ("trap", TRAP_TEMPLATE.replace(
            "{name}", UNNAMED_TRAP))] + [
            (cause, TRAP_TEMPLATE.replace("{name}", cause.description))
            for cause in NAMED_CAUSES]:
        starts[key] = len(rom)
        rom += _template(text)
    return bytes(rom), starts


class SyscallUnit(wiring.Component):
    """Services ecalls (`env_req`/`env_resp`), watches `retire` for traps, reads RAM
    through `bus`, sends bytes on `tx`."""

    env_req: In(ENV_REQ)
    env_resp: Out(ENV_RESP)
    retire: In(RETIRE_LAYOUT)
    bus: Out(READ_BUS)
    tx: Out(stream.Signature(8))
    status: Out(RunStatus)
    exit_code: Out(8)
    trap_cause: Out(7)
    done: Out(1)  # the exit or trap line has been handed to `tx`; nothing more follows

    def __init__(self, config: OxCoreConfig) -> None:
        self.mem_base = config.mem_base
        self.mem_size = config.mem_size
        super().__init__()

    def elaborate(self, platform) -> Module:
        m = Module()
        rom_bytes, starts = message_rom()
        m.submodules.rom = rom = memory.Memory(shape=8, depth=len(rom_bytes),
                                               init=list(rom_bytes))
        rom_rd = rom.read_port()
        ptr = Signal(range(len(rom_bytes)))
        m.d.comb += [rom_rd.addr.eq(ptr), rom_rd.en.eq(1)]

        # An ecall's arguments, reduced when it arrives to what the service needs (they
        # stay put while it waits, so the flags are computed from them directly).
        req = self.env_req
        k = self.mem_size.bit_length() - 1  # RAM offset bits
        base_high = self.mem_base >> k
        is_write = Signal()
        is_exit = Signal()
        fd_ok = Signal()
        in_ram = Signal()  # the buffer lies in RAM (cosim.iss.machine.Machine.in_memory)
        len_zero = Signal()
        offset = Signal(k)  # of the next byte to send, in RAM
        remaining = Signal(k + 1)  # bytes left to send (at most mem_size)
        length = Signal(32)
        answer = Signal(range(4))  # a0 = length, -EBADF, -EFAULT; or the fault answer
        LENGTH, BADF, FAULT, UNKNOWN = range(4)
        status = Signal(RunStatus)
        exit_code = Signal(8)
        m.d.comb += [self.status.eq(status), self.exit_code.eq(exit_code)]
        # offset + len <= mem_size, with the offset taken mod 2^32 as the interpreter does:
        # the buffer starts in RAM, len fits in k + 1 bits and the sum stays within RAM.
        fits = ((req.a1[k:] == base_high) & (req.a2[k + 1:] == 0)
                & ((req.a1[:k] + req.a2[:k + 1]) <= self.mem_size))

        # A trap record, latched whenever it retires (the core halts after it).
        trap_pending = Signal()
        cause = Signal(7)
        trap_pc = Signal(32)
        m.d.comb += self.trap_cause.eq(cause)
        with m.If(self.retire.valid & self.retire.trap.valid & ~trap_pending):
            m.d.sync += [trap_pending.eq(1), cause.eq(self.retire.trap.cause),
                         trap_pc.eq(self.retire.pc)]

        byte = Signal(8)
        m.d.comb += self.bus.addr.eq(Cat(offset[2:], Const(base_high, 32 - k)))

        # Number formatting: hex digits of the pc by nibble index; decimal by repeated
        # subtraction.
        hex_index = Signal(3)
        nibble = trap_pc.word_select(hex_index, 4)
        hex_char = Mux(nibble < 10, ord("0") + nibble, ord("a") - 10 + nibble)
        dec_value = Signal(8)
        dec_phase = Signal(range(3))
        dec_digit = Signal(4)
        dec_started = Signal()
        divisor = Signal(7)
        with m.Switch(dec_phase):
            for i, d in enumerate((100, 10, 1)):
                with m.Case(i):
                    m.d.comb += divisor.eq(d)

        trap_start = Signal.like(ptr)
        with m.Switch(cause):
            for c in NAMED_CAUSES:
                with m.Case(int(c)):
                    m.d.comb += trap_start.eq(starts[c])
            with m.Default():
                m.d.comb += trap_start.eq(starts["trap"])

        tx = self.tx
        with m.FSM(name="syscall"):
            with m.State("IDLE"):
                with m.If(trap_pending):
                    m.d.sync += [ptr.eq(trap_start), status.eq(RunStatus.TRAPPED)]
                    m.next = "MSG_FETCH"
                with m.Elif(req.valid):
                    m.d.sync += [
                        is_write.eq(req.a7 == SYS_WRITE), is_exit.eq(req.a7 == SYS_EXIT),
                        fd_ok.eq((req.a0 == 1) | (req.a0 == 2)), exit_code.eq(req.a0[:8]),
                        len_zero.eq(req.a2 == 0), in_ram.eq(fits), offset.eq(req.a1[:k]),
                        remaining.eq(req.a2[:k + 1]), length.eq(req.a2), answer.eq(LENGTH),
                    ]
                    m.next = "DECIDE"
            with m.State("DECIDE"):
                with m.If(is_write):
                    with m.If(~fd_ok):
                        m.d.sync += answer.eq(BADF)
                        m.next = "RESPOND"
                    with m.Elif(len_zero):
                        m.next = "RESPOND"  # a0 = len = 0
                    with m.Elif(~in_ram):
                        m.d.sync += answer.eq(FAULT)
                        m.next = "RESPOND"
                    with m.Else():
                        m.next = "WRITE_READ"  # then a0 = len
                with m.Elif(is_exit):
                    m.d.sync += [status.eq(RunStatus.EXITED), ptr.eq(starts["exit"])]
                    m.next = "MSG_FETCH"
                with m.Else():  # unknown: the core retires it as a trap
                    m.d.sync += answer.eq(UNKNOWN)
                    m.next = "RESPOND"
            with m.State("RESPOND"):
                a0 = Mux(answer == LENGTH, length,
                         Mux(answer == BADF, -EBADF & MASK32, -EFAULT & MASK32))
                m.d.comb += [self.env_resp.valid.eq(1), self.env_resp.a0.eq(a0),
                             self.env_resp.fault.eq(answer == UNKNOWN)]
                m.next = "IDLE"

            # write(): one byte per RAM read.
            with m.State("WRITE_READ"):
                m.d.comb += self.bus.read.eq(1)
                m.next = "WRITE_LATCH"
            with m.State("WRITE_LATCH"):
                m.d.sync += byte.eq(self.bus.rdata.word_select(offset[:2], 8))
                m.next = "WRITE_SEND"
            with m.State("WRITE_SEND"):
                m.d.comb += [tx.valid.eq(1), tx.payload.eq(byte)]
                with m.If(tx.ready):
                    m.d.sync += [offset.eq(offset + 1), remaining.eq(remaining - 1)]
                    with m.If(remaining == 1):
                        m.next = "RESPOND"
                    with m.Else():
                        m.next = "WRITE_READ"

            # Report lines from the template ROM (read one cycle after `ptr` moves).
            with m.State("MSG_FETCH"):
                m.next = "MSG_DO"
            with m.State("MSG_DO"):
                c = rom_rd.data
                with m.Switch(c):
                    with m.Case(END):
                        m.next = "HALT"
                    with m.Case(EXIT_CODE, CAUSE):
                        m.d.sync += [dec_value.eq(Mux(c == EXIT_CODE, exit_code, cause)),
                                     dec_phase.eq(0), dec_digit.eq(0), dec_started.eq(0)]
                        m.next = "DEC_COUNT"
                    with m.Case(PC):
                        m.d.sync += hex_index.eq(7)
                        m.next = "HEX_SEND"
                    with m.Default():
                        m.next = "MSG_SEND"
            with m.State("MSG_SEND"):
                m.d.comb += [tx.valid.eq(1), tx.payload.eq(rom_rd.data)]
                with m.If(tx.ready):
                    m.d.sync += ptr.eq(ptr + 1)
                    m.next = "MSG_FETCH"
            with m.State("HEX_SEND"):
                m.d.comb += [tx.valid.eq(1), tx.payload.eq(hex_char)]
                with m.If(tx.ready):
                    m.d.sync += hex_index.eq(hex_index - 1)
                    with m.If(hex_index == 0):
                        m.d.sync += ptr.eq(ptr + 1)
                        m.next = "MSG_FETCH"
            with m.State("DEC_COUNT"):  # digit = value // divisor by subtraction
                with m.If(dec_value >= divisor):
                    m.d.sync += [dec_value.eq(dec_value - divisor), dec_digit.eq(dec_digit + 1)]
                with m.Else():
                    m.next = "DEC_SEND"
            with m.State("DEC_SEND"):  # leading zeros are skipped, a last 0 is not
                show = (dec_digit != 0) | dec_started | (dec_phase == 2)
                m.d.comb += [tx.valid.eq(show), tx.payload.eq(ord("0") + dec_digit)]
                with m.If(~show | tx.ready):
                    m.d.sync += [dec_digit.eq(0), dec_started.eq(dec_started | show),
                                 dec_phase.eq(dec_phase + 1)]
                    with m.If(dec_phase == 2):
                        m.d.sync += ptr.eq(ptr + 1)
                        m.next = "MSG_FETCH"
                    with m.Else():
                        m.next = "DEC_COUNT"
            with m.State("HALT"):
                m.d.comb += self.done.eq(1)
        return m
