/* 64-bit integer arithmetic on a 32-bit core: multiply, divide and remainder
 * (signed and unsigned, through compiler_rt), variable shifts, comparisons. */
#include "oxcore.h"

/* volatile: keep the compiler from folding the operations at compile time. */
static volatile int64_t sv[] = {
    0, 1, -1, 7, -7, 1000000007, -999999999999LL, 0x123456789ABCDEFLL, INT64_MAX, INT64_MIN + 1,
    (int64_t)1 << 32, -((int64_t)1 << 40) + 12345,
};
static volatile uint64_t uv[] = {
    0, 1, 3, 0xFFFFFFFFull, 0x100000000ull, 0xDEADBEEFCAFEBABEull, UINT64_MAX,
    10000000000000000000ull, 0x8000000000000000ull,
};

#define NS ((int)(sizeof sv / sizeof sv[0]))
#define NU ((int)(sizeof uv / sizeof uv[0]))

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= 0x100000001B3ull; /* FNV-1a 64 prime */
    return h;
}

int main(void)
{
    int failures = 0;
    uint64_t h = 0xCBF29CE484222325ull;

    /* Signed division and remainder: C truncates toward zero. */
    for (int i = 0; i < NS; i++) {
        for (int j = 0; j < NS; j++) {
            int64_t a = sv[i], b = sv[j];
            if (b == 0 || (a == INT64_MIN && b == -1))
                continue;
            int64_t q = a / b, r = a % b;
            if (q * b + r != a)
                failures++;
            h = mix(h, (uint64_t)q);
            h = mix(h, (uint64_t)r);
        }
    }
    printf("signed div/mod hash %016llx\n", (unsigned long long)h);

    for (int i = 0; i < NU; i++) {
        for (int j = 0; j < NU; j++) {
            uint64_t a = uv[i], b = uv[j];
            if (b == 0)
                continue;
            uint64_t q = a / b, r = a % b;
            if (q * b + r != a || r >= b)
                failures++;
            h = mix(h, q);
            h = mix(h, r);
        }
    }
    printf("unsigned div/mod hash %016llx\n", (unsigned long long)h);

    for (int i = 0; i < NU; i++)
        for (int j = 0; j < NU; j++)
            h = mix(h, uv[i] * uv[j]); /* wraps modulo 2^64 */
    printf("unsigned mul hash %016llx\n", (unsigned long long)h);

    for (int i = 0; i < NS; i++) {
        uint64_t u = (uint64_t)sv[i];
        for (int s = 0; s < 64; s += 5) {
            h = mix(h, u << s);
            h = mix(h, u >> s);
            h = mix(h, (uint64_t)(sv[i] >> s)); /* arithmetic shift of negatives */
        }
    }
    printf("shift hash %016llx\n", (unsigned long long)h);

    int lt = 0, ult = 0;
    for (int i = 0; i < NS; i++)
        for (int j = 0; j < NS; j++) {
            lt += sv[i] < sv[j];
            ult += (uint64_t)sv[i] < (uint64_t)sv[j];
        }
    printf("comparisons: %d signed less-than, %d unsigned\n", lt, ult);

    volatile int64_t big = 1000000007;
    int64_t sq = big * big;
    printf("1000000007^2 = %lld, /3 = %lld, %%97 = %lld\n", (long long)sq, (long long)(sq / 3),
           (long long)(sq % 97));
    printf("-999999999999 / 7 = %lld rem %lld\n", (long long)(sv[6] / 7), (long long)(sv[6] % 7));
    printf("INT64_MIN+1 / -1 = %lld\n", (long long)(sv[9] / -1));
    printf("UINT64_MAX / 10 = %llu rem %llu\n", (unsigned long long)(uv[6] / 10),
           (unsigned long long)(uv[6] % 10));
    printf("0xDEADBEEFCAFEBABE >> 13 = %llx, << 9 = %llx\n", (unsigned long long)(uv[5] >> 13),
           (unsigned long long)(uv[5] << 9));
    printf("INT64_MIN+1 >> 63 = %lld, -7 >> 1 = %lld\n", (long long)(sv[9] >> 63),
           (long long)(sv[4] >> 1));

    /* 32x32 -> 64 products, the high words of which are mulh/mulhu/mulhsu. */
    volatile int32_t s32 = -123456789;
    volatile uint32_t u32 = 3987654321u;
    int64_t ss = (int64_t)s32 * s32;
    uint64_t uu = (uint64_t)u32 * u32;
    int64_t su = (int64_t)s32 * (int64_t)u32;
    printf("products: %lld %llu %lld\n", (long long)ss, (unsigned long long)uu, (long long)su);
    printf("high words: %08x %08x %08x\n", (uint32_t)((uint64_t)ss >> 32), (uint32_t)(uu >> 32),
           (uint32_t)((uint64_t)su >> 32));

    /* Factorials up to 20! and binomial coefficients with 64-bit intermediates. */
    uint64_t f = 1;
    for (uint32_t n = 1; n <= 20; n++)
        f *= n;
    uint64_t c = 1;
    for (uint64_t k = 1; k <= 30; k++)
        c = c * (60 - 30 + k) / k; /* C(60, 30) */
    printf("20! = %llu, C(60,30) = %llu\n", (unsigned long long)f, (unsigned long long)c);
    failures += f != 2432902008176640000ull || c != 118264581564861424ull;

    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
