"""Program-building and program-running helpers for the interpreter test suites.

Programs are built from encoded words (`BY_MNEMONIC[...].encode`), not assembled from
text, so these tests depend only on the ISA table's encoder (checked against hand-encoded
words in tests/oxcore/test_isa_table.py) and not on the assembler.

- `I.addi(a0, zero, 5)`: encoders with operands in assembly order (``I.and_``/``I.or_``
  for the Python keywords); register names `zero`, `ra`, ... `t6` are ints.
- `Asm`: a word list with labels for branches and jumps, plus `li`/`exit` helpers.
- `execute(words, mode)`: run a program in one of `MODES` and return an `Outcome`.
- `random_program(rng, ...)`: seeded random instruction streams for the lockstep and
  mode-equivalence tests.
- `elf_image(...)`: ELF executables built byte by byte (for `oxcore run` tests).
"""

from __future__ import annotations

import io
import random
import struct
from dataclasses import dataclass, field
from typing import Callable, Iterable

from oxcore.abi import SYS_EXIT, SYS_WRITE  # the syscall ABI, also for the tests
from oxcore.config import PRESETS
from oxcore.isa import BY_MNEMONIC
from oxcore.program import Program, Segment
from oxcore.retire import RetireRecord, TrapCause
from cosim.iss import Interpreter

CONFIG = PRESETS["default"]
BASE = CONFIG.mem_base  # code starts here
MEM_END = CONFIG.mem_end
DATA = BASE + 0x1_0000  # a data area away from the code, for directed tests

# zero, ra, sp, ... as register numbers, in the standard ABI order.
(zero, ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, a2, a3, a4, a5, a6, a7,
 s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, t3, t4, t5, t6) = range(32)

MASK32 = 0xFFFF_FFFF


class _Encoders:
    """``I.addi(rd, rs1, imm)``: operands in the order the assembly syntax lists them."""

    def __getattr__(self, name: str) -> Callable[..., int]:
        ins = BY_MNEMONIC[name.rstrip("_")]
        names = [f.name for f in ins.operands]

        def encode(*args: int, **kwargs: int) -> int:
            if len(args) > len(names):
                raise TypeError(f"{ins.mnemonic} takes {len(names)} operands")
            return ins.encode(**dict(zip(names, args)), **kwargs)
        return encode


I = _Encoders()  # noqa: E741 (reads like an instruction namespace)

NOP = I.addi(zero, zero, 0)
EBREAK = I.ebreak()
ECALL = I.ecall()


def split_imm(value: int) -> tuple[int, int]:
    """(upper20, low12) with ``(upper20 << 12) + low12 == value`` mod 2**32."""
    value &= MASK32
    low = ((value & 0xFFF) ^ 0x800) - 0x800
    upper = ((value - low) >> 12) & 0xFFFFF
    return upper, low


def li(rd: int, value: int) -> list[int]:
    """Load a 32-bit constant: always ``lui`` + ``addi`` (fixed size keeps layouts simple)."""
    upper, low = split_imm(value)
    return [I.lui(rd, upper), I.addi(rd, rd, low)]


class Asm:
    """A word list with labels: ``asm.branch("bne", t0, zero, "loop")``."""

    def __init__(self, base: int = BASE) -> None:
        self.base = base
        self.words: list[int] = []
        self.labels: dict[str, int] = {}
        self._fixups: list[tuple[int, str, Callable[[int], int]]] = []

    @property
    def here(self) -> int:
        return self.base + 4 * len(self.words)

    def __call__(self, *items: int | Iterable[int]) -> "Asm":
        for item in items:
            if isinstance(item, int):
                self.words.append(item)
            else:
                self.words.extend(item)
        return self

    def label(self, name: str) -> int:
        self.labels[name] = self.here
        return self.here

    def branch(self, mnemonic: str, rs1: int, rs2: int, target: str) -> "Asm":
        ins = BY_MNEMONIC[mnemonic]
        self._fixups.append((len(self.words), target,
                             lambda off: ins.encode(rs1=rs1, rs2=rs2, imm=off)))
        self.words.append(0)
        return self

    def jal(self, rd: int, target: str) -> "Asm":
        self._fixups.append((len(self.words), target, lambda off: I.jal(rd, off)))
        self.words.append(0)
        return self

    def li(self, rd: int, value: int) -> "Asm":
        return self(li(rd, value))

    def syscall(self, number: int) -> "Asm":
        return self(li(a7, number), ECALL)

    def exit(self, code: int | None = None) -> "Asm":
        """exit(code), or exit(a0) if `code` is None."""
        if code is not None:
            self.li(a0, code)
        return self.syscall(SYS_EXIT)

    def build(self) -> list[int]:
        words = list(self.words)
        for index, target, make in self._fixups:
            words[index] = make(self.labels[target] - (self.base + 4 * index))
        return words


