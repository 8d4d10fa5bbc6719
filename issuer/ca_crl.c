/* Certificate revocation lists from the ledger's revocations. */
#include <openssl/x509v3.h>
#include <string.h>

#include "issuer/ca.h"
#include "issuer/ca_util.h"

static const struct {
    const char *name;
    const char *alias;
    int code;
} reasons[] = {
    {"unspecified", NULL, CRL_REASON_UNSPECIFIED},
    {"keyCompromise", "lost", CRL_REASON_KEY_COMPROMISE},
    {"affiliationChanged", NULL, CRL_REASON_AFFILIATION_CHANGED},
    {"superseded", "faulty", CRL_REASON_SUPERSEDED},
    {"cessationOfOperation", "closed", CRL_REASON_CESSATION_OF_OPERATION},
};

int ca_revocation_reason(const char *name, const char **canonical, sk_err *e)
{
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (strcmp(name, reasons[i].name) == 0 ||
            (reasons[i].alias != NULL && strcmp(name, reasons[i].alias) == 0)) {
            *canonical = reasons[i].name;
            return SK_OK;
        }
    }
    return sk_err_set(e, SK_EINPUT,
                      "revocation reason '%s' is not one of lost (keyCompromise), faulty "
                      "(superseded), closed (cessationOfOperation), affiliationChanged, "
                      "unspecified",
                      name);
}

static int reason_code(const char *canonical)
{
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (strcmp(canonical, reasons[i].name) == 0)
            return reasons[i].code;
    return CRL_REASON_UNSPECIFIED;
}

static int add_revoked(X509_CRL *crl, const ledger_issuance *r, sk_err *e)
{
    X509_REVOKED *rev = X509_REVOKED_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial = NULL;
    ASN1_TIME *when = NULL;
    ASN1_ENUMERATED *reason = NULL;
    struct tm tm;
    int ret = SK_ECRYPTO;

    memset(&tm, 0, sizeof(tm));
    if (sscanf(r->revoked_at, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
        ret = sk_err_set(e, SK_ELEDGER, "order %s: revocation time '%s' is unreadable",
                         r->order_number, r->revoked_at);
        goto out;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    if (rev == NULL || BN_hex2bn(&bn, r->cert_serial) == 0 ||
        (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
        (when = ASN1_TIME_adj(NULL, timegm(&tm), 0, 0)) == NULL ||
        (reason = ASN1_ENUMERATED_new()) == NULL ||
        !ASN1_ENUMERATED_set(reason, reason_code(r->revocation_reason)) ||
        !X509_REVOKED_set_serialNumber(rev, serial) || !X509_REVOKED_set_revocationDate(rev, when) ||
        !X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "CRL entry for order %s (serial %s)", r->order_number,
                          r->cert_serial);
        goto out;
    }
    if (!X509_CRL_add0_revoked(crl, rev)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "adding CRL entry");
        goto out;
    }
    rev = NULL;
    ret = SK_OK;
out:
    X509_REVOKED_free(rev);
    BN_free(bn);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(when);
    ASN1_ENUMERATED_free(reason);
    return ret;
}

int ca_make_crl(ca *c, const ledger_issuance *revoked, size_t n, long long number, int days,
                X509_CRL **out, sk_err *e)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *now = NULL, *next = NULL;
    ASN1_INTEGER *num = NULL;
    X509V3_CTX ctx;
    X509_EXTENSION *aki = NULL;
    int ret = SK_ECRYPTO;

    *out = NULL;
    if (crl == NULL || (now = ASN1_TIME_adj(NULL, time(NULL), 0, 0)) == NULL ||
        (next = ASN1_TIME_adj(NULL, time(NULL), days, 0)) == NULL ||
        (num = ASN1_INTEGER_new()) == NULL || !ASN1_INTEGER_set_int64(num, number) ||
        !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_issuing_cert(c))) ||
        !X509_CRL_set1_lastUpdate(crl, now) || !X509_CRL_set1_nextUpdate(crl, next) ||
        !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "building the CRL");
        goto out;
    }
    X509V3_set_ctx(&ctx, ca_issuing_cert(c), NULL, NULL, crl, 0);
    if ((aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always")) ==
            NULL ||
        !X509_CRL_add_ext(crl, aki, -1)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "CRL authority key identifier");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if ((ret = add_revoked(crl, &revoked[i], e)) != SK_OK)
            goto out;
    if (!X509_CRL_sort(crl) || !X509_CRL_sign(crl, ca_issuing_key(c), EVP_sha256())) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "signing the CRL");
        goto out;
    }
    *out = crl;
    crl = NULL;
    ret = SK_OK;
out:
    X509_EXTENSION_free(aki);
    X509_CRL_free(crl);
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    ASN1_INTEGER_free(num);
    return ret;
}
