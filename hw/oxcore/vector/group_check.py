"""The register-group rules of RVV 1.0, checked before an instruction is dispatched,
so that breaking one traps precisely (illegal instruction), as in the interpreter
(`oxcore.isa.vector.unit.VectorUnit`: `_group`, `_no_overlap`, `_distinct`,
`_data_groups`, `_vstart_zero`).

- **alignment and EMUL** (spec 3.4.2, 5.2, 7.3): each vector operand's group has
  EMUL = EEW/SEW x LMUL registers, which must lie in 1/8..8, and its first register must
  be a multiple of EMUL (when EMUL > 1); a segment access's nf fields take nf x EMUL
  <= 8 registers, ending at v31 at most (7.8); whole-register accesses and moves are
  aligned to their register count, whatever vtype is (7.9, 16.6);
- **overlaps** of the destination group with a source group (5.2): allowed when the
  EEWs are equal; when the destination is narrower only at the source's lowest register
  (a mask destination: a compare's, vmadc's); when it is wider only at the destination's
  highest part, from a source of EMUL >= 1; never for the permutations that read what
  they may already have written (vslideup, vslide1up, vrgather, vcompress, viota,
  vmsbf/vmsif/vmsof) nor between an indexed segment load's fields and its index
  (7.8.3); a masked vmsbf/vmsif/vmsof may not write v0 (15.4-15.6);
- **vstart = 0** for the reductions, the mask scans and vcompress (14, 15.2-15.8, 16.5).

The masked-v0 destination of spec 5.3 and the vtype traps are the engine's
(`VectorEngine._judge_in_mem`); this unit is combinational, given the instruction, its
micro-operation and the vtype and vstart it will run with.
"""


import enum

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.vector.decode import (MASK_SCANS, PERMUTES, UOP, AluOp, Form, Kind,
                                     segment_fields)


class Overlap(enum.IntEnum):
    """How a source group may overlap the destination group (spec 5.2)."""

    ANY = 0  # same EEW (or no rule: stores, whose vs3 is a source)
    NARROWER_DST = 1  # the destination's EEW is smaller: only at the source's first register
    WIDER_DST = 2  # the destination's EEW is larger: only its highest part, source EMUL >= 1
    NONE = 3  # not at all


# An operand's rule as the instruction alone gives it (`group_rules`): checked or not;
# its EMUL (log2) as LMUL + `delta`, less SEW's code when `minus_sew`, or `delta` itself
# when `absolute` (whole registers, masks); how it may overlap the destination
# (`overlap`, or by SEW against the index EEW when `by_sew`: an indexed load's index).
OPERAND_RULE = data.StructLayout({"checked": 1, "absolute": 1, "delta": signed(5),
                                  "minus_sew": 1, "overlap": 2, "by_sew": 1})
RULES = data.StructLayout({"vd": OPERAND_RULE, "vs2": OPERAND_RULE, "vs1": OPERAND_RULE,
                           "needs_vstart_zero": 1,
                           "masked_v0": 1})  # vmsbf/vmsif/vmsof, masked, into v0
# What the register numbers alone decide about a source group against the destination,
# for every pair of their sizes (bit 4 * d + s: the destination 2^d registers x fields,
# the source 2^s registers; `group_geometry`): whether they meet, whether they end
# together (the source is the destination's highest part), and whether they start at
# the same register.
SOURCE_GEOMETRY = data.StructLayout({"meets": 16, "ends_together": 16, "same_start": 1})
GEOMETRY = data.StructLayout({"too_many": 4,  # bit d: the destination's fields x 2^d
                              # registers are more than 8, or run past v31
                              "vs2": SOURCE_GEOMETRY, "vs1": SOURCE_GEOMETRY})


class Emul:
    """An EMUL as a rule states it: LMUL + delta (- SEW's code), or an absolute one."""

    def __init__(self, delta, absolute: bool = False, minus_sew: bool = False) -> None:
        self.delta, self.absolute, self.minus_sew = delta, absolute, minus_sew

    def __add__(self, delta) -> "Emul":
        return Emul(self.delta + delta, self.absolute, self.minus_sew)

    def __sub__(self, delta) -> "Emul":
        return Emul(self.delta - delta, self.absolute, self.minus_sew)


