/* The issuance on an SKF (GM/T 0016) device: the same steps, ledger records, audit records
 * and crash points as issue.c's PKCS#11 path, over skf/ (docs/skf.md, "Issuance"). The
 * token serial is the device serial (DEVINFO.SerialNumber), fixed before anything is written,
 * so a device is claimed by it as soon as it is chosen. */
#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer/ca/ca_util.h"
#include "issuer/issuance/issue_int.h"
#include "issuer/kmc/kmc.h"
#include "util/sk_file.h"
#include "util/sk_lock.h"
#include "util/sk_secmem.h"

/* SKF PIN lengths: GM/T 0016 leaves them to the device; 6..16 is what the soft device and
 * the vendors' devices we know take. */
#define SKF_PIN_MIN 6
#define SKF_PIN_MAX 16

typedef struct skf_choice {
    skf_dev *dev;
    skf_dev_info info;
    bool resuming;
    bool has_holder;         /* --revoke-holder: the device holds this live issuance */
    ledger_issuance holder;
    int claim_fd;
    char claimed_serial[33];
} skf_choice;

/* --token for an SKF station: "skf:NAME" (the name SKF_EnumDev gives) or "skf:serial=S". */
static int parse_token(const char *uri, const char **name, const char **serial, sk_err *e)
{
    *name = *serial = NULL;
    if (uri == NULL)
        return SK_OK;
    if (strncmp(uri, "skf:serial=", 11) == 0 && uri[11] != '\0')
        *serial = uri + 11;
    else if (strncmp(uri, "skf:", 4) == 0 && uri[4] != '\0')
        *name = uri + 4;
    else
        return sk_err_set(e, SK_EINPUT, "--token '%s': an SKF station names a device as "
                          "skf:NAME or skf:serial=SERIAL", uri);
    return SK_OK;
}

/* Is the device the one a failed attempt of this order left (check_ledger's resume_uri:
 * pkcs11:serial=S, or pkcs11:token=ORDER before the serial was recorded)? */
static bool is_resume(const char *resume_uri, const skf_dev_info *d)
{
    if (strncmp(resume_uri, "pkcs11:serial=", 14) == 0)
        return strcmp(resume_uri + 14, d->serial) == 0;
    if (strncmp(resume_uri, "pkcs11:token=", 13) == 0)
        return strcmp(resume_uri + 13, d->label) == 0;
    return false;
}

/* A device that is not blank holds something: another order's live certificate is refused
 * unless --revoke-holder names that order (then ch->holder), an unfinished issuance of
 * another order always; anything else needs --reinit. */
static int check_used(const issue_env *env, const order *o, const issue_opts *opts,
                      const skf_dev_info *d, skf_choice *ch, sk_err *e)
{
    ledger_issuance last;
    bool found = false;
    int ret;

    if ((ret = ledger_token_live(env->ledger, d->serial, &last, &found, e)) != SK_OK)
        return ret;
    if (found && (opts->revoke_holder == NULL ||
                  strcmp(opts->revoke_holder, last.order_number) != 0))
        return sk_err_set(e, SK_ESTATE, "SKF device '%s' (serial %s) holds order %s's live "
                          "certificate (serial %s); --reinit --revoke-holder %s revokes it and "
                          "wipes the device", d->name, d->serial, last.order_number,
                          last.cert_serial, last.order_number);
    if (found) {
        ch->has_holder = true;
        ch->holder = last;
    }
    if ((ret = ledger_token_latest(env->ledger, d->serial, &last, &found, e)) != SK_OK)
        return ret;
    if (found && last.step < ISS_VERIFIED && strcmp(last.order_number, o->number) != 0)
        return sk_err_set(e, SK_ESTATE, "SKF device '%s' (serial %s) holds order %s's "
                          "unfinished issuance; re-run that order first", d->name, d->serial,
                          last.order_number);
    if (!opts->reinit)
        return sk_err_set(e, SK_ESTATE, "SKF device '%s' (serial %s) is not blank (%zu "
                          "application(s)); use --reinit to erase it", d->name, d->serial,
                          d->n_apps);
    return SK_OK;
}

/* Under tokens.lock: the device of the failed attempt being redone, else the one --token
 * names, else the first blank one no other process has claimed; claimed by its serial. */
