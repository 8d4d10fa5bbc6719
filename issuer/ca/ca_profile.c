/* The organisation signing-certificate profile (ca_issue_org_cert in issuer/ca/ca.h). */
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "issuer/ca/ca.h"
#include "issuer/ca/ca_util.h"
#include "util/sk_sm2.h"

int ca_org_subject(const station_project *p, const order *o, X509_NAME **out, sk_err *e)
{
    X509_NAME *name = X509_NAME_new();
    int ret = SK_ECRYPTO;

    *out = NULL;
    if (name == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
        goto out;
    }
    if ((ret = cau_name_add(name, NID_countryName, "CN", e)) != SK_OK ||
        (ret = cau_name_add(name, NID_stateOrProvinceName, p->province, e)) != SK_OK ||
        (ret = cau_name_add(name, NID_localityName, p->locality, e)) != SK_OK ||
        (ret = cau_name_add(name, NID_organizationName, o->unit_name, e)) != SK_OK ||
        (ret = cau_name_add(name, NID_organizationIdentifier, o->uscc, e)) != SK_OK ||
        (ret = cau_name_add(name, NID_commonName, o->unit_name, e)) != SK_OK) {
        sk_err_wrap(e, "order %s: subject", o->number);
        goto out;
    }
    *out = name;
    name = NULL;
    ret = SK_OK;
out:
    X509_NAME_free(name);
    return ret;
}

static int add_subject(X509 *cert, const station_project *p, const order *o, sk_err *e)
{
    X509_NAME *name = NULL;
    int ret = ca_org_subject(p, o, &name, e);

    if (ret == SK_OK && !X509_set_subject_name(cert, name))
        ret = sk_err_ossl(e, SK_ECRYPTO, "setting subject");
    X509_NAME_free(name);
    return ret;
}

static int add_urls(X509 *cert, X509 *issuer, const station_project *p, sk_err *e)
{
    char buf[1200];
    int ret = SK_OK;

    if (p->crl_url != NULL) {
        if (snprintf(buf, sizeof(buf), "URI:%s", p->crl_url) >= (int)sizeof(buf))
            return sk_err_set(e, SK_EINPUT, "project %s: crl_url too long", p->code);
        if ((ret = cau_add_ext(cert, issuer, NID_crl_distribution_points, buf, e)) != SK_OK)
            return ret;
    }
    if (p->ca_issuers_url != NULL || p->ocsp_url != NULL) {
        int n = snprintf(buf, sizeof(buf), "%s%s%s%s%s",
                         p->ocsp_url ? "OCSP;URI:" : "", p->ocsp_url ? p->ocsp_url : "",
                         p->ocsp_url && p->ca_issuers_url ? "," : "",
                         p->ca_issuers_url ? "caIssuers;URI:" : "",
                         p->ca_issuers_url ? p->ca_issuers_url : "");
        if (n < 0 || n >= (int)sizeof(buf))
            return sk_err_set(e, SK_EINPUT, "project %s: AIA URLs too long", p->code);
        ret = cau_add_ext(cert, issuer, NID_info_access, buf, e);
    }
    return ret;
}

int ca_leaf_validity(const ca *c, const station_project *p, time_t not_before,
                     time_t *not_after, bool *capped, sk_err *e)
{
    struct tm tm;
    time_t ca_end, want = not_before + (time_t)p->validity_days * 86400;
    time_t min_days = p->validity_days < CA_LEAF_MIN_DAYS ? p->validity_days : CA_LEAF_MIN_DAYS;
    char end[32];

    memset(&tm, 0, sizeof(tm));
    if (!ASN1_TIME_to_tm(X509_get0_notAfter(ca_issuing_cert(c)), &tm))
        return sk_err_ossl(e, SK_ECRYPTO, "ca/issuing.crt: unreadable notAfter");
    ca_end = timegm(&tm);
    *capped = want > ca_end;
    *not_after = *capped ? ca_end : want;
    if (*not_after - not_before < min_days * 86400) {
        cau_iso_time(ca_end, end, sizeof(end));
        return sk_err_set(e, SK_ESTATE,
                          "project %s: the issuing CA expires %s, leaving under %lld days for a "
                          "certificate of validity_days %d; renew the CA (sealkey ca init on a "
                          "new station) before issuing",
                          p->code, end, (long long)min_days, p->validity_days);
    }
    return SK_OK;
}

int ca_issue_org_cert(ca *c, const station_project *p, const order *o, EVP_PKEY *subject_key,
                      const char *serial_hex, time_t not_before, X509 **out, sk_err *e)
{
    return ca_issue_org_cert_ku(c, p, o, subject_key, serial_hex, not_before,
                                "critical,digitalSignature,nonRepudiation", out, e);
}

int ca_issue_org_cert_ku(ca *c, const station_project *p, const order *o, EVP_PKEY *subject_key,
                         const char *serial_hex, time_t not_before, const char *key_usage,
                         X509 **out, sk_err *e)
{
    X509 *cert = X509_new();
    X509 *issuer = ca_issuing_cert(c);
    time_t not_after;
    bool capped;
    int ret = SK_ECRYPTO;

    *out = NULL;
    if ((ret = ca_leaf_validity(c, p, not_before, &not_after, &capped, e)) != SK_OK) {
        sk_err_wrap(e, "order %s", o->number);
        goto out;
    }
    if (cert == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
        goto out;
    }
    if (!X509_set_version(cert, X509_VERSION_3) ||
        !X509_set_issuer_name(cert, X509_get_subject_name(issuer)) ||
        !X509_set_pubkey(cert, subject_key)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "building certificate");
        goto out;
    }
    if ((ret = cau_set_serial_validity(cert, serial_hex, not_before, p->validity_days, e)) !=
            SK_OK ||
        (ret = add_subject(cert, p, o, e)) != SK_OK)
        goto out;
    /* Never beyond the issuing CA: a certificate outliving its issuer fails path validation
     * after the CA expires, so it ends with it (the ledger records this notAfter). */
    if (capped && !X509_set1_notAfter(cert, X509_get0_notAfter(issuer))) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "order %s: capping notAfter", o->number);
        goto out;
    }
    if ((ret = cau_add_ext(cert, issuer, NID_basic_constraints, "critical,CA:FALSE", e)) !=
            SK_OK ||
        (ret = cau_add_ext(cert, issuer, NID_key_usage, key_usage, e)) != SK_OK ||
        (ret = cau_add_ext(cert, issuer, NID_subject_key_identifier, "hash", e)) != SK_OK ||
        (ret = cau_add_ext(cert, issuer, NID_authority_key_identifier, "keyid:always", e)) !=
            SK_OK ||
        (ret = add_urls(cert, issuer, p, e)) != SK_OK)
        goto out;
    /* SM2-with-SM3 and the SM2 ID under an SM2 CA (GM/T 0015), SHA-256 otherwise. */
    if ((ret = sk_x509_sign(cert, ca_issuing_key(c), e)) != SK_OK) {
        sk_err_wrap(e, "order %s: signing the certificate with the CA key", o->number);
        goto out;
    }
    *out = cert;
    cert = NULL;
    ret = SK_OK;
out:
    X509_free(cert);
    return ret;
}
