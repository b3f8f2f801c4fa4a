"""The scheduler (sw/compiler/schedule.py) and its machine model: directed cases with
hand-derived orders, the dependences it must keep, and random regions whose original
and scheduled orders must compute the same registers and memory on the interpreter."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from oxcore.config import load_config
from sw.compiler.machine_model import MachineModel, engine_memory
from sw.compiler.mir import Label, MBlock, MFunction, MInstr, PReg, Text
from sw.compiler.schedule import estimate_cycles, schedule
from tests.oxcore.tensor_programs import run_program, tensor_config

TENSOR = load_config("tensor")


def x(name: str) -> PReg:
    names = {"zero": 0, "ra": 1, "sp": 2, "t0": 5, "t1": 6, "t2": 7, "s0": 8, "s1": 9,
             **{f"a{i}": 10 + i for i in range(8)}, **{f"s{i}": 16 + i for i in range(2, 12)},
             "t3": 28, "t4": 29}
    return PReg("x", names[name])


def m(i: int) -> PReg:
    return PReg("m", i)


def parse(line: str) -> MInstr:
    """`mul a0, a1, a2`, `lw a0, 4(t0)`, `tmma m0, m1, m2` as a machine instruction."""
    mnemonic, _, rest = line.partition(" ")
    operands = []
    for text in filter(None, (t.strip() for t in rest.split(","))):
        memory = re.fullmatch(r"(-?\d+)\((\w+)\)", text)
        if memory:
            operands += [x(memory[2]), int(memory[1])] if mnemonic in ("lw", "sw") else []
            continue
        tile = re.fullmatch(r"\((\w+)\)", text)
        if tile:
            operands.append(x(tile[1]))
        elif re.fullmatch(r"m\d", text):
            operands.append(m(int(text[1:])))
        elif re.fullmatch(r"v\d+", text):
            operands.append(PReg("v", int(text[1:])))
        elif re.fullmatch(r"-?\d+", text):
            operands.append(int(text))
        elif text.startswith("."):
            operands.append(Label(text))
        elif text in ("trows", "tcolb"):
            operands.append(Text(text))
        else:
            operands.append(x(text))
    if mnemonic == "sw":  # sw rs2, imm(rs1): operands in the row's order
        operands = [operands[0], operands[2], operands[1]]
    if mnemonic == "lw":
        operands = [operands[0], operands[2], operands[1]]
    return MInstr(mnemonic, operands)


#: Three scalar instructions and a branch: a region after them has no claimed
#: instruction in the pipeline (at a block's start the scheduler assumes one).
SCALAR_LEAD = ["addi t4, t4, 1", "addi t4, t4, 1", "addi t4, t4, 1", "bnez t4, .Lx"]


def scheduled(lines: list[str], config=TENSOR, lead: list[str] = SCALAR_LEAD) -> list[str]:
    fn = MFunction("f", [MBlock(Label(".Lf"), [parse(line) for line in lead + lines])])
    schedule(fn, config)
    return [ins.text() for ins in fn.blocks[0].instrs][len(lead):]


def texts(lines: list[str]) -> list[str]:
    return [parse(line).text() for line in lines]


def test_independent_work_fills_a_multiply_latency() -> None:
    # mul_latency 2: the add reading a0 waits a cycle; the addi fills it
    assert scheduled(["mul a0, a1, a2", "add a3, a0, a0", "addi a4, a5, 1"]) == \
        texts(["mul a0, a1, a2", "addi a4, a5, 1", "add a3, a0, a0"])


def test_a_load_result_waits_a_cycle() -> None:
    assert scheduled(["lw a0, 0(t0)", "add a3, a0, a0", "addi a4, a5, 1"]) == \
        texts(["lw a0, 0(t0)", "addi a4, a5, 1", "add a3, a0, a0"])


def test_at_a_blocks_start_a_multiply_waits_for_an_engine_instruction_before_it() -> None:
    # the way in is unknown: as if a claimed instruction had just issued
    assert scheduled(["mul a0, a1, a2", "addi a4, a5, 1", "addi a6, a5, 2"], lead=[]) == \
        texts(["addi a4, a5, 1", "addi a6, a5, 2", "mul a0, a1, a2"])


def test_a_multiply_moves_three_instructions_away_from_an_engine_instruction() -> None:
    # a mul issues only while no claimed instruction is in EX, MEM or WB
    order = scheduled(["tmma m0, m1, m2", "mul a0, a1, a2", "addi a3, a4, 1",
                       "addi a5, a4, 2", "addi a6, a4, 3"])
    assert order == texts(["tmma m0, m1, m2", "addi a3, a4, 1", "addi a5, a4, 2",
                           "addi a6, a4, 3", "mul a0, a1, a2"])


def test_a_tile_load_and_its_address_go_before_scalar_bookkeeping() -> None:
    # the engine gets its work early; the counter update (read by nothing here) waits
    order = scheduled(["addi s1, s1, 32", "addi s2, s2, -1", "add a0, a1, a2",
                       "tld.b m4, (a0), a3", "tmma m0, m4, m5"])
    assert order[:3] == texts(["add a0, a1, a2", "tld.b m4, (a0), a3", "tmma m0, m4, m5"])


def test_dependences_and_register_reuse_are_kept() -> None:
    # write after read: a0 is read by the add before the li overwrites it
    lines = ["mul a1, a2, a3", "add a4, a0, a1", "li a0, 5", "add a5, a0, a0"]
    order = scheduled(lines)
    assert order.index(texts(["add a4, a0, a1"])[0]) < order.index(texts(["li a0, 5"])[0])
    assert order.index(texts(["li a0, 5"])[0]) < order.index(texts(["add a5, a0, a0"])[0])


def test_an_engine_keeps_its_order() -> None:
    lines = ["tld.b m4, (a0), a3", "tmma m0, m4, m5", "tst.w m1, (a1), a3", "tzero m1"]
    assert scheduled(lines) == texts(lines)


@pytest.mark.parametrize("lines", [
    # a scalar store waits for idle engines: it never moves behind an engine instruction
    ["tmma m0, m1, m2", "sw a0, 0(t0)", "addi a1, a1, 1"],
    ["sw a0, 0(t0)", "tmma m0, m1, m2", "addi a1, a1, 1"],
    # a scalar load stays behind a tile store (it may read what the store writes), though
    # the chain behind it would rather have it first
    ["tst.w m0, (a0), a3", "lw a1, 0(t0)", *["add a1, a1, a1"] * 10],
    # ... and behind any vector instruction (the vector engine's memory order is `busy`)
    ["vadd.vv v8, v8, v16", "lw a1, 0(t0)", *["add a1, a1, a1"] * 10],
])
def test_memory_order_with_the_engines(lines) -> None:
    order = scheduled(lines, load_config("vector") if lines[0][0] == "v" else TENSOR)
    engine = next(i for i, line in enumerate(lines) if line.startswith(("t", "v")))
    memory = next(i for i, line in enumerate(lines) if line.startswith(("sw", "lw")))
    assert (order.index(texts([lines[engine]])[0]) < order.index(texts([lines[memory]])[0])) \
        == (engine < memory)


def test_a_load_may_pass_a_tmma() -> None:
    # tmma writes no memory: a load (its result needed soon) goes first
    order = scheduled(["tmma m0, m1, m2", "lw a0, 0(t0)", "add a1, a0, a0"])
    assert order == texts(["tmma m0, m1, m2", "lw a0, 0(t0)", "add a1, a0, a0"]) or \
        order.index(texts(["lw a0, 0(t0)"])[0]) < order.index(texts(["add a1, a0, a0"])[0])


def test_barriers_stay_where_they_are() -> None:
    lines = ["mul a0, a1, a2", "csrw trows, a4", "add a3, a0, a0", "addi a5, a6, 1",
             "bnez a5, .Lout", "addi a6, a6, 1"]
    order = scheduled(lines, lead=[])
    assert order[1] == texts(["csrw trows, a4"])[0]
    assert order[4] == texts(["bnez a5, .Lout"])[0]
    assert order[0] == texts(["mul a0, a1, a2"])[0]  # nothing else before the barrier


def test_the_model_reads_engine_memory_from_the_isa() -> None:
    assert [engine_memory(mn) for mn in ("tld.b", "tst.w", "tst.b", "tmma", "vle8.v",
                                         "vse32.v", "vadd.vv", "lw")] == \
        ["load", "store", "store", None, "load", "store", None, None]
    model = MachineModel.from_config(TENSOR)
    assert model.occupancy(parse("tmma m0, m1, m2")) == 4 * TENSOR.tensor.tdim
    assert model.result_latency(parse("mul a0, a1, a2")) == TENSOR.mul_latency


# --- random regions: the scheduled order computes what the original does ---------------

REGISTERS = ["a0", "a1", "a2", "a3", "a4", "a5", "s2", "s3"]


def _random_region(rng: random.Random, length: int) -> list[str]:
    lines = []
    for _ in range(length):
        rd, rs1, rs2 = (rng.choice(REGISTERS) for _ in range(3))
        kind = rng.random()
        if kind < 0.35:
            lines.append(f"{rng.choice(['add', 'sub', 'xor', 'and', 'or'])} {rd}, {rs1}, {rs2}")
        elif kind < 0.5:
            lines.append(f"{rng.choice(['mul', 'mulh'])} {rd}, {rs1}, {rs2}")
        elif kind < 0.55:
            lines.append(f"{rng.choice(['div', 'rem'])} {rd}, {rs1}, {rs2}")
        elif kind < 0.65:
            lines.append(f"addi {rd}, {rs1}, {rng.randint(-50, 50)}")
        elif kind < 0.75:
            lines.append(f"lw {rd}, {4 * rng.randrange(4)}(t0)")
        elif kind < 0.85:
            lines.append(f"sw {rs1}, {4 * rng.randrange(4)}(t0)")
        elif kind < 0.9:
            lines.append(f"tld.b m{rng.randrange(4)}, (t1), t2")
        elif kind < 0.95:
            lines.append(f"tmma m{rng.randrange(4)}, m{rng.randrange(4, 6)}, m{rng.randrange(6, 8)}")
        else:
            lines.append(f"tst.w m{rng.randrange(4)}, (t1), t2")
    return lines


def _run(region: list[str], tmp_path, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    init = "\n".join(f"    li {r}, {int(v)}" for r, v in
                     zip(REGISTERS, rng.integers(-1000, 1000, len(REGISTERS))))
    save = "\n".join(f"    sw {r}, {128 + 4 * i}(t0)" for i, r in enumerate(REGISTERS))
    body = f"""    la t0, out
    addi t1, t0, 192
    li t2, 16
{init}
    tzero m0
    tzero m1
    tzero m2
    tzero m3
""" + "\n".join(f"    {line}" for line in region) + f"\n{save}\n"
    data = rng.integers(-128, 128, 256, dtype=np.int8).tobytes()
    return run_program(body, tmp_path, tensor_config(4), out_size=256, out_fill=0,
                       data={"unused": data}).out


def test_random_regions_compute_the_same(tmp_path) -> None:
    config = tensor_config(4)
    model = MachineModel.from_config(config)
    rng = random.Random(1234)
    reordered = 0
    for trial in range(40):
        region = _random_region(rng, rng.randint(4, 14))
        fn = MFunction("f", [MBlock(Label(".Lf"), [parse(line) for line in region])])
        before = estimate_cycles(fn.blocks[0].instrs, model)
        schedule(fn, config)
        after_region = [ins.text() for ins in fn.blocks[0].instrs]
        assert sorted(after_region) == sorted(texts(region))
        assert estimate_cycles(fn.blocks[0].instrs, model) <= before
        if after_region != texts(region):
            reordered += 1
            assert _run(after_region, tmp_path, trial) == _run(texts(region), tmp_path, trial), \
                "\n".join(["original:", *region, "scheduled:", *after_region])
    assert reordered >= 10  # the property is exercised, not vacuous
