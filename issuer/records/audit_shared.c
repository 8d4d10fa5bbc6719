/* The audit log of a station on a shared (PostgreSQL) ledger: appending over the station's
 * ledger connection, and checking every station's chain and head rows (docs/ledger.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/records/audit_int.h"
#include "issuer/records/ledger_backend.h"

struct db_build {
    const char *station_id, *operator_name;
    const audit_event *ev;
};

static int db_build(void *arg, unsigned long long seq, const char *prev, const char *now,
                    char **line, char *hash, sk_err *e)
{
    const struct db_build *b = arg;
    int ret =
        audit_record_build(b->station_id, b->operator_name, b->ev, seq, prev, now, line, hash, e);

    /* The file log's line ends in a newline; a database row does not. */
    if (ret == SK_OK)
        (*line)[strcspn(*line, "\n")] = '\0';
    return ret;
}

/* Checking a shared ledger's audit records: each station's chain as in the file log, and
 * each station's head row against its last record. */
struct db_station {
    char name[AUDIT_FIELD_MAX + 1];
    unsigned long long last;
    char hash[HASH_HEX];
    bool headed;
};

struct db_walker {
    const audit_sink *sink;
    audit_visit_fn fn;
    void *arg;
    sk_err *e;
    struct db_station *st;
    size_t n_st, cap;
    size_t n_records;
};

static int db_row(void *arg, const char *station, unsigned long long seq, const char *text)
{
    struct db_walker *w = arg;
    struct db_station *s;
    char label[1300];
    json_t *j = NULL;
    audit_record r;
    int ret;

    if (w->n_st == 0 || strcmp(w->st[w->n_st - 1].name, station) != 0) {
        if (w->n_st == w->cap) {
            size_t ncap = w->cap ? w->cap * 2 : 8;
            struct db_station *nv = realloc(w->st, ncap * sizeof(*nv));
            if (nv == NULL)
                return sk_err_set(w->e, SK_EINTERNAL, "out of memory");
            w->st = nv;
            w->cap = ncap;
        }
        s = &w->st[w->n_st++];
        memset(s, 0, sizeof(*s));
        snprintf(s->name, sizeof(s->name), "%s", station);
        memcpy(s->hash, audit_zero_hash, HASH_HEX);
    }
    s = &w->st[w->n_st - 1];
    snprintf(label, sizeof(label), "ledger %s: audit log of station %s", w->sink->uri, station);
    if (strlen(text) > AUDIT_LINE_MAX ||
        (j = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
        ret = sk_err_set(w->e, SK_EFAIL, "%s: record %llu: not a JSON record (garbage?)", label,
                         seq);
        goto out;
    }
    if ((ret = audit_record_check(label, (size_t)seq, j, text, &r, w->e)) != SK_OK)
        goto out;
    if (strcmp(r.station, station) != 0 || r.seq != seq) {
        ret = sk_err_set(w->e, SK_EFAIL, "%s: the row of record %llu holds record %llu of "
                         "station %s (moved?)", label, seq, r.seq, r.station);
        goto out;
    }
    if (seq != s->last + 1) {
        ret = sk_err_set(w->e, SK_EFAIL, "%s: record %llu is missing: seq jumps from %llu to "
                         "%llu (deleted?)", label, s->last + 1, s->last, seq);
        goto out;
    }
    if (!audit_hash_eq(r.prev, s->hash)) {
        ret = sk_err_set(w->e, SK_EFAIL, "%s: record %llu: prev does not match the hash of "
                         "record %llu (a record replaced or edited?)", label, seq, s->last);
        goto out;
    }
    s->last = seq;
    snprintf(s->hash, sizeof(s->hash), "%s", r.hash);
    w->n_records++;
    if (w->fn != NULL)
        ret = w->fn(&r, w->arg);
out:
    json_decref(j);
    return ret;
}

static int db_head(void *arg, const char *station, unsigned long long seq, const char *hash)
{
    struct db_walker *w = arg;

    for (size_t i = 0; i < w->n_st; i++) {
        struct db_station *s = &w->st[i];
        if (strcmp(s->name, station) != 0)
            continue;
        s->headed = true;
        if (s->last != seq)
            return sk_err_set(w->e, SK_EFAIL, "ledger %s: audit log of station %s ends at "
                              "record %llu but its head says %llu (truncated?)", w->sink->uri,
                              station, s->last, seq);
        if (!audit_hash_eq(s->hash, hash))
            return sk_err_set(w->e, SK_EFAIL, "ledger %s: audit log of station %s: record "
                              "%llu does not have the hash its head records (replaced?)",
                              w->sink->uri, station, seq);
        return SK_OK;
    }
    return sk_err_set(w->e, SK_EFAIL, "ledger %s: audit log of station %s: its head says %llu "
                      "records but there are none (deleted?)", w->sink->uri, station, seq);
}

/* A station the ledger holds signed certificates of must have records (see certs_signed):
 * the check that still stands when both a station's records and its head row are gone. v is
 * read before the records, so a certificate in it had its records appended before they were. */
static int db_cross_check(const ledger_station_certs *v, size_t cnt, const struct db_walker *w,
                          const char *station, sk_err *e)
{
    for (size_t i = 0; i < cnt; i++) {
        bool has = false;

        if (station != NULL && strcmp(v[i].station_id, station) != 0)
            continue;
        for (size_t k = 0; k < w->n_st && !has; k++)
            has = strcmp(w->st[k].name, v[i].station_id) == 0;
        if (!has)
            return sk_err_set(e, SK_EFAIL, "ledger %s: audit log of station %s has no records, "
                              "but the ledger holds %zu certificates that station signed "
                              "(records and head deleted?)", w->sink->uri, v[i].station_id,
                              v[i].certs);
    }
    return SK_OK;
}

/* One station's records (station non-NULL) or every station's; with l, checked against the
 * certificates the ledger holds too. */
int audit_db_walk(const audit_sink *s, const char *station, audit_visit_fn fn, void *arg,
                  size_t *n_records, size_t *n_stations, sk_err *e)
{
    struct db_walker w = {.sink = s, .fn = fn, .arg = arg, .e = e};
    ledger *l = s->l;
    ledger_station_certs *certs = NULL;
    size_t n_certs = 0;
    int ret = l != NULL ? ledger_certs_by_station(l, &certs, &n_certs, e) : SK_OK;

    if (ret == SK_OK)
        ret = ledger_pg_audit_read(s->uri, station, db_row, db_head, &w, e);
    for (size_t i = 0; ret == SK_OK && i < w.n_st; i++)
        if (!w.st[i].headed)
            ret = sk_err_set(e, SK_EFAIL, "ledger %s: audit log of station %s has %llu records "
                             "but no head (deleted?)", s->uri, w.st[i].name, w.st[i].last);
    if (ret == SK_OK)
        ret = db_cross_check(certs, n_certs, &w, station, e);
    *n_records = w.n_records;
    if (n_stations != NULL)
        *n_stations = w.n_st;
    free(certs);
    free(w.st);
    return ret;
}

int audit_db_append(const audit_sink *s, const audit_event *ev, sk_err *e)
{
    struct db_build b = {s->station_id, s->operator_name, ev};

    /* The database keeps its own head in the record's transaction: no anchor needed. The
     * record goes over the station's ledger connection, which the sink was opened with. */
    if (s->l == NULL || strcmp(ledger_backend_name(s->l), "postgresql") != 0)
        return sk_err_set(e, SK_EINTERNAL, "audit log of station %s: the shared ledger %s is "
                          "not open", s->station_id, s->uri);
    return ledger_audit_append(s->l, s->station_id, db_build, &b, e);
}
