"""Programs record the configuration they were built for (`oxcore/linknote.py`), and
every command refuses a mismatch in one line naming both; a matching or unmarked
program loads as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from oxcore import linknote
from oxcore.cli import main
from oxcore.config import PRESETS
from oxcore.errors import ElfError
from oxcore.program import load_program

SOURCE = ".globl _start\n_start:\n li a0, 0\n li a7, 93\n ecall\n"
MISMATCH = ("built for config 'default' (RAM at 0x80000000, 256 KiB, generic_rv32+m+zicsr), "
            "not for 'small' (RAM at 0x80000000, 16 KiB, generic_rv32+m+zicsr)")


@pytest.fixture
def built_for_default(tmp_path: Path) -> Path:
    src = tmp_path / "p.S"
    src.write_text(SOURCE)
    assert main(["asm", str(src), "-o", str(tmp_path / "p.elf")]) == 0
    return tmp_path / "p.elf"


@pytest.mark.parametrize("command", [["run"], ["run", "--sim", "rtl"], ["cosim"]])
def test_every_command_refuses_another_configuration(built_for_default, capsys, command):
    argv = [command[0], str(built_for_default), *command[1:], "--config", "small"]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and MISMATCH in err, err


def test_the_same_memory_map_under_another_name_loads(built_for_default, tmp_path) -> None:
    """Only what the program depends on must match (RAM and ISA), not the name or the
    micro-architecture."""
    sweep = PRESETS["default"].replace(name="sweep", branch_predictor="static", mul_latency=3)
    assert load_program(built_for_default, sweep).built_for["config"] == "default"


def test_the_note_round_trips_and_unmarked_programs_load(tmp_path) -> None:
    config = PRESETS["small"]
    parsed = linknote.parse(linknote.note_bytes(config))
    assert parsed == {"config": "small", "mem_base": "0x80000000", "mem_size": "16384",
                      "isa": "generic_rv32+m+zicsr"}
    linknote.check("x.elf", parsed, config)
    with pytest.raises(ElfError, match="not for 'default'"):
        linknote.check("x.elf", parsed, PRESETS["default"])
    assert linknote.parse(b"\x04\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00GNU\x00") is None
    flat = tmp_path / "p.bin"  # a flat image has no note: nothing to check
    flat.write_bytes(b"\x13\x05\x00\x00")
    assert load_program(flat, config).built_for is None


def test_fpga_build_refuses_a_program_for_another_configuration(built_for_default, capsys):
    from fpga.cli import main as fpga_main
    status = fpga_main(["build", "--board", "icebreaker", "--prog", str(built_for_default)])
    out, err = capsys.readouterr()
    assert status != 0 and "not for 'small'" in err, err
