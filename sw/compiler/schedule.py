"""Instruction scheduling after register allocation: list scheduling of each
straight-line region against the configuration's machine model
(`sw.compiler.machine_model`).

**Why after allocation.** The kernels' pressure is high (the gemm uses every x register
but t5/t6 and spills nothing); a scheduler before allocation would lengthen lifetimes and
bring spills back, and a spilled value's reload or store waits for the engines (the
memory-order rule), which costs far more than any stall scheduling removes. After
allocation, the order may change only where the physical registers allow it, which
keeps every allocation decision valid.

**Regions.** A region is a maximal run of instructions without a branch, a CSR access or
another barrier (`MachineModel.is_barrier`) inside one block; barriers stay where they
are. Selection lays out code as straight lines with branches to cold blocks in between
(an empty edge tile, a changed trows), so regions are short; what moves is the scalar
work between engine instructions.

**Dependences** (edges with a minimum issue distance):

- x registers: read after write (the producer's result latency: a load 2, a mul
  `mul_latency`), write after read and write after write (1: only the order);
- each engine's instructions keep their order (its queue is in order; vector and tile
  registers are only touched by their engine, so this also orders every v/m register
  dependence and the engine's implicit state, vl/vtype);
- memory: two accesses of which one stores keep their order (scalar or engine);
- memory order with busy engines: a scalar store keeps its place relative to every
  engine instruction, a scalar load relative to engine instructions that may write
  memory (`MachineModel.orders_scalar_loads`).

**The list scheduler** simulates the in-order single-issue pipeline cycle by cycle: of
the instructions whose dependences are met at the current cycle (and, for a mul, no
claimed instruction in EX/MEM/WB), it issues the one with the longest path to the end
of the region, ties broken by the original order; when none is ready it lets the
cycle pass. The path length counts the producers' latencies and, along each engine's
order, the engine's occupancy: an engine instruction with much engine work behind it,
and the scalar instructions computing its operands, go first, so the engine's queue
fills early, and scalar bookkeeping (counters, the next program's ids) fills the
bubbles. A region keeps its original order when the model says the new one is not
faster.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from oxcore.config import OxCoreConfig
from sw.compiler.machine_model import MUL_CLEARANCE, MachineModel
from sw.compiler.mir import MFunction, MInstr, PReg


@dataclass(eq=False)
class _Node:
    ins: MInstr
    index: int  # in the original order
    # (successor, issue distance: cycles after this one's issue it may issue at the
    # earliest, weight on the path to the region's end: the distance, or for the next
    # instruction of the same engine this one's occupancy of the engine)
    succs: list[tuple["_Node", int, int]] = field(default_factory=list)
    preds: int = 0
    height: int = 0
    earliest: int = 0


def schedule(fn: MFunction, config: OxCoreConfig) -> int:
    """Reorder each region of `fn` (allocated to physical registers) in place; returns
    how many regions changed order."""
    model = MachineModel.from_config(config)
    reordered = 0
    for block in fn.blocks:
        out: list[MInstr] = []
        region: list[MInstr] = []
        for ins in block.instrs:
            if model.is_barrier(ins):
                order = _schedule_region(region, model, _last_claimed(out, model))
                reordered += order != region
                out += order + [ins]
                region = []
            else:
                region.append(ins)
        order = _schedule_region(region, model, _last_claimed(out, model))
        reordered += order != region
        block.instrs = out + order
    return reordered


def _last_claimed(before: list[MInstr], model: MachineModel) -> int:
    """When the last claimed instruction before a region issued, in the region's cycles
    (its first instruction issues at 0); at a block's start, not knowing the way in, as
    if one issued just before."""
    for distance, ins in enumerate(reversed(before), start=1):
        if model.is_claimed(ins):
            return -distance
    return -len(before) - 1


def _schedule_region(region: list[MInstr], model: MachineModel,
                     last_claimed: int) -> list[MInstr]:
    """The region's new order, or `region` itself when the model finds it no better
    (not faster, nor the engines served sooner)."""
    if len(region) < 2:
        return region
    order = _list_schedule(_dependence_graph(region, model), model, last_claimed)
    if estimate_cycles(order, model, last_claimed) >= \
            estimate_cycles(region, model, last_claimed):
        return region
    return order


def _x_reads(ins: MInstr) -> list[PReg]:
    return [r for r in ins.uses() if isinstance(r, PReg) and r.cls == "x" and r.index]


def _x_writes(ins: MInstr) -> list[PReg]:
    return [r for r in ins.defs() if isinstance(r, PReg) and r.cls == "x" and r.index]


def _dependence_graph(region: list[MInstr], model: MachineModel) -> list[_Node]:
    nodes = [_Node(ins, i) for i, ins in enumerate(region)]

    def edge(a: _Node, b: _Node, distance: int, weight: int | None = None) -> None:
        a.succs.append((b, distance, distance if weight is None else weight))
        b.preds += 1

    writer: dict[PReg, _Node] = {}
    readers: dict[PReg, list[_Node]] = defaultdict(list)
    last_of_engine: dict[str, _Node] = {}
    earlier: list[_Node] = []
    for node in nodes:
        ins = node.ins
        for reg in _x_reads(ins):
            if reg in writer:
                edge(writer[reg], node, model.result_latency(writer[reg].ins))
        for reg in _x_writes(ins):
            for reader in readers[reg]:
                if reader is not node:
                    edge(reader, node, 1)
            if reg in writer:
                edge(writer[reg], node, 1)
        engine = ins.engine
        if engine != "scalar":
            if engine in last_of_engine:
                previous = last_of_engine[engine]
                edge(previous, node, 1, max(1, model.occupancy(previous.ins)))
            last_of_engine[engine] = node
        for other in earlier:
            if _memory_ordered(other.ins, ins, model):
                edge(other, node, 1)
        for reg in _x_reads(ins):
            readers[reg].append(node)
        for reg in _x_writes(ins):
            writer[reg] = node
            readers[reg] = []
        earlier.append(node)
    for node in reversed(nodes):
        node.height = max((weight + succ.height for succ, _, weight in node.succs),
                          default=model.occupancy(node.ins))
    return nodes


def _memory_ordered(first: MInstr, second: MInstr, model: MachineModel) -> bool:
    """Must `second` stay after `first` for memory's sake?"""
    a, b = model.memory(first), model.memory(second)
    if a and b and "store" in (a, b):
        return True
    for scalar, access, engine_ins in ((first, a, second), (second, b, first)):
        if scalar.engine != "scalar" or engine_ins.engine == "scalar":
            continue
        if access == "store":
            return True
        if access == "load" and model.orders_scalar_loads(engine_ins):
            return True
    return False


