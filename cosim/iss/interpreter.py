"""The golden interpreter: the executable specification of OxCore's ISA.

Two execution modes run the same semantics text from the ISA table:

- `step()`, the reference mode: fetch, decode, execute one instruction's semantics,
  return its retire record. Simple enough to read as the spec.
- `run()`, the fast mode: straight-line runs of instructions (basic blocks) are lowered
  once into one Python function with operands folded in as constants, then cached by pc.
  With `on_retire`, the block functions also build a retire record per instruction.

Tests run both modes on the same programs and require identical records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Callable

from oxcore.config import OxCoreConfig
from oxcore.isa import Instruction, Isa
from oxcore.isa.semantics import lower, lower_constant, traits
from oxcore.program import Program
from oxcore.retire import RetireRecord, TrapCause
from cosim.iss.machine import CodeModified, Machine, ProgramExit, Trap

MAX_BLOCK = 64  # instructions per translated block


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
        self._record_ns["R"] = RetireRecord
        self._record_ns["acc"] = self.machine.access
        self._reference_fns: dict[str, Callable] = {}
        self._blocks: dict[int, _Block] = {}
        self._record_blocks: dict[int, _Block] = {}

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
        """Execute one instruction; return its record (with `trap` set if it trapped).

        After an exit() ecall (which retires), `machine.exit_value` is set.
        """
        m = self.machine
        pc = m.pc
        record = RetireRecord(m.instret, pc, 0)
        try:
            word = record.insn = m.fetch(pc)
            ins = self.decode(word)
            if ins is None:
                raise Trap(TrapCause.ILLEGAL_INSTRUCTION, pc, word)
            m.access[:] = (0, 0, False, 0)
            npc = self._reference_fn(ins)(m.x, pc, **ins.operand_values(word))
        except Trap as trap:
            record.trap = trap.cause
            self.last_trap = trap
            return record
        except (ProgramExit, CodeModified):  # both retire: exit(), or a store into code
            npc = pc + 4
        self._fill_effects(record, ins, word)
        m.pc = npc
        m.instret += 1
        return record

    def _fill_effects(self, record: RetireRecord, ins: Instruction, word: int) -> None:
        m = self.machine
        rd = _record_rd(ins, word)
        if rd:
            record.rd, record.rd_value = rd, m.x[rd]
        if traits(ins).memory:
            record.mem_addr, record.mem_size, record.mem_write, record.mem_data = m.access

    # ---- fast mode: block translation ---------------------------------------------------
    def _flush_translations(self) -> None:
        self._blocks.clear()
        self._record_blocks.clear()
        self.machine.code_limit = 0

    def _translate(self, start: int, recording: bool) -> _Block:
        """Lower the straight-line run of instructions at `start` into one function."""
        m = self.machine
        lines: list[str] = []
        pc = start
        count = 0
        while count < MAX_BLOCK:
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
                lines.append(_record_statement(ins, word, pc, count))
            count += 1
            pc += 4
            if traits(ins).jumps or traits(ins).environment:
                break
        body = "\n".join(lines).replace("\n", "\n    ")
        head = "npc = {pc}\n    append = out.append" if recording else "npc = {pc}"
        source = (f"def block(x{', out, n' if recording else ''}):\n"
                  f"    {head.format(pc=pc)}\n    {body}\n    return npc\n")
        namespace = self._record_ns if recording else self._plain_ns
        local: dict = {}
        exec(compile(source, f"<block {start:#010x}>", "exec"), namespace, local)
        m.code_limit = max(m.code_limit, pc - m.base)
        return _Block(start, count, local["block"])

    def run(self, max_instructions: int | None = None,
            on_retire: Callable[[RetireRecord], None] | None = None) -> Stop:
        """Run until exit, trap or `max_instructions`; records go to `on_retire` if given."""
        m = self.machine
        recording = on_retire is not None
        cache = self._record_blocks if recording else self._blocks
        x = m.x
        out: list[RetireRecord] = []
        limit = max_instructions if max_instructions is not None else float("inf")
        while True:
            pc = m.pc
            block = cache.get(pc)
            if block is None:
                if m.instret >= limit:  # the limit stops before the next fetch can fault
                    return self._run_to_limit(int(limit), on_retire)
                try:
                    block = cache[pc] = self._translate(pc, recording)
                except Trap as trap:  # fetch fault at a block start
                    return self._stopped(trap, on_retire)
            if m.instret + block.count > limit:
                return self._run_to_limit(int(limit), on_retire)
            try:
                m.pc = block.fn(x, out, m.instret) if recording else block.fn(x)
            except Trap as trap:
                m.instret += (trap.pc - block.pc) >> 2
                m.pc = trap.pc
                self._deliver(out, on_retire)
                return self._stopped(trap, on_retire)
            except CodeModified as store:  # the store retired; continue with fresh code
                if recording:
                    out.append(RetireRecord(m.instret + ((store.pc - block.pc) >> 2), store.pc,
                                            m.fetch(store.pc), 0, 0, *m.access))
                m.instret += ((store.pc - block.pc) >> 2) + 1
                m.pc = store.pc + 4
                self._deliver(out, on_retire)
                continue
            except ProgramExit as done:  # exit() ends its block: it is the only instruction
                if recording:
                    out.append(RetireRecord(m.instret, pc, m.fetch(pc), 10, x[10]))
                m.instret += block.count
                m.pc = pc + 4
                self._deliver(out, on_retire)
                return Stop(done.value, None, m.instret)
            m.instret += block.count
            if recording:
                self._deliver(out, on_retire)

    @staticmethod
    def _deliver(out: list[RetireRecord], on_retire: Callable | None) -> None:
        if on_retire is not None:
            for record in out:
                on_retire(record)
            out.clear()

    def _stopped(self, trap: Trap, on_retire: Callable | None) -> Stop:
        m = self.machine
        if on_retire is not None:
            insn = m.m32[((trap.pc - m.base) & 0xFFFFFFFF) >> 2] \
                if m.in_memory(trap.pc, 4) and trap.pc % 4 == 0 else 0
            on_retire(RetireRecord(m.instret, trap.pc, insn, trap=TrapCause(trap.cause)))
        trap.cause = TrapCause(trap.cause)
        return Stop(None, trap, m.instret)

    def _run_to_limit(self, limit: int, on_retire: Callable | None) -> Stop:
        """Finish with single steps so the limit is exact."""
        m = self.machine
        while m.instret < limit:
            record = self.step()
            if on_retire is not None:
                on_retire(record)
            if record.trap is not None:
                return Stop(None, self.last_trap, m.instret)
            if m.exit_value is not None:
                return Stop(m.exit_value, None, m.instret)
        trap = Trap(TrapCause.INSTRUCTION_LIMIT, m.pc, limit,
                    f"instruction limit of {limit} reached")
        return Stop(None, trap, m.instret)


def _record_rd(ins: Instruction, word: int) -> int:
    """The register a record reports: rd if written, a0 for ecall (the syscall result)."""
    if traits(ins).writes_rd:
        return ins.operand_values(word).get("rd", 0)
    if ins.mnemonic == "ecall":
        return 10
    return 0


def _record_statement(ins: Instruction, word: int, pc: int, index: int) -> str:
    rd = _record_rd(ins, word)
    args = f"{'n + ' + str(index) if index else 'n'}, {pc}, {word}, {rd}, {f'x[{rd}]' if rd else 0}"
    if traits(ins).memory:
        args += ", acc[0], acc[1], acc[2], acc[3]"
    return f"append(R({args}))"
