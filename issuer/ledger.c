/* The ledger interface: chooses a backend by the ledger's location and forwards to it. */
#include <stdlib.h>
#include <string.h>

#include "issuer/ledger_backend.h"
#include "issuer/ledger_migrations.h"

struct ledger {
    const struct ledger_ops *ops;
    void *impl;
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

static int open_mode(const char *where, enum ledger_open_mode mode, int *from, ledger **out,
                     sk_err *e)
{
    ledger *l = NULL;
    int ret;

    *out = NULL;
    /* Any other scheme is a mistake, not a file name to create. */
    if (!ledger_is_shared(where) && strstr(where, "://") != NULL)
        return sk_err_set(e, SK_EINPUT, "ledger %s: unknown scheme; a shared ledger is "
                          "postgresql://..., anything else a SQLite file", where);
    if ((l = calloc(1, sizeof(*l))) == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", where);
    l->ops = ledger_is_shared(where) ? &ledger_pg_ops : &ledger_sqlite_ops;
    if ((ret = l->ops->open(where, mode, from, &l->impl, e)) != SK_OK) {
        free(l);
        return ret;
    }
    *out = l;
    return SK_OK;
}

int ledger_open(const char *where, ledger **out, sk_err *e)
{
    int from = 0;

    return open_mode(where, LEDGER_OPEN_USE, &from, out, e);
}

int ledger_init(const char *where, int *version, sk_err *e)
{
    ledger *l = NULL;
    int from = 0;
    int ret = open_mode(where, LEDGER_OPEN_INIT, &from, &l, e);

    if (ret == SK_OK)
        ret = ledger_schema_version(l, version, e);
    ledger_free(l);
    return ret;
}

int ledger_migrate(const char *where, int *from, int *to, sk_err *e)
{
    ledger *l = NULL;
    int ret = open_mode(where, LEDGER_OPEN_MIGRATE, from, &l, e);

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
    return l->ops->schema_version(l->impl, version, e);
}

const char *ledger_backend_name(const ledger *l)
{
    return l->ops->name;
}

int ledger_export(ledger *l, char **json, sk_err *e)
{
    *json = NULL;
    if (l->ops->export_json == NULL)
        return sk_err_set(e, SK_ESTATE, "a %s ledger cannot be exported (use the database's "
                          "own backup tools)", l->ops->name);
    return l->ops->export_json(l->impl, json, e);
}

int ledger_import(ledger *l, const char *json, size_t len, const char *origin,
                  ledger_import_counts *counts, sk_err *e)
{
    memset(counts, 0, sizeof(*counts));
    if (l->ops->import_json == NULL)
        return sk_err_set(e, SK_ESTATE, "a %s ledger takes no imports; import into the shared "
                          "(postgresql://) ledger", l->ops->name);
    return l->ops->import_json(l->impl, json, len, origin, counts, e);
}

void ledger_free(ledger *l)
{
    if (l == NULL)
        return;
    l->ops->free(l->impl);
    free(l);
}

int ledger_latest(ledger *l, const char *order_number, ledger_issuance *out, bool *found,
                  sk_err *e)
{
    return l->ops->latest(l->impl, order_number, out, found, e);
}

int ledger_get(ledger *l, long long id, ledger_issuance *out, bool *found, sk_err *e)
{
    return l->ops->get(l->impl, id, out, found, e);
}

int ledger_live(ledger *l, const char *order_number, ledger_issuance *out, bool *found,
                sk_err *e)
{
    return l->ops->live(l->impl, order_number, out, found, e);
}

int ledger_token_live(ledger *l, const char *token_serial, ledger_issuance *out, bool *found,
                      sk_err *e)
{
    *found = false;
    /* A token that reports no serial cannot be told from another one by the ledger. */
    if (token_serial == NULL || token_serial[0] == '\0')
        return SK_OK;
    return l->ops->token_live(l->impl, token_serial, out, found, e);
}

int ledger_begin(ledger *l, const char *order_number, const char *station_id,
                 const char *operator_name, const char *key_alg, const char *issuer_id,
                 const char *cert_serial, long long reissue_of, long long *id, bool *serial_taken,
                 sk_err *e)
{
    return l->ops->begin(l->impl, order_number, station_id, operator_name, key_alg, issuer_id,
                         cert_serial, reissue_of, id, serial_taken, e);
}

int ledger_step(ledger *l, long long id, iss_step step, const ledger_update *u, sk_err *e)
{
    return l->ops->step(l->impl, id, step, u, e);
}

int ledger_fail(ledger *l, long long id, const char *reason, sk_err *e)
{
    return l->ops->fail(l->impl, id, reason, e);
}

int ledger_list(ledger *l, const char *order_number, ledger_issuance **out, size_t *n, sk_err *e)
{
    return l->ops->list(l->impl, order_number, out, n, e);
}

int ledger_serial_state(ledger *l, const char *issuer_id, const char *cert_serial, char *state,
                        size_t state_len, sk_err *e)
{
    return l->ops->serial_state(l->impl, issuer_id, cert_serial, state, state_len, e);
}

int ledger_cert_pem(ledger *l, long long id, char **pem, sk_err *e)
{
    return l->ops->cert_pem(l->impl, id, pem, e);
}

int ledger_seal_add(ledger *l, long long issuance_id, const char *order_number, const char *kind,
                    const char *es_id, const char *sha256_hex, sk_err *e)
{
    return l->ops->seal_add(l->impl, issuance_id, order_number, kind, es_id, sha256_hex, e);
}

int ledger_seal_list(ledger *l, long long issuance_id, ledger_seal **out, size_t *n, sk_err *e)
{
    return l->ops->seal_list(l->impl, issuance_id, out, n, e);
}

int ledger_set_waybill(ledger *l, const char *order_number, const char *waybill, sk_err *e)
{
    return l->ops->set_waybill(l->impl, order_number, waybill, e);
}

int ledger_revoke(ledger *l, const char *order_number, const char *reason,
                  ledger_issuance **revoked, size_t *n, sk_err *e)
{
    *revoked = NULL;
    *n = 0;
    return l->ops->revoke(l->impl, order_number, reason, revoked, n, e);
}

int ledger_revoked(ledger *l, const char *issuer_id, ledger_issuance **out, size_t *n, sk_err *e)
{
    return l->ops->revoked(l->impl, issuer_id, out, n, e);
}

int ledger_claim(ledger *l, const char *order_number, bool *got, sk_err *e)
{
    return l->ops->claim(l->impl, order_number, got, e);
}

void ledger_release(ledger *l, const char *order_number)
{
    l->ops->release(l->impl, order_number);
}

int ledger_next_crl_number(ledger *l, const char *issuer_id, long long *number, sk_err *e)
{
    return l->ops->next_crl_number(l->impl, issuer_id, number, e);
}

int ledger_audit_append(ledger *l, const char *station, ledger_audit_build_fn build, void *arg,
                        sk_err *e)
{
    if (l->ops->audit_append == NULL)
        return sk_err_set(e, SK_ESTATE, "a %s ledger keeps no audit log", l->ops->name);
    return l->ops->audit_append(l->impl, station, build, arg, e);
}

int ledger_audit_anchor_set(ledger *l, const char *station, unsigned long long seq,
                            const char *hash, sk_err *e)
{
    if (l->ops->audit_anchor_set == NULL)
        return sk_err_set(e, SK_ESTATE, "a %s ledger keeps no audit anchors", l->ops->name);
    return l->ops->audit_anchor_set(l->impl, station, seq, hash, e);
}

int ledger_audit_anchor_get(ledger *l, const char *station, unsigned long long *seq, char *hash,
                            size_t hash_len, bool *found, sk_err *e)
{
    *found = false;
    *seq = 0;
    if (hash_len > 0)
        hash[0] = '\0';
    if (l->ops->audit_anchor_get == NULL)
        return sk_err_set(e, SK_ESTATE, "a %s ledger keeps no audit anchors", l->ops->name);
    return l->ops->audit_anchor_get(l->impl, station, seq, hash, hash_len, found, e);
}

int ledger_serials(ledger *l, ledger_serial **out, size_t *n, sk_err *e)
{
    *out = NULL;
    *n = 0;
    return l->ops->serials(l->impl, out, n, e);
}

int ledger_certs_by_station(ledger *l, ledger_station_certs **out, size_t *n, sk_err *e)
{
    *out = NULL;
    *n = 0;
    return l->ops->certs_by_station(l->impl, out, n, e);
}
