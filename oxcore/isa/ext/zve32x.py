"""Zve32x: the RVV 1.0 integer vector extension for ELEN=32 (RVV spec, chapters 6-17).

Every instruction of Zve32x, as rows: configuration, loads and stores of every
addressing mode (unit-stride, strided, indexed, segment, fault-only-first, whole
register, mask), integer and fixed-point arithmetic, compares, mask operations,
reductions and permutations. Encodings follow the spec's tables (OP-V major opcode,
funct6 x funct3 operand category; LOAD-FP/STORE-FP with nf/mew/mop/width); the syntax is
LLVM's, checked byte for byte against clang `+zve32x` (tests/oxcore/test_zve32x_encoding.py).

Semantics are one call each into the vector unit's state, ``vec`` (numpy, in
:mod:`oxcore.isa.vector`): the row names the operation and its operands; how an
operation treats elements, masks, tails, SEW/LMUL and vstart is written once per
category there, next to the spec text it implements. Scalar operands appear as
``x[rs1]`` and results as ``x[rd] = ...``, so the registers the scalar pipeline must
read at dispatch, or wait for, derive from the semantics like every other row's.
"""

from __future__ import annotations

from typing import NamedTuple

from oxcore.isa.csrs import Csr
from oxcore.isa.ext.common import Opcode
from oxcore.isa.extension import Extension
from oxcore.isa.fields import Format, simple
from oxcore.isa.instruction import Instruction
from oxcore.isa.kinds import FIXED, SIMM, UIMM, VMASK, VREG, VTYPE, XREG
from oxcore.isa.regfile import V

EXT = "Zve32x"
LOAD_FP = 0b0000111
STORE_FP = 0b0100111

# funct3 of OP-V: the operand category (RVV spec 10.1).
OPIVV, OPMVV, OPIVI, OPIVX, OPMVX, OPCFG = 0b000, 0b010, 0b011, 0b100, 0b110, 0b111
# width field of vector loads/stores: EEW in bits -> code (RVV spec 7.3).
WIDTH = {8: 0b000, 16: 0b101, 32: 0b110}

_OPCODE = simple("opcode", 6, 0)
_FUNCT3 = simple("funct3", 14, 12)
_VM = simple("vm", 25, 25, VMASK)
_FUNCT6 = simple("funct6", 31, 26)


def _opv(name: str, dest: str, dest_kind, src1: str, src1_kind, signed: bool = False,
         src2: str = "vs2") -> Format:
    """An OP-V arithmetic format: dest [11:7], source 1 [19:15], vs2 [24:20], vm, funct6."""
    return Format(name, (_OPCODE, simple(dest, 11, 7, dest_kind), _FUNCT3,
                         simple(src1, 19, 15, src1_kind, signed=signed),
                         simple(src2, 24, 20, VREG), _VM, _FUNCT6))


VV = _opv("OPV-VV", "vd", VREG, "vs1", VREG)
VX = _opv("OPV-VX", "vd", VREG, "rs1", XREG)
VI = _opv("OPV-VI", "vd", VREG, "imm", SIMM, signed=True)
VIU = _opv("OPV-VIU", "vd", VREG, "imm", UIMM)
VUNARY = _opv("OPV-VUNARY", "vd", VREG, "funct5", FIXED)  # funct5: a sub-opcode
XUNARY = _opv("OPV-XUNARY", "rd", XREG, "funct5", FIXED)  # scalar result

VSETVLI = Format("OPV-VSETVLI", (_OPCODE, simple("rd", 11, 7, XREG), _FUNCT3,
                                 simple("rs1", 19, 15, XREG), simple("vtypei", 30, 20, VTYPE),
                                 simple("funct1", 31, 31)))
VSETIVLI = Format("OPV-VSETIVLI", (_OPCODE, simple("rd", 11, 7, XREG), _FUNCT3,
                                   simple("imm", 19, 15, UIMM),
                                   simple("vtypei", 29, 20, VTYPE), simple("funct2", 31, 30)))
VSETVL = Format("OPV-VSETVL", (_OPCODE, simple("rd", 11, 7, XREG), _FUNCT3,
                               simple("rs1", 19, 15, XREG), simple("rs2", 24, 20, XREG),
                               simple("funct7", 31, 25)))


