"""ID: decode (`decoder.Decoder`), register read (`regfile.RegisterFile`, with a
write-through bypass for WB; or, with `regfile_sync_read`, a synchronous read whose
data arrives at the start of EX), hazard checks (`hazard.HazardUnit`), and the
predicted next pc compared with pc + 4 and pc + imm. Illegal words, fetch access
faults and ebreak become trap instructions here. With engines, a word the ISA does not
know but an engine claims (`engine.EngineSignature`) issues as a no-op for the scalar
units, remembering its engine and whether it will write rd.

`Decode` is a component holding the decoder (and, with `registered_fetch`, the
predecoder for the predictor): ID's instruction (`fetch.DECODE_INPUT`) comes in, the
ID/EX register (``x``) goes out. The register file, hazard unit and predictor stay
the core's (EX and WB use them too): ID reaches them through ``rf_read`` /
``rf_data``, ``hazard`` / ``ex_producer`` / ``stall``, and ``predict``.
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from hw.oxcore.control import CsrOp, Env, Flow, Unit
from hw.oxcore.decoder import Decoder
from hw.oxcore.engine import CLAIM
from hw.oxcore.hazard import PRODUCER
from hw.oxcore.pipeline import TRAP
from hw.oxcore.stages.fetch import DECODE_INPUT, FETCHED
from oxcore.retire import TrapCause

__all__ = ["Decode", "HAZARD_QUERY", "PREDICT", "STALLS"]

# What ID asks the hazard unit about its instruction (``writes_rd``/``rd``: engines only).
HAZARD_QUERY = data.StructLayout({"valid": 1, "reads_rs1": 1, "reads_rs2": 1, "rs1": 5,
                                  "rs2": 5, "csr": 1, "writes_rd": 1, "rd": 5, "mul": 1})
# The hazard unit's answers.
STALLS = data.StructLayout({"load_use": 1, "mul": 1, "serial": 1, "engine": 1})
# The predictor's inputs: the fetched word's pc and, decoded, its flow and direct target.
PREDICT = data.StructLayout({"pc": 32, "flow": Flow, "target": 32, "backward": 1})


class Decode(wiring.Component):
    """ID.

    Inputs: ``d`` (ID's instruction; its ``word`` and ``pred`` are the RAM's output
    and the predictor's guess without `registered_fetch`), ``q`` and ``q_word`` (the
    fetched word, for the predictor), ``rf_data`` (the register file's read data),
    ``stall`` (the hazard unit's), ``x_live`` / ``x_fire`` (EX holds an instruction /
    it moves on), ``squash`` (a redirect squashes ID), ``halted``, ``ex_rs1`` /
    ``ex_rs2`` (EX's operands after forwarding: a held instruction keeps them
    current), and with engines ``claimed`` (each engine's answer).

    Outputs: ``x`` (the ID/EX register), ``issue``, ``rs1`` / ``rs2`` (the decoded
    register numbers), ``rf_read``, ``hazard``, ``ex_producer`` (EX's instruction as the
    hazard unit sees it), ``predict``, and with engines ``claim_insn``.
    """

    def __init__(self, id_ex: data.StructLayout, *, sync_rf: bool, registered_fetch: bool,
                 predecode: bool, engines: int = 0) -> None:
        self.sync_rf = sync_rf
        self.registered_fetch = registered_fetch
        self.predecode = predecode  # `registered_fetch` with a static or BTB predictor
        self.engines = engines
        members = {
            "d": In(DECODE_INPUT), "q": In(FETCHED), "q_word": In(32),
            "rf_data": In(data.StructLayout({"rs1": 32, "rs2": 32})), "stall": In(STALLS),
            "x_live": In(1), "x_fire": In(1), "squash": In(1), "halted": In(1),
            "ex_rs1": In(32), "ex_rs2": In(32),
            "x": Out(id_ex), "issue": Out(1), "rs1": Out(5), "rs2": Out(5),
            "rf_read": Out(data.StructLayout({"rs1": 5, "rs2": 5})),
            "hazard": Out(HAZARD_QUERY), "ex_producer": Out(PRODUCER), "predict": Out(PREDICT),
        }
        if engines:
            members["claim_insn"] = Out(32)
            members["claimed"] = In(data.ArrayLayout(CLAIM, engines))
        super().__init__(members)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.decoder = dec = Decoder()
        d_trap = Signal(TRAP)
        d_engine = Signal(max(1, self.engines))  # which engine claimed ID's word
        d_engine_writes = Signal()
        m.d.comb += [self.rs1.eq(dec.rs1), self.rs2.eq(dec.rs2)]
        self._decode(m, dec, d_trap, d_engine, d_engine_writes)
        self._register_read(m, dec)
        self._issue(m, dec, d_trap, d_engine, d_engine_writes)
        return m

    def _decode(self, m: Module, dec: Decoder, d_trap, d_engine, d_engine_writes) -> None:
        decode = Module()
        m.submodules.id_decode = decode
        hz, pred = self.hazard, self.predict
        d_ctl = dec.ctl
        reads_rs1, reads_rs2 = d_ctl.reads_rs1, d_ctl.reads_rs2
        claimed = 0
        if self.engines:
            # Engines see ID's word; the first that matches a word the ISA table does
            # not know takes it (the scalar ISA always wins), or a CSR instruction on a
            # CSR the engine owns (the vector engine's vl, vtype, vxrm, ...: engines
            # claim those by number; scalar CSRs are never claimed).
            matches = []
            earlier = 0
            decode.d.comb += self.claim_insn.eq(dec.insn)
            claimable = dec.illegal | (d_ctl.csr != CsrOp.NONE)
            for engine in self.claimed:
                match = engine.match & claimable
                matches.append(match & ~earlier if matches else match)
                earlier = earlier | match
            decode.d.comb += d_engine.eq(Cat(*matches))
            claimed = d_engine.any()
            writes_rd = 0
            for engine, match in zip(self.claimed, matches):
                reads_rs1 = reads_rs1 | (match & engine.reads_rs1)
                reads_rs2 = reads_rs2 | (match & engine.reads_rs2)
                writes_rd = writes_rd | (match & engine.writes_rd)
            decode.d.comb += [d_engine_writes.eq(writes_rd),
                              hz.writes_rd.eq(d_ctl.writes_rd | d_engine_writes),
                              hz.rd.eq(dec.rd), hz.mul.eq(d_ctl.unit == Unit.MUL)]
        decode.d.comb += [
            dec.insn.eq(Mux(self.d.fault, 0, self.d.word)),
            hz.valid.eq(self.d.valid), hz.reads_rs1.eq(reads_rs1),
            hz.reads_rs2.eq(reads_rs2), hz.rs1.eq(dec.rs1), hz.rs2.eq(dec.rs2),
            hz.csr.eq(d_ctl.csr != CsrOp.NONE),
        ]
        # The predictor guesses the successor of the fetched word (q), from its pc
        # and, except in `nlp` mode, its decoded flow and target.
        decode.d.comb += pred.pc.eq(self.q.pc)
        if not self.registered_fetch:
            decode.d.comb += [pred.flow.eq(d_ctl.flow), pred.target.eq(self.d.pc + dec.imm),
                              pred.backward.eq(dec.imm[31])]
        elif self.predecode:
            m.submodules.predecoder = pre = Decoder()
            decode.d.comb += [pre.insn.eq(Mux(self.q.fault, 0, self.q_word)),
                              pred.flow.eq(pre.ctl.flow),
                              pred.target.eq(self.q.pc + pre.imm),
                              pred.backward.eq(pre.imm[31])]
        with decode.If(self.d.fault):
            decode.d.comb += [d_trap.valid.eq(1),
                              d_trap.cause.eq(TrapCause.INSTRUCTION_ACCESS_FAULT)]
        with decode.Elif(dec.illegal & ~claimed if self.engines else dec.illegal):
            decode.d.comb += [d_trap.valid.eq(1),
                              d_trap.cause.eq(TrapCause.ILLEGAL_INSTRUCTION)]
        with decode.Elif(d_ctl.env == Env.EBREAK):
            decode.d.comb += [d_trap.valid.eq(1), d_trap.cause.eq(TrapCause.BREAKPOINT)]

    def _register_read(self, m: Module, dec: Decoder) -> None:
        rf_read = Module()
        m.submodules.id_regfile = rf_read
        x, read = self.x, self.rf_read
        if self.sync_rf:
            # The synchronous register file reads for the instruction EX holds next
            # cycle: ID's when it issues, else EX's own (re-read, so that it sees what
            # WB writes meanwhile, as the asynchronous variant's operand refresh does).
            x_stays = Signal()
            rf_read.d.comb += [
                x_stays.eq(self.x_live & ~self.x_fire),
                read.rs1.eq(Mux(x_stays, x.rs1, dec.rs1)),
                read.rs2.eq(Mux(x_stays, x.rs2, dec.rs2)),
            ]
        else:
            rf_read.d.comb += [read.rs1.eq(dec.rs1), read.rs2.eq(dec.rs2)]

    def _issue(self, m: Module, dec: Decoder, d_trap, d_engine, d_engine_writes) -> None:
        issue = Module()
        m.submodules.id_issue = issue
        x, ctl, halted, stall, producer = self.x, self.x.ctl, self.halted, self.stall, \
            self.ex_producer
        d_pc, d_pred = self.d.pc, self.d.pred
        is_mul = self.x_live & (ctl.unit == Unit.MUL)
        engine_stall = stall.engine if self.engines else 0
        issue.d.comb += [
            # Only what EX's registers say: a trap that EX itself finds (a bad address,
            # a misaligned target, a CSR write) does not hold ID, so that the address
            # adder and compares stay off the path to the fetch enable; the instruction
            # that issues behind it is squashed in EX instead (`older_trap`).
            producer.valid.eq(self.x_live), producer.writes.eq(ctl.writes_rd & ~x.trap.valid),
            producer.rd.eq(x.rd), producer.unit.eq(ctl.unit),
            producer.serial.eq((ctl.env == Env.ECALL) | x.trap.valid),
            self.issue.eq(self.d.valid & (~self.x_live | self.x_fire) & ~stall.load_use
                          & ~stall.mul & ~stall.serial & ~engine_stall & ~self.squash
                          & ~halted),
        ]
        with issue.If(~halted):
            with issue.If(self.issue):
                issue.d.sync += [
                    x.valid.eq(1), x.pc.eq(d_pc), x.insn.eq(dec.insn),
                    x.rd.eq(dec.rd), x.rs1.eq(dec.rs1), x.rs2.eq(dec.rs2),
                    x.imm.eq(dec.imm), x.csr.eq(dec.csr),
                    x.pred_next.eq(d_pred), x.trap.eq(d_trap), x.mul_issued.eq(0),
                    x.pred_seq.eq(d_pred == (d_pc + 4)[:32]),
                    x.pred_target.eq(d_pred == (d_pc + dec.imm)[:32]),
                ]
                if not self.sync_rf:
                    issue.d.sync += [x.rs1_val.eq(self.rf_data.rs1),
                                     x.rs2_val.eq(self.rf_data.rs2)]
                if self.engines:
                    issue.d.sync += [x.engine.eq(d_engine),
                                     x.engine_writes.eq(d_engine_writes & (dec.rd != 0))]
                    # a claimed instruction is its engine's: no scalar control (a
                    # claimed CSR instruction must not reach the scalar CSR unit)
                    with issue.If(~d_engine.any()):
                        issue.d.sync += x.ctl.eq(dec.ctl)
                    with issue.Else():
                        issue.d.sync += x.ctl.eq(0)
                else:
                    issue.d.sync += x.ctl.eq(dec.ctl)
            with issue.Elif(self.x_fire | ~self.x_live):
                issue.d.sync += x.valid.eq(0)
            with issue.Else():  # EX holds: keep its operands current as older results retire
                issue.d.sync += x.mul_issued.eq(x.mul_issued | is_mul)
                if not self.sync_rf:
                    issue.d.sync += [x.rs1_val.eq(self.ex_rs1), x.rs2_val.eq(self.ex_rs2)]
