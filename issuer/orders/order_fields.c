#include "issuer/orders/order_fields.h"

#include <stdio.h>

#define F(obj, key, member, max, req, kind) {obj, key, offsetof(order, member), max, req, kind}

/* Limits: names of people 64 characters, of organisations 100 (long registered names such
 * as "...建设工程有限责任公司南昌分公司" are common), addresses 200. Identifier fields are
 * given room beyond their real length so that a wrong length is reported as such. */
const order_field order_fields[] = {
    F(NULL, "order_number", number, 32, true, OK_NUMBER),
    F(NULL, "project_code", project_code, 16, true, OK_PROJECT),
    F("unit", "name", unit_name, 100, true, OK_TEXT),
    F("unit", "uscc", uscc, 64, true, OK_USCC),
    F("legal_rep", "name", legal_rep_name, 64, true, OK_TEXT),
    F("legal_rep", "id_number", legal_rep_id, 64, true, OK_RESID),
    F("handler", "name", handler_name, 64, true, OK_TEXT),
    F("handler", "id_number", handler_id, 64, true, OK_RESID),
    F("handler", "mobile", handler_mobile, 32, true, OK_MOBILE),
    F("invoice", "title", invoice_title, 100, true, OK_TEXT),
    F("invoice", "tax_number", invoice_tax_number, 64, true, OK_TAXNO),
    F("invoice", "email", invoice_email, 254, true, OK_EMAIL),
    F("recipient", "name", recipient_name, 64, true, OK_TEXT),
    F("recipient", "mobile", recipient_mobile, 32, true, OK_MOBILE),
    F("recipient", "address", recipient_address, 200, true, OK_TEXT),
    F("payment", "amount_cny", payment_amount_fen, 16, true, OK_AMOUNT),
    F("payment", "channel", payment_channel, 16, true, OK_CHANNEL),
    F("payment", "reference", payment_reference, 64, false, OK_TEXT),
    F(NULL, "paper_tracking_number", paper_tracking_number, 32, true, OK_TRACKING),
    F("review", "status", review_status, 16, true, OK_STATUS),
    F("review", "reviewer", reviewer, 64, false, OK_TEXT),
    F("seal_scans", "official", seal_official_scan, 255, true, OK_SCAN),
    F("seal_scans", "legal_rep", seal_legal_rep_scan, 255, false, OK_SCAN),
};

const size_t order_n_fields = sizeof(order_fields) / sizeof(order_fields[0]);

const char *const order_objects[] = {"unit",    "legal_rep", "handler", "invoice",    "recipient",
                                     "payment", "review",    "seal_scans", NULL};

void order_field_path(const order_field *f, char *buf, size_t buflen)
{
    if (f->obj != NULL)
        snprintf(buf, buflen, "%s.%s", f->obj, f->key);
    else
        snprintf(buf, buflen, "%s", f->key);
}

/* order.load_bad has one bit per field. */
_Static_assert(sizeof(order_fields) / sizeof(order_fields[0]) <= 64, "load_bad is 64 bits");

size_t order_utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}