def _memory_format(name: str, data: str, slot2: str, slot2_kind) -> Format:
    """LOAD-FP/STORE-FP: vd/vs3, width, rs1 base, [24:20] (lumop, rs2 or vs2), vm, mop,
    mew, nf."""
    return Format(name, (_OPCODE, simple(data, 11, 7, VREG), simple("width", 14, 12),
                         simple("rs1", 19, 15, XREG), simple(slot2, 24, 20, slot2_kind),
                         _VM, simple("mop", 27, 26), simple("mew", 28, 28),
                         simple("nf", 31, 29)))


VL_UNIT = _memory_format("VL-unit", "vd", "umop", FIXED)
VL_STRIDE = _memory_format("VL-stride", "vd", "rs2", XREG)
VL_INDEX = _memory_format("VL-index", "vd", "vs2", VREG)
VS_UNIT = _memory_format("VS-unit", "vs3", "umop", FIXED)
VS_STRIDE = _memory_format("VS-stride", "vs3", "rs2", XREG)
VS_INDEX = _memory_format("VS-index", "vs3", "vs2", VREG)

# mop (RVV spec 7.2) and the unit-stride sub-opcodes lumop/sumop.
MOP_UNIT, MOP_INDEX_UNORDERED, MOP_STRIDE, MOP_INDEX_ORDERED = 0, 1, 2, 3
UMOP_NORMAL, UMOP_WHOLE, UMOP_MASK, UMOP_FAULT_FIRST = 0b00000, 0b01000, 0b01011, 0b10000


def _ins(mnemonic: str, fmt: Format, fixed: dict[str, int], syntax: str, semantics: str,
         summary: str) -> Instruction:
    return Instruction(mnemonic, EXT, fmt, fixed, syntax, semantics, summary,
                       engine="vector")


# ---- configuration (RVV spec 6) ---------------------------------------------------------
CONFIG: tuple[Instruction, ...] = (
    _ins("vsetvli", VSETVLI, dict(opcode=Opcode.OP_V, funct3=OPCFG, funct1=0),
         "{rd}, {rs1}, {vtypei}", "x[rd] = vec.set_vl(rd, rs1, x[rs1], vtypei)",
         "set vl and vtype from an AVL register and a vtype immediate"),
    _ins("vsetivli", VSETIVLI, dict(opcode=Opcode.OP_V, funct3=OPCFG, funct2=0b11),
         "{rd}, {imm}, {vtypei}", "x[rd] = vec.set_vl_immediate(imm, vtypei)",
         "set vl and vtype from a 5-bit AVL immediate"),
    _ins("vsetvl", VSETVL, dict(opcode=Opcode.OP_V, funct3=OPCFG, funct7=0b1000000),
         "{rd}, {rs1}, {rs2}", "x[rd] = vec.set_vl(rd, rs1, x[rs1], x[rs2])",
         "set vl and vtype from an AVL register and a vtype register"),
)


# ---- loads and stores (RVV spec 7) ------------------------------------------------------
def _segment(nf: int) -> str:
    return f"seg{nf}" if nf > 1 else ""


