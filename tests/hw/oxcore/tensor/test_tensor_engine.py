"""The tensor engine's RTL against the golden interpreter, in lockstep.

Directed programs per instruction, and random programs of tile loads and stores (random
bases, strides: negative, zero, not a multiple of the port width), tzero, tmma/tmmau on
overlapping tiles, tst.b under random requantization parameters and the tensor CSRs
through csr instructions, mixed with scalar loads, stores and arithmetic. Every tile,
memory and CSR effect is compared (`oxcore.api.cosim`) at TDIM 4 and 8. A deliberately
wrong accumulator index and a missed tile hazard (fault injection) must be caught.
"""

from pathlib import Path

import pytest
from amaranth import Const, Signal

from cosim.tensor_fuzz import load_source, program, random_body
from cosim.tensor_fuzz import tile_load as _load
from cosim.tensor_fuzz import tile_store as _store
from hw.oxcore.tensor import engine as engine_module
from hw.oxcore.tensor import geometry as geometry_module
from hw.oxcore.tensor import mac_array as mac_array_module
from hw.oxcore.tensor.decode import mnemonics
from oxcore import api
from oxcore.config import PRESETS, TensorConfig
from oxcore.isa import isa_for

def config(tdim: int, port_bits: int = 256):
    return PRESETS["default"].replace(
        name=f"t{tdim}p{port_bits}", tensor=TensorConfig(tdim=tdim, port_bits=port_bits))


def cosim(source: str, cfg, tmp_path: Path, name: str = "t") -> api.CosimVerdict:
    return api.cosim(load_source(source, cfg, tmp_path, name), backend="pysim",
                     max_cycles=60_000)


REQUANT = ["    li t2, 0x40000000", "    csrw tqmul, t2", "    csrwi tqshift, 3",
           "    li t2, -5", "    csrw tqzp, t2", "    csrwi tqrm, 1"]

