/* Finding the seal and the quality gate: refuse what staff would refuse on paper (DOMAIN.md
 * step 5) before anything is signed. Every refusal names the scan and the measured reason. */
#include <math.h> /* M_PI only: sk_seal does not link libm */

#include "seal/pic.h"

/* Region search runs on a copy reduced to at most this size: a seal is large, and an A4 page
 * at 300 dpi would otherwise cost 30 times the morphology. */
#define SEARCH_MAX_DIM 800
/* A region at least this share of the largest one's size counts as another seal. */
#define SEAL_SIZED 0.5
#define MIN_INK_FILL 0.04   /* ink / outline area: below, the impression is broken or empty */
#define MIN_PX_PER_MM 8.0   /* below, the 2-3 mm digits of the serial number are a blur */
#define MIN_STRENGTH 70.0   /* median R - max(G, B): good ink is 100-200 */
#define MIN_ROUNDNESS 0.80  /* a disc is ~0.95 after closing, a square 0.64 */
#define MIN_SQUARENESS 0.85 /* a square is ~0.97, a disc 0.79 */
#define MAX_ASPECT 1.18

/* Area over the disc through the farthest pixel from the centroid: rotation invariant, 1 for
 * a disc, 2/pi for a square. */
/* Squared distance from (cx, cy) to the far corner of pixel (x, y): its edge, not its
 * centre, bounds the disc. */
static double far_corner2(int x, int y, float cx, float cy)
{
    double dx = (x + 0.5 - cx) + (x + 0.5 >= cx ? 0.5 : -0.5);
    double dy = (y + 0.5 - cy) + (y + 0.5 >= cy ? 0.5 : -0.5);

    return dx * dx + dy * dy;
}

static double roundness(PIX *comp, int area)
{
    float cx = 0, cy = 0;
    double r2 = 0;
    int w = pixGetWidth(comp), h = pixGetHeight(comp), wpl = pixGetWpl(comp);
    l_uint32 *line = pixGetData(comp);

    if (area <= 0 || pixCentroid(comp, NULL, NULL, &cx, &cy) != 0)
        return 0;
    /* In a row the farthest pixel is its first or last one, so only those are measured. */
    for (int y = 0; y < h; y++, line += wpl) {
        int x0 = 0, x1 = w - 1;
        while (x0 < w && line[x0 >> 5] == 0)
            x0 = (x0 | 31) + 1;
        while (x0 < w && !GET_DATA_BIT(line, x0))
            x0++;
        if (x0 >= w)
            continue;
        while (!GET_DATA_BIT(line, x1))
            x1--;
        for (int k = 0; k < 2; k++) {
            double d = far_corner2(k ? x1 : x0, y, cx, cy);
            if (d > r2)
                r2 = d;
        }
    }
    return r2 > 0 ? area / (M_PI * r2) : 0;
}

/* Tilt of a square seal from its edges and strokes: a text-line skew sweep sees the two
 * horizontal sides as the strongest lines. Returns the tilt in degrees, clockwise positive
 * (Leptonica returns the correction, the opposite). Its confidence is the peak score over
 * the mean: a text page gives 3 or more, a lone square 1.5-2. */
static double square_tilt(PIX *ink)
{
    float angle = 0, conf = 0;

    if (pixFindSkewSweepAndSearch(ink, &angle, &conf, 1, 1, 10.0f, 0.5f, 0.02f) != 0 ||
        conf < 1.2f)
        return 0;
    return -angle;
}

/* Area over the bounding box after straightening by deg, and the box's aspect ratio. */
static void box_fill(PIX *comp, int area, double deg, double *fill, double *aspect)
{
    PIX *pad = NULL, *rot = NULL;
    BOX *b = NULL;
    int bw = 0, bh = 0, border = pixGetWidth(comp) / 4 + 2;

    *fill = 0;
    *aspect = 0;
    if ((pad = pixAddBorder(comp, border, 0)) == NULL)
        goto cleanup;
    if ((rot = pixRotate(pad, (float)(deg * M_PI / 180), L_ROTATE_SAMPLING, L_BRING_IN_WHITE,
                         0, 0)) == NULL)
        goto cleanup;
    if (pixClipToForeground(rot, NULL, &b) != 0 || b == NULL)
        goto cleanup;
    boxGetGeometry(b, NULL, NULL, &bw, &bh);
    if (bw > 0 && bh > 0) {
        *fill = (double)area / ((double)bw * bh);
        *aspect = (double)bw / bh;
    }
cleanup:
    pixDestroy(&pad);
    pixDestroy(&rot);
    boxDestroy(&b);
}

