/* The stand-in KMC (issuer/kmc/kmc.h): software SM2 encryption keys, escrowed encrypted in
 * files, handed out enveloped as GM/T 0016 ENVELOPEDKEYBLOB parts. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "issuer/kmc/kmc.h"
#include "util/sk_file.h"
#include "util/sk_secmem.h"
#include "util/sk_secret.h"
#include "util/sk_sm2.h"

/* GM/T 0009 SM2Cipher, what OpenSSL's SM2 encryption writes: C1 (x, y), C3, C2. */
typedef struct {
    ASN1_INTEGER *x;
    ASN1_INTEGER *y;
    ASN1_OCTET_STRING *hash;
    ASN1_OCTET_STRING *cipher;
} KMC_SM2_CIPHER;

ASN1_SEQUENCE(KMC_SM2_CIPHER) =
    {
        ASN1_SIMPLE(KMC_SM2_CIPHER, x, ASN1_INTEGER),
        ASN1_SIMPLE(KMC_SM2_CIPHER, y, ASN1_INTEGER),
        ASN1_SIMPLE(KMC_SM2_CIPHER, hash, ASN1_OCTET_STRING),
        ASN1_SIMPLE(KMC_SM2_CIPHER, cipher, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(KMC_SM2_CIPHER)

#define ESCROW_MAX (64 * 1024)

        typedef struct standin {
    kmc base;
    char dir[PATH_MAX];
    char *secret; /* locked memory, SK_SECRET_MAX bytes */
} standin;

/* A 256-bit big-endian value right-aligned in a GM/T 0016 64-byte field. */
static int put_field(unsigned char field[KMC_FIELD_LEN], const BIGNUM *bn)
{
    memset(field, 0, KMC_FIELD_LEN);
    return BN_bn2binpad(bn, field + KMC_FIELD_LEN - 32, 32) == 32;
}

static int escrow_path(const standin *s, const char *order, const char *key_id, char *buf,
                       size_t len, sk_err *e)
{
    if (snprintf(buf, len, "%s/escrow/%s-%s.p8", s->dir, order, key_id) >= (int)len)
        return sk_err_set(e, SK_EINPUT, "%s: path too long", s->dir);
    return SK_OK;
}

int kmc_key_id(EVP_PKEY *pub, char id[17], sk_err *e)
{
    unsigned char pt[65], md[32];
    size_t pt_len = 0;
    unsigned int md_len = 0;

    if (EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
                                        &pt_len) != 1 ||
        EVP_Digest(pt, pt_len, md, &md_len, EVP_sm3(), NULL) != 1)
        return sk_err_ossl(e, SK_ECRYPTO, "key id of the encryption key");
    for (int i = 0; i < 8; i++)
        snprintf(id + 2 * i, 3, "%02x", md[i]);
    return SK_OK;
}

/* The SM4 key SM2-encrypted to the signing key, as ECCCIPHERBLOB fields. */
static int wrap_sm4_key(EVP_PKEY *sign_pub, const unsigned char key[KMC_SM4_KEY_LEN],
                        kmc_envelope *env, sk_err *e)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(sign_pub, NULL);
    unsigned char *ct = NULL;
    const unsigned char *p;
    size_t ct_len = 0;
    KMC_SM2_CIPHER *c = NULL;
    BIGNUM *x = NULL, *y = NULL;
    int ret = SK_ECRYPTO;

    if (pc == NULL || EVP_PKEY_encrypt_init(pc) != 1 ||
        EVP_PKEY_encrypt(pc, NULL, &ct_len, key, KMC_SM4_KEY_LEN) != 1 ||
        (ct = OPENSSL_malloc(ct_len)) == NULL ||
        EVP_PKEY_encrypt(pc, ct, &ct_len, key, KMC_SM4_KEY_LEN) != 1) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SM2 encryption of the SM4 key to the signing key");
        goto out;
    }
    p = ct;
    c = (KMC_SM2_CIPHER *)ASN1_item_d2i(NULL, &p, (long)ct_len, ASN1_ITEM_rptr(KMC_SM2_CIPHER));
    if (c == NULL || p != ct + ct_len || ASN1_STRING_length(c->hash) != 32 ||
        ASN1_STRING_length(c->cipher) != KMC_SM4_KEY_LEN ||
        (x = ASN1_INTEGER_to_BN(c->x, NULL)) == NULL ||
        (y = ASN1_INTEGER_to_BN(c->y, NULL)) == NULL || !put_field(env->cipher_x, x) ||
        !put_field(env->cipher_y, y)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "unexpected SM2 ciphertext");
        goto out;
    }
    memcpy(env->cipher_hash, ASN1_STRING_get0_data(c->hash), 32);
    memcpy(env->cipher, ASN1_STRING_get0_data(c->cipher), KMC_SM4_KEY_LEN);
    env->cipher_len = KMC_SM4_KEY_LEN;
    ret = SK_OK;
