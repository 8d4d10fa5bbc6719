/* The read-back of an SKF token (the "verified" step): what is on the device is exactly what
 * the issuance wrote, and the device can seal a document: a test document is signed on it
 * (SES_Signature through ses_signer + skf_sign) and verified, and a tampered copy is refused.
 * The document and its signature are left in the order's out directory for an independent
 * check (docs/skf.md, "Issuance"). */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/issuance/issue_int.h"
#include "seal/ses_sign.h"
#include "util/sk_file.h"

static bool name_in(const char *name, const char *const *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, want[i]) == 0)
            return true;
    return false;
}

/* names (from the device) must be exactly want: nothing missing, nothing more. */
static int exactly(char **names, size_t n, const char *const *want, size_t n_want,
                   const char *what, sk_err *e)
{
    for (size_t i = 0; i < n; i++)
        if (!name_in(names[i], want, n_want))
            return sk_err_set(e, SK_EFAIL, "read-back: unexpected %s '%s' on the device", what,
                              names[i]);
    for (size_t i = 0; i < n_want; i++)
        if (!name_in(want[i], (const char *const *)names, n))
            return sk_err_set(e, SK_EFAIL, "read-back: %s '%s' missing on the device", what,
                              want[i]);
    return SK_OK;
}

static int check_cert(skf_con *c, bool sign, X509 *cert, sk_err *e)
{
    X509 *back = NULL;
    EVP_PKEY *pub = NULL;
    const char *what = sign ? "signing" : "encryption";
    int ret;

    if ((ret = skf_export_cert(c, sign, &back, e)) != SK_OK ||
        (ret = skf_get_public_key(c, sign, &pub, e)) != SK_OK)
        goto out;
    if (X509_cmp(back, cert) != 0)
        ret = sk_err_set(e, SK_EFAIL, "read-back: the %s certificate on the device is not the "
                         "one issued", what);
    else if (EVP_PKEY_eq(pub, X509_get0_pubkey(cert)) != 1)
        ret = sk_err_set(e, SK_EFAIL, "read-back: the device's %s key is not the %s "
                         "certificate's", what, what);
out:
    X509_free(back);
    EVP_PKEY_free(pub);
    return ret;
}

static int check_file(skf_app *a, const char *name, const unsigned char *want, size_t want_len,
                      unsigned char **got, size_t *got_len, sk_err *e)
{
    int ret = skf_file_read(a, name, got, got_len, e);

    if (ret != SK_OK)
        return ret;
    if (*got_len != want_len || memcmp(*got, want, want_len) != 0)
        return sk_err_set(e, SK_EFAIL, "read-back: file '%s' on the device differs from what "
                          "was written", name);
    return SK_OK;
}

static int check_ca_file(skf_app *a, const char *name, X509 *cert, sk_err *e)
{
    unsigned char *der = NULL, *got = NULL;
    size_t got_len = 0;
    int len = i2d_X509(cert, &der), ret;

    if (len <= 0)
        return sk_err_ossl(e, SK_ECRYPTO, "encoding %s", name);
    ret = check_file(a, name, der, (size_t)len, &got, &got_len, e);
    OPENSSL_free(der);
    free(got);
    return ret;
}

/* ses_signer over the device: skf_sign makes e = SM3(Z || msg) itself and checks the
 * signature against the container's public key. */
static int device_sign(void *ctx, const unsigned char *msg, size_t msg_len,
                       const unsigned char digest[SES_DOC_HASH_LEN], unsigned char **sig,
                       size_t *sig_len, sk_err *e)
{
    (void)digest;
    return skf_sign((skf_con *)ctx, NULL, msg, msg_len, sig, sig_len, e);
}

void issue_skf_signer(skf_con *c, X509 *cert, ses_signer *out)
{
    out->cert = cert;
    out->sign = device_sign;
    out->ctx = c;
}

/* Seal a test document on the device with the official seal, verify it, and refuse it
 * against a changed document; leave both in out_dir. */
