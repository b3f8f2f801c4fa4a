"""Register allocation: machine IR over virtual registers -> physical registers only.

**Why linear scan** (Poletto & Sarkar, TOPLAS 1999) and not graph colouring: the
compiler's target is under 2 s per kernel end to end, and our kernels are short loop
nests (a few hundred machine instructions, tens of simultaneously live values at most)
whose pressure sits in one or two innermost loops. Linear scan is one sort plus one pass
over the intervals; graph colouring (Chaitin-Briggs) builds an interference graph and
iterates simplify/spill/rebuild, and the registers it saves over linear scan on code of
this shape are a few spills in outer loops, which the engines' latency hides. With
lifetime holes (below) two values conflict only at points where both are live, the same
interference a graph colourer would see; what linear scan gives up is the colour choice.

**Liveness.** Classic backward dataflow over the CFG (successors: the label targets of
a block's branches, plus the next block unless the block ends in ``j`` or ``ret``), for
virtual and physical registers alike (a masked vector operand ``v0.t`` reads v0).
Instructions are numbered in layout order; instruction k reads at point 2k and writes at
2k+1, so a value whose last use is the instruction defining another may share its
register (``addi x, x, 1``). Vector and tile reads are placed at 2k+1: an engine
instruction never gets a destination overlapping one of its sources (RVV's overlap
rules for widening/narrowing/masked forms, tile operands in flight).

**Intervals with lifetime holes** (Wimmer & Franz, "Linear Scan Register Allocation on
SSA Form", CGO 2010; Traub, Holloway & Smith's second-chance binpacking, PLDI 1998). A
value's interval is a sorted list of disjoint point ranges, built block by block in
layout order from the block-level liveness: live out of a block, it is live to the
block's last point; live into it, from its first point; within the block, from each
definition to its last use. Adjacent ranges merge, so a value live around a back edge
covers the whole loop body in one range; the gaps are the holes. Holes matter because
the instruction selector lays rarely executed code (empty edge tiles, CSR writes when a
value changes) out after the ``ret``, jumping back into the main line: a hot-loop value
that such a cold block reads is live in the loop and in the cold block, not in the code
in between, and a hull over both made every such value look live to the end of the
function (the GEMM kernel spilled 22 x values, 20 spill instructions in its inner loop;
none with holes). Physical registers keep their exact ranges and block their register
there.

**Allocation.** Per class, intervals by start. At the current interval's start, each
interval already placed is *active* (live there), *inactive* (in a hole there, live
again later) or done (ended). A register is free for the current interval if no active
interval holds it, no inactive interval holding it overlaps the current one's ranges and
no precoloured use of it does: a value can thus live in another one's hole. The first
free register in the class's preference order is taken; when none is free, the interval
with the *furthest end point* is spilled: the current one, or every interval in the way
in the register whose nearest-ending holder ends furthest. Intervals are not split.
Vector groups take LMUL-aligned registers. After rewriting, a ``mv r, r`` (source and
destination given the same register) is dropped.

- x: t0-t4, a0-a7 first (free to use), then s0-s11, ra, gp and tp (each costs one save
  and one restore). ra is allocatable because a kernel is a leaf: its return address
  only has to be back in ra at ``ret``, which the epilogue restores like an s register;
  gp and tp because a kernel has no small data or thread-local storage (the launch
  ABI). sp and zero are never allocated; t5 and t6 are reserved as spill scratch
  (reloaded operands, spill-slot addresses, the tile row stride, large frames).
- v: v1..v31 (v0 is the mask register, only ever a precoloured PReg).
- m: m0..m7.

**Spilling** (spill everywhere): a spilled value lives in its own stack slot for its
whole interval; each instruction reading it reloads it just before into a scratch
register, each instruction writing it stores it right after. x: ``lw``/``sw`` off sp
into t5/t6 (an instruction reads at most two x registers). v: whole-register
``vl<n>re8.v``/``vs<n>r.v`` (independent of vl/vtype) with the slot address in t5.
m: the whole-tile ``tlr``/``tsr`` with the address in t5 (they ignore trows/tcolb/trow0,
so a spill in code that has set edges for its own tiles moves the whole tile). Vector and
tile scratch registers are taken out of the class's registers only when the class
spills (as many as the worst instruction's spilled operands need), and the class is
allocated again without them.

**Frame.** ``addi sp, sp, -frame`` at entry (``li t5, frame; sub sp, sp, t5`` above
2047), callee-saved registers used (s0-s11, ra) saved at the bottom of the frame, spill
slots above them, everything restored and sp put back before every ``ret``; the frame
is 16-byte aligned as the ABI requires.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field

from oxcore.config import OxCoreConfig
from oxcore.errors import OxCoreError
from sw.compiler.mir import (SP, Label, MBlock, MFunction, MInstr, PReg, Reg, Text, VReg)

# x register numbers by ABI name.
_T0, _T1, _T2, _T3, _T4, _T5, _T6 = 5, 6, 7, 28, 29, 30, 31
_S = [8, 9, *range(18, 28)]  # s0..s11
_A = list(range(10, 18))  # a0..a7
RA_INDEX = 1
GP_INDEX, TP_INDEX = 3, 4
X_SCRATCH = (PReg("x", _T5), PReg("x", _T6))
# gp and tp are saved and restored like s0..s11 (the launch ABI, sw/compiler/abi.py): a
# kernel has no small data or thread-local storage of its own, and two more registers
# keep a GEMM's loop-invariant arguments out of memory (a scalar reload waits for the
# engines' queued tile stores: docs/rtl.md, memory order).
CALLEE_SAVED = frozenset([*_S, RA_INDEX, GP_INDEX, TP_INDEX])

#: Default allocation order per class (preference first).
DEFAULT_ALLOCATABLE: dict[str, list[int]] = {
    "x": [_T0, _T1, _T2, _T3, _T4, *_A, *_S, RA_INDEX, GP_INDEX, TP_INDEX],
    "v": list(range(1, 32)),
    "m": list(range(8)),
}

_ENDS_FLOW = ("j", "ret")
V0 = PReg("v", 0)


# --- CFG and liveness ------------------------------------------------------------------

def successors(fn: MFunction) -> list[list[int]]:
    """Successor block indices of each block, in layout order."""
    index = {block.label.name: i for i, block in enumerate(fn.blocks)}
    result: list[list[int]] = []
    for i, block in enumerate(fn.blocks):
        succ: list[int] = []
        for ins in block.instrs:
            if not ins.is_branch:
                continue
            for target in ins.targets():
                if target.name not in index:
                    raise OxCoreError(f"{fn.name}: {ins.mnemonic} to {target.name}, "
                                      "which is no block of the function")
                if index[target.name] not in succ:
                    succ.append(index[target.name])
        last = block.instrs[-1].mnemonic if block.instrs else None
        if last not in _ENDS_FLOW and i + 1 < len(fn.blocks) and i + 1 not in succ:
            succ.append(i + 1)
        result.append(succ)
    return result


def instr_uses(ins: MInstr) -> list[Reg]:
    """Registers `ins` reads: its read operands, plus v0 for a ``v0.t`` mask operand."""
    uses = ins.uses()
    if any(isinstance(op, Text) and op.text.strip() == "v0.t" for op in ins.operands):
        uses.append(V0)
    return uses


def _tracked(reg: Reg) -> bool:
    return not (isinstance(reg, PReg) and reg.cls == "x" and reg.index == 0)


@dataclass
class Liveness:
    """Live-in and live-out sets of each block (by block index)."""

    live_in: list[set[Reg]]
    live_out: list[set[Reg]]
    succ: list[list[int]]


def liveness(fn: MFunction) -> Liveness:
    succ = successors(fn)
    n = len(fn.blocks)
    gen: list[set[Reg]] = []
    kill: list[set[Reg]] = []
    for block in fn.blocks:
        g: set[Reg] = set()
        k: set[Reg] = set()
        for ins in block.instrs:
            g.update(r for r in instr_uses(ins) if _tracked(r) and r not in k)
            k.update(r for r in ins.defs() if _tracked(r))
        gen.append(g)
        kill.append(k)
    live_in: list[set[Reg]] = [set() for _ in range(n)]
    live_out: list[set[Reg]] = [set() for _ in range(n)]
    changed = True
    while changed:
        changed = False
        for i in reversed(range(n)):
            out: set[Reg] = set()
            for s in succ[i]:
                out |= live_in[s]
            new_in = gen[i] | (out - kill[i])
            if out != live_out[i] or new_in != live_in[i]:
                live_out[i], live_in[i] = out, new_in
                changed = True
    return Liveness(live_in, live_out, succ)


def _use_point(reg: Reg, k: int) -> int:
    return 2 * k if reg.cls == "x" else 2 * k + 1


def merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """`ranges` (inclusive point ranges, any order) sorted, with overlapping and adjacent
    ones merged: the canonical form of an interval's ranges."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        if merged and s <= merged[-1][1] + 1:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def ranges_overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    """Whether two sorted lists of inclusive ranges share a point."""
    i = j = 0
    while i < len(a) and j < len(b):
        (s1, e1), (s2, e2) = a[i], b[j]
        if s1 <= e2 and s2 <= e1:
            return True
        if e1 < e2:
            i += 1
        else:
            j += 1
    return False


