/* Rendering a template: cairo's PDF surface draws the page and embeds a subset of each font it
 * used, pango lays out the text (line breaking by Unicode rules, so 。，）never starts a
 * line) and fontconfig picks, per character, a font that has it. Every character is checked
 * against the installed fonts' coverage first (form_font.c): one no font has is refused with
 * its code point instead of printing as a box. See docs/forms.md for why not libharu.
 *
 * Units: cairo's PDF surface works in points with the origin at the top-left, so a template's
 * mm from the top-left convert by one factor. */
#include <cairo-pdf.h>
#include <cairo.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "templates/form_int.h"

#define PDF_MAX_BYTES (8u * 1024 * 1024)
#define TEXT_MAX_BYTES 8192
#define MIN_FONT_PT 6.0

typedef struct pdf_buf {
    unsigned char *data;
    size_t len, cap;
} pdf_buf;

typedef struct render {
    cairo_surface_t *surface;
    cairo_t *cr;
    PangoFontMap *fontmap;
    PangoContext *pango;
    PangoLayout *layout;
    PangoFontDescription *serif, *sans;
    form_fonts *fonts;
    pdf_buf out;
    const form_template *tmpl;
    const form_vars *vars;
    const char *who;
    char where[160];
} render;

static double X(double mm)
{
    return mm * FORM_PT_PER_MM;
}

/* cairo's stream callback: the PDF into memory, bounded. */
static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
    pdf_buf *b = closure;
    unsigned char *grown;
    size_t cap;

    if (len > PDF_MAX_BYTES - b->len)
        return CAIRO_STATUS_WRITE_ERROR;
    if (b->len + len > b->cap) {
        cap = b->cap == 0 ? 64 * 1024 : b->cap;
        while (cap < b->len + len)
            cap *= 2;
        if ((grown = realloc(b->data, cap)) == NULL)
            return CAIRO_STATUS_NO_MEMORY;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return CAIRO_STATUS_SUCCESS;
}

/* Append n bytes of s to buf[*used], bounded by TEXT_MAX_BYTES. */
static int append(render *r, char *buf, size_t *used, const char *s, size_t n, sk_err *e)
{
    if (n > TEXT_MAX_BYTES - *used)
        return sk_err_set(e, SK_EINPUT, "%s: text too long", r->where);
    memcpy(buf + *used, s, n);
    *used += n;
    buf[*used] = '\0';
    return SK_OK;
}

/* Expand ${name}, checking each part against the fonts on its own so that an error names the
 * order field (or the template item) holding the character. */
