/* Red ink: R - max(G, B). Off-white paper and grey noise have R ~ G ~ B, black pen is
 * dark in all three, blue print has B > R: all of them come out near 0, while seal ink is
 * 100-200 and faint ink 30-70. One measure serves the mask, the faint-ink gate and the
 * alpha ramp.
 *
 * Both functions read the RGB words directly in one pass instead of splitting the scan into
 * component images: on a 1 MB scan the five page-sized 8 bpp temporaries (R, G, B, their
 * max, the dark mask) cost more in fresh-page faults and memset than the arithmetic. */
#include "seal/pic.h"

/* Seal ink on paper is light. Dark pixels with a red cast are JPEG chroma bleeding from the
 * ink into a pen stroke or printed letters beside it (4:2:0 halves the colour resolution);
 * they must not come out as specks of seal, so redness is 0 where R < PIC_INK_MIN_R. */
static inline int redness(l_uint32 px)
{
    int r = (int)(px >> L_RED_SHIFT & 0xff), g = (int)(px >> L_GREEN_SHIFT & 0xff);
    int b = (int)(px >> L_BLUE_SHIFT & 0xff), gb = g > b ? g : b;

    return r < PIC_INK_MIN_R || r <= gb ? 0 : r - gb;
}

/* redness(px) >= PIC_INK_MIN, the cheapest test first. */
static inline int is_ink(l_uint32 px)
{
    int r = (int)(px >> L_RED_SHIFT & 0xff);

    return r - (int)(px >> L_GREEN_SHIFT & 0xff) >= PIC_INK_MIN && r >= PIC_INK_MIN_R &&
           r - (int)(px >> L_BLUE_SHIFT & 0xff) >= PIC_INK_MIN;
}

/* Bit k of a mask word, most significant first as Leptonica stores binary pixels. */
static const l_uint32 word_bit[32] = {
    0x80000000u, 0x40000000u, 0x20000000u, 0x10000000u, 0x08000000u, 0x04000000u,
    0x02000000u, 0x01000000u, 0x00800000u, 0x00400000u, 0x00200000u, 0x00100000u,
    0x00080000u, 0x00040000u, 0x00020000u, 0x00010000u, 0x00008000u, 0x00004000u,
    0x00002000u, 0x00001000u, 0x00000800u, 0x00000400u, 0x00000200u, 0x00000100u,
    0x00000080u, 0x00000040u, 0x00000020u, 0x00000010u, 0x00000008u, 0x00000004u,
    0x00000002u, 0x00000001u};

/* 32 pixels -> one mask word. No branches and a fixed count, so that the compiler does
 * it with vector instructions (GCC 12 at -O2 does, with plain SSE2): 14 -> ~4 instructions
 * a pixel. */
static l_uint32 ink_word(const l_uint32 *s)
{
    l_uint32 bits = 0;

    for (int k = 0; k < 32; k++) {
        l_int32 r = (l_int32)(s[k] >> L_RED_SHIFT & 0xff);
        l_int32 g = (l_int32)(s[k] >> L_GREEN_SHIFT & 0xff);
        l_int32 b = (l_int32)(s[k] >> L_BLUE_SHIFT & 0xff);
        l_uint32 ink = (l_uint32)((r >= PIC_INK_MIN_R) & (r - g >= PIC_INK_MIN) &
                                  (r - b >= PIC_INK_MIN));
        bits |= (0u - ink) & word_bit[k];
    }
    return bits;
}