def words_bytes(words: Iterable[int]) -> bytes:
    return b"".join(struct.pack("<I", w & MASK32) for w in words)


def make_program(words: Iterable[int], data: dict[int, bytes] | None = None,
                 entry: int | None = None, base: int = BASE) -> Program:
    """A program with `words` at `base` and each `data` blob at its address."""
    code = words_bytes(words)
    segments = [Segment(base, code, len(code), True)]
    for addr, blob in (data or {}).items():
        segments.append(Segment(addr, bytes(blob), len(blob), False))
    return Program("<test>", base if entry is None else entry, segments)


# ---- running -----------------------------------------------------------------------------

MODES = ("reference", "fast", "fast-records")
DEFAULT_LIMIT = 200_000  # no directed program comes close; stops runaway loops


@dataclass
class Outcome:
    """Where a run ended, in any mode: final state plus the stop reason."""

    mode: str
    x: list[int]
    pc: int
    instret: int
    exit_value: int | None
    trap: TrapCause | None
    trap_pc: int | None
    trap_tval: int | None
    stdout: bytes
    stderr: bytes
    records: list[RetireRecord] | None
    interp: Interpreter = field(repr=False)

    def mem(self, addr: int, length: int) -> bytes:
        return self.interp.machine.read_bytes(addr, length)

    def word(self, addr: int) -> int:
        return struct.unpack("<I", self.mem(addr, 4))[0]

    def state(self) -> tuple:
        """Everything two modes must agree on (without memory and records)."""
        return (self.x, self.pc, self.instret, self.exit_value, self.trap, self.trap_pc,
                self.trap_tval, self.stdout, self.stderr)


def new_interpreter(program: Program | list[int], regs: dict[int, int] | None = None,
                    data: dict[int, bytes] | None = None, instret: int = 0) -> Interpreter:
    """An interpreter with captured output, registers preset by `regs` (number -> value)."""
    if not isinstance(program, Program):
        program = make_program(program, data)
    interp = Interpreter(CONFIG, program, stdout=io.BytesIO(), stderr=io.BytesIO())
    for reg, value in (regs or {}).items():
        assert reg != 0
        interp.machine.x[reg] = value & MASK32
    interp.machine.instret = instret
    return interp


def run_reference(interp: Interpreter, max_instructions: int | None = None,
                  records: list[RetireRecord] | None = None) -> tuple:
    """Step until exit, trap or the limit: (exit_value, cause, trap pc, trap tval)."""
    m = interp.machine
    limit = m.instret + DEFAULT_LIMIT if max_instructions is None else max_instructions
    while True:
        if m.instret >= limit:
            return None, TrapCause.INSTRUCTION_LIMIT, m.pc, limit
        record = interp.step()
        if records is not None:
            records.append(record)
        if record.trap is not None:
            trap = interp.last_trap
            assert TrapCause(trap.cause) == record.trap and trap.pc == record.pc
            return None, TrapCause(trap.cause), trap.pc, trap.tval
        if m.exit_value is not None:
            return m.exit_value, None, None, None


