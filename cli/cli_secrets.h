/* The secrets a command reads from the station's sources: the dispatcher's (cli/cli_run.c)
 * SO PIN and CA secret, and issue's new user PIN. */
#ifndef SK_CLI_SECRETS_H
#define SK_CLI_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include "issuer/station/station.h"
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

#endif
