/* BMP scans, read here rather than by Leptonica. Leptonica 1.82's pixReadMemBmp refuses
 * every compressed BMP, which excludes the run-length (RLE8) palette files ImageMagick writes
 * and the BI_BITFIELDS 16- and 32-bit files with a BITMAPV4/V5 header that ImageMagick and
 * Windows write; it also swaps red and blue in 32-bit files, reads 16-bit ones as grey, and
 * refuses a file with any bytes after its pixels. The format is small enough to read
 * completely: Windows headers (12, 40, 52, 56, 108, 124 bytes), 1/2/4/8-bit palettes
 * (uncompressed, RLE8, RLE4), 16 and 32 bits (uncompressed or bit fields), 24 bits.
 * Embedded JPEG/PNG and OS/2 2.x files are refused by name.
 *
 * Every read is checked against the file first. The header is parsed without allocating, so
 * that the caller bounds the pixel count before pic_bmp_decode allocates the image. Alpha is
 * ignored, as it is for PNG scans: the 4th byte of a 32-bit pixel is often just 0. */
#include <stdint.h>
#include <string.h>

#include "seal/pic.h"

enum { BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3, BI_JPEG = 4, BI_PNG = 5,
       BI_ALPHABITFIELDS = 6 };

#define FILE_HEADER 14

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A colour mask: one run of set bits, within the pixel. Fills its shift and width. */
static int mask_ok(uint32_t m, int bpp, int *shift, int *bits)
{
    int s = 0, n = 0;

    if (m == 0 || (bpp < 32 && (m >> bpp) != 0))
        return 0;
    while (!(m >> s & 1))
        s++;
    while (s + n < 32 && (m >> (s + n) & 1))
        n++;
    if (s + n < 32 && (m >> (s + n)) != 0)
        return 0; /* not contiguous */
    *shift = s;
    *bits = n;
    return 1;
}

