/* PostgreSQL backend of the ledger (issuer/ledger.h): one ledger shared by several issuing
 * stations (docs/ledger.md). Every time is the database's (now(), in UTC), never the
 * station's clock, and rows are ordered by ids the database hands out, so clock skew
 * between stations changes nothing. A lost connection is never re-established behind the
 * caller's back: the claim died with it, so the order is left at its recorded step for the
 * next run to resume. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/ledger_backend.h"
#include "issuer/ledger_migrations.h"

#define PG_MAX_CLAIMS 8
#define PG_NOW "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define PG_UNIQUE_VIOLATION "23505"

/* An order this process holds: its claims row locked FOR UPDATE in a transaction kept open
 * on a connection of its own, so the lock lasts until release, or until the process or its
 * session dies, when the server rolls the transaction back. */
struct pg_claim {
    char order[64];
    PGconn *conn;
};

struct pg_ledger {
    PGconn *conn;
    char uri[1024];
    struct pg_claim claims[PG_MAX_CLAIMS];
};

/* Run one statement with text parameters (NULL is SQL NULL). On SK_OK *res holds the result
 * (when res is given); on failure the SQLSTATE goes to state (when given) so callers can tell
 * a unique violation from a lost connection. */
static int run(struct pg_ledger *l, PGconn *c, const char *sql, int n, const char *const *p,
               PGresult **res, char *state, const char *what, sk_err *e)
{
    return ledger_pg_exec(c, l->uri, sql, n, p, res, state, SK_ELEDGER, what, e);
}

static int exec0(struct pg_ledger *l, const char *sql, const char *what, sk_err *e)
{
    return run(l, l->conn, sql, 0, NULL, NULL, NULL, what, e);
}

static void rollback(struct pg_ledger *l)
{
    PQclear(PQexec(l->conn, "ROLLBACK"));
}

static int commit(struct pg_ledger *l, sk_err *e)
{
    return exec0(l, "COMMIT", "committing", e);
}

static int read_version(struct pg_ledger *l, int *version, sk_err *e)
{
    PGresult *r = NULL;
    int ret;

    *version = 0;
    if ((ret = run(l, l->conn, "SELECT to_regclass('sealkey_schema') IS NOT NULL", 0, NULL,
                   &r, NULL, "reading schema version", e)) != SK_OK)
        goto out;
    if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
        goto out;
    PQclear(r);
    if ((ret = run(l, l->conn, "SELECT max(version) FROM sealkey_schema", 0, NULL, &r, NULL,
                   "reading schema version", e)) != SK_OK)
        goto out;
    *version = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10); /* "" (no row) reads as 0 */
out:
    PQclear(r);
    return ret;
}

static int migrate(struct pg_ledger *l, enum ledger_open_mode mode, int *from, sk_err *e)
{
    size_t latest = ledger_migrations_count();
    int version = 0, in_tx = 0, ret;
    char v[24];
    const char *p[1] = {v};

    if ((ret = exec0(l, "BEGIN", "migrating", e)) != SK_OK)
        goto out;
    in_tx = 1;
    /* One migrator at a time across all stations; readers of the version wait for us. */
    if ((ret = exec0(l, "SELECT pg_advisory_xact_lock(hashtextextended('sealkey:migrate', 0))",
                     "migrating", e)) != SK_OK ||
        (ret = exec0(l, "CREATE TABLE IF NOT EXISTS sealkey_schema (version INTEGER NOT NULL)",
                     "migrating", e)) != SK_OK ||
        (ret = read_version(l, &version, e)) != SK_OK)
        goto out;
    *from = version;
    if (version > (int)latest) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: schema version %d is newer than this "
                         "sealkey knows (%zu)", l->uri, version, latest);
        goto out;
    }
    if (mode == LEDGER_OPEN_INIT && version > 0) {
        ret = sk_err_set(e, SK_ESTATE, "ledger %s already exists (schema version %d); use "
                         "sealkey ledger migrate", l->uri, version);
        goto out;
    }
    for (size_t i = (size_t)version; i < latest; i++) {
        char what[48];
        snprintf(what, sizeof(what), "migration %zu", i + 1);
        snprintf(v, sizeof(v), "%zu", i + 1);
        if ((ret = exec0(l, ledger_migration_sql(i, LEDGER_POSTGRES), what, e)) != SK_OK ||
            (ret = exec0(l, "DELETE FROM sealkey_schema", what, e)) != SK_OK ||
            (ret = run(l, l->conn, "INSERT INTO sealkey_schema (version) VALUES ($1::int)", 1,
                       p, NULL, NULL, what, e)) != SK_OK)
            goto out;
    }
    ret = commit(l, e);
    in_tx = ret != SK_OK;
