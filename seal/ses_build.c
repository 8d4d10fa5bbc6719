/* Writing a v4 seal: fill the templates, sign DER(eSealInfo) with the maker, encode, and read
 * the result back to prove the signed bytes are the stored ones. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "seal/sealmaker.h"
#include "seal/ses.h"
#include "seal/ses_asn1.h"

static int ascii_ok(const char *s, size_t max)
{
    size_t n = 0;

    if (s == NULL || s[0] == '\0')
        return 0;
    for (; s[n] != '\0'; n++)
        if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
            return 0;
    return n <= max;
}

static int check_params(const ses_seal_params *p, sk_err *e)
{
    if (!ascii_ok(p->vid, 64))
        return sk_err_set(e, SK_EINPUT, "seal: header.Vid must be 1..64 printable ASCII characters");
    if (!ascii_ok(p->es_id, 64))
        return sk_err_set(e, SK_EINPUT, "seal: esID must be 1..64 printable ASCII characters");
    if (p->type < 1 || p->type > 99)
        return sk_err_set(e, SK_EINPUT, "seal: property.type %ld is not 1..99", p->type);
    if (p->name == NULL || p->name[0] == '\0' || strlen(p->name) > 1024)
        return sk_err_set(e, SK_EINPUT, "seal: property.name must be 1..1024 bytes of UTF-8");
    if (p->holder_cert == NULL)
        return sk_err_set(e, SK_EINPUT, "seal: property.certList: no holder certificate");
    if (p->valid_start >= p->valid_end)
        return sk_err_set(e, SK_EINPUT, "seal: property.validStart is not before validEnd");
    if (p->picture == NULL || p->picture_len == 0 || p->picture_len > SES_MAX_FILE / 2)
        return sk_err_set(e, SK_EINPUT, "seal: picture.data is empty or larger than %u bytes",
                          SES_MAX_FILE / 2);
    if (!ascii_ok(p->picture_type, 8))
        return sk_err_set(e, SK_EINPUT, "seal: picture.type must be ASCII, e.g. PNG");
    if (p->width_mm < 1 || p->width_mm > 1000 || p->height_mm < 1 || p->height_mm > 1000)
        return sk_err_set(e, SK_EINPUT, "seal: picture size %ldx%ld mm is not 1..1000",
                          p->width_mm, p->height_mm);
    if ((p->uscc == NULL) != (p->unit_name == NULL))
        return sk_err_set(e, SK_EINPUT, "seal: extDatas: USCC and unit name go together");
    if (p->uscc != NULL && (strlen(p->uscc) != 18 || !ascii_ok(p->uscc, 18)))
        return sk_err_set(e, SK_EINPUT, "seal: extDatas: USCC '%s' is not 18 characters", p->uscc);
    return SK_OK;
}

static int set_time(ASN1_TIME **field, time_t t)
{
    /* GeneralizedTime whatever the year, as GB/T 38540 requires (ASN1_TIME_set would pick
     * UTCTime before 2050). */
    ASN1_GENERALIZEDTIME *g = ASN1_GENERALIZEDTIME_set(NULL, t);

    if (g == NULL)
        return 0;
    ASN1_TIME_free(*field);
    *field = g;
    return 1;
}

static int set_oid(ASN1_OBJECT **field, const char *oid)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);

    if (o == NULL)
        return 0;
    ASN1_OBJECT_free(*field);
    *field = o;
    return 1;
}

/* certList for certListType 1: SEQUENCE OF OCTET STRING, held as ANY (see ses_asn1.h). */
static int set_cert_list(SES_PROPERTY_V4 *pr, X509 *holder)
{
    SES_CERTS *certs = NULL;
    ASN1_OCTET_STRING *os = NULL;
    ASN1_STRING *seq = NULL;
    unsigned char *der = NULL, *list = NULL;
    int len, list_len, ok = 0;

    if ((len = i2d_X509(holder, &der)) <= 0 || (os = ASN1_OCTET_STRING_new()) == NULL ||
        !ASN1_OCTET_STRING_set(os, der, len) || (certs = sk_ASN1_STRING_new_null()) == NULL ||
        !sk_ASN1_STRING_push(certs, os))
        goto out;
    os = NULL;
    if ((list_len = i2d_SES_CERTS(certs, &list)) <= 0 || (seq = ASN1_STRING_new()) == NULL ||
        !ASN1_STRING_set(seq, list, list_len))
        goto out;
    ASN1_TYPE_set(pr->certList, V_ASN1_SEQUENCE, seq);
    seq = NULL;
    ok = 1;
out:
    OPENSSL_free(der);
    OPENSSL_free(list);
    ASN1_OCTET_STRING_free(os);
    ASN1_STRING_free(seq);
    SES_CERTS_free(certs);
    return ok;
}

