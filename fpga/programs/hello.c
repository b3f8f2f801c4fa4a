/* The OxCore SoC's default program: a greeting and a little arithmetic over the UART.
 * Built by fpga/soc.py (`make fpga` without PROG or KERNEL) for the board's config. */
#include "oxcore.h"

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void) {
    printf("hello from OxCore\n");
    printf("fib(10) = %u\n", fib(10));
    return 0;
}
