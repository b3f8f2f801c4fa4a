/* relu: Z[N] = max(X[N], 0), int32. Scalar baseline. */
#include <stdint.h>

/* Kernel inputs/outputs live in .data, which is loaded from the image (the harness
 * writes inputs there) and, unlike .bss, not cleared by crt0. */
#define KERNEL_IO __attribute__((section(".data.kernel_io")))

#ifndef N
#define N 64
#endif

KERNEL_IO int32_t X[N];
KERNEL_IO int32_t Z[N];

int main(void) {
    for (int i = 0; i < N; i++) Z[i] = X[i] > 0 ? X[i] : 0;
    return 0;
}
