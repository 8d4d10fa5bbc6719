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

/* The SM2 curve (GM/T 0003.5): a, b and the base point, for Z. */
static const unsigned char sm2_abg[4][32] = {
    {0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
     0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00,
     0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFC},
    {0x28, 0xE9, 0xFA, 0x9E, 0x9D, 0x9F, 0x5E, 0x34, 0x4D, 0x5A, 0x9E,
     0x4B, 0xCF, 0x65, 0x09, 0xA7, 0xF3, 0x97, 0x89, 0xF5, 0x15, 0xAB,
     0x8F, 0x92, 0xDD, 0xBC, 0xBD, 0x41, 0x4D, 0x94, 0x0E, 0x93},
    {0x32, 0xC4, 0xAE, 0x2C, 0x1F, 0x19, 0x81, 0x19, 0x5F, 0x99, 0x04,
     0x46, 0x6A, 0x39, 0xC9, 0x94, 0x8F, 0xE3, 0x0B, 0xBF, 0xF2, 0x66,
     0x0B, 0xE1, 0x71, 0x5A, 0x45, 0x89, 0x33, 0x4C, 0x74, 0xC7},
    {0xBC, 0x37, 0x36, 0xA2, 0xF4, 0xF6, 0x77, 0x9C, 0x59, 0xBD, 0xCE,
     0xE3, 0x6B, 0x69, 0x21, 0x53, 0xD0, 0xA9, 0x87, 0x7C, 0xC6, 0x2A,
     0x47, 0x40, 0x02, 0xDF, 0x32, 0xE5, 0x21, 0x39, 0xF0, 0xA0},
};

int sk_sm2_digest_id(EVP_PKEY *pub, const char *id, const unsigned char *msg, size_t len,
                     unsigned char e_out[32], sk_err *e)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char pt[65], z[32], entl[2];
    size_t pt_len = 0, id_len;
    unsigned int zl = 0, el = 0;
    int ret = SK_ECRYPTO;

    if (id == NULL)
        id = SK_SM2_ID;
    /* ENTL is the ID's length in bits, two bytes. */
    if ((id_len = strlen(id)) > 8191) {
        ret = sk_err_set(e, SK_EINPUT, "SM2 user ID of %zu bytes: at most 8191", id_len);
        goto out;
    }
    entl[0] = (unsigned char)((id_len * 8) >> 8);
    entl[1] = (unsigned char)(id_len * 8);
    if (!sk_sm2_is_key(pub)) {
        ret = sk_err_set(e, SK_ECRYPTO, "the public key is not an SM2 key");
        goto out;
    }
    /* 04 || X || Y: the public point uncompressed (OpenSSL's default for SM2 keys). */
    if (EVP_PKEY_get_octet_string_param(pub, "encoded-pub-key", pt, sizeof(pt), &pt_len) != 1 ||
        pt_len != 65 || pt[0] != 0x04) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "cannot read the SM2 public point");
        goto out;
    }
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sm3(), NULL) != 1 ||
        EVP_DigestUpdate(md, entl, 2) != 1 || EVP_DigestUpdate(md, id, id_len) != 1 ||
        EVP_DigestUpdate(md, sm2_abg, sizeof(sm2_abg)) != 1 ||
        EVP_DigestUpdate(md, pt + 1, 64) != 1 || EVP_DigestFinal_ex(md, z, &zl) != 1 ||
        EVP_DigestInit_ex(md, EVP_sm3(), NULL) != 1 || EVP_DigestUpdate(md, z, zl) != 1 ||
        EVP_DigestUpdate(md, msg, len) != 1 || EVP_DigestFinal_ex(md, e_out, &el) != 1 ||
        el != 32) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SM3 digest failed");
        goto out;
    }
    ret = SK_OK;
out:
    EVP_MD_CTX_free(md);
    return ret;
}

int sk_sm2_digest(EVP_PKEY *pub, const unsigned char *msg, size_t len, unsigned char e_out[32],
                  sk_err *e)
{
    return sk_sm2_digest_id(pub, NULL, msg, len, e_out, e);
}
