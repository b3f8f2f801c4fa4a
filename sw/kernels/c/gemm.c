/* gemm: C[M][N] = A[M][K] x B[K][N], int8 inputs, int32 accumulation.
 * Scalar baseline. The harness writes A and B into the image and reads C back. */
#include <stdint.h>

/* Kernel inputs/outputs live in .data, which is loaded from the image (the harness
 * writes inputs there) and, unlike .bss, not cleared by crt0. */
#define KERNEL_IO __attribute__((section(".data.kernel_io")))

#ifndef M
#define M 8
#endif
#ifndef N
#define N 8
#endif
#ifndef K
#define K 8
#endif

KERNEL_IO int8_t A[M * K];
KERNEL_IO int8_t B[K * N];
KERNEL_IO int32_t C[M * N];

int main(void) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < K; k++) acc += (int32_t)A[i * K + k] * (int32_t)B[k * N + j];
            C[i * N + j] = acc;
        }
    return 0;
}
