/* Moving a station's ledger into a shared one (docs/ledger.md): export writes the station's
 * whole ledger as a JSON document; import adds such a document (and the station's audit
 * records) to a shared ledger in one transaction, all of it or nothing. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/records/ledger_int.h"
#include "util/sk_time.h"

/* A record's station is at most this long (issuer/records/audit.h, AUDIT_FIELD_MAX); the ledger
 * does not include the audit log's header, which includes this one. */
#define IMPORT_STATION_MAX 128

/* One table as an array of objects, column name -> value, in insertion order. */
static int export_table(ledger *l, const char *table, json_t *tables, sk_err *e)
{
    char sql[128];
    struct ledger_result *r = NULL;
    json_t *rows = json_array();
    int ret = SK_ELEDGER;

    snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY {insert_order}", table);
    if (rows == NULL || json_object_set(tables, table, rows) != 0) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->where);
        goto out;
    }
    if ((ret = ledger_sql(l, sql, LEDGER_NO_ARGS, "exporting", &r, NULL, e)) != SK_OK)
        goto out;
    for (int i = 0; i < ledger_rows(l, r); i++) {
        json_t *row = json_object();
        if (row == NULL || json_array_append_new(rows, row) != 0) {
            ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->where);
            goto out;
        }
        for (int c = 0; c < l->drv->cols(r); c++) {
            json_t *v;
            switch (ledger_kind(l, r, i, c)) {
            case LEDGER_COL_NULL:
                v = json_null();
                break;
            case LEDGER_COL_INT:
                v = json_integer((json_int_t)ledger_num(l, r, i, c));
                break;
            default:
                v = json_string(ledger_text(l, r, i, c));
                break;
            }
            if (v == NULL || json_object_set_new(row, l->drv->col_name(r, c), v) != 0) {
                ret = sk_err_set(e, SK_ELEDGER, "ledger %s: %s: a value that is not UTF-8 text",
                                 l->where, table);
                goto out;
            }
        }
    }
    ret = SK_OK;
out:
    json_decref(rows);
    ledger_done(l, r);
    return ret;
}

