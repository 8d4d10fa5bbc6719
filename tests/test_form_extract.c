/* The seal-collection round trip: print the form, stamp synthetic seals into its boxes the way
 * an applicant would, scan it crooked, smaller and noisy as a JPEG, and get back the order
 * number and both seal pictures. Also: the wrong order's scan and a scan with no form. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "templates/form.h"
#include "tests/scangen/scangen.h"
#include "tests/test.h"
#include "util/sk_file.h"

#define DPI 300

static double mm_px(double mm)
{
    return mm * DPI / 25.4;
}

/* Seal ink multiplied into the page, as tests/scangen does for its own scans. */
static void stamp(PIX *page, const scangen_seal *s)
{
    PIX *a = scangen_seal_alpha(s, DPI);
    int aw = pixGetWidth(a), ah = pixGetHeight(a);
    int x0 = (int)lround(s->cx - aw / 2.0), y0 = (int)lround(s->cy - ah / 2.0);

    for (int y = 0; y < ah; y++)
        for (int x = 0; x < aw; x++) {
            l_uint32 v, pv;
            int r, g, b;
            double f;
            pixGetPixel(a, x, y, &v);
            if (v == 0 || pixGetPixel(page, x0 + x, y0 + y, &pv) != 0)
                continue;
            f = v / 255.0 * 0.9;
            extractRGBValues(pv, &r, &g, &b);
            composeRGBPixel((int)(r * (1 - f) + r * 215 / 255.0 * f),
                            (int)(g * (1 - f) + g * 25 / 255.0 * f),
                            (int)(b * (1 - f) + b * 35 / 255.0 * f), &pv);
            pixSetPixel(page, x0 + x, y0 + y, pv);
        }
    pixDestroy(&a);
}

static void add_noise(PIX *pix, uint32_t seed)
{
    int w = pixGetWidth(pix), h = pixGetHeight(pix);

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            l_uint32 pv;
            int r, g, b, n;
            seed = seed * 1664525u + 1013904223u;
            n = (int)(seed >> 28) - 8;
            pixGetPixel(pix, x, y, &pv);
            extractRGBValues(pv, &r, &g, &b);
            r = r + n < 0 ? 0 : r + n > 255 ? 255 : r + n;
            g = g + n < 0 ? 0 : g + n > 255 ? 255 : g + n;
            b = b + n < 0 ? 0 : b + n > 255 ? 255 : b + n;
            composeRGBPixel(r, g, b, &pv);
            pixSetPixel(pix, x, y, pv);
        }
}

int main(void)
{
    const char *src = getenv("SOURCE_DIR");
    char dir[] = "/tmp/test_form_extract.XXXXXX", path[1024], cmd[2300], stdir[1024], orders[1024];
    station_config *st = NULL;
    form_request rq;
    unsigned char *pdf = NULL;
    size_t pdf_len = 0;
    bool has_pin;
    form_extract_result r;
    PIX *page = NULL, *p32 = NULL, *rot = NULL, *scan = NULL;
    sk_err e;
    int rc;

    setMsgSeverity(L_SEVERITY_NONE);
    if (src == NULL || mkdtemp(dir) == NULL)
        return 2;
    snprintf(stdir, sizeof(stdir), "%s/examples", src);
    snprintf(orders, sizeof(orders), "%s/examples/orders.json", src);
    sk_err_clear(&e);
    CHECK(station_load(stdir, &st, &e) == SK_OK);
    memset(&rq, 0, sizeof(rq));
    rq.form = "seal-collection";
    rq.template_dir = NULL;
    rq.orders_path = orders;
    rq.order_number = "JX2026-000103"; /* project ZFCG: 42 mm official, 18 mm legal rep */
    rq.st = st;
    rc = form_make(&rq, &pdf, &pdf_len, &has_pin, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    snprintf(path, sizeof(path), "%s/form.pdf", dir);
    CHECK(sk_file_write_atomic(path, pdf, pdf_len, 0644, &e) == SK_OK);
    snprintf(cmd, sizeof(cmd), "pdftoppm -r %d -png -singlefile %s/form.pdf %s/page", DPI, dir, dir);
    CHECK(system(cmd) == 0);
    snprintf(path, sizeof(path), "%s/page.png", dir);
    page = pixRead(path);
    CHECK(page != NULL);
    if (page == NULL)
        goto done;
    p32 = pixConvertTo32(page);

    /* The boxes of templates/seal-collection.json, where an applicant stamps. */
    scangen_seal off = {.kind = SCANGEN_OFFICIAL, .size_mm = 42, .rotate_deg = 8,
                        .cx = mm_px(20 + 40), .cy = mm_px(84 + 40)};
    scangen_seal lr = {.kind = SCANGEN_LEGAL_REP, .size_mm = 18, .rotate_deg = 0,
                       .cx = mm_px(115 + 30) + 12, .cy = mm_px(94 + 30) - 10};
    stamp(p32, &off);
    stamp(p32, &lr);
    /* Fed crooked, scanned at 90 %, grainy, saved as JPEG. */
    rot = pixRotate(p32, 2.5 * M_PI / 180, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0);
    scan = pixScale(rot, 0.9, 0.9);
    add_noise(scan, 7);
    snprintf(path, sizeof(path), "%s/scan.jpg", dir);
    CHECK(scangen_write(scan, path, 80) == 0);

    rc = form_extract(form_template_dir(NULL), path, "JX2026-000103", 0, &r, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    CHECK(strcmp(r.order_number, "JX2026-000103") == 0);
    CHECK(strcmp(r.form_id, "seal-collection.v1") == 0);
    CHECK(r.official_mm == 42 && r.legal_rep_mm == 18);
    CHECK_MSG(fabs(r.rotation_deg - 2.5) < 0.5, "rotation %.2f", r.rotation_deg);
    CHECK_MSG(fabs(r.px_per_mm - DPI / 25.4 * 0.9) < 0.2, "px/mm %.2f", r.px_per_mm);
    CHECK(r.png[0] != NULL && r.png_len[0] > 1000 && r.report[0].accepted);
    CHECK(r.png[1] != NULL && r.png_len[1] > 1000 && r.report[1].accepted);
    /* Each box gave its own seal: round in the official box, square in the other. */
    CHECK_MSG(r.report[0].roundness > 0.85, "official roundness %.2f", r.report[0].roundness);
    CHECK_MSG(r.report[1].squareness > 0.85, "legal rep squareness %.2f", r.report[1].squareness);
    printf("official: %s\nlegal rep: %s\n", r.report[0].decision, r.report[1].decision);
    form_extract_result_clear(&r);

    /* The scan of order 103's form offered as order 101's. */
    rc = form_extract(form_template_dir(NULL), path, "JX2026-000101", 0, &r, &e);
    CHECK(rc == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "for order JX2026-000103, not JX2026-000101");
    form_extract_result_clear(&r);

    /* A seal scan that is not a form at all. */
    snprintf(path, sizeof(path), "%s/examples/scans/JX2026-000101-official.jpg", src);
    rc = form_extract(form_template_dir(NULL), path, NULL, 0, &r, &e);
    CHECK(rc == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "no seal-collection QR code");
    form_extract_result_clear(&r);

done:
    pixDestroy(&page);
    pixDestroy(&p32);
    pixDestroy(&rot);
    pixDestroy(&scan);
    free(pdf);
    station_free(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    TEST_DONE();
}
