"""`oxcore cosim`: PASS summaries, kernel outputs read from the RTL's memory, the
first-divergence report (and the waveform command it prints, which is run here), and
one-line errors for bad input.

References: the golden interpreter's records and numpy, plus values worked out by hand
from the programs below. Programs and kernel shapes are small (the RTL simulator runs a
few thousand cycles per second).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from cosim.cosim_cmd import cosim_program
from cosim.rtl_sim import RtlSimulator
from oxcore.isa import BY_MNEMONIC

from .rtl_programs import (MIXED_EXIT, MIXED_S, MIXED_STDERR, MIXED_STDOUT, RETIRE_SIGNALS,
                           SMALL, Waveform, assemble, golden, one_error_line, oxcore)

SUMMARY = re.compile(
    r"cosim: (?P<verdict>PASS |MATCH) (?P<what>.+): (?P<n>[\d,]+) instructions, "
    r"(?P<cycles>[\d,]+) cycles, "
    r"CPI (?P<cpi>\d+\.\d{3}) \(IPC (?P<ipc>\d+\.\d{3})\), [\d.]+ s \([\d,]+ cycles/s\)\n"
    r"  stall cycles: load-use (?P<stall_load_use>\d+), branch (?P<stall_branch>\d+), "
    r"mul/div (?P<stall_muldiv>\d+), memory (?P<stall_memory>\d+), environment "
    r"(?P<stall_env>\d+); branches (?P<branches>\d+), mispredicted (?P<mispredicts>\d+)\n"
    r"  ended: (?P<ended>.+)\n")
COUNTERS = ("stall_load_use", "stall_branch", "stall_muldiv", "stall_memory", "stall_env",
            "branches", "mispredicts")


def number(text: str) -> int:
    return int(text.replace(",", ""))


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> str:
    return assemble(tmp_path_factory.mktemp("mixed"), MIXED_S, "mixed")


# ---- PASS ---------------------------------------------------------------------------------

def test_pass_on_a_program(mixed, tmp_path, capsys):
    ref = golden(mixed)
    status, out, err = oxcore(capsys, "cosim", mixed, "--stats-json", tmp_path / "s.json")
    # Both sides matched, but the program exited with 55: not a plain PASS (status 3).
    assert status == 3
    # The program's output is shown as it runs, then the summary.
    assert out.startswith(MIXED_STDOUT.decode())
    assert err == MIXED_STDERR.decode()
    summary = out[len(MIXED_STDOUT):]
    match = SUMMARY.fullmatch(summary)
    assert match, summary
    assert match["what"] == mixed
    assert (match["verdict"], match["ended"]) == ("MATCH", "exit status 55")
    instructions, cycles = number(match["n"]), number(match["cycles"])
    assert instructions == ref.stop.instret == len(ref.records) == 86
    assert cycles >= instructions
    assert match["cpi"] == f"{cycles / instructions:.3f}"
    assert match["ipc"] == f"{instructions / cycles:.3f}"
    # By hand (see MIXED_S): one load-use pair, single-cycle RAM, 12 control transfers.
    assert (int(match["stall_load_use"]), int(match["stall_memory"]),
            int(match["branches"])) == (1, 0, 12)
    assert int(match["stall_muldiv"]) > 0 and int(match["stall_env"]) > 0

    stats = load_json(tmp_path / "s.json")
    assert (stats["result"], stats["config"], stats["program"]) == ("match", "default", mixed)
    assert (stats["verdict"], stats["exit_status"], stats["ended"]) == \
        ("exit", 3, {"how": "exit", "exit_code": 55})
    assert (stats["instret"], stats["cycles"]) == (instructions, cycles)
    assert stats["exit_code"] == MIXED_EXIT == ref.status
    assert stats["cpi"] == pytest.approx(cycles / instructions, abs=1e-4)
    assert stats["ipc"] == pytest.approx(instructions / cycles, abs=1e-4)
    assert {name: stats["counters"][name] for name in COUNTERS} == \
        {name: int(match[name]) for name in COUNTERS}
    assert stats["counters"]["instret"] == instructions
    assert stats["counters"]["cycle"] == cycles


def test_instruction_limit_is_a_match_over_that_prefix(mixed, capsys):
    status, out, _ = oxcore(capsys, "cosim", mixed, "--max-instructions", 30)
    assert status == 5  # everything matched, but a limit stopped the program
    match = SUMMARY.search(out)
    assert number(match["n"]) == 30 and match["verdict"] == "MATCH"
    assert match["ended"] == "instruction limit reached after 30 instructions"


@pytest.mark.parametrize("kernel, shape, seed, output", [
    ("c_gemm", "4,4,4", 1, "C (int32[4, 4])"),
    ("c_dot", "12", 5, "S (int32[1])"),
])
def test_pass_on_kernels(kernel, shape, seed, output, tmp_path, capsys):
    status, out, err = oxcore(capsys, "cosim", "--kernel", kernel, "--shape", shape,
                              "--seed", seed, "--stats-json", tmp_path / "s.json")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    what = f"{kernel} {shape} (seed {seed})"
    match = SUMMARY.match(out)
    assert match and match["what"] == what, out
    assert (match["verdict"], match["ended"]) == ("PASS ", "exit status 0")
    checked = lines.index(f"  {output} read from the RTL's memory matches numpy")
    # then how busy the core was, and the loop profile of the kernel's region
    assert re.fullmatch(r"  engines busy: scalar [\d.]+% \(scalar: cycles retiring an "
                        r"instruction\)", lines[checked + 1]), out
    assert lines[checked + 2].startswith("  where the time went (the whole run: "), out
    stats = load_json(tmp_path / "s.json")
    assert (stats["result"], stats["shape"], stats["seed"]) == ("pass", shape, seed)
    assert stats["instret"] == number(match["n"])
    # The program the stats name is the kernel with its inputs: the interpreter agrees
    # on its length.
    assert golden(stats["program"]).stop.instret == stats["instret"]


def test_kernel_check_reads_the_rtl_memory(monkeypatch, capsys):
    """Corrupt one byte of what the RTL's memory returned: the numpy check must see it.
    (So the outputs compared are the RTL's, not the interpreter's.)"""

    class Corrupting(RtlSimulator):
        def run(self, *args, **kwargs):
            stop = super().run(*args, **kwargs)
            addr = min(stop.memory)
            data = bytearray(stop.memory[addr])
            data[0] ^= 0x01
            stop.memory[addr] = bytes(data)
            return stop

    monkeypatch.setattr("cosim.rtl_backend.RtlSimulator", Corrupting)  # pysim in tests
    status, out, err = oxcore(capsys, "cosim", "--kernel", "c_gemm", "--shape", "4,4,4")
    assert status == 1 and "PASS" not in out
    assert re.search(r"cosim: FAIL  c_gemm 4,4,4 \(seed 1\): C: 1 of 16 elements differ; "
                     r"first at \[0, 0\]", err), err


def test_kernel_outputs_in_rtl_memory_equal_numpy():
    """The RTL's memory after gemm holds A @ B computed here with numpy."""
    from cosim.kernels import output_ranges, prepare
    from sw.kernels import get_kernel
    kernel = get_kernel("c_gemm")
    case = prepare(kernel, {"M": 3, "N": 4, "K": 5}, SMALL, seed=11)
    A, B = case.inputs["A"], case.inputs["B"]
    assert A.shape == (3, 5) and B.shape == (5, 4) and A.dtype == B.dtype == np.int8
    # The inputs really are in the image the RTL runs (little-endian int8 bytes).
    sym = case.program.symbol("A")
    seg = next(s for s in case.program.segments if s.addr <= sym.addr < s.addr + len(s.data))
    offset = sym.addr - seg.addr
    assert seg.data[offset:offset + A.size] == A.tobytes()
    ranges = output_ranges(case)
    result = cosim_program(SMALL, case.program, read_back=ranges)
    assert result.ok and result.rtl.reason == "exit"
    (addr, nbytes), = ranges
    got = np.frombuffer(result.rtl.memory[addr], dtype="<i4").reshape(3, 4)
    want = A.astype(np.int64) @ B.astype(np.int64)
    assert nbytes == 48 and np.array_equal(got, want)


