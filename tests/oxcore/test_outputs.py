"""Outputs behave like Unix tools' (`oxcore/outputs.py`): `-` is stdout, regular files
are replaced atomically with the umask's mode, links and FIFOs are written through,
missing directories are created, inputs are never overwritten, and waveform names that
cannot be honoured are refused before anything runs."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from oxcore.cli import main
from oxcore.errors import OxCoreError
from oxcore.outputs import check_output, open_output

SOURCE = ".globl _start\n_start:\n li a0, 7\n li a7, 93\n ecall\n"


def oxcore(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def program(tmp_path: Path) -> Path:
    src = tmp_path / "p.S"
    src.write_text(SOURCE)
    assert main(["asm", str(src), "-o", str(tmp_path / "p.elf")]) == 0
    return tmp_path / "p.elf"


def test_dash_is_stdout(program, capsys) -> None:
    status, out, err = oxcore(capsys, "run", program, "--trace", "-")
    assert status == 7 and err == ""
    lines = out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("core   0: 3 0x80000000")
    assert lines[2].endswith("; ecall")
    assert not Path("-").exists()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_follow_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        with open_output(tmp_path / "out.txt") as handle:
            handle.write("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.txt").stat().st_mode) == mode


def test_a_symlink_is_written_through_not_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with open_output(link) as handle:
        handle.write("new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    with open_output(fifo) as handle:
        handle.write("through the pipe")
    reader.join(timeout=10)
    assert received == ["through the pipe"] and stat.S_ISFIFO(fifo.stat().st_mode)


def test_an_interrupted_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("before")
    with pytest.raises(KeyboardInterrupt):
        with open_output(target) as handle:
            handle.write("half")
            raise KeyboardInterrupt
    assert target.read_text() == "before" and sorted(tmp_path.iterdir()) == [target]


def test_missing_directories_are_created(program, tmp_path, capsys) -> None:
    stats = tmp_path / "a" / "b" / "s.json"
    status, _, err = oxcore(capsys, "run", program, "--stats-json", stats)
    assert status == 7 and stats.is_file(), err


def test_an_input_is_never_overwritten(tmp_path: Path, capsys) -> None:
    src = tmp_path / "l.S"
    src.write_text(SOURCE)
    status, out, err = oxcore(capsys, "asm", src, "-o", src)
    assert status == 1 and out == "" and src.read_text() == SOURCE
    assert err.strip() == f"oxcore: error: -o {src}: would overwrite the input {src}"
    with pytest.raises(OxCoreError, match="would overwrite the input"):
        check_output(tmp_path / "." / "l.S", "--trace", inputs=[src])


@pytest.mark.parametrize("vcd, needle", [
    ("w.fst", "OxCore writes VCD text; name the file .vcd"),
    ("-", "needs a regular file"),
])
def test_waveform_names_that_cannot_be_honoured(program, tmp_path, capsys, vcd, needle):
    target = vcd if vcd == "-" else tmp_path / vcd
    status, out, err = oxcore(capsys, "run", program, "--sim", "rtl", "--vcd", target)
    assert status == 1 and out == "" and needle in err and len(err.splitlines()) == 1
    assert not (tmp_path / "w.fst").exists()