DIRECTED = {
    "tzero": ["    tzero m3", "    tzero m0"],
    "tld.b": _load(1, "s0", 3, 7, False) + _load(2, "s0", 200, -9, False),
    "tld.w": _load(1, "s0", 4, 36, True) + _load(5, "s0", 400, -40, True)
    + _load(6, "s0", 60, 0, True),
    # transposed loads: strides not a multiple of the port (memory rows straddle port
    # words), negative, zero; tmma from them; then with the edges (trows cuts each
    # memory row, tcolb the memory rows; trow0 not used) over stale tile data
    "tld.bt": _load(1, "s0", 3, 7, False, True) + _load(2, "s0", 500, -9, False, True)
    + _load(3, "s0", 61, 0, False, True) + _load(4, "s0", 0, 16, False)
    + ["    tzero m0", "    tmma m0, m4, m1", "    tmma m0, m4, m2", "    tmma m3, m3, m3"]
    + ["    csrwi trows, 3", "    li t2, 9", "    csrw tcolb, t2", "    csrwi trow0, 2"]
    + _load(1, "s0", 30, 29, False, True) + _load(2, "s0", 800, -3, False, True)
    + ["    csrwi trows, 0", "    csrw tcolb, zero", "    csrwi trow0, 0"]
    + _store(1, 0, 64, True) + _store(2, 256, 64, True) + _store(0, 512, 16, True),
    # whole tiles under edges that would cut tld.w/tst.w: saved and reloaded whole,
    # back to back with edged tst.w before and after (the rows in flight keep their
    # size), a tlr right behind its tsr, and tzero/tmma on the saved tile meanwhile
    "tlr_tsr": _load(1, "s0", 0, 16, True) + _load(2, "s0", 64, 16, False)
    + ["    csrwi trow0, 1", "    csrwi trows, 3", "    li t2, 6", "    csrw tcolb, t2"]
    + _store(1, 0, 20, True) + ["    addi t0, s1, 128", "    tsr m1, (t0)",
                                 "    tsr m2, (t0)", "    tzero m1", "    tlr m3, (t0)",
                                 "    tmma m1, m2, m2", "    addi t0, s1, 64", "    tsr m1, (t0)"]
    + _store(3, 400, 24, True) + ["    tlr m5, (t0)", "    lw a1, 64(s1)"]
    + ["    csrwi trow0, 0", "    csrwi trows, 0", "    csrw tcolb, zero"]
    + _store(5, 600, 16, True),
    # the MAC unit busy with a tmma and one parked behind it: a load on other tiles
    # passes it, one into its source waits (and a transposed one behind that), a tmma
    # behind waits for it; a load into a parked tmma's destination, a store, a csr
    # instruction; then the results
    "pass_a_parked_tmma": _load(4, "s0", 0, 16, False) + _load(5, "s0", 64, 16, False)
    + ["    tzero m0", "    tmma m0, m4, m5", "    tmma m1, m4, m5"]
    + _load(2, "s0", 128, 16, False) + _load(1, "s0", 200, 16, False)
    + _load(3, "s0", 3, 7, False, True) + ["    tmma m7, m4, m5"]
    + _load(1, "s0", 300, 16, True) + _store(0, 0, 16, True)
    + ["    csrwi trows, 3", "    tmma m6, m2, m3"] + _load(4, "s0", 400, 16, False)
    + ["    csrwi trows, 0"] + _store(1, 256, 16, True) + _store(6, 512, 16, True),
    # a tmma right behind one on its tile (it starts from the sums the array still
    # holds) and right behind tzero (from zeros: not the array's sums of the tmma
    # before, nor what the tile held before the tzero)
    "tmma": _load(1, "s0", 0, 16, False) + _load(2, "s0", 100, 5, False)
    + ["    tzero m0", "    tmma m0, m1, m2", "    tmma m0, m1, m2", "    tmma m1, m1, m1",
       "    tmma m0, m1, m2", "    tzero m3", "    tmma m3, m1, m2", "    tzero m0",
       "    tmma m0, m1, m2"],
    "tmmau": _load(1, "s0", 0, 16, False) + _load(2, "s0", 100, 5, False)
    + ["    tmmau m3, m1, m2", "    tmmau m2, m2, m1"],
    "tst.w": _load(4, "s0", 8, 44, True) + _store(4, 12, 40, True) + _store(4, 600, -36, True)
    + ["    lw a1, 12(s1)"],
    "tst.b": _load(4, "s0", 8, 44, True) + _load(3, "s0", 5, 11, False) + REQUANT
    + _store(3, 3, 9, False) + ["    csrr a2, tqsat"] + _store(4, 77, 5, False)
    + _store(4, 500, 0, False) + ["    csrr a2, tqsat", "    csrwi tqsat, 0",
                                  "    li t2, 0x7fffffff", "    csrw tqmul, t2",
                                  "    csrwi tqshift, 0", "    csrwi tqrm, 3"]
    + _store(4, 300, -11, False) + ["    csrr a2, tqsat"],
    "edges": _load(1, "s0", 0, 16, True) + _load(2, "s0", 64, 16, True)  # stale data
    + _load(3, "s0", 128, 16, True) + ["    csrwi trows, 3", "    li t2, 5", "    csrw tcolb, t2"]
    + _load(1, "s0", 3, 7, False) + _load(2, "s0", 40, -20, True) + REQUANT
    + ["    tmma m0, m1, m2"] + _store(0, 8, 24, True) + _store(0, 101, 5, False)
    + ["    csrwi trows, 1", "    li t2, 12", "    csrw tcolb, t2"]
    + _load(3, "s0", 512, 8, True) + _store(1, 300, 16, False) + _store(3, 700, 4, True)
    + ["    csrwi trows, 0", "    csrw tcolb, zero"] + _load(4, "s0", 64, 16, True)
    + ["    csrr a1, trows", "    csrr a2, tcolb"],
    # trow0: loads and stores from a first row on (over stale tile data), with trows
    # and tcolb; trow0 >= trows (a load zeroes its tile, a store does nothing); a base
    # whose skipped rows lie below RAM (never requested); reading trow0 back (WARL)
    "first_row": _load(1, "s0", 0, 16, True) + _load(2, "s0", 64, 16, True)
    + ["    csrwi trow0, 1"] + _load(1, "s0", 3, 7, False) + _store(2, 8, 24, True)
    + ["    csrwi trows, 3", "    li t2, 9", "    csrw tcolb, t2", "    csrwi trow0, 2"]
    + _load(2, "s0", 40, -20, True) + REQUANT + ["    tmma m0, m1, m2"]
    + _store(0, 101, 5, False) + _store(2, 200, 16, True)
    + ["    csrwi trow0, 3"] + _load(3, "s0", 128, 16, True) + _store(3, 300, 16, True)
    + ["    csrwi trows, 0", "    csrw tcolb, zero", "    csrwi trow0, 3",
       "    li t0, 0x30000000", "    sub t0, s0, t0", "    li t1, 0x10000000",
       "    tld.b m4, (t0), t1"] + _store(4, 400, 0, False)
    + ["    li t2, -1", "    csrrw a1, trow0, t2", "    csrr a2, trow0"]
    + _load(5, "s0", 0, 16, False) + ["    csrwi trow0, 0"] + _store(5, 500, 16, True),
    # the activation clamp: ReLU's window, a narrow one, an empty one (tqmin > tqmax),
    # csr instructions reading them back sign-extended, and back to no clamp
    "tst.b_clamp": _load(4, "s0", 8, 44, True) + REQUANT
    + ["    csrr a1, tqmin", "    csrr a2, tqmax", "    li t2, -5", "    csrw tqmin, t2"]
    + _store(4, 3, 9, False) + ["    li t2, -3", "    csrrw a3, tqmin, t2",
                                "    csrwi tqmax, 9"]
    + _store(4, 77, 5, False) + ["    li t2, 0x1f0", "    csrrs a4, tqmin, t2",
                                 "    csrrc a5, tqmax, t2"]
    + _store(4, 300, -11, False) + ["    li t2, -128", "    csrw tqmin, t2",
                                    "    li t2, 127", "    csrrw a6, tqmax, t2"]
    + _store(4, 500, 4, False) + ["    csrr a2, tqsat"],
    # WB waits to dispatch tzero m6 (the queue is full of tmma) while the mul behind it
    # is in flight: its result must not pass it by (the hazard unit holds the mul).
    "mul_behind_a_waiting_dispatch": ["    li t0, 8", "    li a6, 160", "    tzero m4",
                                      "    tzero m5"]
    + [f"    tmma m{i % 4}, m4, m5" for i in range(8)]
    + ["    tzero m6", "    mul t5, t0, a6", "    mulh t4, t0, a6", "    mv a1, t5",
       "    li t1, 32", "    csrw tcolb, t1", "    mul t3, t5, a6", "    add a2, t3, t4"],
    # a scalar load behind a queued tile store (behind tmma) reads what it stores; one
    # behind only loads and tmma goes ahead (memory order, hw/oxcore/engine.py)
    "load_behind_a_queued_store": _load(4, "s0", 8, 44, True) + ["    tzero m5"]
    + [f"    tmma m{i % 4}, m5, m5" for i in range(6)] + _store(4, 12, 40, True)
    + ["    lw a1, 12(s1)", "    lw a2, 52(s1)"] + _load(6, "s0", 64, 16, True)
    + ["    tmma m0, m5, m5", "    lw a3, 16(s1)", "    sw a3, 20(s1)", "    lw a4, 20(s1)"],
    # a store's tile is free once copied (the store writes its rows from the copy):
    # tzero and tmma into it right behind tst.w and the pipelined tst.b must not change
    # what they store
    "rewritten_while_stored": _load(2, "s0", 8, 44, True) + _load(1, "s0", 0, 16, False)
    + _store(2, 12, 40, True) + ["    tzero m2"] + _load(2, "s0", 8, 44, True) + REQUANT
    + _store(2, 3, 9, False) + ["    tmma m2, m1, m1"] + _store(2, 600, -36, True),
    # scalar loads right behind a lone tile store, of its last row and of its first:
    # the store's last word may still be in the LSU's request register when the LSU is
    # done (writes_memory must cover it)
    "load_right_behind_a_store": _load(4, "s0", 8, 44, True)
    + _store(4, 12, 16, True) + ["    lw a1, 60(s1)", "    lw a2, 12(s1)"]
    + _store(4, 100, 20, True) + ["    lw a3, 160(s1)", "    lw a4, 172(s1)"],
    # stores back to back: the next starts feeding its rows while the last rows of the
    # one before are still in the requantizer's pipeline or the row register. Writes
    # must stay in order (overlapping rows, the later store's bytes win), tqsat must
    # be set by the store that saturated (a zero tile first: no clamp), single-row
    # stores put rows of several stores in the pipeline at once; a tile load, a
    # tst.w (the other kind) and scalar loads right behind must see every row
    "stores_back_to_back": _load(4, "s0", 8, 44, True) + _load(3, "s0", 5, 11, False)
    + ["    tzero m5"] + REQUANT + ["    li t2, 0x7fffffff", "    csrw tqmul, t2"]
    + _store(5, 3, 9, False) + _store(4, 8, 9, False) + _store(3, 14, 7, False)
    + _load(6, "s1", 0, 12, False) + _store(4, 100, 16, True) + _store(3, 160, 8, True)
    + _store(5, 164, 8, True) + _store(6, 400, 12, True) + _store(3, 200, 8, False)
    + ["    lw a1, 200(s1)", "    lw a2, 400(s1)", "    csrwi trows, 1", "    csrwi tqsat, 0"]
    + _store(5, 300, 4, False) + _store(4, 301, 4, False) + _store(3, 302, 4, False)
    + _store(4, 303, 4, False) + ["    csrr a3, tqsat", "    csrwi trows, 3",
                                  "    csrwi trow0, 1"]
    + _store(4, 320, -8, False) + _store(3, 324, 8, False) + _store(6, 340, 4, True)
    + ["    lw a4, 324(s1)"],
    "csr": ["    csrr a1, tdim", "    csrr a2, tlenb", "    li t2, -1", "    csrw tqshift, t2",
            "    csrrs a3, tqshift, zero", "    csrrci a4, tqshift, 5", "    csrrw a5, tqmul, t2",
            "    csrrsi a6, tqrm, 7", "    csrrc a7, tqzp, t2", "    csrr a1, tqsat"],
}


