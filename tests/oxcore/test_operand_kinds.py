"""The RVV operand kinds (`VREG`, `VMASK`, `VTYPE`) checked against LLVM.

No RVV instruction is in the ISA yet (the vector engine brings them); two rows shaped
like RVV's `vsetvli` and `vadd.vv` are declared here, with placeholder semantics, so the
assembler's handling of a composite operand (``e32, m1, ta, ma``) and of an optional
trailing ``v0.t`` can be compared byte for byte with clang's assembler, which knows the
real instructions (`-mcpu` gains `+zve32x` from the extension's clang feature).
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from oxcore.config import PRESETS
from oxcore.isa import Extension, isa_for
from oxcore.isa.fields import Format, simple
from oxcore.isa.instruction import Instruction
from oxcore.isa.kinds import VMASK, VREG, VTYPE, XREG
from oxcore.isa.regfile import V, X
from sw.asm.assembler import assemble_source
from tests.oxcore.llvm_oracle import llvm_text

CONFIG = PRESETS["default"]
OP_V = 0b1010111

VSETVLI = Instruction(
    "vsetvli", "Zve32x", Format("OPV-CFG", (
        simple("opcode", 6, 0), simple("rd", 11, 7, XREG), simple("funct3", 14, 12),
        simple("rs1", 19, 15, XREG), simple("zimm", 30, 20, VTYPE), simple("bit31", 31, 31))),
    dict(opcode=OP_V, funct3=0b111, bit31=0), "{rd}, {rs1}, {zimm}", "x[rd] = x[rs1]",
    "set vector length (placeholder semantics)", engine="vector")
VADD_VV = Instruction(
    "vadd.vv", "Zve32x", Format("OPIVV", (
        simple("opcode", 6, 0), simple("vd", 11, 7, VREG), simple("funct3", 14, 12),
        simple("vs1", 19, 15, VREG), simple("vs2", 24, 20, VREG), simple("vm", 25, 25, VMASK),
        simple("funct6", 31, 26))),
    dict(opcode=OP_V, funct3=0b000, funct6=0), "{vd}, {vs2}, {vs1}, {vm}",
    "v[vd] = v[vs2] + v[vs1]", "vector add (placeholder semantics)", engine="vector")
ZVE32X = Extension("Zve32x", "zve32x", (VSETVLI, VADD_VV), register_files=(V,))
ISA = isa_for(CONFIG, extra=(ZVE32X,))

VTYPES = [", ".join(parts) for parts in itertools.product(
    VTYPE.SEW, VTYPE.LMUL, VTYPE.TAIL, VTYPE.MASK)]
VTYPES += [f"{sew}, {lmul}" for sew, lmul in itertools.product(VTYPE.SEW, VTYPE.LMUL)]


def _ours(source: str) -> bytes:
    return assemble_source(source, "v.s", CONFIG, ISA).section(".text").data


def _program() -> str:
    rng = random.Random(11)
    lines = [f"vsetvli {rng.choice(X.abi_names)}, {rng.choice(X.abi_names)}, {vtype}"
             for vtype in VTYPES]
    for _ in range(40):
        masked = rng.random() < 0.5
        vd = rng.randrange(1 if masked else 0, 32)  # LLVM: a masked vd must not be v0
        vs2, vs1 = rng.randrange(32), rng.randrange(32)
        lines.append(f"vadd.vv v{vd}, v{vs2}, v{vs1}" + (", v0.t" if masked else ""))
    return "\n".join(lines) + "\n"


def test_mcpu_names_the_vector_extension():
    assert ISA.mcpu == "generic_rv32+m+zicsr+zve32x"


def test_vtype_list_and_optional_mask_match_llvm(tmp_path: Path):
    source = _program()
    assert _ours(source) == llvm_text(source, tmp_path, CONFIG, ISA)


def test_vtype_known_value():
    # e32 (vsew=2 at bits 5:3), m1 (vlmul=0), ta (bit 6), ma (bit 7): 0xd0
    assert VTYPE.parse(["e32", "m1", "ta", "ma"], ISA) == 0xD0
    assert VTYPE.parse(["e32", "m1"], ISA) == 0x10


def test_disassembly_reassembles_to_the_same_words():
    data = _ours(_program())
    for i in range(0, len(data), 4):
        word = int.from_bytes(data[i:i + 4], "little")
        assert _ours(ISA.format_instruction(word) + "\n") == data[i:i + 4]
    assert ISA.format_instruction(0x0D0572D7) == "vsetvli t0, a0, e32, m1, ta, ma"
    assert ISA.format_instruction(0x002180D7) == "vadd.vv v1, v2, v3, v0.t"
    assert ISA.format_instruction(0x022180D7) == "vadd.vv v1, v2, v3"


@pytest.mark.parametrize("source, col, fragment", [
    ("vsetvli t0, a0, e7, m1, ta, ma", 17, "expected a vtype list"),
    ("vsetvli t0, a0, e32", 1, "takes 4 or 5 or 6 operands, got 3"),
    ("vadd.vv v1, v2, a3", 17, "unknown register 'a3'"),
    ("vadd.vv v1, v2, v3, v1.t", 21, "expected 'v0.t'"),
])
def test_errors(source, col, fragment):
    with pytest.raises(Exception) as info:
        _ours(source + "\n")
    assert str(info.value).startswith(f"v.s:1:{col}: error: ")
    assert fragment in str(info.value)
