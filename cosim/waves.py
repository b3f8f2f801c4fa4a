"""GTKWave save files for the waveforms of both RTL simulators.

`Core.probes` lists, by group, what a viewer should open with: signals, struct views,
interfaces, or one field of a struct `(view, "field")`. Their names are looked up in the
VCD's own header (the Amaranth simulator and CXXRTL name the hierarchy the same way),
so the save file only ever names variables the VCD has.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from amaranth.hdl import Signal, Value
from amaranth.lib import data, wiring
from vcd.gtkw import GTKWSave

from oxcore.errors import OxCoreError


def _signals(item: object) -> list[Signal | tuple[Signal, str]]:
    """The signals behind a probe: a signal, a struct view, an interface, or a field."""
    if isinstance(item, tuple):
        view, field = item
        return [(Value.cast(view), field)]
    if isinstance(item, data.View):
        item = Value.cast(item)
    if isinstance(item, Signal):
        return [item]
    if hasattr(item, "signature") and isinstance(item.signature, wiring.Signature):
        return [value for _, _, value in item.signature.flatten(item)
                if isinstance(value, Signal)]
    raise TypeError(f"cannot trace {item!r}")


def _vcd_variables(vcd_path: str) -> dict[str, list[tuple[str, str, int]]]:
    """Header of a VCD: base name -> [(scope path, variable name, width)]."""
    variables: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    scopes: list[str] = []
    with open(vcd_path) as handle:
        for line in handle:
            if line.startswith("$scope"):
                scopes.append(line.split()[2])
            elif line.startswith("$upscope"):
                scopes.pop()
            elif line.startswith("$var"):
                _, _, width, _, name = line.split()[:5]
                base = name.lstrip("\\").split(".")[0]
                variables[base].append((".".join(scopes), name, int(width)))
            elif line.startswith("$enddefinitions"):
                break
    return variables


def _trace_names(item: Signal | tuple[Signal, str], variables) -> list[str]:
    """GTKWave names of a signal (with its struct fields) or of one struct field, in the
    outermost scope that has it."""
    if isinstance(item, tuple):
        signal, field = item
        wanted = f"\\{signal.name}.{field}"
        found = [v for v in variables.get(signal.name, []) if v[1] == wanted]
    else:
        found = variables.get(item.name, [])
    if not found:
        return []
    scope = min((s for s, _, _ in found), key=lambda s: (s.count("."), s))
    return [f"{s}.{name}[{width - 1}:0]" if width > 1 else f"{s}.{name}"
            for s, name, width in found if s == scope]


def is_instruction_word(name: str) -> bool:
    """A trace holding 32-bit instruction words: an ``insn`` field (retire port, pipeline
    registers, environment request) or the fetch port's data."""
    base = name.split("[", 1)[0]
    return base.rsplit(".", 1)[-1] == "insn" or base.endswith(("imem.data", "imem__data"))


def write_gtkw(probes: dict[str, list], vcd_path: str, config=None) -> Path:
    """Write `<vcd>.gtkw` opening `vcd_path` with `probes` grouped (atomic). Instruction
    words are shown as disassembly through the translate filter process
    (`cosim.gtkw_filter`, with `config`'s ISA) when its script is installed."""
    from cosim.gtkw_filter import command
    disasm = command(config)
    variables = _vcd_variables(vcd_path)
    target = Path(vcd_path).with_suffix(".gtkw")
    partial = target.with_name(target.name + ".partial")
    try:
        with open(partial, "w") as handle:
            save = GTKWSave(handle)
            save.dumpfile(os.path.abspath(vcd_path))
            save.treeopen("bench.top")
            for group, items in probes.items():
                with save.group(group):
                    for item in items:
                        for signal in _signals(item):
                            for name in _trace_names(signal, variables):
                                if disasm and name.endswith("[31:0]") \
                                        and is_instruction_word(name):
                                    save.trace(name, translate_filter_proc=disasm)
                                else:
                                    save.trace(name)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def check_waveform_path(path: str) -> None:
    """A waveform is a VCD file with its GTKWave save file beside it: refuse what cannot
    be that, in one line, before the simulation starts."""
    target = Path(path)
    if path == "-" or (target.exists() and not target.is_file()) or target.is_symlink():
        raise OxCoreError(f"--vcd {path}: needs a regular file (the waveform and its .gtkw "
                          "save file are written side by side)")
    if target.suffix.lower() != ".vcd":
        raise OxCoreError(f"--vcd {path}: OxCore writes VCD text; name the file .vcd "
                          "(GTKWave's vcd2fst converts it to FST)")
