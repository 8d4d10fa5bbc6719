/* The seal-collection form back from the scanner: QR code -> order and form id, the four
 * registration marks -> where the page lies in the scan (an affine map, so tilt, scale and
 * a slightly skewed feed are all absorbed), then each seal box cut out, deskewed and sent
 * through the seal-picture pipeline. The geometry comes from the same template the form was
 * printed from, named by the QR code. */
#include <leptonica/allheaders.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#include "seal/pic.h"
#include "templates/form_int.h"
#include "util/sk_file.h"

#define MARKS 4
#define BLACK_MAX 110 /* max(R,G,B) below this is printed black, not seal red */
#define BOX_INSET_MM 1.5 /* keep the frame lines out of the cut-out */

typedef struct geo {
    const form_item *marks[MARKS];
    const form_item *qr;
    const form_item *box[2]; /* official, legal rep */
} geo;

void form_extract_result_clear(form_extract_result *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < 2; i++)
        free(r->png[i]);
    memset(r, 0, sizeof(*r));
}

/* The form's QR code: "SKF1|<form id>|<order>|<official mm>|<legal rep mm>", its centre and
 * its side in pixels. */
static int read_qr(PIX *gray, const char *path, char *payload, size_t len, double *cx, double *cy,
                   double *side, sk_err *e)
{
    zbar_image_scanner_t *sc = NULL;
    zbar_image_t *img = NULL;
    unsigned char *buf = NULL;
    const zbar_symbol_t *sym;
    int w = pixGetWidth(gray), h = pixGetHeight(gray), wpl = pixGetWpl(gray), ret;
    l_uint32 *data = pixGetData(gray);

    if ((buf = malloc((size_t)w * (size_t)h)) == NULL ||
        (sc = zbar_image_scanner_create()) == NULL || (img = zbar_image_create()) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", path);
        goto out;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            buf[(size_t)y * (size_t)w + (size_t)x] = (unsigned char)GET_DATA_BYTE(data + y * wpl, x);
    zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, (unsigned)w, (unsigned)h);
    zbar_image_set_data(img, buf, (unsigned long)w * (unsigned long)h, NULL);
    zbar_scan_image(sc, img);
    ret = sk_err_set(e, SK_EINPUT,
                     "%s: no seal-collection QR code found (is it a sealkey seal-collection form, "
                     "scanned whole and flat?)",
                     path);
    for (sym = zbar_image_first_symbol(img); sym != NULL; sym = zbar_symbol_next(sym)) {
        const char *d = zbar_symbol_get_data(sym);
        unsigned n = zbar_symbol_get_loc_size(sym);
        double per = 0;
        if (zbar_symbol_get_type(sym) != ZBAR_QRCODE || d == NULL ||
            strncmp(d, FORM_QR_MAGIC "|", strlen(FORM_QR_MAGIC) + 1) != 0 || n < 4 ||
            strlen(d) >= len)
            continue;
        memcpy(payload, d, strlen(d) + 1);
        *cx = *cy = 0;
        for (unsigned i = 0; i < n; i++) {
            double dx = zbar_symbol_get_loc_x(sym, (i + 1) % n) - zbar_symbol_get_loc_x(sym, i);
            double dy = zbar_symbol_get_loc_y(sym, (i + 1) % n) - zbar_symbol_get_loc_y(sym, i);
            *cx += zbar_symbol_get_loc_x(sym, i) / (double)n;
            *cy += zbar_symbol_get_loc_y(sym, i) / (double)n;
            per += sqrt(dx * dx + dy * dy);
        }
        *side = per / n;
        ret = SK_OK;
        break;
    }
out:
    if (img != NULL)
        zbar_image_destroy(img);
    if (sc != NULL)
        zbar_image_scanner_destroy(sc);
    free(buf);
    return ret;
}

