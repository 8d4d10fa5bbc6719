/* The ledger interface: chooses a backend by the ledger's location and forwards to it. */
#include <stdlib.h>
#include <string.h>

#include "issuer/ledger_backend.h"

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

int ledger_open(const char *where, ledger **out, sk_err *e)
{
    ledger *l = calloc(1, sizeof(*l));
    int ret;

    *out = NULL;
    if (l == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", where);
    l->ops = &ledger_sqlite_ops;
    if ((ret = l->ops->open(where, &l->impl, e)) != SK_OK) {
        free(l);
        return ret;
    }
    *out = l;
    return SK_OK;
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

int ledger_revoke(ledger *l, const char *order_number, const char *reason, sk_err *e)
{
    return l->ops->revoke(l->impl, order_number, reason, e);
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
