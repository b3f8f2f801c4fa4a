"""The vector engine's performance counters (docs/vector.md, "Performance counters").

velements is exact: co-simulation compares every csrr of it with the interpreter's
count, over a program touching every class of instruction (and a broken count is
caught). The cycle counters are timing CSRs: co-simulation hands the interpreter the
RTL's values, so they are checked here on the RTL against what the sequencers do,
measured as differences between reads (a csrr of a counter runs in the arithmetic
sequencer itself, so a read's own cycles cancel out of the difference of two
differences).
"""

from __future__ import annotations

from pathlib import Path

from hw.oxcore.vector import engine as engine_module
from oxcore import api
from sw.asm.assembler import assemble_source
from sw.asm.driver import render
from tests.hw.oxcore.vector.test_vector_engine import _cosim, config

NAMES = ("vbusy", "vactive_alu", "vactive_lsu", "velements", "vstall_issue", "vstall_queue")
CFG = config(128, 2)  # two beats a register

# (instruction, its body elements) at VLEN 128: velements' definition, row by row.
ELEMENT_PROGRAM = (
    ("vsetivli zero, 8, e32, m2, ta, ma", 0),  # (vset{i}vl{i}: no body)
    ("vmv.v.i v2, 1", 8),
    ("vadd.vv v4, v2, v2", 8),
    ("vmv.x.s t0, v4", 0),  # (element 0 whatever vl: no body)
    ("vmv.s.x v6, t0", 8),  # (writes element 0, its body is still vl)
    ("vle32.v v8, (s0)", 8),
    ("vmseq.vi v0, v8, 0", 8),
    ("vadd.vv v10, v2, v2, v0.t", 8),  # masked: the body, active or not
    ("vredsum.vs v12, v2, v2", 8),
    ("vsetivli zero, 5, e8, m1, ta, ma", 0),
    ("vmand.mm v1, v0, v0", 5),
    ("vcpop.m t1, v0", 5),
    ("vslideup.vi v3, v1, 1", 5),
    ("vdivu.vv v5, v1, v1", 5),
    ("li t2, 3", 0),
    ("vlse8.v v7, (s0), t2", 5),
    ("vluxei8.v v9, (s0), v1", 5),
    ("vmv2r.v v14, v12", 32),  # whole registers: 2 x 16 bytes at SEW 8
    ("vl2re32.v v16, (s0)", 8),  # ... 2 x 4 words
    ("vs1r.v v16, (s0)", 16),  # ... 16 bytes
    ("vlm.v v20, (s0)", 1),  # a mask's bytes: ceil(5 / 8)
    ("vsm.v v20, (s1)", 1),
    ("csrwi vstart, 2", 0),
    ("vadd.vv v18, v1, v1", 3),  # elements 2..4
)


