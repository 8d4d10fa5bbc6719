/* SM2 signing and verifying with the user ID "1234567812345678".
 *
 * OpenSSL 3.0 uses an empty SM2 ID unless told otherwise, while every seal producer and
 * every Chinese CA uses the GM/T 0009 default. The ID enters the Z value hashed before the
 * message, so without it no real seal or SM2 certificate verifies. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "seal/ses.h"
#include "seal/ses_asn1.h"

static int is_sm2(EVP_PKEY *key)
{
    return EVP_PKEY_is_a(key, "SM2");
}

int ses_sm2_sign(EVP_PKEY *key, const unsigned char *tbs, size_t tbs_len, unsigned char **sig,
                 size_t *sig_len, sk_err *e)
{
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    int ret = SK_ECRYPTO;

    *sig = NULL;
    *sig_len = 0;
    if (!is_sm2(key)) {
        ret = sk_err_set(e, SK_ECRYPTO, "seal maker key is not an SM2 key");
        goto out;
    }
    if ((mctx = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit(mctx, &pctx, EVP_sm3(), NULL, key) != 1 ||
        EVP_PKEY_CTX_set1_id(pctx, SES_SM2_ID, strlen(SES_SM2_ID)) <= 0 ||
        EVP_DigestSign(mctx, NULL, &len, tbs, tbs_len) != 1 ||
        (buf = OPENSSL_malloc(len)) == NULL || EVP_DigestSign(mctx, buf, &len, tbs, tbs_len) != 1) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SM2 signing failed");
        goto out;
    }
    *sig = buf;
    *sig_len = len;
    buf = NULL;
    ret = SK_OK;
out:
    OPENSSL_free(buf);
    EVP_MD_CTX_free(mctx); /* frees pctx too */
    return ret;
}

int ses_sm2_verify(EVP_PKEY *key, const EVP_MD *md, const unsigned char *tbs, size_t tbs_len,
                   const unsigned char *sig, size_t sig_len, sk_err *e)
{
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    int ret = SK_ECRYPTO, r;

    if ((mctx = EVP_MD_CTX_new()) == NULL || EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key) != 1 ||
        (is_sm2(key) && EVP_PKEY_CTX_set1_id(pctx, SES_SM2_ID, strlen(SES_SM2_ID)) <= 0)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "cannot set up signature verification");
        goto out;
    }
    r = EVP_DigestVerify(mctx, sig, sig_len, tbs, tbs_len);
    if (r != 1) {
        /* A wrong signature and a malformed one are the same verdict here. */
        ERR_clear_error();
        ret = sk_err_set(e, SK_EFAIL, "signature does not verify with the maker certificate's key");
        goto out;
    }
    ret = SK_OK;
out:
    EVP_MD_CTX_free(mctx);
    return ret;
}

int ses_sm2_cert_set_id(X509 *x, sk_err *e)
{
    ASN1_OCTET_STRING *id = NULL;

    if (X509_get_signature_nid(x) != NID_SM2_with_SM3)
        return SK_OK;
    if ((id = ASN1_OCTET_STRING_new()) == NULL ||
        !ASN1_OCTET_STRING_set(id, (const unsigned char *)SES_SM2_ID, (int)strlen(SES_SM2_ID))) {
        ASN1_OCTET_STRING_free(id);
        return sk_err_ossl(e, SK_ECRYPTO, "cannot set the SM2 ID on a certificate");
    }
    X509_set0_distinguishing_id(x, id); /* takes id */
    return SK_OK;
}

int ses_sm2_sign_cert(X509 *x, EVP_PKEY *key, sk_err *e)
{
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    int ret = SK_ECRYPTO;

    if ((mctx = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit(mctx, &pctx, EVP_sm3(), NULL, key) != 1 ||
        EVP_PKEY_CTX_set1_id(pctx, SES_SM2_ID, strlen(SES_SM2_ID)) <= 0 ||
        X509_sign_ctx(x, mctx) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "cannot sign the certificate with SM2");
        goto out;
    }
    ret = SK_OK;
out:
    EVP_MD_CTX_free(mctx);
    return ret;
}
