#include "tests/scangen/scangen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The seal is drawn binary at this multiple of the target resolution, then reduced to grey,
 * which gives the anti-aliased edges a real impression has after scanning. */
#define SS 3

static uint32_t rng_next(uint32_t *st)
{
    /* xorshift32: reproducible on every platform, unlike rand(). */
    uint32_t x = *st ? *st : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *st = x;
    return x;
}

static double rng_unit(uint32_t *st)
{
    return (rng_next(st) >> 8) / (double)(1u << 24);
}

/* A glyph of the built-in bitmap font at the given cap height (pixels), bold, 1 bpp. */
static PIX *glyph_scaled(L_BMF *bmf, char c, double height, int bold)
{
    PIX *g = NULL, *g8 = NULL, *s8 = NULL, *b = NULL, *out = NULL;
    double f;

    if ((g = bmfGetPix(bmf, c)) == NULL)
        return NULL;
    f = height / (double)pixGetHeight(g);
    /* Scaling the bitmap through grey with interpolation rounds the font's pixel steps. */
    if ((g8 = pixConvert1To8(NULL, g, 255, 0)) == NULL)
        goto cleanup;
    if ((s8 = pixScale(g8, (float)f, (float)f)) == NULL)
        goto cleanup;
    if ((b = pixThresholdToBinary(s8, 128)) == NULL)
        goto cleanup;
    out = bold > 1 ? pixDilateBrick(NULL, b, bold, bold) : pixClone(b);
cleanup:
    pixDestroy(&g);
    pixDestroy(&g8);
    pixDestroy(&s8);
    pixDestroy(&b);
    return out;
}

/* OR a glyph into the mask, centred at (x, y), rotated clockwise by ang radians. */
static void place_glyph(PIX *mask, PIX *glyph, double x, double y, double ang)
{
    PIX *pad = NULL, *rot = NULL;
    int w = pixGetWidth(glyph), h = pixGetHeight(glyph);
    int b = (w > h ? w : h) / 2 + 2;

    if ((pad = pixAddBorder(glyph, b, 0)) == NULL)
        return;
    if ((rot = pixRotate(pad, (float)ang, L_ROTATE_SAMPLING, L_BRING_IN_WHITE, 0, 0)) == NULL)
        goto cleanup;
    w = pixGetWidth(rot);
    h = pixGetHeight(rot);
    pixRasterop(mask, (int)lround(x - w / 2.0), (int)lround(y - h / 2.0), w, h, PIX_PAINT, rot,
                0, 0);
cleanup:
    pixDestroy(&pad);
    pixDestroy(&rot);
}

/* Text along a circle of radius r around (cx, cy). top != 0: along the top arc, glyph tops
 * outward, centred on 12 o'clock; else along the bottom arc, glyph bottoms outward. */
static void arc_text(PIX *mask, L_BMF *bmf, const char *text, double cx, double cy, double r,
                     double height, double max_span, int bold, int top)
{
    PIX *gl[128] = {NULL};
    double adv[128], total = 0, gap, scale = 1, pos, a;
    int n = (int)strlen(text);

    if (n > 128)
        n = 128;
    /* Long names get smaller letters to fit the arc, as seal engravers do; measure at the
     * full height first. */
    for (int pass = 0; pass < 2; pass++) {
        gap = height * 0.16;
        total = 0;
        for (int i = 0; i < n; i++) {
            pixDestroy(&gl[i]);
            if (text[i] == ' ') {
                adv[i] = height * 0.4;
            } else {
                gl[i] = glyph_scaled(bmf, text[i], height, bold);
                adv[i] = gl[i] ? pixGetWidth(gl[i]) - bold + gap : height * 0.5;
            }
            total += adv[i];
        }
        if (total / r <= max_span)
            break;
        if (pass == 0)
            height *= max_span * r / total;
        else
            scale = max_span * r / total;
    }
    pos = -total * scale / 2;
    for (int i = 0; i < n; i++) {
        double mid = pos + adv[i] * scale / 2;
        a = mid / r;
        if (gl[i] != NULL) {
            if (top)
                place_glyph(mask, gl[i], cx + r * sin(a), cy - r * cos(a), a);
            else
                place_glyph(mask, gl[i], cx + r * sin(a), cy + r * cos(a), -a);
        }
        pos += adv[i] * scale;
        pixDestroy(&gl[i]);
    }
}