out:
    BN_free(x);
    BN_free(y);
    ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(KMC_SM2_CIPHER));
    OPENSSL_free(ct);
    EVP_PKEY_CTX_free(pc);
    return ret;
}

/* The private key d (32 bytes) SM4-ECB encrypted, right-aligned in cbEncryptedPriKey. */
static int wrap_private_key(EVP_PKEY *enc, const unsigned char key[KMC_SM4_KEY_LEN],
                            kmc_envelope *env, sk_err *e)
{
    EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
    BIGNUM *d = NULL;
    unsigned char plain[32];
    int n = 0, f = 0, ret = SK_ECRYPTO;

    memset(env->enc_private_key, 0, KMC_FIELD_LEN);
    if (EVP_PKEY_get_bn_param(enc, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
        BN_bn2binpad(d, plain, sizeof(plain)) != 32 || cc == NULL ||
        EVP_EncryptInit_ex(cc, EVP_sm4_ecb(), NULL, key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(cc, 0) != 1 ||
        EVP_EncryptUpdate(cc, env->enc_private_key + 32, &n, plain, sizeof(plain)) != 1 ||
        EVP_EncryptFinal_ex(cc, env->enc_private_key + 32 + n, &f) != 1 || n + f != 32) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SM4 encryption of the encryption private key");
        goto out;
    }
    ret = SK_OK;
out:
    OPENSSL_cleanse(plain, sizeof(plain));
    BN_clear_free(d);
    EVP_CIPHER_CTX_free(cc);
    return ret;
}

static int public_parts(EVP_PKEY *enc, kmc_envelope *env, EVP_PKEY **pub, sk_err *e)
{
    unsigned char pt[65], *der = NULL;
    const unsigned char *p;
    size_t pt_len = 0;
    int len;

    if (EVP_PKEY_get_octet_string_param(enc, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
                                        &pt_len) != 1 ||
        pt_len != 65 || pt[0] != 0x04)
        return sk_err_ossl(e, SK_ECRYPTO, "the encryption public key");
    env->pub_bits = 256;
    memset(env->pub_x, 0, KMC_FIELD_LEN);
    memset(env->pub_y, 0, KMC_FIELD_LEN);
    memcpy(env->pub_x + 32, pt + 1, 32);
    memcpy(env->pub_y + 32, pt + 33, 32);
    /* A public-only copy: what leaves the KMC holds no private half. */
    if ((len = i2d_PUBKEY(enc, &der)) <= 0)
        return sk_err_ossl(e, SK_ECRYPTO, "the encryption public key");
    p = der;
    *pub = d2i_PUBKEY(NULL, &p, len);
    OPENSSL_free(der);
    return *pub != NULL ? SK_OK : sk_err_ossl(e, SK_ECRYPTO, "the encryption public key");
}

static int escrow(const standin *s, const char *order, EVP_PKEY *enc, sk_err *e)
{
    char id[17], path[PATH_MAX + 128];
    BIO *b = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long len;
    int ret;

    if ((ret = kmc_key_id(enc, id, e)) != SK_OK ||
        (ret = escrow_path(s, order, id, path, sizeof(path), e)) != SK_OK)
        goto out;
    if (b == NULL ||
        !PEM_write_bio_PKCS8PrivateKey(b, enc, EVP_aes_256_cbc(), NULL, 0, NULL, s->secret)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s: encrypting the escrowed key", path);
        goto out;
    }
    len = BIO_get_mem_data(b, &pem);
    /* Escrowed before anything is handed out, created, never replaced. */
    ret = sk_file_create_atomic(path, pem, (size_t)len, 0600, e);
    OPENSSL_cleanse(pem, (size_t)len);
out:
    BIO_free(b);
    return ret;
}

static int standin_enc_key_pair(kmc *k, const char *order, EVP_PKEY *sign_pub, kmc_envelope *out,
                                EVP_PKEY **enc_pub, X509_REQ **enc_req, sk_err *e)
{
    standin *s = k->impl;
    EVP_PKEY *enc = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    unsigned char sm4[KMC_SM4_KEY_LEN];
    int ret;

    if (enc == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "generating the SM2 encryption key pair");
        goto out;
    }
    if (RAND_priv_bytes(sm4, sizeof(sm4)) != 1) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "random SM4 key");
        goto out;
    }
    out->version = 1;
    out->symm_alg_id = KMC_SGD_SM4_ECB;
    out->bits = 256;
    if ((ret = escrow(s, order, enc, e)) != SK_OK ||
        (ret = wrap_private_key(enc, sm4, out, e)) != SK_OK ||
        (ret = wrap_sm4_key(sign_pub, sm4, out, e)) != SK_OK ||
        (ret = public_parts(enc, out, enc_pub, e)) != SK_OK)
        goto out;
    if ((*enc_req = X509_REQ_new()) == NULL || !X509_REQ_set_pubkey(*enc_req, enc)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "the encryption certificate request");
        goto out;
    }
    /* The subject comes from the CA's profile; the signature proves the KMC holds the key. */
    ret = sk_req_sign(*enc_req, enc, e);