def _memory() -> list[Instruction]:
    rows: list[Instruction] = []
    for eew, width in WIDTH.items():
        for nf in range(1, 9):
            seg = _segment(nf)
            common = dict(width=width, mew=0, nf=nf - 1)
            what = f"{nf}-field segments of " if nf > 1 else ""
            # unit-stride, fault-only-first
            for ff, umop in (("", UMOP_NORMAL), ("ff", UMOP_FAULT_FIRST)):
                first = ", fault-only-first" if ff else ""
                rows.append(_ins(
                    f"vl{seg}e{eew}{ff}.v", VL_UNIT,
                    dict(opcode=LOAD_FP, mop=MOP_UNIT, umop=umop, **common),
                    "{vd}, ({rs1}), {vm}",
                    f"vec.load_unit(vd, x[rs1], {eew}, {nf}, vm, {bool(ff)})",
                    f"unit-stride load of {what}{eew}-bit elements{first}"))
            rows.append(_ins(
                f"vs{seg}e{eew}.v", VS_UNIT,
                dict(opcode=STORE_FP, mop=MOP_UNIT, umop=UMOP_NORMAL, **common),
                "{vs3}, ({rs1}), {vm}", f"vec.store_unit(vs3, x[rs1], {eew}, {nf}, vm)",
                f"unit-stride store of {what}{eew}-bit elements"))
            # strided
            rows.append(_ins(
                f"vls{seg}e{eew}.v", VL_STRIDE, dict(opcode=LOAD_FP, mop=MOP_STRIDE, **common),
                "{vd}, ({rs1}), {rs2}, {vm}",
                f"vec.load_strided(vd, x[rs1], x[rs2], {eew}, {nf}, vm)",
                f"strided load of {what}{eew}-bit elements (byte stride rs2)"))
            rows.append(_ins(
                f"vss{seg}e{eew}.v", VS_STRIDE,
                dict(opcode=STORE_FP, mop=MOP_STRIDE, **common),
                "{vs3}, ({rs1}), {rs2}, {vm}",
                f"vec.store_strided(vs3, x[rs1], x[rs2], {eew}, {nf}, vm)",
                f"strided store of {what}{eew}-bit elements (byte stride rs2)"))
            # indexed: EEW is the index width; data elements are SEW wide
            for order, mop in (("u", MOP_INDEX_UNORDERED), ("o", MOP_INDEX_ORDERED)):
                kind = "unordered" if order == "u" else "ordered"
                rows.append(_ins(
                    f"vl{order}x{seg}ei{eew}.v", VL_INDEX,
                    dict(opcode=LOAD_FP, mop=mop, **common), "{vd}, ({rs1}), {vs2}, {vm}",
                    f"vec.load_indexed(vd, x[rs1], vs2, {eew}, {nf}, vm)",
                    f"indexed-{kind} load of {what}SEW elements ({eew}-bit byte offsets "
                    "in vs2)"))
                rows.append(_ins(
                    f"vs{order}x{seg}ei{eew}.v", VS_INDEX,
                    dict(opcode=STORE_FP, mop=mop, **common), "{vs3}, ({rs1}), {vs2}, {vm}",
                    f"vec.store_indexed(vs3, x[rs1], vs2, {eew}, {nf}, vm, "
                    f"{order == 'o'})",
                    f"indexed-{kind} store of {what}SEW elements ({eew}-bit byte offsets "
                    "in vs2)"))
        # whole registers
        for nregs in (1, 2, 4, 8):
            rows.append(_ins(
                f"vl{nregs}re{eew}.v", VL_UNIT,
                dict(opcode=LOAD_FP, mop=MOP_UNIT, umop=UMOP_WHOLE, width=width, mew=0,
                     nf=nregs - 1, vm=1),
                "{vd}, ({rs1})", f"vec.load_whole(vd, x[rs1], {eew}, {nregs})",
                f"load {nregs} whole vector register(s) ({eew}-bit element hint)"))
    for nregs in (1, 2, 4, 8):
        rows.append(_ins(
            f"vs{nregs}r.v", VS_UNIT,
            dict(opcode=STORE_FP, mop=MOP_UNIT, umop=UMOP_WHOLE, width=0, mew=0,
                 nf=nregs - 1, vm=1),
            "{vs3}, ({rs1})", f"vec.store_whole(vs3, x[rs1], {nregs})",
            f"store {nregs} whole vector register(s)"))
    rows.append(_ins("vlm.v", VL_UNIT, dict(opcode=LOAD_FP, mop=MOP_UNIT, umop=UMOP_MASK,
                                            width=0, mew=0, nf=0, vm=1),
                     "{vd}, ({rs1})", "vec.load_mask(vd, x[rs1])",
                     "load a mask register (ceil(vl/8) bytes)"))
    rows.append(_ins("vsm.v", VS_UNIT, dict(opcode=STORE_FP, mop=MOP_UNIT, umop=UMOP_MASK,
                                            width=0, mew=0, nf=0, vm=1),
                     "{vs3}, ({rs1})", "vec.store_mask(vs3, x[rs1])",
                     "store a mask register (ceil(vl/8) bytes)"))
    return rows


# ---- arithmetic (RVV spec 11-16) --------------------------------------------------------
class _Form(NamedTuple):
    """An operand form of the arithmetic rows: everything a row derives from it."""
    funct3: int  # operand category
    format: Format
    kind: str  # the mnemonic suffix, and the form name the vector unit is told
    source: str  # syntax of the source operand (besides vs2)
    operand: str  # the source operand as the semantics pass it

    @property
    def sources(self) -> str:
        """Syntax of both sources, vs2 first (LLVM's order for most rows)."""
        return f"{{vs2}}, {self.source}"


# "vv" forms pass a register number, "vx" the scalar, "vi" the immediate; the form's
# kind tells the vector unit which.
_FORMS = {
    "vv": _Form(OPIVV, VV, "vv", "{vs1}", "vs1"),
    "vx": _Form(OPIVX, VX, "vx", "{rs1}", "x[rs1]"),
    "vi": _Form(OPIVI, VI, "vi", "{imm}", "imm"),
    "viu": _Form(OPIVI, VIU, "vi", "{imm}", "imm"),  # shifts, slides, gathers: uimm5
    "mvv": _Form(OPMVV, VV, "vv", "{vs1}", "vs1"),
    "mvx": _Form(OPMVX, VX, "vx", "{rs1}", "x[rs1]"),
}


