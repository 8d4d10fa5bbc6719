/* The SKF floor: per token only the token work an SKF issuance needs, through skf/ (one thin
 * layer over the library's functions), so the SKF path has a number beside p11_floor's.
 *
 *   skf_floor LIBRARY N
 *
 * Per token: select the first blank device (N blank devices must be present: on the soft
 * device, N directories under $SKFSOFT_DIR), device authentication with the default key
 * "1234567812345678" (or $SKF_FLOOR_DEVKEY, 16 bytes), application with SO and user PIN,
 * user login, container, SM2 key generated on the device, a CSR signed on the device and
 * verified, a certificate for the device key (signed once per token by a throwaway SM2 CA)
 * imported and exported, two 4 KiB seal files written and read back. PINs are fixed test
 * values: a benchmark, for throwaway devices only. */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skf/skf.h"
#include "skf/skf_blob.h"

#define SO_PIN "floor-so-4711"
#define USER_PIN "floor-user-0815"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A certificate for pub from the bench's SM2 CA, signed SM2-with-SM3 with the default ID. */
static X509 *cert_for(EVP_PKEY *pub, EVP_PKEY *ca, int idx)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = x != NULL && n != NULL && md != NULL &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"floor",
                                        -1, -1, 0) &&
             X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), idx + 1) &&
             X509_set_subject_name(x, n) && X509_set_issuer_name(x, n) &&
             X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
             X509_gmtime_adj(X509_getm_notAfter(x), 86400) && X509_set_pubkey(x, pub) &&
             EVP_DigestSignInit(md, &pctx, EVP_sm3(), NULL, ca) == 1 &&
             EVP_PKEY_CTX_set1_id(pctx, SKF_SM2_DEFAULT_ID, 16) > 0 && X509_sign_ctx(x, md) > 0;
    EVP_MD_CTX_free(md);
    X509_NAME_free(n);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int one_token(skf_lib *lib, const unsigned char devkey[16], EVP_PKEY *ca, int idx,
                     sk_err *e)
{
    skf_dev *d = NULL;
    skf_app *a = NULL;
    skf_con *c = NULL;
    EVP_PKEY *pub = NULL;
    X509_REQ *req = NULL;
    X509 *cert = NULL, *back = NULL;
    unsigned char seal[4096], *rd = NULL;
    size_t rdlen = 0;
    int ret;
    memset(seal, 0x5a, sizeof(seal));
    if ((ret = skf_select(lib, NULL, NULL, &d, e)) != SK_OK ||
        (ret = skf_dev_auth(d, devkey, 16, e)) != SK_OK ||
        (ret = skf_app_create(d, "SEALKEY", SO_PIN, 5, USER_PIN, 5, &a, e)) != SK_OK ||
        (ret = skf_login_user(a, USER_PIN, e)) != SK_OK ||
        (ret = skf_con_create(a, "sign", &c, e)) != SK_OK ||
        (ret = skf_gen_sign_keypair(c, &pub, e)) != SK_OK)
        goto out;
    req = X509_REQ_new();
    if (req == NULL || !X509_REQ_set_pubkey(req, pub)) {
        ret = sk_err_set(e, SK_ECRYPTO, "making the request");
        goto out;
    }
    if ((ret = skf_sign_req(c, req, e)) != SK_OK)
        goto out;
    if ((cert = cert_for(pub, ca, idx)) == NULL) {
        ret = sk_err_set(e, SK_ECRYPTO, "signing the certificate");
        goto out;
    }
    if ((ret = skf_import_cert(c, true, cert, e)) != SK_OK ||
        (ret = skf_export_cert(c, true, &back, e)) != SK_OK)
        goto out;
    if (X509_cmp(cert, back) != 0) {
        ret = sk_err_set(e, SK_EFAIL, "certificate read back differs");
        goto out;
    }
    for (int i = 0; i < 2; i++) {
        const char *name = i == 0 ? "official.esl" : "legal-rep.esl";
        if ((ret = skf_file_write(a, name, seal, sizeof(seal), e)) != SK_OK ||
            (ret = skf_file_read(a, name, &rd, &rdlen, e)) != SK_OK)
            goto out;
        ret = rdlen == sizeof(seal) && memcmp(rd, seal, rdlen) == 0
                  ? SK_OK
                  : sk_err_set(e, SK_EFAIL, "seal file %s read back differs", name);
        free(rd);
        rd = NULL;
        if (ret != SK_OK)
            goto out;
    }
out:
    if (ret != SK_OK)
        sk_err_wrap(e, "token %d", idx);
    X509_free(back);
    X509_free(cert);
    X509_REQ_free(req);
    EVP_PKEY_free(pub);
    skf_con_free(c);
    skf_app_free(a);
    skf_dev_free(d);
    return ret;
}

int main(int argc, char **argv)
{
    skf_lib *lib = NULL;
    EVP_PKEY *ca = NULL;
    unsigned char devkey[16];
    const char *k = getenv("SKF_FLOOR_DEVKEY");
    char *end = NULL;
    long n;
    double t0;
    sk_err e;
    int ret = 1;
    if (argc != 3) {
        fprintf(stderr, "usage: skf_floor LIBRARY N\n");
        return 2;
    }
    n = strtol(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0' || n < 1 || n > 100000) {
        fprintf(stderr, "skf_floor: N must be 1..100000\n");
        return 2;
    }
    if (k == NULL)
        k = "1234567812345678";
    if (strlen(k) != 16) {
        fprintf(stderr, "skf_floor: SKF_FLOOR_DEVKEY must be 16 bytes\n");
        return 2;
    }
    memcpy(devkey, k, 16);
    if (skf_lib_open(argv[1], &lib, &e) != SK_OK) {
        fprintf(stderr, "skf_floor: %s\n", e.msg);
        return 1;
    }
    if ((ca = EVP_PKEY_Q_keygen(NULL, NULL, "SM2")) == NULL) {
        fprintf(stderr, "skf_floor: SM2 CA key\n");
        goto out;
    }
    t0 = now();
    for (long i = 0; i < n; i++)
        if (one_token(lib, devkey, ca, (int)i, &e) != SK_OK) {
            fprintf(stderr, "skf_floor: %s\n", e.msg);
            goto out;
        }
    double dt = now() - t0;
    printf("skf floor %ld tokens in %.3f s = %.1f tokens/s\n", n, dt, (double)n / dt);
    ret = 0;
out:
    EVP_PKEY_free(ca);
    skf_lib_free(lib);
    return ret;
}
