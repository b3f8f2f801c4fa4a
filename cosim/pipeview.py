"""Pipeline occupancy logs in the Kanata format (version 0004), for the Konata viewer.

`oxcore run --sim rtl --pipeview FILE` and `oxcore cosim --pipeview FILE` write one:
every fetched instruction gets an id (``I``), a label with its pc and disassembly
(``L``), a stage start (``S``) and end (``E``) per cycle it moves, and ends retired
(``R id order 0``, `order` being its retire order, which `instret` counts) or flushed
(``R id 0 1``: a wrong-path instruction squashed by a misprediction, one squashed behind
a trap, an instruction still in flight when the run ended, or the trapping instruction
itself, which does not retire). ``C 1`` advances the clock, one line per cycle.

Stages: ``IF`` (the cycle its address goes to the instruction RAM), ``IF2`` (the word's
own register, with `registered_fetch`), ``ID``, ``EX``, ``MEM``, ``WB``.

``--pipeview-window START:END`` limits the log to the instructions in the pipeline in
those cycles: it starts at START with the ones already there (adopted at their stages),
fetches no new ones from END on, and follows the rest to their ends. The harnesses ask
`Tracker.wants(cycle)` and run at full speed outside it.

The harness samples, every cycle, signals the core already shows in its waveform
(`Core.probes`: the stages' valid bits and pcs, ID's issue, EX's redirect, WB's wait,
halted) and the retire port; `Tracker` follows each instruction from stage to stage
with the pipeline's movement rules (ID issues into EX; EX moves into MEM when the
pipeline advances and MEM takes it; MEM moves into WB when it advances; WB retires when
the retire port says so; a redirect squashes ID, and IF2). Each move is checked against
the pcs the stages hold (`Tracker.mismatches` counts disagreements; tests require 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Callable

from oxcore.config import OxCoreConfig
from oxcore.program import Program

# What one cycle's sample holds (ints), in the order the harnesses read them.
SAMPLED = ("fetch_pc", "halted", "q_pc", "d_valid", "d_pc", "d_issue", "x_valid", "x_pc",
           "mm_valid", "mm_pc", "w_valid", "w_pc", "w_wait", "x_redirect",
           "retire_valid", "retire_trap")


@dataclass
class _Insn:
    id: int
    pc: int
    stage: str = ""


@dataclass
class Tracker:
    """Follows instructions through the stages from per-cycle samples and writes the
    Kanata log to `out`. `label(pc)` gives an instruction's label text."""

    out: IO[str]
    label: Callable[[int], str]
    registered_fetch: bool
    registered_redirect: bool
    # --pipeview-window: the instructions fetched in cycles [start, end), and those in
    # the pipeline at `start`, each followed until it retires or is flushed.
    start: int = 0
    end: int | None = None
    mismatches: int = 0
    retired: int = 0
    flushed: int = 0
    _next_id: int = 0
    _slots: dict = field(default_factory=dict)  # stage -> _Insn at the current cycle
    _prev: dict | None = None  # the previous cycle's sample
    _prev_cycle: int | None = None
    _redirect_r: int = 0  # registered redirect: last cycle's x_redirect
    _first_cycle: int = 0

    def __post_init__(self) -> None:
        self.out.write("Kanata\t0004\n")

    # ---- input: one sample per cycle, in order ---------------------------------------------
    def wants(self, cycle: int) -> bool:
        """Whether cycle `cycle` is to be sampled: in the window, or after it while
        instructions fetched in it are still in the pipeline."""
        if cycle < self.start - (self.start > 0):  # (the cycle before: see `sample`)
            return False
        return self.end is None or cycle < self.end or bool(self._slots)

    def sample(self, cycle: int, s: dict[str, int], retired_before: int = 0) -> None:
        """Cycle `cycle`'s values, once it has run; `retired_before`: instret before it
        (the retire order of the first instruction that retires in the log)."""
        if cycle < self.start:  # the cycle before a window: only what it redirects
            self._redirect_r = int(s["x_redirect"] and not s["halted"])
            return
        if self._prev is None:
            self.out.write(f"C=\t{cycle}\n")
            self.retired = retired_before
            self._first_cycle = cycle
            if cycle > 0:
                self._adopt(s)
        else:
            self._advance(self._prev, s, cycle - self._prev_cycle)
        self._enter_cycle(s, cycle)
        self._prev, self._prev_cycle = s, cycle

    def _adopt(self, s: dict[str, int]) -> None:
        """A log that starts in the middle of a run: the instructions already in the
        pipeline get ids at the stage they are in."""
        present = [("WB", s["w_valid"], s["w_pc"]), ("MEM", s["mm_valid"], s["mm_pc"]),
                   ("EX", s["x_valid"], s["x_pc"])]
        if self.registered_fetch:  # IF2's word is valid from the first fetch on
            present += [("ID", s["d_valid"], s["d_pc"]), ("IF2", 1, s["q_pc"])]
        else:
            present += [("ID", 1, s["d_pc"])]
        for stage, valid, pc in present:
            if valid:
                self._move(self._new(pc), stage)

    def finish(self) -> None:
        """The run ended after the last sampled cycle: what retired in it is retired;
        what is still in the pipeline is flushed."""
        if self._prev is not None:
            self._advance(self._prev, None, 1)
        for insn in list(self._slots.values()):
            self._end(insn, flush=True)
        self._slots.clear()
        self.out.flush()
        if self.mismatches:
            import sys
            print(f"oxcore: warning: --pipeview: in {self.mismatches} cycles a stage held "
                  f"another pc than the log shows there; the log may be wrong (please "
                  f"report it)", file=sys.stderr)

    # ---- the pipeline's movement rules -------------------------------------------------------
    def _redirect(self, s: dict[str, int]) -> int:
        return self._redirect_r if self.registered_redirect else s["x_redirect"]

    def _fetches(self, s: dict[str, int]) -> bool:
        """IF sends an address to the RAM this cycle (stages/fetch.py)."""
        if s["halted"]:
            return False
        redirect = self._redirect(s)
        # The word at the RAM's output (IF2, or ID without `registered_fetch`) is valid
        # from the first fetch on.
        q_valid = self._prev is not None or self._first_cycle > 0
        if self.registered_fetch:
            moves = q_valid and (not s["d_valid"] or s["d_issue"]) and not redirect
            return bool(redirect or not q_valid or moves)
        return bool(redirect or not q_valid or s["d_issue"])

    def _new(self, pc: int) -> _Insn:
        insn = _Insn(self._next_id, pc)
        self._next_id += 1
        self.out.write(f"I\t{insn.id}\t{insn.id}\t0\n")
        self.out.write(f"L\t{insn.id}\t0\t{self.label(insn.pc)}\n")
        return insn

    def _enter_cycle(self, s: dict[str, int], cycle: int) -> None:
        """Start this cycle's new fetch (IF) and check the stages' pcs."""
        for stage, valid, pc in (("EX", "x_valid", "x_pc"), ("MEM", "mm_valid", "mm_pc"),
                                 ("WB", "w_valid", "w_pc")):
            insn = self._slots.get(stage)
            if insn is not None and (not s[valid] or s[pc] != insn.pc):
                self.mismatches += 1
        for stage, pc in (("ID", "d_pc"), ("IF2", "q_pc")):
            insn = self._slots.get(stage)
            if insn is not None and s[pc] != insn.pc:
                self.mismatches += 1
        if self._fetches(s) and (self.end is None or cycle < self.end):
            self._move(self._new(s["fetch_pc"]), "IF")

    def _front_stage(self, stage: str, onward: str, goes_on: bool, redirect: int,
                     moved: dict[str, _Insn], ended: list[tuple[_Insn, bool]]) -> None:
        """ID and IF2 alike: the stage's instruction goes on to `onward`, is flushed by a
        redirect, or stays."""
        insn = self._slots.get(stage)
        if insn is None:
            return
        if goes_on:
            moved[onward] = insn
        elif redirect:
            ended.append((insn, True))
        else:
            moved[stage] = insn

    def _advance(self, s: dict[str, int], nxt: dict[str, int] | None, cycles: int) -> None:
        """Move from sample `s` to the next cycle's (`nxt`; None: the run ended)."""
        slots, moved = self._slots, {}
        advance = not s["w_wait"] and not s["halted"]
        redirect = self._redirect(s)
        ended = []  # (insn, flush): left the pipeline at the end of this cycle
        # WB
        insn = slots.get("WB")
        if insn is not None:
            if s["retire_valid"]:
                ended.append((insn, bool(s["retire_trap"])))
            elif nxt is not None and not advance:
                moved["WB"] = insn
            else:
                ended.append((insn, True))
        # MEM
        insn = slots.get("MEM")
        if insn is not None:
            if advance and (nxt is None or nxt["w_valid"]):
                moved["WB"] = insn
            elif not advance:
                moved["MEM"] = insn
            else:
                ended.append((insn, True))
        # EX
        insn = slots.get("EX")
        if insn is not None:
            if advance and nxt is not None and nxt["mm_valid"]:
                moved["MEM"] = insn
            elif nxt is not None and nxt["x_valid"] and not s["d_issue"]:
                moved["EX"] = insn
            else:
                ended.append((insn, True))
        # ID
        self._front_stage("ID", "EX", bool(s["d_issue"]), redirect, moved, ended)
        # IF2 (registered fetch)
        fetched_on = not redirect and not s["halted"] and (not s["d_valid"] or s["d_issue"])
        self._front_stage("IF2", "ID", bool(fetched_on), redirect, moved, ended)
        # IF: the fetched word is at the RAM's output next cycle
        insn = slots.get("IF")
        if insn is not None:
            moved["IF2" if self.registered_fetch else "ID"] = insn
        if self.registered_redirect:
            self._redirect_r = int(s["x_redirect"] and not s["halted"])
        self.out.write(f"C\t{cycles}\n")
        for insn, flush in ended:
            self._end(insn, flush)
        self._slots = {}
        if nxt is None:
            self._slots = moved
            return
        for stage in ("WB", "MEM", "EX", "ID", "IF2", "IF"):
            if stage in moved:
                self._move(moved[stage], stage)

    def _move(self, insn: _Insn, stage: str) -> None:
        if insn.stage != stage:
            if insn.stage:
                self.out.write(f"E\t{insn.id}\t0\t{insn.stage}\n")
            self.out.write(f"S\t{insn.id}\t0\t{stage}\n")
            insn.stage = stage
        self._slots[stage] = insn

    def _end(self, insn: _Insn, flush: bool) -> None:
        if insn.stage:
            self.out.write(f"E\t{insn.id}\t0\t{insn.stage}\n")
        if flush:
            self.out.write(f"R\t{insn.id}\t0\t1\n")
            self.flushed += 1
        else:
            self.out.write(f"R\t{insn.id}\t{self.retired}\t0\n")
            self.retired += 1


