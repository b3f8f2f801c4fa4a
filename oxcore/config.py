"""OxCoreConfig: the one configuration of a core, shared by RTL, interpreter, compiler and FPGA.

Named presets (`PRESETS`) or a TOML file that starts from a preset and overrides fields;
the engines are nested sections, each a table of its own (absent: no such engine):

    preset = "small"
    mem_size = 32768

    [vector]            # VectorConfig: the RVV engine, LANES x 32-bit lanes
    lanes = 8

    [tensor]            # TensorConfig: the TDIM x TDIM MAC array
    tdim = 16

A configuration without sections elaborates exactly the scalar core. Every bad value
raises one `ConfigError` naming the file (for TOML), the section and the field, with
its rule: ``cfg.toml: [vector] lanes = 3: must be a power of two from 1 to 32``.
"""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from oxcore.errors import ConfigError

KIB = 1024
BRANCH_PREDICTORS = ("btb", "nlp", "static", "none")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_power_of_two(value: int) -> bool:
    return value > 0 and value & (value - 1) == 0


class _Section:
    """What a nested configuration section shares: its TOML table name (`SECTION`),
    construction from a table with unknown fields named, and field checks whose
    errors read ``[section] field = value: rule``."""

    SECTION = ""

    @classmethod
    def from_table(cls, table: object) -> "_Section":
        """The section from a parsed TOML table (a dict)."""
        if not isinstance(table, dict):
            raise ConfigError(f"[{cls.SECTION}] must be a table (a [{cls.SECTION}] "
                              f"header with fields under it), got {table!r}")
        known = sorted(f.name for f in fields(cls))
        for key in table:
            if key not in known:
                raise ConfigError(f"[{cls.SECTION}] unknown field {key!r} "
                                  f"(known: {', '.join(known)})")
        return cls(**table)

    def replace(self, **changes: Any) -> "_Section":
        return type(self).from_table({**dataclasses.asdict(self), **changes})

    def _fail(self, field: str, rule: str) -> None:
        raise ConfigError(f"[{self.SECTION}] {field} = {getattr(self, field)!r}: {rule}")

    def _check_range(self, field: str, low: int, high: int) -> None:
        value = getattr(self, field)
        if not _is_int(value) or not low <= value <= high:
            self._fail(field, f"must be an integer from {low} to {high}")

    def _check_bool(self, field: str) -> None:
        if not isinstance(getattr(self, field), bool):
            self._fail(field, "must be true or false")

    def _check_power_of_two(self, field: str, low: int, high: int) -> None:
        value = getattr(self, field)
        if not _is_int(value) or not low <= value <= high or not _is_power_of_two(value):
            self._fail(field, f"must be a power of two from {low} to {high}")


@dataclass(frozen=True)
class VectorConfig(_Section):
    """The vector engine (RVV 1.0 integer subset): `[vector]` in TOML.

    `vlen` is the bits of one vector register; `lanes` the 32-bit lanes that work on it
    in parallel (so a register takes vlen / (lanes x 32) beats); the engine's memory
    port is lanes x 32 bits wide (`port_bits`). `queue_depth` is how many dispatched
    instructions wait for the engine before the scalar pipeline stalls. `port_stage`
    puts a register each way between the port and the RAM's banks (`hw.oxcore.
    banked_ram`, "Engine stages": reads answer in 3 cycles instead of 1); off here,
    because strided and indexed accesses wait for each element's answer (4 cycles an
    element instead of 2) and the vector SoC's clock is set by the engine's own logic.
    """

    SECTION = "vector"

    vlen: int = 256
    lanes: int = 4
    queue_depth: int = 4
    port_stage: bool = False

    def __post_init__(self) -> None:
        self._check_power_of_two("vlen", 64, 1024)
        self._check_power_of_two("lanes", 1, 32)
        self._check_range("queue_depth", 1, 64)
        self._check_bool("port_stage")
        if self.port_bits > self.vlen:
            self._fail("lanes", f"lanes x 32 = {self.port_bits} bits must not exceed "
                                f"vlen = {self.vlen}")

    @property
    def port_bits(self) -> int:
        """Width of the engine's memory port: one 32-bit word per lane."""
        return self.lanes * 32