int pic_bmp_header(const unsigned char *d, size_t len, const char *name, pic_bmp *b, sk_err *e)
{
    uint32_t hsize, clrused = 0, offset, pal_at;
    int64_t w, h;

    memset(b, 0, sizeof(*b));
    if (len < FILE_HEADER + 4 || d[0] != 'B' || d[1] != 'M')
        return sk_err_set(e, SK_EINPUT, "%s: not a BMP image (header truncated)", name);
    offset = le32(d + 10);
    hsize = le32(d + 14);
    if (hsize != 12 && hsize != 40 && hsize != 52 && hsize != 56 && hsize != 108 &&
        hsize != 124) {
        if (hsize == 16 || hsize == 64)
            return sk_err_set(e, SK_EINPUT,
                              "%s: an OS/2 2.x BMP (%u-byte header) is not supported: save "
                              "the scan as PNG", name, (unsigned)hsize);
        return sk_err_set(e, SK_EINPUT,
                          "%s: BMP header size %u is not one of 12, 40, 52, 56, 108, 124 "
                          "(corrupt?)", name, (unsigned)hsize);
    }
    if (len - FILE_HEADER < hsize)
        return sk_err_set(e, SK_EINPUT, "%s: BMP header is truncated (%zu bytes, needs %u)",
                          name, len, (unsigned)(FILE_HEADER + hsize));
    if (hsize == 12) { /* BITMAPCOREHEADER: unsigned 16-bit sizes, 3-byte palette entries */
        w = le16(d + 18);
        h = le16(d + 20);
        b->bpp = (int)le16(d + 24);
        b->compression = BI_RGB;
        b->pal_entry = 3;
    } else {
        w = (int32_t)le32(d + 18);
        h = (int32_t)le32(d + 22);
        b->bpp = (int)le16(d + 28);
        b->compression = (int)le32(d + 30);
        clrused = le32(d + 46);
        b->pal_entry = 4;
    }
    if (h < 0) { /* rows stored top to bottom; int64_t: -INT32_MIN fits */
        b->top_down = 1;
        h = -h;
    }
    if (w <= 0 || h <= 0 || w > INT32_MAX || h > INT32_MAX)
        return sk_err_set(e, SK_EINPUT, "%s: BMP size %lld x %lld is invalid", name,
                          (long long)w, (long long)(b->top_down ? -h : h));
    b->width = (int)w;
    b->height = (int)h;

    switch (b->compression) {
    case BI_RGB:
        if (b->bpp != 1 && b->bpp != 2 && b->bpp != 4 && b->bpp != 8 && b->bpp != 16 &&
            b->bpp != 24 && b->bpp != 32)
            return sk_err_set(e, SK_EINPUT, "%s: a BMP with %d bits per pixel is not supported",
                              name, b->bpp);
        if (hsize == 12 && b->bpp != 1 && b->bpp != 4 && b->bpp != 8 && b->bpp != 24)
            return sk_err_set(e, SK_EINPUT, "%s: a BMP core header with %d bits per pixel is "
                              "not valid", name, b->bpp);
        b->mask[0] = b->bpp == 16 ? 0x7C00u : 0xFF0000u; /* 5-5-5, or 8-8-8 in 24/32 bits */
        b->mask[1] = b->bpp == 16 ? 0x03E0u : 0x00FF00u;
        b->mask[2] = b->bpp == 16 ? 0x001Fu : 0x0000FFu;
        break;
    case BI_RLE8:
    case BI_RLE4:
        if (b->bpp != (b->compression == BI_RLE8 ? 8 : 4))
            return sk_err_set(e, SK_EINPUT, "%s: BMP compression RLE%d with %d bits per pixel "
                              "is not valid", name, b->compression == BI_RLE8 ? 8 : 4, b->bpp);
        if (b->top_down)
            return sk_err_set(e, SK_EINPUT, "%s: a run-length BMP stored top-down is not valid",
                              name);
        break;
    case BI_BITFIELDS:
    case BI_ALPHABITFIELDS: {
        /* The masks are in the header from 52 bytes on, else right after the 40 bytes. */
        size_t at = FILE_HEADER + 40;

        if (b->bpp != 16 && b->bpp != 32)
            return sk_err_set(e, SK_EINPUT, "%s: a BMP with bit fields and %d bits per pixel is "
                              "not supported", name, b->bpp);
        if (len < at + 12)
            return sk_err_set(e, SK_EINPUT, "%s: BMP colour masks are truncated", name);
        for (int i = 0; i < 3; i++) {
            int s, n;

            b->mask[i] = le32(d + at + 4 * i);
            if (!mask_ok(b->mask[i], b->bpp, &s, &n))
                return sk_err_set(e, SK_EINPUT, "%s: BMP %s mask 0x%08x is not one run of bits "
                                  "inside the pixel", name, i == 0 ? "red" : i == 1 ? "green" :
                                  "blue", (unsigned)b->mask[i]);
        }
        if ((b->mask[0] & b->mask[1]) || (b->mask[0] & b->mask[2]) || (b->mask[1] & b->mask[2]))
            return sk_err_set(e, SK_EINPUT, "%s: BMP colour masks overlap", name);
        break;
    }
    case BI_JPEG:
    case BI_PNG:
        return sk_err_set(e, SK_EINPUT, "%s: a BMP holding a %s (compression %d) is not "
                          "supported: save the scan as %s itself", name,
                          b->compression == BI_JPEG ? "JPEG" : "PNG", b->compression,
                          b->compression == BI_JPEG ? "JPEG" : "PNG");
    default:
        return sk_err_set(e, SK_EINPUT, "%s: BMP compression %u is not supported: save the scan "
                          "as PNG", name, (unsigned)b->compression);
    }

    /* The palette follows the headers (and, in a 40-byte header, any masks). */
    pal_at = FILE_HEADER + hsize;
    if (b->bpp <= 8) {
        uint32_t want = clrused != 0 && clrused < (1u << b->bpp) ? clrused : 1u << b->bpp;
        size_t room = offset > pal_at && offset <= len ? (offset - pal_at) / b->pal_entry : 0;

        /* Trust the pixel offset over the count: some writers leave the count 0 (all) and
         * store fewer entries. Indices past the palette read as black. */
        b->ncolors = (int)(want < room ? want : room);
        if (b->ncolors == 0)
            return sk_err_set(e, SK_EINPUT, "%s: the %d-bit BMP has no colour palette", name,
                              b->bpp);
        b->pal_offset = pal_at;
    } else if (hsize == 40 && b->compression != BI_RGB) {
        pal_at += b->compression == BI_ALPHABITFIELDS ? 16 : 12;
    }
    if (offset < pal_at || offset >= len)
        return sk_err_set(e, SK_EINPUT, "%s: BMP pixel data offset %u is outside the file "
                          "(%zu bytes)", name, (unsigned)offset, len);
    b->offset = offset;
    return SK_OK;
}

