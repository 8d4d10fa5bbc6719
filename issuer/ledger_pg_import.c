/* Importing a station's exported ledger (and audit log) into the shared PostgreSQL ledger,
 * in one transaction: all of it or nothing. */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/ledger_backend.h"

/* Columns copied from each exported table. Those marked as issuance references are
 * renumbered: the shared ledger hands out its own ids. */
struct table {
    const char *name;
    const char *const *cols;
    size_t *count;
};

static const char *const iss_cols[] = {
    "order_number", "step",      "station_id", "operator",   "key_alg",    "issuer_id",
    "cert_serial",  "token_label", "token_serial", "key_id", "not_before", "not_after",
    "cert_pem",     "error",     "reissue_of", "started_at", "updated_at", "waybill",
    "revoked_at",   "revocation_reason", NULL};
static const char *const step_cols[] = {"issuance_id", "step", "at", "detail", NULL};
static const char *const serial_cols[] = {"issuer_id", "serial", "state", "issuance_id",
                                          "reserved_at", NULL};
static const char *const seal_cols[] = {"es_id", "issuance_id", "order_number", "kind",
                                        "sha256", "created_at", NULL};
static const char *const crl_cols[] = {"issuer_id", "number", "issued_at", NULL};

#define MAX_COLS 24

struct idmap {
    long long *old_ids, *new_ids;
    size_t n;
};

static int exec_ok(PGconn *c, const char *where, const char *sql, int n, const char *const *p,
                   PGresult **res, const char *what, sk_err *e)
{
    char w[160];

    /* A failed statement here is a clash in the imported data; a lost connection is not. */
    snprintf(w, sizeof(w), "import: %s", what);
    return ledger_pg_exec(c, where, sql, n, p, res, NULL, SK_ESTATE, w, e);
}

static long long map_id(const struct idmap *m, long long old)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->old_ids[i] == old)
            return m->new_ids[i];
    return 0;
}

/* One row's values as text parameters; issuance references renumbered. */
static int row_params(const char *where, const char *table, json_t *row, const char *const *cols,
                      const struct idmap *m, char bufs[][32], const char **p, int *n, sk_err *e)
{
    int k = 0;

    for (; cols[k] != NULL; k++) {
        json_t *v = json_object_get(row, cols[k]);
        p[k] = NULL;
        if (json_is_string(v)) {
            p[k] = json_string_value(v);
        } else if (json_is_integer(v)) {
            long long x = (long long)json_integer_value(v);
            if (strcmp(cols[k], "issuance_id") == 0 || strcmp(cols[k], "reissue_of") == 0) {
                if ((x = map_id(m, x)) == 0)
                    return sk_err_set(e, SK_EINPUT, "ledger %s: import: %s: issuance %lld is "
                                      "not in the export", where, table,
                                      (long long)json_integer_value(v));
            }
            snprintf(bufs[k], 32, "%lld", x);
            p[k] = bufs[k];
        } else if (!json_is_null(v)) {
            return sk_err_set(e, SK_EINPUT, "ledger %s: import: %s: column %s missing or not "
                              "text, integer or null", where, table, cols[k]);
        }
    }
    *n = k;
    return SK_OK;
}

static int insert_sql(const char *table, const char *const *cols, const char *extra,
                      const char *returning, char *sql, size_t len)
{
    size_t o = 0;
    int n, k;

    n = snprintf(sql + o, len - o, "INSERT INTO %s (", table);
    o += (size_t)n;
    for (k = 0; cols[k] != NULL; k++) {
        n = snprintf(sql + o, len - o, "%s%s", k ? ", " : "", cols[k]);
        if (n < 0 || (size_t)n >= len - o)
            return -1;
        o += (size_t)n;
    }
    n = snprintf(sql + o, len - o, "%s%s) VALUES (", extra ? ", " : "", extra ? extra : "");
    o += (size_t)n;
    for (int i = 0; i < k + (extra ? 1 : 0); i++) {
        /* Let the server cast each text to its column's type. */
        n = snprintf(sql + o, len - o, "%s$%d", i ? ", " : "", i + 1);
        if (n < 0 || (size_t)n >= len - o)
            return -1;
        o += (size_t)n;
    }
    n = snprintf(sql + o, len - o, ")%s", returning ? returning : "");
    return n < 0 || (size_t)n >= len - o ? -1 : 0;
}