@dataclass(frozen=True)
class TensorConfig(_Section):
    """The tensor engine (a `tdim` x `tdim` multiply-accumulate array): `[tensor]`.

    `port_bits` is its memory port's width (256 bits: a tile row at TDIM 8, 8 int32
    accumulators or 32 int8 operands, per access); `queue_depth` as for `VectorConfig`.
    16 by default, not 4: compiled kernels run a grid's programs in one loop, and
    between programs the scalar core has ~60 instructions of address and bound
    arithmetic; with 16 entries it dispatches a program's last stores and runs on into
    the next program while the array finishes (the compiled 64^3 GEMM: 81.4% MAC
    utilization at depth 4, 88.5% at 16; docs/compiler.md). `port_stage` as for
    `VectorConfig`, on by default: tile loads run ahead of their answers, so it costs a
    load 2 cycles of latency (gemm 64^3: 1 cycle), and on the FPGA it keeps the engine
    from being spread between the block RAMs (docs/fpga.md).
    """

    SECTION = "tensor"

    tdim: int = 8
    port_bits: int = 256
    queue_depth: int = 16
    port_stage: bool = True

    def __post_init__(self) -> None:
        if not _is_int(self.tdim) or self.tdim not in (4, 8, 16):
            self._fail("tdim", "must be 4, 8 or 16")
        self._check_power_of_two("port_bits", 32, 1024)
        self._check_range("queue_depth", 1, 64)
        self._check_bool("port_stage")


SECTIONS: dict[str, type[_Section]] = {"vector": VectorConfig, "tensor": TensorConfig}


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
    # Engines (nested sections; None: not present). Without any, the RTL is exactly the
    # scalar core.
    vector: VectorConfig | None = None
    tensor: TensorConfig | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"config name must be a non-empty string, got {self.name!r}")
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
        for name, section in SECTIONS.items():
            value = getattr(self, name)
            if value is not None and not isinstance(value, section):
                raise ConfigError(f"config {self.name!r}: {name} must be a "
                                  f"{section.__name__} or None, got {value!r}")

    @property
    def engines(self) -> dict[str, "VectorConfig | TensorConfig"]:
        """The engine sections present, by section name (empty for the scalar core)."""
        return {name: getattr(self, name) for name in SECTIONS
                if getattr(self, name) is not None}

    def _check_int(self, field: str, low: int, high: int) -> None:
        value = getattr(self, field)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"config {self.name!r}: {field} must be an integer, "
                              f"got {value!r}")
        if not low <= value <= high:
            # Decimal, as the rule is read; addresses also in hex, as they are written.
            shown = f"{value} ({value:#x})" if field.endswith("_base") and value >= 0 else value
            bounds = (f"from {low} to {high} ({low:#x} to {high:#x})"
                      if field.endswith("_base") else f"from {low} to {high}")
            raise ConfigError(f"config {self.name!r}: {field} = {shown}: must be {bounds}")

    @property
    def mem_end(self) -> int:
        return self.mem_base + self.mem_size

    @property
    def stack_top(self) -> int:
        """Initial sp: the top of RAM (the ABI's 16-byte alignment holds)."""
        return self.mem_end

    def replace(self, **changes: Any) -> "OxCoreConfig":
        known = {f.name for f in fields(self)}
        name = changes.get("name", self.name)  # the config being made, not its base
        for key in changes:
            if key not in known:
                raise ConfigError(f"config {name!r}: unknown field {key!r} "
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
    # `default` with the vector engine (VLEN 256, 4 lanes): the RVV kernels' configuration.
    "vector": OxCoreConfig(name="vector", vector=VectorConfig()),
    "tensor": OxCoreConfig(name="tensor", tensor=TensorConfig()),
}


def load_config(spec: str | None) -> OxCoreConfig:
    """A preset name, or a path to a TOML file (``preset = ...`` plus overrides); either
    followed by ``[FIELD=VALUE,...]`` overrides (`with_overrides`: what a sweep's
    variants are named, ``vector[vector.lanes=2]``)."""
    if spec is None or spec in PRESETS:
        return PRESETS[spec or "default"]
    if spec.endswith("]") and "[" in spec:
        base, _, inner = spec[:-1].partition("[")
        changes = {}
        for item in inner.split(","):
            field, values = parse_sweep(item, what=spec)
            if len(values) != 1 or field in changes:
                raise ConfigError(f"{spec}: one value a field in [...] (a sweep's values "
                                  f"go to --sweep)")
            changes[field] = values[0]
        return with_overrides(load_config(base), changes)
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
    try:
        for name, section in SECTIONS.items():
            if name in data:
                data[name] = section.from_table(data[name])
        return PRESETS[base].replace(**data)
    except ConfigError as exc:
        raise ConfigError(f"{spec}: {exc}") from None


