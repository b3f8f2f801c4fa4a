"""Register files as data: the integer file x, and the engines' vector and tile files.

A register file says how its registers are named in assembly (prefix + number, ABI
names, aliases), how many there are, how wide each is (a number, or a function of the
core configuration for files whose width the configuration chooses, like VLEN), and
which register, if any, is hardwired to zero. The assembler, disassembler, docs and the
interpreter's machine state all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

Width = int | Callable[[Any], int]


@dataclass(frozen=True, eq=False)  # identity: each register file exists once
class RegisterFile:
    """One architectural register file."""

    name: str  # the name semantics index: ``x[rd]``, ``v[vd]``
    prefix: str  # assembly spelling: prefix + number (``x5``, ``v3``)
    count: int
    width: Width  # bits per register, or config -> bits
    description: str
    abi_names: tuple[str, ...] = ()  # the names the disassembler prints, if any
    aliases: Mapping[str, int] = field(default_factory=dict)  # extra accepted names
    zero: int | None = None  # the register hardwired to zero, if any

    def __post_init__(self) -> None:
        if self.abi_names and len(self.abi_names) != self.count:
            raise ValueError(f"register file {self.name}: {len(self.abi_names)} ABI names "
                             f"for {self.count} registers")
        names = {f"{self.prefix}{i}": i for i in range(self.count)}
        names.update({n: i for i, n in enumerate(self.abi_names)})
        names.update(self.aliases)
        object.__setattr__(self, "_numbers", names)

    @property
    def numbers(self) -> Mapping[str, int]:
        """Every accepted spelling (lower case) -> register number."""
        return self._numbers  # type: ignore[attr-defined]

    def bits(self, config: Any) -> int:
        """Register width under `config` (the file may size itself from it)."""
        return self.width(config) if callable(self.width) else self.width

    def parse(self, text: str) -> int | None:
        """Register number for `text` (case-insensitive), or None if it names none."""
        return self.numbers.get(text.strip().lower())

    def register_name(self, number: int) -> str:
        """The name the disassembler prints: the ABI name if there is one."""
        return self.abi_names[number] if self.abi_names else f"{self.prefix}{number}"


def _vlen(config: Any) -> int:
    return getattr(getattr(config, "vector", None), "vlen", 128)


def _tile_bits(config: Any) -> int:
    """TDIM rows of 4*TDIM bytes (TDIM 8, the `TensorConfig` default, without one)."""
    tdim = getattr(getattr(config, "tensor", None), "tdim", 8)
    return tdim * tdim * 32


X = RegisterFile(
    "x", "x", 32, 32, "integer register",
    abi_names=("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
               "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
               "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
               "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"),
    aliases={"fp": 8}, zero=0)

# Engine register files: declared here so extensions and docs can name them; their
# widths come from the configuration's engine sections (defaults until those exist).
V = RegisterFile("v", "v", 32, _vlen, "vector register (VLEN bits)")
TILE = RegisterFile("tile", "m", 8, _tile_bits,
                    "tile register (TDIM rows of 4*TDIM bytes: TDIM x TDIM int32, or "
                    "TDIM x 4*TDIM int8 operands)")
