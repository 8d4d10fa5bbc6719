/* The PostgreSQL driver of the ledger (issuer/records/ledger_driver.h): one ledger shared by
 * several issuing stations (docs/ledger.md). Every time is the database's (now(), in UTC), never
 * the station's clock, and rows are ordered by ids the database hands out, so clock skew
 * between stations changes nothing. Writers lock the rows they decide on (FOR UPDATE) or a
 * name (an advisory lock), so stations wait for each other only on the same order or
 * issuer. A lost connection is never re-established behind the caller's back: the claim
 * died with it, so the order is left at its recorded step for the next run to resume. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/records/ledger_driver.h"

#define PG_NOW "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define PG_UNIQUE_VIOLATION "23505"
#define PG_MAX_PARAMS 32
/* Type OIDs (server/catalog/pg_type_d.h, which is not a client header). */
#define PG_INT8OID 20
#define PG_INT2OID 21
#define PG_INT4OID 23

struct ledger_db {
    PGconn *conn;
    char uri[1024];
};

struct ledger_result {
    PGresult *res;
};

/* A password in the URI would sit in station.json or argv in clear: refuse it and point to
 * libpq's own places for it (PGPASSFILE, ~/.pgpass, the service file). */
static bool uri_has_password(const char *uri)
{
    const char *auth = strstr(uri, "://");
    size_t alen;
    const char *at = NULL;

    if (auth == NULL)
        return false;
    auth += 3;
    alen = strcspn(auth, "/?#");
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@')
            at = auth + i;
    if (at != NULL && memchr(auth, ':', (size_t)(at - auth)) != NULL)
        return true;
    for (const char *q = strchr(uri, '?'); q != NULL; q = strchr(q + 1, '&'))
        if (strncmp(q + 1, "password=", 9) == 0)
            return true;
    return false;
}

/* libpq's messages end in a newline and may go on with DETAIL lines: keep the first. */
static void first_line(const char *m, char *buf, size_t len)
{
    snprintf(buf, len, "%s", m != NULL ? m : "");
    buf[strcspn(buf, "\n")] = '\0';
}

/* The library never prints: the server's notices (NOTICE: ... already exists) go nowhere. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* A connection; purpose goes into application_name, so pg_stat_activity shows which station
 * process holds what. */
static int connect_to(const char *uri, const char *purpose, PGconn **out, sk_err *e)
{
    char app[64], msg[512];
    PGconn *c = NULL;
    int ret = SK_ELEDGER;
    /* dbname first: the URI is expanded there, and the keywords after it override it. The
     * server's keepalives let it notice a station host that vanished without closing its
     * connection, so the claim it held dies with the session; the claim connection idles in
     * its transaction on purpose, so no idle timeout may end it. */
    const char *const keys[] = {"dbname", "application_name", "connect_timeout", "options",
                                NULL};
    const char *const vals[] = {uri, app, "10",
                                "-c TimeZone=UTC -c tcp_keepalives_idle=15"
                                " -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
                                " -c idle_in_transaction_session_timeout=0",
                                NULL};

    *out = NULL;
    if (uri_has_password(uri)) {
        ret = sk_err_set(e, SK_EINPUT, "ledger URI carries a password; leave it out and give "
                         "it in PGPASSFILE (~/.pgpass) or a service file (PGSERVICEFILE)");
        goto out;
    }
    snprintf(app, sizeof(app), "sealkey %s", purpose);
    c = PQconnectdbParams(keys, vals, 1);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        first_line(c != NULL ? PQerrorMessage(c) : "out of memory", msg, sizeof(msg));
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: cannot connect: %s", uri, msg);
        goto out;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    *out = c;
    c = NULL;
    ret = SK_OK;
out:
    PQfinish(c);
    return ret;
}

/* One statement on a connection; n 0 uses the simple protocol, which allows several
 * statements. Text parameters go untyped, for the server to cast to their columns' types. */
