/* Sorting: a generic qsort-like quicksort (byte-wise swaps, comparator callbacks,
 * insertion sort for short runs), plain insertion sort, and checks. */
#include "oxcore.h"

typedef int (*cmp_fn)(const void *, const void *);

static uint32_t compares;

static void swap_bytes(uint8_t *a, uint8_t *b, size_t size)
{
    while (size--) {
        uint8_t t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

static void insertion_sort_generic(uint8_t *base, size_t n, size_t size, cmp_fn cmp)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(base + (j - 1) * size, base + j * size) > 0; j--)
            swap_bytes(base + (j - 1) * size, base + j * size, size);
}

/* Quicksort with median-of-three pivot; recurses into the smaller half. */
static void quick_sort(void *vbase, size_t n, size_t size, cmp_fn cmp)
{
    uint8_t *base = vbase;
    while (n > 8) {
        uint8_t *lo = base, *mid = base + (n / 2) * size, *hi = base + (n - 1) * size;
        if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
        if (cmp(hi, mid) < 0) {
            swap_bytes(hi, mid, size);
            if (cmp(mid, lo) < 0) swap_bytes(mid, lo, size);
        }
        swap_bytes(mid, hi - size, size); /* pivot at n-2 */
        uint8_t *pivot = hi - size;
        size_t i = 0, j = n - 2;
        for (;;) {
            while (cmp(base + (++i) * size, pivot) < 0) {}
            while (j > 0 && cmp(pivot, base + (--j) * size) < 0) {}
            if (i >= j) break;
            swap_bytes(base + i * size, base + j * size, size);
        }
        swap_bytes(base + i * size, pivot, size);
        size_t left = i, right = n - i - 1;
        if (left < right) {
            quick_sort(base, left, size, cmp);
            base += (i + 1) * size;
            n = right;
        } else {
            quick_sort(base + (i + 1) * size, right, size, cmp);
            n = left;
        }
    }
    insertion_sort_generic(base, n, size, cmp);
}

static int cmp_i32(const void *a, const void *b)
{
    compares++;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_i32_desc(const void *a, const void *b) { return cmp_i32(b, a); }

typedef struct {
    char name[8];
    uint16_t age;
    int32_t score;
} Person;

static int cmp_person(const void *a, const void *b)
{
    const Person *p = a, *q = b;
    compares++;
    if (p->score != q->score)
        return p->score < q->score ? 1 : -1; /* score descending */
    if (p->age != q->age)
        return p->age < q->age ? -1 : 1;    /* then age ascending */
    return strcmp(p->name, q->name);        /* then name */
}

static void insertion_sort_u16(uint16_t *v, int n)
{
    for (int i = 1; i < n; i++) {
        uint16_t key = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > key) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = key;
    }
}

static uint32_t rng = 2463534242u;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

#define N 150
static int32_t data[N];

static int check_sorted_i32(const int32_t *v, int n, int desc)
{
    for (int i = 1; i < n; i++)
        if (desc ? v[i - 1] < v[i] : v[i - 1] > v[i])
            return 0;
    return 1;
}

int main(void)
{
    int failures = 0;
    int64_t sum_before = 0, sum_after = 0;
    for (int i = 0; i < N; i++) {
        data[i] = (int32_t)(next() % 20001u) - 10000;
        sum_before += data[i];
    }
    compares = 0;
    quick_sort(data, N, sizeof data[0], cmp_i32);
    for (int i = 0; i < N; i++)
        sum_after += data[i];
    int ok = check_sorted_i32(data, N, 0) && sum_before == sum_after;
    failures += !ok;
    printf("quick_sort %d ints: %s, %u compares, min %d median %d max %d\n", N,
           ok ? "sorted" : "NOT SORTED", compares, data[0], data[N / 2], data[N - 1]);

    /* Already sorted and reverse-sorted inputs, descending order. */
    compares = 0;
    quick_sort(data, N, sizeof data[0], cmp_i32_desc);
    ok = check_sorted_i32(data, N, 1);
    failures += !ok;
    printf("descending: %s, %u compares, first %d last %d\n", ok ? "sorted" : "NOT SORTED",
           compares, data[0], data[N - 1]);

    /* Many duplicates. */
    for (int i = 0; i < N; i++)
        data[i] = (int32_t)(next() % 5u);
    quick_sort(data, N, sizeof data[0], cmp_i32);
    int runs[5] = {0};
    for (int i = 0; i < N; i++)
        runs[data[i]]++;
    failures += !check_sorted_i32(data, N, 0);
    printf("duplicates: %d %d %d %d %d\n", runs[0], runs[1], runs[2], runs[3], runs[4]);

    static Person people[] = {
        {"ada", 36, 90},  {"bob", 25, 72},   {"cyd", 41, 90}, {"dee", 25, 90},
        {"eve", 30, 55},  {"fay", 36, 90},   {"gus", 19, 72}, {"hal", 50, 100},
        {"ivy", 22, 55},  {"jon", 30, 72},   {"kim", 36, 90}, {"lou", 28, 0},
    };
    int np = (int)(sizeof people / sizeof people[0]);
    quick_sort(people, (size_t)np, sizeof people[0], cmp_person);
    printf("people:");
    for (int i = 0; i < np; i++)
        printf(" %s(%d,%u)", people[i].name, people[i].score, people[i].age);
    printf("\n");
    for (int i = 1; i < np; i++)
        failures += cmp_person(&people[i - 1], &people[i]) > 0;

    uint16_t small[40];
    for (int i = 0; i < 40; i++)
        small[i] = (uint16_t)(next() & 0xffff);
    insertion_sort_u16(small, 40);
    uint32_t h = 0;
    for (int i = 0; i < 40; i++) {
        h = h * 65599u + small[i];
        failures += i > 0 && small[i - 1] > small[i];
    }
    printf("insertion sort: first %u last %u hash %08x\n", small[0], small[39], h);

    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
