"""The two-pass assembler: source text -> placed, encoded :class:`~sw.asm.image.Image`.

Pass 1 reads statements in order. Every statement's size is decided when it is read
(instructions are 4 bytes, pseudo-instructions a known number of them; ``li`` and
``.space`` need values known at that point, as in LLVM), so labels get their section
offsets at once and forward references need no relaxation. Operand expressions are
kept as trees.

Pass 2 places the sections (:mod:`sw.asm.layout`), then evaluates every kept expression
with final addresses and encodes instructions through the ISA table
(:meth:`Instruction.encode`); nothing here knows an opcode or a field layout.
"""

from __future__ import annotations

from oxcore.config import OxCoreConfig
from oxcore.errors import EncodingError, SourceError
from oxcore.isa import Field, Isa, isa_for
from oxcore.isa.kinds import CSR, IMM32, PCREL, TARGET
from oxcore.isa.pseudo import PcrelHi, PcrelLo, hi20, lo12
from sw.asm.directives import DirectivesMixin
from sw.asm.expr import Expr, Modifier, NotYetKnown, Sym, Value, evaluate
from sw.asm.fixups import DataFixup, InsnFixup
from sw.asm.elf_writer import ElfSection, ElfSymbol
from sw.asm.image import Image
from sw.asm.layout import Placement, place_sections
from sw.asm.lexer import IDENT, NUMBER, PUNCT, Location, Statement, Token, split_commas
from sw.asm.macros import Expander
from sw.asm.operands import Match, OperandMatcher
from sw.asm.sections import (BSS, DATA, DISCARD, INSTRUCTION_ALIGN, OUTPUT_SECTIONS, TEXT,
                             Section)
from sw.asm.symbols import SymbolDef, SymbolTable, undefined_message


def _data_range(size: int) -> tuple[int, int]:
    """What LLVM accepts for a `size`-byte value: signed or unsigned."""
    return -(1 << (8 * size - 1)), (1 << (8 * size)) - 1


class Pass1Context:
    """Evaluation while reading: labels are section offsets, later ones unknown."""

    def __init__(self, asm: "Assembler", loc: Location, dot: Value):
        self.asm, self.loc, self._dot = asm, loc, dot

    def symbol(self, sym: Sym) -> Value:
        return self.asm.symbol_value(sym, self.loc, final=False)

    def dot(self) -> Value:
        return self._dot

    def pc(self) -> int:
        raise NotYetKnown(Sym(".", ".", 0), "pc-relative values are only known once "
                          "sections are placed")

    def final(self) -> bool:
        return False

    def pcrel_lo(self, anchor: Value, node: Modifier) -> int:
        raise NotYetKnown(Sym(".", ".", node.col), "pc-relative values are only known "
                          "once sections are placed")


class Pass2Context(Pass1Context):
    """Evaluation with final addresses."""

    def __init__(self, asm: "Assembler", loc: Location, dot: Value, pc: int):
        super().__init__(asm, loc, dot)
        self._pc = pc

    def symbol(self, sym: Sym) -> Value:
        return self.asm.symbol_value(sym, self.loc, final=True)

    def pc(self) -> int:
        return self._pc

    def final(self) -> bool:
        return True

    def pcrel_lo(self, anchor: Value, node: Modifier) -> int:
        return self.asm.pcrel_lo(anchor, node, self.loc)


