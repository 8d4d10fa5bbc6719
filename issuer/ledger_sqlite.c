/* SQLite backend of the ledger (issuer/ledger.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "issuer/ledger_backend.h"
#include "issuer/ledger_migrations.h"

#define SQ_MAX_CLAIMS 8

/* An order claimed by this process: an flock on <ledger>.claims/<order>, which the kernel
 * drops when the process dies. */
struct sq_claim {
    char order[64];
    int fd;
};

struct sq_ledger {
    struct sq_claim claims[SQ_MAX_CLAIMS];
    sqlite3 *db;
    char path[1024];
};

#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%SZ','now')"

static int db_fail(struct sq_ledger *l, sk_err *e, const char *what)
{
    return sk_err_set(e, SK_ELEDGER, "ledger %s: %s: %s", l->path, what, sqlite3_errmsg(l->db));
}

static int exec(struct sq_ledger *l, const char *sql, sk_err *e)
{
    char *msg = NULL;
    int ret = SK_OK;

    if (sqlite3_exec(l->db, sql, NULL, NULL, &msg) != SQLITE_OK)
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: %s", l->path, msg ? msg : "error");
    sqlite3_free(msg);
    return ret;
}

static int read_version(struct sq_ledger *l, int *version, sk_err *e)
{
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;

    if (sqlite3_prepare_v2(l->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        ret = db_fail(l, e, "reading schema version");
    else
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return ret;
}

static int migrate(struct sq_ledger *l, enum ledger_open_mode mode, int *from, sk_err *e)
{
    int ret = SK_ELEDGER;
    int version = 0;
    int in_tx = 0;
    size_t latest = ledger_migrations_count();

    /* BEGIN IMMEDIATE takes the write lock first, so two processes opening a new ledger at
     * once do not both try to create it. */
    if ((ret = exec(l, "BEGIN IMMEDIATE", e)) != SK_OK)
        goto out;
    in_tx = 1;
    if ((ret = read_version(l, &version, e)) != SK_OK)
        goto out;
    *from = version;
    if (version > (int)latest) {
        ret = sk_err_set(e, SK_ELEDGER,
                         "ledger %s: schema version %d is newer than this sealkey knows (%zu)",
                         l->path, version, latest);
        goto out;
    }
    if (mode == LEDGER_OPEN_INIT && version > 0) {
        ret = sk_err_set(e, SK_ESTATE, "ledger %s already exists (schema version %d); use "
                         "sealkey ledger migrate", l->path, version);
        goto out;
    }
    for (size_t i = (size_t)version; i < latest; i++) {
        char pragma[64];
        if ((ret = exec(l, ledger_migration_sql(i, LEDGER_SQLITE), e)) != SK_OK)
            goto out;
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %zu", i + 1);
        if ((ret = exec(l, pragma, e)) != SK_OK)
            goto out;
    }
    ret = exec(l, "COMMIT", e);
    in_tx = ret != SK_OK;
out:
    if (in_tx)
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

static int sq_schema_version(void *impl, int *version, sk_err *e)
{
    return read_version(impl, version, e);
}

static void sq_free(void *impl);

/* Like the station's other files, the ledger is never reached through a symbolic link in
 * its last component. SQLITE_OPEN_NOFOLLOW refuses a link anywhere in the name, so the
 * directory is resolved first (links above the ledger are the operator's business) and
 * SQLite opens <real directory>/<name>: a link put there after the check still fails. */
static int sq_real_path(const char *path, char *out, size_t outlen, sk_err *e)
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

static int sq_open(const char *path, enum ledger_open_mode mode, int *from, void **out,
                   sk_err *e)
{
    int ret = SK_ELEDGER;
    struct sq_ledger *l = NULL;
    char real[PATH_MAX];

    *out = NULL;
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", path);
    for (size_t i = 0; i < SQ_MAX_CLAIMS; i++)
        l->claims[i].fd = -1;
    snprintf(l->path, sizeof(l->path), "%s", path);
    if ((ret = sq_real_path(path, real, sizeof(real), e)) != SK_OK)
        goto out;
    if (sqlite3_open_v2(real, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                          SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: cannot open: %s", path,
                         l->db ? sqlite3_errmsg(l->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(l->db, 10000);
    /* WAL + synchronous=FULL: each committed step survives power loss, and readers
     * (sealkey status) do not block a running issuance. */
    if ((ret = exec(l, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                       "PRAGMA foreign_keys=ON;", e)) != SK_OK)
        goto out;
    if ((ret = migrate(l, mode, from, e)) != SK_OK)
        goto out;
    *out = l;
    l = NULL;
    ret = SK_OK;
out:
    sq_free(l);
    return ret;
}

static void sq_free(void *impl)
{
    struct sq_ledger *l = impl;

    if (l == NULL)
        return;
    for (size_t i = 0; i < SQ_MAX_CLAIMS; i++)
        if (l->claims[i].fd >= 0)
            close(l->claims[i].fd);
    sqlite3_close(l->db);
    free(l);
}

static void col_copy(sqlite3_stmt *st, int col, char *buf, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(buf, len, "%s", t != NULL ? (const char *)t : "");
}

#define ISSUANCE_COLUMNS                                                                     \
    "id, order_number, step, station_id, operator, key_alg, issuer_id, cert_serial, "        \
    "token_label, token_serial, key_id, not_before, not_after, started_at, updated_at, "     \
    "error, COALESCE(reissue_of, ''), waybill, revoked_at, revocation_reason, "               \
    "COALESCE((SELECT max(at) FROM issuance_steps s WHERE s.issuance_id = issuances.id"      \
    " AND s.step = 'verified'), '')"

static void row_to_issuance(sqlite3_stmt *st, ledger_issuance *r)
{
    char step[32];

    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, r->order_number, sizeof(r->order_number));
    col_copy(st, 2, step, sizeof(step));
    r->step = (iss_step)ledger_step_from_name(step);
    col_copy(st, 3, r->station_id, sizeof(r->station_id));
    col_copy(st, 4, r->operator_name, sizeof(r->operator_name));
    col_copy(st, 5, r->key_alg, sizeof(r->key_alg));
    col_copy(st, 6, r->issuer_id, sizeof(r->issuer_id));
    col_copy(st, 7, r->cert_serial, sizeof(r->cert_serial));
    col_copy(st, 8, r->token_label, sizeof(r->token_label));
    col_copy(st, 9, r->token_serial, sizeof(r->token_serial));
    col_copy(st, 10, r->key_id, sizeof(r->key_id));
    col_copy(st, 11, r->not_before, sizeof(r->not_before));
    col_copy(st, 12, r->not_after, sizeof(r->not_after));
    col_copy(st, 13, r->started_at, sizeof(r->started_at));
    col_copy(st, 14, r->updated_at, sizeof(r->updated_at));
    col_copy(st, 15, r->error, sizeof(r->error));
    col_copy(st, 16, r->reissue_of, sizeof(r->reissue_of));
    col_copy(st, 17, r->waybill, sizeof(r->waybill));
    col_copy(st, 18, r->revoked_at, sizeof(r->revoked_at));
    col_copy(st, 19, r->revocation_reason, sizeof(r->revocation_reason));
    col_copy(st, 20, r->produced_at, sizeof(r->produced_at));
}

/* The first row of a prepared issuance query, if any; finalizes st. */
static int one_issuance(struct sq_ledger *l, sqlite3_stmt *st, const char *what,
                        ledger_issuance *out, bool *found, sk_err *e)
{
    int rc = sqlite3_step(st);
    int ret = SK_OK;

    *found = false;
    if (rc == SQLITE_ROW) {
        row_to_issuance(st, out);
        *found = true;
    } else if (rc != SQLITE_DONE) {
        ret = db_fail(l, e, what);
    }
    sqlite3_finalize(st);
    return ret;
}

/* One issuance chosen by a query with one text parameter. */
static int issuance_by(struct sq_ledger *l, const char *sql, const char *param, const char *what,
                       ledger_issuance *out, bool *found, sk_err *e)
{
    sqlite3_stmt *st = NULL;

    *found = false;
    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_fail(l, e, what);
    }
    sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
    return one_issuance(l, st, what, out, found, e);
}

static int sq_latest(void *impl, const char *order_number, ledger_issuance *out, bool *found,
                  sk_err *e)
{
    return issuance_by(impl, "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE order_number = ?"
                       " ORDER BY id DESC LIMIT 1", order_number, "looking up order", out, found,
                       e);
}

static int sq_live(void *impl, const char *order_number, ledger_issuance *out, bool *found,
                   sk_err *e)
{
    return issuance_by(impl, "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE order_number = ?"
                       " AND step = 'verified' AND revoked_at = '' ORDER BY id DESC LIMIT 1",
                       order_number, "looking up the live issuance", out, found, e);
}

static int sq_token_live(void *impl, const char *token_serial, ledger_issuance *out,
                         bool *found, sk_err *e)
{
    return issuance_by(impl, "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE token_serial = ?"
                       " AND step = 'verified' AND revoked_at = '' ORDER BY id DESC LIMIT 1",
                       token_serial, "looking up the token's holder", out, found, e);
}

static int sq_get(void *impl, long long id, ledger_issuance *out, bool *found, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;

    *found = false;
    if (sqlite3_prepare_v2(l->db, "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE id = ?", -1,
                           &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_fail(l, e, "reading issuance");
    }
    sqlite3_bind_int64(st, 1, id);
    return one_issuance(l, st, "reading issuance", out, found, e);
}

static int add_history(struct sq_ledger *l, long long id, const char *step, const char *detail, sk_err *e)
{
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;

    if (sqlite3_prepare_v2(l->db,
                           "INSERT INTO issuance_steps (issuance_id, step, at, detail)"
                           " VALUES (?, ?, " NOW_SQL ", ?)",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "recording step");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, step, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, detail != NULL ? detail : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        ret = db_fail(l, e, "recording step");
out:
    sqlite3_finalize(st);
    return ret;
}

/* Before a new issuance of an order: its verified issuance, if any, must be the one
 * reissue_of names, and reissue_of a verified or revoked issuance of this order. */
static int check_replaced(struct sq_ledger *l, const char *order_number, long long reissue_of,
                          sk_err *e)
{
    sqlite3_stmt *st = NULL;
    int ret = SK_OK, rc;

    if (sqlite3_prepare_v2(l->db, "SELECT id FROM issuances WHERE order_number = ? AND"
                           " step = 'verified'", -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "looking up order");
        goto out;
    }
    sqlite3_bind_text(st, 1, order_number, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) != reissue_of) {
        ret = sk_err_set(e, SK_ESTATE, "order %s is already issued (issuance %lld is "
                         "verified); only a reissue replacing it may begin", order_number,
                         (long long)sqlite3_column_int64(st, 0));
        goto out;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ret = db_fail(l, e, "looking up order");
        goto out;
    }
    if (reissue_of <= 0)
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(l->db, "SELECT 1 FROM issuances WHERE id = ? AND order_number = ?"
                           " AND step IN ('verified', 'revoked')", -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "looking up the replaced issuance");
        goto out;
    }
    sqlite3_bind_int64(st, 1, reissue_of);
    sqlite3_bind_text(st, 2, order_number, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        ret = sk_err_set(e, SK_ESTATE, "order %s: issuance %lld is not a verified or revoked "
                         "issuance of this order, nothing to reissue", order_number, reissue_of);
    else if (rc != SQLITE_ROW)
        ret = db_fail(l, e, "looking up the replaced issuance");
out:
    sqlite3_finalize(st);
    return ret;
}

static int sq_begin(void *impl, const char *order_number, const char *station_id,
                 const char *operator_name, const char *key_alg, const char *issuer_id,
                 const char *cert_serial, long long reissue_of, long long *id, bool *serial_taken,
                 sk_err *e)
{
    struct sq_ledger *l = impl;
    int ret = SK_ELEDGER;
    sqlite3_stmt *st = NULL;
    int in_tx = 0;
    int rc;

    *serial_taken = false;
    *id = 0;
    if ((ret = exec(l, "BEGIN IMMEDIATE", e)) != SK_OK)
        goto out;
    in_tx = 1;

    /* The replaced issuance stays live (and revocable) until the reissue is verified; only
     * a reissue that names it may begin beside a verified issuance. */
    if ((ret = check_replaced(l, order_number, reissue_of, e)) != SK_OK)
        goto out;

    if (sqlite3_prepare_v2(l->db,
                           "INSERT INTO issuances (order_number, step, station_id, operator,"
                           " key_alg, issuer_id, cert_serial, reissue_of, started_at, updated_at)"
                           " VALUES (?, 'reserved', ?, ?, ?, ?, ?, ?, " NOW_SQL ", " NOW_SQL ")",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "opening issuance");
        goto out;
    }
    sqlite3_bind_text(st, 1, order_number, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, station_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, operator_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, key_alg, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, issuer_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, cert_serial, -1, SQLITE_STATIC);
    if (reissue_of > 0)
        sqlite3_bind_int64(st, 7, reissue_of);
    else
        sqlite3_bind_null(st, 7);
    rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
        ret = sk_err_set(e, SK_ESTATE, "order %s already has an issuance in progress in the "
                         "ledger", order_number);
        goto out;
    }
    if (rc != SQLITE_DONE) {
        ret = db_fail(l, e, "opening issuance");
        goto out;
    }
    *id = sqlite3_last_insert_rowid(l->db);
    sqlite3_finalize(st);
    st = NULL;

    if (sqlite3_prepare_v2(l->db,
                           "INSERT INTO serials (issuer_id, serial, state, issuance_id,"
                           " reserved_at) VALUES (?, ?, 'reserved', ?, " NOW_SQL ")",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "reserving serial");
        goto out;
    }
    sqlite3_bind_text(st, 1, issuer_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cert_serial, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, *id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
        *serial_taken = true;
        ret = sk_err_set(e, SK_ESTATE, "certificate serial %s is already reserved", cert_serial);
        goto out;
    }
    if (rc != SQLITE_DONE) {
        ret = db_fail(l, e, "reserving serial");
        goto out;
    }
    if ((ret = add_history(l, *id, "reserved", cert_serial, e)) != SK_OK)
        goto out;
    ret = exec(l, "COMMIT", e);
    in_tx = ret != SK_OK;
out:
    sqlite3_finalize(st);
    if (in_tx) {
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
        *id = 0;
    }
    return ret;
}

static int get_step(struct sq_ledger *l, long long id, int *step, sk_err *e)
{
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;

    if (sqlite3_prepare_v2(l->db, "SELECT step FROM issuances WHERE id = ?", -1, &st, NULL) !=
        SQLITE_OK) {
        ret = db_fail(l, e, "reading step");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: no issuance %lld", l->path, id);
        goto out;
    }
    *step = ledger_step_from_name((const char *)sqlite3_column_text(st, 0));
out:
    sqlite3_finalize(st);
    return ret;
}

static int set_serial_state(struct sq_ledger *l, long long id, const char *state, const char *only_from,
                            sk_err *e)
{
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;

    if (sqlite3_prepare_v2(l->db,
                           "UPDATE serials SET state = ? WHERE issuance_id = ? AND state = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "updating serial");
        goto out;
    }
    sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_text(st, 3, only_from, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        ret = db_fail(l, e, "updating serial");
out:
    sqlite3_finalize(st);
    return ret;
}

/* A reissue reaching 'verified' retires, in the same transaction, the issuance it replaces
 * if that is still verified: superseded, and its certificate revoked. One revoked meanwhile
 * (sealkey revoke) stays as it is. */
static int supersede(struct sq_ledger *l, long long id, const char *reason, sk_err *e)
{
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;

    if (sqlite3_prepare_v2(l->db,
                           "UPDATE issuances SET step = 'superseded', revoked_at = " NOW_SQL ","
                           " revocation_reason = ?, updated_at = " NOW_SQL " WHERE id ="
                           " (SELECT reissue_of FROM issuances WHERE id = ?) AND step = 'verified'",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "retiring the replaced issuance");
        goto out;
    }
    sqlite3_bind_text(st, 1, reason != NULL ? reason : "superseded", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        ret = db_fail(l, e, "retiring the replaced issuance");
out:
    sqlite3_finalize(st);
    return ret;
}

static int sq_step(void *impl, long long id, iss_step step, const ledger_update *u, sk_err *e)
{
    struct sq_ledger *l = impl;
    int ret = SK_ELEDGER;
    sqlite3_stmt *st = NULL;
    int in_tx = 0;
    int cur = -1;
    static const ledger_update none;

    if (u == NULL)
        u = &none;
    if ((ret = exec(l, "BEGIN IMMEDIATE", e)) != SK_OK)
        goto out;
    in_tx = 1;
    if ((ret = get_step(l, id, &cur, e)) != SK_OK)
        goto out;
    if (cur < 0 || cur >= (int)ISS_FAILED || (int)step <= cur || step >= ISS_FAILED) {
        ret = sk_err_set(e, SK_ESTATE, "issuance %lld: cannot move from step %s to %s", id,
                         cur < 0 ? "?" : iss_step_name((iss_step)cur), iss_step_name(step));
        goto out;
    }
    if (step == ISS_VERIFIED && (ret = supersede(l, id, u->revocation_reason, e)) != SK_OK)
        goto out;
    if (sqlite3_prepare_v2(l->db,
                           "UPDATE issuances SET step = ?, updated_at = " NOW_SQL ","
                           " token_label = COALESCE(?, token_label),"
                           " token_serial = COALESCE(?, token_serial),"
                           " key_id = COALESCE(?, key_id),"
                           " not_before = COALESCE(?, not_before),"
                           " not_after = COALESCE(?, not_after),"
                           " cert_pem = COALESCE(?, cert_pem) WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "recording step");
        goto out;
    }
    sqlite3_bind_text(st, 1, iss_step_name(step), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, u->token_label, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, u->token_serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, u->key_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, u->not_before, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, u->not_after, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, u->cert_pem, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        ret = db_fail(l, e, "recording step");
        goto out;
    }
    /* Once a certificate carries the serial it is spent, whatever happens to the token. */
    if (step >= ISS_CERT_ISSUED && (ret = set_serial_state(l, id, "used", "reserved", e)) != SK_OK)
        goto out;
    if ((ret = add_history(l, id, iss_step_name(step), NULL, e)) != SK_OK)
        goto out;
    ret = exec(l, "COMMIT", e);
    in_tx = ret != SK_OK;
out:
    sqlite3_finalize(st);
    if (in_tx)
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

static int sq_fail(void *impl, long long id, const char *reason, sk_err *e)
{
    struct sq_ledger *l = impl;
    int ret = SK_ELEDGER;
    sqlite3_stmt *st = NULL;
    int in_tx = 0;

    if ((ret = exec(l, "BEGIN IMMEDIATE", e)) != SK_OK)
        goto out;
    in_tx = 1;
    if (sqlite3_prepare_v2(l->db,
                           "UPDATE issuances SET step = 'failed', error = ?, updated_at = " NOW_SQL
                           " WHERE id = ? AND step NOT IN ('verified', 'failed', 'superseded',"
                           " 'revoked')",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "recording failure");
        goto out;
    }
    sqlite3_bind_text(st, 1, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        ret = db_fail(l, e, "recording failure");
        goto out;
    }
    if (sqlite3_changes(l->db) == 0)
        goto out; /* already final: nothing to record */
    sqlite3_finalize(st);
    st = NULL;
    if ((ret = set_serial_state(l, id, "void", "reserved", e)) != SK_OK)
        goto out;
    /* A certificate signed for an attempt that failed may have left the station (on a token
     * pulled mid-write, in out/): it goes on the next CRL. */
    if (sqlite3_prepare_v2(l->db,
                           "UPDATE issuances SET revoked_at = " NOW_SQL ", revocation_reason ="
                           " 'cessationOfOperation' WHERE id = ? AND revoked_at = '' AND EXISTS"
                           " (SELECT 1 FROM serials s WHERE s.issuance_id = issuances.id AND"
                           " s.state = 'used')",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "revoking the failed attempt's certificate");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        ret = db_fail(l, e, "revoking the failed attempt's certificate");
        goto out;
    }
    if ((ret = add_history(l, id, "failed", reason, e)) != SK_OK)
        goto out;
    ret = exec(l, "COMMIT", e);
    in_tx = ret != SK_OK;
out:
    sqlite3_finalize(st);
    if (in_tx)
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

/* Step a prepared query and collect its rows into an array of elem_size elements, each
 * filled by row(); finalizes st. */
static int collect_rows(struct sq_ledger *l, sqlite3_stmt *st, const char *what, size_t elem_size,
                        void (*row)(sqlite3_stmt *st, void *dst), void **out, size_t *n,
                        sk_err *e)
{
    char *v = NULL;
    size_t cnt = 0, cap = 0;
    int ret = SK_ELEDGER;
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char *nv = realloc(v, ncap * elem_size);
            if (nv == NULL) {
                ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->path);
                goto out;
            }
            v = nv;
            cap = ncap;
        }
        memset(v + cnt * elem_size, 0, elem_size);
        row(st, v + cnt * elem_size);
        cnt++;
    }
    if (rc != SQLITE_DONE) {
        ret = db_fail(l, e, what);
        goto out;
    }
    *out = v;
    *n = cnt;
    v = NULL;
    ret = SK_OK;
out:
    free(v);
    sqlite3_finalize(st);
    return ret;
}

static void issuance_row(sqlite3_stmt *st, void *dst)
{
    row_to_issuance(st, dst);
}

static int collect_issuances(struct sq_ledger *l, sqlite3_stmt *st, const char *what,
                             ledger_issuance **out, size_t *n, sk_err *e)
{
    return collect_rows(l, st, what, sizeof(**out), issuance_row, (void **)out, n, e);
}

static int sq_list(void *impl, const char *order_number, ledger_issuance **out, size_t *n, sk_err *e)
{
    struct sq_ledger *l = impl;
    int ret = SK_ELEDGER;
    sqlite3_stmt *st = NULL;

    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(l->db,
                           order_number != NULL
                               ? "SELECT " ISSUANCE_COLUMNS
                                 " FROM issuances WHERE order_number = ? ORDER BY id"
                               : "SELECT " ISSUANCE_COLUMNS " FROM issuances ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "listing issuances");
        goto out;
    }
    if (order_number != NULL)
        sqlite3_bind_text(st, 1, order_number, -1, SQLITE_STATIC);
    return collect_issuances(l, st, "listing issuances", out, n, e);
out:
    sqlite3_finalize(st);
    return ret;
}

static int sq_serial_state(void *impl, const char *issuer_id, const char *cert_serial, char *state,
                        size_t state_len, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;
    int rc;

    state[0] = '\0';
    if (sqlite3_prepare_v2(l->db, "SELECT state FROM serials WHERE issuer_id = ? AND serial = ?",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "reading serial");
        goto out;
    }
    sqlite3_bind_text(st, 1, issuer_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cert_serial, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        col_copy(st, 0, state, state_len);
    else if (rc != SQLITE_DONE)
        ret = db_fail(l, e, "reading serial");
out:
    sqlite3_finalize(st);
    return ret;
}

static int sq_cert_pem(void *impl, long long id, char **pem, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;

    *pem = NULL;
    if (sqlite3_prepare_v2(l->db, "SELECT cert_pem FROM issuances WHERE id = ?", -1, &st,
                           NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "reading certificate");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *pem = strdup((const char *)sqlite3_column_text(st, 0));
        if (*pem == NULL)
            ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->path);
    }
out:
    sqlite3_finalize(st);
    return ret;
}

static int sq_seal_add(void *impl, long long issuance_id, const char *order_number, const char *kind,
                    const char *es_id, const char *sha256_hex, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;
    int rc;

    if (sqlite3_prepare_v2(l->db,
                           "INSERT INTO seals (es_id, issuance_id, order_number, kind, sha256,"
                           " created_at) VALUES (?, ?, ?, ?, ?, " NOW_SQL ")",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "recording seal");
        goto out;
    }
    sqlite3_bind_text(st, 1, es_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, issuance_id);
    sqlite3_bind_text(st, 3, order_number, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, sha256_hex, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT)
        ret = sk_err_set(e, SK_ESTATE, "seal id %s is already in the ledger", es_id);
    else if (rc != SQLITE_DONE)
        ret = db_fail(l, e, "recording seal");
out:
    sqlite3_finalize(st);
    return ret;
}

static void seal_row(sqlite3_stmt *st, void *dst)
{
    ledger_seal *r = dst;

    col_copy(st, 0, r->es_id, sizeof(r->es_id));
    r->issuance_id = sqlite3_column_int64(st, 1);
    col_copy(st, 2, r->order_number, sizeof(r->order_number));
    col_copy(st, 3, r->kind, sizeof(r->kind));
    col_copy(st, 4, r->sha256, sizeof(r->sha256));
    col_copy(st, 5, r->created_at, sizeof(r->created_at));
}

static int sq_seal_list(void *impl, long long issuance_id, ledger_seal **out, size_t *n, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;

    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT es_id, issuance_id, order_number, kind, sha256, created_at"
                           " FROM seals WHERE issuance_id = ? ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_fail(l, e, "listing seals");
    }
    sqlite3_bind_int64(st, 1, issuance_id);
    return collect_rows(l, st, "listing seals", sizeof(**out), seal_row, (void **)out, n, e);
}

/* The live (verified) issuance of an order, for the shipping and revocation updates. */
static int update_verified(struct sq_ledger *l, const char *sql, const char *order_number, const char *a,
                           const char *b, const char *what, sk_err *e)
{
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;

    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, what);
        goto out;
    }
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b != NULL)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, b != NULL ? 3 : 2, order_number, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        ret = db_fail(l, e, what);
        goto out;
    }
    if (sqlite3_changes(l->db) != 1)
        ret = sk_err_set(e, SK_ESTATE, "order %s has no issued (verified) token in the ledger",
                         order_number);
out:
    sqlite3_finalize(st);
    return ret;
}

static int sq_set_waybill(void *impl, const char *order_number, const char *waybill, sk_err *e)
{
    struct sq_ledger *l = impl;
    return update_verified(l,
                           "UPDATE issuances SET waybill = ?, updated_at = " NOW_SQL
                           " WHERE order_number = ? AND step = 'verified'",
                           order_number, waybill, NULL, "recording waybill", e);
}

static int sq_revoke(void *impl, const char *order_number, const char *reason,
                     ledger_issuance **revoked, size_t *n, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;
    long long *ids = NULL;
    size_t cnt = 0, cap = 0;
    ledger_issuance *v = NULL;
    int ret = SK_ELEDGER, in_tx = 0, rc;

    if ((ret = exec(l, "BEGIN IMMEDIATE", e)) != SK_OK)
        goto out;
    in_tx = 1;
    /* Every certificate of the order signed and not revoked yet, except those of an issuance
     * in flight, which the run that closes it accounts for. */
    if (sqlite3_prepare_v2(l->db,
                           "UPDATE issuances SET step = CASE step WHEN 'verified' THEN 'revoked'"
                           " ELSE step END, revocation_reason = ?, revoked_at = " NOW_SQL ","
                           " updated_at = " NOW_SQL " WHERE order_number = ? AND revoked_at = ''"
                           " AND step IN ('verified', 'superseded', 'failed') AND EXISTS (SELECT 1"
                           " FROM serials s WHERE s.issuance_id = issuances.id AND"
                           " s.state = 'used') RETURNING id",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "recording revocation");
        goto out;
    }
    sqlite3_bind_text(st, 1, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, order_number, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            long long *nids = realloc(ids, (cap = cap ? cap * 2 : 4) * sizeof(*ids));
            if (nids == NULL) {
                ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->path);
                goto out;
            }
            ids = nids;
        }
        ids[cnt++] = sqlite3_column_int64(st, 0);
    }
    if (rc != SQLITE_DONE) {
        ret = db_fail(l, e, "recording revocation");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (cnt == 0) {
        ret = sk_err_set(e, SK_ESTATE, "order %s has no issued (verified) token or other "
                         "certificate left to revoke in the ledger", order_number);
        goto out;
    }
    if ((v = calloc(cnt, sizeof(*v))) == NULL) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->path);
        goto out;
    }
    for (size_t i = 0; i < cnt; i++) {
        bool found = false;
        if ((ret = sq_get(l, ids[i], &v[i], &found, e)) != SK_OK)
            goto out;
    }
    if ((ret = exec(l, "COMMIT", e)) != SK_OK)
        goto out;
    in_tx = 0;
    /* RETURNING gives no order; callers get the oldest first. */
    for (size_t i = 1; i < cnt; i++)
        for (size_t k = i; k > 0 && v[k - 1].id > v[k].id; k--) {
            ledger_issuance t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    *revoked = v;
    *n = cnt;
    v = NULL;
out:
    sqlite3_finalize(st);
    if (in_tx)
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    free(ids);
    free(v);
    return ret;
}