out:
    if (in_tx)
        rollback(l);
    return ret;
}

static void pg_free(void *impl);

static int pg_open(const char *uri, enum ledger_open_mode mode, int *from, void **out,
                   sk_err *e)
{
    struct pg_ledger *l = calloc(1, sizeof(*l));
    void *c = NULL;
    int version = 0, ret;

    *out = NULL;
    if (l == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", uri);
    snprintf(l->uri, sizeof(l->uri), "%s", uri);
    if ((ret = ledger_pg_connect(uri, "ledger", &c, e)) != SK_OK)
        goto out;
    l->conn = c;
    if (mode != LEDGER_OPEN_USE) {
        ret = migrate(l, mode, from, e);
        goto out;
    }
    /* Stations never migrate a shared ledger implicitly: one station upgraded early must
     * not change the tables under the others. */
    if ((ret = read_version(l, &version, e)) != SK_OK)
        goto out;
    *from = version;
    if (version == 0)
        ret = sk_err_set(e, SK_ESTATE, "ledger %s has no sealkey schema; create it with "
                         "sealkey ledger init", uri);
    else if (version < ledger_schema_latest())
        ret = sk_err_set(e, SK_ESTATE, "ledger %s: schema version %d, this sealkey needs %d; "
                         "run sealkey ledger migrate", uri, version, ledger_schema_latest());
    else if (version > ledger_schema_latest())
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: schema version %d is newer than this "
                         "sealkey knows (%d)", uri, version, ledger_schema_latest());
out:
    if (ret == SK_OK) {
        *out = l;
        l = NULL;
    }
    pg_free(l);
    return ret;
}

static void pg_free(void *impl)
{
    struct pg_ledger *l = impl;

    if (l == NULL)
        return;
    for (size_t i = 0; i < PG_MAX_CLAIMS; i++)
        PQfinish(l->claims[i].conn);
    PQfinish(l->conn);
    free(l);
}

static int pg_schema_version(void *impl, int *version, sk_err *e)
{
    return read_version(impl, version, e);
}

/* The columns of ledger_issuance from a table (or CTE) t of issuances rows. */
#define ISSUANCE_COLUMNS_OF(t)                                                               \
    "id, order_number, step, station_id, operator, key_alg, issuer_id, cert_serial, "        \
    "token_label, token_serial, key_id, not_before, not_after, started_at, updated_at, "     \
    "error, COALESCE(reissue_of::text, ''), waybill, revoked_at, revocation_reason, "         \
    "COALESCE((SELECT max(at) FROM issuance_steps s WHERE s.issuance_id = " t ".id"          \
    " AND s.step = 'verified'), '')"
#define ISSUANCE_COLUMNS ISSUANCE_COLUMNS_OF("issuances")

static void col(const PGresult *r, int row, int c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", PQgetvalue(r, row, c));
}

static void row_to_issuance(const PGresult *r, int i, ledger_issuance *v)
{
    memset(v, 0, sizeof(*v));
    v->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
    col(r, i, 1, v->order_number, sizeof(v->order_number));
    v->step = (iss_step)ledger_step_from_name(PQgetvalue(r, i, 2));
    col(r, i, 3, v->station_id, sizeof(v->station_id));
    col(r, i, 4, v->operator_name, sizeof(v->operator_name));
    col(r, i, 5, v->key_alg, sizeof(v->key_alg));
    col(r, i, 6, v->issuer_id, sizeof(v->issuer_id));
    col(r, i, 7, v->cert_serial, sizeof(v->cert_serial));
    col(r, i, 8, v->token_label, sizeof(v->token_label));
    col(r, i, 9, v->token_serial, sizeof(v->token_serial));
    col(r, i, 10, v->key_id, sizeof(v->key_id));
    col(r, i, 11, v->not_before, sizeof(v->not_before));
    col(r, i, 12, v->not_after, sizeof(v->not_after));
    col(r, i, 13, v->started_at, sizeof(v->started_at));
    col(r, i, 14, v->updated_at, sizeof(v->updated_at));
    col(r, i, 15, v->error, sizeof(v->error));
    col(r, i, 16, v->reissue_of, sizeof(v->reissue_of));
    col(r, i, 17, v->waybill, sizeof(v->waybill));
    col(r, i, 18, v->revoked_at, sizeof(v->revoked_at));
    col(r, i, 19, v->revocation_reason, sizeof(v->revocation_reason));
    col(r, i, 20, v->produced_at, sizeof(v->produced_at));
}