def _list_schedule(nodes: list[_Node], model: MachineModel,
                   last_claimed: int) -> list[MInstr]:
    waiting = {id(n): n.preds for n in nodes}
    ready = [n for n in nodes if n.preds == 0]
    order: list[MInstr] = []
    cycle = 0
    while ready:
        def start(n: _Node) -> int:
            at = n.earliest
            if model.is_multiply(n.ins):
                at = max(at, last_claimed + MUL_CLEARANCE)
            return at
        issuable = [n for n in ready if start(n) <= cycle]
        if not issuable:
            cycle = min(start(n) for n in ready)
            continue
        node = max(issuable, key=lambda n: (n.height, -n.index))
        ready.remove(node)
        order.append(node.ins)
        if model.is_claimed(node.ins):
            last_claimed = cycle
        for succ, distance, _ in node.succs:
            succ.earliest = max(succ.earliest, cycle + distance)
            waiting[id(succ)] -= 1
            if waiting[id(succ)] == 0:
                ready.append(succ)
        cycle += model.issue_cycles(node.ins)
    return order


def estimate_cycles(region: list[MInstr], model: MachineModel,
                    last_claimed: int = -1) -> tuple[int, int]:
    """The model's cycles to issue `region` in the given order (`last_claimed`: when the
    last claimed instruction before it issued), and the sum of the cycles at which its
    engine instructions issue: what the scheduler minimises, in that order."""
    ready_at: dict[PReg, int] = {}
    cycle, engine_issue = 0, 0
    for ins in region:
        at = max([cycle] + [ready_at.get(r, 0) for r in _x_reads(ins)])
        if model.is_multiply(ins):
            at = max(at, last_claimed + MUL_CLEARANCE)
        for reg in _x_writes(ins):
            ready_at[reg] = at + model.result_latency(ins)
        if model.is_claimed(ins):
            last_claimed = at
        if ins.engine != "scalar":
            engine_issue += at
        cycle = at + model.issue_cycles(ins)
    return cycle, engine_issue
