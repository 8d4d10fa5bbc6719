/* skf/ against the soft SKF module (tests/skfsoft): a device made into a token, an SM2 key
 * generated on it, a CSR signed on it that `openssl req -verify` accepts, PIN retries that
 * count down, files, certificates, an enveloped encryption key pair made with OpenSSL whose
 * imported key decrypts what was encrypted to it, device removal, a full device, device
 * events. Real crypto and real files in a throwaway directory. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "skf/skf.h"
#include "skf/skf_blob.h"
#include "test.h"

static const unsigned char devkey[16] = "1234567812345678"; /* the soft module's default */
static char root[256];

static void make_dev(const char *name)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, name);
    CHECK(mkdir(p, 0700) == 0);
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* A token as the issuance will make it: authenticated, application, user login, container,
 * signing key. */
static void make_token(skf_lib *lib, const char *dev_name, skf_dev **d, skf_app **a,
                       skf_con **c, EVP_PKEY **pub)
{
    sk_err e;
    sk_err_clear(&e);
    CHECK_MSG(skf_select(lib, dev_name, NULL, d, &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(skf_dev_auth(*d, devkey, sizeof(devkey), &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(skf_app_create(*d, "SEALKEY", "12345678", 5, "87654321", 3, a, &e) == SK_OK,
              "%s", e.msg);
    CHECK_MSG(skf_login_user(*a, "87654321", &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(skf_con_create(*a, "sign", c, &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(skf_gen_sign_keypair(*c, pub, &e) == SK_OK, "%s", e.msg);
}

static void test_layout_and_list(skf_lib *lib)
{
    skf_dev_info *infos = NULL;
    size_t n = 0;
    sk_err e;
    skf_dev *d = NULL;
    CHECK_MSG(skf_list_devices(lib, &infos, &n, &e) == SK_OK, "%s", e.msg);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(strcmp(infos[0].name, "dev1") == 0);
        CHECK(infos[0].n_apps == 0);
        CHECK(strncmp(infos[0].serial, "SKS", 3) == 0);
        CHECK(strcmp(infos[0].manufacturer, "sealkey skfsoft") == 0);
        /* Select by serial finds the same device. */
        CHECK_MSG(skf_select(lib, NULL, infos[1].serial, &d, &e) == SK_OK, "%s", e.msg);
        skf_dev_info di;
        CHECK(d != NULL && skf_dev_get_info(d, &di, &e) == SK_OK && strcmp(di.name, "dev2") == 0);
        skf_dev_free(d);
    }
    free(infos);
    CHECK(skf_select(lib, "nosuch", NULL, &d, &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "no device with name 'nosuch'");
}

static void test_dev_auth(skf_lib *lib)
{
    skf_dev *d = NULL;
    skf_app *a = NULL;
    sk_err e;
    const unsigned char wrong[16] = "0000000000000000";
    CHECK_MSG(skf_select(lib, "dev3", NULL, &d, &e) == SK_OK, "%s", e.msg);
    if (d == NULL)
        return;
    CHECK(skf_dev_auth(d, wrong, sizeof(wrong), &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "SKF_DevAuth: SAR_FAIL");
    /* Without authentication no application can be made. */
    CHECK(skf_app_create(d, "X", "12345678", 3, "87654321", 3, &a, &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "SKF_CreateApplication: SAR_USER_NOT_LOGGED_IN");
    CHECK_MSG(skf_dev_auth(d, devkey, sizeof(devkey), &e) == SK_OK, "%s", e.msg);
    /* A station's own device key replaces the vendor default: the old one stops working. */
    const unsigned char station_key[16] = "station-key-0001";
    CHECK_MSG(skf_dev_change_auth_key(d, station_key, sizeof(station_key), &e) == SK_OK, "%s",
              e.msg);
    CHECK(skf_dev_auth(d, devkey, sizeof(devkey), &e) == SK_ETOKEN);
    CHECK_MSG(skf_dev_auth(d, station_key, sizeof(station_key), &e) == SK_OK, "%s", e.msg);
    CHECK(skf_dev_auth(d, station_key, 8, &e) == SK_EINPUT);
    skf_dev_free(d);
}

static void test_select_blank(skf_lib *lib)
{
    skf_dev *d = NULL;
    skf_dev_info di;
    sk_err e;
    /* dev1 has an application now: the first blank device is dev2. */
    CHECK_MSG(skf_select(lib, NULL, NULL, &d, &e) == SK_OK, "%s", e.msg);
    CHECK(d != NULL && skf_dev_get_info(d, &di, &e) == SK_OK && strcmp(di.name, "dev2") == 0);
    skf_dev_free(d);
}

static void test_lists(skf_dev *d, skf_app *a)
{
    char **names = NULL;
    size_t n = 0;
    sk_err e;
    CHECK_MSG(skf_app_list(d, &names, &n, &e) == SK_OK, "%s", e.msg);
    CHECK(n == 1 && strcmp(names[0], "SEALKEY") == 0);
    skf_names_free(names, n);
    CHECK_MSG(skf_con_list(a, &names, &n, &e) == SK_OK, "%s", e.msg);
    CHECK(n == 1 && strcmp(names[0], "sign") == 0);
    skf_names_free(names, n);
}

static void test_csr(skf_con *c, EVP_PKEY *pub)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    sk_err e;
    char path[300], cmd[2400];
    FILE *f;
    CHECK(req != NULL && name != NULL);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"测试有限公司",
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "organizationIdentifier", MBSTRING_UTF8,
                               (const unsigned char *)"91350100M000100Y43", -1, -1, 0);
    CHECK(X509_REQ_set_version(req, 0) == 1);
    CHECK(X509_REQ_set_subject_name(req, name) == 1);
    CHECK(X509_REQ_set_pubkey(req, pub) == 1);
    CHECK_MSG(skf_sign_req(c, req, &e) == SK_OK, "%s", e.msg);
    snprintf(path, sizeof(path), "%s/req.pem", root);
    f = fopen(path, "w");
    CHECK(f != NULL && PEM_write_X509_REQ(f, req) == 1);
    if (f != NULL)
        fclose(f);
    /* The independent check: OpenSSL verifies with the SM2 default ID. */
    snprintf(cmd, sizeof(cmd),
             "openssl req -in %s -noout -verify -vfyopt distid:1234567812345678 2>&1 | "
             "grep -q 'verify OK'", path);
    CHECK_MSG(run(cmd) == 0, "openssl req -verify refused the device-signed CSR");
    /* And a tampered request does not verify. */
    snprintf(cmd, sizeof(cmd),
             "openssl req -in %s -outform DER -out %s.der && "
             "printf 'X' | dd of=%s.der bs=1 seek=40 conv=notrunc 2>/dev/null && "
             "openssl req -inform DER -in %s.der -noout -verify -vfyopt "
             "distid:1234567812345678 2>&1 | grep -q 'verify OK'", path, path, path, path);
    CHECK_MSG(run(cmd) != 0, "a tampered CSR verified");
    X509_NAME_free(name);
    X509_REQ_free(req);
}

static void test_sign_verify(skf_con *c, EVP_PKEY *pub)
{
    const unsigned char msg[] = "a document to seal";
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    sk_err e;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
    CHECK_MSG(skf_sign(c, NULL, msg, sizeof(msg) - 1, &sig, &sig_len, &e) == SK_OK, "%s", e.msg);
    /* OpenSSL's own SM2 verification with the ID agrees; a changed message does not. */
    CHECK(EVP_PKEY_CTX_set1_id(pctx, SKF_SM2_DEFAULT_ID, 16) > 0);
    EVP_MD_CTX_set_pkey_ctx(md, pctx);
    CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sm3(), NULL, pub) == 1);
    CHECK(EVP_DigestVerify(md, sig, sig_len, msg, sizeof(msg) - 1) == 1);
    CHECK(EVP_DigestVerifyInit(md, NULL, EVP_sm3(), NULL, pub) == 1);
    CHECK(EVP_DigestVerify(md, sig, sig_len, msg, sizeof(msg) - 2) != 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_CTX_free(pctx);
    OPENSSL_free(sig);
}

static void test_pins(skf_dev *d)
{
    skf_app *a = NULL;
    skf_pin_info pi;
    sk_err e;
    CHECK_MSG(skf_app_open(d, "SEALKEY", &a, &e) == SK_OK, "%s", e.msg);
    if (a == NULL)
        return;
    CHECK(skf_login_user(a, "00000000", &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "SAR_PIN_INCORRECT: 2 tries left");
    CHECK(skf_get_pin_info(a, false, &pi, &e) == SK_OK && pi.remaining == 2 && pi.max_retries == 3);
    CHECK(skf_login_user(a, "00000000", &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "1 try left");
    /* The final try is not spent by sealkey. */
    CHECK(skf_login_user(a, "87654321", &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "one try left; not risking it");
    /* The SO unblocks; the counter is back to its maximum. */
    CHECK(skf_unblock_user_pin(a, "bad-so-pin", "87654321", &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "4 SO PIN tries left");
    CHECK_MSG(skf_unblock_user_pin(a, "12345678", "87654321", &e) == SK_OK, "%s", e.msg);
    CHECK(skf_get_pin_info(a, false, &pi, &e) == SK_OK && pi.remaining == 3);
    CHECK(skf_get_pin_info(a, true, &pi, &e) == SK_OK && pi.remaining == 5);
    CHECK_MSG(skf_login_user(a, "87654321", &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(skf_change_pin(a, false, "87654321", "11112222", &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(skf_change_pin(a, false, "11112222", "87654321", &e) == SK_OK, "%s", e.msg);
    skf_app_free(a);
}

static void test_files(skf_app *a)
{
    unsigned char seal[3000], *back = NULL;
    size_t len = 0, n = 0;
    char **names = NULL;
    sk_err e;
    for (size_t i = 0; i < sizeof(seal); i++)
        seal[i] = (unsigned char)(i * 7);
    CHECK_MSG(skf_file_write(a, "seal-official.esl", seal, sizeof(seal), &e) == SK_OK, "%s",
              e.msg);
    CHECK_MSG(skf_file_read(a, "seal-official.esl", &back, &len, &e) == SK_OK, "%s", e.msg);
    CHECK(len == sizeof(seal) && back != NULL && memcmp(back, seal, len) == 0);
    free(back);
    CHECK(skf_file_write(a, "seal-official.esl", seal, 10, &e) == SK_ESTATE);
    CHECK_CONTAINS(e.msg, "SAR_FILE_ALREADY_EXIST");
    CHECK_MSG(skf_file_list(a, &names, &n, &e) == SK_OK, "%s", e.msg);
    CHECK(n == 1 && strcmp(names[0], "seal-official.esl") == 0);
    skf_names_free(names, n);
    CHECK(skf_file_read(a, "absent", &back, &len, &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "SAR_FILE_NOT_EXIST");
}

/* A certificate for pub from a throwaway SM2 CA, signed SM2-with-SM3. */
static X509 *make_cert(EVP_PKEY *pub, EVP_PKEY *ca, const char *cn, long serial)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pub);
    CHECK(EVP_DigestSignInit(md, &pctx, EVP_sm3(), NULL, ca) == 1);
    CHECK(EVP_PKEY_CTX_set1_id(pctx, SKF_SM2_DEFAULT_ID, 16) > 0);
    CHECK(X509_sign_ctx(x, md) > 0);
    EVP_MD_CTX_free(md);
    X509_NAME_free(n);
    return x;
}

static void test_certs_and_envelope(skf_app *a, skf_con *sign_con, EVP_PKEY *sign_pub)
{
    EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    EVP_PKEY *enc = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    EVP_PKEY *enc_back = NULL;
    X509 *cert = NULL, *back = NULL, *enc_cert = NULL;
    ENVELOPEDKEYBLOB *env = NULL;
    size_t env_len = 0;
    sk_err e;
    CHECK(ca != NULL && enc != NULL);

    /* Signing certificate in, and out again byte for byte. */
    cert = make_cert(sign_pub, ca, "sign", 1);
    CHECK_MSG(skf_import_cert(sign_con, true, cert, &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(skf_export_cert(sign_con, true, &back, &e) == SK_OK, "%s", e.msg);
    CHECK(back != NULL && X509_cmp(cert, back) == 0);
    X509_free(back);
    back = NULL;
    CHECK(skf_export_cert(sign_con, false, &back, &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "SAR_CERTNOTFOUNTERR");
    /* A library that claims to have written more than the buffer holds is not believed. */
    setenv("SKFSOFT_FAULT", "cert-len", 1);
    CHECK(skf_export_cert(sign_con, true, &back, &e) == SK_ETOKEN && back == NULL);
    CHECK_CONTAINS(e.msg, "into a buffer of");
    unsetenv("SKFSOFT_FAULT");

    /* The encryption key pair, enveloped to the signing key as the KMC does it. */
    CHECK_MSG(skf_envelope_make(enc, sign_pub, &env, &env_len, &e) == SK_OK, "%s", e.msg);
    CHECK(env != NULL && env->Version == 1 && env->ulSymmAlgID == SGD_SM4_ECB &&
          env->ECCCipherBlob.CipherLen == 16);
    if (env == NULL)
        goto out;
    /* The vendor layout: 32 zero bytes, then SM4-ECB of the key (as the KMC stand-in). */
    {
        static const unsigned char zero[32];
        CHECK(memcmp(env->cbEncryptedPriKey, zero, 32) == 0);
    }
    /* Tampered: refused, and nothing is imported. */
    env->cbEncryptedPriKey[40] ^= 1;
    CHECK(skf_import_enveloped(sign_con, env, env_len, &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "SKF_ImportECCKeyPair: SAR_INDATAERR");
    CHECK(skf_get_public_key(sign_con, false, &enc_back, &e) == SK_ETOKEN);
    env->cbEncryptedPriKey[40] ^= 1;
    CHECK_MSG(skf_import_enveloped(sign_con, env, env_len, &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(skf_get_public_key(sign_con, false, &enc_back, &e) == SK_OK, "%s", e.msg);
    CHECK(enc_back != NULL && EVP_PKEY_eq(enc_back, enc) == 1);
    enc_cert = make_cert(enc, ca, "enc", 2);
    CHECK_MSG(skf_import_cert(sign_con, false, enc_cert, &e) == SK_OK, "%s", e.msg);

    /* What OpenSSL encrypts to the encryption certificate's key, the token decrypts: an SM4
     * session key SM2-encrypted to it, the message SM4-ECB (PKCS#7) under that key. */
    {
        unsigned char sk[16], *wrapped_der = NULL, ct[64], *pt = NULL;
        const unsigned char msg[] = "dual certificate: encryption key works";
        size_t wl = 0, pt_len = 0, blob_len = 0;
        ECCCIPHERBLOB *blob = NULL;
        int l1 = 0, l2 = 0;
        EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(enc_cert), NULL);
        EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
        CHECK(RAND_bytes(sk, sizeof(sk)) == 1);
        CHECK(pc != NULL && EVP_PKEY_encrypt_init(pc) > 0 &&
              EVP_PKEY_encrypt(pc, NULL, &wl, sk, sizeof(sk)) > 0);
        wrapped_der = OPENSSL_malloc(wl);
        CHECK(EVP_PKEY_encrypt(pc, wrapped_der, &wl, sk, sizeof(sk)) > 0);
        CHECK(skf_cipher_from_der(wrapped_der, wl, &blob, &blob_len) == 0);
        CHECK(EVP_EncryptInit_ex(cc, EVP_sm4_ecb(), NULL, sk, NULL) == 1 &&
              EVP_EncryptUpdate(cc, ct, &l1, msg, sizeof(msg)) == 1 &&
              EVP_EncryptFinal_ex(cc, ct + l1, &l2) == 1);
        CHECK_MSG(skf_decrypt_session(sign_con, blob, blob_len, ct, (size_t)(l1 + l2), &pt,
                                      &pt_len, &e) == SK_OK,
                  "%s", e.msg);
        CHECK(pt_len == sizeof(msg) && pt != NULL && memcmp(pt, msg, pt_len) == 0);
        free(pt);
        pt = NULL;
        /* Nor one that claims more plaintext than the buffer it was given: the caller would
         * read past it. */
        setenv("SKFSOFT_FAULT", "decrypt-len", 1);
        pt_len = 0;
        CHECK(skf_decrypt_session(sign_con, blob, blob_len, ct, (size_t)(l1 + l2), &pt, &pt_len,
                                  &e) == SK_ETOKEN);
        CHECK(pt == NULL && pt_len == 0);
        CHECK_CONTAINS(e.msg, "SKF_Decrypt says it wrote");
        unsetenv("SKFSOFT_FAULT");
        free(pt);
        OPENSSL_free(blob);
        OPENSSL_free(wrapped_der);
        EVP_CIPHER_CTX_free(cc);
        EVP_PKEY_CTX_free(pc);
    }
    (void)a;
out:
    OPENSSL_clear_free(env, env_len);
    X509_free(enc_cert);
    X509_free(cert);
    EVP_PKEY_free(enc_back);
    EVP_PKEY_free(enc);
    EVP_PKEY_free(ca);
}

/* The other layout in use (SM4-ECB over the whole 64-byte PrivateKey field) is accepted by
 * the soft device too (docs/skf.md, "The envelope"): made here by hand with OpenSSL into a
 * second container. */
static void test_envelope_whole_field(skf_app *a)
{
    skf_con *c = NULL;
    EVP_PKEY *sign_pub = NULL, *enc = EVP_PKEY_Q_keygen(NULL, NULL, "SM2"), *back = NULL;
    unsigned char kek[16], field[64] = {0}, *der = NULL;
    size_t der_len = 0, blob_len = 0, len;
    ECCCIPHERBLOB *blob = NULL;
    ENVELOPEDKEYBLOB *env = NULL;
    EVP_PKEY_CTX *pc = NULL;
    EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
    int outl = 0;
    sk_err e;
    CHECK_MSG(skf_con_create(a, "whole", &c, &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(skf_gen_sign_keypair(c, &sign_pub, &e) == SK_OK, "%s", e.msg);
    CHECK(enc != NULL && RAND_bytes(kek, sizeof(kek)) == 1 &&
          skf_pkey_priv(enc, field + 32) == 0);
    pc = EVP_PKEY_CTX_new_from_pkey(NULL, sign_pub, NULL);
    CHECK(pc != NULL && EVP_PKEY_encrypt_init(pc) > 0 &&
          EVP_PKEY_encrypt(pc, NULL, &der_len, kek, sizeof(kek)) > 0);
    der = OPENSSL_malloc(der_len);
    CHECK(EVP_PKEY_encrypt(pc, der, &der_len, kek, sizeof(kek)) > 0 &&
          skf_cipher_from_der(der, der_len, &blob, &blob_len) == 0);
    len = offsetof(ENVELOPEDKEYBLOB, ECCCipherBlob) + blob_len;
    env = OPENSSL_zalloc(len < sizeof(*env) ? sizeof(*env) : len);
    env->Version = 1;
    env->ulSymmAlgID = SGD_SMS4_ECB;
    env->ulBits = 256;
    CHECK(EVP_EncryptInit_ex(cc, EVP_sm4_ecb(), NULL, kek, NULL) == 1 &&
          EVP_CIPHER_CTX_set_padding(cc, 0) == 1 &&
          EVP_EncryptUpdate(cc, env->cbEncryptedPriKey, &outl, field, 64) == 1 && outl == 64);
    CHECK(skf_blob_from_pkey(enc, &env->PubKey) == 0);
    memcpy(&env->ECCCipherBlob, blob, blob_len);
    CHECK_MSG(skf_import_enveloped(c, env, len < sizeof(*env) ? sizeof(*env) : len, &e) == SK_OK,
              "%s", e.msg);
    CHECK_MSG(skf_get_public_key(c, false, &back, &e) == SK_OK, "%s", e.msg);
    CHECK(back != NULL && EVP_PKEY_eq(back, enc) == 1);
    OPENSSL_clear_free(env, len < sizeof(*env) ? sizeof(*env) : len);
    OPENSSL_free(blob);
    OPENSSL_free(der);
    EVP_PKEY_CTX_free(pc);
    EVP_CIPHER_CTX_free(cc);
    EVP_PKEY_free(back);
    EVP_PKEY_free(enc);
    EVP_PKEY_free(sign_pub);
    skf_con_free(c);
}

static void test_full_device(skf_lib *lib)
{
    char p[512];
    FILE *f;
    skf_dev *d = NULL;
    skf_app *a = NULL;
    sk_err e;
    unsigned char big[4096] = {0};
    snprintf(p, sizeof(p), "%s/dev2/capacity", root);
    f = fopen(p, "w");
    CHECK(f != NULL);
    if (f != NULL) {
        fputs("3000\n", f);
        fclose(f);
    }
    CHECK_MSG(skf_select(lib, "dev2", NULL, &d, &e) == SK_OK, "%s", e.msg);
    if (d == NULL)
        return;
    CHECK_MSG(skf_dev_auth(d, devkey, sizeof(devkey), &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(skf_app_create(d, "SEALKEY", "12345678", 5, "87654321", 3, &a, &e) == SK_OK,
              "%s", e.msg);
    CHECK_MSG(skf_login_user(a, "87654321", &e) == SK_OK, "%s", e.msg);
    CHECK(skf_file_write(a, "big", big, sizeof(big), &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "SKF_CreateFile: SAR_NO_ROOM");
    skf_app_free(a);
    skf_dev_free(d);
}

static void test_removed(skf_lib *lib, skf_con *c)
{
    char from[512], to[512];
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    sk_err e;
    snprintf(from, sizeof(from), "%s/dev1", root);
    snprintf(to, sizeof(to), "%s/.pulled-dev1", root);
    CHECK(rename(from, to) == 0);
    CHECK(skf_sign(c, NULL, (const unsigned char *)"x", 1, &sig, &sig_len, &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "SKF device 'dev1'");
    CHECK_CONTAINS(e.msg, "SAR_DEVICE_REMOVED");
    CHECK(rename(to, from) == 0);
    (void)lib;
}

typedef struct waiter {
    skf_lib *lib;
    char name[64];
    int event;
    int ret;
} waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;
    sk_err e;
    w->ret = skf_wait_event(w->lib, w->name, sizeof(w->name), &w->event, &e);
    return NULL;
}

static void test_events(skf_lib *lib)
{
    char name[64];
    int ev = -1;
    sk_err e;
    /* The first wait takes the present devices as its start; a cancel queued before it
     * ends it at once. */
    CHECK(skf_cancel_wait(lib, &e) == SK_OK);
    CHECK_MSG(skf_wait_event(lib, name, sizeof(name), &ev, &e) == SK_OK, "%s", e.msg);
    CHECK(ev == SKF_EVENT_NONE);
    make_dev("dev4");
    CHECK_MSG(skf_wait_event(lib, name, sizeof(name), &ev, &e) == SK_OK, "%s", e.msg);
    CHECK(ev == SKF_EVENT_INSERTED && strcmp(name, "dev4") == 0);
    char p[512];
    snprintf(p, sizeof(p), "%s/dev4", root);
    CHECK(rmdir(p) == 0);
    CHECK_MSG(skf_wait_event(lib, name, sizeof(name), &ev, &e) == SK_OK, "%s", e.msg);
    CHECK(ev == SKF_EVENT_REMOVED && strcmp(name, "dev4") == 0);
    /* Station mode: a thread waits, another ends the wait (shutting down). */
    waiter w = {lib, "", -1, -1};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, wait_thread, &w) == 0);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    CHECK(skf_cancel_wait(lib, &e) == SK_OK);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(w.ret == SK_OK && w.event == SKF_EVENT_NONE);
}

int main(void)
{
    const char *module = getenv("SKFSOFT_MODULE");
    skf_lib *lib = NULL;
    skf_dev *d = NULL;
    skf_app *a = NULL;
    skf_con *c = NULL;
    EVP_PKEY *pub = NULL;
    sk_err e;
    char cmd[300];

    if (module == NULL) {
        fprintf(stderr, "SKFSOFT_MODULE not set\n");
        return 1;
    }
    snprintf(root, sizeof(root), "%s/skfsoft.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(root) == NULL)
        return 1;
    setenv("SKFSOFT_DIR", root, 1);
    make_dev("dev1");
    make_dev("dev2");
    make_dev("dev3");

    CHECK(skf_lib_open("/nonexistent/libskf.so", &lib, &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "cannot load");
    CHECK_MSG(skf_lib_open(module, &lib, &e) == SK_OK, "%s", e.msg);
    if (lib == NULL)
        TEST_DONE();

    test_layout_and_list(lib);
    test_dev_auth(lib);
    make_token(lib, "dev1", &d, &a, &c, &pub);
    test_select_blank(lib);
    if (pub != NULL) {
        test_lists(d, a);
        test_csr(c, pub);
        test_sign_verify(c, pub);
        test_files(a);
        test_certs_and_envelope(a, c, pub);
        test_envelope_whole_field(a);
        test_pins(d);
        test_removed(lib, c);
    }
    test_full_device(lib);
    test_events(lib);

    EVP_PKEY_free(pub);
    skf_con_free(c);
    skf_app_free(a);
    skf_dev_free(d);
    skf_lib_free(lib);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (test_failures == 0)
        run(cmd);
    TEST_DONE();
}
