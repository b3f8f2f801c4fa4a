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
 * Strip-mined at LMUL 8 for the int32 input; the narrowing steps change SEW and LMUL
 * together (vsetvli x0, x0 keeps vl) and narrow in place (vnclip.wi v8, v8: the
 * destination is the source group's lowest part, which spec 5.2 allows). Whole strips
 * go in pairs, A and B, software pipelined over two sets of registers, (v8, v16) and
 * (v0, v24): the next pair's loads are placed among this pair's arithmetic, so that
 * the engine's load/store sequencer streams them while the arithmetic one works
 * (issue is in order: a second load right behind a first would wait for it, and so
 * would everything behind it). Pairs halve the vsetvli a strip, which run alone. The
 * last strips (fewer than two whole ones) run one at a time. */
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

/* One pair of whole strips in \a and \b (e32, m8, vl = a strip): requantized and
 * stored; the next pair, if there is one, loaded into \na and \nb meanwhile. With
 * no next pair, on to \rest (the last strips) once this one is stored. */
    .macro pair a, b, na, nb, rest
    vsmul.vx \a, \a, t2
    bltu a0, t1, 4f
    vle32.v \na, (a1)             /* the next pair's A: beside the arithmetic */
    add a1, a1, t6
4:  vsmul.vx \b, \b, t2
    vssra.vx \a, \a, t3
    bltu a0, t1, 5f
    vle32.v \nb, (a1)             /* and its B */
    add a1, a1, t6
5:  vssra.vx \b, \b, t3
    vsadd.vx \a, \a, t4
    vsadd.vx \b, \b, t4
    vsetvli zero, zero, e16, m4, ta, ma
    vnclip.wi \a, \a, 0
    vnclip.wi \b, \b, 0
    vsetvli zero, zero, e8, m2, ta, ma
    vnclip.wi \a, \a, 0
    vnclip.wi \b, \b, 0
    vse8.v \a, (a3)
    add a3, a3, t0
    vse8.v \b, (a3)
    add a3, a3, t0
    vsetvli zero, zero, e32, m8, ta, ma
    bltu a0, t1, \rest
    sub a0, a0, t1
    .endm

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
    vsetvli t0, zero, e32, m8, ta, ma  /* t0 = a strip: VLMAX(e32, m8) */
    slli t1, t0, 1                  /* a pair */
    slli t6, t0, 2                  /* a strip's int32 bytes */
    bltu a0, t1, 1f
    vle32.v v8, (a1)                /* pair 0 -> (v8, v16) */
    add a1, a1, t6
    vle32.v v16, (a1)
    add a1, a1, t6
    sub a0, a0, t1
3:  pair v8, v16, v0, v24, 1f
    pair v0, v24, v8, v16, 1f
    j 3b
1:  beqz a0, 2f                     /* the last strips, one at a time */
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
    slli t5, t0, 2
    add a1, a1, t5
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
