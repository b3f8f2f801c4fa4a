"""Small designs for the CXXRTL backend tests (not OxCore itself).

- `Counter`: a register, a submodule, a memory with an asynchronous read port, and
  outputs that are combinational functions of state and inputs (the -O4+ trap).
- `ToyCpu`: a multi-cycle CPU-like core with a program/data memory, a register file per
  SIMD lane (`lanes` scales it to a few thousand cells), a retire struct output with a
  valid bit (combinational), an environment-call handshake (`env_req` / `env_ack`) and a
  `halt` output: the shape of the OxCore pipeline harness interface.

ToyCpu ISA, 32-bit words: op[31:26] rd[25:22] rs1[21:18] rs2[17:14] imm[13:0] (signed).
Addresses are byte addresses; the memory is word-addressed (addr >> 2).
"""



from amaranth import Array, Cat, Const, Module, Mux, Signal
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

OPS = {
    "nop": 0, "addi": 1, "add": 2, "sub": 3, "xor": 4, "sll": 5, "srl": 6, "mul": 7,
    "lw": 8, "sw": 9, "bne": 10, "beq": 11, "lui": 12, "ecall": 13, "halt": 14, "blt": 15,
}
MUL_CYCLES = 3


def enc(op: str, rd: int = 0, rs1: int = 0, rs2: int = 0, imm: int = 0) -> int:
    assert -(1 << 13) <= imm < (1 << 13), imm
    return (OPS[op] << 26) | (rd << 22) | (rs1 << 18) | (rs2 << 14) | (imm & 0x3FFF)


class Counter(wiring.Component):
    inc: In(8)
    sel: In(1)
    cnt: Out(16)  # a register (synchronous output)
    comb_out: Out(16)  # combinational from state and inputs
    mixed: Out(8)  # combinational from the submodule and the memory

    def elaborate(self, platform):
        m = Module()
        m.submodules.acc = acc = _Accumulator()
        m.submodules.mem = mem = memory.Memory(shape=8, depth=16, init=[3, 1, 4, 1, 5, 9, 2, 6])
        rd = mem.read_port(domain="comb")
        wr = mem.write_port()
        count = Signal(16)
        m.d.sync += count.eq(count + 1 + self.sel)
        m.d.comb += [
            acc.a.eq(self.inc),
            self.cnt.eq(count),
            self.comb_out.eq(Mux(self.sel, count * 3, count ^ Cat(self.inc, self.inc))),
            rd.addr.eq(count[:4]),
            wr.addr.eq(count[:4] + 5),
            wr.data.eq(acc.y),
            wr.en.eq(count[0]),
            self.mixed.eq(rd.data + acc.y),
        ]
        return m


class _Accumulator(wiring.Component):
    a: In(8)
    y: Out(8)

    def elaborate(self, platform):
        m = Module()
        total = Signal(8)
        m.d.sync += total.eq(total + self.a)
        m.d.comb += self.y.eq(total ^ 0x5A)
        return m


class Retire(data.Struct):
    valid: 1
    pc: 32
    insn: 32
    rd: 4
    rd_value: 32
    lanes_xor: 32
    mem_addr: 32
    mem_write: 1
    mem_data: 32