def test_decoder_implements_every_tensor_row():
    cfg = config(4)
    assert set(mnemonics(isa_for(cfg))) == {
        ins.mnemonic for ins in isa_for(cfg).instructions if ins.engine == "tensor"}


def test_engine_converts_to_rtlil():
    """Synthesizable constructs only (what an FPGA build would take), at TDIM 4."""
    from amaranth.back import rtlil

    from hw.oxcore.tensor import TensorEngine
    cfg = config(4)
    assert "tlsu_commit" in rtlil.convert(TensorEngine.for_config(cfg, cfg.tensor), name="tensor")


@pytest.mark.parametrize("name", sorted(DIRECTED))
def test_directed_program_matches_the_interpreter(name, tmp_path):
    verdict = cosim(program(DIRECTED[name]), config(4), tmp_path, name.replace(".", "_"))
    assert verdict.verdict == "pass", verdict.report


@pytest.mark.parametrize("tdim, port_bits, seed", [(4, 256, 1), (4, 64, 2), (8, 256, 3),
                                                   (8, 128, 4), (8, 32, 5), (16, 256, 7),
                                                   (4, 1024, 8)])
def test_random_programs_match_the_interpreter(tdim, port_bits, seed, tmp_path):
    source = program(random_body(seed, tdim), seed)
    verdict = cosim(source, config(tdim, port_bits), tmp_path, f"r{seed}")
    assert verdict.verdict == "pass", verdict.report


