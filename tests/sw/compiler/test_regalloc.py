"""Register allocation and assembly emission: liveness and intervals on small CFGs, then
hand-built machine functions allocated (also with too few registers, to force spills),
emitted, assembled with a small `_start` of the test's own and run on the golden
interpreter; results are checked against values computed in Python (numpy for tiles)."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest

from cosim.iss import Interpreter
from oxcore.abi import SYS_EXIT, SYS_WRITE
from oxcore.config import PRESETS, OxCoreConfig
from oxcore.errors import OxCoreError
from oxcore.program import load_program
from sw.asm.assembler import assemble_source
from sw.asm.driver import render
from sw.compiler.emit import assembly
from sw.compiler.mir import PSEUDOS, MBlock, MFunction, MInstr, PReg, Text, VReg
from sw.compiler import regalloc
from sw.compiler.regalloc import (CALLEE_SAVED, AllocationStats, Interval, _linear_scan,
                                  allocate, live_intervals, liveness, merge_ranges,
                                  ranges_overlap, successors)

A0 = PReg("x", 10)
MASK = 0xFFFF_FFFF
S_REGS = [8, 9, *range(18, 28)]  # s0..s11


def wrap(value: int) -> int:
    """A Python int as the int32 the core computes."""
    value &= MASK
    return value - (1 << 32) if value & 0x8000_0000 else value


class Builder:
    """Appends instructions to the current block of a function being built by hand."""

    def __init__(self, name: str = "kernel") -> None:
        self.fn = MFunction(name)
        self.block = self.new_block("entry")

    def new_block(self, hint: str) -> MBlock:
        block = self.fn.new_block(hint)
        self.fn.blocks.append(block)
        self.block = block
        return block

    def __call__(self, mnemonic: str, *operands, accumulate: bool = False) -> None:
        self.block.instrs.append(MInstr(mnemonic, list(operands), accumulate))

    def x(self, mnemonic: str, *operands) -> VReg:
        """A new x value written by `mnemonic` (its first operand)."""
        r = self.fn.new_vreg("x")
        self(mnemonic, r, *operands)
        return r


# --- running ---------------------------------------------------------------------------

def run(fn: MFunction, config: OxCoreConfig, tmp_path: Path, record: list[int],
        out_words: int, data: bytes = b"", check_callee_saved: bool = False,
        rtl: bool = False) -> list[int]:
    """Call `fn` (allocated) with a0 = the address of `record`, whose word 0 the test
    sets to the address of the `out` buffer (and word 1 to `data`'s); return `out` as
    int32s. With `check_callee_saved`, s0..s11 and sp after the call follow in `out`.
    With `rtl`, the program also runs on the RTL in lockstep with the interpreter
    (every retired record compared, the spills' and reloads' whole registers too), and
    must print the same."""
    extra = 13 if check_callee_saved else 0
    size = 4 * (out_words + extra)
    words = ["out", "data", *(str(w) for w in record)]
    setup = [f"    li {f's{i}'}, {0x5A000000 + i}" for i in range(12)] if check_callee_saved else []
    check = []
    if check_callee_saved:
        check = [f"    li t1, {4 * out_words}", "    add t0, t0, t1"]
        check += [f"    sw s{i}, {4 * i}(t0)" for i in range(12)]
        check.append("    sw sp, 48(t0)")
    data_bytes = data or b"\0"
    source = "\n".join([
        "    .data",
        "    .p2align 6",
        f"data: .byte {', '.join(str(b) for b in data_bytes)}",
        "    .p2align 6",
        f"rec: .word {', '.join(words)}",
        "    .p2align 6",
        f"out: .zero {size}",
        "    .text",
        "    .globl _start",
        "_start:",
        f"    li sp, {config.mem_base + config.mem_size}",
        *setup,
        "    la a0, rec",
        f"    call {fn.name}",
        "    la t0, out",
        *check,
        "    la a1, out",
        "    li a0, 1",
        f"    li a2, {size}",
        f"    li a7, {SYS_WRITE}",
        "    ecall",
        "    li a0, 0",
        f"    li a7, {SYS_EXIT}",
        "    ecall",
        "",
    ]) + assembly(fn)
    elf = tmp_path / f"{fn.name}.elf"
    elf.write_bytes(render(assemble_source(source, f"{fn.name}.S", config), "elf", config))
    out = io.BytesIO()
    stop = Interpreter(config, load_program(elf, config), stdout=out,
                       stderr=io.BytesIO()).run(200_000)
    assert stop.trap is None and stop.exit_code == 0, (stop, source)
    if rtl:
        from cosim.cosim_cmd import cosim_program
        rtl_out = io.BytesIO()
        result = cosim_program(config, load_program(elf, config), stdout=rtl_out,
                               stderr=io.BytesIO(), backend="pysim")
        assert result.verdict == "pass" and result.rtl.instret > 10, result.ending()
        assert rtl_out.getvalue() == out.getvalue()
    values = list(struct.unpack(f"<{size // 4}i", out.getvalue()))
    if check_callee_saved:
        assert values[out_words:out_words + 12] == [0x5A000000 + i for i in range(12)]
        assert values[out_words + 12] == wrap(config.mem_base + config.mem_size)
        values = values[:out_words]
    return values


def only_physical(fn: MFunction) -> bool:
    return all(not isinstance(op, VReg) for ins in fn.instructions() for op in ins.operands)


# --- liveness and intervals ------------------------------------------------------------

def loop_function() -> tuple[MFunction, dict[str, VReg]]:
    """entry: p = a0; n = lw; k = li 7; i = 0
       loop: i += 1; t = i * p (dead after); blt i, n, loop
       exit: sw k ... ; ret"""
    b = Builder("lp")
    p = b.x("mv", A0)
    n = b.x("lw", 0, p)
    k = b.x("li", 7)
    i = b.x("li", 0)
    loop = b.new_block("loop")
    b("addi", i, i, 1)
    t = b.x("mul", i, p)
    b("sw", t, 4, p)
    b("blt", i, n, loop.label)
    b.new_block("exit")
    b("sw", k, 8, p)
    b("ret")
    return b.fn, {"p": p, "n": n, "k": k, "i": i, "t": t}


def test_successors_fall_through_and_branch_targets() -> None:
    fn, _ = loop_function()
    assert successors(fn) == [[1], [1, 2], []]


def test_liveness_across_a_back_edge() -> None:
    fn, v = loop_function()
    live = liveness(fn)
    assert live.live_in[0] == {A0}
    assert live.live_in[1] == {v["p"], v["n"], v["k"], v["i"]}
    assert live.live_out[1] == live.live_in[1]  # the back edge keeps them all live
    assert live.live_in[2] == {v["p"], v["k"]}
    assert live.live_out[2] == set()


def test_intervals_cover_the_whole_loop() -> None:
    fn, v = loop_function()
    ivs = live_intervals(fn)
    # instructions: entry 0..3, loop 4..7, exit 8..9; reads at 2k, writes at 2k+1
    (loop_first, loop_last), (exit_first, _) = ivs.block_points[1], ivs.block_points[2]
    assert (loop_first, loop_last) == (8, 15)
    k = ivs.virtual[v["k"]]  # defined before the loop, used only after it
    assert (k.start, k.end) == (5, 16)
    n = ivs.virtual[v["n"]]  # used in the loop's last instruction: live around the back edge
    assert (n.start, n.end) == (3, 15)
    i = ivs.virtual[v["i"]]
    assert (i.start, i.end) == (7, 15)
    t = ivs.virtual[v["t"]]  # local to one iteration
    assert (t.start, t.end) == (11, 12)
    assert ivs.physical[A0] == [(0, 0)]  # a0: from entry to the `mv`


def test_spill_weights_count_a_definition_in_a_loop_as_a_store_there() -> None:
    """Uses and definitions count 10**depth; an x definition inside a loop counts
    STORE_IN_LOOP_COST times that (spilled, it is a scalar store, which waits for idle
    engines); the sum is divided by the interval's length."""
    fn, v = loop_function()
    ivs = live_intervals(fn)
    regalloc._spill_weights(fn, ivs)
    cost = regalloc.STORE_IN_LOOP_COST
    # i: li (entry) 1; addi reads 10 and writes cost*10; mul and blt read 10 each
    assert ivs.virtual[v["i"]].weight == pytest.approx((1 + 10 + cost * 10 + 20) / 9)
    # n: lw (entry) 1; blt reads 10; live from 3 to 15
    assert ivs.virtual[v["n"]].weight == pytest.approx(11 / 13)
    # t: written in the loop, read once
    assert ivs.virtual[v["t"]].weight == pytest.approx((cost * 10 + 10) / 2)


def test_value_live_into_a_loop_from_its_back_edge_only() -> None:
    """A value defined late in the loop body and read early in it (next iteration) is
    live across the whole loop."""
    b = Builder("carry")
    p = b.x("mv", A0)
    prev = b.x("li", 0)
    loop = b.new_block("loop")
    b("sw", prev, 0, p)  # reads last iteration's value
    x = b.x("lw", 4, p)
    b("mv", prev, x)
    b("bnez", x, loop.label)
    b.new_block("exit")
    b("ret")
    ivs = live_intervals(b.fn)
    first, last = ivs.block_points[1]
    iv = ivs.virtual[prev]
    assert iv.start <= first and iv.end >= last


def test_read_before_write_is_an_error() -> None:
    b = Builder("undef")
    r = b.fn.new_vreg("x")
    b("sw", r, 0, A0)
    b("ret")
    with pytest.raises(OxCoreError, match="read before any write"):
        live_intervals(b.fn)


def test_mask_operand_reads_v0() -> None:
    b = Builder("mask")
    va = b.fn.new_vreg("v")
    vb = b.fn.new_vreg("v")
    b("vmv.v.i", va, 1, Text(""))
    b("vmseq.vi", PReg("v", 0), va, 1, Text(""))
    b("vadd.vv", vb, va, va, Text("v0.t"))
    b("ret")
    ivs = live_intervals(b.fn)
    assert ivs.physical[PReg("v", 0)] == [(3, 5)]



# --- lifetime holes --------------------------------------------------------------------

def test_merge_and_overlap_of_ranges() -> None:
    assert merge_ranges([(10, 12), (0, 3), (4, 6), (2, 5), (20, 20)]) == [(0, 6), (10, 12),
                                                                         (20, 20)]
    assert merge_ranges([(5, 5)]) == [(5, 5)]
    assert ranges_overlap([(0, 3), (10, 13)], [(4, 9)]) is False  # inside the hole
    assert ranges_overlap([(0, 3), (10, 13)], [(4, 10)]) is True  # reaches the next range
    assert ranges_overlap([(0, 3)], [(3, 3)]) is True
    assert ranges_overlap([], [(0, 100)]) is False


def test_interval_covers_and_holes() -> None:
    iv = Interval(VReg("x", 1), [(3, 7), (12, 15), (20, 21)])
    assert (iv.start, iv.end) == (3, 21)
    assert iv.holes == [(8, 11), (16, 19)]
    assert [p for p in range(25) if iv.covers(p)] == [*range(3, 8), *range(12, 16), 20, 21]
    assert iv.overlaps([(8, 11), (16, 19)]) is False
    assert iv.overlaps(Interval(VReg("x", 2), [(0, 2), (21, 30)])) is True


def test_linear_scan_places_a_value_in_another_ones_hole() -> None:
    """b lives in a's hole: one register for both. c starts in a's hole but is still live
    when a is live again: it needs another register, or, with one, the cheaper of the
    two (by spill weight) is spilled."""
    def make() -> tuple[Interval, Interval, Interval]:
        return (Interval(VReg("x", 1), [(0, 3), (10, 13)]), Interval(VReg("x", 2), [(4, 9)]),
                Interval(VReg("x", 3), [(5, 11)]))
    a, b, _ = make()
    _linear_scan([a, b], [5], {})
    assert (a.register, b.register, a.spilled, b.spilled) == (5, 5, False, False)
    a, _, c = make()
    _linear_scan([a, c], [5, 6], {})
    assert (a.register, c.register) == (5, 6)
    a, _, c = make()
    a.weight, c.weight = 1.0, 2.0
    _linear_scan([a, c], [5], {})
    assert a.spilled and c.register == 5
    a, _, c = make()
    a.weight, c.weight = 2.0, 1.0  # c is cheaper: it spills, a keeps its register
    _linear_scan([a, c], [5], {})
    assert c.spilled and a.register == 5 and not a.spilled
    a, b, _ = make()  # a precoloured use of the register in the hole blocks it for b only
    _linear_scan([a, b], [5, 6], {5: [(6, 6)]})
    assert (a.register, b.register) == (5, 6)


def cold_block_function() -> tuple[Builder, dict[str, VReg]]:
    """A hot loop whose rare case (a zero word) is handled in a cold block placed after
    the `ret`, using loop values and jumping back into the loop; the code between the
    loop and the `ret` has other values live.

       entry: out, ptr, end, acc = 0, zeros = 0
       loop:  w = *ptr; acc += w; beqz w, cold
       cont:  ptr += 4; bne ptr, end, loop
       done:  three temporaries from acc, stored with acc and zeros; ret
       cold:  zeros += end - ptr; j cont

    At most six values are live at any point (in the loop: out, ptr, end, acc, zeros, w;
    in `done`: out, acc, zeros and the three temporaries), but ptr's and end's hulls run
    from entry to the cold block, across `done`: eight as hulls."""
    b = Builder("coldpath")
    rec = b.x("mv", A0)
    out = b.x("lw", 0, rec)
    ptr = b.x("lw", 4, rec)
    n = b.x("lw", 8, rec)
    end = b.x("slli", n, 2)
    b("add", end, end, ptr)
    acc = b.x("li", 0)
    zeros = b.x("li", 0)
    loop = b.new_block("loop")
    w = b.x("lw", 0, ptr)
    b("add", acc, acc, w)
    cold_label = b.fn.new_block("cold")  # laid out last
    b("beqz", w, cold_label.label)
    cont = b.new_block("cont")
    b("addi", ptr, ptr, 4)
    b("bne", ptr, end, loop.label)
    b.new_block("done")
    t1 = b.x("slli", acc, 1)
    t2 = b.x("addi", acc, 7)
    t3 = b.x("xori", acc, 5)
    for i, r in enumerate((t1, t2, t3, acc, zeros)):
        b("sw", r, 4 * i, out)
    b("ret")
    b.fn.blocks.append(cold_label)
    b.block = cold_label
    d = b.x("sub", end, ptr)
    b("add", zeros, zeros, d)
    b("j", cont.label)
    return b, {"out": out, "ptr": ptr, "end": end, "acc": acc, "zeros": zeros, "w": w,
               "t1": t1, "d": d}


def max_pressure(ivs: regalloc.Intervals, hull: bool) -> int:
    last = max(iv.end for iv in ivs.virtual.values())
    return max(sum(1 for iv in ivs.virtual.values()
                   if (iv.start <= p <= iv.end if hull else iv.covers(p)))
               for p in range(last + 1))


def test_cold_block_intervals_have_a_hole_over_the_return_path() -> None:
    b, v = cold_block_function()
    ivs = live_intervals(b.fn)
    names = [blk.label.name for blk in b.fn.blocks]
    done = ivs.block_points[next(i for i, n in enumerate(names) if "done" in n)]
    cold = ivs.block_points[-1]
    for name in ("ptr", "end"):
        iv = ivs.virtual[v[name]]
        assert iv.holes == [done], name  # dead exactly from the loop exit to the cold block
        assert not iv.covers(done[0]) and iv.covers(cold[0])
        assert iv.end > cold[0]
    for name in ("acc", "zeros", "out"):  # live into `done` and into the cold block
        iv = ivs.virtual[v[name]]
        assert iv.covers(done[0]) and iv.covers(cold[0])
        assert len(iv.holes) == 1 and done[0] < iv.holes[0][0] <= done[1]  # from last use
    assert ivs.virtual[v["t1"]].ranges == [(ivs.virtual[v["t1"]].start,
                                            ivs.virtual[v["t1"]].end)]
    assert max_pressure(ivs, hull=False) == 6
    assert max_pressure(ivs, hull=True) == 8


COLD_REGS = [5, 6, 7, 10, 11, 12]  # six caller-saved x registers


def cold_block_expected(values: list[int]) -> list[int]:
    acc = sum(values)
    zeros = sum(4 * (len(values) - i) for i, x in enumerate(values) if x == 0)
    return [wrap(2 * acc), acc + 7, acc ^ 5, acc, zeros]


def test_cold_block_after_ret_allocates_without_spills(tmp_path: Path) -> None:
    """Six registers for a function with at most six values live at once: no spills,
    although the hull intervals of the loop values the cold block reads spill."""
    b, _ = cold_block_function()
    stats = allocate(b.fn, PRESETS["default"], {"x": COLD_REGS})
    assert only_physical(b.fn)
    assert stats.spills["x"] == 0 and stats.spill_instructions == 0
    assert stats.frame_bytes == 0 and stats.saved == []
    assert set(stats.registers_used["x"]) <= set(COLD_REGS)
    values = [5, 0, -3, 0, 0, 100, 7, 0]
    got = run(b.fn, PRESETS["default"], tmp_path, [len(values)], 5,
              struct.pack(f"<{len(values)}i", *values), check_callee_saved=True)
    assert got == cold_block_expected(values)


def test_cold_block_with_hull_intervals_spills(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The same function with every interval widened to its hull (the allocator before
    lifetime holes) spills, and still computes the right result."""
    def hulls(fn: MFunction) -> regalloc.Intervals:
        ivs = real(fn)
        for iv in ivs.virtual.values():
            iv.ranges = [(iv.start, iv.end)]
        return ivs
    real = regalloc.live_intervals
    monkeypatch.setattr(regalloc, "live_intervals", hulls)
    b, _ = cold_block_function()
    stats = allocate(b.fn, PRESETS["default"], {"x": COLD_REGS})
    assert stats.spills["x"] >= 2
    values = [0, 9, 0, -4]
    got = run(b.fn, PRESETS["default"], tmp_path, [len(values)], 5,
              struct.pack(f"<{len(values)}i", *values), check_callee_saved=True)
    assert got == cold_block_expected(values)


def test_self_moves_are_dropped(tmp_path: Path) -> None:
    """`q = mv p` where p dies: both share a register and the move disappears."""
    b = Builder("selfmv")
    rec = b.x("mv", A0)
    out = b.x("lw", 0, rec)
    p = b.x("li", 41)
    q = b.x("mv", p)
    b("addi", q, q, 1)
    b("sw", q, 0, out)
    b("ret")
    stats = allocate(b.fn, PRESETS["default"])
    assert stats.moves_removed == 1
    assert [ins.mnemonic for ins in b.fn.instructions()] == ["mv", "lw", "li", "addi", "sw",
                                                            "ret"]
    assert run(b.fn, PRESETS["default"], tmp_path, [], 1) == [42]

# --- allocation on the interpreter -----------------------------------------------------

def test_straight_line(tmp_path: Path) -> None:
    b = Builder("straight")
    rec = b.x("mv", A0)
    out = b.x("lw", 0, rec)
    a, c, d = (b.x("lw", 4 * (2 + i), rec) for i in range(3))
    s = b.x("add", a, c)
    m = b.x("mul", a, c)
    m2 = b.x("sub", m, d)
    x = b.x("xor", a, c)
    sh = b.x("slli", x, 3)
    big = b.x("li", 0x12345678)
    mix = b.x("add", big, s)
    for i, r in enumerate((s, m2, sh, mix)):
        b("sw", r, 4 * i, out)
    b("ret")
    stats = allocate(b.fn, PRESETS["default"])
    assert only_physical(b.fn)
    assert stats.spills["x"] == 0 and stats.frame_bytes == 0 and stats.saved == []
    va, vc, vd = 123456, -789, 42
    got = run(b.fn, PRESETS["default"], tmp_path, [va, vc, vd], 4)
    assert got == [wrap(va + vc), wrap(va * vc - vd), wrap((va ^ vc) << 3),
                   wrap(0x12345678 + va + vc)]


def sum_loop(name: str, extra_live: int = 0) -> Builder:
    """out[0] = sum(data words), out[1] = sum of squares, out[2] = a value defined before
    the loop and used after it, out[3..] = `extra_live` values live across the loop."""
    b = Builder(name)
    rec = b.x("mv", A0)
    out = b.x("lw", 0, rec)
    ptr = b.x("lw", 4, rec)
    n = b.x("lw", 8, rec)
    keep = b.x("li", 1000)
    extras = [b.x("lw", 12 + 4 * i, rec) for i in range(extra_live)]
    acc = b.x("li", 0)
    sq = b.x("li", 0)
    end = b.x("slli", n, 2)
    b("add", end, end, ptr)
    loop = b.new_block("loop")
    w = b.x("lw", 0, ptr)
    b("add", acc, acc, w)
    w2 = b.x("mul", w, w)
    b("add", sq, sq, w2)
    for e in extras:  # keep them busy inside the loop
        b("addi", e, e, 1)
    b("addi", ptr, ptr, 4)
    b("bne", ptr, end, loop.label)
    b.new_block("done")
    b("sw", acc, 0, out)
    b("sw", sq, 4, out)
    b("sw", keep, 8, out)
    for i, e in enumerate(extras):
        b("sw", e, 12 + 4 * i, out)
    b("ret")
    return b


def test_loop_with_values_live_across(tmp_path: Path) -> None:
    b = sum_loop("sumloop")
    stats = allocate(b.fn, PRESETS["default"])
    assert stats.spills["x"] == 0
    values = [7, -3, 100000, 5, 0, -99, 12]
    data = struct.pack(f"<{len(values)}i", *values)
    got = run(b.fn, PRESETS["default"], tmp_path, [len(values)], 3, data)
    assert got == [sum(values), wrap(sum(v * v for v in values)), 1000]


def test_forced_x_spills_with_twelve_live_values(tmp_path: Path) -> None:
    """4 allocatable x registers, 12 values live across a loop (plus the loop's own)."""
    b = sum_loop("xspill", extra_live=9)
    stats = allocate(b.fn, PRESETS["default"], {"x": [5, 6, 7, 10]})
    assert only_physical(b.fn)
    assert stats.spills["x"] >= 8
    assert set(stats.registers_used["x"]) <= {5, 6, 7, 10, 30, 31}
    assert stats.frame_bytes % 16 == 0 and stats.frame_bytes >= 4 * stats.spills["x"]
    values = [3, 1, 4, 1, 5, 9, 2, 6]
    extras = [10 * i - 7 for i in range(9)]
    got = run(b.fn, PRESETS["default"], tmp_path, [len(values), *extras], 12,
              struct.pack(f"<{len(values)}i", *values), check_callee_saved=True)
    assert got == [sum(values), sum(v * v for v in values), 1000,
                   *(e + len(values) for e in extras)]


def test_precoloured_a0_is_respected(tmp_path: Path) -> None:
    """Values defined before `mv p, a0` may not take a0 (first in the order here)."""
    b = Builder("pre_a0")
    k1 = b.x("li", 11)
    k2 = b.x("li", 22)
    rec = b.x("mv", A0)
    out = b.x("lw", 0, rec)
    s = b.x("add", k1, k2)
    b("sw", s, 0, out)
    b("sw", rec, 4, out)
    b("ret")
    stats = allocate(b.fn, PRESETS["default"], {"x": [10, 11, 12, 13]})
    first = b.fn.blocks[0].instrs
    assert [ins.mnemonic for ins in first[:2]] == ["li", "li"]
    assert all(str(ins.operands[0]) != "a0" for ins in first[:2])
    # `rec` starts where a0 ends and takes it: `mv a0, a0` is dropped.
    assert stats.moves_removed == 1 and "mv" not in [ins.mnemonic for ins in first]
    got = run(b.fn, PRESETS["default"], tmp_path, [], 2)
    assert got[0] == 33 and got[1] != 0


def test_callee_saved_registers_are_restored(tmp_path: Path) -> None:
    """Only s registers and ra to allocate: every one used is saved and restored (the
    caller checks s0..s11 and sp after the call, and the call returns through ra)."""
    b = sum_loop("csave", extra_live=6)
    order = [1, *S_REGS]
    stats = allocate(b.fn, PRESETS["default"], {"x": order})
    assert RA_USED(stats) and len(stats.saved) >= 8
    assert set(stats.saved) == set(stats.registers_used["x"]) & CALLEE_SAVED
    values = list(range(-5, 20))
    extras = [i * i for i in range(6)]
    got = run(b.fn, PRESETS["default"], tmp_path, [len(values), *extras], 9,
              struct.pack(f"<{len(values)}i", *values), check_callee_saved=True)
    assert got == [sum(values), sum(v * v for v in values), 1000,
                   *(e + len(values) for e in extras)]


def RA_USED(stats: AllocationStats) -> bool:  # noqa: N802 (reads as a condition)
    return 1 in stats.registers_used["x"] and 1 in stats.saved


def test_default_allocation_prefers_caller_saved(tmp_path: Path) -> None:
    b = sum_loop("nosave", extra_live=3)
    stats = allocate(b.fn, PRESETS["default"])
    assert stats.saved == [] and stats.frame_bytes == 0
    assert not set(stats.registers_used["x"]) & CALLEE_SAVED


# --- tiles -----------------------------------------------------------------------------

def tile_rows(tdim: int) -> int:
    return 4 * tdim


@pytest.mark.parametrize("tile_registers, edges, rtl", [(3, False, True), (5, False, False),
                                                       (3, True, False)])
def test_forced_tile_spills_across_tld_tmma(tmp_path: Path, tile_registers: int,
                                            edges: bool, rtl: bool) -> None:
    """Tiles restricted to 3 (every tile spills: a tmma may need three scratch tiles) or
    5 registers (some tiles stay in registers) with six tile values live across loads
    and tmmas: C1 = A0 B0^T + A1 B1^T, C2 = A1 B1^T + A0 B0^T + A1 B1^T. With `edges`,
    trow0, trows and tcolb cut every tile access between the loads and the stores,
    where the spills and reloads are: those move whole tiles (tsr, tlr) all the same."""
    config = PRESETS["tensor"]
    tdim = config.tensor.tdim
    rng = np.random.default_rng(7)
    a0, b0, a1, b1 = (rng.integers(-128, 128, (tdim, 4 * tdim), dtype=np.int8)
                      for _ in range(4))
    data = b"".join(t.tobytes() for t in (a0, b0, a1, b1))
    bld = Builder("tiles")
    rec = bld.x("mv", A0)
    out = bld.x("lw", 0, rec)
    base = bld.x("lw", 4, rec)
    stride = bld.x("li", 4 * tdim)
    tiles = []
    for i in range(4):
        addr = bld.x("addi", base, i * tdim * 4 * tdim)
        t = bld.fn.new_vreg("m")
        bld("tld.b", t, addr, stride)
        tiles.append(t)
    ta0, tb0, ta1, tb1 = tiles
    if edges:
        for csr, value in (("trow0", 1), ("trows", 2), ("tcolb", 4)):
            bld("csrwi", Text(csr), value)
    c1, c2 = bld.fn.new_vreg("m"), bld.fn.new_vreg("m")
    bld("tzero", c1)
    bld("tzero", c2)
    bld("tmma", c1, ta0, tb0, accumulate=True)
    bld("tmma", c2, ta1, tb1, accumulate=True)
    bld("tmma", c1, ta1, tb1, accumulate=True)
    bld("tmma", c2, ta0, tb0, accumulate=True)
    bld("tmma", c2, ta1, tb1, accumulate=True)
    out2 = bld.x("addi", out, tdim * tdim * 4)
    if edges:
        for csr in ("trow0", "trows", "tcolb"):
            bld("csrwi", Text(csr), 0)
    bld("tst.w", c1, out, stride)
    bld("tst.w", c2, out2, stride)
    bld("ret")
    regs = list(range(tile_registers))
    stats = allocate(bld.fn, config, {"m": regs})
    assert only_physical(bld.fn)
    assert 1 <= stats.spills["m"] <= 6
    assert set(stats.registers_used["m"]) <= set(regs)
    if tile_registers == 5:
        assert stats.spills["m"] < 6 and len(stats.scratch["m"]) < 5
    got = np.array(run(bld.fn, config, tmp_path, [], 2 * tdim * tdim, data, rtl=rtl),
                   dtype=np.int32)
    p0 = a0.astype(np.int64) @ b0.astype(np.int64).T
    p1 = a1.astype(np.int64) @ b1.astype(np.int64).T
    want = np.concatenate([(p0 + p1).ravel(), (2 * p1 + p0).ravel()]).astype(np.int32)
    np.testing.assert_array_equal(got, want)


def test_large_frame_tile_and_x_spills(tmp_path: Path) -> None:
    """Twelve int32 tiles live at once in three tile registers: a frame above 2047 bytes
    (li/sub prologue, slot addresses beyond addi's reach), plus x spills above them."""
    config = PRESETS["tensor"]
    tdim = config.tensor.tdim
    count = 12
    tile_bytes = tdim * tdim * 4
    values = np.arange(count * tdim * tdim, dtype=np.int32) * 3 - 1000
    bld = Builder("bigframe")
    rec = bld.x("mv", A0)
    out = bld.x("lw", 0, rec)
    base = bld.x("lw", 4, rec)
    stride = bld.x("li", 4 * tdim)
    tiles = []
    addr = base
    for _ in range(count):
        t = bld.fn.new_vreg("m")
        bld("tld.w", t, addr, stride)
        tiles.append(t)
        addr = bld.x("addi", addr, tile_bytes)
    consts = [bld.x("li", 100 + i) for i in range(6)]  # x values live across the stores
    addr = out
    for t in reversed(tiles):
        bld("tst.w", t, addr, stride)
        addr = bld.x("addi", addr, tile_bytes)
    offs = bld.x("li", count * tile_bytes)
    end = bld.x("add", out, offs)
    for i, c in enumerate(consts):
        bld("sw", c, 4 * i, end)
    bld("ret")
    stats = allocate(bld.fn, config, {"m": [0, 1, 2], "x": [5, 6, 7]})
    assert stats.frame_bytes > 2047 and stats.frame_bytes % 16 == 0
    assert stats.spills["m"] >= 9 and stats.spills["x"] >= 1
    text = assembly(bld.fn)
    assert "sub sp, sp, t5" in text
    got = run(bld.fn, config, tmp_path, [], count * tdim * tdim + 6, values.tobytes(),
              check_callee_saved=True)
    want = values.reshape(count, -1)[::-1].ravel().tolist() + [100 + i for i in range(6)]
    assert got == want


# --- vectors ---------------------------------------------------------------------------

@pytest.mark.parametrize("group, rtl", [(1, False), (2, True)])
def test_forced_vector_spills(tmp_path: Path, group: int, rtl: bool) -> None:
    """Five vectors live at once (LMUL `group`), too few registers: whole-register spills
    and reloads; out = (x0 + x1 + x2 + x3 + x4) with each xi = data + i."""
    config = PRESETS["vector"]
    vlen = config.vector.vlen
    n = vlen // 32 * group
    data = np.arange(n, dtype=np.int32) * 7 - 50
    bld = Builder(f"vec{group}")
    rec = bld.x("mv", A0)
    out = bld.x("lw", 0, rec)
    base = bld.x("lw", 4, rec)
    avl = bld.x("li", n)
    bld("vsetvli", bld.fn.new_vreg("x"), avl, Text(f"e32, m{group}, ta, ma"))
    x0 = bld.fn.new_vreg("v", group=group)
    bld("vle32.v", x0, base, Text(""))
    xs = [x0]
    for i in range(1, 5):
        xi = bld.fn.new_vreg("v", group=group)
        bld("vadd.vi", xi, x0, i, Text(""))
        xs.append(xi)
    acc = bld.fn.new_vreg("v", group=group)
    bld("vadd.vv", acc, xs[4], xs[3], Text(""))
    for xi in xs[:3]:
        nxt = bld.fn.new_vreg("v", group=group)
        bld("vadd.vv", nxt, acc, xi, Text(""))
        acc = nxt
    bld("vse32.v", acc, out, Text(""))
    bld("ret")
    regs = list(range(group, group + 4 * group))  # four aligned groups
    stats = allocate(bld.fn, config, {"v": regs})
    assert stats.spills["v"] >= 1
    assert all(r % group == 0 for r in stats.scratch["v"])
    assert f"vl{group}re8.v" in assembly(bld.fn) and f"vs{group}r.v" in assembly(bld.fn)
    got = run(bld.fn, config, tmp_path, [], n, data.tobytes(), rtl=rtl)
    assert got == (5 * data + 10).tolist()


# --- emission --------------------------------------------------------------------------

def test_emit_refuses_virtual_registers() -> None:
    b = Builder("virt")
    b.x("li", 1)
    b("ret")
    with pytest.raises(OxCoreError, match="virtual register"):
        assembly(b.fn)


def test_emitted_pseudos_assemble() -> None:
    """Every pseudo of the machine IR, as `MInstr.text` prints it, assembles."""
    t0, t1 = PReg("x", 5), PReg("x", 6)
    fn = MFunction("pseudos")
    block = fn.new_block("entry")
    fn.blocks.append(block)
    target = block.label
    samples = {
        "li": [t0, 0x12345], "la": [t0, Text("pseudos")], "mv": [t0, t1],
        "neg": [t0, t1], "not": [t0, t1], "seqz": [t0, t1], "snez": [t0, t1],
        "j": [target], "ret": [], "csrr": [t0, Text("cycle")],
        "csrw": [Text("vxrm"), t0], "csrwi": [Text("vxrm"), 3],
        "beqz": [t0, target], "bnez": [t0, target], "blez": [t0, target],
        "bgez": [t0, target], "bltz": [t0, target], "bgtz": [t0, target],
        "bgt": [t0, t1, target],
        "ble": [t0, t1, target], "bgtu": [t0, t1, target], "bleu": [t0, t1, target],
        "vmv.v.v": [PReg("v", 1), PReg("v", 2)],
    }
    assert set(samples) == set(PSEUDOS)
    block.instrs = [MInstr(m, ops) for m, ops in samples.items()]
    text = assembly(fn)
    assert text.startswith("    .text\n    .globl pseudos\n    .p2align 2\npseudos:\n")
    assemble_source(text, "pseudos.S", PRESETS["vector"])


def test_prologue_gets_its_own_block_when_entry_is_a_loop_header(tmp_path: Path) -> None:
    b = Builder("entryloop")
    entry = b.block
    count = b.x("li", 0)
    b("addi", count, count, 1)  # never reached a second time: the branch is not taken
    b("bnez", PReg("x", 0), entry.label)
    b.new_block("exit")
    rec = b.x("mv", A0)
    out = b.x("lw", 0, rec)
    b("sw", count, 0, out)
    b("ret")
    fn = b.fn
    # A precoloured s1 write forces a save, hence a prologue.
    fn.blocks[1].instrs.insert(0, MInstr("li", [PReg("x", 9), 5]))
    stats = allocate(fn, PRESETS["default"])
    assert stats.saved == [9]
    assert fn.blocks[0].label.name == ".Lentryloop_prologue"
    assert run(fn, PRESETS["default"], tmp_path, [], 1, check_callee_saved=True) == [1]


def test_three_x_reads_are_refused() -> None:
    """An accumulating scalar instruction reads three x registers: more than the two
    spill scratch registers, refused with a clear error."""
    b = Builder("three")
    r = b.x("li", 1)
    s = b.x("li", 2)
    b("add", r, r, s, accumulate=True)
    b("add", r, s, s, accumulate=True)
    b("ret")
    b.fn.blocks[0].instrs[2].operands[1] = b.x("li", 3)
    with pytest.raises(OxCoreError, match="reads 3 x registers"):
        allocate(b.fn, PRESETS["default"])
