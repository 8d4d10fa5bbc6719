/* The issuance state machine: each step's work, then its ledger record, then the next. */
#include <limits.h>
#include <signal.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer/records/audit.h"
#include "issuer/ca/ca_util.h"
#include "issuer/issuance/issue_int.h"
#include "util/sk_file.h"
#include "util/sk_lock.h"
#include "util/sk_secmem.h"

#define KEY_ID_LEN 20

/* Test-only crash points: SEALKEY_TEST_CRASH_AT=<point> kills the whole process group (a
 * batch and all its workers) with SIGKILL there, so tests can prove that a re-run recovers
 * from a crash at every step. Reading the environment keeps this free of global state. Only
 * in test builds (CMake SEALKEY_TEST_HOOKS): elsewhere a point is nothing. */
static void crash_point(const char *point)
{
#ifdef SEALKEY_TEST_HOOKS
    const char *at = getenv("SEALKEY_TEST_CRASH_AT");

    if (at != NULL && strcmp(at, point) == 0)
        kill(0, SIGKILL);
#else
    (void)point;
#endif
}

void issue_crash_point(const char *point)
{
    crash_point(point);
}

/* Tell a supervising process (batch, station) that a step is recorded, so it can time
 * the next one against the station's limits. */
static void step_recorded(const issue_opts *opts, iss_step step)
{
    if (opts->on_step != NULL)
        opts->on_step(opts->on_step_ctx, step);
}

/* One audit record for this issuance; details never carry secrets. */
static int audit(const issue_env *env, const order *o, const issue_result *r, audit_ev event,
                 audit_result result, const char *detail, sk_err *e)
{
    audit_event ev = {.event = event,
                      .order = o->number,
                      .token_serial = r->token_serial,
                      .cert_serial = r->cert_serial,
                      .result = result,
                      .detail = detail};
    int ret = audit_append(env->audit, &ev, e);

    return ret != SK_OK ? sk_err_wrap(e, "audit log") : SK_OK;
}

static void hex_encode(const unsigned char *b, size_t n, char *hex, size_t hexlen)
{
    size_t o = 0;
    hex[0] = '\0';
    for (size_t i = 0; i < n && o + 3 <= hexlen; i++, o += 2)
        snprintf(hex + o, hexlen - o, "%02x", b[i]);
}

/* Close an issuance as failed and say so in the audit log, with whether its certificate
 * (if one was signed) was revoked, which puts it on the next CRL. */
int issue_close_failed(ledger *l, audit_sink *audit, const char *order_number, long long id,
                       const char *token_serial, const char *cert_serial, const char *reason,
                       sk_err *e)
{
    ledger_issuance after;
    bool found = false;
    char detail[sizeof(e->msg) + 96];
    int ret;

    if ((ret = ledger_fail(l, id, reason, e)) != SK_OK ||
        (ret = ledger_get(l, id, &after, &found, e)) != SK_OK)
        return ret;
    if (found && after.step == ISS_FAILED && after.revoked_at[0] != '\0')
        snprintf(detail, sizeof(detail), "%s; its certificate is revoked (%s) and goes on the "
                 "next CRL", reason, after.revocation_reason);
    else
        snprintf(detail, sizeof(detail), "%s", reason);
    audit_event ev = {.event = AUDIT_EV_ISSUANCE_FAILED,
                      .order = order_number,
                      .token_serial = token_serial,
                      .cert_serial = cert_serial,
                      .result = AUDIT_FAILED,
                      .detail = detail};
    if ((ret = audit_append(audit, &ev, e)) != SK_OK)
        return sk_err_wrap(e, "audit log");
    return SK_OK;
}

/* Decide from the ledger whether this order may be issued now, and onto which token: an
 * attempt that stopped part-way is closed as failed (its serial accounted for, its
 * certificate if any revoked) and its token resumed; an order with a live certificate is
 * issued again only as a reissue, which replaces that certificate once the new token is
 * verified, so the live one stays valid and revocable until then. */
