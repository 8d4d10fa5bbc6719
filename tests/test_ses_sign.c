/* GB/T 38540 document signatures (seal/ses_sign.h): an SES_Signature made through the signer
 * callback with an SM2 key verifies over the document and its seal; a changed document, a
 * changed toSign, a signer outside the seal's certList and a key that is not the
 * certificate's are caught. A signer that signs only the digest (as an SKF device does with
 * SKF_ECCSignData) gives a signature that verifies too: the GM/T 0009 digest is right.
 *
 * test_ses_sign --make-fixture STATION OUT: for tests/sm2_seal.sh, with the SM2 CA of STATION
 * (`sealkey ca init --key-alg sm2`, passphrase in STATION/ca-pass): a software SM2 "token"
 * key OUT/org.key (PKCS#8, AES-256 under the first line of OUT/key-pass), its organisation
 * certificate OUT/org.pem issued from a CSR, and OUT/seal.esl made by the station's seal
 * maker with that certificate in its certList. */
#define _GNU_SOURCE /* memmem */
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issuer/ca/ca.h"
#include "issuer/station/station.h"
#include "seal/sealmaker.h"
#include "seal/ses.h"
#include "seal/ses_sign.h"
#include "tests/test.h"
#include "util/sk_file.h"
#include "util/sk_sm2.h"

/* A real 1x1 PNG header is all the picture check reads. */
static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0,    0,
                                    13,   'I', 'H', 'D', 'R',  0,    0,    1,    0,    0,    0,
                                    1,    0,   8,   6,   0,    0,    0,    0x5c, 0x72, 0xa8, 0x66};

static X509 *sm2_cert(EVP_PKEY *key, const char *cn)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    sk_err e;

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4711);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
    X509_set_pubkey(x, key);
    if (sk_x509_sign(x, key, &e) != SK_OK) {
        X509_free(x);
        x = NULL;
    }
    X509_NAME_free(n);
    return x;
}

static int build_seal(const sealmaker *m, X509 *holder, unsigned char **der, size_t *len, sk_err *e)
{
    char esid[SES_ESID_MAX];
    time_t now = time(NULL);
    int ret = ses_esid_new(esid, sizeof(esid), e);

    if (ret != SK_OK)
        return ret;
    ses_seal_params p = {.vid = "sealkey",
                         .es_id = esid,
                         .type = SES_TYPE_OFFICIAL,
                         .name = "测试单位有限公司",
                         .holder_cert = holder,
                         .create_date = now,
                         .valid_start = now - 60,
                         .valid_end = now + 86400L * 300,
                         .picture = png,
                         .picture_len = sizeof(png),
                         .picture_type = "PNG",
                         .width_mm = 40,
                         .height_mm = 40,
                         .uscc = "91360100MA35XXXX0X",
                         .unit_name = "测试单位有限公司"};
    return ses_seal_build(&p, m, der, len, e);
}

/* A device that signs a hash: EVP_PKEY_sign on the SM2 digest e alone. */
static int digest_sign(void *ctx, const unsigned char *msg, size_t msg_len,
                       const unsigned char digest[SES_DOC_HASH_LEN], unsigned char **sig,
                       size_t *sig_len, sk_err *e)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(ctx, NULL);
    size_t n = 0;

    (void)msg;
    (void)msg_len;
    *sig = NULL;
    if (pc == NULL || EVP_PKEY_sign_init(pc) != 1 ||
        EVP_PKEY_sign(pc, NULL, &n, digest, SES_DOC_HASH_LEN) != 1 ||
        (*sig = OPENSSL_malloc(n)) == NULL ||
        EVP_PKEY_sign(pc, *sig, &n, digest, SES_DOC_HASH_LEN) != 1) {
        EVP_PKEY_CTX_free(pc);
        OPENSSL_free(*sig);
        *sig = NULL;
        return sk_err_ossl(e, SK_ECRYPTO, "digest signing");
    }
    *sig_len = n;
    EVP_PKEY_CTX_free(pc);
    return SK_OK;
}

/* Parse der as an SES_Signature and run the seal's and the document's checks. */
static int verify(const unsigned char *der, size_t len, const unsigned char *doc_hash,
                  ses_verify_result *r)
{
    ses_signature *sg = NULL;
    ses_verify_opts o = {.name = "sig"};
    sk_err e;
    int ret = ses_signature_parse(der, len, "sig", &sg, &e);

    memset(r, 0, sizeof(*r));
    if (ret == SK_OK) {
        ses_seal_verify(sg->seal, &o, r, &e);
        ret = ses_signature_verify(sg, doc_hash, r, &e);
    }
    ses_signature_free(sg);
    return ret;
}

