/* Red ink: R - max(G, B). Off-white paper and grey noise have R ~ G ~ B, black pen is
 * dark in all three, blue print has B > R: all of them come out near 0, while seal ink is
 * 100-200 and faint ink 30-70. One measure serves the mask, the faint-ink gate and the
 * alpha ramp. */
#include "seal/pic.h"

int pic_redness(PIX *pix32, PIX **red, sk_err *e)
{
    PIX *r = NULL, *g = NULL, *b = NULL, *gb = NULL, *dark = NULL;
    int ret = SK_EINTERNAL;

    *red = NULL;
    if ((r = pixGetRGBComponent(pix32, COLOR_RED)) == NULL ||
        (g = pixGetRGBComponent(pix32, COLOR_GREEN)) == NULL ||
        (b = pixGetRGBComponent(pix32, COLOR_BLUE)) == NULL ||
        (gb = pixMinOrMax(NULL, g, b, L_CHOOSE_MAX)) == NULL ||
        (dark = pixThresholdToBinary(r, PIC_INK_MIN_R)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory splitting colour channels");
        goto cleanup;
    }
    /* In place into r: pixSubtractGray clips at 0. */
    if (pixSubtractGray(r, r, gb) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "cannot compute the red channel margin");
        goto cleanup;
    }
    /* Seal ink on paper is light. Dark pixels with a red cast are JPEG chroma bleeding from
     * the ink into a pen stroke or printed letters beside it (4:2:0 halves the colour
     * resolution); they must not come out as specks of seal. */
    pixSetMasked(r, dark, 0);
    *red = r;
    r = NULL;
    ret = SK_OK;
cleanup:
    pixDestroy(&r);
    pixDestroy(&g);
    pixDestroy(&b);
    pixDestroy(&gb);
    pixDestroy(&dark);
    return ret;
}

int pic_ink_mask(PIX *red, PIX **mask, sk_err *e)
{
    PIX *m = NULL;
    int ret = SK_EINTERNAL;

    *mask = NULL;
    if ((m = pixGenerateMaskByBand(red, PIC_INK_MIN, 255, 1, 0)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "cannot threshold the red ink");
        goto cleanup;
    }
    /* A 2x2 opening drops JPEG chroma specks and single noisy pixels; seal strokes are
     * several pixels wide at any resolution the gate accepts. */
    if (pixOpenBrick(m, m, 2, 2) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "cannot clean the ink mask");
        goto cleanup;
    }
    *mask = m;
    m = NULL;
    ret = SK_OK;
cleanup:
    pixDestroy(&m);
    return ret;
}