static int in_star(double x, double y, const double *px, const double *py, int n)
{
    int in = 0;
    for (int i = 0, j = n - 1; i < n; j = i++)
        if (((py[i] > y) != (py[j] > y)) &&
            (x < (px[j] - px[i]) * (y - py[i]) / (py[j] - py[i]) + px[i]))
            in = !in;
    return in;
}

static void draw_star(PIX *mask, double cx, double cy, double ro)
{
    double px[10], py[10], ri = ro * 0.382;

    for (int i = 0; i < 10; i++) {
        double a = i * M_PI / 5, r = (i % 2) ? ri : ro;
        px[i] = cx + r * sin(a);
        py[i] = cy - r * cos(a);
    }
    for (int y = (int)(cy - ro); y <= (int)(cy + ro); y++)
        for (int x = (int)(cx - ro); x <= (int)(cx + ro); x++)
            if (in_star(x + 0.5, y + 0.5, px, py, 10))
                pixSetPixel(mask, x, y, 1);
}

static void draw_ring(PIX *mask, double cx, double cy, double ro, double ri)
{
    for (int y = (int)(cy - ro) - 1; y <= (int)(cy + ro) + 1; y++)
        for (int x = (int)(cx - ro) - 1; x <= (int)(cx + ro) + 1; x++) {
            double d = hypot(x + 0.5 - cx, y + 0.5 - cy);
            if (d <= ro && d >= ri)
                pixSetPixel(mask, x, y, 1);
        }
}

static PIX *official_mask(const scangen_seal *s, double d, L_BMF *bmf)
{
    PIX *m = NULL;
    double r = d / 2, ring = d * 0.035, th = d * 0.12, c;
    int side = (int)ceil(d) + 4;

    if ((m = pixCreate(side, side, 1)) == NULL)
        return NULL;
    c = side / 2.0;
    draw_ring(m, c, c, r, r - ring);
    arc_text(m, bmf, s->name ? s->name : "JIANGXI DEMO TRADING CO LTD", c, c,
             r - ring - d * 0.025 - th / 2, th, 4.3, (int)(d * 0.006) + 1, 1);
    draw_star(m, c, c - d * 0.01, d * 0.17);
    arc_text(m, bmf, s->serial ? s->serial : "3601020012345", c, c,
             r - ring - d * 0.02 - th * 0.28, th * 0.45, 1.3, 1, 0);
    return m;
}

static PIX *legal_rep_mask(const scangen_seal *s, double d, L_BMF *bmf)
{
    PIX *m = NULL, *g = NULL;
    const char *chars = s->chars && strlen(s->chars) >= 4 ? s->chars : "WXMY";
    int side = (int)ceil(d) + 4, o = 2, t = (int)(d * 0.07);
    double cell = (d - 2 * t) / 2;

    if ((m = pixCreate(side, side, 1)) == NULL)
        return NULL;
    pixRasterop(m, o, o, (int)d, t, PIX_SET, NULL, 0, 0);
    pixRasterop(m, o, o + (int)d - t, (int)d, t, PIX_SET, NULL, 0, 0);
    pixRasterop(m, o, o, t, (int)d, PIX_SET, NULL, 0, 0);
    pixRasterop(m, o + (int)d - t, o, t, (int)d, PIX_SET, NULL, 0, 0);
    /* Name seals read right column first, top to bottom. */
    for (int i = 0; i < 4; i++) {
        double x = o + t + cell * (i < 2 ? 1.5 : 0.5), y = o + t + cell * (i % 2 ? 1.5 : 0.5);
        if ((g = glyph_scaled(bmf, chars[i], cell * 0.78, (int)(d * 0.02) + 1)) == NULL)
            continue;
        place_glyph(m, g, x, y, 0);
        pixDestroy(&g);
    }
    return m;
}

