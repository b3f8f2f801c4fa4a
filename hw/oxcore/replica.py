"""Copies of a flip-flop, to split a fan-out that spans the device.

A register whose output reaches thousands of flip-flops (an enable over a 2,048-bit
tile, a select in front of a tile buffer) is one net from one place: on an FPGA its
delay is the wire to its farthest sink, however short the logic. Copies of the
register, each driving a part of the sinks, let the placer put each next to its part.

Synthesis would merge the copies back into one (Yosys's ``opt_merge`` merges equal
cells), so each copy's wire carries `REPLICA_ATTR`, on which the FPGA flow's synthesis
script marks the driving flip-flop ``keep`` (`fpga.area.prepare_memories`). Simulators
see ordinary registers that always agree.
"""
from amaranth.hdl import Module, Signal, Value

REPLICA_ATTR = "oxcore.replica"


def registered_copies(m: Module, value: Value, count: int, name: str, init: int = 0
                      ) -> list[Signal]:
    """`count` registers in the sync domain, each taking `value` every cycle (so each is
    `value` a cycle late, and `init` after a reset), named ``{name}_copy{i}``, as wide
    as `value`. (A register with an enable is copied by passing its next value:
    ``Mux(enable, new, register)``.)"""
    value = Value.cast(value)
    copies = [Signal(value.shape(), name=f"{name}_copy{i}", init=init,
                     attrs={REPLICA_ATTR: "1"}) for i in range(count)]
    m.d.sync += [copy.eq(value) for copy in copies]
    return copies
