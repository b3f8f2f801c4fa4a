/* An int8 GEMM on the tensor engine through oxcore_tensor.h: C = A x B (int32) and its
 * requantized int8 version Q, for any TDIM (4, 8 or 16: TDIM divides M and N, 4*TDIM
 * divides K). B is held transposed, bt[N][K], as tmma multiplies by ms2's transpose;
 * with -DROW_MAJOR_B it is b[K][N] (the same values) and its tiles load transposed
 * (tld.bt). A and B come from an LCG that the test reproduces; the program writes C, Q
 * and tqsat. */
#include <stdint.h>

#include "oxcore.h"
#include "oxcore_tensor.h"

#define M 16
#ifndef K /* (-DK=...: 4*TDIM must divide it) */
#define K 64
#endif
#define N 16

static int8_t a[M][K];
#ifdef ROW_MAJOR_B
static int8_t b[K][N];
#else
static int8_t bt[N][K];
#endif
static int32_t c[M][N];
static int8_t q[M][N];
static uint32_t lcg_state = 12345;

static int8_t next_int8(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (int8_t)(lcg_state >> 24);
}

int main(void)
{
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            a[i][k] = next_int8();
    for (int j = 0; j < N; j++)
        for (int k = 0; k < K; k++)
#ifdef ROW_MAJOR_B
            b[k][j] = next_int8();
#else
            bt[j][k] = next_int8();
#endif

    uint32_t t = oxt_tdim();
    oxt_set_requant(1518500250, 11, -5, OXT_RNE); /* 0.7071 * 2**-11, zero point -5 */
    for (uint32_t i0 = 0; i0 < M; i0 += t) {
        for (uint32_t j0 = 0; j0 < N; j0 += t) {
            OXT_TZERO(0);
            for (uint32_t k0 = 0; k0 < K; k0 += 4 * t) {
                OXT_TLD_B(1, &a[i0][k0], K);
#ifdef ROW_MAJOR_B
                OXT_TLD_BT(2, &b[k0][j0], N);
#else
                OXT_TLD_B(2, &bt[j0][k0], K);
#endif
                OXT_TMMA(0, 1, 2);
            }
            OXT_TST_W(0, &c[i0][j0], N * sizeof(int32_t));
            OXT_TST_B(0, &q[i0][j0], N);
        }
    }
    uint32_t saturated = oxt_read_tqsat();
    write(OX_STDOUT, c, sizeof c);
    write(OX_STDOUT, q, sizeof q);
    write(OX_STDOUT, &saturated, sizeof saturated);
    return 0;
}