PIX *scangen_seal_alpha(const scangen_seal *s, int dpi)
{
    L_BMF *bmf = NULL;
    PIX *m = NULL, *g = NULL, *a = NULL, *pad = NULL, *out = NULL;
    double d = s->size_mm * dpi / 25.4 * SS;
    int b;

    if ((bmf = bmfCreate(NULL, 20)) == NULL)
        return NULL;
    m = s->kind == SCANGEN_OFFICIAL ? official_mask(s, d, bmf) : legal_rep_mask(s, d, bmf);
    if (m == NULL)
        goto cleanup;
    if ((g = pixScaleToGray3(m)) == NULL)
        goto cleanup;
    if ((a = pixInvert(NULL, g)) == NULL)
        goto cleanup;
    b = pixGetWidth(a) / 5;
    if ((pad = pixAddBorder(a, b, 0)) == NULL)
        goto cleanup;
    out = pixRotate(pad, (float)(s->rotate_deg * M_PI / 180), L_ROTATE_AREA_MAP,
                    L_BRING_IN_BLACK, 0, 0);
cleanup:
    bmfDestroy(&bmf);
    pixDestroy(&m);
    pixDestroy(&g);
    pixDestroy(&a);
    pixDestroy(&pad);
    return out;
}

static PIX *paper(const scangen_page *p, uint32_t *st)
{
    PIX *pix = pixCreate(p->width, p->height, 32);
    int base_r = 246 - (int)(rng_unit(st) * 8), base_g = base_r - 3, base_b = base_r - 9;

    if (pix == NULL)
        return NULL;
    for (int y = 0; y < p->height; y++) {
        /* A faint lamp gradient across the page, like a flatbed's. */
        int shade = (int)(4.0 * y / p->height);
        for (int x = 0; x < p->width; x++) {
            int n = (int)((rng_unit(st) + rng_unit(st) - 1) * p->noise);
            int r = base_r - shade + n, g = base_g - shade + n, b = base_b - shade + n;
            r = r < 0 ? 0 : r > 255 ? 255 : r;
            g = g < 0 ? 0 : g > 255 ? 255 : g;
            b = b < 0 ? 0 : b > 255 ? 255 : b;
            pixSetPixel(pix, x, y, ((l_uint32)r << 24) | ((l_uint32)g << 16) | ((l_uint32)b << 8));
        }
    }
    return pix;
}

static void blue_text(PIX *page, const scangen_seal *s, int dpi)
{
    static const char *lines[] = {"Applicant (seal):", "Legal representative (signature):",
                                  "Date: 2026-03-14   Tel: 0791-8888 0000",
                                  "I confirm the information above is true."};
    L_BMF *bmf = bmfCreate(NULL, dpi >= 250 ? 10 : 6);
    double half = s->size_mm * dpi / 25.4 / 2;
    int y = (int)(s->cy - half * 0.6);

    if (bmf == NULL)
        return;
    for (int i = 0; i < 4; i++, y += (int)(half * 0.4))
        pixSetTextline(page, bmf, lines[i], 0x2a3c9c00, (int)(s->cx - half * 1.2), y, NULL, NULL);
    bmfDestroy(&bmf);
}

static void signature(PIX *page, const scangen_seal *s, int dpi, uint32_t *st)
{
    PTA *pta = ptaCreate(0);
    double half = s->size_mm * dpi / 25.4 / 2, w = dpi / 75.0;
    double x0 = s->cx - half * 1.3, y0 = s->cy + half * 0.2, phase = rng_unit(st) * 6;

    if (pta == NULL)
        return;
    /* A loopy pen scrawl from left of the seal to right of it, through its middle. */
    for (int i = 0; i <= 200; i++) {
        double t = i / 200.0;
        double x = x0 + t * half * 2.6 + sin(t * 25 + phase) * half * 0.12;
        double y = y0 - t * half * 0.5 + cos(t * 19 + phase) * half * 0.25;
        ptaAddPt(pta, (float)x, (float)y);
    }
    pixRenderPolylineArb(page, pta, (int)(w < 2 ? 2 : w), 25, 25, 35, 0);
    ptaDestroy(&pta);
}