#define OOM()                                                                              \
    do {                                                                                   \
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory finding the seal", name);     \
        goto cleanup;                                                                      \
    } while (0)

static int refuse(sk_err *e, pic_report *r, const char *name, const char *why)
{
    snprintf(r->decision, sizeof(r->decision), "refused: %s", why);
    return sk_err_set(e, SK_EINPUT, "%s: %s", name, why);
}

int pic_find_seal(PIX *mask, PIX *pix32, const char *name, const pic_opts *o, BOX **pbox,
                  PIX **pred, PIX **poutline, pic_report *r, sk_err *e)
{
    PIX *small = NULL, *tmp = NULL, *closed = NULL, *filled = NULL, *comp = NULL, *ink = NULL;
    PIX *outline = NULL, *red = NULL;
    BOXA *boxa = NULL;
    PIXA *pixa = NULL;
    NUMA *hist = NULL;
    BOX *box = NULL;
    int w = pixGetWidth(mask), h = pixGetHeight(mask), f = 1, n, largest = 0, best = -1;
    int looks_square, looks_round, wrong_kind, ninks = 0, area = 0, bx, by, bw, bh, k, ret = SK_EINTERNAL;
    int *tab = NULL;
    float strength = 0;
    char why[200];

    *pbox = NULL;
    *pred = NULL;
    *poutline = NULL;
    if ((tab = makePixelSumTab8()) == NULL)
        OOM();
    pixCountPixels(mask, &ninks, tab);
    r->red_fraction = (double)ninks / ((double)w * h);

    if ((small = pixClone(mask)) == NULL)
        OOM();
    while ((pixGetWidth(small) > SEARCH_MAX_DIM || pixGetHeight(small) > SEARCH_MAX_DIM) &&
           f < 16) {
        /* Rank 1: a reduced pixel is ink if any of its four is, so thin rings survive. */
        if ((tmp = pixReduceRankBinary2(small, 1, NULL)) == NULL)
            OOM();
        pixDestroy(&small);
        small = tmp;
        tmp = NULL;
        f *= 2;
    }

    /* The largest red blob sets the scale for joining: ring, text, star and serial are
     * separated by about 1/30 of the seal, gaps cut by a pen stroke are smaller. */
    if ((boxa = pixConnCompBB(small, 8)) == NULL)
        OOM();
    n = boxaGetCount(boxa);
    for (int i = 0; i < n; i++) {
        boxaGetBoxGeometry(boxa, i, NULL, NULL, &bw, &bh);
        largest = bw > largest ? bw : largest;
        largest = bh > largest ? bh : largest;
    }
    boxaDestroy(&boxa);
    if (largest * f < 24) {
        snprintf(why, sizeof(why),
                 "no red seal impression found (red ink covers %.3f%% of the image)",
                 100.0 * r->red_fraction);
        ret = refuse(e, r, name, why);
        goto cleanup;
    }
    k = largest / 30;
    k = k < 3 ? 3 : k | 1;
    /* Close the ring over pen-stroke gaps, then fill it: holes plus ink is the outline. */
    if ((closed = pixCloseSafeBrick(NULL, small, k, k)) == NULL ||
        (filled = pixHolesByFilling(closed, 4)) == NULL ||
        pixOr(filled, filled, closed) == NULL || (boxa = pixConnComp(filled, &pixa, 8)) == NULL)
        OOM();

    n = pixaGetCount(pixa);
    largest = 0;
    for (int i = 0; i < n; i++) {
        pixaGetBoxGeometry(pixa, i, NULL, NULL, &bw, &bh);
        if ((bw > bh ? bw : bh) > largest) {
            largest = bw > bh ? bw : bh;
            best = i;
        }
    }
    r->regions = 0;
    for (int i = 0; i < n; i++) {
        pixaGetBoxGeometry(pixa, i, NULL, NULL, &bw, &bh);
        if ((bw > bh ? bw : bh) >= SEAL_SIZED * largest)
            r->regions++;
    }
    if (r->regions > 1) {
        snprintf(why, sizeof(why),
                 "%d seal-sized red regions found (expected 1): crop the scan to one seal",
                 r->regions);
        ret = refuse(e, r, name, why);
        goto cleanup;
    }

    pixaGetBoxGeometry(pixa, best, &bx, &by, &bw, &bh);
    if ((comp = pixaGetPix(pixa, best, L_CLONE)) == NULL)
        OOM();
    pixCountPixels(comp, &area, tab);
    if ((box = boxCreate(bx * f, by * f, bw * f, bh * f)) == NULL)
        OOM();
    r->box_x = bx * f;
    r->box_y = by * f;
    r->box_w = bw * f < w - r->box_x ? bw * f : w - r->box_x;
    r->box_h = bh * f < h - r->box_y ? bh * f : h - r->box_y;
    if ((ink = pixClipRectangle(mask, box, NULL)) == NULL)
        OOM();
    pixCountPixels(ink, &ninks, tab);
    r->ink_fill = (double)ninks / ((double)area * f * f);
    /* Redness is needed only here and for the picture: computed for the box alone. */
    if ((ret = pic_redness(pix32, box, ink, &red, &hist, e)) != SK_OK)
        goto cleanup;
    if (numaHistogramGetValFromRank(hist, 0.5f, &strength) != 0)
        strength = 0;
    r->ink_strength = strength;
    r->px_per_mm = (r->box_w > r->box_h ? r->box_w : r->box_h) / (double)o->size_mm;
    r->roundness = roundness(comp, area);
    r->rotation_deg = o->kind == PIC_LEGAL_REP ? square_tilt(ink) : 0;
    box_fill(comp, area, -r->rotation_deg, &r->squareness, &r->aspect);

    if (r->ink_strength < MIN_STRENGTH) {
        snprintf(why, sizeof(why),
                 "seal ink too faint or washed out (strength %.0f, needs %.0f): rescan or "
                 "restamp with fresh ink", r->ink_strength, MIN_STRENGTH);
        ret = refuse(e, r, name, why);
        goto cleanup;
    }
    if (r->ink_fill < MIN_INK_FILL) {
        snprintf(why, sizeof(why), "too little ink in the seal (%.1f%% of its area)",
                 100.0 * r->ink_fill);
        ret = refuse(e, r, name, why);
        goto cleanup;
    }
    /* The other kind's shape first: a square judged as a 40 mm seal would look too small. */
    looks_square = r->squareness >= MIN_SQUARENESS && r->roundness < MIN_ROUNDNESS;
    looks_round = r->roundness >= MIN_ROUNDNESS;
    wrong_kind = (o->kind == PIC_OFFICIAL && looks_square) ||
                 (o->kind == PIC_LEGAL_REP && looks_round);
    if (!wrong_kind && r->px_per_mm < MIN_PX_PER_MM) {
        snprintf(why, sizeof(why),
                 "seal too small: %d px across a %d mm seal is %.1f px/mm, needs %.0f "
                 "(scan at 300 dpi)",
                 r->box_w > r->box_h ? r->box_w : r->box_h, o->size_mm, r->px_per_mm,
                 MIN_PX_PER_MM);
        ret = refuse(e, r, name, why);
        goto cleanup;
    }
    if (o->kind == PIC_OFFICIAL &&
        (r->roundness < MIN_ROUNDNESS || r->aspect > MAX_ASPECT || r->aspect < 1 / MAX_ASPECT)) {
        snprintf(why, sizeof(why),
                 "the seal is not round (roundness %.2f, aspect %.2f): the official seal is "
                 "round; a square seal is the legal representative's", r->roundness, r->aspect);
        ret = refuse(e, r, name, why);
        goto cleanup;
    }
    if (o->kind == PIC_LEGAL_REP && (r->squareness < MIN_SQUARENESS || r->aspect > MAX_ASPECT ||
                                     r->aspect < 1 / MAX_ASPECT)) {
        snprintf(why, sizeof(why),
                 "the seal is not square (squareness %.2f, aspect %.2f): the legal "
                 "representative's seal is square", r->squareness, r->aspect);
        ret = refuse(e, r, name, why);
        goto cleanup;
    }

    if ((outline = pixExpandBinaryPower2(comp, f)) == NULL)
        OOM();
    *pbox = box;
    box = NULL;
    *pred = red;
    red = NULL;
    *poutline = outline;
    outline = NULL;
    ret = SK_OK;
cleanup:
    LEPT_FREE(tab);
    pixDestroy(&small);
    pixDestroy(&tmp);
    pixDestroy(&closed);
    pixDestroy(&filled);
    pixDestroy(&comp);
    pixDestroy(&ink);
    pixDestroy(&outline);
    pixDestroy(&red);
    boxaDestroy(&boxa);
    pixaDestroy(&pixa);
    numaDestroy(&hist);
    boxDestroy(&box);
    return ret;
}