def parse_sweep(text: str, what: str = "") -> tuple[str, list[Any]]:
    """``FIELD=V1,V2,...`` (FIELD a top-level field, ``mem_size``, or a section's,
    ``vector.lanes``) -> (FIELD, values). Values read as TOML values (``4``,
    ``0x1000``, ``true``), else as strings (``static``). `what`: where it was written
    (for the error), ``--sweep`` by default."""
    field, sep, values = text.partition("=")
    field = field.strip()
    if not sep or not field or not values.strip():
        raise ConfigError(f"{what}: {text!r}: expected FIELD=VALUE (e.g. vector.lanes=2)"
                          if what else f"--sweep {text!r}: expected FIELD=V1,V2,... "
                                       f"(e.g. vector.lanes=2,4,8)")
    return field, [_override_value(value.strip()) for value in values.split(",")]


def _override_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def with_overrides(config: OxCoreConfig, changes: dict[str, Any]) -> OxCoreConfig:
    """`config` with each ``FIELD: value`` of `changes` set (a section's field adds that
    engine, with its defaults, if `config` has none), named after what changed:
    ``vector[vector.lanes=2]``. Raises ConfigError naming the field at fault."""
    base, _, given = config.name.partition("[")  # (a variant's variant: one list)
    shown = dict(item.split("=", 1) for item in given.rstrip("]").split(",") if "=" in item)
    shown.update((k, _shown(v)) for k, v in changes.items())
    name = base + "[" + ",".join(f"{k}={v}" for k, v in shown.items()) + "]"
    top: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {}
    for key, value in changes.items():
        section, dot, field = key.rpartition(".")
        if not dot:
            if key == "name":
                raise ConfigError("name cannot be swept (a variant is named after what "
                                  "it changes)")
            if key in SECTIONS:
                raise ConfigError(f"{key}={value!r}: name one of [{key}]'s fields ("
                                  + ", ".join(f"{key}.{f.name}" for f in fields(SECTIONS[key]))
                                  + ")")
            owners = [f"{owner}.{key}" for owner, kind in SECTIONS.items()
                      if key in {f.name for f in fields(kind)}]
            if owners and key not in {f.name for f in fields(OxCoreConfig)}:
                raise ConfigError(f"{key}={value!r}: {key} is a field of an engine's section: "
                                  f"{' or '.join(owners)}")
            top[key] = value
        elif section not in SECTIONS:
            raise ConfigError(f"{key}={value!r}: unknown section {section!r} "
                              f"(sections: {', '.join(SECTIONS)})")
        else:
            sections.setdefault(section, {})[field] = value
    for section, table in sections.items():
        current = getattr(config, section)
        present = dataclasses.asdict(current) if current is not None else {}
        top[section] = SECTIONS[section].from_table({**present, **table})
    return config.replace(name=name, **top)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:#x}" if isinstance(value, int) and value >= 1 << 16 else str(value)


def sweep(config: OxCoreConfig, specs: list[str]) -> list[OxCoreConfig]:
    """Every combination of the ``FIELD=V1,V2,...`` `specs` (`parse_sweep`) applied to
    `config`, the first field varying slowest; all checked before any is used."""
    axes = [parse_sweep(spec) for spec in specs]
    fields_ = [field for field, _ in axes]
    repeated = next((f for f in fields_ if fields_.count(f) > 1), None)
    if repeated is not None:
        raise ConfigError(f"--sweep {repeated}: given twice (list its values in one "
                          f"--sweep {repeated}=V1,V2,...)")
    variants = [with_overrides(config, dict(zip(fields_, values)))
                for values in itertools.product(*(values for _, values in axes))]
    names = [variant.name for variant in variants]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise ConfigError(f"--sweep: {twice} comes twice (a value repeats)")
    return variants
