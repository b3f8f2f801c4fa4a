/* dot: S[0] = sum(X[i] * Y[i]), int8 inputs, int32 accumulation. Scalar baseline. */
#include <stdint.h>

/* Kernel inputs/outputs live in .data, which is loaded from the image (the harness
 * writes inputs there) and, unlike .bss, not cleared by crt0. */
#define KERNEL_IO __attribute__((section(".data.kernel_io")))

#ifndef N
#define N 64
#endif

KERNEL_IO int8_t X[N];
KERNEL_IO int8_t Y[N];
KERNEL_IO int32_t S[1];

int main(void) {
    int32_t acc = 0;
    for (int i = 0; i < N; i++) acc += (int32_t)X[i] * (int32_t)Y[i];
    S[0] = acc;
    return 0;
}
