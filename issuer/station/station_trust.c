/* Who could change the station (docs/station.md, "Ownership and modes"): a station that
 * another local user can write is a station that user runs code in, through pkcs11_module,
 * or issues with, through the SO PIN file, the CA or the ledger. station_load refuses it. */
#include "issuer/station/station.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "issuer/records/audit.h"
#include "issuer/records/ledger.h"
#include "util/sk_file.h"
#include "util/sk_secret.h"
#include "util/sk_trust.h"

/* A module named by a bare file name is found by the loader's search path, which the
 * operator's environment and the system own; a path names a file someone may write. */
static int check_module(const char *module, const char *field, sk_err *e)
{
    char what[128];

    if (module == NULL || strchr(module, '/') == NULL)
        return SK_OK;
    snprintf(what, sizeof(what), "station.json: %s", field);
    return sk_trust_path(module, what, SK_TRUST_MAY_BE_ABSENT, NULL, e);
}

/* A file: secret source; its readability is warned about when it is read (cli_station). */
static int check_secret(const station_config *st, const char *spec, const char *field,
                        sk_err *e)
{
    sk_secret_src src;
    char path[4096], what[128];
    int ret;

    if (spec == NULL || (ret = sk_secret_src_parse(spec, field, &src, e)) != SK_OK ||
        src.kind != SK_SECRET_FILE)
        return SK_OK;
    if ((ret = sk_path_join(path, sizeof(path), st->dir, src.arg, e)) != SK_OK)
        return ret;
    snprintf(what, sizeof(what), "station.json: %s file", field);
    return sk_trust_path(path, what, SK_TRUST_MAY_BE_ABSENT, NULL, e);
}

static int check_rel(const station_config *st, const char *rel, const char *what, sk_err *e)
{
    char path[4096];
    int ret = station_path(st, rel, path, sizeof(path), e);

    return ret != SK_OK ? ret : sk_trust_path(path, what, SK_TRUST_MAY_BE_ABSENT, NULL, e);
}

/* ca/ and what it holds: the keys and certificates the station signs with and trusts. */
static int check_ca(const station_config *st, sk_err *e)
{
    char dir[4096], path[4096 + 256];
    DIR *d = NULL;
    struct dirent *de;
    int ret;

    if ((ret = station_path(st, "ca", dir, sizeof(dir), e)) != SK_OK ||
        (ret = sk_trust_path(dir, "CA directory", SK_TRUST_MAY_BE_ABSENT, NULL, e)) != SK_OK)
        return ret;
    if ((d = opendir(dir)) == NULL)
        return SK_OK; /* absent: nothing in it to trust yet */
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if ((ret = sk_trust_path(path, "CA file", SK_TRUST_MAY_BE_ABSENT, NULL, e)) != SK_OK)
            break;
    }
    closedir(d);
    return ret;
}

int station_check_trust(const station_config *st, sk_err *e)
{
    static const char *const ledger_suffixes[] = {"", "-wal", "-shm", "-journal"};
    char rel[4096];
    int ret;

    if ((ret = check_module(st->pkcs11_module, "pkcs11_module", e)) != SK_OK ||
        (ret = check_module(st->ca_pkcs11_module, "ca.pkcs11_module", e)) != SK_OK ||
        (ret = check_module(st->skf_library, "skf_library", e)) != SK_OK ||
        (ret = check_secret(st, st->skf_auth_key, "skf_auth_key", e)) != SK_OK ||
        (ret = check_secret(st, st->kmc_secret, "kmc.escrow_secret", e)) != SK_OK ||
        (ret = check_secret(st, st->so_pin, "pin_policy.so_pin", e)) != SK_OK ||
        (ret = check_secret(st, st->ca_passphrase, "ca.passphrase", e)) != SK_OK ||
        (ret = check_ca(st, e)) != SK_OK ||
        (ret = check_rel(st, AUDIT_LOG_NAME, "audit log", e)) != SK_OK ||
        (ret = check_rel(st, AUDIT_HEAD_NAME, "audit head", e)) != SK_OK)
        return ret;
    if (ledger_is_shared(st->ledger))
        return SK_OK;
    for (size_t i = 0; i < sizeof(ledger_suffixes) / sizeof(ledger_suffixes[0]); i++) {
        if (snprintf(rel, sizeof(rel), "%s%s", st->ledger, ledger_suffixes[i]) >=
            (int)sizeof(rel))
            return sk_err_set(e, SK_EINPUT, "station.json: ledger: path too long");
        if ((ret = check_rel(st, rel, "ledger", e)) != SK_OK)
            return ret;
    }
    return SK_OK;
}