@pytest.mark.parametrize("name", ["stores_back_to_back", "edges", "load_right_behind_a_store",
                                  "random"])
def test_a_memory_port_that_refuses_requests_only_changes_the_timing(name, tmp_path,
                                                                      monkeypatch):
    """The RAM refuses the engine's port about one cycle in four (`RefusingRam`; a real
    configuration never does, the core having its own side of the banks): the skid
    buffer, the stalled load requests and the store pipeline held on `ready` must keep
    every record as the interpreter has it."""
    from tests.hw.oxcore import refusing_ram
    refusing_ram.install(monkeypatch)
    body = random_body(12, 4) if name == "random" else DIRECTED[name]
    verdict = cosim(program(body, 12), config(4, 64), tmp_path, f"refused_{name}")
    assert verdict.verdict == "pass", verdict.report


def test_a_random_program_with_both_engines_matches_the_interpreter(tmp_path):
    """cosim.tensor_fuzz's mix (make fuzz runs many): tile, RVV and scalar instructions
    on shared memory, with the vector engine beside the tensor engine."""
    from cosim.tensor_fuzz import run_seed
    _, verdict = run_seed(11, 4, 40, "pysim", tmp_path)
    assert verdict.verdict == "pass", verdict.report


# tmma into m0 while the LSU loads the next operands and stores the previous result:
# with the tile scoreboard broken, tld m1 overwrites ms1 of the running tmma, and the
# tst.w stores m2 before the tmma into it is done.
HAZARDS = (_load(1, "s0", 0, 16, False) + _load(2, "s0", 64, 16, False)
           + ["    tmma m0, m1, m2"] + _load(1, "s0", 128, 16, False)
           + ["    tmma m2, m1, m1"] + _store(2, 0, 16, True))


