/* An audit record: its event names, building a record's line and hash, and checking a line
 * read back against the fixed schema and its own hash (docs/audit.md). */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer/records/audit_int.h"
#include "util/sk_name.h"

#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

const char audit_zero_hash[HASH_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* The fields of a record, all required: a fixed schema makes an added or dropped field
 * an edit that verify reports. */
static const char *const str_fields[] = {"time",   "station", "operator",    "event",
                                         "order",  "token_serial", "cert_serial", "result",
                                         "detail", "prev",    "hash"};
#define N_FIELDS (sizeof(str_fields) / sizeof(str_fields[0]) + 1) /* + seq */

/* SHA-256 of the record's canonical form without "hash". */
static int record_hash(json_t *rec, char hex[HASH_HEX], sk_err *e)
{
    json_t *copy = NULL;
    char *canon = NULL;
    unsigned char md[32];
    unsigned int mdlen = 0;
    int ret = SK_EINTERNAL;

    if ((copy = json_copy(rec)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    json_object_del(copy, "hash");
    if ((canon = json_dumps(copy, DUMP_FLAGS)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "audit record: cannot serialise");
        goto out;
    }
    if (EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "audit record: SHA-256");
        goto out;
    }
    for (unsigned int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    ret = SK_OK;
out:
    free(canon);
    json_decref(copy);
    return ret;
}

bool audit_hash_eq(const char *a, const char *b)
{
    return strlen(a) == HASH_HEX - 1 && strlen(b) == HASH_HEX - 1 &&
           CRYPTO_memcmp(a, b, HASH_HEX - 1) == 0;
}

/* Check one parsed line against the schema and its own hash; fill r (pointing into j). */
int audit_record_check(const char *log, size_t line, json_t *j, const char *text,
                       audit_record *r, sk_err *e)
{
    const char **dst[] = {&r->time,        &r->station,     &r->operator_name, &r->event,
                          &r->order,       &r->token_serial, &r->cert_serial,  &r->result,
                          &r->detail,      &r->prev,        &r->hash};
    json_t *seq = json_object_get(j, "seq");
    char hex[HASH_HEX], at[32], where[80];
    char *again = NULL;
    int ret;

    memset(r, 0, sizeof(*r));
    r->line = line;
    /* line 0: the appender's look at the last line, whose number it does not know. */
    if (line > 0)
        snprintf(at, sizeof(at), "line %zu", line);
    else
        snprintf(at, sizeof(at), "the last line");
    if (!json_is_object(j))
        return sk_err_set(e, SK_EFAIL, "%s: %s: not a JSON object", log, at);
    if (!json_is_integer(seq) || json_integer_value(seq) < 1)
        return sk_err_set(e, SK_EFAIL, "%s: %s: seq missing or not a positive integer", log, at);
    r->seq = (unsigned long long)json_integer_value(seq);
    snprintf(where, sizeof(where), "record %llu (%s)", r->seq, at);
    for (size_t i = 0; i < N_FIELDS - 1; i++) {
        json_t *v = json_object_get(j, str_fields[i]);
        if (!json_is_string(v))
            return sk_err_set(e, SK_EFAIL, "%s: %s: field '%s' missing or not a string "
                              "(edited?)", log, where, str_fields[i]);
        *dst[i] = json_string_value(v);
    }
    if (json_object_size(j) != N_FIELDS)
        return sk_err_set(e, SK_EFAIL, "%s: %s: has fields beyond the record's %zu (edited?)",
                          log, where, N_FIELDS);
    if ((ret = record_hash(j, hex, e)) != SK_OK)
        return ret;
    if (!audit_hash_eq(hex, r->hash))
        return sk_err_set(e, SK_EFAIL, "%s: %s: hash does not match its content (edited?)", log,
                          where);
    /* Byte for byte what append wrote: catches edits that leave the parsed values alone
     * (spacing, key order, escapes), which the hash alone would not see. */
    again = json_dumps(j, DUMP_FLAGS);
    if (again == NULL || strcmp(again, text) != 0)
        ret = sk_err_set(e, SK_EFAIL, "%s: %s: not in the form the log writes (edited?)", log,
                         where);
    free(again);
    return ret;
}

static const char *const ev_names[AUDIT_EV_COUNT] = {
    [AUDIT_EV_CA_INIT] = "ca_init",
    [AUDIT_EV_SERIAL_RESERVED] = "serial_reserved",
    [AUDIT_EV_TOKEN_INITIALISED] = "token_initialised",
    [AUDIT_EV_KEY_GENERATED] = "key_generated",
    [AUDIT_EV_CERT_ISSUED] = "cert_issued",
    [AUDIT_EV_SEAL_MADE] = "seal_made",
    [AUDIT_EV_WRITTEN] = "written",
    [AUDIT_EV_VERIFIED] = "verified",
    [AUDIT_EV_REVOKED] = "revoked",
    [AUDIT_EV_EXPORTED] = "exported",
    [AUDIT_EV_ISSUANCE_FAILED] = "issuance_failed",
    [AUDIT_EV_CRL_ISSUED] = "crl_issued",
    [AUDIT_EV_SHIPPED] = "shipped",
    [AUDIT_EV_CERT_HELD] = "cert_held",
    [AUDIT_EV_CERT_RELEASED] = "cert_released",
    [AUDIT_EV_TOKEN_LOST] = "token_lost",
    [AUDIT_EV_PIN_UNBLOCKED] = "pin_unblocked",
    [AUDIT_EV_CERT_REQUESTED] = "cert_requested",
};

const char *audit_ev_name(audit_ev ev)
{
    return (unsigned)ev < AUDIT_EV_COUNT ? ev_names[ev] : NULL;
}

int audit_ev_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < AUDIT_EV_COUNT; i++)
        if (strcmp(ev_names[i], name) == 0)
            return i;
    return -1;
}

static int set_str(json_t *o, const char *key, const char *v, size_t max, sk_err *e)
{
    json_t *s;

    if (v == NULL)
        v = "";
    if (strlen(v) > max)
        return sk_err_set(e, SK_EINPUT, "audit record: %s is longer than %zu bytes", key, max);
    if ((s = json_string(v)) == NULL)
        return sk_err_set(e, SK_EINPUT, "audit record: %s is not valid UTF-8", key);
    if (json_object_set_new(o, key, s) != 0)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    return SK_OK;
}

static const char *result_name(audit_result r)
{
    return r == AUDIT_OK ? "ok" : r == AUDIT_FAILED ? "failed" : NULL;
}

/* An enum holds whatever int a caller cast into it. */
int audit_event_check(const audit_event *ev, sk_err *e)
{
    if (audit_ev_name(ev->event) == NULL)
        return sk_err_set(e, SK_EINPUT, "audit record: event %d is not one the log records",
                          (int)ev->event);
    if (result_name(ev->result) == NULL)
        return sk_err_set(e, SK_EINPUT, "audit record %s: result must be 'ok' or 'failed'",
                          audit_ev_name(ev->event));
    return SK_OK;
}

/* now: the time to stamp (the database's, for a shared ledger), or NULL for this host's. */
int audit_record_build(const char *station_id, const char *operator_name,
                       const audit_event *ev, unsigned long long seq, const char *prev,
                       const char *db_now, char **line, char hash[HASH_HEX], sk_err *e)
{
    json_t *o = json_object();
    char now[32];
    struct tm tm;
    time_t t = time(NULL);
    char *text = NULL;
    size_t len;
    int ret = SK_EINTERNAL;

    *line = NULL;
    if (o == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    if (db_now != NULL)
        snprintf(now, sizeof(now), "%s", db_now);
    else if (gmtime_r(&t, &tm) == NULL ||
             strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "audit record: cannot format the time");
        goto out;
    }
    if (json_object_set_new(o, "seq", json_integer((json_int_t)seq)) != 0 ||
        (ret = set_str(o, "time", now, AUDIT_FIELD_MAX, e)) != SK_OK ||
        (ret = set_str(o, "station", station_id, AUDIT_FIELD_MAX, e)) != SK_OK ||
        (ret = audit_operator_check(operator_name, "audit record: operator", e)) != SK_OK ||
        (ret = set_str(o, "operator", operator_name, AUDIT_FIELD_MAX, e)) != SK_OK ||
        (ret = set_str(o, "event", audit_ev_name(ev->event), AUDIT_FIELD_MAX, e)) != SK_OK ||
        (ret = set_str(o, "order", ev->order, AUDIT_FIELD_MAX, e)) != SK_OK ||
        (ret = set_str(o, "token_serial", ev->token_serial, AUDIT_FIELD_MAX, e)) != SK_OK ||
        (ret = set_str(o, "cert_serial", ev->cert_serial, AUDIT_FIELD_MAX, e)) != SK_OK ||
        (ret = set_str(o, "result", result_name(ev->result), AUDIT_FIELD_MAX, e)) != SK_OK ||
        (ret = set_str(o, "detail", ev->detail, AUDIT_DETAIL_MAX, e)) != SK_OK ||
        (ret = set_str(o, "prev", prev, HASH_HEX, e)) != SK_OK)
        goto out;
    if ((ret = record_hash(o, hash, e)) != SK_OK ||
        (ret = set_str(o, "hash", hash, HASH_HEX, e)) != SK_OK)
        goto out;
    if ((text = json_dumps(o, DUMP_FLAGS)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "audit record: cannot serialise");
        goto out;
    }
    /* Escaped control characters keep a record on one line; the size bounds verify's read. */
    len = strlen(text);
    if (len > AUDIT_LINE_MAX) {
        ret = sk_err_set(e, SK_EINPUT, "audit record %s: %zu bytes, the limit is %d",
                         audit_ev_name(ev->event), len, AUDIT_LINE_MAX);
        goto out;
    }
    if ((*line = malloc(len + 2)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    memcpy(*line, text, len);
    (*line)[len] = '\n';
    (*line)[len + 1] = '\0';
    ret = SK_OK;
out:
    free(text);
    json_decref(o);
    return ret;
}

_Static_assert(AUDIT_OPERATOR_MAX < sizeof(((ledger_issuance *)0)->operator_name),
               "the ledger keeps an operator's name whole");
_Static_assert(AUDIT_OPERATOR_MAX <= AUDIT_FIELD_MAX, "an audit record holds the name");

int audit_operator_check(const char *operator_name, const char *what, sk_err *e)
{
    char why[256];
    size_t len = operator_name != NULL ? strlen(operator_name) : 0;

    if (len == 0)
        return sk_err_set(e, SK_EINPUT, "%s: the operator's name is empty", what);
    if (len > AUDIT_OPERATOR_MAX)
        return sk_err_set(e, SK_EINPUT, "%s: the operator's name is %zu bytes, at most %d "
                          "(UTF-8; a Chinese character takes 3)", what, len, AUDIT_OPERATOR_MAX);
    if (!sk_name_valid(operator_name, why, sizeof(why)))
        return sk_err_set(e, SK_EINPUT, "%s: the operator's name: %s", what, why);
    return SK_OK;
}