def test_compiled_gemm_reports_its_performance(capsys):
    """The compiled gemm (sw/ops/gemm.py) on its own configuration (tensor): C checked,
    then the kernel's cycles, MAC utilization and roofline."""
    status, out, err = oxcore(capsys, "cosim", "--kernel", "gemm", "--shape", "17,33,9")
    assert status == 0, err
    assert "cosim: PASS  gemm 17,33,9 (seed 1)" in out
    assert "  C (int32[17, 33]) read from the RTL's memory matches numpy" in out
    assert re.search(r"  kernel: [\d,]+ cycles from kernel_begin to kernel_end, 2x3 programs",
                     out), out
    assert re.search(r"tensor engine: MAC utilization [\d.]+% \(5,049 MACs over", out), out
    assert "roofline: compute bound 79 cycles" in out
    assert re.search(r"  engines busy: scalar [\d.]+%, tensor [\d.]+% \(scalar: cycles "
                     r"retiring an instruction\)", out), out
    # the loop profile: the program loop first (its kept label), once per program (2x3)
    table = out[out.index("  where the time went (kernel_begin..kernel_end: "):].splitlines()
    assert table[1].split()[:4] == ["loop", "pcs", "iterations", "cycles"]
    assert table[2].split()[0] == "gemm.programs" and table[2].split()[2] == "6", out
    assert table[-1].split()[:2] == ["(outside", "loops)"]


