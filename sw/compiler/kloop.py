"""Software pipelining of a tl.dot's K loop: the order of one iteration's tmma and where
each operand tile's load goes, so that the next k-step's loads overlap this one's tmma.

**The problem.** A register-blocked GEMM keeps an MxN block of accumulator tiles and,
per k-step, one tile register per row of A tiles and per column of B tiles (a *slot*:
the k-step after reuses it). The tensor engine issues in program order, with one
reordering: a tmma the array cannot take yet waits in a parked register, and tile loads
behind it may pass it (docs/tensor.md, "Queue and issue"). A load into a slot waits
until the tmma reading the slot's previous tile has finished. Loaded just before its
first use (selection's lazy order), the next k-step's tiles are loaded only after the
array has finished with the slots, and the array waits for them; a tld.bt (37 cycles at
TDIM 8) is longer than a tmma (32).

**The schedule.** Each tile's load goes right after the tmma that follows its slot's
last reader (`offset` 1; or right after the reader, 0), but before its own first use.
A load whose place falls before the iteration's start goes into the previous iteration
(a *prefetch*: selection emits it there with the next iteration's addresses and masks,
behind a branch for the loop's last iteration). Loads at one place go in the order
their slots were last read. Which tmma order (the accumulator block by rows or by
columns) and which offset are best depends on the loads' costs (tld.b against
tld.bt), so `plan_k_loop` runs a model of the engine's queue (`simulate_queue`) over a
few programs for every candidate pair (the peeled first iteration's plan, the loop's)
and keeps the fastest; selection's own order is a candidate, and wins ties. Worked out
by hand for 2x2 tiles with B loaded transposed (tests/sw/compiler/test_kloop.py): order
C00, C10, C01, C11; B0 prefetched after C01; A0 at the iteration's start; A1, B1 after
C00: the array never waits in the steady state.

The model leaves out the scalar core, which must keep the queue fed: Triton's
`num_stages` (`Selector.num_stages`) lets a kernel turn the pipelining off (1) or on
(2 or more) where the model's choice is wrong for it.

Operand tiles of k-tile `kt` share their slot's register with every other k-tile's
(`slot`): the register allocator sees one register per slot, and the schedule, not the
allocator, decides when a slot is reloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

#: Cycles a tile load takes beyond its port cycles (request, response, the write).
LOAD_OVERHEAD = 4

Tile = tuple[str, tuple[int, int]]  # ("a", (mt, kt)) or ("b", (kt, nt))


@dataclass(frozen=True)
class KStep:
    """One iteration of a dot loop: an m_tiles x n_tiles accumulator block, k_tiles tile
    k-steps (4*TDIM deep each), and the engine cycles of its instructions; at a
    program's start, each accumulator tile is stored for the previous program
    (`store_cycles`, 0: no deferred store) and started (a bias row's load,
    `start_cycles`; 0: a tzero)."""

    m_tiles: int
    n_tiles: int
    k_tiles: int
    tmma_cycles: int
    a_load_cycles: int
    b_load_cycles: int
    store_cycles: int = 0
    start_cycles: int = 0


@dataclass(frozen=True)
class KLoopPlan:
    """`order`: the iteration's tmma, (kt, mt, nt) each. `loads`: (position, tile) in
    emission order, position q meaning right after tmma q of the iteration (-1: before
    the first). `prefetches`: the same for the next iteration's tiles that this one
    loads (if there is a next one). The loop's plan loads the tiles it prefetches only
    then; the peeled first iteration's (`first`) loads all its tiles itself and
    prefetches those the loop's plan expects."""

    order: tuple[tuple[int, int, int], ...]
    loads: tuple[tuple[int, Tile], ...]
    prefetches: tuple[tuple[int, Tile], ...] = ()
    offset: int = 1
    first: bool = False

    def prefetched(self) -> set[Tile]:
        return {tile for _, tile in self.prefetches}

    def describe(self) -> str:
        """The iteration as emitted, for comments and reports."""
        n = len(self.order)
        out: list[str] = []
        for position in range(-1, n):
            if position >= 0:
                kt, mt, nt = self.order[position]
                out.append(f"tmma C{mt}{nt}" + (f"(k{kt})" if kt else ""))
            out += ["load " + _name(tile) for at, tile in self.loads if at == position]
            out += ["prefetch " + _name(tile) for at, tile in self.prefetches
                    if at == position]
        return "; ".join(out)


def slot(tile: Tile) -> tuple[str, int]:
    """The register a dot operand tile is loaded into: A's row of tiles, B's column."""
    operand, (i, j) = tile
    return (operand, i) if operand == "a" else (operand, j)


def _name(tile: Tile) -> str:
    operand, (i, j) = tile
    kt, index = (j, i) if operand == "a" else (i, j)
    return f"{operand.upper()}{index}" + (f"(k{kt})" if kt else "")


