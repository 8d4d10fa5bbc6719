/* One approved order -> one personalised, verified token (the issuance state machine). */
#ifndef SK_ISSUE_H
#define SK_ISSUE_H

#include <limits.h>
#include <stdbool.h>

#include "issuer/records/audit.h"
#include "issuer/ca/ca.h"
#include "issuer/records/ledger.h"
#include "issuer/orders/order.h"
#include "issuer/station/station.h"
#include "pkcs11/tok.h"
#include "seal/sealmaker.h"
#include "skf/skf.h"
#include "util/sk_secret.h"

/* What an issuance works with; all owned by the caller. */
typedef struct issue_env {
    const station_config *st;
    ledger *ledger;
    audit_sink *audit;      /* the station's record keeper (audit_sink_open_station) */
    tok_module *tokens;     /* module of the tokens being issued */
    skf_lib *skf;           /* token_api "skf": the vendor's SKF library (else NULL) */
    const char *skf_auth_key; /* token_api "skf": the device authentication key (16 bytes) */
    struct kmc *kmc;        /* token_api "skf" with a "kmc": dual certificates (else NULL) */
    ca *ca;
    const sealmaker *maker; /* the CA's seal maker (SM2) */
    const char *seal_root;  /* path of the seal maker's root certificate, for verification */
    const char *so_pin;     /* the station's SO PIN */
    const char *operator_name; /* for the ledger (the sink records its own) */
} issue_env;

typedef struct issue_opts {
    const char *token_uri;  /* RFC 7512 URI of the token, or NULL for the first blank one */
    bool reissue;           /* replace a verified issuance of the order; the old one stays
                               live until the new one is verified, then is revoked */
    bool reinit;            /* erase a token that is already initialised */
    const char *revoke_holder; /* the order whose live certificate the chosen token holds:
                               revoke it, then wipe the token; NULL refuses such a token */
    const char *revocation_reason; /* CRL reason (lost, keyCompromise, ...) for what this
                               issuance revokes: the certificate a reissue replaces (default
                               superseded) and revoke_holder's (default cessationOfOperation) */
    const char *user_pin;   /* the user PIN to set, or NULL for a random one by policy */
    char *pin_out;          /* non-NULL: the PIN set goes here (SK_SECRET_MAX bytes of the
                               caller's locked memory; may be user_pin's own buffer) instead
                               of into a PIN mailer */
    bool issued_is_done;    /* an order already verified is success (r->already_issued), not
                               an error: for batches racing other batches or stations */
    /* Called after each step from reserved to verified is recorded in the ledger, so that a
     * supervising process can hold each step to the station's time limit; NULL for none. */
    void (*on_step)(void *ctx, iss_step step);
    void *on_step_ctx;
} issue_opts;

typedef struct issue_result {
    bool already_issued;       /* with issued_is_done: nothing was done */
    long long issuance_id;
    char token_label[40];
    char token_serial[40];
    char cert_serial[80];
    char key_id[132];
    char not_after[32];
    bool not_after_capped;     /* set by issue_run (issue_env.h): notAfter is the issuing CA's */
    char out_dir[PATH_MAX];
    char pin_mailer[PATH_MAX]; /* "" when the PIN went to the caller */
    size_t n_seals;
    char seal_ids[2][48];      /* esIDs: official, then legal-rep when made */
    char replaced_cert_serial[80]; /* a reissue: the certificate it revoked, "" if none */
    char replaced_reason[32];
    char holder_order[64];     /* revoke_holder: the order whose certificate was revoked */
    /* External signing (station.json ca.signing "external"): the order waits for the
     * certificate the CA's own system signs; request_path is its token-signed request when
     * this run made it ("" when the order was waiting already). */
    bool awaiting_cert;
    char request_path[PATH_MAX];
    char enc_cert_serial[80];  /* SKF dual certificate: the encryption certificate, or "" */
} issue_result;

/* Run the whole issuance of order o. Everything that can be checked (the chosen PIN against
 * the policy and the token, the PIN mailer's place, whether the ledger holds the token as
 * another order's live token) is checked before the token is touched, and the token is
 * recorded in the ledger as soon as it is initialised, so a rerun resumes on it. On failure
 * after the serial was reserved, the ledger records the issuance as failed with the reason:
 * its serial void, or, if a certificate was already signed with it, that certificate
 * revoked (cessationOfOperation). */
int issue_order(const issue_env *env, const order *o, const issue_opts *opts, issue_result *r,
                sk_err *e);

/* Close an unfinished issuance as failed with the reason (ledger_fail: its serial void, or
 * its certificate revoked, cessationOfOperation, if one was signed) and append the audit
 * record saying so. The caller holds the order's claim. */
int issue_close_failed(ledger *l, audit_sink *audit, const char *order_number, long long id,
                       const char *token_serial, const char *cert_serial, const char *reason,
                       sk_err *e);

/* External signing: finish the issuance iss (at step awaiting_certificate, of order o) with
 * the certificate the CA's own system returned. Refused (SK_EINPUT, with the reason, the
 * issuance left waiting) unless the certificate's key is the token key of the issuance's
 * request, it chains to the station's CA now, it carries the order's subject as the profile
 * gives it, and it is not a CA certificate; SK_ETOKEN (still waiting) when the token is not
 * present. Then, on the token the key was made on: a random user PIN by pin_policy into the
 * PIN mailer and set with the SO PIN, the certificate recorded (cert_issued, its own serial:
 * ledger_external_cert), and the steps of every issuance after it (seals, written,
 * verified). A failure after cert_issued closes the issuance as failed, its certificate
 * revoked, as in issue_order. */
int issue_finish(const issue_env *env, const order *o, const ledger_issuance *iss, X509 *cert,
                 issue_result *r, sk_err *e);

/* Key and certificate labels on the token. */
#define ISSUE_KEY_LABEL_FMT "%s signing key"

/* For `sealkey token unblock` (issuer/operations/op_token.c): a random user PIN by the
 * station's pin_policy (min..max digits, into pin of pinlen bytes), and a PIN mailer in the
 * issuance's format (0600) created at path, never replacing a file there (SK_ESTATE). */
int issue_random_pin(int min_digits, int max_digits, char *pin, size_t pinlen, sk_err *e);
int issue_create_pin_mailer(const char *path, const order *o, const char *token_label,
                            const char *token_serial, const char *pin, sk_err *e);

#endif
