"""The C corpus (tests/programs/c) against a native-build oracle.

Each program is compiled twice: for OxCore with `oxcore cc` (run on the golden
interpreter, `cosim.iss.run_elf`) and for the host with its own C compiler and a shim
of oxcore.h (tests/sw/cc/host/oxcore.h, stdio underneath). Both runs must print the
same bytes on stdout and stderr and exit with the same status.
"""

from __future__ import annotations

import subprocess

import pytest

from cosim.iss import run_elf
from oxcore.config import load_config

from .conftest import CorpusBuilds, program_names

#: The corpus is meant to run quickly on a Python interpreter.
MAX_INSTRUCTIONS = 250_000

#: Programs that must exit with a non-zero status (everything else exits 0 = all its
#: self-checks passed).
EXPECTED_EXIT = {"exit_code": 3}


def test_corpus_is_complete():
    names = program_names()
    assert len(names) >= 12, names
    for required in ("recursion", "funcptr", "switch_table", "sort", "crc32", "strings",
                     "structs", "int64", "intmath", "matmul_i8", "hash", "exit_code"):
        assert required in names


@pytest.mark.parametrize("config_name", ["default", "small"])
@pytest.mark.parametrize("name", program_names())
def test_matches_native(corpus: CorpusBuilds, name: str, config_name: str):
    """Every program also fits and runs in the 16 KiB of the "small" preset."""
    native = subprocess.run([str(corpus.native(name))], capture_output=True, timeout=30)
    assert native.returncode >= 0, f"native {name} died with signal {-native.returncode}"

    config = load_config(config_name)
    outcome = run_elf(corpus.elf(name, config), config, max_instructions=MAX_INSTRUCTIONS)
    assert outcome.trap is None, (
        f"{name} trapped ({outcome.trap}) after {outcome.instret} instructions; "
        f"stdout so far:\n{outcome.stdout.decode(errors='replace')}")
    assert outcome.stdout == native.stdout
    assert outcome.stderr == native.stderr
    assert outcome.exit_code == native.returncode == EXPECTED_EXIT.get(name, 0)
    assert b"FAIL" not in outcome.stdout
