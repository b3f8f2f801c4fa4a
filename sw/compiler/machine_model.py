"""What the scheduler knows of the machine: timings derived from `OxCoreConfig` and the
pipeline rules of the RTL (`hw/oxcore/hazard.py`, `hw/oxcore/engine.py`), per machine
instruction.

The scalar pipeline issues one instruction a cycle, in order. It stalls for

- a load's result: the data arrives at the end of MEM, one bubble before a reader;
- a multiply's: the product is ready `mul_latency` cycles after issue;
- a divide: it holds EX until done (at most 34 cycles, fewer for a small dividend), so
  nothing behind it moves;
- a multiply behind a claimed engine instruction: a mul issues only while no claimed
  instruction is in EX, MEM or WB (three cycles after the claimed one issued);
- memory order with busy engines: a scalar store waits for every engine to be idle, a
  scalar load for the engines' queued stores (every vector instruction counts as one:
  the vector engine answers ``busy`` for it).

Engine instructions leave the scalar pipeline at WB into their engine's in-order queue;
the engine then spends `occupancy` cycles on each (a tmma's 4*TDIM k-steps, a tile
load's rows at the port's width, a vector instruction's beats over one register: the
model does not follow vtype's LMUL).

What an engine instruction does to memory comes from its row's semantics in the ISA
table (the engine unit's ``load*``/``store*`` calls), as the RTL decoders derive it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache

from oxcore.config import OxCoreConfig
from oxcore.isa import FULL_ISA
from sw.compiler.mir import PSEUDOS, MInstr, Text

#: Cycles a divide holds EX at most (`hw.oxcore.divider.divide_cycles`: 2 + 8 a byte of
#: the dividend; a small one, such as a program id, takes 10).
DIVIDE_CYCLES = 34
#: Cycles from an engine instruction's issue until the scalar core can read a result
#: the engine returns (vsetvli's vl, vmv.x.s): dispatch at WB, then the engine's reply.
ENGINE_RESULT_LATENCY = 5
#: A mul waits while a claimed instruction is in EX, MEM or WB.
MUL_CLEARANCE = 4
_CSR_PSEUDOS = ("csrr", "csrw", "csrwi")
_DIVIDES = ("div", "divu", "rem", "remu")
_MULTIPLIES = ("mul", "mulh", "mulhu", "mulhsu")


@cache
def engine_memory(mnemonic: str) -> str | None:
    """"load" or "store" for an engine instruction that accesses memory (from its
    semantics' unit call), else None."""
    row = FULL_ISA.by_mnemonic.get(mnemonic)
    if row is None or row.engine == "scalar":
        return None
    for node in ast.walk(ast.parse(row.semantics)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            for kind in ("load", "store"):
                if node.func.attr.startswith(kind):
                    return kind
            return None
    return None


@dataclass(frozen=True)
class MachineModel:
    """Per-instruction timing of one configuration (`from_config`)."""

    mul_latency: int
    tdim: int | None
    tile_port_bytes: int
    vector_beats: int  # beats of one vector register (VLEN / (32 * LANES))
    # every vector instruction orders scalar loads: the vector engine answers its
    # writes_memory with busy (`Engine.conservative_memory_order`)
    vector_memory_order: bool

    @classmethod
    def from_config(cls, config: OxCoreConfig) -> "MachineModel":
        tensor, vector = config.tensor, config.vector
        return cls(mul_latency=config.mul_latency,
                   tdim=tensor.tdim if tensor is not None else None,
                   tile_port_bytes=tensor.port_bits // 8 if tensor is not None else 32,
                   vector_beats=(max(1, vector.vlen // (32 * vector.lanes))
                                 if vector is not None else 1),
                   vector_memory_order=True)

    # -- the scalar pipeline --

    def issue_cycles(self, ins: MInstr) -> int:
        """Cycles `ins` keeps the issue slot (a divide holds EX for all its iterations)."""
        return DIVIDE_CYCLES if ins.mnemonic in _DIVIDES else 1

    def result_latency(self, ins: MInstr) -> int:
        """Cycles from issuing `ins` until an instruction reading its x result can issue
        without a stall."""
        row = FULL_ISA.by_mnemonic.get(ins.mnemonic)
        if row is not None and row.memory is not None and row.memory.kind == "load":
            return 2
        if ins.mnemonic in _MULTIPLIES:
            return max(1, self.mul_latency)
        if ins.engine != "scalar":
            return ENGINE_RESULT_LATENCY
        return 1

    def is_multiply(self, ins: MInstr) -> bool:
        return ins.mnemonic in _MULTIPLIES

    # -- what orders instructions --

    def is_claimed(self, ins: MInstr) -> bool:
        """Handed to an engine at WB (CSR instructions conservatively: an engine claims
        those on its own CSRs)."""
        return ins.engine != "scalar" or self.is_csr(ins)

    @staticmethod
    def is_csr(ins: MInstr) -> bool:
        return ins.mnemonic in _CSR_PSEUDOS or ins.mnemonic.startswith("csrr")

    @staticmethod
    def is_barrier(ins: MInstr) -> bool:
        """Nothing moves across it: control flow, system instructions, CSR accesses
        (engine state such as trows, and counters), anything not in the ISA table."""
        if ins.is_branch or MachineModel.is_csr(ins):
            return True
        if ins.mnemonic in PSEUDOS:
            return False
        row = FULL_ISA.by_mnemonic.get(ins.mnemonic)
        return row is None or ins.mnemonic in ("ecall", "ebreak", "fence", "fence.i") \
            or any(isinstance(op, Text) and op.text.startswith("%") for op in ins.operands)

    def memory(self, ins: MInstr) -> str | None:
        """"load", "store" or None: the memory access of a scalar or engine instruction."""
        row = FULL_ISA.by_mnemonic.get(ins.mnemonic)
        if row is not None and row.memory is not None:
            return row.memory.kind
        return engine_memory(ins.mnemonic)

    def orders_scalar_loads(self, ins: MInstr) -> bool:
        """A scalar load after this engine instruction waits until it has finished: it
        may write memory (a store, or any vector instruction: the vector engine cannot
        tell)."""
        engine = ins.engine
        if engine == "vector" and self.vector_memory_order:
            return True
        return engine != "scalar" and self.memory(ins) == "store"

    # -- the engines --

    def occupancy(self, ins: MInstr) -> int:
        """Cycles the instruction's engine spends on it (0 for scalar instructions)."""
        engine = ins.engine
        if engine == "tensor":
            return self._tensor_cycles(ins)
        if engine == "vector":
            return self.vector_beats
        return 0

    def _tensor_cycles(self, ins: MInstr) -> int:
        tdim = self.tdim or 8
        if ins.mnemonic == "tmma":
            return 4 * tdim
        if ins.mnemonic == "tld.bt":  # 4*TDIM memory rows of TDIM bytes, a port word each
            return 4 * tdim * -(-tdim // self.tile_port_bytes)
        row_bytes = {"tld.b": 4 * tdim, "tld.w": 4 * tdim, "tst.w": 4 * tdim,
                     "tlr": 4 * tdim, "tsr": 4 * tdim, "tst.b": tdim}.get(ins.mnemonic)
        if row_bytes is None:
            return 1
        return tdim * -(-row_bytes // self.tile_port_bytes)
