/* 32-bit integer corner cases, all well-defined C: division rounding toward zero,
 * INT32_MIN / 1 and / 2, unsigned wrap-around, conversions, arithmetic shifts,
 * high halves of products, integer square root, modular exponentiation. */
#include "oxcore.h"

static volatile int32_t vi[] = {0, 1, -1, 2, -2, 7, -7, 3, 100, -100, 65536, INT32_MAX, INT32_MIN};
static volatile uint32_t vu[] = {0, 1, 2, 7, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu, 65535, 1000};

#define NI ((int)(sizeof vi / sizeof vi[0]))
#define NU ((int)(sizeof vu / sizeof vu[0]))

static uint32_t isqrt(uint32_t n)
{
    uint32_t root = 0, bit = 1u << 30;
    while (bit > n)
        bit >>= 2;
    while (bit) {
        if (n >= root + bit) {
            n -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return root;
}

static uint32_t modpow(uint32_t base, uint32_t exp, uint32_t mod)
{
    uint64_t result = 1, b = base % mod;
    while (exp) {
        if (exp & 1)
            result = result * b % mod;
        b = b * b % mod;
        exp >>= 1;
    }
    return (uint32_t)result;
}

static int32_t sat_add(int32_t a, int32_t b)
{
    int64_t s = (int64_t)a + b;
    return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}

int main(void)
{
    int failures = 0;

    printf(" a / b : q r for a in {7,-7}, b in {2,-2}:");
    for (int i = 5; i <= 6; i++)
        for (int j = 3; j <= 4; j++)
            printf(" %d/%d=%d,%d", vi[i], vi[j], vi[i] / vi[j], vi[i] % vi[j]);
    printf("\n");

    printf("INT32_MIN / 1 = %d, / 2 = %d, %% 3 = %d, / INT32_MAX = %d\n", vi[12] / vi[1],
           vi[12] / vi[3], vi[12] % vi[7], vi[12] / vi[11]);
    printf("INT32_MAX / -1 = %d, INT32_MAX %% -100 = %d\n", vi[11] / vi[2], vi[11] % vi[9]);

    uint32_t h = 2166136261u;
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NI; j++) {
            int32_t a = vi[i], b = vi[j];
            if (b == 0 || (a == INT32_MIN && b == -1))
                continue; /* undefined in C */
            int32_t q = a / b, r = a % b;
            failures += (int32_t)((uint32_t)q * (uint32_t)b + (uint32_t)r) != a;
            h = (h ^ (uint32_t)q) * 16777619u;
            h = (h ^ (uint32_t)r) * 16777619u;
        }
    printf("signed div hash %08x\n", h);

    for (int i = 0; i < NU; i++)
        for (int j = 0; j < NU; j++) {
            uint32_t a = vu[i], b = vu[j];
            h = (h ^ (a + b)) * 16777619u;
            h = (h ^ (a - b)) * 16777619u;
            h = (h ^ (a * b)) * 16777619u;
            if (b) {
                h = (h ^ (a / b)) * 16777619u;
                h = (h ^ (a % b)) * 16777619u;
            }
        }
    printf("unsigned arith hash %08x\n", h);

    /* High halves of 32x32 products (what mulh/mulhu/mulhsu compute). */
    uint32_t hs = 0, hu = 0, hsu = 0;
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NU; j++) {
            int32_t a = vi[i];
            uint32_t b = vu[j];
            hs = hs * 31u + (uint32_t)(((int64_t)a * (int64_t)(int32_t)b) >> 32);
            hu = hu * 31u + (uint32_t)(((uint64_t)(uint32_t)a * b) >> 32);
            hsu = hsu * 31u + (uint32_t)(((int64_t)a * (int64_t)b) >> 32);
        }
    printf("mulh %08x mulhu %08x mulhsu %08x\n", hs, hu, hsu);

    /* Unsigned wrap-around and conversions (modulo 2^N on every supported compiler). */
    uint32_t wrap = vu[6] + 1u;
    uint32_t neg = 0u - vu[1];
    int32_t from_u = (int32_t)vu[5];
    int8_t s8 = (int8_t)(uint8_t)(vu[7] & 0xFFu); /* 255 -> -1 */
    int16_t s16 = (int16_t)(uint16_t)0x8001u;
    uint8_t u8 = (uint8_t)vi[9];                   /* -100 -> 156 */
    printf("wrap %u neg %u (int32)0x80000000 %d s8 %d s16 %d u8 %u\n", wrap, neg, from_u, s8, s16,
           u8);

    /* Arithmetic right shift of negative values, logical of unsigned. */
    printf("shifts: %d %d %d %u %u\n", vi[6] >> 1, vi[12] >> 31, vi[9] >> 3, vu[6] >> 31,
           vu[5] >> 4);

    /* Signed vs unsigned comparison (slt vs sltu). */
    int slt = 0, sltu = 0;
    for (int i = 0; i < NI; i++)
        for (int j = 0; j < NI; j++) {
            slt += vi[i] < vi[j];
            sltu += (uint32_t)vi[i] < (uint32_t)vi[j];
        }
    printf("slt %d sltu %d\n", slt, sltu);

    /* Absolute value without overflow, saturating addition. */
    uint32_t mag = vi[12] < 0 ? 0u - (uint32_t)vi[12] : (uint32_t)vi[12];
    printf("|INT32_MIN| = %u, sat_add(MAX, 1) = %d, sat_add(MIN, -1) = %d, sat_add(5, -9) = %d\n",
           mag, sat_add(vi[11], 1), sat_add(vi[12], -1), sat_add(5, -9));

    uint32_t roots = 0;
    for (uint32_t n = 0; n < 2000; n += 7)
        roots += isqrt(n * n + n);
    printf("isqrt(2^32-1) = %u, isqrt(10^9) = %u, sum %u\n", isqrt(0xFFFFFFFFu), isqrt(1000000000u),
           roots);
    failures += isqrt(0xFFFFFFFFu) != 65535 || isqrt(1000000000u) != 31622;

    uint32_t p = 2147483647u; /* Mersenne prime: a^(p-1) = 1 mod p */
    printf("modpow: 3^(p-1) mod p = %u, 2^100 mod 1000000007 = %u\n", modpow(3, p - 1, p),
           modpow(2, 100, 1000000007u));
    failures += modpow(3, p - 1, p) != 1;

    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
