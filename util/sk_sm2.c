/* SM2 signatures with the GM/T 0009 user ID on certificates, CRLs and requests (sk_sm2.h). */
#include "util/sk_sm2.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/obj_mac.h>

int sk_sm2_is_key(const EVP_PKEY *key)
{
    return key != NULL && EVP_PKEY_is_a(key, "SM2");
}

int sk_sm2_sign_ctx(EVP_PKEY *key, EVP_MD_CTX **out, sk_err *e)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int sm2 = sk_sm2_is_key(key);

    *out = NULL;
    if (mctx == NULL ||
        EVP_DigestSignInit(mctx, &pctx, sm2 ? EVP_sm3() : EVP_sha256(), NULL, key) != 1 ||
        (sm2 && EVP_PKEY_CTX_set1_id(pctx, SK_SM2_ID, strlen(SK_SM2_ID)) <= 0)) {
        EVP_MD_CTX_free(mctx);
        return sk_err_ossl(e, SK_ECRYPTO, "cannot set up %s signing", sm2 ? "SM2" : "SHA-256");
    }
    *out = mctx;
    return SK_OK;
}

int sk_x509_sign(X509 *x, EVP_PKEY *key, sk_err *e)
{
    EVP_MD_CTX *mctx = NULL;
    int ret = sk_sm2_sign_ctx(key, &mctx, e);

    if (ret == SK_OK && X509_sign_ctx(x, mctx) <= 0)
        ret = sk_err_ossl(e, SK_ECRYPTO, "signing the certificate");
    EVP_MD_CTX_free(mctx);
    /* The signed certificate is checked the same way it was signed. */
    return ret == SK_OK ? sk_sm2_cert_set_id(x, e) : ret;
}

int sk_crl_sign(X509_CRL *crl, EVP_PKEY *key, sk_err *e)
{
    EVP_MD_CTX *mctx = NULL;
    int ret = sk_sm2_sign_ctx(key, &mctx, e);

    if (ret == SK_OK && X509_CRL_sign_ctx(crl, mctx) <= 0)
        ret = sk_err_ossl(e, SK_ECRYPTO, "signing the CRL");
    EVP_MD_CTX_free(mctx);
    return ret;
}

int sk_req_sign(X509_REQ *req, EVP_PKEY *key, sk_err *e)
{
    EVP_MD_CTX *mctx = NULL;
    int ret = sk_sm2_sign_ctx(key, &mctx, e);

    if (ret == SK_OK && X509_REQ_sign_ctx(req, mctx) <= 0)
        ret = sk_err_ossl(e, SK_ECRYPTO, "signing the certificate request");
    EVP_MD_CTX_free(mctx);
    return ret == SK_OK ? sk_sm2_req_set_id(req, e) : ret;
}

static int id_new(ASN1_OCTET_STRING **out, sk_err *e)
{
    *out = ASN1_OCTET_STRING_new();
    if (*out == NULL ||
        !ASN1_OCTET_STRING_set(*out, (const unsigned char *)SK_SM2_ID, (int)strlen(SK_SM2_ID))) {
        ASN1_OCTET_STRING_free(*out);
        *out = NULL;
        return sk_err_ossl(e, SK_ECRYPTO, "cannot make the SM2 ID");
    }
    return SK_OK;
}

int sk_sm2_cert_set_id(X509 *x, sk_err *e)
{
    ASN1_OCTET_STRING *id = NULL;
    int ret;

    if (X509_get_signature_nid(x) != NID_SM2_with_SM3)
        return SK_OK;
    if ((ret = id_new(&id, e)) != SK_OK)
        return ret;
    X509_set0_distinguishing_id(x, id); /* takes id */
    return SK_OK;
}

int sk_sm2_req_set_id(X509_REQ *req, sk_err *e)
{
    ASN1_OCTET_STRING *id = NULL;
    int ret;

    if (X509_REQ_get_signature_nid(req) != NID_SM2_with_SM3)
        return SK_OK;
    if ((ret = id_new(&id, e)) != SK_OK)
        return ret;
    X509_REQ_set0_distinguishing_id(req, id);
    return SK_OK;
}

int sk_crl_verify(X509_CRL *crl, EVP_PKEY *pub)
{
    const ASN1_BIT_STRING *sig = NULL;
    const X509_ALGOR *alg = NULL;
    unsigned char *tbs = NULL;
    int len, ok = 0;
    sk_err e;

    if (X509_CRL_get_signature_nid(crl) != NID_SM2_with_SM3 || !sk_sm2_is_key(pub)) {
        ok = X509_CRL_verify(crl, pub) == 1;
        goto out;
    }
    X509_CRL_get0_signature(crl, &sig, &alg);
    /* A CRL read from DER re-encodes to the same bytes (OpenSSL keeps no copy we can reach). */
    if (sig == NULL || (len = i2d_re_X509_CRL_tbs(crl, &tbs)) <= 0)
        goto out;
    ok = sk_sm2_verify(pub, tbs, (size_t)len, ASN1_STRING_get0_data(sig),
                       (size_t)ASN1_STRING_length(sig), &e) == SK_OK;
out:
    OPENSSL_free(tbs);
    ERR_clear_error();
    return ok;
}

int sk_sm2_sign(EVP_PKEY *key, const unsigned char *msg, size_t len, unsigned char **sig,
                size_t *sig_len, sk_err *e)
{
    EVP_MD_CTX *mctx = NULL;
    unsigned char *buf = NULL;
    size_t n = 0;
    int ret;

    *sig = NULL;
    *sig_len = 0;
    if (!sk_sm2_is_key(key))
        return sk_err_set(e, SK_ECRYPTO, "the signing key is not an SM2 key");
    if ((ret = sk_sm2_sign_ctx(key, &mctx, e)) != SK_OK)
        goto out;
    if (EVP_DigestSign(mctx, NULL, &n, msg, len) != 1 || (buf = OPENSSL_malloc(n)) == NULL ||
        EVP_DigestSign(mctx, buf, &n, msg, len) != 1) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SM2 signing failed");
        goto out;
    }
    *sig = buf;
    *sig_len = n;
    buf = NULL;
    ret = SK_OK;
out:
    OPENSSL_free(buf);
    EVP_MD_CTX_free(mctx);
    return ret;
}

int sk_sm2_verify(EVP_PKEY *pub, const unsigned char *msg, size_t len, const unsigned char *sig,
                  size_t sig_len, sk_err *e)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ret = SK_ECRYPTO;

    if (!sk_sm2_is_key(pub)) {
        ret = sk_err_set(e, SK_EFAIL, "the public key is not an SM2 key");
        goto out;
    }
    if (mctx == NULL || EVP_DigestVerifyInit(mctx, &pctx, EVP_sm3(), NULL, pub) != 1 ||
        EVP_PKEY_CTX_set1_id(pctx, SK_SM2_ID, strlen(SK_SM2_ID)) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "cannot set up SM2 verification");
        goto out;
    }
    if (EVP_DigestVerify(mctx, sig, sig_len, msg, len) != 1) {
        ERR_clear_error();
        ret = sk_err_set(e, SK_EFAIL, "SM2 signature does not verify");
        goto out;
    }
    ret = SK_OK;
out:
    EVP_MD_CTX_free(mctx);
    return ret;
}
