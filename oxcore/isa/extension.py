"""Extensions, and the ISA a configuration selects from them.

An :class:`Extension` is everything one ISA extension adds: instructions, CSRs,
register files, pseudo-instructions, the clang feature that enables it, and a predicate
saying whether a configuration has it. An :class:`Isa` is a selection of extensions:
the one object the assembler, disassembler, interpreter, RTL decoder, docs and C driver
take to know which instructions exist and how they are encoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterable

from oxcore.isa.csrs import Csr
from oxcore.isa.instruction import Instruction
from oxcore.isa.regfile import X, RegisterFile

if TYPE_CHECKING:
    from oxcore.isa.pseudo import Pseudo

MCPU_BASE = "generic_rv32"


def _always(config: Any) -> bool:
    return True


@dataclass(frozen=True, eq=False)
class Extension:
    """One ISA extension, as data.

    `feature` is the clang ``-mcpu`` feature (``m`` for RV32M), None if clang has no such
    feature (custom extensions, or the base ISA named by `MCPU_BASE`).
    """

    name: str
    feature: str | None
    instructions: tuple[Instruction, ...]
    csrs: tuple[Csr, ...] = ()
    register_files: tuple[RegisterFile, ...] = ()
    pseudos: tuple["Pseudo", ...] = ()  # built with oxcore.isa.pseudo.pseudo(...)
    available: Callable[[Any], bool] = _always  # config -> does the core have it
    # An engine's architectural state and the operations its semantics call: the
    # semantics write ``unit_name.method(...)``; the interpreter's machine makes one
    # unit per execution mode with ``unit(machine, recording)``.
    unit_name: str = ""
    unit: Callable[[Any, bool], Any] | None = None
    # The docs chapter (a file in docs/) with the extension's rationale and programming
    # guide; the ISA reference links it from the extension's section.
    chapter: str = ""


def _check_unambiguous(instructions: Iterable[Instruction]) -> None:
    """No word may match two instructions: the table must decode deterministically."""
    items = list(instructions)
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            common = a.mask & b.mask
            if (a.match & common) == (b.match & common):
                raise ValueError(f"encodings of {a.mnemonic} and {b.mnemonic} overlap")


class Isa:
    """A selection of extensions: instructions, decode tables, CSRs, register files."""

    def __init__(self, extensions: Iterable[Extension]) -> None:
        self.extensions: tuple[Extension, ...] = tuple(extensions)
        self.instructions: tuple[Instruction, ...] = tuple(
            ins for ext in self.extensions for ins in ext.instructions)
        _check_unambiguous(self.instructions)
        self.by_mnemonic: dict[str, Instruction] = {i.mnemonic: i for i in self.instructions}
        if len(self.by_mnemonic) != len(self.instructions):
            raise ValueError("two instructions share a mnemonic")
        self.csrs: tuple[Csr, ...] = tuple(c for ext in self.extensions for c in ext.csrs)
        self.csr_by_name: dict[str, Csr] = {c.name: c for c in self.csrs}
        self.csr_by_number: dict[int, Csr] = {c.number: c for c in self.csrs}
        files = {X.name: X}
        for ext in self.extensions:
            files.update({rf.name: rf for rf in ext.register_files})
        self.register_files: dict[str, RegisterFile] = files
        self._check_register_files()
        self._decode = self._decode_tables()

    def _check_register_files(self) -> None:
        for ins in self.instructions:
            for side in (ins.reads, ins.writes):
                unknown = set(side) - set(self.register_files)
                if unknown:
                    raise ValueError(f"{ins.mnemonic}: semantics index undeclared register "
                                     f"file(s) {sorted(unknown)}")
        for rf in self.register_files.values():
            if rf is not X and rf.zero is not None:
                raise ValueError(f"register file {rf.name}: only x may have a zero register")

    def _decode_tables(self) -> list[tuple[int, dict[int, Instruction]]]:
        """One dict per distinct mask, most specific mask first."""
        tables: list[tuple[int, dict[int, Instruction]]] = []
        for ins in sorted(self.instructions, key=lambda i: -bin(i.mask).count("1")):
            for mask, table in tables:
                if mask == ins.mask:
                    table[ins.match] = ins
                    break
            else:
                tables.append((ins.mask, {ins.match: ins}))
        return tables

    def decode(self, word: int) -> Instruction | None:
        """The instruction that `word` encodes, or None for an illegal/unknown word."""
        for mask, table in self._decode:
            ins = table.get(word & mask)
            if ins is not None:
                return ins
        return None

    @property
    def mcpu(self) -> str:
        """clang's ``-mcpu`` value for this selection: ``generic_rv32+m+zicsr``."""
        features = [ext.feature for ext in self.extensions if ext.feature]
        return "+".join([MCPU_BASE, *features])

    @property
    def scalar_mcpu(self) -> str:
        """``-mcpu`` without the engines' extensions: for code built by the toolchain
        itself (zig's compiler_rt, which LLVM cannot compile with RVV enabled)."""
        features = [ext.feature for ext in self.extensions if ext.feature and ext.unit is None]
        return "+".join([MCPU_BASE, *features])

    @cached_property
    def pseudos(self) -> tuple["Pseudo", ...]:
        """Pseudo-instruction rows whose real instructions all exist in this ISA."""
        from oxcore.isa.pseudo import PSEUDOS
        rows = PSEUDOS + tuple(p for ext in self.extensions for p in ext.pseudos)
        return tuple(p for p in rows
                     if all(s.mnemonic in self.by_mnemonic for s in p.steps))

    # --- names that operand kinds look up (oxcore.isa.kinds.CsrNames) -----------------
    def csr_number(self, name: str) -> int | None:
        csr = self.csr_by_name.get(name)
        return csr.number if csr else None

    def csr_name(self, number: int) -> str:
        """Name for the disassembler; unknown numbers print in hex like objdump."""
        csr = self.csr_by_number.get(number)
        return csr.name if csr else f"{number:#x}"

    def format_instruction(self, word: int, pc: int | None = None,
                           symbolize: Callable[[int], str | None] | None = None) -> str:
        """Disassemble one 32-bit word: ``add a0, a1, a2``; ``.word 0x...`` if illegal.

        With `pc`, branch and jump targets print as absolute addresses (or the name that
        `symbolize` gives the address); without it, as byte offsets.
        """
        ins = self.decode(word)
        if ins is None:
            return f".word {word:#010x}"
        return self.format_operands(ins, ins.operand_values(word), pc, symbolize)

    def format_operands(self, ins: Instruction, values: dict[str, int], pc: int | None = None,
                        symbolize: Callable[[int], str | None] | None = None) -> str:
        """``mnemonic operands`` with the given values; optional operands left at their
        default are omitted, as LLVM prints them."""
        fields = {f.name: f for f in ins.operands}
        parts = []
        for slot in ins.slots:
            texts = [fields[n].kind.format(values[n], self, pc, symbolize) for n in slot.names]
            if len(slot.names) == 1 and not slot.base:
                kind = fields[slot.names[0]].kind
                if kind.default is not None and values[slot.names[0]] == kind.default:
                    continue
            parts.append(slot.render(texts))
        text = ", ".join(parts)
        return f"{ins.mnemonic} {text}" if text else ins.mnemonic