static int run(PGconn *c, const char *uri, const char *sql, const ledger_param *p, int n,
               const char *what, PGresult **res, ledger_failure *failed, sk_err *e)
{
    const char *vals[PG_MAX_PARAMS];
    Oid types[PG_MAX_PARAMS];
    char nums[PG_MAX_PARAMS][24];
    PGresult *r;
    ExecStatusType s;
    char msg[512];

    *res = NULL;
    if (failed != NULL)
        *failed = LEDGER_FAILED;
    if (n > PG_MAX_PARAMS)
        return sk_err_set(e, SK_EINTERNAL, "ledger %s: %s: too many parameters", uri, what);
    for (int i = 0; i < n; i++) {
        types[i] = p[i].kind == LEDGER_P_INT ? PG_INT8OID : 0;
        vals[i] = p[i].kind == LEDGER_P_TEXT ? p[i].text : NULL;
        if (p[i].kind == LEDGER_P_INT) {
            snprintf(nums[i], sizeof(nums[i]), "%lld", p[i].num);
            vals[i] = nums[i];
        }
    }
    r = n == 0 ? PQexec(c, sql) : PQexecParams(c, sql, n, types, vals, NULL, NULL, 0);
    s = PQresultStatus(r);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
        *res = r;
        return SK_OK;
    }
    if (failed != NULL) {
        const char *code = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        if (PQstatus(c) != CONNECTION_OK)
            *failed = LEDGER_LOST;
        else if (code != NULL && strcmp(code, PG_UNIQUE_VIOLATION) == 0)
            *failed = LEDGER_UNIQUE;
    }
    first_line(r != NULL && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r)
                                                        : PQerrorMessage(c),
               msg, sizeof(msg));
    PQclear(r);
    return sk_err_set(e, SK_ELEDGER, "ledger %s: %s: %s", uri, what, msg);
}

static int run0(struct ledger_db *d, const char *sql, const char *what, sk_err *e)
{
    PGresult *r = NULL;
    int ret = run(d->conn, d->uri, sql, NULL, 0, what, &r, NULL, e);

    PQclear(r);
    return ret;
}

static void pg_close(struct ledger_db *d)
{
    if (d == NULL)
        return;
    PQfinish(d->conn);
    free(d);
}

