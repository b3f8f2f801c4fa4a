/* Recursion: fib, Ackermann, Towers of Hanoi, mutual recursion, N-queens, gcd. */
#include "oxcore.h"

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint32_t ack_calls;

static uint32_t ackermann(uint32_t m, uint32_t n)
{
    ack_calls++;
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static uint32_t hanoi_moves;
static uint32_t hanoi_sig;

static void hanoi(int n, int from, int to, int via)
{
    if (n == 0)
        return;
    hanoi(n - 1, from, via, to);
    hanoi_moves++;
    hanoi_sig = hanoi_sig * 31u + (uint32_t)(from * 3 + to);
    if (hanoi_moves <= 4)
        printf("  move %u: disk %d %c -> %c\n", hanoi_moves, n, 'A' + from, 'A' + to);
    hanoi(n - 1, via, to, from);
}

static bool is_odd(uint32_t n);
static bool is_even(uint32_t n) { return n == 0 ? true : is_odd(n - 1); }
static bool is_odd(uint32_t n) { return n == 0 ? false : is_even(n - 1); }

static int queens_cols[8];

static bool safe(int row, int col)
{
    for (int r = 0; r < row; r++) {
        int c = queens_cols[r];
        if (c == col || c - col == r - row || c - col == row - r)
            return false;
    }
    return true;
}

static int queens(int row, int n)
{
    if (row == n)
        return 1;
    int count = 0;
    for (int col = 0; col < n; col++) {
        if (safe(row, col)) {
            queens_cols[row] = col;
            count += queens(row + 1, n);
        }
    }
    return count;
}

static uint32_t gcd(uint32_t a, uint32_t b) { return b == 0 ? a : gcd(b, a % b); }

/* Sum of digits, recursively, of every number below n (deep-ish call chains). */
static uint32_t digit_sum(uint32_t n) { return n < 10 ? n : n % 10 + digit_sum(n / 10); }

int main(void)
{
    int failures = 0;
    printf("fib:");
    for (uint32_t i = 0; i <= 15; i += 3)
        printf(" fib(%u)=%u", i, fib(i));
    printf("\n");
    failures += fib(15) != 610;

    for (uint32_t m = 0; m <= 2; m++) {
        for (uint32_t n = 0; n <= 3; n++) {
            ack_calls = 0;
            uint32_t a = ackermann(m, n);
            printf("ackermann(%u,%u) = %u (%u calls)\n", m, n, a, ack_calls);
        }
    }
    ack_calls = 0;
    uint32_t a33 = ackermann(3, 3);
    printf("ackermann(3,3) = %u (%u calls)\n", a33, ack_calls);
    failures += a33 != 61;

    printf("hanoi(8):\n");
    hanoi(8, 0, 2, 1);
    printf("  %u moves, signature %08x\n", hanoi_moves, hanoi_sig);
    failures += hanoi_moves != 255;

    printf("even/odd: 37 is %s, 100 is %s\n", is_even(37) ? "even" : "odd",
           is_even(100) ? "even" : "odd");

    for (int n = 4; n <= 6; n++)
        printf("queens(%d) = %d\n", n, queens(0, n));

    printf("gcd(1071, 462) = %u, gcd(832040, 514229) = %u\n", gcd(1071, 462),
           gcd(832040, 514229));

    uint32_t ds = 0;
    for (uint32_t i = 0; i < 300; i++)
        ds += digit_sum(i * 7919u);
    printf("digit sums: %u\n", ds);

    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