static void test_sign(const char *dir)
{
    char mk[PATH_MAX];
    sealmaker *m = NULL;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    X509 *cert = sm2_cert(key, "测试单位有限公司");
    X509 *stranger = sm2_cert(other, "someone else");
    unsigned char *seal = NULL, *sig = NULL, *sig2 = NULL, *none = NULL;
    size_t seal_len = 0, sig_len = 0, sig2_len = 0, none_len = 0;
    ses_signer signer;
    ses_verify_result r;
    sk_err e;
    static const char doc[] = "合同 contract text, 2026-12-01\n";

    sk_err_clear(&e);
    snprintf(mk, sizeof(mk), "%s/maker", dir);
    CHECK(key != NULL && other != NULL && cert != NULL && stranger != NULL);
    CHECK_MSG(sealmaker_init(mk, "maker pass", "Test Station", &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(sealmaker_open(mk, "maker pass", &m, &e) == SK_OK, "%s", e.msg);
    if (m == NULL || cert == NULL)
        goto out;
    CHECK_MSG(build_seal(m, cert, &seal, &seal_len, &e) == SK_OK, "%s", e.msg);

    ses_sign_params p = {.seal = seal, .seal_len = seal_len, .property = "contract.txt"};
    CHECK(EVP_Digest(doc, strlen(doc), p.doc_hash, NULL, EVP_sm3(), NULL) == 1);
    ses_signer_evp(key, cert, &signer);
    CHECK_MSG(ses_signature_build(&p, &signer, &sig, &sig_len, &e) == SK_OK, "%s", e.msg);
    CHECK(verify(sig, sig_len, p.doc_hash, &r) == SK_OK);
    for (int i = 0; i < SES_DOC_CHECK_COUNT; i++)
        CHECK_MSG(r.doc_check[i].state == SES_CHECK_PASSED, "%s: %s", r.doc_check[i].name,
                  r.doc_check[i].detail);
    /* The seal read from the signature is the one given, unchanged. */
    ses_seal *inner = NULL;
    CHECK(ses_seal_parse(sig, sig_len, "sig", &inner, &e) == SK_OK && inner != NULL &&
          inner->in_signature == 4);
    ses_seal_free(inner);

    /* Another document (one byte changed): the document check fails, nothing else. */
    unsigned char changed[SES_DOC_HASH_LEN];
    memcpy(changed, p.doc_hash, sizeof(changed));
    changed[0] ^= 1;
    CHECK(verify(sig, sig_len, changed, &r) == SK_EFAIL);
    CHECK(r.doc_check[SES_DOC_DOCUMENT].state == SES_CHECK_FAILED);
    CHECK(r.doc_check[SES_DOC_SIGNATURE].state == SES_CHECK_PASSED);
    /* No document: not failed, not verified either. */
    CHECK(verify(sig, sig_len, NULL, &r) == SK_OK && r.unverified);
    CHECK_CONTAINS(r.summary, "document NOT checked");

    /* A changed propertyInfo inside toSign: the signature no longer covers it. */
    unsigned char *t = memmem(sig, sig_len, "contract.txt", 12);
    CHECK(t != NULL);
    if (t != NULL) {
        t[0] = 'C';
        CHECK(verify(sig, sig_len, p.doc_hash, &r) == SK_EFAIL);
        CHECK(r.doc_check[SES_DOC_SIGNATURE].state == SES_CHECK_FAILED);
        t[0] = 'c';
    }

    /* A device signing only the GM/T 0009 digest makes a signature that verifies. */
    signer.sign = digest_sign;
    CHECK_MSG(ses_signature_build(&p, &signer, &sig2, &sig2_len, &e) == SK_OK, "%s", e.msg);
    CHECK(sig2 != NULL && verify(sig2, sig2_len, p.doc_hash, &r) == SK_OK);

    /* A key that is not the certificate's: refused after signing, nothing returned. */
    ses_signer_evp(other, cert, &signer);
    CHECK(ses_signature_build(&p, &signer, &none, &none_len, &e) == SK_ECRYPTO && none == NULL);
    CHECK_CONTAINS(e.msg, "does not verify");
    /* A signer whose certificate is not in the seal's certList: refused before signing. */
    ses_signer_evp(other, stranger, &signer);
    CHECK(ses_signature_build(&p, &signer, &none, &none_len, &e) == SK_EINPUT && none == NULL);
    CHECK_CONTAINS(e.msg, "not in the seal's certList");
    /* A time outside the seal's validity. */
    ses_signer_evp(key, cert, &signer);
    p.time = time(NULL) + 86400L * 400;
    CHECK(ses_signature_build(&p, &signer, &none, &none_len, &e) == SK_EINPUT && none == NULL);
    CHECK_CONTAINS(e.msg, "not at the signing time");
out:
    OPENSSL_free(seal);
    OPENSSL_free(sig);
    OPENSSL_free(sig2);
    sealmaker_free(m);
    X509_free(cert);
    X509_free(stranger);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

/* The first line of a file, without the newline. */
static int first_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    int ok = f != NULL && fgets(buf, (int)len, f) != NULL;

    if (f != NULL)
        fclose(f);
    if (ok)
        buf[strcspn(buf, "\n")] = '\0';
    return ok ? 0 : -1;
}

static int make_fixture(const char *stdir, const char *out)
{
    char path[PATH_MAX + 64], pass[256] = "", keypass[256] = "";
    station_config *st = NULL;
    ca *c = NULL;
    sealmaker *m = NULL;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    X509_REQ *req = X509_REQ_new();
    X509 *cert = NULL;
    BIO *b = NULL;
    unsigned char *seal = NULL;
    size_t seal_len = 0;
    sk_err e;
    int ret = SK_EINTERNAL;
    order o = {.number = "SM2-000001",
               .project_code = "GMSM",
               .unit_name = "测试单位有限公司",
               .uscc = "91360100MA35XXXX0X"};

    sk_err_clear(&e);
    snprintf(path, sizeof(path), "%s/ca-pass", stdir);
    if (first_line(path, pass, sizeof(pass)) != 0)
        goto out;
    snprintf(path, sizeof(path), "%s/key-pass", out);
    if (first_line(path, keypass, sizeof(keypass)) != 0)
        goto out;
    if ((ret = station_load(stdir, &st, &e)) != SK_OK ||
        (ret = ca_open(st, pass, NULL, &c, &e)) != SK_OK)
        goto out;
    const station_project *p = station_project_find(st, "GMSM");
    if (p == NULL || key == NULL || req == NULL || !X509_REQ_set_pubkey(req, key) ||
        (ret = sk_req_sign(req, key, &e)) != SK_OK ||
        (ret = ca_issue_org_cert_csr(c, p, &o, req, "8A0000000000000000000000000000A1",
                                     time(NULL) - 60, &cert, &e)) != SK_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/ca", stdir);
    if ((ret = sealmaker_open(path, pass, &m, &e)) != SK_OK ||
        (ret = build_seal(m, cert, &seal, &seal_len, &e)) != SK_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/seal.esl", out);
    if ((ret = sk_file_write_atomic(path, seal, seal_len, 0644, &e)) != SK_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/org.pem", out);
    ret = SK_EIO;
    if ((b = BIO_new_file(path, "w")) == NULL || !PEM_write_bio_X509(b, cert))
        goto out;
    BIO_free(b);
    snprintf(path, sizeof(path), "%s/org.key", out);
    if ((b = BIO_new_file(path, "w")) == NULL ||
        !PEM_write_bio_PKCS8PrivateKey(b, key, EVP_aes_256_cbc(), NULL, 0, NULL, keypass))
        goto out;
    ret = SK_OK;
out:
    if (ret != SK_OK)
        fprintf(stderr, "test_ses_sign --make-fixture: %s\n", e.msg[0] ? e.msg : "failed");
    OPENSSL_cleanse(pass, sizeof(pass));
    OPENSSL_cleanse(keypass, sizeof(keypass));
    BIO_free(b);
    OPENSSL_free(seal);
    sealmaker_free(m);
    X509_free(cert);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    ca_free(c);
    station_free(st);
    return ret;
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/sk-sessign.XXXXXX", cmd[128];

    if (argc == 4 && strcmp(argv[1], "--make-fixture") == 0)
        return make_fixture(argv[2], argv[3]);
    if (mkdtemp(dir) == NULL)
        return 2;
    test_sign(dir);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    TEST_DONE();
}