static int choose_device(const issue_env *env, const order *o, const issue_opts *opts,
                         const char *resume_uri, skf_choice *c, sk_err *e)
{
    skf_dev_info *devs = NULL;
    size_t n = 0, blanks = 0;
    const char *want_name, *want_serial;
    const skf_dev_info *pick = NULL;
    int ret;

    if ((ret = parse_token(opts->token_uri, &want_name, &want_serial, e)) != SK_OK ||
        (ret = skf_list_devices(env->skf, &devs, &n, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < n && pick == NULL; i++)
        if (resume_uri[0] != '\0' && is_resume(resume_uri, &devs[i])) {
            pick = &devs[i];
            c->resuming = true;
        }
    for (size_t i = 0; i < n && pick == NULL && opts->token_uri != NULL; i++)
        if ((want_name != NULL && strcmp(devs[i].name, want_name) == 0) ||
            (want_serial != NULL && strcmp(devs[i].serial, want_serial) == 0))
            pick = &devs[i];
    if (pick == NULL && opts->token_uri != NULL) {
        ret = sk_err_set(e, SK_ETOKEN, "no SKF device matches --token %s", opts->token_uri);
        goto out;
    }
    if (pick != NULL) {
        if ((ret = issue_claim_token(env, pick->serial, &c->claim_fd, e)) != SK_OK)
            goto out;
    } else {
        for (size_t i = 0; i < n && pick == NULL; i++) {
            if (devs[i].n_apps != 0)
                continue;
            blanks++;
            ret = issue_claim_token(env, devs[i].serial, &c->claim_fd, e);
            if (ret == SK_EBUSY)
                continue;
            if (ret != SK_OK)
                goto out;
            pick = &devs[i];
        }
        if (pick == NULL) {
            ret = blanks == 0
                      ? sk_err_set(e, SK_ETOKEN, "no blank SKF device (one with no application) "
                                   "present")
                      : sk_err_set(e, SK_ETOKEN, "no blank SKF device free: the %zu present are "
                                   "being issued onto by other processes of this station",
                                   blanks);
            goto out;
        }
    }
    snprintf(c->claimed_serial, sizeof(c->claimed_serial), "%s", pick->serial);
    c->info = *pick;
    if (!c->resuming && pick->n_apps != 0 &&
        (ret = check_used(env, o, opts, pick, c, e)) != SK_OK)
        goto out;
    ret = skf_select(env->skf, pick->name, pick->serial, &c->dev, e);
out:
    free(devs);
    return ret;
}

/* Erase what an earlier attempt (or, with --reinit, anyone) left: every application. */
static int wipe_device(skf_dev *d, sk_err *e)
{
    char **names = NULL;
    size_t n = 0;
    int ret = skf_app_list(d, &names, &n, e);

    for (size_t i = 0; ret == SK_OK && i < n; i++)
        ret = skf_app_delete(d, names[i], e);
    skf_names_free(names, n);
    return ret;
}

/* The key id the ledger records: SHA-1 of the public point (RFC 5280 4.2.1.2 method 1), as
 * the certificate's SubjectKeyIdentifier is usually made. */
static int key_id_hex(EVP_PKEY *pub, char *hex, size_t hexlen, sk_err *e)
{
    unsigned char pt[133], md[SHA_DIGEST_LENGTH];
    size_t len = 0;

    if (!EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
                                         &len) ||
        SHA1(pt, len, md) == NULL)
        return sk_err_ossl(e, SK_ECRYPTO, "key id of the device's public key");
    hex[0] = '\0';
    for (size_t i = 0, o = 0; i < sizeof(md) && o + 3 <= hexlen; i++, o += 2)
        snprintf(hex + o, hexlen - o, "%02x", md[i]);
    return SK_OK;
}

/* The CSR, signed on the device (SM2 with SM3 and the default ID), with the order's subject. */
static int make_csr(const station_project *p, const order *o, skf_con *c, EVP_PKEY *pub,
                    X509_REQ **out, sk_err *e)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = NULL;
    int ret;

    *out = NULL;
    if (req == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    if ((ret = ca_org_subject(p, o, &name, e)) != SK_OK)
        goto out;
    if (!X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, name) ||
        !X509_REQ_set_pubkey(req, pub)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "building the CSR");
        goto out;
    }
    if ((ret = skf_sign_req(c, req, e)) != SK_OK)
        goto out;
    *out = req;
    req = NULL;
