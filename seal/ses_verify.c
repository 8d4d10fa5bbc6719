/* Verifying a parsed seal: every check runs and reports, so a user sees all that is wrong
 * at once; the return value and e carry the first failure. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "seal/ses.h"
#include "seal/ses_asn1.h"
#include "seal/ses_trust.h"

static const char *const check_names[SES_CHECK_COUNT] = {
    "signature", "validity", "maker-cert", "chain", "picture", "holder", "revocation"};

static int check_signature(const ses_seal *s, const char *sig_field, ses_check *c, sk_err *e)
{
    ASN1_OBJECT *obj = NULL;
    int nid, md_nid = NID_undef, pk_nid = NID_undef;
    const EVP_MD *md;
    EVP_PKEY *key = X509_get0_pubkey(s->maker_cert);
    sk_err tmp;
    int ret;

    obj = OBJ_txt2obj(s->sign_alg_oid, 1);
    nid = obj != NULL ? OBJ_obj2nid(obj) : NID_undef;
    ASN1_OBJECT_free(obj);
    if (nid == NID_undef || !OBJ_find_sigid_algs(nid, &md_nid, &pk_nid) ||
        (md = EVP_get_digestbynid(md_nid)) == NULL) {
        ERR_clear_error();
        ses_set_check(c, SES_CHECK_FAILED, "signature algorithm %s is not supported", s->sign_alg_oid);
        return SK_OK;
    }
    if (key == NULL) {
        ERR_clear_error();
        ses_set_check(c, SES_CHECK_FAILED, "maker certificate has no usable public key");
        return SK_OK;
    }
    if (pk_nid != NID_undef && !EVP_PKEY_is_a(key, OBJ_nid2sn(pk_nid))) {
        ses_set_check(c, SES_CHECK_FAILED, "%s signature but the maker key is %s", OBJ_nid2sn(nid),
                  EVP_PKEY_get0_type_name(key));
        return SK_OK;
    }
    sk_err_clear(&tmp);
    ret = ses_sm2_verify(key, md, s->signed_bytes, s->signed_len, s->signature,
                         s->signature_len, &tmp);
    if (ret == SK_EFAIL) {
        ses_set_check(c, SES_CHECK_FAILED, "%s: does not verify with the maker certificate's key",
                  sig_field);
        return SK_OK;
    }
    if (ret != SK_OK) {
        /* Could not even set up the check (odd key or parameters): not verified is failed. */
        ses_set_check(c, SES_CHECK_FAILED, "%s: cannot be checked: %s", sig_field, tmp.msg);
        return SK_OK;
    }
    ses_set_check(c, SES_CHECK_PASSED, "%s over %zu bytes of %s verifies (%s%s)", OBJ_nid2sn(nid),
              s->signed_len,
              s->format_version == 1 ? "SEQUENCE{esealInfo, cert, signatureAlgorithm}"
                                     : "eSealInfo",
              nid == NID_SM2_with_SM3 ? "SM2 ID " SES_SM2_ID : "no SM2 ID",
              s->signature_was_raw ? ", raw r||s" : "");
    return SK_OK;
}

static void check_maker_time(const ses_seal *s, time_t at, const char *at_text, ses_check *c)
{
    const ASN1_TIME *nb = X509_get0_notBefore(s->maker_cert);
    const ASN1_TIME *na = X509_get0_notAfter(s->maker_cert);
    char b[SES_TIME_TEXT], a[SES_TIME_TEXT];

    ses_asn1_time_text(nb, b, sizeof(b));
    ses_asn1_time_text(na, a, sizeof(a));
    if (X509_cmp_time(nb, &at) != -1)
        ses_set_check(c, SES_CHECK_FAILED, "maker certificate not yet valid: notBefore %s, checked at %s",
                  b, at_text);
    else if (X509_cmp_time(na, &at) != 1)
        ses_set_check(c, SES_CHECK_FAILED, "maker certificate expired %s, checked at %s", a, at_text);
    else
        ses_set_check(c, SES_CHECK_PASSED, "maker certificate valid %s .. %s", b, a);
}

static int check_chain(const ses_seal *s, const char *ca_file, time_t at, ses_check *c, sk_err *e)
{
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    X509 *leaf = NULL;
    int ret;

    if (ca_file == NULL) {
        ses_set_check(c, SES_CHECK_SKIPPED,
                      "no trusted seal root given (--ca or --station): maker certificate NOT "
                      "checked against any trust anchor");
        return SK_OK;
    }
    if ((ret = ses_load_store(ca_file, &store, e)) != SK_OK)
        goto out;
    if ((ret = ses_chain_ctx(store, s->maker_cert, at, &leaf, &ctx, e)) != SK_OK)
        goto out;
    if (X509_verify_cert(ctx) == 1) {
        STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
        int depth = sk_X509_num(chain);
        char rn[256];

        X509_NAME_oneline(X509_get_subject_name(sk_X509_value(chain, depth - 1)), rn, sizeof(rn));
        ses_set_check(c, SES_CHECK_PASSED, "maker certificate chains to %s (%d certificates)", rn,
                  depth);
    } else {
        ses_set_check(c, SES_CHECK_FAILED, "maker certificate does not chain to %s: %s (depth %d)",
                  ca_file, X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)),
                  X509_STORE_CTX_get_error_depth(ctx));
    }
    ERR_clear_error();
    ret = SK_OK;
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(leaf);
    return ret;
}

