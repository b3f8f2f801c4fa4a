"""The vector engine's decoder, derived from the Zve32x rows of the ISA table.

Each row's semantics is one call into the vector unit (``vec.binary('vadd', 'vv', ...)``,
``vec.load_unit(vd, x[rs1], 8, 1, vm, False)``): the category is the method and the
operation, form and element width are its literal arguments. `implemented` reads them
from the table, so the RTL decoder never re-types an opcode; `UOP` is what the
sequencer needs of an instruction.
"""


import ast
import enum
from dataclasses import dataclass
from functools import cache

from amaranth import Mux
from amaranth.lib import data

from hw.oxcore.engine import EngineDecoder
from oxcore.isa import Instruction, Isa


class Kind(enum.IntEnum):
    """What the sequencer does with an instruction."""

    NONE = 0
    SET_VL = 1  # vsetvli / vsetvl: AVL from rs1 (x0 rules), vtype from the word or rs2
    SET_VL_IMM = 2  # vsetivli
    ARITH = 3  # element-wise, single width: vd = vs2 op source
    LOAD = 4  # unit-stride, strided (`strided`) or indexed (`strided` and `indexed`) load;
    # with `segment`, nf fields an element (element by element, as strided ones go);
    # with `mask_access`, vlm.v
    STORE = 5  # unit-stride, strided or indexed store (or their segment forms); vsm.v
    TO_SCALAR = 6  # vmv.x.s
    REDUCE = 7  # reduction (`sub`: REDUCTIONS; with `widen`, WIDENING_REDUCTIONS)
    COMPARE = 8  # integer compare into a mask (`sub`: COMPARES)
    MASK_LOGIC = 9  # mask-register logical (`sub`: MASK_LOGIC)
    CSR = 10  # a Zicsr instruction on a vector CSR (`sub`: CSR_OPS; form VI: uimm)
    MASK_SCAN = 11  # a pass over the mask vs2, then a result (`sub`: MASK_SCANS)
    PERMUTE = 12  # vd[i] from an element of vs2 or the scalar, element by element
    # (`sub`: PERMUTES)
    DIVIDE = 13  # integer divide and remainder, multi-cycle (`sub`: DIVIDES)


class AluOp(enum.IntEnum):
    ADD = 0
    SUB = 1
    RSUB = 2
    AND = 3
    OR = 4
    XOR = 5
    SLL = 6
    SRL = 7
    SRA = 8
    MINU = 9
    MIN = 10
    MAXU = 11
    MAX = 12
    MOVE = 13  # the source (vmv.v.*)
    MERGE = 14  # v0 ? source : vs2 (vmerge)
    MUL = 15
    MULH = 16
    MULHU = 17
    MULHSU = 18
    MACC = 19  # vd + source * vs2
    NMSAC = 20  # vd - source * vs2
    MADD = 21  # source * vd + vs2
    NMSUB = 22  # -(source * vd) + vs2
    COPY = 23  # vs2 (vmv<n>r.v)
    INDEX = 24  # the element's index (vid.v)
    # fixed point (spec 12): saturating, averaging (rounded by vxrm), vsmul, scaling shifts
    SADDU = 25
    SADD = 26
    SSUBU = 27
    SSUB = 28
    AADDU = 29
    AADD = 30
    ASUBU = 31
    ASUB = 32
    SMUL = 33
    SSRL = 34
    SSRA = 35
    # narrowing (vd SEW, vs2 2*SEW): shifts and clips, by the source's low log2(2*SEW) bits
    NSRL = 36
    NSRA = 37
    NCLIPU = 38
    NCLIP = 39
    # widening (vd 2*SEW; vs2 SEW, or 2*SEW in the .w forms): operands extended by the
    # signedness the name gives (U: both unsigned; SU: vs2 signed, source unsigned)
    WADDU = 40
    WADD = 41
    WSUBU = 42
    WSUB = 43
    WADDU_W = 44  # vs2 already 2*SEW (.wv/.wx)
    WADD_W = 45
    WSUBU_W = 46
    WSUB_W = 47
    WMULU = 48
    WMUL = 49
    WMULSU = 50
    # widening multiply-add: vd(2*SEW) += source * vs2 (MACCSU: signed source, unsigned
    # vs2; MACCUS: unsigned source, signed vs2)
    WMACCU = 51
    WMACC = 52
    WMACCSU = 53
    WMACCUS = 54
    # integer extension (vzext/vsext.vf2/vf4): vd's SEW-bit elements from vs2's
    # SEW/2- or SEW/4-bit ones (`extend`)
    ZEXT = 55
    SEXT = 56
    # add with carry / subtract with borrow (vadc, vsbc): the element's v0 bit (`pick`)
    # is the carry/borrow in, so every body element is written (`carry`)
    ADC = 57
    SBC = 58


