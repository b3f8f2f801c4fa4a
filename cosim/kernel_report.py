"""The co-simulation report of a compiled operator kernel: how fast it ran on this core
configuration and why.

Figures come from the launch program's own measurements, read back from the RTL's
memory: the cycle counter at `kernel_begin` and `kernel_end` (the grid loop) and the
engines' performance counters at both points (`sw.compiler.launch`). The
roofline bound is the larger of the compute bound (the shape's MACs at TDIM^2 per
cycle) and the memory bound (the bytes that must cross the engine's port at least, at
its width per cycle).

Given the run's retirement stream (pcs and retire cycles), it also says how busy each
engine was over the same window and where the time went loop by loop
(`cosim.loop_profile`; `run_report`, which every kernel's report ends with): the
scalar core is busy in the cycles it retires an instruction; the vector engine while it
holds an instruction (from the cycle after its record retires through its last report
beat, `cosim.completions`); the tensor engine as its `tbusy` counter says.
"""

from __future__ import annotations

import struct
from typing import Callable

from cosim.kernels import KernelCase, evaluate, launch_values
from cosim.loop_profile import LoopProfile, busy_cycles, format_profile, profile_loops
from cosim.loop_profile import figures as loop_figures
from oxcore.config import OxCoreConfig
from oxcore.program import Program
from sw.compiler.launch import (COUNTERS_SYMBOL, CYCLES_SYMBOL, TENSOR_COUNTERS,
                                VECTOR_COUNTERS, VECTOR_COUNTERS_SYMBOL)


def _words(read: Callable[[int, int], bytes], case: KernelCase, symbol: str) -> list[int]:
    sym = case.program.symbol(symbol)
    data = bytes(read(sym.addr, sym.size))
    return list(struct.unpack(f"<{sym.size // 4}I", data))


def counter_deltas(raw: bytes, names: tuple[str, ...] = TENSOR_COUNTERS) -> dict[str, int]:
    """The counters' increase between two snapshots, each the words of `names` in order
    (the launch program's `launch_counters` and `launch_vector_counters`, the
    hand-written GEMM's `PERF`)."""
    words = struct.unpack(f"<{len(raw) // 4}I", raw)
    n = len(names)
    return {name: (words[n + i] - words[i]) & 0xFFFF_FFFF for i, name in enumerate(names)}


def vector_line(delta: dict[str, int], cycles: int) -> str:
    """Where the vector engine's cycles went, from its counters (`VECTOR_COUNTERS`):
    each sequencer's active share, the issue-check and full-queue waits, busy
    (`sw.compiler.launch` keeps its own reads out of them, but for two csrr's worth of
    vactive_alu)."""
    share = lambda count: 100.0 * count / cycles if cycles else 0.0  # noqa: E731
    return (f"  vector counters: arithmetic sequencer active {share(delta['vactive_alu']):.1f}%, "
            f"load/store {share(delta['vactive_lsu']):.1f}%, issue-check wait "
            f"{share(delta['vstall_issue']):.1f}%, queue full {share(delta['vstall_queue']):.1f}%"
            f", engine busy {share(delta['vbusy']):.1f}% of cycles; "
            f"{delta['velements']:,} body elements")


def cycle_split(delta: dict[str, int], cycles: int) -> dict[str, float]:
    """How the array's cycles split (fractions of `cycles`): k-steps (compute), waiting
    for a tile being moved (operand) or for the load/store unit (port), the rest."""
    split = {"compute": delta["tactive"] / cycles, "operand": delta["tstall_operand"] / cycles,
             "port": delta["tstall_port"] / cycles}
    split["issue"] = 1 - sum(split.values())
    return split


def engines_busy(profile: LoopProfile, config: OxCoreConfig,
                 engine_spans: dict[str, list[tuple[int, int]]],
                 tensor_busy: float | None) -> dict[str, float]:
    """Each engine's busy fraction of the kernel: scalar (cycles retiring an
    instruction), vector (cycles holding an instruction, from its instructions' spans
    over the profile's window), tensor (`tensor_busy`: its `tbusy` counter's share)."""
    cycles = profile.cycles
    if not cycles:
        return {}
    busy = {"scalar": profile.instructions / cycles}
    if config.vector is not None:
        busy["vector"] = busy_cycles(engine_spans.get("vector", []), profile.first_cycle,
                                     profile.last_cycle) / cycles
    if config.tensor is not None and tensor_busy is not None:
        busy["tensor"] = tensor_busy
    return busy


def _busy_line(busy: dict[str, float]) -> str:
    shares = ", ".join(f"{name} {100 * share:.1f}%" for name, share in busy.items())
    return f"  engines busy: {shares} (scalar: cycles retiring an instruction)"


def run_report(program: Program, config: OxCoreConfig, timeline: tuple, rtl,
               tensor_busy: float | None = None) -> tuple[str, dict]:
    """The engines' busy shares and the loop profile of a run (any kernel's), from its
    `timeline` (pcs, retire cycles) and its `RtlStop`; `tensor_busy` is the tensor
    engine's `tbusy` share when the program read it (engines without a figure are left
    out)."""
    profile = profile_loops(*timeline, program)
    busy = engines_busy(profile, config, rtl.engine_spans, tensor_busy)
    lines = [_busy_line(busy)] if busy else []
    lines.append(format_profile(profile))
    return "\n".join(lines), {"engines_busy": busy, "loops": loop_figures(profile)}


