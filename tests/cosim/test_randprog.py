"""The random program generator: programs terminate cleanly, are reproducible from the
seed, and really are dense in the hazards they are meant to provoke."""

from __future__ import annotations

import io

from oxcore.config import PRESETS
from oxcore.isa import decode
from cosim.iss import Interpreter
from cosim.randprog import BASE, generate

CONFIG = PRESETS["default"]


def test_programs_terminate_without_traps() -> None:
    for seed in range(40):
        prog = generate(seed, CONFIG, length=300)
        stop = Interpreter(CONFIG, prog.program(), io.BytesIO(), io.BytesIO()).run(100_000)
        assert stop.trap is None, (seed, stop.trap.cause, hex(stop.trap.pc))
        assert stop.exit_value is not None


def test_same_seed_same_program() -> None:
    assert generate(7, CONFIG).words == generate(7, CONFIG).words
    assert generate(7, CONFIG).words != generate(8, CONFIG).words


def test_hazard_density() -> None:
    """Count, over the dynamic instruction stream, back-to-back RAW dependencies,
    load-use pairs, mul/div and backward branches."""
    raw = load_use = muldiv = backward = total = 0
    for seed in range(10):
        prog = generate(seed, CONFIG, length=300)
        records: list = []
        Interpreter(CONFIG, prog.program(), io.BytesIO(), io.BytesIO()).run(
            100_000, records.append)
        previous = None
        for record in records:
            ins = decode(record.insn)
            ops = ins.operand_values(record.insn)
            sources = {ops.get("rs1"), ops.get("rs2")} - {None, 0}
            if previous is not None and previous[1] and previous[1] in sources:
                raw += 1
                load_use += previous[0].startswith("l") and previous[0] not in ("lui",)
            muldiv += ins.extension == "RV32M"
            backward += ins.format.name == "B" and ops["imm"] < 0
            previous = (ins.mnemonic, record.rd)
            total += 1
    assert raw / total > 0.25
    assert load_use > 50 and muldiv / total > 0.05 and backward > 20


def test_data_window_is_the_only_memory_touched() -> None:
    prog = generate(3, CONFIG, length=400)
    records: list = []
    Interpreter(CONFIG, prog.program(), io.BytesIO(), io.BytesIO()).run(100_000, records.append)
    accesses = [r.mem_addr for r in records if r.mem_size]
    assert accesses and all(prog.data_base <= a < prog.data_base + 256 for a in accesses)
    assert all(decode(r.insn).operand_values(r.insn).get("rd") != BASE
               for r in records[2:] if r.rd)


def test_groups_derived_from_the_isa_rows() -> None:
    """The generator's groups come from row attributes; RV32IM's, as the spec lists them."""
    from cosim import randprog
    assert randprog.ALU_R == ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or",
                              "and"]
    assert randprog.ALU_I == ["addi", "slti", "sltiu", "xori", "ori", "andi"]
    assert randprog.SHIFT_I == ["slli", "srli", "srai"]
    assert randprog.MULDIV == ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
    assert randprog.LOADS == {"lb": 1, "lh": 2, "lw": 4, "lbu": 1, "lhu": 2}
    assert randprog.STORES == {"sb": 1, "sh": 2, "sw": 4}
    assert randprog.BRANCHES == ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
