/* The hash-chained audit log: appending under a lock, and verifying the chain. */
#include "issuer/records/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "issuer/records/ledger_backend.h"
#include "util/sk_file.h"
#include "util/sk_name.h"

#define HASH_HEX 65 /* 64 hex digits and the NUL */
#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

static const char zero_hash[HASH_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* The fields of a record, all required: a fixed schema makes an added or dropped field
 * an edit that verify reports. */
static const char *const str_fields[] = {"time",   "station", "operator",    "event",
                                         "order",  "token_serial", "cert_serial", "result",
                                         "detail", "prev",    "hash"};
#define N_FIELDS (sizeof(str_fields) / sizeof(str_fields[0]) + 1) /* + seq */

typedef struct head {
    bool present;
    unsigned long long seq;
    char hash[HASH_HEX];
} head;

static int paths(const char *dir, char *log, char *hd, sk_err *e)
{
    int ret = sk_path_join(log, PATH_MAX, dir, AUDIT_LOG_NAME, e);

    return ret != SK_OK ? ret : sk_path_join(hd, PATH_MAX, dir, AUDIT_HEAD_NAME, e);
}

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

static bool hash_eq(const char *a, const char *b)
{
    return strlen(a) == HASH_HEX - 1 && strlen(b) == HASH_HEX - 1 &&
           CRYPTO_memcmp(a, b, HASH_HEX - 1) == 0;
}

/* Read audit.head; absent is not an error (h->present = false). */
static int head_read(const char *path, head *h, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0;
    json_t *j = NULL;
    json_int_t seq = 0;
    const char *hash = NULL;
    json_error_t jerr;
    int ret;

    memset(h, 0, sizeof(*h));
    if (!sk_file_exists(path))
        return SK_OK;
    if ((ret = sk_file_read(path, 1024, &data, &len, e)) != SK_OK)
        goto out;
    j = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL || json_unpack(j, "{s:I, s:s !}", "seq", &seq, "hash", &hash) != 0 || seq < 0 ||
        strlen(hash) != HASH_HEX - 1) {
        ret = sk_err_set(e, SK_EFAIL, "%s: not a head record {\"hash\":..., \"seq\":...} (edited?)",
                         path);
        goto out;
    }
    h->present = true;
    h->seq = (unsigned long long)seq;
    snprintf(h->hash, sizeof(h->hash), "%s", hash);
    ret = SK_OK;
out:
    json_decref(j);
    free(data);
    return ret;
}

static int head_write(const char *path, unsigned long long seq, const char *hash, sk_err *e)
{
    char buf[160];
    int n = snprintf(buf, sizeof(buf), "{\"hash\":\"%s\",\"seq\":%llu}\n", hash, seq);

    if (n < 0 || n >= (int)sizeof(buf))
        return sk_err_set(e, SK_EINTERNAL, "%s: head record too long", path);
    return sk_file_write_atomic(path, buf, (size_t)n, 0600, e);
}

