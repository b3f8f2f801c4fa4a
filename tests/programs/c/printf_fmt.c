/* The runtime's printf subset against the C library's: conversions, flags, widths,
 * precisions, length modifiers, and extreme values. */
#include "oxcore.h"

int main(void)
{
    int n = 0;
    n += printf("[%d] [%i] [%u] [%x] [%X] [%o] [%c] [%s] [%%]\n", -42, 42, 42u, 0xbeefu,
                0xbeefu, 8u, 'Q', "text");
    n += printf("[%5d] [%-5d] [%05d] [%+d] [% d] [%+5d] [%-+5d] [%05d]\n", 42, 42, 42, 42, 42, -42,
                42, -42);
    n += printf("[%8x] [%-8x] [%08x] [%#x] [%#X] [%#o] [%#x] [%#o]\n", 0xabcu, 0xabcu, 0xabcu,
                0xabcu, 0xabcu, 8u, 0u, 0u);
    n += printf("[%.3d] [%.0d] [%5.3d] [%-6.2d] [%.5x] [%.0x]\n", 7, 0, -7, 3, 0x1fu, 0u);
    char zero_and_precision[] = "[%08.3d] [%06.0x]\n"; /* '0' is ignored with a precision */
    n += printf(zero_and_precision, 12, 0u);
    n += printf("[%10s] [%-10s] [%.3s] [%8.2s] [%s] [%c%c%c]\n", "right", "left", "truncate",
                "xy-z", "", 'a', 'b', 'c');
    n += printf("[%*d] [%-*d] [%.*d] [%*.*s]\n", 6, 123, 6, 123, 5, 123, 7, 2, "abcdef");
    n += printf("[%d] [%d] [%u] [%x]\n", INT32_MIN, INT32_MAX, UINT32_MAX, UINT32_MAX);
    n += printf("[%lld] [%lld] [%llu] [%llx] [%020lld]\n", (long long)INT64_MIN,
                (long long)INT64_MAX, (unsigned long long)UINT64_MAX,
                (unsigned long long)0x0123456789ABCDEFull, (long long)-98765432123LL);
    n += printf("[%ld] [%lu] [%lx]\n", -123456L, 123456UL, 0xfeedUL);
    n += printf("[%hd] [%hu] [%hhd] [%hhu] [%hx]\n", (short)-1234, (unsigned short)60000,
                (signed char)-5, (unsigned char)250, (unsigned short)0xBEEF);
    n += printf("[%zu] [%zx]\n", (size_t)4096, (size_t)255);
    n += printf("[%c] [%5c] [%-3c]\n", 'x', 'y', 'z');
    n += printf("%s%s%s\n", "con", "cat", "enated");
    n += printf("no conversions at all\n");
    printf("total characters printed: %d\n", n);

    char buf[16];
    volatile size_t size = sizeof buf; /* not constant: keeps gcc's truncation warning quiet */
    int m = snprintf(buf, size, "%s|%d", "0123456789", 123456789);
    printf("snprintf: %d [%s]\n", m, buf);
    size = 1;
    m = snprintf(buf, size, "abc");
    printf("snprintf size 1: %d [%s]\n", m, buf);
    m = snprintf(NULL, 0, "%d", -1000000);
    printf("snprintf NULL: %d\n", m);

    for (int w = 0; w < 12; w += 3)
        printf("|%*d|%-*x|%0*d|\n", w, -w * 111, w, (unsigned)(w * 4097), w, w * 7);

    puts("puts adds a newline");
    putchar('!');
    putchar('\n');
    print_int(-2147483647 - 1);
    putchar(' ');
    print_uint(4294967295u);
    putchar(' ');
    print_hex(0xC0FFEEu);
    putchar(' ');
    print_i64(INT64_MIN);
    putchar(' ');
    print_u64(UINT64_MAX);
    putchar('\n');
    return 0;
}
