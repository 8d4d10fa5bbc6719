/* The picture: alpha from the ink's redness, everything else transparent, one pure red.
 * A ramp instead of a hard threshold keeps stroke edges anti-aliased, and ending the ramp
 * below the ink's median strength makes unevenly inked patches solid, as staff expect
 * ("red and white, no impurities"). */
#include <math.h> /* M_PI only: sk_seal does not link libm */
#include <string.h>

#include "seal/pic.h"

#define FAIL(msg)                                                                          \
    do {                                                                                   \
        ret = sk_err_set(e, SK_EINTERNAL, "seal picture: %s", msg);                        \
        goto cleanup;                                                                      \
    } while (0)

/* Alpha byte of each pixel for the ramp from PIC_INK_MIN to hi: the mapping pixGammaTRC
 * makes with gamma 1, taken as a table. */
static int ramp_table(int hi, int lut[256])
{
    NUMA *trc = NULL;
    int ret = 1;

    if ((trc = numaGammaTRC(1.0f, PIC_INK_MIN, hi)) == NULL || numaGetCount(trc) != 256)
        goto cleanup;
    for (int i = 0; i < 256; i++)
        if (numaGetIValue(trc, i, &lut[i]) != 0)
            goto cleanup;
    ret = 0;
cleanup:
    numaDestroy(&trc);
    return ret;
}

