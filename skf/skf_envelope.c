/* Making an ENVELOPEDKEYBLOB (GM/T 0016 6.4.10) without a device: what the key management
 * centre does for a token's encryption key pair. */
#include "skf/skf_int.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "skf/skf_blob.h"

int skf_envelope_make(EVP_PKEY *enc_key, EVP_PKEY *sign_pub, ENVELOPEDKEYBLOB **out,
                      size_t *out_len, sk_err *e)
{
    /* The vendor layout (docs/skf.md, "The envelope"): cbEncryptedPriKey is 32 zero bytes,
     * then SM4-ECB of the 32-byte key, as the KMC stand-in and vendors' samples write it. */
    unsigned char kek[16], field[64], *ct = NULL;
    size_t ct_len = 0, blob_len = 0, len = 0;
    ECCCIPHERBLOB *blob = NULL;
    ENVELOPEDKEYBLOB *env = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_CIPHER_CTX *cctx = NULL;
    int outl = 0, ret = SK_ECRYPTO;

    memset(field, 0, sizeof(field));
    if (!EVP_PKEY_is_a(enc_key, "SM2") || !EVP_PKEY_is_a(sign_pub, "SM2")) {
        ret = sk_err_set(e, SK_EINPUT, "enveloped key: both keys must be SM2 keys");
        goto out;
    }
    if (skf_pkey_priv(enc_key, field + 32) != 0) {
        ret = sk_err_ossl(e, SK_EINPUT, "enveloped key: the encryption key has no private half");
        goto out;
    }
    if (RAND_priv_bytes(kek, sizeof(kek)) != 1) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "enveloped key: random SM4 key");
        goto out;
    }
    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, sign_pub, NULL);
    if (pctx == NULL || EVP_PKEY_encrypt_init(pctx) <= 0 ||
        EVP_PKEY_encrypt(pctx, NULL, &ct_len, kek, sizeof(kek)) <= 0 ||
        (ct = OPENSSL_malloc(ct_len)) == NULL ||
        EVP_PKEY_encrypt(pctx, ct, &ct_len, kek, sizeof(kek)) <= 0 ||
        skf_cipher_from_der(ct, ct_len, &blob, &blob_len) != 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "enveloped key: SM2 encryption to the signing key");
        goto out;
    }
    len = offsetof(ENVELOPEDKEYBLOB, ECCCipherBlob) + blob_len;
    if ((env = OPENSSL_zalloc(len < sizeof(*env) ? sizeof(*env) : len)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    env->Version = 1;
    env->ulSymmAlgID = SGD_SMS4_ECB;
    env->ulBits = SKF_SM2_BITS;
    cctx = EVP_CIPHER_CTX_new();
    if (cctx == NULL || !EVP_EncryptInit_ex(cctx, EVP_sm4_ecb(), NULL, kek, NULL) ||
        !EVP_CIPHER_CTX_set_padding(cctx, 0) ||
        !EVP_EncryptUpdate(cctx, env->cbEncryptedPriKey + 32, &outl, field + 32, 32) ||
        outl != 32 || skf_blob_from_pkey(enc_key, &env->PubKey) != 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "enveloped key: SM4 encryption of the private key");
        goto out;
    }
    memcpy(&env->ECCCipherBlob, blob, blob_len);
    *out = env;
    *out_len = len < sizeof(*env) ? sizeof(*env) : len;
    env = NULL;
    ret = SK_OK;
out:
    OPENSSL_clear_free(env, len < sizeof(*env) ? sizeof(*env) : len);
    OPENSSL_free(blob);
    OPENSSL_free(ct);
    EVP_PKEY_CTX_free(pctx);
    EVP_CIPHER_CTX_free(cctx);
    OPENSSL_cleanse(kek, sizeof(kek));
    OPENSSL_cleanse(field, sizeof(field));
    return ret;
}
