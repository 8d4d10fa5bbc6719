/* seal/pic: synthetic scans (tests/scangen) through the scan -> picture pipeline. Each
 * scan is saved as JPEG at quality 75 in memory first, so JPEG artefacts are part of it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "seal/pic.h"
#include "tests/scangen/scangen.h"
#include "tests/test.h"

typedef struct scan_spec {
    scangen_kind kind;
    uint32_t seed;
    int dpi;
    double rotate;
    int signature, blue_text, faint, two, blank, quality;
    int page_w, page_h;
} scan_spec;

/* Render a scan and encode it as JPEG (quality 75 unless given). */
static unsigned char *make_scan(const scan_spec *sp, size_t *len)
{
    scangen_page p = {.seed = sp->seed, .dpi = sp->dpi ? sp->dpi : 300, .noise = 6,
                      .signature = sp->signature, .blue_text = sp->blue_text};
    scangen_seal s[2] = {{0}};
    double px;
    PIX *pix;
    l_uint8 *data = NULL;

    s[0].kind = sp->kind;
    s[0].size_mm = sp->kind == SCANGEN_OFFICIAL ? 40 : 20;
    s[0].rotate_deg = sp->rotate;
    s[0].faint = sp->faint;
    px = s[0].size_mm * p.dpi / 25.4;
    p.width = sp->page_w ? sp->page_w : (int)(px * (sp->two ? 2.9 : 1.6));
    p.height = sp->page_h ? sp->page_h : (int)(px * 1.5);
    s[0].cx = p.width * (sp->two ? 0.28 : 0.52);
    s[0].cy = p.height * 0.48;
    s[1] = s[0];
    s[1].cx = p.width * 0.72;
    if ((pix = scangen_render(&p, s, sp->blank ? 0 : sp->two ? 2 : 1)) == NULL)
        return NULL;
    if (pixWriteMemJpeg(&data, len, pix, sp->quality ? sp->quality : 75, 0) != 0)
        data = NULL;
    pixDestroy(&pix);
    return data;
}

static int convert(const scan_spec *sp, pic_kind kind, PIX **out, pic_report *r, sk_err *e)
{
    unsigned char *scan, *png = NULL;
    size_t len = 0, png_len = 0;
    pic_opts o;
    int ret;

    *out = NULL;
    if ((scan = make_scan(sp, &len)) == NULL)
        return -1;
    pic_opts_init(&o, kind);
    ret = pic_convert_mem(scan, len, "scan.jpg", &o, &png, &png_len, r, e);
    if (ret == SK_OK)
        *out = pixReadMem(png, png_len);
    free(scan);
    free(png);
    return ret;
}

static int alpha_at(PIX *pix, int x, int y)
{
    l_uint32 v = 0;
    pixGetPixel(pix, x, y, &v);
    return v & 0xff;
}

/* Every pixel with any opacity is exactly seal red; returns how many are not. */
static int off_colour(PIX *pix)
{
    int bad = 0, w = pixGetWidth(pix), h = pixGetHeight(pix);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            l_uint32 v;
            pixGetPixel(pix, x, y, &v);
            if ((v & 0xff) != 0 && (v & 0xffffff00) != PIC_RED)
                bad++;
        }
    return bad;
}

/* Bounding box of pixels with alpha >= 128. */
static void opaque_box(PIX *pix, int *x0, int *y0, int *x1, int *y1)
{
    int w = pixGetWidth(pix), h = pixGetHeight(pix);
    *x0 = w, *y0 = h, *x1 = -1, *y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (alpha_at(pix, x, y) >= 128) {
                *x0 = x < *x0 ? x : *x0;
                *x1 = x > *x1 ? x : *x1;
                *y0 = y < *y0 ? y : *y0;
                *y1 = y > *y1 ? y : *y1;
            }
}

