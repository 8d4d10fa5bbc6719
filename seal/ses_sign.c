/* Making a v4 SES_Signature (seal/ses_sign.h): TBS_Sign around the stored seal, signed through
 * the signer callback, encoded, read back and verified before it is returned. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "seal/ses_asn1.h"
#include "seal/ses_sign.h"
#include "util/sk_file.h"
#include "util/sk_sm2.h"

static int evp_sign(void *ctx, const unsigned char *msg, size_t msg_len,
                    const unsigned char digest[SES_DOC_HASH_LEN], unsigned char **sig,
                    size_t *sig_len, sk_err *e)
{
    (void)digest; /* EVP_DigestSign computes Z and the digest itself */
    return sk_sm2_sign(ctx, msg, msg_len, sig, sig_len, e);
}

void ses_signer_evp(EVP_PKEY *key, X509 *cert, ses_signer *out)
{
    out->cert = cert;
    out->sign = evp_sign;
    out->ctx = key;
}

int ses_doc_hash_file(const char *path, unsigned char out[SES_DOC_HASH_LEN], sk_err *e)
{
    /* The document comes from the operator: a FIFO or device must not stall the signing. */
    FILE *f = NULL;
    int fd = -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char buf[65536];
    unsigned int len = 0;
    size_t n;
    int ret = SK_ECRYPTO;

    if (sk_file_open_regular(path, 0, &fd, NULL, e) != SK_OK) {
        ret = sk_err_wrap(e, "%s: cannot open the document", path);
        goto out;
    }
    if ((f = fdopen(fd, "rb")) == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s: cannot open the document", path);
        goto out;
    }
    fd = -1;
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sm3(), NULL) != 1) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SM3");
        goto out;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        if (EVP_DigestUpdate(md, buf, n) != 1) {
            ret = sk_err_ossl(e, SK_ECRYPTO, "SM3");
            goto out;
        }
    if (ferror(f)) {
        ret = sk_err_set(e, SK_EINPUT, "%s: cannot read the document", path);
        goto out;
    }
    if (EVP_DigestFinal_ex(md, out, &len) != 1 || len != SES_DOC_HASH_LEN) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SM3");
        goto out;
    }
    ret = SK_OK;
out:
    if (f != NULL)
        fclose(f);
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(md);
    return ret;
}

static int property_ok(const char *s)
{
    size_t n = 0;

    if (s == NULL || s[0] == '\0')
        return 0;
    for (; s[n] != '\0'; n++)
        if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
            return 0;
    return n <= 255;
}

/* Is the certificate (DER) in the seal's certList? certListType 1 compares the certificates,
 * 2 the digests under the algorithm the list names. */
int ses_cert_in_list(const ses_seal *s, const unsigned char *der, size_t der_len)
{
    for (size_t i = 0; i < s->n_certs; i++) {
        const ses_cert_ref *c = &s->certs[i];
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        const EVP_MD *alg;

        if (c->x509 != NULL) {
            if (c->der_len == der_len && CRYPTO_memcmp(c->der, der, der_len) == 0)
                return 1;
            continue;
        }
        alg = c->digest_type != NULL ? EVP_get_digestbyname(c->digest_type) : NULL;
        if (alg != NULL && EVP_Digest(der, der_len, md, &mdlen, alg, NULL) == 1 &&
            mdlen == c->der_len && CRYPTO_memcmp(md, c->der, mdlen) == 0)
            return 1;
    }
    ERR_clear_error();
    return 0;
}

/* What must hold before anything is signed. */
static int check_before(const ses_sign_params *p, const ses_signer *signer, time_t t,
                        const unsigned char *cert_der, size_t cert_len, sk_err *e)
{
    ses_seal *s = NULL;
    char when[SES_TIME_TEXT];
    int ret;

    ses_time_format(t, when, sizeof(when));
    if (!property_ok(p->property))
        return sk_err_set(e, SK_EINPUT,
                          "propertyInfo '%s': must be 1..255 printable ASCII "
                          "characters",
                          p->property != NULL ? p->property : "");
    if (!sk_sm2_is_key(X509_get0_pubkey(signer->cert))) {
        ERR_clear_error();
        return sk_err_set(e, SK_EINPUT,
                          "the signer's certificate does not hold an SM2 key: "
                          "GB/T 38540 signatures are SM2-with-SM3");
    }
    if ((ret = ses_seal_parse(p->seal, p->seal_len, "seal", &s, e)) != SK_OK)
        return ret;
    if (s->in_signature != 0 || s->format_version == 1) {
        ret = sk_err_set(e, SK_EINPUT, "seal: a v4 SESeal is needed, this is %s",
                         s->in_signature ? "an SES_Signature" : "a v1 seal");
        goto out;
    }
    if (!ses_cert_in_list(s, cert_der, cert_len)) {
        ret = sk_err_set(e, SK_EINPUT,
                         "seal %s: the signer's certificate is not in the seal's certList: "
                         "only the seal's holder may sign with it",
                         s->es_id);
        goto out;
    }
    if (t < s->valid_start || t > s->valid_end) {
        ret = sk_err_set(e, SK_EINPUT, "seal %s: valid %s .. %s, not at the signing time %s",
                         s->es_id, s->valid_start_text, s->valid_end_text, when);
        goto out;
    }
    if (X509_cmp_time(X509_get0_notBefore(signer->cert), &t) > 0 ||
        X509_cmp_time(X509_get0_notAfter(signer->cert), &t) < 0) {
        ret = sk_err_set(e, SK_EINPUT,
                         "the signer's certificate is not valid at the signing "
                         "time %s",
                         when);
        goto out;
    }
    ret = SK_OK;
out:
    ses_seal_free(s);
    return ret;
}