static int check_ledger(const issue_env *env, const order *o, const issue_opts *opts,
                        long long *reissue_of, char *resume_uri, size_t resume_len,
                        issue_result *r, sk_err *e)
{
    ledger_issuance *v = NULL;
    ledger_issuance *latest = NULL, *live = NULL, *issued = NULL;
    size_t n = 0;
    int ret, len = 0;

    *reissue_of = 0;
    resume_uri[0] = '\0';
    if ((ret = ledger_list(env->ledger, o->number, &v, &n, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (v[i].step == ISS_VERIFIED && v[i].revoked_at[0] == '\0')
            live = &v[i];
        if (v[i].step == ISS_VERIFIED || v[i].step == ISS_REVOKED || v[i].step == ISS_SUPERSEDED)
            issued = &v[i];
    }
    latest = n > 0 ? &v[n - 1] : NULL;
    /* External signing: the order waits for the certificate the CA's own system signs
     * (sealkey cert-import finishes it); nothing to do here, and nothing was interrupted. */
    if (latest != NULL && latest->step == ISS_AWAITING_CERT) {
        r->awaiting_cert = true;
        r->issuance_id = latest->id;
        snprintf(r->token_serial, sizeof(r->token_serial), "%s", latest->token_serial);
        if (!opts->issued_is_done)
            ret = sk_err_set(e, SK_ESTATE, "order %s is waiting for its certificate (token "
                             "serial %s; sealkey csr-export, then sealkey cert-import)",
                             o->number, latest->token_serial);
        goto out;
    }
    /* An issuance that stopped part-way (crash, pulled token, lost connection): we hold the
     * claim, so nobody is working on it. */
    if (latest != NULL && latest->step < ISS_VERIFIED) {
        char reason[128];
        snprintf(reason, sizeof(reason), "interrupted at step %s; superseded by a new attempt",
                 iss_step_name(latest->step));
        if ((ret = issue_close_failed(env->ledger, env->audit, o->number, latest->id,
                                      latest->token_serial, latest->cert_serial,
                                      reason, e)) != SK_OK)
            goto out;
        latest->step = ISS_FAILED;
    }
    /* A failed attempt may have left the order's token half-made (pulled mid-step, full, a
     * PIN refused): it is redone rather than left holding a stray key, found by its serial,
     * or by the order's label when it failed before the serial was recorded. */
    if (latest != NULL && latest->step == ISS_FAILED) {
        len = latest->token_serial[0] != '\0'
                  ? snprintf(resume_uri, resume_len, "pkcs11:serial=%s", latest->token_serial)
                  : snprintf(resume_uri, resume_len, "pkcs11:token=%s", o->number);
        if (len < 0 || (size_t)len >= resume_len)
            resume_uri[0] = '\0';
    }
    if (live != NULL && !opts->reissue && opts->issued_is_done) {
        r->already_issued = true;
        snprintf(r->token_serial, sizeof(r->token_serial), "%s", live->token_serial);
        snprintf(r->cert_serial, sizeof(r->cert_serial), "%s", live->cert_serial);
    } else if (live != NULL && !opts->reissue) {
        ret = sk_err_set(e, SK_ESTATE,
                         "order %s is already issued (token serial %s, certificate serial %s); "
                         "use --reissue to make a replacement token",
                         o->number, live->token_serial, live->cert_serial);
    } else if (live != NULL) {
        *reissue_of = live->id;
    } else if (issued != NULL && issued->step == ISS_REVOKED && !opts->reissue) {
        ret = sk_err_set(e, SK_ESTATE,
                         "order %s was revoked (%s, certificate serial %s); use --reissue to "
                         "make a replacement token",
                         o->number, issued->revocation_reason, issued->cert_serial);
    } else if (issued != NULL && issued->step == ISS_REVOKED) {
        *reissue_of = issued->id;
    }
out:
    free(v);
    return ret;
}

static int reserve(const issue_env *env, const order *o, const station_project *p,
                   long long reissue_of, long long *id, char *serial, size_t serial_len, sk_err *e)
{
    bool taken = true;
    int ret = SK_OK;

    /* A clash of 128 random bits means a broken RNG more than bad luck; a few draws decide. */
    for (int attempt = 0; attempt < 4 && taken; attempt++) {
        if ((ret = ca_new_serial(serial, serial_len, e)) != SK_OK)
            return ret;
        ret = ledger_begin(env->ledger, o->number, env->st->station_id, env->operator_name,
                           sk_keyalg_name(p->key_alg), ca_issuer_id(env->ca), serial, reissue_of,
                           id, &taken, e);
        if (ret != SK_OK && !taken)
            return ret;
    }
    return ret;
}

int issue_make_csr(const station_project *p, const order *o, EVP_PKEY *priv, EVP_PKEY *pub,
                   X509_REQ **out, sk_err *e)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = NULL;
    int ret = SK_ECRYPTO;

    *out = NULL;
    if (req == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
        goto out;
    }
    if ((ret = ca_org_subject(p, o, &name, e)) != SK_OK)
        goto out;
    if (!X509_REQ_set_subject_name(req, name) || !X509_REQ_set_pubkey(req, pub)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "building the CSR");
        goto out;
    }
    if (X509_REQ_sign(req, priv, EVP_sha256()) <= 0) {
        ret = sk_err_ossl(e, SK_ETOKEN, "signing the CSR with the token key");
        goto out;
    }
    /* Proof that the token's key and the public key we read back belong together. */
    if (X509_REQ_verify(req, pub) != 1) {
        ret = sk_err_ossl(e, SK_EFAIL, "the CSR signed by the token does not verify");
        goto out;
    }
    *out = req;
    req = NULL;
    ret = SK_OK;
out:
    X509_NAME_free(name);
    X509_REQ_free(req);
    return ret;
}