/* All rows of a query as issuances. */
static int issuances(struct pg_ledger *l, const char *sql, int n, const char *const *p,
                     const char *what, ledger_issuance **out, size_t *cnt, sk_err *e)
{
    PGresult *r = NULL;
    ledger_issuance *v = NULL;
    int rows, ret;

    *out = NULL;
    *cnt = 0;
    if ((ret = run(l, l->conn, sql, n, p, &r, NULL, what, e)) != SK_OK)
        goto out;
    rows = PQntuples(r);
    if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->uri);
        goto out;
    }
    for (int i = 0; i < rows; i++)
        row_to_issuance(r, i, &v[i]);
    *out = v;
    *cnt = (size_t)rows;
out:
    PQclear(r);
    return ret;
}

/* The first issuance a query with parameters returns; *found false if none. */
static int one_issuance(struct pg_ledger *l, const char *sql, int n, const char *const *p,
                        const char *what, ledger_issuance *out, bool *found, sk_err *e)
{
    ledger_issuance *v = NULL;
    size_t cnt = 0;
    int ret = issuances(l, sql, n, p, what, &v, &cnt, e);

    *found = ret == SK_OK && cnt >= 1;
    if (*found)
        *out = v[0];
    free(v);
    return ret;
}

static int pg_latest(void *impl, const char *order_number, ledger_issuance *out, bool *found,
                     sk_err *e)
{
    const char *p[] = {order_number};

    return one_issuance(impl, "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE order_number"
                        " = $1 ORDER BY id DESC LIMIT 1", 1, p, "looking up order", out, found,
                        e);
}

static int pg_live(void *impl, const char *order_number, ledger_issuance *out, bool *found,
                   sk_err *e)
{
    const char *p[] = {order_number};

    return one_issuance(impl, "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE order_number"
                        " = $1 AND step = 'verified' AND revoked_at = '' ORDER BY id DESC"
                        " LIMIT 1", 1, p, "looking up the live issuance", out, found, e);
}

static int pg_token_live(void *impl, const char *token_serial, ledger_issuance *out,
                         bool *found, sk_err *e)
{
    const char *p[] = {token_serial};

    return one_issuance(impl, "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE token_serial"
                        " = $1 AND step = 'verified' AND revoked_at = '' ORDER BY id DESC"
                        " LIMIT 1", 1, p, "looking up the token's holder", out, found, e);
}

static int pg_get(void *impl, long long id, ledger_issuance *out, bool *found, sk_err *e)
{
    char idtxt[24];
    const char *p[] = {idtxt};

    snprintf(idtxt, sizeof(idtxt), "%lld", id);
    return one_issuance(impl, "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE id = $1::bigint",
                        1, p, "reading issuance", out, found, e);
}

static int add_history(struct pg_ledger *l, const char *id, const char *step,
                       const char *detail, sk_err *e)
{
    const char *p[] = {id, step, detail != NULL ? detail : ""};

    return run(l, l->conn, "INSERT INTO issuance_steps (issuance_id, step, at, detail)"
               " VALUES ($1::bigint, $2, " PG_NOW ", $3)", 3, p, NULL, NULL,
               "recording step", e);
}

