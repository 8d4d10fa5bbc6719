/* The ledger's reads: issuances, serials, seals, certificates (issuer/records/ledger.h). */
#include <stdlib.h>
#include <string.h>

#include "issuer/records/ledger_int.h"

static void row_to_issuance(ledger *l, const struct ledger_result *r, int i, ledger_issuance *v)
{
    memset(v, 0, sizeof(*v));
    v->id = ledger_num(l, r, i, 0);
    ledger_copy(l, r, i, 1, v->order_number, sizeof(v->order_number));
    v->step = (iss_step)ledger_step_from_name(ledger_text(l, r, i, 2));
    ledger_copy(l, r, i, 3, v->station_id, sizeof(v->station_id));
    ledger_copy(l, r, i, 4, v->operator_name, sizeof(v->operator_name));
    ledger_copy(l, r, i, 5, v->key_alg, sizeof(v->key_alg));
    ledger_copy(l, r, i, 6, v->issuer_id, sizeof(v->issuer_id));
    ledger_copy(l, r, i, 7, v->cert_serial, sizeof(v->cert_serial));
    ledger_copy(l, r, i, 8, v->token_label, sizeof(v->token_label));
    ledger_copy(l, r, i, 9, v->token_serial, sizeof(v->token_serial));
    ledger_copy(l, r, i, 10, v->key_id, sizeof(v->key_id));
    ledger_copy(l, r, i, 11, v->not_before, sizeof(v->not_before));
    ledger_copy(l, r, i, 12, v->not_after, sizeof(v->not_after));
    ledger_copy(l, r, i, 13, v->started_at, sizeof(v->started_at));
    ledger_copy(l, r, i, 14, v->updated_at, sizeof(v->updated_at));
    ledger_copy(l, r, i, 15, v->error, sizeof(v->error));
    ledger_copy(l, r, i, 16, v->reissue_of, sizeof(v->reissue_of));
    ledger_copy(l, r, i, 17, v->waybill, sizeof(v->waybill));
    ledger_copy(l, r, i, 18, v->revoked_at, sizeof(v->revoked_at));
    ledger_copy(l, r, i, 19, v->revocation_reason, sizeof(v->revocation_reason));
    ledger_copy(l, r, i, 20, v->produced_at, sizeof(v->produced_at));
}

/* Every row of a statement as an array of elem_size elements (heap, NULL when none), each
 * filled by row(). */
static int collect(ledger *l, const char *sql, const ledger_param *p, int n, const char *what,
                   size_t elem_size,
                   void (*row)(ledger *l, const struct ledger_result *r, int i, void *dst),
                   void **out, size_t *cnt, sk_err *e)
{
    struct ledger_result *r = NULL;
    char *v = NULL;
    int rows, ret;

    *out = NULL;
    *cnt = 0;
    if ((ret = ledger_sql(l, sql, p, n, what, &r, NULL, e)) != SK_OK)
        goto out;
    rows = ledger_rows(l, r);
    if (rows > 0 && (v = calloc((size_t)rows, elem_size)) == NULL) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->where);
        goto out;
    }
    for (int i = 0; i < rows; i++)
        row(l, r, i, v + (size_t)i * elem_size);
    *out = v;
    *cnt = (size_t)rows;
out:
    ledger_done(l, r);
    return ret;
}

static void issuance_row(ledger *l, const struct ledger_result *r, int i, void *dst)
{
    row_to_issuance(l, r, i, dst);
}

int ledger_issuances(ledger *l, const char *sql, const ledger_param *p, int n, const char *what,
                     ledger_issuance **out, size_t *cnt, sk_err *e)
{
    return collect(l, sql, p, n, what, sizeof(**out), issuance_row, (void **)out, cnt, e);
}

/* The first issuance a statement returns; *found false if none. */
static int one_issuance(ledger *l, const char *sql, const ledger_param *p, int n,
                        const char *what, ledger_issuance *out, bool *found, sk_err *e)
{
    ledger_issuance *v = NULL;
    size_t cnt = 0;
    int ret = ledger_issuances(l, sql, p, n, what, &v, &cnt, e);

    *found = ret == SK_OK && cnt >= 1;
    if (*found)
        *out = v[0];
    free(v);
    return ret;
}

