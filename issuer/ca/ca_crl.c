/* Certificate revocation lists from the ledger's revocations, for the issuing CA and the
 * root, and the file names they are published under. */
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "issuer/ca/ca.h"
#include "issuer/ca/ca_util.h"
#include "util/sk_sm2.h"

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
    /* Not an operator's revocation reason: only `sealkey token hold` records it, so that
     * `revoke` cannot make a hold that nothing lifts (issuer/records/ledger.h). */
    if (strcmp(canonical, LEDGER_HOLD_REASON) == 0)
        return CRL_REASON_CERTIFICATE_HOLD;
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

/* A v2 CRL by issuer (certificate and key) listing revoked[0..n). */
static int make_crl(X509 *issuer, EVP_PKEY *key, const ledger_issuance *revoked, size_t n,
                    long long number, int days, X509_CRL **out, sk_err *e)
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
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) ||
        !X509_CRL_set1_lastUpdate(crl, now) || !X509_CRL_set1_nextUpdate(crl, next) ||
        !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "building the CRL");
        goto out;
    }
    X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
    if ((aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always")) ==
            NULL ||
        !X509_CRL_add_ext(crl, aki, -1)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "CRL authority key identifier");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if ((ret = add_revoked(crl, &revoked[i], e)) != SK_OK)
            goto out;
    if (!X509_CRL_sort(crl)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "sorting the CRL");
        goto out;
    }
    if ((ret = sk_crl_sign(crl, key, e)) != SK_OK) /* SM2 with the ID under an SM2 CA */
        goto out;
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

int ca_make_crl(ca *c, const ledger_issuance *revoked, size_t n, long long number, int days,
                X509_CRL **out, sk_err *e)
{
    return make_crl(ca_issuing_cert(c), ca_issuing_key(c), revoked, n, number, days, out, e);
}

int ca_make_root_crl(ca *c, EVP_PKEY *root_key, long long number, int days, X509_CRL **out,
                     sk_err *e)
{
    /* The station never revokes its issuing CA, so the root's CRL is empty: it is there so
     * that a verifier checking every certificate of the chain (openssl -crl_check_all) finds
     * a current CRL for the issuing CA too. */
    return make_crl(ca_root_cert(c), root_key, NULL, 0, number, days, out, e);
}

/* The last path segment of an http(s) URL, as a file name: "http://h/x/issuing.crl?v=1"
 * gives "issuing.crl". Refused when empty or not a plain name. */
static int url_file_name(const char *url, const char *field, char *buf, size_t len, sk_err *e)
{
    const char *p = strstr(url, "://"), *end, *slash;
    size_t n;

    p = p != NULL ? p + 3 : url;
    end = p + strcspn(p, "?#");
    slash = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '/')
            slash = q;
    n = slash != NULL ? (size_t)(end - slash - 1) : 0;
    if (n == 0 || n >= len || slash[1] == '.')
        goto bad;
    for (size_t i = 0; i < n; i++) {
        char ch = slash[1 + i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-' || ch == '_' || ch == '~'))
            goto bad;
    }
    memcpy(buf, slash + 1, n);
    buf[n] = '\0';
    return SK_OK;
bad:
    return sk_err_set(e, SK_EINPUT,
                      "%s: '%s' does not end in a file name (A-Z a-z 0-9 . - _ ~) to publish "
                      "the CRL under",
                      field, url);
}

int ca_crl_names_get(const station_config *st, const ca *c, ca_crl_names *out, sk_err *e)
{
    char name[CA_CRL_NAME_MAX], field[64];
    char *dp = NULL;
    int ret = SK_OK;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < st->n_projects; i++) {
        const char *url = st->projects[i].crl_url;
        size_t k;
        if (url == NULL)
            continue;
        snprintf(field, sizeof(field), "station.json: projects[%zu].crl_url", i);
        if ((ret = url_file_name(url, field, name, sizeof(name), e)) != SK_OK)
            goto out;
        for (k = 0; k < out->n_issuing && strcmp(out->issuing[k], name) != 0; k++)
            ;
        if (k < out->n_issuing)
            continue;
        if (out->n_issuing == CA_CRL_NAMES_MAX) {
            ret = sk_err_set(e, SK_EINPUT,
                             "station.json: projects: more than %d different CRL file names in "
                             "crl_url; the one issuing CA has one CRL",
                             CA_CRL_NAMES_MAX);
            goto out;
        }
        snprintf(out->issuing[out->n_issuing++], CA_CRL_NAME_MAX, "%s", name);
    }
    if (out->n_issuing == 0)
        snprintf(out->issuing[out->n_issuing++], CA_CRL_NAME_MAX, "issuing.crl");

    /* The root CRL is named as the issuing CA certificate says; a CA made before
     * ca.root_crl_url has no such extension, and then the configured URL names it. */
    if ((dp = cau_crl_dp(ca_issuing_cert(c))) != NULL) {
        out->issuing_ca_has_dp = true;
        ret = url_file_name(dp, "ca/issuing.crt: CRL distribution point", out->root,
                            sizeof(out->root), e);
    } else if (st->ca_root_crl_url != NULL) {
        ret = url_file_name(st->ca_root_crl_url, "station.json: ca.root_crl_url", out->root,
                            sizeof(out->root), e);
    } else {
        snprintf(out->root, sizeof(out->root), "root.crl");
    }
out:
    OPENSSL_free(dp);
    return ret;
}
