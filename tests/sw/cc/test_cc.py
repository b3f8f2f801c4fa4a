"""`oxcore cc` (sw/cc/driver.py): linker script, runtime, ELF shape, errors via the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cosim.iss import run_elf
from oxcore.cli import main as cli_main
from oxcore.config import PRESETS, OxCoreConfig
from oxcore.errors import OxCoreError, ToolError
from oxcore.program import load_program
from oxcore import abi
from sw.cc.driver import (RUNTIME_DIR, STACK_MIN, compile_c, linker_script, write_abi_header,
                          zig_cc_command)

from .conftest import CorpusBuilds

RETURN_42 = "int main(void) { return 42; }\n"

# crt0's promises, checked from C: gp, sp, .bss zeroed, counters running.
ENVIRONMENT = r"""
#include "oxcore.h"
extern char __stack_top[], __global_pointer$[], __bss_start[], __bss_end[], __heap_start[];
uint32_t zeroed[64];

int main(void)
{
    uintptr_t gp, sp;
    __asm__ volatile("mv %0, gp" : "=r"(gp));
    __asm__ volatile("mv %0, sp" : "=r"(sp));
    uint32_t nonzero = 0;
    for (int i = 0; i < 64; i++)
        nonzero += zeroed[i] != 0;
    uint64_t c0 = read_cycles(), i0 = read_instret();
    volatile uint32_t x = 0;
    for (int i = 0; i < 100; i++)
        x += (uint32_t)i;
    uint64_t c1 = read_cycles(), i1 = read_instret();
    for (int i = 0; i < 64; i++)
        zeroed[i] = x; /* keeps the array in .bss */
    printf("gp %s\n", gp == (uintptr_t)__global_pointer$ ? "ok" : "WRONG");
    printf("sp %s\n", sp < (uintptr_t)__stack_top && (uintptr_t)__stack_top - sp < 256
                          ? "ok" : "WRONG");
    uintptr_t bss_start = (uintptr_t)__bss_start, bss_end = (uintptr_t)__bss_end;
    uintptr_t heap = (uintptr_t)__heap_start;
    printf("bss %s\n", nonzero == 0 && bss_end - bss_start >= 256 ? "ok" : "WRONG");
    printf("heap %s\n", heap >= bss_end && (heap & 15) == 0 ? "ok" : "WRONG");
    printf("instret %s\n", i1 - i0 >= 300 && i1 - i0 < 3000 ? "ok" : "WRONG");
    printf("cycles %s\n", c1 > c0 ? "ok" : "WRONG");
    return x == 4950 ? 0 : 1;
}
"""

# The bump allocator stops short of the stack and then returns NULL.
HEAP = r"""
#include "oxcore.h"
int main(void)
{
    int blocks = 0;
    char *prev = NULL;
    for (;;) {
        char *p = malloc(1024);
        if (!p)
            break;
        memset(p, 0xA5, 1024);
        if (prev && p < prev + 1024)
            return 1;
        prev = p;
        blocks++;
    }
    printf("%d\n", blocks);
    return 0;
}
"""

# 64-bit arithmetic and struct copies need compiler_rt helpers and memcpy/memset.
HELPERS = r"""
#include "oxcore.h"
typedef struct { int32_t v[32]; } Big;
Big a, b;
volatile uint64_t n = 0xFEDCBA9876543210ull, d = 1000003;
volatile int64_t sn = -0x123456789ALL, sd = -77;
int main(void)
{
    for (int i = 0; i < 32; i++)
        a.v[i] = i * i;
    b = a;
    Big z = {{0}};
    printf("%llu %llu %lld %lld %d %d\n", (unsigned long long)(n / d),
           (unsigned long long)(n % d), (long long)(sn / sd), (long long)(sn % sd), b.v[31],
           z.v[7]);
    return 0;
}
"""


# The generated oxcore_abi.h as a program sees it: numbers, registers, errno, raw calls.
ABI_VALUES = r"""
#include "oxcore.h"
int main(void)
{
    printf("%d %d %d %d\n", OX_SYS_WRITE, OX_SYS_EXIT, OX_EBADF, OX_EFAULT);
    printf("%s %s %s %s %s\n", OX_STRINGIFY(OX_SYSCALL_NR_REG),
           OX_STRINGIFY(OX_SYSCALL_ARG0_REG), OX_STRINGIFY(OX_SYSCALL_ARG1_REG),
           OX_STRINGIFY(OX_SYSCALL_ARG2_REG), OX_STRINGIFY(OX_SYSCALL_RESULT_REG));
    printf("%ld\n", ox_syscall3(OX_SYS_WRITE, 3, 0, 0));
    printf("%ld\n", ox_syscall3(OX_SYS_WRITE, OX_STDOUT, 0, 1));
    ox_syscall3(OX_SYS_EXIT, 17, 0, 0);
    return 1;
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def cc(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = cli_main(["cc", *argv])
    captured = capsys.readouterr()
    return rc, captured.err


def assert_one_error(err: str, *needles: str) -> str:
    """The CLI's failure shape: first line `oxcore: error: cc: ...`, no traceback."""
    assert "Traceback" not in err
    first = err.splitlines()[0]
    assert first.startswith("oxcore: error: cc: "), err
    for needle in needles:
        assert needle in first, (needle, first)
    return first


# ---- linker script ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["default", "small"])
def test_linker_script_follows_config(name: str):
    config = PRESETS[name]
    text = linker_script(config)
    assert f"ORIGIN = {config.mem_base:#010x}, LENGTH = {config.mem_size:#x}" in text
    assert f"__stack_top = {config.stack_top:#010x};" in text
    assert f"__stack_min = {STACK_MIN:#x};" in text
    assert "ENTRY(_start)" in text
    assert not re.search(r"@[A-Z_]+@", text)  # every placeholder filled in


def test_runtime_files_present():
    for name in ("crt0.S", "link.ld.in", "oxcore.h", "oxcore_rt.c"):
        assert (RUNTIME_DIR / name).is_file(), name


# ---- the generated ABI header ---------------------------------------------------------

def test_abi_header_is_generated_from_the_table(tmp_path: Path):
    include = write_abi_header(tmp_path)
    assert (include / abi.C_HEADER).read_text() == abi.c_header()
    assert write_abi_header(tmp_path) == include  # same content, same file
    assert not (RUNTIME_DIR / abi.C_HEADER).exists()  # generated, never checked in
    cmd = zig_cc_command([tmp_path / "x.c"], tmp_path / "x.elf", PRESETS["default"])
    assert str(write_abi_header()) in cmd


def test_abi_header_unwritable_is_a_tool_error(tmp_path: Path):
    blocker = write(tmp_path, "blocker", "")
    with pytest.raises(ToolError, match="cannot write ABI header"):
        write_abi_header(blocker)


def test_c_sees_the_abi_table(tmp_path: Path):
    config = PRESETS["default"]
    elf = compile_c([write(tmp_path, "abi.c", ABI_VALUES)], tmp_path / "abi.elf", config,
                    extra_flags=["-Wall", "-Werror"])
    outcome = run_elf(elf, config, max_instructions=100_000)
    registers = " ".join((abi.NUMBER_REG, *abi.ARG_REGS, abi.RESULT_REG))
    assert outcome.stdout.decode().split("\n") == [
        f"{abi.SYS_WRITE} {abi.SYS_EXIT} {abi.EBADF} {abi.EFAULT}", registers,
        f"{-abi.EBADF}", f"{-abi.EFAULT}", ""]
    assert (outcome.trap, outcome.exit_code) == (None, 17)


# ---- ELF shape and the environment ABI --------------------------------------------------

@pytest.mark.parametrize("name", ["default", "small"])
def test_elf_fits_ram_and_starts_at_start(tmp_path: Path, name: str):
    config = PRESETS[name]
    elf = compile_c([write(tmp_path, "ret.c", RETURN_42)], tmp_path / "ret.elf", config)
    program = load_program(elf, config)  # raises unless every PT_LOAD segment is in RAM
    for seg in program.segments:
        assert config.mem_base <= seg.addr and seg.addr + seg.mem_size <= config.mem_end
    assert program.entry == program.symbol("_start").addr == config.mem_base
    assert program.symbol("__stack_top").addr == config.stack_top
    assert "__global_pointer$" in program.symbols
    assert not list(tmp_path.glob(".*.tmp")), "temporary output left behind"

    outcome = run_elf(elf, config, max_instructions=10_000)
    assert (outcome.trap, outcome.exit_code, outcome.stdout) == (None, 42, b"")


def test_custom_config_moves_everything(tmp_path: Path):
    config = OxCoreConfig(name="custom", mem_base=0x4000_0000, mem_size=64 * 1024)
    elf = compile_c([write(tmp_path, "ret.c", RETURN_42)], tmp_path / "ret.elf", config)
    program = load_program(elf, config)
    assert program.entry == 0x4000_0000
    assert program.symbol("__stack_top").addr == 0x4001_0000
    assert run_elf(elf, config, max_instructions=10_000).exit_code == 42


@pytest.mark.parametrize("name", ["default", "small"])
def test_crt0_environment(tmp_path: Path, name: str):
    config = PRESETS[name]
    elf = compile_c([write(tmp_path, "env.c", ENVIRONMENT)], tmp_path / "env.elf", config,
                    extra_flags=["-Wall", "-Werror"])
    outcome = run_elf(elf, config, max_instructions=100_000)
    assert outcome.trap is None
    assert outcome.stdout.decode().split("\n") == [
        "gp ok", "sp ok", "bss ok", "heap ok", "instret ok", "cycles ok", ""]
    assert outcome.exit_code == 0


def test_malloc_stops_before_the_stack(tmp_path: Path):
    config = PRESETS["small"]
    elf = compile_c([write(tmp_path, "heap.c", HEAP)], tmp_path / "heap.elf", config)
    outcome = run_elf(elf, config, max_instructions=200_000)
    assert outcome.trap is None and outcome.exit_code == 0
    blocks = int(outcome.stdout)
    # 16 KiB of RAM, less code/data, less the 1 KiB gap kept below the stack.
    assert 4 <= blocks <= 14


def test_compiler_rt_helpers_are_linked(tmp_path: Path):
    """-nostdlib drops zig's compiler_rt; the driver links it back (-lcompiler_rt)."""
    config = PRESETS["default"]
    elf = compile_c([write(tmp_path, "helpers.c", HELPERS)], tmp_path / "helpers.elf", config)
    symbols = load_program(elf, config).symbols
    for helper in ("__udivdi3", "__umoddi3", "__divdi3", "__moddi3", "memcpy"):
        assert helper in symbols, helper
    outcome = run_elf(elf, config, max_instructions=100_000)
    n, d, sn, sd = 0xFEDCBA9876543210, 1000003, -0x123456789A, -77
    sq = abs(sn) // abs(sd) * (1 if (sn < 0) == (sd < 0) else -1)  # C truncates
    expected = f"{n // d} {n % d} {sq} {sn - sq * sd} {31 * 31} 0\n"
    assert (outcome.trap, outcome.exit_code, outcome.stdout.decode()) == (None, 0, expected)


@pytest.mark.parametrize("opt", ["0", "s"])
def test_optimisation_levels_agree(corpus: CorpusBuilds, opt: str):
    config = PRESETS["default"]
    reference = run_elf(corpus.elf("int64", config, "2"), config)
    other = run_elf(corpus.elf("int64", config, opt), config, max_instructions=1_000_000)
    assert other.trap is None
    assert (other.stdout, other.exit_code) == (reference.stdout, reference.exit_code)


# ---- the CLI: success and one-line errors -----------------------------------------------

def test_cli_compiles(tmp_path: Path, capsys):
    src = write(tmp_path, "ret.c", RETURN_42)
    out = tmp_path / "sub" / "ret.elf"
    rc, err = cc([str(src), "-o", str(out), "--config", "small", "-O", "s"], capsys)
    assert (rc, err) == (0, "")
    assert load_program(out, PRESETS["small"]).entry == PRESETS["small"].mem_base


def test_cli_missing_source(tmp_path: Path, capsys):
    rc, err = cc([str(tmp_path / "nope.c"), "-o", str(tmp_path / "x.elf")], capsys)
    assert rc != 0
    assert_one_error(err, "nope.c", "no such source file")
    assert len(err.splitlines()) == 1


def test_cli_syntax_error_carries_location(tmp_path: Path, capsys):
    src = write(tmp_path, "bad.c", "int main(void) {\n  int x = 1\n  return x;\n}\n")
    out = tmp_path / "bad.elf"
    out.write_bytes(b"previous build")
    rc, err = cc([str(src), "-o", str(out)], capsys)
    assert rc != 0
    first = assert_one_error(err, "compilation failed")
    assert re.search(r"bad\.c:2:\d+: error: ", first), first
    assert out.read_bytes() == b"previous build"  # failed builds leave the output alone
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_program_too_big_for_small_ram(tmp_path: Path, capsys):
    src = write(tmp_path, "big.c", "#include <stdint.h>\nuint8_t big[20000];\n"
                "int main(void) { for (int i = 0; i < 20000; i++) big[i] = (uint8_t)i;\n"
                "  return big[1234]; }\n")
    rc, err = cc([str(src), "-o", str(tmp_path / "big.elf"), "--config", "small"], capsys)
    assert rc != 0
    assert_one_error(err, "program too large for RAM", "16384 bytes", "'small'")
    # The same program fits the default configuration.
    rc, err = cc([str(src), "-o", str(tmp_path / "big.elf")], capsys)
    assert (rc, err) == (0, "")


def test_cli_too_little_stack(tmp_path: Path, capsys):
    """Fits RAM, but leaves less than the minimum stack: also refused."""
    src = write(tmp_path, "tight.c", "#include <stdint.h>\nuint8_t big[16000];\n"
                "int main(void) { for (int i = 0; i < 16000; i++) big[i] = (uint8_t)i;\n"
                "  return big[1234]; }\n")
    rc, err = cc([str(src), "-o", str(tmp_path / "tight.elf"), "--config", "small"], capsys)
    assert rc != 0
    assert_one_error(err, "program too large for RAM")


def test_cli_link_error(tmp_path: Path, capsys):
    src = write(tmp_path, "undef.c", "int missing(void);\nint main(void) { return missing(); }\n")
    rc, err = cc([str(src), "-o", str(tmp_path / "undef.elf")], capsys)
    assert rc != 0
    assert_one_error(err, "link failed", "undefined symbol: missing")


def test_bad_optimisation_level_in_api(tmp_path: Path):
    with pytest.raises(OxCoreError, match="optimisation level"):
        compile_c([write(tmp_path, "ret.c", RETURN_42)], tmp_path / "x.elf", PRESETS["default"],
                  opt="9")


def test_tool_error_is_an_oxcore_error():
    assert issubclass(ToolError, OxCoreError)
