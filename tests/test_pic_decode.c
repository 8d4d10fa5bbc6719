/* seal/pic_bmp.c and pic_jpeg.c on small files built here byte by byte: every BMP variant
 * the reader takes, the ones it refuses by name, truncation at each place, and the JPEG scan
 * count against markers hidden in segments, stuffed bytes, restarts and fill bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seal/pic.h"
#include "tests/test.h"

typedef struct bmp_spec {
    int hsize, width, height, bpp, compression, npal;
    uint32_t masks[3];        /* written for bit fields: in the header or after 40 bytes */
    const unsigned char *pal; /* npal entries, B G R 0 (B G R for the 12-byte header) */
    const unsigned char *pixels;
    size_t npixels;
} bmp_spec;

static void le(unsigned char *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A BMP file from sp into out (4096 bytes); its length. */
static size_t make_bmp(const bmp_spec *sp, unsigned char *out)
{
    int entry = sp->hsize == 12 ? 3 : 4;
    size_t at = 14 + (size_t)sp->hsize, n;

    memset(out, 0, 4096);
    out[0] = 'B';
    out[1] = 'M';
    le(out + 14, (uint32_t)sp->hsize, 4);
    if (sp->hsize == 12) {
        le(out + 18, (uint32_t)sp->width, 2);
        le(out + 20, (uint32_t)sp->height, 2);
        le(out + 22, 1, 2);
        le(out + 24, (uint32_t)sp->bpp, 2);
    } else {
        le(out + 18, (uint32_t)sp->width, 4);
        le(out + 22, (uint32_t)sp->height, 4);
        le(out + 26, 1, 2);
        le(out + 28, (uint32_t)sp->bpp, 2);
        le(out + 30, (uint32_t)sp->compression, 4);
        le(out + 46, (uint32_t)sp->npal, 4);
        if (sp->compression == 3) {
            for (int i = 0; i < 3; i++)
                le(out + 54 + 4 * i, sp->masks[i], 4);
            if (sp->hsize == 40)
                at += 12;
        }
    }
    if (sp->npal > 0) {
        memcpy(out + at, sp->pal, (size_t)sp->npal * entry);
        at += (size_t)sp->npal * entry;
    }
    le(out + 10, (uint32_t)at, 4);
    memcpy(out + at, sp->pixels, sp->npixels);
    n = at + sp->npixels;
    le(out + 2, (uint32_t)n, 4);
    return n;
}

/* Decode; SK_OK and the pixels, or the status with e->msg. */
static int decode(const unsigned char *d, size_t len, PIX **pix, sk_err *e)
{
    pic_bmp b;
    int ret;

    *pix = NULL;
    sk_err_clear(e);
    if ((ret = pic_bmp_header(d, len, "t.bmp", &b, e)) != SK_OK)
        return ret;
    return pic_bmp_decode(&b, d, len, "t.bmp", pix, e);
}

static uint32_t rgb_at(PIX *pix, int x, int y)
{
    l_int32 r = 0, g = 0, b = 0;

    pixGetRGBPixel(pix, x, y, &r, &g, &b);
    return (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b;
}

#define CHECK_RGB(pix, x, y, want)                                                           \
    CHECK_MSG(rgb_at(pix, x, y) == (want), "(%d,%d) is %06x, want %06x", x, y,              \
              (unsigned)rgb_at(pix, x, y), (unsigned)(want))

/* Decodes to w x h; checks and returns the pix (NULL on failure). */
static PIX *decoded(const bmp_spec *sp, unsigned char *file, int w, int h)
{
    size_t len = make_bmp(sp, file);
    PIX *pix = NULL;
    sk_err e;

    CHECK_MSG(decode(file, len, &pix, &e) == SK_OK, "%s", e.msg);
    if (pix != NULL)
        CHECK(pixGetWidth(pix) == w && pixGetHeight(pix) == h && pixGetDepth(pix) == 32);
    return pix;
}

static void refused(const unsigned char *d, size_t len, const char *why)
{
    PIX *pix = NULL;
    sk_err e;

    CHECK(decode(d, len, &pix, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, why);
    CHECK(pix == NULL);
    pixDestroy(&pix);
}

static const unsigned char pal4[] = {0xff, 0xff, 0xff, 0, 0x12, 0x00, 0xe6, 0,
                                     0xff, 0x00, 0x00, 0, 0x00, 0x00, 0x00, 0};
enum { WHITE = 0xffffff, RED = 0xe60012, BLUE = 0x0000ff, BLACK = 0 };

static void test_truecolour(void)
{
    unsigned char f[4096];
    /* 2 x 2, bottom row first: blue white / red black; rows padded to 8 bytes. */
    static const unsigned char px24[] = {0xff, 0, 0, 0xff, 0xff, 0xff, 0, 0,
                                         0x12, 0, 0xe6, 0, 0, 0, 0, 0};
    /* The same 32-bit with red in the top byte (masks R G B X, not Windows' X R G B): the
     * bytes in the file are X B G R. */
    static const unsigned char px32[] = {0, 0xff, 0, 0, 0, 0xff, 0xff, 0xff,
                                         0, 0x12, 0, 0xe6, 0, 0, 0, 0};
    /* 16-bit 5-6-5: white, pure red; then 5-5-5 (no masks): pure green, 0x10 / 31 blue. */
    static const unsigned char px565[] = {0xff, 0xff, 0x00, 0xf8};
    static const unsigned char px555[] = {0xe0, 0x03, 0x10, 0x00};
    bmp_spec sp = {.hsize = 40, .width = 2, .height = 2, .bpp = 24, .pixels = px24,
                   .npixels = sizeof(px24)};
    PIX *pix;

    if ((pix = decoded(&sp, f, 2, 2)) != NULL) {
        CHECK_RGB(pix, 0, 0, RED);
        CHECK_RGB(pix, 1, 0, BLACK);
        CHECK_RGB(pix, 0, 1, BLUE);
        CHECK_RGB(pix, 1, 1, WHITE);
        pixDestroy(&pix);
    }
    sp.height = -2; /* top-down: the first row in the file is the top one */
    if ((pix = decoded(&sp, f, 2, 2)) != NULL) {
        CHECK_RGB(pix, 0, 0, BLUE);
        CHECK_RGB(pix, 0, 1, RED);
        pixDestroy(&pix);
    }
    sp.hsize = 12; /* OS/2 1.x / BITMAPCOREHEADER */
    sp.height = 2;
    if ((pix = decoded(&sp, f, 2, 2)) != NULL) {
        CHECK_RGB(pix, 0, 0, RED);
        pixDestroy(&pix);
    }

    sp = (bmp_spec){.hsize = 124, .width = 2, .height = 2, .bpp = 32, .compression = 3,
                    .masks = {0xff000000u, 0x00ff0000u, 0x0000ff00u}, .pixels = px32,
                    .npixels = sizeof(px32)};
    if ((pix = decoded(&sp, f, 2, 2)) != NULL) {
        CHECK_RGB(pix, 0, 0, RED);
        CHECK_RGB(pix, 0, 1, BLUE);
        CHECK_RGB(pix, 1, 1, WHITE);
        pixDestroy(&pix);
    }

    sp = (bmp_spec){.hsize = 40, .width = 2, .height = 1, .bpp = 16, .compression = 3,
                    .masks = {0xf800, 0x07e0, 0x001f}, .pixels = px565, .npixels = 4};
    if ((pix = decoded(&sp, f, 2, 1)) != NULL) {
        CHECK_RGB(pix, 0, 0, WHITE);
        CHECK_RGB(pix, 1, 0, 0xff0000);
        pixDestroy(&pix);
    }
    sp = (bmp_spec){.hsize = 40, .width = 2, .height = 1, .bpp = 16, .pixels = px555,
                    .npixels = 4};
    if ((pix = decoded(&sp, f, 2, 1)) != NULL) {
        CHECK_RGB(pix, 0, 0, 0x00ff00);
        CHECK_RGB(pix, 1, 0, 0x000084); /* 16 of 31, scaled and rounded */
        pixDestroy(&pix);
    }
}

static void test_palette(void)
{
    unsigned char f[4096];
    /* 1 bit, 9 wide: the 9th pixel is the first bit of the 2nd byte; rows pad to 4 bytes. */
    static const unsigned char px1[] = {0x55, 0x80, 0, 0};
    /* 4 bits, 3 wide: indices 1 2 3. */
    static const unsigned char px4[] = {0x12, 0x30, 0, 0};
    /* 8 bits, 3 wide, index 7 past a 4-entry palette: black. */
    static const unsigned char px8[] = {1, 7, 3, 0};
    bmp_spec sp = {.hsize = 40, .width = 9, .height = 1, .bpp = 1, .npal = 2, .pal = pal4,
                   .pixels = px1, .npixels = sizeof(px1)};
    PIX *pix;

    if ((pix = decoded(&sp, f, 9, 1)) != NULL) {
        CHECK_RGB(pix, 0, 0, WHITE);
        CHECK_RGB(pix, 1, 0, RED);
        CHECK_RGB(pix, 7, 0, RED);
        CHECK_RGB(pix, 8, 0, RED);
        pixDestroy(&pix);
    }
    sp = (bmp_spec){.hsize = 40, .width = 3, .height = 1, .bpp = 4, .npal = 4, .pal = pal4,
                    .pixels = px4, .npixels = sizeof(px4)};
    if ((pix = decoded(&sp, f, 3, 1)) != NULL) {
        CHECK_RGB(pix, 0, 0, RED);
        CHECK_RGB(pix, 1, 0, BLUE);
        CHECK_RGB(pix, 2, 0, BLACK);
        pixDestroy(&pix);
    }
    sp = (bmp_spec){.hsize = 40, .width = 3, .height = 1, .bpp = 8, .npal = 4, .pal = pal4,
                    .pixels = px8, .npixels = sizeof(px8)};
    if ((pix = decoded(&sp, f, 3, 1)) != NULL) {
        CHECK_RGB(pix, 0, 0, RED);
        CHECK_RGB(pix, 1, 0, BLACK);
        CHECK_RGB(pix, 2, 0, BLACK);
        pixDestroy(&pix);
    }
}

/* Run-length BMPs: 5 x 3, rows bottom to top. */
static void test_rle(void)
{
    unsigned char f[4096];
    static const unsigned char rle8[] = {
        3, 1, 0, 0,          /* bottom row: 3 red, end of row (the rest stays entry 0) */
        0, 3, 2, 1, 2, 0,    /* absolute: blue red blue, padded to an even length */
        9, 3, 0, 0,          /* a run longer than the row's rest is clipped */
        0, 2, 1, 0, 1, 1, 0, 1, /* jump 1 right on the top row, one red, end of image */
        7, 7};               /* after the end: ignored */
    static const unsigned char rle4[] = {
        5, 0x12, 0, 0,       /* bottom row: red blue red blue red */
        0, 3, 0x32, 0x10, 0, 0, /* absolute: black blue red (2 bytes, even) */
        0, 1};
    static const unsigned char cut[] = {3, 1, 0, 0, 0, 5, 1, 2}; /* 5 literals, 2 stored */
    bmp_spec sp = {.hsize = 40, .width = 5, .height = 3, .bpp = 8, .compression = 1,
                   .npal = 4, .pal = pal4, .pixels = rle8, .npixels = sizeof(rle8)};
    size_t len;
    PIX *pix;

    if ((pix = decoded(&sp, f, 5, 3)) != NULL) {
        CHECK_RGB(pix, 0, 2, RED);
        CHECK_RGB(pix, 2, 2, RED);
        CHECK_RGB(pix, 3, 2, WHITE);
        CHECK_RGB(pix, 0, 1, BLUE);
        CHECK_RGB(pix, 1, 1, RED);
        CHECK_RGB(pix, 2, 1, BLUE);
        CHECK_RGB(pix, 3, 1, BLACK);
        CHECK_RGB(pix, 4, 1, BLACK);
        CHECK_RGB(pix, 0, 0, WHITE);
        CHECK_RGB(pix, 1, 0, RED);
        CHECK_RGB(pix, 2, 0, WHITE);
        pixDestroy(&pix);
    }
    sp = (bmp_spec){.hsize = 40, .width = 5, .height = 2, .bpp = 4, .compression = 2,
                    .npal = 4, .pal = pal4, .pixels = rle4, .npixels = sizeof(rle4)};
    if ((pix = decoded(&sp, f, 5, 2)) != NULL) {
        CHECK_RGB(pix, 0, 1, RED);
        CHECK_RGB(pix, 1, 1, BLUE);
        CHECK_RGB(pix, 4, 1, RED);
        CHECK_RGB(pix, 0, 0, BLACK);
        CHECK_RGB(pix, 1, 0, BLUE);
        CHECK_RGB(pix, 2, 0, RED);
        CHECK_RGB(pix, 3, 0, WHITE);
        pixDestroy(&pix);
    }
    sp = (bmp_spec){.hsize = 40, .width = 5, .height = 3, .bpp = 8, .compression = 1,
                    .npal = 4, .pal = pal4, .pixels = cut, .npixels = sizeof(cut)};
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: BMP run-length data is truncated (it ends at row 2 of 3)");
    sp.height = -3;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: a run-length BMP stored top-down is not valid");
}

static void test_refusals(void)
{
    unsigned char f[4096];
    static const unsigned char px[16] = {0};
    bmp_spec sp = {.hsize = 40, .width = 2, .height = 2, .bpp = 24, .pixels = px,
                   .npixels = sizeof(px)};
    size_t len = make_bmp(&sp, f);

    refused(f, len - 1, "t.bmp: BMP is truncated: its pixels need 16 bytes, the file has 15");
    refused(f, 20, "t.bmp: BMP header is truncated (20 bytes, needs 54)");
    refused(f, 10, "t.bmp: not a BMP image (header truncated)");
    le(f + 10, (uint32_t)len, 4);
    refused(f, len, "t.bmp: BMP pixel data offset");
    le(f + 10, 20, 4);
    refused(f, len, "t.bmp: BMP pixel data offset 20 is outside the file");

    sp.hsize = 64;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: an OS/2 2.x BMP (64-byte header) is not supported");
    sp.hsize = 41;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: BMP header size 41 is not one of");
    sp.hsize = 40;
    sp.width = 0;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: BMP size 0 x 2 is invalid");
    sp.width = 2;
    sp.height = INT32_MIN;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: BMP size 2 x -2147483648 is invalid");
    sp.height = 2;
    sp.compression = 4;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: a BMP holding a JPEG (compression 4) is not supported: save the "
                    "scan as JPEG itself");
    sp.compression = 9;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: BMP compression 9 is not supported");
    sp.compression = 3;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: a BMP with bit fields and 24 bits per pixel is not supported");
    sp.bpp = 64;
    sp.compression = 0;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: a BMP with 64 bits per pixel is not supported");
    sp.bpp = 8;
    sp.compression = 1;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: the 8-bit BMP has no colour palette");
    sp.bpp = 4;
    sp.npal = 4;
    sp.pal = pal4;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: BMP compression RLE8 with 4 bits per pixel is not valid");

    sp = (bmp_spec){.hsize = 108, .width = 2, .height = 2, .bpp = 32, .compression = 3,
                    .masks = {0xff0000, 0x00f0f0, 0x0000ff}, .pixels = px, .npixels = 16};
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: BMP green mask 0x0000f0f0 is not one run of bits");
    sp.masks[1] = 0x00ff80;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: BMP colour masks overlap");
    sp.bpp = 16;
    sp.masks[0] = 0x10000; /* outside a 16-bit pixel */
    sp.masks[1] = 0xff00;
    sp.masks[2] = 0xff;
    len = make_bmp(&sp, f);
    refused(f, len, "t.bmp: BMP red mask 0x00010000 is not one run of bits inside the pixel");
}

/* The pixel bound comes before any allocation, whatever the file claims. */
static void test_size_bound(void)
{
    unsigned char f[4096], *png = NULL;
    static const unsigned char px[16] = {0};
    bmp_spec sp = {.hsize = 40, .width = 7000, .height = -6000, .bpp = 24, .pixels = px,
                   .npixels = sizeof(px)};
    size_t len = make_bmp(&sp, f), png_len = 0;
    pic_opts o;
    sk_err e;

    pic_opts_init(&o, PIC_OFFICIAL);
    CHECK(pic_convert_mem(f, len, "big.bmp", &o, &png, &png_len, NULL, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "big.bmp: image is 7000 x 6000 (42.0 megapixels), the limit is 40");
    sp.width = 2000;
    sp.height = 2000;
    len = make_bmp(&sp, f);
    CHECK(pic_convert_mem(f, len, "cut.bmp", &o, &png, &png_len, NULL, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "cut.bmp: BMP is truncated: its pixels need 12000000 bytes");
    CHECK(png == NULL);
}

static void test_jpeg_scans(void)
{
    /* SOI; APP1 holding a thumbnail with its own SOS (not a scan of this image); SOF2; a
     * scan whose data has a stuffed 0xFF, a restart marker and fill bytes before the next SOS;
     * a segment length below 2 (libjpeg skips just the length); EOI; an SOS after EOI. */
    static const unsigned char j[] = {
        0xff, 0xd8,
        0xff, 0xe1, 0x00, 0x0a, 0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff, 0xd9,
        0xff, 0xc2, 0x00, 0x0b, 8, 0, 8, 0, 8, 1, 1, 0x11, 0,
        0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 0, 0, 0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56,
        0xff, 0xff, 0xff, 0xda, 0x00, 0x08, 1, 1, 0, 1, 63, 0, 0x00,
        0xff, 0xfe, 0x00, 0x01, 0xff, 0xda, 0x00, 0x08, 1, 1, 0, 1, 63, 0, 0x00,
        0xff, 0xd9,
        0xff, 0xda, 0x00, 0x08, 1, 1, 0, 1, 63, 0, 0x00};

    CHECK_MSG(pic_jpeg_scans(j, sizeof(j)) == 3, "%d", pic_jpeg_scans(j, sizeof(j)));
    /* Cut anywhere, it reads no further than the data. */
    for (size_t n = 2; n < sizeof(j); n++)
        CHECK(pic_jpeg_scans(j, n) <= 3);
    CHECK(pic_jpeg_scans(j, 2) == 0);
}

int main(void)
{
    setMsgSeverity(L_SEVERITY_NONE);
    test_truecolour();
    test_palette();
    test_rle();
    test_refusals();
    test_size_bound();
    test_jpeg_scans();
    TEST_DONE();
}