def orders(step: KStep) -> dict[str, tuple[tuple[int, int, int], ...]]:
    """Candidate tmma orders: k-tile by k-tile (a slot's tiles are then used in k
    order), the accumulator block by rows or by columns."""
    rows = list(product(range(step.m_tiles), range(step.n_tiles)))
    columns = [(mt, nt) for nt, mt in product(range(step.n_tiles), range(step.m_tiles))]
    return {name: tuple((kt, mt, nt) for kt in range(step.k_tiles) for mt, nt in block)
            for name, block in (("rows", rows), ("columns", columns))}


def _uses(order: tuple[tuple[int, int, int], ...]) -> dict[Tile, list[int]]:
    uses: dict[Tile, list[int]] = {}
    for index, (kt, mt, nt) in enumerate(order):
        uses.setdefault(("a", (mt, kt)), []).append(index)
        uses.setdefault(("b", (kt, nt)), []).append(index)
    return uses


def _previous(tile: Tile, k_tiles: int) -> tuple[Tile, bool]:
    """The tile its slot held before (the previous k-tile's), and whether that was in
    the previous iteration."""
    operand, (i, j) = tile
    kt = j if operand == "a" else i
    previous_kt = (kt - 1) % k_tiles
    return (operand, (i, previous_kt) if operand == "a" else (previous_kt, j)), \
        previous_kt >= kt


def place_loads(order: tuple[tuple[int, int, int], ...], step: KStep, offset: int,
                prefetch: set[Tile] | None = None,
                previous_order: tuple[tuple[int, int, int], ...] | None = None) -> KLoopPlan:
    """Each tile's load right after the tmma `offset` after its slot's previous tile's
    last reader (this iteration's previous k-tile, or the previous iteration's last),
    and before its own first use; before the iteration's start, it is a prefetch. Loads
    at one place go in the order their slots were last read (the engine issues in
    order: a load waiting for a slot the array still reads holds up those behind it).
    `prefetch` given: the plan of the peeled first iteration, which has no iteration
    before it in its program (its loads start at -1, ordered by the previous program's
    last iteration, run in `previous_order`) and prefetches those tiles for the loop."""
    n = len(order)
    uses = _uses(order)
    previous_uses = _uses(previous_order or order)
    loads: list[tuple[int, int, Tile]] = []  # (position, the slot's last read, tile)
    prefetches: list[tuple[int, int, Tile]] = []
    for tile, indices in uses.items():
        previous, before = _previous(tile, step.k_tiles)
        last_reader = max((previous_uses if before else uses)[previous]) - (n if before else 0)
        position = min(last_reader + offset, indices[0] - 1)
        if prefetch is not None:
            loads.append((max(position, -1), last_reader, tile))
            if tile in prefetch:  # for the loop's first iteration, after this one's
                # last read of the slot (its last k-tile's)
                last = max(uses[previous])
                prefetches.append((min(last + offset, n - 1), last, tile))
        elif position < -1:
            prefetches.append((position + n, last_reader + n, tile))
        else:
            loads.append((position, last_reader, tile))

    def ordered(entries: list[tuple[int, int, Tile]]) -> tuple[tuple[int, Tile], ...]:
        entries.sort(key=lambda e: (e[0], e[1], e[2][0], e[2][1]))
        return tuple((position, tile) for position, _, tile in entries)
    return KLoopPlan(order, ordered(loads), ordered(prefetches), offset, prefetch is not None)


def _queue(plans: list[KLoopPlan], step: KStep, stores: bool) -> list[tuple]:
    """The tensor engine's queue for iterations run with `plans` (each prefetching only
    if an iteration follows): ("mma", cycles, written, read...), ("load", slot, cycles),
    ("store", slot, cycles). A peeled iteration stores (`stores`) and starts each
    accumulator tile before its first tmma."""
    queue: list[tuple] = []
    for number, plan in enumerate(plans):
        n = len(plan.order)
        has_next = number + 1 < len(plans)
        started: set[tuple[int, int]] = set()
        for position in range(-1, n):
            if position >= 0:
                kt, mt, nt = plan.order[position]
                acc = ("c", mt * step.n_tiles + nt)
                if plan.first and (mt, nt) not in started:
                    started.add((mt, nt))
                    if stores and step.store_cycles:
                        queue.append(("store", acc, step.store_cycles))
                    if step.start_cycles:
                        queue.append(("load", acc, step.start_cycles))
                    else:
                        queue.append(("mma", 1, acc))
                queue.append(("mma", step.tmma_cycles, acc, slot(("a", (mt, kt))),
                              slot(("b", (kt, nt)))))
            for at, tile in plan.loads + (plan.prefetches if has_next else ()):
                if at == position:
                    cycles = step.a_load_cycles if tile[0] == "a" else step.b_load_cycles
                    queue.append(("load", slot(tile), cycles))
    return queue


