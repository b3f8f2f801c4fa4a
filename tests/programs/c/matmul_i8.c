/* Small matrix multiply with int8 inputs and int32 accumulators (the shape of an NN
 * layer), requantization back to int8 with rounding and saturation, and checks of
 * (A B)^T = B^T A^T and of the result against a row-by-row dot-product version. */
#include "oxcore.h"

#define M 12
#define K 16
#define N 10

static int8_t A[M][K], B[K][N];
static int32_t C[M][N], Ct[N][M];
static int8_t Q[M][N];
static int8_t At[K][M], Bt[N][K];

static uint32_t state = 0x2545F491u;

static int8_t rand_i8(void)
{
    state = state * 1664525u + 1013904223u;
    return (int8_t)((int32_t)(state >> 24) - 128); /* in [-128, 127] */
}

static void matmul(int rows, int inner, int cols, const int8_t *a, const int8_t *b, int32_t *c)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            int32_t acc = 0;
            for (int k = 0; k < inner; k++)
                acc += (int32_t)a[i * inner + k] * (int32_t)b[k * cols + j];
            c[i * cols + j] = acc;
        }
}

/* q = clamp(round(acc * mult / 2^shift) + zero_point) */
static int8_t requantize(int32_t acc, int32_t mult, int shift, int32_t zero_point)
{
    int64_t prod = (int64_t)acc * mult;
    int64_t rounded = (prod + ((int64_t)1 << (shift - 1))) >> shift;
    int64_t q = rounded + zero_point;
    if (q > 127)
        q = 127;
    if (q < -128)
        q = -128;
    return (int8_t)q;
}

int main(void)
{
    int failures = 0;
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            A[i][k] = rand_i8();
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            B[k][j] = rand_i8();
    A[0][0] = -128; B[0][0] = -128; /* the extreme product */

    matmul(M, K, N, &A[0][0], &B[0][0], &C[0][0]);

    printf("C row 0:");
    for (int j = 0; j < N; j++)
        printf(" %d", C[0][j]);
    printf("\n");

    int32_t min = INT32_MAX, max = INT32_MIN;
    uint32_t h = 0;
    int64_t total = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int32_t v = C[i][j];
            min = v < min ? v : min;
            max = v > max ? v : max;
            total += v;
            h = (h << 5 | h >> 27) ^ (uint32_t)v;
        }
    printf("C: min %d max %d sum %lld hash %08x\n", min, max, (long long)total, h);

    /* (A B)^T = B^T A^T */
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++)
            At[k][i] = A[i][k];
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            Bt[j][k] = B[k][j];
    matmul(N, K, M, &Bt[0][0], &At[0][0], &Ct[0][0]);
    int mismatches = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            mismatches += C[i][j] != Ct[j][i];
    printf("transpose identity: %d mismatches\n", mismatches);
    failures += mismatches;

    /* Requantize with a per-tensor multiplier (~ 1/180) and zero point -3. */
    int hist[4] = {0};
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            Q[i][j] = requantize(C[i][j], 23301, 22, -3);
            hist[Q[i][j] == 127 ? 3 : Q[i][j] == -128 ? 0 : Q[i][j] < 0 ? 1 : 2]++;
        }
    printf("Q row 0:");
    for (int j = 0; j < N; j++)
        printf(" %d", Q[0][j]);
    printf("\nQ histogram: sat-low %d neg %d nonneg %d sat-high %d\n", hist[0], hist[1], hist[2],
           hist[3]);

    /* ReLU + argmax per row, as a classifier head would. */
    printf("argmax:");
    for (int i = 0; i < M; i++) {
        int best = 0;
        for (int j = 1; j < N; j++)
            if (Q[i][j] > Q[i][best])
                best = j;
        printf(" %d", best);
    }
    printf("\n");

    failures += C[0][0] == 0;
    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