def test_compiled_vector_kernel_reports_the_vector_engine_busy(tmp_path, capsys):
    """The element-wise add on the vector configuration: the vector engine's busy share
    (cycles holding an instruction) is there and within bounds, in --stats-json too, and
    so are its performance counters."""
    stats = tmp_path / "stats.json"
    status, out, err = oxcore(capsys, "cosim", "--kernel", "add", "--shape", "256",
                              "--stats-json", stats)
    assert status == 0, err
    busy = re.search(r"  engines busy: scalar ([\d.]+)%, vector ([\d.]+)%", out)
    assert busy, out
    assert 0 < float(busy[1]) <= 100 and 0 < float(busy[2]) <= 100
    assert "  where the time went (kernel_begin..kernel_end: " in out
    figures = load_json(stats)
    assert set(figures["engines_busy"]) == {"scalar", "vector"}
    assert round(100 * figures["engines_busy"]["vector"], 1) == float(busy[2])
    assert figures["loops"] and all(loop["cycles"] <= figures["kernel_cycles"]
                                    for loop in figures["loops"])
    # the engine's counters (docs/vector.md): a and b loaded, added, Z stored, 256
    # elements each; each sequencer active within the engine's busy cycles
    shares = re.search(r"  vector counters: arithmetic sequencer active ([\d.]+)%, load/store "
                       r"([\d.]+)%, issue-check wait [\d.]+%, queue full [\d.]+%, engine "
                       r"busy ([\d.]+)% of cycles; 1,024 body elements", out)
    assert shares, out
    counters = figures["vector_counters"]
    assert counters["velements"] == 4 * 256
    assert max(counters["vactive_alu"], counters["vactive_lsu"]) <= counters["vbusy"]
    assert 0 < float(shares[2]) <= float(shares[3]) <= 100


def test_compiled_vector_operator_with_a_shape(capsys):
    """A library operator on the vector engine (sw/ops/layout.py's transpose, int32) at
    a SHAPE= override: Z checked against numpy, the vector roofline reported (5 x 3
    int32: 15 elements, 120 bytes moved at 16 a cycle)."""
    status, out, err = oxcore(capsys, "cosim", "--kernel", "transpose_i32", "--shape", "5,3")
    assert status == 0, err
    assert "cosim: PASS  transpose_i32 5,3 (seed 1)" in out
    assert "  Z (int32[3, 5]) read from the RTL's memory matches numpy" in out
    assert re.search(r"  kernel: [\d,]+ cycles from kernel_begin to kernel_end, 5 programs",
                     out), out
    assert re.search(r"vector engine: 15 elements in [\d,]+ cycles, .*memory 8: 120 bytes at "
                     r"16 a cycle\): [\d.]+% of the bound", out), out


