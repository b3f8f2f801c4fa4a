"""Every Zve32x instruction form, assembled by us and by LLVM (clang `+zve32x`), must
give the same bytes; our disassembler must print each word back as the line written.

Operands are random (seeded), within what LLVM's assembler accepts: vector register
operands are distinct and the destination is never v0 (LLVM rejects a masked
destination or a carry destination overlapping v0, and widening/gather/slide/compress
destinations overlapping a source); whole-register moves and loads use aligned groups.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from oxcore.config import PRESETS, VectorConfig
from oxcore.isa import isa_for
from oxcore.isa.instruction import Instruction
from oxcore.isa.kinds import VREG, VTYPE, XREG
from sw.asm.assembler import assemble_source
from tests.oxcore.llvm_oracle import llvm_text

CONFIG = PRESETS["default"].replace(name="vector", vector=VectorConfig())
ISA = isa_for(CONFIG)
VECTOR = [ins for ins in ISA.instructions if ins.extension == "Zve32x"]
VARIANTS = 6  # random operand sets per instruction


def _group(ins: Instruction) -> int:
    """Register alignment LLVM requires of this instruction's vector operands."""
    for prefix in ("vmv", "vl", "vs"):
        name = ins.mnemonic
        if name.startswith(prefix) and name[len(prefix):len(prefix) + 1].isdigit() and \
                (name.endswith("r.v") or "re" in name):
            return int(name[len(prefix)])
    return 1


def _operands(ins: Instruction, rng: random.Random) -> dict[str, int]:
    align = _group(ins)
    free = [r for r in range(0, 32, align)]
    rng.shuffle(free)
    values: dict[str, int] = {}
    for fld in ins.operands:
        kind = fld.kind
        if kind is VREG:
            choices = [r for r in free if r != 0] if fld.name in ("vd", "vs3") else free
            reg = rng.choice(choices)
            free.remove(reg)
            values[fld.name] = reg
        elif kind is XREG:
            values[fld.name] = rng.randrange(32)
        elif kind is VTYPE:
            values[fld.name] = (rng.choice([0, 1, 2, 3, 5, 6, 7]) | rng.randrange(3) << 3
                                | rng.randrange(4) << 6)
        elif kind.name == "vmask":
            values[fld.name] = rng.randrange(2)
        else:
            values[fld.name] = rng.randint(fld.min_value, fld.max_value)
    return values


def _lines() -> list[tuple[Instruction, dict[str, int], str]]:
    rng = random.Random(32)
    result = []
    for ins in VECTOR:
        for _ in range(VARIANTS):
            values = _operands(ins, rng)
            result.append((ins, values, ISA.format_operands(ins, values)))
    return result


def test_every_form_matches_llvm(tmp_path: Path) -> None:
    lines = _lines()
    source = "".join(f"{text}\n" for _, _, text in lines)
    ours = assemble_source(source, "v.s", CONFIG, ISA).section(".text").data
    theirs = llvm_text(source, tmp_path, CONFIG, ISA)
    assert len(ours) == len(theirs) == 4 * len(lines)
    wrong = [f"{text}: ours {int.from_bytes(ours[4*i:4*i+4], 'little'):#010x} llvm "
             f"{int.from_bytes(theirs[4*i:4*i+4], 'little'):#010x}"
             for i, (_, _, text) in enumerate(lines) if ours[4*i:4*i+4] != theirs[4*i:4*i+4]]
    assert not wrong, "\n".join(wrong[:40])


def test_disassembly_round_trips() -> None:
    for ins, values, text in _lines():
        word = ins.encode(**values)
        assert ISA.decode(word) is ins, text
        assert ISA.format_instruction(word) == text


def test_every_instruction_of_the_spec_is_present() -> None:
    """Spot checks against the RVV 1.0 instruction listing (one per category)."""
    names = {ins.mnemonic for ins in VECTOR}
    expected = {
        "vsetvli", "vsetivli", "vsetvl", "vle8.v", "vle32ff.v", "vlse16.v", "vluxei8.v",
        "vloxei32.v", "vlseg8e32.v", "vlsseg3e8.v", "vluxseg2ei16.v", "vlseg4e16ff.v",
        "vl8re32.v", "vs4r.v", "vlm.v", "vsm.v", "vsuxei16.v", "vsoxseg7ei8.v",
        "vadd.vi", "vrsub.vx", "vwaddu.wx", "vzext.vf8", "vadc.vim", "vmadc.vv",
        "vmsbc.vxm", "vnsra.wi", "vmsgtu.vi", "vmulhsu.vx", "vrem.vv", "vwmulsu.vv",
        "vwmaccus.vx", "vmerge.vxm", "vmv.v.i", "vsmul.vv", "vssra.vi", "vnclipu.wx",
        "vaaddu.vx", "vwredsum.vs", "vredmaxu.vs", "vmxnor.mm", "vcpop.m", "vfirst.m",
        "vmsof.m", "viota.m", "vid.v", "vmv.x.s", "vmv.s.x", "vslide1down.vx",
        "vrgatherei16.vv", "vcompress.vm", "vmv8r.v",
    }
    assert expected <= names, sorted(expected - names)
    assert len(VECTOR) == 450


@pytest.mark.parametrize("line, message", [
    ("vadd.vv v1, v2, v3, v1.t", "v0.t"),
    ("vle8.v v1, 4(a0)", "base register"),
    ("vadc.vvm v1, v2, v3, v1", "expected 'v0'"),
    ("vsetvli a0, a1, e128, m1", "vtype"),
])
def test_bad_vector_syntax_is_reported(line: str, message: str) -> None:
    from oxcore.errors import SourceError
    with pytest.raises(SourceError) as error:
        assemble_source(line + "\n", "v.s", CONFIG, ISA)
    assert message in str(error.value)
    assert "v.s:1:" in str(error.value)
