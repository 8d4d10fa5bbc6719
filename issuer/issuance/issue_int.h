/* Pieces of the issuance shared between issuer/issue*.c files. */
#ifndef SK_ISSUE_INT_H
#define SK_ISSUE_INT_H

#include "issuer/issuance/issue.h"
#include "issuer/issuance/issue_seal.h"
#include "seal/ses_sign.h"

int issue_random_pin(int min_digits, int max_digits, char *pin, size_t pinlen, sk_err *e);
int issue_write_pin_mailer(const char *path, const order *o, const char *token_label,
                           const char *token_serial, const char *pin, sk_err *e);

/* A chosen user PIN against the station's pin_policy: digits only, user_pin_min_digits to
 * user_pin_max_digits of them. SK_EPIN saying what is wrong (never the PIN). */
int issue_check_user_pin(const station_config *st, const char *pin, sk_err *e);

/* Before the token is touched: can the PIN mailer for o (with a PIN of pin_len) be written
 * at path? Not something other than a file there, the text within its limit, and a file
 * can be created in its directory. */
int issue_check_pin_mailer(const char *path, const order *o, size_t pin_len, sk_err *e);

/* The token an issuance goes on, under the station's tokens lock (issuer/issuance/issue_token.c):
 * the half-made token of an earlier attempt when resume_uri names one and it is still
 * labelled with the order and not the live token of any order, else opts->token_uri, else
 * the first blank token. Then the ledger decides: a token that holds some order's live
 * certificate is refused unless opts->revoke_holder names that order (*holder then set);
 * an initialised token needs opts->reinit unless it is the one being resumed. */
typedef struct issue_token_choice {
    tok_slot *slot;
    tok_info info;
    bool resuming;
    bool has_holder;
    ledger_issuance holder; /* the live issuance on the token, when has_holder */
    int claim_fd;           /* this process's claim on the token (issue_claim_token), or -1 */
    char claimed_serial[17];
    bool hold_lock;         /* a blank token without a serial that other processes may see
                               too: keep tokens.lock until C_InitToken gave it one to claim */
} issue_token_choice;
int issue_choose_token(const issue_env *env, const order *o, const issue_opts *opts,
                       const char *resume_uri, issue_token_choice *c, sk_err *e);

/* Claim the token with this serial for this process until issue_release_claim (or its
 * exit): other processes of the station choosing a token skip it, and one asking for it by
 * URI is refused (SK_EBUSY). An empty serial claims nothing. Only the choice of a token is
 * serialised (tokens.lock); initialisation, key generation and writing run in parallel. */
int issue_claim_token(const issue_env *env, const char *serial, int *fd, sk_err *e);
void issue_release_claim(const issue_env *env, const char *serial, int *fd);

/* Revoke every certificate of the order whose live issuance (holder) is on the chosen token,
 * in the ledger and the audit log, before the token is wiped for order o. token_word names
 * the kind of token in the audit detail ("token", "SKF device"); reason NULL:
 * cessationOfOperation. The same for PKCS#11 tokens and SKF devices. */
int issue_revoke_holder(const issue_env *env, const order *o, const ledger_issuance *holder,
                        const char *token_serial, const char *token_word, const char *reason,
                        sk_err *e);

/* The verified step recorded: the ledger (a reissue's old issuance retired in the same
 * transaction), the audit log, the supervisor told, then the crash point. The same for
 * PKCS#11 tokens and SKF devices, once the token is read back and the outputs written. */
int issue_record_verified(const issue_env *env, const order *o, const issue_opts *opts,
                          long long id, long long reissue_of, issue_result *r, sk_err *e);

/* Read the token back and check that it holds exactly what the issuance wrote: the key pair
 * (on-token, sensitive, never extractable) and certificate under key_id, the certificate's
 * key equal to the token's public key, the chain verifying, the CA certificates, and each
 * seal as a data object byte-identical to what was made, verifying and carrying the
 * certificate. */
