/* The key management centre stand-in (issuer/kmc/kmc.h): an encryption key pair for an
 * order, enveloped to the token's SM2 signing key as GM/T 0016 ENVELOPEDKEYBLOB parts, opens
 * the way a token opens it (SM2-decrypt the SM4 key with the signing key, SM4-ECB-decrypt the
 * private key) into the key pair whose public half it names; the escrowed copy is encrypted,
 * 0600, recoverable with the escrow secret only; bad requests are refused. Real OpenSSL. */
#define _GNU_SOURCE /* memmem */
#include <limits.h>
#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "issuer/kmc/kmc.h"
#include "tests/test.h"
#include "util/sk_file.h"
#include "util/sk_sm2.h"

/* GM/T 0009 SM2Cipher, to hand the ECCCIPHERBLOB fields back to OpenSSL's SM2 decryption. */
typedef struct {
    ASN1_INTEGER *x, *y;
    ASN1_OCTET_STRING *hash, *cipher;
} T_SM2_CIPHER;
ASN1_SEQUENCE(T_SM2_CIPHER) =
    {
        ASN1_SIMPLE(T_SM2_CIPHER, x, ASN1_INTEGER),
        ASN1_SIMPLE(T_SM2_CIPHER, y, ASN1_INTEGER),
        ASN1_SIMPLE(T_SM2_CIPHER, hash, ASN1_OCTET_STRING),
        ASN1_SIMPLE(T_SM2_CIPHER, cipher, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(T_SM2_CIPHER)

    /* What SKF_ImportECCKeyPair does inside the token: the envelope opened with the signing key. */
    static EVP_PKEY
    * open_envelope(const kmc_envelope *env, EVP_PKEY *sign_key)
{
    T_SM2_CIPHER *c = (T_SM2_CIPHER *)ASN1_item_new(ASN1_ITEM_rptr(T_SM2_CIPHER));
    BIGNUM *x = BN_bin2bn(env->cipher_x, KMC_FIELD_LEN, NULL);
    BIGNUM *y = BN_bin2bn(env->cipher_y, KMC_FIELD_LEN, NULL);
    unsigned char *der = NULL, sm4[32], d[48], pub[65];
    size_t sm4_len = sizeof(sm4);
    int der_len, n = 0, f = 0;
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(sign_key, NULL);
    EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    BIGNUM *priv = NULL;
    EVP_PKEY *out = NULL;

    if (c == NULL || x == NULL || y == NULL || BN_to_ASN1_INTEGER(x, c->x) == NULL ||
        BN_to_ASN1_INTEGER(y, c->y) == NULL ||
        !ASN1_OCTET_STRING_set(c->hash, env->cipher_hash, 32) ||
        !ASN1_OCTET_STRING_set(c->cipher, env->cipher, (int)env->cipher_len) ||
        (der_len = ASN1_item_i2d((ASN1_VALUE *)c, &der, ASN1_ITEM_rptr(T_SM2_CIPHER))) <= 0 ||
        pc == NULL || EVP_PKEY_decrypt_init(pc) != 1 ||
        EVP_PKEY_decrypt(pc, sm4, &sm4_len, der, (size_t)der_len) != 1 ||
        sm4_len != KMC_SM4_KEY_LEN || cc == NULL ||
        EVP_DecryptInit_ex(cc, EVP_sm4_ecb(), NULL, sm4, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(cc, 0) != 1 ||
        EVP_DecryptUpdate(cc, d, &n, env->enc_private_key + 32, 32) != 1 ||
        EVP_DecryptFinal_ex(cc, d + n, &f) != 1 || n + f != 32)
        goto out;
    pub[0] = 0x04;
    memcpy(pub + 1, env->pub_x + 32, 32);
    memcpy(pub + 33, env->pub_y + 32, 32);
    if ((priv = BN_bin2bn(d, 32, NULL)) == NULL || b == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
        !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, priv) ||
        !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) ||
        (params = OSSL_PARAM_BLD_to_param(b)) == NULL || kc == NULL ||
        EVP_PKEY_fromdata_init(kc) != 1 ||
        EVP_PKEY_fromdata(kc, &out, EVP_PKEY_KEYPAIR, params) != 1)
        out = NULL;
out:
    OPENSSL_cleanse(sm4, sizeof(sm4));
    OPENSSL_cleanse(d, sizeof(d));
    BN_clear_free(priv);
    BN_free(x);
    BN_free(y);
    OPENSSL_free(der);
    ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(T_SM2_CIPHER));
    EVP_PKEY_CTX_free(pc);
    EVP_CIPHER_CTX_free(cc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_CTX_free(kc);
    return out;
}

/* Does priv sign what pub verifies? */
static int pair(EVP_PKEY *priv, EVP_PKEY *pub)
{
    static const unsigned char msg[] = "does the imported key belong to the certificate?";
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    sk_err e;
    int ok = sk_sm2_sign(priv, msg, sizeof(msg), &sig, &sig_len, &e) == SK_OK &&
             sk_sm2_verify(pub, msg, sizeof(msg), sig, sig_len, &e) == SK_OK;

    OPENSSL_free(sig);
    return ok;
}

int main(void)
{
    char dir[] = "/tmp/sk-kmc.XXXXXX", kdir[PATH_MAX], path[PATH_MAX + 64], id[17], cmd[PATH_MAX];
    kmc *k = NULL, *wrong = NULL;
    kmc_envelope env, env2;
    EVP_PKEY *sign = EVP_PKEY_Q_keygen(NULL, NULL, "SM2"), *ec = EVP_EC_gen("P-256");
    EVP_PKEY *enc_pub = NULL, *enc_pub2 = NULL, *opened = NULL, *back = NULL, *none = NULL;
    X509_REQ *req = NULL, *req2 = NULL, *noreq = NULL;
    unsigned char *file = NULL, d[32];
    size_t file_len = 0;
    BIGNUM *dbn = NULL;
    struct stat sb;
    sk_err e;

    sk_err_clear(&e);
    if (mkdtemp(dir) == NULL || sign == NULL || ec == NULL)
        return 2;
    snprintf(kdir, sizeof(kdir), "%s/kmc", dir);
    CHECK_MSG(kmc_standin_open(kdir, "escrow secret", &k, &e) == SK_OK, "%s", e.msg);
    if (k == NULL)
        TEST_DONE();
    CHECK_MSG(kmc_enc_key_pair(k, "JX2026-000101", sign, &env, &enc_pub, &req, &e) == SK_OK, "%s",
              e.msg);
    if (enc_pub == NULL || req == NULL)
        TEST_DONE();

    /* The ENVELOPEDKEYBLOB parts as GM/T 0016 lays them out. */
    CHECK(env.version == 1 && env.symm_alg_id == KMC_SGD_SM4_ECB && env.bits == 256);
    CHECK(env.pub_bits == 256 && env.cipher_len == KMC_SM4_KEY_LEN);
    static const unsigned char zero[32];
    CHECK(memcmp(env.enc_private_key, zero, 32) == 0 && memcmp(env.pub_x, zero, 32) == 0 &&
          memcmp(env.cipher_x, zero, 32) == 0 && memcmp(env.cipher_y, zero, 32) == 0);
    CHECK(sk_sm2_is_key(enc_pub));
    /* The request is the encryption key's own, signed with it (SM2 ID). */
    CHECK(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), enc_pub) == 1);
    CHECK(X509_REQ_verify(req, enc_pub) == 1);

    /* Opened as the token would, it is the key pair named by the public key. */
    opened = open_envelope(&env, sign);
    CHECK(opened != NULL && EVP_PKEY_eq(opened, enc_pub) == 1 && pair(opened, enc_pub));
    /* Another signing key cannot open it. */
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    EVP_PKEY *stolen = open_envelope(&env, other);
    CHECK(stolen == NULL);
    EVP_PKEY_free(stolen);
    EVP_PKEY_free(other);

    /* Escrowed: one 0600 file, encrypted, without the private key's bytes in it. */
    CHECK(kmc_key_id(enc_pub, id, &e) == SK_OK);
    snprintf(path, sizeof(path), "%s/escrow/JX2026-000101-%s.p8", kdir, id);
    CHECK_MSG(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "%s", path);
    CHECK(stat(kdir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    CHECK(sk_file_read(path, 1 << 20, &file, &file_len, &e) == SK_OK);
    CHECK(file != NULL && memmem(file, file_len, "ENCRYPTED PRIVATE KEY", 21) != NULL);
    CHECK(opened != NULL && EVP_PKEY_get_bn_param(opened, OSSL_PKEY_PARAM_PRIV_KEY, &dbn) == 1 &&
          BN_bn2binpad(dbn, d, 32) == 32);
    CHECK(file != NULL && memmem(file, file_len, d, 32) == NULL);
    OPENSSL_cleanse(d, sizeof(d));

    /* Key recovery with the escrow secret, and not without it. */
    CHECK_MSG(kmc_standin_recover(k, "JX2026-000101", id, &back, &e) == SK_OK, "%s", e.msg);
    CHECK(back != NULL && EVP_PKEY_eq(back, enc_pub) == 1 && pair(back, enc_pub));
    CHECK(kmc_standin_open(kdir, "not the escrow secret", &wrong, &e) == SK_OK);
    CHECK(wrong != NULL && kmc_standin_recover(wrong, "JX2026-000101", id, &none, &e) == SK_EPIN);
    CHECK(none == NULL);
    CHECK(kmc_standin_recover(k, "JX2026-000101", "0000000000000000", &none, &e) == SK_EINPUT);
    CHECK(kmc_standin_recover(k, "../JX2026-000101", id, &none, &e) == SK_EINPUT && none == NULL);

    /* A second pair for the same order (a reissue) is another key and another escrow file. */
    CHECK(kmc_enc_key_pair(k, "JX2026-000101", sign, &env2, &enc_pub2, &req2, &e) == SK_OK);
    CHECK(enc_pub2 != NULL && EVP_PKEY_eq(enc_pub, enc_pub2) != 1);

    /* Refused: a signing key that is not SM2, an order number that is not a plain name. */
    CHECK(kmc_enc_key_pair(k, "JX2026-000102", ec, &env2, &none, &noreq, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "not SM2");
    CHECK(kmc_enc_key_pair(k, "../../etc/x", sign, &env2, &none, &noreq, &e) == SK_EINPUT);
    CHECK(none == NULL && noreq == NULL);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    kmc_envelope_clear(&env);
    kmc_envelope_clear(&env2);
    BN_clear_free(dbn);
    free(file);
    EVP_PKEY_free(sign);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(enc_pub);
    EVP_PKEY_free(enc_pub2);
    EVP_PKEY_free(opened);
    EVP_PKEY_free(back);
    X509_REQ_free(req);
    X509_REQ_free(req2);
    kmc_free(k);
    kmc_free(wrong);
    TEST_DONE();
}
