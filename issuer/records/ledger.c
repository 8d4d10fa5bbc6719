/* The ledger: picks a driver by the ledger's location, brings the schema to this sealkey's
 * version, and holds claims. The rules of the issuance are in issuer/records/ledger_issuance.c, the
 * reads in ledger_read.c, export and import in ledger_move.c, the audit store in
 * ledger_audit.c; all run over issuer/records/ledger_driver.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/records/ledger_int.h"
#include "issuer/records/ledger_migrations.h"

/* What ledger_open asks: use a ledger (a station's own is created and migrated as it always
 * was; a shared ledger must already be at the latest schema, so that no station migrates it
 * behind the others' backs), create the schema of a new one, or migrate. */
enum open_mode {
    OPEN_USE,
    OPEN_INIT,
    OPEN_MIGRATE,
};

static const char *const step_names[] = {
    [ISS_RESERVED] = "reserved",
    [ISS_TOKEN_INITIALISED] = "token_initialised",
    [ISS_KEY_GENERATED] = "key_generated",
    [ISS_CERT_ISSUED] = "cert_issued",
    [ISS_SEALS_MADE] = "seals_made",
    [ISS_WRITTEN] = "written",
    [ISS_VERIFIED] = "verified",
    [ISS_FAILED] = "failed",
    [ISS_SUPERSEDED] = "superseded",
    [ISS_REVOKED] = "revoked",
    [ISS_AWAITING_CERT] = "awaiting_certificate",
};

const char *iss_step_name(iss_step s)
{
    if ((unsigned)s < sizeof(step_names) / sizeof(step_names[0]))
        return step_names[s];
    return "unknown";
}

int ledger_step_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(step_names) / sizeof(step_names[0]); i++)
        if (name != NULL && strcmp(name, step_names[i]) == 0)
            return (int)i;
    return -1;
}

bool ledger_is_shared(const char *where)
{
    return where != NULL && (strncmp(where, "postgresql://", 13) == 0 ||
                             strncmp(where, "postgres://", 11) == 0);
}

int ledger_connect(const char *where, const struct ledger_driver *drv, const char *purpose,
                   ledger **out, sk_err *e)
{
    ledger *l = NULL;
    int ret;

    *out = NULL;
    if ((l = calloc(1, sizeof(*l))) == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", where);
    l->drv = drv;
    snprintf(l->where, sizeof(l->where), "%s", where);
    if ((ret = drv->open(where, purpose, &l->db, e)) != SK_OK) {
        free(l);
        return ret;
    }
    *out = l;
    return SK_OK;
}

int ledger_migration_backup_path(const char *where, int version, char *buf, size_t len,
                                 sk_err *e)
{
    int n = snprintf(buf, len, "%s.v%d.bak", where, version);

    if (n < 0 || (size_t)n >= len)
        return sk_err_set(e, SK_EINPUT, "ledger %s: path too long", where);
    return SK_OK;
}

int ledger_backup(ledger *l, const char *dest, sk_err *e)
{
    if (l->drv->backup == NULL)
        return sk_err_set(e, SK_ESTATE, "ledger %s is a shared %s ledger: back it up with its "
                          "database's tools (pg_dump; docs/ledger.md, \"Backups\")", l->where,
                          l->drv->name);
    return l->drv->backup(l->db, dest, false, e);
}

/* Before a schema change, a copy of the ledger as it was: a migration is the one write that
 * changes every table at once. Taken outside the migration's transaction (which the copy
 * would wait for); a second process copying meanwhile may copy the migrated ledger, so the
 * first copy at a name is kept (keep), never replaced. */
static int backup_before_migrating(ledger *l, sk_err *e)
{
    char dest[PATH_MAX + 32];
    int version = 0, ret;

    if (l->drv->backup == NULL)
        return SK_OK;
    if ((ret = l->drv->version_get(l->db, &version, e)) != SK_OK)
        return ret;
    if (version == 0 || version >= (int)ledger_migrations_count())
        return SK_OK;
    if ((ret = ledger_migration_backup_path(l->where, version, dest, sizeof(dest), e)) != SK_OK ||
        (ret = l->drv->backup(l->db, dest, true, e)) != SK_OK)
        return sk_err_wrap(e, "before migrating from schema version %d (nothing migrated)",
                           version);
    return SK_OK;
}

static int migrate(ledger *l, enum open_mode mode, int *from, sk_err *e)
{
    size_t latest = ledger_migrations_count();
    int version = 0, ret;

    if ((ret = backup_before_migrating(l, e)) != SK_OK)
        return ret;

    /* One migrator at a time, across every station of a shared ledger; two processes
     * opening a new SQLite ledger at once do not both create it. */
    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, "migrating", e)) != SK_OK)
        return ret;
    if ((ret = l->drv->lock(l->db, "sealkey:migrate", "migrating", e)) != SK_OK ||
        (ret = l->drv->version_get(l->db, &version, e)) != SK_OK)
        goto out;
    *from = version;
    if (version > (int)latest) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: schema version %d is newer than this "
                         "sealkey knows (%zu)", l->where, version, latest);
        goto out;
    }
    if (mode == OPEN_INIT && version > 0) {
        ret = sk_err_set(e, SK_ESTATE, "ledger %s already exists (schema version %d); use "
                         "sealkey ledger migrate", l->where, version);
        goto out;
    }
    for (size_t i = (size_t)version; i < latest; i++) {
        char what[48];
        snprintf(what, sizeof(what), "migration %zu", i + 1);
        if ((ret = l->drv->script(l->db, ledger_migration_sql(i, l->drv->migrations), what,
                                  e)) != SK_OK ||
            (ret = l->drv->version_set(l->db, (int)i + 1, e)) != SK_OK)
            goto out;
    }