static void check_picture_basics(PIX *pix, int px)
{
    CHECK(pix != NULL);
    if (pix == NULL)
        return;
    CHECK_MSG(pixGetWidth(pix) == px && pixGetHeight(pix) == px, "%d x %d", pixGetWidth(pix),
              pixGetHeight(pix));
    CHECK(pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4);
    CHECK(alpha_at(pix, 0, 0) == 0 && alpha_at(pix, px - 1, 0) == 0 &&
          alpha_at(pix, 0, px - 1) == 0 && alpha_at(pix, px - 1, px - 1) == 0);
    CHECK_MSG(off_colour(pix) == 0, "%d visible pixels are not seal red", off_colour(pix));
}

static void test_official(void)
{
    scan_spec sp = {.kind = SCANGEN_OFFICIAL, .seed = 11, .rotate = 3, .blue_text = 1};
    PIX *pix = NULL, *clean = NULL;
    pic_report r;
    sk_err e;
    int x0, y0, x1, y1, n = 0, on = 0, extra = 0;
    double cx, cy, rad;

    sk_err_clear(&e);
    CHECK_MSG(convert(&sp, PIC_OFFICIAL, &clean, &r, &e) == SK_OK, "%s", e.msg);
    sp.signature = 1;
    CHECK_MSG(convert(&sp, PIC_OFFICIAL, &pix, &r, &e) == SK_OK, "%s", e.msg);
    check_picture_basics(pix, 800);
    if (pix == NULL || clean == NULL)
        goto cleanup;
    CHECK(r.accepted && r.size_mm == 40 && r.regions == 1);
    CHECK_CONTAINS(r.decision, "accepted");
    CHECK_MSG(r.roundness > 0.85 && r.px_per_mm > 11 && r.px_per_mm < 12.5, "round %.2f %.1f",
              r.roundness, r.px_per_mm);

    /* Round: a centred, square bounding box, and a ring along its edge. */
    opaque_box(pix, &x0, &y0, &x1, &y1);
    CHECK_MSG(abs((x1 - x0) - (y1 - y0)) <= 12, "box %d..%d x %d..%d", x0, x1, y0, y1);
    CHECK_MSG(abs(x0 - (799 - x1)) <= 12 && abs(y0 - (799 - y1)) <= 12, "box %d..%d x %d..%d",
              x0, x1, y0, y1);
    cx = (x0 + x1) / 2.0, cy = (y0 + y1) / 2.0, rad = (x1 - x0) / 2.0 - 14;
    /* Blue print and the pen cross the ring a few times and leave gaps. */
    for (int i = 0; i < 360; i++, n++)
        on += alpha_at(pix, (int)(cx + rad * cos(i * M_PI / 180)),
                       (int)(cy + rad * sin(i * M_PI / 180))) >= 128;
    CHECK_MSG(on > n * 90 / 100, "ring: %d of %d samples opaque", on, n);
    CHECK(alpha_at(pix, (int)cx, (int)cy) >= 128); /* the star */

    /* The signature stroke left no ink: nothing is more opaque than without it. */
    for (int y = 0; y < 800; y++)
        for (int x = 0; x < 800; x++)
            extra += alpha_at(pix, x, y) > alpha_at(clean, x, y) + 100;
    CHECK_MSG(extra < 400, "%d pixels gained ink from the signature", extra);
cleanup:
    pixDestroy(&pix);
    pixDestroy(&clean);
}

/* The first opaque row from the top in column x (or column from the left in row y). */
static int edge_top(PIX *pix, int x)
{
    for (int y = 0; y < pixGetHeight(pix); y++)
        if (alpha_at(pix, x, y) >= 128)
            return y;
    return -1;
}

static int edge_left(PIX *pix, int y)
{
    for (int x = 0; x < pixGetWidth(pix); x++)
        if (alpha_at(pix, x, y) >= 128)
            return x;
    return -1;
}

