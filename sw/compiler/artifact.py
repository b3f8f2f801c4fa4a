"""What compiling one kernel specialisation produces, for launchers and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Param:
    """A runtime parameter, in launch-record order: its name and signature type text
    (``*i8``, ``*i32``, ``*u8``, ``i32``)."""

    name: str
    type: str

    @property
    def is_pointer(self) -> bool:
        return self.type.startswith("*")


@dataclass(frozen=True)
class CompiledKernel:
    """One kernel compiled for one signature and configuration.

    `asm` is assembly for our assembler (`sw.asm`): a `.text` section defining the
    global function `name` under the launch ABI (`sw.compiler.abi`), and any read-only
    data it needs. `engines` lists the configuration sections it runs on ("vector",
    "tensor"); `config_name` the configuration it was compiled for (its TDIM, VLEN are
    built in). `stats` are figures for reports (spills, instructions, ...).
    """

    name: str
    asm: str
    params: tuple[Param, ...]
    constexprs: tuple[tuple[str, int | bool], ...]
    config_name: str
    engines: tuple[str, ...] = ()
    stats: tuple[tuple[str, int], ...] = field(default=())
    # The launch ABI's mode (sw.compiler.abi): "range" (one call runs a1 programs from
    # the record's program ids on; what the compiler emits) or "one" (a call per
    # program, the simplest hand-written kernel).
    programs_per_call: str = "one"