static int fill_tbs(SES_TBS_SIGN_V4 *tbs, const ses_sign_params *p, time_t t)
{
    ASN1_STRING *seq = ASN1_STRING_new();
    ASN1_GENERALIZEDTIME *g = ASN1_GENERALIZEDTIME_set(NULL, t);

    if (seq == NULL || g == NULL || !ASN1_STRING_set(seq, p->seal, (int)p->seal_len)) {
        ASN1_STRING_free(seq);
        ASN1_GENERALIZEDTIME_free(g);
        return 0;
    }
    /* eseal is ANY: the seal's own bytes go in unchanged. */
    ASN1_TYPE_set(tbs->eseal, V_ASN1_SEQUENCE, seq);
    ASN1_TIME_free(tbs->timeInfo);
    tbs->timeInfo = g;
    if (!ASN1_INTEGER_set(tbs->version, 4) ||
        !ASN1_BIT_STRING_set(tbs->dataHash, (unsigned char *)p->doc_hash, SES_DOC_HASH_LEN) ||
        !ASN1_STRING_set(tbs->propertyInfo, p->property, -1))
        return 0;
    /* All bits used: without it OpenSSL trims trailing zero bytes off a BIT STRING. */
    tbs->dataHash->flags &= ~0x07L;
    tbs->dataHash->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    return 1;
}

int ses_signature_build(const ses_sign_params *p, const ses_signer *signer, unsigned char **der,
                        size_t *der_len, sk_err *e)
{
    SES_SIGNATURE_V4 *sg = NULL;
    ses_signature *back = NULL;
    unsigned char *cert = NULL, *tbs = NULL, *sig = NULL, *out = NULL;
    unsigned char digest[SES_DOC_HASH_LEN];
    size_t sig_len = 0;
    int cert_len, tbs_len, out_len, ret;
    time_t t = p->time != 0 ? p->time : time(NULL);
    ses_verify_result r;

    *der = NULL;
    *der_len = 0;
    if (signer == NULL || signer->cert == NULL || signer->sign == NULL)
        return sk_err_set(e, SK_EINTERNAL, "SES_Signature: no signer");
    if ((cert_len = i2d_X509(signer->cert, &cert)) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "the signer's certificate");
        goto out;
    }
    if ((ret = check_before(p, signer, t, cert, (size_t)cert_len, e)) != SK_OK)
        goto out;
    if ((sg = SES_SIGNATURE_V4_new()) == NULL || !fill_tbs(sg->toSign, p, t) ||
        (tbs_len = i2d_SES_TBS_SIGN_V4(sg->toSign, &tbs)) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SES_Signature: cannot encode toSign");
        goto out;
    }
    if ((ret = sk_sm2_digest(X509_get0_pubkey(signer->cert), tbs, (size_t)tbs_len, digest, e)) !=
            SK_OK ||
        (ret = signer->sign(signer->ctx, tbs, (size_t)tbs_len, digest, &sig, &sig_len, e)) !=
            SK_OK) {
        sk_err_wrap(e, "SES_Signature");
        goto out;
    }
    ASN1_OBJECT_free(sg->signatureAlgID);
    if ((sg->signatureAlgID = OBJ_txt2obj(SES_OID_SM2_SM3, 1)) == NULL ||
        !ASN1_OCTET_STRING_set(sg->cert, cert, cert_len) ||
        !ASN1_BIT_STRING_set(sg->signature, sig, (int)sig_len)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SES_Signature: cannot encode");
        goto out;
    }
    sg->signature->flags &= ~0x07L;
    sg->signature->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    if ((out_len = i2d_SES_SIGNATURE_V4(sg, &out)) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SES_Signature: cannot encode");
        goto out;
    }
    /* Read back: the stored toSign must be the signed bytes, and the signature must verify
     * with the certificate (a signer whose key is not the certificate's stops here). */
    if ((ret = ses_signature_parse(out, (size_t)out_len, "new SES_Signature", &back, e)) != SK_OK)
        goto out;
    if (back->tbs_len != (size_t)tbs_len || memcmp(back->tbs, tbs, back->tbs_len) != 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "SES_Signature: encoded toSign is not the signed one");
        goto out;
    }
    memset(&r, 0, sizeof(r));
    if (ses_signature_verify(back, p->doc_hash, &r, e) != SK_OK) {
        ret = sk_err_set(e, SK_ECRYPTO,
                         "SES_Signature: the signature made does not verify (%s: %s); is the "
                         "key the certificate's?",
                         r.doc_check[SES_DOC_SIGNATURE].name != NULL ? "signature" : "check",
                         r.doc_check[SES_DOC_SIGNATURE].detail);
        goto out;
    }
    *der = out;
    *der_len = (size_t)out_len;
    out = NULL;
    ret = SK_OK;
out:
    ses_signature_free(back);
    SES_SIGNATURE_V4_free(sg);
    OPENSSL_free(cert);
    OPENSSL_free(tbs);
    OPENSSL_free(sig);
    OPENSSL_free(out);
    return ret;
}