/* The issuing CA, any policy CAs and the root: the whole path a relying party needs. */
static int write_chain(tok_slot *slot, ca *c, sk_err *e)
{
    X509 *certs[CA_CHAIN_MAX];
    size_t n = ca_chain(c, certs);
    unsigned char id[TOK_ID_MAX];
    size_t id_len;
    char label[256];
    int ret;

    for (size_t i = 0; i < n; i++) {
        if ((ret = issue_ca_cert_id(certs[i], id, &id_len, e)) != SK_OK)
            return ret;
        if (X509_NAME_get_text_by_NID(X509_get_subject_name(certs[i]), NID_commonName, label,
                                      sizeof(label)) < 0)
            snprintf(label, sizeof(label), "CA certificate");
        if ((ret = tok_write_cert(slot, certs[i], id, id_len, label, true, e)) != SK_OK)
            return ret;
    }
    return SK_OK;
}

static int write_outputs(const issue_env *env, const char *out_dir, X509 *cert, sk_err *e)
{
    char path[PATH_MAX];
    X509 *chain[CA_CHAIN_MAX];
    size_t n = ca_chain(env->ca, chain);
    int ret;

    if ((ret = sk_path_join(path, sizeof(path), out_dir, "cert.pem", e)) != SK_OK ||
        (ret = cau_write_certs(path, &cert, 1, e)) != SK_OK ||
        (ret = sk_path_join(path, sizeof(path), out_dir, "chain.pem", e)) != SK_OK ||
        (ret = cau_write_certs(path, chain, n, e)) != SK_OK)
        return ret;
    return SK_OK;
}

/* Steps after the serial is reserved; any failure here is recorded by the caller. */
static int make_seals(const issue_env *env, const order *o, long long id, X509 *cert,
                      issue_seal *seals, size_t n, issue_result *r, sk_err *e)
{
    char path[PATH_MAX], name[64];
    int ret;

    for (size_t i = 0; i < n; i++) {
        if ((ret = issue_seal_build(env->maker, o, cert, &seals[i], e)) != SK_OK)
            return ret;
        snprintf(name, sizeof(name), "%s.esl", seals[i].kind);
        if ((ret = sk_path_join(path, sizeof(path), r->out_dir, name, e)) != SK_OK ||
            (ret = sk_file_write_atomic(path, seals[i].der, seals[i].der_len, 0644, e)) != SK_OK)
            return ret;
        snprintf(name, sizeof(name), "%s.png", seals[i].kind);
        if ((ret = sk_path_join(path, sizeof(path), r->out_dir, name, e)) != SK_OK ||
            (ret = sk_file_write_atomic(path, seals[i].png, seals[i].png_len, 0644, e)) != SK_OK)
            return ret;
        if ((ret = ledger_seal_add(env->ledger, id, o->number, seals[i].kind, seals[i].es_id,
                                   seals[i].sha256, e)) != SK_OK)
            return ret;
        snprintf(r->seal_ids[i], sizeof(r->seal_ids[i]), "%s", seals[i].es_id);
        char detail[160];
        snprintf(detail, sizeof(detail), "%s seal %s sha256 %s", seals[i].kind, seals[i].es_id,
                 seals[i].sha256);
        if ((ret = audit(env, o, r, AUDIT_EV_SEAL_MADE, AUDIT_OK, detail, e)) != SK_OK)
            return ret;
    }
    r->n_seals = n;
    return ledger_step(env->ledger, id, ISS_SEALS_MADE, NULL, e);
}