int ledger_latest(ledger *l, const char *order_number, ledger_issuance *out, bool *found,
                  sk_err *e)
{
    return one_issuance(l, "SELECT " LEDGER_ISSUANCE_COLUMNS " FROM issuances WHERE"
                        " order_number = ? ORDER BY id DESC LIMIT 1",
                        LEDGER_ARGS(LT(order_number)), "looking up order", out, found, e);
}

int ledger_get(ledger *l, long long id, ledger_issuance *out, bool *found, sk_err *e)
{
    return one_issuance(l, "SELECT " LEDGER_ISSUANCE_COLUMNS " FROM issuances WHERE id = ?",
                        LEDGER_ARGS(LI(id)), "reading issuance", out, found, e);
}

int ledger_live(ledger *l, const char *order_number, ledger_issuance *out, bool *found,
                sk_err *e)
{
    return one_issuance(l, "SELECT " LEDGER_ISSUANCE_COLUMNS " FROM issuances WHERE"
                        " order_number = ? AND step = 'verified' AND revoked_at = ''"
                        " ORDER BY id DESC LIMIT 1", LEDGER_ARGS(LT(order_number)),
                        "looking up the live issuance", out, found, e);
}

/* The latest issuance on a token that matches the condition; a token that reports no serial
 * cannot be told from another one by the ledger, so it matches nothing. */
static int token_issuance(ledger *l, const char *token_serial, const char *sql, const char *what,
                          ledger_issuance *out, bool *found, sk_err *e)
{
    *found = false;
    if (token_serial == NULL || token_serial[0] == '\0')
        return SK_OK;
    return one_issuance(l, sql, LEDGER_ARGS(LT(token_serial)), what, out, found, e);
}

int ledger_token_live(ledger *l, const char *token_serial, ledger_issuance *out, bool *found,
                      sk_err *e)
{
    return token_issuance(l, token_serial,
                          "SELECT " LEDGER_ISSUANCE_COLUMNS " FROM issuances WHERE"
                          " token_serial = ? AND step = 'verified' AND (revoked_at = ''"
                          " OR revocation_reason = '" LEDGER_HOLD_REASON "')"
                          " ORDER BY id DESC LIMIT 1",
                          "looking up the token's holder", out, found, e);
}

int ledger_token_latest(ledger *l, const char *token_serial, ledger_issuance *out, bool *found,
                        sk_err *e)
{
    return token_issuance(l, token_serial,
                          "SELECT " LEDGER_ISSUANCE_COLUMNS " FROM issuances WHERE"
                          " token_serial = ? ORDER BY id DESC LIMIT 1",
                          "looking up the token's last issuance", out, found, e);
}

int ledger_list(ledger *l, const char *order_number, ledger_issuance **out, size_t *n, sk_err *e)
{
    if (order_number == NULL)
        return ledger_issuances(l, "SELECT " LEDGER_ISSUANCE_COLUMNS " FROM issuances ORDER BY"
                                " id", LEDGER_NO_ARGS, "listing issuances", out, n, e);
    return ledger_issuances(l, "SELECT " LEDGER_ISSUANCE_COLUMNS " FROM issuances WHERE"
                            " order_number = ? ORDER BY id", LEDGER_ARGS(LT(order_number)),
                            "listing issuances", out, n, e);
}

int ledger_revoked(ledger *l, const char *issuer_id, ledger_issuance **out, size_t *n, sk_err *e)
{
    /* A dual-certificate issuance (migration 7) is listed twice, the second time with its
     * encryption certificate's serial as cert_serial: both go on the CRL. Ordered by
     * revoked_at (column 19), then id. */
    return ledger_issuances(l, "SELECT " LEDGER_ISSUANCE_COLUMNS " FROM issuances WHERE"
                            " issuer_id = ? AND revoked_at <> ''"
                            " UNION ALL SELECT " LEDGER_ISSUANCE_ENC_COLUMNS " FROM issuances"
                            " WHERE issuer_id = ? AND revoked_at <> '' AND enc_cert_serial <> ''"
                            " ORDER BY 19, 1",
                            LEDGER_ARGS(LT(issuer_id), LT(issuer_id)), "listing revocations",
                            out, n, e);
}

