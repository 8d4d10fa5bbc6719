/* Rendering a template with libharu. Chinese runs use the built-in SimSun/SimHei with
 * GBK-EUC-H (not embedded: a form is a few KB), ASCII runs use Helvetica because the CJK
 * fonts print ASCII full-width. See docs/forms.md for why this and not an embedded font. */
#include <hpdf.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "templates/form_int.h"

#define PDF_MAX_BYTES (8u * 1024 * 1024)
#define TEXT_MAX_BYTES 8192
#define MIN_FONT_PT 6.0

typedef struct render {
    HPDF_Doc pdf;
    HPDF_Page page;
    HPDF_Font song, hei, latin;
    const form_template *tmpl;
    const form_vars *vars;
    const char *who;
    char where[160];
    HPDF_STATUS hpdf_err, hpdf_detail;
} render;

static void hpdf_error(HPDF_STATUS err, HPDF_STATUS detail, void *user)
{
    render *r = user;

    /* Keep the first: later ones are usually consequences. */
    if (r->hpdf_err == 0) {
        r->hpdf_err = err;
        r->hpdf_detail = detail;
    }
}

static double X(double mm)
{
    return mm * FORM_PT_PER_MM;
}

static double Y(double mm)
{
    return (FORM_PAGE_H_MM - mm) * FORM_PT_PER_MM;
}

/* Expand ${name} and convert to GBK, each variable's value on its own so that an error names
 * the order field that holds the character. */
