/* fib.c: bare-metal C on OxCore.
 *   oxcore cc examples/fib.c -o build/fib.elf && oxcore run build/fib.elf */
#include "oxcore.h"

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void) {
    for (int i = 0; i < 10; i++) printf("fib(%d) = %d\n", i, fib(i));
    return fib(10) & 0xFF;  /* 55 becomes the exit status */
}
