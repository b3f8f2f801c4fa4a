/* Heap-allocated data structures: a binary search tree and a linked list built with
 * malloc (the runtime's bump allocator; the C library's on the host). */
#include "oxcore.h"

typedef struct Tree {
    int32_t key;
    uint32_t count;
    struct Tree *left, *right;
} Tree;

static Tree *insert(Tree *t, int32_t key, bool *oom)
{
    if (!t) {
        Tree *n = malloc(sizeof *n);
        if (!n) {
            *oom = true;
            return NULL;
        }
        n->key = key;
        n->count = 1;
        n->left = n->right = NULL;
        return n;
    }
    if (key < t->key)
        t->left = insert(t->left, key, oom);
    else if (key > t->key)
        t->right = insert(t->right, key, oom);
    else
        t->count++;
    return t;
}

static int height(const Tree *t)
{
    if (!t)
        return 0;
    int l = height(t->left), r = height(t->right);
    return 1 + (l > r ? l : r);
}

static uint32_t nodes(const Tree *t) { return t ? 1 + nodes(t->left) + nodes(t->right) : 0; }

static int printed;

static void inorder(const Tree *t, int32_t *prev, bool *sorted, uint32_t *h)
{
    if (!t)
        return;
    inorder(t->left, prev, sorted, h);
    if (t->key <= *prev)
        *sorted = false;
    *prev = t->key;
    *h = *h * 1000003u ^ (uint32_t)t->key ^ (t->count << 24);
    if (printed < 12) {
        printf(" %d%s", t->key, t->count > 1 ? "*" : "");
        printed++;
    }
    inorder(t->right, prev, sorted, h);
}

static const Tree *find(const Tree *t, int32_t key)
{
    while (t && t->key != key)
        t = key < t->key ? t->left : t->right;
    return t;
}

typedef struct Item {
    uint32_t value;
    struct Item *next;
} Item;

int main(void)
{
    int failures = 0;
    bool oom = false;
    Tree *root = NULL;
    uint32_t x = 7;
    for (int i = 0; i < 400; i++) {
        x = x * 1103515245u + 12345u;
        root = insert(root, (int32_t)((x >> 8) % 1000u) - 500, &oom);
    }
    if (oom) {
        puts("out of memory");
        return 2;
    }
    int32_t prev = INT32_MIN;
    bool sorted = true;
    uint32_t h = 0;
    printf("inorder:");
    inorder(root, &prev, &sorted, &h);
    printf(" ...\n");
    printf("%u distinct keys, height %d, %s, hash %08x\n", nodes(root), height(root),
           sorted ? "sorted" : "NOT SORTED", h);
    failures += !sorted;

    int hits = 0;
    for (int32_t k = -500; k < 500; k += 37)
        hits += find(root, k) != NULL;
    printf("lookups: %d of 28 present\n", hits);

    /* A linked list built by prepending, then reversed in place. */
    Item *head = NULL;
    for (uint32_t i = 1; i <= 50; i++) {
        Item *it = calloc(1, sizeof *it);
        if (!it)
            return 2;
        it->value = i * i;
        it->next = head;
        head = it;
    }
    Item *rev = NULL;
    while (head) {
        Item *next = head->next;
        head->next = rev;
        rev = head;
        head = next;
    }
    uint32_t first = rev->value, sum = 0, len = 0;
    for (Item *it = rev; it; it = it->next) {
        sum += it->value;
        len++;
    }
    printf("list: %u items, first %u, sum %u\n", len, first, sum);
    failures += len != 50 || first != 1 || sum != 42925;

    /* Buffers from malloc are usable and distinct. */
    char *a = malloc(100), *b = malloc(100);
    if (!a || !b)
        return 2;
    memset(a, 'a', 99);
    a[99] = '\0';
    memset(b, 'b', 99);
    b[99] = '\0';
    printf("buffers: %u %u %s\n", (unsigned)strlen(a), (unsigned)strlen(b),
           a[50] == 'a' && b[50] == 'b' ? "distinct" : "OVERLAP");
    free(a);
    free(b);

    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