static int sq_revoked(void *impl, const char *issuer_id, ledger_issuance **out, size_t *n, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;
    int ret = SK_ELEDGER;

    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(l->db,
                           "SELECT " ISSUANCE_COLUMNS " FROM issuances WHERE issuer_id = ?"
                           " AND revoked_at <> '' ORDER BY revoked_at, id",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "listing revocations");
        goto out;
    }
    sqlite3_bind_text(st, 1, issuer_id, -1, SQLITE_STATIC);
    return collect_issuances(l, st, "listing revocations", out, n, e);
out:
    sqlite3_finalize(st);
    return ret;
}

static int sq_next_crl_number(void *impl, const char *issuer_id, long long *number, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;
    int ret = SK_ELEDGER;
    int in_tx = 0;

    if ((ret = exec(l, "BEGIN IMMEDIATE", e)) != SK_OK)
        goto out;
    in_tx = 1;
    if (sqlite3_prepare_v2(l->db,
                           "INSERT INTO crls (issuer_id, number, issued_at) SELECT ?,"
                           " COALESCE(MAX(number), 0) + 1, " NOW_SQL
                           " FROM crls WHERE issuer_id = ? RETURNING number",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "numbering the CRL");
        goto out;
    }
    sqlite3_bind_text(st, 1, issuer_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, issuer_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        ret = db_fail(l, e, "numbering the CRL");
        goto out;
    }
    *number = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    ret = exec(l, "COMMIT", e);
    in_tx = ret != SK_OK;
out:
    sqlite3_finalize(st);
    if (in_tx)
        sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

static int sq_claim(void *impl, const char *order_number, bool *got, sk_err *e)
{
    struct sq_ledger *l = impl;
    struct sq_claim *slot = NULL;
    char dir[1100], path[1200];
    int fd;

    *got = false;
    for (size_t i = 0; i < SQ_MAX_CLAIMS && slot == NULL; i++)
        if (l->claims[i].fd < 0)
            slot = &l->claims[i];
    /* Order numbers are A-Z, 0-9 and '-' (issuer/order.c), so they are safe file names. */
    if (slot == NULL || strchr(order_number, '/') != NULL || order_number[0] == '.' ||
        strlen(order_number) >= sizeof(slot->order))
        return sk_err_set(e, SK_EINTERNAL, "ledger %s: cannot claim order '%s'", l->path,
                          order_number);
    snprintf(dir, sizeof(dir), "%s.claims", l->path);
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
    snprintf(slot->order, sizeof(slot->order), "%s", order_number);
    slot->fd = fd;
    *got = true;
    return SK_OK;
}

static void sq_release(void *impl, const char *order_number)
{
    struct sq_ledger *l = impl;

    for (size_t i = 0; i < SQ_MAX_CLAIMS; i++) {
        if (l->claims[i].fd >= 0 && strcmp(l->claims[i].order, order_number) == 0) {
            close(l->claims[i].fd);
            l->claims[i].fd = -1;
        }
    }
}

/* One table as an array of objects, column name -> value, in insertion (rowid) order. */
static int export_table(struct sq_ledger *l, const char *table, json_t *tables, sk_err *e)
{
    char sql[128];
    sqlite3_stmt *st = NULL;
    json_t *rows = json_array();
    int ret = SK_ELEDGER;
    int rc;

    snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY rowid", table);
    if (rows == NULL || json_object_set(tables, table, rows) != 0) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->path);
        goto out;
    }
    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "exporting");
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = json_object();
        if (row == NULL || json_array_append_new(rows, row) != 0) {
            ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->path);
            goto out;
        }
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            json_t *v;
            switch (sqlite3_column_type(st, c)) {
            case SQLITE_NULL:
                v = json_null();
                break;
            case SQLITE_INTEGER:
                v = json_integer((json_int_t)sqlite3_column_int64(st, c));
                break;
            default:
                v = json_string((const char *)sqlite3_column_text(st, c));
                break;
            }
            if (v == NULL || json_object_set_new(row, sqlite3_column_name(st, c), v) != 0) {
                ret = sk_err_set(e, SK_ELEDGER, "ledger %s: %s: a value that is not UTF-8 text",
                                 l->path, table);
                goto out;
            }
        }
    }
    if (rc != SQLITE_DONE) {
        ret = db_fail(l, e, "exporting");
        goto out;
    }
    ret = SK_OK;
