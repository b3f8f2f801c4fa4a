"""The register-group rules (`hw.oxcore.vector.group_check.RegisterGroupCheck`) against
the golden interpreter, whose rules QEMU checks in tests/cosim/test_vector_qemu.py
(`test_wild_operands_are_legal_or_illegal_on_both_sides`).

Every vector row of the ISA table, with random bits in all its operand fields (register
numbers, vm, nf, immediates), under random legal vtypes and, sometimes, a non-zero
vstart: the check must call the instruction illegal exactly when the interpreter traps
it for a register-group rule. The interpreter's other illegal-instruction traps (2*SEW
at SEW 32, extension from below 8 bits, a masked destination v0) are the engine's own
checks: cases the interpreter traps for them are left out when a group rule could not
have been checked first, and counted as legal (for this unit) when it was.
"""

import random

from amaranth.sim import Simulator

from cosim.iss.interpreter import Interpreter
from hw.oxcore.vector import group_check as group_check_module
from hw.oxcore.vector.decode import _packed, implemented
from hw.oxcore.vector.group_check import RegisterGroupCheck
from oxcore.isa import isa_for
from oxcore.isa.vector.state import LMULS, VType
from oxcore.program import Program, Segment
from oxcore.retire import TrapCause, TrapEffect
from tests.hw.oxcore.vector.test_vector_engine import config

VLMUL_CODE = {lmul: code for code, lmul in LMULS.items()}
# The interpreter's illegal-instruction traps that are not register-group rules: checked
# before the groups (the case says nothing of them) or after (the groups passed).
BEFORE_GROUPS = ("widening with SEW", "vsext/vzext")
AFTER_GROUPS = ("masked instruction writes v0", "writes v0, its carry input")


def _legal_vtypes() -> list[tuple[int, int]]:
    """(vlmul code, SEW code) of every legal vtype at ELEN 32."""
    return [(VLMUL_CODE[lmul], code) for code in range(3) for lmul in LMULS.values()
            if VType.decode(VLMUL_CODE[lmul] | code << 3) is not None]


class _Oracle:
    """One instruction at a time on the interpreter: is it an illegal instruction?"""

    def __init__(self, cfg) -> None:
        self.cfg = cfg
        self.interp = Interpreter(cfg, Program("group-check", cfg.mem_base, [
            Segment(cfg.mem_base, bytes(4), 4, True)]))
        self.machine = self.interp.machine
        self.state = self.machine.engine_state["vector"]

    def verdict(self, word: int, vlmul: int, sew: int, vstart: int) -> bool | None:
        """True: trapped for a group rule; False: did not (or for another reason after the
        groups passed); None: trapped for a rule checked before the groups."""
        m, s = self.machine, self.state
        m.ram[0:4] = word.to_bytes(4, "little")
        m.pc = self.cfg.mem_base
        m.x[1:] = [self.cfg.mem_base + 0x800] * 31  # (any in-RAM base, stride, AVL)
        s.vtype = vlmul | sew << 3
        s.vl = VType.decode(s.vtype).vlmax(s.vlen)
        s.vstart = vstart
        record = self.interp.step()
        trap = next((e for e in record.effects if isinstance(e, TrapEffect)), None)
        if trap is None or trap.cause != TrapCause.ILLEGAL_INSTRUCTION:
            return False
        why = self.interp.last_trap.detail
        if why.startswith(BEFORE_GROUPS):
            return None
        return not any(text in why for text in AFTER_GROUPS)


def _cases(seed: int, count: int, cfg):
    rng = random.Random(seed)
    rows = implemented(isa_for(cfg))
    vtypes = _legal_vtypes()
    for _ in range(count):
        ins, uop = rng.choice(rows)
        word = ins.match | (rng.getrandbits(32) & ~ins.mask)
        if rng.random() < 0.4:  # small register numbers meet each other more often
            for low in (7, 15, 20):
                if (ins.mask >> low) & 0x1F == 0:
                    word = word & ~(0x1F << low) | rng.randrange(6) << low
        vlmul, sew = rng.choice(vtypes)
        vstart = rng.randrange(1, 4) if rng.random() < 0.15 else 0
        yield ins, uop, word, vlmul, sew, vstart


def _mismatches(seed: int, count: int) -> tuple[list, int]:
    cfg = config(128, 2)
    oracle = _Oracle(cfg)
    dut = RegisterGroupCheck()
    mismatches, illegal = [], 0

    async def bench(ctx):
        nonlocal illegal
        for ins, uop, word, vlmul, sew, vstart in _cases(seed, count, cfg):
            want = oracle.verdict(word, vlmul, sew, vstart)
            if want is None:
                continue
            for signal, value in ((dut.insn, word), (dut.uop.as_value(), _packed(uop)),
                                  (dut.vlmul, vlmul), (dut.sew, sew),
                                  (dut.vstart_zero, vstart == 0)):
                ctx.set(signal, value)
            got = bool(ctx.get(dut.illegal))
            illegal += want
            if got != want:
                mismatches.append((ins.mnemonic, hex(word), f"e{8 << sew}",
                                   f"lmul {LMULS[vlmul]}", f"vstart {vstart}",
                                   f"rtl {got}", f"interpreter {want}",
                                   oracle.interp.last_trap.detail if want else ""))

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return mismatches, illegal


def test_group_rules_match_the_interpreter():
    mismatches, illegal = _mismatches(seed=1, count=8000)
    assert not mismatches, f"{len(mismatches)} mismatches, e.g.\n" + "\n".join(
        map(str, mismatches[:8]))
    assert illegal > 2000, illegal  # (the cases do break rules, often)


def test_a_missed_overlap_is_caught(monkeypatch):
    """Fault injection: groups never meet; the interpreter's overlap traps must then
    show up as mismatches."""
    monkeypatch.setattr(group_check_module, "_overlap_hook", lambda *args: 0)
    mismatches, _ = _mismatches(seed=2, count=1500)
    assert any("overlap" in detail for *_, detail in mismatches), mismatches[:3]


def test_whole_register_counts():
    """The whole-register rows come in counts 1, 2, 4 and 8 only (what `log2_count`
    assumes; another nf is a reserved encoding no row matches)."""
    rows = [ins for ins, uop in implemented(isa_for(config(128, 2))) if uop.whole]
    counts = {int(next(c for c in ins.mnemonic if c.isdigit())) for ins in rows}
    assert counts == {1, 2, 4, 8}, counts
