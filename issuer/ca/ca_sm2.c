/* SM2 organisation certificates (GM/T 0015): the checks an SM2 project needs beside the common
 * profile of ca_profile.c, and issuing from a CSR made on the token (the SKF path signs the
 * CSR on the device, so the CA sees the request, not the key). */
#include <openssl/err.h>
#include <openssl/x509.h>

#include "issuer/ca/ca.h"
#include "util/sk_sm2.h"

int ca_check_project_alg(const ca *c, const station_project *p, sk_err *e)
{
    /* GM/T 0015: SM2 certificates come from an SM2 CA, signed SM2-with-SM3. */
    if (sk_keyalg_is_sm2(p->key_alg) && !sk_sm2_is_key(X509_get0_pubkey(ca_issuing_cert(c))))
        return sk_err_set(e, SK_EINPUT,
                          "project %s: key_algorithm sm2 needs an SM2 issuing CA, and this "
                          "station's CA is not SM2 (make one with sealkey ca init --key-alg sm2 "
                          "on a new station)",
                          p->code);
    return SK_OK;
}

/* Does the subject key have the project's algorithm? */
static int key_fits(const station_project *p, EVP_PKEY *key, sk_err *e)
{
    int sm2 = sk_sm2_is_key(key);

    if (sk_keyalg_is_sm2(p->key_alg) != sm2)
        return sk_err_set(e, SK_EINPUT, "project %s: key_algorithm is %s, the request's key %s",
                          p->code, sk_keyalg_name(p->key_alg), sm2 ? "is SM2" : "is not SM2");
    return SK_OK;
}

/* The request's key, its proof of possession, and that it fits the project and the CA. */
static int check_req(ca *c, const station_project *p, const order *o, X509_REQ *req, EVP_PKEY **key,
                     sk_err *e)
{
    int ret;

    *key = X509_REQ_get0_pubkey(req);
    if (*key == NULL) {
        ERR_clear_error();
        return sk_err_set(e, SK_EINPUT,
                          "order %s: the certificate request has no readable "
                          "public key",
                          o->number);
    }
    /* Proof of possession: the request is signed by the key it carries (SM2: with the ID). */
    if ((ret = sk_sm2_req_set_id(req, e)) != SK_OK)
        return ret;
    if (X509_REQ_verify(req, *key) != 1) {
        ERR_clear_error();
        return sk_err_set(e, SK_EFAIL,
                          "order %s: the certificate request's signature does not verify with "
                          "its own public key%s",
                          o->number,
                          sk_sm2_is_key(*key) ? " (SM2-with-SM3, SM2 ID " SK_SM2_ID ")" : "");
    }
    if ((ret = key_fits(p, *key, e)) != SK_OK || (ret = ca_check_project_alg(c, p, e)) != SK_OK)
        return sk_err_wrap(e, "order %s", o->number);
    return SK_OK;
}

int ca_issue_org_cert_csr(ca *c, const station_project *p, const order *o, X509_REQ *req,
                          const char *serial_hex, time_t not_before, X509 **out, sk_err *e)
{
    EVP_PKEY *key = NULL;
    int ret;

    *out = NULL;
    if ((ret = check_req(c, p, o, req, &key, e)) != SK_OK)
        return ret;
    /* The subject comes from the order and the profile, never from the request. */
    return ca_issue_org_cert(c, p, o, key, serial_hex, not_before, out, e);
}

int ca_issue_org_enc_cert_csr(ca *c, const station_project *p, const order *o, X509_REQ *req,
                              const char *serial_hex, time_t not_before, X509 **out, sk_err *e)
{
    EVP_PKEY *key = NULL;
    int ret;

    *out = NULL;
    if ((ret = check_req(c, p, o, req, &key, e)) != SK_OK)
        return ret;
    if (!sk_keyalg_is_sm2(p->key_alg))
        return sk_err_set(e, SK_EINPUT,
                          "order %s: project %s: encryption certificates are for "
                          "key_algorithm sm2 (dual certificates)",
                          o->number, p->code);
    /* GM/T 0015: the encryption certificate's key only enciphers keys and data. */
    return ca_issue_org_cert_ku(c, p, o, key, serial_hex, not_before,
                                "critical,keyEncipherment,dataEncipherment", out, e);
}
