"""Architectural state of one OxCore hart and the effects the semantics language calls.

`Machine` owns registers, pc, RAM, counters and the syscall environment. It builds the
helper namespace (`load4`, `store1`, `jump_target`, `ecall`, ...) that lowered
semantics run against; with `recording=True` memory helpers also note each access for
the retire record.
"""

from __future__ import annotations

import sys
from typing import BinaryIO, Callable

from oxcore.config import OxCoreConfig
from oxcore.isa import Isa, isa_for
from oxcore.isa.csrs import is_read_only, is_timing_counter
from oxcore.isa.traps import Trap
from oxcore.isa.semantics import MASK32, PURE_HELPERS, register_mask
from oxcore.program import Program
from oxcore.errors import OxCoreError
from oxcore.retire import REGISTER_WRITES, CsrWrite, Effect, TrapCause
from oxcore.abi import ENV_ARGS, NUMBER_REG, summary as abi_summary
from cosim.syscalls import Environment

if sys.byteorder != "little":  # memoryview casts below assume a little-endian host
    raise ImportError("the OxCore interpreter needs a little-endian host")

REG_A0, REG_A1, REG_A2, REG_A7 = ENV_ARGS  # the ecall's arguments, then its number


class CodeModified(Exception):
    """A store wrote into translated code: the running block must end after it.

    Raised after the store took effect, so the store retires; the interpreter resumes
    at `pc + 4` with fresh translations. (Without Zifencei the ISA leaves such fetches
    unordered; ending the block makes both interpreter modes see the new code.)
    """

    def __init__(self, pc: int) -> None:
        super().__init__(pc)
        self.pc = pc