static int pg_begin(void *impl, const char *order_number, const char *station_id,
                    const char *operator_name, const char *key_alg, const char *issuer_id,
                    const char *cert_serial, long long reissue_of, long long *id,
                    bool *serial_taken, sk_err *e)
{
    struct pg_ledger *l = impl;
    PGresult *r = NULL;
    char re[24], idtxt[24], state[6];
    int in_tx = 0, ret;

    *serial_taken = false;
    *id = 0;
    snprintf(re, sizeof(re), "%lld", reissue_of);
    if ((ret = exec0(l, "BEGIN", "opening issuance", e)) != SK_OK)
        goto out;
    in_tx = 1;
    /* The replaced issuance stays live (and revocable) until the reissue is verified; only
     * a reissue that names it may begin beside a verified issuance. Its row is locked so
     * that a revocation or another reissue cannot slip in between. */
    {
        const char *p[] = {order_number};
        if ((ret = run(l, l->conn, "SELECT id FROM issuances WHERE order_number = $1 AND"
                       " step = 'verified' FOR UPDATE", 1, p, &r, NULL, "looking up order",
                       e)) != SK_OK)
            goto out;
        if (PQntuples(r) > 0 && strtoll(PQgetvalue(r, 0, 0), NULL, 10) != reissue_of) {
            ret = sk_err_set(e, SK_ESTATE, "order %s is already issued (issuance %s is "
                             "verified); only a reissue replacing it may begin", order_number,
                             PQgetvalue(r, 0, 0));
            goto out;
        }
        PQclear(r);
        r = NULL;
    }
    if (reissue_of > 0) {
        const char *p[] = {re, order_number};
        if ((ret = run(l, l->conn, "SELECT 1 FROM issuances WHERE id = $1::bigint AND"
                       " order_number = $2 AND step IN ('verified', 'revoked')", 2, p, &r, NULL,
                       "looking up the replaced issuance", e)) != SK_OK)
            goto out;
        if (PQntuples(r) != 1) {
            ret = sk_err_set(e, SK_ESTATE, "order %s: issuance %lld is not a verified or "
                             "revoked issuance of this order, nothing to reissue", order_number,
                             reissue_of);
            goto out;
        }
        PQclear(r);
        r = NULL;
    }
    {
        const char *p[] = {order_number, station_id, operator_name, key_alg, issuer_id,
                           cert_serial, reissue_of > 0 ? re : NULL};
        ret = run(l, l->conn, "INSERT INTO issuances (order_number, step, station_id, operator,"
                  " key_alg, issuer_id, cert_serial, reissue_of, started_at, updated_at)"
                  " VALUES ($1, 'reserved', $2, $3, $4, $5, $6, $7::bigint, " PG_NOW ", "
                  PG_NOW ") RETURNING id", 7, p, &r, state, "opening issuance", e);
        if (ret != SK_OK && strcmp(state, PG_UNIQUE_VIOLATION) == 0)
            ret = sk_err_set(e, SK_ESTATE, "order %s already has an issuance in progress in "
                             "the ledger", order_number);
        if (ret != SK_OK)
            goto out;
        snprintf(idtxt, sizeof(idtxt), "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        r = NULL;
    }
    {
        /* The primary key (issuer_id, serial) makes a serial unique per issuer across every
         * station: of two stations drawing the same number, the second is told to redraw. */
        const char *p[] = {issuer_id, cert_serial, idtxt};
        ret = run(l, l->conn, "INSERT INTO serials (issuer_id, serial, state, issuance_id,"
                  " reserved_at) VALUES ($1, $2, 'reserved', $3::bigint, " PG_NOW ")", 3, p,
                  NULL, state, "reserving serial", e);
        if (ret != SK_OK && strcmp(state, PG_UNIQUE_VIOLATION) == 0) {
            *serial_taken = true;
            ret = sk_err_set(e, SK_ESTATE, "certificate serial %s is already reserved",
                             cert_serial);
        }
        if (ret != SK_OK)
            goto out;
    }
    if ((ret = add_history(l, idtxt, "reserved", cert_serial, e)) != SK_OK)
        goto out;
    if ((ret = commit(l, e)) != SK_OK)
        goto out;
    in_tx = 0;
    *id = strtoll(idtxt, NULL, 10);
out:
    PQclear(r);
    if (in_tx)
        rollback(l);
    return ret;
}

static int set_serial_state(struct pg_ledger *l, const char *id, const char *state,
                            const char *only_from, sk_err *e)
{
    const char *p[] = {state, id, only_from};

    return run(l, l->conn, "UPDATE serials SET state = $1 WHERE issuance_id = $2::bigint AND"
               " state = $3", 3, p, NULL, NULL, "updating serial", e);
}

static int pg_step(void *impl, long long id, iss_step step, const ledger_update *u, sk_err *e)
{
    struct pg_ledger *l = impl;
    static const ledger_update none;
    PGresult *r = NULL;
    char idtxt[24];
    int in_tx = 0, cur = -1, ret;

    if (u == NULL)
        u = &none;
    snprintf(idtxt, sizeof(idtxt), "%lld", id);
    if ((ret = exec0(l, "BEGIN", "recording step", e)) != SK_OK)
        goto out;
    in_tx = 1;
    {
        const char *p[] = {idtxt};
        if ((ret = run(l, l->conn, "SELECT step FROM issuances WHERE id = $1::bigint FOR UPDATE",
                       1, p, &r, NULL, "reading step", e)) != SK_OK)
            goto out;
        if (PQntuples(r) != 1) {
            ret = sk_err_set(e, SK_ELEDGER, "ledger %s: no issuance %lld", l->uri, id);
            goto out;
        }
        cur = ledger_step_from_name(PQgetvalue(r, 0, 0));
    }
    if (cur < 0 || cur >= (int)ISS_FAILED || (int)step <= cur || step >= ISS_FAILED) {
        ret = sk_err_set(e, SK_ESTATE, "issuance %lld: cannot move from step %s to %s", id,
                         cur < 0 ? "?" : iss_step_name((iss_step)cur), iss_step_name(step));
        goto out;
    }
    /* A reissue reaching 'verified' retires, in the same transaction, the issuance it
     * replaces if that is still verified: superseded, and its certificate revoked. One
     * revoked meanwhile (sealkey revoke) stays as it is. */
    if (step == ISS_VERIFIED) {
        const char *p[] = {u->revocation_reason != NULL ? u->revocation_reason : "superseded",
                           idtxt};
        if ((ret = run(l, l->conn, "UPDATE issuances SET step = 'superseded', revoked_at = "
                       PG_NOW ", revocation_reason = $1, updated_at = " PG_NOW " WHERE id ="
                       " (SELECT reissue_of FROM issuances WHERE id = $2::bigint) AND"
                       " step = 'verified'", 2, p, NULL, NULL, "retiring the replaced issuance",
                       e)) != SK_OK)
            goto out;
    }
    {
        const char *p[] = {iss_step_name(step), u->token_label, u->token_serial, u->key_id,
                           u->not_before, u->not_after, u->cert_pem, idtxt};
        if ((ret = run(l, l->conn, "UPDATE issuances SET step = $1, updated_at = " PG_NOW ","
                       " token_label = COALESCE($2, token_label),"
                       " token_serial = COALESCE($3, token_serial),"
                       " key_id = COALESCE($4, key_id),"
                       " not_before = COALESCE($5, not_before),"
                       " not_after = COALESCE($6, not_after),"
                       " cert_pem = COALESCE($7, cert_pem) WHERE id = $8::bigint",
                       8, p, NULL, NULL, "recording step", e)) != SK_OK)
            goto out;
    }
    /* Once a certificate carries the serial it is spent, whatever happens to the token. */
    if (step >= ISS_CERT_ISSUED &&
        (ret = set_serial_state(l, idtxt, "used", "reserved", e)) != SK_OK)
        goto out;
    if ((ret = add_history(l, idtxt, iss_step_name(step), NULL, e)) != SK_OK)
        goto out;
    ret = commit(l, e);
    in_tx = ret != SK_OK;
out:
    PQclear(r);
    if (in_tx)
        rollback(l);
    return ret;
}

static int pg_fail(void *impl, long long id, const char *reason, sk_err *e)
{
    struct pg_ledger *l = impl;
    char idtxt[24];
    const char *p[] = {reason, idtxt};
    PGresult *r = NULL;
    int in_tx = 0, ret;

    snprintf(idtxt, sizeof(idtxt), "%lld", id);
    if ((ret = exec0(l, "BEGIN", "recording failure", e)) != SK_OK)
        goto out;
    in_tx = 1;
    if ((ret = run(l, l->conn, "UPDATE issuances SET step = 'failed', error = $1, updated_at = "
                   PG_NOW " WHERE id = $2::bigint AND step NOT IN ('verified', 'failed',"
                   " 'superseded', 'revoked')", 2, p, &r, NULL, "recording failure", e)) != SK_OK)
        goto out;
    if (strcmp(PQcmdTuples(r), "0") == 0)
        goto out; /* already final: nothing to record */
    /* A certificate signed for an attempt that failed may have left the station (on a token
     * pulled mid-write, in out/): it goes on the next CRL. */
    if ((ret = set_serial_state(l, idtxt, "void", "reserved", e)) != SK_OK ||
        (ret = run(l, l->conn, "UPDATE issuances SET revoked_at = " PG_NOW ", revocation_reason"
                   " = 'cessationOfOperation' WHERE id = $1::bigint AND revoked_at = '' AND"
                   " EXISTS (SELECT 1 FROM serials s WHERE s.issuance_id = issuances.id AND"
                   " s.state = 'used')", 1, p + 1, NULL, NULL,
                   "revoking the failed attempt's certificate", e)) != SK_OK ||
        (ret = add_history(l, idtxt, "failed", reason, e)) != SK_OK)
        goto out;
    ret = commit(l, e);
    in_tx = ret != SK_OK;
out:
    PQclear(r);
    if (in_tx)
        rollback(l);
    return ret;
}

static int pg_list(void *impl, const char *order_number, ledger_issuance **out, size_t *n,
                   sk_err *e)
{
    const char *p[] = {order_number};

    if (order_number == NULL)
        return issuances(impl, "SELECT " ISSUANCE_COLUMNS " FROM issuances ORDER BY id", 0,
                         NULL, "listing issuances", out, n, e);
    return issuances(impl, "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE order_number = $1"
                     " ORDER BY id", 1, p, "listing issuances", out, n, e);
}

static int pg_serial_state(void *impl, const char *issuer_id, const char *cert_serial,
                           char *state, size_t state_len, sk_err *e)
{
    struct pg_ledger *l = impl;
    const char *p[] = {issuer_id, cert_serial};
    PGresult *r = NULL;
    int ret;

    state[0] = '\0';
    ret = run(l, l->conn, "SELECT state FROM serials WHERE issuer_id = $1 AND serial = $2", 2,
              p, &r, NULL, "reading serial", e);
    if (ret == SK_OK && PQntuples(r) == 1)
        col(r, 0, 0, state, state_len);
    PQclear(r);
    return ret;
}

static int pg_cert_pem(void *impl, long long id, char **pem, sk_err *e)
{
    struct pg_ledger *l = impl;
    char idtxt[24];
    const char *p[] = {idtxt};
    PGresult *r = NULL;
    int ret;

    *pem = NULL;
    snprintf(idtxt, sizeof(idtxt), "%lld", id);
    ret = run(l, l->conn, "SELECT cert_pem FROM issuances WHERE id = $1::bigint", 1, p, &r,
              NULL, "reading certificate", e);
    if (ret == SK_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) &&
        (*pem = strdup(PQgetvalue(r, 0, 0))) == NULL)
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->uri);
    PQclear(r);
    return ret;
}

