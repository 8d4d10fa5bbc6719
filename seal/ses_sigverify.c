/* Reading and checking a v4 SES_Signature's document signature (seal/ses_sign.h). The seal
 * inside is parsed by ses_seal_parse from its original bytes; the signed bytes are toSign's
 * TLV as stored, found by walking the outer SEQUENCE, never re-encoded. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "seal/ses_asn1.h"
#include "seal/ses_sign.h"
#include "seal/ses_trust.h"
#include "util/sk_sm2.h"

/* The first element of the outer SEQUENCE: toSign's whole TLV. */
static int first_child(const unsigned char *der, size_t len, const unsigned char **p, size_t *plen)
{
    const unsigned char *q = der, *c;
    long clen = 0;
    int tag, cls, r;

    if (len > LONG_MAX)
        return -1;
    r = ASN1_get_object(&q, &clen, &tag, &cls, (long)len);
    if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE)
        return -1;
    c = q;
    r = ASN1_get_object(&q, &clen, &tag, &cls, (long)(len - (size_t)(c - der)));
    if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE)
        return -1;
    *p = c;
    *plen = (size_t)(q - c) + (size_t)clen;
    return 0;
}

/* DER SEQUENCE { r, s } as is; a raw 64-byte r || s (some producers) made DER. */
static int signature_der(const ASN1_BIT_STRING *bs, unsigned char **out, size_t *out_len)
{
    const unsigned char *d = ASN1_STRING_get0_data(bs), *p = d;
    int n = ASN1_STRING_length(bs), len;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, n);
    BIGNUM *r = NULL, *s = NULL;

    *out = NULL;
    if (sig == NULL || p != d + n) {
        ECDSA_SIG_free(sig);
        sig = NULL;
        if (n != 64 || (sig = ECDSA_SIG_new()) == NULL || (r = BN_bin2bn(d, 32, NULL)) == NULL ||
            (s = BN_bin2bn(d + 32, 32, NULL)) == NULL || !ECDSA_SIG_set0(sig, r, s)) {
            BN_free(r);
            BN_free(s);
            ECDSA_SIG_free(sig);
            ERR_clear_error();
            return -1;
        }
    }
    len = i2d_ECDSA_SIG(sig, out);
    ECDSA_SIG_free(sig);
    if (len <= 0)
        return -1;
    *out_len = (size_t)len;
    return 0;
}

static int dup_to(const unsigned char *p, size_t n, unsigned char **out)
{
    *out = malloc(n ? n : 1);
    if (*out == NULL)
        return -1;
    memcpy(*out, p, n);
    return 0;
}