static int expand(render *r, const char *tmpl, char **out, sk_err *e)
{
    char *buf = NULL, name[64], chunk[TEXT_MAX_BYTES + 1];
    size_t used = 0;
    const char *p = tmpl;
    int ret = SK_OK;

    *out = NULL;
    if ((buf = malloc(TEXT_MAX_BYTES + 1)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", r->where);
    buf[0] = '\0';
    while (*p != '\0') {
        const char *open = strstr(p, "${"), *close, *value;
        size_t lit = open != NULL ? (size_t)(open - p) : strlen(p);

        if (lit > 0) {
            if (lit > TEXT_MAX_BYTES) {
                ret = sk_err_set(e, SK_EINPUT, "%s: text too long", r->where);
                goto out;
            }
            memcpy(chunk, p, lit);
            chunk[lit] = '\0';
            if ((ret = form_fonts_check(r->fonts, chunk, r->where, "text", e)) != SK_OK ||
                (ret = append(r, buf, &used, chunk, lit, e)) != SK_OK)
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
            if ((ret = form_fonts_check(r->fonts, value, r->who, name, e)) != SK_OK ||
                (ret = append(r, buf, &used, value, strlen(value), e)) != SK_OK)
                goto out;
            lit = (size_t)(close + 1 - p);
        }
        p += lit;
    }
    *out = buf;
    buf = NULL;
out:
    free(buf);
    return ret;
}

static void gray_source(render *r, double gray)
{
    cairo_set_source_rgb(r->cr, gray, gray, gray);
}

/* The layout holds s in the item's face at size pt, on one line or wrapped at width pt. */
static void layout_set(render *r, const form_item *it, const char *s, double size, double width)
{
    PangoFontDescription *fd = it->hei ? r->sans : r->serif;

    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(r->layout, fd);
    pango_layout_set_width(r->layout, width > 0 ? (int)(width * PANGO_SCALE) : -1);
    pango_layout_set_indent(r->layout, 0);
    pango_layout_set_single_paragraph_mode(r->layout, width <= 0);
    pango_layout_set_text(r->layout, s, -1);
}

static double layout_width(render *r)
{
    PangoRectangle logical;

    pango_layout_get_extents(r->layout, NULL, &logical);
    return (double)logical.width / PANGO_SCALE;
}

/* A line in a box of width w mm (0: no limit), shrunk to fit rather than cut off: a long
 * address must still be all there. (x_mm, y_mm) is the baseline's start (or centre, end). */
static void line_at(render *r, const form_item *it, double x_mm, double y_mm, double w_mm,
                    const char *s)
{
    double size = it->size, w, x = X(x_mm);

    layout_set(r, it, s, size, 0);
    w = layout_width(r);
    if (w_mm > 0 && w > X(w_mm)) {
        size = size * X(w_mm) / w;
        if (size < MIN_FONT_PT)
            size = MIN_FONT_PT;
        layout_set(r, it, s, size, 0);
        w = layout_width(r);
    }
    if (it->align == FORM_ALIGN_CENTER)
        x -= w / 2;
    else if (it->align == FORM_ALIGN_RIGHT)
        x -= w;
    cairo_move_to(r->cr, x, X(y_mm));
    pango_cairo_show_layout_line(r->cr, pango_layout_get_line_readonly(r->layout, 0));
}

/* Wrapped into w mm; the first baseline at y, each next one `leading` mm lower. */
static void paragraph(render *r, const form_item *it, const char *s)
{
    PangoLayoutIter *iter;
    PangoRectangle logical;
    int i = 0;

    layout_set(r, it, s, it->size, X(it->w));
    /* Indents the first line of each paragraph (after each \n), as Chinese prose does. */
    pango_layout_set_indent(r->layout, (int)(X(it->indent) * PANGO_SCALE));
    iter = pango_layout_get_iter(r->layout);
    do {
        /* The line's own x: the indent, for a paragraph's first line. */
        pango_layout_iter_get_line_extents(iter, NULL, &logical);
        cairo_move_to(r->cr, X(it->x) + (double)logical.x / PANGO_SCALE,
                      X(it->y + i * it->leading));
        pango_cairo_show_layout_line(r->cr, pango_layout_iter_get_line_readonly(iter));
        i++;
    } while (pango_layout_iter_next_line(iter));
    pango_layout_iter_free(iter);
}

static void stroke_style(render *r, const form_item *it)
{
    double d = X(it->dash);

    cairo_set_line_width(r->cr, it->width);
    gray_source(r, it->gray);
    cairo_set_dash(r->cr, &d, it->dash > 0 ? 1 : 0, 0);
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
    gray_source(r, 0);
    for (int y = 0; y < q->width; y++) {
        for (int x = 0; x < q->width;) {
            int x0 = x;
            while (x < q->width && (q->data[y * q->width + x] & 1))
                x++;
            /* One rectangle per run of dark modules, all in one path filled once: small,
             * and no hairline seams between modules when a viewer anti-aliases. */
            if (x > x0)
                cairo_rectangle(r->cr, X(it->x + x0 * m), X(it->y + y * m), X((x - x0) * m),
                                X(m));
            else
                x++;
        }
    }
    cairo_fill(r->cr);
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
    cairo_rectangle(r->cr, X(it->x), X(it->y), X(it->w), X(it->h));
    cairo_stroke(r->cr);
    /* The guide: the seal's physical outline, light so that ink over it still reads. */
    cairo_set_line_width(r->cr, 0.5);
    gray_source(r, 0.55);
    cairo_set_dash(r->cr, NULL, 0, 0);
    if (it->kind == PIC_OFFICIAL) {
        cairo_new_sub_path(r->cr);
        cairo_arc(r->cr, X(cx), X(cy), X(mm / 2), 0, 2 * M_PI);
    } else {
        cairo_rectangle(r->cr, X(cx - mm / 2), X(cy - mm / 2), X(mm), X(mm));
    }
    cairo_stroke(r->cr);
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
    gray_source(r, it->gray);
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
        stroke_style(r, &plain);
        cairo_rectangle(r->cr, X(it->x), X(it->y), X(it->w), X(it->h));
        if (it->label_w > 0) {
            cairo_move_to(r->cr, X(it->x + it->label_w), X(it->y));
            cairo_line_to(r->cr, X(it->x + it->label_w), X(it->y + it->h));
        }
        cairo_stroke(r->cr);
        if (label != NULL)
            line_at(r, &plain, it->x + 2, base, it->label_w - 4, label);
        line_at(r, &plain, it->x + it->label_w + 2, base, it->w - it->label_w - 4, text);
        break;
    }
    case FORM_IT_LINE:
        stroke_style(r, it);
        cairo_move_to(r->cr, X(it->x), X(it->y));
        cairo_line_to(r->cr, X(it->x2), X(it->y2));
        cairo_stroke(r->cr);
        break;
    case FORM_IT_RECT:
        stroke_style(r, it);
        cairo_rectangle(r->cr, X(it->x), X(it->y), X(it->w), X(it->h));
        if (it->fill)
            cairo_fill(r->cr);
        else
            cairo_stroke(r->cr);
        break;
    case FORM_IT_MARK:
        gray_source(r, 0);
        cairo_rectangle(r->cr, X(it->x), X(it->y), X(it->size), X(it->size));
        cairo_fill(r->cr);
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

/* Text laid out for print: no hinting (outlines as designed, positions not rounded to a
 * screen's pixels), Chinese glyph forms. */
static int render_open(render *r, sk_err *e)
{
    cairo_font_options_t *fo = NULL;
    int ret = SK_OK;

    r->surface = cairo_pdf_surface_create_for_stream(pdf_write, &r->out, X(FORM_PAGE_W_MM),
                                                     X(FORM_PAGE_H_MM));
    if (cairo_surface_status(r->surface) != CAIRO_STATUS_SUCCESS)
        return sk_err_set(e, SK_EINTERNAL, "%s: cairo cannot start a PDF: %s", r->tmpl->path,
                          cairo_status_to_string(cairo_surface_status(r->surface)));
    cairo_pdf_surface_restrict_to_version(r->surface, CAIRO_PDF_VERSION_1_5);
    cairo_pdf_surface_set_metadata(r->surface, CAIRO_PDF_METADATA_TITLE, r->tmpl->id);
    cairo_pdf_surface_set_metadata(r->surface, CAIRO_PDF_METADATA_CREATOR, "sealkey");
    r->cr = cairo_create(r->surface);
    /* Our own font map, not pango's per-thread default: nothing outlives the call. */
    r->fontmap = pango_cairo_font_map_new();
    r->pango = pango_font_map_create_context(r->fontmap);
    fo = cairo_font_options_create();
    r->serif = pango_font_description_from_string(FORM_FONT_SERIF);
    r->sans = pango_font_description_from_string(FORM_FONT_SANS);
    if (cairo_status(r->cr) != CAIRO_STATUS_SUCCESS || r->pango == NULL || fo == NULL ||
        r->serif == NULL || r->sans == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: cannot set up cairo and pango", r->tmpl->path);
        goto out;
    }
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    pango_cairo_context_set_font_options(r->pango, fo);
    pango_context_set_round_glyph_positions(r->pango, FALSE);
    pango_context_set_language(r->pango, pango_language_from_string(FORM_FONT_LANG));
    pango_cairo_update_context(r->cr, r->pango);
    if ((r->layout = pango_layout_new(r->pango)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: cannot set up pango", r->tmpl->path);
        goto out;
    }
    pango_layout_set_wrap(r->layout, PANGO_WRAP_WORD_CHAR);
out:
    if (fo != NULL)
        cairo_font_options_destroy(fo);
    return ret;
}

static void render_close(render *r)
{
    if (r->layout != NULL)
        g_object_unref(r->layout);
    if (r->pango != NULL)
        g_object_unref(r->pango);
    if (r->fontmap != NULL)
        g_object_unref(r->fontmap);
    if (r->serif != NULL)
        pango_font_description_free(r->serif);
    if (r->sans != NULL)
        pango_font_description_free(r->sans);
    if (r->cr != NULL)
        cairo_destroy(r->cr);
    if (r->surface != NULL)
        cairo_surface_destroy(r->surface);
    form_fonts_free(r->fonts);
    free(r->out.data);
}

int form_render(const form_template *t, const form_vars *v, const char *who, unsigned char **pdf,
                size_t *pdf_len, sk_err *e)
{
    render r;
    cairo_status_t st;
    int ret = SK_OK;

    *pdf = NULL;
    *pdf_len = 0;
    memset(&r, 0, sizeof(r));
    r.tmpl = t;
    r.vars = v;
    r.who = who;
    if ((ret = form_fonts_new(&r.fonts, e)) != SK_OK || (ret = render_open(&r, e)) != SK_OK)
        goto out;
    for (size_t p = 0; p < t->n_pages; p++) {
        for (size_t i = 0; i < t->pages[p].n; i++) {
            snprintf(r.where, sizeof(r.where), "%s.json page %zu item %zu", t->name, p + 1, i + 1);
            if ((ret = draw_item(&r, &t->pages[p].items[i], e)) != SK_OK)
                goto out;
        }
        cairo_show_page(r.cr);
    }
    /* Finishing writes the fonts (subset) and the trailer through pdf_write. */
    cairo_surface_finish(r.surface);
    st = cairo_status(r.cr);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(r.surface);
    if (st != CAIRO_STATUS_SUCCESS || r.out.len == 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: cairo: %s%s", t->path, cairo_status_to_string(st),
                         st == CAIRO_STATUS_WRITE_ERROR ? " (PDF larger than 8 MiB?)" : "");
        goto out;
    }
    *pdf = r.out.data;
    *pdf_len = r.out.len;
    r.out.data = NULL;
out:
    render_close(&r);
    return ret;
}