/* Scale a channel of `bits` bits to 0-255. */
static unsigned channel(uint32_t v, uint32_t mask, int shift, int bits)
{
    uint32_t c = (v & mask) >> shift;

    if (bits >= 8)
        return c >> (bits - 8);
    return (c * 255u + ((1u << bits) - 1) / 2) / ((1u << bits) - 1);
}

static l_uint32 rgb_word(unsigned r, unsigned g, unsigned bl)
{
    return (l_uint32)r << L_RED_SHIFT | (l_uint32)g << L_GREEN_SHIFT |
           (l_uint32)bl << L_BLUE_SHIFT | (l_uint32)0xff << L_ALPHA_SHIFT;
}

/* The palette as RGB words; 256 entries, black past the stored ones. */
static void load_palette(const pic_bmp *b, const unsigned char *d, l_uint32 pal[256])
{
    for (int i = 0; i < 256; i++) {
        const unsigned char *q;

        if (i >= b->ncolors) {
            pal[i] = rgb_word(0, 0, 0);
            continue;
        }
        q = d + b->pal_offset + (size_t)i * b->pal_entry; /* B, G, R(, 0) */
        pal[i] = rgb_word(q[2], q[1], q[0]);
    }
}

static size_t row_bytes(const pic_bmp *b)
{
    return ((size_t)b->width * (size_t)b->bpp + 31) / 32 * 4;
}

/* Uncompressed rows: padded to 4 bytes, bottom row first unless top-down; pic_bmp_decode has
 * checked that all of them are in the file. */
static void decode_rows(const pic_bmp *b, const unsigned char *d, const l_uint32 pal[256],
                        PIX *pix)
{
    size_t stride = row_bytes(b);
    int w = b->width, h = b->height, wpl = pixGetWpl(pix), sh[3] = {0}, bits[3] = {0};
    l_uint32 *data = pixGetData(pix);

    for (int i = 0; i < 3 && b->bpp > 8; i++)
        mask_ok(b->mask[i], b->bpp, &sh[i], &bits[i]); /* checked by pic_bmp_header */
    for (int r = 0; r < h; r++) {
        const unsigned char *row = d + b->offset + stride * (size_t)r;
        l_uint32 *line = data + (size_t)wpl * (size_t)(b->top_down ? r : h - 1 - r);

        if (b->bpp <= 8) {
            int per = 8 / b->bpp, idxmask = (1 << b->bpp) - 1;

            for (int x = 0; x < w; x++) {
                int k = x % per;
                line[x] = pal[row[x / per] >> (8 - b->bpp * (k + 1)) & idxmask];
            }
        } else if (b->bpp == 24) {
            for (int x = 0; x < w; x++)
                line[x] = rgb_word(row[3 * x + 2], row[3 * x + 1], row[3 * x]);
        } else {
            int bytes = b->bpp / 8;

            for (int x = 0; x < w; x++) {
                uint32_t v = bytes == 2 ? le16(row + 2 * x) : le32(row + 4 * x);
                line[x] = rgb_word(channel(v, b->mask[0], sh[0], bits[0]),
                                   channel(v, b->mask[1], sh[1], bits[1]),
                                   channel(v, b->mask[2], sh[2], bits[2]));
            }
        }
    }
}