@dataclass(eq=False)
class Interval:
    """A virtual register's live interval: the sorted, disjoint, non-adjacent inclusive
    point ranges where it is live (the gaps between them are its lifetime holes), and
    where allocation put it (`register`: base register number, or `slot`: spill
    offset). `start` and `end` are the first and last points (the hull)."""

    vreg: VReg
    ranges: list[tuple[int, int]]
    weight: float = 0.0  # spill cost: its uses and definitions, x10 per enclosing loop
    register: int | None = None
    spilled: bool = False
    slot: int | None = None

    @property
    def start(self) -> int:
        return self.ranges[0][0]

    @property
    def end(self) -> int:
        return self.ranges[-1][1]

    @property
    def holes(self) -> list[tuple[int, int]]:
        """The gaps between the ranges, as inclusive point ranges."""
        return [(e + 1, s - 1) for (_, e), (s, _) in zip(self.ranges, self.ranges[1:])]

    def covers(self, point: int) -> bool:
        """Whether the value is live at `point` (not before its start, in a hole or after
        its end)."""
        i = bisect_right(self.ranges, (point, _BIG)) - 1
        return i >= 0 and self.ranges[i][1] >= point

    def overlaps(self, other: Interval | list[tuple[int, int]]) -> bool:
        return ranges_overlap(self.ranges, other.ranges if isinstance(other, Interval)
                              else other)

    @property
    def group(self) -> int:
        return self.vreg.group if self.vreg.cls == "v" else 1


