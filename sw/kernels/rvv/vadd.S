/* vadd: Z[N] = X[N] + Y[N] (SEW-bit elements, wrap-around).
 *
 * Strip-mined at LMUL=8 (a strip is VLMAX elements) and software-pipelined over two
 * register sets, A = (v0, v8) and B = (v16, v24): one strip's loads, then the previous
 * strip's store, then this strip's add, so the vector engine's arithmetic sequencer adds
 * one strip while its load/store sequencer moves the other's data, and the memory port
 * never waits for an add (the store, independent of the add, issues first). Each add is in place (the X register receives the sum).
 * Full strips run at vl = VLMAX with one vsetvli before the loop; the remainder takes
 * one more. kernel_begin/kernel_end bracket the timed part (bench/vector_roofline.py);
 * the load before kernel_end waits for the engine's last store (memory order). */
#include "sew.h"

    .text
    .globl main
main:
    la a1, X
    la a2, Y
    la a3, Z
    li a0, N
    .globl kernel_begin
kernel_begin:
    vsetvli t0, zero, E, m8, ta, ma
    slli t1, t0, LOG2B              /* bytes per full strip */
    bltu a0, t0, remainder
    VLE v0, (a1)                    /* prologue: strip A */
    VLE v8, (a2)
    vadd.vv v0, v0, v8
    add a1, a1, t1
    add a2, a2, t1
    sub a0, a0, t0
1:  bltu a0, t0, store_a            /* steady state: two strips an iteration */
    VLE v16, (a1)
    VLE v24, (a2)
    VSE v0, (a3)                    /* strip A's sum, while B's add runs */
    vadd.vv v16, v16, v24
    add a1, a1, t1
    add a2, a2, t1
    add a3, a3, t1
    sub a0, a0, t0
    bltu a0, t0, store_b
    VLE v0, (a1)
    VLE v8, (a2)
    VSE v16, (a3)
    vadd.vv v0, v0, v8
    add a1, a1, t1
    add a2, a2, t1
    add a3, a3, t1
    sub a0, a0, t0
    j 1b
store_b:
    VSE v16, (a3)
    j 2f
store_a:
    VSE v0, (a3)
2:  add a3, a3, t1
remainder:
    beqz a0, 3f
    vsetvli t0, a0, E, m8, ta, ma
    VLE v0, (a1)
    VLE v8, (a2)
    vadd.vv v0, v0, v8
    VSE v0, (a3)
3:
    la t2, X
    lw t2, 0(t2)                    /* waits for the vector engine */
    .globl kernel_end
kernel_end:                         /* retires once the engine is done */
    li a0, 0
    ret

KERNEL_ARRAY(X, N)
KERNEL_ARRAY(Y, N)
KERNEL_ARRAY(Z, N)
