"""`@autotune`: choose a kernel's constexprs (block sizes) by simulated RTL cycles.

As Triton's ``@triton.autotune(configs=[...], key=[...])``: the first launch with a new
value of the `key` arguments runs the kernel once per candidate `Config` on the RTL (in
lockstep with the interpreter, so a wrong candidate fails loudly instead of winning),
on copies of the arguments, and keeps the one with the fewest cycles from
``kernel_begin`` to ``kernel_end``. The choice is cached on disk
(``$OXCORE_CACHE_DIR/autotune``, default build/cache/autotune; one JSON file per kernel
source, configuration and key), so later launches and later processes use it at once; every tuning prints what it tried::

    autotune gemm (M=64, N=64, K=64; config tensor):
      BLOCK_M=16, BLOCK_N=16, BLOCK_K=32: 4,461 cycles  <- chosen
      BLOCK_M=8, BLOCK_N=16, BLOCK_K=32: 5,310 cycles
      BLOCK_M=32, BLOCK_N=16, BLOCK_K=32: does not compile: ...

A candidate that does not compile for this shape and configuration (too many tiles for
the tile registers, a block that does not divide into tiles) is reported and skipped.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np

from oxcore.config import OxCoreConfig
from oxcore.errors import OxCoreError
from sw.compiler.language import Kernel

def choices_dir() -> Path:
    """Where the choices are kept: ``$OXCORE_CACHE_DIR/autotune`` (default: the
    repository's ``build/cache/autotune``), beside the kernel and zig caches."""
    from sw.cc.driver import cache_dir
    return cache_dir() / "autotune"


@dataclass(frozen=True)
class Config:
    """One candidate: constexpr values (Triton's ``triton.Config(kwargs)``) and its
    num_stages (None: the compiler decides)."""

    kwargs: dict[str, Any]
    num_stages: int | None = None

    def text(self) -> str:
        stages = [] if self.num_stages is None else [f"num_stages={self.num_stages}"]
        return ", ".join([f"{k}={v}" for k, v in self.kwargs.items()] + stages)

    def options(self) -> dict[str, Any]:
        """The launch's keyword arguments: the constexprs and num_stages."""
        return {**self.kwargs, **({} if self.num_stages is None
                                  else {"num_stages": self.num_stages})}


@dataclass
class Tuning:
    """What a tuning tried: cycles per candidate (None: it failed, with `errors`)."""

    key: dict[str, Any]
    cycles: dict[str, int | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    chosen: str = ""


class Autotuned:
    """A kernel with candidate configurations; launch it like the kernel:
    ``tuned[grid](*args, sim=..., config=...)`` or `launch(...)` (grid may be a
    callable taking the chosen constexprs, as Triton's)."""

    def __init__(self, kernel: Kernel, configs: list[Config], key: list[str],
                 output: TextIO | None = None) -> None:
        if not configs:
            raise OxCoreError(f"autotune {kernel.name}: no configs to choose from")
        params = kernel.parameters
        unknown = [name for name in key if name not in params]
        if unknown:
            raise OxCoreError(f"autotune {kernel.name}: key {unknown[0]!r} is not a "
                              f"parameter (parameters: {', '.join(params)})")
        self.kernel, self.configs, self.key = kernel, configs, key
        self.output = output
        self.chosen: dict[tuple, Config] = {}

    @property
    def name(self) -> str:
        return self.kernel.name

    def __getitem__(self, grid: Any) -> Callable[..., Any]:
        def run(*args: Any, **options: Any) -> Any:
            return self.launch(grid, *args, **options)
        return run

    def launch(self, grid: Any, *args: Any, sim: str = "iss",
               config: str | OxCoreConfig | None = "default", **options: Any) -> Any:
        """Run with the best configuration for these arguments' key (tuning first if
        this key is new); returns the chosen launch's `LaunchResult`."""
        from sw.compiler.launch import _config, launch
        core = _config(config)
        stages = options.get("num_stages")
        best = self.best(grid, args, core, options.get("backend", "auto"), stages)
        # the caller's num_stages holds for the candidates that do not set their own
        return launch(self.kernel, grid, *args, sim=sim, config=core,
                      **{**options, **best.options()})

    def best(self, grid: Any, args: tuple, config: OxCoreConfig,
             backend: str = "auto", num_stages: int | None = None) -> Config:
        key_values = self._key_values(args)
        memo_key = (config.name, tuple(key_values.items()), num_stages)
        if memo_key in self.chosen:
            return self.chosen[memo_key]
        path = self._cache_path(config, key_values, num_stages)
        config_by_text = {c.text(): c for c in self.configs}
        try:
            cached = json.loads(path.read_text())
            best = config_by_text.get(cached["chosen"])
        except (OSError, ValueError, KeyError):
            best = None
        if best is None:
            tuning = self.tune(grid, args, config, backend, num_stages)
            best = config_by_text[tuning.chosen]
            from oxcore.outputs import write_json
            write_json(path, {"kernel": self.name, "config": config.name, "key": key_values,
                              "cycles": tuning.cycles, "errors": tuning.errors,
                              "chosen": tuning.chosen})
        self.chosen[memo_key] = best
        return best

    def tune(self, grid: Any, args: tuple, config: OxCoreConfig,
             backend: str = "auto", num_stages: int | None = None) -> Tuning:
        """Run every candidate on the RTL (on copies of the arrays) and pick the fastest
        (`num_stages`: the caller's, for candidates that do not set their own)."""
        default = {} if num_stages is None else {"num_stages": num_stages}
        from sw.compiler.launch import launch
        tuning = Tuning(self._key_values(args))
        for candidate in self.configs:
            copies = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
            text = candidate.text()
            try:
                result = launch(self.kernel, grid, *copies, sim="rtl", config=config,
                                backend=backend, **{**default, **candidate.options()})
            except OxCoreError as exc:
                tuning.cycles[text] = None
                tuning.errors[text] = str(exc).splitlines()[0]
                continue
            tuning.cycles[text] = result.cycles
        timed = {text: c for text, c in tuning.cycles.items() if c is not None}
        if not timed:
            raise OxCoreError(f"autotune {self.name}: no configuration ran "
                              f"({'; '.join(f'{t}: {e}' for t, e in tuning.errors.items())})")
        tuning.chosen = min(timed, key=lambda text: timed[text])
        self._report(tuning, config)
        return tuning

    def _report(self, tuning: Tuning, config: OxCoreConfig) -> None:
        out = self.output or sys.stdout
        keys = ", ".join(f"{k}={v}" for k, v in tuning.key.items())
        out.write(f"autotune {self.name} ({keys}; config {config.name}):\n")
        for text, cycles in tuning.cycles.items():
            if cycles is None:
                out.write(f"  {text}: does not run: {tuning.errors[text]}\n")
            else:
                mark = "  <- chosen" if text == tuning.chosen else ""
                out.write(f"  {text}: {cycles:,} cycles{mark}\n")

    def _key_values(self, args: tuple) -> dict[str, Any]:
        runtime = self.kernel.runtime_parameters
        values = dict(zip(runtime, args))
        missing = [k for k in self.key if k not in values]
        if missing:
            raise OxCoreError(f"autotune {self.name}: key {missing[0]!r} is not a runtime "
                              f"argument")
        return {k: (list(values[k].shape) if isinstance(values[k], np.ndarray)
                    else None if values[k] is None else int(values[k])) for k in self.key}

    def _cache_path(self, config: OxCoreConfig, key_values: dict[str, Any],
                    num_stages: int | None = None) -> Path:
        """The choice's file: per kernel source, configuration, key values and candidates,
        and per compiler and RTL (either changes the candidates' cycles)."""
        from sw.compiler.cache import compiler_digest, hardware_digest
        source = inspect.getsource(self.kernel.fn)
        text = json.dumps([source, repr(config), key_values,
                           [c.text() for c in self.configs], compiler_digest(),
                           hardware_digest(), num_stages], sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        return choices_dir() / f"{self.name}-{config.name}-{digest}.json"


def autotune(configs: list[Config], key: list[str]) -> Callable[[Kernel], Autotuned]:
    """``@autotune(configs=[Config({...}), ...], key=["M", "N", "K"])`` above
    ``@tl.kernel``, as Triton's ``@triton.autotune``."""
    def wrap(kernel: Kernel) -> Autotuned:
        if not isinstance(kernel, Kernel):
            raise OxCoreError("@autotune goes above @kernel (it tunes a kernel)")
        return Autotuned(kernel, list(configs), list(key))
    return wrap