def execute(program: Program | list[int], mode: str, regs: dict[int, int] | None = None,
            data: dict[int, bytes] | None = None, max_instructions: int | None = None,
            instret: int = 0) -> Outcome:
    """Run `program` (a Program or code words at BASE) in `mode`; registers preset by `regs`.

    `instret` presets the retired-instruction count; `max_instructions` is absolute, like
    `Interpreter.run`'s.
    """
    interp = new_interpreter(program, regs, data, instret)
    m = interp.machine
    records: list[RetireRecord] | None = None
    if mode == "reference":
        records = []
        exit_value, cause, trap_pc, tval = run_reference(interp, max_instructions, records)
    elif mode in ("fast", "fast-records"):
        limit = instret + DEFAULT_LIMIT if max_instructions is None else max_instructions
        if mode == "fast-records":
            records = []
            stop = interp.run(limit, records.append)
        else:
            stop = interp.run(limit)
        exit_value = stop.exit_value if stop.trap is None else None
        cause = TrapCause(stop.trap.cause) if stop.trap is not None else None
        trap_pc = stop.trap.pc if stop.trap is not None else None
        tval = stop.trap.tval if stop.trap is not None else None
        assert stop.instret == m.instret, "Stop.instret disagrees with machine.instret"
    else:
        raise ValueError(mode)
    if exit_value is not None:
        assert m.exit_value == exit_value
    return Outcome(mode, list(m.x), m.pc, m.instret, exit_value, cause, trap_pc, tval,
                   m.stdout.getvalue(), m.stderr.getvalue(), records, interp)


# ---- random programs -----------------------------------------------------------------

DATA_REG = s0  # holds WINDOW_ANCHOR for the whole program; never a destination
LOOP_REG = s1  # loop counter; never a destination outside loop control
WINDOW_ANCHOR = BASE + 0x2_1000  # s0's value (lui alone can load it)
WINDOW = WINDOW_ANCHOR - 0x800  # data window: s0 + [-2048, 2047]
WINDOW_SIZE = 0x1000
RESERVED = (zero, DATA_REG, LOOP_REG)
DEST_REGS = [r for r in range(32) if r not in RESERVED]

ALU_R = ("add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and")
MUL_DIV = ("mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu")
ALU_I = ("addi", "slti", "sltiu", "xori", "ori", "andi")
SHIFT_I = ("slli", "srli", "srai")
LOADS = {"lb": 1, "lh": 2, "lw": 4, "lbu": 1, "lhu": 2}
STORES = {"sb": 1, "sh": 2, "sw": 4}
BRANCHES = ("beq", "bne", "blt", "bge", "bltu", "bgeu")
INTERESTING = (0, 1, 2, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFFE, 0x80, 0xFF,
               0x7F, 0x8000, 0xFFFF, 0x7FFF, 31, 32, 33, 0x8000_0001, 0x1234_5678)


@dataclass(frozen=True)
class Features:
    """What a random program may contain (the lockstep oracle cannot model all of it)."""

    loops: bool = True
    calls: bool = True  # jal/jalr forward (with jalr's bit 0 set at times)
    csr: bool = False  # counter reads
    syscalls: bool = False  # write() from the data window
    traps: bool = False  # may end in a trap instead of exit
    mid_exit: bool = False  # exit() in the middle, with dead code after it
    end: str = "ebreak"  # how a program without an early stop ends: "ebreak" or "exit"


