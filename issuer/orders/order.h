/* Approved orders: the JSON order file (an array of orders, see docs/orders.md), parsing
 * and validation. Parsing keeps going after a bad order so that `sealkey order check`
 * can report every problem in a file at once. */
#ifndef SK_ORDER_H
#define SK_ORDER_H

#include <stdbool.h>
#include <stddef.h>

#include "issuer/station/station.h"
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

    /* Filled by order_file_load; zero for an order built in code. */
    size_t index;               /* 1-based position in the file, for "order #3" */
    size_t line;                /* line of the file where the order starts */
    size_t load_problems;       /* problems order_file_load reported for this order */
    unsigned long long load_bad; /* fields (bits of the field table in order.c) already
                                    reported by the loader, so validation stays quiet on them */
} order;

/* Limits of an order file; docs/orders.md explains them. */
#define ORDER_FILE_MAX_BYTES (64u * 1024 * 1024)
#define ORDER_MAX_BYTES (1024u * 1024) /* one order's JSON text */
#define ORDER_FILE_MAX_ORDERS 200000u
#define ORDER_SCAN_MAX_BYTES (1024u * 1024) /* the seed's limit for an uploaded scan */

typedef struct order_file {
    char *path;
    order *orders;
    size_t n;
} order_file;

/* Parse an order file. Malformed JSON (with line and column), non-UTF-8 bytes, a file over
 * the size limit or a top level that is not an array fail with SK_EINPUT. Per-order
 * problems (wrong types, unknown fields, empty or over-long strings, control characters,
 * unsafe scan paths) are added to probs and the order is still returned with what could be
 * read; the result is SK_OK. Missing required fields are left to order_validate, which
 * also serves orders that did not come from a file. The file is read as a stream, one order
 * at a time, so memory stays near the size of the orders themselves. Scan paths are stored
 * resolved against the file's directory. */
int order_file_load(const char *path, order_file **out, sk_problems *probs, sk_err *e);
void order_file_free(order_file *f);

const order *order_file_find(const order_file *f, const char *number);

/* An order file read one order at a time, for runs whose memory must not grow with the
 * file (sealkey batch). The same checks as order_file_load, met as the reading gets there:
 * a syntax error late in the file surfaces only then, so a caller that must refuse a bad
 * file before acting reads it through once, rewinds, and acts on the second pass. */
typedef struct order_stream order_stream;

int order_stream_open(const char *path, order_stream **out, sk_err *e);
/* The next order into *o (owned by the stream, valid until the next call), its loader
 * problems added to probs; *o is NULL after the last one, once the rest of the file has
 * been checked too. */
int order_stream_next(order_stream *s, const order **o, sk_problems *probs, sk_err *e);
/* Back to the first order; SK_EINPUT if the file changed since it was opened. */
int order_stream_rewind(order_stream *s, sk_err *e);
void order_stream_close(order_stream *s);
/* In a forked child about to exit: close the stream without fclose, whose sync would move
 * the file offset the child shares with its parent still reading the file. */
void order_stream_close_in_child(order_stream *s);

/* Order numbers seen in a stream, to find the ones a file repeats without keeping the
 * orders: 8 bytes per order (a 64-bit hash; a collision among 200,000 numbers is about
 * one in a billion, and would only make the two orders be refused as duplicates). */
typedef struct order_numbers {
    unsigned long long *h;
    size_t n, cap;
    bool sorted;
} order_numbers;

int order_numbers_add(order_numbers *ns, const char *number, sk_err *e);
/* How many times the file holds number (after the last add). */
size_t order_numbers_count(order_numbers *ns, const char *number);
void order_numbers_free(order_numbers *ns);

/* Check one order's content: identifiers' check digits, mobile, e-mail, required fields,
 * review status approved, project known to the station (st may be NULL to skip that).
 * Each problem is added to probs with the order's label (order_label), its index, the
 * field's path and the kind of problem; its text reads "order N: field: what is wrong".
 * Returns the number of problems added. */
size_t order_validate(const order *o, const station_config *st, sk_problems *probs);

/* Validate every order and also duplicate order numbers across the file. */
size_t order_file_validate(const order_file *f, const station_config *st, sk_problems *probs);

/* Like order_file_validate, for reports: load_probs is the list order_file_load filled for
 * f (or NULL), and each order's loader problems are copied into probs just before its own,
 * so a report reads order by order. Returns all problems of the file's orders, loader's
 * included, and sets *bad_orders (if not NULL) to how many orders have any. */
size_t order_file_check(const order_file *f, const station_config *st,
                        const sk_problems *load_probs, sk_problems *probs, size_t *bad_orders);

/* How messages name an order: its number when it is well formed, else "#index". */
void order_label(const order *o, char *buf, size_t buflen);

/* Identifier checks (GB 32100, GB 11643, mainland mobile). Each returns true when valid;
 * on false, why (if not NULL) receives a short explanation such as
 * "check character is 3, expected X". */
bool order_uscc_valid(const char *s, char *why, size_t whylen);
bool order_resident_id_valid(const char *s, char *why, size_t whylen);
bool order_mobile_valid(const char *s, char *why, size_t whylen);

/* The other formats of docs/orders.md, same contract. */
bool order_email_valid(const char *s, char *why, size_t whylen);
/* An 18-character USCC, or a legacy 15- or 20-character tax number of digits and A-Z. */
bool order_tax_number_valid(const char *s, char *why, size_t whylen);
/* 1-32 characters of A-Z, 0-9 and '-', starting with a letter or digit. */
bool order_number_valid(const char *s, char *why, size_t whylen);

/* The check character a 17-character USCC prefix needs, or '\0' if the prefix is not 17
 * characters of the code's alphabet; likewise for the first 17 digits of a resident ID. */
char order_uscc_check_char(const char *first17);
char order_resident_id_check_char(const char *first17);

#endif