/* RLE8 / RLE4: pairs (count, index) for runs; (0, 0) end of row, (0, 1) end of image,
 * (0, 2, dx, dy) a jump, (0, n >= 3) n literal indices padded to 2 bytes. Rows run bottom to
 * top. Pixels a jump skips keep palette entry 0. x and the row only move forward and every
 * write is clipped to the image, so the work is bounded by the file's bytes plus its pixels. */
static int decode_rle(const pic_bmp *b, const unsigned char *d, size_t len, const char *name,
                      const l_uint32 pal[256], PIX *pix, sk_err *e)
{
    int w = b->width, h = b->height, wpl = pixGetWpl(pix), four = b->compression == BI_RLE4;
    int x = 0, r = 0, ended = 0;
    size_t p = b->offset;
    l_uint32 *data = pixGetData(pix);

    pixSetAllArbitrary(pix, pal[0]);
    while (!ended && r < h) {
        l_uint32 *line = data + (size_t)wpl * (size_t)(h - 1 - r);
        unsigned n, c;

        if (len - p < 2)
            break;
        n = d[p];
        c = d[p + 1];
        p += 2;
        if (n > 0) { /* a run of n pixels: one index, or two alternating in RLE4 */
            for (unsigned k = 0; k < n && x < w; k++, x++)
                line[x] = pal[four ? (k & 1 ? c & 15 : c >> 4) : c];
            /* what is left of the run falls off the row */
        } else if (c == 0) {
            x = 0;
            r++;
        } else if (c == 1) {
            ended = 1;
        } else if (c == 2) {
            if (len - p < 2)
                break;
            x = x + d[p] > w ? w : x + d[p];
            r += d[p + 1];
            p += 2;
        } else { /* c literal indices */
            size_t bytes = four ? (c + 1) / 2 : c;

            bytes += bytes & 1;
            if (len - p < bytes)
                break;
            for (unsigned k = 0; k < c && x < w; k++, x++)
                line[x] = pal[four ? (k & 1 ? d[p + k / 2] & 15 : d[p + k / 2] >> 4) : d[p + k]];
            p += bytes;
        }
    }
    if (!ended && r < h)
        return sk_err_set(e, SK_EINPUT, "%s: BMP run-length data is truncated (it ends at row "
                          "%d of %d)", name, r + 1, h);
    return SK_OK;
}

int pic_bmp_decode(const pic_bmp *b, const unsigned char *d, size_t len, const char *name,
                   PIX **out, sk_err *e)
{
    PIX *pix = NULL;
    l_uint32 pal[256];
    int ret;

    *out = NULL;
    /* Uncompressed: every row in the file, before allocating. h <= the pixel bound here. */
    if (b->compression != BI_RLE8 && b->compression != BI_RLE4 &&
        row_bytes(b) > (len - b->offset) / (size_t)b->height)
        return sk_err_set(e, SK_EINPUT, "%s: BMP is truncated: its pixels need %zu bytes, the "
                          "file has %zu after the headers", name, row_bytes(b) * (size_t)b->height,
                          len - b->offset);
    if (b->bpp <= 8)
        load_palette(b, d, pal);
    if ((pix = pixCreate(b->width, b->height, 32)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory for a %d x %d image", name,
                          b->width, b->height);
    if (b->compression == BI_RLE8 || b->compression == BI_RLE4) {
        ret = decode_rle(b, d, len, name, pal, pix, e);
    } else {
        decode_rows(b, d, pal, pix);
        ret = SK_OK;
    }
    if (ret == SK_OK) {
        *out = pix;
        pix = NULL;
    }
    pixDestroy(&pix);
    return ret;
}
