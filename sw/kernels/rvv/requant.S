/* requant: Z[N] (int8) = the int8 requantization of X[N] (int32 accumulators), as
 * quantized inference does after a matrix multiply (TFLite/gemmlowp style):
 *
 *     z = sat8(sat16(vsadd(vssra(vsmul(x, MULT), SHIFT), ZP)))
 *
 * with rounding by vxrm = rnu: vsmul is the saturating rounding doubling high multiply
 * by the Q0.31 multiplier, vssra the rounding right shift, vsadd adds the zero point
 * with saturation, and two vnclip.wi 0 narrow 32 -> 16 -> 8 bits with saturation. The
 * tensor engine's tst.b computes the same (docs/tensor.md).
 *
 * Strip-mined at LMUL 8 for the int32 input (VLMAX elements a strip); the narrowing
 * steps change SEW and LMUL together (vsetvli x0, x0 keeps vl). */
#ifndef MULT
#define MULT 0x5A3B1C2D
#endif
#ifndef SHIFT
#define SHIFT 7
#endif
#ifndef ZP
#define ZP -3
#endif
#define SEW 32
#include "sew.h"

    .text
    .globl main
main:
    la a1, X
    la a3, Z
    li a0, N
    li t2, MULT
    li t3, SHIFT
    li t4, ZP
    csrwi vxrm, 0                   /* round to nearest, ties up */
    .globl kernel_begin
kernel_begin:
1:  beqz a0, 2f
    vsetvli t0, a0, e32, m8, ta, ma
    vle32.v v8, (a1)
    vsmul.vx v8, v8, t2
    vssra.vx v8, v8, t3
    vsadd.vx v8, v8, t4
    vsetvli zero, zero, e16, m4, ta, ma
    vnclip.wi v16, v8, 0
    vsetvli zero, zero, e8, m2, ta, ma
    vnclip.wi v24, v16, 0
    vse8.v v24, (a3)
    slli t1, t0, 2
    add a1, a1, t1
    add a3, a3, t0
    sub a0, a0, t0
    j 1b
2:  la t5, X
    lw t5, 0(t5)                    /* waits for the vector engine */
    .globl kernel_end
kernel_end:                         /* retires once the engine is done */
    li a0, 0
    ret

KERNEL_ARRAY(X, N)
#undef LOG2B
#define LOG2B 0
KERNEL_ARRAY(Z, N)
