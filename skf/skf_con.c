/* Containers: the SM2 signing key generated on the device, signatures over SM3(Z || M),
 * certificate requests signed on the device, certificates, the imported encryption key
 * pair and decryption with it. */
#include "skf/skf_int.h"

#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skf/skf_blob.h"
#include "util/sk_sm2.h"

#define DEV(c) ((c)->app->dev->name)
#define LIB(c) ((c)->app->dev->lib)

static int con_fail(skf_con *c, const char *fn, ULONG rv, sk_err *e)
{
    skf_fail(e, DEV(c), fn, rv);
    return sk_err_wrap(e, "container '%s'", c->name);
}

static int new_con(skf_app *a, const char *name, skf_con **out, sk_err *e)
{
    skf_con *c;
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > 32)
        return sk_err_set(e, SK_EINPUT, "SKF container name '%s' must be 1 to 32 bytes",
                          name != NULL ? name : "");
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    c->app = a;
    snprintf(c->name, sizeof(c->name), "%s", name);
    *out = c;
    return SK_OK;
}

int skf_con_create(skf_app *a, const char *name, skf_con **out, sk_err *e)
{
    skf_con *c = NULL;
    int ret = new_con(a, name, &c, e);
    ULONG rv;
    if (ret != SK_OK)
        return ret;
    rv = a->dev->lib->SKF_CreateContainer(a->h, c->name, &c->h);
    if (rv != SAR_OK) {
        ret = con_fail(c, "SKF_CreateContainer", rv, e);
        free(c);
        return ret;
    }
    *out = c;
    return SK_OK;
}

int skf_con_open(skf_app *a, const char *name, skf_con **out, sk_err *e)
{
    skf_con *c = NULL;
    int ret = new_con(a, name, &c, e);
    ULONG rv;
    if (ret != SK_OK)
        return ret;
    rv = a->dev->lib->SKF_OpenContainer(a->h, c->name, &c->h);
    if (rv != SAR_OK) {
        ret = con_fail(c, "SKF_OpenContainer", rv, e);
        free(c);
        return ret;
    }
    *out = c;
    return SK_OK;
}

void skf_con_free(skf_con *c)
{
    if (c == NULL)
        return;
    if (c->h != NULL)
        LIB(c)->SKF_CloseContainer(c->h);
    free(c);
}

int skf_con_delete(skf_app *a, const char *name, sk_err *e)
{
    char buf[33];
    ULONG rv;
    if (snprintf(buf, sizeof(buf), "%s", name) >= (int)sizeof(buf))
        return sk_err_set(e, SK_EINPUT, "SKF container name '%s' is longer than 32 bytes", name);
    rv = a->dev->lib->SKF_DeleteContainer(a->h, buf);
    return rv == SAR_OK ? SK_OK : skf_fail(e, a->dev->name, "SKF_DeleteContainer", rv);
}