static int pg_open(const char *uri, const char *purpose, struct ledger_db **out, sk_err *e)
{
    struct ledger_db *d = calloc(1, sizeof(*d));
    int ret;

    *out = NULL;
    if (d == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", uri);
    snprintf(d->uri, sizeof(d->uri), "%s", uri);
    if ((ret = connect_to(uri, purpose, &d->conn, e)) != SK_OK) {
        pg_close(d);
        return ret;
    }
    *out = d;
    return SK_OK;
}

static int pg_version_get(struct ledger_db *d, int *version, sk_err *e)
{
    PGresult *r = NULL;
    int ret;

    *version = 0;
    if ((ret = run(d->conn, d->uri, "SELECT to_regclass('sealkey_schema') IS NOT NULL", NULL, 0,
                   "reading schema version", &r, NULL, e)) != SK_OK ||
        strcmp(PQgetvalue(r, 0, 0), "t") != 0)
        goto out;
    PQclear(r);
    if ((ret = run(d->conn, d->uri, "SELECT max(version) FROM sealkey_schema", NULL, 0,
                   "reading schema version", &r, NULL, e)) != SK_OK)
        goto out;
    *version = (int)strtol(PQgetvalue(r, 0, 0), NULL, 10); /* "" (no row) reads as 0 */
out:
    PQclear(r);
    return ret;
}

static int pg_version_set(struct ledger_db *d, int version, sk_err *e)
{
    char sql[160];

    snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS sealkey_schema (version INTEGER NOT"
             " NULL); DELETE FROM sealkey_schema; INSERT INTO sealkey_schema (version) VALUES"
             " (%d)", version);
    return run0(d, sql, "setting schema version", e);
}

static int pg_script(struct ledger_db *d, const char *sql, const char *what, sk_err *e)
{
    return run0(d, sql, what, e);
}

static int pg_begin(struct ledger_db *d, ledger_tx tx, const char *what, sk_err *e)
{
    return run0(d, tx == LEDGER_TX_WRITE ? "BEGIN"
                                         : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                what, e);
}

static int pg_commit(struct ledger_db *d, sk_err *e)
{
    return run0(d, "COMMIT", "committing", e);
}

static void pg_rollback(struct ledger_db *d)
{
    PQclear(PQexec(d->conn, "ROLLBACK"));
}

static int pg_lock(struct ledger_db *d, const char *name, const char *what, sk_err *e)
{
    const ledger_param p[] = {{.kind = LEDGER_P_TEXT, .text = name}};
    PGresult *r = NULL;
    int ret = run(d->conn, d->uri, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", p,
                  1, what, &r, NULL, e);

    PQclear(r);
    return ret;
}

static int pg_exec(struct ledger_db *d, const char *sql, const ledger_param *p, int n,
                   const char *what, struct ledger_result **res, ledger_failure *failed,
                   sk_err *e)
{
    PGresult *r = NULL;
    int ret = run(d->conn, d->uri, sql, p, n, what, &r, failed, e);

    *res = NULL;
    if (ret != SK_OK)
        return ret;
    if ((*res = malloc(sizeof(**res))) == NULL) {
        PQclear(r);
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", d->uri);
    }
    (*res)->res = r;
    return SK_OK;
}

static int pg_rows(const struct ledger_result *r)
{
    return PQntuples(r->res);
}

static int pg_cols(const struct ledger_result *r)
{
    return PQnfields(r->res);
}

static const char *pg_col_name(const struct ledger_result *r, int col)
{
    return PQfname(r->res, col);
}

static ledger_col pg_kind(const struct ledger_result *r, int row, int col)
{
    Oid t = PQftype(r->res, col);

    if (PQgetisnull(r->res, row, col))
        return LEDGER_COL_NULL;
    return t == PG_INT8OID || t == PG_INT4OID || t == PG_INT2OID ? LEDGER_COL_INT
                                                                 : LEDGER_COL_TEXT;
}

static const char *pg_text(const struct ledger_result *r, int row, int col)
{
    return PQgetvalue(r->res, row, col);
}

static long long pg_num(const struct ledger_result *r, int row, int col)
{
    return strtoll(PQgetvalue(r->res, row, col), NULL, 10);
}

static long long pg_changes(const struct ledger_result *r)
{
    return strtoll(PQcmdTuples(r->res), NULL, 10);
}

static void pg_result_free(struct ledger_result *r)
{
    if (r == NULL)
        return;
    PQclear(r->res);
    free(r);
}

/* Claims: the issue's row-lock form (docs/ledger.md says why). A claims row per order, made
 * once; taking the order is locking that row FOR UPDATE SKIP LOCKED in a transaction that
 * stays open on its own connection until release, so no holder is ever left behind by a
 * crash: the server rolls back a dead session's transaction and the lock goes with it. The
 * hold is that connection. */
static int pg_claim(struct ledger_db *d, const char *order_number, void **hold, bool *got,
                    sk_err *e)
{
    const ledger_param p[] = {{.kind = LEDGER_P_TEXT, .text = order_number}};
    char purpose[96];
    PGconn *c = NULL;
    PGresult *r = NULL;
    int ret;

    *got = false;
    snprintf(purpose, sizeof(purpose), "claim %s", order_number);
    if ((ret = connect_to(d->uri, purpose, &c, e)) != SK_OK)
        goto out;
    /* run() empties r before each statement. */
    if ((ret = run(c, d->uri, "INSERT INTO claims (order_number, first_claimed_at) VALUES ($1, "
                   PG_NOW ") ON CONFLICT (order_number) DO NOTHING", p, 1, "claiming order",
                   &r, NULL, e)) != SK_OK)
        goto out;
    PQclear(r);
    if ((ret = run(c, d->uri, "BEGIN", NULL, 0, "claiming order", &r, NULL, e)) != SK_OK)
        goto out;
    PQclear(r);
    if ((ret = run(c, d->uri, "SELECT order_number FROM claims WHERE order_number = $1 FOR"
                   " UPDATE SKIP LOCKED", p, 1, "claiming order", &r, NULL, e)) != SK_OK ||
        PQntuples(r) != 1)
        goto out; /* on SK_OK: another process or station holds it */
    *hold = c;
    c = NULL;
    *got = true;
out:
    PQclear(r);
    PQfinish(c);
    return ret;
}

static void pg_unclaim(struct ledger_db *d, void *hold)
{
    /* Ending the session rolls the claim's transaction back: the row is free. */
    (void)d;
    PQfinish(hold);
}

const struct ledger_driver ledger_pg_driver = {
    .name = "postgresql",
    .shared = true,
    .migrations = LEDGER_POSTGRES,
    .numbered_params = true,
    .now = PG_NOW,
    .for_update = " FOR UPDATE",
    .insert_order = "n",
    .open = pg_open,
    .close = pg_close,
    .version_get = pg_version_get,
    .version_set = pg_version_set,
    .script = pg_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .lock = pg_lock,
    .exec = pg_exec,
    .rows = pg_rows,
    .cols = pg_cols,
    .col_name = pg_col_name,
    .kind = pg_kind,
    .text = pg_text,
    .num = pg_num,
    .changes = pg_changes,
    .result_free = pg_result_free,
    .claim = pg_claim,
    .unclaim = pg_unclaim,
};
