/* Connecting to the shared PostgreSQL ledger, and running one statement on it. */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "issuer/ledger_backend.h"

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

int ledger_pg_connect(const char *uri, const char *purpose, void **out, sk_err *e)
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

int ledger_pg_exec(PGconn *c, const char *where, const char *sql, int n, const char *const *p,
                   PGresult **res, char *state, int fail_code, const char *what, sk_err *e)
{
    PGresult *r = n == 0 ? PQexec(c, sql) : PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(r);
    char msg[512];
    int ret = SK_OK;

    if (res != NULL)
        *res = NULL;
    if (state != NULL)
        state[0] = '\0';
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        const char *code = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        if (state != NULL && code != NULL)
            snprintf(state, 6, "%s", code);
        first_line(r != NULL && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r)
                                                            : PQerrorMessage(c),
                   msg, sizeof(msg));
        /* A dropped connection is a database failure, whatever the caller was doing. */
        ret = sk_err_set(e, PQstatus(c) != CONNECTION_OK ? SK_ELEDGER : fail_code,
                         "ledger %s: %s: %s", where, what, msg);
        PQclear(r);
        return ret;
    }
    if (res != NULL)
        *res = r;
    else
        PQclear(r);
    return ret;
}
