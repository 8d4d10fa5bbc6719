/* What several commands do with a station: read its secrets, load its modules and CA. */
#ifndef SK_CLI_STATION_H
#define SK_CLI_STATION_H

#include <stdbool.h>
#include <stddef.h>

#include "issuer/ca/ca.h"
#include "issuer/issuance/issue_env.h"
#include "issuer/records/ledger.h"
#include "issuer/station/station.h"
#include "pkcs11/tok.h"
#include "seal/sealmaker.h"
#include "util/sk_secret.h"

/* The secrets a command holds, together in one locked allocation (util/sk_secmem.h) rather
 * than in stack arrays: kept out of swap and core dumps, wiped by cli_secrets_free. */
typedef struct cli_secrets {
    char so_pin[SK_SECRET_MAX];
    char ca_secret[SK_SECRET_MAX]; /* CA passphrase or CA HSM PIN */
    char user_pin[SK_SECRET_MAX];  /* a chosen or a random new user PIN */
} cli_secrets;

int cli_secrets_new(cli_secrets **s, sk_err *e);
void cli_secrets_free(cli_secrets *s);

/* Read a secret from the source spec (command-line override if given, else the config's),
 * relative files against the station directory. */
int cli_station_secret(const station_config *st, const char *override, const char *configured,
                       const char *what, bool confirm, char *buf, size_t len, sk_err *e);

/* The CA passphrase, or the CA HSM PIN when the CA key is on an HSM (ca.key_uri): from
 * override (--ca-pass), else ca.passphrase. new_secret: a new CA's passphrase, asked twice at
 * a prompt. The one way every command reads it. */
int cli_ca_secret(const station_config *st, const char *override, bool new_secret, char *buf,
                  size_t len, sk_err *e);

/* The two secrets every issuance needs: the SO PIN (pin_policy.so_pin) and the CA secret
 * (cli_ca_secret with ca_pass_override). On failure both are wiped. */
int cli_issue_secrets(const station_config *st, const char *ca_pass_override, char *so_pin,
                      size_t so_pin_len, char *ca_secret, size_t ca_secret_len, sk_err *e);

/* Open the station's ledger: issue_ledger_open. */
int cli_ledger_open(const station_config *st, ledger **l, sk_err *e);

/* Everything needed to use the station's CA (issuer/issuance/issue_env.h). */
typedef issue_ca_env cli_ca_env;

/* Load the modules (tokens if want_tokens) and open the CA and its seal maker with the
 * secret: issue_ca_open. */
int cli_ca_env_open(const station_config *st, bool want_tokens, const char *ca_secret,
                    cli_ca_env *env, sk_err *e);
void cli_ca_env_close(cli_ca_env *env);

/* Load only the HSM module for the CA key, if the station has one (for ca init). */
int cli_ca_hsm_open(const station_config *st, tok_module **hsm, sk_err *e);

#endif