static int import_issuances(PGconn *c, const char *where, json_t *rows, const char *origin,
                            struct idmap *m, size_t *count, sk_err *e)
{
    char sql[1024], bufs[MAX_COLS][32], org[160];
    const char *p[MAX_COLS];
    size_t n = json_array_size(rows);
    PGresult *r = NULL;
    int ret = SK_OK, np = 0;

    if (insert_sql("issuances", iss_cols, "origin", " RETURNING id", sql, sizeof(sql)) != 0)
        return sk_err_set(e, SK_EINTERNAL, "import: statement too long");
    m->old_ids = calloc(n + 1, sizeof(long long));
    m->new_ids = calloc(n + 1, sizeof(long long));
    if (m->old_ids == NULL || m->new_ids == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", where);
    /* Oldest first, so that a reissue's predecessor already has its new id. */
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(rows, i), *id = json_object_get(row, "id");
        if (!json_is_integer(id))
            return sk_err_set(e, SK_EINPUT, "ledger %s: import: issuance %zu has no id", where,
                              i + 1);
        if ((ret = row_params(where, "issuances", row, iss_cols, m, bufs, p, &np, e)) != SK_OK)
            return ret;
        snprintf(org, sizeof(org), "%s:%lld", origin, (long long)json_integer_value(id));
        p[np] = org;
        if ((ret = exec_ok(c, where, sql, np + 1, p, &r, "issuances", e)) != SK_OK)
            return ret;
        m->old_ids[m->n] = (long long)json_integer_value(id);
        m->new_ids[m->n++] = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        r = NULL;
    }
    *count = n;
    return ret;
}

static int import_rows(PGconn *c, const char *where, const char *table, const char *const *cols,
                       json_t *rows, const struct idmap *m, size_t *count, sk_err *e)
{
    char sql[1024], bufs[MAX_COLS][32], what[64];
    const char *p[MAX_COLS];
    int ret = SK_OK, np = 0;

    if (insert_sql(table, cols, NULL, NULL, sql, sizeof(sql)) != 0)
        return sk_err_set(e, SK_EINTERNAL, "import: statement too long");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        snprintf(what, sizeof(what), "%s row %zu", table, i + 1);
        if ((ret = row_params(where, table, json_array_get(rows, i), cols, m, bufs, p, &np, e)) !=
                SK_OK ||
            (ret = exec_ok(c, where, sql, np, p, NULL, what, e)) != SK_OK)
            return ret;
    }
    *count = json_array_size(rows);
    return ret;
}

/* The station's audit records keep their seq, chain and hashes exactly; the station must
 * have none in the shared ledger yet, or the two chains would fork. The ledger stores the
 * records as given and does not know the audit module; a record's station is at most 128
 * bytes (issuer/audit.h, AUDIT_FIELD_MAX). */
#define IMPORT_STATION_MAX 128
static int import_audit(PGconn *c, const char *where, json_t *lines, size_t *count, sk_err *e)
{
    char seq[32], last_station[IMPORT_STATION_MAX + 1] = "";
    json_t *rec = NULL;
    int ret = SK_OK;

    for (size_t i = 0; i < json_array_size(lines); i++) {
        const char *text = json_string_value(json_array_get(lines, i));
        json_t *st, *sq, *h;
        json_decref(rec);
        rec = text != NULL ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
        st = json_object_get(rec, "station");
        sq = json_object_get(rec, "seq");
        h = json_object_get(rec, "hash");
        if (!json_is_string(st) || !json_is_integer(sq) || !json_is_string(h) ||
            strlen(json_string_value(st)) >= sizeof(last_station)) {
            ret = sk_err_set(e, SK_EINPUT, "ledger %s: import: audit record %zu is not an "
                             "audit record", where, i + 1);
            goto out;
        }
        snprintf(seq, sizeof(seq), "%lld", (long long)json_integer_value(sq));
        const char *p[] = {json_string_value(st), seq, text};
        const char *ph[] = {p[0], seq, json_string_value(h)};
        if (strcmp(last_station, p[0]) != 0) {
            PGresult *r = NULL;
            if ((ret = exec_ok(c, where, "SELECT 1 FROM audit_heads WHERE station = $1", 1, p,
                               &r, "audit", e)) != SK_OK)
                goto out;
            int exists = PQntuples(r) > 0;
            PQclear(r);
            if (exists) {
                ret = sk_err_set(e, SK_ESTATE, "ledger %s: import: station %s already has an "
                                 "audit log in the shared ledger; import a station before it "
                                 "works on the shared ledger", where, p[0]);
                goto out;
            }
            snprintf(last_station, sizeof(last_station), "%s", p[0]);
        }
        if ((ret = exec_ok(c, where, "INSERT INTO audit_records (station, seq, record) VALUES"
                           " ($1, $2::bigint, $3)", 3, p, NULL, "audit record", e)) != SK_OK ||
            (ret = exec_ok(c, where, "INSERT INTO audit_heads (station, seq, hash) VALUES ($1,"
                           " $2::bigint, $3) ON CONFLICT (station) DO UPDATE SET seq ="
                           " excluded.seq, hash = excluded.hash", 3, ph, NULL, "audit head",
                           e)) != SK_OK)
            goto out;
    }
    *count = json_array_size(lines);
out:
    json_decref(rec);
    return ret;
}

