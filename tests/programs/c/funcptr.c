/* Function pointers: operator tables, callbacks with context, a dispatch-table VM. */
#include "oxcore.h"

typedef int32_t (*binop_fn)(int32_t, int32_t);

static int32_t op_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static int32_t op_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static int32_t op_mul(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }
static int32_t op_min(int32_t a, int32_t b) { return a < b ? a : b; }
static int32_t op_max(int32_t a, int32_t b) { return a > b ? a : b; }
static int32_t op_xor(int32_t a, int32_t b) { return a ^ b; }

static const struct {
    const char *name;
    binop_fn fn;
    int32_t identity;
} ops[] = {
    {"add", op_add, 0}, {"sub", op_sub, 0},       {"mul", op_mul, 1},
    {"min", op_min, INT32_MAX}, {"max", op_max, INT32_MIN}, {"xor", op_xor, 0},
};

#define NOPS ((int)(sizeof ops / sizeof ops[0]))

static int32_t fold(const int32_t *v, int n, binop_fn fn, int32_t init)
{
    int32_t acc = init;
    for (int i = 0; i < n; i++)
        acc = fn(acc, v[i]);
    return acc;
}

/* Callback with a context pointer (closure by hand). */
typedef struct {
    int32_t scale;
    int32_t offset;
    uint32_t calls;
} Affine;

static int32_t affine_apply(void *ctx, int32_t x)
{
    Affine *a = ctx;
    a->calls++;
    return x * a->scale + a->offset;
}

static void map(int32_t *dst, const int32_t *src, int n, int32_t (*f)(void *, int32_t),
                void *ctx)
{
    for (int i = 0; i < n; i++)
        dst[i] = f(ctx, src[i]);
}

/* A tiny stack machine: each opcode is an index into a table of handlers. */
typedef struct Vm Vm;
typedef void (*handler_fn)(Vm *, int32_t arg);

struct Vm {
    int32_t stack[32];
    int sp;
    int pc;
    bool halted;
};

static int32_t vm_pop(Vm *vm) { return vm->stack[--vm->sp]; }
static void vm_push(Vm *vm, int32_t v) { vm->stack[vm->sp++] = v; }
static void vm_binop(Vm *vm, binop_fn f)
{
    int32_t b = vm_pop(vm);
    int32_t a = vm_pop(vm);
    vm_push(vm, f(a, b));
}
static void h_push(Vm *vm, int32_t arg) { vm_push(vm, arg); }
static void h_add(Vm *vm, int32_t arg) { (void)arg; vm_binop(vm, op_add); }
static void h_sub(Vm *vm, int32_t arg) { (void)arg; vm_binop(vm, op_sub); }
static void h_mul(Vm *vm, int32_t arg) { (void)arg; vm_binop(vm, op_mul); }
static void h_dup(Vm *vm, int32_t arg) { (void)arg; vm_push(vm, vm->stack[vm->sp - 1]); }
static void h_over(Vm *vm, int32_t arg) { (void)arg; vm_push(vm, vm->stack[vm->sp - 2]); }
static void h_swap(Vm *vm, int32_t arg)
{
    (void)arg;
    int32_t b = vm_pop(vm), a = vm_pop(vm);
    vm_push(vm, b);
    vm_push(vm, a);
}
static void h_rot(Vm *vm, int32_t arg) /* a b c -> b c a */
{
    (void)arg;
    int32_t c = vm_pop(vm), b = vm_pop(vm), a = vm_pop(vm);
    vm_push(vm, b);
    vm_push(vm, c);
    vm_push(vm, a);
}
static void h_jnz(Vm *vm, int32_t arg)
{
    if (vm_pop(vm) != 0)
        vm->pc = arg - 1; /* the dispatch loop adds 1 */
}
static void h_halt(Vm *vm, int32_t arg) { (void)arg; vm->halted = true; }

enum { PUSH, ADD, SUB, MUL, DUP, OVER, SWAP, ROT, JNZ, HALT };
static const handler_fn handlers[] = {h_push, h_add, h_sub,  h_mul, h_dup,
                                      h_over, h_swap, h_rot, h_jnz, h_halt};

typedef struct {
    uint8_t op;
    int32_t arg;
} Insn;

/* Each program keeps "acc n" on the stack and loops while n != 0:
 *   2: DUP, JNZ body, SWAP, HALT   (the result, acc, ends on top)              */
#define LOOP_HEAD(body) {DUP, 0}, {JNZ, body}, {SWAP, 0}, {HALT, 0}
#define LOOP_TAIL {PUSH, 1}, {SUB, 0}, {PUSH, 1}, {JNZ, 2}

static const Insn factorial_prog[] = { /* 10! */
    {PUSH, 1}, {PUSH, 10}, LOOP_HEAD(6),
    {SWAP, 0}, {OVER, 0}, {MUL, 0}, {SWAP, 0}, /* acc*n n */
    LOOP_TAIL,
};

static const Insn squares_prog[] = { /* 1^2 + ... + 20^2 */
    {PUSH, 0}, {PUSH, 20}, LOOP_HEAD(6),
    {DUP, 0}, {DUP, 0}, {MUL, 0}, {ROT, 0}, {ADD, 0}, {SWAP, 0}, /* acc+n*n n */
    LOOP_TAIL,
};

static const Insn sum_prog[] = { /* 1 + ... + 50 */
    {PUSH, 0}, {PUSH, 50}, LOOP_HEAD(6),
    {SWAP, 0}, {OVER, 0}, {ADD, 0}, {SWAP, 0}, /* acc+n n */
    LOOP_TAIL,
};

static int32_t run_vm(const Insn *prog, int32_t *steps)
{
    Vm vm = {{0}, 0, 0, false};
    *steps = 0;
    while (!vm.halted) {
        const Insn *in = &prog[vm.pc];
        handlers[in->op](&vm, in->arg);
        vm.pc++;
        (*steps)++;
    }
    return vm.stack[vm.sp - 1];
}

int main(void)
{
    int32_t values[16];
    uint32_t seed = 12345;
    for (int i = 0; i < 16; i++) {
        seed = seed * 1103515245u + 12345u;
        values[i] = (int32_t)(seed >> 16) % 1000 - 500;
    }
    for (int i = 0; i < NOPS; i++)
        printf("fold %-3s = %d\n", ops[i].name, fold(values, 16, ops[i].fn, ops[i].identity));

    /* Choose functions through a pointer to a pointer. */
    binop_fn chosen[3] = {ops[2].fn, ops[0].fn, ops[4].fn};
    binop_fn *pp = chosen;
    int32_t x = 3;
    for (int round = 0; round < 6; round++)
        x = (*pp[round % 3])(x, round + 2);
    printf("chained = %d\n", x);

    Affine aff = {3, -7, 0};
    int32_t mapped[16];
    map(mapped, values, 16, affine_apply, &aff);
    printf("mapped: %d %d %d ... %d (%u calls)\n", mapped[0], mapped[1], mapped[2], mapped[15],
           aff.calls);

    int32_t steps;
    int32_t r1 = run_vm(factorial_prog, &steps);
    printf("vm factorial(10) = %d in %d steps\n", r1, steps);
    int32_t r2 = run_vm(squares_prog, &steps);
    printf("vm sum of squares 1..20 = %d in %d steps\n", r2, steps);
    int32_t r3 = run_vm(sum_prog, &steps);
    printf("vm sum 1..50 = %d in %d steps\n", r3, steps);

    int failures = (r1 != 3628800) + (r2 != 2870) + (r3 != 1275);
    failures += fold(values, 16, op_add, 0) != fold(values, 16, ops[0].fn, 0);
    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
