/* The file log of a station: audit.log and audit.head in the station directory, appended
 * under a lock, and the anchor a SQLite ledger keeps of it (docs/audit.md). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer/records/audit_int.h"
#include "util/sk_file.h"

int audit_paths(const char *dir, char *log, char *hd, sk_err *e)
{
    int ret = sk_path_join(log, PATH_MAX, dir, AUDIT_LOG_NAME, e);

    return ret != SK_OK ? ret : sk_path_join(hd, PATH_MAX, dir, AUDIT_HEAD_NAME, e);
}

/* Read audit.head; absent is not an error (h->present = false). */
int audit_head_read(const char *path, audit_head *h, sk_err *e)
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

static bool keeps_anchors(ledger *l)
{
    return l != NULL && strcmp(ledger_backend_name(l), "sqlite") == 0;
}

int audit_anchor_read(ledger *l, const char *station, struct audit_anchor *a, sk_err *e)
{
    memset(a, 0, sizeof(*a));
    if (!keeps_anchors(l) || station[0] == '\0')
        return SK_OK;
    return ledger_audit_anchor_get(l, station, &a->seq, a->hash, sizeof(a->hash), &a->present,
                                   e);
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
    memcpy(hash, audit_zero_hash, HASH_HEX);
    memcpy(prev, audit_zero_hash, HASH_HEX);
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
    if ((ret = audit_record_check(log, 0, j, buf + start, &r, e)) != SK_OK) {
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
    audit_head h;
    int ret;

    if ((ret = audit_head_read(hd, &h, e)) != SK_OK)
        return ret;
    if (!h.present && seq == 0)
        return SK_OK;
    if (!h.present)
        return sk_err_set(e, SK_EFAIL, "%s is missing but %s has %llu records; not appending "
                          "(run sealkey audit verify)", hd, log, seq);
    if (h.seq == seq && (seq == 0 || audit_hash_eq(h.hash, hash)))
        return SK_OK;
    if (h.seq + 1 == seq && audit_hash_eq(h.hash, prev))
        return SK_OK;
    return sk_err_set(e, SK_EFAIL, "%s ends at record %llu but %s says %llu; not appending "
                      "(run sealkey audit verify)", log, seq, AUDIT_HEAD_NAME, h.seq);
}

/* A record the log's end disagrees with the ledger's anchor about would bury the cut or
 * deletion the anchor is there to show, so the same two states as with audit.head are
 * accepted: they agree, or the log is one record ahead, chained to the anchor. */
static int check_anchor(const char *log, const struct audit_anchor *a, unsigned long long seq,
                        const char *hash, const char *prev, sk_err *e)
{
    if (!a->present)
        return SK_OK;
    if (a->seq == seq && audit_hash_eq(a->hash, hash))
        return SK_OK;
    if (a->seq + 1 == seq && audit_hash_eq(a->hash, prev))
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
int audit_file_append(const char *station_dir, const char *station_id,
                      const char *operator_name, const audit_event *ev, ledger *anchor_l,
                      sk_err *e)
{
    char log[PATH_MAX], hd[PATH_MAX], last[HASH_HEX], last_prev[HASH_HEX], hash[HASH_HEX];
    unsigned long long seq = 0;
    char *line = NULL;
    int fd = -1, ret;
    size_t len;
    ssize_t w;
    struct audit_anchor a;

    if ((ret = audit_paths(station_dir, log, hd, e)) != SK_OK)
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
        (ret = audit_anchor_read(anchor_l, station_id, &a, e)) != SK_OK ||
        (ret = check_anchor(log, &a, seq, last, last_prev, e)) != SK_OK ||
        (ret = audit_record_build(station_id, operator_name, ev, seq + 1, last, NULL, &line, hash,
                                  e)) != SK_OK)
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

int audit_copy_locked(audit_sink *s, const char *dest_dir, audit_locked_fn during, void *arg,
                      bool *copied, sk_err *e)
{
    char log[PATH_MAX], hd[PATH_MAX], to_log[PATH_MAX], to_hd[PATH_MAX];
    int fd = -1, ret;

    *copied = false;
    if (s->shared)
        return during != NULL ? during(arg, e) : SK_OK;
    if ((ret = audit_paths(s->dir, log, hd, e)) != SK_OK ||
        (ret = audit_paths(dest_dir, to_log, to_hd, e)) != SK_OK)
        goto out;
    /* Opened as an appender opens it (created empty if absent: a log no one has written yet
     * is still the one its first append will lock), and locked as an appender locks it. */
    fd = open(log, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot open: %s", log, strerror(errno));
        goto out;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ret = sk_err_set(e, SK_EIO, "%s: cannot lock: %s", log, strerror(errno));
            goto out;
        }
    }
    if ((during != NULL && (ret = during(arg, e)) != SK_OK) ||
        (ret = sk_file_copy(log, to_log, 0600, e)) != SK_OK)
        goto out;
    if (sk_file_exists(hd) && (ret = sk_file_copy(hd, to_hd, 0600, e)) != SK_OK)
        goto out;
    *copied = true;
out:
    if (fd >= 0)
        close(fd); /* releases the lock */
    return ret;
}
