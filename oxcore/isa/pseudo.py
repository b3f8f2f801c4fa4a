"""Pseudo-instructions and alternate operand forms, described as data.

Each row says how one assembly form expands into real instructions of
:data:`oxcore.isa.INSTRUCTIONS`. Expansions are written as assembly templates
(``"addi {rd}, {rs}, 0"``) and parsed once against the real instruction's own syntax,
so no opcode or field layout is re-typed here. A pseudo operand's kind (register,
immediate, branch target, CSR, ...) is the kind of the real field it lands in.

The assembler uses the table to expand; the disassembler uses it backwards
(:func:`find_alias`, :func:`alias_text`) to print ``mv a0, a1`` for ``addi a0, a1, 0``
in LLVM's style. Rows with ``alias=True`` are the ones LLVM prints; their order is the
order of preference (``nop`` before ``li`` before ``mv``, ``ret`` before ``jr``).

Expansions that depend on a value (``li``, ``la``/``lla`` of a constant) are computed
by small functions that return templates of the same form; ``li`` reproduces LLVM's
RISCVMatInt sequence for RV32 exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Callable, Iterable, Mapping, Union

from oxcore.isa import (BY_MNEMONIC, DEFAULT_ISA, INSTRUCTIONS, Instruction, Isa, Opcode,
                        format_operand)
from oxcore.isa.fields import Field
from oxcore.isa.kinds import (FENCE_LETTERS, IMM32, SYMBOL, TARGET, XREG,  # noqa: F401
                              OperandKind, fence_bits)


@dataclass(frozen=True)
class PcrelHi:
    """``%pcrel_hi(operand)`` relative to the first instruction of the expansion."""

    operand: str


@dataclass(frozen=True)
class PcrelLo:
    """``%pcrel_lo`` of the same pair: low 12 bits of operand - first instruction."""

    operand: str


# A template for one real operand: a pseudo operand name, a constant, or a pcrel part.
Template = Union[str, int, PcrelHi, PcrelLo]


@dataclass(frozen=True)
class Step:
    """One real instruction of an expansion; `operands` maps each real field to a Template."""

    mnemonic: str
    operands: Mapping[str, Template]
    target: Instruction | None = field(default=None, compare=False, repr=False)

    @property
    def instruction(self) -> Instruction:
        """The real instruction: `target`, else the default ISA's of that mnemonic."""
        return self.target if self.target is not None else BY_MNEMONIC[self.mnemonic]


@dataclass(frozen=True)
class OperandSpec:
    """A pseudo operand: its kind and, when it lands in a real field, that field."""

    name: str
    kind: OperandKind
    field: Field | None = None


Expander = Callable[[Mapping[str, int]], tuple[Step, ...]]