class Assembler(DirectivesMixin):
    """Assembles one source file for one core configuration (and its ISA, by default
    the one the configuration selects)."""

    def __init__(self, path: str, config: OxCoreConfig, isa: Isa | None = None):
        self.path, self.config = path, config
        self.isa = isa if isa is not None else isa_for(config)
        # Input sections in order of first use; LLVM always creates .text first.
        self.sections: dict[str, Section] = {TEXT: Section(TEXT, TEXT, 0, align=4)}
        self.current = TEXT
        self.section_stack: list[tuple[str, str]] = []
        self.previous = TEXT
        self.symbols = SymbolTable()
        self.insn_fixups: list[InsnFixup] = []
        self.data_fixups: list[DataFixup] = []
        self.bases: dict[str, int] = {}  # input section -> address
        self.outputs: dict[str, Placement] = {}
        self._evaluating: set[str] = set()
        self._pcrel_hi: dict[int, InsnFixup] = {}
        self.finished = False

    # --- driver -------------------------------------------------------------------------

    def assemble(self, source: str) -> Image:
        expander = Expander(
            count=lambda group, st: self._const(group, st, "'.rept' count", group[0].col),
            read=lambda path: path.read_bytes().decode("latin-1"))
        for st in expander.source(source, self.path):
            self.statement(st)
            if self.finished:
                break
        self.bases, self.outputs = place_sections(
            (s for s in self.sections.values() if s.output != DISCARD),
            self.config.mem_base)
        self._check_fits()
        self._index_pcrel_hi()
        for fixup in self.insn_fixups:
            self._encode(fixup)
        for data in self.data_fixups:
            self._resolve_data(data)
        return self._image()

    @property
    def section(self) -> Section:
        return self.sections[self.current]

    def input_section(self, name: str, output: str, rank: int) -> str:
        """The input section called `name`, created on first use."""
        if name not in self.sections:
            self.sections[name] = Section(name, output, rank)
        return name

    def dot(self) -> Value:
        return Value(self.section.size, self.current)

    def evaluate_now(self, expr: Expr, loc: Location) -> Value:
        """Evaluate during pass 1; NotYetKnown if it needs a later symbol."""
        return evaluate(expr, Pass1Context(self, loc, self.dot()))

    def local_ref(self, loc: Location):
        return lambda tok: self.symbols.local_ref(tok, loc)

    # --- pass 1: statements ---------------------------------------------------------------

    def statement(self, st: Statement) -> None:
        toks = st.tokens
        i = 0
        while (i + 1 < len(toks) and toks[i + 1].kind == PUNCT and toks[i + 1].text == ":"
               and toks[i].kind in (IDENT, NUMBER)):
            self.define_label(toks[i], st.loc)
            i += 2
        if i == len(toks):
            return
        head = toks[i]
        rest = toks[i + 1:]
        if head.kind == IDENT and rest and rest[0].kind == PUNCT and rest[0].text == "=":
            self.assign(head, rest[1:], st, redefinable=True)
        elif head.kind != IDENT:
            raise st.loc.error(f"expected an instruction, directive or label, found "
                               f"'{head.text}'", head.col)
        elif head.text.startswith("."):
            self.directive(head, rest, st)
        else:
            self.instruction(head, rest, st)

    def define_label(self, tok: Token, loc: Location) -> None:
        if tok.kind == NUMBER:
            if not tok.text.isdigit():
                raise loc.error(f"bad local label '{tok.text}' (use a decimal number)",
                                tok.col)
            name = self.symbols.define_local(tok.text)
        else:
            name = tok.text
        sym = self.symbols.define(name, loc, tok.col, kind="label")
        sym.section, sym.value = self.current, self.section.size

    def emit(self, payload: bytes, loc: Location, col: int) -> int:
        """Append bytes to the current section, enforcing .bss and RAM limits."""
        sec = self.section
        if sec.nobits and any(payload):
            raise loc.error("non-zero data in .bss (only .space/.zero/.align belong "
                            "there)", col)
        if sec.size + len(payload) > self.config.mem_size:
            raise loc.error(self._too_big_message(sec.name, sec.size + len(payload)), col)
        return sec.append(payload, loc, col)

    # --- pass 1: instructions ---------------------------------------------------------

    def instruction(self, head: Token, rest: tuple[Token, ...], st: Statement) -> None:
        matcher = OperandMatcher(st.loc, st.end_col, self.local_ref(st.loc), self.isa)
        match = matcher.match(head, split_commas(rest))
        sec = self.section
        if sec.output == BSS:
            raise st.loc.error("instructions cannot go in .bss", head.col)
        if sec.size % INSTRUCTION_ALIGN:
            raise st.loc.error(f"instruction at offset {sec.size:#x} of {sec.name} is not "
                               "4-byte aligned (add .p2align 2)", head.col)
        sec.align = max(sec.align, INSTRUCTION_ALIGN)
        values = dict(match.values)
        if match.form.instruction is not None:
            steps = match.form.identity_steps()
        else:
            constants = self._pseudo_constants(match, st.loc)
            steps = match.form.pseudo.expansion(constants)
            values.update(constants)
        offset = self.emit(bytes(4 * len(steps)), st.loc, head.col)
        if sec.output != DISCARD:
            self.insn_fixups.append(InsnFixup(self.current, offset, steps, values,
                                              match.cols, st.loc, head.col, head.text))

    def _pseudo_constants(self, match: Match, loc: Location) -> dict[str, int]:
        """Operands that decide the expansion (li value, la of a constant address)."""
        constants = {}
        for name, spec in match.form.specs.items():
            if spec.kind not in (IMM32, TARGET):
                continue
            col = match.cols[name]
            try:
                value = evaluate(match.values[name], Pass1Context(self, loc, self.dot()))
            except NotYetKnown as exc:
                if spec.kind == IMM32:
                    raise loc.error(f"'{match.form.mnemonic}' needs a value known here: "
                                    f"{exc.reason}", exc.sym.col or col) from None
                continue
            if not value.absolute:
                if spec.kind == IMM32:
                    raise loc.error(f"'{match.form.mnemonic}' needs a constant, not an "
                                    "address (use la for addresses)", col)
                continue
            if not -(1 << 31) <= value.value < (1 << 32):
                raise loc.error(f"immediate {value.value} out of range: must be an integer "
                                "in [-2147483648, 4294967295]", col)
            constants[name] = value.value
        return constants

    # --- symbols -----------------------------------------------------------------------

    def symbol_value(self, sym: Sym, loc: Location, final: bool) -> Value:
        entry = self.symbols.get(sym.name)
        if entry is None or not entry.defined:
            if not final:
                raise NotYetKnown(sym)
            raise loc.error(undefined_message(sym), sym.col)
        if final and entry.section is not None and entry.section not in self.bases:
            raise loc.error(f"symbol '{sym.text}' is in a section that is not loaded",
                            sym.col)
        if entry.expr is not None:
            return self._deferred_value(entry, final)
        if entry.section is None:
            return Value(entry.value)
        base = self.bases[entry.section] if final else 0
        return Value(base + entry.value, entry.section)

    def _deferred_value(self, entry: SymbolDef, final: bool) -> Value:
        """An .equ that referred forward when defined, evaluated on demand."""
        if entry.name in self._evaluating:
            raise entry.loc.error(f"symbol '{entry.name}' is defined in terms of itself",
                                  entry.col)
        if len(self._evaluating) > 100:
            raise entry.loc.error(f"symbol '{entry.name}': too many forward .equ/.set "
                                  "definitions in a chain (define them in order)", entry.col)
        section, offset = entry.dot
        self._evaluating.add(entry.name)
        try:
            if final:
                base = self.bases.get(section, 0)
                ctx = Pass2Context(self, entry.loc, Value(base + offset, section),
                                   base + offset)
            else:
                ctx = Pass1Context(self, entry.loc, Value(offset, section))
            return evaluate(entry.expr, ctx)
        finally:
            self._evaluating.discard(entry.name)

    # --- pass 2 --------------------------------------------------------------------------

    def _address(self, section: str, offset: int) -> int:
        return self.bases[section] + offset

    def _too_big_message(self, section: str, end_offset_or_addr: int,
                         absolute: bool = False) -> str:
        cfg = self.config
        where = (f"{section} ends at {end_offset_or_addr:#010x}" if absolute
                 else f"{section} reaches {end_offset_or_addr} bytes")
        return (f"program does not fit in RAM: {where}, but RAM is "
                f"{cfg.mem_base:#010x}..{cfg.mem_end:#010x} ({cfg.mem_size} bytes, "
                f"config '{cfg.name}')")

    def _check_fits(self) -> None:
        """Blame the first statement whose bytes end beyond RAM."""
        for name in OUTPUT_SECTIONS:
            place = self.outputs[name]
            end = place.addr + place.size
            if not place.size or end <= self.config.mem_end:
                continue
            members = sorted((s for s in self.sections.values() if s.output == name),
                             key=lambda s: self.bases[s.name])
            spans = [(self.bases[s.name] + span.offset + span.size, span)
                     for s in members for span in s.spans]
            # the first statement past the end; else (a gap did it) the last one
            culprit = next((span for span_end, span in spans
                            if span_end > self.config.mem_end), spans[-1][1])
            raise culprit.loc.error(self._too_big_message(name, end, True), culprit.col)

    def _index_pcrel_hi(self) -> None:
        """Map auipc addresses to their ``%pcrel_hi`` operand, for ``%pcrel_lo(label)``."""
        for fx in self.insn_fixups:
            imm = fx.values.get("imm")
            if (len(fx.steps) == 1 and fx.steps[0].mnemonic == "auipc"
                    and isinstance(imm, Modifier) and imm.name == "pcrel_hi"):
                self._pcrel_hi[self._address(fx.section, fx.offset)] = fx

    def pcrel_lo(self, anchor: Value, node: Modifier, loc: Location) -> int:
        fx = self._pcrel_hi.get(anchor.value)
        if fx is None:
            raise loc.error("%pcrel_lo: its label must be on an auipc with %pcrel_hi "
                            "(could not find the matching %pcrel_hi)", node.col)
        pc = self._address(fx.section, fx.offset)
        ctx = Pass2Context(self, fx.loc, Value(pc, fx.section), pc)
        target = evaluate(fx.values["imm"].operand, ctx)
        return lo12(target.value - pc)

    def _encode(self, fx: InsnFixup) -> None:
        base = self._address(fx.section, fx.offset)
        words = bytearray()
        for i, step in enumerate(fx.steps):
            pc = base + 4 * i
            ctx = Pass2Context(self, fx.loc, Value(base, fx.section), pc)
            ins = self.isa.by_mnemonic[step.mnemonic]
            operands = {fld.name: self._operand(step.operands[fld.name], fld, fx, ctx, base)
                        for fld in ins.operands if _written(step.operands[fld.name], fx)}
            try:
                word = ins.encode(**operands)
            except EncodingError as exc:  # a range the checks above did not foresee
                raise fx.loc.error(str(exc), fx.col) from None
            words += word.to_bytes(4, "little")
        self.sections[fx.section].patch(fx.offset, bytes(words))

    def _operand(self, tpl, fld: Field, fx: InsnFixup, ctx: Pass2Context, base: int) -> int:
        if isinstance(tpl, int):
            return tpl
        if isinstance(tpl, (PcrelHi, PcrelLo)):
            target = self._evaluate_operand(fx, tpl.operand, fld, ctx)
            offset = target.value - base
            return hi20(offset) if isinstance(tpl, PcrelHi) else lo12(offset)
        value = fx.values[tpl]
        if isinstance(value, int):
            return value
        col = fx.cols.get(tpl, fx.col)
        result = self._evaluate_operand(fx, tpl, fld, ctx)
        if fld.kind == PCREL:
            number = result.value if result.absolute else result.value - ctx.pc()
        elif not result.absolute:
            raise fx.loc.error(f"operand {tpl} of '{fx.mnemonic}' is an address; "
                               "use %hi/%lo or %pcrel_hi/%pcrel_lo, or la", col)
        else:
            number = result.value
        self._check_range(fld, number, fx, col)
        return number

    def _evaluate_operand(self, fx: InsnFixup, name: str, fld: Field,
                          ctx: Pass2Context) -> Value:
        expr = fx.values[name]
        if fld.kind == CSR and isinstance(expr, Sym):
            entry = self.symbols.get(expr.name)
            if entry is None or not entry.defined:
                raise fx.loc.error(f"unknown CSR '{expr.text}' (use a CSR number or a name "
                                   "from oxcore.isa.CSRS)", expr.col)
        return evaluate(expr, ctx)

    def _check_range(self, fld: Field, number: int, fx: InsnFixup, col: int) -> None:
        message = fld.kind.range_error(fld, number, fx.mnemonic)
        if message is not None:
            raise fx.loc.error(message, col)

    def _resolve_data(self, fx: DataFixup) -> None:
        addr = self._address(fx.section, fx.offset)
        value = evaluate(fx.expr, Pass2Context(self, fx.loc, Value(addr, fx.section), addr))
        low, high = _data_range(fx.size)
        col = _first_col(fx.expr)
        if not low <= value.value <= high:
            raise fx.loc.error(f"value {value.value} out of range for {fx.directive}: must "
                               f"be in [{low}, {high}]", col)
        if self.sections[fx.section].nobits and value.value:
            raise fx.loc.error("non-zero data in .bss", col)
        mask = (1 << (8 * fx.size)) - 1
        self.sections[fx.section].patch(fx.offset,
                                        (value.value & mask).to_bytes(fx.size, "little"))

    # --- result --------------------------------------------------------------------------

    def _image(self) -> Image:
        symbols = self._output_symbols()
        used = {s.section for s in symbols}
        sections = []
        for name in OUTPUT_SECTIONS:
            place = self.outputs[name]
            if place.size or name in used:
                sections.append(ElfSection(
                    name, place.addr, self._output_bytes(place), place.size,
                    max(place.align, 4 if name == TEXT else 1), name == BSS,
                    name in (DATA, BSS), name == TEXT))
        return Image(tuple(sections), tuple(symbols), self._entry())

    def _output_bytes(self, place: Placement) -> bytes:
        """An output section's contents: its input sections, gaps zero-filled."""
        if place.name == BSS:
            return b""
        out = bytearray(place.size)
        for sec in self.sections.values():
            if sec.output == place.name and sec.size:
                start = self.bases[sec.name] - place.addr
                out[start:start + sec.size] = sec.data
        return bytes(out)

    def _entry(self) -> int:
        start = self.symbols.get("_start")
        if start is not None and start.defined and start.section in self.bases:
            return self.symbol_value(Sym("_start", "_start", 0), start.loc, True).value
        return self.outputs[TEXT].addr

    def _output_symbols(self) -> list[ElfSymbol]:
        result = []
        for entry in self.symbols.defs.values():
            if not entry.defined:
                if entry.binding != "local" and entry.declared:
                    loc, col = entry.declared
                    raise loc.error(f"symbol '{entry.name}' is declared "
                                    f"{entry.binding} but never defined", col)
                continue
            if entry.temporary or (entry.section is not None
                                   and entry.section not in self.bases):
                continue
            value = self.symbol_value(Sym(entry.name, entry.name, entry.col), entry.loc,
                                      True)
            output = self.sections[value.section].output if value.section else None
            result.append(ElfSymbol(entry.name, value.value, self._symbol_size(entry),
                                    entry.binding, entry.type, output))
        return result

    def _symbol_size(self, entry: SymbolDef) -> int:
        if entry.size is None:
            return 0
        expr, section, offset, loc = entry.size
        addr = self._address(section, offset) if section in self.bases else offset
        value = evaluate(expr, Pass2Context(self, loc, Value(addr, section), addr))
        if not value.absolute or not 0 <= value.value < (1 << 32):
            raise loc.error(f".size of '{entry.name}' must be a non-negative constant",
                            _first_col(expr))
        return value.value


def _written(template, fx: InsnFixup) -> bool:
    """False for an optional operand the source left out (the encoder's default)."""
    return not isinstance(template, str) or template in fx.values


def _first_col(expr: Expr) -> int:
    for attr in ("left", "operand"):
        inner = getattr(expr, attr, None)
        if inner is not None and _first_col(inner) < expr.col:
            return _first_col(inner)
    return expr.col


def assemble_source(source: str, path: str, config: OxCoreConfig,
                    isa: Isa | None = None) -> Image:
    """Assemble `source` (the text of file `path`); raises SourceError."""
    return Assembler(path, config, isa).assemble(source)


__all__ = ["Assembler", "assemble_source", "SourceError"]
