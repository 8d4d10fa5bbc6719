/* seal sign with a key on an SKF device (issue 15): --key skf:DEVICE/APPLICATION/CONTAINER,
 * the device by the name SKF_EnumDev gives or by its serial, the signing key of the container,
 * the user PIN from req->secret; the vendor library from req->module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer/operations/op_seal_sign.h"
#include "seal/ses_sign.h"
#include "skf/skf.h"
#include "util/sk_file.h"

static int device_sign(void *ctx, const unsigned char *msg, size_t msg_len,
                       const unsigned char digest[SES_DOC_HASH_LEN], unsigned char **sig,
                       size_t *sig_len, sk_err *e)
{
    (void)digest; /* skf_sign makes SM3(Z || msg) itself, for the container's key */
    return skf_sign((skf_con *)ctx, NULL, msg, msg_len, sig, sig_len, e);
}

/* "skf:DEV/APP/CON" into its three parts (each 1..127 bytes, no '/'). */
static int parse_key(const char *key, char dev[128], char app[128], char con[128], sk_err *e)
{
    const char *p = key + 4, *s1 = strchr(p, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;

    if (s1 == NULL || s2 == NULL || strchr(s2 + 1, '/') != NULL || s1 == p || s2 == s1 + 1 ||
        s2[1] == '\0' || s1 - p >= 128 || s2 - s1 - 1 >= 128 || strlen(s2 + 1) >= 128)
        return sk_err_set(e, SK_EINPUT, "key %s: an SKF key is skf:DEVICE/APPLICATION/CONTAINER "
                          "(DEVICE: the device's name or serial)", key);
    snprintf(dev, 128, "%.*s", (int)(s1 - p), p);
    snprintf(app, 128, "%.*s", (int)(s2 - s1 - 1), s1 + 1);
    snprintf(con, 128, "%s", s2 + 1);
    return SK_OK;
}

int op_seal_sign_skf(op_sign *st, sk_err *e)
{
    const op_sign_req *r = st->req;
    char dev[128], app[128], con[128];
    skf_lib *lib = NULL;
    skf_dev *d = NULL;
    skf_app *a = NULL;
    skf_con *c = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    ses_signer signer;
    ses_sign_params p;
    sk_err se;
    int ret;

    memset(&p, 0, sizeof(p));
    if ((ret = parse_key(r->key, dev, app, con, e)) != SK_OK)
        goto out;
    if (r->module == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "key %s: no SKF library given (--module)", r->key);
        goto out;
    }
    if ((ret = skf_lib_open(r->module, &lib, e)) != SK_OK)
        goto out;
    /* By name first, then by serial. */
    if (skf_select(lib, dev, NULL, &d, &se) != SK_OK &&
        (ret = skf_select(lib, NULL, dev, &d, e)) != SK_OK) {
        sk_err_wrap(e, "key %s", r->key);
        goto out;
    }
    if ((ret = skf_app_open(d, app, &a, e)) != SK_OK ||
        (ret = skf_login_user(a, r->secret != NULL ? r->secret : "", e)) != SK_OK ||
        (ret = skf_con_open(a, con, &c, e)) != SK_OK) {
        sk_err_wrap(e, "key %s", r->key);
        goto out;
    }
    p.seal = st->seal;
    p.seal_len = st->seal_len;
    memcpy(p.doc_hash, st->doc_hash, sizeof(p.doc_hash));
    p.property = st->res.property;
    p.time = time(NULL);
    signer.cert = st->cert;
    signer.sign = device_sign;
    signer.ctx = c;
    if ((ret = ses_signature_build(&p, &signer, &sig, &sig_len, e)) != SK_OK) {
        sk_err_wrap(e, "%s", r->doc_path);
        goto out;
    }
    if ((ret = sk_file_create_atomic(r->out_path, sig, sig_len, 0644, e)) != SK_OK)
        goto out;
    ses_time_format(p.time, st->res.time, sizeof(st->res.time));
out:
    OPENSSL_free(sig);
    skf_con_free(c);
    if (a != NULL)
        skf_logout(a, &se);
    skf_app_free(a);
    skf_dev_free(d);
    skf_lib_free(lib);
    return ret;
}
