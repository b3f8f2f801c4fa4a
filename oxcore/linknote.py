"""The configuration a program was built for, recorded in its ELF as a note.

`oxcore asm` and `oxcore cc` add a non-loaded ``.note.oxcore`` section (an ELF note, name
``OxCore``) whose text says what the program depends on: the RAM it was placed in and
whose end is its stack top, and the ISA it may use. `oxcore.program.load_program`
refuses, in one line naming both, a program built for a configuration that differs in
any of these; micro-architecture options (predictor, latencies, ...) do not matter and
are not recorded. Programs without the note (other toolchains, flat images) load as
before.
"""

from __future__ import annotations

import struct

from oxcore.config import OxCoreConfig
from oxcore.errors import ElfError

SECTION = ".note.oxcore"
NAME = b"OxCore\0"
TYPE = 0x4F58  # "OX": the note type within the OxCore name space (the configuration)
KEYS = ("mem_base", "mem_size", "isa")  # what must match; `config` names it


def recorded(config: OxCoreConfig) -> dict[str, str]:
    from oxcore.isa import isa_for
    return {"config": config.name, "mem_base": f"{config.mem_base:#x}",
            "mem_size": str(config.mem_size), "isa": isa_for(config).mcpu}


def text(config: OxCoreConfig) -> bytes:
    """The note's descriptor: ``key=value`` pairs separated by ``;``."""
    return ";".join(f"{k}={v}" for k, v in recorded(config).items()).encode()


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


def note_bytes(config: OxCoreConfig) -> bytes:
    """The whole note (header, name, descriptor), as an ELF note section holds it."""
    desc = text(config)
    return struct.pack("<III", len(NAME), len(desc), TYPE) + _pad(NAME) + _pad(desc)


def note_assembly(config: OxCoreConfig) -> str:
    """The same note as assembly, for the C toolchain to link in."""
    desc = text(config).decode()
    return (f'\t.section {SECTION},"",@note\n\t.balign 4\n'
            f"\t.word {len(NAME)}, {len(desc)}, {TYPE}\n"
            f'\t.asciz "{NAME[:-1].decode()}"\n\t.balign 4\n'
            f'\t.ascii "{desc}"\n\t.balign 4\n')


def parse(section_data: bytes) -> dict[str, str] | None:
    """The recorded pairs, or None if the section holds no OxCore note."""
    offset = 0
    while offset + 12 <= len(section_data):
        namesz, descsz, kind = struct.unpack_from("<III", section_data, offset)
        name_at = offset + 12
        desc_at = name_at + namesz + (-namesz % 4)
        if section_data[name_at:name_at + namesz] == NAME and kind == TYPE:
            desc = section_data[desc_at:desc_at + descsz].decode(errors="replace")
            return dict(item.split("=", 1) for item in desc.split(";") if "=" in item)
        offset = desc_at + descsz + (-descsz % 4)
    return None


def check(path: str, found: dict[str, str], config: OxCoreConfig) -> None:
    """Refuse a program built for a configuration that differs where it matters."""
    wanted = recorded(config)
    if all(_compatible(key, found.get(key), wanted[key]) for key in KEYS):
        return
    raise ElfError(f"{path}: built for config {found.get('config', '?')!r} "
                   f"({_describe(found)}), not for {config.name!r} ({_describe(wanted)}): "
                   "build it with the same --config")


def _compatible(key: str, found: str | None, wanted: str) -> bool:
    """Equal, except that a program built for fewer ISA extensions runs on a core with
    more (scalar code on a core with the vector engine)."""
    if key == "isa" and found is not None:
        return set(found.split("+")) <= set(wanted.split("+"))
    return found == wanted


def _describe(values: dict[str, str]) -> str:
    try:
        size = f"{int(values.get('mem_size', '0')) // 1024} KiB"
    except ValueError:
        size = values.get("mem_size", "?")
    return f"RAM at {values.get('mem_base', '?')}, {size}, {values.get('isa', '?')}"
