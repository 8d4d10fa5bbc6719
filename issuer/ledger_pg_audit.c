/* The audit log of stations on the shared PostgreSQL ledger: storage only. issuer/audit.c
 * makes each record (the same JSON line, hash and chain as the file log) and checks them. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/ledger_backend.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static int q(PGconn *c, const char *uri, const char *sql, int n, const char *const *p,
             PGresult **res, const char *what, sk_err *e)
{
    char w[160];

    snprintf(w, sizeof(w), "audit log: %s", what);
    return ledger_pg_exec(c, uri, sql, n, p, res, NULL, SK_ELEDGER, w, e);
}

int ledger_pg_audit_append_conn(void *conn, const char *uri, const char *station,
                                ledger_audit_build_fn build, void *arg, sk_err *e)
{
    PGconn *c = conn;
    PGresult *r = NULL;
    char *line = NULL, hash[65], seq[32];
    unsigned long long next;
    int in_tx = 0, ret;
    const char *p1[] = {station};

    if ((ret = q(c, uri, "BEGIN", 0, NULL, NULL, "begin", e)) != SK_OK)
        goto out;
    in_tx = 1;
    /* The head row, locked, makes one writer per station at a time; stations do not wait
     * for each other. */
    if ((ret = q(c, uri, "INSERT INTO audit_heads (station, seq, hash) VALUES ($1, 0, '"
                 ZERO_HASH "') ON CONFLICT (station) DO NOTHING", 1, p1, NULL, "head",
                 e)) != SK_OK ||
        (ret = q(c, uri, "SELECT seq, hash, to_char(now() AT TIME ZONE 'UTC',"
                 " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM audit_heads WHERE station = $1"
                 " FOR UPDATE", 1, p1, &r, "head", e)) != SK_OK)
        goto out;
    next = strtoull(PQgetvalue(r, 0, 0), NULL, 10) + 1;
    if ((ret = build(arg, next, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), &line, hash, e)) !=
        SK_OK)
        goto out;
    snprintf(seq, sizeof(seq), "%llu", next);
    const char *p2[] = {station, seq, line};
    const char *p3[] = {station, seq, hash};
    if ((ret = q(c, uri, "INSERT INTO audit_records (station, seq, record) VALUES ($1,"
                 " $2::bigint, $3)", 3, p2, NULL, "appending", e)) != SK_OK ||
        (ret = q(c, uri, "UPDATE audit_heads SET seq = $2::bigint, hash = $3 WHERE station = $1",
                 3, p3, NULL, "head", e)) != SK_OK ||
        (ret = q(c, uri, "COMMIT", 0, NULL, NULL, "commit", e)) != SK_OK)
        goto out;
    in_tx = 0;
out:
    if (in_tx)
        PQclear(PQexec(c, "ROLLBACK"));
    PQclear(r);
    free(line);
    return ret;
}

int ledger_pg_audit_append(const char *uri, const char *station, ledger_audit_build_fn build,
                           void *arg, sk_err *e)
{
    void *c = NULL;
    int ret = ledger_pg_connect(uri, "audit", &c, e);

    if (ret == SK_OK)
        ret = ledger_pg_audit_append_conn(c, uri, station, build, arg, e);
    PQfinish(c);
    return ret;
}

int ledger_pg_audit_read(const char *uri, const char *station, ledger_pg_audit_row_fn row,
                         ledger_pg_audit_head_fn head, void *arg, sk_err *e)
{
    void *vc = NULL;
    PGconn *c = NULL;
    PGresult *r = NULL;
    const char *p[] = {station};
    int n = station != NULL ? 1 : 0, ret;

    if ((ret = ledger_pg_connect(uri, "audit verify", &vc, e)) != SK_OK)
        goto out;
    c = vc;
    /* One snapshot for records and heads, so appends running meanwhile do not look like
     * records beyond the head. */
    if ((ret = q(c, uri, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL,
                 "begin", e)) != SK_OK ||
        (ret = q(c, uri, station != NULL ? "SELECT station, seq, record FROM audit_records"
                                           " WHERE station = $1 ORDER BY station, seq"
                                         : "SELECT station, seq, record FROM audit_records"
                                           " ORDER BY station, seq",
                 n, p, &r, "reading", e)) != SK_OK)
        goto out;
    for (int i = 0; i < PQntuples(r); i++)
        if ((ret = row(arg, PQgetvalue(r, i, 0), strtoull(PQgetvalue(r, i, 1), NULL, 10),
                       PQgetvalue(r, i, 2))) != 0)
            goto out;
    PQclear(r);
    if ((ret = q(c, uri, station != NULL ? "SELECT station, seq, hash FROM audit_heads"
                                           " WHERE station = $1 AND seq > 0"
                                         : "SELECT station, seq, hash FROM audit_heads"
                                           " WHERE seq > 0 ORDER BY station",
                 n, p, &r, "reading heads", e)) != SK_OK)
        goto out;
    for (int i = 0; i < PQntuples(r); i++)
        if ((ret = head(arg, PQgetvalue(r, i, 0), strtoull(PQgetvalue(r, i, 1), NULL, 10),
                        PQgetvalue(r, i, 2))) != 0)
            goto out;
out:
    PQclear(r);
    PQfinish(c);
    return ret;
}
