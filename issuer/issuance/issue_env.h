/* Opening what an issuance works with, from the station config: the ledger, the token module,
 * the CA and its seal maker; and one issuance with all of them opened and closed around it,
 * as `sealkey issue` and every batch and station worker runs it. */
#ifndef SK_ISSUE_ENV_H
#define SK_ISSUE_ENV_H

#include <stdbool.h>

#include "issuer/ca/ca.h"
#include "issuer/issuance/issue.h"
#include "issuer/records/ledger.h"
#include "issuer/station/station.h"
#include "pkcs11/tok.h"
#include "seal/sealmaker.h"

/* Open the station's ledger (station.json "ledger": a file in the station directory, or a
 * postgresql:// URI). */
int issue_ledger_open(const station_config *st, ledger **l, sk_err *e);

/* Everything needed to use the station's CA. The token module is shared with the CA's HSM
 * when both name the same module file, since one process can initialise a module once. */
typedef struct issue_ca_env {
    tok_module *tokens;   /* the module tokens are issued on (NULL if not asked for) */
    tok_module *hsm;      /* the CA key's module, == tokens when shared, NULL with a key file */
    ca *ca;
    sealmaker *maker;     /* the SM2 seal maker in <station>/ca */
    char seal_root[4096]; /* its root certificate file */
    /* token_api "skf" (issue_env_skf.c): the vendor library, the device authentication key
     * (locked memory) and, with a "kmc" section, the key management centre */
    skf_lib *skf;
    char *skf_auth_key;
    struct kmc *kmc;
} issue_ca_env;

/* For token_api "skf": load skf_library and read skf_auth_key (and open the KMC stand-in of
 * the "kmc" section); issue_skf_close undoes it (issue_ca_close calls it). */
int issue_skf_open(const station_config *st, issue_ca_env *env, sk_err *e);
void issue_skf_close(issue_ca_env *env);

/* Load the modules (the tokens' if want_tokens) and open the CA and its seal maker with the
 * CA secret (passphrase or CA HSM PIN). On failure nothing stays open. */
int issue_ca_open(const station_config *st, bool want_tokens, const char *ca_secret,
                  issue_ca_env *env, sk_err *e);
void issue_ca_close(issue_ca_env *env);

/* The two secrets every issuance needs; the caller holds them in locked memory. */
typedef struct issue_run_secrets {
    const char *so_pin;
    const char *ca_secret;
} issue_run_secrets;

/* One issuance of order o (issue_order) with the CA, the token module and the ledger opened
 * for it and closed after. The CA first, and a CA too close to its end for the order's
 * certificate is refused before a ledger, token or serial is touched. Sets
 * r->not_after_capped. */
int issue_run(const station_config *st, const order *o, const issue_run_secrets *sec,
              const char *operator_name, const issue_opts *opts, issue_result *r, sk_err *e);

/* The token a worker issues onto when its reader stands for the token at uri: NULL (let
 * issue_order find the token by the serial in the ledger, and resume there) when the order's
 * last issuance stopped half-way on the very token now at uri, else uri itself. Opens the
 * ledger and the token module for the look and closes them; any failure just means uri. */
const char *issue_resume_uri(const station_config *st, const order *o, const char *uri);

#endif
