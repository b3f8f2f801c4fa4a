/* Plain C loops that clang's loop vectorizer turns into RVV code at -O3 when the
 * configuration has the vector engine (tests/cosim/test_vector_c.py checks that the
 * binary contains vector instructions, and that the interpreter, QEMU and numpy agree).
 *
 *   add[i]   = a[i] + b[i]                               int32, wrapping
 *   relu[i]  = max(a[i], 0)                              int32
 *   dot      = sum a[i] * b[i]                           int32, wrapping
 *   q[i]     = clamp((a[i] * 77 + 64) >> 7, -128, 127)   int32 -> int8 requantization
 *   h[i]     = (int16)(x8[i] * y8[i])                    int8 x int8 -> int16
 */
#include <stdint.h>

#include "oxcore.h"

#define N 203

static int32_t a[N], b[N], add[N], relu[N];
static int8_t q[N], x8[N], y8[N];
static int16_t h[N];
static uint32_t state = 7u;

static int32_t next(void)
{
    state = state * 1664525u + 1013904223u;
    return (int32_t)state;
}

int main(void)
{
    for (int i = 0; i < N; i++) {
        a[i] = next() >> 12;
        b[i] = next() >> 12;
        x8[i] = (int8_t)next();
        y8[i] = (int8_t)(next() >> 8);
    }
    for (int i = 0; i < N; i++)
        add[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i]);
    for (int i = 0; i < N; i++)
        relu[i] = a[i] > 0 ? a[i] : 0;
    uint32_t dot = 0;
    for (int i = 0; i < N; i++)
        dot += (uint32_t)a[i] * (uint32_t)b[i];
    for (int i = 0; i < N; i++) {
        int32_t v = (a[i] * 77 + 64) >> 7;
        q[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
    for (int i = 0; i < N; i++)
        h[i] = (int16_t)(x8[i] * y8[i]);
    for (int i = 0; i < N; i++)
        printf("%d %ld %ld %d %d\n", i, (long)add[i], (long)relu[i], q[i], h[i]);
    printf("dot %ld\n", (long)(int32_t)dot);
    return 0;
}