_BIG = 1 << 62


@dataclass
class Intervals:
    virtual: dict[VReg, Interval]  # ranges (with holes) per virtual register
    physical: dict[PReg, list[tuple[int, int]]]  # exact ranges per physical register
    block_points: list[tuple[int, int]]  # each block's first and last point
    liveness: Liveness


def live_intervals(fn: MFunction) -> Intervals:
    """Live intervals over the linear numbering of `fn`'s instructions (layout order),
    from the block-level liveness: per block, a value live out of it is live to the
    block's last point, one live into it from the block's first point, and within the
    block from each definition to the last use before the next definition."""
    live = liveness(fn)
    entry_undefined = [r for r in live.live_in[0] if isinstance(r, VReg)] if fn.blocks else []
    if entry_undefined:
        raise OxCoreError(f"{fn.name}: {', '.join(map(str, entry_undefined))} read before "
                          "any write")
    segments: dict[Reg, list[tuple[int, int]]] = defaultdict(list)
    block_points = []
    k0 = 0
    for b, block in enumerate(fn.blocks):
        first, last = 2 * k0, 2 * (k0 + len(block.instrs)) - 1
        if not block.instrs:
            last = first
        block_points.append((first, last))
        open_end: dict[Reg, int] = {r: last for r in live.live_out[b]}
        for j in reversed(range(len(block.instrs))):
            ins, k = block.instrs[j], k0 + j
            for r in ins.defs():
                if not _tracked(r):
                    continue
                segments[r].append((2 * k + 1, open_end.pop(r, 2 * k + 1)))
            for r in instr_uses(ins):
                if _tracked(r) and r not in open_end:
                    open_end[r] = _use_point(r, k)
        for r, end in open_end.items():
            segments[r].append((first, end))
        k0 += len(block.instrs)
    virtual: dict[VReg, Interval] = {}
    physical: dict[PReg, list[tuple[int, int]]] = {}
    for r, segs in segments.items():
        if isinstance(r, VReg):
            virtual[r] = Interval(r, merge_ranges(segs))
        else:
            physical[r] = sorted(segs)
    return Intervals(virtual, physical, block_points, live)