int skf_con_list(skf_app *a, char ***names, size_t *n, sk_err *e)
{
    ULONG size = 0, rv = a->dev->lib->SKF_EnumContainer(a->h, NULL, &size);
    char *buf;
    int ret;
    if (rv != SAR_OK)
        return skf_fail(e, a->dev->name, "SKF_EnumContainer", rv);
    if (size > 1024 * 1024)
        return sk_err_set(e, SK_ETOKEN, "SKF_EnumContainer: implausible size %u", (unsigned)size);
    if ((buf = calloc(1, (size_t)size + 2)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    rv = a->dev->lib->SKF_EnumContainer(a->h, buf, &size);
    ret = rv != SAR_OK ? skf_fail(e, a->dev->name, "SKF_EnumContainer", rv)
                       : skf_split_names(buf, size, names, n, e);
    free(buf);
    return ret;
}

int skf_gen_sign_keypair(skf_con *c, EVP_PKEY **pub, sk_err *e)
{
    ECCPUBLICKEYBLOB blob;
    ULONG rv;
    memset(&blob, 0, sizeof(blob));
    rv = LIB(c)->SKF_GenECCKeyPair(c->h, SGD_SM2_1, &blob);
    if (rv != SAR_OK)
        return con_fail(c, "SKF_GenECCKeyPair", rv, e);
    if (skf_blob_to_pkey(&blob, pub) != 0)
        return sk_err_ossl(e, SK_ETOKEN,
                           "SKF device '%s' container '%s': SKF_GenECCKeyPair returned a "
                           "public key that is not an SM2 point",
                           DEV(c), c->name);
    return SK_OK;
}

int skf_get_public_key(skf_con *c, bool sign, EVP_PKEY **pub, sk_err *e)
{
    ECCPUBLICKEYBLOB blob;
    ULONG len = sizeof(blob), rv;
    memset(&blob, 0, sizeof(blob));
    rv = LIB(c)->SKF_ExportPublicKey(c->h, sign ? TRUE : FALSE, (BYTE *)&blob, &len);
    if (rv != SAR_OK)
        return con_fail(c, "SKF_ExportPublicKey", rv, e);
    if (len != sizeof(blob) || skf_blob_to_pkey(&blob, pub) != 0)
        return sk_err_ossl(e, SK_ETOKEN,
                           "SKF device '%s' container '%s': SKF_ExportPublicKey (%s) gave no "
                           "SM2 public key blob",
                           DEV(c), c->name, sign ? "signing" : "encryption");
    return SK_OK;
}

int skf_sm2_digest(EVP_PKEY *pub, const char *id, const unsigned char *msg, size_t msg_len,
                   unsigned char e[32])
{
    sk_err ignored; /* the callers name what failed, from OpenSSL's queue */

    return sk_sm2_digest_id(pub, id != NULL ? id : SKF_SM2_DEFAULT_ID, msg, msg_len, e,
                            &ignored) == SK_OK ? 0 : -1;
}

/* Check a DER SM2 signature over msg with pub and id, as any verifier will. */
static int verify_sm2(EVP_PKEY *pub, const char *id, const unsigned char *msg, size_t msg_len,
                      const unsigned char *sig, size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
    int ok = 0;
    if (md != NULL && pctx != NULL &&
        EVP_PKEY_CTX_set1_id(pctx, id, strlen(id)) > 0) {
        EVP_MD_CTX_set_pkey_ctx(md, pctx);
        ok = EVP_DigestVerifyInit(md, NULL, EVP_sm3(), NULL, pub) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1;
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_CTX_free(pctx); /* EVP_MD_CTX_set_pkey_ctx does not take ownership */
    return ok;
}

int skf_sign(skf_con *c, const char *id, const unsigned char *msg, size_t msg_len,
             unsigned char **sig, size_t *sig_len, sk_err *e)
{
    EVP_PKEY *pub = NULL;
    unsigned char dgst[32], *der = NULL;
    size_t der_len = 0;
    ECCSIGNATUREBLOB blob;
    ULONG rv;
    int ret;
    if (id == NULL)
        id = SKF_SM2_DEFAULT_ID;
    if ((ret = skf_get_public_key(c, true, &pub, e)) != SK_OK)
        return ret;
    if (skf_sm2_digest(pub, id, msg, msg_len, dgst) != 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SKF container '%s': SM3(Z || M)", c->name);
        goto out;
    }
    memset(&blob, 0, sizeof(blob));
    rv = LIB(c)->SKF_ECCSignData(c->h, dgst, sizeof(dgst), &blob);
    if (rv != SAR_OK) {
        ret = con_fail(c, "SKF_ECCSignData", rv, e);
        goto out;
    }
    if (skf_sig_to_der(&blob, &der, &der_len) != 0) {
        ret = sk_err_ossl(e, SK_ETOKEN, "SKF device '%s' container '%s': SKF_ECCSignData "
                                        "returned an unusable signature blob",
                          DEV(c), c->name);
        goto out;
    }
    /* A device that signs wrongly (wrong key, wrong Z convention) is caught here, not by
     * whoever verifies the certificate request or the sealed document later. */
    if (!verify_sm2(pub, id, msg, msg_len, der, der_len)) {
        ret = sk_err_ossl(e, SK_ETOKEN, "SKF device '%s' container '%s': the signature from "
                                        "SKF_ECCSignData does not verify with the container's "
                                        "public key",
                          DEV(c), c->name);
        goto out;
    }
    *sig = der;
    *sig_len = der_len;
    der = NULL;
    ret = SK_OK;
out:
    OPENSSL_free(der);
    EVP_PKEY_free(pub);
    return ret;
}

int skf_sign_req(skf_con *c, X509_REQ *req, sk_err *e)
{
    EVP_PKEY *pub = NULL;
    unsigned char *tbs = NULL, *sig = NULL;
    size_t sig_len = 0;
    X509_ALGOR *alg = NULL;
    ASN1_BIT_STRING *bits = NULL;
    int tbs_len, ret;
    if ((ret = skf_get_public_key(c, true, &pub, e)) != SK_OK)
        return ret;
    if (X509_REQ_get0_pubkey(req) == NULL || EVP_PKEY_eq(X509_REQ_get0_pubkey(req), pub) != 1) {
        ret = sk_err_set(e, SK_EINTERNAL, "SKF container '%s': the request's public key is "
                                          "not the container's signing key",
                         c->name);
        goto out;
    }
    tbs_len = i2d_re_X509_REQ_tbs(req, &tbs);
    if (tbs_len <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "encoding the certification request");
        goto out;
    }
    if ((ret = skf_sign(c, NULL, tbs, (size_t)tbs_len, &sig, &sig_len, e)) != SK_OK)
        goto out;
    /* SM2-with-SM3 (1.2.156.10197.1.501) with absent parameters, as GM/T 0015 has it. */
    alg = X509_ALGOR_new();
    bits = ASN1_BIT_STRING_new();
    if (alg == NULL || bits == NULL ||
        !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_SM2_with_SM3), V_ASN1_UNDEF, NULL) ||
        !ASN1_BIT_STRING_set(bits, sig, (int)sig_len) || !X509_REQ_set1_signature_algo(req, alg)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "setting the request's SM2 signature");
        goto out;
    }
    /* Say "no unused bits" explicitly, as ASN1_item_sign does: otherwise the encoder
     * derives them from the trailing zero bits of the last byte. */
    bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    X509_REQ_set0_signature(req, bits);
    bits = NULL;
    ret = SK_OK;
