"""The kernel launch ABI: how a launcher calls a compiled kernel for one program.

A compiled kernel is an ilp32 leaf function, global symbol = the kernel's name, called
once per program of the launch grid (`call name`). Its only argument, in `a0`, is the
address of a *launch record* of 32-bit words:

| word | contents |
|---|---|
| 0, 1, 2 | `program_id(0)`, `program_id(1)`, `program_id(2)` |
| 3, 4, 5 | `num_programs(0)`, `(1)`, `(2)` |
| 6 + i | runtime parameter i in signature order: a pointer's address, or a scalar sign-extended to 32 bits |

Why a record and not `a0..a7`: kernels often have more than eight runtime parameters
(a GEMM has three pointers, three sizes and strides), and the record is what several
cores sharing a grid need later (one record per core, the argument words shared). The
kernel reads only the words it uses.

The kernel keeps `sp` 16-byte aligned, may use stack below it (spill slots), preserves
`s0..s11` and `sp` as ilp32 says, and returns with `ret`. Vector and tile registers,
`vl`/`vtype` and the tensor CSRs (`trows`, `tcolb`) are caller-saved: a kernel sets what
it uses. Engine instructions may still be executing when the kernel returns; memory
order between them and the scalar core's loads and stores is program order (the engine
interface's rule), so the launcher needs no fence to read results.
"""

from __future__ import annotations

PROGRAM_ID_WORD = 0  # + axis
NUM_PROGRAMS_WORD = 3  # + axis
FIRST_ARGUMENT_WORD = 6
AXES = 3


def argument_offset(index: int) -> int:
    """Byte offset in the launch record of runtime parameter `index`."""
    return 4 * (FIRST_ARGUMENT_WORD + index)


def record_words(program_id: tuple[int, int, int], grid: tuple[int, int, int],
                 arguments: list[int]) -> list[int]:
    """The launch record for one program (values as unsigned 32-bit words)."""
    return [v & 0xFFFF_FFFF for v in (*program_id, *grid, *arguments)]