static int pg_seal_add(void *impl, long long issuance_id, const char *order_number,
                       const char *kind, const char *es_id, const char *sha256_hex, sk_err *e)
{
    struct pg_ledger *l = impl;
    char idtxt[24], state[6];
    const char *p[] = {es_id, idtxt, order_number, kind, sha256_hex};
    int ret;

    snprintf(idtxt, sizeof(idtxt), "%lld", issuance_id);
    ret = run(l, l->conn, "INSERT INTO seals (es_id, issuance_id, order_number, kind, sha256,"
              " created_at) VALUES ($1, $2::bigint, $3, $4, $5, " PG_NOW ")", 5, p, NULL, state,
              "recording seal", e);
    if (ret != SK_OK && strcmp(state, PG_UNIQUE_VIOLATION) == 0)
        ret = sk_err_set(e, SK_ESTATE, "seal id %s is already in the ledger", es_id);
    return ret;
}

static int pg_seal_list(void *impl, long long issuance_id, ledger_seal **out, size_t *n,
                        sk_err *e)
{
    struct pg_ledger *l = impl;
    char idtxt[24];
    const char *p[] = {idtxt};
    PGresult *r = NULL;
    ledger_seal *v = NULL;
    int rows, ret;

    *out = NULL;
    *n = 0;
    snprintf(idtxt, sizeof(idtxt), "%lld", issuance_id);
    if ((ret = run(l, l->conn, "SELECT es_id, issuance_id, order_number, kind, sha256,"
                   " created_at FROM seals WHERE issuance_id = $1::bigint ORDER BY n", 1, p,
                   &r, NULL, "listing seals", e)) != SK_OK)
        goto out;
    rows = PQntuples(r);
    if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->uri);
        goto out;
    }
    for (int i = 0; i < rows; i++) {
        col(r, i, 0, v[i].es_id, sizeof(v[i].es_id));
        v[i].issuance_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        col(r, i, 2, v[i].order_number, sizeof(v[i].order_number));
        col(r, i, 3, v[i].kind, sizeof(v[i].kind));
        col(r, i, 4, v[i].sha256, sizeof(v[i].sha256));
        col(r, i, 5, v[i].created_at, sizeof(v[i].created_at));
    }
    *out = v;
    *n = (size_t)rows;