int pic_render(PIX *red, PIX *outline, const pic_opts *o, pic_report *r, unsigned char **png,
               size_t *png_len, sk_err *e)
{
    PIX *alpha = NULL, *pad = NULL, *rot = NULL, *solid = NULL;
    PIX *canvas = NULL, *scaled = NULL, *keep = NULL;
    PIXCMAP *cmap = NULL;
    BOX *tight = NULL;
    l_uint8 *buf = NULL;
    l_uint32 *aline, *kline;
    size_t len = 0;
    int lut[256], hi, seed, cw, ch, tx, ty, tw, th, side, ret_cmap, ret = SK_EINTERNAL;
    int x0, y0, x1 = -1, y1 = -1, awpl, kwpl, straighten;

    *png = NULL;
    *png_len = 0;
    hi = (int)(r->ink_strength * 0.75);
    hi = hi < PIC_INK_MIN + 20 ? PIC_INK_MIN + 20 : hi > 255 ? 255 : hi;
    if (ramp_table(hi, lut) != 0)
        FAIL("cannot map the ink to alpha");
    /* Only ink inside the seal's outline, so red specks elsewhere on the page stay out, and
     * only near solid ink (ramp >= 128): faint pink ghosts where blue print or a pen crossed
     * the ink are dropped, while the soft edges of real strokes stay. */
    for (seed = 0; seed < 256 && lut[seed] < 128; seed++)
        ;
    cw = pixGetWidth(red);
    ch = pixGetHeight(red);
    x0 = cw;
    y0 = ch;
    if ((keep = pixThresholdToBinary(red, seed)) == NULL || pixInvert(keep, keep) == NULL ||
        pixDilateBrick(keep, keep, 5, 5) == NULL ||
        pixAnd(keep, keep, outline) == NULL)
        FAIL("cannot mask the seal");
    /* The alpha is made in place of the redness, which is not needed after this. In the same
     * pass, the box of the ink that will show (alpha >= 32). */
    if ((alpha = pixClone(red)) == NULL)
        FAIL("out of memory");
    aline = pixGetData(alpha);
    awpl = pixGetWpl(alpha);
    kline = pixGetData(keep);
    kwpl = pixGetWpl(keep);
    for (int y = 0; y < ch; y++, aline += awpl, kline += kwpl)
        for (int x = 0; x < cw; x++) {
            int a;
            if ((x & 31) == 0 && kline[x >> 5] == 0) {
                /* 32 pixels outside the kept ink: 8 words of 0, the padding included. */
                for (int i = 0; i < 8 && (x >> 2) + i < awpl; i++)
                    aline[(x >> 2) + i] = 0;
                x += 31;
                continue;
            }
            a = GET_DATA_BIT(kline, x) ? lut[GET_DATA_BYTE(aline, x)] : 0;
            SET_DATA_BYTE(aline, x, a);
            if (a >= 32) {
                x0 = x < x0 ? x : x0;
                x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0;
                y1 = y;
            }
        }

    straighten = o->kind == PIC_LEGAL_REP && (r->rotation_deg > 0.05 || r->rotation_deg < -0.05);
    if (straighten) {
        if ((pad = pixAddBorder(alpha, (cw > ch ? cw : ch) / 6 + 2, 0)) == NULL ||
            (rot = pixRotate(pad, (float)(-r->rotation_deg * M_PI / 180), L_ROTATE_AREA_MAP,
                             L_BRING_IN_BLACK, 0, 0)) == NULL)
            FAIL("cannot straighten the seal");
        pixDestroy(&alpha);
        alpha = rot;
        rot = NULL;
    }

    /* Crop to the ink that would show, then centre it in a square with a 2% margin. */
    if (!straighten) {
        if (x1 < 0)
            FAIL("the seal vanished while straightening");
        tx = x0;
        ty = y0;
        tw = x1 - x0 + 1;
        th = y1 - y0 + 1;
    } else {
        if ((solid = pixGenerateMaskByBand(alpha, 32, 255, 1, 0)) == NULL ||
            pixClipToForeground(solid, NULL, &tight) != 0 || tight == NULL)
            FAIL("the seal vanished while straightening");
        boxGetGeometry(tight, &tx, &ty, &tw, &th);
    }
    side = ((tw > th ? tw : th) * 102 + 99) / 100 + 2;
    if ((canvas = pixCreate(side, side, 8)) == NULL)
        FAIL("out of memory");
    pixRasterop(canvas, (side - tw) / 2, (side - th) / 2, tw, th, PIX_SRC, alpha, tx, ty);
    /* Every visible pixel is the one seal red and only alpha varies, so the picture is the
     * 8 bpp alpha with a palette of seal red at each of the 256 opacities (PNG colour type
     * 3 with a tRNS chunk). Decoders return exactly the RGBA pixels the 32 bpp encoding
     * had, the file is 40% smaller, and libpng neither tries its five row filters nor
     * deflates four bytes a pixel: 446M -> 40M instructions for an 800 px picture. */
    if ((scaled = pixScaleToSize(canvas, o->out_px, o->out_px)) == NULL)
        FAIL("cannot scale the seal");
    if ((cmap = pixcmapCreate(8)) == NULL)
        FAIL("out of memory");
    for (int i = 0; i < 256; i++)
        if (pixcmapAddRGBA(cmap, PIC_RED >> L_RED_SHIFT & 0xff, PIC_RED >> L_GREEN_SHIFT & 0xff,
                           PIC_RED >> L_BLUE_SHIFT & 0xff, i) != 0)
            FAIL("cannot make the palette");
    /* The pix owns the palette from here on, even when the call fails. */
    ret_cmap = pixSetColormap(scaled, cmap);
    cmap = NULL;
    if (ret_cmap != 0)
        FAIL("cannot set the palette");
    /* zlib level 3 instead of 6: encoding 59M -> 22M instructions for a file 11% larger
     * (44 KB for the 1 MB bench crop, still a third smaller than the RGBA one was); from
     * level 4 zlib does lazy matching, which is what costs here. */
    if (pixSetZlibCompression(scaled, 3) != 0 ||
        pixWriteMem(&buf, &len, scaled, IFF_PNG) != 0 || buf == NULL)
        FAIL("cannot encode the PNG");
    r->out_px = o->out_px;
    r->out_px_per_mm = o->out_px / (o->size_mm * (double)side / (tw > th ? tw : th));
    *png = buf;
    *png_len = len;
    buf = NULL;
    ret = SK_OK;
cleanup:
    LEPT_FREE(buf);
    pixDestroy(&alpha);
    pixDestroy(&pad);
    pixDestroy(&rot);
    pixDestroy(&solid);
    pixDestroy(&canvas);
    pixDestroy(&scaled);
    pixcmapDestroy(&cmap);
    pixDestroy(&keep);
    boxDestroy(&tight);
    return ret;
}
