/* Element width of the RVV kernels: -DSEW=8, 16 or 32 picks the mnemonics and the
 * element type, so each kernel is written once for every width.
 *   E      the vtype SEW field (e8, e16, e32)
 *   VLE    vle<SEW>.v,  VSE  vse<SEW>.v
 *   LOG2B  log2 of the element's bytes (pointer steps) */
#ifndef SEW
#define SEW 32
#endif
#if SEW == 8
#define E e8
#define VLE vle8.v
#define VSE vse8.v
#define LOG2B 0
#elif SEW == 16
#define E e16
#define VLE vle16.v
#define VSE vse16.v
#define LOG2B 1
#elif SEW == 32
#define E e32
#define VLE vle32.v
#define VSE vse32.v
#define LOG2B 2
#else
#error "SEW must be 8, 16 or 32"
#endif
#ifndef N
#define N 4096
#endif
/* The kernel's arrays: in .data (loaded from the image, where the harness writes the
 * inputs; .bss would be cleared by crt0), aligned to the widest memory port. */
#define KERNEL_ARRAY(name, count) \
    .section .data.kernel_io, "aw"; .p2align 7; .globl name; .type name, @object; \
    name: .zero (count) << LOG2B; .size name, (count) << LOG2B
