/* dot_i8: S[0] (int32) = sum(X[i] * Y[i]) over int8 X, Y, exact.
 *
 * Each strip of VLMAX(e8, m4) elements: vwmul.vv at e8 makes the int16 products
 * (EMUL 8, v24..v31: int8 * int8 always fits int16, -128 * -128 = 16384 too), and
 * vwredsum.vs at e16 adds them to the int32 sum in v16[0]. Two widening passes, each
 * at the lanes' 16-bit rate (2 x LANES elements a cycle), and no overflow at any
 * length below 2^17 elements.
 *
 * The alternatives are slower or inexact: vwmacc.vv into an int16 accumulator
 * overflows at the second product (2 x 16384); vwmul then vwadd.wv into int32 needs a
 * 32-bit destination pass (LANES elements a cycle) instead of vwredsum's 16-bit source
 * pass; vsext.vf4 and vmacc at e32 take three e32 passes. The price of vwmul +
 * vwredsum is two vsetvli a strip (SEW 8 -> 16 -> 8, vsetvli x0, x0 keeping vl:
 * e8/m4 and e16/m8 have the same VLMAX), which run alone in the engine.
 *
 * Software pipelined over one load buffer A = (v0, v4) and two product buffers, P =
 * v24 and Q = v8: a strip's vwredsum runs after the next strip's vwmul, so it never
 * reads products still in the lanes' pipeline (an instruction that reads what the one
 * before it wrote waits for its last beats to land), while the load/store sequencer
 * streams the strip after that into A (vle8 at e16/m8 is EMUL 4, the same elements as
 * at e8/m4). The engine issues in program order, one instruction a cycle, and a load
 * waits for the vwmul reading A: so vwredsum comes before the loads, and runs beside
 * them. The last, shorter strip runs on its own. */
#define SEW 8
#include "sew.h"

    .text
    .globl main
main:
    la a1, X
    la a2, Y
    li a0, N
    .globl kernel_begin
kernel_begin:
    vsetivli zero, 1, e32, m1, ta, ma
    vmv.s.x v16, zero               /* the int32 sum */
    vsetvli t0, zero, e8, m4, ta, ma    /* t0 = a strip: VLMAX(e8, m4) */
    bltu a0, t0, remainder
    vle8.v v0, (a1)                 /* strip 0 -> A */
    vle8.v v4, (a2)
    add a1, a1, t0
    add a2, a2, t0
    sub a0, a0, t0
    vwmul.vv v24, v0, v4            /* its products -> P (e8, m4) */
    vsetvli zero, zero, e16, m8, ta, ma
1:  bltu a0, t0, last_p             /* P holds a strip's products */
    vle8.v v0, (a1)                 /* the next strip -> A, once vwmul has read it */
    vle8.v v4, (a2)
    add a1, a1, t0
    add a2, a2, t0
    sub a0, a0, t0
    vsetvli zero, zero, e8, m4, ta, ma
    vwmul.vv v8, v0, v4             /* its products -> Q */
    vsetvli zero, zero, e16, m8, ta, ma
    vwredsum.vs v16, v24, v16       /* P summed, while ... */
    bltu a0, t0, last_q
    vle8.v v0, (a1)                 /* ... the next strip -> A */
    vle8.v v4, (a2)
    add a1, a1, t0
    add a2, a2, t0
    sub a0, a0, t0
    vsetvli zero, zero, e8, m4, ta, ma
    vwmul.vv v24, v0, v4            /* its products -> P */
    vsetvli zero, zero, e16, m8, ta, ma
    vwredsum.vs v16, v8, v16        /* Q summed */
    j 1b
last_q:
    vwredsum.vs v16, v8, v16
    j remainder
last_p:
    vwredsum.vs v16, v24, v16
remainder:                          /* a0 < t0 elements left */
    beqz a0, 3f
    vsetvli zero, a0, e8, m4, ta, ma
    vle8.v v0, (a1)
    vle8.v v4, (a2)
    vwmul.vv v24, v0, v4
    vsetvli zero, zero, e16, m8, ta, ma
    vwredsum.vs v16, v24, v16
3:  vsetivli zero, 1, e32, m1, ta, ma
    vmv.x.s a0, v16
    la a1, S
    sw a0, 0(a1)
    la t2, X
    lw t2, 0(t2)                    /* waits for the vector engine */
    .globl kernel_end
kernel_end:                         /* retires once the engine is done */
    li a0, 0
    ret

KERNEL_ARRAY(X, N)
KERNEL_ARRAY(Y, N)
#undef LOG2B
#define LOG2B 2
KERNEL_ARRAY(S, 1)
