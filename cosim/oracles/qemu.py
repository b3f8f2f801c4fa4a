"""QEMU user mode (``qemu-riscv32``) as an oracle: run an OxCore ELF, unchanged, and
return what it printed and its exit status.

Every ELF that ``oxcore cc`` and ``oxcore asm`` write runs under qemu-riscv32 as it is
(docs/memory-map-abi.md, "Running under qemu-riscv32"): one read-write-execute segment
declares all of RAM, so QEMU maps the stack at its top; our two syscalls (write = 64,
exit = 93) are Linux riscv32's, so QEMU performs them on the host. Where the program
stops on a trap, QEMU delivers the signal a Linux process would get and dies of it;
`run` reports that as 128 + the signal number, the same status `oxcore run` gives for
the trap (132 illegal instruction, 133 ebreak, 135 misaligned, 139 access fault).

The CPU (`cpu_string`) is QEMU's generic ``rv32`` with what OxCore lacks switched off
(compressed instructions, so a jump to a 2-byte-aligned target traps as ours does;
atomics; without a vector engine also F and D) and the vector engine of the
configuration (`config.vector`): ``v=true,vlen=<vlen>,elen=32,
vext_spec=v1.0``. QEMU has no Zve32x switch (7.2; later versions add ``zve32x``); V
with ELEN = 32 gives Zve32x's integer semantics: SEW = 64 is reserved (vsetvli sets
``vill``), and VLEN, vlenb and VLMAX follow `vlen`. QEMU's V needs F and D, so they stay
on (programs built for OxCore contain no floating-point instructions). See
docs/debugging.md.

Found on PATH, or where ``OXCORE_QEMU`` says. Errors are `ToolError`s with one line
each (missing QEMU, timeout, a configuration QEMU cannot emulate), never tracebacks.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from oxcore.config import OxCoreConfig
from oxcore.errors import ToolError

ENV_VAR = "OXCORE_QEMU"
EXECUTABLE = "qemu-riscv32"
INSTALL_HINT = "apt-get install qemu-user (see README)"
TIMEOUT_S = 60.0

#: The VLEN range QEMU's vector unit supports (7.2: "only supports VLEN in the range
#: [128, 1024]"); OxCore's configurations allow 64 .. 1024.
QEMU_VLEN = (128, 1024)
ELEN = 32  # Zve32x


@dataclass(frozen=True)
class QemuRun:
    """One run: the program's stdout and stderr (bytes) and its exit status, as
    `oxcore run` would report it (a trap: 128 + the signal QEMU delivered)."""

    stdout: bytes
    stderr: bytes
    status: int
    signal: int | None = None  # the signal the program died of, if it did


def find_qemu() -> Path | None:
    """``$OXCORE_QEMU`` if set (a path, or a name looked up on PATH), else
    ``qemu-riscv32`` on PATH; None if there is none."""
    wanted = os.environ.get(ENV_VAR) or EXECUTABLE
    found = shutil.which(wanted)
    return Path(found) if found else None


def require_qemu() -> Path:
    """`find_qemu`, or a ToolError saying how to install it."""
    path = find_qemu()
    if path is None:
        configured = os.environ.get(ENV_VAR)
        where = (f"{ENV_VAR}={configured!r} is not an executable" if configured
                 else f"{EXECUTABLE} not found")
        raise ToolError(f"{where}: {INSTALL_HINT}")
    return path


def qemu_version(qemu: Path | None = None) -> str:
    """QEMU's version, e.g. ``7.2.22`` (from ``--version``)."""
    qemu = qemu or require_qemu()
    try:
        proc = subprocess.run([str(qemu), "--version"], capture_output=True, text=True,
                              timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolError(f"{qemu} --version failed: {exc}") from None
    match = re.search(r"version (\d+(?:\.\d+)+)", proc.stdout)
    if proc.returncode != 0 or match is None:
        first = (proc.stdout + proc.stderr).strip().splitlines()[:1]
        raise ToolError(f"{qemu} --version: unexpected output {first!r}")
    return match.group(1)


SCALAR_CPU = "rv32,c=false,a=false"


def cpu_string(config: OxCoreConfig) -> str:
    """QEMU's ``-cpu`` for `config`: ``rv32`` without C and A, plus the configuration's
    vector engine as Zve32x (V with ELEN = 32; see the module's docstring). Without a
    vector engine (``config.vector`` is None), F and D are off too: RV32IM + Zicsr."""
    if config.vector is None:
        return f"{SCALAR_CPU},f=false,d=false"
    vlen = config.vector.vlen
    low, high = QEMU_VLEN
    if not low <= vlen <= high:
        raise ToolError(f"qemu-riscv32 cannot emulate config {config.name!r}: vector vlen "
                        f"= {vlen}, QEMU supports {low} to {high}")
    return f"{SCALAR_CPU},v=true,vlen={vlen},elen={ELEN},vext_spec=v1.0"


def _no_core_dumps() -> None:  # in the child: a trapping program leaves no core file
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(elf: str | Path, config: OxCoreConfig, *, timeout: float = TIMEOUT_S,
        qemu: Path | None = None, cpu: str | None = None) -> QemuRun:
    """Run `elf` under qemu-riscv32 with `config`'s CPU; stdout and stderr are captured,
    stdin is empty. Raises ToolError if QEMU is missing, cannot load the file, or the
    run takes longer than `timeout` seconds."""
    qemu = qemu or require_qemu()
    elf = Path(elf)
    if not elf.is_file():
        raise ToolError(f"{elf}: no such file")
    cmd = [str(qemu), "-cpu", cpu or cpu_string(config), str(elf)]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, preexec_fn=_no_core_dumps)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{EXECUTABLE}: {elf} did not finish within {timeout:g} s "
                        "(killed)") from None
    except OSError as exc:
        raise ToolError(f"cannot run {qemu}: {exc.strerror}") from None
    if proc.returncode < 0:  # QEMU re-raises the guest's fatal signal on itself
        sig = -proc.returncode
        return QemuRun(proc.stdout, _without_qemu_notice(proc.stderr), 128 + sig, sig)
    if proc.returncode == 1 and _load_failed(proc.stdout + proc.stderr, elf):
        said = (proc.stdout + proc.stderr).decode(errors="replace").strip()
        raise ToolError(f"{EXECUTABLE} cannot load {elf}: "
                        + (said or "not executable (chmod +x; QEMU needs the permission)"))
    return QemuRun(proc.stdout, proc.stderr, proc.returncode)


_NOTICE = re.compile(rb"^qemu: uncaught target signal .*\n?", re.M)


def _without_qemu_notice(stderr: bytes) -> bytes:
    """The program's stderr without QEMU's own "uncaught target signal" line."""
    return _NOTICE.sub(b"", stderr)


def _load_failed(output: bytes, elf: Path) -> bool:
    """QEMU's own start-up errors (it exits with 1 before running anything), told apart
    from a program that exits with status 1. QEMU prints "Error while loading" with
    printf and then _exit()s, so through a pipe that line is usually lost: a program
    that printed nothing is also checked against the file's execute permission, which
    QEMU requires."""
    text = output.decode(errors="replace")
    if "Error while loading" in text or text.startswith(f"{EXECUTABLE}:"):
        return True
    return not output and not os.access(elf, os.X_OK)


def describe(config: OxCoreConfig) -> str:
    """One line for reports: QEMU's path, version and the -cpu string."""
    qemu = require_qemu()
    return f"{qemu} {qemu_version(qemu)} -cpu {cpu_string(config)}"