int pic_ink_mask(PIX *pix32, PIX **mask, sk_err *e)
{
    PIX *m = NULL;
    l_uint32 *src, *dst;
    int w = pixGetWidth(pix32), h = pixGetHeight(pix32), ret = SK_EINTERNAL;
    int swpl = pixGetWpl(pix32), dwpl;

    *mask = NULL;
    /* Every word of every line, padding included, is written below. */
    if (pixGetDepth(pix32) != 32 || (m = pixCreateNoInit(w, h, 1)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "cannot threshold the red ink");
        goto cleanup;
    }
    src = pixGetData(pix32);
    dst = pixGetData(m);
    dwpl = pixGetWpl(m);
    for (int y = 0; y < h; y++, src += swpl, dst += dwpl) {
        int x0 = 0;
        for (; x0 + 32 <= w; x0 += 32)
            dst[x0 >> 5] = ink_word(src + x0);
        if (x0 < w) {
            /* The line's last, partial word; the bits past w stay 0. */
            l_uint32 bits = 0;
            for (int k = 0; x0 + k < w; k++)
                if (is_ink(src[x0 + k]))
                    bits |= 0x80000000u >> k;
            dst[x0 >> 5] = bits;
        }
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

/* The redness of 32 pixels as 8 words of 8 bpp (first pixel in the high byte). Branch-free
 * over a fixed count, so that the compiler does it with vector instructions. */
static void redness_words(const l_uint32 *s, l_uint32 *d)
{
    l_uint32 v[32];

    for (int k = 0; k < 32; k++) {
        l_int32 r = (l_int32)(s[k] >> L_RED_SHIFT & 0xff);
        l_int32 g = (l_int32)(s[k] >> L_GREEN_SHIFT & 0xff);
        l_int32 b = (l_int32)(s[k] >> L_BLUE_SHIFT & 0xff);
        l_int32 m = r - (g > b ? g : b);
        v[k] = (l_uint32)m & (0u - (l_uint32)((r >= PIC_INK_MIN_R) & (m > 0)));
    }
    for (int i = 0; i < 8; i++)
        d[i] = v[4 * i] << 24 | v[4 * i + 1] << 16 | v[4 * i + 2] << 8 | v[4 * i + 3];
}

int pic_redness(PIX *pix32, BOX *box, PIX *ink, PIX **red, NUMA **hist, sk_err *e)
{
    PIX *r = NULL;
    BOX *clip = NULL;
    NUMA *na = NULL;
    l_uint32 *src, *dst, *mline = NULL;
    l_int32 counts[256] = {0};
    int bx, by, bw, bh, swpl, dwpl, mwpl = 0, ret = SK_EINTERNAL;

    *red = NULL;
    if (hist != NULL)
        *hist = NULL;
    if (pixGetDepth(pix32) != 32 ||
        (clip = boxClipToRectangle(box, pixGetWidth(pix32), pixGetHeight(pix32))) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "the seal's box is outside the scan");
        goto cleanup;
    }
    boxGetGeometry(clip, &bx, &by, &bw, &bh);
    if (hist != NULL && (ink == NULL || pixGetDepth(ink) != 1 || pixGetWidth(ink) != bw ||
                         pixGetHeight(ink) != bh)) {
        ret = sk_err_set(e, SK_EINTERNAL, "the ink mask does not match the seal's box");
        goto cleanup;
    }
    if (bw <= 0 || bh <= 0 || (r = pixCreate(bw, bh, 8)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "cannot compute the red channel margin");
        goto cleanup;
    }
    swpl = pixGetWpl(pix32);
    dwpl = pixGetWpl(r);
    src = pixGetData(pix32) + (size_t)by * swpl + bx;
    dst = pixGetData(r);
    if (hist != NULL) {
        mline = pixGetData(ink);
        mwpl = pixGetWpl(ink);
    }
    for (int y = 0; y < bh; y++, src += swpl, dst += dwpl) {
        int x = 0;
        for (; x + 32 <= bw; x += 32)
            redness_words(src + x, dst + (x >> 2));
        for (; x < bw; x++)
            SET_DATA_BYTE(dst, x, redness(src[x]));
        if (mline == NULL)
            continue;
        /* In the same pass, while the row is in cache: the histogram under the ink that
         * pixGetRankValueMasked would make. */
        for (int x0 = 0; x0 < bw; x0 += 32) {
            l_uint32 bits = mline[x0 >> 5];
            /* Most of the box is not ink: skip empty words; bits past bw do not count. */
            if (bw - x0 < 32)
                bits &= ~(0xffffffffu >> (bw - x0));
            for (int k = 0; bits != 0; k++, bits <<= 1)
                if (bits & 0x80000000u)
                    counts[GET_DATA_BYTE(dst, x0 + k)]++;
        }
        mline += mwpl;
    }
    if (hist != NULL && (na = numaCreateFromIArray(counts, 256)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto cleanup;
    }
    *red = r;
    r = NULL;
    if (hist != NULL) {
        *hist = na;
        na = NULL;
    }
    ret = SK_OK;
cleanup:
    pixDestroy(&r);
    boxDestroy(&clip);
    numaDestroy(&na);
    return ret;
}
