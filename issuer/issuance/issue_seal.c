#include "issuer/issuance/issue_seal.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal/pic.h"
#include "util/sk_file.h"

void issue_seal_clear(issue_seal *s)
{
    free(s->png);
    OPENSSL_free(s->der);
    memset(s, 0, sizeof(*s));
}

static void seal_kind(issue_seal *s, const char *kind, const station_project *p)
{
    bool official = strcmp(kind, "official") == 0;

    s->kind = official ? "official" : "legal-rep";
    s->type = official ? SES_TYPE_OFFICIAL : SES_TYPE_LEGAL_REP;
    s->size_mm = official ? p->official_seal_mm : p->legal_rep_seal_mm;
    snprintf(s->label, sizeof(s->label), "%s seal", s->kind);
}

int issue_seal_picture_scan(const order *o, const station_project *p, const char *kind,
                            issue_seal *s, sk_err *e)
{
    pic_opts po;
    pic_report rep;
    const char *scan;
    int ret;

    seal_kind(s, kind, p);
    scan = s->type == SES_TYPE_OFFICIAL ? o->seal_official_scan : o->seal_legal_rep_scan;
    if (scan == NULL)
        return sk_err_set(e, SK_EINPUT, "order %s: seal_scans.%s: no scan of this seal",
                          o->number, s->type == SES_TYPE_OFFICIAL ? "official" : "legal_rep");
    pic_opts_init(&po, s->type == SES_TYPE_OFFICIAL ? PIC_OFFICIAL : PIC_LEGAL_REP);
    po.size_mm = s->size_mm;
    ret = pic_convert_file(scan, &po, &s->png, &s->png_len, &rep, e);
    if (ret != SK_OK)
        return sk_err_wrap(e, "order %s: seal_scans.%s", o->number,
                           s->type == SES_TYPE_OFFICIAL ? "official" : "legal_rep");
    return SK_OK;
}

int issue_seal_pictures(const order *o, const station_project *p, issue_seal *seals, size_t *n,
                        sk_err *e)
{
    int ret;

    *n = 0;
    if ((ret = issue_seal_picture_scan(o, p, "official", &seals[0], e)) != SK_OK)
        return ret;
    *n = 1;
    if (o->seal_legal_rep_scan != NULL) {
        if ((ret = issue_seal_picture_scan(o, p, "legal-rep", &seals[1], e)) != SK_OK)
            return ret;
        *n = 2;
    }
    return SK_OK;
}

int issue_seal_picture_png(const char *kind, const station_project *p, const char *png_path,
                           issue_seal *s, sk_err *e)
{
    long w = 0, h = 0;
    char detail[256];
    int ret;

    seal_kind(s, kind, p);
    if ((ret = sk_file_read(png_path, 4u << 20, &s->png, &s->png_len, e)) != SK_OK)
        return ret;
    if (ses_picture_check("PNG", s->png, s->png_len, &w, &h, detail, sizeof(detail)) != SK_OK)
        return sk_err_set(e, SK_EINPUT, "%s: not a usable PNG picture: %s", png_path, detail);
    return SK_OK;
}

static void sha256_hex(const unsigned char *d, size_t n, char hex[65])
{
    unsigned char md[32];
    unsigned int len = 0;

    EVP_Digest(d, n, md, &len, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

int issue_seal_build(const sealmaker *maker, const order *o, X509 *cert, issue_seal *s,
                     sk_err *e)
{
    ses_seal_params sp;
    int ret;

    if ((ret = ses_esid_new(s->es_id, sizeof(s->es_id), e)) != SK_OK)
        return ret;
    memset(&sp, 0, sizeof(sp));
    sp.vid = "sealkey";
    sp.es_id = s->es_id;
    sp.type = s->type;
    sp.name = s->type == SES_TYPE_OFFICIAL ? o->unit_name : o->legal_rep_name;
    sp.holder_cert = cert;
    sp.create_date = time(NULL);
    /* The seal lives exactly as long as the certificate it is bound to. */
    {
        struct tm tb, ta;
        memset(&tb, 0, sizeof(tb));
        memset(&ta, 0, sizeof(ta));
        if (!ASN1_TIME_to_tm(X509_get0_notBefore(cert), &tb) ||
            !ASN1_TIME_to_tm(X509_get0_notAfter(cert), &ta))
            return sk_err_ossl(e, SK_ECRYPTO, "order %s: certificate validity", o->number);
        sp.valid_start = timegm(&tb);
        sp.valid_end = timegm(&ta);
    }
    sp.picture = s->png;
    sp.picture_len = s->png_len;
    sp.picture_type = "PNG";
    sp.width_mm = s->size_mm;
    sp.height_mm = s->size_mm;
    sp.uscc = o->uscc;
    sp.unit_name = o->unit_name;
    if ((ret = ses_seal_build(&sp, maker, &s->der, &s->der_len, e)) != SK_OK)
        return sk_err_wrap(e, "order %s: %s seal", o->number, s->kind);
    sha256_hex(s->der, s->der_len, s->sha256);
    return SK_OK;
}

int issue_seal_check(const char *seal_root, const unsigned char *der, size_t der_len, X509 *cert,
                     const char *what, sk_err *e)
{
    ses_seal *seal = NULL;
    ses_verify_result vr;
    ses_verify_opts vo;
    unsigned char *cder = NULL;
    int clen;
    int ret;

    if ((ret = ses_seal_parse(der, der_len, what, &seal, e)) != SK_OK)
        goto out;
    memset(&vo, 0, sizeof(vo));
    vo.name = what;
    vo.ca_file = seal_root;
    if ((ret = ses_seal_verify(seal, &vo, &vr, e)) != SK_OK)
        goto out;
    clen = i2d_X509(cert, &cder);
    if (seal->n_certs != 1 || clen <= 0 || seal->certs[0].der_len != (size_t)clen ||
        memcmp(seal->certs[0].der, cder, (size_t)clen) != 0) {
        ret = sk_err_set(e, SK_EFAIL, "%s: does not carry the order's certificate", what);
        goto out;
    }
    ret = SK_OK;
out:
    OPENSSL_free(cder);
    ses_seal_free(seal);
    return ret;
}
