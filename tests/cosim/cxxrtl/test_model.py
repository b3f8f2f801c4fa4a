"""The model API: signals, memories, batch runs with attention stops and full buffers."""

import numpy as np
import pytest
from amaranth import Module
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out

from cosim.cxxrtl import CxxrtlError, RecordFormat, SignalInfo, StopReason, layout_fields

from .designs import Counter, Retire, ToyCpu, enc, sum_program
from .harness import RETIRE_FIELDS, configure, run_cxxrtl


@pytest.fixture
def cpu(built):
    return built(ToyCpu(program=sum_program(10))).instantiate()


def test_signals_by_debug_name(built):
    model = built(Counter()).instantiate()
    names = set(model.signals)
    assert {"clk", "rst", "inc", "sel", "cnt", "comb_out", "mixed", "mem", "acc total"} <= names
    assert model.signal("inc").is_input and model.signal("cnt").is_output
    assert model.signal("acc.total") is model.signal("acc total")  # dotted form accepted
    assert model.signal("mem").is_memory and model.signal("mem").depth == 16
    with pytest.raises(CxxrtlError, match="no signal named 'nope'"):
        model.peek("nope")
    with pytest.raises(CxxrtlError, match="not writable"):
        model.poke("comb_out", 1)


def test_poke_then_peek_settles(built):
    model = built(Counter()).instantiate()
    model.run(3)
    model.poke("sel", 0)
    model.poke("inc", 0x12)
    assert model.peek("comb_out") == 3 ^ 0x1212
    model.poke("sel", 1)
    assert model.peek("comb_out") == 9


def test_registers_can_be_poked(built):
    model = built(Counter()).instantiate()
    model.poke("cnt", 1000)  # a register's next value: takes effect at the settle
    assert model.peek("cnt") == 1000
    model.run(1)
    assert model.peek("cnt") == 1001


def test_memory_init_applied_at_run_time(built):
    """Initial contents come out of the RTLIL and are written into the model at start."""
    build = built(Counter())
    assert [init.name for init in build.meminits] == ["mem"]
    model = build.instantiate()
    assert model.read_memory("mem").tolist() == [3, 1, 4, 1, 5, 9, 2, 6] + [0] * 8


class _Rom(wiring.Component):
    addr: In(4)
    data: Out(16)

    def elaborate(self, platform):
        m = Module()
        m.submodules.rom = rom = memory.Memory(shape=16, depth=16, init=[10 * i for i in range(16)])
        port = rom.read_port(domain="comb")
        m.d.comb += [port.addr.eq(self.addr), self.data.eq(port.data)]
        return m


class _TwoRoms(wiring.Component):
    addr: In(4)
    a: Out(16)
    b: Out(16)

    def elaborate(self, platform):
        m = Module()
        m.submodules.left = left = _Rom()
        m.submodules.right = right = _Rom()
        m.d.comb += [left.addr.eq(self.addr), right.addr.eq(self.addr + 1),
                     self.a.eq(left.data), self.b.eq(right.data)]
        return m


def test_memory_init_in_submodules(built):
    build = built(_TwoRoms())
    assert [init.name for init in build.meminits] == ["left rom", "right rom"]
    model = build.instantiate()
    model.poke("addr", 3)
    assert (model.peek("a"), model.peek("b")) == (30, 40)
    model.load_memory("right rom", [7], start=4)
    assert model.peek("b") == 7 and model.read_memory("left rom", 4, 1).tolist() == [40]


def test_memory_load_and_readback(cpu):
    cpu.load_memory("mem", [0xDEADBEEF, 0x12345678], start=1000)
    assert cpu.read_memory("mem", 1000, 2).tolist() == [0xDEADBEEF, 0x12345678]
    assert cpu.read_bytes("mem", 4000, 8) == bytes.fromhex("efbeadde78563412")
    cpu.load_bytes("mem", 4001, b"\x01\x02\x03")
    assert cpu.read_memory("mem", 1000, 1).tolist() == [0x030201EF]
    view = cpu.memory_view("mem")
    view[1001] = 7
    assert cpu.read_memory("mem", 1001, 1).tolist() == [7]
    with pytest.raises(CxxrtlError, match="outside memory"):
        cpu.load_memory("mem", [1, 2], start=1023)
    with pytest.raises(CxxrtlError, match="not a memory"):
        cpu.read_memory("retire")


