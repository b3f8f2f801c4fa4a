"""The golden interpreter: the executable specification of OxCore's ISA.

Two execution modes run the same semantics text from the ISA table:

- `step()`, the reference mode: fetch, decode, execute one instruction's semantics,
  return its retire record. Simple enough to read as the spec.
- `run()`, the fast mode: straight-line runs of instructions (basic blocks) are lowered
  once into one Python function with operands folded in as constants, then cached by pc.
  With `on_batch` (or `on_retire`), the block functions also note each instruction's
  dynamic effects, and records come out as `RecordBatch` columns
  (`cosim/iss/recorder.py`).

Tests run both modes on the same programs and require identical records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Callable

from oxcore.abi import RESULT_REG, reg
from oxcore.config import OxCoreConfig
from oxcore.isa import Instruction, Isa
from oxcore.isa.semantics import lower, lower_constant, traits
from oxcore.program import Program
from oxcore.retire import (REGISTER_WRITES, Effect, MemAccess, RecordBatch, RetireRecord,
                           TrapCause, TrapEffect, XWrite, canonical)
from cosim.iss.machine import CodeModified, Machine, ProgramExit, Trap
from cosim.iss.recorder import Recorder

MAX_BLOCK = 64  # instructions per translated block
ECALL_RESULT = reg(RESULT_REG)  # an ecall's record reports this register (a0)
BATCH = 1 << 16  # records per batch handed to `on_batch`


@dataclass
class Stop:
    """Why a run ended: a normal exit (`trap` None) or a trap/limit."""

    exit_value: int | None  # the a0 passed to exit(), as an unsigned 32-bit value
    trap: Trap | None
    instret: int

    @property
    def exit_code(self) -> int:
        """Process exit status for an exit(): the low 8 bits, as a POSIX shell sees."""
        return (self.exit_value or 0) & 0xFF


@dataclass
class _Block:
    pc: int
    count: int
    fn: Callable
    slots: range = range(0)  # recording: the recorder's slot ids of its instructions


class Interpreter:
    """Runs a `Program` on a `Machine` in reference (`step`) or fast (`run`) mode."""

    def __init__(self, config: OxCoreConfig, program: Program,
                 stdout: BinaryIO | None = None, stderr: BinaryIO | None = None,
                 isa: Isa | None = None) -> None:
        self.machine = Machine(config, program, stdout, stderr, isa)
        self.decode = self.machine.isa.decode
        self.machine.on_code_write = self._flush_translations
        self._plain_ns = self.machine.helpers(recording=False)
        self._record_ns = self.machine.helpers(recording=True)
        self._reference_fns: dict[str, Callable] = {}
        self._blocks: dict[int, _Block] = {}
        self._record_blocks: dict[int, _Block] = {}
        self.recorder = Recorder(self.machine.log, self.machine.extra_effects)

    # ---- reference mode -----------------------------------------------------------------
    def _reference_fn(self, ins: Instruction) -> Callable:
        """`fn(x, pc, **operands) -> next pc`, compiled from the semantics text once."""
        fn = self._reference_fns.get(ins.mnemonic)
        if fn is None:
            params = ", ".join(["x", "pc"] + [f.name for f in ins.operands])
            body = lower(ins).replace("\n", "\n    ")
            source = f"def execute({params}):\n    npc = pc + 4\n    {body}\n    return npc\n"
            namespace = dict(self._record_ns)
            exec(compile(source, f"<semantics {ins.mnemonic}>", "exec"), namespace)
            fn = self._reference_fns[ins.mnemonic] = namespace["execute"]
        return fn

    def step(self) -> RetireRecord:
        """Execute one instruction; return its record (with a trap effect if it trapped).

        After an exit() ecall (which retires), `machine.exit_value` is set.
        """
        m = self.machine
        pc = m.pc
        logged = len(m.log)
        word = 0
        try:
            word = m.fetch(pc)
            ins = self.decode(word)
            if ins is None:
                raise Trap(TrapCause.ILLEGAL_INSTRUCTION, pc, word)
            values = ins.operand_values(word)
            npc = self._reference_fn(ins)(m.x, pc, **values)
        except Trap as trap:
            del m.log[logged:]
            m.extra_effects.clear()
            self.last_trap = trap
            return RetireRecord(m.instret, pc, word, (TrapEffect(TrapCause(trap.cause)),))
        except (ProgramExit, CodeModified):  # both retire: exit(), or a store into code
            npc = pc + 4
        record = RetireRecord(m.instret, pc, word, self._effects(ins, values, m.log[logged:]))
        del m.log[logged:]
        m.extra_effects.clear()
        m.pc = npc
        m.instret += 1
        return record

    def _effects(self, ins: Instruction, values: dict[str, int],
                 logged: list[int]) -> tuple[Effect, ...]:
        """A retired instruction's effects, in record order."""
        m = self.machine
        effects: list[Effect] = []
        rd = _record_rd(ins, values)
        if rd:
            effects.append(XWrite(rd, m.x[rd]))
        if ins.memory is not None:
            effects.append(MemAccess.whole(logged[0], ins.memory.size,
                                           ins.memory.kind == "store", logged[1]))
        effects.extend(effect for _, effect in m.extra_effects)  # CSR writes
        for register_file, operands in ins.writes.items():
            if register_file != "x":
                effects.extend(REGISTER_WRITES[register_file](
                    values[name], m.registers[register_file][values[name]],
                    m.register_bits[register_file]) for name in operands)
        return canonical(effects) if len(effects) > 1 else tuple(effects)

    # ---- fast mode: block translation ---------------------------------------------------
    def _flush_translations(self) -> None:
        self._blocks.clear()
        self._record_blocks.clear()
        self.machine.code_limit = 0

    def _translate(self, start: int, recording: bool, limit: int = MAX_BLOCK) -> _Block:
        """Lower the straight-line run of at most `limit` instructions at `start` into
        one function."""
        m = self.machine
        lines: list[str] = []
        slots: list[int] = []
        pc = start
        count = 0
        while count < limit:
            try:
                word = m.fetch(pc)
            except Trap:
                if count:
                    break  # the next block will trap when it starts
                raise
            ins = self.decode(word)
            if ins is None or (traits(ins).environment and count):
                if count:
                    break
                if ins is None:  # a block of its own that traps when executed
                    lines.append(f"raise Trap({int(TrapCause.ILLEGAL_INSTRUCTION)}, {pc}, "
                                 f"{word})")
                    count = 1
                    break
            consts = dict(ins.operand_values(word), pc=pc)
            lines.append(lower_constant(ins, consts))
            if recording:
                rd = _record_rd(ins, consts)
                if rd:
                    lines.append(f"append(x[{rd}])")
                for register_file, operands in ins.writes.items():  # v, tiles, ...: rare
                    if register_file != "x":
                        lines.extend(f"note_write(n + {count}, {register_file!r}, "
                                     f"{consts[name]})" for name in operands)
                access = ins.memory
                slots.append(self.recorder.slot(pc, word, rd, access.size if access else 0,
                                                access is not None and access.kind == "store"))
            count += 1
            pc += 4
            if traits(ins).jumps or traits(ins).environment:
                break
        body = "\n".join(lines).replace("\n", "\n    ")
        source = (f"def block(x{', append, n' if recording else ''}):\n"
                  f"    npc = {pc}\n    {body}\n    return npc\n")
        namespace = self._record_ns if recording else self._plain_ns
        local: dict = {}
        exec(compile(source, f"<block {start:#010x}>", "exec"), namespace, local)
        m.code_limit = max(m.code_limit, pc - m.base)
        block_slots = range(slots[0], slots[-1] + 1) if slots else range(0)
        return _Block(start, count, local["block"], block_slots)

    def run(self, max_instructions: int | None = None,
            on_retire: Callable[[RetireRecord], None] | None = None,
            on_batch: Callable[[RecordBatch], None] | None = None,
            batch: int = BATCH) -> Stop:
        """Run until exit, trap or `max_instructions`. Records go to `on_batch` as
        `RecordBatch`es of at most `batch` records, and/or one by one to `on_retire`."""
        m = self.machine
        recording = on_retire is not None or on_batch is not None
        cache = self._record_blocks if recording else self._blocks
        x = m.x
        recorder = self.recorder
        executed = recorder.executed
        append = m.log.append
        recorder.first = m.instret

        def deliver() -> None:
            if recorder.pending():
                records = recorder.take()
                if on_batch is not None:
                    on_batch(records)
                if on_retire is not None:
                    for record in records.records():
                        on_retire(record)

        limit = max_instructions if max_instructions is not None else float("inf")
        try:
            while True:
                pc = m.pc
                block = cache.get(pc)
                room = limit - m.instret
                if room <= 0:  # the limit stops before the next fetch can fault
                    return self._limit_stop(int(limit))
                try:
                    if block is None:
                        block = cache[pc] = self._translate(pc, recording)
                    if block.count > room:  # a shorter block, just for this run
                        block = self._translate(pc, recording, int(room))
                except Trap as trap:  # fetch fault at a block start
                    return self._stopped(trap, recording)
                try:
                    m.pc = block.fn(x, append, m.instret) if recording else block.fn(x)
                except Trap as trap:
                    done = (trap.pc - block.pc) >> 2
                    m.instret += done
                    m.pc = trap.pc
                    if recording:
                        executed.extend(block.slots[:done])
                    return self._stopped(trap, recording)
                except CodeModified as store:  # the store retired; go on with fresh code
                    done = ((store.pc - block.pc) >> 2) + 1
                    m.instret += done
                    m.pc = store.pc + 4
                    if recording:
                        executed.extend(block.slots[:done])
                    continue
                except ProgramExit as exited:  # exit() ends its block: its only instruction
                    m.instret += block.count
                    m.pc = pc + 4
                    if recording:
                        append(x[ECALL_RESULT])
                        executed.extend(block.slots)
                    return Stop(exited.value, None, m.instret)
                m.instret += block.count
                if recording:
                    executed.extend(block.slots)
                    if len(executed) >= batch:
                        deliver()
        finally:
            if recording:
                deliver()

    def _stopped(self, trap: Trap, recording: bool) -> Stop:
        m = self.machine
        trap.cause = TrapCause(trap.cause)
        if recording:
            insn = m.m32[((trap.pc - m.base) & 0xFFFFFFFF) >> 2] \
                if m.in_memory(trap.pc, 4) and trap.pc % 4 == 0 else 0
            self.recorder.trap = RetireRecord(m.instret, trap.pc, insn, (TrapEffect(trap.cause),))
        self.last_trap = trap
        return Stop(None, trap, m.instret)

    def _limit_stop(self, limit: int) -> Stop:
        m = self.machine
        trap = Trap(TrapCause.INSTRUCTION_LIMIT, m.pc, limit,
                    f"instruction limit of {limit} reached")
        return Stop(None, trap, m.instret)


def _record_rd(ins: Instruction, values: dict[str, int]) -> int:
    """The register a record reports: rd if written, the syscall result for ecall."""
    if traits(ins).writes_rd:
        return values.get("rd", 0)
    if ins.mnemonic == "ecall":
        return ECALL_RESULT
    return 0

