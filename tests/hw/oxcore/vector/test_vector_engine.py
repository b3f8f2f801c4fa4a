"""The vector engine's RTL against the golden interpreter, in lockstep.

Random programs over the instructions the engine implements (`decode.implemented`):
vsetvli/vsetivli/vsetvl with random SEW, LMUL and AVL (0, below and above VLMAX),
unit-stride loads and stores at unaligned bases (fault-only-first loads too, some
running off the end of RAM), strided ones (zero, negative and
positive strides), single-width arithmetic (fixed point too, under every vxrm) in every
form, widening arithmetic and reductions, integer extension, carry ops, mask scans
(vcpop, vfirst, vmsbf/vmsif/vmsof, viota), slides, gathers, vcompress, divide, masked
and not, vmerge/vmv, vmv.x.s; indexed loads and stores, segment accesses and the .wv
narrowing forms (two cycles a beat) have programs of their own, and the mask load and
store theirs in `test_vector_mask_access.py`.
Every vector register, memory and CSR effect is compared (`oxcore.api.cosim`), at
several VLEN/LANES configurations. A deliberately broken lane
(fault injection) must be caught at the instruction it corrupts. Each class added after
the first slices also has a random program of its own (make test-long) and directed
checks against hand-computed values (`DIRECTED`).
"""

from __future__ import annotations

import dataclasses
import random
from fractions import Fraction
from pathlib import Path

import pytest
from amaranth import Const

from hw.oxcore.vector import lane as lane_module
from hw.oxcore.vector.decode import AluOp, mnemonics
from oxcore import api
from oxcore.config import PRESETS, VectorConfig
from oxcore.isa import isa_for
from sw.asm.assembler import assemble_source
from sw.asm.driver import render

ARITH = ["vadd", "vsub", "vand", "vor", "vxor", "vsll", "vsrl", "vsra", "vminu", "vmin",
         "vmaxu", "vmax", "vmul", "vmulh", "vmulhu", "vmulhsu"]
MULTIPLY_ADD = ["vmacc", "vnmsac", "vmadd", "vnmsub"]
COMPARES = ["vmseq", "vmsne", "vmsltu", "vmslt", "vmsleu", "vmsle", "vmsgtu", "vmsgt"]
MASK_LOGIC = ["vmandn", "vmand", "vmor", "vmxor", "vmorn", "vmnand", "vmnor", "vmxnor"]
REDUCTIONS = ["vredsum", "vredand", "vredor", "vredxor", "vredminu", "vredmin", "vredmaxu",
              "vredmax"]
NARROWING = ["vnsrl", "vnsra", "vnclipu", "vnclip"]
FIXED_POINT = ["vsaddu", "vsadd", "vssubu", "vssub", "vaaddu", "vaadd", "vasubu", "vasub",
               "vsmul", "vssrl", "vssra"]
NO_VI = ("vsub", "vminu", "vmin", "vmaxu", "vmax", "vmul", "vmulh", "vmulhu", "vmulhsu",
         "vssubu", "vssub", "vaaddu", "vaadd", "vasubu", "vasub", "vsmul")


def config(vlen: int, lanes: int):
    return dataclasses.replace(PRESETS["default"], name=f"v{vlen}x{lanes}",
                               vector=VectorConfig(vlen=vlen, lanes=lanes))


def _finish(lines: list[str], data: bytes, align: int | None = None) -> str:
    """A program generator's text: `lines`, exit(0), then `data` at the label ``data``
    (aligned to 2**`align` bytes if given)."""
    lines = lines + ["    li a0, 0", "    li a7, 93", "    ecall", "    .data"]
    lines += [f"    .p2align {align}"] * (align is not None) + ["data:"]
    lines += [f"    .byte {', '.join(str(b) for b in data[i:i + 16])}"
              for i in range(0, len(data), 16)]
    return "\n".join(lines) + "\n"


def _directed(*instructions: str) -> str:
    """A short directed program (a fault injection's): `instructions`, then exit(0)."""
    return _finish(["    .text", "    .globl _start", "_start:",
                    *(f"    {ins}" for ins in instructions)], b"")


def _start(*setup: str, groups: bool = False) -> list[str]:
    """A program generator's first lines: s0 = the data, then `setup`; with `groups`,
    v0, v8, v16 and v24 loaded whole (e8, m8) from the data's first 256 bytes."""
    lines = ["    .text", "    .globl _start", "_start:", "    la s0, data", *setup]
    if groups:
        lines.append("    vsetvli t0, zero, e8, m8, ta, ma")
        lines += [f"    addi t1, s0, {64 * k}\n    vle8.v v{8 * k}, (t1)" for k in range(4)]
    return lines


def _set_vl(avl: int, sew: int, lmul_name: str) -> list[str]:
    """vl from `avl` at e`sew`, `lmul_name`, tail and mask undisturbed."""
    return [f"    li t3, {avl}", f"    vsetvli t2, t3, e{sew}, {lmul_name}, tu, mu"]


def _lmul(name: str) -> Fraction:
    return Fraction(1, int(name[2])) if name.startswith("mf") else Fraction(int(name[1]))


def _biased_bytes(rng: random.Random, extremes: list[int], share: float,
                  count: int = 256) -> bytes:
    """`count` random bytes, a `share` of them drawn from `extremes` (carries,
    saturation, signs)."""
    return bytes(rng.choice(extremes) if rng.random() < share else rng.randrange(256)
                 for _ in range(count))