int ledger_serial_state(ledger *l, const char *issuer_id, const char *cert_serial, char *state,
                        size_t state_len, sk_err *e)
{
    struct ledger_result *r = NULL;
    int ret;

    state[0] = '\0';
    ret = ledger_sql(l, "SELECT state FROM serials WHERE issuer_id = ? AND serial = ?",
                     LEDGER_ARGS(LT(issuer_id), LT(cert_serial)), "reading serial", &r, NULL,
                     e);
    if (ret == SK_OK && ledger_rows(l, r) == 1)
        ledger_copy(l, r, 0, 0, state, state_len);
    ledger_done(l, r);
    return ret;
}

int ledger_cert_pem(ledger *l, long long id, char **pem, sk_err *e)
{
    struct ledger_result *r = NULL;
    int ret;

    *pem = NULL;
    ret = ledger_sql(l, "SELECT cert_pem FROM issuances WHERE id = ?", LEDGER_ARGS(LI(id)),
                     "reading certificate", &r, NULL, e);
    if (ret == SK_OK && ledger_rows(l, r) == 1 && ledger_kind(l, r, 0, 0) != LEDGER_COL_NULL &&
        (*pem = strdup(ledger_text(l, r, 0, 0))) == NULL)
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->where);
    ledger_done(l, r);
    return ret;
}

static void seal_row(ledger *l, const struct ledger_result *r, int i, void *dst)
{
    ledger_seal *v = dst;

    ledger_copy(l, r, i, 0, v->es_id, sizeof(v->es_id));
    v->issuance_id = ledger_num(l, r, i, 1);
    ledger_copy(l, r, i, 2, v->order_number, sizeof(v->order_number));
    ledger_copy(l, r, i, 3, v->kind, sizeof(v->kind));
    ledger_copy(l, r, i, 4, v->sha256, sizeof(v->sha256));
    ledger_copy(l, r, i, 5, v->created_at, sizeof(v->created_at));
}

int ledger_seal_list(ledger *l, long long issuance_id, ledger_seal **out, size_t *n, sk_err *e)
{
    return collect(l, "SELECT es_id, issuance_id, order_number, kind, sha256, created_at FROM"
                   " seals WHERE issuance_id = ? ORDER BY {insert_order}",
                   LEDGER_ARGS(LI(issuance_id)), "listing seals", sizeof(**out), seal_row,
                   (void **)out, n, e);
}

static void serial_row(ledger *l, const struct ledger_result *r, int i, void *dst)
{
    ledger_serial *v = dst;

    ledger_copy(l, r, i, 0, v->issuer_id, sizeof(v->issuer_id));
    ledger_copy(l, r, i, 1, v->serial, sizeof(v->serial));
    ledger_copy(l, r, i, 2, v->state, sizeof(v->state));
    v->issuance_id = ledger_num(l, r, i, 3);
}

int ledger_serials(ledger *l, ledger_serial **out, size_t *n, sk_err *e)
{
    /* An issuance reserves one serial: ordering by issuance is the order of reservation. */
    return collect(l, "SELECT issuer_id, serial, state, issuance_id FROM serials ORDER BY"
                   " issuance_id, serial", LEDGER_NO_ARGS, "listing serials", sizeof(**out),
                   serial_row, (void **)out, n, e);
}

static void station_certs_row(ledger *l, const struct ledger_result *r, int i, void *dst)
{
    ledger_station_certs *v = dst;

    ledger_copy(l, r, i, 0, v->station_id, sizeof(v->station_id));
    v->certs = (size_t)ledger_num(l, r, i, 1);
}

int ledger_certs_by_station(ledger *l, ledger_station_certs **out, size_t *n, sk_err *e)
{
    return collect(l, "SELECT station_id, count(*) FROM issuances WHERE cert_pem IS NOT NULL"
                   " GROUP BY station_id ORDER BY station_id", LEDGER_NO_ARGS,
                   "counting certificates", sizeof(**out), station_certs_row, (void **)out, n,
                   e);
}