out:
    return ledger_tx_end(l, ret, e);
}

/* Stations never migrate a shared ledger implicitly: one station upgraded early must not
 * change the tables under the others. */
static int check_shared_schema(ledger *l, int *from, sk_err *e)
{
    int version = 0, latest = ledger_schema_latest();
    int ret = l->drv->version_get(l->db, &version, e);

    if (ret != SK_OK)
        return ret;
    *from = version;
    if (version == 0)
        return sk_err_set(e, SK_ESTATE, "ledger %s has no sealkey schema; create it with "
                          "sealkey ledger init", l->where);
    if (version < latest)
        return sk_err_set(e, SK_ESTATE, "ledger %s: schema version %d, this sealkey needs %d; "
                          "run sealkey ledger migrate", l->where, version, latest);
    if (version > latest)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: schema version %d is newer than this "
                          "sealkey knows (%d)", l->where, version, latest);
    return SK_OK;
}

static int open_mode(const char *where, enum open_mode mode, int *from, ledger **out, sk_err *e)
{
    ledger *l = NULL;
    int ret;

    *out = NULL;
    /* Any other scheme is a mistake, not a file name to create. */
    if (!ledger_is_shared(where) && strstr(where, "://") != NULL)
        return sk_err_set(e, SK_EINPUT, "ledger %s: unknown scheme; a shared ledger is "
                          "postgresql://..., anything else a SQLite file", where);
    if ((ret = ledger_connect(where, ledger_is_shared(where) ? &ledger_pg_driver
                                                             : &ledger_sqlite_driver,
                              "ledger", &l, e)) != SK_OK)
        return ret;
    if (mode == OPEN_USE && l->drv->shared)
        ret = check_shared_schema(l, from, e);
    else
        ret = migrate(l, mode, from, e);
    if (ret != SK_OK) {
        ledger_free(l);
        return ret;
    }
    *out = l;
    return SK_OK;
}

int ledger_open(const char *where, ledger **out, sk_err *e)
{
    int from = 0;

    return open_mode(where, OPEN_USE, &from, out, e);
}

int ledger_init(const char *where, int *version, sk_err *e)
{
    ledger *l = NULL;
    int from = 0;
    int ret = open_mode(where, OPEN_INIT, &from, &l, e);

    if (ret == SK_OK)
        ret = ledger_schema_version(l, version, e);
    ledger_free(l);
    return ret;
}

int ledger_migrate(const char *where, int *from, int *to, sk_err *e)
{
    ledger *l = NULL;
    int ret = open_mode(where, OPEN_MIGRATE, from, &l, e);

    if (ret == SK_OK)
        ret = ledger_schema_version(l, to, e);
    ledger_free(l);
    return ret;
}

int ledger_schema_latest(void)
{
    return (int)ledger_migrations_count();
}

int ledger_schema_version(ledger *l, int *version, sk_err *e)
{
    return l->drv->version_get(l->db, version, e);
}

const char *ledger_backend_name(const ledger *l)
{
    return l->drv->name;
}

void ledger_free(ledger *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < LEDGER_MAX_CLAIMS; i++)
        if (l->claims[i].hold != NULL)
            l->drv->unclaim(l->db, l->claims[i].hold);
    l->drv->close(l->db);
    free(l);
}

int ledger_claim(ledger *l, const char *order_number, bool *got, sk_err *e)
{
    struct ledger_claim *slot = NULL;
    int ret;

    *got = false;
    for (size_t i = 0; i < LEDGER_MAX_CLAIMS && slot == NULL; i++)
        if (l->claims[i].hold == NULL)
            slot = &l->claims[i];
    if (slot == NULL || strlen(order_number) >= sizeof(slot->order))
        return sk_err_set(e, SK_EINTERNAL, "ledger %s: cannot claim order '%s'", l->where,
                          order_number);
    if ((ret = l->drv->claim(l->db, order_number, &slot->hold, got, e)) != SK_OK || !*got)
        return ret;
    snprintf(slot->order, sizeof(slot->order), "%s", order_number);
    return SK_OK;
}

void ledger_release(ledger *l, const char *order_number)
{
    for (size_t i = 0; i < LEDGER_MAX_CLAIMS; i++) {
        if (l->claims[i].hold != NULL && strcmp(l->claims[i].order, order_number) == 0) {
            l->drv->unclaim(l->db, l->claims[i].hold);
            l->claims[i].hold = NULL;
        }
    }
}