class Form(enum.IntEnum):
    VV = 0
    VX = 1
    VI = 2


# The ISA's binary ops that the lanes implement, by the name the semantics use.
BINARY_OPS = {"vadd": AluOp.ADD, "vsub": AluOp.SUB, "vrsub": AluOp.RSUB, "vand": AluOp.AND,
              "vor": AluOp.OR, "vxor": AluOp.XOR, "vsll": AluOp.SLL, "vsrl": AluOp.SRL,
              "vsra": AluOp.SRA, "vminu": AluOp.MINU, "vmin": AluOp.MIN,
              "vmaxu": AluOp.MAXU, "vmax": AluOp.MAX, "vmul": AluOp.MUL,
              "vmulh": AluOp.MULH, "vmulhu": AluOp.MULHU, "vmulhsu": AluOp.MULHSU,
              "vsaddu": AluOp.SADDU, "vsadd": AluOp.SADD, "vssubu": AluOp.SSUBU,
              "vssub": AluOp.SSUB, "vaaddu": AluOp.AADDU, "vaadd": AluOp.AADD,
              "vasubu": AluOp.ASUBU, "vasub": AluOp.ASUB, "vsmul": AluOp.SMUL,
              "vssrl": AluOp.SSRL, "vssra": AluOp.SSRA}
# Narrowing ops, every form (.wv spends two cycles a beat: `engine.State.NARROW_SHIFTS`).
NARROWING_OPS = {"vnsrl": AluOp.NSRL, "vnsra": AluOp.NSRA, "vnclipu": AluOp.NCLIPU,
                 "vnclip": AluOp.NCLIP}
# Widening ops, by the op name of their rows' semantics (`vec.widening`,
# `vec.widening_multiply_add`).
WIDENING_OPS = {"vwaddu": AluOp.WADDU, "vwadd": AluOp.WADD, "vwsubu": AluOp.WSUBU,
                "vwsub": AluOp.WSUB, "vwaddu.w": AluOp.WADDU_W, "vwadd.w": AluOp.WADD_W,
                "vwsubu.w": AluOp.WSUBU_W, "vwsub.w": AluOp.WSUB_W, "vwmulu": AluOp.WMULU,
                "vwmul": AluOp.WMUL, "vwmulsu": AluOp.WMULSU, "vwmaccu": AluOp.WMACCU,
                "vwmacc": AluOp.WMACC, "vwmaccsu": AluOp.WMACCSU,
                "vwmaccus": AluOp.WMACCUS}
# The ops whose elements may saturate (vxsat).
SATURATING = (AluOp.SADDU, AluOp.SADD, AluOp.SSUBU, AluOp.SSUB, AluOp.SMUL)
MULTIPLY_ADD_OPS = {"vmacc": AluOp.MACC, "vnmsac": AluOp.NMSAC, "vmadd": AluOp.MADD,
                    "vnmsub": AluOp.NMSUB}
EEW_CODE = {8: 0, 16: 1, 32: 2}
# The `sub` operation of the reduction, compare and mask-logical kinds, by position.
REDUCTIONS = ("vredsum", "vredand", "vredor", "vredxor", "vredminu", "vredmin",
              "vredmaxu", "vredmax")