def _program(body: list[str], data: int = 256) -> str:
    """`body` (instructions) between s0 = data, s1 = out and exit(a0)."""
    lines = ["    .text", "    .globl _start", "_start:", "    la s0, data", "    la s1, out",
             *(f"    {line}" for line in body), "    li a7, 93", "    ecall", "    .data",
             "    .p2align 4",  # (port words: an aligned load takes a beat a cycle)
             "data:",
             *(f"    .word {0x01020304 * (i + 1) & 0x3F3F3F3F}" for i in range(data // 4)),
             "out:", "    .zero 256"]
    return "\n".join(lines) + "\n"


def _velements_program() -> str:
    """`ELEMENT_PROGRAM` with a csrr of velements after every row, then every counter
    read; exits with the final velements (the interpreter and the RTL must agree on
    each read)."""
    body = ["csrr a1, velements"]
    for row, _ in ELEMENT_PROGRAM:
        body += [row, "csrr a2, velements"]
    body += [f"csrr a3, {name}" for name in NAMES]
    body += ["sub a0, a2, a1"]
    return _program(body)


def test_velements_counts_body_elements_as_the_interpreter_does(tmp_path):
    verdict = _cosim(_velements_program(), CFG, tmp_path, "velements")
    assert verdict.verdict in ("pass", "exit"), verdict.report
    assert verdict.ended["exit_code"] == sum(count for _, count in ELEMENT_PROGRAM)


def test_a_velements_ignoring_vstart_is_caught(tmp_path, monkeypatch):
    """Fault injection: the engine counts whole bodies, vstart or not. Co-simulation
    must fail at the read after the vadd that ran with vstart 2."""
    original = engine_module._body_elements
    monkeypatch.setattr(engine_module, "_body_elements",
                        lambda m, role, starting, kind, length, vstart:
                        original(m, role, starting, kind, length, 0))
    verdict = _cosim(_velements_program(), CFG, tmp_path, "broken")
    assert verdict.verdict == "fail"
    lines = verdict.report.splitlines()
    assert lines[1].endswith("csrrs a2, velements, zero"), verdict.report
    assert "vadd.vv v18" in verdict.report  # (the instruction before, in the context)


def _reads(body: list[str], tmp_path: Path, name: str) -> list[int]:
    """Run `body` on the RTL, its ``READ <counter>`` lines made csrr of the counter
    (stored in order); the values read. Each counter's reads must never decrease."""
    lines, names = [], []
    for line in body:
        if line.startswith("READ "):
            lines += [f"csrr t0, {line.split()[1]}", f"sw t0, {4 * len(names)}(s1)"]
            names.append(line.split()[1])
        else:
            lines.append(line)
    count = len(names)
    lines += ["li a0, 1", "mv a1, s1", f"li a2, {4 * count}", "li a7, 64", "ecall",
              "li a0, 0"]
    image = assemble_source(_program(lines), f"{name}.S", CFG)
    elf = tmp_path / f"{name}.elf"
    elf.write_bytes(render(image, "elf", CFG))
    result = api.run(api.load(elf, CFG), sim="rtl", backend="pysim", max_cycles=20_000)
    assert result.exit_code == 0
    values = [int.from_bytes(result.stdout[i:i + 4], "little")
              for i in range(0, 4 * count, 4)]
    for counter in set(names):
        mine = [v for n, v in zip(names, values) if n == counter]
        assert mine == sorted(mine), (counter, mine)
    return values


def _steps(values: list[int]) -> list[int]:
    return [b - a for a, b in zip(values, values[1:])]


def test_cycle_counters_on_a_directed_program(tmp_path):
    """Before any vector instruction the counters read 0 (vactive_alu: the reading
    csrr's own start cycle); each counter only grows; an element-wise op or an aligned
    unit-stride load holds its sequencer a cycle a beat (4 beats at e32, m2 on 2 lanes;
    16 at m8: it starts as it is taken, without a start cycle, `_quick_start`); a vadd
    reading the registers a load is
    writing waits in the issue check, an independent one does not; eight m8 vadds fill
    the queue, so the core waits to dispatch; vbusy covers both sequencers."""
    values = _reads(["READ vactive_alu", "READ vactive_lsu", "READ velements",
                    "READ vstall_issue", "READ vstall_queue",
                    "vsetivli zero, 8, e32, m2, ta, ma",
                    "READ vactive_alu", "READ vactive_alu",
                    "vadd.vv v2, v4, v6", "READ vactive_alu",
                    "vadd.vv v2, v4, v6", "vadd.vv v8, v4, v6", "READ vactive_alu",
                    "READ vactive_lsu", "vadd.vv v2, v4, v6", "READ vactive_lsu",
                    "vle32.v v8, (s0)", "READ vactive_lsu",
                    "READ vstall_issue", "READ vstall_issue",
                    "vle32.v v8, (s0)", "vadd.vv v10, v8, v8", "READ vstall_issue",
                    "vle32.v v8, (s0)", "vadd.vv v10, v4, v4", "READ vstall_issue",
                    "READ vstall_queue", "vsetvli t3, zero, e32, m8, ta, ma",
                    "READ vbusy", "READ vactive_alu", "READ vstall_queue",
                    *["vadd.vv v8, v16, v16"] * 8,
                    "READ vstall_queue", "READ vactive_alu", "READ vbusy",
                    "READ vactive_alu", "READ vactive_lsu", "READ vbusy"], tmp_path, "timing")
    assert values[:5] == [1, 0, 0, 0, 0]
    read, vadd, two = _steps(values[5:9])
    assert vadd - read == 4 and two - read == 2 * 4
    assert _steps(values[9:12]) == [0, 4]  # the vadd is not the load/store sequencer's
    nothing, dependent, independent = _steps(values[12:16])
    assert nothing == 0 and independent == 0  # (a csrr waits for its own sequencer)
    assert 0 < dependent <= 4  # the vadd waits for (part of) the load
    queue = values[16:]
    busy_before, active_before, full_before = queue[1:4]
    full_after, active_after, busy_after = queue[4:7]
    assert queue[0] == full_before and full_after > full_before  # (eight m8 vadds)
    # the vadds, and three csrr's worth (the rest of the first read, the two between)
    assert active_after - active_before == 8 * 16 + 3 * read
    assert busy_after - busy_before >= active_after - active_before
    assert busy_after - busy_before >= full_after - full_before
    assert queue[9] >= max(queue[7], queue[8])  # vbusy >= each vactive


def test_writes_to_the_counters_trap_in_both(tmp_path):
    """The counters are read-only: the engine does not claim a write
    (`hw.oxcore.engine.claims_csr_access`), so the core traps it as the interpreter
    does."""
    verdict = _cosim(_program(["csrr a1, vbusy", "li t1, 4", "csrw velements, t1",
                               "li a0, 0"]), CFG, tmp_path, "write")
    assert verdict.verdict == "trap", verdict.report
    assert verdict.ended["cause"] == "illegal_instruction"
    assert "velements" in verdict.ended["disassembly"]


def test_waveform_save_file_has_the_vector_counters(tmp_path):
    """A VCD of a vector program comes with a .gtkw whose "vector counters" group names
    the six counters, signals the VCD has."""
    image = assemble_source(_program(["vsetivli zero, 4, e32, m1, ta, ma",
                                      "vadd.vv v1, v2, v3", "li a0, 0"]), "w.S", CFG)
    elf = tmp_path / "w.elf"
    elf.write_bytes(render(image, "elf", CFG))
    vcd = tmp_path / "w.vcd"
    result = api.run(api.load(elf, CFG), sim="rtl", backend="pysim", vcd=str(vcd))
    assert result.exit_code == 0
    save = vcd.with_suffix(".gtkw").read_text()
    assert "-vector counters" in save
    group = save[save.index("-vector counters"):]
    names = vcd.read_text()
    for number in range(0xCD0, 0xCD6):
        hits = [line for line in group.splitlines() if f"count_{number:03x}" in line]
        assert hits, hex(number)
        assert hits[0].rsplit(".", 1)[-1].split("[")[0] in names