def test_bytes_in_narrow_memory(built):
    model = built(Counter()).instantiate()
    model.load_bytes("mem", 9, b"\xaa\xbb")
    assert model.read_memory("mem", 8, 4).tolist() == [0, 0xAA, 0xBB, 0]
    assert model.read_bytes("mem", 0, 4) == bytes([3, 1, 4, 1])


def test_program_loaded_at_run_time_runs(built):
    """One library, any program: load it after instantiation (no rebuild)."""
    build = built(ToyCpu())
    model = build.instantiate()
    program = [enc("addi", 1, 0, 0, 40), enc("addi", 2, 0, 0, 2), enc("add", 3, 1, 2),
               enc("ecall", 0, 3, 0, 2), enc("halt")]
    model.load_memory("mem", program)
    outcome = run_cxxrtl(model, 1000)
    assert outcome.halted and outcome.exit_code == 42
    assert [r[1] for r in outcome.records] == [0, 4, 8, 12, 16]  # pcs


def test_attention_stops_before_the_edge_and_answer_continues(cpu):
    configure(cpu)
    result = cpu.run(100000)
    assert result.reason is StopReason.ATTENTION and result.attention == ("env_req",)
    stopped = cpu.cycle
    assert result.cycles == stopped
    assert cpu.peek("env_req") == 1 and cpu.peek("env_num") == 1
    # unanswered: stops again at once without running a cycle
    assert cpu.run(10, answered=False).cycles == 0 and cpu.cycle == stopped
    assert cpu.run(0).cycles == 0  # does not forget that this cycle stopped on attention
    # answered (the default right after an attention stop): this cycle runs
    cpu.poke("env_ack", 1)
    cpu.poke("env_ret", 4)
    again = cpu.run(1)
    assert (again.cycles, again.reason) == (1, StopReason.CYCLES)
    assert len(again.records) == 1  # the ecall retires in the answered cycle
    cpu.poke("env_ack", 0)
    nxt = cpu.run(100000)
    assert nxt.reason is StopReason.ATTENTION and nxt.attention == ("env_req",)
    assert cpu.peek("env_num") == 2  # exit()


def test_full_buffer_splits_batches_without_losing_records(built):
    program = sum_program(15)
    whole = built(ToyCpu(program=program)).instantiate()
    configure(whole)
    reference = whole.run(300)
    assert reference.reason is StopReason.CYCLES

    model = built(ToyCpu(program=program)).instantiate()
    configure(model)
    model.configure(record=["retire"], valid=("retire", 0), attention=["env_req", "halt"],
                    buffer_records=16)
    batches, reasons = [], []
    while model.cycle < 300:
        result = model.run(300 - model.cycle)
        batches.append(result.records)
        reasons.append(result.reason)
    assert StopReason.FULL in reasons and all(len(b) <= 16 for b in batches)
    assert np.array_equal(np.concatenate(batches), reference.records)


def test_max_records_stops_after_the_cycle_that_takes_the_last(built):
    model = built(ToyCpu(program=sum_program(15))).instantiate()
    configure(model)
    result = model.run(100000, max_records=7)
    assert result.reason is StopReason.FULL and len(result.records) == 7
    last_cycle = int(model.record_format.decode(result.records)["cycle"][-1])
    assert model.cycle == last_cycle + 1
    none = model.run(100000, max_records=0)  # runs up to the next retirement, excluded
    assert none.reason is StopReason.FULL and len(none.records) == 0
    assert model.peek("retire") & 1