out:
    OPENSSL_cleanse(sm4, sizeof(sm4));
    EVP_PKEY_free(enc);
    return ret;
}

static void standin_free(kmc *k)
{
    standin *s = k->impl;

    sk_secmem_free(s->secret, SK_SECRET_MAX);
    free(s);
}

static const kmc_ops standin_ops = {standin_enc_key_pair, standin_free};

int kmc_standin_open(const char *dir, const char *escrow_secret, kmc **out, sk_err *e)
{
    standin *s = NULL;
    char path[PATH_MAX + 16];
    int ret;

    *out = NULL;
    if (escrow_secret == NULL || escrow_secret[0] == '\0' || strlen(escrow_secret) >= SK_SECRET_MAX)
        return sk_err_set(e, SK_EPIN, "KMC stand-in: the escrow secret is empty or too long");
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    if (snprintf(s->dir, sizeof(s->dir), "%s", dir) >= (int)sizeof(s->dir) ||
        snprintf(path, sizeof(path), "%s/escrow", dir) >= (int)sizeof(path)) {
        ret = sk_err_set(e, SK_EINPUT, "%s: path too long", dir);
        goto out;
    }
    if ((ret = sk_mkdir_p(path, 0700, e)) != SK_OK ||
        (ret = sk_secmem_alloc(SK_SECRET_MAX, (void **)&s->secret, e)) != SK_OK)
        goto out;
    memcpy(s->secret, escrow_secret, strlen(escrow_secret) + 1);
    s->base.ops = &standin_ops;
    s->base.impl = s;
    *out = &s->base;
    s = NULL;
    ret = SK_OK;
out:
    if (s != NULL) {
        sk_secmem_free(s->secret, SK_SECRET_MAX);
        free(s);
    }
    return ret;
}

int kmc_standin_recover(kmc *k, const char *order_number, const char *key_id, EVP_PKEY **out,
                        sk_err *e)
{
    standin *s = k->impl;
    char path[PATH_MAX + 128];
    unsigned char *data = NULL;
    size_t len = 0;
    BIO *b = NULL;
    int ret;

    *out = NULL;
    if (k->ops != &standin_ops)
        return sk_err_set(e, SK_EINTERNAL, "KMC: recovery is the stand-in's");
    if (strlen(key_id) != 16 || strspn(key_id, "0123456789abcdef") != 16 ||
        strspn(order_number, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
            strlen(order_number))
        return sk_err_set(e, SK_EINPUT, "KMC: no escrowed key '%s' for order '%s'", key_id,
                          order_number);
    if ((ret = escrow_path(s, order_number, key_id, path, sizeof(path), e)) != SK_OK)
        return ret;
    if (!sk_file_exists(path))
        return sk_err_set(e, SK_EINPUT, "KMC: no escrowed key %s for order %s (%s)", key_id,
                          order_number, path);
    if ((ret = sk_file_read(path, ESCROW_MAX, &data, &len, e)) != SK_OK)
        return ret;
    if ((b = BIO_new_mem_buf(data, (int)len)) != NULL) {
        *out = PEM_read_bio_PrivateKey(b, NULL, NULL, s->secret);
        sk_secret_wipe_stack(); /* the decoder's unwiped copy of the secret */
    }
    if (*out == NULL) {
        ERR_clear_error();
        ret = sk_err_set(e, SK_EPIN, "%s: cannot decrypt the escrowed key: wrong escrow secret?",
                         path);
    } else {
        ret = SK_OK;
    }
    BIO_free(b);
    OPENSSL_cleanse(data, len);
    free(data);
    return ret;
}
