"""ID: decode (`decoder.Decoder`), register read (`regfile.RegisterFile`, with a
write-through bypass for WB; or, with `regfile_sync_read`, a synchronous read whose
data arrives at the start of EX), hazard checks (`hazard.HazardUnit`), and the
predicted next pc compared with pc + 4 and pc + imm. Illegal words, fetch access
faults and ebreak become trap instructions here. With engines, a word the ISA does not
know but an engine claims (`engine.EngineSignature`) issues as a no-op for the scalar
units, remembering its engine and whether it will write rd.
"""

from amaranth import Cat, Mux, Signal

from hw.oxcore.control import CsrOp, Env
from hw.oxcore.decoder import Decoder
from hw.oxcore.pipeline import Pipeline
from oxcore.retire import TrapCause


def elaborate_decode(p: Pipeline) -> None:
    _decode(p)
    _register_read(p)
    _issue(p)


def _decode(p: Pipeline) -> None:
    dec, hz, pred, cfg = p.dec, p.hz, p.pred, p.cfg
    decode = p.block("id_decode")
    d_ctl = dec.ctl
    reads_rs1, reads_rs2 = d_ctl.reads_rs1, d_ctl.reads_rs2
    claimed = 0
    if p.engines:
        # Engines see ID's word; the first that matches a word the ISA table does not
        # know takes it (the scalar ISA always wins).
        matches = []
        earlier = 0
        for engine in p.engines:
            decode.d.comb += engine.claim.insn.eq(dec.insn)
            match = engine.claimed.match & dec.illegal
            matches.append(match & ~earlier if matches else match)
            earlier = earlier | match
        decode.d.comb += p.d_engine.eq(Cat(*matches))
        claimed = p.d_engine.any()
        writes_rd = 0
        for engine, match in zip(p.engines, matches):
            reads_rs1 = reads_rs1 | (match & engine.claimed.reads_rs1)
            reads_rs2 = reads_rs2 | (match & engine.claimed.reads_rs2)
            writes_rd = writes_rd | (match & engine.claimed.writes_rd)
        decode.d.comb += [p.d_engine_writes.eq(writes_rd),
                          hz.d_writes_rd.eq(d_ctl.writes_rd | p.d_engine_writes),
                          hz.d_rd.eq(dec.rd)]
    decode.d.comb += [
        dec.insn.eq(Mux(p.d_fault, 0, p.d_word)),
        hz.d_valid.eq(p.d_valid), hz.d_reads_rs1.eq(reads_rs1),
        hz.d_reads_rs2.eq(reads_rs2), hz.d_rs1.eq(dec.rs1), hz.d_rs2.eq(dec.rs2),
        hz.d_csr.eq(d_ctl.csr != CsrOp.NONE),
    ]
    # The predictor guesses the successor of the fetched word (q), from its pc and,
    # except in `nlp` mode, its decoded flow and target.
    decode.d.comb += pred.pc.eq(p.q_pc)
    if not p.fetch_stage:
        decode.d.comb += [pred.flow.eq(d_ctl.flow), pred.target.eq(p.d_pc + dec.imm),
                          pred.backward.eq(dec.imm[31])]
    elif cfg.branch_predictor in ("static", "btb"):
        p.m.submodules.predecoder = pre = Decoder()
        decode.d.comb += [pre.insn.eq(Mux(p.q_fault, 0, p.core.imem.data)),
                          pred.flow.eq(pre.ctl.flow), pred.target.eq(p.q_pc + pre.imm),
                          pred.backward.eq(pre.imm[31])]
    d_trap = p.d_trap
    with decode.If(p.d_fault):
        decode.d.comb += [d_trap.valid.eq(1),
                          d_trap.cause.eq(TrapCause.INSTRUCTION_ACCESS_FAULT)]
    with decode.Elif(dec.illegal & ~claimed if p.engines else dec.illegal):
        decode.d.comb += [d_trap.valid.eq(1), d_trap.cause.eq(TrapCause.ILLEGAL_INSTRUCTION)]
    with decode.Elif(d_ctl.env == Env.EBREAK):
        decode.d.comb += [d_trap.valid.eq(1), d_trap.cause.eq(TrapCause.BREAKPOINT)]


