/* OxCore C runtime start-up (see oxcore.h for the environment ABI).
 *
 * Reset state: every x register is 0, pc = ELF entry (_start, placed first in RAM).
 * _start sets gp and sp from the generated linker script, zeroes .bss, calls
 * main(0, 0) and exits with main's return value (ecall OX_SYS_EXIT). The syscall
 * number and its register come from the generated oxcore_abi.h (oxcore/abi.py).
 */
#include "oxcore_abi.h"

    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top

    /* Zero .bss (+ .sbss): the linker script aligns both ends to 4 bytes. */
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:
    li      a0, 0               /* argc */
    li      a1, 0               /* argv */
    call    main
    /* a0 = main's return value: exit(a0). */
    li      OX_SYSCALL_NR_REG, OX_SYS_EXIT
    ecall
    /* exit never returns; stop as a breakpoint if it ever does. */
3:  ebreak
    j       3b
    .size _start, . - _start
