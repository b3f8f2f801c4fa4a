"""WB: register write, the retire port, ecall service with the harness, traps.

An ecall in WB raises `env_req` (its pc and word, a0, a1, a2, a7) and waits; the
harness answers on `env_resp` with a0's new value (or `fault` for an unknown call),
then the ecall retires with rd = a0. A trap retires as a record with `trap` set and
halts the core; so does an engine's instruction its engine finds faulting
(``engine_fault``, the engine interface's precise traps), instead of being
dispatched. With engines, WB also waits while an engine instruction cannot be
dispatched (`stages/engines.py`), and the register file's write port takes an engine's
completion in a cycle WB does not write.

`Writeback` is a component: the MEM/WB register, the harness's answer and the engines'
completion come in; the retire record, the environment request, the register file's
write, ``advance`` and ``halted`` (the pipeline's global controls) go out.
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.commit import commit_layout
from hw.oxcore.control import MemOp, Unit
from hw.oxcore.pipeline import ENV_ARGS, ENV_REQ, ENV_RESP, TRAP
from oxcore.retire import ENGINE_COMPLETION, SCALAR_RETIRE, TrapCause

__all__ = ["COMPLETION_LAYOUT", "COMPLETION_WRITE", "RETIRE_LAYOUT", "RF_WRITE", "Writeback",
           "retire_port"]

# The retire port, and (with engines) the completion port for engines' scalar results,
# generated from the retire schema (oxcore/retire/ports.py).
RETIRE_LAYOUT = commit_layout(SCALAR_RETIRE)
COMPLETION_LAYOUT = commit_layout(ENGINE_COMPLETION)

# The register file's write port, as WB drives it.
RF_WRITE = data.StructLayout({"en": 1, "addr": 5, "data": 32})
# An engine's completion this cycle (`stages/engines.py`): write rd, or halt on its trap.
COMPLETION_WRITE = data.StructLayout({"write": 1, "trap": 1, "rd": 5, "value": 32})


class Writeback(wiring.Component):
    """WB.

    Inputs: ``w`` (the MEM/WB register), ``mul_result`` (the multiplier's, WB's result
    at ``mul_latency`` >= 2), ``instret`` (the retire record's order), ``env_args``
    (a0, a1, a2, a7 from the register file's taps), ``env_resp``; with engines
    ``dispatch_wait``, ``completion`` and ``engine_fault``. Outputs: ``record`` (the
    retire record: not named ``retire``, which is the core's port it drives: one name
    per signal in a waveform), ``env_req``, ``rf_write``,
    ``retired`` (one instruction counted in instret), ``advance`` (EX -> MEM -> WB move
    on), ``halted`` (a register), and WB's state for the other stages: ``ecall``,
    ``env_wait``, ``wait``, ``retiring``, ``writes_rf``, ``trap``, ``value`` (forwarded
    to EX).
    """

    def __init__(self, mem_wb: data.StructLayout, mul_latency: int, engines: int = 0,
                 reports: int = 0) -> None:
        self.reports = reports  # bit i: engine i reports effects on its own commit port
        self.mul_latency = mul_latency
        self.engine_count = engines
        members = {
            "w": In(mem_wb), "mul_result": In(32), "instret": In(64),
            "env_args": In(data.ArrayLayout(32, len(ENV_ARGS))), "env_resp": In(ENV_RESP),
            "record": Out(RETIRE_LAYOUT), "env_req": Out(ENV_REQ), "rf_write": Out(RF_WRITE),
            "retired": Out(1), "advance": Out(1), "halted": Out(1),
            "ecall": Out(1), "env_wait": Out(1), "wait": Out(1), "retiring": Out(1),
            "writes_rf": Out(1), "trap": Out(1), "value": Out(32),
        }
        if engines:
            members["dispatch_wait"] = In(1)
            members["completion"] = In(COMPLETION_WRITE)
            members["engine_fault"] = In(TRAP)  # an engine finds w's instruction faulting
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.wb_control = control = Module()
        w, halted, rf_write = self.w, self.halted, self.rf_write
        w_ecall, w_wait, w_retire, w_trap, w_value = (self.ecall, self.wait, self.retiring,
                                                      self.trap, self.value)
        w_fault = w_ecall & self.env_resp.fault  # unknown ecall
        # an engine's instruction its engine finds faulting (`stages/engines.py`)
        engine_fault = self.engine_fault.valid if self.engine_count else 0
        control.d.comb += [
            w_ecall.eq(w.valid & w.ecall & ~w.trap.valid),
            self.env_wait.eq(w_ecall & ~self.env_resp.valid),
            w_wait.eq(self.env_wait | self.dispatch_wait if self.engine_count
                      else self.env_wait),
            w_retire.eq(w.valid & ~w_wait & ~halted),
            w_trap.eq(w.trap.valid | w_fault | engine_fault),
            # WB's forwardable value: its result, or the multiplier's at latency >= 2.
            w_value.eq(Mux(w.unit == Unit.MUL, self.mul_result, w.result)
                       if self.mul_latency >= 2 else w.result),
            self.advance.eq(~w_wait & ~halted),
        ]
        w_writes = w.writes & ~w_trap  # x0 already excluded
        wb_writes = self.writes_rf
        control.d.comb += [
            wb_writes.eq(w_retire & (w_writes | (w_ecall & ~w_fault))),
            rf_write.en.eq(wb_writes),
            rf_write.addr.eq(Mux(w_ecall, ENV_ARGS[0], w.rd)),
            rf_write.data.eq(Mux(w_ecall, self.env_resp.a0, w_value)),
            self.retired.eq(w_retire & ~w_trap),
        ]
        halts = w_retire & w_trap
        if self.engine_count:
            # The write port is WB's first; an engine's completion takes it otherwise.
            done = self.completion
            with control.If(~wb_writes):
                control.d.comb += [rf_write.en.eq(done.write), rf_write.addr.eq(done.rd),
                                   rf_write.data.eq(done.value)]
            halts = halts | done.trap
        with control.If(halts):
            control.d.sync += halted.eq(1)

        m.submodules.wb_retire = port = Module()
        retire_port(self, port, w, w_retire, w_trap, w_ecall, w_fault, w_writes, w_value,
                    self.instret, self.env_args, halted)
        return m


def retire_port(self, port: Module, w, w_retire, w_trap, w_ecall, w_fault, w_writes,
                w_value, order, env_args, halted) -> None:
    """The retire port and the environment request, driven from WB (``self`` is the
    `Writeback` stage; ``port`` the block's module; ``order`` instret, ``env_args`` a0,
    a1, a2, a7)."""
    # ==== wb_retire: the retire port (kept as one piece; layout `RETIRE_LAYOUT`) ====
    r = self.record
    port.d.comb += [
        r.valid.eq(w_retire), r.order.eq(order), r.pc.eq(w.pc), r.insn.eq(w.insn),
        r.trap.valid.eq(w_trap),
        r.trap.cause.eq(Mux(w.trap.valid, w.trap.cause, TrapCause.UNKNOWN_ECALL)),
    ]
    if self.engine_count:
        with port.If(self.engine_fault.valid):
            port.d.comb += r.trap.cause.eq(self.engine_fault.cause)
    with port.If(w_ecall & ~w_fault):
        port.d.comb += [r.x.valid.eq(1), r.x.reg.eq(ENV_ARGS[0]),
                        r.x.value.eq(self.env_resp.a0)]
    with port.Elif(w_writes):
        port.d.comb += [r.x.valid.eq(1), r.x.reg.eq(w.rd), r.x.value.eq(w_value)]
    with port.If((w.mem != MemOp.NONE) & ~w_trap):
        # Scalar accesses move all their bytes: the mask is the size's.
        port.d.comb += [r.mem.valid.eq(1), r.mem.addr.eq(w.addr),
                        r.mem.size.eq(1 << w.size_log2),
                        r.mem.mask.eq((1 << (1 << w.size_log2)) - 1),
                        r.mem.write.eq(w.mem == MemOp.STORE), r.mem.data.eq(w.mem_data)]
    if self.engine_count:  # an engine writes rd later: the record waits for it
        port.d.comb += r.awaits.eq(Cat(w.engine_writes & (w.rd != 0) & ~w_trap,
                                       (w.engine & self.reports).any() & ~w_trap))
    req = self.env_req
    port.d.comb += [req.valid.eq(w_ecall & ~halted), req.pc.eq(w.pc), req.insn.eq(w.insn)]
    for i, name in enumerate(("a0", "a1", "a2", "a7")):
        port.d.comb += req[name].eq(env_args[i])
    # ==== wb_retire: end ====
