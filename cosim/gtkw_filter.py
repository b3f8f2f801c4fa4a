"""A GTKWave "Translate Filter Process" that shows instruction words as disassembly.

GTKWave starts the filter once and, for every value it draws on a filtered trace, writes
the value as text (hex digits, as the trace is displayed) on one line of the filter's
stdin and reads one line back from its stdout. So the filter answers every line with
exactly one line, flushed at once, and never dies on input it does not understand:
``x``/``z`` digits, an empty line or garbage come back unchanged.

The configuration's ISA (`oxcore.isa.isa_for`) disassembles, so vector (or other
engine) instructions read as instructions too. Commands::

    oxcore-gtkw-filter [--config NAME|FILE.toml]
    oxcore disasm-filter [--config NAME|FILE.toml]
    python -m cosim.gtkw_filter [--config NAME|FILE.toml]

The `.gtkw` save files that `oxcore run --vcd` writes (`cosim.waves`) attach it to the
instruction-word traces (``insn`` fields, the fetch port's data) by its absolute path:
GTKWave passes everything after the executable's name as one argument, hence the one
``--config=VALUE`` form there.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from functools import lru_cache
from typing import IO, Callable

MASK32 = 0xFFFF_FFFF
SCRIPT = "oxcore-gtkw-filter"  # the console script (pyproject.toml)


def translator(config_arg: str | None) -> Callable[[str], str]:
    """The line -> line function for a configuration."""
    from oxcore.config import load_config
    from oxcore.isa import isa_for
    # Without a configuration: every extension the framework knows (a superset of any
    # configuration's, so every instruction a waveform can hold reads as one).
    isa = isa_for(load_config(config_arg) if config_arg is not None else None)

    @lru_cache(maxsize=4096)
    def translate(text: str) -> str:
        value = text.strip()
        if value.lower().startswith(("0x", "#x", "'h")):
            value = value[2:]
        if not value or any(c not in "0123456789abcdefABCDEF" for c in value):
            return text.strip()  # x, z, an undefined value, garbage: shown as it came
        try:
            word = int(value, 16)
            if word > MASK32:
                return text.strip()
            return isa.format_instruction(word)
        except Exception:  # noqa: BLE001 (a filter that dies blanks GTKWave's traces)
            return text.strip()

    return translate


def serve(translate: Callable[[str], str], stdin: IO[str], stdout: IO[str]) -> None:
    """Answer each input line with one output line, flushed, until end of input."""
    while True:
        line = stdin.readline()
        if not line:
            return
        try:
            answer = translate(line.rstrip("\r\n"))
        except Exception:  # noqa: BLE001
            answer = line.strip()
        stdout.write(" ".join(answer.splitlines()) + "\n")
        stdout.flush()


def build_parser(prog: str = SCRIPT) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="GTKWave translate filter process: instruction words "
                               "(hex, one per line on stdin) to disassembly on stdout")
    parser.add_argument("--config", metavar="NAME|FILE.toml", default=None,
                        help="core configuration whose ISA disassembles (default: every "
                             "extension OxCore knows)")
    return parser


def run_filter(config_arg: str | None) -> int:
    try:
        translate = translator(config_arg)
    except Exception as exc:  # noqa: BLE001 (a bad configuration: say so, then echo)
        print(f"{SCRIPT}: {exc}; showing values unchanged", file=sys.stderr)
        translate = str.strip
    try:
        serve(translate, sys.stdin, sys.stdout)
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 1 and " " in argv[0] and not argv[0].startswith("--config="):
        argv = shlex.split(argv[0])  # a whole command line passed as one argument
    args = build_parser().parse_args(argv)
    return run_filter(args.config)


def command(config=None) -> str | None:
    """The filter's command line for a GTKWave save file (the executable and at most one
    argument), or None when its script is not installed (the save file then goes
    without it). `config`: an `OxCoreConfig`; a preset's name is passed on, any other
    configuration gets every extension's disassembly."""
    import os
    import shutil
    from pathlib import Path

    from oxcore.config import PRESETS
    script = Path(sys.executable).parent / SCRIPT
    path = str(script) if os.access(script, os.X_OK) else shutil.which(SCRIPT)
    if path is None or any(c.isspace() for c in path):  # GTKWave splits at the first space
        return None
    name = getattr(config, "name", None)
    if name in PRESETS and PRESETS[name] == config:
        return f"{path} --config={name}"
    return path


if __name__ == "__main__":
    sys.exit(main())
