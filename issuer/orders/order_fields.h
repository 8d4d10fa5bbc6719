/* Internal to issuer/order*.c: the one table of order fields that the loader and the
 * validator share, so a field's JSON path, limit and rule live in one place. */
#ifndef SK_ORDER_FIELDS_H
#define SK_ORDER_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "issuer/orders/order.h"

enum order_kind {
    OK_TEXT,     /* free text: only the generic string rules */
    OK_NUMBER,   /* order number */
    OK_PROJECT,  /* project code, known to the station */
    OK_USCC,
    OK_RESID,
    OK_MOBILE,
    OK_EMAIL,
    OK_TAXNO,
    OK_CHANNEL,  /* wechat | alipay */
    OK_STATUS,   /* must be approved */
    OK_TRACKING, /* courier waybill number */
    OK_SCAN,     /* seal scan path */
    OK_AMOUNT,   /* payment amount, stored in payment_amount_fen */
};

typedef struct order_field {
    const char *obj;    /* enclosing object, NULL for a top-level field */
    const char *key;
    size_t off;         /* offset of the char * member (unused for OK_AMOUNT) */
    unsigned max_chars; /* UTF-8 characters */
    bool required;
    enum order_kind kind;
} order_field;

extern const order_field order_fields[];
extern const size_t order_n_fields;
/* The objects an order has besides its top-level strings. */
extern const char *const order_objects[];

/* The identifier and format rules of issuer/orders/order_ids.c for a field of kind OK_NUMBER,
 * OK_USCC, OK_RESID, OK_MOBILE, OK_EMAIL or OK_TAXNO: SK_PROB_NONE when s is valid (and for
 * any other kind), else the kind of problem, explained in why as order_uscc_valid does. */
enum sk_problem_code order_id_check(enum order_kind kind, const char *s, char *why, size_t whylen);

/* "handler.mobile" */
void order_field_path(const order_field *f, char *buf, size_t buflen);
/* Characters, not bytes: a full-width digit typed by an IME is one character to the user. */
size_t order_utf8_chars(const char *s);

static inline char **order_slot(order *o, const order_field *f)
{
    return (char **)(void *)((char *)o + f->off);
}

static inline const char *order_value(const order *o, const order_field *f)
{
    return *(char *const *)(const void *)((const char *)o + f->off);
}

/* The amount loaded from a file when payment.amount_cny is absent. */
#define ORDER_AMOUNT_ABSENT (-1L)

#endif
