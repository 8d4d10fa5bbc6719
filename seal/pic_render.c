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

int pic_render(PIX *red, PIX *outline, const pic_opts *o, pic_report *r, unsigned char **png,
               size_t *png_len, sk_err *e)
{
    PIX *ramp = NULL, *alpha = NULL, *pad = NULL, *rot = NULL, *solid = NULL;
    PIX *canvas = NULL, *scaled = NULL, *keep = NULL;
    PIXCMAP *cmap = NULL;
    BOX *tight = NULL;
    l_uint8 *buf = NULL;
    size_t len = 0;
    int hi, cw, ch, tx, ty, tw, th, side, ret_cmap, ret = SK_EINTERNAL;

    *png = NULL;
    *png_len = 0;
    hi = (int)(r->ink_strength * 0.75);
    hi = hi < PIC_INK_MIN + 20 ? PIC_INK_MIN + 20 : hi > 255 ? 255 : hi;
    if ((ramp = pixGammaTRC(NULL, red, 1.0f, PIC_INK_MIN, hi)) == NULL)
        FAIL("cannot map the ink to alpha");
    /* Only ink inside the seal's outline, so red specks elsewhere on the page stay out, and
     * only near solid ink: faint pink ghosts where blue print or a pen crossed the ink are
     * dropped, while the soft edges of real strokes stay. */
    cw = pixGetWidth(ramp);
    ch = pixGetHeight(ramp);
    if ((keep = pixGenerateMaskByBand(ramp, 128, 255, 1, 0)) == NULL ||
        pixDilateBrick(keep, keep, 5, 5) == NULL ||
        pixAnd(keep, keep, outline) == NULL)
        FAIL("cannot mask the seal");
    if ((alpha = pixCreate(cw, ch, 8)) == NULL || pixCombineMasked(alpha, ramp, keep) != 0)
        FAIL("cannot mask the seal");

    if (o->kind == PIC_LEGAL_REP && (r->rotation_deg > 0.05 || r->rotation_deg < -0.05)) {
        if ((pad = pixAddBorder(alpha, (cw > ch ? cw : ch) / 6 + 2, 0)) == NULL ||
            (rot = pixRotate(pad, (float)(-r->rotation_deg * M_PI / 180), L_ROTATE_AREA_MAP,
                             L_BRING_IN_BLACK, 0, 0)) == NULL)
            FAIL("cannot straighten the seal");
        pixDestroy(&alpha);
        alpha = rot;
        rot = NULL;
    }

    /* Crop to the ink that would show, then centre it in a square with a 2% margin. */
    if ((solid = pixGenerateMaskByBand(alpha, 32, 255, 1, 0)) == NULL ||
        pixClipToForeground(solid, NULL, &tight) != 0 || tight == NULL)
        FAIL("the seal vanished while straightening");
    boxGetGeometry(tight, &tx, &ty, &tw, &th);
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
    if (pixWriteMem(&buf, &len, scaled, IFF_PNG) != 0 || buf == NULL)
        FAIL("cannot encode the PNG");
    r->out_px = o->out_px;
    r->out_px_per_mm = o->out_px / (o->size_mm * (double)side / (tw > th ? tw : th));
    *png = buf;
    *png_len = len;
    buf = NULL;
    ret = SK_OK;
cleanup:
    LEPT_FREE(buf);
    pixDestroy(&ramp);
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
