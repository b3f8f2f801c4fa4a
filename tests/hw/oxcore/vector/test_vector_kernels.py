"""The hand-written RVV kernels (`sw/kernels/rvv/`) on the vector engine: co-simulated in
lockstep with the interpreter, and their outputs, read back from the RTL's memory,
against numpy. Shapes with a remainder strip; the kernels are software-pipelined, so
loads, stores and arithmetic run at once in the engine's two sequencers, and a broken
hazard check (issue despite a register conflict) must be caught. A hand-written table
lookup (indexed loads) and an RGB de-interleave (segment accesses) are checked the same
way."""

from __future__ import annotations

import pytest

from cosim.cosim_cmd import cosim_program
from cosim.kernels import check_outputs, output_ranges, prepare
from hw.oxcore.vector import engine as engine_module
from oxcore.config import PRESETS
from oxcore.errors import OxCoreError
from sw.kernels import KERNELS, RVV_KERNELS
from tests.hw.oxcore.vector.test_vector_engine import config

VECTOR = PRESETS["vector"]  # VLEN 256, 4 lanes: VLMAX 64 (e32, m8), 256 (e8, m8)
# Each shape leaves a remainder strip and runs the pipelined loop's every exit.
SHAPES = {"rvv_vadd_i8": 600, "rvv_vadd_i32": 197, "rvv_relu_i8": 777,
          "rvv_relu_i32": 250, "rvv_dot_i32": 333, "rvv_dot_i8": 333,
          "rvv_requant_i8": 150}


def _run(name: str, n: int, cfg, seed: int = 3):
    case = prepare(KERNELS[name], {"N": n}, cfg, seed)
    result = cosim_program(cfg, case.program, read_back=output_ranges(case),
                           backend="pysim")
    check = check_outputs(case, lambda addr, size: result.rtl.memory[addr][:size])
    return result, check


def test_every_rvv_kernel_has_a_shape_here():
    assert set(SHAPES) == {k.name for k in RVV_KERNELS}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_rvv_kernel_matches_interpreter_and_numpy(name):
    result, check = _run(name, SHAPES[name], VECTOR)
    assert result.verdict == "pass", result.divergence.report() if result.divergence else \
        result.problems
    assert check.ok, check.errors


@pytest.mark.parametrize("n", [77, 201])
def test_int8_dot_at_odd_lengths(n):
    """rvv_dot_i8's other exits: the remainder strip alone (77 < VLMAX(e8, m4) = 128),
    and one full strip then the remainder (leaving the loop at its first exit); 333 in
    the test above takes the second."""
    result, check = _run("rvv_dot_i8", n, VECTOR, seed=n)
    assert result.verdict == "pass" and check.ok, check.errors


@pytest.mark.parametrize("n", [40, 128, 300, 513])
def test_requantization_at_every_exit(n):
    """rvv_requant_i8's exits (a strip is VLMAX(e32, m8) = 64, whole strips go in
    pairs): the last strips alone (40), exactly one pair (128), two pairs, the second
    on the other register set, and a remainder (300), four pairs and one element
    (513); 150 above takes one pair and 22."""
    result, check = _run("rvv_requant_i8", n, VECTOR, seed=n)
    assert result.verdict == "pass" and check.ok, check.errors


def test_int8_dot_is_exact_at_the_extremes(monkeypatch):
    """Products of -128 * -128 (16384, which int16 holds) summed past int16: exact in
    int32 (an int16 accumulation would overflow at the second)."""
    import numpy as np
    from cosim import kernels as kernels_module

    def extremes(kernel, params, seed):
        values = np.full(params["N"], -128, np.int8)
        values[::7] = 127
        return {"X": values, "Y": np.full(params["N"], -128, np.int8)}
    monkeypatch.setattr(kernels_module, "random_inputs", extremes)
    result, check = _run("rvv_dot_i8", 203, config(128, 2))
    assert result.verdict == "pass" and check.ok, check.errors


def test_rvv_kernel_on_a_narrow_engine():
    """Two lanes at VLEN 128: four beats a register, other strip lengths."""
    result, check = _run("rvv_vadd_i32", 101, config(128, 2))
    assert result.verdict == "pass" and check.ok


