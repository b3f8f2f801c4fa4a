/* relu: Z[N] = max(X[N], 0) (signed SEW-bit elements).
 *
 * Strip-mined at LMUL=8 and software-pipelined over two register groups (v0, v8), as
 * vadd.S: one strip's load, the previous strip's store, then this strip's vmax, which
 * overlaps the memory traffic. */
#include "sew.h"

    .text
    .globl main
main:
    la a1, X
    la a3, Z
    li a0, N
    .globl kernel_begin
kernel_begin:
    vsetvli t0, zero, E, m8, ta, ma
    slli t1, t0, LOG2B
    bltu a0, t0, remainder
    VLE v0, (a1)                    /* prologue: strip A */
    vmax.vx v0, v0, zero
    add a1, a1, t1
    sub a0, a0, t0
1:  bltu a0, t0, store_a
    VLE v8, (a1)
    VSE v0, (a3)
    vmax.vx v8, v8, zero
    add a1, a1, t1
    add a3, a3, t1
    sub a0, a0, t0
    bltu a0, t0, store_b
    VLE v0, (a1)
    VSE v8, (a3)
    vmax.vx v0, v0, zero
    add a1, a1, t1
    add a3, a3, t1
    sub a0, a0, t0
    j 1b
store_b:
    VSE v8, (a3)
    j 2f
store_a:
    VSE v0, (a3)
2:  add a3, a3, t1
remainder:
    beqz a0, 3f
    vsetvli t0, a0, E, m8, ta, ma
    VLE v0, (a1)
    vmax.vx v0, v0, zero
    VSE v0, (a3)
3:
    la t2, X
    lw t2, 0(t2)                    /* waits for the vector engine */
    .globl kernel_end
kernel_end:                         /* retires once the engine is done */
    li a0, 0
    ret

KERNEL_ARRAY(X, N)
KERNEL_ARRAY(Z, N)
