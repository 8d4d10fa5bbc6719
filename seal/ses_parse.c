/* Reading a seal file into a ses_seal.
 *
 * Two passes over the same bytes, each doing one job:
 *  1. A shallow walk with ASN1_get_object over the outer SEQUENCE and its children. It tells
 *     the formats apart by structure (2 children = v1, 4 or 5 = v4/v5; a child starting with an
 *     INTEGER = an SES_Signature around a seal), rejects indefinite lengths and trailing bytes,
 *     and records where each child's TLV starts and ends. Those spans are the signed bytes:
 *     v4/v5 sign the eSealInfo TLV as stored; v1 signs SEQUENCE { SealInfo, cert, algorithm },
 *     which is not itself in the file, so only the outer header is made (ASN1_put_object) and
 *     the three TLVs are copied from the input. Nothing is decoded and re-encoded, so a seal
 *     with an explicit "critical FALSE" or other non-DER detail still verifies.
 *  2. A full decode with the OpenSSL templates (seal/ses_asn1.c), which checks every field;
 *     the values in ses_seal come from it. Both passes read the same definite-length
 *     encoding, so the spans and the decoded fields describe the same elements.
 * ASN1_SEQUENCE_enc would keep eSealInfo's bytes too, but not the v1 pieces, and the walk is
 * needed anyway to choose the template. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "seal/ses.h"
#include "seal/ses_asn1.h"
#include "util/sk_file.h"

struct span {
    const unsigned char *p; /* start of the TLV */
    size_t len;             /* whole TLV */
    int tag, cls, constructed;
    const unsigned char *content;
    size_t content_len;
};

#define MAX_KIDS 8

/* Read one TLV at p (at most avail bytes). Indefinite lengths are refused: the signed bytes
 * must be a definite encoding. */
static int tlv_read(const unsigned char *p, size_t avail, struct span *out)
{
    const unsigned char *q = p;
    long clen = 0;
    int tag = 0, cls = 0, r;

    if (avail == 0 || avail > LONG_MAX)
        return -1;
    r = ASN1_get_object(&q, &clen, &tag, &cls, (long)avail);
    if (r & 0x80)
        return -1;
    if (r == 0x21) /* constructed, indefinite length */
        return -1;
    out->p = p;
    out->content = q;
    out->content_len = (size_t)clen;
    out->len = (size_t)(q - p) + (size_t)clen;
    out->tag = tag;
    out->cls = cls;
    out->constructed = (r & V_ASN1_CONSTRUCTED) != 0;
    return 0;
}

/* The children of a constructed TLV; fails if they do not exactly fill it. */
static int tlv_children(const struct span *parent, struct span *kids, int max, int *n)
{
    const unsigned char *p = parent->content;
    size_t left = parent->content_len;

    *n = 0;
    while (left > 0) {
        if (*n == max || tlv_read(p, left, &kids[*n]) != 0)
            return -1;
        p += kids[*n].len;
        left -= kids[*n].len;
        (*n)++;
    }
    return 0;
}

/* Turn OpenSSL's template errors ("Field=validEnd, Type=SES_PROPERTY_V4" appended level by
 * level, innermost first) into "eSealInfo.property.validEnd: wrong tag". */