def random_program(seed: int, length: int = 40,
                   mem_end: int = PRESETS["default"].mem_end) -> str:
    """(`mem_end`: the end of RAM, where some fault-only-first loads run off it)"""
    rng = random.Random(seed)
    lines = _start("    li s1, 0x5a5a1234", "    li s2, -7", "    li s3, 3")
    vtypes = [("e8", "m1"), ("e8", "mf2"), ("e8", "m2"), ("e16", "m1"), ("e16", "mf2"),
              ("e16", "m4"), ("e32", "m1"), ("e32", "m2"), ("e32", "m8"), ("e8", "m8")]
    sew, lmul = 8, Fraction(1)

    def group(count: int = 1, avoid_v0: bool = False, emul: Fraction | None = None
              ) -> list[int]:
        """Distinct register groups aligned to EMUL (LMUL by default)."""
        step = max(1, int(lmul if emul is None else emul))
        choices = [r for r in range(0, 32, step) if not (avoid_v0 and r == 0)]
        return rng.sample(choices, count)

    def memory_eew() -> tuple[int, Fraction]:
        """An element width whose EMUL = EEW/SEW * LMUL is legal (1/8 .. 8)."""
        eew = rng.choice([e for e in (8, 16, 32)
                          if Fraction(1, 8) <= Fraction(e, sew) * lmul <= 8])
        return eew, Fraction(eew, sew) * lmul

    def strided(eew: int) -> list[str]:
        """t4 = a base in the middle of the data, t5 = a stride of whole elements: zero,
        negative or positive (at most 3 elements: any vl stays in the data)."""
        size = eew // 8
        stride = rng.choice([0, 1, -1, 2, -2, 3]) * size
        return ["    li t4, 2048", "    add t4, t4, s0",
                f"    addi t4, t4, {rng.randrange(0, 64) // size * size}",
                f"    li t5, {stride}"]

    # fill a few registers and v0 from memory
    lines += ["    vsetvli t0, zero, e8, m8, ta, ma", "    vle8.v v8, (s0)",
              "    addi t1, s0, 64", "    vle8.v v16, (t1)", "    addi t1, s0, 128",
              "    vle8.v v24, (t1)", "    vsetvli t0, zero, e8, m1, ta, ma",
              "    addi t1, s0, 7", "    vle8.v v0, (t1)"]
    for _ in range(length):
        if rng.random() < 0.2:
            name, lm = rng.choice(vtypes)
            sew = int(name[1:])
            lmul = _lmul(lm)
            avl = rng.choice([0, 1, 3, 5, 17, 33, 1000])
            # rd = x0 half the time: those the engine executes as they issue
            rd = rng.choice(["t2", "zero"])
            how = rng.random()
            if how < 0.3:
                lines.append(f"    vsetivli {rd}, {min(avl, 31)}, {name}, {lm}, ta, mu")
            elif how < 0.45:  # keep vl (clamped to the new VLMAX)
                lines.append(f"    vsetvli zero, zero, {name}, {lm}, ta, mu")
            else:
                lines += [f"    li t3, {avl}", f"    vsetvli {rd}, t3, {name}, {lm}, tu, mu"]
            continue
        if rng.random() < 0.08:  # the vector CSRs, through csr instructions
            lines.append(rng.choice([
                f"    csrr a{rng.randrange(8)}, {rng.choice(['vl', 'vtype', 'vlenb', 'vxrm', 'vcsr', 'vxsat', 'vstart'])}",
                f"    csrwi vxrm, {rng.randrange(4)}", f"    csrw vcsr, s{rng.randrange(1, 4)}",
                f"    csrrs a{rng.randrange(8)}, vxsat, s3", "    csrrci a5, vcsr, 6",
                f"    csrrwi a6, vxrm, {rng.randrange(4)}"]))
            continue
        vstart = rng.random() < 0.1  # a non-zero vstart for the next instruction
        if vstart:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 8)}")
        masked = rng.random() < 0.4
        mask = ", v0.t" if masked else ""
        kind = rng.random()
        if vstart:  # only before instructions that allow it (not reductions, ...):
            # loads, stores, merges, splats, compares, mask logic, element-wise ops
            kind = rng.choice([0.1, 0.2, 0.35, 0.42, 0.47, 0.51, 0.7, 0.9])
        if kind < 0.15:
            eew, emul = memory_eew()
            (vd,) = group(1, avoid_v0=masked, emul=emul)
            offset = rng.randrange(0, 64)
            offset -= offset % (eew // 8)
            how = rng.random()
            if how < 0.35:
                lines += strided(eew) + [f"    vlse{eew}.v v{vd}, (t4), t5{mask}"]
            elif how < 0.5:  # fault-only-first: in the data, or off the end of RAM
                base = f"    addi t4, s0, {offset}" if rng.random() < 0.5 else \
                    f"    li t4, {mem_end - rng.randrange(1, 9) * (eew // 8):#x}"
                lines += [base, f"    vle{eew}ff.v v{vd}, (t4){mask}"]
            else:
                lines += [f"    addi t4, s0, {offset}", f"    vle{eew}.v v{vd}, (t4){mask}"]
        elif kind < 0.25:
            eew, emul = memory_eew()
            (vs,) = group(1, emul=emul)
            offset = 256 + (rng.randrange(0, 64) // (eew // 8)) * (eew // 8)
            if rng.random() < 0.35:
                lines += strided(eew) + [f"    vsse{eew}.v v{vs}, (t4), t5{mask}"]
            else:
                lines += [f"    addi t4, s0, {offset}", f"    vse{eew}.v v{vs}, (t4){mask}"]
        elif kind < 0.3:
            (vs,) = group(1)
            choice = rng.randrange(6)
            nregs = rng.choice([1, 2, 4, 8])
            whole = rng.randrange(0, 32, nregs)
            other = rng.choice([r for r in range(0, 32, nregs) if r != whole])
            eew = rng.choice([8, 16, 32])
            lines.append([
                f"    vmv.x.s a{rng.randrange(8)}, v{vs}",
                f"    vmv.s.x v{vs}, s{rng.randrange(1, 4)}",
                f"    vid.v v{group(1, avoid_v0=masked)[0]}{mask}",
                f"    vmv{nregs}r.v v{whole}, v{other}",
                f"    addi t4, s0, {rng.randrange(0, 64) // (eew // 8) * (eew // 8)}\n"
                f"    vl{nregs}re{eew}.v v{whole}, (t4)",
                f"    addi t4, s0, {256 + rng.randrange(0, 16)}\n    vs{nregs}r.v v{whole}, (t4)",
            ][choice])
        elif kind < 0.4:
            vd, vs2, vs1 = group(3, avoid_v0=True)
            form = rng.choice(["vvm", "vxm", "vim"])
            src = {"vvm": f"v{vs1}", "vxm": "s1", "vim": str(rng.randint(-16, 15))}[form]
            lines.append(f"    vmerge.{form} v{vd}, v{vs2}, {src}, v0")
        elif kind < 0.45:
            (vd,) = group(1)
            lines.append(f"    vmv.v.x v{vd}, s2")
        elif kind < 0.5:
            op = rng.choice(COMPARES)
            forms = ["vv", "vx", "vi"] if op in ("vmseq", "vmsne", "vmsleu", "vmsle") else \
                ["vx", "vi"] if op in ("vmsgtu", "vmsgt") else ["vv", "vx"]
            form = rng.choice(forms)
            vs2, vs1 = group(2)
            step = max(1, int(lmul))
            vd = rng.choice([r for r in range(32) if not (vs2 <= r < vs2 + step) and
                             not (form == "vv" and vs1 <= r < vs1 + step)])
            src = {"vv": f"v{vs1}", "vx": rng.choice(["s1", "s2", "s3"]),
                   "vi": str(rng.randint(-16, 15))}[form]
            lines.append(f"    {op}.{form} v{vd}, v{vs2}, {src}{mask}")
        elif kind < 0.53:
            op = rng.choice(MASK_LOGIC)
            vd, vs2, vs1 = (rng.randrange(32) for _ in range(3))
            lines.append(f"    {op}.mm v{vd}, v{vs2}, v{vs1}")
        elif kind < 0.57:
            op = rng.choice(REDUCTIONS)
            (vs2,) = group(1)
            vd, vs1 = rng.randrange(32), rng.randrange(32)
            lines.append(f"    {op}.vs v{vd}, v{vs2}, v{vs1}{mask}")
        elif kind < 0.62:
            op = rng.choice(MULTIPLY_ADD)
            vd, vs2, vs1 = group(3, avoid_v0=masked)
            src = f"v{vs1}" if rng.random() < 0.5 else rng.choice(["s1", "s2", "s3"])
            form = "vv" if src.startswith("v") else "vx"
            lines.append(f"    {op}.{form} v{vd}, {src}, v{vs2}{mask}")
        elif kind < 0.65:  # carry ops: v0 the carry in (vadc/vsbc: vd never v0)
            op = rng.choice(["vadc", "vsbc", "vmadc", "vmsbc"])
            vd, vs2, vs1 = group(3, avoid_v0=op in ("vadc", "vsbc"))
            form = rng.choice(["vv", "vx", "vi"] if op in ("vadc", "vmadc") else ["vv", "vx"])
            src = {"vv": f"v{vs1}", "vx": "s2", "vi": str(rng.randint(-16, 15))}[form]
            carry = op in ("vadc", "vsbc") or masked
            lines.append(f"    {op}.{form}{'m' if carry else ''} v{vd}, v{vs2}, {src}"
                         + (", v0" if carry else ""))
        elif kind < 0.68:  # mask scans (vstart 0): vd apart from vs2 (and v0 if masked)
            op = rng.choice(["vcpop", "vfirst", "vmsbf", "vmsif", "vmsof", "viota"])
            vs2 = rng.randrange(1, 32)
            if op in ("vcpop", "vfirst"):
                lines.append(f"    {op}.m a{rng.randrange(8)}, v{vs2}{mask}")
            else:
                step = max(1, int(lmul)) if op == "viota" else 1
                vd = rng.choice([r for r in range(step if masked else 0, 32, step)
                                 if not r <= vs2 < r + step])
                lines.append(f"    {op}.m v{vd}, v{vs2}{mask}")
        elif kind < 0.71:  # slides: an upward one's vd apart from vs2
            op = rng.choice(["vslideup", "vslidedown", "vslide1up", "vslide1down"])
            vd, vs2 = group(2, avoid_v0=masked)
            form = "vx" if op.startswith("vslide1") else rng.choice(["vx", "vi"])
            src = rng.choice(["s1", "s2", "s3"]) if form == "vx" else str(rng.randrange(32))
            lines.append(f"    {op}.{form} v{vd}, v{vs2}, {src}{mask}")
        elif kind < 0.73:  # vrgather: vd apart from vs2 and the indices
            vd, vs2, vs1 = group(3, avoid_v0=masked)
            form = rng.choice(["vv", "vx", "vi"])
            src = {"vv": f"v{vs1}", "vx": rng.choice(["s1", "s3"]),
                   "vi": str(rng.randrange(32))}[form]
            lines.append(f"    vrgather.{form} v{vd}, v{vs2}, {src}{mask}")
        elif kind < 0.75:  # divide (multi-cycle: rarer)
            op = rng.choice(["vdivu", "vdiv", "vremu", "vrem"])
            vd, vs2, vs1 = group(3, avoid_v0=masked)
            src = rng.choice([f"v{vs1}", "s1", "s2", "s3", "zero"])
            form = "vv" if src.startswith("v") else "vx"
            lines.append(f"    {op}.{form} v{vd}, v{vs2}, {src}{mask}")
        elif kind < 0.76:  # vcompress (vstart 0, unmasked): vd apart from vs2 and vs1
            vd, vs2 = group(2)
            step = max(1, int(lmul))
            vs1 = rng.choice([r for r in range(32) if not vd <= r < vd + step])
            lines.append(f"    vcompress.vm v{vd}, v{vs2}, v{vs1}")
        else:
            op = rng.choice(ARITH + ["vrsub"] + FIXED_POINT)
            vd, vs2, vs1 = group(3, avoid_v0=masked)
            forms = ["vx", "vi"] if op == "vrsub" else ["vv", "vx"] + (
                ["vi"] if op not in NO_VI else [])
            form = rng.choice(forms)
            shift = op in ("vsll", "vsrl", "vsra", "vssrl", "vssra")
            imm = rng.randint(0, 31) if shift else rng.randint(-16, 15)
            src = {"vv": f"v{vs1}", "vx": rng.choice(["s1", "s2", "s3"]), "vi": str(imm)}[form]
            lines.append(f"    {op}.{form} v{vd}, v{vs2}, {src}{mask}")
    return _finish(lines, random.Random(seed + 1).randbytes(4096))


def _cosim(source: str, cfg, tmp_path: Path, name: str = "v") -> api.CosimVerdict:
    image = assemble_source(source, f"{name}.S", cfg)
    elf = tmp_path / f"{name}.elf"
    elf.write_bytes(render(image, "elf", cfg))
    return api.cosim(api.load(elf, cfg), backend="pysim", max_cycles=60_000)


def test_decoder_implements_the_first_slice():
    names = set(mnemonics(isa_for(config(256, 4))))
    assert {"vsetvli", "vsetivli", "vsetvl", "vle8.v", "vse32.v", "vadd.vv", "vrsub.vi",
            "vsra.vx", "vmerge.vim", "vmv.v.x", "vmv.x.s"} <= names
    assert {"vwaddu.vv", "vwsub.wx", "vwmulsu.vx", "vwmaccus.vx", "vwredsum.vs",
            "vsext.vf4", "vzext.vf2"} <= names
    assert {"vadc.vvm", "vadc.vim", "vsbc.vxm", "vmadc.vvm", "vmadc.vi", "vmsbc.vv",
            "vmsbc.vxm"} <= names
    assert "vadc.vv" not in names  # (vm = 1: reserved, no row)
    assert {"vcpop.m", "vfirst.m", "vmsbf.m", "vmsif.m", "vmsof.m", "viota.m"} <= names
    assert {"vslideup.vx", "vslideup.vi", "vslidedown.vx", "vslidedown.vi", "vslide1up.vx",
            "vslide1down.vx"} <= names
    assert {"vrgather.vv", "vrgather.vx", "vrgather.vi", "vrgatherei16.vv",
            "vcompress.vm"} <= names
    assert {"vdivu.vv", "vdiv.vx", "vremu.vx", "vrem.vv"} <= names
    assert {f"v{op}{order}xei{eew}.v" for op in ("l", "s") for order in "uo"
            for eew in (8, 16, 32)} <= names
    assert {f"v{op}seg{nf}e{eew}.v" for op in ("l", "s", "ls", "ss") for nf in range(2, 9)
            for eew in (8, 16, 32)} <= names  # (segments)
    assert {f"v{op}{order}xseg{nf}ei{eew}.v" for op in ("l", "s") for order in "uo"
            for nf in range(2, 9) for eew in (8, 16, 32)} <= names
    assert {f"vle{eew}ff.v" for eew in (8, 16, 32)} | {
        f"vlseg{nf}e{eew}ff.v" for nf in range(2, 9) for eew in (8, 16, 32)} <= names
    assert "vsext.vf8" not in names  # (SEW 64 sources: always illegal, the core traps it)
    assert {f"{op}.{form}" for op in NARROWING for form in ("wv", "wx", "wi")} <= names
    assert {"vlm.v", "vsm.v"} <= names


def test_decoder_claims_every_zve32x_row():
    """Every vector row of the ISA table is claimed but the two whose SEW 64 sources make
    them illegal at every vtype ELEN 32 allows (the core traps them, as the interpreter
    does)."""
    isa = isa_for(config(256, 4))
    rows = {ins.mnemonic for ins in isa.instructions if ins.engine == "vector"}
    assert len(rows) == 450
    assert rows - set(mnemonics(isa)) == {"vzext.vf8", "vsext.vf8"}


@pytest.mark.parametrize("vlen, lanes, seed", [
    (256, 4, 1), (128, 1, 2), (64, 2, 3),
    pytest.param(256, 4, 5, marks=pytest.mark.long),
    pytest.param(512, 8, 4, marks=pytest.mark.long)])
def test_random_programs_match_the_interpreter(vlen, lanes, seed, tmp_path):
    cfg = config(vlen, lanes)
    verdict = _cosim(random_program(seed, mem_end=cfg.mem_end), cfg, tmp_path)
    assert verdict.verdict == "pass", verdict.report


@pytest.mark.parametrize("kind", ["random", "strided", "indexed", "segment"])
def test_a_memory_port_that_refuses_requests_only_changes_the_timing(kind, tmp_path,
                                                                      monkeypatch):
    """The RAM refuses the engine's port about one cycle in four (`RefusingRam`; a real
    configuration never does): the load/store sequencer's waits on `ready` must keep
    every record as the interpreter has it."""
    from tests.hw.oxcore import refusing_ram
    refusing_ram.install(monkeypatch)
    cfg = config(128, 2)
    verdict = _cosim(_memory_program(kind, 6, cfg), cfg, tmp_path)
    assert verdict.verdict == "pass", verdict.report


def _memory_program(kind: str, seed: int, cfg) -> str:
    """A random program of one kind of memory access (or of everything), VLEN 128."""
    return {"random": lambda: random_program(seed, mem_end=cfg.mem_end),
            "strided": lambda: strided_program(seed),
            "indexed": lambda: indexed_program(seed, 128),
            "segment": lambda: segment_program(seed, 128)}[kind]()


@pytest.mark.parametrize("kind", ["random", "strided", "indexed", "segment"])
def test_a_staged_memory_port_only_changes_the_timing(kind, tmp_path):
    """`port_stage = true`: the engine's reads answer in 3 cycles (`banked_ram`,
    "Engine stages"); the element-by-element accesses wait for each answer by
    ``rvalid``, and every record stays as the interpreter has it."""
    cfg = config(128, 2)
    cfg = cfg.replace(vector=cfg.vector.replace(port_stage=True))
    verdict = _cosim(_memory_program(kind, 7, cfg), cfg, tmp_path)
    assert verdict.verdict == "pass", verdict.report


def test_a_broken_lane_is_caught(tmp_path, monkeypatch):
    """Fault injection: vadd computes a - b in the lanes. Co-simulation must fail, at the
    first vadd whose result that changes."""
    monkeypatch.setitem(lane_module.CONTROL, AluOp.ADD, lane_module.CONTROL[AluOp.SUB])
    source = _directed("li t0, 4", "vsetvli t1, t0, e32, m1, ta, ma", "vmv.v.i v1, 3",
                       "vmv.v.i v2, 1", "vadd.vv v3, v1, v2")
    verdict = _cosim(source, config(128, 2), tmp_path, "broken")
    assert verdict.verdict == "fail"
    assert "vadd.vv" in verdict.report


def strided_program(seed: int) -> str:
    """Strided loads and stores (vlse/vsse) of every EEW at several SEW/LMUL, strides
    zero, negative, positive and larger than a port word, masked or not, with a non-zero
    vstart now and then; each load is stored back elsewhere so memory shows it too."""
    rng = random.Random(seed)
    lines = _start("    li s1, 8192", "    add s1, s1, s0",  # the middle of the data
                   "    vsetvli t0, zero, e8, m1, ta, ma", "    vle8.v v0, (s0)")
    for _ in range(24):
        eew = rng.choice([8, 16, 32])
        sew, lmul = rng.choice([(8, "m1"), (8, "m2"), (16, "m1"), (16, "mf2"), (32, "m1"),
                                (32, "m4"), (8, "mf4")])
        emul = Fraction(eew, sew) * _lmul(lmul)
        if not Fraction(1, 8) <= emul <= 8:
            continue
        step = max(1, int(emul))
        vd = rng.choice(range(step, 32, step))
        size = eew // 8
        stride = rng.choice([0, 1, -1, 2, -3, 5, 17, -9]) * size
        mask = ", v0.t" if rng.random() < 0.4 else ""
        avl = rng.choice([1, 3, 9, 40, 1000])
        lines += _set_vl(avl, sew, lmul) + [
            f"    li t5, {stride}", f"    addi t4, s1, {rng.randrange(0, 96) // size * size}"]
        if rng.random() < 0.15:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 4)}")
        lines.append(f"    vlse{eew}.v v{vd}, (t4), t5{mask}")
        lines += [f"    addi t4, s1, {1024 + rng.randrange(0, 96) // size * size}",
                  f"    li t5, {rng.choice([1, 2, -1, 6]) * size}"]
        if rng.random() < 0.15:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 4)}")
        lines.append(f"    vsse{eew}.v v{vd}, (t4), t5{mask}")
    return _finish(lines, random.Random(seed + 7).randbytes(16384))


