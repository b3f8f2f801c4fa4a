"""The OxCore SoC (fpga/soc.py): in Amaranth's simulator it sends a program's output
and its exit line over the UART (decoded with fpga.uart.decode_uart) exactly as the golden
interpreter prints them, shows the exit status on the LEDs, services write() errors
like the interpreter, reports traps, and takes new programs over its UART boot loader.
The synthesized netlist (iCE40) prints the same."""

from __future__ import annotations

import shutil

import pytest

from fpga.bootload import ERROR_TEXT, OK_TEXT, load_frame
from fpga.soc import (ENGINES_SOURCE, OxSoc, expected_uart, hello_program, interpreter_uart,
                      postsynth_check, simulate_soc)
from fpga.syscall import exit_text, message_rom, trap_text
from oxcore.config import KIB, PRESETS, TensorConfig, VectorConfig
from oxcore.program import load_program
from oxcore.retire import TrapCause
from tests.hw.oxcore.rtl_helpers import A0, A1, A2, A7, Asm

SMALL = PRESETS["small"]
DIVISOR = 4
DATA = SMALL.mem_base + 0x2000


def soc_for(program, *, family="ecp5", config=SMALL, **kwargs) -> OxSoc:
    return OxSoc(config, program, clk_hz=1e6, family=family, divisor=DIVISOR,
                 blink_hz=20_000, **kwargs)


def run(program, **kwargs):
    return simulate_soc(soc_for(program, **kwargs), 200_000)


@pytest.fixture(scope="module")
def hello():
    return load_program(hello_program(SMALL), SMALL)


def test_hello_over_the_uart_matches_the_interpreter(hello):
    text, leds, _ = run(hello)
    assert text == interpreter_uart(SMALL, hello) == b"hello from OxCore\nfib(10) = 55\nexit 0\n"
    assert leds == 0b1  # exited, status 0


def test_hello_on_the_ice40_memory(hello):
    """Block RAM fetch window + SPRAM data copy, filled by the boot copy first."""
    text, leds, cycles = run(hello, family="ice40")
    assert text == interpreter_uart(SMALL, hello)
    assert leds == 0b1
    assert cycles > SMALL.mem_size // 4  # the boot copy ran before the core


def exit_with(code: int) -> Asm:
    a = Asm(SMALL)
    a.addi(rd=A0, rs1=0, imm=code)
    a.addi(rd=A7, rs1=0, imm=93)
    a.ecall()
    a.ebreak()  # never reached: the exit ecall is never answered
    return a


@pytest.mark.parametrize("code", [42, -1])
def test_exit_status_on_leds_and_uart(code):
    program = exit_with(code).program()
    text, leds, _ = run(program)
    assert text == exit_text(code) == interpreter_uart(SMALL, program)
    assert leds == (1 | (code & 0x7F) << 1) & 0xFF


def test_write_results_match_the_interpreter():
    """fd 1 and 2 to the UART; bad fd -EBADF; a buffer leaving RAM (or outside it)
    -EFAULT; len 0 -> 0; the exit status sums the results (as a0 seen by the program)."""
    a = Asm(SMALL)
    message = b"odd start\n"
    a.put(DATA + 3, message)
    a.put(SMALL.mem_end - 4, b"end!")

    def write(fd: int, buf: int, length: int) -> None:
        a.addi(rd=A0, rs1=0, imm=fd)
        a.li(A1, buf)
        a.li(A2, length)
        a.addi(rd=A7, rs1=0, imm=64)
        a.ecall()
        a.add(rd=20, rs1=20, rs2=A0)
        a.slli(rd=20, rs1=20, shamt=1)

    write(1, DATA + 3, len(message))
    write(2, SMALL.mem_end - 4, 4)  # the last bytes of RAM: fine
    write(1, SMALL.mem_end - 4, 5)  # one byte past the end: -EFAULT
    write(3, DATA, 4)  # bad fd (checked first): -EBADF
    write(0, 0x10, 4)
    write(2, 0x10, 0)  # len 0 never faults
    write(1, SMALL.mem_base - 4, 8)  # starts below RAM
    write(2, DATA, 0xFFFF_FFFF)  # wraps around
    a.syscall_exit(20)
    program = a.program()
    text, _, _ = run(program)
    expected = interpreter_uart(SMALL, program)
    assert text == expected
    assert text.startswith(message + b"end!exit ")