def test_tile_hazards_between_units_are_waited_for(tmp_path):
    verdict = cosim(program(HAZARDS), config(4), tmp_path, "hazards")
    assert verdict.verdict == "pass", verdict.report


def test_a_missed_tile_hazard_is_caught(tmp_path, monkeypatch):
    """Fault injection: the issue logic ignores tile conflicts between the two units."""
    monkeypatch.setattr(engine_module, "_overlap", lambda running, head: Const(0))
    verdict = cosim(program(HAZARDS), config(4), tmp_path, "missed")
    assert verdict.verdict == "fail", verdict.report


def test_a_wrong_accumulator_index_is_caught(tmp_path, monkeypatch):
    """Fault injection: the MAC array writes the transposed product."""
    monkeypatch.setattr(mac_array_module, "accumulator_index", lambda i, j, tdim: j * tdim + i)
    verdict = cosim(program(DIRECTED["tmma"]), config(4), tmp_path, "transposed")
    assert verdict.verdict == "fail"
    assert "tmma" in verdict.report


def test_a_first_row_ignored_is_caught(tmp_path, monkeypatch):
    """Fault injection: the load/store unit ignores trow0 (starts every access at row
    0); the first-row program's tiles and stores must diverge from the interpreter's."""
    monkeypatch.setattr(geometry_module, "first_row", lambda row0, rows: Const(0, 5))
    verdict = cosim(program(DIRECTED["first_row"]), config(4), tmp_path, "no_row0")
    assert verdict.verdict == "fail", verdict.report


def test_tdim16_rows_straddle_three_port_words(tmp_path):
    """TDIM 16: a tld/tst.w row is 64 bytes, three 256-bit words at an unaligned base."""
    body = (_load(1, "s0", 4, 68, True) + _load(2, "s0", 1, 17, False)
            + ["    tmma m1, m2, m2"] + _store(1, 12, -52, True) + _store(1, 900, 3, False))
    verdict = cosim(program(body), config(16), tmp_path, "t16")
    assert verdict.verdict == "pass", verdict.report


def test_with_the_vector_engine_in_one_configuration(tmp_path):
    """Both engines: each claims its own rows and CSRs, and memory stays in order
    between them (a tile stored, read by vle32, doubled, stored, loaded as a tile)."""
    from oxcore.config import VectorConfig
    cfg = PRESETS["default"].replace(name="vt", vector=VectorConfig(), tensor=TensorConfig(tdim=4))
    body = (_load(1, "s0", 0, 16, False) + _load(2, "s0", 64, 16, False)
            + ["    tmma m0, m1, m2"] + _store(0, 0, 16, True)
            + ["    li t2, 16", "    vsetvli t3, t2, e32, m2, ta, ma", "    vle32.v v2, (s1)",
               "    vadd.vv v4, v2, v2", "    vse32.v v4, (s1)", "    csrr a1, vlenb",
               "    csrr a2, tdim"]
            + _load(3, "s1", 0, 16, True) + ["    tmma m3, m1, m2"] + _store(3, 128, 16, True))
    verdict = cosim(program(body), cfg, tmp_path, "vt")
    assert verdict.verdict == "pass", verdict.report