/* Check one parsed line against the schema and its own hash; fill r (pointing into j). */
static int record_check(const char *log, size_t line, json_t *j, const char *text,
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
    if (!hash_eq(hex, r->hash))
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

/* After seq jumped from want-1 to got: is want further down (reordered) or gone? */
static int jump_error(const char *log, FILE *f, size_t line, unsigned long long want,
                      unsigned long long got, sk_err *e)
{
    char *buf = NULL;
    size_t cap = 0, later = line;
    ssize_t n;
    int ret;

    while ((n = getline(&buf, &cap, f)) > 0) {
        json_t *j = json_loadb(buf, (size_t)n, 0, NULL);
        json_t *s = json_object_get(j, "seq");
        bool found = json_is_integer(s) && (unsigned long long)json_integer_value(s) == want;

        later++;
        json_decref(j);
        if (found) {
            ret = sk_err_set(e, SK_EFAIL, "%s: records out of order: record %llu (line %zu) "
                             "comes before record %llu (line %zu)", log, got, line, want, later);
            goto out;
        }
    }
    if (want == 1)
        ret = sk_err_set(e, SK_EFAIL, "%s: record 1 is missing: the log starts at record %llu "
                         "(line %zu) (deleted?)", log, got, line);
    else
        ret = sk_err_set(e, SK_EFAIL, "%s: record %llu is missing: seq jumps from %llu to %llu "
                         "at line %zu (deleted?)", log, want, want - 1, got, line);
out:
    free(buf);
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

/* Where a station's audit log lives, taken once from the station's loaded config: its
 * directory, or the shared ledger that keeps the records per station id. */
struct audit_sink {
    char dir[PATH_MAX];
    char station_id[AUDIT_FIELD_MAX + 1];
    bool shared;
    char uri[1024];
    ledger *l;           /* borrowed; may be NULL */
    char *operator_name; /* NULL for a sink that only reads */
};

int audit_sink_open(const audit_place *p, ledger *l, const char *operator_name,
                    audit_sink **out, sk_err *e)
{
    audit_sink *s = NULL;
    const char *id = p->station_id != NULL ? p->station_id : "";
    int ret = SK_OK;

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    s->l = l;
    s->shared = p->shared_uri != NULL;
    if (snprintf(s->dir, sizeof(s->dir), "%s", p->dir) >= (int)sizeof(s->dir)) {
        ret = sk_err_set(e, SK_EINPUT, "%s: path too long for the audit log", p->dir);
        goto out;
    }
    /* A shared log is kept per station id: it must have one that fits a record. */
    if (strlen(id) > AUDIT_FIELD_MAX || (s->shared && id[0] == '\0') ||
        (s->shared && snprintf(s->uri, sizeof(s->uri), "%s", p->shared_uri) >=
                          (int)sizeof(s->uri))) {
        ret = sk_err_set(e, SK_EINPUT, "%s: ledger or station_id missing or too long for the "
                         "audit log", p->dir);
        goto out;
    }
    snprintf(s->station_id, sizeof(s->station_id), "%s", id);
    if (operator_name != NULL && (s->operator_name = strdup(operator_name)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    *out = s;
    s = NULL;
out:
    audit_sink_free(s);
    return ret;
}

int audit_sink_open_station(const station_config *st, ledger *l, const char *operator_name,
                            audit_sink **out, sk_err *e)
{
    /* The same test as station_path's: a location with a scheme is not a file. */
    audit_place p = {.dir = st->dir,
                     .station_id = st->station_id,
                     .shared_uri = strstr(st->ledger, "://") != NULL ? st->ledger : NULL};

    return audit_sink_open(&p, l, operator_name, out, e);
}

void audit_sink_free(audit_sink *s)
{
    if (s == NULL)
        return;
    free(s->operator_name);
    free(s);
}

bool audit_sink_shared(const audit_sink *s)
{
    return s->shared;
}

/* The anchor a SQLite ledger keeps of a station's file log (docs/audit.md): its last seq
 * and hash as of the last append. Only a ledger whose backend keeps anchors is asked. */
struct anchor {
    bool present;
    unsigned long long seq;
    char hash[HASH_HEX];
};

static bool keeps_anchors(ledger *l)
{
    return l != NULL && strcmp(ledger_backend_name(l), "sqlite") == 0;
}

static int anchor_read(ledger *l, const char *station, struct anchor *a, sk_err *e)
{
    memset(a, 0, sizeof(*a));
    if (!keeps_anchors(l) || station[0] == '\0')
        return SK_OK;
    return ledger_audit_anchor_get(l, station, &a->seq, a->hash, sizeof(a->hash), &a->present,
                                   e);
}

/* How many certificates the ledger holds that station signed. Each issuance appended to its
 * station's audit log before its certificate was signed, so with any such certificate the
 * station's log cannot be empty: this still stands when a log and its anchor are gone. */
static int certs_signed(ledger *l, const char *station, size_t *n, sk_err *e)
{
    ledger_station_certs *v = NULL;
    size_t cnt = 0;
    int ret;

    *n = 0;
    if (l == NULL || station[0] == '\0')
        return SK_OK;
    if ((ret = ledger_certs_by_station(l, &v, &cnt, e)) != SK_OK)
        return ret;
    for (size_t i = 0; i < cnt; i++)
        if (strcmp(v[i].station_id, station) == 0)
            *n = v[i].certs;
    free(v);
    return SK_OK;
}

static int build(const char *station_id, const char *operator_name, const audit_event *ev,
                 unsigned long long seq, const char *prev, const char *db_now, char **line,
                 char hash[HASH_HEX], sk_err *e);

struct db_build {
    const char *station_id, *operator_name;
    const audit_event *ev;
};

static int db_build(void *arg, unsigned long long seq, const char *prev, const char *now,
                    char **line, char *hash, sk_err *e)
{
    const struct db_build *b = arg;
    int ret = build(b->station_id, b->operator_name, b->ev, seq, prev, now, line, hash, e);

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
        memcpy(s->hash, zero_hash, HASH_HEX);
    }
    s = &w->st[w->n_st - 1];
    snprintf(label, sizeof(label), "ledger %s: audit log of station %s", w->sink->uri, station);
    if (strlen(text) > AUDIT_LINE_MAX ||
        (j = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
        ret = sk_err_set(w->e, SK_EFAIL, "%s: record %llu: not a JSON record (garbage?)", label,
                         seq);
        goto out;
    }
    if ((ret = record_check(label, (size_t)seq, j, text, &r, w->e)) != SK_OK)
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
    if (!hash_eq(r.prev, s->hash)) {
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
        if (!hash_eq(s->hash, hash))
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
static int db_walk(const audit_sink *s, const char *station, audit_visit_fn fn, void *arg,
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

int audit_verify_all(audit_sink *s, size_t *n_records, size_t *n_stations, sk_err *e)
{
    int ret;

    *n_records = 0;
    *n_stations = 0;
    if (s->shared)
        return db_walk(s, NULL, NULL, NULL, n_records, n_stations, e);
    ret = audit_foreach(s, NULL, NULL, n_records, NULL, e);
    *n_stations = ret == SK_OK && *n_records > 0;
    return ret;
}

int audit_export_lines(audit_sink *s, audit_line_fn fn, void *arg, size_t *n, sk_err *e)
{
    char log[PATH_MAX], hd[PATH_MAX];
    size_t cap = 0, i;
    char *line = NULL;
    FILE *f = NULL;
    int ret;

    *n = 0;
    if (s->shared)
        return SK_OK;
    if ((ret = audit_foreach(s, NULL, NULL, n, NULL, e)) != SK_OK || *n == 0)
        return ret;
    if ((ret = paths(s->dir, log, hd, e)) != SK_OK)
        return ret;
    if ((f = fopen(log, "re")) == NULL)
        return sk_err_set(e, SK_EIO, "%s: %s", log, strerror(errno));
    /* Only the records the check counted; anything appended since is not vouched for. */
    for (i = 0; i < *n && getline(&line, &cap, f) > 0; i++) {
        line[strcspn(line, "\n")] = '\0';
        if (fn(arg, line) != 0) {
            ret = sk_err_set(e, SK_EINPUT, "%s: line %zu: not UTF-8", log, i + 1);
            break;
        }
    }
    if (ret == SK_OK && i < *n)
        ret = sk_err_set(e, SK_EIO, "%s: the log ended before record %zu", log, i + 1);
    free(line);
    fclose(f);
    return ret;
}

/* The end of a file log (last record, hash_ok: the record at the anchor's seq had the
 * anchor's hash) against the ledger's anchor. The log may be one record ahead: an append
 * writes the record, then audit.head, then the anchor, and may stop between them. */
static int anchor_check(const char *log, const struct anchor *a, unsigned long long last,
                        bool hash_ok, sk_err *e)
{
    if (!a->present)
        return SK_OK;
    if (last == 0)
        return sk_err_set(e, SK_EFAIL, "%s has no records, but the ledger's audit anchor says "
                          "it had %llu (%s and %s deleted?)", log, a->seq, AUDIT_LOG_NAME,
                          AUDIT_HEAD_NAME);
    if (last < a->seq)
        return sk_err_set(e, SK_EFAIL, "%s: log ends at record %llu but the ledger's audit "
                          "anchor says %llu (truncated?)", log, last, a->seq);
    if (last > a->seq + 1)
        return sk_err_set(e, SK_EFAIL, "%s: log goes on to record %llu but the ledger's audit "
                          "anchor says %llu (records added behind the ledger's back?)", log,
                          last, a->seq);
    if (!hash_ok)
        return sk_err_set(e, SK_EFAIL, "%s: record %llu does not have the hash the ledger's "
                          "audit anchor records (replaced?)", log, a->seq);
    return SK_OK;
}

int audit_foreach(audit_sink *s, audit_visit_fn fn, void *arg, size_t *n_records,
                  unsigned long long *anchor_seq, sk_err *e)
{
    char log[PATH_MAX], hd[PATH_MAX], prev[HASH_HEX];
    int fd = -1, ret;
    FILE *f = NULL;
    char *buf = NULL;
    size_t cap = 0, line = 0, certs = 0;
    ssize_t n;
    json_t *j = NULL;
    head h;
    audit_record r;
    unsigned long long last = 0;
    ledger *l = s->l;
    struct anchor a;
    bool anchor_hash_ok = false;

    *n_records = 0;
    if (anchor_seq != NULL)
        *anchor_seq = 0;
    memset(&a, 0, sizeof(a));
    memcpy(prev, zero_hash, sizeof(prev));
    if (s->shared) {
        ret = db_walk(s, s->station_id, fn, arg, n_records, NULL, e);
        goto out;
    }
    /* Before the log, so that every certificate counted had its records appended first. */
    if ((ret = paths(s->dir, log, hd, e)) != SK_OK ||
        (ret = certs_signed(l, s->station_id, &certs, e)) != SK_OK)
        goto out;
    fd = open(log, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot open: %s", log, strerror(errno));
        goto out;
    }
    /* Shared lock: an append in progress (record, head and anchor) finishes before we read. */
    while (fd >= 0 && flock(fd, LOCK_SH) != 0) {
        if (errno != EINTR) {
            ret = sk_err_set(e, SK_EIO, "%s: cannot lock: %s", log, strerror(errno));
            goto out;
        }
    }
    if ((ret = head_read(hd, &h, e)) != SK_OK || (ret = anchor_read(l, s->station_id, &a, e)) !=
        SK_OK)
        goto out;
    if (anchor_seq != NULL && a.present)
        *anchor_seq = a.seq;
    if (fd < 0) {
        if (h.present)
            ret = sk_err_set(e, SK_EFAIL, "%s is missing but %s says %llu records (deleted?)", log,
                             hd, h.seq);
        goto end;
    }
    if ((f = fdopen(fd, "r")) == NULL) {
        ret = sk_err_set(e, SK_EIO, "%s: %s", log, strerror(errno));
        goto out;
    }
    fd = -1;
    while ((n = getline(&buf, &cap, f)) > 0) {
        json_error_t jerr;

        line++;
        if (buf[n - 1] != '\n') {
            ret = sk_err_set(e, SK_EFAIL, "%s: line %zu (after record %llu): incomplete last line "
                             "(truncated or a torn write)", log, line, last);
            goto out;
        }
        buf[--n] = '\0';
        if (n > AUDIT_LINE_MAX) {
            ret = sk_err_set(e, SK_EFAIL, "%s: line %zu (after record %llu): longer than %d bytes",
                             log, line, last, AUDIT_LINE_MAX);
            goto out;
        }
        json_decref(j);
        j = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
        if (j == NULL) {
            ret = sk_err_set(e, SK_EFAIL, "%s: line %zu (after record %llu): not a JSON record "
                             "(garbage?)", log, line, last);
            goto out;
        }
        if ((ret = record_check(log, line, j, buf, &r, e)) != SK_OK)
            goto out;
        if (r.seq > last + 1) {
            ret = jump_error(log, f, line, last + 1, r.seq, e);
            goto out;
        }
        if (r.seq <= last) {
            ret = sk_err_set(e, SK_EFAIL, "%s: records out of order: record %llu (line %zu) comes "
                             "after record %llu", log, r.seq, line, last);
            goto out;
        }
        if (!hash_eq(r.prev, prev)) {
            ret = sk_err_set(e, SK_EFAIL, "%s: record %llu (line %zu): prev does not match the "
                             "hash of record %llu (a record replaced or edited?)", log, r.seq,
                             line, last);
            goto out;
        }
        last = r.seq;
        snprintf(prev, sizeof(prev), "%s", r.hash);
        if (a.present && r.seq == a.seq)
            anchor_hash_ok = hash_eq(r.hash, a.hash);
        (*n_records)++;
        if (fn != NULL && (ret = fn(&r, arg)) != 0)
            goto out;
    }
    if (ferror(f)) {
        ret = sk_err_set(e, SK_EIO, "%s: read failed", log);
        goto out;
    }
    if (!h.present && last > 0)
        ret = sk_err_set(e, SK_EFAIL, "%s is missing (deleted?); the log has %llu records", hd,
                         last);
    else if (h.present && h.seq > last)
        ret = sk_err_set(e, SK_EFAIL, "%s: log ends at record %llu but %s says %llu (truncated?)",
                         log, last, AUDIT_HEAD_NAME, h.seq);
    else if (h.present && h.seq < last)
        ret = sk_err_set(e, SK_EFAIL, "%s: log goes on to record %llu but %s says %llu (records "
                         "added, or an append did not finish)", log, last, AUDIT_HEAD_NAME, h.seq);
    else if (h.present && last > 0 && !hash_eq(h.hash, prev))
        ret = sk_err_set(e, SK_EFAIL, "%s: record %llu does not have the hash %s records "
                         "(replaced?)", log, last, AUDIT_HEAD_NAME);
end:
    /* audit.head lives beside the log and goes with it; the ledger's anchor does not. */
    if (ret == SK_OK)
        ret = anchor_check(log, &a, last, anchor_hash_ok, e);
    if (ret == SK_OK && !a.present && last == 0 && certs > 0)
        ret = sk_err_set(e, SK_EFAIL, "%s has no records, but the ledger holds %zu certificates "
                         "station %s signed (%s and %s deleted?)", log, certs, s->station_id,
                         AUDIT_LOG_NAME, AUDIT_HEAD_NAME);
out:
    json_decref(j);
    free(buf);
    if (f != NULL)
        fclose(f);
    if (fd >= 0)
        close(fd);
    return ret;
}

/* The last record of the log (seq 0 and zero hash for an empty log), from its tail only. */
static int read_last(const char *log, int fd, unsigned long long *seq, char hash[HASH_HEX],
                     char prev[HASH_HEX], sk_err *e)
{
    char *buf = NULL;
    struct stat st;
    size_t want, start;
    ssize_t got;
    json_t *j = NULL;
    audit_record r;
    int ret = SK_EIO;

    *seq = 0;
    memcpy(hash, zero_hash, HASH_HEX);
    memcpy(prev, zero_hash, HASH_HEX);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ret = sk_err_set(e, SK_EIO, "%s: not a regular file", log);
        goto out;
    }
    if (st.st_size == 0)
        return SK_OK;
    want = (size_t)st.st_size < AUDIT_LINE_MAX + 2 ? (size_t)st.st_size : AUDIT_LINE_MAX + 2;
    if ((buf = malloc(want + 1)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    got = pread(fd, buf, want, st.st_size - (off_t)want);
    if (got != (ssize_t)want) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot read the last record", log);
        goto out;
    }
    buf[want] = '\0';
    if (buf[want - 1] != '\n') {
        ret = sk_err_set(e, SK_EFAIL, "%s: the last line is incomplete; not appending (run "
                         "sealkey audit verify)", log);
        goto out;
    }
    buf[want - 1] = '\0';
    start = want - 1;
    while (start > 0 && buf[start - 1] != '\n')
        start--;
    if (start == 0 && want < (size_t)st.st_size) {
        ret = sk_err_set(e, SK_EFAIL, "%s: the last line is longer than %d bytes; not appending",
                         log, AUDIT_LINE_MAX);
        goto out;
    }
    j = json_loads(buf + start, JSON_REJECT_DUPLICATES, NULL);
    if (j == NULL) {
        ret = sk_err_set(e, SK_EFAIL, "%s: the last line is not a JSON record; not appending "
                         "(run sealkey audit verify)", log);
        goto out;
    }
    if ((ret = record_check(log, 0, j, buf + start, &r, e)) != SK_OK) {
        sk_err_wrap(e, "not appending");
        goto out;
    }
    *seq = r.seq;
    snprintf(hash, HASH_HEX, "%s", r.hash);
    snprintf(prev, HASH_HEX, "%s", r.prev);
    ret = SK_OK;
out:
    json_decref(j);
    free(buf);
    return ret;
}

/* Appending to a log whose end disagrees with audit.head would hide a truncation, so only
 * two states are accepted: they agree, or the log is one record ahead with that record
 * chained to the head (a crash between writing the record and the head). */
static int check_head(const char *log, const char *hd, unsigned long long seq, const char *hash,
                      const char *prev, sk_err *e)
{
    head h;
    int ret;

    if ((ret = head_read(hd, &h, e)) != SK_OK)
        return ret;
    if (!h.present && seq == 0)
        return SK_OK;
    if (!h.present)
        return sk_err_set(e, SK_EFAIL, "%s is missing but %s has %llu records; not appending "
                          "(run sealkey audit verify)", hd, log, seq);
    if (h.seq == seq && (seq == 0 || hash_eq(h.hash, hash)))
        return SK_OK;
    if (h.seq + 1 == seq && hash_eq(h.hash, prev))
        return SK_OK;
    return sk_err_set(e, SK_EFAIL, "%s ends at record %llu but %s says %llu; not appending "
                      "(run sealkey audit verify)", log, seq, AUDIT_HEAD_NAME, h.seq);
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
static int check_event(const audit_event *ev, sk_err *e)
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
static int build(const char *station_id, const char *operator_name, const audit_event *ev,
                 unsigned long long seq, const char *prev, const char *db_now, char **line,
                 char hash[HASH_HEX], sk_err *e)
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

/* A record the log's end disagrees with the ledger's anchor about would bury the cut or
 * deletion the anchor is there to show, so the same two states as with audit.head are
 * accepted: they agree, or the log is one record ahead, chained to the anchor. */
static int check_anchor(const char *log, const struct anchor *a, unsigned long long seq,
                        const char *hash, const char *prev, sk_err *e)
{
    if (!a->present)
        return SK_OK;
    if (a->seq == seq && hash_eq(a->hash, hash))
        return SK_OK;
    if (a->seq + 1 == seq && hash_eq(a->hash, prev))
        return SK_OK;
    if (a->seq == seq || a->seq + 1 == seq)
        return sk_err_set(e, SK_EFAIL, "%s: record %llu does not have the hash the ledger's "
                          "audit anchor records; not appending (run sealkey audit verify)", log,
                          a->seq);
    return sk_err_set(e, SK_EFAIL, "%s ends at record %llu but the ledger's audit anchor says "
                      "%llu; not appending (run sealkey audit verify)", log, seq, a->seq);
}

/* Append to station_dir's file log; with a ledger that keeps anchors (anchor_l), check the
 * log's end against the anchor first and move the anchor after, all under the log's lock,
 * so anchors follow the log in order. */
static int file_append(const char *station_dir, const char *station_id,
                       const char *operator_name, const audit_event *ev, ledger *anchor_l,
                       sk_err *e)
{
    char log[PATH_MAX], hd[PATH_MAX], last[HASH_HEX], last_prev[HASH_HEX], hash[HASH_HEX];
    unsigned long long seq = 0;
    char *line = NULL;
    int fd = -1, ret;
    size_t len;
    ssize_t w;
    struct anchor a;

    if ((ret = paths(station_dir, log, hd, e)) != SK_OK)
        goto out;
    fd = open(log, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot open for appending: %s", log, strerror(errno));
        goto out;
    }
    /* One writer at a time from here to close(): read the end, write, update the head and
     * the anchor. */
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ret = sk_err_set(e, SK_EIO, "%s: cannot lock: %s", log, strerror(errno));
            goto out;
        }
    }
    if ((ret = read_last(log, fd, &seq, last, last_prev, e)) != SK_OK ||
        (ret = check_head(log, hd, seq, last, last_prev, e)) != SK_OK ||
        (ret = anchor_read(anchor_l, station_id, &a, e)) != SK_OK ||
        (ret = check_anchor(log, &a, seq, last, last_prev, e)) != SK_OK ||
        (ret = build(station_id, operator_name, ev, seq + 1, last, NULL, &line, hash, e)) !=
            SK_OK)
        goto out;
    /* A single write() of the whole line: with O_APPEND it lands after any other record. */
    len = strlen(line);
    w = write(fd, line, len);
    if (w != (ssize_t)len) {
        ret = sk_err_set(e, SK_EIO, "%s: writing record %llu: %s", log, seq + 1,
                         w < 0 ? strerror(errno) : "short write");
        goto out;
    }
    if (fsync(fd) != 0) {
        ret = sk_err_set(e, SK_EIO, "%s: fsync: %s", log, strerror(errno));
        goto out;
    }
    if ((ret = head_write(hd, seq + 1, hash, e)) != SK_OK)
        goto out;
    /* Left one behind (a crash or a ledger error here), the anchor still accepts the log:
     * one record ahead, chained to it; the next append brings it up to date. */
    if (keeps_anchors(anchor_l) && station_id != NULL && station_id[0] != '\0' &&
        (ret = ledger_audit_anchor_set(anchor_l, station_id, seq + 1, hash, e)) != SK_OK)
        sk_err_wrap(e, "%s: record %llu written, but not anchored in the ledger", log, seq + 1);
out:
    free(line);
    if (fd >= 0)
        close(fd); /* releases the lock */
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

int audit_append(audit_sink *s, const audit_event *ev, sk_err *e)
{
    struct db_build b = {s->station_id, s->operator_name, ev};
    int ret;

    /* The operator before the log is opened (and perhaps created): a refused record
     * leaves no trace. build() checks it again for the shared ledger's path. */
    if ((ret = check_event(ev, e)) != SK_OK ||
        (ret = audit_operator_check(s->operator_name, "audit record: operator", e)) != SK_OK)
        return ret;
    if (!s->shared)
        return file_append(s->dir, s->station_id, s->operator_name, ev, s->l, e);
    /* The database keeps its own head in the record's transaction: no anchor needed. The
     * record goes over the station's ledger connection, which the sink was opened with. */
    if (s->l == NULL || strcmp(ledger_backend_name(s->l), "postgresql") != 0)
        return sk_err_set(e, SK_EINTERNAL, "audit log of station %s: the shared ledger %s is "
                          "not open", s->station_id, s->uri);
    return ledger_audit_append(s->l, s->station_id, db_build, &b, e);
}
