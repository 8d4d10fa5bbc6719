/* The picture check of seal verification: does the data look like the type it claims?
 * Only the magic bytes, and for PNG the IHDR chunk (its CRC included); decoding the image is
 * the picture engineer's business (seal/pic_*.c), not the seal reader's. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "seal/ses.h"

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* PNG's CRC-32 (ISO 3309), bitwise: it runs over 17 bytes once per verification. */
static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static const char *sniff(const unsigned char *d, size_t n)
{
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "PNG";
    if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
        return "JPG";
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return "GIF";
    if (n >= 2 && d[0] == 'B' && d[1] == 'M')
        return "BMP";
    return NULL;
}

static int png_ihdr(const unsigned char *d, size_t n, long *w, long *h, char *detail,
                    size_t dlen)
{
    const unsigned char *c = d + 8;
    uint32_t width, height;
    unsigned depth, color;

    if (n < 8 + 8 + 13 + 4 || be32(c) != 13 || memcmp(c + 4, "IHDR", 4) != 0) {
        snprintf(detail, dlen, "PNG without an IHDR chunk first");
        return SK_EFAIL;
    }
    if (crc32_png(c + 4, 17) != be32(c + 21)) {
        snprintf(detail, dlen, "PNG IHDR CRC mismatch");
        return SK_EFAIL;
    }
    width = be32(c + 8);
    height = be32(c + 12);
    depth = c[16];
    color = c[17];
    if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu) {
        snprintf(detail, dlen, "PNG IHDR size %ux%u is invalid", width, height);
        return SK_EFAIL;
    }
    /* The depth/colour combinations PNG allows (table 11.1 of the PNG specification). */
    int ok = (color == 0 && (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16)) ||
             (color == 3 && (depth == 1 || depth == 2 || depth == 4 || depth == 8)) ||
             ((color == 2 || color == 4 || color == 6) && (depth == 8 || depth == 16));
    if (!ok || c[18] != 0 || c[19] != 0 || c[20] > 1) {
        snprintf(detail, dlen, "PNG IHDR has invalid depth %u/colour %u/method fields", depth,
                 color);
        return SK_EFAIL;
    }
    *w = (long)width;
    *h = (long)height;
    snprintf(detail, dlen, "PNG %ux%u px, depth %u, colour type %u", width, height, depth, color);
    return SK_OK;
}

int ses_picture_check(const char *type, const unsigned char *data, size_t len, long *px_w,
                      long *px_h, char *detail, size_t detail_len)
{
    const char *t = type;
    const char *got = sniff(data, len);

    *px_w = *px_h = 0;
    if (len == 0) {
        snprintf(detail, detail_len, "picture.data is empty");
        return SK_EFAIL;
    }
    if (strcasecmp(t, "JPEG") == 0)
        t = "JPG";
    if (strcasecmp(t, "OFD") == 0 || strcasecmp(t, "SVG") == 0) {
        /* Vector pictures are accepted as they are; their content is not interpreted. */
        snprintf(detail, detail_len, "%s picture, %zu bytes, not decoded", type, len);
        return SK_OK;
    }
    if (strcasecmp(t, "PNG") != 0 && strcasecmp(t, "JPG") != 0 && strcasecmp(t, "GIF") != 0 &&
        strcasecmp(t, "BMP") != 0) {
        snprintf(detail, detail_len, "picture.type '%s' is not PNG, JPG, GIF, BMP, SVG or OFD",
                 type);
        return SK_EFAIL;
    }
    if (got == NULL || strcasecmp(t, got) != 0) {
        snprintf(detail, detail_len, "picture.type is '%s' but the data is %s", type,
                 got != NULL ? got : "not a known image format");
        return SK_EFAIL;
    }
    if (strcmp(got, "PNG") == 0)
        return png_ihdr(data, len, px_w, px_h, detail, detail_len);
    snprintf(detail, detail_len, "%s picture, %zu bytes (magic bytes checked)", got, len);
    return SK_OK;
}