def test_all_kernels_end_with_a_summary_table(capsys):
    """--kernel all on a configuration without engines: the C baselines run, the
    engine kernels are skipped with the reason, and one table sums them up."""
    status, out, err = oxcore(capsys, "cosim", "--kernel", "all", "--config", "default")
    assert status == 0, err
    assert "cosim: skipping gemm, gemm_kn, gemm_q, conv2d, add, relu, add_2d, bias, bias_scalar, " \
        "reduce_sum, reduce_max, matvec, matvec_rows, transpose, transpose_i32, maxpool2d" in out
    table = out[out.index("cosim summary:"):].splitlines()
    assert table[1].split()[:6] == ["kernel", "shape", "config", "verdict", "instructions",
                                    "cycles"]
    assert [line.split()[0] for line in table[2:]] == ["c_gemm", "c_conv2d", "c_vadd",
                                                      "c_dot", "c_relu"]
    assert all(line.split()[2:4] == ["default", "PASS"] for line in table[2:])


def test_a_sweep_runs_the_kernel_on_each_configuration(capsys, tmp_path):
    """--sweep vector.lanes=2,4: the compiled add twice, checked each time, then a table
    of both; twice the lanes (and memory port) take fewer kernel cycles. --stats-json
    keys each variant's figures by its name."""
    stats = tmp_path / "sweep.json"
    status, out, err = oxcore(capsys, "cosim", "--kernel", "add", "--config", "vector",
                              "--shape", "300", "--sweep", "vector.lanes=2,4",
                              "--stats-json", str(stats))
    assert status == 0, err
    assert out.count("cosim: PASS  add 300") == 2
    table = out[out.index("cosim summary:"):].splitlines()[2:]
    names = ["vector[vector.lanes=2]", "vector[vector.lanes=4]"]
    assert [line.split()[2:4] for line in table] == [[name, "PASS"] for name in names]
    figures = json.loads(stats.read_text())
    assert sorted(figures) == names
    assert figures[names[1]]["kernel_cycles"] < figures[names[0]]["kernel_cycles"]


def test_a_program_sweeps_too_and_a_variant_is_a_config(mixed, tmp_path, capsys):
    """A program on each branch predictor: the same 86 instructions checked each time
    (it exits with 55: status 3, as alone), one table; the variant's name, given back
    to --config, is that configuration."""
    status, out, err = oxcore(capsys, "cosim", mixed, "--sweep",
                              "branch_predictor=static,none", "--stats-json",
                              str(tmp_path / "s.json"))
    assert status == 3, err
    table = out[out.index("cosim summary:"):].splitlines()[2:]
    names = ["default[branch_predictor=static]", "default[branch_predictor=none]"]
    assert [line.split()[2:5] for line in table] == [[name, "EXIT", "86"] for name in names]
    figures = load_json(tmp_path / "s.json")
    assert sorted(figures) == sorted(names)
    status, out, err = oxcore(capsys, "cosim", mixed, "--config", names[1], "--stats-json",
                              str(tmp_path / "one.json"))
    assert status == 3 and load_json(tmp_path / "one.json")["cycles"] == \
        figures[names[1]]["cycles"]


@pytest.mark.parametrize("args, message", [
    (["--kernel", "add", "--config", "vector", "--sweep", "vector.lane=2,4"],
     "oxcore: error: [vector] unknown field 'lane' "
     "(known: lanes, port_stage, queue_depth, vlen)"),
    (["--kernel", "all", "--sweep", "vector.lanes=2"],
     "oxcore: error: --sweep runs one kernel or program on each configuration: name one "
     "kernel, not --kernel all"),
    (["--kernel", "add", "--sweep", "vector.lanes=2", "--trace", "t.log"],
     "oxcore: error: --trace, --pipeview and --vcd follow one program"),
])
def test_a_bad_sweep_is_refused_before_anything_runs(capsys, tmp_path, monkeypatch, args,
                                                     message):
    monkeypatch.chdir(tmp_path)
    status, out, err = oxcore(capsys, "cosim", *args)
    assert status == 1 and out == "" and err.startswith(message), err


