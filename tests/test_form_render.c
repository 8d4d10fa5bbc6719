/* Forms: every template renders, under 200 KB, for every example order (U+20BB7 included);
 * seal boxes print at the physical seal size; a character no installed font has is refused
 * with the field and code point; Chinese dates, amounts and algorithm names; template
 * mistakes are named. */
#include <leptonica/allheaders.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "templates/form.h"
#include "templates/form_int.h"
#include "tests/test.h"
#include "util/sk_file.h"

#define DPI 300
#define CHECK_STR(got, want) CHECK_MSG(strcmp((got), (want)) == 0, "'%s', expected '%s'", (got), (want))

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Distance in mm between the first dark pixels left and right (or up and down) of (x, y). */
static double span_mm(PIX *g, int x, int y, int dx, int dy)
{
    int a = 0, b = 0;
    l_uint32 v = 255;

    for (a = 1; a < 1000; a++)
        if (pixGetPixel(g, x - a * dx, y - a * dy, &v) != 0 || v < 200)
            break;
    for (b = 1; b < 1000; b++)
        if (pixGetPixel(g, x + b * dx, y + b * dy, &v) != 0 || v < 200)
            break;
    /* Edge to edge of a 0.5 pt line: take the line's centre on both sides. */
    return (a + b - 1 + 0.5 / 72.0 * DPI) * 25.4 / DPI;
}

static int write_file(const char *path, const char *text)
{
    sk_err e;
    return sk_file_write_atomic(path, text, strlen(text), 0644, &e);
}