# Register conflicts across the two sequencers that streaming alone does not order: a
# compare writes its mask register after a whole pass over its sources, so a store of
# that register (RAW) or a load into it (WAW) issued meanwhile would see or be
# overwritten by the stale value; and a load into a register a running reduction has
# yet to read (WAR); and a narrowing op after a load of its double-width source.
HAZARDS = """
    .text
    .globl _start
_start:
    la s0, data
    addi s1, s0, 256
    vsetvli t0, zero, e8, m8, ta, ma
    vle8.v v8, (s0)
    vle8.v v16, (s1)
    vmv.x.s t1, v16         # the engine has done the loads, then (t1 waits)
    add t1, t1, t1
    vmseq.vi v1, v8, 3      # RAW: the store reads v1 (in v0..v7)
    vse8.v v0, (s1)
    vmv.x.s t1, v16
    add t1, t1, t1
    vmsne.vv v2, v8, v16    # WAW: the load writes v2
    vle8.v v0, (s0)
    vmv.x.s t1, v16
    add t1, t1, t1
    vredsum.vs v24, v16, v8 # WAR: the load writes v16, which the reduction reads
    vle8.v v16, (s0)
    vse8.v v16, (s1)
    vsetvli t0, zero, e8, m2, ta, ma
    vle16.v v16, (s0)       # RAW: EMUL 4 (v16..v19), the narrowing's 2 * LMUL source
    vnclip.wi v24, v16, 3   # (which reads two source beats a cycle)
    vse8.v v24, (s1)
    vmv.x.s a0, v24
    li a7, 93
    li a0, 0
    ecall
    .data
    .p2align 6
data:
""" + "\n".join(f"    .byte {', '.join(str((i * 7 + k) % 5) for k in range(16))}"
                for i in range(32)) + "\n    .zero 256\n"


def test_register_hazards_between_sequencers_are_waited_for(tmp_path):
    from tests.hw.oxcore.vector.test_vector_engine import _cosim
    verdict = _cosim(HAZARDS, VECTOR, tmp_path)
    assert verdict.verdict == "pass", verdict.report


def test_a_missed_register_hazard_is_caught(tmp_path, monkeypatch):
    """Fault injection: the issue logic ignores register conflicts between the two
    sequencers; co-simulation must catch the program above going wrong."""
    from amaranth import Const
    from tests.hw.oxcore.vector.test_vector_engine import _cosim
    monkeypatch.setattr(engine_module, "_overlap", lambda running, head: Const(0))
    verdict = _cosim(HAZARDS, VECTOR, tmp_path)
    assert verdict.verdict == "fail", verdict.report


def test_an_rvv_kernel_needs_a_vector_configuration():
    with pytest.raises(OxCoreError, match=r"runs on the vector engine.*--config vector"):
        prepare(KERNELS["rvv_vadd_i32"], {"N": 8}, PRESETS["default"], 1)


# A widening op's 2*SEW destination spans twice its LMUL: vwmul at e8, m4 writes v16..v23,
# so a load into v20 (the group's upper half) must wait for it (WAW), and vwadd.wv's
# 2*SEW vs2 (v8..v15) must wait for a load into v12 (RAW); v20 and v16 are read back.
WIDENING_HAZARDS = """
    .text
    .globl _start
_start:
    la s0, data
    addi s1, s0, 256
    li t0, 128
    vsetvli t1, t0, e8, m4, ta, ma
    vle8.v v0, (s0)
    vle8.v v4, (s1)
    vmv.x.s t1, v4          # the engine has done the loads, then (t1 waits)
    add t1, t1, t1
    vwmul.vv v16, v0, v4    # vd: v16..v23
    vle8.v v20, (s1)        # WAW on vd's upper half
    vmv.x.s a1, v20
    vwmul.vv v16, v0, v4
    vl1re8.v v23, (s0)      # WAW on vd's last register (a group counted 5 wide missed it)
    vmv.x.s a4, v23
    vle8.v v12, (s0)        # RAW: v12..v15 is the upper half of vwadd.wv's vs2
    vwadd.wv v24, v8, v4
    vmv.x.s a2, v16
    vmv.x.s a3, v28
    li a7, 93
    li a0, 0
    ecall
    .data
    .p2align 6
data:
""" + "\n".join(f"    .byte {', '.join(str((i * 13 + k * 5) % 251) for k in range(16))}"
                for i in range(32)) + "\n"


def test_widening_register_hazards_are_waited_for(tmp_path):
    from tests.hw.oxcore.vector.test_vector_engine import _cosim
    verdict = _cosim(WIDENING_HAZARDS, VECTOR, tmp_path)
    assert verdict.verdict == "pass", verdict.report