/* The whole ledger from one read transaction, so the tables agree with each other. */
int ledger_export(ledger *l, char **json, sk_err *e)
{
    static const char *const tables[] = {"issuances", "issuance_steps", "serials", "seals",
                                         "crls", "token_events"};
    json_t *doc = NULL, *t = NULL;
    int version = 0, in_tx = 0;
    int ret;

    *json = NULL;
    if (l->drv->shared)
        return sk_err_set(e, SK_ESTATE, "a %s ledger cannot be exported (use the database's "
                          "own backup tools)", l->drv->name);
    if ((t = json_object()) == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->where);
    if ((ret = ledger_tx_begin(l, LEDGER_TX_SNAPSHOT, "exporting", e)) != SK_OK)
        goto out;
    in_tx = 1;
    if ((ret = l->drv->version_get(l->db, &version, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        if ((ret = export_table(l, tables[i], t, e)) != SK_OK)
            goto out;
    doc = json_pack("{s:s, s:i, s:O}", "format", LEDGER_EXPORT_FORMAT, "schema", version,
                    "tables", t);
    if (doc == NULL || (*json = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->where);
        goto out;
    }
    ret = SK_OK;
out:
    if (in_tx)
        ledger_tx_rollback(l); /* it only read */
    json_decref(doc);
    json_decref(t);
    return ret;
}

/* Columns copied from each exported table. Those marked as issuance references are
 * renumbered: the shared ledger hands out its own ids. csr_pem (schema 8): an order waiting
 * for its certificate (external signing) moves with its token-signed request, so that
 * csr-export and cert-import go on from the shared ledger; the import takes only documents of
 * its own schema, so the column is always in them. */
static const char *const iss_cols[] = {
    "order_number", "step",      "station_id", "operator",   "key_alg",    "issuer_id",
    "cert_serial",  "token_label", "token_serial", "key_id", "not_before", "not_after",
    "cert_pem",     "error",     "reissue_of", "started_at", "updated_at", "waybill",
    "revoked_at",   "revocation_reason", "csr_pem",
    /* migration 9: a dual-certificate token's encryption certificate */
    "enc_cert_serial", "enc_cert_pem", NULL};
static const char *const step_cols[] = {"issuance_id", "step", "at", "detail", NULL};
static const char *const serial_cols[] = {"issuer_id", "serial", "state", "issuance_id",
                                          "reserved_at", NULL};
static const char *const seal_cols[] = {"es_id", "issuance_id", "order_number", "kind",
                                        "sha256", "created_at", NULL};
static const char *const crl_cols[] = {"issuer_id", "number", "issued_at", NULL};
/* Schema 7 (sealkey token); an export made before has none. */
static const char *const token_event_cols[] = {"token_serial", "order_number", "issuance_id",
                                               "event", "station_id", "operator", "at",
                                               "detail", NULL};

#define MAX_COLS 24

struct idmap {
    long long *old_ids, *new_ids;
    size_t n;
};

/* One statement of the import. A statement the database refuses is a clash in the imported
 * data (SK_ESTATE); a lost connection is not. */
static int imp(ledger *l, const char *sql, const ledger_param *p, int n, const char *what,
               struct ledger_result **res, sk_err *e)
{
    ledger_failure failed = LEDGER_FAILED;
    char w[160];
    int ret;

    snprintf(w, sizeof(w), "import: %s", what);
    ret = ledger_sql(l, sql, p, n, w, res, &failed, e);
    if (ret == SK_ELEDGER && failed != LEDGER_LOST)
        ret = e->code = SK_ESTATE;
    return ret;
}

static long long map_id(const struct idmap *m, long long old)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->old_ids[i] == old)
            return m->new_ids[i];
    return 0;
}

/* A time column's value: "" (not yet, e.g. revoked_at) or exactly the ledger's form
 * "YYYY-MM-DDTHH:MM:SSZ", read by the program's one date parser and written back the same.
 * An export is a file that came from elsewhere: a date that is impossible or in another
 * form would otherwise stop a CRL, an OCSP index or a form long after the import. */
static int check_time(const ledger *l, const char *table, const char *col, const char *v,
                      sk_err *e)
{
    size_t n = strlen(col);
    char back[SK_TIME_TEXT];
    sk_err te;
    time_t t;

    if (!(strcmp(col, "at") == 0 || (n > 3 && strcmp(col + n - 3, "_at") == 0) ||
          strcmp(col, "not_before") == 0 || strcmp(col, "not_after") == 0) ||
        v[0] == '\0')
        return SK_OK;
    if (sk_time_parse(col, v, &t, &te) != SK_OK)
        return sk_err_set(e, SK_EINPUT, "ledger %s: import: %s: %s", l->where, table, te.msg);
    sk_time_format(t, back, sizeof(back));
    if (strcmp(back, v) != 0)
        return sk_err_set(e, SK_EINPUT, "ledger %s: import: %s: %s '%s': not the ledger's "
                          "form YYYY-MM-DDTHH:MM:SSZ", l->where, table, col, v);
    return SK_OK;
}

/* One row's values as text parameters (the database casts each to its column's type);
 * issuance references renumbered. */
static int row_params(ledger *l, const char *table, json_t *row, const char *const *cols,
                      const struct idmap *m, char bufs[][32], ledger_param *p, int *n, sk_err *e)
{
    int k = 0;

    for (; cols[k] != NULL; k++) {
        json_t *v = json_object_get(row, cols[k]);
        p[k] = LT(NULL);
        if (json_is_string(v)) {
            if (check_time(l, table, cols[k], json_string_value(v), e) != SK_OK)
                return SK_EINPUT;
            p[k] = LT(json_string_value(v));
        } else if (json_is_integer(v)) {
            long long x = (long long)json_integer_value(v);
            if (strcmp(cols[k], "issuance_id") == 0 || strcmp(cols[k], "reissue_of") == 0) {
                if ((x = map_id(m, x)) == 0)
                    return sk_err_set(e, SK_EINPUT, "ledger %s: import: %s: issuance %lld is "
                                      "not in the export", l->where, table,
                                      (long long)json_integer_value(v));
            }
            snprintf(bufs[k], 32, "%lld", x);
            p[k] = LT(bufs[k]);
        } else if (!json_is_null(v)) {
            return sk_err_set(e, SK_EINPUT, "ledger %s: import: %s: column %s missing or not "
                              "text, integer or null", l->where, table, cols[k]);
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
        n = snprintf(sql + o, len - o, "%s?", i ? ", " : "");
        if (n < 0 || (size_t)n >= len - o)
            return -1;
        o += (size_t)n;
    }
    n = snprintf(sql + o, len - o, ")%s", returning ? returning : "");
    return n < 0 || (size_t)n >= len - o ? -1 : 0;
}

static int import_issuances(ledger *l, json_t *rows, const char *origin, struct idmap *m,
                            size_t *count, sk_err *e)
{
    char sql[1024], bufs[MAX_COLS][32], org[160];
    ledger_param p[MAX_COLS];
    size_t n = json_array_size(rows);
    struct ledger_result *r = NULL;
    int ret = SK_OK, np = 0;

    if (insert_sql("issuances", iss_cols, "origin", " RETURNING id", sql, sizeof(sql)) != 0)
        return sk_err_set(e, SK_EINTERNAL, "import: statement too long");
    m->old_ids = calloc(n + 1, sizeof(long long));
    m->new_ids = calloc(n + 1, sizeof(long long));
    if (m->old_ids == NULL || m->new_ids == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->where);
    /* Oldest first, so that a reissue's predecessor already has its new id. */
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(rows, i), *id = json_object_get(row, "id");
        if (!json_is_integer(id))
            return sk_err_set(e, SK_EINPUT, "ledger %s: import: issuance %zu has no id",
                              l->where, i + 1);
        if ((ret = row_params(l, "issuances", row, iss_cols, m, bufs, p, &np, e)) != SK_OK)
            return ret;
        snprintf(org, sizeof(org), "%s:%lld", origin, (long long)json_integer_value(id));
        p[np] = LT(org);
        if ((ret = imp(l, sql, p, np + 1, "issuances", &r, e)) != SK_OK)
            return ret;
        m->old_ids[m->n] = (long long)json_integer_value(id);
        m->new_ids[m->n++] = ledger_num(l, r, 0, 0);
        ledger_done(l, r);
        r = NULL;
    }
    *count = n;
    return ret;
}

static int import_rows(ledger *l, const char *table, const char *const *cols, json_t *rows,
                       const struct idmap *m, size_t *count, sk_err *e)
{
    char sql[1024], bufs[MAX_COLS][32], what[64];
    ledger_param p[MAX_COLS];
    int ret = SK_OK, np = 0;

    if (insert_sql(table, cols, NULL, NULL, sql, sizeof(sql)) != 0)
        return sk_err_set(e, SK_EINTERNAL, "import: statement too long");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        snprintf(what, sizeof(what), "%s row %zu", table, i + 1);
        if ((ret = row_params(l, table, json_array_get(rows, i), cols, m, bufs, p, &np, e)) !=
                SK_OK ||
            (ret = imp(l, sql, p, np, what, NULL, e)) != SK_OK)
            return ret;
    }
    *count = json_array_size(rows);
    return ret;
}

