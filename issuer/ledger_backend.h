/* What a ledger backend provides: the functions of issuer/ledger.h on its own handle.
 * issuer/ledger.c picks the backend from the ledger location and dispatches. */
#ifndef SK_LEDGER_BACKEND_H
#define SK_LEDGER_BACKEND_H

#include "issuer/ledger.h"

struct ledger_ops {
    const char *name;
    int (*open)(const char *where, void **impl, sk_err *e);
    void (*free)(void *impl);
    int (*latest)(void *impl, const char *order_number, ledger_issuance *out, bool *found,
                  sk_err *e);
    int (*begin)(void *impl, const char *order_number, const char *station_id,
                 const char *operator_name, const char *key_alg, const char *issuer_id,
                 const char *cert_serial, long long reissue_of, long long *id, bool *serial_taken,
                 sk_err *e);
    int (*step)(void *impl, long long id, iss_step step, const ledger_update *u, sk_err *e);
    int (*fail)(void *impl, long long id, const char *reason, sk_err *e);
    int (*list)(void *impl, const char *order_number, ledger_issuance **out, size_t *n,
                sk_err *e);
    int (*serial_state)(void *impl, const char *issuer_id, const char *cert_serial, char *state,
                        size_t state_len, sk_err *e);
    int (*cert_pem)(void *impl, long long id, char **pem, sk_err *e);
    int (*seal_add)(void *impl, long long issuance_id, const char *order_number,
                    const char *kind, const char *es_id, const char *sha256_hex, sk_err *e);
    int (*seal_list)(void *impl, long long issuance_id, ledger_seal **out, size_t *n, sk_err *e);
    int (*set_waybill)(void *impl, const char *order_number, const char *waybill, sk_err *e);
    int (*revoke)(void *impl, const char *order_number, const char *reason, sk_err *e);
    int (*revoked)(void *impl, const char *issuer_id, ledger_issuance **out, size_t *n,
                   sk_err *e);
    int (*next_crl_number)(void *impl, const char *issuer_id, long long *number, sk_err *e);
    int (*claim)(void *impl, const char *order_number, bool *got, sk_err *e);
    void (*release)(void *impl, const char *order_number);
};

extern const struct ledger_ops ledger_sqlite_ops;

/* The step with this stored name, or -1. */
int ledger_step_from_name(const char *name);

#endif
