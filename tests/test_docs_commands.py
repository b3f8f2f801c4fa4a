"""The commands shown in README.md and docs/ run, and print what the docs show.

Each ```console block is read as a user reads it: lines starting with ``$ `` are
commands (a trailing ``# comment`` is not part of them), the lines after one are its
output. Every shown output line must appear, verbatim, in what the command prints
(``...`` stands for lines left out). Commands run in a scratch workspace holding a copy
of examples/, with ``oxcore`` and ``.venv/bin/oxcore`` meaning this Python's command.
Blocks listed in `SKIPPED` are the ones too long for the test suite (they are what
`make test`, `make fpga` and friends run) or that name placeholder files.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Commands not run here: they are the long jobs themselves, or use placeholder names.
SKIPPED = re.compile(r"^(make test|make fpga|make bench|oxcore run PROG\.elf|"
                     r"oxcore run prog\.elf)")
COMMENT = re.compile(r"\s{2,}#\s.*$")


def console_commands() -> list[tuple[str, int, str, list[str]]]:
    """(doc name, line, command, shown output lines) for every console command."""
    found = []
    for doc in DOCS:
        lines = doc.read_text().splitlines()
        inside = False
        current: list | None = None
        for number, line in enumerate(lines, start=1):
            if line.startswith("```"):
                inside = line.strip() == "```console"
                current = None
                continue
            if not inside:
                continue
            if line.startswith("$ "):
                command = COMMENT.sub("", line[2:]).strip()
                current = [doc.name, number, command, []]
                found.append(current)
            elif current is not None:
                current[3].append(line)
    return [tuple(entry) for entry in found if not SKIPPED.match(entry[2])]


COMMANDS = console_commands()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A scratch directory with the examples, where the commands' outputs land."""
    directory = tmp_path_factory.mktemp("docs")
    shutil.copytree(ROOT / "examples", directory / "examples")
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "oxcore"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} -m oxcore.cli \"$@\"\n")
    launcher.chmod(0o755)
    (directory / ".venv" / "bin").mkdir(parents=True)
    (directory / ".venv" / "bin" / "oxcore").symlink_to(launcher)
    return directory


# `make cosim`'s variables as the Makefile passes them on (SWEEP: one option a word)
MAKE_COSIM = {"KERNEL": "--kernel", "SHAPE": "--shape", "SEED": "--seed", "CONFIG": "--config",
              "SIM": "--backend", "VCD": "--vcd", "SWEEP": "--sweep"}


def _make_cosim(command: str) -> str:
    """`make cosim VAR=value ...` as the oxcore command the Makefile runs."""
    words = ["oxcore", "cosim"]
    for assignment in shlex.split(command)[2:]:
        name, _, value = assignment.partition("=")
        for item in value.split() if name == "SWEEP" else [value]:
            words += [MAKE_COSIM[name], item]
    return shlex.join(words)


TIMING = re.compile(r"[\d.]+ s \([\d,]+ cycles/s\)")  # how long it took: varies
# printed only while the configuration's CXXRTL model is not built (a fresh clone, as
# the README shows); a machine that has built it runs the same command on it, silently
UNBUILT_MODEL_NOTE = "oxcore: note: the CXXRTL model of configuration"


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) >= 8  # the parser found the README's walk-through


@pytest.mark.parametrize("doc", sorted({doc for doc, _, _, _ in COMMANDS}))
def test_documented_commands(workspace: Path, doc: str) -> None:
    """A document's commands, in order (later ones use what earlier ones wrote)."""
    env = dict(os.environ, PATH=f"{workspace / 'bin'}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(ROOT), OXCORE_RTL_BACKEND="auto")
    for name, line, command, shown in COMMANDS:
        if name != doc:
            continue
        if command.startswith("make cosim"):  # the line the Makefile runs, minus make's venv
            command = _make_cosim(command)
        done = subprocess.run(["bash", "-c", command], cwd=workspace, env=env,
                              capture_output=True, text=True, timeout=900)
        printed = TIMING.sub("T", (done.stdout + done.stderr).replace(f"{ROOT}/", ""))
        assert "Traceback" not in printed, printed
        expected = [TIMING.sub("T", text.rstrip()) for text in shown
                    if text.strip() and text.strip() != "..."
                    and not text.startswith(".venv/bin/")  # make's echo of its command
                    and not text.startswith(UNBUILT_MODEL_NOTE)]
        missing = [text for text in expected if text not in printed]
        assert not missing, f"{doc}:{line}: `{command}` printed:\n{printed}\nnot: {missing}"