@pytest.mark.long
def test_every_kernel_passes_on_its_own_configuration(capsys):
    """`make cosim KERNEL=all` as a user runs it: every registered kernel at its default
    shape on its own configuration (the engines' included), each PASS in the table."""
    from sw.kernels import KERNELS
    status, out, err = oxcore(capsys, "cosim", "--kernel", "all")
    assert status == 0, err
    assert "skipping" not in out
    table = out[out.index("cosim summary:"):].splitlines()[2:]
    assert sorted(line.split()[0] for line in table) == sorted(KERNELS)
    assert all(line.split()[3] == "PASS" for line in table), table


def test_a_fault_makes_gemm_fail(capsys):
    status, out, err = oxcore(capsys, "cosim", "--kernel", "c_gemm", "--shape", "4,4,4",
                              "--fault", "lb-no-sign-extend")
    assert status == 1 and "PASS" not in out
    assert "cosim: MISMATCH" in err and "lb " in err


# ---- divergence -----------------------------------------------------------------------

def diverge_source(filler: int) -> str:
    """`filler` + 3 instructions, then an lb of 0x80 (so its order is filler + 3), then
    exit(the loaded value)."""
    body = "\n".join(["    addi t0, t0, 1"] * filler)
    return f"""
    .data
val: .byte 0x80
    .text
    .globl _start
_start:
    la   s0, val
    li   t0, 0
{body}
    lb   a0, 0(s0)
    li   a7, 93
    ecall
"""


def encode(mnemonic: str, **operands: int) -> int:
    return BY_MNEMONIC[mnemonic].encode(**operands)


def test_divergence_report_and_its_waveform_command(tmp_path, capsys, monkeypatch):
    filler = 18
    where = tmp_path / "dir with space"  # the printed command must survive a shell
    where.mkdir()
    program = assemble(where, diverge_source(filler), "diverge", SMALL)
    ref = golden(program, SMALL).records
    order = filler + 3
    lb = ref[order]
    # Independent of the report: the interpreter's lb sign-extends 0x80.
    assert lb.insn == encode("lb", rd=10, rs1=8, imm=0) and lb.rd_value == 0xFFFF_FF80
    assert lb.order == order and lb.pc == SMALL.mem_base + 4 * order

    status, out, err = oxcore(capsys, "cosim", program, "--config", "small",
                              "--fault", "lb-no-sign-extend", "--stats-json",
                              tmp_path / "s.json")
    assert status == 1 and "PASS" not in out
    lines = err.splitlines()
    head = re.fullmatch(rf"cosim: MISMATCH at instruction #{order} \(cycle (\d+)\)", lines[0])
    assert head, err
    cycle = int(head[1])
    assert cycle >= order  # at most one instruction retires per cycle
    assert lines[1] == f"  pc 0x{lb.pc:08x}: 0x{lb.insn:08x}  lb a0, 0(s0)"
    assert re.fullmatch(r"  field\s+interpreter \(expected\)\s+rtl \(actual\)", lines[2])
    assert re.fullmatch(r"  x\.value\s+0xffffff80\s+0x00000080", lines[3])
    # Each side's whole effects: the same load, the register value differs.
    assert lines[4] == f"  interpreter: x10 0xffffff80 mem 0x{lb.mem_addr:08x}"
    assert lines[5] == f"  rtl:         x10 0x00000080 mem 0x{lb.mem_addr:08x}"
    assert lines[6] == "  last 16 retired instructions (both agree):"
    history = lines[7:23]
    for line, rec in zip(history, ref[order - 16:order]):
        match = re.match(r"    #(\d+)\s+cycle\s+(\d+)\s+0x([0-9a-f]{8}): (\S+)", line)
        assert match, line
        assert (int(match[1]), int(match[3], 16)) == (rec.order, rec.pc)
        assert match[4] in ("addi", "li")
        assert int(match[2]) < cycle
    cycles = [int(re.search(r"cycle\s+(\d+)", line)[1]) for line in history]
    assert cycles == sorted(set(cycles))  # one retirement per cycle at most, in order
    assert lines[23] == "  waveform around it:"
    command = lines[24].strip()
    assert len(lines) == 25
    stats = load_json(tmp_path / "s.json")
    assert stats["result"] == "fail" and stats["instret"] >= order

    argv = shlex.split(command)
    assert argv[:2] == ["oxcore", "run"] and argv[2] == program
    assert argv[argv.index("--config") + 1] == "small"
    assert argv[argv.index("--fault") + 1] == "lb-no-sign-extend"
    start, end = (int(v) for v in argv[argv.index("--vcd-window") + 1].split(":"))
    assert start <= cycle < end
    vcd_name = argv[argv.index("--vcd") + 1]

    # Run it, as a user would, in a scratch directory.
    run_dir = tmp_path / "rerun"
    run_dir.mkdir()
    monkeypatch.chdir(run_dir)
    status, out, err = oxcore(capsys, *argv[1:])
    assert status == 0x80  # exit(the zero-extended byte) on the faulty RTL
    vcd = run_dir / vcd_name
    gtkw = vcd.with_suffix(".gtkw")
    assert sorted(p.name for p in run_dir.iterdir()) == sorted([vcd.name, gtkw.name])
    assert f'[dumpfile] "{vcd}"' in gtkw.read_text()
    wave = Waveform(vcd, RETIRE_SIGNALS)
    times = sorted({t for name in RETIRE_SIGNALS for t, _ in wave.tv(name)})
    assert start * wave.period <= times[0] and times[-1] <= end * wave.period
    # The divergence cycle is in the window, and there the faulty lb retires.
    port = wave.retire_at_cycle(cycle)
    assert (port["valid"], port["order"], port["pc"], port["insn"], port["x.valid"],
            port["x.reg"], port["x.value"]) == (1, order, lb.pc, lb.insn, 1, 10, 0x0000_0080)


