"""Instruction decoder generated from the ISA table.

Each instruction of the `Isa` (default: the one `oxcore.isa` selects by default)
becomes one `m.Case(entry.match_pattern)` (nested on the bits the patterns fix:
`hw.oxcore.pattern_switch`); operand fields (register numbers, every
immediate, CSR number, an extension's own operands) are extracted with the entry's own
`Field` pieces, so a new or changed encoding in the table needs no RTL edit. The
per-mnemonic execution details of scalar instructions come from
`hw.oxcore.control.CONTROL`; other engines' instructions are flagged by `engine` for
the engine that executes them.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Signal, Value
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.control import CONTROL_LAYOUT, control_constant
from hw.oxcore.pattern_switch import switch_patterns
from oxcore.isa import DEFAULT_ISA, INSTRUCTIONS, Field, Isa
from oxcore.isa.instruction import ENGINES

ILLEGAL_INDEX = len(INSTRUCTIONS)  # `index` output for a word no entry matches (default ISA)


def field_value(word: Value, field: Field) -> Value:
    """The field's value from its pieces: implicit low zeros, signed fields as signed."""
    bits: list[Value] = [Const(0, 1)] * field.width
    for hi, lo, vlo in field.pieces:
        for i in range(hi - lo + 1):
            bits[vlo + i] = word[lo + i]
    value = Cat(*bits)
    return value.as_signed() if field.signed else value


def _shared_field(isa: Isa, name: str) -> Field:
    """The one placement of operand `name` across the table (checked, not assumed)."""
    placements = {(f.pieces, f.signed) for ins in isa.instructions
                  for f in ins.format.fields if f.name == name}
    if len(placements) != 1:
        raise ValueError(f"decoder: field {name} has several placements")
    pieces, signed = placements.pop()
    return Field(name, pieces, signed=signed)


def operand_fields(isa: Isa) -> dict[str, Field]:
    """Every non-immediate operand (registers of all files, CSR, ...) by name, at its one
    placement: extracted without a mux."""
    names = dict.fromkeys(f.name for ins in isa.instructions for f in ins.operands
                          if not f.kind.immediate)
    return {name: _shared_field(isa, name) for name in names}


def immediate_count(isa: Isa) -> int:
    """How many immediates the instruction with the most has (at least one port)."""
    return max([1] + [len(ins.immediates) for ins in isa.instructions])


class Decoder(wiring.Component):
    """Combinational decode of one 32-bit word.

    `index` is the position of the matching entry in `isa.instructions` (`illegal_index`
    and `illegal` set when none matches; the control word is then all-NONE). `engine`
    is the position in `ENGINES` of the engine that executes it; scalar instructions
    get their control word, the others an all-NONE one. `rd`, `rs1`, `rs2` are the raw
    fields; `ctl.reads_rs1/reads_rs2/writes_rd` say whether they are operands. `imms`
    are the entry's immediates in syntax order, each extended to 32 bits per its
    signedness; `imm` is the first (the scalar pipeline's). `operands` holds every
    other operand field of the ISA by name (`csr` is the CSR number).
    """

    def __init__(self, isa: Isa = DEFAULT_ISA) -> None:
        self.isa = isa
        self.illegal_index = len(isa.instructions)
        self._operand_fields = operand_fields(isa)
        super().__init__({
            "insn": In(32),
            "ctl": Out(CONTROL_LAYOUT),
            "index": Out(range(self.illegal_index + 1)),
            "illegal": Out(1),
            "engine": Out(range(len(ENGINES))),
            "rd": Out(5), "rs1": Out(5), "rs2": Out(5),
            "imm": Out(32),
            "imms": Out(data.ArrayLayout(32, immediate_count(isa))),
            "csr": Out(12),
            "operands": Out(data.StructLayout(
                {name: f.width for name, f in self._operand_fields.items()})),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        word = self.insn
        for name, field in self._operand_fields.items():
            m.d.comb += self.operands[name].eq(field_value(word, field))
        for port in ("rd", "rs1", "rs2", "csr"):  # the scalar pipeline's operands
            if port in self._operand_fields:
                m.d.comb += getattr(self, port).eq(self.operands[port])

        # Immediates differ by format: per position, pick the entry's placement.
        selects = [self._immediate(m, word, k) for k in range(len(self.imms))]
        def row(index: int) -> None:
            ins = self.isa.instructions[index]
            m.d.comb += [self.index.eq(index), self.engine.eq(ENGINES.index(ins.engine))]
            if ins.engine == "scalar":
                m.d.comb += self.ctl.eq(CONTROL_LAYOUT.const(control_constant(ins)))
            for (sel, placements), field in zip(selects, ins.immediates):
                m.d.comb += sel.eq(placements.index(_placement(field)) + 1)

        def illegal() -> None:
            # The control word stays all-zero: Unit.NONE, no flow, no memory.
            m.d.comb += [self.index.eq(self.illegal_index), self.illegal.eq(1)]

        switch_patterns(m, word, [(ins.match_pattern, index)
                                  for index, ins in enumerate(self.isa.instructions)],
                        row, illegal)
        m.d.comb += self.imm.eq(self.imms[0])
        return m

    def _immediate(self, m: Module, word: Value, position: int) -> tuple[Signal, list]:
        """The mux for immediate number `position`: (select signal, placements)."""
        placements = list(dict.fromkeys(
            _placement(ins.immediates[position]) for ins in self.isa.instructions
            if len(ins.immediates) > position))
        sel = Signal(range(len(placements) + 1), name=f"imm{position}_sel")
        with m.Switch(sel):
            for k, (pieces, signed) in enumerate(placements):
                with m.Case(k + 1):
                    m.d.comb += self.imms[position].eq(
                        field_value(word, Field("imm", pieces, signed=signed)))
        return sel, placements


def _placement(field: Field) -> tuple:
    return field.pieces, field.signed
