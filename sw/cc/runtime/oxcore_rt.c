/* oxcore_rt.c -- the library half of the OxCore C runtime (see oxcore.h).
 *
 * memcpy/memmove/memset/memcmp/strlen (and 64-bit division helpers) come from zig's
 * compiler_rt, which `oxcore cc` links with -lcompiler_rt; everything else is here.
 */
#include "oxcore.h"

/* ---- process --------------------------------------------------------------------------- */

long write(int fd, const void *buf, size_t len)
{
    return ox_syscall3(OX_SYS_WRITE, fd, (long)(uintptr_t)buf, (long)len);
}

void _exit(int code)
{
    ox_syscall3(OX_SYS_EXIT, code, 0, 0);
    for (;;)
        ox_breakpoint(); /* exit never returns */
}

void exit(int code) { _exit(code); }

void abort(void)
{
    ox_breakpoint();
    _exit(134);
}

/* ---- output sink: a caller buffer (snprintf) or a small buffer flushed to stdout ------- */

typedef struct {
    char *buf;      /* destination */
    size_t cap;     /* bytes of buf usable for characters */
    size_t len;     /* characters stored in buf */
    size_t total;   /* characters produced (the printf return value) */
    int fd;         /* >= 0: flush buf to this fd when full; < 0: truncate (snprintf) */
} Sink;

static void sink_flush(Sink *s)
{
    size_t done = 0;
    while (done < s->len) {
        long n = write(s->fd, s->buf + done, s->len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    s->len = 0;
}

static void sink_put(Sink *s, char c)
{
    s->total++;
    if (s->len == s->cap) {
        if (s->fd < 0)
            return;
        sink_flush(s);
    }
    s->buf[s->len++] = c;
}

static void sink_repeat(Sink *s, char c, int n)
{
    while (n-- > 0)
        sink_put(s, c);
}

/* ---- the printf engine ----------------------------------------------------------------- */

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16 };

/* One integer conversion: sign/prefix, precision zeros, width padding as C99 says. */
static void emit_int(Sink *s, uint64_t mag, bool negative, unsigned base, bool upper,
                     int flags, int width, int prec, char conv)
{
    char digits[24];
    int nd = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    while (mag > 0xFFFFFFFFu) { /* 64-bit division (compiler_rt) only while needed */
        digits[nd++] = set[mag % base];
        mag /= base;
    }
    for (uint32_t m = (uint32_t)mag; m; m /= base)
        digits[nd++] = set[m % base];
    /* Precision 0 with value 0 prints no digits (except "%#o" which prints "0"). */
    int zeros = 0;
    if (prec >= 0) {
        if (prec > nd)
            zeros = prec - nd;
        flags &= ~F_ZERO;
    } else if (nd == 0) {
        zeros = 1;
    }
    char prefix[2];
    int np = 0;
    if (conv == 'd' || conv == 'i') {
        if (negative)
            prefix[np++] = '-';
        else if (flags & F_PLUS)
            prefix[np++] = '+';
        else if (flags & F_SPACE)
            prefix[np++] = ' ';
    } else if ((flags & F_ALT) && base == 16 && nd > 0) {
        prefix[np++] = '0';
        prefix[np++] = upper ? 'X' : 'x';
    } else if ((flags & F_ALT) && base == 8 && zeros == 0) {
        zeros = 1; /* "%#o" forces a leading 0 */
    }
    int body = np + zeros + nd;
    int pad = width > body ? width - body : 0;
    if (!(flags & (F_LEFT | F_ZERO)))
        sink_repeat(s, ' ', pad);
    for (int i = 0; i < np; i++)
        sink_put(s, prefix[i]);
    if (flags & F_ZERO && !(flags & F_LEFT))
        sink_repeat(s, '0', pad);
    sink_repeat(s, '0', zeros);
    while (nd)
        sink_put(s, digits[--nd]);
    if (flags & F_LEFT)
        sink_repeat(s, ' ', pad);
}

static void emit_str(Sink *s, const char *str, int flags, int width, int prec)
{
    if (!str)
        str = "(null)";
    int n = 0;
    while (str[n] && (prec < 0 || n < prec))
        n++;
    int pad = width > n ? width - n : 0;
    if (!(flags & F_LEFT))
        sink_repeat(s, ' ', pad);
    for (int i = 0; i < n; i++)
        sink_put(s, str[i]);
    if (flags & F_LEFT)
        sink_repeat(s, ' ', pad);
}

static void format(Sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            sink_put(s, *fmt);
            continue;
        }
        const char *start = fmt++;
        int flags = 0;
        for (;; fmt++) {
            if (*fmt == '-') flags |= F_LEFT;
            else if (*fmt == '0') flags |= F_ZERO;
            else if (*fmt == '+') flags |= F_PLUS;
            else if (*fmt == ' ') flags |= F_SPACE;
            else if (*fmt == '#') flags |= F_ALT;
            else break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                if (prec < 0)
                    prec = -1;
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        int size = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size_t/ptrdiff_t/intmax_t */
        for (;; fmt++) {
            if (*fmt == 'h') size = size < 0 ? -2 : -1;
            else if (*fmt == 'l') size = size == 1 ? 2 : 1;
            else if (*fmt == 'z' || *fmt == 't') size = 1; /* 32-bit on ilp32 */
            else if (*fmt == 'j') size = 2;
            else break;
        }
        char conv = *fmt;
        switch (conv) {
        case 'd':
        case 'i': {
            int64_t v;
            if (size >= 2) v = va_arg(ap, long long);
            else if (size == 1) v = va_arg(ap, long);
            else v = va_arg(ap, int);
            if (size == -1) v = (short)v;
            if (size == -2) v = (signed char)v;
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            emit_int(s, mag, v < 0, 10, false, flags, width, prec, conv);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v;
            if (size >= 2) v = va_arg(ap, unsigned long long);
            else if (size == 1) v = va_arg(ap, unsigned long);
            else v = va_arg(ap, unsigned int);
            if (size == -1) v = (unsigned short)v;
            if (size == -2) v = (unsigned char)v;
            unsigned base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
            emit_int(s, v, false, base, conv == 'X', flags, width, prec, conv);
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(ap, void *);
            emit_int(s, v, false, 16, false, flags | F_ALT, width, prec, 'x');
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            int pad = width > 1 ? width - 1 : 0;
            if (!(flags & F_LEFT)) sink_repeat(s, ' ', pad);
            sink_put(s, c);
            if (flags & F_LEFT) sink_repeat(s, ' ', pad);
            break;
        }
        case 's':
            emit_str(s, va_arg(ap, const char *), flags, width, prec);
            break;
        case '%':
            sink_put(s, '%');
            break;
        default: /* unsupported or truncated: print it as written */
            for (; start <= fmt && *start; start++)
                sink_put(s, *start);
            if (!*fmt)
                return;
            break;
        }
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    char dummy;
    Sink s = {size ? buf : &dummy, size ? size - 1 : 0, 0, 0, -1};
    format(&s, fmt, ap);
    if (size)
        buf[s.len] = '\0';
    return (int)s.total;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    char buf[128];
    Sink s = {buf, sizeof buf, 0, 0, OX_STDOUT};
    format(&s, fmt, ap);
    sink_flush(&s);
    return (int)s.total;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int putchar(int c)
{
    unsigned char ch = (unsigned char)c;
    return write(OX_STDOUT, &ch, 1) == 1 ? ch : -1;
}

int puts(const char *s)
{
    size_t n = strlen(s);
    if (write(OX_STDOUT, s, n) != (long)n || write(OX_STDOUT, "\n", 1) != 1)
        return -1;
    return 1;
}

void print_int(int32_t v) { printf("%d", (int)v); }
void print_uint(uint32_t v) { printf("%u", (unsigned)v); }
void print_hex(uint32_t v) { printf("0x%08x", (unsigned)v); }
void print_i64(int64_t v) { printf("%lld", (long long)v); }
void print_u64(uint64_t v) { printf("%llu", (unsigned long long)v); }

/* ---- strings (memcpy & co. are in compiler_rt) ------------------------------------------ */

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a)
            return (int)(unsigned char)*a - (int)(unsigned char)*b;
    }
    return 0;
}