static int write_seals(tok_slot *slot, const issue_seal *seals, size_t n, sk_err *e)
{
    int ret;

    /* PKCS#11 gives data objects no CKA_ID; the seal is tied to the key by the certificate
     * it carries, which sits on the token under the key's CKA_ID. */
    for (size_t i = 0; i < n; i++)
        if ((ret = tok_write_data(slot, ISSUE_SEAL_APPLICATION, seals[i].label, NULL, 0,
                                  seals[i].der, seals[i].der_len, false, e)) != SK_OK)
            return ret;
    return SK_OK;
}

/* After a reissue's new token is verified, the ledger has revoked the certificate it
 * replaces (unless revoked already): one audit record for that revocation. */
static int audit_superseded(const issue_env *env, const order *o, long long reissue_of,
                            issue_result *r, sk_err *e)
{
    ledger_issuance old;
    bool found = false;
    char detail[256];
    int ret;

    if (reissue_of <= 0)
        return SK_OK;
    if ((ret = ledger_get(env->ledger, reissue_of, &old, &found, e)) != SK_OK)
        return ret;
    if (!found || old.step != ISS_SUPERSEDED)
        return SK_OK;
    snprintf(r->replaced_cert_serial, sizeof(r->replaced_cert_serial), "%s", old.cert_serial);
    snprintf(r->replaced_reason, sizeof(r->replaced_reason), "%s", old.revocation_reason);
    snprintf(detail, sizeof(detail), "%s; replaced by certificate serial %s on token %s",
             old.revocation_reason, r->cert_serial, r->token_serial);
    audit_event ev = {.event = AUDIT_EV_REVOKED,
                      .order = o->number,
                      .token_serial = old.token_serial,
                      .cert_serial = old.cert_serial,
                      .result = AUDIT_OK,
                      .detail = detail};
    if ((ret = audit_append(env->audit, &ev, e)) != SK_OK)
        return sk_err_wrap(e, "audit log");
    return SK_OK;
}

/* The new user PIN, before the token is touched: the chosen one (issue_order checked it
 * against the station's policy) or a random one by the policy, within what the token
 * takes. */
static int prepare_pin(const issue_env *env, const issue_opts *opts, const tok_info *info,
                       char *pin, sk_err *e)
{
    int ret;

    if (opts->user_pin != NULL) {
        if (snprintf(pin, SK_SECRET_MAX, "%s", opts->user_pin) >= SK_SECRET_MAX)
            return sk_err_set(e, SK_EPIN, "the user PIN is too long");
    } else if ((ret = issue_random_pin(env->st->user_pin_min, env->st->user_pin_max, pin,
                                       SK_SECRET_MAX, e)) != SK_OK) {
        return ret;
    }
    if (strlen(pin) < info->min_pin_len || strlen(pin) > info->max_pin_len)
        return sk_err_set(e, SK_EPIN, "the user PIN has %zu characters; token '%s' (serial %s) "
                          "takes %lu to %lu", strlen(pin), info->label, info->serial,
                          info->min_pin_len, info->max_pin_len);
    return SK_OK;
}

/* From a signed certificate (recorded at cert_issued) to a verified token: seals, objects
 * written, read back, outputs; the steps after cert_issued. */
int issue_complete(const issue_env *env, const order *o, const issue_opts *opts, tok_slot *slot,
                   long long id, const unsigned char *key_id, size_t key_id_len,
                   const char *label, X509 *cert, long long reissue_of, issue_seal *seals,
                   size_t n_seals, issue_result *r, sk_err *e)
{
    int ret;

    /* Seals made: signed by the CA's seal maker, bound to the certificate, in the ledger. */
    if ((ret = make_seals(env, o, id, cert, seals, n_seals, r, e)) != SK_OK)
        return ret;
    step_recorded(opts, ISS_SEALS_MADE);
    crash_point("seals_made");

    /* Written: the certificate beside its key, the CA chain, the seals. */
    if ((ret = tok_write_cert(slot, cert, key_id, key_id_len, label, false, e)) != SK_OK ||
        (ret = write_chain(slot, env->ca, e)) != SK_OK ||
        (ret = write_seals(slot, seals, n_seals, e)) != SK_OK)
        return ret;
    crash_point("objects_written");
    if ((ret = ledger_step(env->ledger, id, ISS_WRITTEN, NULL, e)) != SK_OK ||
        (ret = audit(env, o, r, AUDIT_EV_WRITTEN, AUDIT_OK, NULL, e)) != SK_OK)
        return ret;
    step_recorded(opts, ISS_WRITTEN);
    crash_point("written");

    /* Verified: read back, check, and only then hand out the files. */
    if ((ret = issue_verify_token(env, slot, key_id, key_id_len, cert, seals, n_seals, e)) !=
            SK_OK ||
        (ret = write_outputs(env, r->out_dir, cert, e)) != SK_OK)
        return ret;
    crash_point("outputs_written");
    return issue_record_verified(env, o, opts, id, reissue_of, r, e);
}

