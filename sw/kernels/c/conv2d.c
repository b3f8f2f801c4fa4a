/* conv2d: valid (no padding, stride 1) convolution, int8 inputs, int32 accumulation.
 * X[CI][H][W], Wt[CO][CI][KH][KW] -> Y[CO][H-KH+1][W-KW+1]. Scalar baseline. */
#include <stdint.h>

/* Kernel inputs/outputs live in .data, which is loaded from the image (the harness
 * writes inputs there) and, unlike .bss, not cleared by crt0. */
#define KERNEL_IO __attribute__((section(".data.kernel_io")))

#ifndef CI
#define CI 2
#endif
#ifndef CO
#define CO 2
#endif
#ifndef H
#define H 8
#endif
#ifndef W
#define W 8
#endif
#ifndef KH
#define KH 3
#endif
#ifndef KW
#define KW 3
#endif
#define OH (H - KH + 1)
#define OW (W - KW + 1)

KERNEL_IO int8_t X[CI * H * W];
KERNEL_IO int8_t Wt[CO * CI * KH * KW];
KERNEL_IO int32_t Y[CO * OH * OW];

int main(void) {
    for (int co = 0; co < CO; co++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                int32_t acc = 0;
                for (int ci = 0; ci < CI; ci++)
                    for (int ky = 0; ky < KH; ky++)
                        for (int kx = 0; kx < KW; kx++)
                            acc += (int32_t)X[(ci * H + oy + ky) * W + ox + kx] *
                                   (int32_t)Wt[((co * CI + ci) * KH + ky) * KW + kx];
                Y[(co * OH + oy) * OW + ox] = acc;
            }
    return 0;
}