def labeller(config: OxCoreConfig, program: Program) -> Callable[[int], str]:
    """``80000010: addi a0, a0, 1`` for an instruction's pc, from the loaded image."""
    from cosim.run import program_word
    from oxcore.isa import isa_for
    isa = isa_for(config)
    cache: dict[int, str] = {}

    def label(pc: int) -> str:
        text = cache.get(pc)
        if text is None:
            word = program_word(program, pc)
            text = (f"{pc:08x}: {isa.format_instruction(word, pc)}" if word is not None
                    else f"{pc:08x}: (outside memory)")
            cache[pc] = text
        return text

    return label


def tracker_for(out: IO[str], config: OxCoreConfig, program: Program,
                window: tuple[int, int] | None = None) -> Tracker:
    start, end = window if window is not None else (0, None)
    return Tracker(out, labeller(config, program), config.registered_fetch,
                   config.registered_redirect, start, end)


# ---- where the samples come from -----------------------------------------------------------
def pysim_values(core) -> dict[str, object]:
    """The Amaranth values to read each cycle, found in `core.probes` by name."""
    from amaranth.hdl import Value
    named: dict[str, object] = {}
    for items in core.probes.values():
        for item in items:
            if isinstance(item, tuple):
                view, part = item
                named[f"{Value.cast(view).name}.{part}"] = getattr(view, part)
            elif hasattr(item, "name") and not hasattr(item, "signature"):
                named[Value.cast(item).name] = item
    missing = {"fetch_pc", "halted", "d_valid", "d_pc", "d_issue", "x.valid", "x.pc",
               "mm.valid", "mm.pc", "w.valid", "w.pc", "w_wait", "x_redirect"} - set(named)
    if missing:
        from oxcore.errors import OxCoreError
        raise OxCoreError(f"--pipeview: the core's waveform probes (Core.probes) no longer "
                          f"show {', '.join(sorted(missing))}; cosim/pipeview.py needs them")
    values = {
        "fetch_pc": named["fetch_pc"], "halted": named["halted"],
        "q_pc": named.get("q_pc", named["d_pc"]), "d_valid": named["d_valid"],
        "d_pc": named["d_pc"], "d_issue": named["d_issue"],
        "x_valid": named["x.valid"], "x_pc": named["x.pc"],
        "mm_valid": named["mm.valid"], "mm_pc": named["mm.pc"],
        "w_valid": named["w.valid"], "w_pc": named["w.pc"], "w_wait": named["w_wait"],
        "x_redirect": named["x_redirect"],
        "retire_valid": core.retire.valid, "retire_trap": core.retire.trap.valid,
    }
    return values