char *strcpy(char *dst, const char *src)
{
    char *d = dst;
    while ((*d++ = *src++))
        ;
    return dst;
}

char *strncpy(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++)
        dst[i] = src[i];
    for (; i < n; i++)
        dst[i] = '\0';
    return dst;
}

char *strcat(char *dst, const char *src)
{
    strcpy(dst + strlen(dst), src);
    return dst;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

int abs(int v) { return v < 0 ? -v : v; }

/* ---- heap: a bump allocator from the end of .bss up towards the stack ------------------- */

extern char __heap_start[];
static char *heap_next;

#define OX_HEAP_STACK_GAP 1024u /* never allocate within 1 KiB of the current sp */

void *malloc(size_t size)
{
    if (!heap_next)
        heap_next = __heap_start;
    char *sp = (char *)__builtin_frame_address(0);
    if (sp <= heap_next)
        return NULL;
    size_t avail = (size_t)(sp - heap_next);
    size = (size + 7u) & ~(size_t)7u;
    if (size == 0)
        size = 8;
    if (avail < OX_HEAP_STACK_GAP || size > avail - OX_HEAP_STACK_GAP)
        return NULL;
    void *p = heap_next;
    heap_next += size;
    return p;
}

void *calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size)
        return NULL;
    void *p = malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void free(void *ptr) { (void)ptr; }
