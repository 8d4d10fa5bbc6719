/* External signing (station.json ca.signing "external", docs/pki.md): the state machine's
 * awaiting_certificate step. The token makes its key and signs the order's request, which
 * leaves the station; the issuance waits in the ledger, across restarts, until the CA's own
 * system returns the certificate; issue_finish checks it and takes the issuance on through
 * the steps every issuance ends with (issue_complete). */
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer/ca/ca_util.h"
#include "issuer/issuance/issue_int.h"
#include "util/sk_file.h"
#include "util/sk_secmem.h"

static int audit_step(const issue_env *env, const order *o, const issue_result *r, audit_ev event,
                      const char *detail, sk_err *e)
{
    audit_event ev = {.event = event,
                      .order = o->number,
                      .token_serial = r->token_serial,
                      .cert_serial = r->cert_serial,
                      .result = AUDIT_OK,
                      .detail = detail};

    return audit_append(env->audit, &ev, e) != SK_OK ? sk_err_wrap(e, "audit log") : SK_OK;
}

static int req_pem(X509_REQ *req, char **pem, sk_err *e)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long len;
    int ret = SK_OK;

    *pem = NULL;
    if (b == NULL || !PEM_write_bio_X509_REQ(b, req)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "encoding the request");
        goto out;
    }
    len = BIO_get_mem_data(b, &data);
    if ((*pem = malloc((size_t)len + 1)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    memcpy(*pem, data, (size_t)len);
    (*pem)[len] = '\0';
out:
    BIO_free(b);
    return ret;
}

int issue_request_cert(const issue_env *env, const order *o, const station_project *p,
                       tok_slot *slot, long long id, const unsigned char *key_id, size_t key_id_len,
                       EVP_PKEY *pub, issue_result *r, sk_err *e)
{
    EVP_PKEY *priv = NULL;
    X509_REQ *req = NULL;
    char *pem = NULL;
    int ret;

    if ((ret = tok_get_private_key(slot, key_id, key_id_len, &priv, e)) != SK_OK ||
        (ret = issue_make_csr(p, o, priv, pub, &req, e)) != SK_OK ||
        (ret = req_pem(req, &pem, e)) != SK_OK ||
        (ret = sk_path_join(r->request_path, sizeof(r->request_path), r->out_dir, "request.csr",
                            e)) != SK_OK ||
        (ret = sk_file_write_atomic(r->request_path, pem, strlen(pem), 0644, e)) != SK_OK)
        goto out;
    ledger_update u = {.csr_pem = pem};
    if ((ret = ledger_step(env->ledger, id, ISS_AWAITING_CERT, &u, e)) != SK_OK ||
        (ret = audit_step(env, o, r, AUDIT_EV_CERT_REQUESTED, "request.csr", e)) != SK_OK)
        goto out;
    issue_crash_point("awaiting_certificate");
    r->awaiting_cert = true;
    ret = SK_OK;
out:
    free(pem);
    X509_REQ_free(req);
    EVP_PKEY_free(priv);
    return ret;
}

static X509_REQ *parse_req(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509_REQ *req = b != NULL ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    ERR_clear_error();
    return req;
}

/* Is cert the certificate for this issuance? Its key is the token key of the request the
 * issuance recorded. */
static int check_key(const issue_env *env, const ledger_issuance *iss, X509 *cert, sk_err *e)
{
    char *pem = NULL;
    X509_REQ *req = NULL;
    int ret = SK_OK;

    if ((ret = ledger_csr_pem(env->ledger, iss->id, &pem, e)) != SK_OK)
        return ret;
    if (pem == NULL || (req = parse_req(pem)) == NULL)
        ret = sk_err_set(e, SK_ELEDGER, "issuance %lld: the ledger holds no readable request",
                         iss->id);
    else if (EVP_PKEY_eq(X509_get0_pubkey(cert), X509_REQ_get0_pubkey(req)) != 1)
        ret = sk_err_set(e, SK_EINPUT,
                         "its key is not the token key of order %s's request "
                         "(token serial %s)",
                         iss->order_number, iss->token_serial);
    ERR_clear_error();
    X509_REQ_free(req);
    free(pem);
    return ret;
}

/* The rest of what the station would have put in the certificate itself: the order's
 * subject as the profile gives it, an end-entity certificate, a chain to the station's CA. */
static int check_cert(const issue_env *env, const order *o, const station_project *p, X509 *cert,
                      sk_err *e)
{
    X509_NAME *want = NULL;
    char got_s[512], want_s[512];
    int ret;

    if ((ret = ca_org_subject(p, o, &want, e)) != SK_OK)
        return ret;
    if (X509_NAME_cmp(X509_get_subject_name(cert), want) != 0) {
        X509_NAME_oneline(X509_get_subject_name(cert), got_s, sizeof(got_s));
        X509_NAME_oneline(want, want_s, sizeof(want_s));
        ret = sk_err_set(e, SK_EINPUT, "it carries the subject %s; order %s's is %s", got_s,
                         o->number, want_s);
    } else if (X509_check_ca(cert) != 0) {
        ret = sk_err_set(e, SK_EINPUT, "it is a CA certificate, not an organisation's");
    } else if ((ret = ca_verify_cert(env->ca, cert, e)) != SK_OK) {
        char why[sizeof(e->msg)];
        snprintf(why, sizeof(why), "%s", e->msg);
        ret = sk_err_set(e, SK_EINPUT,
                         "it does not chain to the station's CA (ca/chain.pem): "
                         "%s",
                         why);
    }
    ERR_clear_error();
    X509_NAME_free(want);
    return ret;
}

static int hex_decode(const char *hex, unsigned char *out, size_t cap, size_t *n)
{
    size_t len = strlen(hex);

    if (len % 2 != 0 || len / 2 > cap || len == 0)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    *n = len / 2;
    return 0;
}

/* The token again, with the PIN the holder gets: the transport PIN of key generation was
 * never written down, so the SO sets a new one by the policy, PIN mailer first. */
static int reopen_token(const issue_env *env, const order *o, const ledger_issuance *iss,
                        tok_slot **slot, issue_result *r, sk_err *e)
{
    char uri[64], *pin = NULL;
    tok_info info;
    int ret;

    snprintf(uri, sizeof(uri), "pkcs11:serial=%s", iss->token_serial);
    if ((ret = tok_select(env->tokens, uri, slot, e)) != SK_OK) {
        sk_err_wrap(e, "the token of order %s (serial %s) is needed to finish it", o->number,
                    iss->token_serial);
        goto out;
    }
    if ((ret = tok_get_info(*slot, &info, e)) != SK_OK)
        goto out;
    if ((ret = sk_secmem_alloc(SK_SECRET_MAX, (void **)&pin, e)) != SK_OK ||
        (ret = issue_random_pin(env->st->user_pin_min, env->st->user_pin_max, pin, SK_SECRET_MAX,
                                e)) != SK_OK)
        goto out;
    if (strlen(pin) < info.min_pin_len || strlen(pin) > info.max_pin_len) {
        ret = sk_err_set(e, SK_EPIN,
                         "the user PIN has %zu characters; token '%s' (serial %s) "
                         "takes %lu to %lu",
                         strlen(pin), info.label, info.serial, info.min_pin_len, info.max_pin_len);
        goto out;
    }
    if ((ret = sk_path_join(r->pin_mailer, sizeof(r->pin_mailer), r->out_dir, "pin-mailer.txt",
                            e)) != SK_OK ||
        (ret = issue_write_pin_mailer(r->pin_mailer, o, info.label, info.serial, pin, e)) !=
            SK_OK ||
        (ret = tok_init_user_pin(*slot, env->so_pin, pin, e)) != SK_OK ||
        (ret = tok_login_user(*slot, pin, e)) != SK_OK)
        goto out;
    snprintf(r->token_label, sizeof(r->token_label), "%s", info.label);
    ret = SK_OK;
out:
    sk_secmem_free(pin, SK_SECRET_MAX);
    return ret;
}

static long long reissue_id(const ledger_issuance *iss)
{
    char *end = NULL;
    long long v = iss->reissue_of[0] != '\0' ? strtoll(iss->reissue_of, &end, 10) : 0;

    return end != NULL && *end != '\0' ? 0 : v;
}

int issue_finish(const issue_env *env, const order *o, const ledger_issuance *iss, X509 *cert,
                 issue_result *r, sk_err *e)
{
    const station_project *p = station_project_find(env->st, o->project_code);
    issue_seal seals[ISSUE_MAX_SEALS];
    size_t n_seals = 0, key_id_len = 0;
    unsigned char key_id[TOK_ID_MAX];
    ledger_issuance now;
    tok_slot *slot = NULL;
    bool claimed = false, found = false, recorded = false;
    char label[128], nb[32], na[32], *pem = NULL;
    size_t pem_len = 0;
    BIGNUM *bn = NULL;
    char *serial = NULL;
    issue_opts opts;
    int ret;

    memset(r, 0, sizeof(*r));
    memset(seals, 0, sizeof(seals));
    memset(&opts, 0, sizeof(opts));
    r->issuance_id = iss->id;
    snprintf(r->token_serial, sizeof(r->token_serial), "%s", iss->token_serial);
    if (p == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "project_code '%s' is not in station.json", o->project_code);
        goto out;
    }
    if (strcmp(iss->order_number, o->number) != 0 ||
        hex_decode(iss->key_id, key_id, sizeof(key_id), &key_id_len) != 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "issuance %lld is not order %s's, or has no key id",
                         iss->id, o->number);
        goto out;
    }
    /* Everything that needs neither the token nor the claim, so that a wrong certificate is
     * refused at once and the order keeps waiting. */
    if ((ret = check_key(env, iss, cert, e)) != SK_OK ||
        (ret = check_cert(env, o, p, cert, e)) != SK_OK ||
        (ret = issue_seal_pictures(o, p, seals, &n_seals, e)) != SK_OK)
        goto out;
    if ((ret = ledger_claim(env->ledger, o->number, &claimed, e)) != SK_OK)
        goto out;
    if (!claimed) {
        ret = sk_err_set(e, SK_EBUSY,
                         "order %s is being worked on by another process or "
                         "station",
                         o->number);
        goto out;
    }
    /* Under the claim: still waiting, still this issuance. */
    if ((ret = ledger_get(env->ledger, iss->id, &now, &found, e)) != SK_OK)
        goto out;
    if (!found || now.step != ISS_AWAITING_CERT) {
        ret = sk_err_set(e, SK_ESTATE,
                         "order %s: issuance %lld is no longer waiting for a "
                         "certificate (%s)",
                         o->number, iss->id, found ? iss_step_name(now.step) : "gone");
        goto out;
    }
    if ((ret = station_order_dir(env->st, o->number, r->out_dir, sizeof(r->out_dir), e)) != SK_OK ||
        (ret = reopen_token(env, o, iss, &slot, r, e)) != SK_OK)
        goto out;

    /* cert_issued: the certificate and its own serial in the ledger, the reserved one void. */
    if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) == NULL ||
        (serial = BN_bn2hex(bn)) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "reading the certificate's serial");
        goto out;
    }
    snprintf(r->cert_serial, sizeof(r->cert_serial), "%s", serial);
    if ((ret = cau_cert_pem(cert, &pem, &pem_len, e)) != SK_OK)
        goto out;
    cau_asn1_iso(X509_get0_notBefore(cert), nb, sizeof(nb));
    cau_asn1_iso(X509_get0_notAfter(cert), na, sizeof(na));
    snprintf(r->not_after, sizeof(r->not_after), "%s", na);
    if ((ret = ledger_external_cert(env->ledger, iss->id, ca_issuer_id(env->ca), serial, nb, na,
                                    pem, e)) != SK_OK)
        goto out;
    recorded = true;
    if ((ret = audit_step(env, o, r, AUDIT_EV_CERT_ISSUED, na, e)) != SK_OK)
        goto out;
    issue_crash_point("cert_imported");
    snprintf(label, sizeof(label), ISSUE_KEY_LABEL_FMT, o->number);
    ret = issue_complete(env, o, &opts, slot, iss->id, key_id, key_id_len, label, cert,
                         reissue_id(iss), seals, n_seals, r, e);
out:
    if (ret != SK_OK && recorded) {
        sk_err fe;
        sk_err_clear(&fe);
        if (issue_close_failed(env->ledger, env->audit, o->number, iss->id, r->token_serial,
                               r->cert_serial, e->msg, &fe) != SK_OK)
            sk_err_wrap(e, "%s; and recording the failure failed too", fe.msg);
    }
    if (ret != SK_OK && strncmp(e->msg, "order ", 6) != 0)
        sk_err_wrap(e, "order %s", o->number);
    for (size_t i = 0; i < ISSUE_MAX_SEALS; i++)
        issue_seal_clear(&seals[i]);
    OPENSSL_free(serial);
    BN_free(bn);
    free(pem);
    tok_slot_free(slot);
    if (claimed)
        ledger_release(env->ledger, o->number);
    return ret;
}