int issue_record_verified(const issue_env *env, const order *o, const issue_opts *opts,
                          long long id, long long reissue_of, issue_result *r, sk_err *e)
{
    int ret;

    /* Only now does a reissue retire (and revoke) the certificate it replaces, in the same
     * transaction as this step. */
    ledger_update u4 = {.revocation_reason = opts->revocation_reason};
    if ((ret = ledger_step(env->ledger, id, ISS_VERIFIED, &u4, e)) != SK_OK ||
        (ret = audit(env, o, r, AUDIT_EV_VERIFIED, AUDIT_OK, NULL, e)) != SK_OK ||
        (ret = audit_superseded(env, o, reissue_of, r, e)) != SK_OK)
        return ret;
    step_recorded(opts, ISS_VERIFIED);
    crash_point("verified");
    return SK_OK;
}

static int personalise(const issue_env *env, const order *o, const station_project *p,
                       const issue_opts *opts, tok_slot *slot, long long id, const char *serial,
                       long long reissue_of, char **pinp, issue_seal *seals, size_t n_seals,
                       issue_token_choice *tc, int *token_lock, issue_result *r, sk_err *e)
{
    int ret;
    char *pin = *pinp; /* the new user PIN, in locked memory; freed after the login */
    char label[128];
    unsigned char key_id[KEY_ID_LEN];
    EVP_PKEY *pub = NULL, *priv = NULL;
    X509_REQ *req = NULL;
    X509 *cert = NULL;
    char *pem = NULL;
    size_t pem_len = 0;
    tok_info info;
    char nb[32], na[32];

    /* Token initialised (label, SO PIN), and at once recorded with its serial: whatever
     * fails next (the PIN, the PIN mailer, the key), a rerun finds this token by the ledger
     * and resumes on it rather than leave it labelled and unknown. */
    if ((ret = tok_init_token(slot, env->so_pin, o->number, e)) != SK_OK)
        goto out;
    crash_point("token_init");
    if ((ret = tok_get_info(slot, &info, e)) != SK_OK)
        goto out;
    /* A blank token without a serial (SoftHSM's free slot) was taken unclaimed; now that
     * it has one, it is claimed like any other until this issuance ends. */
    if (tc->claim_fd < 0) {
        if ((ret = issue_claim_token(env, info.serial, &tc->claim_fd, e)) != SK_OK)
            goto out;
        snprintf(tc->claimed_serial, sizeof(tc->claimed_serial), "%s", info.serial);
    }
    /* Claimed, initialised: no longer blank to any chooser (tc->hold_lock). */
    sk_lock_release(token_lock);
    snprintf(r->token_label, sizeof(r->token_label), "%s", info.label);
    snprintf(r->token_serial, sizeof(r->token_serial), "%s", info.serial);
    ledger_update u1 = {.token_label = info.label, .token_serial = info.serial};
    if ((ret = ledger_step(env->ledger, id, ISS_TOKEN_INITIALISED, &u1, e)) != SK_OK)
        goto out;
    if ((ret = audit(env, o, r, AUDIT_EV_TOKEN_INITIALISED, AUDIT_OK, info.label, e)) != SK_OK)
        goto out;
    step_recorded(opts, ISS_TOKEN_INITIALISED);
    crash_point("token_initialised");

    /* The user PIN. The PIN mailer is written before the PIN is set, so a crash cannot leave
     * a token whose PIN nobody knows. */
    if (opts->pin_out != NULL) {
        if (opts->pin_out != opts->user_pin) /* a chosen PIN is there already */
            memcpy(opts->pin_out, pin, SK_SECRET_MAX);
        r->pin_mailer[0] = '\0';
    } else if (env->st->ca_external) {
        /* A transport PIN for key generation only, never written down: the PIN mailer's
         * PIN replaces it when the certificate comes back (issue_external.c). */
        r->pin_mailer[0] = '\0';
    } else if ((ret = issue_write_pin_mailer(r->pin_mailer, o, info.label, info.serial, pin,
                                             e)) != SK_OK) {
        goto out;
    }
    if ((ret = tok_init_user_pin(slot, env->so_pin, pin, e)) != SK_OK)
        goto out;

    /* Key generated on the token under a random CKA_ID shared by key, certificate and seals. */
    if ((ret = tok_login_user(slot, pin, e)) != SK_OK)
        goto out;
    sk_secmem_free(pin, SK_SECRET_MAX);
    *pinp = NULL;
    if (RAND_bytes(key_id, sizeof(key_id)) != 1) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "random key id");
        goto out;
    }
    hex_encode(key_id, sizeof(key_id), r->key_id, sizeof(r->key_id));
    snprintf(label, sizeof(label), ISSUE_KEY_LABEL_FMT, o->number);
    /* A signing key: the organisation certificate allows digitalSignature and
     * nonRepudiation only (ca_profile.c), so no decrypt, unwrap or derive; the read-back
     * (issue_verify.c) holds the key to its certificate's keyUsage. */
    if ((ret = tok_generate_keypair(slot, p->key_alg, key_id, sizeof(key_id), label, &pub, e)) !=
        SK_OK)
        goto out;
    crash_point("keygen");
    ledger_update u2 = {.key_id = r->key_id};
    if ((ret = ledger_step(env->ledger, id, ISS_KEY_GENERATED, &u2, e)) != SK_OK ||
        (ret = audit(env, o, r, AUDIT_EV_KEY_GENERATED, AUDIT_OK, sk_keyalg_name(p->key_alg), e)) !=
            SK_OK)
        goto out;
    step_recorded(opts, ISS_KEY_GENERATED);
    crash_point("key_generated");
    /* External signing: the token-signed request goes out; the issuance waits for the
     * certificate (issue_external.c). */
    if (env->st->ca_external) {
        ret = issue_request_cert(env, o, p, slot, id, key_id, sizeof(key_id), pub, r, e);
        goto out;
    }

    /* Certificate issued from a CSR the token signed. */
    if ((ret = tok_get_private_key(slot, key_id, sizeof(key_id), &priv, e)) != SK_OK ||
        (ret = issue_make_csr(p, o, priv, pub, &req, e)) != SK_OK)
        goto out;
    if ((ret = ca_issue_org_cert(env->ca, p, o, X509_REQ_get0_pubkey(req), serial, time(NULL),
                                 &cert, e)) != SK_OK)
        goto out;
    if ((ret = cau_cert_pem(cert, &pem, &pem_len, e)) != SK_OK)
        goto out;
    crash_point("cert_signed");
    cau_asn1_iso(X509_get0_notBefore(cert), nb, sizeof(nb));
    cau_asn1_iso(X509_get0_notAfter(cert), na, sizeof(na));
    snprintf(r->not_after, sizeof(r->not_after), "%s", na);
    ledger_update u3 = {.not_before = nb, .not_after = na, .cert_pem = pem};
    if ((ret = ledger_step(env->ledger, id, ISS_CERT_ISSUED, &u3, e)) != SK_OK ||
        (ret = audit(env, o, r, AUDIT_EV_CERT_ISSUED, AUDIT_OK, na, e)) != SK_OK)
        goto out;
    step_recorded(opts, ISS_CERT_ISSUED);
    crash_point("cert_issued");

    ret = issue_complete(env, o, opts, slot, id, key_id, sizeof(key_id), label, cert, reissue_of,
                         seals, n_seals, r, e);
