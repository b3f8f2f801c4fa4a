"""The co-simulation report of a compiled operator kernel: how fast it ran on this core
configuration and why.

Figures come from the launch program's own measurements, read back from the RTL's
memory: the cycle counter at `kernel_begin` and `kernel_end` (the grid loop) and the
tensor engine's performance counters at both points (`sw.compiler.launch`). The
roofline bound is the larger of the compute bound (the shape's MACs at TDIM^2 per
cycle) and the memory bound (the bytes that must cross the engine's port at least, at
its width per cycle).
"""

from __future__ import annotations

import struct
from typing import Callable

from cosim.kernels import KernelCase, launch_values
from oxcore.config import OxCoreConfig
from sw.compiler.launch import COUNTERS_SYMBOL, CYCLES_SYMBOL, TENSOR_COUNTERS


def _words(read: Callable[[int, int], bytes], case: KernelCase, symbol: str) -> list[int]:
    sym = case.program.symbol(symbol)
    data = bytes(read(sym.addr, sym.size))
    return list(struct.unpack(f"<{sym.size // 4}I", data))


def launch_report(case: KernelCase, config: OxCoreConfig, memory) -> tuple[str, dict]:
    """Report lines and figures (for --stats-json) of a compiled kernel's run."""
    read = lambda addr, n: memory[addr][:n]  # noqa: E731
    begin, end = _words(read, case, CYCLES_SYMBOL)
    cycles = (end - begin) & 0xFFFF_FFFF
    kernel, launch = case.kernel, case.kernel.launch
    assert launch is not None
    names = launch_values(kernel, case.params, config)
    grid = "x".join(str(eval(g, {"__builtins__": {}}, dict(names))) for g in launch.grid)
    lines = [f"  kernel: {cycles:,} cycles from kernel_begin to kernel_end, "
             f"{grid} programs"]
    figures: dict[str, object] = {"kernel_cycles": cycles}
    macs = int(eval(launch.macs, {"__builtins__": {}}, dict(names)))
    min_bytes = int(eval(launch.min_bytes, {"__builtins__": {}}, dict(names)))
    if config.tensor is not None and "tensor" in kernel.engines:
        counters = _words(read, case, COUNTERS_SYMBOL)
        n = len(TENSOR_COUNTERS)
        delta = {name: (counters[n + i] - counters[i]) & 0xFFFF_FFFF
                 for i, name in enumerate(TENSOR_COUNTERS)}
        peak = config.tensor.tdim ** 2
        port_bytes = config.tensor.port_bits // 8
        compute_bound = -(-macs // peak)
        memory_bound = -(-min_bytes // port_bytes)
        bound = max(compute_bound, memory_bound)
        utilization = macs / (cycles * peak) if cycles else 0.0
        share = lambda count: 100.0 * count / cycles if cycles else 0.0  # noqa: E731
        issue = cycles - delta["tactive"] - delta["tstall_operand"] - delta["tstall_port"]
        lines += [
            f"  tensor engine: MAC utilization {100 * utilization:.1f}% "
            f"({macs:,} MACs over {cycles:,} cycles x TDIM^2 = {peak} MACs/cycle); "
            f"array k-steps {share(delta['tactive']):.1f}% of cycles "
            f"({delta['tmacs']:,} MACs with edge padding)",
            f"  roofline: compute bound {compute_bound:,} cycles, memory bound "
            f"{memory_bound:,} cycles ({min_bytes:,} bytes at {port_bytes} bytes/cycle): "
            f"{'compute' if compute_bound >= memory_bound else 'memory'}-bound; "
            f"{100 * bound / cycles:.1f}% of the bound" if cycles else "",
            f"  where the array's cycles went: compute {share(delta['tactive']):.1f}%, "
            f"operand wait {share(delta['tstall_operand']):.1f}%, port wait "
            f"{share(delta['tstall_port']):.1f}%, issue/other {share(issue):.1f}% "
            f"(queue full {share(delta['tqfull']):.1f}% of cycles, engine busy "
            f"{share(delta['tbusy']):.1f}%)",
        ]
        figures.update({"mac_utilization": utilization, "roofline_fraction":
                        bound / cycles if cycles else 0.0, "tensor_counters": delta})
    if config.vector is not None and "vector" in kernel.engines:
        elements = int(eval(launch.elements, {"__builtins__": {}}, dict(names)))
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
        figures.update({"elements_per_cycle": rate,
                        "roofline_fraction": bound / cycles if cycles else 0.0})
    return "\n".join(lines), figures