@pytest.mark.parametrize("vlen, lanes, seed", [(256, 4, 1), (64, 2, 2)])
def test_strided_accesses_match_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(strided_program(seed), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


# (SEW, LMUL) for indexed accesses: fractional LMUL, and index EMUL above and below the
# data's (EMUL = index EEW / SEW * LMUL; the illegal ones are skipped)
INDEXED_VTYPES = [(8, "mf4"), (8, "mf2"), (8, "m1"), (8, "m2"), (16, "mf2"), (16, "m1"),
                  (16, "m4"), (32, "m1"), (32, "m2"), (32, "m8")]
INDEX_REACH = 512  # indices address [base - 64, base + 512): every access in the data


def _indices(rng: random.Random, count: int, index_eew: int, size: int,
             skew: int) -> list[int]:
    """`count` index values for `size`-byte elements at a base `skew` bytes past an
    element boundary: element-aligned addresses, repeated, descending or random
    (an 8-bit index up to 255: zero extension matters), and for 32-bit indices
    some that wrap below the base."""
    reach = min(INDEX_REACH, 1 << index_eew)

    def aligned() -> int:  # (>= 0: a 16-bit index never wraps)
        return rng.randrange(1 if skew else 0, reach // size) * size - skew
    pattern = rng.choice(["random", "repeated", "descending", "wrap"])
    values = [aligned() for _ in range(count)]
    if pattern == "repeated":
        values = [rng.choice(values[:3]) for _ in range(count)]
    elif pattern == "descending":
        values.sort(reverse=True)
    elif pattern == "wrap" and index_eew == 32:  # rs1 + index wraps: below the base
        values = [v if rng.random() < 0.5 else (-rng.randrange(1, 64 // size) * size
                                                - skew) % (1 << 32) for v in values]
    return values


def indexed_program(seed: int, vlen: int, length: int = 14) -> str:
    """Indexed loads and stores (vlux/vlox/vsux/vsoxei8/16/32) at several SEW/LMUL,
    masked or not, vl = 0, below and at VLMAX, a non-zero vstart now and then, their
    index groups loaded from tables of repeated, out-of-order and wrapping byte offsets
    (from bases that are not element-aligned where the indices make the addresses so);
    loads and stores share one region, so each load also reads what the stores before
    it wrote, and the region is read back whole at the end."""
    rng = random.Random(seed)
    region = 1024  # s1 = data + region: the accesses' base
    lines = _start(f"    li s1, {region}", "    add s1, s1, s0",
                   "    vsetvli t0, zero, e8, m1, ta, ma", "    vle8.v v0, (s0)")
    tables = bytearray()
    table_base = region + INDEX_REACH + 128  # the index tables follow the region
    done = 0
    while done < length:
        sew, lmul_name = rng.choice(INDEXED_VTYPES)
        index_eew = rng.choice([8, 16, 32])
        lmul = _lmul(lmul_name)
        index_emul = Fraction(index_eew, sew) * lmul
        if not Fraction(1, 8) <= index_emul <= 8:
            continue
        done += 1
        size = sew // 8
        vlmax = int(vlen * lmul) // sew
        avl = rng.choice([0, 1, 3, vlmax - 1, vlmax, 1000])
        count = max(1, min(avl, vlmax))
        skew = rng.randrange(size)  # the base's offset from an element boundary
        values = _indices(rng, count, index_eew, size, skew)
        table = table_base + len(tables)
        tables += b"".join(v.to_bytes(index_eew // 8, "little") for v in values)
        tables += bytes(-len(tables) % 4)
        step, index_step = max(1, int(lmul)), max(1, int(index_emul))
        masked = rng.random() < 0.4
        mask = ", v0.t" if masked else ""
        vs2 = rng.choice(range(index_step, 32, index_step))
        index_regs = range(vs2, vs2 + index_step)
        # the data group apart from the index group, or (equal EEWs) the same group
        data = [r for r in range(step, 32, step) if not set(index_regs)
                & set(range(r, r + step))]
        vd = vs2 if index_eew == sew and rng.random() < 0.25 else rng.choice(data)
        store = rng.random() < 0.5
        order = rng.choice("uo")
        lines += _set_vl(avl, sew, lmul_name) + [
            f"    li t6, {table}", "    add t6, t6, s0", f"    vle{index_eew}.v v{vs2}, (t6)",
            f"    addi t4, s1, {skew}"]
        if rng.random() < 0.15:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 4)}")
        op = f"vs{order}xei" if store else f"vl{order}xei"
        lines.append(f"    {op}{index_eew}.v v{vd}, (t4), v{vs2}{mask}")
    # the region, whole: every store's bytes
    lines.append("    vsetvli t0, zero, e8, m8, ta, ma")
    for chunk in range(-64, INDEX_REACH + 64, vlen):
        lines += [f"    addi t4, s1, {chunk}", "    vle8.v v8, (t4)"]
    # (aligned: a wrapping index lands on an element boundary)
    data = random.Random(seed + 11).randbytes(table_base) + bytes(tables)
    return _finish(lines, data, align=6)


@pytest.mark.parametrize("vlen, lanes, seed", [(128, 2, 1), (256, 4, 2), (64, 1, 3)])
def test_indexed_accesses_match_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(indexed_program(seed, vlen), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


def test_an_index_taken_signed_is_caught(tmp_path, monkeypatch):
    """Fault injection: the engine sign-extends an 8-bit index (spec 7.6 zero-extends
    it): index 0xf0 then addresses base - 16, not base + 240. Co-simulation must fail
    at the indexed load."""
    from hw.oxcore.vector import engine as engine_module
    monkeypatch.setattr(engine_module, "_index_value",
                        lambda shifted, index_code: shifted[:8].as_signed())
    source = _finish(_start("    li t0, 4", "    vsetvli t1, t0, e8, m1, ta, ma",
                            "    vle8.v v1, (s0)", "    addi t4, s0, 32",
                            "    vluxei8.v v2, (t4), v1"),
                     bytes([0, 1, 0xF0, 3]) + bytes(range(4, 32)) + bytes(range(256)))
    verdict = _cosim(source, config(128, 2), tmp_path, "signed_index")
    assert verdict.verdict == "fail"
    assert "vluxei8.v" in verdict.report


# (SEW, LMUL) for segment accesses: fractional LMUL, and EMUL above and below LMUL
SEGMENT_VTYPES = [(8, "mf4"), (8, "mf2"), (8, "m1"), (8, "m2"), (16, "mf2"), (16, "m1"),
                  (16, "m2"), (32, "m1"), (32, "m4")]
SEGMENT_REACH = 1024  # every access lies in [s1 - REACH, s1 + REACH)


def segment_program(seed: int, vlen: int, length: int = 20) -> str:
    """Segment loads and stores (vlseg/vsseg, vlsseg/vssseg, vluxseg/vloxseg/vsuxseg/
    vsoxseg; unit-stride loads fault-only-first too, in the region: vl kept) of nf 2..8
    and every EEW at several SEW/LMUL, masked or not, vl = 0, below
    and at VLMAX, a non-zero vstart now and then, all in one region (a load reads what
    the stores before it wrote; the region is read back whole at the end). After each
    load a vmv.x.s reads its last field's last register: the issue check must count all
    nf x EMUL registers."""
    rng = random.Random(seed)
    lines = _start(f"    li s1, {2 * SEGMENT_REACH}", "    add s1, s1, s0",
                   "    vsetvli t0, zero, e8, m1, ta, ma", "    vle8.v v0, (s0)")
    tables = bytearray()
    table_base = 4 * SEGMENT_REACH  # the index tables follow the region
    done = 0
    while done < length:
        sew, lmul_name = rng.choice(SEGMENT_VTYPES)
        lmul = _lmul(lmul_name)
        how = rng.choice(["unit", "unit", "strided", "indexed"])
        eew = sew if how == "indexed" else rng.choice([8, 16, 32])
        index_eew = rng.choice([8, 16, 32])
        emul = Fraction(eew, sew) * lmul
        index_emul = Fraction(index_eew, sew) * lmul
        regs = max(1, int(emul))
        nf = rng.randrange(2, 9)
        if not Fraction(1, 8) <= emul <= 8 or nf * regs > 8 or (
                how == "indexed" and not Fraction(1, 8) <= index_emul <= 8):
            continue
        masked = rng.random() < 0.4
        index_step = max(1, int(index_emul))
        vs2 = rng.choice(range(index_step, 32, index_step))
        index_regs = set(range(vs2, vs2 + index_step)) if how == "indexed" else set()
        fields = [r for r in range(regs if masked else 0, 33 - nf * regs, regs)
                  if not index_regs & set(range(r, r + nf * regs))]
        if not fields:
            continue
        done += 1
        vd = rng.choice(fields)
        size = eew // 8
        vlmax = int(vlen * lmul) // sew
        avl = rng.choice([0, 1, 3, max(1, vlmax - 1), vlmax, 1000])
        count = max(1, min(avl, vlmax))
        store = rng.random() < 0.5
        lines += _set_vl(avl, sew, lmul_name)
        segment = nf * size
        if how == "indexed":
            reach = min(SEGMENT_REACH, 1 << index_eew) - segment
            values = [rng.randrange(0, reach // size) * size for _ in range(count)]
            if rng.random() < 0.3:
                values = [rng.choice(values[:3]) for _ in values]
            table = table_base + len(tables)
            tables += b"".join(v.to_bytes(index_eew // 8, "little") for v in values)
            tables += bytes(-len(tables) % 4)
            lines += [f"    li t6, {table}", "    add t6, t6, s0",
                      f"    vle{index_eew}.v v{vs2}, (t6)"]
            base, operand = 0, f", v{vs2}"
        elif how == "strided":
            stride = rng.choice([0, 1, -1, 2, -2]) * segment + rng.choice([0, size, -size])
            base = rng.randrange(-8, 8) * size
            lines.append(f"    li t5, {stride}")
            operand = ", t5"
        else:
            base, operand = rng.randrange(-64, 64) * size, ""
        lines.append(f"    addi t4, s1, {base}")
        if rng.random() < 0.15:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 4)}")
        first = "ff" if how == "unit" and not store and rng.random() < 0.3 else ""
        mnemonic = {"unit": f"v{'s' if store else 'l'}seg{nf}e{eew}{first}",
                    "strided": f"v{'s' if store else 'l'}sseg{nf}e{eew}",
                    "indexed": f"v{'s' if store else 'l'}{rng.choice('uo')}xseg{nf}ei"
                               f"{index_eew}"}[how]
        lines.append(f"    {mnemonic}.v v{vd}, (t4){operand}{', v0.t' if masked else ''}")
        if not store:
            lines.append(f"    vmv.x.s a1, v{vd + nf * regs - 1}")
    lines.append("    vsetvli t0, zero, e8, m8, ta, ma")  # the region, whole
    for chunk in range(-SEGMENT_REACH, 2 * SEGMENT_REACH, vlen):
        lines += [f"    li t4, {chunk}", "    add t4, t4, s1", "    vle8.v v8, (t4)"]
    data = random.Random(seed + 13).randbytes(table_base) + bytes(tables)
    return _finish(lines, data, align=6)


@pytest.mark.parametrize("vlen, lanes, seed", [
    (128, 2, 1), (256, 4, 2), pytest.param(64, 1, 3, marks=pytest.mark.long),
    pytest.param(512, 8, 4, marks=pytest.mark.long)])
def test_segment_accesses_match_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(segment_program(seed, vlen), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


def test_a_field_in_the_wrong_group_is_caught(tmp_path, monkeypatch):
    """Fault injection: a segment access swaps fields 0 and 1 (each goes to the other's
    register group). Co-simulation must fail at the segment load."""
    from hw.oxcore.vector import engine as engine_module
    monkeypatch.setattr(engine_module, "_field_group",
                        lambda vd, field, regs_log: (vd + ((field ^ 1) << regs_log))[:5])
    source = _finish(_start("    li t0, 4", "    vsetvli t1, t0, e8, m1, ta, ma",
                            "    vlseg2e8.v v2, (s0)"), bytes(range(64)))
    verdict = _cosim(source, config(128, 2), tmp_path, "swapped_fields")
    assert verdict.verdict == "fail"
    assert "vlseg2e8.v" in verdict.report


# vlseg4e8 at e8, m1 writes v8..v11, field by field, element by element: a vadd of v11
# issued meanwhile (RAW and WAW) must wait for it.
SEGMENT_HAZARD = _finish(_start("    vsetvli t0, zero, e8, m1, ta, ma",
                                "    vlseg4e8.v v8, (s0)", "    vadd.vi v11, v11, 1",
                                "    vmv.x.s a1, v11"), bytes(range(256)) * 2)


def test_a_segment_access_waits_for_its_fields(tmp_path):
    verdict = _cosim(SEGMENT_HAZARD, config(128, 2), tmp_path)
    assert verdict.verdict == "pass", verdict.report


def test_fields_left_out_of_the_issue_check_are_caught(tmp_path, monkeypatch):
    """Fault injection: the issue check counts one field's group (not nf of them); the
    vadd then races the load into its last field."""
    from hw.oxcore.vector import engine as engine_module
    monkeypatch.setattr(engine_module, "_data_registers", lambda nf, regs_log: 1 << regs_log)
    verdict = _cosim(SEGMENT_HAZARD, config(128, 2), tmp_path)
    assert verdict.verdict == "fail", verdict.report


def fixed_point_program(seed: int) -> str:
    """Every fixed-point op and narrowing shift/clip under every vxrm on data with
    extremes (so some elements saturate), vxsat cleared before each and read after;
    some with a non-zero vstart (vxsat and vstart then both change at the end of one
    instruction)."""
    rng = random.Random(seed)
    lines = _start("    li s1, 0x7fff8000", "    li s2, -1",
                   "    vsetvli t0, zero, e8, m1, ta, ma", "    vle8.v v0, (s0)")
    for vxrm in range(4):
        lines.append(f"    csrwi vxrm, {vxrm}")
        for op in FIXED_POINT:
            sew, lmul = rng.choice([(8, "m1"), (16, "m2"), (32, "m1"), (8, "mf2")])
            size = sew // 8
            form = rng.choice(["vv", "vx"] + ([] if op in NO_VI else ["vi"]))
            src = {"vv": "v16", "vx": rng.choice(["s1", "s2"]),
                   "vi": str(rng.randint(0, 31) if op in ("vssrl", "vssra")
                             else rng.randint(-16, 15))}[form]
            mask = ", v0.t" if rng.random() < 0.3 else ""
            lines += [f"    vsetvli t0, zero, e{sew}, {lmul}, ta, mu",
                      f"    addi t4, s0, {rng.randrange(0, 128) // size * size}",
                      f"    vle{sew}.v v8, (t4)",
                      f"    addi t4, s0, {rng.randrange(128, 256) // size * size}",
                      f"    vle{sew}.v v16, (t4)", "    csrwi vxsat, 0"]
            if rng.random() < 0.25:
                lines.append(f"    csrwi vstart, {rng.randrange(1, 3)}")
            lines += [f"    {op}.{form} v24, v8, {src}{mask}", "    csrr a1, vxsat"]
        for op in NARROWING:  # vd SEW from vs2 (v16...) 2*SEW: SEW 8 or 16
            sew, lmul = rng.choice([(8, "m1"), (16, "m2"), (8, "mf2"), (16, "m1")])
            form = rng.choice(["wv", "wx", "wi"])  # (.wv: v8's elements, left by the above)
            src = {"wv": "v8", "wx": rng.choice(["s1", "s2", "s3"]),
                   "wi": str(rng.randrange(32))}[form]
            mask = ", v0.t" if rng.random() < 0.3 else ""
            lines += [f"    li s3, {rng.choice([0, 1, 4, 7, 8, 13, 16, 31, 33])}",
                      f"    vsetvli t0, zero, e{2 * sew}, m4, ta, mu",
                      f"    addi t4, s0, {rng.randrange(0, 128) // 4 * 4}",
                      f"    vle{2 * sew}.v v16, (t4)",
                      f"    vsetvli t0, zero, e{sew}, {lmul}, ta, mu", "    csrwi vxsat, 0"]
            if rng.random() < 0.25:
                lines.append(f"    csrwi vstart, {rng.randrange(1, 3)}")
            lines += [f"    {op}.{form} v24, v16, {src}{mask}", "    csrr a1, vxsat"]
    extremes = [0x80, 0x7F, 0xFF, 0x00, 0x01, 0xC0, 0x3F]
    return _finish(lines, _biased_bytes(rng, extremes, 0.6, 512), align=2)


def test_fixed_point_and_vxsat_match_the_interpreter(tmp_path):
    verdict = _cosim(fixed_point_program(3), config(128, 2), tmp_path)
    assert verdict.verdict == "pass", verdict.report


# (SEW, LMUL) for narrowing: vd SEW 8 or 16, vs2 2*SEW at EMUL 2*LMUL <= 8
NARROWING_VTYPES = [(8, "mf4"), (8, "mf2"), (8, "m1"), (8, "m2"), (8, "m4"), (16, "mf2"),
                    (16, "m1"), (16, "m2"), (16, "m4")]


def narrowing_wv_program(seed: int) -> str:
    """vnsrl, vnsra, vnclipu, vnclip .wv: each op under every vxrm, masked and not (32
    instructions), over every narrowing SEW and LMUL, AVL below and above VLMAX, a
    non-zero vstart now and then; vs2 (v16..) and vs1 (v8..) reloaded before each from
    data with extremes, so clips saturate (vxsat cleared before, read after) and vs1's
    elements carry every shift amount up to 2*SEW - 1 under random upper bits; vd apart
    from both, or vs1 itself, or the lowest part of vs2 (spec 5.2)."""
    rng = random.Random(seed)
    lines = _start("    vsetvli t0, zero, e8, m8, ta, ma", "    addi t1, s0, 900",
                   "    vle8.v v24, (t1)", "    vsetvli t0, zero, e8, m1, ta, ma",
                   "    addi t1, s0, 1000", "    vle8.v v0, (t1)")
    cases = [(op, vxrm, masked) for vxrm in range(4) for op in NARROWING
             for masked in (False, True)]
    vtypes = NARROWING_VTYPES * 4
    rng.shuffle(vtypes)
    for (op, vxrm, masked), (sew, lmul_name) in zip(cases, vtypes):
        vlmax = 64 * _lmul(lmul_name) / sew  # (at VLEN 64; more at larger VLEN)
        avl = rng.choice([1, 3, max(1, int(vlmax) - 1), 9, 33, 1000])
        vd = rng.choice([24, 24, 8, 16])
        lines += [f"    csrwi vxrm, {vxrm}", "    vsetvli t0, zero, e8, m8, ta, ma",
                  f"    addi t4, s0, {rng.randrange(0, 640)}", "    vle8.v v16, (t4)",
                  f"    addi t4, s0, {rng.randrange(0, 640)}", "    vle8.v v8, (t4)",
                  *_set_vl(avl, sew, lmul_name), "    csrwi vxsat, 0"]
        if rng.random() < 0.15:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 4)}")
        lines += [f"    {op}.wv v{vd}, v16, v8{', v0.t' if masked else ''}",
                  "    csrr a1, vxsat"]
    data = _biased_bytes(rng, [0x80, 0x7F, 0xFF, 0x00, 0x01, 0xC0, 0x3F, 0x0F, 0x1F],
                         0.5, 1024)
    return _finish(lines, data)


@pytest.mark.parametrize("vlen, lanes, seed", [(64, 1, 1), (256, 4, 2)])
def test_narrowing_wv_matches_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(narrowing_wv_program(seed), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


def test_a_wv_narrowing_taking_the_wrong_shifts_is_caught(tmp_path, monkeypatch):
    """Fault injection: every beat of a .wv narrowing op takes vs1's first beat as its
    shift amounts (0..7 where beat 1's are 8..15, on 0xffff). Co-simulation must fail at
    the narrowing instruction."""
    from hw.oxcore.vector import engine as engine_module
    monkeypatch.setattr(engine_module, "_shift_row", lambda vs1, beat, bpr: vs1 * bpr)
    source = _directed("vsetvli t1, zero, e16, m2, ta, ma", "li t2, -1", "vmv.v.x v16, t2",
                       "vsetvli t1, zero, e8, m1, ta, ma", "vid.v v8",
                       "vnsrl.wv v24, v16, v8")
    verdict = _cosim(source, config(128, 2), tmp_path, "broken")
    assert verdict.verdict == "fail"
    assert "vnsrl.wv" in verdict.report


WIDENING = ["vwaddu", "vwadd", "vwsubu", "vwsub", "vwmulu", "vwmul", "vwmulsu"]
WIDENING_W = ["vwaddu", "vwadd", "vwsubu", "vwsub"]  # also .wv/.wx: vs2 2*SEW
WIDENING_MACC = ["vwmaccu", "vwmacc", "vwmaccsu", "vwmaccus"]  # vwmaccus: .vx only
# (SEW, LMUL) for widening: 2*SEW <= ELEN 32 and EMUL = 2*LMUL <= 8
WIDENING_VTYPES = [(8, "mf4"), (8, "mf2"), (8, "m1"), (8, "m2"), (8, "m4"), (16, "mf2"),
                   (16, "m1"), (16, "m2"), (16, "m4")]


def widening_program(seed: int, length: int = 70) -> str:
    """Widening ops (vw*.vv/.vx, the .wv/.wx forms, widening multiply-add, widening
    reductions) at SEW 8 and 16, every LMUL up to 4, AVL 0, below and above VLMAX,
    masked or not (v0 a destination too), tail undisturbed, a non-zero vstart now and
    then, on random data; sources are distinct from the destination or (spec 5.2) the
    highest part of it."""
    rng = random.Random(seed)
    lines = _start("    li s1, 0x5a5a81f3", "    li s2, -7", "    li s3, 0x7fff", groups=True)
    lines += ["    vsetvli t0, zero, e8, m1, ta, ma", "    addi t1, s0, 301",
              "    vle8.v v0, (t1)"]
    for _ in range(length):
        sew, lmul_name = rng.choice(WIDENING_VTYPES)
        lmul = _lmul(lmul_name)
        avl = rng.choice([0, 1, 3, 5, 17, 33, 77, 1000])
        lines += _set_vl(avl, sew, lmul_name)
        narrow, wide = max(1, int(lmul)), max(1, int(2 * lmul))
        masked = rng.random() < 0.4
        vd = rng.choice(range(wide if masked else 0, 32, wide))  # (v0: unmasked, 5.3)
        # narrow sources: outside vd's group, or (LMUL >= 1) its highest part
        outside = [r for r in range(narrow, 32, narrow) if not vd <= r < vd + wide]
        sources = outside + ([vd + wide - narrow] if lmul >= 1 else [])
        kind = rng.random()
        if kind < 0.15:  # widening reduction: vd[0] = vs1[0] + sum(vs2), 2*SEW
            op = rng.choice(["vwredsumu", "vwredsum"])
            vs2 = rng.choice(range(0, 32, narrow))
            lines.append(f"    {op}.vs v{rng.randrange(32)}, v{vs2}, v{rng.randrange(32)}"
                         + (", v0.t" if masked else ""))
            continue
        if kind < 0.45:
            op = rng.choice(WIDENING)
            form, vs2 = rng.choice(["vv", "vx"]), rng.choice(sources)
        elif kind < 0.7:
            op = rng.choice(WIDENING_W)
            form = rng.choice(["wv", "wx"])
            vs2 = rng.choice([vd] + [r for r in range(wide, 32, wide) if r != vd])
        else:
            op = rng.choice(WIDENING_MACC)
            form, vs2 = ("vx" if op == "vwmaccus" else rng.choice(["vv", "vx"])), \
                rng.choice(sources)
        src = f"v{rng.choice(sources)}" if form[1] == "v" else rng.choice(["s1", "s2", "s3"])
        if rng.random() < 0.1:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 6)}")
        mask = ", v0.t" if masked else ""
        if op in WIDENING_MACC:
            lines.append(f"    {op}.{form} v{vd}, {src}, v{vs2}{mask}")
        else:
            lines.append(f"    {op}.{form} v{vd}, v{vs2}, {src}{mask}")
    return _finish(lines, random.Random(seed + 3).randbytes(512))


@pytest.mark.parametrize("vlen, lanes, seed", [(256, 4, 1), (64, 2, 2), (128, 1, 3)])
def test_widening_ops_match_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(widening_program(seed), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


def test_a_widening_op_reading_the_wrong_half_is_caught(tmp_path, monkeypatch):
    """Fault injection: every beat of a widening destination takes the lower half of its
    source beat (the odd beats should take the upper). Co-simulation must fail at the
    widening instruction."""
    from hw.oxcore.vector import engine as engine_module
    monkeypatch.setattr(engine_module, "_source_half",
                        lambda data, beat, lanes: data[:16 * lanes])
    source = _directed("vsetvli t1, zero, e8, m1, ta, ma", "vid.v v1",
                       "vwaddu.vx v2, v1, zero")
    verdict = _cosim(source, config(128, 2), tmp_path, "broken")
    assert verdict.verdict == "fail"
    assert "vwaddu.vx" in verdict.report


# (SEW, LMUL) for vzext/vsext: .vf2 from SEW 16, .vf4 at SEW 32 (sources of 8 bits or more)
EXTENSION_VTYPES = [(16, "mf2"), (16, "m1"), (16, "m2"), (16, "m4"), (16, "m8"), (32, "m1"),
                    (32, "m2"), (32, "m4"), (32, "m8")]


def extension_program(seed: int, length: int = 50) -> str:
    """vzext/vsext .vf2 and .vf4 at every legal SEW and LMUL, AVL 0, below and above
    VLMAX, masked or not, a non-zero vstart now and then; the source (EMUL LMUL/factor)
    outside vd's group or (source EMUL >= 1, spec 5.2) its highest part."""
    rng = random.Random(seed)
    lines = _start(groups=True)
    lines += ["    vsetvli t0, zero, e8, m1, ta, ma", "    addi t1, s0, 301",
              "    vle8.v v0, (t1)"]
    for _ in range(length):
        sew, lmul_name = rng.choice(EXTENSION_VTYPES)
        lmul = _lmul(lmul_name)
        factor = rng.choice([2, 4] if sew == 32 else [2])
        avl = rng.choice([0, 1, 3, 5, 17, 33, 77, 1000])
        lines += _set_vl(avl, sew, lmul_name)
        regs, source_regs = max(1, int(lmul)), max(1, int(lmul / factor))
        mask = ", v0.t" if rng.random() < 0.4 else ""
        vd = rng.choice(range(regs if mask else 0, 32, regs))  # (v0: unmasked, 5.3)
        sources = [r for r in range(source_regs, 32, source_regs)
                   if not vd <= r < vd + regs]
        if lmul / factor >= 1:
            sources.append(vd + regs - source_regs)
        if rng.random() < 0.1:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 6)}")
        op = rng.choice(["vzext", "vsext"])
        lines.append(f"    {op}.vf{factor} v{vd}, v{rng.choice(sources)}{mask}")
    return _finish(lines, random.Random(seed + 5).randbytes(512))


@pytest.mark.parametrize("vlen, lanes, seed", [
    (256, 4, 1), pytest.param(64, 2, 2, marks=pytest.mark.long)])
def test_integer_extension_matches_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(extension_program(seed), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


CARRY_VTYPES = [(8, "mf4"), (8, "mf2"), (8, "m1"), (8, "m4"), (16, "mf2"), (16, "m1"),
                (16, "m2"), (16, "m8"), (32, "m1"), (32, "m8")]


def carry_program(seed: int, length: int = 36) -> str:
    """vadc/vsbc (.vvm/.vxm/.vim) and vmadc/vmsbc with and without the v0 carry-in, at
    every SEW and legal LMUL (1/4..8 at ELEN 32), AVL 0, below and above VLMAX, a
    non-zero vstart now and then, on data with extremes (so carries and borrows
    happen); v0 changes now and then, and vmadc/vmsbc may write v0 itself."""
    rng = random.Random(seed)
    lines = _start("    li s1, -1", "    li s2, 0x80017fff", "    li s3, 1", groups=True)
    for _ in range(length):
        sew, lmul_name = rng.choice(CARRY_VTYPES)
        regs = max(1, int(_lmul(lmul_name)))
        avl = rng.choice([0, 1, 3, 5, 17, 33, 1000])
        lines += _set_vl(avl, sew, lmul_name)
        if rng.random() < 0.15:
            lines.append(f"    vmv.s.x v0, s{rng.randrange(1, 4)}")
        if rng.random() < 0.1:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 6)}")
        op = rng.choice(["vadc", "vsbc", "vmadc", "vmsbc"])
        forms = ["vv", "vx", "vi"] if op in ("vadc", "vmadc") else ["vv", "vx"]
        form = rng.choice(forms)
        with_carry = op in ("vadc", "vsbc") or rng.random() < 0.6
        vs2, vs1 = rng.sample(range(regs, 32, regs), 2)
        src = {"vv": f"v{vs1}", "vx": rng.choice(["s1", "s2", "s3"]),
               "vi": str(rng.randint(-16, 15))}[form]
        if op in ("vadc", "vsbc"):  # vd a group, not v0 (its carry input)
            vd = rng.choice(range(regs, 32, regs))
        else:  # a mask, outside the sources' groups (v0 too)
            used = set(range(vs2, vs2 + regs)) | (set(range(vs1, vs1 + regs))
                                                  if form == "vv" else set())
            vd = rng.choice([r for r in range(32) if r not in used])
        suffix = "m" if with_carry else ""
        lines.append(f"    {op}.{form}{suffix} v{vd}, v{vs2}, {src}"
                     + (", v0" if with_carry else ""))
    extremes = [0x00, 0xFF, 0x80, 0x7F, 0x01]
    data = _biased_bytes(rng, extremes, 0.5)
    return _finish(lines, data)


@pytest.mark.long
@pytest.mark.parametrize("vlen, lanes, seed", [(128, 2, 1), (64, 1, 2), (256, 4, 3)])
def test_carry_ops_match_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(carry_program(seed), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


def carry_directed_program() -> str:
    """vadc/vmadc/vsbc/vmsbc at SEW 8 on vs2 = [0xff, 0xfe, 0xfd, 0xfc], [1, 1, 1, 1]
    and the carries v0 = 0b0101, checked against values worked out by hand (the program
    exits non-zero on a difference, on the interpreter and the RTL alike)."""
    checks = [("vadc.vvm v3, v1, v2, v0", 3, 0xFDFFFF01, 32),
              ("vmadc.vvm v4, v1, v2, v0", 4, 0b0001, 4),
              ("vmadc.vim v5, v1, 3, v0", 5, 0b0111, 4),
              ("vmadc.vv v9, v1, v2", 9, 0b0001, 4),
              ("vsbc.vvm v6, v2, v1, v0", 6, 0x05030301, 32),
              ("vmsbc.vvm v7, v2, v2, v0", 7, 0b0101, 4),
              ("vmsbc.vx v8, v2, t1", 8, 0b1111, 4),
              ("vsbc.vxm v10, v2, t1, v0", 10, 0xFFFEFFFE, 32)]
    lines = ["    .text", "    .globl _start", "_start:", "    li a0, 0", "    li t1, 2",
             "    li t0, 4", "    vsetvli zero, t0, e8, m1, tu, mu", "    vid.v v1",
             "    vrsub.vi v1, v1, -1", "    vmv.v.i v2, 1", "    li t2, 5",
             "    vmv.s.x v0, t2"]
    for instruction, reg, expected, bits in checks:
        lines += [f"    {instruction}", "    vsetvli zero, t0, e32, m1, tu, mu",
                  f"    vmv.x.s a1, v{reg}", f"    li t2, {expected}"]
        if bits < 32:
            lines.append(f"    andi a1, a1, {(1 << bits) - 1}")
        lines += ["    xor a1, a1, t2", "    snez a1, a1", "    or a0, a0, a1",
                  "    vsetvli zero, t0, e8, m1, tu, mu"]
    lines += ["    li a7, 93", "    ecall"]
    return "\n".join(lines) + "\n"


def test_a_carry_out_ignoring_its_carry_in_is_caught(tmp_path, monkeypatch):
    """Fault injection: vmadc/vmsbc drop the v0 carry-in. Co-simulation must fail at the
    vmadc.vvm whose mask that changes (0xff + 0 + 1 carries out, 0xff + 0 does not)."""
    from hw.oxcore.vector import compare
    original = compare._carries
    monkeypatch.setattr(compare, "_carries", lambda carry, adds, carry_in: original(
        carry, adds, [Const(0, 1)] * len(carry_in)))
    source = _directed("vsetivli zero, 4, e8, m1, tu, mu", "vmv.v.i v1, -1",
                       "vmv.v.i v2, 0", "vmv.v.i v0, 1", "vmadc.vvm v3, v1, v2, v0")
    verdict = _cosim(source, config(64, 1), tmp_path, "broken")
    assert verdict.verdict == "fail"
    assert "vmadc.vvm" in verdict.report


MASK_SCAN_VTYPES = [(8, "mf4"), (8, "mf2"), (8, "m1"), (8, "m2"), (8, "m8"), (16, "mf2"),
                    (16, "m1"), (16, "m4"), (32, "m1"), (32, "m2"), (32, "m8")]


def mask_scan_program(seed: int, length: int = 32) -> str:
    """vcpop.m and vfirst.m (their x results), vmsbf/vmsif/vmsof.m and viota.m, masked or
    not, at every SEW and legal LMUL, AVL 0, below and above VLMAX, on sparse and dense
    masks (all zeros and a single bit too); vd distinct from vs2 (and from v0 when
    masked), as the interpreter requires."""
    rng = random.Random(seed)
    lines = _start(groups=True)
    lines += ["    vsetvli t0, zero, e8, m1, ta, ma", "    vmv.v.i v5, 0", "    li t1, 64",
              "    vmv.s.x v6, t1", "    addi t1, s0, 300", "    vle8.v v0, (t1)"]
    for _ in range(length):
        sew, lmul_name = rng.choice(MASK_SCAN_VTYPES)
        regs = max(1, int(_lmul(lmul_name)))
        avl = rng.choice([0, 1, 3, 5, 9, 17, 33, 70, 1000])
        lines += _set_vl(avl, sew, lmul_name)
        masked = rng.random() < 0.4
        mask = ", v0.t" if masked else ""
        op = rng.choice(["vcpop", "vfirst", "vmsbf", "vmsif", "vmsof", "viota"])
        vs2 = rng.choice([1, 2, 3, 5, 6, 9, 17, 24] + ([0] if not masked else []))
        if op in ("vcpop", "vfirst"):
            lines.append(f"    {op}.m a{rng.randrange(8)}, v{vs2}{mask}")
        elif op == "viota":  # vd's group holds neither vs2 nor (masked) v0
            vd = rng.choice([r for r in range(regs, 32, regs)
                             if not r <= vs2 < r + regs])
            lines.append(f"    viota.m v{vd}, v{vs2}{mask}")
        else:
            vd = rng.choice([r for r in range(1 if masked else 0, 32) if r != vs2])
            lines.append(f"    {op}.m v{vd}, v{vs2}{mask}")
    data = _biased_bytes(rng, [0, 0, 0x10, 0x81, 0xFF], 0.5, 512)
    return _finish(lines, data)


@pytest.mark.long
@pytest.mark.parametrize("vlen, lanes, seed", [(128, 2, 1), (64, 1, 2), (256, 4, 3)])
def test_mask_scans_match_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(mask_scan_program(seed), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


def mask_scan_directed_program() -> str:
    """vs2 = 0b0110_1000 (elements 3, 5, 6) and v0 = 0b1101_0111 at vl 8, SEW 8,
    against values worked out by hand (the program exits non-zero on a difference)."""
    checks = [("vcpop.m a1, v1", None, 3), ("vcpop.m a1, v1, v0.t", None, 1),
              ("vfirst.m a1, v1", None, 3), ("vfirst.m a1, v1, v0.t", None, 6),
              ("vfirst.m a1, v2", None, -1),
              ("vmsbf.m v3, v1", 3, 0b0000_0111), ("vmsif.m v3, v1", 3, 0b0000_1111),
              ("vmsof.m v3, v1", 3, 0b0000_1000), ("vmsbf.m v3, v2", 3, 0b1111_1111),
              ("vmsof.m v3, v1, v0.t", 3, 0b0100_0000),
              ("vmsbf.m v3, v1, v0.t", 3, 0b0001_0111)]
    lines = ["    .text", "    .globl _start", "_start:", "    li a0, 0",
             "    vsetivli zero, 8, e8, m1, tu, mu", "    li t1, 0x68", "    vmv.s.x v1, t1",
             "    li t1, 0xd7", "    vmv.s.x v0, t1", "    vmv.s.x v2, zero"]
    for instruction, reg, expected in checks:
        lines += ["    vmv.s.x v3, zero", f"    {instruction}"]
        if reg is not None:
            lines += [f"    vmv.x.s a1, v{reg}", "    andi a1, a1, 255"]
        lines += [f"    li t2, {expected}", "    xor a1, a1, t2", "    snez a1, a1",
                  "    or a0, a0, a1"]
    # viota.m: vs2 bits 3, 5, 6 -> [0, 0, 0, 0, 1, 1, 2, 3]; masked by v0 (elements 3
    # and 5 off: only 6 counts) -> [0, 0, 0, old, 0, old, 0, 1] with old = 9; checked
    # as the sum of the two 32-bit words
    for instruction, expected in (("viota.m v4, v1", 0x03020101),
                                  ("viota.m v4, v1, v0.t", 0x09000000 + 0x01000900)):
        lines += ["    vsetivli zero, 8, e8, m1, tu, mu", "    vmv.v.i v4, 9",
                  f"    {instruction}", "    vsetivli zero, 2, e32, m1, tu, mu",
                  "    vmv.s.x v8, zero", "    vredsum.vs v7, v4, v8", "    vmv.x.s a1, v7",
                  f"    li t2, {expected}", "    xor a1, a1, t2", "    snez a1, a1",
                  "    or a0, a0, a1"]
    lines += ["    li a7, 93", "    ecall"]
    return "\n".join(lines) + "\n"


SLIDE_VTYPES = [(8, "mf4"), (8, "mf2"), (8, "m1"), (8, "m2"), (8, "m8"), (16, "mf2"),
                (16, "m1"), (16, "m4"), (32, "m1"), (32, "m2"), (32, "m8")]


def slide_program(seed: int, length: int = 28) -> str:
    """vslideup/vslidedown (.vx, .vi) and vslide1up/vslide1down (.vx) at every SEW and
    legal LMUL, offsets 0, small, past vl and VLMAX and huge (rs1 = -1), AVL 0, below and
    above VLMAX, masked or not, a non-zero vstart now and then; the upward slides with vd
    apart from vs2, the downward ones with vd = vs2 sometimes (allowed)."""
    rng = random.Random(seed)
    lines = _start("    li s1, 0x8badf00d", groups=True)
    for _ in range(length):
        sew, lmul_name = rng.choice(SLIDE_VTYPES)
        regs = max(1, int(_lmul(lmul_name)))
        avl = rng.choice([0, 1, 3, 5, 17, 33, 1000, 1000])
        lines += _set_vl(avl, sew, lmul_name)
        masked = rng.random() < 0.4
        mask = ", v0.t" if masked else ""
        op = rng.choice(["vslideup", "vslidedown", "vslide1up", "vslide1down"])
        form = "vx" if op.startswith("vslide1") else rng.choice(["vx", "vi"])
        vs2 = rng.choice(range(regs, 32, regs))
        choices = [r for r in range(regs, 32, regs)
                   if r != vs2 or op in ("vslidedown", "vslide1down")]
        vd = rng.choice(choices)
        if form == "vi":  # (1 with vl = VLMAX reads vs2[VLMAX]: 0)
            src = str(rng.choice([0, 1, 1, 2, 5, 13, 31]))
        else:
            lines.append(f"    li t4, {rng.choice([0, 1, 1, 3, 7, 40, 300, -1])}")
            src = "s1" if op.startswith("vslide1") else "t4"
        if rng.random() < 0.1:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 6)}")
        lines.append(f"    {op}.{form} v{vd}, v{vs2}, {src}{mask}")
    return _finish(lines, random.Random(seed + 9).randbytes(256))


@pytest.mark.long
@pytest.mark.parametrize("vlen, lanes, seed", [(128, 2, 1), (64, 1, 2), (256, 4, 3)])
def test_slides_match_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(slide_program(seed), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report



def _word_checks(checks, setup: list[str]) -> str:
    """A directed program: each (vtype, instruction, (word 0, word 1)) runs on v1 into
    v2 (first filled with 0xff), and v2's first two 32-bit words are checked against the
    values given (word 0, and the sum of both through vredsum); the exit status is
    non-zero on any difference (each folded to one bit: exit keeps 8 bits), on the
    interpreter and the RTL alike."""
    lines = ["    .text", "    .globl _start", "_start:", "    li a0, 0", "    li t5, 0x5a",
             "    li t6, 2", "    li s1, -1"] + setup
    for vtype, instruction, (low, high) in checks:
        lines += ["    vsetivli zero, 8, e8, m1, tu, mu", "    vmv.v.i v2, -1",
                  f"    vsetivli zero, {vtype}, tu, mu", f"    {instruction}",
                  "    vsetivli zero, 2, e32, m1, tu, mu", "    vmv.x.s a1, v2",
                  f"    li t2, {low}", "    xor a1, a1, t2", "    snez a1, a1",
                  "    or a0, a0, a1",
                  "    vmv.s.x v8, zero", "    vredsum.vs v7, v2, v8", "    vmv.x.s a1, v7",
                  f"    li t2, {(low + high) & 0xFFFFFFFF}", "    xor a1, a1, t2",
                  "    snez a1, a1", "    or a0, a0, a1"]
    return "\n".join(lines + ["    li a7, 93", "    ecall"]) + "\n"


def slide_directed_program() -> str:
    """v1 = [0, 1, .., 7] at SEW 8 (VLEN 64: VLMAX 8 at m1, 4 at mf2), v0 = 0xaa."""
    checks = [
        ("8, e8, m1", "vslidedown.vi v2, v1, 1", (0x04030201, 0x00070605)),  # v1[8]: 0
        ("8, e8, m1", "vslideup.vi v2, v1, 3", (0x00FFFFFF, 0x04030201)),
        ("8, e8, m1", "vslide1up.vx v2, v1, t5", (0x0201005A, 0x06050403)),
        ("8, e8, m1", "vslide1down.vx v2, v1, t5", (0x04030201, 0x5A070605)),
        ("5, e8, m1", "vslide1down.vx v2, v1, t5", (0x04030201, 0xFFFFFF5A)),
        ("4, e8, mf2", "vslidedown.vi v2, v1, 2", (0x00000302, 0xFFFFFFFF)),
        ("8, e8, m1", "vslideup.vx v2, v1, t6, v0.t", (0x01FFFFFF, 0x05FF03FF)),
        ("8, e8, m1", "vslidedown.vx v2, v1, s1", (0, 0)),
        ("8, e8, m1", "vslideup.vx v2, v1, s1", (0xFFFFFFFF, 0xFFFFFFFF)),
        ("4, e16, m1", "vslidedown.vi v2, v1, 1", (0x05040302, 0x00000706)),
    ]
    setup = ["    vsetivli zero, 8, e8, m1, tu, mu", "    vid.v v1", "    li t1, 0xaa",
             "    vmv.s.x v0, t1"]
    return _word_checks(checks, setup)



def gather_program(seed: int, length: int = 24) -> str:
    """vrgather (.vv, .vx, .vi) and vrgatherei16.vv at every SEW and legal LMUL (ei16's
    index EMUL too), indices in and out of range (VLMAX exactly, huge), AVL 0, below and
    above VLMAX, masked or not, a non-zero vstart now and then; vd apart from vs2 and the
    index group (and v0 when masked)."""
    rng = random.Random(seed)
    lines = _start(groups=True)
    for _ in range(length):
        sew, lmul_name = rng.choice(SLIDE_VTYPES)
        lmul = _lmul(lmul_name)
        regs = max(1, int(lmul))
        op, form = rng.choice([("vrgather", "vv"), ("vrgather", "vx"), ("vrgather", "vi"),
                               ("vrgatherei16", "vv")])
        index_regs = max(1, int(lmul * 16 / sew)) if op == "vrgatherei16" else regs
        if op == "vrgatherei16" and lmul * 16 / sew > 8:
            continue
        avl = rng.choice([0, 1, 3, 5, 17, 33, 1000])
        lines += _set_vl(avl, sew, lmul_name)
        masked = rng.random() < 0.4
        mask = ", v0.t" if masked else ""
        vs2 = rng.choice(range(regs, 32, regs))
        vs1 = rng.choice([r for r in range(index_regs, 32, index_regs)
                          if not (r < vs2 + regs and vs2 < r + index_regs)])
        vd = rng.choice([r for r in range(regs, 32, regs)
                         if not (r < vs2 + regs and vs2 < r + regs)
                         and not (form == "vv" and r < vs1 + index_regs and vs1 < r + regs)])
        if form == "vv" and rng.random() < 0.7:  # small indices: mostly in range
            eew = 16 if op == "vrgatherei16" else sew
            lines += [f"    vsetvli t0, zero, e{eew}, m1, ta, mu",
                      f"    li t4, {rng.choice([7, 15, 31, 63])}"]
            lines += [f"    vand.vx v{r}, v{r}, t4" for r in range(vs1, vs1 + index_regs)]
            lines.append(f"    vsetvli t2, t3, e{sew}, {lmul_name}, tu, mu")
        if form == "vv":
            src = f"v{vs1}"
        elif form == "vx":
            lines.append(f"    li t4, {rng.choice([0, 1, 3, 7, 16, 33, 255, -1])}")
            src = "t4"
        else:
            src = str(rng.randrange(32))
        if rng.random() < 0.1:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 6)}")
        lines.append(f"    {op}.{form} v{vd}, v{vs2}, {src}{mask}")
    return _finish(lines, random.Random(seed + 11).randbytes(256))


@pytest.mark.long
@pytest.mark.parametrize("vlen, lanes, seed", [(128, 2, 1), (64, 1, 2), (256, 4, 3)])
def test_gathers_match_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(gather_program(seed), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


def gather_directed_program() -> str:
    """v1 = [0x10, .., 0x17] at SEW 8 (VLEN 64: VLMAX 8 at m1, 4 at mf2), indices v3 =
    [7, 0, 8, 2, 255, 1, 1, 3], 16-bit indices v4 = [3, 256, 5, 0], v0 = 0xaa."""
    checks = [
        ("8, e8, m1", "vrgather.vv v2, v1, v3", (0x12001017, 0x13111100)),
        ("8, e8, m1", "vrgather.vx v2, v1, t6", (0x12121212, 0x12121212)),
        ("8, e8, m1", "vrgather.vi v2, v1, 9", (0, 0)),
        ("8, e8, m1", "vrgather.vx v2, v1, s1", (0, 0)),
        ("4, e8, mf2", "vrgather.vv v2, v1, v3", (0x12001000, 0xFFFFFFFF)),
        ("4, e8, m1", "vrgatherei16.vv v2, v1, v4", (0x10150013, 0xFFFFFFFF)),
        ("8, e8, m1", "vrgather.vx v2, v1, t6, v0.t", (0x12FF12FF, 0x12FF12FF)),
        ("4, e16, m1", "vrgather.vi v2, v1, 1", (0x13121312, 0x13121312)),
    ]
    setup = ["    vsetivli zero, 8, e8, m1, tu, mu", "    vid.v v1", "    vadd.vi v1, v1, 8",
             "    vadd.vi v1, v1, 8", "    li t1, 0xaa", "    vmv.s.x v0, t1",
             "    vsetivli zero, 2, e32, m1, tu, mu", "    li t1, 0x030101ff",
             "    vmv.v.x v3, t1", "    li t1, 0x02080007", "    vmv.s.x v3, t1",
             "    li t1, 5", "    vmv.v.x v4, t1", "    li t1, 0x01000003",
             "    vmv.s.x v4, t1"]
    return _word_checks(checks, setup)



def compress_program(seed: int, length: int = 20) -> str:
    """vcompress.vm at every SEW and legal LMUL, AVL 0, below and above VLMAX, on sparse,
    dense, empty and full masks; vd apart from vs2's group and the mask vs1."""
    rng = random.Random(seed)
    lines = _start(groups=True)
    lines += ["    vsetvli t0, zero, e8, m1, ta, ma", "    vmv.v.i v7, 0", "    vmv.v.i v6, -1"]
    for _ in range(length):
        sew, lmul_name = rng.choice(SLIDE_VTYPES)
        regs = max(1, int(_lmul(lmul_name)))
        avl = rng.choice([0, 1, 3, 5, 17, 33, 1000])
        lines += _set_vl(avl, sew, lmul_name)
        vs2 = rng.choice(range(regs, 32, regs))
        vs1 = rng.choice([r for r in range(32) if not vs2 <= r < vs2 + regs])
        vd = rng.choice([r for r in range(0, 32, regs) if not (r < vs2 + regs and vs2 < r + regs)
                         and not r <= vs1 < r + regs])
        lines.append(f"    vcompress.vm v{vd}, v{vs2}, v{vs1}")
    data = _biased_bytes(rng, [0, 0x11, 0x80, 0xFF], 0.5)
    return _finish(lines, data)


@pytest.mark.long
@pytest.mark.parametrize("vlen, lanes, seed", [(128, 2, 1), (64, 1, 2), (256, 4, 3)])
def test_vcompress_matches_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(compress_program(seed), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


def compress_directed_program() -> str:
    """v1 = [0x10, .., 0x17] at SEW 8 (VLEN 64), selected by v3 = 0b1010_0110
    (elements 1, 2, 5, 7), and at SEW 16 by 0b0101."""
    checks = [
        ("8, e8, m1", "vcompress.vm v2, v1, v3", (0x17151211, 0xFFFFFFFF)),
        ("6, e8, m1", "vcompress.vm v2, v1, v3", (0xFF151211, 0xFFFFFFFF)),
        ("8, e8, m1", "vcompress.vm v2, v1, v5", (0xFFFFFFFF, 0xFFFFFFFF)),
        ("4, e16, m1", "vcompress.vm v2, v1, v4", (0x15141110, 0xFFFFFFFF)),
    ]
    setup = ["    vsetivli zero, 8, e8, m1, tu, mu", "    vid.v v1", "    vadd.vi v1, v1, 8",
             "    vadd.vi v1, v1, 8", "    li t1, 0xa6", "    vmv.s.x v3, t1",
             "    li t1, 5", "    vmv.s.x v4, t1", "    vmv.s.x v5, zero"]
    return _word_checks(checks, setup)


def divide_program(seed: int, length: int = 16) -> str:
    """vdivu, vdiv, vremu, vrem (.vv, .vx) at every SEW and legal LMUL, AVL 0, below and
    above VLMAX, masked or not, a non-zero vstart now and then, on data full of 0, -1,
    1 and the most negative value (division by zero, signed overflow)."""
    rng = random.Random(seed)
    lines = _start(groups=True)
    for _ in range(length):
        sew, lmul_name = rng.choice([(8, "mf2"), (8, "m1"), (8, "m2"), (16, "mf2"),
                                     (16, "m1"), (32, "m1"), (32, "m2")])
        regs = max(1, int(_lmul(lmul_name)))
        avl = rng.choice([0, 1, 3, 5, 17, 1000])
        lines += _set_vl(avl, sew, lmul_name)
        masked = rng.random() < 0.4
        vd, vs2, vs1 = rng.sample(range(regs, 32, regs), 3)
        op = rng.choice(["vdivu", "vdiv", "vremu", "vrem"])
        if rng.random() < 0.5:
            src = f"v{vs1}"
        else:
            value = rng.choice([0, 1, -1, 3, 7, -128, 0x8000, -(1 << 31), 0x1234567])
            lines.append(f"    li t4, {value}")
            src = "t4"
        if rng.random() < 0.1:
            lines.append(f"    csrwi vstart, {rng.randrange(1, 4)}")
        form = "vv" if src.startswith("v") else "vx"
        lines.append(f"    {op}.{form} v{vd}, v{vs2}, {src}" + (", v0.t" if masked else ""))
    extremes = [0x00, 0xFF, 0x80, 0x01, 0x7F]
    data = _biased_bytes(rng, extremes, 0.6)
    return _finish(lines, data)


@pytest.mark.long
@pytest.mark.parametrize("vlen, lanes, seed", [(64, 2, 1), (128, 1, 2), (256, 4, 3)])
def test_divide_matches_the_interpreter(vlen, lanes, seed, tmp_path):
    verdict = _cosim(divide_program(seed), config(vlen, lanes), tmp_path)
    assert verdict.verdict == "pass", verdict.report


def divide_directed_program() -> str:
    """SEW 8: v1 = [-128, 7, -7, 100, 5, -1, 0, 9], v3 = [-1, 2, 2, 0, -3, 0, 5, -4]
    (signed overflow, rounding toward zero, division by zero, signs of remainders);
    SEW 16 by 2; SEW 32 by -1 and 0, v4 = [-2^31, 7]."""
    checks = [
        ("8, e8, m1", "vdiv.vv v2, v1, v3", (0xFFFD0380, 0xFE00FFFF)),
        ("8, e8, m1", "vrem.vv v2, v1, v3", (0x64FF0100, 0x0100FF02)),
        ("8, e8, m1", "vdivu.vv v2, v1, v3", (0xFF7C0300, 0x0000FF00)),
        ("8, e8, m1", "vremu.vv v2, v1, v3", (0x64010180, 0x0900FF05)),
        ("4, e16, m1", "vdiv.vx v2, v1, t6", (0x327C03C0, 0x0480FF83)),
        ("2, e32, m1", "vdiv.vx v2, v1, s1", (0x9B06F880, 0xF6FF00FB)),
        ("2, e32, m1", "vdiv.vx v2, v4, s1", (0x80000000, 0xFFFFFFF9)),
        ("2, e32, m1", "vrem.vx v2, v4, s1", (0, 0)),
        ("2, e32, m1", "vdivu.vx v2, v1, zero", (0xFFFFFFFF, 0xFFFFFFFF)),
        ("2, e32, m1", "vremu.vx v2, v1, zero", (0x64F90780, 0x0900FF05)),
    ]
    setup = ["    vsetivli zero, 2, e32, m1, tu, mu", "    li t1, 0x0900ff05",
             "    vmv.v.x v1, t1", "    li t1, 0x64f90780", "    vmv.s.x v1, t1",
             "    li t1, 0xfc0500fd", "    vmv.v.x v3, t1", "    li t1, 0x000202ff",
             "    vmv.s.x v3, t1", "    li t1, 7", "    vmv.v.x v4, t1", "    lui t1, 0x80000",
             "    vmv.s.x v4, t1"]
    return _word_checks(checks, setup)



# The directed programs of the classes added after the first slices, in one program
# (one elaboration): part k sets bit k of the exit status when one of its checks fails.
DIRECTED = (("carry", carry_directed_program), ("mask scans", mask_scan_directed_program),
            ("slides", slide_directed_program), ("gathers", gather_directed_program),
            ("vcompress", compress_directed_program), ("divide", divide_directed_program))


def directed_program() -> str:
    """The `DIRECTED` programs' bodies one after the other, each part's differences
    gathered in a3 and moved to its bit of a0."""
    lines = ["    .text", "    .globl _start", "_start:", "    li a0, 0", "    li a3, 0"]
    for bit, (_, program) in enumerate(DIRECTED):
        body = program().splitlines()
        body = body[body.index("_start:") + 1:body.index("    li a7, 93")]
        lines += [line.replace("or a0, a0, a1", "or a3, a3, a1") for line in body
                  if line != "    li a0, 0"]
        lines += [f"    slli a3, a3, {bit}", "    or a0, a0, a3", "    li a3, 0"]
    return "\n".join(lines + ["    li a7, 93", "    ecall"]) + "\n"


def test_new_classes_give_hand_computed_results(tmp_path):
    """Carry ops, mask scans, slides, gathers, vcompress and divide against values worked
    out by hand (the interpreter could be wrong the way the RTL is): the program exits
    with bit k set when part k of `DIRECTED` differs, on the interpreter and the RTL
    alike, so a failure says which."""
    verdict = _cosim(directed_program(), config(64, 1), tmp_path, "directed")
    status = verdict.ended.get("exit_code") or 0
    failed = [name for bit, (name, _) in enumerate(DIRECTED) if status >> bit & 1]
    assert verdict.verdict == "pass", (failed, verdict.report)


def _cycles_after(body: list[str], access: str, cfg, tmp_path: Path, name: str) -> int:
    """RTL cycles from before `body` (after a vsetvli e32, m8) to just after the scalar
    `access` behind it, run alone on the RTL and written out by the program."""
    lines = _start("    addi s1, s0, 512", "    vsetvli t0, zero, e32, m8, ta, ma",
                   "    rdcycle s2", *body, access, "    rdcycle s3", "    sub s3, s3, s2",
                   "    sw s3, 0(s1)", "    li a0, 1", "    mv a1, s1", "    li a2, 4",
                   "    li a7, 64", "    ecall")
    image = assemble_source(_finish(lines, bytes(range(256)) * 3), f"{name}.S", cfg)
    elf = tmp_path / f"{name}.elf"
    elf.write_bytes(render(image, "elf", cfg))
    result = api.run(api.load(elf, cfg), sim="rtl", backend="pysim")
    assert result.exit_code == 0
    return int.from_bytes(result.stdout[:4], "little")


def test_a_scalar_load_waits_only_for_vector_stores(tmp_path):
    """Memory order (hw/oxcore/engine.py): a scalar store waits for the engine to be
    idle, a scalar load only while a vector store is queued or running. Behind four
    m8 vadds (17 cycles each at VLEN 256, 4 lanes) a load goes at once, a store waits
    for them; behind a vse it waits for the vse too (and, in lockstep, reads what the
    vse wrote)."""
    cfg = config(256, 4)
    work = ["    vadd.vv v8, v16, v24"] * 4
    load = _cycles_after(work, "    lw a1, 0(s0)", cfg, tmp_path, "load")
    store = _cycles_after(work, "    sw a1, 0(s1)", cfg, tmp_path, "store")
    after_vse = _cycles_after(work + ["    vse32.v v8, (s0)"], "    lw a1, 0(s0)", cfg,
                              tmp_path, "after_vse")
    assert load < 30 < 4 * 17 < store
    assert after_vse > 4 * 17
    verdict = _cosim(_load_behind_a_store(), cfg, tmp_path, "order")
    assert verdict.verdict == "pass", verdict.report


def _load_behind_a_store() -> str:
    """Scalar loads right behind a vse of the words they read."""
    lines = _start("    vsetvli t0, zero, e32, m8, ta, ma", "    vle32.v v16, (s0)",
                   "    vadd.vv v8, v16, v16", "    vse32.v v8, (s0)", "    lw a1, 4(s0)",
                   "    lw a2, 1020(s0)", "    sw a1, 0(s0)", "    sw a2, 4(s0)",
                   "    vle32.v v0, (s0)", "    vmv.x.s a3, v0", "    add a0, a1, a3")
    return _finish(lines, bytes(range(256)) * 4)


def test_a_load_not_waiting_for_a_vector_store_is_caught(tmp_path, monkeypatch):
    """With writes_memory never raised, the loads behind the vse read stale words: the
    co-simulation fails there."""
    from hw.oxcore.vector.engine import VectorEngine

    def never(self, m, lsu, lsu_seq, dispatched) -> None:
        m.d.comb += self.pipe.writes_memory.eq(0)
    monkeypatch.setattr(VectorEngine, "_memory_writes", never)
    verdict = _cosim(_load_behind_a_store(), config(256, 4), tmp_path, "stale")
    assert verdict.verdict == "fail"
    assert "lw" in verdict.report


def test_vsetvli_without_a_result_runs_as_it_issues(tmp_path):
    """vset{i}vl{i} with rd = x0 runs in the issue stage (`_configure_at_issue`): between
    two m8 vadds (17 cycles each at VLEN 256, 4 lanes; vtype e32/m8 both sides) it costs
    no arithmetic cycle, where with a result (rd = t1) it waits for the first vadd and
    takes the arithmetic sequencer's cycles. In lockstep: back-to-back ones, ones behind
    a csr write of vstart, a fault-only-first load and a vsetvl with a result (which
    take the sequencer's path), and the vl each leaves to the instructions after it."""
    cfg = config(256, 4)
    vadd = "    vadd.vv v8, v16, v24"
    keep = "    vsetvli zero, zero, e32, m8, ta, ma"
    store = "    sw a1, 0(s1)"  # (waits for the engine to be idle)
    alone = _cycles_after([vadd, vadd], store, cfg, tmp_path, "none")
    fast = _cycles_after([vadd, keep, vadd], store, cfg, tmp_path, "fast")
    slow = _cycles_after([vadd, "    vsetvli t1, zero, e32, m8, ta, ma", vadd], store, cfg,
                         tmp_path, "slow")
    assert 2 * 17 < alone and fast <= alone + 1 and slow >= alone + 2, (alone, fast, slow)
    lines = _start("    vsetvli zero, zero, e8, m1, ta, ma", "    vsetivli zero, 5, e16, m2, ta, ma",
                   "    vle16.v v2, (s0)", "    vsetvli zero, zero, e8, m1, ta, ma",
                   "    vredsum.vs v4, v2, v2", "    li t3, 3",
                   "    vsetvli zero, t3, e32, m4, tu, mu", "    vadd.vv v8, v4, v4",
                   "    csrwi vstart, 1", "    vsetvli zero, zero, e32, m1, ta, ma",
                   "    vle32ff.v v12, (s0)", "    vsetivli zero, 7, e8, m1, ta, ma",
                   "    vsetivli zero, 9, e8, m1, ta, ma", "    vsetvli a4, zero, e16, m1, ta, ma",
                   "    vsetvli zero, zero, e64, m1, ta, ma", "    csrr a5, vtype",
                   "    vsetivli zero, 2, e32, m1, ta, ma", "    vmv.x.s a6, v2",
                   "    csrr a7, vl", "    add a0, a6, a7")
    verdict = _cosim(_finish(lines, bytes(range(256)) * 2), cfg, tmp_path, "config")
    assert verdict.verdict == "pass", verdict.report


def test_vmv_s_x_writes_element_0_below_vl_whatever_vstart(tmp_path):
    """Spec 16.1: vmv.s.x writes element 0 unless vstart >= vl, even with vstart > 0
    (found by `cosim.vector_fuzz --rtl`: the engine took element 0 as a prestart one).
    Worked out by hand: the first writes 7 (vstart 1 < vl 4), the second nothing
    (vstart 3 >= vl 2), so the program exits with 7."""
    source = "\n".join([
        "    .text", "    .globl _start", "_start:",
        "    vsetivli zero, 4, e32, m1, ta, ma", "    vmv.v.i v3, 0", "    li a1, 7",
        "    csrwi vstart, 1", "    vmv.s.x v3, a1", "    vsetivli zero, 2, e32, m1, ta, ma",
        "    csrwi vstart, 3", "    li a2, 9", "    vmv.s.x v3, a2", "    vmv.x.s a0, v3",
        "    li a7, 93", "    ecall"]) + "\n"
    verdict = _cosim(source, config(128, 2), tmp_path, "vmv_s_x")
    assert verdict.verdict in ("pass", "exit"), verdict.report
    assert verdict.ended.get("exit_code") == 7, verdict.ended


def _single_registers() -> str:
    """Loads right after and onto a reduction's and a compare's one-register operands,
    and a whole-register load into the middle of an m8 vadd's destination."""
    lines = _start("    vsetvli t0, zero, e32, m8, ta, ma", "    vle32.v v16, (s0)",
                   "    vmv.v.i v8, 3", "    vmv.v.i v24, 5",
                   "    vredsum.vs v7, v16, v7", "    vle32.v v8, (s0)",
                   "    vmseq.vi v15, v24, 5", "    addi t1, s0, 32", "    vle32.v v16, (t1)",
                   "    vredmax.vs v2, v8, v2", "    vle32.v v0, (t1)",
                   "    vmv.x.s a1, v7", "    vmv.x.s a2, v2", "    vmv.x.s a3, v16",
                   "    vadd.vv v8, v16, v24", "    vl1re32.v v13, (s0)",
                   "    vsetivli zero, 1, e32, m1, ta, ma", "    vmv.x.s a4, v15",
                   "    vmv.x.s a5, v13", "    add a0, a1, a2", "    add a0, a0, a3",
                   "    add a0, a0, a4", "    add a0, a0, a5")
    return _finish(lines, bytes(range(256)) * 2)


def test_a_reduction_holds_only_its_vd_and_vs1(tmp_path):
    """A reduction's vd and vs1, and a compare's mask destination, are one register
    whatever LMUL (the issue check counts them so): a load into v8.. runs alongside
    ``vredsum.vs v1, v16, v1`` at m8 (the check once counted vd as v1..v8), as a load
    into v24 always did. In lockstep (`_single_registers`): loads into the registers
    right after a reduction's and a compare's vd, and into vd itself (which must wait),
    each followed by reads of what both wrote."""
    cfg = config(256, 4)
    reduce = "    vredsum.vs v1, v16, v1"
    store = "    sw a1, 0(s1)"  # (waits for the engine to be idle)
    beside = _cycles_after([reduce, "    vle32.v v24, (s0)"], store, cfg, tmp_path, "v24")
    after_vd = _cycles_after([reduce, "    vle32.v v8, (s0)"], store, cfg, tmp_path, "v8")
    alone = _cycles_after([reduce], store, cfg, tmp_path, "alone")
    assert after_vd <= beside + 1 < alone + 8, (beside, after_vd, alone)
    verdict = _cosim(_single_registers(), cfg, tmp_path, "single")
    assert verdict.verdict == "pass", verdict.report


def test_every_destination_counted_single_is_caught(tmp_path, monkeypatch):
    """Fault injection: the issue check counts every vd as one register; the whole-
    register load into v13 then overtakes the m8 vadd whose group holds it."""
    from amaranth import Const
    from hw.oxcore.vector import engine as engine_module
    monkeypatch.setattr(engine_module, "_single_register", lambda single, ones: Const(1, 8))
    verdict = _cosim(_single_registers(), config(256, 4), tmp_path, "single_fault")
    assert verdict.verdict == "fail", verdict.report


def _reads_behind_writes() -> str:
    """Reads of an arithmetic result at once, by each kind of successor: a store
    (the load/store sequencer), an element-wise op, a masked op after a compare into
    v0, a reduction and vmv.x.s, vxsat after a saturating add, each while the result's
    last beats are still in the lanes' pipeline; then the results stored."""
    lines = _start("addi s1, s0, 512", "vsetvli t0, zero, e32, m1, ta, ma",
                   "vle32.v v4, (s0)",
                   "vadd.vv v8, v4, v4", "vse32.v v8, (s1)",
                   "vmul.vv v9, v8, v4", "vadd.vv v10, v9, v9",
                   "vmsltu.vv v0, v4, v8", "vadd.vv v11, v4, v4, v0.t",
                   "vredsum.vs v12, v11, v4", "vmv.x.s a1, v12",
                   "vsaddu.vv v13, v8, v8", "csrr a2, vxsat")
    for k, reg in enumerate((9, 10, 11, 13)):
        lines += [f"addi t1, s1, {32 * (k + 1)}", f"vse32.v v{reg}, (t1)"]
    data = b"".join(((k * 0x9E3779B1) & 0xFFFFFFFF).to_bytes(4, "little") for k in range(64))
    return _finish([line if line.startswith(("    ", "_start", ".")) else f"    {line}"
                    for line in lines], data)


def test_a_result_read_at_once_waits_for_the_lanes_pipeline(tmp_path):
    """Every successor of an arithmetic op that reads its result (a store, arithmetic,
    a mask in v0, vmv.x.s, vxsat) sees it, though the last beats' writes land
    LANE_STAGES cycles after the op's last cycle: in lockstep with the interpreter."""
    verdict = _cosim(_reads_behind_writes(), config(256, 4), tmp_path, "behind")
    assert verdict.verdict == "pass", verdict.report


def test_a_read_missing_the_pipelines_writes_is_caught(tmp_path, monkeypatch):
    """Fault injection: the issue check forgets the rows still in the back end; the
    successors then read the registers before the lanes' last beats land."""
    from amaranth import Const
    from hw.oxcore.vector import engine as engine_module
    monkeypatch.setattr(engine_module, "_pending_rows", lambda pending: Const(0, 32))
    verdict = _cosim(_reads_behind_writes(), config(256, 4), tmp_path, "behind_fault")
    assert verdict.verdict == "fail", verdict.report


def _mask_written_then_used() -> str:
    """v0 written and used as a mask at once: by a compare then a masked add (arithmetic
    to arithmetic), by vlm.v then a masked load (load/store to load/store) and a masked
    subtract (load/store to arithmetic); each new mask differs from the one before."""
    rng = random.Random(5)
    data = bytes(rng.randrange(256) for _ in range(64)) + bytes([0x5A] * 16 + [0xC3] * 16)
    lines = _start("    vsetvli t0, zero, e8, m1, ta, mu", "    addi t1, s0, 32",
                   "    addi t2, s0, 64", "    addi t3, s0, 80",
                   "    vle8.v v8, (s0)", "    vle8.v v9, (t1)", "    vmv.v.i v10, 0",
                   "    vmv.v.i v11, 0", "    vmv.v.i v12, 0",
                   "    vmslt.vv v0, v8, v9", "    vadd.vv v10, v8, v9, v0.t",
                   "    vlm.v v0, (t2)", "    vle8.v v11, (s0), v0.t",
                   "    vlm.v v0, (t3)", "    vsub.vv v12, v8, v9, v0.t")
    return _finish(lines, data)


def test_a_mask_used_as_soon_as_it_is_written(tmp_path):
    """The sequencers select v0's bits a cycle ahead; the issue check keeps a masked
    instruction from starting in the cycle the write to v0 lands."""
    for lanes in (2, 4):
        verdict = _cosim(_mask_written_then_used(), config(128, lanes), tmp_path, "mask")
        assert verdict.verdict == "pass", verdict.report


def test_a_mask_read_before_its_write_lands_is_caught(tmp_path, monkeypatch):
    """Fault injection: v0 held no longer than the other registers; a masked instruction
    then starts with the bits of the v0 before."""
    from hw.oxcore.vector import engine as engine_module
    monkeypatch.setattr(engine_module, "_v0_landing", lambda written: 0)
    verdicts = [_cosim(_mask_written_then_used(), config(128, lanes), tmp_path,
                       f"mask_fault{lanes}").verdict for lanes in (2, 4)]
    assert "fail" in verdicts, verdicts