out:
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
    X509_REQ_free(req);
    X509_free(cert);
    free(pem);
    return ret;
}

int issue_order(const issue_env *env, const order *o, const issue_opts *opts, issue_result *r,
                sk_err *e)
{
    int ret;
    const station_project *p = NULL;
    long long reissue_of = 0, id = 0;
    char resume_uri[128];
    issue_token_choice tc;
    issue_seal seals[ISSUE_MAX_SEALS];
    size_t n_seals = 0;
    char lock_path[PATH_MAX];
    int token_lock = -1;
    bool claimed = false;
    const char *reason = NULL;
    char *pin = NULL; /* the new user PIN, in locked memory */

    memset(r, 0, sizeof(*r));
    memset(&tc, 0, sizeof(tc));
    tc.claim_fd = -1;
    memset(seals, 0, sizeof(seals));
    p = station_project_find(env->st, o->project_code);
    if (p == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "order %s: project_code '%s' is not in station.json",
                         o->number, o->project_code);
        goto out;
    }
    /* An SKF station (token_api "skf") runs the same steps on SKF devices: issue_skf.c. */
    if (env->st->token_skf) {
        ret = issue_order_skf(env, o, p, opts, r, e);
        goto out;
    }
    if (sk_keyalg_is_sm2(p->key_alg)) {
        /* PKCS#11 has no SM2 mechanism (SoftHSM none at all): an SM2 key lives on an SKF
         * token (GM/T 0016), which issuance does not drive yet. Refused before any token or
         * serial is touched. */
        ret = sk_err_set(e, SK_EINPUT,
                         "order %s: project %s has key_algorithm sm2, which needs an SKF token "
                         "(token_api \"skf\"); this station issues on PKCS#11 tokens "
                         "(token_api \"pkcs11\"), which have no SM2 keys",
                         o->number, p->code);
        goto out;
    }
    if (o->review_status == NULL || strcmp(o->review_status, "approved") != 0) {
        ret = sk_err_set(e, SK_ESTATE, "order %s: review status is '%s', not approved", o->number,
                         o->review_status ? o->review_status : "");
        goto out;
    }
    if (opts->revocation_reason != NULL &&
        (ret = ca_revocation_reason(opts->revocation_reason, &reason, e)) != SK_OK)
        goto out;
    /* A --token URI naming objects or a PIN source asks for what sealkey cannot honour. */
    if (opts->token_uri != NULL && (ret = tok_uri_token_only(opts->token_uri, e)) != SK_OK)
        goto out;
    if (env->st->ca_external && (opts->user_pin != NULL || opts->pin_out != NULL)) {
        ret = sk_err_set(e, SK_EUSAGE, "order %s: with external signing (ca.signing) the user "
                         "PIN is set when the certificate comes back, a random one into the "
                         "PIN mailer: a chosen PIN or --pin-to-tty does not apply", o->number);
        goto out;
    }
    /* A chosen PIN the policy refuses stops the order before any token or serial is used. */
    if (opts->user_pin != NULL && (ret = issue_check_user_pin(env->st, opts->user_pin, e)) != SK_OK)
        goto out;
    /* A scan the quality gate refuses stops the order before any token or serial is used. */
    if ((ret = issue_seal_pictures(o, p, seals, &n_seals, e)) != SK_OK)
        goto out;
    /* Only the claim holder may judge an unfinished issuance to be interrupted. */
    if ((ret = ledger_claim(env->ledger, o->number, &claimed, e)) != SK_OK)
        goto out;
    if (!claimed) {
        ret = sk_err_set(e, SK_EBUSY, "order %s is being issued by another process or station",
                         o->number);
        goto out;
    }
    if ((ret = check_ledger(env, o, opts, &reissue_of, resume_uri, sizeof(resume_uri), r, e)) !=
            SK_OK ||
        r->already_issued || r->awaiting_cert)
        goto out;

    /* Choosing a token is one critical section across the station's processes: two workers
     * must not take the same token. The chooser claims the token (issue_token.c) and lets
     * go at once; initialising, key generation and writing, seconds each on real tokens,
     * run in parallel. */
    if ((ret = station_path(env->st, "tokens.lock", lock_path, sizeof(lock_path), e)) != SK_OK ||
        (ret = sk_lock_acquire(lock_path, &token_lock, e)) != SK_OK)
        goto out;
    ret = issue_choose_token(env, o, opts, resume_uri, &tc, e);
    if (!tc.hold_lock)
        sk_lock_release(&token_lock);
    if (ret != SK_OK)
        goto out;

    /* Everything else that can be checked before the token is wiped: the PIN against the
     * policy and the token, and the place of the PIN mailer. */
    if ((ret = station_order_dir(env->st, o->number, r->out_dir, sizeof(r->out_dir), e)) !=
            SK_OK ||
        (ret = sk_secmem_alloc(SK_SECRET_MAX, (void **)&pin, e)) != SK_OK ||
        (ret = prepare_pin(env, opts, &tc.info, pin, e)) != SK_OK)
        goto out;
    if (opts->pin_out == NULL &&
        ((ret = sk_path_join(r->pin_mailer, sizeof(r->pin_mailer), r->out_dir, "pin-mailer.txt",
                             e)) != SK_OK ||
         (ret = issue_check_pin_mailer(r->pin_mailer, o, strlen(pin), e)) != SK_OK))
        goto out;
    if (strlen(o->number) > 32) {
        ret = sk_err_set(e, SK_EINPUT, "order %s: the order number is longer than the 32 "
                         "characters of a token label", o->number);
        goto out;
    }
    /* The operator asked to wipe the live token of an order: its certificate is revoked
     * before the token is touched. */
    if (tc.has_holder) {
        if ((ret = issue_revoke_holder(env, o, &tc.holder, tc.info.serial, "token", reason,
                                       e)) != SK_OK)
            goto out;
        snprintf(r->holder_order, sizeof(r->holder_order), "%s", tc.holder.order_number);
    }

    if ((ret = reserve(env, o, p, reissue_of, &id, r->cert_serial, sizeof(r->cert_serial), e)) !=
        SK_OK)
        goto out;
    r->issuance_id = id;
    if ((ret = audit(env, o, r, AUDIT_EV_SERIAL_RESERVED, AUDIT_OK, NULL, e)) != SK_OK) {
        sk_err fe;
        ledger_fail(env->ledger, id, e->msg, &fe);
        goto out;
    }
    step_recorded(opts, ISS_RESERVED);
    crash_point("reserved");
    issue_opts o2 = *opts;
    o2.revocation_reason = reason;
    ret = personalise(env, o, p, &o2, tc.slot, id, r->cert_serial, reissue_of, &pin, seals,
                      n_seals, &tc, &token_lock, r, e);
    if (ret != SK_OK) {
        sk_err fe;
        sk_err_clear(&fe);
        /* The original error is what the operator needs; a ledger failure on top is added. */
        if (issue_close_failed(env->ledger, env->audit, o->number, id, r->token_serial,
                               r->cert_serial, e->msg, &fe) != SK_OK)
            sk_err_wrap(e, "%s; and recording the failure failed too", fe.msg);
    }
