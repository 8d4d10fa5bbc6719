/* Reading a station's audit log back and checking its whole chain: against audit.head, the
 * ledger's anchor, and the certificates the ledger holds (docs/audit.md). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "issuer/records/audit_int.h"

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

/* The end of a file log (last record, hash_ok: the record at the anchor's seq had the
 * anchor's hash) against the ledger's anchor. The log may be one record ahead: an append
 * writes the record, then audit.head, then the anchor, and may stop between them. */
static int anchor_check(const char *log, const struct audit_anchor *a, unsigned long long last,
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
    audit_head h;
    audit_record r;
    unsigned long long last = 0;
    ledger *l = s->l;
    struct audit_anchor a;
    bool anchor_hash_ok = false;

    *n_records = 0;
    if (anchor_seq != NULL)
        *anchor_seq = 0;
    memset(&a, 0, sizeof(a));
    memcpy(prev, audit_zero_hash, sizeof(prev));
    if (s->shared) {
        ret = audit_db_walk(s, s->station_id, fn, arg, n_records, NULL, e);
        goto out;
    }
    /* Before the log, so that every certificate counted had its records appended first. */
    if ((ret = audit_paths(s->dir, log, hd, e)) != SK_OK ||
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
    if ((ret = audit_head_read(hd, &h, e)) != SK_OK ||
        (ret = audit_anchor_read(l, s->station_id, &a, e)) != SK_OK)
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
        if ((ret = audit_record_check(log, line, j, buf, &r, e)) != SK_OK)
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
        if (!audit_hash_eq(r.prev, prev)) {
            ret = sk_err_set(e, SK_EFAIL, "%s: record %llu (line %zu): prev does not match the "
                             "hash of record %llu (a record replaced or edited?)", log, r.seq,
                             line, last);
            goto out;
        }
        last = r.seq;
        snprintf(prev, sizeof(prev), "%s", r.hash);
        if (a.present && r.seq == a.seq)
            anchor_hash_ok = audit_hash_eq(r.hash, a.hash);
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
    else if (h.present && last > 0 && !audit_hash_eq(h.hash, prev))
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

int audit_verify_all(audit_sink *s, size_t *n_records, size_t *n_stations, sk_err *e)
{
    int ret;

    *n_records = 0;
    *n_stations = 0;
    if (s->shared)
        return audit_db_walk(s, NULL, NULL, NULL, n_records, n_stations, e);
    ret = audit_foreach(s, NULL, NULL, n_records, NULL, e);
    *n_stations = ret == SK_OK && *n_records > 0;
    return ret;
}