def _register_read(p: Pipeline) -> None:
    rf, dec, x = p.rf, p.dec, p.x
    rf_read = p.block("id_regfile")
    if p.sync_rf:
        # The synchronous register file reads for the instruction EX holds next
        # cycle: ID's when it issues, else EX's own (re-read, so that it sees what
        # WB writes meanwhile, as the asynchronous variant's operand refresh does).
        x_stays = Signal()
        rf_read.d.comb += [
            x_stays.eq(p.x_live & ~p.x_fire),
            rf.rs1_addr.eq(Mux(x_stays, x.rs1, dec.rs1)),
            rf.rs2_addr.eq(Mux(x_stays, x.rs2, dec.rs2)),
        ]
    else:
        rf_read.d.comb += [rf.rs1_addr.eq(dec.rs1), rf.rs2_addr.eq(dec.rs2)]


def _issue(p: Pipeline) -> None:
    x, ctl, dec, hz, rf, halted = p.x, p.x.ctl, p.dec, p.hz, p.rf, p.halted
    d_pc, d_pred = p.d_pc, p.d_pred
    issue = p.block("id_issue")
    engine_stall = hz.stall_engine if p.engines else 0
    issue.d.comb += [
        # Only what EX's registers say: a trap that EX itself finds (a bad address,
        # a misaligned target, a CSR write) does not hold ID, so that the address
        # adder and compares stay off the path to the fetch enable; the instruction
        # that issues behind it is squashed in EX instead (`older_trap`).
        hz.x.valid.eq(p.x_live), hz.x.writes.eq(ctl.writes_rd & ~x.trap.valid),
        hz.x.rd.eq(x.rd), hz.x.unit.eq(ctl.unit),
        hz.x.serial.eq((ctl.env == Env.ECALL) | x.trap.valid),
        p.d_issue.eq(p.d_valid & (~p.x_live | p.x_fire) & ~hz.stall_load_use & ~hz.stall_mul
                     & ~hz.stall_serial & ~engine_stall
                     & ~(p.redirect_r if p.registered else p.x_redirect) & ~halted),
    ]
    with issue.If(~halted):
        with issue.If(p.d_issue):
            issue.d.sync += [
                x.valid.eq(1), x.pc.eq(d_pc), x.insn.eq(dec.insn), x.ctl.eq(dec.ctl),
                x.rd.eq(dec.rd), x.rs1.eq(dec.rs1), x.rs2.eq(dec.rs2), x.imm.eq(dec.imm),
                x.csr.eq(dec.csr),
                x.pred_next.eq(d_pred), x.trap.eq(p.d_trap), x.mul_issued.eq(0),
                x.pred_seq.eq(d_pred == (d_pc + 4)[:32]),
                x.pred_target.eq(d_pred == (d_pc + dec.imm)[:32]),
            ]
            if not p.sync_rf:
                issue.d.sync += [x.rs1_val.eq(rf.rs1_data), x.rs2_val.eq(rf.rs2_data)]
            if p.engines:
                issue.d.sync += [x.engine.eq(p.d_engine),
                                 x.engine_writes.eq(p.d_engine_writes & (dec.rd != 0))]
        with issue.Elif(p.x_fire | ~p.x_live):
            issue.d.sync += x.valid.eq(0)
        with issue.Else():  # EX holds: keep its operands current as older results retire
            issue.d.sync += x.mul_issued.eq(x.mul_issued | p.is_mul)
            if not p.sync_rf:
                issue.d.sync += [x.rs1_val.eq(p.rs1), x.rs2_val.eq(p.rs2)]