/* The station's audit records keep their seq, chain and hashes exactly; the station must
 * have none in the shared ledger yet, or the two chains would fork. */
static int import_audit(ledger *l, json_t *lines, size_t *count, sk_err *e)
{
    char seq[32], last_station[IMPORT_STATION_MAX + 1] = "";
    json_t *rec = NULL;
    int ret = SK_OK;

    for (size_t i = 0; i < json_array_size(lines); i++) {
        const char *text = json_string_value(json_array_get(lines, i)), *station;
        struct ledger_result *r = NULL;
        json_t *st, *sq, *h;
        int exists;

        json_decref(rec);
        rec = text != NULL ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
        st = json_object_get(rec, "station");
        sq = json_object_get(rec, "seq");
        h = json_object_get(rec, "hash");
        if (!json_is_string(st) || !json_is_integer(sq) || !json_is_string(h) ||
            strlen(json_string_value(st)) >= sizeof(last_station)) {
            ret = sk_err_set(e, SK_EINPUT, "ledger %s: import: audit record %zu is not an "
                             "audit record", l->where, i + 1);
            goto out;
        }
        station = json_string_value(st);
        snprintf(seq, sizeof(seq), "%lld", (long long)json_integer_value(sq));
        if (strcmp(last_station, station) != 0) {
            if ((ret = imp(l, "SELECT 1 FROM audit_heads WHERE station = ?",
                           LEDGER_ARGS(LT(station)), "audit", &r, e)) != SK_OK)
                goto out;
            exists = ledger_rows(l, r) > 0;
            ledger_done(l, r);
            if (exists) {
                ret = sk_err_set(e, SK_ESTATE, "ledger %s: import: station %s already has an "
                                 "audit log in the shared ledger; import a station before it "
                                 "works on the shared ledger", l->where, station);
                goto out;
            }
            snprintf(last_station, sizeof(last_station), "%s", station);
        }
        if ((ret = imp(l, "INSERT INTO audit_records (station, seq, record) VALUES (?, ?, ?)",
                       LEDGER_ARGS(LT(station), LT(seq), LT(text)), "audit record", NULL,
                       e)) != SK_OK ||
            (ret = imp(l, "INSERT INTO audit_heads (station, seq, hash) VALUES (?, ?, ?) ON"
                       " CONFLICT (station) DO UPDATE SET seq = excluded.seq, hash ="
                       " excluded.hash", LEDGER_ARGS(LT(station), LT(seq),
                                                     LT(json_string_value(h))),
                       "audit head", NULL, e)) != SK_OK)
            goto out;
    }
    *count = json_array_size(lines);
out:
    json_decref(rec);
    return ret;
}

