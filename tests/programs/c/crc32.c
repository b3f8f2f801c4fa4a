/* Checksums: CRC-32 (bitwise and table-driven), CRC-16/CCITT-FALSE, Adler-32, Fletcher-16,
 * checked against the standard check values. */
#include "oxcore.h"

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

static uint16_t crc16_ccitt(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xFFFF;
    while (n--) {
        crc ^= (uint16_t)(*p++ << 8);
        for (int k = 0; k < 8; k++)
            crc = crc & 0x8000 ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n--) {
        a = (a + *p++) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

static uint16_t fletcher16(const uint8_t *p, size_t n)
{
    uint16_t s1 = 0, s2 = 0;
    while (n--) {
        s1 = (uint16_t)((s1 + *p++) % 255);
        s2 = (uint16_t)((s2 + s1) % 255);
    }
    return (uint16_t)((s2 << 8) | s1);
}

static uint8_t buf[2048];

int main(void)
{
    const uint8_t *check = (const uint8_t *)"123456789";
    int failures = 0;

    uint32_t c1 = crc32_bitwise(check, 9);
    crc32_init();
    uint32_t c2 = crc32_update(0, check, 9);
    printf("crc32(\"123456789\") = %08x (bitwise) %08x (table)\n", c1, c2);
    failures += c1 != 0xCBF43926u || c2 != 0xCBF43926u;

    uint16_t c16 = crc16_ccitt(check, 9);
    printf("crc16-ccitt = %04x\n", c16);
    failures += c16 != 0x29B1;

    uint32_t ad = adler32((const uint8_t *)"Wikipedia", 9);
    printf("adler32(\"Wikipedia\") = %08x\n", ad);
    failures += ad != 0x11E60398u;

    printf("fletcher16(\"abcde\") = %04x\n", fletcher16((const uint8_t *)"abcde", 5));
    failures += fletcher16((const uint8_t *)"abcde", 5) != 0xC8F0;

    uint32_t x = 1;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = (uint8_t)(x >> 24);
    }
    uint32_t whole = crc32_update(0, buf, sizeof buf);
    uint32_t pieces = 0;
    for (size_t off = 0; off < sizeof buf; off += 300) {
        size_t len = sizeof buf - off < 300 ? sizeof buf - off : 300;
        pieces = crc32_update(pieces, buf + off, len);
    }
    uint32_t slow = crc32_bitwise(buf, 256);
    printf("crc32(buf) = %08x, in pieces %08x, first 256 bytes %08x/%08x\n", whole, pieces,
           slow, crc32_update(0, buf, 256));
    failures += whole != pieces || slow != crc32_update(0, buf, 256);
    printf("adler32(buf) = %08x\n", adler32(buf, sizeof buf));

    /* A single flipped bit changes the CRC; flipping it back restores it. */
    buf[1000] ^= 0x10;
    uint32_t flipped = crc32_update(0, buf, sizeof buf);
    buf[1000] ^= 0x10;
    printf("bit flip: %08x -> %08x -> %08x\n", whole, flipped, crc32_update(0, buf, sizeof buf));
    failures += flipped == whole;

    printf("%s\n", failures ? "FAIL" : "ok");
    return failures;
}
