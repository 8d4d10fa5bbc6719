/* The OCSP index (issuer/ca/ca_ocsp.h): openssl ca's index.txt, six tab-separated fields
 *   V|R  expiry  revoked-at[,reason]  serial  "unknown"  subject
 * with times as ASN.1 UTCTime (YYMMDDHHMMSSZ; GeneralizedTime from 2050), the serial in
 * upper-case hex as BN_bn2hex prints it (which is how `openssl ocsp` looks it up) and the
 * subject in X509_NAME_oneline form (control and non-ASCII bytes escaped, so no tab or line
 * break can reach the file). */
#include "issuer/ca/ca_ocsp.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/ca/ca_util.h"

/* A ledger time "YYYY-MM-DDTHH:MM:SSZ" as the index writes it. */
static int index_time(const char *iso, char *out, size_t len, sk_err *e)
{
    int y, mo, d, h, mi, s;

    if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s) != 6)
        return sk_err_set(e, SK_EINTERNAL, "ledger: revocation time '%s' is not ISO 8601 UTC", iso);
    if (y >= 1950 && y < 2050)
        snprintf(out, len, "%02d%02d%02d%02d%02d%02dZ", y % 100, mo, d, h, mi, s);
    else
        snprintf(out, len, "%04d%02d%02d%02d%02d%02dZ", y, mo, d, h, mi, s);
    return SK_OK;
}

/* The revocation field: time, then the reason; a hold needs its instruction (openssl ca's
 * unpack_revinfo refuses certificateHold without one). */
static int revinfo(const ledger_issuance *r, char *out, size_t len, sk_err *e)
{
    char t[32];
    int ret;

    if ((ret = index_time(r->revoked_at, t, sizeof(t), e)) != SK_OK)
        return ret;
    if (r->revocation_reason[0] == '\0')
        snprintf(out, len, "%s", t);
    else if (strcmp(r->revocation_reason, "certificateHold") == 0)
        snprintf(out, len, "%s,certificateHold,holdInstructionReject", t);
    else
        snprintf(out, len, "%s,%s", t, r->revocation_reason);
    return SK_OK;
}

/* The line of one issuance with a certificate, appended to b. */
static int index_line(BIO *b, const ledger_issuance *r, X509 *cert, sk_err *e)
{
    const ASN1_TIME *na = X509_get0_notAfter(cert);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *serial = bn != NULL ? BN_bn2hex(bn) : NULL;
    char *subject = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
    char rev[96] = "";
    bool revoked = r->revoked_at[0] != '\0';
    int ret = SK_ECRYPTO;

    if (serial == NULL || subject == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "issuance %lld: reading its certificate", r->id);
        goto out;
    }
    if (revoked && (ret = revinfo(r, rev, sizeof(rev), e)) != SK_OK)
        goto out;
    if (BIO_printf(b, "%s\t%.*s\t%s\t%s\tunknown\t%s\n", revoked ? "R" : "V",
                   ASN1_STRING_length(na), (const char *)ASN1_STRING_get0_data(na), rev, serial,
                   subject) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
        goto out;
    }
    ret = SK_OK;
out:
    OPENSSL_free(subject);
    OPENSSL_free(serial);
    BN_free(bn);
    return ret;
}

static int cert_from_pem(const char *pem, X509 **out)
{
    BIO *b = BIO_new_mem_buf(pem, -1);

    *out = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    return *out != NULL;
}

int ca_ocsp_index(ledger *l, X509 *issuing, char **text, size_t *len, ca_ocsp_counts *n, sk_err *e)
{
    ledger_issuance *v = NULL;
    size_t nv = 0;
    char issuer_id[64], *pem = NULL, *data;
    BIO *b = BIO_new(BIO_s_mem());
    X509 *cert = NULL;
    long blen;
    int ret;

    *text = NULL;
    *len = 0;
    memset(n, 0, sizeof(*n));
    if (b == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
        goto out;
    }
    cau_ski_hex(issuing, issuer_id, sizeof(issuer_id));
    if ((ret = ledger_list(l, NULL, &v, &nv, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < nv; i++) {
        if (strcmp(v[i].issuer_id, issuer_id) != 0)
            continue;
        /* A failed issuance that signed a certificate is revoked (ledger.h); one that did
         * not has no certificate to answer for. */
        if (v[i].step == ISS_FAILED && v[i].revoked_at[0] == '\0')
            continue;
        if ((ret = ledger_cert_pem(l, v[i].id, &pem, e)) != SK_OK)
            goto out;
        if (pem == NULL)
            continue;
        if (!cert_from_pem(pem, &cert)) {
            ret = sk_err_set(e, SK_EINPUT,
                             "ledger: issuance %lld (order %s): its certificate "
                             "is not PEM",
                             v[i].id, v[i].order_number);
            goto out;
        }
        if ((ret = index_line(b, &v[i], cert, e)) != SK_OK)
            goto out;
        if (v[i].revoked_at[0] != '\0')
            n->revoked++;
        else
            n->good++;
        X509_free(cert);
        cert = NULL;
        free(pem);
        pem = NULL;
    }
    blen = BIO_get_mem_data(b, &data);
    if ((*text = malloc((size_t)blen + 1)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    memcpy(*text, data, (size_t)blen);
    (*text)[blen] = '\0';
    *len = (size_t)blen;
    ret = SK_OK;
out:
    X509_free(cert);
    free(pem);
    free(v);
    BIO_free(b);
    return ret;
}