def _forms(keys: str) -> list[_Form]:
    """The forms named by space-separated `_FORMS` keys."""
    return [_FORMS[key] for key in keys.split()]


def _arith(method: str, base: str, funct6: int, forms: str, summary: str,
           suffix: dict[str, str] | None = None, op: str | None = None) -> list[Instruction]:
    """One row per operand form: ``vadd.vv``, ``vadd.vx``, ``vadd.vi``.

    `forms` lists the form keys of `_FORMS`; `suffix` renames a form's mnemonic suffix
    (``.wv`` for narrowing ops); `method` is the vector unit's category.
    """
    rows = []
    for form in _forms(forms):
        name = f"{base}.{(suffix or {}).get(form.kind, form.kind)}"
        rows.append(_ins(name, form.format,
                         dict(opcode=Opcode.OP_V, funct3=form.funct3, funct6=funct6),
                         f"{{vd}}, {form.sources}, {{vm}}",
                         f"vec.{method}({(op or base)!r}, {form.kind!r}, vd, vs2, "
                         f"{form.operand}, vm)", summary))
    return rows


def _multiply_add(base: str, funct6: int, summary: str, method: str = "multiply_add",
                  forms: str = "mvv mvx") -> list[Instruction]:
    """vmacc-style rows: LLVM writes the multiplier operand before vs2."""
    rows = []
    for form in _forms(forms):
        rows.append(_ins(f"{base}.{form.kind}", form.format,
                         dict(opcode=Opcode.OP_V, funct3=form.funct3, funct6=funct6),
                         f"{{vd}}, {form.source}, {{vs2}}, {{vm}}",
                         f"vec.{method}({base!r}, {form.kind!r}, vd, vs2, {form.operand}, vm)",
                         summary))
    return rows


def _carry(base: str, funct6: int, forms: str, summary: str, masked_only: bool) -> list:
    """vadc/vsbc (always with v0 as carry: .vvm) and vmadc/vmsbc (with or without)."""
    rows = []
    for form in _forms(forms):
        for vm in ((0,) if masked_only else (0, 1)):
            name = f"{form.kind}{'m' if vm == 0 else ''}"
            syntax = f"{{vd}}, {form.sources}" + (", v0" if vm == 0 else "")
            rows.append(_ins(f"{base}.{name}", form.format,
                             dict(opcode=Opcode.OP_V, funct3=form.funct3, funct6=funct6, vm=vm),
                             syntax, f"vec.carry({base!r}, {form.kind!r}, vd, vs2, "
                                     f"{form.operand}, {vm == 0})",
                             summary + (" with carry/borrow-in from v0" if vm == 0 else "")))
    return rows


def _reduction(base: str, funct3: int, funct6: int, summary: str) -> Instruction:
    return _ins(f"{base}.vs", VV, dict(opcode=Opcode.OP_V, funct3=funct3, funct6=funct6),
                "{vd}, {vs2}, {vs1}, {vm}", f"vec.reduction({base!r}, vd, vs2, vs1, vm)",
                summary)


def _mask_logic(base: str, funct6: int, summary: str) -> Instruction:
    return _ins(f"{base}.mm", VV, dict(opcode=Opcode.OP_V, funct3=OPMVV, funct6=funct6, vm=1),
                "{vd}, {vs2}, {vs1}", f"vec.mask_logic({base!r}, vd, vs2, vs1)", summary)


def _unary(name: str, funct6: int, funct5: int, syntax: str, semantics: str, summary: str,
           fmt: Format = VUNARY, fixed: dict[str, int] | None = None) -> Instruction:
    return _ins(name, fmt, dict(opcode=Opcode.OP_V, funct3=OPMVV, funct6=funct6,
                                funct5=funct5, **(fixed or {})), syntax, semantics, summary)


