/* Approved orders: the JSON order file (an array of orders, see docs/orders.md), parsing
 * and validation. Parsing keeps going after a bad order so that `sealkey order check`
 * can report every problem in a file at once. */
#ifndef SK_ORDER_H
#define SK_ORDER_H

#include <stdbool.h>
#include <stddef.h>

#include "issuer/station.h"
#include "util/sk_err.h"
#include "util/sk_problems.h"

typedef struct order {
    char *number;        /* order_number, e.g. "JX2026-000101" */
    char *project_code;
    char *unit_name;
    char *uscc;          /* unified social credit code, 18 chars, GB 32100 */
    char *legal_rep_name;
    char *legal_rep_id;  /* resident ID number, GB 11643 */
    char *handler_name;
    char *handler_id;
    char *handler_mobile;
    char *invoice_title;
    char *invoice_tax_number;
    char *invoice_email;
    char *recipient_name;
    char *recipient_mobile;
    char *recipient_address;
    long payment_amount_fen; /* 220 CNY = 22000 */
    char *payment_channel;   /* "wechat" | "alipay" */
    char *payment_reference; /* transaction id, may be NULL */
    char *paper_tracking_number;
    char *review_status;     /* must be "approved" to issue */
    char *reviewer;          /* may be NULL */
    char *seal_official_scan;  /* path, resolved against the order file's directory; may be NULL */
    char *seal_legal_rep_scan; /* likewise */
} order;

typedef struct order_file {
    char *path;
    order *orders;
    size_t n;
} order_file;

/* Parse an order file. Malformed JSON (with line and column), non-UTF-8 bytes, a file over
 * the size limit or a top level that is not an array fail with SK_EINPUT. Per-order
 * problems (wrong types, unknown or missing fields, over-long strings) are added to probs
 * and the order is still returned with what could be read; the result is SK_OK. */
int order_file_load(const char *path, order_file **out, sk_problems *probs, sk_err *e);
void order_file_free(order_file *f);

const order *order_file_find(const order_file *f, const char *number);

/* Check one order's content: identifiers' check digits, mobile, e-mail, required fields,
 * review status approved, project known to the station (st may be NULL to skip that).
 * Each problem is added to probs as "order N: field: what is wrong". Returns the number
 * of problems added. */
size_t order_validate(const order *o, const station_config *st, sk_problems *probs);

/* Validate every order and also duplicate order numbers across the file. */
size_t order_file_validate(const order_file *f, const station_config *st, sk_problems *probs);

/* Identifier checks (GB 32100, GB 11643, mainland mobile). Each returns true when valid;
 * on false, why (if not NULL) receives a short explanation such as
 * "check character is 3, expected X". */
bool order_uscc_valid(const char *s, char *why, size_t whylen);
bool order_resident_id_valid(const char *s, char *why, size_t whylen);
bool order_mobile_valid(const char *s, char *why, size_t whylen);

#endif