out:
    json_decref(rows);
    sqlite3_finalize(st);
    return ret;
}

/* The whole ledger from one read transaction, so the tables agree with each other. */
static int sq_export(void *impl, char **json, sk_err *e)
{
    static const char *const tables[] = {"issuances", "issuance_steps", "serials", "seals",
                                         "crls"};
    struct sq_ledger *l = impl;
    json_t *doc = NULL, *t = json_object();
    int version = 0, in_tx = 0;
    int ret;

    *json = NULL;
    if ((ret = exec(l, "BEGIN", e)) != SK_OK)
        goto out;
    in_tx = 1;
    if ((ret = read_version(l, &version, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        if ((ret = export_table(l, tables[i], t, e)) != SK_OK)
            goto out;
    doc = json_pack("{s:s, s:i, s:O}", "format", LEDGER_EXPORT_FORMAT, "schema", version,
                    "tables", t);
    if (doc == NULL || (*json = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->path);
        goto out;
    }
    ret = SK_OK;
out:
    if (in_tx)
        sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
    json_decref(doc);
    json_decref(t);
    return ret;
}

/* The anchor of the station's audit log (issuer/audit.c writes it under the log's lock, so
 * anchors arrive in the log's order). */
static int sq_audit_anchor_set(void *impl, const char *station, unsigned long long seq,
                               const char *hash, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;
    int ret = SK_OK;

    if (sqlite3_prepare_v2(l->db,
                           "INSERT INTO audit_anchors (station, seq, hash, at) VALUES (?, ?, ?, "
                           NOW_SQL ") ON CONFLICT (station) DO UPDATE SET seq = excluded.seq,"
                           " hash = excluded.hash, at = excluded.at",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "anchoring the audit log");
        goto out;
    }
    sqlite3_bind_text(st, 1, station, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        ret = db_fail(l, e, "anchoring the audit log");
out:
    sqlite3_finalize(st);
    return ret;
}

static int sq_audit_anchor_get(void *impl, const char *station, unsigned long long *seq,
                               char *hash, size_t hash_len, bool *found, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;
    int ret = SK_OK, rc;

    if (sqlite3_prepare_v2(l->db, "SELECT seq, hash FROM audit_anchors WHERE station = ?", -1,
                           &st, NULL) != SQLITE_OK) {
        ret = db_fail(l, e, "reading the audit anchor");
        goto out;
    }
    sqlite3_bind_text(st, 1, station, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *found = true;
        *seq = (unsigned long long)sqlite3_column_int64(st, 0);
        col_copy(st, 1, hash, hash_len);
    } else if (rc != SQLITE_DONE) {
        ret = db_fail(l, e, "reading the audit anchor");
    }
out:
    sqlite3_finalize(st);
    return ret;
}

static void serial_row(sqlite3_stmt *st, void *dst)
{
    ledger_serial *r = dst;

    col_copy(st, 0, r->issuer_id, sizeof(r->issuer_id));
    col_copy(st, 1, r->serial, sizeof(r->serial));
    col_copy(st, 2, r->state, sizeof(r->state));
    r->issuance_id = sqlite3_column_int64(st, 3);
}

static int sq_serials(void *impl, ledger_serial **out, size_t *n, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(l->db,
                           "SELECT issuer_id, serial, state, issuance_id FROM serials"
                           " ORDER BY issuance_id, rowid",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_fail(l, e, "listing serials");
    }
    return collect_rows(l, st, "listing serials", sizeof(**out), serial_row, (void **)out, n, e);
}

static void station_certs_row(sqlite3_stmt *st, void *dst)
{
    ledger_station_certs *r = dst;

    col_copy(st, 0, r->station_id, sizeof(r->station_id));
    r->certs = (size_t)sqlite3_column_int64(st, 1);
}

static int sq_certs_by_station(void *impl, ledger_station_certs **out, size_t *n, sk_err *e)
{
    struct sq_ledger *l = impl;
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(l->db,
                           "SELECT station_id, count(*) FROM issuances WHERE cert_pem IS NOT NULL"
                           " GROUP BY station_id ORDER BY station_id",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return db_fail(l, e, "counting certificates");
    }
    return collect_rows(l, st, "counting certificates", sizeof(**out), station_certs_row,
                        (void **)out, n, e);
}

const struct ledger_ops ledger_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .free = sq_free,
    .latest = sq_latest,
    .get = sq_get,
    .live = sq_live,
    .token_live = sq_token_live,
    .begin = sq_begin,
    .step = sq_step,
    .fail = sq_fail,
    .list = sq_list,
    .serial_state = sq_serial_state,
    .cert_pem = sq_cert_pem,
    .seal_add = sq_seal_add,
    .seal_list = sq_seal_list,
    .set_waybill = sq_set_waybill,
    .revoke = sq_revoke,
    .revoked = sq_revoked,
    .next_crl_number = sq_next_crl_number,
    .claim = sq_claim,
    .release = sq_release,
    .schema_version = sq_schema_version,
    .export_json = sq_export,
    .import_json = NULL,
    .audit_anchor_set = sq_audit_anchor_set,
    .audit_anchor_get = sq_audit_anchor_get,
    .serials = sq_serials,
    .certs_by_station = sq_certs_by_station,
};
