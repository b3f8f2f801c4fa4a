"""Session-wide builds of the C corpus: each program is compiled at most once per session
per (config, optimisation level) for OxCore, and once for the host (native oracle)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from oxcore.config import OxCoreConfig, load_config
from sw.cc.driver import compile_c, write_abi_header

REPO = Path(__file__).resolve().parents[3]
PROGRAMS_DIR = REPO / "tests" / "programs" / "c"
HOST_SHIM_DIR = Path(__file__).resolve().parent / "host"

#: Every corpus program must build warning-free for both targets.
WARNINGS = ["-Wall", "-Wextra", "-Werror"]


def program_names() -> list[str]:
    return sorted(p.stem for p in PROGRAMS_DIR.glob("*.c"))


def host_cc() -> str | None:
    for candidate in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if candidate and shutil.which(candidate):
            return candidate
    return None


class CorpusBuilds:
    """Lazily compiled corpus programs, cached for the session."""

    def __init__(self, root: Path):
        self.root = root
        self._elves: dict[tuple[str, str, str], Path] = {}
        self._natives: dict[str, Path] = {}

    def source(self, name: str) -> Path:
        return PROGRAMS_DIR / f"{name}.c"

    def elf(self, name: str, config: OxCoreConfig | str = "default", opt: str = "2") -> Path:
        cfg = load_config(config) if isinstance(config, str) else config
        key = (name, cfg.name, opt)
        if key not in self._elves:
            out = self.root / "riscv" / f"{name}-{cfg.name}-O{opt}.elf"
            self._elves[key] = compile_c([self.source(name)], out, cfg, opt, WARNINGS)
        return self._elves[key]

    def native(self, name: str) -> Path:
        if name not in self._natives:
            cc = host_cc()
            if cc is None:
                pytest.skip("no host C compiler (cc/gcc/clang) for the native oracle")
            out = self.root / "native" / name
            out.parent.mkdir(parents=True, exist_ok=True)
            proc = subprocess.run(
                [cc, "-O2", *WARNINGS, "-I", str(HOST_SHIM_DIR), "-I", str(write_abi_header()),
                 str(self.source(name)), "-o", str(out)],
                capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, f"native build of {name} failed:\n{proc.stderr}"
            self._natives[name] = out
        return self._natives[name]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusBuilds:
    return CorpusBuilds(tmp_path_factory.mktemp("c-corpus"))