# --- linear scan -----------------------------------------------------------------------

def _linear_scan(intervals: list[Interval], order: list[int],
                 fixed: dict[int, list[tuple[int, int]]], rotate: bool = False) -> None:
    """Linear scan with lifetime holes over `intervals` (one class) with registers
    `order`; spills the interval ending furthest. Sets `register` or `spilled` on each
    interval.

    At each interval's start, the intervals already placed are *active* (live there),
    *inactive* (in a hole there, live again later) or handled (ended). A register is
    free for the new interval when no active interval holds it, no inactive interval
    holding it overlaps the new interval's ranges, and no precoloured use of it does.

    `rotate` (engine registers): among free registers take the one whose last value
    ended earliest, not the first in `order`. The engines run instructions
    asynchronously and check register hazards: a tile load into the register a running
    tmma still reads must wait for it (a false dependency), while a register idle for
    longest is free at once."""
    allowed = set(order)
    last_end: dict[int, int] = {}
    active: list[Interval] = []
    inactive: list[Interval] = []

    def blocked(base: int, g: int, cur: Interval) -> bool:
        return any(ranges_overlap(fixed[u], cur.ranges)
                   for u in range(base, base + g) if u in fixed)

    for cur in sorted(intervals, key=lambda iv: (iv.start, iv.vreg.id)):
        cur.register, cur.spilled = None, False
        pos = cur.start
        still_active: list[Interval] = []
        still_inactive: list[Interval] = []
        for iv in active + inactive:
            if iv.end < pos:
                continue  # handled
            (still_active if iv.covers(pos) else still_inactive).append(iv)
        active, inactive = still_active, still_inactive
        # Register units of the intervals in the way of `cur`.
        conflicts: dict[int, list[Interval]] = defaultdict(list)
        for iv in active:
            for u in range(iv.register, iv.register + iv.group):
                conflicts[u].append(iv)
        for iv in inactive:
            if iv.overlaps(cur):
                for u in range(iv.register, iv.register + iv.group):
                    conflicts[u].append(iv)
        g = cur.group
        placements = [b for b in order if b % g == 0
                      and all(u in allowed for u in range(b, b + g))
                      and not blocked(b, g, cur)]
        free = [b for b in placements if not any(u in conflicts for u in range(b, b + g))]
        if not free:
            # spill what costs least: the holders of a placement, if together cheaper
            # than `cur` (a value used in an inner loop is reloaded every iteration, and
            # a scalar reload also waits for the engines' queued stores)
            best, best_cost, best_holders = None, cur.weight, []
            for b in placements:
                holders = list({id(h): h for u in range(b, b + g)
                                for h in conflicts.get(u, ())}.values())
                cost = sum(h.weight for h in holders)
                if cost < best_cost:
                    best, best_cost, best_holders = b, cost, holders
            if best is None:
                cur.spilled = True
                continue
            for h in best_holders:
                (active if h in active else inactive).remove(h)
                h.register, h.spilled = None, True
            free = [best]
        if rotate:
            free.sort(key=lambda b: max(last_end.get(u, -1) for u in range(b, b + g)))
        cur.register = free[0]
        for u in range(cur.register, cur.register + g):
            last_end[u] = max(last_end.get(u, -1), cur.end)
        active.append(cur)


