"""The vector unit's operations: what each Zve32x row's semantics call (``vec.*``).

One method per category of the RVV spec, written once for every SEW, LMUL and form,
in the spec's terms: a body of elements ``vstart <= i < vl``, active where the mask
(v0, with ``vm`` 0) is set; inactive and tail elements keep their values (OxCore
implements the agnostic policies as undisturbed, which the spec allows). Each method
first checks everything that can make the instruction illegal or fault, then changes
state, so a trapping instruction has no effect (and vstart stays 0).

Retire effects (recording mode): one `VWrite` per register written (the whole register
afterwards, and a byte mask of the elements written), `CsrWrite` for vl/vtype
(vsetvl*, fault-only-first), vxsat (when it becomes 1) and vstart (when reset from
non-zero), and `MemAccess` per element for strided and indexed accesses, per register-
sized chunk for unit-stride ones.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from oxcore.isa.ext.zve32x import (CSR_VACTIVE_ALU, CSR_VACTIVE_LSU, CSR_VBUSY,
                                   CSR_VELEMENTS, CSR_VSTALL_ISSUE, CSR_VSTALL_QUEUE)
from oxcore.isa.traps import (ILLEGAL, LOAD_FAULT, LOAD_MISALIGNED, STORE_FAULT,
                              STORE_MISALIGNED, Trap)
from oxcore.isa.vector import arith
from oxcore.isa.vector.arith import I64, signed
from oxcore.isa.vector.state import DTYPES, VILL, VectorState, VType

MASK32 = 0xFFFF_FFFF
CSR_VSTART, CSR_VXSAT, CSR_VXRM, CSR_VCSR = 0x008, 0x009, 0x00A, 0x00F
CSR_VL, CSR_VTYPE, CSR_VLENB = 0xC20, 0xC21, 0xC22


class VectorUnit:
    """The vector unit of one interpreter machine, in one execution mode."""

    register_files = ("v",)
    csrs = (CSR_VSTART, CSR_VXSAT, CSR_VXRM, CSR_VCSR, CSR_VL, CSR_VTYPE, CSR_VLENB,
            CSR_VBUSY, CSR_VACTIVE_ALU, CSR_VACTIVE_LSU, CSR_VELEMENTS, CSR_VSTALL_ISSUE,
            CSR_VSTALL_QUEUE)

    def __init__(self, machine: Any, recording: bool) -> None:
        self.machine = machine
        self.recording = recording
        vector = getattr(machine.config, "vector", None)
        self.state: VectorState = machine.engine_state.setdefault(
            "vector", VectorState(vector.vlen if vector is not None else 128))
        self.memory = np.frombuffer(machine.ram, dtype=np.uint8)
        self._written: dict[int, np.ndarray] = {}  # register -> bytes written (this insn)
        self._saturated = False
        self._body = 0  # this instruction's body elements, for velements (`_finish`)

    # ---- CSRs (spec 3) -----------------------------------------------------------------
    def csr_read(self, number: int) -> int:
        """The CSR's value. The counters: velements is exact (no timing in it); the
        cycle counts are timing CSRs, which an untimed interpreter reads as 0 (and
        co-simulation replaces with the RTL's values)."""
        s = self.state
        return {CSR_VSTART: s.vstart, CSR_VXSAT: s.vxsat, CSR_VXRM: s.vxrm,
                CSR_VCSR: s.vxrm << 1 | s.vxsat, CSR_VL: s.vl, CSR_VTYPE: s.vtype,
                CSR_VLENB: s.vlenb, CSR_VELEMENTS: s.body_elements, CSR_VBUSY: 0,
                CSR_VACTIVE_ALU: 0, CSR_VACTIVE_LSU: 0, CSR_VSTALL_ISSUE: 0,
                CSR_VSTALL_QUEUE: 0}[number]

    def csr_write(self, number: int, value: int) -> bool:
        """Write a writable vector CSR (its WARL bits); False for the read-only ones."""
        s = self.state
        if number == CSR_VSTART:
            s.vstart = value & (s.vlen - 1)
        elif number == CSR_VXSAT:
            s.vxsat = value & 1
        elif number == CSR_VXRM:
            s.vxrm = value & 3
        elif number == CSR_VCSR:
            s.vxrm, s.vxsat = (value >> 1) & 3, value & 1
        else:
            return False
        return True

    # ---- effects -----------------------------------------------------------------------
    def _effect(self, effect: Any) -> None:
        if self.recording:
            self.machine.extra_effects.append((self.machine.instret, effect))

    def _mark(self, reg: int, byte_flags: np.ndarray) -> None:
        """Note that bytes of the group starting at `reg` were written."""
        vlenb = self.state.vlenb
        for i in range(0, len(byte_flags), vlenb):
            part = byte_flags[i:i + vlenb]
            if part.any():
                seen = self._written.setdefault(reg + i // vlenb, np.zeros(vlenb, bool))
                seen[:len(part)] |= part

    def _finish(self) -> None:
        """End of an instruction: its register and CSR effects; vstart back to 0."""
        from oxcore.retire import CsrWrite, VWrite
        s = self.state
        if self.recording:
            for reg in sorted(self._written):
                flags = self._written[reg]
                mask = int.from_bytes(np.packbits(flags, bitorder="little").tobytes(),
                                      "little")
                self._effect(VWrite(reg, s.vlenb, int.from_bytes(s.register(reg).tobytes(),
                                                                 "little"), mask))
        self._written.clear()
        s.body_elements = (s.body_elements + self._body) & MASK32
        self._body = 0
        if self._saturated and not s.vxsat:
            s.vxsat = 1
            self._effect(CsrWrite(CSR_VXSAT, 1))
        self._saturated = False
        if s.vstart:
            s.vstart = 0
            self._effect(CsrWrite(CSR_VSTART, 0))

    # ---- checks ------------------------------------------------------------------------
    @staticmethod
    def _illegal(pc: int, why: str) -> Trap:
        return Trap(ILLEGAL, pc, 0, why)

    def _vtype(self, pc: int) -> VType:
        """The legal vtype, or an illegal-instruction trap. Every instruction with a body
        of vl elements starts here, so this also notes its body for velements (the
        others set theirs: `_count`)."""
        vtype = VType.decode(self.state.vtype) if not self.state.vtype & VILL else None
        if vtype is None:
            raise self._illegal(pc, "vector instruction with vtype.vill set (no legal "
                                    "vsetvl since reset, or an illegal vtype)")
        self._count(self.state.vl)
        return vtype

    def _count(self, evl: int) -> None:
        """This instruction's body for velements: elements vstart..evl-1 (the RTL counts
        the same as a sequencer starts it); added when it finishes without a trap."""
        self._body = max(0, evl - self.state.vstart)

    def _group(self, pc: int, reg: int, emul: Fraction, what: str = "register group") -> int:
        """Registers in the group at `reg` of EMUL `emul`; illegal if EMUL > 8 or `reg`
        is not a multiple of it (spec 3.4.2, 5.2)."""
        if emul > 8 or emul < Fraction(1, 8):
            raise self._illegal(pc, f"{what}: EMUL {emul} out of range")
        count = max(1, int(emul))
        if reg % count:
            raise self._illegal(pc, f"{what} v{reg} not aligned to EMUL {count}")
        return count

    def _no_overlap(self, pc: int, dst: int, dst_regs: int, dst_eew: int, src: int,
                    src_regs: int, src_eew: int, src_emul: Fraction = Fraction(1)) -> None:
        """Spec 5.2: a destination group may overlap a source group only if the EEWs
        are equal, or the destination is narrower and the overlap is the source's
        lowest part, or the destination is wider, the source EMUL >= 1 and the overlap
        is the destination's highest part."""
        if dst + dst_regs <= src or src + src_regs <= dst or dst_eew == src_eew:
            return
        if dst_eew < src_eew and dst == src:
            return
        if dst_eew > src_eew and src_emul >= 1 and src == dst + dst_regs - src_regs:
            return
        raise self._illegal(pc, f"destination v{dst} overlaps source v{src}")

    def _distinct(self, pc: int, dst: int, dst_regs: int, src: int, src_regs: int) -> None:
        if not (dst + dst_regs <= src or src + src_regs <= dst):
            raise self._illegal(pc, f"destination v{dst} may not overlap source v{src}")

    def _mask_overlap(self, pc: int, vd: int, vm: int) -> None:
        """Spec 5.3: a masked instruction's destination (not a mask) cannot be v0."""
        if not vm and vd == 0:
            raise self._illegal(pc, "masked instruction writes v0, its own mask")

    def _vstart_zero(self, pc: int) -> None:
        if self.state.vstart:
            raise self._illegal(pc, "this instruction requires vstart = 0")

    # ---- element access -----------------------------------------------------------------
    def _active(self, vm: int, count: int) -> np.ndarray:
        """Body elements (vstart <= i < count) that the mask enables."""
        active = np.arange(count) >= self.state.vstart
        if not vm:
            active &= self.state.mask_bits(0, count)
        return active

    def _read(self, reg: int, eew: int, count: int) -> np.ndarray:
        return self.state.elements(reg, eew, count).astype(I64)

    def _operand(self, form: str, src: int, sew: int, count: int) -> np.ndarray:
        """The second operand: vs1's elements ("vv"), or the scalar/immediate truncated
        to SEW bits (spec 11.1: sign-extended immediates, rs1's low SEW bits)."""
        if form == "vv":
            return self._read(src, sew, count)
        return np.full(count, src & ((1 << sew) - 1), dtype=I64)

    def _write(self, vd: int, eew: int, values: np.ndarray, active: np.ndarray) -> None:
        """Write the active elements (truncated to EEW) of the group at `vd`."""
        count = len(active)
        if not count:
            return
        view = self.state.elements(vd, eew, count)
        view[active] = (np.asarray(values, dtype=I64)[active] & ((1 << eew) - 1)).astype(
            DTYPES[eew])
        self._mark(vd, np.repeat(active, eew // 8))

    def _write_mask(self, vd: int, bits: np.ndarray, active: np.ndarray) -> None:
        """Write mask bits `bits` where `active` (spec 4.5: bit i is element i)."""
        if not len(active) or not active.any():
            return
        self.state.set_mask_bits(vd, bits, active)
        touched = np.zeros(self.state.vlenb * 8, bool)
        touched[:len(active)] = active
        self._mark(vd, touched.reshape(-1, 8).any(axis=1))

    # ---- configuration (spec 6) -----------------------------------------------------------
    def set_vl(self, rd: int, rs1: int, avl: int, vtype: int, pc: int) -> int:
        """vsetvli/vsetvl: rs1 != x0 gives the AVL; rs1 = x0 asks for VLMAX (rd != x0)
        or keeps vl (rd = x0)."""
        if rs1:
            return self._set(avl, vtype)
        if rd:
            return self._set(MASK32, vtype)
        return self._set(None, vtype)

    def set_vl_immediate(self, avl: int, vtype: int, pc: int) -> int:
        return self._set(avl, vtype)

    def _set(self, avl: int | None, vtype: int) -> int:
        """vl = min(AVL, VLMAX) (spec 6.3 allows more choices for AVL < 2*VLMAX; this is
        the one every implementation OxCore is compared with makes). An illegal vtype
        sets vill and vl = 0. Keeping vl (AVL None) clamps it to the new VLMAX."""
        from oxcore.retire import CsrWrite
        s = self.state
        self._body = 0  # (no body: velements leaves vset{i}vl{i} out)
        legal = VType.decode(vtype)
        if legal is None:
            s.vtype, s.vl = VILL, 0
        else:
            vlmax = legal.vlmax(s.vlen)
            s.vtype = vtype
            s.vl = min(s.vl if avl is None else avl, vlmax)
        self._effect(CsrWrite(CSR_VL, s.vl))
        self._effect(CsrWrite(CSR_VTYPE, s.vtype))
        self._finish()
        return s.vl

    # ---- integer arithmetic (spec 11-12) ------------------------------------------------
    def binary(self, op: str, form: str, vd: int, vs2: int, src: int, vm: int, pc: int) -> None:
        t = self._vtype(pc)
        self._group(pc, vd, t.lmul)
        self._group(pc, vs2, t.lmul)
        if form == "vv":
            self._group(pc, src, t.lmul)
        self._mask_overlap(pc, vd, vm)
        vl = self.state.vl
        result, saturated = arith.BINARY[op](self._read(vs2, t.sew, vl),
                                            self._operand(form, src, t.sew, vl), t.sew,
                                            self.state.vxrm)
        active = self._active(vm, vl)
        self._write(vd, t.sew, result, active)
        if saturated is not None and (saturated & active).any():
            self._saturated = True
        self._finish()

    def _widened(self, pc: int, t: VType) -> Fraction:
        if 2 * t.sew > 32:
            raise self._illegal(pc, f"widening with SEW {t.sew}: 2*SEW exceeds ELEN 32")
        return 2 * t.lmul

    def widening(self, op: str, form: str, vd: int, vs2: int, src: int, vm: int,
                 pc: int) -> None:
        t = self._vtype(pc)
        wide_emul = self._widened(pc, t)
        how2, how1, fn = arith.WIDENING[op]
        wide_regs = self._group(pc, vd, wide_emul)
        if how2 == "w":
            self._group(pc, vs2, wide_emul)
        else:
            regs2 = self._group(pc, vs2, t.lmul)
            self._no_overlap(pc, vd, wide_regs, 2 * t.sew, vs2, regs2, t.sew, t.lmul)
        if form == "vv":
            regs1 = self._group(pc, src, t.lmul)
            self._no_overlap(pc, vd, wide_regs, 2 * t.sew, src, regs1, t.sew, t.lmul)
        self._mask_overlap(pc, vd, vm)
        vl = self.state.vl
        a = (self._read(vs2, 2 * t.sew, vl) if how2 == "w"
             else arith.extend(self._read(vs2, t.sew, vl), t.sew, how2))
        b = arith.extend(self._operand(form, src, t.sew, vl), t.sew, how1)
        self._write(vd, 2 * t.sew, fn(a, b), self._active(vm, vl))
        self._finish()

    def narrowing(self, op: str, form: str, vd: int, vs2: int, src: int, vm: int,
                  pc: int) -> None:
        t = self._vtype(pc)
        wide_emul = self._widened(pc, t)
        regs = self._group(pc, vd, t.lmul)
        wide_regs = self._group(pc, vs2, wide_emul)
        self._no_overlap(pc, vd, regs, t.sew, vs2, wide_regs, 2 * t.sew, wide_emul)
        if form == "vv":
            self._group(pc, src, t.lmul)
        self._mask_overlap(pc, vd, vm)
        vl = self.state.vl
        shift = self._operand(form, src, t.sew, vl)
        result, saturated = arith.NARROWING[op](self._read(vs2, 2 * t.sew, vl), shift, t.sew,
                                               self.state.vxrm)
        active = self._active(vm, vl)
        self._write(vd, t.sew, result, active)
        if saturated is not None and (saturated & active).any():
            self._saturated = True
        self._finish()

    def multiply_add(self, op: str, form: str, vd: int, vs2: int, src: int, vm: int,
                     pc: int) -> None:
        t = self._vtype(pc)
        for reg in (vd, vs2) + ((src,) if form == "vv" else ()):
            self._group(pc, reg, t.lmul)
        self._mask_overlap(pc, vd, vm)
        vl = self.state.vl
        result = arith.MULTIPLY_ADD[op](self._read(vd, t.sew, vl), self._read(vs2, t.sew, vl),
                                        self._operand(form, src, t.sew, vl))
        self._write(vd, t.sew, result, self._active(vm, vl))
        self._finish()

    def widening_multiply_add(self, op: str, form: str, vd: int, vs2: int, src: int,
                              vm: int, pc: int) -> None:
        t = self._vtype(pc)
        wide_emul = self._widened(pc, t)
        wide_regs = self._group(pc, vd, wide_emul)
        for reg in (vs2,) + ((src,) if form == "vv" else ()):
            regs = self._group(pc, reg, t.lmul)
            self._no_overlap(pc, vd, wide_regs, 2 * t.sew, reg, regs, t.sew, t.lmul)
        self._mask_overlap(pc, vd, vm)
        vl = self.state.vl
        how2, how1 = arith.WIDENING_MULTIPLY_ADD[op]
        a = arith.extend(self._read(vs2, t.sew, vl), t.sew, how2)
        b = arith.extend(self._operand(form, src, t.sew, vl), t.sew, how1)
        self._write(vd, 2 * t.sew, self._read(vd, 2 * t.sew, vl) + b * a,
                    self._active(vm, vl))
        self._finish()

    def extend(self, vd: int, vs2: int, factor: int, is_signed: bool, vm: int,
               pc: int) -> None:
        t = self._vtype(pc)
        narrow = t.sew // factor
        if narrow < 8:
            raise self._illegal(pc, f"vsext/vzext.vf{factor} with SEW {t.sew}")
        src_emul = t.lmul / factor
        regs = self._group(pc, vd, t.lmul)
        src_regs = self._group(pc, vs2, src_emul)
        self._no_overlap(pc, vd, regs, t.sew, vs2, src_regs, narrow, src_emul)
        self._mask_overlap(pc, vd, vm)
        vl = self.state.vl
        values = arith.extend(self._read(vs2, narrow, vl), narrow, "s" if is_signed else "u")
        self._write(vd, t.sew, values, self._active(vm, vl))
        self._finish()

    def carry(self, op: str, form: str, vd: int, vs2: int, src: int, use_carry: bool,
              pc: int) -> None:
        """vadc/vsbc: vd = vs2 +/- source +/- v0 bit. vmadc/vmsbc: the carry/borrow out,
        as mask bits (with or without the v0 carry-in)."""
        t = self._vtype(pc)
        regs2 = self._group(pc, vs2, t.lmul)
        regs1 = self._group(pc, src, t.lmul) if form == "vv" else 0
        writes_mask = op in ("vmadc", "vmsbc")
        if writes_mask:  # a mask destination may overlap only a source's lowest part
            self._no_overlap(pc, vd, 1, 1, vs2, regs2, t.sew, t.lmul)
            if regs1:
                self._no_overlap(pc, vd, 1, 1, src, regs1, t.sew, t.lmul)
        else:
            self._group(pc, vd, t.lmul)
            if vd == 0:
                raise self._illegal(pc, f"{op} writes v0, its carry input")
        vl = self.state.vl
        a = self._read(vs2, t.sew, vl)
        b = self._operand(form, src, t.sew, vl)
        c = self.state.mask_bits(0, vl).astype(I64) if use_carry else np.zeros(vl, I64)
        subtract = op in ("vsbc", "vmsbc")
        total = a - b - c if subtract else a + b + c
        active = np.arange(vl) >= self.state.vstart  # every body element: no masking
        if not writes_mask:
            self._write(vd, t.sew, total, active)
        else:
            out = (total < 0) if subtract else (total >> t.sew) != 0
            self._write_mask(vd, out, active)
        self._finish()

    def merge(self, form: str, vd: int, vs2: int, src: int, pc: int) -> None:
        t = self._vtype(pc)
        for reg in (vd, vs2) + ((src,) if form == "vv" else ()):
            self._group(pc, reg, t.lmul)
        self._mask_overlap(pc, vd, 0)
        vl = self.state.vl
        pick = self.state.mask_bits(0, vl)
        values = np.where(pick, self._operand(form, src, t.sew, vl), self._read(vs2, t.sew, vl))
        self._write(vd, t.sew, values, np.arange(vl) >= self.state.vstart)
        self._finish()

    def move(self, form: str, vd: int, src: int, pc: int) -> None:
        t = self._vtype(pc)
        self._group(pc, vd, t.lmul)
        if form == "vv":
            self._group(pc, src, t.lmul)
        vl = self.state.vl
        self._write(vd, t.sew, self._operand(form, src, t.sew, vl),
                    np.arange(vl) >= self.state.vstart)
        self._finish()

    def compare(self, op: str, form: str, vd: int, vs2: int, src: int, vm: int,
                pc: int) -> None:
        t = self._vtype(pc)
        regs2 = self._group(pc, vs2, t.lmul)
        self._no_overlap(pc, vd, 1, 1, vs2, regs2, t.sew, t.lmul)
        if form == "vv":
            regs1 = self._group(pc, src, t.lmul)
            self._no_overlap(pc, vd, 1, 1, src, regs1, t.sew, t.lmul)
        vl = self.state.vl
        is_signed, test = arith.COMPARE[op]
        a = self._read(vs2, t.sew, vl)
        b = self._operand(form, src, t.sew, vl)
        if is_signed:
            a, b = signed(a, t.sew), signed(b, t.sew)
        self._write_mask(vd, test(a, b), self._active(vm, vl))
        self._finish()

    # ---- reductions (spec 14) ----------------------------------------------------------
    def reduction(self, op: str, vd: int, vs2: int, vs1: int, vm: int, pc: int) -> None:
        t = self._vtype(pc)
        self._vstart_zero(pc)
        self._group(pc, vs2, t.lmul)
        vl = self.state.vl
        if op in ("vwredsumu", "vwredsum"):
            wide = 2 * t.sew
            self._widened(pc, t)
            how = "u" if op == "vwredsumu" else "s"
            items = arith.extend(self._read(vs2, t.sew, vl), t.sew, how)
            start, fn, out = self._read(vs1, wide, 1), np.sum, wide
        else:
            is_signed, fn = arith.REDUCTION[op]
            items, start, out = self._read(vs2, t.sew, vl), self._read(vs1, t.sew, 1), t.sew
            if is_signed:
                items, start = signed(items, t.sew), signed(start, t.sew)
        if vl:  # vl = 0: vd is not written (spec 14)
            values = np.concatenate([start, items[self._active(vm, vl)]])
            self._write(vd, out, np.array([fn(values)], dtype=I64), np.ones(1, bool))
        self._finish()

    # ---- mask instructions (spec 15) ------------------------------------------------------
    def mask_logic(self, op: str, vd: int, vs2: int, vs1: int, pc: int) -> None:
        self._vtype(pc)
        vl = self.state.vl
        bits = arith.MASK_LOGIC[op](self.state.mask_bits(vs2, vl), self.state.mask_bits(vs1, vl))
        self._write_mask(vd, bits, np.arange(vl) >= self.state.vstart)
        self._finish()

    def population(self, vs2: int, vm: int, pc: int) -> int:
        self._vtype(pc)
        self._vstart_zero(pc)
        vl = self.state.vl
        count = int((self.state.mask_bits(vs2, vl) & self._active(vm, vl)).sum())
        self._finish()
        return count

    def find_first(self, vs2: int, vm: int, pc: int) -> int:
        self._vtype(pc)
        self._vstart_zero(pc)
        vl = self.state.vl
        hits = np.flatnonzero(self.state.mask_bits(vs2, vl) & self._active(vm, vl))
        self._finish()
        return int(hits[0]) if len(hits) else -1

    def set_first(self, op: str, vd: int, vs2: int, vm: int, pc: int) -> None:
        """vmsbf/vmsif/vmsof: mask bits before / up to and including / only at the first
        active set bit of vs2."""
        self._vtype(pc)
        self._vstart_zero(pc)
        if vd == vs2 or (not vm and vd == 0):
            raise self._illegal(pc, f"{op}.m destination overlaps a source")
        vl = self.state.vl
        active = self._active(vm, vl)
        hits = np.flatnonzero(self.state.mask_bits(vs2, vl) & active)
        first = int(hits[0]) if len(hits) else vl
        index = np.arange(vl)
        bits = {"vmsbf": index < first, "vmsif": index <= first,
                "vmsof": index == first}[op]
        self._write_mask(vd, bits, active)
        self._finish()

    def iota(self, vd: int, vs2: int, vm: int, pc: int) -> None:
        t = self._vtype(pc)
        self._vstart_zero(pc)
        regs = self._group(pc, vd, t.lmul)
        self._distinct(pc, vd, regs, vs2, 1)
        self._mask_overlap(pc, vd, vm)
        vl = self.state.vl
        active = self._active(vm, vl)
        bits = (self.state.mask_bits(vs2, vl) & active).astype(I64)
        self._write(vd, t.sew, np.cumsum(bits) - bits, active)
        self._finish()

    def index(self, vd: int, vm: int, pc: int) -> None:
        t = self._vtype(pc)
        self._group(pc, vd, t.lmul)
        self._mask_overlap(pc, vd, vm)
        vl = self.state.vl
        self._write(vd, t.sew, np.arange(vl, dtype=I64), self._active(vm, vl))
        self._finish()

    # ---- permutation (spec 16) ------------------------------------------------------------
    def move_to_scalar(self, vs2: int, pc: int) -> int:
        t = self._vtype(pc)
        self._body = 0  # (element 0 whatever vl: velements leaves vmv.x.s out)
        value = int(signed(self._read(vs2, t.sew, 1), t.sew)[0])
        self._finish()
        return value & MASK32

    def move_from_scalar(self, vd: int, value: int, pc: int) -> None:
        t = self._vtype(pc)
        if self.state.vl > self.state.vstart:
            self._write(vd, t.sew, np.array([value], dtype=I64), np.ones(1, bool))
        self._finish()

    def _permutation_groups(self, pc: int, t: VType, vd: int, vs2: int,
                            distinct: bool = True) -> int:
        """Check vd's and vs2's LMUL groups and, unless `distinct` is False, that they do
        not overlap (a permutation would read elements it already wrote); vd's group size."""
        regs = self._group(pc, vd, t.lmul)
        regs2 = self._group(pc, vs2, t.lmul)
        if distinct:
            self._distinct(pc, vd, regs, vs2, regs2)
        return regs

    def slide(self, op: str, form: str, vd: int, vs2: int, src: int, vm: int,
              pc: int) -> None:
        t = self._vtype(pc)
        self._permutation_groups(pc, t, vd, vs2, distinct=op in ("vslideup", "vslide1up"))
        self._mask_overlap(pc, vd, vm)
        s, vl = self.state, self.state.vl
        vlmax = t.vlmax(s.vlen)
        source = self._read(vs2, t.sew, vlmax)
        index = np.arange(vl)
        active = self._active(vm, vl)
        if op == "vslideup":  # vd[i] = vs2[i - offset] for i >= max(vstart, offset)
            offset = src
            active &= index >= offset
            values = source[np.clip(index - offset, 0, vlmax - 1)] if vl else source[:0]
        elif op == "vslidedown":  # vd[i] = vs2[i + offset], 0 past VLMAX
            offset = src
            at = index + offset
            values = np.where(at < vlmax, source[np.minimum(at, vlmax - 1)], 0)
        elif op == "vslide1up":
            scalar = src & ((1 << t.sew) - 1)
            values = np.where(index == 0, scalar, source[np.maximum(index - 1, 0)])
        else:  # vslide1down
            scalar = src & ((1 << t.sew) - 1)
            values = np.where(index == vl - 1, scalar, source[np.minimum(index + 1, vlmax - 1)])
        self._write(vd, t.sew, values, active)
        self._finish()

    def gather(self, op: str, form: str, vd: int, vs2: int, src: int, vm: int,
               pc: int) -> None:
        """vd[i] = vs2[index[i]], 0 where the index >= VLMAX (spec 16.4)."""
        t = self._vtype(pc)
        regs = self._permutation_groups(pc, t, vd, vs2)
        vl = self.state.vl
        vlmax = t.vlmax(self.state.vlen)
        if op == "vrgatherei16":
            emul = t.lmul * 16 / t.sew
            regs1 = self._group(pc, src, emul)
            self._distinct(pc, vd, regs, src, regs1)
            indices = self._read(src, 16, vl)
        elif form == "vv":
            regs1 = self._group(pc, src, t.lmul)
            self._distinct(pc, vd, regs, src, regs1)
            indices = self._read(src, t.sew, vl)
        else:  # .vx: rs1 as an unsigned XLEN index; .vi: the 5-bit immediate
            indices = np.full(vl, src & MASK32, dtype=I64)
        self._mask_overlap(pc, vd, vm)
        source = self._read(vs2, t.sew, vlmax)
        values = np.where(indices < vlmax, source[np.minimum(indices, vlmax - 1)], 0)
        self._write(vd, t.sew, values, self._active(vm, vl))
        self._finish()

    def compress(self, vd: int, vs2: int, vs1: int, pc: int) -> None:
        t = self._vtype(pc)
        self._vstart_zero(pc)
        regs = self._permutation_groups(pc, t, vd, vs2)
        self._distinct(pc, vd, regs, vs1, 1)
        vl = self.state.vl
        packed = self._read(vs2, t.sew, vl)[self.state.mask_bits(vs1, vl)]
        written = np.zeros(vl, bool)
        written[:len(packed)] = True
        values = np.zeros(vl, I64)
        values[:len(packed)] = packed
        self._write(vd, t.sew, values, written)
        self._finish()

    def move_whole(self, vd: int, vs2: int, nregs: int, pc: int) -> None:
        """vmv<n>r.v: copy n registers (spec 16.6; encodings with misaligned groups are
        reserved)."""
        if vd % nregs or vs2 % nregs:
            raise self._illegal(pc, f"vmv{nregs}r.v with a misaligned register group")
        s = self.state
        sew_bytes = VType.decode(s.vtype).sew // 8 if not s.vtype & VILL else 1
        start = s.vstart * sew_bytes
        size = nregs * s.vlenb
        self._count(size // sew_bytes)
        data = s.regs[vs2 * s.vlenb:vs2 * s.vlenb + size].copy()
        flags = np.arange(size) >= start
        s.regs[vd * s.vlenb:vd * s.vlenb + size][flags] = data[flags]
        self._mark(vd, flags)
        self._finish()

    # ---- memory (spec 7) ------------------------------------------------------------------
    def _addresses_ok(self, addrs: np.ndarray, size: int, store: bool, pc: int) -> np.ndarray:
        """RAM offsets of element accesses, or a Trap for the first that is misaligned
        or outside RAM (OxCore traps on misaligned vector elements; spec 7.8 allows it)."""
        m = self.machine
        addrs = addrs & MASK32
        offsets = (addrs - m.base) & MASK32
        bad_align = offsets % size != 0
        bad_range = offsets > m.size - size
        bad = bad_align | bad_range
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            address = int(addrs[i])
            if bad_align[i]:
                raise Trap(STORE_MISALIGNED if store else LOAD_MISALIGNED, pc, address)
            raise Trap(STORE_FAULT if store else LOAD_FAULT, pc, address,
                       f"vector {'store to' if store else 'load from'} {address:#010x} "
                       "outside memory")
        return offsets

    def _gather_bytes(self, offsets: np.ndarray, size: int) -> np.ndarray:
        return self.memory[offsets[:, None] + np.arange(size)]

    def _read_active(self, addrs: np.ndarray, active: np.ndarray, size: int) -> np.ndarray:
        """(element, field, byte) loaded at `addrs` (element, field) for the active
        elements, zeros for the others (whose addresses are never touched)."""
        data = np.zeros((*addrs.shape, size), np.uint8)
        flat = addrs[active].reshape(-1) & MASK32
        if len(flat):
            raw = self._gather_bytes((flat - self.machine.base) & MASK32, size)
            data[active] = raw.reshape(-1, addrs.shape[1], size)
        return data

    def _record_elements(self, addrs: np.ndarray, data: np.ndarray, size: int,
                         store: bool) -> None:
        from oxcore.retire import MemAccess
        if self.recording:
            for addr, raw in zip(addrs.tolist(), data):
                self._effect(MemAccess.whole(int(addr) & MASK32, size, store,
                                             int.from_bytes(raw.tobytes(), "little")))

    def _record_span(self, base: int, flags: np.ndarray, store: bool) -> None:
        """A unit-stride access: one MemAccess per VLENB bytes from `base`, with a mask
        of the bytes moved (`flags`)."""
        from oxcore.retire import MemAccess
        if not self.recording:
            return
        chunk = self.state.vlenb
        offset0 = (base - self.machine.base) & MASK32
        for start in range(0, len(flags), chunk):
            part = flags[start:start + chunk]
            if not part.any():
                continue
            # (only the moved bytes are read: a masked-off element may lie outside RAM)
            raw = np.zeros(len(part), np.uint8)
            moved = np.flatnonzero(part)
            raw[moved] = self.memory[(offset0 + start + moved) & MASK32]
            mask = int.from_bytes(np.packbits(part, bitorder="little").tobytes(), "little")
            self._effect(MemAccess((base + start) & MASK32, len(part), store,
                                   int.from_bytes(raw.tobytes(), "little"),
                                   mask))

    def _data_groups(self, pc: int, vd: int, eew: int, nf: int, t: VType) -> int:
        """Registers per field for data of EEW (EMUL = EEW/SEW * LMUL), checked."""
        emul = Fraction(eew, t.sew) * t.lmul
        regs = self._group(pc, vd, emul, "data register group")
        if nf * regs > 8 or vd + nf * regs > 32:
            raise self._illegal(pc, f"{nf} fields of {regs} register(s) from v{vd}")
        return regs

    def _load_elements(self, vd: int, eew: int, nf: int, regs: int, count: int,
                       active: np.ndarray, data: np.ndarray) -> None:
        """Write loaded bytes `data` (element, field, byte) into the field groups."""
        for f in range(nf):
            values = data[:, f, :].copy().view(DTYPES[eew]).reshape(-1).astype(I64) \
                if len(data) else np.zeros(0, I64)
            full = np.zeros(count, I64)
            full[:len(values)] = values
            self._write(vd + f * regs, eew, full, active)

    def load_unit(self, vd: int, base: int, eew: int, nf: int, vm: int, fault_first: bool,
                  pc: int) -> None:
        from oxcore.retire import CsrWrite
        t = self._vtype(pc)
        regs = self._data_groups(pc, vd, eew, nf, t)
        self._mask_overlap(pc, vd, vm)
        s, vl, eb = self.state, self.state.vl, eew // 8
        active = self._active(vm, vl)
        element_addrs = base + np.arange(vl, dtype=I64) * nf * eb
        if fault_first and vl:
            m = self.machine
            offsets = ((element_addrs - m.base) & MASK32)
            bad = active & ((offsets % eb != 0) | (offsets > m.size - nf * eb))
            hits = np.flatnonzero(bad)
            if len(hits) and hits[0] > 0:  # a fault past element 0 trims vl instead
                vl = s.vl = int(hits[0])
                self._count(vl)  # (the trimmed body)
                active, element_addrs = active[:vl], element_addrs[:vl]
                self._effect(CsrWrite(CSR_VL, vl))
        field_addrs = element_addrs[:, None] + np.arange(nf) * eb
        self._addresses_ok(field_addrs[active].reshape(-1), eb, False, pc)
        data = self._read_active(field_addrs, active, eb)
        self._record_span(base, np.repeat(active, nf * eb), False)
        self._load_elements(vd, eew, nf, regs, vl, active, data)
        self._finish()

    def _field_addresses(self, pc: int, vd: int, base: int, offsets: np.ndarray, eew: int,
                         nf: int, active: np.ndarray, store: bool) -> np.ndarray:
        addrs = base + offsets[:, None] + np.arange(nf) * (eew // 8)
        self._addresses_ok(addrs[active].reshape(-1), eew // 8, store, pc)
        return addrs

    def load_strided(self, vd: int, base: int, stride: int, eew: int, nf: int, vm: int,
                     pc: int) -> None:
        t = self._vtype(pc)
        regs = self._data_groups(pc, vd, eew, nf, t)
        self._mask_overlap(pc, vd, vm)
        vl = self.state.vl
        active = self._active(vm, vl)
        stride = (stride ^ 0x8000_0000) - 0x8000_0000
        addrs = self._field_addresses(pc, vd, base, np.arange(vl, dtype=I64) * stride, eew,
                                      nf, active, False)
        self._load_gathered(vd, addrs, eew, nf, regs, vl, active)

    def load_indexed(self, vd: int, base: int, vs2: int, index_eew: int, nf: int, vm: int,
                     pc: int) -> None:
        t = self._vtype(pc)
        regs = self._data_groups(pc, vd, t.sew, nf, t)
        index_emul = Fraction(index_eew, t.sew) * t.lmul
        index_regs = self._group(pc, vs2, index_emul, "index register group")
        for f in range(nf):
            self._no_overlap(pc, vd + f * regs, regs, t.sew, vs2, index_regs, index_eew,
                             index_emul)
        if nf > 1:  # spec 7.8.3: segment fields may not overlap the index group at all
            self._distinct(pc, vd, nf * regs, vs2, index_regs)
        self._mask_overlap(pc, vd, vm)
        vl = self.state.vl
        active = self._active(vm, vl)
        offsets = self._read(vs2, index_eew, vl)  # zero-extended (spec 7.6)
        addrs = self._field_addresses(pc, vd, base, offsets, t.sew, nf, active, False)
        self._load_gathered(vd, addrs, t.sew, nf, regs, vl, active)

    def _load_gathered(self, vd: int, addrs: np.ndarray, eew: int, nf: int, regs: int,
                       vl: int, active: np.ndarray) -> None:
        eb = eew // 8
        flat = addrs[active].reshape(-1) & MASK32
        data = np.zeros((vl, nf, eb), np.uint8)
        if len(flat):
            raw = self._gather_bytes((flat - self.machine.base) & MASK32, eb)
            data[active] = raw.reshape(-1, nf, eb)
            self._record_elements(flat, raw, eb, False)
        self._load_elements(vd, eew, nf, regs, vl, active, data)
        self._finish()

    def _contiguous(self, base: int, count: int, size: int, store: bool,
                    pc: int) -> tuple[np.ndarray, np.ndarray]:
        """Active flags and addresses of `count` consecutive `size`-byte elements from
        `base`, as whole-register and mask accesses move them (unmasked, from vstart on),
        checked."""
        active = np.arange(count) >= min(self.state.vstart, count)
        addrs = base + np.arange(count, dtype=I64) * size
        self._addresses_ok(addrs[active], size, store, pc)
        return active, addrs

    def _load_contiguous(self, vd: int, base: int, eew: int, regs: int, count: int,
                         pc: int) -> None:
        """Load `count` EEW elements from `base` into the `regs` registers from `vd`."""
        eb = eew // 8
        self._count(count)
        active, addrs = self._contiguous(base, count, eb, False, pc)
        data = self._read_active(addrs[:, None], active, eb)
        self._record_span(base, np.repeat(active, eb), False)
        self._load_elements(vd, eew, 1, regs, count, active, data)
        self._finish()

    def load_whole(self, vd: int, base: int, eew: int, nregs: int, pc: int) -> None:
        if vd % nregs:
            raise self._illegal(pc, f"vl{nregs}re{eew}.v into misaligned v{vd}")
        self._load_contiguous(vd, base, eew, nregs, nregs * self.state.vlenb // (eew // 8),
                              pc)

    def load_mask(self, vd: int, base: int, pc: int) -> None:
        self._vtype(pc)
        self._load_contiguous(vd, base, 8, 1, (self.state.vl + 7) // 8, pc)

    # stores
    def _store_bytes(self, addrs: np.ndarray, data: np.ndarray) -> int | None:
        """Write element bytes `data` (n, size) at `addrs` (in element order); the
        lowest RAM offset written, None if nothing was."""
        if not len(addrs):
            return None
        offsets = ((addrs & MASK32) - self.machine.base) & MASK32
        self.memory[offsets[:, None] + np.arange(data.shape[1])] = data
        return int(offsets.min())

    def _stored(self, lowest: int | None, pc: int) -> None:
        """After the store's effects: end the block if it wrote translated code."""
        self._finish()
        if lowest is not None:
            self.machine.check_code_write(lowest, pc)

    def _field_data(self, vs3: int, eew: int, nf: int, regs: int, count: int) -> np.ndarray:
        """(element, field, byte) of the data to store from the field groups."""
        fields = [self.state.elements(vs3 + f * regs, eew, count).view(np.uint8)
                  .reshape(count, eew // 8) for f in range(nf)]
        return np.stack(fields, axis=1) if count else np.zeros((0, nf, eew // 8), np.uint8)

    def store_unit(self, vs3: int, base: int, eew: int, nf: int, vm: int, pc: int) -> None:
        t = self._vtype(pc)
        regs = self._data_groups(pc, vs3, eew, nf, t)
        vl, eb = self.state.vl, eew // 8
        active = self._active(vm, vl)
        addrs = base + (np.arange(vl, dtype=I64) * nf * eb)[:, None] + np.arange(nf) * eb
        self._addresses_ok(addrs[active].reshape(-1), eb, True, pc)
        data = self._field_data(vs3, eew, nf, regs, vl)
        lowest = self._store_bytes(addrs[active].reshape(-1), data[active].reshape(-1, eb))
        self._record_span(base, np.repeat(active, nf * eb), True)
        self._stored(lowest, pc)

    def _store_gathered(self, vs3: int, addrs: np.ndarray, eew: int, nf: int, regs: int,
                        vl: int, active: np.ndarray, pc: int) -> None:
        eb = eew // 8
        data = self._field_data(vs3, eew, nf, regs, vl)[active].reshape(-1, eb)
        flat = addrs[active].reshape(-1)
        lowest = self._store_bytes(flat, data)
        self._record_elements(flat, data, eb, True)
        self._stored(lowest, pc)

    def store_strided(self, vs3: int, base: int, stride: int, eew: int, nf: int, vm: int,
                      pc: int) -> None:
        t = self._vtype(pc)
        regs = self._data_groups(pc, vs3, eew, nf, t)
        vl = self.state.vl
        active = self._active(vm, vl)
        stride = (stride ^ 0x8000_0000) - 0x8000_0000
        addrs = self._field_addresses(pc, vs3, base, np.arange(vl, dtype=I64) * stride, eew,
                                      nf, active, True)
        self._store_gathered(vs3, addrs, eew, nf, regs, vl, active, pc)

    def store_indexed(self, vs3: int, base: int, vs2: int, index_eew: int, nf: int, vm: int,
                      ordered: bool, pc: int) -> None:
        t = self._vtype(pc)
        regs = self._data_groups(pc, vs3, t.sew, nf, t)
        self._group(pc, vs2, Fraction(index_eew, t.sew) * t.lmul, "index register group")
        vl = self.state.vl
        active = self._active(vm, vl)
        offsets = self._read(vs2, index_eew, vl)
        addrs = self._field_addresses(pc, vs3, base, offsets, t.sew, nf, active, True)
        self._store_gathered(vs3, addrs, t.sew, nf, regs, vl, active, pc)

    def _store_contiguous(self, base: int, data: np.ndarray, pc: int) -> None:
        """Store the register bytes `data` to consecutive addresses from `base`."""
        count = len(data)
        self._count(count)
        active, addrs = self._contiguous(base, count, 1, True, pc)
        lowest = self._store_bytes(addrs[active], data.reshape(count, 1)[active])
        self._record_span(base, active, True)
        self._stored(lowest, pc)

    def store_whole(self, vs3: int, base: int, nregs: int, pc: int) -> None:
        if vs3 % nregs:
            raise self._illegal(pc, f"vs{nregs}r.v from misaligned v{vs3}")
        s = self.state
        self._store_contiguous(base, s.regs[vs3 * s.vlenb:(vs3 + nregs) * s.vlenb], pc)

    def store_mask(self, vs3: int, base: int, pc: int) -> None:
        self._vtype(pc)
        self._store_contiguous(base, self.state.register(vs3)[:(self.state.vl + 7) // 8], pc)
