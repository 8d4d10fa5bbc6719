/* The scan -> seal picture pipeline: input bounds, decoding (pic_bmp.c, pic_jpeg.c, else
 * Leptonica), then the stages in pic_redmask.c, pic_gate.c and pic_render.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal/pic.h"
#include "util/sk_file.h"

void pic_opts_init(pic_opts *o, pic_kind kind)
{
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->size_mm = kind == PIC_LEGAL_REP ? 20 : 40;
    o->max_bytes = PIC_MAX_BYTES_DEFAULT;
    o->out_px = kind == PIC_LEGAL_REP ? 600 : 800;
}

/* Fill the defaults for zero fields and range-check the rest (SEAL.md "Sizes"). */
static int resolve_opts(const pic_opts *in, pic_opts *o, sk_err *e)
{
    pic_opts d;

    if (in == NULL || (in->kind != PIC_OFFICIAL && in->kind != PIC_LEGAL_REP))
        return sk_err_set(e, SK_EINPUT, "seal picture: kind must be official or legal rep");
    pic_opts_init(&d, in->kind);
    *o = *in;
    if (o->size_mm == 0)
        o->size_mm = d.size_mm;
    if (o->max_bytes == 0)
        o->max_bytes = d.max_bytes;
    if (o->out_px == 0)
        o->out_px = d.out_px;
    if (o->kind == PIC_OFFICIAL && (o->size_mm < 38 || o->size_mm > 45))
        return sk_err_set(e, SK_EINPUT, "official seal size %d mm is outside 38-45",
                          o->size_mm);
    if (o->kind == PIC_LEGAL_REP && (o->size_mm < 18 || o->size_mm > 22))
        return sk_err_set(e, SK_EINPUT, "legal representative seal size %d mm is outside 18-22",
                          o->size_mm);
    if (o->out_px < 64 || o->out_px > 4096)
        return sk_err_set(e, SK_EINPUT, "picture size %d px is outside 64-4096", o->out_px);
    return SK_OK;
}

int pic_convert_pix(PIX *pix, const char *name, const pic_opts *in, unsigned char **png,
                    size_t *png_len, pic_report *rep, sk_err *e)
{
    PIX *pix32 = NULL, *red = NULL, *mask = NULL, *outline = NULL;
    BOX *box = NULL;
    pic_report local;
    pic_report *r = rep != NULL ? rep : &local;
    size_t bytes = r->bytes;
    pic_opts o;
    int ret;

    *png = NULL;
    *png_len = 0;
    memset(r, 0, sizeof(*r));
    r->bytes = rep != NULL ? bytes : 0;
    if ((ret = resolve_opts(in, &o, e)) != SK_OK)
        goto cleanup;
    r->size_mm = o.size_mm;
    r->width = pixGetWidth(pix);
    r->height = pixGetHeight(pix);
    r->megapixels = r->width * (double)r->height / 1e6;
    /* No copy when it already is RGB: the pipeline only reads it. */
    pix32 = pixGetDepth(pix) == 32 ? pixClone(pix) : pixConvertTo32(pix);
    if (pix32 == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s: cannot convert the image to colour", name);
        goto cleanup;
    }
    if ((ret = pic_ink_mask(pix32, &mask, e)) != SK_OK ||
        (ret = pic_find_seal(mask, pix32, name, &o, &box, &red, &outline, r, e)) != SK_OK ||
        (ret = pic_render(red, outline, &o, r, png, png_len, e)) != SK_OK)
        goto cleanup;
    r->accepted = 1;
    snprintf(r->decision, sizeof(r->decision),
             "accepted: one %s seal, %d x %d px (%.1f px/mm), ink strength %.0f%s",
             o.kind == PIC_OFFICIAL ? "round" : "square", r->box_w, r->box_h, r->px_per_mm,
             r->ink_strength, o.kind == PIC_LEGAL_REP ? ", straightened" : "");
cleanup:
    pixDestroy(&pix32);
    pixDestroy(&red);
    pixDestroy(&mask);
    pixDestroy(&outline);
    boxDestroy(&box);
    return ret;
}

int pic_convert_mem(const unsigned char *data, size_t len, const char *name, const pic_opts *o,
                    unsigned char **png, size_t *png_len, pic_report *rep, sk_err *e)
{
    PIX *pix = NULL;
    pic_report local;
    pic_report *r = rep != NULL ? rep : &local;
    pic_opts ro = {0}; /* resolve_opts fills it; -O3 cannot see that (Release, -Werror) */
    int ret;

    *png = NULL;
    *png_len = 0;
    memset(r, 0, sizeof(*r));
    r->bytes = len;
    if ((ret = resolve_opts(o, &ro, e)) != SK_OK)
        goto cleanup;
    if (len > ro.max_bytes) {
        ret = sk_err_set(e, SK_EINPUT, "%s: file is %zu bytes, the limit is %zu", name, len,
                         ro.max_bytes);
        goto cleanup;
    }
    ret = pic_decode_bounded(data, len, name, false, &pix, &r->width, &r->height, e);
    r->megapixels = (double)r->width * r->height / 1e6;
    if (ret != SK_OK)
        goto cleanup;
    ret = pic_convert_pix(pix, name, o, png, png_len, r, e);
cleanup:
    if (ret != SK_OK && r->decision[0] == '\0')
        snprintf(r->decision, sizeof(r->decision), "refused: %.230s", e->msg);
    pixDestroy(&pix);
    return ret;
}

int pic_convert_file(const char *scan_path, const pic_opts *o, unsigned char **png,
                     size_t *png_len, pic_report *r, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0;
    size_t max = o != NULL && o->max_bytes ? o->max_bytes : PIC_MAX_BYTES_DEFAULT;
    int ret;

    *png = NULL;
    *png_len = 0;
    if (r != NULL)
        memset(r, 0, sizeof(*r));
    if ((ret = sk_file_read(scan_path, max, &data, &len, e)) != SK_OK) {
        if (r != NULL)
            snprintf(r->decision, sizeof(r->decision), "refused: %.230s", e->msg);
        goto cleanup;
    }
    ret = pic_convert_mem(data, len, scan_path, o, png, png_len, r, e);
cleanup:
    free(data);
    return ret;
}
