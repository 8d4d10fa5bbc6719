/* `sealkey token`: what an operator does with a token after its issuance (issue 13, item 6):
 * show it (the ledger and the token side by side), unblock its user PIN with the SO PIN,
 * put its certificate on hold and release it, mark it lost. Like the other operations
 * (operations.h): the ledger first, then the files, then the audit record; nothing printed. */
#ifndef SK_OP_TOKEN_H
#define SK_OP_TOKEN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "issuer/operations/operations.h"

/* A token as the operator names it: by order number, by token serial, or by an RFC 7512
 * URI (show and unblock, which look at the token itself). Exactly one is set. */
typedef struct op_token_ref {
    const char *order;
    const char *serial;
    const char *uri;
} op_token_ref;

/* The order a ref names, for hold, release and lost: ref->order as it is, or the order whose
 * live (or held) certificate the ledger holds on token ref->serial (SK_ESTATE if none). A
 * URI with serial= counts as that serial; one without is refused (SK_EUSAGE). */
int op_token_order(const op_env *env, const op_token_ref *ref, char *number, size_t len,
                   sk_err *e);

/* hold: the order's live certificate revoked as certificateHold (ledger_hold), its audit
 * record; release: the hold lifted, live again, left out of the next CRL. SK_ESTATE when
 * there is nothing to hold (not issued, held already) or to release (not on hold). */
int op_token_hold(const op_env *env, const char *number, const char *operator_name,
                  ledger_issuance *held, sk_err *e);
int op_token_release(const op_env *env, const char *number, const char *operator_name,
                     ledger_issuance *released, sk_err *e);

/* lost: every certificate of the order revoked (op_revoke; reason default keyCompromise, as
 * `revoke --reason lost`), then the token that carried the live or held one marked lost
 * (a token_events row) and audited. Run again after a crash between the two, it finds the
 * revocation done and marks the token. SK_ESTATE when the order has no issued token, or it
 * is marked lost already. */
typedef struct op_token_lost_result {
    char token_serial[40];
    char cert_serial[80];
    const char *reason;       /* the RFC 5280 name recorded */
    op_revoke_result revoke;  /* what this call revoked (none when a re-run) */
} op_token_lost_result;
int op_token_lost(const op_env *env, const char *number, const char *reason,
                  const char *operator_name, op_token_lost_result *r, sk_err *e);
void op_token_lost_result_free(op_token_lost_result *r);

/* show: what the ledger says about a token and what the token itself holds. The token is
 * looked for in module m (by URI, by serial, or by the serial the ledger records for the
 * order); an absent token is not an error (present false), nor is one whose objects cannot
 * be listed (objects_error says why). Only public objects are read: no PIN is asked. */
typedef struct op_token_view {
    char order[64];            /* "" when the ledger knows nothing of the token */
    bool in_ledger;
    ledger_issuance iss;       /* the order's current issuance, else the token's latest */
    bool held, lost;
    ledger_token_event *events; /* the token's, oldest first */
    size_t n_events;
    char token_serial[40];
    bool present;
    tok_info info;
    tok_object *objects;
    size_t n_objects;
    char objects_error[256];
} op_token_view;
int op_token_show(const op_env *env, tok_module *m, const op_token_ref *ref, op_token_view *v,
                  sk_err *e);
void op_token_view_free(op_token_view *v);

/* unblock: on a token the ledger holds as an order's live or held token, whose user PIN is
 * locked (any, with force), a new random user PIN by pin_policy is written to a NEW 0600 PIN
 * mailer out/ORDER/pin-mailer-unblock-N.txt (the first N free; never over a file), then set
 * with the SO PIN (C_InitPIN), checked by logging in with it, recorded (token_events
 * 'unblocked') and audited. A failure to set it removes that mailer. o: the order from the
 * order file, for the unit and recipient on the mailer; NULL leaves them blank. SK_ESTATE
 * when the PIN is not locked and not force, or the token is no order's live token; SK_EPIN
 * for a wrong SO PIN (tries left said). */
typedef struct op_token_unblock_result {
    char order[64];
    char token_serial[40];
    char token_label[40];
    bool was_locked;
    char pin_mailer[PATH_MAX];
} op_token_unblock_result;
int op_token_unblock(const op_env *env, tok_module *m, const op_token_ref *ref,
                     const char *so_pin, bool force, const order *o, const char *operator_name,
                     op_token_unblock_result *r, sk_err *e);

#endif