out:
    PQclear(r);
    return ret;
}

/* An update of the live (verified) issuance of an order: shipping, revocation. */
static int update_verified(struct pg_ledger *l, const char *sql, const char *order_number,
                           const char *value, const char *what, sk_err *e)
{
    const char *p[] = {value, order_number};
    PGresult *r = NULL;
    int ret = run(l, l->conn, sql, 2, p, &r, NULL, what, e);

    if (ret == SK_OK && strcmp(PQcmdTuples(r), "1") != 0)
        ret = sk_err_set(e, SK_ESTATE, "order %s has no issued (verified) token in the ledger",
                         order_number);
    PQclear(r);
    return ret;
}

static int pg_set_waybill(void *impl, const char *order_number, const char *waybill, sk_err *e)
{
    return update_verified(impl, "UPDATE issuances SET waybill = $1, updated_at = " PG_NOW
                           " WHERE order_number = $2 AND step = 'verified'",
                           order_number, waybill, "recording waybill", e);
}

static int pg_revoke(void *impl, const char *order_number, const char *reason,
                     ledger_issuance **revoked, size_t *n, sk_err *e)
{
    const char *p[] = {reason, order_number};
    int ret;

    /* Every certificate of the order signed and not revoked yet, except those of an issuance
     * in flight, which the run that closes it accounts for. One statement: a concurrent
     * reissue retiring the same row waits for it, then finds it no longer verified. */
    ret = issuances(impl, "WITH done AS (UPDATE issuances SET step = CASE step WHEN 'verified'"
                    " THEN 'revoked' ELSE step END, revocation_reason = $1, revoked_at = "
                    PG_NOW ", updated_at = " PG_NOW " WHERE order_number = $2 AND revoked_at ="
                    " '' AND step IN ('verified', 'superseded', 'failed') AND EXISTS (SELECT 1"
                    " FROM serials s WHERE s.issuance_id = issuances.id AND s.state = 'used')"
                    " RETURNING *) SELECT " ISSUANCE_COLUMNS_OF("done") " FROM done ORDER BY id",
                    2, p, "recording revocation", revoked, n, e);
    if (ret == SK_OK && *n == 0)
        ret = sk_err_set(e, SK_ESTATE, "order %s has no issued (verified) token or other "
                         "certificate left to revoke in the ledger", order_number);
    return ret;
}