static void check_validity(const ses_seal *s, time_t at, const char *at_text, const char *top,
                           ses_check *c)
{
    if (s->valid_start > s->valid_end)
        ses_set_check(c, SES_CHECK_FAILED, "%s.property.validStart %s is after validEnd %s", top,
                  s->valid_start_text, s->valid_end_text);
    else if (at < s->valid_start)
        ses_set_check(c, SES_CHECK_FAILED, "%s.property.validStart: seal not valid before %s, checked at %s",
                  top, s->valid_start_text, at_text);
    else if (at > s->valid_end)
        ses_set_check(c, SES_CHECK_FAILED, "%s.property.validEnd: seal expired %s, checked at %s", top,
                  s->valid_end_text, at_text);
    else
        ses_set_check(c, SES_CHECK_PASSED, "valid %s .. %s, checked at %s", s->valid_start_text,
                  s->valid_end_text, at_text);
}

/* Nothing failed: is the seal trusted, or only intact? A seal is valid only when its maker
 * chains to a trust anchor and its holder certificate to a trusted CA, unrevoked; otherwise
 * the summary says what was and was not checked. */
static void summarise(ses_verify_result *r)
{
    const ses_check *c = r->check;
    size_t used;

    r->unverified = c[SES_CHECK_CHAIN].state != SES_CHECK_PASSED ||
                    c[SES_CHECK_HOLDER].state != SES_CHECK_PASSED ||
                    c[SES_CHECK_REVOCATION].state != SES_CHECK_PASSED;
    used = (size_t)snprintf(r->summary, sizeof(r->summary), "signature by the seal maker's key OK");
    if (used < sizeof(r->summary))
        used += (size_t)snprintf(r->summary + used, sizeof(r->summary) - used, "; %s",
                                 c[SES_CHECK_CHAIN].state == SES_CHECK_PASSED
                                     ? "maker certificate chains to the trusted seal root"
                                     : "maker certificate NOT checked against any trust anchor");
    if (used < sizeof(r->summary))
        used += (size_t)snprintf(r->summary + used, sizeof(r->summary) - used, "; %s",
                                 c[SES_CHECK_HOLDER].state == SES_CHECK_PASSED
                                     ? "holder certificate chains to the trusted CA"
                                     : "holder certificate NOT checked");
    if (used < sizeof(r->summary) && c[SES_CHECK_HOLDER].state == SES_CHECK_PASSED)
        snprintf(r->summary + used, sizeof(r->summary) - used, "; %s",
                 c[SES_CHECK_REVOCATION].state == SES_CHECK_PASSED
                     ? "holder certificate not revoked"
                     : "holder certificate revocation NOT checked");
}

int ses_seal_verify(const ses_seal *s, const ses_verify_opts *o, ses_verify_result *r, sk_err *e)
{
    const char *name = o->name != NULL ? o->name : "seal";
    const char *top = s->format_version == 1 ? "esealInfo" : "eSealInfo";
    char at_text[SES_TIME_TEXT];
    int ret;

    memset(r, 0, sizeof(*r));
    r->at = o->at != 0 ? o->at : time(NULL);
    ses_time_format(r->at, at_text, sizeof(at_text));
    for (int i = 0; i < SES_CHECK_COUNT; i++) {
        r->check[i].name = check_names[i];
        r->check[i].state = SES_CHECK_SKIPPED;
    }
    if ((ret = check_signature(s, s->format_version == 1 ? "signInfo.signData" : "SESeal.signedValue",
                               &r->check[SES_CHECK_SIGNATURE], e)) != SK_OK)
        return sk_err_wrap(e, "%s", name);
    check_maker_time(s, r->at, at_text, &r->check[SES_CHECK_MAKER_CERT]);
    if ((ret = check_chain(s, o->ca_file, r->at, &r->check[SES_CHECK_CHAIN], e)) != SK_OK)
        return ret;
    if ((ret = ses_check_holder(s, o, r->at, &r->check[SES_CHECK_HOLDER],
                                &r->check[SES_CHECK_REVOCATION], e)) != SK_OK)
        return ret;
    check_validity(s, r->at, at_text, top, &r->check[SES_CHECK_VALIDITY]);
    r->check[SES_CHECK_PICTURE].state =
        ses_picture_check(s->picture_type, s->picture, s->picture_len, &r->picture_px_width,
                          &r->picture_px_height, r->check[SES_CHECK_PICTURE].detail,
                          sizeof(r->check[SES_CHECK_PICTURE].detail)) == SK_OK
            ? SES_CHECK_PASSED
            : SES_CHECK_FAILED;

    /* One line naming every failed check, most important first (the enum's order). */
    char msg[sizeof(e->msg)];
    size_t used = 0;
    msg[0] = '\0';
    for (int i = 0; i < SES_CHECK_COUNT; i++) {
        if (r->check[i].state != SES_CHECK_FAILED)
            continue;
        r->n_failed++;
        if (used < sizeof(msg)) {
            int n = snprintf(msg + used, sizeof(msg) - used, "%s%s: %s", used ? "; " : "",
                             r->check[i].name, r->check[i].detail);
            used = n < 0 ? sizeof(msg) : used + (size_t)n;
        }
    }
    if (r->n_failed > 0)
        return sk_err_set(e, SK_EFAIL, "%s: %s", name, msg);
    summarise(r);
    return SK_OK;
}
