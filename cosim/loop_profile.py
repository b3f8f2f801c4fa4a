"""Where a run's cycles went, loop by loop, from the RTL's retirement stream.

Every cycle is charged to the instruction that retired at its end: the cycles since the
previous retirement, so a stall, a mispredict or a wait for an engine shows up on the
instruction that was held. Loops come from the program's code: a branch or jump (not a
call) at pc b back to an earlier t that every path to b passes through (t dominates b)
is a loop's back-edge, and the loop is t plus every instruction that reaches b without
passing t (its natural loop: out-of-line blocks the compiler placed after the function
belong to it, a jump from one of them back into the body is not a loop of its own);
back-edges to one t make one loop, named after the nearest code symbol at or before t
and shown with its pcs [t, last back-edge]. Loops nest (an inner loop's head is in the
outer's body), and each instruction belongs, for the "self" figures, to the innermost
loop holding it. A loop's inclusive figures follow it in time: from entering it until
leaving it other than by a call, so the functions it calls and its inner loops count as
its time. Iterations are the back-edges taken plus the entries.

`profile_loops` is a pure function of the stream (numpy arrays of pcs and retire
cycles) and the program, so it is tested on hand-built streams; `format_profile` is the
report's table. The stream is cut to the kernel (from the retirement at `kernel_begin`
to the one at `kernel_end`, as the launch program's cycle counter measures it) when
the program has both symbols, else it is the whole run. `busy_cycles` turns an
engine's instruction spans into its busy cycles over the same window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oxcore.program import Program

OPCODE_BRANCH, OPCODE_JAL, OPCODE_JALR = 0x63, 0x6F, 0x67
RA = 1
REGION = ("kernel_begin", "kernel_end")  # the launch program's timed region
TOP_LOOPS = 6  # rows of the report's table


@dataclass(frozen=True)
class Loop:
    """A loop of the program's code."""

    head: int  # the back-edges' target
    tail: int  # the last back-edge's pc
    back_edges: tuple[int, ...]  # pcs of the branches/jumps back to `head`
    body: tuple[int, ...]  # pcs of its instructions, inner loops' too (sorted)
    name: str  # the nearest code symbol at or before `head`, plus the offset
    depth: int  # loops containing this one


@dataclass(frozen=True)
class LoopFigures:
    """One loop's share of the profiled window."""

    loop: Loop
    entries: int  # times the range was entered (not counting returns from calls)
    iterations: int  # back-edges taken + entries
    cycles: int  # inclusive: while the loop was active (nested loops and calls too)
    instructions: int  # inclusive
    self_cycles: int  # of the instructions whose innermost loop this is
    self_instructions: int

    @property
    def cpi(self) -> float:
        return self.cycles / self.instructions if self.instructions else 0.0


@dataclass(frozen=True)
class LoopProfile:
    """The profile of one window of a run."""

    window: str  # "kernel_begin..kernel_end" or "the whole run"
    cycles: int
    instructions: int
    loops: tuple[LoopFigures, ...]  # in pc order (outer loops before the inner ones)
    outside_cycles: int  # cycles of instructions in no loop
    first_cycle: int  # the window's cycles are (first_cycle, last_cycle]
    last_cycle: int


# ---- the program's code ------------------------------------------------------------------

def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >> (bits - 1) & 1 else value


def _branch_offset(word: int) -> int:
    return _signed((word >> 31 & 1) << 12 | (word >> 7 & 1) << 11
                   | (word >> 25 & 0x3F) << 5 | (word >> 8 & 0xF) << 1, 13)


def _jal_offset(word: int) -> int:
    return _signed((word >> 31 & 1) << 20 | (word >> 12 & 0xFF) << 12
                   | (word >> 20 & 1) << 11 | (word >> 21 & 0x3FF) << 1, 21)


