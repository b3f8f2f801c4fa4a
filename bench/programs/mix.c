/* Interpreter benchmark workload: a CoreMark-like mix of list processing, matrix
 * arithmetic, a state machine and CRC, sized to run a few million instructions.
 * Self-contained (no runtime calls); main's return value is a checksum so a wrong
 * result shows up as a wrong exit code. */
#include <stdint.h>

#define LIST_LEN 64
#define MAT_N 12
#define ROUNDS 60

typedef struct node { struct node *next; int32_t key; int32_t value; } node_t;

static node_t nodes[LIST_LEN];
static int16_t mat_a[MAT_N * MAT_N], mat_b[MAT_N * MAT_N];
static int32_t mat_c[MAT_N * MAT_N];
static uint8_t text[256];

static uint32_t lcg(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

static node_t *list_build(uint32_t *seed) {
    for (int i = 0; i < LIST_LEN; i++) {
        nodes[i].key = (int32_t)(lcg(seed) & 0x3ff);
        nodes[i].value = i;
        nodes[i].next = i + 1 < LIST_LEN ? &nodes[i + 1] : 0;
    }
    return &nodes[0];
}

static node_t *list_sort(node_t *head) {  /* insertion sort by key */
    node_t *sorted = 0;
    while (head) {
        node_t *next = head->next, **slot = &sorted;
        while (*slot && (*slot)->key < head->key) slot = &(*slot)->next;
        head->next = *slot;
        *slot = head;
        head = next;
    }
    return sorted;
}

static uint32_t list_checksum(const node_t *n) {
    uint32_t sum = 0;
    for (; n; n = n->next) sum = sum * 31u + (uint32_t)n->key + (uint32_t)n->value;
    return sum;
}

static uint32_t matrix(uint32_t *seed) {
    for (int i = 0; i < MAT_N * MAT_N; i++) {
        mat_a[i] = (int16_t)(lcg(seed) & 0xff) - 128;
        mat_b[i] = (int16_t)(lcg(seed) & 0xff) - 128;
    }
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < MAT_N; k++) acc += mat_a[i * MAT_N + k] * mat_b[k * MAT_N + j];
            mat_c[i * MAT_N + j] = acc;
        }
    uint32_t sum = 0;
    for (int i = 0; i < MAT_N * MAT_N; i++) sum ^= (uint32_t)mat_c[i] + (uint32_t)i;
    return sum;
}

enum state { START, INT, FRAC, EXP, INVALID };

static uint32_t state_machine(uint32_t *seed) {
    static const char alphabet[] = "0123456789.e+-,x";
    for (unsigned i = 0; i < sizeof text; i++) text[i] = (uint8_t)alphabet[lcg(seed) & 15];
    uint32_t counts[5] = {0};
    enum state s = START;
    for (unsigned i = 0; i < sizeof text; i++) {
        uint8_t c = text[i];
        switch (s) {
        case START: s = (c >= '0' && c <= '9') ? INT : (c == '.' ? FRAC : INVALID); break;
        case INT: s = (c >= '0' && c <= '9') ? INT : (c == '.' ? FRAC : c == 'e' ? EXP : START); break;
        case FRAC: s = (c >= '0' && c <= '9') ? FRAC : (c == 'e' ? EXP : START); break;
        case EXP: s = (c >= '0' && c <= '9' || c == '+' || c == '-') ? EXP : START; break;
        default: s = (c == ',') ? START : INVALID; break;
        }
        counts[s]++;
    }
    return counts[0] + 3 * counts[1] + 5 * counts[2] + 7 * counts[3] + 11 * counts[4];
}

static uint32_t crc32(const uint8_t *data, unsigned len, uint32_t crc) {
    crc = ~crc;
    for (unsigned i = 0; i < len; i++) {
        crc ^= data[i];
        for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1u));
    }
    return ~crc;
}

int main(void) {
    uint32_t seed = 12345, check = 0;
    for (int round = 0; round < ROUNDS; round++) {
        check += list_checksum(list_sort(list_build(&seed)));
        check ^= matrix(&seed);
        check += state_machine(&seed);
        check = crc32(text, sizeof text, check) + (uint32_t)round / 3u + check % 7u;
    }
    return (int)(check & 0x7f);
}
