/* Structs: passing and returning by value (small ones in registers, large ones through
 * memory and memcpy), arrays of structs, nested structs, struct assignment, unions. */
#include "oxcore.h"

typedef struct {
    int32_t x, y;
} Vec2;

typedef struct {
    Vec2 min, max;
} Rect;

typedef struct {
    char tag[12];
    uint8_t kind;
    uint16_t flags;
    int32_t values[10];
    Rect bounds;
    int64_t total;
} Record; /* large: passed and returned through memory */

static Vec2 vadd(Vec2 a, Vec2 b) { return (Vec2){a.x + b.x, a.y + b.y}; }
static Vec2 vscale(Vec2 a, int32_t k) { return (Vec2){a.x * k, a.y * k}; }
static int32_t vdot(Vec2 a, Vec2 b) { return a.x * b.x + a.y * b.y; }
static int32_t vcross(Vec2 a, Vec2 b) { return a.x * b.y - a.y * b.x; }

static Rect rect_union(Rect a, Rect b)
{
    Rect r;
    r.min.x = a.min.x < b.min.x ? a.min.x : b.min.x;
    r.min.y = a.min.y < b.min.y ? a.min.y : b.min.y;
    r.max.x = a.max.x > b.max.x ? a.max.x : b.max.x;
    r.max.y = a.max.y > b.max.y ? a.max.y : b.max.y;
    return r;
}

static int32_t rect_area(Rect r) { return (r.max.x - r.min.x) * (r.max.y - r.min.y); }

static Record make_record(const char *tag, uint8_t kind, int32_t seed)
{
    Record r;
    memset(&r, 0, sizeof r);
    strncpy(r.tag, tag, sizeof r.tag - 1);
    r.kind = kind;
    r.flags = (uint16_t)(0x8000u | kind);
    r.total = 0;
    for (int i = 0; i < 10; i++) {
        r.values[i] = seed * (i + 1) - i * i;
        r.total += r.values[i];
    }
    r.bounds = (Rect){{-seed, -seed}, {seed, 2 * seed}};
    return r;
}

/* Takes a copy: modifying it must not change the caller's record. */
static int64_t record_score(Record r)
{
    r.values[0] = 1000000;
    int64_t s = r.total * r.kind + rect_area(r.bounds);
    for (int i = 0; i < 10; i++)
        s += (int64_t)r.values[i] * (i + 1);
    return s;
}

static void print_record(const Record *r)
{
    printf("%-8s kind %u flags %04x total %lld values %d..%d bounds (%d,%d)-(%d,%d)\n", r->tag,
           r->kind, r->flags, (long long)r->total, r->values[0], r->values[9], r->bounds.min.x,
           r->bounds.min.y, r->bounds.max.x, r->bounds.max.y);
}

typedef union {
    uint32_t word;
    uint16_t half[2];
    uint8_t byte[4];
} Word; /* both OxCore and the native hosts are little-endian */

typedef struct Node {
    int32_t value;
    struct Node *next;
} Node;

typedef struct {
    uint8_t r, g, b;
} Rgb;

int main(void)
{
    int failures = 0;
    Vec2 a = {3, 4}, b = {-2, 7};
    Vec2 c = vadd(a, vscale(b, 3));
    printf("vadd = (%d,%d) dot = %d cross = %d\n", c.x, c.y, vdot(a, b), vcross(a, b));

    Vec2 path[8];
    path[0] = (Vec2){0, 0};
    for (int i = 1; i < 8; i++)
        path[i] = vadd(path[i - 1], (Vec2){i, (i % 3) - 1});
    int32_t twice_area = 0;
    for (int i = 0; i < 8; i++)
        twice_area += vcross(path[i], path[(i + 1) % 8]);
    printf("polygon end (%d,%d) twice area %d\n", path[7].x, path[7].y, twice_area);

    Rect r1 = {{0, 0}, {4, 3}}, r2 = {{-2, 1}, {3, 8}};
    Rect u = rect_union(r1, r2);
    printf("union (%d,%d)-(%d,%d) area %d\n", u.min.x, u.min.y, u.max.x, u.max.y, rect_area(u));
    failures += rect_area(u) != 6 * 8;

    Record recs[4];
    static const char *const tags[] = {"alpha", "beta", "gamma", "delta-long-tag"};
    for (int i = 0; i < 4; i++)
        recs[i] = make_record(tags[i], (uint8_t)(i + 1), 10 * (i + 1));
    for (int i = 0; i < 4; i++)
        print_record(&recs[i]);

    Record copy = recs[2]; /* struct assignment */
    copy.values[5] = -1;
    int64_t score = record_score(recs[2]);
    printf("score(gamma) = %lld, copy differs: %s, original values[0] still %d\n",
           (long long)score, memcmp(&copy, &recs[2], sizeof copy) != 0 ? "yes" : "no",
           recs[2].values[0]);
    failures += recs[2].values[0] != 30;

    /* Swap two array elements by value. */
    Record tmp = recs[0];
    recs[0] = recs[3];
    recs[3] = tmp;
    printf("after swap: %s ... %s\n", recs[0].tag, recs[3].tag);

    Word w;
    w.word = 0x11223344u;
    printf("union: bytes %02x %02x %02x %02x halves %04x %04x\n", w.byte[0], w.byte[1],
           w.byte[2], w.byte[3], w.half[0], w.half[1]);
    w.byte[3] = 0xAB;
    printf("union word after byte write: %08x\n", w.word);
    failures += w.word != 0xAB223344u;

    /* A linked list through an array of nodes. */
    Node nodes[6];
    for (int i = 0; i < 6; i++) {
        nodes[i].value = (i * 7) % 6;
        nodes[i].next = i < 5 ? &nodes[i + 1] : NULL;
    }
    int32_t list_sum = 0, list_len = 0;
    for (Node *n = &nodes[0]; n; n = n->next) {
        list_sum += n->value;
        list_len++;
    }
    printf("list: %d nodes, sum %d\n", list_len, list_sum);

    Rgb palette[5] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {128, 128, 128}, {1, 2, 3}};
    uint32_t luma = 0;
    for (int i = 0; i < 5; i++)
        luma += (uint32_t)(palette[i].r * 299 + palette[i].g * 587 + palette[i].b * 114);
    printf("sizeof(Rgb) = %u, sizeof(Vec2) = %u, sizeof(Rect) = %u, luma sum = %u\n",
           (unsigned)sizeof(Rgb), (unsigned)sizeof(Vec2), (unsigned)sizeof(Rect), luma);

    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
