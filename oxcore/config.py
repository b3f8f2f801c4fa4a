"""OxCoreConfig: the one configuration of a core, shared by RTL, interpreter, compiler and FPGA.

Named presets (`PRESETS`) or a TOML file that starts from a preset and overrides fields:

    preset = "small"
    mem_size = 32768
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from oxcore.errors import ConfigError

KIB = 1024
BRANCH_PREDICTORS = ("btb", "nlp", "static", "none")


@dataclass(frozen=True)
class OxCoreConfig:
    """Parameters of one OxCore instance. Validated on construction."""

    name: str = "default"
    # Memory map (see docs/memory-map-abi.md). One RAM holds code, data and stack.
    mem_base: int = 0x8000_0000
    mem_size: int = 256 * KIB
    mmio_base: int = 0x1000_0000  # reserved for SoC peripherals (UART, LEDs)
    mmio_size: int = 0x1000
    # Pipeline micro-architecture (hw/oxcore). None of these change the ISA.
    # "btb" (BTB/BHT looked up with the decoded word, static fallback), "nlp" (the same
    # table looked up by the fetch pc alone: no decode on the fetch path; see
    # hw/oxcore/branch.py), "static" (BTFN), "none"
    branch_predictor: str = "nlp"
    btb_entries: int = 64  # direct-mapped BTB/BHT entries (power of two)
    mul_latency: int = 2  # pipelined multiplier register stages
    # Register file read timing: False reads asynchronously in ID (LUT RAM on ECP5);
    # True reads synchronously, the data arriving at the start of EX (block RAM on iCE40,
    # which has no asynchronous-read RAM). Same cycle behaviour either way.
    regfile_sync_read: bool = False
    # Width of the cycle/instret/performance counters (the CSRs' high halves read the
    # bits above 32, zero when narrower). 64 as the ISA says; 32..63 saves area where
    # runs stay short (a 32-bit cycle counter wraps after 2^32 cycles: 6 min at 12 MHz).
    counter_width: int = 64
    # Misprediction redirect: False refetches in the cycle EX resolves the branch (one
    # bubble); True registers the redirect first (two bubbles), which takes the branch
    # compare off the fetch path (the critical path on ECP5).
    registered_redirect: bool = True
    # Instruction fetch: False feeds ID straight from the instruction RAM's output; True
    # registers the word first (an IF2 stage: one more bubble per misprediction), so
    # that decode and the hazard checks start from flip-flops and, with the "nlp"
    # predictor, nothing but the predictor lies between the RAM's address and its
    # output's register (ECP5's critical path otherwise).
    registered_fetch: bool = True

    def __post_init__(self) -> None:
        self._check_int("mem_base", 0, 0xFFFF_FFFF)
        self._check_int("mem_size", 4 * KIB, 1 << 30)
        self._check_int("mmio_base", 0, 0xFFFF_FFFF)
        self._check_int("mmio_size", 0, 1 << 24)
        if self.mem_size & (self.mem_size - 1):
            raise ConfigError(f"config {self.name!r}: mem_size {self.mem_size} "
                              "must be a power of two")
        if self.mem_base % self.mem_size:
            raise ConfigError(f"config {self.name!r}: mem_base {self.mem_base:#x} must be "
                              f"aligned to mem_size {self.mem_size:#x}")
        if self.mem_base + self.mem_size > 1 << 32:
            raise ConfigError(f"config {self.name!r}: mem_base + mem_size exceeds 4 GiB")
        if self.mmio_base < self.mem_end and self.mem_base < self.mmio_base + self.mmio_size:
            raise ConfigError(f"config {self.name!r}: mmio_base region overlaps RAM")
        if self.branch_predictor not in BRANCH_PREDICTORS:
            raise ConfigError(f"config {self.name!r}: branch_predictor "
                              f"{self.branch_predictor!r} unknown (choose from "
                              f"{', '.join(BRANCH_PREDICTORS)})")
        self._check_int("btb_entries", 2, 1024)
        if self.btb_entries & (self.btb_entries - 1):
            raise ConfigError(f"config {self.name!r}: btb_entries {self.btb_entries} "
                              "must be a power of two")
        self._check_int("mul_latency", 1, 3)
        for flag in ("regfile_sync_read", "registered_redirect", "registered_fetch"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigError(f"config {self.name!r}: {flag} must be true or false, "
                                  f"got {getattr(self, flag)!r}")
        self._check_int("counter_width", 32, 64)

    def _check_int(self, field: str, low: int, high: int) -> None:
        value = getattr(self, field)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"config {self.name!r}: {field} must be an integer, "
                              f"got {value!r}")
        if not low <= value <= high:
            raise ConfigError(f"config {self.name!r}: {field} = {value:#x} out of range "
                              f"[{low:#x}, {high:#x}]")

    @property
    def mem_end(self) -> int:
        return self.mem_base + self.mem_size

    @property
    def stack_top(self) -> int:
        """Initial sp: the top of RAM (the ABI's 16-byte alignment holds)."""
        return self.mem_end

    def replace(self, **changes: Any) -> "OxCoreConfig":
        known = {f.name for f in fields(self)}
        for key in changes:
            if key not in known:
                raise ConfigError(f"config {self.name!r}: unknown field {key!r} "
                                  f"(known: {', '.join(sorted(known))})")
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


PRESETS: dict[str, OxCoreConfig] = {
    "default": OxCoreConfig(),
    # The iCE40 (iCEBreaker) configuration: no BTB, a block-RAM register file and
    # 32-bit counters (cycle wraps after 2^32 cycles; cycleh/instreth read 0).
    # It meets the iCEBreaker's 12 MHz without the registered options (fewer bubbles).
    "small": OxCoreConfig(name="small", mem_size=16 * KIB, branch_predictor="static",
                          btb_entries=16, regfile_sync_read=True, counter_width=32,
                          registered_redirect=False, registered_fetch=False),
}


def load_config(spec: str | None) -> OxCoreConfig:
    """A preset name, or a path to a TOML file (``preset = ...`` plus overrides)."""
    if spec is None or spec in PRESETS:
        return PRESETS[spec or "default"]
    path = Path(spec)
    if not path.suffix == ".toml":
        raise ConfigError(f"unknown config {spec!r}: presets are {', '.join(PRESETS)}, "
                          "or give a .toml file")
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{spec}: cannot read config: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{spec}: {exc}") from None
    base = data.pop("preset", "default")
    if base not in PRESETS:
        raise ConfigError(f"{spec}: preset {base!r} unknown (presets: {', '.join(PRESETS)})")
    data.setdefault("name", path.stem)
    return PRESETS[base].replace(**data)
