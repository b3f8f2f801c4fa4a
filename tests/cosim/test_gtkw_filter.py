"""The GTKWave translate filter process (`cosim.gtkw_filter`): one line in, one line out,
flushed at once, never dying on values it cannot read; attached to the instruction-word
traces of the `.gtkw` files `oxcore run --vcd` writes."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from cosim.gtkw_filter import SCRIPT, command, serve, translator
from cosim.waves import is_instruction_word
from oxcore.config import load_config

ROOT = Path(__file__).resolve().parents[2]
VADD = 0x022180D7  # vadd.vv v1, v2, v3 (Zve32x)
ODD_LINES = ["xxxxxxxx", "zzzz0000", "", "garbage here", "1234567890ab", "0000000g",
             "XxXx", "-1"]


def test_translates_words_and_echoes_what_it_cannot_read():
    translate = translator("default")
    assert translate("00100513") == "addi a0, zero, 1"
    assert translate("0x00000073") == "ecall"
    for line in ODD_LINES:
        assert translate(line) == line.strip()


def test_the_configurations_isa_disassembles(tmp_path):
    toml = tmp_path / "vec.toml"
    toml.write_text('preset = "default"\n[vector]\nvlen = 128\n')
    assert translator(str(toml))(f"{VADD:08x}") == "vadd.vv v1, v2, v3"
    assert translator(None)(f"{VADD:08x}") == "vadd.vv v1, v2, v3"  # every extension
    assert translator("default")(f"{VADD:08x}").startswith(".word")  # scalar core


def test_serve_answers_every_line_with_exactly_one():
    lines = ["00100513", *ODD_LINES, "00000073"]
    out = io.StringIO()
    serve(translator("default"), io.StringIO("".join(f"{x}\n" for x in lines)), out)
    answers = out.getvalue().split("\n")
    assert answers[-1] == "" and len(answers) - 1 == len(lines)
    assert answers[0] == "addi a0, zero, 1" and answers[-2] == "ecall"


def _read_line(proc: subprocess.Popen, timeout: float = 60.0) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "the filter did not answer (not flushed?)"
    return proc.stdout.readline().decode()


@pytest.mark.parametrize("argv", [[sys.executable, "-m", "cosim.gtkw_filter",
                                   "--config", "default"],
                                  [sys.executable, "-m", "oxcore.cli", "disasm-filter"]])
def test_protocol_line_by_line_over_pipes(argv):
    """As GTKWave drives it: write a line, wait for its answer, write the next."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        for value, expected in [("00100513", "addi a0, zero, 1"), *[(x, x.strip())
                                                                    for x in ODD_LINES],
                                ("00000073", "ecall")]:
            proc.stdin.write(value.encode() + b"\n")
            proc.stdin.flush()
            assert _read_line(proc) == expected + "\n"
        assert proc.poll() is None  # still alive after the garbage
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


def test_instruction_word_traces():
    assert is_instruction_word("bench.top.\\retire.insn[31:0]")
    assert is_instruction_word("bench.top.\\env_req.insn[31:0]")
    assert is_instruction_word("bench.top.imem__data[31:0]")
    assert not is_instruction_word("bench.top.\\retire.pc[31:0]")
    assert not is_instruction_word("bench.top.insn_count[31:0]")


def test_gtkw_attaches_the_filter_to_instruction_words(tmp_path, capsys):
    """The save file names the filter as GTKWave runs it: the executable, then everything
    after the first space as one argument; that command answers."""
    from .rtl_programs import assemble, oxcore
    if command(load_config(None)) is None:
        pytest.skip(f"{SCRIPT} is not installed in this environment (make venv)")
    elf = assemble(tmp_path, ".text\n.globl _start\n_start:\n li a0, 0\n li a7, 93\n"
                             " ecall\n", "tiny")
    vcd = tmp_path / "w.vcd"
    status, _, err = oxcore(capsys, "run", elf, "--sim", "rtl", "--vcd", vcd)
    assert status == 0, err
    lines = (tmp_path / "w.gtkw").read_text().splitlines()
    filtered = [lines[i + 1] for i, line in enumerate(lines) if line.startswith("^>1 ")]
    assert any(name.endswith("\\retire.insn[31:0]") for name in filtered)
    assert all(is_instruction_word(name) for name in filtered)
    filter_line = next(line for line in lines if line.startswith("^>1 "))[4:]
    executable, _, argument = filter_line.partition(" ")
    assert argument == "--config=default"
    done = subprocess.run([executable, argument], input="00100513\nxxxxxxxx\n",
                          capture_output=True, text=True, timeout=60)
    assert done.stdout == "addi a0, zero, 1\nxxxxxxxx\n"