LMUL = Emul(0)
BY_SEW = object()  # (an `Operand.set` overlap: decided by SEW against the index EEW)


class Operand:
    """One register operand's rule, as `group_rules` sets it."""

    def __init__(self, rule) -> None:
        self.rule = rule

    def set(self, emul, overlap=Overlap.ANY) -> list:
        """Checked with `emul` (an `Emul`, or a value: absolute) and `overlap`."""
        if not isinstance(emul, Emul):
            emul = Emul(emul, absolute=True)
        rule = self.rule
        statements = [rule.checked.eq(1), rule.absolute.eq(emul.absolute),
                      rule.delta.eq(emul.delta), rule.minus_sew.eq(emul.minus_sew)]
        if overlap is BY_SEW:
            return statements + [rule.by_sew.eq(1)]
        return statements + [rule.overlap.eq(overlap)]


def log2_count(field):
    """log2 of a whole-register count n from its n - 1 field (1, 2, 4, 8: the only
    counts the ISA table has rows for)."""
    return Mux(field[2], 3, Mux(field[1], 2, Mux(field[0], 1, 0)))


def misaligned_group(reg, emul):
    """EMUL (log2) out of 1/8..8, or the group's first register not a multiple of it."""
    return ((emul > 3) | (emul < -3) | ((emul == 1) & reg[0]) | ((emul == 2) & (reg[:2] != 0))
            | ((emul == 3) & (reg[:3] != 0)))


def registers_log2(emul):
    """log2 of the registers of a group of EMUL 2^emul: emul, 0 when fractional, at most
    3."""
    return Mux(emul >= 3, 3, Mux(emul < 0, 0, emul[:2]))


def _overlap_hook(dst_first, dst_end, src_first, src_end):
    """Whether the register ranges [dst_first, dst_end) and [src_first, src_end) meet
    (a hook for fault injection)."""
    return (dst_first < src_end) & (src_first < dst_end)


def breaks_overlap_rule(rule, meets, same_start, highest):
    """Spec 5.2's rule `rule` broken by a source group against the destination: they
    `meet`, start at the same register (`same_start`), the source is the destination's
    highest part (`highest`)."""
    return meets & Mux(rule == Overlap.NONE, 1,
                       Mux(rule == Overlap.NARROWER_DST, ~same_start,
                           Mux(rule == Overlap.WIDER_DST, ~highest, 0)))


def group_rules(m: Module, insn, uop) -> data.View:
    """The group rules of instruction ``insn`` (micro-operation ``uop``), a `RULES`
    record: what the instruction alone decides, so that it can be worked out a stage
    before the vtype it will run with is known (`VectorEngine._check_stage`: as the
    instruction moves from EX to MEM)."""
    rules = Signal(RULES, name="group_rules")
    dst, src2, src1 = Operand(rules.vd), Operand(rules.vs2), Operand(rules.vs1)
    _rules(m, uop, insn, uop.form == Form.VV, dst, src2, src1, rules.needs_vstart_zero,
           rules.masked_v0)
    return rules


