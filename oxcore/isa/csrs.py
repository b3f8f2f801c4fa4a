"""Control and status registers that OxCore implements (read-only counters).

The ISA table refers to CSRs by number; assembler and disassembler use these names.
hpmcounter3..31 are reserved for OxCore performance counters (stall causes, engine
activity); `PERF_COUNTERS` names the ones a core implements.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Csr:
    """A CSR. `writable` ones keep what is written (the interpreter models their state,
    starting at `reset`); the others are read-only or computed (counters). `timing`
    ones count what depends on timing (an engine's busy and stall cycles): the
    interpreter and the RTL legitimately differ there, and co-simulation gives the
    interpreter the RTL's value, as for cycle and the hpmcounters."""

    number: int
    name: str
    description: str
    writable: bool = False
    reset: int = 0
    timing: bool = False


@dataclass(frozen=True)
class PerfCounter:
    """An OxCore performance counter, read as hpmcounter<index> (and ...h)."""

    index: int  # 3..31
    name: str  # OxCore name, used by the RTL harness's counter report
    description: str


# What the RTL pipeline (hw/oxcore/csr.py) counts. The interpreter is untimed and reads
# all of them as 0. Stall counters count cycles in which the instruction in ID could not
# issue (or EX could not finish) for that cause; each cycle is charged to one cause.
PERF_COUNTERS: tuple[PerfCounter, ...] = (
    PerfCounter(3, "stall_load_use", "cycles ID waited for a load result (load-use)"),
    PerfCounter(4, "stall_branch", "cycles lost to branch/jump mispredictions (squashed ID)"),
    PerfCounter(5, "stall_muldiv", "cycles waiting on the divider or a multiplier result"),
    PerfCounter(6, "stall_memory", "cycles waiting on memory (0 with single-cycle RAM)"),
    PerfCounter(7, "stall_env", "cycles held for ecall/ebreak/trap/CSR serialisation "
                                "and the harness servicing an ecall"),
    PerfCounter(8, "branches", "branches and jumps resolved in EX"),
    PerfCounter(9, "mispredicts", "branches and jumps whose predicted next pc was wrong"),
)
PERF_BY_INDEX: dict[int, PerfCounter] = {p.index: p for p in PERF_COUNTERS}


def _hpm() -> list[Csr]:
    def describe(i: int, half: str) -> str:
        perf = PERF_BY_INDEX.get(i)
        if perf is None:
            return f"performance counter {i}, {half} 32 bits"
        return f"OxCore `{perf.name}`: {perf.description}, {half} 32 bits"
    low = [Csr(0xC00 + i, f"hpmcounter{i}", describe(i, "low")) for i in range(3, 32)]
    high = [Csr(0xC80 + i, f"hpmcounter{i}h", describe(i, "high")) for i in range(3, 32)]
    return low + high


CSRS: tuple[Csr, ...] = (
    Csr(0xC00, "cycle", "clock cycles since reset, low 32 bits"),
    Csr(0xC01, "time", "wall-clock timer, low 32 bits (equals cycle on OxCore)"),
    Csr(0xC02, "instret", "instructions retired since reset, low 32 bits"),
    Csr(0xC80, "cycleh", "clock cycles since reset, high 32 bits"),
    Csr(0xC81, "timeh", "wall-clock timer, high 32 bits (equals cycleh on OxCore)"),
    Csr(0xC82, "instreth", "instructions retired since reset, high 32 bits"),
    Csr(0xF14, "mhartid", "hardware thread id (0)"),
    *_hpm(),
)

CSR_BY_NAME: dict[str, Csr] = {c.name: c for c in CSRS}
CSR_BY_NUMBER: dict[int, Csr] = {c.number: c for c in CSRS}


def csr_name(number: int) -> str:
    """Name for the disassembler; unknown numbers print in hex like objdump."""
    csr = CSR_BY_NUMBER.get(number)
    return csr.name if csr else f"{number:#x}"


def is_read_only(number: int) -> bool:
    """CSR address bits [11:10] == 0b11 mark read-only CSRs (privileged spec 2.1)."""
    return (number >> 10) & 3 == 3


def is_timing_counter(number: int) -> bool:
    """Counters whose value depends on timing (cycle, time, hpmcounter*), not on the
    instruction stream alone: the interpreter and the RTL legitimately differ there."""
    low = number & ~0x80  # the high halves sit 0x80 above the low ones
    return low in (0xC00, 0xC01) or 0xC03 <= low <= 0xC1F
