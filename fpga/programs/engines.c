/* The OxCore SoC's default program for a configuration with engines (fpga/soc.py builds
 * it with -DOXCORE_TENSOR when the configuration has a [tensor] section; clang defines
 * __riscv_vector when it has a [vector] one). Each engine computes something the scalar
 * core then recomputes; the UART says which agree, and the exit status counts the
 * engines that did not (0: all agree, LED 0 on, the rest off). */
#include <stdint.h>

#include "oxcore.h"
#ifdef __riscv_vector
#include <riscv_vector.h>
#endif
#ifdef OXCORE_TENSOR
#include "oxcore_tensor.h"
#endif

static uint32_t lcg_state = 12345;

static int8_t next_int8(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (int8_t)(lcg_state >> 24);
}

#ifdef OXCORE_TENSOR
/* C = A x B^T on the tensor engine (int8 in, int32 out), tile by tile; wrong elements.
 * Sizes: -DM=... (TDIM must divide M and N, 4*TDIM divide K). */
#ifndef M
#define M 16
#endif
#ifndef N
#define N 16
#endif
#ifndef K
#define K 64
#endif

static int8_t a[M][K], bt[N][K];
static int32_t c[M][N];

static int tensor_check(void)
{
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            a[i][k] = next_int8();
    for (int j = 0; j < N; j++)
        for (int k = 0; k < K; k++)
            bt[j][k] = next_int8();
    uint32_t t = oxt_tdim();
    for (uint32_t i0 = 0; i0 < M; i0 += t) {
        for (uint32_t j0 = 0; j0 < N; j0 += t) {
            OXT_TZERO(0);
            for (uint32_t k0 = 0; k0 < K; k0 += 4 * t) {
                OXT_TLD_B(1, &a[i0][k0], K);
                OXT_TLD_B(2, &bt[j0][k0], K);
                OXT_TMMA(0, 1, 2);
            }
            OXT_TST_W(0, &c[i0][j0], N * sizeof(int32_t));
        }
    }
    int wrong = 0;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            int32_t sum = 0;
            for (int k = 0; k < K; k++)
                sum += a[i][k] * bt[j][k];
            wrong += sum != c[i][j];
        }
    }
    printf("tensor engine: %dx%dx%d int8 gemm, TDIM %u: %s (%d of %d wrong)\n", M, N, K,
           (unsigned)t, wrong ? "FAIL" : "ok", wrong, M * N);
    return wrong != 0;
}
#endif

#ifdef __riscv_vector
/* y = x * 3 + z and the sum of y on the vector engine (int32, strip-mined). */
#ifndef LENGTH
#define LENGTH 301
#endif

static int32_t x[LENGTH], z[LENGTH], y[LENGTH];

static int vector_check(void)
{
    for (int i = 0; i < LENGTH; i++) {
        x[i] = next_int8() * 1001;
        z[i] = next_int8();
    }
    vint32m1_t total = __riscv_vmv_s_x_i32m1(0, 1);
    for (size_t i = 0, vl; i < LENGTH; i += vl) {
        vl = __riscv_vsetvl_e32m4(LENGTH - i);
        vint32m4_t vx = __riscv_vle32_v_i32m4(&x[i], vl);
        vint32m4_t vz = __riscv_vle32_v_i32m4(&z[i], vl);
        vint32m4_t vy = __riscv_vmacc_vx_i32m4(vz, 3, vx, vl);
        __riscv_vse32_v_i32m4(&y[i], vy, vl);
        total = __riscv_vredsum_vs_i32m4_i32m1(vy, total, vl);
    }
    int32_t vector_sum = __riscv_vmv_x_s_i32m1_i32(total);
    int wrong = 0;
    int32_t sum = 0;
    for (int i = 0; i < LENGTH; i++) {
        int32_t expected = x[i] * 3 + z[i];
        wrong += y[i] != expected;
        sum += expected;
    }
    wrong += vector_sum != sum;
    printf("vector engine: %d-element multiply-add and sum, VLEN %u: %s (%d wrong)\n",
           LENGTH, (unsigned)(__riscv_vsetvlmax_e8m1() * 8), wrong ? "FAIL" : "ok", wrong);
    return wrong != 0;
}
#endif

int main(void)
{
    int failed = 0;
    printf("hello from OxCore\n");
#ifdef OXCORE_TENSOR
    failed += tensor_check();
#endif
#ifdef __riscv_vector
    failed += vector_check();
#endif
    return failed;
}