out:
    X509_NAME_free(name);
    X509_REQ_free(req);
    return ret;
}

static int write_der_file(skf_app *a, const char *name, X509 *cert, sk_err *e)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    int ret;

    if (len <= 0)
        return sk_err_ossl(e, SK_ECRYPTO, "encoding %s", name);
    ret = skf_file_write(a, name, der, (size_t)len, e);
    OPENSSL_free(der);
    return ret;
}

/* The KMC's envelope as GM/T 0016 lays it out (its fields are laid out for this: kmc.h). */
static int envelope_blob(const kmc_envelope *k, ENVELOPEDKEYBLOB **out, size_t *len, sk_err *e)
{
    ENVELOPEDKEYBLOB *b;

    *out = NULL;
    if (k->cipher_len == 0 || k->cipher_len > KMC_SM4_KEY_LEN)
        return sk_err_set(e, SK_EINPUT, "KMC envelope: cipher length %lu", k->cipher_len);
    *len = sizeof(ENVELOPEDKEYBLOB) + k->cipher_len - 1;
    if ((b = OPENSSL_zalloc(*len)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    b->Version = (ULONG)k->version;
    b->ulSymmAlgID = (ULONG)k->symm_alg_id;
    b->ulBits = (ULONG)k->bits;
    memcpy(b->cbEncryptedPriKey, k->enc_private_key, sizeof(b->cbEncryptedPriKey));
    b->PubKey.BitLen = (ULONG)k->pub_bits;
    memcpy(b->PubKey.XCoordinate, k->pub_x, sizeof(b->PubKey.XCoordinate));
    memcpy(b->PubKey.YCoordinate, k->pub_y, sizeof(b->PubKey.YCoordinate));
    memcpy(b->ECCCipherBlob.XCoordinate, k->cipher_x, sizeof(b->ECCCipherBlob.XCoordinate));
    memcpy(b->ECCCipherBlob.YCoordinate, k->cipher_y, sizeof(b->ECCCipherBlob.YCoordinate));
    memcpy(b->ECCCipherBlob.HASH, k->cipher_hash, sizeof(b->ECCCipherBlob.HASH));
    b->ECCCipherBlob.CipherLen = (ULONG)k->cipher_len;
    memcpy(b->ECCCipherBlob.Cipher, k->cipher, k->cipher_len);
    *out = b;
    return SK_OK;
}

/* Dual certificate (双证书), part of cert_issued: the KMC's encryption key pair, enveloped to
 * the device's signing key, imported into the container; its certificate (keyEncipherment,
 * dataEncipherment) from the SM2 CA under a serial of its own, recorded in the ledger. */
static int dual_cert(const issue_env *env, const order *o, const station_project *p,
                     skf_con *c, EVP_PKEY *sign_pub, long long id, issue_result *r, X509 **out,
                     sk_err *e)
{
    kmc_envelope kenv;
    EVP_PKEY *enc_pub = NULL;
    X509_REQ *req = NULL;
    X509 *cert = NULL;
    ENVELOPEDKEYBLOB *blob = NULL;
    size_t blob_len = 0, pem_len = 0;
    char *pem = NULL, serial[80], detail[160], key_id[17];
    bool taken = true;
    int ret;

    memset(&kenv, 0, sizeof(kenv));
    *out = NULL;
    if ((ret = kmc_enc_key_pair(env->kmc, o->number, sign_pub, &kenv, &enc_pub, &req, e)) !=
            SK_OK ||
        (ret = envelope_blob(&kenv, &blob, &blob_len, e)) != SK_OK ||
        (ret = skf_import_enveloped(c, blob, blob_len, e)) != SK_OK ||
        (ret = kmc_key_id(enc_pub, key_id, e)) != SK_OK)
        goto out;
    for (int attempt = 0; attempt < 4 && taken; attempt++) {
        X509_free(cert);
        cert = NULL;
        free(pem);
        pem = NULL;
        if ((ret = ca_new_serial(serial, sizeof(serial), e)) != SK_OK ||
            (ret = ca_issue_org_enc_cert_csr(env->ca, p, o, req, serial, time(NULL), &cert, e)) !=
                SK_OK ||
            (ret = cau_cert_pem(cert, &pem, &pem_len, e)) != SK_OK)
            goto out;
        ret = ledger_enc_cert(env->ledger, id, ca_issuer_id(env->ca), serial, pem, &taken, e);
        if (ret != SK_OK && !taken)
            goto out;
    }
    if (ret != SK_OK)
        goto out;
    snprintf(r->enc_cert_serial, sizeof(r->enc_cert_serial), "%s", serial);
    snprintf(detail, sizeof(detail), "encryption certificate, key %s from the KMC", key_id);
    audit_event ev = {.event = AUDIT_EV_CERT_ISSUED,
                      .order = o->number,
                      .token_serial = r->token_serial,
                      .cert_serial = serial,
                      .result = AUDIT_OK,
                      .detail = detail};
    if ((ret = audit_append(env->audit, &ev, e)) != SK_OK) {
        sk_err_wrap(e, "audit log");
        goto out;
    }
    *out = cert;
    cert = NULL;
out:
    kmc_envelope_clear(&kenv);
    OPENSSL_clear_free(blob, blob_len);
    EVP_PKEY_free(enc_pub);
    X509_REQ_free(req);
    X509_free(cert);
    free(pem);
    return ret;
}

/* Written: the signing certificate into the container, the CA chain and the seals as files
 * of the application. */
static int write_token(const issue_env *env, skf_app *a, skf_con *c, X509 *cert, X509 *enc_cert,
                       const issue_seal *seals, size_t n, sk_err *e)
{
    char name[64];
    int ret;

    if ((ret = skf_import_cert(c, true, cert, e)) != SK_OK ||
        (enc_cert != NULL && (ret = skf_import_cert(c, false, enc_cert, e)) != SK_OK) ||
        (ret = write_der_file(a, ISSUE_SKF_CA_ISSUING, ca_issuing_cert(env->ca), e)) != SK_OK ||
        (ret = write_der_file(a, ISSUE_SKF_CA_ROOT, ca_root_cert(env->ca), e)) != SK_OK)
        return ret;
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s.esl", seals[i].kind);
        if ((ret = skf_file_write(a, name, seals[i].der, seals[i].der_len, e)) != SK_OK)
            return ret;
    }
    return SK_OK;
}

/* The steps after the serial is reserved; the caller records a failure. pin is the new user
 * PIN (locked memory), wiped and freed here once the user is logged in. */
static int personalise(const issue_env *env, const order *o, const station_project *p,
                       const issue_opts *opts, skf_choice *ch, long long id, const char *serial,
                       long long reissue_of, char **pinp, issue_seal *seals, size_t n_seals,
                       issue_result *r, sk_err *e)
{
    char *pin = *pinp;
    skf_app *a = NULL;
    skf_con *c = NULL;
    EVP_PKEY *pub = NULL;
    X509_REQ *req = NULL;
    X509 *cert = NULL, *enc_cert = NULL;
    char *pem = NULL;
    size_t pem_len = 0;
    char nb[32], na[32];
    int ret;

    /* Token initialised: the device authenticated, whatever it held erased, labelled with the
     * order, the PIN mailer written (before the PIN exists, so no crash leaves a PIN nobody
     * knows), the application created with both PINs and the policy's retry counts. */
    snprintf(r->token_label, sizeof(r->token_label), "%s", o->number);
    snprintf(r->token_serial, sizeof(r->token_serial), "%s", ch->info.serial);
    if ((ret = skf_dev_auth(ch->dev, (const unsigned char *)env->skf_auth_key,
                            strlen(env->skf_auth_key), e)) != SK_OK ||
        (ret = wipe_device(ch->dev, e)) != SK_OK ||
        (ret = skf_dev_set_label(ch->dev, o->number, e)) != SK_OK)
        goto out;
    if (opts->pin_out != NULL) {
        if (opts->pin_out != opts->user_pin)
            memcpy(opts->pin_out, pin, SK_SECRET_MAX);
        r->pin_mailer[0] = '\0';
    } else if ((ret = issue_write_pin_mailer(r->pin_mailer, o, o->number, ch->info.serial, pin,
                                             e)) != SK_OK) {
        goto out;
    }
    if ((ret = skf_app_create(ch->dev, ISSUE_SKF_APP, env->so_pin,
                              (unsigned)env->st->so_pin_retries, pin,
                              (unsigned)env->st->user_pin_retries, &a, e)) != SK_OK)
        goto out;
    issue_crash_point("token_init");
    ledger_update u1 = {.token_label = r->token_label, .token_serial = r->token_serial};
    if ((ret = ledger_step(env->ledger, id, ISS_TOKEN_INITIALISED, &u1, e)) != SK_OK ||
        (ret = issue_audit(env, o, r, AUDIT_EV_TOKEN_INITIALISED, AUDIT_OK, r->token_label, e)) !=
            SK_OK)
        goto out;
    issue_step_recorded(opts, ISS_TOKEN_INITIALISED);
    issue_crash_point("token_initialised");

    /* Key generated: the SM2 signing pair on the device, in the signing container. */
    if ((ret = skf_login_user(a, pin, e)) != SK_OK)
        goto out;
    sk_secmem_free(pin, SK_SECRET_MAX);
    *pinp = NULL;
    if ((ret = skf_con_create(a, ISSUE_SKF_CON, &c, e)) != SK_OK ||
        (ret = skf_gen_sign_keypair(c, &pub, e)) != SK_OK ||
        (ret = key_id_hex(pub, r->key_id, sizeof(r->key_id), e)) != SK_OK)
        goto out;
    issue_crash_point("keygen");
    ledger_update u2 = {.key_id = r->key_id};
    if ((ret = ledger_step(env->ledger, id, ISS_KEY_GENERATED, &u2, e)) != SK_OK ||
        (ret = issue_audit(env, o, r, AUDIT_EV_KEY_GENERATED, AUDIT_OK, "sm2 (SKF)", e)) != SK_OK)
        goto out;
    issue_step_recorded(opts, ISS_KEY_GENERATED);
    issue_crash_point("key_generated");

    /* Certificate issued by the SM2 CA from the CSR the device signed. */
    if ((ret = make_csr(p, o, c, pub, &req, e)) != SK_OK ||
        (ret = ca_issue_org_cert_csr(env->ca, p, o, req, serial, time(NULL), &cert, e)) !=
            SK_OK ||
        (ret = cau_cert_pem(cert, &pem, &pem_len, e)) != SK_OK)
        goto out;
    issue_crash_point("cert_signed");
    cau_asn1_iso(X509_get0_notBefore(cert), nb, sizeof(nb));
    cau_asn1_iso(X509_get0_notAfter(cert), na, sizeof(na));
    snprintf(r->not_after, sizeof(r->not_after), "%s", na);
    ledger_update u3 = {.not_before = nb, .not_after = na, .cert_pem = pem};
    if ((ret = ledger_step(env->ledger, id, ISS_CERT_ISSUED, &u3, e)) != SK_OK ||
        (ret = issue_audit(env, o, r, AUDIT_EV_CERT_ISSUED, AUDIT_OK, na, e)) != SK_OK)
        goto out;
    issue_step_recorded(opts, ISS_CERT_ISSUED);
    issue_crash_point("cert_issued");
    if (env->kmc != NULL) {
        if ((ret = dual_cert(env, o, p, c, pub, id, r, &enc_cert, e)) != SK_OK)
            goto out;
        issue_crash_point("enc_cert_issued");
    }

    /* Seals made, bound to the SM2 signing certificate. */
    if ((ret = issue_make_seals(env, o, id, cert, seals, n_seals, r, e)) != SK_OK)
        goto out;
    issue_step_recorded(opts, ISS_SEALS_MADE);
    issue_crash_point("seals_made");

    if ((ret = write_token(env, a, c, cert, enc_cert, seals, n_seals, e)) != SK_OK)
        goto out;
    issue_crash_point("objects_written");
    if ((ret = ledger_step(env->ledger, id, ISS_WRITTEN, NULL, e)) != SK_OK ||
        (ret = issue_audit(env, o, r, AUDIT_EV_WRITTEN, AUDIT_OK, NULL, e)) != SK_OK)
        goto out;
    issue_step_recorded(opts, ISS_WRITTEN);
    issue_crash_point("written");

    /* Verified: read back, a test document sealed on the device, then the files. */
    if ((ret = issue_skf_verify(env, ch->dev, a, c, cert, enc_cert, seals, n_seals, r->out_dir,
                                 e)) != SK_OK ||
        (ret = issue_write_outputs(env, r->out_dir, cert, e)) != SK_OK)
        goto out;
    if (enc_cert != NULL) {
        char path[PATH_MAX];
        if ((ret = sk_path_join(path, sizeof(path), r->out_dir, "enc-cert.pem", e)) != SK_OK ||
            (ret = cau_write_certs(path, &enc_cert, 1, e)) != SK_OK)
            goto out;
    }
    issue_crash_point("outputs_written");
    ret = issue_record_verified(env, o, opts, id, reissue_of, r, e);
out:
    EVP_PKEY_free(pub);
    X509_REQ_free(req);
    X509_free(cert);
    X509_free(enc_cert);
    free(pem);
    skf_con_free(c);
    skf_app_free(a);
    return ret;
}

/* The new user PIN: the chosen one or a random one by the policy, within what SKF takes. */
static int prepare_pin(const issue_env *env, const issue_opts *opts, char *pin, sk_err *e)
{
    int ret;

    if (opts->user_pin != NULL) {
        if (snprintf(pin, SK_SECRET_MAX, "%s", opts->user_pin) >= SK_SECRET_MAX)
            return sk_err_set(e, SK_EPIN, "the user PIN is too long");
    } else if ((ret = issue_random_pin(env->st->user_pin_min, env->st->user_pin_max, pin,
                                       SK_SECRET_MAX, e)) != SK_OK) {
        return ret;
    }
    if (strlen(pin) < SKF_PIN_MIN || strlen(pin) > SKF_PIN_MAX)
        return sk_err_set(e, SK_EPIN, "the user PIN has %zu characters; SKF devices take %d to "
                          "%d", strlen(pin), SKF_PIN_MIN, SKF_PIN_MAX);
    if (strlen(env->so_pin) < SKF_PIN_MIN || strlen(env->so_pin) > SKF_PIN_MAX)
        return sk_err_set(e, SK_EPIN, "the SO PIN (pin_policy.so_pin) has %zu characters; SKF "
                          "devices take %d to %d", strlen(env->so_pin), SKF_PIN_MIN,
                          SKF_PIN_MAX);
    return SK_OK;
}

int issue_order_skf(const issue_env *env, const order *o, const station_project *p,
                    const issue_opts *opts, issue_result *r, sk_err *e)
{
    int ret;
    long long reissue_of = 0, id = 0;
    char resume_uri[128];
    skf_choice ch;
    issue_seal seals[ISSUE_MAX_SEALS];
    size_t n_seals = 0;
    char lock_path[PATH_MAX];
    int token_lock = -1;
    bool claimed = false;
    const char *reason = NULL, *want_name, *want_serial;
    char *pin = NULL;

    memset(&ch, 0, sizeof(ch));
    ch.claim_fd = -1;
    memset(seals, 0, sizeof(seals));
    if (!sk_keyalg_is_sm2(p->key_alg)) {
        ret = sk_err_set(e, SK_EINPUT, "order %s: project %s has key_algorithm %s; this station "
                         "issues on SKF tokens (token_api \"skf\"), which sealkey gives SM2 "
                         "keys only (key_algorithm \"sm2\")",
                         o->number, p->code, sk_keyalg_name(p->key_alg));
        goto out;
    }
    if (env->skf == NULL || env->skf_auth_key == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "order %s: the SKF library is not open", o->number);
        goto out;
    }
    if ((ret = ca_check_project_alg(env->ca, p, e)) != SK_OK)
        goto out;
    if (o->review_status == NULL || strcmp(o->review_status, "approved") != 0) {
        ret = sk_err_set(e, SK_ESTATE, "order %s: review status is '%s', not approved", o->number,
                         o->review_status ? o->review_status : "");
        goto out;
    }
    if (opts->revocation_reason != NULL &&
        (ret = ca_revocation_reason(opts->revocation_reason, &reason, e)) != SK_OK)
        goto out;
    if ((ret = parse_token(opts->token_uri, &want_name, &want_serial, e)) != SK_OK)
        goto out;
    if (opts->user_pin != NULL && (ret = issue_check_user_pin(env->st, opts->user_pin, e)) != SK_OK)
        goto out;
    if (strlen(o->number) > 32) {
        ret = sk_err_set(e, SK_EINPUT, "order %s: the order number is longer than the 32 "
                         "characters of a device label", o->number);
        goto out;
    }
    if ((ret = issue_seal_pictures(o, p, seals, &n_seals, e)) != SK_OK)
        goto out;
    if ((ret = ledger_claim(env->ledger, o->number, &claimed, e)) != SK_OK)
        goto out;
    if (!claimed) {
        ret = sk_err_set(e, SK_EBUSY, "order %s is being issued by another process or station",
                         o->number);
        goto out;
    }
    if ((ret = issue_check_ledger(env, o, opts, &reissue_of, resume_uri, sizeof(resume_uri), r,
                                  e)) != SK_OK ||
        r->already_issued)
        goto out;

    /* The choice of a device is the critical section across the station's processes. */
    if ((ret = station_path(env->st, "tokens.lock", lock_path, sizeof(lock_path), e)) != SK_OK ||
        (ret = sk_lock_acquire(lock_path, &token_lock, e)) != SK_OK)
        goto out;
    ret = choose_device(env, o, opts, resume_uri, &ch, e);
    sk_lock_release(&token_lock);
    if (ret != SK_OK)
        goto out;

    if ((ret = station_order_dir(env->st, o->number, r->out_dir, sizeof(r->out_dir), e)) !=
            SK_OK ||
        (ret = sk_secmem_alloc(SK_SECRET_MAX, (void **)&pin, e)) != SK_OK ||
        (ret = prepare_pin(env, opts, pin, e)) != SK_OK)
        goto out;
    if (opts->pin_out == NULL &&
        ((ret = sk_path_join(r->pin_mailer, sizeof(r->pin_mailer), r->out_dir, "pin-mailer.txt",
                             e)) != SK_OK ||
         (ret = issue_check_pin_mailer(r->pin_mailer, o, strlen(pin), e)) != SK_OK))
        goto out;

    /* --revoke-holder: the holder's certificate revoked before the device is touched. */
    if (ch.has_holder) {
        if ((ret = issue_revoke_holder(env, o, &ch.holder, ch.info.serial, "SKF device",
                                       reason, e)) != SK_OK)
            goto out;
        snprintf(r->holder_order, sizeof(r->holder_order), "%s", ch.holder.order_number);
    }
    if ((ret = issue_reserve(env, o, p, reissue_of, &id, r->cert_serial, sizeof(r->cert_serial),
                             e)) != SK_OK)
        goto out;
    r->issuance_id = id;
    if ((ret = issue_audit(env, o, r, AUDIT_EV_SERIAL_RESERVED, AUDIT_OK, NULL, e)) != SK_OK) {
        sk_err fe;
        ledger_fail(env->ledger, id, e->msg, &fe);
        goto out;
    }
    issue_step_recorded(opts, ISS_RESERVED);
    issue_crash_point("reserved");
    issue_opts o2 = *opts;
    o2.revocation_reason = reason;
    ret = personalise(env, o, p, &o2, &ch, id, r->cert_serial, reissue_of, &pin, seals, n_seals,
                      r, e);
    if (ret != SK_OK) {
        sk_err fe;
        sk_err_clear(&fe);
        if (issue_close_failed(env->ledger, env->audit, o->number, id, r->token_serial,
                               r->cert_serial, e->msg, &fe) != SK_OK)
            sk_err_wrap(e, "%s; and recording the failure failed too", fe.msg);
    }
out:
    sk_secmem_free(pin, SK_SECRET_MAX);
    for (size_t i = 0; i < ISSUE_MAX_SEALS; i++)
        issue_seal_clear(&seals[i]);
    skf_dev_free(ch.dev);
    issue_release_claim(env, ch.claimed_serial, &ch.claim_fd);
    sk_lock_release(&token_lock);
    if (claimed)
        ledger_release(env->ledger, o->number);
    return ret;
}