class ProgramExit(Exception):
    """The program called exit(code); the ecall retired."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value


class Machine:
    """Registers, memory and environment of one hart (the state the ISA talks about)."""

    def __init__(self, config: OxCoreConfig, program: Program,
                 stdout: BinaryIO | None = None, stderr: BinaryIO | None = None,
                 isa: Isa | None = None) -> None:
        self.config = config
        self.program = program
        self.isa = isa if isa is not None else isa_for(config)
        self.x = [0] * 32
        self.base = config.mem_base
        self.size = config.mem_size
        self.ram = bytearray(config.mem_size)
        for seg in program.segments:
            offset = seg.addr - self.base
            self.ram[offset:offset + len(seg.data)] = seg.data
        # Engine units (the vector unit, ...): one per execution mode, sharing the
        # engine's state (`engine_state`); they own their register files and CSRs.
        self.engine_state: dict[str, object] = {}
        self.units: dict[str, tuple[object, object]] = {
            ext.unit_name: (ext.unit(self, False), ext.unit(self, True))
            for ext in self.isa.extensions if ext.unit is not None}
        owned = {name for _, unit in self.units.values() for name in unit.register_files}
        self.csr_owner: dict[int, object] = {
            number: unit for _, unit in self.units.values() for number in unit.csrs}
        # The other register files the ISA declares (tiles, ...), and the state of
        # the CSRs it declares writable: what semantics `t[md]`/csr_write change.
        self.registers: dict[str, list[int]] = {
            rf.name: [0] * rf.count for rf in self.isa.register_files.values()
            if rf.name != "x" and rf.name not in owned}
        self.csr_values: dict[int, int] = {c.number: c.reset for c in self.isa.csrs
                                           if c.writable and c.number not in self.csr_owner}
        self.register_bits = {name: self.isa.register_files[name].bits(config)
                              for name in self.registers}
        for name in self.registers:
            if name not in REGISTER_WRITES:
                raise OxCoreError(
                    f"register file {name!r} has no retire effect: register one with "
                    f"oxcore.retire.register_effect_kind(..., register_file={name!r})")
        # Recording mode: effects beyond x and memory (other register files, CSRs), with
        # the order of the instruction that had them.
        self.extra_effects: list[tuple[int, Effect]] = []
        self.pc = program.entry
        self.instret = 0
        self.exit_value: int | None = None  # set by the exit() syscall
        self.m8 = memoryview(self.ram)
        self.m16 = self.m8.cast("H")
        self.m32 = self.m8.cast("I")
        self.environment = Environment(config,
                                       stdout if stdout is not None else sys.stdout.buffer,
                                       stderr if stderr is not None else sys.stderr.buffer)
        # Recording mode: memory helpers append each access's address and data here
        # (see cosim/iss/recorder.py).
        self.log: list[int] = []
        self.code_limit = 0  # RAM offset below which translated code lives
        # Co-simulation sets this: counter CSRs (cycle, time, hpmcounter*) are timing,
        # not architecture, so the interpreter reads the value the RTL read.
        self.counter_override: Callable[[int, int], int | None] | None = None
        self.on_code_write: Callable[[], None] = lambda: None

    @property
    def stdout(self) -> BinaryIO:
        return self.environment.streams[1]

    @property
    def stderr(self) -> BinaryIO:
        return self.environment.streams[2]

    # ---- instruction fetch -------------------------------------------------------------
    def fetch(self, pc: int) -> int:
        offset = (pc - self.base) & MASK32
        if offset >= self.size:
            raise Trap(TrapCause.INSTRUCTION_ACCESS_FAULT, pc, pc)
        if offset & 3:
            raise Trap(TrapCause.INSTRUCTION_MISALIGNED, pc, pc)
        return self.m32[offset >> 2]

    def in_memory(self, addr: int, size: int) -> bool:
        offset = (addr - self.base) & MASK32
        return offset + size <= self.size

    def read_bytes(self, addr: int, length: int) -> bytes:
        offset = addr - self.base
        return bytes(self.ram[offset:offset + length])

    # ---- helper namespace for lowered semantics ---------------------------------------
    def helpers(self, recording: bool) -> dict:
        """The functions lowered semantics call, bound to this machine."""
        ns: dict = dict(PURE_HELPERS)
        ns.update(jump_target=self._jump_target, csr_read=self._csr_read,
                  csr_write=self._csr_write_recorded if recording else self._csr_write,
                  ecall=self._ecall, ebreak=self._ebreak, Trap=Trap,
                  note_write=self._note_write)
        for size in (1, 2, 4):
            ns[f"load{size}"] = self._make_load(size, recording)
            ns[f"store{size}"] = self._make_store(size, recording)
        for name, units in self.units.items():
            ns[name] = units[recording]
        for name, registers in self.registers.items():
            ns[name] = registers
            ns[register_mask(name)] = (1 << self.isa.register_files[name].bits(self.config)) - 1
        return ns

    def _make_load(self, size: int, recording: bool) -> Callable[[int, int], int]:
        view = {1: self.m8, 2: self.m16, 4: self.m32}[size]
        shift = size.bit_length() - 1
        base, limit, log = self.base, self.size - size, self.log

        def load(addr: int, pc: int) -> int:
            offset = (addr - base) & MASK32
            if offset & (size - 1):
                raise Trap(TrapCause.LOAD_MISALIGNED, pc, addr & MASK32)
            if offset > limit:
                raise Trap(TrapCause.LOAD_ACCESS_FAULT, pc, addr & MASK32,
                           f"load from {addr & MASK32:#010x} outside memory")
            value = view[offset >> shift]
            if recording:
                log.append(addr & MASK32)
                log.append(value)
            return value
        return load

    def _make_store(self, size: int, recording: bool) -> Callable[[int, int, int], None]:
        view = {1: self.m8, 2: self.m16, 4: self.m32}[size]
        shift = size.bit_length() - 1
        base, limit, log = self.base, self.size - size, self.log
        value_mask = (1 << (8 * size)) - 1

        def store(addr: int, value: int, pc: int) -> None:
            offset = (addr - base) & MASK32
            if offset & (size - 1):
                raise Trap(TrapCause.STORE_MISALIGNED, pc, addr & MASK32)
            if offset > limit:
                raise Trap(TrapCause.STORE_ACCESS_FAULT, pc, addr & MASK32,
                           f"store to {addr & MASK32:#010x} outside memory")
            value &= value_mask
            view[offset >> shift] = value
            if recording:
                log.append(addr & MASK32)
                log.append(value)
            if offset < self.code_limit:
                self.on_code_write()
                raise CodeModified(pc)
        return store

    @staticmethod
    def _jump_target(target: int, pc: int) -> int:
        target &= MASK32
        if target & 3:
            raise Trap(TrapCause.INSTRUCTION_MISALIGNED, pc, target,
                       f"jump target {target:#010x} is not 4-byte aligned")
        return target

    # ---- CSRs ---------------------------------------------------------------------------
    def _csr_read(self, number: int, pc: int) -> int:
        """Counters: the interpreter is untimed, so cycle and time read as instret."""
        if number in self.csr_values:
            return self.csr_values[number]
        csr = self.isa.csr_by_number.get(number)
        if self.counter_override is not None and csr is not None and (
                csr.timing or is_timing_counter(number)):
            value = self.counter_override(self.instret, number)
            if value is not None:
                return value
        if number in self.csr_owner:
            return self.csr_owner[number].csr_read(number)
        if csr is None:
            raise Trap(TrapCause.ILLEGAL_INSTRUCTION, pc, 0, f"CSR {number:#x} not implemented")
        if csr.name in ("cycle", "time", "instret"):
            return self.instret & MASK32
        if csr.name in ("cycleh", "timeh", "instreth"):
            return self.instret >> 32
        return 0  # mhartid, and performance counters the interpreter does not model

    def _csr_write_recorded(self, number: int, value: int, pc: int) -> None:
        """A CSR write that the retire record reports (CSR instructions start their own
        translated block, so `instret` is the writing instruction's order)."""
        self._csr_write(number, value, pc)
        if number in self.csr_values:
            self.extra_effects.append((self.instret, CsrWrite(number, self.csr_values[number])))
        elif number in self.csr_owner:
            self.extra_effects.append(
                (self.instret, CsrWrite(number, self.csr_owner[number].csr_read(number))))

    def check_code_write(self, offset: int, pc: int) -> None:
        """After a store at RAM `offset` (an engine's too): end the block if it wrote
        translated code (see `CodeModified`)."""
        if offset < self.code_limit:
            self.on_code_write()
            raise CodeModified(pc)

    def _note_write(self, order: int, register_file: str, reg: int) -> None:
        """Record a write to a register file other than x (recording mode)."""
        bits = self.register_bits[register_file]
        self.extra_effects.append(
            (order, REGISTER_WRITES[register_file](reg, self.registers[register_file][reg], bits)))

    def _csr_write(self, number: int, value: int, pc: int) -> None:
        if number in self.csr_values:
            self.csr_values[number] = value & MASK32
            return
        owner = self.csr_owner.get(number)
        if owner is not None and owner.csr_write(number, value & MASK32):
            return
        if number not in self.isa.csr_by_number or is_read_only(number):
            raise Trap(TrapCause.ILLEGAL_INSTRUCTION, pc, 0,
                       f"write to read-only CSR {number:#x}")

    # ---- environment ------------------------------------------------------------------
    def _ecall(self, pc: int) -> None:
        x = self.x
        result = self.environment.ecall(x[REG_A0], x[REG_A1], x[REG_A2], x[REG_A7],
                                        self.read_bytes)
        if result.unknown:
            raise Trap(TrapCause.UNKNOWN_ECALL, pc, x[REG_A7],
                       f"unknown ecall {NUMBER_REG}={x[REG_A7]} (the ABI has {abi_summary()})")
        if result.exit_value is not None:
            self.exit_value = result.exit_value
            raise ProgramExit(result.exit_value)
        x[REG_A0] = result.a0

    @staticmethod
    def _ebreak(pc: int) -> None:
        raise Trap(TrapCause.BREAKPOINT, pc, pc)