static int pg_revoked(void *impl, const char *issuer_id, ledger_issuance **out, size_t *n,
                      sk_err *e)
{
    const char *p[] = {issuer_id};

    return issuances(impl, "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE issuer_id = $1"
                     " AND revoked_at <> '' ORDER BY revoked_at, id", 1, p,
                     "listing revocations", out, n, e);
}

static int pg_next_crl_number(void *impl, const char *issuer_id, long long *number, sk_err *e)
{
    struct pg_ledger *l = impl;
    const char *p[] = {issuer_id};
    PGresult *r = NULL;
    int in_tx = 0, ret;

    if ((ret = exec0(l, "BEGIN", "numbering the CRL", e)) != SK_OK)
        goto out;
    in_tx = 1;
    /* Two stations numbering a CRL of one issuer at once take turns, not the same number. */
    if ((ret = run(l, l->conn, "SELECT pg_advisory_xact_lock(hashtextextended('sealkey:crl:' ||"
                   " $1, 0))", 1, p, NULL, NULL, "numbering the CRL", e)) != SK_OK ||
        (ret = run(l, l->conn, "INSERT INTO crls (issuer_id, number, issued_at) SELECT $1,"
                   " COALESCE(MAX(number), 0) + 1, " PG_NOW " FROM crls WHERE issuer_id = $1"
                   " RETURNING number", 1, p, &r, NULL, "numbering the CRL", e)) != SK_OK)
        goto out;
    *number = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    ret = commit(l, e);
    in_tx = ret != SK_OK;
out:
    PQclear(r);
    if (in_tx)
        rollback(l);
    return ret;
}

/* Claims: the issue's row-lock form (docs/ledger.md says why). A claims row per order, made
 * once; taking the order is locking that row FOR UPDATE SKIP LOCKED in a transaction that
 * stays open on its own connection until release, so no holder is ever left behind by a
 * crash: the server rolls back a dead session's transaction and the lock goes with it. */
static int pg_claim(void *impl, const char *order_number, bool *got, sk_err *e)
{
    struct pg_ledger *l = impl;
    struct pg_claim *slot = NULL;
    const char *p[] = {order_number};
    char purpose[96];
    PGconn *c = NULL;
    void *vc = NULL;
    PGresult *r = NULL;
    int ret;

    *got = false;
    for (size_t i = 0; i < PG_MAX_CLAIMS && slot == NULL; i++)
        if (l->claims[i].conn == NULL)
            slot = &l->claims[i];
    if (slot == NULL || strlen(order_number) >= sizeof(slot->order))
        return sk_err_set(e, SK_EINTERNAL, "ledger %s: cannot claim order '%s'", l->uri,
                          order_number);
    snprintf(purpose, sizeof(purpose), "claim %s", order_number);
    if ((ret = ledger_pg_connect(l->uri, purpose, &vc, e)) != SK_OK)
        goto out;
    c = vc;
    if ((ret = run(l, c, "INSERT INTO claims (order_number, first_claimed_at) VALUES ($1, "
                   PG_NOW ") ON CONFLICT (order_number) DO NOTHING", 1, p, NULL, NULL,
                   "claiming order", e)) != SK_OK ||
        (ret = run(l, c, "BEGIN", 0, NULL, NULL, NULL, "claiming order", e)) != SK_OK ||
        (ret = run(l, c, "SELECT order_number FROM claims WHERE order_number = $1"
                   " FOR UPDATE SKIP LOCKED", 1, p, &r, NULL, "claiming order", e)) != SK_OK)
        goto out;
    if (PQntuples(r) != 1)
        goto out; /* another process or station holds it */
    snprintf(slot->order, sizeof(slot->order), "%s", order_number);
    slot->conn = c;
    c = NULL;
    *got = true;
out:
    PQclear(r);
    PQfinish(c);
    return ret;
}