static int expand(render *r, const char *tmpl, char **out, sk_err *e)
{
    char *buf = NULL, *part = NULL, name[64], chunk[TEXT_MAX_BYTES];
    size_t used = 0, cap = TEXT_MAX_BYTES * 2;
    const char *p = tmpl;
    int ret = SK_OK;

    *out = NULL;
    if ((buf = malloc(cap + 1)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", r->where);
    while (*p != '\0') {
        const char *open = strstr(p, "${"), *close, *value;
        size_t lit = open != NULL ? (size_t)(open - p) : strlen(p);

        if (lit > 0) {
            if (lit >= sizeof(chunk)) {
                ret = sk_err_set(e, SK_EINPUT, "%s: text too long", r->where);
                goto out;
            }
            memcpy(chunk, p, lit);
            chunk[lit] = '\0';
            if ((ret = form_gbk(chunk, r->where, "text", &part, e)) != SK_OK)
                goto out;
        } else {
            close = strchr(open, '}');
            if (close == NULL || (size_t)(close - open - 2) >= sizeof(name) || close == open + 2) {
                ret = sk_err_set(e, SK_EINPUT, "%s: unterminated or empty ${...}", r->where);
                goto out;
            }
            memcpy(name, open + 2, (size_t)(close - open - 2));
            name[close - open - 2] = '\0';
            value = strcmp(name, "form.id") == 0 ? r->tmpl->id : form_vars_get(r->vars, name);
            if (value == NULL) {
                ret = sk_err_set(e, SK_EINPUT, "%s: unknown variable ${%s}", r->where, name);
                goto out;
            }
            if ((ret = form_gbk(value, r->who, name, &part, e)) != SK_OK)
                goto out;
            lit = (size_t)(close + 1 - p);
        }
        if (used + strlen(part) > cap) {
            ret = sk_err_set(e, SK_EINPUT, "%s: text too long", r->where);
            goto out;
        }
        memcpy(buf + used, part, strlen(part));
        used += strlen(part);
        free(part);
        part = NULL;
        p += lit;
    }
    buf[used] = '\0';
    *out = buf;
    buf = NULL;
out:
    free(part);
    free(buf);
    return ret;
}

/* Bytes of the GBK character at s: 2 for a lead byte 0x81-0xFE with a trail, else 1. */
static size_t gbk_char_len(const unsigned char *s)
{
    return s[0] >= 0x81 && s[0] <= 0xFE && s[1] != 0 ? 2 : 1;
}

/* The length of the run of same-script characters at s (at most n bytes). */
static size_t run_len(const char *s, size_t n, int *cjk)
{
    size_t i = 0;

    *cjk = (unsigned char)s[0] >= 0x80;
    while (i < n && ((unsigned char)s[i] >= 0x80) == *cjk)
        i += gbk_char_len((const unsigned char *)s + i);
    return i > n ? n : i;
}

static double text_width(render *r, const form_item *it, const char *s, size_t n, double size)
{
    char tmp[TEXT_MAX_BYTES];
    double w = 0;

    while (n > 0) {
        int cjk;
        size_t k = run_len(s, n, &cjk);
        HPDF_Font f = cjk ? (it->hei ? r->hei : r->song) : r->latin;
        memcpy(tmp, s, k);
        tmp[k] = '\0';
        w += HPDF_Font_TextWidth(f, (const HPDF_BYTE *)tmp, (HPDF_UINT)k).width * size / 1000.0;
        s += k;
        n -= k;
    }
    return w;
}

/* One line of mixed text at (x, y) in points, baseline. */
static void show(render *r, const form_item *it, double x, double y, const char *s, size_t n,
                 double size)
{
    char tmp[TEXT_MAX_BYTES];

    HPDF_Page_BeginText(r->page);
    HPDF_Page_MoveTextPos(r->page, x, y);
    while (n > 0) {
        int cjk;
        size_t k = run_len(s, n, &cjk);
        HPDF_Page_SetFontAndSize(r->page, cjk ? (it->hei ? r->hei : r->song) : r->latin, size);
        memcpy(tmp, s, k);
        tmp[k] = '\0';
        HPDF_Page_ShowText(r->page, tmp);
        s += k;
        n -= k;
    }
    HPDF_Page_EndText(r->page);
}

/* A line in a box of width w mm (0: no limit), shrunk to fit rather than cut off: a
 * long address must still be all there. */
static void line_at(render *r, const form_item *it, double x_mm, double y_mm, double w_mm,
                    const char *s)
{
    size_t n = strlen(s);
    double size = it->size, w = text_width(r, it, s, n, size), x = X(x_mm);

    if (w_mm > 0 && w > X(w_mm) && w > 0) {
        size = size * X(w_mm) / w;
        if (size < MIN_FONT_PT)
            size = MIN_FONT_PT;
        w = text_width(r, it, s, n, size);
    }
    if (it->align == FORM_ALIGN_CENTER)
        x -= w / 2;
    else if (it->align == FORM_ALIGN_RIGHT)
        x -= w;
    show(r, it, x, Y(y_mm), s, n, size);
}

/* GBK ，。、；：）》” and ！？: never at the start of a line. */
static int closing_punct(const unsigned char *s)
{
    static const unsigned char p[][2] = {{0xA3, 0xAC}, {0xA1, 0xA3}, {0xA1, 0xA2}, {0xA3, 0xBB},
                                         {0xA3, 0xBA}, {0xA3, 0xA9}, {0xA1, 0xB7}, {0xA1, 0xB1},
                                         {0xA3, 0xA1}, {0xA3, 0xBF}};

    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        if (s[0] == p[i][0] && s[1] == p[i][1])
            return 1;
    return 0;
}

static void paragraph(render *r, const form_item *it, const char *s)
{
    double y = it->y, max = X(it->w);

    while (*s != '\0') {
        size_t n = 0, last_space = 0;
        /* Take characters while they fit; an explicit \n ends the line. */
        while (s[n] != '\0' && s[n] != '\n') {
            size_t k = gbk_char_len((const unsigned char *)s + n);
            if (n > 0 && text_width(r, it, s, n + k, it->size) > max)
                break;
            n += k;
            if (s[n - 1] == ' ')
                last_space = n;
        }
        /* Closing punctuation stays with the line it closes, even a little past the edge. */
        while (s[n] != '\0' && closing_punct((const unsigned char *)s + n))
            n += 2;
        /* Do not split an ASCII word (an e-mail, a URL) when a space allows it. */
        if (s[n] != '\0' && s[n] != '\n' && (unsigned char)s[n] < 0x80 && s[n] != ' ' &&
            last_space > 0)
            n = last_space;
        show(r, it, X(it->x), Y(y), s, n, it->size);
        s += n;
        if (*s == '\n')
            s++;
        y += it->leading;
    }
}

static void stroke_style(render *r, const form_item *it)
{
    HPDF_Page_SetLineWidth(r->page, it->width);
    HPDF_Page_SetGrayStroke(r->page, it->gray);
    HPDF_Page_SetGrayFill(r->page, it->gray);
    if (it->dash > 0) {
        HPDF_UINT16 d[2] = {(HPDF_UINT16)(X(it->dash) + 0.5), (HPDF_UINT16)(X(it->dash) + 0.5)};
        if (d[0] == 0)
            d[0] = d[1] = 1;
        HPDF_Page_SetDash(r->page, d, 2, 0);
    } else {
        HPDF_Page_SetDash(r->page, NULL, 0, 0);
    }
}

static int qr(render *r, const form_item *it, sk_err *e)
{
    char payload[256];
    const char *num = form_vars_get(r->vars, "order.number");
    const char *off = form_vars_get(r->vars, "seal.official_mm");
    const char *lr = form_vars_get(r->vars, "seal.legal_rep_mm");
    const char *id = r->tmpl->id;
    QRcode *q = NULL;
    double m;
    int n;

    n = snprintf(payload, sizeof(payload), FORM_QR_MAGIC "|%s|%s|%s|%s", id,
                 num ? num : "", off ? off : "", lr ? lr : "");
    if (n < 0 || (size_t)n >= sizeof(payload))
        return sk_err_set(e, SK_EINPUT, "%s: QR payload too long", r->where);
    if ((q = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: libqrencode failed", r->where);
    m = it->size / q->width;
    HPDF_Page_SetGrayFill(r->page, 0);
    for (int y = 0; y < q->width; y++) {
        for (int x = 0; x < q->width;) {
            int x0 = x;
            while (x < q->width && (q->data[y * q->width + x] & 1))
                x++;
            /* One rectangle per run of dark modules keeps the page small and crisp. */
            if (x > x0)
                HPDF_Page_Rectangle(r->page, X(it->x + x0 * m), Y(it->y + (y + 1) * m),
                                    X((x - x0) * m), X(m));
            else
                x++;
        }
    }
    HPDF_Page_Fill(r->page);
    QRcode_free(q);
    return SK_OK;
}

static int seal_box(render *r, const form_item *it, sk_err *e)
{
    const char *v = form_vars_get(r->vars, it->kind == PIC_OFFICIAL ? "seal.official_mm"
                                                                      : "seal.legal_rep_mm");
    char *end;
    double mm, cx = it->x + it->w / 2, cy = it->y + it->h / 2;

    mm = v != NULL ? strtod(v, &end) : 0;
    if (v == NULL || *end != '\0' || mm < 10 || mm > it->w || mm > it->h)
        return sk_err_set(e, SK_EINPUT, "%s: seal size '%s' mm does not fit the %gx%g mm box",
                          r->where, v ? v : "", it->w, it->h);
    stroke_style(r, it);
    HPDF_Page_Rectangle(r->page, X(it->x), Y(it->y + it->h), X(it->w), X(it->h));
    HPDF_Page_Stroke(r->page);
    /* The guide: the seal's physical outline, light so that ink over it still reads. */
    HPDF_Page_SetLineWidth(r->page, 0.5);
    HPDF_Page_SetGrayStroke(r->page, 0.55);
    HPDF_Page_SetDash(r->page, NULL, 0, 0);
    if (it->kind == PIC_OFFICIAL)
        HPDF_Page_Circle(r->page, X(cx), Y(cy), X(mm / 2));
    else
        HPDF_Page_Rectangle(r->page, X(cx - mm / 2), Y(cy + mm / 2), X(mm), X(mm));
    HPDF_Page_Stroke(r->page);
    return SK_OK;
}

static int draw_item(render *r, const form_item *it, sk_err *e)
{
    char *text = NULL, *label = NULL;
    const char *c;
    int ret = SK_OK;

    if (it->cond_if != NULL && ((c = form_vars_get(r->vars, it->cond_if)) == NULL || *c == '\0'))
        return SK_OK;
    if (it->cond_unless != NULL && (c = form_vars_get(r->vars, it->cond_unless)) != NULL &&
        *c != '\0')
        return SK_OK;
    if (it->text != NULL && (ret = expand(r, it->text, &text, e)) != SK_OK)
        goto out;
    if (it->label != NULL && (ret = expand(r, it->label, &label, e)) != SK_OK)
        goto out;
    HPDF_Page_SetGrayFill(r->page, it->gray);
    switch (it->type) {
    case FORM_IT_TEXT:
        line_at(r, it, it->x, it->y, it->w, text);
        break;
    case FORM_IT_PARA:
        paragraph(r, it, text);
        break;
    case FORM_IT_FIELD: {
        /* Label cell and value cell; text sits on a baseline a third from the bottom. */
        form_item plain = *it;
        double base = it->y + it->h - it->h / 3 + 0.3;
        plain.align = FORM_ALIGN_LEFT;
        plain.gray = 0;
        HPDF_Page_SetGrayFill(r->page, 0);
        stroke_style(r, &plain);
        HPDF_Page_Rectangle(r->page, X(it->x), Y(it->y + it->h), X(it->w), X(it->h));
        if (it->label_w > 0) {
            HPDF_Page_MoveTo(r->page, X(it->x + it->label_w), Y(it->y));
            HPDF_Page_LineTo(r->page, X(it->x + it->label_w), Y(it->y + it->h));
        }
        HPDF_Page_Stroke(r->page);
        if (label != NULL)
            line_at(r, &plain, it->x + 2, base, it->label_w - 4, label);
        line_at(r, &plain, it->x + it->label_w + 2, base, it->w - it->label_w - 4, text);
        break;
    }
    case FORM_IT_LINE:
        stroke_style(r, it);
        HPDF_Page_MoveTo(r->page, X(it->x), Y(it->y));
        HPDF_Page_LineTo(r->page, X(it->x2), Y(it->y2));
        HPDF_Page_Stroke(r->page);
        break;
    case FORM_IT_RECT:
        stroke_style(r, it);
        HPDF_Page_Rectangle(r->page, X(it->x), Y(it->y + it->h), X(it->w), X(it->h));
        if (it->fill)
            HPDF_Page_Fill(r->page);
        else
            HPDF_Page_Stroke(r->page);
        break;
    case FORM_IT_MARK:
        HPDF_Page_SetGrayFill(r->page, 0);
        HPDF_Page_Rectangle(r->page, X(it->x), Y(it->y + it->size), X(it->size), X(it->size));
        HPDF_Page_Fill(r->page);
        break;
    case FORM_IT_QR:
        ret = qr(r, it, e);
        break;
    case FORM_IT_SEAL_BOX:
        ret = seal_box(r, it, e);
        break;
    }
out:
    free(text);
    free(label);
    return ret;
}

int form_render(const form_template *t, const form_vars *v, const char *who, unsigned char **pdf,
                size_t *pdf_len, sk_err *e)
{
    render r;
    unsigned char *buf = NULL;
    HPDF_UINT32 size;
    int ret = SK_OK;

    *pdf = NULL;
    *pdf_len = 0;
    memset(&r, 0, sizeof(r));
    r.tmpl = t;
    r.vars = v;
    r.who = who;
    if ((r.pdf = HPDF_New(hpdf_error, &r)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: libharu cannot start a document", t->path);
    HPDF_SetCompressionMode(r.pdf, HPDF_COMP_ALL);
    HPDF_UseCNSFonts(r.pdf);
    HPDF_UseCNSEncodings(r.pdf);
    r.song = HPDF_GetFont(r.pdf, "SimSun", "GBK-EUC-H");
    r.hei = HPDF_GetFont(r.pdf, "SimHei", "GBK-EUC-H");
    r.latin = HPDF_GetFont(r.pdf, "Helvetica", NULL);
    if (r.song == NULL || r.hei == NULL || r.latin == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: libharu has no SimSun/SimHei GBK-EUC-H font",
                         t->path);
        goto out;
    }
    for (size_t p = 0; p < t->n_pages; p++) {
        r.page = HPDF_AddPage(r.pdf);
        HPDF_Page_SetSize(r.page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
        for (size_t i = 0; i < t->pages[p].n; i++) {
            snprintf(r.where, sizeof(r.where), "%s.json page %zu item %zu", t->name, p + 1, i + 1);
            if ((ret = draw_item(&r, &t->pages[p].items[i], e)) != SK_OK)
                goto out;
        }
    }
    if (r.hpdf_err == 0 && HPDF_SaveToStream(r.pdf) == HPDF_OK) {
        size = HPDF_GetStreamSize(r.pdf);
        if (size == 0 || size > PDF_MAX_BYTES || (buf = malloc(size)) == NULL) {
            ret = sk_err_set(e, SK_EINTERNAL, "%s: PDF of %u bytes", t->path, (unsigned)size);
            goto out;
        }
        HPDF_ResetStream(r.pdf);
        if (HPDF_ReadFromStream(r.pdf, buf, &size) != HPDF_OK && r.hpdf_err == 0)
            r.hpdf_err = 1;
    }
    if (r.hpdf_err != 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: libharu error 0x%04X (detail %u)", t->path,
                         (unsigned)r.hpdf_err, (unsigned)r.hpdf_detail);
        goto out;
    }
    *pdf = buf;
    *pdf_len = size;
    buf = NULL;
out:
    free(buf);
    HPDF_Free(r.pdf);
    return ret;
}