def group_geometry(m: Module, insn, uop) -> data.View:
    """What the instruction's register numbers (and a segment access's fields) decide
    of its groups for every size vtype can give them, a `GEOMETRY` record: worked out
    with `group_rules` as the instruction moves from EX to MEM, so that MEM, where
    vtype is known, only picks the sizes' bits (`rules_broken`). The masks and their
    comparisons had been WB's, between the instruction and the dispatch: the engine's
    deepest path."""
    geometry = Signal(GEOMETRY, name="group_geometry")
    vd = insn[7:12]
    fields = Signal(4, name="geometry_fields")
    m.d.comb += fields.eq(segment_fields(insn, uop))
    # Groups as ranges [first, end) of register numbers, compared by their ends: a few
    # 6-bit adds and compares (masks of 39 bits, one per group and size, and their
    # ANDs and compares were 2,450 LUT4s of the engine)
    dst_ends = []
    for d in range(4):
        count = Signal(7, name=f"geometry_vd_count{d}")  # (up to 8 fields of 8)
        end = Signal(6, name=f"geometry_vd_end{d}")  # (a count past 8 traps: taken as 8)
        m.d.comb += [count.eq(fields << d),
                     geometry.too_many[d].eq((count > 8) | (vd + count > 32)),
                     end.eq(vd + Mux(count > 8, 8, count))]
        dst_ends.append(end)
    for name, reg in (("vs2", insn[20:25]), ("vs1", insn[15:20])):
        source = geometry[name]
        m.d.comb += source.same_start.eq(reg == vd)
        for s in range(4):
            src_end = Signal(6, name=f"geometry_{name}_end{s}")
            m.d.comb += src_end.eq(reg + (1 << s))
            for d in range(4):
                m.d.comb += [source.meets[4 * d + s].eq(
                                 _overlap_hook(vd, dst_ends[d], reg, src_end)),
                             source.ends_together[4 * d + s].eq(src_end == dst_ends[d])]
    return geometry


def _emul(m: Module, rule, lmul, sew, name: str) -> Signal:
    emul = Signal(signed(5), name=f"{name}_emul")
    m.d.comb += emul.eq(Mux(rule.absolute, rule.delta,
                            lmul + rule.delta - Mux(rule.minus_sew, sew, 0)))
    return emul


def rules_broken(m: Module, rules, geometry, insn, uop, vlmul, sew_code,
                 vstart_zero) -> Signal:
    """Whether instruction ``insn`` with group rules `rules` (`group_rules`) and
    `geometry` (`group_geometry`) breaks one under vtype's ``vlmul`` and ``sew_code``,
    or needs vstart = 0 without ``vstart_zero``."""
    vd, vs1, vs2 = insn[7:12], insn[15:20], insn[20:25]
    lmul = Signal(signed(5), name="lmul")
    sew = Signal(signed(5), name="sew_code")
    eew = Signal(signed(5), name="eew_code")
    m.d.comb += [lmul.eq(vlmul.as_signed()), sew.eq(sew_code), eew.eq(uop.eew)]
    dst, src2, src1 = rules.vd, rules.vs2, rules.vs1
    dst_emul = _emul(m, dst, lmul, sew, "vd")
    dst_size = Signal(2, name="vd_size")  # log2 of its registers (x fields)
    m.d.comb += dst_size.eq(registers_log2(dst_emul))
    # (a mask destination is one register: its rule is checked with EMUL 1)
    fields_too_many = dst.checked & geometry.too_many.bit_select(dst_size, 1)
    breaks = [fields_too_many, rules.needs_vstart_zero & ~vstart_zero,
              rules.masked_v0 & (vd == 0), dst.checked & misaligned_group(vd, dst_emul)]
    # an indexed load's index group against its data (spec 5.2, by EEW)
    by_sew = Mux(sew == eew, Overlap.ANY, Mux(sew < eew, Overlap.NARROWER_DST,
                                              Overlap.WIDER_DST))
    for rule, reg, name in ((src2, vs2, "vs2"), (src1, vs1, "vs1")):
        emul = _emul(m, rule, lmul, sew, name)
        size = Signal(2, name=f"{name}_size")
        m.d.comb += size.eq(registers_log2(emul))
        pair = Cat(size, dst_size)
        source = geometry[name]
        # (the source is the destination's highest part: their groups end together)
        highest = (emul >= 0) & source.ends_together.bit_select(pair, 1)
        breaks.append(rule.checked & misaligned_group(reg, emul))
        breaks.append(rule.checked & dst.checked & breaks_overlap_rule(
            Mux(rule.by_sew, by_sew, rule.overlap), source.meets.bit_select(pair, 1),
            source.same_start, highest))
    broken = Signal(name="group_rule_broken")
    m.d.comb += broken.eq(Cat(*breaks).any())
    return broken


