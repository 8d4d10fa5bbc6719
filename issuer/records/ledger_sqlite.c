/* The SQLite driver of the ledger (issuer/records/ledger_driver.h): a station's own ledger file.
 * Writers take the database's write lock when their transaction begins (BEGIN IMMEDIATE),
 * so rows read to decide a change need no lock of their own; claims are flocks on files
 * beside the ledger. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer/records/ledger_driver.h"

struct ledger_db {
    sqlite3 *db;
    char path[1024];
};

/* A statement's rows, copied out of SQLite so that the statement is finished at once: each
 * cell's type as SQLite holds it, its integer value and its text (in one buffer). */
struct cell {
    ledger_col kind;
    long long num;
    size_t text; /* offset in buf */
};

struct ledger_result {
    int rows, cols;
    long long changes;
    char **names;
    struct cell *cells;
    size_t ncells, cap;
    char *buf;
    size_t len, buf_cap;
};

/* A claim: the open, flocked file <ledger>.claims/<order>; the kernel drops the lock when
 * the process dies. */
struct sq_hold {
    int fd;
};

static int db_fail(struct ledger_db *d, const char *what, sk_err *e)
{
    return sk_err_set(e, SK_ELEDGER, "ledger %s: %s: %s", d->path, what, sqlite3_errmsg(d->db));
}

static int run(struct ledger_db *d, const char *sql, const char *what, sk_err *e)
{
    char *msg = NULL;
    int ret = SK_OK;

    if (sqlite3_exec(d->db, sql, NULL, NULL, &msg) != SQLITE_OK)
        ret = what != NULL ? sk_err_set(e, SK_ELEDGER, "ledger %s: %s: %s", d->path, what,
                                        msg ? msg : "error")
                           : sk_err_set(e, SK_ELEDGER, "ledger %s: %s", d->path,
                                        msg ? msg : "error");
    sqlite3_free(msg);
    return ret;
}

/* Like the station's other files, the ledger is never reached through a symbolic link in
 * its last component. SQLITE_OPEN_NOFOLLOW refuses a link anywhere in the name, so the
 * directory is resolved first (links above the ledger are the operator's business) and
 * SQLite opens <real directory>/<name>: a link put there after the check still fails. */
