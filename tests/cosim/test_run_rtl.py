"""`oxcore run --sim rtl`: the RTL behaves like the golden interpreter as a process.

Output, exit status, trap lines, limits, `--trace`, `--stats-json` and option errors.
The reference is always `--sim iss` on the same file (or the interpreter's own records),
plus values worked out by hand. Programs are tiny: the RTL simulator is slow.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oxcore.retire import TRAP_EXIT_STATUS, TrapCause

from .iss.helpers import (BASE, DATA, EBREAK, ECALL, MEM_END, NOP, SYS_EXIT, SYS_WRITE, Asm,
                          I, a0, a1, a2, a7, elf_image, li, ra, s0, t0, zero)
from .rtl_programs import (MIXED_EXIT, MIXED_S, MIXED_STDERR, MIXED_STDOUT, RETIRE_SIGNALS,
                           SMALL_C, SMALL_C_EXIT, SMALL_C_STDERR, SMALL_C_STDOUT, Waveform,
                           assemble, compile_c, golden, one_error_line, oxcore)

STALLS = ("stall_load_use", "stall_branch", "stall_muldiv", "stall_memory", "stall_env")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> str:
    return assemble(tmp_path_factory.mktemp("mixed"), MIXED_S, "mixed")


@pytest.fixture(scope="module")
def small_c(tmp_path_factory) -> str:
    return compile_c(tmp_path_factory.mktemp("small_c"), SMALL_C, "small")


def write_elf(tmp_path: Path, words: list[int], name: str = "prog.elf",
              data: tuple[int, bytes] | None = None) -> str:
    path = tmp_path / name
    path.write_bytes(elf_image(words, data=data))
    return str(path)


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


# ---- output and exit status equal to the interpreter's --------------------------------

@pytest.mark.parametrize("which", ["asm", "c"])
def test_output_status_and_trace_equal_the_interpreter(which, mixed, small_c, tmp_path,
                                                       capsys):
    path, status, out, err = {
        "asm": (mixed, MIXED_EXIT, MIXED_STDOUT, MIXED_STDERR),
        "c": (small_c, SMALL_C_EXIT, SMALL_C_STDOUT, SMALL_C_STDERR)}[which]
    iss = oxcore(capsys, "run", path, "--sim", "iss", "--trace", tmp_path / "iss.trace")
    rtl = oxcore(capsys, "run", path, "--sim", "rtl", "--trace", tmp_path / "rtl.trace")
    assert iss == (status, out.decode(), err.decode())  # the hand-known results
    assert rtl == iss
    # Neither program reads a counter: the commit logs are identical line for line.
    iss_trace = (tmp_path / "iss.trace").read_text().splitlines()
    rtl_trace = (tmp_path / "rtl.trace").read_text().splitlines()
    assert rtl_trace == iss_trace
    assert rtl_trace == [r.trace_line() for r in golden(path).records]
    assert rtl_trace[-1].split(";")[-1].strip() == "ecall"  # the exit() is in the log


def test_process_exit_status(small_c):
    """The status really becomes the process's (not just main()'s return value)."""
    proc = subprocess.run([sys.executable, "-m", "oxcore.cli", "run", small_c, "--sim", "rtl"],
                          capture_output=True, timeout=300, cwd=Path(__file__).parents[2])
    assert (proc.returncode, proc.stdout, proc.stderr) == \
        (SMALL_C_EXIT, SMALL_C_STDOUT, SMALL_C_STDERR)


@pytest.mark.parametrize("code, status", [(0, 0), (0x1FF, 0xFF), (-3, 0xFD)])
def test_exit_codes_wrap_like_the_interpreter(tmp_path, capsys, code, status):
    asm = Asm()
    asm.li(a0, code).li(a7, SYS_EXIT)(ECALL)
    path = write_elf(tmp_path, asm.build())
    assert oxcore(capsys, "run", path, "--sim", "rtl") == (status, "", "")
    assert oxcore(capsys, "run", path, "--sim", "iss") == (status, "", "")


# ---- traps ------------------------------------------------------------------------------

S0_DATA = li(s0, DATA)  # two instructions: the trapping one is at BASE + 8

# (words, cause text, pc, raw word or None, disassembly, instructions retired before it)
TRAPS = {
    "illegal": (S0_DATA + [0xFFFF_FFFF], "illegal instruction", BASE + 8, 0xFFFF_FFFF,
                ".word 0xffffffff", 2),
    "csr-write": (S0_DATA + [I.csrrw(zero, 0xC00, a0)], "illegal instruction", BASE + 8,
                  0xC005_1073, "csrrw zero, cycle, a0", 2),
    "ebreak": (S0_DATA + [EBREAK], "breakpoint", BASE + 8, 0x0010_0073, "ebreak", 2),
    "load-misaligned": (S0_DATA + [I.lw(a0, 2, s0)], "load misaligned", BASE + 8,
                        0x0024_2503, "lw a0, 2(s0)", 2),
    "store-misaligned": (S0_DATA + [I.sh(a0, 1, s0)], "store misaligned", BASE + 8,
                         0x00A4_10A3, "sh a0, 1(s0)", 2),
    "jump-misaligned": (S0_DATA + [I.jalr(ra, 2, s0)], "instruction misaligned", BASE + 8,
                        0x0024_00E7, "jalr ra, 2(s0)", 2),
    "load-fault": (S0_DATA + [I.lw(a0, 0, zero)], "load access fault", BASE + 8,
                   0x0000_2503, "lw a0, 0(zero)", 2),
    "store-fault": (li(s0, MEM_END) + [I.sw(a0, 0, s0)], "store access fault", BASE + 8,
                    0x00A4_2023, "sw a0, 0(s0)", 2),
    "fetch-fault": (S0_DATA + [I.jalr(ra, 0x100, zero)], "instruction access fault", 0x100,
                    None, None, 3),
    "unknown-ecall": (S0_DATA + li(a7, 1) + [ECALL], "unknown ecall", BASE + 16,
                      0x0000_0073, "ecall", 4),
}
STATUS = {"illegal instruction": 132, "breakpoint": 133, "load misaligned": 135,
          "store misaligned": 135, "instruction misaligned": 135, "load access fault": 139,
          "store access fault": 139, "instruction access fault": 139, "unknown ecall": 159}


def test_statuses_are_the_documented_ones():
    """STATUS (used below) and the code agree with docs/memory-map-abi.md's table."""
    doc = (Path(__file__).parents[2] / "docs" / "memory-map-abi.md").read_text()
    rows = re.findall(r"^\| (.+?) \| (\d+)(?: \(OxCore\))? \| (\d+) \(SIG\w+\) \|$", doc, re.M)
    assert len(rows) == 10
    for _, mcause, status in rows:
        cause = TrapCause(int(mcause))
        assert TRAP_EXIT_STATUS[cause] == int(status)
        if cause.description in STATUS:
            assert STATUS[cause.description] == int(status)
    assert len(STATUS) == 9


