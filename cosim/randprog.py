"""Random RV32IM programs that always terminate and are dense in pipeline hazards.

In the spirit of riscv-dv: a seeded generator emits straight-line code with forward
branches and jumps, bounded loops, and a bias towards hazards: sources drawn from the
registers written just before (back-to-back dependencies), loads feeding branches and
ALU ops, mul/div chains, stores followed by loads of the same address, x0 as a
destination. Memory accesses are naturally aligned and stay in a data window.

Register roles (never written by random instructions):
  x2 (sp)  base of the data window      x3 (gp)  loop counter
  x4 (tp)  link register for jumps      the syscall number register (`oxcore.abi`)
Programs end with exit(code): the code's register is folded from every register first,
so a wrong value anywhere shows up in the exit code as well as in the retire stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from oxcore import abi
from oxcore.config import OxCoreConfig
from oxcore.isa import BY_MNEMONIC, INSTRUCTIONS, Instruction, format_instruction
from oxcore.isa.semantics import traits
from oxcore.program import Program, Segment

BASE, LOOP, LINK, SYSCALL = 2, 3, 4, abi.REG_NUMBER
EXIT_CODE = abi.reg(abi.BY_NAME["exit"].arg_regs[0])  # where exit() takes its code
RESERVED = {0, BASE, LOOP, LINK, SYSCALL}
FREE = [r for r in range(32) if r not in RESERVED]
WINDOW = 256  # bytes of data the program reads and writes


def _computes(ins: Instruction, extension: str, operands: tuple[str, ...]) -> bool:
    """A scalar instruction of `extension` that only computes x[rd] from `operands`."""
    return (ins.engine == "scalar" and ins.extension == extension and ins.memory is None
            and ins.flow is None and not traits(ins).environment
            and tuple(f.name for f in ins.operands) == operands)


# Instruction groups, from the ISA table's row attributes (table order: a seed keeps
# giving the same program).
ALU_R = [i.mnemonic for i in INSTRUCTIONS if _computes(i, "RV32I", ("rd", "rs1", "rs2"))]
ALU_I = [i.mnemonic for i in INSTRUCTIONS if _computes(i, "RV32I", ("rd", "rs1", "imm"))
         and i.operands[2].signed]
SHIFT_I = [i.mnemonic for i in INSTRUCTIONS if _computes(i, "RV32I", ("rd", "rs1", "shamt"))]
MULDIV = [i.mnemonic for i in INSTRUCTIONS if _computes(i, "RV32M", ("rd", "rs1", "rs2"))]
LOADS = {i.mnemonic: i.memory.size for i in INSTRUCTIONS
         if i.memory and i.memory.kind == "load"}
STORES = {i.mnemonic: i.memory.size for i in INSTRUCTIONS
          if i.memory and i.memory.kind == "store"}
BRANCHES = [i.mnemonic for i in INSTRUCTIONS if i.flow == "branch"]


def _enc(mnemonic: str, **operands: int) -> int:
    return BY_MNEMONIC[mnemonic].encode(**operands)


@dataclass
class RandomProgram:
    seed: int
    words: list[int]
    data: bytes
    text_base: int
    data_base: int

    def program(self) -> Program:
        text = b"".join(w.to_bytes(4, "little") for w in self.words)
        return Program(f"random-{self.seed}", self.text_base,
                       [Segment(self.text_base, text, len(text), True),
                        Segment(self.data_base, self.data, len(self.data), False)])

    def listing(self) -> str:
        """Disassembly, one line per word, for reproducer files and reports."""
        lines = [f"# oxcore random program, seed {self.seed}"]
        for i, word in enumerate(self.words):
            pc = self.text_base + 4 * i
            lines.append(f"{pc:08x}:  {word:08x}  {format_instruction(word, pc)}")
        return "\n".join(lines) + "\n"


class _Generator:
    def __init__(self, seed: int, config: OxCoreConfig, length: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.config = config
        self.length = length
        self.words: list[int] = []
        self.recent: list[int] = []  # registers written most recently, newest last

    # ---- register choice: the hazard bias ----------------------------------------------
    def src(self) -> int:
        if self.recent and self.rng.random() < 0.6:
            return self.rng.choice(self.recent[-3:])
        return self.rng.choice(FREE + [0])

    def dst(self) -> int:
        reg = 0 if self.rng.random() < 0.04 else self.rng.choice(FREE)
        if reg:
            self.recent = (self.recent + [reg])[-6:]
        return reg

    def emit(self, word: int) -> None:
        self.words.append(word)

    # ---- instruction groups ---------------------------------------------------------------
    def alu(self) -> None:
        r = self.rng.random()
        if r < 0.4:
            self.emit(_enc(self.rng.choice(ALU_R), rs1=self.src(), rs2=self.src(), rd=self.dst()))
        elif r < 0.75:
            imm = self.rng.choice([0, 1, -1, 2047, -2048, self.rng.randint(-2048, 2047)])
            self.emit(_enc(self.rng.choice(ALU_I), rs1=self.src(), imm=imm, rd=self.dst()))
        elif r < 0.9:
            shamt = self.rng.choice([0, 1, 31, self.rng.randint(0, 31)])
            self.emit(_enc(self.rng.choice(SHIFT_I), rs1=self.src(), shamt=shamt, rd=self.dst()))
        else:
            mnemonic = self.rng.choice(["lui", "auipc"])
            self.emit(_enc(mnemonic, imm=self.rng.randint(0, 0xFFFFF), rd=self.dst()))

    def muldiv(self) -> None:
        for _ in range(self.rng.choice([1, 1, 2, 3])):  # chains back to back
            self.emit(_enc(self.rng.choice(MULDIV), rs1=self.src(), rs2=self.src(),
                           rd=self.dst()))

    def memory(self) -> None:
        if self.rng.random() < 0.5:  # store, then load the same address right after
            store, size = self.rng.choice(list(STORES.items()))
            offset = self.rng.randrange(0, WINDOW, size)
            self.emit(_enc(store, rs1=BASE, rs2=self.src(), imm=offset))
            load = self.rng.choice([n for n, s in LOADS.items() if s <= size])
            self.emit(_enc(load, rs1=BASE, imm=offset + self.rng.randrange(0, size,
                                                                           LOADS[load]),
                           rd=self.dst()))
        else:
            load, size = self.rng.choice(list(LOADS.items()))
            self.emit(_enc(load, rs1=BASE, imm=self.rng.randrange(0, WINDOW, size),
                           rd=self.dst()))
        if self.rng.random() < 0.3:  # the loaded value feeds a branch at once
            self.branch(first=self.recent[-1] if self.recent else 0)

    def branch(self, first: int | None = None) -> None:
        skip = self.rng.randint(0, 3)
        rs1 = self.src() if first is None else first
        self.emit(_enc(self.rng.choice(BRANCHES), rs1=rs1, rs2=self.src(), imm=4 * (skip + 1)))
        for _ in range(skip):
            self.alu()

    def jump(self) -> None:
        """jal forward, or auipc+jalr forward (target computed in a register)."""
        skip = self.rng.randint(0, 2)
        if self.rng.random() < 0.5:
            self.emit(_enc("jal", rd=self.rng.choice([0, LINK]), imm=4 * (skip + 1)))
        else:
            self.emit(_enc("auipc", rd=LINK, imm=0))
            # jalr's target bit 0 is cleared: an odd offset exercises that
            offset = 4 * (skip + 2) + self.rng.choice([0, 1])
            self.emit(_enc("jalr", rd=self.rng.choice([0, LINK]), rs1=LINK, imm=offset))
        for _ in range(skip):
            self.alu()

    def loop(self) -> None:
        """A short counted loop over a few hazardous instructions."""
        self.emit(_enc("addi", rd=LOOP, rs1=0, imm=self.rng.randint(1, 4)))
        start = len(self.words)
        for _ in range(self.rng.randint(1, 4)):
            self.rng.choice([self.alu, self.alu, self.muldiv, self.memory_simple])()
        self.emit(_enc("addi", rd=LOOP, rs1=LOOP, imm=-1))
        back = 4 * (start - len(self.words))
        self.emit(_enc("bne", rs1=LOOP, rs2=0, imm=back))

    def memory_simple(self) -> None:
        load, size = self.rng.choice(list(LOADS.items()))
        self.emit(_enc(load, rs1=BASE, imm=self.rng.randrange(0, WINDOW, size), rd=self.dst()))

    # ---- whole program ----------------------------------------------------------------
    def generate(self) -> RandomProgram:
        text_base = self.config.mem_base
        data_base = self.config.mem_base + self.config.mem_size // 2
        hi = (data_base + 0x800) >> 12
        self.emit(_enc("lui", rd=BASE, imm=hi & 0xFFFFF))
        self.emit(_enc("addi", rd=BASE, rs1=BASE, imm=data_base - (hi << 12)))
        for reg in FREE:  # random initial values, some small, some extreme
            value = self.rng.choice([0, 1, -1, 0x7FFFFFFF, -0x80000000,
                                     self.rng.randint(-2048, 2047)])
            if -2048 <= value <= 2047:
                self.emit(_enc("addi", rd=reg, rs1=0, imm=value))
            else:
                upper = ((value + 0x800) >> 12) & 0xFFFFF
                self.emit(_enc("lui", rd=reg, imm=upper))
                self.emit(_enc("addi", rd=reg, rs1=reg, imm=value - ((value + 0x800) >> 12 << 12)))
        groups = [self.alu] * 5 + [self.muldiv] * 2 + [self.memory] * 3 + \
                 [self.branch] * 2 + [self.jump, self.loop]
        while len(self.words) < self.length:
            self.rng.choice(groups)()
        for reg in FREE:  # fold every register into the exit code
            if reg != EXIT_CODE:
                self.emit(_enc("xor", rd=EXIT_CODE, rs1=EXIT_CODE, rs2=reg))
        self.emit(_enc("addi", rd=SYSCALL, rs1=0, imm=abi.SYS_EXIT))
        self.emit(_enc("ecall"))
        data = bytes(self.rng.randrange(256) for _ in range(WINDOW))
        return RandomProgram(self.seed, self.words, data, text_base, data_base)


def generate(seed: int, config: OxCoreConfig, length: int = 200) -> RandomProgram:
    """A random terminating program of about `length` instructions (plus set-up)."""
    return _Generator(seed, config, length).generate()
