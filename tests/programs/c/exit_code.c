/* Exits with a non-zero code through exit() from a nested call (main never returns),
 * after writing to both stdout and stderr with printf, puts and raw write(). */
#include "oxcore.h"

static int depth;

static void fail_deep(int n, int code)
{
    if (n < 0)
        return;
    depth++;
    if (n == 0) {
        static const char msg[] = "fatal: giving up at depth ";
        write(OX_STDERR, msg, sizeof msg - 1);
        char digits[4] = {(char)('0' + depth / 10), (char)('0' + depth % 10), '\n', 0};
        write(OX_STDERR, digits, 3);
        printf("exiting with %d\n", code);
        exit(code);
    }
    fail_deep(n - 1, code);
    puts("unreachable");
}

int main(void)
{
    puts("start");
    static const char raw[] = "raw write to stdout\n";
    long n = write(OX_STDOUT, raw, sizeof raw - 1);
    printf("write returned %ld\n", n);
    int code = 0;
    for (int i = 1; i <= 6; i++)
        code += i * i; /* 91 */
    fail_deep(12, code - 88);
    puts("not reached either");
    return 0;
}