int ledger_pg_import(void *conn, const char *where, const char *json, size_t len,
                     const char *origin, ledger_import_counts *counts, sk_err *e)
{
    PGconn *c = conn;
    json_t *doc = NULL, *t;
    const char *fmt;
    json_error_t jerr;
    struct idmap m = {NULL, NULL, 0};
    char like[160];
    const char *p[] = {like};
    PGresult *r = NULL;
    int in_tx = 0, ret;

    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    t = json_object_get(doc, "tables");
    fmt = json_string_value(json_object_get(doc, "format"));
    if (doc == NULL || !json_is_object(t) || fmt == NULL ||
        strcmp(fmt, LEDGER_EXPORT_FORMAT) != 0) {
        ret = sk_err_set(e, SK_EINPUT, "import: not a %s document%s%s", LEDGER_EXPORT_FORMAT,
                         doc == NULL ? ": " : "", doc == NULL ? jerr.text : "");
        goto out;
    }
    if (origin == NULL || origin[0] == '\0' || strchr(origin, '%') || strchr(origin, '_') ||
        strlen(origin) > 100) {
        ret = sk_err_set(e, SK_EINPUT, "import: origin '%s' must be a station id (no %% or _)",
                         origin ? origin : "");
        goto out;
    }
    if ((ret = exec_ok(c, where, "BEGIN", 0, NULL, NULL, "begin", e)) != SK_OK)
        goto out;
    in_tx = 1;
    snprintf(like, sizeof(like), "%s:%%", origin);
    if ((ret = exec_ok(c, where, "SELECT count(*) FROM issuances WHERE origin LIKE $1", 1, p, &r,
                       "checking earlier imports", e)) != SK_OK)
        goto out;
    if (strcmp(PQgetvalue(r, 0, 0), "0") != 0) {
        ret = sk_err_set(e, SK_ESTATE, "ledger %s: station %s was imported before (%s "
                         "issuances); nothing imported", where, origin, PQgetvalue(r, 0, 0));
        goto out;
    }
    if ((ret = import_issuances(c, where, json_object_get(t, "issuances"), origin, &m,
                                &counts->issuances, e)) != SK_OK ||
        (ret = import_rows(c, where, "issuance_steps", step_cols,
                           json_object_get(t, "issuance_steps"), &m, &counts->steps, e)) !=
            SK_OK ||
        (ret = import_rows(c, where, "serials", serial_cols, json_object_get(t, "serials"), &m,
                           &counts->serials, e)) != SK_OK ||
        (ret = import_rows(c, where, "seals", seal_cols, json_object_get(t, "seals"), &m,
                           &counts->seals, e)) != SK_OK ||
        (ret = import_rows(c, where, "crls", crl_cols, json_object_get(t, "crls"), &m,
                           &counts->crls, e)) != SK_OK ||
        (ret = import_audit(c, where, json_object_get(doc, "audit"), &counts->audit_records,
                            e)) != SK_OK)
        goto out;
    ret = exec_ok(c, where, "COMMIT", 0, NULL, NULL, "commit", e);
    in_tx = ret != SK_OK;
out:
    if (in_tx)
        PQclear(PQexec(c, "ROLLBACK"));
    if (ret != SK_OK)
        memset(counts, 0, sizeof(*counts));
    PQclear(r);
    free(m.old_ids);
    free(m.new_ids);
    json_decref(doc);
    return ret;
}
