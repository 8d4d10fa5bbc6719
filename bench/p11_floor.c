/* The raw PKCS#11 floor: per token only the token work an issuance needs, through the
 * module's function list and nothing else (no libp11, no sealkey layers), so the end-to-end
 * bench has a number to compare with.
 *
 *   p11_floor MODULE ALG N CERT.der
 *
 * Per token: find the free slot, C_InitToken, SO login + C_InitPIN, user login,
 * C_GenerateKeyPair (ALG: ec-p256, ec-p384, rsa-2048, rsa-3072), one C_Sign, two
 * certificate objects (CERT.der twice, as user and CA certificate), close. Between tokens
 * C_Finalize + C_Initialize, as a long-running SoftHSM personaliser must plan for; with
 * SK_FLOOR_NO_REINIT=1 it skips that (SoftHSM 2.6.1 shows the next blank slot anyway).
 * PINs are fixed test values: this is a benchmark, run it on a throwaway store only. */
#include <dlfcn.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkcs11/tok.h"
#include "util/sk_keyalg.h"

#define SO_PIN "floor-so-4711"
#define USER_PIN "floor-user-0815"

struct certdata {
    unsigned char *der, *subject, *issuer, *serial;
    int der_len, subject_len, issuer_len, serial_len;
};

#define TRY(fn, args)                                                                        \
    do {                                                                                     \
        CK_RV rv_ = f->fn args;                                                              \
        if (rv_ != CKR_OK) {                                                                 \
            fprintf(stderr, "p11_floor: token %d: %s: %s\n", idx, #fn, tok_rv_name(rv_));   \
            goto out;                                                                        \
        }                                                                                    \
    } while (0)

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_cert(const char *path, struct certdata *c)
{
    FILE *fp = fopen(path, "rb");
    X509 *x = NULL;
    int ok = 0;

    if (fp == NULL)
        return 0;
    x = d2i_X509_fp(fp, NULL);
    fclose(fp);
    if (x == NULL)
        return 0;
    c->der_len = i2d_X509(x, &c->der);
    c->subject_len = i2d_X509_NAME(X509_get_subject_name(x), &c->subject);
    c->issuer_len = i2d_X509_NAME(X509_get_issuer_name(x), &c->issuer);
    c->serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &c->serial);
    ok = c->der_len > 0 && c->subject_len > 0 && c->issuer_len > 0 && c->serial_len > 0;
    X509_free(x);
    return ok;
}

static CK_SLOT_ID *slots_with_tokens(CK_FUNCTION_LIST_PTR f, CK_ULONG *n)
{
    CK_SLOT_ID *ids = NULL;

    if (f->C_GetSlotList(CK_TRUE, NULL, n) != CKR_OK)
        return NULL;
    ids = calloc(*n + 1, sizeof(*ids));
    if (ids != NULL && f->C_GetSlotList(CK_TRUE, ids, n) != CKR_OK) {
        free(ids);
        ids = NULL;
    }
    return ids;
}