def _scan_x(intervals: list[Interval], order: list[int],
            fixed: dict[int, list[tuple[int, int]]], with_scratch: bool) -> None:
    """Linear scan of the x registers. First (`with_scratch`) with the spill code's
    scratch t5/t6 last in the order too: when nothing spills, no spill code needs them,
    and two more registers can keep a kernel's arguments out of memory (a reload, a
    scalar load, waits for the engines' queued stores; sw/ops/gemm.py's gemm_q needs one
    register more than gemm). If something spills, allocate again without them: the
    same allocation as if they had never been offered."""
    if with_scratch:
        _linear_scan(intervals, [*order, _T5, _T6], fixed)
        if not any(iv.spilled for iv in intervals):
            return
        for iv in intervals:
            iv.register, iv.spilled = None, False
    _linear_scan(intervals, order, fixed)


# A spilled x register's definition inside a loop is a scalar store there, and a scalar
# store waits until every engine is idle (the pipeline's memory order, docs/rtl.md): in
# the loop over programs that drains the tensor engine once per program. A reload only
# waits for the engines' queued stores. So a definition in a loop counts this many uses.
STORE_IN_LOOP_COST = 50


def _spill_weights(fn: MFunction, ivs: Intervals) -> None:
    """Each interval's spill cost: its registers' uses and definitions, each counting
    10**(loops around it) (an x definition in a loop STORE_IN_LOOP_COST times more),
    divided by its length so that a long, rarely used value (a pointer needed once per
    program) goes before a short one in a hot loop or one updated every program."""
    from sw.compiler.mir_passes import loop_depths
    depths = loop_depths(fn)
    counts: dict[int, float] = defaultdict(float)
    for block, depth in zip(fn.blocks, depths):
        for ins in block.instrs:
            for reg in ins.uses():
                if isinstance(reg, VReg):
                    counts[id(reg)] += 10.0 ** depth
            for reg in ins.defs():
                if isinstance(reg, VReg):
                    store = STORE_IN_LOOP_COST if reg.cls == "x" and depth else 1
                    counts[id(reg)] += store * 10.0 ** depth
    for vreg, interval in ivs.virtual.items():
        length = sum(end - start + 1 for start, end in interval.ranges)
        interval.weight = counts[id(vreg)] / max(length, 1)


# --- the pass --------------------------------------------------------------------------

@dataclass
class AllocationStats:
    spills: dict[str, int]  # spilled virtual registers per class
    frame_bytes: int
    registers_used: dict[str, list[int]]  # physical registers holding values, per class
    saved: list[int] = field(default_factory=list)  # callee-saved x registers saved
    spill_instructions: int = 0  # reloads, stores and their address arithmetic
    scratch: dict[str, list[int]] = field(default_factory=dict)  # v/m scratch registers
    moves_removed: int = 0  # ``mv r, r`` left by allocation and dropped


def _align(value: int, to: int) -> int:
    return (value + to - 1) // to * to


def _slot_bytes(cls: str, group: int, config: OxCoreConfig) -> tuple[int, int]:
    """(size, alignment) of a spill slot."""
    if cls == "x":
        return 4, 4
    if cls == "v":
        if config.vector is None:
            raise OxCoreError("register allocation: vector spill without a vector engine "
                              "in the configuration")
        return config.vector.vlen // 8 * group, 16
    if config.tensor is None:
        raise OxCoreError("register allocation: tile spill without a tensor engine in the "
                          "configuration")
    return config.tensor.tdim ** 2 * 4, 16