class _Gen:
    def __init__(self, rng: random.Random, features: Features) -> None:
        self.rng = rng
        self.f = features

    def reg(self) -> int:
        return self.rng.randrange(32)

    def dest(self) -> int:
        return 0 if self.rng.random() < 0.03 else self.rng.choice(DEST_REGS)

    def value(self) -> int:
        if self.rng.random() < 0.5:
            return self.rng.choice(INTERESTING)
        return self.rng.getrandbits(32)

    def imm12(self) -> int:
        return self.rng.choice((0, 1, -1, 2047, -2048, self.rng.randint(-2048, 2047)))

    def simple(self) -> list[int]:
        """One straight-line instruction (or li), never touching s0/s1 as destination."""
        rng = self.rng
        kind = rng.choices(("r", "m", "i", "sh", "lui", "auipc", "li", "load", "store",
                            "fence"), (10, 8, 8, 4, 2, 1, 3, 6, 5, 0.3))[0]
        if kind == "r":
            return [getattr(I, rng.choice(ALU_R) + "_")(self.dest(), self.reg(), self.reg())]
        if kind == "m":
            return [getattr(I, rng.choice(MUL_DIV))(self.dest(), self.reg(), self.reg())]
        if kind == "i":
            return [getattr(I, rng.choice(ALU_I))(self.dest(), self.reg(), self.imm12())]
        if kind == "sh":
            shamt = rng.choice((0, 1, 31, rng.randrange(32)))
            return [getattr(I, rng.choice(SHIFT_I))(self.dest(), self.reg(), shamt)]
        if kind == "lui":
            return [I.lui(self.dest(), rng.getrandbits(20))]
        if kind == "auipc":
            return [I.auipc(self.dest(), rng.getrandbits(20))]
        if kind == "li":
            return li(rng.choice(DEST_REGS), self.value())
        if kind == "load":
            mnemonic = rng.choice(list(LOADS))
            offset = rng.randrange(-2048, 2048 - LOADS[mnemonic] + 1) & ~(LOADS[mnemonic] - 1)
            return [getattr(I, mnemonic)(self.dest(), offset, DATA_REG)]
        if kind == "store":
            mnemonic = rng.choice(list(STORES))
            offset = rng.randrange(-2048, 2048 - STORES[mnemonic] + 1) & ~(STORES[mnemonic] - 1)
            return [getattr(I, mnemonic)(self.reg(), offset, DATA_REG)]
        return [I.fence(rng.randrange(16), rng.randrange(16))]

    def simples(self, count: int) -> list[int]:
        words: list[int] = []
        for _ in range(count):
            words += self.simple()
        return words

    def item(self, in_loop: bool) -> list[int]:
        """A group of words whose control flow stays inside the group (or falls through)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.10:  # forward branch over a few instructions
            body = self.simples(rng.randrange(0, 4))
            return [getattr(I, rng.choice(BRANCHES))(self.reg(), self.reg(),
                                                     4 * (len(body) + 1))] + body
        if roll < 0.13 and self.f.calls:  # jal forward, linking
            body = self.simples(rng.randrange(0, 3))
            return [I.jal(self.dest(), 4 * (len(body) + 1))] + body
        if roll < 0.16 and self.f.calls:  # auipc + jalr forward; bit 0 of the sum is cleared
            body = self.simples(rng.randrange(0, 3))
            tmp = rng.choice(DEST_REGS)
            offset = 4 * (len(body) + 2) + rng.choice((0, 1))
            return [I.auipc(tmp, 0), I.jalr(rng.choice((tmp, self.dest())), offset, tmp)] + body
        if roll < 0.19 and self.f.csr:
            csr = rng.choice((0xC00, 0xC01, 0xC02, 0xC80, 0xC81, 0xC82, 0xF14, 0xC03))
            if rng.random() < 0.5:
                return [I.csrrs(self.dest(), csr, zero)]
            return [rng.choice((I.csrrsi, I.csrrci))(self.dest(), csr, 0)]
        if roll < 0.21 and self.f.syscalls:
            length = rng.randrange(0, 17)
            start = WINDOW + rng.randrange(0, WINDOW_SIZE - length)
            return (li(a0, rng.choice((1, 2))) + li(a1, start) + li(a2, length)
                    + li(a7, SYS_WRITE) + [ECALL])
        if roll < 0.26 and self.f.loops and not in_loop:  # counted loop, runs 1..5 times
            body: list[int] = []
            for _ in range(rng.randrange(1, 6)):
                body += self.item(in_loop=True)
            back = -4 * (len(body) + 1)
            return ([I.addi(LOOP_REG, zero, rng.randrange(1, 6))] + body
                    + [I.addi(LOOP_REG, LOOP_REG, -1), I.bne(LOOP_REG, zero, back)])
        return self.simple()

    def trap(self) -> list[int]:
        rng = self.rng
        kind = rng.randrange(8)
        if kind == 0:
            return [rng.choice((0x0000_0000, 0xFFFF_FFFF, 0x3020_0073, 0x0000_100F))]
        if kind == 1:
            return [EBREAK]
        if kind == 2:
            return [I.lw(self.dest(), rng.choice((1, 2, 3, -1)), DATA_REG)]
        if kind == 3:
            return [I.sh(self.reg(), rng.choice((1, -1, 3)), DATA_REG)]
        if kind == 4:
            return li(a7, rng.choice((0, 1, 63, 94))) + [ECALL]
        if kind == 5:
            return [I.lw(self.dest(), 0, zero)]  # address 0: outside RAM
        if kind == 6:
            return [I.jalr(self.dest(), rng.choice((0, 0x100)), zero)]  # fetch outside RAM
        return [I.csrrw(self.dest(), rng.choice((0xC00, 0x300, 0x123)), self.reg())]


def random_program(rng: random.Random, length: int, features: Features = Features(),
                   data_seed: int | None = None) -> tuple[Program, list[int]]:
    """About `length` words of random code; the data window filled with random bytes.

    Returns the program and its code words.
    """
    gen = _Gen(rng, features)
    words = [I.lui(DATA_REG, WINDOW_ANCHOR >> 12)]
    for reg in rng.sample(DEST_REGS, 10):  # interesting starting values
        words += li(reg, gen.value())
    stop_at = rng.randrange(length // 2, length) if features.mid_exit and \
        rng.random() < 0.3 else None
    while len(words) < length:
        if stop_at is not None and len(words) >= stop_at:
            words += li(a0, gen.value()) + li(a7, SYS_EXIT) + [ECALL]
            stop_at = None
        words += gen.item(in_loop=False)
    if features.traps and rng.random() < 0.6:
        words += gen.trap()
    if features.end == "exit":
        words += li(a7, SYS_EXIT) + [ECALL]
    else:
        words.append(EBREAK)
    data_rng = random.Random(rng.getrandbits(32) if data_seed is None else data_seed)
    window = bytes(data_rng.getrandbits(8) for _ in range(WINDOW_SIZE))
    return make_program(words, {WINDOW: window}), words


# ---- ELF images built by hand --------------------------------------------------------

EM_RISCV = 243
ET_REL, ET_EXEC = 1, 2
PT_LOAD = 1
PF_X, PF_W, PF_R = 1, 2, 4


def elf_image(words: Iterable[int], entry: int | None = None,
              data: tuple[int, bytes] | None = None, machine: int = EM_RISCV,
              e_type: int = ET_EXEC) -> bytes:
    """A 32-bit little-endian ELF executable: code at BASE (R+X), optional data (R+W)."""
    code = words_bytes(words)
    segments = [(BASE, code, PF_R | PF_X)]
    if data is not None:
        segments.append((data[0], data[1], PF_R | PF_W))
    ehsize, phentsize = 52, 32
    offset = ehsize + phentsize * len(segments)
    phdrs, bodies = b"", b""
    for addr, body, flags in segments:
        phdrs += struct.pack("<IIIIIIII", PT_LOAD, offset + len(bodies), addr, addr,
                             len(body), len(body), flags, 4)
        bodies += body
    ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)  # ELFCLASS32, LSB, version 1
    header = ident + struct.pack("<HHIIIIIHHHHHH", e_type, machine, 1,
                                 BASE if entry is None else entry, ehsize, 0, 0, ehsize,
                                 phentsize, len(segments), 40, 0, 0)
    assert len(header) == ehsize
    return header + phdrs + bodies


def elf64_image(words: Iterable[int]) -> bytes:
    """A 64-bit RISC-V ELF executable (which OxCore, RV32 only, must refuse)."""
    code = words_bytes(words)
    ehsize, phentsize = 64, 56
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # ELFCLASS64
    header = ident + struct.pack("<HHIQQQIHHHHHH", ET_EXEC, EM_RISCV, 1, BASE, ehsize, 0, 0,
                                 ehsize, phentsize, 1, 64, 0, 0)
    assert len(header) == ehsize
    phdr = struct.pack("<IIQQQQQQ", PT_LOAD, PF_R | PF_X, ehsize + phentsize, BASE, BASE,
                       len(code), len(code), 4)
    return header + phdr + code