static int decode_error(sk_err *e, const char *name, const char *top)
{
    char path[256] = "";
    char reason[128] = "malformed";
    const char *data = NULL;
    int flags = 0;
    unsigned long err;
    const char *fields[16];
    size_t fl[16];
    int nf = 0;

    while ((err = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        const char *r = ERR_reason_error_string(err);

        if (r != NULL && strcmp(r, "nested asn1 error") != 0 && strcmp(reason, "malformed") == 0)
            snprintf(reason, sizeof(reason), "%s", r);
        if (data == NULL || !(flags & ERR_TXT_STRING))
            continue;
        for (const char *f = strstr(data, "Field="); f != NULL && nf < 16;
             f = strstr(f + 6, "Field=")) {
            fields[nf] = f + 6;
            fl[nf] = strcspn(f + 6, ",");
            nf++;
        }
    }
    snprintf(path, sizeof(path), "%s", top);
    /* The outermost field is the top-level element itself when named; skip a duplicate. */
    for (int i = nf - 1; i >= 0; i--) {
        size_t used = strlen(path);
        if (i == nf - 1 && fl[i] == strlen(top) && strncmp(fields[i], top, fl[i]) == 0)
            continue;
        snprintf(path + used, sizeof(path) - used, "%s%.*s", used ? "." : "", (int)fl[i],
                 fields[i]);
    }
    return sk_err_set(e, SK_EINPUT, "%s: %s: %s", name, path[0] ? path : "seal", reason);
}

static int dup_bytes(const unsigned char *p, size_t len, unsigned char **out)
{
    *out = malloc(len ? len : 1);
    if (*out == NULL)
        return -1;
    if (len)
        memcpy(*out, p, len);
    return 0;
}

static int get_ia5(const ASN1_STRING *a, const char *name, const char *field, char **out,
                   sk_err *e)
{
    const unsigned char *d = ASN1_STRING_get0_data(a);
    int n = ASN1_STRING_length(a);

    for (int i = 0; i < n; i++)
        if (d[i] == 0 || d[i] > 0x7e || (d[i] < 0x20 && d[i] != '\t'))
            return sk_err_set(e, SK_EINPUT, "%s: %s: byte 0x%02x at %d is not printable ASCII",
                              name, field, d[i], i);
    *out = strndup((const char *)d, (size_t)n);
    if (*out == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
    return SK_OK;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF, no NUL. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i], need, cp;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            need = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3, cp = c & 0x07;
        else
            return 0;
        if (n - i <= need)
            return 0;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += need + 1;
    }
    return 1;
}