# Widening reductions (vd[0], vs1[0] 2*SEW; `sub` by position, with `widen`).
WIDENING_REDUCTIONS = ("vwredsumu", "vwredsum")
COMPARES = ("vmseq", "vmsne", "vmsltu", "vmslt", "vmsleu", "vmsle", "vmsgtu", "vmsgt")
CSR_OPS = ("csrrw", "csrrs", "csrrc")  # and their immediate forms (form VI)
# The carry/borrow-out masks (Kind.COMPARE with `carry`; `sub` by position): with a v0
# carry/borrow in when the row is masked (vm = 0: .vvm/.vxm/.vim), without when not.
CARRY_OUTS = ("vmadc", "vmsbc")
CARRY_OPS = {"vadc": AluOp.ADC, "vsbc": AluOp.SBC}
# Mask scans (`sub` by position): a scalar count or index (vcpop.m, vfirst.m), a mask
# around the first set bit (vmsbf.m, vmsif.m, vmsof.m), or SEW-bit prefix counts (viota.m).
MASK_SCANS = ("vcpop", "vfirst", "vmsbf", "vmsif", "vmsof", "viota")
# Permutations, element by element (`sub` by position): vd[i] = vs2[j] for the j each
# computes from i (0 where j >= VLMAX; the slide1 ops' scalar at one end); vcompress's j
# is the next element of vs2 its mask vs1 selects.
PERMUTES = ("vslideup", "vslidedown", "vslide1up", "vslide1down", "vrgather", "vrgatherei16",
            "vcompress")
# Integer divide and remainder (`sub` by position; bit 0: signed, bit 1: remainder).
DIVIDES = ("vdivu", "vdiv", "vremu", "vrem")
MASK_LOGIC = ("vmandn", "vmand", "vmor", "vmxor", "vmorn", "vmnand", "vmnor", "vmxnor")

UOP = data.StructLayout({
    "kind": Kind, "op": AluOp, "form": Form, "eew": 2, "vtype_from_rs2": 1, "sub": 3,
    "first_only": 1,  # only element 0 (vmv.s.x)
    "whole": 1,  # whole registers: nf+1 of them, whatever vl, vtype and v0 (vl<n>r, vs<n>r)
    "strided": 1,  # element i at rs1 + i * rs2 (vlse, vsse), one port access each
    "indexed": 1,  # (with `strided`) element i at rs1 + vs2[i], `eew` the index width
    "narrow": 1,  # vs2 is 2*SEW wide: two of its beats make one of vd's
    "widen": 1,  # vd is 2*SEW wide: one beat of a SEW source makes two of vd's
    "wide_vs2": 1,  # (widening) vs2 is 2*SEW wide too: the .wv/.wx forms
    "extend": 2,  # vzext/vsext: log2 of the factor (vs2 is SEW/2 or SEW/4 wide)
    "carry": 1,  # v0 holds carries/borrows, not a mask: every body element is written
    "segment": 1,  # (with `strided`) nf = insn[29:32] + 1 fields an element (vlseg, ...)
    "span": 1,  # (with `segment`) unit-stride: stride nf * EEW/8, reported as a span
    "fault_first": 1,  # (unit-stride loads) a fault past element 0 trims vl instead
    "mask_access": 1,  # vlm.v, vsm.v: a unit-stride access of ceil(vl/8) bytes (EEW 8)
    # of one register, unmasked, whatever vtype
})


def segment_fields(insn, uop):
    """The fields an element of instruction ``insn`` has: a segment access's nf
    (insn[29:32] + 1), 1 for everything else."""
    return Mux(uop.segment, insn[29:32] + 1, 1)


@dataclass(frozen=True)
class Decoded:
    """One row's micro-operation, as constants."""

    kind: Kind
    op: AluOp = AluOp.ADD
    form: Form = Form.VV
    eew: int = 8
    vtype_from_rs2: bool = False
    sub: int = 0
    first_only: bool = False
    whole: bool = False
    strided: bool = False
    indexed: bool = False
    narrow: bool = False
    widen: bool = False
    wide_vs2: bool = False
    extend: int = 0
    carry: bool = False
    segment: bool = False
    span: bool = False
    fault_first: bool = False
    mask_access: bool = False


