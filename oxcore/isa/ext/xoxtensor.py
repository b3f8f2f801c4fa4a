"""Xoxtensor: OxCore's matrix-tile extension (the tensor engine), in custom-0 and custom-1.

Eight tile registers ``m0..m7`` of TDIM rows x 4*TDIM bytes (TDIM 4, 8 or 16 from the
configuration's ``[tensor]`` section; software reads it from the ``tdim`` CSR). The same
bytes are read two ways: as TDIM x TDIM int32 accumulators (tmma's destination, tst.*)
and as TDIM x 4*TDIM int8 operands (tmma's sources), so an operand tile holds four
times the K depth of a TDIM x TDIM one and a tmma does 4*TDIM^3 MACs for two tile
loads (docs/tensor.md, "Why operand tiles are TDIM x 4*TDIM").
Compute instructions live in custom-0, tile loads and stores in custom-1; both use the
R-type layout, so every word is written with LLVM's ``.insn r`` directive too (tile
numbers in the register fields: ``.insn r CUSTOM_0, 1, 0, x1, x2, x3`` is
``tmma m1, m2, m3``), which is how the encodings are checked against LLVM
(tests/oxcore/test_tensor_encoding.py) and how C reaches the engine
(sw/cc/runtime/oxcore_tensor.h). A tile field is 3 bits; the two bits above it in the
5-bit register slot are fixed at 0, so a word naming m8..m31 is not an instruction.

Semantics are one call each into the tensor unit, ``tensor`` (numpy, in
:mod:`oxcore.isa.tensor`), which owns the tiles and the tensor CSRs. Rationale and the
exact requantization formula of ``tst.b``: docs/tensor.md.
"""

from __future__ import annotations

from oxcore.isa.csrs import Csr
from oxcore.isa.ext.common import Opcode
from oxcore.isa.extension import Extension
from oxcore.isa.fields import Field, Format, simple
from oxcore.isa.instruction import Instruction
from oxcore.isa.kinds import TILEREG, XREG
from oxcore.isa.regfile import TILE

EXT = "Xoxtensor"

# funct3 of custom-0 (compute).
ZERO, MMA = 0b000, 0b001
# funct3 of custom-1 (memory): bit 2 says store, bits 1:0 the element width as in
# RISC-V's loads (0: byte, 2: word).
LOAD_B, LOAD_W, STORE_B, STORE_W = 0b000, 0b010, 0b100, 0b110
# funct7 of a tile load: 1 loads the tile transposed (tld.bt); of a word load or store:
# 2 moves the whole tile, edges not used (tlr, tsr: a tile register saved and restored)
TRANSPOSED, WHOLE = 0b0000001, 0b0000010

_OPCODE = simple("opcode", 6, 0)
_FUNCT3 = simple("funct3", 14, 12)
_FUNCT7 = simple("funct7", 31, 25)


def _tile(name: str, lo: int) -> tuple[Field, Field]:
    """A tile operand in the low 3 bits of a 5-bit register slot at [lo+4:lo], and the
    slot's top two bits (``<name>_hi``, fixed 0)."""
    return simple(name, lo + 2, lo, TILEREG), simple(f"{name}_hi", lo + 4, lo + 3)


TILE_R = Format("TILE-R", (_OPCODE, *_tile("md", 7), _FUNCT3, *_tile("ms1", 15),
                           *_tile("ms2", 20), _FUNCT7))


def _memory_format(name: str, tile: str) -> Format:
    """Tile in the rd slot, base address rs1, row stride rs2."""
    return Format(name, (_OPCODE, *_tile(tile, 7), _FUNCT3, simple("rs1", 19, 15, XREG),
                         simple("rs2", 24, 20, XREG), _FUNCT7))


TILE_LOAD = _memory_format("TILE-LOAD", "md")
TILE_STORE = _memory_format("TILE-STORE", "ms")


def _ins(mnemonic: str, fmt: Format, fixed: dict[str, int], syntax: str, semantics: str,
         summary: str) -> Instruction:
    """A tensor row; the reserved top bits of its tile slots are fixed at 0."""
    hi = {f.name: 0 for f in fmt.fields if f.name.endswith("_hi")}
    return Instruction(mnemonic, EXT, fmt, {**hi, **fixed}, syntax, semantics, summary,
                       engine="tensor")


