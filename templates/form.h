/* Forms: the PDFs applicants download and the papers that go out with a token.
 *
 * A form is a template description (templates/<name>.json, see docs/forms.md) rendered from a
 * set of variables (order fields, station, ledger data) with cairo's PDF surface, pango for the
 * text and fontconfig for a font that covers each character. The fonts are embedded as
 * subsets, so any character an installed font has prints, U+20BB7 and the other CJK
 * extensions included, and a form stays a few tens of kilobytes. A character no installed
 * font has is refused with the order, the field and the code point. The seal-collection form
 * carries registration marks and a QR code so that form_extract() can find its seal boxes in a
 * scan.
 *
 * Nothing here prints or exits. */
#ifndef SK_FORM_H
#define SK_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "issuer/records/ledger.h"
#include "issuer/orders/order.h"
#include "issuer/station/station.h"
#include "seal/pic.h"
#include "util/sk_err.h"

/* --- variables: ${name} in a template's texts --- */
typedef struct form_vars form_vars;

int form_vars_new(form_vars **out, sk_err *e);
/* Values are wiped when replaced and on free: a PIN may be among them. */
void form_vars_free(form_vars *v);
int form_vars_set(form_vars *v, const char *name, const char *value, sk_err *e);
/* NULL when the variable is not set. */
const char *form_vars_get(const form_vars *v, const char *name);

/* order.number, unit.*, legal_rep.*, handler.*, invoice.*, recipient.*, payment.*,
 * project.code/name, cert.type, seal.official_mm, seal.legal_rep_mm, station.id, ca.name,
 * form.date, in Chinese conventions: dates 2026年12月1日 (Beijing time), amounts ¥220.00,
 * algorithms in words, the CA's Chinese name (station.json ca.name_zh, else ca.name).
 * st may not be NULL: the order's project must be one of the station's. */
int form_vars_from_order(form_vars *v, const order *o, const station_config *st, sk_err *e);

/* token.serial, token.label, cert.serial, cert.not_before, cert.not_after (Beijing dates),
 * seal.ids */
int form_vars_from_issuance(form_vars *v, const ledger_issuance *iss, const ledger_seal *seals,
                            size_t n_seals, sk_err *e);

/* --- templates --- */
typedef struct form_template form_template;

/* The template directory: opt if given, else $SEALKEY_TEMPLATES, else NULL: the installed
 * templates, <datadir>/sealkey/templates beside the binary (util/sk_datadir.h). */
const char *form_template_dir(const char *opt);

/* Load DIR/NAME.json (DIR NULL: the installed templates; NAME: application, authorization,
 * seal-collection, delivery, or any other file staff add). Unknown keys, wrong types and positions
 * off the page are refused with the file and the item's index. */
int form_template_load(const char *dir, const char *name, form_template **out, sk_err *e);
void form_template_free(form_template *t);

/* "seal-collection.v1": the form id printed in the QR code. */
const char *form_template_id(const form_template *t);

/* Render to a PDF in memory (free() *pdf). who labels errors, e.g. "order JX2026-000101".
 * SK_EINPUT names the template item or the variable and, for a character no installed font
 * has, its code point. */
int form_render(const form_template *t, const form_vars *v, const char *who, unsigned char **pdf,
                size_t *pdf_len, sk_err *e);

/* --- fonts: what the forms can print --- */
typedef struct form_fonts form_fonts;

/* The coverage of every installed font the forms may use (fontconfig). */
int form_fonts_new(form_fonts **out, sk_err *e);
void form_fonts_free(form_fonts *f);
/* SK_OK if every character of utf8 prints; else SK_EINPUT "WHO: FIELD: character U+XXXX cannot
 * be printed: no installed font has it ...". */
int form_fonts_check(const form_fonts *f, const char *utf8, const char *who, const char *field,
                     sk_err *e);

/* --- one form for one order, as the CLI makes it --- */
typedef struct form_request {
    const char *form;          /* template name: application, authorization, ... */
    const char *template_dir;  /* NULL for form_template_dir(NULL) */
    const char *orders_path;
    const char *order_number;
    const station_config *st;
    const char *waybill;       /* delivery: courier waybill number, or NULL for a blank */
} form_request;

/* Load the order, gather its variables (for "delivery" also the ledger's latest verified or
 * written issuance, its seals, and the user PIN from the order's PIN mailer when
 * st->print_user_pin), render. *has_pin tells the caller to write the PDF 0600. */
int form_make(const form_request *rq, unsigned char **pdf, size_t *pdf_len, bool *has_pin,
              sk_err *e);

/* The user PIN from a PIN mailer file (the "user PIN:" line) into pin (wiped on error). */
int form_read_pin_mailer(const char *path, char *pin, size_t pin_len, sk_err *e);

/* --- the seal-collection form, back from the scanner --- */
#define FORM_SCAN_MAX_BYTES (16u * 1024 * 1024)

typedef struct form_extract_result {
    char order_number[64];
    char form_id[64];
    int official_mm, legal_rep_mm; /* the seal sizes printed on the form */
    double rotation_deg;           /* the page's tilt in the scan */
    double px_per_mm;              /* the scan's resolution */
    unsigned char *png[2];         /* [0] official, [1] legal rep: seal pictures (RGBA PNG) */
    size_t png_len[2];
    pic_report report[2];
} form_extract_result;

/* Read a scanned, stamped seal-collection form (JPEG, PNG, BMP, TIFF; at most max_bytes, 0 for
 * FORM_SCAN_MAX_BYTES): decode the QR code, locate the four registration marks, cut out each
 * seal box (deskewed) and run it through the seal-picture pipeline. If expect_order is not
 * NULL a QR code naming another order is refused (SK_EINPUT). */
int form_extract(const char *template_dir, const char *scan_path, const char *expect_order,
                 size_t max_bytes, form_extract_result *r, sk_err *e);
void form_extract_result_clear(form_extract_result *r);

#endif