def _counters_program(body: list[str]) -> str:
    """`body`, then the six counters written to stdout (after a tst.w of every tile,
    which waits for every tmma before it)."""
    names = ["tactive", "tmacs", "tstall_operand", "tstall_port", "tqfull", "tbusy"]
    lines = list(body) + [f"    tst.w m{t}, (s1), zero" for t in range(8)]
    for i, name in enumerate(names):
        lines += [f"    csrr t0, {name}", f"    sw t0, {4 * i}(s1)"]
    lines += ["    li a0, 1", "    mv a1, s1", f"    li a2, {4 * len(names)}", "    li a7, 64",
              "    ecall"]
    return program(lines)


def _counters(body: list[str], cfg, tmp_path: Path, name: str) -> dict[str, int]:
    result = api.run(load_source(_counters_program(body), cfg, tmp_path, name), sim="rtl",
                     backend="pysim")
    assert result.exit_code == 0
    values = [int.from_bytes(result.stdout[i:i + 4], "little") for i in range(0, 24, 4)]
    return dict(zip(["active", "macs", "operand", "port", "qfull", "busy"], values))


@pytest.mark.parametrize("tdim", [4, 8])
def test_performance_counters_count_k_steps_and_stalls(tdim, tmp_path):
    """Back-to-back tmma: the array steps exactly 4 * TDIM cycles each (tmacs TDIM^2
    times that), the queue fills behind them, and the engine is busy at least as long;
    16 more of them add no operand or port waits (the stores at the end wait the same).
    Then a tmma reading the tile a load is bringing waits for it (operand not ready),
    and the stores at the end wait for the port, with the array idle."""
    cfg = config(tdim)

    def run(count: int, name: str) -> dict[str, int]:
        return _counters(["    tzero m4", "    tzero m5"]
                         + [f"    tmma m{i % 4}, m4, m5" for i in range(count)], cfg,
                         tmp_path, name)
    few, many = run(4, "few"), run(20, "many")
    assert many["active"] == 20 * 4 * tdim
    assert many["macs"] == many["active"] * tdim * tdim
    assert many["qfull"] > few["qfull"] and many["busy"] >= many["active"]
    assert (many["operand"], many["port"]) == (few["operand"], few["port"])
    waits = _counters(_load(1, "s0", 0, 16, False) + ["    tmma m0, m1, m1"]
                      + _load(2, "s0", 64, 16, False) + _load(3, "s0", 128, 16, False),
                      cfg, tmp_path, "w")
    assert waits["active"] == 4 * tdim
    assert waits["operand"] > 0  # the tmma waits for m1's rows
    assert waits["port"] >= tdim  # each tst.w waits while the one before uses the port


def _cycles_after(body: list[str], access: str, cfg, tmp_path: Path, name: str) -> int:
    """Cycles from before `body` to just after the scalar `access` behind it."""
    lines = ["    rdcycle s2", *body, access, "    rdcycle s3", "    sub s3, s3, s2",
             "    sw s3, 0(s1)", "    li a0, 1", "    mv a1, s1", "    li a2, 4",
             "    li a7, 64", "    ecall"]
    result = api.run(load_source(program(lines), cfg, tmp_path, name), sim="rtl",
                     backend="pysim")
    assert result.exit_code == 0
    return int.from_bytes(result.stdout[:4], "little")


def test_a_scalar_load_does_not_wait_for_tile_loads_and_tmma(tmp_path):
    """Memory order (hw/oxcore/engine.py): a scalar store waits for the engine to be
    idle, a scalar load only for tile stores. Behind eight tmma (32 k-steps each at
    TDIM 8) and a tile load the load goes at once; a store waits for all of them, a
    load behind a store of the last tmma's tile for that tmma and the store."""
    cfg = config(8)
    work = ["    tzero m4"] + [f"    tmma m{i % 4}, m4, m4" for i in range(8)] \
        + _load(5, "s0", 0, 16, False)
    steps = 8 * 4 * 8
    load = _cycles_after(work, "    lw a1, 0(s0)", cfg, tmp_path, "load")
    store = _cycles_after(work, "    sw a1, 0(s1)", cfg, tmp_path, "store")
    after_store = _cycles_after(work + _store(3, 64, 32, True), "    lw a1, 0(s0)", cfg,
                                tmp_path, "after_store")
    assert load < 60 < steps < store
    assert after_store > steps