static int real_path(const char *path, char *out, size_t outlen, sk_err *e)
{
    struct stat sb;
    char dir[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    int n;

    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
        return sk_err_set(e, SK_EINPUT, "ledger %s: is a symbolic link; name the database "
                          "file itself", path);
    if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return sk_err_set(e, SK_EINPUT, "ledger %s: not a regular file", path);
    if (base[0] == '\0')
        return sk_err_set(e, SK_EINPUT, "ledger %s: names a directory, not a file", path);
    n = slash == NULL  ? snprintf(dir, sizeof(dir), ".")
        : slash == path ? snprintf(dir, sizeof(dir), "/")
                        : snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return sk_err_set(e, SK_EINPUT, "ledger %s: path too long", path);
    if (realpath(dir, real) == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: cannot open: %s: %s", path, dir,
                          strerror(errno));
    n = snprintf(out, outlen, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
    if (n < 0 || (size_t)n >= outlen)
        return sk_err_set(e, SK_EINPUT, "ledger %s: path too long", path);
    return SK_OK;
}

/* Switching a new database to WAL needs it to itself, and SQLite answers SQLITE_BUSY at once
 * rather than through the busy handler when another process is creating it at that moment
 * (two `ca init` on a fresh station): try again for as long as the busy timeout. */
static int wal_mode(struct ledger_db *d, sk_err *e)
{
    int rc = SQLITE_OK;

    for (int waited_ms = 0; waited_ms <= 10000; waited_ms += 20) {
        rc = sqlite3_exec(d->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        struct timespec pause = {0, 20L * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (rc != SQLITE_OK)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: setting WAL mode: %s", d->path,
                          sqlite3_errmsg(d->db));
    return SK_OK;
}

static void sq_close(struct ledger_db *d)
{
    if (d == NULL)
        return;
    sqlite3_close(d->db);
    free(d);
}

static int sq_open(const char *path, const char *purpose, struct ledger_db **out, sk_err *e)
{
    struct ledger_db *d = NULL;
    char real[PATH_MAX];
    int ret;

    (void)purpose;
    *out = NULL;
    if ((d = calloc(1, sizeof(*d))) == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", path);
    snprintf(d->path, sizeof(d->path), "%s", path);
    if ((ret = real_path(path, real, sizeof(real), e)) != SK_OK)
        goto out;
    if (sqlite3_open_v2(real, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                          SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: cannot open: %s", path,
                         d->db ? sqlite3_errmsg(d->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(d->db, 10000);
    /* WAL + synchronous=FULL: each committed step survives power loss, and readers
     * (sealkey status) do not block a running issuance. */
    if ((ret = wal_mode(d, e)) != SK_OK ||
        (ret = run(d, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", NULL, e)) != SK_OK)
        goto out;
    *out = d;
    d = NULL;
out:
    sq_close(d);
    return ret;
}

static int sq_version_get(struct ledger_db *d, int *version, sk_err *e)
{
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;

    if (sqlite3_prepare_v2(d->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        ret = db_fail(d, "reading schema version", e);
    else
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return ret;
}

static int sq_version_set(struct ledger_db *d, int version, sk_err *e)
{
    char pragma[64];

    snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version);
    return run(d, pragma, "setting schema version", e);
}

static int sq_script(struct ledger_db *d, const char *sql, const char *what, sk_err *e)
{
    return run(d, sql, what, e);
}

static int sq_begin(struct ledger_db *d, ledger_tx tx, const char *what, sk_err *e)
{
    /* A deferred transaction reads one snapshot of a WAL database. */
    return run(d, tx == LEDGER_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN", what, e);
}

static int sq_commit(struct ledger_db *d, sk_err *e)
{
    return run(d, "COMMIT", "committing", e);
}

static void sq_rollback(struct ledger_db *d)
{
    sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sq_lock(struct ledger_db *d, const char *name, const char *what, sk_err *e)
{
    /* The write transaction already holds the whole database. */
    (void)d;
    (void)name;
    (void)what;
    (void)e;
    return SK_OK;
}

static void sq_result_free(struct ledger_result *r)
{
    if (r == NULL)
        return;
    for (int c = 0; r->names != NULL && c < r->cols; c++)
        free(r->names[c]);
    free(r->names);
    free(r->cells);
    free(r->buf);
    free(r);
}

/* Room for one more cell and tl more bytes of text; false when out of memory. */
static bool grow(struct ledger_result *r, size_t tl)
{
    if (r->ncells == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 64;
        struct cell *nc = realloc(r->cells, ncap * sizeof(*nc));
        if (nc == NULL)
            return false;
        r->cells = nc;
        r->cap = ncap;
    }
    if (r->len + tl > r->buf_cap) {
        size_t ncap = r->buf_cap ? r->buf_cap : 1024;
        char *nb;
        while (ncap < r->len + tl)
            ncap *= 2;
        if ((nb = realloc(r->buf, ncap)) == NULL)
            return false;
        r->buf = nb;
        r->buf_cap = ncap;
    }
    return true;
}

/* Copy the statement's current row into r; false when out of memory. The type is read
 * before any conversion, as SQLite asks. */
static bool add_row(struct ledger_result *r, sqlite3_stmt *st)
{
    for (int c = 0; c < r->cols; c++) {
        int type = sqlite3_column_type(st, c);
        const char *t = (const char *)sqlite3_column_text(st, c);
        size_t tl = t != NULL ? strlen(t) + 1 : 1;
        struct cell *cell;

        if (!grow(r, tl))
            return false;
        cell = &r->cells[r->ncells++];
        cell->kind = type == SQLITE_NULL      ? LEDGER_COL_NULL
                     : type == SQLITE_INTEGER ? LEDGER_COL_INT
                                              : LEDGER_COL_TEXT;
        cell->text = r->len;
        memcpy(r->buf + r->len, t != NULL ? t : "", tl);
        r->len += tl;
        cell->num = sqlite3_column_int64(st, c);
    }
    r->rows++;
    return true;
}

static int sq_exec(struct ledger_db *d, const char *sql, const ledger_param *p, int n,
                   const char *what, struct ledger_result **res, ledger_failure *failed,
                   sk_err *e)
{
    sqlite3_stmt *st = NULL;
    struct ledger_result *r = NULL;
    int ret = SK_ELEDGER, rc;

    *res = NULL;
    if (failed != NULL)
        *failed = LEDGER_FAILED;
    if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(d, what, e);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (p[i].kind == LEDGER_P_TEXT)
            sqlite3_bind_text(st, i + 1, p[i].text, -1, SQLITE_STATIC);
        else if (p[i].kind == LEDGER_P_INT)
            sqlite3_bind_int64(st, i + 1, p[i].num);
        else
            sqlite3_bind_null(st, i + 1);
    }
    if ((r = calloc(1, sizeof(*r))) == NULL)
        goto oom;
    r->cols = sqlite3_column_count(st);
    if (r->cols > 0 && (r->names = calloc((size_t)r->cols, sizeof(*r->names))) == NULL)
        goto oom;
    for (int c = 0; c < r->cols; c++)
        if ((r->names[c] = strdup(sqlite3_column_name(st, c))) == NULL)
            goto oom;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (!add_row(r, st))
            goto oom;
    if (rc != SQLITE_DONE) {
        int x = sqlite3_extended_errcode(d->db);
        if (failed != NULL &&
            (x == SQLITE_CONSTRAINT_UNIQUE || x == SQLITE_CONSTRAINT_PRIMARYKEY))
            *failed = LEDGER_UNIQUE;
        ret = db_fail(d, what, e);
        goto out;
    }
    r->changes = sqlite3_stmt_readonly(st) ? 0 : sqlite3_changes(d->db);
    *res = r;
    r = NULL;
    ret = SK_OK;
    goto out;
oom:
    ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", d->path);
out:
    sq_result_free(r);
    sqlite3_finalize(st);
    return ret;
}

static int sq_rows(const struct ledger_result *r)
{
    return r->rows;
}

static int sq_cols(const struct ledger_result *r)
{
    return r->cols;
}

static const char *sq_col_name(const struct ledger_result *r, int col)
{
    return r->names[col];
}

static const struct cell *cell_at(const struct ledger_result *r, int row, int col)
{
    return &r->cells[(size_t)row * (size_t)r->cols + (size_t)col];
}

static ledger_col sq_kind(const struct ledger_result *r, int row, int col)
{
    return cell_at(r, row, col)->kind;
}

static const char *sq_text(const struct ledger_result *r, int row, int col)
{
    return r->buf + cell_at(r, row, col)->text;
}

static long long sq_num(const struct ledger_result *r, int row, int col)
{
    return cell_at(r, row, col)->num;
}

static long long sq_changes(const struct ledger_result *r)
{
    return r->changes;
}

static int sq_claim(struct ledger_db *d, const char *order_number, void **hold, bool *got,
                    sk_err *e)
{
    struct sq_hold *h = NULL;
    char dir[1100], path[1200];
    int fd;

    *got = false;
    /* Order numbers are A-Z, 0-9 and '-' (issuer/orders/order.c), so they are safe file names. */
    if (strchr(order_number, '/') != NULL || order_number[0] == '.')
        return sk_err_set(e, SK_EINTERNAL, "ledger %s: cannot claim order '%s'", d->path,
                          order_number);
    snprintf(dir, sizeof(dir), "%s.claims", d->path);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sk_err_set(e, SK_EIO, "%s: cannot create: %s", dir, strerror(errno));
    snprintf(path, sizeof(path), "%s/%s", dir, order_number);
    fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return sk_err_set(e, SK_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(fd);
        if (err == EWOULDBLOCK)
            return SK_OK;
        return sk_err_set(e, SK_EIO, "%s: cannot lock: %s", path, strerror(err));
    }
    if ((h = malloc(sizeof(*h))) == NULL) {
        close(fd);
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", d->path);
    }
    h->fd = fd;
    *hold = h;
    *got = true;
    return SK_OK;
}

static void sq_unclaim(struct ledger_db *d, void *hold)
{
    struct sq_hold *h = hold;

    (void)d;
    close(h->fd);
    free(h);
}

/* fsync a file by name (SQLite's own syncs cover its journal, not our rename). */
static int sync_path(const char *path, int flags, sk_err *e)
{
    int fd = open(path, flags | O_CLOEXEC), ret = SK_OK;

    if (fd < 0 || fsync(fd) != 0)
        ret = sk_err_set(e, SK_EIO, "%s: fsync: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return ret;
}

/* A consistent copy of the whole database at dest (0600, replaced atomically), through
 * SQLite's online backup API: one step copies every page under one read transaction, so
 * writers (stations, batches) go on in WAL mode and the copy is one committed state. */
static int sq_backup(struct ledger_db *d, const char *dest, bool keep, sk_err *e)
{
    char tmp[PATH_MAX + 16], dir[PATH_MAX];
    const char *slash = strrchr(dest, '/');
    sqlite3 *to = NULL;
    sqlite3_backup *b = NULL;
    int fd = -1, rc = SQLITE_OK, ret = SK_EIO;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", dest) >= (int)sizeof(tmp))
        return sk_err_set(e, SK_EINPUT, "%s: path too long", dest);
    if ((fd = mkstemp(tmp)) < 0)
        return sk_err_set(e, SK_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    close(fd);
    if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        ret = sk_err_set(e, SK_ELEDGER, "%s: cannot open: %s", tmp,
                         to ? sqlite3_errmsg(to) : "out of memory");
        goto out;
    }
    if ((b = sqlite3_backup_init(to, "main", d->db, "main")) == NULL) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: backup to %s: %s", d->path, dest,
                         sqlite3_errmsg(to));
        goto out;
    }
    /* A writer committing at that moment holds the source briefly: wait as the busy timeout
     * would. */
    for (int waited_ms = 0; waited_ms <= 10000; waited_ms += 20) {
        rc = sqlite3_backup_step(b, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        struct timespec pause = {0, 20L * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    rc = rc == SQLITE_DONE ? sqlite3_backup_finish(b) : (sqlite3_backup_finish(b), rc);
    b = NULL;
    if (rc != SQLITE_OK) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: backup to %s: %s", d->path, dest,
                         sqlite3_errstr(rc));
        goto out;
    }
    /* The copy is a database of its own: one file, no WAL beside it. */
    if (sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
        ret = sk_err_set(e, SK_ELEDGER, "%s: %s", tmp, sqlite3_errmsg(to));
        goto out;
    }
    sqlite3_close(to);
    to = NULL;
    if ((ret = sync_path(tmp, O_RDONLY, e)) != SK_OK)
        goto out;
    if (keep) {
        /* Never over a copy already there (link fails on an existing name): of two
         * processes copying before the same migration, the one that read first is kept. */
        if (link(tmp, dest) != 0 && errno != EEXIST) {
            ret = sk_err_set(e, SK_EIO, "%s: cannot create: %s", dest, strerror(errno));
            goto out;
        }
        unlink(tmp);
    } else if (rename(tmp, dest) != 0) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot rename to %s: %s", tmp, dest, strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    snprintf(dir, sizeof(dir), "%.*s", slash == NULL ? 1 : slash == dest ? 1 :
             (int)(slash - dest), slash == NULL ? "." : dest);
    ret = sync_path(dir, O_RDONLY | O_DIRECTORY, e);
out:
    if (b != NULL)
        sqlite3_backup_finish(b);
    sqlite3_close(to);
    if (tmp[0] != '\0')
        unlink(tmp);
    return ret;
}

const struct ledger_driver ledger_sqlite_driver = {
    .name = "sqlite",
    .shared = false,
    .migrations = LEDGER_SQLITE,
    .numbered_params = false,
    .now = "strftime('%Y-%m-%dT%H:%M:%SZ','now')",
    .for_update = "",
    .insert_order = "rowid",
    .open = sq_open,
    .close = sq_close,
    .version_get = sq_version_get,
    .version_set = sq_version_set,
    .script = sq_script,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .lock = sq_lock,
    .exec = sq_exec,
    .rows = sq_rows,
    .cols = sq_cols,
    .col_name = sq_col_name,
    .kind = sq_kind,
    .text = sq_text,
    .num = sq_num,
    .changes = sq_changes,
    .result_free = sq_result_free,
    .claim = sq_claim,
    .unclaim = sq_unclaim,
    .backup = sq_backup,
};
