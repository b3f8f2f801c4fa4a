/* dot: S[0] = sum(X[i] * Y[i]) in SEW-bit arithmetic (wrap-around; SEW=32 is the
 * int32 dot product).
 *
 * Products accumulate element-wise in v24 (vmacc, LMUL=8). The other three register
 * groups, g0 = v0, g1 = v8 and g2 = v16, take the loads in rotation: strip k loads X
 * into one group and Y into the next, and its vmacc is placed after strip k+1's first
 * load, so the load/store sequencer streams loads back to back while the arithmetic
 * sequencer multiplies the strip before (a load into a group waits only for the vmacc
 * reading it, which ends as the load before it does). Three strips an iteration, one
 * rotation. The remainder strip runs tail-undisturbed so the accumulator's other
 * elements keep their sums; one vredsum folds them at the end. */
#include "sew.h"

    .text
    .globl main
main:
    la a1, X
    la a2, Y
    li a0, N
    .globl kernel_begin
kernel_begin:
    vsetvli t0, zero, E, m8, ta, ma
    slli t1, t0, LOG2B
    vmv.v.i v24, 0
    bltu a0, t0, remainder
    VLE v0, (a1)                    /* strip 0: X -> g0, Y -> g1 */
    VLE v8, (a2)
    add a1, a1, t1
    add a2, a2, t1
    sub a0, a0, t0
1:  bltu a0, t0, last_01            /* (g0, g1) loaded, not yet accumulated */
    VLE v16, (a1)                   /* X -> g2 */
    vmacc.vv v24, v0, v8
    VLE v0, (a2)                    /* Y -> g0 */
    add a1, a1, t1
    add a2, a2, t1
    sub a0, a0, t0
    bltu a0, t0, last_20
    VLE v8, (a1)                    /* X -> g1 */
    vmacc.vv v24, v16, v0
    VLE v16, (a2)                   /* Y -> g2 */
    add a1, a1, t1
    add a2, a2, t1
    sub a0, a0, t0
    bltu a0, t0, last_12
    VLE v0, (a1)                    /* X -> g0 */
    vmacc.vv v24, v8, v16
    VLE v8, (a2)                    /* Y -> g1 */
    add a1, a1, t1
    add a2, a2, t1
    sub a0, a0, t0
    j 1b
last_20:
    vmacc.vv v24, v16, v0
    j remainder
last_12:
    vmacc.vv v24, v8, v16
    j remainder
last_01:
    vmacc.vv v24, v0, v8
remainder:
    beqz a0, 3f
    vsetvli t0, a0, E, m8, tu, ma   /* the tail keeps its sums */
    VLE v0, (a1)
    VLE v8, (a2)
    vmacc.vv v24, v0, v8
3:  vsetvli t0, zero, E, m8, ta, ma
    vmv.s.x v0, zero
    vredsum.vs v0, v24, v0
    vmv.x.s a0, v0
    la a1, S
#if SEW == 8
    sb a0, 0(a1)
#elif SEW == 16
    sh a0, 0(a1)
#else
    sw a0, 0(a1)
#endif
    la t2, X
    lw t2, 0(t2)                    /* waits for the vector engine */
    .globl kernel_end
kernel_end:                         /* retires once the engine is done */
    li a0, 0
    ret

KERNEL_ARRAY(X, N)
KERNEL_ARRAY(Y, N)
KERNEL_ARRAY(S, 1)
