"""The tensor unit's architectural state: eight tiles of TDIM rows x 4*TDIM bytes (read
as TDIM x TDIM int32 or TDIM x 4*TDIM int8) and the requantization CSRs of ``tst.b``."""

from __future__ import annotations

import numpy as np

from oxcore.isa.ext.xoxtensor import CSR_TQMAX, CSR_TQMIN, CSR_TROW0, RESET

TILES = 8


class TensorState:
    """Tile registers (``tiles[m]`` is tile m, row-major) and tensor CSRs of one hart.

    CSR fields hold what software reads back: the multiplier, zero point and clamp
    bounds as 32-bit patterns (their signed view is what `requantize` takes), the WARL
    fields masked. Reset values come from the ISA table (`RESET`).
    """

    def __init__(self, tdim: int) -> None:
        self.tdim = tdim
        self.tiles = np.zeros((TILES, tdim, tdim), dtype=np.int32)
        self.multiplier = 0
        self.shift = 0
        self.zero_point = 0
        self.rounding = 0  # vxrm encoding: rnu, rne, rdn, rod
        self.saturated = 0
        self.rows_limit = 0  # trows: 0 (or above TDIM) means all rows
        self.first_row_limit = RESET[CSR_TROW0]  # trow0 (0): rows before it are not moved
        self.bytes_limit = 0  # tcolb: 0 (or above 4*TDIM) means all bytes of a row
        self.clamp_min = RESET[CSR_TQMIN]  # tqmin, sign-extended: -128 (no clamp)
        self.clamp_max = RESET[CSR_TQMAX]  # tqmax: 127 (no clamp)
        self.k_steps = 0  # of the tmma so far (the untimed tactive)

    @property
    def tile_bytes(self) -> int:
        return self.tdim * self.tdim * 4

    @property
    def row_bytes(self) -> int:
        """Bytes of a tile row: TDIM int32 or 4*TDIM int8."""
        return 4 * self.tdim

    @property
    def rows(self) -> int:
        """Rows a tile load or store moves (trows, 0 or out of range: TDIM)."""
        return self.rows_limit if 1 <= self.rows_limit <= self.tdim else self.tdim

    @property
    def first_row(self) -> int:
        """The first row a tile load or store moves (trow0, at most `rows`: a trow0 at
        or past the last row moved leaves no row to move)."""
        return min(self.first_row_limit, self.rows)

    @property
    def row_bytes_moved(self) -> int:
        """Bytes of a row a tile load or tst.w moves (tcolb, 0 or out of range: all)."""
        return self.bytes_limit if 1 <= self.bytes_limit <= self.row_bytes else self.row_bytes

    def int8_view(self, m: int, unsigned: bool = False) -> np.ndarray:
        """Tile `m` as TDIM x 4*TDIM int8 (uint8 if `unsigned`): each row's bytes in
        memory order, i.e. int32 element j's bytes are columns 4j..4j+3, low first."""
        return self.tiles[m].astype("<i4").view(np.uint8 if unsigned else np.int8).reshape(
            self.tdim, self.row_bytes)

    def tile_value(self, m: int) -> int:
        """Tile `m` as one little-endian integer, row-major (a `TileWrite`'s data)."""
        return int.from_bytes(self.tiles[m].astype("<i4").tobytes(), "little")