# CXXRTL debug names: Yosys keeps one name of several aliases of a wire, which one
# depends on the design, so each value has candidates (first found wins), then any
# name ending in the last one, outermost first.
_CXXRTL_NAMES = {
    "fetch_pc": ("core fetch_pc",), "halted": ("core halted",),
    "q_pc": ("core q_pc", "core d_pc"), "d_valid": ("core d_valid",),
    "d_pc": ("core d_pc",), "d_issue": ("core d_issue",),
    "x_valid": ("core x.valid",), "x_pc": ("core x.pc",),
    "mm_valid": ("core mm.valid",), "mm_pc": ("core mm.pc",),
    "w_valid": ("core w.valid",), "w_pc": ("core w.pc",),
    "w_wait": ("core w_wait", "core wait", "core writeback wait"),
    "x_redirect": ("core x_redirect",),
    "retire_valid": ("retire.valid", "core retire.valid"),
    "retire_trap": ("retire.trap.valid", "core retire.trap.valid"),
}


def cxxrtl_names(signals) -> dict[str, str]:
    """The debug name to peek for each sampled value, from a model's `signals`."""
    found = {}
    for key, candidates in _CXXRTL_NAMES.items():
        name = next((c for c in candidates if c in signals), None)
        if name is None:
            leaf = candidates[-1].split(" ")[-1]
            matches = sorted((n for n in signals if n.split(" ")[-1] == leaf),
                             key=lambda n: (n.count(" "), n))
            if not matches:
                from oxcore.errors import OxCoreError
                raise OxCoreError(f"--pipeview: the compiled model has no signal "
                                  f"{candidates[0]!r}; cosim/pipeview.py needs it")
            name = matches[0]
        found[key] = name
    return found