def _loads_behind_a_tile_store() -> str:
    """Scalar loads right behind tile stores of the words they read: the last row's last
    word (the store's last request), its first word, then a word of a tst.b's row."""
    return program(_load(1, "s0", 0, 16, True) + _load(2, "s0", 64, 16, False)
                   + _store(1, 0, 16, True) + ["    lw a1, 60(s1)", "    lw a2, 0(s1)"]
                   + _store(2, 64, 4, False) + ["    lw a3, 76(s1)", "    add a1, a1, a3"])


@pytest.mark.parametrize("port_bits", [128, 256])
def test_a_scalar_load_behind_a_tile_store_reads_what_it_wrote(port_bits, tmp_path):
    """The tensor engine's port is staged (`TensorConfig.port_stage`): its requests
    reach the banks a cycle after they are made: the core's wait on ``writes_memory`` must
    cover a store's last request on its way to the banks. In lockstep."""
    verdict = cosim(_loads_behind_a_tile_store(), config(4, port_bits), tmp_path, "order")
    assert verdict.verdict == "pass", verdict.report


def test_a_load_not_waiting_for_a_tile_store_is_caught(tmp_path, monkeypatch):
    """With writes_memory never raised, the loads behind the tile store read stale
    words: the co-simulation fails there."""
    from hw.oxcore.tensor.engine import TensorEngine

    def never(self, m, lsu, dispatched, head_uop, storing) -> None:
        m.d.comb += self.pipe.writes_memory.eq(0)
    monkeypatch.setattr(TensorEngine, "_memory_writes", never)
    verdict = cosim(_loads_behind_a_tile_store(), config(4), tmp_path, "stale")
    assert verdict.verdict == "fail"
    assert "lw" in verdict.report


def test_waveform_save_file_has_the_tensor_groups(tmp_path):
    """A VCD of a tensor program comes with a .gtkw whose tensor groups name signals
    the VCD has (the queue head, each unit's instruction, the counters)."""
    cfg = config(4)
    loaded = load_source(program(DIRECTED["tmma"] + DIRECTED["tst.w"]), cfg, tmp_path, "w")
    vcd = tmp_path / "w.vcd"
    assert api.run(loaded, sim="rtl", backend="pysim", vcd=str(vcd)).exit_code == 0
    save = vcd.with_suffix(".gtkw").read_text()
    for group in ("tensor issue", "tensor MAC unit", "tensor load/store", "tensor counters"):
        assert f"-{group}" in save
    traces = [line for line in save.splitlines() if line.startswith("bench.top.")]
    names = vcd.read_text()
    for wanted in ("head", "mac_insn", "lsu_insn", "mac_k", "lsu_state", "count_cc2"):
        hits = [t for t in traces if wanted in t]
        assert hits, wanted
        assert hits[0].rsplit(".", 1)[-1].split("[")[0] in names


def test_a_missing_activation_clamp_is_caught_in_lockstep(tmp_path, monkeypatch):
    """Fault injection: the requantizer ignores tqmax; the clamp program's stored bytes
    must diverge from the interpreter's."""
    from hw.oxcore.tensor.requant import Requantizer
    monkeypatch.setattr(Requantizer, "_activation", lambda self, m, value, j: value)
    verdict = cosim(program(DIRECTED["tst.b_clamp"]), config(4), tmp_path, "no_clamp")
    assert verdict.verdict != "pass"



def test_loads_pass_a_tmma_waiting_for_the_array(tmp_path):
    """Two back-to-back tmma, then two tld.bt on other tiles (72 cycles of loads against
    64 of k-steps): the loads start while the second tmma waits for the array (parked),
    so they add about 8 cycles to the tmma alone; behind it they would start only as it
    does, and add about 40 (measured: 9 and 40)."""
    cfg = config(8)
    tmma = ["    tzero m4", "    tzero m5", "    tmma m0, m4, m5", "    tmma m1, m4, m5"]
    loads = _load(2, "s0", 0, 8, False, True) + _load(3, "s0", 256, 8, False, True)
    both = _cycles_after(tmma + loads, "    sw zero, 64(s1)", cfg, tmp_path, "both")
    alone = _cycles_after(tmma, "    sw zero, 64(s1)", cfg, tmp_path, "tmma")
    assert both - alone < 20