int ses_signature_parse(const unsigned char *der, size_t len, const char *name, ses_signature **out,
                        sk_err *e)
{
    const unsigned char *p = der, *tbs = NULL, *cp;
    size_t tbs_len = 0;
    SES_SIGNATURE_V4 *v = NULL;
    ses_signature *sg = NULL;
    struct tm tm;
    int64_t version = 0;
    int ret = SK_EINPUT;

    *out = NULL;
    if (len > SES_MAX_FILE || len > LONG_MAX || first_child(der, len, &tbs, &tbs_len) != 0 ||
        (v = d2i_SES_SIGNATURE_V4(NULL, &p, (long)len)) == NULL || p != der + len) {
        ERR_clear_error();
        ret = sk_err_set(e, SK_EINPUT, "%s: not a v4 SES_Signature (GB/T 38540)", name);
        goto out;
    }
    if (!ASN1_INTEGER_get_int64(&version, v->toSign->version) || version != 4) {
        ERR_clear_error();
        ret = sk_err_set(e, SK_EINPUT, "%s: SES_Signature.toSign.version: not 4", name);
        goto out;
    }
    if ((sg = calloc(1, sizeof(*sg))) == NULL || dup_to(tbs, tbs_len, &sg->tbs) != 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
        goto out;
    }
    sg->tbs_len = tbs_len;
    if (v->toSign->eseal->type != V_ASN1_SEQUENCE) {
        ret = sk_err_set(e, SK_EINPUT, "%s: SES_Signature.toSign.eseal: not a SEQUENCE", name);
        goto out;
    }
    if ((ret = ses_seal_parse(v->toSign->eseal->value.sequence->data,
                              (size_t)v->toSign->eseal->value.sequence->length, name, &sg->seal,
                              e)) != SK_OK) {
        sk_err_wrap(e, "in SES_Signature.toSign.eseal");
        goto out;
    }
    if (!ASN1_TIME_to_tm(v->toSign->timeInfo, &tm)) {
        ERR_clear_error();
        ret = sk_err_set(e, SK_EINPUT, "%s: SES_Signature.toSign.timeInfo: not a valid time", name);
        goto out;
    }
    sg->time = timegm(&tm);
    ses_time_format(sg->time, sg->time_text, sizeof(sg->time_text));
    sg->data_hash_len = (size_t)ASN1_STRING_length(v->toSign->dataHash);
    if (dup_to(ASN1_STRING_get0_data(v->toSign->dataHash), sg->data_hash_len, &sg->data_hash) !=
            0 ||
        (sg->property = strndup((const char *)ASN1_STRING_get0_data(v->toSign->propertyInfo),
                                (size_t)ASN1_STRING_length(v->toSign->propertyInfo))) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
        goto out;
    }
    for (size_t i = 0; sg->property[i] != '\0'; i++)
        if ((unsigned char)sg->property[i] < 0x20 || (unsigned char)sg->property[i] > 0x7e)
            sg->property[i] = '?'; /* shown, never trusted: keep terminals safe */
    cp = ASN1_STRING_get0_data(v->cert);
    sg->cert_der_len = (size_t)ASN1_STRING_length(v->cert);
    if ((sg->cert = d2i_X509(NULL, &cp, (long)sg->cert_der_len)) == NULL ||
        cp != ASN1_STRING_get0_data(v->cert) + sg->cert_der_len) {
        ERR_clear_error();
        ret = sk_err_set(e, SK_EINPUT, "%s: SES_Signature.cert: not a DER certificate", name);
        goto out;
    }
    if (dup_to(ASN1_STRING_get0_data(v->cert), sg->cert_der_len, &sg->cert_der) != 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
        goto out;
    }
    if (OBJ_obj2txt(sg->sign_alg_oid, sizeof(sg->sign_alg_oid), v->signatureAlgID, 1) <= 0 ||
        signature_der(v->signature, &sg->signature, &sg->signature_len) != 0) {
        ret = sk_err_set(e, SK_EINPUT,
                         "%s: SES_Signature.signature: neither DER SEQUENCE { r, s } nor 64-byte "
                         "r || s",
                         name);
        goto out;
    }
    sg->has_time_stamp = v->timeStamp != NULL;
    *out = sg;
    sg = NULL;
    ret = SK_OK;
out:
    SES_SIGNATURE_V4_free(v);
    ses_signature_free(sg);
    return ret;
}

void ses_signature_free(ses_signature *sg)
{
    if (sg == NULL)
        return;
    ses_seal_free(sg->seal);
    free(sg->tbs);
    free(sg->data_hash);
    free(sg->property);
    X509_free(sg->cert);
    free(sg->cert_der);
    OPENSSL_free(sg->signature);
    free(sg);
}

static const char *const doc_check_names[SES_DOC_CHECK_COUNT] = {"document", "doc-sign", "signer",
                                                                 "sign-time"};