static void test_legal_rep(double rotate, int seed)
{
    scan_spec sp = {.kind = SCANGEN_LEGAL_REP, .seed = seed, .rotate = rotate, .signature = 1};
    PIX *pix = NULL;
    pic_report r;
    sk_err e;
    double top, left;

    CHECK_MSG(convert(&sp, PIC_LEGAL_REP, &pix, &r, &e) == SK_OK, "%s", e.msg);
    check_picture_basics(pix, 600);
    if (pix == NULL)
        return;
    CHECK_MSG(fabs(r.rotation_deg - rotate) < 1.0, "estimated %.2f, drawn %.2f",
              r.rotation_deg, rotate);
    CHECK(r.squareness > 0.9);
    /* Straight: the top and left edges are axis-aligned within 1 degree. */
    top = atan2(edge_top(pix, 450) - edge_top(pix, 150), 300) * 180 / M_PI;
    left = atan2(edge_left(pix, 450) - edge_left(pix, 150), 300) * 180 / M_PI;
    CHECK_MSG(fabs(top) < 1.0 && fabs(left) < 1.0, "rotate %.1f: top edge %.2f, left %.2f deg",
              rotate, top, left);
    pixDestroy(&pix);
}

static void refused(const scan_spec *sp, pic_kind kind, const char *why)
{
    PIX *pix = NULL;
    pic_report r;
    sk_err e;

    sk_err_clear(&e);
    CHECK_MSG(convert(sp, kind, &pix, &r, &e) == SK_EINPUT, "%s: not refused (%s)", why,
              r.decision);
    CHECK_CONTAINS(e.msg, why);
    CHECK_CONTAINS(e.msg, "scan.jpg: ");
    CHECK_CONTAINS(r.decision, "refused");
    CHECK(pix == NULL);
    pixDestroy(&pix);
}