class ToyCpu(wiring.Component):
    env_ack: In(1)
    env_ret: In(32)
    retire: Out(Retire)
    env_req: Out(1)
    env_num: Out(14)
    env_a0: Out(32)
    env_a1: Out(32)
    halt: Out(1)
    pc_out: Out(32)

    def __init__(self, *, lanes: int = 1, depth: int = 1024, program: list[int] | None = None):
        self.lanes = lanes
        self.depth = depth
        self.program = list(program or [])
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = memory.Memory(shape=32, depth=self.depth, init=self.program)
        self.mem = mem  # for the Amaranth-simulator harness (reads write() buffers)
        fetch = mem.read_port(domain="comb")
        load = mem.read_port(domain="comb")
        store = mem.write_port()
        abits = (self.depth - 1).bit_length()

        pc = Signal(32)
        insn = Signal(32)
        executing = Signal()
        halted = Signal()
        mul_count = Signal(range(MUL_CYCLES + 1))
        regs = [Array(Signal(32, name=f"l{lane}_r{i}", init=(lane if i == 15 else 0))
                      for i in range(16)) for lane in range(self.lanes)]

        op = insn[26:32]
        rd = insn[22:26]
        rs1 = insn[18:22]
        rs2 = insn[14:18]
        imm = Signal(32)
        m.d.comb += imm.eq(insn[0:14].as_signed())

        a = [regs[lane][rs1] for lane in range(self.lanes)]
        b = [regs[lane][rs2] for lane in range(self.lanes)]
        results = [Signal(32, name=f"result{lane}") for lane in range(self.lanes)]
        for lane in range(self.lanes):
            with m.Switch(op):
                for name, code in OPS.items():
                    with m.Case(code):
                        if name == "addi":
                            m.d.comb += results[lane].eq(a[lane] + imm)
                        elif name == "add":
                            m.d.comb += results[lane].eq(a[lane] + b[lane])
                        elif name == "sub":
                            m.d.comb += results[lane].eq(a[lane] - b[lane])
                        elif name == "xor":
                            m.d.comb += results[lane].eq(a[lane] ^ b[lane])
                        elif name == "sll":
                            m.d.comb += results[lane].eq(a[lane] << b[lane][:5])
                        elif name == "srl":
                            m.d.comb += results[lane].eq(a[lane] >> b[lane][:5])
                        elif name == "mul":
                            m.d.comb += results[lane].eq(a[lane] * b[lane])
                        elif name == "lui":
                            m.d.comb += results[lane].eq(insn[0:14] << 18)
                        elif name == "lw":
                            m.d.comb += results[lane].eq(load.data)
                        elif name == "ecall":
                            m.d.comb += results[lane].eq(self.env_ret)

        writes = Signal()
        addr = Signal(32)
        m.d.comb += [
            addr.eq(a[0] + imm),
            fetch.addr.eq(pc[2:2 + abits]),
            load.addr.eq(addr[2:2 + abits]),
            store.addr.eq(addr[2:2 + abits]),
            store.data.eq(b[0]),
            self.pc_out.eq(pc),
            self.halt.eq(halted),
        ]
        is_op = {name: op == code for name, code in OPS.items()}
        taken = Signal()
        m.d.comb += taken.eq((is_op["bne"] & (a[0] != b[0])) | (is_op["beq"] & (a[0] == b[0]))
                             | (is_op["blt"] & (a[0].as_signed() < b[0].as_signed())))
        stall = Signal()
        m.d.comb += stall.eq((is_op["ecall"] & ~self.env_ack)
                             | (is_op["mul"] & (mul_count != MUL_CYCLES)))
        retiring = Signal()
        m.d.comb += retiring.eq(executing & ~stall & ~halted)
        m.d.comb += [
            self.env_req.eq(executing & is_op["ecall"] & ~halted),
            self.env_num.eq(insn[0:14]),
            self.env_a0.eq(a[0]),
            self.env_a1.eq(b[0]),
        ]
        has_rd = Signal()
        m.d.comb += has_rd.eq(~(is_op["sw"] | is_op["bne"] | is_op["beq"] | is_op["blt"]
                                | is_op["nop"] | is_op["halt"]) & (rd != 0))
        m.d.comb += writes.eq(retiring & has_rd)
        lanes_xor = Const(0, 32)
        for lane in range(1, self.lanes):
            lanes_xor = lanes_xor ^ results[lane]
        m.d.comb += [
            self.retire.valid.eq(retiring),
            self.retire.pc.eq(pc),
            self.retire.insn.eq(insn),
            self.retire.rd.eq(Mux(has_rd, rd, 0)),
            self.retire.rd_value.eq(Mux(has_rd, results[0], 0)),
            self.retire.lanes_xor.eq(Mux(has_rd, lanes_xor, 0)),
            self.retire.mem_addr.eq(Mux(is_op["lw"] | is_op["sw"], addr, 0)),
            self.retire.mem_write.eq(is_op["sw"]),
            self.retire.mem_data.eq(Mux(is_op["sw"], b[0], Mux(is_op["lw"], load.data, 0))),
            store.en.eq(retiring & is_op["sw"]),
        ]

        with m.If(~executing):
            m.d.sync += [insn.eq(fetch.data), executing.eq(~halted)]
        with m.Elif(retiring):
            m.d.sync += [executing.eq(0), mul_count.eq(0),
                         pc.eq(Mux(taken, pc + (imm << 2), pc + 4))]
            with m.If(is_op["halt"]):
                m.d.sync += halted.eq(1)
            with m.If(writes):
                for lane in range(self.lanes):
                    m.d.sync += regs[lane][rd].eq(results[lane])
        with m.Elif(is_op["mul"]):
            m.d.sync += mul_count.eq(mul_count + 1)
        return m


def sum_program(n: int, *, loops: int = 1) -> list[int]:
    """Store 1..n at 0x800, sum it `loops` times (mul/shift mixed in), write() a message
    of the sum's digits through ecall 1, exit(sum & 0xff) through ecall 2, halt."""
    base = 0x800
    P = []
    P += [enc("addi", 1, 0, 0, base), enc("addi", 2, 0, 0, 1), enc("addi", 3, 0, 0, n + 1)]
    # fill: mem[r1] = r2; r1 += 4; r2 += 1; until r2 == r3
    fill = len(P)
    P += [enc("sw", 0, 1, 2, 0), enc("addi", 1, 1, 0, 4), enc("addi", 2, 2, 0, 1),
          enc("bne", 0, 2, 3, fill - (len(P) + 3))]
    P += [enc("addi", 9, 0, 0, loops), enc("addi", 4, 0, 0, 0)]
    outer = len(P)
    P += [enc("addi", 1, 0, 0, base), enc("addi", 5, 0, 0, n)]
    inner = len(P)
    # r4 += mem[r1] * 3 ^ (mem[r1] << 2) >> 1 ; lanes differ through r15
    P += [enc("lw", 6, 1, 0, 0), enc("addi", 7, 0, 0, 3), enc("mul", 8, 6, 7),
          enc("addi", 10, 0, 0, 2), enc("sll", 11, 6, 10), enc("addi", 10, 0, 0, 1),
          enc("srl", 11, 11, 10), enc("xor", 8, 8, 11), enc("add", 8, 8, 15),
          enc("add", 4, 4, 8), enc("addi", 1, 1, 0, 4), enc("addi", 5, 5, 0, -1)]
    P += [enc("bne", 0, 5, 0, inner - len(P))]
    P += [enc("addi", 9, 9, 0, -1)]
    P += [enc("bne", 0, 9, 0, outer - len(P))]
    # write 4 bytes of r4 at 0x700 as a "message": store, then ecall 1 (a0=addr, a1=len)
    P += [enc("addi", 12, 0, 0, 0x700), enc("sw", 0, 12, 4, 0), enc("addi", 13, 0, 0, 4),
          enc("ecall", 14, 12, 13, 1),
          enc("ecall", 0, 4, 0, 2),
          enc("halt")]
    return P
