#include "cli/cli_secrets.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/sk_secmem.h"
#include "util/sk_secret.h"

int cli_secrets_new(cli_secrets **s, sk_err *e)
{
    return sk_secmem_alloc(sizeof(**s), (void **)s, e);
}

void cli_secrets_free(cli_secrets *s)
{
    sk_secmem_free(s, sizeof(*s));
}

int cli_station_secret(const station_config *st, const char *override, const char *configured,
                       const char *what, bool confirm, char *buf, size_t len, sk_err *e)
{
    sk_secret_src src;
    sk_secret_notice notice;
    int ret;

    ret = sk_secret_src_parse(override != NULL ? override : configured, what, &src, e);
    if (ret == SK_OK)
        ret = sk_secret_read_notice(&src, st->dir, what, confirm, buf, len, &notice, e);
    /* Not refused, since only reading it is at stake, but the operator should know. */
    if (ret == SK_OK && notice.exposed)
        fprintf(stderr,
                "sealkey: warning: %s file %s is readable by group or others (mode %04o); "
                "run chmod go-rwx '%s'\n",
                what, notice.path, notice.mode, notice.path);
    return ret;
}

int cli_ca_secret(const station_config *st, const char *override, bool new_secret, char *buf,
                  size_t len, sk_err *e)
{
    const char *what = st->ca_key_uri != NULL ? "CA HSM PIN"
                       : new_secret          ? "new CA passphrase"
                                             : "CA passphrase";

    /* An HSM's PIN exists already: only a new passphrase is asked twice. */
    return cli_station_secret(st, override, st->ca_passphrase, what,
                              new_secret && st->ca_key_uri == NULL, buf, len, e);
}