out:
    if (ret != SK_OK && strncmp(e->msg, "order ", 6) != 0)
        sk_err_wrap(e, "order %s", o->number);
    if (ret != SK_OK && r->holder_order[0] != '\0') {
        size_t used = strlen(e->msg);
        snprintf(e->msg + used, sizeof(e->msg) - used, " (order %s, the token's holder, was "
                 "revoked before the token was touched)", r->holder_order);
    }
    sk_secmem_free(pin, SK_SECRET_MAX);
    for (size_t i = 0; i < ISSUE_MAX_SEALS; i++)
        issue_seal_clear(&seals[i]);
    tok_slot_free(tc.slot);
    issue_release_claim(env, tc.claimed_serial, &tc.claim_fd);
    sk_lock_release(&token_lock);
    if (claimed)
        ledger_release(env->ledger, o->number);
    return ret;
}

/* The steps' shared pieces, for the SKF path (issue_skf.c), which runs the same state machine
 * on another token API. */
void issue_step_recorded(const issue_opts *opts, iss_step step)
{
    step_recorded(opts, step);
}

int issue_audit(const issue_env *env, const order *o, const issue_result *r, audit_ev event,
                audit_result result, const char *detail, sk_err *e)
{
    return audit(env, o, r, event, result, detail, e);
}

int issue_check_ledger(const issue_env *env, const order *o, const issue_opts *opts,
                       long long *reissue_of, char *resume_uri, size_t resume_len,
                       issue_result *r, sk_err *e)
{
    return check_ledger(env, o, opts, reissue_of, resume_uri, resume_len, r, e);
}

int issue_reserve(const issue_env *env, const order *o, const station_project *p,
                  long long reissue_of, long long *id, char *serial, size_t serial_len, sk_err *e)
{
    return reserve(env, o, p, reissue_of, id, serial, serial_len, e);
}

int issue_make_seals(const issue_env *env, const order *o, long long id, X509 *cert,
                     issue_seal *seals, size_t n, issue_result *r, sk_err *e)
{
    return make_seals(env, o, id, cert, seals, n, r, e);
}

int issue_write_outputs(const issue_env *env, const char *out_dir, X509 *cert, sk_err *e)
{
    return write_outputs(env, out_dir, cert, e);
}