@pytest.mark.parametrize("name", TRAPS)
def test_trap_line_and_status(name, tmp_path, capsys):
    words, cause, pc, raw, disasm, retired = TRAPS[name]
    if raw is not None:
        assert words[(pc - BASE) // 4] == raw  # the hand-encoded word is what we placed
    path = write_elf(tmp_path, words)
    status = STATUS[cause]
    if raw is None:
        where = f"pc 0x{pc:08x} (no instruction: outside memory)"
    else:
        where = f"pc 0x{pc:08x}: 0x{raw:08x}  {disasm}"
    head = f"oxcore: trap: {cause} at {where}"
    tail = f"; {retired} instructions retired"

    runs = {}
    for sim in ("iss", "rtl"):
        runs[sim] = oxcore(capsys, "run", path, "--sim", sim,
                           "--trace", tmp_path / f"{sim}.trace",
                           "--stats-json", tmp_path / f"{sim}.json")
        got_status, out, err = runs[sim]
        assert (got_status, out) == (status, "")
        lines = err.splitlines()
        assert len(lines) == 1, err
        # The interpreter may add a detail in parentheses (e.g. the faulting address).
        assert re.fullmatch(re.escape(head) + r"( \(.+\))?" + re.escape(tail), lines[0]), \
            lines[0]
    assert runs["rtl"][2] == head + tail + "\n"
    rtl_trace = (tmp_path / "rtl.trace").read_text()
    assert rtl_trace == (tmp_path / "iss.trace").read_text()
    for sim in ("iss", "rtl"):
        stats = json.loads((tmp_path / f"{sim}.json").read_text())
        assert stats["sim"] == sim
        assert (stats["exit_code"], stats["instret"], stats["trap"]) == \
            (status, retired, cause.replace(" ", "_"))


# ---- limits -------------------------------------------------------------------------------

def test_max_cycles_stops_with_152(mixed, tmp_path, capsys):
    limit = 40
    status, out, err = oxcore(capsys, "run", mixed, "--sim", "rtl", "--max-cycles", limit,
                              "--trace", tmp_path / "t", "--stats-json", tmp_path / "s.json")
    trace = (tmp_path / "t").read_text().splitlines()
    retired = len(trace)
    assert (status, out) == (152, "")
    assert err == (f"oxcore: stop: cycle limit of {limit} reached after {limit} cycles; "
                   f"{retired} instructions retired\n")
    assert 0 < retired < limit
    assert trace == [r.trace_line() for r in golden(mixed).records[:retired]]
    stats = load_json(tmp_path / "s.json")
    assert (stats["cycles"], stats["instret"], stats["exit_code"]) == (limit, retired, 152)


@pytest.mark.parametrize("limit", [1, 30])  # 0 is refused: limits are positive
def test_max_instructions_stops_with_152(limit, mixed, tmp_path, capsys):
    status, out, err = oxcore(capsys, "run", mixed, "--sim", "rtl", "--max-instructions",
                              limit, "--trace", tmp_path / "rtl")
    assert (status, out) == (152, "")
    match = re.fullmatch(rf"oxcore: stop: instruction limit of {limit} reached after "
                         rf"(\d+) cycles; {limit} instructions retired\n", err)
    assert match, err
    assert int(match[1]) >= limit
    iss = oxcore(capsys, "run", mixed, "--sim", "iss", "--max-instructions", limit,
                 "--trace", tmp_path / "iss")
    assert iss[:2] == (152, "")
    expected = [r.trace_line() for r in golden(mixed).records[:limit]]
    assert (tmp_path / "rtl").read_text().splitlines() == expected
    assert (tmp_path / "iss").read_text().splitlines() == expected


def test_instruction_limit_boundary(tmp_path, capsys):
    """A limit equal to the program's length lets exit() happen on both simulators; one
    fewer stops before it (before the write, too)."""
    asm = Asm()
    asm.li(a0, 1).li(a1, DATA).li(a2, 3).li(a7, SYS_WRITE)(ECALL).li(a0, 9).li(a7, SYS_EXIT)(ECALL)
    words = asm.build()
    path = write_elf(tmp_path, words, data=(DATA, b"abc"))
    total = len(words)  # straight-line: every word retires once
    for sim in ("iss", "rtl"):
        status, out, _ = oxcore(capsys, "run", path, "--sim", sim,
                                "--max-instructions", total)
        assert (status, out) == (9, "abc")
        status, out, _ = oxcore(capsys, "run", path, "--sim", sim,
                                "--max-instructions", total - 1)
        assert (status, out) == (152, "abc")
        status, out, _ = oxcore(capsys, "run", path, "--sim", sim, "--max-instructions", 8)
        assert (status, out) == (152, "")  # the write ecall is the 9th instruction


# ---- --stats-json -----------------------------------------------------------------------

def test_stats_json(mixed, tmp_path, capsys):
    ref = golden(mixed)
    status, _, _ = oxcore(capsys, "run", mixed, "--sim", "rtl",
                          "--stats-json", tmp_path / "rtl.json")
    assert status == MIXED_EXIT
    oxcore(capsys, "run", mixed, "--sim", "iss", "--stats-json", tmp_path / "iss.json")
    rtl, iss = load_json(tmp_path / "rtl.json"), load_json(tmp_path / "iss.json")
    assert rtl["instret"] == iss["instret"] == ref.stop.instret == len(ref.records)
    assert (rtl["sim"], rtl["config"], rtl["program"]) == ("rtl", "default", mixed)
    assert (rtl["exit_code"], rtl["trap"]) == (MIXED_EXIT, None)
    cycles, instret, counters = rtl["cycles"], rtl["instret"], rtl["counters"]
    assert isinstance(cycles, int) and cycles >= instret
    assert rtl["cpi"] == pytest.approx(cycles / instret, abs=1e-4)
    assert set(STALLS) <= set(counters)
    assert all(isinstance(v, int) and v >= 0 for v in counters.values())
    # The core's own counters agree with the harness's counts.
    assert counters["cycle"] == cycles and counters["instret"] == instret
    # Every stall cycle is a cycle in which nothing retires.
    assert sum(counters[name] for name in STALLS) <= cycles - instret
    # By hand from the program: one load-use pair (lb t2; add t3, t2, ...), four divider
    # operations, a single-cycle RAM, and 12 control transfers (10 loop branches, call,
    # ret).
    assert counters["stall_load_use"] == 1
    assert counters["stall_muldiv"] > 4
    assert counters["stall_memory"] == 0
    assert counters["branches"] == 12
    assert counters["stall_env"] > 0  # three ecalls, each serviced by the harness
    assert rtl["wall_s"] >= 0


def _stats_of(tmp_path: Path, capsys, words: list[int], name: str) -> dict:
    path = write_elf(tmp_path, words, name=f"{name}.elf")
    json_path = tmp_path / f"{name}.json"
    assert oxcore(capsys, "run", path, "--sim", "rtl", "--stats-json", json_path)[0] == 0
    return load_json(json_path)


def test_cycle_accounting_by_hand(tmp_path, capsys):
    """Independent ALU instructions issue one per cycle: 20 more cost 20 more cycles and
    no stall; a load whose result the next instruction uses costs one load-use bubble,
    and none with an independent instruction in between."""
    exit0 = li(a0, 0) + li(a7, SYS_EXIT) + [ECALL]
    short = _stats_of(tmp_path, capsys, [I.addi(t0, t0, 1)] * 10 + exit0, "short")
    long = _stats_of(tmp_path, capsys, [I.addi(t0, t0, 1)] * 30 + exit0, "long")
    assert long["instret"] - short["instret"] == 20
    assert long["cycles"] - short["cycles"] == 20
    for name in STALLS:
        assert long["counters"][name] == short["counters"][name]
    assert short["counters"]["stall_load_use"] == short["counters"]["stall_muldiv"] == 0

    load = S0_DATA + [I.lw(a1, 0, s0)]
    use = _stats_of(tmp_path, capsys, load + [I.add(a2, a1, a1), NOP] + exit0, "use")
    apart = _stats_of(tmp_path, capsys, load + [NOP, I.add(a2, a1, a1)] + exit0, "apart")
    assert use["counters"]["stall_load_use"] == 1
    assert apart["counters"]["stall_load_use"] == 0
    assert use["instret"] == apart["instret"]
    assert use["cycles"] == apart["cycles"] + 1


def test_stats_json_with_nothing_retired(tmp_path, capsys):
    # The first instruction traps (ebreak): nothing retires, and there is no CPI.
    program = assemble(tmp_path, ".globl _start\n_start:\n ebreak\n", "brk")
    status, _, _ = oxcore(capsys, "run", program, "--sim", "rtl",
                          "--stats-json", tmp_path / "s.json")
    stats = load_json(tmp_path / "s.json")
    assert (status, stats["instret"], stats["cpi"]) == (133, 0, None)


# ---- bad option combinations -------------------------------------------------------------

BAD_OPTIONS = {
    "vcd-with-default-sim": (["--vcd", "{tmp}/w.vcd"], "--sim rtl"),
    "vcd-with-iss": (["--sim", "iss", "--vcd", "{tmp}/w.vcd"], "--sim rtl"),
    "window-without-vcd": (["--sim", "rtl", "--vcd-window", "1:5"], "--vcd"),
    "window-with-iss": (["--vcd-window", "1:5"], "--sim rtl"),
    "max-cycles-with-iss": (["--max-cycles", "5"], "--sim rtl"),
    "fault-with-iss": (["--fault", "lb-no-sign-extend"], "--sim rtl"),
    "unknown-fault": (["--sim", "rtl", "--fault", "no-such-fault"], "no-such-fault"),
    "negative-cycles": (["--sim", "rtl", "--max-cycles=-1"], "--max-cycles"),
    "negative-instructions": (["--sim", "rtl", "--max-instructions=-1"],
                              "--max-instructions"),
}
BAD_WINDOWS = ["5", "a:b", "9:5", "5:5", "-1:5", "1:2:3", ":", "", "1:", "0x10:0x20"]


@pytest.mark.parametrize("name", BAD_OPTIONS)
def test_bad_option_combinations(name, mixed, tmp_path, capsys):
    argv, mentions = BAD_OPTIONS[name]
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    status, out, err = oxcore(capsys, "run", mixed, *argv)
    assert status != 0 and out == ""
    assert mentions in one_error_line(err)
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("window", BAD_WINDOWS)
def test_bad_window_text(window, mixed, tmp_path, capsys):
    vcd = tmp_path / "w.vcd"
    status, out, err = oxcore(capsys, "run", mixed, "--sim", "rtl", "--vcd", vcd,
                              f"--vcd-window={window}")
    assert status != 0 and out == ""
    assert "--vcd-window" in one_error_line(err)
    assert not list(tmp_path.iterdir())


def test_unknown_fault_lists_the_known_ones(mixed, capsys):
    _, _, err = oxcore(capsys, "run", mixed, "--sim", "rtl", "--fault", "bogus")
    line = one_error_line(err)
    for known in ("forward-wrong-stage", "lb-no-sign-extend", "sltu-as-slt", "rem-sign",
                  "no-load-use-stall"):
        assert known in line


def test_unwritable_outputs_are_one_line_errors(mixed, tmp_path, capsys):
    """A directory where a file should go: one error line, before any simulation."""
    for flag in ("--vcd", "--trace", "--stats-json"):
        status, out, err = oxcore(capsys, "run", mixed, "--sim", "rtl", flag, tmp_path)
        assert status != 0 and out == ""
        assert flag in one_error_line(err)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("flag", ["--vcd", "--trace", "--stats-json"])
def test_output_under_a_plain_file_is_a_one_line_error(flag, tmp_path, capsys):
    words = li(a0, 0) + li(a7, SYS_EXIT) + [ECALL]
    path = write_elf(tmp_path, words)
    (tmp_path / "plain").write_text("not a directory")
    status, out, err = oxcore(capsys, "run", path, "--sim", "rtl", flag,
                              tmp_path / "plain" / "out")
    assert status != 0 and out == ""
    assert "plain" in one_error_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "prog.elf"]


