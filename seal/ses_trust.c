/* The trust checks of a seal beyond its own signature: the holder (organisation) certificate
 * in certList must chain to a trusted CA at the check time and must not be on its issuer's
 * CRL, nor may any CA of its chain be on its issuer's. A seal bound to a revoked certificate
 * is then refused, naming the serial and the reason. */
#include "seal/ses_trust.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "seal/ses_asn1.h"
#include "util/sk_file.h"
#include "util/sk_sm2.h"

#define CRL_FILE_MAX (16u * 1024 * 1024)

void ses_set_check(ses_check *c, int state, const char *fmt, ...)
{
    va_list ap;

    c->state = state;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
}

int ses_load_store(const char *path, X509_STORE **out, sk_err *e)
{
    BIO *bio = NULL;
    X509_STORE *store = NULL;
    X509 *x = NULL;
    int n = 0, ret = SK_EINPUT;

    *out = NULL;
    if ((bio = BIO_new_file(path, "r")) == NULL) {
        ret = sk_err_ossl(e, SK_EINPUT, "%s: cannot open", path);
        goto out;
    }
    if ((store = X509_STORE_new()) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "X509_STORE_new");
        goto out;
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if ((ret = sk_sm2_cert_set_id(x, e)) != SK_OK)
            goto out;
        if (!X509_STORE_add_cert(store, x)) {
            ret = sk_err_ossl(e, SK_ECRYPTO, "%s: certificate %d", path, n + 1);
            goto out;
        }
        X509_free(x);
        x = NULL;
        n++;
    }
    ERR_clear_error(); /* the end of the file reads as "no start line" */
    if (n == 0) {
        ret = sk_err_set(e, SK_EINPUT, "%s: no PEM certificates in it", path);
        goto out;
    }
    *out = store;
    store = NULL;
    ret = SK_OK;
out:
    X509_free(x);
    X509_STORE_free(store);
    BIO_free(bio);
    return ret;
}

/* The CRLs of a file: one or more PEM CRLs, or one DER CRL. */
static int load_crls(const char *path, STACK_OF(X509_CRL) *crls, sk_err *e)
{
    unsigned char *data = NULL;
    const unsigned char *p;
    size_t len = 0;
    BIO *bio = NULL;
    X509_CRL *crl = NULL;
    int n = 0, ret;

    if ((ret = sk_file_read(path, CRL_FILE_MAX, &data, &len, e)) != SK_OK)
        goto out;
    if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s", path);
        goto out;
    }
    while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
        if (!sk_X509_CRL_push(crls, crl)) {
            ret = sk_err_ossl(e, SK_ECRYPTO, "%s", path);
            goto out;
        }
        crl = NULL;
        n++;
    }
    ERR_clear_error();
    if (n == 0) {
        p = data;
        crl = d2i_X509_CRL(NULL, &p, (long)len);
        ERR_clear_error();
        if (crl == NULL || p != data + len) {
            ret = sk_err_set(e, SK_EINPUT, "%s: not a CRL (PEM, or one DER CRL)", path);
            goto out;
        }
        if (!sk_X509_CRL_push(crls, crl)) {
            ret = sk_err_ossl(e, SK_ECRYPTO, "%s", path);
            goto out;
        }
        crl = NULL;
    }
    ret = SK_OK;
out:
    X509_CRL_free(crl);
    BIO_free(bio);
    free(data);
    return ret;
}

void ses_serial_hex(const ASN1_INTEGER *serial, char *buf, size_t len)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

    snprintf(buf, len, "%s", hex != NULL ? hex : "?");
    OPENSSL_free(hex);
    BN_free(bn);
}

void ses_asn1_time_text(const ASN1_TIME *t, char *buf, size_t len)
{
    struct tm tm;

    if (t != NULL && ASN1_TIME_to_tm(t, &tm))
        ses_time_format(timegm(&tm), buf, len);
    else
        snprintf(buf, len, "?");
}

int ses_chain_ctx(X509_STORE *store, const X509 *cert, time_t at, X509 **leaf,
                  X509_STORE_CTX **ctx, sk_err *e)
{
    int ret;

    if ((*leaf = X509_dup(cert)) == NULL || (*ctx = X509_STORE_CTX_new()) == NULL)
        return sk_err_ossl(e, SK_ECRYPTO, "cannot set up chain verification");
    if ((ret = sk_sm2_cert_set_id(*leaf, e)) != SK_OK)
        return ret;
    if (!X509_STORE_CTX_init(*ctx, store, *leaf, NULL))
        return sk_err_ossl(e, SK_ECRYPTO, "cannot set up chain verification");
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(*ctx), at);
    return SK_OK;
}

