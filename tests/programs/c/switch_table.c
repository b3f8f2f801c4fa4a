/* Dense switch statements (clang lowers them to jump tables) and a switch-driven
 * tokenizer/evaluator state machine. */
#include "oxcore.h"

/* 16 dense cases on an opcode: a jump table at -O2. */
static int32_t alu(uint32_t op, int32_t a, int32_t b)
{
    uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
    switch (op) {
    case 0: return (int32_t)(ua + ub);
    case 1: return (int32_t)(ua - ub);
    case 2: return (int32_t)(ua << (ub & 31));
    case 3: return a < b;
    case 4: return ua < ub;
    case 5: return a ^ b;
    case 6: return (int32_t)(ua >> (ub & 31));
    case 7: return a >> (ub & 31);
    case 8: return a | b;
    case 9: return a & b;
    case 10: return (int32_t)(ua * ub);
    case 11: return b != 0 ? (int32_t)(ua / ub) : -1;
    case 12: return b != 0 ? (int32_t)(ua % ub) : a;
    case 13: return ~a;
    case 14: return a == b;
    case 15: return (int32_t)((ua << 7) | (ua >> 25));
    default: return 0x7eadbeef;
    }
}

static const char *month_name(int m)
{
    switch (m) {
    case 1: return "January";
    case 2: return "February";
    case 3: return "March";
    case 4: return "April";
    case 5: return "May";
    case 6: return "June";
    case 7: return "July";
    case 8: return "August";
    case 9: return "September";
    case 10: return "October";
    case 11: return "November";
    case 12: return "December";
    default: return "?";
    }
}

static int days_in_month(int m, int year)
{
    switch (m) {
    case 2:
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28;
    case 4: case 6: case 9: case 11:
        return 30;
    default:
        return 31;
    }
}

/* Character classes by a dense switch over ' '..'~' ranges (with fallthrough). */
enum Cls { DIGIT, ALPHA, OP, SPACE, PAREN, OTHER };

static enum Cls classify(char c)
{
    switch (c) {
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return DIGIT;
    case '+': case '-': case '*': case '/': case '%':
        return OP;
    case ' ': case '\t':
        return SPACE;
    case '(': case ')':
        return PAREN;
    default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
            return ALPHA;
        return OTHER;
    }
}

/* Recursive-descent evaluator for + - * / % and parentheses. */
static const char *cur;

static void skip_spaces(void)
{
    while (classify(*cur) == SPACE)
        cur++;
}

static int32_t expr(void);

static int32_t primary(void)
{
    skip_spaces();
    if (*cur == '(') {
        cur++;
        int32_t v = expr();
        skip_spaces();
        if (*cur == ')')
            cur++;
        return v;
    }
    if (*cur == '-') {
        cur++;
        return -primary();
    }
    int32_t v = 0;
    while (classify(*cur) == DIGIT)
        v = v * 10 + (*cur++ - '0');
    return v;
}

static int32_t term(void)
{
    int32_t v = primary();
    for (;;) {
        skip_spaces();
        char op = *cur;
        switch (op) {
        case '*': cur++; v *= primary(); break;
        case '/': { cur++; int32_t d = primary(); v = d ? v / d : 0; break; }
        case '%': { cur++; int32_t d = primary(); v = d ? v % d : 0; break; }
        default: return v;
        }
    }
}

static int32_t expr(void)
{
    int32_t v = term();
    for (;;) {
        skip_spaces();
        switch (*cur) {
        case '+': cur++; v += term(); break;
        case '-': cur++; v -= term(); break;
        default: return v;
        }
    }
}

static int32_t eval(const char *s)
{
    cur = s;
    return expr();
}

int main(void)
{
    uint32_t sig = 0;
    static const int32_t a_vals[] = {0, 1, -1, 7, -100, 123456789, INT32_MIN, INT32_MAX};
    static const int32_t b_vals[] = {0, 1, 3, -5, 31, 32, 0x1234};
    for (uint32_t op = 0; op < 17; op++) {
        uint32_t h = 0;
        for (unsigned i = 0; i < sizeof a_vals / sizeof a_vals[0]; i++)
            for (unsigned j = 0; j < sizeof b_vals / sizeof b_vals[0]; j++)
                h = h * 33u + (uint32_t)alu(op, a_vals[i], b_vals[j]);
        printf("alu op %2u: %08x\n", op, h);
        sig ^= h;
    }
    printf("alu signature %08x\n", sig);

    int total = 0;
    for (int m = 1; m <= 13; m++) {
        total += days_in_month(m, 2024);
        if (m % 4 == 1)
            printf("%s has %d days in 2024 and %d in 1900\n", month_name(m),
                   days_in_month(m, 2024), days_in_month(m, 1900));
    }
    printf("days: %d\n", total);

    static const char *const exprs[] = {
        "1 + 2 * 3", "(1 + 2) * 3", "100 / 7 % 5", "-(4 - 10) * -3", "2*(3+(4*(5+6)))-1",
        "  17 % 5 + 123456 / 1000 - 9 * 9 ",
    };
    int32_t checks = 0;
    for (unsigned i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        int32_t v = eval(exprs[i]);
        checks += v;
        printf("%-36s = %d\n", exprs[i], v);
    }

    printf("sum of results: %d\n", checks);

    int counts[6] = {0};
    for (const char *p = "x1 = (foo + 42) * bar_9 - 7 % 3; // done"; *p; p++)
        counts[classify(*p)]++;
    printf("classes: digit %d alpha %d op %d space %d paren %d other %d\n", counts[DIGIT],
           counts[ALPHA], counts[OP], counts[SPACE], counts[PAREN], counts[OTHER]);

    int failures = (eval("1 + 2 * 3") != 7) + (total != 366 + 31);
    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
