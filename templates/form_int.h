/* Inside the forms layer: the parsed template, shared by the renderer and the extractor. */
#ifndef SK_FORM_INT_H
#define SK_FORM_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "templates/form.h"

#define FORM_PAGE_W_MM 210.0
#define FORM_PAGE_H_MM 297.0
#define FORM_PT_PER_MM (72.0 / 25.4)
#define FORM_QR_MAGIC "SKF1"

/* The forms' fonts, as fontconfig family lists: a Song (serif) face for text, a Hei (sans)
 * face for headings ("hei": true), each falling back to HanaMin for the CJK extensions Noto
 * CJK lacks, then to whatever fontconfig finds. Chinese (zh-cn) glyph forms. Debian packages
 * in scripts/packages.d/forms.txt; docs/forms.md, "Fonts". */
#define FORM_FONT_SERIF "Liberation Serif,AR PL UMing CN,HanaMinA,HanaMinB,serif"
#define FORM_FONT_SANS "Liberation Sans,WenQuanYi Zen Hei,HanaMinA,HanaMinB,sans-serif"
#define FORM_FONT_LANG "zh-cn"

typedef enum {
    FORM_IT_TEXT,     /* one line at (x, y) = baseline start; shrunk to fit w if given */
    FORM_IT_PARA,     /* text wrapped into width w, lines `leading` mm apart */
    FORM_IT_FIELD,    /* a table row: frame, label cell of label_w, value */
    FORM_IT_LINE,     /* (x, y) -> (x2, y2) */
    FORM_IT_RECT,     /* frame or filled box */
    FORM_IT_QR,       /* the form's QR code (form id, order, seal sizes), size mm square */
    FORM_IT_MARK,     /* a registration mark: a filled black square of size mm */
    FORM_IT_SEAL_BOX, /* a frame w x h and, centred, the seal's physical outline */
} form_item_type;

typedef enum { FORM_ALIGN_LEFT, FORM_ALIGN_CENTER, FORM_ALIGN_RIGHT } form_align;

typedef struct form_item {
    form_item_type type;
    double x, y, w, h, x2, y2; /* mm from the page's top-left */
    double size;               /* font size pt; QR and mark side mm */
    double width;              /* line width pt */
    double gray;               /* 0 black .. 1 white */
    double dash;               /* dash length mm, 0 solid */
    double label_w, leading;   /* mm */
    double indent;             /* paragraph: first-line indent, mm (Chinese: two characters) */
    form_align align;
    bool fill, hei;            /* filled rect; the Hei (sans) face instead of the Song face */
    char *text, *label;
    char *cond_if, *cond_unless; /* drawn only if the variable is non-empty / empty */
    pic_kind kind;               /* seal box */
} form_item;

typedef struct form_page {
    form_item *items;
    size_t n;
} form_page;

struct form_template {
    char *path;
    char *name;
    char id[64]; /* name.vN */
    int version;
    char *title;
    form_page *pages;
    size_t n_pages;
};

/* Chinese paper conventions (form_zh.c), each into out[out_len]; SK_EINPUT on a value they
 * cannot read. */
/* "2026-12-01T16:30:00Z" (the ledger's ISO 8601 UTC) -> "2026年12月2日", Beijing time. */
int form_zh_date_iso(const char *iso, char *out, size_t out_len, sk_err *e);
/* A time_t -> its Beijing date, "2026年12月1日". */
int form_zh_date(long long t, char *out, size_t out_len, sk_err *e);
/* 22000 fen -> "¥220.00", thousands grouped: "¥12,345.00". */
int form_zh_amount(long long fen, char *out, size_t out_len, sk_err *e);
/* A key algorithm's name in words an applicant reads: "ec-p256" -> "ECC P-256",
 * "rsa-2048" -> "RSA 2048", "sm2" -> "SM2 国密算法"; an unknown name is returned as is. */
const char *form_zh_keyalg(const char *name, char *buf, size_t buf_len);

#endif