/* The commonName of a name, else its one-line form. */
static void short_name(const X509_NAME *n, char *buf, size_t len)
{
    int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
    const ASN1_STRING *cn = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)) : NULL;

    if (cn != NULL)
        snprintf(buf, len, "%.*s", ASN1_STRING_length(cn), (const char *)ASN1_STRING_get0_data(cn));
    else
        X509_NAME_oneline(n, buf, (int)len);
}

static const char *reason_name(long code)
{
    static const char *const names[] = {"unspecified", "keyCompromise", "cACompromise",
                                        "affiliationChanged", "superseded",
                                        "cessationOfOperation", "certificateHold", "(7)",
                                        "removeFromCRL", "privilegeWithdrawn", "aACompromise"};
    return code >= 0 && code < (long)(sizeof(names) / sizeof(names[0])) ? names[code] : "?";
}

static long crl_number(X509_CRL *crl)
{
    ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    long n = num != NULL ? ASN1_INTEGER_get(num) : -1;

    ASN1_INTEGER_free(num);
    return n;
}

/* The newest CRL among crls that issuer signed, or NULL. */
static X509_CRL *crl_of(STACK_OF(X509_CRL) *crls, X509 *issuer)
{
    EVP_PKEY *pub = X509_get0_pubkey(issuer);
    X509_CRL *best = NULL;

    for (int i = 0; pub != NULL && i < sk_X509_CRL_num(crls); i++) {
        X509_CRL *crl = sk_X509_CRL_value(crls, i);
        if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0 ||
            !sk_crl_verify(crl, pub)) /* an SM2 CRL with the SM2 ID */
            continue;
        if (best == NULL ||
            ASN1_TIME_compare(X509_CRL_get0_lastUpdate(crl), X509_CRL_get0_lastUpdate(best)) > 0)
            best = crl;
    }
    ERR_clear_error();
    return best;
}