def _arithmetic() -> list[Instruction]:
    rows: list[Instruction] = []
    A = rows.extend
    # 11.1-11.2 single-width add/subtract, widening add/subtract
    A(_arith("binary", "vadd", 0b000000, "vv vx vi", "add"))
    A(_arith("binary", "vsub", 0b000010, "vv vx", "subtract"))
    A(_arith("binary", "vrsub", 0b000011, "vx vi", "reverse subtract (scalar - vs2)"))
    for base, funct6, what in (("vwaddu", 0b110000, "widening unsigned add"),
                               ("vwadd", 0b110001, "widening signed add"),
                               ("vwsubu", 0b110010, "widening unsigned subtract"),
                               ("vwsub", 0b110011, "widening signed subtract")):
        A(_arith("widening", base, funct6, "mvv mvx", f"{what} (2*SEW = SEW op SEW)"))
        A(_arith("widening", base, funct6 | 0b100, "mvv mvx",
                 f"{what} (2*SEW = 2*SEW op SEW)",
                 suffix={"vv": "wv", "vx": "wx"}, op=f"{base}.w"))
    # 11.3 extension
    for funct5, (name, what) in {0b00010: ("vzext.vf8", "zero-extend SEW/8"),
                                 0b00011: ("vsext.vf8", "sign-extend SEW/8"),
                                 0b00100: ("vzext.vf4", "zero-extend SEW/4"),
                                 0b00101: ("vsext.vf4", "sign-extend SEW/4"),
                                 0b00110: ("vzext.vf2", "zero-extend SEW/2"),
                                 0b00111: ("vsext.vf2", "sign-extend SEW/2")}.items():
        factor = int(name[-1])
        rows.append(_unary(name, 0b010010, funct5, "{vd}, {vs2}, {vm}",
                           f"vec.extend(vd, vs2, {factor}, {name[1] == 's'}, vm)",
                           f"{what} elements to SEW"))
    # 11.4 add-with-carry / subtract-with-borrow
    A(_carry("vadc", 0b010000, "vv vx vi", "add with carry", masked_only=True))
    A(_carry("vmadc", 0b010001, "vv vx vi", "carry-out mask of add", masked_only=False))
    A(_carry("vsbc", 0b010010, "vv vx", "subtract with borrow", masked_only=True))
    A(_carry("vmsbc", 0b010011, "vv vx", "borrow-out mask of subtract", masked_only=False))
    # 11.5 bitwise logical, 11.6 shifts
    A(_arith("binary", "vand", 0b001001, "vv vx vi", "bitwise and"))
    A(_arith("binary", "vor", 0b001010, "vv vx vi", "bitwise or"))
    A(_arith("binary", "vxor", 0b001011, "vv vx vi", "bitwise exclusive or"))
    A(_arith("binary", "vsll", 0b100101, "vv vx viu", "shift left logical"))
    A(_arith("binary", "vsrl", 0b101000, "vv vx viu", "shift right logical"))
    A(_arith("binary", "vsra", 0b101001, "vv vx viu", "shift right arithmetic"))
    # 11.7 narrowing shifts (2*SEW source)
    wide = {"vv": "wv", "vx": "wx", "vi": "wi"}
    A(_arith("narrowing", "vnsrl", 0b101100, "vv vx viu",
             "narrowing shift right logical (SEW = 2*SEW >> shift)", suffix=wide))
    A(_arith("narrowing", "vnsra", 0b101101, "vv vx viu",
             "narrowing shift right arithmetic (SEW = 2*SEW >> shift)", suffix=wide))
    # 11.8 compares (mask result)
    for base, funct6, forms, what in (
            ("vmseq", 0b011000, "vv vx vi", "=="), ("vmsne", 0b011001, "vv vx vi", "!="),
            ("vmsltu", 0b011010, "vv vx", "< unsigned"), ("vmslt", 0b011011, "vv vx", "<"),
            ("vmsleu", 0b011100, "vv vx vi", "<= unsigned"),
            ("vmsle", 0b011101, "vv vx vi", "<="),
            ("vmsgtu", 0b011110, "vx vi", "> unsigned"), ("vmsgt", 0b011111, "vx vi", ">")):
        A(_arith("compare", base, funct6, forms, f"set mask bit where vs2 {what} source"))
    # 11.9 min/max
    A(_arith("binary", "vminu", 0b000100, "vv vx", "minimum, unsigned"))
    A(_arith("binary", "vmin", 0b000101, "vv vx", "minimum, signed"))
    A(_arith("binary", "vmaxu", 0b000110, "vv vx", "maximum, unsigned"))
    A(_arith("binary", "vmax", 0b000111, "vv vx", "maximum, signed"))
    # 11.10-11.12 multiply, divide, widening multiply
    A(_arith("binary", "vmul", 0b100101, "mvv mvx", "multiply, low SEW bits"))
    A(_arith("binary", "vmulh", 0b100111, "mvv mvx", "multiply signed, high SEW bits"))
    A(_arith("binary", "vmulhu", 0b100100, "mvv mvx", "multiply unsigned, high SEW bits"))
    A(_arith("binary", "vmulhsu", 0b100110, "mvv mvx",
             "multiply signed vs2 x unsigned source, high SEW bits"))
    A(_arith("binary", "vdivu", 0b100000, "mvv mvx", "divide unsigned (x/0 = all ones)"))
    A(_arith("binary", "vdiv", 0b100001, "mvv mvx", "divide signed (x/0 = -1)"))
    A(_arith("binary", "vremu", 0b100010, "mvv mvx", "remainder unsigned (x%0 = x)"))
    A(_arith("binary", "vrem", 0b100011, "mvv mvx", "remainder signed (x%0 = x)"))
    A(_arith("widening", "vwmul", 0b111011, "mvv mvx", "widening signed multiply"))
    A(_arith("widening", "vwmulu", 0b111000, "mvv mvx", "widening unsigned multiply"))
    A(_arith("widening", "vwmulsu", 0b111010, "mvv mvx",
             "widening signed vs2 x unsigned source multiply"))
    # 11.13-11.14 multiply-add, widening multiply-add
    A(_multiply_add("vmacc", 0b101101, "vd = source * vs2 + vd"))
    A(_multiply_add("vnmsac", 0b101111, "vd = -(source * vs2) + vd"))
    A(_multiply_add("vmadd", 0b101001, "vd = source * vd + vs2"))
    A(_multiply_add("vnmsub", 0b101011, "vd = -(source * vd) + vs2"))
    A(_multiply_add("vwmaccu", 0b111100, "widening unsigned vd += source * vs2",
                    "widening_multiply_add"))
    A(_multiply_add("vwmacc", 0b111101, "widening signed vd += source * vs2",
                    "widening_multiply_add"))
    A(_multiply_add("vwmaccsu", 0b111111, "widening vd += signed source * unsigned vs2",
                    "widening_multiply_add"))
    A(_multiply_add("vwmaccus", 0b111110, "widening vd += unsigned rs1 * signed vs2",
                    "widening_multiply_add", forms="mvx"))
    # 11.15 merge, 11.16 move
    for form in _forms("vv vx vi"):
        rows.append(_ins(f"vmerge.{form.kind}m", form.format,
                         dict(opcode=Opcode.OP_V, funct3=form.funct3, funct6=0b010111, vm=0),
                         f"{{vd}}, {form.sources}, v0",
                         f"vec.merge({form.kind!r}, vd, vs2, {form.operand})",
                         "select source where v0 is set, else vs2"))
        rows.append(_ins(f"vmv.v.{form.kind[1]}", form.format,
                         dict(opcode=Opcode.OP_V, funct3=form.funct3, funct6=0b010111, vm=1,
                              vs2=0),
                         f"{{vd}}, {form.source}",
                         f"vec.move({form.kind!r}, vd, {form.operand})",
                         "copy the source to every body element"))
    # 12 fixed-point
    A(_arith("binary", "vsaddu", 0b100000, "vv vx vi", "saturating add, unsigned"))
    A(_arith("binary", "vsadd", 0b100001, "vv vx vi", "saturating add, signed"))
    A(_arith("binary", "vssubu", 0b100010, "vv vx", "saturating subtract, unsigned"))
    A(_arith("binary", "vssub", 0b100011, "vv vx", "saturating subtract, signed"))
    A(_arith("binary", "vaaddu", 0b001000, "mvv mvx", "averaging add, unsigned (vxrm)"))
    A(_arith("binary", "vaadd", 0b001001, "mvv mvx", "averaging add, signed (vxrm)"))
    A(_arith("binary", "vasubu", 0b001010, "mvv mvx", "averaging subtract, unsigned (vxrm)"))
    A(_arith("binary", "vasub", 0b001011, "mvv mvx", "averaging subtract, signed (vxrm)"))
    A(_arith("binary", "vsmul", 0b100111, "vv vx",
             "fractional multiply with rounding (vxrm) and saturation"))
    A(_arith("binary", "vssrl", 0b101010, "vv vx viu", "scaling shift right logical (vxrm)"))
    A(_arith("binary", "vssra", 0b101011, "vv vx viu",
             "scaling shift right arithmetic (vxrm)"))
    A(_arith("narrowing", "vnclipu", 0b101110, "vv vx viu",
             "narrowing unsigned clip: round (vxrm), shift, saturate", suffix=wide))
    A(_arith("narrowing", "vnclip", 0b101111, "vv vx viu",
             "narrowing signed clip: round (vxrm), shift, saturate", suffix=wide))
    # 14 reductions
    for base, funct6, what in (("vredsum", 0b000000, "sum"), ("vredand", 0b000001, "and"),
                               ("vredor", 0b000010, "or"), ("vredxor", 0b000011, "xor"),
                               ("vredminu", 0b000100, "unsigned minimum"),
                               ("vredmin", 0b000101, "signed minimum"),
                               ("vredmaxu", 0b000110, "unsigned maximum"),
                               ("vredmax", 0b000111, "signed maximum")):
        rows.append(_reduction(base, OPMVV, funct6,
                               f"vd[0] = {what} of vs1[0] and the active elements of vs2"))
    rows.append(_reduction("vwredsumu", OPIVV, 0b110000,
                           "vd[0] (2*SEW) = vs1[0] + zero-extended active elements of vs2"))
    rows.append(_reduction("vwredsum", OPIVV, 0b110001,
                           "vd[0] (2*SEW) = vs1[0] + sign-extended active elements of vs2"))
    # 15 mask instructions
    for base, funct6, what in (("vmandn", 0b011000, "vs2 & ~vs1"),
                               ("vmand", 0b011001, "vs2 & vs1"), ("vmor", 0b011010, "vs2 | vs1"),
                               ("vmxor", 0b011011, "vs2 ^ vs1"),
                               ("vmorn", 0b011100, "vs2 | ~vs1"),
                               ("vmnand", 0b011101, "~(vs2 & vs1)"),
                               ("vmnor", 0b011110, "~(vs2 | vs1)"),
                               ("vmxnor", 0b011111, "~(vs2 ^ vs1)")):
        rows.append(_mask_logic(base, funct6, f"mask bits vd = {what}"))
    rows.append(_unary("vcpop.m", 0b010000, 0b10000, "{rd}, {vs2}, {vm}",
                       "x[rd] = vec.population(vs2, vm)",
                       "count the set active mask bits of vs2", fmt=XUNARY))
    rows.append(_unary("vfirst.m", 0b010000, 0b10001, "{rd}, {vs2}, {vm}",
                       "x[rd] = vec.find_first(vs2, vm)",
                       "index of the first set active mask bit of vs2, or -1", fmt=XUNARY))
    for name, funct5, what in (("vmsbf.m", 0b00001, "before"), ("vmsof.m", 0b00010, "only"),
                               ("vmsif.m", 0b00011, "including")):
        rows.append(_unary(name, 0b010100, funct5, "{vd}, {vs2}, {vm}",
                           f"vec.set_first({name[:5]!r}, vd, vs2, vm)",
                           f"set mask bits {what} the first set bit of vs2"))
    rows.append(_unary("viota.m", 0b010100, 0b10000, "{vd}, {vs2}, {vm}",
                       "vec.iota(vd, vs2, vm)",
                       "each element: the count of set mask bits of vs2 below it"))
    rows.append(_unary("vid.v", 0b010100, 0b10001, "{vd}, {vm}", "vec.index(vd, vm)",
                       "each element: its own index", fixed=dict(vs2=0)))
    # 16 permutation
    rows.append(_unary("vmv.x.s", 0b010000, 0b00000, "{rd}, {vs2}",
                       "x[rd] = vec.move_to_scalar(vs2)",
                       "x[rd] = element 0 of vs2, sign-extended", fmt=XUNARY,
                       fixed=dict(vm=1)))
    rows.append(_ins("vmv.s.x", VX, dict(opcode=Opcode.OP_V, funct3=OPMVX, funct6=0b010000,
                                         vs2=0, vm=1),
                     "{vd}, {rs1}", "vec.move_from_scalar(vd, x[rs1])",
                     "element 0 of vd = x[rs1] (if vl > 0)"))
    A(_arith("slide", "vslideup", 0b001110, "vx viu", "slide elements up by the offset"))
    A(_arith("slide", "vslidedown", 0b001111, "vx viu", "slide elements down by the offset"))
    A(_arith("slide", "vslide1up", 0b001110, "mvx", "slide up by one, x[rs1] into element 0"))
    A(_arith("slide", "vslide1down", 0b001111, "mvx",
             "slide down by one, x[rs1] into the last body element"))
    A(_arith("gather", "vrgather", 0b001100, "vv vx viu", "vd[i] = vs2[index[i]] (0 if out "
                                                            "of range)"))
    rows.append(_ins("vrgatherei16.vv", VV,
                     dict(opcode=Opcode.OP_V, funct3=OPIVV, funct6=0b001110),
                     "{vd}, {vs2}, {vs1}, {vm}",
                     "vec.gather('vrgatherei16', 'vv', vd, vs2, vs1, vm)",
                     "vd[i] = vs2[vs1[i]] with 16-bit indices (0 if out of range)"))
    rows.append(_ins("vcompress.vm", VV,
                     dict(opcode=Opcode.OP_V, funct3=OPMVV, funct6=0b010111, vm=1),
                     "{vd}, {vs2}, {vs1}", "vec.compress(vd, vs2, vs1)",
                     "pack the elements of vs2 selected by mask vs1 into vd"))
    for nregs in (1, 2, 4, 8):
        rows.append(_ins(f"vmv{nregs}r.v", VUNARY,
                         dict(opcode=Opcode.OP_V, funct3=OPIVI, funct6=0b100111, vm=1,
                              funct5=nregs - 1),
                         "{vd}, {vs2}", f"vec.move_whole(vd, vs2, {nregs})",
                         f"copy {nregs} whole vector register(s)"))
    return rows