static int import_doc(ledger *l, json_t *doc, const char *origin, ledger_import_counts *counts,
                      struct idmap *m, sk_err *e)
{
    json_t *t = json_object_get(doc, "tables");
    struct ledger_result *r = NULL;
    char like[160];
    int ret;

    snprintf(like, sizeof(like), "%s:%%", origin);
    if ((ret = imp(l, "SELECT count(*) FROM issuances WHERE origin LIKE ?",
                   LEDGER_ARGS(LT(like)), "checking earlier imports", &r, e)) != SK_OK)
        goto out;
    if (ledger_num(l, r, 0, 0) != 0) {
        ret = sk_err_set(e, SK_ESTATE, "ledger %s: station %s was imported before (%s "
                         "issuances); nothing imported", l->where, origin,
                         ledger_text(l, r, 0, 0));
        goto out;
    }
    if ((ret = import_issuances(l, json_object_get(t, "issuances"), origin, m,
                                &counts->issuances, e)) != SK_OK ||
        (ret = import_rows(l, "issuance_steps", step_cols, json_object_get(t, "issuance_steps"),
                           m, &counts->steps, e)) != SK_OK ||
        (ret = import_rows(l, "serials", serial_cols, json_object_get(t, "serials"), m,
                           &counts->serials, e)) != SK_OK ||
        (ret = import_rows(l, "seals", seal_cols, json_object_get(t, "seals"), m,
                           &counts->seals, e)) != SK_OK ||
        (ret = import_rows(l, "crls", crl_cols, json_object_get(t, "crls"), m, &counts->crls,
                           e)) != SK_OK ||
        (ret = import_rows(l, "token_events", token_event_cols,
                           json_object_get(t, "token_events"), m, &counts->token_events, e)) !=
            SK_OK)
        goto out;
    ret = import_audit(l, json_object_get(doc, "audit"), &counts->audit_records, e);
out:
    ledger_done(l, r);
    return ret;
}

int ledger_import(ledger *l, const char *json, size_t len, const char *origin,
                  ledger_import_counts *counts, sk_err *e)
{
    json_t *doc = NULL;
    const char *fmt;
    json_error_t jerr;
    struct idmap m = {NULL, NULL, 0};
    int ret;

    memset(counts, 0, sizeof(*counts));
    if (!l->drv->shared)
        return sk_err_set(e, SK_ESTATE, "a %s ledger takes no imports; import into the shared "
                          "(postgresql://) ledger", l->drv->name);
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    fmt = json_string_value(json_object_get(doc, "format"));
    if (doc == NULL || !json_is_object(json_object_get(doc, "tables")) || fmt == NULL ||
        strcmp(fmt, LEDGER_EXPORT_FORMAT) != 0) {
        ret = sk_err_set(e, SK_EINPUT, "import: not a %s document%s%s", LEDGER_EXPORT_FORMAT,
                         doc == NULL ? ": " : "", doc == NULL ? jerr.text : "");
        goto out;
    }
    /* An older schema's rows may break rules its migrations since enforce (migration 6
     * revokes the certificates older versions left neither live nor revoked): the station
     * exports again with this version, whose opening migrates its ledger first. */
    json_t *schema = json_object_get(doc, "schema");
    if (!json_is_integer(schema) ||
        json_integer_value(schema) != (json_int_t)ledger_migrations_count()) {
        ret = sk_err_set(e, SK_EINPUT, "import: the document is of ledger schema %lld, this "
                         "sealkey's is %zu: export it again with this version of sealkey (which "
                         "brings the station's ledger to schema %zu first)",
                         json_is_integer(schema) ? (long long)json_integer_value(schema) : -1LL,
                         ledger_migrations_count(), ledger_migrations_count());
        goto out;
    }
    if (origin == NULL || origin[0] == '\0' || strchr(origin, '%') || strchr(origin, '_') ||
        strlen(origin) > 100) {
        ret = sk_err_set(e, SK_EINPUT, "import: origin '%s' must be a station id (no %% or _)",
                         origin ? origin : "");
        goto out;
    }
    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, "import: begin", e)) == SK_OK)
        ret = ledger_tx_end(l, import_doc(l, doc, origin, counts, &m, e), e);
out:
    if (ret != SK_OK)
        memset(counts, 0, sizeof(*counts));
    free(m.old_ids);
    free(m.new_ids);
    json_decref(doc);
    return ret;
}