def test_missing_program(tmp_path, capsys):
    status, out, err = oxcore(capsys, "run", tmp_path / "nope.elf", "--sim", "rtl")
    assert status != 0 and out == ""
    assert "nope.elf" in one_error_line(err)


def test_trace_cycles_stamps_the_commit_log(mixed, tmp_path, capsys):
    """Each line: the cycle it retired in (strictly increasing: one retirement per cycle
    at most), then exactly the interpreter's trace line."""
    status, _, err = oxcore(capsys, "run", mixed, "--sim", "rtl", "--trace",
                            tmp_path / "t", "--trace-cycles")
    assert status == MIXED_EXIT, err
    lines = (tmp_path / "t").read_text().splitlines()
    stamps = [int(re.match(r"cycle +(\d+) ", line)[1]) for line in lines]
    assert stamps == sorted(set(stamps)) and stamps[0] >= 1
    assert [re.sub(r"^cycle +\d+ ", "", line) for line in lines] == \
        [r.trace_line() for r in golden(mixed).records]


def test_a_waveform_without_a_window_holds_the_first_cycles(mixed, tmp_path, capsys,
                                                            monkeypatch):
    import cosim.run
    monkeypatch.setattr(cosim.run, "DEFAULT_VCD_CYCLES", 40)  # the default is 100,000
    vcd = tmp_path / "w.vcd"
    status, _, err = oxcore(capsys, "run", mixed, "--sim", "rtl", "--vcd", vcd)
    assert status == MIXED_EXIT
    assert "the waveform holds the first 40 of" in err and "--vcd-window" in err
    wave = Waveform(vcd, RETIRE_SIGNALS)
    assert max(t for name in RETIRE_SIGNALS for t, _ in wave.tv(name)) <= 40 * wave.period