def test_a_variant_that_diverges_names_itself_in_the_waveform_command(tmp_path, capsys):
    """In a sweep, a divergence's rerun command carries the variant's configuration
    (its name, which --config reads), not the base one."""
    from oxcore.config import load_config
    program = assemble(tmp_path, diverge_source(3), "diverge", SMALL)
    status, out, err = oxcore(capsys, "cosim", program, "--config", "small", "--sweep",
                              "branch_predictor=static,none", "--fault", "lb-no-sign-extend")
    assert status == 1
    commands = [shlex.split(line) for line in err.splitlines() if "oxcore run" in line]
    configs = [argv[argv.index("--config") + 1] for argv in commands]
    assert configs == ["small[branch_predictor=static]", "small[branch_predictor=none]"]
    assert [load_config(c).branch_predictor for c in configs] == ["static", "none"]
    assert [line.split()[3] for line in out[out.index("cosim summary:"):].splitlines()[2:]] \
        == ["FAIL", "FAIL"]


@pytest.mark.parametrize("fault, body, order, expected, actual", [
    # 1 <u 0xffffffff is true; as signed, 1 < -1 is false.
    ("sltu-as-slt", "li t1, -1\n li t2, 1\n sltu a0, t2, t1", 2, 1, 0),
    # -7 rem 2 is -1 (the dividend's sign); with the divisor's sign it would be 1.
    ("rem-sign", "li t1, -7\n li t2, 2\n rem a0, t1, t2", 2, 0xFFFF_FFFF, 1),
    # The second increment must use the first's result (in MEM), not li's 0 (in WB).
    ("forward-wrong-stage", "li t1, 0\n addi t1, t1, 1\n addi t1, t1, 1", 2, 2, 1),
    # A load's result used by the very next instruction needs the bubble.
    ("no-load-use-stall", "la t1, word\n lw t2, 0(t1)\n add a0, t2, t2", 3, 10, None),
])
def test_each_fault_is_reported(fault, body, order, expected, actual, tmp_path, capsys):
    source = f"""
    .data
word: .word 5
    .text
    .globl _start
_start:
    {body}
    li a7, 93
    ecall
"""
    program = assemble(tmp_path, source, "fault", SMALL)
    ref = golden(program, SMALL).records
    assert ref[order].rd_value == expected  # the interpreter agrees with the hand value
    # No fault: both sides match; the verdict is PASS only when the program's exit
    # status (the interpreter's) is 0, else MATCH with status 3.
    no_fault = oxcore(capsys, "cosim", program, "--config", "small")[0]
    assert no_fault == (0 if golden(program, SMALL).status == 0 else 3)
    status, out, err = oxcore(capsys, "cosim", program, "--config", "small",
                              "--fault", fault)
    assert status == 1 and "PASS" not in out
    assert re.match(rf"cosim: MISMATCH at instruction #{order} \(cycle \d+\)\n", err), err
    row = re.search(r"\n  x\.value\s+0x([0-9a-f]{8})\s+0x([0-9a-f]{8})\n", err)
    assert row, err
    assert int(row[1], 16) == expected
    assert int(row[2], 16) != expected
    if actual is not None:
        assert int(row[2], 16) == actual
    assert f"--fault {fault} --vcd " in err


