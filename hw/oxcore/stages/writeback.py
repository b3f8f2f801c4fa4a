"""WB: register write, the retire port, ecall service with the harness, traps.

An ecall in WB raises `env_req` (its pc and word, a0, a1, a2, a7) and waits; the
harness answers on `env_resp` with a0's new value (or `fault` for an unknown call),
then the ecall retires with rd = a0. A trap retires as a record with `trap` set and
halts the core. With engines, WB also waits while an engine instruction cannot be
dispatched (`stages/engines.py`), and the register file's write port takes an engine's
completion in a cycle WB does not write.
"""

from amaranth import Module, Mux

from hw.oxcore.commit import commit_layout
from hw.oxcore.control import MemOp
from hw.oxcore.pipeline import ENV_ARGS, Pipeline
from oxcore.retire import ENGINE_COMPLETION, SCALAR_RETIRE, TrapCause

# The retire port, and (with engines) the completion port for engines' scalar results,
# generated from the retire schema (oxcore/retire/ports.py).
RETIRE_LAYOUT = commit_layout(SCALAR_RETIRE)
COMPLETION_LAYOUT = commit_layout(ENGINE_COMPLETION)


def elaborate_writeback(p: Pipeline) -> None:
    w, rf, csr, halted = p.w, p.rf, p.csr, p.halted
    core = p.core
    w_ecall, w_wait, w_retire, w_trap, w_value = (p.w_ecall, p.w_wait, p.w_retire,
                                                  p.w_trap, p.w_value)
    wb = p.block("wb_control")
    w_fault = w_ecall & core.env_resp.fault  # unknown ecall
    wb.d.comb += [
        w_ecall.eq(w.valid & w.ecall & ~w.trap.valid),
        p.w_env_wait.eq(w_ecall & ~core.env_resp.valid),
        w_wait.eq(p.w_env_wait | p.w_dispatch_wait if p.engines else p.w_env_wait),
        w_retire.eq(w.valid & ~w_wait & ~halted),
        w_trap.eq(w.trap.valid | w_fault),
        w_value.eq(p.result_of_wb()),
        p.advance.eq(~w_wait & ~halted),
    ]
    w_writes = w.writes & ~w_trap  # x0 already excluded
    wb_writes = p.wb_writes
    wb.d.comb += [
        wb_writes.eq(w_retire & (w_writes | (w_ecall & ~w_fault))),
        rf.w_en.eq(wb_writes),
        rf.w_addr.eq(Mux(w_ecall, ENV_ARGS[0], w.rd)),
        rf.w_data.eq(Mux(w_ecall, core.env_resp.a0, w_value)),
        csr.retired.eq(w_retire & ~w_trap),
    ]
    halts = w_retire & w_trap
    if p.engines:
        # The write port is WB's first; an engine's completion takes it otherwise.
        with wb.If(~wb_writes):
            wb.d.comb += [rf.w_en.eq(p.completion_write), rf.w_addr.eq(p.completion_rd),
                          rf.w_data.eq(p.completion_value)]
        halts = halts | p.completion_trap
    with wb.If(halts):
        wb.d.sync += halted.eq(1)

    retire_port(core, p.block("wb_retire"), w, w_retire, w_trap, w_ecall, w_fault,
                w_writes, w_value, csr, rf, halted)


def retire_port(self, port: Module, w, w_retire, w_trap, w_ecall, w_fault, w_writes,
                w_value, csr, rf, halted) -> None:
    """The retire port and the environment request, driven from WB (``self`` is the
    `core.Core`; ``port`` the block's module)."""
    # ==== wb_retire: the retire port (kept as one piece; layout `RETIRE_LAYOUT`) ====
    r = self.retire
    port.d.comb += [
        r.valid.eq(w_retire), r.order.eq(csr.instret), r.pc.eq(w.pc), r.insn.eq(w.insn),
        r.trap.valid.eq(w_trap),
        r.trap.cause.eq(Mux(w.trap.valid, w.trap.cause, TrapCause.UNKNOWN_ECALL)),
    ]
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
        port.d.comb += r.awaits.eq(w.engine_writes & (w.rd != 0) & ~w_trap)
    req = self.env_req
    port.d.comb += [req.valid.eq(w_ecall & ~halted), req.pc.eq(w.pc), req.insn.eq(w.insn)]
    for i, name in enumerate(("a0", "a1", "a2", "a7")):
        port.d.comb += req[name].eq(rf.tap[i])
    # ==== wb_retire: end ====