# The vtype codes a verdict table covers: LMUL 1/8..8 (vlmul 4 is reserved) x SEW 8..32.
LEGAL_VTYPE_CODES = [(vlmul, sew) for vlmul in (0, 1, 2, 3, 5, 6, 7) for sew in range(3)]


def verdicts_by_vtype(m: Module, rules, geometry, insn, uop) -> Signal:
    """`rules_broken` under every legal vtype at once, bit 4 * vlmul + sew of a 32-bit
    table, so that the vtype the instruction will run with, known late (a vset{i}vl{i}
    just before it), only selects a bit (`pick_verdict`). A reserved code's bit is
    LMUL 1, SEW 8's: an instruction that depends on vtype traps for vill then anyway,
    and the others' rules (whole registers, masks) do not depend on it. vstart's rule
    is `pick_verdict`'s. Give it a module of its own: Amaranth's simulator then re-runs
    these copies only as the instruction changes."""
    table = Signal(32, name="group_verdicts")
    by_code = {code: rules_broken(m, rules, geometry, insn, uop, Const(code[0], 3),
                                  Const(code[1], 2), Const(1, 1))
               for code in LEGAL_VTYPE_CODES}
    m.d.comb += table.eq(Cat(*(by_code.get((vlmul, sew), by_code[(0, 0)])
                               for vlmul in range(8) for sew in range(4))))
    return table


def pick_verdict(table, rules, vlmul, sew_code, vstart_zero):
    """Whether the instruction of `verdicts_by_vtype`'s `table` breaks a group rule under
    vtype's ``vlmul`` and ``sew_code``, or needs vstart = 0 without ``vstart_zero``."""
    return (table.bit_select(Cat(sew_code, vlmul), 1)
            | (rules.needs_vstart_zero & ~vstart_zero))


class RegisterGroupCheck(wiring.Component):
    """``illegal``: the instruction ``insn`` (micro-operation ``uop``) breaks a register-
    group rule under vtype's ``vlmul`` and ``sew`` (codes), or needs vstart = 0 and
    ``vstart_zero`` is 0. Combinational: `group_rules` and `group_geometry`, then
    `verdicts_by_vtype` and `pick_verdict`, as the engine has them (with a register
    between the first two and the rest)."""

    insn: In(32)
    uop: In(UOP)
    vlmul: In(3)
    sew: In(2)
    vstart_zero: In(1)
    illegal: Out(1)

    def elaborate(self, platform) -> Module:
        m = Module()
        rules = group_rules(m, self.insn, self.uop)
        geometry = group_geometry(m, self.insn, self.uop)
        table = verdicts_by_vtype(m, rules, geometry, self.insn, self.uop)
        m.d.comb += self.illegal.eq(pick_verdict(table, rules, self.vlmul, self.sew,
                                                 self.vstart_zero))
        return m