def _reg_operands(ins: MInstr, cls: str) -> list[VReg]:
    """Distinct virtual registers of `cls` among `ins`'s operands, in operand order."""
    seen: list[VReg] = []
    for op in ins.operands:
        if isinstance(op, VReg) and op.cls == cls and op not in seen:
            seen.append(op)
    return seen


def allocate(fn: MFunction, config: OxCoreConfig,
             allocatable: dict[str, list[int]] | None = None) -> AllocationStats:
    """Allocate `fn`'s virtual registers, rewriting it in place to physical registers,
    with spill code, prologue and epilogue. `allocatable` restricts (and orders) the
    registers per class (default `DEFAULT_ALLOCATABLE`)."""
    orders = {cls: list((allocatable or {}).get(cls, DEFAULT_ALLOCATABLE[cls]))
              for cls in DEFAULT_ALLOCATABLE}
    bad = [r for r in orders["x"] if r in (0, 2, _T5, _T6)]
    if bad:
        raise OxCoreError(f"register allocation: x{bad[0]} cannot be allocated (zero, sp "
                          "and the spill scratch t5/t6 are reserved)")
    if 0 in orders["v"]:
        raise OxCoreError("register allocation: v0 is the mask register, not allocatable")
    for ins in fn.instructions():
        for op in ins.operands:
            if isinstance(op, PReg) and op.cls == "x" and op.index in (_T5, _T6):
                raise OxCoreError(f"{fn.name}: {ins.text()!r} names {op}, reserved as the "
                                  "register allocator's spill scratch")
        x_reads = {r for r in ins.uses() if r.cls == "x" and _tracked(r)}
        if len(x_reads) > 2:
            raise OxCoreError(f"{fn.name}: {ins.text()!r} reads {len(x_reads)} x registers; "
                              "the spill code assumes at most two (t5, t6)")

    ivs = live_intervals(fn)
    _spill_weights(fn, ivs)
    by_class: dict[str, list[Interval]] = defaultdict(list)
    for iv in ivs.virtual.values():
        by_class[iv.vreg.cls].append(iv)
    fixed: dict[str, dict[int, list[tuple[int, int]]]] = defaultdict(dict)
    for preg, ranges in ivs.physical.items():
        fixed[preg.cls][preg.index] = ranges
    precoloured = {op for ins in fn.instructions() for op in ins.operands
                   if isinstance(op, PReg)} | {V0}

    scratch: dict[str, list[tuple[int, int]]] = {"v": [], "m": []}  # (base, group)
    for cls, intervals in by_class.items():
        if cls == "x":
            _scan_x(intervals, orders["x"], fixed["x"], with_scratch=allocatable is None)
            continue
        while True:
            units = {u for b, g in scratch[cls] for u in range(b, b + g)}
            _linear_scan(intervals, [r for r in orders[cls] if r not in units], fixed[cls],
                         rotate=True)
            need: dict[int, int] = defaultdict(int)
            spilled = {iv.vreg for iv in intervals if iv.spilled}
            if not spilled:
                break
            for ins in fn.instructions():
                count: dict[int, int] = defaultdict(int)
                for r in _reg_operands(ins, cls):
                    if r in spilled:
                        count[r.group if cls == "v" else 1] += 1
                for g, n in count.items():
                    need[g] = max(need[g], n)
            have = defaultdict(int)
            for _, g in scratch[cls]:
                have[g] += 1
            if all(have[g] >= n for g, n in need.items()):
                break
            for g in sorted(need, reverse=True):
                while have[g] < need[g]:
                    units = {u for b, gg in scratch[cls] for u in range(b, b + gg)}
                    base = next((b for b in reversed(orders[cls]) if b % g == 0
                                 and all(u in orders[cls] and u not in units
                                         and PReg(cls, u) not in precoloured
                                         for u in range(b, b + g))), None)
                    if base is None:
                        raise OxCoreError(f"{fn.name}: not enough {cls} registers for the "
                                          "spill code's scratch registers")
                    scratch[cls].append((base, g))
                    have[g] += 1

    engine_spills = any(iv.spilled for cls, ivs_ in by_class.items() if cls != "x"
                        for iv in ivs_)
    if engine_spills and any(iv.register in (_T5, _T6) for iv in by_class.get("x", ())):
        _scan_x(by_class["x"], orders["x"], fixed["x"], with_scratch=False)  # they need them

    # Stack frame: callee-saved saves at the bottom, spill slots above.
    used: dict[str, set[int]] = defaultdict(set)
    for iv in ivs.virtual.values():
        if iv.register is not None:
            used[iv.vreg.cls].update(range(iv.register, iv.register + iv.group))
    written_pregs = {r.index for ins in fn.instructions() for r in ins.defs()
                     if isinstance(r, PReg) and r.cls == "x"}
    saved = sorted((used["x"] | written_pregs) & CALLEE_SAVED)
    offset = 4 * len(saved)
    spills = {cls: 0 for cls in DEFAULT_ALLOCATABLE}
    for iv in sorted(ivs.virtual.values(), key=lambda iv: iv.vreg.id):
        if iv.spilled:
            size, align = _slot_bytes(iv.vreg.cls, iv.group, config)
            offset = _align(offset, align)
            iv.slot = offset
            offset += size
            spills[iv.vreg.cls] += 1
    frame = _align(offset, 16)

    rewriter = _Rewriter(config, ivs.virtual, scratch)
    for block in fn.blocks:
        out: list[MInstr] = []
        for ins in block.instrs:
            out.extend(rewriter.rewrite(ins))
        block.instrs = out
    _frame_code(fn, frame, saved)
    for cls, pairs in scratch.items():
        for b, g in pairs:
            used[cls].update(range(b, b + g))
    if rewriter.spill_instructions:
        used["x"].update((_T5, _T6))
    return AllocationStats(spills, frame, {c: sorted(used[c]) for c in DEFAULT_ALLOCATABLE},
                           saved, rewriter.spill_instructions,
                           {c: [b for b, _ in p] for c, p in scratch.items() if p},
                           rewriter.moves_removed)