def test_a_widening_group_counted_single_is_caught(tmp_path, monkeypatch):
    """Fault injection: the issue logic counts a 2*SEW group as LMUL registers (not
    2 * LMUL); the load into the widening destination's upper half then races it."""
    from tests.hw.oxcore.vector.test_vector_engine import _cosim
    monkeypatch.setattr(engine_module, "_double_group", lambda ones: ones)
    verdict = _cosim(WIDENING_HAZARDS, VECTOR, tmp_path)
    assert verdict.verdict == "fail", verdict.report


# A table lookup with indexed loads: y8[i] = t8[x[i]] (vluxei8 at e8, the uint8 x itself
# the byte offset) and y16[i] = t16[x[i]] (x zero-extended to 16 bits and doubled,
# vluxei16 at e16), strip-mined at e8, m2 / e16, m4 (the same VLMAX), N with a remainder.
LOOKUP_N = 300


def _lookup_program(x, t8, t16) -> str:
    def table(label: str, raw: bytes) -> list[str]:
        return ["    .p2align 6", f"{label}:"] + [
            f"    .byte {', '.join(str(b) for b in raw[i:i + 16])}"
            for i in range(0, len(raw), 16)]
    lines = """
    .text
    .globl _start
_start:
    la a0, x
    la a1, t8
    la a2, t16
    la a3, y8
    la a4, y16
    li a5, {n}
strip:
    vsetvli t0, a5, e8, m2, ta, ma
    vle8.v v4, (a0)             # x: the byte offsets into t8
    vluxei8.v v12, (a1), v4     # y8 = t8[x]
    vse8.v v12, (a3)
    vsetvli zero, zero, e16, m4, ta, ma
    vzext.vf2 v8, v4
    vadd.vv v8, v8, v8          # 2 * x: the byte offsets into t16
    vluxei16.v v16, (a2), v8    # y16 = t16[x]
    vse16.v v16, (a4)
    add a0, a0, t0
    add a3, a3, t0
    add a4, a4, t0
    add a4, a4, t0
    sub a5, a5, t0
    bnez a5, strip
    li a0, 0
    li a7, 93
    ecall
    .data
""".format(n=len(x)).strip("\n").split("\n")
    lines += table("x", x.tobytes()) + table("t8", t8.tobytes()) + table("t16", t16.tobytes())
    lines += ["    .p2align 6", "y8:", f"    .zero {len(x)}", "    .p2align 6", "y16:",
              f"    .zero {2 * len(x)}"]
    return "\n".join(lines) + "\n"


def test_table_lookup_with_indexed_loads_matches_numpy(tmp_path):
    import numpy as np
    from oxcore import api
    from sw.asm.assembler import assemble_source
    from sw.asm.driver import render
    from cosim.cosim_cmd import cosim_program
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, LOOKUP_N, dtype=np.uint8)
    x[:4] = (255, 0, 255, 128)  # the ends of the table, repeated
    t8 = rng.integers(-128, 128, 256, dtype=np.int8)
    t16 = rng.integers(-32768, 32768, 256, dtype=np.int16)
    cfg = config(128, 2)
    image = assemble_source(_lookup_program(x, t8, t16), "lookup.S", cfg)
    elf = tmp_path / "lookup.elf"
    elf.write_bytes(render(image, "elf", cfg))
    program = api.load(elf, cfg).program
    y8, y16 = program.symbol("y8").addr, program.symbol("y16").addr
    result = cosim_program(cfg, program, read_back=((y8, LOOKUP_N), (y16, 2 * LOOKUP_N)),
                           backend="pysim")
    assert result.verdict == "pass", result.divergence.report() if result.divergence else \
        result.problems
    memory = result.rtl.memory
    assert (np.frombuffer(memory[y8][:LOOKUP_N], np.int8) == t8[x]).all()
    assert (np.frombuffer(memory[y16][:2 * LOOKUP_N], np.int16) == t16[x]).all()


# An indexed access reads its index group (vs2, index EMUL = index EEW / SEW * LMUL)
# element by element, three cycles an element: a vadd writing that group (v8..v11 for
# vluxei32 at e32, m4) must wait for the load to finish (WAR), or the later elements
# would take the new indices; likewise a load after the vadd waits for it (RAW).
INDEXED_HAZARDS = """
    .text
    .globl _start
_start:
    la s0, data
    addi s1, s0, 256
    li t0, 16
    vsetvli t1, t0, e32, m4, ta, ma
    vle32.v v8, (s0)        # indices 0, 4, 8, ... (as 32-bit words)
    vmv.x.s t1, v8          # the engine has done the load, then (t1 waits)
    add t1, t1, t1
    vluxei32.v v4, (s1), v8
    vadd.vi v8, v8, 4       # WAR: the indexed load reads v8..v11 meanwhile
    vluxei32.v v12, (s1), v8 # RAW
    vse32.v v4, (s0)
    vse32.v v12, (s1)
    li a0, 0
    li a7, 93
    ecall
    .data
    .p2align 6
data:
""" + "\n".join(f"    .word {', '.join(str(4 * (i * 4 + k)) for k in range(4))}"
                for i in range(16)) + "\n" + "\n".join(
    f"    .byte {', '.join(str((i * 11 + k * 3) % 256) for k in range(16))}"
    for i in range(16)) + "\n"


