"""The kernel launch ABI: how a launcher calls a compiled kernel over its grid.

A compiled kernel is an ilp32 leaf function, global symbol = the kernel's name. Its
first argument, in `a0`, is the address of a *launch record* of 32-bit words:

| word | contents |
|---|---|
| 0, 1, 2 | `program_id(0)`, `program_id(1)`, `program_id(2)` |
| 3, 4, 5 | `num_programs(0)`, `(1)`, `(2)` |
| 6 + i | runtime parameter i in signature order: a pointer's address, or a scalar sign-extended to 32 bits |

A kernel runs in one of two modes (`CompiledKernel.programs_per_call`):

- *range* (what the compiler emits): one call runs `a1` programs, the first at the
  record's program ids, the next ones in linear order (axis 0 fastest, then 1, then 2).
  The kernel reads the record once and keeps the ids in registers. This matters for
  speed: a scalar load or store waits until the engines are idle (the pipeline's
  memory-order rule, docs/rtl.md), so a call per program would make every program's
  start wait for the previous one's last tile store; inside one loop the scalar core
  computes the next program's addresses while the engines finish this one. Several
  cores will share a grid by each running a range.
- *one*: a call per program (`a1` is not read); the simplest hand-written kernels.

Why a record and not `a0..a7`: kernels often have more than eight runtime parameters
(a GEMM has three pointers, three sizes and strides). The kernel reads only the words
it uses, and never writes the record.

The kernel keeps `sp` 16-byte aligned, may use stack below it (spill slots), preserves
`s0..s11` and `sp` as ilp32 says, and `gp` and `tp` too (it may use them as general
registers: it has no small data or thread-local storage), and returns with `ret`. Vector and tile registers,
`vl`/`vtype` and the tensor CSRs (`trows`, `tcolb`) are caller-saved: a kernel sets what
it uses. `trow0` is 0 at a kernel's entry and at its return: a kernel that writes it
(a lower bound in a tile-load mask) clears it before `ret`, so the others need not
write it (their code is what it was before trow0 existed). Engine instructions may still be executing when the kernel returns; memory
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