static int parse_payload(char *p, const char *path, form_extract_result *r, sk_err *e)
{
    char *f[5], *end;
    int n = 0;
    long v;

    for (char *s = p; n < 5; n++) {
        f[n] = s;
        if ((s = strchr(s, '|')) == NULL) {
            n++;
            break;
        }
        *s++ = '\0';
    }
    if (n != 5 || strlen(f[1]) >= sizeof(r->form_id) || strlen(f[2]) >= sizeof(r->order_number) ||
        !order_number_valid(f[2], NULL, 0))
        return sk_err_set(e, SK_EINPUT, "%s: the QR code is not a seal-collection form's", path);
    snprintf(r->form_id, sizeof(r->form_id), "%s", f[1]);
    snprintf(r->order_number, sizeof(r->order_number), "%s", f[2]);
    for (int i = 0; i < 2; i++) {
        v = strtol(f[3 + i], &end, 10);
        if (end == f[3 + i] || *end != '\0' || v < 10 || v > 60)
            return sk_err_set(e, SK_EINPUT, "%s: QR code: seal size '%s' is not 10..60 mm", path,
                              f[3 + i]);
        *(i == 0 ? &r->official_mm : &r->legal_rep_mm) = (int)v;
    }
    return SK_OK;
}

static int template_geo(const form_template *t, geo *g, sk_err *e)
{
    size_t nm = 0;

    memset(g, 0, sizeof(*g));
    for (size_t i = 0; i < t->pages[0].n; i++) {
        const form_item *it = &t->pages[0].items[i];
        if (it->type == FORM_IT_MARK && nm < MARKS)
            g->marks[nm++] = it;
        else if (it->type == FORM_IT_MARK)
            nm++;
        else if (it->type == FORM_IT_QR)
            g->qr = it;
        else if (it->type == FORM_IT_SEAL_BOX)
            g->box[it->kind == PIC_OFFICIAL ? 0 : 1] = it;
    }
    if (nm != MARKS || g->qr == NULL || g->box[0] == NULL || g->box[1] == NULL)
        return sk_err_set(e, SK_EINPUT,
                          "%s: a seal-collection template needs 4 marks, a qr and an official "
                          "and a legal-rep seal_box on page 1",
                          t->path);
    return SK_OK;
}

/* Centres of filled black squares of about side px in a binary image of black print. */
static int find_squares(PIX *black, double side, double *cx, double *cy, int max, sk_err *e)
{
    BOXA *boxa = pixConnComp(black, NULL, 8);
    int n = 0;

    if (boxa == NULL)
        return -1;
    for (int i = 0; i < boxaGetCount(boxa) && n < max; i++) {
        l_int32 x, y, w, h, count = 0;
        BOX *b;
        PIX *clip;
        boxaGetBoxGeometry(boxa, i, &x, &y, &w, &h);
        /* A tilted square's bounding box is up to 1.1x wider; allow scanner blur too. */
        if (w < 0.7 * side || w > 1.35 * side || h < 0.7 * side || h > 1.35 * side)
            continue;
        b = boxCreate(x, y, w, h);
        clip = pixClipRectangle(black, b, NULL);
        if (clip != NULL)
            pixCountPixels(clip, &count, NULL);
        pixDestroy(&clip);
        boxDestroy(&b);
        if (count < 0.75 * w * h)
            continue;
        cx[n] = x + w / 2.0;
        cy[n] = y + h / 2.0;
        n++;
    }
    boxaDestroy(&boxa);
    (void)e;
    return n;
}

/* Least-squares affine map page mm -> scan px from the mark correspondences. */
static int fit_affine(const double *mx, const double *my, const double *sx, const double *sy,
                      int n, double a[6])
{
    double m[3][3] = {{0}}, bx[3] = {0}, by[3] = {0}, det;

    for (int i = 0; i < n; i++) {
        double v[3] = {mx[i], my[i], 1};
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++)
                m[r][c] += v[r] * v[c];
            bx[r] += v[r] * sx[i];
            by[r] += v[r] * sy[i];
        }
    }
    det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
          m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
          m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (fabs(det) < 1e-9)
        return -1;
    /* Cramer's rule, for x' = a0 x + a1 y + a2 and y' = a3 x + a4 y + a5. */
    for (int k = 0; k < 2; k++) {
        const double *b = k == 0 ? bx : by;
        for (int c = 0; c < 3; c++) {
            double t[3][3];
            memcpy(t, m, sizeof(t));
            for (int r = 0; r < 3; r++)
                t[r][c] = b[r];
            a[k * 3 + c] = (t[0][0] * (t[1][1] * t[2][2] - t[1][2] * t[2][1]) -
                            t[0][1] * (t[1][0] * t[2][2] - t[1][2] * t[2][0]) +
                            t[0][2] * (t[1][0] * t[2][1] - t[1][1] * t[2][0])) /
                           det;
        }
    }
    return 0;
}

/* Where the page lies in the scan: marks matched to the template, predicted from the QR
 * code's position upright or upside down (a sheet fed the wrong way round). */