def test_stores_then_loads_at_once_match_the_interpreter():
    """Every store size at every offset, each followed at once by loads of the same
    word (on ECP5 the RAM writes stores a cycle late and bypasses them to such loads);
    the checksum is sent with write()."""
    a = Asm(SMALL)
    base = SMALL.mem_base + 0x400
    a.put(base, bytes(range(0x80, 0x90)))
    a.li(21, base)
    a.li(22, 0x8765_4321)
    stores = [("sb", o) for o in range(4)] + [("sh", 0), ("sh", 2), ("sw", 0)]
    for i, (op, offset) in enumerate(stores):
        a.addi(rd=22, rs1=22, imm=97 * (i + 1))
        a.emit(op, rs1=21, rs2=22, imm=offset + 4 * (i % 3))
        a.lw(rd=23, rs1=21, imm=4 * (i % 3))
        a.lbu(rd=24, rs1=21, imm=offset + 4 * (i % 3))
        a.add(rd=20, rs1=20, rs2=23)
        a.xor(rd=20, rs1=20, rs2=24)
        a.slli(rd=25, rs1=20, shamt=3)
        a.add(rd=20, rs1=20, rs2=25)
    a.sw(rs1=21, rs2=20, imm=32)
    a.addi(rd=A0, rs1=0, imm=1)
    a.addi(rd=A1, rs1=21, imm=32)
    a.addi(rd=A2, rs1=0, imm=4)
    a.addi(rd=A7, rs1=0, imm=64)
    a.ecall()
    a.syscall_exit(20)
    program = a.program()
    expected = interpreter_uart(SMALL, program)
    for family in ("ecp5", "ice40"):
        assert run(program, family=family)[0] == expected, family


TRAPS = {
    "illegal": (lambda a: a.word(0), TrapCause.ILLEGAL_INSTRUCTION),
    "unknown_ecall": (lambda a: (a.addi(rd=A7, rs1=0, imm=1), a.ecall()),
                      TrapCause.UNKNOWN_ECALL),
    "load_fault": (lambda a: a.lw(rd=7, rs1=0, imm=16), TrapCause.LOAD_ACCESS_FAULT),
    "ebreak": (lambda a: a.ebreak(), TrapCause.BREAKPOINT),
}


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_traps_are_reported(name):
    body, cause = TRAPS[name]
    a = Asm(SMALL)
    a.addi(rd=5, rs1=0, imm=1)
    body(a)
    a.syscall_exit(5)
    program = a.program()
    pc = SMALL.mem_base + 4 + (4 if name == "unknown_ecall" else 0)
    text, leds, _ = run(program)
    assert text == trap_text(cause, pc) == interpreter_uart(SMALL, program)
    assert text.startswith(b"trap: " + cause.description.encode() + b" at pc 0x800000")
    assert leds in (0x00, 0xFF)  # all blinking together


def test_message_rom_and_lines():
    rom, starts = message_rom()
    assert len(rom) <= 512  # one iCE40 block RAM
    assert exit_text(300) == b"exit 44\n"
    assert trap_text(2, 0x80000010) == b"trap: illegal instruction at pc 0x80000010\n"
    assert trap_text(99, 0x4) == b"trap: cause 99 at pc 0x00000004\n"
    assert expected_uart(b"x", 3) == b"xexit 3\n"


# ---- engines -------------------------------------------------------------------------