int ses_signature_verify(const ses_signature *sg, const unsigned char *doc_hash,
                         ses_verify_result *r, sk_err *e)
{
    ses_check *c = r->doc_check;
    const ses_seal *s = sg->seal;
    char subject[256], serial[80];
    int fails = 0, ret;

    r->has_doc = 1;
    for (int i = 0; i < SES_DOC_CHECK_COUNT; i++) {
        c[i].name = doc_check_names[i];
        c[i].state = SES_CHECK_SKIPPED;
        c[i].detail[0] = '\0';
    }
    /* The CN as UTF-8 (X509_NAME_oneline would escape a Chinese name into hex escapes). */
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(sg->cert), NID_commonName, subject,
                                  sizeof(subject)) <= 0)
        X509_NAME_oneline(X509_get_subject_name(sg->cert), subject, sizeof(subject));
    ses_serial_hex(X509_get0_serialNumber(sg->cert), serial, sizeof(serial));

    if (doc_hash == NULL)
        ses_set_check(&c[SES_DOC_DOCUMENT], SES_CHECK_SKIPPED,
                      "no document given: the signed document's hash NOT checked");
    else if (sg->data_hash_len != SES_DOC_HASH_LEN ||
             CRYPTO_memcmp(sg->data_hash, doc_hash, SES_DOC_HASH_LEN) != 0)
        ses_set_check(&c[SES_DOC_DOCUMENT], SES_CHECK_FAILED,
                      "the document's SM3 hash is not toSign.dataHash: not the document signed "
                      "(changed, or another one)");
    else
        ses_set_check(&c[SES_DOC_DOCUMENT], SES_CHECK_PASSED,
                      "the document's SM3 hash is toSign.dataHash");

    if (strcmp(sg->sign_alg_oid, SES_OID_SM2_SM3) != 0) {
        ses_set_check(&c[SES_DOC_SIGNATURE], SES_CHECK_FAILED,
                      "signatureAlgID %s is not SM2-with-SM3 (" SES_OID_SM2_SM3 ")",
                      sg->sign_alg_oid);
    } else {
        sk_err ve;
        ret = sk_sm2_verify(X509_get0_pubkey(sg->cert), sg->tbs, sg->tbs_len, sg->signature,
                            sg->signature_len, &ve);
        ERR_clear_error();
        if (ret == SK_OK)
            ses_set_check(&c[SES_DOC_SIGNATURE], SES_CHECK_PASSED,
                          "SM2-with-SM3 signature over toSign by %s (serial %s)", subject, serial);
        else
            ses_set_check(&c[SES_DOC_SIGNATURE], SES_CHECK_FAILED,
                          "signature over toSign does not verify with SES_Signature.cert (%s)",
                          ve.msg);
    }

    if (ses_cert_in_list(s, sg->cert_der, sg->cert_der_len))
        ses_set_check(&c[SES_DOC_SIGNER], SES_CHECK_PASSED,
                      "the signer's certificate (serial %s) is in the seal's certList", serial);
    else
        ses_set_check(&c[SES_DOC_SIGNER], SES_CHECK_FAILED,
                      "the signer's certificate (serial %s, %s) is not in the seal's certList: "
                      "signed by someone who does not hold the seal",
                      serial, subject);

    time_t t = sg->time;
    if (t < s->valid_start || t > s->valid_end)
        ses_set_check(&c[SES_DOC_TIME], SES_CHECK_FAILED,
                      "signed %s, outside the seal's validity %s .. %s", sg->time_text,
                      s->valid_start_text, s->valid_end_text);
    else if (X509_cmp_time(X509_get0_notBefore(sg->cert), &t) > 0 ||
             X509_cmp_time(X509_get0_notAfter(sg->cert), &t) < 0)
        ses_set_check(&c[SES_DOC_TIME], SES_CHECK_FAILED,
                      "signed %s, outside the signer certificate's validity", sg->time_text);
    else
        ses_set_check(&c[SES_DOC_TIME], SES_CHECK_PASSED,
                      "signed %s, within the seal's and the certificate's validity", sg->time_text);

    char msg[sizeof(e->msg)];
    size_t used = 0;
    msg[0] = '\0';
    for (int i = 0; i < SES_DOC_CHECK_COUNT; i++) {
        if (c[i].state != SES_CHECK_FAILED)
            continue;
        fails++;
        if (used < sizeof(msg)) {
            int n = snprintf(msg + used, sizeof(msg) - used, "%s%s: %s", used ? "; " : "",
                             c[i].name, c[i].detail);
            used = n < 0 ? sizeof(msg) : used + (size_t)n;
        }
    }
    r->n_failed += fails;
    if (fails > 0)
        return sk_err_set(e, SK_EFAIL, "document signature: %s", msg);
    used = strlen(r->summary);
    if (doc_hash == NULL)
        r->unverified = 1;
    snprintf(r->summary + used, sizeof(r->summary) - used, "%s%s", used ? "; " : "",
             doc_hash == NULL ? "document NOT checked (no document given)"
                              : "document signed by the seal's holder, unchanged");
    return SK_OK;
}
