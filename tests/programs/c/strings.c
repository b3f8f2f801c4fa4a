/* String handling: the runtime's str* functions, hand-written conversions (itoa/atoi
 * in any base), reversal, word counting, palindromes, ROT13, tokenizing, snprintf. */
#include "oxcore.h"

static size_t my_strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

static void reverse(char *s)
{
    size_t n = my_strlen(s);
    for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
        char t = s[i];
        s[i] = s[j];
        s[j] = t;
    }
}

/* Unsigned to text in base 2..36. */
static char *utoa_base(uint32_t v, char *out, unsigned base)
{
    char *p = out;
    do {
        unsigned d = v % base;
        *p++ = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    *p = '\0';
    reverse(out);
    return out;
}

static char *itoa10(int32_t v, char *out)
{
    if (v < 0) {
        out[0] = '-';
        utoa_base(0u - (uint32_t)v, out + 1, 10);
    } else {
        utoa_base((uint32_t)v, out, 10);
    }
    return out;
}

/* Parses [spaces][+-]digits in base 10; stops at the first non-digit. */
static int32_t my_atoi(const char *s)
{
    while (*s == ' ')
        s++;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    uint32_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10u + (uint32_t)(*s++ - '0');
    return neg ? (int32_t)(0u - v) : (int32_t)v;
}

static int count_words(const char *s)
{
    int words = 0;
    bool in_word = false;
    for (; *s; s++) {
        bool letter = *s != ' ' && *s != '\n' && *s != ',' && *s != '.';
        if (letter && !in_word)
            words++;
        in_word = letter;
    }
    return words;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool is_palindrome(const char *s)
{
    size_t i = 0, j = my_strlen(s);
    while (i < j) {
        if (!is_alpha(s[i])) { i++; continue; }
        if (!is_alpha(s[j - 1])) { j--; continue; }
        if (lower(s[i]) != lower(s[j - 1]))
            return false;
        i++;
        j--;
    }
    return true;
}

static void rot13(char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (c >= 'a' && c <= 'z')
            *s = (char)('a' + (c - 'a' + 13) % 26);
        else if (c >= 'A' && c <= 'Z')
            *s = (char)('A' + (c - 'A' + 13) % 26);
    }
}

static int sign(int v) { return (v > 0) - (v < 0); }

int main(void)
{
    int failures = 0;
    char buf[64], buf2[64];

    static const uint32_t nums[] = {0, 7, 255, 4096, 65535, 123456789, 0xFFFFFFFFu};
    for (unsigned i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        printf("%u: bin %s", nums[i], utoa_base(nums[i], buf, 2));
        printf(" oct %s", utoa_base(nums[i], buf, 8));
        printf(" hex %s", utoa_base(nums[i], buf, 16));
        printf(" b36 %s\n", utoa_base(nums[i], buf, 36));
    }
    static const int32_t ints[] = {0, -1, 42, -2147483647 - 1, 2147483647, -99999};
    for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        itoa10(ints[i], buf);
        int32_t back = my_atoi(buf);
        printf("itoa %s -> atoi %d\n", buf, back);
        failures += back != ints[i];
    }
    printf("atoi(\"  -0012abc\") = %d, atoi(\"+77\") = %d\n", my_atoi("  -0012abc"), my_atoi("+77"));

    const char *text = "The quick brown fox jumps over the lazy dog. Pack my box, with five "
                       "dozen liquor jugs.";
    printf("length %u (runtime strlen %u), words %d\n", (unsigned)my_strlen(text),
           (unsigned)strlen(text), count_words(text));
    failures += my_strlen(text) != strlen(text);

    int letters[26] = {0};
    for (const char *p = text; *p; p++)
        if (is_alpha(*p))
            letters[lower(*p) - 'a']++;
    printf("letter counts:");
    for (int i = 0; i < 26; i++)
        printf("%c", letters[i] < 10 ? '0' + letters[i] : '+');
    printf("\n");

    static const char *const pals[] = {"A man, a plan, a canal: Panama", "racecar", "OxCore",
                                       "Was it a car or a cat I saw?", ""};
    for (unsigned i = 0; i < sizeof pals / sizeof pals[0]; i++)
        printf("\"%s\" palindrome: %s\n", pals[i], is_palindrome(pals[i]) ? "yes" : "no");

    strcpy(buf, "Hello, World!");
    rot13(buf);
    printf("rot13: %s", buf);
    rot13(buf);
    printf(" -> %s\n", buf);
    reverse(buf);
    printf("reversed: %s\n", buf);

    strcpy(buf, "alpha");
    strcat(buf, "-beta");
    strcat(buf, "-gamma");
    printf("concat: %s (%u)\n", buf, (unsigned)strlen(buf));
    const char *dash = strchr(buf, '-');
    printf("strchr '-': %s, strchr 'z': %s\n", dash ? dash : "(none)",
           strchr(buf, 'z') ? "found" : "(none)");
    printf("strcmp: %d %d %d, strncmp: %d %d\n", sign(strcmp("abc", "abd")),
           sign(strcmp("abc", "abc")), sign(strcmp("b", "abc")), sign(strncmp("abcdef", "abcxyz", 3)),
           sign(strncmp("abcdef", "abcxyz", 4)));
    printf("memcmp: %d %d\n", sign(memcmp("\x01\x02\xff", "\x01\x02\x01", 3)),
           sign(memcmp("same", "same", 4)));
    strncpy(buf2, "truncate me", 8);
    buf2[8] = '\0';
    printf("strncpy: [%s]\n", buf2);

    /* Split on commas into fields. */
    char csv[] = "red,green,,blue,cyan";
    char *fields[8];
    int nf = 0;
    char *start = csv;
    for (char *p = csv;; p++) {
        if (*p == ',' || *p == '\0') {
            bool end = *p == '\0';
            *p = '\0';
            fields[nf++] = start;
            start = p + 1;
            if (end)
                break;
        }
    }
    printf("%d fields:", nf);
    for (int i = 0; i < nf; i++)
        printf(" [%s]", fields[i]);
    printf("\n");

    int n = snprintf(buf, sizeof buf, "%s=%d;%s=%x", "answer", 42, "mask", 0xABCDu);
    printf("snprintf -> %d \"%s\"\n", n, buf);
    volatile size_t cap = 8; /* not a constant: keeps gcc's truncation warning quiet */
    n = snprintf(buf2, cap, "%d-%d-%d", 1000, 2000, 3000);
    printf("truncated snprintf -> %d \"%s\"\n", n, buf2);
    failures += n != 14 || strlen(buf2) != 7;

    memset(buf, 'x', 10);
    buf[10] = '\0';
    memcpy(buf + 2, "ABC", 3);
    memmove(buf + 4, buf + 2, 5);
    printf("mem*: %s\n", buf);

    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
