"""The vector unit's architectural state (RVV spec 3) and how register groups hold
elements (spec 4).

Registers are one flat byte array: register ``r`` is bytes ``[r*VLENB, (r+1)*VLENB)``,
so a register group of EMUL registers starting at ``r`` is one contiguous slice and an
element of EEW bits is a little-endian numpy view of it, exactly as the spec lays
elements out ("the elements are packed into each register group, least-significant
byte first").
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

ELEN = 32
VILL = 1 << 31  # vtype.vill, bit XLEN-1
DTYPES = {8: np.uint8, 16: np.uint16, 32: np.uint32}
LMULS = {0: Fraction(1), 1: Fraction(2), 2: Fraction(4), 3: Fraction(8),
         5: Fraction(1, 8), 6: Fraction(1, 4), 7: Fraction(1, 2)}
VXRM_NAMES = ("rnu", "rne", "rdn", "rod")


@dataclass(frozen=True)
class VType:
    """A legal vtype: element width, group multiplier and the two policies."""

    sew: int
    lmul: Fraction
    tail_agnostic: bool
    mask_agnostic: bool

    @staticmethod
    def decode(value: int) -> "VType | None":
        """The vtype that `value` sets, or None if it sets vill (spec 3.4.1 and 6: a
        reserved bit, vlmul 4, SEW > ELEN, or a fractional LMUL with SEW > LMUL*ELEN)."""
        vlmul, vsew = value & 7, (value >> 3) & 7
        if value >> 8 or vlmul not in LMULS or vsew > 2:
            return None
        sew, lmul = 8 << vsew, LMULS[vlmul]
        if lmul < 1 and sew > lmul * ELEN:
            return None
        return VType(sew, lmul, bool(value >> 6 & 1), bool(value >> 7 & 1))

    def vlmax(self, vlen: int) -> int:
        return int(self.lmul * vlen / self.sew)


class VectorState:
    """Vector registers and CSRs of one hart (VLEN from the configuration)."""

    def __init__(self, vlen: int) -> None:
        self.vlen = vlen
        self.vlenb = vlen // 8
        self.regs = np.zeros(32 * self.vlenb, dtype=np.uint8)
        # Reset: vtype.vill set and vl 0 (spec 3.11 recommends it; a vector instruction
        # before the first vsetvl is then illegal).
        self.vtype = VILL
        self.vl = 0
        self.vstart = 0
        self.vxrm = 0
        self.vxsat = 0
        # the velements counter: body elements of the instructions executed (32 bits)
        self.body_elements = 0

    def register(self, reg: int) -> np.ndarray:
        """The bytes of one register (a view)."""
        return self.regs[reg * self.vlenb:(reg + 1) * self.vlenb]

    def elements(self, reg: int, eew: int, count: int) -> np.ndarray:
        """The first `count` EEW-bit elements of the group at `reg`, as a view."""
        nbytes = count * eew // 8
        start = reg * self.vlenb
        if start + nbytes > self.regs.size:
            raise IndexError("register group past v31")
        return self.regs[start:start + nbytes].view(DTYPES[eew])

    def mask_bits(self, reg: int, count: int) -> np.ndarray:
        """Bits 0..count-1 of a mask register, as booleans (spec 4.5: bit i of the
        register is element i's mask bit)."""
        return np.unpackbits(self.register(reg), bitorder="little")[:count].astype(bool)

    def set_mask_bits(self, reg: int, bits: np.ndarray, which: np.ndarray) -> None:
        """Set bits `which` of mask register `reg` to `bits` (others keep their value)."""
        current = np.unpackbits(self.register(reg), bitorder="little")
        n = len(bits)
        current[:n] = np.where(which, bits, current[:n])
        self.register(reg)[:] = np.packbits(current, bitorder="little")