INSTRUCTIONS: tuple[Instruction, ...] = (
    _ins("tzero", TILE_R, dict(opcode=Opcode.CUSTOM_0, funct3=ZERO, funct7=0, ms1=0, ms2=0),
         "{md}", "tensor.zero(md)", "md = 0 (every element)"),
    _ins("tmma", TILE_R, dict(opcode=Opcode.CUSTOM_0, funct3=MMA, funct7=0),
         "{md}, {ms1}, {ms2}", "tensor.multiply_accumulate(md, ms1, ms2, False)",
         "md += ms1 x ms2^T on the int8 views (TDIM x 4*TDIM each, signed), int32 "
         "wrap-around sums"),
    _ins("tmmau", TILE_R, dict(opcode=Opcode.CUSTOM_0, funct3=MMA, funct7=1),
         "{md}, {ms1}, {ms2}", "tensor.multiply_accumulate(md, ms1, ms2, True)",
         "md += ms1 x ms2^T on the int8 views: ms1's bytes unsigned (uint8), ms2's "
         "signed, int32 wrap-around sums"),
    _ins("tld.b", TILE_LOAD, dict(opcode=Opcode.CUSTOM_1, funct3=LOAD_B, funct7=0),
         "{md}, ({rs1}), {rs2}", "tensor.load(md, x[rs1], x[rs2], 1)",
         "load an int8 operand tile: TDIM rows of 4*TDIM bytes, row i at rs1 + i*rs2 "
         "(any alignment)"),
    _ins("tld.bt", TILE_LOAD, dict(opcode=Opcode.CUSTOM_1, funct3=LOAD_B, funct7=TRANSPOSED),
         "{md}, ({rs1}), {rs2}", "tensor.load_transposed(md, x[rs1], x[rs2])",
         "load an int8 operand tile transposed: 4*TDIM memory rows of TDIM bytes, row k "
         "at rs1 + k*rs2 is the tile's byte column k (a [K, N] matrix's block as tmma's "
         "second operand; trow0 not used)"),
    _ins("tld.w", TILE_LOAD, dict(opcode=Opcode.CUSTOM_1, funct3=LOAD_W, funct7=0),
         "{md}, ({rs1}), {rs2}", "tensor.load(md, x[rs1], x[rs2], 4)",
         "load an int32 tile: TDIM rows of TDIM words, row i at rs1 + i*rs2 (4-byte "
         "aligned)"),
    _ins("tlr", TILE_LOAD, dict(opcode=Opcode.CUSTOM_1, funct3=LOAD_W, funct7=WHOLE, rs2=0),
         "{md}, ({rs1})", "tensor.load_whole(md, x[rs1])",
         "load a whole tile register: TDIM rows of 4*TDIM bytes at rs1 + i*4*TDIM "
         "(4-byte aligned); trow0, trows and tcolb not used (spill code's reload)"),
    _ins("tsr", TILE_STORE, dict(opcode=Opcode.CUSTOM_1, funct3=STORE_W, funct7=WHOLE, rs2=0),
         "{ms}, ({rs1})", "tensor.store_whole(ms, x[rs1])",
         "store a whole tile register: TDIM rows of 4*TDIM bytes at rs1 + i*4*TDIM "
         "(4-byte aligned); trow0, trows and tcolb not used (spill code's save)"),
    _ins("tst.b", TILE_STORE, dict(opcode=Opcode.CUSTOM_1, funct3=STORE_B, funct7=0),
         "{ms}, ({rs1}), {rs2}", "tensor.store(ms, x[rs1], x[rs2], 1)",
         "requantize to int8 and store: clamp(sat8(vsadd(vssra(vsmul(acc, tqmul), "
         "tqshift), tqzp)), tqmin, tqmax), rounding by tqrm as vxrm"),
    _ins("tst.w", TILE_STORE, dict(opcode=Opcode.CUSTOM_1, funct3=STORE_W, funct7=0),
         "{ms}, ({rs1}), {rs2}", "tensor.store(ms, x[rs1], x[rs2], 4)",
         "store an int32 tile (TDIM rows of TDIM words, row i at rs1 + i*rs2)"),
)

# CSR numbers: user custom read/write (0x800-0x8FF) and user custom read-only
# (0xCC0-0xCFF) ranges of the privileged spec's table 2.1.
CSR_TQMUL, CSR_TQSHIFT, CSR_TQZP, CSR_TQRM, CSR_TQSAT = 0x800, 0x801, 0x802, 0x803, 0x804
CSR_TROWS, CSR_TCOLB = 0x805, 0x806
CSR_TQMIN, CSR_TQMAX = 0x807, 0x808  # tst.b's activation clamp (TFLite's activation_min/max)
CSR_TROW0 = 0x809  # a tile access's first row (the edge before the tile: a conv's padding)
CSR_TDIM, CSR_TLENB = 0xCC0, 0xCC1
# The writable CSRs' WARL widths: the bits each keeps of what is written (the
# interpreter's masks and the RTL's registers both come from here).
WARL_BITS = {CSR_TQMUL: 32, CSR_TQSHIFT: 5, CSR_TQZP: 32, CSR_TQRM: 2, CSR_TQSAT: 1,
             CSR_TROWS: 5, CSR_TCOLB: 7, CSR_TQMIN: 8, CSR_TQMAX: 8, CSR_TROW0: 5}
