/* What the ledger stores for the audit log, storage only: issuer/records/audit*.c make each record
 * (the same JSON line, hash and chain as the file log) and check them. A shared ledger
 * holds the stations' logs (audit_records, chained per station, each station's last record
 * in audit_heads); a station's own ledger holds the anchor of its file log (audit_anchors). */
#include <stdio.h>
#include <stdlib.h>

#include "issuer/records/ledger_backend.h"
#include "issuer/records/ledger_int.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static int q(ledger *l, const char *sql, const ledger_param *p, int n, const char *what,
             struct ledger_result **res, sk_err *e)
{
    char w[160];

    snprintf(w, sizeof(w), "audit log: %s", what);
    return ledger_sql(l, sql, p, n, w, res, NULL, e);
}

static int append(ledger *l, const char *station, ledger_audit_build_fn build, void *arg,
                  sk_err *e)
{
    struct ledger_result *r = NULL;
    char *line = NULL, hash[65], seq[32];
    unsigned long long next;
    int ret;

    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, "audit log: begin", e)) != SK_OK)
        return ret;
    /* The head row, locked, makes one writer per station at a time; stations do not wait
     * for each other. */
    if ((ret = q(l, "INSERT INTO audit_heads (station, seq, hash) VALUES (?, 0, '" ZERO_HASH
                 "') ON CONFLICT (station) DO NOTHING", LEDGER_ARGS(LT(station)), "head", NULL,
                 e)) != SK_OK ||
        (ret = q(l, "SELECT seq, hash, {now} FROM audit_heads WHERE station = ?{for_update}",
                 LEDGER_ARGS(LT(station)), "head", &r, e)) != SK_OK)
        goto out;
    if (ledger_rows(l, r) != 1) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: audit log: head: no head of station %s",
                         l->where, station);
        goto out;
    }
    next = (unsigned long long)ledger_num(l, r, 0, 0) + 1;
    if ((ret = build(arg, next, ledger_text(l, r, 0, 1), ledger_text(l, r, 0, 2), &line, hash,
                     e)) != SK_OK)
        goto out;
    snprintf(seq, sizeof(seq), "%llu", next);
    if ((ret = q(l, "INSERT INTO audit_records (station, seq, record) VALUES (?, ?, ?)",
                 LEDGER_ARGS(LT(station), LT(seq), LT(line)), "appending", NULL, e)) == SK_OK)
        ret = q(l, "UPDATE audit_heads SET seq = ?, hash = ? WHERE station = ?",
                LEDGER_ARGS(LT(seq), LT(hash), LT(station)), "head", NULL, e);
out:
    ledger_done(l, r);
    free(line);
    return ledger_tx_end(l, ret, e);
}

int ledger_audit_append(ledger *l, const char *station, ledger_audit_build_fn build, void *arg,
                        sk_err *e)
{
    if (!l->drv->shared)
        return sk_err_set(e, SK_ESTATE, "a %s ledger keeps no audit log", l->drv->name);
    return append(l, station, build, arg, e);
}

int ledger_pg_audit_read(const char *uri, const char *station, ledger_pg_audit_row_fn row,
                         ledger_pg_audit_head_fn head, void *arg, sk_err *e)
{
    ledger *l = NULL;
    struct ledger_result *r = NULL;
    int ret;

    if ((ret = ledger_connect(uri, &ledger_pg_driver, "audit verify", &l, e)) != SK_OK)
        goto out;
    /* One snapshot for records and heads, so appends running meanwhile do not look like
     * records beyond the head. */
    if ((ret = ledger_tx_begin(l, LEDGER_TX_SNAPSHOT, "audit log: begin", e)) != SK_OK ||
        (ret = station != NULL
                   ? q(l, "SELECT station, seq, record FROM audit_records WHERE station = ?"
                       " ORDER BY station, seq", LEDGER_ARGS(LT(station)), "reading", &r, e)
                   : q(l, "SELECT station, seq, record FROM audit_records ORDER BY station, seq",
                       LEDGER_NO_ARGS, "reading", &r, e)) != SK_OK)
        goto out;
    for (int i = 0; i < ledger_rows(l, r); i++)
        if ((ret = row(arg, ledger_text(l, r, i, 0), (unsigned long long)ledger_num(l, r, i, 1),
                       ledger_text(l, r, i, 2))) != 0)
            goto out;
    ledger_done(l, r);
    r = NULL;
    if ((ret = station != NULL
                   ? q(l, "SELECT station, seq, hash FROM audit_heads WHERE station = ? AND"
                       " seq > 0", LEDGER_ARGS(LT(station)), "reading heads", &r, e)
                   : q(l, "SELECT station, seq, hash FROM audit_heads WHERE seq > 0 ORDER BY"
                       " station", LEDGER_NO_ARGS, "reading heads", &r, e)) != SK_OK)
        goto out;
    for (int i = 0; i < ledger_rows(l, r); i++)
        if ((ret = head(arg, ledger_text(l, r, i, 0), (unsigned long long)ledger_num(l, r, i, 1),
                        ledger_text(l, r, i, 2))) != 0)
            goto out;
out:
    ledger_done(l, r);
    ledger_free(l);
    return ret;
}

/* The anchor of the station's audit log (issuer/records/audit_file.c writes it under the log's
 * lock, so anchors arrive in the log's order). */
int ledger_audit_anchor_set(ledger *l, const char *station, unsigned long long seq,
                            const char *hash, sk_err *e)
{
    if (l->drv->shared)
        return sk_err_set(e, SK_ESTATE, "a %s ledger keeps no audit anchors", l->drv->name);
    return ledger_sql(l, "INSERT INTO audit_anchors (station, seq, hash, at) VALUES (?, ?, ?,"
                      " {now}) ON CONFLICT (station) DO UPDATE SET seq = excluded.seq,"
                      " hash = excluded.hash, at = excluded.at",
                      LEDGER_ARGS(LT(station), LI((long long)seq), LT(hash)),
                      "anchoring the audit log", NULL, NULL, e);
}

int ledger_audit_anchor_get(ledger *l, const char *station, unsigned long long *seq, char *hash,
                            size_t hash_len, bool *found, sk_err *e)
{
    struct ledger_result *r = NULL;
    int ret;

    *found = false;
    *seq = 0;
    if (hash_len > 0)
        hash[0] = '\0';
    if (l->drv->shared)
        return sk_err_set(e, SK_ESTATE, "a %s ledger keeps no audit anchors", l->drv->name);
    ret = ledger_sql(l, "SELECT seq, hash FROM audit_anchors WHERE station = ?",
                     LEDGER_ARGS(LT(station)), "reading the audit anchor", &r, NULL, e);
    if (ret == SK_OK && ledger_rows(l, r) == 1) {
        *found = true;
        *seq = (unsigned long long)ledger_num(l, r, 0, 0);
        ledger_copy(l, r, 0, 1, hash, hash_len);
    }
    ledger_done(l, r);
    return ret;
}