static int get_utf8(const ASN1_STRING *a, const char *name, const char *field, char **out,
                    sk_err *e)
{
    const unsigned char *d = ASN1_STRING_get0_data(a);
    size_t n = (size_t)ASN1_STRING_length(a);

    if (!utf8_valid(d, n))
        return sk_err_set(e, SK_EINPUT, "%s: %s: not valid UTF-8", name, field);
    *out = strndup((const char *)d, n);
    if (*out == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
    return SK_OK;
}

static int get_long(const ASN1_INTEGER *a, long lo, long hi, const char *name, const char *field,
                    long *out, sk_err *e)
{
    int64_t v = 0;

    if (!ASN1_INTEGER_get_int64(&v, a) || v < lo || v > hi) {
        ERR_clear_error();
        return sk_err_set(e, SK_EINPUT, "%s: %s: out of range %ld..%ld", name, field, lo, hi);
    }
    *out = (long)v;
    return SK_OK;
}

static int get_time(const ASN1_TIME *t, const char *name, const char *field, time_t *out,
                    char *text, size_t text_len, sk_err *e)
{
    struct tm tm;

    if (!ASN1_TIME_to_tm(t, &tm)) {
        ERR_clear_error();
        return sk_err_set(e, SK_EINPUT, "%s: %s: not a valid time '%.*s'", name, field,
                          ASN1_STRING_length(t), (const char *)ASN1_STRING_get0_data(t));
    }
    *out = timegm(&tm);
    ses_time_format(*out, text, text_len);
    return SK_OK;
}

static int get_cert(const ASN1_OCTET_STRING *os, const char *name, const char *field,
                    unsigned char **der, size_t *der_len, X509 **x, sk_err *e)
{
    const unsigned char *p = ASN1_STRING_get0_data(os);
    long n = ASN1_STRING_length(os);

    *x = d2i_X509(NULL, &p, n);
    if (*x == NULL || p != ASN1_STRING_get0_data(os) + n) {
        X509_free(*x);
        *x = NULL;
        ERR_clear_error();
        return sk_err_set(e, SK_EINPUT, "%s: %s: not a DER certificate", name, field);
    }
    if (dup_bytes(ASN1_STRING_get0_data(os), (size_t)n, der) != 0)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
    *der_len = (size_t)n;
    return SK_OK;
}

/* The signature value: DER SEQUENCE { r, s }, or raw 64-byte r || s, which is converted to DER
 * because OpenSSL verifies DER. A DER value that does not re-encode to itself is not taken as
 * DER (OpenSSL would refuse it), and only then considered as raw. */
static int get_signature(const ASN1_BIT_STRING *bs, const char *name, const char *field,
                         ses_seal *s, sk_err *e)
{
    const unsigned char *d = ASN1_STRING_get0_data(bs);
    const unsigned char *p = d;
    int n = ASN1_STRING_length(bs);
    ECDSA_SIG *sig = NULL;
    BIGNUM *r = NULL, *sv = NULL;
    unsigned char *der = NULL;
    int der_len, ret = SK_EINPUT;

    if (bs->flags & ASN1_STRING_FLAG_BITS_LEFT && (bs->flags & 0x07) != 0) {
        ret = sk_err_set(e, SK_EINPUT, "%s: %s: has %ld unused bits", name, field,
                         bs->flags & 0x07);
        goto out;
    }
    sig = d2i_ECDSA_SIG(NULL, &p, n);
    if (sig != NULL && p == d + n) {
        der_len = i2d_ECDSA_SIG(sig, &der);
        if (der_len == n && memcmp(der, d, (size_t)n) == 0) {
            s->signature = der;
            s->signature_len = (size_t)der_len;
            der = NULL;
            ret = SK_OK;
            goto out;
        }
    }
    ECDSA_SIG_free(sig);
    sig = NULL;
    OPENSSL_free(der);
    der = NULL;
    ERR_clear_error();
    if (n != 64) {
        ret = sk_err_set(e, SK_EINPUT,
                         "%s: %s: %d bytes, neither DER SEQUENCE { r, s } nor 64-byte r || s",
                         name, field, n);
        goto out;
    }
    sig = ECDSA_SIG_new();
    r = BN_bin2bn(d, 32, NULL);
    sv = BN_bin2bn(d + 32, 32, NULL);
    if (sig == NULL || r == NULL || sv == NULL || !ECDSA_SIG_set0(sig, r, sv)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s: %s", name, field);
        goto out;
    }
    r = sv = NULL; /* owned by sig */
    der_len = i2d_ECDSA_SIG(sig, &der);
    if (der_len <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s: %s", name, field);
        goto out;
    }
    s->signature = der;
    s->signature_len = (size_t)der_len;
    s->signature_was_raw = 1;
    der = NULL;
    ret = SK_OK;
out:
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(sig);
    OPENSSL_free(der);
    return ret;
}

static int get_exts(const STACK_OF(SES_EXTDATA) *sk, const char *name, const char *top,
                    ses_seal *s, sk_err *e)
{
    int n = sk_SES_EXTDATA_num(sk);

    if (n <= 0)
        return SK_OK;
    s->exts = calloc((size_t)n, sizeof(*s->exts));
    if (s->exts == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
    for (int i = 0; i < n; i++) {
        const SES_EXTDATA *x = sk_SES_EXTDATA_value(sk, i);
        ses_ext *o = &s->exts[s->n_exts];

        if (OBJ_obj2txt(o->oid, sizeof(o->oid), x->extnID, 1) <= 0 ||
            strlen(o->oid) >= sizeof(o->oid) - 1)
            return sk_err_set(e, SK_EINPUT, "%s: %s.extDatas[%d].extnID: unreadable", name, top,
                              i);
        o->critical = x->critical > 0;
        if (dup_bytes(ASN1_STRING_get0_data(x->extnValue),
                      (size_t)ASN1_STRING_length(x->extnValue), &o->value) != 0)
            return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
        o->value_len = (size_t)ASN1_STRING_length(x->extnValue);
        s->n_exts++;
    }
    return SK_OK;
}

/* Header, esID and picture: the same in every version. */
static int get_common(const SES_HEADER *h, const ASN1_IA5STRING *es_id, const SES_PICTURE *pic,
                      const char *name, const char *top, ses_seal *s, sk_err *e)
{
    char field[96];
    long v = 0;
    int ret;

    snprintf(field, sizeof(field), "%s.header.ID", top);
    if ((ret = get_ia5(h->ID, name, field, &s->header_id, e)) != SK_OK)
        return ret;
    if (strcmp(s->header_id, "ES") != 0)
        return sk_err_set(e, SK_EINPUT, "%s: %s: is '%s', expected 'ES'", name, field,
                          s->header_id);
    snprintf(field, sizeof(field), "%s.header.version", top);
    if ((ret = get_long(h->version, 0, 1000, name, field, &v, e)) != SK_OK)
        return ret;
    s->header_version = (int)v;
    snprintf(field, sizeof(field), "%s.header.Vid", top);
    if ((ret = get_ia5(h->Vid, name, field, &s->vid, e)) != SK_OK)
        return ret;
    snprintf(field, sizeof(field), "%s.esID", top);
    if ((ret = get_ia5(es_id, name, field, &s->es_id, e)) != SK_OK)
        return ret;
    snprintf(field, sizeof(field), "%s.picture.type", top);
    if ((ret = get_ia5(pic->type, name, field, &s->picture_type, e)) != SK_OK)
        return ret;
    if (dup_bytes(ASN1_STRING_get0_data(pic->data), (size_t)ASN1_STRING_length(pic->data),
                  &s->picture) != 0)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
    s->picture_len = (size_t)ASN1_STRING_length(pic->data);
    snprintf(field, sizeof(field), "%s.picture.width", top);
    if ((ret = get_long(pic->width, 0, 100000, name, field, &s->width_mm, e)) != SK_OK)
        return ret;
    snprintf(field, sizeof(field), "%s.picture.height", top);
    return get_long(pic->height, 0, 100000, name, field, &s->height_mm, e);
}

static int get_dates(const ASN1_TIME *c, const ASN1_TIME *vs, const ASN1_TIME *ve,
                     const char *name, const char *top, ses_seal *s, sk_err *e)
{
    char field[96];
    int ret;

    snprintf(field, sizeof(field), "%s.property.createDate", top);
    if ((ret = get_time(c, name, field, &s->create_date, s->create_text,
                        sizeof(s->create_text), e)) != SK_OK)
        return ret;
    snprintf(field, sizeof(field), "%s.property.validStart", top);
    if ((ret = get_time(vs, name, field, &s->valid_start, s->valid_start_text,
                        sizeof(s->valid_start_text), e)) != SK_OK)
        return ret;
    snprintf(field, sizeof(field), "%s.property.validEnd", top);
    return get_time(ve, name, field, &s->valid_end, s->valid_end_text, sizeof(s->valid_end_text),
                    e);
}

static int get_octet_certs(const STACK_OF(ASN1_STRING) *list, const char *name, const char *top,
                           ses_seal *s, sk_err *e)
{
    int n = sk_ASN1_STRING_num(list);
    char field[96];
    int ret;

    if (n <= 0)
        return SK_OK;
    s->certs = calloc((size_t)n, sizeof(*s->certs));
    if (s->certs == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
    for (int i = 0; i < n; i++) {
        ses_cert_ref *c = &s->certs[s->n_certs];

        snprintf(field, sizeof(field), "%s.property.certList[%d]", top, i);
        ret = get_cert(sk_ASN1_STRING_value(list, i), name, field, &c->der, &c->der_len, &c->x509,
                       e);
        s->n_certs++; /* counted even on failure, so ses_seal_free releases what was made */
        if (ret != SK_OK)
            return ret;
    }
    return SK_OK;
}

static int get_digests(const STACK_OF(SES_CERTDIGEST) *list, const char *name, const char *top,
                       ses_seal *s, sk_err *e)
{
    int n = sk_SES_CERTDIGEST_num(list);
    char field[96];
    int ret;

    if (n <= 0)
        return SK_OK;
    s->certs = calloc((size_t)n, sizeof(*s->certs));
    if (s->certs == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
    for (int i = 0; i < n; i++) {
        const SES_CERTDIGEST *d = sk_SES_CERTDIGEST_value(list, i);
        ses_cert_ref *c = &s->certs[s->n_certs++];

        snprintf(field, sizeof(field), "%s.property.certList[%d].type", top, i);
        if ((ret = get_ia5(d->type, name, field, &c->digest_type, e)) != SK_OK)
            return ret;
        if (dup_bytes(ASN1_STRING_get0_data(d->value), (size_t)ASN1_STRING_length(d->value),
                      &c->der) != 0)
            return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
        c->der_len = (size_t)ASN1_STRING_length(d->value);
    }
    return SK_OK;
}

static int get_cert_list_v4(const SES_PROPERTY_V4 *pr, const char *name, const char *top,
                            ses_seal *s, sk_err *e)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    SES_CERTS *certs = NULL;
    SES_CERTDIGESTS *digests = NULL;
    char field[96];
    long t = 0;
    int len, ret;

    snprintf(field, sizeof(field), "%s.property.certListType", top);
    if ((ret = get_long(pr->certListType, 1, 2, name, field, &t, e)) != SK_OK)
        goto out;
    s->cert_list_type = (int)t;
    snprintf(field, sizeof(field), "%s.property.certList", top);
    /* ANY keeps a SEQUENCE as its whole original encoding, so this is the file's bytes. */
    if (pr->certList->type != V_ASN1_SEQUENCE || (len = i2d_ASN1_TYPE(pr->certList, &der)) <= 0) {
        ret = sk_err_set(e, SK_EINPUT, "%s: %s: not a SEQUENCE OF", name, field);
        goto out;
    }
    p = der;
    if (t == 1) {
        certs = d2i_SES_CERTS(NULL, &p, len);
        if (certs == NULL || p != der + len) {
            ret = decode_error(e, name, field);
            goto out;
        }
        ret = get_octet_certs(certs, name, top, s, e);
    } else {
        digests = d2i_SES_CERTDIGESTS(NULL, &p, len);
        if (digests == NULL || p != der + len) {
            ret = decode_error(e, name, field);
            goto out;
        }
        ret = get_digests(digests, name, top, s, e);
    }
out:
    OPENSSL_free(der);
    SES_CERTS_free(certs);
    SES_CERTDIGESTS_free(digests);
    return ret;
}

static int get_maker(const ASN1_OCTET_STRING *cert, const ASN1_OBJECT *alg,
                     const ASN1_BIT_STRING *sig, const char *name, const char *top,
                     const char *alg_name, const char *sig_name, ses_seal *s, sk_err *e)
{
    char field[96];
    int ret;

    snprintf(field, sizeof(field), "%s.cert", top);
    if ((ret = get_cert(cert, name, field, &s->maker_der, &s->maker_der_len, &s->maker_cert, e)) !=
        SK_OK)
        return ret;
    if (OBJ_obj2txt(s->sign_alg_oid, sizeof(s->sign_alg_oid), alg, 1) <= 0 ||
        strlen(s->sign_alg_oid) >= sizeof(s->sign_alg_oid) - 1)
        return sk_err_set(e, SK_EINPUT, "%s: %s.%s: unreadable", name, top, alg_name);
    snprintf(field, sizeof(field), "%s.%s", top, sig_name);
    return get_signature(sig, name, field, s, e);
}

static int parse_v4(const unsigned char *der, size_t len, const struct span *kids, int nkids,
                    const char *name, ses_seal *s, sk_err *e)
{
    const unsigned char *p = der;
    SES_SEAL_V4 *v = NULL;
    const SES_SEALINFO_V4 *si;
    const SES_PROPERTY_V4 *pr;
    int ret;

    v = d2i_SES_SEAL_V4(NULL, &p, (long)len);
    if (v == NULL || p != der + len) {
        ret = decode_error(e, name, "SESeal");
        goto out;
    }
    si = v->eSealInfo;
    pr = si->property;
    s->format_version = 4;
    if ((ret = get_common(si->header, si->esID, si->picture, name, "eSealInfo", s, e)) != SK_OK)
        goto out;
    if (s->header_version == 5 || v->timeStamp != NULL)
        s->format_version = 5;
    s->has_time_stamp = v->timeStamp != NULL;
    if ((ret = get_long(pr->type, 0, 1000000, name, "eSealInfo.property.type", &s->type, e)) !=
            SK_OK ||
        (ret = get_utf8(pr->name, name, "eSealInfo.property.name", &s->name, e)) != SK_OK ||
        (ret = get_cert_list_v4(pr, name, "eSealInfo", s, e)) != SK_OK ||
        (ret = get_dates(pr->createDate, pr->validStart, pr->validEnd, name, "eSealInfo", s, e)) !=
            SK_OK ||
        (ret = get_exts(si->extDatas, name, "eSealInfo", s, e)) != SK_OK ||
        (ret = get_maker(v->cert, v->signAlgID, v->signedValue, name, "SESeal", "signAlgID",
                         "signedValue", s, e)) != SK_OK)
        goto out;
    (void)nkids;
    if (dup_bytes(kids[0].p, kids[0].len, &s->signed_bytes) != 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
        goto out;
    }
    s->signed_len = kids[0].len;
    ret = SK_OK;
out:
    SES_SEAL_V4_free(v);
    return ret;
}

/* v1 signs SEQUENCE { SES_SealInfo, cert, signatureAlgorithm }: the header is new, the three
 * element encodings are the file's own. */
static int v1_signed_bytes(const struct span *seal_info, const struct span *sign_info,
                           const char *name, ses_seal *s, sk_err *e)
{
    struct span kids[MAX_KIDS];
    size_t content;
    int n, total;
    unsigned char *p;

    if (tlv_children(sign_info, kids, MAX_KIDS, &n) != 0 || n != 3)
        return sk_err_set(e, SK_EINPUT, "%s: signInfo: expected 3 elements", name);
    content = seal_info->len + kids[0].len + kids[1].len;
    if (content > INT_MAX / 2)
        return sk_err_set(e, SK_EINPUT, "%s: esealInfo: too large", name);
    total = ASN1_object_size(1, (int)content, V_ASN1_SEQUENCE);
    if (total <= 0 || (s->signed_bytes = malloc((size_t)total)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
    p = s->signed_bytes;
    ASN1_put_object(&p, 1, (int)content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    memcpy(p, seal_info->p, seal_info->len);
    p += seal_info->len;
    memcpy(p, kids[0].p, kids[0].len);
    p += kids[0].len;
    memcpy(p, kids[1].p, kids[1].len);
    p += kids[1].len;
    s->signed_len = (size_t)(p - s->signed_bytes);
    if (s->signed_len != (size_t)total)
        return sk_err_set(e, SK_EINTERNAL, "%s: signed bytes: length mismatch", name);
    return SK_OK;
}

static int parse_v1(const unsigned char *der, size_t len, const struct span *kids,
                    const char *name, ses_seal *s, sk_err *e)
{
    const unsigned char *p = der;
    SES_SEAL_V1 *v = NULL;
    const SES_SEALINFO_V1 *si;
    const SES_PROPERTY_V1 *pr;
    int ret;

    v = d2i_SES_SEAL_V1(NULL, &p, (long)len);
    if (v == NULL || p != der + len) {
        ret = decode_error(e, name, "SESeal");
        goto out;
    }
    si = v->esealInfo;
    pr = si->property;
    s->format_version = 1;
    s->cert_list_type = 1;
    if ((ret = get_common(si->header, si->esID, si->picture, name, "esealInfo", s, e)) != SK_OK)
        goto out;
    if ((ret = get_long(pr->type, 0, 1000000, name, "esealInfo.property.type", &s->type, e)) !=
            SK_OK ||
        (ret = get_utf8(pr->name, name, "esealInfo.property.name", &s->name, e)) != SK_OK ||
        (ret = get_octet_certs(pr->certList, name, "esealInfo", s, e)) != SK_OK ||
        (ret = get_dates(pr->createDate, pr->validStart, pr->validEnd, name, "esealInfo", s, e)) !=
            SK_OK ||
        (ret = get_exts(si->extDatas != NULL ? si->extDatas : si->extDatas0, name, "esealInfo", s,
                        e)) != SK_OK ||
        (ret = get_maker(v->signInfo->cert, v->signInfo->signatureAlgorithm,
                         v->signInfo->signData, name, "signInfo", "signatureAlgorithm",
                         "signData", s, e)) != SK_OK)
        goto out;
    if (si->extDatas != NULL && si->extDatas0 != NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s: esealInfo.extDatas: present twice", name);
        goto out;
    }
    ret = v1_signed_bytes(&kids[0], &kids[1], name, s, e);
out:
    SES_SEAL_V1_free(v);
    return ret;
}

/* The eseal inside an SES_Signature's toSign, as its original bytes. */
static int unwrap_signature(const unsigned char *der, size_t len, int nkids, const char *name,
                            unsigned char **seal, size_t *seal_len, sk_err *e)
{
    const unsigned char *p = der;
    SES_SIGNATURE_V4 *v4 = NULL;
    SES_SIGNATURE_V1 *v1 = NULL;
    const ASN1_TYPE *es;
    int ret;

    if (nkids == 2) {
        v1 = d2i_SES_SIGNATURE_V1(NULL, &p, (long)len);
        if (v1 == NULL || p != der + len) {
            ret = decode_error(e, name, "SES_Signature");
            goto out;
        }
        es = v1->toSign->eseal;
    } else {
        v4 = d2i_SES_SIGNATURE_V4(NULL, &p, (long)len);
        if (v4 == NULL || p != der + len) {
            ret = decode_error(e, name, "SES_Signature");
            goto out;
        }
        es = v4->toSign->eseal;
    }
    if (es->type != V_ASN1_SEQUENCE) {
        ret = sk_err_set(e, SK_EINPUT, "%s: SES_Signature.toSign.eseal: not a SEQUENCE", name);
        goto out;
    }
    if (dup_bytes(es->value.sequence->data, (size_t)es->value.sequence->length, seal) != 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
        goto out;
    }
    *seal_len = (size_t)es->value.sequence->length;
    ret = SK_OK;
out:
    SES_SIGNATURE_V4_free(v4);
    SES_SIGNATURE_V1_free(v1);
    return ret;
}

static int parse_any(const unsigned char *der, size_t len, const char *name, int depth,
                     ses_seal **out, sk_err *e)
{
    struct span top, kids[MAX_KIDS], first[MAX_KIDS];
    int nkids = 0, nfirst = 0, ret;
    ses_seal *s = NULL;
    unsigned char *inner = NULL;
    size_t inner_len = 0;

    *out = NULL;
    if (tlv_read(der, len, &top) != 0 || top.tag != V_ASN1_SEQUENCE ||
        top.cls != V_ASN1_UNIVERSAL || !top.constructed) {
        ret = sk_err_set(e, SK_EINPUT, "%s: not a DER SEQUENCE (truncated, or not a seal file)",
                         name);
        goto out;
    }
    if (top.len != len) {
        ret = sk_err_set(e, SK_EINPUT, "%s: %zu bytes of trailing data after the seal", name,
                         len - top.len);
        goto out;
    }
    if (tlv_children(&top, kids, MAX_KIDS, &nkids) != 0 || (nkids != 2 && nkids != 4 && nkids != 5) ||
        kids[0].tag != V_ASN1_SEQUENCE || !kids[0].constructed ||
        tlv_children(&kids[0], first, MAX_KIDS, &nfirst) != 0 || nfirst == 0) {
        ret = sk_err_set(e, SK_EINPUT,
                         "%s: not a seal: expected SEQUENCE { SEQUENCE, ... } with 2 (v1) or "
                         "4-5 (v4/v5) elements",
                         name);
        goto out;
    }
    if (first[0].tag == V_ASN1_INTEGER && first[0].cls == V_ASN1_UNIVERSAL) {
        /* toSign starts with its version: an SES_Signature wrapping the seal. */
        if (depth > 0) {
            ret = sk_err_set(e, SK_EINPUT, "%s: SES_Signature inside an SES_Signature", name);
            goto out;
        }
        if ((ret = unwrap_signature(der, len, nkids, name, &inner, &inner_len, e)) != SK_OK)
            goto out;
        if ((ret = parse_any(inner, inner_len, name, depth + 1, &s, e)) != SK_OK) {
            sk_err_wrap(e, "in SES_Signature.toSign.eseal");
            goto out;
        }
        s->in_signature = nkids == 2 ? 1 : 4;
        ret = SK_OK;
        goto out;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", name);
        goto out;
    }
    if (nkids == 2)
        ret = parse_v1(der, len, kids, name, s, e);
    else
        ret = parse_v4(der, len, kids, nkids, name, s, e);
out:
    free(inner);
    if (ret != SK_OK) {
        ses_seal_free(s);
        s = NULL;
    }
    *out = s;
    return ret;
}

int ses_seal_parse(const unsigned char *der, size_t len, const char *name_for_errors,
                   ses_seal **out, sk_err *e)
{
    const char *name = name_for_errors != NULL ? name_for_errors : "seal";

    if (len > SES_MAX_FILE) {
        *out = NULL;
        return sk_err_set(e, SK_EINPUT, "%s: %zu bytes, the limit is %u", name, len,
                          SES_MAX_FILE);
    }
    return parse_any(der, len, name, 0, out, e);
}

int ses_seal_read_file(const char *path, ses_seal **out, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int ret;

    *out = NULL;
    if ((ret = sk_file_read(path, SES_MAX_FILE, &data, &len, e)) != SK_OK)
        return ret;
    ret = ses_seal_parse(data, len, path, out, e);
    free(data);
    return ret;
}

void ses_seal_free(ses_seal *s)
{
    if (s == NULL)
        return;
    free(s->header_id);
    free(s->vid);
    free(s->es_id);
    free(s->name);
    for (size_t i = 0; i < s->n_certs; i++) {
        free(s->certs[i].der);
        X509_free(s->certs[i].x509);
        free(s->certs[i].digest_type);
    }
    free(s->certs);
    free(s->picture_type);
    free(s->picture);
    for (size_t i = 0; i < s->n_exts; i++)
        free(s->exts[i].value);
    free(s->exts);
    X509_free(s->maker_cert);
    free(s->maker_der);
    free(s->signed_bytes);
    OPENSSL_free(s->signature);
    free(s);
}
