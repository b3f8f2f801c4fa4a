/* Bitwise work and hashing: FNV-1a (32/64), MurmurHash3 finalizers, xorshift, popcount /
 * clz / ctz / bit reversal by hand and through compiler builtins (compiler_rt helpers on
 * RV32IM), rotations, and an open-addressing hash table. */
#include "oxcore.h"

static uint32_t fnv1a32(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 0x100000001B3ull;
    return h;
}

static uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

static uint32_t rotl(uint32_t x, unsigned r) { return (x << (r & 31)) | (x >> ((32 - r) & 31)); }

static int popcount_loop(uint32_t x)
{
    int n = 0;
    while (x) {
        x &= x - 1;
        n++;
    }
    return n;
}

static int clz_loop(uint32_t x)
{
    int n = 0;
    for (uint32_t bit = 0x80000000u; bit && !(x & bit); bit >>= 1)
        n++;
    return n;
}

static int ctz_loop(uint32_t x)
{
    if (!x)
        return 32;
    int n = 0;
    while (!(x & 1u)) {
        x >>= 1;
        n++;
    }
    return n;
}

static uint32_t reverse_bits(uint32_t x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
    x = ((x >> 8) & 0x00FF00FFu) | ((x & 0x00FF00FFu) << 8);
    return (x >> 16) | (x << 16);
}

static uint32_t xs_state = 0x9E3779B9u;
static uint32_t xorshift32(void)
{
    uint32_t x = xs_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return xs_state = x;
}

#define TABLE_BITS 8
#define TABLE_SIZE (1u << TABLE_BITS)
static uint32_t keys[TABLE_SIZE];
static uint32_t vals[TABLE_SIZE];
static uint32_t probes;

static void table_put(uint32_t key, uint32_t val) /* key != 0 */
{
    uint32_t i = fmix32(key) & (TABLE_SIZE - 1);
    while (keys[i] != 0 && keys[i] != key) {
        i = (i + 1) & (TABLE_SIZE - 1);
        probes++;
    }
    keys[i] = key;
    vals[i] = val;
}

static bool table_get(uint32_t key, uint32_t *val)
{
    uint32_t i = fmix32(key) & (TABLE_SIZE - 1);
    while (keys[i] != 0) {
        if (keys[i] == key) {
            *val = vals[i];
            return true;
        }
        i = (i + 1) & (TABLE_SIZE - 1);
        probes++;
    }
    return false;
}

int main(void)
{
    int failures = 0;
    static const char *const words[] = {"", "a", "foobar", "OxCore", "RISC-V", "hello world"};
    for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++)
        printf("fnv1a(\"%s\") = %08x / %016llx\n", words[i], fnv1a32(words[i]),
               (unsigned long long)fnv1a64(words[i]));
    failures += fnv1a32("foobar") != 0xBF9CF968u;
    failures += fnv1a64("foobar") != 0x85944171F73967E8ull;

    uint32_t agg_mix = 0, agg_rot = 0;
    int pc_sum = 0, mismatches = 0;
    for (int i = 0; i < 200; i++) {
        uint32_t x = xorshift32();
        if (i % 50 == 0)
            x >>= (unsigned)i / 10; /* some values with leading zeros */
        agg_mix ^= fmix32(x);
        agg_rot += rotl(x, (unsigned)i);
        int pc = popcount_loop(x);
        pc_sum += pc;
        mismatches += pc != __builtin_popcount(x);
        if (x) {
            mismatches += clz_loop(x) != __builtin_clz(x);
            mismatches += ctz_loop(x) != __builtin_ctz(x);
        }
        mismatches += reverse_bits(reverse_bits(x)) != x;
        uint64_t wide = ((uint64_t)x << 32) | fmix32(x);
        mismatches += __builtin_popcountll(wide) != popcount_loop(x) + popcount_loop(fmix32(x));
    }
    printf("fmix xor %08x rotl sum %08x popcounts %d builtin mismatches %d\n", agg_mix, agg_rot,
           pc_sum, mismatches);
    failures += mismatches;

    printf("reverse_bits(1) = %08x, reverse_bits(0x12345678) = %08x\n", reverse_bits(1),
           reverse_bits(0x12345678u));
    printf("clz(1) = %d, ctz(0x80000000) = %d, clz(0) = %d\n", clz_loop(1), ctz_loop(0x80000000u),
           clz_loop(0));
    printf("bswap(0x11223344) = %08x\n", __builtin_bswap32(0x11223344u));

    /* Gray code round trip. */
    uint32_t gray_hash = 0;
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t g = n ^ (n >> 1);
        uint32_t back = g;
        for (uint32_t s = 1; s < 32; s <<= 1)
            back ^= back >> s;
        failures += back != n;
        gray_hash = gray_hash * 3u + g;
    }
    printf("gray codes hash %08x\n", gray_hash);

    for (uint32_t k = 1; k <= 150; k++)
        table_put(k * 2654435761u, k);
    uint32_t found = 0, sum = 0, v;
    for (uint32_t k = 1; k <= 300; k++)
        if (table_get(k * 2654435761u, &v)) {
            found++;
            sum += v;
        }
    printf("hash table: %u found, value sum %u, %u probes\n", found, sum, probes);
    failures += found != 150 || sum != 150 * 151 / 2;

    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