int main(void)
{
    const char *src = getenv("SOURCE_DIR");
    const char *forms[] = {"application", "authorization", "seal-collection", "delivery"};
    char dir[] = "/tmp/test_form_render.XXXXXX", path[1024], cmd[2300], stdir[1024],
        orders[1024];
    station_config *st = NULL;
    order_file *of = NULL;
    sk_problems probs;
    form_template *t = NULL;
    form_vars *v = NULL;
    unsigned char *pdf = NULL;
    size_t pdf_len = 0;
    form_fonts *fonts = NULL;
    char buf[64];
    bool has_pin;
    form_request rq;
    ledger_issuance iss;
    ledger_seal seals[2];
    PIX *page = NULL;
    sk_err e;
    int rc;

    setMsgSeverity(L_SEVERITY_NONE);
    sk_problems_init(&probs);
    if (src == NULL || mkdtemp(dir) == NULL)
        return 2;
    snprintf(stdir, sizeof(stdir), "%s/examples", src);
    snprintf(orders, sizeof(orders), "%s/examples/orders.json", src);
    sk_err_clear(&e);
    CHECK(station_load(stdir, &st, &e) == SK_OK);
    CHECK(order_file_load(orders, &of, &probs, &e) == SK_OK);
    if (st == NULL || of == NULL)
        goto done;

    /* Fonts: GB 18030 names print, U+20BB7 (CJK Extension B) and Extension F included; a
     * character no installed font has (U+30000, Extension G) is refused by code point. */
    CHECK(form_fonts_new(&fonts, &e) == SK_OK);
    if (fonts == NULL)
        goto done;
    CHECK(form_fonts_check(fonts, "王吉 Li ¥220.00", "order X", "legal_rep.name", &e) == SK_OK);
    CHECK_MSG(form_fonts_check(fonts, "王𠮷", "order X", "legal_rep.name", &e) == SK_OK, "%s",
              e.msg);
    CHECK_MSG(form_fonts_check(fonts, "㐀䶵𪛖𫜴𬺡𮯠", "order X", "unit.name", &e) == SK_OK,
              "%s", e.msg);
    CHECK(form_fonts_check(fonts, "王\U00030000", "order X", "legal_rep.name", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "order X: legal_rep.name: character U+30000 cannot be printed");
    CHECK(form_fonts_check(fonts, "\xe7\x8e", "order X", "unit.name", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "order X: unit.name: not valid UTF-8");
    form_fonts_free(fonts);
    fonts = NULL;

    /* Chinese paper conventions: Beijing dates, yuan amounts, algorithms in words. */
    CHECK(form_zh_date_iso("2026-12-01T15:59:59Z", buf, sizeof(buf), &e) == SK_OK);
    CHECK_STR(buf, "2026年12月1日");
    CHECK(form_zh_date_iso("2026-12-01T16:00:00Z", buf, sizeof(buf), &e) == SK_OK);
    CHECK_STR(buf, "2026年12月2日");
    CHECK(form_zh_date_iso("2026-12-31T23:00:00Z", buf, sizeof(buf), &e) == SK_OK);
    CHECK_STR(buf, "2027年1月1日");
    CHECK(form_zh_date_iso("2026-12-01 16:00:00", buf, sizeof(buf), &e) == SK_EINPUT);
    /* An impossible date is refused, not rolled into March. */
    CHECK(form_zh_date_iso("2026-02-30T08:00:00Z", buf, sizeof(buf), &e) == SK_EINPUT);
    CHECK(form_zh_date_iso("2026-12-01T08:00:00+08:00", buf, sizeof(buf), &e) == SK_EINPUT);
    CHECK(form_zh_amount(22000, buf, sizeof(buf), &e) == SK_OK);
    CHECK_STR(buf, "¥220.00");
    CHECK(form_zh_amount(123456789, buf, sizeof(buf), &e) == SK_OK);
    CHECK_STR(buf, "¥1,234,567.89");
    CHECK(form_zh_amount(5, buf, sizeof(buf), &e) == SK_OK);
    CHECK_STR(buf, "¥0.05");
    CHECK_STR(form_zh_keyalg("ec-p256", buf, sizeof(buf)), "ECC P-256");
    CHECK_STR(form_zh_keyalg("rsa-2048", buf, sizeof(buf)), "RSA 2048");
    CHECK_STR(form_zh_keyalg("sm2", buf, sizeof(buf)), "SM2 国密算法");
    CHECK_STR(form_zh_keyalg("x-new", buf, sizeof(buf)), "x-new");

    /* The example order with the rare character gets its form. */
    memset(&rq, 0, sizeof(rq));
    rq.orders_path = orders;
    rq.st = st;
    rq.form = "application";
    rq.order_number = "JX2026-000101";
    rc = form_make(&rq, &pdf, &pdf_len, &has_pin, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    CHECK_MSG(pdf_len < 200 * 1024, "application for JX2026-000101 is %zu bytes", pdf_len);
    free(pdf);
    pdf = NULL;

    /* Every form renders. The time is printed for information only: speed is measured by
     * bench/forms.sh, since a timed assertion fails under valgrind or a loaded machine. */
    memset(&iss, 0, sizeof(iss));
    snprintf(iss.order_number, sizeof(iss.order_number), "JX2026-000103");
    snprintf(iss.token_serial, sizeof(iss.token_serial), "SH00004711");
    snprintf(iss.cert_serial, sizeof(iss.cert_serial), "5E0A1B2C3D");
    memset(seals, 0, sizeof(seals));
    snprintf(seals[0].es_id, sizeof(seals[0].es_id), "360100001");
    snprintf(seals[0].kind, sizeof(seals[0].kind), "official");
    snprintf(seals[1].es_id, sizeof(seals[1].es_id), "360100005");
    snprintf(seals[1].kind, sizeof(seals[1].kind), "legal-rep");
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        double t0, ms;
        CHECK(form_template_load(form_template_dir(NULL), forms[i], &t, &e) == SK_OK);
        CHECK(form_vars_new(&v, &e) == SK_OK);
        CHECK(form_vars_from_order(v, order_file_find(of, "JX2026-000103"), st, &e) == SK_OK);
        CHECK(form_vars_from_issuance(v, &iss, seals, 2, &e) == SK_OK);
        CHECK(form_vars_set(v, "waybill", "", &e) == SK_OK);
        CHECK(form_vars_set(v, "pin", "", &e) == SK_OK);
        t0 = now_ms();
        rc = form_render(t, v, "order JX2026-000103", &pdf, &pdf_len, &e);
        ms = now_ms() - t0;
        CHECK_MSG(rc == SK_OK, "%s: %s", forms[i], e.msg);
        CHECK_MSG(pdf_len < 200 * 1024, "%s is %zu bytes", forms[i], pdf_len);
        printf("%-16s %6zu bytes %6.2f ms\n", forms[i], pdf_len, ms);
        if (strcmp(forms[i], "seal-collection") == 0) {
            snprintf(path, sizeof(path), "%s/sc.pdf", dir);
            CHECK(sk_file_write_atomic(path, pdf, pdf_len, 0644, &e) == SK_OK);
        }
        free(pdf);
        pdf = NULL;
        form_vars_free(v);
        v = NULL;
        form_template_free(t);
        t = NULL;
    }

    /* The seal boxes at the station's physical sizes (ZFCG: 42 mm round, 18 mm square),
     * measured on the page as printed at 300 dpi. */
    snprintf(cmd, sizeof(cmd), "pdftoppm -r %d -gray -png -singlefile %s/sc.pdf %s/sc", DPI, dir,
             dir);
    CHECK(system(cmd) == 0);
    snprintf(path, sizeof(path), "%s/sc.png", dir);
    if ((page = pixRead(path)) != NULL) {
        PIX *g8 = pixConvertTo8(page, 0);
        pixDestroy(&page);
        page = g8;
    }
    CHECK(page != NULL && pixGetDepth(page) == 8);
    if (page != NULL && pixGetDepth(page) == 8) {
        int ox = (int)lround(60 * DPI / 25.4), sx = (int)lround(145 * DPI / 25.4),
            cy = (int)lround(124 * DPI / 25.4);
        double d1 = span_mm(page, ox, cy, 1, 0), d2 = span_mm(page, ox, cy, 0, 1);
        double s1 = span_mm(page, sx, cy, 1, 0), s2 = span_mm(page, sx, cy, 0, 1);
        printf("official circle %.2f x %.2f mm, legal rep square %.2f x %.2f mm\n", d1, d2, s1,
               s2);
        CHECK_MSG(fabs(d1 - 42) < 0.3 && fabs(d2 - 42) < 0.3, "circle %.2f x %.2f", d1, d2);
        CHECK_MSG(fabs(s1 - 18) < 0.3 && fabs(s2 - 18) < 0.3, "square %.2f x %.2f", s1, s2);
    }

    /* Template mistakes are named: unknown key, off the page, unknown variable. */
    snprintf(path, sizeof(path), "%s/bad1.json", dir);
    write_file(path, "{\"pages\": [{\"items\": [{\"type\": \"text\", \"x\": 10, \"y\": 10, "
                     "\"text\": \"a\", \"colour\": \"red\"}]}]}");
    CHECK(form_template_load(dir, "bad1", &t, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "bad1.json: page 1 item 1: unknown key 'colour'");
    snprintf(path, sizeof(path), "%s/bad2.json", dir);
    write_file(path, "{\"pages\": [{\"items\": [{\"type\": \"rect\", \"x\": 150, \"y\": 10, "
                     "\"w\": 80, \"h\": 10}]}]}");
    CHECK(form_template_load(dir, "bad2", &t, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "bad2.json: page 1 item 1: reaches off the A4 page");
    snprintf(path, sizeof(path), "%s/bad3.json", dir);
    write_file(path, "{\"pages\": [{\"items\": [{\"type\": \"text\", \"x\": 10, \"y\": 10, "
                     "\"text\": \"单位：${unit.nmae}\"}]}]}");
    CHECK(form_template_load(dir, "bad3", &t, &e) == SK_OK);
    CHECK(form_vars_new(&v, &e) == SK_OK);
    if (t != NULL && v != NULL) {
        CHECK(form_render(t, v, "order X", &pdf, &pdf_len, &e) == SK_EINPUT);
        CHECK_CONTAINS(e.msg, "bad3.json page 1 item 1: unknown variable ${unit.nmae}");
    }
    form_template_free(t);
    t = NULL;
    CHECK(form_template_load(dir, "../etc", &t, &e) == SK_EINPUT && t == NULL);

done:
    form_fonts_free(fonts);
    pixDestroy(&page);
    form_vars_free(v);
    form_template_free(t);
    free(pdf);
    order_file_free(of);
    sk_problems_free(&probs);
    station_free(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    TEST_DONE();
}