# WARL fields that read back sign-extended (int8 values): what software wrote, as long
# as it was an int8.
SIGN_EXTENDED = frozenset({CSR_TQMIN, CSR_TQMAX})
# Performance counters (read-only, 32 bits, from reset; docs/tensor.md).
CSR_TACTIVE, CSR_TMACS, CSR_TSTALL_OPERAND, CSR_TSTALL_PORT, CSR_TQFULL, CSR_TBUSY = range(
    0xCC2, 0xCC8)

CSRS: tuple[Csr, ...] = (
    Csr(CSR_TQMUL, "tqmul", "tst.b requantization multiplier (int32, Q0.31 as vsmul's "
                            "operand)", writable=True),
    Csr(CSR_TQSHIFT, "tqshift", "tst.b right shift (WARL: bits 4:0)", writable=True),
    Csr(CSR_TQZP, "tqzp", "tst.b zero point (int32, added with saturation)",
        writable=True),
    Csr(CSR_TQRM, "tqrm", "tst.b rounding mode, encoded as vxrm (WARL: bits 1:0)",
        writable=True),
    Csr(CSR_TQSAT, "tqsat", "sticky: a tst.b step saturated (like vxsat; WARL: bit 0)",
        writable=True),
    Csr(CSR_TROWS, "trows", "rows a tile load or store moves, 1..TDIM (0 or above TDIM: all "
                            "TDIM); a load zeroes the rest (WARL: bits 4:0)", writable=True),
    Csr(CSR_TCOLB, "tcolb", "bytes of each row a tile load or tst.w moves, 1..4*TDIM (0 or "
                            "above: all); tst.b stores ceil(tcolb/4) elements; a load zeroes "
                            "the rest (WARL: bits 6:0)", writable=True),
    Csr(CSR_TQMIN, "tqmin", "tst.b activation clamp's lower bound (int8; WARL: bits 7:0, "
                          "read back sign-extended; reset -128: no clamp)", writable=True,
        reset=0xFFFF_FF80),
    Csr(CSR_TQMAX, "tqmax", "tst.b activation clamp's upper bound (int8; WARL: bits 7:0, "
                          "read back sign-extended; reset 127: no clamp)", writable=True,
        reset=0x7F),
    Csr(CSR_TROW0, "trow0", "first row a tile load or store moves: rows before it are "
                            "not accessed (a load zeroes them); trow0 >= the rows trows "
                            "gives: nothing accessed, a load zeroes the tile (WARL: bits "
                            "4:0)", writable=True),
    Csr(CSR_TDIM, "tdim", "TDIM: rows and columns of a tile"),
    Csr(CSR_TLENB, "tlenb", "bytes of a tile register (TDIM * TDIM * 4)"),
    Csr(CSR_TACTIVE, "tactive", "cycles the MAC array did a k-step (the interpreter: k-steps "
                                "of the tmma retired so far)", timing=True),
    Csr(CSR_TMACS, "tmacs", "multiply-accumulates done: tactive * TDIM^2 (low 32 bits)",
        timing=True),
    Csr(CSR_TSTALL_OPERAND, "tstall_operand", "cycles the MAC array was idle while the "
                                              "queue's head waited for a tile the other "
                                              "unit was using", timing=True),
    Csr(CSR_TSTALL_PORT, "tstall_port", "cycles the MAC array was idle while a load, store "
                                        "or CSR instruction at the head waited for the "
                                        "busy load/store unit", timing=True),
    Csr(CSR_TQFULL, "tqfull", "cycles the instruction queue was full (the core waits to "
                              "dispatch)", timing=True),
    Csr(CSR_TBUSY, "tbusy", "cycles the engine had work (queued or running)", timing=True),
)
#: Reset values of the writable CSRs, as software reads them (the others reset to 0).
RESET = {csr.number: csr.reset for csr in CSRS if csr.writable}


def warl_value(number: int, written: int) -> int:
    """What a writable CSR reads back (32 bits) after `written`: its WARL bits,
    sign-extended for the int8 clamp bounds."""
    bits = WARL_BITS[number]
    value = written & ((1 << bits) - 1)
    if number in SIGN_EXTENDED and value >> (bits - 1):
        value |= 0xFFFF_FFFF ^ ((1 << bits) - 1)
    return value


def _has_tensor(config) -> bool:
    return getattr(config, "tensor", None) is not None


def _tensor_unit(machine, recording: bool):
    """The interpreter's tensor unit (imported here, when a machine asks for it)."""
    from oxcore.isa.tensor import TensorUnit
    return TensorUnit(machine, recording)


XOXTENSOR = Extension(EXT, None, INSTRUCTIONS, csrs=CSRS, register_files=(TILE,),
                      available=_has_tensor, unit_name="tensor", unit=_tensor_unit,
                      chapter="tensor.md")