def test_conditions_on_several_bits(built):
    """valid and attention may require several bits of one signal at once."""
    model = built(Counter()).instantiate()
    model.poke("sel", 0)
    model.poke("inc", 0)
    # cnt counts 0, 1, 2, ...: bits 0 and 1 both set every 4th cycle, from cycle 3
    fmt = model.configure(record=["cnt"], valid=("cnt", (0, 1)), attention=[("cnt", (2, 3))])
    result = model.run(100)
    assert result.reason is StopReason.ATTENTION and result.attention == ("cnt[2,3]",)
    assert model.cycle == 12 and fmt.decode(result.records)["cnt"].tolist() == [3, 7, 11]
    with pytest.raises(CxxrtlError, match="bit 16 out of range for cnt"):
        model.configure(attention=[("cnt", 16)])


def test_record_when_any_of_several_conditions_holds(built):
    """A list of valid conditions: a record in each cycle where any of them holds (the
    harness records several ports together this way); max_records counts those."""
    model = built(Counter()).instantiate()
    model.poke("sel", 0)
    model.poke("inc", 0)
    fmt = model.configure(record=["cnt", "comb_out"], valid=[("cnt", (0, 1)), ("cnt", 3)])
    result = model.run(20)
    cycles = fmt.decode(result.records)["cycle"].tolist()
    assert cycles == [3, 7, 8, 9, 10, 11, 12, 13, 14, 15, 19]  # bits 0 and 1, or bit 3
    assert fmt.decode(result.records)["cnt"].tolist() == cycles
    model.reset()
    assert len(model.run(20, max_records=3).records) == 3 and model.cycle == 9
    fmt = model.configure(record=["cnt"], valid=("cnt", 0))  # a single condition again
    model.reset()
    assert fmt.decode(model.run(6).records)["cycle"].tolist() == [1, 3, 5]


def test_reset_restarts_identically(cpu):
    first = run_cxxrtl(cpu, 10000)
    cpu.poke("env_ack", 0)
    cpu.reset()
    assert cpu.cycle == 0 and cpu.peek("pc_out") == 0
    second = run_cxxrtl(cpu, 10000)
    assert first.records == second.records and first.memory == second.memory


def test_record_decode_fields():
    layout = data.Layout.cast(Retire)
    fields = layout_fields("retire", layout)
    assert fields["valid"] == ("retire", 0, 1) and fields["pc"] == ("retire", 1, 32)
    assert fields == RETIRE_FIELDS
    info = SignalInfo("retire", 0, 0, 2, layout.size, 1, 1)
    fmt = RecordFormat([info], stamp=True)
    value = (1 | (0x80001234 << 1) | (0xFFFFFFFF << fields["mem_data"][1]))
    words = [5, 1] + [(value >> (32 * k)) & 0xFFFFFFFF for k in range(info.words)]
    columns = fmt.decode(np.array([words], dtype=np.uint32), fields)
    assert columns["cycle"].tolist() == [(1 << 32) | 5]
    assert columns["pc"].tolist() == [0x80001234] and columns["valid"].tolist() == [1]
    assert columns["mem_data"].tolist() == [0xFFFFFFFF]
    wide = fmt.decode(np.array([words], dtype=np.uint32), {"all": ("retire", 0, layout.size)})
    assert wide["all"].shape == (1, (layout.size + 7) // 8)  # wide: bytes, little-endian
    assert int.from_bytes(wide["all"][0].tobytes(), "little") == value
    # A wide field that starts mid-word.
    odd = fmt.decode(np.array([words], dtype=np.uint32), {"odd": ("retire", 1, 70)})
    assert int.from_bytes(odd["odd"][0].tobytes(), "little") == (value >> 1) & ((1 << 70) - 1)


def test_hot_path_signals_must_be_plain(cpu):
    with pytest.raises(CxxrtlError, match="cannot be used as a record field"):
        cpu.configure(record=["mem"])