def simulate_queue(queue: list[tuple]) -> int:
    """Cycles until the queue's last instruction ends, by a model of the tensor engine:
    an in-order queue with one parked compute instruction (the array's next, which tile
    loads and stores may pass), the array and the load/store unit one instruction at a
    time each, an instruction waiting for the other unit's on any of its tiles (a load
    may start in the last cycle of the tmma reading its tile; a store copies its tile
    as it starts), a tmma for its operands' loads."""
    head = 0  # when the next queue entry becomes the head
    mac_free = 0  # when the array can start the next compute instruction
    previous_start = 0  # the last compute instruction's start: the parked register frees
    lsu_free = 0
    lsu_done: dict[tuple[str, int], int] = {}  # slot -> when the LSU's last access ends
    mac_done: dict[tuple[str, int], int] = {}  # slot -> when the array's last use ends
    end = 0
    for entry in queue:
        if entry[0] == "mma":
            cycles, tiles = entry[1], entry[2:]
            leave = max(head, previous_start)  # into the array, or parked
            start = max([leave, mac_free] + [lsu_done.get(t, 0) for t in tiles])
            previous_start, mac_free = start, start + cycles
            for tile in tiles:
                mac_done[tile] = mac_free
            head = leave + 1
        else:
            kind, tile, cycles = entry
            wait = mac_done.get(tile, 0) - (1 if kind == "load" else 0)
            issue = max(head, lsu_free, wait)
            lsu_free = issue + cycles
            # a store copies its tile as it starts: the tile is free from then on
            lsu_done[tile] = lsu_free if kind == "load" else issue + 1
            head = issue + 1
        end = max(end, mac_free, lsu_free)
    return end


def simulate(loop: KLoopPlan, step: KStep, iterations: int = 4,
             first: KLoopPlan | None = None) -> int:
    """Cycles of `iterations` iterations of one program: the peeled first (`first`; by
    default `loop`'s order loading every tile itself), then the loop's."""
    if first is None:
        first = place_loads(loop.order, step, loop.offset, loop.prefetched())
    return simulate_queue(_queue([first] + [loop] * (iterations - 1), step, stores=False))


def simulate_programs(first: KLoopPlan, loop: KLoopPlan, step: KStep,
                      iterations: int, programs: int = 3) -> int:
    """Cycles of `programs` programs of `iterations` iterations each, every program
    after the first storing the previous one's accumulator tiles in its peeled
    iteration (the deferred store)."""
    queue: list[tuple] = []
    for program in range(programs):
        queue += _queue([first] + [loop] * (iterations - 1), step, stores=program > 0)
    return simulate_queue(queue)


#: Iterations a program is assumed to run when choosing plans: a K loop is seldom
#: long (64 and 128 deep at BLOCK_K 32), and its first iteration, with the previous
#: program's stores, weighs as much as the steady state.
PLANNED_ITERATIONS = (2, 4)


def selection_order(step: KStep) -> tuple[KLoopPlan, KLoopPlan]:
    """The plans of selection's order without pipelining: by rows, each tile loaded
    just before its first use."""
    order = orders(step)["rows"]
    lazy = len(order)
    return place_loads(order, step, lazy, set(), order), place_loads(order, step, lazy)


def plan_k_loop(step: KStep, pipelined: bool | None = None) -> tuple[KLoopPlan, KLoopPlan]:
    """The peeled first iteration's plan and the loop's: of every candidate pair
    (tmma order x load offset, for each), the one whose simulated programs end first
    (`simulate_programs`, summed over `PLANNED_ITERATIONS`); ties go to the earlier
    candidate, and the first is selection's order without pipelining (by rows, each
    load just before its first use: offset len(order)), which needs no prefetch code.
    `pipelined` True: only candidates whose loop prefetches (a kernel asked for
    pipelining, `num_stages` >= 2), when there are any; False: selection's order."""
    if pipelined is False:
        return selection_order(step)
    lazy = step.m_tiles * step.n_tiles * step.k_tiles
    candidates = [(order, offset) for order in orders(step).values()
                  for offset in (lazy, 1, 0)]
    best: tuple[int, KLoopPlan, KLoopPlan] | None = None
    for loop_order, loop_offset in candidates:
        loop = place_loads(loop_order, step, loop_offset)
        if pipelined and not loop.prefetched():
            continue
        for order, offset in candidates:
            first = place_loads(order, step, offset, loop.prefetched(), loop.order)
            cycles = sum(simulate_programs(first, loop, step, iterations)
                         for iterations in PLANNED_ITERATIONS)
            if best is None or cycles < best[0]:
                best = (cycles, first, loop)
    if best is None:  # nothing to prefetch in any candidate
        return selection_order(step)
    return best[1], best[2]
