"""The tensor unit's operations: what each Xoxtensor row's semantics call (``tensor.*``).

Each method checks everything that can make the instruction trap before it changes any
state, so a trapping instruction has no effect. Tile memory accesses are TDIM rows,
row i at ``base + i * stride`` (stride: rs2 as a signed 32-bit byte count; 0 and
negative strides are allowed). A tile row is 4*TDIM bytes (TDIM int32 or 4*TDIM int8:
tld.b and tld.w move the same bytes and differ only in alignment); tst.b's rows are
TDIM bytes. The ``trow0``, ``trows`` and ``tcolb`` CSRs cut every access to rows
trow0..trows-1 and to the first tcolb bytes of each (a tile's edges inside a matrix, or
a convolution's padding before it): a load zeroes the tile outside them, a store leaves
memory there alone, and only the bytes moved are checked and recorded. With trow0 at
or past trows no row moves: a load zeroes the whole tile and touches no memory (so its
base address is not checked), a store does nothing. Each row moved must be
element-aligned (every address a multiple of the element size: 1 for ``.b``, 4 for
``.w``) and lie inside RAM, else the instruction traps with a misaligned or access-fault
cause naming the row.

Retire effects (recording mode): a `TileWrite` (the whole tile afterwards) for each tile
written, a `MemAccess` per row loaded or stored, and a `CsrWrite` of tqsat when a
``tst.b`` sets it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oxcore.isa.ext.xoxtensor import (CSR_TACTIVE, CSR_TBUSY, CSR_TCOLB, CSR_TDIM,
                                      CSR_TLENB, CSR_TMACS, CSR_TQFULL, CSR_TQMAX, CSR_TQMIN,
                                      CSR_TQMUL, CSR_TQRM, CSR_TQSAT, CSR_TQSHIFT, CSR_TQZP,
                                      CSR_TROW0, CSR_TROWS, CSR_TSTALL_OPERAND,
                                      CSR_TSTALL_PORT, CSRS, WARL_BITS, warl_value)
from oxcore.isa.tensor.requant import requantize
from oxcore.isa.tensor.state import TensorState
from oxcore.isa.traps import LOAD_FAULT, LOAD_MISALIGNED, STORE_FAULT, STORE_MISALIGNED, Trap

MASK32 = 0xFFFF_FFFF
ELEMENT_TYPES = {1: np.int8, 4: np.dtype("<i4")}  # element size in memory -> dtype


def _signed32(value: int) -> int:
    return (value & MASK32 ^ 0x8000_0000) - 0x8000_0000


class TensorUnit:
    """The tensor unit of one interpreter machine, in one execution mode."""

    register_files = ("tile",)
    csrs = tuple(csr.number for csr in CSRS)

    def __init__(self, machine: Any, recording: bool) -> None:
        self.machine = machine
        self.recording = recording
        tensor = getattr(machine.config, "tensor", None)
        self.state: TensorState = machine.engine_state.setdefault(
            "tensor", TensorState(tensor.tdim if tensor is not None else 8))
        self.memory = np.frombuffer(machine.ram, dtype=np.uint8)

    # ---- CSRs --------------------------------------------------------------------------
    def csr_read(self, number: int) -> int:
        """The CSR's value. The interpreter is untimed: tactive counts the k-steps of the
        tmma retired so far (as if each ran alone), tmacs their MACs, stalls read 0."""
        s = self.state
        steps = s.k_steps & MASK32
        return {CSR_TACTIVE: steps, CSR_TMACS: steps * s.tdim * s.tdim & MASK32,
                CSR_TSTALL_OPERAND: 0, CSR_TSTALL_PORT: 0, CSR_TQFULL: 0, CSR_TBUSY: steps,
                CSR_TQMUL: s.multiplier, CSR_TQSHIFT: s.shift, CSR_TQZP: s.zero_point,
                CSR_TQRM: s.rounding, CSR_TQSAT: s.saturated, CSR_TROWS: s.rows_limit,
                CSR_TCOLB: s.bytes_limit, CSR_TROW0: s.first_row_limit,
                CSR_TQMIN: s.clamp_min, CSR_TQMAX: s.clamp_max, CSR_TDIM: s.tdim,
                CSR_TLENB: s.tile_bytes}[number]

    def csr_write(self, number: int, value: int) -> bool:
        """Write a writable tensor CSR (its WARL bits); False for tdim and tlenb."""
        s = self.state
        if number not in WARL_BITS:
            return False
        value = warl_value(number, value)
        if number == CSR_TQMUL:
            s.multiplier = value
        elif number == CSR_TQSHIFT:
            s.shift = value
        elif number == CSR_TQZP:
            s.zero_point = value
        elif number == CSR_TQRM:
            s.rounding = value
        elif number == CSR_TQSAT:
            s.saturated = value
        elif number == CSR_TROWS:
            s.rows_limit = value
        elif number == CSR_TROW0:
            s.first_row_limit = value
        elif number == CSR_TQMIN:
            s.clamp_min = value
        elif number == CSR_TQMAX:
            s.clamp_max = value
        else:  # CSR_TCOLB
            s.bytes_limit = value
        return True

    # ---- effects -----------------------------------------------------------------------
    def _effect(self, effect: Any) -> None:
        if self.recording:
            self.machine.extra_effects.append((self.machine.instret, effect))

    def _set_tile(self, m: int, values: np.ndarray) -> None:
        """Tile `m` = `values` modulo 2**32, recorded as a `TileWrite`."""
        from oxcore.retire import TileWrite
        self.state.tiles[m] = (np.asarray(values, dtype=np.int64) & MASK32).astype(
            np.uint32).view(np.int32)
        self._effect(TileWrite(m, self.state.tile_bytes, self.state.tile_value(m)))

    # ---- compute -----------------------------------------------------------------------
    def zero(self, md: int, pc: int) -> None:
        self._set_tile(md, np.zeros_like(self.state.tiles[md]))

    def multiply_accumulate(self, md: int, ms1: int, ms2: int, unsigned_a: bool,
                            pc: int) -> None:
        """md += A x B^T, where A and B are ms1's and ms2's int8 views (TDIM x 4*TDIM:
        row i's bytes, in memory order), A unsigned (uint8) for tmmau. Sums wrap modulo
        2**32. The product is formed from the sources before md is written, so md may
        be ms1 or ms2."""
        s = self.state
        s.k_steps += s.row_bytes
        a = s.int8_view(ms1, unsigned=unsigned_a).astype(np.int64)
        b = s.int8_view(ms2).astype(np.int64)
        self._set_tile(md, s.tiles[md].astype(np.int64) + a @ b.T)

    # ---- memory ------------------------------------------------------------------------
    def _row_offsets(self, mnemonic: str, base: int, stride: int, size: int,
                     row_bytes: int, store: bool, pc: int,
                     moved: np.ndarray | None = None) -> np.ndarray:
        """RAM offsets of the rows moved (`moved`; by default trow0..trows-1) of
        `row_bytes` (`size`-byte elements), or a Trap naming the first row that is
        misaligned or not wholly inside RAM. Rows outside them are not checked."""
        m = self.machine
        if moved is None:
            moved = np.arange(self.state.first_row, self.state.rows, dtype=np.int64)
        addrs = (base + moved * _signed32(stride)) & MASK32
        offsets = (addrs - m.base) & MASK32
        for row, addr, offset in zip(moved.tolist(), addrs.tolist(), offsets.tolist()):
            if addr % size:
                raise Trap(STORE_MISALIGNED if store else LOAD_MISALIGNED, pc, addr,
                           f"{mnemonic} row {row} at {addr:#010x} is not {size}-byte "
                           "aligned (tile rows must be element-aligned)")
            if offset > m.size - row_bytes:
                raise Trap(STORE_FAULT if store else LOAD_FAULT, pc, addr,
                           f"{mnemonic} row {row} at {addr:#010x} ({row_bytes} bytes) is "
                           f"outside memory [{m.base:#010x}, {m.base + m.size:#010x})")
        return offsets

    def _record_rows(self, offsets: np.ndarray, rows: np.ndarray, store: bool) -> None:
        from oxcore.retire import MemAccess
        if self.recording:
            for offset, row in zip(offsets.tolist(), rows):
                self._effect(MemAccess.whole((self.machine.base + offset) & MASK32,
                                             row.size, store,
                                             int.from_bytes(row.tobytes(), "little")))

    def _read_rows(self, mnemonic: str, base: int, stride: int, size: int, row_bytes: int,
                   pc: int, moved: np.ndarray | None = None) -> np.ndarray:
        """The rows a load moves (checked by `_row_offsets`, recorded), row_bytes each."""
        offsets = self._row_offsets(mnemonic, base, stride, size, row_bytes, False, pc, moved)
        rows = self.memory[offsets[:, None] + np.arange(row_bytes)]
        self._record_rows(offsets, rows, False)
        return rows

    def _write_rows(self, offsets: np.ndarray, rows: np.ndarray, pc: int) -> None:
        """A store's rows into memory, in order (a later row wins where rows overlap),
        recorded."""
        for offset, row in zip(offsets.tolist(), rows):
            self.memory[offset:offset + row.size] = row
        self._record_rows(offsets, rows, True)
        self.machine.check_code_write(int(offsets.min()), pc)

    def load(self, md: int, base: int, stride: int, size: int, pc: int) -> None:
        """tld.b (4*TDIM int8 a row, any alignment) or tld.w (TDIM int32, 4-byte
        aligned): the same bytes, a row of the tile from each row address."""
        s = self.state
        mnemonic = "tld.b" if size == 1 else "tld.w"
        row_bytes = s.row_bytes_moved
        rows = self._read_rows(mnemonic, base, stride, size, row_bytes, pc)
        tile = np.zeros((s.tdim, s.row_bytes), dtype=np.uint8)  # outside the edges: 0
        tile[s.first_row:s.rows, :row_bytes] = rows
        self._set_tile(md, tile.view("<i4").astype(np.int64))

    def load_transposed(self, md: int, base: int, stride: int, pc: int) -> None:
        """tld.bt: memory row k (k < tcolb: the tile's byte columns moved), trows bytes
        at base + k*stride, is byte column k of the tile's first trows rows, the rest 0:
        a [K, N] int8 block, N consecutive, becomes the N x K operand tmma's second
        source wants. trow0 is not used (rows are all from 0)."""
        s = self.state
        k_rows = np.arange(s.row_bytes_moved, dtype=np.int64)
        rows = self._read_rows("tld.bt", base, stride, 1, s.rows, pc, k_rows)  # [k, n]
        tile = np.zeros((s.tdim, s.row_bytes), dtype=np.uint8)
        tile[:s.rows, :len(k_rows)] = rows.T
        self._set_tile(md, tile.view("<i4").astype(np.int64))

    def load_whole(self, md: int, base: int, pc: int) -> None:
        """tlr: the whole tile from TDIM rows of 4*TDIM bytes at base + i*4*TDIM (4-byte
        aligned), whatever trow0, trows and tcolb say: a tile register's spill reload,
        which must not be cut by the edges of the code around it (as RVV's whole-register
        loads ignore vl)."""
        s = self.state
        rows = self._read_rows("tlr", base, s.row_bytes, 4, s.row_bytes, pc,
                               np.arange(s.tdim, dtype=np.int64))
        self._set_tile(md, np.ascontiguousarray(rows).view("<i4").astype(np.int64))

    def store_whole(self, ms: int, base: int, pc: int) -> None:
        """tsr: the whole tile to TDIM rows of 4*TDIM bytes at base + i*4*TDIM (4-byte
        aligned), whatever the edge CSRs say (a tile register's spill)."""
        s = self.state
        offsets = self._row_offsets("tsr", base, s.row_bytes, 4, s.row_bytes, True, pc,
                                    np.arange(s.tdim, dtype=np.int64))
        rows = s.tiles[ms].astype("<i4").view(np.uint8).reshape(s.tdim, s.row_bytes)
        self._write_rows(offsets, rows, pc)

    def store(self, ms: int, base: int, stride: int, size: int, pc: int) -> None:
        """tst.w (int32 elements) or tst.b (requantized to int8, see `requantize`).
        Rows are written in order, so with overlapping rows (stride 0) the later wins."""
        s = self.state
        if s.first_row == s.rows:  # trow0 at or past trows: nothing to store
            return
        mnemonic = "tst.b" if size == 1 else "tst.w"
        row_bytes = s.row_bytes_moved if size == 4 else -(-s.row_bytes_moved // 4)
        offsets = self._row_offsets(mnemonic, base, stride, size, row_bytes, True, pc)
        values = s.tiles[ms].astype(np.int64)[s.first_row:s.rows]
        if size == 1:  # the elements stored: the rows moved x ceil(tcolb / 4)
            values, saturated = requantize(values[:, :row_bytes],
                                           _signed32(s.multiplier), s.shift,
                                           _signed32(s.zero_point), s.rounding,
                                           _signed32(s.clamp_min), _signed32(s.clamp_max))
            if saturated and not s.saturated:
                from oxcore.retire import CsrWrite
                s.saturated = 1
                self._effect(CsrWrite(CSR_TQSAT, 1))
        rows = values.astype(ELEMENT_TYPES[size]).view(np.uint8).reshape(len(values), -1)
        self._write_rows(offsets, rows[:, :row_bytes], pc)
