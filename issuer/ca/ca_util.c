#include "issuer/ca/ca_util.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sk_file.h"

int cau_add_ext(X509 *cert, X509 *issuer, int nid, const char *value, sk_err *e)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext = NULL;
    int ret = SK_ECRYPTO;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "extension %s = '%s'", OBJ_nid2sn(nid), value);
        goto out;
    }
    if (!X509_add_ext(cert, ext, -1)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "adding extension %s", OBJ_nid2sn(nid));
        goto out;
    }
    ret = SK_OK;
out:
    X509_EXTENSION_free(ext);
    return ret;
}

int cau_name_add(X509_NAME *name, int nid, const char *value, sk_err *e)
{
    if (value == NULL || value[0] == '\0')
        return SK_OK;
    /* countryName is PrintableString by definition; the rest carry Chinese text. */
    int type = nid == NID_countryName ? MBSTRING_ASC : MBSTRING_UTF8;
    if (!X509_NAME_add_entry_by_NID(name, nid, type, (const unsigned char *)value, -1, -1, 0))
        return sk_err_ossl(e, SK_EINPUT, "subject %s = '%s'", OBJ_nid2sn(nid), value);
    return SK_OK;
}

int cau_set_serial_validity(X509 *cert, const char *serial_hex, time_t not_before, int days,
                            sk_err *e)
{
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    int ret = SK_ECRYPTO;

    if (BN_hex2bn(&bn, serial_hex) == 0 || (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "serial '%s'", serial_hex);
        goto out;
    }
    if (!X509_set_serialNumber(cert, serial) ||
        X509_time_adj_ex(X509_getm_notBefore(cert), 0, 0, &not_before) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, &not_before) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "setting serial and validity");
        goto out;
    }
    ret = SK_OK;
out:
    BN_free(bn);
    ASN1_INTEGER_free(serial);
    return ret;
}

void cau_ski_hex(X509 *cert, char *hex, size_t hexlen)
{
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
    size_t o = 0;

    hex[0] = '\0';
    if (ski == NULL)
        return;
    for (int i = 0; i < ASN1_STRING_length(ski) && o + 3 <= hexlen; i++, o += 2)
        snprintf(hex + o, hexlen - o, "%02X", ASN1_STRING_get0_data(ski)[i]);
}

int cau_keygen(sk_keyalg alg, EVP_PKEY **out, sk_err *e)
{
    *out = sk_keyalg_is_sm2(alg) ? EVP_PKEY_Q_keygen(NULL, NULL, "SM2")
           : sk_keyalg_is_ec(alg) ? EVP_EC_gen(alg == SK_KEY_EC_P384 ? "P-384" : "P-256")
                                  : EVP_RSA_gen((unsigned)sk_keyalg_rsa_bits(alg));
    if (*out == NULL)
        return sk_err_ossl(e, SK_ECRYPTO, "generating %s key", sk_keyalg_name(alg));
    return SK_OK;
}

void cau_iso_time(time_t t, char *buf, size_t len)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cau_asn1_iso(const ASN1_TIME *t, char *buf, size_t len)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
        snprintf(buf, len, "?");
        return;
    }
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cau_cert_pem(X509 *cert, char **pem, size_t *len, sk_err *e)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n;
    int ret = SK_ECRYPTO;

    *pem = NULL;
    if (b == NULL || !PEM_write_bio_X509(b, cert)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "encoding certificate");
        goto out;
    }
    n = BIO_get_mem_data(b, &p);
    *pem = malloc((size_t)n + 1);
    if (*pem == NULL) {
        ret = sk_err_set(e, SK_ECRYPTO, "out of memory");
        goto out;
    }
    memcpy(*pem, p, (size_t)n);
    (*pem)[n] = '\0';
    *len = (size_t)n;
    ret = SK_OK;
out:
    BIO_free(b);
    return ret;
}

static int put_certs(const char *path, X509 *const *certs, size_t n, int exclusive, sk_err *e)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long len;
    int ret = SK_ECRYPTO;

    if (b == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s: out of memory", path);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (!PEM_write_bio_X509(b, certs[i])) {
            ret = sk_err_ossl(e, SK_ECRYPTO, "%s: encoding certificate", path);
            goto out;
        }
    len = BIO_get_mem_data(b, &p);
    ret = exclusive ? sk_file_create_atomic(path, p, (size_t)len, 0644, e)
                    : sk_file_write_atomic(path, p, (size_t)len, 0644, e);
out:
    BIO_free(b);
    return ret;
}

int cau_write_certs(const char *path, X509 *const *certs, size_t n, sk_err *e)
{
    return put_certs(path, certs, n, 0, e);
}

int cau_create_certs(const char *path, X509 *const *certs, size_t n, sk_err *e)
{
    return put_certs(path, certs, n, 1, e);
}

char *cau_crl_dp(X509 *cert)
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    char *uri = NULL;

    for (int i = 0; dps != NULL && uri == NULL && i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (dp->distpoint == NULL || dp->distpoint->type != 0)
            continue;
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int j = 0; uri == NULL && j < sk_GENERAL_NAME_num(names); j++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(names, j);
            if (g->type == GEN_URI)
                uri = OPENSSL_strndup((const char *)ASN1_STRING_get0_data(g->d.ia5),
                                      (size_t)ASN1_STRING_length(g->d.ia5));
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return uri;
}
