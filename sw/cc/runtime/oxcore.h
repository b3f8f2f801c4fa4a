/* oxcore.h -- the bare-metal C runtime of OxCore (RV32IM + Zicsr), used by `oxcore cc`.
 *
 * Environment ABI (the contract between programs, crt0 and every simulator/board)
 * ------------------------------------------------------------------------------
 *  Memory   One RAM [mem_base, mem_base + mem_size) holds code, data and stack
 *           (defaults 0x80000000 / 256 KiB; preset "small" 16 KiB). Nothing else is
 *           mapped for programs. Layout (linker script generated from the config):
 *           .text (_start first) | .rodata | .data/.sdata | .bss/.sbss | heap -> ... <- stack.
 *  Reset    All x registers are 0; pc = ELF entry (_start). Nothing else is assumed.
 *  crt0     sets sp = __stack_top (= mem_base + mem_size, 16-byte aligned),
 *           gp = __global_pointer$, zeroes .bss, calls main(0, 0), then exit(main's value).
 *  Syscalls `ecall` with the number in a7, arguments in a0..a2, result in a0:
 *             a7 = 64  write(fd = a0, buf = a1, len = a2) -> a0 = bytes written
 *                      (fd 1 = stdout, fd 2 = stderr)
 *             a7 = 93  exit(code = a0); does not return
 *           `ebreak` stops the program as a breakpoint. There are no other syscalls.
 *  Counters `csrr` of cycle/cycleh (0xC00/0xC80) and instret/instreth (0xC02/0xC82);
 *           read_cycles()/read_instret() read the 64-bit values with the hi/lo/hi loop.
 *  ABI      ilp32, no floating point hardware, no compressed instructions. Plain
 *           `char` is UNSIGNED on RISC-V (signed on x86): use int8_t/uint8_t when it
 *           matters. `long` is 32 bits: use the <stdint.h> fixed-width types.
 *
 * Library (all unbuffered: every call reaches the write syscall before it returns)
 * ------------------------------------------------------------------------------
 *  printf/vprintf/snprintf/vsnprintf: a subset of C99 printf --
 *     conversions  %d %i %u %x %X %o %c %s %p %%
 *     flags        - 0 + space #      width/precision: digits or *
 *     lengths      hh h l ll z j t    (print int64_t as %lld with a (long long) cast,
 *                                      so the same code is portable to 64-bit hosts)
 *     No floating point: %f %e %g (and anything else unsupported) print literally.
 *  putchar, puts (appends '\n'), write, exit, _exit, abort (ebreak, then exit(134)).
 *  print_int/print_uint (decimal), print_hex ("0x" + 8 digits), print_i64/print_u64.
 *  memcpy memmove memset memcmp strlen (from zig's compiler_rt), strcmp strncmp strcpy
 *  strncpy strchr strcat (this runtime), malloc/calloc (bump allocator between the end
 *  of .bss and the stack; NULL when exhausted), free (no-op), abs.
 */
#ifndef OXCORE_H
#define OXCORE_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- syscall numbers and raw access ------------------------------------------------ */
#define OX_SYS_WRITE 64
#define OX_SYS_EXIT 93

#define OX_STDOUT 1
#define OX_STDERR 2

static inline long ox_syscall3(long nr, long a0, long a1, long a2)
{
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a7 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(r_a0) : "r"(r_a1), "r"(r_a2), "r"(r_a7) : "memory");
    return r_a0;
}

/* Stop as a breakpoint (the simulator reports it; no exit code). */
static inline void ox_breakpoint(void) { __asm__ volatile("ebreak" ::: "memory"); }

/* ---- counters ------------------------------------------------------------------------ */
#define OX_CSR_READ(csr)                                                               \
    ({                                                                                 \
        uint32_t ox_v_;                                                                \
        __asm__ volatile("csrr %0, " #csr : "=r"(ox_v_));                             \
        ox_v_;                                                                         \
    })

/* 64-bit cycle counter (hi/lo/hi so a carry between the two reads is never torn). */
static inline uint64_t read_cycles(void)
{
    uint32_t hi, lo, hi2;
    do {
        hi = OX_CSR_READ(0xC80);
        lo = OX_CSR_READ(0xC00);
        hi2 = OX_CSR_READ(0xC80);
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

/* 64-bit count of retired instructions. */
static inline uint64_t read_instret(void)
{
    uint32_t hi, lo, hi2;
    do {
        hi = OX_CSR_READ(0xC82);
        lo = OX_CSR_READ(0xC02);
        hi2 = OX_CSR_READ(0xC82);
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

/* ---- process --------------------------------------------------------------------------- */
long write(int fd, const void *buf, size_t len);
__attribute__((noreturn)) void exit(int code);
__attribute__((noreturn)) void _exit(int code);
__attribute__((noreturn)) void abort(void);

/* ---- output ------------------------------------------------------------------------- */
int putchar(int c);
int puts(const char *s);
__attribute__((format(printf, 1, 2))) int printf(const char *fmt, ...);
__attribute__((format(printf, 1, 0))) int vprintf(const char *fmt, va_list ap);
__attribute__((format(printf, 3, 4))) int snprintf(char *buf, size_t size, const char *fmt, ...);
__attribute__((format(printf, 3, 0))) int vsnprintf(char *buf, size_t size, const char *fmt,
                                                     va_list ap);

void print_int(int32_t v);   /* decimal, e.g. -42 */
void print_uint(uint32_t v); /* decimal, e.g. 4294967295 */
void print_hex(uint32_t v);  /* "0x" + 8 lowercase hex digits, e.g. 0x0000002a */
void print_i64(int64_t v);   /* decimal */
void print_u64(uint64_t v);  /* decimal */

/* ---- memory and strings ---------------------------------------------------------------- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
char *strcat(char *dst, const char *src);
char *strchr(const char *s, int c);

void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void free(void *ptr);
int abs(int v);

#ifdef __cplusplus
}
#endif

#endif /* OXCORE_H */
