"""Random RVV (Zve32x) programs, run on the golden interpreter and on QEMU user mode.

    python -m cosim.vector_fuzz --seeds 200 [--first-seed 0] [--vlen 256 ...]
                                [--length 60] [--vstart-rate 0.1] [--wild]
                                [--out build/vector-fuzz] [--list SEED]

A program (`generate`) fills all 32 vector registers and a scratch buffer with random
words (a third of them edge values: 0, 1, -1, MIN, MAX at every SEW), random values in
the scalar operand registers and a random ``vxrm``, then runs `length` random *steps*:
one Zve32x instruction each, drawn by category (the vector unit method its semantics
call) from the ISA table, `isa_for(config)`, and written in its syntax; sometimes a
random ``vsetvli``/``vsetivli``/``vsetvl`` (SEW 8/16/32, LMUL mf4..m8 as far as
ELEN = 32 allows, AVL 0, small, VLMAX, beyond VLMAX or any 32-bit value, random ta/ma),
a ``vsetvl`` with an illegal vtype (vill; a legal one follows), or a new ``vxrm``. A
step carries the scalar set-up it needs (memory base, stride, the index ``vand`` of an
indexed access under its own vsetvli, then vl/vtype restored with ``vsetvl``). The
epilogue (subroutine ``vf_dump``) writes the x registers, vl, vtype, vxsat, vstart, all
32 vector registers and the scratch buffer with one ``write``; then exit(0).

`compare` runs a program on both sides and requires the same output and exit status
(0). On a difference, `localise` re-runs it with a dump after every step and reports
the first step whose dump differs -- its instruction, encoding (our disassembly) and
the differing x registers, CSRs, vector register bytes and scratch bytes -- or, if that
run agrees, bisects over the number of steps. ``--wild`` ends each (short) program with
one instruction whose vector register operands may break the rules (misaligned groups,
reserved overlaps, a masked v0 destination): then both sides must trap (status 132) or
neither. ``--vstart-rate`` runs that fraction of the instructions with a non-zero vstart.

Only legal instructions are generated otherwise (an illegal one ends the program):
register groups aligned to their EMUL, the overlap rules of spec 5.2 (sources and
destinations of different EEW disjoint, except the overlaps the spec allows and the
generator makes on purpose: a widening destination over the highest part of a source
with EMUL >= 1, a narrowing destination at the bottom of its source, a mask destination
on its source's first register), no masked destination at v0 (5.3), widening and
narrowing only with SEW <= 16 and LMUL <= 4 (``vsext/vzext.vf8`` need SEW 64: never
legal with ELEN 32), EMUL within 1/8..8 and nf * EMUL <= 8 (7.8), indexed segment loads
clear of their index group (7.8.3), element-aligned addresses inside the scratch buffer.

Findings, and what the generator avoids because of them:

* Interpreter bug, fixed: an indexed segment load whose field groups overlap the index
  group (``vloxseg4ei8.v v10, (a1), v12`` at e8/m1) executed; spec 7.8.3 reserves it
  (QEMU: illegal instruction) even where EEW = SEW lets a one-field load overlap
  (5.2). tests/oxcore/test_vector_semantics.py.
* QEMU 7.2, vstart (spec 3.7: "vstart is reset to zero at the end of execution of every
  vector instruction"; instructions that require vstart = 0: 14, 15.2-15.8, 16.5):
  (a) QEMU decides at translation time with the vstart the whole translation block
  started with: after ``csrwi vstart, k`` the rest of the block takes fast paths that
  ignore vstart, and once a block starts with vstart != 0, vcpop/vfirst/vmsbf/viota/
  reductions/vcompress later in it raise illegal instruction although vstart is 0 by
  then; (b) vmv.x.s, vmv.s.x and vslideup.vx/.vi leave vstart unchanged; (c) with
  vstart >= vl an instruction is skipped without resetting vstart. The generator writes
  vstart only with ``--vstart-rate`` (the test and ``make fuzz`` use it), with
  0 < vstart < the instruction's element count (vl; whole registers' or a mask's
  elements), never before an instruction that requires vstart = 0, and isolates the
  instruction in its own translation block (``j 1f; 1:`` before and after) followed by
  ``csrwi vstart, 0``. OxCore resets vstart after every vector instruction.
* OxCore traps on misaligned vector element accesses (a documented choice, spec 7.8
  allows it); QEMU user mode performs them: addresses are element-aligned.
* vl for ``VLMAX < AVL < 2*VLMAX``: both set vl = VLMAX (spec 6.3 allows any value from
  ceil(AVL/2) to VLMAX): generated, compared.
* ``vsetvli x0, x0, ...`` (keep vl) is reserved when VLMAX changes (6.2): not generated.
* Tail- and mask-agnostic elements: OxCore keeps them undisturbed (documented choice,
  3.4.3 and 5.4 allow it), as QEMU 7.2 does by default: compared like any other byte.
* Unordered stores that write one address twice (``vsux*`` with repeated offsets, 7.6;
  strided stores with stride 0, which 7.5 lets an implementation merge, or overlapping
  segments): the value left is unspecified, so unordered indexed stores get distinct
  offsets (``vid`` times the segment size) and strided stores a stride of at least
  nf * EEW bytes in magnitude. Loads and ordered indexed stores use any offsets,
  stride 0 included.
* Fault-only-first loads run up to the end of RAM too (vl trimmed where the first
  element past it starts, spec 7.7), unmasked only: QEMU 7.2 trims vl at the first
  element past RAM whether it is active or not (its probe ignores the mask), OxCore at
  the first active one; 7.7 allows both ("implementations are permitted to process
  fewer than vl elements and reduce vl accordingly"). The top of RAM, where QEMU keeps
  the start-up stack (argv, auxv), is overwritten with a pattern first. QEMU 7.2 keeps
  translating the block after such a load as if vl were unchanged: with vl = VLMAX
  before, the following instructions take its vl = VLMAX fast path and write all VLMAX
  elements (found here, as a difference after a later vmv.v.x/vrgather). So a trimming
  load ends its translation block (``j 1f; 1:`` after it).
* VLEN 64: QEMU 7.2 emulates VLEN 128..1024 only (cosim/oracles/qemu.py).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from oxcore.abi import SYS_EXIT, SYS_WRITE
from oxcore.config import PRESETS, OxCoreConfig, VectorConfig
from oxcore.isa import isa_for

EXT = "Zve32x"
SEWS = (8, 16, 32)
LMULS = {Fraction(1, 4): "mf4", Fraction(1, 2): "mf2", Fraction(1): "m1", Fraction(2): "m2",
         Fraction(4): "m4", Fraction(8): "m8"}
ELEN = 32
# Scalar registers: operands (random values), and the ones the generator reserves.
OPERAND_REGS = ("s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "a3", "a4",
                "a5", "a6", "gp", "tp", "ra")
BASE = "s0"  # the middle of the scratch buffer
SPECIAL_VALUES = (0, 1, 2, 3, 7, 8, 15, 16, 31, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
                  0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFFE)
SPECIAL_WORDS = (0, 1, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, 0x0000_8000, 0x8000_8000,
                 0x7FFF_7FFF, 0xFFFF_0000, 0x0000_FFFF, 0x0001_0001, 0x8080_8080, 0x7F7F_7F7F,
                 0x0101_0101, 0xFFFE_FFFE)
XREG_NUMBERS = {"zero": 0, "ra": 1, "sp": 2, "gp": 3, "tp": 4, "t0": 5, "t1": 6, "t2": 7,
                "s0": 8, "s1": 9, **{f"a{i}": 10 + i for i in range(8)},
                **{f"s{i}": 16 + i for i in range(2, 12)},
                **{f"t{i}": 25 + i for i in range(3, 7)}}


def vector_config(vlen: int, lanes: int | None = None) -> OxCoreConfig:
    """`default` with the vector engine at `vlen` (and `lanes`, for the RTL; the
    interpreter and QEMU do not depend on it)."""
    section = VectorConfig(vlen=vlen, lanes=lanes or min(4, vlen // 32))
    return PRESETS["default"].replace(name=f"vector{vlen}" + (f"x{lanes}" if lanes else ""),
                                      vector=section)


# ---- the ISA table, by category ---------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """A Zve32x row as the generator sees it: the unit method its semantics call, its
    string arguments (op, form) and numbers (eew, nf, ...)."""

    mnemonic: str
    syntax: str
    method: str
    strings: tuple[str, ...]
    numbers: tuple[int, ...]
    flags: tuple[bool, ...]
    signed_imm: bool
    fixed_vm: int | None


_CALL = re.compile(r"vec\.(\w+)\((.*)\)")


def rows_by_category(config: OxCoreConfig) -> dict[str, list[Row]]:
    """Every Zve32x instruction of the ISA table, grouped by the vector unit method
    (spec category) its semantics call."""
    out: dict[str, list[Row]] = {}
    for ins in isa_for(config).instructions:
        if ins.extension != EXT:
            continue
        match = _CALL.search(ins.semantics)
        if match is None:
            continue
        args = [a.strip() for a in match.group(2).split(",")]
        strings = tuple(a.strip("'\"") for a in args if a[:1] in "'\"")
        numbers = tuple(int(a) for a in args if a.isdigit())
        flags = tuple(a == "True" for a in args if a in ("True", "False"))
        names = {f.name for f in ins.operands}
        signed_imm = "imm" in names and ins.format.field("imm").signed
        out.setdefault(match.group(1), []).append(Row(
            ins.mnemonic, ins.syntax, match.group(1), strings, numbers, flags, signed_imm,
            ins.fixed.get("vm")))
    return out


# ---- the program ------------------------------------------------------------------------
@dataclass
class Step:
    """One step: preparatory lines (scalar set-up, vsetvli), then its instruction."""

    prep: list[str]
    insn: str
    kind: str  # category, for the summary
    post: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return self.prep + [self.insn] + self.post


@dataclass
class VectorProgram:
    seed: int
    vlen: int
    prologue: list[str]
    steps: list[Step]
    data: bytes  # initial vector registers then scratch
    xvalues: dict[str, int] = field(default_factory=dict)
    mem_end: int = 0

    @property
    def vlenb(self) -> int:
        return self.vlen // 8

    @property
    def span(self) -> int:
        return span_of(self.vlen)

    def source(self, count: int | None = None, trace: bool = False) -> str:
        """Assembly source of the program with its first `count` steps (all: None);
        `trace`: write the state after every step too (one dump per step, then the
        final one)."""
        steps = self.steps if count is None else self.steps[:count]
        body = [line for step in steps
                for line in step.lines() + (["jal t5, vf_dump"] if trace else [])]
        return _render(self, body)

    def listing(self) -> str:
        return "\n".join(f"{i:4d}: " + " ; ".join(s.lines()) for i, s in enumerate(self.steps))


def span_of(vlen: int) -> int:
    """Half the scratch buffer: room for 8 whole registers twice over."""
    return 16 * vlen // 8


DUMP_X = 32 * 4
DUMP_CSR = 4 * 4
CSR_NAMES = ("vl", "vtype", "vxsat", "vstart")


def layout(vlen: int) -> dict[str, tuple[int, int]]:
    """(offset, size) of each part of the dump (= the .data block)."""
    vregs = 32 * vlen // 8
    scratch = 2 * span_of(vlen)
    return {"x": (0, DUMP_X), "csr": (DUMP_X, DUMP_CSR), "v": (DUMP_X + DUMP_CSR, vregs),
            "scratch": (DUMP_X + DUMP_CSR + vregs, scratch)}


def _render(prog: VectorProgram, body: list[str]) -> str:
    lay = layout(prog.vlen)
    size = sum(s for _, s in lay.values())
    words = [int.from_bytes(prog.data[i:i + 4], "little") for i in range(0, len(prog.data), 4)]
    data = [f"    .word {', '.join(f'{w:#x}' for w in words[i:i + 16])}"
            for i in range(0, len(words), 16)]
    vstart, _ = lay["v"]
    sstart, _ = lay["scratch"]
    csr_off, _ = lay["csr"]
    out = ["    .data", "    .p2align 6", "dump:", f"    .zero {vstart}", *data,
           "    .text", "    .globl _start", "_start:", *prog.prologue,
           "    la t6, dump", f"    addi t6, t6, {vstart}",
           "    vsetvli t0, zero, e8, m8, ta, ma",
           *(f"    vle8.v v{g}, (t6)\n    addi t6, t6, {8 * prog.vlenb}" for g in (0, 8, 16, 24)),
           "    la s0, dump", f"    li t0, {sstart + prog.span}", "    add s0, s0, t0",
           # the top 8 registers' worth of RAM (QEMU keeps its start-up stack there)
           # gets a pattern, its words' addresses: fault-only-first loads read it
           f"    li t0, {prog.mem_end - 8 * prog.vlenb:#x}", f"    li t1, {prog.mem_end:#x}",
           "1:", "    sw t0, 0(t0)", "    addi t0, t0, 4", "    bltu t0, t1, 1b",
           *[f"    li {r}, {v:#x}" for r, v in prog.xvalues.items()],
           "# ---- steps"]
    out += [("    " + line if not line.startswith("#") else line) for line in body]
    # The dump: a subroutine (link register t5) that writes the x registers, vl, vtype,
    # vxsat, vstart, the vector registers and the scratch buffer, then restores vl and
    # vtype (vsetvl resets vstart, as every vector instruction does).
    out += ["    jal t5, vf_dump", "    li a0, 0", f"    li a7, {SYS_EXIT}", "    ecall",
            "# ---- the dump", "vf_dump:", "    la t6, dump"]
    out += [f"    sw {name}, {4 * num}(t6)" for name, num in XREG_NUMBERS.items()
            if name not in ("zero", "sp", "t5", "t6")]
    out += ["    csrr t1, vl", "    csrr t2, vtype", "    csrr t3, vxsat", "    csrr t4, vstart"]
    out += [f"    sw {r}, {csr_off + 4 * i}(t6)" for i, r in enumerate(("t1", "t2", "t3", "t4"))]
    out += [f"    addi t0, t6, {vstart}", "    vsetvli t3, zero, e8, m8, ta, ma"]
    out += [f"    vse8.v v{g}, (t0)\n    addi t0, t0, {8 * prog.vlenb}" for g in (0, 8, 16, 24)]
    out += ["    li a0, 1", "    mv a1, t6", f"    li a2, {size}", f"    li a7, {SYS_WRITE}", "    ecall",
            "    vsetvl zero, t1, t2", "    jr t5", ""]
    return "\n".join(out)


class _Retry(Exception):
    """The chosen instruction has no legal operands under the current vtype."""


# Categories that require vstart = 0 (spec 14, 15.2-15.8, 16.5: illegal otherwise).
VSTART_ZERO = frozenset({"reduction", "population", "find_first", "set_first", "iota",
                         "compress"})


class Generator:
    """Draws legal steps, tracking vtype and vl as the hardware will set them.
    `vstart_rate`: how often an instruction runs with a non-zero vstart
    (``csrwi vstart, k`` just before it)."""

    def __init__(self, seed: int, vlen: int, config: OxCoreConfig | None = None,
                 vstart_rate: float = 0.0) -> None:
        self.vstart_rate = vstart_rate
        self.rng = random.Random(seed)
        self.seed = seed
        self.vlen = vlen
        self.mem_end = (config or vector_config(vlen)).mem_end
        self.vlenb = vlen // 8
        self.span = span_of(vlen)
        self.rows = rows_by_category(config or vector_config(vlen))
        self.sew, self.lmul, self.vl = 8, Fraction(1), 0
        self.vill = False
        self.end_block = False

    # -- configuration --
    def vlmax(self, sew: int | None = None, lmul: Fraction | None = None) -> int:
        return int((lmul or self.lmul) * self.vlen / (sew or self.sew))

    def legal_vtypes(self) -> list[tuple[int, Fraction]]:
        return [(s, l) for s in SEWS for l in LMULS if l >= 1 or s <= l * ELEN]

    def vtype_text(self, sew: int, lmul: Fraction) -> str:
        r = self.rng
        return f"e{sew}, {LMULS[lmul]}, {r.choice('tu ta'.split())}, {r.choice(('mu', 'ma'))}"

    def vsetvl_step(self) -> Step:
        r = self.rng
        sew, lmul = r.choice(self.legal_vtypes())
        vlmax = self.vlmax(sew, lmul)
        text = self.vtype_text(sew, lmul)
        rd = r.choice(("t0", "zero", "t1"))
        how = r.random()
        if how < 0.25:  # AVL = ~0: VLMAX
            rd = r.choice(("t0", "t1"))
            prep, insn, avl = [], f"vsetvli {rd}, zero, {text}", None
        elif how < 0.45:
            avl = r.randrange(32)
            prep, insn = [], f"vsetivli {rd}, {avl}, {text}"
        else:
            avl = r.choice((0, 1, vlmax, vlmax + 1, 2 * vlmax, r.randrange(1, vlmax + 1),
                            r.randrange(1, 2 * vlmax + 2), r.getrandbits(32)))
            if r.random() < 0.3:  # vsetvl: vtype from a register
                vtype = self._vtype_bits(sew, lmul, text)
                prep = [f"li t2, {avl:#x}", f"li t3, {vtype:#x}"]
                insn = f"vsetvl {rd}, t2, t3"
            else:
                prep, insn = [f"li t2, {avl:#x}"], f"vsetvli {rd}, t2, {text}"
        self.sew, self.lmul = sew, lmul
        self.vl = vlmax if avl is None else min(avl, vlmax)
        return Step(prep, insn, "vsetvl")

    @staticmethod
    def _vtype_bits(sew: int, lmul: Fraction, text: str) -> int:
        vlmul = {Fraction(1, 4): 6, Fraction(1, 2): 7, Fraction(1): 0, Fraction(2): 1,
                 Fraction(4): 2, Fraction(8): 3}[lmul]
        return (vlmul | {8: 0, 16: 1, 32: 2}[sew] << 3 | ("ta" in text) << 6
                | ("ma" in text) << 7)

    # -- registers --
    def group(self, regs: int, avoid: list[tuple[int, int]] = (), not_v0: bool = False,
              extra: int = 0) -> int:
        """A register group of `regs` registers (aligned), plus `extra` more after it,
        overlapping none of `avoid` ((start, count) pairs)."""
        starts = [s for s in range(0, 32 - regs - extra + 1, regs)
                  if not (not_v0 and s == 0)
                  and all(s + regs + extra <= a or a + n <= s for a, n in avoid)]
        if not starts:
            raise _Retry
        return self.rng.choice(starts)

    def xreg(self) -> str:
        return self.rng.choice(OPERAND_REGS)

    def imm(self, signed: bool) -> int:
        return self.rng.randrange(-16, 16) if signed else self.rng.randrange(32)

    @property
    def L(self) -> int:
        return max(1, int(self.lmul))

    # -- one step --
    def illegal_vtype_step(self) -> Step:
        """vsetvl with a vtype that sets vill (spec 3.4: SEW 64 > ELEN, vlmul 4, LMUL
        1/8 with any SEW or a fractional LMUL below SEW/ELEN, reserved bits); vl becomes
        0. The next step is a legal vsetvl."""
        r = self.rng
        vtype = r.choice((0b011_000, 0b000_100, 0b000_101, 0b001_110, 0b010_111,
                          0b010_110, 1 << 8, 1 << 10, 1 << 31 | 0b000_000))
        vtype |= r.getrandbits(2) << 6  # ta, ma
        self.vill = True
        return Step([f"li t2, {r.randrange(40)}", f"li t3, {vtype:#x}"],
                    f"vsetvl {r.choice(('t0', 't1', 'zero'))}, t2, t3", "vsetvl-illegal")

    def step(self) -> Step:
        r = self.rng
        if self.vill:
            self.vill = False
            return self.vsetvl_step()
        if r.random() < 0.01:
            return self.illegal_vtype_step()
        if r.random() < 0.15:
            return self.vsetvl_step()
        if r.random() < 0.03:
            return Step([], f"csrwi vxrm, {r.randrange(4)}", "vxrm")
        methods = sorted(m for m in self.rows if m not in ("set_vl", "set_vl_immediate"))
        # categories weighted by the square root of their size: every category often,
        # the large ones (binary: 100 rows) more often
        weights = [len(self.rows[m]) ** 0.5 for m in methods]
        for _ in range(50):
            method = r.choices(methods, weights)[0]
            row = r.choice(self.rows[method])
            try:
                prep, ops = getattr(self, "_" + method)(row)
            except _Retry:
                continue
            if self.end_block:
                self.end_block = False
                return Step(prep, self.render(row, ops), method, ["j 1f", "1:"])
            if (self.vstart_rate and method not in VSTART_ZERO
                    and r.random() < self.vstart_rate):
                evl = self._evl(method, row)
                if evl > 1:  # 0 < vstart < evl, the instruction alone in a QEMU
                    # translation block, vstart cleared after it: see the docstring
                    prep = prep + [f"csrwi vstart, {r.randrange(1, min(evl, 32))}",
                                   "j 1f", "1:"]
                    return Step(prep, self.render(row, ops), method,
                                ["j 1f", "1:", "csrwi vstart, 0"])
            return Step(prep, self.render(row, ops), method)
        return self.vsetvl_step()

    def _evl(self, method: str, row: Row) -> int:
        """The number of elements `row` processes (spec 7.4, 7.9, 16.6: vl, the whole
        registers' elements, or the bytes of a mask)."""
        if method in ("load_mask", "store_mask"):
            return (self.vl + 7) // 8
        if method == "load_whole":
            return row.numbers[1] * self.vlenb * 8 // row.numbers[0]
        if method == "store_whole":
            return row.numbers[0] * self.vlenb
        if method == "move_whole":
            return row.numbers[0] * self.vlenb * 8 // self.sew
        return self.vl

    def wild_step(self) -> Step:
        """A step whose vector register operands may break the rules (misaligned
        groups, forbidden overlaps, a masked v0 destination): legal or not, both sides
        must agree (an illegal instruction ends the program with status 132)."""
        r = self.rng
        methods = sorted(m for m in self.rows if m not in ("set_vl", "set_vl_immediate"))
        while True:
            method = r.choice(methods)
            row = r.choice(self.rows[method])
            try:
                prep, ops = getattr(self, "_" + method)(row)
            except _Retry:
                continue
            for name in ("vd", "vs1", "vs2", "vs3"):
                if name not in ops or (name == "vs2" and "indexed" in method):
                    continue  # (the index register holds offsets prepared for it)
                if r.random() < 0.5:
                    others = [v for k, v in ops.items() if k in ("vd", "vs1", "vs2", "vs3")]
                    ops[name] = r.choice([r.randrange(32), 0, r.choice(others),
                                          r.choice(others) + 1])
                    ops[name] = min(ops[name], 31)
            return Step(prep, self.render(row, ops), method + " (wild)")

    def render(self, row: Row, ops: dict[str, object]) -> str:
        values = {k: (f"v{v}" if k in ("vd", "vs1", "vs2", "vs3") else v) for k, v in ops.items()}
        values.setdefault("vm", "")
        if values["vm"] == 0:
            values["vm"] = "v0.t"
        elif values["vm"] == 1:
            values["vm"] = ""
        text = row.syntax.format(**values).rstrip(", ")
        return f"{row.mnemonic} {text}"

    def vm(self, row: Row) -> int:
        if row.fixed_vm is not None:
            return row.fixed_vm
        return self.rng.choice((0, 1))

    def source(self, row: Row, form: str, avoid=(), regs: int | None = None) -> dict:
        """The second operand of a vv/vx/vi form."""
        if form == "vv":
            return {"vs1": self.group(regs or self.L, avoid)}
        if form == "vx":
            return {"rs1": self.xreg()}
        return {"imm": self.imm(row.signed_imm)}

    # categories: each returns (prep lines, operands)
    def _binary(self, row: Row):
        vm = self.vm(row)
        ops = {"vd": self.group(self.L, not_v0=not vm), "vs2": self.group(self.L), "vm": vm}
        return [], {**ops, **self.source(row, row.strings[1])}

    def _multiply_add(self, row: Row):
        return self._binary(row)

    def _needs_widening(self) -> int:
        if self.sew > 16 or self.lmul > 4:
            raise _Retry
        return max(1, int(2 * self.lmul))

    def _widening(self, row: Row):
        W = self._needs_widening()
        vm = self.vm(row)
        vd = self.group(W, not_v0=not vm)
        wide_src = row.strings[0].endswith(".w")
        if wide_src:
            vs2 = self.group(W)
        elif self.lmul >= 1 and self.rng.random() < 0.3:
            vs2 = vd + W - self.L  # the highest part of the destination (spec 5.2)
        else:
            vs2 = self.group(self.L, [(vd, W)])
        return [], {"vd": vd, "vs2": vs2, "vm": vm,
                    **self.source(row, row.strings[1], [(vd, W)])}

    def _widening_multiply_add(self, row: Row):
        W = self._needs_widening()
        vm = self.vm(row)
        vd = self.group(W, not_v0=not vm)
        return [], {"vd": vd, "vs2": self.group(self.L, [(vd, W)]), "vm": vm,
                    **self.source(row, row.strings[1], [(vd, W)])}

    def _narrowing(self, row: Row):
        W = self._needs_widening()
        vm = self.vm(row)
        vs2 = self.group(W)
        if self.rng.random() < 0.3 and (vm or vs2):
            vd = vs2  # the lowest part of the wide source: legal (spec 5.2)
        else:
            vd = self.group(self.L, [(vs2, W)], not_v0=not vm)
        return [], {"vd": vd, "vs2": vs2, "vm": vm, **self.source(row, row.strings[1])}

    def _extend(self, row: Row):
        factor = row.numbers[0]
        if self.sew // factor < 8:
            raise _Retry
        src_emul = self.lmul / factor
        if src_emul < Fraction(1, 8):
            raise _Retry
        vm = self.vm(row)
        vd = self.group(self.L, not_v0=not vm)
        src_regs = max(1, int(src_emul))
        if src_emul >= 1 and self.rng.random() < 0.3:
            vs2 = vd + self.L - src_regs  # the highest part of the destination
        else:
            vs2 = self.group(src_regs, [(vd, self.L)])
        return [], {"vd": vd, "vs2": vs2, "vm": vm}

    def _carry(self, row: Row):
        op, form = row.strings
        use_carry = row.flags[0]
        if op in ("vmadc", "vmsbc"):
            vs2 = self.group(self.L)
            src = self.source(row, form)
            vd = self._mask_dest([vs2] + ([src["vs1"]] if "vs1" in src else []))
            return [], {"vd": vd, "vs2": vs2, **src}
        vd = self.group(self.L, not_v0=True)
        return [], {"vd": vd, "vs2": self.group(self.L), **self.source(row, form)}

    def _mask_dest(self, sources: list[int]) -> int:
        """A mask destination: on a source's first register, or clear of all of them."""
        if self.rng.random() < 0.3:
            return self.rng.choice(sources)
        return self.group(1, [(s, self.L) for s in sources])

    def _merge(self, row: Row):
        form = row.strings[0]
        return [], {"vd": self.group(self.L, not_v0=True), "vs2": self.group(self.L),
                    **self.source(row, form)}

    def _move(self, row: Row):
        return [], {"vd": self.group(self.L), **self.source(row, row.strings[0])}

    def _compare(self, row: Row):
        vm = self.vm(row)
        vs2 = self.group(self.L)
        src = self.source(row, row.strings[1])
        vd = self._mask_dest([vs2] + ([src["vs1"]] if "vs1" in src else []))
        return [], {"vd": vd, "vs2": vs2, "vm": vm, **src}

    def _reduction(self, row: Row):
        if row.strings[0].startswith("vw") and self.sew > 16:
            raise _Retry
        r = self.rng
        return [], {"vd": r.randrange(32), "vs2": self.group(self.L), "vs1": r.randrange(32),
                    "vm": self.vm(row)}

    def _mask_logic(self, row: Row):
        r = self.rng
        return [], {"vd": r.randrange(32), "vs2": r.randrange(32), "vs1": r.randrange(32)}

    def _population(self, row: Row):
        return [], {"rd": self.xreg(), "vs2": self.rng.randrange(32), "vm": self.vm(row)}

    _find_first = _population

    def _set_first(self, row: Row):
        vm = self.vm(row)
        vs2 = self.rng.randrange(32)
        vd = self.group(1, [(vs2, 1)] + ([(0, 1)] if not vm else []))
        return [], {"vd": vd, "vs2": vs2, "vm": vm}

    def _iota(self, row: Row):
        vm = self.vm(row)
        vs2 = self.rng.randrange(32)
        vd = self.group(self.L, [(vs2, 1)], not_v0=not vm)
        return [], {"vd": vd, "vs2": vs2, "vm": vm}

    def _index(self, row: Row):
        vm = self.vm(row)
        return [], {"vd": self.group(self.L, not_v0=not vm), "vm": vm}

    def _move_to_scalar(self, row: Row):
        return [], {"rd": self.xreg(), "vs2": self.rng.randrange(32)}

    def _move_from_scalar(self, row: Row):
        return [], {"vd": self.rng.randrange(32), "rs1": self.xreg()}

    def _slide(self, row: Row):
        op, form = row.strings
        vm = self.vm(row)
        vs2 = self.group(self.L)
        avoid = [(vs2, self.L)] if op in ("vslideup", "vslide1up") else []
        vd = self.group(self.L, avoid, not_v0=not vm)
        src = self.source(row, form)
        prep = []
        if "rs1" in src and self.rng.random() < 0.5:  # a small offset, often in range
            prep = [f"li t4, {self.rng.randrange(2 * self.vlmax() + 2)}"]
            src = {"rs1": "t4"}
        return prep, {"vd": vd, "vs2": vs2, "vm": vm, **src}

    def _gather(self, row: Row):
        op, form = row.strings
        vm = self.vm(row)
        vs2 = self.group(self.L)
        vd = self.group(self.L, [(vs2, self.L)], not_v0=not vm)
        prep = []
        if op == "vrgatherei16":
            emul = self.lmul * 16 / self.sew
            if emul > 8:
                raise _Retry
            src = {"vs1": self.group(max(1, int(emul)), [(vd, self.L)])}
        elif form == "vv":
            src = {"vs1": self.group(self.L, [(vd, self.L)])}
        else:
            src = self.source(row, form)
            if "rs1" in src and self.rng.random() < 0.6:
                prep = [f"li t4, {self.rng.randrange(self.vlmax() + 2)}"]
                src = {"rs1": "t4"}
        return prep, {"vd": vd, "vs2": vs2, "vm": vm, **src}

    def _compress(self, row: Row):
        vs2 = self.group(self.L)
        vs1 = self.rng.randrange(32)
        vd = self.group(self.L, [(vs2, self.L), (vs1, 1)])
        return [], {"vd": vd, "vs2": vs2, "vs1": vs1}

    def _move_whole(self, row: Row):
        n = row.numbers[0]
        return [], {"vd": self.group(n), "vs2": self.group(n)}

    # -- memory --
    def _base(self, low: int, high: int, align: int) -> list[str]:
        """t3 = s0 + an offset, aligned, such that [t3 + low, t3 + high) stays inside
        the scratch buffer [s0 - span, s0 + span)."""
        lo, hi = -self.span - low, self.span - high
        if hi < lo:
            raise _Retry
        off = self.rng.randrange(lo, hi + 1)
        off -= off % align
        if off < lo:
            off += align
        if off > hi:
            raise _Retry
        return [f"li t3, {off}", f"add t3, {BASE}, t3"]

    def _data_regs(self, eew: int, nf: int) -> int:
        emul = Fraction(eew, self.sew) * self.lmul
        if emul > 8 or emul < Fraction(1, 8):
            raise _Retry
        regs = max(1, int(emul))
        if nf * regs > 8:
            raise _Retry
        return regs

    def _load_unit(self, row: Row):
        eew, nf = row.numbers[:2]
        regs = self._data_regs(eew, nf)
        vm = self.vm(row)
        vd = self.group(regs, not_v0=not vm, extra=(nf - 1) * regs)
        fault_first = row.flags[0]
        if fault_first and vm and self.vl > 1 and self.rng.random() < 0.4:
            # Up to the end of RAM: element `keep` is the first past it, where the load
            # stops and vl becomes `keep` (spec 7.7). The top of RAM holds a pattern
            # (see _render). Unmasked: QEMU 7.2 also stops at a masked-off element
            # there, which 7.7 allows ("implementations are permitted to process fewer
            # than vl elements"), OxCore only at an active one.
            keep = self.rng.randrange(1, self.vl)
            size = keep * nf * eew // 8
            self.vl = keep
            self.end_block = True  # see the docstring: QEMU 7.2 and a trimmed vl
            return [f"li t3, {self.mem_end - size:#x}"], {"vd": vd, "rs1": "t3", "vm": vm}
        prep = self._base(0, self.vl * nf * eew // 8, eew // 8)
        return prep, {"vd": vd, "rs1": "t3", "vm": vm}

    def _store_unit(self, row: Row):
        eew, nf = row.numbers[:2]
        regs = self._data_regs(eew, nf)
        vs3 = self.group(regs, extra=(nf - 1) * regs)
        prep = self._base(0, self.vl * nf * eew // 8, eew // 8)
        return prep, {"vs3": vs3, "rs1": "t3", "vm": self.vm(row)}

    def _stride(self, eew: int, nf: int, store: bool) -> tuple[int, int, int]:
        """(stride, low, high) with the accessed bytes [base+low, base+high)."""
        eb = eew // 8
        room = self.span  # the scratch buffer is 2*span bytes
        most = room // max(self.vl - 1, 1) // eb  # in elements
        r = self.rng
        choices = [k for k in (0, 1, -1, 2, -2, nf, -nf, nf + 1, -(nf + 1), 3 * nf)
                   if abs(k) <= most and not (store and abs(k) < nf)]
        if not choices:
            raise _Retry
        stride = r.choice(choices) * eb
        last = (self.vl - 1) * stride if self.vl else 0
        return stride, min(0, last), max(0, last) + nf * eb

    def _load_strided(self, row: Row):
        eew, nf = row.numbers[:2]
        regs = self._data_regs(eew, nf)
        vm = self.vm(row)
        vd = self.group(regs, not_v0=not vm, extra=(nf - 1) * regs)
        stride, low, high = self._stride(eew, nf, False)
        prep = self._base(low, high, eew // 8) + [f"li t1, {stride}"]
        return prep, {"vd": vd, "rs1": "t3", "rs2": "t1", "vm": vm}

    def _store_strided(self, row: Row):
        eew, nf = row.numbers[:2]
        regs = self._data_regs(eew, nf)
        vs3 = self.group(regs, extra=(nf - 1) * regs)
        stride, low, high = self._stride(eew, nf, True)
        prep = self._base(low, high, eew // 8) + [f"li t1, {stride}"]
        return prep, {"vs3": vs3, "rs1": "t3", "rs2": "t1", "vm": self.vm(row)}

    def _index_prep(self, ieew: int, vs2: int, iregs: int, eb: int, nf: int,
                    distinct: bool) -> tuple[list[str], int]:
        """Lines that make the index group at vs2 hold element-aligned offsets below a
        small bound (returned), then restore vl and vtype. Distinct offsets (unordered
        stores): vid times the segment size, all below the bound."""
        bound = min(self.span // 2, 1 << ieew)
        mask = (bound - 1) & ~(eb - 1)
        group = f"m{iregs}"
        prep = ["csrr t1, vl", "csrr t2, vtype", f"vsetvli t0, zero, e{ieew}, {group}, tu, mu"]
        if distinct:
            if self.vl * nf * eb > bound:
                raise _Retry
            prep += [f"vid.v v{vs2}", f"li t0, {nf * eb}", f"vmul.vx v{vs2}, v{vs2}, t0"]
        else:
            prep += [f"li t0, {mask:#x}", f"vand.vx v{vs2}, v{vs2}, t0"]
        prep += ["vsetvl zero, t1, t2"]
        return prep, bound + nf * eb

    def _indexed(self, row: Row, store: bool):
        ieew, nf = row.numbers[:2]
        ordered = row.flags[0] if store else True
        regs = self._data_regs(self.sew, nf)
        iemul = Fraction(ieew, self.sew) * self.lmul
        if iemul > 8 or iemul < Fraction(1, 8):
            raise _Retry
        iregs = max(1, int(iemul))
        vm = self.vm(row)
        vs2 = self.group(iregs)
        data = self.group(regs, [(vs2, iregs)], not_v0=not vm and not store,
                          extra=(nf - 1) * regs)
        prep, high = self._index_prep(ieew, vs2, iregs, self.sew // 8, nf, not ordered)
        prep += self._base(0, high, self.sew // 8)
        return prep, {"vs3" if store else "vd": data, "rs1": "t3", "vs2": vs2, "vm": vm}

    def _load_indexed(self, row: Row):
        return self._indexed(row, False)

    def _store_indexed(self, row: Row):
        return self._indexed(row, True)

    def _load_whole(self, row: Row):
        eew, n = row.numbers[:2]
        return self._base(0, n * self.vlenb, eew // 8), {"vd": self.group(n), "rs1": "t3"}

    def _store_whole(self, row: Row):
        n = row.numbers[0]
        return self._base(0, n * self.vlenb, 1), {"vs3": self.group(n), "rs1": "t3"}

    def _load_mask(self, row: Row):
        prep = self._base(0, (self.vl + 7) // 8, 1)
        return prep, {"vd": self.rng.randrange(32), "rs1": "t3"}

    def _store_mask(self, row: Row):
        prep = self._base(0, (self.vl + 7) // 8, 1)
        return prep, {"vs3": self.rng.randrange(32), "rs1": "t3"}

    # -- the whole program --
    def program(self, length: int) -> VectorProgram:
        r = self.rng
        lay = layout(self.vlen)
        # random words, a third of them edge values at every SEW (0, 1, -1, MIN, MAX)
        words = [r.choice(SPECIAL_WORDS) if r.random() < 0.35 else r.getrandbits(32)
                 for _ in range((lay["v"][1] + lay["scratch"][1]) // 4)]
        data = b"".join(w.to_bytes(4, "little") for w in words)
        xvalues = {}
        for reg in OPERAND_REGS:
            xvalues[reg] = r.choice(SPECIAL_VALUES) if r.random() < 0.4 else r.getrandbits(32)
        for reg in ("t0", "t1", "t2", "t3", "t4", "t5", "s1", "a0", "a1", "a2", "a7"):
            xvalues[reg] = 0
        prologue = [f"    csrwi vxrm, {r.randrange(4)}"]
        steps = [self.vsetvl_step()]
        steps += [self.step() for _ in range(length)]
        return VectorProgram(self.seed, self.vlen, prologue, steps, data, xvalues,
                             self.mem_end)


def generate(seed: int, vlen: int, length: int = 60, vstart_rate: float = 0.0,
             wild: bool = False) -> VectorProgram:
    """The program of `seed`; `wild`: a few legal steps, then one `wild_step` last."""
    gen = Generator(seed, vlen, vstart_rate=vstart_rate)
    prog = gen.program(length)
    if wild:
        prog.steps.append(gen.wild_step())
    return prog


# ---- running and comparing ----------------------------------------------------------------
@dataclass
class Outcome:
    stdout: bytes
    status: int


def build(prog: VectorProgram, count: int | None, path: Path, config: OxCoreConfig) -> Path:
    from sw.asm.assembler import assemble_source
    from sw.asm.driver import render
    image = assemble_source(prog.source(count), f"vfuzz-{prog.seed}.S", config)
    path.write_bytes(render(image, "elf", config))
    os.chmod(path, 0o755)
    return path


def run_both(elf: Path, config: OxCoreConfig, qemu: Path | None = None
             ) -> tuple[Outcome, Outcome]:
    from cosim.iss import run_elf
    from cosim.oracles import qemu as oracle
    ours = run_elf(elf, config, max_instructions=1_000_000)
    theirs = oracle.run(elf, config, qemu=qemu)
    return Outcome(ours.stdout, ours.exit_code), Outcome(theirs.stdout, theirs.status)


def diff_dump(prog: VectorProgram, ours: bytes, theirs: bytes, limit: int = 12) -> list[str]:
    """Where two dumps differ: x registers, CSRs, vector register bytes, scratch."""
    size = sum(s for _, s in layout(prog.vlen).values())
    if min(len(ours), len(theirs)) < size:
        return [f"  dump: ours {len(ours)} bytes, QEMU {len(theirs)} bytes (one side stopped "
                "before writing it)"]
    lines = []
    names = {num: name for name, num in XREG_NUMBERS.items()}
    for part, (off, size) in layout(prog.vlen).items():
        a, b = ours[off:off + size], theirs[off:off + size]
        if a == b:
            continue
        if part == "x":
            for i in range(32):
                wa, wb = a[4 * i:4 * i + 4], b[4 * i:4 * i + 4]
                if wa != wb:
                    lines.append(f"  x{i} ({names.get(i, '?')}): ours "
                                 f"{int.from_bytes(wa, 'little'):#010x}, QEMU "
                                 f"{int.from_bytes(wb, 'little'):#010x}")
        elif part == "csr":
            for i, name in enumerate(CSR_NAMES):
                wa, wb = a[4 * i:4 * i + 4], b[4 * i:4 * i + 4]
                if wa != wb:
                    lines.append(f"  {name}: ours {int.from_bytes(wa, 'little'):#x}, QEMU "
                                 f"{int.from_bytes(wb, 'little'):#x}")
        else:
            unit = prog.vlenb if part == "v" else 16
            for start in range(0, size, unit):
                ra, rb = a[start:start + unit], b[start:start + unit]
                if ra != rb:
                    where = (f"v{start // unit}" if part == "v"
                             else f"scratch[{start - prog.span:+d}]")
                    idx = [i for i in range(unit) if ra[i] != rb[i]]
                    lines.append(f"  {where} bytes {idx[0]}..{idx[-1]}: ours {ra.hex()} QEMU "
                                 f"{rb.hex()}")
        if len(lines) > limit:
            lines = lines[:limit] + ["  ..."]
            break
    if len(ours) != len(theirs):
        lines.append(f"  output length: ours {len(ours)}, QEMU {len(theirs)}")
    return lines


def localise(prog: VectorProgram, config: OxCoreConfig, workdir: Path,
             qemu: Path | None = None) -> str:
    """The first step after which the two sides differ, described: from a run that
    dumps the state after every step, else (if that run agrees: a difference only
    without the dumps in between) by bisecting over the number of steps."""
    def differs(k: int) -> tuple[bool, Outcome, Outcome]:
        elf = build(prog, k, workdir / f"vfuzz-{prog.seed}-{k}.elf", config)
        ours, theirs = run_both(elf, config, qemu)
        return (ours.stdout, ours.status) != (theirs.stdout, theirs.status), ours, theirs

    found = _first_in_trace(prog, config, workdir, qemu)
    if found is not None:
        return found
    lo, hi = 0, len(prog.steps)
    bad0, ours, theirs = differs(0)
    if bad0:
        return "the programs differ before the first step (prologue/epilogue)\n" + "\n".join(
            diff_dump(prog, ours.stdout, theirs.stdout))
    last = None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        bad, o, t = differs(mid)
        if bad:
            hi, last = mid, (o, t)
        else:
            lo = mid
    if last is None:
        last = differs(hi)[1:]
    ours, theirs = last
    return _describe(prog, hi - 1, config, ours, theirs, "bisected over the steps")


def _describe(prog: VectorProgram, index: int, config: OxCoreConfig, ours: Outcome,
              theirs: Outcome, how: str) -> str:
    step = prog.steps[index]
    text = [f"seed {prog.seed}, VLEN {prog.vlen}: first difference after step {index} "
            f"({step.kind}): {step.insn}  [{_encoding(step.insn, config)}]  ({how})"]
    if step.prep:
        text.append("  preceded by: " + " ; ".join(step.prep))
    if ours.status != theirs.status:
        text.append(f"  exit status: ours {ours.status}, QEMU {theirs.status}")
    text += diff_dump(prog, ours.stdout, theirs.stdout)
    return "\n".join(text)


def _first_in_trace(prog: VectorProgram, config: OxCoreConfig, workdir: Path,
                    qemu: Path | None) -> str | None:
    """Run the program with a dump after every step; the first step whose dump differs
    (or after which one side stopped), described; None if the traces agree."""
    elf = workdir / f"vfuzz-{prog.seed}-trace.elf"
    from sw.asm.assembler import assemble_source
    from sw.asm.driver import render
    image = assemble_source(prog.source(trace=True), elf.name, config)
    elf.write_bytes(render(image, "elf", config))
    os.chmod(elf, 0o755)
    ours, theirs = run_both(elf, config, qemu)
    if (ours.stdout, ours.status) == (theirs.stdout, theirs.status):
        return None
    size = sum(s for _, s in layout(prog.vlen).values())
    for i in range(len(prog.steps)):
        a = ours.stdout[i * size:(i + 1) * size]
        b = theirs.stdout[i * size:(i + 1) * size]
        if a != b or len(a) < size:
            status = (ours.status if len(a) < size else 0, theirs.status if len(b) < size else 0)
            return _describe(prog, i, config, Outcome(a, status[0]), Outcome(b, status[1]),
                             "dump after every step")
    return None


def _encoding(insn: str, config: OxCoreConfig) -> str:
    """The instruction's encoding and our disassembly of it."""
    try:
        from sw.asm.assembler import assemble_source
        image = assemble_source(f"    .text\n    {insn}\n", "one.S", config)
        word = next(bytes(s.data[:4]) for s in image.sections if s.size)
        value = int.from_bytes(word, "little")
        from oxcore.isa import format_instruction
        return f"{value:#010x} = {format_instruction(value, isa=isa_for(config))}"
    except Exception as exc:  # noqa: BLE001
        return f"unencodable: {exc}"


def compare(seed: int, vlen: int, length: int = 60, workdir: Path | None = None,
            qemu: Path | None = None, vstart_rate: float = 0.0, wild: bool = False) -> str:
    """'' if the program behaves the same on both sides (and exits with 0), else a report
    that localises the first differing step."""
    config = vector_config(vlen)
    prog = generate(seed, vlen, length, vstart_rate, wild)
    with tempfile.TemporaryDirectory() as tmp:
        work = workdir or Path(tmp)
        elf = build(prog, None, work / f"vfuzz-{seed}.elf", config)
        ours, theirs = run_both(elf, config, qemu)
        if (ours.stdout, ours.status) != (theirs.stdout, theirs.status):
            return localise(prog, config, work, qemu)
        if ours.status != 0 and not wild:
            return (f"seed {seed}, VLEN {vlen}: both sides stopped with status "
                    f"{ours.status} (the generator emitted an illegal instruction?)")
    return ""


def cosim_rtl(seed: int, vlen: int, lanes: int, length: int = 60, vstart_rate: float = 0.0,
              wild: bool = False, backend: str = "pysim", workdir: Path | None = None) -> str:
    """'' if the program of `seed` runs on the RTL (VLEN `vlen`, `lanes` lanes) in
    lockstep with the interpreter to its exit (a wild one: or to the same trap), every
    retired instruction's record equal; else the co-simulation's report."""
    from oxcore import api
    config = vector_config(vlen, lanes)
    prog = generate(seed, vlen, length, vstart_rate, wild)
    with tempfile.TemporaryDirectory() as tmp:
        work = workdir or Path(tmp)
        elf = build(prog, None, work / f"vfuzz-{seed}-{vlen}x{lanes}.elf", config)
        verdict = api.cosim(api.load(elf, config), backend=backend, max_cycles=2_000_000)
    if verdict.verdict == "pass" or (wild and verdict.verdict == "trap"):
        return ""
    return (f"seed {seed}, VLEN {vlen}, LANES {lanes}{' (wild)' if wild else ''}: "
            f"{verdict.verdict}\n{verdict.report}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cosim.vector_fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--vlen", type=int, action="append")
    parser.add_argument("--length", type=int, default=60)
    parser.add_argument("--out", default="build/vector-fuzz")
    parser.add_argument("--wild", action="store_true",
                        help="end each program with one instruction whose register "
                             "operands may be illegal (legality checks)")
    parser.add_argument("--vstart-rate", type=float, default=0.0,
                        help="fraction of instructions run with a non-zero vstart")
    parser.add_argument("--list", type=int, metavar="SEED",
                        help="print the program of SEED (first --vlen) and exit")
    parser.add_argument("--rtl", action="store_true",
                        help="co-simulate each program on the RTL, in lockstep with the "
                             "interpreter, instead of comparing the interpreter with QEMU")
    parser.add_argument("--lanes", type=int, action="append",
                        help="(--rtl) the engine's lanes; repeat for several (default 4)")
    parser.add_argument("--backend", default="pysim", choices=("pysim", "cxxrtl"),
                        help="(--rtl) the RTL simulator")
    args = parser.parse_args(argv)
    vlens = args.vlen or [256]
    if args.list is not None:
        print(generate(args.list, vlens[0], args.length, args.vstart_rate, args.wild).source())
        return 0
    if args.rtl:
        return _main_rtl(args, vlens)
    from cosim.oracles import qemu as oracle
    if oracle.find_qemu() is None:
        print(f"vector fuzz: skipped: {oracle.EXECUTABLE} not found ({oracle.INSTALL_HINT})")
        return 0
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    cases = ((seed, vlen, f"vlen{vlen}",
              lambda seed=seed, vlen=vlen: compare(seed, vlen, args.length,
                                                   vstart_rate=args.vstart_rate,
                                                   wild=args.wild))
             for vlen in vlens for seed in seeds)
    return _campaign(args, cases, "vector fuzz", "differing", 20, lambda total, failed: (
        f"{total - failed} of {total} programs agree with QEMU (VLEN "
        f"{', '.join(map(str, vlens))}, {args.length} steps each), {failed} differ"))


def _main_rtl(args, vlens: list[int]) -> int:
    """`--rtl`: every (VLEN, LANES, seed) in lockstep; reproducers for the failures."""
    lanes_list = args.lanes or [4]
    seeds = range(args.first_seed, args.first_seed + args.seeds)

    def cases():
        for vlen in vlens:
            for lanes in lanes_list:
                if lanes * 32 > vlen:
                    print(f"vector RTL fuzz: VLEN {vlen} with {lanes} lanes skipped (a beat "
                          f"of {lanes} x 32 bits exceeds the register)", flush=True)
                    continue
                for seed in seeds:
                    yield (seed, vlen, f"vlen{vlen}x{lanes}",
                           lambda seed=seed, vlen=vlen, lanes=lanes: cosim_rtl(
                               seed, vlen, lanes, args.length, args.vstart_rate, args.wild,
                               args.backend))
    return _campaign(args, cases(), "vector RTL fuzz", "failing", 10, lambda total, failed: (
        f"{total - failed} of {total} programs co-simulate in lockstep (VLEN "
        f"{', '.join(map(str, vlens))}, LANES {', '.join(map(str, lanes_list))}, "
        f"{args.length} steps each), {failed} fail"))


def _campaign(args, cases, label: str, failing: str, every: int, summary) -> int:
    """Run `cases` ((seed, vlen, tag, run): `run()` gives '' or a failure's report). A
    failure's report is printed and kept with its program under ``--out``
    (``seed-<seed>-<tag>.S`` and ``.txt``); progress every `every` programs; last,
    `summary(total, failed)`, and the exit status (1 if any failed)."""
    out = Path(args.out)
    started = time.perf_counter()
    failed = total = 0
    for seed, vlen, tag, run in cases:
        total += 1
        report = run()
        if report:
            failed += 1
            out.mkdir(parents=True, exist_ok=True)
            stem = out / f"seed-{seed}-{tag}"
            stem.with_suffix(".S").write_text(
                generate(seed, vlen, args.length, args.vstart_rate, args.wild).source())
            stem.with_suffix(".txt").write_text(report + "\n")
            print(report, flush=True)
        if total % every == 0:
            print(f"{label}: {total} programs, {failed} {failing}, "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
    print(f"{label}: {summary(total, failed)}; {time.perf_counter() - started:.0f} s"
          + (f"; reproducers (.S, .txt) in {out}" if failed else ""))
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