static void pg_release(void *impl, const char *order_number)
{
    struct pg_ledger *l = impl;

    for (size_t i = 0; i < PG_MAX_CLAIMS; i++) {
        if (l->claims[i].conn != NULL && strcmp(l->claims[i].order, order_number) == 0) {
            /* Ending the session rolls the claim's transaction back: the row is free. */
            PQfinish(l->claims[i].conn);
            l->claims[i].conn = NULL;
        }
    }
}

static int pg_import(void *impl, const char *json, size_t len, const char *origin,
                     ledger_import_counts *counts, sk_err *e)
{
    struct pg_ledger *l = impl;

    return ledger_pg_import(l->conn, l->uri, json, len, origin, counts, e);
}

static int pg_audit_append(void *impl, const char *station, ledger_audit_build_fn build,
                           void *arg, sk_err *e)
{
    struct pg_ledger *l = impl;

    return ledger_pg_audit_append_conn(l->conn, l->uri, station, build, arg, e);
}

static int pg_serials(void *impl, ledger_serial **out, size_t *n, sk_err *e)
{
    struct pg_ledger *l = impl;
    PGresult *r = NULL;
    ledger_serial *v = NULL;
    int rows, ret;

    if ((ret = run(l, l->conn, "SELECT issuer_id, serial, state, issuance_id FROM serials"
                   " ORDER BY issuance_id, serial", 0, NULL, &r, NULL, "listing serials",
                   e)) != SK_OK)
        goto out;
    rows = PQntuples(r);
    if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->uri);
        goto out;
    }
    for (int i = 0; i < rows; i++) {
        col(r, i, 0, v[i].issuer_id, sizeof(v[i].issuer_id));
        col(r, i, 1, v[i].serial, sizeof(v[i].serial));
        col(r, i, 2, v[i].state, sizeof(v[i].state));
        v[i].issuance_id = strtoll(PQgetvalue(r, i, 3), NULL, 10);
    }
    *out = v;
    *n = (size_t)rows;
out:
    PQclear(r);
    return ret;
}

static int pg_certs_by_station(void *impl, ledger_station_certs **out, size_t *n, sk_err *e)
{
    struct pg_ledger *l = impl;
    PGresult *r = NULL;
    ledger_station_certs *v = NULL;
    int rows, ret;

    if ((ret = run(l, l->conn, "SELECT station_id, count(*) FROM issuances WHERE cert_pem IS"
                   " NOT NULL GROUP BY station_id ORDER BY station_id", 0, NULL, &r, NULL,
                   "counting certificates", e)) != SK_OK)
        goto out;
    rows = PQntuples(r);
    if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->uri);
        goto out;
    }
    for (int i = 0; i < rows; i++) {
        col(r, i, 0, v[i].station_id, sizeof(v[i].station_id));
        v[i].certs = (size_t)strtoull(PQgetvalue(r, i, 1), NULL, 10);
    }
    *out = v;
    *n = (size_t)rows;
out:
    PQclear(r);
    return ret;
}

const struct ledger_ops ledger_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .free = pg_free,
    .latest = pg_latest,
    .get = pg_get,
    .live = pg_live,
    .token_live = pg_token_live,
    .begin = pg_begin,
    .step = pg_step,
    .fail = pg_fail,
    .list = pg_list,
    .serial_state = pg_serial_state,
    .cert_pem = pg_cert_pem,
    .seal_add = pg_seal_add,
    .seal_list = pg_seal_list,
    .set_waybill = pg_set_waybill,
    .revoke = pg_revoke,
    .revoked = pg_revoked,
    .next_crl_number = pg_next_crl_number,
    .claim = pg_claim,
    .release = pg_release,
    .schema_version = pg_schema_version,
    .export_json = NULL,
    .import_json = pg_import,
    .audit_append = pg_audit_append,
    .serials = pg_serials,
    .certs_by_station = pg_certs_by_station,
};