def test_an_indexed_access_waits_for_its_index_group(tmp_path):
    from tests.hw.oxcore.vector.test_vector_engine import _cosim
    verdict = _cosim(INDEXED_HAZARDS, VECTOR, tmp_path)
    assert verdict.verdict == "pass", verdict.report


def test_an_index_group_left_out_of_the_issue_check_is_caught(tmp_path, monkeypatch):
    """Fault injection: the issue check leaves out the index group; the vadd then
    overwrites the indices the indexed load has yet to read."""
    from amaranth import Const
    from tests.hw.oxcore.vector.test_vector_engine import _cosim
    monkeypatch.setattr(engine_module, "_index_group", lambda ones: Const(0, 8))
    verdict = _cosim(INDEXED_HAZARDS, VECTOR, tmp_path)
    assert verdict.verdict == "fail", verdict.report
    assert "vluxei32.v" in verdict.report


# De-interleaving RGB pixels with a segment load: vlseg3e8 at e8, m2 puts the strip's R,
# G and B bytes in v8, v10, v12 (three groups: six registers), stored as planes; v14 = R
# again, so vsseg3e8 of v10..v14 stores the pixels rotated (G, B, R). N has a remainder.
RGB_N = 100
RGB_PROGRAM = """
    .text
    .globl _start
_start:
    la a0, rgb
    la a1, r
    la a2, g
    la a3, b
    la a4, gbr
    li a5, {n}
strip:
    vsetvli t0, a5, e8, m2, ta, ma
    vlseg3e8.v v8, (a0)         # v8: R, v10: G, v12: B
    vse8.v v8, (a1)
    vse8.v v10, (a2)
    vse8.v v12, (a3)
    vmv.v.v v14, v8
    vsseg3e8.v v10, (a4)        # G, B, R
    add t1, t0, t0
    add t1, t1, t0              # 3 bytes a pixel
    add a0, a0, t1
    add a4, a4, t1
    add a1, a1, t0
    add a2, a2, t0
    add a3, a3, t0
    sub a5, a5, t0
    bnez a5, strip
    li a0, 0
    li a7, 93
    ecall
    .data
"""


def test_rgb_deinterleave_with_segment_accesses_matches_numpy(tmp_path):
    import numpy as np
    from oxcore import api
    from sw.asm.assembler import assemble_source
    from sw.asm.driver import render
    rgb = np.random.default_rng(9).integers(0, 256, (RGB_N, 3), dtype=np.uint8)
    lines = RGB_PROGRAM.format(n=RGB_N).strip("\n").split("\n")
    lines += ["    .p2align 6", "rgb:"] + [
        f"    .byte {', '.join(str(v) for v in rgb.reshape(-1)[i:i + 16])}"
        for i in range(0, 3 * RGB_N, 16)]
    for label, size in (("r", RGB_N), ("g", RGB_N), ("b", RGB_N), ("gbr", 3 * RGB_N)):
        lines += ["    .p2align 6", f"{label}:", f"    .zero {size}"]
    cfg = config(128, 2)
    image = assemble_source("\n".join(lines) + "\n", "rgb.S", cfg)
    elf = tmp_path / "rgb.elf"
    elf.write_bytes(render(image, "elf", cfg))
    program = api.load(elf, cfg).program
    where = {label: program.symbol(label).addr for label in ("r", "g", "b", "gbr")}
    result = cosim_program(cfg, program, read_back=(
        (where["r"], RGB_N), (where["g"], RGB_N), (where["b"], RGB_N),
        (where["gbr"], 3 * RGB_N)), backend="pysim")
    assert result.verdict == "pass", result.divergence.report() if result.divergence else \
        result.problems
    memory = result.rtl.memory
    for channel, label in enumerate("rgb"):
        assert (np.frombuffer(memory[where[label]][:RGB_N], np.uint8)
                == rgb[:, channel]).all()
    assert (np.frombuffer(memory[where["gbr"]][:3 * RGB_N], np.uint8)
            == rgb[:, [1, 2, 0]].reshape(-1)).all()
