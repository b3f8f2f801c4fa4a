"""Compiled kernels cached per specialisation, in memory and on disk.

A kernel's compiled code depends on its source, the values of the globals it names (an
integer constant at module level is part of the kernel), the signature (types and
constexprs), the core configuration, the register restriction tests use, and the
compiler itself (its passes and the ISA table it selects from). The key hashes all of
them, so an entry can only be reused by a compilation that would produce it again: an
edited kernel, global, configuration or compiler misses and compiles anew.

On disk the entries live under ``$OXCORE_CACHE_DIR/kernels`` (default: the
repository's ``build/cache/kernels``; ``OXCORE_KERNEL_CACHE=0`` turns the disk cache
off). Each entry is a JSON file written atomically; an unreadable or foreign entry is
ignored and replaced, never trusted.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from oxcore.config import OxCoreConfig
from oxcore.outputs import write_json
from sw.compiler.artifact import CompiledKernel, Param
from sw.compiler.language import Kernel

#: Bump when the entry layout changes (entries of another format are ignored).
FORMAT = 1

_ROOT = Path(__file__).resolve().parents[2]
#: The sources compiled code depends on besides the kernel: the compiler and the ISA.
_COMPILER_SOURCES = (_ROOT / "sw" / "compiler", _ROOT / "oxcore" / "isa")
#: The sources a kernel's RTL cycle count depends on besides its code: the RTL.
_HARDWARE_SOURCES = (_ROOT / "hw" / "oxcore",)

_MEMORY: dict[str, CompiledKernel] = {}


def cache_dir() -> Path:
    """Where compiled kernels are kept on disk."""
    from sw.cc.driver import cache_dir as oxcore_cache_dir
    return oxcore_cache_dir() / "kernels"


def disk_enabled() -> bool:
    return os.environ.get("OXCORE_KERNEL_CACHE", "1") not in ("0", "off", "no", "false")


def _sources_digest(directories: tuple[Path, ...]) -> str:
    digest = hashlib.sha256()
    for directory in directories:
        for path in sorted(directory.rglob("*.py")):
            digest.update(str(path.relative_to(_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def compiler_digest() -> str:
    """A hash of every source file of the compiler and the ISA description."""
    return _sources_digest(_COMPILER_SOURCES)


@cache
def hardware_digest() -> str:
    """A hash of every source file of the RTL (autotuning's choices are by its cycles)."""
    return _sources_digest(_HARDWARE_SOURCES)


def kernel_key(kernel: Kernel, signature: str, config: OxCoreConfig,
               allocatable: dict[str, list[int]] | None,
               num_stages: int | None = None) -> str | None:
    """The specialisation's key, or None when the kernel's source cannot be read (a
    kernel defined in an interactive prompt: compiled every time)."""
    try:
        source = inspect.getsource(kernel.fn)
    except (OSError, TypeError):
        return None
    text = json.dumps({"format": FORMAT, "compiler": compiler_digest(),
                       "kernel": kernel.name, "source": source,
                       "globals": _named_globals(kernel), "signature": signature,
                       "config": repr(config), "allocatable": repr(allocatable),
                       "num_stages": num_stages},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _named_globals(kernel: Kernel, seen: frozenset[int] = frozenset()) -> dict[str, object]:
    """The values of the global and closure names the kernel's code mentions that the
    front end can use (integers, dtypes, functions), as text; a helper function it
    calls (another `@kernel`, inlined; by name or as a module's attribute) by its
    source, its signature (defaults included: a constexpr default may read a global)
    and its own globals, so that an edited helper misses too."""
    closure = inspect.getclosurevars(kernel.fn).nonlocals
    scope = {**kernel.fn.__globals__, **closure}
    values: dict[str, object] = {}
    seen = seen | {id(kernel.fn)}
    names = sorted(set(_names(kernel.fn.__code__)))
    for name in names:
        if name not in scope:
            continue
        value = scope[name]
        if isinstance(value, Kernel):
            values[name] = _helper(value, seen)
        elif isinstance(value, ModuleType):  # (`lib.helper(x)`: its helpers too)
            values[name] = value.__name__
            for attribute in names:
                member = getattr(value, attribute, None)
                if isinstance(member, Kernel):
                    values[f"{name}.{attribute}"] = _helper(member, seen)
        elif isinstance(value, (bool, int)):
            values[name] = repr(value)
        elif callable(value) or hasattr(value, "__name__"):
            values[name] = f"{getattr(value, '__module__', '')}." \
                           f"{getattr(value, '__qualname__', getattr(value, '__name__', ''))}"
        else:
            values[name] = repr(value)
    return values


def _helper(helper: Kernel, seen: frozenset[int]) -> object:
    """What a helper's inlined code depends on, for the key."""
    if id(helper.fn) in seen:  # (recursion: the front end's error)
        return f"recursive {helper.name}"
    try:
        return {"source": inspect.getsource(helper.fn),
                "signature": str(inspect.signature(helper.fn)),
                "globals": _named_globals(helper, seen)}
    except (OSError, TypeError):
        return f"unreadable {helper.name} {id(helper.fn)}"


def _names(code) -> list[str]:
    """Every name the code object (and nested ones) mentions."""
    names = list(code.co_names) + list(code.co_freevars)
    for const in code.co_consts:
        if inspect.iscode(const):
            names += _names(const)
    return names


def lookup(key: str) -> CompiledKernel | None:
    if key in _MEMORY:
        return _MEMORY[key]
    if not disk_enabled():
        return None
    try:
        entry = json.loads((cache_dir() / f"{key}.json").read_text())
        compiled = _from_json(entry)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    _MEMORY[key] = compiled
    return compiled


def store(key: str, compiled: CompiledKernel) -> None:
    _MEMORY[key] = compiled
    if not disk_enabled():
        return
    try:
        write_json(cache_dir() / f"{key}.json", _to_json(compiled))
    except OSError:
        pass  # a read-only cache directory costs a compilation next time, nothing else


def clear_memory() -> None:
    """Forget the in-memory entries (benchmarks timing a compilation use it)."""
    _MEMORY.clear()


def _to_json(compiled: CompiledKernel) -> dict[str, Any]:
    return {"format": FORMAT, "name": compiled.name, "asm": compiled.asm,
            "params": [[p.name, p.type] for p in compiled.params],
            "constexprs": [list(c) for c in compiled.constexprs],
            "config_name": compiled.config_name, "engines": list(compiled.engines),
            "stats": [list(s) for s in compiled.stats],
            "programs_per_call": compiled.programs_per_call}


def _from_json(entry: dict[str, Any]) -> CompiledKernel:
    if entry["format"] != FORMAT:
        raise ValueError("another entry format")
    return CompiledKernel(
        entry["name"], entry["asm"], tuple(Param(n, t) for n, t in entry["params"]),
        tuple((n, v) for n, v in entry["constexprs"]), entry["config_name"],
        tuple(entry["engines"]), tuple((n, v) for n, v in entry["stats"]),
        entry["programs_per_call"])
