"""Memory ports: one request/response signature shared by the core, the engines, the
arbiter and the RAMs (in the style of amaranth-soc's bus signatures).

A request moves in a cycle where ``valid & ready``; a read's data arrives with ``rvalid``,
in request order, a fixed number of cycles later (the next cycle; on a staged engine
port of the banked RAM, `banked_ram.STAGED_READ_LATENCY`): a requester counts
responses by ``rvalid``, not by cycles. ``valid`` must not depend on ``ready`` in the
same cycle (a requester may withdraw an unaccepted request: no part keeps state for
one), so that a memory that stalls never makes a combinational loop through a
requester.
"""

from __future__ import annotations

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["MemoryPortSignature"]


class MemoryPortSignature(wiring.Signature):
    """A memory port: valid/ready requests of one data word, read responses a cycle later.

    Parameters
    ----------
    addr_width : int
        Width of ``addr``, a *word* address (in units of ``data_width`` bits). 1 to 32.
    data_width : int
        Bits per word: a power of two from 32 to 1024 (a scalar port is 32; the vector
        engine's is LANES x 32; the tensor engine's `TensorConfig.port_bits`).

    Members
    -------
    valid : ``Out(1)``
        A request is presented (must not depend on ``ready``).
    ready : ``In(1)``
        The request is accepted this cycle. Low on a bank conflict or a lost
        arbitration: the requester stalls.
    addr : ``Out(addr_width)``
        Word address.
    write : ``Out(1)``
        A write (else a read).
    mask : ``Out(data_width // 8)``
        Byte enables of a write (ignored for a read).
    wdata : ``Out(data_width)``
        Write data, byte lane ``i`` in bits ``8 * i`` up.
    rvalid : ``In(1)``
        ``rdata`` holds the word read by the oldest read request not yet answered.
    rdata : ``In(data_width)``
        Read data.

    Raises
    ------
    TypeError
        If a width is not an integer.
    ValueError
        If a width is out of range, or ``data_width`` is not a power of two.
    """

    def __init__(self, *, addr_width: int, data_width: int) -> None:
        for name, value in (("addr_width", addr_width), ("data_width", data_width)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an integer, not {value!r}")
        if not 1 <= addr_width <= 32:
            raise ValueError(f"addr_width must be from 1 to 32, not {addr_width}")
        if not 32 <= data_width <= 1024 or data_width & (data_width - 1):
            raise ValueError(f"data_width must be a power of two from 32 to 1024, "
                             f"not {data_width}")
        self._addr_width = addr_width
        self._data_width = data_width
        super().__init__({
            "valid": Out(1), "ready": In(1),
            "addr": Out(addr_width), "write": Out(1), "mask": Out(data_width // 8),
            "wdata": Out(data_width),
            "rvalid": In(1), "rdata": In(data_width),
        })

    @property
    def addr_width(self) -> int:
        return self._addr_width

    @property
    def data_width(self) -> int:
        return self._data_width

    @property
    def words(self) -> int:
        """32-bit words per access."""
        return self._data_width // 32

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, MemoryPortSignature)
                and (self.addr_width, self.data_width) == (other.addr_width, other.data_width))

    def __hash__(self) -> int:
        return hash((MemoryPortSignature, self.addr_width, self.data_width))

    def __repr__(self) -> str:
        return (f"MemoryPortSignature(addr_width={self.addr_width}, "
                f"data_width={self.data_width})")


#: The scalar core's data port: 32-bit words of a 4 GiB byte space.
SCALAR_PORT = MemoryPortSignature(addr_width=30, data_width=32)