/* Bilinear in a 9x9 grid of ink strengths, so the patches have soft edges. */
static double blot_at(double b[9][9], double fx, double fy)
{
    int i = (int)fy, j = (int)fx;
    double u = fy - i, v = fx - j;

    if (i > 7)
        i = 7, u = 1;
    if (j > 7)
        j = 7, v = 1;
    return b[i][j] * (1 - u) * (1 - v) + b[i][j + 1] * (1 - u) * v + b[i + 1][j] * u * (1 - v) +
           b[i + 1][j + 1] * u * v;
}

static void stamp(PIX *page, const scangen_seal *s, int dpi, uint32_t *st)
{
    PIX *a = scangen_seal_alpha(s, dpi);
    int aw, ah, pw = pixGetWidth(page), ph = pixGetHeight(page), x0, y0;
    int ir = 200 + (int)(rng_unit(st) * 30), ig = 20 + (int)(rng_unit(st) * 25), ib = 30 + (int)(rng_unit(st) * 20);
    double strength = s->faint ? 0.38 : 0.92, blot[9][9];

    if (a == NULL)
        return;
    if (s->faint) {
        ir = 225, ig = 120, ib = 125;
    }
    /* Stamps never ink evenly: a few lighter patches across the impression. */
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 9; j++)
            blot[i][j] = 0.72 + 0.28 * rng_unit(st);
    aw = pixGetWidth(a);
    ah = pixGetHeight(a);
    x0 = (int)lround(s->cx - aw / 2.0);
    y0 = (int)lround(s->cy - ah / 2.0);
    for (int y = 0; y < ah; y++) {
        for (int x = 0; x < aw; x++) {
            l_uint32 v, pv;
            int X = x0 + x, Y = y0 + y, r, g, b;
            double f;
            if (X < 0 || Y < 0 || X >= pw || Y >= ph)
                continue;
            pixGetPixel(a, x, y, &v);
            if (v == 0)
                continue;
            f = v / 255.0 * strength * blot_at(blot, x * 8.0 / aw, y * 8.0 / ah) *
                (0.9 + 0.1 * rng_unit(st));
            pixGetPixel(page, X, Y, &pv);
            extractRGBValues(pv, &r, &g, &b);
            /* Ink multiplies with what is under it: print shows through, as on paper. */
            r = (int)(r * (1 - f) + r * ir / 255.0 * f);
            g = (int)(g * (1 - f) + g * ig / 255.0 * f);
            b = (int)(b * (1 - f) + b * ib / 255.0 * f);
            composeRGBPixel(r, g, b, &pv);
            pixSetPixel(page, X, Y, pv);
        }
    }
    pixDestroy(&a);
}

PIX *scangen_render(const scangen_page *p, const scangen_seal *seals, int nseals)
{
    uint32_t st = p->seed * 2654435761u + 1;
    PIX *page = paper(p, &st);

    if (page == NULL)
        return NULL;
    if (p->blue_text && nseals > 0)
        blue_text(page, &seals[0], p->dpi);
    for (int i = 0; i < nseals; i++)
        stamp(page, &seals[i], p->dpi, &st);
    if (p->signature && nseals > 0)
        signature(page, &seals[0], p->dpi, &st);
    return page;
}

int scangen_write(PIX *pix, const char *path, int quality)
{
    const char *dot = strrchr(path, '.');
    int fmt = IFF_PNG;

    if (dot != NULL && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0)) {
        pixSetResolution(pix, 300, 300);
        return pixWriteJpeg(path, pix, quality, 0) == 0 ? 0 : -1;
    }
    if (dot != NULL && strcasecmp(dot, ".bmp") == 0)
        fmt = IFF_BMP;
    return pixWrite(path, pix, fmt) == 0 ? 0 : -1;
}
