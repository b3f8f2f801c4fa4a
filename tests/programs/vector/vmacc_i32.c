/* RVV 1.0 (Zve32x) intrinsics: strip-mined int32 kernels over arrays whose length is
 * not a multiple of VLMAX, printed element by element. Built with
 * -mcpu=generic_rv32+m+zicsr+zve32x (tests/cosim/test_qemu_oracle.py), run on
 * qemu-riscv32; the test computes the expected output with numpy.
 *
 *   y[i]   = a[i] * b[i] + c[i]                       (vmacc, wrapping int32)
 *   m[i]   = max(a[i], b[i]) - min(a[i], b[i])         (vmax, vmin, vsub)
 *   s[i]   = (a[i] >> 3) ^ (b[i] << 5)                 (vsra, vsll, vxor)
 *   sum    = sum of y                                   (vredsum, wrapping int32)
 *   u8[i]  = saturating (uint8)(a[i] & 0xff) + (uint8)(b[i] & 0xff)  (vsaddu, e8)
 */
#include <riscv_vector.h>
#include <stdint.h>

#include "oxcore.h"

#define N 37

static int32_t a[N], b[N], c[N], y[N], m[N], s[N];
static uint8_t a8[N], b8[N], u8[N];

static uint32_t state = 12345u;

static int32_t next(void)
{
    state = state * 1103515245u + 12345u;
    return (int32_t)state;
}

int main(void)
{
    for (int i = 0; i < N; i++) {
        a[i] = next();
        b[i] = next() >> 7;
        c[i] = next();
        a8[i] = (uint8_t)a[i];
        b8[i] = (uint8_t)b[i];
    }

    for (size_t i = 0, vl; i < N; i += vl) {
        vl = __riscv_vsetvl_e32m2(N - i);
        vint32m2_t va = __riscv_vle32_v_i32m2(&a[i], vl);
        vint32m2_t vb = __riscv_vle32_v_i32m2(&b[i], vl);
        vint32m2_t vc = __riscv_vle32_v_i32m2(&c[i], vl);
        __riscv_vse32_v_i32m2(&y[i], __riscv_vmacc_vv_i32m2(vc, va, vb, vl), vl);
        vint32m2_t hi = __riscv_vmax_vv_i32m2(va, vb, vl);
        vint32m2_t lo = __riscv_vmin_vv_i32m2(va, vb, vl);
        __riscv_vse32_v_i32m2(&m[i], __riscv_vsub_vv_i32m2(hi, lo, vl), vl);
        vint32m2_t sh = __riscv_vxor_vv_i32m2(__riscv_vsra_vx_i32m2(va, 3, vl),
                                              __riscv_vsll_vx_i32m2(vb, 5, vl), vl);
        __riscv_vse32_v_i32m2(&s[i], sh, vl);
    }

    vint32m1_t acc = __riscv_vmv_v_x_i32m1(0, 1);
    for (size_t i = 0, vl; i < N; i += vl) {
        vl = __riscv_vsetvl_e32m4(N - i);
        vint32m4_t vy = __riscv_vle32_v_i32m4(&y[i], vl);
        acc = __riscv_vredsum_vs_i32m4_i32m1(vy, acc, vl);
    }
    int32_t sum = __riscv_vmv_x_s_i32m1_i32(acc);

    for (size_t i = 0, vl; i < N; i += vl) {
        vl = __riscv_vsetvl_e8m1(N - i);
        vuint8m1_t va = __riscv_vle8_v_u8m1(&a8[i], vl);
        vuint8m1_t vb = __riscv_vle8_v_u8m1(&b8[i], vl);
        __riscv_vse8_v_u8m1(&u8[i], __riscv_vsaddu_vv_u8m1(va, vb, vl), vl);
    }

    printf("vlmax e32m1 %d\n", (int)__riscv_vsetvlmax_e32m1());
    for (int i = 0; i < N; i++)
        printf("%d %d %d %d %d\n", i, (int)y[i], (int)m[i], (int)s[i], (int)u8[i]);
    printf("sum %d\n", (int)sum);
    return 0;
}