static int set_unit_ext(SES_SEALINFO_V4 *si, const char *uscc, const char *unit_name)
{
    SES_EXTDATA *x = NULL;
    char *value = NULL;
    size_t n = strlen(uscc) + 1 + strlen(unit_name) + 1;
    int ok = 0;

    if ((value = malloc(n)) == NULL || snprintf(value, n, "%s+%s", uscc, unit_name) != (int)n - 1 ||
        (x = SES_EXTDATA_new()) == NULL || !set_oid(&x->extnID, SES_OID_UNIT_ID) ||
        !ASN1_OCTET_STRING_set(x->extnValue, (unsigned char *)value, (int)n - 1) ||
        (si->extDatas == NULL && (si->extDatas = sk_SES_EXTDATA_new_null()) == NULL) ||
        !sk_SES_EXTDATA_push(si->extDatas, x))
        goto out;
    x = NULL;
    ok = 1;
out:
    free(value);
    SES_EXTDATA_free(x);
    return ok;
}

static int fill_seal_info(SES_SEALINFO_V4 *si, const ses_seal_params *p)
{
    SES_PROPERTY_V4 *pr = si->property;
    SES_PICTURE *pic = si->picture;

    return ASN1_STRING_set(si->header->ID, "ES", 2) && ASN1_INTEGER_set(si->header->version, 4) &&
           ASN1_STRING_set(si->header->Vid, p->vid, -1) && ASN1_STRING_set(si->esID, p->es_id, -1) &&
           ASN1_INTEGER_set(pr->type, p->type) && ASN1_STRING_set(pr->name, p->name, -1) &&
           ASN1_INTEGER_set(pr->certListType, 1) && set_cert_list(pr, p->holder_cert) &&
           set_time(&pr->createDate, p->create_date) && set_time(&pr->validStart, p->valid_start) &&
           set_time(&pr->validEnd, p->valid_end) && ASN1_STRING_set(pic->type, p->picture_type, -1) &&
           ASN1_OCTET_STRING_set(pic->data, p->picture, (int)p->picture_len) &&
           ASN1_INTEGER_set(pic->width, p->width_mm) && ASN1_INTEGER_set(pic->height, p->height_mm) &&
           (p->uscc == NULL || set_unit_ext(si, p->uscc, p->unit_name));
}

int ses_seal_build(const ses_seal_params *p, const struct sealmaker *maker, unsigned char **der,
                   size_t *der_len, sk_err *e)
{
    SES_SEAL_V4 *seal = NULL;
    unsigned char *tbs = NULL, *sig = NULL, *cert = NULL, *out = NULL;
    size_t sig_len = 0;
    int tbs_len, cert_len, out_len, ret;
    ses_seal *back = NULL;

    *der = NULL;
    *der_len = 0;
    if ((ret = check_params(p, e)) != SK_OK)
        return ret;
    if (maker == NULL || maker->cert == NULL || maker->sign == NULL)
        return sk_err_set(e, SK_EINTERNAL, "seal: no seal maker");
    if ((seal = SES_SEAL_V4_new()) == NULL || !fill_seal_info(seal->eSealInfo, p) ||
        (tbs_len = i2d_SES_SEALINFO_V4(seal->eSealInfo, &tbs)) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "seal %s: cannot encode eSealInfo", p->es_id);
        goto out;
    }
    if ((ret = maker->sign(maker, tbs, (size_t)tbs_len, &sig, &sig_len, e)) != SK_OK) {
        sk_err_wrap(e, "seal %s", p->es_id);
        goto out;
    }
    if ((cert_len = i2d_X509(maker->cert, &cert)) <= 0 ||
        !ASN1_OCTET_STRING_set(seal->cert, cert, cert_len) ||
        !set_oid(&seal->signAlgID, SES_OID_SM2_SM3) ||
        !ASN1_BIT_STRING_set(seal->signedValue, sig, (int)sig_len)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "seal %s: cannot encode", p->es_id);
        goto out;
    }
    /* Without BITS_LEFT, OpenSSL trims trailing zero bytes off a BIT STRING and would cut the
     * signature; this says "all bits used". */
    seal->signedValue->flags &= ~0x07L;
    seal->signedValue->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    if ((out_len = i2d_SES_SEAL_V4(seal, &out)) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "seal %s: cannot encode", p->es_id);
        goto out;
    }
    if ((ret = ses_seal_parse(out, (size_t)out_len, "new seal", &back, e)) != SK_OK)
        goto out;
    if (back->signed_len != (size_t)tbs_len || memcmp(back->signed_bytes, tbs, back->signed_len) != 0 ||
        back->signature_len != sig_len || memcmp(back->signature, sig, sig_len) != 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "seal %s: encoded seal does not carry the signed bytes",
                         p->es_id);
        goto out;
    }
    *der = out;
    *der_len = (size_t)out_len;
    out = NULL;
    ret = SK_OK;
out:
    ses_seal_free(back);
    SES_SEAL_V4_free(seal);
    OPENSSL_free(tbs);
    OPENSSL_free(sig);
    OPENSSL_free(cert);
    OPENSSL_free(out);
    return ret;
}

int ses_esid_new(char *buf, size_t buflen, sk_err *e)
{
    unsigned char b[16];

    if (buflen < 33)
        return sk_err_set(e, SK_EINTERNAL, "esID buffer too small");
    if (RAND_bytes(b, sizeof(b)) != 1)
        return sk_err_ossl(e, SK_ECRYPTO, "no random bytes for the esID");
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* UUID version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(buf + 2 * i, 3, "%02x", b[i]);
    return SK_OK;
}
