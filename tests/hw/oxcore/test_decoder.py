"""Decoder: every ISA table entry decodes to itself with its operands; the control
table covers the ISA exactly and agrees with what the semantics say."""

import random

import pytest

from oxcore.isa.semantics import traits
from hw.oxcore.control import (CONTROL, CsrOp, Env, Flow, MemOp, Unit, control_constant,
                               immediate_field, table_mismatch)
from hw.oxcore.decoder import ILLEGAL_INDEX, Decoder
from oxcore.isa import DEFAULT_ISA, FULL_ISA, INSTRUCTIONS, XREG, decode
from tests.hw.oxcore.rtl_helpers import simulate


def test_control_table_covers_the_isa_exactly():
    assert table_mismatch() == ([], [])
    assert len(CONTROL) == len(INSTRUCTIONS)


def test_control_table_agrees_with_semantics():
    for ins in INSTRUCTIONS:
        ctl = CONTROL[ins.mnemonic]
        const = control_constant(ins)
        t = traits(ins)
        assert bool(const["writes_rd"]) == t.writes_rd, ins.mnemonic
        assert bool(const["reads_rs1"]) == ("x[rs1]" in ins.semantics), ins.mnemonic
        assert bool(const["reads_rs2"]) == ("x[rs2]" in ins.semantics), ins.mnemonic
        assert (ctl.flow != Flow.NONE) == t.jumps, ins.mnemonic
        assert {MemOp.LOAD: "load", MemOp.STORE: "store", MemOp.NONE: None}[ctl.mem] \
            == t.memory, ins.mnemonic
        assert (ctl.csr != CsrOp.NONE) == ("csr_read" in ins.semantics
                                           or "csr_write" in ins.semantics), ins.mnemonic
        assert (ctl.env == Env.ECALL) == ("ecall()" in ins.semantics), ins.mnemonic
        assert (ctl.env == Env.EBREAK) == ("ebreak()" in ins.semantics), ins.mnemonic
        if ctl.mem != MemOp.NONE:  # the access size is the one the semantics use
            assert f", {1 << ctl.size_log2}" in ins.semantics, ins.mnemonic
        if t.writes_rd:
            assert ctl.unit != Unit.NONE, ins.mnemonic


def _random_word(ins, rnd: random.Random) -> int:
    word = ins.match
    for field in ins.operands:
        value = rnd.randint(field.min_value, field.max_value)
        value -= value % field.align
        word |= field.insert(value)
    return word


@pytest.mark.parametrize("isa, per_entry", [(DEFAULT_ISA, 12), (FULL_ISA, 3)],
                         ids=["default", "full"])
def test_every_entry_decodes_to_itself(isa, per_entry):
    """Against the table's own matching (`Isa.decode`); the full ISA (vector and
    tensor rows too) is the one whose decoder nests its switch many levels deep."""
    rnd = random.Random(3)
    words = [(i, _random_word(ins, rnd)) for i, ins in enumerate(isa.instructions)
             for _ in range(per_entry)]
    illegal = []
    while len(illegal) < 200:
        word = rnd.getrandbits(32)
        if isa.decode(word) is None:
            illegal.append(word)
    dut = Decoder(isa)

    async def bench(ctx):
        for index, word in words:
            ins = isa.instructions[index]
            assert isa.decode(word) is ins  # (the word is the row's, not an earlier one's)
            ctx.set(dut.insn, word)
            assert ctx.get(dut.index) == index, (ins.mnemonic, hex(word))
            assert not ctx.get(dut.illegal)
            values = ins.operand_values(word)
            for name in ("rd", "rs1", "rs2", "csr"):
                if name in values:
                    assert ctx.get(getattr(dut, name)) == values[name], (ins.mnemonic, name)
            field = immediate_field(ins) if ins.engine == "scalar" else None
            if field is not None:
                assert ctx.get(dut.imm) == values[field.name] & 0xFFFF_FFFF, ins.mnemonic
            ctl = control_constant(ins) if ins.engine == "scalar" else {"unit": Unit.NONE,
                                                                         "writes_rd": 0}
            assert ctx.get(dut.ctl.unit) == ctl["unit"]
            assert ctx.get(dut.ctl.writes_rd) == ctl["writes_rd"]
        for word in illegal:
            ctx.set(dut.insn, word)
            assert ctx.get(dut.illegal), hex(word)
            assert ctx.get(dut.index) == len(isa.instructions)
            assert ctx.get(dut.ctl.unit) == Unit.NONE
            assert ctx.get(dut.ctl.writes_rd) == 0

    simulate(dut, bench, clock=False)


def test_register_operands_are_xreg_fields():
    for ins in INSTRUCTIONS:
        for field in ins.operands:
            if field.name in ("rd", "rs1", "rs2"):
                assert field.kind == XREG
