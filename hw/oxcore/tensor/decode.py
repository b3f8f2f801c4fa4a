"""The tensor engine's decoder, derived from the Xoxtensor rows of the ISA table.

Each row's semantics is one call into the tensor unit (``tensor.zero(md)``,
``tensor.multiply_accumulate(md, ms1, ms2, True)``, ``tensor.load(md, x[rs1], x[rs2], 1)``):
the method is the micro-operation's kind and its literal arguments the variant (ms1
unsigned; element size). `micro_op` reads them from the table, and the tile operands'
bit positions come from the rows' formats, so the RTL never re-types an opcode. The
Zicsr rows are claimed on the tensor CSRs only (`tensor_csrs`), as the vector engine
claims them on its own.
"""

import ast
import dataclasses
import enum
from dataclasses import dataclass
from functools import cache

from amaranth.lib import data

from hw.oxcore.engine import EngineDecoder
from oxcore.isa import Instruction, Isa

ENGINE = "tensor"
CSR_OPS = ("csrrw", "csrrs", "csrrc")  # and their immediate forms (`immediate`)


class Kind(enum.IntEnum):
    """Which unit runs an instruction, and how."""

    NONE = 0
    ZERO = 1  # tzero: the MAC unit writes a zero tile
    MMA = 2  # tmma/tmmau: the MAC array, 4*TDIM k-steps
    LOAD = 3  # tld.b/tld.w/tld.bt/tlr: the load/store unit
    STORE = 4  # tst.b/tst.w/tsr: the load/store unit (tst.b through the requantizer)
    CSR = 5  # a Zicsr instruction on a tensor CSR (`sub`: index in CSR_OPS)


UOP = data.StructLayout({
    "kind": Kind,
    "unsigned_a": 1,  # tmmau: ms1's bytes are uint8
    "full_rows": 1,  # rows of 4*TDIM bytes: every load, tst.w (tst.b's rows are TDIM)
    "word": 1,  # int32 elements in memory (tld.w, tst.w): rows must be 4-byte aligned
    "transposed": 1,  # tld.bt: 4*TDIM memory rows of trows bytes, each a byte column
    "whole": 1,  # tlr, tsr: every row, whole, at a stride of 4*TDIM (edges not used)
    "sub": 2,  # CSR: csrrw, csrrs, csrrc
    "immediate": 1,  # CSR: the source is the uimm field (csrr*i)
})


@dataclass(frozen=True)
class Decoded:
    """One row's micro-operation, as constants."""

    kind: Kind
    unsigned_a: bool = False
    full_rows: bool = False
    word: bool = False
    transposed: bool = False
    whole: bool = False
    sub: int = 0
    immediate: bool = False


def _call(ins: Instruction) -> tuple[str, list]:
    """(method, literal arguments or None for operands) of a row's ``tensor.*`` call."""
    for node in ast.walk(ast.parse(ins.semantics)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
            return node.func.attr, args
    raise ValueError(f"{ins.mnemonic}: not a tensor-unit row")


def micro_op(ins: Instruction) -> Decoded | None:
    """The engine's micro-operation for a tensor row (None: not implemented)."""
    method, args = _call(ins)
    if method == "zero":
        return Decoded(Kind.ZERO)
    if method == "multiply_accumulate":
        return Decoded(Kind.MMA, unsigned_a=bool(args[3]))
    if method == "load":  # tld.b and tld.w move the same rows (they differ in alignment)
        return Decoded(Kind.LOAD, full_rows=True, word=args[3] == 4)
    if method == "load_transposed":
        return Decoded(Kind.LOAD, full_rows=True, transposed=True)
    if method in ("load_whole", "store_whole"):
        return Decoded(Kind.LOAD if method == "load_whole" else Kind.STORE, full_rows=True,
                       word=True, whole=True)
    if method == "store":
        return Decoded(Kind.STORE, full_rows=args[3] == 4, word=args[3] == 4)
    return None


@cache
def implemented(isa: Isa) -> tuple[tuple[Instruction, Decoded], ...]:
    """The tensor rows of `isa` the engine executes, with their micro-operations."""
    return tuple((ins, uop) for ins in isa.instructions if ins.engine == ENGINE
                 for uop in (micro_op(ins),) if uop is not None)


def tensor_csrs(isa: Isa) -> tuple[int, ...]:
    """The CSRs the tensor extension declares (the engine owns and serves them)."""
    return tuple(csr.number for ext in isa.extensions if ext.unit_name == ENGINE
                 for csr in ext.csrs)


def csr_rows(isa: Isa) -> tuple[tuple[Instruction, Decoded], ...]:
    """The Zicsr instructions, as the engine executes them on its own CSRs."""
    rows = []
    for ins in isa.instructions:
        base = ins.mnemonic.rstrip("i") if ins.mnemonic.startswith("csrr") else None
        if base in CSR_OPS:
            rows.append((ins, Decoded(Kind.CSR, sub=CSR_OPS.index(base),
                                      immediate=ins.mnemonic.endswith("i"))))
    return tuple(rows)


def tile_field(isa: Isa, name: str) -> tuple[int, int]:
    """(lo, hi + 1) of tile operand `name` (md, ms1, ms2, ms) in the instruction word,
    from the formats of the rows that have it (they must agree)."""
    spans = set()
    for ins, _ in implemented(isa):
        for field in ins.format.fields:
            if field.name == name:
                (hi, lo, _), = field.pieces
                spans.add((lo, hi + 1))
    if len(spans) != 1:
        raise ValueError(f"tile operand {name}: positions {sorted(spans)} in the rows")
    return spans.pop()


class TensorDecoder(EngineDecoder):
    """Word -> `UOP`, for the tensor rows and the Zicsr rows on the tensor CSRs."""

    def __init__(self, isa: Isa) -> None:
        super().__init__(UOP, implemented(isa), csr_rows(isa), tensor_csrs(isa))

    def packed(self, uop: Decoded) -> int:
        return UOP.const(dataclasses.asdict(uop)).as_value().value


def mnemonics(isa: Isa) -> list[str]:
    """The implemented rows' mnemonics (docs, tests)."""
    return [ins.mnemonic for ins, _ in implemented(isa)]


__all__ = ["Kind", "UOP", "TensorDecoder", "implemented", "micro_op", "mnemonics",
           "tensor_csrs", "tile_field"]