static int locate_page(PIX *pix32, const geo *g, const char *path, double qcx, double qcy,
                       double ppm, double a[6], sk_err *e)
{
    PIX *r = NULL, *gr = NULL, *b = NULL, *mx = NULL, *black = NULL;
    double cx[64], cy[64], mmx[MARKS], mmy[MARKS], sx[MARKS], sy[MARKS];
    double qx = g->qr->x + g->qr->size / 2, qy = g->qr->y + g->qr->size / 2;
    int n, best = -1, ret;

    r = pixGetRGBComponent(pix32, COLOR_RED);
    gr = pixGetRGBComponent(pix32, COLOR_GREEN);
    b = pixGetRGBComponent(pix32, COLOR_BLUE);
    if (r == NULL || gr == NULL || b == NULL || (mx = pixMinOrMax(NULL, r, gr, L_CHOOSE_MAX)) == NULL ||
        pixMinOrMax(mx, mx, b, L_CHOOSE_MAX) == NULL ||
        (black = pixThresholdToBinary(mx, BLACK_MAX)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: Leptonica failed to threshold the scan", path);
        goto out;
    }
    n = find_squares(black, g->marks[0]->size * ppm, cx, cy, 64, e);
    for (int flip = 0; flip < 2 && best < 0; flip++) {
        double sgn = flip ? -1 : 1;
        int used[64] = {0}, matched = 0;
        for (int k = 0; k < MARKS; k++) {
            double px, py, dmin = 35 * ppm; /* tilt of a few degrees over a page's length */
            int pick = -1;
            mmx[k] = g->marks[k]->x + g->marks[k]->size / 2;
            mmy[k] = g->marks[k]->y + g->marks[k]->size / 2;
            px = qcx + sgn * (mmx[k] - qx) * ppm;
            py = qcy + sgn * (mmy[k] - qy) * ppm;
            for (int i = 0; i < n; i++) {
                double d = hypot(cx[i] - px, cy[i] - py);
                if (!used[i] && d < dmin)
                    dmin = d, pick = i;
            }
            if (pick >= 0) {
                used[pick] = 1;
                sx[k] = cx[pick];
                sy[k] = cy[pick];
                matched++;
            }
        }
        if (matched == MARKS)
            best = flip;
    }
    if (best < 0 || fit_affine(mmx, mmy, sx, sy, MARKS, a) != 0) {
        ret = sk_err_set(e, SK_EINPUT,
                         "%s: the four registration marks in the page's corners were not all "
                         "found (%d candidates); scan the whole page",
                         path, n);
        goto out;
    }
    ret = SK_OK;
out:
    pixDestroy(&r);
    pixDestroy(&gr);
    pixDestroy(&b);
    pixDestroy(&mx);
    pixDestroy(&black);
    return ret;
}

/* One seal box: cut a margin around it, turn it upright, keep the inside of the frame. */
static int cut_box(PIX *pix32, const form_item *box, const double a[6], double angle, double ppm,
                   PIX **out)
{
    double cxm = box->x + box->w / 2, cym = box->y + box->h / 2;
    double cx = a[0] * cxm + a[1] * cym + a[2], cy = a[3] * cxm + a[4] * cym + a[5];
    double side = 1.5 * fmax(box->w, box->h) * ppm, px, py, rx, ry;
    int iw = (int)((box->w - 2 * BOX_INSET_MM) * ppm), ih = (int)((box->h - 2 * BOX_INSET_MM) * ppm);
    BOX *b1 = boxCreate((l_int32)(cx - side / 2), (l_int32)(cy - side / 2), (l_int32)side,
                        (l_int32)side);
    BOX *clipped = NULL, *b2 = NULL;
    PIX *big = NULL, *rot = NULL;
    l_int32 ox = 0, oy = 0;

    *out = NULL;
    if (b1 != NULL)
        big = pixClipRectangle(pix32, b1, &clipped);
    if (big != NULL && clipped != NULL && boxGetGeometry(clipped, &ox, &oy, NULL, NULL) == 0)
        rot = pixRotate(big, -angle, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0);
    if (rot != NULL) {
        /* pixRotate turns about the clip's centre, which is not the box's when the scan's
         * edge cut the clip: carry the box centre through the same rotation. */
        rx = pixGetWidth(big) / 2.0;
        ry = pixGetHeight(big) / 2.0;
        px = cx - ox - rx;
        py = cy - oy - ry;
        rx += px * cos(-angle) - py * sin(-angle);
        ry += px * sin(-angle) + py * cos(-angle);
        b2 = boxCreate((l_int32)(rx - iw / 2.0), (l_int32)(ry - ih / 2.0), iw, ih);
        *out = b2 ? pixClipRectangle(rot, b2, NULL) : NULL;
    }
    boxDestroy(&b1);
    boxDestroy(&b2);
    boxDestroy(&clipped);
    pixDestroy(&big);
    pixDestroy(&rot);
    return *out != NULL ? 0 : -1;
}

int form_extract(const char *template_dir, const char *scan_path, const char *expect_order,
                 size_t max_bytes, form_extract_result *r, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0;
    PIX *pix = NULL, *pix32 = NULL, *gray = NULL, *cut = NULL;
    form_template *t = NULL;
    char payload[256], name[64], *dot;
    double qcx = 0, qcy = 0, qside = 0, ppm, a[6];
    int w, h;
    geo g;
    int ret;

    memset(r, 0, sizeof(*r));
    if ((ret = sk_file_read(scan_path, max_bytes ? max_bytes : FORM_SCAN_MAX_BYTES, &data, &len,
                            e)) != SK_OK)
        goto out;
    if ((ret = pic_decode_bounded(data, len, scan_path, true, &pix, &w, &h, e)) != SK_OK)
        goto out;
    if ((pix32 = pixConvertTo32(pix)) == NULL || (gray = pixConvertRGBToLuminance(pix32)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory converting the image", scan_path);
        goto out;
    }
    if ((ret = read_qr(gray, scan_path, payload, sizeof(payload), &qcx, &qcy, &qside, e)) != SK_OK ||
        (ret = parse_payload(payload, scan_path, r, e)) != SK_OK)
        goto out;
    if (expect_order != NULL && strcmp(expect_order, r->order_number) != 0) {
        ret = sk_err_set(e, SK_EINPUT, "%s: the form is for order %s, not %s", scan_path,
                         r->order_number, expect_order);
        goto out;
    }
    /* "seal-collection.v1" -> the template it was printed from, and the same version. */
    snprintf(name, sizeof(name), "%s", r->form_id);
    if ((dot = strrchr(name, '.')) == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s: QR code: form id '%s' has no version", scan_path,
                         r->form_id);
        goto out;
    }
    *dot = '\0';
    if ((ret = form_template_load(template_dir, name, &t, e)) != SK_OK)
        goto out;
    if (strcmp(t->id, r->form_id) != 0) {
        ret = sk_err_set(e, SK_EINPUT, "%s: printed from template %s, but %s is %s", scan_path,
                         r->form_id, t->path, t->id);
        goto out;
    }
    if ((ret = template_geo(t, &g, e)) != SK_OK)
        goto out;
    ppm = qside / g.qr->size;
    if ((ret = locate_page(pix32, &g, scan_path, qcx, qcy, ppm, a, e)) != SK_OK)
        goto out;
    r->rotation_deg = atan2(a[3], a[0]) * 180.0 / M_PI;
    r->px_per_mm = sqrt(fabs(a[0] * a[4] - a[1] * a[3]));
    for (int k = 0; k < 2; k++) {
        pic_opts o;
        char who[128];
        pic_opts_init(&o, k == 0 ? PIC_OFFICIAL : PIC_LEGAL_REP);
        o.size_mm = k == 0 ? r->official_mm : r->legal_rep_mm;
        snprintf(who, sizeof(who), "%s: order %s: %s seal box", scan_path, r->order_number,
                 k == 0 ? "official" : "legal-rep");
        if (cut_box(pix32, g.box[k], a, atan2(a[3], a[0]), r->px_per_mm, &cut) != 0) {
            ret = sk_err_set(e, SK_EINPUT, "%s: outside the scan", who);
            goto out;
        }
        if ((ret = pic_convert_pix(cut, who, &o, &r->png[k], &r->png_len[k], &r->report[k], e)) !=
            SK_OK)
            goto out;
        pixDestroy(&cut);
    }
out:
    if (ret != SK_OK) {
        for (int k = 0; k < 2; k++) {
            free(r->png[k]);
            r->png[k] = NULL;
            r->png_len[k] = 0;
        }
    }
    pixDestroy(&cut);
    pixDestroy(&gray);
    pixDestroy(&pix32);
    pixDestroy(&pix);
    form_template_free(t);
    free(data);
    return ret;
}