class _Rewriter:
    """Replaces virtual registers by physical ones, with reloads and stores around each
    instruction touching a spilled value."""

    def __init__(self, config: OxCoreConfig, intervals: dict[VReg, Interval],
                 scratch: dict[str, list[tuple[int, int]]]) -> None:
        self.config = config
        self.intervals = intervals
        self.scratch = scratch
        self.spill_instructions = 0
        self.moves_removed = 0

    def _address(self, offset: int, into: PReg) -> list[MInstr]:
        """`into` = sp + offset."""
        if offset < 2048:
            return [MInstr("addi", [into, SP, offset])]
        return [MInstr("li", [into, offset]), MInstr("add", [into, into, SP])]

    def _x_access(self, mnemonic: str, reg: PReg, offset: int, temp: PReg) -> list[MInstr]:
        if offset < 2048:
            return [MInstr(mnemonic, [reg, offset, SP], comment="spill")]
        return [*self._address(offset, temp), MInstr(mnemonic, [reg, 0, temp], comment="spill")]

    def _engine_access(self, cls: str, load: bool, reg: PReg, iv: Interval) -> list[MInstr]:
        t5 = X_SCRATCH[0]
        code = self._address(iv.slot, t5)
        if cls == "v":
            g = iv.group
            code.append(MInstr(f"vl{g}re8.v" if load else f"vs{g}r.v", [reg, t5],
                               comment="spill"))
        else:  # (whatever trows/tcolb/trow0 hold: the code around may have set them)
            code.append(MInstr("tlr" if load else "tsr", [reg, t5], comment="spill"))
        return code

    def rewrite(self, ins: MInstr) -> list[MInstr]:
        uses = {id(r) for r in ins.uses() if isinstance(r, VReg)}
        defs = {id(r) for r in ins.defs() if isinstance(r, VReg)}
        mapping: dict[int, PReg] = {}
        pre_engine: list[MInstr] = []
        post_engine: list[MInstr] = []
        pre_x: list[MInstr] = []
        post_x: list[MInstr] = []
        for cls in ("v", "m"):
            free = list(self.scratch[cls])
            for r in _reg_operands(ins, cls):
                iv = self.intervals[r]
                if not iv.spilled:
                    continue
                g = iv.group
                pick = next(p for p in free if p[1] == g)
                free.remove(pick)
                reg = mapping[id(r)] = PReg(cls, pick[0])
                if id(r) in uses:
                    pre_engine += self._engine_access(cls, True, reg, iv)
                if id(r) in defs:
                    post_engine += self._engine_access(cls, False, reg, iv)
        spilled_x = [r for r in _reg_operands(ins, "x") if self.intervals[r].spilled]
        spilled_uses = [r for r in spilled_x if id(r) in uses]
        spilled_defs = [r for r in spilled_x if id(r) in defs]
        if len(spilled_uses) > 2 or len(spilled_defs) > 1:
            raise OxCoreError(f"{ins.text()!r}: more spilled x operands than the two "
                              "scratch registers hold")
        t5, t6 = X_SCRATCH
        for r, reg in zip(spilled_uses, X_SCRATCH):
            mapping[id(r)] = reg
            pre_x += self._x_access("lw", reg, self.intervals[r].slot, reg)
        for r in spilled_defs:
            reg = mapping.setdefault(id(r), t5)
            post_x += self._x_access("sw", reg, self.intervals[r].slot, t6 if reg == t5 else t5)
        if (post_x or post_engine) and ins.is_branch:
            raise OxCoreError(f"{ins.text()!r}: a branch writing a spilled value")
        operands = []
        for op in ins.operands:
            if isinstance(op, VReg):
                iv = self.intervals.get(op)
                if id(op) in mapping:
                    op = mapping[id(op)]
                elif iv is not None and iv.register is not None:
                    op = PReg(op.cls, iv.register)
                else:
                    raise OxCoreError(f"{ins.text()!r}: {op} is neither read nor written")
            operands.append(op)
        new = MInstr(ins.mnemonic, operands, ins.accumulate, ins.comment)
        extra = pre_engine + pre_x + post_x + post_engine
        self.spill_instructions += len(extra)
        if new.mnemonic == "mv" and operands[0] == operands[1]:
            self.moves_removed += 1  # source and destination share a register
            return [*pre_engine, *pre_x, *post_x, *post_engine]
        return [*pre_engine, *pre_x, new, *post_x, *post_engine]


