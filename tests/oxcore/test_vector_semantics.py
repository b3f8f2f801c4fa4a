"""Directed checks of the vector unit's semantics (oxcore/isa/vector), each from the
RVV 1.0 spec text, for differences the random QEMU comparison found
(tests/cosim/test_vector_qemu.py, cosim/vector_fuzz.py)."""

from __future__ import annotations

import pytest

from cosim.iss import run_elf
from oxcore.config import PRESETS, VectorConfig
from oxcore.retire import TrapCause
from sw.asm.assembler import assemble_source
from sw.asm.driver import render

CONFIG = PRESETS["default"].replace(name="vector", vector=VectorConfig(vlen=128))


def run(body: str, tmp_path):
    """Run `body` (after `_start:`; a1 points at a 256-byte zeroed buffer), then write
    v8..v15 (128 bytes) and exit(0)."""
    src = f"""
    .data
    .p2align 4
buf: .zero 256
out: .zero 128
    .text
    .globl _start
_start:
    la a1, buf
{body}
    la a1, out
    vsetvli t0, zero, e8, m8, ta, ma
    vse8.v v8, (a1)
    li a0, 1
    li a2, 128
    li a7, 64
    ecall
    li a0, 0
    li a7, 93
    ecall
"""
    elf = tmp_path / "t.elf"
    elf.write_bytes(render(assemble_source(src, "t.S", CONFIG), "elf", CONFIG))
    return run_elf(elf, CONFIG)


@pytest.mark.parametrize("dest,legal", [("v8", True), ("v10", False), ("v12", False),
                                        ("v13", True)])
def test_indexed_segment_load_may_not_overlap_its_index(tmp_path, dest, legal):
    """Spec 7.8.3: "For vector indexed segment loads, the destination vector register
    groups cannot overlap the source vector register group (specified by vs2), else the
    instruction encoding is reserved" -- even where EEW = SEW would let a single-field
    load overlap (spec 5.2). Fields v10..v13 (nf = 4) against index v12 is reserved,
    as is v12..v15; v8..v11 and v13..v16 are clear of it."""
    outcome = run(f"""
    vsetivli t0, 4, e8, m1, ta, ma
    vmv.v.i v12, 0
    vloxseg4ei8.v {dest}, (a1), v12
""", tmp_path)
    if legal:
        assert outcome.trap is None and outcome.exit_code == 0
    else:
        assert outcome.trap == TrapCause.ILLEGAL_INSTRUCTION


def test_single_field_indexed_load_may_overlap_an_index_of_its_eew(tmp_path):
    """Spec 5.2: the same EEW may overlap (nf = 1): vloxei8 v12, (a1), v12 loads
    buf[v12[i]] (all zero offsets: buf[0] = 0x5a) into every body element."""
    outcome = run("""
    li t1, 0x5a
    sb t1, 0(a1)
    vsetivli t0, 4, e8, m1, ta, ma
    vmv.v.i v12, 0
    vloxei8.v v12, (a1), v12
    vmv.v.v v8, v12
""", tmp_path)
    assert outcome.trap is None
    assert outcome.stdout[:4] == b"\x5a" * 4



def test_velements_counts_body_elements(tmp_path):
    """The velements counter (docs/vector.md), on rows the RTL engine does not execute
    yet too: vl - vstart for each instruction with a body, masked or not (8 + 8); the
    bytes of a mask load or store (2 + 2 at vl 9); 9 - 6 with vstart 6; the registers'
    elements of a whole-register load (32 bytes); the trimmed vl of a fault-only-first
    load (4: element 4 is past the end of RAM); nothing for vset{i}vl{i}, vmv.x.s and
    csr instructions."""
    outcome = run(f"""
    csrr s1, velements
    vsetivli t0, 8, e8, m1, ta, ma
    vadd.vv v8, v9, v9
    vsub.vv v8, v9, v9, v0.t
    vmv.x.s t1, v8
    vsetivli t0, 9, e8, m1, ta, ma
    vlm.v v9, (a1)
    vsm.v v9, (a1)
    csrwi vstart, 6
    vadd.vv v10, v9, v9
    csrwi vxrm, 1
    vl2re8.v v12, (a1)
    vsetivli t0, 8, e8, m1, ta, ma
    li t3, {CONFIG.mem_base + CONFIG.mem_size - 4:#x}  # (RAM's last word)
    vle8ff.v v14, (t3)
    csrr s2, velements
    sub a0, s2, s1
    li a7, 93
    ecall
""", tmp_path)
    assert outcome.trap is None
    assert outcome.exit_code == 8 + 8 + 2 + 2 + 3 + 32 + 4


def test_a_masked_off_element_outside_ram_is_not_recorded(tmp_path):
    """A unit-stride load's record (MemAccess per VLENB bytes, with a mask of the bytes
    moved) when a masked-off element lies outside RAM: past its end (vle32 from its last
    word, element 1 off) and, wrapping, below its start (element 0 off): the bytes not
    moved are not read, they are 0 and unmasked in the record."""
    from oxcore import api
    end, start = CONFIG.mem_base + CONFIG.mem_size, CONFIG.mem_base
    src = f"""
    .text
    .globl _start
_start:
    li t0, {end - 4:#x}
    li t1, 0x11223344
    sw t1, 0(t0)
    vsetivli zero, 2, e32, m1, ta, mu
    li t2, 1
    vmv.s.x v0, t2
    vle32.v v8, (t0), v0.t
    li t2, 2
    vmv.s.x v0, t2
    li t0, {start - 4:#x}
    vle32.v v9, (t0), v0.t
    li a0, 0
    li a7, 93
    ecall
"""
    elf = tmp_path / "t.elf"
    elf.write_bytes(render(assemble_source(src, "t.S", CONFIG), "elf", CONFIG))
    result = api.run(api.load(elf, CONFIG), records=True)
    mem = result.records.effects_of("mem")
    loads = [(int(a), int(d), int(k)) for a, s, w, d, k in zip(
        *(mem.columns[f] for f in ("addr", "size", "write", "data", "mask"))) if s == 8 and not w]
    assert result.exit_code == 0
    assert loads[0] == (end - 4, 0x11223344, 0x0F)
    assert loads[1][0] == start - 4 and loads[1][1] & 0xFFFF_FFFF == 0 and loads[1][2] == 0xF0