INSTRUCTIONS: tuple[Instruction, ...] = (*CONFIG, *_memory(), *_arithmetic())

# Performance counters (read-only, 32 bits, from reset; docs/vector.md): in the user
# custom read-only range 0xCC0-0xCFF of the privileged spec's table 2.1, from 0xCD0 so
# that the tensor engine's (0xCC0..) keep room to grow.
CSR_VBUSY, CSR_VACTIVE_ALU, CSR_VACTIVE_LSU, CSR_VELEMENTS, CSR_VSTALL_ISSUE, \
    CSR_VSTALL_QUEUE = range(0xCD0, 0xCD6)

# Vector CSRs (RVV spec 3). vl, vtype and vlenb are read-only (vsetvl writes vl and
# vtype); vcsr holds vxrm and vxsat. Their state lives in the vector unit.
CSRS: tuple[Csr, ...] = (
    Csr(0x008, "vstart", "vector start element index", writable=True),
    Csr(0x009, "vxsat", "fixed-point saturation flag", writable=True),
    Csr(0x00A, "vxrm", "fixed-point rounding mode", writable=True),
    Csr(0x00F, "vcsr", "vector control and status (vxrm[2:1], vxsat[0])", writable=True),
    Csr(0xC20, "vl", "vector length"),
    Csr(0xC21, "vtype", "vector data type register"),
    Csr(0xC22, "vlenb", "VLEN/8 (vector register length in bytes)"),
    Csr(CSR_VBUSY, "vbusy", "cycles the vector engine had work (queued or running)",
        timing=True),
    Csr(CSR_VACTIVE_ALU, "vactive_alu", "cycles the arithmetic sequencer held an "
                                        "instruction", timing=True),
    Csr(CSR_VACTIVE_LSU, "vactive_lsu", "cycles the load/store sequencer held an "
                                        "instruction", timing=True),
    Csr(CSR_VELEMENTS, "velements", "body elements (vstart..EVL-1; EVL: vl, a whole-"
                                    "register access's or move's registers' elements, a "
                                    "mask load's or store's bytes) of the vector "
                                    "instructions executed, except vset{i}vl{i}, vmv.x.s "
                                    "and CSR instructions"),
    Csr(CSR_VSTALL_ISSUE, "vstall_issue", "cycles the queue's head waited while its "
                                          "sequencer was free: the issue check held it "
                                          "(registers the other sequencer's instruction "
                                          "touches, or the run-alone rule)", timing=True),
    Csr(CSR_VSTALL_QUEUE, "vstall_queue", "cycles the core waited to dispatch a vector "
                                          "instruction: the queue was full", timing=True),
)


def _has_vector(config) -> bool:
    return getattr(config, "vector", None) is not None


def _vector_unit(machine, recording: bool):
    """The interpreter's vector unit (imported here, when a machine asks for it)."""
    from oxcore.isa.vector import VectorUnit
    return VectorUnit(machine, recording)


# clang's feature: Zve32x alone promises only VLEN >= 32, below what LLVM's vectorizer
# needs (64); every OxCore configuration has VLEN >= 64 (oxcore.config.VectorConfig), so
# zvl64b is true of all of them and the code clang emits stays VLEN-agnostic.
ZVE32X = Extension(EXT, "zve32x+zvl64b", INSTRUCTIONS, csrs=CSRS, register_files=(V,),
                   available=_has_vector, unit_name="vec", unit=_vector_unit,
                   chapter="vector.md")