/* One token, start to finish. Returns 0 on success. */
static int one_token(CK_FUNCTION_LIST_PTR f, int idx, sk_keyalg alg, const struct certdata *c)
{
    CK_SLOT_ID *ids = NULL, slot = 0;
    CK_ULONG n = 0;
    bool found = false;
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_UTF8CHAR label[32];
    char name[33];
    unsigned char id[20], *params = NULL;
    int params_len = 0, ret = 1;
    bool ec = sk_keyalg_is_ec(alg);
    CK_ULONG bits = (CK_ULONG)sk_keyalg_rsa_bits(alg);
    static const CK_BYTE exp65537[] = {1, 0, 1};
    CK_OBJECT_HANDLE pubh, privh, certh;
    unsigned char msg[] = "to be signed", digest[SHA256_DIGEST_LENGTH], sig[512];
    CK_ULONG sig_len = sizeof(sig);
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_ULONG cat_user = 1, cat_ca = 2;

    ids = slots_with_tokens(f, &n);
    for (CK_ULONG i = 0; ids != NULL && i < n && !found; i++) {
        CK_TOKEN_INFO ti;

        if (f->C_GetTokenInfo(ids[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
            slot = ids[i];
            found = true;
        }
    }
    if (!found) {
        fprintf(stderr, "p11_floor: token %d: no blank token\n", idx);
        goto out;
    }
    snprintf(name, sizeof(name), "floor-%06d", idx);
    memset(label, ' ', sizeof(label));
    memcpy(label, name, strlen(name));
    TRY(C_InitToken, (slot, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN), label));
    TRY(C_OpenSession, (slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h));
    TRY(C_Login, (h, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, strlen(SO_PIN)));
    TRY(C_InitPIN, (h, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));
    TRY(C_Logout, (h));
    TRY(C_Login, (h, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, strlen(USER_PIN)));

    /* The template pkcs11/tok_keygen.c uses. */
    for (size_t i = 0; i < sizeof(id); i++)
        id[i] = (unsigned char)(idx * 31 + (int)i);
    if (ec)
        params_len = i2d_ASN1_OBJECT(OBJ_nid2obj(sk_keyalg_curve_nid(alg)), &params);
    CK_ATTRIBUTE pubt[] = {
        {CKA_TOKEN, &yes, 1},
        {CKA_ID, id, sizeof(id)},
        {CKA_LABEL, name, strlen(name)},
        {CKA_VERIFY, &yes, 1},
        {CKA_PRIVATE, &no, 1},
        {ec ? CKA_EC_PARAMS : CKA_MODULUS_BITS, ec ? (void *)params : (void *)&bits,
         ec ? (CK_ULONG)params_len : sizeof(bits)},
        {CKA_PUBLIC_EXPONENT, (void *)exp65537, sizeof(exp65537)},
    };
    CK_ATTRIBUTE privt[] = {
        {CKA_TOKEN, &yes, 1},         {CKA_ID, id, sizeof(id)},
        {CKA_LABEL, name, strlen(name)}, {CKA_PRIVATE, &yes, 1},
        {CKA_SENSITIVE, &yes, 1},     {CKA_EXTRACTABLE, &no, 1},
        {CKA_SIGN, &yes, 1},
    };
    CK_MECHANISM gen = {ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    TRY(C_GenerateKeyPair, (h, &gen, pubt, 7 - (ec ? 1 : 0), privt, 7, &pubh, &privh));

    /* One signature, as a CSR or seal would need: SoftHSM has no CKM_ECDSA_SHA256, so EC
     * signs a digest made here. */
    CK_MECHANISM sm = {ec ? CKM_ECDSA : CKM_SHA256_RSA_PKCS, NULL, 0};
    SHA256(msg, sizeof(msg) - 1, digest);
    TRY(C_SignInit, (h, &sm, privh));
    if (ec)
        TRY(C_Sign, (h, digest, sizeof(digest), sig, &sig_len));
    else
        TRY(C_Sign, (h, msg, sizeof(msg) - 1, sig, &sig_len));

    for (int k = 0; k < 2; k++) {
        CK_ATTRIBUTE ctmpl[] = {
            {CKA_CLASS, &cls, sizeof(cls)},
            {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
            {CKA_TOKEN, &yes, 1},
            {CKA_ID, id, k == 0 ? sizeof(id) : sizeof(id) - 1}, /* the CA's own id */
            {CKA_LABEL, name, strlen(name)},
            {CKA_SUBJECT, c->subject, (CK_ULONG)c->subject_len},
            {CKA_ISSUER, c->issuer, (CK_ULONG)c->issuer_len},
            {CKA_SERIAL_NUMBER, c->serial, (CK_ULONG)c->serial_len},
            {CKA_VALUE, c->der, (CK_ULONG)c->der_len},
            {CKA_CERTIFICATE_CATEGORY, k == 0 ? &cat_user : &cat_ca, sizeof(CK_ULONG)},
        };
        TRY(C_CreateObject, (h, ctmpl, sizeof(ctmpl) / sizeof(ctmpl[0]), &certh));
    }
    ret = 0;
out:
    if (h != CK_INVALID_HANDLE)
        f->C_CloseSession(h);
    OPENSSL_free(params);
    free(ids);
    return ret;
}

int main(int argc, char **argv)
{
    void *dl = NULL;
    CK_C_GetFunctionList getfl;
    CK_FUNCTION_LIST_PTR f = NULL;
    struct certdata c = {0};
    sk_keyalg alg;
    sk_err e;
    char *end;
    long n;
    bool reinit = getenv("SK_FLOOR_NO_REINIT") == NULL;
    bool initialized = false;
    int ret = 1, done = 0;
    double t0, t;

    if (argc != 5) {
        fprintf(stderr, "usage: p11_floor MODULE ALG N CERT.der\n");
        return 2;
    }
    if (sk_keyalg_parse(argv[2], &alg, &e) != SK_OK) {
        fprintf(stderr, "p11_floor: %s\n", e.msg);
        return 2;
    }
    if (sk_keyalg_is_sm2(alg)) {
        fprintf(stderr, "p11_floor: sm2: PKCS#11 has no SM2 mechanism (SM2 tokens are SKF)\n");
        return 2;
    }
    n = strtol(argv[3], &end, 10);
    if (*argv[3] == '\0' || *end != '\0' || n < 1 || n > 100000) {
        fprintf(stderr, "p11_floor: N must be 1..100000\n");
        return 2;
    }
    if (!read_cert(argv[4], &c)) {
        fprintf(stderr, "p11_floor: %s is not a DER certificate\n", argv[4]);
        goto out;
    }
    dl = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (dl == NULL) {
        fprintf(stderr, "p11_floor: %s\n", dlerror());
        goto out;
    }
    *(void **)&getfl = dlsym(dl, "C_GetFunctionList");
    if (getfl == NULL || getfl(&f) != CKR_OK) {
        fprintf(stderr, "p11_floor: %s: no usable C_GetFunctionList\n", argv[1]);
        goto out;
    }
    t0 = now();
    for (long i = 0; i < n; i++) {
        if (initialized && reinit) {
            f->C_Finalize(NULL);
            initialized = false;
        }
        if (!initialized) {
            CK_RV rv = f->C_Initialize(NULL);

            if (rv != CKR_OK) {
                fprintf(stderr, "p11_floor: C_Initialize: %s\n", tok_rv_name(rv));
                goto out;
            }
            initialized = true;
        }
        if (one_token(f, (int)i, alg, &c) != 0)
            goto out;
        done++;
    }
    t = now() - t0;
    printf("floor %s %d tokens in %.2f s = %.2f tokens/s%s\n", sk_keyalg_name(alg), done, t,
           done / t, reinit ? "" : " (no reinit)");
    ret = 0;
out:
    if (initialized)
        f->C_Finalize(NULL);
    if (dl != NULL)
        dlclose(dl);
    OPENSSL_free(c.der);
    OPENSSL_free(c.subject);
    OPENSSL_free(c.issuer);
    OPENSSL_free(c.serial);
    return ret;
}