def _call(ins: Instruction) -> tuple[str, list]:
    """(method, literal arguments or None for operands) of a row's ``vec.*`` call."""
    for node in ast.walk(ast.parse(ins.semantics)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            return node.func.attr, args
    raise ValueError(f"{ins.mnemonic}: not a vector-unit row")


def micro_op(ins: Instruction) -> Decoded | None:
    """The engine's micro-operation for a row, or None if the engine does not claim it
    (only vzext/vsext.vf8, whose SEW 64 makes them always illegal: the core traps them
    as the interpreter does)."""
    method, args = _call(ins)
    if method == "set_vl":
        return Decoded(Kind.SET_VL, vtype_from_rs2=ins.mnemonic == "vsetvl")
    if method == "set_vl_immediate":
        return Decoded(Kind.SET_VL_IMM)
    if method == "binary" and args[0] in BINARY_OPS:
        return Decoded(Kind.ARITH, BINARY_OPS[args[0]], Form[args[1].upper()])
    if method == "binary" and args[0] in DIVIDES:
        return Decoded(Kind.DIVIDE, form=Form[args[1].upper()], sub=DIVIDES.index(args[0]))
    if method == "narrowing":
        return Decoded(Kind.ARITH, NARROWING_OPS[args[0]], Form[args[1].upper()], narrow=True)
    if method in ("widening", "widening_multiply_add"):
        return Decoded(Kind.ARITH, WIDENING_OPS[args[0]], Form[args[1].upper()], widen=True,
                       wide_vs2=args[0].endswith(".w"))
    if method == "extend" and args[2] in (2, 4):  # (vf8 needs SEW 64: always illegal)
        return Decoded(Kind.ARITH, AluOp.SEXT if args[3] else AluOp.ZEXT, Form.VI,
                       extend=args[2].bit_length() - 1)
    if method == "carry" and args[0] in CARRY_OPS:
        return Decoded(Kind.ARITH, CARRY_OPS[args[0]], Form[args[1].upper()], carry=True)
    if method == "carry":  # vmadc/vmsbc: a mask of carries/borrows out, as compares write
        return Decoded(Kind.COMPARE, form=Form[args[1].upper()],
                       sub=CARRY_OUTS.index(args[0]), carry=True)
    if method == "multiply_add":
        return Decoded(Kind.ARITH, MULTIPLY_ADD_OPS[args[0]], Form[args[1].upper()])
    if method == "move":
        return Decoded(Kind.ARITH, AluOp.MOVE, Form[args[0].upper()])
    if method == "merge":
        return Decoded(Kind.ARITH, AluOp.MERGE, Form[args[0].upper()])
    if method in ("load_unit", "store_unit"):
        eew, nf = args[2], args[3]
        kind = Kind.LOAD if method == "load_unit" else Kind.STORE
        fault_first = method == "load_unit" and args[5]  # (vle<eew>ff, vlseg<nf>e<eew>ff)
        if nf == 1:
            return Decoded(kind, eew=eew, fault_first=fault_first)
        # a unit-stride segment access goes element by element, as a strided one
        # with stride nf * EEW/8, and reports its bytes as unit-stride accesses do
        return Decoded(kind, eew=eew, strided=True, segment=True, span=True,
                       fault_first=fault_first)
    if method in ("load_strided", "store_strided"):
        return Decoded(Kind.LOAD if method == "load_strided" else Kind.STORE, eew=args[3],
                       strided=True, segment=args[4] > 1)
    if method in ("load_indexed", "store_indexed"):
        # (data elements are SEW wide; `eew` is the index width; ordered or not, the
        # engine accesses the elements in order)
        return Decoded(Kind.LOAD if method == "load_indexed" else Kind.STORE, eew=args[3],
                       strided=True, indexed=True, segment=args[4] > 1)
    if method == "reduction" and args[0] in REDUCTIONS:
        return Decoded(Kind.REDUCE, sub=REDUCTIONS.index(args[0]))
    if method == "reduction" and args[0] in WIDENING_REDUCTIONS:
        return Decoded(Kind.REDUCE, sub=WIDENING_REDUCTIONS.index(args[0]), widen=True)
    if method == "compare":
        return Decoded(Kind.COMPARE, form=Form[args[1].upper()], sub=COMPARES.index(args[0]))
    if method == "mask_logic":
        return Decoded(Kind.MASK_LOGIC, sub=MASK_LOGIC.index(args[0]))
    if method in ("slide", "gather"):
        return Decoded(Kind.PERMUTE, form=Form[args[1].upper()], sub=PERMUTES.index(args[0]))
    if method == "compress":
        return Decoded(Kind.PERMUTE, form=Form.VV, sub=PERMUTES.index("vcompress"))
    # (form VI: their vs1 field is funct5, no register for the issue check to wait on)
    if method == "population":
        return Decoded(Kind.MASK_SCAN, form=Form.VI, sub=MASK_SCANS.index("vcpop"))
    if method == "find_first":
        return Decoded(Kind.MASK_SCAN, form=Form.VI, sub=MASK_SCANS.index("vfirst"))
    if method == "set_first":
        return Decoded(Kind.MASK_SCAN, form=Form.VI, sub=MASK_SCANS.index(args[0]))
    if method == "iota":
        return Decoded(Kind.MASK_SCAN, form=Form.VI, sub=MASK_SCANS.index("viota"))
    if method == "move_from_scalar":
        return Decoded(Kind.ARITH, AluOp.MOVE, Form.VX, first_only=True)
    if method == "index":
        return Decoded(Kind.ARITH, AluOp.INDEX)
    if method == "move_whole":
        return Decoded(Kind.ARITH, AluOp.COPY, whole=True)
    if method in ("load_mask", "store_mask"):  # (vm = 1 in the row: never masked)
        return Decoded(Kind.LOAD if method == "load_mask" else Kind.STORE, eew=8,
                       mask_access=True)
    if method == "load_whole":
        return Decoded(Kind.LOAD, eew=args[2], whole=True)
    if method == "store_whole":
        return Decoded(Kind.STORE, eew=8, whole=True)
    if method == "move_to_scalar":
        return Decoded(Kind.TO_SCALAR)
    return None


@cache
def implemented(isa: Isa) -> tuple[tuple[Instruction, Decoded], ...]:
    """The vector rows of `isa` the engine executes, with their micro-operations."""
    rows = []
    for ins in isa.instructions:
        if ins.engine == "vector":
            uop = micro_op(ins)
            if uop is not None:
                rows.append((ins, uop))
    return tuple(rows)


def vector_csrs(isa: Isa) -> tuple[int, ...]:
    """The CSRs the vector extension declares (the engine owns and serves them)."""
    return tuple(csr.number for ext in isa.extensions if ext.unit_name == "vec"
                 for csr in ext.csrs)


def csr_rows(isa: Isa) -> tuple[tuple[Instruction, Decoded], ...]:
    """The Zicsr instructions, as the engine executes them on its own CSRs."""
    rows = []
    for ins in isa.instructions:
        base = ins.mnemonic.rstrip("i") if ins.mnemonic.startswith("csrr") else None
        if base in CSR_OPS:
            form = Form.VI if ins.mnemonic.endswith("i") else Form.VX
            rows.append((ins, Decoded(Kind.CSR, form=form, sub=CSR_OPS.index(base))))
    return tuple(rows)


@cache
def _packed(uop: Decoded) -> int:
    """`uop` as the bits of a `UOP` (one constant per row: four decoders elaborate
    every row, and field by field that was most of the engine's elaboration time;
    cached, since every engine a process elaborates has the same rows)."""
    fields = {name: getattr(uop, name) for name in UOP.members}
    fields["eew"] = EEW_CODE[uop.eew]
    return UOP.const(fields).as_value().value


class VectorDecoder(EngineDecoder):
    """Word -> `UOP`, for the vector rows and the Zicsr rows on the vector CSRs."""

    def __init__(self, isa: Isa) -> None:
        super().__init__(UOP, implemented(isa), csr_rows(isa), vector_csrs(isa))

    def packed(self, uop: Decoded) -> int:
        return _packed(uop)


def mnemonics(isa: Isa) -> list[str]:
    """The implemented rows' mnemonics (docs, tests)."""
    return [ins.mnemonic for ins, _ in implemented(isa)]


__all__ = ["AluOp", "Form", "Kind", "UOP", "VectorDecoder", "implemented", "micro_op",
           "mnemonics"]