# ---- bad input ------------------------------------------------------------------------------

BAD = {
    "unknown kernel": (["--kernel", "nope"], "nope"),
    "short shape": (["--kernel", "gemm", "--shape", "4,4"], "SHAPE"),
    "long shape": (["--kernel", "gemm", "--shape", "4,4,4,4"], "SHAPE"),
    "text shape": (["--kernel", "gemm", "--shape", "a,b,c"], "SHAPE"),
    "zero shape": (["--kernel", "c_dot", "--shape", "0"], "SHAPE"),
    "empty output": (["--kernel", "c_conv2d", "--shape", "1,1,2,2,3,3"], "empty"),
    "shape without kernel": (["{prog}", "--shape", "4,4,4"], "--shape"),
    "all with shape": (["--kernel", "all", "--shape", "4,4,4"], "--kernel all"),
    "unknown fault (program)": (["{prog}", "--fault", "bogus"], "bogus"),
    "unknown fault (kernel)": (["--kernel", "gemm", "--fault", "bogus"], "bogus"),
    "missing file": (["{tmp}/missing.elf"], "missing.elf"),
    "not an ELF": (["{tmp}/junk.elf"], "junk.elf"),
    "zero cycles": (["{prog}", "--max-cycles", "0"], "--max-cycles"),
    "zero instructions": (["{prog}", "--max-instructions", "0"], "--max-instructions"),
    "negative seed": (["--kernel", "gemm", "--seed", "-5"], "--seed -5: must be a non-"),
    "seed without kernel": (["{prog}", "--seed", "3"], "--seed goes with --kernel"),
    "stats into a directory": (["{prog}", "--stats-json", "{tmp}"], "--stats-json"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_one_error_line(name, mixed, tmp_path, capsys):
    (tmp_path / "junk.elf").write_bytes(b"\x7fELF but not really")
    argv, mentions = BAD[name]
    argv = [a.replace("{prog}", mixed).replace("{tmp}", str(tmp_path)) for a in argv]
    status, out, err = oxcore(capsys, "cosim", *argv)
    assert status != 0 and out == ""
    assert mentions in one_error_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.elf"]


def test_command_line_cosim_on_cxxrtl_in_its_own_process(mixed):
    """As a user runs it: a process of its own (single-threaded, so the RTL side is
    forked), CXXRTL. The program's output reaches the terminal in order, then the
    summary with the same counts as on the Amaranth simulator."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, OXCORE_RTL_BACKEND="cxxrtl")
    done = subprocess.run([sys.executable, "-m", "oxcore.cli", "cosim", mixed],
                          capture_output=True, env=env, timeout=600)
    assert done.returncode == 3, done.stderr.decode()  # matched; the program exits 55
    assert done.stdout.startswith(MIXED_STDOUT)
    assert done.stderr.endswith(MIXED_STDERR)  # after any build progress lines
    match = SUMMARY.fullmatch(done.stdout[len(MIXED_STDOUT):].decode())
    assert match and number(match["n"]) == 86 and match["ended"] == "exit status 55"


@pytest.mark.parametrize("body, status, ended, how", [
    # ebreak: a breakpoint trap, the last instruction both sides retired
    ("li a0, 1\n ebreak", 4, r"trap \(breakpoint\) at pc 0x[0-9a-f]{8}: 0x00100073  ebreak",
     {"how": "trap", "cause": "breakpoint", "insn": 0x00100073, "disassembly": "ebreak"}),
    # a load outside RAM: an access fault
    ("li t0, 0x100\n lw a0, 0(t0)", 4,
     r"trap \(load access fault\) at pc 0x[0-9a-f]{8}: 0x0002a503  lw a0, 0\(t0\)",
     {"how": "trap", "cause": "load_access_fault", "insn": 0x0002a503,
      "disassembly": "lw a0, 0(t0)"}),
    # exit(0) is the one plain PASS
    ("li a0, 0\n li a7, 93\n ecall", 0, r"exit status 0", {"how": "exit", "exit_code": 0}),
])
def test_how_the_program_ended_decides_the_verdict(body, status, ended, how, tmp_path, capsys):
    program = assemble(tmp_path, f".globl _start\n_start:\n {body}\n", "end")
    code, out, err = oxcore(capsys, "cosim", program, "--stats-json", tmp_path / "s.json")
    assert code == status, err
    match = SUMMARY.fullmatch(out)
    assert match, out
    assert match["verdict"] == ("PASS " if status == 0 else "MATCH")
    assert re.fullmatch(ended, match["ended"]), match["ended"]
    stats = load_json(tmp_path / "s.json")
    assert {key: stats["ended"][key] for key in how} == how
    assert stats["exit_status"] == status
    if number(match["n"]) == 0:
        assert "CPI n/a" in out


def test_a_kernels_waveform(capsys, tmp_path):
    """--vcd (make cosim VCD=...): the RTL's waveform of a kernel's co-simulation, with
    its GTKWave save file, both complete."""
    vcd = tmp_path / "k.vcd"
    status, out, err = oxcore(capsys, "cosim", "--kernel", "c_gemm", "--shape", "2,2,2",
                              "--vcd", str(vcd), "--backend", "pysim")
    assert status == 0, err
    assert f"waveform written to {vcd}" in err
    text = vcd.read_text()
    assert "$enddefinitions" in text and "#" in text.split("$enddefinitions")[1]
    assert vcd.with_suffix(".gtkw").exists()
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("argv, message", [
    (["--kernel", "c_gemm", "--vcd-window", "0:10"], "--vcd-window needs --vcd FILE"),
    (["--kernel", "all", "--vcd", "x.vcd"], "name one kernel, not --kernel all"),
])
def test_waveform_option_errors(capsys, argv, message):
    status, out, err = oxcore(capsys, "cosim", *argv)
    assert status == 1 and message in err and "Traceback" not in err


NESTED_LOOPS_S = """
    .text
    .globl _start
_start:
    li t0, 0
    li t1, 25
outer:
    li t2, 0
inner:
    addi t2, t2, 1
    li t3, 4
    blt t2, t3, inner
    addi t0, t0, 1
    blt t0, t1, outer
    li a0, 0
    li a7, 93
    ecall
"""


def test_profile_of_a_program(tmp_path, capsys):
    """--profile: a program's loops by hand: outer 25 iterations of 3 instructions plus
    the inner loop's 4 iterations of 3 (300 in all), named after their labels."""
    elf = assemble(tmp_path, NESTED_LOOPS_S, "loops")
    status, out, err = oxcore(capsys, "cosim", elf, "--profile", "--stats-json",
                              tmp_path / "s.json")
    assert status == 0, err
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.strip().startswith(("outer", "inner"))}
    assert rows["outer"][2] == "25" and rows["outer"][5] == "375"
    assert rows["inner"][2] == "100" and rows["inner"][5] == "300"
    loops = {loop["loop"]: loop for loop in load_json(tmp_path / "s.json")["loops"]}
    assert (loops["inner"]["iterations"], loops["inner"]["instructions"]) == (100, 300)