def _rules(m: Module, uop, insn, vv, dst: Operand, src2: Operand, src1: Operand,
           needs_vstart_zero, masked_v0) -> None:
    """Each kind's operands: EMUL and overlap rule (the interpreter's checks, kind by
    kind), in terms of LMUL and SEW (`Emul`)."""
    lmul, eew = LMUL, uop.eew
    sub = uop.sub
    with m.Switch(uop.kind):
        with m.Case(Kind.ARITH, Kind.DIVIDE):
            with m.If(uop.whole):  # vmv<n>r.v: both groups aligned to n
                count = log2_count(insn[15:18])
                m.d.comb += dst.set(count) + src2.set(count)
            with m.Elif(uop.first_only):  # vmv.s.x: element 0 of vd, no group
                pass
            with m.Elif(uop.op == AluOp.INDEX):  # vid.v
                m.d.comb += dst.set(lmul)
            with m.Elif(uop.op == AluOp.MOVE):  # vmv.v.*: no vs2
                m.d.comb += dst.set(lmul)
                with m.If(vv):
                    m.d.comb += src1.set(lmul)
            with m.Elif(uop.widen):
                m.d.comb += dst.set(lmul + 1)
                with m.If(uop.wide_vs2):
                    m.d.comb += src2.set(lmul + 1)
                with m.Else():
                    m.d.comb += src2.set(lmul, Overlap.WIDER_DST)
                with m.If(vv):
                    m.d.comb += src1.set(lmul, Overlap.WIDER_DST)
            with m.Elif(uop.narrow):
                m.d.comb += dst.set(lmul) + src2.set(lmul + 1, Overlap.NARROWER_DST)
                with m.If(vv):
                    m.d.comb += src1.set(lmul)
            with m.Elif(uop.extend != 0):
                m.d.comb += dst.set(lmul) + src2.set(lmul - uop.extend, Overlap.WIDER_DST)
            with m.Else():  # single width (vadc/vsbc, vmerge, multiply-add included)
                m.d.comb += dst.set(lmul) + src2.set(lmul)
                with m.If(vv):
                    m.d.comb += src1.set(lmul)
        with m.Case(Kind.COMPARE):  # (vmadc/vmsbc too) a mask destination
            m.d.comb += dst.set(0) + src2.set(lmul, Overlap.NARROWER_DST)  # (one register)
            with m.If(vv):
                m.d.comb += src1.set(lmul, Overlap.NARROWER_DST)
        with m.Case(Kind.REDUCE):  # vd and vs1 are element 0 of one register
            m.d.comb += src2.set(lmul) + [needs_vstart_zero.eq(1)]
        with m.Case(Kind.MASK_SCAN):
            m.d.comb += needs_vstart_zero.eq(1)
            with m.If(sub == MASK_SCANS.index("viota")):
                m.d.comb += dst.set(lmul) + src2.set(0, Overlap.NONE)
            with m.Elif(sub >= MASK_SCANS.index("vmsbf")):  # vmsbf, vmsif, vmsof
                m.d.comb += dst.set(0) + src2.set(0, Overlap.NONE) + [masked_v0.eq(~insn[25])]
        with m.Case(Kind.PERMUTE):
            with m.If(sub == PERMUTES.index("vcompress")):
                m.d.comb += (dst.set(lmul) + src2.set(lmul, Overlap.NONE)
                             + src1.set(0, Overlap.NONE) + [needs_vstart_zero.eq(1)])
            with m.Else():
                slides_down = ((sub == PERMUTES.index("vslidedown"))
                               | (sub == PERMUTES.index("vslide1down")))
                m.d.comb += dst.set(lmul) + src2.set(
                    lmul, Mux(slides_down, Overlap.ANY, Overlap.NONE))
                with m.If(sub == PERMUTES.index("vrgatherei16")):  # EMUL = 16/SEW x LMUL
                    m.d.comb += src1.set(Emul(1, minus_sew=True), Overlap.NONE)
                with m.Elif((sub == PERMUTES.index("vrgather")) & vv):
                    m.d.comb += src1.set(lmul, Overlap.NONE)
        with m.Case(Kind.LOAD, Kind.STORE):
            load = uop.kind == Kind.LOAD
            with m.If(uop.whole):  # nf + 1 registers, aligned to their count
                m.d.comb += dst.set(log2_count(insn[29:32]))
            with m.Elif(uop.mask_access):  # vlm.v, vsm.v: one register
                pass
            with m.Elif(uop.indexed):  # data EEW = SEW; the index group's EEW is `eew`
                index_emul = Emul(eew, minus_sew=True)  # (EEW/SEW x LMUL)
                m.d.comb += dst.set(lmul)
                with m.If(load & ~uop.segment):  # (by the EEWs: `rules_broken`)
                    m.d.comb += src2.set(index_emul, BY_SEW)
                with m.Else():  # (a segment load's fields clear of it, 7.8.3; stores)
                    m.d.comb += src2.set(index_emul, Mux(load, Overlap.NONE, Overlap.ANY))
            with m.Else():  # unit-stride and strided: data EEW = `eew`
                m.d.comb += dst.set(Emul(eew, minus_sew=True))