def test_a_load_passing_a_parked_tmma_on_its_tiles_is_caught(tmp_path, monkeypatch):
    """Fault injection: the head passes the parked tmma whatever its tiles (a load into
    the tile the parked tmma reads goes first): lockstep must fail."""
    monkeypatch.setattr(engine_module, "_may_pass_parked",
                        lambda kind, parked, head: (kind == 3) | (kind == 4))
    verdict = cosim(program(DIRECTED["pass_a_parked_tmma"]), config(4), tmp_path, "pass")
    assert verdict.verdict == "fail"


_WARM_OUTPUT = 1024  # the warm-reset program's output region, from `data`
_WARM_MARKER = 2040  # and its marker word


def _warm_reset_program(tdim: int) -> str:
    """First run (marker 0): load all eight tiles with data, store them into the output
    region, set the marker to 1 and spin. After a reset (the RAM keeps its words) the
    second run stores the eight tiles again over the first run's, sets the marker to 2
    and spins."""
    row = 4 * tdim
    first = [line for t in range(8) for line in _load(t, "s0", 8 * t, row, True)]
    stores = [line for t in range(8) for line in _store(t, t * row * tdim, row, True)]
    return "\n".join(
        ["    .text", "    .globl _start, data", "_start:", "    la s0, data",
         f"    li t6, {_WARM_OUTPUT}",
         "    add s1, s0, t6", f"    li t6, {_WARM_MARKER}", "    add s2, s0, t6",
         "    lw t5, 0(s2)",
         "    bnez t5, second", *first, *stores, "    li t5, 1", "    sw t5, 0(s2)",
         "spin1:", "    j spin1", "second:", *stores, "    li t5, 2", "    sw t5, 0(s2)",
         "spin2:", "    j spin2", "    .data", "    .p2align 6", "data:"]
        + [f"    .word {0x01010101 * (i % 250 + 1)}" for i in range(256)]
        + [f"    .zero {_WARM_MARKER + 8 - _WARM_OUTPUT}"]) + "\n"


def test_the_tiles_are_zero_after_a_warm_reset(tmp_path):
    """The tile registers are memories, which keep their words through a reset; the
    tiles must read 0 after one all the same (the write port clears them): a program
    that fills the tiles, reset, then stores them, must store zeros (hand-computed)."""
    from amaranth.hdl import ResetInserter
    from amaranth.sim import Simulator
    from cosim.rtl_sim import ram_bytes
    from hw.oxcore.top import Top
    cfg = config(4)
    loaded = load_source(_warm_reset_program(4), cfg, tmp_path, "warm")
    top = Top(cfg, loaded.program)
    warm = Signal()
    data_base = loaded.program.symbol("data").addr
    tile_bytes = 4 * 4 * 4
    seen: dict[str, list[int]] = {}

    def words(ctx, offset: int, count: int) -> list[int]:
        data = ram_bytes(ctx, top, cfg.mem_base, data_base + offset, 4 * count)
        return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]

    async def until_marker(ctx, value: int) -> None:
        for _ in range(200):
            await ctx.tick().repeat(50)
            if words(ctx, _WARM_MARKER, 1)[0] == value:
                await ctx.tick().repeat(200)  # the tile stores before it drain
                return
        raise AssertionError(f"the marker never became {value}")

    async def bench(ctx) -> None:
        await until_marker(ctx, 1)
        seen["before"] = words(ctx, _WARM_OUTPUT, 8 * tile_bytes // 4)
        ctx.set(warm, 1)
        await ctx.tick()
        ctx.set(warm, 0)
        await until_marker(ctx, 2)
        seen["after"] = words(ctx, _WARM_OUTPUT, 8 * tile_bytes // 4)

    sim = Simulator(ResetInserter({"sync": warm})(top))
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert any(seen["before"]), "the first run stored no tile data"
    assert seen["after"] == [0] * len(seen["after"])