static int seal_test(const issue_env *env, skf_con *c, X509 *cert, const issue_seal *seal,
                     const char *out_dir, sk_err *e)
{
    char doc[256], path[4096];
    int doc_len;
    ses_sign_params sp;
    ses_signer signer;
    ses_signature *sg = NULL;
    ses_verify_result vr;
    unsigned char *der = NULL;
    size_t der_len = 0;
    sk_err ve;
    int ret;

    memset(&sp, 0, sizeof(sp));
    doc_len = snprintf(doc, sizeof(doc), "sealkey acceptance test: seal %s, certificate of %s\n",
                       seal->es_id, seal->kind);
    if (EVP_Digest(doc, (size_t)doc_len, sp.doc_hash, NULL, EVP_sm3(), NULL) != 1)
        return sk_err_ossl(e, SK_ECRYPTO, "SM3 of the test document");
    sp.seal = seal->der;
    sp.seal_len = seal->der_len;
    sp.property = "acceptance-test.txt";
    issue_skf_signer(c, cert, &signer);
    if ((ret = ses_signature_build(&sp, &signer, &der, &der_len, e)) != SK_OK) {
        sk_err_wrap(e, "acceptance test: sealing a document on the device");
        goto out;
    }
    if ((ret = ses_signature_parse(der, der_len, "acceptance test", &sg, e)) != SK_OK)
        goto out;
    memset(&vr, 0, sizeof(vr));
    if ((ret = ses_signature_verify(sg, sp.doc_hash, &vr, e)) != SK_OK) {
        sk_err_wrap(e, "acceptance test: the document sealed on the device does not verify");
        goto out;
    }
    /* A changed document must not verify with that signature. */
    sp.doc_hash[0] ^= 1;
    memset(&vr, 0, sizeof(vr));
    sk_err_clear(&ve);
    if (ses_signature_verify(sg, sp.doc_hash, &vr, &ve) == SK_OK) {
        ret = sk_err_set(e, SK_EFAIL, "acceptance test: a changed document verified with the "
                         "device's signature");
        goto out;
    }
    if ((ret = sk_path_join(path, sizeof(path), out_dir, "acceptance-test.txt", e)) != SK_OK ||
        (ret = sk_file_write_atomic(path, (const unsigned char *)doc, (size_t)doc_len, 0644, e)) !=
            SK_OK ||
        (ret = sk_path_join(path, sizeof(path), out_dir, "acceptance-test.sig", e)) != SK_OK ||
        (ret = sk_file_write_atomic(path, der, der_len, 0644, e)) != SK_OK)
        goto out;
    (void)env;
out:
    ses_signature_free(sg);
    OPENSSL_free(der);
    return ret;
}

int issue_skf_verify(const issue_env *env, skf_dev *d, skf_app *a, skf_con *c, X509 *cert, X509 *enc_cert,
                     const issue_seal *seals, size_t n_seals, const char *out_dir, sk_err *e)
{
    const char *apps_want[] = {ISSUE_SKF_APP};
    const char *cons_want[] = {ISSUE_SKF_CON};
    const char *files_want[2 + ISSUE_MAX_SEALS] = {ISSUE_SKF_CA_ISSUING, ISSUE_SKF_CA_ROOT};
    char seal_names[ISSUE_MAX_SEALS][64];
    char **names = NULL;
    size_t n = 0;
    unsigned char *got = NULL;
    size_t got_len = 0;
    int ret;

    for (size_t i = 0; i < n_seals; i++) {
        snprintf(seal_names[i], sizeof(seal_names[i]), "%s.esl", seals[i].kind);
        files_want[2 + i] = seal_names[i];
    }
    if ((ret = skf_app_list(d, &names, &n, e)) != SK_OK ||
        (ret = exactly(names, n, apps_want, 1, "application", e)) != SK_OK)
        goto out;
    skf_names_free(names, n);
    names = NULL;
    if ((ret = skf_con_list(a, &names, &n, e)) != SK_OK ||
        (ret = exactly(names, n, cons_want, 1, "container", e)) != SK_OK)
        goto out;
    skf_names_free(names, n);
    names = NULL;
    if ((ret = skf_file_list(a, &names, &n, e)) != SK_OK ||
        (ret = exactly(names, n, files_want, 2 + n_seals, "file", e)) != SK_OK)
        goto out;
    if ((ret = check_cert(c, true, cert, e)) != SK_OK ||
        (enc_cert != NULL && (ret = check_cert(c, false, enc_cert, e)) != SK_OK) ||
        (ret = ca_verify_cert(env->ca, cert, e)) != SK_OK ||
        (enc_cert != NULL && (ret = ca_verify_cert(env->ca, enc_cert, e)) != SK_OK) ||
        (ret = check_ca_file(a, ISSUE_SKF_CA_ISSUING, ca_issuing_cert(env->ca), e)) != SK_OK ||
        (ret = check_ca_file(a, ISSUE_SKF_CA_ROOT, ca_root_cert(env->ca), e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < n_seals; i++) {
        if ((ret = check_file(a, seal_names[i], seals[i].der, seals[i].der_len, &got, &got_len,
                              e)) != SK_OK ||
            (ret = issue_seal_check(env->seal_root, got, got_len, cert, seal_names[i], e)) !=
                SK_OK)
            goto out;
        free(got);
        got = NULL;
    }
    if (n_seals > 0)
        ret = seal_test(env, c, cert, &seals[0], out_dir, e);
out:
    free(got);
    skf_names_free(names, n);
    return ret;
}