int issue_verify_token(const issue_env *env, tok_slot *slot, const unsigned char *key_id,
                       size_t key_id_len, X509 *cert, const issue_seal *seals, size_t n_seals,
                       sk_err *e);

/* The CKA_ID under which a CA certificate is stored: its SubjectKeyIdentifier. */
int issue_ca_cert_id(X509 *cert, unsigned char *id, size_t *id_len, sk_err *e);

/* Test-only crash points (SEALKEY_TEST_CRASH_AT). */
void issue_crash_point(const char *point);

/* The order's CSR, signed by the token key priv, checked against pub. */
int issue_make_csr(const station_project *p, const order *o, EVP_PKEY *priv, EVP_PKEY *pub,
                   X509_REQ **out, sk_err *e);

/* The steps after cert_issued, the same for a certificate signed here or returned by the
 * CA's own system: seals, written, verified (issue.c). */
int issue_complete(const issue_env *env, const order *o, const issue_opts *opts, tok_slot *slot,
                   long long id, const unsigned char *key_id, size_t key_id_len,
                   const char *label, X509 *cert, long long reissue_of, issue_seal *seals,
                   size_t n_seals, issue_result *r, sk_err *e);

/* External signing, after key_generated: the token-signed request written to
 * out/ORDER/request.csr and recorded, the issuance at awaiting_certificate
 * (issue_external.c). */
int issue_request_cert(const issue_env *env, const order *o, const station_project *p,
                       tok_slot *slot, long long id, const unsigned char *key_id,
                       size_t key_id_len, EVP_PKEY *pub, issue_result *r, sk_err *e);
/* The steps' shared pieces (issue.c), for the SKF path. */
void issue_step_recorded(const issue_opts *opts, iss_step step);
int issue_audit(const issue_env *env, const order *o, const issue_result *r, audit_ev event,
                audit_result result, const char *detail, sk_err *e);
int issue_check_ledger(const issue_env *env, const order *o, const issue_opts *opts,
                       long long *reissue_of, char *resume_uri, size_t resume_len,
                       issue_result *r, sk_err *e);
int issue_reserve(const issue_env *env, const order *o, const station_project *p,
                  long long reissue_of, long long *id, char *serial, size_t serial_len, sk_err *e);
int issue_make_seals(const issue_env *env, const order *o, long long id, X509 *cert,
                     issue_seal *seals, size_t n, issue_result *r, sk_err *e);
int issue_write_outputs(const issue_env *env, const char *out_dir, X509 *cert, sk_err *e);

/* SKF tokens (issue_skf.c): issue_order on a token_api "skf" station, from the point where
 * the project p is known. */
int issue_order_skf(const issue_env *env, const order *o, const station_project *p,
                    const issue_opts *opts, issue_result *r, sk_err *e);

/* Names on an SKF token sealkey makes (docs/skf.md, "The token sealkey makes"). */
#define ISSUE_SKF_APP "SEALKEY"
#define ISSUE_SKF_CON "sign"
#define ISSUE_SKF_CA_ISSUING "ca-issuing.cer"
#define ISSUE_SKF_CA_ROOT "ca-root.cer"

/* Read an SKF token back (issue_skf_verify.c): exactly the application, container and files
 * written; the signing key and certificate (and the encryption ones when enc_cert is
 * given) in the container, matching; the chain verifying; each seal byte-identical and
 * verifying; and a test document sealed with the device key and verified. */
int issue_skf_verify(const issue_env *env, skf_dev *d, skf_app *a, skf_con *c, X509 *cert,
                     X509 *enc_cert, const issue_seal *seals, size_t n_seals, const char *out_dir,
                     sk_err *e);

/* A ses_signer (seal/ses_sign.h) over the signing key of an SKF container: skf_sign. */
void issue_skf_signer(skf_con *c, X509 *cert, ses_signer *out);

#endif