@dataclass(frozen=True)
class Pseudo:
    """One assembly form: ``mnemonic syntax`` -> `steps` (or computed by `expand`).

    `expand` receives the operands whose values are already-known constants and returns
    the steps; `steps` then holds the canonical single-instruction form, if any, used
    for disassembly aliases.
    """

    mnemonic: str
    syntax: str
    steps: tuple[Step, ...]
    alias: bool = False
    expand: Expander | None = None
    kinds: Mapping[str, OperandKind] = field(default_factory=dict)
    operands: tuple[OperandSpec, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = re.findall(r"\{(\w+)\}", self.syntax)
        specs = tuple(self._spec(name) for name in names)
        object.__setattr__(self, "operands", specs)
        object.__setattr__(self, "kinds", MappingProxyType(dict(self.kinds)))

    def _spec(self, name: str) -> OperandSpec:
        for step in self.steps:
            ins = step.instruction
            for fld in ins.operands:
                if step.operands[fld.name] == name:
                    return OperandSpec(name, self.kinds.get(name, fld.kind), fld)
        if name in self.kinds:
            return OperandSpec(name, self.kinds[name])
        for step in self.steps:
            for tpl in step.operands.values():
                if isinstance(tpl, (PcrelHi, PcrelLo)) and tpl.operand == name:
                    return OperandSpec(name, SYMBOL)
        raise ValueError(f"pseudo {self.mnemonic}: operand {name} is never used")

    def expansion(self, constants: Mapping[str, int]) -> tuple[Step, ...]:
        """The real instructions for this use (`constants`: operands known as numbers)."""
        return self.expand(constants) if self.expand else self.steps

    @property
    def usage(self) -> str:
        return re.sub(r"[{}]", "", f"{self.mnemonic} {self.syntax}").strip()


# --- template parsing -----------------------------------------------------------------

def _syntax_regex(syntax: str) -> re.Pattern[str]:
    """Regex for a real instruction's syntax: ``{imm}({rs1})`` -> named groups."""
    parts = re.split(r"(\{\w+\})", syntax)
    regex = ""
    for part in parts:
        if part.startswith("{"):
            regex += rf"(?P<{part[1:-1]}>(?:[^(),]|\([^()]*\))+?)"
        else:
            regex += r"\s*".join(re.escape(ch) for ch in part.replace(" ", ""))
            regex += r"\s*"
    return re.compile(r"\s*" + regex + r"\s*$")


def _template(text: str, fld: Field) -> Template:
    text = text.strip()
    if m := re.fullmatch(r"\{(\w+)\}", text):
        return m.group(1)
    if m := re.fullmatch(r"%pcrel_(hi|lo)\(\{(\w+)\}\)", text):
        return PcrelHi(m.group(2)) if m.group(1) == "hi" else PcrelLo(m.group(2))
    value = fld.kind.parse([text], DEFAULT_ISA)
    if value is not None:
        return value
    if not fld.kind.expression:
        raise ValueError(f"bad {fld.kind.name} operand {text!r} in template")
    return int(text, 0)


@lru_cache(maxsize=None)
def step(text: str, instructions: tuple[Instruction, ...] = ()) -> Step:
    """Parse one expansion template such as ``"jalr ra, %pcrel_lo({symbol})(ra)"``; its
    mnemonic is one of `instructions` (an extension's own) or of the default ISA."""
    mnemonic, _, rest = text.strip().partition(" ")
    ins = next((i for i in instructions if i.mnemonic == mnemonic), None) \
        or BY_MNEMONIC[mnemonic]
    match = _syntax_regex(ins.syntax).match(rest)
    if match is None:
        raise ValueError(f"template {text!r} does not fit syntax {ins.syntax!r}")
    operands = {fld.name: _template(match.group(fld.name), fld) for fld in ins.operands}
    return Step(mnemonic, MappingProxyType(operands), ins)


def pseudo(mnemonic: str, syntax: str, templates: Iterable[str], alias: bool = False,
           expand: Expander | None = None, kinds: Mapping[str, OperandKind] | None = None,
           instructions: tuple[Instruction, ...] = ()) -> Pseudo:
    """A pseudo-instruction row; an extension passes its own `instructions` so its
    templates may use them (``Extension(..., pseudos=(pseudo(...),))``)."""
    return Pseudo(mnemonic, syntax, tuple(step(t, instructions) for t in templates), alias,
                  expand, kinds or {})



# --- computed expansions --------------------------------------------------------------

def _sext(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def hi20(value: int) -> int:
    """``%hi``: upper 20 bits, rounded so that ``(hi << 12) + lo`` gives `value` back."""
    return ((value + 0x800) >> 12) & 0xFFFFF


def lo12(value: int) -> int:
    """``%lo``: the low 12 bits as the signed immediate that addi/lw/sw add."""
    return _sext(value, 12)


def _lui_addi(value: int) -> list[tuple[str, int]]:
    hi, lo = hi20(value), lo12(value)
    seq = [("lui", hi)] if hi else []
    if lo or not hi:
        seq.append(("addi", lo))
    return seq


def li_sequence(value: int) -> list[tuple[str, int]]:
    """(opcode, immediate) list that LLVM's RISCVMatInt emits for `value` on RV32IM.

    lui/addi as usual; but when the value is even with non-zero low 12 bits and a
    shifted-down form fits a 6-bit immediate, LLVM prefers ``addi + slli`` (e.g.
    ``li a0, 0x800`` -> ``addi a0, zero, 1; slli a0, a0, 11``), same length but
    compressible.
    """
    value = _sext(value, 32)
    seq = _lui_addi(value)
    if value & 0xFFF and not value & 1 and len(seq) >= 2:
        zeros = (value & -value).bit_length() - 1
        shifted = value >> zeros
        tmp = _lui_addi(shifted)
        if len(tmp) + 1 < len(seq) or (-32 <= shifted < 32 and len(tmp) + 1 == len(seq)):
            seq = tmp + [("slli", zeros)]
    return seq


def _li_steps(value: int) -> tuple[Step, ...]:
    steps = []
    for i, (op, imm) in enumerate(li_sequence(value)):
        if op == "lui":
            steps.append(step(f"lui {{rd}}, {imm}"))
        elif op == "addi":
            src = "{rd}" if i else "zero"
            steps.append(step(f"addi {{rd}}, {src}, {imm}"))
        else:
            steps.append(step(f"slli {{rd}}, {{rd}}, {imm}"))
    return tuple(steps)


def _expand_li(constants: Mapping[str, int]) -> tuple[Step, ...]:
    return _li_steps(constants["imm"])


def _expand_la(constants: Mapping[str, int]) -> tuple[Step, ...]:
    """la/lla: pc-relative auipc+addi; a constant address is loaded like ``li`` (LLVM)."""
    if "symbol" in constants:
        return _li_steps(constants["symbol"])
    return (step("auipc {rd}, %pcrel_hi({symbol})"),
            step("addi {rd}, {rd}, %pcrel_lo({symbol})"))


# --- the table ------------------------------------------------------------------------

def _load_store_symbol_forms() -> list[Pseudo]:
    """``lw rd, sym`` and ``sw rs, sym, rt`` for every load/store in the ISA table."""
    rows = []
    for ins in INSTRUCTIONS:
        opcode = ins.fixed.get("opcode")
        if opcode == Opcode.LOAD:
            rows.append(pseudo(ins.mnemonic, "{rd}, {symbol}", [
                "auipc {rd}, %pcrel_hi({symbol})",
                f"{ins.mnemonic} {{rd}}, %pcrel_lo({{symbol}})({{rd}})"]))
        elif opcode == Opcode.STORE:
            rows.append(pseudo(ins.mnemonic, "{rs}, {symbol}, {rt}", [
                "auipc {rt}, %pcrel_hi({symbol})",
                f"{ins.mnemonic} {{rs}}, %pcrel_lo({{symbol}})({{rt}})"]))
    return rows


def _csr_forms() -> list[Pseudo]:
    """csrr/csrw/... aliases, and the register forms used with an immediate (LLVM)."""
    rows = [
        pseudo(f"rd{name}", "{rd}", [f"csrrs {{rd}}, {name}, zero"], alias=True)
        for name in ("cycle", "cycleh", "time", "timeh", "instret", "instreth")]
    rows.append(pseudo("csrr", "{rd}, {csr}", ["csrrs {rd}, {csr}, zero"], alias=True))
    for op in ("w", "s", "c"):
        rows.append(pseudo(f"csr{op}", "{csr}, {rs}", [f"csrr{op} zero, {{csr}}, {{rs}}"],
                            alias=True))
    for op in ("w", "s", "c"):
        rows.append(pseudo(f"csr{op}i", "{csr}, {imm}",
                            [f"csrr{op}i zero, {{csr}}, {{imm}}"], alias=True))
    for op in ("w", "s", "c"):
        rows.append(pseudo(f"csr{op}", "{csr}, {imm}", [f"csrr{op}i zero, {{csr}}, {{imm}}"]))
        rows.append(pseudo(f"csrr{op}", "{rd}, {csr}, {imm}",
                            [f"csrr{op}i {{rd}}, {{csr}}, {{imm}}"]))
    return rows


PSEUDOS: tuple[Pseudo, ...] = (
    pseudo("nop", "", ["addi zero, zero, 0"], alias=True),
    pseudo("li", "{rd}, {imm}", ["addi {rd}, zero, {imm}"], alias=True, expand=_expand_li,
            kinds={"imm": IMM32}),
    pseudo("mv", "{rd}, {rs}", ["addi {rd}, {rs}, 0"], alias=True),
    pseudo("not", "{rd}, {rs}", ["xori {rd}, {rs}, -1"], alias=True),
    pseudo("neg", "{rd}, {rs}", ["sub {rd}, zero, {rs}"], alias=True),
    pseudo("seqz", "{rd}, {rs}", ["sltiu {rd}, {rs}, 1"], alias=True),
    pseudo("snez", "{rd}, {rs}", ["sltu {rd}, zero, {rs}"], alias=True),
    pseudo("sltz", "{rd}, {rs}", ["slt {rd}, {rs}, zero"], alias=True),
    pseudo("sgtz", "{rd}, {rs}", ["slt {rd}, zero, {rs}"], alias=True),
    pseudo("sgt", "{rd}, {rs}, {rt}", ["slt {rd}, {rt}, {rs}"]),
    pseudo("sgtu", "{rd}, {rs}, {rt}", ["sltu {rd}, {rt}, {rs}"]),
    pseudo("zext.b", "{rd}, {rs}", ["andi {rd}, {rs}, 255"]),
    pseudo("beqz", "{rs}, {offset}", ["beq {rs}, zero, {offset}"], alias=True),
    pseudo("bnez", "{rs}, {offset}", ["bne {rs}, zero, {offset}"], alias=True),
    pseudo("blez", "{rs}, {offset}", ["bge zero, {rs}, {offset}"], alias=True),
    pseudo("bgez", "{rs}, {offset}", ["bge {rs}, zero, {offset}"], alias=True),
    pseudo("bltz", "{rs}, {offset}", ["blt {rs}, zero, {offset}"], alias=True),
    pseudo("bgtz", "{rs}, {offset}", ["blt zero, {rs}, {offset}"], alias=True),
    pseudo("bgt", "{rs}, {rt}, {offset}", ["blt {rt}, {rs}, {offset}"]),
    pseudo("ble", "{rs}, {rt}, {offset}", ["bge {rt}, {rs}, {offset}"]),
    pseudo("bgtu", "{rs}, {rt}, {offset}", ["bltu {rt}, {rs}, {offset}"]),
    pseudo("bleu", "{rs}, {rt}, {offset}", ["bgeu {rt}, {rs}, {offset}"]),
    pseudo("j", "{offset}", ["jal zero, {offset}"], alias=True),
    pseudo("jal", "{offset}", ["jal ra, {offset}"], alias=True),
    pseudo("ret", "", ["jalr zero, 0(ra)"], alias=True),
    pseudo("jr", "{rs}", ["jalr zero, 0({rs})"], alias=True),
    pseudo("jr", "{imm}({rs})", ["jalr zero, {imm}({rs})"], alias=True),
    pseudo("jr", "{rs}, {imm}", ["jalr zero, {imm}({rs})"]),
    pseudo("jalr", "{rs}", ["jalr ra, 0({rs})"], alias=True),
    pseudo("jalr", "{imm}({rs})", ["jalr ra, {imm}({rs})"], alias=True),
    pseudo("jalr", "{rd}, {rs}", ["jalr {rd}, 0({rs})"], alias=True),
    pseudo("jalr", "{rd}, {rs}, {imm}", ["jalr {rd}, {imm}({rs})"]),
    pseudo("fence", "", ["fence iorw, iorw"], alias=True),
    *_csr_forms(),
    pseudo("call", "{symbol}", ["auipc ra, %pcrel_hi({symbol})",
                                 "jalr ra, %pcrel_lo({symbol})(ra)"]),
    pseudo("call", "{rd}, {symbol}", ["auipc {rd}, %pcrel_hi({symbol})",
                                       "jalr {rd}, %pcrel_lo({symbol})({rd})"]),
    pseudo("tail", "{symbol}", ["auipc t1, %pcrel_hi({symbol})",
                                 "jalr zero, %pcrel_lo({symbol})(t1)"]),
    pseudo("la", "{rd}, {symbol}", [], expand=_expand_la,
            kinds={"rd": XREG, "symbol": TARGET}),
    pseudo("lla", "{rd}, {symbol}", [], expand=_expand_la,
            kinds={"rd": XREG, "symbol": TARGET}),
    *_load_store_symbol_forms(),
)

PSEUDOS_BY_MNEMONIC: dict[str, tuple[Pseudo, ...]] = {}
for _p in PSEUDOS:
    PSEUDOS_BY_MNEMONIC[_p.mnemonic] = PSEUDOS_BY_MNEMONIC.get(_p.mnemonic, ()) + (_p,)


# --- reverse direction: aliases for the disassembler ------------------------------------

def _bind(step_: Step, values: Mapping[str, int]) -> dict[str, int] | None:
    """Pseudo operand values if the real operand `values` fit `step_`, else None."""
    bound: dict[str, int] = {}
    for name, tpl in step_.operands.items():
        value = values[name]
        if isinstance(tpl, str):
            if bound.setdefault(tpl, value) != value:
                return None
        elif isinstance(tpl, int):
            if tpl != value:
                return None
        else:
            return None
    return bound


def find_alias(mnemonic: str, values: Mapping[str, int],
               isa: Isa = DEFAULT_ISA) -> tuple[Pseudo, dict[str, int]] | None:
    """The alias LLVM would print for one real instruction, with its operand values."""
    for row in isa.pseudos:
        if row.alias and len(row.steps) == 1 and row.steps[0].mnemonic == mnemonic:
            bound = _bind(row.steps[0], values)
            if bound is not None:
                return row, bound
    return None


def alias_text(word: int, pc: int | None = None,
               symbolize: Callable[[int], str | None] | None = None,
               isa: Isa = DEFAULT_ISA) -> str | None:
    """``word`` as its alias (``ret``, ``li a0, 5`` ...), or None if it has none."""
    ins = isa.decode(word)
    if ins is None:
        return None
    found = find_alias(ins.mnemonic, ins.operand_values(word), isa)
    if found is None:
        return None
    row, bound = found
    text = row.syntax
    for spec in row.operands:
        assert spec.field is not None
        text = text.replace("{" + spec.name + "}",
                            format_operand(spec.field, bound[spec.name], pc, symbolize, isa))
    return f"{row.mnemonic} {text}" if text else row.mnemonic


__all__ = ["PSEUDOS", "PSEUDOS_BY_MNEMONIC", "Pseudo", "Step", "OperandSpec", "PcrelHi",
           "PcrelLo", "IMM32", "SYMBOL", "TARGET", "find_alias", "alias_text", "li_sequence",
           "pseudo",
           "hi20", "lo12", "step", "fence_bits"]