static void test_refusals(void)
{
    scan_spec blank = {.kind = SCANGEN_OFFICIAL, .seed = 21, .blank = 1, .blue_text = 1};
    scan_spec two = {.kind = SCANGEN_OFFICIAL, .seed = 22, .two = 1};
    scan_spec faint = {.kind = SCANGEN_OFFICIAL, .seed = 23, .faint = 1};
    scan_spec tiny = {.kind = SCANGEN_OFFICIAL, .seed = 24, .dpi = 100};
    scan_spec square = {.kind = SCANGEN_LEGAL_REP, .seed = 25, .rotate = 2};
    scan_spec round = {.kind = SCANGEN_OFFICIAL, .seed = 26};
    scan_spec a4 = {.kind = SCANGEN_OFFICIAL, .seed = 27, .page_w = 2480, .page_h = 3508,
                    .quality = 95};
    unsigned char *png = NULL, *scan = NULL;
    l_uint8 *huge = NULL;
    size_t len = 0, png_len = 0;
    PIX *pix = NULL;
    pic_opts o;
    pic_report r;
    sk_err e;

    refused(&blank, PIC_OFFICIAL, "no red seal impression found");
    refused(&two, PIC_OFFICIAL, "2 seal-sized red regions found (expected 1)");
    refused(&faint, PIC_OFFICIAL, "too faint");
    refused(&tiny, PIC_OFFICIAL, "seal too small");
    refused(&square, PIC_OFFICIAL, "not round");
    refused(&round, PIC_LEGAL_REP, "not square");

    /* Over 40 megapixels: refused from the header, before decoding. */
    pic_opts_init(&o, PIC_OFFICIAL);
    if ((pix = pixCreate(7000, 6000, 1)) != NULL && pixWriteMem(&huge, &len, pix, IFF_PNG) == 0) {
        CHECK(len < 100000);
        CHECK(pic_convert_mem(huge, len, "huge.png", &o, &png, &png_len, &r, &e) == SK_EINPUT);
        CHECK_CONTAINS(e.msg, "huge.png: image is 7000 x 6000 (42.0 megapixels), the limit is 40");
    }
    pixDestroy(&pix);
    free(huge);

    /* Over 1 MB: an A4 page. Refused by size; accepted with a larger limit. */
    if ((scan = make_scan(&a4, &len)) != NULL) {
        CHECK_MSG(len > PIC_MAX_BYTES_DEFAULT, "A4 scan is only %zu bytes", len);
        CHECK(pic_convert_mem(scan, len, "a4.jpg", &o, &png, &png_len, &r, &e) == SK_EINPUT);
        CHECK_CONTAINS(e.msg, "a4.jpg: file is");
        CHECK_CONTAINS(e.msg, "the limit is 1048576");
        o.max_bytes = 8u << 20;
        CHECK_MSG(pic_convert_mem(scan, len, "a4.jpg", &o, &png, &png_len, &r, &e) == SK_OK,
                  "%s", e.msg);
        free(png);
        png = NULL;
    }
    free(scan);

    CHECK(pic_convert_mem((const unsigned char *)"GIF89a....", 10, "x.gif", &o, &png, &png_len,
                          &r, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "x.gif: not a JPEG, PNG or BMP image");
    o.size_mm = 30;
    CHECK(pic_convert_mem((const unsigned char *)"GIF89a", 6, "x", &o, &png, &png_len, &r,
                          &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "official seal size 30 mm is outside 38-45");
}

/* A seal touching the right and bottom edges of an odd-sized page over 800 px: the box found
 * on the halved copy ends at the page's edge, and the full-resolution redness, ink and
 * outline cut to it must still line up. */
static void test_seal_at_edge(void)
{
    scangen_page p = {.seed = 41, .dpi = 300, .width = 1201, .height = 1001, .noise = 6};
    scangen_seal s = {.kind = SCANGEN_OFFICIAL, .size_mm = 40};
    unsigned char *png = NULL;
    size_t png_len = 0;
    PIX *scan = NULL, *pix = NULL;
    pic_opts o;
    pic_report r;
    sk_err e;
    double px = 40 * 300 / 25.4;

    s.cx = p.width - px / 2 - 1;
    s.cy = p.height - px / 2 - 1;
    sk_err_clear(&e);
    pic_opts_init(&o, PIC_OFFICIAL);
    if ((scan = scangen_render(&p, &s, 1)) == NULL) {
        CHECK(scan != NULL);
        return;
    }
    CHECK_MSG(pic_convert_pix(scan, "edge", &o, &png, &png_len, &r, &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(r.box_x + r.box_w <= p.width && r.box_y + r.box_h <= p.height,
              "box %d,%d %dx%d", r.box_x, r.box_y, r.box_w, r.box_h);
    CHECK_MSG(r.box_x + r.box_w >= p.width - 4 && r.box_y + r.box_h >= p.height - 4,
              "box %d,%d %dx%d", r.box_x, r.box_y, r.box_w, r.box_h);
    if (png != NULL)
        pix = pixReadMem(png, png_len);
    check_picture_basics(pix, 800);
    pixDestroy(&pix);
    pixDestroy(&scan);
    free(png);
}

/* Grey and colour-mapped input go through the same ink test as RGB: a grey page has no red
 * ink, and the seal on a colour-mapped copy is still found. */
static void test_not_rgb(void)
{
    scan_spec sp = {.kind = SCANGEN_OFFICIAL, .seed = 42};
    unsigned char *scan_data = NULL, *png = NULL;
    size_t len = 0, png_len = 0;
    PIX *scan = NULL, *grey = NULL, *mapped = NULL;
    pic_opts o;
    pic_report r;
    sk_err e;

    pic_opts_init(&o, PIC_OFFICIAL);
    if ((scan_data = make_scan(&sp, &len)) == NULL || (scan = pixReadMem(scan_data, len)) == NULL ||
        (grey = pixConvertRGBToLuminance(scan)) == NULL ||
        (mapped = pixOctreeColorQuant(scan, 240, 0)) == NULL) {
        CHECK(0);
        goto cleanup;
    }
    CHECK(pic_convert_pix(grey, "grey", &o, &png, &png_len, &r, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "grey: no red seal impression found");
    free(png);
    png = NULL;
    CHECK_MSG(pic_convert_pix(mapped, "mapped", &o, &png, &png_len, &r, &e) == SK_OK, "%s",
              e.msg);
    CHECK(r.accepted && r.regions == 1);
cleanup:
    free(scan_data);
    free(png);
    pixDestroy(&scan);
    pixDestroy(&grey);
    pixDestroy(&mapped);
}

int main(void)
{
    setMsgSeverity(L_SEVERITY_NONE);
    test_official();
    test_legal_rep(4.0, 31);
    test_legal_rep(-2.5, 32);
    test_legal_rep(0.0, 33);
    test_refusals();
    test_seal_at_edge();
    test_not_rgb();
    TEST_DONE();
}