@dataclass(frozen=True)
class _Code:
    """The program's instruction words, by pc, with what the profile needs of them."""

    base: int
    words: np.ndarray  # uint32, one per 4 bytes from `base` (0 where there is no code)
    calls: np.ndarray  # bool: jal/jalr that link (rd != 0)
    returns: np.ndarray  # bool: jalr x0, 0(ra)

    @classmethod
    def of(cls, program: Program) -> "_Code":
        segments = [s for s in program.segments if s.executable and s.data]
        if not segments:
            return cls(0, *(np.zeros(0, t) for t in (np.uint32, bool, bool)))
        base = min(s.addr for s in segments)
        end = max(s.addr + len(s.data) for s in segments)
        words = np.zeros((end - base + 3) // 4, np.uint32)
        for seg in segments:
            usable = len(seg.data) // 4 * 4
            start = (seg.addr - base) // 4
            words[start:start + usable // 4] = np.frombuffer(seg.data[:usable], "<u4")
        opcode, rd = words & 0x7F, words >> 7 & 0x1F
        rs1, imm = words >> 15 & 0x1F, words >> 20
        jumps = (opcode == OPCODE_JAL) | (opcode == OPCODE_JALR)
        returns = (opcode == OPCODE_JALR) & (rd == 0) & (rs1 == RA) & (imm == 0)
        return cls(base, words, jumps & (rd != 0), returns)

    def index(self, pcs: np.ndarray) -> np.ndarray:
        """Each pc's row in the code arrays (-1 outside the code)."""
        rows = (pcs.astype(np.int64) - self.base) // 4
        return np.where((rows >= 0) & (rows < len(self.words)), rows, -1)

    def successors(self, row: int) -> list[int]:
        """Where control goes after the instruction in `row` (rows in the code): a call
        returns to the next instruction, a return or indirect jump goes nowhere known."""
        word = int(self.words[row])
        opcode, rd = word & 0x7F, word >> 7 & 0x1F
        if opcode == OPCODE_BRANCH:
            targets = [row + 1, row + _branch_offset(word) // 4]
        elif opcode == OPCODE_JAL:
            targets = [row + 1] if rd else [row + _jal_offset(word) // 4]
        elif opcode == OPCODE_JALR:
            targets = [row + 1] if rd else []
        else:
            targets = [row + 1]
        return [t for t in targets if 0 <= t < len(self.words) and self.words[t]]

    def call_targets(self) -> list[int]:
        """Rows that a jal with a link register jumps to (functions)."""
        rows = np.flatnonzero(((self.words & 0x7F) == OPCODE_JAL) & (self.words >> 7 & 0x1F != 0))
        targets = [int(r) + _jal_offset(int(self.words[r])) // 4 for r in rows]
        return [t for t in targets if 0 <= t < len(self.words)]

    def loops(self, entries: list[int]) -> dict[int, tuple[list[int], set[int]]]:
        """Natural loops by head row: (back-edge rows, body rows). A back-edge is a
        branch or jump (not a call) to an earlier instruction that dominates it, so
        every path from an entry to the branch passes through its target."""
        order, idom, preds = _dominators(self, entries)
        loops: dict[int, tuple[list[int], set[int]]] = {}
        for row in order:
            for head in self.successors(row):
                if head <= row and _dominates(idom, head, row):
                    edges, body = loops.setdefault(head, ([], {head}))
                    edges.append(row)
                    _add_body(body, row, preds)
        return loops


def _add_body(body: set[int], latch: int, preds: dict[int, list[int]]) -> None:
    """Add to `body` (which holds the head) every row reaching `latch` without
    passing the head."""
    work = [latch]
    while work:
        row = work.pop()
        if row not in body:
            body.add(row)
            work.extend(preds.get(row, ()))


def _dominators(code: _Code, entries: list[int]
                ) -> tuple[list[int], dict[int, int], dict[int, list[int]]]:
    """Reverse postorder of the rows reachable from `entries`, each one's immediate
    dominator (a virtual root, -1, enters every entry: Cooper, Harvey and Kennedy's
    iterative algorithm) and predecessors."""
    root, postorder, seen = -1, [], {-1}
    stack = [(root, iter(dict.fromkeys(entries)))]
    while stack:
        node, successors = stack[-1]
        for succ in successors:
            if succ not in seen:
                seen.add(succ)
                stack.append((succ, iter(code.successors(succ))))
                break
        else:
            postorder.append(node)
            stack.pop()
    rank = {node: i for i, node in enumerate(postorder)}
    order = postorder[::-1]
    preds: dict[int, list[int]] = {node: [] for node in order}
    for node in order:
        for succ in (entries if node == root else code.successors(node)):
            preds[succ].append(node)
    idom = {root: root}
    changed = True
    while changed:
        changed = False
        for node in order[1:]:
            done = [p for p in preds[node] if p in idom]
            new = done[0]
            for other in done[1:]:
                new = _intersect(idom, rank, new, other)
            if idom.get(node) != new:
                idom[node], changed = new, True
    return order[1:], idom, preds


def _intersect(idom: dict[int, int], rank: dict[int, int], a: int, b: int) -> int:
    while a != b:
        while rank[a] < rank[b]:
            a = idom[a]
        while rank[b] < rank[a]:
            b = idom[b]
    return a


def _dominates(idom: dict[int, int], a: int, b: int) -> bool:
    while b != -1:
        if b == a:
            return True
        b = idom[b]
    return False


def _code_symbols(program: Program) -> list[tuple[int, str]]:
    """Named addresses inside the code, sorted (the functions' and labels' names; not
    the assembler's own, `.L...` and `$x`, which compilers may leave in the ELF)."""
    code = [(s.addr, s.addr + len(s.data)) for s in program.segments if s.executable]
    named: dict[int, str] = {}
    for sym in sorted(program.symbols.values(), key=lambda s: (s.kind != "func", s.name)):
        if not sym.name.startswith((".L", "$")):
            named.setdefault(sym.addr, sym.name)
    return sorted((addr, name) for addr, name in named.items()
                  if any(lo <= addr < hi for lo, hi in code))


def _name(head: int, symbols: list[tuple[int, str]]) -> str:
    """`symbol+offset` of the nearest code symbol at or before `head`."""
    before = [(addr, name) for addr, name in symbols if addr <= head]
    if not before:
        return f"loop at {head:#010x}"
    addr, name = before[-1]
    return name if addr == head else f"{name}+{head - addr:#x}"


def _entries(program: Program, code: _Code, symbols: list[tuple[int, str]]) -> list[int]:
    """Where execution starts: the entry point and the functions called; then the
    code symbols none of those reach (functions called through a register)."""
    entries = [int(r) for r in code.index(np.array([program.entry])) if r >= 0]
    entries += code.call_targets()
    reached = set(_dominators(code, entries)[0])
    named = [int(r) for r in code.index(np.array([addr for addr, _ in symbols], np.int64))]
    return entries + [r for r in named if r >= 0 and r not in reached]


def find_loops(program: Program) -> list[Loop]:
    """The program's loops, in pc order (an outer loop before the loops inside it)."""
    code = _Code.of(program)
    symbols = _code_symbols(program)
    pc = lambda row: code.base + 4 * row  # noqa: E731
    found = sorted(code.loops(_entries(program, code, symbols)).items())
    loops = []
    for head, (edges, body) in found:
        depth = sum(1 for other, (_, outer) in found if other != head and head in outer)
        loops.append(Loop(pc(head), pc(max(edges)), tuple(pc(r) for r in sorted(edges)),
                          tuple(pc(r) for r in sorted(body)), _name(pc(head), symbols),
                          depth))
    return loops


# ---- the stream ---------------------------------------------------------------------------

class Timeline:
    """The pcs and retire cycles of the records co-simulation checked, kept batch by
    batch as numpy slices (a copy of two columns per batch: no per-record work)."""

    def __init__(self) -> None:
        self._pcs: list[np.ndarray] = []
        self._cycles: list[np.ndarray] = []

    def add(self, batch, count: int) -> None:
        """The first `count` records of a `RecordBatch` (one with retire cycles)."""
        if batch.cycle is not None and count:
            self._pcs.append(batch.pc[:count].astype(np.uint32))
            self._cycles.append(batch.cycle[:count].astype(np.int64))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(pcs, cycles) of every record added, in order."""
        if not self._pcs:
            return np.zeros(0, np.uint32), np.zeros(0, np.int64)
        return np.concatenate(self._pcs), np.concatenate(self._cycles)


def busy_cycles(spans: list[tuple[int, int]], after: int, through: int) -> int:
    """How many cycles of (after, through] at least one of the inclusive spans
    (first, last) covers: an engine's busy time from its instructions' spans."""
    if not spans:
        return 0
    bounds = np.asarray(spans, np.int64)
    first = np.maximum(bounds[:, 0], after + 1)
    last = np.minimum(bounds[:, 1], through)
    order = np.argsort(first, kind="stable")
    first, last = first[order], last[order]
    covered_before = np.maximum.accumulate(np.concatenate(([after], last[:-1])))
    return int(np.maximum(0, last - np.maximum(first - 1, covered_before)).sum())


def region(program: Program, pcs: np.ndarray) -> tuple[int, int, str]:
    """The stream's rows to profile, (first, last) inclusive, and the window's name:
    from the retirement after the one at `kernel_begin` through the one at
    `kernel_end` when the program has both, else every row."""
    begin, end = (program.symbols.get(name) for name in REGION)
    if begin is not None and end is not None:
        starts = np.flatnonzero(pcs == begin.addr)
        ends = np.flatnonzero(pcs == end.addr)
        if len(starts) and len(ends) and ends[0] > starts[0]:
            return int(starts[0]) + 1, int(ends[0]), "..".join(REGION)
    return 0, len(pcs) - 1, "the whole run"


def profile_loops(pcs: np.ndarray, cycles: np.ndarray, program: Program,
                  loops: list[Loop] | None = None) -> LoopProfile:
    """Charge each retired instruction the cycles since the previous retirement and
    sum them per loop (see the module's docstring). `pcs[i]` retired at `cycles[i]`;
    the first retirement of a run is charged its cycle + 1 (cycles count from 0)."""
    pcs, cycles = np.asarray(pcs, np.int64), np.asarray(cycles, np.int64)
    loops = find_loops(program) if loops is None else loops
    first, last, window = region(program, pcs)
    if last < first:
        return LoopProfile(window, 0, 0, (), 0, 0, 0)
    previous_cycles = np.concatenate(([-1], cycles))
    cost = cycles[first:last + 1] - previous_cycles[first:last + 1]
    pc = pcs[first:last + 1]
    prev_pc = np.concatenate(([-1], pcs))[first:last + 1]  # -1: before the run
    code = _Code.of(program)
    rows, prev_rows = code.index(pc), code.index(prev_pc)
    prev_calls = np.where(prev_rows >= 0, code.calls[prev_rows], False)
    prev_returns = np.where(prev_rows >= 0, code.returns[prev_rows], False)
    innermost = _innermost(loops, code, rows)
    figures = []
    for i, loop in enumerate(loops):
        active, entries = _activity(loop, pc, prev_pc, prev_calls, prev_returns)
        taken = int(np.count_nonzero((pc == loop.head) & np.isin(prev_pc, loop.back_edges)))
        own = innermost == i
        figures.append(LoopFigures(loop, entries, taken + entries, int(cost[active].sum()),
                                   int(np.count_nonzero(active)), int(cost[own].sum()),
                                   int(np.count_nonzero(own))))
    return LoopProfile(window, int(cost.sum()), len(pc), tuple(figures),
                       int(cost[innermost < 0].sum()), int(previous_cycles[first]),
                       int(cycles[last]))


def _innermost(loops: list[Loop], code: _Code, rows: np.ndarray) -> np.ndarray:
    """Each row's innermost loop (an index into `loops`, -1 for none)."""
    by_code = np.full(len(code.words) + 1, -1, np.int64)  # the last slot: outside the code
    for i, loop in sorted(enumerate(loops), key=lambda item: -len(item[1].body)):
        body = code.index(np.asarray(loop.body, np.int64))
        by_code[body[body >= 0]] = i  # larger loops first: the smallest one wins
    return by_code[rows]


def _activity(loop: Loop, pc: np.ndarray, prev_pc: np.ndarray, prev_calls: np.ndarray,
              prev_returns: np.ndarray) -> tuple[np.ndarray, int]:
    """Which rows run while `loop` is active, and how many times it was entered: it is
    entered by moving into its body other than by returning from a call, and left by
    moving out of it other than by a call."""
    inside = np.isin(pc, loop.body)
    was_inside = np.isin(prev_pc, loop.body)
    enters = inside & ~was_inside & ~prev_returns
    leaves = was_inside & ~inside & ~prev_calls
    level = int(was_inside[0]) + np.cumsum(enters.astype(np.int64) - leaves)
    return level > 0, int(np.count_nonzero(enters))


# ---- the report -----------------------------------------------------------------------------

def format_profile(profile: LoopProfile, top: int = TOP_LOOPS) -> str:
    """The report's table: the `top` loops by inclusive cycles, shown in pc order (an
    inner loop indented under its outer one), then the cycles outside every loop."""
    total = profile.cycles
    percent = lambda count: f"{100 * count / total:.1f}%" if total else "-"  # noqa: E731
    ranked = sorted(profile.loops, key=lambda f: -f.cycles)[:top]
    shown = [f for f in profile.loops if f in ranked and f.instructions]
    head = (f"  where the time went ({profile.window}: {total:,} cycles, "
            f"{profile.instructions:,} instructions)")
    if not shown:
        return head + ": no loops ran"
    header = ("loop", "pcs", "iterations", "cycles", "%", "instructions", "CPI",
              "self cycles", "self %")
    rows = [("  " * f.loop.depth + f.loop.name,
             f"{f.loop.head:08x}-{f.loop.tail:08x}", f"{f.iterations:,}", f"{f.cycles:,}",
             percent(f.cycles), f"{f.instructions:,}", f"{f.cpi:.2f}", f"{f.self_cycles:,}",
             percent(f.self_cycles)) for f in shown]
    rows.append(("(outside loops)", "", "", "", "", "", "", f"{profile.outside_cycles:,}",
                 percent(profile.outside_cycles)))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...]) -> str:
        return "    " + "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                                  for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    idle = sum(1 for f in profile.loops if not f.instructions)
    more = len(profile.loops) - len(shown) - idle
    notes = [f"{more} more not shown"] * (more > 0) + [f"{idle} did not run"] * (idle > 0)
    note = f" ({'; '.join(notes)})" if notes else ""
    return "\n".join([head + f", by loop{note}:", line(header),
                      *map(line, rows)])


def figures(profile: LoopProfile) -> list[dict]:
    """The profile for --stats-json: one entry per loop that ran."""
    return [{"loop": f.loop.name, "head": f.loop.head, "tail": f.loop.tail,
             "depth": f.loop.depth, "iterations": f.iterations, "entries": f.entries,
             "cycles": f.cycles, "instructions": f.instructions,
             "self_cycles": f.self_cycles, "self_instructions": f.self_instructions}
            for f in profile.loops if f.instructions]