def test_both_engines_on_the_ecp5_soc_check_out_as_on_the_interpreter(tmp_path):
    """The tensor and vector engines in one SoC (engine ports, the banked RAM's engine
    ports, reset with the core): fpga/programs/engines.c's engine results agree with
    the core's own, and the UART says what the interpreter says."""
    from sw.cc.driver import compile_c
    config = PRESETS["default"].replace(name="engines", mem_size=32 * KIB,
                                        vector=VectorConfig(vlen=128, lanes=2),
                                        tensor=TensorConfig(tdim=4, port_bits=128))
    elf = compile_c([ENGINES_SOURCE], tmp_path / "engines.elf", config, opt="2",
                    extra_flags=["-DOXCORE_TENSOR", "-DM=8", "-DN=4", "-DK=16",
                                 "-DLENGTH=19"])
    program = load_program(elf, config)
    text, leds, _ = run(program, config=config)
    assert text == interpreter_uart(config, program)
    assert b"tensor engine: 8x4x16 int8 gemm, TDIM 4: ok (0 of 32 wrong)\n" in text
    assert b"vector engine: 19-element multiply-add and sum, VLEN 128: ok (0 wrong)" in text
    assert text.endswith(b"exit 0\n") and leds == 0b1


def test_engines_need_the_ecp5_soc():
    tensor = PRESETS["tensor"]
    with pytest.raises(ValueError, match="only the ECP5 SoC has room for engines"):
        soc_for(exit_with(0).program(), config=tensor, family="ice40")


# ---- the UART boot loader ---------------------------------------------------------------

def uart_levels(data: bytes, divisor: int, gap: int = 3, lead: int = 20) -> list[int]:
    """Per-cycle levels of an 8N1 line sending ``data``."""
    levels = [1] * lead
    for byte in data:
        bits = [0] + [(byte >> i) & 1 for i in range(8)] + [1]
        for bit in bits:
            levels += [bit] * divisor
        levels += [1] * gap
    return levels


def greeter(code: int) -> Asm:
    a = Asm(SMALL)
    data = SMALL.mem_base + 0x40  # right after the code: a short frame
    a.put(data, b"loaded!\n")
    a.li(A1, data)
    a.addi(rd=A0, rs1=0, imm=1)
    a.addi(rd=A2, rs1=0, imm=8)
    a.addi(rd=A7, rs1=0, imm=64)
    a.ecall()
    a.syscall_exit(code=code)
    return a


def test_boot_loader_replaces_the_program():
    first = exit_with(3).program()
    second = greeter(7).program()
    frame = load_frame(SMALL, second)
    rx = [1] * 2000 + uart_levels(frame, DIVISOR)  # after the first program has ended
    text, leds, _ = simulate_soc(soc_for(first), 100_000, rx=rx)
    assert text == exit_text(3) + OK_TEXT + interpreter_uart(SMALL, second)
    assert leds == 1 | 7 << 1


def test_boot_loader_rejects_a_corrupt_frame():
    first = exit_with(3).program()
    frame = bytearray(load_frame(SMALL, greeter(7).program()))
    frame[20] ^= 0x10  # one image bit
    rx = [1] * 2000 + uart_levels(bytes(frame), DIVISOR)
    soc = soc_for(first)
    text, leds, _ = simulate_soc(soc, 1000 + len(rx), rx=rx)
    assert text == exit_text(3) + ERROR_TEXT
    assert leds in (0x55, 0xAA)


# ---- post-synthesis ---------------------------------------------------------------------

@pytest.mark.long
@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++ (CXXRTL)")
def test_ice40_netlist_prints_what_the_rtl_and_interpreter_print(tmp_path):
    text, ok = postsynth_check(SMALL, "ice40", work_dir=tmp_path)
    assert ok, text
    netlist = (tmp_path / "netlist.v").read_text()
    for cell in ("SB_RAM40_4K", "SB_SPRAM256KA", "SB_MAC16"):
        assert cell in netlist