out:
    ASN1_BIT_STRING_free(bits);
    X509_ALGOR_free(alg);
    OPENSSL_free(sig);
    OPENSSL_free(tbs);
    EVP_PKEY_free(pub);
    return ret;
}

int skf_import_cert(skf_con *c, bool sign, X509 *cert, sk_err *e)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    ULONG rv;
    if (len <= 0)
        return sk_err_ossl(e, SK_ECRYPTO, "encoding the certificate for container '%s'",
                           c->name);
    rv = LIB(c)->SKF_ImportCertificate(c->h, sign ? TRUE : FALSE, der, (ULONG)len);
    OPENSSL_free(der);
    return rv == SAR_OK ? SK_OK : con_fail(c, "SKF_ImportCertificate", rv, e);
}

int skf_export_cert(skf_con *c, bool sign, X509 **out, sk_err *e)
{
    ULONG len = 0, rv = LIB(c)->SKF_ExportCertificate(c->h, sign ? TRUE : FALSE, NULL, &len);
    unsigned char *der = NULL;
    const unsigned char *p;
    X509 *x = NULL;
    ULONG cap;
    int ret;
    if (rv != SAR_OK)
        return con_fail(c, "SKF_ExportCertificate", rv, e);
    if (len == 0 || len > 64 * 1024)
        return sk_err_set(e, SK_ETOKEN, "SKF device '%s' container '%s': certificate of %u "
                                        "bytes",
                          DEV(c), c->name, (unsigned)len);
    if ((der = malloc(len)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    cap = len;
    rv = LIB(c)->SKF_ExportCertificate(c->h, sign ? TRUE : FALSE, der, &len);
    if (rv != SAR_OK) {
        ret = con_fail(c, "SKF_ExportCertificate", rv, e);
        goto out;
    }
    /* The vendor library's word on what it wrote is all the DER parser would go by. */
    if (len > cap) {
        ret = sk_err_set(e, SK_ETOKEN, "SKF device '%s' container '%s': SKF_ExportCertificate "
                                       "says it wrote %u bytes into a buffer of %u",
                         DEV(c), c->name, (unsigned)len, (unsigned)cap);
        goto out;
    }
    p = der;
    x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL || p != der + len) {
        X509_free(x);
        ret = sk_err_ossl(e, SK_ETOKEN, "SKF device '%s' container '%s': the %s certificate "
                                        "is not one DER certificate",
                          DEV(c), c->name, sign ? "signing" : "encryption");
        goto out;
    }
    *out = x;
    ret = SK_OK;
out:
    free(der);
    return ret;
}

int skf_import_enveloped(skf_con *c, const ENVELOPEDKEYBLOB *env, size_t env_len, sk_err *e)
{
    EVP_PKEY *got = NULL;
    ECCPUBLICKEYBLOB back;
    ULONG rv;
    int ret;
    if (env_len < sizeof(ENVELOPEDKEYBLOB) ||
        env->ECCCipherBlob.CipherLen > env_len - (sizeof(ENVELOPEDKEYBLOB) - 1))
        return sk_err_set(e, SK_EINPUT, "SKF container '%s': enveloped key blob of %zu bytes "
                                        "is shorter than its CipherLen %u says",
                          c->name, env_len, (unsigned)env->ECCCipherBlob.CipherLen);
    rv = LIB(c)->SKF_ImportECCKeyPair(c->h, (PENVELOPEDKEYBLOB)env);
    if (rv != SAR_OK)
        return con_fail(c, "SKF_ImportECCKeyPair", rv, e);
    if ((ret = skf_get_public_key(c, false, &got, e)) != SK_OK)
        return ret;
    if (skf_blob_from_pkey(got, &back) != 0 ||
        CRYPTO_memcmp(back.XCoordinate, env->PubKey.XCoordinate, sizeof(back.XCoordinate)) ||
        CRYPTO_memcmp(back.YCoordinate, env->PubKey.YCoordinate, sizeof(back.YCoordinate)))
        ret = sk_err_set(e, SK_ETOKEN, "SKF device '%s' container '%s': the encryption key "
                                       "read back is not the one imported",
                         DEV(c), c->name);
    EVP_PKEY_free(got);
    return ret;
}

int skf_decrypt_session(skf_con *c, const ECCCIPHERBLOB *wrapped, size_t wrapped_len,
                        const unsigned char *in, size_t in_len, unsigned char **out,
                        size_t *out_len, sk_err *e)
{
    HANDLE key = NULL;
    BLOCKCIPHERPARAM param;
    unsigned char *buf = NULL;
    ULONG len, rv;
    int ret;
    if (wrapped_len > 0xffffffffu || in_len > 0xffffffffu || in_len == 0)
        return sk_err_set(e, SK_EINPUT, "SKF container '%s': bad input sizes to decrypt",
                          c->name);
    rv = LIB(c)->SKF_ImportSessionKey(c->h, SGD_SMS4_ECB, (BYTE *)wrapped, (ULONG)wrapped_len,
                                      &key);
    if (rv != SAR_OK)
        return con_fail(c, "SKF_ImportSessionKey", rv, e);
    memset(&param, 0, sizeof(param));
    param.PaddingType = 1;
    rv = LIB(c)->SKF_DecryptInit(key, param);
    if (rv != SAR_OK) {
        ret = con_fail(c, "SKF_DecryptInit", rv, e);
        goto out;
    }
    len = (ULONG)in_len;
    if ((buf = malloc(in_len)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    rv = LIB(c)->SKF_Decrypt(key, (BYTE *)in, (ULONG)in_len, buf, &len);
    if (rv != SAR_OK) {
        ret = con_fail(c, "SKF_Decrypt", rv, e);
        goto out;
    }
    /* The caller reads *out_len bytes: never more than the buffer holds. */
    if (len > in_len) {
        ret = sk_err_set(e, SK_ETOKEN, "SKF device '%s' container '%s': SKF_Decrypt says it "
                                       "wrote %u bytes into a buffer of %zu",
                         DEV(c), c->name, (unsigned)len, in_len);
        goto out;
    }
    *out = buf;
    *out_len = len;
    buf = NULL;
    ret = SK_OK;
out:
    if (buf != NULL)
        OPENSSL_cleanse(buf, in_len); /* plaintext, or part of it */
    free(buf);
    if (key != NULL)
        LIB(c)->SKF_CloseHandle(key);
    return ret;
}
