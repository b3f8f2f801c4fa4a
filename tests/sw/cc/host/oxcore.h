/* Host shim of sw/cc/runtime/oxcore.h for the native-build oracle.
 *
 * The same program compiled with the host's cc and this header must print the same
 * bytes and exit with the same code as the RISC-V build. stdout is unbuffered so that
 * printf/puts/putchar and raw write() calls interleave exactly as on OxCore (where every
 * call reaches the write syscall before it returns). Counters read as 0: programs must
 * not print them.
 */
#ifndef OXCORE_H
#define OXCORE_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oxcore_abi.h" /* OX_SYS_*, OX_E*: generated from oxcore/abi.py (conftest.py) */

#define OX_STDOUT 1
#define OX_STDERR 2

__attribute__((constructor)) static void ox_host_init(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
}

static inline uint64_t read_cycles(void) { return 0; }
static inline uint64_t read_instret(void) { return 0; }
static inline void ox_breakpoint(void) { abort(); }

static inline void print_int(int32_t v) { printf("%d", (int)v); }
static inline void print_uint(uint32_t v) { printf("%u", (unsigned)v); }
static inline void print_hex(uint32_t v) { printf("0x%08x", (unsigned)v); }
static inline void print_i64(int64_t v) { printf("%lld", (long long)v); }
static inline void print_u64(uint64_t v) { printf("%llu", (unsigned long long)v); }

#endif /* OXCORE_H */
