"""The memory-port signature: members, validated widths, equality."""

import pytest
from amaranth.lib.wiring import Flow

from hw.oxcore.bus import SCALAR_PORT, MemoryPortSignature


def test_members_and_widths():
    sig = MemoryPortSignature(addr_width=12, data_width=128)
    assert sig.words == 4 and sig.addr_width == 12
    assert {name: (m.flow, m.shape.width if hasattr(m.shape, "width") else m.shape)
            for name, m in sig.members.items()} == {
        "valid": (Flow.Out, 1), "ready": (Flow.In, 1), "addr": (Flow.Out, 12),
        "write": (Flow.Out, 1), "mask": (Flow.Out, 16), "wdata": (Flow.Out, 128),
        "rvalid": (Flow.In, 1), "rdata": (Flow.In, 128)}
    assert sig == MemoryPortSignature(addr_width=12, data_width=128) != SCALAR_PORT
    assert "data_width=128" in repr(sig)


@pytest.mark.parametrize("addr_width, data_width, error", [
    (30, 16, ValueError), (30, 2048, ValueError), (30, 96, ValueError),
    (0, 32, ValueError), (33, 32, ValueError), (30, 32.0, TypeError), (True, 32, TypeError),
])
def test_bad_widths(addr_width, data_width, error):
    with pytest.raises(error):
        MemoryPortSignature(addr_width=addr_width, data_width=data_width)