def _frame_code(fn: MFunction, frame: int, saved: list[int]) -> None:
    """Prologue at entry, epilogue before every ``ret``."""
    if not frame or not fn.blocks:
        return
    t5 = X_SCRATCH[0]
    if frame <= 2048:
        prologue = [MInstr("addi", [SP, SP, -frame], comment="frame")]
    else:
        prologue = [MInstr("li", [t5, frame]), MInstr("sub", [SP, SP, t5], comment="frame")]
    prologue += [MInstr("sw", [PReg("x", r), 4 * i, SP], comment="callee-saved")
                 for i, r in enumerate(saved)]
    epilogue = [MInstr("lw", [PReg("x", r), 4 * i, SP], comment="callee-saved")
                for i, r in enumerate(saved)]
    if frame < 2048:
        epilogue.append(MInstr("addi", [SP, SP, frame], comment="frame"))
    else:
        epilogue += [MInstr("li", [t5, frame]), MInstr("add", [SP, SP, t5], comment="frame")]
    entry = fn.blocks[0]
    if any(t.name == entry.label.name for ins in fn.instructions() for t in ins.targets()):
        entry = MBlock(Label(f".L{fn.name}_prologue"))
        fn.blocks.insert(0, entry)
    entry.instrs[:0] = prologue
    for block in fn.blocks:
        out: list[MInstr] = []
        for ins in block.instrs:
            if ins.mnemonic == "ret":
                out += [MInstr(e.mnemonic, list(e.operands), e.accumulate, e.comment)
                        for e in epilogue]
            out.append(ins)
        block.instrs = out
