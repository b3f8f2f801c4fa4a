"""`oxcore run`: output, exit status, trap reports, --max-instructions, --trace,
--stats-json, and one-line errors for files that are not runnable programs.

Programs are ELF executables built byte by byte (`helpers.elf_image`), so these tests
need neither the assembler nor the C toolchain. Most run `oxcore.cli.main` in-process
(with capsys); a few run the real command in a subprocess to see the process exit status.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oxcore.cli import main
from oxcore.isa import format_instruction

from .helpers import (BASE, DATA, EBREAK, ECALL, ET_REL, MEM_END, NOP, SYS_EXIT, SYS_WRITE,
                      Asm, I, a0, a1, a2, a7, elf64_image, elf_image, li, s0, words_bytes,
                      zero)


def write(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def program(tmp_path: Path, words: list[int], data: tuple[int, bytes] | None = None,
            name: str = "prog.elf") -> str:
    return write(tmp_path, name, elf_image(words, data=data))


def oxcore_run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["run", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def hello_words(code: int) -> list[int]:
    asm = Asm()
    asm.li(a0, 1).li(a1, DATA).li(a2, 6).syscall(SYS_WRITE)
    asm.li(a0, 2).li(a1, DATA + 6).li(a2, 4).syscall(SYS_WRITE)
    asm.exit(code)
    return asm.build()


HELLO_DATA = (DATA, b"hello\noops")


# ---- output and exit status ------------------------------------------------------------

@pytest.mark.parametrize("code, status", [(0, 0), (42, 42), (0x1FF, 0xFF), (256, 0),
                                          (0xFFFF_FFFF, 255)])
def test_output_and_exit_status(tmp_path, capsys, code, status):
    path = program(tmp_path, hello_words(code), HELLO_DATA)
    assert oxcore_run(capsys, path) == (status, "hello\n", "oops")


def test_exit_status_of_the_process(tmp_path):
    path = program(tmp_path, hello_words(0x12A), HELLO_DATA)
    proc = subprocess.run([sys.executable, "-m", "oxcore.cli", "run", path],
                          capture_output=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0x2A, b"hello\n", b"oops")


# ---- traps -----------------------------------------------------------------------------

S0_DATA = li(s0, DATA)  # two instructions: the trapping one is at BASE + 8


@pytest.mark.parametrize("words, status, cause, pc, raw, disasm", [
    (S0_DATA + [0xFFFF_FFFF], 132, "illegal instruction", BASE + 8, 0xFFFF_FFFF,
     ".word 0xffffffff"),
    (S0_DATA + [I.csrrw(zero, 0xC00, a0)], 132, "illegal instruction", BASE + 8,
     0xC005_1073, "csrrw zero, cycle, a0"),
    (S0_DATA + [EBREAK], 133, "breakpoint", BASE + 8, 0x0010_0073, "ebreak"),
    (S0_DATA + [I.lw(a0, 2, s0)], 135, "load misaligned", BASE + 8, 0x0024_2503,
     "lw a0, 2(s0)"),
    (S0_DATA + [I.sw(a0, 1, s0)], 135, "store misaligned", BASE + 8, 0x00A4_20A3,
     "sw a0, 1(s0)"),
    (S0_DATA + [I.jalr(zero, 6, zero)], 135, "instruction misaligned", BASE + 8, 0x0060_0067,
     "jalr zero, 6(zero)"),
    (S0_DATA + [I.lw(a0, 0, zero)], 139, "load access fault", BASE + 8, 0x0000_2503,
     "lw a0, 0(zero)"),
    (S0_DATA + [I.sw(a0, 0, zero)], 139, "store access fault", BASE + 8, 0x00A0_2023,
     "sw a0, 0(zero)"),
    (S0_DATA + li(a7, 1) + [ECALL], 159, "unknown ecall", BASE + 16, 0x0000_0073, "ecall"),
])
def test_trap_report(tmp_path, capsys, words, status, cause, pc, raw, disasm):
    path = program(tmp_path, words)
    got, out, err = oxcore_run(capsys, path)
    assert got == status
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert cause in line
    assert f"pc 0x{pc:08x}" in line
    assert f"0x{raw:08x}" in line
    assert disasm in line
    assert disasm == format_instruction(raw, pc)
    instret = (pc - BASE) // 4
    assert re.search(rf"\b{instret} instructions retired", line), line


def test_fetch_fault_report(tmp_path, capsys):
    path = program(tmp_path, [NOP, I.jalr(zero, 0x100, zero)])
    status, out, err = oxcore_run(capsys, path)
    assert status == 139
    lines = err.splitlines()
    assert len(lines) == 1 and "instruction access fault" in lines[0]
    assert "pc 0x00000100" in lines[0] and "outside memory" in lines[0]
    assert "2 instructions retired" in lines[0]


def test_output_before_a_trap_is_kept(tmp_path, capsys):
    words = hello_words(0)[:-5] + [EBREAK]  # the two writes, then ebreak instead of exit
    path = program(tmp_path, words, HELLO_DATA)
    status, out, err = oxcore_run(capsys, path)
    assert (status, out) == (133, "hello\n")
    assert err.startswith("oops") and len(err[4:].splitlines()) == 1 and "breakpoint" in err


# ---- --max-instructions ------------------------------------------------------------------

def loop_forever() -> list[int]:
    return [I.addi(a0, a0, 1), I.jal(zero, -4)]


@pytest.mark.parametrize("limit", [1, 2, 7, 1000])  # 0 is refused: limits are positive
def test_max_instructions(tmp_path, capsys, limit):
    path = program(tmp_path, loop_forever())
    stats = tmp_path / "stats.json"
    status, out, err = oxcore_run(capsys, path, "--max-instructions", str(limit),
                                  "--stats-json", str(stats))
    assert status == 152
    lines = err.splitlines()
    assert len(lines) == 1 and "instruction limit" in lines[0], err
    assert f"{limit} instructions retired" in lines[0]
    # The report names the instruction the limit stopped in front of.
    pc, raw = BASE + 4 * (limit % 2), (0x0015_0513, 0xFFDF_F06F)[limit % 2]
    assert f"pc 0x{pc:08x}" in lines[0] and f"0x{raw:08x}" in lines[0]
    assert format_instruction(raw, pc) in lines[0]
    assert json.loads(stats.read_text())["instret"] == limit


def test_max_instructions_not_reached(tmp_path, capsys):
    path = program(tmp_path, li(a0, 3) + li(a7, SYS_EXIT) + [ECALL])
    assert oxcore_run(capsys, path, "--max-instructions", "5") == (3, "", "")
    assert oxcore_run(capsys, path, "--max-instructions", "4")[0] == 152


def test_max_instructions_limit_status_of_the_process(tmp_path):
    path = program(tmp_path, loop_forever())
    proc = subprocess.run([sys.executable, "-m", "oxcore.cli", "run", path,
                           "--max-instructions", "100"], capture_output=True, timeout=120)
    assert proc.returncode == 152
    assert proc.stderr.decode().count("\n") == 1 and b"Traceback" not in proc.stderr


# ---- --trace and --stats-json ----------------------------------------------------------

TRACE_WORDS = [0x8001_0437,  # lui s0, 0x80010
               0x0050_0513,  # addi a0, zero, 5
               0x00A4_2223,  # sw a0, 4(s0)
               0x0044_2583,  # lw a1, 4(s0)
               0x0000_0013,  # addi zero, zero, 0
               0x00A4_0223,  # sb a0, 4(s0)
               0x05D0_0893,  # addi a7, zero, 93
               0x0000_0073]  # ecall: exit(5)
TRACE_EFFECTS = [  # hand-written, Spike commit-log style
    "core   0: 3 0x80000000 (0x80010437) x8  0x80010000",
    "core   0: 3 0x80000004 (0x00500513) x10 0x00000005",
    "core   0: 3 0x80000008 (0x00a42223) mem 0x80010004 0x00000005",
    "core   0: 3 0x8000000c (0x00442583) x11 0x00000005 mem 0x80010004",
    "core   0: 3 0x80000010 (0x00000013)",
    "core   0: 3 0x80000014 (0x00a40223) mem 0x80010004 0x05",
    "core   0: 3 0x80000018 (0x05d00893) x17 0x0000005d",
    "core   0: 3 0x8000001c (0x00000073) x10 0x00000005",
]


def test_trace_and_stats(tmp_path, capsys):
    assert DATA == 0x8001_0000
    path = program(tmp_path, TRACE_WORDS)
    trace, stats = tmp_path / "out" / "run.trace", tmp_path / "stats.json"
    status, out, err = oxcore_run(capsys, path, "--trace", str(trace),
                                  "--stats-json", str(stats))
    assert (status, out, err) == (5, "", "")
    lines = trace.read_text().splitlines()
    assert len(lines) == len(TRACE_WORDS)  # one line per retired instruction
    for index, (line, effects) in enumerate(zip(lines, TRACE_EFFECTS)):
        head, sep, disasm = line.partition(" ; ")
        assert sep, line
        assert head.rstrip() == effects
        pc = BASE + 4 * index
        assert disasm == format_instruction(TRACE_WORDS[index], pc)
    data = json.loads(stats.read_text())
    assert data["instret"] == len(TRACE_WORDS)
    assert isinstance(data["wall_s"], float | int) and data["wall_s"] >= 0
    assert data["exit_code"] == 5 and data["trap"] is None


def test_trace_ends_with_the_trapping_instruction(tmp_path, capsys):
    words = [0x0050_0513, 0xFFFF_FFFF]  # addi a0, zero, 5; illegal
    path = program(tmp_path, words)
    trace, stats = tmp_path / "t.trace", tmp_path / "s.json"
    status, _, _ = oxcore_run(capsys, path, "--trace", str(trace), "--stats-json", str(stats))
    assert status == 132
    lines = trace.read_text().splitlines()
    # The retired instruction, then the one that trapped (marked, with no effects).
    assert len(lines) == 2
    assert lines[0].startswith("core   0: 3 0x80000000 (0x00500513) x10 0x00000005")
    assert lines[1].partition(" ; ")[0].rstrip() == \
        "core   0: 3 0x80000004 (0xffffffff) trap illegal instruction"
    data = json.loads(stats.read_text())
    assert (data["instret"], data["exit_code"], data["trap"]) == \
        (1, 132, "illegal_instruction")


def test_trace_matches_the_instruction_count_of_a_loop(tmp_path, capsys):
    asm = Asm()
    asm(I.addi(a0, zero, 50))
    asm.label("loop")
    asm(I.addi(a0, a0, -1))
    asm.branch("bne", a0, zero, "loop")
    asm.exit()
    path = program(tmp_path, asm.build())
    trace = tmp_path / "loop.trace"
    assert oxcore_run(capsys, path, "--trace", str(trace))[0] == 0
    lines = trace.read_text().splitlines()
    assert len(lines) == 1 + 2 * 50 + 3
    pattern = re.compile(r"^core   0: 3 0x[0-9a-f]{8} \(0x[0-9a-f]{8}\)( |$)")
    assert all(pattern.match(line) for line in lines)


# ---- files that are not runnable programs ---------------------------------------------

def _valid() -> bytes:
    return elf_image(li(a0, 0) + li(a7, SYS_EXIT) + [ECALL])


def _patched(offset: int, fmt_bytes: bytes) -> bytes:
    data = bytearray(_valid())
    data[offset:offset + len(fmt_bytes)] = fmt_bytes
    return bytes(data)


BAD_FILES = {  # name: (bytes, what the one error line must mention)
    "not-elf.elf": (b"this is not an ELF file\n", "not an ELF"),
    "empty.elf": (b"", "not an ELF"),
    "magic-only.elf": (b"\x7fELF", "truncated"),
    "truncated-header.elf": (_valid()[:40], "truncated"),
    "truncated-phdr.elf": (_valid()[:60], "truncated"),
    "truncated-segment.elf": (_valid()[:-6], "truncated"),
    "x86.elf": (elf_image([NOP], machine=3), "not RISC-V"),  # EM_386
    "arm.elf": (elf_image([NOP], machine=40), "not RISC-V"),  # EM_ARM
    "elf64.elf": (elf64_image([NOP]), "32-bit"),
    "big-endian.elf": (_patched(5, b"\x02"), "little-endian"),  # EI_DATA = ELFDATA2MSB
    "object.o": (elf_image([NOP], e_type=ET_REL), "executable"),
    "outside-ram.elf": (elf_image([NOP], data=(0x1000_0000, b"\x01\x02\x03\x04")),
                        "outside RAM"),
    "past-the-end.elf": (elf_image([NOP], data=(MEM_END - 2, b"\x01\x02\x03\x04")),
                         "outside RAM"),
    "entry-outside.elf": (elf_image([NOP], entry=0x100), "entry point"),
    "no-segments.elf": (_patched(44, b"\x00\x00"), "no loadable segments"),  # e_phnum = 0
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_one_error_line(tmp_path, capsys, name):
    content, needle = BAD_FILES[name]
    path = write(tmp_path, name, content)
    status, out, err = oxcore_run(capsys, path)
    assert status != 0 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("oxcore: error: "), err
    assert needle in err and name in err
    assert "Traceback" not in err


@pytest.mark.parametrize("make", [lambda tmp: str(tmp / "missing.elf"), lambda tmp: str(tmp)],
                         ids=["missing", "directory"])
def test_unreadable_path_is_one_error_line(tmp_path, capsys, make):
    status, out, err = oxcore_run(capsys, make(tmp_path))
    assert status != 0 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("oxcore: error: "), err
    assert "cannot read" in err


def test_bad_file_in_a_subprocess_has_no_traceback(tmp_path):
    path = write(tmp_path, "x86.elf", BAD_FILES["x86.elf"][0])
    proc = subprocess.run([sys.executable, "-m", "oxcore.cli", "run", path],
                          capture_output=True, timeout=120)
    assert proc.returncode != 0 and proc.stdout == b""
    assert proc.stderr.startswith(b"oxcore: error: ") and proc.stderr.count(b"\n") == 1
    assert b"Traceback" not in proc.stderr


def test_every_truncation_is_a_clean_error(tmp_path, capsys):
    valid = _valid()
    path = tmp_path / "cut.elf"
    for length in range(len(valid)):
        path.write_bytes(valid[:length])
        status, out, err = oxcore_run(capsys, str(path))
        assert status != 0 and err.startswith("oxcore: error: ") and \
            len(err.splitlines()) == 1, f"cut at {length}: {err!r}"


def test_corrupted_headers_never_crash(tmp_path, capsys):
    # Random bytes in the ELF and program headers: a clean error, or a run that ends by
    # exit, trap or limit (corruption may leave a loadable program). Never an exception.
    rng = random.Random(0xE1F)
    valid = _valid()
    path = tmp_path / "corrupt.elf"
    for trial in range(150):
        data = bytearray(valid)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(84)] = rng.getrandbits(8)
        path.write_bytes(bytes(data))
        status, out, err = oxcore_run(capsys, str(path), "--max-instructions", "1000")
        assert "Traceback" not in err
        if err.startswith("oxcore: error: "):
            assert status == 1 and len(err.splitlines()) == 1, (trial, err)


def test_flat_binary_runs(tmp_path, capsys):
    path = write(tmp_path, "prog.bin", words_bytes(li(a0, 9) + li(a7, SYS_EXIT) + [ECALL]))
    assert oxcore_run(capsys, path) == (9, "", "")


@pytest.mark.parametrize("argv, needle", [
    (["--max-instructions", "-1"], "--max-instructions -1: must be a positive integer"),
    (["--max-instructions", "0"], "--max-instructions 0: must be a positive integer"),
    (["--backend", "pysim"], "--backend chooses the RTL simulator: it needs --sim rtl"),
    (["--config", "no-such-preset"], "no-such-preset"),
])
def test_bad_options_are_one_error_line(tmp_path, capsys, argv, needle):
    path = program(tmp_path, [EBREAK])
    status, out, err = oxcore_run(capsys, path, *argv)
    assert status != 0 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("oxcore: error: ") and needle in err


def test_run_elf_api(tmp_path):
    from cosim.iss import run_elf
    from oxcore.config import PRESETS
    from oxcore.retire import TrapCause
    path = program(tmp_path, hello_words(0x12A), HELLO_DATA)
    outcome = run_elf(path, PRESETS["default"])
    assert (outcome.exit_code, outcome.stdout, outcome.stderr, outcome.instret,
            outcome.trap) == (0x2A, b"hello\n", b"oops", 23, None)
    limited = run_elf(path, PRESETS["default"], max_instructions=10)
    assert (limited.exit_code, limited.stdout, limited.instret, limited.trap) == \
        (152, b"hello\n", 10, TrapCause.INSTRUCTION_LIMIT)


@pytest.mark.parametrize("toml, needle", [
    ("name = 5\n", "config name must be a non-empty string, got 5"),
    ("mul_latency = -1\n", "mul_latency = -1: must be from 1 to 3"),
    ("mmio_base = -3\n", "mmio_base = -3: must be from 0 to 4294967295 (0x0 to 0xffffffff)"),
])
def test_bad_config_values_are_one_decimal_line(tmp_path, capsys, toml, needle):
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    path = program(tmp_path, [EBREAK])
    status, out, err = oxcore_run(capsys, path, "--config", str(config))
    assert status == 1 and out == "" and len(err.splitlines()) == 1
    assert err.startswith(f"oxcore: error: {config}: ") and needle in err, err


@pytest.mark.parametrize("sim", ["iss", "rtl"])
def test_a_runaway_program_meets_the_default_guard(tmp_path, capsys, monkeypatch, sim):
    """Without --max-instructions a never-ending program stops at the documented guard
    (lowered here to keep the test short) and says so, instead of running until killed."""
    import cosim.options
    monkeypatch.setattr(cosim.options, "RUNAWAY_GUARD", 3000)
    path = program(tmp_path, loop_forever())
    extra = ["--sim", "rtl"] if sim == "rtl" else []
    status, out, err = oxcore_run(capsys, path, *extra)
    assert status == 152 and out == "" and len(err.splitlines()) == 1
    assert "default guard of" in err and "raise it with --max-instructions" in err, err
    assert "3000 instructions retired" in err


def test_ctrl_c_says_where_the_interpreter_stopped(tmp_path, capsys, monkeypatch):
    from cosim.iss import Interpreter
    original = Interpreter.run

    def interrupted(self, *args, **kwargs):
        original(self, 500)  # run a while, then the user presses Ctrl-C
        raise KeyboardInterrupt
    monkeypatch.setattr(Interpreter, "run", interrupted)
    path = program(tmp_path, loop_forever())
    status, out, err = oxcore_run(capsys, path)
    assert (status, out, err) == (130, "", "oxcore: interrupted: stopped at instruction 500\n")
