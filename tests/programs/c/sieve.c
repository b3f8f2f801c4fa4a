/* Memory sections: a sieve over a zero-initialized .bss array (crt0 must clear it),
 * initialized mutable .data, const .rodata tables, and small globals (.sdata/.sbss). */
#include "oxcore.h"

#define LIMIT 4000

static uint8_t composite[LIMIT + 1];           /* .bss: relies on crt0 zeroing */
static uint32_t small_counter;                  /* .sbss */
static int32_t small_init = -17;                /* .sdata */
static uint16_t primes_below[] = {10, 100, 1000, 4000}; /* .data, rewritten below */
static const uint32_t expected[] = {4, 25, 168, 550};   /* .rodata */
static char greeting[] = "mutable .data string";

int main(void)
{
    int failures = 0;

    /* Every .bss byte starts at zero. */
    uint32_t nonzero = 0;
    for (int i = 0; i <= LIMIT; i++)
        nonzero += composite[i] != 0;
    printf("bss nonzero bytes at start: %u, small_counter %u, small_init %d\n", nonzero,
           small_counter, small_init);
    failures += nonzero != 0 || small_counter != 0 || small_init != -17;

    for (uint32_t i = 2; i * i <= LIMIT; i++)
        if (!composite[i])
            for (uint32_t j = i * i; j <= LIMIT; j += i)
                composite[j] = 1;

    uint32_t count = 0, sum = 0, last = 0, twin = 0;
    unsigned next = 0;
    for (uint32_t n = 2; n <= LIMIT; n++) {
        if (!composite[n]) {
            count++;
            sum += n;
            if (n >= 3 && !composite[n - 2])
                twin++;
            last = n;
            small_counter++;
        }
        while (next < 4 && n == primes_below[next]) {
            primes_below[next] = (uint16_t)count;
            next++;
        }
    }
    printf("%u primes up to %d, sum %u, largest %u, %u twin pairs\n", count, LIMIT, sum, last,
           twin);
    for (int i = 0; i < 4; i++) {
        printf("pi(%s) = %u\n", i == 0 ? "10" : i == 1 ? "100" : i == 2 ? "1000" : "4000",
               primes_below[i]);
        failures += primes_below[i] != expected[i];
    }

    printf("first primes:");
    for (uint32_t n = 2, shown = 0; shown < 15; n++)
        if (!composite[n]) {
            printf(" %u", n);
            shown++;
        }
    printf("\n");

    greeting[0] = 'M';
    small_init += (int32_t)small_counter;
    printf("%s, small_init now %d\n", greeting, small_init);

    /* Goldbach for even numbers up to 1000. */
    uint32_t worst = 0, worst_n = 0;
    for (uint32_t n = 4; n <= 1000; n += 2) {
        uint32_t p = 2;
        while (composite[p] || composite[n - p])
            p++;
        if (p > worst) {
            worst = p;
            worst_n = n;
        }
    }
    printf("goldbach: largest smallest prime %u (for %u)\n", worst, worst_n);

    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