/* printf onto the end of buf (cut at its end). */
static void append_note(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;

    if (used + 1 >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* Each certificate of chain (leaf first, trust anchor last) against its issuer's CRL.
 * Revoked at any time counts: a seal bound to a revoked certificate is not valid. */
static void check_chain_crls(STACK_OF(X509) *chain, STACK_OF(X509_CRL) *crls, time_t now,
                             const char *holder_serial, ses_check *rc)
{
    char issuer[256], serial[80], when[SES_TIME_TEXT], next[SES_TIME_TEXT], note[800] = "";
    char passed[1200] = "";
    int n = sk_X509_num(chain);

    if (n < 2) {
        ses_set_check(rc, SES_CHECK_PASSED,
                      "holder certificate serial %s is itself a trust anchor: no CRL applies",
                      holder_serial);
        return;
    }
    for (int i = 0; i + 1 < n; i++) {
        X509 *x = sk_X509_value(chain, i), *iss = sk_X509_value(chain, i + 1);
        X509_REVOKED *rev = NULL;
        X509_CRL *crl = crl_of(crls, iss);
        const ASN1_TIME *nu;
        char who[400];

        short_name(X509_get_subject_name(iss), issuer, sizeof(issuer));
        if (i == 0) {
            snprintf(who, sizeof(who), "holder certificate serial %s", holder_serial);
        } else {
            char cn[256];
            short_name(X509_get_subject_name(x), cn, sizeof(cn));
            ses_serial_hex(X509_get0_serialNumber(x), serial, sizeof(serial));
            snprintf(who, sizeof(who), "CA certificate %s (serial %s)", cn, serial);
        }
        if (crl == NULL) {
            if (i == 0) {
                ses_set_check(rc, SES_CHECK_SKIPPED,
                              "no CRL of %s given: holder certificate revocation NOT checked",
                              issuer);
                return;
            }
            /* Appended: a chain through a policy CA has a note per CA certificate. */
            append_note(note, sizeof(note), "; %s NOT checked (no CRL of %s)", who, issuer);
            continue;
        }
        nu = X509_CRL_get0_nextUpdate(crl);
        ses_asn1_time_text(nu, next, sizeof(next));
        if (nu == NULL || X509_cmp_time(nu, &now) < 0) {
            ses_set_check(rc, SES_CHECK_FAILED,
                          "CRL %ld of %s is out of date (next update %s has passed): %s cannot "
                          "be checked; publish a current CRL (sealkey crl)",
                          crl_number(crl), issuer, next, who);
            return;
        }
        if (X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(x)) == 1) {
            ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
            long code = reason != NULL ? ASN1_ENUMERATED_get(reason) : 0;
            ASN1_ENUMERATED_free(reason);
            ses_asn1_time_text(X509_REVOKED_get0_revocationDate(rev), when, sizeof(when));
            ses_set_check(rc, SES_CHECK_FAILED, "%s is revoked: %s since %s, on CRL %ld of %s",
                          who, reason_name(code), when, crl_number(crl), issuer);
            return;
        }
        if (i == 0)
            snprintf(passed, sizeof(passed), "%s is not on CRL %ld of %s (next update %s)", who,
                     crl_number(crl), issuer, next);
        else
            append_note(note, sizeof(note), "; %s is not on CRL %ld of %s", who, crl_number(crl),
                        issuer);
    }
    ses_set_check(rc, SES_CHECK_PASSED, "%s%s", passed, note);
}

static int rank(int state)
{
    return state == SES_CHECK_FAILED ? 2 : state == SES_CHECK_SKIPPED ? 1 : 0;
}

int ses_check_holder(const ses_seal *s, const ses_verify_opts *o, time_t at, ses_check *hc,
                     ses_check *rc, sk_err *e)
{
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509_CRL) *crls = NULL;
    STACK_OF(X509) *chain = NULL;
    X509 *leaf = NULL;
    size_t checked = 0;
    int ret = SK_OK;

    ses_set_check(rc, SES_CHECK_SKIPPED, "holder certificate NOT checked");
    if (o->holder_ca_file == NULL) {
        ses_set_check(hc, SES_CHECK_SKIPPED,
                      "no trusted CA for the holder certificate given (--holder-ca or "
                      "--station): holder certificate NOT checked");
        return SK_OK;
    }
    if ((ret = ses_load_store(o->holder_ca_file, &store, e)) != SK_OK)
        goto out;
    if ((crls = sk_X509_CRL_new_null()) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < o->n_crl_files; i++)
        if ((ret = load_crls(o->crl_files[i], crls, e)) != SK_OK)
            goto out;

    for (size_t i = 0; i < s->n_certs && hc->state != SES_CHECK_FAILED; i++) {
        char serial[80], subject[256], root[256], na[SES_TIME_TEXT];

        if (s->certs[i].x509 == NULL)
            continue;
        ses_serial_hex(X509_get0_serialNumber(s->certs[i].x509), serial, sizeof(serial));
        short_name(X509_get_subject_name(s->certs[i].x509), subject, sizeof(subject));
        X509_free(leaf);
        leaf = NULL;
        X509_STORE_CTX_free(ctx);
        ctx = NULL;
        if ((ret = ses_chain_ctx(store, s->certs[i].x509, at, &leaf, &ctx, e)) != SK_OK)
            goto out;
        if (X509_verify_cert(ctx) != 1) {
            ses_set_check(hc, SES_CHECK_FAILED,
                          "certList[%zu]: holder certificate serial %s (%s) does not chain to "
                          "%s: %s (depth %d)",
                          i, serial, subject, o->holder_ca_file,
                          X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)),
                          X509_STORE_CTX_get_error_depth(ctx));
            ses_set_check(rc, SES_CHECK_SKIPPED, "holder certificate does not chain: revocation "
                                                 "NOT checked");
            ERR_clear_error();
            break;
        }
        sk_X509_pop_free(chain, X509_free);
        chain = X509_STORE_CTX_get1_chain(ctx);
        short_name(X509_get_subject_name(sk_X509_value(chain, sk_X509_num(chain) - 1)), root,
                   sizeof(root));
        ses_asn1_time_text(X509_get0_notAfter(s->certs[i].x509), na, sizeof(na));
        ses_set_check(hc, SES_CHECK_PASSED,
                      "holder certificate serial %s (%s) chains to %s, valid until %s", serial,
                      subject, root, na);
        /* With several holders the worst revocation result stands. */
        ses_check one = {.name = rc->name};
        if (o->n_crl_files == 0)
            ses_set_check(&one, SES_CHECK_SKIPPED,
                          "no CRL given (--crl, or `sealkey crl` for --station): holder "
                          "certificate revocation NOT checked");
        else
            check_chain_crls(chain, crls, time(NULL), serial, &one);
        if (checked++ == 0 || rank(one.state) > rank(rc->state))
            *rc = one;
    }
    if (checked == 0 && hc->state != SES_CHECK_FAILED)
        ses_set_check(hc, SES_CHECK_SKIPPED,
                      "certList holds no certificate (certListType %d): holder certificate NOT "
                      "checked",
                      s->cert_list_type);
    ret = SK_OK;
out:
    X509_free(leaf);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    sk_X509_pop_free(chain, X509_free);
    return ret;
}