def launch_report(case: KernelCase, config: OxCoreConfig, memory,
                  timeline: tuple | None = None, rtl=None) -> tuple[str, dict]:
    """Report lines and figures (for --stats-json) of a compiled kernel's run; with the
    run's `timeline` (pcs, retire cycles) and its `RtlStop`, the engines' busy shares
    and the loop profile too."""
    read = lambda addr, n: memory[addr][:n]  # noqa: E731
    begin, end = _words(read, case, CYCLES_SYMBOL)
    cycles = (end - begin) & 0xFFFF_FFFF
    kernel, launch = case.kernel, case.kernel.launch
    assert launch is not None
    names = launch_values(kernel, case.params, config)
    grid = "x".join(str(evaluate(g, names, kernel)) for g in launch.grid)
    lines = [f"  kernel: {cycles:,} cycles from kernel_begin to kernel_end, "
             f"{grid} programs"]
    figures: dict[str, object] = {"kernel_cycles": cycles}
    tensor_busy = None
    macs = evaluate(launch.macs, names, kernel)
    min_bytes = evaluate(launch.min_bytes, names, kernel)
    if config.tensor is not None and "tensor" in kernel.engines:
        sym = case.program.symbol(COUNTERS_SYMBOL)
        delta = counter_deltas(bytes(read(sym.addr, sym.size)))
        peak = config.tensor.tdim ** 2
        port_bytes = config.tensor.port_bits // 8
        compute_bound = -(-macs // peak)
        memory_bound = -(-min_bytes // port_bytes)
        bound = max(compute_bound, memory_bound)
        utilization = macs / (cycles * peak) if cycles else 0.0
        share = lambda count: 100.0 * count / cycles if cycles else 0.0  # noqa: E731
        split = cycle_split(delta, cycles) if cycles else dict.fromkeys(
            ("compute", "operand", "port", "issue"), 0.0)
        lines += [
            f"  tensor engine: MAC utilization {100 * utilization:.1f}% "
            f"({macs:,} MACs over {cycles:,} cycles x TDIM^2 = {peak} MACs/cycle); "
            f"array k-steps {share(delta['tactive']):.1f}% of cycles "
            f"({delta['tmacs']:,} MACs with edge padding)",
            f"  roofline: compute bound {compute_bound:,} cycles, memory bound "
            f"{memory_bound:,} cycles ({min_bytes:,} bytes at {port_bytes} bytes/cycle): "
            f"{'compute' if compute_bound >= memory_bound else 'memory'}-bound; "
            f"{100 * bound / cycles:.1f}% of the bound" if cycles else "",
            f"  where the array's cycles went: compute {100 * split['compute']:.1f}%, "
            f"operand wait {100 * split['operand']:.1f}%, port wait "
            f"{100 * split['port']:.1f}%, issue/other {100 * split['issue']:.1f}% "
            f"(queue full {share(delta['tqfull']):.1f}% of cycles, engine busy "
            f"{share(delta['tbusy']):.1f}%)",
        ]
        figures.update({"mac_utilization": utilization, "roofline_fraction":
                        bound / cycles if cycles else 0.0, "tensor_counters": delta})
        tensor_busy = delta["tbusy"] / cycles if cycles else 0.0
    if config.vector is not None and "vector" in kernel.engines:
        elements = evaluate(launch.elements, names, kernel)
        lanes = config.vector.lanes
        per_cycle = lanes * 32 // launch.element_bits
        port_bytes = lanes * 4
        compute_bound = -(-elements // per_cycle)
        memory_bound = -(-min_bytes // port_bytes)
        bound = max(compute_bound, memory_bound)
        rate = elements / cycles if cycles else 0.0
        lines += [
            f"  vector engine: {elements:,} elements in {cycles:,} cycles, {rate:.2f} a "
            f"cycle; roofline bound {bound:,} cycles (compute {compute_bound:,}: "
            f"{per_cycle} elements of {launch.element_bits} bits a cycle on {lanes} lanes; "
            f"memory {memory_bound:,}: {min_bytes:,} bytes at {port_bytes} a cycle): "
            f"{100 * bound / cycles:.1f}% of the bound" if cycles else ""]
        sym = case.program.symbol(VECTOR_COUNTERS_SYMBOL)
        delta = counter_deltas(bytes(read(sym.addr, sym.size)), VECTOR_COUNTERS)
        lines.append(vector_line(delta, cycles))
        figures.update({"elements_per_cycle": rate,
                        "roofline_fraction": bound / cycles if cycles else 0.0,
                        "vector_counters": delta})
    if timeline is not None and rtl is not None:
        report, more = run_report(case.program, config, timeline, rtl, tensor_busy)
        lines.append(report)
        figures.update(more)
    return "\n".join(lines), figures
