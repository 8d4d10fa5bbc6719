/* What an SKF station's issuance opens besides the CA: the vendor's SKF library, the device
 * authentication key, and the key management centre for dual certificates (docs/skf.md,
 * "Pointing a station at a vendor library"; docs/kmc.md). */
#include <string.h>

#include "issuer/issuance/issue_env.h"
#include "issuer/kmc/kmc.h"
#include "util/sk_secmem.h"
#include "util/sk_secret.h"

/* One secret from a station.json source into locked memory (*out, SK_SECRET_MAX bytes). */
static int read_secret(const station_config *st, const char *spec, const char *what, char **out,
                       sk_err *e)
{
    sk_secret_src src;
    int ret;

    *out = NULL;
    if ((ret = sk_secret_src_parse(spec, what, &src, e)) != SK_OK ||
        (ret = sk_secmem_alloc(SK_SECRET_MAX, (void **)out, e)) != SK_OK)
        return ret;
    if ((ret = sk_secret_read(&src, st->dir, what, false, *out, SK_SECRET_MAX, e)) != SK_OK) {
        sk_secmem_free(*out, SK_SECRET_MAX);
        *out = NULL;
    }
    return ret;
}

int issue_skf_open(const station_config *st, issue_ca_env *env, sk_err *e)
{
    char *kmc_secret = NULL;
    char dir[4096];
    int ret;

    if ((ret = skf_lib_open(st->skf_library, &env->skf, e)) != SK_OK) {
        sk_err_wrap(e, "station.json: skf_library");
        goto out;
    }
    if ((ret = read_secret(st, st->skf_auth_key, "SKF device authentication key (skf_auth_key)",
                           &env->skf_auth_key, e)) != SK_OK)
        goto out;
    /* GM/T 0016 8.2.3: the device key is an SM4 key, 16 bytes. */
    if (strlen(env->skf_auth_key) != 16) {
        ret = sk_err_set(e, SK_EINPUT, "station.json: skf_auth_key: the device authentication "
                         "key has %zu bytes; an SM4 key has 16", strlen(env->skf_auth_key));
        goto out;
    }
    if (st->kmc_dir != NULL &&
        ((ret = read_secret(st, st->kmc_secret, "KMC escrow secret (kmc.escrow_secret)",
                            &kmc_secret, e)) != SK_OK ||
         (ret = station_path(st, st->kmc_dir, dir, sizeof(dir), e)) != SK_OK ||
         (ret = kmc_standin_open(dir, kmc_secret, &env->kmc, e)) != SK_OK))
        goto out;
out:
    sk_secmem_free(kmc_secret, SK_SECRET_MAX);
    if (ret != SK_OK)
        issue_skf_close(env);
    return ret;
}

void issue_skf_close(issue_ca_env *env)
{
    kmc_free(env->kmc);
    env->kmc = NULL;
    sk_secmem_free(env->skf_auth_key, SK_SECRET_MAX);
    env->skf_auth_key = NULL;
    skf_lib_free(env->skf);
    env->skf = NULL;
}
