/* vadd: Z[N] = X[N] + Y[N], int32 with wrap-around. Scalar baseline. */
#include <stdint.h>

/* Kernel inputs/outputs live in .data, which is loaded from the image (the harness
 * writes inputs there) and, unlike .bss, not cleared by crt0. */
#define KERNEL_IO __attribute__((section(".data.kernel_io")))

#ifndef N
#define N 64
#endif

KERNEL_IO uint32_t X[N];
KERNEL_IO uint32_t Y[N];
KERNEL_IO uint32_t Z[N];

int main(void) {
    for (int i = 0; i < N; i++) Z[i] = X[i] + Y[i];
    return 0;
}
