"""Instruction decoder generated from the ISA table.

Each `oxcore.isa.INSTRUCTIONS` entry becomes one `m.Case(entry.match_pattern)`; operand
fields (register numbers, immediates, CSR number) are extracted with the entry's own
`Field` pieces, so a new or changed encoding in the table needs no RTL edit. The
per-mnemonic execution details come from `hw.oxcore.control.CONTROL`.
"""

from amaranth import Cat, Const, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.control import CONTROL_LAYOUT, control_constant, immediate_field
from oxcore.isa import INSTRUCTIONS, Field

ILLEGAL_INDEX = len(INSTRUCTIONS)  # `index` output for a word no entry matches


def field_value(word: Value, field: Field) -> Value:
    """The field's value from its pieces: implicit low zeros, signed fields as signed."""
    bits: list[Value] = [Const(0, 1)] * field.width
    for hi, lo, vlo in field.pieces:
        for i in range(hi - lo + 1):
            bits[vlo + i] = word[lo + i]
    value = Cat(*bits)
    return value.as_signed() if field.signed else value


def _shared_field(name: str) -> Field | None:
    """The one placement of operand `name` across the table, if all entries agree."""
    placements = {(f.pieces, f.signed) for ins in INSTRUCTIONS
                  for f in ins.format.fields if f.name == name}
    if len(placements) != 1:
        return None
    pieces, signed = placements.pop()
    return Field(name, pieces, signed=signed)


class Decoder(wiring.Component):
    """Combinational decode of one 32-bit word.

    `index` is the position of the matching entry in INSTRUCTIONS (ILLEGAL_INDEX and
    `illegal` set when none matches; the control word is then all-NONE). `rd`, `rs1`,
    `rs2` are the raw fields; `ctl.reads_rs1/reads_rs2/writes_rd` say whether they
    are operands. `imm` is the entry's numeric immediate (imm, shamt or uimm) extended
    to 32 bits per its signedness; `csr` the CSR number.
    """

    insn: In(32)
    ctl: Out(CONTROL_LAYOUT)
    index: Out(range(ILLEGAL_INDEX + 1))
    illegal: Out(1)
    rd: Out(5)
    rs1: Out(5)
    rs2: Out(5)
    imm: Out(32)
    csr: Out(12)

    def elaborate(self, platform) -> Module:
        m = Module()
        word = self.insn

        # Register numbers and the CSR number sit at one place in every format that
        # has them (checked here, not assumed): extract them without a mux.
        for name, port in (("rd", self.rd), ("rs1", self.rs1), ("rs2", self.rs2),
                           ("csr", self.csr)):
            shared = _shared_field(name)
            if shared is None:
                raise ValueError(f"decoder: field {name} has several placements")
            m.d.comb += port.eq(field_value(word, shared))

        # Immediates differ by format: pick the placement per entry, then extract.
        placements: list[tuple] = []
        chosen: list[int | None] = []
        for ins in INSTRUCTIONS:
            field = immediate_field(ins)
            if field is None:
                chosen.append(None)
                continue
            key = (field.pieces, field.signed)
            if key not in placements:
                placements.append(key)
            chosen.append(placements.index(key))
        imm_sel = Signal(range(len(placements) + 1))

        with m.Switch(word):
            for index, ins in enumerate(INSTRUCTIONS):
                with m.Case(ins.match_pattern):
                    m.d.comb += [
                        self.index.eq(index),
                        self.ctl.eq(CONTROL_LAYOUT.const(control_constant(ins))),
                    ]
                    if chosen[index] is not None:
                        m.d.comb += imm_sel.eq(chosen[index] + 1)
            with m.Default():
                # The control word stays all-zero: Unit.NONE, no flow, no memory.
                m.d.comb += [self.index.eq(ILLEGAL_INDEX), self.illegal.eq(1)]

        with m.Switch(imm_sel):
            for k, (pieces, signed) in enumerate(placements):
                with m.Case(k + 1):
                    m.d.comb += self.imm.eq(field_value(word, Field("imm", pieces,
                                                                    signed=signed)))
        return m
